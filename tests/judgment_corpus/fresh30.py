"""The thirty-first held-out batch (half ``"fresh30"``): eleven published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 300_000 + seed): the AWD-LSTM LM (Merity et al. 2018: three LSTM layers 64-128-
128-64 with the output tied to the embedding, DropConnect 0.5 on the hidden-to-hidden weights, embedding dropout 0.1,
locked dropouts 0.4 and 0.25; SGD lr 30 weight decay 1.2e-6, gradients clipped at norm 0.25; its AR/TAR terms left
out) on the corpus' Markov language, NextItNet (Yuan et al. 2019: embeddings of 64, four residual blocks of two dilated
causal convs with LayerNorm, rates 1 to 8; Adam lr 1e-3) and SR-GNN (Wu et al. 2019: session graphs, one gated graph
step of 100, soft-attention readout; Adam lr 1e-3 with L2 1e-5) on Markov sessions over 64 items, ExpRNN
(Lezcano-Casado & Martinez-Rubio 2019: 64 units, recurrent matrix ``expm(A - A^T)`` at Henaff's init, modReLU;
RMSprop lr 1e-3 and 1e-4 on ``A``, the reference code's TIMIT setting) classifying left-padded sequences by their
first real token, GloVe (Pennington et al. 2014: vectors of 16, ``x_max`` 100, ``alpha`` 0.75; Adagrad lr 0.05) on
the co-occurrence counts of a sparse Markov corpus, CGCNN (Xie & Grossman 2018: three gated crystal-graph convs of 32
over 6 nearest neighbours with a Gaussian distance expansion; SGD lr 0.01 momentum 0.9) regressing the standardised
energy per atom of 12-atom clusters, C3D (Tran et al. 2015, narrowed: 3x3x3 convs of 16, 32, 64, a hidden layer of
128 with dropout 0.5; SGD lr 0.003 momentum 0.9 weight decay 5e-4, batch 30) on clips whose class is the direction
in which a pattern moves, VoVNet (Lee et al. 2019, narrowed: three one-shot-aggregation stages of five 3x3 convs;
SGD momentum 0.9 weight decay 1e-4 at lr 0.1 per 256 images, 0.0125, the standard ImageNet recipe) on class-template
images, SampleCNN (Lee et al. 2017: 3-sample strided front end, five conv-BN-ReLU-maxpool-3 blocks on 729 samples,
dropout 0.5; SGD lr 0.01 Nesterov momentum 0.9 weight decay 1e-6) tagging 8 kHz clips with four tags, the FCN for
time series (Wang, Yan & Oates 2017: kernels 8, 5, 3 with 64, 128, 64 channels where the paper has twice as many,
BatchNorm, global average pooling; Adam lr 1e-3) on series of four pattern classes, and DA-RNN (Qin et al. 2017:
input-attention LSTM encoder and temporal-attention LSTM decoder of 64, window 10; Adam lr 1e-3) forecasting a
target from 8 driving series (one a dead sensor stuck at a constant; the series standardised with
``StandardScaler``'s guard that maps a zero std to 1).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh29``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every SR-GNN parameter drawn N(0, 3^2)
  (init), every C3D bias before a ReLU at -10 (every ReLU dead; activation), CGCNN's head made a stack of 48 plain
  tanh layers at PyTorch's default init (depth), ExpRNN's recurrent matrix scaled to spectral radius 2 (recurrence),
  the AWD-LSTM at its SGD lr 30 without its gradient clipping, NextItNet at Adam lr 1 and SR-GNN at Adam lr 10 (lr),
  VoVNet without its BatchNorms at SGD lr 0.1 (normalization; at its own 0.0125 it learned, see below), C3D at SGD
  ``weight_decay=10`` and NextItNet at Adam ``weight_decay=10`` (regularization), SR-GNN's next items permuted
  against the sessions (data), DA-RNN's driving series standardised by hand without the zero-std guard (the dead
  sensor is 0/0) and ExpRNN's modReLU with its sign computed ``z / |z|`` (0/0 on the padded steps; numeric);
- **slip** (a user's mistake of a kind no earlier batch used): the AWD-LSTM's DropConnect written
  ``self.w_hh.data = F.dropout(self.w_hh.data, 0.5)``, the dropped copy stored over the raw weight, so that every
  forward zeroes half of the surviving recurrent weights and doubles the rest (a regulariser's output written back
  into the parameter it should leave alone; regularization), the FCN's series and labels read through two
  ``DataLoader`` objects each built with ``shuffle=True`` and zipped, so that each epoch pairs every series with
  another one's label (two loaders shuffled independently; data), and GloVe's batches drawn from the dense
  co-occurrence matrix, the zeros included, where the reference code visits only the non-zero cells: ``log 0 =
  -inf`` times the weight ``f(0) = 0`` is NaN (a sparse matrix's empty cells kept; numeric). The commons outnumber
  the slips (13 to 3): two further slips were written and measured and learned or were inconsistent (see below).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (VoVNet's: with its BatchNorms at its own lr 0.0125).

Learning criteria: the classifiers compare with chance (four, ten and two classes, the 64-token language and the 64
items); GloVe, CGCNN and DA-RNN compare with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): the
AWD-LSTM 4.158 -> 2.294 and 4.160 -> 2.284; NextItNet 5.18 -> 1.159 and 4.84 -> 1.129; SR-GNN 4.157 -> 1.548 and
4.157 -> 1.396; ExpRNN 1.448 -> 0.724 and 1.459 -> 0.626; GloVe 0.0872 -> 0.0140 and 0.1252 -> 0.0158 (weights x17.5
and x18.2 from the reference code's tiny init); CGCNN 0.991 -> 0.0352 and 0.495 -> 0.0759; C3D 1.412 -> 0.385 and
1.371 -> 0.517; VoVNet 2.359 -> 0.0189 and 2.287 -> 0.0218; SampleCNN 0.746 -> 0.0881 and 0.781 -> 0.0964; the FCN
1.447 -> 0.0657 and 1.457 -> 0.0717; DA-RNN 0.932 -> 0.0820 and 0.946 -> 0.0585. Broken: ``srgnn_weights_init_std_3``
3.1e5 -> 1.8e5 and 4.0e5 -> 2.0e5 (the criterion 3.12; weights x1.00); ``c3d_relu_biases_minus_10`` 1.394 -> 1.384
and 1.385 -> 1.387; ``cgcnn_head_48_tanh_layers`` 0.943 -> 0.989 and 0.596 -> 0.969;
``exprnn_recurrent_matrix_radius_2`` 124.6 -> 2.36 and 164.4 -> 1.66 (the criterion 1.04);
``awd_lstm_sgd_lr30_without_clipping`` diverges at steps 56 and 38 (weights x7e12 and x2e13); ``nextitnet_adam_lr1``
diverges at step 1 at both seeds (ends 17.6 and 17.8; weights x29); ``srgnn_adam_lr10`` diverges at step 1 at both
seeds (ends 2.0e10 and 2.1e10; weights x3.2e3); ``vovnet_without_batchnorm_sgd_lr0.1`` diverges at steps 45 and 1
and is non-finite at steps 51 and 67; ``c3d_sgd_weight_decay_10`` 1.412 -> 1.386 and 1.371 -> 1.387;
``nextitnet_adam_weight_decay_10`` 5.18 -> 3.616 and 4.84 -> 3.618 (the criterion 3.12);
``awd_lstm_weight_drop_stored_in_place`` 4.158 -> 3.80 and 4.160 -> 3.46 (the criterion 3.12; weights x4.2e4 and
x1.7e4); ``srgnn_next_items_shuffled`` 4.157 -> 3.985 and 4.155 -> 4.001; ``fcn_labels_from_second_shuffled_loader``
1.404 -> 1.392 and 1.419 -> 1.385; ``darnn_standardised_without_zero_std_guard``,
``exprnn_modrelu_sign_by_division`` and ``glove_log_of_dense_counts`` are non-finite at step 0 at both seeds (the
loss itself).

Dropped before the freeze (seed 0, and seed 1 where run): ProdLDA (Srivastava & Sutton 2017, the reference PyTorch
code's BatchNorms of fixed scale, Adam lr 2e-3 betas (0.99, 0.999)) as a healthy model on LDA documents: it did not
learn in 200 steps (topics of 20 words: 285.6 -> 244.3 against the criterion 214.2, a loss of 215.6 at step 750 of 800;
topics of 10 words: 288.5 -> 229.1 against 216.4), so its planned faults (Adam ``weight_decay=10``, the BatchNorms left
out) were not run. DA-RNN with every weight drawn N(0, 3^2), the planned init case, learned by the first-loss criterion
(9.1e4 -> 4.7e4 and 6.0e4 -> 3.9e4), replaced by SR-GNN's; DA-RNN's target left in raw index points (x 1000 around
4,000), the planned data common, likewise (1.68e7 -> 1.22e7 and 1.88e7 -> 1.23e7), replaced by SR-GNN's shuffled next
items. Slips that learned or were inconsistent: CGCNN's neighbours taken by ``torch.topk(d, 6)``, ``largest=True`` by
default, the 6 farthest atoms (seed 0 learned, 0.986 -> 0.537 against 0.740; seed 1 did not, 0.545 -> 0.567) and
DA-RNN's encoder ``nn.LSTMCell`` output unpacked ``s, h`` against its ``(h, c)`` order (0.933 -> 0.089 and 0.944 ->
0.062). Normalization at VoVNet's own lr learned (without BatchNorm 2.27 -> 0.0002 and 3.03 -> 0.0053), so the
normalization case is VoVNet without BatchNorm at SGD lr 0.1 (labelled normalization, then lr). Settings changed before
the freeze, never on a fault: ExpRNN at the reference code's pixel-MNIST lr 7e-4 did not learn (sequences of 12 to 20
tokens: 1.571 -> 1.179; 8 to 12: 1.448 -> 0.998, the criterion 1.04), so it runs at its TIMIT lr 1e-3 on 8 to 12 tokens;
C3D at batch 16 on patterns moving a pixel a frame did not learn (1.407 -> 1.079 against 1.04), so it runs at the
paper's batch 30 on patterns moving two pixels a frame.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh30_builders as F

P = functools.partial
HALF = "fresh30"
#: chance losses: four, ten and two classes and the 64-token language / 64 items; GloVe, CGCNN and DA-RNN have none
#: (their first loss is the reference)
C4, C10, C2, LM = math.log(4), math.log(10), math.log(2), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH30_HEALTHY: list[Case] = [
    _h("awd_lstm_lm", HALF, "awd_lstm", F.awd_lstm, LM),
    _h("nextitnet_sessions", HALF, "nextitnet", F.nextitnet, LM),
    _h("srgnn_sessions", HALF, "srgnn", F.srgnn, LM),
    _h("exprnn_first_token", HALF, "exprnn", F.exprnn, C4),
    _h("glove_cooccurrence", HALF, "glove", F.glove, None),
    _h("cgcnn_cluster_energies", HALF, "cgcnn", F.cgcnn, None),
    _h("c3d_motion_clips", HALF, "c3d", F.c3d, C4),
    _h("vovnet_classifier", HALF, "vovnet", F.vovnet, C10),
    _h("samplecnn_tagging", HALF, "samplecnn", F.samplecnn, C2),
    _h("fcn_time_series", HALF, "fcn_time_series", F.fcn_series, C4),
    _h("darnn_forecaster", HALF, "darnn", F.darnn, None),
]

FRESH30_BROKEN: list[Case] = [
    # init
    _b("srgnn_weights_init_std_3", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.srgnn, init_std=3.0), LM),
    # activation
    _b("c3d_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.c3d, relu_bias=-10.0), C4),
    # depth
    _b("cgcnn_head_48_tanh_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.cgcnn, head_depth=48), None),
    # recurrence
    _b("exprnn_recurrent_matrix_radius_2", HALF, ("recurrence",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.exprnn, radius=2.0), C4),
    # lr
    _b("awd_lstm_sgd_lr30_without_clipping", HALF, ("lr", "recurrence"), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.awd_lstm, clip=None), LM),
    _b("nextitnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.nextitnet, lr=1.0), LM),
    _b("srgnn_adam_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.srgnn, lr=10.0), LM),
    # normalization
    _b("vovnet_without_batchnorm_sgd_lr0.1", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.vovnet, bn=False, lr=0.1), C10),
    # regularization
    _b("c3d_sgd_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.c3d, weight_decay=10.0), C4),
    _b("nextitnet_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.nextitnet, weight_decay=10.0), LM),
    _b("awd_lstm_weight_drop_stored_in_place", HALF, ("regularization", "recurrence"),  # kind: slip
       (*BOTH, "weight_growth"), STUCK, P(F.awd_lstm, weight_drop_in_place=True), LM),
    # data
    _b("srgnn_next_items_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.srgnn, shuffle_targets=True), LM),
    _b("fcn_labels_from_second_shuffled_loader", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.fcn_series, two_loaders=True), C4),
    # numeric
    _b("darnn_standardised_without_zero_std_guard", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.darnn, guard_zero_std=False), None),
    _b("exprnn_modrelu_sign_by_division", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.exprnn, sign_by_division=True), C4),
    _b("glove_log_of_dense_counts", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.glove, dense=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "srgnn_weights_init_std_3": "common", "c3d_relu_biases_minus_10": "common",
    "cgcnn_head_48_tanh_layers": "common", "exprnn_recurrent_matrix_radius_2": "common",
    "awd_lstm_sgd_lr30_without_clipping": "common", "nextitnet_adam_lr1": "common", "srgnn_adam_lr10": "common",
    "vovnet_without_batchnorm_sgd_lr0.1": "common", "c3d_sgd_weight_decay_10": "common",
    "nextitnet_adam_weight_decay_10": "common", "awd_lstm_weight_drop_stored_in_place": "slip",
    "srgnn_next_items_shuffled": "common", "fcn_labels_from_second_shuffled_loader": "slip",
    "darnn_standardised_without_zero_std_guard": "common", "exprnn_modrelu_sign_by_division": "common",
    "glove_log_of_dense_counts": "slip",
}

#: the cases (half "fresh30")
FRESH30: list[Case] = FRESH30_HEALTHY + FRESH30_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "srgnn_weights_init_std_3": F.srgnn,
    "c3d_relu_biases_minus_10": F.c3d,
    "cgcnn_head_48_tanh_layers": F.cgcnn,
    "exprnn_recurrent_matrix_radius_2": F.exprnn,
    "awd_lstm_sgd_lr30_without_clipping": F.awd_lstm,
    "nextitnet_adam_lr1": F.nextitnet,
    "srgnn_adam_lr10": F.srgnn,
    "vovnet_without_batchnorm_sgd_lr0.1": F.vovnet,
    "c3d_sgd_weight_decay_10": F.c3d,
    "nextitnet_adam_weight_decay_10": F.nextitnet,
    "awd_lstm_weight_drop_stored_in_place": F.awd_lstm,
    "srgnn_next_items_shuffled": F.srgnn,
    "fcn_labels_from_second_shuffled_loader": F.fcn_series,
    "darnn_standardised_without_zero_std_guard": F.darnn,
    "exprnn_modrelu_sign_by_division": F.exprnn,
    "glove_log_of_dense_counts": F.glove,
}
