"""The thirteenth held-out batch (issue 12, the thirteenth session's): models new to the corpus, all held-out (half
``"fresh12"``).

Written and its labels checked in plain PyTorch (seeds 0 and 1) by someone who never read gradguard's diagnosis or
detector rules, frozen (committed) before gradguard's judgment was ever run on any of these cases, then scored
(``benchmarks/judgment_table.py --half fresh12``). Nothing here is tuned on: no case is ever moved to the development
half, and the rules are never changed by looking at these cases' results.

Healthy: RecurrentGemma (Griffin) and LFM2 (causal LMs), ESM-2 and BigBird (masked LMs), SwiftFormer, PP-HGNetV2 and
Hiera (image classification) and PatchTSMixer (forecasting log counts) from ``transformers`` configs; hand-built
JANET (forget-gate-only LSTM, chrono init), a Fixup ResNet (no normalisation; SGD momentum 0.9 at the paper's lr 0.1
per 128 images, linearly scaled to 0.0125 for batches of 16, with warm-up), a RetNet LM (multi-scale retention),
xDeepFM on click data (CIN + DNN, L2 on its embedding tables) and a Conformer classifier over padded sequences
(the Noam schedule at the paper's peak ``0.05 / sqrt(d)``); each at its paper's or library's usual setting.

Broken: one fault each, over all nine causes. As in ``fresh10`` and ``fresh11``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): ESM-2 at ``initializer_range=1.0`` (init),
  the Fixup ResNet with sigmoid activations (activation), the Fixup ResNet at 32 layers left at plain He init, the
  Fixup rescaling and zero init left out (depth), JANET's recurrent matrices drawn N(0, 1) (recurrence), HGNetV2 at
  SGD lr 5 (lr), HGNetV2 without its BatchNorm (normalization), xDeepFM's numeric features x1e3 (data), the
  Conformer's attention masking padded keys with ``-inf`` while some sequences are empty (a row of -inf softmaxes to
  NaN; numeric), and PatchTSMixer on ``torch.optim.Adam(weight_decay=1.0)`` (regularization);
- **slip** (a user's mistake of a kind no earlier batch used): JANET's chrono forget-gate bias set to
  ``-log U(1, T - 1)``, the sign of an LSTM chrono init's input-gate bias copied onto JANET's only gate (every cell
  forgets within a step or two; init), the Fixup block's ``out += identity`` indented one level into its ``if
  self.downsample is not None:`` branch (only the two downsampling blocks keep their shortcut; depth), JANET's cell
  update written ``c += f * c + ...`` where ``c = f * c + ...`` belongs (the old state counted twice: it roughly
  doubles every step; recurrence), the Noam schedule written with ``d_model ** 0.5`` where ``d_model ** -0.5``
  belongs (every lr 64x too large; lr), a hand-written linear warm-up ``LambdaLR(lambda s: (s + 1) / warmup)``
  without its ``min(1, ...)`` (the lr keeps rising: 10x the peak at step 200; lr), a Gaussian-noise augmentation
  with ``sigma=25``, a std meant for 0-255 pixels, on unit-scale images (data), and a hand-written LayerNorm
  ``(x - mean) / torch.sqrt(var) + eps`` with its eps added after the division instead of under the root (padded
  frames embed to zero vectors: 0/0; numeric). No activation, normalization or regularization slip survived (see
  below): those three causes have a common case only.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1 (the 32-layer Fixup ResNet's control is the same depth Fixup-initialised; the noise augmentation's is the same
augmentation at std 0.1; the uncapped warm-up's is the same hand-written warm-up with its cap; the Adam weight decay's
is Adam without decay).

Learning criteria: every case compares with chance: xDeepFM's is ``ln 2``; PatchTSMixer's is the variance of its
log-count targets (0.58, measured over the data pools of seeds 0, 1 and 2: the best constant forecast). Cases whose
plain run may show either trouble (the loss jumping to far above its start and then never learning) carry both
``DIVERGE`` and ``STUCK``; ``fixup_resnet_32_layers_plain_he_init`` starts at 36 and 58 (seeds 0 and 1) and is
non-finite from step 15; ``janet_cell_update_augmented_assignment`` starts at ~2e4 (the state ~2^20) and ends near
2e3.

Dropped before the freeze, because the healthy model did not train or the plain run did not show a failure at seeds
0 and 1 (seed 0 unless said): HF EfficientNet (at RMSprop 1e-3 and at 4x and 16x that, and at SGD 0.05, its loss
never falls below 2.30: the activation and normalization cases planned on it moved to the Fixup ResNet and HGNetV2),
a VQ-VAE at the paper's Adam 2e-4 (its encoder outputs outgrow the codebook and the loss climbs from 0.6 to 9: not
healthy), the Fixup ResNet at lr 0.1 for batches of 16 without warm-up (non-finite at step 36) and at the linearly
scaled lr for batches of 64 and 32 with warm-up (each diverges at one of the seeds; batches of 16 kept), the depth
case at 62 layers (its Fixup control did not learn at seed 0: 32 layers kept), RecurrentGemma, LFM2 and RetNet at
AdamW lr 0.1 (all three learn: 4.31 -> 1.24, 4.18 -> 1.25, 4.61 -> 1.26; the lr case moved to HGNetV2 at SGD lr 5),
SwiftFormer without BatchNorm (2.30 -> 0.61, 0.57 at seed 1), RetNet's RMSNorm written ``x / (mean(x^2) + eps)``
(the square root forgotten: 4.16 -> 1.44; the normalization slip), SwiftFormer with mixup (alpha 0.2) whose label
weights are swapped against the input weights (2.32 -> 1.18: it learns; the regularization slip), SwiftFormer with
its label smoothing's ``eps`` and ``1 - eps`` swapped (nearly uniform targets: the loss stays at 2.27, but like
``fresh6``'s label smoothing 0.9 that is a flat target, not a failed training), the uncapped warm-up on RetNet
(learns) and on the Fixup ResNet (diverges at seed 1 only) and JANET with ReLU in place of its candidate's tanh
(learns: 1.80 -> 0.20). Three slips that did fail at both seeds were dropped because an earlier batch already used
their kind: the cross-entropy summed over the batch under SGD (diverged on the Fixup ResNet; ``fresh7``),
``torch.log`` of counts with zeros (non-finite on PatchTSMixer; ``fresh7``) and ``nn.init.normal_(w, 0.02)`` (the
mean passed where the std belongs: std 1; RetNet stuck), too close to ``fresh6``'s ``nn.init.normal_`` without its
std.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, LM, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh12_builders as F

P = functools.partial
HALF = "fresh12"
#: chance losses: ten, four and two classes, a causal LM, a masked LM that never predicts ids 0 and 1, and
#: PatchTSMixer's best constant forecast (its log-count targets' variance, 0.58 measured over the data pools)
C10, C4, C2, MLM, COUNTS = math.log(10), math.log(4), math.log(2), math.log(62), 0.58
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH12_HEALTHY: list[Case] = [
    _h("recurrent_gemma_lm", HALF, "recurrent_gemma", F.recurrent_gemma_lm, LM),
    _h("lfm2_lm", HALF, "lfm2", F.lfm2_lm, LM),
    _h("esm2_mlm", HALF, "esm", F.esm_mlm, MLM),
    _h("bigbird_mlm", HALF, "bigbird", F.bigbird_mlm, MLM),
    _h("swiftformer_classifier", HALF, "swiftformer", F.swiftformer_classifier, C10),
    _h("hgnet_v2_classifier", HALF, "hgnet_v2", F.hgnet_v2_classifier, C10),
    _h("hiera_classifier", HALF, "hiera", F.hiera_classifier, C10),
    _h("patchtsmixer_forecaster", HALF, "patchtsmixer", F.patchtsmixer_forecaster, COUNTS),
    _h("janet_classifier", HALF, "janet", F.janet, C4),
    _h("fixup_resnet", HALF, "fixup_resnet", F.fixup_resnet, C10),
    _h("retnet_lm", HALF, "retnet", F.retnet_lm, LM),
    _h("xdeepfm", HALF, "xdeepfm", F.xdeepfm, C2),
    _h("conformer_classifier", HALF, "conformer", F.conformer, C4),
]

FRESH12_BROKEN: list[Case] = [
    # init
    _b("esm2_initializer_range_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.esm_mlm, initializer_range=1.0), MLM),
    _b("janet_chrono_bias_sign_flipped", HALF, ("init", "recurrence"), VANISH, STUCK,  # kind: slip
       P(F.janet, chrono_sign_slip=True), C4),
    # activation
    _b("fixup_resnet_sigmoid_activations", HALF, ("activation", "depth"), VANISH, STUCK,  # kind: common
       P(F.fixup_resnet, act="sigmoid"), C10),
    # depth
    _b("fixup_resnet_32_layers_plain_he_init", HALF, ("depth", "init", "normalization"), EXPLODE, DIVERGE,
       P(F.fixup_resnet, blocks=5, fixup=False), C10),  # kind: common
    _b("fixup_resnet_skip_indented_into_downsample", HALF, ("depth", "init"), VANISH, STUCK,  # kind: slip
       P(F.fixup_resnet, indent_slip=True), C10),
    # recurrence
    _b("janet_recurrent_normal_std_1", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.janet, recurrent_std=1.0), C4),
    _b("janet_cell_update_augmented_assignment", HALF, ("recurrence",), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.janet, accumulate_slip=True), C4),
    # lr
    _b("hgnet_v2_sgd_lr5", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.hgnet_v2_classifier, lr=5.0), C10),
    _b("conformer_noam_exponent_sign", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.conformer, noam_slip=True), C4),
    _b("hgnet_v2_warmup_without_cap", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: slip
       P(F.hgnet_v2_classifier, warmup="uncapped"), C10),
    # normalization
    _b("hgnet_v2_without_batchnorm", HALF, ("normalization",), BOTH, STUCK,  # kind: common
       P(F.hgnet_v2_classifier, batch_norm=False), C10),
    # data
    _b("xdeepfm_dense_x1e3", HALF, ("data",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.xdeepfm, dense_scale=1e3), C2),
    _b("hgnet_v2_noise_augmentation_pixel_units", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.hgnet_v2_classifier, noise=25.0), C10),
    # numeric
    _b("conformer_mask_minus_inf_empty_sequences", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),
       P(F.conformer, mask_value=float("-inf")), C4),  # kind: common
    _b("conformer_layernorm_eps_outside_sqrt", HALF, ("numeric", "normalization"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.conformer, eps_outside=True), C4),
    # regularization
    _b("patchtsmixer_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.patchtsmixer_forecaster, weight_decay=1.0), COUNTS),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "esm2_initializer_range_1": "common", "janet_chrono_bias_sign_flipped": "slip",
    "fixup_resnet_sigmoid_activations": "common",
    "fixup_resnet_32_layers_plain_he_init": "common", "fixup_resnet_skip_indented_into_downsample": "slip",
    "janet_recurrent_normal_std_1": "common", "janet_cell_update_augmented_assignment": "slip",
    "hgnet_v2_sgd_lr5": "common", "conformer_noam_exponent_sign": "slip", "hgnet_v2_warmup_without_cap": "slip",
    "hgnet_v2_without_batchnorm": "common",
    "xdeepfm_dense_x1e3": "common", "hgnet_v2_noise_augmentation_pixel_units": "slip",
    "conformer_mask_minus_inf_empty_sequences": "common", "conformer_layernorm_eps_outside_sqrt": "slip",
    "patchtsmixer_adam_weight_decay_1": "common",
}

#: the cases (half "fresh12")
FRESH12: list[Case] = FRESH12_HEALTHY + FRESH12_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "esm2_initializer_range_1": F.esm_mlm,
    "janet_chrono_bias_sign_flipped": F.janet,
    "fixup_resnet_sigmoid_activations": F.fixup_resnet,
    "fixup_resnet_32_layers_plain_he_init": P(F.fixup_resnet, blocks=5),
    "fixup_resnet_skip_indented_into_downsample": F.fixup_resnet,
    "janet_recurrent_normal_std_1": F.janet,
    "janet_cell_update_augmented_assignment": F.janet,
    "hgnet_v2_sgd_lr5": F.hgnet_v2_classifier,
    "conformer_noam_exponent_sign": F.conformer,
    "hgnet_v2_warmup_without_cap": P(F.hgnet_v2_classifier, warmup="capped"),
    "hgnet_v2_without_batchnorm": F.hgnet_v2_classifier,
    "xdeepfm_dense_x1e3": F.xdeepfm,
    "hgnet_v2_noise_augmentation_pixel_units": P(F.hgnet_v2_classifier, noise=0.1),
    "conformer_mask_minus_inf_empty_sequences": F.conformer,
    "conformer_layernorm_eps_outside_sqrt": F.conformer,
    "patchtsmixer_adam_weight_decay_1": P(F.patchtsmixer_forecaster, weight_decay=0.0),
}
