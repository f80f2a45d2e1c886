"""The forty-first held-out batch (half ``"fresh40"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, from graph, click-through, forecasting, anomaly-detection,
operator-learning, generative, meta-learning and tabular models; the settings are the paper's or its reference
code's unless said; the data are synthetic, drawn from the seeds 400_000 + seed): BernNet (He et al. 2021: the
reference code's MLP ``Linear(32, 64)`` - ReLU - ``Linear(64, 4)`` with dropout 0.5, then dropout 0.5 and the
Bernstein filter of order 10 on the symmetric Laplacian, its coefficients at ones through a ReLU; PyTorch's default
init; Adam at the reference code's lr 0.01, weight decay 5e-4 on the MLP and none on the coefficients) classifying the
nodes of a 300-node stochastic block model with weak features (loss over the training half), FwFM (Pan et al. 2018:
six categorical fields in one embedding table of 10 indexed by global feature ids, the linear term and the
field-pair strengths ``r``; the embeddings N(0, 0.1^2) and the rest N(0, 1e-4^2); binary cross-entropy, Adam lr 1e-2
set here) on click logs whose clicks follow fixed pairwise factor interactions, FITS (Xu, Zeng and Xu 2024: the
window's instance normalisation, the rFFT cut at 8 of 25 frequencies, one complex Linear shared by the channels
up-sampling them to 12, the inverse rFFT to look-back plus horizon; MSE on the forecast, Adam lr 5e-3 set here)
forecasting 24 steps of three-channel daily-cycle series from 48, each window at its own level and scale,
EncDec-AD (Malhotra et al. 2016: an LSTM encoder of 32 whose final state starts an LSTM decoder that reconstructs the
window in reverse, fed its own reconstructions; PyTorch's default init; MSE, Adam lr 1e-3 set here) on standardised
windows of three sensors in normal operation, the graph kernel network (Li et al. 2020, narrowed: the nodes' ``(a(x),
x)`` lifted to 8, one kernel convolution applied 4 times over the points within radius 0.25, the kernel a ReLU MLP
4 - 16 - 32 - 64 of ``(x_i, x_j, a_i, a_j)``, mean aggregation; PyTorch's default init; MSE in place of the reference
code's relative L2, Adam lr 1e-3 set here with its weight decay 5e-4) learning the 1-D Darcy solution operator on 16
points, a VAE with inverse autoregressive flow (Kingma et al. 2016, narrowed: ELU MLPs 64 - 128 - 128 and 8 - 128 -
128 - 64, 8 latents, a context of 16, two IAF steps of MADEs with the paper's numerically stable update ``z <- sigma z
+ (1 - sigma) m`` and ``s``'s bias at +2; the negative ELBO in nats, Adamax at the paper's lr 0.002) on binary 8x8
glyphs, the attentive neural process (Kim et al. 2019, narrowed to 64 with 4 heads: deterministic path with
self-attention and cross-attention, latent path, the reference code's ``sigma`` bounds; its loss, Adam lr 1e-3 set
here, the reference's 1e-4 being for 10^5 steps) on curves from a Gaussian process (10 contexts, 50 targets), and
GANDALF (Joseph and Raj 2022, as pytorch_tabular builds it: BatchNorm on the continuous inputs, six gated feature
learning units with the t-softmax feature masks (Beta-drawn, learnable sparsity from 0.3), a Linear head; Adam at
pytorch_tabular's default lr 1e-3) classifying rows of 12 raw numeric columns (scales 10 to 10^4, offsets of
thousands; 4 classes from a fixed tanh teacher).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh39``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): the IAF VAE's encoder and decoder Linears
  drawn N(0, 1) (``log sigma`` in the hundreds: ``exp`` overflows at the first forward; init), BernNet's hidden bias
  -10 (every unit of its only ReLU dead; activation), the IAF VAE 30 hidden ELU layers deep in its encoder and its
  decoder at PyTorch's default init (depth), EncDec-AD's LSTM recurrent matrices drawn N(0, 3^2) (its gates saturate;
  recurrence), BernNet, the ANP and EncDec-AD at Adam lr 1 (lr), GANDALF without its input BatchNorm on the raw
  columns (normalization, the data's scales a second cause), FwFM and the ANP at Adam ``weight_decay=1``
  (regularization), FwFM's clicks permuted within every batch, apart from their rows (data), and EncDec-AD's windows
  standardised per window as ``(x - mean) / std`` without the eps while a stuck sensor flat-lines one channel in 4
  windows of 32 (``0 / 0``; numeric);
- **slip** (a user's mistake of a kind no earlier batch used): GANDALF's gates written ``F.logsigmoid(...)`` where
  ``torch.sigmoid(...)`` belongs (the neighbouring name from autocompletion: every gate is negative, so ``(1 - z) h``
  grows the state at every unit; ``fresh36`` tried ``nn.LogSigmoid`` on GMMN's output, where it learned, and dropped
  it; activation), FwFM's linear warm-up ``LambdaLR(lambda s: min(1.0, s // warmup))``, integer floor division where
  ``s / warmup`` belongs (the factor is 0 for every step before the 250-step warm-up ends, so the run never moves;
  lr), the IAF VAE trained by a loop adapted from a WGAN script that kept the critic's weight clipping (every
  parameter clamped to [-0.01, 0.01] after each step; a constraint copied with the loop; regularization), and FwFM's
  fields label-encoded from 0 each, without the offsets that give each field its own rows of the shared embedding
  table (field 1's value 3 and field 2's value 3 are one id; data). None of the slips is an init, depth, recurrence,
  normalization or numeric one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds but the warm-up slip's, which is FwFM with the warm-up written ``s / warmup``.

Learning criteria: BernNet's and GANDALF's classes compare with chance (four classes), FwFM with a coin (``log 2``),
the IAF VAE with 64 fair coins (``64 ln 2 = 44.36`` nats, the criterion 33.27); FITS, EncDec-AD, the GKN and the ANP
compare with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): BernNet 1.542 -> 0.670 and 1.522 ->
0.581; FwFM 0.693 -> 0.329 and 0.693 -> 0.347 (the criterion 0.520); FITS 5.937 -> 0.0650 and 3.952 -> 0.0648;
EncDec-AD 0.931 -> 0.234 and 0.926 -> 0.228; the GKN 1.198 -> 0.132 and 0.450 -> 0.0580; the IAF VAE 44.81 -> 27.86
and 45.28 -> 26.48; the ANP 1.706 -> 0.772 and 1.419 -> 0.766; GANDALF 1.354 -> 0.510 and 1.419 -> 0.524. Broken:
``iaf_vae_init_std_1`` is non-finite at step 0 at both seeds (the loss itself); ``bernnet_relu_biases_minus_10``
1.385 -> 1.386 and 1.398 -> 1.375; ``gandalf_gates_through_logsigmoid`` starts at 6.0e4 and 9650, diverges at steps
4 and 3 and ends at 1185 and 245.5; ``iaf_vae_30_layers_default_init`` 45.04 -> 41.90 and 44.86 -> 42.00;
``encdec_ad_lstm_recurrent_normal_std_3`` 0.969 -> 0.980 and 0.949 -> 0.968; ``bernnet_adam_lr1`` diverges at step 2
at both seeds (ends 1.386, chance; weights x29); ``anp_adam_lr1`` diverges at step 1 at both seeds (ends 1.1e28 and
6.5e25; weights x129 and x75); ``encdec_ad_adam_lr1`` diverges at step 1 at both seeds (ends 838 and 913; weights
x63 and x67); ``fwfm_warmup_floor_division`` 0.6931 -> 0.6931 at both seeds (its control 0.693 -> 0.414 and 0.693 ->
0.373); ``gandalf_without_input_batchnorm`` 157.0 -> 1.735 and 12.21 -> 1.577; ``fwfm_adam_weight_decay_1`` 0.693 ->
0.687 and 0.693 -> 0.686; ``anp_adam_weight_decay_1`` 1.706 -> 1.431 and 1.419 -> 1.446;
``iaf_vae_wgan_weight_clipping`` 44.81 -> 47.81 and 45.28 -> 47.81; ``fwfm_clicks_shuffled`` 0.693 -> 0.660 and
0.693 -> 0.654; ``fwfm_fields_without_offsets`` 0.693 -> 0.621 and 0.693 -> 0.603;
``encdec_ad_standardised_without_eps`` is non-finite at step 0 at both seeds (its inputs). Every case runs in at
most 5.1 s a seed (the 30-layer IAF VAE the slowest, then the ANP at 4.0 s) on a machine shared with other work, and
up to 11 s when two of these runs share its two cores.

Dropped or changed before the freeze (every figure above is from the final code): FwFM at DeepCTR-Torch's defaults
(every weight N(0, 1e-4^2), Adam lr 1e-3) did not learn in 200 steps (0.693 -> 0.649 and 0.693 -> 0.638); the
embeddings start at 0.1 and the lr is 1e-2. The IAF VAE was first trained on the bars problem and learned only
barely (44.59 -> 33.14 against the criterion 33.27); it has the glyphs. The GKN had 32 points, width 16 and a kernel
MLP 4 - 32 - 64 - 256 at first and took 30 to 44 s a seed; at 24 points and width 8 its relative L2 spiked at step 2
of seed 0 (18.6), so the coefficients' log-amplitudes were halved and the points cut to 16, and at batch 8 its loss
(relative L2, then MSE) rose above twice the first at step 67 of seed 0 (a batch of larger solutions); it has MSE
and batch 16. The ANP at lr 5e-4 ended seed 1 at 0.975 against the criterion 1.064, too close; it uses 1e-3. Faults
written, measured and dropped: BernNet's MLP 30 ReLU layers deep failed (1.398 -> 1.385 and 1.395 -> 1.378) but took
12 s a seed (its vanishing activations run in denormals), so the depth case is the IAF VAE's (the ``layers`` switch
stays in BernNet, unused); FwFM's embeddings drawn N(0, 1) learned (0.693 -> 0.440 and 0.693 -> 0.385); FITS without
its instance normalisation learned (168.8 -> 0.183 and 152.0 -> 0.134: the model is linear) and FITS at Adam lr 1
diverged at step 1 and learned again (ends 0.072 and 0.079), as did the GKN at Adam lr 1 (ends 0.519 and 0.510, at
batch 8 with the relative L2), so FITS and the GKN have no broken case; the ANP's Linears drawn N(0, 1) started at
4.1e15 and 4.0e16 and ended at 1.5e14 and 9.8e14, "learned" by the criterion's ratio; GANDALF without its input
BatchNorm learned while the raw columns' scales were 0.1 to 100 (1.672 -> 0.782 and 1.477 -> 0.753), so the columns
are wider (the healthy GANDALF is unchanged by them behind its BatchNorm). Slips written, measured and dropped: an
MLP activation looked up by name with ``nn.Identity`` as the silent fallback (a config's ``"ReLU"`` against the
table's ``"relu"``) learned on the ANP (1.701 -> 1.014 and 1.417 -> 0.988) and on the IAF VAE (44.88 -> 26.91 and
45.37 -> 27.05); the ANP's points sorted by ``x, _ = x.sort(1)`` without applying the indices to ``y`` learned at
seed 0 (1.709 -> 1.150 against 1.282); Adam's ``betas`` written ``(0.999, 0.9)`` learned on FwFM, GANDALF and FITS
and at one seed of the ANP and EncDec-AD; the IAF VAE's activation built as ``nn.Softplus(0.01)``, a smoothing
temperature passed where ``beta`` (its inverse) belongs, was non-finite at step 0, but its control
``nn.Softplus(100)`` did not learn either (44.73 -> 41.54 and 45.13 -> 41.68), nor did sigmoid units (46.08 ->
41.94): in 200 steps this VAE learns with ELU units only (and, oddly, with none: the identity learned); the warm-up
slip was first GANDALF's, whose control (a 250-step warm-up) did not learn (1.354 -> 1.039 against 1.015); it moved
to FwFM. GANDALF at Adam lr 1 (diverges at steps 2 and 1) and at Adam weight decay 1 (1.354 -> 1.379 and 1.419 ->
1.380; both on the narrower columns), the IAF VAE at Adamax lr 1 (non-finite at step 1) and FwFM at Adam lr 1
(diverges at step 1) fail too and were not kept, those causes being covered. The commons outnumber the slips (12 to
4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh40_builders as F

P = functools.partial
HALF = "fresh40"
#: chance losses: four classes (BernNet's nodes, GANDALF's rows), a coin (FwFM's clicks), 64 fair coins (the IAF
#: VAE's pixels: ``64 ln 2`` nats an image); FITS, EncDec-AD, the GKN and the ANP have none (their first loss is the
#: reference)
C4, COIN, PIXELS = math.log(4), math.log(2), 64 * math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH40_HEALTHY: list[Case] = [
    _h("bernnet_sbm_nodes", HALF, "bernnet", F.bernnet, C4),
    _h("fwfm_click_logs", HALF, "fwfm", F.fwfm, COIN),
    _h("fits_seasonal_series", HALF, "fits", F.fits, None),
    _h("encdec_ad_sensor_windows", HALF, "encdec_ad", F.encdec_ad, None),
    _h("gkn_darcy", HALF, "gkn", F.gkn, None),
    _h("iaf_vae_glyphs", HALF, "iaf_vae", F.iaf_vae, PIXELS),
    _h("anp_gp_curves", HALF, "anp", F.anp, None),
    _h("gandalf_raw_table", HALF, "gandalf", F.gandalf, C4),
]

FRESH40_BROKEN: list[Case] = [
    # init
    _b("iaf_vae_init_std_1", HALF, ("init",), EXPLODE, DIVERGE,  # kind: common
       P(F.iaf_vae, init_std=1.0), PIXELS),
    # activation
    _b("bernnet_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.bernnet, relu_bias=-10.0), C4),
    _b("gandalf_gates_through_logsigmoid", HALF, ("activation",), EXPLODE, DIVERGE + STUCK,  # kind: slip
       P(F.gandalf, logsigmoid_gates=True), C4),
    # depth
    _b("iaf_vae_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.iaf_vae, depth=30), PIXELS),
    # recurrence
    _b("encdec_ad_lstm_recurrent_normal_std_3", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.encdec_ad, recurrent_std=3.0), None),
    # lr
    _b("bernnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.bernnet, lr=1.0), C4),
    _b("anp_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.anp, lr=1.0), None),
    _b("encdec_ad_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.encdec_ad, lr=1.0), None),
    _b("fwfm_warmup_floor_division", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.fwfm, warmup=250, floor_div=True), COIN),
    # normalization
    _b("gandalf_without_input_batchnorm", HALF, ("normalization", "data"), BOTH, STUCK,  # kind: common
       P(F.gandalf, bn=False), C4),
    # regularization
    _b("fwfm_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.fwfm, weight_decay=1.0), COIN),
    _b("anp_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.anp, weight_decay=1.0), None),
    _b("iaf_vae_wgan_weight_clipping", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.iaf_vae, clip=0.01), PIXELS),
    # data
    _b("fwfm_clicks_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.fwfm, shuffled=True), COIN),
    _b("fwfm_fields_without_offsets", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.fwfm, offsets=False), COIN),
    # numeric
    _b("encdec_ad_standardised_without_eps", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.encdec_ad, eps=0.0), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "iaf_vae_init_std_1": "common", "bernnet_relu_biases_minus_10": "common",
    "gandalf_gates_through_logsigmoid": "slip", "iaf_vae_30_layers_default_init": "common",
    "encdec_ad_lstm_recurrent_normal_std_3": "common", "bernnet_adam_lr1": "common", "anp_adam_lr1": "common",
    "encdec_ad_adam_lr1": "common", "fwfm_warmup_floor_division": "slip", "gandalf_without_input_batchnorm": "common",
    "fwfm_adam_weight_decay_1": "common", "anp_adam_weight_decay_1": "common", "iaf_vae_wgan_weight_clipping": "slip",
    "fwfm_clicks_shuffled": "common", "fwfm_fields_without_offsets": "slip",
    "encdec_ad_standardised_without_eps": "common",
}

#: the cases (half "fresh40")
FRESH40: list[Case] = FRESH40_HEALTHY + FRESH40_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "iaf_vae_init_std_1": F.iaf_vae,
    "bernnet_relu_biases_minus_10": F.bernnet,
    "gandalf_gates_through_logsigmoid": F.gandalf,
    "iaf_vae_30_layers_default_init": F.iaf_vae,
    "encdec_ad_lstm_recurrent_normal_std_3": F.encdec_ad,
    "bernnet_adam_lr1": F.bernnet,
    "anp_adam_lr1": F.anp,
    "encdec_ad_adam_lr1": F.encdec_ad,
    "fwfm_warmup_floor_division": P(F.fwfm, warmup=250),
    "gandalf_without_input_batchnorm": F.gandalf,
    "fwfm_adam_weight_decay_1": F.fwfm,
    "anp_adam_weight_decay_1": F.anp,
    "iaf_vae_wgan_weight_clipping": F.iaf_vae,
    "fwfm_clicks_shuffled": F.fwfm,
    "fwfm_fields_without_offsets": F.fwfm,
    "encdec_ad_standardised_without_eps": F.encdec_ad,
}
