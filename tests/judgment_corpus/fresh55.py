"""The fifty-sixth held-out batch (half ``"fresh55"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 550_000 + seed): SSD (Liu et al. 2016, narrowed: a VGG-style base without
BatchNorm, 3x3 convolutions 16-16, pool, 32-32, pool, its "conv4_3" source through L2Norm at scale 20, an extra
stride-2 block as the second source, 2 square default boxes a cell on the 8x8 and 4x4 sources, ssd.pytorch's
matching (IoU 0.5, the variances 0.1 and 0.2) and MultiBox loss (smooth L1 plus the cross-entropy with 3:1 hard
negative mining, over the positives' count), Xavier-uniform convolutions with zero biases; SGD at the paper's lr
1e-3, momentum 0.9, weight decay 5e-4) detecting one or two red or green squares in 32x32 noise, ESRGAN's RRDBNet
(Wang et al. 2018, narrowed: two residual-in-residual dense blocks of three RDBs, 32 features, growth 16, residual
scaling 0.2, no BatchNorm, the RDB convolutions Kaiming-normal times 0.1 as BasicSR's ``default_init_weights``,
nearest x2 upsampling; L1, Adam at the PSNR stage's lr 2e-4, betas (0.9, 0.99)) super-resolving 8x8 to 16x16 smooth
fields with a step edge, TSN (Wang et al. 2016, narrowed: one frame from each of 3 segments through a shared small
BN-Inception stand-in, four 3x3 conv-BatchNorm-ReLU layers of 16, 32, 32, 64, dropout 0.8, the ``new_fc`` drawn
N(0, 0.001^2), the average consensus; SGD at the paper's RGB lr 1e-3, momentum 0.9, weight decay 5e-4) classifying
clips of 6 moving class templates, PointConv (Wu, Qi and Fuxin 2019, narrowed: two PointConv set abstractions, 32
centroids of 16 neighbours to 64 and 8 of 8 to 128, with the WeightNet 3-8-8 and the efficient contraction, the
density re-weighting left out, max pooling, the head 128-64 with BatchNorm, ReLU and dropout 0.4; Adam at the
reference code's lr 1e-3 and weight decay 1e-4) classifying clouds of 128 points on a sphere, cube, cylinder or cone
(scaled, rotated about z, jittered), AtlasNet (Groueix et al. 2018, narrowed: a PointNet encoder 3-32-64-128 with
BatchNorm to a code of 64, 4 learned patches, each an MLP 66-64-32-3 with BatchNorm and a ``tanh`` out on 32 points
drawn in the unit square; the Chamfer distance, Adam at the paper's lr 1e-3) auto-encoding 128 points on ellipsoids,
SENNA's window approach (Collobert et al. 2011: a lookup table of 50, windows of 5 words, a Linear to 300, HardTanh,
the tag scores; PyTorch's default init, the paper's uniform fan-in one; the word-level log-likelihood summed over a
sentence's words, as the paper's per-word stochastic updates, averaged over the sentences; plain SGD at the paper's
lr 0.01) tagging sentences of 20 words whose tag is the word's class moved on by one when the next word is above
50, the T-Fixup Transformer (Huang et al. 2020, narrowed: an encoder-decoder of 3 + 3 layers without any LayerNorm,
d 64, 4 heads, ReLU feed-forward 128, embeddings times sqrt(d) with sinusoidal positions; T-Fixup's init: Xavier
everywhere, the embeddings N(0, d^-1), then the decoder's ``v``, ``o``, feed-forward weights and both embeddings
scaled by ``(9 N)^(-1/4)`` and the encoder's ``v``, ``o`` and feed-forward weights by ``0.67 N^(-1/4)``; Adam at
the paper's lr 5e-4, betas (0.9, 0.98), no warm-up) translating 10-word sentences into their reversed, re-mapped
words, and bilty, the bi-LSTM tagger with the auxiliary loss (Plank, Sogaard and Goldberg 2016, narrowed to its word
level: embeddings of 32 with word dropout 0.25 and Gaussian noise 0.2, one bi-LSTM of 32 a direction, a tag head and
the auxiliary log-frequency head, both losses summed over a sentence's words; PyTorch's default init; Adam, bilty's
``--trainer adam``, at lr 0.01 set here) tagging 15 Zipf-drawn words by their class shifted by a mode given only as
the sentence's first id (12 tags, 2 frequency classes).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh52``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every SENNA weight drawn N(0, 1) (the
  HardTanh saturated; init), every TSN BatchNorm's shift started at -10 (every ReLU dead; activation), PointConv's
  head given 30 plain Linear(64, 64)-ReLU layers at PyTorch's default init (depth), both bilty directions' forget-gate
  biases at -10 (the mode is forgotten a step after it is read; recurrence), PointConv at Adam lr 1, SSD at SGD lr
  0.05 and the T-Fixup Transformer at Adam lr 0.1 (lr), TSN without its BatchNorms at its lr 1e-3 (normalization,
  with lr: the unnormalised signal and its gradient are too small for that lr), TSN at SGD ``weight_decay=1`` and
  SENNA at SGD ``weight_decay=1`` (regularization), TSN's labels permuted within every batch, apart from their clips,
  and bilty's tag and frequency rows read one sentence out of step with the text (data), and SSD's annotations
  keeping a zero-width box (a clicked point), whose size target ``log(0 / d_w) / 0.2`` is ``-inf`` (numeric, with
  data);
- **slip** (a user's mistake in their own initialisation code, of a kind no earlier batch used): SSD's focal-loss
  prior ``b = -log((1 - 0.01) / 0.01) = -4.6`` (Lin et al. 2017), meant for the class heads' biases, written into the
  ``init_weights`` that ``model.apply`` runs over every ``nn.Conv2d``, so that every base convolution's bias is -4.6
  too and every ReLU of the BatchNorm-free base is dead (a bias constant meant for one layer applied to all; init,
  with activation), the T-Fixup Transformer initialised by ``nn.Transformer``'s ``_reset_parameters`` (Xavier-uniform
  for every parameter with more than one axis, the embeddings included), so that the LayerNorm-free layers never get
  the depth scaling T-Fixup's init exists to give them (an init that ignores the scaling its architecture needs:
  init, with normalization, the LayerNorm the scaling replaces), and the T-Fixup Transformer re-initialised after
  T-Fixup's init by a BERT-style ``_init_weights`` (every Linear and Embedding N(0, 0.02^2)) kept from the user's
  earlier Transformer and run over the new model, which re-draws everything T-Fixup set (a re-initialisation that
  undoes the architecture's init; init). Earlier init slips (bounds left out, precedence and variance-for-std
  errors, zeroing or constant-filling by ``apply``, a gate bias's sign, the fan from the wrong axis, norm gains caught
  by ``hasattr`` or a parameter loop, ``apply`` before the layers exist or inside ``forward``) are not repeated.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is PointConv with its own two-layer head).

Learning criteria: TSN (six classes), PointConv (four), SENNA (five tags over 20 words: 32.19), the T-Fixup
Transformer (24 ids) and bilty (12 tags and 2 classes over 15 words: 47.67) compare with chance;
SSD, ESRGAN and AtlasNet with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): SSD 52.69 -> 15.47
and 28.91 -> 9.006; ESRGAN 0.7961 -> 0.2296 and 0.8089 -> 0.2312; TSN 1.793 -> 1.133 and 1.793 -> 1.075 (the
criterion 1.344); PointConv 1.305 -> 0.0561 and 1.409 -> 0.108; AtlasNet 0.292 -> 0.0376 and 0.2798 -> 0.0361; SENNA
32.98 -> 18.39 and 32.79 -> 17.55 (the criterion 24.14); the T-Fixup Transformer 3.799 -> 0.0313 and 3.898 ->
0.0612; bilty 48.13 -> 21.77 and 47.48 -> 22.00 (the criterion 35.75 and 35.61). Broken: ``senna_init_std_1`` 391.5
-> 74.95 and 389.3 -> 79.06 (no divergence); ``ssd_prior_bias_on_every_conv`` 20.73 -> 17.08 and 21.34 -> 17.15 (the
criterion 15.55 and 16.01); ``t_fixup_xavier_reset_without_depth_scaling`` 52.66 -> 6.145 and 45.81 -> 4.896 (no
divergence; the criterion 2.383); ``t_fixup_bert_style_reinit_after_t_fixup`` 3.188 -> 2.618 and 3.188 -> 2.627 (the
criterion 2.383); ``tsn_batchnorm_shifts_minus_10`` 1.792 -> 1.791 at both seeds;
``pointconv_head_30_layers_default_init`` 1.382 -> 1.384 and 1.381 -> 1.386; ``bilty_forget_bias_minus_10`` 48.14 ->
39.63 and 47.47 -> 39.45; ``pointconv_adam_lr1`` diverges at step 1 at both seeds (ends 1.472 and 1.417; weights x65
and x63); ``ssd_sgd_lr_0.05`` diverges at step 1 and is non-finite at steps 3 and 5 (weights past x10 at step 2);
``t_fixup_adam_lr_0.1`` diverges at step 1 and is non-finite at step 2 at both seeds; ``tsn_without_batchnorm``
1.792 -> 1.791 and 1.792 -> 1.790; ``tsn_sgd_weight_decay_1`` 1.793 -> 1.744 and 1.793 -> 1.736;
``senna_sgd_weight_decay_1`` 32.98 -> 28.81 and 32.79 -> 28.60; ``tsn_labels_shuffled`` 1.794 -> 1.787 and 1.791 ->
1.792; ``bilty_tags_one_sentence_out_of_step`` 47.95 -> 47.13 and 47.62 -> 47.16; ``ssd_zero_area_boxes_log_encoded``
is non-finite at step 0 at both seeds (the loss is inf at every step; the smooth L1's gradient stays finite, and so
do the weights). On a 2-core machine shared with several other jobs (load about 9) the slowest cases, SSD, ESRGAN,
AtlasNet, PointConv and the T-Fixup Transformer, took 9 to 29 s a seed, over the brief's 5 s; the others 0.1 to 8 s.

Dropped or changed before the freeze (every figure above is from the final code): SSD with ``nn.Sigmoid`` for its
ReLUs learned (40.79 -> 16.30 at both seeds) and was dropped, leaving the activation common to TSN. Two more init
slips were written, measured and dropped because they learned: ESRGAN's RDBs re-drawn at full Kaiming scale by a
user's ``model.apply(init_weights)`` after the 0.1-scaled init (2.635 -> 0.321 and 2.375 -> 0.326; the ``reinit``
switch stays, unused), and SSD's ``init_weights`` also resetting the L2Norm's scale 20 to 1 (7.453 -> 4.920 and 7.809
-> 4.884; ``l2_reset`` stays, unused); bilty's chrono init (Tallec and Ollivier 2018) with ``T_max`` 5000, the
corpus' longest document in characters, where the sentence length belongs, learned too (47.85 -> 28.78 and 47.70 ->
25.20) and its switch was removed, and SENNA's window layer drawn with its fan-in counted in words, ``1 / sqrt(5)``,
failed by too little to call (34.79 -> 24.55 and 34.96 -> 24.26 against the criterion 24.14; ``fan_in_words``
stays, unused). A BERT-style re-initialisation at N(0, 1) instead of 0.02 was non-finite at step 0 and not kept as
unrealistic. SENNA 30 hidden layers deep did not learn (32.17 -> 32.19 at seed 0) but ran 349 s a seed; the depth
common is PointConv's head. PointConv at Adam ``weight_decay=1`` (1.305 -> 0.644 and 1.409 -> 0.732) and the first,
larger AtlasNet at Adam ``weight_decay=1`` (0.226 -> 0.0967) learned and were dropped; AtlasNet at Adam lr 1
diverged at step 1 (0.292 -> 3.438 and 0.2798 -> 3.612) and bilty at Adam lr 1 at step 1 too (48.13 -> 52.38 and
47.48 -> 51.60), both dropped to keep the lr commons at three (AtlasNet and ESRGAN have no broken case). The T-Fixup
Transformer at Adam lr 0.01 learned after a spike at step 1 (3.799 -> 0.153 and 3.898 -> 0.107); the case uses 0.1.
SENNA's tags were first ``(c(w_t) + 2 c(w_{t+1})) % 5`` and its loss the per-word mean: it did not learn (1.649 ->
1.623); then summed per sentence it still did not (32.98 -> 31.89); the tags and the sentence sum are the final
ones. bilty at its default SGD lr 0.1 learned only its auxiliary task and never carried the mode (6 tags, 6 classes:
54.32 -> 33.86, and 54.19 -> 33.90 with the forget bias at -10, the same), so it trains with Adam at 0.01 on 12 tags
and 2 frequency classes, where the mode decides the criterion. ESRGAN had three RRDBs on 24x24 images at first (0.806
-> 0.163 and 0.812 -> 0.171) and AtlasNet a wider encoder on 256 points (0.226 -> 0.0264 and 0.2785 -> 0.0257); both
were narrowed for time. No activation, depth, recurrence, lr, normalization, regularization, data or numeric slip
was written (the brief asked for initialisation slips): the commons outnumber the slips (13 to 3).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh55_builders as F

P = functools.partial
HALF = "fresh55"
#: chance losses: TSN's six classes, PointConv's four shapes, SENNA's five tags over a sentence's 20 words, the
#: T-Fixup Transformer's 24-id vocabulary, the tagger's 12 tags and 2 frequency classes over a sentence's 15 words;
#: SSD, ESRGAN and AtlasNet have none (their first loss is the reference)
C6, C4, V24 = math.log(6), math.log(4), math.log(24)
SENT5, TAGS = 20 * math.log(5), 15 * (math.log(12) + math.log(2))
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH55_HEALTHY: list[Case] = [
    _h("ssd_squares", HALF, "ssd", F.ssd, None),
    _h("esrgan_rrdbnet_x2", HALF, "esrgan_rrdbnet", F.esrgan, None),
    _h("tsn_clips", HALF, "tsn", F.tsn, C6),
    _h("pointconv_shapes", HALF, "pointconv", F.pointconv, C4),
    _h("atlasnet_ellipsoids", HALF, "atlasnet", F.atlasnet, None),
    _h("senna_window_tagger", HALF, "senna_window", F.senna, SENT5),
    _h("t_fixup_transformer_translation", HALF, "t_fixup_transformer", F.tfixup, V24),
    _h("bilty_aux_bilstm_tagger", HALF, "bilty_aux_bilstm", F.bilty, TAGS),
]

FRESH55_BROKEN: list[Case] = [
    # init
    _b("senna_init_std_1", HALF, ("init", "activation"), BOTH, STUCK,  # kind: common
       P(F.senna, init_std=1.0), SENT5),
    _b("ssd_prior_bias_on_every_conv", HALF, ("init", "activation"), VANISH, STUCK,  # kind: slip
       P(F.ssd, prior_bias_everywhere=True), None),
    _b("t_fixup_xavier_reset_without_depth_scaling", HALF, ("init", "normalization"), BOTH, STUCK,  # kind: slip
       P(F.tfixup, scaled=False), V24),
    _b("t_fixup_bert_style_reinit_after_t_fixup", HALF, ("init",), VANISH, STUCK,  # kind: slip
       P(F.tfixup, reinit_std=0.02), V24),
    # activation
    _b("tsn_batchnorm_shifts_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.tsn, bn_shift=-10.0), C6),
    # depth
    _b("pointconv_head_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.pointconv, deep_head=30), C4),
    # recurrence
    _b("bilty_forget_bias_minus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.bilty, forget_bias=-10.0), TAGS),
    # lr
    _b("pointconv_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.pointconv, lr=1.0), C4),
    _b("ssd_sgd_lr_0.05", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ssd, lr=0.05), None),
    _b("t_fixup_adam_lr_0.1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.tfixup, lr=0.1), V24),
    # normalization
    _b("tsn_without_batchnorm", HALF, ("normalization", "lr"), VANISH, STUCK,  # kind: common
       P(F.tsn, bn=False), C6),
    # regularization
    _b("tsn_sgd_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.tsn, weight_decay=1.0), C6),
    _b("senna_sgd_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.senna, weight_decay=1.0), SENT5),
    # data
    _b("tsn_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.tsn, shuffled=True), C6),
    _b("bilty_tags_one_sentence_out_of_step", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.bilty, mispaired=True), TAGS),
    # numeric
    _b("ssd_zero_area_boxes_log_encoded", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.ssd, degenerate=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {c.name: "common" for c in FRESH55_BROKEN}
KINDS.update({"ssd_prior_bias_on_every_conv": "slip", "t_fixup_xavier_reset_without_depth_scaling": "slip",
              "t_fixup_bert_style_reinit_after_t_fixup": "slip"})

#: the cases (half "fresh55")
FRESH55: list[Case] = FRESH55_HEALTHY + FRESH55_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "senna_init_std_1": F.senna,
    "ssd_prior_bias_on_every_conv": F.ssd,
    "t_fixup_xavier_reset_without_depth_scaling": F.tfixup,
    "t_fixup_bert_style_reinit_after_t_fixup": F.tfixup,
    "tsn_batchnorm_shifts_minus_10": F.tsn,
    "pointconv_head_30_layers_default_init": F.pointconv,
    "bilty_forget_bias_minus_10": F.bilty,
    "pointconv_adam_lr1": F.pointconv,
    "ssd_sgd_lr_0.05": F.ssd,
    "t_fixup_adam_lr_0.1": F.tfixup,
    "tsn_without_batchnorm": F.tsn,
    "tsn_sgd_weight_decay_1": F.tsn,
    "senna_sgd_weight_decay_1": F.senna,
    "tsn_labels_shuffled": F.tsn,
    "bilty_tags_one_sentence_out_of_step": F.bilty,
    "ssd_zero_area_boxes_log_encoded": F.ssd,
}
