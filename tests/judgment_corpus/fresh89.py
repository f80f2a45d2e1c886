"""The ninetieth held-out batch (half ``"fresh89"``): eight published vision architectures new to the corpus
(classification, detection, segmentation, video, low-level vision) at their usual settings, and sixteen broken variants
with one real fault each, written and labelled with plain PyTorch before gradguard was ever run on them. Like every
fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 890_000 + seed): RED-Net (Mao et al. 2016, narrowed to RED10 of 32 channels: five
3x3 convolutions and five mirrored 3x3 deconvolutions, stride 1 and padded where the paper's are unpadded, ReLUs, the
symmetric skips every two layers (input to output, the second conv's features to the third deconv's, the fourth's to
the first's), each an element-wise sum followed by ReLU, the output's sum without one for zero-mean images; PyTorch's
default init; Adam at the paper's lr 1e-4) and FFDNet (Zhang et al. 2018, narrowed to 8 layers of 32 where the grey
model has 15 of 64: the noisy image pixel-unshuffled into four sub-images, the noise-level map concatenated, ``conv +
ReLU``, six ``conv + BatchNorm + ReLU``, a last conv and the pixel shuffle back, the clean image predicted directly;
Adam at the paper's lr 1e-3) denoising smooth 16x16 grey fields (6x6 Gaussian values stretched bilinearly) under white
noise of 0.3 (RED-Net) or a per-image level drawn from 0.1 to 0.5 that FFDNet is given (batch 8, mean squared
error); the SkipInit ResNet (De & Smith 2020: a norm-free ResNet whose residual branches are multiplied by a scalar
initialised to 0; narrowed to a 3x3 stem of 16 and three stages of four pre-activation blocks, 16, 32 and 64 wide,
the last two starting with stride 2 and a 1x1 projection, He-normal convs, average pooling, a Linear; SGD momentum 0.9
at lr 0.02, set here) and InceptionNeXt (Yu et al. 2023, narrowed: a 2x2 stride-2 stem with BatchNorm to 8x8 of 32,
two MetaNeXt blocks (the Inception depthwise mixer: an identity part and a 3x3, a 1x11 and an 11x1 depthwise branch,
an eighth of the channels each; BatchNorm; a ConvMLP of 4x with GELU; layer scale 1e-6), a BatchNorm + 2x2 stride-2
down-sampling to 4x4 of 64, two more blocks, average pooling and the MLP head with its LayerNorm; truncated-normal
0.02; AdamW with the paper's weight decay 0.05 at lr 1e-3, its 4e-3 for batch 4096 scaled down, warm-up and cosine
left out) on 16x16 class-template images (10 classes, batch 32); Faster R-CNN's region proposal network (Ren et al.
2015, on a small backbone of 3x3 convs of 16, 32 and 32, ReLU, an 8x8 map of stride 4: the head's 3x3 conv and ReLU,
a 1x1 objectness logit and 1x1 box deltas for each of three square anchors of 8, 12 and 16 pixels, head weights N(0,
0.01^2) as torchvision's; anchors positive at IoU 0.5 (the paper's 0.7, lowered for boxes of 6 to 16 pixels) or as a
box's best anchor, negative below 0.3; binary cross-entropy over the labelled anchors plus the positives' smooth-L1
(beta 1/9) divided by the labelled count, torchvision's normalisation, its sampling of 256 anchors left out; SGD
momentum 0.9 weight decay 1e-4 at Detectron's lr 0.02) finding one or two bright rectangles in 32x32 noise images, the
first of every batch of 16 a negative image without any, each image's boxes padded to two with the zero box;
Light-Weight RefineNet (Nekrasov et al. 2018, narrowed: a ResNet encoder trained from scratch where the paper's is
pretrained, a 3x3 stem of 16 with BatchNorm and three basic blocks of 16, 32 and 64 at stride 2, and the light-weight
decoder: each level's 1x1 conv to 32, the coarser output up-sampled and summed in, chained residual pooling of four
5x5 max-pool + 1x1 conv stages, a 1x1 conv; a 3x3 classifier up-sampled to the image; Adam at lr 1e-3, set here)
segmenting 32x32 scenes into background, a rectangle and a disc (3 classes, batch 8, per-pixel cross-entropy); GRU-RCN
(Ballas et al. 2016, narrowed: a per-frame encoder of 3x3 convs of 8 and 16, the second of stride 2, a convolutional
GRU of 16 with 3x3 kernels in the paper's form ``h = (1 - z) h + z h~`` over the 8 frames from a zero state, the last
state average-pooled to a Linear; Adam at lr 1e-3) and ir-CSN (Tran et al. 2019, narrowed: a 3x3x3 stem of 8 of
stride (1, 2, 2) with BatchNorm and ReLU, four bottlenecks of 32, 32, 64 and 64 (1x1x1 conv, a 3x3x3 depthwise conv,
1x1x1 conv, each with BatchNorm, the last one's scale zero-initialised, PySlowFast's ``ZERO_INIT_FINAL_BN``; the third
block of stride 2 with a projection), average pooling and a Linear; He-normal (fan-out) convs; SGD momentum 0.9 weight
decay 1e-4 at lr 0.2, set here, the reference code's 0.1 being for batch 64 with a warm-up) classifying 8-frame 16x16
clips of a class template drifting by -1, 0 or 1 pixel a frame on each axis (4 classes, batch 16).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every RED-Net weight drawn N(0, 1) (the
  output is about 1e10 at the first step: init), FFDNet's BatchNorm shifts at -10 before their ReLUs (every unit of
  the six normalised layers dead; activation, with init), the SkipInit ResNet as a plain stack of 25 convs, its
  shortcuts and scalars left out, at PyTorch's default init (depth), GRU-RCN's update-gate bias at -20 (``z = 2e-9``:
  the state keeps its zero start and no frame is ever written into it, and the gate's gradient, ``z (1 - z)`` times
  the rest, is far below Adam's eps, so it never opens; recurrence), RED-Net at Adam lr 1, GRU-RCN at Adam lr 1,
  InceptionNeXt at AdamW lr 1, the RPN at SGD lr 20 and RefineNet at Adam lr 1 (lr), CSN without its BatchNorms at
  its lr 0.2 (the step a normalised network takes, a plain one cannot; normalization, with lr), InceptionNeXt at AdamW
  ``weight_decay=50`` (regularization), InceptionNeXt's labels permuted within every batch, apart from their images
  (data), and the RPN's box targets encoded for every anchor against its matched box and the box term multiplied by
  the positive mask, where the healthy code selects the positives first: the negative image's anchors are matched to
  its zero padding box, ``log(0 / w) = -inf``, and ``inf * 0`` is NaN at step 0 (numeric, with data);
- **slip** (a user's mistake in wiring residual connections, of a kind no earlier batch used): the SkipInit scalars
  initialised to 1, ``nn.Parameter(torch.ones(()))``, where the method needs 0 (it exists to start every norm-free
  block at the identity: with 1, each block's He-initialised branch adds its own variance to the stream, which about
  doubles at each of the 12 blocks; the first loss is 18.1 against chance's 2.30, SGD diverges at step 1 and the
  weights are non-finite at step 2; init, the gate's initial value, with depth accepted, the growth compounding over
  the blocks); the SkipInit shortcut multiplied into the branch, ``identity * (alpha * out)``, where ``identity +
  alpha * out`` belongs (with alpha at 0 every block outputs exactly 0, so the stream is zero from the first block on;
  every gradient below the head is zero too, each block's input gradient being ``alpha * out`` at alpha 0 and each
  alpha's gradient coming through the zero stream after it, so only the head's bias moves, to the class marginal;
  depth, the identity path every residual block relies on being gone, with init accepted, the zero alpha that makes
  the product exactly 0); and CSN's final BatchNorm written after the shortcut's addition, ``relu(bn3(conv3(h) +
  identity))`` where ``relu(bn3(conv3(h)) + identity)`` belongs (the norm on the residual stream: its zero-initialised
  scale, meant to start the branch at 0, now scales the shortcut too, so every block outputs ``relu(0) = 0`` and the
  stream is zero after the first; the scales' gradients are the normalised sums, 0 past the first block, times an
  upstream gradient that is 0; normalization, the norm's placement removing the identity path, with init, the zero
  scale, and depth accepted). Earlier wiring slips (``fresh61``'s residual added twice, ``fresh12``'s shortcut
  indented into the down-sampling branch, ``fresh51``'s layer scale registered as a buffer, ``fresh13``'s second
  residual around a layer that adds its own) are not repeated: here a residual gate starts at 1, a shortcut multiplies,
  and a norm sits on the stream after the addition. None of the slips is an activation, recurrence, lr,
  regularization, data or numeric one; the commons outnumber the slips (13 to 3).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is the SkipInit ResNet with its shortcuts, at the same depth).

Learning criteria: the classifiers compare with chance (ten classes for the SkipInit ResNet and InceptionNeXt, four for
GRU-RCN's and CSN's clips, three for RefineNet's pixels); the two denoisers with the loss of the best constant
prediction, 0, the clean fields' mean: their mean square, 0.5155 (measured on 20,000 fields); the RPN with its first
loss. Measured plain runs, 200 steps (seed 0, seed 1): RED-Net 0.2768 -> 0.0318 and 0.1048 -> 0.0291; FFDNet 0.5627
-> 0.0313 and 0.6238 -> 0.0311; the SkipInit ResNet 2.830 -> 8.9e-5 and 2.361 -> 2.6e-4; GRU-RCN 1.358 -> 0.0823 and
1.410 -> 0.192; InceptionNeXt 2.375 -> 0.0067 and 2.300 -> 0.0062; the RPN 0.7030 -> 0.0855 and 0.7015 -> 0.146;
RefineNet 0.9133 -> 0.0542 and 1.363 -> 0.0492 (the criterion 0.824 at seed 1); CSN 1.573 -> 2.9e-4 and 1.398 ->
2.7e-4. Broken: ``red_net_init_std_1`` 8.1e19 -> 7.1e18 and 1.5e19 -> 2.8e18 (no divergence: the loss falls, by a
factor of 5 to 11, but stays 1e19 times the criterion); ``ffdnet_batchnorm_shifts_minus_10`` 0.4421 -> 0.5206 and
0.4773 -> 0.5119; ``skipinit_resnet_plain_without_shortcuts_default_init`` 2.331 -> 2.302 and 2.304 -> 2.297;
``gru_rcn_update_gate_bias_minus_20`` 1.367 -> 1.387 and 1.410 -> 1.389; ``red_net_adam_lr1`` non-finite at step 1
(seed 0) and diverging at step 1 (seed 1, 1.7e33 at the end; weights x129 and x171 at step 0); ``gru_rcn_adam_lr1``
diverges at step 1 at both seeds (ends 8.62 and 1.157; weights x120 and x129); ``inceptionnext_adamw_lr1`` diverges at
step 1 at both seeds (ends 2.414 and 2.332; weights x43); ``faster_rcnn_rpn_sgd_lr20`` diverges at steps 7 and 8 and
is non-finite at step 11 at both seeds; ``lw_refinenet_adam_lr1`` diverges at step 1 at both seeds (ends 0.684 and
0.683, the pixels' marginal; weights x76 and x69); ``csn_without_batchnorm`` diverges at step 41 (seed 0, ends 1.426,
weights x4e8) and at step 24 (seed 1, where it recovers to 0.318 by the end: the divergence is its trouble there);
``inceptionnext_adamw_weight_decay_50`` 2.375 -> 2.302 and 2.300 -> 2.302; ``inceptionnext_labels_shuffled`` 2.415 ->
2.147 and 2.301 -> 2.170 (the criterion 1.73); ``faster_rcnn_rpn_box_targets_of_padding_boxes`` non-finite at step 0
at both seeds (the loss itself); ``skipinit_resnet_gain_initialised_to_1`` 18.08 and 18.18 at step 0, diverging at
step 1 and non-finite at step 2 at both seeds; ``skipinit_resnet_shortcut_multiplied`` 2.334 -> 2.302 and 2.304 ->
2.296 (the weight norm unchanged to 2e-5); ``csn_batchnorm_after_shortcut_addition`` 1.415 -> 1.428 and 1.389 -> 1.416
(the weight norm exactly unchanged). The cases run in 1 to 145 s a seed on a machine shared with three other helpers'
runs (load 10 to 12 on 2 cores); the SkipInit ResNet, CSN and RefineNet are the slowest, an estimated 10 to 25 s a
seed on a free core by the load's ratio.

Dropped or changed before the freeze (every figure above is from the final code): the first wiring slip written was
RED-Net's skip junctions multiplied (``deconv(h) * skip``, the output's junction included): it learned (0.1974 ->
0.0779 at seed 0: the last junction can still learn a shrinkage of the noisy input), and its ``multiply_skips`` switch
stays, unused; the SkipInit shortcut multiplied took its place. RED-Net at N(0, 1) first "learned" against its own
first loss (8.1e19 -> 7.1e18); the denoisers now compare with the constant prediction's loss, as the classifiers do
with chance. FFDNet's clean targets permuted within every batch (the data common first written) fell from 0.566 to
0.392 at seed 0 (the 32 cycled batches can be memorised), too near the criterion 0.387, and FFDNet at Adam
``weight_decay=1`` (0.563 -> 0.113) and without its BatchNorms (0.444 -> 0.045) learned: their ``permuted``,
``weight_decay`` and ``bn`` switches stay, unused; the data common is InceptionNeXt's. GRU-RCN's update-gate bias at
-10 learned (1.367 -> 0.122 at seed 0: at ``z = 4.5e-5`` the gate's gradient is still above Adam's eps, and Adam opens
it through the gate's input weights); it is at -20. The RPN at SGD lr 5 learned (0.703 -> 0.124, weights x28); it is
at lr 20. The RPN with every weight N(0, 1) diverged at step 1 (non-finite at step 4, seed 0) and was not kept (the
init common is RED-Net's); FFDNet at Adam lr 1 diverged at step 1 (seed 0) and was not kept (five lr commons were
enough). RefineNet at Adam ``weight_decay=1`` learned (0.913 -> 0.274) and at AdamW ``weight_decay=50`` ended at 0.709
against the criterion 0.685 at seed 0, too near: neither was kept (``weight_decay``, ``adamw`` stay, unused); the
regularization common is InceptionNeXt's. CSN was first at lr 0.05: without its BatchNorms it learned there (1.500 ->
1.5e-4) and at lr 0.1 (1.500 -> 0.093, after a divergence at step 104), so CSN runs at lr 0.2, where it learns with
them (above) and not without (seed 0). The SkipInit ResNet was first at lr 0.05: it diverged at seed 1 (step 47,
non-finite at 52), so it runs at lr 0.02. For time, RED-Net and FFDNet were first on 24x24 fields, GRU-RCN 32 wide,
CSN 64 and 128 wide with a stem of 16. Not written: RED30 without its skips as a depth case (about a minute a seed)."""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh89_builders as F

