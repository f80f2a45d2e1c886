"""The thirtieth held-out batch (half ``"fresh29"``): thirteen published architectures new to the corpus at their
usual settings, and nineteen broken variants with one real fault each, written and labelled with plain PyTorch
before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are the corpus' synthetic kinds drawn from the seeds 290_000 + seed): a Recurrent Highway Network LM (Zilly et al.
2017: three highway micro-layers per step, coupled carry gates, transform biases -2, U(-0.04, 0.04) weights, 128
units; SGD with the gradient norm clipped at 10 on the reference code's loss summed over time, at lr 1, the reference
code's 0.2 not having learned in 200 steps: 133.1 -> 133.1 at seed 0) on the Markov language, NARM (Li et al. 2017:
item embeddings of 50, a GRU of 100, global and local attention encoders, the bilinear decoder, dropouts 0.25 and
0.5; Adam lr 1e-3) on Markov sessions of 10 items, Mult-VAE (Liang et al. 2018: [200 -> 64 -> 32 -> 64 -> 200] tanh,
input dropout 0.5, the multinomial likelihood, KL annealing to 0.2 over 200,000 updates; Adam lr 1e-3) on click
histories of 8 tastes, the VGAE (Kipf & Welling 2016: GCN 32-16, inner-product decoder, the reference code's
weighted reconstruction loss; Adam lr 0.01) on stochastic-block-model graphs, STGCN (Yu et al. 2018: two ST-Conv
blocks of gated temporal convs and order-3 Chebyshev graph convs, 16-8-16 channels; RMSprop lr 1e-3) forecasting
sensor readings on a ring-with-chords graph, MeshGraphNets (Pfaff et al. 2021: encode-process-decode, latent 32, four
residual message-passing steps with LayerNorm; Adam lr 1e-4) learning one step of heat diffusion on a 6x6 mesh, a
CBAM ResNet (Woo et al. 2018: three basic blocks of 16, 32, 64 channels with channel and spatial attention; SGD
momentum 0.9 weight decay 1e-4 at lr 0.1 per 256 images, 0.0125) and FractalNet (Larsson et al. 2017: two 3-column
fractal blocks of 16 and 32 channels, local drop-path 0.15, global drop-path on half the batches; SGD momentum 0.9 lr
0.02) on class-template images, UNet++ (Zhou et al. 2018: three levels of 8, 16, 32 channels, nested skips; Adam lr
3e-4) on square-and-disk scenes, a DiT (Peebles & Xie 2023: 3x8x8 images in patches of 2, width 64, two blocks,
adaLN-Zero, class-conditional with a null class; AdamW lr 1e-4 no weight decay) predicting DDPM noise, InceptionTime
(Ismail Fawaz et al. 2020: six inception modules of 4 x 16 filters, kernels 39/19/9, residuals every three; Adam lr
1e-3; batch 32 where the paper has 64) on series of four pattern classes, PANNs' CNN6 (Kong et al. 2020: a log-mel
front end with ``power_to_db``'s floor 1e-10, bn0 over the mel bins, three 5x5 conv blocks; Adam lr 1e-3) tagging
8 kHz clips with four tags, and an MLP on PLR periodic embeddings (Gorishniy et al. 2022: 16 trainable frequencies of
scale 1 per feature, two ReLU layers of 128, dropout 0.1; AdamW lr 1e-3 weight decay 1e-5) on a periodic tabular
task.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh28``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every NARM weight drawn N(0, 3^2) (init),
  the PLR MLP's hidden biases at -10 (every ReLU dead; activation), InceptionTime's classifier made a stack of 48
  plain tanh layers at PyTorch's default init (depth), the RHN's recurrent weights ``R_H, R_T`` drawn N(0, 1)
  (saturated highway layers; recurrence), STGCN at RMSprop lr 1, the VGAE at Adam lr 10 and the DiT at AdamW lr 1
  (lr), FractalNet without its BatchNorms at SGD lr 0.1 (normalization; see below: at its own 0.02 it learned),
  Mult-VAE and UNet++ at Adam ``weight_decay=10`` (regularization), NARM's next items permuted against the sessions
  and the PLR's features left in raw units (x 1000, the standardisation skipped; data), PANNs' log-mel taken without
  its floor on zero-padded clips (``log10(0)``) and the VGAE's std head through a ReLU whose log enters the KL
  (numeric);
- **slip** (a user's mistake of a kind no earlier batch used): the CBAM ResNet's 5-epoch linear warm-up computed as
  ``5 * len(train_set)`` steps (images, 6,400) where ``5 * len(loader)`` (batches, 200) was meant, so the lr is still
  at 3% of its base at step 200 (a count of samples for a count of batches; lr), MeshGraphNet's exponential decay from
  1e-4 to 1e-6 written ``ExponentialLR(opt, gamma=1e-6 / 1e-4)``, the whole run's ratio given as the per-step factor
  (the lr falls 100-fold every step; lr), Mult-VAE's annealer built ``KLAnneal(total_anneal_steps, anneal_cap)``
  against its ``(cap, total)`` signature, so ``beta = min(200000, updates / 0.2)`` grows by 5 every update and the
  posterior collapses (two arguments' order; regularization), the DiT's target noise drawn by a second
  ``torch.randn_like`` call, independent of the noise in ``x_t`` (data), and PANNs' front end run in float16, where
  ``power_to_db``'s floor 1e-10 is below half's smallest subnormal and rounds to 0 (numeric). The commons outnumber
  the slips (14 to 5): the slips planned beside them that learned anyway are listed below.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (FractalNet's: with its BatchNorms at its own lr 0.02).

Learning criteria: the classifiers compare with chance (ten, four, three and two classes, NARM with the 64 items, the
RHN with 32 ln 64 on its summed loss); Mult-VAE, the VGAE, STGCN, MeshGraphNet and the DiT compare with their first
loss. Measured plain runs, 200 steps (seed 0, seed 1): the RHN 133.1 -> 44.8 and 133.1 -> 43.8; NARM 5.92 -> 1.61 and
5.79 -> 1.61; Mult-VAE 74.5 -> 48.9 and 74.6 -> 48.7; the VGAE 1.66 -> 0.800 and 1.79 -> 0.807; STGCN 0.810 ->
0.0259 and 0.381 -> 0.0187; MeshGraphNet 1.29 -> 0.124 and 0.753 -> 0.0749; the CBAM ResNet 2.29 -> 0.0219 and 2.24
-> 0.0239; FractalNet 2.51 -> 0.0724 and 2.49 -> 0.0459; UNet++ 1.195 -> 0.658 and 1.148 -> 0.584 (the criterion
0.824); the DiT 0.985 -> 0.365 and 1.008 -> 0.344; InceptionTime 1.91 -> 0.0050 and 1.46 -> 0.0041; PANNs 0.657 ->
0.120 and 0.662 -> 0.103; the MLP-PLR 0.688 -> 0.211 and 0.694 -> 0.214. Broken: ``narm_weights_init_std_3``
2.9e5 -> 1.6e5 and 1.6e5 -> 1.1e5 (weights x1.00); ``mlp_plr_hidden_bias_minus_10`` 0.690 -> 0.689 and 0.694 ->
0.690; ``inception_time_head_48_tanh_layers`` 1.404 -> 1.384 and 1.376 -> 1.384; ``rhn_recurrent_weights_std_1``
134.3 -> 133.9 and 133.9 -> 133.8; ``stgcn_rmsprop_lr1`` diverges at step 1 at both seeds (weights x46 and x45;
ends 3336 and 3152); ``vgae_adam_lr10`` non-finite at step 1 and diverges at step 1 (weights x49); ``dit_adamw_lr1``
diverges at step 1 at both seeds (weights x136 and x92; ends 3.8e7 and 1.5e8); ``cbam_warmup_length_in_images`` 2.29
-> 2.31 and 2.24 -> 2.27; ``meshgraphnet_decay_ratio_as_per_step_gamma`` 1.29 -> 1.18 and 0.753 -> 0.788;
``fractalnet_without_batchnorm_sgd_lr0.1`` diverges at steps 69 and 49 (weights x4.5 and x4.7; ends 1.78 and 1.32);
``mult_vae_adam_weight_decay_10`` 74.5 -> 73.5 and 74.6 -> 73.4; ``unet_plus_plus_adam_weight_decay_10`` 1.195 ->
0.963 and 1.148 -> 0.908 (the criterion 0.824 and 0.824); ``mult_vae_kl_anneal_arguments_swapped`` 74.5 -> 68.7 and
74.6 -> 68.4 (the criterion 55.9); ``narm_next_items_shuffled`` 5.75 -> 4.09 and 5.70 -> 4.05 (the criterion 3.12);
``mlp_plr_features_in_raw_units`` 0.690 -> 0.689 and 0.693 -> 0.689; ``dit_target_noise_drawn_twice`` 0.985 -> 0.995
and 1.014 -> 1.001; ``panns_log_mel_without_floor``, ``panns_log_mel_floor_in_half_precision`` and
``vgae_log_of_relu_std`` are non-finite at step 0 at both seeds (the loss itself; the VGAE's is +inf at step 0 only,
its later losses finite).

Dropped before the freeze (seed 0 unless said): the decomposable attention model (Parikh et al. 2016) as a healthy
model on the corpus' antonym NLI task: at the paper's Adagrad lr 0.05 it did not learn (1.113 -> 1.089, the criterion
0.824), nor at Adagrad 0.2 (1.085) or Adam 1e-3 and 3e-3 (1.057, 1.052); it was replaced by NARM, and its planned slip
(the pair collated from the premise column twice) was not kept. The RHN's recurrent weights at std 3 are non-finite
at step 0 (the gradient overflows through the 96 unrolled layers), moved to std 1. Normalization at each model's own
settings learned: the CBAM ResNet without BatchNorm (2.35 -> 0.155; and at lr 0.1, 0.028), FractalNet without
BatchNorm at its lr 0.02 (2.30 -> 1.32 and 2.32 -> 1.39, the criterion 1.73 and 1.74), InceptionTime without
BatchNorm (1.43 -> 0.050), PANNs without BatchNorm (0.744 -> 0.137), MeshGraphNet without LayerNorm (0.728 -> 0.369
and 0.637 -> 0.331), STGCN without LayerNorm (0.364 -> 0.021 and 0.340 -> 0.020), UNet++ without BatchNorm (1.02 ->
0.264 and 0.97 -> 0.218) and the DiT without its LayerNorms (0.985 -> 0.242); so the normalization case is
FractalNet without BatchNorm at SGD lr 0.1 (labelled normalization, then lr). InceptionTime's labels permuted against
the series learned at seed 1 (1.47 -> 0.774, the criterion 1.04: the 32 cycled batches memorised), replaced by the
DiT at AdamW lr 1. Slips that learned: STGCN's scaled Laplacian with ``eigvalsh(L)[0]`` (the smallest eigenvalue,
~0) where ``[-1]`` belongs (0.723 -> 0.121, the criterion 0.54: LayerNorm absorbs the huge scale), the PLR
frequencies' scale 100 taken from another data set's tuned config (0.690 -> 0.504, the criterion 0.52) and
InceptionTime's series cut to their first 24 steps by a loader's ``max_len`` left at another data set's value (1.85
-> 0.574).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh29_builders as F

P = functools.partial
HALF = "fresh29"
#: chance losses: ten, four, three and two classes, the 64-item vocabulary, and the RHN's 64-token language on the
#: reference code's loss summed over its 32 steps; Mult-VAE, the VGAE, STGCN, MeshGraphNet and the DiT have none
#: (their first loss is the reference)
C10, C4, C3, C2, LM = math.log(10), math.log(4), math.log(3), math.log(2), math.log(64)
LM32 = 32 * LM
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH29_HEALTHY: list[Case] = [
    _h("rhn_lm", HALF, "recurrent_highway", F.rhn, LM32),
    _h("narm_sessions", HALF, "narm", F.narm, LM),
    _h("mult_vae_clicks", HALF, "mult_vae", F.mult_vae, None),
    _h("vgae_graphs", HALF, "vgae", F.vgae, None),
    _h("stgcn_sensors", HALF, "stgcn", F.stgcn, None),
    _h("meshgraphnet_heat", HALF, "meshgraphnet", F.meshgraphnet, None),
    _h("cbam_resnet_classifier", HALF, "cbam", F.cbam, C10),
    _h("fractalnet_classifier", HALF, "fractalnet", F.fractalnet, C10),
    _h("unet_plus_plus_scenes", HALF, "unet_plus_plus", F.unetpp, C3),
    _h("dit_noise_prediction", HALF, "dit", F.dit, None),
    _h("inception_time_series", HALF, "inception_time", F.inception_time, C4),
    _h("panns_cnn6_tagging", HALF, "panns", F.panns, C2),
    _h("mlp_plr_tabular", HALF, "mlp_plr", F.mlp_plr, C2),
]

FRESH29_BROKEN: list[Case] = [
    # init
    _b("narm_weights_init_std_3", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.narm, init_std=3.0), LM),
    # activation
    _b("mlp_plr_hidden_bias_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.mlp_plr, hidden_bias=-10.0), C2),
    # depth
    _b("inception_time_head_48_tanh_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.inception_time, fc_depth=48), C4),
    # recurrence
    _b("rhn_recurrent_weights_std_1", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.rhn, rec_std=1.0), LM32),
    # lr
    _b("stgcn_rmsprop_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.stgcn, lr=1.0), None),
    _b("vgae_adam_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.vgae, lr=10.0), None),
    _b("dit_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.dit, lr=1.0), None),
    _b("cbam_warmup_length_in_images", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.cbam, warmup_in_images=True), C10),
    _b("meshgraphnet_decay_ratio_as_per_step_gamma", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.meshgraphnet, decay_ratio_per_step=True), None),
    # normalization
    _b("fractalnet_without_batchnorm_sgd_lr0.1", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.fractalnet, bn=False, lr=0.1), C10),
    # regularization
    _b("mult_vae_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.mult_vae, weight_decay=10.0), None),
    _b("unet_plus_plus_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.unetpp, weight_decay=10.0), C3),
    _b("mult_vae_kl_anneal_arguments_swapped", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.mult_vae, anneal_swapped=True), None),
    # data
    _b("narm_next_items_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.narm, shuffle_targets=True), LM),
    _b("mlp_plr_features_in_raw_units", HALF, ("data",), BOTH, STUCK,  # kind: common
       P(F.mlp_plr, scale=1000.0), C2),
    _b("dit_target_noise_drawn_twice", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.dit, noise_twice=True), None),
    # numeric
    _b("panns_log_mel_without_floor", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.panns, no_floor=True), C2),
    _b("vgae_log_of_relu_std", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.vgae, relu_sigma=True), None),
    _b("panns_log_mel_floor_in_half_precision", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.panns, half_logmel=True), C2),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "narm_weights_init_std_3": "common", "mlp_plr_hidden_bias_minus_10": "common",
    "inception_time_head_48_tanh_layers": "common", "rhn_recurrent_weights_std_1": "common",
    "stgcn_rmsprop_lr1": "common", "vgae_adam_lr10": "common", "cbam_warmup_length_in_images": "slip",
    "meshgraphnet_decay_ratio_as_per_step_gamma": "slip", "fractalnet_without_batchnorm_sgd_lr0.1": "common",
    "mult_vae_adam_weight_decay_10": "common", "unet_plus_plus_adam_weight_decay_10": "common",
    "mult_vae_kl_anneal_arguments_swapped": "slip", "dit_adamw_lr1": "common",
    "narm_next_items_shuffled": "common", "mlp_plr_features_in_raw_units": "common",
    "dit_target_noise_drawn_twice": "slip", "panns_log_mel_without_floor": "common",
    "vgae_log_of_relu_std": "common", "panns_log_mel_floor_in_half_precision": "slip",
}

#: the cases (half "fresh29")
FRESH29: list[Case] = FRESH29_HEALTHY + FRESH29_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "narm_weights_init_std_3": F.narm,
    "mlp_plr_hidden_bias_minus_10": F.mlp_plr,
    "inception_time_head_48_tanh_layers": F.inception_time,
    "rhn_recurrent_weights_std_1": F.rhn,
    "stgcn_rmsprop_lr1": F.stgcn,
    "vgae_adam_lr10": F.vgae,
    "cbam_warmup_length_in_images": F.cbam,
    "meshgraphnet_decay_ratio_as_per_step_gamma": F.meshgraphnet,
    "fractalnet_without_batchnorm_sgd_lr0.1": F.fractalnet,
    "mult_vae_adam_weight_decay_10": F.mult_vae,
    "unet_plus_plus_adam_weight_decay_10": F.unetpp,
    "mult_vae_kl_anneal_arguments_swapped": F.mult_vae,
    "dit_adamw_lr1": F.dit,
    "narm_next_items_shuffled": F.narm,
    "mlp_plr_features_in_raw_units": F.mlp_plr,
    "dit_target_noise_drawn_twice": F.dit,
    "panns_log_mel_without_floor": F.panns,
    "vgae_log_of_relu_std": F.vgae,
    "panns_log_mel_floor_in_half_precision": F.panns,
}
