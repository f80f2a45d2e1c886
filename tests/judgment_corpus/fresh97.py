"""The ninety-eighth held-out batch (half ``"fresh97"``): eight published vision architectures (classification,
detection, segmentation and restoration) new to the corpus at their usual settings, and sixteen broken variants with
one real fault each, written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh
batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 970_000 + seed): ZFNet (Zeiler and Fergus 2014, narrowed to 32x32 images: 7x7/2
conv of 32, ReLU, 3x3/2 max-pool, LRN; 5x5 conv of 64, ReLU, max-pool, LRN; three 3x3 convs (96, 96, 64), a 2x2
max-pool, two dropout-0.5 layers of 128, the classifier; the LRNs AlexNet's ``size=5, alpha=1e-4, beta=0.75, k=2``;
Kaiming-normal init in place of the paper's N(0, 0.01^2), at which the net did not learn in 200 steps; SGD at the
paper's lr 1e-2, momentum 0.9) and SCNet (Liu et al. 2020, narrowed: a 3x3 stem of 16, four self-calibrated
bottlenecks (32, 32, 64/2, 64) whose self-calibrated half computes ``k4(k3(x) * sigmoid(x + up(k2(avgpool_4(x)))))``,
BatchNorm throughout, Kaiming fan-out init; SGD lr 0.1, momentum 0.9, weight decay 1e-4) on class-template images
(10 classes; 32x32 and 16x16), DDRNet (Hong et al. 2021, narrowed: a stem to 1/8 of 32 channels, the high-resolution
branch at 1/8 beside the low-resolution branch at 1/16 with one bilateral fusion, DAPPM on the low branch over scales
{1, 1/2, global}, the segmentation head upsampled x8; SGD at the paper's lr 0.01, momentum 0.9, weight decay 5e-4,
its poly decay left out) on 32x32 scenes of coloured rectangles and discs (4 pixel classes), SCNN (Pan et al. 2018,
narrowed: a VGG-style backbone to 1/2 of 16 channels, the spatial message passing downward, upward, rightward and
leftward, ``X_i <- X_i + ReLU(K * X_{i-1})`` slice by slice with width-9 kernels drawn N(0, 2 / (9 * 16 * 5)) as the
reference code, a 1x1 classifier; the paper's background weight 0.4 in the cross-entropy; SGD lr 0.01, momentum 0.9,
weight decay 1e-4) on 32x32 lane scenes with up to four dashed lane markings (labels: background and four lane
slots; 15% of the frames have no lane), YOLOF (Chen et al. 2021, narrowed: a 4-layer conv-BN backbone to a single 8x8
level, the dilated encoder (1x1 and 3x3 conv-BN, four dilated residual blocks), the decoupled head with the implicit
objectness, one 10x10 anchor per cell, the uniform matching narrowed to the cell of each object's centre; sigmoid
focal loss plus 2 x GIoU plus the L1 loss of the deltas on the encoded boxes; SGD lr 0.01 (the paper's 0.12 at batch
64 scaled down) after a linear warm-up of 20 steps, momentum 0.9, weight decay 1e-4) on 32x32 scenes of one or two
coloured boxes (3 classes, targets padded to two slots), HINet (Chen et al. 2021, narrowed: two stages of a
two-level U-Net of 16 and 32 channels with Half Instance Normalization blocks in the encoders, the supervised
attention module and the cross-stage feature fusion; L1 losses of both stages' restorations in place of the paper's
PSNR loss, which is negative; Adam at the paper's lr 2e-4, betas (0.9, 0.99), batch 4) denoising 32x32 scenes at
sigma 0.5, LapSRN (Lai et al. 2017, narrowed to x4 in two pyramid levels of three 3x3 convs of 32 with LeakyReLU 0.2,
transposed-conv upsampling, the image branch's transposed convs initialised bilinear, MSRA init, the Charbonnier
loss at both levels; Adam at lr 1e-3, set here, because the paper's SGD at 1e-5 does not move in 200 steps) from
8x8 to 32x32, and FFTformer (Kong et al. 2023, narrowed: Restormer's bias-free overlapped patch embedding of 16, one
DFFN-only encoder block, pixel-unshuffle down-sampling to 32 channels, one block with the frequency-domain
self-attention solver (``irfft2(rfft2(q) * rfft2(k))`` in 8x8 patches, its LayerNorm, times v) and the DFFN at the
bottom, pixel-shuffle up-sampling, one full decoder block, the residual image added to the blurred input; the
with-bias LayerNorm over channels at eps 1e-5; L1 loss, Adam at the paper's lr 1e-3, batch 4) deblurring
letterboxed 32x32 frames (black bars of 6 rows, exact zeros, above and below the picture) blurred by a fixed 5x5
kernel.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every ZFNet weight drawn N(0, 1) (init;
  the first loss is 1e9), every ZFNet conv bias at -10, every unit dead (activation), LapSRN with 40 convs a level
  at PyTorch's default init (depth; at its own three convs and the same default init it learns, see below), SCNN's
  message-passing kernels drawn at std 0.5 (each slice's message has a gain far above 1, and the carried state is
  compounded over 16 slices in each of four directions: ``inf`` at step 0; recurrence, the init of the recurrent
  kernel accepted), SCNet at SGD lr 10, DDRNet at SGD lr 10 and HINet at Adam lr 1 (lr), SCNet without its
  BatchNorms (the SC-bottlenecks' sums and products grow unchecked at SGD lr 0.1; normalization, with lr), YOLOF
  at AdamW ``weight_decay=50`` and LapSRN at AdamW ``weight_decay=50`` (regularization), ZFNet's labels permuted
  within every batch, apart from their images (data), YOLOF's L1 delta term computed over every target slot and
  masked afterwards by multiplying with ``valid`` (a one-object image's padded slot holds a zero box, whose
  encoded size ``log(0 / 10)`` is ``-inf``: the term is ``inf`` and ``inf * 0 = NaN``; numeric, with data, the
  padding), and SCNN's loss averaged per image over its own lane pixels, ``sum(ce * lane) / lane.sum()``, which is
  ``0 / 0`` on the frames without lanes (numeric, with data);
- **slip** (a user's mistake in a normalisation layer's configuration, of a kind no earlier batch used): ZFNet's
  LRNs written with ``k=0`` (its additive constant, which a user takes for an optional bias; PyTorch's default is 1
  and AlexNet's 2): the LRN computes ``x / (k + alpha * mean_window(x^2)) ** beta``, and at every pixel whose five
  neighbouring channels are all zero after the ReLU and max-pool that is ``0 / 0``, NaN (step 0 at seed 0; at seed
  1 the first forward has no such window but the unguarded division amplifies small windows, loss 144.5, and the
  weights are NaN after the first update; numeric, with normalization); FFTformer's LayerNorms built with ``eps=0``
  (the eps thought unnecessary for a layer norm over 16 or 32 channels): the bias-free embedding of the letterbox's
  black bars is exactly zero at every bar pixel away from the picture, and the LayerNorm of a zero vector is ``0 *
  (1 / sqrt(0)) = 0 * inf = NaN`` at step 0 (numeric, with normalization; with eps 1e-5 it is 0); and ZFNet's LRNs
  written ``alpha=1e4`` where ``1e-4`` belongs (the exponent's minus lost in the LRN's own scale, not in an eps): each
  LRN divides by about ``(1e4 * mean x^2) ** 0.75``, hundreds to thousands, and maps larger inputs to smaller outputs
  (``x^-0.5``), so the two LRNs leave the classifier too small a signal to move, and the loss stays at ln 10
  (normalization). Earlier normalisation slips (an eps outside the root, an RMSNorm without eps, a division by the
  variance, a precedence slip, an inverted or detached training test, an eps of 1e5, eps and momentum swapped,
  one-pass variances, the channel axis of size 1, a domain's statistics over the features, a GroupNorm of single
  channels, a BatchNorm frozen or left in eval mode, micro-batches of 2, a LayerNorm on a scalar output, the variance
  over the batch axis, ``var_mean``'s order, a cumulative count off by one, norm gains zeroed or re-drawn by an init
  loop, a norm on the residual stream) are not repeated: here a local response normalisation's constant and scale are
  set wrong, and a library LayerNorm's eps is set to 0 on inputs with structural zeros. None of the slips is an init,
  activation, depth, recurrence, lr, regularization or data one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds but the depth case's, which is LapSRN at its own three convs a level at the same
PyTorch default init (0.3391 -> 0.2184 and 0.3071 -> 0.2122).

Learning criteria: ZFNet and SCNet compare with chance (ten classes: 1.727); DDRNet with the shape scenes' pixel-label
marginal entropy (about 74% background, 0.855 nats: the criterion 0.641, so a model that learns only the class
prior has not learned); SCNN with the lane scenes' marginal entropy under its class weights (1.113 nats: 0.835);
YOLOF, HINet, LapSRN and FFTformer with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): ZFNet
3.880 -> 0.0211 and 3.998 -> 0.0633; SCNet 2.294 -> 0.0012 and 2.335 -> 0.0007; DDRNet 3.481 -> 0.359 and 1.824 ->
0.359; SCNN 3.674 -> 0.152 and 1.611 -> 0.110; YOLOF 3.302 -> 1.439 and 3.432 -> 1.345; HINet 0.817 -> 0.346 and
0.801 -> 0.349; LapSRN 0.821 -> 0.234 and 0.677 -> 0.224; FFTformer 0.163 -> 0.0813 and 0.167 -> 0.0830. Broken:
``zfnet_init_std_1`` 1.07e9 and 1.04e9 at step 0, non-finite at step 1 at both seeds (weights x9,149 and x11,471 at
step 0); ``zfnet_conv_biases_minus_10`` 2.303 -> 2.301 and 2.303 -> 2.303; ``lapsrn_40_layers_per_level_default_init``
0.343 -> 0.269 and 0.309 -> 0.264 (the criteria 0.257 and 0.232); ``scnn_message_passing_std_0.5`` non-finite at step
0 at both seeds (the loss ``inf`` and 4.2e33, the weights non-finite after the first update);
``scnet_sgd_lr10`` diverges at step 1 at both seeds (ends 6.141 and 6.951; weights x10 at step 4 at both);
``ddrnet_sgd_lr10`` diverges at step 1 at both seeds (ends 2.151 and 2.246; weights x10 at steps 5 and 8);
``hinet_adam_lr1`` diverges at step 1 at both seeds (ends 8.8e30 and 2.1e25; weights x1,366 and x1,489 at step 0);
``scnet_without_batchnorm`` diverges at steps 11 and 109 and is non-finite at steps 14 and 132;
``yolof_adamw_weight_decay_50`` 3.302 -> 2.823 and 3.432 -> 2.903 (the criteria 2.477 and 2.574);
``lapsrn_adamw_weight_decay_50`` 0.821 -> 1.040 and 0.677 -> 1.016; ``zfnet_labels_shuffled`` 3.864 -> 2.302 and
4.267 -> 2.305; ``yolof_l1_over_padded_slots`` non-finite at step 0 at both seeds; ``scnn_lane_loss_per_image``
non-finite at step 0 (seed 0) and step 1 (seed 1, whose first batch has a lane in every frame);
``zfnet_lrn_k_0`` non-finite at step 0 (seed 0) and step 1 (seed 1); ``fftformer_layernorm_eps_0`` non-finite at
step 0 at both seeds; ``zfnet_lrn_alpha_1e4`` 2.303 -> 2.302 and 2.303 -> 2.305. The cases ran in 0.1 to 123 s a seed
on a machine shared with three other helpers' runs and the project's own (load 6 to 12 on 2 cores); SCNet is the
slowest (about 120 s a seed under that load), and every other healthy case took 23 to 78 s.

Dropped or changed before the freeze (every figure above is from the final code): ZFNet at PyTorch's default init
(and the paper's lr) did not learn (2.302 -> 2.300 at seed 0) and uses Kaiming-normal init. SCNet (a stem of 32 and
bottlenecks of 64 and 128) and SCNN (a backbone of 32 and 64 channels, message passing over 32 channels) were first
twice as wide (both learned, 2.372 -> 0.0004 and 1.853 -> 0.080 at seed 0, but took four to five minutes a seed under
load) and were narrowed; HINet's batch went from 8 to 4 and FFTformer's from 8 to 4 with one block a level instead of
two (its first healthy run timed out under load). YOLOF was first trained with focal plus GIoU loss and no warm-up
(2.479 -> 0.847 at seed 0); its first numeric common, the GIoU loss taken over every slot, padded zero boxes included,
learned (2.701 -> 1.216): the IoU of a box with a zero box is ``0 / area``, not ``0 / 0``, so the L1 term on encoded
boxes was added to its loss (it then learned, with a loss spike at step 2 at seed 0, so the 20-step warm-up of its
paper's recipe was added) and the numeric common moved to it. LapSRN with every conv drawn N(0, 1) "learned" by the
criterion (6.2e9 -> 3.6e8 at seed 0: a restorer has no chance to compare with) and was dropped; the init common is
ZFNet's. DDRNet without its BatchNorms learned (4.965 -> 0.491 at seed 0) and was dropped; the normalization common is
SCNet's. FFTformer at Adam ``weight_decay=1`` learned (0.171 -> 0.103 at seed 0) and was dropped; the second
regularization common is LapSRN's AdamW decay. SCNN's message kernels at std 0.1 learned (36.25 -> 0.293 at seed 0);
the recurrence common uses 0.5. A slip considered and dropped: HINet's HIN written ``nn.InstanceNorm2d(c, True)``,
meaning ``affine=True``, where the second positional parameter is ``eps`` (eps 1, no affine) learned (0.812 -> 0.350
at seed 0); its ``positional_affine`` switch stays, unused. A BatchNorm momentum in the other convention (0.999 or
1.0) was not written: in training mode a BatchNorm normalises by the batch's statistics, so the running estimates
it would spoil never reach the training loss.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh97_builders as F

P = functools.partial
HALF = "fresh97"
#: chance losses: ten classes (ZFNet's and SCNet's images); the shape scenes' pixel-label marginal entropy (DDRNet:
#: about 74% background and 8-9% for each of the three classes, 0.855 nats); the lane scenes' marginal entropy under
#: SCNN's class weights (background 0.4; 1.113 nats). The detectors and restorers compare with their first loss.
C10 = math.log(10)
SHAPES = 0.855
LANES = 1.113
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH97_HEALTHY: list[Case] = [
    _h("zfnet_images", HALF, "zfnet", F.zfnet, C10),
    _h("scnet_images", HALF, "scnet", F.scnet, C10),
    _h("ddrnet_shape_scenes", HALF, "ddrnet", F.ddrnet, SHAPES),
    _h("scnn_lane_scenes", HALF, "scnn", F.scnn, LANES),
    _h("yolof_box_scenes", HALF, "yolof", F.yolof, None),
    _h("hinet_denoising", HALF, "hinet", F.hinet, None),
    _h("lapsrn_x4", HALF, "lapsrn", F.lapsrn, None),
    _h("fftformer_letterboxed_deblurring", HALF, "fftformer", F.fftformer, None),
]

FRESH97_BROKEN: list[Case] = [
    # init
    _b("zfnet_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.zfnet, init_std=1.0), C10),
    # activation
    _b("zfnet_conv_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.zfnet, relu_bias=-10.0), C10),
    # depth
    _b("lapsrn_40_layers_per_level_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.lapsrn, depth=40, default_init=True), None),
    # recurrence
    _b("scnn_message_passing_std_0.5", HALF, ("recurrence", "init"), EXPLODE, DIVERGE,  # kind: common
       P(F.scnn, message_std=0.5), LANES),
    # lr
    _b("scnet_sgd_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.scnet, lr=10.0), C10),
    _b("ddrnet_sgd_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ddrnet, lr=10.0), SHAPES),
    _b("hinet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.hinet, lr=1.0), None),
    # normalization
    _b("scnet_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.scnet, bn=False), C10),
    # regularization
    _b("yolof_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.yolof, adamw=True, weight_decay=50.0), None),
    _b("lapsrn_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.lapsrn, adamw_decay=50.0), None),
    # data
    _b("zfnet_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.zfnet, shuffled=True), C10),
    # numeric
    _b("yolof_l1_over_padded_slots", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.yolof, all_slots=True), None),
    _b("scnn_lane_loss_per_image", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.scnn, per_image=True), LANES),
    _b("zfnet_lrn_k_0", HALF, ("numeric", "normalization"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.zfnet, lrn_k=0.0), C10),
    _b("fftformer_layernorm_eps_0", HALF, ("numeric", "normalization"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.fftformer, eps=0.0), None),
    _b("zfnet_lrn_alpha_1e4", HALF, ("normalization",), VANISH, STUCK,  # kind: slip
       P(F.zfnet, lrn_alpha=1e4), C10),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "zfnet_init_std_1": "common", "zfnet_conv_biases_minus_10": "common",
    "lapsrn_40_layers_per_level_default_init": "common", "scnn_message_passing_std_0.5": "common",
    "scnet_sgd_lr10": "common", "ddrnet_sgd_lr10": "common", "hinet_adam_lr1": "common",
    "scnet_without_batchnorm": "common", "yolof_adamw_weight_decay_50": "common",
    "lapsrn_adamw_weight_decay_50": "common", "zfnet_labels_shuffled": "common",
    "yolof_l1_over_padded_slots": "common", "scnn_lane_loss_per_image": "common",
    "zfnet_lrn_k_0": "slip", "fftformer_layernorm_eps_0": "slip", "zfnet_lrn_alpha_1e4": "slip",
}

#: the cases (half "fresh97")
FRESH97: list[Case] = FRESH97_HEALTHY + FRESH97_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "zfnet_init_std_1": F.zfnet,
    "zfnet_conv_biases_minus_10": F.zfnet,
    "lapsrn_40_layers_per_level_default_init": P(F.lapsrn, default_init=True),
    "scnn_message_passing_std_0.5": F.scnn,
    "scnet_sgd_lr10": F.scnet,
    "ddrnet_sgd_lr10": F.ddrnet,
    "hinet_adam_lr1": F.hinet,
    "scnet_without_batchnorm": F.scnet,
    "yolof_adamw_weight_decay_50": F.yolof,
    "lapsrn_adamw_weight_decay_50": F.lapsrn,
    "zfnet_labels_shuffled": F.zfnet,
    "yolof_l1_over_padded_slots": F.yolof,
    "scnn_lane_loss_per_image": F.scnn,
    "zfnet_lrn_k_0": F.zfnet,
    "fftformer_layernorm_eps_0": F.fftformer,
    "zfnet_lrn_alpha_1e4": F.zfnet,
}
