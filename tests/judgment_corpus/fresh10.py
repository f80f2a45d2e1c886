"""The eleventh held-out batch (issue 12, the twelfth session's): models new to the corpus, all held-out (half
``"fresh10"``).

Written and its labels checked in plain PyTorch (seeds 0 and 1) by someone who never read gradguard's diagnosis or
detector rules, frozen (committed) before gradguard's judgment was ever run on any of these cases, then scored
(``benchmarks/judgment_table.py --half fresh10``). Nothing here is tuned on: no case is ever moved to the development
half, and the rules are never changed by looking at these cases' results.

Healthy: StableLM and GPTBigCode (causal LMs), SqueezeBERT (masked LM) and FocalNet (image classification) from
``transformers`` configs; hand-built ShuffleNetV2 (SGD 0.1, momentum 0.9), a Clockwork RNN, a minGRU LM (log-space
parallel scan), an SRU classifier over padded sequences (masked mean pooling), a neural additive model, AutoInt on
click data and a Fourier-feature MLP regressing a 2-D field; each at its paper's or library's usual setting (the
Clockwork RNN at Adam 3e-3: at 1e-3 it does not learn in 200 steps at this size).

Broken: one fault each, over all nine causes. Unlike the earlier batches, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it):

- **common** (the classic form of each cause, on the new architectures): StableLM at ``initializer_range=1.0``
  (init), ten sigmoid hidden layers in the Fourier MLP (activation), NAM feature nets of 30 plain ReLU layers
  (depth), the Clockwork RNN's recurrent weights drawn N(0, 1) (recurrence), GPTBigCode at AdamW lr 0.1 (lr),
  ShuffleNetV2 without its BatchNorm at SGD 0.1 (normalization), AutoInt's numeric features x1e3 (data), the SRU's
  masked mean pooling without a clamp on the length while some sequences are empty (0/0, numeric), the Fourier MLP
  on Adam with ``weight_decay=1.0`` (regularization);
- **slip** (a user's mistake of a kind no earlier batch used): ``nn.init.uniform_(w)`` with its bounds left out
  (U(0, 1): every weight positive; init), the Fourier MLP's width and depth passed in swapped order (3 wide, 128
  deep; depth), minGRU's log retain coefficient ``log(1 - z) = -softplus(k)`` written without its minus (the state
  is multiplied by ``1 / (1 - z) > 1`` every step and overflows; recurrence), an ``ExponentialLR(gamma=0.9)``
  written for epochs stepped every batch (lr), every ShuffleNet BatchNorm at ``eps=1e5`` where ``1e-5`` belongs
  (normalization), NAM labels shifted one row against their features (data), minGRU's log-space scan taking the
  log of the raw candidate (negative values: NaN) instead of ``g(candidate)`` (numeric), and NAM's output penalty
  summed over batch, features and classes where its coefficient is meant for the mean (regularization).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1.

Learning criteria: every case compares with chance; the Fourier MLP's chance is the loss of the best constant
prediction (the field's variance, ~1.0).

Dropped before the freeze, because the plain run did not show a failure at seed 0: SqueezeBERT with
``layer_norm_eps=1e5`` (a ``1e-5`` typed as ``1e5``; 4.16 -> 2.86, learned: the slip moved to ShuffleNet's
BatchNorm, where it stops learning), ShuffleNetV2 on images divided by 255 twice (its BatchNorm rescales them: 2.35
-> 0.0005), and the Fourier MLP at Adam ``weight_decay`` 0.1 or 0.01 (0.82 -> 0.033 and 0.0015: not too strong;
1.0 kept).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, LM, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh10_builders as F

P = functools.partial
HALF = "fresh10"
#: chance losses: four classes, two classes, ten classes, a masked LM that never predicts ids 0 and 1, and the best
#: constant prediction of the Fourier MLP's field (its variance)
C4, C2, C10, MLM, FIELD = math.log(4), math.log(2), math.log(10), math.log(62), 1.0
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH10_HEALTHY: list[Case] = [
    _h("stablelm_lm", HALF, "stablelm", F.stablelm_lm, LM),
    _h("gpt_bigcode_lm", HALF, "gpt_bigcode", F.gpt_bigcode_lm, LM),
    _h("squeezebert_mlm", HALF, "squeezebert", F.squeezebert_mlm, MLM),
    _h("focalnet_classifier", HALF, "focalnet", F.focalnet_classifier, C10),
    _h("shufflenet_v2", HALF, "shufflenet", F.shufflenet, C10),
    _h("clockwork_rnn", HALF, "clockwork_rnn", F.clockwork_rnn, C4),
    _h("mingru_lm", HALF, "mingru", F.mingru_lm, LM),
    _h("sru_classifier", HALF, "sru", F.sru, C4),
    _h("neural_additive_model", HALF, "nam", F.nam, C10),
    _h("autoint", HALF, "autoint", F.autoint, C2),
    _h("fourier_feature_mlp", HALF, "fourier_mlp", F.fourier_mlp, FIELD),
]

FRESH10_BROKEN: list[Case] = [
    # init
    _b("stablelm_initializer_range_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.stablelm_lm, initializer_range=1.0), LM),
    _b("fourier_mlp_uniform_init_without_bounds", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.fourier_mlp, uniform_no_bounds=True), FIELD),
    # activation
    _b("fourier_mlp_10_sigmoid_layers", HALF, ("activation", "depth"), VANISH, STUCK,  # kind: common
       P(F.fourier_mlp, layers=10, act="sigmoid"), FIELD),
    # depth
    _b("nam_feature_nets_30_plain_layers", HALF, ("depth", "normalization"), (*VANISH, "explode"), STUCK,
       P(F.nam, hidden=(64,) * 30), C10),  # kind: common
    _b("fourier_mlp_width_depth_swapped", HALF, ("depth",), (*VANISH, "explode"), STUCK,  # kind: slip
       P(F.fourier_mlp, width=3, layers=128), FIELD),
    # recurrence
    _b("clockwork_rnn_recurrent_std_1", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.clockwork_rnn, recurrent_std=1.0), C4),
    _b("mingru_retain_sign_dropped", HALF, ("recurrence",), (*NONFINITE, "explode"), DIVERGE,  # kind: slip
       P(F.mingru_lm, sign_slip=True), LM),
    # lr
    _b("gpt_bigcode_adamw_lr0.1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.gpt_bigcode_lm, lr=0.1), LM),
    _b("sru_epoch_decay_stepped_per_batch", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.sru, per_batch_decay=0.9), C4),
    # normalization
    _b("shufflenet_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.shufflenet, use_bn=False), C10),
    _b("shufflenet_batchnorm_eps_1e5", HALF, ("normalization",), VANISH, STUCK,  # kind: slip
       P(F.shufflenet, bn_eps=1e5), C10),
    # data
    _b("autoint_numeric_features_x1e3", HALF, ("data",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.autoint, dense_scale=1e3), C2),
    _b("nam_labels_off_by_one_row", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.nam, labels_off_by_one=True), C10),
    # numeric
    _b("sru_mean_pool_empty_sequence_unclamped", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),
       P(F.sru, clamp=False), C4),  # kind: common
    _b("mingru_log_of_raw_candidate", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.mingru_lm, raw_log=True), LM),
    # regularization
    _b("fourier_mlp_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.fourier_mlp, weight_decay=1.0), FIELD),
    _b("nam_output_penalty_summed", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.nam, output_penalty=0.01, summed=True), C10),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "stablelm_initializer_range_1": "common", "fourier_mlp_uniform_init_without_bounds": "slip",
    "fourier_mlp_10_sigmoid_layers": "common", "nam_feature_nets_30_plain_layers": "common",
    "fourier_mlp_width_depth_swapped": "slip", "clockwork_rnn_recurrent_std_1": "common",
    "mingru_retain_sign_dropped": "slip", "gpt_bigcode_adamw_lr0.1": "common",
    "sru_epoch_decay_stepped_per_batch": "slip", "shufflenet_without_batchnorm": "common",
    "shufflenet_batchnorm_eps_1e5": "slip", "autoint_numeric_features_x1e3": "common",
    "nam_labels_off_by_one_row": "slip", "sru_mean_pool_empty_sequence_unclamped": "common",
    "mingru_log_of_raw_candidate": "slip", "fourier_mlp_adam_weight_decay_1": "common",
    "nam_output_penalty_summed": "slip",
}

#: the cases (half "fresh10")
FRESH10: list[Case] = FRESH10_HEALTHY + FRESH10_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "stablelm_initializer_range_1": F.stablelm_lm,
    "fourier_mlp_uniform_init_without_bounds": F.fourier_mlp,
    "fourier_mlp_10_sigmoid_layers": P(F.fourier_mlp, layers=10),
    "nam_feature_nets_30_plain_layers": F.nam,
    "fourier_mlp_width_depth_swapped": F.fourier_mlp,
    "clockwork_rnn_recurrent_std_1": F.clockwork_rnn,
    "mingru_retain_sign_dropped": F.mingru_lm,
    "gpt_bigcode_adamw_lr0.1": F.gpt_bigcode_lm,
    "sru_epoch_decay_stepped_per_batch": F.sru,
    "shufflenet_without_batchnorm": F.shufflenet,
    "shufflenet_batchnorm_eps_1e5": F.shufflenet,
    "autoint_numeric_features_x1e3": F.autoint,
    "nam_labels_off_by_one_row": F.nam,
    "sru_mean_pool_empty_sequence_unclamped": F.sru,
    "mingru_log_of_raw_candidate": F.mingru_lm,
    "fourier_mlp_adam_weight_decay_1": F.fourier_mlp,
    "nam_output_penalty_summed": F.nam,
}
