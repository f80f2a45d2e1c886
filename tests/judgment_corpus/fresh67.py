"""The sixty-eighth held-out batch (half ``"fresh67"``): eight published sequence architectures new to the corpus at
their usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch
before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 670_000 + seed, as are the inits): UnICORNN (Rusch and Mishra 2021, narrowed: two
stacked layers of 64 undamped independent oscillators ``y'' = -(tanh(w y + V u + b) + alpha y)`` integrated by
symplectic Euler with the learned step ``dt sigmoid(c)``, ``dt`` 0.126 and ``alpha`` 13 (values of the paper's
range, set here), the reference code's init (``w`` uniform in [0, 1], ``c`` uniform in [-0.1, 0.1], ``V``
Kaiming-normal), a Linear read-out of the last state; Adam lr 3e-3, set here) classifying 2-channel series of 32
steps whose class is a zero-sum +-1 code in their first 8 steps only (4 classes), the MI-RNN (Wu et al. 2016: the
general multiplicative-integration form ``tanh(alpha * Wx * Uh + beta1 * Uh + beta2 * Wx + b)``, 64 units over
embeddings of 32, ``alpha``, ``beta1``, ``beta2`` started at 1, 0.5, 0.5, Xavier-uniform ``W`` and ``U``; Adam lr
1e-3, set here) classifying 16-token sequences by their majority class (4 classes), SGConv (Li et al. 2022, narrowed:
a Linear encoder to 32 channels, two pre-LayerNorm residual blocks of the structured global convolution (sub-kernels
of 16 taps upsampled by ``2^max(0, i-1)``, weighted ``0.5^i``, concatenated to the sequence's length and divided by
their norm at init, applied causally by FFT, plus ``D x``), GELU, dropout 0.1 and a Linear, as in the S4 blocks the
reference code builds on, the last position decoded; AdamW lr 4e-3 weight decay 0.05, S4-style values set here) on
the same marked series at 64 steps, Based (Arora et al. 2024, narrowed: embeddings of 32, two pre-LayerNorm blocks of a
short causal depthwise convolution (kernel 3), the linear attention with the second-order Taylor feature map (2 heads
of 8, run as its causal recurrence ``S_t = S_(t-1) + phi(k_t) v_t^T``, ``y_t = phi(q_t) S_t / phi(q_t) . z_t``) and a
GELU MLP, the sliding-window attention left out, tied output, N(0, 0.02^2) init; AdamW lr 3e-3, betas (0.9, 0.95),
weight decay 0.1, set here) as a language model on a stream of the corpus' sparse Markov language batchified the
batch-major way of PyTorch's ``word_language_model`` example (8 rows, chunks of 32), FFTNet (Jin et al. 2018,
narrowed: six FFT layers of 32 channels, ``relu(W relu(W_L x_left + W_R x_right))`` over windows halving from 64 to
2, the one-hot mu-law class of each sample in, a 1x1 layer to the 64 mu-law classes of the next sample; PyTorch's
default init; Adam lr 3e-3, set here) on clips of two slow sinusoids (periods 40 to 120 samples) quantised to 64
mu-law levels, Jasper (Li et al. 2019, narrowed: a prologue convolution of kernel 11, two blocks of two sub-blocks
(kernels 13 and 15, 32 channels, the block's 1x1-projected input added before the last ReLU), the epilogue
convolutions (kernel 17 to 64, then 1x1 to 8 symbols and the blank), BatchNorm, ReLU and dropout 0.2 throughout,
Xavier-uniform convolutions as NeMo's code; SGD with momentum 0.9 at lr 0.1 and weight decay 1e-3, set here as the
paper's NovoGrad is not in PyTorch) trained with CTC on utterances of 48 frames of 16 features holding 3 to 5 symbol
templates (4 to 6 frames each, noise 0.5), FEDformer (Zhou et al. 2022, narrowed to its encoder: the circular token
convolution to 32, one layer of the frequency-enhanced block FEB-f (the 8 lowest modes, a complex 8x8 weight per mode
and head at the reference code's ``rand / d^2``), the series decompositions (moving average of 13), the GELU 1x1
feed-forward of 64, dropout 0.05, the seasonal LayerNorm; the decoder replaced by Linear maps along time of the
seasonal output and of the input's trend; Adam lr 1e-3, set here (the reference's 1e-4 is for epochs of real data))
forecasting 16 steps of three seasonal variables with a random trend from 48, and LogNormMix (Shchur, Bilos and
Guennemann 2020, narrowed: marks embedded to 32 beside the standardised log interval, a GRU of 64 packed by the
sequences' lengths, a mixture of 16 log-normals for the next interval and a softmax for the next mark; Adam at the
reference code's lr 1e-3 and weight decay 1e-5) on marked event sequences of 12 to 24 events (a Markov chain of 4
marks, the interval after each mark log-normal with its own log-mean, log-scale 0.3).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every FFTNet convolution drawn N(0, 1)
  (init), FFTNet's ``W_L``/``W_R`` biases -10 (every split layer's ReLU dead; activation), UnICORNN 12 layers deep
  (each layer's oscillators answer their input about 5x smaller at init: the last step's states have a standard
  deviation of 0.027 after the first layer, 0.006 after the second and 5e-14 after the twelfth; depth), UnICORNN's
  base time step 2.0 (16x: the symplectic step is unstable once ``(dt sigmoid(c))^2 alpha > 4``, and the states
  reach 5e33 within the 32 steps; recurrence), the MI-RNN's recurrent matrix ``U`` drawn N(0, 1)
  (a gain of 8 over 64 units: the tanh state saturates and forgets; recurrence, init), FEDformer at Adam lr 1, Based
  at AdamW lr 1 and SGConv at AdamW lr 1 (lr), Jasper without its BatchNorms at its SGD lr 0.1 (normalization),
  SGConv at AdamW ``weight_decay=10`` (each step shrinks every weight by 4%; regularization), the MI-RNN's labels
  permuted within every batch, apart from their sequences (data), and LogNormMix on timestamps recorded in whole
  seconds, so that events in the same second have an interval of exactly 0 and its ``log`` is ``-inf`` (numeric,
  data);
- **slip** (a user's mistake in recurrent-state or sequence-batching code, of a kind no earlier batch used):
  UnICORNN's step written ``y, z = cell(u_t, y0, z0)``, the initial zero state passed at every step instead of the
  carried one (no step sees the one before; recurrence), ``nn.Dropout(0.3)`` applied to UnICORNN's carried state
  ``(y, z)`` at every step, a fresh mask each step, instead of once to the layer's outputs (the marked steps'
  trace passes 24 fresh masks on its way to the read-out; regularization, recurrence), the Based LM's stream batchified
  ``stream.view(-1, 8).t()``, the example's time-major recipe turned batch-major without care (each row takes every
  8th token, so neighbours in a row are 8 tokens apart in the text; data), and Based's recurrence reading its output
  from ``S_(t-1)``, ``z_(t-1)`` before the step's update (both zero at ``t = 0``: ``0 / 0``; numeric). None of the
  slips is an init, activation, depth, lr or normalization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is UnICORNN at its own two layers, the normalization case's Jasper
with its BatchNorms at the same SGD lr 0.1).

Learning criteria: the classifiers compare with chance (UnICORNN's, the MI-RNN's and SGConv's four classes, Based's
64 tokens, FFTNet's 64 mu-law levels: the criteria 1.040 and 3.119); Jasper, FEDformer and LogNormMix compare with
their first loss. Measured plain runs, 200 steps (seed 0, seed 1): UnICORNN 1.383 -> 0.736 and 1.382 -> 0.718; the
MI-RNN 1.373 -> 0.244 and 1.398 -> 0.198; SGConv 1.355 -> 0.0538 and 1.551 -> 0.0707; Based 4.167 -> 1.305 and 4.160
-> 1.289; FFTNet 4.191 -> 2.156 and 4.174 -> 2.317; Jasper 23.71 -> 2.149 and 20.77 -> 1.896; FEDformer 0.684 ->
0.0276 and 0.801 -> 0.0276; LogNormMix 2.695 -> 0.845 and 2.683 -> 0.835. Broken: ``fftnet_init_std_1`` 3.4e8 ->
3.8e3 and 1.7e8 -> 3.8e4 (no divergence; the weight norm never moves); ``fftnet_relu_biases_minus_10`` 4.191 -> 3.736
and 4.175 -> 3.725; ``unicornn_12_layers`` 1.389 -> 1.385 and 1.387 -> 1.387; ``unicornn_time_step_2`` stays finite
and stuck (2.8e32 -> 3.0e32 and 3.6e32 -> 3.6e32); ``mi_rnn_recurrent_normal_std_1`` 1.424 -> 1.402 and 1.550 ->
1.408; ``unicornn_initial_state_every_step`` 1.383 -> 1.385 and 1.382 -> 1.387; ``fedformer_adam_lr1`` diverges at
step 1 at both seeds (ends 3.482 and 1.203; weights x56 at step 0); ``based_adamw_lr1`` diverges at step 1 at both
seeds (ends 4.219 and 4.175; weights x22 at step 1); ``sgconv_adamw_lr1`` diverges at step 1 at both seeds (ends
1.413 and 1.420; weights x4); ``jasper_without_batchnorm_sgd_lr0.1`` diverges at step 1 and is non-finite at steps 4
and 7; ``sgconv_adamw_weight_decay_10`` 1.355 -> 1.386 and 1.551 -> 1.386; ``unicornn_dropout_on_the_carried_state``
1.371 -> 1.399 and 1.364 -> 1.395; ``mi_rnn_labels_shuffled`` 1.411 -> 1.233 and 1.428 -> 1.228;
``based_stream_batchified_interleaved`` 4.169 -> 3.788 and 4.163 -> 3.777; ``lognormmix_whole_second_timestamps`` and
``based_state_read_before_written`` are non-finite at step 0 at both seeds (the loss itself). On a machine shared
with other work (a load of about 10 on 2 cores) most cases ran in 0 to 16 s a seed, Based's in 11 to 32 s and
``unicornn_12_layers`` in 53 to 61 s (Python loops over the steps and layers).

Dropped or changed before the freeze (every figure above is from the final code): the models were first wider and
their batches larger; the first timings (Based 46 s, SGConv 33 s and Jasper 31 s a seed under the same load) made
them narrower. FFTNet first took the mu-law value itself as input on clips of periods 6 to 40 with noise 0.02 and did
not learn (4.164 -> 3.800 and 4.160 -> 3.787 at Adam lr 1e-3), nor with one-hot inputs (4.178 -> 3.779 and 4.179 ->
3.746); the clips are slower and quieter now and the lr 3e-3. Jasper was first trained with Adam lr 1e-3: without its
BatchNorms it learned there (25.35 -> 2.339 and 19.19 -> 2.342), and at Adam lr 1 it learned after a spike (23.71 ->
2.54 and 20.77 -> 2.61), so its optimiser is SGD at lr 0.1 and its lr case was dropped. SGConv without its
LayerNorms learned (1.373 -> 0.0865 and 1.529 -> 0.0557), as did the Based LM (on independent Markov batches, before
its data became a stream) at N(0, 1) init (14.11 -> 2.821 and 13.48 -> 2.866) and without its LayerNorms (4.161 ->
1.814 and 4.163 -> 1.737); none was kept. FEDformer on raw units (a level of 5000 and a scale of 500, no
standardisation) fell by the first-loss criterion (3.77e7 -> 2.16e5 and 3.76e7 -> 2.11e5) and was dropped.
UnICORNN at 8 layers learned at seed 1 (1.380 -> 0.725); the depth case has 12. LogNormMix's timestamps rounded to
0.1 never gave a zero interval and learned (2.697 -> 0.779 and 2.692 -> 0.856); they are whole seconds. A LogNormMix
slip, the batch sorted by length for ``pack_padded_sequence`` and the GRU's outputs never put back in order (2.702
-> 2.624 and 2.716 -> 2.621), was measured and dropped because an earlier batch's CLDNN case made the same mistake;
LogNormMix at Adam ``weight_decay=1`` (2.695 -> 2.673 and 2.683 -> 2.685) and at Adam lr 1 (non-finite at step 2)
also failed but were left out to keep the batch at sixteen (Jasper has no broken case). The commons outnumber the
slips (12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh67_builders as F

P = functools.partial
HALF = "fresh67"
#: chance losses: four classes (UnICORNN's and SGConv's marked series, the MI-RNN's majority classes), 64 tokens (the
#: Based LM) and 64 mu-law levels (FFTNet); Jasper's CTC, FEDformer's MSE and LogNormMix's likelihood have none (their
#: first loss is the reference)
C4, C64 = math.log(4), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH67_HEALTHY: list[Case] = [
    _h("unicornn_marked_series", HALF, "unicornn", F.unicornn, C4),
    _h("mi_rnn_majority_tokens", HALF, "mi_rnn", F.mi_rnn, C4),
    _h("sgconv_long_marked_series", HALF, "sgconv", F.sgconv, C4),
    _h("based_markov_stream", HALF, "based", F.based, C64),
    _h("fftnet_mu_law_clips", HALF, "fftnet", F.fftnet, C64),
    _h("jasper_ctc_utterances", HALF, "jasper", F.jasper, None),
    _h("fedformer_forecasts", HALF, "fedformer", F.fedformer, None),
    _h("lognormmix_event_sequences", HALF, "lognormmix", F.lognormmix, None),
]

FRESH67_BROKEN: list[Case] = [
    # init
    _b("fftnet_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.fftnet, init_std=1.0), C64),
    # activation
    _b("fftnet_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.fftnet, relu_bias=-10.0), C64),
    # depth
    _b("unicornn_12_layers", HALF, ("depth",), VANISH, STUCK,  # kind: common
       P(F.unicornn, layers=12), C4),
    # recurrence
    _b("unicornn_time_step_2", HALF, ("recurrence",), BOTH, STUCK,  # kind: common
       P(F.unicornn, dt=2.0), C4),
    _b("mi_rnn_recurrent_normal_std_1", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.mi_rnn, recurrent_std=1.0), C4),
    _b("unicornn_initial_state_every_step", HALF, ("recurrence",), VANISH, STUCK,  # kind: slip
       P(F.unicornn, initial_each_step=True), C4),
    # lr
    _b("fedformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fedformer, lr=1.0), None),
    _b("based_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.based, lr=1.0), C64),
    _b("sgconv_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.sgconv, lr=1.0), C4),
    # normalization
    _b("jasper_without_batchnorm_sgd_lr0.1", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.jasper, bn=False), None),
    # regularization
    _b("sgconv_adamw_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.sgconv, weight_decay=10.0), C4),
    _b("unicornn_dropout_on_the_carried_state", HALF, ("regularization", "recurrence"), VANISH,  # kind: slip
       STUCK, P(F.unicornn, state_dropout=0.3), C4),
    # data
    _b("mi_rnn_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.mi_rnn, shuffled=True), C4),
    _b("based_stream_batchified_interleaved", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.based, interleaved=True), C64),
    # numeric
    _b("lognormmix_whole_second_timestamps", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.lognormmix, resolution=1.0), None),
    _b("based_state_read_before_written", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.based, read_before_write=True), C64),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "fftnet_init_std_1": "common", "fftnet_relu_biases_minus_10": "common", "unicornn_12_layers": "common",
    "unicornn_time_step_2": "common", "mi_rnn_recurrent_normal_std_1": "common",
    "unicornn_initial_state_every_step": "slip", "fedformer_adam_lr1": "common", "based_adamw_lr1": "common",
    "sgconv_adamw_lr1": "common", "jasper_without_batchnorm_sgd_lr0.1": "common",
    "sgconv_adamw_weight_decay_10": "common", "unicornn_dropout_on_the_carried_state": "slip",
    "mi_rnn_labels_shuffled": "common", "based_stream_batchified_interleaved": "slip",
    "lognormmix_whole_second_timestamps": "common", "based_state_read_before_written": "slip",
}

#: the cases (half "fresh67")
FRESH67: list[Case] = FRESH67_HEALTHY + FRESH67_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "fftnet_init_std_1": F.fftnet,
    "fftnet_relu_biases_minus_10": F.fftnet,
    "unicornn_12_layers": F.unicornn,
    "unicornn_time_step_2": F.unicornn,
    "mi_rnn_recurrent_normal_std_1": F.mi_rnn,
    "unicornn_initial_state_every_step": F.unicornn,
    "fedformer_adam_lr1": F.fedformer,
    "based_adamw_lr1": F.based,
    "sgconv_adamw_lr1": F.sgconv,
    "jasper_without_batchnorm_sgd_lr0.1": F.jasper,
    "sgconv_adamw_weight_decay_10": F.sgconv,
    "unicornn_dropout_on_the_carried_state": F.unicornn,
    "mi_rnn_labels_shuffled": F.mi_rnn,
    "based_stream_batchified_interleaved": F.based,
    "lognormmix_whole_second_timestamps": F.lognormmix,
    "based_state_read_before_written": F.based,
}
