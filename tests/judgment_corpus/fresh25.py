"""The twenty-sixth held-out batch (half ``"fresh25"``): thirteen standard architectures new to the corpus at their
usual settings, and nineteen broken variants with one real fault each, written and labelled with plain PyTorch
before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said):
RepLKNet (a stride-2 stem, two stages of two blocks whose depthwise kernels are 9 on 8x8 and 5 on 4x4 maps, the
paper's 31 to 13 scaled to the maps, each with a parallel 3x3 depthwise branch (the training-time form of its
re-parameterisation), BatchNorm and a ConvFFN; AdamW weight decay 0.05 at lr 1e-3, the paper's 4e-3 being for batch
2048 with warm-up) on template images, Vision Permutator (4x4 patches, four blocks of the weighted Permute-MLP with
split-attention re-weighting and a GELU MLP; AdamW weight decay 0.05 at lr 1e-3 where the paper's 2e-3 is for batch
2048) on template images, EfficientFormer (a conv stem, three Meta4D pooling blocks with conv-BN MLPs, two Meta3D
attention blocks, layer scale 1e-5; AdamW at the paper's lr 1e-3 and weight decay 0.05, warm-up, cosine decay and
distillation left out) on template images, Wav2Letter (six 1-D convs with ReLU and no normalisation, frame scores
averaged into a keyword classifier in place of its ASG loss; Adam 1e-3 where the paper runs plain SGD, too slow for
200 steps) on keyword MFCC sequences, TimesNet (instance normalisation, two TimesBlocks folding the series by its top-2
FFT periods into 2-D Inception convs; Adam 1e-3, ten times the paper's 1e-4 which trains for ten epochs), SegRNN
(channel-independent segments of 12, a GRU encoder and parallel multi-step decoding from positional and channel
embeddings; Adam lr 1e-3) and LightTS (continuous and interval sampling through IEBlocks; Adam 1e-3
with a ``StepLR(step_size=50, gamma=0.1)`` stepped every batch) on sensor windows (MSE), GraphGPS (three layers of a
local mean-aggregation message-passing branch and a global attention branch, each with a residual and BatchNorm, and
an MLP; AdamW lr 1e-3 weight decay 1e-5, warm-up and cosine decay left out) on padded molecules with an additive
target, SAINT (per-feature embeddings, self-attention across the features and intersample attention across the rows
of the batch; AdamW at the paper's lr 1e-4 and weight decay 0.01) on standardised tabular rows, FiBiNET (field
embeddings of 8, a SENET re-weighting, field-all bilinear interactions of the plain and re-weighted embeddings, a
two-layer MLP; Adam 1e-3) on click logs, a NormFormer LM (pre-LN blocks with the paper's post-attention LayerNorm,
per-head scales and post-GELU LayerNorm, tied embeddings; AdamW lr 1e-3 betas (0.9, 0.98) weight decay 0.01, no
warm-up), a Mogrifier LSTM LM (five mogrifier rounds before each LSTM step, run time-major; Adam lr 2e-3 with
beta1 = 0, gradients clipped at norm 10), both on the Markov language, and, from a ``transformers`` config, a tiny
EXAONE 4 (four layers, three of sliding-window attention (window 8) and one global, QK-norm, post-sublayer RMSNorm;
AdamW 3e-4 betas (0.9, 0.95) weight decay 0.1, init std 0.02, no warm-up or decay) on the Markov language.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh24``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): EXAONE 4 at ``initializer_range=1``
  (init), FiBiNET's MLP biases at -10 (every ReLU dead; activation), Wav2Letter with 30 plain stride-1 conv-ReLU
  layers at PyTorch's default init after its first conv (depth), the Mogrifier LSTM's and SegRNN's GRU's
  hidden-to-hidden matrices drawn N(0, 10^2) (recurrence), Wav2Letter and FiBiNET at Adam lr 1 and NormFormer at AdamW
  lr 1 (lr), RepLKNet without its BatchNorms at SGD 0.2 momentum 0.9 (where the BatchNorm version learns;
  normalization), SAINT's features in their raw units (scales 1 to 1e4, the standardisation left out) and GraphGPS's
  regression targets in raw units (times 1e4; data), GraphGPS's mean aggregation divided by the raw degree without
  its ``clamp(min=1)`` (padded atoms: 0/0; numeric), and EfficientFormer at AdamW ``weight_decay=50``
  (regularization);
- **slip** (a user's mistake of a kind no earlier batch used): SegRNN's decoding call written ``self.gru(q)``, the
  encoder's final state not passed, so the decoder starts from zeros and the forecast never sees the look-back's
  history (state handling; recurrence), LightTS's ``StepLR`` given ``gamma=10``, "divide by ten" written as the
  factor (the lr is multiplied by ten every 50 steps: 1 at step 150; scheduler; lr), Vision Permutator's AdamW given
  ``eps=1.0``, the value TensorFlow's Adam documentation suggests for Inception on ImageNet, copied (every step is
  about ``lr * |g|``: far too small; optimizer arguments; lr), SAINT's batches "sorted by their first column" with
  ``x.sort(dim=1)``, which sorts the values within every row and loses which feature is which (data pipeline; data),
  the Mogrifier LM's time-major logits ``(time, batch, vocab)`` flattened against the batch-major targets without
  the transpose (each prediction scored against another position's token; loss; data), and NormFormer's causal mask
  built as ``torch.triu(ones, diagonal=0)`` where ``diagonal=1`` belongs (each token barred from itself too, the
  first token from every key: its softmax over only ``-inf`` is 0/0; masking; numeric). No init, activation,
  depth, normalization or regularization slip survived or was written (see below): the commons outnumber the slips
  (13 to 6). Four of the slips live in the code around the model (the scheduler, the optimizer's arguments, the
  batch's sorting and the loss's flattening); the other two (the decoder's call and the mask) are in the model.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except the BatchNorm case's, RepLKNet with its BatchNorms at SGD 0.2 (2.39 ->
1.2e-4 and 2.31 -> 7.0e-6; a transient loss spike at steps 45 and 39, from which it recovers).

Learning criteria: the classifiers compare with chance (ten, eight and two classes; the LMs with their 64-token
vocabulary); the three forecasters and GraphGPS compare with their first loss. Measured plain runs (seed 0, seed 1):
RepLKNet 2.39 -> 0.0025 and 2.31 -> 0.0019; Vision Permutator 2.32 -> 0.0070 and 2.23 -> 0.0063; EfficientFormer 2.27 ->
0.011 and 2.33 -> 0.010; Wav2Letter 2.09 -> 3.6e-5 and 2.09 -> 1.4e-4; TimesNet 4.08 -> 0.139 and 4.83 -> 0.143; SegRNN
2.23 -> 0.102 and 2.61 -> 0.082; LightTS 3.40 -> 0.320 and 4.70 -> 0.471; GraphGPS 2.35 -> 0.122 and 1.47 -> 0.124;
SAINT 0.692 -> 0.291 and 0.694 -> 0.272; FiBiNET 0.691 -> 0.133 and 0.704 -> 0.149; NormFormer 4.18 -> 1.37 and 4.18 ->
1.31; the Mogrifier LSTM 4.15 -> 1.33 and 4.17 -> 1.27; EXAONE 4 4.19 -> 2.15 and 4.16 -> 2.22 (the criterion 3.12).
Broken: ``exaone4_initializer_range_1`` 18.1 -> 8.66 and 18.7 -> 8.54; ``fibinet_hidden_bias_minus_10`` 0.691 -> 0.688
and 0.708 -> 0.687 (the criterion 0.520); ``wav2letter_30_plain_convs`` 2.100 -> 2.080 and 2.074 -> 2.078;
``mogrifier_recurrent_normal_std_10`` 4.216 -> 4.186 and 4.204 -> 4.193; ``segrnn_gru_recurrent_normal_std_10`` 2.38 ->
2.01 and 2.75 -> 2.11; ``segrnn_decoder_without_encoder_state`` 2.21 -> 2.45 and 2.61 -> 2.38; ``wav2letter_adam_lr1``
diverges at step 1 at both seeds (weights x156 and x155; ends 2.12 and 2.13, chance 2.08); ``fibinet_adam_lr1`` diverges
at step 1 at both seeds (weights x25; ends 0.697 and 0.675); ``normformer_adamw_lr1`` diverges at step 1 at both seeds
(weights x43 and x44; ends 74.7 and 69.5); ``lightts_steplr_gamma_10`` learns while its lr is 1e-3 to 0.1 (0.019 and
0.017 at step 99) and diverges at step 152 at both seeds, once the lr is 1 (ends 5e20 and 5e24);
``vision_permutator_adamw_eps_1`` 2.32 -> 2.21 and 2.23 -> 2.16; ``replknet_without_batchnorm_sgd_lr0.2`` diverges at
steps 78 and 48 and is non-finite at steps 86 and 52; ``saint_features_in_raw_units`` 0.696 -> 0.687 and 0.699 -> 0.666;
``graphgps_targets_unstandardised_x1e4`` 1.41e8 -> 1.23e8 and 1.14e8 -> 1.16e8; ``saint_rows_sorted_along_feature_axis``
0.704 -> 0.682 and 0.695 -> 0.678; ``mogrifier_time_major_logits_against_batch_major_targets`` 4.16 -> 3.88 and 4.17 ->
3.89 (the criterion 3.12); ``graphgps_mean_aggregation_without_degree_clamp`` and
``normformer_causal_mask_triu_without_diagonal_1`` are non-finite at step 0 at both seeds (the loss itself);
``efficientformer_adamw_weight_decay_50`` 2.268 -> 2.302 and 2.331 -> 2.302.

Dropped before the freeze (seed 0 and seed 1): the Mogrifier LSTM's cell output unpacked as ``c, h = cell(...)``, the
state's two halves swapped (a recurrence slip: 4.16 -> 1.28 and 4.18 -> 1.23, learned); EfficientFormer's AdamW
betas written ``(0.999, 0.9)``, swapped (an optimizer-arguments slip: 2.27 -> 0.016 and 2.33 -> 0.012, learned);
NormFormer with every parameter, LayerNorm gains and biases included, drawn N(0, 0.02) by a loop over
``model.parameters()`` (an init slip: 4.16 -> 2.52 and 4.16 -> 2.45, learned); Vision Permutator at AdamW lr 1
(diverges at step 1, weights x33 and x32, but ends 0.050 at seed 0: learned) and TimesNet at Adam lr 1 (diverges at
step 1, weights x143 and x138, but ends 3.00 and 3.16, below 0.75 of its first losses 4.08 and 4.83, its instance
normalisation restoring the level), replaced by Wav2Letter and FiBiNET at lr 1; GraphGPS at AdamW lr 1 (2.35 -> 0.93
at seed 0: learned) and RepLKNet at AdamW lr 1 (2.39 -> 0.32 and 2.31 -> 1.50: learned); and RepLKNet without
BatchNorm at SGD 0.5, first written, whose BatchNorm control diverged too (non-finite at steps 159 and 157; the
case moved to 0.2; at 0.1 the version without BatchNorm learned at seed 0, 2.29 -> 0.60).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh25_builders as F

P = functools.partial
HALF = "fresh25"
#: chance losses: ten, eight and two classes and the 64-token vocabulary; the forecasters and GraphGPS have none
#: (their first loss is the reference)
C10, C8, C2, LM = math.log(10), math.log(8), math.log(2), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH25_HEALTHY: list[Case] = [
    _h("replknet_classifier", HALF, "replknet", F.replknet, C10),
    _h("vision_permutator_classifier", HALF, "vision_permutator", F.vip, C10),
    _h("efficientformer_classifier", HALF, "efficientformer", F.efficientformer, C10),
    _h("wav2letter_keywords", HALF, "wav2letter", F.wav2letter, C8),
    _h("timesnet_forecaster", HALF, "timesnet", F.timesnet, None),
    _h("segrnn_forecaster", HALF, "segrnn", F.segrnn, None),
    _h("lightts_forecaster", HALF, "lightts", F.lightts, None),
    _h("graphgps_molecules", HALF, "graphgps", F.graphgps, None),
    _h("saint_tabular", HALF, "saint", F.saint, C2),
    _h("fibinet_clicks", HALF, "fibinet", F.fibinet, C2),
    _h("normformer_lm", HALF, "normformer", F.normformer, LM),
    _h("mogrifier_lstm_lm", HALF, "mogrifier_lstm", F.mogrifier, LM),
    _h("exaone4_lm", HALF, "exaone4", F.exaone4, LM),
]

FRESH25_BROKEN: list[Case] = [
    # init
    _b("exaone4_initializer_range_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.exaone4, initializer_range=1.0), LM),
    # activation
    _b("fibinet_hidden_bias_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.fibinet, hidden_bias=-10.0), C2),
    # depth
    _b("wav2letter_30_plain_convs", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.wav2letter, extra=30), C8),
    # recurrence
    _b("mogrifier_recurrent_normal_std_10", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.mogrifier, recurrent_std=10.0), LM),
    _b("segrnn_gru_recurrent_normal_std_10", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.segrnn, recurrent_std=10.0), None),
    _b("segrnn_decoder_without_encoder_state", HALF, ("recurrence",), VANISH, STUCK,  # kind: slip
       P(F.segrnn, drop_state=True), None),
    # lr
    _b("wav2letter_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.wav2letter, lr=1.0), C8),
    _b("fibinet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fibinet, lr=1.0), C2),
    _b("normformer_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.normformer, lr=1.0), LM),
    _b("lightts_steplr_gamma_10", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: slip
       P(F.lightts, gamma=10.0), None),
    _b("vision_permutator_adamw_eps_1", HALF, ("lr",), LR_EVENTS, STUCK,  # kind: slip
       P(F.vip, eps=1.0), C10),
    # normalization
    _b("replknet_without_batchnorm_sgd_lr0.2", HALF, ("normalization", "lr"), BOTH,  # kind: common
       DIVERGE + STUCK, P(F.replknet, bn=False, sgd=True, lr=0.2), C10),
    # data
    _b("saint_features_in_raw_units", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.saint, raw=True), C2),
    _b("graphgps_targets_unstandardised_x1e4", HALF, ("data",), BOTH, STUCK,  # kind: common
       P(F.graphgps, target_scale=1e4), None),
    _b("saint_rows_sorted_along_feature_axis", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.saint, sort_rows=True), C2),
    _b("mogrifier_time_major_logits_against_batch_major_targets", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.mogrifier, unaligned=True), LM),
    # numeric
    _b("graphgps_mean_aggregation_without_degree_clamp", HALF, ("numeric",), NONFINITE,  # kind: common
       ("nonfinite",), P(F.graphgps, clamp_deg=False), None),
    _b("normformer_causal_mask_triu_without_diagonal_1", HALF, ("numeric",), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.normformer, mask_diagonal=True), LM),
    # regularization
    _b("efficientformer_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.efficientformer, weight_decay=50.0), C10),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "exaone4_initializer_range_1": "common", "fibinet_hidden_bias_minus_10": "common",
    "wav2letter_30_plain_convs": "common", "mogrifier_recurrent_normal_std_10": "common",
    "segrnn_gru_recurrent_normal_std_10": "common", "segrnn_decoder_without_encoder_state": "slip",
    "wav2letter_adam_lr1": "common", "fibinet_adam_lr1": "common", "normformer_adamw_lr1": "common",
    "lightts_steplr_gamma_10": "slip", "vision_permutator_adamw_eps_1": "slip",
    "replknet_without_batchnorm_sgd_lr0.2": "common", "saint_features_in_raw_units": "common",
    "graphgps_targets_unstandardised_x1e4": "common", "saint_rows_sorted_along_feature_axis": "slip",
    "mogrifier_time_major_logits_against_batch_major_targets": "slip",
    "graphgps_mean_aggregation_without_degree_clamp": "common",
    "normformer_causal_mask_triu_without_diagonal_1": "slip", "efficientformer_adamw_weight_decay_50": "common",
}

#: the cases (half "fresh25")
FRESH25: list[Case] = FRESH25_HEALTHY + FRESH25_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "exaone4_initializer_range_1": F.exaone4,
    "fibinet_hidden_bias_minus_10": F.fibinet,
    "wav2letter_30_plain_convs": F.wav2letter,
    "mogrifier_recurrent_normal_std_10": F.mogrifier,
    "segrnn_gru_recurrent_normal_std_10": F.segrnn,
    "segrnn_decoder_without_encoder_state": F.segrnn,
    "wav2letter_adam_lr1": F.wav2letter,
    "fibinet_adam_lr1": F.fibinet,
    "normformer_adamw_lr1": F.normformer,
    "lightts_steplr_gamma_10": F.lightts,
    "vision_permutator_adamw_eps_1": F.vip,
    "replknet_without_batchnorm_sgd_lr0.2": P(F.replknet, sgd=True, lr=0.2),
    "saint_features_in_raw_units": F.saint,
    "graphgps_targets_unstandardised_x1e4": F.graphgps,
    "saint_rows_sorted_along_feature_axis": F.saint,
    "mogrifier_time_major_logits_against_batch_major_targets": F.mogrifier,
    "graphgps_mean_aggregation_without_degree_clamp": F.graphgps,
    "normformer_causal_mask_triu_without_diagonal_1": F.normformer,
    "efficientformer_adamw_weight_decay_50": F.efficientformer,
}
