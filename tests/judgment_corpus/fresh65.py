"""The sixty-sixth held-out batch (half ``"fresh65"``): eight published graph, point-cloud, mesh and knowledge-graph
architectures new to the corpus at their usual settings, and sixteen broken variants with one real fault each, written
and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never
tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 650_000 + seed): UniMP (Shi et al. 2021, narrowed: the features' Linear plus a label
embedding of the shown training labels, two ``TransformerConv`` layers of 4 heads x 16 with the gated residual ``beta``,
LayerNorm, ReLU and dropout 0.3; PyTorch's default init; Adam lr 1e-3 weight decay 5e-4, values of the kind its OGB runs
use) on masked label prediction over a 200-node stochastic block model with weak features (each step shows half the
training labels and asks for the other half), NBFNet (Zhu et al. 2021, narrowed: the query on its head node as the
boundary condition, six generalised Bellman-Ford layers of 16 with DistMult messages and the reference code's PNA
aggregator (mean, max, min, std with the ``eps`` clamp, the scalers 1, ``s``, ``1 / s`` with ``s = log(deg + 1) /
mean``), Linear, LayerNorm, ReLU and the shortcut, an MLP scoring each node; default init; Adam at the reference lr
5e-3) predicting the hidden links of a 60-node community graph (10 communities of 6, half of each community's pairs
observed, two new nodes with no observed link; cross-entropy of the true tail over all 60 nodes), PPGN (Maron et al.
2019, narrowed: the adjacency and the identity as a (2, 12, 12) tensor, three blocks of 32 channels, each two MLPs of
1x1 convolutions whose channel-wise matrix product is concatenated and mixed, the diagonal/off-diagonal readout after
every block, the blocks' predictions summed; Xavier-uniform weights and zero biases as the reference code; Adam lr 1e-3,
set here) classifying 12-node graphs of four generators, neural graph fingerprints (Duvenaud et al. 2015, narrowed:
radius 3, degree-specific matrices ``H_r^deg``, ReLU, ``softmax(W_r h)`` written into a fingerprint of 64 summed per
molecule by ``index_add_``, an MLP of 64; default init; Adam lr 1e-3, set here) regressing a standardised additive
property of random tree molecules of 6 to 12 atoms (32 a batch, one block-diagonal graph), KPConv (Thomas et al. 2019,
narrowed: rigid KPConv with 15 kernel points (centre, axes and cube corners at 0.66 of the radius 0.6, ``sigma`` 0.3),
the linear influence, three layers 1-16-32-32 on the 12 nearest neighbours with BatchNorm (momentum 0.02) and LeakyReLU
0.1, global average pooling; SGD at the reference lr 1e-2, momentum 0.98, weight decay 1e-3) classifying 64-point clouds
of four surfaces, the SpiralNet++ mesh autoencoder (Gong et al. 2019, narrowed: spiral convolutions of the centre and
its 8 grid neighbours on a 16x8 torus mesh, 3-16-32 with ELU and 2x2 down-sampling, a latent of 16, the mirrored
decoder; Xavier-uniform weights and zero biases as the reference code; L1 loss, Adam at the reference lr 1e-3 without
its per-epoch decay) reconstructing deformed tori standardised per vertex coordinate (CoMA's loader), TuckER (Balazevic
et al. 2019, narrowed to entity and relation embeddings of 32 and 16: the core tensor uniform in [-1, 1], Xavier-normal
embeddings, both BatchNorms; BCE on 1-N targets with the paper's label smoothing 0.1 and Adam at its lr 0.01, its WN18RR
settings, without the decay; its dropouts at 0, see below) completing a 100-entity, 4-relation knowledge graph whose
relations map clusters onto clusters, and GraphRNN-S (You et al. 2018, narrowed: each node's adjacency vector to the
previous M = 8 nodes of a BFS order, a Linear embedding of 32, a one-layer GRU of 64, an MLP to the next vector's
logits; default init; BCE, Adam at the paper's lr 3e-3) modelling ladder and grid graphs (2 x 4..8 and 3 x 3..5) from
random BFS starts.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh64``, two kinds of fault are mixed, and each
case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every SpiralNet++ weight drawn N(0, 1) (init),
  every PPGN convolution's bias -10 (every ReLU dead; activation), the fingerprint's prediction MLP 30 hidden layers
  deep at PyTorch's default init (depth), GraphRNN's GRU update-gate biases (``bias_ih`` and ``bias_hh``) at 5 each (``z
  = sigmoid(10)``: the state keeps 99.995% of itself a step and never leaves zero; recurrence), UniMP, NBFNet and TuckER
  at Adam lr 1 (lr), KPConv without its BatchNorms at SGD lr 0.1 (normalization; the lr is a second accepted cause, as
  for ``fresh36``'s ECA-Net: with them KPConv learns at lr 0.1, which is its control), SpiralNet++ and TuckER at Adam
  ``weight_decay=1`` (regularization), the molecules' properties permuted within every batch, apart from their molecules
  (data), and the mesh standardisation ``(x - mean) / std`` without its ``eps`` while the torus' seam never moves (``0 /
  0``; numeric, data the second cause);
- **slip** (a user's mistake in graph, message-passing or sparse-indexing code, of a kind no earlier batch used): the
  fingerprint's readout written ``h.sum(0, keepdim=True)``, every atom of the batch summed into one fingerprint, where
  the per-molecule ``index_add_(0, mol, h)`` belongs (every molecule gets the same prediction, and the user's ``((pred -
  y) ** 2).mean()`` broadcasts it silently against the 32 targets; data), SpiralNet++'s encoder gathering its spirals
  from the batch flattened to ``(b * n, c)`` with ``spirals.repeat(b, 1)``, the per-mesh offsets ``n * i`` left out, as
  when batching graphs by hand (every mesh is encoded from the first mesh's vertices; data), GraphRNN's BFS order
  applied to the adjacency's rows only, ``adj[perm]`` where ``adj[perm][:, perm]`` belongs (each node's vector to its 8
  predecessors reads columns of the old, random numbering; data), and NBFNet's PNA degree scaler written ``log(deg)`` of
  the graph's degree, the boundary's message not counted (the ``+ 1`` left out: a new node's ``log 0 = -inf`` makes the
  scalers' mean ``-inf`` and every scaled aggregate NaN at step 0; numeric).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds but KPConv's, which is KPConv with its BatchNorms at SGD lr 0.1 (1.403 -> 0.165 and 1.413
-> 0.217).

Learning criteria: UniMP, PPGN and KPConv compare with chance (four classes), NBFNet with ``ln 60``; where the loss has
no uniform prediction the reference is the best constant one: the fingerprint's property variance (1.0, standardised),
SpiralNet++'s zero reconstruction (L1 0.94; measured 0.942 and 0.936), TuckER's smoothed targets at their mean (BCE
0.1583) and GraphRNN's adjacency vectors at each entry's mean (BCE 0.338; measured 0.341 and 0.336), so that a model
which only learns the targets' rate has not learned. Measured plain runs, 200 steps (seed 0, seed 1): UniMP 1.533 ->
0.0362 and 1.482 -> 0.0329; NBFNet 4.043 -> 1.879 and 4.058 -> 2.540 (the criterion 3.033 and 3.044); PPGN 1.430 ->
0.0574 and 1.444 -> 0.0417; the fingerprint 1.461 -> 0.524 and 1.194 -> 0.441 (the criterion 0.75); KPConv 1.403 ->
0.0655 and 1.413 -> 0.144; SpiralNet++ 1.046 -> 0.286 and 1.167 -> 0.298 (the criterion 0.705); TuckER 0.750 -> 0.0756
and 0.754 -> 0.0743 (the criterion 0.119); GraphRNN 0.695 -> 0.191 and 0.696 -> 0.171 (the criterion 0.254). Broken:
``spiralnet_pp_init_std_1`` 1.75e6 -> 1.18e4 and 2.36e6 -> 3113 (no divergence); ``ppgn_relu_biases_minus_10`` 1.383 ->
1.386 and 1.382 -> 1.386; ``neural_fingerprint_mlp_30_layers_default_init`` 1.433 -> 0.988 and 1.156 -> 1.085;
``graphrnn_update_gate_bias_5`` 0.694 -> 0.338 and 0.698 -> 0.337 (the best constant's 0.338); ``unimp_adam_lr1``
diverges at step 1 at both seeds (ends 1.421 and 1.413; weights x13.9 and x16); ``nbfnet_adam_lr1`` diverges at step 1
at both seeds (ends 3.30 and 164.7; weights x91 and x103); ``tucker_adam_lr1`` diverges at step 1 at both seeds (ends
3.70 and 3.70; weights x11); ``kpconv_without_batchnorm_sgd_lr_0.1`` diverges at steps 129 and 137 and is non-finite at
steps 160 and 163; ``spiralnet_pp_adam_weight_decay_1`` 1.046 -> 0.949 and 1.167 -> 0.948;
``tucker_adam_weight_decay_1`` 0.750 -> 0.693 and 0.754 -> 0.693 (every score driven to 0);
``neural_fingerprint_targets_shuffled`` 1.455 -> 1.000 and 1.196 -> 1.079;
``neural_fingerprint_readout_summed_over_batch`` 1.524 -> 1.032 (a divergence at step 1) and 25.34 -> 1.099;
``spiralnet_pp_spirals_gathered_without_batch_offsets`` 1.076 -> 0.813 and 1.199 -> 0.832;
``graphrnn_bfs_order_applied_to_rows_only`` 0.693 -> 0.338 and 0.705 -> 0.338 (its own targets' best constant is 0.382:
it learns a little, nothing of the graphs' structure); ``spiralnet_pp_standardised_without_eps`` and
``nbfnet_pna_log_degree_without_plus_one`` are non-finite at step 0 at both seeds (the loss itself). Every case runs at
most 8.5 s a seed (PPGN the slowest, on a machine shared with other work).

Dropped or changed before the freeze (every figure above is from the final code): KPConv without its BatchNorms at its
reference lr 1e-2 learned (1.383 -> 0.637 and 1.396 -> 0.462), as did TuckER without its BatchNorms (0.707 -> 0.085 and
0.704 -> 0.084); the normalization common is KPConv without them at lr 0.1. UniMP at Adam ``weight_decay=1`` learned
(1.533 -> 0.582 and 1.482 -> 0.534; its LayerNorms absorb the shrinkage). The fingerprint's message passing 30 radii
deep learned (3.524 -> 0.455 and 1.422 -> 0.524: every radius writes into the fingerprint, a skip to the readout); the
depth common is its prediction MLP. The fingerprint's and GraphRNN's criteria were first their first loss and the
uniform BCE ``ln 2``: the summed readout then "learned" at seed 1 (25.34 -> 1.10) and GraphRNN's frozen gates learned by
a hair (0.694 -> 0.338 against 0.343) while only fitting each entry's rate, so their references are the best constants
above. TuckER with the paper's dropouts did not learn: 0.3, 0.4, 0.5 at lr 0.01 with smoothing 0.1 ended 0.166 and 0.166
against the best constant 0.158, 0.2, 0.2, 0.3 there 0.146 and 0.143, and 0.2, 0.2, 0.3 at lr 3e-3 without smoothing
0.143 and 0.143 against that setting's 0.135; its dropouts are 0 here. NBFNet first had 20 communities and 32 channels
and ran 100 s a seed on this shared machine; it was cut to 60 nodes, 16 channels and an in-neighbour list for the max
and min. NBFNet's PNA std written ``(sq - mean ** 2).sqrt()`` without the reference's ``clamp(min=eps)`` (``sqrt'(0) =
inf`` where a node's messages are all equal: NaN weights after step 0 at both seeds, first losses 4.041 and 4.057) was a
thirteenth common while three slips stood, and was dropped for the fourth slip. Three slips were written, measured and
dropped because they learned: UniMP's dense adjacency built ``adj[edge_index] = 1``, which sets the whole rows of every
node named in the edge list (1.532 -> 0.445 and 1.479 -> 0.535: its own features still carry the class), NBFNet's
batched sparse product folding ``(b, n, d)`` into ``(n, b d)`` by ``reshape`` without the ``transpose`` (4.035 -> 1.405
and 4.121 -> 1.714: the shortcut and the boundary carry the query), and TuckER's 1-N matrix filled ``y[tails] = 1``
without the row index (0.769 -> 0.011 and 0.779 -> 0.010: the whole-row targets are a function of the query's entity,
easier than the true ones); GraphRNN's rows-only permutation, first dropped when it "learned" under the ``ln 2``
criterion, was kept under the best-constant one. A masked softmax over in-neighbours filled with ``-inf`` for UniMP's
isolated nodes was not written: an earlier batch's causal mask barred a token from every key, the same fully masked row.
No init, activation, depth, recurrence, lr, normalization or regularization slip was written: the commons outnumber the
slips (12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh65_builders as F

P = functools.partial
HALF = "fresh65"
#: chance losses: four classes (UniMP's nodes, PPGN's graphs, KPConv's shapes), 60 candidate tails (NBFNet); the best
#: constant prediction where a loss has no uniform one: the property's variance (neural fingerprints, standardised),
#: the zero reconstruction's L1 (SpiralNet++, measured 0.942 and 0.936 at seeds 0 and 1), the smoothed 1-N targets'
#: BCE at their mean (TuckER) and the adjacency vectors' BCE at each entry's mean (GraphRNN, measured 0.341 and 0.336)
C4, TAILS = math.log(4), math.log(60)
PROPERTY, MESH, KG, ADJ = 1.0, 0.94, 0.1583, 0.338
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH65_HEALTHY: list[Case] = [
    _h("unimp_sbm_nodes", HALF, "unimp", F.unimp, C4),
    _h("nbfnet_community_links", HALF, "nbfnet", F.nbfnet, TAILS),
    _h("ppgn_graph_classes", HALF, "ppgn", F.ppgn, C4),
    _h("neural_fingerprint_molecules", HALF, "neural_fingerprint", F.fingerprint, PROPERTY),
    _h("kpconv_point_clouds", HALF, "kpconv", F.kpconv, C4),
    _h("spiralnet_pp_torus_meshes", HALF, "spiralnet_pp", F.spiralnet, MESH),
    _h("tucker_kg_completion", HALF, "tucker", F.tucker, KG),
    _h("graphrnn_grid_graphs", HALF, "graphrnn", F.graphrnn, ADJ),
]

FRESH65_BROKEN: list[Case] = [
    # init
    _b("spiralnet_pp_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.spiralnet, init_std=1.0), MESH),
    # activation
    _b("ppgn_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.ppgn, relu_bias=-10.0), C4),
    # depth
    _b("neural_fingerprint_mlp_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.fingerprint, mlp_layers=30), PROPERTY),
    # recurrence
    _b("graphrnn_update_gate_bias_5", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.graphrnn, z_bias=5.0), ADJ),
    # lr
    _b("unimp_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.unimp, lr=1.0), C4),
    _b("nbfnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.nbfnet, lr=1.0), TAILS),
    _b("tucker_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.tucker, lr=1.0), KG),
    # normalization
    _b("kpconv_without_batchnorm_sgd_lr_0.1", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.kpconv, bn=False, lr=0.1), C4),
    # regularization
    _b("spiralnet_pp_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.spiralnet, weight_decay=1.0), MESH),
    _b("tucker_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.tucker, weight_decay=1.0), KG),
    # data
    _b("neural_fingerprint_targets_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.fingerprint, shuffled=True), PROPERTY),
    _b("neural_fingerprint_readout_summed_over_batch", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.fingerprint, batch_readout=True), PROPERTY),
    _b("spiralnet_pp_spirals_gathered_without_batch_offsets", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.spiralnet, flat_gather=True), MESH),
    _b("graphrnn_bfs_order_applied_to_rows_only", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.graphrnn, rows_only=True), ADJ),
    # numeric
    _b("spiralnet_pp_standardised_without_eps", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.spiralnet, eps=0.0), MESH),
    _b("nbfnet_pna_log_degree_without_plus_one", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.nbfnet, log_deg_slip=True), TAILS),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "spiralnet_pp_init_std_1": "common", "ppgn_relu_biases_minus_10": "common",
    "neural_fingerprint_mlp_30_layers_default_init": "common", "graphrnn_update_gate_bias_5": "common",
    "unimp_adam_lr1": "common", "nbfnet_adam_lr1": "common", "tucker_adam_lr1": "common",
    "kpconv_without_batchnorm_sgd_lr_0.1": "common", "spiralnet_pp_adam_weight_decay_1": "common",
    "tucker_adam_weight_decay_1": "common", "neural_fingerprint_targets_shuffled": "common",
    "neural_fingerprint_readout_summed_over_batch": "slip",
    "spiralnet_pp_spirals_gathered_without_batch_offsets": "slip",
    "graphrnn_bfs_order_applied_to_rows_only": "slip", "spiralnet_pp_standardised_without_eps": "common",
    "nbfnet_pna_log_degree_without_plus_one": "slip",
}

#: the cases (half "fresh65")
FRESH65: list[Case] = FRESH65_HEALTHY + FRESH65_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "spiralnet_pp_init_std_1": F.spiralnet,
    "ppgn_relu_biases_minus_10": F.ppgn,
    "neural_fingerprint_mlp_30_layers_default_init": F.fingerprint,
    "graphrnn_update_gate_bias_5": F.graphrnn,
    "unimp_adam_lr1": F.unimp,
    "nbfnet_adam_lr1": F.nbfnet,
    "tucker_adam_lr1": F.tucker,
    "kpconv_without_batchnorm_sgd_lr_0.1": P(F.kpconv, lr=0.1),
    "spiralnet_pp_adam_weight_decay_1": F.spiralnet,
    "tucker_adam_weight_decay_1": F.tucker,
    "neural_fingerprint_targets_shuffled": F.fingerprint,
    "neural_fingerprint_readout_summed_over_batch": F.fingerprint,
    "spiralnet_pp_spirals_gathered_without_batch_offsets": F.spiralnet,
    "graphrnn_bfs_order_applied_to_rows_only": F.graphrnn,
    "spiralnet_pp_standardised_without_eps": F.spiralnet,
    "nbfnet_pna_log_degree_without_plus_one": F.nbfnet,
}