P = functools.partial
HALF = "fresh89"
#: chance losses: ten classes (the SkipInit ResNet's and InceptionNeXt's images), four (GRU-RCN's and CSN's clips),
#: three (RefineNet's pixels); for the two denoisers the loss of the best constant prediction (0, the clean fields'
#: mean): their mean square, 0.5155 (measured on 20,000 fields); the RPN compares with its first loss
C10, C4, C3 = math.log(10), math.log(4), math.log(3)
DENOISE = 0.5155
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH89_HEALTHY: list[Case] = [
    _h("red_net_denoiser", HALF, "red_net", F.red_net, DENOISE),
    _h("ffdnet_denoiser", HALF, "ffdnet", F.ffdnet, DENOISE),
    _h("skipinit_resnet_images", HALF, "skipinit_resnet", F.skipinit, C10),
    _h("gru_rcn_clips", HALF, "gru_rcn", F.gru_rcn, C4),
    _h("inceptionnext_images", HALF, "inceptionnext", F.inceptionnext, C10),
    _h("faster_rcnn_rpn_boxes", HALF, "faster_rcnn_rpn", F.rpn, None),
    _h("lw_refinenet_scenes", HALF, "lw_refinenet", F.refinenet, C3),
    _h("csn_clips", HALF, "csn", F.csn, C4),
]

