"""The twenty-fourth held-out batch (issue 12): models new to the corpus, all held-out (half ``"fresh23"``).

DOCSTRING_PLACEHOLDER
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh23_builders as F

P = functools.partial
HALF = "fresh23"
#: chance losses: ten, eight, four and two classes and the 64-token vocabulary; N-HiTS, VICReg and the MPNN have none
#: (their first loss is the reference)
C10, C8, C4, C2, LM = math.log(10), math.log(8), math.log(4), math.log(2), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH23_HEALTHY: list[Case] = [
    _h("revnet_classifier", HALF, "revnet", F.revnet, C10),
    _h("efficientnetv2_fused_mbconv", HALF, "efficientnetv2", F.efficientnetv2, C10),
    _h("tnt_classifier", HALF, "tnt", F.tnt, C10),
    _h("tc_resnet_keywords", HALF, "tc_resnet", F.tcresnet, C8),
    _h("scrn_level_series", HALF, "scrn", F.scrn, C4),
    _h("fast_weights_level_series", HALF, "fast_weights", F.fast_weights, C4),
    _h("nhits_forecaster", HALF, "nhits", F.nhits, None),
    _h("bst_click_through", HALF, "bst", F.bst, C2),
    _h("vicreg_ssl", HALF, "vicreg", F.vicreg, None),
    _h("mpnn_molecules", HALF, "mpnn", F.mpnn, None),
    _h("primer_lm", HALF, "primer", F.primer, LM),
    _h("qwen3_lm", HALF, "qwen3", F.qwen3, LM),
    _h("glm4_lm", HALF, "glm4", F.glm4, LM),
]

FRESH23_BROKEN: list[Case] = [
    # init
    _b("qwen3_initializer_range_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.qwen3, initializer_range=1.0), LM),
    _b("primer_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.primer, init_std=1.0), LM),
    # activation
    _b("nhits_hidden_bias_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.nhits, hidden_bias=-10.0), None),
    # depth
    _b("bst_50_plain_mlp_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.bst, mlp_depth=50), C2),
    # recurrence
    _b("scrn_recurrent_normal_std_10", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.scrn, recurrent_std=10.0), C4),
    _b("fast_weights_outer_product_summed_over_batch", HALF, ("recurrence",), BOTH, STUCK,  # kind: slip
       P(F.fast_weights, batch_outer=True), C4),
    # lr
    _b("tnt_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.tnt, lr=1.0), C10),
    _b("primer_warmup_lambdalr_built_inside_the_loop", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.primer, warmup_inside_loop=True), LM),
    _b("revnet_zero_grad_once_per_epoch", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.revnet, zero_grad_per_epoch=True), C10),
    # normalization
    _b("efficientnetv2_without_batchnorm_lr0.01", HALF, ("normalization", "lr"), BOTH,  # kind: common
       DIVERGE + STUCK, P(F.efficientnetv2, bn=False, lr=0.01), C10),
    # data
    _b("mpnn_targets_unstandardised_x1e4", HALF, ("data",), BOTH, STUCK,  # kind: common
       P(F.mpnn, target_scale=1e4), None),
    _b("bst_dwell_time_in_milliseconds", HALF, ("data",), BOTH, STUCK,  # kind: common
       P(F.bst, dwell_scale=1000.0), C2),
    _b("bst_item_ids_looked_up_as_strings", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.bst, oov=True), C2),
    _b("nhits_missing_readings_filled_with_minus_999", HALF, ("data",), BOTH, STUCK,  # kind: slip
       P(F.nhits, sentinel=-999.0), None),
    _b("qwen3_labels_masked_where_attention_mask_is_one", HALF, ("data", "numeric"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.qwen3, labels_masked=True), LM),
    # numeric
    _b("nhits_float16_adam", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.nhits, half=True), None),
    # regularization
    _b("bst_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.bst, weight_decay=1.0), C2),
    _b("tnt_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.tnt, weight_decay=50.0), C10),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "qwen3_initializer_range_1": "common", "primer_init_std_1": "common",
    "nhits_hidden_bias_minus_10": "common", "bst_50_plain_mlp_layers": "common",
    "scrn_recurrent_normal_std_10": "common", "fast_weights_outer_product_summed_over_batch": "slip",
    "tnt_adamw_lr1": "common", "primer_warmup_lambdalr_built_inside_the_loop": "slip",
    "revnet_zero_grad_once_per_epoch": "slip",
    "efficientnetv2_without_batchnorm_lr0.01": "common",
    "mpnn_targets_unstandardised_x1e4": "common", "bst_dwell_time_in_milliseconds": "common",
    "bst_item_ids_looked_up_as_strings": "slip", "nhits_missing_readings_filled_with_minus_999": "slip",
    "qwen3_labels_masked_where_attention_mask_is_one": "slip",
    "nhits_float16_adam": "common",
    "bst_adam_weight_decay_1": "common", "tnt_adamw_weight_decay_50": "common",
}

#: the cases (half "fresh23")
FRESH23: list[Case] = FRESH23_HEALTHY + FRESH23_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "qwen3_initializer_range_1": F.qwen3,
    "primer_init_std_1": F.primer,
    "nhits_hidden_bias_minus_10": F.nhits,
    "bst_50_plain_mlp_layers": F.bst,
    "scrn_recurrent_normal_std_10": F.scrn,
    "fast_weights_outer_product_summed_over_batch": F.fast_weights,
    "tnt_adamw_lr1": F.tnt,
    "primer_warmup_lambdalr_built_inside_the_loop": F.primer,
    "revnet_zero_grad_once_per_epoch": F.revnet,
    "efficientnetv2_without_batchnorm_lr0.01": P(F.efficientnetv2, lr=0.01),
    "mpnn_targets_unstandardised_x1e4": F.mpnn,
    "bst_dwell_time_in_milliseconds": F.bst,
    "bst_item_ids_looked_up_as_strings": F.bst,
    "nhits_missing_readings_filled_with_minus_999": F.nhits,
    "qwen3_labels_masked_where_attention_mask_is_one": F.qwen3,
    "nhits_float16_adam": F.nhits,
    "bst_adam_weight_decay_1": F.bst,
    "tnt_adamw_weight_decay_50": F.tnt,
}
