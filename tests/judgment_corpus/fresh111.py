"""The hundred-and-twelfth held-out batch (half ``"fresh111"``): eight published graph-learning, recommender and tabular
models new to the corpus at their usual settings, and sixteen broken variants with one real fault each, written and
labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned
on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 1_110_000 + seed, their fixed structure from the seeds 11_100 + k; 32 batches cycled):
FeaStNet (Verma, Boyer and Verbeek 2018, narrowed: three feature-steered convolutions of 32 with 4 weight matrices,
``y_i = b + 1 / |N_i| sum_j sum_m q_m(x_i, x_j) W_m x_j`` over the neighbourhood with the node itself, the soft
assignment ``softmax_m(u_m^T (x_j - x_i) + c_m)``, ReLU, a Linear to the classes; default init; Adam at lr 1e-2, set
here), GraphMLP (Hu et al. 2021, narrowed: ``Linear(16, 64) - GELU - LayerNorm - Dropout(0.6) - Linear(64, 64)`` and a
Linear classifier, no message passing; the cross-entropy plus the NContrast loss written as the reference code writes
it, ``-log(sum_j a_ij exp(tau cos_ij) / sum_k exp(tau cos_ik) + 1e-8)`` with the target ``a = Â^2`` of ``Â = D^-1/2 (A +
I) D^-1/2``, ``tau = 2`` and the weight ``alpha = 0.5``, set here; Adam with weight decay 5e-3 at lr 1e-2, set here) and
the graph neural network of Scarselli et al. (2009, its linear form, narrowed: an 8-d state per node iterated 10 times
from zero, ``x_v <- sum_(u in ne[v]) A_(v,u) x_u + b_v``, ``A_(v,u) = mu / (s |ne[u]|) Resize(phi(l_v, l_u))`` with
``phi`` a tanh MLP of 32 to ``s x s = 64`` values in (-1, 1) and the contraction constant ``mu = 0.9``, ``b_v`` a tanh
MLP of the features; the output a tanh MLP of the state (the paper's ``g(x_v, l_v)`` narrowed to the state, which
carries ``l_v`` through ``b_v``); back-propagation through the unrolled iterations in place of Almeida-Pineda; Adam at
lr 1e-2, set here), all three classifying the nodes of stochastic-block-model graphs (a new graph of 64 nodes a batch in
4 communities, edges within with probability 0.3 and across with 0.02, the last 4 nodes without any edge, as cold-start
nodes come; each node's 16 features its community's fixed template plus N(0, 1.5^2)); PinSAGE (Ying et al. 2018,
narrowed: two convolutions of 32 over each item's importance neighbourhood, its 8 most-visited items by 3-step random
walks (the expected visit counts ``P + P^2 + P^3``, ``P = D^-1 A``, in place of simulated walks) weighted by their
normalised counts, ``n_u = sum_v alpha_uv ReLU(Q h_v + q)``, ``z_u = ReLU(W [h_u, n_u] + w) / |.|``, then the dense ``G2
ReLU(G1 z + g)``; the max-margin loss ``max(0, z_q . z_n - z_q . z_p + 0.1)``, the margin set here; Adam at lr 1e-2, set
here) on an item graph of 256 items in 8 co-engagement clusters (edges within with probability 0.15, across with 0.005,
an item left without an edge linked to a cluster-mate; features the cluster's template plus N(0, 1)), 64 queries a
batch, each with a positive drawn from its 8 most-visited items and a negative from the 8 its walks reach least
(``S.topk(8, largest=False)``, the far side of the catalogue that the paper's random negatives among billions of pins
come from); SimpleX (Mao et al. 2021, narrowed: embeddings of 32 at PyTorch's default init, the user's vector ``0.5 e_u
+ 0.5 V mean(e_i)`` over its history with the padding masked out, the padding item's embedding zero (``padding_idx=0``),
each score the cosine written ``u . i / (|u| |i|)``; the cosine contrastive loss ``(1 - y_pos) + 150 mean_j max(0, y_j -
0.9)`` over 32 uniform negatives (the paper's margin and weight are tuned per data set; these are set here); Adam at lr
1e-2, set here) on 128 users and 192 items in 8 taste clusters, each user with a fixed history of 2 to 6 items of its
cluster padded to 6 and each batch 64 users with a positive of their cluster; PEPNet (Chang et al. 2023, narrowed:
embeddings of 8 for five fields, EPNet's Gate NU ``2 sigmoid(W2 ReLU(W1 x))`` of the domain embedding and the stopped
general embedding scaling the general embedding, two task towers ``32 - 64 - 32 - 1`` with ReLU whose hidden layers are
scaled by PPNet's Gate NUs of the personal prior (user and item embeddings) and the stopped EPNet output; the two tasks'
binary cross-entropies summed; Adam at lr 1e-2, set here) on click logs of 64 users, 64 items, 8 age buckets, 8
categories and 3 domains, a click with probability ``sigmoid(5 u.i + b_domain)`` and a like with ``sigmoid(5 u.W_domain
i - 1)`` from fixed 4-d tastes (batch 256); VIME (Yoon et al. 2020, its self-supervised stage as the reference code
builds it: an encoder ``Linear(12, 12) - ReLU`` and the mask and feature estimators, each ``Linear(12, 12) - sigmoid``;
the corruption ``m * shuffled + (1 - m) * x`` with ``p_m = 0.3``, the shuffled values a column permuted within the
batch; the mask's binary cross-entropy plus ``alpha = 2`` times the features' MSE; RMSprop as Keras's default (``rho =
0.9``, eps 1e-7) at lr 1e-2, raised from its 1e-3 for 200 steps) on records of 12 correlated features (``tanh`` of a
fixed linear map of a 2-d Gaussian factor plus noise 0.05), min-max scaled to [0, 1] by their fixed range as the
reference code scales them (batch 128); and SubTab (Ucar, Hajiramezanali and Edwards 2021, narrowed: the 16 features in
4 subsets with 75% overlap (7 columns each), 15% of each subset's entries given Gaussian noise of std 0.3, a shared
encoder ``Linear(7, 64) - LeakyReLU - Linear(64, 32)``, a shared decoder to all 16 features and a projection of 32; the
reconstruction MSE plus, over the pairs of subsets, the NT-Xent at temperature 0.1 and the MSE between the projections;
Adam at the paper's lr 1e-3) on records of 16 standardised correlated features of a 3-d factor (batch 64).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every VIME weight and bias initialised to zero
  (the encoder's output is ``ReLU(0) = 0``, so neither head's weights nor the encoder's receive a gradient, and only the
  heads' biases learn the constant predictions; init), PEPNet's towers' hidden biases at -10 (every ReLU of both towers
  dead: each task's logit is its last bias; activation, with init), FeaStNet 12 plain FeaStConv layers deep at PyTorch's
  default init (no residual, no normalisation; the loss stays at ln 4; depth, with init), the Scarselli GNN's
  contraction constant ``mu = 100`` where the paper's contraction needs ``mu < 1`` (each neighbour's matrix may reach a
  norm of ``mu / |ne[u]|``, so over the 10 iterations the state grows by up to 100^10 and the output's tanh units
  saturate; recurrence, with init), FeaStNet, PEPNet and SubTab at Adam lr 1 (lr), VIME without its min-max scaling, the
  features in their raw units (each a fixed range U(100, 1000) above a floor U(0, 500)) against the sigmoid feature
  estimator (which cannot leave (0, 1): the MSE stays at the features' squares; normalization, with data, the raw
  units), GraphMLP at Adam ``weight_decay=1`` and PEPNet at AdamW ``weight_decay=50`` (regularization), GraphMLP's and
  the Scarselli GNN's labels permuted within every graph, apart from the nodes (data), and SimpleX's negatives drawn
  from ``0 .. 192``, the padding id 0 among them (its embedding is zero: the cosine ``0 / (0 * |u|)`` is NaN and the
  loss is NaN at step 0; numeric, with data, the sampled ids);
- **slip** (a user's mistake in graph normalisation or negative sampling that keeps every shape valid, of a kind no
  earlier batch used): GraphMLP's ``D^-1/2 (A + I) D^-1/2`` with the degrees counted on ``A`` before the self-loops are
  added (each cold-start node's degree is 0 and ``0^-1/2 = inf``: its self-loop is ``inf`` and its row and column ``0 *
  inf = NaN``, so the target ``Â^2`` and the loss are NaN at step 0; numeric, with data, the cold-start nodes);
  PinSAGE's importance weights divided by their column sums ``alpha.sum(0)`` where each row's sum ``alpha.sum(1)``
  belongs (4 of the 256 items are in no other item's top 8: their columns sum to 0, ``0 / 0`` is NaN in every row of the
  weights, and every embedding and the loss are NaN at step 0; numeric, with normalization, the weights that no longer
  sum to one, accepted); and PinSAGE's negatives taken with ``S.topk(8)``, the ``largest=False`` of the negative pool
  left out (``topk``'s default takes the largest: the negatives are drawn from the very 8 items the positives are drawn
  from, so every triple ranks two positives in random order; the margin loss stays near 0.1; data, the training signal
  corrupted by the sampler). Earlier sampling and graph-normalisation slips (negatives taken from the positives' column,
  negatives drawn from the user's positives by ``multinomial(R[u])``, a readout summed over the whole batch where
  ``index_add_`` belongs, a degree scaler without its ``+ 1``, an adjacency permuted on its rows only) are not repeated:
  here the degrees are counted before the self-loops, the normalisation runs along the wrong axis, and a ``topk`` keeps
  its default order (``fresh30`` tried ``topk``'s default order on CGCNN's neighbours and dropped it; it is here on a
  negative sampler). None of the slips is an init, activation, depth, recurrence, lr or regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds (the depth case's is FeaStNet at its three layers).

Learning criteria: FeaStNet and the Scarselli GNN compare with chance (ln 4 = 1.386), PEPNet with its two tasks at
chance (2 ln 2 = 1.386); GraphMLP, PinSAGE, SimpleX, VIME and SubTab (contrastive, margin and reconstruction losses
without a natural chance) with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): FeaStNet 1.396 ->
0.04871 and 1.382 -> 0.04789 (the criterion 1.040 and 1.037); GraphMLP 3.654 -> 2.132 and 3.503 -> 2.186; the Scarselli
GNN 1.397 -> 0.03107 and 1.401 -> 0.03359; PinSAGE 0.1018 -> 0.008399 and 0.09511 -> 0.007632; SimpleX 1.003 -> 0.2998
and 1.023 -> 0.3303; PEPNet 1.385 -> 0.8863 and 1.467 -> 0.9408 (the criterion 1.039 and 1.040); VIME 0.9014 -> 0.6298
and 0.8625 -> 0.6279; SubTab 6.098 -> 3.338 and 6.177 -> 3.412. Broken: ``vime_zero_init`` 0.8668 -> 0.7572 and 0.8586
-> 0.7559 (the criterion 0.650 and 0.644); ``pepnet_tower_biases_minus_10`` 1.392 -> 1.379 and 1.402 -> 1.378;
``feastnet_12_plain_layers_default_init`` 1.383 -> 1.387 and 1.390 -> 1.387; ``scarselli_gnn_contraction_mu_100`` 1.599
-> 1.230 and 1.587 -> 1.212 (finite throughout; at step 0 the states reach 4.0e8 at seed 0 and 94% of the output's tanh
pre-activations lie beyond +-5); ``feastnet_adam_lr1`` diverges at step 1 at both seeds (ends 1.403 and 1.407; weights
x51 and x51); ``pepnet_adam_lr1`` diverges at step 1 at both seeds (ends 1.388 and 1.382; weights x24 at both);
``subtab_adam_lr1`` diverges at step 1 at both seeds (ends 1.113e4 and 3031; weights x42 and x44);
``vime_without_minmax_scaling`` 5.534e5 -> 5.563e5 and 5.577e5 -> 5.564e5; ``graph_mlp_adam_weight_decay_1`` 3.654 ->
3.376 and 3.503 -> 3.370; ``pepnet_adamw_weight_decay_50`` 1.385 -> 1.385 and 1.467 -> 1.385;
``graph_mlp_labels_shuffled`` 3.545 -> 3.253 and 3.546 -> 3.268 (the criterion 2.659); ``scarselli_gnn_labels_shuffled``
1.396 -> 1.332 and 1.410 -> 1.333; ``pinsage_negatives_topk_default_largest`` 0.1013 -> 0.09774 and 0.1006 -> 0.09239
(the criterion 0.0760 and 0.0755); ``simplex_negatives_include_padding_id``,
``graph_mlp_degrees_counted_before_self_loops`` and ``pinsage_importance_weights_normalised_by_column`` are non-finite
at step 0 at both seeds (the loss itself). The cases run in 0.0 to 15 s a seed on a machine shared with three other
helpers' runs (load up to 16 on 2 cores, with two of this batch's measurements running at once); FeaStNet at 12 layers
and the Scarselli GNN are the slowest.

Dropped or changed before the freeze (every figure above is from the final code): GraphMLP's NContrast weight was first
10 (its floor dominated the loss: 43.25 -> 37.40 against the criterion 32.44, not learned) and then 1 (5.738 -> 3.990
against 4.304 and 5.574 -> 4.047 against 4.180, too thin), now 0.5; its regularization common was first dropout 0.98,
which learned at the final weight (4.592 -> 3.216 and 4.818 -> 3.241), replaced by Adam's ``weight_decay=1``. VIME's
records first came from a 1-d factor (the mask estimator never left the constant ``p_m``: 0.8083 -> 0.6133 against
0.6062, not learned), and at its reference lr 1e-3 on the 2-d factor it did not learn in 200 steps (0.9014 -> 0.7210
against 0.6761), so the lr is 1e-2. PEPNet's labels were first drawn at the logit scale 2.5 (seed 1 1.504 -> 1.050
against 1.040, not learned), now 5. PinSAGE's first graph held an item without any edge, whose importance row summed to
0 (NaN at step 0 in the healthy run); such items are now linked to a cluster-mate. The Scarselli GNN's output first read
``g(x_v, l_v)`` as in the paper: its recurrence common then learned through the features alone or only just failed (``mu
= 1000``: 1.461 -> 0.9933, learned, at seed 0; ``mu = 100``: 1.483 -> 1.044 against 1.04 at seed 0), so the output reads
the state; with it ``mu = 20`` learned at seed 0 (1.600 -> 0.6059), so the common is ``mu = 100``. The depth common was
first 40 FeaStConv layers (failed, 27 to 32 s a seed) and 16 (failed, 32 s a seed under load); 8 layers learned (1.385
-> 0.3294 and 1.393 -> 0.3003), so it is 12. Two slips of the theme were written, measured and dropped because they
learned: FeaStNet's neighbourhood mean written as a sum (1.684 -> 0.1473 and 4.178 -> 0.2113) and the Scarselli GNN's
``1 / |ne[u]|`` left out of its transition, a sum where the mean belongs (1.447 -> 0.07763 and 1.396 -> 0.1492, with the
output reading the features too). SubTab on its features in raw units (scales U(100, 1000), the standardisation left
out), the first normalization common, learned (1.831e5 -> 5.167e4 and 1.679e5 -> 5.311e4: its encoder and decoder are
nearly homogeneous, so they reconstruct at any scale); the normalization common is VIME's. Also measured and not used:
VIME at RMSprop lr 1 (diverges at step 1 at both seeds) and SubTab's encoder 20 and 30 LeakyReLU layers deep (failed,
5.899 -> 5.855 and 5.828 -> 5.857 at 20, but 16 to 31 s a seed). A SimpleX regularization common was not written: its
cosine scores do not change with the embeddings' scale, so a weight decay only shrinks them.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh111_builders as F

P = functools.partial
HALF = "fresh111"
#: chance losses: 4 communities (FeaStNet, the Scarselli GNN), PEPNet's two binary tasks (2 ln 2); GraphMLP, SimpleX,
#: PinSAGE, VIME and SubTab compare with their first loss
C4, CTR = math.log(4), 2 * math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH111_HEALTHY: list[Case] = [
    _h("feastnet_sbm_nodes", HALF, "feastnet", F.feastnet, C4),
    _h("graph_mlp_sbm_nodes", HALF, "graph_mlp", F.graph_mlp, None),
    _h("scarselli_gnn_sbm_nodes", HALF, "scarselli_gnn", F.scarselli_gnn, C4),
    _h("pinsage_item_graph", HALF, "pinsage", F.pinsage, None),
    _h("simplex_implicit_histories", HALF, "simplex", F.simplex, None),
    _h("pepnet_multidomain_clicks", HALF, "pepnet", F.pepnet, CTR),
    _h("vime_self_tabular", HALF, "vime", F.vime, None),
    _h("subtab_tabular", HALF, "subtab", F.subtab, None),
]

FRESH111_BROKEN: list[Case] = [
    # init
    _b("vime_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.vime, zero=True), None),
    # activation
    _b("pepnet_tower_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.pepnet, hidden_bias=-10.0), CTR),
    # depth
    _b("feastnet_12_plain_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.feastnet, layers=12), C4),
    # recurrence
    _b("scarselli_gnn_contraction_mu_100", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.scarselli_gnn, mu=100.0), C4),
    # lr
    _b("feastnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.feastnet, lr=1.0), C4),
    _b("pepnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.pepnet, lr=1.0), CTR),
    _b("subtab_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.subtab, lr=1.0), None),
    # normalization
    _b("vime_without_minmax_scaling", HALF, ("normalization", "data"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.vime, raw=True), None),
    # regularization
    _b("graph_mlp_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.graph_mlp, weight_decay=1.0), None),
    _b("pepnet_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.pepnet, weight_decay=50.0), CTR),
    # data
    _b("graph_mlp_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.graph_mlp, shuffled=True), None),
    _b("scarselli_gnn_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.scarselli_gnn, shuffled=True), C4),
    # numeric
    _b("simplex_negatives_include_padding_id", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.simplex, with_padding=True), None),
    # slips
    _b("graph_mlp_degrees_counted_before_self_loops", HALF, ("numeric", "data"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.graph_mlp, degrees_first=True), None),
    _b("pinsage_importance_weights_normalised_by_column", HALF, ("numeric", "normalization"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.pinsage, by_column=True), None),
    _b("pinsage_negatives_topk_default_largest", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.pinsage, largest_negatives=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "vime_zero_init": "common", "pepnet_tower_biases_minus_10": "common",
    "feastnet_12_plain_layers_default_init": "common", "scarselli_gnn_contraction_mu_100": "common",
    "feastnet_adam_lr1": "common", "pepnet_adam_lr1": "common", "subtab_adam_lr1": "common",
    "vime_without_minmax_scaling": "common", "graph_mlp_adam_weight_decay_1": "common",
    "pepnet_adamw_weight_decay_50": "common", "graph_mlp_labels_shuffled": "common",
    "scarselli_gnn_labels_shuffled": "common", "simplex_negatives_include_padding_id": "common",
    "graph_mlp_degrees_counted_before_self_loops": "slip", "pinsage_importance_weights_normalised_by_column": "slip",
    "pinsage_negatives_topk_default_largest": "slip",
}

#: the cases (half "fresh111")
FRESH111: list[Case] = FRESH111_HEALTHY + FRESH111_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "vime_zero_init": F.vime,
    "pepnet_tower_biases_minus_10": F.pepnet,
    "feastnet_12_plain_layers_default_init": F.feastnet,
    "scarselli_gnn_contraction_mu_100": F.scarselli_gnn,
    "feastnet_adam_lr1": F.feastnet,
    "pepnet_adam_lr1": F.pepnet,
    "subtab_adam_lr1": F.subtab,
    "vime_without_minmax_scaling": F.vime,
    "graph_mlp_adam_weight_decay_1": F.graph_mlp,
    "pepnet_adamw_weight_decay_50": F.pepnet,
    "graph_mlp_labels_shuffled": F.graph_mlp,
    "scarselli_gnn_labels_shuffled": F.scarselli_gnn,
    "simplex_negatives_include_padding_id": F.simplex,
    "graph_mlp_degrees_counted_before_self_loops": F.graph_mlp,
    "pinsage_importance_weights_normalised_by_column": F.pinsage,
    "pinsage_negatives_topk_default_largest": F.pinsage,
}
