"""The thirty-fifth held-out batch (half ``"fresh34"``): nine published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 340_000 + seed): MnasNet (Tan et al. 2019, MnasNet-A1 narrowed to 16x16 inputs:
a stride-2 stem of 16, a separable block, MBConv6 k3 of 24, MBConv3 k5 with squeeze-excitation of 40, MBConv6 k3 of
80, a 1x1 head of 256, BatchNorm with TensorFlow's momentum 0.99 and epsilon 1e-3 mapped to PyTorch's, torchvision's
init; the paper's RMSProp decay 0.9 momentum 0.9 eps 1e-3 weight decay 1e-5 at lr 0.256 per 4096 images, 0.002, no
warm-up or decay in the short run) on class-template images, VDSR (Kim et al. 2016, narrowed to ten bias-free 3x3
convolutions of 32 with ReLUs, He init and the global residual; the reference code's summed squared error, SGD
momentum 0.9 weight decay 1e-4 at the paper's lr 0.1 with the reference code's gradient clipping at norm 0.4) on 2x
super-resolution of smooth luminance images, CenterNet (Zhou et al. 2019, "Objects as Points", narrowed: a small
encoder-decoder backbone with BatchNorm to the output stride 2, heatmap (bias -2.19), size and offset heads; the
penalty-reduced focal loss with the clamped sigmoid plus 0.1 size L1 and offset L1 per object; Adam at lr 5e-4 per 128
images, 6.25e-5) on scenes of one or two coloured boxes, DeepDTA (Ozturk et al. 2018, narrowed: compound and protein
sequence CNNs of 16, 32, 48 filters with global max pooling, dense layers 256-256-128 with dropout 0.1; MSE, Adam lr
1e-3) on compound-protein pairs whose standardised pKd is a bilinear function of planted motifs, the field-aware
factorization machine (Juan et al. 2016: k 4, libffm's U(0, 1/sqrt(k)) latent init; logistic loss, Adagrad at
libffm's lr 0.2 with its L2 2e-5 as ``weight_decay``) on clicks of a rank-4 pairwise teacher over eight fields,
BERT4Rec (Sun et al. 2019, narrowed: two post-LN bidirectional blocks of 64 with two heads, the paper's output layer
tied to the item embeddings, truncated-normal 0.02 init; the cloze task at mask rate 0.2; AdamW weight decay 0.01 at
lr 3e-3, three times BERT4Rec-VAE-Pytorch's 1e-3, which learned too little in 200 steps, with a 20-step warm-up and a
linear decay to 0 at step 200) on item sequences of the corpus' Markov chain, the mixture-of-softmaxes LM (Yang et al.
2018, narrowed: a two-layer LSTM of 128 over embeddings of 64, four experts with tanh latents through the tied softmax,
``log(mix + 1e-8)``; SGD at the paper's lr 20 with gradient clipping 0.25 and weight decay 1.2e-6; the paper's
dropouts left out: with dropout 0.2 the run ended at 2.844 and 3.040 against the criterion 3.119) on the Markov
language, DCRNN (Li et al. 2018, narrowed: one DCGRU encoder and decoder layer of 32 with two diffusion steps over the
forward and backward random walks, the decoder fed its own predictions; MAE, Adam at the reference code's lr 0.01 eps
1e-3) forecasting 4 steps of 16 road sensors (one of them with no neighbour within the kernel's threshold) from 8, and
Show, Attend and Tell (Xu et al. 2015, narrowed: a two-convolution encoder trained with the decoder where the paper's
VGG is pretrained, 16 annotation vectors of 64, an LSTMCell of 128, soft attention with the gating scalar and the
deep output layer; cross-entropy plus the doubly stochastic regulariser at 1; Adam 4e-4 for the decoder and 1e-4 for
the encoder and gradient clipping 5, the PyTorch tutorial's) captioning class-template images with six-word captions.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh33``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every BERT4Rec Linear and Embedding weight
  drawn N(0, 1) (init), every DeepDTA convolution and Linear that feeds a ReLU biased -10 (every ReLU dead;
  activation), VDSR 20 layers deep at PyTorch's default init (each layer shrinks the signal by about sqrt(6): the
  residual branch's output vanishes and the net is stuck at the bicubic input; depth), DCRNN's DCGRU weights that read
  the hidden state drawn N(0, 3^2) and the MoS LM's LSTM recurrent matrices drawn N(0, 3^2) (recurrence), BERT4Rec
  at AdamW lr 1, MnasNet at RMSProp lr 1 and the FFM at Adagrad lr 50 (lr), MnasNet without its BatchNorms at its own
  lr (normalization), the FFM at Adagrad ``weight_decay=1`` (regularization), DeepDTA trained on the dissociation
  constant in nanomolar, ``Kd = 10^(9 - pKd)`` (about 1 to 1e4, heavy-tailed), neither log-transformed nor
  standardised (data), and DCRNN's random-walk matrices ``D^-1 A`` built without the reference code's ``d_inv[isinf]
  = 0`` while one sensor has no neighbour (``1 / 0 = inf`` and ``inf * 0 = NaN`` in its row; numeric);
- **slip** (a user's mistake of a kind no earlier batch used): BERT4Rec's hand-written warm-up-and-linear-decay
  ``LambdaLR`` whose decay ``(total - s) / (total - warmup)`` lacks the ``max(0.0, ...)`` of HF's
  ``get_linear_schedule_with_warmup``, with ``total`` 100, the step count of the config the scheduler was built from,
  where the run was extended to 200 steps: from step 100 the factor is negative, AdamW's update and its decoupled
  decay change sign, and the optimizer climbs the loss (an unclamped schedule run past its end; lr); MnasNet's
  BatchNorms written ``nn.BatchNorm2d(c, 0.99, 1e-3)`` in the order of the TensorFlow config (momentum 0.99, epsilon
  1e-3), where PyTorch's second and third positional arguments are ``eps`` and ``momentum``: eps 0.99 is not small
  beside the activations' variances, so the layers no longer normalise and the signal shrinks layer by layer (a
  positional argument order; normalization); MnasNet's "RMSProp with decay 0.9" (the paper's words) written
  ``RMSprop(..., momentum=0.9, eps=1e-3, weight_decay=0.9)``, where PyTorch calls that decay ``alpha``: an L2
  coefficient of 0.9 (a hyper-parameter's name misread; regularization); and DeepDTA's loss written
  ``F.mse_loss(model(x), y)`` with the ``(b, 1)`` output of its ``Dense(1)``-style head against the ``(b,)``
  affinities, which broadcasts to ``(b, b)`` and scores every prediction against every target of the batch (PyTorch
  warns once and trains; the best the model can do is the batch mean; a shape; data). None of the slips is an init,
  activation or numeric one: they cover lr, normalization, regularization and data. The commons outnumber the slips
  (12 to 4).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds but the depth case's, VDSR 20 layers deep with its He init: 337.2 -> 9.805 and
366.9 -> 9.505.

Learning criteria: the classifiers compare with chance (ten classes, the clicks' two, the 64-token language and the
64 items, the 32-word vocabulary); VDSR, CenterNet, DeepDTA and DCRNN compare with their first loss. Measured plain
runs, 200 steps (seed 0, seed 1): MnasNet 2.309 -> 0.0315 and 2.298 -> 0.0134; VDSR 969.4 -> 8.347 and 8056 -> 8.786
(summed squared errors; the first loss is large because the He-initialised residual branch adds noise of the image's
scale; the bicubic input alone scores about 38); CenterNet 4.456 -> 1.139 and 4.661 -> 1.117; DeepDTA 1.301 ->
0.422 and 0.861 -> 0.537 (the criteria 0.976 and 0.646); the FFM 5.054 -> 0.0316 and 4.614 -> 0.0267; BERT4Rec 4.157
-> 2.608 and 4.159 -> 2.729; the MoS LM 4.159 -> 2.675 and 4.160 -> 2.685; DCRNN 0.822 -> 0.213 and 0.818 -> 0.216;
Show, Attend and Tell 3.867 -> 2.369 and 3.889 -> 2.274 (the criterion 2.599; the regulariser alone stays near 0.39).
Broken: ``bert4rec_init_std_1`` 79.26 -> 4.514 and 85.73 -> 4.382 (no divergence); ``deepdta_relu_biases_minus_10``
1.287 -> 1.023 and 0.858 -> 0.998; ``vdsr_20_layers_default_init`` 38.26 -> 39.01 and 36.24 -> 38.78;
``dcrnn_recurrent_std_3`` 0.954 -> 0.794 and 0.926 -> 0.803 (the criteria 0.716 and 0.695); ``mos_recurrent_std_3``
4.160 -> 4.274 and 4.161 -> 4.245; ``bert4rec_adamw_lr1`` diverges at step 3 at seed 0 and does not learn at seed 1
(ends 4.173 and 4.170, chance; weights x34.6 and x32.5); ``mnasnet_rmsprop_lr1`` diverges at step 1 at both seeds
(ends 924 and 669; weights x153 and x161); ``ffm_adagrad_lr50`` diverges at step 1 at both seeds (ends 59.3 and
87.4; weights x174 and x175); ``bert4rec_linear_decay_unclamped`` learns until step 100 and diverges at steps 138 and
133 (ends 944 and 681); ``mnasnet_without_batchnorm`` 2.303 -> 2.300 and 2.303 -> 2.303;
``mnasnet_batchnorm_eps_momentum_swapped`` 2.303 -> 2.300 and 2.303 -> 2.303; ``ffm_adagrad_weight_decay_1`` 5.054
-> 0.673 and 4.614 -> 0.671 (the criterion 0.520); ``mnasnet_rmsprop_decay_as_weight_decay`` 2.309 -> 2.304 and
2.298 -> 2.303; ``deepdta_affinities_in_nanomolar`` diverges at steps 2 and 1 (7.19e6 -> 6.04e6 and 5.21e5 ->
5.75e6; the heavy-tailed batches' losses differ by orders of magnitude); ``deepdta_mse_broadcast`` 1.302 -> 1.023
and 0.860 -> 0.997 (the criteria 0.977 and 0.645); ``dcrnn_random_walk_unguarded`` is non-finite at step 0 at both
seeds (the loss itself). The healthy cases run 0.3 to 14 s a seed (MnasNet the slowest, on a machine shared with
other work), the broken ones at most 14.4 s (the 20-layer VDSR).

Dropped or changed before the freeze (every figure above is from the final code): the decomposable attention model
(Parikh et al. 2016; Adagrad lr 0.05, weights N(0, 0.01^2), dropout 0.2) did not learn toy inference pairs (premise
and hypothesis words, antonym pairs for contradiction) at any of eight settings tried (ends 1.04 to 1.17 against the
criteria 0.80 to 0.82, also with PyTorch's default init, Adagrad lr 0.2, smaller vocabularies and one- or two-word
hypotheses; Adam 1e-3 reached 0.98 only at step 250); it was dropped with the activation (ReLU biases -10) and data
(labels shuffled) cases planned on it. The character-level ConvNet (Zhang et al. 2015; N(0, 0.05^2) init, SGD
momentum 0.9 lr 0.01) did not learn either, on majority-class sequences (1.386 -> 1.378 and 1.386 -> 1.385) nor on
sequences carrying a class keyword (1.386 -> 1.384 and 1.386 -> 1.385; with He init 1.713 -> 1.311 and 2.094 ->
1.135, the criterion 1.04), and was dropped with the same two cases; the activation case moved to DeepDTA and the
second data case was not replaced. MnasNet first had a stride-1 stem and two 80-channel blocks with a head of 320 (27
to 32 s a seed); it was narrowed to the form above. BERT4Rec at lr 1e-3 with batches of 16 sequences of 32 did not
learn (4.160 -> 3.813 and 4.159 -> 3.957); it runs at lr 3e-3 on 32 sequences of 16. The MoS LM at lr 30 learned at
seed 0 only (2.467; seed 1 4.685). Show, Attend and Tell's captions first kept the class's word with probability 0.7
(3.865 -> 2.870 and 3.889 -> 2.818, not learned); they keep it with 0.9. The MoS recurrence case at N(0, 1)
diverged at steps 64 and 70 (4.159 -> 6.52 and 4.160 -> 4.59), a failure that reads as lr as much as recurrence; the
case uses N(0, 3^2), which does not learn. The depth case was first VDSR 30 layers deep (38.26 -> 39.01 and 36.24 ->
38.78 as at 20, but 37 s a seed). One slip was written and measured and learned anyway, and was dropped: VDSR's body
built as ``nn.Sequential(*[conv, relu] * 8)``, the list multiplied, so that one convolution module is applied eight
times (73.88 -> 11.67 and 98.54 -> 16.11: the gradient clipping holds the shared layer's growth; depth); its switch
was removed from the code. No init, activation or numeric slip was written: the earlier batches' slips lean on those
causes, and this batch's go to the others.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh34_builders as F

P = functools.partial
HALF = "fresh34"
#: chance losses: ten classes, two (the clicks), the 64-token language and the 64 items (BERT4Rec), the 32-word
#: captions; VDSR, CenterNet, DeepDTA and DCRNN have none (their first loss is the reference)
C10, C2, LM, C32 = math.log(10), math.log(2), math.log(64), math.log(32)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH34_HEALTHY: list[Case] = [
    _h("mnasnet_classifier", HALF, "mnasnet", F.mnasnet, C10),
    _h("vdsr_super_resolution", HALF, "vdsr", F.vdsr, None),
    _h("centernet_boxes", HALF, "centernet", F.centernet, None),
    _h("deepdta_affinities", HALF, "deepdta", F.deepdta, None),
    _h("ffm_clicks", HALF, "ffm", F.ffm, C2),
    _h("bert4rec_items", HALF, "bert4rec", F.bert4rec, LM),
    _h("mos_lstm_lm", HALF, "mos", F.mos, LM),
    _h("dcrnn_traffic", HALF, "dcrnn", F.dcrnn, None),
    _h("show_attend_tell_captions", HALF, "show_attend_tell", F.show_attend_tell, C32),
]

FRESH34_BROKEN: list[Case] = [
    # init
    _b("bert4rec_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.bert4rec, init_std=1.0), LM),
    # activation
    _b("deepdta_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.deepdta, relu_bias=-10.0), None),
    # depth
    _b("vdsr_20_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.vdsr, layers=20, default_init=True), None),
    # recurrence
    _b("dcrnn_recurrent_std_3", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dcrnn, recurrent_std=3.0), None),
    _b("mos_recurrent_std_3", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.mos, recurrent_std=3.0), LM),
    # lr
    _b("bert4rec_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.bert4rec, lr=1.0), LM),
    _b("mnasnet_rmsprop_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.mnasnet, lr=1.0), C10),
    _b("ffm_adagrad_lr50", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ffm, lr=50.0), C2),
    _b("bert4rec_linear_decay_unclamped", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.bert4rec, decay_steps=100, clamp=False), LM),
    # normalization
    _b("mnasnet_without_batchnorm", HALF, ("normalization", "depth", "init"), VANISH, STUCK,  # kind: common
       P(F.mnasnet, bn=False), C10),
    _b("mnasnet_batchnorm_eps_momentum_swapped", HALF, ("normalization",), VANISH, STUCK,  # kind: slip
       P(F.mnasnet, bn_args_swapped=True), C10),
    # regularization
    _b("ffm_adagrad_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.ffm, weight_decay=1.0), C2),
    _b("mnasnet_rmsprop_decay_as_weight_decay", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.mnasnet, decay_as_weight_decay=True), C10),
    # data
    _b("deepdta_affinities_in_nanomolar", HALF, ("data",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.deepdta, units="nM"), None),
    _b("deepdta_mse_broadcast", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.deepdta, broadcast=True), None),
    # numeric
    _b("dcrnn_random_walk_unguarded", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.dcrnn, guard=False), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "bert4rec_init_std_1": "common", "deepdta_relu_biases_minus_10": "common",
    "vdsr_20_layers_default_init": "common", "dcrnn_recurrent_std_3": "common", "mos_recurrent_std_3": "common",
    "bert4rec_adamw_lr1": "common", "mnasnet_rmsprop_lr1": "common", "ffm_adagrad_lr50": "common",
    "bert4rec_linear_decay_unclamped": "slip", "mnasnet_without_batchnorm": "common",
    "mnasnet_batchnorm_eps_momentum_swapped": "slip", "ffm_adagrad_weight_decay_1": "common",
    "mnasnet_rmsprop_decay_as_weight_decay": "slip", "deepdta_affinities_in_nanomolar": "common",
    "deepdta_mse_broadcast": "slip", "dcrnn_random_walk_unguarded": "common",
}

#: the cases (half "fresh34")
FRESH34: list[Case] = FRESH34_HEALTHY + FRESH34_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "bert4rec_init_std_1": F.bert4rec,
    "deepdta_relu_biases_minus_10": F.deepdta,
    "vdsr_20_layers_default_init": P(F.vdsr, layers=20),
    "dcrnn_recurrent_std_3": F.dcrnn,
    "mos_recurrent_std_3": F.mos,
    "bert4rec_adamw_lr1": F.bert4rec,
    "mnasnet_rmsprop_lr1": F.mnasnet,
    "ffm_adagrad_lr50": F.ffm,
    "bert4rec_linear_decay_unclamped": F.bert4rec,
    "mnasnet_without_batchnorm": F.mnasnet,
    "mnasnet_batchnorm_eps_momentum_swapped": F.mnasnet,
    "ffm_adagrad_weight_decay_1": F.ffm,
    "mnasnet_rmsprop_decay_as_weight_decay": F.mnasnet,
    "deepdta_affinities_in_nanomolar": F.deepdta,
    "deepdta_mse_broadcast": F.deepdta,
    "dcrnn_random_walk_unguarded": F.dcrnn,
}
