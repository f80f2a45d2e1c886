"""The sixty-second held-out batch (half ``"fresh61"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 610_000 + seed): CrossViT (Chen, Fan and Panda 2021, narrowed to 16x16 images: a
small branch on 4x4 patches of width 32 and a large branch on 8x8 patches of width 64, each with a CLS token, two
multi-scale encoders of one pre-LN block a branch (4 heads, MLP ratio 4) and the cross-attention fusion of the CLS
tokens, a LayerNorm and a head per branch, the logits averaged; truncated N(0, 0.02^2) init as the DeiT code it
follows; AdamW at DeiT's lr 5e-4 and weight decay 0.05, no warm-up) on 10-class template images, DABNet (Li, Kim and
Lee 2019, narrowed to 32x32: an initial block of three conv-BN-PReLU layers of 16, ENet-style down-sampling blocks to
32 and 64, two and three depth-wise asymmetric bottlenecks (3x3 reduction to half, a plain and a dilated branch of
channel-wise 3x1 and 1x3 convolutions, a 1x1 expansion, the residual), the dense concatenations with the stage input
and the pooled image, a 1x1 classifier and a bilinear upsampling by 8; PyTorch's default init; Adam lr 1e-3 and
weight decay 1e-4 set here, without the paper's poly schedule) segmenting 3-class scenes (a square and a disc on a
background), HyperMixer (Mai et al. 2023, narrowed to a text classifier: embeddings of 64, two pre-LN layers of
hypernetwork token mixing ``W2(X) gelu(W1(X)^T X)`` (the hypernetworks MLPs over each token plus its position's
embedding) and a GELU feed-forward of 256, dropout 0.1, mean pooling; PyTorch's default init; Adam lr 1e-3 set here)
on topic texts of 16 words (4 topics), C-LSTM (Zhou et al. 2015, narrowed: embeddings of 64, a window-3 convolution
of 64 ReLU maps whose windows in order feed an LSTM of 64 cells, dropout 0.5, the last state to a softmax layer;
PyTorch's default init; RMSprop, the paper's optimiser, at lr 1e-3 set here) on texts of 16 words whose topic shows
only in their first 6, MoNet (Monti et al. 2017, the citation-graph setting: the pseudo-coordinates ``(1 / sqrt(deg_i
+ 1), 1 / sqrt(deg_j + 1))`` through a learned ``tanh`` layer, two layers of K = 3 Gaussian kernels with a root
weight, hidden 16, ELU, dropout 0.5; Adam lr 0.01, weight decay 5e-4) and GeniePath (Liu et al. 2019: a linear input
layer to 32, three layers of the breadth function (GAT-like ``tanh`` attention) and the depth function (an LSTM step
across the layers without biases, as the reference code's ``nn.LSTM(bias=False)``); Adam at the reference code's lr
0.005) classifying the nodes of a 300-node stochastic block model with 20 cold-start nodes and weak features (loss
over the training half), AITM (Xi et al. 2021: field embeddings of 5, a 128-64-32 tower per task with dropout 0.1,
0.3, 0.3, the info layer and the AIT attention fusing the click tower into the conversion tower, the click and
conversion cross-entropies plus the paper's 0.6 times the behavioural expectation calibrator; Adam at the reference
code's lr 1e-3 and weight decay 1e-6) on two-step conversion logs of 8 categorical fields, and STAR (Sheng et al.
2021, narrowed: 4 categorical fields embedded in 8 beside 8 numeric features, partitioned normalization, the
star-topology FCN 40-64-32-1 (``W_shared * W_p``, ``W_p`` starting at ones) and the auxiliary network on the domain
indicator; Adam lr 1e-3 set here) on clicks from three domains whose 8 numeric features come at raw scales (10 to
10^4, shifted), as logs hold them. The text data come as 200 distinct batches (none repeated in a run), the others as
the corpus' 32 cycled ones.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): STAR's star-topology weights, shared and
  per-domain, initialised to zero (every weight's gradient is a product with a zero; init), HyperMixer's Linears and
  embeddings drawn N(0, 3^2) (init), AITM's towers' first biases -10 (every unit of the first ReLU dead; activation),
  AITM's towers 30 layers deep at PyTorch's default init (depth), C-LSTM's forget-gate biases -10 (the state is
  forgotten at every step, and the topic is 10 steps back; recurrence), GeniePath at Adam lr 1 and CrossViT at AdamW
  lr 1 (lr), STAR without its partitioned normalization on the raw-scale numeric features (normalization; data is
  accepted second, the raw scales being what the norm was there for), CrossViT at AdamW ``weight_decay=50`` and MoNet
  at Adam ``weight_decay=1`` (regularization), HyperMixer's topics permuted within every batch, apart from their
  texts (data), and MoNet's neighbour mean divided by the raw degree, where the cold-start nodes have none (``0 /
  0``; numeric, data accepted second);
- **slip** (a user's mistake in the architecture's wiring, of a kind no earlier batch used): MoNet's residual added
  twice, the block returning ``h + elu(conv(h))`` while the layer loop also adds ``h`` (16 layers: the identity
  doubles at each of 14, 2^14 = 16384 times; depth; its control is the same 16 layers with the residual added once),
  GeniePath's depth LSTM with its candidate written ``tanh(W_c c)``, the memory, where the breadth output belongs
  (the memory starts at zero and has no bias to leave it, so it and every ``h`` stay zero; recurrence), STAR's
  partitioned normalization taking its statistics over the feature axis (``dim=1``: each sample standardised across
  its 40 mixed-scale features, a LayerNorm) where each domain's batch axis belongs (normalization), and C-LSTM's
  ``(batch, maps, windows)`` convolution output handed to the sequence-first LSTM as ``h.view(windows, batch,
  maps)`` where ``h.permute(2, 0, 1)`` belongs (the numbers are re-read in memory order, so every sequence the LSTM
  reads is pieced together from other texts' maps; data). No init, activation, lr, regularization or numeric slip
  was written.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except the residual slip's (MoNet at 16 layers with the residual added once:
46.53 -> 0.295 and 76.34 -> 0.163, the first loss inflated by the unnormalised residual sum). DABNet has no broken
case.

Learning criteria: the classifiers compare with chance (CrossViT's ten classes, DABNet's three, HyperMixer's, C-LSTM's,
MoNet's and GeniePath's four, STAR's two); AITM compares with its first loss. Measured plain runs, 200 steps (seed 0,
seed 1): CrossViT 2.332 -> 0.152 and 2.282 -> 0.151; DABNet 0.939 -> 0.137 and 1.232 -> 0.150 (the criteria 0.704 and
0.824); HyperMixer 1.431 -> 0.0489 and 1.451 -> 0.0802; C-LSTM 1.391 -> 0.418 and 1.380 -> 0.829 (the criterion 1.035);
MoNet 1.470 -> 0.190 and 1.521 -> 0.0836; GeniePath 1.387 -> 0.0016 and 1.386 -> 6.4e-4; AITM 1.419 -> 0.666 and 1.391
-> 0.735 (the criteria 1.064 and 1.043); STAR 0.718 -> 0.401 and 0.712 -> 0.401 (the criterion 0.520). Broken:
``star_zero_init`` 0.701 -> 0.689 and 0.723 -> 0.690; ``hypermixer_init_std_3`` 16.54 -> 3.260 and 12.70 -> 2.348 (no
divergence); ``aitm_relu_biases_minus_10`` 1.428 -> 1.295 and 1.381 -> 1.287; ``aitm_towers_30_layers_default_init``
1.385 -> 1.293 and 1.372 -> 1.286; ``monet_residual_added_twice`` 1.12e5 -> 117.3 and 1.31e5 -> 81.7 (no divergence: the
loss starts huge and falls; the weights grow 1.05x and 1.07x); ``c_lstm_forget_bias_minus_10`` 1.388 -> 1.389 and 1.379
-> 1.388; ``geniepath_lstm_candidate_from_memory`` 1.388 -> 1.384 and 1.386 -> 1.385; ``geniepath_adam_lr1`` diverges at
step 1 at both seeds and is non-finite at steps 5 and 4 (weights x18.8 and x15.9); ``crossvit_adamw_lr1`` diverges at
step 1 at both seeds (ends 2.276 and 2.048; weights x32.5 and x32.8); ``star_without_partitioned_norm_raw_numerics``
40.10 -> 1.302 and 29.33 -> 1.123; ``star_pn_statistics_over_features`` 0.711 -> 0.629 and 0.711 -> 0.612;
``crossvit_adamw_weight_decay_50`` 2.332 -> 2.302 and 2.282 -> 2.302; ``monet_adam_weight_decay_1`` 1.470 -> 1.385 and
1.521 -> 1.163 (the criterion 1.040); ``hypermixer_labels_shuffled`` 1.435 -> 1.388 and 1.439 -> 1.389;
``c_lstm_conv_maps_viewed_across_texts`` 1.389 -> 1.388 and 1.382 -> 1.387; ``monet_mean_over_zero_degree`` is
non-finite at step 0 at both seeds (the loss itself). Alone on the shared two-core machine a seed takes 0.1 to 8 s
(CrossViT, DABNet and HyperMixer the slowest, 6 to 8 s, and the 16-layer MoNet about 5 s); with two verifications side
by side, up to 20 s.

Dropped or changed before the freeze (every figure above is from the final code): CGNet (Wu et al. 2018) and Fastformer
(Wu et al. 2021) were first written, measured and verified here (CGNet 1.146 -> 0.150 and 1.091 -> 0.158; Fastformer
1.382 -> 0.0085 and 1.388 -> 0.0324), with CGNet at Adam lr 1 (diverging at step 1, ends 17.31 and 11.63), Fastformer at
N(0, 1) init (6.613 -> 3.948 and 8.306 -> 3.459) and Fastformer's topics permuted (1.389 -> 1.352 and 1.384 -> 1.345) as
broken cases, and were all replaced because a batch being written beside this one (``fresh58``) used both families at
the time; DABNet and HyperMixer took their places. DABNet at Adam lr 1 diverged at step 1 but seed 1 recovered to 0.230
(learned), so the second lr case is CrossViT's; HyperMixer at N(0, 1) learned (4.722 -> 0.694 and 4.509 -> 0.796), the
init case uses N(0, 3^2); HyperMixer's permuted topics over the usual 32 cycled batches learned by memorising them
(1.435 -> 0.782 and 1.439 -> 0.799), so its texts, healthy and broken, come as 200 distinct batches. CrossViT first had
two blocks in the large branch (12 to 15 s a seed), cut to one; MoNet and GeniePath were first written on dense
adjacencies (13 to 15 s and 37 to 42 s a seed) and were rewritten on edge lists, the same models. C-LSTM's texts were
first 24 words (the topic 18 steps back), and the healthy model did not learn them at RMSprop lr 1e-3, 3e-3 or 1e-2
(ends 1.274, 1.229 and 1.355 at seed 0); at 16 words over 32 cycled batches it learned, but the ``view`` slip then
reached 1.080 and 1.042 against the criteria 1.040 and 1.037 (memorising the cycled batches), so these texts too come as
200 distinct batches. AITM first had 32 values per field and learned only narrowly (0.998 and 0.959 against about 1.03
with effects of scale 1.5, 0.982 and 0.939 at 2.5); it has 10 values, at 2.5. Its calibrator weight written in percent
(``alpha = 60`` for 0.6), planned as a slip (a loss weight in the wrong unit), learned (1.751 -> 0.797 and 2.326 ->
0.922) and was dropped. A STAR slip passing the numeric features through ``nn.LayerNorm(1)`` on ``x.unsqueeze(-1)``
(every value normalised over its own axis of size one, so 0) did fail (0.718 -> 0.669 and 0.714 -> 0.669, measured
before the numeric features were given raw scales) but was dropped as the same kind as ``fresh19``'s standardisation
over a size-one axis; the partitioned normalization's statistics over the features replaced it. MoNet's residual added
twice at 10 layers learned (399.7 -> 0.545 and 552.7 -> 0.465): the slip uses 16. MoNet at 16 plain layers learned
(0.942 and 0.860), at 32 it did not (1.373 and 1.325) but took 24 s a seed; the depth case moved to AITM's towers. No
normalization common held on the first models: Fastformer without its LayerNorms learned at lr 1e-3 (0.030 and 0.022)
and at lr 1e-2 at seed 1 (0.061; seed 0 ended at 1.7e5), CGNet without its BatchNorms learned at Adam lr 1e-3 and 1e-2
(0.287 and 0.158 at seed 0), CrossViT without its LayerNorms at AdamW lr 5e-4, 2e-3 and 5e-3 (0.154, 0.012, 0.003 at
seed 0); STAR's data were then given raw-scale numeric features, first 1 to 10^3 (without the norm 0.560 and 0.579
against 0.520, too close) and then 10 to 10^4. Fastformer at dropout 0.9 learned (0.137 and 0.135); MoNet at Adam weight
decay 0.5 learned (0.844 and 0.639), the case uses 1.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh61_builders as F

P = functools.partial
HALF = "fresh61"
#: chance losses: ten classes (CrossViT's images), three (DABNet's pixels), four (HyperMixer's and C-LSTM's topics,
#: MoNet's and GeniePath's nodes), two (STAR's clicks); AITM has none (its first loss is the reference)
C10, C3, C4, C2 = math.log(10), math.log(3), math.log(4), math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH61_HEALTHY: list[Case] = [
    _h("crossvit_images", HALF, "crossvit", F.crossvit, C10),
    _h("dabnet_scenes", HALF, "dabnet", F.dabnet, C3),
    _h("hypermixer_topics", HALF, "hypermixer", F.hypermixer, C4),
    _h("c_lstm_headed_texts", HALF, "c_lstm", F.clstm, C4),
    _h("monet_sbm_nodes", HALF, "monet", F.monet, C4),
    _h("geniepath_sbm_nodes", HALF, "geniepath", F.geniepath, C4),
    _h("aitm_conversions", HALF, "aitm", F.aitm, None),
    _h("star_multi_domain_clicks", HALF, "star_ctr", F.star, C2),
]

FRESH61_BROKEN: list[Case] = [
    # init
    _b("star_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.star, zero_init=True), C2),
    _b("hypermixer_init_std_3", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.hypermixer, init_std=3.0), C4),
    # activation
    _b("aitm_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.aitm, relu_bias=-10.0), None),
    # depth
    _b("aitm_towers_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.aitm, layers=30), None),
    _b("monet_residual_added_twice", HALF, ("depth",), EXPLODE, STUCK,  # kind: slip
       P(F.monet, layers=16, residual_twice=True), C4),
    # recurrence
    _b("c_lstm_forget_bias_minus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.clstm, forget_bias=-10.0), C4),
    _b("geniepath_lstm_candidate_from_memory", HALF, ("recurrence",), VANISH, STUCK,  # kind: slip
       P(F.geniepath, candidate_from_memory=True), C4),
    # lr
    _b("geniepath_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.geniepath, lr=1.0), C4),
    _b("crossvit_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.crossvit, lr=1.0), C10),
    # normalization
    _b("star_without_partitioned_norm_raw_numerics", HALF, ("normalization", "data"), BOTH,  # kind: common
       STUCK, P(F.star, pn=False), C2),
    _b("star_pn_statistics_over_features", HALF, ("normalization",), VANISH, STUCK,  # kind: slip
       P(F.star, pn_dim=1), C2),
    # regularization
    _b("crossvit_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.crossvit, weight_decay=50.0), C10),
    _b("monet_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.monet, weight_decay=1.0), C4),
    # data
    _b("hypermixer_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.hypermixer, shuffled=True), C4),
    _b("c_lstm_conv_maps_viewed_across_texts", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.clstm, view_to_lstm=True), C4),
    # numeric
    _b("monet_mean_over_zero_degree", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.monet, mean="raw"), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "star_zero_init": "common", "hypermixer_init_std_3": "common", "aitm_relu_biases_minus_10": "common",
    "aitm_towers_30_layers_default_init": "common", "monet_residual_added_twice": "slip",
    "c_lstm_forget_bias_minus_10": "common", "geniepath_lstm_candidate_from_memory": "slip",
    "geniepath_adam_lr1": "common", "crossvit_adamw_lr1": "common",
    "star_without_partitioned_norm_raw_numerics": "common", "star_pn_statistics_over_features": "slip",
    "crossvit_adamw_weight_decay_50": "common", "monet_adam_weight_decay_1": "common",
    "hypermixer_labels_shuffled": "common", "c_lstm_conv_maps_viewed_across_texts": "slip",
    "monet_mean_over_zero_degree": "common",
}

#: the cases (half "fresh61")
FRESH61: list[Case] = FRESH61_HEALTHY + FRESH61_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "star_zero_init": F.star,
    "hypermixer_init_std_3": F.hypermixer,
    "aitm_relu_biases_minus_10": F.aitm,
    "aitm_towers_30_layers_default_init": F.aitm,
    "monet_residual_added_twice": P(F.monet, layers=16, residual=True),
    "c_lstm_forget_bias_minus_10": F.clstm,
    "geniepath_lstm_candidate_from_memory": F.geniepath,
    "geniepath_adam_lr1": F.geniepath,
    "crossvit_adamw_lr1": F.crossvit,
    "star_without_partitioned_norm_raw_numerics": F.star,
    "star_pn_statistics_over_features": F.star,
    "crossvit_adamw_weight_decay_50": F.crossvit,
    "monet_adam_weight_decay_1": F.monet,
    "hypermixer_labels_shuffled": F.hypermixer,
    "c_lstm_conv_maps_viewed_across_texts": F.clstm,
    "monet_mean_over_zero_degree": F.monet,
}
