"""The seventy-sixth held-out batch (half ``"fresh75"``): eight published graph, recommender, CTR and set / point-cloud
models new to the corpus at their usual settings, and sixteen broken variants with one real fault each, written and
labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never
tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 750_000 + seed): GC-MC (Berg, Kipf and Welling 2017, narrowed: one-hot node
inputs, a rating-specific graph convolution per level with the left normalisation ``1 / |N(i)|`` (the degree clamped
at 1), the five levels' outputs of 64 stacked, ReLU, node-message dropout 0.1 (the paper's 0.7 did not suit 200
steps), a dense layer of 64 and the bilinear decoder over 2 shared basis matrices; Adam at the paper's lr 0.01) on a
5-star rating matrix of 60 users and 50 items from a rank-3 taste model, 35% observed, the last 6 users cold-start
(no ratings), batches of 128 rated pairs; NAIS (He et al. 2018, the product attention ``h^T ReLU(W (p_i * q_j) + b)``
with embeddings of 16 drawn N(0, 0.01^2), attention factor 16, the smoothed softmax ``exp(f) / (sum exp f)^beta`` at
``beta = 0.5``, the denominator clamped at 1e-8; the log loss; Adam at lr 0.01, where the paper's Adagrad starts from
FISM's pretrained embeddings) on implicit histories of 64 users over 96 items in 4 taste clusters, each positive (the
user's history without the target, so empty for the quarter of users with one interaction) with 4 negatives; Fi-GNN
(Li et al. 2019, narrowed: the multi-head self-attention before the graph left out; 8 field nodes of 16, attentional
edge weights on the complete field graph, node-specific in/out matrices, a GRU cell with the residual to the
embedding, 3 propagation steps, the attentional scoring layer; the log loss; Adam at lr 5e-3, set here: the paper's
1e-3 reached 0.580 and 0.566 against the criteria 0.520 and 0.518) on 8-field click records whose clicks are a fixed
pairwise-interaction teacher above its median (batch 256); Janossy pooling (Murphy et al. 2019, full Janossy pooling
by pi-SGD: embeddings of 32 read in one fresh random order a forward by a GRU of 64, ``rho`` an MLP 64 -> 64 -> 4;
Adam lr 1e-3) on sets of 10 tokens labelled by their majority class (4 classes); Poincaré embeddings (Nickel and
Kiela 2017: 5-d points in the ball drawn U(-0.001, 0.001), the reference code's distance whose arcosh has its
gradient's ``sqrt(x^2 - 1)`` clamped at 1e-5, the softmax loss over the positive and 10 negatives drawn uniformly
from all nodes, Riemannian SGD with the ``(1 - |theta|^2)^2 / 4`` rescaling and the projection into the ball, lr 1.0
set here, no burn-in) on the transitive closure of a balanced tree (branching 3, depth 3: 40 nodes, 102 pairs; batches
of 32 pairs); RS-CNN (Liu et al. 2019, narrowed to one relation-shape convolution: a 3 -> 16 lift, the relation
``[d_ij, x_i - x_j, x_i, x_j]`` mapped by an MLP 10 -> 16 -> 16 to channel weights on the 8 neighbours' features, max
over the neighbours, a channel raise to 64, a shared 64 -> 128 layer max-pooled over 16 centroids (random sampling in
place of farthest-point sampling), the classifier 128 -> 64 -> 4 with dropout 0.5, BatchNorm and ReLU throughout;
Adam at the paper's lr 1e-3) on clouds of 64 points on four unit shapes (sphere, cube, cylinder, cone; per-axis
scaled and jittered; batch 16); GIN with GraphNorm (Xu et al. 2019; Cai et al. 2021: four GIN layers of 32 with a
learnable ``eps``, GraphNorm (learnable mean shift ``alpha``) and ReLU after each MLP, constant node features, GIN's
readout summing every layer's node states over each graph into one logit each, added; the logistic loss through
``binary_cross_entropy_with_logits``; Adam at the papers' lr 0.01) telling Erdős-Rényi from Barabási-Albert graphs of
100 to 199 nodes and mean degree about 6 (16 graphs a batch), and GNN-FiLM (Brockschmidt 2020: three FiLM layers of
64 over the edges plus the self-loop type, ``gamma_v * (W h_u) + beta_v`` from the receiving node, messages averaged
over the incoming edges as the reference code's option, ReLU, dropout 0.2; Adam at the reference code's lr 1e-3)
classifying the nodes of a 300-node stochastic block model (4 classes, weak 32-d features, the loss over the training
half).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every GNN-FiLM Linear drawn N(0, 1) (the
  FiLM products of N(0, 1) layers put the first loss at 3e12 and 4e12; init), every RS-CNN BatchNorm's shift at -10,
  every ReLU dead (activation), Janossy pooling's ``rho`` 30 ReLU layers of 64 deep at PyTorch's default init (depth),
  Janossy pooling's GRU update-gate biases raised by 10 on the input and hidden side (the gate at ``sigmoid(20)``,
  1.0 in float32: the state never leaves its zero start and no element is ever written into it; recurrence), GC-MC,
  Fi-GNN and GNN-FiLM at Adam lr 1 and the Poincaré embeddings at Riemannian SGD lr 100 (lr), RS-CNN without its
  BatchNorms at SGD lr 0.1 with momentum 0.9 (normalization, with lr; its control is RS-CNN with its BatchNorms at the
  same SGD lr 0.1), NAIS at Adam ``weight_decay=1`` and RS-CNN at AdamW ``weight_decay=50`` (regularization), Fi-GNN's
  clicks permuted within every batch, apart from their records (data), and GC-MC's left normalisation dividing by
  the raw degree, the cold-start users' empty message sums ``0 / 0`` (numeric, with data: the graph holds users with
  no ratings; their NaN rows are never scored, so the loss stays finite, but their gradients ``0 * NaN`` reach the
  weights at step 0);
- **slip** (a numerically unstable rewrite of standard math, of kinds no earlier batch used; all three numeric):
  the Poincaré distance's arcosh taken as ``torch.acosh``, the reference code's clamped gradient left out: the uniform
  sampler draws the anchor itself among the negatives (6 and 10 of the 32 pairs of the first batch), so ``x = 1 + 2 *
  0 / (...) = 1`` exactly, ``acosh``'s backward ``1 / sqrt(x^2 - 1)`` is ``inf`` and ``inf * (u - u) = NaN`` reaches
  the embeddings at step 0 (the forward, ``acosh(1) = 0``, is right; the same sampler is harmless with the healthy
  distance); GIN's logistic loss written by hand as ``log(1 + exp(-s))``, ``s = (2y - 1) logit``, a softplus without
  the max shift where ``binary_cross_entropy_with_logits`` belongs: GIN's sum readout over graphs of 100 to 199 nodes
  gives logits of tens to a hundred (at most 30.7 and 122.4 on the first batches), so ``exp`` overflows for a
  misclassified graph past 88.7: the loss is ``inf`` at step 1 (seed 0) and step 0 (seed 1); and NAIS's empty
  histories guarded by ``torch.where(den > 0, num / den ** beta, 0)`` where the healthy code clamps the denominator:
  the forward is right, but ``where`` only masks the selected value, and the discarded ``0 / 0`` branch's backward is
  ``0 * NaN`` (35 and 10 of the first batch's 125 instances have an empty history), so the weights are NaN after
  step 0. Earlier numeric slips (softmaxes and log-sum-exps without the max shift, one-pass variances, cosines and
  standardisations without eps, ``log(1 - tanh^2)``, float16 and bfloat16 casts, unclipped logits of marginals,
  ``log 0`` of counts and spectra) are not repeated: here an inverse hyperbolic function's infinite slope at
  coincident points, a hand-written softplus, and a ``where`` guard that guards only the forward. None of the slips
  is an init, activation, depth, recurrence, lr, normalization, regularization or data one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds but the normalization case's (RS-CNN with its BatchNorms at SGD lr 0.1, momentum
0.9: 1.380 -> 0.343 and 1.386 -> 0.282; the depth case's is Janossy pooling with its one ``rho`` layer).

Learning criteria: every case compares with chance (GC-MC's 5 levels, the log loss's ``ln 2`` for NAIS, Fi-GNN and GIN,
4 classes for Janossy pooling, RS-CNN and GNN-FiLM, ``ln 11`` for the Poincaré softmax over 11 candidates), or with its
first loss where that is lower. Measured plain runs, 200 steps (seed 0, seed 1): GC-MC 1.609 -> 1.049 and 1.609 -> 0.739
(the criterion 1.207); NAIS 0.693 -> 0.141 and 0.693 -> 0.088; Fi-GNN 0.694 -> 0.312 and 0.690 -> 0.387 (the criteria
0.520 and 0.518); Janossy pooling 1.406 -> 0.188 and 1.370 -> 0.133; the Poincaré embeddings 2.398 -> 1.603 and 2.398 ->
1.608 (the criterion 1.798; the weight norm grows x544 and x554 in the first step from the paper's tiny init); RS-CNN
1.380 -> 0.188 and 1.386 -> 0.162; GIN with GraphNorm 20.67 -> 3.0e-6 and 44.56 -> 2.3e-6 (the sum readout's large first
logits; the criterion 0.520); GNN-FiLM 1.392 -> 0.0044 and 1.397 -> 0.0034. Broken: ``gnn_film_init_std_1`` 3.0e12 ->
3.0e11 and 4.3e12 -> 4.1e11 (no divergence); ``rscnn_batchnorm_shifts_minus_10`` 1.391 -> 1.388 and 1.401 -> 1.387;
``janossy_pooling_rho_30_layers_default_init`` 1.383 -> 1.364 and 1.383 -> 1.370;
``janossy_pooling_gru_update_gate_bias_plus_20`` 1.414 -> 1.363 and 1.377 -> 1.370; ``gc_mc_adam_lr1`` diverges at step
1 at both seeds (ends 1.609 at both; weights x10 at step 2); ``fignn_adam_lr1`` diverges at step 1 at both seeds (ends
12.71 and 1.625; weights x10 at step 1); ``gnn_film_adam_lr1`` diverges at step 1 at both seeds (ends 9.8e23 and
2.8e24); ``poincare_embeddings_rsgd_lr100`` diverges at step 1 at both seeds (ends 6.586 and 6.691);
``rscnn_without_batchnorm_sgd_lr0.1`` 1.387 -> 1.406 and 1.393 -> 1.420; ``nais_adam_weight_decay_1`` 0.693 -> 0.692 at
both seeds; ``rscnn_adamw_weight_decay_50`` 1.380 -> 1.386 and 1.386 -> 1.386; ``fignn_clicks_shuffled`` 0.694 -> 0.682
and 0.690 -> 0.686; ``gc_mc_cold_start_users_divided_by_zero_degree``,
``poincare_embeddings_distance_through_torch_acosh`` and ``nais_empty_history_guarded_by_torch_where`` are non-finite at
step 0 at both seeds (the weights after the first update; the first loss is finite);
``graphnorm_gin_logistic_loss_softplus_by_hand`` is non-finite at step 1 (seed 0) and step 0 (seed 1), the loss itself.
The cases run 0.1 to 10 s a seed on a machine shared with three other helpers' runs (load 5 to 7 on 2 cores), and 0.1 to
2.6 s a seed in the final, less loaded run; Fi-GNN and GIN are the slowest.

Dropped or changed before the freeze (every figure above is from the final code): GC-MC was first 16 wide per level with
a dense layer of 32, dropout 0.3 and rating noise 0.3 (1.609 -> 1.247 and 1.610 -> 1.259, not learned), then with noise
0.1 (1.212 and 1.221); it is 64 wide with dropout 0.1 and noise 0.1. Fi-GNN at the paper's lr 1e-3 did not learn (above)
and runs at 5e-3. GNN-FiLM first summed its messages (1.392 -> 0.60 from a first loss of 105.8 and 45.3: learned, but an
unhealthy start) and averages them now. GIN without its GraphNorms was the normalization case and learned (71.36 ->
0.013 and 172.7 -> 3e-12; with 6 layers 254 -> 5e-36 and 180.7 -> 0.0019), as did RS-CNN without BatchNorm at Adam lr
1e-3 (1.387 -> 0.571 and 1.393 -> 0.603) and GC-MC without its degree normalisation (1.609 -> 0.279 and 0.208, better
than with it); the normalization case is RS-CNN without BatchNorm at SGD lr 0.1 against its BatchNorm control at the
same lr. GIN's ``norm`` and ``norm_bias`` switches stay, unused. Janossy pooling's update-gate biases raised by 5 (the
gate at ``sigmoid(10)``, ``1 - 4.5e-5``) learned at seed 0 (1.414 -> 0.908, criterion 1.04; 1.377 -> 1.033 at seed 1):
the tiny state that leaks in is enough for Adam to scale up; at ``sigmoid(20)`` the gate is exactly 1. NAIS at Adam lr 1
did not learn (0.550 and 0.595) but diverged at seed 0 only; Janossy pooling and RS-CNN at Adam lr 1 diverged at step 1
at both seeds (the lr cases kept are GC-MC's, Fi-GNN's, GNN-FiLM's and the Poincaré embeddings' at lr 100; at lr 1e4 it
also diverges at step 1).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh75_builders as F

P = functools.partial
HALF = "fresh75"
#: chance losses: five rating levels (GC-MC), a coin (NAIS's and Fi-GNN's log loss, GraphNorm's ER-or-BA graphs),
#: four classes (Janossy pooling's sets, RS-CNN's shapes, GNN-FiLM's nodes), the positive among 11 candidates
#: (Poincaré embeddings)
C5, C2, C4, C11 = math.log(5), math.log(2), math.log(4), math.log(11)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH75_HEALTHY: list[Case] = [
    _h("gc_mc_star_ratings", HALF, "gc_mc", F.gc_mc, C5),
    _h("nais_implicit_histories", HALF, "nais", F.nais, C2),
    _h("fignn_field_clicks", HALF, "fignn", F.fignn, C2),
    _h("janossy_pooling_token_sets", HALF, "janossy_pooling", F.janossy, C4),
    _h("poincare_embeddings_tree_closure", HALF, "poincare_embeddings", F.poincare, C11),
    _h("rscnn_shape_clouds", HALF, "rscnn", F.rscnn, C4),
    _h("graphnorm_gin_er_vs_ba_graphs", HALF, "graphnorm", F.gin_graphnorm, C2),
    _h("gnn_film_sbm_nodes", HALF, "gnn_film", F.gnn_film, C4),
]

FRESH75_BROKEN: list[Case] = [
    # init
    _b("gnn_film_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.gnn_film, init_std=1.0), C4),
    # activation
    _b("rscnn_batchnorm_shifts_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.rscnn, bn_bias=-10.0), C4),
    # depth
    _b("janossy_pooling_rho_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.janossy, rho_layers=30), C4),
    # recurrence
    _b("janossy_pooling_gru_update_gate_bias_plus_20", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.janossy, update_bias=10.0), C4),
    # lr
    _b("gc_mc_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.gc_mc, lr=1.0), C5),
    _b("fignn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fignn, lr=1.0), C2),
    _b("gnn_film_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.gnn_film, lr=1.0), C4),
    _b("poincare_embeddings_rsgd_lr100", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.poincare, lr=100.0), C11),
    # normalization
    _b("rscnn_without_batchnorm_sgd_lr0.1", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.rscnn, bn=False, sgd=True, lr=0.1), C4),
    # regularization
    _b("nais_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.nais, weight_decay=1.0), C2),
    _b("rscnn_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.rscnn, adamw=True, weight_decay=50.0), C4),
    # data
    _b("fignn_clicks_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.fignn, shuffled=True), C2),
    # numeric
    _b("gc_mc_cold_start_users_divided_by_zero_degree", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.gc_mc, cold_guard=False), C5),
    _b("poincare_embeddings_distance_through_torch_acosh", HALF, ("numeric",), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.poincare, torch_acosh=True), C11),
    _b("graphnorm_gin_logistic_loss_softplus_by_hand", HALF, ("numeric",), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.gin_graphnorm, softplus_by_hand=True), C2),
    _b("nais_empty_history_guarded_by_torch_where", HALF, ("numeric",), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.nais, where_guard=True), C2),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "gnn_film_init_std_1": "common", "rscnn_batchnorm_shifts_minus_10": "common",
    "janossy_pooling_rho_30_layers_default_init": "common", "janossy_pooling_gru_update_gate_bias_plus_20": "common",
    "gc_mc_adam_lr1": "common", "fignn_adam_lr1": "common", "gnn_film_adam_lr1": "common",
    "poincare_embeddings_rsgd_lr100": "common", "rscnn_without_batchnorm_sgd_lr0.1": "common",
    "nais_adam_weight_decay_1": "common", "rscnn_adamw_weight_decay_50": "common", "fignn_clicks_shuffled": "common",
    "gc_mc_cold_start_users_divided_by_zero_degree": "common",
    "poincare_embeddings_distance_through_torch_acosh": "slip",
    "graphnorm_gin_logistic_loss_softplus_by_hand": "slip", "nais_empty_history_guarded_by_torch_where": "slip",
}

#: the cases (half "fresh75")
FRESH75: list[Case] = FRESH75_HEALTHY + FRESH75_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "gnn_film_init_std_1": F.gnn_film,
    "rscnn_batchnorm_shifts_minus_10": F.rscnn,
    "janossy_pooling_rho_30_layers_default_init": F.janossy,
    "janossy_pooling_gru_update_gate_bias_plus_20": F.janossy,
    "gc_mc_adam_lr1": F.gc_mc,
    "fignn_adam_lr1": F.fignn,
    "gnn_film_adam_lr1": F.gnn_film,
    "poincare_embeddings_rsgd_lr100": F.poincare,
    "rscnn_without_batchnorm_sgd_lr0.1": P(F.rscnn, sgd=True, lr=0.1),
    "nais_adam_weight_decay_1": F.nais,
    "rscnn_adamw_weight_decay_50": F.rscnn,
    "fignn_clicks_shuffled": F.fignn,
    "gc_mc_cold_start_users_divided_by_zero_degree": F.gc_mc,
    "poincare_embeddings_distance_through_torch_acosh": F.poincare,
    "graphnorm_gin_logistic_loss_softplus_by_hand": F.gin_graphnorm,
    "nais_empty_history_guarded_by_torch_where": F.nais,
}
