"""The fifty-second held-out batch (half ``"fresh51"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, over vision classification, segmentation and super-resolution, speech,
graphs and tables; the settings are the paper's or its reference code's unless said; the data are synthetic, drawn
from the seeds 510_000 + seed, and the weights are drawn after ``torch.manual_seed(510_000 + seed)``): HorNet (Rao et
al. 2022, narrowed to one stage: a 2x2 stride-2 stem to 32 with a channels-first LayerNorm, two blocks of the
recursive gated convolution ``g^3 Conv`` (``proj_in``, a 7x7 depth-wise convolution times 1/3, the gated recursion
over the widths 8, 16, 32, ``proj_out``) and a 4x GELU MLP, LayerScale 1e-6, a final LayerNorm, pooling and a Linear;
trunc-normal(0.02) weights as the reference's ``_init_weights``; AdamW at the reference's lr 4e-3 and weight decay
0.05 without its warm-up and cosine schedule) classifying mosaics (16 fixed 4x4 tiles on a 4x4 grid, each of 10
classes a fixed permutation of the same tiles, plus noise), PeleeNet (Wang, Li and Ling 2018, narrowed: the stem
block, two stages of two two-way dense layers (growth 16) closed by 1x1 transitions, Conv-BN-ReLU throughout, He
fan-out init; SGD lr 0.18, momentum 0.9, weight decay 5e-4, the paper's ImageNet values as recalled here (its
reference code's defaults are 0.1 and 1e-4), its cosine schedule left out) on 16x16 class-template images (10
classes), BiSeNet (Yu et al. 2018, narrowed: the three-convolution spatial path to 1/8, a small stride-2 context
path to 1/16 and 1/32 with both attention refinement modules and the global-pooled tail, the feature fusion module
and a head upsampled x8; Kaiming (a = 1) convolutions as the reference code; SGD at the paper's lr 0.025, momentum
0.9, weight decay 1e-4 without its poly schedule; the auxiliary heads and losses left out) segmenting 32x32 scenes
of three classes (blobby regions, each class a fixed colour under N(0, 1) noise), CARN (Ahn, Kang and Sohn 2018,
narrowed: the mean shift, an entry convolution to 32, two cascading blocks of two residual blocks inside the global
cascade with their 1x1 fusions, the x2 pixel-shuffle upsampler and an exit convolution; PyTorch's default init; the
paper's L1 loss, Adam at lr 1e-3, set here, the paper's 1e-4 being for 600k steps) super-resolving 8x8 images to
16x16, the LSTMP acoustic model (Sak, Senior and Beaufays 2014, narrowed: two LSTM layers of 64 cells with recurrent
projection layers of 16 (``nn.LSTM(proj_size=16)``), every weight uniform in [-0.02, 0.02] as the paper, the last
frame classifying; Adam at lr 3e-3 set here, the paper's asynchronous SGD not being a single-machine optimiser)
spotting four keywords (fixed 40-bin log-mel templates in the first 10 of 20 frames, the readout 10 frames after the
keyword), DeeperGCN (Li et al. 2020, narrowed: a Linear encoder to 64, four GENConv layers (softmax aggregation of
``relu(h_j) + 1e-7`` with a learnable inverse temperature, the update MLP with BatchNorm) in the pre-activation
residual ``res+`` order, BatchNorms, dropout 0.2 set here; Adam at the reference code's lr 0.01) and Graph U-Nets
(Gao and Ji 2019, narrowed: GCN layers of 32 with the ``A + 2I`` normalisation, two gPool layers keeping half the
nodes (gated by ``sigmoid(y)``, the pooled graph's connectivity augmented to its second power), a bottom GCN, two
gUnpool layers summed with their skips, dropout 0.3; Adam lr 0.01 with weight decay 1e-3, values of the paper's
kind) classifying the nodes of a 300-node stochastic block model with weak features (loss over the training half),
and TabR (Gorishniy et al. 2024, narrowed: a Linear encoder to 64, the retrieval module (keys ``W_K(LN(x))``, the 16
nearest rows of the training table by ``-|k - k_i|^2``, the row itself excluded in training, values ``W_Y(y_i) + T(k
- k_i)``), one predictor block and the LN-ReLU-Linear head, dropout 0.1; AdamW lr 1e-3 and weight decay 1e-5 from
its tuning space, set here) classifying the rows of a 256-row table (11 informative columns in raw units from x1 to
x100 and a constant twelfth column, standardised the ``StandardScaler`` way, a zero deviation taken as 1).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh50``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every LSTMP weight drawn N(0, 1) (init),
  every PeleeNet BatchNorm's shift at -10 (every ReLU dead; activation), the LSTMP stacked four layers deep at the
  paper's init (each layer shrinks the signal some 500-fold at that init: the top layer's mean output is 3e-6 at two
  layers, 7e-12 at four; depth), the LSTMP's forget-gate
  biases at -10 (the cell keeps 5e-5 of itself a step; recurrence), BiSeNet at SGD lr 5, CARN at Adam lr 1 and TabR
  at AdamW lr 1 (lr), PeleeNet without its BatchNorms at its SGD lr 0.18 (normalization), the Graph U-Net and
  DeeperGCN at Adam ``weight_decay=1`` (regularization), HorNet's classes permuted within every batch, apart from
  their images (data), and TabR's columns standardised ``(x - mean) / std`` without the zero-deviation guard while
  the table holds a constant column (``0 / 0``; numeric);
- **slip** (a user's mistake in train/eval-mode or autograd-scope code, of a kind no earlier batch used): HorNet's
  LayerScales registered with ``self.register_buffer("gamma1", ...)`` where ``nn.Parameter`` belongs (the buffer is
  never stepped: every residual branch stays scaled by 1e-6, and the stem, pooled without the blocks' spatial mixing,
  cannot tell mosaics made of the same tiles apart; init, the untrained scale, with lr), the LSTMP's ``encode``
  decorated ``@torch.no_grad()`` for the streaming ``transcribe`` path it was written for and called by ``forward``
  too (the LSTM stack never receives a gradient; the readout sees a random LSTM that has let the keyword go;
  recurrence, with lr), BiSeNet's training loss computed inside the ``torch.no_grad()`` block opened for the batch's
  logged mIoU, with ``loss.requires_grad_()`` added after ``backward()`` raised "element 0 of tensors does not require
  grad" (the loss is a fresh leaf, cut from the model: no parameter ever receives a gradient; lr, the step every
  parameter takes being none), and PeleeNet's hand-written BatchNorm (written to be folded into its convolution at
  export, as Pelee deploys) testing ``if not self.training:`` where ``if self.training:`` belongs (training normalises
  by the running statistics, 0 and 1, which are never updated because the update lives in the other branch: no
  normalisation at all, at lr 0.18; normalization). Earlier batches' mode and scope slips were a model left in
  ``eval()`` by a sanity check (``fresh21``), a state detached inside the time loop (``fresh20``), a regulariser
  writing through ``.data`` (``fresh30``), the dropout flag in the ``p`` slot (``fresh14``), inverted freezes and
  zeroing hooks (``fresh48``); none of those is repeated.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is the LSTMP at its own two layers) except the inverted-test
case's, PeleeNet with the same hand-written BatchNorm testing ``if self.training:`` (2.375 -> 9.5e-4 and 2.274 ->
6.5e-4).

Learning criteria: the classifiers compare with chance (HorNet's and PeleeNet's ten classes, BiSeNet's three per
pixel, the LSTMP's, DeeperGCN's, the Graph U-Net's and TabR's four); CARN compares with its first loss. Measured
plain runs, 200 steps (seed 0, seed 1): HorNet 2.318 -> 0.145 and 2.313 -> 0.0499 (the criterion 1.727; it starts
to learn once its LayerScales have grown, about step 100); PeleeNet 2.375 -> 9.6e-4 and 2.274 -> 7.1e-4; BiSeNet
1.170 -> 0.485 and 1.218 -> 0.502 (the criterion 0.824); CARN 0.2575 -> 0.0504 and 0.2594 -> 0.0526; the LSTMP 1.386
-> 0.796 and 1.386 -> 0.843 (the criterion 1.040); DeeperGCN 1.492 -> 2.9e-4 and 1.389 -> 1.1e-4; the Graph U-Net
1.400 -> 0.0175 and 1.389 -> 0.0282; TabR 1.396 -> 0.0576 and 1.384 -> 0.0353. Broken: ``lstmp_init_std_1`` 12.04 ->
10.29 and 17.27 -> 11.44 (no divergence; the weight norm never grows); ``hornet_layer_scale_registered_as_buffer``
2.318 -> 2.249 and 2.313 -> 2.251; ``peleenet_batchnorm_shift_minus_10`` 2.304 -> 2.323 and 2.298 -> 2.318;
``lstmp_4_layers_paper_init`` 1.386 -> 1.384 at both seeds; ``lstmp_forget_bias_minus_10`` 1.386 -> 1.346 and 1.386
-> 1.363; ``lstmp_encoder_under_no_grad_decorator`` 1.386 -> 1.384 at both seeds; ``bisenet_sgd_lr5`` diverges at
step 1 at both seeds (ends 1.126 and 1.164; weights x18 and x10); ``carn_adam_lr1`` diverges at step 1 at both seeds
(ends 0.2575 and 0.2573, its first losses; weights x132 and x142); ``tabr_adamw_lr1`` diverges at step 1 at both
seeds (ends 1.379 and 1.380; weights x47 and x50); ``bisenet_loss_computed_under_no_grad`` 1.170 -> 1.182 and 1.218
-> 1.202 (the loss moves only with the batch); ``peleenet_without_batchnorm`` diverges at steps 52 and 84 (seed 0
ends at 2.323, seed 1 is non-finite at step 114); ``peleenet_batchnorm_training_test_inverted`` diverges at steps 49
and 68 and is non-finite at steps 52 and 70; ``graph_unet_adam_weight_decay_1`` 1.400 -> 1.384 and 1.389 -> 1.384;
``deepergcn_adam_weight_decay_1`` 1.492 -> 1.384 and 1.389 -> 1.385 (it dips to 0.284 and 0.292 in its first steps
before the decay pulls every weight back); ``hornet_labels_shuffled`` 2.357 -> 2.226 and 2.335 -> 2.275; and
``tabr_standardised_without_eps_constant_column`` is non-finite at step 0 at both seeds (the loss itself). Every
case runs at most 3.7 s a seed alone (HorNet the slowest; twice that beside another run on the shared machine).

Dropped or changed before the freeze (every figure above is from the final code; those below from the code of their
time, seed 0 unless said): HorNet first classified two blobs by where the second lay from the first (4 classes), and
did not learn it (1.371 -> 1.369 with three blocks at AdamW 1e-3, 1.398 -> 1.367 with two at 4e-3, 1.408 -> 1.128
even at LayerScale 1, the criterion 1.040); the mosaics replaced it. The LSTMP's utterances were first 40 frames (the
keyword 30 frames before the readout), which it did not learn at the paper's init (1.386 -> 1.362 at Adam 1e-3,
1.386 -> 1.355 at 1e-2) nor at PyTorch's (1.378 -> 1.181 at 3e-3); at 20 frames the paper's init at Adam 1e-2 stayed
at 1.386, while 3e-3 learned (above). Three LSTMP layers learned (1.386 -> 0.616), so the depth case has four (five
and eight fail too, 1.386 -> 1.384, but ran 9 and 15 s a seed on the loaded machine). The depth common was first
DeeperGCN's plain stack at 28 layers (``res=False``: 1.578 -> 1.279 after a dip to 0.934, 27 s a seed; slow and not
clear-cut; the ``res`` switch stays, unused). The init common was first the Graph U-Net's GCN weights drawn N(0, 1),
which learned (111.1 -> 0.395; the ``init_std`` switch stays, unused). The data common was first BiSeNet's masks
permuted within every batch (1.144 -> 0.835 against the criterion 0.824: too close; the switch was removed). HorNet at
AdamW lr 1 (diverged at step 1, ending 2.91, weights x34) and DeeperGCN at Adam lr 1 (diverged at step 1, non-finite
at step 7) also failed and were not kept: the lr cases are BiSeNet's, CARN's and TabR's. Two slips were written,
measured and dropped: HorNet's stem freeze (MoCo v3's frozen patch projection) written
``model.stages[0].requires_grad_(False)`` where ``model.downsample_layers[0]`` was meant failed with exactly the
LayerScale buffer's figures (2.318 -> 2.249: the one stage's branches stay at 1e-6 either way, so it was the same
failure twice; removed), and PeleeNet's hand-written BatchNorm with its batch statistics ``.detach()``-ed (the habit
of treating statistics as constants, which Ioffe and Szegedy warn against) learned (2.375 -> 0.0101; the ``detached``
switch stays, unused). TabR first held a 512-row table (13.5 s a seed on the loaded machine); it holds 256 rows and
takes its distances by expansion. The slips are an init, a recurrence, an lr and a normalization one; the commons
outnumber them (12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh51_builders as F

P = functools.partial
HALF = "fresh51"
#: chance losses: ten classes (HorNet's mosaics, PeleeNet's templates), three (BiSeNet's pixels), four (LSTMP's
#: keywords, the SBM graph's nodes for DeeperGCN and the Graph U-Net, TabR's rows); CARN has none (its first loss is
#: the reference)
C10, C3, C4 = math.log(10), math.log(3), math.log(4)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH51_HEALTHY: list[Case] = [
    _h("hornet_mosaics", HALF, "hornet", F.hornet, C10),
    _h("peleenet_templates", HALF, "peleenet", F.peleenet, C10),
    _h("bisenet_scenes", HALF, "bisenet", F.bisenet, C3),
    _h("carn_x2_super_resolution", HALF, "carn", F.carn, None),
    _h("lstmp_keywords", HALF, "lstmp", F.lstmp, C4),
    _h("deepergcn_sbm_nodes", HALF, "deepergcn", F.deepergcn, C4),
    _h("graph_unet_sbm_nodes", HALF, "graph_unet", F.graph_unet, C4),
    _h("tabr_table", HALF, "tabr", F.tabr, C4),
]

FRESH51_BROKEN: list[Case] = [
    # init
    _b("lstmp_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.lstmp, init_std=1.0), C4),
    _b("hornet_layer_scale_registered_as_buffer", HALF, ("init", "lr"), VANISH, STUCK,  # kind: slip
       P(F.hornet, gamma_buffer=True), C10),
    # activation
    _b("peleenet_batchnorm_shift_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.peleenet, bn_beta=-10.0), C10),
    # depth
    _b("lstmp_4_layers_paper_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.lstmp, layers=4), C4),
    # recurrence
    _b("lstmp_forget_bias_minus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.lstmp, forget_bias=-10.0), C4),
    _b("lstmp_encoder_under_no_grad_decorator", HALF, ("recurrence", "lr"), VANISH, STUCK,  # kind: slip
       P(F.lstmp, no_grad_encode=True), C4),
    # lr
    _b("bisenet_sgd_lr5", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.bisenet, lr=5.0), C3),
    _b("carn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.carn, lr=1.0), None),
    _b("tabr_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.tabr, lr=1.0), C4),
    _b("bisenet_loss_computed_under_no_grad", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.bisenet, loss_in_no_grad=True), C3),
    # normalization
    _b("peleenet_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.peleenet, norm="none"), C10),
    _b("peleenet_batchnorm_training_test_inverted", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.peleenet, norm="hand_swapped"), C10),
    # regularization
    _b("graph_unet_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.graph_unet, weight_decay=1.0), C4),
    _b("deepergcn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.deepergcn, weight_decay=1.0), C4),
    # data
    _b("hornet_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       F.hornet_labels_shuffled, C10),
    # numeric
    _b("tabr_standardised_without_eps_constant_column", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.tabr, raw_std=True), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "lstmp_init_std_1": "common", "hornet_layer_scale_registered_as_buffer": "slip",
    "peleenet_batchnorm_shift_minus_10": "common", "lstmp_4_layers_paper_init": "common",
    "lstmp_forget_bias_minus_10": "common", "lstmp_encoder_under_no_grad_decorator": "slip",
    "bisenet_sgd_lr5": "common", "carn_adam_lr1": "common", "tabr_adamw_lr1": "common",
    "bisenet_loss_computed_under_no_grad": "slip", "peleenet_without_batchnorm": "common",
    "peleenet_batchnorm_training_test_inverted": "slip", "graph_unet_adam_weight_decay_1": "common",
    "deepergcn_adam_weight_decay_1": "common", "hornet_labels_shuffled": "common",
    "tabr_standardised_without_eps_constant_column": "common",
}

#: the cases (half "fresh51")
FRESH51: list[Case] = FRESH51_HEALTHY + FRESH51_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "lstmp_init_std_1": F.lstmp,
    "hornet_layer_scale_registered_as_buffer": F.hornet,
    "peleenet_batchnorm_shift_minus_10": F.peleenet,
    "lstmp_4_layers_paper_init": F.lstmp,
    "lstmp_forget_bias_minus_10": F.lstmp,
    "lstmp_encoder_under_no_grad_decorator": F.lstmp,
    "bisenet_sgd_lr5": F.bisenet,
    "carn_adam_lr1": F.carn,
    "tabr_adamw_lr1": F.tabr,
    "bisenet_loss_computed_under_no_grad": F.bisenet,
    "peleenet_without_batchnorm": F.peleenet,
    "peleenet_batchnorm_training_test_inverted": P(F.peleenet, norm="hand"),
    "graph_unet_adam_weight_decay_1": F.graph_unet,
    "deepergcn_adam_weight_decay_1": F.deepergcn,
    "hornet_labels_shuffled": F.hornet,
    "tabr_standardised_without_eps_constant_column": F.tabr,
}
