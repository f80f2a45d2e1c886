"""The twenty-fifth held-out batch (half ``"fresh24"``): thirteen standard architectures new to the corpus at their
usual settings, and nineteen broken variants with one real fault each, written and labelled with plain PyTorch
before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said):
Slot Attention (a four-conv encoder with a soft position embedding, four slots, three iterations of attention
normalised over the slots, a GRU update and a residual MLP; the summed slots classified by an MLP; Adam at the
paper's lr 4e-4, its warm-up and decay left out) on template images, HiFi-GAN's multi-period discriminator (periods
2, 3 and 5, weight-normalised (5, 1) convs of stride 3 with LeakyReLU 0.1; a linear head over the pooled features;
AdamW at HiFi-GAN's lr 2e-4, betas (0.8, 0.99), weight decay 0.01) as a keyword classifier on waveforms, SigLIP (a
conv image tower and a one-layer transformer text tower, L2-normalised, the pairwise sigmoid loss with the paper's
``t' = log 10`` and ``b = -10``; AdamW 1e-3 weight decay 1e-4 betas (0.9, 0.95), no warm-up) on image-caption pairs,
PointNet++ (one set-abstraction level of 16 farthest-point centroids with 8 neighbours each and a BatchNorm shared
MLP, a global level, an MLP head; Adam 1e-3) on point clouds of five shapes, the Neural Turing Machine (an LSTM
controller, a 16 x 8 memory initialised to 1e-6, one read and one write head with content addressing, interpolation,
shift and sharpening; Adam 1e-3 where the paper runs RMSprop 1e-4 with momentum 0.9, too slow for 200 steps;
gradients clipped at norm 10) on series whose class is in the first three values, Autoformer (series decomposition,
two encoder layers of auto-correlation over the top ``log L`` delays; encoder only, its decoder replaced by linear
maps of the seasonal and trend parts to the horizon; Adam 1e-3, ten times the paper's 1e-4 which trains for ten
epochs) on sensor windows, Tacotron's CBHG (a bank of eight 1-D convs with BatchNorm, max pooling, projections, a
residual, four highway layers, a bidirectional GRU, mean pooled into a classifier; Adam 1e-3 eps 1e-6, Tacotron's)
on keyword MFCC sequences, PNA (three layers with the mean, max, min and std aggregators, the identity,
amplification and attenuation scalers, BatchNorm and residuals; a sum readout and an MLP; Adam 1e-3) on padded
molecules with an additive target, NODE (two densely connected layers of 16 oblivious soft decision trees of depth
3; a softmax feature choice and a sigmoid comparison where the paper uses entmax and entmoid, temperatures started
at 0.3 in place of its data-aware init; Adam 1e-2 with the paper's QHAdam betas (0.95, 0.998): at the paper's 1e-3
it had not learned in 200 steps, 0.698 -> 0.686 at seed 0) on standardised tabular rows, Deep Crossing (an embedding
of 8 per categorical field and a dense feature, stacked, three residual units of width 64; Adam 1e-3) on click logs,
an AFT-full LM (attention-free transformer blocks with learned pairwise position biases, pre-LN, GELU MLP,
embeddings N(0, d^-1/2) scaled by sqrt(d) and tied to the output; AdamW 1e-3 betas (0.9, 0.98) weight decay 0.01) on
the Markov language, and, from ``transformers`` configs, a tiny SmolLM3 (four layers, RoPE left out of every fourth)
and a tiny Arcee (a squared-ReLU two-matrix MLP), both at AdamW 3e-4 betas (0.9, 0.95) weight decay 0.1 and init std
0.02 (no warm-up or decay), on the Markov language.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh23``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): SmolLM3 at ``initializer_range=1`` and
  Slot Attention with every weight matrix drawn N(0, 1) (init), every Deep Crossing residual-unit bias initialised
  to -10 (every ReLU dead; activation), each HiFi-GAN period discriminator with 30 plain stride-1 convs appended at
  PyTorch's default init (depth), the NTM controller's and CBHG's GRU's hidden-to-hidden matrices drawn N(0, 10^2)
  (recurrence), Slot Attention at Adam lr 1, Autoformer at Adam lr 1 and Arcee at AdamW lr 1 (lr), PointNet++ without
  its BatchNorms at SGD 0.5 momentum 0.9 (where the BatchNorm version learns; normalization), NODE's features in their
  raw units (scales 1 to 1e4, the quantile transform left out) and PNA's regression targets in raw units (times 1e4,
  unstandardised; data), PNA's std aggregator written ``sqrt(E[m^2] - E[m]^2)`` without the reference's ``relu`` and
  ``+ 1e-5`` (numeric), and SigLIP at AdamW ``weight_decay=50`` (regularization);
- **slip** (a user's mistake of a kind no earlier batch used): the AFT LM's embeddings initialised with ``std=d **
  0.5`` where ``d ** -0.5`` belongs, under the sqrt(d) scaling and the tied output (std 8: first loss ~480; init),
  Deep Crossing's residual unit written ``h.relu()`` and ``out.relu()``, the in-place method's underscore lost, so
  that the returned tensors are dropped and every unit is linear (activation), PNA's readout MLP built by a helper
  that puts its LayerNorm after every Linear, the last one included, whose output has width 1 (the LayerNorm of one
  value is 0: the prediction is the LayerNorm's bias, a constant; normalization), the NTM's memory initialised to
  zeros and its cosine similarity written ``k . M / (|k| |M|)`` without an eps (``0 / 0`` at the first read;
  numeric), and NODE's ``torch.optim.Adam`` given ``weight_decay=0.05``, the value a config set for AdamW kept when a
  training script's optimizer switch built Adam, whose ``weight_decay`` is a coupled L2 gradient term
  (regularization). No depth, recurrence, lr or data slip was written: the commons outnumber the slips (14 to 5).
  Three of the slips live in the code around the model (the embedding's init call, the MLP helper and the
  optimizer's construction); the other two are in the model's own code. The AFT slip is a dropped sign of an
  exponent, as ``fresh12``'s Noam schedule was, but in the init (a different cause).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except the BatchNorm case's, PointNet++ with its BatchNorms at SGD 0.5 (1.674 ->
0.261 and 1.600 -> 0.254).

Learning criteria: the classifiers compare with chance (ten, eight, five, four and two classes; the LMs with their
64-token vocabulary); SigLIP, Autoformer and PNA compare with their first loss. Measured plain runs (seed 0, seed 1):
Slot Attention 2.51 -> 0.0347 and 2.36 -> 0.0456; HiFi-GAN's MPD 2.08 -> 1.35 and 2.07 -> 1.22 (the criterion 1.56);
SigLIP 12.0 -> 2.25 and 8.24 -> 2.24; PointNet++ 1.67 -> 0.0359 and 1.60 -> 0.0364; the NTM 1.37 -> 0.677 and 1.38
-> 0.119 (the criterion 1.04); Autoformer 14.0 -> 0.623 and 13.0 -> 0.334; CBHG 2.12 -> 0.0459 and 2.09 -> 0.0518;
PNA 0.775 -> 0.0699 and 0.893 -> 0.0927; NODE 0.703 -> 0.431 and 0.696 -> 0.432 (the criterion 0.520); Deep Crossing
0.713 -> 0.167 and 0.710 -> 0.160; AFT 7.29 -> 1.25 and 7.05 -> 1.23; SmolLM3 4.15 -> 1.79 and 4.16 -> 1.76; Arcee
4.19 -> 1.80 and 4.18 -> 1.75. Broken: ``smollm3_initializer_range_1`` 19.4 -> 13.4 and 19.7 -> 13.5;
``slot_attention_init_std_1`` 3862 -> 1787 and 4744 -> 2025; ``aft_embedding_init_std_d_to_the_plus_half`` 488 ->
56.3 and 469 -> 57.7; ``deep_crossing_hidden_bias_minus_10`` 0.672 -> 0.682 and 0.677 -> 0.681;
``deep_crossing_relu_without_underscore`` 0.763 -> 0.675 and 0.713 -> 0.674 (the criterion 0.520);
``hifigan_mpd_30_plain_convs_per_period`` 2.087 -> 2.078 and 2.095 -> 2.078; ``ntm_controller_recurrent_normal_std_10``
1.400 -> 1.389 and 1.417 -> 1.381; ``cbhg_gru_recurrent_normal_std_10`` 2.12 -> 1.89 and 2.14 -> 1.97 (the criterion
1.56: a moderate margin, the conv bank still carries some of the signal); ``slot_attention_adam_lr1`` diverges at step
1 at both seeds (weights x98 and x101; ends 2.39 and 2.38); ``autoformer_adam_lr1`` diverges at step 1 at both seeds
(weights x127 and x98; ends 8e24 and 3e26); ``arcee_adamw_lr1`` diverges at step 1 at both seeds (weights x32; ends
4.04 and 3.95, the criterion 3.12); ``pointnet2_without_batchnorm_sgd_lr0.5`` diverges at steps 29 and 25 and ends at
chance (1.63 and 1.65); ``pna_readout_layernorm_on_scalar_output`` 0.767 -> 0.695 and 0.919 -> 0.711;
``node_features_in_raw_units`` 0.706 -> 0.692 and 0.711 -> 0.692; ``pna_targets_unstandardised_x1e4`` 7.67e7 ->
7.35e7 and 9.19e7 -> 7.49e7; ``pna_std_aggregator_sqrt_without_relu_and_eps`` is non-finite at step 0 at both seeds
(its first loss is finite; the gradient through the square root of the zero variances of one-neighbour and padded
atoms is not, and the first update makes the weights NaN); ``ntm_zero_memory_cosine_without_eps`` is non-finite at
step 0 at both seeds (the loss itself); ``siglip_adamw_weight_decay_50`` 12.0 -> 10.7 and 8.24 -> 10.7;
``node_adamw_decay_kept_under_adam`` 0.703 -> 0.694 and 0.696 -> 0.693.

Dropped before the freeze (seed 0 unless said): PointNet++ with every weight matrix N(0, 1) (5.57 -> 0.383: its
BatchNorms rescale), with 40 plain default-init Linear-ReLU layers appended to its first shared MLP (1.68 -> 0.096:
the next level's BatchNorm rescales the vanished signal), without BatchNorms at SGD 0.1 (1.59 -> 0.255; 0.5 kept) and
on coordinates in millimetres, times 1000 with the unit-ball normalisation skipped (1.72 -> 0.046); PNA's std
aggregator without only its ``+ 1e-5`` (0.775 -> 0.069: the ``relu`` kept in front of the root masks the infinite
gradient at zero, as its backward gives 0 there; the form without ``relu`` and eps kept); SigLIP at AdamW lr 1
(12.0 -> 4.45: learned); HiFi-GAN's MPD fed integer 16-bit sample values (the float waveform times 8191, the division
left out: 120.5 -> 0.264, learned, its weight normalisation absorbing the scale); Autoformer with every weight matrix
N(0, 1) (4.5e15 -> 6.0e13: learned by its first-loss criterion); Slot Attention with the AdamW recipe's
``weight_decay=0.05`` under Adam (2.51 -> 1.15: learned; the slip moved to NODE); and the AFT LM's embeddings left at
``nn.Embedding``'s N(0, 1) default under the sqrt(d) scaling and tying (60.9 -> 3.11 and 58.6 -> 2.90 against the
criterion 3.12: learned; the std-8 slip kept). A data slip (SigLIP's images and captions drawn from two separately
shuffled loaders) was not written: the sigmoid loss of unmatched pairs is minimised by a constant logit at about
``ln n + 1`` (4.5 for batch 32), below 0.75 of SigLIP's first loss (about 12, its bias -10), so the plain run would
count as learning.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh24_builders as F

P = functools.partial
HALF = "fresh24"
#: chance losses: ten, eight, five, four and two classes and the 64-token vocabulary; SigLIP, Autoformer and PNA have
#: none (their first loss is the reference)
C10, C8, C5, C4, C2, LM = math.log(10), math.log(8), math.log(5), math.log(4), math.log(2), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH24_HEALTHY: list[Case] = [
    _h("slot_attention_classifier", HALF, "slot_attention", F.slot_attention, C10),
    _h("hifigan_mpd_keywords", HALF, "hifigan_mpd", F.mpd, C8),
    _h("siglip_image_text", HALF, "siglip", F.siglip, None),
    _h("pointnet2_shapes", HALF, "pointnet2", F.pointnet2, C5),
    _h("ntm_level_series", HALF, "ntm", F.ntm, C4),
    _h("autoformer_forecaster", HALF, "autoformer", F.autoformer, None),
    _h("cbhg_keywords", HALF, "cbhg", F.cbhg, C8),
    _h("pna_molecules", HALF, "pna", F.pna, None),
    _h("node_tabular", HALF, "node", F.node, C2),
    _h("deep_crossing_clicks", HALF, "deep_crossing", F.deep_crossing, C2),
    _h("aft_lm", HALF, "aft", F.aft, LM),
    _h("smollm3_lm", HALF, "smollm3", F.smollm3, LM),
    _h("arcee_lm", HALF, "arcee", F.arcee, LM),
]

FRESH24_BROKEN: list[Case] = [
    # init
    _b("smollm3_initializer_range_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.smollm3, initializer_range=1.0), LM),
    _b("slot_attention_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.slot_attention, init_std=1.0), C10),
    _b("aft_embedding_init_std_d_to_the_plus_half", HALF, ("init",), BOTH, STUCK,  # kind: slip
       P(F.aft, emb_std=8.0), LM),
    # activation
    _b("deep_crossing_hidden_bias_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.deep_crossing, hidden_bias=-10.0), C2),
    _b("deep_crossing_relu_without_underscore", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.deep_crossing, relu_method=True), C2),
    # depth
    _b("hifigan_mpd_30_plain_convs_per_period", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.mpd, extra=30), C8),
    # recurrence
    _b("ntm_controller_recurrent_normal_std_10", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.ntm, recurrent_std=10.0), C4),
    _b("cbhg_gru_recurrent_normal_std_10", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.cbhg, recurrent_std=10.0), C8),
    # lr
    _b("slot_attention_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.slot_attention, lr=1.0), C10),
    _b("autoformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.autoformer, lr=1.0), None),
    _b("arcee_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.arcee, lr=1.0), LM),
    # normalization
    _b("pointnet2_without_batchnorm_sgd_lr0.5", HALF, ("normalization", "lr"), BOTH,  # kind: common
       DIVERGE + STUCK, P(F.pointnet2, bn=False, sgd=True, lr=0.5), C5),
    _b("pna_readout_layernorm_on_scalar_output", HALF, ("normalization",), VANISH, STUCK,  # kind: slip
       P(F.pna, norm_last=True), None),
    # data
    _b("node_features_in_raw_units", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.node, raw=True), C2),
    _b("pna_targets_unstandardised_x1e4", HALF, ("data",), BOTH, STUCK,  # kind: common
       P(F.pna, target_scale=1e4), None),
    # numeric
    _b("pna_std_aggregator_sqrt_without_relu_and_eps", HALF, ("numeric",), NONFINITE,  # kind: common
       ("nonfinite",), P(F.pna, std_eps=False), None),
    _b("ntm_zero_memory_cosine_without_eps", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.ntm, zero_memory_no_eps=True), C4),
    # regularization
    _b("siglip_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.siglip, weight_decay=50.0), None),
    _b("node_adamw_decay_kept_under_adam", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.node, weight_decay=0.05), C2),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "smollm3_initializer_range_1": "common", "slot_attention_init_std_1": "common",
    "aft_embedding_init_std_d_to_the_plus_half": "slip",
    "deep_crossing_hidden_bias_minus_10": "common", "deep_crossing_relu_without_underscore": "slip",
    "hifigan_mpd_30_plain_convs_per_period": "common",
    "ntm_controller_recurrent_normal_std_10": "common", "cbhg_gru_recurrent_normal_std_10": "common",
    "slot_attention_adam_lr1": "common", "autoformer_adam_lr1": "common", "arcee_adamw_lr1": "common",
    "pointnet2_without_batchnorm_sgd_lr0.5": "common", "pna_readout_layernorm_on_scalar_output": "slip",
    "node_features_in_raw_units": "common", "pna_targets_unstandardised_x1e4": "common",
    "pna_std_aggregator_sqrt_without_relu_and_eps": "common", "ntm_zero_memory_cosine_without_eps": "slip",
    "siglip_adamw_weight_decay_50": "common", "node_adamw_decay_kept_under_adam": "slip",
}

#: the cases (half "fresh24")
FRESH24: list[Case] = FRESH24_HEALTHY + FRESH24_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "smollm3_initializer_range_1": F.smollm3,
    "slot_attention_init_std_1": F.slot_attention,
    "aft_embedding_init_std_d_to_the_plus_half": F.aft,
    "deep_crossing_hidden_bias_minus_10": F.deep_crossing,
    "deep_crossing_relu_without_underscore": F.deep_crossing,
    "hifigan_mpd_30_plain_convs_per_period": F.mpd,
    "ntm_controller_recurrent_normal_std_10": F.ntm,
    "cbhg_gru_recurrent_normal_std_10": F.cbhg,
    "slot_attention_adam_lr1": F.slot_attention,
    "autoformer_adam_lr1": F.autoformer,
    "arcee_adamw_lr1": F.arcee,
    "pointnet2_without_batchnorm_sgd_lr0.5": P(F.pointnet2, sgd=True, lr=0.5),
    "pna_readout_layernorm_on_scalar_output": F.pna,
    "node_features_in_raw_units": F.node,
    "pna_targets_unstandardised_x1e4": F.pna,
    "pna_std_aggregator_sqrt_without_relu_and_eps": F.pna,
    "ntm_zero_memory_cosine_without_eps": F.ntm,
    "siglip_adamw_weight_decay_50": F.siglip,
    "node_adamw_decay_kept_under_adam": F.node,
}
