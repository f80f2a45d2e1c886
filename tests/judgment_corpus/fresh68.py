"""The sixty-ninth held-out batch (half ``"fresh68"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, in vision, speech and generative audio and images; the settings are the
paper's or its reference code's unless said; the data are synthetic, drawn from the seeds 680_000 + seed): GCNet
(Cao et al. 2019, narrowed: a GC-ResNet with a 3x3 stem of 16, three stages of one basic block of 16, 32, 64
channels, a global-context block (softmax context pooling, the 1x1 transform with LayerNorm at ratio 1/4, its last
conv zero-initialised as the reference code) after every block's last BatchNorm, Kaiming fan-out init; SGD at lr 0.1,
momentum 0.9, weight decay 1e-4) and MobileNetV2 with coordinate attention (Hou, Zhou and Feng 2021, narrowed: a
stride-2 stem of 16, inverted residual blocks of 16, 24, 24, 32, 32 channels with a coordinate-attention module after
every depthwise conv, a 1x1 head of 128, dropout 0.2; the reference code's init; SGD with momentum 0.9 and
MobileNetV2's weight decay 4e-5 at lr 0.05, set here) on 16x16 class-template images (10 classes), Visformer (Chen et
al. 2021, narrowed: a conv stem of 32, a 2x2 patch embedding to 48 and one convolutional block with its grouped 3x3
conv, a patch embedding to 96 and two attention blocks of 6 heads with BatchNorm in place of LayerNorm; truncated
N(0, 0.02^2) Linears; AdamW at the DeiT-style base lr 5e-4, not scaled down to the batch, weight decay 0.05) on the
same images, the attention-based keyword spotter (Shan et al. 2018: its GRU encoder narrowed to one layer of 64, the
soft attention ``softmax_t(v^T tanh(W h_t + b))`` and a linear softmax layer; Adam at lr 1e-3, set here) on
filterbank utterances of 40 frames holding one of 6 keyword templates at a random frame, ContextNet (Han et al.
2020, narrowed: its first single-conv block and three blocks of three depthwise-separable convs (kernel 5) of 64
channels with BatchNorm, Swish, the global-context squeeze-excite and residuals, one of them with stride 2; CTC with
the blank 0; Adam with its betas (0.9, 0.98), eps 1e-9 and weight decay 1e-6 at a constant lr 1e-3, its warm-up
schedule left out) on 48-frame utterances of four tokens (8 token templates, 6 to 9 frames each), DiffWave (Kong et
al. 2021, unconditional and narrowed: 6 residual layers of 32 channels with dilations 1 to 32, the gated ``tanh *
sigmoid`` unit, the reference code's sinusoidal step table ``t * 10 ** (4 j / 63)`` through two Linears of 128 with
Swish, the zero-initialised output conv, Kaiming-normal convs; T = 50 and betas 1e-4 to 0.05 as the paper's base
model; the reference code's L1 loss on the noise, Adam at the paper's lr 2e-4) on two-partial tones of 128 samples,
SampleRNN (Mehri et al. 2017, its two-tier version narrowed: a frame-level GRU of 128 over frames of 16 samples,
upsampled by a Linear to one conditioning vector a sample, the sample-level MLP over the embeddings (32) of the
previous 16 quantised samples with two ReLU layers of 128 and a 256-way softmax; Adam at the paper's lr 1e-3, the
global gradient norm clipped at 1 where the reference code clips each gradient to [-1, 1]) on the tones mu-law
quantised to 256 levels (16 + 64 samples), and the beta-TCVAE (Chen et al. 2018, narrowed: MLP encoder and decoder
of 256-256 ReLU units, 8 latents, Bernoulli pixels; the objective with the minibatch-weighted-sampling estimator of
``log q(z)`` and beta 6 on the total correlation, the reconstruction written on the probabilities clamped to
``[1e-7, 1 - 1e-7]``; Adam at the paper's lr 1e-3) on binary 24x24 images of squares and square rings (batch 64).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh67``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every weight and bias of the keyword
  spotter set to zero (init), the SampleRNN sample-level MLP's biases started at -10 and GCNet's BatchNorm biases
  (the stem's and every block's) started at -10 (every ReLU dead; activation, with init), SampleRNN's sample-level
  MLP 12 ReLU layers deep at PyTorch's default init (depth), the keyword spotter's GRU recurrent weights drawn
  N(0, 3^2) (the saturated state no longer follows the frames; recurrence), GCNet at SGD lr 10, DiffWave at Adam lr
  1 and the beta-TCVAE at Adam lr 1 (lr), the coordinate-attention MobileNetV2 without its BatchNorms at its SGD lr
  0.05 (normalization), Visformer at AdamW ``weight_decay=50`` and DiffWave at Adam ``weight_decay=1`` (coupled
  L2; regularization), the keyword labels permuted within every batch, apart from their utterances (data), and
  ContextNet's CTC (``zero_infinity`` at its default False) on utterances cropped to their first 12 frames (6 output
  frames) while their four-token transcripts are kept whole: a transcript of four equal tokens needs 7 frames, and
  the one such utterance in the 32 cycled batches (at step 6 for seed 0, step 8 for seed 1) has an infinite loss
  (numeric, with data);
- **slip** (a user's mixed-precision, dtype or numerical-stability mistake of a kind no earlier batch used):
  DiffWave's zero-initialised output conv weight kept in bfloat16 by hand, ``self.out_w =
  nn.Parameter(torch.zeros(1, c, 1)).to(torch.bfloat16)`` and cast up in ``forward`` (``.to`` returns a plain tensor,
  so the weight is never registered as a parameter: the optimizer never sees it, it stays zero, and no gradient
  reaches any layer below it; a cast that unregisters a parameter; init, with lr, the weight never being stepped),
  ContextNet's CTC log-probabilities computed as ``torch.log(F.softmax(logits.half(), -1)).float()`` to halve the
  memory of the ``(b, T, vocab)`` tensor (the softmax in float16, its log after it, where ``log_softmax`` belongs: a
  probability below float16's 6e-8 is 0 once the CTC outputs grow peaky, ``log 0 = -inf``, and the log's backward
  ``0 / 0`` is NaN; numeric), and DiffWave's step table built in float16, the dtype of a mixed-precision port
  (``t * 10 ** (4 j / 63)`` passes float16's largest 65,504 from ``t = 7``: ``inf``, and ``sin(inf)`` is NaN at the
  first forward; numeric). Earlier precision slips (the whole model or its Adam state in low precision, Adam's eps or
  a dB floor underflowing, a float16 buffer's squares overflowing, integer floor divisions, wrap-arounds, truncation
  into integer tensors, softmaxes without the max shift, one-pass variances, clamps on the wrong side, narrow
  mantissas on offsets, float32 timestamps) are not repeated. No activation, depth, recurrence, lr, normalization,
  regularization or data slip was written: the commons outnumber the slips (13 to 3).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds.

Learning criteria: the classifiers compare with chance (ten classes for the images, six keywords, SampleRNN's 256
levels); ContextNet's CTC, DiffWave and the beta-TCVAE compare with their first loss. Measured plain runs, 200 steps
(seed 0, seed 1): GCNet 2.296 -> 3.7e-4 and 2.322 -> 4.4e-4; the CA-MobileNetV2 2.308 -> 0.0013 and 2.307 -> 0.0017;
Visformer 2.306 -> 0.0543 and 2.302 -> 0.0645; the keyword spotter 1.782 -> 0.0130 and 1.796 -> 0.0111; ContextNet
9.796 -> 0.0175 and 9.637 -> 0.0251; DiffWave 0.812 -> 0.287 and 0.777 -> 0.303; SampleRNN 5.543 -> 3.634 and 5.550
-> 3.569 (the criterion 4.159); the beta-TCVAE 667.9 -> 436.3 and 666.8 -> 434.9 (the criteria 500.9 and 500.1).
Broken: ``attention_kws_all_weights_zero`` 1.792 -> 1.790 and 1.792 -> 1.789; ``samplernn_mlp_biases_minus_10``
5.545 -> 5.400 and 5.545 -> 5.396; ``gcnet_batchnorm_biases_minus_10`` 2.299 -> 2.313 and 2.312 -> 2.311;
``samplernn_mlp_12_layers_default_init`` 5.549 -> 4.556 and 5.537 -> 4.495; ``attention_kws_gru_recurrent_std_3``
1.803 -> 1.751 and 1.834 -> 1.763; ``gcnet_sgd_lr10`` diverges at step 1 at both seeds (ends 6.577 and 5.931;
weights x5,450 and x38); ``diffwave_adam_lr1`` diverges at step 1 at both seeds (ends 0.798 and 0.802; weights
x42); ``beta_tcvae_shapes_adam_lr1`` (named ``beta_tcvae_adam_lr1`` at its freeze; renamed when registered, as fresh70
has a case of that name: the corpus' names are its keys) is non-finite at step 1 at both seeds (its weights x27 after
step 0);
``coordinate_attention_mobilenetv2_without_batchnorm`` 2.303 -> 2.307 and 2.303 -> 2.305;
``visformer_adamw_weight_decay_50`` 2.306 -> 2.295 and 2.302 -> 2.297; ``diffwave_adam_weight_decay_1`` 0.812 ->
0.777 and 0.777 -> 0.777; ``attention_kws_labels_shuffled`` 1.797 -> 1.771 and 1.799 -> 1.784;
``contextnet_ctc_on_cropped_utterances`` is non-finite (inf) at steps 6 and 8 (2.614 and 2.478 before);
``diffwave_output_weight_cast_to_bfloat16`` 0.812 -> 0.798 and 0.777 -> 0.801; ``contextnet_log_of_float16_softmax``
non-finite at steps 43 and 181 (after learning: 1.24 and 0.025 were reached); ``diffwave_step_table_in_float16``
non-finite at step 0 at both seeds (the loss itself). Every case runs in at most about 8 s of CPU a seed
(Visformer's and the 12-layer SampleRNN's the slowest, measured as process time on a machine shared with other
work; most take 2 to 5 s).

Dropped or changed before the freeze (every figure above is from the final code): GCNet's labels permuted within
every batch learned by the criterion (2.296 -> 1.556 and 2.354 -> 1.588: it memorises the 32 cycled batches), so
the data common is the keyword spotter's. Visformer with every conv and Linear drawn N(0, 1) learned (7.943 -> 1.124
and 6.838 -> 0.834), as did Visformer at AdamW lr 1 (2.306 -> 1.574 and 2.302 -> 1.659, after diverging at step 1)
and ContextNet at Adam lr 1 (9.796 -> 2.406 and 9.637 -> 1.325): its BatchNorms carry them. Visformer at AdamW
weight decay 20 ended 1.819 and 1.844 against the criterion 1.727, too close to call; the case uses 50. The keyword
spotter at Adam lr 1 failed (1.782 -> 11.13 and 1.796 -> 12.01, weights x123) and was left out to spread the lr
cases over other models. The beta-TCVAE first had 16x16 images, where its healthy run did not learn (443.9 -> 356.4
and 444.4 -> 354.7 against 332.9 and 333.3: the minibatch estimator's total correlation, times beta 6, stays near
its start); at 24x24 it does. A fourth slip was written and dropped: the beta-TCVAE's decoder run under
``torch.autocast("cpu", dtype=torch.bfloat16)``, where the reconstruction's guard ``1 - 1e-7`` rounds to 1, learned
(667.9 -> 433.5 and 666.8 -> 436.5): within 200 steps no pixel's logit passes the 6.9 at which its bfloat16
probability rounds to 1 (the largest is about 4.3 at step 199; the ``bf16_decoder`` switch stays in the model,
unused). For speed, SampleRNN's sequences went from 256 to 128 to 64 predicted samples and its embeddings from 64 to
32, DiffWave's from 256 to 128 samples, and the CA-MobileNetV2's stem took MobileNetV2's stride 2; SampleRNN's depth
case had 30 layers first (at 128 samples: 26 s of CPU a seed; 5.544 -> 4.932 at seed 0), then 20 (4.71 and 4.83,
8.7 s), and has 12."""

