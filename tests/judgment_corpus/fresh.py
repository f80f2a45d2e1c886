"""The fresh held-out batch (issue 12, second round): 29 models new to the corpus (11 healthy, 18 broken), all held-out.

Written and its labels checked in plain PyTorch (seeds 0 and 1) before any rule change of the second round; scored
once with the code as it was (the honest baseline) and again only at the end. Nothing here is tuned on: no case is
ever moved to the development half, and the rules are never changed by looking at these cases' results. Its half is
``"fresh"``; ``benchmarks/judgment_table.py`` reports it as "held-out (fresh)" beside the original two halves.

The labels follow the package docstring (``Case``): accepted causes, the event kinds a monitored run must raise at
or before the plain run's failure step, and the trouble the plain run shows. Each stuck case has a control that
learns at the same setting with its one fault removed (written in its builder's docstring), measured at seeds 0
and 1; the exploding and non-finite ones fail at step 0 to 3 where their healthy sibling trains.
"""

from __future__ import annotations

import functools

from . import C4, C10, DIVERGE, EXPLODE, LM, MLM, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh_builders as F
from ._setup import scaled_lr

P = functools.partial
HALF = "fresh"

FRESH_HEALTHY: list[Case] = [
    _h("distilbert_mlm", HALF, "distilbert", F.distilbert_mlm, MLM),
    _h("albert_mlm", HALF, "albert", F.albert_mlm, MLM),
    _h("opt_lm", HALF, "opt", F.opt_lm, LM),
    _h("gpt_neo_lm", HALF, "gpt_neo", F.gpt_neo_lm, LM),
    _h("mistral_lm", HALF, "mistral", F.mistral_lm, LM),
    _h("densenet_sgd", HALF, "densenet", F.densenet, C10),
    _h("mobilenet_v2_sgd", HALF, "mobilenet", F.mobilenet_v2, C10),
    _h("tcn_adam", HALF, "tcn", F.tcn, C4),
    _h("noisy_regression_b32", HALF, "mlp", F.noisy_regression, None),
    _h("vae_adam", HALF, "vae", F.vae, None),
    _h("gcn_adam", HALF, "gcn", F.gcn, C4),
]

FRESH_BROKEN: list[Case] = [
    _b("opt_init_std1", HALF, ("init",), EXPLODE + VANISH, DIVERGE + STUCK, P(F.opt_lm, init_std=1.0), LM),
    _b("elu_mlp_init3x", HALF, ("init",), EXPLODE, DIVERGE, F.elu_mlp_init_large, C10),
    _b("tcn_init_std1", HALF, ("init",), EXPLODE + VANISH, DIVERGE + STUCK, P(F.tcn, init_std=1.0), C4),
    _b("sigmoid_cnn", HALF, ("activation", "depth"), VANISH, STUCK, F.sigmoid_cnn, C10),
    _b("dead_relu_cnn", HALF, ("activation", "init"), VANISH, STUCK, F.dead_relu_cnn, C10),
    _b("deep_gelu_plain_50", HALF, ("depth", "init", "normalization"), VANISH, STUCK, F.deep_gelu_plain, C10),
    _b("deep_tanh_cnn_24", HALF, ("depth", "init", "normalization"), VANISH, STUCK, F.deep_tanh_cnn, C10),
    _b("relu_rnn_radius_0.5", HALF, ("recurrence",), VANISH, STUCK, F.relu_rnn_memory, C4),
    _b("mistral_adamw_lr0.3", HALF, ("lr",), (*EXPLODE, *VANISH, "weight_growth"), DIVERGE + STUCK,
       scaled_lr(F.mistral_lm, 0.3), LM),
    _b("regression_sgd_lr1", HALF, ("lr",), EXPLODE, DIVERGE, P(F.noisy_regression, lr=1.0), None),
    _b("tcn_adam_lr0.5", HALF, ("lr",), EXPLODE + VANISH, DIVERGE + STUCK, P(F.tcn, lr=0.5), C4),
    _b("mobilenet_no_bn", HALF, ("normalization", "lr"), EXPLODE + VANISH, DIVERGE + STUCK,
       P(F.mobilenet_v2, bn=False), C10),
    _b("cnn_sgd_wd5", HALF, ("regularization",), VANISH, STUCK, F.cnn_sgd_wd_collapse, C10),
    _b("gcn_adam_l2_10", HALF, ("regularization",), VANISH, STUCK, P(F.gcn, weight_decay=10.0), C4),
    _b("cnn_inf_pixel", HALF, ("data",), NONFINITE, ("nonfinite",), F.cnn_inf_pixel, C10),
    _b("regression_inputs_x100", HALF, ("data",), EXPLODE, DIVERGE, P(F.noisy_regression, input_scale=100.0),
       None),
    _b("densenet_no_bn_pixels_x255", HALF, ("data", "normalization"), EXPLODE, DIVERGE + STUCK,
       P(F.densenet, scale=255.0, bn=False), C10),
    _b("sharp_softmax_log", HALF, ("numeric",), NONFINITE, ("nonfinite",), F.sharp_softmax_log, C10),
]

FRESH: list[Case] = FRESH_HEALTHY + FRESH_BROKEN
