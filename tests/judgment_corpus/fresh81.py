"""The eighty-second held-out batch (half ``"fresh81"``): eight published image classification, detection, segmentation
and dense-prediction architectures new to the corpus at their usual settings, and sixteen broken variants with one real
fault each, written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is
only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 810_000 + seed): MobileNeXt (Zhou et al. 2020, narrowed: a 3x3 stem of 16 and five
sandglass blocks, depthwise 3x3 - 1x1 reduction by t (linear) - 1x1 expansion - depthwise 3x3 with the stride (linear),
BatchNorm and ReLU6, the identity shortcut between the wide ends; 16-16 (t 2), 16-32 (stride 2), 32-32 (t 4), 32-64
(stride 2), 64-64; dropout 0.2; torchvision's MobileNet init; SGD at the paper's lr 0.1, momentum 0.9, weight decay
4e-5, its cosine decay left out), EdgeNeXt (Maaz et al. 2022, narrowed: a 2x2 stride-2 stem to 8x8 of 24, a conv encoder
(depthwise 3x3, LayerNorm, GELU MLP of 4x, layer scale 1e-6), a 2x2 down-sampling to 4x4 of 48, a conv encoder (5x5) and
an SDTA encoder (two channel groups with Res2Net-style depthwise convolutions, transposed attention ``softmax(t q_hat
k_hat^T)`` over the channels with L2-normalised q and k, 2 heads, layer scales); truncated-normal 0.02; AdamW lr 1e-3,
weight decay 0.05, the paper's lr 6e-3 being for batch 4096) and EfficientViT (Cai et al. 2023, EfficientViT-B narrowed:
a stride-2 stem with a depthwise-separable block, an MBConv to 4x4 of 32, one EfficientViT module (the lightweight
multi-scale attention: q, k, v by 1x1, a 5x5-depthwise-plus-grouped-1x1 aggregation branch, ReLU linear attention
``relu(q) (relu(k)^T v) / (relu(q) relu(k)^T 1 + eps)`` with the reference code's eps 1e-15, heads of 8, a 1x1
projection with BatchNorm; then an MBConv), BatchNorm and Hardswish, a Linear-LayerNorm-Hardswish head; AdamW at the
paper's weight decay 0.1 and lr 1e-3, set here) on 16x16 class-template images (10 classes, batch 32); EfficientDet
(Tan, Pang and Le 2020, narrowed: a BatchNorm-SiLU backbone to P3-P5 (8x8, 4x4, 2x2), 1x1 laterals of 32, one BiFPN
layer with fast normalised fusion ``relu(w_i) / (sum relu(w) + 1e-4)``, class and box nets of two separable conv-BN-SiLU
layers shared over the levels, the class prior bias ``-log 99``, one square anchor of side 4 a location; the sigmoid
focal loss (alpha 0.25, gamma 2) over every location of every level over the positives plus 50 times the Huber loss
(delta 0.1) of the anchor deltas; the object assigned to the P3 location of its centre in place of IoU matching; SGD at
the paper's lr 0.08, momentum 0.9, weight decay 4e-5, gradients clipped at 10, its warm-up and cosine left out) on 16x16
images of one coloured rectangle of 3 to 7 pixels a side (3 classes, batch 16); UPerNet (Xiao et al. 2018, narrowed: a
ResNet-style backbone of one basic block a stage (16, 32, 64, 64 channels at 16x16 to 2x2), the Pyramid Pooling Module
(bins 1 and 2) on the last stage, the FPN with 1x1 laterals of 32 and 3x3 outputs, the levels up-sampled, concatenated
and fused by a 3x3 conv-BN-ReLU, a 1x1 classifier; SGD at mmsegmentation's lr 0.01, momentum 0.9, weight decay 5e-4,
poly decay left out), OCRNet (Yuan, Chen and Wang 2020, narrowed: a conv-BN-ReLU backbone to 8x8 of 32, the soft object
regions from an auxiliary head, object region representations by each region's spatial softmax, the pixel-region
relation ``softmax(q k^T / 4)`` with queries, keys and values of 16 by conv-BN-ReLU transforms, the object-contextual
representation fused with the pixel features (1x1 conv-BN-ReLU, dropout 0.05), the classifier; the main cross-entropy
plus 0.4 times the soft regions'; SGD at the paper's lr 0.01, momentum 0.9, weight decay 5e-4) and CGNet (Wu et al.
2018, narrowed: three 3x3 conv-BN-PReLU of 16 (stride 2), the input injection of the average-pooled image at each stage,
context guided blocks (a 1x1 (or stride-2 3x3) conv-BN-PReLU, the local depthwise 3x3 and the dilated
surrounding-context depthwise 3x3 joined by BN-PReLU, the SE-style global context (reduction 8), the global residual) to
4x4 of 32 with dilations 2 and 4, dropout 0.1, a 1x1 classifier up-sampled bilinearly; Adam at the paper's lr 1e-3 with
weight decay 5e-4) on 16x16 scenes of four pixel classes (the argmax of four smooth random fields: black background,
red, green and blue objects with N(0, 0.15^2) noise; batch 16); RAFT (Teed and Deng 2020, narrowed: feature
(InstanceNorm) and context (BatchNorm) encoders to 8x8, the all-pairs correlation volume over ``sqrt(D)`` with a 2-level
pyramid looked up in a radius of 2 by bilinear sampling, the motion encoder, a ConvGRU of 32, the flow head, four
iterations from zero flow each up-sampled bilinearly and doubled in place of the convex up-sampling; the sequence loss
with gamma 0.8; AdamW at the paper's lr 4e-4, weight decay 1e-4, eps 1e-8, gradients clipped at 1, the one-cycle
schedule left out) on 16x16 crops of random textures and their copies moved by an integer flow in [-2, 2]^2 (batch 8).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every UPerNet convolution's and the
  classifier's weights and biases zero (every feature is 0, so the classifier's weights get no gradient and nothing
  upstream gets any; only the classifier's bias learns the pixel-class prior; init), MobileNeXt's BatchNorm shifts
  before every ReLU6 at -10 (every unit dead; activation, with init), OCRNet's backbone replaced by 30 plain 3x3
  convolutions of 32 with ReLU at PyTorch's default init (the signal and the gradients vanish through the stack; depth),
  RAFT's ConvGRU update-gate bias at -20 (``z = 2e-9``: the carried state keeps its context-encoder start and never
  takes in the correlation features, so the flow head sees nothing of the second frame; recurrence), EdgeNeXt and
  EfficientViT at AdamW lr 1, EfficientDet at SGD lr 8 (100 times the paper's, the clip at 10 kept) and RAFT at AdamW lr
  1 (lr), MobileNeXt without its BatchNorms (the Kaiming fan-out init of the linear bottlenecks shrinks the signal at
  every strided block, to 4e-4 of the stem's at the last and logits of 2e-5, so the gradients vanish; normalization,
  with init: at SGD lr 0.01 it does not learn either, 2.303 -> 2.301 and 2.303 -> 2.298, so the lr is not the cause),
  OCRNet and EfficientDet at SGD ``weight_decay=10`` (regularization), CGNet's label maps permuted within every batch,
  apart from their images (data), and EfficientViT's ReLU linear attention normalised without its eps (a query with no
  positive coordinate, certain among 4 x 16 tokens of 4 heads of 8 in a batch of 32, gives ``0 / 0``: NaN at the first
  forward; numeric);
- **slip** (a user's mistake in input preprocessing and augmentation code written on tensors, of a kind no earlier batch
  used): RAFT's flip augmentation (each pair flipped left-right and up-down, independently, with probability 0.5, as
  FlyingChairs training does) applied to the frames and to the flow field as an image, without negating the flow's u on
  a left-right flip and v on an up-down flip, as RAFT's ``FlowAugmentor`` does (the target of a flipped pair points
  against the motion the frames show, so the best prediction of either component is 0 and the loss stays at its start;
  data: the targets no longer match their inputs); EdgeNeXt's Gaussian-blur augmentation fed a sigma drawn from the
  integers 0, 1, 2, OpenCV's ``GaussianBlur`` convention, where sigma 0 means "derive it from the kernel size", handed
  to a tensor blur whose kernel is ``exp(-d^2 / (2 sigma^2))`` (at the kernel's centre ``-0 / 0`` is NaN, so a third of
  every batch's images are NaN at step 0; numeric, with data, the NaN inputs: a library's convention carried into code
  that lacks it); and CGNet's hue augmentation written by hand on tensors, an RGB-HSV round trip without torchvision's
  guards for achromatic pixels (the scenes' black background has ``max = min = 0``: the saturation ``delta / max`` and
  the hue ``(max - c) / delta`` are ``0 / 0``, NaN at step 0; numeric, with data). Earlier preprocessing slips (a second
  division by 255, ``// 255``, noise std for 0-255 pixels, mean and std swapped, standardise-then-``log1p``, per-record
  statistics, a flip that changes a direction label, channels-last read by ``view``, separate random crops for paired
  tensors, a min-max scaling of flat crops, a masking rate inverted) are not repeated: here an augmentation's target
  transform is incomplete, a library's sentinel value is taken literally, and a colour-space conversion lacks its guard.
  None of the slips is an init, activation, depth, recurrence, lr, normalization or regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds but the three slips', which keep their augmentation written right: RAFT with the flips and
the flow negated, EdgeNeXt with torchvision's blur sigma U(0.1, 2.0), CGNet with the guarded conversion.

Learning criteria: the classifiers compare with chance (ten classes: 1.727), UPerNet and CGNet with four pixel classes
(1.040), OCRNet with its main head's chance plus 0.4 times its soft regions' (``1.4 ln 4``: 1.456); EfficientDet and
RAFT compare with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): MobileNeXt 2.304 -> 5.7e-4 and
2.310 -> 0.0018; EdgeNeXt 2.217 -> 0.0473 and 2.248 -> 0.0376; EfficientViT 2.360 -> 0.0367 and 2.434 -> 0.0347;
EfficientDet 2.911 -> 0.273 and 2.755 -> 0.233 (the criteria 2.183 and 2.066); UPerNet 1.507 -> 0.0545 and 1.399 ->
0.0624; OCRNet 2.089 -> 0.273 and 1.986 -> 0.274; CGNet 1.480 -> 0.357 and 1.391 -> 0.348; RAFT 6.592 -> 1.429 and 6.686
-> 1.679 (the criteria 4.944 and 5.015). Broken: ``upernet_all_weights_zero`` 1.386 -> 1.370 and 1.386 -> 1.369;
``mobilenext_relu6_shifts_minus_10`` 2.303 -> 2.306 and 2.303 -> 2.303; ``ocrnet_backbone_30_plain_layers_default_init``
2.003 -> 1.919 and 2.008 -> 1.923; ``raft_update_gate_bias_minus_20`` 6.912 -> 6.604 and 6.783 -> 6.694 (the criteria
5.184 and 5.087); ``edgenext_adamw_lr1`` diverges at step 1 at both seeds (ends 2.445 and 2.968; weights x40.0 and
x40.4); ``efficientvit_adamw_lr1`` diverges at step 1 at both seeds (ends 2.444 and 2.661; weights x12.5 and x12.8);
``efficientdet_sgd_lr8`` diverges at step 1 at both seeds (ends 7.9e5 and 4.0e3; weights x189 and x222);
``raft_adamw_lr1`` diverges at step 1 at both seeds (ends 9.95 and 9.05; weights x97 and x96);
``mobilenext_without_batchnorm`` 2.303 -> 2.306 and 2.303 -> 2.303; ``ocrnet_sgd_weight_decay_10`` 2.089 -> 1.940 and
1.986 -> 1.940; ``efficientdet_sgd_weight_decay_10`` 2.911 -> 11.83 and 2.755 -> 11.81 (the weights decayed, the class
logits fall towards 0 from the prior and the focal loss over every location rises); ``cgnet_masks_shuffled`` 1.417 ->
1.210 and 1.447 -> 1.203 (the pixel classes' frequencies only); ``raft_flips_without_negating_flow`` 6.670 -> 6.101 and
6.612 -> 6.563 (the criteria 5.002 and 4.959); ``efficientvit_linear_attention_without_eps``,
``edgenext_blur_sigma_0_opencv_convention`` and ``cgnet_hue_jitter_without_achromatic_guard`` are non-finite at step 0
at both seeds (the loss itself). Controls of the slips: RAFT with the flips and the flow negated 7.285 -> 1.521 and
7.119 -> 1.642; EdgeNeXt with the uniform blur 2.196 -> 0.0479 and 2.230 -> 0.0404; CGNet with the guarded hue jitter
1.481 -> 0.365 and 1.389 -> 0.363. The cases ran in 6 to 65 s a seed on 2 cores shared with three other helpers' runs
(load about 4); alone, RAFT, the slowest, took 16 s a seed at batch 16 and MobileNeXt 5 s.

Dropped or changed before the freeze (every figure above is from the final code): RAFT's update-gate bias was first -10,
the classic value (``z = 4.5e-5``); it learned (6.662 -> 1.849 and 6.942 -> 1.873, at batches of 16, before RAFT was
narrowed to 8): AdamW opened the gate through the ConvGRU's 864 input weights a unit, whose coherent steps of the lr
moved the gate's pre-activation by more than 10 (the mean ``z`` was 0.06 at step 40 and 0.53 at step 199 while the bias
itself moved by 0.015), so the case is at -20, which stays shut for the 200 steps. RAFT was first trained on batches of
16 (6.035 -> 1.415 at seed 0, 16 s a seed alone) and takes batches of 8. CGNet at Adam lr 1 was the fourth lr case
first: it diverged at step 1 (weights x13.6 and x14.1) and then learned (1.480 -> 0.376 and 1.391 -> 0.380), so it was
replaced by EfficientDet at SGD lr 8 (OCRNet at SGD lr 10 diverged too, 2.089 -> 317 and 1.986 -> 6.36, and was not
kept: OCRNet already carries the depth and a regularization case). MobileNeXt without BatchNorm was labelled
(normalization, lr) at first, by the habit of the corpus' BatchNorm-free cases at a large SGD lr; at lr 0.01 it does not
learn either (the signal vanishes at init), so lr was replaced by init as the accepted second cause. Considered and not
written: a channels-last batch read by ``reshape`` (``fresh28``'s SegNet learned with it), a mean/std swap
(``fresh13``'s learned) and an image-only augmentation with its mask left alone (a flip or crop on half the images
leaves most pixels right, and the segmentation losses would still fall below the criterion).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh81_builders as F

P = functools.partial
HALF = "fresh81"
#: chance losses: ten classes (the three classifiers), four pixel classes (UPerNet, CGNet), OCRNet's main head plus
#: 0.4 times its soft-region head over four classes
C10, C4, OCR = math.log(10), math.log(4), 1.4 * math.log(4)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH81_HEALTHY: list[Case] = [
    _h("mobilenext_images", HALF, "mobilenext", F.mobilenext, C10),
    _h("edgenext_images", HALF, "edgenext", F.edgenext, C10),
    _h("efficientvit_images", HALF, "efficientvit", F.efficientvit, C10),
    _h("efficientdet_one_object_boxes", HALF, "efficientdet", F.efficientdet, None),
    _h("upernet_scenes", HALF, "upernet", F.upernet, C4),
    _h("ocrnet_scenes", HALF, "ocrnet", F.ocrnet, OCR),
    _h("cgnet_scenes", HALF, "cgnet", F.cgnet, C4),
    _h("raft_translated_textures", HALF, "raft", F.raft, None),
]

FRESH81_BROKEN: list[Case] = [
    # init
    _b("upernet_all_weights_zero", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.upernet, zero_init=True), C4),
    # activation
    _b("mobilenext_relu6_shifts_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.mobilenext, relu6_shift=-10.0), C10),
    # depth
    _b("ocrnet_backbone_30_plain_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.ocrnet, plain=30), OCR),
    # recurrence
    _b("raft_update_gate_bias_minus_20", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.raft, z_bias=-20.0), None),
    # lr
    _b("edgenext_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.edgenext, lr=1.0), C10),
    _b("efficientvit_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.efficientvit, lr=1.0), C10),
    _b("efficientdet_sgd_lr8", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.efficientdet, lr=8.0), None),
    _b("raft_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.raft, lr=1.0), None),
    # normalization
    _b("mobilenext_without_batchnorm", HALF, ("normalization", "init"), VANISH, STUCK,  # kind: common
       P(F.mobilenext, bn=False), C10),
    # regularization
    _b("ocrnet_sgd_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.ocrnet, weight_decay=10.0), OCR),
    _b("efficientdet_sgd_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.efficientdet, weight_decay=10.0), None),
    # data
    _b("cgnet_masks_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.cgnet, shuffled=True), C4),
    _b("raft_flips_without_negating_flow", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.raft, flips="unsigned"), None),
    # numeric
    _b("efficientvit_linear_attention_without_eps", HALF, ("numeric",), NONFINITE,  # kind: common
       ("nonfinite",), P(F.efficientvit, eps=None), C10),
    _b("edgenext_blur_sigma_0_opencv_convention", HALF, ("numeric", "data"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.edgenext, blur="opencv"), C10),
    _b("cgnet_hue_jitter_without_achromatic_guard", HALF, ("numeric", "data"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.cgnet, hue="unguarded"), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "upernet_all_weights_zero": "common", "mobilenext_relu6_shifts_minus_10": "common",
    "ocrnet_backbone_30_plain_layers_default_init": "common", "raft_update_gate_bias_minus_20": "common",
    "edgenext_adamw_lr1": "common", "efficientvit_adamw_lr1": "common", "efficientdet_sgd_lr8": "common",
    "raft_adamw_lr1": "common", "mobilenext_without_batchnorm": "common", "ocrnet_sgd_weight_decay_10": "common",
    "efficientdet_sgd_weight_decay_10": "common", "cgnet_masks_shuffled": "common",
    "efficientvit_linear_attention_without_eps": "common", "raft_flips_without_negating_flow": "slip",
    "edgenext_blur_sigma_0_opencv_convention": "slip", "cgnet_hue_jitter_without_achromatic_guard": "slip",
}

#: the cases (half "fresh81")
FRESH81: list[Case] = FRESH81_HEALTHY + FRESH81_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "upernet_all_weights_zero": F.upernet,
    "mobilenext_relu6_shifts_minus_10": F.mobilenext,
    "ocrnet_backbone_30_plain_layers_default_init": F.ocrnet,
    "raft_update_gate_bias_minus_20": F.raft,
    "edgenext_adamw_lr1": F.edgenext,
    "efficientvit_adamw_lr1": F.efficientvit,
    "efficientdet_sgd_lr8": F.efficientdet,
    "raft_adamw_lr1": F.raft,
    "mobilenext_without_batchnorm": F.mobilenext,
    "ocrnet_sgd_weight_decay_10": F.ocrnet,
    "efficientdet_sgd_weight_decay_10": F.efficientdet,
    "cgnet_masks_shuffled": F.cgnet,
    "raft_flips_without_negating_flow": P(F.raft, flips="right"),
    "efficientvit_linear_attention_without_eps": F.efficientvit,
    "edgenext_blur_sigma_0_opencv_convention": P(F.edgenext, blur="uniform"),
    "cgnet_hue_jitter_without_achromatic_guard": P(F.cgnet, hue="guarded"),
}
