"""The twenty-second held-out batch (issue 12, the nineteenth session's): models new to the corpus, all
held-out (half ``"fresh21"``).

Written and its labels checked in plain PyTorch (seeds 0 and 1) by someone who never read gradguard's diagnosis or
detector rules, frozen (committed) before gradguard's judgment was ever run on any of these cases, then scored
(``benchmarks/judgment_table.py --half fresh21``). Nothing here is tuned on: no case is ever moved to the development
half, and the rules are never changed by looking at these cases' results.

Healthy: hand-built: CCT (a convolutional tokenizer, two pre-LN encoder layers, sequence pooling; AdamW 5.5e-4 weight
decay 3e-2 and label smoothing 0.1 as the paper's CIFAR setting, its warm-up and cosine decay left out) on template
images, DiracNet (plain BN-ReLU-conv stacks whose 3x3 kernels are ``diag(a) I + diag(b) W_norm``, a = 1 and b = 0.1 at
init; SGD momentum 0.9 weight decay 5e-4 at the paper's lr 0.1 for batch 128 scaled by the linear scaling rule to batch
32, 0.025) on template images, the Legendre Memory Unit (order 16, window 32, zero-order-hold discretisation, the
paper's initialisers; Adam at its default 1e-3) on series whose class is in the first four values, AntisymmetricRNN
(``h + eps tanh((W - W^T - gamma I) h + V x + b)``, eps 1 and gamma 0.01 from the paper's grids; Adam 1e-3, as at eps
0.1 it had not learned: 1.396 -> 1.26 at seed 0, the criterion 1.04) on sequences labelled by their first token,
R-GCN (featureless nodes, two layers of 16, two bases, inverse relations; Adam 0.01 with the L2 penalty 5e-4 on the
first layer, as the paper) on a multi-relational graph, LightGCN (64-dim embeddings N(0, 0.1^2), three propagation
layers, BPR plus the batch embedding penalty 1e-4; Adam 1e-3, all as the reference code) on grouped implicit
feedback, DeepFM (shared embeddings of 10, 200-200-200 ReLU with dropout 0.5; Adam at lr 1e-2, as 1e-3 and 3e-3 had
not learned on an earlier version of the logs with log-normal counts: 0.803 -> 0.627 and 0.742 -> 0.620, and 0.584
and 0.560, the criterion 0.520) on click logs with count features, MAF (five one-hidden-layer MADEs with reversed
orders and batch-norm layers; Adam 1e-4 with L2 1e-6 and batch 100 as the paper) on logit-transformed 6-d points
with strong non-linear dependencies, C51 (51 atoms on [-10, 10]; Adam 2.5e-4 eps 0.01/32 as the paper) on a logged
contextual bandit with noisy rewards, the x-vector TDNN (five affine-ReLU-BatchNorm frame layers, statistics pooling
with eps 1e-5 under the square root, two segment layers; Adam 1e-3 as SpeechBrain's recipe) on speakers' frame
features, DeepONet (ReLU branch and trunk MLPs 64-64-64, Glorot-normal init; Adam 1e-3 as the paper) on the
antiderivative operator, TSMixer (RevIN, two time- and feature-mixing blocks with LayerNorm; Adam 1e-3 from the paper's
grid) on multivariate periodic windows on random levels, and a tiny DeepSeek-V3 (``transformers``: multi-head latent
attention, one dense layer then four routed sigmoid-gated experts plus a shared one; AdamW at the paper's peak lr
2.2e-4, betas (0.9, 0.95), weight decay 0.1, init std 0.006, no warm-up or decay) on the Markov language.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh20``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): CCT with every weight matrix drawn N(0, 1)
  and DeepSeek-V3 at ``initializer_range=1`` (init), every x-vector frame layer's bias and C51's hidden biases
  initialised to -10 (every ReLU dead; activation), DeepONet with 50 plain ReLU layers in the branch and the trunk
  (depth), the LMU's recurrent weights drawn N(0, 9) (recurrence), R-GCN at Adam lr 1 and LightGCN at Adam lr 10 (lr),
  DiracNet without its BatchNorms at SGD 0.1 (the paper's lr unscaled, where the BatchNorm version learns;
  normalization), the LMU fed a sensor's raw readings (times 1e4, unstandardised; data), DeepONet scored by the
  pointwise relative error ``|pred - G| / |G|`` where every function's ``G(u)(0)`` is 0, and the x-vector's pooled
  standard deviation without its eps on batches holding two silent (all-zero) clips (``sqrt(0)``'s gradient is
  infinite; both numeric), and R-GCN and C51 at Adam ``weight_decay=1`` (regularization);
- **slip** (a user's mistake of a kind no earlier batch used): the LMU's continuous-time ``(A, B)`` used as the
  step's transition, the zero-order-hold discretisation left out (spectral radius ~28; recurrence), DiracNet's linear
  scaling rule written ``0.1 * batch``, its ``/ 128`` left out (lr 3.2; lr), DiracNet left in ``eval()`` mode (a
  sanity-check evaluation before training, never switched back: every BatchNorm normalises by its initial running
  statistics; normalization), DeepFM's count features standardised and then ``log1p``-transformed, the two steps
  swapped (``log1p`` of a value below -1 is NaN; data), MAF's logit preprocessing ``logit(alpha + (1 - 2 alpha) x)``
  written without its margin alpha on min-max-scaled data (the extremes map to -inf and +inf) and DiracNet's filters
  zero-initialised (to start as the exact identity) though the Dirac parameterisation normalises them (0/0; both
  numeric), and LightGCN's embedding penalty multiplied by the batch size where the reference code divides by it
  (regularization). No init, activation or depth slip survived (see below): the commons outnumber the slips (14 to 7).
  Three of the slips live in the code around the model (the lr rule, the ``eval()`` call and the preprocessing of
  DeepFM's counts and MAF's data).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except the two normalization cases', DiracNet with its BatchNorms in training mode
at SGD 0.1 (2.287 -> 0.0031 and 2.325 -> 0.0031), the pointwise relative error's, DeepONet scored by the papers'
per-function relative L2 error (1.35 -> 0.186 and 1.08 -> 0.149), and the x-vector's, the same batches with silent
clips pooled with the eps (2.349 -> 0.138 and 2.265 -> 0.140).

Learning criteria: the classifiers compare with chance (ten, four, two and eight classes; the LM with its 64-token
vocabulary); MAF, C51, DeepONet and TSMixer compare with their first loss. Measured plain runs (seed 0, seed 1): CCT
2.31 -> 0.652 and 2.28 -> 0.639; DiracNet 2.29 -> 0.0181 and 2.33 -> 0.0180; the LMU 1.41 -> 0.0502 and 1.28 -> 0.0593;
AntisymmetricRNN 2.97 -> 0.346 and 3.60 -> 0.286; R-GCN 1.41 -> 0.0166 and 1.42 -> 0.0164; LightGCN 0.685 -> 0.303 and
0.685 -> 0.287; DeepFM 0.827 -> 0.458 and 0.751 -> 0.472 (the criterion is 0.520); MAF 5.62 -> 3.88 and 6.40 -> 3.60
(the criteria 4.22 and 4.80); C51 3.93 -> 2.71 and 3.93 -> 2.73 (the criterion 2.95); the x-vector 2.34 -> 0.0122 and
2.29 -> 0.0107; DeepONet 0.288 -> 0.0057 and 0.266 -> 0.0045; TSMixer 0.925 -> 0.0256 and 0.824 -> 0.0254; DeepSeek-V3
4.16 -> 2.41 and 4.17 -> 2.44. Broken: ``cct_init_std_1`` 11.1 -> 4.09 and 9.46 -> 3.59;
``deepseek_v3_initializer_range_1`` 18.6 -> 14.2 and 20.1 -> 14.2; ``xvector_frame_bias_minus_10`` 2.08 -> 2.07 and
2.10 -> 2.08; ``c51_hidden_dead_relu`` 3.93 -> 3.88 and 3.92 -> 3.88; ``deeponet_50_plain_layers`` 0.194 -> 0.236 and
0.219 -> 0.253; ``lmu_recurrent_normal_std_3`` 1.63 -> 1.31 and 1.39 -> 1.41; the LMU's undiscretised matrices are
non-finite at step 0 at both seeds (the state overflows); ``rgcn_adam_lr1`` and ``lightgcn_adam_lr10`` diverge at step
1 at both seeds (R-GCN ends at 437 and 246, weights x125 and x111; LightGCN at 378 and 381, weights x612 and x610);
``diracnet_lr_times_batch_without_divisor`` diverges at steps 3 and 1 (ends 2.65 and 2.50, weights x209 and x38.9);
``diracnet_without_batchnorm_sgd_lr0.1`` diverges at steps 120 and 89, non-finite at 133 and 92;
``diracnet_batchnorm_left_in_eval_mode`` 2.33 -> 2.31 and 2.29 -> 2.19 (divergence steps at 32 and 30);
``lmu_series_in_raw_units`` 1.50 -> 1.36 and 1.30 -> 1.06 (the criterion 0.973 at seed 1); DeepFM's
standardised-then-logged counts, DeepONet's pointwise relative error, the x-vector's std without eps and DiracNet's
zero filters are non-finite at step 0 at both seeds, MAF's logit without alpha at steps 2 and 0;
``rgcn_adam_weight_decay_1`` 1.41 -> 1.39 and 1.42 -> 1.39; ``c51_adam_weight_decay_1`` 3.93 -> 3.92 at both seeds;
``lightgcn_penalty_multiplied_by_batch`` 7.04 -> 1.12 and 6.94 -> 1.12 against the criterion 0.520 (chance ln 2).

Dropped before the freeze (seed 0, and seed 1 where run): DeepONet with the Glorot std written by hand as ``sqrt((fan_in
+ fan_out) / 2)`` (the init slip: 4.4e19 -> 4.8e18, learned by the first-loss criterion) and the LMU's input and
memory weights so initialised (1.73 -> 0.714 and 1.28 -> 0.745), the LMU's discretisation written with an elementwise
``torch.exp`` where ``torch.matrix_exp`` belongs (1.13 -> 0.708 against 0.847), AntisymmetricRNN's matrix written ``W
+ W^T`` (11.3 -> 0.535), DeepFM's hidden biases at -10 (0.798 -> 0.486 on the earlier logs: the FM part learns
alone), DeepONet with 30 plain layers (0.194 -> 0.0885), R-GCN with 16 and 30 layers (1.40 -> 0.0024 and 0.0063; 1.40
-> 0.0014 and 0.0077), C51 with 24 and 40 plain ReLU layers (3.94 -> 2.87 and 3.92 -> 2.90; 3.92 -> 2.87 and 3.93 ->
2.89, under the criteria 2.95 and 2.94: its output biases learn the rewards' marginal distribution), CCT at AdamW lr
0.1 (2.31 -> 1.51 and 2.28 -> 1.16: a divergence at steps 3 and 2, then it learns), CCT on pixels in 0-255 (2.31 ->
1.37 and 2.28 -> 1.32), DeepONet's sensor readings in millivolts (6.4e4 -> 47.7) and C51's observations times 1000
(186 -> 22.6: both learn by the first-loss criterion), TSMixer with every weight matrix N(0, 1) (6307 -> 921: RevIN
and the first-loss criterion), DiracNet without BatchNorms and left in ``eval()`` mode at the scaled lr 0.025 (2.33 ->
0.00057 and 2.33 -> 0.458: both kept at the unscaled 0.1), the LMU's readings times 1000 (1.50 -> 1.17 and 1.30 ->
1.01 against 0.972: too close; times 1e4 kept), and DeepFM's swapped preprocessing on the earlier log-normal counts
(0.818 -> 0.449: a standardised log-normal count is never below -1; the counts were made Poisson). MAF was first run
at Adam 1e-3 (5.62 -> -0.819); the paper's 1e-4 learns and was kept. DeepSeek-V3 was first run at lr 1e-3 (4.16 ->
1.19 and 4.17 -> 1.24; its init case 18.6 -> 7.05 and 20.1 -> 7.11); the paper's 2.2e-4 learns and was kept.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh21_builders as F

P = functools.partial
HALF = "fresh21"
#: chance losses: ten, four, two, eight classes and the 64-token vocabulary; MAF, C51, DeepONet and TSMixer have
#: none (their first loss is the reference)
C10, C4, C2, C8, LM = math.log(10), math.log(4), math.log(2), math.log(8), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH21_HEALTHY: list[Case] = [
    _h("cct_classifier", HALF, "cct", F.cct, C10),
    _h("diracnet_classifier", HALF, "diracnet", F.diracnet, C10),
    _h("lmu_level_series", HALF, "lmu", F.lmu, C4),
    _h("antisymmetric_rnn_first_token", HALF, "antisymmetric_rnn", F.antisymmetric, C4),
    _h("rgcn_entity_classification", HALF, "rgcn", F.rgcn, C4),
    _h("lightgcn_implicit_feedback", HALF, "lightgcn", F.lightgcn, C2),
    _h("deepfm_clicks", HALF, "deepfm", F.deepfm, C2),
    _h("maf_density", HALF, "maf", F.maf, None),
    _h("c51_logged_bandit", HALF, "c51", F.c51, None),
    _h("xvector_speakers", HALF, "xvector", F.xvector, C8),
    _h("deeponet_antiderivative", HALF, "deeponet", F.deeponet, None),
    _h("tsmixer_forecaster", HALF, "tsmixer", F.tsmixer, None),
    _h("deepseek_v3_lm", HALF, "deepseek_v3", F.deepseek_v3, LM),
]

FRESH21_BROKEN: list[Case] = [
    # init
    _b("cct_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.cct, init_std=1.0), C10),
    _b("deepseek_v3_initializer_range_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.deepseek_v3, initializer_range=1.0), LM),
    # activation
    _b("xvector_frame_bias_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.xvector, conv_bias=-10.0), C8),
    _b("c51_hidden_dead_relu", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.c51, hidden_bias=-10.0), None),
    # depth
    _b("deeponet_50_plain_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.deeponet, depth=50), None),
    # recurrence
    _b("lmu_recurrent_normal_std_3", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.lmu, recurrent_std=3.0), C4),
    _b("lmu_continuous_matrices_not_discretised", HALF, ("recurrence",), EXPLODE, DIVERGE,  # kind: slip
       P(F.lmu, discretise=False), C4),
    # lr
    _b("rgcn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.rgcn, lr=1.0), C4),
    _b("lightgcn_adam_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.lightgcn, lr=10.0), C2),
    _b("diracnet_lr_times_batch_without_divisor", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: slip
       P(F.diracnet, lr_rule="times_batch"), C10),
    # normalization
    _b("diracnet_without_batchnorm_sgd_lr0.1", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.diracnet, bn=False, lr_rule="unscaled"), C10),
    _b("diracnet_batchnorm_left_in_eval_mode", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.diracnet, bn_eval=True, lr_rule="unscaled"), C10),
    # data
    _b("lmu_series_in_raw_units", HALF, ("data",), BOTH, STUCK,  # kind: common
       P(F.lmu, scale=1e4), C4),
    _b("deepfm_counts_standardised_then_logged", HALF, ("data", "numeric"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.deepfm, order="standardise_then_log"), C2),
    # numeric
    _b("deeponet_pointwise_relative_error", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.deeponet, loss="pointwise"), None),
    _b("xvector_std_without_eps_silent_clips", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.xvector, std_eps=0.0, silent=2), C8),
    _b("maf_logit_transform_without_alpha", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.maf, alpha=0.0), None),
    _b("diracnet_zero_filters_normalised", HALF, ("numeric", "init"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.diracnet, zero_filters=True), C10),
    # regularization
    _b("rgcn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.rgcn, weight_decay=1.0), C4),
    _b("c51_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.c51, weight_decay=1.0), None),
    _b("lightgcn_penalty_multiplied_by_batch", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.lightgcn, batch_scaled=True), C2),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "cct_init_std_1": "common", "deepseek_v3_initializer_range_1": "common",
    "xvector_frame_bias_minus_10": "common", "c51_hidden_dead_relu": "common",
    "deeponet_50_plain_layers": "common",
    "lmu_recurrent_normal_std_3": "common", "lmu_continuous_matrices_not_discretised": "slip",
    "rgcn_adam_lr1": "common", "lightgcn_adam_lr10": "common", "diracnet_lr_times_batch_without_divisor": "slip",
    "diracnet_without_batchnorm_sgd_lr0.1": "common", "diracnet_batchnorm_left_in_eval_mode": "slip",
    "lmu_series_in_raw_units": "common", "deepfm_counts_standardised_then_logged": "slip",
    "deeponet_pointwise_relative_error": "common", "xvector_std_without_eps_silent_clips": "common",
    "maf_logit_transform_without_alpha": "slip", "diracnet_zero_filters_normalised": "slip",
    "rgcn_adam_weight_decay_1": "common", "c51_adam_weight_decay_1": "common",
    "lightgcn_penalty_multiplied_by_batch": "slip",
}

#: the cases (half "fresh21")
FRESH21: list[Case] = FRESH21_HEALTHY + FRESH21_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "cct_init_std_1": F.cct,
    "deepseek_v3_initializer_range_1": F.deepseek_v3,
    "xvector_frame_bias_minus_10": F.xvector,
    "c51_hidden_dead_relu": F.c51,
    "deeponet_50_plain_layers": F.deeponet,
    "lmu_recurrent_normal_std_3": F.lmu,
    "lmu_continuous_matrices_not_discretised": F.lmu,
    "rgcn_adam_lr1": F.rgcn,
    "lightgcn_adam_lr10": F.lightgcn,
    "diracnet_lr_times_batch_without_divisor": F.diracnet,
    "diracnet_without_batchnorm_sgd_lr0.1": P(F.diracnet, lr_rule="unscaled"),
    "diracnet_batchnorm_left_in_eval_mode": P(F.diracnet, lr_rule="unscaled"),
    "lmu_series_in_raw_units": F.lmu,
    "deepfm_counts_standardised_then_logged": F.deepfm,
    "deeponet_pointwise_relative_error": P(F.deeponet, loss="relative_l2"),
    "xvector_std_without_eps_silent_clips": P(F.xvector, silent=2),
    "maf_logit_transform_without_alpha": F.maf,
    "diracnet_zero_filters_normalised": F.diracnet,
    "rgcn_adam_weight_decay_1": F.rgcn,
    "c51_adam_weight_decay_1": F.c51,
    "lightgcn_penalty_multiplied_by_batch": F.lightgcn,
}
