"""The fiftieth held-out batch (half ``"fresh49"``): eight published architectures new to the corpus at their usual
settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, over vision classification, detection, keypoints, video, 3-D shapes and
sequence labelling; the settings are the paper's or its reference code's unless said; the data are synthetic, drawn
from the seeds 490_000 + seed, and every model is initialised under ``torch.manual_seed(490_000 + seed)``):
LambdaResNet (Bello 2021, narrowed: a 3x3 stem of 16 with BatchNorm and max pooling, two bottleneck blocks whose 3x3
convolution is a global-context lambda layer (4 heads, k 16, u 1, batch-normalised queries and values, keys
softmaxed over the 64 positions, the position lambdas from N(0, 1) embeddings) of 32 and 64 channels, the last
BatchNorm of each block zero-initialised; SGD momentum 0.9, lr 0.1, weight decay 1e-4, label smoothing 0.1, the
ResNet recipe the paper's runs follow) on 16x16 class-template images (10 classes, batch 16), FCOS (Tian et al. 2019,
narrowed to one stride-4 level: a three-convolution BatchNorm backbone, classification and regression towers of two
GroupNorm convolutions, ``exp(s x)`` distances with a learned scale, centerness on the regression tower, head
convolutions N(0, 0.01^2) and the prior-0.01 classification bias; the focal loss (0.25, 2) over the positives'
count, the IoU loss and the centerness BCE; SGD momentum 0.9 weight decay 1e-4 at the paper's lr 0.01, in an fp16
recipe's set-up kept in fp32: a static loss scale 2^16 divided out before mmdetection's ``grad_clip`` at norm 35) on
32x32 scenes of one coloured box (3 classes), the simple baseline for pose estimation (Xiao, Wu and Wei 2018,
narrowed: a small ResNet to 4x4, two 4x4 stride-2 transposed convolutions with BatchNorm and ReLU and a 1x1
heatmap convolution, the head N(0, 0.001^2) as the reference code; ``JointsMSELoss``, Adam at the paper's lr 1e-3)
on images of four coloured joint blobs (heatmaps at 16x16, batch 16), TRN (Zhou et al. 2018, narrowed: a BatchNorm
frame CNN whose 4x4 map is flattened (no global pooling), dropout 0.8 and a Linear to 64, the multi-scale relations
``g_d`` over every ordered 4-, 3- and 2-frame tuple, summed; SGD momentum 0.9 weight decay 5e-4 at the reference
code's lr 1e-3 with its ``--clip-gradient 20``) on 4-frame clips of a blob moving in one of four directions, MVCNN
(Su et al. 2015, narrowed: a shared CNN of three convolutions 16, 32, 64 with ReLU and max pooling on 12x12
renderings, max view pooling over four views, ``Linear(64, 128)``, ReLU, dropout 0.5; PyTorch's default init; SGD
momentum 0.9 weight decay 5e-4 at lr 0.01 set here, the batch of 32 as four accumulated micro-batches of 8, each
loss divided by 4) on four views round the vertical axis of six 3-D shape classes, the occupancy network (Mescheder
et al. 2019, narrowed: the simple PointNet encoder to a code of 32 and the conditional-BatchNorm decoder of three
ResNet blocks of 64, the reference's zero inits; the BCE summed over the 128 query points; Adam at lr 1e-3 set here,
see below) completing axis-aligned ellipsoids from 64 surface points (queries half inside, half outside), TENER
(Yan et al. 2019, narrowed: embeddings of 64, two layers of the un-scaled relative attention with directional
sinusoids and unprojected keys, 4 heads of 16, post-norm, a ReLU feed-forward of 2x, dropout 0.15 and 0.4 before
the output, the CRF left out; PyTorch's default init; Adam lr 1e-3, betas (0.9, 0.99), set here) tagging padded
sentences of 10 to 16 tokens whose entity type is told only by the trigger word before each span (9 BIO tags), and
the Elman slot filler (Mesnil et al. 2013 as its Theano tutorial: a context window of three 50-dimensional
embeddings, a sigmoid Elman layer of 100, a softmax over the tags, every weight ``0.2 U(-1, 1)``; plain SGD at lr
0.4 set here for batches of 32) tagging utterances whose content words take the slot of the latest marker, however
far back (5 tags).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh48``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every TENER embedding and Linear weight
  drawn N(0, 1) (init), every TRN relation's first Linear biased -10 (every unit of its ReLU dead; activation),
  MVCNN's shared CNN 30 convolutions deep at PyTorch's default init (depth), the Elman layer's recurrent weights
  drawn ``3 U(-1, 1)`` instead of ``0.2 U(-1, 1)`` (its sigmoids saturate in a chaotic state; recurrence), FCOS at
  SGD lr 1, LambdaResNet at SGD lr 10 and the occupancy network at Adam lr 1 (lr), LambdaResNet without its
  BatchNorms at SGD lr 0.3, a lr at which the BatchNorm LambdaResNet trains (normalization), the simple baseline at
  Adam ``weight_decay=1`` and LambdaResNet at SGD ``weight_decay=0.5`` (regularization), LambdaResNet's classes
  permuted within every batch, apart from their images (data), and TENER fed two empty sentences a batch (blank
  lines read as sentences, all pad): the reference code's ``masked_fill(mask, -inf)`` leaves their attention rows
  all ``-inf``, the softmax is ``0 / 0``, and the NaN reaches every weight through the first backward although the
  loss skips the pads (numeric, the data a second cause);
- **slip** (a user's mistake in gradient-accumulation, clipping or loss-scaling code, of a kind no earlier batch
  used): FCOS's hand-written fp16 loop dividing the loss scale 2^16 out of the gradients after
  ``clip_grad_norm_(params, 35)`` instead of before: the clip sees the scaled norm, always far above 35, and the
  step that reaches SGD is at most ``35 / 65536`` long (an unscale placed after the clip; lr), TRN trained with
  ``--clip-gradient 0`` meant as "no clipping" (a habit from frameworks where 0 disables it), which the reference
  code passes on to ``clip_grad_norm_(params, 0)``: every gradient is scaled to zero and only the weight decay moves
  the weights (a config's "off" value taken literally; lr), MVCNN's accumulation loop with ``optimizer.zero_grad()``
  at the top of every micro-batch instead of once before them: only the last micro-batch's gradient, divided by 4,
  reaches the step (a quarter of a micro-batch's step; lr), and MVCNN's micro-batches sliced ``x[i * m:(i + 1) *
  m]`` but ``y[i:i + m]``: the first micro-batch's targets are right, the other three's belong to other samples
  (an index typo in the accumulation loop; data). Three of the slips are lr ones and one a data one; none is an
  init, activation, depth, recurrence, normalization, regularization or numeric one. The loops are
  ``fresh49_builders.UserLoop``, a :class:`Setup` whose ``train_step`` is the user's own loop (with a guard, the
  guard steps the optimizer, as in ``Setup.train_step``).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds but LambdaResNet without BatchNorm's, the BatchNorm LambdaResNet at SGD lr 0.3
(2.277 -> 0.532 and 2.356 -> 0.529).

Learning criteria: the classifiers and taggers compare with chance (LambdaResNet's ten classes, TRN's four
directions, MVCNN's six shapes, TENER's nine tags, the slot filler's five); FCOS, the simple baseline and the
occupancy network compare with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): LambdaResNet 2.277
-> 0.555 and 2.356 -> 0.548; FCOS 3.091 -> 0.796 and 3.274 -> 0.768; the simple baseline 3.46e-3 -> 3.4e-4 and
3.44e-3 -> 8.4e-4; TRN 2.179 -> 2.8e-3 and 2.328 -> 3.2e-3; MVCNN 1.787 -> 0.161 and 1.793 -> 0.128; the occupancy
network 86.72 -> 33.22 and 90.39 -> 27.50; TENER 2.468 -> 0.361 and 2.432 -> 0.366; the Elman slot filler 1.791 ->
1.033 and 1.674 -> 1.067 (the criterion 1.207). Broken: ``tener_init_std_1`` 11.16 -> 5.135 and 15.03 -> 5.297 (no
divergence); ``trn_relation_biases_minus_10`` 1.441 -> 1.393 and 1.494 -> 1.382;
``mvcnn_30_convolutions_default_init`` 1.773 -> 1.792 and 1.784 -> 1.784; ``elman_recurrent_weights_uniform_3``
diverges at steps 2 and 3 (ends 1.683 and 2.056); ``fcos_sgd_lr1`` is non-finite at step 1 at both seeds;
``lambda_resnet_sgd_lr10`` diverges at step 1 at both seeds (ends 7.92 and 5.70; weights x11 and x13 by steps 178
and 26); ``occupancy_network_adam_lr1`` diverges at step 1 at both seeds (ends 88.72, the constant prediction's
loss; weights x59 and x57); ``fcos_loss_scale_divided_after_clipping`` 3.091 -> 3.126 and 3.274 -> 3.226;
``trn_clip_gradient_0_meant_as_off`` 2.179 -> 2.886 and 2.328 -> 2.759 (the dropout's noise; the weights never
move); ``mvcnn_zero_grad_inside_accumulation`` 1.787 -> 1.751 and 1.793 -> 1.756;
``lambda_resnet_without_batchnorm_sgd_lr0.3`` 2.360 -> 2.342 and 2.316 -> 2.364 (no divergence);
``simple_baseline_adam_weight_decay_1`` 3.46e-3 -> 3.42e-3 and 3.44e-3 -> 3.42e-3;
``lambda_resnet_sgd_weight_decay_0.5`` 2.277 -> 2.305 and 2.356 -> 2.302; ``lambda_resnet_labels_shuffled`` 2.245
-> 2.256 and 2.332 -> 2.232; ``mvcnn_micro_batch_targets_misaligned`` 1.757 -> 1.783 and 1.824 -> 1.790;
``tener_empty_sentences_fully_masked`` is non-finite at step 0 at both seeds (the weights after the first step; the
loss itself, 2.510 and 2.455, is finite). Timed side by side with ``fresh36``'s ECA-Net on this shared machine
(50 steps each, times 4: ECA-Net 17.9 s for 200 steps then, against its 4.5 s when ``fresh36`` was frozen), the
builds are faster: MVCNN's 30-convolution case 15.6 s, the occupancy network 6.2 s, LambdaResNet, FCOS, the simple
baseline, MVCNN and TENER 3.5 to 4 s; TRN and the slot filler were faster still in the verification runs.

Dropped or changed before the freeze (every figure above is from the final code): TRN first ran on random smooth
patterns moving two pixels a frame, with globally pooled frame features (which cannot see a translation) and at lr
0.01: it did not learn (2.892 -> 1.476 at seed 0); flattening the pooled map, dropout 0.5 or 0, three pixels a
frame and the lrs 1e-3 to 5e-2 did not help (1.12 to 1.79 at seed 0; 0.704 at lr 2e-3 without dropout), so the clips
are a moving blob and the lr the reference's 1e-3. The occupancy network at the paper's Adam lr 1e-4 barely learned
(86.72 -> 63.62 at seed 0, the criterion 65.04); it runs at 1e-3. The occupancy network's "stuck" level (the mean
shape, about 64 to 68) lies near its criterion, so its weight-decay commons were dropped: Adam ``weight_decay`` 1
(64.65 and 63.34, learned), 10 (65.56 and 64.24) and 100 (68.60 and 67.49, the criteria 65.04 and 67.79) split or
passed. TENER at Adam lr 1 learned after a spike (1.491 and 1.568, the criterion 1.648) and was replaced by the
occupancy network at lr 1 (TENER at lr 10 diverged at step 1); TENER at Adam ``weight_decay=1`` learned (1.525 and
1.462), as did TENER without its LayerNorms (0.429 and 0.414). The normalization common was hard to find:
LambdaResNet without its BatchNorms at its own lr 0.1 learned (0.852 and 0.690), as did the simple baseline without
them (in a first layout with 32x32 heatmaps: 9.3e-4 and 6.5e-4), FCOS without its BatchNorms and GroupNorms (1.265
and 1.317) and TRN without its BatchNorms (0.0083 and 0.011); the case is LambdaResNet at lr 0.3, where the
BatchNorm version learns. The ``ln``, ``bn``, ``norm`` and ``weight_decay`` switches of those trials stay in the
code, unused. FCOS's loss scale was first mmdetection's static fp16 scale 512: with it the unscale-after-clip slip
learned (1.216 and 1.232), the clipped norm 35 / 512 being still a usable step; at 2^16 it does not. A fifth slip,
MVCNN's accumulation without the division by the number of micro-batches (four micro-batches: 0.800 and 0.266,
diverging at step 150 of seed 1 but learning; eight: 0.783 and 0.518) learned and was dropped (``UserLoop.divide``
stays). The Elman slot filler at lr 0.5 spiked at step 4 of seed 1 (a divergence by the corpus' rule in a healthy
run); at 0.3 it learned with thin margins (1.107 and 1.128 against 1.207); it runs at 0.4. The simple baseline's
heatmaps were at 32x32 first and MVCNN's extra convolutions at 12x12 (both too slow: 21 to 27 s and 48 to 75 s a
seed under the load then); both were narrowed, and the simple baseline's weight-decay case re-measured. No numeric
common on the simple baseline's heatmaps: ``fresh34`` divided heatmaps by their sums with a joint out of view.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh49_builders as F

P = functools.partial
HALF = "fresh49"
#: chance losses: ten classes (LambdaResNet's images), four (TRN's directions), six (MVCNN's shapes), nine tags
#: (TENER's), five (the Elman slot filler's); FCOS, the simple baseline and the occupancy network have none (their
#: first loss is the reference)
C10, C4, C6, TAGS9, TAGS5 = math.log(10), math.log(4), math.log(6), math.log(9), math.log(5)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH49_HEALTHY: list[Case] = [
    _h("lambda_resnet_images", HALF, "lambda_resnet", F.lambda_resnet, C10),
    _h("fcos_one_box_scenes", HALF, "fcos", F.fcos, None),
    _h("simple_baseline_pose", HALF, "simple_baseline_pose", F.simple_baseline, None),
    _h("trn_moving_blobs", HALF, "trn", F.trn, C4),
    _h("mvcnn_shape_views", HALF, "mvcnn", F.mvcnn, C6),
    _h("occupancy_network_ellipsoids", HALF, "occupancy_network", F.occnet, None),
    _h("tener_entities", HALF, "tener", F.tener, TAGS9),
    _h("elman_slot_filling", HALF, "elman_slot_filler", F.elman, TAGS5),
]

FRESH49_BROKEN: list[Case] = [
    # init
    _b("tener_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.tener, init_std=1.0), TAGS9),
    # activation
    _b("trn_relation_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.trn, relation_bias=-10.0), C4),
    # depth
    _b("mvcnn_30_convolutions_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.mvcnn, layers=28), C6),
    # recurrence
    _b("elman_recurrent_weights_uniform_3", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.elman, recurrent_scale=3.0), TAGS5),
    # lr
    _b("fcos_sgd_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fcos, lr=1.0), None),
    _b("lambda_resnet_sgd_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.lambda_resnet, lr=10.0), C10),
    _b("occupancy_network_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.occnet, lr=1.0), None),
    _b("fcos_loss_scale_divided_after_clipping", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.fcos, unscale_after_clip=True), None),
    _b("trn_clip_gradient_0_meant_as_off", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.trn, clip=0.0), C4),
    _b("mvcnn_zero_grad_inside_accumulation", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.mvcnn, zero_grad_each=True), C6),
    # normalization
    _b("lambda_resnet_without_batchnorm_sgd_lr0.3", HALF, ("normalization", "lr"), BOTH, STUCK,  # kind: common
       P(F.lambda_resnet, bn=False, lr=0.3), C10),
    # regularization
    _b("simple_baseline_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.simple_baseline, weight_decay=1.0), None),
    _b("lambda_resnet_sgd_weight_decay_0.5", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.lambda_resnet, weight_decay=0.5), C10),
    # data
    _b("lambda_resnet_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.lambda_resnet, shuffled=True), C10),
    _b("mvcnn_micro_batch_targets_misaligned", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.mvcnn, misaligned=True), C6),
    # numeric
    _b("tener_empty_sentences_fully_masked", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.tener, empty=2), TAGS9),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "tener_init_std_1": "common", "trn_relation_biases_minus_10": "common",
    "mvcnn_30_convolutions_default_init": "common", "elman_recurrent_weights_uniform_3": "common",
    "fcos_sgd_lr1": "common", "lambda_resnet_sgd_lr10": "common", "occupancy_network_adam_lr1": "common",
    "fcos_loss_scale_divided_after_clipping": "slip", "trn_clip_gradient_0_meant_as_off": "slip",
    "mvcnn_zero_grad_inside_accumulation": "slip", "lambda_resnet_without_batchnorm_sgd_lr0.3": "common",
    "simple_baseline_adam_weight_decay_1": "common", "lambda_resnet_sgd_weight_decay_0.5": "common",
    "lambda_resnet_labels_shuffled": "common", "mvcnn_micro_batch_targets_misaligned": "slip",
    "tener_empty_sentences_fully_masked": "common",
}

#: the cases (half "fresh49")
FRESH49: list[Case] = FRESH49_HEALTHY + FRESH49_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "tener_init_std_1": F.tener,
    "trn_relation_biases_minus_10": F.trn,
    "mvcnn_30_convolutions_default_init": F.mvcnn,
    "elman_recurrent_weights_uniform_3": F.elman,
    "fcos_sgd_lr1": F.fcos,
    "lambda_resnet_sgd_lr10": F.lambda_resnet,
    "occupancy_network_adam_lr1": F.occnet,
    "fcos_loss_scale_divided_after_clipping": F.fcos,
    "trn_clip_gradient_0_meant_as_off": F.trn,
    "mvcnn_zero_grad_inside_accumulation": F.mvcnn,
    "lambda_resnet_without_batchnorm_sgd_lr0.3": P(F.lambda_resnet, lr=0.3),
    "simple_baseline_adam_weight_decay_1": F.simple_baseline,
    "lambda_resnet_sgd_weight_decay_0.5": F.lambda_resnet,
    "lambda_resnet_labels_shuffled": F.lambda_resnet,
    "mvcnn_micro_batch_targets_misaligned": F.mvcnn,
    "tener_empty_sentences_fully_masked": F.tener,
}
