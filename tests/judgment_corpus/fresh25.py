"""The twenty-sixth held-out batch (half ``"fresh25"``). DOCSTRING-PLACEHOLDER
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
