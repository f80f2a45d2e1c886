"""The ninety-fourth held-out batch (half ``"fresh93"``): eight published vision architectures new to the corpus
(classification, detection, segmentation, video, low-level vision) at their usual settings, and sixteen broken
variants with one real fault each, written and labelled with plain PyTorch before gradguard was ever run on them.
Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 930_000 + seed; the models are in ``fresh93_builders``): Twins-SVT (Chu et al.
2021, narrowed to two stages: a 2x2 patch embedding to 8x8 tokens of 32, a locally-grouped attention block (windows
of 4x4, 2 heads), the PEG (a depthwise 3x3 conv), a global sub-sampled attention block (keys subsampled by a 2x2
strided conv and LayerNorm), a 2x2 patch merging to 4x4 tokens of 64 and the same pair (windows 2x2, sr 1, 4 heads),
GELU MLPs of 4x, average pooling, LayerNorm, the head; Linears truncated-normal 0.02; AdamW at lr 1e-3 and the
paper's weight decay 0.05, warm-up and cosine decay left out) on 16x16 class-template images (10 classes, batch 32),
AOD-Net (Li et al. 2017: the K-estimation module of five three-channel ReLU convs, 1x1 to 7x7, joined by the paper's
three concatenations, and ``J = ReLU(K I - K + 1)``; weights N(0, 0.02^2) as the reference PyTorch code; Adam lr 1e-3
with weight decay 1e-4, the reference's 1e-4 raised) dehazing 32x32 scenes made by the atmospheric scattering model
(MSE, batch 8), S3D-G (Xie et al. 2018, narrowed: separable ``1 x 3 x 3`` then ``3 x 1 x 1`` convs with BN and ReLU,
a stem of 16 with stride 2 and 32, two gated Inception blocks of three branches (the max-pool branch and the max
pools left out), global average pooling, dropout 0.2, the 1x1x1 logits conv; SGD momentum 0.9 at lr 0.1, I3D's,
weight decay 1e-4) classifying the direction of a moving blob in 8-frame 16x16 clips (4 classes, batch 16), DRCN
(Kim, Lee and Lee 2016, narrowed: an embedding net of two 3x3 ReLU convs of 16, one 3x3 ReLU conv applied
recursively 8 times with shared weights, a shared reconstruction net on every recursion with the input skip, the
learned weighted average of the 8 predictions, recursive supervision at alpha 0.5 held fixed; He init; Adam lr 3e-3,
set here) on x2 super-resolution of smooth 16x16 scenes (the low-resolution image upsampled by nearest neighbour, not
bicubic, so the network does the interpolation; batch 8), U^2-Net (Qin et al. 2020, narrowed to three levels of
residual U-blocks, RSU-4, RSU-3 and a dilated RSU-2, mid 8 and out 16, the decoder's RSU-3 and RSU-4, three side
logit maps and their 1x1 fusion, deep supervision by the sum of the four binary cross-entropies; Adam at the paper's
lr 1e-3, betas (0.9, 0.999), eps 1e-8) segmenting one textured ellipse in cluttered 32x32 scenes (batch 8), Restormer
(Zamir et al. 2022, narrowed to two levels: transformer blocks of multi-Dconv head transposed attention (channel
attention of L2-normalised queries and keys with a learned temperature) and the gated-Dconv feed-forward network
(GELU gate, expansion 2.66), channel LayerNorms, pixel-unshuffle down and pixel-shuffle up with the skip concatenated,
a refinement block, the global residual; AdamW betas (0.9, 0.999) with the paper's weight decay 1e-4 at lr 1e-3, its
3e-4 raised, cosine decay left out) denoising 16x16 grey scenes under N(0, 0.4^2) noise (L1, batch 8), SimVP (Gao
et al. 2022, narrowed: ConvSC encoder (3x3 conv, GroupNorm, LeakyReLU 0.2; stride 2 to 8x8), a translator of two
Inception modules (group convs of 3, 5 and 7) over the four frames' stacked channels, the ConvSC-transpose decoder with
the first encoder layer's skip, a 1x1 readout; every input sequence standardised by its own mean and std plus eps
1e-5 and the prediction mapped back, as RevIN does; Adam lr 1e-3, the paper's one-cycle 0.01 left out) predicting 4
frames of two wrapping blobs from 4 (MSE, batch 8; the first sequence of every batch is blank, a dead sensor) and
CornerNet (Law and Deng 2018, narrowed to one class and one object per image: a stem of a conv-BN-ReLU and a residual
module of 16 at stride 2, an hourglass of depth 2, the top-left and bottom-right corner pooling modules
(``cummax`` towards the corner along rows and columns) and their heatmap heads (a 3x3 ReLU conv, a 1x1 conv with the
bias -2.19); its focal loss (alpha 2, beta 4, Gaussian-reduced negatives, probabilities clamped to [1e-4, 1 - 1e-4])
divided by the number of corners; offsets and embeddings left out; Adam lr 1e-3, the paper's 2.5e-4 raised) finding
the corners of one rectangle in 32x32 scenes (16x16 heatmaps, batch 8).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Restormer conv drawn N(0, 1) (init),
  AOD-Net's conv biases at -10, every ReLU of the K-estimation module dead (``K = 0`` and ``J = 1`` whatever the
  input; activation), Twins-SVT's classifier behind 30 plain ReLU Linears of 64 at PyTorch's default init (depth),
  DRCN's recursive conv at 3 times its He init (every recursion multiplies the carried state by about 3, so the eighth
  state is thousands of times the first; recurrence), Twins-SVT at AdamW lr 1, U^2-Net at Adam lr 1, Restormer at
  AdamW lr 1 and SimVP at Adam lr 1 (lr), S3D-G without its BatchNorms at its SGD lr 0.1 (normalization, with lr),
  Restormer at AdamW ``weight_decay=50`` (regularization), S3D-G's and Twins-SVT's labels permuted within every batch,
  apart from their clips and images (data), and SimVP's per-sequence standardisation without its eps while every
  batch holds a blank sequence (``0 / 0``; numeric, with data);
- **slip** (a user's mistake in choosing or placing an output layer or activation, of a kind no earlier batch used):
  U^2-Net's side-output and fusion convs followed by a ReLU, written like every other conv of the file (the logits
  fed to ``binary_cross_entropy_with_logits`` cannot go below 0, so every background pixel, about nine in ten, keeps a
  probability of at least 0.5 and a loss of at least ``ln 2``; the units are cut exactly where the background needs
  them: activation); CornerNet's two corner heatmaps stacked and turned into probabilities by ``softmax(1)``, over
  the corner types, where each map takes its own sigmoid (the top-left and bottom-right maps are independent binary
  maps, but a softmax makes them sum to 1 at every cell, so at least one of the two is 0.5 or more at every
  background cell and the focal loss's negative term cannot fall; activation, the output layer); and AOD-Net's
  clean image rounded to 8-bit levels in the forward, ``round(J * 255) / 255``, so that training "sees what is
  saved" (``round`` has a zero derivative everywhere it has one: no gradient reaches any weight, and the
  network never leaves its start; activation, a zero-gradient output op). Earlier output and activation slips (a
  sigmoid before ``BCEWithLogitsLoss`` or ``cross_entropy``, a sigmoid on an LM's logits or a Q-head, a softmax ending
  a classifier, a softmax over one unit, ``torch.sign`` and threshold units without a straight-through estimator,
  ``LogSigmoid`` for ``Sigmoid``, a squared ReLU) are not repeated: here a ReLU on a logit map, a softmax across
  independent binary maps, and a rounding of the output. None of the slips is an init, depth, recurrence, lr,
  normalization, regularization, data or numeric one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds.

Learning criteria: Twins-SVT and S3D-G compare with chance (ten and four classes); DRCN and Restormer with the loss of
the trivial prediction, the input itself (``SR_INPUT``: the nearest-upsampled image's MSE, 0.0439 at both seeds;
``NOISE_L1``: the noise's L1, ``0.4 sqrt(2 / pi) = 0.319``), since the fall from their first losses is mostly their
initial outputs' noise being removed; the others with their first loss. Measured plain runs, 200 steps (seed 0, seed 1):
Twins-SVT 2.294 -> 0.0280 and 2.285 -> 0.0288; AOD-Net 0.2968 -> 0.0347 and 0.3301 -> 0.0328; S3D-G 1.360 -> 0.0218 and
1.383 -> 0.0014; DRCN 0.4721 -> 0.0158 and 1.958 -> 0.0169 (the criterion 0.0329); U^2-Net 3.237 -> 0.1346 and 2.813 ->
0.1418; Restormer 0.3274 -> 0.1256 and 0.3582 -> 0.1247 (the criterion 0.239); SimVP 0.0649 -> 0.0070 and 0.0693 ->
0.0065; CornerNet 2.156 -> 0.0040 and 2.087 -> 0.0032. Broken: ``restormer_init_std_1`` 9.70e5 -> 8.60e4 and 7.46e5 ->
6.05e4 (no divergence); ``aod_net_relu_biases_minus_10`` 0.2970 -> 0.3032 and 0.3304 -> 0.3051;
``twins_svt_30_relu_head_layers_default_init`` 2.303 -> 2.301 and 2.303 -> 2.298; ``drcn_recursion_radius_3`` 4.27e6 ->
402.9 and 2.56e7 -> 1428 (no divergence); ``twins_svt_adamw_lr1`` diverges at step 1 at both seeds (ends 2.334 and
2.335; weights x41 at step 0); ``u2net_adam_lr1`` diverges at step 1 at both seeds (ends 0.610 and 0.562; weights x64 at
step 0); ``restormer_adamw_lr1`` diverges at step 1 at both seeds (ends 1.3e12 and 1.4e14; weights x102 and x116 at step
1); ``simvp_adam_lr1`` diverges at step 1 at both seeds (ends 0.0457 and 0.0299; weights x76 and x79 at step 0);
``s3d_g_without_batchnorm`` 1.331 -> 1.455 and 1.418 -> 1.401; ``restormer_adamw_weight_decay_50`` 0.3274 -> 0.3116 and
0.3582 -> 0.3122; ``s3d_g_labels_shuffled`` 1.379 -> 1.400 and 1.388 -> 1.394; ``twins_svt_labels_shuffled`` 2.305 ->
2.197 and 2.284 -> 2.137 (the criterion 1.713); ``simvp_standardised_without_eps`` is non-finite at step 0 at both seeds
(the loss itself); ``u2net_relu_on_side_logits`` 3.399 -> 2.799 and 3.045 -> 2.697 (the criteria 2.549 and 2.284);
``cornernet_softmax_across_corner_maps`` 43.79 -> 41.22 and 43.65 -> 41.19; ``aod_net_output_rounded_to_8_bit`` 0.2970
-> 0.3032 and 0.3304 -> 0.3051 (the same trace as the dead ReLUs: both leave ``J = 1``, and the weight decay moves the
weights only a little). The cases ran in 5 to 85 s a seed on a machine shared with three other helpers' runs (load 5 to
8 on 2 cores); U^2-Net and Restormer are the slowest.

Dropped or changed before the freeze (every figure above is from the final code): Restormer trained on 32x32 scenes,
CornerNet with 32 channels and batches of 16 and SimVP with batches of 16 took 50 to 60 s a seed and were narrowed.
DRCN first trained on block images with bicubic inputs, where it ended only 5% below the bicubic input's MSE (0.0132
against 0.0140); it now interpolates nearest-upsampled smooth scenes at lr 3e-3 (at 1e-3 it ended 0.0235 and 0.0328,
too near the criterion). The init common was tried on Twins-SVT (every Linear and conv N(0, 1): 5.47 -> 1.403 and
7.17 -> 1.233, learned) and on AOD-Net (learned at seed 0: 0.258 -> 0.122); both switches stay, unused. The depth
common was first CornerNet with 30 plain ReLU convs in each head (learned at seed 1: 2.121 -> 1.483); its
``head_depth`` switch stays, unused. The second data common was first CornerNet's heatmaps permuted within the batch:
it learned the corners' spatial prior (2.142 -> 0.859 and 2.062 -> 0.755) and was replaced by Twins-SVT's labels.
Two slips were written, measured and dropped: S3D-G with every ReLU left out, meant to collapse the network into one
linear map, learned (1.365 -> 0.174 and 1.420 -> 0.057: the S3D-G gates multiply each branch by a function of its own
pooled features, a quadratic, motion-energy-like term, so the network is not linear), and SimVP's readout passed
through a sigmoid, the range of raw frames, after the frames were standardised (0.0739 -> 0.0283 and 0.0616 ->
0.0265, learned); their ``relu`` and ``sigmoid_out`` switches stay, unused, and the AOD-Net rounding took their place.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh93_builders as F

P = functools.partial
HALF = "fresh93"
#: chance losses: ten classes (Twins-SVT's images), four (S3D-G's directions); the trivial predictions' losses (the
#: input itself): DRCN's nearest-upsampled image (MSE) and Restormer's noisy image (L1, ``0.4 sqrt(2 / pi)``)
C10, C4 = math.log(10), math.log(4)
SR_INPUT, NOISE_L1 = 0.0439, 0.319
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH93_HEALTHY: list[Case] = [
    _h("twins_svt_template_images", HALF, "twins_svt", F.twins, C10),
    _h("aod_net_dehazing", HALF, "aod_net", F.aod_net, None),
    _h("s3d_g_motion_direction", HALF, "s3d_g", F.s3d, C4),
    _h("drcn_x2_super_resolution", HALF, "drcn", F.drcn, SR_INPUT),
    _h("u2net_salient_objects", HALF, "u2net", F.u2net, None),
    _h("restormer_denoising", HALF, "restormer", F.restormer, NOISE_L1),
    _h("simvp_moving_blobs", HALF, "simvp", F.simvp, None),
    _h("cornernet_rectangle_corners", HALF, "cornernet", F.cornernet, None),
]

FRESH93_BROKEN: list[Case] = [
    # init
    _b("restormer_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.restormer, init_std=1.0), NOISE_L1),
    # activation
    _b("aod_net_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.aod_net, relu_bias=-10.0), None),
    # depth
    _b("twins_svt_30_relu_head_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.twins, head_depth=30), C10),
    # recurrence
    _b("drcn_recursion_radius_3", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.drcn, radius=3.0), SR_INPUT),
    # lr
    _b("twins_svt_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.twins, lr=1.0), C10),
    _b("u2net_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.u2net, lr=1.0), None),
    _b("restormer_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.restormer, lr=1.0), NOISE_L1),
    _b("simvp_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.simvp, lr=1.0), None),
    # normalization
    _b("s3d_g_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.s3d, bn=False), C4),
    # regularization
    _b("restormer_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.restormer, weight_decay=50.0), NOISE_L1),
    # data
    _b("s3d_g_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.s3d, shuffled=True), C4),
    _b("twins_svt_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.twins, shuffled=True), C10),
    # numeric
    _b("simvp_standardised_without_eps", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.simvp, eps=0.0), None),
    # slips: activation
    _b("u2net_relu_on_side_logits", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.u2net, relu_heads=True), None),
    _b("cornernet_softmax_across_corner_maps", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.cornernet, softmax=True), None),
    _b("aod_net_output_rounded_to_8_bit", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.aod_net, quantise=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "restormer_init_std_1": "common", "aod_net_relu_biases_minus_10": "common",
    "twins_svt_30_relu_head_layers_default_init": "common", "drcn_recursion_radius_3": "common",
    "twins_svt_adamw_lr1": "common", "u2net_adam_lr1": "common", "restormer_adamw_lr1": "common",
    "simvp_adam_lr1": "common", "s3d_g_without_batchnorm": "common", "restormer_adamw_weight_decay_50": "common",
    "s3d_g_labels_shuffled": "common", "twins_svt_labels_shuffled": "common",
    "simvp_standardised_without_eps": "common",
    "u2net_relu_on_side_logits": "slip", "cornernet_softmax_across_corner_maps": "slip",
    "aod_net_output_rounded_to_8_bit": "slip",
}

#: the cases (half "fresh93")
FRESH93: list[Case] = FRESH93_HEALTHY + FRESH93_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "restormer_init_std_1": F.restormer,
    "aod_net_relu_biases_minus_10": F.aod_net,
    "twins_svt_30_relu_head_layers_default_init": F.twins,
    "drcn_recursion_radius_3": F.drcn,
    "twins_svt_adamw_lr1": F.twins,
    "u2net_adam_lr1": F.u2net,
    "restormer_adamw_lr1": F.restormer,
    "simvp_adam_lr1": F.simvp,
    "s3d_g_without_batchnorm": F.s3d,
    "restormer_adamw_weight_decay_50": F.restormer,
    "s3d_g_labels_shuffled": F.s3d,
    "twins_svt_labels_shuffled": F.twins,
    "simvp_standardised_without_eps": F.simvp,
    "u2net_relu_on_side_logits": F.u2net,
    "cornernet_softmax_across_corner_maps": F.cornernet,
    "aod_net_output_rounded_to_8_bit": F.aod_net,
}
