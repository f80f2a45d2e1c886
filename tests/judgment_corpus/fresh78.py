"""The seventy-ninth held-out batch (half ``"fresh78"``): eight published audio, speech and music models new to the
corpus at their usual settings, and sixteen broken variants with one real fault each, written and labelled with plain
PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 780_000 + seed): Speech-Transformer (Dong et al. 2018, narrowed to keyword
classification: the log of the mel power with an offset of 1e-6, two 3x3 stride-2 convolutions of 16 maps, a
projection to 64 plus sinusoidal positions, two post-LN encoder layers of 4 heads, ReLU feed-forward of 256, dropout
0.1, the key-padding mask, masked mean pooling; Adam betas (0.9, 0.98) at lr 1e-3, the warm-up left out) and VGGish
(Hershey et al. 2017, narrowed: the log mel patch with VGGish's offset 0.01, 3x3 convolutions of 16, 32, 64, 64 in
VGG's pooling pattern, no BatchNorm, as VGGish, one fully connected layer of 128 where VGGish has three; Adam lr 1e-3)
on mel power spectrograms of four keywords (24 to 40 frames of 32 bins, zero-padded to 40: digital silence; VGGish
takes them at full length), the Compound Word Transformer (Hsiao et al. 2021, narrowed to a classifier: a scaled
embedding per token type, pitch 48 and duration 16, each the annotated Transformer's ``lut(x) * sqrt(d)``, every
matrix Xavier-uniform as there, concatenated and projected to 64, the PyTorch tutorial's sinusoidal
``PositionalEncoding`` used batch-first, two pre-LN layers of 4 heads, GELU, dropout 0.1, mean pooling; Adam at lr
1e-3, the reference code's 1e-4 raised for 200 steps) labelling melodies of 12 compound notes by their contour
(ascending, descending, arch, valley: one ascending line permuted four ways, so the classes share one distribution
of pitch multisets and only the order tells them apart), MusicBERT (Zeng et al. 2021, narrowed: one token per
sixteenth-note step, rest or one of 24 pitches, in place of OctupleMIDI; token and learned position embeddings N(0,
0.02) with LayerNorm, two post-LN layers of 64 with hand-written attention of 4 heads, GELU, dropout 0.1, mean
pooling; AdamW betas (0.9, 0.98) weight decay 0.01 at lr 5e-4) labelling bars by their rhythm (a whole-bar rest,
quarters on the beats, off-beat eighths, straight eighths; onsets kept with probability 0.85, pitches random),
Performance RNN (Oore et al. 2018, narrowed: event embeddings of 64, a two-layer LSTM of 128, the event softmax; Adam
at Magenta's lr 1e-3, its clipping left out) predicting event sequences that repeat a random motif of 4 events (of 32)
six times, SoundNet (Aytar et al. 2016, narrowed: five 1-D convolutions on the raw wave, 16 to 128 maps, each with
BatchNorm and ReLU, max-pooling by 4 after the first two, global average; Adam at the paper's lr 1e-3) classifying
1,024-sample harmonic tones at 8 kHz by timbre (four fixed harmonic profiles, random fundamentals of 100 to 400 Hz),
CREPE (Kim et al. 2018, narrowed between its "tiny" and "small" capacities: six 1-D convolutions of 32, 16, 16, 16,
32, 64 maps, the first of kernel 128 at stride 4, each followed by ReLU, BatchNorm, max-pooling by 2 and dropout
0.25, the paper's order, to 24 sigmoid pitch bins; binary cross-entropy against the bins Gaussian-blurred, std one
bin, as the paper; Adam at lr 2e-3, its 2e-4 raised for 200 steps) estimating the pitch of 512-sample frames, and
FastSpeech (Ren et al. 2019, narrowed: phoneme embeddings of 64 plus sinusoids, one FFT block of post-LN
self-attention (2 heads) and a two-layer 1-D convolution (kernel 3, 256 filters), the length regulator fed the
ground-truth durations, sinusoids over the frames, one FFT block and the mel projection; Adam betas (0.9, 0.98) eps
1e-9 at lr 1e-3, the warm-up left out) mapping 8 phonemes with durations of 1 to 3 frames to their 20-bin mel frames
(a fixed template per phoneme shaped by a ramp over its frames; the masked MSE).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every VGGish weight zero, the biases left at
  PyTorch's draws (no signal reaches the head from the input, and no gradient reaches any weight below it; init),
  every CREPE convolution's bias at -10 (every ReLU dead from the first layer on: the head sees constants and learns
  only the bins' prior; activation), VGGish's fully connected part 30 ReLU layers of 128 deep at PyTorch's default
  init (depth), Performance RNN's input gates' two biases at -10 in both layers (``i = sigmoid(-20) = 2e-9``: nothing
  is ever written into the cell, so the carried state and every output stay at zero; recurrence, with init),
  Speech-Transformer at Adam lr 1, MusicBERT at AdamW lr 1, FastSpeech at Adam lr 1 and the Compound Word
  Transformer at Adam lr 1 (lr), CREPE without its BatchNorms (six small convolutions at default init, the signal
  shrinking through each with nothing to restore its scale; normalization, with init), CREPE at AdamW
  ``weight_decay=50`` and the Compound Word Transformer at Adam ``weight_decay=1`` (regularization),
  Speech-Transformer's keywords permuted within every batch, apart from their utterances (data), and
  Speech-Transformer's front end taking ``log(power)`` without its offset: the zero-padded frames give ``log 0 =
  -inf``, and the first convolution's ``-inf`` sums of both signs ``NaN`` (numeric, with data, the padding);
- **slip** (a user's mistake in positional-encoding and embedding code, of a kind no earlier batch used): the Compound
  Word Transformer given the PyTorch tutorial's ``PositionalEncoding`` unchanged, its buffer sequence-first
  ``(max_len, 1, d)`` and its forward ``x + pe[:x.size(0)]``, on batch-first ``(batch, time, d)`` embeddings: the
  slice is taken along the batch axis and broadcast over time, so every step of a melody gets one and the same vector
  (the position of its row in the batch) and the positions never advance; the layers and the mean pooling are then
  blind to order, and the contours differ only in order (data: the information the labels depend on never reaches the
  model; the loss stays above 1.28 where the healthy build reaches 0.006); the Compound Word Transformer's embeddings
  scaled twice, the forward multiplying by ``sqrt(d)`` what the annotated Transformer's ``Embeddings`` module already
  returns times ``sqrt(d)`` (48x the pitch embeddings, 16x the durations': the projected token vectors have std 6.4
  against the sinusoids' 0.6, 1.1 in the healthy build, so the positions are under a tenth of each vector; init, the
  embeddings' scale, with data, the order information drowned, accepted); and MusicBERT's token embedding built with
  ``padding_idx=0``, the usual fairseq/Hugging Face habit, its key-padding mask and pooling taken from ``tokens ==
  padding_idx``, where id 0 is the rest, a real token: every whole-bar rest (a quarter of the bars; 6 of the first
  batch's 32 at seed 0) has all its keys masked, the softmax over a row of ``-inf`` is ``0 / 0`` and the masked mean
  divides 0 by 0: a NaN loss at step 0 (numeric, with data, the mask marking real tokens). Earlier embedding slips
  (codes looked up by the position in the batch instead of the id) and attention-mask slips (a mask on the query axis,
  filled after the softmax, the softmax over the heads) are not repeated: here a positional table is sliced on the
  wrong axis, an embedding is scaled twice, and the padding id is a real token.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is VGGish with its one fully connected layer).

Learning criteria: every case compares with chance (four classes; the motifs' 32 events; CREPE's 0.327, the binary
cross-entropy of predicting every bin's mean target, measured on the pools of both seeds; FastSpeech's regression has
none and compares with its first loss). Measured plain runs, 200 steps (seed 0, seed 1): Speech-Transformer 1.436 ->
0.0020 and 1.724 -> 0.0020; the Compound Word Transformer 1.571 -> 0.0055 and 1.501 -> 0.0072; MusicBERT 1.389 ->
0.072 and 1.368 -> 0.096; Performance RNN 3.467 -> 2.096 and 3.468 -> 2.085 (the criterion 2.599; the first period of
each sequence cannot be predicted); VGGish 1.385 -> 0.0 and 1.378 -> 1.5e-9; SoundNet 1.377 -> 0.024 and 1.484 ->
0.025; CREPE 0.778 -> 0.141 and 0.756 -> 0.135 (the criterion 0.245); FastSpeech 1.313 -> 0.033 and 1.405 -> 0.033.
Broken: ``vggish_zero_init`` 1.383 -> 1.386 and 1.380 -> 1.386; ``crepe_relu_biases_minus_10`` 0.696 -> 0.328 and
0.691 -> 0.327 (the prior); ``vggish_30_fc_layers_default_init`` 1.398 -> 1.386 and 1.380 -> 1.386;
``performance_rnn_input_gate_bias_minus_10`` 3.466 -> 3.465 and 3.467 -> 3.463; ``speech_transformer_adam_lr1``
diverges at step 1 at both seeds (ends 1.583 and 1.778; weights x76 at step 0); ``musicbert_adamw_lr1`` diverges at
step 1 (ends 1.745 and 1.475; weights x78 and x77 at step 0); ``fastspeech_adam_lr1`` diverges at step 1 (ends 1.111
and 1.102; weights x66 and x70 at step 0); ``compound_word_transformer_adam_lr1`` diverges at step 1 (ends 1.441 and
1.415; weights x62 and x61 at step 1); ``crepe_without_batchnorm`` 0.697 -> 0.332 and 0.692 -> 0.332;
``crepe_adamw_weight_decay_50`` 0.778 -> 0.678 and 0.756 -> 0.677; ``compound_word_transformer_adam_weight_decay_1``
1.571 -> 1.384 and 1.501 -> 1.391; ``speech_transformer_labels_shuffled`` 1.422 -> 1.405 and 1.745 -> 1.380;
``compound_word_transformer_tutorial_positions_on_batch_axis`` 1.601 -> 1.281 and 1.566 -> 1.312 (the 32 cycled
batches memorised a little; the criterion 1.040); ``compound_word_transformer_embeddings_scaled_twice`` 1.529 ->
1.313 and 1.480 -> 1.355; ``speech_transformer_log_of_zero_padding`` and ``musicbert_rest_token_as_padding_idx`` are
non-finite at step 0 at both seeds (the loss itself). The cases ran in 5 to 20 s a seed on 2 cores shared with three
other helpers' runs (load about 4); VGGish and Performance RNN are the slowest.

Dropped or changed before the freeze (every figure above is from the final code): the Compound Word Transformer's
embeddings were first PyTorch's N(0, 1) times ``sqrt(d)`` (std 7 against the sinusoids' 0.6) and did not learn (1.453
-> 1.294 at seed 0); with the annotated Transformer's Xavier init, as its reference code, it learns. CREPE was first
16, 4, 4, 4, 8, 16 maps and learned only to 0.275 at seed 0, barely below the 0.327 of the bins' prior (it passed only
a first-loss criterion, which was then replaced by the prior); a build of 128, 16, 16, 16, 32, 64 maps learned (0.143)
but took 45 s a seed, so the first layer is 32 maps. VGGish with every weight drawn N(0, 1) learned (6.4e6 -> 0.0 at
seed 0) and was replaced by the zero init (its ``init_std`` switch serves both). The depth case was first 30 plain 3x3
convolutions of 16 after VGGish's first (1.398 -> 1.386, but 124 s a seed under load) and is now 30 fully connected
layers. Performance RNN's forget gates at -10 (1.824) and at +10 (2.040) both learned at seed 0 (the hidden state
still carries the past through the gates' recurrent weights, or the saturating sum does): the recurrence common is the
shut input gate. SoundNet without its BatchNorms learned (1.388 -> 0.402 at seed 0), as did Speech-Transformer without
its LayerNorms (1.495 -> 2e-7), FastSpeech with every weight N(0, 1) (65.7 -> 5.05, below its first-loss criterion):
their switches stay, unused; the normalization common is CREPE's. Considered and not written, because a plain run
would not fail: sinusoid frequencies computed with the wrong exponent sign (``10000^(+2i/d)``: the encodings are
still distinct fixed vectors, which the layers can use as learned positions are used).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh78_builders as F

P = functools.partial
HALF = "fresh78"
#: chance losses: four classes (the keywords, the contours, the rhythms, the timbres), the motifs' 32 events; CREPE's
#: is the binary cross-entropy of predicting every bin's mean target (0.327 at both seeds); FastSpeech's regression
#: has none (its first loss is the reference)
C4, EV, CREPE_PRIOR = math.log(4), math.log(32), 0.327
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH78_HEALTHY: list[Case] = [
    _h("speech_transformer_keywords", HALF, "speech_transformer", F.speech_transformer, C4),
    _h("compound_word_transformer_contours", HALF, "compound_word_transformer", F.compound_word, C4),
    _h("musicbert_rhythm_bars", HALF, "musicbert", F.musicbert, C4),
    _h("performance_rnn_motifs", HALF, "performance_rnn", F.performance_rnn, EV),
    _h("vggish_keywords", HALF, "vggish", F.vggish, C4),
    _h("soundnet_tones", HALF, "soundnet", F.soundnet, C4),
    _h("crepe_pitch_frames", HALF, "crepe", F.crepe, CREPE_PRIOR),
    _h("fastspeech_mels", HALF, "fastspeech", F.fastspeech, None),
]

FRESH78_BROKEN: list[Case] = [
    # init
    _b("vggish_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.vggish, init_std=0.0), C4),
    # activation
    _b("crepe_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.crepe, relu_bias=-10.0), CREPE_PRIOR),
    # depth
    _b("vggish_30_fc_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.vggish, fc_layers=30), C4),
    # recurrence
    _b("performance_rnn_input_gate_bias_minus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.performance_rnn, gate_bias=(0, -10.0)), EV),
    # lr
    _b("speech_transformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.speech_transformer, lr=1.0), C4),
    _b("musicbert_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.musicbert, lr=1.0), C4),
    _b("fastspeech_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fastspeech, lr=1.0), None),
    _b("compound_word_transformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.compound_word, lr=1.0), C4),
    # normalization
    _b("crepe_without_batchnorm", HALF, ("normalization", "init"), VANISH, STUCK,  # kind: common
       P(F.crepe, bn=False), CREPE_PRIOR),
    # regularization
    _b("crepe_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.crepe, weight_decay=50.0), CREPE_PRIOR),
    _b("compound_word_transformer_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.compound_word, weight_decay=1.0), C4),
    # data
    _b("speech_transformer_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.speech_transformer, shuffled=True), C4),
    # numeric
    _b("speech_transformer_log_of_zero_padding", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.speech_transformer, log_offset=0.0), C4),
    _b("compound_word_transformer_tutorial_positions_on_batch_axis", HALF, ("data",), VANISH,  # kind: slip
       STUCK, P(F.compound_word, pe_batch_first=False), C4),
    _b("musicbert_rest_token_as_padding_idx", HALF, ("numeric", "data"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.musicbert, rest_as_padding=True), C4),
    _b("compound_word_transformer_embeddings_scaled_twice", HALF, ("init", "data"), VANISH,  # kind: slip
       STUCK, P(F.compound_word, scale_twice=True), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "vggish_zero_init": "common", "crepe_relu_biases_minus_10": "common", "vggish_30_fc_layers_default_init": "common",
    "performance_rnn_input_gate_bias_minus_10": "common", "speech_transformer_adam_lr1": "common",
    "musicbert_adamw_lr1": "common", "fastspeech_adam_lr1": "common", "compound_word_transformer_adam_lr1": "common",
    "crepe_without_batchnorm": "common", "crepe_adamw_weight_decay_50": "common",
    "compound_word_transformer_adam_weight_decay_1": "common", "speech_transformer_labels_shuffled": "common",
    "speech_transformer_log_of_zero_padding": "common",
    "compound_word_transformer_tutorial_positions_on_batch_axis": "slip",
    "musicbert_rest_token_as_padding_idx": "slip", "compound_word_transformer_embeddings_scaled_twice": "slip",
}

#: the cases (half "fresh78")
FRESH78: list[Case] = FRESH78_HEALTHY + FRESH78_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "vggish_zero_init": F.vggish,
    "crepe_relu_biases_minus_10": F.crepe,
    "vggish_30_fc_layers_default_init": F.vggish,
    "performance_rnn_input_gate_bias_minus_10": F.performance_rnn,
    "speech_transformer_adam_lr1": F.speech_transformer,
    "musicbert_adamw_lr1": F.musicbert,
    "fastspeech_adam_lr1": F.fastspeech,
    "compound_word_transformer_adam_lr1": F.compound_word,
    "crepe_without_batchnorm": F.crepe,
    "crepe_adamw_weight_decay_50": F.crepe,
    "compound_word_transformer_adam_weight_decay_1": F.compound_word,
    "speech_transformer_labels_shuffled": F.speech_transformer,
    "speech_transformer_log_of_zero_padding": F.speech_transformer,
    "compound_word_transformer_tutorial_positions_on_batch_axis": F.compound_word,
    "musicbert_rest_token_as_padding_idx": F.musicbert,
    "compound_word_transformer_embeddings_scaled_twice": F.compound_word,
}
