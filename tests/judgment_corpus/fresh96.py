"""The ninety-seventh held-out batch (half ``"fresh96"``): eight published generative, self-supervised, time-series
forecasting and scientific models new to the corpus at their usual settings, and sixteen broken variants with one real
fault each, written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is
only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 960_000 + seed): ProdLDA (Srivastava and Sutton 2017, as AVITM and Pyro's example write
it: a softplus encoder of two layers of 100 with dropout 0.2, BatchNorm'd (``affine=False``) ``mu`` and ``log sigma^2``
heads of 10 topics, the Laplace approximation of a Dirichlet(1) prior, ``theta = softmax(z)`` with dropout 0.2, the
product-of-experts decoder ``log_softmax(BN(beta theta))``, the negative ELBO per word; Adam with AVITM's betas (0.99,
0.999) at lr 1e-2, set here) on bags of 50 words over 200 from one or two of 10 fixed Zipf-like topics (batch 64); D3PM
(Austin et al. 2021, absorbing state, narrowed: the x_0-parameterised denoiser, token and position embeddings of 64 plus
the step's sinusoidal embedding through a SiLU MLP, two pre-LN encoder layers of 4 heads with GELU feed-forwards of 4x
and dropout 0.1; ``beta_t = 1 / (T - t + 1)``, T = 100, so a token is masked with probability ``t / T``; the hybrid
loss's auxiliary cross-entropy of ``p(x_0 | x_t)`` over every token alone; AdamW, weight decay 0.01, at lr 1e-3, set
here) on the corpus' Markov text with its successor followed 95% of the time (batch 16 of 32); SSSD^S4 (Alcaraz and
Strodthoff 2022, narrowed: DiffWave's residual layers, two of 32 channels, each with a bidirectional S4D-Real layer (N =
16, ``A_n = -(n + 1)``, ``log dt ~ U(log 1e-3, log 1e-1)``, the kernel by FFT) and a LayerNorm, the observed values and
mask as conditioning, gated tanh units, a zero-initialised output; the DDPM of 200 steps with ``beta`` linear from 1e-4
to 0.02, noise on the missing entries only and the noise's MSE there; Adam at the paper's lr 2e-4) imputing four-channel
series of 48 steps mixed from two latent sinusoids with half the entries missing at random (batch 16); TS-TCC (Eldele et
al. 2021, narrowed: the reference code's encoder of three ``Conv1d(k=8) -> BN -> ReLU -> MaxPool`` blocks (32, 64, 64),
its weak (scaling and jitter) and strong (segment permutation and jitter) views, temporal contrasting by a one-layer
transformer summary with a class token predicting the other view's next 3 steps (InfoNCE over the batch), contextual
contrasting by NT-Xent at tau 0.2 on a projection, ``tc_1 + tc_2 + 0.7 cc``; Adam with the reference code's betas (0.9,
0.99) and weight decay 3e-4 at lr 1e-3, set here) pre-training on unlabelled three-channel series of 64 steps (batch
32); Chronos (Ansari et al. 2024, its GPT-2 variant narrowed: mean scaling by the first 48 steps' mean absolute value,
64 uniform bins over [-4, 4], two pre-LN causal layers of 64 and 4 heads, GPT-2's N(0, 0.02^2) init; the cross-entropy
over the bins; AdamW at Chronos' lr 1e-3, weight decay 0.01, its linear decay to 0) on positive seasonal series of 64
steps at levels 10 to 1000 (batch 16); TimesFM (Das et al. 2024, narrowed: the context of 48 normalised by its first
patch's mean and std (``+ 1e-5``), input patches of 8 through a residual block to tokens of 64, two pre-LN causal layers
of 4 heads, the last token's output patch of 16 through a residual block and de-normalised; the MSE in the series'
units; Adam at lr 1e-3, set here) forecasting 16 steps of series at levels 500 to 1500 with a period of 12 (batch 32);
Dil-ResNet (Stachenfeld et al. 2022, narrowed to 1-D: an encoder conv, two blocks of seven dilated convs (1, 2, 4, 8, 4,
2, 1) of 32 with ReLU and a residual around each block, a decoder conv, circular padding; the MSE of the change over one
coarse step; Adam at lr 1e-3, set here) on viscous Burgers frames (64 points, ``nu = 0.05``, 0.1 apart; batch 16); and
the Symplectic RNN (Chen et al. 2020: a separable ``K(p) + V(q)``, tanh MLPs of 64 with two hidden layers, unrolled by
leapfrog from the first observation with autograd derivatives (``create_graph=True``); the rollout's MSE; Adam at the
paper's lr 1e-3) on pendulum trajectories of 10 observations 0.2 apart (batch 32). ProdLDA and D3PM are the generative
models (with SSSD, a diffusion imputer), TS-TCC the self-supervised one, Chronos, TimesFM and SSSD the time-series ones,
Dil-ResNet and the Symplectic RNN the scientific ones.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every D3PM Linear and Embedding drawn N(0, 1)
  (init), TS-TCC's encoder BatchNorm shifts (the betas before its ReLUs) at -10, every encoder unit dead (activation,
  with init), ProdLDA's encoder 30 softplus layers of 100 deep at PyTorch's default init (the spread of its features
  over the batch falls about threefold a layer, from 0.38 after the first to 2e-8 after the thirtieth, so every document
  gets the same posterior; depth, with init), SSSD's S4D eigenvalues initialised at ``+(n + 1)``, outside the stable
  half-plane (``|e^(dt A)| > 1``: the kernel grows as ``e^(dt (n + 1) l)`` to 5.4e30 over the 48 steps, and the
  LayerNorm after it, whose variance overflows, is NaN at step 0; recurrence, with numeric accepted), D3PM at AdamW lr
  1, TimesFM at Adam lr 1, Dil-ResNet at Adam lr 1 and the Symplectic RNN at Adam lr 1 (lr), TimesFM without its
  instance normalisation (raw levels of 500 to 1500 enter the patch embedding and the network must output them;
  normalization, with data, the scale, accepted), D3PM at AdamW ``weight_decay=50`` and the Symplectic RNN at AdamW
  ``weight_decay=50`` (regularization), TS-TCC's strong views permuted within every batch, apart from their weak views
  (each positive pair is two different series; data), and TimesFM's first-patch std without its ``eps`` on series whose
  sensor is stuck for the first 8 steps (``0 / 0`` at step 0; numeric, with data);
- **slip** (a user's mistake in a scaling constant of the objective, of a kind no earlier batch used): ProdLDA's KL
  weighted ``1e3`` where the user meant ``1e-3`` (the small KL weight of text-VAE practice, an exponent's sign lost):
  the BatchNorm'd heads keep the posterior means at unit spread over the batch, so the KL cannot fall much below 7 nats
  a document (the loss ends at 142 a word), and weighted 1000 times it dwarfs the reconstruction, whose gradient the
  encoder never follows (regularization: the KL regulariser overweighted by six orders of magnitude; its control is
  ProdLDA at the intended ``1e-3``); D3PM's masking probability written ``100 t / T``, the corruption rate in percent
  (every ``t >= 1`` gives a rate of at least 1, so every token of every sequence is masked at every step: the denoiser
  sees only masks and can learn no more than the tokens' uniform marginal; data: the inputs carry nothing of the
  targets); and TimesFM's output de-standardised twice, ``(out * sd + mu) * sd + mu`` (a de-normalisation in the model's
  forward kept when the training loop added its own: the forecast is off by ``mu * sd``, about 10^4 units, and the
  network would have to output about ``-mu / sd``, tens of normalised units, which Adam at 1e-3 does not reach in 200
  steps; normalization, the instance normalisation's inverse, with data, the output's units). Earlier objective-scaling
  slips (a contrastive temperature multiplied, a KL summed over the batch or its annealing arguments swapped, label
  smoothing or a dropout rate in percent, targets standardised times the std, a de-normalisation without the mean, noise
  levels from zero) are not repeated: here a weight's exponent, a corruption rate's unit and a de-normalisation applied
  twice. None of the slips is an init, activation, depth, recurrence, lr or numeric one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds except the numeric case's (TimesFM on the same stuck-sensor series with its ``eps``: 986.1
-> 268.7 and 965.8 -> 300.9) and the KL slip's (ProdLDA at KL weight 1e-3: 5.782 -> 3.741 and 5.777 -> 3.726).

Learning criteria: ProdLDA compares with ``ln 200`` (the criterion 3.974), D3PM and Chronos with ``ln 64`` (3.119),
TimesFM with the MSE of the context-mean forecast (601 and 623 at seeds 0 and 1, taken as 600: the criterion 450; its
first losses, about 1,000, would let a model that stays thousands of units off pass); SSSD, TS-TCC, Dil-ResNet and the
Symplectic RNN compare with their first loss. Measured plain runs, 200 steps (seed 0, seed 1; first -> mean of the last
tenth): ProdLDA 5.963 -> 3.861 and 5.957 -> 3.858; D3PM 4.270 -> 1.772 and 4.360 -> 1.668; SSSD 1.013 -> 0.520 and 1.005
-> 0.495; TS-TCC 11.49 -> 7.975 and 11.48 -> 7.497; Chronos 4.097 -> 1.311 and 4.090 -> 1.327; TimesFM 972.3 -> 32.13
and 1018 -> 30.23; Dil-ResNet 1.782 -> 0.0291 and 0.5128 -> 0.0422 (a loss spike past twice the first at step 21 at seed
1, recovered); the Symplectic RNN 1.770 -> 0.0060 and 1.728 -> 0.0057. Broken: ``d3pm_init_std_1`` 20.55 -> 5.445 and
23.68 -> 5.648 (no divergence); ``ts_tcc_batchnorm_shifts_minus_10`` 10.15 -> 9.843 and 10.38 -> 9.841;
``prodlda_30_encoder_layers_default_init`` 5.919 -> 4.726 and 5.938 -> 4.728; ``sssd_s4d_eigenvalues_positive``
non-finite at step 0 at both seeds (the loss itself); ``d3pm_adamw_lr1`` diverges at step 1 at both seeds (ends 75.88
and 86.48; weights x10 at step 2); ``timesfm_adam_lr1`` diverges at step 1 at both seeds (ends 3.9e4 and 6.5e4; weights
x64 and x69 at step 0); ``dil_resnet_adam_lr1`` diverges at step 1 at both seeds (ends 9.5e29 and 5.6e33; weights x200
and x149); ``symplectic_rnn_adam_lr1`` diverges at step 1 at both seeds (ends 8.3e5 and 4.7e6; weights x85 and x99 at
step 1); ``timesfm_without_instance_normalisation`` 9.961e5 -> 6.409e5 and 1.081e6 -> 6.465e5;
``d3pm_adamw_weight_decay_50`` 4.270 -> 4.157 and 4.360 -> 4.157; ``symplectic_rnn_adamw_weight_decay_50`` 1.770 ->
1.745 and 1.728 -> 1.727; ``ts_tcc_views_from_different_series`` 11.91 -> 9.841 and 11.47 -> 9.843;
``timesfm_first_patch_std_without_eps`` non-finite at step 0 at both seeds;
``prodlda_kl_weight_1e3_typed_for_1e_minus_3`` 187.4 -> 142.3 and 186.5 -> 142.7; ``d3pm_mask_rate_in_percent`` 4.329 ->
4.145 and 4.356 -> 4.148; ``timesfm_output_destandardised_twice`` 3.254e8 -> 5.599e7 and 3.548e8 -> 5.229e7.

Dropped or changed before the freeze (every figure above is from the final code): ProdLDA at AVITM's lr 2e-3 with Pyro's
decoder BatchNorm (``affine=False``) did not learn (5.963 -> 4.724 at seed 0; 4.504 and 4.436 at lr 5e-3 and 1e-2), nor
at lr 2e-3 with the BatchNorm's affine parameters learned (4.343): it uses both, the affine decoder BatchNorm (AVITM
learns its shift) and lr 1e-2. D3PM's cross-entropy was first over the masked tokens only: on the Markov text at its
usual 80% 4.343 -> 3.84 (lr 1e-3) and 3.813 (lr 3e-3), at 95% 3.542, none below 3.119; the loss is now over every token
and the text 95% Markov. TS-TCC at the reference code's lr 3e-4 did not learn (11.49 -> 9.62); it uses 1e-3.
Dil-ResNet's Burgers solver first took the advection by a central difference, which blew up within a pool of frames (NaN
at step 1); it is upwind now. Chronos at AdamW lr 1 diverged at step 1 but ended learned (2.098 and 2.096 against 3.119)
and was replaced by the Symplectic RNN at Adam lr 1. Dil-ResNet at AdamW ``weight_decay=50`` (1.782 -> 0.3609 at seed 0)
and at Adam ``weight_decay=10`` (0.3391) learned against its first loss, and was replaced by D3PM's decay. Two slips
were written and dropped: SSSD's schedule in percent, ``beta`` linear from 0.01 to 2 (the brief's "betas up to 2"),
learned (1.013 -> 0.4452 and 1.005 -> 0.3608): by the time ``1 - beta`` turns negative, the product ``alpha_bar`` has
underflowed to 0, so no square root of a negative number is ever taken and the noising just saturates early (the
``beta_start``, ``beta_end`` switches stay, unused); and TS-TCC's contextual temperature typed 1e-3 learned against its
first loss (236.2 -> 11.54; the ``tau`` switch stays, unused). TimesFM without its normalisation and with the double
de-normalisation first counted as learned against their first losses (9.961e5 -> 6.409e5, 3.254e8 -> 5.599e7), which is
why TimesFM compares with the context-mean forecast. Cases run in 1 to 14 s a seed on a machine shared with three other
helpers' runs (Chronos the slowest).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh96_builders as F

P = functools.partial
HALF = "fresh96"
#: chance losses: the Markov text's and Chronos' 64 tokens and bins, ProdLDA's 200 words; TimesFM compares with the
#: context-mean forecast's MSE (601 and 623 at seeds 0 and 1), rounded down
LM, WORDS, NAIVE = math.log(64), math.log(200), 600.0
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH96_HEALTHY: list[Case] = [
    _h("prodlda_topic_documents", HALF, "prodlda", F.prodlda, WORDS),
    _h("d3pm_absorbing_text", HALF, "d3pm", F.d3pm, LM),
    _h("sssd_s4_imputation", HALF, "sssd", F.sssd, None),
    _h("ts_tcc_pretraining", HALF, "ts_tcc", F.ts_tcc, None),
    _h("chronos_gpt_series_tokens", HALF, "chronos", F.chronos, LM),
    _h("timesfm_level_forecasts", HALF, "timesfm", F.timesfm, NAIVE),
    _h("dil_resnet_burgers", HALF, "dil_resnet", F.dil_resnet, None),
    _h("symplectic_rnn_pendulum", HALF, "symplectic_rnn", F.symplectic_rnn, None),
]

FRESH96_BROKEN: list[Case] = [
    # init
    _b("d3pm_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.d3pm, init_std=1.0), LM),
    # activation
    _b("ts_tcc_batchnorm_shifts_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.ts_tcc, bn_shift=-10.0), None),
    # depth
    _b("prodlda_30_encoder_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.prodlda, layers=30), WORDS),
    # recurrence
    _b("sssd_s4d_eigenvalues_positive", HALF, ("recurrence", "numeric"), EXPLODE, DIVERGE,  # kind: common
       P(F.sssd, unstable=True), None),
    # lr
    _b("d3pm_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.d3pm, lr=1.0), LM),
    _b("timesfm_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.timesfm, lr=1.0), NAIVE),
    _b("dil_resnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.dil_resnet, lr=1.0), None),
    _b("symplectic_rnn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.symplectic_rnn, lr=1.0), None),
    # normalization
    _b("timesfm_without_instance_normalisation", HALF, ("normalization", "data"), BOTH, STUCK,  # kind: common
       P(F.timesfm, norm=False), NAIVE),
    # regularization
    _b("d3pm_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.d3pm, weight_decay=50.0), LM),
    _b("symplectic_rnn_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.symplectic_rnn, adamw=True, weight_decay=50.0), None),
    # data
    _b("ts_tcc_views_from_different_series", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.ts_tcc, shuffled=True), None),
    # numeric
    _b("timesfm_first_patch_std_without_eps", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.timesfm, eps=0.0, flat_start=True), NAIVE),
    # slips
    _b("prodlda_kl_weight_1e3_typed_for_1e_minus_3", HALF, ("regularization",), BOTH, STUCK,  # kind: slip
       P(F.prodlda, kl_weight=1e3), WORDS),
    _b("d3pm_mask_rate_in_percent", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.d3pm, percent=True), LM),
    _b("timesfm_output_destandardised_twice", HALF, ("normalization", "data"), BOTH, STUCK,  # kind: slip
       P(F.timesfm, denorm_twice=True), NAIVE),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "d3pm_init_std_1": "common", "ts_tcc_batchnorm_shifts_minus_10": "common",
    "prodlda_30_encoder_layers_default_init": "common", "sssd_s4d_eigenvalues_positive": "common",
    "d3pm_adamw_lr1": "common", "timesfm_adam_lr1": "common", "dil_resnet_adam_lr1": "common",
    "symplectic_rnn_adam_lr1": "common", "timesfm_without_instance_normalisation": "common",
    "d3pm_adamw_weight_decay_50": "common", "symplectic_rnn_adamw_weight_decay_50": "common",
    "ts_tcc_views_from_different_series": "common", "timesfm_first_patch_std_without_eps": "common",
    "prodlda_kl_weight_1e3_typed_for_1e_minus_3": "slip", "d3pm_mask_rate_in_percent": "slip",
    "timesfm_output_destandardised_twice": "slip",
}

#: the cases (half "fresh96")
FRESH96: list[Case] = FRESH96_HEALTHY + FRESH96_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "d3pm_init_std_1": F.d3pm,
    "ts_tcc_batchnorm_shifts_minus_10": F.ts_tcc,
    "prodlda_30_encoder_layers_default_init": F.prodlda,
    "sssd_s4d_eigenvalues_positive": F.sssd,
    "d3pm_adamw_lr1": F.d3pm,
    "timesfm_adam_lr1": F.timesfm,
    "dil_resnet_adam_lr1": F.dil_resnet,
    "symplectic_rnn_adam_lr1": F.symplectic_rnn,
    "timesfm_without_instance_normalisation": F.timesfm,
    "d3pm_adamw_weight_decay_50": F.d3pm,
    "symplectic_rnn_adamw_weight_decay_50": F.symplectic_rnn,
    "ts_tcc_views_from_different_series": F.ts_tcc,
    "timesfm_first_patch_std_without_eps": P(F.timesfm, flat_start=True),
    "prodlda_kl_weight_1e3_typed_for_1e_minus_3": P(F.prodlda, kl_weight=1e-3),
    "d3pm_mask_rate_in_percent": F.d3pm,
    "timesfm_output_destandardised_twice": F.timesfm,
}
