"""The hundred-and-seventh held-out batch (half ``"fresh106"``): eight published sequence, language and speech models
new to the corpus at their usual settings, and sixteen broken variants with one real fault each, written and labelled
with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 1_060_000 + seed): the Fast-Slow RNN (Mujika, Meier and Steger 2017, k = 2,
narrowed to a character LM: embeddings of 32, the fast LSTM cell F1 reading the token, the slow cell S reading F1's
output and F2 reading S's output with F1's state, all 64 wide, F2's output predicting the next token; the layer norm
and zoneout left out; Adam at lr 2e-3 with the gradient norm clipped at 1) and the sandwich transformer (Press, Smith
and Levy 2020: Baevski and Auli's pre-LN decoder LM of n = 6 layers reordered ``s^k (sf)^(n-k) f^k`` with k = 2, 64
wide, 4 heads, ReLU feed-forwards of 4x, dropout 0.1, sinusoidal positions, tied embeddings times sqrt(d); their
optimizer, Nesterov's accelerated gradient, SGD momentum 0.99 at lr 1 after a linear warm-up of 20 steps (their
16,000 shortened for 200 steps, the cosine decay left out), the gradient norm clipped at 0.1) on the corpus' Markov
text (batch 8 of 32 tokens), the log-bilinear LM (Mnih and Hinton 2007: word representations of 32 shared by the
context and the predicted word, a 32 x 32 matrix ``C_i`` per position of a 4-word context, scores ``(sum_i C_i
r_(w_i)) R^T + b``; SGD momentum 0.9 at lr 0.1, set here) on 4-word windows of the same text (batch 64), Charformer
(Tay et al. 2022, narrowed to a byte classifier: byte embeddings of 64 and learned positions, GBST over blocks of 1
to 4 bytes by mean pooling with the block scores' position-wise calibration ``softmax(P P^T) P`` and a downsampling
by 2, two pre-LN transformer layers of 4 heads, GELU, dropout 0.1, mean pooling; Adam at lr 1e-3) labelling strings of
32 uniform bytes by which of four fixed 4-byte words is written into them, DrQA's Document Reader (Chen et al. 2017,
narrowed: embeddings of 32 with dropout 0.3, the exact-match flag and the aligned question embedding, two-layer
BiLSTMs of 32 a direction over the passage and the question, the question's self-attention pooling, bilinear start and
end scores; the start and end cross-entropies summed; Adamax at its lr 2e-3, the gradient norm clipped at 10, DrQA's)
extracting the two tokens after the question's key token from 20-token passages, the low-latency SVDF keyword spotter
of TensorFlow's speech-commands tutorial (after Nakkiran et al. 2015, narrowed: ``log(e + 0.01)`` of the filterbank
energies, an SVDF layer of 128 nodes of rank 2 with a time filter over the whole 48-frame memory, ReLU, two ReLU
layers of 64, the head; PyTorch's default init; the tutorial's plain SGD at lr 0.05) on mel energies of 4 keywords,
utterances of 24 to 48 frames of 40 bins zero-padded (digital silence) to 48, the hybrid DNN-HMM acoustic model's
network (Hinton et al. 2012; Dahl et al. 2012, narrowed: 9 spliced frames of 20 bins, four sigmoid layers of 128, the
16 senones' softmax; no generative pre-training, the weights Glorot-uniform at the sigmoid's gain 4; SGD momentum 0.9
at lr 0.1, set here) classifying spliced frames of 16 senone patterns plus N(0, 1) noise (batch 128), and Tacotron 2's
spectrogram predictor (Shen et al. 2018, narrowed: character embeddings of 32, three convolutions of width 5 with
BatchNorm, ReLU and dropout 0.5, a BiLSTM of 16 a direction; the pre-net of two ReLU layers of 32 with dropout 0.5,
the attention LSTM cell of 64, location-sensitive attention, the decoder LSTM cell of 64, r = 2 frames a step,
teacher-forced; the post-net and the stop token left out; the mel MSE; Adam eps 1e-6 with the paper's L2 weight 1e-6
at lr 3e-3, set here, the gradient norm clipped at 1) on 8-character texts whose 24 mel frames of 16 bins are three
fixed frames per character plus N(0, 0.1^2) (batch 16).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Charformer matrix (embeddings,
  projections, attention, feed-forwards, head) drawn N(0, 1) (init); every SVDF bias before a ReLU (the SVDF layer's
  and both dense layers') at -10, every unit dead (activation); the hybrid DNN 30 sigmoid layers deep at its own
  Glorot init (depth: the plain sigmoid stack that pre-training was invented for; activation and init accepted); the
  Fast-Slow RNN's three recurrent weight matrices drawn N(0, 1) (64 units: the recurrent pre-activations have a std of
  about 8 times the state's, the gates saturate and the carried state is driven by its own chaotic dynamics, not the
  tokens; recurrence, with init); the sandwich transformer at NAG lr 30, Charformer at Adam lr 1, Tacotron 2 at Adam lr
  1 and the log-bilinear LM at SGD lr 10 (lr); the sandwich transformer without its LayerNorms (the sublayers' and the
  final one), which NAG at momentum 0.99 relies on (normalization); the Fast-Slow RNN at AdamW ``weight_decay=50`` and
  the Document Reader at Adamax ``weight_decay=1`` (regularization); the Document Reader's answer spans permuted within
  every batch, apart from their passages (data); and the SVDF's energies log-compressed as ``log(e)`` without the
  floor, on utterances zero-padded with digital silence (``log 0 = -inf``, and the feature filter's sums of ``-inf``
  times weights of both signs are ``inf - inf``, NaN at step 0; numeric, with data);
- **slip** (a user's gradient-accumulation, loss-scaling or batch-averaging mistake, of a kind no earlier batch used;
  the loops are :class:`~.fresh106_builders.ScaledLoop` and :class:`~.fresh106_builders.AccumLoop`, a
  :class:`Setup` whose ``train_step`` is the user's own): the SVDF trained by a hand-written fp16-style dynamic loss
  scaler kept after the model went back to float32, initial scale 128 doubled after every 16 steps without an
  overflow (there is none in float32), whose unscaling multiplies the gradients by ``inv_scale`` computed once, before
  the loop, from the initial scale (where ``1 / scale`` at every step belongs): after every doubling the gradients
  reaching plain SGD are twice as large again, an lr of 0.05 x 2^(step / 16) in effect, and the run diverges at step
  50 or 51, when it has reached 0.4 (lr: the effective step size grows without bound, the model, the data and the loss
  being sound; numeric is only the end of the divergence); the log-bilinear LM's label smoothing 0.1 written
  ``nn.KLDivLoss()(log_softmax(logits), smoothed)``, the default ``reduction="mean"``, which averages over the 64
  words as well as the batch, where ``reduction="batchmean"`` gives the KL (the loss and every gradient are 64 times
  too small: SGD at lr 0.1 moves as at lr 0.0016, and the loss stays at its start; lr, the effective step, the
  objective being otherwise the right one; its control is the same loss at ``"batchmean"``); and the log-bilinear
  LM's batch of 64 run as eight micro-batches of 8 whose loop only rebinds ``loss = criterion(...)`` at every
  micro-batch and calls ``(loss / 8).backward()`` once after the loop (the last micro-batch's gradient alone, divided
  by 8, reaches the step: an eighth of the data at an eighth of the lr; lr, the step size, with data, seven eighths of
  every batch never reaching the gradient, accepted; its control is the same loop with the backward inside it).
  Earlier accumulation and scaling slips (a static scale never unscaled or unscaled after the clip, micro-batches
  without the division by their number, ``backward`` on a running total, ``zero_grad`` once per epoch or at every
  micro-batch, a hand average over the samples, a sum reduction where the lr was set for the mean, a mean divided
  again by the tokens, micro-batches through BatchNorm) are not repeated: here a dynamic scaler's inverse goes stale,
  a ``KLDivLoss`` averages over the support, and the accumulated loss is a rebound name. None of the slips is an init,
  activation, depth, recurrence, normalization, regularization, data or numeric one by its first label.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all but the three slips' are the healthy builds (the slips' are the SVDF under the same loss-scaling loop with
the inverse taken every step, the log-bilinear LM with the smoothed KL at ``"batchmean"`` and the same accumulation
loop with the backward inside it).

Learning criteria: the cases compare with chance (the Markov text's 64 tokens, Charformer's and the SVDF's four
classes, the 16 senones, DrQA's ``2 ln 20`` for a start and an end over 20 positions); Tacotron 2's MSE has no chance
level and compares with its first loss. The label-smoothed KL's chance is ``ln 64 - H(t) = 3.429`` for the smoothed
target ``t``, and the ``"mean"`` slip's is that over 64, 0.0536 (``CONTROL_CHANCE`` holds the control's). Measured
plain runs, 200 steps (seed 0, seed 1): the Fast-Slow RNN 4.156 -> 1.326 and 4.155 -> 1.335; the sandwich
transformer 5.875 -> 1.417 and 6.012 -> 1.395; Charformer 1.407 -> 0.0109 and 1.352 -> 0.0294; the Document Reader
5.987 -> 0.403 and 5.996 -> 0.481; the SVDF 1.390 -> 0.0123 and 1.346 -> 0.0105; the log-bilinear LM 4.152 -> 1.120
and 4.158 -> 1.210; the hybrid DNN 4.522 -> 0.0250 and 5.111 -> 0.0241; Tacotron 2 0.6215 -> 0.3865 and 0.5529 ->
0.3719 (the criteria 0.466 and 0.415). Broken: ``charformer_init_std_1`` 7.989 -> 1.409 and 4.563 -> 1.413 (no
divergence; the criterion 1.040); ``svdf_relu_biases_minus_10`` 1.391 -> 1.384 and 1.369 -> 1.386;
``hybrid_dnn_hmm_30_sigmoid_layers`` 6.397 -> 2.822 and 6.030 -> 2.823; ``fast_slow_rnn_recurrent_weights_std_1``
4.175 -> 4.172 and 4.152 -> 4.174; ``sandwich_transformer_nag_lr30`` diverges at step 18 at both seeds (ends 942 and
962); ``charformer_adam_lr1`` diverges at step 1 at both seeds (ends 1.406 and 1.433; weights x36 and x38);
``tacotron2_adam_lr1`` diverges at step 1 at both seeds (ends 3.994 and 0.560; weights x38 and x32);
``log_bilinear_lm_sgd_lr10`` diverges at step 6 at both seeds, non-finite at step 11;
``sandwich_transformer_without_layernorm`` 8.475 and 8.542 at the start, diverges at steps 129 and 133 (ends 4,079 and
2,932); ``fast_slow_rnn_adamw_weight_decay_50`` 4.156 -> 4.159 and 4.155 -> 4.159; ``drqa_adamax_weight_decay_1``
5.987 -> 5.991 and 5.996 -> 5.991; ``drqa_answers_shuffled`` 5.986 -> 5.744 and 5.989 -> 5.690 (the criteria 4.49);
``svdf_log_energies_without_floor`` is non-finite at step 0 at both seeds (the loss itself);
``svdf_dynamic_loss_scale_stale_inverse`` diverges at steps 50 and 51, non-finite at steps 53 and 61;
``log_bilinear_lm_kldiv_reduction_mean`` 0.05349 -> 0.05335 and 0.05358 -> 0.05337 (the criterion 0.0402);
``log_bilinear_lm_accumulated_loss_overwritten`` 4.152 -> 3.891 and 4.158 -> 3.871. Controls of the slips: 1.390 ->
0.0123 and 1.346 -> 0.0105 (the SVDF under the right scaling loop, identical to its plain build), 3.423 -> 0.962 and
3.429 -> 1.035 (the smoothed KL at ``"batchmean"``), 4.152 -> 1.120 and 4.158 -> 1.210 (the right accumulation loop).
The cases run in 0.1 to 32 s a seed on a machine shared with three other helpers' runs (load about 6 on 2 cores); the
Fast-Slow RNN is the slowest (5.5 s a seed when the machine was less loaded), then Tacotron 2 and the sandwich
transformer (4 to 5 s unloaded).

Dropped or changed before the freeze (every figure above is from the final code): the hybrid DNN first used PyTorch's
default init and did not learn (2.828 -> 2.783 at seed 0 at SGD lr 0.1; likewise at lr 0.5 and 1, and with three
layers): it uses Glorot-uniform at gain 4. The log-bilinear LM first used lr 1.0 (diverged at step 56, non-finite at
81) and uses 0.1. Tacotron 2 at the paper's lr 1e-3 learned only narrowly (0.6215 -> 0.4491 against the criterion
0.466 at seed 0) and uses 3e-3. The sandwich transformer was first trained with Adam (betas 0.9, 0.98) at lr 1e-3
(5.875 -> 1.300), where it also learned without its LayerNorms (8.475 -> 1.293); it now keeps Baevski and Auli's NAG,
under which the LayerNorms are needed, and its lr common is lr 30 (NAG at lr 10 did not diverge: 5.875 -> 7.287,
unlearned). Charformer without its LayerNorms (1.410 -> 0.0318) and Tacotron 2 without its encoder BatchNorms
(0.6246 -> 0.3946) learned and were not kept. The accumulation slip was first written on the hybrid DNN (eight
micro-batches of 16 of its 128 frames) and learned there (4.522 -> 0.760 at seed 0): it moved to the log-bilinear LM.
Considered and not written: a token loss summed where the paper averages and a CTC or sequence loss divided by the
batch twice (earlier batches' sum-reduction and double-division slips), and any scaling slip on an Adam-family model
(Adam, Adamax and their kin divide a constant gradient scale out of the step).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh106_builders as F

P = functools.partial
HALF = "fresh106"
#: chance losses: the Markov text's 64 tokens (the Fast-Slow RNN, the sandwich transformer, the log-bilinear LM),
#: four classes (Charformer's words, the SVDF's keywords), 16 senones (the hybrid DNN), DrQA's start and end over 20
#: passage positions; Tacotron 2's MSE has none (its first loss is the reference)
LM, C4, C16, SPAN = math.log(64), math.log(4), math.log(16), 2 * math.log(20)
#: the KL of a uniform prediction from the label-smoothed target (smoothing 0.1 over 64 words): ``ln 64 - H(t)``
_GOLD, _REST = 0.9 + 0.1 / 64, 0.1 / 64
KL = math.log(64) + _GOLD * math.log(_GOLD) + 63 * _REST * math.log(_REST)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH106_HEALTHY: list[Case] = [
    _h("fast_slow_rnn_lm", HALF, "fast_slow_rnn", F.fast_slow, LM),
    _h("sandwich_transformer_lm", HALF, "sandwich_transformer", F.sandwich, LM),
    _h("charformer_byte_words", HALF, "charformer", F.charformer, C4),
    _h("drqa_reader_spans", HALF, "drqa_document_reader", F.drqa, SPAN),
    _h("svdf_keywords", HALF, "svdf_kws", F.svdf, C4),
    _h("log_bilinear_lm_ngrams", HALF, "log_bilinear_lm", F.lbl, LM),
    _h("hybrid_dnn_hmm_senones", HALF, "hybrid_dnn_hmm", F.dnn_hmm, C16),
    _h("tacotron2_spectrograms", HALF, "tacotron2", F.tacotron2, None),
]

FRESH106_BROKEN: list[Case] = [
    # init
    _b("charformer_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.charformer, init_std=1.0), C4),
    # activation
    _b("svdf_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.svdf, relu_bias=-10.0), C4),
    # depth
    _b("hybrid_dnn_hmm_30_sigmoid_layers", HALF, ("depth", "activation", "init"), VANISH, STUCK,  # kind: common
       P(F.dnn_hmm, layers=30), C16),
    # recurrence
    _b("fast_slow_rnn_recurrent_weights_std_1", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.fast_slow, rec_std=1.0), LM),
    # lr
    _b("sandwich_transformer_nag_lr30", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.sandwich, lr=30.0), LM),
    _b("charformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.charformer, lr=1.0), C4),
    _b("tacotron2_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.tacotron2, lr=1.0), None),
    _b("log_bilinear_lm_sgd_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.lbl, lr=10.0), LM),
    # normalization
    _b("sandwich_transformer_without_layernorm", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.sandwich, ln=False), LM),
    # regularization
    _b("fast_slow_rnn_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.fast_slow, weight_decay=50.0), LM),
    _b("drqa_adamax_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.drqa, weight_decay=1.0), SPAN),
    # data
    _b("drqa_answers_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.drqa, shuffled=True), SPAN),
    # numeric
    _b("svdf_log_energies_without_floor", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.svdf, floor=0.0), C4),
    # slips: gradient accumulation, loss scaling, batch averaging
    _b("svdf_dynamic_loss_scale_stale_inverse", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: slip
       P(F.svdf, stale=True), C4),
    _b("log_bilinear_lm_kldiv_reduction_mean", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.lbl, smoothing="mean"), KL / 64),
    _b("log_bilinear_lm_accumulated_loss_overwritten", HALF, ("lr", "data"), VANISH, STUCK,  # kind: slip
       P(F.lbl, micro=8, overwrite=True), LM),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "charformer_init_std_1": "common", "svdf_relu_biases_minus_10": "common",
    "hybrid_dnn_hmm_30_sigmoid_layers": "common", "fast_slow_rnn_recurrent_weights_std_1": "common",
    "sandwich_transformer_nag_lr30": "common", "charformer_adam_lr1": "common", "tacotron2_adam_lr1": "common",
    "log_bilinear_lm_sgd_lr10": "common", "sandwich_transformer_without_layernorm": "common",
    "fast_slow_rnn_adamw_weight_decay_50": "common", "drqa_adamax_weight_decay_1": "common",
    "drqa_answers_shuffled": "common", "svdf_log_energies_without_floor": "common",
    "svdf_dynamic_loss_scale_stale_inverse": "slip", "log_bilinear_lm_kldiv_reduction_mean": "slip",
    "log_bilinear_lm_accumulated_loss_overwritten": "slip",
}

#: the cases (half "fresh106")
FRESH106: list[Case] = FRESH106_HEALTHY + FRESH106_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "charformer_init_std_1": F.charformer,
    "svdf_relu_biases_minus_10": F.svdf,
    "hybrid_dnn_hmm_30_sigmoid_layers": F.dnn_hmm,
    "fast_slow_rnn_recurrent_weights_std_1": F.fast_slow,
    "sandwich_transformer_nag_lr30": F.sandwich,
    "charformer_adam_lr1": F.charformer,
    "tacotron2_adam_lr1": F.tacotron2,
    "log_bilinear_lm_sgd_lr10": F.lbl,
    "sandwich_transformer_without_layernorm": F.sandwich,
    "fast_slow_rnn_adamw_weight_decay_50": F.fast_slow,
    "drqa_adamax_weight_decay_1": F.drqa,
    "drqa_answers_shuffled": F.drqa,
    "svdf_log_energies_without_floor": F.svdf,
    "svdf_dynamic_loss_scale_stale_inverse": P(F.svdf, stale=False),
    "log_bilinear_lm_kldiv_reduction_mean": P(F.lbl, smoothing="batchmean"),
    "log_bilinear_lm_accumulated_loss_overwritten": P(F.lbl, micro=8),
}

#: the chance loss of a control whose loss differs from its case's (the KL of the label-smoothed target)
CONTROL_CHANCE = {"log_bilinear_lm_kldiv_reduction_mean": KL}
