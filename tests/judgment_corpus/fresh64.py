"""The sixty-fifth held-out batch (half ``"fresh64"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch by a
helper before gradguard was ever run on them (gradguard was neither imported nor run while it was written). Like
every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 640_000 + seed): MixNet (Tan and Le 2019, MixNet-S narrowed to 16x16 images: a
3x3 stem of 16, five MixNet-S blocks with MixConv depthwise kernels (3/5/7 and 3/5 in the swish stages),
squeeze-excite 0.5 and the linear 1x1 projections, a 1x1 head of 128, dropout 0.2; BatchNorm at TensorFlow's decay
0.99 and epsilon 1e-3; convolutions N(0, 2 / fan_out) and the classifier U(+-1 / sqrt(out)) as the reference code;
its RMSProp, decay 0.9, momentum 0.9, epsilon 1e-3, weight decay 1e-5, at lr 0.002, its 0.016 per 256 images
scaled to 32, without the warm-up and decay) on class-template images (10 classes, batches of 16),
IBN-Net (Pan et al. 2018: ``resnet_ibn_a``'s basic block in a CIFAR-style ResNet of three stages of two blocks, 16,
32, 64 channels, IBN (half InstanceNorm, half BatchNorm) in the first normalisation of every block of the first two
stages; convolutions N(0, 2 / (k^2 out)); SGD lr 0.1, momentum 0.9, weight decay 1e-4, the CIFAR ResNet recipe)
on the same images,
ModernNCA (Ye et al. 2024, narrowed without its PLR embeddings: the rows standardised by a fitted scaler, a linear
encoder to 64 and one MLP block with BatchNorm, ReLU and dropout 0.1; each query's class probability the softmax of
minus the Euclidean distances summed over that class's candidates; AdamW lr 1e-3, weight decay 1e-4, values from the
paper's search space) classifying tabular rows of 8 columns in raw units (4 classes, queries of 64 against 256
labelled candidates), ConvNCF (He et al. 2018, narrowed: embeddings of 16, their outer product as a 16x16 map, four
2x2 stride-2 convolutions of 32 channels with ReLU and a linear score; the embeddings N(0, 0.1^2) in place of the
paper's MF pre-training, the convolutions He-normal by the user's ``normal_init_`` helper; the BPR loss, AdaGrad at
the paper's lr 0.05) on BPR triples of 128 users and 128 items in 8 taste groups, DREAM (Yu et al. 2016: each basket
max-pooled over its items' embeddings of 32, the paper's sigmoid recurrent layer, the next item scored against the
input embedding table; cross-entropy over the 64 items for the next item, a narrowing of its BPR; Adam lr 0.03, set
here) on histories of 8 baskets of 4 items, MIONet (Jin, Meng and Lu 2022: two branch nets, one per input
function's 32 sensor values, and a trunk net, 64-64-64 each, ReLU, the output ``sum_k b1_k b2_k t_k + b0``; DeepXDE's
Glorot-normal weights and zero biases; MSE, Adam lr 1e-3) learning the antisymmetric operator ``G(v1, v2)(x) = 4
(v1(x) int_0^x v2 - v2(x) int_0^x v1)`` on unit-RMS sine sums, ElemNet (Jha et al. 2018, narrowed: element
fractions of 32 elements through a ReLU funnel 128-128-64-64-32-32-16 with dropout 0.2 after the 128 and 64 stages
(the paper's 17 layers of 1024 to 32, keep probability 0.8), PyTorch's default init, the output rescaled by a target
scaler; MSE, Adam at lr 1e-3 where the paper's 1e-4 is too slow for 200 steps, see below) on a melting-point-like
property in kelvin of compositions of 2 to 4 elements, and the Ladder VAE (Sønderby et al. 2016, narrowed: two
stochastic layers of 16 and 8 over deterministic layers of 64 and 32 with BatchNorm and leaky ReLU, softplus
variances, the precision-weighted merge of the bottom-up estimate and the top-down prior, a Bernoulli decoder whose
output bias starts at the logit of the training pixels' means clipped to [1e-3, 1 - 1e-3]; the negative ELBO with
the paper's linear KL warm-up, here 0 -> 1 over 100 steps; Adam at the paper's lr 2e-3) on 8x8 binary images whose
one-pixel border is always off, as MNIST's (10 prototypes, 5% of the pixels flipped).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh63``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): ConvNCF's convolutions and score
  zero-initialised (init), ConvNCF's convolution biases at -10 (every ReLU dead; activation), ElemNet 40 hidden
  layers of 32 deep at PyTorch's default init (depth), DREAM's recurrent matrix drawn orthogonal times 20 (the
  sigmoid state is driven by itself, not by the baskets; recurrence), MixNet at RMSProp lr 1, MIONet at Adam lr 1
  and the Ladder VAE at Adam lr 1 (lr), IBN-Net without any of its InstanceNorms and BatchNorms at its SGD lr 0.1
  (normalization), ConvNCF at AdaGrad ``weight_decay=1`` and DREAM at Adam ``weight_decay=0.5`` (regularization),
  ModernNCA's query labels permuted within every batch, apart from their rows (data), and ElemNet's element fractions
  ``counts / counts.sum()`` computed over rows of formulas that parsed to no known element (``0 / 0``; numeric);
- **slip** (a user's mistake in initialisation or weight-loading code, of a kind no earlier batch used): MIONet's
  ``reset_parameters`` loop over its zero-placeholder weights written ``w = torch.randn_like(w) * std`` where
  ``w.copy_(...)`` belongs (the loop variable is rebound to a new tensor and every weight keeps its zero: no signal
  and no gradient; init), MIONet's second branch meant to start as a copy of the first, written
  ``branch2.weights, branch2.biases = branch1.weights, branch1.biases`` where
  ``branch2.load_state_dict(branch1.state_dict())`` belongs (the two branches share their parameters for good, so the
  model is symmetric in its two inputs and cannot fit the antisymmetric operator; a copy meant, a tie made; init),
  ModernNCA's fitted feature scaler restored from the checkpoint ``{"model": state_dict, "epoch": 0}`` by
  ``load_state_dict(ckpt, strict=False)``, the wrapping dict passed whole: no key matches, nothing loads, no error
  is raised, and the scaler's buffers stay the identity, so the columns reach the encoder in raw units (a price of
  5e4 +- 2e4 beside a ratio of 0.5 +- 0.2; data), and the Ladder VAE's output bias initialised to the marginal's
  logit written ``torch.log(p / (1 - p))`` without the clip, over border pixels that are never on (``p = 0``: a bias
  of ``-inf``, and ``-inf * 0`` is NaN in the loss at the first step; numeric, with init). None of the slips is an
  activation, depth, recurrence, lr, normalization or regularization one. Earlier batches' init and loading slips
  (bounds, precedence, variance for std, the fan's axis, zeroing or filling by ``apply``, norm gains caught by a
  test, ``apply`` before the layers or in ``forward``, a bias constant meant for one layer, re-initialisations, a
  placeholder never loaded, a checkpoint dict passed whole to a frozen probe, the optimizer over a replaced model)
  are not repeated: the rebinding, the tie made for a copy, the strict load that misses a scaler and the unclipped
  marginal logit are new.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds but the tie's, whose control starts the second branch as a loaded copy of the
first (3.623 -> 0.738 and 3.483 -> 0.581; the depth case's is ElemNet at its own seven hidden layers).

Learning criteria: the classifiers compare with chance (MixNet's and IBN-Net's ten classes, ModernNCA's four,
ConvNCF's pair, ``ln 2``, DREAM's 64 items); MIONet, ElemNet and the Ladder VAE compare with their first loss.
Measured plain runs, 200 steps (seed 0, seed 1): MixNet 2.588 -> 0.0382 and 2.437 -> 0.0138; IBN-Net 2.407 ->
3.3e-4 and 2.245 -> 4.3e-4; ModernNCA 1.288 -> 0.847 and 1.328 -> 0.853 (the criterion 1.040); ConvNCF 0.6925 ->
0.0176 and 0.6942 -> 0.0118; DREAM 4.229 -> 2.630 and 4.170 -> 2.667 (the criterion 3.119); MIONet 3.648 -> 0.648
and 3.501 -> 0.653; ElemNet 3.27e5 -> 6.23e4 and 2.94e5 -> 6.75e4 (kelvin squared); the Ladder VAE 23.71 -> 13.25
and 23.81 -> 13.45 (nats per image). Broken: ``convncf_zero_init`` and ``convncf_relu_biases_minus_10`` stay at
exactly 0.6931 at both seeds (no weight moves); ``mionet_reset_rebinds_loop_variable`` 3.652 -> 3.465 and 3.493 ->
3.605; ``mionet_branch2_tied_where_copied`` 3.623 -> 3.432 and 3.483 -> 3.530; ``elemnet_40_layers_default_init``
3.19e5 -> 2.76e5 and 2.74e5 -> 2.69e5; ``dream_recurrent_gain_20`` 4.225 -> 4.059 and 4.169 -> 3.607 (its input
weights' first gradient is 18 times the healthy one's); ``mixnet_rmsprop_lr1`` diverges at step 1 at both seeds (ends
607.2 and 155.3; weights x116 and x99); ``mionet_adam_lr1`` diverges at step 1 at both seeds (ends 9.6e10 and
2.7e13; weights x36 and x34); ``ladder_vae_adam_lr1`` diverges at step 1 at both seeds (ends 3980 and 102.4;
weights x29 and x19); ``ibn_net_without_norms`` does not learn at seed 0 (3.941 -> 2.302, chance) and diverges at
step 100 at seed 1, non-finite at step 137; ``convncf_adagrad_weight_decay_1`` 0.6925 -> 0.6931 and 0.6942 ->
0.6931; ``dream_adam_weight_decay_0.5`` 4.229 -> 4.176 and 4.170 -> 4.185; ``modern_nca_labels_shuffled`` 1.395 ->
1.381 and 1.426 -> 1.381; ``modern_nca_scaler_missed_by_strict_false`` 1.391 -> 1.389 and 1.385 -> 1.393;
``elemnet_fractions_of_empty_formulas`` and ``ladder_vae_output_bias_logit_unclipped`` are non-finite at step 0 at
both seeds (the loss itself). Every case runs in at most about 5 s of CPU a seed (MixNet the slowest, 5.0 to 5.8 s
on a machine shared with other work).

Dropped or changed before the freeze (every figure above is from the final code): a Behler-Parrinello network was
the first scientific model (its first version learned, 0.248 -> 0.0065 and 0.436 -> 0.0071); it was replaced by
ElemNet when another batch written at the same time turned out to use the same family, and the broken cases planned
on it (raw energies through a checkpoint passed whole, angular symmetry functions over self-pairs, 30 tanh layers)
were never measured. ElemNet at the
paper's lr 1e-4 did not learn in 200 steps (3.27e5 -> 2.73e5 and 2.94e5 -> 2.60e5); it trains at 1e-3. The
strict-load slip was first written on ElemNet's target scaler (kelvin asked of outputs near 0) and learned by the
criterion at lr 1e-3 (3.10e6 -> 1.17e5 and 2.72e6 -> 1.27e5); it moved to ModernNCA's feature scaler. ElemNet with
every weight N(0, 1) (1.1e15 -> 3.6e13 and 1.6e15 -> 2.6e13), zero-initialised (3.22e5 -> 1.18e5) or with its output
bias set to the raw target mean under its own scaler (7.8e11 -> 8.9e9) all pass the first-loss criterion and were
dropped; ElemNet at Adam lr 1 diverged but was not needed. ConvNCF had embeddings of 32 at first (9 to 16 s a seed);
at that size its convolutions N(0, 1) learned under AdaGrad (102.3 -> 0.187 and 153.8 -> 0.101), and so did the
slip ``normal_init_(w, sqrt(2 / fan_in))``, the He standard deviation passed to a helper that wants the variance
(1.011 -> 0.0118 and 1.281 -> 0.0054): both were dropped, and the init common is the zero init. DREAM's recurrent
matrix at orthogonal gains 0.1, 3 and 6 learned (2.639 and 2.694, 2.770 and 2.698, 2.755 and 2.737), and so did its
embeddings at nn.Embedding's N(0, 1) (7.13 -> 2.97 and 7.68 -> 3.04); the recurrence common uses gain 20 (gain 50
also fails: 4.216 -> 4.252 and 4.185 -> 4.266). DREAM at Adam lr 0.01 with tastes at 0.4 of a basket did not learn
(3.359 and 3.349 against 3.119); the baskets carry the taste at 0.5 and the lr is 0.03. ModernNCA's encoder at N(0,
1) learned (0.843 and 0.838; its BatchNorm absorbs the scale) and ModernNCA at AdamW lr 1 diverged at step 1 but
ended at 1.217 and 1.283, unused: MixNet's RMSProp lr 1 took its place so that MixNet has a broken case. MIONet's
first operator, ``4 v1(x) int_0^x v2`` on sine sums of random amplitude, with batches of 16, crossed the divergence
rule at steps 2 to 9 in healthy runs from batch-to-batch variance: the functions are now scaled to unit RMS and the
batches are 64; the operator was then made antisymmetric so that the tie slip is a real fault (a model symmetric in
its two inputs could still fit the symmetric half of the first operator, about half its variance). MIONet with every
hidden bias at -5 stayed stuck exactly as the rebinding slip did (the same figures, on the first operator) and was
not kept; the activation
common is ConvNCF's. MixNet and IBN-Net ran batches of 32 at first (15 to 19 s a seed on the shared machine); they
run 16. The commons outnumber the slips (12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh64_builders as F

P = functools.partial
HALF = "fresh64"
#: chance losses: ten classes (MixNet's and IBN-Net's images), four (ModernNCA's rows), a pair (ConvNCF's BPR,
#: ``ln 2``), 64 items (DREAM's next item); MIONet, ElemNet and the Ladder VAE have none (their first loss is the
#: reference)
C10, C4, PAIR, ITEMS = math.log(10), math.log(4), math.log(2), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH64_HEALTHY: list[Case] = [
    _h("mixnet_images", HALF, "mixnet", F.mixnet, C10),
    _h("ibn_net_images", HALF, "ibn_net", F.ibn_net, C10),
    _h("modern_nca_tabular", HALF, "modern_nca", F.modern_nca, C4),
    _h("convncf_bpr", HALF, "convncf", F.convncf, PAIR),
    _h("dream_baskets", HALF, "dream", F.dream, ITEMS),
    _h("mionet_antisymmetric_operator", HALF, "mionet", F.mionet, None),
    _h("elemnet_compositions", HALF, "elemnet", F.elemnet, None),
    _h("ladder_vae_binary_images", HALF, "ladder_vae", F.ladder_vae, None),
]

FRESH64_BROKEN: list[Case] = [
    # init
    _b("convncf_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.convncf, init=0.0), PAIR),
    _b("mionet_reset_rebinds_loop_variable", HALF, ("init",), VANISH, STUCK,  # kind: slip
       P(F.mionet, init="rebind"), None),
    _b("mionet_branch2_tied_where_copied", HALF, ("init",), VANISH, STUCK,  # kind: slip
       P(F.mionet, start_alike="tie"), None),
    # activation
    _b("convncf_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.convncf, relu_bias=-10.0), PAIR),
    # depth
    _b("elemnet_40_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.elemnet, widths=(32,) * 40), None),
    # recurrence
    _b("dream_recurrent_gain_20", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.dream, radius=20.0), ITEMS),
    # lr
    _b("mixnet_rmsprop_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.mixnet, lr=1.0), C10),
    _b("mionet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.mionet, lr=1.0), None),
    _b("ladder_vae_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ladder_vae, lr=1.0), None),
    # normalization
    _b("ibn_net_without_norms", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.ibn_net, norm=False), C10),
    # regularization
    _b("convncf_adagrad_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.convncf, weight_decay=1.0), PAIR),
    _b("dream_adam_weight_decay_0.5", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.dream, weight_decay=0.5), ITEMS),
    # data
    _b("modern_nca_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.modern_nca, shuffled=True), C4),
    _b("modern_nca_scaler_missed_by_strict_false", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.modern_nca, whole_checkpoint=True), C4),
    # numeric
    _b("elemnet_fractions_of_empty_formulas", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.elemnet, empty=True), None),
    _b("ladder_vae_output_bias_logit_unclipped", HALF, ("numeric", "init"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.ladder_vae, unclipped_bias=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "convncf_zero_init": "common", "mionet_reset_rebinds_loop_variable": "slip",
    "mionet_branch2_tied_where_copied": "slip", "convncf_relu_biases_minus_10": "common",
    "elemnet_40_layers_default_init": "common", "dream_recurrent_gain_20": "common", "mixnet_rmsprop_lr1": "common",
    "mionet_adam_lr1": "common", "ladder_vae_adam_lr1": "common", "ibn_net_without_norms": "common",
    "convncf_adagrad_weight_decay_1": "common", "dream_adam_weight_decay_0.5": "common",
    "modern_nca_labels_shuffled": "common", "modern_nca_scaler_missed_by_strict_false": "slip",
    "elemnet_fractions_of_empty_formulas": "common", "ladder_vae_output_bias_logit_unclipped": "slip",
}

#: the cases (half "fresh64")
FRESH64: list[Case] = FRESH64_HEALTHY + FRESH64_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "convncf_zero_init": F.convncf,
    "mionet_reset_rebinds_loop_variable": F.mionet,
    "mionet_branch2_tied_where_copied": P(F.mionet, start_alike="copy"),
    "convncf_relu_biases_minus_10": F.convncf,
    "elemnet_40_layers_default_init": F.elemnet,
    "dream_recurrent_gain_20": F.dream,
    "mixnet_rmsprop_lr1": F.mixnet,
    "mionet_adam_lr1": F.mionet,
    "ladder_vae_adam_lr1": F.ladder_vae,
    "ibn_net_without_norms": F.ibn_net,
    "convncf_adagrad_weight_decay_1": F.convncf,
    "dream_adam_weight_decay_0.5": F.dream,
    "modern_nca_labels_shuffled": F.modern_nca,
    "modern_nca_scaler_missed_by_strict_false": F.modern_nca,
    "elemnet_fractions_of_empty_formulas": F.elemnet,
    "ladder_vae_output_bias_logit_unclipped": F.ladder_vae,
}
