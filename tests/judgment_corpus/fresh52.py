"""The fifty-third held-out batch (half ``"fresh52"``): eight published architectures new to the corpus at their usual
settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before gradguard
was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, over language, recommender systems, time series, generative models and
scientific ML; the settings are the paper's or its reference code's unless said; the data are synthetic, drawn from the
seeds 520_000 + seed): fastText (Joulin et al. 2017: word and hashed-bigram embeddings of the paper's dimension 10
averaged, a linear softmax layer; the reference code's ``U(-1/dim, 1/dim)`` input embeddings and zero output matrix; SGD
at its per-example lr 0.1, times the batch of 64 since fastText steps once per example) on texts of 24 words whose class
shows only in two keywords (4 classes), the YouTube candidate-generation DNN (Covington, Adams and Sargin 2016,
narrowed: the watch history's item embeddings of 32 averaged, a ReLU tower 64-32 (the paper's is 1024-512-256), the user
vector scored against every item's output embedding by a full softmax (the paper samples it); PyTorch's default init;
Adam lr 3e-3 set here) predicting the next watch of users with a taste for one of 8 clusters of 64 items, FPMC (Rendle,
Freudenthaler and Schmidt-Thieme 2010, single-item transitions: ``<V_UI[u], V_IU[i]> + <V_IL[i], V_LI[l]>``, four tables
of 64 at Xavier-normal init; S-BPR with one sampled negative, Adam lr 1e-3, as RecBole's FPMC) on next-item events of 32
users over 64 items (a fixed transition half of the time, a user's favourite 30%), the conditional VAE (Sohn, Lee and
Yan 2015, narrowed: recognition ``q(z | x, y)``, conditional prior ``p(z | x)`` and Bernoulli generation ``p(y | x, z)``
networks of one ReLU layer of 128, a latent of 8; PyTorch's default init; the negative ELBO per pixel, Adam lr 1e-3 set
here) generating binary 8x8 images of 10 classes, SOFTS (Han et al. 2024, narrowed: the reference code's series
normalisation (``sqrt(var + 1e-5)``, undone on the forecast), the inverted embedding of 48 steps to 64, two encoder
layers of the STAR module (the core pooled stochastically over the series in training, here by the Gumbel-max trick, the
same distribution as the reference code's ``torch.multinomial``) with post-LN residuals and a GELU feed-forward of 128,
the projection to 16 steps; PyTorch's default init; MSE, Adam lr 3e-4) forecasting eight sensor series (sines of periods
8 to 16 with random levels, amplitudes and phases; the eighth sensor stuck at a constant reading), the closed-form
continuous-time network (Hasani et al. 2022, the ``ncps`` CfC cell in its default mode: a LeCun-tanh backbone of 64 over
``[x_t, h_{t-1}]``, the tanh heads ``ff1``, ``ff2`` and the time gate ``sigmoid(t_a dt + t_b)``, 32 units, a Linear
read-out of the last state; Xavier-uniform matrices as ``ncps``; Adam lr 1e-3 set here) classifying 24-hour count series
of two sources whose class is a code over the first six hours (``log1p`` and a scaler fitted on a fixed training split),
the ECG ResNet of Hannun et al. 2019 (narrowed: a kernel-15 stem of 8 channels, 8 pre-activation residual blocks (the
paper has 16) of two kernel-15 convolutions with BatchNorm, ReLU and dropout 0.2, subsampling by 2 every second block
with max-pooled shortcuts, the channels doubled after four blocks; He-normal init and Adam at lr 1e-3, betas (0.9,
0.999), as the paper) classifying single-lead records of 64 samples by their voltage (beat amplitude 1 or 2 mV and
baseline 0 or 1 mV; 4 classes), and the Deep Galerkin Method's network (Sirignano and Spiliopoulos 2018: an input layer
and three DGM layers of 50 (the gates Z, G, R and the candidate H), tanh, Xavier normal init; Adam lr 1e-3 set here: the
paper decays from 1e-4 over far more steps) solving ``-lap u = 2 pi^2 sin(pi x) sin(pi y)`` on the unit square with zero
boundary values (the residual at 96 interior points plus the boundary values at 32 edge points a step).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh51``, two kinds of fault are mixed, and each
case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every YouTube DNN weight drawn N(0, 1) (init),
  the YouTube DNN's tower biases set to -10 (every ReLU dead; activation), its tower 30 ReLU layers deep at PyTorch's
  default init (depth), the CfC backbone's columns that read ``h_{t-1}`` drawn N(0, 3^2) (the recurrent path saturates
  the LeCun tanh and the time gate; the class code is 18 or more hours before the read-out; recurrence), fastText at SGD
  lr 640 (100x its lr; the per-example 10), FPMC at Adam lr 1, the CVAE at Adam lr 1 and SOFTS at Adam lr 1 (lr),
  SOFTS's forecast left in the normalised scale, the normalisation never undone (normalization), FPMC and the YouTube
  DNN at Adam ``weight_decay=1`` (regularization), fastText's labels permuted within every batch, apart from their texts
  (data), and SOFTS's series normalisation without its eps while a sensor is stuck at a constant reading (``0 / 0``;
  numeric);
- **slip** (a user's mistake in data augmentation or preprocessing statistics, of a kind no earlier batch used): the ECG
  records z-normalised each by its own mean and standard deviation (the UCR archive's habit) where the classes differ
  only in voltage (amplitude and baseline), which the per-record statistics remove (data); fastText's token-masking
  augmentation given 0.9, a keep rate meant (mask 10%), as its masking probability: 90% of the tokens become the mask
  id, and both keywords survive in 1% of the texts, one in 18% (data, with regularization, the augmentation's strength,
  as a second cause); and the CfC's count scaler fitted on the raw counts (before the ``log1p`` step was added to the
  pipeline) and applied after it: ``(log1p(x) - 3505) / 2304`` puts every input of the coded source at about -1.52 (the
  other's at -3.26), and the class code's +-1 nat of log-rate at +-4e-4 (data). Earlier data slips (label permutations,
  axes, loader orders, units and scales, paddings, vocabularies, masks, ``fresh41``'s flip that changes the label and
  its robust scaler without fallback, ``fresh21``'s standardise-then-``log1p`` swap, ``fresh12``'s noise std for 0-255
  pixels) are not repeated: the statistics here are computed per record and at the wrong stage of the pipeline, and the
  augmentation's rate is inverted.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds (the depth case's is the YouTube DNN at its own two tower layers).

Learning criteria: the classifiers compare with chance (fastText's, the CfC's and the ECG ResNet's four classes, the
YouTube DNN's 64 items, FPMC's S-BPR pairs ln 2); the CVAE, SOFTS and DGM compare with their first loss. Measured plain
runs, 200 steps (seed 0, seed 1): fastText 1.386 -> 0.585 and 1.386 -> 0.690; the YouTube DNN 4.210 -> 2.223 and 4.385
-> 2.091 (the criterion 3.119); FPMC 0.698 -> 0.430 and 0.702 -> 0.426 (the criterion 0.520); the CVAE 0.701 -> 0.302
and 0.705 -> 0.303; SOFTS 1.052 -> 0.0124 and 1.031 -> 0.0122; the CfC 1.462 -> 0.371 and 1.414 -> 0.349; the ECG ResNet
1.432 -> 0.253 and 1.752 -> 0.305; DGM 83.08 -> 0.212 and 106.8 -> 0.200. Broken: ``youtube_dnn_init_std_1`` 135.9 ->
5.589 and 114.8 -> 5.252 (no divergence; chance 4.159); ``youtube_dnn_relu_biases_minus_10`` 4.159 -> 4.159 at both
seeds; ``youtube_dnn_30_layers_default_init`` 4.228 -> 4.158 and 4.203 -> 4.157; ``cfc_recurrent_weights_normal_std_3``
1.550 -> 1.512 and 1.488 -> 1.481; ``fasttext_sgd_lr640`` diverges at steps 4 and 5 and is non-finite at steps 19 and
20; ``fpmc_adam_lr1`` diverges at step 1 at both seeds (ends 38.53 and 41.96; weights x90 and x92); ``cvae_adam_lr1`` is
non-finite at step 1 at both seeds (weights x12 after the first step); ``softs_adam_lr1`` diverges at step 1 at both
seeds (ends 0.793 and 6.127; weights x61); ``softs_forecast_not_denormalised`` 10.19 -> 9.063 and 8.582 -> 8.771;
``fpmc_adam_weight_decay_1`` 0.698 -> 0.693 and 0.702 -> 0.694; ``youtube_dnn_adam_weight_decay_1`` 4.210 -> 4.157 and
4.385 -> 4.158; ``fasttext_labels_shuffled`` 1.386 -> 1.385 and 1.386 -> 1.384; ``ecg_resnet_records_z_normalised_each``
1.432 -> 1.129 and 1.589 -> 1.136 (the criterion 1.040: the baseline is gone, but the noise's share of a record's
variance still hints at the beats' amplitude); ``fasttext_mask_rate_set_to_keep_rate`` 1.386 -> 1.386 at both seeds;
``cfc_scaler_fitted_on_raw_counts`` 1.482 -> 1.390 and 1.416 -> 1.390; ``softs_normalised_without_eps`` is non-finite at
step 0 at both seeds (the loss itself). Every case runs at most 4.4 s a seed on one thread of a machine shared with
other work (DGM, the ECG ResNet and the CfC the slowest; several times longer when the machine was busiest).

Dropped or changed before the freeze (every figure above is from the final code): BiDAF was not tried again (``fresh31``
dropped it). The CfC first trained at Adam lr 5e-3 and did not learn (1.462 -> 1.469 and 1.414 -> 2.306); at 2e-3 and
1e-3 it does (the case uses 1e-3). The YouTube DNN at Adam lr 1e-3 learned at seed 1 only (4.210 -> 3.192 against the
criterion 3.119 at seed 0); it trains at 3e-3. The ECG ResNet first had 16 channels, 128 samples and batches of 32 (it
learned, 1.379 -> 0.071, but ran 6 s a seed, 16 to 20 s on the busy machine); it has 8 channels, 64 samples and batches
of 16. Three normalization commons learned and were dropped: the ECG ResNet without its BatchNorms (7.344 -> 0.505 and
13.18 -> 0.336 with 8 blocks, 7.646 -> 0.706 at seed 0 with the paper's 16), SOFTS without its series normalisation
(9.397 -> 1.303 and 8.832 -> 1.177) and SOFTS without its LayerNorms (0.922 -> 0.0124 and 0.892 -> 0.0121); the case is
the forecast left normalised. DGM with ReLU for tanh learned (95.53 -> 4.01 and 96.66 -> 5.04: the products in the DGM
layer's gating are piecewise quadratic, so the Laplacian is not zero as in a plain ReLU PINN; ``fresh17`` used that
one); the activation common moved to the YouTube DNN's dead tower. The ECG ResNet at Adam lr 1 diverged at step 1 but
came back and learned (1.432 -> 0.821 and 1.752 -> 0.875). A fourth slip, SOFTS with window slicing (the 48 input steps
cropped at a random offset of the 64-step lookback while the horizon stayed where it was, so the phase of the forecast
is unknown), learned by the criterion (1.085 -> 0.753 and 1.110 -> 0.752 against 0.814 and 0.833: the floor, the sines'
variance, is just below three quarters of the untrained forecast's error) and was dropped; its ``random_crop`` switch
stays in the builder, unused. So the commons outnumber the slips 13 to 3, the lr commons four (fastText, FPMC, the CVAE,
SOFTS). No init, activation, depth, recurrence, lr, normalization, regularization or numeric slip was written (the brief
asked for data-augmentation and preprocessing-statistics slips).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh52_builders as F

P = functools.partial
HALF = "fresh52"
#: chance losses: four classes (fastText's topics, the CfC's and the ECG ResNet's classes), 64 items (the YouTube
#: DNN's next watch), a coin (FPMC's S-BPR pairs); the CVAE, SOFTS and DGM have none (their first loss is the
#: reference)
C4, ITEMS, COIN = math.log(4), math.log(64), math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH52_HEALTHY: list[Case] = [
    _h("fasttext_keyword_texts", HALF, "fasttext", F.fasttext, C4),
    _h("youtube_dnn_watch_histories", HALF, "youtube_dnn", F.youtube_dnn, ITEMS),
    _h("fpmc_next_items", HALF, "fpmc", F.fpmc, COIN),
    _h("cvae_conditional_images", HALF, "cvae", F.cvae, None),
    _h("softs_sensor_forecast", HALF, "softs", F.softs, None),
    _h("cfc_count_series", HALF, "cfc", F.cfc, C4),
    _h("ecg_resnet_records", HALF, "ecg_resnet", F.ecg_resnet, C4),
    _h("dgm_poisson", HALF, "dgm", F.dgm, None),
]

FRESH52_BROKEN: list[Case] = [
    # init
    _b("youtube_dnn_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.youtube_dnn, init_std=1.0), ITEMS),
    # activation
    _b("youtube_dnn_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.youtube_dnn, relu_bias=-10.0), ITEMS),
    # depth
    _b("youtube_dnn_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.youtube_dnn, layers=30), ITEMS),
    # recurrence
    _b("cfc_recurrent_weights_normal_std_3", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.cfc, recurrent_std=3.0), C4),
    # lr
    _b("fasttext_sgd_lr640", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fasttext, lr=10.0), C4),
    _b("fpmc_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fpmc, lr=1.0), COIN),
    _b("cvae_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.cvae, lr=1.0), None),
    _b("softs_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.softs, lr=1.0), None),
    # normalization
    _b("softs_forecast_not_denormalised", HALF, ("normalization",), VANISH, STUCK,  # kind: common
       P(F.softs, denorm=False), None),
    # regularization
    _b("fpmc_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.fpmc, weight_decay=1.0), COIN),
    _b("youtube_dnn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.youtube_dnn, weight_decay=1.0), ITEMS),
    # data
    _b("fasttext_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.fasttext, shuffled=True), C4),
    _b("ecg_resnet_records_z_normalised_each", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.ecg_resnet, per_record=True), C4),
    _b("fasttext_mask_rate_set_to_keep_rate", HALF, ("data", "regularization"), VANISH, STUCK,  # kind: slip
       P(F.fasttext, mask_rate=0.9), C4),
    _b("cfc_scaler_fitted_on_raw_counts", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.cfc, scaler="raw"), C4),
    # numeric
    _b("softs_normalised_without_eps", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.softs, eps=0.0), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "youtube_dnn_init_std_1": "common", "youtube_dnn_relu_biases_minus_10": "common",
    "youtube_dnn_30_layers_default_init": "common", "cfc_recurrent_weights_normal_std_3": "common",
    "fasttext_sgd_lr640": "common", "fpmc_adam_lr1": "common", "cvae_adam_lr1": "common", "softs_adam_lr1": "common",
    "softs_forecast_not_denormalised": "common", "fpmc_adam_weight_decay_1": "common",
    "youtube_dnn_adam_weight_decay_1": "common", "fasttext_labels_shuffled": "common",
    "ecg_resnet_records_z_normalised_each": "slip", "fasttext_mask_rate_set_to_keep_rate": "slip",
    "cfc_scaler_fitted_on_raw_counts": "slip", "softs_normalised_without_eps": "common",
}

#: the cases (half "fresh52")
FRESH52: list[Case] = FRESH52_HEALTHY + FRESH52_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "youtube_dnn_init_std_1": F.youtube_dnn,
    "youtube_dnn_relu_biases_minus_10": F.youtube_dnn,
    "youtube_dnn_30_layers_default_init": F.youtube_dnn,
    "cfc_recurrent_weights_normal_std_3": F.cfc,
    "fasttext_sgd_lr640": F.fasttext,
    "fpmc_adam_lr1": F.fpmc,
    "cvae_adam_lr1": F.cvae,
    "softs_adam_lr1": F.softs,
    "softs_forecast_not_denormalised": F.softs,
    "fpmc_adam_weight_decay_1": F.fpmc,
    "youtube_dnn_adam_weight_decay_1": F.youtube_dnn,
    "fasttext_labels_shuffled": F.fasttext,
    "ecg_resnet_records_z_normalised_each": F.ecg_resnet,
    "fasttext_mask_rate_set_to_keep_rate": F.fasttext,
    "cfc_scaler_fitted_on_raw_counts": F.cfc,
    "softs_normalised_without_eps": F.softs,
}
