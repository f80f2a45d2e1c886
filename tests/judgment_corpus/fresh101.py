"""The hundred-and-second held-out batch (half ``"fresh101"``): eight published vision models (classification,
detection, segmentation, restoration and video backbones) new to the corpus at their usual settings, and sixteen
broken variants with one real fault each, written and labelled with plain PyTorch before gradguard was ever run on
them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 1_010_000 + seed): GENet (Hu et al. 2018, the GE-theta variant, narrowed: a 3x3
stem of 16 and three stages of one basic residual block each (16, 32, 64 wide, strides 1, 2, 2), each block's branch
multiplied by its gather-excite gate (a depthwise 3x3 stride-2 conv and BatchNorm, nearest upsampling back, a
sigmoid), global average pooling, the classifier; He init; SGD with momentum 0.9 and weight decay 1e-4 at the ResNet
schedule's lr 0.1, its decays left out) and CycleMLP (Chen et al. 2022, narrowed: the overlapping 7x7 stride-4 patch
embedding to 8x8 tokens of 32, two blocks, a 3x3 stride-2 downsampling to 4x4 tokens of 64, two blocks; each block's
token mixer the H-wise and W-wise Cycle FCs (step size 3: channel ``c`` reads offset ``(c + 1) % 3 - 1``) and a
channel FC merged by the split-attention reweighting, then a 4x GELU MLP, pre-LN; Linears truncated-normal 0.02; AdamW
at the paper's lr 1e-3 and weight decay 0.05 without its warm-up and cosine decay) on class-template images (10
classes; 16x16 for GENet, 32x32 for CycleMLP; batch 32); TTFNet (Liu et al. 2020, narrowed: a small ResNet of 16, 32,
64 and 128 channels to stride 8, the decoder's bilinear 2x upsampling with the stride-4 shortcut conv added, the
heatmap head with its bias -2.19 and the box head ``relu(x) * 16`` of distances in pixels; the CenterNet focal loss
on the elliptical Gaussian heatmaps (``alpha = beta = 0.54``) plus 5 times the GIoU loss at every Gaussian cell,
weighted by the Gaussian normalised over its object times ``log(area)``; SGD with momentum 0.9 and weight decay 4e-4
at the paper's lr 0.016, its warm-up and step decay left out) on 32x32 scenes of one to three filled rectangles (3
classes, sides 2 to 12 pixels; batch 16); STDC-Seg (Fan et al. 2021, narrowed: a stem of two strided convs, STDC
stages of 64 and 128 (a strided and a plain STDC module each), the context path of two attention refinement modules
and the global average, the feature fusion module with the stride-4 features, the head and a 4x bilinear upsampling;
the detail guidance and auxiliary heads left out; the OHEM cross-entropy (``-ln 0.7``, at least a sixteenth of the
pixels); SGD with momentum 0.9 and weight decay 5e-4 at the paper's lr 0.01, its warm-up and poly decay left out) on
32x32 scenes of squares and discs on a smooth background (3 classes; batch 8); SRResNet (Ledig et al. 2017, narrowed
to x2: a 9x9 conv of 32 and PReLU, four residual blocks with BatchNorm, the long skip, one sub-pixel upsampling, a 9x9
conv to RGB; MSE; Adam at lr 1e-3, the paper's 1e-4 raised for 200 steps) on 8x8 -> 16x16 pairs (smooth fields with
sharp-edged squares, the LR their 2x2 average; batch 16); PReNet (Ren et al. 2019, narrowed: four recursive stages
(the paper's six), 16 channels (32), two residual blocks (five), the convolutional LSTM carried across the stages and
the rainy image added to each stage's output; MSE in place of its negative SSIM; Adam at the paper's lr 1e-3) on
16x16 images with two to five rain streaks (batch 8); P3D (Qiu et al. 2017, narrowed: each clip standardised by its
own mean and std (eps 1e-5), a 1x3x3 stem of 16 at spatial stride 2, basic (two-conv) pseudo-3D residual blocks A, B,
C of 16 and A (stride 2), B, C of 32, each a 1x1x1 projection, 1x3x3 and 3x1x1 convs with BN; global average pooling,
dropout 0.5, the classifier; SGD with momentum 0.9 and weight decay 5e-4 at lr 0.01, set here for training from
scratch where the paper fine-tunes at 1e-3) and MViT (Fan et al. 2021, narrowed: a 3x4x4 cube embedding of stride
2x4x4 to a 4x4x4 grid of 32 with separable space-time position embeddings, three pre-LN blocks of multi-head pooling
attention (max pooling with 3x3x3 kernels and LayerNorm after pooling): keys and values pooled at 1x2x2 in the first
(1 head, its MLP widening to 64 with the skip projected), the queries and the skip pooled at 1x2x2 in the second (2
heads), a third of 64; LayerNorm, the mean over the tokens (in place of the class token), the head; AdamW at lr 1e-3
with the paper's weight decay 0.05, its warm-up and cosine decay left out) on 8-frame 16x16 clips of a Gaussian blob
moving in one of four directions (the class), one clip in eight black frames stored as exact zeros (a fade-in; batch
16).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every conv weight of SRResNet drawn N(0, 1)
  (init; the first loss is 6e6), every BatchNorm shift of GENet (each feeds a ReLU or the gate's sigmoid) at -10, every
  unit dead from the stem on (activation), P3D's classifier preceded by 30 Linear+ReLU layers of 32 at PyTorch's default
  init (depth), PReNet's ConvLSTM input-gate bias at -20 (``i = 2e-9``: nothing is written into the cell, so ``h = o
  tanh(c)`` and with it every stage's path to its output stays near 0; the gate conv's gradients are at most 4e-12 at
  step 0, so Adam's steps on them are under a thousandth of its lr; recurrence), CycleMLP at AdamW lr 1, MViT at AdamW
  lr 1, TTFNet at SGD lr 1 and PReNet at Adam lr 1 (lr), GENet without its BatchNorms at SGD lr 0.1 (normalization, with
  lr accepted), CycleMLP at AdamW ``weight_decay=50`` and STDC at SGD ``weight_decay=5`` (regularization), MViT's labels
  permuted within every batch by a fresh permutation at every step, apart from their clips (data), and P3D's per-clip
  standardisation without its eps over the black fade-in clips (``std = 0``: ``0 / 0`` at the first forward; numeric,
  with data);
- **slip** (a user's mistake in pooling, reduction or resolution arithmetic, of a kind no earlier batch used): GENet's
  global average pooling written ``h.sum((2, 3))``, a sum over the final 4x4 map's 16 positions where the paper, like
  every ResNet, averages (the classifier's inputs are 16 times their scale: the first loss is 9.5 and 5.7 against
  chance's 2.3, the head's gradient is 16 times larger and a step's effect on the logits about 256 times, so SGD at lr
  0.1 diverges at step 1; the BatchNorms below let it recover later, and both runs end below the criterion after
  diverging; normalization, the pooled features' missing ``1 / (H W)``, with lr, the effective step on the head,
  accepted); TTFNet's box-regression weights ``g / sum(g) * log(area)`` with the area taken on the output grid, the
  box's sides floor-divided by the stride 4 as the centre's cell is, where the reference takes it in input pixels (a box
  narrower or shorter than the stride, found in 4 to 12 of every batch's 16 images, has area 0: its weights are ``log 0
  = -inf``, the weights' sum is ``-inf`` and the normalised GIoU loss ``-inf / -inf`` is NaN at step 0; numeric, with
  data, the non-finite targets); and STDC's OHEM cross-entropy returning ``torch.sum`` of the kept hard pixels where the
  reference's ``torch.mean`` belongs (at the start every pixel is hard, so the loss is summed over 8 x 32 x 32 = 8,192
  pixels, 9,928 and 9,855 at step 0, a scale that grows with the image, and SGD at lr 0.01 takes steps thousands of
  times too large: diverges at step 1, non-finite by step 14; lr, the effective step, with normalization, the
  reduction's missing division, accepted). Earlier pooling and reduction slips (a heatmap normalised by its sum, a
  reconstruction averaged over pixels where it is summed, a readout summed over the whole batch, a pooled count
  truncated to zero, losses and penalties summed over the batch or over micro-batches) are not repeated: here a global
  pooling sums where it averages, an area is measured on the output grid, and a hard-example miner's kept pixels are
  summed. None of the slips is an init, activation, depth, recurrence, regularization or data one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is P3D with its one classifier layer).

Learning criteria: every classifier compares with chance (ten classes, four directions, STDC's three classes per pixel);
and, as ``fresh66``'s CONST, the restorations with their trivial solution (set before gradguard ran on any case):
SRResNet's all-zero image (0.31; measured 0.314 and 0.317; nearest upsampling of the LR gives 0.040 at seed 0 and
bilinear 0.032) and PReNet's identity, the rainy image returned as it is (0.12; measured 0.122 and 0.115); TTFNet has
none (its first loss). Measured plain runs, 200 steps (seed 0, seed 1): GENet 2.354 -> 0.0014 and 2.321 -> 9.2e-4;
CycleMLP 2.305 -> 0.0167 and 2.315 -> 0.0193; TTFNet 8.096 -> 5.275 and 7.682 -> 5.555 (the criterion 6.072 and 5.762);
STDC-Seg 1.213 -> 0.667 and 1.203 -> 0.645 (the criterion 0.824; OHEM averages only the hardest pixels, so its floor is
well above 0); SRResNet 0.355 -> 0.0355 and 0.347 -> 0.0374; PReNet 0.127 -> 0.0013 and 0.127 -> 0.0012; P3D 1.883 ->
0.197 and 1.690 -> 0.214; MViT 1.380 -> 0.179 and 1.355 -> 0.184. Broken: ``srresnet_init_std_1`` 6.0e6 -> 7.6e5 and
6.2e6 -> 7.2e5 (no divergence); ``gather_excite_bn_shifts_minus_10`` 2.316 -> 2.296 and 2.295 -> 2.308;
``p3d_30_fc_layers_default_init`` 1.383 -> 1.386 and 1.419 -> 1.379; ``prenet_lstm_input_gate_bias_minus_20`` 0.124 ->
0.104 and 0.126 -> 0.101 (the criterion 0.09); ``cyclemlp_adamw_lr1`` diverges at step 1 at both seeds (weights x51 at
step 0; it ends at 0.499 and 0.309, recovered); ``mvit_adamw_lr1`` diverges at step 1 at both seeds (weights x39 at step
0; ends 1.413 and 1.444); ``ttfnet_sgd_lr1`` diverges at step 1 at both seeds (ends 888 and 19.2; weights x10 at steps 6
and 2); ``prenet_adam_lr1`` diverges at step 1 at both seeds (ends 157 and 2.5e4; weights x138 at step 0);
``gather_excite_without_batchnorm`` diverges at steps 26 and 35 and is non-finite at steps 164 and 123;
``cyclemlp_adamw_weight_decay_50`` 2.305 -> 2.299 and 2.315 -> 2.296; ``stdc_sgd_weight_decay_5`` 1.213 -> 1.033 and
1.203 -> 1.033; ``mvit_labels_shuffled`` 1.382 -> 1.386 and 1.345 -> 1.382;
``gather_excite_global_pool_summed_over_pixels`` 9.462 and 5.673 at step 0, diverges at step 1 at both seeds (weights
x3.0 and x3.3; ends 1.522 and 1.651); ``stdc_ohem_hard_pixels_summed`` diverges at step 1 at both seeds (weights x7.9e11
and x1.0e11 at step 0) and is non-finite at steps 14 and 13; ``p3d_clip_standardisation_without_eps`` and
``ttfnet_box_log_area_on_output_grid`` are non-finite at step 0 at both seeds (the loss itself). The cases ran in 1 to
95 s a seed on a machine shared with three other helpers' runs (load about 6 to 8 on 2 cores); TTFNet and CycleMLP are
the slowest (84 to 95 and 70 to 77 s a seed under that load, 40 and 21 s when the machine was less loaded).

Dropped or changed before the freeze (every figure above is from the final code): GENet was first written for 32x32
images (an 8x8 final map) and P3D with a stem of spatial stride 1; at 0.33 and 0.25 s a step under load both were too
slow, and GENet now takes 16x16 images and P3D's stem strides 2 in space. PReNet's input-gate bias at -10 (the
classic value) learned (0.124 -> 0.0060 and 0.126 -> 0.0079): ``sigmoid'(-10) = 4.5e-5`` leaves the gate conv's
gradients at 1e-9 to 1e-7 at step 0, near or above Adam's eps, and Adam's normalised steps open the gate; at -20 it
stays shut. The input and output
gates both at -10 also failed at seed 0 (0.124 -> 0.104) and were not kept; the ``output_gate_bias`` switch stays,
unused. SRResNet at AdamW ``weight_decay=50`` learned (0.355 -> 0.127 and 0.347 -> 0.135: its BatchNorm'd convs are
scale-invariant and the equilibrium weights still fit much of the images), and with Adam's coupled ``weight_decay=1``
it ended at 0.2206 at seed 0 against the criterion 0.2325 (too near); both were dropped (their switches,
``weight_decay`` and ``l2``, stay, unused), and STDC at SGD weight decay 5 took their place. MViT's labels were first
permuted once per pooled batch (the permutation fixed with the pool of 32 batches): it memorised them (1.378 -> 0.999
and 1.341 -> 0.899, below the criterion), so the shuffled loader now draws a fresh permutation at every step.
TTFNet at SGD lr 0.03 learned no better (8.096 -> 5.35 and 7.682 -> 5.563) and keeps the paper's 0.016.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh101_builders as F

P = functools.partial
HALF = "fresh101"
#: chance losses: ten classes (GENet's and CycleMLP's images), four directions (P3D's and MViT's clips), three
#: classes per pixel (STDC); and, as ``fresh66``'s CONST, each restoration's trivial solution (set here, before
#: gradguard ran on any case): SRResNet's all-zero image (0.31) and PReNet's identity, the rainy input returned (0.12)
C10, C4, C3 = math.log(10), math.log(4), math.log(3)
SR, PR = 0.31, 0.12
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH101_HEALTHY: list[Case] = [
    _h("gather_excite_resnet_template_images", HALF, "gather_excite", F.gather_excite, C10),
    _h("cyclemlp_template_images", HALF, "cyclemlp", F.cyclemlp, C10),
    _h("ttfnet_rectangle_scenes", HALF, "ttfnet", F.ttfnet, None),
    _h("stdc_seg_shape_scenes", HALF, "stdc", F.stdc, C3),
    _h("srresnet_x2_edged_fields", HALF, "srresnet", F.srresnet, SR),
    _h("prenet_rain_streaks", HALF, "prenet", F.prenet, PR),
    _h("p3d_moving_blob_clips", HALF, "p3d", F.p3d, C4),
    _h("mvit_moving_blob_clips", HALF, "mvit", F.mvit, C4),
]

FRESH101_BROKEN: list[Case] = [
    # init
    _b("srresnet_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.srresnet, init_std=1.0), SR),
    # activation
    _b("gather_excite_bn_shifts_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.gather_excite, relu_bias=-10.0), C10),
    # depth
    _b("p3d_30_fc_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.p3d, hidden=30), C4),
    # recurrence
    _b("prenet_lstm_input_gate_bias_minus_20", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.prenet, input_gate_bias=-20.0), PR),
    # lr
    _b("cyclemlp_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.cyclemlp, lr=1.0), C10),
    _b("mvit_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.mvit, lr=1.0), C4),
    _b("ttfnet_sgd_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ttfnet, lr=1.0), None),
    _b("prenet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.prenet, lr=1.0), PR),
    _b("stdc_ohem_hard_pixels_summed", HALF, ("lr", "normalization"), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.stdc, summed=True), C3),
    # normalization
    _b("gather_excite_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.gather_excite, bn=False), C10),
    _b("gather_excite_global_pool_summed_over_pixels", HALF, ("normalization", "lr"), LR_EVENTS,  # kind: slip
       DIVERGE + STUCK, P(F.gather_excite, sum_pool=True), C10),
    # regularization
    _b("cyclemlp_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.cyclemlp, weight_decay=50.0), C10),
    _b("stdc_sgd_weight_decay_5", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.stdc, weight_decay=5.0), C3),
    # data
    _b("mvit_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.mvit, shuffled=True), C4),
    # numeric
    _b("p3d_clip_standardisation_without_eps", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.p3d, eps=0.0), C4),
    _b("ttfnet_box_log_area_on_output_grid", HALF, ("numeric", "data"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.ttfnet, grid_area=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "srresnet_init_std_1": "common", "gather_excite_bn_shifts_minus_10": "common",
    "p3d_30_fc_layers_default_init": "common", "prenet_lstm_input_gate_bias_minus_20": "common",
    "cyclemlp_adamw_lr1": "common", "mvit_adamw_lr1": "common", "ttfnet_sgd_lr1": "common",
    "prenet_adam_lr1": "common", "stdc_ohem_hard_pixels_summed": "slip",
    "gather_excite_without_batchnorm": "common", "gather_excite_global_pool_summed_over_pixels": "slip",
    "cyclemlp_adamw_weight_decay_50": "common", "stdc_sgd_weight_decay_5": "common",
    "mvit_labels_shuffled": "common", "p3d_clip_standardisation_without_eps": "common",
    "ttfnet_box_log_area_on_output_grid": "slip",
}

#: the cases (half "fresh101")
FRESH101: list[Case] = FRESH101_HEALTHY + FRESH101_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "srresnet_init_std_1": F.srresnet,
    "gather_excite_bn_shifts_minus_10": F.gather_excite,
    "p3d_30_fc_layers_default_init": F.p3d,
    "prenet_lstm_input_gate_bias_minus_20": F.prenet,
    "cyclemlp_adamw_lr1": F.cyclemlp,
    "mvit_adamw_lr1": F.mvit,
    "ttfnet_sgd_lr1": F.ttfnet,
    "prenet_adam_lr1": F.prenet,
    "stdc_ohem_hard_pixels_summed": F.stdc,
    "gather_excite_without_batchnorm": F.gather_excite,
    "gather_excite_global_pool_summed_over_pixels": F.gather_excite,
    "cyclemlp_adamw_weight_decay_50": F.cyclemlp,
    "stdc_sgd_weight_decay_5": F.stdc,
    "mvit_labels_shuffled": F.mvit,
    "p3d_clip_standardisation_without_eps": F.p3d,
    "ttfnet_box_log_area_on_output_grid": F.ttfnet,
}
