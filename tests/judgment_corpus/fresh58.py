"""The fifty-ninth held-out batch (half ``"fresh58"``): eight published architectures new to the corpus at their usual
settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before gradguard
was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 580_000 + seed): DLA (Yu et al. 2018, narrowed to a CIFAR-style DLA: a base of 8
channels, then trees of depth 1, 2 and 1 with 16, 32, 64 channels whose roots (1x1 conv, BatchNorm, ReLU, the first
child as residual) aggregate the children and, from the second tree on, the down-sampled level input; Kaiming fan-out
init as the reference code; SGD at the paper's lr 0.1, momentum 0.9, weight decay 1e-4) on 16x16 class-template images
(10 classes), FC-DenseNet (Jegou et al. 2017, the "Tiramisu", narrowed: a 3x3 convolution to 16 maps, two dense blocks
of 3 layers (BN, ReLU, 3x3 conv, growth 8, dropout) each followed by a transition down, a bottleneck block, two
transitions up (a strided transposed convolution of the previous block's new maps only) concatenated with their skips
and followed by dense blocks, a 1x1 classifier; dropout 0.2 and He-uniform init; RMSprop at the paper's lr 1e-3 and
weight decay 1e-4, its per-epoch decay left out) segmenting 16x16 scenes of 4 colour-coded classes under noise and
uneven light, the Talking-Heads Transformer (Shazeer et al. 2020, narrowed as a text encoder: embeddings of 64, two
pre-LN layers of 4-head talking-heads attention (the heads' logits mixed by a learned 4x4 matrix before the softmax and
their weights by another after it, both from the identity) with a GELU feed-forward, dropout 0.1, the mean over the
unpadded tokens; N(0, 0.02^2) init; Adam at lr 1e-3, set here: the paper trains T5 with Adafactor) classifying padded
texts of 8 to 16 words by their cue words (4 classes), InferSent (Conneau et al. 2017, narrowed: embeddings of 32 for
GloVe's 300, the BiLSTM of 64 units a direction max-pooled over the unpadded steps, the NLI features ``[u, v, |u - v|, u
* v]``, a tanh MLP of 64 (512 in the paper); SGD at the paper's lr 0.1 with the reference code's gradient-norm clip 5,
its per-epoch decay left out) on synthetic NLI pairs (a hypothesis of 5 of the premise's words is entailed, with "not"
added contradicted, of other words neutral), nGPT (Loshchilov et al. 2024, narrowed: width 64, two blocks of 4 heads,
every hidden state on the unit sphere, ``h <- Norm(h + alpha (Norm( block(h)) - h))`` with the eigen learning rates
``alpha`` at 0.05, normalised and ``s_qk``-scaled queries and keys under RoPE with the softmax scale ``sqrt(d_k)``, the
SwiGLU MLP's ``s_u`` and ``s_nu``, the logits' ``s_z``, every scale stored at its scale and restored by ``init /
scale``; every matrix renormalised along the embedding axis after each optimizer step, by a step hook; Adam without
weight decay or warm-up as the paper, at lr 1.5e-3 set here) on the corpus' Markov language of 64 tokens, Trompt (Chen
et al. 2023, narrowed: width 32, 8 prompts, three cells (the column embeddings, the prompt-conditioned feature
importances ``softmax(SE E_column^T)``, the 1x1 expansion of the feature embeddings to every prompt), each cell's
prediction read by the shared downstream head and the loss averaged over the cells; AdamW at lr 1e-3 with weight decay
1e-5, set here) classifying a 2,048-row table of 8 count columns (binary; the counts min-max scaled by column),
PirateNet (Wang et al. 2024, narrowed: random Fourier features of 32 frequencies (sigma 2, set here), the gates ``U``,
``V``, two adaptive residual blocks of width 64 with ``alpha`` from 0, tanh, Glorot-normal init; its least-squares init
of the output layer and its loss weighting left out; Adam at the paper's lr 1e-3 without its exponential decay) solving
the Poisson problem ``-u'' = f`` on [0, 1] with 128 collocation points a batch (the squared residual by autograd plus
the squared boundary values), and the wavelet neural operator (Tripura and Chakraborty 2023, narrowed to 1-D: the
function and its grid lifted to 32 channels, four wavelet blocks ``gelu(K x + W x)`` whose integral layer mixes the
level-2 approximation and coarsest detail coefficients across channels (a Haar transform for the paper's db6), the
projection 32-128-1; the relative L2 loss, Adam at the reference code's lr 1e-3 and weight decay 1e-6, its step schedule
left out) learning the map from a pressure field (recorded in Pa around 101,325 Pa with anomalies of about +-150 Pa,
standardised in float32) to the solution of ``-u'' = a``.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh57``, two kinds of fault are mixed, and each
case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Talking-Heads Transformer Linear and
  embedding drawn N(0, 2^2) (init), InferSent's classifier biases at -10 (every tanh saturated at -1; activation),
  InferSent's classifier 30 tanh layers deep at PyTorch's default init (depth), InferSent's LSTM recurrent matrices
  drawn N(0, 5^2) (every gate saturated from the first step; recurrence), DLA at SGD lr 5, FC-DenseNet at RMSprop lr 1,
  PirateNet at Adam lr 1 and nGPT at Adam lr 10 (lr), DLA without its BatchNorms at its SGD lr 0.1 (normalization), the
  Talking-Heads Transformer at Adam ``weight_decay=10`` and Trompt at AdamW ``weight_decay=100`` (regularization),
  InferSent's labels permuted within every batch, apart from their pairs (data), and Trompt's table with 10% of its
  counts missing, left as NaN (numeric);
- **slip** (a user's dtype, precision or numerical-stability mistake of a kind no earlier batch used): Trompt's counts,
  read as ``int64`` as a CSV of counts is, min-max scaled column by column into the same tensor, ``x[:, j] = (x[:, j] -
  lo) / (hi - lo)`` (the true division's floats are truncated by the assignment into the integer tensor: every count but
  its column's maximum becomes 0; an integer tensor where a float was meant; data), Trompt's binary cross-entropy
  written out on the probabilities with its guards as ``p.clamp(max=eps).log()`` and ``(1 - p).clamp(max=eps).log()``
  where ``clamp(min=eps)`` belongs (every probability is clamped to eps = 1e-7: the loss is the constant ``-log(1e-7) =
  16.12`` and passes no gradient; a clamp bound on the wrong side; numeric), and WNO's pressures cast to bfloat16 before
  the standardisation, to halve the data's memory (bfloat16 keeps float32's range, so nothing overflows, but its spacing
  at 101,325 is 512 Pa: every anomaly between about -205 and +307 Pa rounds to 101,376 Pa, as does the float32 mean in
  the subtraction, and the standardised inputs are 0 almost everywhere; precision lost before centring; numeric).
  Earlier precision slips (the whole model or its Adam state in float16 or bfloat16, Adam's eps or a dB floor
  underflowing in float16, a float16 buffer's squares overflowing, integer floor divisions, a ``uint8`` wrap-around,
  softmaxes and log-sum-exps without the max shift, a one-pass variance) are not repeated: here an integer tensor
  truncates by assignment, a clamp guards the wrong side, and a narrow mantissa erases a signal riding on a large
  offset. No init, activation, depth, recurrence, lr, normalization or regularization slip was written: the commons
  outnumber the slips (13 to 3).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds but the missing-count case's, which is the same table with the missing counts set to their
column's mean.

Learning criteria: the classifiers compare with chance (DLA's ten classes, FC-DenseNet's and the Talking-Heads
Transformer's four, InferSent's three, nGPT's 64 tokens, Trompt's two); PirateNet and WNO compare with their first loss.
Measured plain runs, 200 steps (seed 0, seed 1): DLA 7.307 -> 1.9e-4 and 7.120 -> 3.6e-4; FC-DenseNet 2.132 -> 0.323 and
1.885 -> 0.339 (seed 0 spikes to 4.285 at step 1, RMSprop's first step being ten times its lr a weight, and falls below
its first loss by step 4); the Talking-Heads Transformer 1.380 -> 0.131 and 1.388 -> 0.137; InferSent 1.109 -> 0.310 and
1.093 -> 0.285; nGPT 4.170 -> 1.860 and 4.151 -> 1.863 (the criterion 3.119); Trompt 0.740 -> 0.382 and 0.672 -> 0.384
(the criterion 0.520 and 0.504); PirateNet 382.5 -> 0.327 and 396.9 -> 0.160; WNO 1.022 -> 0.674 and 1.188 -> 0.672 (the
criterion 0.767 and 0.891). Broken: ``talking_heads_init_std_2`` 9.330 -> 2.732 and 10.69 -> 2.632 (no divergence);
``infersent_tanh_biases_minus_10`` 1.189 -> 1.403 and 1.536 -> 1.324; ``infersent_30_layers_default_init`` 1.097 ->
1.099 and 1.106 -> 1.099; ``infersent_lstm_recurrent_std_5`` 1.100 -> 1.087 and 1.092 -> 1.080; ``dla_sgd_lr5`` diverges
at step 1 at both seeds (ends 2.952 and 2.975; weights x264 and x53); ``fc_densenet_rmsprop_lr1`` diverges at step 1 at
both seeds (ends 1.1e5 and 6.8e4; weights x110 and x113); ``pirate_net_adam_lr1`` diverges at step 1 at both seeds (ends
4.3e6 and 4810; weights x46 and x44); ``ngpt_adam_lr10`` diverges at step 1 at both seeds (ends 46.47 and 62.03; weights
x58 and x56); ``dla_without_batchnorm`` diverges at step 1 and is non-finite at step 2 at both seeds;
``talking_heads_adam_weight_decay_10`` 1.380 -> 1.386 and 1.388 -> 1.386; ``trompt_adamw_weight_decay_100`` 0.740 ->
0.693 and 0.672 -> 0.693; ``infersent_labels_shuffled`` 1.108 -> 1.096 and 1.091 -> 1.095;
``trompt_counts_min_max_scaled_into_int64`` 0.733 -> 0.695 and 0.671 -> 0.696; ``trompt_missing_counts_left_nan`` is
non-finite at step 0 at both seeds (the loss itself; its control 0.739 -> 0.468 and 0.673 -> 0.459);
``trompt_bce_clamped_with_max`` 16.12 -> 16.12 at both seeds; ``wno_pressures_cast_to_bfloat16`` 1.022 -> 1.002 and
1.186 -> 1.006. Every case runs at most 11.2 s a seed (DLA the slowest) on a machine of two cores shared with other work
at the time (load about 4); most run in 2 to 6 s.

Dropped or changed before the freeze (every figure above is from the final code): the batch was first built with CGNet
(Wu et al. 2020) for the segmentation and Fastformer (Wu et al. 2021) for the texts, and both learned (CGNet 1.571 ->
0.342 and 1.624 -> 0.359, Fastformer 1.403 -> 0.0841 and 1.386 -> 0.106); another helper's batch written at the same
time (``fresh61``) uses both families, so they were replaced by FC-DenseNet and the Talking-Heads Transformer, with
their cases carried over where the fault held: a fourth slip, Fastformer's 0/1 padding mask stored in float16 before the
additive bias ``(1 - mask) * -1e9`` was taken from it (expected: -1e9 rounds to -inf in float16 and ``0 * -inf`` is NaN
at every real token), trained exactly as the healthy Fastformer: PyTorch multiplies a half tensor by a Python scalar in
float32 arithmetic, so ``0 * -1e9`` is -0 before the cast (only the pads' -1e9 becomes -inf, which the softmax takes),
and it was not carried over; CGNet at Adam lr 1 learned after a spike (1.571 -> 0.559 and 1.624 -> 0.793), at lr 10 it
diverged (the lr case is FC-DenseNet's RMSprop at lr 1); CGNet with every batch's images paired with the next batch's
label maps (a data common) was dropped: the 32 fixed pairs are memorised slowly (1.637 -> 1.147 and 1.758 -> 1.138
against 1.040, too close to call); Fastformer at Adam weight decay 1 learned (0.757 and 0.778), at 10 it did not. The
Talking-Heads Transformer with its weights N(0, 1) was too close to call (4.938 -> 1.183 and 5.572 -> 1.228 against
1.040, falling to 0.72 on the way); the case uses 2. FC-DenseNet on 32x32 scenes learned (2.128 -> 0.163 and 1.939 ->
0.194) but ran 20 to 27 s a seed; the scenes are 16x16. InferSent's recurrent matrices at N(0, 1) learned (1.118 ->
0.588 and 1.092 -> 0.583: the max-pooling reads every step's output directly) and at N(0, 3^2) were too close to call
(0.954 and 0.894 against 0.824); the case uses 5. WNO with 24 blocks did not learn (0.998 -> 1.002 and 1.058 -> 1.006)
but ran 30 to 40 s a seed, and with 12 or 16 blocks it learned (0.673 and 0.720 at seed 0); the depth case moved to
InferSent's classifier. nGPT at Adam lr 1 learned (4.170 -> 2.393 and 4.151 -> 2.175), as did nGPT without its
renormalisation step hook (1.274 and 1.278) and PirateNet at Adam weight decay 1 (0.518 and 0.258); WNO with its wavelet
weights drawn N(0, 1) fell from 163.4 to 4.46 (learned by the criterion) and was not kept; WNO at Adam lr 1 diverged but
was not needed. DLA was first twice as wide, and Trompt's batches 128 rows with 16 prompts, and they ran 6 to 25 s a
seed; they were narrowed (healthy figures then: DLA 13.70 -> 2.4e-4, Trompt 0.727 -> 0.205 at seed 0), and every figure
above is from the narrowed code. Two slips the earlier batches' list rules out were not tried: a hand-written ``log(1 -
sigmoid(z))`` (``fresh15`` and ``fresh19`` found their logits never pass 17 in 200 steps) and a float16 feature above
65,504 (the sibling of ``fresh47``'s float16 squares).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh58_builders as F

P = functools.partial
HALF = "fresh58"
#: chance losses: ten classes (DLA's images), four (FC-DenseNet's pixels, the Talking-Heads Transformer's texts),
#: three (InferSent's pairs), 64 tokens (nGPT), two (Trompt's rows); PirateNet and WNO have none (their first loss is
#: the reference)
C10, C4, C3, LM, C2 = math.log(10), math.log(4), math.log(3), math.log(64), math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH58_HEALTHY: list[Case] = [
    _h("dla_template_images", HALF, "dla", F.dla, C10),
    _h("fc_densenet_scene_segmentation", HALF, "fc_densenet", F.fc_densenet, C4),
    _h("talking_heads_padded_texts", HALF, "talking_heads", F.talking_heads, C4),
    _h("infersent_nli_pairs", HALF, "infersent", F.infersent, C3),
    _h("ngpt_markov_lm", HALF, "ngpt", F.ngpt, LM),
    _h("trompt_count_table", HALF, "trompt", F.trompt, C2),
    _h("pirate_net_poisson", HALF, "pirate_net", F.pirate_net, None),
    _h("wno_pressure_to_solution", HALF, "wno", F.wno, None),
]

FRESH58_BROKEN: list[Case] = [
    # init
    _b("talking_heads_init_std_2", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.talking_heads, init_std=2.0), C4),
    # activation
    _b("infersent_tanh_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.infersent, hidden_bias=-10.0), C3),
    # depth
    _b("infersent_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.infersent, fc_layers=30), C3),
    # recurrence
    _b("infersent_lstm_recurrent_std_5", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.infersent, hh_std=5.0), C3),
    # lr
    _b("dla_sgd_lr5", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.dla, lr=5.0), C10),
    _b("fc_densenet_rmsprop_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fc_densenet, lr=1.0), C4),
    _b("pirate_net_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.pirate_net, lr=1.0), None),
    _b("ngpt_adam_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ngpt, lr=10.0), LM),
    # normalization
    _b("dla_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dla, bn=False), C10),
    # regularization
    _b("talking_heads_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.talking_heads, weight_decay=10.0), C4),
    _b("trompt_adamw_weight_decay_100", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.trompt, weight_decay=100.0), C2),
    # data
    _b("infersent_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.infersent, shuffled=True), C3),
    _b("trompt_counts_min_max_scaled_into_int64", HALF, ("data", "numeric"), VANISH, STUCK,  # kind: slip
       P(F.trompt, int_scaled=True), C2),
    # numeric
    _b("trompt_missing_counts_left_nan", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.trompt, missing=True), C2),
    _b("trompt_bce_clamped_with_max", HALF, ("numeric", "activation"), VANISH, STUCK,  # kind: slip
       P(F.trompt, by_hand=True), C2),
    _b("wno_pressures_cast_to_bfloat16", HALF, ("numeric", "data"), VANISH, STUCK,  # kind: slip
       P(F.wno, bf16=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "talking_heads_init_std_2": "common", "infersent_tanh_biases_minus_10": "common",
    "infersent_30_layers_default_init": "common", "infersent_lstm_recurrent_std_5": "common",
    "dla_sgd_lr5": "common", "fc_densenet_rmsprop_lr1": "common", "pirate_net_adam_lr1": "common",
    "ngpt_adam_lr10": "common", "dla_without_batchnorm": "common", "talking_heads_adam_weight_decay_10": "common",
    "trompt_adamw_weight_decay_100": "common", "infersent_labels_shuffled": "common",
    "trompt_counts_min_max_scaled_into_int64": "slip", "trompt_missing_counts_left_nan": "common",
    "trompt_bce_clamped_with_max": "slip", "wno_pressures_cast_to_bfloat16": "slip",
}

#: the cases (half "fresh58")
FRESH58: list[Case] = FRESH58_HEALTHY + FRESH58_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "talking_heads_init_std_2": F.talking_heads,
    "infersent_tanh_biases_minus_10": F.infersent,
    "infersent_30_layers_default_init": F.infersent,
    "infersent_lstm_recurrent_std_5": F.infersent,
    "dla_sgd_lr5": F.dla,
    "fc_densenet_rmsprop_lr1": F.fc_densenet,
    "pirate_net_adam_lr1": F.pirate_net,
    "ngpt_adam_lr10": F.ngpt,
    "dla_without_batchnorm": F.dla,
    "talking_heads_adam_weight_decay_10": F.talking_heads,
    "trompt_adamw_weight_decay_100": F.trompt,
    "infersent_labels_shuffled": F.infersent,
    "trompt_counts_min_max_scaled_into_int64": F.trompt,
    "trompt_missing_counts_left_nan": P(F.trompt, missing=True, impute=True),
    "trompt_bce_clamped_with_max": F.trompt,
    "wno_pressures_cast_to_bfloat16": F.wno,
}
