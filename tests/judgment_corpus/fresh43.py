"""The forty-fourth held-out batch (half ``"fresh43"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 430_000 + seed): YOLO (Redmon et al. 2016, v1 narrowed to 32x32 grey images:
convolutions 16, 32, 64, a 1x1 reduction to 32 and 64 with three max-pools, the leaky ReLU of slope 0.1, the fully
connected head 1024-256-(4 x 4 x 8) with dropout 0.5; one box and three class scores a cell; He-normal weights for
the leaky ReLU, biases zero; the sum-squared loss with lambda_coord 5 and lambda_noobj 0.5 and square-rooted sizes;
SGD at the paper's first lr 1e-3, momentum 0.9, weight decay 5e-4) locating one of three shapes an image, the
Attention U-Net (Oktay et al. 2018, narrowed to 2-D and three levels of 8, 16, 32 channels, double 3x3 convolutions
with BatchNorm and ReLU, additive attention gates on both skips, Kaiming-normal init; Adam at the reference code's
lr 1e-4 with its L2 1e-6) segmenting noisy ellipses on 24x24 images, the Star-Transformer (Guo et al. 2019,
narrowed: embeddings of 64 with dropout 0.1 (set here), two cycles of the ring-satellite and relay updates, ``LN(relu(
MultiAtt(...)))`` with 4 heads, a Linear tagger; PyTorch's default init; Adam at lr 1e-3, set here) tagging
sentences of 16 words whose ambiguous words take their tag from the left neighbour's, Luong, Pham and Manning's
attention NMT (2015, narrowed: the source reversed, one LSTM layer of 64 each side where the paper stacks four,
global attention with the ``general`` score, input feeding, dropout 0.2, every parameter U(-0.1, 0.1), plain SGD at
the paper's lr 1.0 with the gradient norm clipped at 5, the loss summed over each sentence and averaged over the
batch as its code does) translating 7-word sentences word for word, AFNO (Guibas et al. 2021, as FourCastNet uses
it, narrowed: 2x2 patches of a 16x16 field embedded to 32, two blocks of LayerNorm, the adaptive Fourier filter (a
block-diagonal complex MLP of 4 blocks on every frequency, soft-shrinkage 0.01) with FourCastNet's double skip and
a GELU MLP; truncated-normal 0.02 init; MSE, Adam at FourCastNet's lr 5e-4 without its cosine schedule) learning the
advection-diffusion step of periodic fields, RNNoise (Valin 2018, its gain network narrowed to 22 band
log-energies: the tanh Dense of 24, the three Keras ReLU GRUs of 24, 48 and 96 wired as the reference code wires
them, 22 sigmoid gains; Glorot kernels, orthogonal recurrent matrices; the reference's cost ``10 (sqrt g - sqrt
g*)^4 + (sqrt g - sqrt g*)^2 + 0.01 BCE`` masked where the target is -1; Adam at Keras' lr 1e-3) estimating the
ideal band gains of synthetic noisy speech, AttentiveFP (Xiong et al. 2019, narrowed to atom features: an atom
embedding of 64, two graph-attention layers with GRU updates, two attention steps of the molecule's super node,
dropout 0.2; PyTorch's default init; MSE, Adam at lr 1e-3 with weight decay 1e-5, both set here)
regressing an additive property of random molecule-like graphs, and Chemprop's D-MPNN (Yang et al. 2019, narrowed to
atom features: directed bond messages over three steps with the reverse bond left out, atom states, the mean over
atoms, an FFN 64-64-1; Xavier-normal weights and zero biases as Chemprop's ``initialize_weights``; binary
cross-entropy, Adam under Chemprop's Noam schedule from 1e-4 up to 1e-3 in 20 steps and down to 1e-4 at step 200)
telling whether two hetero atoms of a molecule are bonded.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh42``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every D-MPNN weight drawn N(0, 1) (init),
  the D-MPNN's atom layer ``W_o`` biased -10 (every atom's ReLU dead; activation), Luong's NMT with both LSTM stacks
  8 layers deep, without residual connections (GNMT's authors found plain stacks working up to 4 layers, barely at 6
  and very poorly beyond 8; depth),
  RNNoise's recurrent matrices orthogonal times 5 (spectral radius 5 in a ReLU GRU; recurrence), the
  Star-Transformer at Adam lr 1, Luong's NMT at SGD lr 50 and AFNO at Adam lr 1 (lr), the Attention U-Net without
  its BatchNorms trained by SGD at lr 0.3 with momentum 0.9 (normalization), the Star-Transformer at Adam
  ``weight_decay=2`` and Luong's NMT at SGD ``weight_decay=0.1`` (regularization), the D-MPNN's labels permuted
  within every batch, apart from their molecules (data), and RNNoise's target gains computed ``sqrt(E_s / E_x)``
  without the reference code's guard (``+ 1e-3`` under the root, -1 where both energies are below 5e-2): the
  band-limited recordings' empty top bands are ``0 / 0`` (numeric);
- **slip** (a user's mistake in the model's code, of a kind no earlier batch used): YOLO's ``_init_weights``
  reading the fan-in as ``m.weight.size(-1)``, a Linear's ``(out, in)`` habit, where ``m.weight[0].numel()``
  belongs: for a convolution weight ``(out, in, k, k)`` the last axis is the kernel width, 3 (or 1 for the 1x1
  reduction), so every convolution is drawn about ``sqrt(in)`` to ``sqrt(in k^2 / 3)`` times too wide (the fan read
  from the wrong axis; init), the Attention U-Net's ``F.log_softmax(logits, dim=-1)`` on its ``(b, classes, h, w)``
  output, the last axis (the image's width) normalised where ``dim=1`` (the classes) belongs: each row's pixels
  compete for one class's probability, and ``nll_loss`` cannot fall below about ``ln`` of the pixels a row holds of
  a class (a softmax over the wrong axis; activation), Luong's source reversal written ``src.flip(0)``, a line from
  time-major code kept after the model was moved to ``batch_first`` tensors: it reverses the order of the batch's
  sentences instead of each sentence's words, so every target is paired with another sentence's source (a flip
  over the wrong axis; data), and AttentiveFP's neighbour mask added as ``e + (1 - mask) * float("-inf")`` where
  ``e.masked_fill(~mask, float("-inf"))`` belongs: on every kept pair ``0 * -inf`` is NaN, at the first forward (a
  mask applied by arithmetic; numeric). None of the slips is a depth, recurrence, lr, normalization or
  regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is Luong's NMT at its own one layer) but the normalization
case's, which is the Attention U-Net with its BatchNorms under the same SGD at lr 0.3 (0.868 -> 0.196 and 1.149 ->
0.213).

Learning criteria: the classifiers compare with chance (the U-Net's two classes a pixel, the Star-Transformer's five
tags, the D-MPNN's two labels, and Luong's 7 ln 24 = 22.25 for a sentence); YOLO, AFNO, RNNoise and AttentiveFP compare
with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): YOLO 84.77 -> 2.236 and 131.4 -> 2.181 (its
first loss is large, from the He-initialised head's outputs, so the criterion is loose for YOLO: the dropped depth
variant below met it too); the Attention U-Net 0.868 -> 0.410 and 1.149 -> 0.470 (the criterion 0.520); the
Star-Transformer 1.785 -> 0.560 and 1.637 -> 0.537; Luong's NMT 22.28 -> 13.21 and 22.25 -> 13.30 (the criterion 16.68;
it learns late, from about step 150); AFNO 0.879 -> 0.0548 and 1.058 -> 0.0541; RNNoise 0.386 -> 0.0494 and 0.356 ->
0.0477; AttentiveFP 1.458 -> 0.0935 and 1.344 -> 0.0934; the D-MPNN 0.974 -> 0.396 and 0.673 -> 0.363 (the criteria
0.520 and 0.505). Broken: ``yolo_init_fan_from_kernel_width`` starts at 6.5e9 and 1.0e10 and is non-finite at step 1 at
both seeds (the weights x2.2e5 and x3.6e5 after the first step); ``dmpnn_init_std_1`` 2.8e4 -> 356.4 and 2690 -> 139.5
(no divergence, no learning); ``attention_unet_log_softmax_over_width`` 3.574 -> 3.116 and 3.737 -> 3.077;
``dmpnn_relu_bias_minus_10`` 0.6931 -> 0.6858 and 0.6931 -> 0.6840; ``luong_nmt_8_layers`` 22.28 -> 21.35 and 22.28 ->
21.37; ``rnnoise_recurrent_gain_5`` has a finite first loss (1.468 and 1.225) and non-finite weights after step 0 at
both seeds (the first gradients are NaN already: the states grow through the 16 frames); ``star_transformer_adam_lr1``
diverges at step 1 at both seeds (ends 1.371 and 1.558; weights x25 and x26); ``luong_nmt_sgd_lr50`` diverges at steps 1
and 2 (ends 6114 and 479.7; weights x37 and x189); ``afno_adam_lr1`` diverges at step 1 at both seeds (ends 2.8e4 and
2.4e5; weights x59 and x60); ``attention_unet_without_batchnorm_sgd_lr0.3`` diverges at step 2 and is non-finite at step
7 at seed 0, and does not learn at seed 1 (1.320 -> 0.641); ``star_transformer_adam_weight_decay_2`` 1.785 -> 1.446 and
1.637 -> 1.394; ``luong_nmt_sgd_weight_decay_0.1`` 22.28 -> 21.64 and 22.25 -> 21.65; ``dmpnn_labels_shuffled`` 1.015 ->
0.654 and 0.692 -> 0.663; ``luong_nmt_source_reversed_over_batch`` 22.28 -> 21.35 and 22.25 -> 21.37;
``rnnoise_gains_without_silence_guard`` and ``attentive_fp_mask_times_inf`` are non-finite at step 0 at both seeds (the
loss itself). The cases run 0.6 to about 5 s a seed (AFNO, RNNoise and the U-Net the slowest; up to 8 s on a machine
loaded by other work) except ``luong_nmt_8_layers``, whose two stacks of eight cells take 9 to 24 s a seed.

Dropped or changed before the freeze (every figure above is from the final code): Luong's NMT at the paper's SGD lr 1.0
on the mean token loss did not learn (3.182 -> 3.049 and 3.179 -> 3.051); on the paper code's sentence sum it does. Four
layers, the paper's own depth, do not learn in 200 steps either (22.24 -> 21.36 and 22.24 -> 21.37), so the depth case
is twice that and the healthy model is narrowed to one layer. For depth, YOLO with 20 more 3x3 convolutions at PyTorch's
default init learned by the criterion (7.951 -> 2.601 and 8.543 -> 2.663, in an earlier version of the model's init
order) and took 13 to 17 s; the D-MPNN's FFN 30 layers deep at Chemprop's init learned (0.6931 -> 0.384 and 0.6931 ->
0.461), 45 layers learned, and 60 learned at seed 1 only (0.459; seed 0 0.660); the D-MPNN at message-passing depth 30
learned (0.389 and 0.371), and AttentiveFP with 30 layers learned (0.613 and 0.610) at 17 s a seed; all dropped. For
normalization, the Attention U-Net without BatchNorm learned at its Adam lr 1e-4 (0.842 -> 0.382 and 1.320 -> 0.378), at
Adam lr 1e-2 (0.303 and 0.297) and at SGD lr 0.1 at seed 1 (0.299; seed 0 0.639); the Star-Transformer without its
LayerNorms (1.611 -> 0.589 and 1.607 -> 0.575) and AFNO without its LayerNorms (0.908 -> 0.0452 and 1.040 -> 0.0459)
learned; the case is the U-Net at SGD lr 0.3. The Star-Transformer at Adam weight decay 1 learned (1.161 and 1.098
against 1.207); the case uses 2. RNNoise's recurrent gain 3 learned (0.465 -> 0.057 and 0.380 -> 0.048); the case uses
5. The Star-Transformer with every weight N(0, 1) did not learn (8.94 -> 4.22 and 8.54 -> 4.11) but was not kept (the
init common is the D-MPNN's). For time, YOLO's batch went from 32 to 16, the U-Net's images from 32x32 (batch 16) to
24x24 (batch 12), the Star-Transformer from three cycles to two and RNNoise's sequences from 32 frames to 16 (all
learned before as after). RNNoise's weight constraint (|w| <= 0.499), its L2 1e-6, its VAD output and its pitch features
were left out; its cross-entropy is written out with Keras' clipping, because ``F.binary_cross_entropy`` raises on the
unguarded case's NaN targets where Keras returns NaN. The D-MPNN's task is a label (about 62% positive) so that its
criterion is chance. No depth, recurrence, lr, normalization or regularization slip was written: the commons outnumber
the slips (12 to 4)."""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh43_builders as F

