"""The forty-third held-out batch (half ``"fresh42"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 420_000 + seed): the ReZero Transformer (Bachlechner et al. 2021, narrowed: a
causal LM of token and position embeddings of 64 and four ``RZTXEncoderLayer``-style layers, 4 heads, feed-forward
256, ReLU, dropout 0.1, ``x + resweight * F(x)`` for both sublayers with one ``resweight`` a layer started at the
paper's 0 and no LayerNorm; PyTorch's default init; AdamW lr 1e-3 set here, weight decay 0.01 on the matrices and
embeddings only, nanoGPT's split) on the corpus' Markov language (batch 16 of 24 tokens), the Nested LSTM (Moniz and
Krueger 2017: one layer of 32 units whose memory update is an inner LSTM fed ``i * g`` with ``f * c`` as its hidden
state; ``nn.LSTM``'s uniform init, forget biases 1; Adam lr 0.01 set here) classifying 24-step series whose class is
marked only in their first 6 steps, FAGCN (Bo et al. 2021: ``h0 = relu(W1 x)``, two layers of ``eps h0 + sum_j
tanh(g^T [h_i, h_j]) / sqrt(d_i d_j) h_j`` with eps 0.3, hidden 64, dropout 0.6, the degrees clamped to at least 1;
Xavier-normal gain 1.414; Adam lr 0.01 weight decay 1e-3, values of the reference code's kind) classifying the nodes
of a 300-node heterophilous block model (loss over the training half), CDAE (Wu et al. 2016 as RecBole's ``CDAE``:
the item vector corrupted by dropout 0.5, ``relu(W x~ + V_u)`` of 64 with the user's own node, a sigmoid over the
128 items, binary cross-entropy plus 0.01 times the norms of ``V`` and ``W``, Xavier-normal init, Adam at RecBole's
lr 1e-3) on rank-4 implicit feedback of 256 users (batch 64), a planar flow (Rezende and Mohamed 2015: 16 planar
layers with the paper's invertibility fix of ``u``, N(0, 0.1^2) parameters set here; the reverse KL ``E[log q_K +
U_1]`` to the paper's first test energy, batch 256; Adam lr 0.01 set here, where the paper ran RMSprop at 1e-5 for
500,000 steps), the Lagrangian neural network (Cranmer et al. 2020, narrowed: ``L(q, q')`` an MLP of three softplus
layers of 256, the accelerations ``pinv(d2L/dq'2) (dL/dq - d2L/dq'dq q')`` per sample by ``torch.func``; PyTorch's
default init, not the paper's own scheme; MSE, Adam at the paper's lr 1e-3) on two pendulums coupled by a spring
(batch 64), RotNet (Gidaris et al. 2018, narrowed: a NIN of three blocks of a 3x3 and two 1x1 convolutions, 16, 32,
32 channels, BatchNorm and ReLU after each, convolutions N(0, 2 / (k^2 out)) as the reference code's; SGD lr 0.1,
Nesterov momentum 0.9, weight decay 5e-4) predicting which of the four rotations a 3x16x16 template image is in (16
images in all four rotations a batch), and CosFace (Wang et al. 2018, narrowed: an MLP of two PReLU layers of 128 to
a 64-dimensional feature, the large margin cosine loss at the paper's s 64 and m 0.35 over normalised features and
class weights; SGD at the paper's lr 0.1, momentum 0.9, weight decay 5e-4) on ten identities as Gaussian clusters in
32 dimensions (batch 64).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh40``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every ReZero weight and embedding drawn
  N(0, 1) and the planar flow's ``u``, ``w``, ``b`` drawn N(0, 10^2) (init), the LNN with ReLU hidden units, whose
  second derivatives are 0, so that ``d2L/dq'2`` is the zero matrix and its pseudo-inverse predicts zero
  accelerations (the paper's own reason for softplus; activation), CosFace's embedding MLP 30 PReLU layers deep at
  PyTorch's default init (depth), both Nested-LSTM forget biases at -5 (the outer and the inner memory forget within
  a step; recurrence), FAGCN and CDAE at Adam lr 1 (lr), RotNet without its BatchNorms at its SGD lr 0.1
  (normalization), FAGCN at Adam ``weight_decay=1`` and RotNet at SGD ``weight_decay=0.5`` (regularization),
  CosFace's identities permuted within every batch, apart from their vectors (data), and FAGCN's ``d ** -0.5``
  without the reference code's ``clamp(min=1)`` while the graph has ten isolated nodes (``inf * 0``; numeric);
- **slip** (a user's mistake in the training code, of a kind no earlier batch used): the ReZero LM's AdamW groups
  built nanoGPT-style, but the decayed group as a generator, ``(p for p in params if p.dim() >= 2)``, which a log
  line, ``sum(p.numel() for p in decay)``, consumes before the optimizer is built: AdamW accepts the empty group
  silently, and only the biases and ``resweight`` scalars are ever stepped (an exhausted generator in the param
  groups; lr, the matrices' step being zero), the Nested LSTM's linear warm-up ``LambdaLR`` stepped as
  ``scheduler.step(loss)``, the ``ReduceLROnPlateau`` habit kept after a scheduler switch: the deprecated ``epoch``
  argument sets ``last_epoch`` to the loss, so the lambda ``min(1, (s + 1) / 100)`` is read at ``s ~ 1.4`` at every
  step and the lr stays at about 2.4% of its base (a scheduler fed the loss as its epoch; lr), the LNN's Adam given
  ``betas=(0.999, 0.9)``, the two written in each other's place (a first moment averaged over a thousand steps
  divided by a second moment that forgets in ten; an optimizer tuple's order; lr), and the ReZero LM trained with
  block-normalised gradients by tensor hooks, ``p.register_hook(lambda g: g / g.norm())``, without an eps: every
  sublayer's gradient is exactly 0 while its ``resweight`` is 0, so the first step writes ``0 / 0`` into the weights
  (a gradient hook; numeric). None of the slips is an init, activation, depth, recurrence, normalization,
  regularization or data one: three are lr and one numeric. Two live in the optimizer's construction, one in the
  scheduler's call and one in a gradient hook.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds but the warm-up slip's, whose control is the Nested LSTM with the same warm-up
stepped as ``scheduler.step()``.

Learning criteria: the ReZero LM compares with its 64 tokens' chance, the Nested LSTM, FAGCN and RotNet with four
classes'; CosFace with its own loss at equal cosines, ``ln(1 + 9 exp(64 * 0.35)) = 24.60`` (a collapsed embedding,
not ``ln 10``: the margin is paid whatever the prediction); the LNN with the mean square of the accelerations
(predicting zero), ``1/2 + pi^2/6 + 4/pi = 3.418`` for these states; the planar flow with its free energy under the
identity map (the base density itself), 2.70 by 2e6 samples (its first loss, 18.5 to 19.3, is far above: the
invertibility fix makes the initial flow contract); CDAE with its first loss. Measured plain runs, 200 steps (seed
0, seed 1): the ReZero LM 4.412 -> 1.272 and 4.480 -> 1.292; the Nested LSTM 1.392 -> 0.802 and 1.411 -> 0.714 (the
criterion 1.040); FAGCN 2.220 -> 0.852 and 2.650 -> 0.957; CDAE 0.916 -> 0.376 and 0.899 -> 0.378; the planar flow
18.51 -> -0.969 and 19.26 -> -0.822 (the criterion 2.025); the LNN 189.7 -> 0.470 and 18.11 -> 0.580 (the criterion
2.564; its first loss is large because the initial ``d2L/dq'2`` is nearly singular, and seed 1's second loss is
above twice its first); RotNet 1.450 -> 8.2e-4 and 1.446 -> 7.5e-4; CosFace 36.09 -> 0.0264 and 37.99 -> 0.0612 (its
loss rises for the first few steps at both seeds, to 53.7 and 52.2, before it falls). Broken: ``rezero_init_std_1``
27.69 -> 9.067 and 25.59 -> 7.581 (no divergence); ``planar_flow_init_std_10`` 3426 -> 996.1 and 16780 -> 6484;
``lnn_relu`` 2.943 -> 3.292 and 2.721 -> 3.458 (finite throughout); ``cosface_30_layers_default_init`` 32.50 ->
24.72 and 26.98 -> 24.71 (the loss of a collapsed embedding; above twice its first at steps 3 and 2, as the healthy
CosFace's early rise, so its trouble is the stall); ``nested_lstm_forget_bias_minus_5`` 1.388 -> 1.386 and 1.413 ->
1.386; ``fagcn_adam_lr1`` diverges at step 1 at both seeds (ends 63.05 and 202.9; weights x27.5 and x50.1);
``cdae_adam_lr1`` diverges at step 1 at both seeds (ends 17.56 and 16.69; weights x33);
``rezero_adamw_group_from_exhausted_generator`` 4.412 -> 4.365 and 4.480 -> 4.476;
``nested_lstm_warmup_stepped_on_loss`` 1.392 -> 1.383 and 1.411 -> 1.387 (its control 1.392 -> 0.759 and 1.411 ->
0.737); ``lnn_adam_betas_swapped`` 189.7 -> 4.162 at seed 0 (weights x205, no divergence by the corpus' rule) and a
divergence at step 1 at seed 1 (ends 876.0; weights x118); ``rotnet_without_batchnorm`` 1.387 -> 1.295 and 1.393 ->
1.386 (above twice its first at step 51 at seed 1); ``fagcn_adam_weight_decay_1`` 2.220 -> 1.381 and 2.650 -> 1.384;
``rotnet_sgd_weight_decay_0.5`` 1.450 -> 1.386 and 1.446 -> 1.386; ``cosface_labels_shuffled`` 32.38 -> 24.70 and
38.30 -> 24.70; ``fagcn_unclamped_degrees_with_isolated_nodes`` is non-finite at step 0 at both seeds (the loss
itself) and ``rezero_grad_norm_hooks_without_eps`` at step 0 (its first loss is finite, its updated weights are not).
Every case runs in about 6 s a seed or less on a quiet core (the ReZero LM, the LNN and RotNet the slowest, 3.4 to
5.7 s; up to 8.7 s while other work shared the machine's two cores).

Dropped or changed before the freeze (every figure above is from the final code): the LNN was first fitted to the
double pendulum with 128 units and did not learn at seed 0 (1.004e4 -> 5.443, where predicting zero scores 2.75);
with 256 units it still did not at seed 1 (18.98 -> 6.471), and on the coupled pendulums with 128 units not at seed 0
(1.006e4 -> 6.838); the final system and width learn at both. RotNet had 48, 96, 96 channels and 32 images a batch
at first and took 30 s a seed. CDAE kept ``nn.Embedding``'s N(0, 1) user nodes at first, whose norm made RecBole's
penalty most of the loss (2.061 -> 1.481 against the criterion 1.546); RecBole's Xavier-normal init replaced it.
The ReZero LM's sequences were 32 tokens at first (6.6 s a seed). Written, measured and dropped: the ReZero LM with
every ``resweight`` started at 1 instead of 0, no LayerNorm (it learned: 4.616 -> 1.149 and 4.768 -> 1.179), CDAE 30
ReLU or 30 sigmoid hidden layers deep (0.887 -> 0.464 and 0.888 -> 0.455; 0.906 -> 0.461 and 0.881 -> 0.451), CDAE
with every weight N(0, 1) (34.62 -> 16.64 and 30.14 -> 14.67, learned by its first-loss criterion) and with the
penalty weight 10 (193.0 -> 9.105 and 195.9 -> 10.61, the same), CosFace at SGD lr 10 (36.09 -> 3.240 and 37.99 ->
9.082 with weights x397 and x483: learned by the LMCL chance, though not by ``ln 10``, which CosFace compared with
at first), and the planar flow at Adam lr 1 (18.51 -> 4.390 and 19.26 -> 3.679) and at init std 3 (215.0 -> 12.07 at
seed 0, non-finite at step 92 at seed 1), both measured against the first loss before the identity flow's 2.70
became its reference, and not measured again (the lr and init causes had their cases). RotNet at SGD lr 5 failed
(1.450 -> 1.386 and 1.446 -> 1.386, above twice its first at step 1) and was left out so that lr would not have six
cases. Adam's betas swapped was tried on three other models: the Nested LSTM failed (1.392 -> 1.776 and 1.411 ->
1.317, weights x3.7 and x52; the slip went to the LNN to spread the batch over the architectures), CDAE learned
(0.916 -> 0.552 and 0.899 -> 0.559) and so did the planar flow (18.51 -> -0.104 and 19.26 -> 0.502). No
activation, depth, recurrence, normalization, regularization or data slip was written: the commons outnumber the
slips (12 to 4). The planar flow and CDAE have one broken case each; FAGCN has three.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh42_builders as F

P = functools.partial
HALF = "fresh42"
#: chance losses: 64 tokens (the ReZero LM), four classes (the Nested LSTM's series, FAGCN's nodes, RotNet's
#: rotations); CosFace's large margin cosine loss at equal cosines, ``ln(1 + 9 exp(64 * 0.35))``; the LNN's mean
#: square of the accelerations (predicting zero: ``1/2 + pi^2/6 + 4/pi`` for these states); the planar flow's free
#: energy with the identity map (the base density itself, 2.70 by 2e6 samples); CDAE has none (its first loss)
LM, C4 = math.log(64), math.log(4)
LMCL = math.log(1 + 9 * math.exp(64 * 0.35))
ACC = 0.5 + math.pi ** 2 / 6 + 4 / math.pi
FLOW0 = 2.70
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH42_HEALTHY: list[Case] = [
    _h("rezero_markov_lm", HALF, "rezero", F.rezero, LM),
    _h("nested_lstm_marked_series", HALF, "nested_lstm", F.nested_lstm, C4),
    _h("fagcn_heterophilous_nodes", HALF, "fagcn", F.fagcn, C4),
    _h("cdae_implicit_feedback", HALF, "cdae", F.cdae, None),
    _h("planar_flow_ring_energy", HALF, "planar_flow", F.planar_flow, FLOW0),
    _h("lnn_coupled_pendulums", HALF, "lnn", F.lnn, ACC),
    _h("rotnet_rotations", HALF, "rotnet", F.rotnet, C4),
    _h("cosface_identities", HALF, "cosface", F.cosface, LMCL),
]

FRESH42_BROKEN: list[Case] = [
    # init
    _b("rezero_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.rezero, init_std=1.0), LM),
    _b("planar_flow_init_std_10", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.planar_flow, init_std=10.0), FLOW0),
    # activation
    _b("lnn_relu", HALF, ("activation",), VANISH, STUCK,  # kind: common
       P(F.lnn, act="relu"), ACC),
    # depth
    _b("cosface_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.cosface, layers=30), LMCL),
    # recurrence
    _b("nested_lstm_forget_bias_minus_5", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.nested_lstm, forget_bias=-5.0), C4),
    # lr
    _b("fagcn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fagcn, lr=1.0), C4),
    _b("cdae_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.cdae, lr=1.0), None),
    _b("rezero_adamw_group_from_exhausted_generator", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.rezero, exhausted=True), LM),
    _b("nested_lstm_warmup_stepped_on_loss", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.nested_lstm, warmup=100, step_on_loss=True), C4),
    _b("lnn_adam_betas_swapped", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.lnn, betas=(0.999, 0.9)), ACC),
    # normalization
    _b("rotnet_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.rotnet, bn=False), C4),
    # regularization
    _b("fagcn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.fagcn, weight_decay=1.0), C4),
    _b("rotnet_sgd_weight_decay_0.5", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.rotnet, weight_decay=0.5), C4),
    # data
    _b("cosface_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.cosface, shuffled=True), LMCL),
    # numeric
    _b("fagcn_unclamped_degrees_with_isolated_nodes", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.fagcn, clamp_degrees=False), C4),
    _b("rezero_grad_norm_hooks_without_eps", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.rezero, grad_norm_hooks=True), LM),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "rezero_init_std_1": "common", "planar_flow_init_std_10": "common", "lnn_relu": "common",
    "cosface_30_layers_default_init": "common", "nested_lstm_forget_bias_minus_5": "common",
    "fagcn_adam_lr1": "common", "cdae_adam_lr1": "common", "rezero_adamw_group_from_exhausted_generator": "slip",
    "nested_lstm_warmup_stepped_on_loss": "slip", "lnn_adam_betas_swapped": "slip",
    "rotnet_without_batchnorm": "common", "fagcn_adam_weight_decay_1": "common",
    "rotnet_sgd_weight_decay_0.5": "common", "cosface_labels_shuffled": "common",
    "fagcn_unclamped_degrees_with_isolated_nodes": "common", "rezero_grad_norm_hooks_without_eps": "slip",
}

#: the cases (half "fresh42")
FRESH42: list[Case] = FRESH42_HEALTHY + FRESH42_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "rezero_init_std_1": F.rezero,
    "planar_flow_init_std_10": F.planar_flow,
    "lnn_relu": F.lnn,
    "cosface_30_layers_default_init": F.cosface,
    "nested_lstm_forget_bias_minus_5": F.nested_lstm,
    "fagcn_adam_lr1": F.fagcn,
    "cdae_adam_lr1": F.cdae,
    "rezero_adamw_group_from_exhausted_generator": F.rezero,
    "nested_lstm_warmup_stepped_on_loss": P(F.nested_lstm, warmup=100),
    "lnn_adam_betas_swapped": F.lnn,
    "rotnet_without_batchnorm": F.rotnet,
    "fagcn_adam_weight_decay_1": F.fagcn,
    "rotnet_sgd_weight_decay_0.5": F.rotnet,
    "cosface_labels_shuffled": F.cosface,
    "fagcn_unclamped_degrees_with_isolated_nodes": F.fagcn,
    "rezero_grad_norm_hooks_without_eps": F.rezero,
}
