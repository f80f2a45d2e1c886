"""The thirty-seventh held-out batch (half ``"fresh36"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 360_000 + seed): FMLP-Rec (Zhou et al. 2022, narrowed: item and position
embeddings of 64, two filter blocks (the learnable complex filter between an FFT and its inverse along the session,
the GELU feed-forward, residual LayerNorms with eps 1e-12), dropout 0.5, the last state scored against every item
embedding; N(0, 0.02^2) init and the filters at 0.02 * N(0, 1) as the reference code; cross-entropy, Adam at its lr
1e-3) predicting the next item of Markov sessions of 8, LINKX (Lim et al. 2021: ``MLP_A`` on the adjacency rows and
``MLP_X`` on the features, hidden 64, ``relu(W [h_A, h_X] + h_A + h_X)``, a final MLP with BatchNorm and dropout 0.5;
PyTorch's default init; Adam lr 0.01 weight decay 1e-3, values of the kind its reference search uses) classifying the
nodes of a 300-node stochastic block model with 20 cold-start nodes and weak features (loss over the training half),
the deep averaging network (Iyyer et al. 2015: embeddings of 64 averaged with the paper's word dropout 0.3, three
ReLU layers of 64, a softmax layer; AdaGrad, the paper's optimiser, at lr 0.01 set here) on topic texts of 16 words
(4 topics), MLSTM-FCN (Karim et al. 2019, narrowed: the FCN branch of 1-D convolutions 32-64-32 (kernels 8, 5, 3)
with BatchNorm, ReLU and squeeze-excite (reduction 16), beside the dimension-shuffled LSTM of 8 cells with dropout
0.8; He-uniform convolutions; Adam at the paper's lr 1e-3) classifying 3-variable series of 64 steps (4 classes),
the Galerkin Transformer (Cao 2021, narrowed: the function and its grid lifted to 32, two layers of the softmax-free
Galerkin attention ``Q (LN(K)^T LN(V)) / n`` with 4 heads and a GELU feed-forward, Q, K, V at Xavier gain 0.01 plus
0.01 I as the reference code; MSE, Adam at the paper's peak lr 1e-3 without its one-cycle schedule) learning the
antiderivative operator on 64 points, GMMN (Li, Swersky and Zemel 2015, narrowed: uniform noise in [-1, 1]^8 through
ReLU layers 64 and 128 to a sigmoid output of 16; the square root of the multi-scale Gaussian-kernel MMD^2 with the
bandwidths 1, 2, 4, 8; Adam lr 1e-3, set here, not the paper's optimiser) matching points on a 4-dimensional
manifold in [0, 1]^16, ECA-Net (Wang et al. 2020: an ECA-ResNet in the CIFAR ResNet-20 layout, three stages of three
basic blocks of 16, 32, 64 channels with the ECA module (k = 3), Kaiming fan-out init; SGD at the paper's lr 0.1,
momentum 0.9, weight decay 1e-4) on 16x16 class-template images (10 classes), and FastRNN (Kusupati et al. 2018:
``h_t = alpha tanh(W x_t + U h_{t-1} + b) + beta h_{t-1}`` with trainable ``alpha = sigmoid(a)``, ``beta =
sigmoid(c)`` at EdgeML's ``a = -3``, ``c = 3``, W and U at 0.1 * N(0, 1), b ones, 32 units; Adam, EdgeML's trainer's
optimiser, at lr 0.01 set here) classifying 32-step series whose class is marked only in their first 10 steps.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh35``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every FMLP-Rec embedding and Linear drawn
  N(0, 1) (init), LINKX's ``W`` biased -10 (every unit of its ``relu`` dead; activation), the DAN 30 hidden layers
  deep at PyTorch's default init (depth), FastRNN's carry ``beta`` started at ``sigmoid(-3) = 0.047`` instead of
  ``sigmoid(3)`` (the state keeps 5% a step, and the mark is gone 22 steps later; recurrence), FMLP-Rec at Adam lr 1,
  the DAN at AdaGrad lr 10 and the Galerkin Transformer at Adam lr 1 (lr), ECA-Net without its BatchNorms at its SGD
  lr 0.1 (normalization), FMLP-Rec at Adam ``weight_decay=0.5`` and LINKX at Adam ``weight_decay=1``
  (regularization), the DAN's topics permuted within every batch, apart from their texts (data), and LINKX's
  adjacency rows divided by the degrees while the graph has cold-start nodes (``0 / 0``; numeric);
- **slip** (a user's mistake of a kind no earlier batch used): FMLP-Rec's ``self.apply(self.init_weights)`` also
  called at the top of ``forward`` (every embedding and Linear re-drawn at every call, so no update survives a step;
  init), the DAN's hidden activation built as ``nn.Softmax(dim=-1)`` (a config's "softmax" read as the hidden
  layers' activation: each layer's 64 outputs sum to 1; ``fresh6`` tried it on DCN, where it learned, and dropped
  it; activation), FastRNN's gate parameters used as ``alpha`` and ``beta`` themselves, their sigmoids left out
  (``h_t = -3 h~_t + 3 h_{t-1}``: the state grows 3x a step; recurrence), and GMMN's kernel written ``exp(-d2 / (2 *
  (s ^ 2)))``, Python's bitwise xor for the square (``2 ^ 2 = 0``: the bandwidth 2 divides by zero, ``0 / 0`` on the
  diagonal; numeric). None of the slips is a data, lr or regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is the DAN at its own three hidden layers).

Learning criteria: the classifiers compare with chance (FMLP-Rec's 64 items, LINKX's, the DAN's, MLSTM-FCN's and
FastRNN's four classes, ECA-Net's ten); the Galerkin Transformer and GMMN compare with their first loss. Measured
plain runs, 200 steps (seed 0, seed 1): FMLP-Rec 4.187 -> 1.989 and 4.147 -> 2.011 (the criterion 3.119); LINKX
1.581 -> 0.0051 and 1.504 -> 0.0044; the DAN 1.381 -> 0.124 and 1.392 -> 0.133; MLSTM-FCN 1.400 -> 0.117 and 1.355
-> 0.096; the Galerkin Transformer 1.814 -> 0.0508 and 2.195 -> 0.0698; GMMN 0.763 -> 0.350 and 0.746 -> 0.377;
ECA-Net 2.456 -> 2.6e-4 and 2.334 -> 2.1e-4; FastRNN 1.397 -> 0.611 and 1.415 -> 0.379 (the criterion 1.040).
Broken: ``fmlp_rec_init_std_1`` 18.23 -> 11.78 and 18.83 -> 11.73 (no divergence); ``fmlp_rec_init_in_forward``
4.221 -> 4.179 and 4.183 -> 4.159; ``linkx_relu_biases_minus_10`` 1.383 -> 1.378 and 1.391 -> 1.372;
``dan_softmax_as_hidden_activation`` 1.379 -> 1.382 and 1.390 -> 1.384; ``dan_30_layers_default_init`` 1.406 ->
1.385 and 1.402 -> 1.386; ``fastrnn_beta_logit_minus_3`` 1.390 -> 1.386 and 1.381 -> 1.386;
``fastrnn_gates_without_sigmoid`` stays finite and stuck (5.97e14 -> 1.70e12 and 1.29e15 -> 3.62e12; the weight norm
never grows); ``fmlp_rec_adam_lr1`` diverges at step 1 at both seeds (ends 65.01 and 63.01; weights x95 and x98);
``dan_adagrad_lr10`` diverges at step 1 at both seeds (ends 3.6e4 and 11.55; weights x26);
``galerkin_transformer_adam_lr1`` diverges at step 1 at both seeds (ends 8.2e18 and 2.1e25; weights x32 and x289);
``eca_net_without_batchnorm`` diverges at steps 158 and 23 and is non-finite at steps 164 and 194;
``fmlp_rec_adam_weight_decay_0.5`` 4.187 -> 3.777 and 4.147 -> 3.774; ``linkx_adam_weight_decay_1`` 1.581 -> 1.383
and 1.504 -> 1.381; ``dan_labels_shuffled`` 1.382 -> 1.357 and 1.391 -> 1.365;
``linkx_row_normalised_with_isolated_nodes`` and ``gmmn_bandwidth_squared_by_xor`` are non-finite at step 0 at both
seeds (the loss itself). Every case runs at most 4.5 s a seed (ECA-Net the slowest, on a machine shared with other
work).

Dropped or changed before the freeze (every figure above is from the final code): FastRNN's series were first 64
steps long, and the healthy FastRNN did not learn them (1.395 -> 1.387 and 1.435 -> 1.388); at 32 steps it does.
FastRNN's recurrent matrix drawn N(0, 1), N(0, 3^2) or N(0, 10^2) learned (1.361 -> 0.016 and 1.417 -> 0.026 at std
1), as did its gates started as a plain tanh RNN (``a = 10``, ``c = -10``) at seed 0 (1.393 -> 0.566); the
recurrence common is the carry's logit. MLSTM-FCN at Adam lr 1 learned after a spike (1.400 -> 0.353 and 1.355 ->
0.507) and was dropped, leaving MLSTM-FCN without a broken case. FMLP-Rec at Adam weight decay 0.1 ended at 3.131
and 3.127 against the criterion 3.119, too close to call; the case uses 0.5. ECA-Net had two basic blocks a stage at
first: without its BatchNorms seed 0 spiked at step 30 and came back to 1.730 (the criterion 1.727); in the
ResNet-20 layout both seeds go non-finite (the healthy figures above are that layout's). Two slips were written,
measured and dropped: GMMN with ``nn.LogSigmoid()`` picked for its output's ``nn.Sigmoid()`` learned by the
criterion (2.018 -> 1.450 and 2.000 -> 1.445; the ``out`` switch stays in the model, unused), and GMMN's squared
distances taken as the square of ``sqrt(d2)`` (NaN at step 0 from the zero diagonal) was not kept because ``fresh7``
used a square root of pairwise distances on the diagonal. GMMN's bandwidths were first 0.25 to 4 (healthy 1.596 ->
0.463 and 1.588 -> 0.486); they are the integers 1, 2, 4, 8 for the xor slip. No depth, normalization, lr,
regularization or data slip was written: the commons outnumber the slips (12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh36_builders as F

P = functools.partial
HALF = "fresh36"
#: chance losses: 64 items (FMLP-Rec), four classes (LINKX's nodes, the DAN's topics, MLSTM-FCN's series, FastRNN's
#: marks), ten (ECA-Net's images); the Galerkin Transformer and GMMN have none (their first loss is the reference)
ITEMS, C4, C10 = math.log(64), math.log(4), math.log(10)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH36_HEALTHY: list[Case] = [
    _h("fmlp_rec_sessions", HALF, "fmlp_rec", F.fmlp_rec, ITEMS),
    _h("linkx_sbm_nodes", HALF, "linkx", F.linkx, C4),
    _h("dan_topics", HALF, "dan", F.dan, C4),
    _h("mlstm_fcn_series", HALF, "mlstm_fcn", F.mlstm_fcn, C4),
    _h("galerkin_transformer_antiderivative", HALF, "galerkin_transformer", F.galerkin, None),
    _h("gmmn_manifold", HALF, "gmmn", F.gmmn, None),
    _h("eca_net_images", HALF, "eca_net", F.eca_net, C10),
    _h("fastrnn_marked_series", HALF, "fastrnn", F.fastrnn, C4),
]

FRESH36_BROKEN: list[Case] = [
    # init
    _b("fmlp_rec_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.fmlp_rec, init_std=1.0), ITEMS),
    _b("fmlp_rec_init_in_forward", HALF, ("init",), VANISH, STUCK,  # kind: slip
       P(F.fmlp_rec, init_in_forward=True), ITEMS),
    # activation
    _b("linkx_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.linkx, relu_bias=-10.0), C4),
    _b("dan_softmax_as_hidden_activation", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.dan, act="softmax"), C4),
    # depth
    _b("dan_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.dan, layers=30), C4),
    # recurrence
    _b("fastrnn_beta_logit_minus_3", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.fastrnn, gates=(-3.0, -3.0)), C4),
    _b("fastrnn_gates_without_sigmoid", HALF, ("recurrence",), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.fastrnn, raw_gates=True), C4),
    # lr
    _b("fmlp_rec_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fmlp_rec, lr=1.0), ITEMS),
    _b("dan_adagrad_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.dan, lr=10.0), C4),
    _b("galerkin_transformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.galerkin, lr=1.0), None),
    # normalization
    _b("eca_net_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.eca_net, bn=False), C10),
    # regularization
    _b("fmlp_rec_adam_weight_decay_0.5", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.fmlp_rec, weight_decay=0.5), ITEMS),
    _b("linkx_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.linkx, weight_decay=1.0), C4),
    # data
    _b("dan_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.dan, shuffled=True), C4),
    # numeric
    _b("linkx_row_normalised_with_isolated_nodes", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.linkx, row_normalised=True), C4),
    _b("gmmn_bandwidth_squared_by_xor", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.gmmn, xor=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "fmlp_rec_init_std_1": "common", "fmlp_rec_init_in_forward": "slip", "linkx_relu_biases_minus_10": "common",
    "dan_softmax_as_hidden_activation": "slip", "dan_30_layers_default_init": "common",
    "fastrnn_beta_logit_minus_3": "common", "fastrnn_gates_without_sigmoid": "slip", "fmlp_rec_adam_lr1": "common",
    "dan_adagrad_lr10": "common", "galerkin_transformer_adam_lr1": "common", "eca_net_without_batchnorm": "common",
    "fmlp_rec_adam_weight_decay_0.5": "common", "linkx_adam_weight_decay_1": "common", "dan_labels_shuffled": "common",
    "linkx_row_normalised_with_isolated_nodes": "common", "gmmn_bandwidth_squared_by_xor": "slip",
}

#: the cases (half "fresh36")
FRESH36: list[Case] = FRESH36_HEALTHY + FRESH36_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "fmlp_rec_init_std_1": F.fmlp_rec,
    "fmlp_rec_init_in_forward": F.fmlp_rec,
    "linkx_relu_biases_minus_10": F.linkx,
    "dan_softmax_as_hidden_activation": F.dan,
    "dan_30_layers_default_init": F.dan,
    "fastrnn_beta_logit_minus_3": F.fastrnn,
    "fastrnn_gates_without_sigmoid": F.fastrnn,
    "fmlp_rec_adam_lr1": F.fmlp_rec,
    "dan_adagrad_lr10": F.dan,
    "galerkin_transformer_adam_lr1": F.galerkin,
    "eca_net_without_batchnorm": F.eca_net,
    "fmlp_rec_adam_weight_decay_0.5": F.fmlp_rec,
    "linkx_adam_weight_decay_1": F.linkx,
    "dan_labels_shuffled": F.dan,
    "linkx_row_normalised_with_isolated_nodes": F.linkx,
    "gmmn_bandwidth_squared_by_xor": F.gmmn,
}