FRESH89_BROKEN: list[Case] = [
    # init
    _b("red_net_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.red_net, init_std=1.0), DENOISE),
    # activation
    _b("ffdnet_batchnorm_shifts_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.ffdnet, bn_shift=-10.0), DENOISE),
    # depth
    _b("skipinit_resnet_plain_without_shortcuts_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.skipinit, shortcut=False), C10),
    # recurrence
    _b("gru_rcn_update_gate_bias_minus_20", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.gru_rcn, gate_bias=-20.0), C4),
    # lr
    _b("red_net_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.red_net, lr=1.0), DENOISE),
    _b("gru_rcn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.gru_rcn, lr=1.0), C4),
    _b("inceptionnext_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.inceptionnext, lr=1.0), C10),
    _b("faster_rcnn_rpn_sgd_lr20", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.rpn, lr=20.0), None),
    _b("lw_refinenet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.refinenet, lr=1.0), C3),
    # normalization
    _b("csn_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.csn, bn=False), C4),
    # regularization
    _b("inceptionnext_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.inceptionnext, weight_decay=50.0), C10),
    # data
    _b("inceptionnext_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.inceptionnext, shuffled=True), C10),
    # numeric
    _b("faster_rcnn_rpn_box_targets_of_padding_boxes", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.rpn, masked_everywhere=True), None),
    # slips: the wiring of residual connections
    _b("skipinit_resnet_gain_initialised_to_1", HALF, ("init", "depth"), EXPLODE, DIVERGE,  # kind: slip
       P(F.skipinit, alpha=1.0), C10),
    _b("skipinit_resnet_shortcut_multiplied", HALF, ("depth", "init"), VANISH, STUCK,  # kind: slip
       P(F.skipinit, multiply=True), C10),
    _b("csn_batchnorm_after_shortcut_addition", HALF, ("normalization", "init", "depth"), VANISH,  # kind: slip
       STUCK, P(F.csn, norm_after_add=True), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "red_net_init_std_1": "common", "ffdnet_batchnorm_shifts_minus_10": "common",
    "skipinit_resnet_plain_without_shortcuts_default_init": "common", "gru_rcn_update_gate_bias_minus_20": "common",
    "red_net_adam_lr1": "common", "gru_rcn_adam_lr1": "common", "inceptionnext_adamw_lr1": "common",
    "faster_rcnn_rpn_sgd_lr20": "common", "lw_refinenet_adam_lr1": "common", "csn_without_batchnorm": "common",
    "inceptionnext_adamw_weight_decay_50": "common", "inceptionnext_labels_shuffled": "common",
    "faster_rcnn_rpn_box_targets_of_padding_boxes": "common",
    "skipinit_resnet_gain_initialised_to_1": "slip", "skipinit_resnet_shortcut_multiplied": "slip",
    "csn_batchnorm_after_shortcut_addition": "slip",
}

#: the cases (half "fresh89")
FRESH89: list[Case] = FRESH89_HEALTHY + FRESH89_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "red_net_init_std_1": F.red_net,
    "ffdnet_batchnorm_shifts_minus_10": F.ffdnet,
    "skipinit_resnet_plain_without_shortcuts_default_init": F.skipinit,
    "gru_rcn_update_gate_bias_minus_20": F.gru_rcn,
    "red_net_adam_lr1": F.red_net,
    "gru_rcn_adam_lr1": F.gru_rcn,
    "inceptionnext_adamw_lr1": F.inceptionnext,
    "faster_rcnn_rpn_sgd_lr20": F.rpn,
    "lw_refinenet_adam_lr1": F.refinenet,
    "csn_without_batchnorm": F.csn,
    "inceptionnext_adamw_weight_decay_50": F.inceptionnext,
    "inceptionnext_labels_shuffled": F.inceptionnext,
    "faster_rcnn_rpn_box_targets_of_padding_boxes": F.rpn,
    "skipinit_resnet_gain_initialised_to_1": F.skipinit,
    "skipinit_resnet_shortcut_multiplied": F.skipinit,
    "csn_batchnorm_after_shortcut_addition": F.csn,
}
