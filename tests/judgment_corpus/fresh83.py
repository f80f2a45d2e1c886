"""The eighty-fourth held-out batch (half ``"fresh83"``): eight published graph networks, recommenders and tabular
networks new to the corpus at their usual settings, and sixteen broken variants with one real fault each, written and
labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never
tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 830_000 + seed): GraphCON-GCN (Rusch et al. 2022: an encoder to 64, eight steps of
the graph-coupled oscillators ``Y <- Y + dt (relu(GCN(X)) - gamma X - alpha Y)``, ``X <- X + dt Y`` with one GCN layer
shared by every step over ``D^-1/2 (A + I) D^-1/2``, ``alpha = gamma = 1``, ``dt = 0.5`` (within the paper's tuned
range; see below), dropout 0.5 on the input and the last state, a linear decoder; Adam lr 5e-3 with weight decay 5e-4,
set in the range of the reference code's citation settings), ACM-GCN (Luan et al. 2022: two layers of 64 whose
low-pass ``A_hat H W_L``, high-pass ``(I - A_hat) H W_H`` and identity ``H W_I`` channels are mixed per node by the
adaptive channel attention ``softmax([sigmoid(H_c w_c)] W_mix / 3)``, times 3, as the reference code; dropout 0.5;
Adam lr 0.01, weight decay 5e-4, the reference code's) over the graph's integer co-interaction counts (about 1.3e4 an
edge, weighted degrees of about 8e4) normalised as ``D^-1/2 (C + I) D^-1/2``, and GaAN (Zhang et al. 2018, dense: two
gated-attention aggregators of 32, four key-value heads of 8 over each node's neighbourhood (itself included, as the
reference code samples it), each head scaled by its gate ``sigmoid(FC_g(x_i, max_j FC_m(x_j), mean_j x_j))``, then
``FC_o(x_i ++ heads)``, leaky ReLU, dropout 0.1; Adam at the paper's lr 1e-3) classify the nodes of a 300-node
stochastic block model with 20 cold-start nodes and weak features (4 classes, loss over the training half); FGCNN (Liu
et al. 2019, narrowed: 8 fields embedded to 8 in one shared table, two convolution (3 x 1; 6 and 8 maps, tanh),
max-pooling (2 x 1) and recombination rounds generating 18 + 24 new features, IPNN over the raw and new features (the
flattened embeddings and all 1,225 pairwise inner products) into ReLU layers of 64 and 32; Xavier-normal init, the
reference code's; Adam lr 1e-3) and AutoDis (Guo et al. 2021, narrowed: 4 numerical fields through their
meta-embeddings, ``h = leaky_relu(w log(1 + x))``, ``h~ = W h + 0.5 h``, ``softmax(h~ / tau)`` over 16 buckets of 8
with ``tau = 1``, beside 8 categorical fields embedded to 8 at N(0, 0.01^2), into the paper's DNN of two ReLU layers of
200; Adam lr 3e-3, set here, see below) predict clicks on records drawn from a fixed FM-like teacher (batch 64;
AutoDis's records add 4 log-normal numerical fields with threshold effects), ComiRec-SA (Cen et al. 2020, narrowed:
200 item embeddings of 32 with learned positions over histories of 20, the self-attentive multi-interest extractor
``softmax(W_2 tanh(W_1 H^T))`` with 128 hidden and 4 interests, the interest nearest the target scoring in training;
TensorFlow's ``sampled_softmax_loss`` as the reference code uses it: 20 negatives drawn by popularity each step, every
candidate's logit corrected by ``- log(20 q)``, ``q = counts / counts.sum()`` counted over the whole log of 80,000
interactions; Adam lr 5e-3, set here, see below) retrieves the next item of users with two of 8 interest clusters of 25
Zipf-popular items, NPT (Kossen et al. 2021, narrowed to supervised classification: the columns standardised by a
fitted scaler kept as buffers, ``(x - mean) * scale`` with ``scale = 1 / (std + 1e-5)``, each value embedded to 16 by
its column's Linear plus a column embedding, one pre-LN block pair of attention between datapoints (each row's
flattened attributes over the batch's 64 rows, 4 heads) and between attributes (4 heads) with GELU feed-forwards of 4x,
a LayerNorm, the attributes' mean to the logits; AdamW at the paper's lr 1e-3, its LAMB and Lookahead replaced)
classifies the rows of a table of 8 raw-unit columns (means up to 1e3, spreads 0.1 to 300) and a ninth, constant
column (a flag never set in the extract) into 4 classes from a fixed two-layer teacher, and GAMI-Net (Yang et al. 2021,
narrowed: the standardised columns each through its own ReLU subnetwork of 16 and 8, four pairwise interaction
subnetworks (the teacher's two and two idle ones), the sum plus a bias, both stages trained jointly; Adam lr 5e-3, set
here where the paper's 1e-4 is for thousands of epochs) regresses the same kind of table's standardised additive target
``sum_j f_j(z_j) + 1.5 z_0 z_1 - z_2 z_3`` plus noise (MSE).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every FGCNN parameter, the embeddings and the
  convolutions included, drawn N(0, 1) (init), GAMI-Net's hidden ReLU biases at -10, every unit of every subnetwork
  dead (activation), AutoDis's DNN 30 ReLU layers of 200 deep at PyTorch's default init (depth), GraphCON's time step
  at 2, four times its 0.5 (the explicit oscillator steps amplify the carried state, ``(X, Y)``, at every one of the
  eight steps: the first losses are 1.1e5 and 1.7e5; recurrence, the unrolled dynamics' gain), GaAN at Adam lr 1, NPT
  at AdamW lr 1 and ComiRec at Adam lr 1 (lr), ACM-GCN propagating the raw counts ``C + I`` without the symmetric
  normalisation it relies on (the weighted degrees of about 8e4 multiply the features at every layer: first losses
  1.1e10 and 5.7e9; normalization, with data, the counts' scale, accepted), NPT at AdamW ``weight_decay=50`` and
  GraphCON at Adam ``weight_decay=1`` (regularization), GAMI-Net's targets permuted within every batch, apart from their
  rows, and FGCNN's clicks permuted within the batch afresh at every step, apart from their records (data), and GaAN's
  neighbourhoods built without the node itself on a graph with cold-start nodes (the gate's mean pool ``A x / deg`` is
  ``0 / 0``, the max pool and the attention run over no neighbour: NaN at step 0; numeric, with data);
- **slip** (a user's mistake in dtype and precision handling, of kinds no earlier batch used; all three numeric):
  ComiRec's popularity counts accumulated in float16 (``torch.zeros(items, dtype=torch.float16).index_add_(...)``, to
  halve a large vocabulary's count table): every item's count fits float16 (each stops at 2,048, float16's last
  consecutive integer, where the true most popular counts are 2,826 and 2,893, eight items at both seeds), but their sum
  ``counts.sum()``, 80,000, passes float16's largest 65,504 and is ``inf``: every ``q = counts / inf`` is 0, ``log q =
  -inf``, every corrected logit ``+inf``, and the cross-entropy ``inf - inf`` is NaN at step 0 (a float16 accumulation
  of a large sum; numeric); NPT's scaler fitted and kept in float16, the table's dtype after a memory-saving load, with
  its guard ``scale = 1 / (std + 1e-5)``: the eps survives in float16 (1.0014e-5, a subnormal, so this is not the
  earlier eps-underflow slip) but its reciprocal, 99,857 for the constant column whose std is 0, passes 65,504 and is
  ``inf``, and the centred constant column's ``0 * inf`` is NaN in every row at step 0 (float32 gives the scale 1e5 and
  the column 0; a reciprocal overflowing a narrow range; numeric, with data, the constant column, accepted); and
  ACM-GCN's count matrix read as int32 (a ``numpy`` ``int32`` edge list, the platform's default ``int``) before the
  normalisation ``C * (d_i d_j) ** -0.5``: the weighted degrees (median 7.8e4 and 8.0e4) fit int32, but their products
  pass 2^31 - 1 for 71% and 74% of the pairs and wrap round, 36,053 and 36,589 of the 90,000 products negative, whose
  ``** -0.5`` is NaN, and ``0 * NaN`` spreads it to every entry of the propagation matrix: NaN at step 0 (a signed
  32-bit product overflowing; numeric, with normalization, the propagation's normaliser, accepted). Earlier dtype and
  precision slips (the whole model or its Adam state in float16 or bfloat16, Adam's eps, a dB floor or a
  reconstruction guard underflowing or rounding in low precision, a float16 buffer's squares overflowing, a float16
  step table, a float16 softmax under a log, a bfloat16 cast that unregisters a parameter, integer floor divisions,
  ``int()`` floors, a ``uint8`` subtraction wrapping round, truncation into integer tensors by assignment, a clamp on
  the wrong side, narrow mantissas on large offsets and float32 timestamps) are not repeated: here a float16 sum of
  small counts overflows, a float16 eps's reciprocal overflows, and a signed int32 product overflows. None of the
  slips is an init, activation, depth, recurrence, lr, normalization, regularization or data one; the commons outnumber
  the slips (13 to 3).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is AutoDis with its two layers of 200).

Learning criteria: the node classifiers and NPT compare with chance (four classes: 1.040), FGCNN and AutoDis with a
coin (0.520), GAMI-Net with its standardised target's variance, 1.0 (the best constant prediction: 0.75), ComiRec's
sampled softmax with its first loss. Measured plain runs, 200 steps (seed 0, seed 1): GraphCON 1.383 -> 0.113 and
1.397 -> 0.0618; ACM-GCN 2.169 -> 0.209 and 2.097 -> 0.177; GaAN 1.420 -> 0.0088 and 1.400 -> 0.0033; FGCNN 0.692 ->
0.362 and 0.698 -> 0.378; AutoDis 0.692 -> 0.448 and 0.698 -> 0.497; ComiRec 3.532 -> 1.381 and 3.277 -> 1.394 (the
criteria 2.649 and 2.458); NPT 1.428 -> 0.439 and 1.352 -> 0.470; GAMI-Net 1.094 -> 0.0411 and 1.753 -> 0.0461.
Broken: ``fgcnn_init_std_1`` 1730 -> 70.99 and 520.8 -> 47.92 (no divergence); ``gami_net_relu_biases_minus_10``
1.115 -> 0.980 and 2.548 -> 1.022; ``autodis_mlp_30_layers_default_init`` 0.695 -> 0.691 and 0.694 -> 0.694;
``graphcon_time_step_2`` 1.1e5 -> 860.2 and 1.7e5 -> 602.8 (no divergence: the first loss is the largest);
``gaan_adam_lr1`` diverges at step 1 at both seeds (ends 3.4e4 and 5988; weights x121 and x124 at step 0);
``npt_adamw_lr1`` diverges at step 1 at both seeds (ends 1.379 and 1.442; weights x103 at step 0; seed 1 non-finite at
step 70); ``comirec_adam_lr1`` diverges at step 1 at both seeds (ends 1120 and 744.5; weights x126 and x125 at step
0); ``acm_gcn_unnormalised_counts`` 1.1e10 -> 1.3e8 and 5.7e9 -> 1.5e8; ``npt_adamw_weight_decay_50`` 1.428 -> 1.384
and 1.352 -> 1.384 (it reaches 1.035 and 1.031 on its way); ``graphcon_adam_weight_decay_1`` 1.383 -> 1.384 and 1.397
-> 1.384; ``gami_net_targets_shuffled`` 1.138 -> 0.965 and 1.754 -> 1.032; ``fgcnn_clicks_shuffled`` 0.695 -> 0.686
and 0.700 -> 0.691; ``gaan_mean_pool_without_self_loops``, ``comirec_popularity_counts_in_float16``,
``npt_scaler_reciprocal_in_float16`` and ``acm_gcn_degree_products_in_int32`` are non-finite at step 0 at both seeds
(the loss itself). The cases run in 0.1 to 17 s a seed on a machine of two cores shared with three other helpers'
runs (load about 6); GaAN is the slowest (10 s a seed when the load was lower), most take 1 to 4 s.

Dropped or changed before the freeze (every figure above is from the final code): GraphCON was first written with its
paper's ``dt = 1`` and dropout 0.5 on the states after every step, and did not learn (1.387 -> 1.381 and 1.394 ->
1.380); with the dropout on the input and the last state only it still did not at ``dt = 1`` (1.390 -> 1.381 and
1.394 -> 1.381, and at lr 0.01), at eight steps: with ``alpha = dt = 1`` the update reduces to ``X <- relu(A X W)``, a
plain eight-layer GCN; it learned at ``dt = 0.5`` (kept) and at four steps of ``dt = 1``. GraphCON with negative
damping (``alpha = -1``, the carried state's energy growing at each step) learned (2.719 -> 0.120 and 3.770 -> 0.140)
and was not kept; the recurrence case is the large time step. AutoDis at the paper's lr 1e-3 did not learn at seed 1
(0.698 -> 0.549 against 0.520; 0.692 -> 0.474 at seed 0): it trains at 3e-3. ComiRec at the paper's lr 1e-3 fell too
slowly (3.532 -> 2.515 and 3.277 -> 2.512 against 2.649 and 2.458): it trains at 5e-3. NPT without its LayerNorms
learned (1.374 -> 0.499 and 1.376 -> 0.462) and was not kept; the normalization common is ACM-GCN's unnormalised
propagation. FGCNN's clicks were first permuted once, when the pool of 32 batches was drawn, and the 2,048 fixed
records were memorised (0.691 -> 0.454 and 0.698 -> 0.494): they are permuted afresh at every step. GaAN was first 64
wide with heads and max-pool features of 16 (1.370 -> 0.0024 and 1.384 -> 0.0019, but 18 to 21 s a seed under load):
it is 32 wide with 8. GAMI-Net was first compared with its first loss, which at seed 1 (1.753) is far above the
target's variance, so its dead-ReLU and shuffled-target cases passed that criterion (2.548 -> 1.022 and 1.754 ->
1.032) while predicting the mean: it compares with the variance, 1.0. Considered and not written: a slip of
categorical ids carried through a float16 feature matrix (ids above 2,048 merge with their neighbours, but the
teacher's values are sparse in the id space, so few merge and it would learn), and a float64 buffer mixed into the
float32 path (PyTorch raises on the dtype mismatch at the first Linear, or an in-place op keeps float32: nothing
silent to train on).
"""

