"""The hundred-and-fifteenth held-out batch (half ``"fresh114"``): eight published multimodal learning and retrieval
models new to the corpus (visual question answering, image-text matching, captioning, neural re-ranking,
audio-visual event localisation, gated multimodal fusion) at their usual settings, and sixteen broken variants with
one real fault each, written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh
batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 1_140_000 + seed, fixed templates from 11_400 + k, 32 batches cycled). Four of
them share the scenes: 2 to 4 objects of distinct shapes (of 6) and colours (of 6) in distinct cells of a 4x4 grid,
each occupied cell's 16-d region feature its shape's plus its colour's fixed template, every cell N(0, 0.1^2) noise
(the bottom-up region features a detector would give). Stacked Attention Networks (Yang et al. 2016, narrowed: the
image model a single-layer tanh perceptron over the 16 regions, the question an LSTM of 64 over embeddings of 32, two
attention layers ``p = softmax(w_P tanh(W_I v_I + W_Q u))``, ``u <- sum_i p_i v_i + u``, the answer classifier; SGD
with the paper's momentum 0.9 at lr 0.1, gradients clipped at norm 10, both set here) answering "what colour is the
<shape> in the picture" and "what shape is the <colour> thing in the picture" over 12 answers (batch 32); MCAN (Yu et
al. 2019, narrowed: an LSTM of 32 then two self-attention layers on the question, two self-guided-attention layers on
the regions projected to 32, 4 heads, feed-forward 128 with ReLU, dropout 0.1, post-LayerNorm residuals, the
attentional reductions, the linear fusion ``LN(W_x x + W_y y)`` and the classifier; softmax cross-entropy in place of
its BCE over soft scores (one answer a question here); Adam betas (0.9, 0.98) as the paper with its linear warm-up,
over 20 steps, to lr 1e-3 in place of 1e-4) on the same questions; VSE++ (Faghri et al. 2018, narrowed: the image a
two-layer ReLU perceptron over the regions standing for its CNN, mean-pooled, linear to a 64-d joint space,
l2-normalised; the caption a GRU of 64 over the packed caption, its last state l2-normalised; the max of hinges,
hardest negatives in the batch, margin 0.2, summed; Adam with the paper's clipping at norm 2, at lr 3e-3 in place of
its 2e-4 for 30 epochs) matching scenes to their descriptions ("<colour> <shape>" per object in a random order, 4 to 8
tokens; the collate sorts each batch by caption length for ``pack_padded_sequence`` and reorders the images with it;
batch 32); SCAN (Lee et al. 2018, text-to-image with LogSumExp pooling, narrowed: the regions projected to 64 and
l2-normalised, a bidirectional GRU of 64 with the directions averaged, the region-word cosines clipped at zero and
normalised over the regions, attention at ``lambda_1 = 9``, each word's relevance to its attended vector pooled by
LogSumExp at ``lambda_2 = 6``; the same max of hinges on its score matrix; Adam, clipping at 2, lr 3e-3 in place of
2e-4) on the same pairs; the Bottom-Up and Top-Down captioner (Anderson et al. 2018, narrowed: the regions with their
boxes projected to 64 with ReLU, the top-down attention LSTM fed the language LSTM's state, the mean region and the
previous word, the attention ``w^T tanh(W_v v_i + W_h h1)``, the language LSTM, hidden 64, dropout 0.5 before the
word softmax; teacher-forced cross-entropy; Adam at lr 1e-3 and clipping at norm 5, set here) captioning the scenes
in raster order ("<colour> <shape>" per object, then eos; 24 words); DUET (Mitra, Diaz and Craswell 2017, narrowed:
the local model on the exact-match matrix of the query's 3 terms against the document's 20, a convolution spanning
the document per query term and two fully connected layers; the distributed model with term embeddings of 32 in place
of character-trigram hashing, width-3 convolutions of 64, max-pooling over the query and by 5 over the document, a 1x1
convolution, the Hadamard product and two fully connected layers; tanh throughout, dropout 0.2; the paper's softmax
over one relevant and four non-relevant candidates; Adam at lr 1e-3 in place of its SGD) re-ranking documents for
queries of 3 terms of one topic (64 terms in 8 topics; a relevant document holds the query's terms once or twice and
the rest from its topic (60%) or anywhere; the non-relevant candidates are the relevant documents of four other
queries of the batch, of other topics; batch 16); AVEL (Tian et al. 2018, supervised, narrowed: each segment's audio
feature standardised over its features ``(a - mean) / (std + 1e-5)``, the audio-guided visual attention over the 16
regions, a bidirectional LSTM of 32 per stream, the two concatenated, a per-segment classifier over 5 events and
background; Adam at lr 1e-3, set here) on clips of 10 segments, each an event (probability 0.6: its 32-d sound
template at a loudness U(0.5, 1.5) plus noise, its object in a random cell among clutter) or background (another
object; the background sound or, in a third of them, digital silence: an all-zero audio feature; batch 16); and the
Gated Multimodal Unit (Arevalo et al. 2017, its MM-IMDb network narrowed: each modality batch-normed, ``h = z
tanh(W_v x_v) + (1 - z) tanh(W_t x_t)``, ``z = sigmoid(W_z [x_v, x_t])``, 64 units, a maxout layer of 128 units of 2
pieces, dropout 0.5, the classifier; Adam at lr 1e-3, set here) classifying 8 genres from a poster's raw fc7-like
features (``40 relu(template + 1.5 noise)``) and a plot's word counts (30 words over 64, 40% from the genre's 8
topic words), both as a feature store keeps them, on its zero point of 1000 (batch 64).

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): MCAN with every parameter zero (init: the
  gradients of nearly every weight are zero), the GMU network's weights drawn N(0, 1) (init: every tanh, gate
  and logit saturated, first losses of 177 and 155), VSE++'s image perceptron given the bias -10 before each ReLU
  (activation, with init: every unit dead, the image embedding constant), AVEL with its standardised audio and its
  attended visual feature each passed through a plain stack of 50 tanh layers at PyTorch's default init (depth, with
  init: both streams vanish before the LSTMs), VSE++'s GRU with each recurrent gate block rescaled to spectral radius
  10 (recurrence, with init: the gates saturate and the caption's state no longer follows its words), MCAN, Up-Down
  and the GMU network at Adam lr 1 (lr), the GMU network without its two input BatchNorms on features in their stored
  units (normalization, with data: on the zero point of 1000 every tanh and the gate saturate alike for every
  sample), Up-Down and DUET at AdamW ``weight_decay=50`` (regularization), SAN's answers permuted within every batch
  apart from their questions and scenes (data), and AVEL's audio standardisation without its ``+ 1e-5`` (the silent
  segments' ``0 / 0`` is NaN: the loss is NaN at step 0; numeric, with data, the silent clips);
- **slip** (a user's augmentation or pairing mistake that keeps every shape valid, of a kind no earlier batch used):
  VSE++'s collate sorting the captions and their lengths by length for ``pack_padded_sequence`` but not reordering
  the images with them (the sort applied to one side of the pairs only: the in-batch positives are now arbitrary
  pairs; data), DUET's relevant documents taken from a second loader that shuffles on its own (its order drawn
  afresh at each step), so that each query's "relevant" candidate is another query's relevant document, its four
  negatives unchanged (a pair built from different samples; data), and AVEL with temporal CutMix (a window of 2 to 8
  segments of every clip replaced, in both streams, by another clip's) whose label mask is reversed, the pasted
  clip's labels taken outside the window and the clip's own inside it, so that every segment is labelled by the clip
  it does not show (data). Earlier augmentation and pairing slips (separate random crops for paired tensors, a flip
  that changes a direction label, an augmentation's incomplete target transform, swapped mixup weights, a loader
  sorted by speaker, rows sorted along the feature axis, micro-batch targets misaligned) are not repeated: here a
  length sort reorders one side of a pair, a positive comes from a separately shuffled loader, and a CutMix's
  per-segment label mask (not a mixing weight) is inverted. None of the slips is an init, activation, depth,
  recurrence, lr, normalization or regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is AVEL without the stacks, the normalization case's the GMU
network with its BatchNorms on the same stored units) but the CutMix slip's, which is AVEL with the same CutMix
written right (the window's labels from the pasted clip): 1.768 -> 0.0317 and 1.766 -> 0.0255.

Learning criteria: SAN and MCAN compare with chance over 12 answers (ln 12 = 2.485), Up-Down with a uniform word (ln 24
= 3.178), DUET with a uniform choice of 5 (ln 5 = 1.609), AVEL with 6 segment classes (ln 6 = 1.792), the GMU network
with 8 genres (ln 8 = 2.079), VSE++ and SCAN with the max of hinges at a constant embedding (every score equal: 2 x 32 x
0.2 = 12.8, the criterion 9.6; their first losses, 17.4 to 22.7, are above it and a collapsed run ends near 12.8).
Measured plain runs, 200 steps (seed 0, seed 1): SAN 2.492 -> 1.329 and 2.493 -> 1.396 (the criterion 1.864); MCAN 2.717
-> 1.398 and 2.633 -> 1.492; VSE++ 17.71 -> 1.582 and 22.70 -> 1.604; SCAN 19.79 -> 5.863 and 18.07 -> 5.991; Up-Down
3.144 -> 1.653 and 3.180 -> 1.590 (the criterion 2.358 and 2.384); DUET 1.579 -> 0.0013 and 1.633 -> 0.0016; AVEL 1.758
-> 0.0285 and 1.772 -> 0.0224; the GMU network 2.077 -> 0.0076 and 2.116 -> 0.0067. Broken (no learning at step 199
unless said): ``mcan_zero_init`` 2.485 -> 2.481 and 2.485 -> 2.483; ``gmu_init_std_1`` 177.4 -> 71.30 and 154.6 ->
68.45; ``vse_pp_image_relu_biases_minus_10`` 17.36 -> 13.11 and 20.78 -> 12.94; ``avel_50_tanh_layers_default_init``
1.779 -> 1.634 and 1.830 -> 1.638; ``vse_pp_gru_radius_10`` 20.67 -> 17.98 and 22.08 -> 18.01; ``mcan_adam_lr1``
diverges at steps 2 and 4 (ends 14.99 and 25.61, weights x24.5 and x25.7); ``updown_adam_lr1`` diverges at step 1 at
both seeds (ends 9.145 and 9.268, weights x54 and x55); ``gmu_adam_lr1`` diverges at step 1 at both seeds (ends 1141 and
1591, weights x88); ``gmu_without_batchnorm_stored_units`` 2.152 -> 2.099 and 2.199 -> 2.094;
``updown_adamw_weight_decay_50`` 3.144 -> 2.807 and 3.180 -> 2.799; ``duet_adamw_weight_decay_50`` 1.579 -> 1.329 and
1.633 -> 1.361 (the criterion 1.184 and 1.207); ``san_answers_shuffled`` 2.475 -> 2.450 and 2.479 -> 2.450;
``avel_silence_standardised_without_eps`` is non-finite at step 0 at both seeds (the loss itself); slips:
``vse_pp_captions_sorted_for_packing_images_not`` 17.65 -> 12.95 and 22.53 -> 12.86;
``duet_positives_from_separately_shuffled_loader`` 1.601 -> 1.343 and 1.626 -> 1.308 (the criterion 1.201 and 1.207);
``avel_cutmix_label_mask_inverted`` 1.778 -> 1.634 and 1.770 -> 1.621 (the criterion 1.334 and 1.328). The cases ran in
0.1 to 54 s a seed on a machine shared with three other helpers' runs (load 2 to 8 on 2 cores): MCAN 30 to 54 s under
that load (5 s alone), Up-Down 13 to 24 s, SCAN and the 50-layer AVEL about 20 to 25 s, the rest 0.1 to 16 s.

Dropped or changed before the freeze (every figure above is from the final code): VSE++ at lr 1e-3 ended 11.51 at
seed 0 (17.71 at its start, not below 9.6) and at lr 1e-2 collapsed to 12.80, so it runs at 3e-3 (SCAN likewise).
VSE++ without its l2 normalisations (the first normalization common) learned at lr 3e-3 (18.50 -> 0.826 and 25.99 ->
0.619), and MCAN without its LayerNorms learned (2.479 -> 1.574 at seed 0, the criterion 1.859); the normalization
common is the GMU network's, whose data were then given the stored zero point of 1000 (the healthy runs are unchanged
by it: the BatchNorms remove it); without the zero point the BatchNorm-free network learned on poster features at
scale 40 (2.124 -> 0.0169) and 1000 (2.124 -> 0.0353). SAN's LSTM at spectral radius 4 and 20 learned (2.462 ->
1.087; 2.549 -> 0.559): the recurrence common is VSE++'s GRU. The GMU network's projections as plain stacks of 50
tanh layers learned (2.081 -> 0.0054: the gate ``z`` reads the inputs directly and carries them past the stacks), so
the depth common is AVEL's; its stacks were first on the raw inputs, all 16 regions of every segment (74 s a seed),
and are now on the audio and the attended visual feature. DUET at N(0, 1) init learned at seed 1 (9.604 -> 0.683, on
the first ranking data below) and was dropped. DUET's candidates permuted apart from the target (a second data
common) learned by memorising the pool (1.617 -> 0.162 and 1.631 -> 0.101) and was dropped. The ranking data first
drew the non-relevant candidates from other topics with one query term at most, against which a relevant document
taken from another sample still stood out (1.609 -> 0.030): the negatives are now other queries' relevant documents;
with a fixed permutation (one shuffle for the pool) DUET memorised the pairs (1.615 -> 0.049 and 1.620 -> 0.040), so
the slip's second loader reshuffles at every step, as a ``DataLoader`` with its own ``shuffle=True`` does every
epoch. AVEL with plain temporal CutMix and the labels not updated learned (1.772 -> 1.193 and 1.767 -> 1.185: half
the segments keep their own labels): the slip is the reversed label mask. SCAN's first version took square roots of
zero sums for the captions' padding (a NaN gradient at step 0) and now adds 1e-12 under them. Considered and not
written: the two views of a contrastive pair made identical (a model whose two inputs are the same learns the
identity at once and a plain run counts it learned), mixup with labels not mixed or its weights reversed (the model
still finds both classes in the mixture), a time shift drawn twice (the kind of ``separate random crops for paired
tensors``).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh114_builders as F

P = functools.partial
HALF = "fresh114"
#: chance losses: 12 answers (SAN, MCAN), a 24-word vocabulary (Up-Down), 5 candidates (DUET), 6 segment classes
#: (AVEL), 8 genres (GMU); VSE++'s max of hinges at a constant embedding (every score equal: 2 x 32 x the margin 0.2)
A12, V24, C5, S6, G8, VSE_REF = math.log(12), math.log(24), math.log(5), math.log(6), math.log(8), 12.8
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH114_HEALTHY: list[Case] = [
    _h("san_scene_vqa", HALF, "san_vqa", F.san, A12),
    _h("mcan_scene_vqa", HALF, "mcan", F.mcan, A12),
    _h("vse_pp_scene_descriptions", HALF, "vse_pp", F.vsepp, VSE_REF),
    _h("updown_scene_captions", HALF, "updown_captioner", F.updown, V24),
    _h("duet_topic_reranking", HALF, "duet", F.duet, C5),
    _h("avel_audio_visual_events", HALF, "avel", F.avel, S6),
    _h("gmu_poster_plot_genres", HALF, "gmu", F.gmu, G8),
    _h("scan_scene_descriptions", HALF, "scan", F.scan, VSE_REF),
]

FRESH114_BROKEN: list[Case] = [
    # init
    _b("mcan_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.mcan, zero_init=True), A12),
    _b("gmu_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.gmu, init_std=1.0), G8),
    # activation
    _b("vse_pp_image_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.vsepp, bias=-10.0), VSE_REF),
    # depth
    _b("avel_50_tanh_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.avel, depth=50), S6),
    # recurrence
    _b("vse_pp_gru_radius_10", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.vsepp, radius=10.0), VSE_REF),
    # lr
    _b("mcan_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.mcan, lr=1.0), A12),
    _b("updown_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.updown, lr=1.0), V24),
    _b("gmu_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.gmu, lr=1.0), G8),
    # normalization
    _b("gmu_without_batchnorm_stored_units", HALF, ("normalization", "data"), VANISH, STUCK,  # kind: common
       P(F.gmu, norm=False), G8),
    # regularization
    _b("updown_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.updown, adamw=True, weight_decay=50.0), V24),
    _b("duet_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.duet, adamw=True, weight_decay=50.0), C5),
    # data
    _b("san_answers_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.san, shuffled=True), A12),
    # numeric
    _b("avel_silence_standardised_without_eps", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.avel, eps=0.0), S6),
    # slips
    _b("vse_pp_captions_sorted_for_packing_images_not", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.vsepp, sort_captions_only=True), VSE_REF),
    _b("duet_positives_from_separately_shuffled_loader", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.duet, positives_from_other=True), C5),
    _b("avel_cutmix_label_mask_inverted", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.avel, cutmix="inverted"), S6),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "mcan_zero_init": "common", "gmu_init_std_1": "common", "vse_pp_image_relu_biases_minus_10": "common",
    "avel_50_tanh_layers_default_init": "common", "vse_pp_gru_radius_10": "common", "mcan_adam_lr1": "common",
    "updown_adam_lr1": "common", "gmu_adam_lr1": "common", "gmu_without_batchnorm_stored_units": "common",
    "updown_adamw_weight_decay_50": "common", "duet_adamw_weight_decay_50": "common",
    "san_answers_shuffled": "common", "avel_silence_standardised_without_eps": "common",
    "vse_pp_captions_sorted_for_packing_images_not": "slip",
    "duet_positives_from_separately_shuffled_loader": "slip", "avel_cutmix_label_mask_inverted": "slip",
}

#: the cases (half "fresh114")
FRESH114: list[Case] = FRESH114_HEALTHY + FRESH114_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "mcan_zero_init": F.mcan,
    "gmu_init_std_1": F.gmu,
    "vse_pp_image_relu_biases_minus_10": F.vsepp,
    "avel_50_tanh_layers_default_init": F.avel,
    "vse_pp_gru_radius_10": F.vsepp,
    "mcan_adam_lr1": F.mcan,
    "updown_adam_lr1": F.updown,
    "gmu_adam_lr1": F.gmu,
    "gmu_without_batchnorm_stored_units": F.gmu,
    "updown_adamw_weight_decay_50": F.updown,
    "duet_adamw_weight_decay_50": F.duet,
    "san_answers_shuffled": F.san,
    "avel_silence_standardised_without_eps": F.avel,
    "vse_pp_captions_sorted_for_packing_images_not": F.vsepp,
    "duet_positives_from_separately_shuffled_loader": F.duet,
    "avel_cutmix_label_mask_inverted": P(F.avel, cutmix="right"),
}
