"""The ninety-sixth held-out batch (half ``"fresh95"``): eight published graph, recommender and tabular
architectures new to the corpus at their usual settings, and sixteen broken variants with one real fault each, written
and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never
tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said "set
here"; the data are synthetic, drawn from the seeds 950_000 + seed): JacobiConv (Wang and Zhang 2022: a linear map of
the features filtered by Jacobi polynomials ``P_k^(1,1)`` of ``D^-1/2 A D^-1/2`` up to order 10 by the three-term
recurrence, per-channel coefficients by polynomial coefficient decomposition ``prod tanh``; input dropout 0.3; Adam at
lr 0.05, weight decay 5e-4, set here) and the G^2-gated GCN (Rusch et al. 2023: an encoder, 8 applications of one
shared GCN layer of 64, each gated per node and channel by ``tau = tanh(mean_j |Y_j - Y_i|^2)`` from a second shared
GCN, ``X <- (1 - tau) X + tau relu(GCN(X))``, dropout 0.5; Adam at lr 3e-3, weight decay 5e-4, set here) classifying
the nodes of a 320-node stochastic block model (4 classes, weak features, the loss over the training half); LINE
(Tang et al. 2015, second-order proximity: vertex and context embeddings of 32, the reference code's init (vertices
``U(-0.5/d, 0.5/d)``, contexts zero), edges sampled in proportion to their weights, 5 negatives from ``d^0.75``; plain
SGD at lr 6.4 on the batch mean of 256 edges, the reference code's 0.025 an edge, its linear decay left out) on a
weighted graph of 8 communities of 50 nodes with heavy-tailed co-occurrence weights (median 3, the largest 338 and
197); LSTUR-ini (An et al. 2019, narrowed to titles: a CNN news encoder of 64 filters with additive attention, a
GRU user encoder started from the user's long-term embedding (zero at the start, masked whole with the paper's
probability 0.5); the NPA-style softmax over one click and four negatives; Adam at lr 1e-3) on news impressions whose
clicks follow each session's two interest topics; EulerNet (Tian et al. 2023: 8 fields' embeddings read as complex
vectors in polar form, one Euler interaction layer of 10 order vectors, ``exp(sum_j alpha_kj log lambda_j)`` with
the phases summed the same way, plus its implicit ReLU part; missing values a zero ``padding_idx`` embedding, the
modulus guarded by ``sqrt(r^2 + p^2 + 1e-8)``; Adam at lr 1e-2, set here) on click logs from a teacher with three
pairwise field interactions; BPR-MF (Rendle et al. 2009: embeddings of 32 drawn N(0, 0.1^2), the BPR loss plus lambda
0.01 times the triple's squared norms; plain SGD at lr 12.8 on the batch mean of 256 fresh uniform triples, LearnBPR's
0.05 a triple) on an implicit matrix of 200 users and 320 items in 8 taste clusters; DANets (Chen et al. 2022,
narrowed: two basic blocks of width 32, each ``relu(AL2(AL1(h)) + AL_s(x))`` with abstract layers of 4 sparsemax
feature masks, Linear, BatchNorm and GLU, the shortcut reading the raw features, dropout 0.1; Adam at lr 8e-3, set
here) on 16-feature tabular data in three imbalanced classes (70%, 20%, 10%); and GRANDE (Marton et al. 2024,
narrowed: 32 trees of depth 4 with straight-through one-hot feature selection and straight-through rounded softsign
splits, class values per leaf, instance-wise estimator weights; Adam at lr 0.01, set here) on axis-aligned rules over
8 features (4 classes, 5% of the labels flipped).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): the G^2 GCN's Linears drawn N(0, 1) (the
  shared layer applied 8 times multiplies the scale: first losses of millions; init), BPR-MF's embeddings
  initialised to zero (``x_uij = p_u . (q_i - q_j)`` has zero gradient in every embedding: the loss is exactly ln 2
  for good; init), the G^2 GCN's encoder and both GCN layers' biases at -10 before their ReLUs (every unit dead;
  activation, with init), the G^2 GCN at 32 layers with its gates removed (``tau = 1``: a plain 32-layer GCN at the
  default init, which smooths every node into the same vector; depth; its control is G^2 at 32 gated layers), LSTUR's
  GRU update-gate biases at +10 (``z = 1``: the state keeps its start, the long-term embedding, and no clicked title is
  ever written into it; recurrence, with init), EulerNet at Adam lr 1, GRANDE at Adam lr 10 and LSTUR at Adam lr 1
  (lr), JacobiConv propagating the raw adjacency ``A`` where ``D^-1/2 A D^-1/2`` belongs (``P_10(A)`` grows like the
  10th power of the degrees: first losses of 1e7; normalization), BPR-MF at lambda 1, a hundred times Rendle's, and
  GRANDE at AdamW ``weight_decay=50`` (regularization), EulerNet's clicks permuted within every batch, apart from their
  rows (data), and EulerNet's modulus written ``sqrt(r^2 + p^2)`` without the guard (a missing value's zero embedding
  gives ``log 0 = -inf`` in the log-space orders and ``sqrt``'s backward ``1 / 0``: NaN at step 0; numeric);
- **slip** (a user's mistake in sampling, class weighting or loss weighting, of kinds no earlier batch used):
  BPR-MF's negative sampler written ``torch.multinomial(R[u], 1)``, the positive's line copied, where ``1 - R[u]``
  belongs (every "negative" is another item the user did interact with, so each pair ranks two positives in random
  order: the pairs carry no preference, the loss stays near ln 2 and the embeddings learn nothing of the tastes; data,
  the training signal corrupted by the sampler; no other cause fits); DANets, in a user's loop of SGD with momentum
  0.9 at lr 0.05, given class weights computed as the class counts (5,777, 1,593 and 822 over the training pool at
  seed 0) where scikit-learn's inverse frequencies ``N / (C n_c)`` (0.47, 1.71, 3.32) belong, in the hand-written
  weighted mean ``(w[y] * ce).mean()`` (the loss and its gradient thousands of times the intended scale, so SGD's
  effective step is thousands of times too large: diverges at step 1; lr, the step size the weights multiply, with
  data, the class statistics they come from, accepted; its control is the same loop with the balanced weights);
  and LINE's objective ``-sum w_ij log p(j | i)`` written literally, the edges drawn uniformly and their weights
  multiplied into the loss, where the paper samples edges in proportion to their weights precisely because the
  weights' spread explodes the gradients (edges of weight up to 338 and 197 at seeds 0 and 1 give SGD per-edge steps
  that many times the rate: diverges at step 17, non-finite by step 110; lr, with data, the raw weights, accepted).
  Earlier sampling and weighting slips (per-batch inverse frequencies, class counts over the wrong labels, the anchor
  among uniform negatives under an unclamped ``acosh``, label smoothing of 10, ``ignore_index`` on a real class,
  masks multiplied into losses, auxiliary terms without their normalisers) are not repeated: here the negatives are
  drawn from the positives, the class weights are not inverted, and the sample weights are put into the loss in
  place of the sampler. None of the slips is an init, activation, depth, recurrence, normalization, regularization or
  numeric one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1: the healthy builds but the depth case's (G^2 at 32 gated layers: 1.432 -> 0.203 and 1.494 -> 0.0335) and the
class-weight slip's (DANets under the same SGD with the balanced weights: 1.318 -> 0.609 and 1.004 -> 0.337, the
criteria 0.824 and 0.753).

Learning criteria: the node classifiers and GRANDE compare with chance ln 4 (1.040 at most), DANets with ln 3, LSTUR
with ln 5 (1.207 at most), EulerNet and BPR-MF with ln 2 (a click's and a pair's chance: 0.520 at most), LINE with its
first loss (``6 ln 2``, the contexts being zero). Measured plain runs, 200 steps (seed 0, seed 1): JacobiConv 1.762 ->
0.0020 and 1.645 -> 0.0014; G^2 1.456 -> 0.0196 and 1.505 -> 0.0369; LINE 4.159 -> 2.240 and 4.159 -> 2.141 (its
weights grow x37 and x38 from the tiny init, x10 at steps 102 and 107); LSTUR 1.609 -> 0.905 and 1.636 -> 0.791;
EulerNet 0.694 -> 0.242 and 0.697 -> 0.296; BPR-MF 0.706 -> 0.264 and 0.706 -> 0.265; DANets 1.155 -> 0.147 and 1.305
-> 0.148; GRANDE 1.381 -> 0.269 and 1.387 -> 0.270. Broken: ``g2_gnn_init_std_1`` 3.9e6 -> 9.7e5 and 3.5e6 -> 6.9e5
(no divergence); ``bpr_mf_zero_init`` 0.6931 -> 0.6931 at both seeds; ``g2_gnn_relu_biases_minus_10`` 1.388 -> 1.386
and 1.395 -> 1.371; ``g2_gnn_32_layers_without_gates`` 1.391 -> 1.386 and 1.397 -> 1.371;
``lstur_gru_update_gate_bias_plus_10`` 1.609 -> 1.389 and 1.609 -> 1.412; ``eulernet_adam_lr1`` diverges at step 1
at both seeds (ends 3.6e34 and 5.3e32; weights x628 and x604); ``grande_adam_lr10`` diverges at step 1 at both seeds
(ends 1.424 and 1.404; weights x343 and x339); ``lstur_adam_lr1`` diverges at step 1 at both seeds (ends 6,798 and
5,037; weights x31); ``jacobiconv_raw_adjacency`` 2.1e7 -> 3,905, diverging at step 1, and 1.5e7 -> 1,917 (no
divergence; no learning); ``bpr_mf_reg_lambda_1`` 1.666 -> 0.6931 and 1.658 -> 0.6931 (the embeddings shrunk to 0);
``grande_adamw_weight_decay_50`` 1.381 -> 1.365 and 1.387 -> 1.364; ``eulernet_clicks_shuffled`` 0.694 -> 0.547 and
0.697 -> 0.596 (the criterion 0.520); ``eulernet_modulus_without_eps`` non-finite at step 0 at both seeds (the loss
itself); ``bpr_mf_negatives_drawn_from_positives`` 0.706 -> 0.699 and 0.704 -> 0.699;
``danets_sgd_class_weights_as_counts`` 4,960 -> 2.5e5 and 6,449 -> 2.5e5, diverging at step 1 (weights x1e9 and
x8e14); ``line_edge_weights_in_loss`` 32.20 and 32.59 at step 0, diverging at step 17, non-finite at steps 104 and
109. The cases run in 0.2 to 12 s a seed on a machine shared with three other helpers' runs (2 cores), the G^2 GCN the
slowest (10 s a seed healthy, 24 to 30 s with N(0, 1) weights and 30 to 37 s for the 32-layer control under that load).

Dropped or changed before the freeze (every figure above is from the final code): EulerNet was first at the paper's
Adam lr 1e-3 (0.694 -> 0.581 at seed 0: not learned) and at 3e-3 it learned at seed 1 only (0.533 and 0.465); it uses
1e-2. BPR-MF's regularization common was first lambda 10, where SGD's shrinking step overshoots (the weights grew x24
and the loss diverged at step 2 before settling at ln 2): lambda 1 shrinks the embeddings without the instability.
BPR-MF's cases compare with ln 2, not with their first loss, because the regulariser inflates the first loss of the
lambda case. No case was dropped.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh95_builders as F

P = functools.partial
HALF = "fresh95"
#: chance losses: four classes (the SBM's nodes, GRANDE's rules), three (DANets' classes), five candidates (LSTUR's
#: impressions), a click (EulerNet's logs)
C4, C3, C5, C2 = math.log(4), math.log(3), math.log(5), math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH95_HEALTHY: list[Case] = [
    _h("jacobiconv_sbm_nodes", HALF, "jacobiconv", F.jacobiconv, C4),
    _h("g2_gnn_sbm_nodes", HALF, "g2_gating_gnn", F.g2_gnn, C4),
    _h("line_weighted_communities", HALF, "line_embedding", F.line, None),
    _h("lstur_news_clicks", HALF, "lstur", F.lstur, C5),
    _h("eulernet_click_logs", HALF, "eulernet", F.eulernet, C2),
    _h("bpr_mf_implicit_feedback", HALF, "bpr_mf", F.bpr_mf, C2),
    _h("danets_imbalanced_classes", HALF, "danets_tabular", F.danets, C3),
    _h("grande_axis_rules", HALF, "grande", F.grande, C4),
]

FRESH95_BROKEN: list[Case] = [
    # init
    _b("g2_gnn_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.g2_gnn, init_std=1.0), C4),
    _b("bpr_mf_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.bpr_mf, init_std=0.0), C2),
    # activation
    _b("g2_gnn_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.g2_gnn, relu_bias=-10.0), C4),
    # depth
    _b("g2_gnn_32_layers_without_gates", HALF, ("depth",), VANISH, STUCK,  # kind: common
       P(F.g2_gnn, layers=32, gates=False), C4),
    # recurrence
    _b("lstur_gru_update_gate_bias_plus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.lstur, update_gate_bias=10.0), C5),
    # lr
    _b("eulernet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.eulernet, lr=1.0), C2),
    _b("grande_adam_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.grande, lr=10.0), C4),
    _b("lstur_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.lstur, lr=1.0), C5),
    # normalization
    _b("jacobiconv_raw_adjacency", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.jacobiconv, normalise=False), C4),
    # regularization
    _b("bpr_mf_reg_lambda_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.bpr_mf, reg=1.0), C2),
    _b("grande_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.grande, adamw=True, weight_decay=50.0), C4),
    # data
    _b("eulernet_clicks_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.eulernet, shuffled=True), C2),
    # numeric
    _b("eulernet_modulus_without_eps", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.eulernet, eps=0.0), C2),
    # slips
    _b("bpr_mf_negatives_drawn_from_positives", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.bpr_mf, negatives_from_positives=True), C2),
    _b("danets_sgd_class_weights_as_counts", HALF, ("lr", "data"), LR_EVENTS, DIVERGE,  # kind: slip
       P(F.danets, lr=0.05, sgd=True, class_weights="counts"), C3),
    _b("line_edge_weights_in_loss", HALF, ("lr", "data"), LR_EVENTS, DIVERGE,  # kind: slip
       P(F.line, weights_in_loss=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {c.name: "common" for c in FRESH95_BROKEN}
KINDS.update({"bpr_mf_negatives_drawn_from_positives": "slip", "danets_sgd_class_weights_as_counts": "slip",
              "line_edge_weights_in_loss": "slip"})

#: the cases (half "fresh95")
FRESH95: list[Case] = FRESH95_HEALTHY + FRESH95_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "g2_gnn_init_std_1": F.g2_gnn,
    "bpr_mf_zero_init": F.bpr_mf,
    "g2_gnn_relu_biases_minus_10": F.g2_gnn,
    "g2_gnn_32_layers_without_gates": P(F.g2_gnn, layers=32),
    "lstur_gru_update_gate_bias_plus_10": F.lstur,
    "eulernet_adam_lr1": F.eulernet,
    "grande_adam_lr10": F.grande,
    "lstur_adam_lr1": F.lstur,
    "jacobiconv_raw_adjacency": F.jacobiconv,
    "bpr_mf_reg_lambda_1": F.bpr_mf,
    "grande_adamw_weight_decay_50": F.grande,
    "eulernet_clicks_shuffled": F.eulernet,
    "eulernet_modulus_without_eps": F.eulernet,
    "bpr_mf_negatives_drawn_from_positives": F.bpr_mf,
    "danets_sgd_class_weights_as_counts": P(F.danets, lr=0.05, sgd=True, class_weights="balanced"),
    "line_edge_weights_in_loss": F.line,
}
