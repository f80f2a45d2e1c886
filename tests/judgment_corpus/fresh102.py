"""The hundred-and-third held-out batch (half ``"fresh102"``): eight published sequence-modelling, NLP and speech
models new to the corpus at their usual settings, and sixteen broken variants with one real fault each, written and
labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never
tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 1_020_000 + seed): KERPLE (Chi et al. 2022, its logarithmic kernel, narrowed to a
GPT-NeoX-style pre-LN causal LM: token embeddings of 64 and no absolute positions, two layers of 4 heads whose scores
carry the bias ``-r1 log(1 + r2 |m - n|)`` with ``r1, r2`` learned per head from 1, GELU MLPs of 4x, a tied output,
N(0, 0.02) init; AdamW betas (0.9, 0.95) at lr 1e-3, weight decay 0.01, a linear warm-up of 10 steps) on the corpus'
Markov text (batch 8 of 32 tokens), TUPE (Ke et al. 2021, TUPE-A on a BERT-style masked LM: the word correlation
``(x Wq)(x Wk)^T / sqrt(2 d_h)`` and the absolute-position correlation ``(p Uq)(p Uk)^T / sqrt(2 d_h)`` untied, the
positions never added to the words, the positional term computed once and shared by two post-LN layers of 64 and 4
heads, dropout 0.1, BERT's N(0, 0.02) init and MLM head; Adam eps 1e-6 at lr 1e-3 (the paper's 1e-4 peak is for a
long run) after a warm-up of 10 steps) on the Markov text over 16 ids with 15% masked (batch 16 of 32), the uRNN
(Arjovsky et al. 2016: complex states of 64, ``W = D3 R2 F^-1 D2 P R1 F D1`` from diagonal phases, complex
Householder reflections, the unitary FFT and a fixed permutation, modReLU, the output from ``[Re h_T, Im h_T]``;
RMSprop at the paper's lr 1e-3) labelling uniform token sequences of 20 by the class of their first token (4
classes), the Attention-over-Attention Reader (Cui et al. 2017: shared embeddings of 32, bidirectional GRUs of 32
over document and query, the pair-wise matching matrix, the column-wise query-to-document attentions averaged with
the row-wise document-to-query attention, sum attention over the document's words; dropout 0.1, Adam with gradient
clipping at 5 at lr 3e-3, set here) on a cloze test (documents of 32 uniform tokens, the query the two tokens before
the answer's position), TDNN-F (Povey et al. 2018, a Kaldi chain-style acoustic model narrowed: a TDNN layer over 5
frames, four factorized layers of 96 with a semi-orthogonal bottleneck of 32 (the constraint kept by PyTorch's
orthogonal parametrization) and time strides 1, 1, 3, 3, ReLU, affine-free BatchNorm, dropout 0.1 and the bypass
``0.66 x``, a prefinal layer and a semi-orthogonal bottleneck before the output; frame cross-entropy at every third
frame, the chain recipe's frame subsampling, in place of LF-MMI; Adam at lr 1e-3 in place of Kaldi's natural-gradient
SGD) on frame-labelled utterances of 192 frames (batch 3; 8 classes: silence and 7 phones, each phone a fixed mel
energy pattern in segments of 2 to 6 frames, 1 to 3 frames of digital silence at each end, the features ``log(energy
+ 0.01)``), CANINE (Clark et al. 2022, CANINE-C narrowed to classification: codepoints embedded by four multiplicative
hashes into tables of 128 buckets, learned positions, LayerNorm, one block-local layer (blocks of 8 characters), a
strided convolution down-sampling by 4 with GELU and LayerNorm, a deep stack of two post-LN layers of 64 over ``[CLS;
down-sampled]``, the classifier on CLS; BERT's init; AdamW at lr 1e-3 with weight decay 0.01 after a warm-up of 10
steps) naming which of four 4-letter keywords is written somewhere in a string of 32 characters, the Zipformer (Yao et
al. 2024, narrowed: a two-conv front end subsampling by 2, one block at that frame rate and one at half of it (a
learned weighted average of frame pairs down, repetition up, learned bypasses), each block feed-forward (SwooshL),
self-attention with a key-padding mask, the convolution module (GLU, depthwise conv of 7, SwooshR), a second
feed-forward, BiasNorm and the block bypass from 0.5; masked mean pooling; Adam at lr 1e-3 in place of ScaledAdam,
after a warm-up of 10 steps) spotting 4 keywords in zero-padded log-mel-like utterances of 20 to 40 frames of 32 bins,
and DiSAN (Shen et al. 2018: embeddings of 32, forward and backward directional self-attention with the
multi-dimensional scores ``5 tanh((W1 h_i + W2 h_j + b) / 5)``, the reference code's ``-1e30`` masks and the fusion
gate, multi-dimensional source2token attention over both directions, an ELU layer and the output; dropout 0.25,
Adadelta at the paper's lr 0.5 with L2 5e-5) labelling token sequences of 20 by their most frequent class (4).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): TUPE with every Linear, embedding and the
  position table drawn N(0, 1) (init), the AoA Reader with every parameter 0 (init: the GRU states and the matching
  matrix are 0, the attention is uniform, and no parameter gets a gradient, each reaching it through a zero factor),
  TDNN-F's affine biases before its ReLUs at -10 (every unit dead, the BatchNorms of zeros give zeros; activation),
  DiSAN's classifier a plain stack of 30 tanh layers of 64 at PyTorch's default init (depth), the uRNN's diagonal
  factors written ``0.5 exp(i theta)`` (``W`` has every singular value 0.125 where a unitary one has 1: the first
  token's trace is ``0.125^19`` of the state at the end; recurrence), the AoA Reader's GRU update-gate biases at +10
  (``z = 0.99995``: the GRUs' states never leave 0; recurrence, with init), KERPLE at AdamW lr 1, CANINE at AdamW lr
  1 and the Zipformer at Adam lr 1 (lr), TDNN-F trained with momentum SGD at lr 0.4, which its BatchNorms make
  stable, without them (normalization, with lr), CANINE at AdamW ``weight_decay=50`` (regularization), the uRNN's
  classes permuted within every batch, apart from their sequences (data), and TDNN-F's log-mel features taken as
  ``log(energy)`` without the floor, on utterances that begin and end with digital silence (``log 0 = -inf``, and
  the first conv's ``-inf * w`` sums are NaN; numeric, with data);
- **slip** (a user's mistake in positional-encoding and sequence-length code, of a kind no earlier batch used):
  KERPLE-log's bias written ``-r1 * log(r2 * |m - n|)``, the ``1 +`` of ``log(1 + r2 |m - n|)`` dropped (the paper's
  formula read as a plain log-distance penalty): on the diagonal the distance is 0, ``log 0 = -inf`` and the bias is
  ``+inf``, so every query's softmax holds ``inf - inf`` and the loss is NaN at step 0 (numeric: a log of zero made by
  a positional bias; the positions themselves are right); the Zipformer given the utterances' lengths in seconds
  (``frames / 100``, a loader's durations) where frame counts belong: the front end's ``(lengths + 1) // 2`` is 0 for
  every utterance of 0.20 to 0.40 s, every frame is marked padding, the attention's rows are all ``-inf`` and the
  masked mean divides 0 by 0: NaN at step 0 (numeric, with data, the lengths being in the wrong unit); and TDNN-F's
  frame labels cut to the outputs' length, ``labels[:, :t_out]``, where the chain recipe's ``labels[:, ::3]``, the
  labels of the same frames, belongs (the user's fix for a length mismatch after frame subsampling: output ``k``,
  made at frame ``3k``, is scored against the phone of frame ``k``, which only the first six outputs' receptive
  fields still reach; data, the targets misaligned in time with their inputs). Earlier positional and length slips
  (a sequence-first position table sliced on the batch axis, embeddings scaled twice, a padding id that is a real
  token, a zero position table that never trains, an ODE horizon in milliseconds, a time axis reversed for the inputs
  only, targets shifted twice, an index at ``lengths`` without its ``- 1``) are not repeated: here a relative-position
  kernel loses its ``1 +``, lengths arrive in the wrong unit, and the labels are cut where they should be subsampled.
  None of the slips is an init, activation, depth, recurrence, lr, normalization or regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except the normalization case's, which is TDNN-F with its BatchNorms under the same
momentum SGD at lr 0.4.

Learning criteria: every case compares with chance (the Markov text's 64 tokens, the masked LM's 62 as the corpus'
MLM cases, four classes, TDNN-F's eight) except the AoA Reader's cloze, which compares with its first loss. Measured
plain runs, 200 steps (seed 0, seed 1): KERPLE 4.181 -> 1.314 and 4.209 -> 1.278; TUPE 4.149 -> 2.498 and 4.153 ->
2.584 (the criterion 3.095; the masked tokens' unigram alone would give 2.77); the uRNN 1.408 -> 0.0022 and 1.405 ->
0.0011; the AoA Reader 2.906 -> 1.095 and 2.962 -> 1.250 (the criteria 2.180 and 2.222); TDNN-F 2.252 -> 0.0064 and
2.329 -> 0.0065; CANINE 1.384 -> 0.0995 and 1.399 -> 0.0466; the Zipformer 1.357 -> 0.0066 and 1.428 -> 0.0069; DiSAN
1.385 -> 0.536 and 1.388 -> 0.537. Broken: ``tupe_init_std_1`` 22.47 -> 4.387 and 18.38 -> 3.987 (no divergence);
``aoa_reader_zero_init`` and ``aoa_reader_gru_update_bias_plus_10`` both 2.906 -> 2.911 and 2.962 -> 2.888 (the
uniform attention's loss); ``tdnn_f_relu_biases_minus_10`` 2.087 -> 2.058 and 2.081 -> 2.060;
``disan_30_tanh_head_layers_default_init`` 1.395 -> 1.384 and 1.374 -> 1.383; ``urnn_diagonal_modulus_0.5`` 1.390 ->
1.343 and 1.370 -> 1.357; ``kerple_adamw_lr1`` diverges at steps 2 and 3 (ends 89.2 and 98.1; weights x10 at step 4);
``canine_adamw_lr1`` diverges at step 2 at both seeds (ends 1.420 and 1.516; weights x43); ``zipformer_adam_lr1``
diverges at step 2 and is non-finite at step 3 at both seeds; ``tdnn_f_sgd_lr0.4_without_batchnorm`` diverges at
steps 15 and 14 and is non-finite at steps 20 and 24 (its control 2.252 -> 0.0012 and 2.329 -> 0.00024);
``canine_adamw_weight_decay_50`` 1.384 -> 1.386 and 1.399 -> 1.386; ``urnn_labels_shuffled`` 1.410 -> 1.167 and 1.397
-> 1.171 (the criterion 1.040; it memorises part of the 32 batches); ``tdnn_f_log_mel_without_floor``,
``kerple_log_bias_without_one_plus`` and ``zipformer_lengths_in_seconds`` are non-finite at step 0 at both seeds (the
loss itself); ``tdnn_f_labels_cropped_not_subsampled`` 2.201 -> 1.562 and 2.236 -> 1.632 against the criterion 1.559
(log 8 times 0.75): it does not learn, but at seed 0 by a margin of 0.003 (it memorises part of the pool's
misaligned labels through the utterances' edges); treat that seed's no-learning as thin. The cases ran in 0.1 to 23 s
a seed on a machine shared with three other helpers' runs (load 3 to 8 on 2 cores); TDNN-F, DiSAN and CANINE are the
slowest (19, 14 and 9 s at load 3 to 7).

Dropped or changed before the freeze (every figure above is from the final code): the AoA Reader at the paper's lr
1e-3 did not learn in 200 steps (2.906 -> 2.756 at seed 0) and uses 3e-3. TDNN-F was first 128 wide on 16 utterances
of 60 frames with silences of 2 to 6 frames and phone segments of 3 to 8 (2.187 -> 0.0031 at seed 0, 13 s), then 96
wide; on those utterances, and on 12 of 48 frames and 6 of 96, the cropped labels learned (2.226 -> 1.448, 2.294 ->
1.318, 2.283 -> 1.540 and 2.326 -> 1.538: outputs whose label frame lies in their receptive field), so the utterances
are 192 frames long (3 a batch) with silences of 1 to 3 frames and segments of 2 to 6. Not frozen because a plain run
learned: KERPLE without its LayerNorms (4.159 -> 2.047), TDNN-F without its BatchNorms under Adam lr 1e-3 (2.081 ->
0.0067) and under momentum SGD at lr 0.1 (2.092 -> 0.0030), CANINE without its LayerNorms (1.386 -> 0.660), the
Zipformer without BiasNorm (1.374 -> 1.3e-6), and a first length slip, the Zipformer's masked mean written ``h.sum(1)
/ t ** 2``, the padded length squared (1.378 -> 0.077: Adam's per-parameter scaling and BiasNorm's learned scale undo
a constant factor of about 1/20; its ``squared_length`` switch stays, unused). Measured at seed 0 and not frozen, to
keep thirteen commons: KERPLE at AdamW ``weight_decay=50`` (4.181 -> 4.147), the AoA Reader at Adam
``weight_decay=1`` (2.906 -> 2.911), TUPE at Adam lr 1 (diverges at step 4), the uRNN at RMSprop lr 1 (diverges at
step 1) and the uRNN's reflections written ``h - 2 (v^* h) v`` without dividing by ``|v|^2`` (non-finite at step 0;
its ``reflect_norm`` switch stays, unused). The ``ln`` (KERPLE, CANINE), ``norm`` (Zipformer) and ``bn`` (TDNN-F)
switches stay for the normalization case and the runs above.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh102_builders as F

P = functools.partial
HALF = "fresh102"
#: chance losses: the Markov text's 64 tokens (KERPLE), the masked LM's 62 (TUPE, as the corpus' MLM), four classes
#: (the uRNN's first tokens, CANINE's and the Zipformer's keywords, DiSAN's majorities), eight phones (TDNN-F); the
#: AoA Reader's cloze has no fixed chance (a uniform attention's loss depends on the document), so None
LM, MLM, C4, C8 = math.log(64), math.log(62), math.log(4), math.log(8)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH102_HEALTHY: list[Case] = [
    _h("kerple_log_lm", HALF, "kerple", F.kerple, LM),
    _h("tupe_masked_lm", HALF, "tupe", F.tupe, MLM),
    _h("urnn_first_token", HALF, "urnn", F.urnn, C4),
    _h("aoa_reader_cloze", HALF, "aoa_reader", F.aoa_reader, None),
    _h("tdnn_f_phone_frames", HALF, "tdnn_f", F.tdnn_f, C8),
    _h("canine_char_keywords", HALF, "canine", F.canine, C4),
    _h("zipformer_keywords", HALF, "zipformer", F.zipformer, C4),
    _h("disan_majority", HALF, "disan", F.disan, C4),
]

FRESH102_BROKEN: list[Case] = [
    # init
    _b("tupe_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.tupe, init_std=1.0), MLM),
    _b("aoa_reader_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.aoa_reader, zero_init=True), None),
    # activation
    _b("tdnn_f_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.tdnn_f, relu_bias=-10.0), C8),
    # depth
    _b("disan_30_tanh_head_layers_default_init", HALF, ("depth", "init", "activation"), VANISH,  # kind: common
       STUCK, P(F.disan, head_layers=30), C4),
    # recurrence
    _b("urnn_diagonal_modulus_0.5", HALF, ("recurrence",), VANISH, STUCK,  # kind: common
       P(F.urnn, modulus=0.5), C4),
    _b("aoa_reader_gru_update_bias_plus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.aoa_reader, update_bias=10.0), None),
    # lr
    _b("kerple_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.kerple, lr=1.0), LM),
    _b("canine_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.canine, lr=1.0), C4),
    _b("zipformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.zipformer, lr=1.0), C4),
    # normalization
    _b("tdnn_f_sgd_lr0.4_without_batchnorm", HALF, ("normalization", "lr"), EXPLODE, DIVERGE,  # kind: common
       P(F.tdnn_f, sgd=True, lr=0.4, bn=False), C8),
    # regularization
    _b("canine_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.canine, weight_decay=50.0), C4),
    # data
    _b("urnn_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.urnn, shuffled=True), C4),
    # numeric
    _b("tdnn_f_log_mel_without_floor", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.tdnn_f, floor=None), C8),
    # slips
    _b("kerple_log_bias_without_one_plus", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.kerple, one_plus=False), LM),
    _b("zipformer_lengths_in_seconds", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.zipformer, seconds=True), C4),
    _b("tdnn_f_labels_cropped_not_subsampled", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.tdnn_f, cropped=True), C8),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "tupe_init_std_1": "common", "aoa_reader_zero_init": "common", "tdnn_f_relu_biases_minus_10": "common",
    "disan_30_tanh_head_layers_default_init": "common", "urnn_diagonal_modulus_0.5": "common",
    "aoa_reader_gru_update_bias_plus_10": "common", "kerple_adamw_lr1": "common", "canine_adamw_lr1": "common",
    "zipformer_adam_lr1": "common", "tdnn_f_sgd_lr0.4_without_batchnorm": "common",
    "canine_adamw_weight_decay_50": "common", "urnn_labels_shuffled": "common",
    "tdnn_f_log_mel_without_floor": "common",
    "kerple_log_bias_without_one_plus": "slip", "zipformer_lengths_in_seconds": "slip",
    "tdnn_f_labels_cropped_not_subsampled": "slip",
}

#: the cases (half "fresh102")
FRESH102: list[Case] = FRESH102_HEALTHY + FRESH102_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "tupe_init_std_1": F.tupe,
    "aoa_reader_zero_init": F.aoa_reader,
    "tdnn_f_relu_biases_minus_10": F.tdnn_f,
    "disan_30_tanh_head_layers_default_init": F.disan,
    "urnn_diagonal_modulus_0.5": F.urnn,
    "aoa_reader_gru_update_bias_plus_10": F.aoa_reader,
    "kerple_adamw_lr1": F.kerple,
    "canine_adamw_lr1": F.canine,
    "zipformer_adam_lr1": F.zipformer,
    "tdnn_f_sgd_lr0.4_without_batchnorm": P(F.tdnn_f, sgd=True, lr=0.4),
    "canine_adamw_weight_decay_50": F.canine,
    "urnn_labels_shuffled": F.urnn,
    "tdnn_f_log_mel_without_floor": F.tdnn_f,
    "kerple_log_bias_without_one_plus": F.kerple,
    "zipformer_lengths_in_seconds": F.zipformer,
    "tdnn_f_labels_cropped_not_subsampled": F.tdnn_f,
}
