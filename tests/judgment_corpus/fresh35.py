"""The thirty-sixth held-out batch (half ``"fresh35"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 350_000 + seed): RCAN (Zhang et al. 2018, narrowed: a head of 32 channels, two
residual groups of two residual channel-attention blocks (reduction 8) with short skips, the long skip, a
pixel-shuffle x2 upsampler; PyTorch's default init as EDSR-PyTorch's reference code; L1 loss, Adam at the paper's lr
1e-4, betas 0.9/0.999, eps 1e-8) on 2x super-resolution of smooth luminance images (8x8 to 16x16), ENet (Paszke et
al. 2016, narrowed to 32x32: the initial block, downsampling, regular, dilated and asymmetric bottlenecks of 32 and
64 with PReLU, BatchNorm eps 1e-3 and spatial dropout 0.01/0.1, two upsampling stages with bilinear shortcuts in
place of max-unpooling; the class-weighted cross-entropy with the paper's ``1 / ln(1.02 + p)``; Adam lr 5e-4 weight
decay 2e-4) segmenting scenes of coloured boxes (4 classes), the WAE-MMD (Tolstikhin et al. 2018, its MNIST
networks narrowed to 3x16x16: conv encoder and deconv decoder with BatchNorm, a deterministic code of 8; the summed
squared error plus lambda 10 times the IMQ-kernel MMD over the reference code's seven scales against N(0, I); Adam
lr 1e-3 beta1 0.5) on images of a four-dimensional manifold, CCPM (Liu et al. 2015, DeepCTR's form: embeddings of 8
at N(0, 1e-4^2), convolutions of widths 3 and 2 along the fields with tanh and flexible k-max pooling, a dense layer
of 64; logistic loss, Adam lr 1e-3) on clicks of a teacher with pairwise field products, STAMP (Liu et al. 2018:
the attention/memory priority model with embeddings of 64 at N(0, 0.002^2) and weights N(0, 0.05^2), the trilinear
scores as softmax logits as in the reference code; cross-entropy, Adam at the paper's lr 5e-3) predicting the next
item of Markov sessions of 8, DAGNN (Liu, Gao and Ji 2020: an MLP 32-64-4 with dropout 0.8, K = 10 propagations by
the normalised adjacency with self-loops and the adaptive retainment scores; Adam at the paper's Cora setting lr
0.01 weight decay 0.005) classifying the nodes of a 300-node stochastic block model (loss over the training half),
the deep Koopman auto-encoder (Lusch, Kutz and Brunton 2018, narrowed: encoder and decoder 2-30-30-3 with ReLUs and
a learned 3x3 Koopman matrix in place of the auxiliary eigenvalue network; 0.1 times the reconstruction and
multi-step prediction errors plus the linearity error; Adam lr 1e-3) on 30-step trajectories of the paper's
discrete-spectrum system, and FreTS (Yi et al. 2023, narrowed: values embedded in 32, the frequency channel and
temporal learners with complex MLPs and softshrink 0.01, the reference code's 0.02 weight scale, a forecaster of
64; MSE, Adam lr 1e-3) forecasting 8 steps of 8 sensors from 24, each window standardised by its look-back's
statistics with RevIN's eps 1e-5 (one sensor is stuck at a constant reading).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh34``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every STAMP embedding and weight drawn
  N(0, 1) (init), DAGNN's hidden Linear biased -10 (every ReLU dead; activation), the deep Koopman encoder and
  decoder 30 hidden layers deep at PyTorch's default init (each layer shrinks the signal by about sqrt(6); depth),
  the Koopman matrix drawn N(0, 3^2), rolled out 29 steps (recurrence), STAMP at Adam lr 1, RCAN at Adam lr 0.1,
  FreTS at Adam lr 1 and CCPM at Adam lr 1 (lr), DAGNN propagating the raw adjacency ``A + I`` without its
  ``D^-1/2 ... D^-1/2`` (ten hops multiply by degrees of about 5; normalization), STAMP at Adam ``weight_decay=0.1``
  and DAGNN at Adam ``weight_decay=5`` (regularization), CCPM's clicks permuted within every batch, apart from their
  rows (data), and FreTS's windows standardised ``(x - mean) / std`` without eps while a sensor is stuck (``0 / 0``
  in its column of every window; numeric);
- **slip** (a user's mistake of a kind no earlier batch used): STAMP's scores written as the paper's eq. 7 reads,
  ``z = sigmoid(<h_s, h_t, x_j>)``, and fed to ``F.cross_entropy`` as logits, where the reference code's softmax
  takes the trilinear product itself: squashed into (0, 1), the logits cannot make any item more than e times as
  likely as another, and the loss cannot fall below about 3.18 nats (a paper's formula taken literally around a
  loss that applies its own softmax; activation); the WAE's penalty written as the MMD "distance", ``mmd.sqrt()``,
  on the unbiased U-statistic estimate, which turns negative once the codes match the prior better than chance
  (``sqrt`` of a negative estimate is NaN; numeric); and DAGNN's dropout 0.8 applied inside its propagation loop to
  every hop's input as well as before its Linears (a dropout placed in a loop that compounds it over ten hops; the
  surviving signal is scaled by 5 at each hop; regularization). None of the slips is a data or lr one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is the Koopman auto-encoder at its own two hidden layers).

Learning criteria: the classifiers compare with chance (ENet's and DAGNN's four classes, the clicks' two, STAMP's 64
items); RCAN, the WAE, the Koopman auto-encoder and FreTS compare with their first loss. Measured plain
runs, 200 steps (seed 0, seed 1): RCAN 0.758 -> 0.0816 and 0.667 -> 0.0802; ENet 1.568 -> 0.388 and 1.538 -> 0.389;
the WAE 566.4 -> 6.554 and 613.1 -> 7.149; CCPM 0.687 -> 0.468 and 0.694 -> 0.517 (the criterion 0.520); STAMP
4.159 -> 1.313 and 4.159 -> 1.301; DAGNN 1.950 -> 0.363 and 1.920 -> 0.360 (dropout 0.8 puts the first loss above
chance); the Koopman auto-encoder 0.0793 -> 0.0365 and 0.0686 -> 0.0299; FreTS 0.956 -> 0.0140 and 0.919 -> 0.0140.
Broken: ``stamp_init_std_1`` 17.33 -> 8.619 and 18.60 -> 9.892 (no divergence); ``dagnn_relu_biases_minus_10``
1.565 -> 1.367 and 1.522 -> 1.382; ``stamp_sigmoid_scores`` 4.159 -> 3.452 and 4.159 -> 3.535 (the criterion
3.119); ``deep_koopman_30_layers_default_init`` 0.0622 -> 0.0510 and 0.0686 -> 0.0529 (at 20 layers seed 1 learned,
0.0800 -> 0.0529); ``deep_koopman_operator_std_3`` is non-finite at step 0 at seed 0 (the rollout overflows) and
stuck at seed 1 (3.0e34 -> 2.7e34); ``stamp_adam_lr1`` diverges at step 2 at both seeds (ends 206.9 and 142.5;
weights x226 and x216); ``rcan_adam_lr0.1`` diverges at step 1 at both seeds (ends 4.7e11 and 8.7e8);
``frets_adam_lr1`` diverges at step 1 at both seeds (ends 5.9e7 and 1.0e7; weights x192 and x146); ``ccpm_adam_lr1``
diverges at step 1 and ends at chance (0.690 and 0.701; weights x92 and x82); ``dagnn_unnormalised_adjacency``
2.0e7 -> 2.535 and 4.6e7 -> 2.076 (above chance); ``stamp_adam_weight_decay_0.1`` 4.159 -> 4.159 at both seeds;
``dagnn_adam_weight_decay_5`` 1.950 -> 1.371 and 1.920 -> 1.383; ``dagnn_dropout_in_propagation`` 3.664 -> 1.404 and
3.934 -> 1.416; ``ccpm_labels_shuffled`` 0.687 -> 0.684 and 0.694 -> 0.689; ``frets_standardised_without_eps`` is
non-finite at step 0 at both seeds (the inputs); ``wae_mmd_sqrt`` learns until its MMD estimate turns negative and is
non-finite at steps 111 and 181. The healthy cases run 0.3 to 6.5 s a seed (ENet the slowest, on a machine shared
with other work), the broken ones at most 10.6 s (the 30-layer Koopman auto-encoder).

Dropped or changed before the freeze (every figure above is from the final code): the Koopman depth case was first
20 hidden layers deep (seed 1 learned, see above). ENet without its BatchNorms learned (1.413 -> 0.351 and 1.447 ->
0.488), as did ENet at Adam lr 1 at seed 1 (1.538 -> 0.936; seed 0 1.549 -> 1.246), and both were dropped; the
normalization case moved to DAGNN's adjacency (the ``bn`` switch stays in the model, unused). DAGNN at Adam weight
decay 1 learned (1.950 -> 0.971 and 1.920 -> 0.971); the case uses 5. Two slips were written, measured and dropped:
RCAN with a hand-written He init whose ``fan_in`` was read as the input channels alone (the 3x3 kernel forgotten;
9.4e6 -> 2.4e6 and 6.4e6 -> 8.8e5, which the criterion counts as learning) and DAGNN's L2 written by hand as
``0.005 * sum(p.sum())`` (the square lost; the penalty runs negative, 1.948 -> -3.469 and 1.924 -> -3.772, which
counts as learning); CCPM's ``nn.Embedding(max_norm=1e-5)`` was planned and not run (``fresh7`` used that slip). The
WAE at Adam lr 0.1 learned (566.4 -> 62.66 and 613.1 -> 33.70) and was not kept. No init, depth, recurrence,
normalization, data or lr slip survived or was written: the commons outnumber the slips (13 to 3).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh35_builders as F

P = functools.partial
HALF = "fresh35"
#: chance losses: four classes (ENet's pixels, DAGNN's nodes), two (the clicks), 64 items (STAMP); RCAN, the WAE, the
#: Koopman auto-encoder and FreTS have none (their first loss is the reference)
C4, C2, ITEMS = math.log(4), math.log(2), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH35_HEALTHY: list[Case] = [
    _h("rcan_super_resolution", HALF, "rcan", F.rcan, None),
    _h("enet_segmentation", HALF, "enet", F.enet, C4),
    _h("wae_mmd_images", HALF, "wae", F.wae, None),
    _h("ccpm_clicks", HALF, "ccpm", F.ccpm, C2),
    _h("stamp_sessions", HALF, "stamp", F.stamp, ITEMS),
    _h("dagnn_sbm_nodes", HALF, "dagnn", F.dagnn, C4),
    _h("deep_koopman_dynamics", HALF, "deep_koopman", F.deep_koopman, None),
    _h("frets_sensors", HALF, "frets", F.frets, None),
]

FRESH35_BROKEN: list[Case] = [
    # init
    _b("stamp_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.stamp, init_std=1.0), ITEMS),
    # activation
    _b("dagnn_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.dagnn, relu_bias=-10.0), C4),
    _b("stamp_sigmoid_scores", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.stamp, sigmoid_scores=True), ITEMS),
    # depth
    _b("deep_koopman_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.deep_koopman, hidden_layers=30), None),
    # recurrence
    _b("deep_koopman_operator_std_3", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.deep_koopman, k_std=3.0), None),
    # lr
    _b("stamp_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.stamp, lr=1.0), ITEMS),
    _b("rcan_adam_lr0.1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.rcan, lr=0.1), None),
    _b("frets_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.frets, lr=1.0), None),
    _b("ccpm_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ccpm, lr=1.0), C2),
    # normalization
    _b("dagnn_unnormalised_adjacency", HALF, ("normalization", "data"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dagnn, normalise=False), C4),
    # regularization
    _b("stamp_adam_weight_decay_0.1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.stamp, weight_decay=0.1), ITEMS),
    _b("dagnn_adam_weight_decay_5", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.dagnn, weight_decay=5.0), C4),
    _b("dagnn_dropout_in_propagation", HALF, ("regularization",), BOTH, STUCK,  # kind: slip
       P(F.dagnn, hop_dropout=True), C4),
    # data
    _b("ccpm_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.ccpm, shuffled=True), C2),
    # numeric
    _b("frets_standardised_without_eps", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.frets, eps=None), None),
    _b("wae_mmd_sqrt", HALF, ("numeric",), NONFINITE, DIVERGE,  # kind: slip
       P(F.wae, sqrt=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "stamp_init_std_1": "common", "dagnn_relu_biases_minus_10": "common", "stamp_sigmoid_scores": "slip",
    "deep_koopman_30_layers_default_init": "common", "deep_koopman_operator_std_3": "common",
    "stamp_adam_lr1": "common", "rcan_adam_lr0.1": "common", "frets_adam_lr1": "common", "ccpm_adam_lr1": "common",
    "dagnn_unnormalised_adjacency": "common", "stamp_adam_weight_decay_0.1": "common",
    "dagnn_adam_weight_decay_5": "common", "dagnn_dropout_in_propagation": "slip", "ccpm_labels_shuffled": "common",
    "frets_standardised_without_eps": "common", "wae_mmd_sqrt": "slip",
}

#: the cases (half "fresh35")
FRESH35: list[Case] = FRESH35_HEALTHY + FRESH35_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "stamp_init_std_1": F.stamp,
    "dagnn_relu_biases_minus_10": F.dagnn,
    "stamp_sigmoid_scores": F.stamp,
    "deep_koopman_30_layers_default_init": F.deep_koopman,
    "deep_koopman_operator_std_3": F.deep_koopman,
    "stamp_adam_lr1": F.stamp,
    "rcan_adam_lr0.1": F.rcan,
    "frets_adam_lr1": F.frets,
    "ccpm_adam_lr1": F.ccpm,
    "dagnn_unnormalised_adjacency": F.dagnn,
    "stamp_adam_weight_decay_0.1": F.stamp,
    "dagnn_adam_weight_decay_5": F.dagnn,
    "dagnn_dropout_in_propagation": F.dagnn,
    "ccpm_labels_shuffled": F.ccpm,
    "frets_standardised_without_eps": F.frets,
    "wae_mmd_sqrt": F.wae,
}
