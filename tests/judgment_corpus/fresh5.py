"""The sixth held-out batch (issue 12, seventh round): models new to the corpus, all held-out (half ``"fresh5"``).

Written and its labels checked in plain PyTorch (seeds 0 and 1) while the seventh round's rules were being made on
development cases, frozen (committed) before gradguard's judgment was ever run on any of these cases, then scored
once with the round's final rules (``benchmarks/judgment_table.py --half fresh5``): that score is the round's test of
whether the rules generalise. Nothing here is tuned on: no case is ever moved to the development half, and the rules
are never changed by looking at these cases' results.

Healthy: GPT-J, Mixtral (sparse MoE, GQA), StarCoder2 (GQA, sliding window), ConvNeXt V2 (GRN), DINOv2's ViT
(LayerScale) and PoolFormer (LayerScale 1e-5, GroupNorm) from ``transformers`` configs; hand-built GAT, DeepSets, a
mixture density network and a tanh Elman-RNN forecaster; each at its paper's or library's usual setting. (ConvNeXt V2
and Mixtral are relatives of the corpus' ConvNeXt and hand-built MoE; GRN and top-2 routing with GQA are new to it.)
Broken: one fault each, over all nine causes, in these architectures. Each broken case has a control (``CONTROLS``):
the same setting with its one fault removed, which learns at seeds 0 and 1.

Dropped before the freeze, because the plain run did not show a failure at seeds 0 and 1, or the healthy model did
not train: Pegasus (denoising did not learn in 200 steps at 3e-4 or 1e-3), Funnel Transformer (its default init
starts the MLM loss at 54, 13x chance), HF EfficientNet (its pooler at a 32x32 input averages the features to
~1e-21: the logits are zero), the Elman forecaster at recurrent radius 3 (it learns), PoolFormer at AdamW 0.1 or
without GroupNorm, DINOv2 without LayerNorm, ConvNeXt V2 at AdamW 0.1 (learns at seed 0), DeepSets with
standard-deviation pooling without an eps (no feature has zero spread over a set).
"""

from __future__ import annotations

import functools
import math

from . import C10, DIVERGE, EXPLODE, LM, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh5_builders as F
from ._setup import scaled_lr

P = functools.partial
HALF = "fresh5"
#: chance losses: four set / node classes
C4 = math.log(4)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")

FRESH5_HEALTHY: list[Case] = [
    _h("gptj_lm", HALF, "gptj", F.gptj_lm, LM),
    _h("mixtral_lm", HALF, "mixtral", F.mixtral_lm, LM),
    _h("starcoder2_lm", HALF, "starcoder2", F.starcoder2_lm, LM),
    _h("convnextv2", HALF, "convnextv2", F.convnextv2, C10),
    _h("dinov2_vit", HALF, "dinov2", F.dinov2, C10),
    _h("poolformer", HALF, "poolformer", F.poolformer, C10),
    _h("gat", HALF, "gat", F.gat, C4),
    _h("deepsets", HALF, "deepsets", F.deepsets, C4),
    _h("mdn", HALF, "mdn", F.mdn, None),
    _h("rnn_forecaster", HALF, "rnn_forecaster", F.rnn_forecaster, None),
]

FRESH5_BROKEN: list[Case] = [
    # init
    _b("gptj_init_std1", HALF, ("init",), EXPLODE + VANISH, DIVERGE + STUCK, P(F.gptj_lm, init_std=1.0), LM),
    _b("dinov2_init_std1", HALF, ("init",), EXPLODE + VANISH, DIVERGE + STUCK, P(F.dinov2, init_std=1.0), C10),
    # activation
    _b("deepsets_dead_relu", HALF, ("activation", "init"), VANISH, STUCK, P(F.deepsets, phi_bias=-3.0), C4),
    # depth
    _b("deep_softplus_plain_40", HALF, ("depth", "init", "normalization"), VANISH, STUCK, F.deep_plain, C10),
    # recurrence
    _b("rnn_forecaster_radius_6", HALF, ("recurrence",), EXPLODE + VANISH, STUCK,
       P(F.rnn_forecaster, radius=6.0), None),
    # lr
    _b("mixtral_adamw_lr0.3", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK, scaled_lr(F.mixtral_lm, 0.3), LM),
    _b("gat_adam_lr0.5", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK, P(F.gat, lr=0.5), C4),
    # normalization
    _b("starcoder2_no_layernorm", HALF, ("normalization",), EXPLODE + VANISH, DIVERGE + STUCK,
       P(F.starcoder2_lm, norm=False), LM),
    # regularization
    _b("convnextv2_adamw_wd50", HALF, ("regularization",), VANISH, STUCK, P(F.convnextv2, weight_decay=50.0), C10),
    # data
    _b("deepsets_nan_element", HALF, ("data",), NONFINITE, ("nonfinite",), P(F.deepsets, nan_element=True), C4),
    _b("rnn_forecaster_raw_units_x1000", HALF, ("data",), EXPLODE + VANISH, DIVERGE + STUCK,
       P(F.rnn_forecaster, scale=1000.0), None),
    # numeric
    _b("mdn_prob_space_likelihood", HALF, ("numeric",), NONFINITE, ("nonfinite",), P(F.mdn, prob_space=True), None),
]

FRESH5: list[Case] = FRESH5_HEALTHY + FRESH5_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "gptj_init_std1": F.gptj_lm,
    "dinov2_init_std1": F.dinov2,
    "deepsets_dead_relu": F.deepsets,
    "deep_softplus_plain_40": P(F.deep_plain, depth=4),
    "rnn_forecaster_radius_6": F.rnn_forecaster,
    "mixtral_adamw_lr0.3": F.mixtral_lm,
    "gat_adam_lr0.5": F.gat,
    "starcoder2_no_layernorm": F.starcoder2_lm,
    "convnextv2_adamw_wd50": F.convnextv2,
    "deepsets_nan_element": F.deepsets,
    "rnn_forecaster_raw_units_x1000": F.rnn_forecaster,
    "mdn_prob_space_likelihood": F.mdn,
}
