"""The seventy-fifth held-out batch (half ``"fresh74"``): eight published sequence models (recurrent, convolutional,
state-space and attention models of text and speech) new to the corpus at their usual settings, and sixteen broken
variants with one real fault each, written and labelled with plain PyTorch before gradguard was ever run on them.
Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 740_000 + seed): the peephole LSTM (Gers, Schraudolph and Schmidhuber 2002,
narrowed: embeddings of 32, one hand-written layer of 64 cells whose gates see the cell state through diagonal
peephole weights initialised 0, the forget-gate bias 1, the last state to the classifier; Adam at lr 3e-3, set here,
gradients clipped at 1) labelling token sequences of 12 by the class of their first token (4 classes), the
character-level ConvNet (Zhang, Zhao and LeCun 2015, narrowed: one-hot characters (32), six temporal convolutions of
64 (kernels 7, 7, 3, 3, 3, 3) with ReLU and max-pooling by 3 after the first, second and sixth, two fully connected
layers of 128 with dropout 0.5; the paper's small-model init N(0, 0.05^2); Adam at lr 1e-3, set here) finding which
of four fixed 4-character motifs a random string of 96 holds, the deep biaffine parser (Dozat and Manning 2017,
narrowed to its arc scorer: embeddings of 32, a BiLSTM of 64 a direction, the dependent and head ReLU MLPs of 64 with
dropout 0.33, the biaffine ``d_i U h_j + h_j u`` with U at 0; Adam with the paper's betas (0.9, 0.9) and lr 2e-3,
gradients clipped at 5) choosing each word's head among the 16 positions of synthetic dependency sentences (the head
``1 + word % 3`` positions to the left, the ROOT at position 0), the decomposable attention model (Parikh et al. 2016,
without intra-sentence attention: embeddings of 32 projected to 64, attend ``F``, compare ``G``, aggregate by sums and
``H``, each a two-layer ReLU net of 64; PyTorch's default init; Adam at lr 3e-3, set here) on synthetic sentence pairs
of 10 and 4 words labelled entailment (every hypothesis word in the premise), neutral (none) or a partial overlap (two),
Mega (Ma et al. 2023, narrowed to a causal LM: embeddings of 64, two Mega layers with the multi-dimensional damped EMA
(dimension 8), the single-head gated softmax attention (shared dimension 32, value dimension 128) and a SiLU
feed-forward of 2x, RMSNorm (Mega's ``rmsnorm`` option), the tied output; AdamW betas (0.9, 0.98) weight decay 0.1 at
lr 2e-3 after 20 warm-up steps), the Gated State Space LM (Mehta et al. 2023, narrowed: embeddings of 64 and a
begin-of-sequence token, three pre-LN GSS layers (``gelu`` branches of 3d and d/4, a DSS-exp state space of 16 with
S4D-Lin's eigenvalues, the gate ``W4 (W3 DSS(v) * u)``), hand-written LayerNorms; AdamW lr 1e-3, set here, weight
decay 0.01 after 20 warm-up steps) and the gated-feedback RNN (Chung et al. 2015, narrowed: embeddings of 32, three
hand-written tanh layers of 64 in which every layer reads every layer's previous state through its own matrix scaled
by a global reset gate, the output reading all three; RMSprop, the paper's, at lr 2e-3, set here, gradients clipped
at 1) on the corpus' Markov text (batch 8 of 32 tokens), and Citrinet (Majumdar et al. 2021, narrowed: the log-mel
front end ``log(power + 1e-6)``, a prolog separable conv of 32 (kernel 5), three blocks of two 1D time-channel
separable convs (kernels 7, 9, 11; the first block of stride 2) with squeeze-and-excitation and a pointwise residual,
an epilog, every norm a BatchNorm written by hand; SGD momentum 0.9 weight decay 1e-3 at lr 0.05, NeMo's NovoGrad lr,
NovoGrad not being in PyTorch) spotting 4 keywords in zero-padded mel power spectrograms of 24 to 48 frames.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): the character-level ConvNet's weights drawn
  N(0, 1) where the paper draws N(0, 0.05^2) (the logits start near 1e9; init), the biaffine parser's dependent and
  head MLPs' ReLU biases at -10 (every unit dead: every arc score is the same 0; activation, with init), the
  ConvNet as a plain stack of 24 convolutions at PyTorch's default init (no residuals, no norm: the signal and the
  gradient vanish through the stack; depth, with init), the peephole LSTM's forget-gate bias at -10 (``f = 4.5e-5``:
  the cell forgets every step, and the first token cannot be carried to the end; recurrence), the GF-RNN's every
  recurrent matrix rescaled to spectral radius 20 (the tanh states saturate at +-1 whatever the input, so the current
  token barely reaches the output; recurrence, with init), Mega at AdamW lr 1, the GF-RNN at RMSprop lr 1, Citrinet at
  SGD lr 5 and the biaffine parser at Adam lr 1 (lr), Citrinet without its BatchNorms at the same SGD lr 0.05 (the
  convs keep biases; normalization, with lr accepted), the decomposable attention model at Adam ``weight_decay=10``
  (regularization), its labels permuted within every batch, apart from their pairs (data), and Citrinet's front end
  written ``log(power)`` without the guard, on utterances zero-padded with silence (``log 0 = -inf`` at step 0;
  numeric, with data);
- **slip** (a user's mistake in a hand-written normalisation layer, of a kind no earlier batch used): the GSS LM's
  hand-written LayerNorm taking its mean over the features but its variance with ``x.var(0, keepdim=True)``, over the
  batch axis (the variance's axis mistyped; normalization, the norm layer's statistic being wrong, with numeric: the
  begin-of-sequence position holds the same vector in every sequence of the batch, and stays so through the causal
  layers, so its variance over the batch is exactly 0 and every LayerNorm multiplies it by ``1 / sqrt(1e-5) = 316``;
  compounded over four LayerNorms and the multiplicative gates, that position's logits are 4e33, the loss 1e32 and
  the first update non-finite); Citrinet's hand-written BatchNorm unpacking ``mean, var = torch.var_mean(x, dim=(0,
  2))``, whose return order is ``(var, mean)`` (the layer computes ``(x - var) / sqrt(mean + eps)``; the
  pre-activation channels' batch means are negative for about half the channels: ``sqrt`` of a negative number is NaN
  at the first forward; normalization, the norm's statistics swapped, with numeric); and Mega's norms replaced by a
  hand-written cumulative LayerNorm (Conv-TasNet's cLN, a streaming-safe normalisation brought over from causal speech
  separation) whose per-step counts are written ``torch.arange(0, d * T, d)`` where ``torch.arange(d, d * (T + 1),
  d)`` belongs (the count starts at 0: the first step's mean and variance are ``0 / 0``, NaN at step 0; numeric first,
  a division by a zero count, with normalization). Earlier normalisation slips (an eps outside the root, an RMSNorm
  without eps, a division by the variance, a precedence slip, an inverted or detached training test, an eps of 1e5,
  eps and momentum swapped, one-pass variances, the channel axis of size 1, a domain's statistics over the features,
  a GroupNorm of single channels, a BatchNorm frozen or left in eval mode, micro-batches of 2, a LayerNorm on a
  scalar output) are not repeated: here the variance is taken over the batch axis, ``torch.var_mean``'s return order
  is misread, and a cumulative count is off by one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1: the healthy builds (the depth case's is the ConvNet at its own six layers), but the cLN slip's, which is Mega
with the cumulative LayerNorm counted from 1 (5.529 -> 1.179 and 5.373 -> 1.178).

Learning criteria: every case compares with chance (the Markov text's 64 tokens: 3.119; four classes: 1.040; the
pairs' three classes: 0.824; the parser's 16 candidate heads: 2.079). Measured plain runs, 200 steps (seed 0, seed
1): the peephole LSTM 1.399 -> 0.0307 and 1.375 -> 0.0344; the character-level ConvNet 1.386 -> 0.865 and 1.386 ->
0.894; the biaffine parser 2.773 -> 1.029 and 2.773 -> 0.992; the decomposable attention model 1.115 -> 0.0564 and
1.091 -> 0.0210; Mega 5.556 -> 1.189 and 5.278 -> 1.176; Citrinet 1.346 -> 0.0039 and 1.456 -> 0.0035; the GSS LM
4.321 -> 1.188 and 4.289 -> 1.202; the GF-RNN 4.197 -> 1.164 and 4.136 -> 1.142. Broken: ``char_cnn_init_std_1``
1.37e9 -> 7.9e7 and 8.6e8 -> 6.5e7 (no divergence; the weight norm never moves);
``biaffine_parser_relu_biases_minus_10`` 2.773 -> 2.773 at both seeds; ``char_cnn_24_conv_layers_default_init`` 1.400
-> 1.386 and 1.399 -> 1.386;
``peephole_lstm_forget_bias_minus_10`` 1.403 -> 1.232 and 1.381 -> 1.234; ``gf_rnn_recurrent_radius_20`` 4.267 ->
4.320 and 4.363 -> 4.311; ``mega_adamw_lr1`` diverges at step 163 at seed 0 (ends 7.153) and does not learn at seed 1
(5.278 -> 4.293; weights x6.6 at both); ``gf_rnn_rmsprop_lr1`` diverges at step 1 at both seeds (ends 88.7 and 85.1;
weights x95 and x94 at step 0); ``citrinet_sgd_lr5`` diverges at steps 1 and 45 (ends 1.743 and 2.471; weights x10 at
steps 11 and 75); ``biaffine_parser_adam_lr1`` diverges at step 2 at both seeds (ends 17.3 and 56.3; weights x72 and
x74); ``citrinet_without_batchnorm`` 1.375 -> 1.392 and 1.388 -> 1.390; ``decomposable_attention_adam_weight_decay_10``
1.115 -> 1.099 and 1.091 -> 1.099; ``decomposable_attention_labels_shuffled`` 1.113 -> 1.050 and 1.093 -> 1.057;
``citrinet_log_mel_without_guard``, ``citrinet_batchnorm_var_mean_unpacked_swapped`` and
``mega_cumulative_layernorm_count_from_zero`` are non-finite at step 0 at both seeds (the loss itself);
``gss_layernorm_variance_over_batch_axis``'s first loss is finite (1.3e32 and 9.9e29) and its first update makes the
weights non-finite (step 0 at both seeds). The cases ran in 0.1 to 43 s a seed with four of them at a time on a
machine shared with three other helpers' runs (load about 7 on 2 cores); the GF-RNN (a Python loop over 32 steps of
three layers) is the slowest, about 6 s a seed when the machine was less loaded.

Dropped or changed before the freeze (every figure above is from the final code): the character-level ConvNet at the
paper's SGD (momentum 0.9, lr 0.01) did not move (1.386 -> 1.387 at seed 0), nor at lr 0.1 or at PyTorch's default
init with lr 0.05; it uses Adam at 1e-3 (at 2e-3 it learned at seed 0 only: 0.841 and 1.139). The decomposable
attention model at the paper's Adagrad lr 0.05 with its N(0, 0.01^2) init and dropout 0.2 did not learn (1.099 ->
1.076 at seed 0), nor at Adagrad lr 0.2 or at Adam 3e-3 with dropout; without dropout and at PyTorch's init, Adagrad
0.05 learned at seed 0 only (0.516 and 0.852), so it uses Adam at 3e-3 without dropout (its ``adam`` and
``init_std`` switches keep the paper's choices, unused). Citrinet was first 64 channels wide (1.419 -> 0.0053, 21 to
57 s a seed under load) and is 32 wide. The depth case was first 30 convolutions (stuck as well, 40 to 61 s a seed
under load) and is 24. The GF-RNN's recurrent radius 3 learned (4.265 -> 2.621 and 4.288 -> 2.440): the Markov text
needs only the current token, which still reaches the output; radius 20 saturates the states and was kept. A first
third slip, Mega's RMSNorm with its mean of squares written as the square of the mean (``x.mean(-1).pow(2)``,
dividing by ``|mean|``), learned (7.029 -> 1.269 and 6.273 -> 1.237), and so did the RMSNorm dividing by the signed
mean at seed 1 (6.096 -> 1.237; seed 0 6.672 -> 6.429, divergence at step 152) and the RMSNorm multiplying by the root
mean square (``sqrt`` for ``rsqrt``: 4.159 -> 2.097 and 4.159 -> 2.090); none was kept, and the cumulative LayerNorm's
count took the third slip's place. Considered and not written, because a plain run would not fail: a LayerNorm's
statistics over the time axis of a causal model (the future leaks in, and the loss falls), a BatchNorm's affine
applied before its normalisation, and a LayerNorm without eps where a variance can be zero (the kind of ``fresh3``'s
RMSNorm and ``fresh12``'s LayerNorm).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh74_builders as F

P = functools.partial
HALF = "fresh74"
#: chance losses: the Markov text's 64 tokens (Mega, GSS, the GF-RNN), four classes (the peephole LSTM's first tokens,
#: the ConvNet's motifs, Citrinet's keywords), three (the sentence pairs), sixteen candidate heads (the parser)
LM, C4, C3, C16 = math.log(64), math.log(4), math.log(3), math.log(16)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH74_HEALTHY: list[Case] = [
    _h("peephole_lstm_first_token", HALF, "peephole_lstm", F.peephole_lstm, C4),
    _h("char_cnn_motifs", HALF, "char_cnn", F.char_cnn, C4),
    _h("biaffine_parser_arcs", HALF, "biaffine_parser", F.biaffine_parser, C16),
    _h("decomposable_attention_pairs", HALF, "decomposable_attention", F.decomposable_attention, C3),
    _h("mega_lm", HALF, "mega", F.mega, LM),
    _h("citrinet_keywords", HALF, "citrinet", F.citrinet, C4),
    _h("gss_lm", HALF, "gss", F.gss, LM),
    _h("gf_rnn_lm", HALF, "gf_rnn", F.gf_rnn, LM),
]

FRESH74_BROKEN: list[Case] = [
    # init
    _b("char_cnn_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.char_cnn, init_std=1.0), C4),
    # activation
    _b("biaffine_parser_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.biaffine_parser, mlp_bias=-10.0), C16),
    # depth
    _b("char_cnn_24_conv_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.char_cnn, layers=24, init_std=None), C4),
    # recurrence
    _b("peephole_lstm_forget_bias_minus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.peephole_lstm, forget_bias=-10.0), C4),
    _b("gf_rnn_recurrent_radius_20", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.gf_rnn, radius=20.0), LM),
    # lr
    _b("mega_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.mega, lr=1.0), LM),
    _b("gf_rnn_rmsprop_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.gf_rnn, lr=1.0), LM),
    _b("citrinet_sgd_lr5", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.citrinet, lr=5.0), C4),
    _b("biaffine_parser_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.biaffine_parser, lr=1.0), C16),
    # normalization
    _b("citrinet_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.citrinet, norm="none"), C4),
    _b("gss_layernorm_variance_over_batch_axis", HALF, ("normalization", "numeric"), EXPLODE,  # kind: slip
       DIVERGE, P(F.gss, var_dim=0), LM),
    _b("citrinet_batchnorm_var_mean_unpacked_swapped", HALF, ("normalization", "numeric"),  # kind: slip
       NONFINITE, ("nonfinite",), P(F.citrinet, norm="swapped"), C4),
    # regularization
    _b("decomposable_attention_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.decomposable_attention, weight_decay=10.0), C3),
    # data
    _b("decomposable_attention_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.decomposable_attention, shuffled=True), C3),
    # numeric
    _b("citrinet_log_mel_without_guard", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.citrinet, log_guard=0.0), C4),
    _b("mega_cumulative_layernorm_count_from_zero", HALF, ("numeric", "normalization"),  # kind: slip
       NONFINITE, ("nonfinite",), P(F.mega, norm="cln_count_from_zero"), LM),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "char_cnn_init_std_1": "common", "biaffine_parser_relu_biases_minus_10": "common",
    "char_cnn_24_conv_layers_default_init": "common", "peephole_lstm_forget_bias_minus_10": "common",
    "gf_rnn_recurrent_radius_20": "common", "mega_adamw_lr1": "common", "gf_rnn_rmsprop_lr1": "common",
    "citrinet_sgd_lr5": "common", "biaffine_parser_adam_lr1": "common", "citrinet_without_batchnorm": "common",
    "gss_layernorm_variance_over_batch_axis": "slip", "citrinet_batchnorm_var_mean_unpacked_swapped": "slip",
    "decomposable_attention_adam_weight_decay_10": "common", "decomposable_attention_labels_shuffled": "common",
    "citrinet_log_mel_without_guard": "common", "mega_cumulative_layernorm_count_from_zero": "slip",
}

#: the cases (half "fresh74")
FRESH74: list[Case] = FRESH74_HEALTHY + FRESH74_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "char_cnn_init_std_1": F.char_cnn,
    "biaffine_parser_relu_biases_minus_10": F.biaffine_parser,
    "char_cnn_24_conv_layers_default_init": F.char_cnn,
    "peephole_lstm_forget_bias_minus_10": F.peephole_lstm,
    "gf_rnn_recurrent_radius_20": F.gf_rnn,
    "mega_adamw_lr1": F.mega,
    "gf_rnn_rmsprop_lr1": F.gf_rnn,
    "citrinet_sgd_lr5": F.citrinet,
    "biaffine_parser_adam_lr1": F.biaffine_parser,
    "citrinet_without_batchnorm": F.citrinet,
    "gss_layernorm_variance_over_batch_axis": F.gss,
    "citrinet_batchnorm_var_mean_unpacked_swapped": F.citrinet,
    "decomposable_attention_adam_weight_decay_10": F.decomposable_attention,
    "decomposable_attention_labels_shuffled": F.decomposable_attention,
    "citrinet_log_mel_without_guard": F.citrinet,
    "mega_cumulative_layernorm_count_from_zero": P(F.mega, norm="cln"),
}
