"""The sixty-third held-out batch (half ``"fresh62"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, from self-supervised vision, graph and sentence representation learning,
VAEs, normalising flows and energy-based models; the settings are the paper's or its reference code's unless said;
the data are synthetic, drawn from the seeds 620_000 + seed): SimSiam (Chen and He 2021, narrowed: a four-convolution
BatchNorm/ReLU backbone 16-32-32-64 in place of the ResNet, the projector ``Linear - BN - ReLU - Linear - BN`` to 64,
the predictor with a bottleneck of 16; the symmetrised negative cosine with the stop-gradient on the projections,
written ``1 + D`` so that it lies in [0, 2]; SGD at the paper's ``lr = 0.05 * batch / 256`` = 0.0125, momentum 0.9,
weight decay 1e-4, its cosine decay left out) on two shifted, flipped, noisy views of class-template images, CMC
(Tian, Krishnan and Isola 2020, narrowed: the image split into its "L" channel and its two "ab" channels, one
three-convolution BatchNorm/ReLU encoder per view to L2-normalised embeddings of 32, Kaiming-normal convolutions; the
two-way contrastive loss at the paper's temperature 0.07 with the batch's other images as negatives in place of its
memory bank; SGD at the paper's lr 0.03, momentum 0.9, weight decay 1e-4) on colour images whose channels see one
smooth field per image, the Context Encoder (Pathak et al. 2016, narrowed: an encoder of three 4x4 stride-2
convolutions with BatchNorm and LeakyReLU 0.2, the channel-wise fully connected layer, a decoder of up-convolutions
with BatchNorm and ReLU to the 8x8 center; DCGAN's N(0, 0.02^2) init as the reference; the L2 loss on the center, its
adversarial term left out; Adam at the reference's lr 2e-4, beta1 0.5) inpainting the central 8x8 of smooth 16x16
fields, GRACE (Zhu et al. 2020, narrowed: a two-layer GCN of 128 and 64 with ReLU, Glorot weights as PyG's
``GCNConv``, the ``Linear - ELU - Linear`` projection head; two views with edges dropped at 0.2 and 0.4 and feature
columns masked at 0.3 and 0.4, the paper's Cora rates; its intra- and inter-view objective written in the NT-Xent
form; Adam at the paper's Cora lr 5e-4 and weight decay 1e-5, temperature 0.2 set here) on a 200-node stochastic block
model, Quick-Thoughts (Logeswaran and Lee 2018, narrowed: shared word embeddings of 32, the sentence and context
encoders each a GRU of 64, each sentence's true next sentence classified among the batch's 64 candidates by ``f(s) .
g(c)``; PyTorch's default init; Adam at the paper's lr 5e-4) on consecutive sentences of topic documents, InfoVAE
(Zhao, Song and Ermon 2019, narrowed: ReLU MLP encoder 64-128-128 to 8 Gaussian latents and decoder to Bernoulli
logits; its objective at ``alpha = 0``, ``lambda = 10``: the reconstruction, the KL and 9 times the Gaussian-kernel
MMD between the codes and prior draws; Adam lr 3e-3, set here) on 8x8 binary images of 16 noisy prototypes, FFJORD
(Grathwohl et al. 2019, narrowed to two dimensions: concat-squash dynamics 2-32-32-2 with tanh, two fixed RK4 steps in
place of dopri5, the exact trace in place of Hutchinson's estimator; the mean negative log-likelihood; Adam at the
paper's lr 1e-3) on a scaled banana, and an energy model fitted by noise-contrastive estimation (Gutmann and
Hyvarinen 2010, 2012: a ReLU MLP energy 2-64-64-1 and the learned log-normaliser ``c``, started at the noise's
log-normaliser; NCE's logistic loss with one N(0, 2^2 I) noise point per data point; Adam lr 1e-2, set here) on a
ring of radius 1.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh57``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every GRACE weight matrix drawn N(0, 1)
  (init), every hidden bias of the NCE energy -10 (every ReLU dead; activation), the NCE energy 30 hidden layers deep
  at PyTorch's default init (depth), both Quick-Thoughts GRUs' hidden-to-hidden matrices drawn N(0, 10^2)
  (recurrence), the Context Encoder, Quick-Thoughts and InfoVAE at Adam lr 1 (lr), CMC's encoders without their
  BatchNorms at its SGD lr 0.03 (normalization), Quick-Thoughts and InfoVAE at Adam ``weight_decay=1``
  (regularization), CMC's "ab" channels permuted within every batch, apart from their "L" channel (data), and GRACE's
  ``D^-1/2 A D^-1/2`` without the ``+ I`` on a graph whose last 20 nodes have no edge (``0^-1/2 = inf`` times 0;
  numeric);
- **slip** (a user's mistake of a kind no earlier batch used, all in the self-supervised or generative objective):
  CMC's similarities multiplied by the temperature where they are divided by it (``z_l z_ab^T * 0.07``: the logits
  lie in [-0.07, 0.07], and the loss cannot fall below ``ln(1 + 63 e^-0.14) = 4.02`` of ln 64 = 4.16;
  normalization, the logits' scale, with activation, the bounded output, accepted), InfoVAE's KL written ``.sum()``
  over the batch too where the reconstruction is ``.sum(1).mean()`` (the KL weighted 64 times: the codes collapse onto
  the prior and the reconstruction stays near the pixels' marginal; regularization), the Context Encoder's target
  cropped from the composite (the prediction pasted into the masked image, what the reference code saves) instead of
  from the original image (the target is the prediction itself: the loss and every gradient are exactly 0; data), and
  GRACE's positives indexed ``arange(2N)``, the ``+ N`` forgotten, with the self-similarities masked to ``-inf``
  (every target is its own masked entry: the loss is infinite from step 0; data, with numeric accepted). None of the
  slips is an init, activation, depth, recurrence, lr or numeric-first one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is the NCE energy at its own two hidden layers).

Learning criteria: CMC and Quick-Thoughts compare with the chance of their 64 candidates, NCE with ln 2, InfoVAE with
the uniform Bernoulli's 64 ln 2 = 44.36; SimSiam, the Context Encoder, GRACE and FFJORD compare with their first loss.
Measured plain runs, 200 steps (seed 0, seed 1): SimSiam 0.9925 -> 0.2147 and 0.9997 -> 0.1498; CMC 4.998 -> 0.130
and 4.615 -> 0.116; the Context Encoder 0.3627 -> 0.0120 and 0.4416 -> 0.0131; GRACE 5.643 -> 3.939 and 5.502 ->
3.707 (the criteria 4.232 and 4.126); Quick-Thoughts 4.388 -> 2.517 and 4.288 -> 2.533 (the criterion 3.119);
InfoVAE 44.76 -> 22.81 and 44.72 -> 22.71 (the criterion 33.27); FFJORD 2.183 -> 0.751 and 2.111 -> 0.652; the NCE
energy 2.216 -> 0.252 and 2.140 -> 0.257 (the criterion 0.520). Broken: ``grace_init_std_1`` 5.615 -> 4.956 and
5.337 -> 4.815; ``nce_relu_biases_minus_10`` 2.074 -> 1.979 and 2.141 -> 1.968; ``nce_30_layers_default_init``
2.117 -> 1.979 and 2.170 -> 1.969; ``quick_thoughts_gru_hh_std_10`` 11.24 -> 10.62 and 9.887 -> 10.73 (no
divergence, the weight norm unchanged); ``context_encoder_adam_lr1`` diverges at step 1 at both seeds (ends 0.379 and
0.399; weights x66 and x74); ``quick_thoughts_adam_lr1`` diverges at step 1 at both seeds (ends 15.86 and 15.88;
weights x29); ``infovae_adam_lr1`` is non-finite at step 1 at seed 0 and diverges at step 1, non-finite at step 2, at
seed 1; ``cmc_without_batchnorm`` 4.180 -> 4.159 and 4.207 -> 4.159; ``cmc_temperature_multiplied`` 4.160 -> 4.104
and 4.158 -> 4.103; ``quick_thoughts_adam_weight_decay_1`` 4.388 -> 4.145 and 4.288 -> 4.142;
``infovae_adam_weight_decay_1`` 44.76 -> 44.07 and 44.72 -> 44.07; ``infovae_kl_summed_over_batch`` 47.14 -> 43.18
and 46.92 -> 43.14; ``cmc_views_unpaired`` 4.877 -> 4.091 and 4.785 -> 4.092;
``context_encoder_target_from_composite`` 0 -> 0 at both seeds (0 is not below 0.75 x 0); GRACE's positives without
the offset (+inf) and its normalisation without self-loops (NaN) are non-finite at step 0 at both seeds (the loss
itself). Every case runs at most 6.5 s a seed (SimSiam the slowest, on a machine shared with other work).

Dropped or changed before the freeze (every figure above is from the final code): GRACE at the paper's Cora
temperature 0.4 on a denser graph (edge probabilities 0.1 and 0.005, class means of 1) did not learn (5.842 -> 4.739
at seed 0, the criterion 4.382), nor at temperature 0.2 on that graph at seed 0 (5.755 -> 4.551, the criterion
4.316): the class-level smoothing left each node's positive among ~100 look-alikes; the graph is sparser and the class
means weaker now, at temperature 0.2. InfoVAE at ``lambda = 100`` and lr 1e-3 stayed at the marginal (46.47 -> 45.40
at seed 0), and at ``lambda = 10`` and lr 1e-3 ended at 36.11 and 37.68 (the criterion 33.27); it runs at lr 3e-3.
FFJORD with six RK4 steps and 64 units took 14.7 s a seed; it has two steps and 32 units. The NCE energy with ``c``
started at 0 and a N(0, I) noise against a ring of radial spread 0.1 did not learn at lr 1e-3 (3.118 -> 1.213);
the noise is N(0, 2^2 I), the ring's spread 0.05, ``c`` starts at the noise's log-normaliser, and the lr is 1e-2.
Measured and not kept: the Context Encoder with every weight N(0, 1) learned (100.2 -> 20.6 and 255.9 -> 52.4) and
without its BatchNorms learned at seed 0 (0.326 -> 0.214, the criterion 0.245) but not at seed 1; CMC without the L2
normalisation of its embeddings diverged (steps 2 and 3, non-finite at step 17 at seed 1) and FFJORD at Adam lr 1
diverged (steps 2 and 1), not kept as the normalization and lr causes had their cases; GRACE at Adam lr 1 did not
learn (5.643 -> 4.564) with weights x50. Slips written, measured and dropped because the plain run shows no failure:
SimSiam's lr by the linear scaling rule without its ``/ 256`` (3.2: 0.9925 -> 0.0461, learned), CMC's the same way
(0.03 x 64 = 1.92: 4.998 -> 2.377, learned), SimSiam's stop-gradient put on the predictions instead of the
projections (0.9925 -> 0.3243, learned), SimSiam's predictor's last layer zero-initialised (learned after weights
x2e5 at step 0), InfoVAE's log-variance used as the standard deviation (48.14 -> 15.04, learned) and its KL added with
the sign flipped (the loss falls to -5e22 with no non-finite step: learned by the criterion). SimSiam's second views
from a second, independently shuffled loader did not learn (1.002 -> 0.881) but ``fresh30`` used two independently
shuffled loaders; it was dropped, leaving SimSiam and FFJORD without a broken case. The commons outnumber the slips
(12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh62_builders as F

P = functools.partial
HALF = "fresh62"
#: chance losses: CMC's and Quick-Thoughts' 64 candidates, NCE's two labels, InfoVAE's uniform Bernoulli over 64
#: pixels (64 ln 2); SimSiam, the Context Encoder, GRACE and FFJORD have none (their first loss is the reference)
C64, C2, BITS = math.log(64), math.log(2), 64 * math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH62_HEALTHY: list[Case] = [
    _h("simsiam_template_views", HALF, "simsiam", F.simsiam, None),
    _h("cmc_colour_views", HALF, "cmc", F.cmc, C64),
    _h("context_encoder_smooth_fields", HALF, "context_encoder", F.context_encoder, None),
    _h("grace_sbm_views", HALF, "grace", F.grace, None),
    _h("quick_thoughts_documents", HALF, "quick_thoughts", F.quick_thoughts, C64),
    _h("infovae_prototypes", HALF, "infovae", F.infovae, BITS),
    _h("ffjord_banana", HALF, "ffjord", F.ffjord, None),
    _h("nce_energy_ring", HALF, "nce_energy_model", F.nce, C2),
]

FRESH62_BROKEN: list[Case] = [
    # init
    _b("grace_init_std_1", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.grace, init_std=1.0), None),
    # activation
    _b("nce_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.nce, relu_bias=-10.0), C2),
    # depth
    _b("nce_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.nce, layers=30), C2),
    # recurrence
    _b("quick_thoughts_gru_hh_std_10", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.quick_thoughts, hh_std=10.0), C64),
    # lr
    _b("context_encoder_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.context_encoder, lr=1.0), None),
    _b("quick_thoughts_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.quick_thoughts, lr=1.0), C64),
    _b("infovae_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.infovae, lr=1.0), BITS),
    # normalization
    _b("cmc_without_batchnorm", HALF, ("normalization",), VANISH, STUCK,  # kind: common
       P(F.cmc, bn=False), C64),
    _b("cmc_temperature_multiplied", HALF, ("normalization", "activation"), VANISH, STUCK,  # kind: slip
       P(F.cmc, inverted=True), C64),
    # regularization
    _b("quick_thoughts_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.quick_thoughts, weight_decay=1.0), C64),
    _b("infovae_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.infovae, weight_decay=1.0), BITS),
    _b("infovae_kl_summed_over_batch", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.infovae, kl_summed=True), BITS),
    # data
    _b("cmc_views_unpaired", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.cmc, unpaired=True), C64),
    _b("context_encoder_target_from_composite", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.context_encoder, target_from_composite=True), None),
    _b("grace_positive_index_without_offset", HALF, ("data", "numeric"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.grace, offset=False), None),
    # numeric
    _b("grace_gcn_norm_without_self_loops_isolated_nodes", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.grace, isolated=20, self_loops=False), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "grace_init_std_1": "common", "nce_relu_biases_minus_10": "common", "nce_30_layers_default_init": "common",
    "quick_thoughts_gru_hh_std_10": "common", "context_encoder_adam_lr1": "common",
    "quick_thoughts_adam_lr1": "common", "infovae_adam_lr1": "common", "cmc_without_batchnorm": "common",
    "cmc_temperature_multiplied": "slip", "quick_thoughts_adam_weight_decay_1": "common",
    "infovae_adam_weight_decay_1": "common", "infovae_kl_summed_over_batch": "slip", "cmc_views_unpaired": "common",
    "context_encoder_target_from_composite": "slip", "grace_positive_index_without_offset": "slip",
    "grace_gcn_norm_without_self_loops_isolated_nodes": "common",
}

#: the cases (half "fresh62")
FRESH62: list[Case] = FRESH62_HEALTHY + FRESH62_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "grace_init_std_1": F.grace,
    "nce_relu_biases_minus_10": F.nce,
    "nce_30_layers_default_init": F.nce,
    "quick_thoughts_gru_hh_std_10": F.quick_thoughts,
    "context_encoder_adam_lr1": F.context_encoder,
    "quick_thoughts_adam_lr1": F.quick_thoughts,
    "infovae_adam_lr1": F.infovae,
    "cmc_without_batchnorm": F.cmc,
    "cmc_temperature_multiplied": F.cmc,
    "quick_thoughts_adam_weight_decay_1": F.quick_thoughts,
    "infovae_adam_weight_decay_1": F.infovae,
    "infovae_kl_summed_over_batch": F.infovae,
    "cmc_views_unpaired": F.cmc,
    "context_encoder_target_from_composite": F.context_encoder,
    "grace_positive_index_without_offset": F.grace,
    "grace_gcn_norm_without_self_loops_isolated_nodes": F.grace,
}
