"""The thirty-second held-out batch (half ``"fresh31"``): nine published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 310_000 + seed): a Reformer LM (Kitaev et al. 2020: two reversible layers of 64,
causal LSH attention with shared query-keys, one hash round into 4 buckets, chunks of 8 attending to themselves and
the chunk before, self-attention only as a last resort; Adam lr 1e-3, not the paper's Adafactor recipe) on the
corpus' Markov language, CPC (van den Oord et al. 2018, narrowed: a strided conv encoder of 32 at 16 samples a frame,
a GRU of 32, linear predictors 1 to 4 frames ahead, InfoNCE against the batch's other sequences; Adam lr 2e-4) on
waves of two sinusoids of their own frequencies, ESMM (Ma et al. 2018: shared field embeddings of 8, CTR and CVR
towers 64-32 with ReLU, ``pCTCVR = pCTR * pCVR`` and the two losses over the entire space; Adam lr 1e-3) on impressions
whose clicks and conversions follow fixed random user-item and user-category affinities, the IWAE (Burda et al.
2016: tanh MLPs of 100, 20 latent units, k = 5; Adam lr 1e-3 eps 1e-4) on binary patterns of eight modes, a spatial
transformer network (Jaderberg et al. 2015, the common PyTorch reference: a localisation net regressing an affine
transform initialised to the identity, ``affine_grid`` / ``grid_sample``, a small conv classifier; SGD lr 0.01
momentum 0.9) on rotated, scaled and shifted grey "digits", stacked hourglass networks (Newell et al. 2016,
narrowed: two stacks of depth 2 with bottleneck residual modules and intermediate supervision; RMSprop lr 2.5e-4) on
heatmaps of four keypoints under a random shift, an Oct-ResNet (Chen et al. 2019: octave convolutions with a
quarter of the channels at half resolution, three basic blocks; SGD momentum 0.9 weight decay 1e-4 at lr 0.1 per 256
images, 0.0125, cosine decay) and a narrowed Darknet-53 (Redmon & Farhadi 2018: strided 3x3 layers and 1x1-3x3
residual units, BatchNorm and LeakyReLU 0.1; SGD momentum 0.9 weight decay 5e-4 at the config's lr 0.1 per 128
images, 0.025) on class-template images, and PSPNet (Zhao et al. 2017, narrowed: a dilated residual backbone of
output stride 4 and the pyramid pooling module with bins 1, 2, 3, 6, its auxiliary loss left out; SGD lr 0.01
momentum 0.9 weight decay 1e-4 with the poly decay) segmenting scenes of five coloured region classes.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh30``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Reformer weight matrix and embedding
  drawn N(0, 1) (init), every STN bias before a ReLU at -10 (every ReLU dead; activation), the IWAE's encoder and
  decoder each 40 plain tanh layers and ESMM's towers each 48, at PyTorch's default init (depth), CPC's GRU recurrent
  matrix drawn N(0, 1) (recurrence), the Reformer at Adam lr 1, PSPNet at SGD lr 5 and the stacked hourglass at
  RMSprop lr 0.1 (lr), Darknet without its BatchNorms at SGD lr 0.1 (normalization), the IWAE and ESMM at Adam
  ``weight_decay=10`` and the STN at SGD ``weight_decay=10`` (regularization), and the STN's labels permuted against
  its images (data);
- **slip** (a user's mistake of a kind no earlier batch used): CPC's InfoNCE given ``labels = torch.zeros(b)``,
  copied from a MoCo-style loss whose positive is concatenated as column 0, while CPC's scores hold each positive on
  the diagonal (every context is trained to pick the batch's first sequence's future, which no encoder can single
  out; data), the stacked hourglass' heatmaps divided by their sums (probability maps) while the shift augmentation
  can push a keypoint out of view, whose empty map is then 0/0 (a normalisation of a possibly empty target; numeric),
  and the Oct-ResNet's optimizer and scheduler built before the model was replaced by a copy of itself (a whole
  pickled model restored with ``model = torch.load(path)`` after the optimizer was made), so that the optimizer steps
  the old model's parameters, which get no gradients, and the trained model's are never updated (an optimizer holding
  stale parameters; lr, the step the model gets being zero). The commons outnumber the slips (13 to 3).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (Darknet's: with its BatchNorms at its own lr 0.025).

Learning criteria: the classifiers compare with chance (ten and five classes, the 64-token language, CPC with ln 32
over the batch); ESMM, the IWAE and the stacked hourglass compare with their first loss. Measured plain runs, 200
steps (seed 0, seed 1): the Reformer 4.168 -> 1.276 and 4.179 -> 1.303; CPC 3.466 -> 2.377 and 3.466 -> 2.459 (the
criterion 2.60); ESMM 1.176 -> 0.828 and 1.220 -> 0.859 (the criteria 0.882 and 0.915); the IWAE 44.68 -> 20.65 and
44.62 -> 21.18; the STN 2.307 -> 0.916 and 2.292 -> 1.017; the stacked hourglass 0.427 -> 0.0122 and 0.255 ->
0.0101; the Oct-ResNet 2.300 -> 0.0282 and 2.315 -> 0.0250; PSPNet 1.577 -> 0.155 and 1.565 -> 0.150; Darknet 2.414
-> 0.00096 and 2.360 -> 0.00084. Broken: ``reformer_init_std_1`` 18.27 -> 4.31 and 18.51 -> 4.43 (the criterion
3.12); ``stn_relu_biases_minus_10`` 2.301 -> 2.302 and 2.304 -> 2.303; ``iwae_40_tanh_layers`` 44.33 -> 41.39 and
44.48 -> 41.55 (the criteria 33.25 and 33.36); ``cpc_gru_recurrent_std_1`` 3.467 -> 3.103 and 3.467 -> 3.127 (the
criterion 2.60); ``reformer_adam_lr1`` diverges at step 1 at both seeds (ends 119.8 and 210.4; weights x127 and
x123); ``pspnet_sgd_lr5`` diverges at steps 2 and 1 (ends 1.247 and 1.267, not learned; weights x13.5 and x10.8);
``hourglass_rmsprop_lr0.1`` diverges at step 1 at both seeds (weights x7.7 and x7.6) and then recovers (ends 0.0446
and 0.0202, learned by its first-loss criterion: its trouble is the divergence only); ``darknet_without_batchnorm_sgd
_lr0.1`` diverges at steps 91 and 55 and is non-finite at steps 96 and 60; ``iwae_adam_weight_decay_10`` 44.68 ->
44.23 and 44.62 -> 44.24; ``stn_sgd_weight_decay_10`` 2.307 -> 2.303 and 2.292 -> 2.303; ``esmm_adam_weight_decay_10``
1.176 -> 1.219 and 1.220 -> 1.209; ``esmm_towers_48_tanh_layers`` 1.172 -> 1.215 and 1.226 -> 1.203;
``stn_labels_shuffled`` 2.298 -> 2.300 and 2.288 -> 2.297; ``cpc_infonce_labels_zeros`` 3.465 -> 3.412 and 3.466 ->
3.460; ``octresnet_optimizer_over_stale_model`` 2.300 -> 2.299 and 2.315 -> 2.290 (weights x1.00);
``hourglass_heatmaps_sum_normalised`` is non-finite at step 0 at both seeds (the loss itself).

Dropped or changed before the freeze (seed 0 unless said): BiDAF (Seo et al. 2017, word embeddings only) as a healthy
model on an extractive span task did not learn at the paper's Adadelta lr 0.5 (5.995 -> 5.694 against the criterion
4.494) nor at AllenNLP's Adam lr 1e-3 betas (0.9, 0.9) (-> 5.542); at Adam 3e-3 it passed by a hair (-> 4.443), too
close and off its recipes, so it was dropped with its planned recurrence case (its LSTMs' recurrent matrices drawn
N(0, 1), never run); the recurrence case moved to CPC's GRU. The character-level ConvNet (Zhang et al. 2015) did not
learn at the paper's SGD lr 0.01 with N(0, 0.05^2) weights (1.387 -> 1.383, chance 1.386; with the class motif twice
and no distractor 1.387 -> 1.385; at lr 0.05 -> 1.3865; at init std 0.1 1.806 -> 1.383), so it was dropped with its
planned init (weights N(0, 1)) and activation (sigmoid) cases, never run; the activation case moved to the STN's dead
ReLUs. ESMM on fields of 50 users and 50 items (click logits ``3 u.v``) did not learn (1.302 -> 1.227; its Bayes loss
1.000 was above the criterion 0.977), nor with logits ``6 u.v`` (1.277 -> 1.221; Adam 3e-3 -> 1.172, 1e-2 -> 1.108,
the criterion 0.958), so it runs on 12 users and 12 items. ESMM's count feature passed through ``log`` where
``log1p`` belongs (the planned numeric common) did not misbehave as claimed: ``F.binary_cross_entropy`` raises on the
NaN probabilities at the first step instead of returning a non-finite loss, so it was dropped (its switch,
``log_counts``, is left in the builder); numeric is first-accepted by the hourglass slip only.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh31_builders as F

P = functools.partial
HALF = "fresh31"
#: chance losses: ten and five classes, the 64-token language, CPC's 32 candidates; ESMM, the IWAE and the stacked
#: hourglass have none (their first loss is the reference)
C10, C5, LM, NCE = math.log(10), math.log(5), math.log(64), math.log(32)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH31_HEALTHY: list[Case] = [
    _h("reformer_lsh_lm", HALF, "reformer", F.reformer, LM),
    _h("cpc_waves", HALF, "cpc", F.cpc, NCE),
    _h("esmm_impressions", HALF, "esmm", F.esmm, None),
    _h("iwae_binary_patterns", HALF, "iwae", F.iwae, None),
    _h("stn_distorted_digits", HALF, "spatial_transformer", F.stn, C10),
    _h("stacked_hourglass_keypoints", HALF, "stacked_hourglass", F.hourglass, None),
    _h("octresnet_classifier", HALF, "octconv", F.octresnet, C10),
    _h("pspnet_scenes", HALF, "pspnet", F.pspnet, C5),
    _h("darknet_classifier", HALF, "darknet", F.darknet, C10),
]

FRESH31_BROKEN: list[Case] = [
    # init
    _b("reformer_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.reformer, init_std=1.0), LM),
    # activation
    _b("stn_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.stn, relu_bias=-10.0), C10),
    # depth
    _b("iwae_40_tanh_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.iwae, depth=40), None),
    _b("esmm_towers_48_tanh_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.esmm, tanh_depth=48), None),
    # recurrence
    _b("cpc_gru_recurrent_std_1", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.cpc, recurrent_std=1.0), NCE),
    # lr
    _b("reformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.reformer, lr=1.0), LM),
    _b("pspnet_sgd_lr5", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.pspnet, lr=5.0), C5),
    _b("hourglass_rmsprop_lr0.1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.hourglass, lr=0.1), None),
    _b("octresnet_optimizer_over_stale_model", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.octresnet, stale_optimizer=True), C10),
    # normalization
    _b("darknet_without_batchnorm_sgd_lr0.1", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.darknet, bn=False, lr=0.1), C10),
    # regularization
    _b("iwae_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.iwae, weight_decay=10.0), None),
    _b("stn_sgd_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.stn, weight_decay=10.0), C10),
    _b("esmm_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.esmm, weight_decay=10.0), None),
    # data
    _b("stn_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.stn, shuffle_labels=True), C10),
    _b("cpc_infonce_labels_zeros", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.cpc, zeros_labels=True), NCE),
    # numeric
    _b("hourglass_heatmaps_sum_normalised", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.hourglass, sum_normalised=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "reformer_init_std_1": "common", "stn_relu_biases_minus_10": "common", "iwae_40_tanh_layers": "common",
    "esmm_towers_48_tanh_layers": "common", "cpc_gru_recurrent_std_1": "common", "reformer_adam_lr1": "common",
    "pspnet_sgd_lr5": "common", "hourglass_rmsprop_lr0.1": "common", "octresnet_optimizer_over_stale_model": "slip",
    "darknet_without_batchnorm_sgd_lr0.1": "common", "iwae_adam_weight_decay_10": "common",
    "stn_sgd_weight_decay_10": "common", "esmm_adam_weight_decay_10": "common", "stn_labels_shuffled": "common",
    "cpc_infonce_labels_zeros": "slip", "hourglass_heatmaps_sum_normalised": "slip",
}

#: the cases (half "fresh31")
FRESH31: list[Case] = FRESH31_HEALTHY + FRESH31_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "reformer_init_std_1": F.reformer,
    "stn_relu_biases_minus_10": F.stn,
    "iwae_40_tanh_layers": F.iwae,
    "esmm_towers_48_tanh_layers": F.esmm,
    "cpc_gru_recurrent_std_1": F.cpc,
    "reformer_adam_lr1": F.reformer,
    "pspnet_sgd_lr5": F.pspnet,
    "hourglass_rmsprop_lr0.1": F.hourglass,
    "octresnet_optimizer_over_stale_model": F.octresnet,
    "darknet_without_batchnorm_sgd_lr0.1": F.darknet,
    "iwae_adam_weight_decay_10": F.iwae,
    "stn_sgd_weight_decay_10": F.stn,
    "esmm_adam_weight_decay_10": F.esmm,
    "stn_labels_shuffled": F.stn,
    "cpc_infonce_labels_zeros": F.cpc,
    "hourglass_heatmaps_sum_normalised": F.hourglass,
}
