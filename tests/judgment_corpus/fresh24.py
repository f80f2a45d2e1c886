"""The twenty-fifth held-out batch (half ``"fresh24"``): DOCSTRING_PLACEHOLDER
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
