"""The hundred-and-sixth held-out batch (half ``"fresh105"``): eight published vision architectures new to the corpus
at their usual settings, and thirteen broken variants with one real fault each, written and labelled with plain
PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 1_050_000 + seed): BAM (Park et al. 2018: a ResNet of basic blocks, narrowed to a
3x3 stem of 16 and three stages of one block (16, 32, 64) with a Bottleneck Attention Module at the two stage
bottlenecks, ``F' = F + F * sigmoid(Mc + Ms)``, the channel MLP reduced by 4 and the spatial branch's two 3x3 convs
dilated by 2; He-normal convs; the paper's SGD, momentum 0.9, weight decay 1e-4, lr 0.1, its step decay left out)
on 16x16 class-template images (10 classes); ReSeg (Visin et al. 2016, narrowed: a two-conv encoder of 16 with a 2x2
max-pool in place of the VGG front end, two ReNet layers of bidirectional GRUs (16 units a direction) sweeping the
columns then the rows, a transposed-conv upsampling, a 1x1 classifier; Adam lr 1e-3 in place of Adadelta) and
R2U-Net (Alom et al. 2018, narrowed to two levels: recurrent residual units of 16 and 32, each a 1x1 conv and two
recurrent conv layers (t = 2, 3x3-BN-ReLU) with the residual, a transposed-conv upsampling, the skip concatenated, a
unit of 16, a 1x1 classifier; Adam at the paper's lr 2e-4) segmenting 16x16 mosaics (each scene cut at a random row
and column into four rectangles of random classes of 4, each class a fixed colour, plus noise: the classes are
balanced, so a model that learns nothing stays at ln 4); MSRN (Li et al. 2018, narrowed: a head of 16, four
multi-scale residual blocks (3x3 and 5x5 branches exchanged and concatenated twice, a 1x1 fusion, the identity) in
place of eight, the hierarchical feature fusion of every block's output, a sub-pixel x2 upsampler and a tail; no
normalisation, PyTorch's default init as in the EDSR code base; the paper's L1 loss; Adam at lr 1e-3, its 1e-4 raised
for 200 steps) on x2 super-resolution of smooth random fields (8x8 average pools to 16x16); IRCNN (Zhang et al.
2017: seven 3x3 convs of 32 (the paper's 64) with dilations 1, 2, 3, 4, 3, 2, 1, BN and ReLU in the middle five,
residual learning ``clean = noisy - f(noisy)``; MSE; Adam at the paper's lr 1e-3) on Gaussian denoising (std 0.5) of
smooth fields; the non-local network (Wang et al. 2018: a C2D backbone, 3x3 convs frame by frame with BN and ReLU,
16, 32 and 32 wide with two stride-2 stages, and an embedded-Gaussian non-local block after each of the last two
stages, ``z = BN(W_z softmax(theta^T phi) g) + x`` with the BN's scale initialised to 0, the only place where the
frames meet; dropout 0.5; the paper's SGD, momentum 0.9, weight decay 1e-4, lr 0.01, without its warm-up and step
decay) and ECO-Lite (Zolfaghari et al. 2018, narrowed: a 2D net shared by the frames (3x3 convs of 16 and 32 with BN
and ReLU, a 2x2 max-pool) in place of BN-Inception, the frames' maps stacked along time into a 3D net (two 3x3x3
convs of 32 with BN and ReLU) in place of the 3D-ResNet18 part, pooling, dropout 0.5; the paper's SGD, momentum 0.9,
weight decay 5e-4, lr 0.001) classifying 4-frame 16x16 clips of a square moving in one of four directions (4
classes; its colour a distractor); and RFBNet (Liu et al. 2018, narrowed to one prediction scale: a small VGG-like
backbone with BN to a 4x4 grid, one Receptive Field Block with the reference code's three dilated branches (1, 3, 5),
``ConvLinear(cat) * 0.1 + shortcut`` and ReLU, SSD-style class and box heads over one 8x8 prior per cell; SSD's
MultiBox loss, cross-entropy over every cell plus the smooth-L1 loss of the object's encoded box ``((c - c_p) / (0.1
w_p), log(w / w_p) / 0.2)``; Adam at lr 1e-3 in place of the reference code's SGD with warm-up) detecting one
coloured rectangle of 3 classes in 16x16 scenes.

Broken: one fault each, over all nine causes, every one a **common** (the classic form of its cause on the new
architectures; ``# kind:`` beside each case, and ``KINDS``): every conv and Linear weight of ECO-Lite set to 0 (every
map is 0 after each BN, whose shift is 0 too, so no gradient reaches a weight and only the classifier's bias moves;
init); ECO-Lite's BatchNorm shifts, each before a ReLU, at -10 (every unit dead; activation, with init); ReSeg's
encoder with 20 more 3x3 conv-ReLU layers of 16 at PyTorch's default init, no normalisation (the signal shrinks by
about 1/6 in variance per layer; depth, with init); ReSeg's GRU update-gate biases at +10 (``z = 0.99995``: each
sweep's state keeps its zero start, ``h = z h + (1 - z) n``, so the ReNet outputs stay near 0; recurrence, with
init); BAM-ResNet at SGD lr 5, MSRN at Adam lr 1, the non-local network at SGD lr 5 and R2U-Net at Adam lr 1 (lr);
BAM-ResNet without any BatchNorm (its BAMs' too) at the paper's SGD lr 0.1 (normalization, with lr accepted: lr 0.1
is the setting BN makes safe); ECO-Lite at SGD ``weight_decay=10`` and R2U-Net at AdamW ``weight_decay=50``
(regularization); ECO-Lite's labels permuted within every batch, apart from their clips (data); and RFBNet trained on
batches a quarter of whose images are empty, their annotations the padding ``[0, 0, 0, 0]``, by a MultiBox loss that
encodes and regresses every image's box (``log(0 / 8) = -inf``: the box loss, and the loss, are ``inf`` at step 0;
numeric, with data, the padding rows).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds.

Learning criteria: the classifiers and segmenters compare with chance (ten classes for BAM-ResNet, four for the
rest); the restoration models and RFBNet (whose loss sums a classification and a box term) with their first loss.
Measured plain runs, 200 steps (seed 0, seed 1): BAM-ResNet 2.286 -> 5.9e-4 and 2.350 -> 6.6e-4; ReSeg 1.382 ->
0.126 and 1.381 -> 0.440 (the criterion 1.036); MSRN 0.661 -> 0.0293 and 0.685 -> 0.0340; IRCNN 0.457 -> 0.0647 and
0.641 -> 0.0644; the non-local network 1.453 -> 0.516 and 1.563 -> 0.632; ECO-Lite 1.375 -> 0.787 and 1.447 -> 0.639
(the criterion 1.031 and 1.040); RFBNet 2.559 -> 0.134 and 2.501 -> 0.180; R2U-Net 1.526 -> 0.216 and 1.319 ->
0.161. Broken: ``eco_lite_zero_init`` 1.387 -> 1.385 and 1.390 -> 1.384; ``eco_lite_bn_shifts_minus_10`` 1.387 ->
1.385 and 1.390 -> 1.384; ``reseg_20_plain_encoder_layers_default_init`` 1.396 -> 1.387 and 1.392 -> 1.386;
``reseg_gru_update_gate_bias_plus_10`` 1.382 -> 1.386 and 1.383 -> 1.385; ``bam_resnet_sgd_lr5`` diverges at step 1
at both seeds (ends 2.537 and 3.006; weights x10 at steps 156 and 14); ``msrn_adam_lr1`` diverges at step 1 at both
seeds (ends 8.6e19 and 6.4e16; weights x218 and x195 at step 0); ``non_local_sgd_lr5`` diverges at step 2 and is
non-finite at step 22 at both seeds; ``r2unet_adam_lr1`` diverges at step 1 at both seeds (ends 24.7 and 37.1;
weights x82 at step 0); ``bam_resnet_without_batchnorm`` diverges at steps 21 and 28 and is non-finite at steps 27
and 54; ``eco_lite_sgd_weight_decay_10`` 1.375 -> 1.386 and 1.447 -> 1.386; ``r2unet_adamw_weight_decay_50`` 1.526 ->
1.338 and 1.319 -> 1.340; ``eco_lite_labels_shuffled`` 1.454 -> 1.391 and 1.532 -> 1.376;
``rfbnet_log_of_empty_padding_boxes`` is non-finite at step 0 at both seeds (the loss itself, ``inf``). The cases
run in 2 to 26 s a seed on a machine shared with three other helpers' runs (2 cores); BAM-ResNet is the slowest.

Dropped or changed before the freeze (every figure above is from the final code): **no slips were frozen.** The
residual, skip and merge slips considered (a skip taken after a block's first activation, EDSR's ``res_scale`` put on
the identity, a U-Net skip from the wrong level, a dense block re-appending its input, an attention gate rescaled
on the stream) were judged unlikely to fail a plain run on these models: MSRN's hierarchical fusion and every
restoration model's long skip keep a shallow path that learns, and the BatchNorm models renormalise a rescaled
stream; none was written or measured before the time ran out, so the batch holds 13 commons and no slip. A 14th
common was measured and not kept: RFBNet at Adam lr 1 diverges at step 1 at both seeds but then learns (2.559 ->
1.110 and 2.501 -> 1.087, below the criterion). The non-local network with every conv and Linear weight drawn N(0,
1) did not learn at seed 0 (2.625 -> 1.176 against the criterion 1.040) but was not kept: its BatchNorms undo most of
the draw, and the margin was small. BAM-ResNet with its labels shuffled learned (2.328 -> 1.320 at seed 0: the 32
cycled batches are memorised), and so did IRCNN at AdamW ``weight_decay=50`` (0.457 -> 0.249: the collapsed network
outputs its noisy input, whose loss, the noise's 0.25, is below 0.75 of the first loss), ReSeg's gate at +10 on the
first segmentation scenes (a background of about 70%: the class prior alone beat the criterion) and R2U-Net with its
BN shifts at -10 (0.604 at seed 0: the recurrent residual unit's 1x1 input conv carries the signal past the dead
ReLUs); the data common moved to ECO-Lite, the activation common to ECO-Lite, the scenes became the balanced mosaics,
and ECO-Lite with 30 plain layers (stuck, 127 s a seed) gave the depth common to ReSeg's encoder with 20.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh105_builders as F

P = functools.partial
HALF = "fresh105"
#: chance losses: ten classes (BAM-ResNet's images), four (ReSeg's and R2U-Net's mosaic pixels, the non-local
#: network's and ECO's motion directions); the restoration and detection losses have none
C10, C4 = math.log(10), math.log(4)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH105_HEALTHY: list[Case] = [
    _h("bam_resnet_images", HALF, "bam", F.bam, C10),
    _h("reseg_mosaic_segmentation", HALF, "reseg", F.reseg, C4),
    _h("msrn_x2_super_resolution", HALF, "msrn", F.msrn, None),
    _h("ircnn_denoising", HALF, "ircnn", F.ircnn, None),
    _h("non_local_c2d_clips", HALF, "non_local", F.non_local, C4),
    _h("eco_lite_clips", HALF, "eco", F.eco, C4),
    _h("rfbnet_detection", HALF, "rfbnet", F.rfbnet, None),
    _h("r2unet_mosaic_segmentation", HALF, "r2unet", F.r2unet, C4),
]

FRESH105_BROKEN: list[Case] = [
    # init
    _b("eco_lite_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.eco, zero_init=True), C4),
    # activation
    _b("eco_lite_bn_shifts_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.eco, bn_bias=-10.0), C4),
    # depth
    _b("reseg_20_plain_encoder_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.reseg, plain=20), C4),
    # recurrence
    _b("reseg_gru_update_gate_bias_plus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.reseg, gate_bias=10.0), C4),
    # lr
    _b("bam_resnet_sgd_lr5", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.bam, lr=5.0), C10),
    _b("msrn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.msrn, lr=1.0), None),
    _b("non_local_sgd_lr5", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.non_local, lr=5.0), C4),
    _b("r2unet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.r2unet, lr=1.0), C4),
    # normalization
    _b("bam_resnet_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.bam, bn=False), C10),
    # regularization
    _b("eco_lite_sgd_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.eco, weight_decay=10.0), C4),
    _b("r2unet_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.r2unet, adamw=True, weight_decay=50.0), C4),
    # data
    _b("eco_lite_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.eco, shuffled=True), C4),
    # numeric
    _b("rfbnet_log_of_empty_padding_boxes", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.rfbnet, empty=0.25, encode_all=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {c.name: "common" for c in FRESH105_BROKEN}

#: the cases (half "fresh105")
FRESH105: list[Case] = FRESH105_HEALTHY + FRESH105_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "eco_lite_zero_init": F.eco,
    "eco_lite_bn_shifts_minus_10": F.eco,
    "reseg_20_plain_encoder_layers_default_init": F.reseg,
    "reseg_gru_update_gate_bias_plus_10": F.reseg,
    "bam_resnet_sgd_lr5": F.bam,
    "msrn_adam_lr1": F.msrn,
    "non_local_sgd_lr5": F.non_local,
    "r2unet_adam_lr1": F.r2unet,
    "bam_resnet_without_batchnorm": F.bam,
    "eco_lite_sgd_weight_decay_10": F.eco,
    "r2unet_adamw_weight_decay_50": F.r2unet,
    "eco_lite_labels_shuffled": F.eco,
    "rfbnet_log_of_empty_padding_boxes": F.rfbnet,
}
