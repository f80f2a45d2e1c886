"""The eighty-ninth held-out batch (half ``"fresh88"``): eight published generative, self-supervised, time-series and
scientific-ML models new to the corpus at their usual settings, and sixteen broken variants with one real fault each,
written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only
scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 880_000 + seed): the sigma-VAE (Rybkin, Daniilidis and Levine 2021, narrowed to
MLPs: an encoder 64-128-128 to a Gaussian posterior of 8, a decoder 8-128-128-64, ReLU, PyTorch's default init; the
Gaussian decoder's variance is the analytic optimum, one ``sigma*^2`` = the batch's mean squared error, ``log
sigma*`` soft-clipped at -6 as in the reference code; the negative ELBO in nats per pixel; Adam lr 1e-3) and RQ-VAE
(Lee et al. 2022, narrowed to MLPs 64-128-128-16 and back: residual quantisation of depth 4 with one shared codebook
of 32 codes, the straight-through estimator, the commitment terms of every depth at 0.25; the codebook learned by
exponential moving averages, decay 0.99, of the codes' counts and sums, zero-debiased as Sonnet's
``ExponentialMovingAverage`` does (``hidden / (1 - decay^t)``, the counter incremented first) and Laplace-smoothed;
Adam lr 1e-3, set here) on 8x8 patterns (a fixed smooth template per class, ten classes, plus N(0, 0.3^2) noise,
batch 64), the jigsaw puzzle's context-free network (Noroozi and Favaro 2016, narrowed to 2x2 puzzles of 8x8 tiles
and all 24 permutations: a shared tile encoder of two 3x3 convs (16, 32) with max-pooling and a Linear to 64, the
codes concatenated, a Linear of 128 and the permutation classifier; each tile standardised per channel on its own,
with the reference PyTorch port's guard ``s[s == 0] = 1``; Adam lr 1e-3, set here) on 3x16x16 photographs in [0, 1]
(class templates plus noise; two of every 32 over-exposed, clipped to white), APC (Chung et al. 2019, narrowed: a
3-layer unidirectional GRU of 64 with the reference code's residual connections after the first layer and a Linear
postnet, predicting the frame 3 steps ahead under an L1 loss; Adam lr 1e-3) on log-mel-like utterances of 32 frames
of 24 bins (three spectral bumps gliding sinusoidally, plus noise, batch 16), xPatch (Stitsyuk and Choi 2025,
narrowed: RevIN, the EMA decomposition at alpha 0.3 in the reference code's closed form ``cumsum(x w) / d`` in float64,
channel independence, the non-linear stream on the seasonal part (patches of 16, stride 8, 42 of them; a Linear to
256, a depthwise conv of kernel and stride 16 with a Linear residual, a pointwise conv, GELU and BatchNorm over the
patches after each, a flatten head) and the linear stream on the trend (Linear, pooling, LayerNorm twice), the two
merged by a Linear; the arctangent loss ``rho(i) = -arctan(i) + pi / 4 + 1`` on the absolute errors; Adam lr 1e-3, ten
times the paper's for 200 steps, its sigmoid schedule left out) forecasting 96 steps from 336 of 4-channel series
(per channel a level U(-20, 20) and a scale U(0.5, 5) times a daily and a weekly-like cycle, a drift and noise; batch
16), the Latent ODE with an ODE-RNN encoder (Rubanova, Chen and Duvenaud 2019, narrowed: a GRU cell of 16 updated at
observed points, evolved backwards between points by one Euler step of a tanh-MLP ODE, the posterior over a
4-dimensional ``z0``, a latent tanh-MLP ODE of 32 integrated by RK4 and read by a Linear; the negative ELBO per point
with the observation std 0.1 (0.01 in the paper), the likelihood's constant left out; Adam lr 0.01, set here: the
paper's Adamax at 0.01 did not learn) on the paper's periodic toy curves (amplitude 0.5 to 1.5, frequency 0.5, random
phase, 20 points of [0, 4], about half observed, batch 32), the deep BSDE method (Han, Jentzen and E 2018, their
Allen-Cahn example at d = 20 for 100: T = 0.3, N = 20, ``X = sqrt(2) W`` from 0, ``f = y - y^3``, ``g = 0.5 / (1 + 0.2
|x|^2)``; ``u(0, x0)`` and ``grad u(0, x0)`` parameters from U(0.3, 0.6) and U(-0.1, 0.1), one subnetwork per later
step with BatchNorm of the input and after each bias-free Linear (two hidden layers of d + 10, ReLU), its output
divided by d, and the reference code's terminal loss, quadratic within 50; Adam lr 5e-3, set here for 200 steps) on
batches of 64 Brownian paths, and QRes (Bu and Karpatne 2021: three quadratic residual layers ``tanh(W1 x * W2 x + W1
x + b)`` of 32, Xavier-normal, a Linear output) as a PINN for Laplace's equation on the L-shaped domain with the
corner-singular solution ``u = r^(2/3) sin(2 theta / 3)`` as Dirichlet data (the mean squared Laplacian at 256
interior points a batch plus the mean squared misfit at 96 boundary points, the re-entrant corner at the origin among
them; Adam lr 1e-3).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): the jigsaw network with every weight and bias
  0 (every hidden unit is 0 and only the classifier's bias gets a gradient; init), RQ-VAE with every bias in front of
  a ReLU at -10 (every hidden unit of encoder and decoder dead: the reconstruction is the decoder's output bias, the
  pixels' mean at best; activation, with init), the sigma-VAE's decoder 30 plain ReLU layers of 128 deep at PyTorch's
  default init (the variance gain ``1/6`` a layer: the output no longer depends on ``z``; depth, with init), APC's GRU
  update gates with both biases at +5 in every layer (``z = sigmoid(10 + ...) = 0.99995``: the carried state keeps its
  zero start and nothing reaches the postnet; recurrence, with init), the sigma-VAE, the deep BSDE, QRes and the Latent
  ODE at Adam lr 1 (lr), xPatch without RevIN (the raw series, levels of +-20 at scales 0.5 to 5, into the streams and
  out of the head: it stays worse than forecasting each window's mean; normalization, with data, the raw units,
  accepted), APC and the Latent ODE at AdamW ``weight_decay=50`` (``1 - lr * 50`` of every weight gone at every step;
  regularization), the Latent ODE's target curves permuted within every batch, apart from their observations (data),
  and the jigsaw tiles standardised without the port's ``s == 0`` guard (the over-exposed photographs' white tiles have
  ``s = 0``: ``0 / 0`` is NaN in the inputs at step 0; numeric, with data, the flat tiles);
- **slip** (a user's mistake in a hand-written, numerically sensitive formula, of a kind no earlier batch used; all
  three numeric): xPatch's closed-form EMA computed in float32, the reference code's float64 dropped (for a device
  without float64, or to keep one dtype): the divisor ``d_t = 0.7^(335 - t)`` of a 336-step window underflows float32
  to 0 for ``t <= 43`` (``0.7^292 = 5.9e-46``, under half the smallest subnormal), and so do the weights: the first 44
  steps' trend is ``0 / 0`` and the forecast NaN at step 0
  (numeric: the EMA is right in exact arithmetic; a geometric weight underflowing into a divisor); QRes's boundary data
  with the polar angle computed ``atan(y / x)``, the quadrant fixed by hand (``+ pi`` where ``x < 0``), where
  ``atan2(y, x)`` belongs: the angle is right at every boundary point (``y / 0 = +-inf`` gives ``+-pi / 2`` on the axis)
  but the re-entrant corner's ``0 / 0``, so the corner's Dirichlet value and the loss are NaN at step 0 (numeric, with
  data, the NaN target); and RQ-VAE's zero-debiased EMA with its step counter incremented after the division where
  Sonnet increments it before (the first update divides by ``1 - 0.99^0 = 0``: the used codes' averages are ``inf``,
  the unused ones' ``0 / 0``, the Laplace-smoothed codebook NaN, and the loss NaN at step 1; numeric: the
  bias-correction's off-by-one). Earlier numeric slips (softmaxes and log-sum-exps without the max shift, log of a
  product of probabilities, one-pass variances, standard deviations, cosines and standardisations without eps,
  ``log(1 - tanh^2)``, an inverse hyperbolic function's slope at coincident points, a hand-written softplus, ``where``
  guards that guard only the forward, the log-variance used as the std, float16 and bfloat16 casts, unclipped logits
  of marginals, ``log 0`` of counts and spectra, a Gumbel sample's sign, a reduction over an empty set, float32
  timestamps, float16 sums and reciprocals, int32 products) are not repeated: here a geometric weight underflows
  into a divisor, a ratio's arctangent meets ``0 / 0`` where ``atan2`` is defined, and an EMA's bias correction divides
  by zero. None of the slips is an init, activation, depth, recurrence, lr, normalization, regularization or data one;
  the commons outnumber the slips (13 to 3).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is the sigma-VAE with its two decoder layers).

Learning criteria: the jigsaw compares with chance (24 permutations: 2.383); RQ-VAE, APC, xPatch and the Latent ODE
with their best constant predictions, measured over the pools of seeds 0 and 1 and averaged (RQ-VAE's per-pixel mean,
MSE 0.6078 and 0.6044: 0.606; APC's per-bin median three frames ahead, L1 0.4330 and 0.4335: 0.433; xPatch's forecast
of each window's own mean, 0.5413 and 0.5397: 0.541; the Latent ODE's per-point mean curve, 27.03 and 26.95: 27.0),
where that is below the first loss; the sigma-VAE, the deep BSDE and QRes with their first loss. Measured plain
runs, 200 steps (seed 0, seed 1): the sigma-VAE 1.248 -> 0.3898 and 1.261 -> 0.3880; RQ-VAE 1.414 -> 0.1200 and 1.218
-> 0.1154 (the criterion 0.455); the jigsaw 3.163 -> 0.2406 and 3.180 -> 0.2336; APC 0.7536 -> 0.1851 and 0.6965 ->
0.1810 (the criterion 0.325); xPatch 0.5301 -> 0.1788 and 0.5578 -> 0.1761 (the criterion 0.398 and 0.406); the
Latent ODE 40.72 -> 8.698 and 41.88 -> 3.285 (the criterion 20.25); the deep BSDE 0.06435 -> 8.3e-6 and 0.1033 ->
8.4e-6; QRes 0.2808 -> 0.00892 and 0.8461 -> 0.00889. Broken: ``jigsaw_zero_init`` 3.178 -> 3.176 and 3.178 -> 3.174;
``rq_vae_relu_biases_minus_10`` 1.370 -> 0.6285 and 1.199 -> 0.6275; ``sigma_vae_30_layer_decoder_default_init``
1.242 -> 1.169 and 1.257 -> 1.168; ``apc_update_gate_biases_plus_5`` 0.6555 -> 0.4602 and 0.6766 -> 0.4613;
``sigma_vae_adam_lr1`` non-finite at step 1 at both seeds (weights x15.7 and x15.9 at step 0); ``deep_bsde_adam_lr1``
non-finite at step 1 (seed 0; weights x4.35) and diverging at step 1, non-finite at 3 (seed 1); ``qres_adam_lr1``
diverges at step 1 at both seeds (ends 8.9e18 and 4.6e18; weights x10 at steps 3 and 4, x50 and x46 at most);
``latent_ode_adam_lr1`` diverges at step 1 and is non-finite at step 2 at both seeds; ``xpatch_without_revin`` 2.446
-> 0.7182 and 2.537 -> 0.7149; ``apc_adamw_weight_decay_50`` 0.7536 -> 0.4119 and 0.6965 -> 0.3825;
``latent_ode_adamw_weight_decay_50`` 40.72 -> 26.70 and 41.88 -> 26.76; ``latent_ode_targets_shuffled`` 40.48 ->
26.00 and 41.77 -> 28.43; ``jigsaw_tile_std_without_zero_guard``, ``xpatch_ema_closed_form_in_float32`` and
``qres_lshape_angle_from_atan_of_ratio`` are non-finite at step 0 at both seeds (the loss itself), and
``rq_vae_ema_debias_counter_from_zero`` at step 1 at both seeds. The cases run in 0.1 to 18 s a seed on a machine
shared with three other helpers' runs (load about 4 on 2 cores); xPatch is the slowest (15 to 18 s).

Dropped or changed before the freeze (every figure above is from the final code): the Latent ODE first drew its
frequencies from [0.3, 0.8] on 40 points and trained with the paper's Adamax at 0.01 (39.43 -> 23.70 at seed 0: past
its first loss only, the best constant being about 27); fixing the frequency at 0.5 (40.40 -> 23.59), Adam at 3e-3
(40.40 -> 23.93), 20 points (40.72 -> 24.78) and a wider model (hidden 32, latent 8, ODEs of 64: 47.36 -> 23.41) did
not help; 20 points at Adam lr 0.01 did (40.72 -> 8.698) and was kept. APC's utterances first glided faster (periods
8 to 20 frames, depths 1 to 4 bins, bumps 1.5 bins wide, 40 frames: 0.5943 -> 0.2866 at seed 0, too near its
best-constant criterion; the recurrence case 0.5105 -> 0.3934 there) and were slowed. xPatch had 7 channels (28.7 s a
seed under load) and has 4. The deep BSDE at Adam lr 0.01 learned (0.06435 -> 4.2e-5 and 0.1033 -> 3.1e-5) but its
loss jumped when the pool's first batch came round again at step 32 (0.0129 -> 0.1449 at seed 0, a divergence by the
plain run's rule in a healthy case); at 5e-3 the jump stays below it. Against their first losses the dead-ReLU RQ-VAE
(1.370 -> 0.6285: the decoder's output bias learns the pixels' mean), xPatch without RevIN (2.446 -> 0.7182), APC's
recurrence and weight-decay cases and the Latent ODE's weight-decay and data cases would count as learned: their first
losses sit far above what a constant prediction scores, so those four models compare with their best constant
predictions instead, and each broken case stays above it. Considered and not written: xPatch's RevIN without its eps
(a standard deviation without eps, an earlier slip), the jigsaw's labels shuffled (the data common is the Latent
ODE's), a normalization case on the deep BSDE without its BatchNorms (not tried: at d = 20 it would likely learn).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh88_builders as F

P = functools.partial
HALF = "fresh88"
#: chance losses: the jigsaw's 24 permutations; the best constant predictions (measured over the 32-batch pools of
#: seeds 0 and 1 and averaged): RQ-VAE's per-pixel mean (MSE 0.6078 and 0.6044), APC's per-bin median three frames
#: ahead (L1 0.4330 and 0.4335), xPatch's forecast of each window's own mean (the arctangent loss 0.5413 and 0.5397),
#: the Latent ODE's per-point mean curve (27.03 and 26.95 nats a point, without the constant)
C24 = math.log(24)
RQ_CONST, APC_CONST, XPATCH_MEAN, LODE_CONST = 0.606, 0.433, 0.541, 27.0
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH88_HEALTHY: list[Case] = [
    _h("sigma_vae_patterns", HALF, "sigma_vae", F.sigma_vae, None),
    _h("rq_vae_patterns", HALF, "rq_vae", F.rq_vae, RQ_CONST),
    _h("jigsaw_puzzles", HALF, "jigsaw_cfn", F.jigsaw, C24),
    _h("apc_formants", HALF, "apc", F.apc, APC_CONST),
    _h("xpatch_series", HALF, "xpatch", F.xpatch, XPATCH_MEAN),
    _h("latent_ode_sines", HALF, "latent_ode", F.latent_ode, LODE_CONST),
    _h("deep_bsde_allen_cahn", HALF, "deep_bsde", F.deep_bsde, None),
    _h("qres_lshape_laplace", HALF, "qres_pinn", F.qres, None),
]

FRESH88_BROKEN: list[Case] = [
    # init
    _b("jigsaw_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.jigsaw, zero_init=True), C24),
    # activation
    _b("rq_vae_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.rq_vae, relu_bias=-10.0), RQ_CONST),
    # depth
    _b("sigma_vae_30_layer_decoder_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.sigma_vae, dec_hidden=30), None),
    # recurrence
    _b("apc_update_gate_biases_plus_5", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.apc, update_bias=5.0), APC_CONST),
    # lr
    _b("sigma_vae_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.sigma_vae, lr=1.0), None),
    _b("deep_bsde_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.deep_bsde, lr=1.0), None),
    _b("qres_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.qres, lr=1.0), None),
    _b("latent_ode_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.latent_ode, lr=1.0), LODE_CONST),
    # normalization
    _b("xpatch_without_revin", HALF, ("normalization", "data"), BOTH, STUCK,  # kind: common
       P(F.xpatch, revin=False), XPATCH_MEAN),
    # regularization
    _b("apc_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.apc, weight_decay=50.0), APC_CONST),
    _b("latent_ode_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.latent_ode, weight_decay=50.0, adamw=True), LODE_CONST),
    # data
    _b("latent_ode_targets_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.latent_ode, shuffled=True), LODE_CONST),
    # numeric
    _b("jigsaw_tile_std_without_zero_guard", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.jigsaw, guard=False), C24),
    _b("xpatch_ema_closed_form_in_float32", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.xpatch, ema_float32=True), XPATCH_MEAN),
    _b("qres_lshape_angle_from_atan_of_ratio", HALF, ("numeric", "data"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.qres, atan2=False), None),
    _b("rq_vae_ema_debias_counter_from_zero", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.rq_vae, debias_from_zero=True), RQ_CONST),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "jigsaw_zero_init": "common", "rq_vae_relu_biases_minus_10": "common",
    "sigma_vae_30_layer_decoder_default_init": "common", "apc_update_gate_biases_plus_5": "common",
    "sigma_vae_adam_lr1": "common", "deep_bsde_adam_lr1": "common", "qres_adam_lr1": "common",
    "latent_ode_adam_lr1": "common", "xpatch_without_revin": "common", "apc_adamw_weight_decay_50": "common",
    "latent_ode_adamw_weight_decay_50": "common", "latent_ode_targets_shuffled": "common",
    "jigsaw_tile_std_without_zero_guard": "common", "xpatch_ema_closed_form_in_float32": "slip",
    "qres_lshape_angle_from_atan_of_ratio": "slip", "rq_vae_ema_debias_counter_from_zero": "slip",
}

#: the cases (half "fresh88")
FRESH88: list[Case] = FRESH88_HEALTHY + FRESH88_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "jigsaw_zero_init": F.jigsaw,
    "rq_vae_relu_biases_minus_10": F.rq_vae,
    "sigma_vae_30_layer_decoder_default_init": F.sigma_vae,
    "apc_update_gate_biases_plus_5": F.apc,
    "sigma_vae_adam_lr1": F.sigma_vae,
    "deep_bsde_adam_lr1": F.deep_bsde,
    "qres_adam_lr1": F.qres,
    "latent_ode_adam_lr1": F.latent_ode,
    "xpatch_without_revin": F.xpatch,
    "apc_adamw_weight_decay_50": F.apc,
    "latent_ode_adamw_weight_decay_50": F.latent_ode,
    "latent_ode_targets_shuffled": F.latent_ode,
    "jigsaw_tile_std_without_zero_guard": F.jigsaw,
    "xpatch_ema_closed_form_in_float32": F.xpatch,
    "qres_lshape_angle_from_atan_of_ratio": F.qres,
    "rq_vae_ema_debias_counter_from_zero": F.rq_vae,
}
