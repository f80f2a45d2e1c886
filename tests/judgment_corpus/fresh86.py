"""The eighty-seventh held-out batch (half ``"fresh86"``): eight published sequence, language and speech models new to
the corpus at their usual settings, and sixteen broken variants with one real fault each, written and labelled with
plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 860_000 + seed): the nBRC (Vecoven et al. 2021, the neuromodulated bistable
recurrent cell ``h = c h + (1 - c) tanh(U x + a h)`` with ``a = 1 + tanh(U_a x + w_a h)``, ``c = sigmoid(U_c x + w_c
h)``, diagonal ``w``; 64 units over embeddings of 32, read out from the last state; Adam at lr 3e-3, set here)
labelling token sequences of 12 by the class of their first token (4 classes), TrellisNet (Bai et al. 2019: one
weight-normalised causal convolution of kernel 2 over the hidden sequence shared by 8 levels, the input injected at
every level, the LSTM-style gated activation carrying a cell, hidden 64; Adam at the reference code's word-level lr
2e-3 with its clipping at 0.225), ELMo's biLM (Peters et al. 2018, narrowed: a character CNN over fixed 5-character
spellings of the words (filters of widths 1, 2, 3, ReLU, max over characters), one highway layer, a projection to 32,
one forward and one backward LSTM of 64 with projections to 32 (the paper's two layers narrowed), the word softmax
shared by both directions, the mean of the two directions' losses; Adam at lr 2e-3 with the reference code's clipping
at 10) and the Lite Transformer (Wu et al. 2020, narrowed to a causal LM over variable-length texts: embeddings of
64 at PyTorch's default N(0, 1) times sqrt(d), as the Annotated Transformer, plus sinusoids, two post-LN layers of
long-short range attention (half the channels through hand-written causal attention of 2 heads, the future and the
padded keys filled with ``-inf``; the other half through a GLU and a causal lightweight convolution of kernel 3, 4
heads of softmax-normalised weights) and a flattened ReLU feed-forward of 2x, dropout 0.1, Xavier-uniform Linears;
fairseq's Adam (betas 0.9, 0.98) under the inverse-square-root schedule, peak 1e-3 after 20 warm-up steps) on the
corpus' Markov text (batches of 8; the Lite Transformer's 16 to 32 tokens long, right-padded, the padding's targets
ignored), BiDAF (Seo et al. 2017, narrowed: word embeddings of 32, no character CNN, a two-layer highway network, a
shared contextual BiLSTM of 32 a direction, the attention flow layer with context-to-query and query-to-context
attention, one modelling BiLSTM (the paper's two narrowed), the start and end pointers, padded context positions
filled with ``-inf``; Adam at AllenNLP's lr 1e-3 and betas (0.9, 0.9), the paper's Adadelta left out) extracting the
span where a 3-token question occurs in a zero-padded context of 12 to 20 tokens (the sum of the two pointers'
losses), the R-Transformer (Wang et al. 2019, narrowed to a classifier: embeddings of 32, two layers of a LocalRNN (a
GRU over each position's window of 5), 4-head self-attention and a ReLU feed-forward, each a post-LN residual, mean
pooling; Adam at lr 1e-3, set here) labelling sequences of 20 by their majority class (4), Squeezeformer (Kim et al.
2022, narrowed: log power features ``log(power + 1e-6)`` times the frame mask, a two-conv subsampling by 4 to 12
frames of 64, four blocks of the MF/CF structure ``MHSA -> FFN -> Conv -> FFN`` (4 heads with a key-padding mask,
Swish feed-forwards of 4x, a GLU-depthwise-BatchNorm-Swish convolution module of kernel 7), post-LN with the paper's
learned pre-module scaling, the Temporal U-Net (a stride-2 reduction after the first block, a repeat-interleave
recovery plus the skip before the last), masked mean pooling; Adam betas (0.9, 0.98) at lr 1e-3, the paper's peak
2e-3 halved, its warm-up and decay left out) spotting 4 keywords in zero-padded power spectrograms of 24 to 48 frames
of 40 bins, and DFSMN (Zhang et al. 2018, narrowed to a frame classifier: a ReLU layer of 128 and a projection to 32,
four DFSMN components (a ReLU layer of 128, a linear projection to 32, the vectorised memory block of 5 past and 2
future taps, the skip connection from the previous component's memory; the paper's ten narrowed), a ReLU layer of
128 and the per-frame softmax; PyTorch's default init; Adam at lr 1e-3, set here, the paper's Kaldi SGD left out)
labelling the phones (8, in runs of 3 to 6 frames, each a fixed 16-bin template plus N(0, 1) noise) of 32-frame
utterances.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Lite Transformer Linear and the embedding
  drawn N(0, 1) (init), DFSMN's shifts before its ReLUs (every hidden layer's bias) at -10, every unit dead
  (activation), DFSMN 20 components deep without its skip connections at PyTorch's default init (a plain stack of 40
  Linears and 20 memory blocks between the input and output layers; depth, with init accepted), the nBRC's update-gate
  bias at +10 (``c = 0.99995``: the state keeps its zero start, each token written into it at a weight of ``4.5e-5``,
  and the first token is lost; recurrence, with init accepted), TrellisNet, Squeezeformer, the R-Transformer and ELMo at
  Adam lr 1 (lr), the Lite Transformer without its LayerNorms (its N(0, 1) embeddings times sqrt(d) = 8 then reach the
  residual stream, the attention and the output unnormalised, as every sublayer's output adds to them; normalization,
  with init accepted), the R-Transformer at AdamW ``weight_decay=50`` and ELMo at AdamW ``weight_decay=50``
  (regularization), the R-Transformer's classes permuted within every batch, apart from their sequences (data), and
  Squeezeformer's features taken as ``log(power)`` without the floor, on zero-padded spectrograms (``log 0 = -inf``, and
  ``-inf`` times the frame mask's 0 is NaN at the first forward; numeric, with data);
- **slip** (a user's mistake in attention masking and sequence handling, of a kind no earlier batch used): DFSMN's
  features reversed in time (``feats.flip(1)``, a line kept from a right-to-left model's loader) while the frame
  labels are not: frame ``t`` is scored against the phone of frame ``31 - t``, which the memory block's 5 past and 2
  future taps reach only near the middle of the utterance, so the model can do little better than the phones'
  marginal (data: the inputs and targets are misaligned in time; no other cause is accepted); BiDAF's span losses
  given ``label_smoothing=0.1`` over start and end logits whose padded positions are filled with ``-inf`` (right for
  the plain cross-entropy, whose ``exp(-inf) = 0`` drops them): the smoothed target puts ``0.1 / 20`` on every
  position, the padded ones included, whose log-probability is ``-inf``, so the loss is ``+inf`` at every step from
  step 0 (every batch holds contexts shorter than 20; ``masked_fill`` passes no gradient to the filled positions, so
  the weights stay finite and move, but the objective the user trains and monitors is infinite; numeric, with
  regularization, the smoothing that meets the mask, accepted); and the Lite Transformer fed batches padded on the
  left (a collate written for generation, ``padding_side="left"``) under its hand-written attention, whose key-padding
  and causal masks together leave every padding query no key at all (its only earlier keys are padding too): the
  softmax over a row of ``-inf`` is ``0 / 0``, and although the padding's targets are ignored, its NaN states reach
  every real token through the second layer's values (``0 * NaN``): the loss is NaN at step 0 (numeric, with data,
  the padding side, accepted). Earlier masking and sequence slips (``triu`` without ``diagonal=1``, empty sentences,
  an alignment mask over pairs, a ``(1 - mask) * -inf`` bias, a sign-flipped bias, a Hugging Face mask passed where
  True means "ignore", a mask on the query axis, filled after the softmax, a softmax over the heads, a padding id that
  is a real token, left-padded tokens against right-padded tags, a source flipped over the batch axis, labels shifted
  a row, ignore_index on a real class) are not repeated: here the time axis is reversed for the inputs only, label
  smoothing meets an infinite mask, and the padding side meets a causal mask. None of the slips is an init,
  activation, depth, recurrence, lr or normalization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is DFSMN with its four components and their skips).

Learning criteria: the classifiers compare with chance (four classes; DFSMN's eight phones, ln 8 = 2.079), the LMs
with ln 64 (ELMo's loss is the mean of its two directions'), BiDAF with its two uniform pointers over contexts of 12
to 20 tokens (``2 ln n`` averaged over the lengths, 5.518; the criterion 4.139). Measured plain runs, 200 steps (seed
0, seed 1): the nBRC 1.470 -> 0.658 and 1.496 -> 0.559 (the criterion 1.040); TrellisNet 4.167 -> 1.328 and 4.159 ->
1.304; ELMo 4.167 -> 1.588 and 4.158 -> 1.600; BiDAF 5.600 -> 2.553 and 5.572 -> 2.887; the Lite Transformer 4.357
-> 1.387 and 4.756 -> 1.424; the R-Transformer 1.452 -> 0.0275 and 1.461 -> 0.0241; Squeezeformer 1.520 -> 0.0013 and
1.292 -> 0.00086; DFSMN 2.082 -> 0.00036 and 2.087 -> 0.00055. Broken: ``lite_transformer_init_std_1`` 17.79 -> 9.366
and 17.51 -> 8.926 (no divergence); ``dfsmn_relu_biases_minus_10`` 2.074 -> 2.080 and 2.079 -> 2.079;
``dfsmn_20_components_without_skips`` 2.073 -> 2.080 and 2.091 -> 2.079; ``nbrc_update_gate_bias_plus_10`` 1.404 ->
1.276 and 1.400 -> 1.259; ``trellis_net_adam_lr1`` diverges at steps 3 and 1 (ends 8.417 and 8.994; weights x10 at
steps 3 and 2, x47 and x51 at most); ``squeezeformer_adam_lr1`` diverges at step 1 at both seeds (ends 1.531 and
1.476; weights x10 at step 0, x65 and x63); ``r_transformer_adam_lr1`` diverges at step 1 at both seeds (ends 1.432
and 1.420; weights x10 at step 3, x27 and x28); ``elmo_adam_lr1`` diverges at step 1 at both seeds (ends 1811 and
1618; weights x10 at step 1, x53 and x54); ``lite_transformer_without_layernorm`` 41.67 -> 5.565 and 42.97 -> 5.463
(no divergence); ``r_transformer_adamw_weight_decay_50`` 1.452 -> 1.385 and 1.461 -> 1.383;
``elmo_adamw_weight_decay_50`` 4.167 -> 4.159 and 4.158 -> 4.159; ``r_transformer_labels_shuffled`` 1.451 -> 1.342
and 1.470 -> 1.351; ``dfsmn_features_reversed_against_labels`` 2.076 -> 2.009 and 2.087 -> 2.016 (the criterion
1.559); ``squeezeformer_log_power_without_floor`` and ``lite_transformer_left_padding_under_causal_mask`` are NaN at
step 0 at both seeds, ``bidaf_label_smoothing_over_masked_padding`` ``inf`` at step 0 and every later step at both
seeds (the loss itself). The cases ran in 0.2 to 67 s a seed on a machine shared with three other helpers' runs (load
4 to 17 on 2 cores); Squeezeformer is the slowest (8.5 s a seed when the machine was less loaded), DFSMN's 20-deep
stack next.

Dropped or changed before the freeze (every figure above is from the final code): Fastformer, first chosen for the
texts, was set aside because ``fresh58`` and ``fresh61`` had already written and measured it (never frozen); the
R-Transformer took its place. The nBRC first read sequences of 20 at the paper's lr 1e-3 (1.519 -> 1.268 at seed 0;
at 3e-3 -> 1.073, at 1e-2 -> 1.121, the criterion 1.040); it reads 12 tokens at 3e-3. ELMo first trained with the
reference code's Adagrad at lr 0.2 and initial accumulator 1.0 (4.167 -> 4.152 at seed 0; with accumulator 0.1 ->
3.773); it uses Adam at 2e-3. The Lite Transformer's embeddings were first fairseq's N(0, d^-1/2) times sqrt(d) (unit
scale): without its LayerNorms it then learned (6.358 -> 1.466 at seed 0; six layers 18.63 -> 1.868), and its init
case read 22.10 -> 9.461 and 19.87 -> 8.774; its embeddings are now PyTorch's default N(0, 1) times sqrt(d), the
Annotated Transformer's, which the first LayerNorm normalises. Squeezeformer without its LayerNorms learned (1.499 ->
1.1e-6 and 1.417 -> 2.9e-7), and the R-Transformer without them too (1.493 -> 0.0167 at seed 0): neither was kept.
BiDAF at Adam lr 1 diverged at step 2 and then learned (5.600 -> 1.212 at seed 0) and was not kept; ELMo at Adam lr 1
took its place. DFSMN's depth case was first 30 components deep (2.089 -> 2.080 and 2.074 -> 2.078, but 44 to 55 s a
seed under load); it is 20. Considered and not written, because a plain run would not fail: ELMo's backward outputs
not flipped back before the loss (the forward direction alone brings the mean loss under the criterion), a causal
mask inverted by transposing it or a causal convolution padded on the right (the future leaks in and the loss
falls), and an LM's targets reversed in time under attention with learned positions (half the positions become a
positional look-up).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh86_builders as F

P = functools.partial
HALF = "fresh86"
#: chance losses: the Markov text's 64 words (TrellisNet, ELMo's two directions, the Lite Transformer), four classes
#: (the nBRC's first tokens, the R-Transformer's majorities, Squeezeformer's keywords), eight phones (DFSMN), and
#: BiDAF's two uniform pointers over a context of 12 to 20 tokens (``2 ln n`` averaged over the nine lengths)
LM, C4, C8 = math.log(64), math.log(4), math.log(8)
SPAN = sum(2 * math.log(n) for n in range(12, 21)) / 9
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH86_HEALTHY: list[Case] = [
    _h("nbrc_first_token", HALF, "nbrc", F.nbrc, C4),
    _h("trellis_net_lm", HALF, "trellis_net", F.trellis_net, LM),
    _h("elmo_bilm", HALF, "elmo", F.elmo, LM),
    _h("bidaf_spans", HALF, "bidaf", F.bidaf, SPAN),
    _h("lite_transformer_padded_lm", HALF, "lite_transformer", F.lite_transformer, LM),
    _h("r_transformer_majority", HALF, "r_transformer", F.r_transformer, C4),
    _h("squeezeformer_keywords", HALF, "squeezeformer", F.squeezeformer, C4),
    _h("dfsmn_phone_frames", HALF, "dfsmn", F.dfsmn, C8),
]

FRESH86_BROKEN: list[Case] = [
    # init
    _b("lite_transformer_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.lite_transformer, init_std=1.0), LM),
    # activation
    _b("dfsmn_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.dfsmn, relu_bias=-10.0), C8),
    # depth
    _b("dfsmn_20_components_without_skips", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.dfsmn, components=20, skip=False), C8),
    # recurrence
    _b("nbrc_update_gate_bias_plus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.nbrc, gate_bias=10.0), C4),
    # lr
    _b("trellis_net_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.trellis_net, lr=1.0), LM),
    _b("squeezeformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.squeezeformer, lr=1.0), C4),
    _b("r_transformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.r_transformer, lr=1.0), C4),
    _b("elmo_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.elmo, lr=1.0), LM),
    # normalization
    _b("lite_transformer_without_layernorm", HALF, ("normalization", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.lite_transformer, ln=False), LM),
    # regularization
    _b("r_transformer_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.r_transformer, adamw=True, weight_decay=50.0), C4),
    _b("elmo_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.elmo, weight_decay=50.0), LM),
    # data
    _b("r_transformer_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.r_transformer, shuffled=True), C4),
    # numeric
    _b("squeezeformer_log_power_without_floor", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.squeezeformer, floor=False), C4),
    _b("dfsmn_features_reversed_against_labels", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.dfsmn, reversed_features=True), C8),
    _b("bidaf_label_smoothing_over_masked_padding", HALF, ("numeric", "regularization"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.bidaf, smoothing=0.1), SPAN),
    _b("lite_transformer_left_padding_under_causal_mask", HALF, ("numeric", "data"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.lite_transformer, left=True), LM),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "lite_transformer_init_std_1": "common", "dfsmn_relu_biases_minus_10": "common",
    "dfsmn_20_components_without_skips": "common", "nbrc_update_gate_bias_plus_10": "common",
    "trellis_net_adam_lr1": "common", "squeezeformer_adam_lr1": "common", "r_transformer_adam_lr1": "common",
    "elmo_adam_lr1": "common", "lite_transformer_without_layernorm": "common",
    "r_transformer_adamw_weight_decay_50": "common", "elmo_adamw_weight_decay_50": "common",
    "r_transformer_labels_shuffled": "common", "squeezeformer_log_power_without_floor": "common",
    "dfsmn_features_reversed_against_labels": "slip", "bidaf_label_smoothing_over_masked_padding": "slip",
    "lite_transformer_left_padding_under_causal_mask": "slip",
}

#: the cases (half "fresh86")
FRESH86: list[Case] = FRESH86_HEALTHY + FRESH86_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "lite_transformer_init_std_1": F.lite_transformer,
    "dfsmn_relu_biases_minus_10": F.dfsmn,
    "dfsmn_20_components_without_skips": F.dfsmn,
    "nbrc_update_gate_bias_plus_10": F.nbrc,
    "trellis_net_adam_lr1": F.trellis_net,
    "squeezeformer_adam_lr1": F.squeezeformer,
    "r_transformer_adam_lr1": F.r_transformer,
    "elmo_adam_lr1": F.elmo,
    "lite_transformer_without_layernorm": F.lite_transformer,
    "r_transformer_adamw_weight_decay_50": F.r_transformer,
    "elmo_adamw_weight_decay_50": F.elmo,
    "r_transformer_labels_shuffled": F.r_transformer,
    "squeezeformer_log_power_without_floor": F.squeezeformer,
    "dfsmn_features_reversed_against_labels": F.dfsmn,
    "bidaf_label_smoothing_over_masked_padding": F.bidaf,
    "lite_transformer_left_padding_under_causal_mask": F.lite_transformer,
}
