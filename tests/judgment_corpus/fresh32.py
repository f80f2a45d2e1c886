"""The thirty-third held-out batch (half ``"fresh32"``): ten published architectures new to the corpus at their usual
settings, and seventeen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 320_000 + seed): a ByteNet decoder LM (Kalchbrenner et al. 2016, narrowed: two
stacks of residual blocks of 64 with LayerNorm, ReLU, 1x1 / masked dilated 3-tap / 1x1 convolutions at dilations
1, 2, 4, 8; Adam lr 3e-4) on the corpus' Markov language, Deep Knowledge Tracing (Piech et al. 2015: one-hot
interactions, an LSTM of 200, a sigmoid per skill; Adam lr 1e-3 as common reimplementations, not the paper's SGD) on
students of four mastery profiles over ten skills, DSSM (Huang et al. 2013: hashed letter-trigram counts through a
shared tanh MLP 300-300-128, smoothed cosines, gamma 10, a softmax over the clicked document and four negatives;
SGD lr 0.1) on clicks of forty topics, MQ-RNN (Wen et al. 2017: an LSTM encoder, global and local MLP decoders, the
quantiles 0.1, 0.5, 0.9 under the pinball loss; Adam lr 1e-3) on cyclic demand series with z-scored calendar
covariates, the multiplicative filter network's FourierNet (Fathony et al. 2021: three multiplicative layers of 64
with sinusoidal filters; Adam lr 1e-3) fitting an image from pixel coordinates, FSRCNN (Dong et al. 2016: the
paper's FSRCNN(56, 12, 4) for x2 with PReLUs and a 9x9 deconvolution; Adam lr 1e-3 as common reimplementations, not
the paper's slow SGD) on pooled smooth fields, LinkNet (Chaurasia & Culurciello 2017, narrowed: a three-stage
ResNet-18-style encoder whose outputs are added to the decoder blocks'; RMSprop at the paper's lr 5e-4) segmenting
scenes of five coloured region classes, and RedNet (Li et al. 2021, narrowed: involution stem and three involution
bottlenecks; SGD momentum 0.9 weight decay 1e-4 at lr 0.1 per 256 images, 0.0125, cosine decay), T2T-ViT (Yuan et al.
2021, narrowed: three soft splits with two plain-attention T2T layers, then three ViT blocks of 64; AdamW lr 1e-3
weight decay 0.05, a 20-step warm-up and cosine decay in a ``LambdaLR``) and Sequencer2D (Tatsunami & Taki 2022,
narrowed: two stages of BiLSTM2D blocks; AdamW lr 1e-3 weight decay 0.05, cosine decay) on class-template images.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh31``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every ByteNet convolution and output weight
  drawn N(0, 1) (init), every LinkNet BatchNorm bias (each before a ReLU) at -10 (every ReLU dead; activation), DSSM's
  tower 40 tanh layers of 300 at PyTorch's default init (depth), DKT's LSTM recurrent matrix drawn N(0, 1)
  (recurrence), ByteNet at Adam lr 1, FSRCNN at Adam lr 0.1, the FourierNet at Adam lr 1 and RedNet at SGD lr 5
  (lr), RedNet without its BatchNorms at SGD lr 0.1 (normalization), MQ-RNN and DKT at Adam ``weight_decay=10``
  (regularization), RedNet's labels and LinkNet's label maps permuted against their images (data), and MQ-RNN's
  covariates z-scored without an eps, ``(c - mean) / std``, where the holiday flag is constant (0/0; numeric);
- **slip** (a user's mistake of a kind no earlier batch used): T2T-ViT's warm-up-and-cosine ``LambdaLR`` lambda
  written to return the learning rate, ``lr * factor``, where ``LambdaLR`` multiplies the base lr by what the lambda
  returns (the lr is 1e-3 times too small, 1e-6 at its peak; a scheduler API's semantics misread; lr), FSRCNN's
  init loop whose bias line, copied from the weight line, reads ``nn.init.zeros_(m.weight)`` (every convolution's
  weight zero after the He init: no signal reaches the output, and no weight gets a gradient but through the
  deconvolution's bias; a copy-pasted attribute; init), and RedNet's cross-entropy given per-batch class weights,
  inverse class frequencies normalised to sum to one, ``w = 1 / counts; w / w.sum()``: a class absent from a batch of
  32 has weight ``1 / 0 = inf``, which makes the sum infinite and every weight NaN or 0 (a per-batch statistic that can
  be empty; numeric). The commons outnumber the slips (14 to 3).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (RedNet's without BatchNorm: with its BatchNorms at its own lr 0.0125).

Learning criteria: the classifiers compare with chance (ten and five classes, the 64-token language, DSSM's five
candidates); DKT, MQ-RNN, the FourierNet and FSRCNN compare with their first loss. Measured plain runs, 200 steps
(seed 0, seed 1): ByteNet 4.298 -> 1.946 and 4.214 -> 1.927; DKT 0.6894 -> 0.4773 and 0.6944 -> 0.4746 (the criteria
0.517 and 0.521); DSSM 0.784 -> 0.0048 and 0.816 -> 0.0046; MQ-RNN 1.471 -> 0.245 and 1.499 -> 0.241; the
FourierNet 0.672 -> 0.0034 and 0.863 -> 0.0038; FSRCNN 0.669 -> 0.0508 and 0.654 -> 0.0443; LinkNet 1.618 -> 0.468
and 1.716 -> 0.427; RedNet 2.381 -> 0.245 and 2.380 -> 0.217; T2T-ViT 2.348 -> 0.0966 and 2.327 -> 0.0899;
Sequencer2D 2.311 -> 0.0081 and 2.412 -> 0.0081. Broken: ``bytenet_init_std_1`` 17.32 -> 5.90 and 15.05 -> 5.50 (the
criterion 3.12); ``linknet_bn_biases_minus_10`` 1.587 -> 1.608 and 1.621 -> 1.611; ``dssm_40_tanh_layers`` 1.609 ->
1.609 at both seeds; ``dkt_lstm_recurrent_std_1`` 0.700 -> 0.620 and 0.696 -> 0.635 (the criteria 0.525 and 0.522);
``bytenet_adam_lr1`` diverges at step 1 at both seeds (ends 4.22 and 4.23, not learned; weights x22.6 and x21.8);
``rednet_sgd_lr5`` diverges at step 1 at both seeds (weights x18.2 and x15.9; ends 1.617, learned by a hair, and
1.96: its trouble is the divergence only); ``fsrcnn_adam_lr0.1`` diverges at step 1 at both seeds (ends 5.4e17 and
4.3e13); ``fourier_net_adam_lr1`` diverges at step 1 at both seeds (ends 6.0 and 19.8); ``rednet_without_batchnorm
_sgd_lr0.1`` 2.344 -> 2.293 at seed 0 (no learning, no divergence) and diverges at step 17, non-finite at step 19, at
seed 1; ``mqrnn_adam_weight_decay_10`` 1.471 -> 1.489 and 1.499 -> 1.542; ``dkt_adam_weight_decay_10`` 0.689 ->
0.693 and 0.694 -> 0.693; ``rednet_labels_shuffled`` 2.326 -> 2.255 and 2.399 -> 2.241; ``linknet_masks_shuffled``
1.621 -> 1.555 and 1.696 -> 1.509; ``mqrnn_covariates_zscored_without_eps`` is non-finite at step 0 at both seeds
(the loss itself); ``t2t_vit_lambdalr_returns_lr`` 2.348 -> 2.267 and 2.327 -> 2.219; ``fsrcnn_init_loop_zeroes
_weights`` 0.665 -> 0.679 and 0.654 -> 0.666; ``rednet_inverse_frequency_class_weights`` is non-finite at steps 2
and 5. ``dssm_40_tanh_layers`` runs 25 s a seed, the slowest case; the healthy ones run 0.2 to 17 s.

Dropped or changed before the freeze: nothing was dropped; every case was written once and measured once. DSSM's
click batches were first written with 64 queries over the 40 topics by a faulty expression that crashed on a shape
mismatch before any step; they were rewritten to 32 queries of distinct topics before any run of DSSM.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh32_builders as F

P = functools.partial
HALF = "fresh32"
#: chance losses: ten and five classes, the 64-token language, DSSM's five candidates; DKT, MQ-RNN, the FourierNet
#: and FSRCNN have none (their first loss is the reference)
C10, C5, LM = math.log(10), math.log(5), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH32_HEALTHY: list[Case] = [
    _h("bytenet_lm", HALF, "bytenet", F.bytenet, LM),
    _h("dkt_students", HALF, "dkt", F.dkt, None),
    _h("dssm_clicks", HALF, "dssm", F.dssm, C5),
    _h("mqrnn_series", HALF, "mqrnn", F.mqrnn, None),
    _h("fourier_net_image", HALF, "mfn", F.fourier_net, None),
    _h("fsrcnn_x2", HALF, "fsrcnn", F.fsrcnn, None),
    _h("linknet_scenes", HALF, "linknet", F.linknet, C5),
    _h("rednet_classifier", HALF, "involution", F.rednet, C10),
    _h("t2t_vit_classifier", HALF, "t2t_vit", F.t2t_vit, C10),
    _h("sequencer2d_classifier", HALF, "sequencer", F.sequencer, C10),
]

FRESH32_BROKEN: list[Case] = [
    # init
    _b("bytenet_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.bytenet, init_std=1.0), LM),
    _b("fsrcnn_init_loop_zeroes_weights", HALF, ("init",), VANISH, STUCK,  # kind: slip
       P(F.fsrcnn, zero_weights=True), None),
    # activation
    _b("linknet_bn_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.linknet, bn_bias=-10.0), C5),
    # depth
    _b("dssm_40_tanh_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.dssm, tanh_depth=40), C5),
    # recurrence
    _b("dkt_lstm_recurrent_std_1", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dkt, recurrent_std=1.0), None),
    # lr
    _b("bytenet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.bytenet, lr=1.0), LM),
    _b("rednet_sgd_lr5", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.rednet, lr=5.0), C10),
    _b("fsrcnn_adam_lr0.1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fsrcnn, lr=0.1), None),
    _b("fourier_net_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fourier_net, lr=1.0), None),
    _b("t2t_vit_lambdalr_returns_lr", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.t2t_vit, lambda_returns_lr=True), C10),
    # normalization
    _b("rednet_without_batchnorm_sgd_lr0.1", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.rednet, bn=False, lr=0.1), C10),
    # regularization
    _b("mqrnn_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.mqrnn, weight_decay=10.0), None),
    _b("dkt_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.dkt, weight_decay=10.0), None),
    # data
    _b("rednet_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.rednet, shuffle_labels=True), C10),
    _b("linknet_masks_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.linknet, shuffle_masks=True), C5),
    # numeric
    _b("mqrnn_covariates_zscored_without_eps", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.mqrnn, eps=0.0), None),
    _b("rednet_inverse_frequency_class_weights", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.rednet, class_weights=True), C10),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "bytenet_init_std_1": "common", "fsrcnn_init_loop_zeroes_weights": "slip", "linknet_bn_biases_minus_10": "common",
    "dssm_40_tanh_layers": "common", "dkt_lstm_recurrent_std_1": "common", "bytenet_adam_lr1": "common",
    "rednet_sgd_lr5": "common", "fsrcnn_adam_lr0.1": "common", "fourier_net_adam_lr1": "common",
    "t2t_vit_lambdalr_returns_lr": "slip", "rednet_without_batchnorm_sgd_lr0.1": "common",
    "mqrnn_adam_weight_decay_10": "common", "dkt_adam_weight_decay_10": "common", "rednet_labels_shuffled": "common",
    "linknet_masks_shuffled": "common", "mqrnn_covariates_zscored_without_eps": "common",
    "rednet_inverse_frequency_class_weights": "slip",
}

#: the cases (half "fresh32")
FRESH32: list[Case] = FRESH32_HEALTHY + FRESH32_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "bytenet_init_std_1": F.bytenet,
    "fsrcnn_init_loop_zeroes_weights": F.fsrcnn,
    "linknet_bn_biases_minus_10": F.linknet,
    "dssm_40_tanh_layers": F.dssm,
    "dkt_lstm_recurrent_std_1": F.dkt,
    "bytenet_adam_lr1": F.bytenet,
    "rednet_sgd_lr5": F.rednet,
    "fsrcnn_adam_lr0.1": F.fsrcnn,
    "fourier_net_adam_lr1": F.fourier_net,
    "t2t_vit_lambdalr_returns_lr": F.t2t_vit,
    "rednet_without_batchnorm_sgd_lr0.1": F.rednet,
    "mqrnn_adam_weight_decay_10": F.mqrnn,
    "dkt_adam_weight_decay_10": F.dkt,
    "rednet_labels_shuffled": F.rednet,
    "linknet_masks_shuffled": F.linknet,
    "mqrnn_covariates_zscored_without_eps": F.mqrnn,
    "rednet_inverse_frequency_class_weights": F.rednet,
}
