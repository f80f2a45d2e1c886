"""The fourth held-out batch (issue 12, fourth round): models new to the corpus, all held-out (half ``"fresh3"``).

Written and its labels checked in plain PyTorch (seeds 0 and 1) before any rule change of the fourth round, then
frozen and scored once with the code as it was (the honest baseline; ``benchmarks/judgment_table.py --half fresh3``)
and again only at the end. Nothing here is tuned on: no case is ever moved to the development half, and the rules
are never changed by looking at these cases' results.

Healthy: GPT-NeoX, BLOOM, Mamba, DeBERTa-v2, FNet, RegNet and HuBERT (from ``transformers`` configs), and
hand-built PointNet, highway network, neural ODE, top-1 mixture of experts and IndRNN, each at its paper's or
library's usual setting. Broken: one fault each, over all nine causes, in these architectures. Each broken case has
a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and 1. (A MobileViT at
its paper's AdamW 2e-3 was dropped before the freeze: at seed 1 it does not learn in 200 steps, 2.303 -> 2.291.)
"""

from __future__ import annotations

import functools

from . import C4, C10, DIVERGE, EXPLODE, LM, MLM, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh3_builders as F
from ._setup import scaled_lr

P = functools.partial
HALF = "fresh3"

FRESH3_HEALTHY: list[Case] = [
    _h("gpt_neox_lm", HALF, "gpt_neox", F.gpt_neox_lm, LM),
    _h("bloom_lm", HALF, "bloom", F.bloom_lm, LM),
    _h("mamba_lm", HALF, "mamba", F.mamba_lm, LM),
    _h("deberta_mlm", HALF, "deberta", F.deberta_mlm, MLM),
    _h("fnet_mlm", HALF, "fnet", F.fnet_mlm, MLM),
    _h("regnet_sgd", HALF, "regnet", F.regnet, C10),
    _h("hubert_tones", HALF, "hubert", F.hubert_cls, C4),
    _h("pointnet", HALF, "pointnet", F.pointnet, C4),
    _h("highway_20", HALF, "highway", F.highway, C10),
    _h("ode_net", HALF, "neural_ode", F.ode_net, C10),
    _h("moe_classifier", HALF, "moe", F.moe, C4),
    _h("indrnn", HALF, "indrnn", F.indrnn, C4),
]

FRESH3_BROKEN: list[Case] = [
    # init
    _b("ode_net_init_std1", HALF, ("init",), EXPLODE + VANISH, DIVERGE + STUCK, P(F.ode_net, init_std=1.0), C10),
    _b("highway_init_std1", HALF, ("init",), EXPLODE + VANISH, DIVERGE + STUCK, P(F.highway, h_std=1.0), C10),
    # activation
    _b("pointnet_dead_relu", HALF, ("activation", "init"), VANISH, STUCK, P(F.pointnet, relu_shift=-3.0), C4),
    # depth
    _b("highway_plain_20", HALF, ("depth", "init", "normalization"), VANISH, STUCK, P(F.highway, gates=False), C10),
    # recurrence
    _b("indrnn_u2", HALF, ("recurrence",), EXPLODE, DIVERGE + STUCK, P(F.indrnn, u_range=(1.9, 2.0)), C4),
    # lr
    _b("deberta_adamw_lr0.3", HALF, ("lr",), (*EXPLODE, *VANISH, "weight_growth"), DIVERGE + STUCK,
       scaled_lr(F.deberta_mlm, 0.3), MLM),
    _b("regnet_sgd_lr2", HALF, ("lr",), EXPLODE + VANISH, DIVERGE + STUCK, P(F.regnet, lr=2.0), C10),
    # normalization
    _b("regnet_no_bn_sgd0.1", HALF, ("normalization", "lr"), EXPLODE + VANISH, DIVERGE + STUCK,
       P(F.regnet, lr=0.1, bn=False), C10),
    # regularization
    _b("moe_adam_l2_5", HALF, ("regularization",), VANISH, STUCK, P(F.moe, weight_decay=5.0), C4),
    # data
    _b("pointnet_nan_point", HALF, ("data",), NONFINITE, ("nonfinite",), P(F.pointnet, nan_record=True), C4),
    _b("highway_inputs_x1e3", HALF, ("data",), EXPLODE, DIVERGE, P(F.highway, input_scale=1e3), C10),
    # numeric
    _b("pointnet_triplet_sqrt", HALF, ("numeric",), NONFINITE, ("nonfinite",), F.pointnet_triplet, None),
    _b("moe_rmsnorm_no_eps", HALF, ("numeric",), NONFINITE, ("nonfinite",), P(F.moe, norm_eps=None), C4),
]

FRESH3: list[Case] = FRESH3_HEALTHY + FRESH3_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "ode_net_init_std1": F.ode_net,
    "highway_init_std1": F.highway,
    "pointnet_dead_relu": F.pointnet,
    "highway_plain_20": F.highway,
    "indrnn_u2": F.indrnn,
    "deberta_adamw_lr0.3": F.deberta_mlm,
    "regnet_sgd_lr2": F.regnet,
    "regnet_no_bn_sgd0.1": P(F.regnet, lr=0.1),
    "moe_adam_l2_5": F.moe,
    "pointnet_nan_point": F.pointnet,
    "highway_inputs_x1e3": F.highway,
    "pointnet_triplet_sqrt": P(F.pointnet_triplet, eps=1e-12),
    "moe_rmsnorm_no_eps": F.moe,
}
