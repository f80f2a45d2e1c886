"""The hundredth held-out batch (half ``"fresh99"``): eight published graph-learning, recommender and tabular models new
to the corpus at their usual settings, and sixteen broken variants with one real fault each, written and labelled with
plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 990_000 + seed; everything is in ``fresh99_builders.py``): GRAFF (Di Giovanni et al.
2022, the gradient-flow GNN: a linear encoder, 20 explicit Euler steps over the time 2 (step size 0.1) of ``dH/dt = -H
Omega + A H W - beta H(0)`` with one symmetric ``W = (W0 + W0^T) / 2`` (Xavier), a diagonal ``Omega`` and a scalar
``beta`` (zero at init) shared by every step, ``A = D^-1/2 (A + I) D^-1/2``, input dropout 0.5, a linear decoder; Adam
lr 5e-3, weight decay 5e-4) and IGNN (Gu et al. 2020, the implicit GNN: node states the fixed point of ``X = relu(W X A
+ B U A)``, ``W`` projected onto ``||W||_inf <= kappa / lambda_pf(A)`` (kappa 0.95) before every forward as the
reference code does; narrowed: the iteration unrolled 20 times from zero and back-propagated through, where the
reference code iterates to a tolerance and differentiates implicitly; dropout 0.5, a linear head; Adam lr 5e-3, set
here, weight decay 5e-4) classifying the nodes of a 300-node stochastic block model (4 classes, about 5.3 neighbours a
node, weak features; loss over the training half); Dir-GNN (Rossi et al. 2023, its Dir-SAGE form: ``h' = W_self h +
alpha W_out mean_out(h) + (1 - alpha) W_in mean_in(h)``, alpha 0.5, two ReLU layers of 64, the jumping-knowledge max, a
linear head; Adam lr 5e-3 without weight decay) classifying the nodes of a dense directed block model whose edges point
from class c to c + 1 (about 29 out- and 29 in-neighbours; ignoring the directions, classes 0 and 2 look alike); FINT
(Zhao et al. 2021: 8 field embeddings of 16 (N(0, 0.1^2)), three field-aware interaction layers ``V^l = V^(l-1) * (W^l
V^0) + u^l * V^(l-1)``, a ReLU MLP 256-256-256 to one logit; Adam at the paper's lr 1e-3) predicting clicks (batch 256)
on 8 categorical fields of 20 values labelled by a fixed teacher with six pairwise interaction tables (about 44%
clicks); NRMS (Wu et al. 2019: word embeddings of 32, a news encoder of multi-head self-attention (4 heads) and additive
attention, a user encoder of the same over 6 clicked news, dot-product click scores, dropout 0.2, a softmax over one
clicked and four unclicked candidates (npratio 4); Adam lr 1e-3, set here: the reference code's 1e-4 is slow for 200
steps) on synthetic news of 4 topics (batch 32); LR-GCCF (Chen et al. 2020: user and item embeddings of 64 (N(0,
0.01^2)), three linear graph convolutions ``E^(k+1) = S E^k W^k`` with ``S = D^-1/2 (A + I) D^-1/2`` over the user-item
graph, the prediction the dot product of the concatenated layer embeddings; the BPR loss, Adam lr 5e-3 (set here) with
weight decay 1e-4 for the reference code's L2 term) on implicit feedback of 200 users and 200 items in 4 taste clusters
(about 9 items a user; BPR triples, batch 256); LassoNet (Lemhadri et al. 2021: the features standardised by the scaler
fitted on the training pool, stored in the model, a linear skip to the 4 logits plus a ReLU MLP of one hidden layer of
64, Adam lr 1e-3 followed after every step by the hierarchical proximal operator (Algorithm 2) at ``lambda = 0.01``, ``M
= 10``, an early point of the path) classifying (4 classes) tabular records of 12 numeric features in raw units (stds 4
to 1,830, offsets up to 3,850), only 6 of them informative (batch 64); and DeepHit (Lee et al. 2018, single risk: a ReLU
MLP of two hidden layers of 32 with dropout 0.1 to 10 interval logits; pycox's loss, ``0.2 NLL + 0.8 ranking`` (sigma
0.1), with its zero padding logit for survival past the last interval and its epsilon 1e-7; Adam lr 1e-2, pycox's
example's) on right-censored survival records (8 features, exponential event times whose log-rate is a fixed teacher's
score, uniform censoring and the study's end at the horizon: about 69% events, 12.5% censored in the last interval;
batch 64).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every LR-GCCF embedding initialised to 0 (every
  score, every propagated embedding and every gradient is exactly 0: the loss stays at ln 2; init); FINT's MLP biases at
  -10 (every pre-activation at most -9.75: every ReLU unit dead; activation, with init); DeepHit's MLP 30 ReLU layers of
  32 deep at PyTorch's default init (the signal and the gradients vanish through the plain stack; only the output bias
  learns the marginal; depth, with init); IGNN's ``W`` initialised as an orthogonal matrix times 3 with the projection
  left out (the carried state's gain per iteration is about 3 where IGNN's well-posedness needs it below 1: the logits
  after 20 iterations are 7e5 and 1.8e6; recurrence, with init); GRAFF, NRMS, FINT and IGNN at Adam lr 1 (lr); GRAFF's
  propagation over ``A + I`` without the degree normalisation (a node's sum over its neighbours, up to 13, at each of
  the 20 steps: logits of 5e4 and 2e4 at the start; normalization, with depth, the compounding over the steps); NRMS at
  AdamW ``weight_decay=50`` and Dir-GNN at Adam ``weight_decay=1`` (regularization); LassoNet's classes permuted within
  every batch, apart from their records (data); and DeepHit's loss written by hand without pycox's padding column and
  its epsilon (a record censored in the last interval survives past it with the probability of an empty sum, exactly 0,
  and ``log 0 = -inf``; an event there gives ``0 * log 0 = NaN``: the loss is non-finite at step 0; numeric);
- **slip** (a user's mistake in residual, skip and aggregation wiring, of a kind no earlier batch used): GRAFF's step
  size written ``steps / time`` where ``time / steps`` belongs (10 instead of 0.1: each of the 20 residual updates ``h +
  tau f(h)`` adds its branch at 100 times its gain, so the state grows by about ``1 + 10 |A W|`` a step and the first
  logits are 2.6e22 and 1.5e21; depth, the residual stack's gain compounding over its 20 steps, with recurrence
  accepted, the steps sharing one ``W`` as a discretised flow does); LassoNet's linear skip fed the raw features ``x``
  where the standardised ``z`` belongs (the MLP reads ``z``, the skip the prices and counts in their units: logits of
  about 1,900 and a first loss of 999 and 1,042, and Adam at 1e-3 cannot shrink the skip's weights by the factors of up
  to thousands needed in 200 steps; data, the raw units reaching a layer, with normalization accepted, the scaler being
  bypassed); and FINT's interaction layer written ``V^l = V^(l-1) * (W^l V^0)``, its output replacing its input where
  the ``+ u^l V^(l-1)`` term adds to it (after three layers only the fourth-order product of the embeddings is left: the
  MLP's input has an rms of 9e-4 where the healthy one has 0.12, and every lower-order term, the pairs the clicks depend
  on among them, is gone; depth, the identity path of the interaction stack removed, with init accepted, the 0.1-scale
  embeddings raised to the fourth power). Earlier wiring slips (``fresh61``'s residual added twice, ``fresh12``'s
  shortcut indented into the down-sampling branch, ``fresh51``'s layer scale registered as a buffer, ``fresh13``'s
  second residual around a layer that adds its own, ``fresh89``'s SkipInit gate at 1, shortcut multiplied into the
  branch and norm after the addition) are not repeated: here a residual step's gain is inverted, a skip reads the tensor
  before the normalisation, and an interaction layer replaces its input. By their first labels none of the slips is an
  init, activation, recurrence, lr, normalization, regularization or numeric one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds (the depth case's is DeepHit with its two hidden layers).

Learning criteria: every case but DeepHit compares with chance (four classes, a click or a BPR pair's ln 2, NRMS's five
candidates); DeepHit, whose loss has no uniform-prediction value, with its first loss. Measured plain runs, 200 steps
(seed 0, seed 1), first loss -> mean of the last tenth: GRAFF 1.378 -> 0.0603 and 1.475 -> 0.0181; Dir-GNN 1.429 ->
1.1e-6 and 1.356 -> 6.7e-7; IGNN 1.374 -> 0.0061 and 1.380 -> 0.0038; FINT 0.690 -> 0.355 and 0.700 -> 0.356 (the
criteria 0.517 and 0.520); NRMS 1.595 -> 0.0027 and 1.621 -> 0.0040; LR-GCCF 0.693 -> 0.132 and 0.693 -> 0.112; LassoNet
1.723 -> 0.611 and 1.549 -> 0.579 (the criterion 1.040); DeepHit 0.661 -> 0.421 and 0.682 -> 0.407 (the criteria 0.495
and 0.511). Broken: ``lr_gccf_zero_embeddings`` 0.6931 -> 0.6931 at both seeds; ``fint_relu_biases_minus_10`` 0.693 ->
0.686 and 0.697 -> 0.690; ``deephit_30_layers_default_init`` 0.671 -> 0.602 and 0.682 -> 0.585 (the criteria 0.503 and
0.512); ``ignn_recurrent_radius_3_unprojected`` 6.8e4 -> 4.72 and 5.1e5 -> 2.33; ``graff_adam_lr1`` diverges at step 1
at both seeds (ends 1.6e15 and 1.2e9; weights x49 and x39); ``nrms_adam_lr1`` diverges at step 1 at both seeds (ends
4.2e14 and 1.0e15; weights x25 and x34); ``fint_adam_lr1`` diverges at step 1 at both seeds (ends 0.684 and 0.696;
weights x121 and x180); ``ignn_adam_lr1`` diverges at step 1 at both seeds (ends 1.88 and 1.30; weights x28 and x30);
``graff_adjacency_unnormalised`` 6112 -> 7.45 (no divergence: its first loss is its highest) and 1343 -> 5.41 (diverges
at step 1); ``nrms_adamw_weight_decay_50`` 1.595 -> 1.609 and 1.621 -> 1.609; ``dir_gnn_adam_weight_decay_1`` 1.429 ->
1.384 and 1.356 -> 1.386; ``lassonet_labels_shuffled`` 1.625 -> 1.363 and 1.468 -> 1.364;
``deephit_loss_without_pad_column`` non-finite at step 0 at both seeds (the first loss NaN at seed 0, whose first batch
holds 7 records censored and 2 with an event in the last interval, and inf at seed 1, 6 censored there);
``graff_step_size_steps_over_time`` 7.7e20 -> 4.7e17 and 2.6e20 -> 9.5e18 (diverges at step 1 at seed 1);
``lassonet_skip_on_raw_features`` 998.5 -> 101.8 and 1042 -> 261.1; ``fint_interaction_replaces_input`` 0.690 -> 0.543
and 0.700 -> 0.558 (the criteria 0.517 and 0.520: it learns a little, never enough). The cases run in 0.3 to 10 s a seed
on a machine shared with three other helpers' runs (2 cores); GRAFF and NRMS are the slowest.

Dropped or changed before the freeze (every figure above is from the final code): FINT's teacher first had a third-order
table over three fields besides the pairs, and its embeddings were N(0, 0.01^2): 0.690 -> 0.561 at seed 0, not learned;
without the third-order table still 0.690 -> 0.563 and 0.700 -> 0.582; with embeddings N(0, 0.1^2) it learns (as above).
GRAFF first took 10 steps over the time 1: it learned (1.395 -> 0.078), but so did its unnormalised propagation (7.35 ->
0.079), so the healthy GRAFF takes 20 steps over the time 2 (the same step size 0.1). Not frozen because the plain run
learned: IGNN's ``W`` at radius 2 without the projection (34.5 -> 0.092; Adam shrinks ``W``), IGNN over ``A + I``
unnormalised (3.65 -> 0.048 and 12.4 -> 0.019) or without its projection at the default init (1.371 -> 0.0044) (both
together fail, 2.1e9 -> 1895, but that is two faults), LR-GCCF over ``A + I`` without its normalisation (0.388 ->
0.017), Dir-GNN at Adam lr 1 (1.429 -> 0.491 after diverging at step 1), FINT's clicks shuffled within every batch
(0.690 -> 0.472: FINT memorises the 8,192 records of the 32 cycled batches; the data case is LassoNet's), and two slips:
Dir-GNN's neighbour means written as sums, ``a @ h`` where ``D^-1 A h`` belongs, on its graph of 29 neighbours a node
(6.83 -> 6.4e-7: Adam absorbs the constant factor) and GRAFF's update written ``h = tau f(h)``, replacing the state
where it adds to it (at 10 steps: 1.392 -> 0.105 and 1.388 -> 0.057). LassoNet at Adam lr 1 diverged (1.723 -> 2.333)
and was left out: four lr cases were enough.
"""

