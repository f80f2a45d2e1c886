"""The seventy-second held-out batch (half ``"fresh71"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, over time-series forecasting, system identification and state estimation,
tabular data and small vision models; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 710_000 + seed, the models' init from ``torch.manual_seed(710_000 + seed)``):
PatchMixer (Gong, Tang and Liang 2023, narrowed: RevIN, patches of 16 with stride 8 over a 96-step window embedded to
64, two PatchMixer layers (a depthwise convolution of kernel 8 across the patches with GELU and BatchNorm in a
residual, a 1x1 convolution with GELU and BatchNorm), the dual linear-plus-MLP head, dropout 0.2 on the patch
embeddings; PyTorch's default init; MSE, Adam lr 1e-3 without the reference's schedule) forecasting 24 steps of
seasonal series (a level N(0, 2^2), a trend, waves of periods 12, 24 and 48, noise 0.1), FilterNet's PaiFilter (Yi
et al. 2024: RevIN, a learnable complex frequency filter at the reference's ``0.02 * randn`` between an rFFT and its
inverse, ``Linear(96, 256)``, LeakyReLU, ``Linear(256, 24)``, RevIN undone; MSE, Adam lr 1e-3, set here) on the same
series, dynoNet (Forgione and Piga 2021: the Wiener-Hammerstein layout of its reference code, ``G1`` a 1 -> 8 MIMO
IIR operator with ``n_b = n_a = 3``, a static tanh layer 8-16-8, ``G2`` 8 -> 1, every coefficient uniform in [-0.01,
0.01] as the reference; MSE of the simulated output, Adam lr 0.01, set here) identifying a Wiener-Hammerstein system
from 128-step records, KalmanNet (Revach et al. 2022, its first architecture narrowed: the known linear model
predicts, the four difference features L2-normalised through a Linear of 64 with ReLU, a GRU cell of 64 and a Linear
to the 2x1 Kalman gain; PyTorch's default init; MSE of the state estimates, Adam lr 1e-3, weight decay 1e-4) tracking
a damped rotation in the plane observed through one noisy coordinate over 16 steps, ExcelFormer (Chen et al. 2023,
narrowed: the features in mutual-information order, per-feature gated embeddings of 32, two pre-LayerNorm layers of
semi-permeable attention (4 heads, each feature attends to itself and the more informative ones) and the gated AiuM
feed-forward, the feature-reducing Linear, PReLU, LayerNorm and head; cross-entropy, AdamW lr 1e-3 weight decay 0, set
here) classifying 16-feature rows labelled by a fixed tanh teacher (4 classes), SqueezeNext (Gholami et al. 2018,
narrowed: a 3x3 stem of 32, two stages of two blocks (1x1 to C/2, 1x1 to C/4, 3x1, 1x3, 1x1 back, BatchNorm and ReLU
each, residual) at 32 and 64 channels, a 1x1 expansion to 128; Kaiming-normal; SGD lr 0.1, momentum 0.9, weight decay
1e-4, the CIFAR settings of its reference ports), ShiftResNet (Wu et al. 2018: the CIFAR ShiftResNet-20 layout, three
stages of two CSC blocks (1x1 expansion by 3, BatchNorm, ReLU, the 9-direction shift, 1x1, BatchNorm, residual) of
16, 32 and 64 channels; Kaiming-normal; SGD at the paper's CIFAR lr 0.1, momentum 0.9, weight decay 5e-4) and PP-LCNet
(Cui et al. 2021, scale 0.5: a stem of 16 and DepSepConv blocks (depthwise 3x3 or 5x5, BatchNorm, h-swish,
squeeze-excite in the last, pointwise, BatchNorm, h-swish) 16-32-32-64-64-128, the late 1x1 convolution to 256 with
h-swish and dropout 0.2; Kaiming-normal; SGD lr 0.1 (the paper's 0.8 at batch 2048 scaled down), momentum 0.9, the
paper's weight decay 3e-5), the three on 12x12 class-template images (10 classes, batch 16).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every ExcelFormer Linear and embedding
  weight drawn N(0, 1), and every ShiftResNet convolution and its Linear initialised to zero (init), dynoNet's static
  layer's tanh biases at 20 (every unit saturated; activation), PaiFilter's feed-forward 30 hidden layers deep at
  PyTorch's default init (depth), dynoNet's ``G1`` denominators started at ``(-1.5, 0, 0)``, an unstable pole at 1.5
  (the state grows 1.5x a step over 128 steps; the tanh layer after it saturates; recurrence), PatchMixer at Adam lr
  1, SqueezeNext at SGD lr 10 and KalmanNet at Adam lr 1 (lr), PaiFilter with RevIN's inverse left out (the forecast
  stays in the normalised scale while the targets are raw, the series' levels lost; normalization), PP-LCNet at SGD
  ``weight_decay=0.5`` (regularization), ExcelFormer's labels and PatchMixer's targets permuted within every batch,
  apart from their inputs (data), and PaiFilter's RevIN without its ``eps`` on batches holding four flat series (a
  stuck sensor: ``0 / 0``; numeric);
- **slip** (a user's mistake in regularisation code, of kinds no earlier batch used): stochastic depth added to
  ShiftResNet with the linear decay rule at ``drop_path_rate=0.2`` whose survival probabilities ``1 - l / 6 * 0.2``
  are handed to a ``drop_path`` that takes drop rates (97% down to 80% of every block's branches dropped, the kept
  ones scaled 30x to 5x), a sparse-autoencoder KL sparsity penalty (rho 0.05, weight 0.1), a formula for units in (0,
  1), put on dynoNet's tanh units without UFLDL's ``(1 + h) / 2`` (a unit whose batch mean is negative gives the log
  of a negative number), and KalmanNet's weight decay 1e-4 taken out of Adam into the user's loop and written
  ``p.grad = 1e-4 * p`` where ``p.grad += 1e-4 * p`` belongs (the data gradient replaced by the decay term; Adam
  scales it into steps of the lr towards zero). All three slips are regularization ones (the second with numeric as a
  second cause); earlier batches' regularisation slips (keep probabilities for ``p``, smoothing 0.9, decay values in
  the wrong unit or slot, penalties summed where a mean belongs, dropout rescaled by ``/ p``, regularisers writing
  through ``.data``, dropout in loops or on carried states, swapped mixup weights) are not repeated.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1: the healthy builds, but ShiftResNet with stochastic depth's drop rates ``l / 6 * 0.2`` handed over, dynoNet
with the KL penalty on ``(1 + h) / 2``, KalmanNet with the loop's decay added to the gradient, and PaiFilter with
RevIN's ``eps`` on the batches with flat series.

Learning criteria: ExcelFormer compares with chance over 4 classes, the three vision models over 10; KalmanNet with
the loss of the zero estimate (``ZERO_ESTIMATE``, 0.9: the tracks' mean squared state is 0.919 and 0.901 at seeds 0
and 1; its first loss at seed 0, 4.88, is an untrained gain amplifying the innovations, far above that); PatchMixer,
PaiFilter and dynoNet with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): PatchMixer 1.428 ->
0.0517 and 1.440 -> 0.0576; PaiFilter 1.020 -> 0.0131 and 1.120 -> 0.0136; dynoNet 0.452 -> 0.0021 and 0.466 ->
9.5e-4; KalmanNet 4.880 -> 0.210 and 0.902 -> 0.165 (the criterion 0.675); ExcelFormer 1.373 -> 0.473 and 1.458 ->
0.491; SqueezeNext 2.340 -> 2.9e-3 and 2.268 -> 2.3e-3; ShiftResNet 2.532 -> 7.5e-4 and 2.422 -> 1.2e-3; PP-LCNet
2.273 -> 0.0608 and 2.294 -> 0.0311. Broken: ``excelformer_init_std_1`` 5.951 -> 1.451 and 6.260 -> 1.438 (no
divergence; the criterion 1.040); ``shiftresnet_zero_init`` 2.303 -> 2.302 and 2.303 -> 2.310;
``dynonet_tanh_biases_20`` 0.452 -> 0.464 and 0.470 -> 0.461; ``filternet_30_hidden_layers_default_init`` 1.023 ->
1.127 and 1.118 -> 1.186; ``dynonet_unstable_pole_1.5`` stays finite and stuck, 0.454 -> 0.442 and 0.464 -> 0.419;
``patchmixer_adam_lr1`` diverges at step 1 at both seeds (ends 3058 and 4712; weights x107 and x105);
``squeezenext_sgd_lr10`` diverges at step 1 at both seeds (ends 8.15 and 7.23; weights x32 and x161);
``kalmannet_adam_lr1`` is non-finite at step 1 at seed 0 and diverges at step 1 at seed 1 (ends 1.8e23; weights x57);
``filternet_revin_not_undone`` 4.087 -> 3.858 and 3.783 -> 4.258 (the per-batch loss passes twice the first at steps
4 and 1, from the batches' levels, not a divergence: the trouble is no learning); ``pp_lcnet_sgd_weight_decay_0.5``
2.273 -> 2.304 and 2.294 -> 2.300; ``shiftresnet_survival_probs_as_drop_rates`` diverges at steps 5 and 4 and ends at
chance, 2.444 -> 2.295 and 2.811 -> 2.312; ``dynonet_kl_sparsity_on_tanh_units`` is non-finite at step 0 at both
seeds (the loss itself); ``kalmannet_loop_decay_assigned_to_grad`` 4.880 -> 0.900 and 0.902 -> 0.887 (the zero
estimate: the gain network's weights driven to 0); ``excelformer_labels_shuffled`` 1.437 -> 1.321 and 1.466 ->
1.324; ``patchmixer_targets_shuffled`` 5.160 -> 9.408 and 5.635 -> 9.449; ``filternet_revin_without_eps_flat_series``
is non-finite at step 0 at both seeds. Controls: ShiftResNet with the drop rates 2.598 -> 0.0287 and 2.489 ->
0.0252; dynoNet with the shifted KL penalty 1.287 -> 0.0743 and 1.228 -> 0.0939; KalmanNet with the loop's decay
added, as the healthy one (4.880 -> 0.210 and 0.902 -> 0.165); PaiFilter with ``eps`` on the flat series 0.950 ->
0.0115 and 1.050 -> 0.0119. A seed runs in 0.2 s (PaiFilter) to 11 s (dynoNet's recursion, ShiftResNet) on a
2-core machine shared with other work (dynoNet 3.9 s, SqueezeNext and ShiftResNet about 3-5 s when it was quiet).

Dropped or changed before the freeze (every figure above is from the final code): a fourth slip, a double-backprop
input-gradient penalty (Drucker and LeCun 1992) with its sign flipped, did not survive: on ExcelFormer (with the
per-row gradient under-scaled by the batch as first written) it learned (1.372 -> 0.469 at seed 0) and took 14 s a
seed; on PaiFilter it learned at -0.1 and -1 (1.018 -> 0.0130, 1.004 -> 0.0121: a forecaster's per-series input
gradient shrinks with its residual); on PP-LCNet PyTorch has no double backward for ``hardsigmoid``. A fifth, the
patch dropout moved onto PatchMixer's raw window before RevIN, learned (1.623 -> 0.240 at seed 0). KalmanNet at
Adam weight decay 1 learned (7.316 -> 0.265, on 24-step tracks), so the regularization common is PP-LCNet's. The
normalization common was first the BatchNorms removed: ShiftResNet without them learned at 16x16 (2.474 -> 1.277)
and at 12x12 went non-finite at step 101 at seed 0 but learned at seed 1 (2.528 -> 1.539); SqueezeNext without them
learned (2.433 -> 0.160 and 2.365 -> 0.243); PP-LCNet without them went non-finite at seed 0 and learned at seed 1
(2.302 -> 1.508), and at lr 0.2, where it fails at both seeds, the healthy PP-LCNet did not learn either (2.273 ->
3.557); KalmanNet with its features fed without ``F.normalize`` learned (5.06 -> 0.194 and 1.051 -> 0.164). It is
now RevIN's missing inverse. The stochastic-depth slip was first at Huang et al.'s ``p_L = 0.5`` (0.92 down to 0.5
dropped): at 12x12 seed 0 learned (2.863 -> 1.471); it uses ``drop_path_rate=0.2`` now. The images were 16x16 in
batches of 32 at first (ShiftResNet 7.8 s and SqueezeNext 6.5 s a seed); they are 12x12 in batches of 16. KalmanNet's
tracks were 24 steps long; at 16 the criterion became the zero estimate's loss, since the decay slip's collapse to
the zero estimate (0.900) passes a criterion against the first loss (4.88 x 0.75 at seed 0). The commons outnumber the
slips (13 to 3).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh71_builders as F

P = functools.partial
HALF = "fresh71"
#: chance losses: four classes (ExcelFormer's rows), ten (the images of SqueezeNext, ShiftResNet and PP-LCNet);
#: KalmanNet compares with the loss of the zero estimate (``x_hat = 0``: the mean squared state, 0.919 and 0.901 on
#: the tracks at seeds 0 and 1); PatchMixer, PaiFilter and dynoNet have none (their first loss is the reference)
C4, C10, ZERO_ESTIMATE = math.log(4), math.log(10), 0.9
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH71_HEALTHY: list[Case] = [
    _h("patchmixer_seasonal_forecast", HALF, "patchmixer", F.patchmixer, None),
    _h("filternet_paifilter_seasonal_forecast", HALF, "filternet", F.filternet, None),
    _h("dynonet_wiener_hammerstein", HALF, "dynonet", F.dynonet, None),
    _h("kalmannet_rotation_tracks", HALF, "kalmannet", F.kalmannet, ZERO_ESTIMATE),
    _h("excelformer_tabular", HALF, "excelformer", F.excelformer, C4),
    _h("squeezenext_images", HALF, "squeezenext", F.squeezenext, C10),
    _h("shiftresnet_images", HALF, "shiftnet", F.shiftnet, C10),
    _h("pp_lcnet_images", HALF, "pp_lcnet", F.lcnet, C10),
]

FRESH71_BROKEN: list[Case] = [
    # init
    _b("excelformer_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.excelformer, init_std=1.0), C4),
    _b("shiftresnet_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.shiftnet, zero_init=True), C10),
    # activation
    _b("dynonet_tanh_biases_20", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.dynonet, tanh_bias=20.0), None),
    # depth
    _b("filternet_30_hidden_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.filternet, hidden_layers=30), None),
    # recurrence
    _b("dynonet_unstable_pole_1.5", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.dynonet, a_init=(-1.5, 0.0, 0.0)), None),
    # lr
    _b("patchmixer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.patchmixer, lr=1.0), None),
    _b("squeezenext_sgd_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.squeezenext, lr=10.0), C10),
    _b("kalmannet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.kalmannet, lr=1.0), ZERO_ESTIMATE),
    # normalization
    _b("filternet_revin_not_undone", HALF, ("normalization",), VANISH, STUCK,  # kind: common
       P(F.filternet, denorm=False), None),
    # regularization
    _b("pp_lcnet_sgd_weight_decay_0.5", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.lcnet, weight_decay=0.5), C10),
    _b("shiftresnet_survival_probs_as_drop_rates", HALF, ("regularization",), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.shiftnet, depth_drop="survival"), C10),
    _b("dynonet_kl_sparsity_on_tanh_units", HALF, ("regularization", "numeric"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.dynonet, sparsity="tanh"), None),
    _b("kalmannet_loop_decay_assigned_to_grad", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.kalmannet, loop_decay="assign"), ZERO_ESTIMATE),
    # data
    _b("excelformer_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.excelformer, shuffled=True), C4),
    _b("patchmixer_targets_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.patchmixer, shuffled=True), None),
    # numeric
    _b("filternet_revin_without_eps_flat_series", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.filternet, eps=0.0, flat=4), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "excelformer_init_std_1": "common", "shiftresnet_zero_init": "common", "dynonet_tanh_biases_20": "common",
    "filternet_30_hidden_layers_default_init": "common", "dynonet_unstable_pole_1.5": "common",
    "patchmixer_adam_lr1": "common", "squeezenext_sgd_lr10": "common", "kalmannet_adam_lr1": "common",
    "filternet_revin_not_undone": "common", "pp_lcnet_sgd_weight_decay_0.5": "common",
    "shiftresnet_survival_probs_as_drop_rates": "slip", "dynonet_kl_sparsity_on_tanh_units": "slip",
    "kalmannet_loop_decay_assigned_to_grad": "slip", "excelformer_labels_shuffled": "common",
    "patchmixer_targets_shuffled": "common", "filternet_revin_without_eps_flat_series": "common",
}

#: the cases (half "fresh71")
FRESH71: list[Case] = FRESH71_HEALTHY + FRESH71_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "excelformer_init_std_1": F.excelformer,
    "shiftresnet_zero_init": F.shiftnet,
    "dynonet_tanh_biases_20": F.dynonet,
    "filternet_30_hidden_layers_default_init": F.filternet,
    "dynonet_unstable_pole_1.5": F.dynonet,
    "patchmixer_adam_lr1": F.patchmixer,
    "squeezenext_sgd_lr10": F.squeezenext,
    "kalmannet_adam_lr1": F.kalmannet,
    "filternet_revin_not_undone": F.filternet,
    "pp_lcnet_sgd_weight_decay_0.5": F.lcnet,
    "shiftresnet_survival_probs_as_drop_rates": P(F.shiftnet, depth_drop="rates"),
    "dynonet_kl_sparsity_on_tanh_units": P(F.dynonet, sparsity="shifted"),
    "kalmannet_loop_decay_assigned_to_grad": P(F.kalmannet, loop_decay="add"),
    "excelformer_labels_shuffled": F.excelformer,
    "patchmixer_targets_shuffled": F.patchmixer,
    "filternet_revin_without_eps_flat_series": P(F.filternet, flat=4),
}
