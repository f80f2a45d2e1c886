"""The hundred-and-fifth held-out batch (half ``"fresh104"``): eight published generative, self-supervised,
time-series and scientific models new to the corpus at their usual settings, and fifteen broken variants with one real
fault each, written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is
only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 1_040_000 + seed): NVIL (Mnih & Gregor 2014, narrowed: a sigmoid belief network of
16 binary latents with a learned factorised prior, a tanh MLP decoder of 64 and a tanh MLP inference network, the
decoder trained by the gradient of ``L = log p(x, h) - log q(h | x)`` and the inference network by the score-function
estimator with the paper's variance reduction: an input-dependent baseline (a tanh MLP of 64 fitted by the squared
error), the running mean ``c`` and the division by ``max(1, sqrt(v))``, both moving averages at ``alpha = 0.8``; the
loss's value the negative ELBO, the score and baseline terms entering as ``t - t.detach()``; Adam at lr 1e-2, set here,
for 400 steps) on 64-bit vectors from ten prototypes with 5% of the bits flipped (batch 64); CSDI (Tashiro et al.
2021, narrowed: 32 channels, two residual layers of a temporal and a feature Transformer layer, the diffusion-step
embedding, side information of time and feature embeddings and the conditional mask, the gated activation, the
zero-initialised output projection, the quadratic schedule of 50 steps to 0.5, the random target strategy; the noise's
squared error on the targets; Adam at the reference lr 1e-3, weight decay 1e-6) imputing 6-feature series of 24 steps
(two sinusoids a feature under a shared random phase, 10% missing; batch 16); DINO (Caron et al. 2021, narrowed: a
student of three conv-BatchNorm-ReLU stages (32, 64, 64) and the DINO head (a GELU MLP of 128 to an L2-normalised
bottleneck of 32 and the weight-normalised last layer to 256 prototypes, its norm fixed), the teacher its moving
average (momentum 0.99, raised from 0.996 for 200 steps) updated after each step, centring at momentum 0.9,
temperatures 0.04 and 0.1, two global views, no local crops; AdamW at lr 2e-4, about the paper's ``5e-4 x batch /
256``, and weight decay 0.04) on two views (shifts, flips, brightness, noise) of 16x16 template images (batch 32); CoST
(Woo et al. 2022, narrowed: an input Linear and three dilated residual conv blocks to 64, the trend disentangler (causal
convs of kernels 1 to 16, averaged) and the seasonal disentangler (a learnable complex map per frequency), MoCo's
InfoNCE at temperature 0.07 on the trend features at a random time step against a momentum key encoder (0.999,
updated after each step by ``torch._foreach_lerp_`` with weight ``1 - m``) and a queue of 256, plus ``alpha / 2``
times TS2Vec's instance contrast on the seasonal spectra's amplitudes and phases, ``alpha = 5e-4``; Adam at lr 1e-3,
set here) on two augmented views (scaling, shifting, jitter) of 3-channel trend-plus-seasonal series of 32 steps
(batch 32); STID (Shao et al. 2022: each sensor's window embedded to 32 with node, time-of-day and day-of-week
embeddings of 32, three residual MLP layers of 128 with dropout 0.15, a Linear to the 12 next values; the inputs
z-scored and the outputs de-normalised as BasicTS does, the MAE in readings; Adam at the paper's lr 2e-3, weight
decay 1e-5) forecasting 8 traffic-like sensors (levels 60 to 400, daily profiles, weekend dips, 5% noise; windows of
12, horizon 12, batch 32); GRU-ODE-Bayes (De Brouwer et al. 2019, narrowed: a state of 32 evolved by the GRU-ODE with
explicit Euler steps of 0.125 between observation times, read by a tanh MLP to means and log-variances, updated at
each observation by GRU-Bayes (masked observations, predictions and standardised errors through a ReLU Linear into a
GRUCell); the Gaussian NLL of the observations before each update, the KL term left out; Adam at lr 1e-3 with weight
decay 1e-4) on damped two-coordinate oscillators observed irregularly (each coordinate at each of 24 times with
probability 0.5; batch 32); CoDATS (Wilson et al. 2020, narrowed: the FCN extractor of convs 32, 64, 32 (kernels 8, 5,
3) with BatchNorm and ReLU and global pooling, a linear task classifier, a domain classifier of two ReLU layers of 64
with dropout 0.3 behind the gradient reversal layer at DANN's schedule ``2 / (1 + exp(-10 p)) - 1``, rising to 1; the
source cross-entropy plus the domain's; Adam at lr 1e-3, set here) adapting a 4-class activity classifier of 3-channel
windows of 64 steps to a target participant (rescaled, offset, 20% faster; batch 32 of each); and NIF (Pan, Brunton &
Kutz 2023: a Swish ParameterNet of ``t`` (32, 32, a linear bottleneck of 4) emitting every weight of a tanh ShapeNet
of ``x`` (16, 16); the MSE; Adam at lr 1e-2, set here) on a pulse that moves, swells, reverses and fades (all 17
snapshots, 32 random points each). NVIL and CSDI are the generative models, DINO and CoST the self-supervised ones,
STID, GRU-ODE-Bayes and CoDATS the time-series ones (CSDI and CoST also on series), GRU-ODE-Bayes and NIF the
scientific ones.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Linear and conv weight of CSDI drawn
  N(0, 1), the zeroed output projection included (init), every weight and bias of NIF set to 0 (the ShapeNet's
  weights are then 0 for every ``t`` and only its output bias can move; init), CoDATS's BatchNorm shifts before its
  ReLUs at -10, every unit dead (activation), STID's encoder replaced by 30 plain Linear+ReLU layers of 128 at
  PyTorch's default init (depth), GRU-ODE-Bayes's update gates (the GRU-ODE's ``b_z`` and the GRU-Bayes cell's) at
  +10 (``z = 0.99995``: no observation is ever written into the state, which stays at its zero start; recurrence),
  CSDI at Adam lr 1, NIF at Adam lr 1 and DINO at AdamW lr 1 (lr), DINO's backbone without its BatchNorms (the
  features' shared component dwarfs their differences, the centred teacher is uniform and the student follows it:
  DINO's uniform collapse; normalization), GRU-ODE-Bayes and NVIL at AdamW ``weight_decay=50`` (regularization),
  CoST's second views permuted within every batch, apart from their first views (data), and NIF trained with FNO's
  relative L2 loss (each snapshot's error divided by its norm, no eps) on data whose snapshots at ``t`` = 0, 1/2 and 1
  are zero (``x / 0``: the loss is infinite at step 0; numeric, with data);
- **slip** (a user's mistake in stop-gradient, target-network and moving-average code, of a kind no earlier batch
  used): NVIL's learning signal left un-detached in the score term, ``-(signal * log_q).mean()`` where
  ``signal.detach()`` belongs (the signal is ``L - b(x) - c``, so the decoder and prior receive ``-log q`` times
  the gradient of ``log p(x, h)`` with its sign reversed: with 16 latents ``log q`` is about -11 at the start, and
  every step pushes the likelihood down about ten times harder than the ELBO term pushes it up; the loss climbs and
  the baseline chases it; lr, a step taken uphill as the corpus labels one (``fresh92``), with regularization, the
  control-variate term turned into a training signal, accepted), and CoDATS's gradient-reversal coefficient at 100
  where DANN's schedule rises to 1 (the feature extractor ascends the domain loss a hundred times harder than it
  descends the task loss, so the features are pulled wherever the domain classifier is wrong and the source classes
  are never separated; regularization, an adversarial term 100 times too heavy as the corpus labels over-weighted
  auxiliary terms, with lr, the extractor's step along that term, accepted). Earlier moving-average, target and
  detach slips (an EMA copied back onto the model, an EMA without ``1 - alpha``, a shallow-copied EMA, an EMA's
  debiasing counter, an EMA in float32, SimSiam's stop-gradient on the predictions (dropped in ``fresh62``), a target
  network without its stop-gradient (considered in ``fresh92``), ``detach_()`` in place, ``.item()`` loss terms) are
  not repeated: here the score-function signal carries gradient and a reversal coefficient is a hundred times its
  schedule's end. A third slip was written and dropped (see below). None of the slips is an init, activation,
  depth, recurrence, normalization, data or numeric one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds.

Learning criteria: every case compares with chance where it has one (CoDATS's four classes plus two domains, ``ln 8``;
DINO's 256 prototypes; CoST's 257 candidates) and, as ``fresh66``'s CONST, the regressions with their trivial
solution (set before gradguard ran on any case): CSDI's zero noise prediction (1.0), STID's MAE of the data mean
(108; measured 108.9 and 108.1), GRU-ODE-Bayes's NLL of the observations' marginal Gaussian (0.84; measured 0.837 and
0.848) and NIF's all-zero field (0.058; measured 0.0584 and 0.0578); NVIL has none (its first loss) and runs 400
steps, every other case 200. Measured plain runs (seed 0, seed 1): NVIL 45.02 -> 20.27 and 45.13 -> 20.14; CSDI
0.9311 -> 0.3102 and 0.9973 -> 0.3569; DINO 3.280 -> 0.899 and 3.000 -> 1.919 (the criterion 2.25 at seed 1);
CoST 5.085 -> 2.395 and 4.878 -> 2.228; STID 116.8 -> 17.03 and 105.8 -> 16.33; GRU-ODE-Bayes 1.057 -> -0.337 and
1.027 -> -0.389; CoDATS 2.106 -> 0.751 and 2.076 -> 0.703; NIF 0.2912 -> 0.0232 and 0.0756 -> 0.0261 (the criterion
0.0435). Broken: ``csdi_init_std_1`` 6462 -> 13.06 and 2.78e4 -> 33.51 (no divergence); ``nif_zero_init`` 0.0529 ->
0.0581 and 0.0534 -> 0.0580; ``codats_bn_shifts_minus_10`` 2.089 -> 2.077 and 2.066 -> 2.074;
``stid_30_plain_layers_default_init`` 114.9 -> 107.5 and 105.9 -> 106.9; ``gru_ode_bayes_update_gate_bias_plus_10``
1.054 -> 0.825 and 1.035 -> 0.848 (the marginal fit, against the criterion 0.63); ``csdi_adam_lr1`` diverges at step 1
at both seeds (ends 25.16 and 1.004; weights x40 and x46 at step 2); ``nif_adam_lr1`` diverges at step 1 at both seeds
(ends 167.4 and 0.0607; weights x31 and x25); ``dino_adamw_lr1`` diverges at step 1 at both seeds (ends 5.528 and
5.530, the uniform output; weights x48 at step 0); ``dino_without_batchnorm`` 2.723 -> 5.537 and 2.936 -> 5.539
(``ln 256 = 5.545``: uniform collapse; divergence at step 17 at both seeds); ``gru_ode_bayes_adamw_weight_decay_50``
1.057 -> 1.062 and 1.027 -> 1.069; ``nvil_adamw_weight_decay_50`` 45.02 -> 43.35 and 45.13 -> 43.36;
``cost_second_views_shuffled`` 5.547 -> 5.046 and 5.519 -> 4.926; ``nif_relative_l2_over_zero_snapshots`` is
non-finite at step 0 at both seeds (the loss itself, ``inf``); ``nvil_learning_signal_not_detached`` diverges at
steps 9 and 8 (the loss past 110 by step 10; ends 39.69 and 43.75, not learned); ``codats_gradient_reversal_coeff_100``
2.106 -> 2.058 and 2.076 -> 1.864 (the criterion 1.56). The cases ran in 0.1 to 88 s a seed on a machine shared with
three other helpers' runs (load 4 to 9 on 2 cores); CSDI is the slowest (21 s a seed at load 4, 70 to 88 s at load
9), then DINO and CoST (about 20 s at load 4, 40 s at load 9).

Dropped or changed before the freeze (every figure above is from the final code): DINO was first built with a GELU
conv backbone without BatchNorm, 64 prototypes, batch 64 and AdamW lr 1e-3: it collapsed to the uniform output (2.704
-> 4.139 at seed 0, ``ln 64 = 4.159``), also at lr 2e-4 and with momentum 0.996; with 256 prototypes, BatchNorms and
lr 2e-4 it learns, and the collapse without BatchNorm became the normalization common. NVIL at Adam lr 1e-3 with 10%
of the bits flipped did not learn in 200 steps (45.08 -> 42.56); it uses lr 1e-2, 5% flips and 400 steps. NIF at lr
1e-3 ended at 0.049, under its first loss but not under the zero field's 0.058 by a quarter; it uses lr 1e-2. CoST's
series were 48 steps long at first (28 s a seed); they are 32. GRU-ODE-Bayes took 5 Euler steps of 0.05 per interval
at first (36 s a seed); it takes 2 of 0.125. STID's scaler was first (200, 120); it is seed 0's (245, 138). STID
without its z-score normalisation learned (261.6 -> 41.57 at seed 0, under the criterion 81) and its targets
permuted within the batch ended at 85.48 (the criterion 81 with the CONST: too near), so neither was kept; their
switches (``zscore``, ``shuffled``) stay, unused. The third slip, CoST's momentum update written
``torch._foreach_lerp_(key_params, query_params, 0.999)``, the momentum where ``lerp``'s weight is ``1 - m`` (the key
encoder then is the previous step's query encoder, MoCo's failing ``m = 0``), did not learn at seed 0 (5.085 ->
5.009, oscillating between 2.0 and 5.1) but learned at seed 1 (4.878 -> 1.596) and was dropped; its switch
(``lerp_weight``) stays, unused. So the batch holds 15 broken cases, 13 commons and 2 slips, where 16 (13 and 3) were
planned. Considered and not written: DINO's teacher as the student itself (``fresh76`` considered an EMA sharing the
student's tensors in a bootstrap objective and used a shallow-copied EMA) and a missing stop-gradient on a target
network (its collapse lowers the loss, as ``fresh92`` found).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh104_builders as F

P = functools.partial
HALF = "fresh104"
#: chance losses: CoDATS's four classes plus its two domains (``ln 4 + ln 2``), DINO's 256 prototypes, CoST's 257
#: candidates (the positive key and a queue of 256); and, as ``fresh66``'s CONST, each regression's trivial solution
#: (set here, before gradguard ran on any case): CSDI's zero noise prediction (1.0), STID's MAE of the data mean (108),
#: GRU-ODE-Bayes's NLL of the observations' marginal Gaussian (0.84) and NIF's all-zero field (0.058); NVIL has none
#: (its first loss)
C8, DINO_K, COST_K = math.log(8), math.log(256), math.log(257)
CSDI_ZERO, STID_MEAN, GOB_MARGINAL, NIF_ZERO = 1.0, 108.0, 0.84, 0.058
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH104_HEALTHY: list[Case] = [
    _h("nvil_binary_prototypes", HALF, "nvil", F.nvil, None, steps=400),
    _h("csdi_sinusoid_imputation", HALF, "csdi", F.csdi, CSDI_ZERO),
    _h("dino_template_views", HALF, "dino", F.dino, DINO_K),
    _h("cost_seasonal_trend_views", HALF, "cost", F.cost, COST_K),
    _h("stid_traffic_sensors", HALF, "stid", F.stid, STID_MEAN),
    _h("gru_ode_bayes_irregular_oscillators", HALF, "gru_ode_bayes", F.gru_ode_bayes, GOB_MARGINAL),
    _h("codats_activity_domains", HALF, "codats", F.codats, C8),
    _h("nif_moving_pulse", HALF, "nif", F.nif, NIF_ZERO),
]

FRESH104_BROKEN: list[Case] = [
    # init
    _b("csdi_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.csdi, init_std=1.0), CSDI_ZERO),
    _b("nif_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.nif, zero_init=True), NIF_ZERO),
    # activation
    _b("codats_bn_shifts_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.codats, bn_shift=-10.0), C8),
    # depth
    _b("stid_30_plain_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.stid, plain=30), STID_MEAN),
    # recurrence
    _b("gru_ode_bayes_update_gate_bias_plus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.gru_ode_bayes, gate_bias=10.0), GOB_MARGINAL),
    # lr
    _b("csdi_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.csdi, lr=1.0), CSDI_ZERO),
    _b("nif_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.nif, lr=1.0), NIF_ZERO),
    _b("dino_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.dino, lr=1.0), DINO_K),
    # normalization
    _b("dino_without_batchnorm", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dino, bn=False), DINO_K),
    # regularization
    _b("gru_ode_bayes_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.gru_ode_bayes, adamw=True, weight_decay=50.0), GOB_MARGINAL),
    _b("nvil_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.nvil, weight_decay=50.0), None, steps=400),
    # data
    _b("cost_second_views_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.cost, shuffled=True), COST_K),
    # numeric
    _b("nif_relative_l2_over_zero_snapshots", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.nif, relative=True), NIF_ZERO),
    # slips
    _b("nvil_learning_signal_not_detached", HALF, ("lr", "regularization"), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.nvil, detach_signal=False), None, steps=400),
    _b("codats_gradient_reversal_coeff_100", HALF, ("regularization", "lr"), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.codats, coeff=100.0), C8),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "csdi_init_std_1": "common", "nif_zero_init": "common", "codats_bn_shifts_minus_10": "common",
    "stid_30_plain_layers_default_init": "common", "gru_ode_bayes_update_gate_bias_plus_10": "common",
    "csdi_adam_lr1": "common", "nif_adam_lr1": "common", "dino_adamw_lr1": "common",
    "dino_without_batchnorm": "common", "gru_ode_bayes_adamw_weight_decay_50": "common",
    "nvil_adamw_weight_decay_50": "common", "cost_second_views_shuffled": "common",
    "nif_relative_l2_over_zero_snapshots": "common", "nvil_learning_signal_not_detached": "slip",
    "codats_gradient_reversal_coeff_100": "slip",
}

#: the cases (half "fresh104")
FRESH104: list[Case] = FRESH104_HEALTHY + FRESH104_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "csdi_init_std_1": F.csdi,
    "nif_zero_init": F.nif,
    "codats_bn_shifts_minus_10": F.codats,
    "stid_30_plain_layers_default_init": F.stid,
    "gru_ode_bayes_update_gate_bias_plus_10": F.gru_ode_bayes,
    "csdi_adam_lr1": F.csdi,
    "nif_adam_lr1": F.nif,
    "dino_adamw_lr1": F.dino,
    "dino_without_batchnorm": F.dino,
    "gru_ode_bayes_adamw_weight_decay_50": F.gru_ode_bayes,
    "nvil_adamw_weight_decay_50": F.nvil,
    "cost_second_views_shuffled": F.cost,
    "nif_relative_l2_over_zero_snapshots": F.nif,
    "nvil_learning_signal_not_detached": F.nvil,
    "codats_gradient_reversal_coeff_100": F.codats,
}
