"""The forty-sixth held-out batch (half ``"fresh45"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, from 3-D shape learning, medical imaging, remote sensing, handwriting, music
and behavioural cloning; the settings are the paper's or its reference code's unless said; the data are synthetic,
drawn from the seeds 450_000 + seed): IM-NET (Chen and Zhang 2019, narrowed as the IM-NET-pytorch auto-encoder: a
3-D CNN encoder of 8^3 voxels (16, 32, 64 with instance normalisation and leaky ReLU 0.02, a sigmoid code of 64), the
implicit decoder 128-128-64-32-1 on the code and each query point with leaky ReLU 0.02 and the reference's leaky
clamp of its output, decoder Linears N(0, 0.02^2) and the last N(1e-5, 0.02^2) as the reference code; MSE, Adam betas
(0.5, 0.999) at lr 3e-3, set here) on the occupancies of spheres and boxes, FoldingNet (Yang et al. 2018, narrowed: the
graph-based encoder with k-NN max pooling (k = 8) to a codeword of 64, two folds of an 8x8 grid through ReLU MLPs
64-64-3; PyTorch's default init; the Chamfer distance, Adam lr 1e-3, ten times the paper's) auto-encoding clouds of 64
points on ellipsoids, MultiResUNet (Ibtehaz and Rahman 2020, narrowed to three levels: MultiRes blocks of U = 8, 16,
32 with BatchNorm, Res paths of length 2 and 1; PyTorch's default init; per-pixel binary cross-entropy, Adam at lr
3e-3, three times Keras' default, followed by an EMA of the weights at decay 0.999 kept for evaluation) segmenting
small bright lesions (about 5% of the pixels) on 24x24 scans, HybridSN (Roy et al. 2019, narrowed to 9x9 patches of
16 components: 3-D convolutions 8, 16, 32 (3x3x7, 3x3x5, 3x3x3), a 2-D convolution of 64, Dense 256 and 128 with
dropout 0.4, ReLU; PyTorch's default init; Adam at the paper's lr 1e-3) classifying hyperspectral patches (8 classes),
TempCNN (Pelletier et al. 2019: three 1-D convolutions of 64 filters of 5 with BatchNorm, ReLU and dropout 0.2, Dense
256 with BatchNorm; Glorot-uniform weights and zero biases, Keras' default; Adam lr 1e-3 with an L2 of 1e-6 as weight
decay, the dropout and L2 set here) classifying 24-date crop series of four bands plus NDVI with three cloud-masked
dates each (6 classes),
Bluche and Messina's gated convolutional recurrent recogniser (2017, narrowed to 16-pixel lines: tanh convolutions
8, 16, 32, 64 with the ``x * sigmoid(conv(x))`` gates after the second and third, a max over the height, two
bidirectional LSTM layers of 32; PyTorch's default init; CTC, RMSprop at lr 2e-3, set here) reading lines of three
to five of eight glyphs, the Music Transformer (Huang et al. 2018, narrowed: embeddings of 64 scaled by sqrt(d),
relative attention only with the "skewing" of ``Q E_r^T``, two post-LN blocks of 4 heads and a ReLU feed-forward of
256, dropout 0.1, the softmax tied to the embedding; embeddings N(0, d^-1/2) with the pad row zero, Linears
Xavier-uniform (set here); Adam betas (0.9, 0.98) eps 1e-9 at lr 1e-3 without the warm-up) continuing padded
melodies built from repeated 8-note motifs (the pad targets ignored), and implicit behavioural cloning (Florence et
al. 2021, narrowed: a ReLU MLP energy of four hidden layers of 64 on the observation and a candidate action;
PyTorch's default init; InfoNCE against 63 uniform counter-examples, Adam at lr 1e-3) on a saturated proportional
controller's demonstrations of reaching a goal.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh44``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Music Transformer embedding and
  Linear drawn N(0, 1) (init), FoldingNet's folding MLPs' hidden biases -10 (every hidden ReLU of both folds dead;
  activation), implicit BC's energy MLP 30 hidden layers deep at PyTorch's default init (depth), the recogniser's
  LSTM recurrent matrices drawn N(0, 10^2) (every gate saturated by the state, the input drowned; recurrence), the
  Music Transformer at Adam lr 1, HybridSN at Adam lr 1 and IM-NET at Adam lr 1 (lr), MultiResUNet with a
  ``BatchNorm2d(1, affine=False)`` on its output logits (the logits standardised over the batch's pixels: with
  lesions on 5% of them even a perfect separation scores about 0.55, above the criterion 0.52; normalization),
  HybridSN at Adam ``weight_decay=1`` and implicit BC at Adam ``weight_decay=1`` (regularization), the recogniser's
  transcripts permuted within every batch, apart from their lines (data), and TempCNN's NDVI computed as ``(NIR -
  red) / (NIR + red)`` without its eps on the cloud-masked dates, whose bands hold Sentinel-2's no-data value 0 (``0
  / 0``; numeric);
- **slip** (a user's mistake in initialisation, weight-tying or EMA code, of a kind no earlier batch used): TempCNN's
  Glorot init written as a loop over the parameters, ``xavier_uniform_(p) if p.dim() > 1 else zeros_(p)``, meant to
  zero the biases, which also zeroes every BatchNorm's gain (every activation after a BatchNorm is 0 and no gradient
  reaches a weight; init), the Music Transformer's output projection zero-initialised by ``nn.init.zeros_(
  self.head.weight)`` (the zero-init-the-logits habit) after it was tied to the embedding, which zeroes the shared
  embedding table too (with relative positions only every activation is 0 and every gradient with it; init), the
  Music Transformer's embeddings initialised to unit rows by hand, ``w / w.norm(dim=-1, keepdim=True)``, over
  ``nn.Embedding(..., padding_idx=0)``'s zeroed pad row (``0 / 0``; numeric), and MultiResUNet's EMA copied onto the
  model after every update, ``ema.copy_to(model.parameters())`` read as "copy the model into the EMA" (each step keeps
  1/1000 of Adam's update; lr). None of the slips is an activation, depth, recurrence, normalization, regularization
  or data one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is implicit BC at its own four hidden layers).

Learning criteria: the classifiers compare with chance (HybridSN's eight classes, TempCNN's six, the Music
Transformer's 32 tokens, MultiResUNet's two per pixel, implicit BC's 64 candidates); the recogniser's CTC compares
with ``BLIND`` = 2.5, the loss an input-blind recogniser reaches (its run on shuffled transcripts below ends at 2.49
and 2.50: the criterion is 1.875), IM-NET and FoldingNet with their first loss. Measured plain runs, 200 steps (seed
0, seed 1): IM-NET 0.178 -> 0.0557 and 0.172 -> 0.0786; FoldingNet 0.267 -> 0.0809 and 0.247 -> 0.0799; MultiResUNet
0.793 -> 0.0524 and 0.719 -> 0.0534 (the all-background prior scores 0.20); HybridSN 2.077 -> 0.0014 and 2.088 ->
0.021; TempCNN 2.455 -> 0.170 and 2.373 -> 0.136; the recogniser 9.517 -> 0.499 and 9.858 -> 0.854; the Music
Transformer 4.702 -> 1.573 and 4.591 -> 1.559 (the criterion 2.599); implicit BC 4.159 -> 0.316 and 4.157 -> 0.357.
Broken: ``music_transformer_init_std_1`` 17.32 -> 6.007 and 15.78 -> 5.695 (no divergence);
``tempcnn_init_loop_zeroes_batchnorm_gains`` 1.792 -> 1.791 at both seeds; ``music_transformer_tied_head_zero_init``
3.466 -> 3.466 at both seeds (``log 32``, exactly); ``foldingnet_relu_biases_minus_10`` 0.267 -> 0.237 and 0.246 ->
0.247 (the criteria 0.200 and 0.184); ``implicit_bc_30_layers_default_init`` 4.159 -> 4.159 at both seeds;
``gated_htr_recurrent_std_10`` 9.571 -> 3.082 and 9.878 -> 3.519; ``music_transformer_adam_lr1`` diverges at step 1
at both seeds (ends 99.37 and 97.13; weights x70.5 and x70.8); ``hybridsn_adam_lr1`` diverges at step 1 at both
seeds (ends 2.248 and 4.279; weights x151 and x150); ``imnet_adam_lr1`` diverges at step 1 at both seeds (ends 76.94
and 1.6e4; weights x61 and x70); ``multiresunet_ema_written_back`` 0.793 -> 0.791 and 0.719 -> 0.714;
``multiresunet_batchnorm_on_logits`` 0.852 -> 0.579 and 0.825 -> 0.585 (the criterion 0.520);
``hybridsn_adam_weight_decay_1`` 2.077 -> 2.078 and 2.088 -> 2.078; ``implicit_bc_adam_weight_decay_1`` 4.159 ->
4.159 and 4.157 -> 4.159; ``gated_htr_transcripts_shuffled`` 9.517 -> 2.492 and 9.858 -> 2.504;
``tempcnn_ndvi_of_cloud_masked_dates`` and ``music_transformer_unit_rows_with_pad_row`` are non-finite at step 0 at
both seeds (the loss itself: the NaN rows reach every position through the inputs, or through ``0 * NaN`` in the
attention's masked weights). With two runs at once on two cores shared with another batch's runs, a seed took 0.0
to 16 s (the 30-layer implicit BC the slowest, then MultiResUNet with its EMA at 11 s), most 1 to 7 s.

Dropped or changed before the freeze (every figure above is from the final code; the ones below are from the
versions named): PETS (Chua et al. 2018, a probabilistic ensemble on cart-pole dynamics) was written first as the
control architecture and measured (1.959 -> -2.615 and 2.182 -> -2.591, its 30-layer default-init variant 2.071 ->
1.467 and 2.291 -> 1.505, its L2 decays 1e4 times 52.02 -> 3.15 and 52.29 -> 3.29, against the NLL of N(0, 1), 1.0),
then replaced by implicit BC when ``fresh39`` turned out to hold the family. IM-NET at lr 1e-4, 5e-4 and 1e-3 only
fitted the mean occupancy (0.178 -> 0.125 and 0.172 -> 0.130 at 1e-4, seed 1 above its criterion 0.129); it runs at
3e-3. IM-NET's decoder drawn N(0, 1) learned by its first-loss criterion (716.9 -> 4.825 and 393.8 -> 2.047), so
the init common is the Music Transformer's. FoldingNet at the paper's lr 1e-4 did not learn (0.267 -> 0.227 and
0.247 -> 0.241). MultiResUNet was first trained on 32x32 and then 24x24 scans with lesions on about 13% of the
pixels: there the healthy run learned at Keras' lr 1e-3 (0.802 -> 0.245, 24x24: 0.799 -> 0.256), but the model
without its BatchNorms learned too (0.722 -> 0.170 and 0.602 -> 0.176; at lr 1e-2 0.142 and 0.139), and with the
BatchNorm on its logits it ended at 0.521 and 0.514 against 0.520, too close to call; with lesions on 5% of the
pixels Keras' lr 1e-3 only approached the all-background prior (0.793 -> 0.298 and 0.719 -> 0.264, the prior 0.20),
hence lr 3e-3. TempCNN without its BatchNorms learned (1.89 -> 0.113 and 1.82 -> 0.099, and at lr 1e-2), and so did
the Music Transformer without its LayerNorms (7.85 -> 1.86 and 6.97 -> 1.87): neither is kept. The recogniser at
RMSprop lr 1e-3 ended at 1.397 and 1.782 against the blind criterion 1.875, too close; it runs at 2e-3 (its
recurrent-std-10 variant at 1e-3: 4.68 and 4.77). Implicit BC 20 layers deep learned (4.159 -> 0.345 at seed 0);
the depth case is 30 deep. A weight-init slip with an operator-precedence std (``1.0 / 2.0 * sqrt(fan_in)``) was
considered for PETS and not written (``fresh11`` used a precedence slip), and a checkpoint restored the wrong way
round every few steps was considered and not written (no cause fits it).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh45_builders as F

P = functools.partial
HALF = "fresh45"
#: chance losses: eight classes (HybridSN's patches), six (TempCNN's series), 32 tokens (the Music Transformer's
#: melodies), one pixel's two classes (MultiResUNet's masks), 64 candidate actions (implicit BC's InfoNCE); the
#: recogniser's CTC compares with the loss an input-blind recogniser reaches
#: (``BLIND``, measured: the recogniser trained on shuffled transcripts ends at 2.49 and 2.50); IM-NET and FoldingNet
#: compare with their first loss
C8, C6, NOTES, PIXEL, DEMOS = math.log(8), math.log(6), math.log(32), math.log(2), math.log(64)
BLIND = 2.5
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH45_HEALTHY: list[Case] = [
    _h("imnet_occupancy", HALF, "imnet", F.imnet, None),
    _h("foldingnet_ellipsoids", HALF, "foldingnet", F.foldingnet, None),
    _h("multiresunet_lesions", HALF, "multiresunet", F.multiresunet, PIXEL),
    _h("hybridsn_hyperspectral_patches", HALF, "hybridsn", F.hybridsn, C8),
    _h("tempcnn_crop_series", HALF, "tempcnn", F.tempcnn, C6),
    _h("gated_htr_lines", HALF, "gated_htr", F.gated_htr, BLIND),
    _h("music_transformer_melodies", HALF, "music_transformer", F.music_transformer, NOTES),
    _h("implicit_bc_reaching", HALF, "implicit_bc", F.implicit_bc, DEMOS),
]

FRESH45_BROKEN: list[Case] = [
    # init
    _b("music_transformer_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.music_transformer, init_std=1.0), NOTES),
    _b("tempcnn_init_loop_zeroes_batchnorm_gains", HALF, ("init",), VANISH, STUCK,  # kind: slip
       P(F.tempcnn, init_by_dim=True), C6),
    _b("music_transformer_tied_head_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: slip
       P(F.music_transformer, zero_head=True), NOTES),
    # activation
    _b("foldingnet_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.foldingnet, relu_bias=-10.0), None),
    # depth
    _b("implicit_bc_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.implicit_bc, hidden=30), DEMOS),
    # recurrence
    _b("gated_htr_recurrent_std_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.gated_htr, rec_std=10.0), BLIND),
    # lr
    _b("music_transformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.music_transformer, lr=1.0), NOTES),
    _b("hybridsn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.hybridsn, lr=1.0), C8),
    _b("imnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.imnet, lr=1.0), None),
    _b("multiresunet_ema_written_back", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.multiresunet, ema_write_back=True), PIXEL),
    # normalization
    _b("multiresunet_batchnorm_on_logits", HALF, ("normalization",), VANISH, STUCK,  # kind: common
       P(F.multiresunet, head_bn=True), PIXEL),
    # regularization
    _b("hybridsn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.hybridsn, weight_decay=1.0), C8),
    _b("implicit_bc_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.implicit_bc, weight_decay=1.0), DEMOS),
    # data
    _b("gated_htr_transcripts_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.gated_htr, shuffled=True), BLIND),
    # numeric
    _b("tempcnn_ndvi_of_cloud_masked_dates", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.tempcnn, ndvi_eps=0.0), C6),
    _b("music_transformer_unit_rows_with_pad_row", HALF, ("numeric", "init"), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.music_transformer, unit_rows=True), NOTES),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "music_transformer_init_std_1": "common", "tempcnn_init_loop_zeroes_batchnorm_gains": "slip",
    "music_transformer_tied_head_zero_init": "slip", "foldingnet_relu_biases_minus_10": "common",
    "implicit_bc_30_layers_default_init": "common", "gated_htr_recurrent_std_10": "common",
    "music_transformer_adam_lr1": "common", "hybridsn_adam_lr1": "common", "imnet_adam_lr1": "common",
    "multiresunet_ema_written_back": "slip", "multiresunet_batchnorm_on_logits": "common",
    "hybridsn_adam_weight_decay_1": "common", "implicit_bc_adam_weight_decay_1": "common",
    "gated_htr_transcripts_shuffled": "common", "tempcnn_ndvi_of_cloud_masked_dates": "common",
    "music_transformer_unit_rows_with_pad_row": "slip",
}

#: the cases (half "fresh45")
FRESH45: list[Case] = FRESH45_HEALTHY + FRESH45_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "music_transformer_init_std_1": F.music_transformer,
    "tempcnn_init_loop_zeroes_batchnorm_gains": F.tempcnn,
    "music_transformer_tied_head_zero_init": F.music_transformer,
    "foldingnet_relu_biases_minus_10": F.foldingnet,
    "implicit_bc_30_layers_default_init": F.implicit_bc,
    "gated_htr_recurrent_std_10": F.gated_htr,
    "music_transformer_adam_lr1": F.music_transformer,
    "hybridsn_adam_lr1": F.hybridsn,
    "imnet_adam_lr1": F.imnet,
    "multiresunet_ema_written_back": F.multiresunet,
    "multiresunet_batchnorm_on_logits": F.multiresunet,
    "hybridsn_adam_weight_decay_1": F.hybridsn,
    "implicit_bc_adam_weight_decay_1": F.implicit_bc,
    "gated_htr_transcripts_shuffled": F.gated_htr,
    "tempcnn_ndvi_of_cloud_masked_dates": F.tempcnn,
    "music_transformer_unit_rows_with_pad_row": F.music_transformer,
}
