"""The fortieth held-out batch (half ``"fresh39"``): eight published architectures new to the corpus at their usual
settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 390_000 + seed): Deep Speech 2 (Amodei et al. 2016, narrowed as the
deepspeech.pytorch reference: two 2-D convolutions of 16 over (frequency, time) with BatchNorm and the clipped ReLU
``hardtanh(x, 0, 20)``, two bidirectional GRUs of 32 with summed directions and a sequence-wise BatchNorm between
them, CTC; Adam lr 1e-3 set here with the reference's gradient clip 400) transcribing synthetic utterances (4
characters of 6 voiced as fixed spectral envelopes, the reference's ``log1p`` power features standardised per
utterance), R(2+1)D (Tran et al. 2018, narrowed: the (2+1)-D stem with its 45 middle channels and three basic blocks
of 16, 32, 64 channels with BatchNorm; PyTorch's default init as torchvision's; SGD at the paper's lr 0.01, momentum
0.9, weight decay 1e-4) classifying the direction of a blob moving through 6-frame clips, LRCN (Donahue et al. 2015,
narrowed: a two-convolution per-frame CNN into an LSTM of 64 written step by step as the reference's Caffe unit,
weights U(-0.08, 0.08), the per-step predictions averaged; Adam lr 1e-3 set here with the reference's clip 15)
classifying 10-frame clips by the colours of the first and the last of three flashes, the Tensor Fusion Network
(Zadeh et al. 2017, as the LMF repository's reference code: audio and visual sub-networks with BatchNorm and dropout
0.2, an LSTM text sub-network, the three-way outer product of the 1-appended codes, a post-fusion MLP of 32, 32 and
``sigmoid * 6 - 3``; L1 loss, Adam lr 1e-3) regressing the sentiment of three-modality clips whose text effect is
scaled by the voice, the dynamic-convolution LM (Wu et al. 2019, narrowed: embeddings of 64 with sinusoidal positions,
two post-norm blocks of GLU, a causal dynamic convolution (kernel 7, 4 heads, softmax-normalised predicted kernels,
weight dropout 0.1) and a ReLU feed-forward, the tied output; fairseq's init; Adam betas (0.9, 0.98) at lr 1e-3,
constant, set here) on the corpus' Markov text, Fast-SCNN (Poudel et al. 2019, narrowed for 32x32: learning to
downsample, four inverted-residual bottlenecks, pyramid pooling with bins 1 and 2, feature fusion, the depthwise-
separable classifier and a bilinear upsampling; SGD at the paper's lr 0.045, momentum 0.9, weight decay 4e-5 without
its poly schedule) segmenting four-region scenes, BoTNet (Srinivas et al. 2021, narrowed for 16x16: a ResNet stem of
16, four convolutional bottlenecks and two with MHSA (4 heads, 2-D relative position logits) in the last stage, the
last BatchNorm of each block zero-initialised; SGD with Nesterov momentum 0.9 at lr 0.1, weight decay 4e-5) on 16x16
class-template images (10 classes), and PETS' probabilistic ensemble (Chua et al. 2018, as its reference code: 5
members of three hidden layers of 200 Swish units predicting a mean and a softly bounded log-variance, truncated-
normal init, per-layer L2 decays 2.5e-5 to 1e-4, the bounds' 0.01 penalty, the Gaussian NLL summed over members;
Adam at the reference's lr 1e-3; every member sees the same batch, no bootstrap) on Gym-pendulum transitions, the
target the observation's change per second from the log's float64 timestamps.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh38``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every embedding and Linear of the
  dynamic-convolution LM drawn N(0, 1), and every Linear and embedding of the TFN drawn N(0, 1) (init), the TFN's
  post-fusion ReLUs given biases -10 (activation), the TFN's post-fusion MLP 30 hidden layers deep at PyTorch's
  default init (depth), LRCN's recurrent weights drawn N(0, 3^2) (the LSTM's gates saturate; recurrence), the LM at
  Adam lr 1 and R(2+1)D at SGD lr 1 (lr), Fast-SCNN at its SGD lr 0.045 and BoTNet at its SGD lr 0.1 without their
  BatchNorms (normalization), the LM at Adam ``weight_decay=1`` (regularization), LRCN's labels permuted within every
  batch, apart from their clips (data), and Deep Speech 2's features taken as ``log(power)`` where the clip's zero
  padding has power 0 (``log 0 = -inf``, NaN after the standardisation; numeric);
- **slip** (a user's mistake of a kind no earlier batch used): the TFN's post-fusion widths built ``[layers] *
  hidden`` where ``[hidden] * layers`` belongs (a list repetition's operands swapped: 32 hidden layers of 2 units
  where two of 32 were meant; depth), LRCN's cell update typed ``c = f * c + i * c`` where ``i * g`` belongs (the
  cell starts at 0 and never leaves it, so ``h = o tanh(c)`` is 0 at every step and only the output bias learns; the
  line ``fresh12``'s JANET slip also broke, but a different mistake: a wrong operand, not ``+=``; recurrence), the
  TFN's text read out as ``out[:, 0]``, the LSTM's output at the first word (a [CLS]-style read-out copied from a
  transformer pipeline), where its final state belongs (the text code has seen one word of ten; recurrence), and
  PETS' rates computed from the log's Unix timestamps cast to float32, whose spacing at 1.7e9 s is 128 s, so that the
  readings 0.05 s apart get equal stamps and the change is divided by 0 (numeric). None of the slips is an init,
  activation, lr, normalization, regularization or data one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth cases' is the TFN at its own two post-fusion layers of 32, the numeric
slip's PETS with its float64 stamps).

Learning criteria: the classifiers compare with chance (the LM's 64 tokens, the four classes of R(2+1)D, LRCN and
Fast-SCNN's pixels, BoTNet's ten); Deep Speech 2 (CTC), the TFN (L1) and PETS (NLL) compare with their first loss.
Measured plain runs, 200 steps (seed 0, seed 1): Deep Speech 2 12.55 -> 0.169 and 12.43 -> 0.192; R(2+1)D 1.425 ->
0.0175 and 1.475 -> 0.0040; LRCN 1.389 -> 0.521 and 1.386 -> 0.541 (the criterion 1.04); the TFN 1.443 -> 0.558 and
1.502 -> 0.547; the LM 5.336 -> 1.312 and 5.091 -> 1.386; Fast-SCNN 1.462 -> 0.540 and 1.449 -> 0.552; BoTNet 2.303 ->
0.0016 and 2.313 -> 0.0020; PETS 399.6 -> 11.16 and 391.4 -> 11.94. Broken: ``dynamic_conv_lm_init_std_1`` 19.14 ->
6.809 and 17.66 -> 6.843 (no divergence; the criterion 3.119); ``tfn_init_std_1`` 2.837 -> 3.150 and 3.114 -> 3.032;
``tfn_post_fusion_relu_biases_minus_10`` 1.443 -> 1.479 and 1.502 -> 1.489; ``tfn_post_fusion_30_layers_default_init``
1.450 -> 1.478 and 1.485 -> 1.489; ``tfn_post_fusion_widths_repeated_swapped`` 1.487 -> 1.481 and 1.512 -> 1.490;
``lrcn_recurrent_weights_std_3`` 1.383 -> 1.389 and 1.377 -> 1.385; ``lrcn_cell_update_typo`` 1.389 -> 1.386 and 1.385
-> 1.387; ``tfn_text_read_at_first_word`` 1.443 -> 1.276 and 1.502 -> 1.285 (the criteria 1.082 and 1.126);
``dynamic_conv_lm_adam_lr1`` diverges at step 1 at both seeds (ends 128.4 and 105.3; weights x70 and x71 from step 1);
``r2plus1d_sgd_lr1`` diverges at steps 2 and 1 (ends 1.478 and 1.425; weights x3.9 and x4.7);
``fast_scnn_without_batchnorm`` 1.388 -> 1.386 and 1.388 -> 1.387 (no divergence); ``botnet_without_batchnorm`` diverges
at steps 183 and 45, non-finite at step 192 at seed 0, and ends at 1.759 at seed 1 (the criterion 1.727);
``dynamic_conv_lm_adam_weight_decay_1`` 5.336 -> 4.082 and 5.091 -> 4.059; ``lrcn_labels_shuffled`` 1.389 -> 1.386 and
1.386 -> 1.385; ``deepspeech2_log_of_zero_padding`` and ``pets_rates_over_float32_timestamps`` are non-finite at step 0
at both seeds (the loss itself: NaN and inf). Every case runs in 1 to 8.5 s a seed when the machine it shares with other
work is moderately loaded (BoTNet, R(2+1)D and Deep Speech 2 the slowest, above the 5 s aimed at); under heavier load a
second full run took up to 19 s (R(2+1)D).

Dropped or changed before the freeze (every figure above is from the final code; the figures below are seed 0 unless
said): Deep Speech 2 first had convolutions of 32, GRUs of 64 and 40 frames (13.58 -> 0.0138, but 27 s a seed) and was
narrowed. Its clipped ReLUs killed by BatchNorm biases of -10 learned by the criterion (12.93 -> 2.137: CTC's first loss
is high and the blank and label priors alone take it below 0.75 of it), so Deep Speech 2 keeps only its non-finite case.
R(2+1)D first had four blocks and 8 frames (11 s a seed) and was narrowed; its labels permuted within every batch were
memorised (1.383 -> 0.376: the 32 cycled batches repeat every label), so the data case moved to LRCN, which does not
memorise them. LRCN first ran batches of 32 clips of 12 frames (10.5 s) and was narrowed. LRCN's forget-gate bias at -10
learned (1.389 -> 0.749: the hidden state still carries the flashes through the gates), as did its recurrent weights at
std 1 (1.377 -> 0.784); at std 3 (and at std 10, 1.367 -> 1.389) it does not. PETS first predicted the change of the
observation per step, as the reference's ``targ_proc`` does, but its NLL then starts below zero (-1.035 -> -27.44),
which a ratio criterion cannot read; the targets are per second. Its planned depth common (24 hidden layers: 399.8 ->
123.0 and 391.4 -> 120.5), depth slip (the widths built ``[3] * 200``: 399.7 -> 243.0 and 391.2 -> 235.0) and init
common (std 1: 2.7e10 -> 5.3e7 and 6.0e10 -> 1.9e8) all learned by the criterion, the NLL falling through the learned
variance alone; they were dropped and the depth cases moved to the TFN. BoTNet's first layout (a stem of 32, bottleneck
widths 16, 32, 64) took 14 s a seed (without its BatchNorms it diverged at step 106, non-finite at 116; at SGD weight
decay 1 it stayed at 2.303, the criterion 1.727); a four-block layout without its BatchNorms diverged at step 17 and
came back to 1.479 (the criterion 1.727) and was not kept; the six-block layout above goes non-finite or stays above the
criterion. The TFN at Adam weight decay 1 (1.443 -> 1.478) also failed; the regularization case is the LM's (at weight
decay 0.1 the LM learned, 5.336 -> 2.866). Fast-SCNN at SGD lr 5 diverged at step 1 and was not kept (the lr cases are
the LM's and R(2+1)D's). No normalization slip was written: the ones considered (BatchNorm left in ``eval()``, a
standardisation over a size-1 axis, a norm layer's eps written with a lost minus sign) repeat earlier batches' mistakes.
The commons outnumber the slips (12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh39_builders as F

P = functools.partial
HALF = "fresh39"
#: chance losses: 64 tokens (the dynamic-convolution LM), four classes (R(2+1)D's directions, LRCN's flash orders,
#: Fast-SCNN's regions), ten (BoTNet's images); Deep Speech 2 (CTC), the TFN (L1) and PETS (Gaussian NLL) have none
#: (their first loss is the reference)
LM, C4, C10 = math.log(64), math.log(4), math.log(10)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH39_HEALTHY: list[Case] = [
    _h("deepspeech2_utterances", HALF, "deepspeech2", F.deepspeech2, None),
    _h("r2plus1d_moving_blobs", HALF, "r2plus1d", F.r2plus1d, C4),
    _h("lrcn_flash_order", HALF, "lrcn", F.lrcn, C4),
    _h("tfn_opinion_clips", HALF, "tfn", F.tfn, None),
    _h("dynamic_conv_lm_markov", HALF, "dynamic_conv", F.dynamic_conv_lm, LM),
    _h("fast_scnn_regions", HALF, "fast_scnn", F.fast_scnn, C4),
    _h("botnet_images", HALF, "botnet", F.botnet, C10),
    _h("pets_pendulum", HALF, "pets", F.pets, None),
]

FRESH39_BROKEN: list[Case] = [
    # init
    _b("dynamic_conv_lm_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dynamic_conv_lm, init_std=1.0), LM),
    _b("tfn_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.tfn, init_std=1.0), None),
    # activation
    _b("tfn_post_fusion_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.tfn, fusion_bias=-10.0), None),
    # depth
    _b("tfn_post_fusion_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.tfn, layers=30), None),
    _b("tfn_post_fusion_widths_repeated_swapped", HALF, ("depth",), VANISH, STUCK,  # kind: slip
       P(F.tfn, widths_swapped=True), None),
    # recurrence
    _b("lrcn_recurrent_weights_std_3", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.lrcn, recurrent_std=3.0), C4),
    _b("lrcn_cell_update_typo", HALF, ("recurrence",), VANISH, STUCK,  # kind: slip
       P(F.lrcn, cell_typo=True), C4),
    _b("tfn_text_read_at_first_word", HALF, ("recurrence",), VANISH, STUCK,  # kind: slip
       P(F.tfn, first_step=True), None),
    # lr
    _b("dynamic_conv_lm_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.dynamic_conv_lm, lr=1.0), LM),
    _b("r2plus1d_sgd_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.r2plus1d, lr=1.0), C4),
    # normalization
    _b("fast_scnn_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.fast_scnn, bn=False), C4),
    _b("botnet_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.botnet, bn=False), C10),
    # regularization
    _b("dynamic_conv_lm_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.dynamic_conv_lm, weight_decay=1.0), LM),
    # data
    _b("lrcn_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.lrcn, shuffled=True), C4),
    # numeric
    _b("deepspeech2_log_of_zero_padding", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.deepspeech2, log_zero=True), None),
    _b("pets_rates_over_float32_timestamps", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.pets, stamps="float32"), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "dynamic_conv_lm_init_std_1": "common", "tfn_init_std_1": "common",
    "tfn_post_fusion_relu_biases_minus_10": "common", "tfn_post_fusion_30_layers_default_init": "common",
    "tfn_post_fusion_widths_repeated_swapped": "slip", "lrcn_recurrent_weights_std_3": "common",
    "lrcn_cell_update_typo": "slip", "tfn_text_read_at_first_word": "slip", "dynamic_conv_lm_adam_lr1": "common",
    "r2plus1d_sgd_lr1": "common", "fast_scnn_without_batchnorm": "common", "botnet_without_batchnorm": "common",
    "dynamic_conv_lm_adam_weight_decay_1": "common", "lrcn_labels_shuffled": "common",
    "deepspeech2_log_of_zero_padding": "common", "pets_rates_over_float32_timestamps": "slip",
}

#: the cases (half "fresh39")
FRESH39: list[Case] = FRESH39_HEALTHY + FRESH39_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "dynamic_conv_lm_init_std_1": F.dynamic_conv_lm,
    "tfn_init_std_1": F.tfn,
    "tfn_post_fusion_relu_biases_minus_10": F.tfn,
    "tfn_post_fusion_30_layers_default_init": F.tfn,
    "tfn_post_fusion_widths_repeated_swapped": F.tfn,
    "lrcn_recurrent_weights_std_3": F.lrcn,
    "lrcn_cell_update_typo": F.lrcn,
    "tfn_text_read_at_first_word": F.tfn,
    "dynamic_conv_lm_adam_lr1": F.dynamic_conv_lm,
    "r2plus1d_sgd_lr1": F.r2plus1d,
    "fast_scnn_without_batchnorm": F.fast_scnn,
    "botnet_without_batchnorm": F.botnet,
    "dynamic_conv_lm_adam_weight_decay_1": F.dynamic_conv_lm,
    "lrcn_labels_shuffled": F.lrcn,
    "deepspeech2_log_of_zero_padding": F.deepspeech2,
    "pets_rates_over_float32_timestamps": F.pets,
}