from __future__ import annotations

import functools
import math

import torch

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh83_builders as F

P = functools.partial
HALF = "fresh83"
#: chance losses: four classes (the SBM graph's nodes, NPT's table), a coin (the clicks); GAMI-Net's regression
#: compares with its standardised target's variance (the best constant prediction), ComiRec's sampled softmax with
#: its first loss
C4, C2, VAR = math.log(4), math.log(2), 1.0
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH83_HEALTHY: list[Case] = [
    _h("graphcon_sbm_nodes", HALF, "graphcon", F.graphcon, C4),
    _h("acm_gcn_weighted_sbm_nodes", HALF, "acm_gcn", F.acm_gcn, C4),
    _h("gaan_sbm_nodes", HALF, "gaan", F.gaan, C4),
    _h("fgcnn_clicks", HALF, "fgcnn", F.fgcnn, C2),
    _h("autodis_clicks", HALF, "autodis", F.autodis, C2),
    _h("comirec_interest_log", HALF, "comirec", F.comirec, None),
    _h("npt_table", HALF, "npt", F.npt, C4),
    _h("gami_net_additive_table", HALF, "gami_net", F.gami_net, VAR),
]

FRESH83_BROKEN: list[Case] = [
    # init
    _b("fgcnn_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.fgcnn, init_std=1.0), C2),
    # activation
    _b("gami_net_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.gami_net, relu_bias=-10.0), VAR),
    # depth
    _b("autodis_mlp_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.autodis, depth=30), C2),
    # recurrence
    _b("graphcon_time_step_2", HALF, ("recurrence",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.graphcon, dt=2.0), C4),
    # lr
    _b("gaan_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.gaan, lr=1.0), C4),
    _b("npt_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.npt, lr=1.0), C4),
    _b("comirec_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.comirec, lr=1.0), None),
    # normalization
    _b("acm_gcn_unnormalised_counts", HALF, ("normalization", "data"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.acm_gcn, norm="none"), C4),
    # regularization
    _b("npt_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.npt, weight_decay=50.0), C4),
    _b("graphcon_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.graphcon, weight_decay=1.0), C4),
    # data
    _b("gami_net_targets_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.gami_net, shuffled=True), VAR),
    _b("fgcnn_clicks_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.fgcnn, shuffled=True), C2),
    # numeric
    _b("gaan_mean_pool_without_self_loops", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.gaan, self_loops=False), C4),
    _b("comirec_popularity_counts_in_float16", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.comirec, counts_dtype=torch.float16), None),
    _b("npt_scaler_reciprocal_in_float16", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.npt, scaler_dtype=torch.float16), C4),
    _b("acm_gcn_degree_products_in_int32", HALF, ("numeric", "normalization"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.acm_gcn, norm="int32"), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "fgcnn_init_std_1": "common", "gami_net_relu_biases_minus_10": "common",
    "autodis_mlp_30_layers_default_init": "common", "graphcon_time_step_2": "common",
    "gaan_adam_lr1": "common", "npt_adamw_lr1": "common", "comirec_adam_lr1": "common",
    "acm_gcn_unnormalised_counts": "common", "npt_adamw_weight_decay_50": "common",
    "graphcon_adam_weight_decay_1": "common", "gami_net_targets_shuffled": "common",
    "fgcnn_clicks_shuffled": "common", "gaan_mean_pool_without_self_loops": "common",
    "comirec_popularity_counts_in_float16": "slip", "npt_scaler_reciprocal_in_float16": "slip",
    "acm_gcn_degree_products_in_int32": "slip",
}

#: the cases (half "fresh83")
FRESH83: list[Case] = FRESH83_HEALTHY + FRESH83_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "fgcnn_init_std_1": F.fgcnn,
    "gami_net_relu_biases_minus_10": F.gami_net,
    "autodis_mlp_30_layers_default_init": F.autodis,
    "graphcon_time_step_2": F.graphcon,
    "gaan_adam_lr1": F.gaan,
    "npt_adamw_lr1": F.npt,
    "comirec_adam_lr1": F.comirec,
    "acm_gcn_unnormalised_counts": F.acm_gcn,
    "npt_adamw_weight_decay_50": F.npt,
    "graphcon_adam_weight_decay_1": F.graphcon,
    "gami_net_targets_shuffled": F.gami_net,
    "fgcnn_clicks_shuffled": F.fgcnn,
    "gaan_mean_pool_without_self_loops": F.gaan,
    "comirec_popularity_counts_in_float16": F.comirec,
    "npt_scaler_reciprocal_in_float16": F.npt,
    "acm_gcn_degree_products_in_int32": F.acm_gcn,
}
