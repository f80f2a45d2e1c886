"""The ninety-second held-out batch (half ``"fresh91"``): eight published graph neural networks, recommenders and
tabular models new to the corpus at their usual settings, and sixteen broken variants with one real fault each,
written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only
scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 910_000 + seed, their fixed teachers from 9100 + k): three node classifiers on a
300-node stochastic block model (4 classes of 75, edge probabilities 0.06 within a class and 0.004 across, the last 20
nodes cold-start nodes without edges, weak features: the class's mean direction times 0.3 plus N(0, 1) noise in 32
dimensions; full batch, the loss over a fixed training half): GAMLP (Zhang et al. 2022: the hop features ``X, P X,
P^2 X, P^3 X`` with ``P = D^-1/2 (A + I) D^-1/2`` precomputed, its recursive attention ``softmax_k(sigmoid(a . [X_k ||
X~_(k-1)]))`` over the hops, ``X~`` the running weighted combination, then an MLP of two ReLU layers of 64 with dropout
0.2; Adam at the reference code's lr 1e-3), SuperGAT (Kim and Oh 2021, the MX attention: GAT's additive logits gated
by ``sigmoid`` of the projections' dot product, two layers of 8 heads of 8 with ELU and 1 head to the classes, dropout
0.6, written as a dense ``DenseGATConv`` base class with a ``SuperGATConv`` subclass; the cross-entropy plus the
paper's lambda_E = 4 times the self-supervised link loss, the dot products of every edge against as many fixed random
non-edges, both layers; Adam lr 0.005 weight decay 5e-4, the paper's) and DIFFormer-s (Wu et al. 2023: an input
Linear to 64 with LayerNorm and ReLU, two layers of the simple diffusivity's all-pair attention ``(sum_j v_j + q~_i
sum_j k~_j v_j^T) / (N + q~_i . sum_j k~_j)`` with L2-normalised queries and keys averaged with the GCN propagation
``P v``, mixed with the layer input at the reference code's ``alpha = 0.5``, LayerNorm, ReLU, dropout 0.2; Adam lr
1e-3 with the coupled weight decay 5e-4); two next-item recommenders on users' item streams (the corpus' sparse Markov
chain over 64 items: each next item a fixed successor with probability 0.8, else uniform; batch 16 of 32 items):
HSTU (Zhai et al. 2024, narrowed: item embeddings of 32 at N(0, 0.02^2), two layers of 2 heads of ``U, V, Q, K =
split(SiLU(f1(LN(x))))``, the pointwise aggregated attention ``SiLU(Q K^T + rab) / n`` under the causal mask with a
learned relative-position bias, ``f2(LN(A V) * U)`` added to the stream, dropout 0.2, a final LayerNorm; the scores
are cosine similarities with the L2-normalised item embeddings over a temperature, the reference code's 0.05 kept as
a learned log-scale in CLIP's form, initialised at ``log(1 / 0.05) = 3.0``; a full softmax over the 64 items in place
of its sampled one; AdamW at lr 1e-3, weight decay 0) and HRNN (Quadrana et al. 2017: each stream cut into four
sessions of 8; a session GRU of 64 over item embeddings of 64 scores the next item through a Linear; a user GRU of 64
reads each session's last state, and the next session starts from ``tanh(W u + b)``; dropout 0.1; Adam at lr 3e-3,
set here, in place of the paper's Adagrad); two click models on click logs (8 categorical fields of 10 values,
clicked when a fixed teacher's logit, a value per field plus four pairwise interactions, is positive; batch 128,
binary cross-entropy): Wukong (Zhang et al. 2024, narrowed: embeddings of 16 at N(0, 0.01^2), two Wukong layers,
each a factorization machine block, the flattened ``X X^T`` through an MLP of 64 to 4 new embeddings, beside a linear
compress block of 4 combinations, concatenated, plus the input, LayerNorm; a ReLU MLP of 64, 64 to the logit; Adam
lr 1e-3, set here) and ARM-Net (Cai et al. 2021, as its reference ``ARMModule``, one head: Xavier embeddings of 16,
32 exponential neurons ``exp(sum_f w_of e_f)`` whose weights are a gated attention over the fields, a learned query
per neuron against the keys ``W_k e_f``, the reference code's ``alpha = 1`` option (a softmax where entmax-1.5 is the
default), times a learned value per neuron and field (Xavier gain 1.414), BatchNorm over the neurons, then a ReLU MLP
of 64, 64 with dropout 0.1; Adam at the reference lr 1e-3); and a tabular classifier, T2G-Former (Yan et al. 2023,
narrowed: FT-Transformer's feature tokenizer to 32 with a [CLS] token, two pre-LN FR-Graph layers of 4 heads, each
the Graph Estimator's relation graph ``sigmoid((W_h x_i) . (W_t x_j) / sqrt(d) + T_ij)`` with a static topology ``T``
from learned column embeddings, its row-normalised messages, a ReGLU feed-forward of 2x, dropout 0.1; the [CLS]
token through LayerNorm, ReLU and a Linear; AdamW with the reference weight decay 1e-5 at lr 1e-3, set here; its 1e-4
is for far longer runs) on a mixed table (6 numeric columns N(0, 1), 3 categorical ones of 6 values, batch 64)
labelled by a fixed random two-layer tanh teacher (4 classes).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every HSTU Linear and embedding drawn N(0, 1)
  (the SiLU attention's scores average 78 and reach 725 where the healthy build's average 0.28, and the first layer's
  output, std 23, swamps the item signal; init), Wukong's MLP biases at -10, every ReLU of the only path to the logit
  dead (activation), GAMLP's MLP 30 ReLU layers of 64 deep at PyTorch's default init (depth), HRNN's session-GRU
  update-gate biases at +10 (``z = 1 - 2e-9`` with both biases: ``h' = (1 - z) n + z h`` keeps the session's starting
  state, and no item is ever written into it; the loss stays at ln 64; recurrence), Wukong at Adam lr 1, ARM-Net at Adam
  lr 1 (non-finite after tens of steps, through its exponential neurons), T2G-Former at AdamW lr 1 and DIFFormer at Adam
  lr 1 (lr), ARM-Net without its BatchNorm (the exponential neurons' outputs are ``exp`` of small sums, 1 +- 2%, and
  reach the MLP as an almost constant vector that the BatchNorm standardises in the healthy build; normalization),
  T2G-Former at AdamW ``weight_decay=50`` and GAMLP at Adam ``weight_decay=1`` (regularization), T2G-Former's classes
  permuted within every batch, apart from their rows (data), and GAMLP's propagation written ``D^-1 A``, row-normalised
  without self-loops, on a graph with cold-start nodes (``0 / 0`` in their rows: every hop feature of those nodes is
  NaN, and the loss at step 0; numeric, with data);
- **slip** (a mistake in the user's hand-written initialisation code, of a kind no earlier batch used; all three init):
  HSTU's learned log-temperature initialised with ``nn.Parameter(torch.tensor(20.0))``, the temperature's reciprocal, 20
  = 1 / 0.05, in linear units written into a parameter the forward exponentiates, where ``log(1 / 0.05) = 3.0`` belongs
  (the cosine scores are multiplied by ``e^20 = 4.9e8``: the first loss is 1.9e8, and AdamW moves the log-scale by about
  its lr a step, so the scale stays near ``e^19.8`` and the loss, millions of nats (the score margins times 4e8), never
  comes near chance; init, a parameter's initial value in the wrong space, with normalization, the logits' scale,
  accepted); SuperGAT's ``SuperGATConv`` subclass overriding ``reset_parameters`` to re-draw its attention vectors,
  without the ``super().reset_parameters()`` call (the base class allocates its projection and bias as zero placeholders
  and fills them in ``reset_parameters``, which its ``__init__`` calls and the override shadows: the projections stay
  zero in both layers, every hidden state and every attention logit is 0, no gradient reaches a weight (only the output
  bias moves), and the loss stays at ``ln 4 + 4 ln 2``; init); and GAMLP's hand-written He-normal,
  ``m.weight.normal_().mul(math.sqrt(2 / m.in_features))``, the out-of-place ``mul`` where ``mul_`` belongs (the product
  is computed and thrown away, the in-place draw kept unscaled: every MLP weight N(0, 1), 4 (fan-in 32) and 5.7 (fan-in
  64) times He's std, the first loss 118 and 89 and the last 17.6 and 20.2; init). Earlier init slips (bounds left out,
  precedence, variance for std, the std in the mean slot, ``constant_`` for ``normal_``, zeroing or filling by
  ``apply``, a gate bias's sign, the fan from the wrong axis, norm gains caught by ``hasattr`` or a parameter loop,
  ``apply`` before the layers or in ``forward``, a bias constant meant for one layer applied to all, re-initialisations
  that undo an architecture's init, ``reset_parameters()`` in the epoch loop, a loop variable rebound to a new tensor, a
  tie made for a copy, a strict load that misses, an unclipped marginal logit, integer division in an exponent, a cast
  that unregisters a parameter, a frozen zero placeholder, embeddings scaled twice) are not repeated: here a log-space
  parameter gets a linear-space value, a subclass's initialiser shadows its base class's, and an in-place init's scaling
  is written out of place (``fresh64``'s rebinding assigned a new tensor to a name and kept a zero placeholder; here
  nothing is assigned, the in-place draw happens and only its scaling is lost). None of the slips is an activation,
  depth, recurrence, lr, regularization, data or numeric one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is GAMLP with its own two hidden layers) but the He slip's, which
is GAMLP with the same hand-written He-normal written with ``mul_`` (1.676 -> 0.0534 and 1.503 -> 0.0622).

Learning criteria: GAMLP, DIFFormer and T2G-Former compare with chance over four classes (1.040, or 0.75 times a
first loss below ln 4: T2G-Former's 1.029 at seed 1), HSTU and HRNN with the 64 items' (3.119), Wukong and ARM-Net
with a click's ln 2 (0.520, or 0.75 times a first loss below it: 0.508, 0.512 and 0.506); SuperGAT's loss, with its
self-supervised link term, compares with its first loss. Measured plain runs, 200 steps (seed 0, seed 1): GAMLP 1.396
-> 0.0154 and 1.391 -> 0.0206; SuperGAT 9.461 -> 3.631 and 9.288 -> 3.704; DIFFormer 1.494 -> 0.0427 and 1.473 ->
0.0494; HSTU 8.755 -> 1.908 and 8.631 -> 1.889 (the first loss above chance: the cosines times 20); HRNN 4.182 -> 1.320
and 4.157 -> 1.292; Wukong 0.6954 -> 0.3977 and 0.6778 -> 0.3225; ARM-Net 0.6821 -> 0.3484 and 0.6749 -> 0.3593;
T2G-Former 1.463 -> 0.5283 and 1.372 -> 0.5549. Broken: ``hstu_init_std_1`` 8.921 -> 5.382 and 8.700 -> 5.055 (no
divergence); ``wukong_relu_biases_minus_10`` 0.7021 -> 0.6815 and 0.6861 -> 0.6683;
``gamlp_30_hidden_layers_default_init`` 1.385 -> 1.383 and 1.390 -> 1.382; ``hrnn_update_gate_bias_plus_10`` 4.157 ->
4.157 and 4.155 -> 4.156; ``wukong_adam_lr1`` diverges at step 1 at both seeds (ends 0.6569 and 0.6588; weights x78
and x76 at step 0); ``armnet_adam_lr1`` diverges at step 1 at both seeds and is non-finite at steps 22 and 28 (weights
x71 and x77 at step 0); ``t2g_former_adamw_lr1`` is non-finite at step 1 at both seeds (weights x7.6 and x7.7 before);
``difformer_adam_lr1`` diverges at step 1 at both seeds (ends 1.386 and 1.382; weights x10 at step 3);
``armnet_without_batchnorm`` 0.6817 -> 0.6549 and 0.6823 -> 0.6580; ``t2g_former_adamw_weight_decay_50`` 1.463 ->
1.376 and 1.372 -> 1.379; ``gamlp_adam_weight_decay_1`` 1.396 -> 1.385 and 1.391 -> 1.385;
``t2g_former_labels_shuffled`` 1.415 -> 1.324 and 1.392 -> 1.309; ``gamlp_row_norm_without_self_loops`` is non-finite
at step 0 at both seeds (the loss itself); ``hstu_log_scale_initialised_with_20`` 1.934e8 -> 4.475e6 and 1.910e8 ->
5.427e6 (no divergence); ``supergat_reset_parameters_without_super`` 4.159 -> 4.156 and 4.159 -> 4.154;
``gamlp_he_scale_mul_not_in_place`` 117.9 -> 17.63 and 89.14 -> 20.17. The cases ran in 0.1 to 35 s a seed on a
machine shared with three other helpers' runs (load about 13 on 2 cores); SuperGAT, with its dense (300, 300, 8)
attention in two layers, is the slowest (28 to 35 s under that load, about 15 times GAMLP's 2 s).

Dropped or changed before the freeze (every figure above is from the final code): Wukong without its LayerNorms
learned (0.7084 -> 0.4149 at seed 0), and so did DIFFormer without its LayerNorms (1.389 -> 0.0356): the
normalization common is ARM-Net's BatchNorm. DIFFormer at Adam weight decay 1 learned (1.494 -> 0.773 and 1.473 ->
0.754: the LayerNorm after every layer makes the weights' scale irrelevant to the output); the second regularization
case is GAMLP's. Also failing but not kept, to spread the causes over the models: HSTU at AdamW lr 1 (8.755 -> 4.159,
weights x41 at step 1), ARM-Net with every weight N(0, 1) (276.8 -> 58.74), GAMLP with every weight N(0, 1) (186.6 ->
23.48; the He slip gives its MLP the same draw) and ARM-Net's clicks shuffled within every batch (0.6838 -> 0.5967 and
0.6911 -> 0.5797, against the criteria 0.513 and 0.518; T2G-Former's shuffle fails by a wider margin). Two slips were
written, measured and dropped because they learned: the out-of-place scaling first put in ARM-Net's own
Glorot-uniform of its values and embeddings (``w.uniform_(-1, 1).mul(bound)``: U(-1, 1) where U(-0.55, 0.55) and
U(-0.25, 0.25) belong; 0.6807 -> 0.3622; its ``discard_scale`` switch stays, unused), and an orthogonal init scaled
by the fan twice, the default block's Frobenius norm passed as ``orthogonal_``'s gain (``gain=w.norm()``, which
already carries the ``sqrt(64)`` of its 64 singular directions: every singular value 4.6), on HRNN's recurrent blocks
(4.210 -> 1.401 at seed 0; the GRU's gates absorb it; its ``ortho`` switch stays, unused) and on GAMLP's MLP (4.316
-> 0.236). No depth case was written on the Transformers, and no recurrence case on any model but HRNN, the only one
with a carried state.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh91_builders as F

P = functools.partial
HALF = "fresh91"
#: chance losses: four classes (the SBM graph's nodes, the mixed table's rows), the 64 items (HSTU's and HRNN's next
#: items), two (clicks: Wukong, ARM-Net); SuperGAT's loss, with its self-supervised link term, compares with its first
C4, ITEMS, CLICK = math.log(4), math.log(64), math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH91_HEALTHY: list[Case] = [
    _h("gamlp_sbm_nodes", HALF, "gamlp", F.gamlp, C4),
    _h("supergat_mx_sbm_nodes", HALF, "supergat", F.supergat, None),
    _h("difformer_sbm_nodes", HALF, "difformer", F.difformer, C4),
    _h("hstu_item_streams", HALF, "hstu", F.hstu, ITEMS),
    _h("hrnn_item_sessions", HALF, "hrnn", F.hrnn, ITEMS),
    _h("wukong_click_logs", HALF, "wukong", F.wukong, CLICK),
    _h("armnet_click_logs", HALF, "armnet", F.armnet, CLICK),
    _h("t2g_former_mixed_table", HALF, "t2g_former", F.t2g_former, C4),
]

FRESH91_BROKEN: list[Case] = [
    # init
    _b("hstu_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.hstu, init_std=1.0), ITEMS),
    # activation
    _b("wukong_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.wukong, relu_bias=-10.0), CLICK),
    # depth
    _b("gamlp_30_hidden_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.gamlp, hidden=30), C4),
    # recurrence
    _b("hrnn_update_gate_bias_plus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.hrnn, gate_bias=10.0), ITEMS),
    # lr
    _b("wukong_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.wukong, lr=1.0), CLICK),
    _b("armnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.armnet, lr=1.0), CLICK),
    _b("t2g_former_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.t2g_former, lr=1.0), C4),
    _b("difformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.difformer, lr=1.0), C4),
    # normalization
    _b("armnet_without_batchnorm", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.armnet, bn=False), CLICK),
    # regularization
    _b("t2g_former_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.t2g_former, weight_decay=50.0), C4),
    _b("gamlp_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.gamlp, weight_decay=1.0), C4),
    # data
    _b("t2g_former_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.t2g_former, shuffled=True), C4),
    # numeric
    _b("gamlp_row_norm_without_self_loops", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.gamlp, rw_no_loops=True), C4),
    # init slips
    _b("hstu_log_scale_initialised_with_20", HALF, ("init", "normalization"), BOTH,  # kind: slip
       DIVERGE + STUCK, P(F.hstu, log_scale_init=20.0), ITEMS),
    _b("supergat_reset_parameters_without_super", HALF, ("init",), VANISH, STUCK,  # kind: slip
       P(F.supergat, no_super=True), None),
    _b("gamlp_he_scale_mul_not_in_place", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.gamlp, he="discard"), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "hstu_init_std_1": "common", "wukong_relu_biases_minus_10": "common",
    "gamlp_30_hidden_layers_default_init": "common", "hrnn_update_gate_bias_plus_10": "common",
    "wukong_adam_lr1": "common", "armnet_adam_lr1": "common", "t2g_former_adamw_lr1": "common",
    "difformer_adam_lr1": "common", "armnet_without_batchnorm": "common",
    "t2g_former_adamw_weight_decay_50": "common", "gamlp_adam_weight_decay_1": "common",
    "t2g_former_labels_shuffled": "common", "gamlp_row_norm_without_self_loops": "common",
    "hstu_log_scale_initialised_with_20": "slip", "supergat_reset_parameters_without_super": "slip",
    "gamlp_he_scale_mul_not_in_place": "slip",
}

#: the cases (half "fresh91")
FRESH91: list[Case] = FRESH91_HEALTHY + FRESH91_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "hstu_init_std_1": F.hstu,
    "wukong_relu_biases_minus_10": F.wukong,
    "gamlp_30_hidden_layers_default_init": F.gamlp,
    "hrnn_update_gate_bias_plus_10": F.hrnn,
    "wukong_adam_lr1": F.wukong,
    "armnet_adam_lr1": F.armnet,
    "t2g_former_adamw_lr1": F.t2g_former,
    "difformer_adam_lr1": F.difformer,
    "armnet_without_batchnorm": F.armnet,
    "t2g_former_adamw_weight_decay_50": F.t2g_former,
    "gamlp_adam_weight_decay_1": F.gamlp,
    "t2g_former_labels_shuffled": F.t2g_former,
    "gamlp_row_norm_without_self_loops": F.gamlp,
    "hstu_log_scale_initialised_with_20": F.hstu,
    "supergat_reset_parameters_without_super": F.supergat,
    "gamlp_he_scale_mul_not_in_place": P(F.gamlp, he="right"),
}
