"""The eighty-sixth held-out batch (half ``"fresh85"``): eight published vision models new to the corpus
(classification, detection, segmentation, video classification and prediction, low-level vision) at their usual
settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 850_000 + seed): GFNet (Rao et al. 2021, narrowed: a 2x2 patch embedding of 16x16 images
to 8x8 tokens of 64, learned positions, four blocks ``x + MLP(LN(GlobalFilter(LN(x))))`` whose global filter multiplies
the tokens' 2-D FFT by a learned complex filter, GELU MLPs of 4x, LayerNorm, average pooling, the head; truncated-normal
0.02 Linears; AdamW lr 1e-3, weight decay 0.05, the warm-up and cosine decay left out) and ReXNet (Han et al. 2021,
narrowed: a stem of 16, six inverted-residual linear bottlenecks whose channels grow linearly from 16 to 56, SiLU after
the expansion, ReLU6 after the depthwise conv, SE of 1/12 from the third block, the partial residual, a 1x1 conv to 128,
dropout 0.2; SGD with Nesterov momentum 0.9 and the paper's weight decay 1e-5 at lr 0.05) on 16x16 class-template images
(10 classes, batch 32); FCN-8s (Long et al. 2015, narrowed: a VGG-style backbone of four stages of two 3x3 convs (16 to
64) with max pooling, "fc6/fc7" as convs of 128 with dropout 0.5, the FCN-8s fusion of the stride-16 score with the
scores of pool3 and pool2 through transposed convs initialised bilinear, the scoring layers zero-initialised as the
paper; SGD momentum 0.9 weight decay 5e-4 at lr 0.02, set here for the per-pixel mean) segmenting 32x32 mosaics of 4-px
cells of four classes (each a colour and a texture under N(0, 1) noise; batch 8); X3D (Feichtenhofer 2020, narrowed from
X3D-XS: the 1x3x3 + depthwise 5x1x1 stem, stages of 1, 2 and 2 bottlenecks of widths 12, 24, 48 with 2.25x expansion,
depthwise 3x3x3, SE, swish and a zero-initialised last BatchNorm, a 1x1x1 conv to 108, a Linear of 256, dropout 0.5;
Kaiming fan-out init; SGD momentum 0.9, weight decay 5e-5, at lr 0.05) classifying clips of 8 frames of a blob moving in
one of four directions (batch 8); PredRNN (Wang et al. 2017, narrowed: two ST-LSTM layers of 8 channels with 3x3
kernels, the spatiotemporal memory zigzagging through the layers and time, the reference code's forget bias 1, teacher
forcing; Adam lr 1e-3) predicting the next frame of 16x16 sequences of a bouncing blob (batch 8, seven frames in and
out, the mean squared error); NAFNet (Chen et al. 2022, narrowed: one U-level of NAFBlocks of 16 and 32 channels,
LayerNorm, SimpleGate, simplified channel attention, zero-initialised ``beta`` and ``gamma``, the global residual; AdamW
betas (0.9, 0.9) weight decay 0 at the paper's lr 1e-3, the mean squared error in place of its PSNR loss) denoising
smooth 32x32 colour fields under N(0, 0.5^2) noise (batch 8); DRRN (Tai et al. 2017, narrowed from B1U9 to one recursive
block of four units of 16 channels whose two pre-activation ReLU-conv layers are shared, the multi-path local residual
to the block's entry conv, the global residual; MSRA init; SGD lr 0.1 momentum 0.9 weight decay 1e-4 with the reference
port's adjustable clipping ``clip_grad_norm_(0.01 / lr)``, the loss ``1/2 MSE``) on x2 super-resolution of images of
4-px blocks (batch 8; the input the bicubic upsampling of the 2x2 average); and FoveaBox (Kong et al. 2020, narrowed to
one pyramid level at stride 4: a three-conv BatchNorm backbone, class and box branches of two convs of 64 with
GroupNorm(8), the focal-loss prior ``-log 99``; positives in the fovea (``sigma1 = 0.3``) plus the centre's cell,
negatives outside ``sigma2 = 0.4``, the sigmoid focal loss over the number of positives plus the smooth-L1 loss of the
log-space offsets ``log((x - x1) / z)`` ... (``z = 16``) over the positive cells; SGD momentum 0.9 weight decay 1e-4 at
the reference config's lr 0.01 for 16 images) on 32x32 scenes of one striped square object of three classes (batch 16).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every NAFNet convolution drawn N(0, 1) (init;
  the first outputs are about 1e3 and the loss 1e7), FCN-8s's backbone and fc convolution biases at -10, every ReLU dead
  (activation), DRRN's recursion unrolled to 13 units without its local residual, a plain stack of 26 convolutions (its
  two shared ones applied 13 times) at PyTorch's default init (depth; the global residual leaves the bicubic input),
  PredRNN's output gates' biases at -10 (``o = 4.5e-5``: the hidden state ``H = o tanh(...)`` that every ST-LSTM carries
  to its next step and its next layer is shut, so nothing of the earlier frames reaches the prediction through it, and
  the gate's gradient is scaled by ``sigmoid' = 4.5e-5``; recurrence), GFNet at AdamW lr 1, ReXNet at SGD lr 10, NAFNet
  at AdamW lr 1 and X3D at SGD lr 5 (lr), ReXNet without its BatchNorms at its SGD lr (normalization), ReXNet at SGD
  ``weight_decay=1`` and GFNet at AdamW ``weight_decay=50`` (regularization), FCN-8s's masks permuted within every
  batch, apart from their images (data), and X3D's clips standardised each by its own mean and std without an eps while
  every eighth batch holds a blank clip (a camera's black frames: ``0 / 0``; numeric, with data);
- **slip** (a user's mistake in gradient accumulation and batching, of a kind no earlier batch used; the loops are
  :class:`~.fresh85_builders.UserLoop`, a :class:`Setup` whose ``train_step`` is the user's own): FCN-8s's batch of 8
  run as eight micro-batches of one image whose losses are summed without the division by the number of micro-batches
  (the accumulated gradient is 8 times the batch mean's: SGD with momentum 0.9 at lr 0.02 takes the steps of lr 0.16;
  lr, the step size; ``fresh49`` tried this slip on MVCNN, where it learned, and dropped it), FoveaBox's batch of 16 run
  as sixteen micro-batches of one image whose loop keeps ``total = total + loss_i / 16`` for its log and calls
  ``total.backward(retain_graph=True)``, what PyTorch's "backward through the graph a second time" error suggests, where
  ``loss_i.backward()`` belongs (micro-batch ``i``'s gradient is counted ``16 - i`` times: the step is 136 / 16 = 8.5
  times the batch mean's, the early micro-batches weighted most; lr), and FoveaBox's box loss averaged over every cell
  of the map, the ignored and negative cells counted, the positive selection left out (the vectorised target encoding
  assigns the zero box to every cell outside a fovea, so ``x2 - x`` is negative and its ``log`` NaN: the loss and,
  through smooth-L1's gradient, every weight are NaN at step 0; numeric, with data, the undefined targets). Earlier
  accumulation and batching slips (micro-batches of 2 through BatchNorm, a sum reduction where the lr was set for the
  mean, ``zero_grad`` once per epoch or at every micro-batch, misaligned micro-batch targets, a loss scale divided out
  after clipping, clipping at 0, a mean divided again by the tokens, one speaker per batch, a sequence's pads counted in
  a loss) are not repeated: here the division by the number of micro-batches is left out, ``backward`` runs on the
  running total, and a dense detection loss averages cells whose targets are undefined. None of the slips is an init,
  activation, depth, recurrence, normalization or regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds except three: X3D standardising each clip with the eps 1e-5 on the same data with its
blank clips, FCN-8s in the same loop of eight micro-batches with the division, and FoveaBox in the same loop of sixteen
micro-batches calling ``backward`` on each micro-batch's share of the loss.

Learning criteria: GFNet, ReXNet, FCN-8s and X3D compare with chance (ten classes, four classes, four directions);
PredRNN with the video-prediction baseline of repeating the last input frame (its mean squared error 0.0076 over the
pools of seeds 0 and 1: 0.00756 and 0.00761; the criterion 0.0057); NAFNet, DRRN and FoveaBox with their first loss.
Measured plain runs, 200 steps (seed 0, seed 1; the seed-1 runs of the cases that diverge at step 1 or 2 stopped at the
failure, as ``train_plain(stop_at_failure=True)``): Healthy: GFNet 2.299 -> 0.0273 and 2.289 -> 0.0277; ReXNet 2.312 ->
0.00221 and 2.312 -> 0.00189; FCN-8s 1.386 -> 0.449 and 1.386 -> 0.425; X3D 1.439 -> 0.714 and 1.454 -> 0.893 (the
criterion 1.040); PredRNN 0.0646 -> 0.00349 and 0.0556 -> 0.00322 (the criterion 0.0057); NAFNet 0.3375 -> 0.0248 and
0.3864 -> 0.0258; DRRN 0.685 -> 0.00475 and 1.495 -> 0.00487 (MSRA's init gives a large first output); FoveaBox 1.701 ->
0.114 and 1.842 -> 0.0761. Broken: ``nafnet_init_std_1`` diverges at step 1 at both seeds (first losses 7.45e6 and
1.56e7; seed 0 run to the end falls back to 1.19e6, below 0.75 of its inflated start, after 1.98e9 at step 1);
``fcn8s_relu_biases_minus_10`` 1.386 -> 1.386 at both seeds; ``drrn_26_plain_convs_default_init`` 0.0492 -> 0.0574 and
0.0597 -> 0.0557; ``predrnn_output_gate_bias_minus_10`` 0.0503 -> 0.00796 and 0.0526 -> 0.0151 (no better than repeating
the last frame); ``gfnet_adamw_lr1``, ``rexnet_sgd_lr10``, ``nafnet_adamw_lr1`` and ``x3d_sgd_lr5`` diverge at step 1 at
both seeds (seed 0 run to the end: GFNet ends at 1.797, its weights past x10 at step 0 (at most x46.9), ReXNet at 6.601,
its weights past x10 at step 3 (at most x9.4e6), NAFNet at 1.5e25, X3D is non-finite at step 9);
``rexnet_without_batchnorm`` 2.301 -> 2.303 and 2.306 -> 2.298; ``rexnet_sgd_weight_decay_1`` 2.312 -> 2.302 at both
seeds; ``gfnet_adamw_weight_decay_50`` 2.299 -> 2.292 and 2.289 -> 2.296; ``fcn8s_masks_shuffled`` 1.386 -> 1.386 at
both seeds; ``x3d_clip_standardised_without_eps_blank_clips`` and ``foveabox_box_loss_over_every_cell`` are non-finite
at step 0 at both seeds (the loss itself); ``fcn8s_micro_batch_losses_summed_undivided`` diverges at steps 28 and 27 and
ends at 1.386 and 1.387 (the weights past x10 at step 53 at seed 0, at most x76.9; at most x2.0 at seed 1);
``foveabox_backward_on_running_total`` diverges at step 1 at both seeds (at seed 0 the weights pass x10 at step 6, at
most x25.7, and the run ends at 1.325; seed 1 recovers after its spike and ends at 0.356, below its criterion). Controls
(the non-healthy-build ones): X3D with the eps on the blank clips 1.432 -> 0.284 and 1.438 -> 0.873; FCN-8s in the loop
of eight micro-batches with the division 1.386 -> 0.451 and 1.386 -> 0.425; FoveaBox in the loop of sixteen
micro-batches 1.714 -> 0.108 and 1.873 -> 0.0827. The cases ran in 20 s to 4 minutes a seed under the load described
below (DRRN 19.5 s at a quieter moment).

Dropped or changed before the freeze (every figure above is from the final code): the machine was shared with three
other helpers' runs (load 10 to 20 on 2 cores; no timing on a quiet machine was taken), so the slowest cases were
narrowed: X3D from batch 16 (1.408 -> 0.396 at seed 0) to 8, PredRNN from 16 channels (0.1378 -> 0.0034) to 8, DRRN from
32 channels and batch 16 (7.795 -> 0.0078) to 16 and 8. The recurrence common was first PredRNN's input gates (``i`` and
``i'``) at bias -10, the memories ``C`` and ``M`` never written: it learned against its first loss (0.0770 -> 0.0211 at
seed 0) because the output gate reads the current frame, so a one-frame predictor reaches the head without any carried
state. Its criterion was then made the mean frame's loss (0.0233; the criterion 0.0175), which the output gate at -10
passed at both seeds (0.0080 and 0.0151) and the recurrent convolutions drawn N(0, 1) at seed 0 (0.0150 and 0.0214; its
``recurrent_std`` switch stays, unused); PredRNN is now judged against repeating the last frame, the usual
video-prediction baseline, which the output-gate case, its carried state shut, does not beat, and that case is kept.
NAFNet at N(0, 1) passes the learning ratio against its inflated first loss (7.45e6 -> 1.19e6 at seed 0) but diverges at
step 1 at both seeds, its declared trouble. A third accumulation slip, micro-batch slices taken with the size computed
from the configured batch on an epoch's short last batch (empty micro-batches, whose mean loss is 0/0), was considered
and not written: a check on a small BatchNorm network showed that the NaN reaches the logged loss only, never a gradient
(the backward of a mean over no samples is an empty tensor, and BatchNorm skips its statistics), so the training itself
would be unharmed. The running-total slip was first measured with eight micro-batches of two (4.5 times the step): it
diverged at step 1 and recovered at seed 0 (1.725 -> 0.350) and diverged at step 2 at seed 1; sixteen micro-batches (8.5
times) replaced it, its control re-measured. X3D without its BatchNorms was not measured to the end (the ReXNet case
covers normalization), and FoveaBox at SGD lr 1 (1.701 -> 56.15 at seed 0, diverging at step 1) was not kept: four lr
commons were enough.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh85_builders as F

P = functools.partial
HALF = "fresh85"
#: chance losses: ten classes (GFNet's and ReXNet's images), four (FCN-8s's pixels, X3D's directions); PredRNN
#: compares with repeating the last frame, NAFNet, DRRN and FoveaBox with their first loss
C10, C4 = math.log(10), math.log(4)
#: PredRNN's baseline: the mean squared error of repeating the last input frame (0.00756 and 0.00761 over the pools
#: of seeds 0 and 1)
BLOB = 0.0076
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH85_HEALTHY: list[Case] = [
    _h("gfnet_template_images", HALF, "gfnet", F.gfnet, C10),
    _h("rexnet_template_images", HALF, "rexnet", F.rexnet, C10),
    _h("fcn8s_mosaic_segmentation", HALF, "fcn8s", F.fcn8s, C4),
    _h("x3d_moving_blob_clips", HALF, "x3d", F.x3d, C4),
    _h("predrnn_moving_blob_frames", HALF, "predrnn", F.predrnn, BLOB),
    _h("nafnet_denoising", HALF, "nafnet", F.nafnet, None),
    _h("drrn_x2_super_resolution", HALF, "drrn", F.drrn, None),
    _h("foveabox_box_scenes", HALF, "foveabox", F.foveabox, None),
]

FRESH85_BROKEN: list[Case] = [
    # init
    _b("nafnet_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.nafnet, init_std=1.0), None),
    # activation
    _b("fcn8s_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.fcn8s, relu_bias=-10.0), C4),
    # depth
    _b("drrn_26_plain_convs_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.drrn, units=13, local_residual=False, default_init=True), None),
    # recurrence
    _b("predrnn_output_gate_bias_minus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.predrnn, output_bias=-10.0), BLOB),
    # lr
    _b("gfnet_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.gfnet, lr=1.0), C10),
    _b("rexnet_sgd_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.rexnet, lr=10.0), C10),
    _b("nafnet_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.nafnet, lr=1.0), None),
    _b("x3d_sgd_lr5", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.x3d, lr=5.0), C4),
    # normalization
    _b("rexnet_without_batchnorm", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.rexnet, bn=False), C10),
    # regularization
    _b("rexnet_sgd_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.rexnet, weight_decay=1.0), C10),
    _b("gfnet_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.gfnet, weight_decay=50.0), C10),
    # data
    _b("fcn8s_masks_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.fcn8s, shuffled=True), C4),
    # numeric
    _b("x3d_clip_standardised_without_eps_blank_clips", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.x3d, standardise=True, eps=0.0, blank_every=8), C4),
    # slips
    _b("fcn8s_micro_batch_losses_summed_undivided", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.fcn8s, micro=8, divide=False), C4),
    _b("foveabox_backward_on_running_total", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.foveabox, micro=16, running_total=True), None),
    _b("foveabox_box_loss_over_every_cell", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.foveabox, every_cell=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "nafnet_init_std_1": "common", "fcn8s_relu_biases_minus_10": "common",
    "drrn_26_plain_convs_default_init": "common", "predrnn_output_gate_bias_minus_10": "common",
    "gfnet_adamw_lr1": "common", "rexnet_sgd_lr10": "common", "nafnet_adamw_lr1": "common", "x3d_sgd_lr5": "common",
    "rexnet_without_batchnorm": "common", "rexnet_sgd_weight_decay_1": "common",
    "gfnet_adamw_weight_decay_50": "common", "fcn8s_masks_shuffled": "common",
    "x3d_clip_standardised_without_eps_blank_clips": "common",
    "fcn8s_micro_batch_losses_summed_undivided": "slip", "foveabox_backward_on_running_total": "slip",
    "foveabox_box_loss_over_every_cell": "slip",
}

#: the cases (half "fresh85")
FRESH85: list[Case] = FRESH85_HEALTHY + FRESH85_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "nafnet_init_std_1": F.nafnet,
    "fcn8s_relu_biases_minus_10": F.fcn8s,
    "drrn_26_plain_convs_default_init": F.drrn,
    "predrnn_output_gate_bias_minus_10": F.predrnn,
    "gfnet_adamw_lr1": F.gfnet,
    "rexnet_sgd_lr10": F.rexnet,
    "nafnet_adamw_lr1": F.nafnet,
    "x3d_sgd_lr5": F.x3d,
    "rexnet_without_batchnorm": F.rexnet,
    "rexnet_sgd_weight_decay_1": F.rexnet,
    "gfnet_adamw_weight_decay_50": F.gfnet,
    "fcn8s_masks_shuffled": F.fcn8s,
    "x3d_clip_standardised_without_eps_blank_clips": P(F.x3d, standardise=True, blank_every=8),
    "fcn8s_micro_batch_losses_summed_undivided": P(F.fcn8s, micro=8),
    "foveabox_backward_on_running_total": P(F.foveabox, micro=16),
    "foveabox_box_loss_over_every_cell": F.foveabox,
}
