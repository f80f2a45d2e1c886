"""The hundred-and-tenth held-out batch (half ``"fresh109"``): eight published vision models new to the corpus (two
classification backbones, a detector, a segmenter, a video network, a point-cloud network, a super-resolution network
and a keypoint estimator) at their usual settings, and sixteen broken variants with one real fault each, written and
labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never
tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 1_090_000 + seed, fixed templates from ``manual_seed(10_900 + k)``, 32 batches
cycled): Vision Mamba (Vim, Zhu et al. 2024, narrowed: 2x2 patches of a 16x16 colour image, 64 tokens as a 128-pixel
image at Vim's 16x16 patches, embedded to 16 by a strided conv, learned positions, the class token in the middle of
the sequence, two residual blocks of RMSNorm and a bidirectional Mamba mixer (expand 2, Vim's state 16, a causal
depthwise conv of 4 and SiLU per direction, ``dt`` of rank 2 with its bias set so that ``dt`` is log-uniform in
[1e-3, 0.1], ``A = -exp(A_log)`` at the S4D-real ``A_log = log(1 .. 16)``, the selective scan, the two directions
added and gated by ``silu(z)``), a final RMSNorm, the class token to the head; cross-entropy, AdamW at the DeiT
recipe's weight decay 0.05 and lr 1e-3, its 5e-4 being for batch 512 over 300 epochs) on ten smooth colour 16x16
templates rolled by up to 2 pixels with noise 0.3 (10 classes, batch 16; it shares Mamba's selective scan as ViT
shares the transformer: the corpus's ``mamba`` is the causal language model); NAT (Hassani et al. 2023, narrowed: the
overlapping tokenizer of two 3x3 convs, the first at stride 1 here, to an 8x8 grid of 32, two pre-LN layers of 3x3
neighbourhood attention (2 heads, a relative-position bias per head and offset, the missing neighbours at the
borders masked where NAT shifts its window inward) and a GELU MLP of ratio 2, a final LayerNorm, average pooling;
cross-entropy, AdamW at the paper's lr 1e-3 and weight decay 0.05, its warm-up and cosine left out) on a second set
of ten templates; GFL (Li et al. 2020, narrowed to one level: three 3x3 conv - GroupNorm - ReLU of 32, the second at
stride 2, the head's classification and regression towers of two conv - GN - ReLU each, convs initialised N(0,
0.01^2) and the class bias at the prior 0.01 as the reference; the classification conv's 3 scores are QFL's joint
IoU-quality, the regression conv gives 4 general distributions over 8 bins (``reg_max = 7``, stride units); the loss
Quality Focal Loss (beta 2) against the IoU of each positive's decoded box, over the positives' count, plus 0.25
Distribution Focal Loss plus 2 GIoU; FCOS's centre-in-box assignment in place of ATSS's on the one level, the DFL
and GIoU averaged over the positives where the reference weights them by the scores; SGD at the paper's lr 0.01,
momentum 0.9, weight decay 1e-4, its 500-step warm-up left out) on grey 16x16 images of noise 0.2 each holding one
rectangle of sides 5 to 10 filled with its class's pattern (flat, checkerboard, stripes; batch 16); LEDNet (Wang et
al. 2019, narrowed: a downsampling block to 16 channels, two split-shuffle-non-bottleneck units (the channels split,
factorised 3x1/1x3 convs with ReLU and BatchNorm, the second pair dilated, the halves concatenated, the residual,
a channel shuffle), a downsampling block to 32, three SS-nbt units at dilations 1, 2, 4 with dropout 0.1, the
attention pyramid decoder narrowed to one pyramid level times the 1x1 branch plus the global-pooling branch,
upsampled by 4; per-pixel cross-entropy, Adam at the paper's weight decay 1e-4 and lr 2e-3, its 5e-4 being for
200+ epochs) segmenting 16x16 colour images of a rectangle (class 1) and a disk over it (class 2), each in its class's
colour times a checkerboard or stripe texture, with noise 0.3 (3 classes a pixel, batch 16); TEA (Li et al. 2020,
narrowed: a per-frame stem conv of 32 at stride 2 with BN and ReLU, two TEA bottlenecks (the 3x3 conv replaced by
the motion excitation, a depthwise 3x3 conv of frame t + 1's reduced features minus frame t's, pooled, expanded to
an attention applied as ``x + x * sigmoid(a)``, and the multiple temporal aggregation, four channel groups, each
later one a channel-wise temporal conv of 3 then a 3x3 conv of itself plus the previous group's output), a 3x3 conv
of 64 at stride 2, spatial pooling, the head, the frames' scores averaged (TSN's consensus); Kaiming-normal convs;
cross-entropy, SGD at the paper's momentum 0.9 and weight decay 5e-4 at lr 0.05, its 0.01 being for batch 64 over
50 epochs) on clips of 4 grey 16x16 frames of a Gaussian blob moving 2 pixels a frame in one of 4 directions (the
class; wrapping) beside a static distractor blob, noise 0.2 (batch 16); PointCNN (Li et al. 2018, narrowed: two
X-Conv layers, each point's 8 nearest neighbours in local coordinates lifted by Linear - BN - ELU twice to 16, the
8x8 X-transformation learned from the local coordinates by Linear - ELU - Linear and applied to the stacked
features, the convolution one dense layer over the 8 transformed rows, BN, ELU; all 64 points to 32 features, then
16 representative points to 64; their mean to the classifier Linear 64 - BN - ELU - dropout 0.5 - Linear;
cross-entropy, Adam at the reference code's lr 0.01) on 64-point clouds of four surfaces (sphere, cube, cylinder,
cone; stretched U(0.8, 1.2) an axis, rotated about z, noise 0.02; batch 16); IMDN (Hui et al. 2019, narrowed: a
3x3 conv to 32, two information multi-distillation blocks (four 3x3 convs, a quarter of the channels distilled
after each of the first three, LeakyReLU 0.05, the contrast-aware channel attention of std plus mean, a 1x1 conv,
the residual), their outputs fused by a 1x1 conv, a 3x3 conv, the shallow features added, a conv to 12 channels and
a pixel shuffle (x2); the paper's L1 loss, Adam at lr 1e-3, its 2e-4 being halved every 200 epochs of DIV2K) on
16x16 colour images, each the sum of two of twenty fixed smooth templates rolled by up to 3 pixels and sign-flipped,
from their 2x2-average 8x8 downsamplings (batch 16); and SimCC (Li et al. 2022, on a SimpleBaseline-style backbone,
narrowed: three 3x3 conv - BN - ReLU of 32, the second at stride 2, a 1x1 conv to one 8x8 map a keypoint, each
keypoint's map flattened to 64 and classified by two shared Linear heads into 32 x-bins and 32 y-bins (splitting
factor 2); the reference's KL-divergence loss against Gaussian label distributions of std 2 bins (1 pixel), through
``F.kl_div``; Adam at the reference lr 1e-3) on 16x16 three-channel images of noise 0.2 holding 3 keypoints, each a
Gaussian blob in its own channel and a weaker one in the next (batch 16).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Vision Mamba conv and Linear weight
  drawn N(0, 1) (init), every SimCC BatchNorm's shift set to -10 before its ReLU, every unit dead (activation, with
  init), PointCNN's classifier a plain stack of 50 Linear 64 - ReLU layers at PyTorch's default init (depth, with
  init), Vision Mamba's state matrix ``A = +exp(A_log)``, the S4D-real sign dropped, so that each step multiplies
  the state by ``exp(dt A)`` up to ``e^1.6`` at init and the 65 tokens carry it past float32's range (recurrence,
  with init), NAT at AdamW lr 1, GFL at SGD lr 10 and IMDN at Adam lr 1 (lr), TEA without its BatchNorms (normalization,
  with lr: at the lr 0.05 set here), NAT at AdamW ``weight_decay=50`` and IMDN at AdamW ``weight_decay=50``
  (regularization), TEA's labels permuted within every batch and SimCC's keypoint targets permuted over the images
  of every batch (data), and SimCC's KL written out as ``(t * (t.log() - log_softmax)).sum(-1)`` where its label
  distributions hold exact zeros far from each keypoint (``exp`` underflows: ``0 * log 0 = 0 * -inf`` is NaN at
  step 0; numeric);
- **slip** (a user's tensor-layout mistake that keeps every shape valid, of a kind no earlier batch used): IMDN's
  low-resolution batch delivered channels-last, ``(b, 8, 8, 3)``, and handed on by ``lr.reshape(b, 3, 8, 8)`` where
  ``lr.permute(0, 3, 1, 2)`` was meant (every pixel's colour lands elsewhere and the targets stay in place; data);
  IMDN's pixel shuffle written as ``y.reshape(b, 3, 16, 16)`` on the ``(b, 12, 8, 8)`` upsampler output (the 2x2
  sub-pixel grid laid out as whole low-resolution maps side by side, so that each output pixel comes from a conv at
  another place; data); and LEDNet's per-pixel cross-entropy taking ``logits.reshape(-1, 3)`` where
  ``logits.permute(0, 2, 3, 1).reshape(-1, 3)`` was meant (each pixel's row holds three values of one class map at
  other pixels, while the labels are flattened in pixel order; data). Earlier slips of the axes (an RNN fed
  ``(batch, time, features)`` where it expected time first, a constructor's layout argument) are not repeated: here a
  channels-last batch is reshaped rather than permuted, a depth-to-space is written as a reshape, and a dense head's
  logits are flattened channels-first. None of the slips is an init, activation, depth, recurrence, lr or
  normalization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is PointCNN with its two-layer classifier).

Learning criteria: Vision Mamba and NAT compare with chance (ln 10 = 2.303), TEA and PointCNN with ln 4 = 1.386,
LEDNet with ln 3 = 1.099, SimCC with its best constant prediction (the pool's mean label distributions, KL 2.68);
GFL's detection loss and IMDN's L1 with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): Vision
Mamba 2.164 -> 0.3846 and 2.426 -> 0.3510 (the criterion 1.623 and 1.727); NAT 2.336 -> 0.1322 and 2.276 -> 0.1000;
GFL 2.068 -> 0.3705 and 2.077 -> 0.7995 (the criterion 1.551 and 1.558); LEDNet 1.167 -> 0.4245 and 1.174 -> 0.4103;
TEA 1.390 -> 0.0283 and 1.441 -> 0.0244; PointCNN 1.406 -> 0.1485 and 1.705 -> 0.0629; IMDN 1.155 -> 0.2985 and
1.185 -> 0.3032; SimCC 2.821 -> 0.1330 and 2.824 -> 0.1392 (the criterion 2.010). Broken:
``vision_mamba_init_std_1`` 4.686 -> 2.413 and 9.087 -> 4.291 (the criterion 1.727); ``simcc_batchnorm_shift_minus_10``
2.779 -> 2.679 and 2.774 -> 2.674; ``pointcnn_head_50_relu_layers_default_init`` 1.397 -> 1.379 and 1.402 -> 1.386;
``vision_mamba_positive_state_matrix`` non-finite at step 0 (the loss) at seed 0 and at step 7 at seed 1 (after
2.414 at step 0); ``nat_adamw_lr1`` diverges at step 1 at both seeds (ends 2.377 and 2.214; weights x23 and x24);
``gfl_sgd_lr10`` diverges at step 1 at both seeds (ends 18.44 and 6.335; weights x8.7e5 and x1.5e4); ``imdn_adam_lr1``
diverges at step 1 at both seeds (ends 3.1e19 and 3.2e19; weights x111 and x100); ``tea_without_batchnorm`` 1.379 ->
1.391 and 1.386 -> 1.402; ``nat_adamw_weight_decay_50`` 2.336 -> 2.300 and 2.276 -> 2.301;
``imdn_adamw_weight_decay_50`` 1.155 -> 0.9080 and 1.185 -> 0.9412 (the criterion 0.866 and 0.889);
``tea_labels_shuffled`` 1.402 -> 1.175 and 1.446 -> 1.249 (the criterion 1.040); ``simcc_keypoints_shuffled`` 2.829
-> 2.056 and 2.824 -> 2.116 (the criterion 2.010: it memorises part of the cycled pool); ``simcc_kl_written_out``
non-finite at step 0 at both seeds (the loss); ``imdn_nhwc_batch_reshaped`` 1.171 -> 1.063 and 1.187 -> 1.079;
``imdn_pixel_shuffle_as_reshape`` 1.153 -> 1.039 and 1.190 -> 1.053; ``lednet_logits_flattened_channels_first``
1.105 -> 1.092 and 1.107 -> 1.090. The no-learning cases fail at step 199. The cases ran in 4 to 175 s a seed on a
machine shared with three other helpers' runs and eight of this batch's at once (load 8 to 11 on 2 cores); re-timed
at load 5, two at once, Vision Mamba (its 65-step scan, the slowest) took 32 and 16 s, TEA 18 and 15 s, SimCC's four
cases 3 to 6 s a seed.

Dropped or changed before the freeze (every figure above is from the final code): GFL's slip was first its head's
maps flattened by ``.reshape(b, -1, c)`` in place of ``.permute(0, 2, 3, 1)``; it learned by the criterion (2.072 ->
1.405 against 1.554 at seed 0, the QFL negatives and the distributions' marginals alone falling) and was dropped for
LEDNet's logits. LEDNet's channels-last images reshaped learned (1.281 -> 0.6684 against 0.824: the reshape keeps each
channel as compressed strips of the image, the colours locally recoverable) and the channels-last slip moved to
IMDN. LEDNet without its BatchNorms learned (1.052 -> 0.4435), so the normalization common is TEA's; PointCNN on
coordinates x1000 learned (1.218 -> 0.0920, the BatchNorm after its lifting layer absorbing the scale), so the second
data common is SimCC's shuffled targets. Vision Mamba was first written with 4x4 patches (17 tokens), width 32 and
state 8: with the positive state matrix it learned (2.558 -> 0.0478 at seed 0, and 2.419 -> 0.1685 at state 16), the
growth over 17 steps staying finite and the RMSNorms absorbing it; with 2x2 patches (65 tokens) it is non-finite, and
the width went to 16 for time (its scan, first indexed step by step, took 312 s a seed under load; it now unbinds
the steps and scans both directions at once, the same losses). TEA at the paper's lr 0.01 had not learned in 200
steps (1.390 -> 1.277), so it runs at 0.05. SimCC first compared with its first loss, by which the shuffled targets
learned (2.829 -> 2.056 against 2.122); it now compares with its best constant prediction.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh109_builders as F

P = functools.partial
HALF = "fresh109"
#: chance losses: 10 template classes (Vision Mamba, NAT), 4 motion directions (TEA) and 4 surfaces (PointCNN),
#: 3 pixel classes (LEDNet); SimCC's best constant prediction (the pool's mean label distributions: KL 2.68 at seed 0,
#: 2.67 at seed 1); GFL's detection loss and IMDN's L1 compare with their first loss
C10, C4, C3, SIMCC_REF = math.log(10), math.log(4), math.log(3), 2.68
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH109_HEALTHY: list[Case] = [
    _h("vision_mamba_templates", HALF, "vision_mamba", F.vim, C10),
    _h("nat_templates", HALF, "nat", F.nat, C10),
    _h("gfl_one_object_images", HALF, "gfl", F.gfl, None),
    _h("lednet_shape_segmentation", HALF, "lednet", F.lednet, C3),
    _h("tea_moving_blobs", HALF, "tea", F.tea, C4),
    _h("pointcnn_surface_clouds", HALF, "pointcnn", F.pointcnn, C4),
    _h("imdn_x2_super_resolution", HALF, "imdn", F.imdn, None),
    _h("simcc_keypoint_images", HALF, "simcc", F.simcc, SIMCC_REF),
]

FRESH109_BROKEN: list[Case] = [
    # init
    _b("vision_mamba_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.vim, init_std=1.0), C10),
    # activation
    _b("simcc_batchnorm_shift_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.simcc, bn_bias=-10.0), SIMCC_REF),
    # depth
    _b("pointcnn_head_50_relu_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.pointcnn, head_layers=50), C4),
    # recurrence
    _b("vision_mamba_positive_state_matrix", HALF, ("recurrence", "init"), EXPLODE, DIVERGE + STUCK,  # kind: common
       P(F.vim, positive_state=True), C10),
    # lr
    _b("nat_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.nat, lr=1.0), C10),
    _b("gfl_sgd_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.gfl, lr=10.0), None),
    _b("imdn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.imdn, lr=1.0), None),
    # normalization
    _b("tea_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.tea, norm=False), C4),
    # regularization
    _b("nat_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.nat, weight_decay=50.0), C10),
    _b("imdn_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.imdn, adamw=True, weight_decay=50.0), None),
    # data
    _b("tea_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.tea, shuffled=True), C4),
    _b("simcc_keypoints_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.simcc, shuffled=True), SIMCC_REF),
    # numeric
    _b("simcc_kl_written_out", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.simcc, manual_kl=True), SIMCC_REF),
    # slips
    _b("imdn_nhwc_batch_reshaped", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.imdn, nhwc_reshaped=True), None),
    _b("imdn_pixel_shuffle_as_reshape", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.imdn, shuffle_view=True), None),
    _b("lednet_logits_flattened_channels_first", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.lednet, flat_logits=True), C3),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "vision_mamba_init_std_1": "common", "simcc_batchnorm_shift_minus_10": "common",
    "pointcnn_head_50_relu_layers_default_init": "common", "vision_mamba_positive_state_matrix": "common",
    "nat_adamw_lr1": "common", "gfl_sgd_lr10": "common", "imdn_adam_lr1": "common",
    "tea_without_batchnorm": "common", "nat_adamw_weight_decay_50": "common",
    "imdn_adamw_weight_decay_50": "common", "tea_labels_shuffled": "common", "simcc_keypoints_shuffled": "common",
    "simcc_kl_written_out": "common",
    "imdn_nhwc_batch_reshaped": "slip", "imdn_pixel_shuffle_as_reshape": "slip",
    "lednet_logits_flattened_channels_first": "slip",
}

#: the cases (half "fresh109")
FRESH109: list[Case] = FRESH109_HEALTHY + FRESH109_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "vision_mamba_init_std_1": F.vim,
    "simcc_batchnorm_shift_minus_10": F.simcc,
    "pointcnn_head_50_relu_layers_default_init": F.pointcnn,
    "vision_mamba_positive_state_matrix": F.vim,
    "nat_adamw_lr1": F.nat,
    "gfl_sgd_lr10": F.gfl,
    "imdn_adam_lr1": F.imdn,
    "tea_without_batchnorm": F.tea,
    "nat_adamw_weight_decay_50": F.nat,
    "imdn_adamw_weight_decay_50": F.imdn,
    "tea_labels_shuffled": F.tea,
    "simcc_keypoints_shuffled": F.simcc,
    "simcc_kl_written_out": F.simcc,
    "imdn_nhwc_batch_reshaped": F.imdn,
    "imdn_pixel_shuffle_as_reshape": F.imdn,
    "lednet_logits_flattened_channels_first": F.lednet,
}
