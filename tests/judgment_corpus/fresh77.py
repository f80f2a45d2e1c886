"""The seventy-eighth held-out batch (half ``"fresh77"``): eight published multimodal (vision-language,
audio-visual) and video models new to the corpus at their usual settings, and sixteen broken variants with one real
fault each, written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it
is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 770_000 + seed): ViLT (Kim et al. 2021, narrowed: word embeddings and positions
for a [CLS] and the 6-token question, a linear projection of 4x4 patches with positions for the 16x16 image, a
modality-type embedding on each, two pre-LN ViT layers of 64 with 4 heads over the joint sequence, the tanh pooler on
[CLS] and the VQA head ``Linear, LayerNorm, GELU, Linear``; weights N(0, 0.02); AdamW at lr 1e-3, the paper's 1e-4
raised for 200 steps, weight decay 0.01, its warm-up and decay left out) and MFB with co-attention (Yu et al. 2017,
narrowed: an LSTM of 64 over the question, a two-conv stem to a 4x4 grid of 32-d regions, question-guided attention
through an MFB (o = 32, k = 5, dropout 0.1, power and L2 normalisation) and one glimpse, a second MFB fusing the
attended feature with the question, the answer Linear; Adam at lr 1e-3) answering "which class is on the left /
right?" about two-object scenes (4 classes; the answer needs the question and the image together), the Multimodal
Transformer MulT (Tsai et al. 2019, narrowed: each modality projected to 32 by a kernel-1 Conv1d, scaled by
``sqrt(32)`` plus sinusoids, the six crossmodal transformers of one pre-LN layer of 4 heads each, the two into each
target concatenated through one self-attention layer, the last element of each (the words' last real one; a
key-padding mask on the words), the residual projection and the output; dropout 0.1; Adam at the reference code's lr
1e-3, its clipping left out) on utterances whose class is in the words and, weakly (0.3 times a class pattern over
N(0, 1) frames), in the acoustic and facial frames, and LMF (Liu et al. 2018: an LSTM of 32 over the words, packed by
length, read at the last real word; mean-pooled acoustic and facial frames through two-layer ReLU MLPs of 16, dropout
0.15; each vector with a 1 appended, the rank-4 low-rank fusion to the 4 outputs, Xavier-normal factors; Adam at lr
3e-3, the upper end of the reference code's searched range) on utterances whose class is in the words only (the
frames carry a speaker pattern unrelated to it; words of 5 to 11 tokens zero-padded to 12), I3D (Carreira and
Zisserman 2017, narrowed: its clip sampler, 8 frames at a stride of 2 from a random offset gathered by their indices
from the 16-frame video, a 3x5x5 stem of 16 (stride 1x2x2) and a 1x3x3 max pool, two inflated Inception modules
(32 and 48 channels), BatchNorm (eps 1e-3, momentum 0.01) and ReLU after every conv, global average pooling, dropout
0.5, a 1x1x1 logits conv; SGD at the paper's lr 0.1, momentum 0.9, weight decay 1e-7) telling the direction (4) of a
blob moving over 12x12 frames, L3-Net (Arandjelovic and Zisserman 2017, narrowed: a vision and an audio tower of
three blocks of two 3x3 convs (16, 32, 64) with BatchNorm, ReLU and a 2x2 max pool, global max pooling, the audio
tower on the log power spectrogram ``log(spec + 1e-7)``, the fusion MLP 128 -> 64 -> 2; Adam at lr 1e-3, the paper's
1e-4 raised for 200 steps, weight decay 1e-5) on the audio-visual correspondence task (a frame and a 16x16 power
spectrogram, half the pairs mismatched; each clip sounds for its first 10 to 16 frames and is zero-padded digital
silence after, exactly 0), MBT (Nagrani et al. 2021, narrowed: the frame and the log spectrogram in 4x4 patches
embedded to 64 with their own positions and [CLS], four pre-LN ViT layers of 4 heads, the first two within each
modality, the last two through 4 fusion bottleneck tokens whose updates from the two modalities are averaged, each
[CLS] through its own classifier and the logits averaged; truncated-normal 0.02; AdamW at lr 5e-4 (set here; the
paper fine-tunes from ImageNet with SGD) with weight decay 0.05) classifying the same clips' event (frame and sound
of one class, 4 classes), and NetVLAD video pooling with context gating (Miech et al. 2017, after Arandjelovic et al.
2016: a ReLU frame embedding of 32, the soft assignment to 8 clusters with BatchNorm, the residuals to the learned
centres summed per video over the batch's packed frames by ``index_add_`` on the video ids, intra- and L2
normalisation, a Linear to 64 with context gating, the classifier; Adam at lr 1e-3, set here) classifying videos of
4 to 12 packed frame features, each frame one of its class's three visual words from a shared dictionary plus noise.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every L3-Net conv and Linear weight and bias
  set to 0 (every feature is 0 after its BatchNorm and ReLU, and only the output bias receives a gradient; init),
  every I3D BatchNorm's shift at -10, every ReLU dead (activation), NetVLAD's frame
  embedding 30 ReLU layers of 32 deep at PyTorch's default init (depth), LMF's LSTM input-gate biases at -10 + -10
  (``i = 2e-9``: nothing is written into the cell, which stays at its zero start, and no word reaches the text
  vector; recurrence), ViLT at AdamW lr 1, MBT at AdamW lr 1, NetVLAD at Adam lr 1 and LMF at Adam lr 1 (lr), L3-Net
  without its BatchNorms (two plain towers of six convs at PyTorch's default init, the audio one reading a log
  spectrogram between -16.1 in the silence and about 3, uncentred; the architecture normalises every conv, and
  without it neither tower's features leave their start; normalization), MBT at AdamW ``weight_decay=50`` and MFB at
  Adam ``weight_decay=1`` (regularization), MBT's labels permuted within every batch, apart from their clips (data),
  and L3-Net's log spectrogram written ``log(spec)`` without its floor, over clips zero-padded with digital silence
  (``log 0 = -inf``, and the first conv's ``-inf + inf`` is NaN at step 0; numeric, with data);
- **slip** (a user's mistake in indexing, gather/scatter and index_select code, of a kind no earlier batch used):
  I3D's clip sampler written ``video.gather(0, index)`` where ``gather(2, index)``, the time axis, belongs: the index
  is expanded to ``(b, 3, 8, 12, 12)`` and holds frame numbers 0 to 15, all valid batch indices for a batch of 16,
  so nothing fails, but clip ``i``'s ``k``-th frame is frame ``k`` of video ``offset_i + 2k``: every clip is the same
  collage of other videos' frames (two distinct clips a batch, by the offset), unrelated to its label (data, the
  inputs paired with the wrong labels); LMF's text vector read at ``out[arange(b), lengths]``, an off-by-one where
  ``lengths - 1`` belongs: the first padding step, which ``pad_packed_sequence`` fills with exactly 0 (the total
  length 12 keeps every index in range), so every utterance's text vector is 0 and only the appended 1 reaches the
  fusion, while the class is in the words only (data: the padding is read in place of the sentence); and NetVLAD's
  per-video aggregation ``index_add_(0, pos, resid)``, the frames' positions in their videos passed where the video
  ids belong (both are long tensors of one entry per packed frame, and every position, below 12, is a valid row of
  the 32): row ``j`` sums the ``j``-th frames of every video of the batch and rows 12 to 31 stay 0 (``F.normalize``
  keeps them 0), so no VLAD describes its own video (data). Earlier indexing slips (a readout summed over the whole
  batch where ``index_add_`` belongs, spirals gathered without batch offsets, a permutation applied to rows only, a
  positive's index without its ``+ N``, ids missing a string-keyed vocabulary, an index typo in an accumulation loop,
  a document index 0) are not repeated: here a gather runs along the wrong axis, a length is used as an index without
  its ``- 1``, and a scatter is given the wrong index tensor. All three slips are data ones; none is an init,
  activation, depth, recurrence, lr, normalization, regularization or numeric one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds.

Learning criteria: every case compares with chance (four classes; L3-Net's two). Measured plain runs, 200 steps (seed
0, seed 1): ViLT 1.385 -> 0.509 and 1.433 -> 0.544 (the criterion 1.040); MFB 1.377 -> 0.812 and 1.376 -> 0.867;
MulT 3.081 -> 0.0022 and 2.940 -> 0.0024; LMF 1.387 -> 9.8e-5 and 1.387 -> 1.3e-4; I3D 1.379 -> 0.0085 and 1.385 ->
0.0046; L3-Net 0.705 -> 0.0090 and 0.671 -> 0.200 (the criterion 0.520 and 0.503); MBT 1.389 -> 0.0253 and 1.414 ->
0.0261; NetVLAD 1.388 -> 0.0086 and 1.399 -> 0.0138. Broken: ``l3_net_zero_init`` 0.6931 -> 0.6931 and 0.6931 ->
0.6932; ``i3d_batchnorm_shifts_minus_10`` 1.367 -> 1.385 and 1.364 -> 1.392; ``netvlad_30_frame_layers_default_init``
1.381 -> 1.386 and 1.396 -> 1.387; ``lmf_lstm_input_gate_bias_minus_10`` 1.387 -> 1.384 and 1.386 -> 1.382;
``vilt_adamw_lr1`` diverges at step 1 at both seeds (ends 1.477 and 1.454; weights x58.7 and x59.6 at step 0);
``mbt_adamw_lr1`` diverges at step 1 at both seeds (ends 1.412 and 1.413; weights x41.1 and x41.2 at step 0);
``netvlad_adam_lr1`` diverges at step 1 at both seeds (weights x106 and x101 at step 0; it then settles and ends
0.428 and 1.03); ``lmf_adam_lr1`` diverges at step 1 at both seeds (ends 2.534 and 6.784; weights x10 at step 5);
``l3_net_without_batchnorm`` 0.694 -> 0.691 and 0.680 -> 0.693; ``mbt_adamw_weight_decay_50`` 1.389 -> 1.382 and
1.414 -> 1.385; ``mfb_adam_weight_decay_1`` 1.377 -> 1.386 and 1.376 -> 1.384; ``mbt_labels_shuffled`` 1.389 ->
1.278 and 1.377 -> 1.238; ``l3_net_log_spectrogram_without_floor`` is non-finite at step 0 at both seeds (the loss
itself); ``i3d_clip_gathered_along_batch_axis`` 1.358 -> 1.368 and 1.436 -> 1.349;
``lmf_text_read_at_first_padding_step`` 1.387 -> 1.384 and 1.386 -> 1.382; and
``netvlad_residuals_added_by_frame_position`` 1.387 -> 1.377 and 1.403 -> 1.379. The cases ran in 0.3 to 79 s a
seed on a machine shared with three other helpers' runs (load 5 to 9 on 2 cores); LMF took 1.6 s and NetVLAD 0.3 s a
seed when the machine was least loaded, MBT and MulT are the slowest (12 s and 39 s a seed at their fastest here).

Dropped or changed before the freeze (every figure above is from the final code): MFB without its power and L2
normalisation, first written as the normalization common, learned (1.381 -> 0.515 at seed 0) and was dropped; its
``norm`` switch stays, unused, and L3-Net without its BatchNorms took its place. MulT, the slowest model, carries no
broken case (its ``weight_decay`` and ``adamw`` switches stay, unused); the fourth lr common is LMF's. ViLT with every
Linear and Embedding drawn N(0, 1) was prepared (the ``init_std`` switch) but not run, and the init common is
L3-Net's zero init. No case was changed after its plain runs.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh77_builders as F

P = functools.partial
HALF = "fresh77"
#: chance losses: four classes (ViLT's and MFB's answers, MulT's and LMF's utterances, I3D's directions, MBT's
#: events, NetVLAD's videos), two (L3-Net's corresponds / does not)
C4, C2 = math.log(4), math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")

FRESH77_HEALTHY: list[Case] = [
    _h("vilt_vqa_scenes", HALF, "vilt", F.vilt, C4),
    _h("mfb_coattention_vqa_scenes", HALF, "mfb_vqa", F.mfb, C4),
    _h("multimodal_transformer_utterances", HALF, "multimodal_transformer", F.mult, C4),
    _h("lmf_utterances", HALF, "lmf", F.lmf, C4),
    _h("i3d_moving_blobs", HALF, "i3d", F.i3d, C4),
    _h("l3_net_av_correspondence", HALF, "l3_net", F.l3_net, C2),
    _h("mbt_av_events", HALF, "mbt", F.mbt, C4),
    _h("netvlad_packed_frames", HALF, "netvlad", F.netvlad, C4),
]

FRESH77_BROKEN: list[Case] = [
    # init
    _b("l3_net_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.l3_net, zero_init=True), C2),
    # activation
    _b("i3d_batchnorm_shifts_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.i3d, bn_bias=-10.0), C4),
    # depth
    _b("netvlad_30_frame_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.netvlad, depth=30), C4),
    # recurrence
    _b("lmf_lstm_input_gate_bias_minus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.lmf, input_gate_bias=-10.0), C4),
    # lr
    _b("vilt_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.vilt, lr=1.0), C4),
    _b("mbt_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.mbt, lr=1.0), C4),
    _b("netvlad_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.netvlad, lr=1.0), C4),
    _b("lmf_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.lmf, lr=1.0), C4),
    # normalization
    _b("l3_net_without_batchnorm", HALF, ("normalization", "init"), VANISH, STUCK,  # kind: common
       P(F.l3_net, bn=False), C2),
    # regularization
    _b("mbt_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.mbt, weight_decay=50.0), C4),
    _b("mfb_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.mfb, weight_decay=1.0), C4),
    # data
    _b("mbt_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.mbt, shuffled=True), C4),
    # numeric
    _b("l3_net_log_spectrogram_without_floor", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.l3_net, log_eps=0.0), C2),
    _b("i3d_clip_gathered_along_batch_axis", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.i3d, gather_dim=0), C4),
    _b("lmf_text_read_at_first_padding_step", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.lmf, read_at_length=True), C4),
    _b("netvlad_residuals_added_by_frame_position", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.netvlad, by_position=True), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "l3_net_zero_init": "common", "i3d_batchnorm_shifts_minus_10": "common",
    "netvlad_30_frame_layers_default_init": "common", "lmf_lstm_input_gate_bias_minus_10": "common",
    "vilt_adamw_lr1": "common", "mbt_adamw_lr1": "common", "netvlad_adam_lr1": "common", "lmf_adam_lr1": "common",
    "l3_net_without_batchnorm": "common", "mbt_adamw_weight_decay_50": "common",
    "mfb_adam_weight_decay_1": "common", "mbt_labels_shuffled": "common",
    "l3_net_log_spectrogram_without_floor": "common",
    "i3d_clip_gathered_along_batch_axis": "slip", "lmf_text_read_at_first_padding_step": "slip",
    "netvlad_residuals_added_by_frame_position": "slip",
}

#: the cases (half "fresh77")
FRESH77: list[Case] = FRESH77_HEALTHY + FRESH77_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "l3_net_zero_init": F.l3_net,
    "i3d_batchnorm_shifts_minus_10": F.i3d,
    "netvlad_30_frame_layers_default_init": F.netvlad,
    "lmf_lstm_input_gate_bias_minus_10": F.lmf,
    "vilt_adamw_lr1": F.vilt,
    "mbt_adamw_lr1": F.mbt,
    "netvlad_adam_lr1": F.netvlad,
    "lmf_adam_lr1": F.lmf,
    "l3_net_without_batchnorm": F.l3_net,
    "mbt_adamw_weight_decay_50": F.mbt,
    "mfb_adam_weight_decay_1": F.mfb,
    "mbt_labels_shuffled": F.mbt,
    "l3_net_log_spectrogram_without_floor": F.l3_net,
    "i3d_clip_gathered_along_batch_axis": F.i3d,
    "lmf_text_read_at_first_padding_step": F.lmf,
    "netvlad_residuals_added_by_frame_position": F.netvlad,
}
