"""The seventy-fourth held-out batch (half ``"fresh73"``): eight vision models new to the corpus at their usual
settings (a CNN, a vision transformer, a recurrent image classifier, a detection head, a segmentation head, a
super-resolution network and two pose heads), and fifteen broken variants with one real fault each, written and
labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never
tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 730_000 + seed; the models and data are in ``fresh73_builders.py``):
CondConv-MobileNetV2 (Yang et al. 2019, narrowed: a 3x3 stem of 16 with BatchNorm and ReLU6, four inverted residual
blocks (16, 24 stride 2, 24, 32 stride 2, expansion 4) whose every convolution is a CondConv of 4 experts mixed per
example by ``sigmoid(FC(GAP(x)))`` and run as one grouped convolution over the batch, a 1x1 head of 64, average
pooling, dropout 0.2, the classifier; torchvision's fan-out Kaiming init; SGD momentum 0.9, Nesterov, weight decay
4e-5 at lr 0.05, set here) and MaxViT (Tu et al. 2022, narrowed: a two-conv stem to 8x8 maps of 32, two MaxViT blocks
(pre-BatchNorm MBConv with squeeze-excitation, then block attention and grid attention, each pre-LN with a learned
relative position bias and a GELU MLP of 4x) of 32 (window and grid 4, 2 heads) and of 64 (stride 2, window and grid
2, 4 heads), pooling, LayerNorm, the head; Linears truncated-normal 0.02; AdamW lr 1e-3 with the paper's weight decay
0.05, its warm-up, label smoothing and stochastic depth left out) and ReNet (Visin et al. 2015, narrowed: two ReNet
layers, each cutting the map into 2x2 patches and sweeping every column with a bidirectional GRU, then every row of
the result with another, 32 units a direction (16x16 -> 8x8 -> 4x4 maps of 64), a fully connected layer of 128 with
ReLU and dropout 0.2, the classifier; Adam lr 1e-3) classifying 3x16x16 class-template images (10 classes, batch 32);
DETR (Carion et al. 2020, narrowed: a two-conv BatchNorm backbone to 6x6 maps of 64, the sine positional encoding, one
post-LN encoder layer and two decoder layers (4 heads, feed-forward 128, dropout 0.1) over 6 learned queries, the class
head with "no object" and the 3-layer sigmoid box MLP; the Hungarian loss with DETR's costs and weights (class 1, L1
5, GIoU 2, "no object" weighted 0.1), the matching exhaustive over the 30 ordered query pairs; AdamW at the paper's lr
1e-4 and weight decay 1e-4, gradients clipped to 0.1) finding the two coloured squares (3 classes, sides 5 to 9) in
24x24 noisy images (batch 16); CCNet (Huang et al. 2019, narrowed: a small dilated ResNet to 8x8 maps of 64, the RCCA
head (criss-cross attention applied twice with shared weights, ``gamma`` from 0, the concatenation with the backbone's
maps and a 3x3 bottleneck with dropout 0.1) and the deep-supervision head on layer3 weighted 0.4, both upsampled to
the image; SGD momentum 0.9 at the paper's lr 0.01, weight decay 1e-4 and its poly schedule) segmenting 16x16 scenes
of four rectangles of 4 equally frequent classes (batch 16); RDN (Zhang et al. 2018, narrowed: x2 on luminance,
``G0 = 16``, three residual dense blocks of four layers with growth 8, global feature fusion, the global residual, the
sub-pixel up-sampler; L1 loss; Adam lr 1e-3, the paper's 1e-4 being for 1,000 epochs) on 8x8 -> 16x16 crops of smooth
random intensity fields in [0, 1] with LR noise 0.03 and two flat crops (a wall or a sky) in every batch of 16;
Convolutional Pose Machines (Wei et al. 2016, narrowed: three stages over one shared image-feature trunk (two 5x5
convs, a max-pool, 32 maps), 8x8 belief maps for 4 keypoints, the later stages reading the trunk with the previous
beliefs through two 7x7 convs, intermediate supervision at every stage with Caffe's Euclidean loss; PyTorch's default
init with the belief layers N(0, 0.001^2); SGD momentum 0.9, the reference weight decay 5e-4, lr 0.01 set here) and
DeepPose (Toshev and Szegedy 2014, narrowed: the AlexNet regressor shrunk to 16x16 images, three convolutions, a fully
connected layer of 256 with dropout 0.5 and the 8 normalised coordinates, the L2 loss summed over the coordinates;
Adam lr 1e-3 in place of DistBelief's Adagrad) on images of 4 coloured Gaussian keypoints (uniform in [1, 15) pixels)
on noise (batch 16), the CPM targets Gaussian maps of sigma 0.75 cells.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every CondConv-MobileNetV2 convolution,
  expert kernel, routing layer and the classifier zero-initialised (every activation is 0 and every gradient but the
  classifier bias's is 0; init), DeepPose's convolution biases at -10 (every ReLU dead; activation), 30 plain 3x3
  conv + ReLU layers of 32 at PyTorch's default init appended to CPM's shared trunk, trained with its SGD (the
  trunk's maps vanish and only the mean belief map is learnt; depth), every ReNet GRU's update gate biased to +10
  (``z = sigmoid(10) = 0.99995``: ``h_t = z h_(t-1) + (1 - z) n_t`` keeps its zero start, and no patch is ever
  written into the state; recurrence), MaxViT at AdamW lr 1, DETR at AdamW lr 1, RDN at Adam lr 1 and DeepPose at Adam
  lr 1 (lr), CondConv-MobileNetV2 without its BatchNorms at the same SGD (the fan-out Kaiming std of a depthwise 3x3
  kernel, ``sqrt(2 / (9 * channels))``, relies on them: each block without a residual shrinks the signal about
  tenfold, and the logits start at a std of 2e-4; normalization, with init accepted), MaxViT at AdamW
  ``weight_decay=50`` and CPM at SGD ``weight_decay=10`` (regularization), CCNet's label maps permuted within every
  batch, apart from their images (data), and RDN's LR
  crops each rescaled by its own range, ``(x - min) / (max - min)``, on data holding flat crops (``0 / 0``: NaN at
  the first forward; numeric, with data);
- **slip** (a user's mistake in tensor shapes and axes, of a kind no earlier batch used): DETR's GIoU term written
  ``(1 - generalized_box_iou(src, tgt)).sum() / num_boxes`` without the reference code's ``torch.diag`` (the function
  returns the pairwise ``(n, n)`` matrix: every matched box is scored against the target boxes of every image in the
  batch, 32 pairs per box, and the term, about 64 of the loss, is smallest for one box common to all; data, the box
  targets paired with the wrong images), and CPM's Gaussian targets built with ``xs, ys = torch.meshgrid(arange(w),
  arange(h))``, NumPy's habit, where torch's default ``indexing="ij"`` makes ``xs`` vary along the rows (every target
  map is the transpose of the right one, which the square maps hide: a keypoint at column x, row y is taught at row
  x, column y; data). Earlier shape slips (``(b, 1)`` predictions against ``(b,)`` targets, pairwise affinities
  broadcast, ``view`` where ``permute`` belongs, sequence-first tensors, stacking along the wrong axis, ``repeat`` for
  ``repeat_interleave``, statistics over a size-1 axis, softmaxes or normalisations over the wrong axis, masks on the
  wrong axis) are not repeated: here a pairwise function's diagonal is forgotten and a grid's indexing convention is
  swapped. None of the slips is an init, activation, depth, recurrence, lr, normalization, regularization or numeric
  one; the commons outnumber the slips (13 to 2).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is CPM with its own trunk).

Learning criteria: CondConv-MobileNetV2, MaxViT and ReNet compare with chance (ten classes: 1.727), CCNet with its
main head's chance plus 0.4 times its deep-supervision head's (``1.4 ln 4``: the criterion 1.456); DETR, RDN, CPM and
DeepPose compare with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): CondConv-MobileNetV2 2.309 ->
0.0057 and 2.297 -> 0.0065; MaxViT 2.307 -> 0.0294 and 2.329 -> 0.0302; ReNet 2.312 -> 2.8e-4 and 2.300 -> 3.1e-4;
DETR 6.962 -> 4.215 and 7.569 -> 3.988; CCNet 4.225 -> 0.144 and 5.132 -> 0.159; RDN 0.584 -> 0.0377 and 0.490 ->
0.0387; CPM 10.39 -> 3.226 and 10.42 -> 3.218; DeepPose 0.638 -> 0.235 and 0.423 -> 0.213. Broken:
``condconv_zero_init`` 2.303 -> 2.305 and 2.303 -> 2.299; ``deeppose_conv_bias_minus_10`` 0.617 -> 0.518 and 0.420 ->
0.498; ``cpm_trunk_30_plain_layers_default_init`` 10.39 -> 9.173 and 10.42 -> 9.161;
``renet_gru_update_gate_bias_plus_10`` 2.306 -> 2.301 and 2.297 -> 2.297; ``maxvit_adamw_lr1`` diverges at step 1
at both seeds (ends 2.348 and 2.332; weights x33 at step 0); ``detr_adamw_lr1`` diverges at step 1 at both seeds
(ends 15.91 and 14.90; weights x50 at step 1);
``rdn_adam_lr1`` diverges at step 1 at both seeds (ends 8.9e16 and 7.8e14; weights x183 and x144);
``deeppose_adam_lr1`` diverges at step 1 at both seeds (ends 1.7e6 and 1.9e10; weights x229 and x223);
``condconv_without_batchnorm`` 2.303 -> 2.305 and 2.303 -> 2.298; ``maxvit_adamw_weight_decay_50`` 2.307 -> 2.303 and
2.329 -> 2.302; ``cpm_sgd_weight_decay_10`` 10.39 -> 9.319 and 10.42 -> 9.331; ``ccnet_label_maps_shuffled`` 4.025 ->
2.006 and 4.893 -> 1.984 (the marginal learnt, not the maps); ``detr_giou_matrix_without_diag`` 69.98 -> 66.02 and
74.16 -> 66.22; ``cpm_heatmaps_meshgrid_ij`` 10.39 -> 8.218 and 10.42 -> 8.086 (0.79 and 0.78 of the start); and
``rdn_minmax_flat_crops`` is non-finite at step 0 at both seeds (the loss itself). The cases run in 2 to 19 s a seed
on a machine shared with three other helpers' runs (load 4 to 8 on 2 cores); CondConv-MobileNetV2 and MaxViT are the
slowest.

Dropped or changed before the freeze (every figure above is from the final code): the recurrent super-resolution
network was first DRCN (Kim et al. 2016: one 3x3 convolution applied nine times with shared weights, recursive
supervision, Adam) with the recursion's kernel at 3 and 5 times He's std as the recurrence common; the exploding
recursion inflated the first loss (5.6e8 and 5.3e12 at seed 0) and Adam brought it down by orders of magnitude (to
2.9e4 and 6.8e8), which the learning criterion counts as learning, and the healthy DRCN took 34 s a seed at 32
filters: ReNet replaced it, with the GRU gate as the recurrence common. CPM's stage 1 first had its own feature
layers; the 30-layer trunk then learned through stage 1 alone (18.76 -> 8.956 at seed 0), and the stages now share
one trunk. With sigma 1 and keypoints in [2, 13] the mean belief map alone took CPM's depth case to 0.74 of its start
(18.75 -> 13.92), and the meshgrid slip learned (18.75 -> 12.03 and 18.77 -> 11.84; still 0.72 and 0.71 at sigma
0.75): the targets are now sigma 0.75 and the keypoints spread over [1, 15), which also moved DeepPose's figures.
Three more slips were written and dropped because a plain run learned: CCNet's vertical flip written ``flip(2)`` for
the ``(b, 3, h, w)`` images and the ``(b, h, w)`` label maps alike (so the maps flip left to right; 4.225 -> 1.270 at
seed 0, under the criterion 1.456), CCNet's label maps drawn in PIL's ``(width, height)`` order, transposed (4.244 ->
0.832 and 5.077 -> 0.851: the criss-cross attention reads the transposed pixel's row and column), and CPM's targets
built at the image's 16x16 and cut to the beliefs' shape with ``[..., :8, :8]`` (learned at seed 1: 3.472 -> 2.303).
CCNet's loss divided by ``y.shape[0]``, the batch, where the pixel count belongs, only rescaled the loss by 256 (1082
-> 74.8 and 1314 -> 69.2: 0.29 a pixel, learned) and was not kept. So the batch holds two slips, not three, and
fifteen broken cases.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh73_builders as F

P = functools.partial
HALF = "fresh73"
#: chance losses: ten classes (CondConv's, MaxViT's and ReNet's images), four classes per pixel for CCNet's main head
#: plus 0.4 times its deep-supervision head's (1.4 ln 4); DETR, RDN, CPM and DeepPose compare with their first loss
C10, SEG = math.log(10), 1.4 * math.log(4)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH73_HEALTHY: list[Case] = [
    _h("condconv_mobilenetv2_images", HALF, "condconv", F.condconv, C10),
    _h("maxvit_images", HALF, "maxvit", F.maxvit, C10),
    _h("detr_two_squares", HALF, "detr", F.detr, None),
    _h("ccnet_rectangle_scenes", HALF, "ccnet", F.ccnet, SEG),
    _h("rdn_x2_luminance", HALF, "rdn", F.rdn, None),
    _h("renet_gru_images", HALF, "renet", F.renet, C10),
    _h("cpm_keypoint_beliefs", HALF, "cpm", F.cpm, None),
    _h("deeppose_keypoint_regression", HALF, "deeppose", F.deeppose, None),
]

FRESH73_BROKEN: list[Case] = [
    # init
    _b("condconv_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.condconv, zero_init=True), C10),
    # activation
    _b("deeppose_conv_bias_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.deeppose, conv_bias=-10.0), None),
    # depth
    _b("cpm_trunk_30_plain_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.cpm, trunk_layers=30), None),
    # recurrence
    _b("renet_gru_update_gate_bias_plus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.renet, gate_bias=10.0), C10),
    # lr
    _b("maxvit_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.maxvit, lr=1.0), C10),
    _b("detr_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.detr, lr=1.0), None),
    _b("rdn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.rdn, lr=1.0), None),
    _b("deeppose_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.deeppose, lr=1.0), None),
    # normalization
    _b("condconv_without_batchnorm", HALF, ("normalization", "init"), VANISH, STUCK,  # kind: common
       P(F.condconv, bn=False), C10),
    # regularization
    _b("maxvit_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.maxvit, weight_decay=50.0), C10),
    _b("cpm_sgd_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.cpm, weight_decay=10.0), None),
    # data
    _b("ccnet_label_maps_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.ccnet, shuffled=True), SEG),
    _b("detr_giou_matrix_without_diag", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.detr, giou_diag=False), None),
    _b("cpm_heatmaps_meshgrid_ij", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.cpm, meshgrid_slip=True), None),
    # numeric
    _b("rdn_minmax_flat_crops", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.rdn, minmax=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "condconv_zero_init": "common", "deeppose_conv_bias_minus_10": "common",
    "cpm_trunk_30_plain_layers_default_init": "common", "renet_gru_update_gate_bias_plus_10": "common",
    "maxvit_adamw_lr1": "common", "detr_adamw_lr1": "common", "rdn_adam_lr1": "common",
    "deeppose_adam_lr1": "common", "condconv_without_batchnorm": "common",
    "maxvit_adamw_weight_decay_50": "common", "cpm_sgd_weight_decay_10": "common",
    "ccnet_label_maps_shuffled": "common", "rdn_minmax_flat_crops": "common",
    "detr_giou_matrix_without_diag": "slip", "cpm_heatmaps_meshgrid_ij": "slip",
}

#: the cases (half "fresh73")
FRESH73: list[Case] = FRESH73_HEALTHY + FRESH73_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "condconv_zero_init": F.condconv,
    "deeppose_conv_bias_minus_10": F.deeppose,
    "cpm_trunk_30_plain_layers_default_init": F.cpm,
    "renet_gru_update_gate_bias_plus_10": F.renet,
    "maxvit_adamw_lr1": F.maxvit,
    "detr_adamw_lr1": F.detr,
    "rdn_adam_lr1": F.rdn,
    "deeppose_adam_lr1": F.deeppose,
    "condconv_without_batchnorm": F.condconv,
    "maxvit_adamw_weight_decay_50": F.maxvit,
    "cpm_sgd_weight_decay_10": F.cpm,
    "ccnet_label_maps_shuffled": F.ccnet,
    "detr_giou_matrix_without_diag": F.detr,
    "cpm_heatmaps_meshgrid_ij": F.cpm,
    "rdn_minmax_flat_crops": F.rdn,
}
