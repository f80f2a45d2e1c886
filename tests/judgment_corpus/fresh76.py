"""The seventy-seventh held-out batch (half ``"fresh76"``): eight published generative, self-supervised, forecasting
and scientific-ML models new to the corpus at their usual settings, and sixteen broken variants with one real fault
each, written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only
scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 760_000 + seed): EDM (Karras et al. 2022: the preconditioned denoiser ``D = c_skip
x + c_out F(c_in x; ln(sigma) / 4)`` with sigma_data the data's standard deviation (0.709), the log-normal noise
levels ``ln sigma ~ N(-1.2, 1.2^2)`` and the loss weight ``(sigma^2 + sigma_data^2) / (sigma sigma_data)^2``; narrowed:
``F`` an MLP of three SiLU layers of 128; Adam at the paper's lr 1e-3 without its warm-up, and its EMA with the
reference code's ramp-up kept beside the net, outside the loss) denoising points of a ring in 8-D (radius 2 in a
randomly turned plane, std 0.05 off it; batch 256), the VRNN (Chung et al. 2015: ReLU feature extractors for ``x``
and ``z``, the encoder, prior and decoder each one ReLU layer with a mean and a softplus std, a GRU cell of 32 over
``[phi_x, phi_z]``, latent 4; the negative ELBO a step; Adam at the paper's lr 1e-3) on 2-D rotating AR(1) sequences
of 16 steps whose every marginal is N(0, I) (a memoryless model cannot beat ``ln(2 pi e) = 2.838`` nats a step),
NAF (Huang et al. 2018: two deep-sigmoidal-flow layers of 8 sigmoids, each with a MADE conditioner of two masked ELU
layers of 64, the order reversed between layers, onto N(0, I); Adam at lr 1e-3, set here) on the eight-Gaussians ring
(radius 2, std 0.2; batch 256), TS2Vec (Yue et al. 2022, narrowed: the input projection, timestamp masking at 0.5,
three residual blocks of dilated convolutions (1, 2, 4) of 32 with GELU, dropout 0.1, the two overlapping random
crops and the hierarchical instance and temporal contrastive loss, alpha 0.5; AdamW at the reference code's lr 1e-3)
on unlabelled 2-channel sine series of 48 steps (batch 16), NNCLR (Dwibedi et al. 2021, narrowed to vectors: an MLP
backbone with BatchNorm, the projector and predictor MLPs with BatchNorm, a FIFO support set of 256 projections, the
symmetric InfoNCE between each view's nearest neighbour and the other view's prediction at temperature 0.1; Adam at
lr 1e-3 in place of LARS) on two noisy, feature-dropped views of template vectors (batch 64), LogTrans (Li et al.
2019, narrowed: the value projected to 32 plus learned positions, two GPT-style Post-LN blocks of convolutional
self-attention (causal kernel-3 convolutions for queries and keys, 4 heads) under the LogSparse mask (each step sees
itself and the steps 1, 2, 4, ... back) and a GELU MLP of 4x, dropout 0.1; the one-step-ahead MSE at every step;
Adam at lr 1e-3, set here) on two-season univariate series of 48 steps (batch 32), SAMformer (Ilbert et al. 2024,
extended with exogenous covariates: the four series and the four covariates each through their own RevIN, one
single-head channel-wise attention over the eight channels (queries and keys of 16), a residual, a Linear from 32
steps to the 8-step horizon, read out for the series and de-normalised; Adam at the paper's lr 1e-3, its
sharpness-aware minimisation left out) forecasting series at levels N(0, 2^2) in raw units (batch 32), and PDE-Net
(Long et al. 2018, narrowed to 1-D: ten delta-t blocks sharing one set of parameters, as the paper ties them, each
``u + dt sum_j c_j (q_j * u)`` over the derivative orders 1 to 3 with moment-constrained filters of 5 taps (the moments
up to order ``j + 1`` frozen, the higher ones and the coefficients learned from 0); the rollout's MSE; Adam at lr 0.03
in place of L-BFGS, set here) on exact solutions of ``u_t = -u_x + 0.2 u_xx`` over ten steps of 0.01 (batch 16).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every EDM Linear drawn N(0, 1) (init), every
  bias before a VRNN ReLU at -10, every unit of ``phi_x``, ``phi_z``, the encoder, prior and decoder dead (the model
  is a constant Gaussian; activation), EDM's ``F`` 30 SiLU layers of 128 deep at PyTorch's default init (depth), the
  VRNN's GRU update-gate biases at +5 + 5 (``z = 0.99995``: the state stays near its zero start and nothing is carried
  between steps; recurrence), NAF at Adam lr 1, LogTrans at Adam lr 1, TS2Vec at AdamW lr 1 and SAMformer at Adam lr 1
  (lr), NNCLR's projections, neighbours and predictions left unnormalised (raw dot products of 64 BatchNorm-scaled
  coordinates over temperature 0.1: logits in the hundreds, where the method relies on cosine similarities;
  normalization), TS2Vec at AdamW ``weight_decay=50`` and NAF at AdamW ``weight_decay=50`` (regularization),
  SAMformer's targets permuted within every batch, apart from their series (data), and the VRNN's decoder std taken
  through a ReLU instead of a softplus (a std of exactly 0: ``log 0 = -inf`` plus ``(x - mu)^2 / 0 = inf`` is NaN in
  the loss at step 0; numeric, with activation);
- **slip** (a user's mistake in parameter sharing, tying and copying, of a kind no earlier batch used): SAMformer's
  covariate RevIN written ``self.revin_cov = self.revin``, one instance where two were meant (RevIN keeps the
  statistics of its last ``norm`` call for ``denorm``: the covariates are normalised second, so every forecast is
  de-normalised with the covariates' mean and std, and the series' own level, removed at the input, can reach the
  output from nowhere; normalization, the layer's statistics, with data accepted), PDE-Net's optimizer built from
  ``[p for block in model.blocks for p in block.parameters()]`` to collect the blocks' parameters, where the ten
  blocks are one tied module (``model.parameters()`` lists each tensor once; this list holds each ten times, and
  PyTorch only warns: Adam steps every shared parameter ten times a step, lr 0.3 in effect; lr), and EDM's EMA made
  by ``copy.copy(net)`` where ``copy.deepcopy`` belongs (the shallow copy shares the net's parameter dict, so the EMA's
  in-place update ``p_ema.mul_(beta).add_(p, alpha=1 - beta)`` runs on the net's own tensors: ``p <- beta (2 - beta)
  p``, and the reference ramp-up's ``beta = 0`` at the first step zeroes every weight and bias of the net (``beta =
  1e-6`` at the second); a network at zero has a vanishing gradient in every layer, Adam's second moments remember the
  first step's large ones, and the later shrinking (``1 - (1 - beta)^2`` a step) keeps it there: the weight norm falls
  from 11.7 to 0 and is 0.039 after 200 steps; init, the weights set to zero, with regularization, the shrinkage,
  accepted). Earlier sharing and copying slips (a tie made where a copy was meant, a tied head zero-initialised, an
  EMA written back into the model, an EMA without ``1 - alpha``, an optimizer over a replaced model, a parameter
  group from an exhausted generator) are not repeated: here one stateful module serves two inputs, an optimizer
  lists a tied parameter once per use, and an EMA aliases the live weights through a shallow copy. None of the slips
  is an activation, depth, recurrence, data-first or numeric one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is EDM with its three hidden layers).

Learning criteria: EDM compares with the loss of its best constant output (``F = 0``: 1 by the preconditioning), the
VRNN with the memoryless N(0, I) marginal (2.838), NNCLR with the chance of its 64 candidates, LogTrans with its
targets' variance (0.87; measured 0.865 and 0.880), SAMformer with its best constant forecast (4.6; measured 4.59 and
4.61: its RevIN starts it near the inputs' mean, far below that); NAF, TS2Vec and PDE-Net compare with their first loss.
Measured plain runs, 200 steps (seed 0, seed 1): EDM 1.034 -> 0.508 and 1.035 -> 0.516; the VRNN 3.292 -> 0.706 and
3.707 -> 0.740 (the criterion 2.128); NAF 3.819 -> 2.194 and 3.749 -> 2.209 (nats a point); TS2Vec 3.025 -> 1.178 and
2.728 -> 1.183; NNCLR 4.858 -> 1.876 and 4.551 -> 1.827 (the criterion 3.119); LogTrans 1.571 -> 0.128 and 1.765 ->
0.132 (the criterion 0.653); SAMformer 0.865 -> 0.147 and 0.817 -> 0.128; PDE-Net 0.0118 -> 9.1e-10 and 0.0091 ->
6.9e-10. Broken: ``edm_init_std_1`` 2.1e6 -> 6.7e4 and 2.6e6 -> 6.7e4 (no divergence); ``vrnn_relu_biases_minus_10``
3.270 -> 2.796 and 3.594 -> 3.011; ``edm_30_layers_default_init`` 1.033 -> 0.991 and 1.031 -> 0.999;
``vrnn_gru_update_bias_plus_10`` 3.298 -> 2.529 and 3.695 -> 2.733 (at seed 0 the state's mean magnitude is 0.07 after
training, the gate biases still 9.6); ``naf_adam_lr1`` diverges at step 1 at both seeds (ends 2.5e4 and 1.9e6; weights
x58 at step 1); ``logtrans_adam_lr1`` diverges at step 1 at both seeds (ends 0.866 and 1.964; weights x58 at step 0);
``ts2vec_adamw_lr1`` diverges at step 1 at both seeds (ends 2.2e6 and 1.3e6; weights x59 at step 0);
``samformer_adam_lr1`` diverges at step 1 at both seeds (ends 8.1e6 and 4.143; weights past x10 at step 2, x47 and x34
at most); ``nnclr_projections_not_l2_normalised`` diverges at step 1 at both seeds (9.802 -> 4.559 and 8.399 -> 5.541);
``ts2vec_adamw_weight_decay_50`` 3.025 -> 2.851 and 2.728 -> 2.845; ``naf_adamw_weight_decay_50`` 3.819 -> 3.729 and
3.749 -> 3.736; ``samformer_targets_shuffled`` 10.76 -> 8.216 and 8.673 -> 8.336; ``vrnn_decoder_std_through_relu`` is
non-finite at step 0 at both seeds (the loss itself); ``samformer_revin_instance_shared_with_covariates`` 8.448 -> 8.274
and 8.297 -> 8.045; ``pde_net_tied_block_listed_per_step_in_optimizer`` diverges at step 1 at both seeds (0.0118 ->
0.0847 and 0.0091 -> 0.0686); ``edm_ema_shallow_copy_shares_weights`` 1.034 -> 0.991 and 1.035 -> 0.999. The cases run
in 0.3 to 17 s a seed on a machine shared with three other helpers' runs (load about 5 on 2 cores); TS2Vec, LogTrans and
the VRNN are the slowest (6 to 11 s a seed for their healthy builds).

Dropped or changed before the freeze (every figure above is from the final code): EDM first denoised a 2-D
eight-Gaussians ring (radius 0.7, std 0.05, sigma_data 0.5: 0.917 -> 0.900, not learned) and then the same ring at
radius 2 with std 0.01 (sigma_data 1.414: 0.914 -> 0.814 at seed 0, not learned: the noise at the small noise
levels cannot be told from the data's own spread, and the large ones are ambiguous between modes); the 8-D ring, a
2-D structure with six near-flat directions, learns. The VRNN first ran 24 steps (3.181 -> 0.652, 13 s a seed under
load) and TS2Vec batches of 32 (3.315 -> 1.384, 13 s); both were shortened. PDE-Net first trained at Adam lr 0.01
(0.0118 -> 3.2e-5), at which the ten-fold listing of the slip still learned (0.0118 -> 0.0011; at lr 0.03 it
diverges), so the healthy lr is 0.03. The second regularization common was first PDE-Net under heavy decay: Adam's
coupled ``weight_decay`` 10, 100 and 1000 ended 0.0084, 0.0093 and 0.0094 from 0.0118 (the first of them below the
criterion 0.0088) and AdamW's ``weight_decay=20`` learned (0.0118 -> 0.0045 and 0.0091 -> 0.0045): the filters carry
``dx^-j`` (about 1000 for the third order), so a coefficient held near 0 by the decay still moves the rollout; NAF at
AdamW ``weight_decay=50`` took its place. Considered and not written (not run: judged to still learn in a plain run,
or to crash): a DSF layer list made by ``[layer] * 2`` (one flow layer applied twice still fits a 2-D density),
the VRNN's prior and posterior heads one instance (the two hidden layers still differ), an EMA teacher sharing the
student's tensors in a bootstrap objective (the target becomes the student's own output, which SimSiam shows still
learns, or collapses to a zero loss that looks learned), and ``copy.copy`` followed by ``requires_grad_(False)``
(freezes every net parameter: ``backward`` raises).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh76_builders as F

P = functools.partial
HALF = "fresh76"
#: reference losses: EDM's best constant output (``F = 0``: 1 by the preconditioning), the VRNN's best memoryless
#: model (the N(0, I) marginal, ``ln(2 pi e)`` a step), NNCLR's 64 candidates, LogTrans's targets' variance (0.87),
#: SAMformer's best constant forecast (0: the levels' variance 4 plus the patterns' 0.55; measured 4.59 and 4.61);
#: NAF, TS2Vec and PDE-Net compare with their first loss
EDM_ZERO, VRNN_MARGINAL, C64, LT_VAR, SAM_CONST = 1.0, math.log(2 * math.pi * math.e), math.log(64), 0.87, 4.6
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH76_HEALTHY: list[Case] = [
    _h("edm_ring_denoiser", HALF, "edm", F.edm, EDM_ZERO),
    _h("vrnn_rotating_ar", HALF, "vrnn", F.vrnn, VRNN_MARGINAL),
    _h("naf_dsf_ring_density", HALF, "naf", F.naf, None),
    _h("ts2vec_series_contrast", HALF, "ts2vec", F.ts2vec, None),
    _h("nnclr_template_views", HALF, "nnclr", F.nnclr, C64),
    _h("logtrans_one_step_forecast", HALF, "logtrans", F.logtrans, LT_VAR),
    _h("samformer_covariate_forecast", HALF, "samformer", F.samformer, SAM_CONST),
    _h("pde_net_advection_diffusion", HALF, "pde_net", F.pde_net, None),
]

FRESH76_BROKEN: list[Case] = [
    # init
    _b("edm_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.edm, init_std=1.0), EDM_ZERO),
    # activation
    _b("vrnn_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.vrnn, relu_bias=-10.0), VRNN_MARGINAL),
    # depth
    _b("edm_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.edm, layers=30), EDM_ZERO),
    # recurrence
    _b("vrnn_gru_update_bias_plus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.vrnn, update_bias=10.0), VRNN_MARGINAL),
    # lr
    _b("naf_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.naf, lr=1.0), None),
    _b("logtrans_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.logtrans, lr=1.0), LT_VAR),
    _b("ts2vec_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ts2vec, lr=1.0), None),
    _b("samformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.samformer, lr=1.0), SAM_CONST),
    # normalization
    _b("nnclr_projections_not_l2_normalised", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.nnclr, l2=False), C64),
    # regularization
    _b("ts2vec_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.ts2vec, weight_decay=50.0), None),
    _b("naf_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.naf, weight_decay=50.0), None),
    # data
    _b("samformer_targets_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.samformer, shuffled=True), SAM_CONST),
    # numeric
    _b("vrnn_decoder_std_through_relu", HALF, ("numeric", "activation"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.vrnn, std_relu=True), VRNN_MARGINAL),
    _b("samformer_revin_instance_shared_with_covariates", HALF, ("normalization", "data"), VANISH,  # kind: slip
       STUCK, P(F.samformer, shared_revin=True), SAM_CONST),
    _b("pde_net_tied_block_listed_per_step_in_optimizer", HALF, ("lr",), LR_EVENTS,  # kind: slip
       DIVERGE + STUCK, P(F.pde_net, per_block=True), None),
    _b("edm_ema_shallow_copy_shares_weights", HALF, ("init", "regularization"), VANISH, STUCK,  # kind: slip
       P(F.edm, shallow_ema=True), EDM_ZERO),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "edm_init_std_1": "common", "vrnn_relu_biases_minus_10": "common", "edm_30_layers_default_init": "common",
    "vrnn_gru_update_bias_plus_10": "common", "naf_adam_lr1": "common", "logtrans_adam_lr1": "common",
    "ts2vec_adamw_lr1": "common", "samformer_adam_lr1": "common", "nnclr_projections_not_l2_normalised": "common",
    "ts2vec_adamw_weight_decay_50": "common", "naf_adamw_weight_decay_50": "common",
    "samformer_targets_shuffled": "common", "vrnn_decoder_std_through_relu": "common",
    "samformer_revin_instance_shared_with_covariates": "slip",
    "pde_net_tied_block_listed_per_step_in_optimizer": "slip", "edm_ema_shallow_copy_shares_weights": "slip",
}

#: the cases (half "fresh76")
FRESH76: list[Case] = FRESH76_HEALTHY + FRESH76_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "edm_init_std_1": F.edm,
    "vrnn_relu_biases_minus_10": F.vrnn,
    "edm_30_layers_default_init": F.edm,
    "vrnn_gru_update_bias_plus_10": F.vrnn,
    "naf_adam_lr1": F.naf,
    "logtrans_adam_lr1": F.logtrans,
    "ts2vec_adamw_lr1": F.ts2vec,
    "samformer_adam_lr1": F.samformer,
    "nnclr_projections_not_l2_normalised": F.nnclr,
    "ts2vec_adamw_weight_decay_50": F.ts2vec,
    "naf_adamw_weight_decay_50": F.naf,
    "samformer_targets_shuffled": F.samformer,
    "vrnn_decoder_std_through_relu": F.vrnn,
    "samformer_revin_instance_shared_with_covariates": F.samformer,
    "pde_net_tied_block_listed_per_step_in_optimizer": F.pde_net,
    "edm_ema_shallow_copy_shares_weights": F.edm,
}
