"""The twenty-fourth held-out batch (issue 12): models new to the corpus, all held-out (half ``"fresh23"``).

Written and its labels checked in plain PyTorch (seeds 0 and 1) by someone who never read gradguard's diagnosis or
detector rules, frozen (committed) before gradguard's judgment was ever run on any of these cases, then scored
(``benchmarks/judgment_table.py --half fresh23``). Nothing here is tuned on: no case is ever moved to the development
half, and the rules are never changed by looking at these cases' results.

Healthy: hand-built: RevNet (a stem, two stages of two reversible blocks ``y1 = x1 + F(x2)``, ``y2 = x2 + G(y1)``
with pre-activation BN-ReLU-conv residual functions and a strided transition; SGD momentum 0.9 weight decay 1e-4 at
the paper's lr 0.1 for batch 128 scaled by the linear scaling rule to batch 32, 0.025) on template images,
EfficientNetV2 (a stem, two fused-MBConv blocks, an MBConv block with squeeze-and-excitation, a 1x1 head conv, SiLU
and BatchNorm throughout; RMSprop decay 0.9 momentum 0.9 eps 1e-3 weight decay 1e-5, the paper's, at its lr 0.256 for
batch 4096 scaled to batch 32, 0.002) on template images, TNT (inner transformers over 2x2 sub-patch "pixel" tokens
projected into the 4x4 patch "sentence" tokens, outer transformers over those and a class token; AdamW at the DeiT
recipe's base lr 5e-4, unscaled, weight decay 0.05) on template images, TC-ResNet8 (the MFCC coefficients as the
channels of 1-D temporal convolutions, three residual blocks of kernel 9 with BatchNorm; Adam 1e-3) on keyword MFCC
sequences, the SCRN (a slow linear context state with the paper's fixed alpha 0.95 and a sigmoid hidden state; Adam
1e-2 where the paper runs SGD 0.05, and series of 16 steps: at 24 steps and Adam 3e-3 it had not learned, 1.48 ->
1.27 and 1.53 -> 1.24 against 1.04, nor at 24 steps and 1e-2 at seed 1, 1.51 -> 1.14) on series whose class is in the
first four values, the fast-weights RNN (a per-sequence fast memory ``A = 0.95 A + 0.5 h h^T``, one inner loop with
LayerNorm, slow recurrent weights the identity times 0.05, the paper's; Adam 1e-3, ten times the paper's 1e-4) on the
same kind of series (24 steps), N-HiTS (three stacks with pooling kernels 4, 2, 1 and forecast knots interpolated to
the horizon, doubly residual, each series forecast on its own; Adam 1e-3, the paper's, MSE where the paper uses MAE)
on sensor windows, BST (item and category embeddings of the last eight clicks and the target item with position
embeddings, one transformer layer, an MLP of LeakyReLU layers with a dense dwell-time feature; Adam 1e-3) on click
logs, VICReg (an MLP encoder and a BatchNorm expander to 32 dimensions, the paper's loss weights 25, 25 and 1; AdamW
1e-3 weight decay 1e-6 where the paper runs LARS; the expander was first 128 wide, wider than the batch of 64, and
its covariance term then left the loss at 14.56 and 14.58 against the criteria 14.51 and 14.95) on two augmented
views of clustered vectors, the MPNN (an edge network mapping each bond's type to a message matrix, a GRU update over
three steps, a sum readout where the paper uses set2set; Adam 1e-3; hidden width 16, as 32 took 13 s a run) on padded
molecules with an additive target, Primer (multi-dconv-head attention, causal depthwise convolutions after the query,
key and value projections, and a squared-ReLU MLP; AdamW 1e-3 betas (0.9, 0.95) weight decay 0.1 with a linear
warm-up over 50 steps, a ``LambdaLR`` built once) on the Markov language, and, from ``transformers`` configs, a tiny
Qwen3 (per-head query and key RMSNorm, grouped-query attention, RoPE) and a tiny GLM-4 (RMSNorm before and after each
sub-layer, partial RoPE), both at AdamW 3e-4 betas (0.9, 0.95) weight decay 0.1 and init std 0.02 (no warm-up or
decay), on the Markov language.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh22``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): Qwen3 at ``initializer_range=1`` and Primer
  with every weight matrix drawn N(0, 1) (init), every N-HiTS hidden bias initialised to -10 (every ReLU dead;
  activation), BST's MLP with 50 plain LeakyReLU layers at PyTorch's default init (depth), the SCRN's hidden-to-hidden
  matrix drawn N(0, 10^2) (recurrence), TNT at AdamW lr 1 (lr), EfficientNetV2 without its BatchNorms at RMSprop
  0.01 (where the BatchNorm version learns; normalization), the MPNN's regression targets in raw units (times 1e4,
  unstandardised) and BST's dwell time fed in raw milliseconds (data), N-HiTS and its data in float16 under Adam (its
  eps 1e-8 rounds to 0 in float16, and the 2,635 gradients that are exactly zero at the first step give ``0 / 0``;
  numeric), and BST at Adam ``weight_decay=1`` and TNT at AdamW ``weight_decay=50`` (regularization);
- **slip** (a user's mistake of a kind no earlier batch used): the fast-weights outer product written
  ``einsum("bi,bj->ij", h, h)``, summed over the batch, where ``"bi,bj->bij"`` belongs (one fast memory shared by the
  32 sequences of a batch; recurrence), the warm-up ``LambdaLR`` constructed inside the batch loop (every step's
  ``step()`` is a new scheduler's first: the lr stays at 2/50 of its base; lr), ``optimizer.zero_grad()`` indented
  into the epoch loop instead of the batch loop (RevNet's SGD steps on the running sum of up to 32 batches'
  gradients; lr), BST's item ids looked up in a vocabulary keyed by strings with the integer ids (every item misses
  and becomes the out-of-vocabulary row 0, whose category is 0 too; data), N-HiTS's missing readings (2%) filled with
  the database's code -999 before windowing, in the inputs and the targets (data), and Qwen3's labels masked for
  padding by ``labels.masked_fill(attention_mask == 1, -100)``, the condition inverted (every label is ignored: the
  mean over no tokens is 0/0; data, numeric). No init, activation, depth, normalization, numeric (as first cause)
  or regularization slip was written (one masking slip was considered, see below): the commons outnumber the slips
  (12 to 6). Five of the slips live in the code around the model (the scheduler's construction, the ``zero_grad``
  call, the id lookup, the missing-value fill and the label masking); the sixth, the outer product, is in the
  model.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except the BatchNorm case's, EfficientNetV2 with its BatchNorms at RMSprop 0.01
(2.325 -> 0.0388 and 2.291 -> 0.00013).

Learning criteria: the classifiers compare with chance (ten, eight, four and two classes; the LMs with their 64-token
vocabulary); N-HiTS, VICReg and the MPNN compare with their first loss. Measured plain runs (seed 0, seed 1): RevNet
2.32 -> 0.0123 and 2.34 -> 0.0098; EfficientNetV2 2.33 -> 8.2e-5 and 2.29 -> 8.3e-5; TNT 2.39 -> 0.102 and 2.29 ->
0.093; TC-ResNet8 2.08 -> 0.0092 and 2.00 -> 0.0099; the SCRN 1.49 -> 0.765 and 1.51 -> 0.675 (the criterion 1.04);
the fast-weights RNN 1.58 -> 0.094 and 1.83 -> 0.124; N-HiTS 6.42 -> 0.0145 and 6.87 -> 0.0137; BST 0.681 -> 0.106
and 0.693 -> 0.135; VICReg 19.6 -> 7.53 and 19.4 -> 7.52; the MPNN 2.41 -> 0.318 and 1.65 -> 0.150; Primer 4.16 ->
1.22 and 4.19 -> 1.24; Qwen3 4.19 -> 1.76 and 4.15 -> 1.73; GLM-4 4.18 -> 2.33 and 4.18 -> 2.31. Broken:
``qwen3_initializer_range_1`` 18.7 -> 12.2 and 19.3 -> 12.1; ``primer_init_std_1`` 18.5 -> 5.14 and 19.7 -> 5.36;
``nhits_hidden_bias_minus_10`` 5.72 -> 5.66 and 6.22 -> 5.06 (the criteria 4.29 and 4.66); ``bst_50_plain_mlp_layers``
0.688 -> 0.684 and 0.691 -> 0.673; ``scrn_recurrent_normal_std_10`` 1.50 -> 1.11 and 1.52 -> 1.19 (the criterion
1.04: a narrow margin, and the same matrix at std 30 learns, 1.51 -> 0.80 and 1.59 -> 0.69; a weak case kept as
measured); ``fast_weights_outer_product_summed_over_batch`` 1.46 -> 1.37 and 1.39 -> 1.38; ``tnt_adamw_lr1``
diverges at step 1 at both seeds (weights x44; ends 2.34 and 2.35);
``primer_warmup_lambdalr_built_inside_the_loop`` 4.16 -> 3.51 and 4.19 -> 3.51 (the criterion 3.12);
``revnet_zero_grad_once_per_epoch`` diverges at steps 42 and 28 (weights x14 and x12; ends 7.5 and 11.3);
``efficientnetv2_without_batchnorm_lr0.01`` diverges at steps 8 and 6 and ends at chance (2.31 both);
``mpnn_targets_unstandardised_x1e4`` 1.45e8 -> 1.51e8 and 1.62e8 -> 1.54e8; ``bst_dwell_time_in_milliseconds`` 17.5
-> 0.896 and 18.2 -> 0.745 (the criterion 0.520); ``bst_item_ids_looked_up_as_strings`` 0.680 -> 0.684 and 0.690 ->
0.674; ``nhits_missing_readings_filled_with_minus_999`` 2.2e4 -> 1.8e4 and 1.7e4 -> 1.8e4; Qwen3's inverted label
mask and N-HiTS in float16 are non-finite at step 0 at both seeds; ``bst_adam_weight_decay_1`` 0.681 -> 0.690 and
0.693 -> 0.686; ``tnt_adamw_weight_decay_50`` 2.39 -> 2.302 and 2.29 -> 2.303.

Dropped before the freeze (seeds 0 and 1): the MPNN's edge-network hidden biases at -10 (the activation common: 2.40
-> 0.378 and 1.60 -> 0.342, the readout of the atoms alone still fits much of the target), the SCRN's hidden matrix
N(0, 3^2) (1.50 -> 0.150 and 1.51 -> 0.366) and the fast-weights RNN's slow matrix N(0, 3^2) (1.58 -> 0.159 and 1.92
-> 0.202: its LayerNorm bounds the state), the SCRN's context decay alpha 1.5 (a growing context state: 51.7 ->
0.022 and 36.0 -> 0.065), RevNet without its BatchNorms at lr 0.025 (2.85 -> 1.6e-4 and 2.41 -> 1.7e-5), RevNet at
SGD lr 1 (2.32 -> 0.094 and 2.34 -> 0.041), TC-ResNet8 at Adam lr 1 (a divergence at step 1, then 0.44 and 0.031:
learned), GLM-4 at AdamW lr 1 (a divergence at step 1, then 1.82 and 1.57: learned), EfficientNetV2 without
BatchNorms at its own lr 0.002 (2.32 -> 0.717, a divergence at step 164, and 2.30 -> 0.175: learned; lr 0.01 kept),
and the MPNN's targets times 1e3 (1.45e6 -> 1.23e6, and 1.62e6 -> 1.20e6 at seed 1: learned by the criterion; 1e4
kept). A masking slip (Primer's causal mask given in ``nn.MultiheadAttention``'s convention, True = blocked, to
``scaled_dot_product_attention``, where True = attend) was not written: this torch (2.13) returns zeros for a fully
masked row rather than NaN (checked), so the model would only see the future and its loss would fall.
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
