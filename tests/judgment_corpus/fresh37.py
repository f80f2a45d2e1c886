"""The thirty-eighth held-out batch (half ``"fresh37"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 370_000 + seed): DPN (Chen et al. 2017, narrowed in the ``pytorch-cifar``
reference's CIFAR form: a 16-channel stem and two stages of two dual path blocks, bottleneck widths 16 and 32, residual
widths 32 and 64, dense increments 4 and 8, grouped 3x3 convolutions of 8 groups, BatchNorm; PyTorch's default init;
SGD at the reference's lr 0.1, momentum 0.9, weight decay 5e-4) on 16x16 class-template images (10 classes, batch
16), ERFNet (Romera et al. 2018, narrowed: the encoder's downsamplers to 16 and 32 channels with six
non-bottleneck-1D blocks, the factorised 3x1 and 1x3 convolutions, the last four dilated 2, 4, 8, 2, spatial dropout
0.03 and 0.3, BatchNorm eps 1e-3, and the decoder's upsampler, two blocks and the output transposed convolution;
Adam at the reference code's lr 5e-4, eps 1e-8, weight decay 1e-4, its poly schedule and class weights left out)
segmenting 16x16 scenes of three colour-coded regions, RetinaNet (Lin et al. 2017, narrowed to one pyramid level at
stride 4 over a small BatchNorm backbone, one 8x8 anchor a location; the paper's class and box subnets of four 3x3
ReLU convolutions, N(0, 0.01^2) with the prior bias ``-log((1 - 0.01) / 0.01)``; anchors matched at IoU 0.5 / 0.4
with each object's best anchor kept, the sigmoid focal loss at alpha 0.25, gamma 2 plus the L1 box loss over the
positives, torchvision's; SGD at the paper's lr 0.01, momentum 0.9, weight decay 1e-4, its warm-up and steps left
out) on 32x32 scenes of one to three coloured squares, GLO (Bojanowski et al. 2018, narrowed: a learned code of 16
per image, projected onto the unit sphere, and a DCGAN-style generator with BatchNorm and a tanh output; the Lap1
loss over a three-level Laplacian pyramid; Adam lr 1e-3 for codes and generator, set here where the paper uses SGD)
on 64 smooth 16x16 textures, ConvS2S (Gehring et al. 2017, fairseq's ``fconv`` narrowed: embeddings of 32 at
N(0, 0.1^2), two encoder and two causal decoder layers of weight-normalised GLU convolutions (kernel 3, 64 channels)
with the multi-step attention, residuals scaled by sqrt(0.5), dropout 0.2, the paper's init; Nesterov SGD at the
paper's lr 0.25, momentum 0.99, gradients clipped to norm 0.1) reversing 10-token sequences, the ID-CNN (Strubell et
al. 2017, narrowed: embeddings of 32, a block of three dilated width-3 convolutions (dilations 1, 2, 4, 64 filters,
ReLU) iterated four times with shared weights and the loss averaged over the iterations, Xavier init, dropout 0.35
and 0.15; Adam at the reference code's lr 5e-4, beta2 0.9, eps 1e-6) tagging sentences of 10 to 20 tokens whose tags
depend on the token and its left neighbour, the recurrent additive network (Lee, Levy and Zettlemoyer 2017, its tanh
variant: ``c_t = i_t W x_t + f_t c_{t-1}``, ``h_t = tanh(c_t)``, 64 units, every weight U(-0.05, 0.05) and zero
biases, the Zaremba et al. setting it follows; Adam lr 0.01, set here) classifying 16-token texts by a marker in
their first token, and the deep neural decision forest (Kontschieder et al. 2015, narrowed for tables: a ReLU feature
layer of 64 with dropout 0.2, five soft trees of depth 4 whose sigmoid decision nodes each see a fixed random half of
the features, leaf distributions learned by gradient as the common PyTorch ports do; Adam lr 0.01, set here) on 16
standardised features labelled by a random tanh teacher (4 classes).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh36``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every ID-CNN weight drawn N(0, 1) (init),
  the forest's feature-layer ReLUs biased -10 (every unit dead; activation), the forest's feature net 30 ReLU layers
  deep at PyTorch's default init (depth), the RAN's forget-gate bias started at -4 (``f = 0.018``: the marker is gone
  a few steps later; recurrence), RetinaNet at SGD lr 1 and the RAN at Adam lr 1 (lr), DPN without its BatchNorms at
  SGD lr 0.5, a large-batch lr at which the BatchNorm DPN trains (normalization), the RAN at Adam ``weight_decay=1``
  and the ID-CNN at Adam ``weight_decay=0.1`` (regularization), ERFNet's class maps permuted within every batch, apart
  from their images (data), RetinaNet's data with one object an image annotated as a point (``x2 = x1``: the box
  target's ``log(w / w_a)`` is ``log 0``) and the table's constant column standardised without an eps (``0 / 0``;
  both numeric);
- **slip** (a user's mistake of a kind no earlier batch used): ConvS2S's ``clip_grad_norm_(params, 0.1)`` written as
  ``clip_grad_value_(params, 0.1)``, the neighbouring utility (every entry clamped to 0.1, so the step's norm is up
  to 0.1 sqrt(n) where fairseq's recipe holds it at 0.1 under momentum 0.99; a look-alike API; lr), ConvS2S's mean
  token cross-entropy divided again by the number of target tokens, fairseq's normalisation of a summed loss applied
  to ``F.cross_entropy``'s mean (every gradient 320 times too small; a normalisation applied twice; lr), DPN's
  ``SGD(..., momentum=5e-4, weight_decay=0.9)``, the two values swapped between their keywords (an L2 coefficient of
  0.9; regularization), and the ID-CNN's tokens padded on the left by a collate written for a causal LM while its tags
  stay right-padded (each sentence's tags sit ``20 - n`` positions before its tokens; data). No depth or
  normalization slip survived (see below): the commons outnumber the slips (12 to 4). Three of the slips live in the
  training code around the model (the clip call, the loss's normalisation, the optimizer's keywords) and one in the
  data pipeline.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds but the normalization case's, which is the BatchNorm DPN at SGD lr 0.5.

Learning criteria: the classifiers compare with chance (DPN's ten classes, ERFNet's three, ConvS2S's sixteen tokens,
the ID-CNN's, the RAN's and the forest's four); RetinaNet and GLO compare with their first loss. Measured plain runs,
200 steps (seed 0, seed 1): DPN 2.292 -> 0.0025 and 2.339 -> 0.0023; ERFNet 1.251 -> 0.267 and 1.483 -> 0.422 (the
criterion 0.824); RetinaNet 1.677 -> 1.158 and 1.719 -> 1.180 (the criteria 1.258 and 1.289: the weakest margin of
the batch); GLO 61.99 -> 8.80 and 67.96 -> 9.34 (the mean image scores 33.4 and 33.2); ConvS2S 2.789 -> 0.068 and
2.792 -> 0.049; the ID-CNN 1.384 -> 0.102 and 1.387 -> 0.068; the RAN 1.386 -> 8.0e-4 and 1.386 -> 2.0e-4; the forest
1.386 -> 0.568 and 1.386 -> 0.514. Broken: ``idcnn_init_std_1`` 6.8e12 -> 1.8e11 and 1.3e13 -> 1.5e11 (no
divergence); ``ndf_relu_biases_minus_10`` 1.386 -> 1.361 and 1.386 -> 1.358; ``ndf_30_hidden_layers_default_init``
1.386 -> 1.362 and 1.386 -> 1.358; ``ran_forget_bias_minus_4`` 1.386 -> 1.366 and 1.386 -> 1.371;
``retinanet_sgd_lr1`` diverges at steps 21 and 20 (ends 3.85 and 2.42); ``ran_adam_lr1`` diverges at step 1 at both
seeds (ends 7.30 and 7.69; weights x272 and x278); ``convs2s_clip_grad_value_for_norm`` learns and then breaks (down
to 0.200 and 0.537, with spikes, then back at chance: ends 3.169 and 2.794; weights x6.5, no divergence by the
corpus' rule); ``convs2s_mean_loss_divided_by_tokens`` 0.00872 -> 0.00826 and 0.00873 -> 0.00824 (the criterion
0.75 of its first loss); ``dpn_sgd_lr0.5_without_batchnorm`` diverges at steps 58 and 160 and is non-finite at steps
146 and 194 (its control, with its BatchNorms, 2.292 -> 0.323 and 2.339 -> 0.079); ``ran_adam_weight_decay_1`` 1.386
-> 1.386 and 1.386 -> 1.387; ``idcnn_adam_weight_decay_0.1`` 1.384 -> 1.385 and 1.387 -> 1.385;
``dpn_momentum_and_weight_decay_swapped`` 2.292 -> 2.302 and 2.339 -> 2.304; ``erfnet_masks_shuffled`` 1.269 -> 1.095
and 1.467 -> 1.098; ``idcnn_tokens_left_padded_tags_right_padded`` 1.385 -> 1.264 and 1.387 -> 1.284 (the criterion
1.040); ``retinanet_point_boxes_log_zero`` and ``ndf_constant_column_standardised_without_eps`` are non-finite at
step 0 at both seeds (the loss itself). Alone on a shared core every case runs in at most 4.5 s a seed (RetinaNet and
DPN the slowest).

Dropped or changed before the freeze (every figure above is from the final code; those below from the code of their
time): DPN was first at batch 32 with twice the widths (16 s a seed, cut). DPN without its BatchNorms at its own lr
0.1 learned (2.306 -> 0.336 and 2.295 -> 0.302), as it did with three blocks a stage (1.169 and 0.366) and at lr 0.2
at seed 1 (1.36); the normalization case is at lr 0.5. ERFNet's regions were first drawn from 4x4 fields under
N(0, 1) noise, which seed 1 did not learn (1.498 -> 1.005); they are from 2x2 fields under N(0, 0.5^2) noise now.
ERFNet without its BatchNorms learned (1.091 -> 0.124 and 1.135 -> 0.123), as it did at Adam lr 1 at seed 1 (0.797),
at Adam weight decay 1 (0.616 and 0.809: the BatchNorms make the convolutions scale-free) and with Adam's betas
swapped to (0.999, 0.9) (a slip: 0.683 at seed 0); the last was meant as the lr slip, and the same swap on the RAN
learned at seed 1 (1.033 against 1.040). GLO was first trained on 256 images of Gaussian blobs on a zero background,
where the healthy run (52.4 -> 10.76 and 59.0 -> 10.62) only reached the all-zero image's 10.74; it has 64 smooth
textures now. On them GLO at Adam lr 1 and 0.1 ended at the mean image's level (33.7) yet below 0.75 of its inflated
first loss, so learned by the criterion, and GLO without its BatchNorms learned (33.0 -> 11.6): GLO is left without a
broken case. RetinaNet without its backbone's BatchNorms learned (1.16 and 1.18). ConvS2S without its weight
normalisation learned (0.658 and 0.306); ConvS2S without any clipping diverges (steps 21 and 85, non-finite at 25 and
88) but was not kept as a slip because ``fresh27`` tried ``clip_grad_norm_`` after ``optimizer.step()``; ConvS2S with
every weight N(0, 1) failed (1.2e7 -> 6.1e6) and was left out to spread the init cause to the ID-CNN. The ID-CNN's tags
were first ``(w_t + w_{t-1}) % 4``, which the healthy run did not learn (1.390 -> 1.383); they are a parity pair now.
A depth common on the ID-CNN (its block 30 convolutions long) failed (1.34) but ran 19 s a seed and moved to the
forest; a depth slip, the block's dilations written ``(1, 2, 4) * 4`` when the iterations already repeat it, learned
at seed 1 (1.010 against 1.040) and was dropped. The RAN's texts were first labelled by their first token's class
among uniform tokens, which it did not learn at lr 1e-3 or 0.01 (1.34 at both); the marker tokens 0..3 and lr 0.01
are the final setting. The forest at Adam lr 1e-3 did not learn (1.25); it is at 0.01, where lr 1 did not learn either
(1.214 and 1.152, no divergence) and was left out. A regularization slip, ``nn.Dropout2d`` on the ID-CNN's ``(batch,
channels, time)`` maps, was reasoned out before writing: PyTorch 2.13 still reads a 3-D input channel-wise. No
normalization slip was written and the depth slip did not survive.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh37_builders as F

P = functools.partial
HALF = "fresh37"
#: chance losses: ten classes (DPN's images), three (ERFNet's pixels), sixteen tokens (ConvS2S's reversal), four
#: (the ID-CNN's tags, the RAN's marked texts, the forest's table); RetinaNet and GLO have none (their first loss is
#: the reference)
C10, C3, TOK, C4 = math.log(10), math.log(3), math.log(16), math.log(4)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH37_HEALTHY: list[Case] = [
    _h("dpn_images", HALF, "dpn", F.dpn, C10),
    _h("erfnet_regions", HALF, "erfnet", F.erfnet, C3),
    _h("retinanet_squares", HALF, "retinanet", F.retinanet, None),
    _h("glo_textures", HALF, "glo", F.glo, None),
    _h("convs2s_reversal", HALF, "convs2s", F.convs2s, TOK),
    _h("idcnn_tagging", HALF, "idcnn", F.idcnn, C4),
    _h("ran_marked_texts", HALF, "ran", F.ran, C4),
    _h("neural_decision_forest_table", HALF, "neural_decision_forest", F.ndf, C4),
]

FRESH37_BROKEN: list[Case] = [
    # init
    _b("idcnn_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.idcnn, init_std=1.0), C4),
    # activation
    _b("ndf_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.ndf, relu_bias=-10.0), C4),
    # depth
    _b("ndf_30_hidden_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.ndf, hidden_layers=30), C4),
    # recurrence
    _b("ran_forget_bias_minus_4", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.ran, forget_bias=-4.0), C4),
    # lr
    _b("retinanet_sgd_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.retinanet, lr=1.0), None),
    _b("ran_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ran, lr=1.0), C4),
    _b("convs2s_clip_grad_value_for_norm", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.convs2s, value_clip=True), TOK),
    _b("convs2s_mean_loss_divided_by_tokens", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.convs2s, per_token=True), TOK),
    # normalization
    _b("dpn_sgd_lr0.5_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dpn, lr=0.5, bn=False), C10),
    # regularization
    _b("ran_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.ran, weight_decay=1.0), C4),
    _b("idcnn_adam_weight_decay_0.1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.idcnn, weight_decay=0.1), C4),
    _b("dpn_momentum_and_weight_decay_swapped", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.dpn, momentum=5e-4, weight_decay=0.9), C10),
    # data
    _b("erfnet_masks_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.erfnet, shuffled=True), C3),
    _b("idcnn_tokens_left_padded_tags_right_padded", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.idcnn, left_padded=True), C4),
    # numeric
    _b("retinanet_point_boxes_log_zero", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.retinanet, degenerate=True), None),
    _b("ndf_constant_column_standardised_without_eps", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.ndf, constant_column=True), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "idcnn_init_std_1": "common", "ndf_relu_biases_minus_10": "common", "ndf_30_hidden_layers_default_init": "common",
    "ran_forget_bias_minus_4": "common", "retinanet_sgd_lr1": "common", "ran_adam_lr1": "common",
    "convs2s_clip_grad_value_for_norm": "slip", "convs2s_mean_loss_divided_by_tokens": "slip",
    "dpn_sgd_lr0.5_without_batchnorm": "common", "ran_adam_weight_decay_1": "common",
    "idcnn_adam_weight_decay_0.1": "common", "dpn_momentum_and_weight_decay_swapped": "slip",
    "erfnet_masks_shuffled": "common", "idcnn_tokens_left_padded_tags_right_padded": "slip",
    "retinanet_point_boxes_log_zero": "common", "ndf_constant_column_standardised_without_eps": "common",
}

#: the cases (half "fresh37")
FRESH37: list[Case] = FRESH37_HEALTHY + FRESH37_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "idcnn_init_std_1": F.idcnn,
    "ndf_relu_biases_minus_10": F.ndf,
    "ndf_30_hidden_layers_default_init": F.ndf,
    "ran_forget_bias_minus_4": F.ran,
    "retinanet_sgd_lr1": F.retinanet,
    "ran_adam_lr1": F.ran,
    "convs2s_clip_grad_value_for_norm": F.convs2s,
    "convs2s_mean_loss_divided_by_tokens": F.convs2s,
    "dpn_sgd_lr0.5_without_batchnorm": P(F.dpn, lr=0.5),
    "ran_adam_weight_decay_1": F.ran,
    "idcnn_adam_weight_decay_0.1": F.idcnn,
    "dpn_momentum_and_weight_decay_swapped": F.dpn,
    "erfnet_masks_shuffled": F.erfnet,
    "idcnn_tokens_left_padded_tags_right_padded": F.idcnn,
    "retinanet_point_boxes_log_zero": F.retinanet,
    "ndf_constant_column_standardised_without_eps": F.ndf,
}