from __future__ import annotations

import functools
import math

from . import Case, _b, _h
from . import fresh99_builders as F

P = functools.partial
HALF = "fresh99"
#: the loss of a uniform prediction: 4 classes, a click (two outcomes; BPR's pairs too), 5 candidates
C4, C2, C5 = math.log(4), math.log(2), math.log(5)
EXPLODE = ("explode", "nonfinite", "loss_spike", "divergence")
VANISH = ("vanish", "stall")
NONFINITE = ("nonfinite",)
DIVERGE = ("nonfinite", "diverge")
STUCK = ("no_learning",)

FRESH99_HEALTHY: list[Case] = [
    _h("graff_sbm", HALF, "graff", F.graff, C4),
    _h("dir_gnn_sage_directed_sbm", HALF, "dir_gnn", F.dir_gnn, C4),
    _h("ignn_sbm", HALF, "ignn", F.ignn, C4),
    _h("fint_ctr", HALF, "fint", F.fint, C2),
    _h("nrms_news", HALF, "nrms", F.nrms, C5),
    _h("lr_gccf_bpr", HALF, "lr_gccf", F.lr_gccf, C2),
    _h("lassonet_raw_table", HALF, "lassonet", F.lassonet, C4),
    _h("deephit_survival", HALF, "deephit", F.deephit, None),
]

