"""The hundred-and-sixteenth held-out batch (half ``"fresh115"``): eight published conditional-computation,
meta-learning and spiking models new to the corpus at their usual settings, and sixteen broken variants with one real
fault each, written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it
is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 1_150_000 + seed, fixed templates and teachers from 11_500 + k; 32 batches
cycled): BranchyNet (Teerapittayanon, McDanel and Kung 2016, narrowed from B-LeNet: a trunk of three 3x3 convs of 16,
32 and 32 channels with ReLU, the first two max-pooled, a side branch after the first conv (a 3x3 conv of 16 pooled to
4x4 and a Linear), a side branch after the second (a Linear) and the main exit; the joint loss, the three exits'
cross-entropies summed at weight 1 each; Adam at lr 1e-3, set here) on ten smooth 16x16 grey class templates plus
N(0, 0.7^2) noise (batch 32); SkipNet (Wang et al. 2018, narrowed: a CIFAR ResNet of four basic blocks of 16 channels
behind a stride-2 conv-BN-ReLU stem, each block behind a feed-forward gate (global average pool, a Linear, a sigmoid;
the block runs where ``p > 0.5``), trained in the paper's supervised pre-training stage with the hard gate passed
straight through, ``hard + p - p.detach()``; SGD with momentum 0.9 at lr 0.1 and weight decay 1e-4, the paper's
CIFAR setting) on the same images; Mixture-of-Depths (Raposo et al. 2024, narrowed: a pre-LN Transformer of width 32,
four blocks of four heads, every other block routed: a Linear router scores each token, the top 50% of the sequence's
tokens (12.5% in the paper) attend among themselves through the block and are updated ``x + r * block(x)``, the rest
skip it; a final LayerNorm, mean pooling and a Linear head; AdamW at lr 1e-3, betas (0.9, 0.95), weight decay 0.1,
set here) on 16-token sequences over 16 symbols labelled by their most frequent class ``token % 4`` (batch 32);
PonderNet (Banino, Balaguer and Blundell 2021, narrowed: a GRU cell of 64 as the step function, run on the same input
for up to N = 6 steps from a zero state, each step an output head and a halting head ``lambda_n = sigmoid(Linear(h))``
with ``lambda_N = 1``, the halting distribution ``p_n = lambda_n prod_(j<n) (1 - lambda_j)``; the loss ``sum_n p_n
CE_n`` plus 0.01 times the KL to a geometric prior of ``lambda_p = 0.2`` truncated at N; Adam at lr 1e-3, the paper's
3e-4 raised for 200 steps) on 16-dimensional Gaussian vectors labelled by a fixed linear teacher over ten classes
(batch 64); the LSNN (Bellec et al. 2018, narrowed: 64 recurrent spiking neurons, 32 LIF and 32 ALIF with the
adaptive threshold ``A = 1 + 1.8 a``, membrane time constant 20 steps, adaptation time constant 50 steps (the paper's
are longer, for its longer tasks), reset by subtraction, no self-connections, the paper's pseudo-derivative ``0.3
max(0, 1 - |v - A| / A) / A`` in a ``torch.autograd.Function``, a leaky readout whose mean over the sequence gives the
logits; Adam at the paper's lr 1e-2) on rate-coded spike trains (four fixed class patterns of firing probabilities,
0.02 to 0.42 a step, over 20 input channels and 25 steps, sampled as Bernoulli spikes; batch 32); SEW ResNet (Fang
et al. 2021, narrowed: T = 4 steps of the image fed directly, a conv-BN-IF stem of 16 channels and a max pool to 8x8,
two SEW basic blocks (conv-BN-IF-conv-BN-IF) with the ADD element-wise function ``block(s) + s``, integrate-and-fire
neurons of threshold 1 with a hard reset to 0 and SpikingJelly's ATan surrogate (``alpha = 2``) in a
``torch.autograd.Function``, global average pooling over space and time and a Linear head; Adam at lr 1e-3, the
paper's setting for its neuromorphic data sets) on the template images; the Dynamic Filter Network (De Brabandere et
al. 2016, narrowed, its dynamic-convolution form for video prediction: a filter-generating network of 3x3 convs of 16,
32 and 32 channels (the last two of stride 2), a Linear of 64 and a Linear to the 25 taps of a softmax-normalised 5x5
filter per sample, applied by the dynamic filtering layer, written as a ``torch.autograd.Function``, to the last frame
with circular padding; MSE; Adam at lr 1e-3) on two frames of a smooth random 16x16 field moving at -2 .. 2 pixels a
frame along each axis, the next frame the target (batch 16); and the learned optimiser of "Learning to learn by
gradient descent by gradient descent" (Andrychowicz et al. 2016: a coordinatewise two-layer LSTM of 20 units shared
over the coordinates, fed the paper's preprocessed gradient ``(log|g| / p, sign g)`` or ``(-1, e^p g)``, ``p = 10``,
its output times 0.1 the update; unrolled 20 steps on each optimizee, the optimizee's gradients taken as inputs with
their second derivatives dropped as in the paper; the meta-loss, the optimizee's losses over the unroll at weight 1,
averaged; Adam at lr 3e-3, set here, the paper's came from a random search) meta-trained on random 10-dimensional
quadratics ``||W theta - y||^2`` (``W`` N(0, 1/10), ``y`` and ``theta_0`` N(0, 1); 16 a step).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every conv and Linear weight of the Dynamic
  Filter Network drawn N(0, 1) (the filter logits are of the order of 1e4: the softmax is one-hot and saturated; init),
  every BranchyNet conv before a ReLU given the bias -10 (every unit of the trunk and the first branch dead, all three
  exits read zeros; activation, with init), the Dynamic Filter Network's filter head made 50 tanh layers of 64 at
  PyTorch's default init (depth, with init), the LSNN's recurrent weights rescaled to a spectral radius of 50 (the
  recurrent input swamps the inputs': about half the neurons fire at every step, where the healthy network's rate is
  0.18 to 0.34, in a pattern of the network's own; recurrence, with init),
  Mixture-of-Depths at AdamW lr 1, the learned optimiser at Adam lr 1 and SEW ResNet at Adam lr 1 (lr), SkipNet eight
  blocks deep without its BatchNorms at its SGD lr 0.1 (normalization, with lr), SkipNet at SGD ``weight_decay=1``
  (every step keeps 0.9 of each weight at lr 0.1) and PonderNet at AdamW ``weight_decay=50`` (regularization),
  Mixture-of-Depths' labels permuted within every batch, apart from their sequences (data), the Dynamic Filter
  Network's two input frames in units 1000 times the target frame's (the filter, whose taps sum to 1, can only scale
  the last frame down by mixing; data), and SEW ResNet's logits read as the log of the head neurons' firing rates
  (60% and 89% of the head's rates are 0 at step 0: ``log 0 = -inf``, and a target's logit among them makes the loss
  inf at step 0; numeric);
- **slip** (a user's mistake in custom gradients, of a kind no earlier batch used): the Dynamic Filter Network's
  dynamic filtering Function ``forward(ctx, f, patches)`` whose backward returns ``grad_patches, grad_f`` where
  ``grad_f, grad_patches`` belongs (the two gradients have the same shape, the filter broadcast over the pixels, so
  nothing raises: the filter-generating network receives ``grad * f``, a gradient that carries the filter itself and
  nothing of the image; activation, the backward of the model's one non-standard layer being wrong), the LSNN's
  pseudo-derivative returned with its sign flipped, ``-psi``, the derivative of the spike with respect to its
  threshold ``A`` handed back for the membrane ``v`` (every input and recurrent weight climbs the loss through the
  spikes while the readout descends it; activation, the spike nonlinearity's derivative), and SEW ResNet's spike
  written as the straight-through sum ``H(x) + (a(x) - a(x))`` with the ATan surrogate's primitive ``a(x) = atan(pi x)
  / pi + 1/2``, its ``.detach()`` left out (the two terms cancel in the backward too: no gradient crosses any spiking
  neuron, so only the head learns, on the pooled rates of a random spiking network; activation). Earlier
  custom-gradient and straight-through slips (a custom ReLU's backward mask inverted, a gradient clip written
  ``g.clamp(c)``, a custom SiLU's backward without ``grad_output``, a surrogate derivative that overflows,
  ``torch.sign`` or threshold units with no straight-through estimator at all, ``torch.where`` guards of divisions)
  are not repeated: here a backward returns its inputs' gradients in the wrong order, a pseudo-derivative is returned
  with the threshold's sign, and a straight-through estimator is written but cancels itself. None of the slips is an
  init, depth, recurrence, lr, normalization, regularization, data or numeric one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except the normalization case's, SkipNet eight blocks deep with its BatchNorms
(2.644 -> 1.1e-3 and 2.993 -> 4.4e-4).

Learning criteria: the classifiers compare with chance (BranchyNet's three exits with ``3 ln 10 = 6.908``, the
criterion 5.181; SkipNet's, PonderNet's and SEW ResNet's ten classes, 1.727; Mixture-of-Depths' and the LSNN's four
classes, 1.040); the Dynamic Filter Network and the learned optimiser compare with their first loss. Measured plain
runs, 200 steps (seed 0, seed 1): BranchyNet 7.023 -> 0.0035 and 6.949 ->
0.0034; SkipNet 2.422 -> 9.6e-4 and 2.459 -> 1.2e-3; Mixture-of-Depths 1.409 -> 0.1672 and 1.371 -> 0.1791; PonderNet
2.279 -> 0.6132 and 2.308 -> 0.6165; the LSNN 2.360 -> 0.0598 and 3.096 -> 0.0372; SEW ResNet 2.299 -> 1.189 and
2.434 -> 1.201; the Dynamic Filter Network 0.5517 -> 0.1420 and 0.5776 -> 0.1291; the learned optimiser 22.63 ->
4.633 and 20.23 -> 4.487. Broken: ``dfn_init_std_1`` 0.8672 -> 1.231 and 1.238 -> 1.287 (no divergence);
``branchynet_conv_biases_minus_10`` 6.922 -> 6.903 and 6.906 -> 6.903; ``dfn_filter_head_50_tanh_layers_default_init``
0.5465 -> 0.5763 and 0.5775 -> 0.5735; ``lsnn_recurrent_radius_50`` 2.653 -> 1.198 and 2.976 -> 1.210 (the
criterion 1.040); ``mod_adamw_lr1`` diverges at step 1 at both seeds (ends 1.869 and 1.440; weights x14.9 and x14.6);
``l2l_adam_lr1`` diverges at step 1 at both seeds (weights x47 and x45; it recovers and ends 4.613 and 9.676, below
its criterion); ``sew_resnet_adam_lr1`` diverges at step 1 at both seeds (weights x79 and x81; its BatchNorms let it
recover, and it ends 0.2395 and 0.1024); ``skipnet_8_blocks_without_bn`` diverges at step 48 at seed 0 (non-finite at
step 104, weights x6.9e12) and does not learn at seed 1 (2.338 -> 2.308, weights x3.9); ``skipnet_sgd_weight_decay_1``
2.422 -> 2.305 and 2.459 -> 2.305; ``pondernet_adamw_weight_decay_50`` 2.279 -> 2.282 and 2.308 -> 2.283;
``mod_labels_shuffled`` 1.400 -> 1.333 and 1.447 -> 1.346; ``dfn_frames_x1000`` 1.22e6 -> 1.16e6 and 1.11e6 ->
1.15e6; ``sew_resnet_log_rate_readout`` is non-finite at step 0 at both seeds (the loss, inf);
``dfn_filter_function_gradients_swapped`` 0.5517 -> 0.5774 and 0.5776 -> 0.5735;
``lsnn_pseudo_derivative_sign_flipped`` 2.360 -> 1.386 and 3.096 -> 1.415;
``sew_resnet_straight_through_without_detach`` 2.299 -> 2.264 and 2.434 -> 2.252. On a quiet machine the cases run
in 1 to 10 s a seed (the Dynamic Filter Network and PonderNet the fastest, SEW ResNet, the learned optimiser and
SkipNet the slowest); the final measurement, with three other helpers' runs on the same 2 cores (load 9 to 11), took
0.2 to 76 s a seed.

Dropped or changed before the freeze (every figure of the cases above is from the final code; a dropped variant's is
from its own): SEW ResNet without its BatchNorms was the first normalization common and learned (2.249 -> 1.483 and
2.395 -> 1.535: the ADD connections carry the stem's spikes); Mixture-of-Depths without its LayerNorms learned (1.388 ->
0.2187 and 1.361 -> 0.1690); SkipNet's four blocks without BatchNorm diverged late at one seed but learned by the
criterion at both (2.348 -> 0.5562 and 2.365 -> 0.9573, a divergence at step 85), so the normalization common is SkipNet
eight blocks deep, whose control with BatchNorm learns. The LSNN at a recurrent spectral radius of 8 learned (2.760 ->
0.3385 and 2.917 -> 0.3191), so the recurrence common is at 50. PonderNet's inputs times 1000 learned (2.419 -> 1.565
and 2.301 -> 1.529: the teacher's argmax does not depend on the inputs' scale, and the saturated GRU keeps their sign
pattern), so the second data common is the Dynamic Filter Network's frames. Two slips were written and dropped because
they learned: SkipNet's straight-through gate written ``hard + p.detach() - p``, the gate's gradient sign-flipped (2.453
-> 0.9405 and 2.469 -> 0.8711, measured with a stride-1 stem), and the LSNN's spike written ``H(v - A) + (psi -
psi.detach())`` with the pseudo-derivative itself where its primitive belongs (2.360 -> 2.324 but 3.096 -> 0.8296).
SkipNet's stem was first of stride 1 (its blocks at 16x16, 5.7 and 7.4 s a seed on a quiet machine; 2.453 -> 0.0033 and
2.469 -> 0.0016); it is now of stride 2. Considered and not written: a Mixture-of-Depths router whose top-k weights are
detached (the routed blocks and everything else still learn, so a plain run would count it learned), a ``torch.where``
guard whose untaken branch poisons the gradient (the kind of ``fresh11``'s and ``fresh75``'s slips), and a surrogate
Function that saves a membrane later changed in place (the surrogate keeps its sign, and the network is expected to
learn).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh115_builders as F

P = functools.partial
HALF = "fresh115"
#: chance losses: ten classes (BranchyNet's three exits together: 3 ln 10), four classes; the Dynamic Filter
#: Network's frame MSE and the learned optimiser's meta-loss compare with their first loss
C10, C4, B3 = math.log(10), math.log(4), 3 * math.log(10)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH115_HEALTHY: list[Case] = [
    _h("branchynet_template_images", HALF, "branchynet", F.branchynet, B3),
    _h("skipnet_template_images", HALF, "skipnet", F.skipnet, C10),
    _h("mixture_of_depths_majority_sequences", HALF, "mixture_of_depths", F.mod, C4),
    _h("pondernet_teacher_vectors", HALF, "pondernet", F.pondernet, C10),
    _h("lsnn_spike_trains", HALF, "lsnn", F.lsnn, C4),
    _h("sew_resnet_template_images", HALF, "sew_resnet", F.sew_resnet, C10),
    _h("dynamic_filter_network_moving_fields", HALF, "dynamic_filter_network", F.dfn, None),
    _h("l2l_lstm_optimizer_quadratics", HALF, "l2l_optimizer", F.l2l, None),
]

FRESH115_BROKEN: list[Case] = [
    # init
    _b("dfn_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dfn, init_std=1.0), None),
    # activation
    _b("branchynet_conv_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.branchynet, bias=-10.0), B3),
    # depth
    _b("dfn_filter_head_50_tanh_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.dfn, depth=50), None),
    # recurrence
    _b("lsnn_recurrent_radius_50", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.lsnn, radius=50.0), C4),
    # lr
    _b("mod_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.mod, lr=1.0), C4),
    _b("l2l_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.l2l, lr=1.0), None),
    _b("sew_resnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.sew_resnet, lr=1.0), C10),
    # normalization
    _b("skipnet_8_blocks_without_bn", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.skipnet, bn=False, blocks=8), C10),
    # regularization
    _b("skipnet_sgd_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.skipnet, weight_decay=1.0), C10),
    _b("pondernet_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.pondernet, adamw=True, weight_decay=50.0), C10),
    # data
    _b("mod_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.mod, shuffled=True), C4),
    _b("dfn_frames_x1000", HALF, ("data",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dfn, scale=1000.0), None),
    # numeric
    _b("sew_resnet_log_rate_readout", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.sew_resnet, log_rate=True), C10),
    # slips
    _b("dfn_filter_function_gradients_swapped", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.dfn, swapped=True), None),
    _b("lsnn_pseudo_derivative_sign_flipped", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.lsnn, sign=-1.0), C4),
    _b("sew_resnet_straight_through_without_detach", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.sew_resnet, cancelled=True), C10),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {c.name: "common" for c in FRESH115_BROKEN}
KINDS.update({"dfn_filter_function_gradients_swapped": "slip", "lsnn_pseudo_derivative_sign_flipped": "slip",
              "sew_resnet_straight_through_without_detach": "slip"})

#: the cases (half "fresh115")
FRESH115: list[Case] = FRESH115_HEALTHY + FRESH115_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "dfn_init_std_1": F.dfn,
    "branchynet_conv_biases_minus_10": F.branchynet,
    "dfn_filter_head_50_tanh_layers_default_init": F.dfn,
    "lsnn_recurrent_radius_50": F.lsnn,
    "mod_adamw_lr1": F.mod,
    "l2l_adam_lr1": F.l2l,
    "sew_resnet_adam_lr1": F.sew_resnet,
    "skipnet_8_blocks_without_bn": P(F.skipnet, blocks=8),
    "skipnet_sgd_weight_decay_1": F.skipnet,
    "pondernet_adamw_weight_decay_50": F.pondernet,
    "mod_labels_shuffled": F.mod,
    "dfn_frames_x1000": F.dfn,
    "sew_resnet_log_rate_readout": F.sew_resnet,
    "dfn_filter_function_gradients_swapped": F.dfn,
    "lsnn_pseudo_derivative_sign_flipped": F.lsnn,
    "sew_resnet_straight_through_without_detach": F.sew_resnet,
}