P = functools.partial
HALF = "fresh43"
#: chance losses: two classes (the Attention U-Net's pixels, the D-MPNN's labels), five tags (the Star-Transformer),
#: 24 words in each of the 7 positions of a translation (Luong's summed sentence loss); YOLO, AFNO, RNNoise and
#: AttentiveFP have none (their first loss is the reference)
C2, C5, SENT = math.log(2), math.log(5), 7 * math.log(24)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH43_HEALTHY: list[Case] = [
    _h("yolo_shapes", HALF, "yolo", F.yolo, None),
    _h("attention_unet_ellipses", HALF, "attention_unet", F.attention_unet, C2),
    _h("star_transformer_tagging", HALF, "star_transformer", F.star_transformer, C5),
    _h("luong_nmt_translation", HALF, "luong_nmt", F.luong_nmt, SENT),
    _h("afno_advection", HALF, "afno", F.afno, None),
    _h("rnnoise_band_gains", HALF, "rnnoise", F.rnnoise, None),
    _h("attentive_fp_property", HALF, "attentive_fp", F.attentive_fp, None),
    _h("dmpnn_hetero_bonds", HALF, "dmpnn", F.dmpnn, C2),
]

FRESH43_BROKEN: list[Case] = [
    # init
    _b("yolo_init_fan_from_kernel_width", HALF, ("init",), EXPLODE, DIVERGE,  # kind: slip
       P(F.yolo, fan_axis=True), None),
    _b("dmpnn_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dmpnn, init_std=1.0), C2),
    # activation
    _b("attention_unet_log_softmax_over_width", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.attention_unet, softmax_dim=-1), C2),
    _b("dmpnn_relu_bias_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.dmpnn, out_bias=-10.0), C2),
    # depth
    _b("luong_nmt_8_layers", HALF, ("depth",), VANISH, STUCK,  # kind: common
       P(F.luong_nmt, layers=8), SENT),
    # recurrence
    _b("rnnoise_recurrent_gain_5", HALF, ("recurrence", "init"), EXPLODE, DIVERGE,  # kind: common
       P(F.rnnoise, recurrent_gain=5.0), None),
    # lr
    _b("star_transformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.star_transformer, lr=1.0), C5),
    _b("luong_nmt_sgd_lr50", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.luong_nmt, lr=50.0), SENT),
    _b("afno_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.afno, lr=1.0), None),
    # normalization
    _b("attention_unet_without_batchnorm_sgd_lr0.3", HALF, ("normalization", "lr"), BOTH,  # kind: common
       DIVERGE + STUCK, P(F.attention_unet, bn=False, lr=0.3, sgd=True), C2),
    # regularization
    _b("star_transformer_adam_weight_decay_2", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.star_transformer, weight_decay=2.0), C5),
    _b("luong_nmt_sgd_weight_decay_0.1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.luong_nmt, weight_decay=0.1), SENT),
    # data
    _b("dmpnn_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.dmpnn, shuffled=True), C2),
    _b("luong_nmt_source_reversed_over_batch", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.luong_nmt, flip_dim=0), SENT),
    # numeric
    _b("rnnoise_gains_without_silence_guard", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.rnnoise, guard=False), None),
    _b("attentive_fp_mask_times_inf", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.attentive_fp, times_inf=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "yolo_init_fan_from_kernel_width": "slip", "dmpnn_init_std_1": "common",
    "attention_unet_log_softmax_over_width": "slip", "dmpnn_relu_bias_minus_10": "common",
    "luong_nmt_8_layers": "common", "rnnoise_recurrent_gain_5": "common", "star_transformer_adam_lr1": "common",
    "luong_nmt_sgd_lr50": "common", "afno_adam_lr1": "common", "attention_unet_without_batchnorm_sgd_lr0.3": "common",
    "star_transformer_adam_weight_decay_2": "common", "luong_nmt_sgd_weight_decay_0.1": "common",
    "dmpnn_labels_shuffled": "common", "luong_nmt_source_reversed_over_batch": "slip",
    "rnnoise_gains_without_silence_guard": "common", "attentive_fp_mask_times_inf": "slip",
}

#: the cases (half "fresh43")
FRESH43: list[Case] = FRESH43_HEALTHY + FRESH43_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "yolo_init_fan_from_kernel_width": F.yolo,
    "dmpnn_init_std_1": F.dmpnn,
    "attention_unet_log_softmax_over_width": F.attention_unet,
    "dmpnn_relu_bias_minus_10": F.dmpnn,
    "luong_nmt_8_layers": F.luong_nmt,
    "rnnoise_recurrent_gain_5": F.rnnoise,
    "star_transformer_adam_lr1": F.star_transformer,
    "luong_nmt_sgd_lr50": F.luong_nmt,
    "afno_adam_lr1": F.afno,
    "attention_unet_without_batchnorm_sgd_lr0.3": P(F.attention_unet, lr=0.3, sgd=True),
    "star_transformer_adam_weight_decay_2": F.star_transformer,
    "luong_nmt_sgd_weight_decay_0.1": F.luong_nmt,
    "dmpnn_labels_shuffled": F.dmpnn,
    "luong_nmt_source_reversed_over_batch": F.luong_nmt,
    "rnnoise_gains_without_silence_guard": F.rnnoise,
    "attentive_fp_mask_times_inf": F.attentive_fp,
}
