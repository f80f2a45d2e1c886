"""The hundred-and-fourth held-out batch (half ``"fresh103"``): eight published graph, recommender and tabular models
new to the corpus at their usual settings, and sixteen broken variants with one real fault each, written and labelled
with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 1_030_000 + seed): FSGNN (Maurya et al. 2022: hop features ``A^k X`` and ``(A +
I)^k X``, k <= 3, symmetric-normalised and precomputed, X once, each through its own Linear of 64, row L2-normalised
(the paper's hop normalisation), weighted by a softmax over learned hop scalars, concatenated, ReLU, dropout 0.5, a
Linear to the classes; Adam at lr 0.01 with weight decay 5e-4 on the Linears, none on the hop scalars) classifying the
nodes of a 300-node stochastic block model whose nodes carry bag-of-words counts (about 6 words, half from the class's
16 topic words), 12 of them without text, the counts row-normalised as Kipf's ``preprocess_features`` with its guard
(loss over the training half); CompGCN (Vashishth et al. 2020, narrowed to one layer of 64: Xavier entity and
relation embeddings, the subtraction composition ``W_dir (h_u - z_r)`` over the triples, their inverses and
self-loops, ``1 / sqrt(deg_u deg_v)`` normalisation, the three directions averaged, BatchNorm then tanh as the
reference code, dropout 0.1, relations updated by ``W_rel``, DistMult scores against every entity; Adam at the
reference code's lr 1e-3) on 1-N tail prediction (cross-entropy over 64 entities) in a typed knowledge graph (8 types
of 8 entities, 4 relations each mapping a type to a fixed other type, 512 triples); three click models on logs of
eight label-encoded categorical fields (cardinalities 40 down to 6, batch 256) clicked when a fixed teacher's
first-order plus rank-3 pairwise terms are above their median, each at Adam lr 1e-3 (DeepCTR's and FuxiCTR's
default) with DeepCTR's N(0, 1e-4^2) embeddings: FinalNet (Zhu et al. 2023, its one-block form: field embeddings of
16, a FINAL block of three factorized interaction layers ``h2 + h1 * h2`` of 128, each followed by BatchNorm and
ReLU, a Linear to the logit), DIFM (Lu et al. 2020, DeepCTR-Torch's form: the vector-wise self-attention over the
fields (4 heads, residual, ReLU) and the bit-wise ReLU MLP 256-128 each give a weight per field, their sum reweights
the first-order weights and the embeddings of an FM; every field's id goes through the hashing trick ``id % 1000``
into tables of 1,000 buckets) and DeepFEFM (Pande 2020: the field-embedded FM ``sum_{i<j} v_i^T W_{F(i)F(j)} v_j``
with a symmetric 16x16 matrix per field pair, its 28 pair values and the flattened embeddings into a ReLU DNN of
256-128 whose logit adds to the FEFM's); DUPN (Ni et al. 2018, narrowed to one task: item (32) and behaviour-type (8)
embeddings into an LSTM of 64, the attention net ``softmax_t w^T tanh(W [h_t; p_t])`` over the outputs and the
behaviour properties pooling the user vector, a ReLU layer of 64, the head; Adam lr 1e-3, set here) labelling
behaviour sequences of 10 by the category of their first item (the session's intent); Network on Network (Luo et al.
2020, narrowed, its auxiliary losses left out: the field-wise network (categorical embeddings of 16, each numeric
value times its field vector, each field through its own ReLU DNN with a residual), the across-field network (LR,
the NFM bi-interaction, a ReLU DNN 64-64 and a two-head self-attention) and the operation-fusion DNN of 64; Adam lr
1e-3, set here) classifying table rows (4 classes) of four standardised numeric columns, three categorical ones and
a 40-level ``city`` column target-encoded into its per-class frequencies over a fixed fitting split of 400 rows,
smoothed towards the prior (``(counts + 10 prior) / (n + 10)``; four new cities are absent from the fitting split
and make 6% of the training rows); and TabFormer (Padhi et al. 2021, narrowed to a classifier: each transaction's
four field tokens (merchant, amount quantised into 16 quantile bins, hour of day and weekday from the Unix timestamp,
TabFormer's preprocessing) through a field-level Transformer layer, a row embedding of 64, a sequence Transformer of
two post-LN layers over the 8 rows, mean pooling; AdamW lr 1e-3 set here, Hugging Face's weight decay 0) classifying
card users by their day part (70% of a user's transactions fall in it).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): DeepFEFM's tables, pair matrices and DNN
  weights drawn N(0, 1) (first losses 1,721 and 3,455; init), every FSGNN hop Linear's bias at -10 (each hop's
  row-normalised output is about ``-1/sqrt(64)`` in every unit: the ReLU after the concatenation is dead everywhere;
  activation), DUPN's head 30 ReLU layers of 64 deep at PyTorch's default init (depth), DUPN's LSTM gate biases set to
  input -10 and forget +10 (``i = 4.5e-5``, ``f = 0.99995``: the cell keeps its zero start and no behaviour is ever
  written into it, so every output, and the pooled user vector, is about 0; recurrence), CompGCN, FinalNet and DIFM at
  Adam lr 1 and TabFormer at AdamW lr 1 (lr), CompGCN without its BatchNorm (the averaged messages of its Xavier-scale
  embeddings have an rms of 0.04, tanh passes them as they are, and DistMult's products of three such vectors score
  every entity alike (a spread of 0.002): the first loss is ln 64 exactly and the scores grow too slowly to learn in
  200 steps; normalization, the scale the layer's BatchNorm restores, with init accepted), CompGCN at Adam
  ``weight_decay=1`` and Network on Network at AdamW ``weight_decay=50`` (regularization), DeepFEFM's clicks permuted
  within every batch, apart from their rows (data), and FSGNN's counts row-normalised by a hand-written ``x / x.sum(1,
  keepdim=True)``, without ``preprocess_features``' guard, on a graph whose 12 nodes without text have an all-zero row
  (``0 / 0``: NaN features, and through the hop propagation NaN at their neighbours; the loss is NaN at step 0;
  numeric, with data);
- **slip** (a user's mistake in feature encoding or embedding-table indexing, of a kind no earlier batch used):
  DIFM's hashing trick written ``id // buckets`` where ``id % buckets`` belongs (both are integer divisions of the
  same two numbers; the ids are label-encoded from 0 and every field has fewer values than its 1,000 buckets, so
  every id of every field lands in bucket 0 and nothing fails: every row reaches the model as the same row, and the
  best it can do is the base rate, ln 2; data: the inputs carry nothing of the labels, the model and the optimizer
  being sound); Network on Network's city target-encoded without the smoothing prior, ``counts / n`` (the four new
  cities, absent from the fitting split, get ``0 / 0 = NaN`` encodings, and every batch holds 3 to 13 of them: the loss
  is NaN at step 0; numeric, with data, the encoding being a preprocessing of the data); and TabFormer's hour of day
  taken as ``ts % 24`` from the Unix timestamp in seconds, where ``(ts // 3600) % 24`` belongs (86,400 and 3,600 are
  multiples of 24, so ``ts % 24`` depends only on the seconds within the hour: the hour token is noise, the day
  part the class depends on never reaches the model, and the loss stays near ln 4; data). Earlier encoding slips
  (``fresh9``'s raw user id as a dense feature, ``fresh7``'s ``nn.Embedding(max_norm=1e-3)`` and ``log`` for
  ``log1p``, ``fresh6``'s unscaled Unix timestamp column, ``fresh21``'s standardise and ``log1p`` swapped,
  ``fresh23``'s string-keyed vocabulary and dwell time in milliseconds, ``fresh40``'s fields without offsets,
  ``fresh39``'s float32 timestamps, ``fresh64``'s scaler never loaded, ``fresh99``'s skip fed raw features,
  ``fresh19``'s pixels floor-divided by 255) are not repeated: here a hash bucket collapses every id, a category
  encoding divides by a zero count, and a calendar field is extracted in the wrong unit. None of the slips is an init,
  activation, depth, recurrence, lr, normalization or regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is DUPN with its one head layer).

Learning criteria: every case compares with chance (four classes; a click or not, ln 2; CompGCN's 64 entities).
Measured plain runs, 200 steps (seed 0, seed 1): FSGNN 1.386 -> 0.0364 and 1.386 -> 0.0367; CompGCN 4.264 -> 1.916
and 4.215 -> 1.905 (its floor is ln 2, two known tails per query); FinalNet 0.7285 -> 0.0709 and 0.6939 -> 0.0656;
DIFM 0.6931 -> 0.1008 and 0.6931 -> 0.0838; DeepFEFM 0.6932 -> 0.4335 and 0.6916 -> 0.4253 (the criterion 0.520 and
0.519); DUPN 1.392 -> 0.0035 and 1.383 -> 0.0042; Network on Network 1.408 -> 0.502 and 1.364 -> 0.541 (the
criterion 1.040 and 1.023); TabFormer 1.436 -> 0.0436 and 1.386 -> 0.0276. Broken: ``deepfefm_init_std_1`` 1721 ->
319.9 and 3455 -> 390.5 (no divergence); ``fsgnn_hop_biases_minus_10`` 1.387 -> 1.385 and 1.387 -> 1.386;
``dupn_30_mlp_layers_default_init`` 1.385 -> 1.385 and 1.387 -> 1.386; ``dupn_lstm_input_gate_shut_forget_gate_open``
1.390 -> 1.301 and 1.382 -> 1.254; ``compgcn_adam_lr1`` diverges at step 1 at both seeds (ends 294.6 and 299.1;
weights x67.5 and x59.5 at step 1); ``finalnet_adam_lr1`` diverges at step 1 at both seeds (ends 0.685 and 0.695;
weights x77 and x79 at step 0); ``difm_adam_lr1`` diverges at step 1 at both seeds (ends 16.06 and 10.86; weights
x110 and x115 at step 1); ``tabformer_adamw_lr1`` diverges at step 1 at both seeds (ends 1.412 and 1.412; weights x38
at step 2); ``compgcn_without_batchnorm`` 4.159 -> 3.880 and 4.159 -> 3.826; ``compgcn_adam_weight_decay_1`` 4.264 ->
4.159 and 4.215 -> 4.159; ``network_on_network_adamw_weight_decay_50`` 1.408 -> 1.331 and 1.364 -> 1.318;
``deepfefm_clicks_shuffled`` 0.6932 -> 0.6445 and 0.6916 -> 0.6524; ``difm_hash_floor_division`` 0.6931 -> 0.6930
and 0.6931 -> 0.6932; ``tabformer_hour_from_seconds`` 1.400 -> 1.300 and 1.380 -> 1.296;
``fsgnn_row_normalised_empty_documents`` and ``network_on_network_target_encoding_unsmoothed`` are non-finite at
step 0 at both seeds (the loss itself). The cases run in 0.1 to 25 s a seed on a machine shared with three other
helpers' runs (load about 9 on 2 cores); TabFormer is the slowest (10.5 s a seed when the machine was less loaded).

Dropped or changed before the freeze (every figure above is from the final code): FSGNN at Adam lr 1, the planned
fourth lr common, diverged at step 2 but learned (1.386 -> 0.664 at seed 0, weights x13 at step 0) and was replaced by
FinalNet at Adam lr 1. FinalNet without its BatchNorms, the planned normalization common, learned (0.693 -> 0.445 at
seed 0; also 0.445 at the width 400 with FuxiCTR's ``concat`` residual and 0.445 with six layers): the sum residual
``h2 + h1 * h2`` keeps a linear path, so the normalization common is CompGCN's; FinalNet's ``bn``, ``residual``,
``width`` and ``layers`` switches stay, unused. FinalNet at Adam ``weight_decay=1`` learned (0.7285 -> 0.391) and its
``weight_decay`` switch stays, unused; the second regularization common is CompGCN's. TabFormer without its
LayerNorms learned (1.412 -> 0.055; ``ln`` stays, unused), and so did FSGNN without its hop normalisation (1.386 ->
0.058), also on raw counts (0.014), and FSGNN on raw counts with it (0.040; ``hop_norm`` and ``raw_counts`` stay,
unused). TabFormer with its classes shuffled did not learn (1.420 -> 1.291 at seed 0) but was not kept (TabFormer
already has two cases; DeepFEFM's shuffled clicks are the data common; ``shuffled`` stays, unused); DUPN, Network on
Network and DeepFEFM at Adam lr 1 diverged at step 1 at seed 0 (ends 1.400, 1.346 and 520.8) and were not kept. CompGCN
first applied tanh before its BatchNorm (4.640 -> 1.906 at seed 0); it now follows the reference code's order,
BatchNorm then tanh, and every CompGCN figure above is from that order.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh103_builders as F

P = functools.partial
HALF = "fresh103"
#: chance losses: four classes (FSGNN's nodes, DUPN's intents, NON's rows, TabFormer's day parts), a click or not
#: (FinalNet, DIFM, DeepFEFM), 64 entities (CompGCN's tails)
C4, C2, C64 = math.log(4), math.log(2), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH103_HEALTHY: list[Case] = [
    _h("fsgnn_sbm_documents", HALF, "fsgnn", F.fsgnn, C4),
    _h("compgcn_typed_kg", HALF, "compgcn", F.compgcn, C64),
    _h("finalnet_clicks", HALF, "finalnet", F.finalnet, C2),
    _h("difm_hashed_clicks", HALF, "difm", F.difm, C2),
    _h("deepfefm_clicks", HALF, "deepfefm", F.deepfefm, C2),
    _h("dupn_behaviours", HALF, "dupn", F.dupn, C4),
    _h("network_on_network_table_rows", HALF, "network_on_network", F.non, C4),
    _h("tabformer_transactions", HALF, "tabformer", F.tabformer, C4),
]

FRESH103_BROKEN: list[Case] = [
    # init
    _b("deepfefm_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.deepfefm, init_std=1.0), C2),
    # activation
    _b("fsgnn_hop_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.fsgnn, relu_bias=-10.0), C4),
    # depth
    _b("dupn_30_mlp_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.dupn, hidden=30), C4),
    # recurrence
    _b("dupn_lstm_input_gate_shut_forget_gate_open", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.dupn, gates=(-10.0, 10.0)), C4),
    # lr
    _b("compgcn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.compgcn, lr=1.0), C64),
    _b("finalnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.finalnet, lr=1.0), C2),
    _b("difm_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.difm, lr=1.0), C2),
    _b("tabformer_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.tabformer, lr=1.0), C4),
    # normalization
    _b("compgcn_without_batchnorm", HALF, ("normalization", "init"), VANISH, STUCK,  # kind: common
       P(F.compgcn, bn=False), C64),
    # regularization
    _b("compgcn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.compgcn, weight_decay=1.0), C64),
    _b("network_on_network_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.non, adamw=True, weight_decay=50.0), C4),
    # data
    _b("deepfefm_clicks_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.deepfefm, shuffled=True), C2),
    # numeric
    _b("fsgnn_row_normalised_empty_documents", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.fsgnn, guard=False), C4),
    _b("difm_hash_floor_division", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.difm, hash_op="floordiv"), C2),
    _b("network_on_network_target_encoding_unsmoothed", HALF, ("numeric", "data"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.non, smoothing=None), C4),
    _b("tabformer_hour_from_seconds", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.tabformer, hour_from="seconds"), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "deepfefm_init_std_1": "common", "fsgnn_hop_biases_minus_10": "common",
    "dupn_30_mlp_layers_default_init": "common", "dupn_lstm_input_gate_shut_forget_gate_open": "common",
    "compgcn_adam_lr1": "common", "finalnet_adam_lr1": "common", "difm_adam_lr1": "common",
    "tabformer_adamw_lr1": "common", "compgcn_without_batchnorm": "common",
    "compgcn_adam_weight_decay_1": "common", "network_on_network_adamw_weight_decay_50": "common",
    "deepfefm_clicks_shuffled": "common", "fsgnn_row_normalised_empty_documents": "common",
    "difm_hash_floor_division": "slip", "network_on_network_target_encoding_unsmoothed": "slip",
    "tabformer_hour_from_seconds": "slip",
}

#: the cases (half "fresh103")
FRESH103: list[Case] = FRESH103_HEALTHY + FRESH103_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "deepfefm_init_std_1": F.deepfefm,
    "fsgnn_hop_biases_minus_10": F.fsgnn,
    "dupn_30_mlp_layers_default_init": F.dupn,
    "dupn_lstm_input_gate_shut_forget_gate_open": F.dupn,
    "compgcn_adam_lr1": F.compgcn,
    "finalnet_adam_lr1": F.finalnet,
    "difm_adam_lr1": F.difm,
    "tabformer_adamw_lr1": F.tabformer,
    "compgcn_without_batchnorm": F.compgcn,
    "compgcn_adam_weight_decay_1": F.compgcn,
    "network_on_network_adamw_weight_decay_50": F.non,
    "deepfefm_clicks_shuffled": F.deepfefm,
    "fsgnn_row_normalised_empty_documents": F.fsgnn,
    "difm_hash_floor_division": F.difm,
    "network_on_network_target_encoding_unsmoothed": F.non,
    "tabformer_hour_from_seconds": F.tabformer,
}
