"""The forty-fifth held-out batch (half ``"fresh44"``): eight published architectures new to the corpus at their usual
settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before gradguard
was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 440_000 + seed, as is the init): Net-DNF (Katzir, Elidan and El-Yaniv 2021, narrowed: 32
DNNF blocks of 16 tanh literals from an affine layer, 8 soft conjunctions ``tanh(m . L - |m| + 1.5)`` over fixed random
masks of 3 literals, their soft disjunction ``tanh(sum c + 8 - 1.5)``, a linear layer over the blocks; the localisation
and feature-selection parts left out; PyTorch's default init; Adam lr 5e-3, set here) classifying Gaussian rows of 16
features by two DNF rules (4 classes), TimeMixer (Wang et al. 2024, narrowed, channel-independent: RevIN (eps 1e-5), the
48-step window and two average-pooled copies, ``d_model`` 16, two past-decomposable-mixing blocks (moving average 5,
seasons mixed bottom-up and trends top-down by GELU MLPs, ``d_ff`` 32), the future-multipredictor-mixing heads summed;
Adam at lr 0.01, its long-term scripts' value, halved every 50 steps as its ``type1`` schedule halves per epoch)
forecasting 16 steps of noisy two-tone series with level, scale and slope (one stuck, constant sensor in every batch),
CORE (Hou et al. 2022, CORE-trm narrowed: item embeddings of 64, a 2-layer 2-head Transformer encoder with dropout 0.2
weighting the session's own item embeddings, cosine scores over the temperature 0.07, session and item dropout 0.2; N(0,
0.02^2) init and Adam lr 1e-3 as RecBole's) predicting the next item of topic sessions (64 items in 16 topics of 4),
ConvE (Dettmers et al. 2018, narrowed: entity and relation embeddings of 32 as 4x8 images stacked, BatchNorms, input
dropout 0.2, 32 3x3 filters, feature-map dropout 0.2, a Linear, hidden dropout 0.3, 1-N scoring plus entity biases;
Xavier-normal embeddings; label smoothing 0.1; Adam at the paper's lr 0.003, batch 128; a softmax cross-entropy instead
of the paper's per-entity binary one, whose all-negative bias alone meets the learning criterion) on a knowledge graph
of 32 entities and 4 relations, each a fixed permutation, MinCutPool (Bianchi, Grattarola and Alippi 2020, narrowed: a
``GraphConvSkip`` layer of 32, MinCut pooling to 4 clusters with the paper's MinCut and orthogonality losses added to
the cross-entropy, a second ``GraphConvSkip`` on the pooled graph, the mean, a softmax layer; PyTorch's default init;
Adam lr 1e-3, set here) classifying 16-node graphs of four kinds (Erdos-Renyi, two communities, a rewired ring lattice,
two hubs) from the features ``[1, degree / 4]``, the sentence VAE (Bowman et al. 2016, narrowed: embeddings of 32, LSTM
encoder and decoder of 64, latent 16 starting the decoder, word dropout 0.25; the reference code's logistic KL annealing
narrowed to 200 steps (k 0.05, x0 100) and its Adam lr 1e-3; the loss per token) auto-encoding 12-word sentences of the
corpus' Markov language, KWT (Berg, O'Connor and Cruz 2021, narrowed: each spectrogram frame a patch projected to 64, a
class token, learned positions, 4 post-norm Transformer layers of KWT-1's width (1 head, MLP 256, no dropout); AdamW at
the paper's lr 1e-3 and weight decay 0.1, label smoothing 0.1, cosine annealing to 1e-5 without the warmup) and res15
(Tang and Lin 2018, narrowed to 12 feature maps: 13 3x3 convolutions dilated ``2 ** (i // 3)``, a residual sum every
second layer, ReLU then BatchNorm without affine parameters, average pooling; SGD at the reference code's lr 0.1,
momentum 0.9, weight decay 1e-5, batch 16), both classifying 16x20 keyword spectrograms (10 keywords: fixed smooth
templates shifted by up to 2 frames, noise 0.8; res15 reads them in decibel-like units ``10 x - 30``, unnormalised as
the reference code's MFCCs).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh42``, two kinds of fault are mixed, and each
case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every CORE embedding and Linear drawn N(0, 1)
  and every KWT Linear and attention projection drawn N(0, 1) (init), MinCutPool's ``GraphConvSkip`` biases -10 (every
  unit of both ``relu`` layers dead; activation), the sentence VAE's encoder and decoder 8 stacked LSTM layers deep (Wu
  et al. 2016 found plain stacks past 4 layers train poorly; depth), its recurrent matrices drawn N(0, 1) (the gates and
  the candidate saturated by the state, the input word lost; recurrence), TimeMixer and ConvE at Adam lr 1 (lr), Net-DNF
  and ConvE at Adam ``weight_decay=1`` (regularization), Net-DNF's classes and TimeMixer's futures permuted within every
  batch, apart from their inputs (data), and TimeMixer's RevIN standard deviation taken without its eps while every
  batch holds a stuck, constant sensor (``0 / 0``; numeric);
- **slip** (a user's mistake in configuration or set-up code, of a kind no earlier batch used): ConvE's entity table
  built ``nn.Embedding.from_pretrained(torch.zeros(n, d))`` as a placeholder for pretrained vectors that a ``pretrained:
  false`` config never loads, ``freeze`` left at its default True (the entities stay zero and frozen; init), TimeMixer's
  ``StepLR(opt, cfg["lr_decay"], cfg["lr_step"])`` with its two positional arguments swapped (``step_size`` 0.5 divides
  every step, ``gamma`` 50: the lr grows 50x a step; lr), res15's BatchNorm switch read as ``cfg.get("batch_norm",
  False)`` from a config that spells the key ``"batchnorm"`` (the default, no BatchNorm, taken silently; normalization),
  and the sentence VAE's ``posterior`` switch set to ``"variance"`` while its head is the unconstrained Linear of the
  log-variance parameterisation (``sqrt`` and ``log`` of negative outputs; numeric). None of the slips is a data,
  regularization, activation, depth or recurrence one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds.

Learning criteria: the classifiers compare with chance (Net-DNF's and MinCutPool's four classes, KWT's and res15's ten,
CORE's 64 items, ConvE's 32 entities, the sentence VAE's 64 words); TimeMixer compares with its first loss. Measured
plain runs, 200 steps (seed 0, seed 1): Net-DNF 1.458 -> 0.292 and 1.510 -> 0.294; TimeMixer 2.014 -> 0.0256 and 1.278
-> 0.0250; CORE 4.391 -> 1.869 and 4.848 -> 1.793 (the criterion 3.119); ConvE 3.906 -> 1.466 and 3.826 -> 1.463 (the
criterion 2.599); MinCutPool 1.902 -> 0.325 and 1.559 -> 0.402 (the auxiliary losses stay at their trivial value: 0.019
-> 0.0001 and 0.025 -> 0.0000 at steps 0 and 199); the sentence VAE 4.165 -> 2.182 and 4.163 -> 2.224; KWT 2.698 ->
0.508 and 2.555 -> 0.509; res15 2.306 -> 0.0530 and 2.331 -> 0.0463. Broken: ``core_init_std_1`` 8.382 -> 7.650 and
7.516 -> 7.495; ``kwt_init_std_1`` 21.86 -> 1.973 and 12.90 -> 2.203 (the criterion 1.727);
``conve_entities_zero_placeholder_frozen`` 3.466 -> 3.464 and 3.466 -> 3.463; ``mincutpool_relu_biases_minus_10`` 1.395
-> 1.379 and 1.379 -> 1.372; ``sentence_vae_8_layer_lstms`` 4.164 -> 3.974 and 4.157 -> 3.917;
``sentence_vae_recurrent_std_1`` 4.179 -> 4.201 and 4.179 -> 4.195; ``timemixer_adam_lr1`` diverges at step 1 at both
seeds (ends 2.3e29 and 9.2e27; weights x96 and x114); ``conve_adam_lr1`` 3.906 -> 3.551 (weights x105 after step 0) and
diverges at step 1 at seed 1 (ends 3.567); ``timemixer_steplr_arguments_swapped`` diverges at step 2 and is non-finite
at step 3 at both seeds; ``res15_batchnorm_config_key_misspelt`` starts at 17.59 and 11.19, diverges at step 1 and is
non-finite at steps 20 and 36; ``net_dnf_adam_weight_decay_1`` 1.458 -> 1.375 and 1.510 -> 1.381;
``conve_adam_weight_decay_1`` 3.906 -> 3.429 and 3.826 -> 3.440; ``net_dnf_labels_shuffled`` 1.457 -> 1.262 and 1.444 ->
1.268; ``timemixer_futures_shuffled`` 9.722 -> 9.752 and 7.343 -> 10.10; ``timemixer_revin_without_eps`` and
``sentence_vae_posterior_read_as_variance`` are non-finite at step 0 at both seeds (the loss itself). With two runs at
once on two cores shared with another batch's runs (load about 4), a seed took 0.0 to 16 s (the 8-layer sentence VAE the
slowest, then KWT and res15 at about 12 s); alone under the same load the 8-layer VAE took 10.1 s, KWT 7.5 s.

Dropped or changed before the freeze (the figures of dropped variants are from the code of the time; every figure above
is from the final code): ConvE first had 64 entities and 8 relations at batch 64, and the healthy ConvE did not learn
them (4.320 -> 3.423 and 4.288 -> 3.474 against 3.119); MinCutPool's MinCut loss was first shifted by 1 to be
non-negative, and the auxiliary losses then stayed at their trivial sum 1.0, so the healthy total missed the criterion
(2.902 -> 1.325 and 2.559 -> 1.402); res15 had 16 maps at batch 32 at first, and 12 maps at batch 32 took 6.8 s a seed
alone; on unit-scale features res15 without BatchNorm learned (2.407 -> 0.133 and 2.416 -> 0.202), so it reads the
decibel-like features. Candidates that learned and were dropped: KWT's ``CosineAnnealingLR(opt, *[eta_min, T_max])``
(``T_max`` 1e-5: ``cos(pi k 1e5) = 1`` at every step, so the lr never moves; 2.698 -> 0.504 and 2.555 -> 0.505), res15's
SGD lr and momentum swapped (lr 0.9, momentum 0.1; 0.021 and 0.014), every parameter cast to bfloat16 by a config's
dtype on Net-DNF, TimeMixer, CORE and ConvE (Adam's steps at lr 1e-3 and above clear bfloat16's spacing; 0.294, 0.032,
1.873, 1.637 at seed 0), KWT's ``OneCycleLR`` given the batch size as ``steps_per_epoch`` (the run stays in the first
half of a 448-step warmup; 0.539 and 0.546), Net-DNF all-zero (0.709 and 0.819), MinCutPool with 32 ``GraphConvSkip``
layers (0.482 and 0.498; the skip term keeps them trainable under Adam), CORE at Adam lr 1 (2.841 and 3.024 against
3.119, too close) and at weight decay 1 (1.905 and 1.821), ConvE without its BatchNorms (1.969 and 2.541), KWT without
its LayerNorms (0.533 and 0.531) and TimeMixer without RevIN (0.039 and 0.031). Candidates that failed and were dropped:
KWT's label smoothing read as 0.8 (``efficientnet_label_smoothing_0.9`` used the kind) and KWT's AdamW given lr and
weight decay swapped (``dpn_momentum_and_weight_decay_swapped`` and ``lnn_adam_betas_swapped`` used the kind); KWT at
AdamW lr 1 and with its keywords shuffled (both failed; left out for run time, the commons being 12 without them); the
sentence VAE 16 layers deep (4.166 -> 4.157 and 4.161 -> 4.154, but 35 s a seed; 6 layers ended 3.578 and 3.606, the
case uses 8). The commons outnumber the slips (12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh44_builders as F

P = functools.partial
HALF = "fresh44"
#: chance losses: four classes (Net-DNF's rows, MinCutPool's graphs), ten keywords (KWT, res15), 64 items (CORE) and
#: words (the sentence VAE), 32 entities (ConvE); TimeMixer has none (its first loss is the reference)
C4, C10, ITEMS, ENTITIES = math.log(4), math.log(10), math.log(64), math.log(32)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH44_HEALTHY: list[Case] = [
    _h("net_dnf_dnf_rows", HALF, "net_dnf", F.net_dnf, C4),
    _h("timemixer_forecasts", HALF, "timemixer", F.timemixer, None),
    _h("core_topic_sessions", HALF, "core", F.core, ITEMS),
    _h("conve_permutation_graph", HALF, "conve", F.conve, ENTITIES),
    _h("mincutpool_graph_classes", HALF, "mincutpool", F.mincutpool, C4),
    _h("sentence_vae_markov_sentences", HALF, "sentence_vae", F.sentence_vae, ITEMS),
    _h("kwt_keywords", HALF, "kwt", F.kwt, C10),
    _h("res15_keywords", HALF, "res15", F.res15, C10),
]

FRESH44_BROKEN: list[Case] = [
    # init
    _b("core_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.core, init_std=1.0), ITEMS),
    _b("kwt_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.kwt, init_std=1.0), C10),
    _b("conve_entities_zero_placeholder_frozen", HALF, ("init",), VANISH, STUCK,  # kind: slip
       P(F.conve, placeholder_entities=True), ENTITIES),
    # activation
    _b("mincutpool_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.mincutpool, relu_bias=-10.0), C4),
    # depth
    _b("sentence_vae_8_layer_lstms", HALF, ("depth",), VANISH, STUCK,  # kind: common
       P(F.sentence_vae, layers=8), ITEMS),
    # recurrence
    _b("sentence_vae_recurrent_std_1", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.sentence_vae, hh_std=1.0), ITEMS),
    # lr
    _b("timemixer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.timemixer, lr=1.0), None),
    _b("conve_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.conve, lr=1.0), ENTITIES),
    _b("timemixer_steplr_arguments_swapped", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.timemixer, steplr_args_swapped=True), None),
    # normalization
    _b("res15_batchnorm_config_key_misspelt", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.res15, misspelt_bn_key=True), C10),
    # regularization
    _b("net_dnf_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.net_dnf, weight_decay=1.0), C4),
    _b("conve_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.conve, weight_decay=1.0), ENTITIES),
    # data
    _b("net_dnf_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.net_dnf, shuffled=True), C4),
    _b("timemixer_futures_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.timemixer, shuffled=True), None),
    # numeric
    _b("timemixer_revin_without_eps", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.timemixer, revin_eps=0.0), None),
    _b("sentence_vae_posterior_read_as_variance", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.sentence_vae, posterior="variance"), ITEMS),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "core_init_std_1": "common", "kwt_init_std_1": "common", "conve_entities_zero_placeholder_frozen": "slip",
    "mincutpool_relu_biases_minus_10": "common", "sentence_vae_8_layer_lstms": "common",
    "sentence_vae_recurrent_std_1": "common", "timemixer_adam_lr1": "common", "conve_adam_lr1": "common",
    "timemixer_steplr_arguments_swapped": "slip", "res15_batchnorm_config_key_misspelt": "slip",
    "net_dnf_adam_weight_decay_1": "common", "conve_adam_weight_decay_1": "common",
    "net_dnf_labels_shuffled": "common", "timemixer_futures_shuffled": "common",
    "timemixer_revin_without_eps": "common", "sentence_vae_posterior_read_as_variance": "slip",
}

#: the cases (half "fresh44")
FRESH44: list[Case] = FRESH44_HEALTHY + FRESH44_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "core_init_std_1": F.core,
    "kwt_init_std_1": F.kwt,
    "conve_entities_zero_placeholder_frozen": F.conve,
    "mincutpool_relu_biases_minus_10": F.mincutpool,
    "sentence_vae_8_layer_lstms": F.sentence_vae,
    "sentence_vae_recurrent_std_1": F.sentence_vae,
    "timemixer_adam_lr1": F.timemixer,
    "conve_adam_lr1": F.conve,
    "timemixer_steplr_arguments_swapped": F.timemixer,
    "res15_batchnorm_config_key_misspelt": F.res15,
    "net_dnf_adam_weight_decay_1": F.net_dnf,
    "conve_adam_weight_decay_1": F.conve,
    "net_dnf_labels_shuffled": F.net_dnf,
    "timemixer_futures_shuffled": F.timemixer,
    "timemixer_revin_without_eps": F.timemixer,
    "sentence_vae_posterior_read_as_variance": F.sentence_vae,
}
