"""The hundred-and-fourteenth held-out batch (half ``"fresh113"``): eight published audio, speech-enhancement and music
models new to the corpus at their usual settings, and seventeen broken variants with one real fault each, written and
labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned
on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 1_130_000 + seed, fixed structure such as templates from 11300 + k, 32 batches cycled):
MelGAN's generator (Kumar et al. 2019, narrowed to 64-32-16 channels, a 7-conv from 32 mel bands, two 8x upsamplings
each followed by a residual stack of dilations 1, 3 and 9, weight norm on every conv, the reference code's init N(0,
0.02^2)) trained with the multi-resolution STFT loss alone (spectral convergence plus log-magnitude L1 at n_fft 64, 128
and 256), as Multi-band MelGAN's and Parallel WaveGAN's recipes pre-train the generator before the discriminators start;
Adam betas (0.5, 0.9) at lr 1e-3 (MelGAN's 1e-4 being for 400,000 steps) on harmonic tones of 1024 samples at 8 kHz and
their 32-band log-mels (batch 4); BSRNN (Luo and Yu 2023, narrowed: a 128-point STFT split into 9 bands, each normed and
projected to 16 features, one band-sequence module of bidirectional LSTMs of 16 over time and over the bands with
GroupNorm and residuals, per-band complex mask heads of an MLP of 64 with tanh and GLU) separating three-stem mixtures
(a harmonic "vocal", low-passed noise bursts, a "bass" chirp; 1024 samples, batch 4) with its L1 of the stems' STFTs
plus the L1 of the waveforms, Adam at lr 1e-3 with clipping at norm 5; FullSubNet (Hao et al. 2021, narrowed: the noisy
magnitude of a 64-point STFT normalised by its mean, a full-band model of two LSTMs of 64, a sub-band model of two LSTMs
of 16 shared by every bin on its +-5 bins and its full-band output; the look-ahead left out) on harmonic tones in
coloured noise at 6 dB SNR (512 samples, batch 4), the paper's MSE of the compressed cIRM (K = 10, C = 0.1, written ``10
tanh(0.05 m)``), Adam at lr 1e-3 with clipping at norm 10; cnn-trad-fpool3 (Sainath and Parada 2015, narrowed to 32
filters of 10x5 and 5x3, max pooling of 3 in frequency, a linear low-rank layer of 32, one DNN layer of 128) on 12-class
keyword patches (10 keywords, "unknown" from 20 other words, a digital-silence class; 24 frames x 20 log-mels with
per-utterance CMVN ``(x - mean) / (std + 1e-5)``; batch 32), cross-entropy, SGD with momentum 0.9 and weight decay 1e-5
as Honk's training of it, at lr 0.02 (set here); musicnn (Pons and Serra 2019, narrowed: the input's BatchNorm, timbral
front-end filters of 90% and 40% of the 32 bands x 7 frames, temporal filters of 16, 8 and 4 frames on the band mean, a
mid-end of three 7-convs of 32 (the last two residual), a back-end of max and mean pooling, dropout 0.5, a dense layer
of 64 with BatchNorm) tagging dB log-mel clips (32 bands x 64 frames; one to three of 16 tags a clip: 8 timbre tags,
each a spectral bump on its own bands, and 8 rhythm tags, each a broadband pulse train of its own prime period; batch
16), binary cross-entropy, Adam at lr 3e-3 (the reference code's 1e-3 raised for 200 steps); Kelz et al.'s framewise
piano-transcription ConvNet ("On the potential of simple framewise approaches to piano transcription", 2016; narrowed:
3x3 convs of 16 (ReLU), 16 and 32 (BatchNorm and ReLU), two max poolings of 2 in frequency, dropout 0.25, a dense layer
of 128 with BatchNorm, dropout 0.5, 24 key logits; the convs padded so that every frame of a clip is predicted at once)
on log-frequency spectrograms of piano rolls (6 to 10 notes a clip over 24 keys, each note's fundamental and octave
decaying over it, a broadband attack at its onset, a noise floor, the last 4 frames digital silence; ``log(power +
1e-6)``; 32 frames x 48 bins, batch 8), the framewise binary cross-entropy, Adam at lr 3e-3 (set here); CAM++ (Wang et
al. 2023, narrowed: an FCM head of a 3x3 conv of 8 and a residual block striding 2 in frequency, a TDNN layer of 64, one
dense TDNN block of three context-aware masking layers (growth 16, segment pooling of 10 frames) and a transit layer,
statistics pooling, a 32-dim embedding with a BatchNorm without affine) with the AAM softmax (s 32, m 0.2) on 16
speakers' filterbank features (each speaker a fixed spectral envelope, overlaid with random sequences of 10 shared
"phone" patterns and noise; 32 frames x 24 bins, batch 16), SGD with momentum 0.9 and weight decay 1e-4 at lr 0.1 as the
3D-Speaker recipe (its warm-up and cosine decay left out); and DDSP's decoder (Engel et al. 2020, narrowed: MLPs of two
layers of 64 with LayerNorm and ReLU on f0 and loudness, a GRU of 64, an output MLP, the overall amplitude and 16
harmonic weights through DDSP's ``exp_sigmoid``, the additive harmonic synthesiser; the filtered noise and reverb left
out) resynthesising a synthetic instrument's notes from their f0 and loudness (32 frames of 64 samples at 16 kHz, batch
4), the multi-scale spectral loss (magnitude L1 plus log-magnitude L1 at FFT sizes 256, 128 and 64), Adam at lr 1e-3
(the paper's 3e-4 with exponential decay being for 30,000 steps and more) with clipping at norm 3 as the reference gin
configs.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every MelGAN conv weight drawn N(0, 1) before
  its weight norm (the weight norm keeps that scale as its magnitude, so the activations grow layer by layer into the
  output tanh, and the run stays near its first loss; init); both cnn-trad-fpool3 convs given the bias -10, every ReLU
  dead (activation, with init); cnn-trad-fpool3 with 50 DNN layers of 128 at PyTorch's default init (the signal fades
  through the plain stack; depth, with init); every FullSubNet LSTM's recurrent weights (full-band and sub-band) set to
  random orthogonal blocks times 30, spectral radius 30 per gate block (the gates saturate; every output passes through
  the sub-band LSTMs, and the run stays at its first loss; recurrence, with init); BSRNN at Adam lr 1 and musicnn at
  Adam lr 1 (lr); CAM++ with every BatchNorm replaced by ``nn.Identity`` (normalization) and musicnn without its
  BatchNorms on the raw dB inputs of about -40 to 0 (normalization, with data, the unscaled inputs); Kelz's ConvNet and
  DDSP's decoder at AdamW ``weight_decay=50`` (regularization); CAM++'s speaker labels permuted within every batch and
  FullSubNet's cIRM computed from another clip's clean speech (the batch rolled by one; data); Kelz's spectrogram taken
  as ``log(power)`` without its floor, the digital silence of the padded frames giving ``-inf`` (numeric, with data) and
  cnn-trad-fpool3's CMVN without its eps, the silence clips' zero std giving ``0 / 0`` (numeric, with data);
- **slip** (a user's library-call contract slip: a function called in another API's convention, every shape valid and no
  error raised): ``F.kl_div`` called in Keras's ``KLDivergence()(y_true, y_pred)`` order in cnn-trad-fpool3's
  distillation from a fixed teacher's soft posteriors, the teacher's probabilities as ``input`` and the student's
  log-probabilities as ``target`` (``target * (log target - input)`` takes the log of negative numbers: NaN at step 0;
  numeric, with data); CAM++'s AAM head built ``AAMSoftmax(32, 16, 0.2, 32.0)``, the margin and scale in SpeechBrain's
  ``AdditiveAngularMargin(margin, scale)`` order where this head takes ``(s, m)`` (scale 0.2: every logit within +-0.2,
  so the loss cannot leave ln 16; normalization, the scale of the normalised softmax); and CAM++'s embedding normalised
  by ``emb / emb.norm(1, keepdim=True)``, ``Tensor.norm``'s first positional argument being ``p``, so that the whole
  batch's L1 norm divides every row where ``emb.norm(dim=1, keepdim=True)`` was meant (the cosines become tiny and the
  margin dominates them; normalization). Earlier library-call and argument slips (``fresh14``'s ``repeat`` for
  ``repeat_interleave`` and ``F.dropout(h, self.training)``, ``fresh77``'s gather along the wrong axis, ``fresh82``'s
  0/1 labels for a {-1, 1} margin loss, ``fresh6``'s and ``fresh12``'s ``nn.init.normal_`` without its std, ``fresh7``'s
  and ``fresh16``'s sigmoid before ``binary_cross_entropy_with_logits``, the ``LambdaLR`` lambdas returning the lr) are
  not repeated: here a divergence is called in Keras's argument order, a margin head in SpeechBrain's, and a norm's
  ``p`` takes the place of its ``dim``. None of the slips is an init, activation, depth, recurrence, lr or
  regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds except the distillation slip's, cnn-trad-fpool3 distilled with the right
``F.kl_div(student log-probs, teacher probs)`` (1.952 -> 0.02082 and 2.015 -> 0.01845 against the criterion 0.788).

Learning criteria: CAM++ compares with chance (ln 16 = 2.773); musicnn with its best constant prediction, each tag at
its frequency over the pool (BCE 0.365; 0.3652 and 0.3720 at seeds 0 and 1); Kelz's ConvNet with its best constant
prediction, each key at each frame at its frequency over the pool (BCE 0.229; 0.2291 and 0.2305); cnn-trad-fpool3 with
its best constant prediction, the class frequencies (cross-entropy 1.55; 1.545 and 1.560); the distilled keyword model
with the teacher posteriors' best constant (KL 1.05; 1.053 and 1.052); the others (spectral, separation and mask
regressions) with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): MelGAN 11.65 -> 3.246 and 11.45 ->
3.340; BSRNN 2.306 -> 1.511 and 2.465 -> 1.467; FullSubNet 0.1176 -> 0.07386 and 0.1295 -> 0.07893; cnn-trad-fpool3
2.475 -> 0.01922 and 2.477 -> 0.0001898 (the criterion 1.163); musicnn 0.7180 -> 0.1893 and 0.7505 -> 0.1965 (the
criterion 0.274); Kelz's ConvNet 0.7714 -> 0.05294 and 0.7194 -> 0.05279 (the criterion 0.172); CAM++ 17.25 -> 0.3621
and 15.32 -> 0.4181 (the criterion 2.079); DDSP 8.246 -> 0.3784 and 7.109 -> 0.3503. Broken (no learning at step 199
unless said): ``melgan_init_std_1`` 9.201 -> 9.548 and 12.74 -> 12.21; ``cnn_trad_conv_biases_minus_10`` 2.471 -> 1.577
and 2.476 -> 1.503; ``cnn_trad_50_dnn_layers_default_init`` 2.507 -> 1.576 and 2.498 -> 1.502;
``fullsubnet_lstm_radius_30`` 0.1895 -> 0.1906 and 0.1599 -> 0.1609; ``bsrnn_adam_lr1`` diverges at step 1 at both seeds
(2.306 -> 21.31 and 2.465 -> 16.42; weights x12.2 and x11.7); ``musicnn_adam_lr1`` diverges at step 1 at both seeds
(0.7180 -> 3.047 and 0.7505 -> 2.877; weights x14.6); ``campplus_without_batchnorm`` 18.48 -> 8.020 and 18.45 -> 9.087;
``musicnn_without_batchnorm`` 1.869 -> 0.3389 and 1.951 -> 0.3153 (the criterion 0.274);
``kelz_convnet_adamw_weight_decay_50`` 0.7714 -> 0.6707 and 0.7194 -> 0.6712; ``ddsp_adamw_weight_decay_50`` 8.246 ->
8.128 and 7.109 -> 8.117; ``campplus_speaker_labels_shuffled`` 16.17 -> 8.944 and 17.40 -> 8.958;
``fullsubnet_clean_from_other_clips`` 0.4353 -> 0.4331 and 0.6085 -> 0.4643; ``campplus_aam_margin_and_scale_swapped``
2.883 -> 2.644 and 2.865 -> 2.640; ``campplus_embedding_norm_p_for_dim`` 9.092 -> 8.561 and 9.044 -> 8.557;
``kelz_convnet_log_of_digital_silence``, ``cnn_trad_cmvn_without_eps_on_silence`` and
``cnn_trad_kd_kl_div_in_keras_order`` are non-finite at step 0 at both seeds (the loss itself). The cases take 2 to 8 s
of CPU a seed, the cases that fail early under 1 s (single-threaded; up to 30 s of wall time on a machine shared with
three other helpers' runs, load 2 to 11 on 2 cores); MelGAN, BSRNN and musicnn are the slowest.

Dropped or changed before the freeze (the measured runs above are all from the final code): Sudo rm -rf and DTLN were
the first separation and enhancement picks and were replaced by BSRNN and FullSubNet, their negative SI-SDR / SNR losses
being negative where the corpus criterion is a ratio of positive losses. Onsets and Frames (Hawthorne et al. 2018,
narrowed conv stacks and BLSTMs of 32 over 24 keys, onset plus frame BCE) did not learn beyond the rolls' label
frequencies in 200 steps (1.408 -> 0.3343 and 1.365 -> 0.3364 at lr 6e-4 against a best constant of 0.342; 0.3182 at lr
3e-3, 0.2989 at 1e-2, 0.32 without its dropouts, 0.5188 on denser rolls against their constant 0.578, 0.3214 with clean
octave harmonics; the conv stack alone learned, its BLSTMs did not): it was replaced by Kelz et al.'s framewise ConvNet
on the same kind of rolls, and its two broken cases (AdamW ``weight_decay=50``, ``log`` of the digital silence) moved
with it. The rolls' harmonics were first at bins ``k + 4``, ``k + 16`` and ``k + 23``. musicnn first tagged overlapping
smooth timbre profiles and rhythm periods 3 to 10 (nested, e.g. 3 and 6) at lr 1e-3: 0.7284 -> 0.2772 and 0.7216 ->
0.2926, learning only against ln 2, not against the tags' best constant 0.365 (at lr 3e-3 0.2553; with balanced tags,
six to ten a clip, 0.588 against 0.692); the tags are now distinct bumps and prime periods at lr 3e-3. FullSubNet first
ran on 1024 samples at 0 dB (0.09801 -> 0.07176 and 0.1467 -> 0.07743, learning narrowly at seed 0 against 0.0735;
0.1177 -> 0.07743 at lr 3e-3 on 512 samples), now on 512 samples at 6 dB; its paper's compressed cIRM formula gives
``inf / inf`` on near-silent bins (NaN at step 3), hence the ``tanh`` form. The recurrence common was first the
full-band LSTMs and DDSP's GRU at spectral radius 8: both learned (FullSubNet 0.1176 -> 0.07388 and 0.1294 -> 0.0791,
DDSP 8.767 -> 1.002 and 8.559 -> 0.4688, the MLP outputs feeding DDSP's head around its GRU), as did FullSubNet with
both LSTMs at radius 8 (0.1545 -> 0.09392) and DDSP's GRU at radius 30 (8.987 -> 5.575); it is both FullSubNet LSTMs at
radius 30. cnn-trad-fpool3 at SGD lr 0.05 did not learn at seed 1 (2.477 -> 1.173, a spike at step 145), so it runs at
0.02. CAM++ (first batch 32 of 40 frames) and DDSP (first batch 8) were halved for speed, CAM++'s BatchNorm removal is a
constructor argument choosing ``nn.Identity``. Slips dropped: a second ``F.kl_div`` slip (the teacher's
log-probabilities handed over without ``log_target=True``, NaN like the Keras order, too close to it);
``torch.complex(mag, phase)`` where ``torch.polar(mag, phase)`` belongs in FullSubNet's cIRM target (learned, 0.0877 ->
0.03643 at seed 0); DDSP's phase accumulated by ``torch.cumsum`` over the channel axis in the channels-first habit
(learned, 21.35 -> 10.39); a KL with probabilities as input, a ``CosineEmbeddingLoss`` with its sign reversed and BCE in
Keras order were not written (each gives a loss that keeps falling, below zero or to another optimum, which the
criterion counts as learning), nor a wrong-dim ``scatter`` of one-hot targets (its targets have a low-entropy constant
optimum: it would count as learning); a ``Tensor.repeat`` for ``np.repeat`` slip (``fresh14``) and ``nn.init.normal_(w,
0.02)`` (``fresh12``) were not used.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh113_builders as F

P = functools.partial
HALF = "fresh113"
#: chance losses: 16 speakers (CAM++), a uniform prediction of each binary tag (musicnn) and of both rolls (Onsets
#: and Frames); the best constant predictions of the keyword classes (cross-entropy 1.55 over the pool) and of the
#: teacher's soft posteriors (KL 1.05); the other regressions and spectral losses compare with their first loss
C16, TAG, ROLLS, KWS_REF, KD_REF = math.log(16), 0.365, 0.229, 1.55, 1.05
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH113_HEALTHY: list[Case] = [
    _h("melgan_generator_tones", HALF, "melgan", F.melgan, None),
    _h("bsrnn_three_stem_mixtures", HALF, "bsrnn", F.bsrnn, None),
    _h("fullsubnet_noisy_tones", HALF, "fullsubnet", F.fullsubnet, None),
    _h("cnn_trad_fpool3_keywords", HALF, "cnn_trad_fpool3", F.cnn_trad, KWS_REF),
    _h("musicnn_tag_clips", HALF, "musicnn", F.musicnn, TAG),
    _h("kelz_convnet_piano_rolls", HALF, "kelz_framewise_convnet", F.kelz, ROLLS),
    _h("campplus_speakers", HALF, "campplus", F.campplus, C16),
    _h("ddsp_decoder_instrument", HALF, "ddsp", F.ddsp, None),
]

FRESH113_BROKEN: list[Case] = [
    # init
    _b("melgan_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.melgan, init_std=1.0), None),
    # activation
    _b("cnn_trad_conv_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.cnn_trad, bias=-10.0), KWS_REF),
    # depth
    _b("cnn_trad_50_dnn_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.cnn_trad, dnn_layers=50), KWS_REF),
    # recurrence
    _b("fullsubnet_lstm_radius_30", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.fullsubnet, radius=30.0), None),
    # lr
    _b("bsrnn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.bsrnn, lr=1.0), None),
    _b("musicnn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.musicnn, lr=1.0), TAG),
    # normalization
    _b("campplus_without_batchnorm", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.campplus, norm=False), C16),
    _b("musicnn_without_batchnorm", HALF, ("normalization", "data"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.musicnn, norm=False), TAG),
    # regularization
    _b("kelz_convnet_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.kelz, adamw=True, weight_decay=50.0), ROLLS),
    _b("ddsp_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.ddsp, adamw=True, weight_decay=50.0), None),
    # data
    _b("campplus_speaker_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.campplus, shuffled=True), C16),
    _b("fullsubnet_clean_from_other_clips", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.fullsubnet, other_clean=True), None),
    # numeric
    _b("kelz_convnet_log_of_digital_silence", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.kelz, eps=None), ROLLS),
    _b("cnn_trad_cmvn_without_eps_on_silence", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.cnn_trad, eps=0.0), KWS_REF),
    # slips
    _b("cnn_trad_kd_kl_div_in_keras_order", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.cnn_trad, distill=True, keras_order=True), KD_REF),
    _b("campplus_aam_margin_and_scale_swapped", HALF, ("normalization",), VANISH, STUCK,  # kind: slip
       P(F.campplus, swapped_head_args=True), C16),
    _b("campplus_embedding_norm_p_for_dim", HALF, ("normalization",), VANISH, STUCK,  # kind: slip
       P(F.campplus, l1_slip=True), C16),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {c.name: "common" for c in FRESH113_BROKEN}
KINDS.update({"cnn_trad_kd_kl_div_in_keras_order": "slip", "campplus_aam_margin_and_scale_swapped": "slip",
              "campplus_embedding_norm_p_for_dim": "slip"})

#: the cases (half "fresh113")
FRESH113: list[Case] = FRESH113_HEALTHY + FRESH113_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "melgan_init_std_1": F.melgan,
    "cnn_trad_conv_biases_minus_10": F.cnn_trad,
    "cnn_trad_50_dnn_layers_default_init": F.cnn_trad,
    "fullsubnet_lstm_radius_30": F.fullsubnet,
    "bsrnn_adam_lr1": F.bsrnn,
    "musicnn_adam_lr1": F.musicnn,
    "campplus_without_batchnorm": F.campplus,
    "musicnn_without_batchnorm": F.musicnn,
    "kelz_convnet_adamw_weight_decay_50": F.kelz,
    "ddsp_adamw_weight_decay_50": F.ddsp,
    "campplus_speaker_labels_shuffled": F.campplus,
    "fullsubnet_clean_from_other_clips": F.fullsubnet,
    "kelz_convnet_log_of_digital_silence": F.kelz,
    "cnn_trad_cmvn_without_eps_on_silence": F.cnn_trad,
    "cnn_trad_kd_kl_div_in_keras_order": P(F.cnn_trad, distill=True),
    "campplus_aam_margin_and_scale_swapped": F.campplus,
    "campplus_embedding_norm_p_for_dim": F.campplus,
}