from __future__ import annotations

import functools
import math

import torch

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh68_builders as F

P = functools.partial
HALF = "fresh68"
#: chance losses: ten classes (GCNet's, the CA-MobileNetV2's and Visformer's images), six (the keyword spotter's
#: keywords), 256 levels (SampleRNN's samples); ContextNet's CTC, DiffWave and the beta-TCVAE have none (their first
#: loss is the reference)
C10, C6, Q256 = math.log(10), math.log(6), math.log(256)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH68_HEALTHY: list[Case] = [
    _h("gcnet_images", HALF, "gcnet", F.gcnet, C10),
    _h("coordinate_attention_mobilenetv2_images", HALF, "coordinate_attention", F.ca_mobilenet, C10),
    _h("visformer_images", HALF, "visformer", F.visformer, C10),
    _h("attention_kws_keywords", HALF, "attention_kws", F.kws, C6),
    _h("contextnet_ctc_utterances", HALF, "contextnet", F.contextnet, None),
    _h("diffwave_tones", HALF, "diffwave", F.diffwave, None),
    _h("samplernn_tones", HALF, "samplernn", F.samplernn, Q256),
    _h("beta_tcvae_shapes", HALF, "beta_tcvae", F.beta_tcvae, None),
]

FRESH68_BROKEN: list[Case] = [
    # init
    _b("attention_kws_all_weights_zero", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.kws, zero=True), C6),
    _b("diffwave_output_weight_cast_to_bfloat16", HALF, ("init", "lr"), VANISH, STUCK,  # kind: slip
       P(F.diffwave, cast_out=True), None),
    # activation
    _b("samplernn_mlp_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.samplernn, mlp_bias=-10.0), Q256),
    _b("gcnet_batchnorm_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.gcnet, bn_bias=-10.0), C10),
    # depth
    _b("samplernn_mlp_12_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.samplernn, mlp=12), Q256),
    # recurrence
    _b("attention_kws_gru_recurrent_std_3", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.kws, hh_std=3.0), C6),
    # lr
    _b("gcnet_sgd_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.gcnet, lr=10.0), C10),
    _b("diffwave_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.diffwave, lr=1.0), None),
    _b("beta_tcvae_shapes_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.beta_tcvae, lr=1.0), None),
    # normalization
    _b("coordinate_attention_mobilenetv2_without_batchnorm", HALF, ("normalization",), VANISH,  # kind: common
       STUCK, P(F.ca_mobilenet, bn=False), C10),
    # regularization
    _b("visformer_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.visformer, weight_decay=50.0), C10),
    _b("diffwave_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.diffwave, weight_decay=1.0), None),
    # data
    _b("attention_kws_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.kws, shuffled=True), C6),
    # numeric
    _b("contextnet_ctc_on_cropped_utterances", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.contextnet, cropped=12), None),
    _b("contextnet_log_of_float16_softmax", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.contextnet, half_softmax=True), None),
    _b("diffwave_step_table_in_float16", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.diffwave, table_dtype=torch.float16), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "attention_kws_all_weights_zero": "common", "diffwave_output_weight_cast_to_bfloat16": "slip",
    "samplernn_mlp_biases_minus_10": "common", "gcnet_batchnorm_biases_minus_10": "common",
    "samplernn_mlp_12_layers_default_init": "common", "attention_kws_gru_recurrent_std_3": "common",
    "gcnet_sgd_lr10": "common", "diffwave_adam_lr1": "common", "beta_tcvae_shapes_adam_lr1": "common",
    "coordinate_attention_mobilenetv2_without_batchnorm": "common", "visformer_adamw_weight_decay_50": "common",
    "diffwave_adam_weight_decay_1": "common", "attention_kws_labels_shuffled": "common",
    "contextnet_ctc_on_cropped_utterances": "common", "contextnet_log_of_float16_softmax": "slip",
    "diffwave_step_table_in_float16": "slip",
}

#: the cases (half "fresh68")
FRESH68: list[Case] = FRESH68_HEALTHY + FRESH68_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "attention_kws_all_weights_zero": F.kws,
    "diffwave_output_weight_cast_to_bfloat16": F.diffwave,
    "samplernn_mlp_biases_minus_10": F.samplernn,
    "gcnet_batchnorm_biases_minus_10": F.gcnet,
    "samplernn_mlp_12_layers_default_init": F.samplernn,
    "attention_kws_gru_recurrent_std_3": F.kws,
    "gcnet_sgd_lr10": F.gcnet,
    "diffwave_adam_lr1": F.diffwave,
    "beta_tcvae_shapes_adam_lr1": F.beta_tcvae,
    "coordinate_attention_mobilenetv2_without_batchnorm": F.ca_mobilenet,
    "visformer_adamw_weight_decay_50": F.visformer,
    "diffwave_adam_weight_decay_1": F.diffwave,
    "attention_kws_labels_shuffled": F.kws,
    "contextnet_ctc_on_cropped_utterances": F.contextnet,
    "contextnet_log_of_float16_softmax": F.contextnet,
    "diffwave_step_table_in_float16": F.diffwave,
}
