"""The hundred-and-ninth held-out batch (half ``"fresh108"``): eight published generative, self-supervised,
time-series forecasting and scientific-ML models new to the corpus at their usual settings, and sixteen broken
variants with one real fault each, written and labelled with plain PyTorch before gradguard was ever run on them.
Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 1_080_000 + seed): DALL-E's discrete VAE (Ramesh et al. 2021, narrowed: a conv
encoder of two 4x4 stride-2 convs of 32 to logits over 32 codes on a 4x4 grid, the Gumbel-softmax relaxation, the
codebook as a 1x1 conv, a conv decoder of a 3x3 conv and two transposed convs; the per-pixel ELBO with a Gaussian
likelihood in place of the logit-Laplace one, the KL to the uniform prior over the codes at weight 1; the
temperature annealed from 1 to the paper's 1/16, linearly over the first 100 steps in place of its cosine over
150,000, ``tau = max(1 / 16, 1 - step / 100)``, handed in with each step's batch; Adam at lr 1e-3, set here) on ten
smooth 16x16 grey templates, sign-flipped and rolled by up to 2 pixels, with noise 0.1 (batch 16); Cold Diffusion
(Bansal et al. 2023, narrowed: the blur degradation, ``t`` passes of a 5x5 Gaussian of std 1 with ``t`` uniform in
1 .. 8, restored by a two-level U-Net of 32 and 64 channels with GroupNorm, SiLU, a sinusoidal level embedding and the
skip concatenated; the paper's L1 loss to the clean image; Adam at lr 1e-3, its 2e-5 being for 700,000 steps) on the
same templates; the colourisation network (Zhang, Isola and Efros 2016, narrowed: three blocks of two 3x3 convs with
ReLU and a BatchNorm, 32, 48 (dilation 2) and 48 channels, a 1x1 conv to 64 ab bins on a 10-unit lattice of the
[-40, 40] gamut square; the paper's cross-entropy with soft-encoded targets, a Gaussian of sigma 5 ab units over the
bins (every bin, its 5-nearest truncation left out; the user's ab values normalised by 110, so sigma is ``5 / 110``),
each pixel weighted by the class-rebalancing weight ``((1 - lam) p + lam / Q)^-1`` at ``lam = 0.5``, normalised to
``E_p[w] = 1`` over the training pool; Adam betas (0.9, 0.99), weight decay 1e-3 as the paper, at lr 1e-3 in place
of its 3e-5) colouring 16 grating textures (8 orientations x 2 frequencies in the lightness, random phase, noise 0.1)
each coloured flat by its class's ab value (batch 16); TF-C (Zhang et al. 2022, narrowed: time and frequency
encoders of three ``Conv1d(k=8) - BatchNorm - ReLU - MaxPool`` blocks of 32, 64, 64 channels, one on the series and
one on its magnitude spectrum, each with its projector ``Linear - BatchNorm - ReLU - Linear`` to 64; the reference
code's objective ``0.2 (L_T + L_F) + L_TF``, NT-Xents at temperature 0.2 of each domain's embeddings against their
augmented views and of the two projections against each other; the augmentations jitter and scaling in time, 10% of
the spectrum's components removed and 10% raised; Adam at the reference code's lr 3e-4, betas (0.9, 0.99), weight
decay 3e-4) on series of 64 steps, each two sinusoids of random frequency, phase and amplitude plus noise 0.1 (batch
32); CARD (Wang et al. 2024, narrowed: instance normalisation (RevIN without its affine), patches of 8 at stride 4 over
a lookback of 48 embedded to 32 with learned positions and a CLS token, one encoder layer of CARD's dual attention
over each channel's tokens and over the channels at each token (4 heads each, post-LN) with a GELU feed-forward of 64,
the flattened tokens to the 16-step horizon, de-normalised; its EMA on the queries and keys and its token blend left
out; its signal-decay-based loss, the absolute error at horizon step ``i`` weighted ``(i + 1)^-1/2``; Adam at lr
1e-3, its 1e-4 being for 100 epochs with warm-up) forecasting three-channel series in their raw units (two
sinusoids of periods 8 to 24 a channel plus noise, at levels U(-2000, 2000) and scales U(20, 200), as readings come;
batch 32); SpaceTime (Zhang et al. 2023, narrowed, channel-independent: the values embedded to 16 features, one
SpaceTime layer of companion-matrix SSMs of state 8 a feature (``h_(t+1) = A h_t + b x_t``, ``y = c h + D x``,
computed as the unrolled kernel ``c A^k b``) with a GELU MLP and the residual, and the closed-loop companion SSM that
rolls its state forward on its own predictions (``u = k h``, ``h <- A h + b u``) over the 16-step horizon; the
companion coefficients drawn N(0, 0.1^2), the feedback ``k`` from zero; MSE; AdamW at lr 1e-3 with the paper's
weight decay 1e-4) on the same series standardised; the Dissipative HNN (Sosanya and Greydanus 2022, narrowed: a
Hamiltonian and a dissipation, each a tanh MLP of two layers of 64, the field ``J grad H + grad D``; MSE of the field;
Adam at the reference code's lr 1e-3) on states of a damped oscillator (``q' = p``, ``p' = -q - 0.3 p``, sampled in
[-2, 2]^2, noise 0.05 on the derivatives; batch 128); and the separable PINN (Cho et al. 2023, narrowed: one tanh MLP
of three layers of 32 per axis, ``u(r, z) = sum_k f_k(r) g_k(z)`` over a rank of 16, the axes' derivatives by
forward-mode AD of the 1-D networks as the paper's JAX code takes them; the mean squared residual plus the mean
squared boundary value; Adam at lr 3e-3, the paper's 1e-3 being for 50,000 steps and more) solving the axisymmetric
Poisson problem ``-(u_rr + u_r / r + u_zz) = (4 + pi^2 (1 - r^2)) sin(pi z)`` in the unit cylinder (solution ``(1 -
r^2) sin(pi z)``, zero on the wall and both ends) on 32 radii at the cells' midpoints times 32 jittered heights a
step.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every dVAE conv weight drawn N(0, 1)
  (init), every colourisation conv before a ReLU given the bias -10, every unit dead (activation, with init), the
  Dissipative HNN's two MLPs 60 tanh layers of 64 deep at PyTorch's default init (depth), SpaceTime's companion
  matrices given the first-row coefficient ``a_0 = 1.5``, a characteristic root of 1.5, so that the lookback's 48
  steps and the closed loop's 16 multiply the carried state by up to 1.5^64 (recurrence, with init), CARD at Adam lr
  1, TF-C at Adam lr 1 and Cold Diffusion at Adam lr 1 (lr), CARD without its instance normalisation on the raw
  readings (the LayerNorms then strip each series' level and the head would have to produce values in the thousands;
  normalization, with data, the raw units), the separable PINN at AdamW ``weight_decay=50`` and Cold Diffusion at
  AdamW ``weight_decay=50`` (regularization), SpaceTime's horizons permuted within every batch, apart from their
  lookbacks (data), the separable PINN's radii written ``torch.linspace(0, 1, 32)``, a grid that holds the axis
  ``r = 0`` (``u_r / 0 = inf`` at step 0; numeric, with data, the collocation points), and the colourisation's
  rebalancing weights taken as the plain inverse frequencies ``1 / p`` without the uniform mix (48 of the 64 bins
  never occur: ``1 / 0 = inf``, and the normalisation ``sum p w`` holds ``0 * inf = NaN``, so every weight and the
  loss are NaN at step 0; numeric, with data);
- **slip** (a user's mistake in loss weighting, annealing or target smoothing, of a kind no earlier batch used): the
  colourisation's soft-encoding sigma passed as ``5``, the paper's value in ab units, to a loss whose ab values and
  bin centres are normalised by 110 (the kernel is then 110 times too wide: every bin lies within 0.9 of every ab
  value, so each pixel's target is within 1.6% of uniform, and the loss cannot fall below about ln 64; data: the
  targets carry nothing of the inputs, with regularization accepted, an over-smoothed target being label smoothing
  taken to its limit); the dVAE's temperature annealing written ``tau = 1 - step / 100``, the ``max(1 / 16, ...)``
  floor left out (the schedule reaches exactly 0 at step 100: ``(logits + gumbel) / 0`` is ``+-inf`` and the
  softmax's max-shift ``inf - inf`` is NaN at step 100; numeric; the steps before it run at temperatures down to 0.01
  without harm); and CARD's signal-decay weights written ``torch.arange(16) ** -0.5``, the horizon counted from 0
  where the paper's ``(i + 1)^-1/2`` counts from 1 (the first step's weight is ``0^-0.5 = inf``: the loss is inf at
  step 0 and its gradient NaN; numeric). Earlier loss-weighting, annealing and target slips (a KL summed over the
  batch, 1e3 for 1e-3 or its annealer's arguments swapped, label smoothing in percent, 0.9 or its confidence passed as
  the smoothing, class counts for inverse frequencies, inverse frequencies over a batch or the wrong labels, noise
  levels from zero, unclamped learning-rate warm-ups, a contrastive temperature multiplied) are not repeated: here a
  soft-target kernel's width is in the wrong units, a temperature schedule loses its floor, and a loss's per-step
  weights start at zero. None of the slips is an init, activation, depth, recurrence, lr or normalization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is the Dissipative HNN at its two layers).

Learning criteria: the colourisation compares with chance (ln 64 = 4.159), TF-C with its three NT-Xents at chance
(``1.4 ln 63 = 5.800``), the dVAE with its best constant prediction (zero, MSE 0.98 over the pool) and SpaceTime with
its zero forecast (MSE 0.77 over the pool); every other case (regressions, L1 restorations and physics residuals)
with its first loss. Measured plain runs, 200 steps (seed 0, seed 1): dVAE 0.9971 -> 0.5226 and 1.011 -> 0.5052 (the
criterion 0.735); Cold Diffusion 0.8206 -> 0.2083 and 0.9396 -> 0.2046; the colourisation 4.210 -> 1.491 and 4.419 ->
1.473; TF-C 6.484 -> 1.719 and 6.623 -> 1.723 (the criterion 4.350); CARD 34.25 -> 16.60 and 34.88 -> 16.99;
SpaceTime 0.7965 -> 0.3548 and 0.9022 -> 0.3645 (the criterion 0.578); the Dissipative HNN 1.310 -> 0.0091 and 1.271
-> 0.0092; the separable PINN 61.29 -> 0.0391 and 61.59 -> 0.0595. Broken: ``dvae_init_std_1`` 6.04e5 -> 3.82e4 and
4.62e5 -> 4.51e4 (no divergence); ``colorization_conv_biases_minus_10`` 4.037 -> 3.923 and 4.255 -> 3.942;
``dissipative_hnn_60_tanh_layers_default_init`` 1.271 -> 1.369 and 1.293 -> 1.378; ``spacetime_companion_root_1_5``
2.85e22 -> 2.86e22 and 1.16e22 -> 7.97e21 (finite throughout); ``card_adam_lr1`` diverges at step 1 at both seeds
(ends 43.13 and 36.36; weights x43 and x47 at step 1); ``tf_c_adam_lr1`` diverges at step 1 at both seeds (weights
x58 and x57 at step 0; its BatchNorms let it recover, and it ends 4.309 and 3.953, below the criterion);
``cold_diffusion_adam_lr1`` diverges at step 1 at both seeds (ends 0.7632 and 0.7945; weights x120 and x119 at step
0); ``card_without_revin`` 383.0 -> 376.2 and 419.4 -> 377.7; ``spinn_adamw_weight_decay_50`` 61.29 -> 60.35 and
61.59 -> 60.30; ``cold_diffusion_adamw_weight_decay_50`` 0.8206 -> 0.7691 and 0.9396 -> 0.7690;
``spacetime_horizons_shuffled`` 0.8325 -> 0.7722 and 0.8931 -> 0.7841; ``colorization_soft_encoding_sigma_in_ab_units``
4.198 -> 4.163 and 4.402 -> 4.188; ``spinn_grid_through_axis``, ``colorization_rebalancing_without_uniform_mix`` and
``card_decay_weights_from_step_0`` are non-finite at step 0 at both seeds (the loss itself), and
``dvae_temperature_annealed_without_floor`` at step 100 at both seeds (the loss, after 0.9971 and 1.011 at step 0).
The cases run in 0.5 to 14 s a seed on a machine shared with three other helpers' runs (load 5 to 8 on 2 cores); the
60-layer Dissipative HNN and the colourisation are the slowest.

Dropped or changed before the freeze (every figure above is from the final code): NCSN and a masked diffusion LM
(MDLM) were the first generative picks and were not written, the corpus already holding ``score_matching_ncsn`` and
``d3pm_absorbing_text``. The separable PINN first solved the Poisson problem on the unit disk in polar coordinates
(``u_thth / r^2``; first loss 1.4e4, diverging at step 20 and ending 4.3e7 at seed 0), then the cylinder's problem on
radii jittered within their cells (loss spikes to 1,498 when a radius fell near the axis; at lr 1e-3 it ended 45.66
against the criterion 46.52); it now uses the cells' midpoints and lr 3e-3. Its regularization common was first Adam's
coupled ``weight_decay=1`` (at lr 1e-2 it diverged at step 20 at seed 0 but learned at seed 1, 61.47 -> 4.27), then
AdamW ``weight_decay=10`` at lr 3e-3 (learned, 61.29 -> 3.51 and 61.59 -> 3.50); it is AdamW at 50. The Dissipative
HNN at 30 tanh layers learned (1.271 -> 0.0369 at seed 0), so the depth common is 60 layers. CARD without its instance
normalisation learned on series at levels U(-50, 50) and scales U(1, 10) (9.612 -> 2.441) and only just failed at
U(-500, 500) and U(5, 50) (95.74 -> 71.74 against 71.80), so the readings are at U(-2000, 2000) and U(20, 200). The
colourisation's textures first carried N(0, 2^2) ab noise, with which every bin occurs somewhere in the pool and the
plain inverse frequencies, huge but finite, learned (4.337 -> 1.762); the colours are now flat, 16 bins used and 48
empty; its widths were 32, 64 and 64 (23 s a seed under load). SpaceTime was first unrolled step by step over the
batch (19 s a seed) and now builds its kernel once (the same losses). Considered and not written: a physics-residual
weight multiplying the data loss (the product of two losses falls whichever factor falls, so a plain run would count
it learned), a negative focal gamma (no model of the batch has a classifier head a focal loss would naturally
replace), and a KL annealing that starts at 100 (its posterior collapse is the failure of ``fresh29``'s swapped
annealer arguments and ``fresh96``'s KL weight of 1e3).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh108_builders as F

P = functools.partial
HALF = "fresh108"
#: chance losses: 64 ab bins (the colourisation), TF-C's three NT-Xents over 63 candidates each, weighted 0.2, 0.2
#: and 1; the best constant predictions of the dVAE's images (zero, MSE 0.98) and of SpaceTime's standardised
#: horizons (zero, MSE 0.77); the other regressions and residuals compare with their first loss
Q64, TFC, DVAE_REF, ST_REF = math.log(64), 1.4 * math.log(63), 0.98, 0.77
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH108_HEALTHY: list[Case] = [
    _h("dvae_template_images", HALF, "dvae", F.dvae, DVAE_REF),
    _h("cold_diffusion_blurred_templates", HALF, "cold_diffusion", F.cold_diffusion, None),
    _h("colorization_textures", HALF, "colorization", F.colorization, Q64),
    _h("tf_c_sine_mixtures", HALF, "tf_c", F.tf_c, TFC),
    _h("card_raw_series", HALF, "card", F.card, None),
    _h("spacetime_series", HALF, "spacetime", F.spacetime, ST_REF),
    _h("dissipative_hnn_damped_oscillator", HALF, "dissipative_hnn", F.dissipative_hnn, None),
    _h("spinn_cylinder_poisson", HALF, "spinn", F.spinn, None),
]

FRESH108_BROKEN: list[Case] = [
    # init
    _b("dvae_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dvae, init_std=1.0), DVAE_REF),
    # activation
    _b("colorization_conv_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.colorization, bias=-10.0), Q64),
    # depth
    _b("dissipative_hnn_60_tanh_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.dissipative_hnn, layers=60), None),
    # recurrence
    _b("spacetime_companion_root_1_5", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.spacetime, root=1.5), ST_REF),
    # lr
    _b("card_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.card, lr=1.0), None),
    _b("tf_c_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.tf_c, lr=1.0), TFC),
    _b("cold_diffusion_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.cold_diffusion, lr=1.0), None),
    # normalization
    _b("card_without_revin", HALF, ("normalization", "data"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.card, revin=False), None),
    # regularization
    _b("spinn_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.spinn, adamw=True, weight_decay=50.0), None),
    _b("cold_diffusion_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.cold_diffusion, adamw=True, weight_decay=50.0), None),
    # data
    _b("spacetime_horizons_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.spacetime, shuffled=True), ST_REF),
    # numeric
    _b("spinn_grid_through_axis", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.spinn, through_axis=True), None),
    _b("colorization_rebalancing_without_uniform_mix", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.colorization, lam=0.0), Q64),
    # slips
    _b("colorization_soft_encoding_sigma_in_ab_units", HALF, ("data", "regularization"), VANISH, STUCK,  # kind: slip
       P(F.colorization, sigma=5.0), Q64),
    _b("dvae_temperature_annealed_without_floor", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.dvae, floor=False), DVAE_REF),
    _b("card_decay_weights_from_step_0", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.card, from_zero=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "dvae_init_std_1": "common", "colorization_conv_biases_minus_10": "common",
    "dissipative_hnn_60_tanh_layers_default_init": "common", "spacetime_companion_root_1_5": "common",
    "card_adam_lr1": "common", "tf_c_adam_lr1": "common", "cold_diffusion_adam_lr1": "common",
    "card_without_revin": "common", "spinn_adamw_weight_decay_50": "common",
    "cold_diffusion_adamw_weight_decay_50": "common", "spacetime_horizons_shuffled": "common",
    "spinn_grid_through_axis": "common", "colorization_rebalancing_without_uniform_mix": "common",
    "colorization_soft_encoding_sigma_in_ab_units": "slip", "dvae_temperature_annealed_without_floor": "slip",
    "card_decay_weights_from_step_0": "slip",
}

#: the cases (half "fresh108")
FRESH108: list[Case] = FRESH108_HEALTHY + FRESH108_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "dvae_init_std_1": F.dvae,
    "colorization_conv_biases_minus_10": F.colorization,
    "dissipative_hnn_60_tanh_layers_default_init": F.dissipative_hnn,
    "spacetime_companion_root_1_5": F.spacetime,
    "card_adam_lr1": F.card,
    "tf_c_adam_lr1": F.tf_c,
    "cold_diffusion_adam_lr1": F.cold_diffusion,
    "card_without_revin": F.card,
    "spinn_adamw_weight_decay_50": F.spinn,
    "cold_diffusion_adamw_weight_decay_50": F.cold_diffusion,
    "spacetime_horizons_shuffled": F.spacetime,
    "spinn_grid_through_axis": F.spinn,
    "colorization_rebalancing_without_uniform_mix": F.colorization,
    "colorization_soft_encoding_sigma_in_ab_units": F.colorization,
    "dvae_temperature_annealed_without_floor": F.dvae,
    "card_decay_weights_from_step_0": F.card,
}
