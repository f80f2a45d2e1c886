"""The eighty-eighth held-out batch (half ``"fresh87"``): eight published graph networks, recommenders and tabular
networks new to the corpus at their usual settings, and sixteen broken variants with one real fault each, written and
labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned
on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 870_000 + seed): HGNN (Feng et al. 2019: two hypergraph convolutions ``Dv^-1/2 H W De^-1
H^T Dv^-1/2 X Theta`` with each node's own hyperedge appended, 128 hidden, ReLU, dropout 0.5, the reference code's
uniform init; Adam with its weight decay 5e-4 at lr 0.01, set here for 200 full-batch steps) classifying the nodes of a
300-node hypergraph of 120 class-biased hyperedges (4 to 10 nodes, 80% from one class) with weak features (the loss over
the training half), SSGC (Zhu and Koniusz 2021: ``1/K sum_k ((1 - alpha) T^k X + alpha X)`` over ``T = D^-1/2 (A + I)
D^-1/2`` with K = 16 and alpha = 0.05, the propagation done in the forward with the operator a buffer, then a linear
classifier; Adam at the SGC/SSGC reference lr 0.2 with weight decay 1e-5) classifying the nodes of a 300-node stochastic
block model (4 classes, weak features, the loss over the training half), GCRN (Seo et al. 2018, its GConvGRU: a GRU
whose six transforms are Chebyshev graph convolutions of order 2 over a fixed 20-node sensor network, 16 hidden per
node, the final states flattened into the classifier; Adam at lr 5e-3, set here) telling which of four groups of sensors
a diffusing pulse started in (10 steps, batch 32), FNN (Zhang et al. 2016: one embedding table of 10 per field at
DeepCTR's N(0, 1e-4^2), its FM pre-training left out, the concatenation into three tanh layers of 200, a logit; Adam at
DeepCTR's lr 1e-3) and ONN (Yang et al. 2019, the inner-product NFFM: one embedding of 8 per feature value and
operation, a copy and one per other field, N(0, 1e-4^2); the 8 copies and the 28 operation-aware inner products
``<e_i^(j), e_j^(i)>`` into a ReLU MLP of 400, 400 and a logit; Adam lr 1e-3) predicting clicks on logs of 8 fields of
20 values labelled by a fixed teacher factorisation machine (batch 256), KGCN (Wang et al. 2019, one hop of 4 sampled
neighbours: user, entity and relation embeddings of 16 at PyTorch's N(0, 1), the neighbours weighted by ``softmax(u .
r)``, the sum aggregator ``tanh(W (v + v_N) + b)``, the score ``u . v``; Adam at the paper's lr 0.02 with its L2 weight
1e-7 as weight decay) on implicit feedback from 100 users over 200 items whose taste is the sum of their 4
knowledge-graph attributes' (batch 256), STG (Yamada et al. 2020: stochastic gates ``clamp(mu + 0.5 eps + 0.5, 0, 1)``,
``eps ~ N(0, 1)``, from ``mu = 0`` on the 20 inputs, a ReLU MLP of two layers of 64, the loss plus ``lambda = 0.02``
times the expected number of open gates; Adam at lr 3e-3, set here) and AMFormer (Cheng et al. 2024, narrowed: each
feature a bias-free token ``x_j w_j`` of 16, two post-LN layers of 2 heads, each the additive attention beside the
multiplicative one, the attention weights applied to ``log(|v| + 1e-3)`` of bias-free values and ``exp``-ed back (a
weighted geometric mean), concatenated and projected, then a GEGLU feed-forward; mean pooling, a linear head, the prompt
tokens left out; AdamW lr 1e-3 weight decay 1e-5) classifying rows of 20 features, 8 of them zero-inflated counts (about
half exactly 0), into 4 classes (batch 128 for STG, 64 for AMFormer).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): HGNN with every weight and bias 0 (a saddle:
  the zero second layer passes no gradient to the first, the first passes zero features to the second, and only the
  output bias, a class prior over balanced classes, can move; init), ONN's MLP biases at -10 before its ReLUs, every
  unit dead (activation), STG's MLP 40 ReLU layers of 64 deep at PyTorch's default init (depth), GCRN's update-gate bias
  at +20 (``z = sigmoid(20 + ...)`` is exactly 1 in float32, at every node and step of the first batch at both seeds:
  the zero initial state is carried unchanged, nothing is written into it, and ``z (1 - z) = 0`` passes no gradient;
  recurrence), HGNN at Adam lr 1, KGCN at Adam lr 5, FNN at Adam lr 1 and STG at Adam lr 1 (lr), SSGC's operator ``A +
  I`` without its ``D^-1/2`` normalisation (16 powers of a matrix of spectral radius above 6: the propagated features
  reach 1e12 and more, the first loss 4.5e11; normalization), KGCN at Adam ``weight_decay=1`` (its L2 weight 1e-7 typed
  as 1: every embedding pulled to 0, every score 0, the loss ln 2) and ONN at AdamW ``weight_decay=50``
  (regularization), KGCN's labels permuted within every batch, apart from their (user, item) pairs (data), and
  AMFormer's multiplicative attention taking ``log(|v|)`` without its eps while the zero counts make bias-free tokens
  and values exactly 0 (``log 0 = -inf``: the forward's ``exp(-inf) = 0`` is finite, but the backward's ``0 * (1 / 0)``
  is NaN in every weight after step 0; numeric, with data, the zero counts);
- **slip** (a user's mistake in parameter registration and weight sharing, of a kind no earlier batch used): FNN's
  per-field embedding tables kept in a plain Python list, ``self.tables = [nn.Embedding(20, 10) for _ in
  range(fields)]``, where ``nn.ModuleList`` belongs (the forward works, but the tables are not registered:
  ``model.parameters()`` and so the optimizer hold only the MLP, and the tables stay at DeepCTR's N(0, 1e-4^2) init for
  good; the tanh MLP sees inputs of 1e-4 that never grow and predicts the base rate; init, the tables' tiny init never
  left, with lr, their step being zero), ONN's first MLP layer created inside ``forward``, ``self.inp =
  nn.Linear(z.shape[1], 400)``, to size it to the concatenation of copies and inner products without computing its width
  by hand (a lazy-layer habit without ``LazyLinear``'s one-time materialisation: a fresh random layer is drawn and
  registered at every step, after the optimizer was built from ``model.parameters()``, so none is ever stepped and the
  layers above see a different random projection of the features each step; init, a re-draw every step, with lr, the
  layer's step being zero), and SSGC's fixed propagation operator registered with ``self.t = nn.Parameter(t)`` where
  ``self.register_buffer("t", t)`` belongs (the usual reason: that ``.to(device)`` moves it and ``state_dict`` saves it;
  but a Parameter is trainable, so Adam at lr 0.2 steps all 90,000 entries of the operator by about 0.2 at the first
  step: its spectral radius, 1 before, grows far past 1, its 16 powers explode and the loss reaches 1e17 to 1e20 from
  step 1; lr, a constant that should get no step getting the full lr, with normalization, the operator's normalisation
  destroyed, accepted). Earlier registration and sharing slips (a ``.to()`` cast that unregisters a parameter, a
  registered buffer for a parameter, a ``requires_grad=False`` placeholder, a tie made where a copy was meant, one RevIN
  instance for two, a tied module listed ten times in the optimizer, a shallow-copied EMA, a whole model replaced after
  the optimizer was built, a ``reset_parameters()`` call inside the epoch loop) are not repeated: here submodules in a
  plain list, a layer created in ``forward`` and a constant registered as a Parameter. None of the slips is an
  activation, depth, recurrence, regularization, data or numeric one; the commons outnumber the slips (13 to 3).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds (the depth case's is STG with its own two layers of 64).

Learning criteria: every case compares with chance (four classes: 1.040; the clicks' and the feedback's two: 0.520).
Measured plain runs, 200 steps (seed 0, seed 1): HGNN 1.511 -> 0.0086 and 1.437 -> 0.0060; SSGC 1.447 -> 0.0033 and
1.364 -> 0.0055 (its linear classifier's small default init grows: the weight norm passes 10 times its start at steps 7
and 5, 24.2 and 31.5 times at most, at the reference lr 0.2); GCRN 1.364 -> 3.9e-5 and 1.319 -> 1.1e-4; FNN 0.6934 ->
0.4435 and 0.6952 -> 0.4376; ONN 0.6946 -> 0.2327 and 0.6925 -> 0.2467; KGCN 1.152 -> 0.3727 and 1.140 -> 0.3850; STG
1.697 -> 0.9075 and 1.713 -> 0.9355 (the loss with its gate term); AMFormer 1.403 -> 0.6113 and 1.483 -> 0.5692. Broken:
``hgnn_zero_init`` 1.386 -> 1.385 and 1.386 -> 1.383; ``onn_relu_biases_minus_10`` 0.6937 -> 0.6925 and 0.6916 ->
0.6930; ``stg_40_layers_default_init`` 1.746 -> 1.544 and 1.725 -> 1.544; ``gcrn_update_gate_bias_plus_20`` 1.381 ->
1.384 and 1.400 -> 1.387; ``hgnn_adam_lr_1`` diverges at step 1 at both seeds (ends 6.349 and 6.616; the weights past
x10 at step 1, x48.6 and x45.9 at most); ``kgcn_adam_lr_5`` diverges at step 1 at both seeds (ends 14.07 and 16.14; the
weights past x10 at step 3, x35.9 and x38.3 at most); ``fnn_adam_lr_1`` diverges at step 1 at both seeds (ends 3.079 and
8.637; the weights past x10 at step 0, x262 and x209 at most); ``stg_adam_lr_1`` diverges at step 1 at both seeds (ends
1.411 and 1.433; the weights past x10 at step 0, x62 and x60 at most); ``ssgc_operator_without_degree_normalisation``
4.49e11 -> 1.65e9 and 4.79e11 -> 2.06e10, diverging at steps 2 and 1; ``kgcn_adam_weight_decay_1`` 1.152 -> 0.6931 and
1.140 -> 0.6931; ``onn_adamw_weight_decay_50`` 0.6946 -> 0.6881 and 0.6925 -> 0.6865; ``kgcn_labels_shuffled`` 1.041 ->
0.575 and 1.163 -> 0.580 (the fixed pool of 32 batches lets it memorise a little, short of the criterion 0.520);
``amformer_log_without_eps`` non-finite at step 0 at both seeds (the weights after the first step; the first losses
1.399 and 1.476 are finite); ``fnn_field_tables_in_python_list`` 0.6934 -> 0.6927 and 0.6952 -> 0.6932;
``onn_input_layer_created_in_forward`` 0.6924 -> 0.6926 and 0.6928 -> 0.6931; ``ssgc_operator_registered_as_parameter``
diverges at step 1 at both seeds (ends 3.8e20 and 7.6e17; the weights past x10 at steps 3 and 1). The cases ran in 0.1
to 26 s a seed on a machine shared with three other helpers' runs (load about 12 on 2 cores); GCRN and ONN are the
slowest (5.9 s and 4.2 s a seed when the machine was less loaded).

Dropped or changed before the freeze (every figure above is from the final code): FNN at lr 1e-3 did not learn while the
teacher's pairwise term had weight 0.5 (0.6935 -> 0.586, against 0.520; 0.619 at lr 1e-2), so the teacher's interactions
weigh 0.25 (ONN learned either way). STG at lr 1e-3 did not learn on a first table whose classes used the sign of ``x0
x1`` (1.746 -> 1.451), nor at lr 1e-3 on the final table (1.697 -> 1.064); the table's classes use ``x0 + x1`` and STG
lr 3e-3. AMFormer was first written with ``nn.MultiheadAttention`` in the multiplicative branch (its value and output
projections inside the ``exp``), tokens of 32 and 4 heads: it stayed at chance (1.701 -> 1.387) and took 16 s a seed;
the branch is now written by hand (the weights on ``log |v|`` of bias-free values), 16 wide with 2 heads, eps 1e-3 (1e-6
untested after the rewrite). HGNN without its normalisation (the raw ``H H^T``) learned (93.44 -> 0.056) and was not
kept; its ``normalise`` switch stays, unused, and the normalization common is SSGC's. GCRN's update-gate bias at +10
learned (1.381 -> 0.0113: Adam's steps amplify the state's 4.5e-5 share of each candidate), and so did its recurrent
transforms drawn N(0, 1) and N(0, 3^2) (1.446 -> 3.7e-4 and 1.371 -> 0.218); the recurrence common is the gate at +20,
which is exactly 1 in float32 (its ``recurrent_std`` switch stays, unused). SSGC at Adam lr 50 and GCRN at Adam lr 1
diverged at step 1 but then learned (1.447 -> 0.0123 and 1.364 -> 0.0), and AMFormer at AdamW lr 1 (diverging at step 1)
was slow; HGNN's, FNN's and STG's lr 1 took their places. STG's gate term at ``lambda = 10`` was dropped: its loss falls
(169.6 -> 80.6) with the gate term itself, Adam's small steps close the gates slowly, and the plain run cannot show
whether the task was lost; KGCN's weight decay 1 is the second regularization common.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh87_builders as F

P = functools.partial
HALF = "fresh87"
#: chance losses: four classes (HGNN's and SSGC's nodes, GCRN's pulse groups, STG's and AMFormer's table), two (the
#: clicks of FNN and ONN, KGCN's implicit feedback)
C4, C2 = math.log(4), math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH87_HEALTHY: list[Case] = [
    _h("hgnn_hypergraph_nodes", HALF, "hgnn", F.hgnn, C4),
    _h("ssgc_sbm_nodes", HALF, "ssgc", F.ssgc, C4),
    _h("gcrn_sensor_pulses", HALF, "gcrn", F.gcrn, C4),
    _h("fnn_clicks", HALF, "fnn", F.fnn, C2),
    _h("onn_clicks", HALF, "onn", F.onn, C2),
    _h("kgcn_implicit_feedback", HALF, "kgcn", F.kgcn, C2),
    _h("stg_table", HALF, "stg", F.stg, C4),
    _h("amformer_table", HALF, "amformer", F.amformer, C4),
]

FRESH87_BROKEN: list[Case] = [
    # init
    _b("hgnn_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.hgnn, zero_init=True), C4),
    # activation
    _b("onn_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.onn, relu_bias=-10.0), C2),
    # depth
    _b("stg_40_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.stg, depth=40), C4),
    # recurrence
    _b("gcrn_update_gate_bias_plus_20", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.gcrn, gate_bias=20.0), C4),
    # lr
    _b("hgnn_adam_lr_1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.hgnn, lr=1.0), C4),
    _b("kgcn_adam_lr_5", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.kgcn, lr=5.0), C2),
    _b("fnn_adam_lr_1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fnn, lr=1.0), C2),
    _b("stg_adam_lr_1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.stg, lr=1.0), C4),
    # normalization
    _b("ssgc_operator_without_degree_normalisation", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.ssgc, normalise=False), C4),
    # regularization
    _b("kgcn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.kgcn, weight_decay=1.0), C2),
    _b("onn_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.onn, adamw=True, weight_decay=50.0), C2),
    # data
    _b("kgcn_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.kgcn, shuffled=True), C2),
    # numeric
    _b("amformer_log_without_eps", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.amformer, log_eps=None), C4),
    _b("fnn_field_tables_in_python_list", HALF, ("init", "lr"), VANISH, STUCK,  # kind: slip
       P(F.fnn, python_list=True), C2),
    _b("onn_input_layer_created_in_forward", HALF, ("init", "lr"), VANISH, STUCK,  # kind: slip
       P(F.onn, lazy_head=True), C2),
    _b("ssgc_operator_registered_as_parameter", HALF, ("lr", "normalization"), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.ssgc, operator_param=True), C4),
]

#: the cases (half "fresh87")
FRESH87: list[Case] = FRESH87_HEALTHY + FRESH87_BROKEN

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "hgnn_zero_init": "common", "onn_relu_biases_minus_10": "common", "stg_40_layers_default_init": "common",
    "gcrn_update_gate_bias_plus_20": "common", "hgnn_adam_lr_1": "common", "kgcn_adam_lr_5": "common",
    "fnn_adam_lr_1": "common", "stg_adam_lr_1": "common", "ssgc_operator_without_degree_normalisation": "common",
    "kgcn_adam_weight_decay_1": "common", "onn_adamw_weight_decay_50": "common", "kgcn_labels_shuffled": "common",
    "amformer_log_without_eps": "common", "fnn_field_tables_in_python_list": "slip",
    "onn_input_layer_created_in_forward": "slip", "ssgc_operator_registered_as_parameter": "slip",
}

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "hgnn_zero_init": F.hgnn,
    "onn_relu_biases_minus_10": F.onn,
    "stg_40_layers_default_init": F.stg,
    "gcrn_update_gate_bias_plus_20": F.gcrn,
    "hgnn_adam_lr_1": F.hgnn,
    "kgcn_adam_lr_5": F.kgcn,
    "fnn_adam_lr_1": F.fnn,
    "stg_adam_lr_1": F.stg,
    "ssgc_operator_without_degree_normalisation": F.ssgc,
    "kgcn_adam_weight_decay_1": F.kgcn,
    "onn_adamw_weight_decay_50": F.onn,
    "kgcn_labels_shuffled": F.kgcn,
    "amformer_log_without_eps": F.amformer,
    "fnn_field_tables_in_python_list": F.fnn,
    "onn_input_layer_created_in_forward": F.onn,
    "ssgc_operator_registered_as_parameter": F.ssgc,
}
