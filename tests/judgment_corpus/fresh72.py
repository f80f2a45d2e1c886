"""The seventy-third held-out batch (half ``"fresh72"``): eight published transformers new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 720_000 + seed): DaViT (Ding et al. 2022, narrowed: a 3x3 stride-2 patch
embedding to 8x8 tokens of 32, one dual block of spatial window attention (windows of 4x4, 2 heads) and channel group
attention (``softmax((q N^-0.5)^T k)`` over channels, 2 groups), each with its depthwise-conv position encoding and a
GELU MLP of 4x, a 2x2 patch merging to 4x4 tokens of 64, a second dual block (4 heads and groups), average pooling,
LayerNorm, the head; Linears truncated-normal 0.02; AdamW at the paper's lr 1e-3 and weight decay 0.05 without its
warm-up and cosine decay) on 16x16 class-template images (10 classes), Macaron Net (Lu et al. 2019, narrowed to a
causal LM: embeddings of 64 times sqrt(d) plus sinusoids, two post-LN Macaron layers ``FFN/2 -> attention -> FFN/2``
of 4 heads with ReLU feed-forwards of 4x and dropout 0.1, tied output; fairseq's Xavier init; Adam betas (0.9, 0.98)
eps 1e-9 under the inverse-square-root schedule, peak 1e-3 after 20 warm-up steps) and DeepNet (Wang et al. 2022,
narrowed to a causal LM: token and position embeddings of 64, four Post-LN layers with DeepNorm, ``LN(alpha x +
f(x))`` with ``alpha = (2N)^(1/4)``, the value, output and feed-forward weights Xavier-normal at gain ``beta =
(8N)^(-1/4)``; GELU, dropout 0.1; Adam betas (0.9, 0.98) at the paper's lr 5e-4 after a linear warm-up of 20 steps)
on the corpus' Markov text (batch 8 of 32 tokens), the Block-Recurrent Transformer (Hutchins et al. 2022, narrowed
to a classifier: segments of 8 tokens (embeddings of 32) that self-attend and cross-attend to a recurrent state of 4
vectors, the state reading each segment by cross-attention into the paper's fixed gate ``S = g S + (1 - g) tanh(z)``,
``g = sigmoid(b)`` learned from ``b = 1``; Adam at lr 3e-3, set here) labelling sequences of three segments by the
class of their first token (4 classes), Branchformer (Peng et al. 2022, narrowed: ESPnet's two-conv subsampling by 4,
two blocks of 64 with the MHSA branch (4 heads, a key-padding mask) and the cgMLP branch (256 units, the convolutional
spatial gating unit with a depthwise conv of 7) merged by concatenation, dropout 0.1, masked mean pooling; Adam betas
(0.9, 0.98) at ESPnet's peak lr 1e-3, its warm-up left out) spotting 4 keywords in zero-padded log-mel-like utterances
of 24 to 48 frames, TST (Zerveas et al. 2021, narrowed: the variables projected to 32 times sqrt(d), learnable
positional encodings, two encoder layers of 4 heads with BatchNorm in place of LayerNorm, GELU, dropout 0.1, the
flattened outputs to the classifier; RAdam, the reference code's, at lr 1e-3) classifying 3-variable series of 32
steps (4 classes), NAGphormer (Chen et al. 2023: Hop2Token with K = 3 over ``D^-1/2 (A + I) D^-1/2``, one pre-LN
Transformer layer of 64 and 8 heads over each node's 4 tokens, the attention-based readout, an MLP of 32; AdamW with
the paper's weight decay 1e-5 at lr 5e-3, half its peak, the warm-up left out) and SGFormer (Wu et al. 2023: the
one-layer simple global attention with Frobenius-normalised queries and keys, a residual 0.5, LayerNorm and ReLU,
beside a two-layer GCN of 64, combined ``0.8 gnn + 0.2 global``; Adam lr 0.01 weight decay 5e-4, dropout 0.5, the
reference code's citation-graph setting) classifying the nodes of a 300-node stochastic block model with 20
cold-start nodes and weak features (loss over the training half).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Macaron Linear and the embedding drawn
  N(0, 1) (init), SGFormer's shifts before its ReLUs (the LayerNorms' biases and the GCN layers') at -10, every unit
  dead (activation), NAGphormer's readout MLP 30 ReLU layers of 32 deep at PyTorch's default init (depth), the
  Block-Recurrent Transformer's gate bias at +10 (``g = 0.99995``: the state keeps its learned start and no segment is
  ever written into it; recurrence), DaViT at AdamW lr 1, Branchformer at Adam lr 1, TST at RAdam lr 1 and NAGphormer
  at AdamW lr 1 (lr), DeepNet without its LayerNorms (DeepNorm's ``alpha = 1.68`` then multiplies the residual
  stream at every sublayer; normalization), Branchformer at AdamW ``weight_decay=50`` and SGFormer at Adam
  ``weight_decay=1`` (regularization), TST's classes permuted within every batch, apart from their series (data), and
  NAGphormer's hop propagation ``D^-1/2 A D^-1/2`` built without the ``+ I`` on a graph with cold-start nodes
  (``0^-1/2 = inf``, ``inf * 0 = NaN``; numeric, with data);
- **slip** (a user's mistake in attention and masking code, of a kind no earlier batch used): Macaron's softmax
  written ``scores.softmax(1)``, from a ``(batch, keys, ...)``-shaped habit, on the ``(batch, heads, queries, keys)``
  scores: it normalises over the heads, and every future key, ``-inf`` under the causal mask in all four heads, is a
  softmax over only ``-inf``: ``0 / 0`` at step 0 (numeric); DeepNet's ``masked_fill(mask, -inf)`` line moved below
  the softmax, onto the probabilities (the scores are normalised over every key, the future included, and the
  ``-inf`` weights times the values give ``-inf + inf = NaN`` at step 0; numeric); and Branchformer's key-padding mask
  unsqueezed as ``(b, 1, t, 1)``, the queries' axis, where ``(b, 1, 1, t)`` belongs (each padded frame's whole row of
  scores is ``-inf``: its softmax is ``0 / 0``, and its NaN reaches every frame through the next block's values;
  numeric, with data, the padding). Earlier masking slips (``triu`` without ``diagonal=1``, empty sentences, an
  alignment mask over pairs, a ``(1 - mask) * -inf`` bias, a sign-flipped ``1e9`` bias, a Hugging Face padding mask
  passed where True means "ignore", a label mask inverted, a float padding mask multiplied into the states) are not
  repeated: here the softmax runs over the wrong axis, the mask is applied on the wrong side of the softmax, and a
  mask is broadcast along the wrong axis. None of the slips is an init, activation, depth, recurrence, lr,
  normalization, regularization or data one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is NAGphormer with its one readout layer).

Learning criteria: every case compares with chance (the Markov text's 64 tokens, four classes, DaViT's ten). Measured
plain runs, 200 steps (seed 0, seed 1): DaViT 2.331 -> 0.0234 and 2.337 -> 0.0231; Macaron Net 5.084 -> 1.389 and
5.024 -> 1.447 (the criterion 3.119); DeepNet 4.358 -> 1.321 and 4.308 -> 1.375; the Block-Recurrent Transformer
1.414 -> 0.336 and 1.418 -> 0.188 (the criterion 1.040); Branchformer 1.735 -> 0.0018 and 1.621 -> 0.0019; TST 1.434
-> 0.785 and 1.517 -> 0.834; NAGphormer 1.326 -> 8.0e-6 and 1.528 -> 6.6e-6 (the criterion 0.995 at seed 0, whose
first loss is below chance); SGFormer 1.388 -> 0.0041 and 1.406 -> 0.0044. Broken: ``macaron_net_init_std_1`` 17.15
-> 9.706 and 18.52 -> 9.391 (no divergence); ``sgformer_relu_shifts_minus_10`` 1.387 -> 1.376 and 1.396 -> 1.380;
``nagphormer_30_readout_layers_default_init`` 1.399 -> 1.376 and 1.384 -> 1.380; ``block_recurrent_gate_bias_plus_10``
1.398 -> 1.385 and 1.434 -> 1.387; ``davit_adamw_lr1`` diverges at step 1 at both seeds (ends 2.322 and 5.125;
weights x40.5 and x40.7 at step 0); ``branchformer_adam_lr1`` diverges at step 1 at both seeds (ends 2.273 and 1.823;
weights x61 and x63); ``tst_radam_lr1`` diverges at step 1 at both seeds (ends 1.378 and 2.296; weights x10 at steps
148 and 133); ``nagphormer_adamw_lr1`` diverges at step 1 at both seeds (ends 1.376 and 1.380; weights x57 and x58);
``deepnet_without_layernorm`` 132.2 -> 13.43 and 119.4 -> 13.33 (no divergence); ``branchformer_adamw_weight_decay_50``
1.735 -> 1.386 and 1.621 -> 1.386; ``sgformer_adam_weight_decay_1`` 1.388 -> 1.382 and 1.406 -> 1.384;
``tst_labels_shuffled`` 1.591 -> 1.330 and 1.414 -> 1.313; ``nagphormer_sym_norm_without_self_loops``,
``macaron_net_softmax_over_heads_axis``, ``deepnet_causal_mask_filled_after_softmax`` and
``branchformer_padding_mask_on_query_axis`` are non-finite at step 0 at both seeds (the loss itself). The cases run in
3 to 36 s a seed on a machine shared with four other helpers' runs (load about 5 on 2 cores); DaViT is the slowest
(5.8 s a seed when the machine was less loaded).

Dropped or changed before the freeze (every figure above is from the final code): the Block-Recurrent Transformer was
first 64 wide with 8 state vectors over four segments and at Adam lr 1e-3 (1.414 -> 1.158 at seed 0: not learned, 18
s a seed); narrowed to 32 wide, 4 state vectors, three segments, it still did not learn at lr 1e-3 (1.131 and 1.194)
and uses 3e-3. Its gate bias at -10 (``g = 4.5e-5``: the carry shut, the recurrence common first written) learned
(1.417 -> 0.185 and 1.409 -> 0.175): the state's queries into each new segment still carry the previous state, so
the common is the frozen state (+10). DeepNet had six layers and batches of 16 at first (4.278 -> 1.383 and 4.332 ->
1.359, but 15 s a seed) and Macaron batches of 16 (5.053 -> 1.465 and 5.164 -> 1.444); both now take the text in
batches of 8, DeepNet with four layers. TST was first 64 wide with 8 heads (1.501 -> 0.555 and 1.515 -> 0.579, 23 s
a seed under load); it is 32 wide with 4 heads. TST without its BatchNorms learned (2.369 -> 0.776 and 2.617 ->
0.980) and was not kept; the normalization common is DeepNet's. DaViT with every Linear drawn N(0, 1) learned at seed 1
(11.40 -> 1.615 against the criterion 1.727; 13.93 -> 1.988 at seed 0) and was dropped; its ``init_std`` switch stays,
unused. A fourth slip, NAGphormer's readout softmax taken over the nodes (``dim=0``) where the hops (``dim=1``) belong,
learned (1.354 -> 2.0e-5 and 1.429 -> 1.3e-5); its ``readout_dim`` switch stays, unused, and a fourth lr common (TST
at RAdam lr 1) took its place: the commons outnumber the slips (13 to 3). Considered and not written, because a plain
run would not fail: a causal mask inverted or its blocked scores filled with 0 instead of ``-inf`` (the next token
leaks into the context and the loss falls), and a softmax temperature applied twice (a rescaling of the scores the
query and key weights absorb, as ``fresh63``'s NesT scale did). No depth common on DeepNet (a plain Post-LN stack of
24 layers) was tried: it would have taken about a minute a seed.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh72_builders as F

P = functools.partial
HALF = "fresh72"
#: chance losses: the Markov text's 64 tokens (Macaron, DeepNet), four classes (the Block-Recurrent Transformer's
#: first tokens, Branchformer's keywords, TST's series, NAGphormer's and SGFormer's nodes), ten (DaViT's images)
LM, C4, C10 = math.log(64), math.log(4), math.log(10)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH72_HEALTHY: list[Case] = [
    _h("davit_images", HALF, "davit", F.davit, C10),
    _h("macaron_net_lm", HALF, "macaron_net", F.macaron, LM),
    _h("deepnet_lm", HALF, "deepnet", F.deepnet, LM),
    _h("block_recurrent_transformer_first_token", HALF, "block_recurrent_transformer", F.block_recurrent, C4),
    _h("branchformer_keywords", HALF, "branchformer", F.branchformer, C4),
    _h("tst_series", HALF, "tst", F.tst, C4),
    _h("nagphormer_sbm_nodes", HALF, "nagphormer", F.nagphormer, C4),
    _h("sgformer_sbm_nodes", HALF, "sgformer", F.sgformer, C4),
]

FRESH72_BROKEN: list[Case] = [
    # init
    _b("macaron_net_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.macaron, init_std=1.0), LM),
    # activation
    _b("sgformer_relu_shifts_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.sgformer, relu_bias=-10.0), C4),
    # depth
    _b("nagphormer_30_readout_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.nagphormer, hidden=30), C4),
    # recurrence
    _b("block_recurrent_gate_bias_plus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.block_recurrent, gate_bias=10.0), C4),
    # lr
    _b("davit_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.davit, lr=1.0), C10),
    _b("branchformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.branchformer, lr=1.0), C4),
    _b("tst_radam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.tst, lr=1.0), C4),
    _b("nagphormer_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.nagphormer, lr=1.0), C4),
    # normalization
    _b("deepnet_without_layernorm", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.deepnet, ln=False), LM),
    # regularization
    _b("branchformer_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.branchformer, adamw=True, weight_decay=50.0), C4),
    _b("sgformer_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.sgformer, weight_decay=1.0), C4),
    # data
    _b("tst_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.tst, shuffled=True), C4),
    # numeric
    _b("nagphormer_sym_norm_without_self_loops", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.nagphormer, self_loops=False), C4),
    _b("macaron_net_softmax_over_heads_axis", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.macaron, softmax_dim=1), LM),
    _b("deepnet_causal_mask_filled_after_softmax", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.deepnet, mask_after=True), LM),
    _b("branchformer_padding_mask_on_query_axis", HALF, ("numeric", "data"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.branchformer, query_axis_mask=True), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "macaron_net_init_std_1": "common", "sgformer_relu_shifts_minus_10": "common",
    "nagphormer_30_readout_layers_default_init": "common", "block_recurrent_gate_bias_plus_10": "common",
    "davit_adamw_lr1": "common", "branchformer_adam_lr1": "common", "tst_radam_lr1": "common",
    "nagphormer_adamw_lr1": "common", "deepnet_without_layernorm": "common",
    "branchformer_adamw_weight_decay_50": "common", "sgformer_adam_weight_decay_1": "common",
    "tst_labels_shuffled": "common", "nagphormer_sym_norm_without_self_loops": "common",
    "macaron_net_softmax_over_heads_axis": "slip", "deepnet_causal_mask_filled_after_softmax": "slip",
    "branchformer_padding_mask_on_query_axis": "slip",
}

#: the cases (half "fresh72")
FRESH72: list[Case] = FRESH72_HEALTHY + FRESH72_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "macaron_net_init_std_1": F.macaron,
    "sgformer_relu_shifts_minus_10": F.sgformer,
    "nagphormer_30_readout_layers_default_init": F.nagphormer,
    "block_recurrent_gate_bias_plus_10": F.block_recurrent,
    "davit_adamw_lr1": F.davit,
    "branchformer_adam_lr1": F.branchformer,
    "tst_radam_lr1": F.tst,
    "nagphormer_adamw_lr1": F.nagphormer,
    "deepnet_without_layernorm": F.deepnet,
    "branchformer_adamw_weight_decay_50": F.branchformer,
    "sgformer_adam_weight_decay_1": F.sgformer,
    "tst_labels_shuffled": F.tst,
    "nagphormer_sym_norm_without_self_loops": F.nagphormer,
    "macaron_net_softmax_over_heads_axis": F.macaron,
    "deepnet_causal_mask_filled_after_softmax": F.deepnet,
    "branchformer_padding_mask_on_query_axis": F.branchformer,
}
