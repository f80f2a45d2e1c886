"""The sixty-first held-out batch (half ``"fresh60"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 600_000 + seed): HarDNet (Chao et al. 2019, narrowed: a 3x3 stride-2 stem of
16, two harmonic dense blocks of 8 Conv-BN-ReLU6 layers (growth 8 and 12, multiplier 1.7, the reference code's
``get_link`` wiring and odd-layer outputs), each followed by its transitional 1x1 ConvLayer, global pooling, dropout
0.1; PyTorch's default init; SGD at the reference trainer's settings, those of the PyTorch ImageNet example it
branched from: lr 0.1, momentum 0.9, weight decay 1e-4) on 16x16 class-template images (10 classes), EDANet (Lo et
al. 2019, narrowed: ENet-style downsampling blocks to 12 and 48, EDA blocks of two and three dense asymmetric modules
(growth 12, 1x1 then 3x1/1x3 and dilated 3x1/1x3 convolutions with BN-ReLU, dropout 0.02), the 1x1 projection and
a bilinear up-sampling by 4; Adam lr 5e-4, weight decay 1e-4, set here) segmenting 16x16 Voronoi scenes of four
classes painted in noisy class colours, the disconnected RNN (Wang 2018: at every position a GRU of 32 reads only
the last 4 words, dropout 0.2, a ReLU MLP, max pooling over positions, a softmax layer; Adam lr 1e-3, set here)
classifying texts of 16 words by the order of a key phrase (the same three words in four orders), the 1-GNN of k-GNN
(Morris et al. 2019, as the reference's PyTorch Geometric example: three ``elu(W_1 h + W_2 sum_N h)`` layers 32-64-64,
the mean over nodes, ELU Linears 64-64 (dropout 0.5) and 64-32; Adam at the example's lr 0.01 without its plateau
schedule) telling four graph generators apart by structure alone (12 nodes, constant features), AGNN (Thekumparampil
et al. 2018, as the PyTorch Geometric example: dropout 0.5, a ReLU Linear to 16, four cosine-attention propagations,
the first with ``beta = 1`` fixed, dropout 0.5, a Linear; Adam lr 0.01, weight decay 5e-4) classifying the nodes of a
300-node stochastic block model with weak features (loss over the training half), RNADE (Uria, Murray and Larochelle
2013: the shared autoregressive pre-activation with the ``rho_d`` rescaling, ReLU hidden of 32, a mixture of 5
Gaussians per dimension, the likelihood through ``logsumexp``; Adam lr 1e-3, set here, not the paper's SGD) fitting
the density of standardised points near a 2-dimensional surface in 8 dimensions, the deep visuomotor policy (Levine
et al. 2016, narrowed: ReLU convolutions 16 7x7 stride 2, 16 5x5, 16 5x5, the spatial soft-argmax to 16 feature
points, the arm's configuration concatenated, two ReLU Linears of 40, linear torques; Adam lr 1e-3, set here) cloning
a demonstrator's torques from 48x48 images of a target blob, and the branched network of conditional imitation
learning (Codevilla et al. 2018, narrowed: four 3x3 Conv-BN-ReLU-dropout 0.2 layers and a Linear of 64 with dropout
0.5 for the frame, two Linears of 32 for the speed, a joint Linear of 64, four command branches of two Linears of 32
and the action; the paper's weighted MSE (steer 0.5, gas 0.45, brake 0.05) on the command's branch, Adam at the
paper's lr 2e-4 and betas 0.7, 0.85) on driving demonstrations whose commands are 70% "follow lane".

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh57``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every 1-GNN Linear drawn N(0, 1) (init),
  AGNN's first Linear biased -10 (every ReLU dead before the propagations; activation), the visuomotor policy with 30
  ReLU Linears of 40 after its feature points at PyTorch's default init (depth), the DRNN's GRU update gates biased
  +10 (``z = 0.99995``: the state keeps its zero start and the window's words never enter it; recurrence), RNADE at
  Adam lr 1, the 1-GNN at Adam lr 1 and EDANet at Adam lr 10 (lr), AGNN and the visuomotor policy at Adam
  ``weight_decay=1`` (regularization), HarDNet's labels permuted within every batch, apart from their images (data),
  and the 1-GNN and its graphs cast to float16 and trained so with Adam (no fp32 master weights: the squares of small
  gradients underflow to 0 and Adam's eps 1e-8 rounds to 0 in float16, so ``m / (sqrt(v) + eps)`` is ``x / 0`` or
  ``0 / 0``; numeric);
- **slip** (a user's mistake in the training-loop code, of a kind no earlier batch used; the loops are
  ``fresh60_builders.UserLoop``, a :class:`Setup` whose ``train_step`` is the user's own): the 1-GNN's
  ``reset_parameters()`` helper, written for a fresh start, indented into the epoch loop (every layer re-drawn at the
  top of every epoch of 32 batches, Adam's moments kept; init), EDANet's loop reading ``loss.backward();
  optimizer.zero_grad(); optimizer.step()``, the ``zero_grad`` moved below the backward with a logging line (the
  step never sees a gradient; lr, the step being zero), HarDNet trained from scratch by a loop that keeps the
  frozen-BatchNorm habit of fine-tuning detection and segmentation code (every BatchNorm put in ``eval()`` after
  ``model.train()`` at every step: the layers normalise by their initial running statistics, 0 and 1, which never
  update; normalization; earlier batches' ``eval()`` slips left the whole model in eval mode), the DRNN's prefetching
  loop pairing each batch's texts with the previous batch's labels (data), and CIL's loss written per command to log
  each command's loss, ``F.mse_loss(out[cmd == c], y[cmd == c], reduction="none").mean(0)`` summed over the four
  commands: a batch without one of the rare commands averages an empty tensor, NaN (numeric; the arithmetic of
  ``fresh23``'s label mask and ``fresh31``'s empty heatmap, a different line of code). No activation, depth,
  recurrence or regularization slip was written.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds.

Learning criteria: the classifiers compare with chance (HarDNet's ten classes, EDANet's four pixel classes, the
DRNN's, the 1-GNN's and AGNN's four); RNADE, the visuomotor policy and CIL compare with their first loss. Measured
plain runs, 200 steps (seed 0, seed 1): HarDNet 2.344 -> 0.0029 and 2.339 -> 0.0027; EDANet 1.338 -> 0.364 and 1.369
-> 0.348; the DRNN 1.374 -> 0.088 and 1.522 -> 0.151; the 1-GNN 1.612 -> 0.219 and 1.865 -> 0.775 (the criterion
1.040); AGNN 1.445 -> 0.497 and 1.410 -> 0.430; RNADE 12.28 -> 6.25 and 11.18 -> 5.83 (nats a point); the visuomotor
policy 1.560 -> 0.125 and 2.057 -> 0.115; CIL 0.240 -> 0.049 and 0.253 -> 0.057. Broken: ``k_gnn_init_std_1``
1.6e5 -> 107.4 and 5.3e5 -> 18.2 (no divergence); ``k_gnn_reinit_every_epoch`` 1.936 -> 1.198 and 2.064 -> 1.082
(the criterion 1.040: the batch's narrowest margin); ``agnn_relu_biases_minus_10`` 1.396 -> 1.386 and 1.393 ->
1.380; ``visuomotor_policy_30_fc_layers`` 1.567 -> 1.739 and 2.083 -> 1.718; ``drnn_update_gate_bias_10`` 1.381 ->
1.388 and 1.435 -> 1.386; ``rnade_adam_lr1`` diverges and is non-finite at step 1 at both seeds (weights x8.7 and
x8.8); ``k_gnn_adam_lr1`` diverges at step 1 at both seeds (ends 200.5 and 230.8; weights x102 and x75);
``edanet_adam_lr10`` diverges at step 1 at both seeds (ends 1.749 and 5.824; weights x214 and x229);
``edanet_zero_grad_between_backward_and_step`` 1.338 -> 1.365 and 1.369 -> 1.424 (the weights never move);
``hardnet_batchnorm_frozen_from_scratch`` 2.316 -> 2.281 and 2.272 -> 2.157; ``agnn_adam_weight_decay_1`` 1.445 ->
1.386 and 1.410 -> 1.384; ``visuomotor_policy_adam_weight_decay_1`` 1.560 -> 1.743 and 2.057 -> 1.717;
``hardnet_labels_shuffled`` 2.315 -> 2.286 and 2.286 -> 2.277; ``drnn_targets_one_batch_late`` 1.376 -> 1.367 and
1.426 -> 1.365; ``k_gnn_float16_adam`` has non-finite weights after step 0 at both seeds; and
``cil_loss_averaged_per_command`` is non-finite at step 0 (seed 0) and step 22 (seed 1), the first batches without a
"left", "right" or "straight". Run one at a time on two cores shared with other work (load about 4.5), every case
took at most 5.2 s a seed except HarDNet's three (8.4 s); two runs side by side took up to twice that (HarDNet 23 s).

Dropped or changed before the freeze (every figure above is from the final code): two seq2seq models were written
and dropped, so the batch has none. The pointer-generator (See et al. 2017) at its reference settings (Adagrad lr
0.15, initial accumulator 0.1, clip 2, embeddings and Linears truncated N(0, 1e-4^2), LSTMs uniform +-0.02) reversing
5 words of 32 sat at the bag-of-source level (2.076 -> 1.52 against the criterion 1.557 at seed 0; still 1.51 after
400 steps): its attention never learned positions in 200 steps. The RNN Encoder-Decoder (Cho et al. 2014, Adadelta
rho 0.95, eps 1e-6, weights N(0, 0.01^2), orthogonal recurrences) reversing 5 words of 16 went 2.773 -> 2.646 (Adam
lr 1e-3 and 3e-3: 2.604 and 2.211 against 2.079). CGNet (Wu et al. 2020) was the first segmenter (1.442 -> 0.475 and
1.461 -> 0.455) and was replaced by EDANet because two sibling batches written at the same time also chose CGNet.
HarDNet had blocks of 4 layers at first: without its BatchNorms it learned (0.554 and 1.212 against 1.727) and so did
the frozen-BatchNorm slip (0.777 and 0.333); with blocks of 8 the slip fails at both seeds but HarDNet without
BatchNorm still learned at seed 1 (2.294 and 0.933), and with blocks of 16 at seed 0 (1.537), so the batch has no
normalization common (CGNet without BatchNorm and CGNet with frozen BatchNorms learned too: 0.602 and 0.552, 0.583
and 0.534). CIL with a joint stack of 30 ReLU Linears learned (0.061 and 0.068), as did CIL with dropout 0.9 (0.111
and 0.112) and CGNet at Adam weight decay 1 (0.831 and 0.796); the depth common moved to the visuomotor policy. The
visuomotor policy with every weight N(0, 1) learned by the first-loss criterion from its huge start (6667 -> 919 and
1.2e4 -> 858), so the init common is the 1-GNN's; the policy's spatial softmax written by hand without the max shift
stayed finite and learned (0.125 and 0.115), so the numeric common is the float16 1-GNN. AGNN without the L2
normalisation of its attention (dot products for cosines) learned (0.504 and 0.507). EDANet at Adam lr 1 spiked and
came back (0.544 and 0.706 against 1.003 and 1.027); the case uses lr 10 (lr 3: 1.537 and 1.838). The DRNN's texts
were 24 words in batches of 64, HarDNet's batches 32 and CIL's 64 at first, cut for time; CIL's commands were uniform
at first and were made 70/10/10/10 for the per-command slip (the healthy figures are on the final data). The commons
are 11 and the slips 5.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh60_builders as F

P = functools.partial
HALF = "fresh60"
#: chance losses: four classes (EDANet's pixels, the DRNN's texts, AGNN's nodes, the 1-GNN's graphs), ten (HarDNet's
#: images); RNADE, the visuomotor policy and CIL have none (their first loss is the reference)
C4, C10 = math.log(4), math.log(10)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH60_HEALTHY: list[Case] = [
    _h("hardnet_images", HALF, "hardnet", F.hardnet, C10),
    _h("edanet_voronoi_scenes", HALF, "edanet", F.edanet, C4),
    _h("drnn_key_phrases", HALF, "drnn", F.drnn, C4),
    _h("k_gnn_graph_classes", HALF, "k_gnn", F.kgnn, C4),
    _h("agnn_sbm_nodes", HALF, "agnn", F.agnn, C4),
    _h("rnade_surface", HALF, "rnade", F.rnade, None),
    _h("visuomotor_policy_reaching", HALF, "visuomotor_policy", F.visuomotor, None),
    _h("cil_driving", HALF, "cil", F.cil, None),
]

FRESH60_BROKEN: list[Case] = [
    # init
    _b("k_gnn_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.kgnn, init_std=1.0), C4),
    _b("k_gnn_reinit_every_epoch", HALF, ("init",), BOTH, STUCK,  # kind: slip
       P(F.kgnn, init_every=32), C4),
    # activation
    _b("agnn_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.agnn, relu_bias=-10.0), C4),
    # depth
    _b("visuomotor_policy_30_fc_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.visuomotor, fc_layers=30), None),
    # recurrence
    _b("drnn_update_gate_bias_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.drnn, update_bias=10.0), C4),
    # lr
    _b("rnade_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.rnade, lr=1.0), None),
    _b("k_gnn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.kgnn, lr=1.0), C4),
    _b("edanet_adam_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.edanet, lr=10.0), C4),
    _b("edanet_zero_grad_between_backward_and_step", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.edanet, zero_grad_after_backward=True), C4),
    # normalization
    _b("hardnet_batchnorm_frozen_from_scratch", HALF, ("normalization",), BOTH, STUCK,  # kind: slip
       P(F.hardnet, freeze_bn=True), C10),
    # regularization
    _b("agnn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.agnn, weight_decay=1.0), C4),
    _b("visuomotor_policy_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.visuomotor, weight_decay=1.0), None),
    # data
    _b("hardnet_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.hardnet, shuffled=True), C10),
    _b("drnn_targets_one_batch_late", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.drnn, lag=True), C4),
    # numeric
    _b("k_gnn_float16_adam", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.kgnn, half=True), C4),
    _b("cil_loss_averaged_per_command", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.cil, per_command=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "k_gnn_init_std_1": "common", "k_gnn_reinit_every_epoch": "slip", "agnn_relu_biases_minus_10": "common",
    "visuomotor_policy_30_fc_layers": "common", "drnn_update_gate_bias_10": "common", "rnade_adam_lr1": "common",
    "k_gnn_adam_lr1": "common", "edanet_adam_lr10": "common", "edanet_zero_grad_between_backward_and_step": "slip",
    "hardnet_batchnorm_frozen_from_scratch": "slip", "agnn_adam_weight_decay_1": "common",
    "visuomotor_policy_adam_weight_decay_1": "common", "hardnet_labels_shuffled": "common",
    "drnn_targets_one_batch_late": "slip", "k_gnn_float16_adam": "common", "cil_loss_averaged_per_command": "slip",
}

#: the cases (half "fresh60")
FRESH60: list[Case] = FRESH60_HEALTHY + FRESH60_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "k_gnn_init_std_1": F.kgnn,
    "k_gnn_reinit_every_epoch": F.kgnn,
    "agnn_relu_biases_minus_10": F.agnn,
    "visuomotor_policy_30_fc_layers": F.visuomotor,
    "drnn_update_gate_bias_10": F.drnn,
    "rnade_adam_lr1": F.rnade,
    "k_gnn_adam_lr1": F.kgnn,
    "edanet_adam_lr10": F.edanet,
    "edanet_zero_grad_between_backward_and_step": F.edanet,
    "hardnet_batchnorm_frozen_from_scratch": F.hardnet,
    "agnn_adam_weight_decay_1": F.agnn,
    "visuomotor_policy_adam_weight_decay_1": F.visuomotor,
    "hardnet_labels_shuffled": F.hardnet,
    "drnn_targets_one_batch_late": F.drnn,
    "k_gnn_float16_adam": F.kgnn,
    "cil_loss_averaged_per_command": F.cil,
}