FRESH99_BROKEN: list[Case] = [
    # init
    _b("lr_gccf_zero_embeddings", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.lr_gccf, zero_init=True), C2),
    # activation
    _b("fint_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.fint, relu_bias=-10.0), C2),
    # depth
    _b("deephit_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.deephit, layers=30), None),
    # recurrence
    _b("ignn_recurrent_radius_3_unprojected", HALF, ("recurrence", "init"), EXPLODE,  # kind: common
       DIVERGE + STUCK, P(F.ignn, radius=3.0), C4),
    # lr
    _b("graff_adam_lr1", HALF, ("lr",), EXPLODE, DIVERGE + STUCK,  # kind: common
       P(F.graff, lr=1.0), C4),
    _b("nrms_adam_lr1", HALF, ("lr",), EXPLODE, DIVERGE + STUCK,  # kind: common
       P(F.nrms, lr=1.0), C5),
    _b("fint_adam_lr1", HALF, ("lr",), EXPLODE, DIVERGE + STUCK,  # kind: common
       P(F.fint, lr=1.0), C2),
    _b("ignn_adam_lr1", HALF, ("lr",), EXPLODE, DIVERGE + STUCK,  # kind: common
       P(F.ignn, lr=1.0), C4),
    # normalization
    _b("graff_adjacency_unnormalised", HALF, ("normalization", "depth"), EXPLODE,  # kind: common
       DIVERGE + STUCK, P(F.graff, normalise=False), C4),
    # regularization
    _b("nrms_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.nrms, weight_decay=50.0, adamw=True), C5),
    _b("dir_gnn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.dir_gnn, weight_decay=1.0), C4),
    # data
    _b("lassonet_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.lassonet, shuffled=True), C4),
    # numeric
    _b("deephit_loss_without_pad_column", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.deephit, pad=False), None),
    # slips
    _b("graff_step_size_steps_over_time", HALF, ("depth", "recurrence"), EXPLODE,  # kind: slip
       DIVERGE + STUCK, P(F.graff, inverted_step=True), C4),
    _b("lassonet_skip_on_raw_features", HALF, ("data", "normalization"), EXPLODE,  # kind: slip
       DIVERGE + STUCK, P(F.lassonet, raw_skip=True), C4),
    _b("fint_interaction_replaces_input", HALF, ("depth", "init"), VANISH, STUCK,  # kind: slip
       P(F.fint, replace=True), C2),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "lr_gccf_zero_embeddings": "common", "fint_relu_biases_minus_10": "common",
    "deephit_30_layers_default_init": "common", "ignn_recurrent_radius_3_unprojected": "common",
    "graff_adam_lr1": "common", "nrms_adam_lr1": "common", "fint_adam_lr1": "common", "ignn_adam_lr1": "common",
    "graff_adjacency_unnormalised": "common", "nrms_adamw_weight_decay_50": "common",
    "dir_gnn_adam_weight_decay_1": "common", "lassonet_labels_shuffled": "common",
    "deephit_loss_without_pad_column": "common",
    "graff_step_size_steps_over_time": "slip", "lassonet_skip_on_raw_features": "slip",
    "fint_interaction_replaces_input": "slip",
}

#: the cases (half "fresh99")
FRESH99: list[Case] = FRESH99_HEALTHY + FRESH99_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "lr_gccf_zero_embeddings": F.lr_gccf,
    "fint_relu_biases_minus_10": F.fint,
    "deephit_30_layers_default_init": F.deephit,
    "ignn_recurrent_radius_3_unprojected": F.ignn,
    "graff_adam_lr1": F.graff,
    "nrms_adam_lr1": F.nrms,
    "fint_adam_lr1": F.fint,
    "ignn_adam_lr1": F.ignn,
    "graff_adjacency_unnormalised": F.graff,
    "nrms_adamw_weight_decay_50": F.nrms,
    "dir_gnn_adam_weight_decay_1": F.dir_gnn,
    "lassonet_labels_shuffled": F.lassonet,
    "deephit_loss_without_pad_column": F.deephit,
    "graff_step_size_steps_over_time": F.graff,
    "lassonet_skip_on_raw_features": F.lassonet,
    "fint_interaction_replaces_input": F.fint,
}
