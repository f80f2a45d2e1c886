"""The twenty-ninth held-out batch (half ``"fresh28"``): thirteen published architectures new to the corpus at their
usual settings, and nineteen broken variants with one real fault each, written and labelled with plain PyTorch
before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are the corpus' synthetic kinds drawn from the seeds 280_000 + seed): the multiplicative LSTM (Krause et al. 2016: an
intermediate ``m = (W_mx x) * (W_mh h)`` feeding every gate, 128 units, embeddings of 64; Adam lr 1e-3 with gradients
clipped at norm 1, a standard small-LM setting), HGRN (Qin et al. 2023, real-valued: two pre-RMSNorm blocks of width
64, forget gates with lower bounds ``cumsum(softmax(gamma))`` rising with depth, tied input gates ``1 - f``, GLU
channel mixers; AdamW lr 1e-3 betas (0.9, 0.98) weight decay 0.01, clipped at norm 1) and a FLASH-style GAU LM (Hua
et al. 2022: two gated attention units of width 64, expansion 2, shared ``z`` of 32 scaled and offset into queries
and keys, causal ``relu^2`` attention with a learned relative-position bias, ScaleNorm; AdamW lr 1e-3 weight decay
0.01, clipped at norm 1, where the paper uses Adafactor at scale) on the Markov language, TextRCNN (Lai et al. 2015:
a bidirectional LSTM of 32 per direction giving each word its left and right contexts, a tanh projection of 64,
max-pooling over time; Adam lr 1e-3, the common re-implementations', the paper's SGD rate not given) on documents
labelled by their majority word class, Caser (Tang & Wang 2018: the last five items' embeddings of 50 as an image,
horizontal filters of heights 1 to 5 and four vertical filters, a ReLU layer with dropout 0.5, the user's
embedding; Adam lr 1e-3 weight decay 1e-6, the reference code's; a full softmax over the 64 items in place of the
paper's sampled binary loss) on Markov item sequences, AFN (Cheng et al. 2020: field embeddings of 10 through 32
logarithmic neurons ``exp(sum_j w_ij ln |e_j|)`` with BatchNorms on the logarithms and the exponentials as the
reference code, an MLP of two ReLU layers of 64; Adam lr 1e-3) on click logs, a Matching Network (Vinyals et al.
2016, without full-context embeddings: an embedding MLP of two BatchNorm-ReLU layers of 64, softmax attention over
the cosine similarities to the support set; Adam lr 1e-3) on 5-way 5-shot episodes of 32-d vectors whose classes
live in 8 of the dimensions, SAGPool (Lee et al. 2019, hierarchical: three GCN layers of 32 each followed by
self-attention pooling that keeps ``ceil(0.5 n)`` nodes, mean||max readouts summed, an MLP with dropout 0.5; Adam at
the paper's lr 5e-4 weight decay 1e-4) on graphs of 4 to 16 nodes, DnCNN (Zhang et al. 2017: 17 layers, 32
channels where the paper has 64, BatchNorm, residual learning of the noise, the reference code's orthogonal init;
MSE; Adam at the paper's lr 1e-3) on noisy 16x16 patches, Shake-Shake (Gastaldi 2017: a 2x(16, 32, 64)d network,
one two-branch block per stage, shake-shake-image mixing, the paper's downsampling shortcut of two shifted 1x1
convs; SGD momentum 0.9 weight decay 1e-4 at the paper's lr 0.2 per 128 images, 0.05, cosine decay) and PyramidNet
(Han et al. 2017: six basic units whose widths grow additively by 4 from 16 to 40, zero-padded shortcuts, He init;
SGD Nesterov momentum 0.9 weight decay 1e-4 at the paper's 0.1 per 128 images, 0.025) on class-template images,
SegNet (Badrinarayanan et al. 2017, two stages of 16 and 32 channels, decoding with the encoder's pooling indices;
SGD at the paper's lr 0.1 momentum 0.9) on scenes of a square and a disk, and a multiresolution hash encoding
(Mueller et al. 2022: 8 levels from resolution 4 to 64, 2 features, tables of 2^12 initialised U(-1e-4, 1e-4), a
tiny MLP of two ReLU layers of 64; Adam at the paper's lr 1e-2 betas (0.9, 0.99) eps 1e-15) fitting one 64x64 RGB
image from batches of 1024 pixels.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh27``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Linear weight and the embedding of
  the GAU LM drawn N(0, 3^2) (init), AFN's MLP hidden biases at -10 (every ReLU dead; activation), Caser's fully
  connected layer made a stack of 48 plain tanh layers at PyTorch's default init (depth), the multiplicative LSTM's
  recurrent weights ``W_mh`` and ``W_m`` drawn N(0, 5^2) (saturated, chaotic gates; recurrence), HGRN at AdamW lr 3
  and the hash encoding at Adam lr 10 (lr), PyramidNet without its BatchNorms at its own SGD lr 0.025
  (normalization), AFN at Adam ``weight_decay=10``, SAGPool at Adam ``weight_decay=10``, HGRN at AdamW
  ``weight_decay=50`` and Shake-Shake at SGD ``weight_decay=1`` (regularization), Caser's next items permuted
  against their windows (data), and AFN's logarithmic neurons taking ``torch.log(e)`` of the signed embeddings, the
  ``abs`` and its clamp left out (numeric);
- **slip** (a user's mistake of a kind no earlier batch used): SegNet trained after a hand-written learning-rate range
  test that raised every group's ``lr`` to 10 and restored the weights from a saved ``state_dict`` but not the
  optimizer's ``lr`` (state left behind by a tuning tool; lr), AFN's manual warm-up written ``group["lr"] *=
  min(1, (step + 1) / 10)`` where ``group["lr"] = base_lr * min(...)`` was meant, so the factors compound and the lr
  stays at 3.6e-4 of its base (an in-place update of a value meant to be recomputed; lr), Shake-Shake's weight decay
  taken from a search that sampled it on a log scale, ``-4`` meaning 1e-4, written raw into the parameter groups
  after ``SGD`` was built (its own check of a negative decay never runs; every weight grows by 20% a step; a log-scale
  hyper-parameter used raw; regularization), TextRCNN's documents mapped to ids by a vocabulary built per shard as
  ``{w: i for i, w in enumerate(set(words))}`` (a set's order differs between shards, so every batch has its own
  ids; data), the Matching Network's support labels built by ``torch.arange(way).repeat(shot)`` where the supports are
  stacked class by class and ``repeat_interleave`` belongs (each class's five supports carry the five labels; a tiling
  order; data), and SAGPool's kept count written ``int(ratio * n)`` (a floor) where the paper's ``ceil`` belongs: a
  graph pooled down to one node keeps none, and the next readout's mean over no nodes is 0/0 (a rounding slip;
  numeric). The commons outnumber the slips (13 to 6): five further slips were written and measured and learned
  anyway (see below). Four of the slips live in the code around the model (the range test, the warm-up, the search's
  value and the vocabulary), one in the episode sampler and one in the model (the pooling count).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds.

Learning criteria: the classifiers compare with chance (ten, five, four, three and two classes, the LMs and Caser
with the 64 tokens or items); DnCNN and the hash-encoding fit compare with their first loss. Measured plain runs, 200
steps (seed 0, seed 1): the multiplicative LSTM 4.17 -> 1.33 and 4.16 -> 1.32; HGRN 4.27 -> 1.30 and 4.24 -> 1.28;
the GAU LM 4.37 -> 1.35 and 4.41 -> 1.32; TextRCNN 1.42 -> 0.570 and 1.39 -> 0.448; Caser 4.42 -> 2.10 and 4.15 ->
1.70; AFN 0.699 -> 0.163 and 0.703 -> 0.124; the Matching Network 1.571 -> 1.051 and 1.576 -> 1.057 (the criterion
1.18 and 1.18); SAGPool 1.42 -> 0.457 and 1.39 -> 0.125; DnCNN 0.449 -> 0.0715 and 0.459 -> 0.0804; Shake-Shake 2.40
-> 0.0099 and 2.22 -> 0.0095; PyramidNet 2.29 -> 0.0094 and 2.36 -> 0.0089; SegNet 1.19 -> 0.041 and 1.13 -> 0.056;
the hash encoding 0.324 -> 0.000102 and 0.308 -> 0.000107 (its tables' norm grows x3 from their tiny init). Broken:
``gau_linear_init_std_3`` 60.2 -> 9.42 and 59.7 -> 9.38 (the criterion 3.12); ``afn_mlp_hidden_bias_minus_10``
0.691 -> 0.691 and 0.697 -> 0.693; ``caser_fc_stack_48_tanh_layers`` 4.23 -> 3.89 and 4.22 -> 3.85 (the criterion
3.12); ``mlstm_recurrent_weights_std_5`` 4.19 -> 4.19 and 4.17 -> 4.19; ``hgrn_adamw_lr3`` diverges at step 1 at
both seeds (weights x48 and x47; ends 78.1 and 68.1); ``instant_ngp_adam_lr10`` diverges at step 1 at both seeds
(weights x1000 and x950; ends 1.7e5 and 4222); ``segnet_lr_left_at_range_test_end`` diverges at step 1 at both seeds
(weights x4.8e5 and x6200; ends 2.11 and 1.66); ``afn_warmup_factors_compounded`` 0.699 -> 0.701 and 0.703 ->
0.698; ``pyramidnet_without_batchnorm`` diverges at steps 30 and 17 and is non-finite at steps 34 and 21;
``afn_adam_weight_decay_10`` 0.699 -> 0.693 and 0.703 -> 0.693; ``sagpool_adam_weight_decay_10`` 1.42 -> 1.386 and
1.39 -> 1.388; ``hgrn_adamw_weight_decay_50`` 4.27 -> 4.15 and 4.24 -> 4.15; ``shake_shake_sgd_weight_decay_1`` 2.40
-> 2.301 and 2.22 -> 2.302; ``shake_shake_weight_decay_log10_written_raw`` diverges at step 5 at both seeds (weights
x4e17, non-finite at step 120); ``caser_next_items_shuffled`` 4.23 -> 3.60 and 4.20 -> 3.63 (the criterion 3.12);
``textrcnn_vocabulary_rebuilt_per_shard`` 1.47 -> 1.33 and 1.39 -> 1.34 (the criterion 1.04);
``matching_network_support_labels_tiled`` 1.62 -> 1.52 and 1.61 -> 1.51 (the criterion 1.21);
``afn_log_of_signed_embeddings`` and ``sagpool_kept_count_truncated`` are non-finite at step 0 at both seeds (the
loss itself).

Dropped before the freeze (both seeds unless said): VDSR as a healthy model (20 plain convs of 32 channels, He init,
SGD lr 0.1 momentum 0.9 weight decay 1e-4 with the reference code's clipping at ``0.4 / lr``): on 2x super-resolution
of random fields it learned nothing beyond its bicubic input (0.0449 -> 0.0330 at seed 0 against the input's 0.0331),
nor on blocky fields or on shape images, and with the reference code's summed MSE it diverged (91.9 -> 390); it was
replaced by Shake-Shake, and its three planned faults were not written (the clip given a ``model.parameters()``
generator already consumed by the optimizer, a slip; He init with ``n = k * k``, the channel factor lost, a slip; and
sigmoid activations). The consumed-generator clip could not move to the multiplicative LSTM: at SGD lr 5 and 20 it
learns with and without clipping (1.26 to 1.29 either way). The GAU LM at init std 1 (17.8 -> 2.58 and 18.6 ->
2.32, the criterion 3.12: learned), moved to std 3; HGRN at AdamW lr 1 (diverges at step 1 but ends 3.10 at seed 0,
below the criterion: learned), moved to lr 3; SegNet without BatchNorm at SGD 0.1 (1.09 -> 0.067 and 1.04 -> 0.558:
learned), replaced by PyramidNet without BatchNorm; DnCNN at Adam lr 1 (weights x71, but 0.449 -> 0.090 and 0.459 ->
0.090: learned); Shake-Shake at SGD lr 5 (2.40 -> 1.94 at seed 0, but 2.22 -> 1.02 at seed 1: learned). Slips that
learned: DnCNN's noisy and clean patches cropped by two separate ``RandomCrop`` calls (0.874 -> 0.394 and 1.12 ->
0.423: learned against an inflated first loss, the model settling on the smooth field's mean), DnCNN's dataset
returning ``(clean, noisy)`` unpacked as ``noisy, clean`` (0.453 -> 0.0878 and 0.498 -> 0.0878: the loss falls to the
noise variance 0.09, learned against an inflated first loss), SegNet's channels-last arrays made channel-first by
``view`` where ``permute`` belongs (1.19 -> 0.183 and 1.12 -> 0.253: learned, the scrambled colours still local
enough), the Matching Network's embeddings L2-normalised over the batch axis, ``F.normalize(emb, dim=0)`` (1.74 ->
0.230 and 1.89 -> 0.212: learned) and its attention's softmax taken over the queries (``dim=1``; 1.57 -> 1.05 and
1.58 -> 1.06: learned).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh28_builders as F

P = functools.partial
HALF = "fresh28"
#: chance losses: ten, five, four, three and two classes and the 64-token (and 64-item) vocabulary; DnCNN and the
#: hash-encoding fit have none (their first loss is the reference)
C10, C5, C4, C3, C2, LM = math.log(10), math.log(5), math.log(4), math.log(3), math.log(2), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH28_HEALTHY: list[Case] = [
    _h("multiplicative_lstm_lm", HALF, "multiplicative_lstm", F.mlstm, LM),
    _h("hgrn_lm", HALF, "hgrn", F.hgrn, LM),
    _h("gau_lm", HALF, "gau", F.gau, LM),
    _h("textrcnn_documents", HALF, "textrcnn", F.textrcnn, C4),
    _h("caser_next_item", HALF, "caser", F.caser, LM),
    _h("afn_clicks", HALF, "afn", F.afn, C2),
    _h("matching_network_episodes", HALF, "matching_network", F.matching, C5),
    _h("sagpool_graphs", HALF, "sagpool", F.sagpool, C4),
    _h("dncnn_denoising", HALF, "dncnn", F.dncnn, None),
    _h("shake_shake_classifier", HALF, "shake_shake", F.shake_shake, C10),
    _h("pyramidnet_classifier", HALF, "pyramidnet", F.pyramidnet, C10),
    _h("segnet_scenes", HALF, "segnet", F.segnet, C3),
    _h("instant_ngp_image_fit", HALF, "instant_ngp", F.ngp, None),
]

FRESH28_BROKEN: list[Case] = [
    # init
    _b("gau_linear_init_std_3", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.gau, init_std=3.0), LM),
    # activation
    _b("afn_mlp_hidden_bias_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.afn, hidden_bias=-10.0), C2),
    # depth
    _b("caser_fc_stack_48_tanh_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.caser, fc_depth=48), LM),
    # recurrence
    _b("mlstm_recurrent_weights_std_5", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.mlstm, rec_std=5.0), LM),
    # lr
    _b("hgrn_adamw_lr3", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.hgrn, lr=3.0), LM),
    _b("instant_ngp_adam_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ngp, lr=10.0), None),
    _b("segnet_lr_left_at_range_test_end", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.segnet, range_test_end=10.0), C3),
    _b("afn_warmup_factors_compounded", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.afn, compounding_warmup=True), C2),
    # normalization
    _b("pyramidnet_without_batchnorm", HALF, ("normalization", "depth", "lr"), EXPLODE, DIVERGE,  # kind: common
       P(F.pyramidnet, bn=False), C10),
    # regularization
    _b("afn_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.afn, weight_decay=10.0), C2),
    _b("sagpool_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.sagpool, weight_decay=10.0), C4),
    _b("hgrn_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.hgrn, weight_decay=50.0), LM),
    _b("shake_shake_sgd_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.shake_shake, weight_decay=1.0), C10),
    _b("shake_shake_weight_decay_log10_written_raw", HALF, ("regularization",),  # kind: slip
       (*EXPLODE, "weight_growth"), (*DIVERGE, "weight_growth"), P(F.shake_shake, log10_decay=True), C10),
    # data
    _b("caser_next_items_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.caser, shuffle_targets=True), LM),
    _b("textrcnn_vocabulary_rebuilt_per_shard", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.textrcnn, per_shard_vocab=True), C4),
    _b("matching_network_support_labels_tiled", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.matching, tiled_labels=True), C5),
    # numeric
    _b("afn_log_of_signed_embeddings", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.afn, signed_log=True), C2),
    _b("sagpool_kept_count_truncated", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.sagpool, truncate=True), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "gau_linear_init_std_3": "common", "afn_mlp_hidden_bias_minus_10": "common",
    "caser_fc_stack_48_tanh_layers": "common", "mlstm_recurrent_weights_std_5": "common",
    "hgrn_adamw_lr3": "common", "instant_ngp_adam_lr10": "common", "segnet_lr_left_at_range_test_end": "slip",
    "afn_warmup_factors_compounded": "slip", "pyramidnet_without_batchnorm": "common",
    "afn_adam_weight_decay_10": "common", "sagpool_adam_weight_decay_10": "common",
    "hgrn_adamw_weight_decay_50": "common", "shake_shake_sgd_weight_decay_1": "common",
    "shake_shake_weight_decay_log10_written_raw": "slip",
    "caser_next_items_shuffled": "common", "textrcnn_vocabulary_rebuilt_per_shard": "slip",
    "matching_network_support_labels_tiled": "slip", "afn_log_of_signed_embeddings": "common",
    "sagpool_kept_count_truncated": "slip",
}

#: the cases (half "fresh28")
FRESH28: list[Case] = FRESH28_HEALTHY + FRESH28_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "gau_linear_init_std_3": F.gau,
    "afn_mlp_hidden_bias_minus_10": F.afn,
    "caser_fc_stack_48_tanh_layers": F.caser,
    "mlstm_recurrent_weights_std_5": F.mlstm,
    "hgrn_adamw_lr3": F.hgrn,
    "instant_ngp_adam_lr10": F.ngp,
    "segnet_lr_left_at_range_test_end": F.segnet,
    "afn_warmup_factors_compounded": F.afn,
    "pyramidnet_without_batchnorm": F.pyramidnet,
    "afn_adam_weight_decay_10": F.afn,
    "sagpool_adam_weight_decay_10": F.sagpool,
    "hgrn_adamw_weight_decay_50": F.hgrn,
    "shake_shake_sgd_weight_decay_1": F.shake_shake,
    "shake_shake_weight_decay_log10_written_raw": F.shake_shake,
    "caser_next_items_shuffled": F.caser,
    "textrcnn_vocabulary_rebuilt_per_shard": F.textrcnn,
    "matching_network_support_labels_tiled": F.matching,
    "afn_log_of_signed_embeddings": F.afn,
    "sagpool_kept_count_truncated": F.sagpool,
}
