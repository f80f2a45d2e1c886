"""The fifty-fifth held-out batch (half ``"fresh54"``): eight published architectures new to the corpus at their usual
settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before gradguard
was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, over time series, spatio-temporal graphs, graphs, audio and speech, scientific
ML and robotics regression; the settings are the paper's or its reference code's unless said; the data and the init are
drawn from the seeds 540_000 + seed): OS-CNN (Tang et al. 2022, narrowed: the Omni-Scale block of three layers, the
first two with a convolution for every prime kernel size up to 7 (and 1, 2; 4 channels each), the last with the sizes 1
and 2 (16 channels each), each layer concatenated, BatchNorm and ReLU, global average pooling and a Linear classifier;
PyTorch's default init; Adam at the paper's lr 1e-3 and batch 16, its plateau schedule left out) classifying univariate
series of 64 steps by the class's shapelet hidden at a random place in noise (4 classes), Graph WaveNet (Wu et al. 2019,
narrowed: a 1x1 start convolution to 8 channels, two blocks of two gated dilated TCN layers (kernel 2, dilations 1 and
2) each followed by the diffusion convolution of order 2 over the forward and backward transition matrices and the
self-adaptive adjacency ``softmax(relu(E1 E2))`` (node embeddings of 10 drawn N(0, 1)), dropout 0.3, residual and
BatchNorm, skip connections of 16, two end convolutions; PyTorch's default init; the reference code's StandardScaler
around the model, MAE in the readings' units, Adam lr 1e-3 with weight decay 1e-4 and gradients clipped to norm 5, as
the reference code) forecasting 12 steps of 10 sensors' speeds on a directed ring road with three chords from their last
12, GRAND (Chamberlain et al. 2021, GRAND-l narrowed: input dropout 0.5, a Linear encoder to 32, the linear diffusion
``dx/dt = sigmoid(a) (A(x_0) - I) x`` with the scaled dot-product attention over the edges and self-loops computed once
from ``x_0``, integrated to ``t = 4`` by Euler steps of 0.5, ReLU, dropout 0.05, a Linear decoder; PyTorch's default
init; Adam lr 0.01 with weight decay 5e-4, values of the kind its search gives) classifying the nodes of a 200-node
stochastic block model with weak features (the loss over the training half), MatchboxNet (Majumdar and Ginsburg 2020,
narrowed 3x1x32: time-channel separable convolutions with BatchNorm, the prologue's kernel 11, three residual blocks of
kernels 5, 7, 9, the epilogue's dilated kernel 7, a 1x1 convolution, the 1x1 classifier and global average pooling;
PyTorch's default init; SGD with Nesterov momentum 0.9 at the paper's lr 0.05 and weight decay 1e-3, since
``torch.optim`` has no NovoGrad, its warm-up-hold-decay schedule left out) spotting four two-tone keywords (the same
tones in either order tell two words apart) in 8 kHz clips zero-padded to 2,048 samples, from log-mel features ``log(mel
+ 1e-6)``, DPRNN (Luo, Chen and Yoshioka 2020, narrowed: a learned encoder of 32 filters of length 8, global layer norm
and a bottleneck to 16, chunks of 16 frames with hop 8, two dual-path blocks of BiLSTMs of 16 with global layer norms
and residuals, PReLU, a sigmoid mask per source, overlap-add and a transposed-convolution decoder; PyTorch's default
init; Adam at the paper's lr 1e-3, gradients clipped to norm 5 as the paper, MSE in place of its SI-SNR with permutation
search, the sources coming in a fixed order) separating a harmonic tone from a burst of white noise in mixtures of 256
samples, MscaleDNN (Liu, Cai and Xu 2020, narrowed: the first hidden layer's 128 units in eight parts whose
pre-activations are scaled by 1, 2, ..., 128, three hidden layers of 64, the compactly supported ``sReLU(x) = ReLU(x)
ReLU(1 - x)`` throughout; PyTorch's default init; Adam lr 1e-3 set here) fitting ``sin(2 pi x) + 0.5 sin(12 pi x) + 0.25
sin(40 pi x)`` on [-1, 1], the Neural Lander's residual-force network (Shi et al. 2019, narrowed: four Linear layers,
hidden 25, ReLU, every weight spectrally normalised and scaled by ``4 ** (1 / 4)`` so that the network is 4-Lipschitz;
PyTorch's default init; Adam lr 1e-3 set here) learning a quadrotor's unmodelled ground-effect and drag forces
(standardised) from its height, velocity and rotor speeds, and BC-RNN (Mandlekar et al. 2021, robomimic's, narrowed: a
two-layer LSTM of 64 (the paper's 400) over the observations, a Linear action decoder with ``tanh``; PyTorch's default
init; Adam lr 1e-3 set here, robomimic's 1e-4 running far more steps) imitating a point-mass reaching expert whose goal
is observed only at the first of 16 steps (the velocity is never observed).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh52``, two kinds of fault are mixed, and each
case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Graph WaveNet convolution drawn N(0, 1)
  (init), the Neural Lander's hidden biases set to -10 (every ReLU dead; activation), MscaleDNN 30 hidden sReLU layers
  deep at PyTorch's default init (depth), BC-RNN's recurrent matrices ``weight_hh`` drawn N(0, 3^2) (every gate
  saturated; the goal must be carried 15 steps; recurrence), Graph WaveNet, GRAND and MscaleDNN at Adam lr 1 (lr),
  OS-CNN without its BatchNorms at its Adam lr 1e-3 (normalization), GRAND and DPRNN at Adam ``weight_decay=1``
  (regularization), OS-CNN's labels permuted within every batch, apart from their series (data), and MatchboxNet's
  log-mel features taken as ``log(mel)`` without the floor while the clips are zero-padded (the padding's power is
  exactly 0: ``log 0 = -inf``; numeric);
- **slip** (a user's mistake in optimizer and scheduler set-up, of a kind no earlier batch used): BC-RNN's
  ``OneCycleLR(opt, max_lr=1e-2, total_steps=200, div_factor=0.04)``, the start fraction of a fastai-style config (start
  at 4% of the peak) given where PyTorch wants its divisor (``initial_lr = max_lr / div_factor``): the first step runs
  at 25 times the peak, 0.25, and the schedule falls to the peak only after 60 steps (a fraction for a divisor; lr);
  GRAND's ``CosineAnnealingLR(opt, 200, eta_min=0.1)``, a config's ``min_lr_ratio`` (the floor as 10% of the base lr)
  given where PyTorch wants the absolute floor: the "annealing" climbs from 0.01 to 0.1 (a ratio for an absolute lr;
  lr); Graph WaveNet's per-step decay ``lambda s: 0.99 ** s``, written for a ``LambdaLR``, passed to a
  ``MultiplicativeLR`` after a switch of scheduler class, which multiplies the current lr by the lambda's value every
  step: the factors compound to ``0.99 ** (s (s + 1) / 2)``, 1% of the lr at step 30 and 1e-6 at step 52 (a lambda
  written for another scheduler's semantics; lr); and BC-RNN's ``AdamW(params, 1e-3, (0.9, 0.999), 1e-2)``, the weight
  decay 1e-2 given in the fourth positional slot, which is ``eps`` (AdamW's signature is ``(params, lr, betas, eps,
  weight_decay)``): with per-weight gradients far below 1e-2, every step is a small fraction of Adam's (an argument in
  the wrong slot; lr). Earlier optimizer and scheduler slips (per-epoch schedulers stepped per batch, compounding or
  unclamped hand-written warm-ups, ``LambdaLR`` returning the lr, the Noam and cosine formulas, ``StepLR``'s gamma and
  its swapped arguments, ``ExponentialLR``'s whole-run ratio, the warm-up counted in samples, ``scheduler.step(loss)``,
  schedulers built in the loop, ``ReduceLROnPlateau`` in the wrong mode, swapped betas, momentum and weight decay or
  ``RMSprop``'s lr slot, ``eps=1.0``, decay values in the wrong unit or slot, the classifier group's multiplier, an
  exhausted generator of parameters) are not repeated. All four slips are lr ones: none is an init, activation, depth,
  recurrence, normalization, regularization, data or numeric one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1: the healthy builds, except BC-RNN's OneCycle at ``div_factor=25`` (PyTorch's default: the run starts at 4e-4),
GRAND's cosine at ``eta_min=1e-3`` (10% of its lr), Graph WaveNet's decay in a ``LambdaLR`` (0.13 of the lr at step 200)
and BC-RNN's ``AdamW(params, 1e-3, weight_decay=1e-2)``; the depth case's is MscaleDNN at its own three hidden layers.

Learning criteria: the classifiers compare with chance (OS-CNN's, GRAND's and MatchboxNet's four classes); the
regressions compare with the loss of their trivial prediction, measured on the seeds' batches (Graph WaveNet's mean
reading 6.6, DPRNN's silent sources 0.184, MscaleDNN's zero 0.648, the Neural Lander's zero of the standardised forces
1.0, BC-RNN's zero action 0.098), or with their first loss where it is smaller. Measured plain runs, 200 steps (seed 0,
seed 1): OS-CNN 1.451 -> 0.912 and 1.494 -> 0.887 (the criterion 1.040); Graph WaveNet 6.700 -> 2.288 and 6.561 -> 2.242
(the criterion 4.95 and 4.92); GRAND 1.398 -> 0.393 and 1.437 -> 0.513; MatchboxNet 1.428 -> 0.0015 and 1.429 -> 0.0018;
DPRNN 0.2147 -> 0.0351 and 0.2120 -> 0.0399 (the criterion 0.138); MscaleDNN 0.5995 -> 0.0885 and 0.6793 -> 0.0985; the
Neural Lander 0.966 -> 0.140 and 1.299 -> 0.159; BC-RNN 0.0939 -> 0.0066 and 0.1057 -> 0.0076 (the criterion 0.0704 and
0.0735). Broken: ``graph_wavenet_init_std_1`` 228.3 -> 54.95 and 180.0 -> 42.52 (no divergence);
``neural_lander_relu_biases_minus_10`` 0.941 -> 1.009 and 1.213 -> 1.153; ``mscalednn_30_layers_default_init`` 0.583 ->
0.649 and 0.666 -> 0.655; ``bc_rnn_recurrent_weights_std_3`` 0.139 -> 0.0963 and 0.151 -> 0.0945 (the zero action's
0.098; its first gradient norm is 4.7e3, the healthy one's 0.07); ``graph_wavenet_adam_lr1`` diverges at step 1 at both
seeds (ends 28.62 and 6.694; weights x15); ``grand_adam_lr1`` diverges at step 1 at both seeds (ends 1.944 and 9.676;
weights x54 and x44); ``mscalednn_adam_lr1`` diverges at step 1 at both seeds (ends 0.655 and 0.669; weights x43 and
x40); ``bc_rnn_onecycle_div_factor_as_start_fraction`` diverges at step 1 at both seeds (ends 1.112 and 1.101; weights
x19); ``grand_cosine_eta_min_as_ratio`` 1.398 -> 1.163 and 1.437 -> 1.107 (no divergence; weights x5.1 and x6.5);
``graph_wavenet_multiplicative_lr_with_lambda_lr_lambda`` 6.700 -> 6.457 and 6.561 -> 6.406;
``bc_rnn_adamw_weight_decay_in_eps_slot`` 0.0939 -> 0.0986 and 0.1057 -> 0.0963; ``os_cnn_without_batchnorm`` 1.409 ->
1.218 and 1.407 -> 1.272; ``grand_adam_weight_decay_1`` 1.398 -> 1.386 and 1.437 -> 1.384; ``dprnn_adam_weight_decay_1``
0.2147 -> 0.1792 and 0.2120 -> 0.1812; ``os_cnn_labels_shuffled`` 1.453 -> 1.366 and 1.471 -> 1.366;
``matchboxnet_log_mel_without_floor`` is non-finite at step 0 at both seeds (the features hold ``-inf``). The slowest
healthy builds (OS-CNN, Graph WaveNet, DPRNN, MatchboxNet) run 2.5 to 3.3 s a seed alone; under the verification's load
(two runs of this batch beside other work on two shared cores) every run took at most 16 s.

Dropped or changed before the freeze (every figure above is from the final code): OS-CNN's primes went up to 13 with
batches of 32, Graph WaveNet had 16 channels (skips 32, end 64) and batches of 16, DPRNN mixed 512 samples in batches of
8: they ran 10 to 22 s a seed on the shared machine and were narrowed (at the first size OS-CNN learned 1.435 -> 0.554
and 1.406 -> 0.583). Graph WaveNet first read standardised readings with no scaler; there, every convolution at N(0, 1)
"learned" by its first loss (26.28 -> 6.660 and 21.65 -> 4.937) while ending 35 to 47 times the healthy end (0.14),
which is why the regressions now compare with their trivial prediction (as the classifiers with chance) and Graph
WaveNet reads speeds (``60 + 16 h``) behind the reference code's scaler. Graph WaveNet without that scaler (raw speeds
in and out) learned by the same measure (59.63 -> 6.713 and 60.43 -> 8.411) and was dropped. The Neural Lander first
fitted raw forces, whose mean the output bias alone could fit with every ReLU dead (0.102 -> 0.061 and 0.114 -> 0.070);
the forces are standardised now. BC-RNN's demonstrations first showed the velocity and started anywhere in [-1, 1]^2,
and its recurrent matrices at N(0, 3^2) learned (0.204 -> 0.144 at seed 0); at N(0, 10^2) (0.149 -> 0.095) and with the
forget-gate biases at -5 (0.093 -> 0.010, the memory then carried by ``h``) it learned too. Init commons tried and
dropped: GRAND's weight matrices zeroed learned (1.385 -> 0.440 and 1.393 -> 0.525: its biases break the symmetry),
MscaleDNN's weights at N(0, 1) learned (1.617 -> 0.040 and 1.325 -> 0.020), DPRNN's at N(0, 1) failed by the final
measure (47.41 -> 7.979 and 50.63 -> 10.83) but Graph WaveNet was kept for it. Normalization commons tried and dropped:
MatchboxNet without its BatchNorms at SGD lr 0.05 (1.381 -> 1.390 at seed 0 but 1.384 -> 0.962 at seed 1), Graph WaveNet
without them (0.429 -> 0.145) and DPRNN without its global layer norms (0.209 -> 0.041). The Neural Lander at Adam lr 1
diverged at step 1 and then learned (0.125 -> 0.060, raw forces), and was not kept. Slips written, measured and dropped:
MatchboxNet's SGD written ``SGD(params, 0.05, 0.9, 1e-3, True)`` in the ``(lr, momentum, weight_decay, nesterov)`` order
of another library raised at the first step (``weight_decay=True``: "Boolean alpha only supported for Boolean results"),
an error, not a training failure; MatchboxNet's ``SGD(params, 0.05, 0.9)`` switched to ``Adagrad(params, 0.05, 0.9)`` by
its class name alone (the momentum in Adagrad's ``lr_decay`` slot) learned (1.428 -> 0.110 and 1.429 -> 0.155); the
OneCycle start fraction on the Neural Lander at lr 1e-3 learned (0.125 -> 0.055 and 0.189 -> 0.010, raw forces); on
MatchboxNet it diverged at step 2 at both seeds and then learned at seed 0 (-> 0.291; seed 1 stayed at 1.383), on GRAND
it diverged at step 2 and then learned at both (-> 0.845 and 0.870): BC-RNN carries it at a peak of 1e-2; the cosine
floor 0.1 learned on BC-RNN (0.151 -> 0.0048 with the first demonstrations), on the standardised Graph WaveNet (0.430 ->
0.163) and on MscaleDNN (0.600 -> 0.176 and 0.679 -> 0.211); fairseq's inverse-square-root schedule written without its
warm-up branch, ``sqrt(warmup / (s + 1))`` from step 0, learned on MscaleDNN at a warm-up of 100 (0.600 -> 0.077 and
0.679 -> 0.070: ten times the peak at step 0 is not enough), and at fairseq's 4,000 its control would stay under 5% of
the peak all run; the AdamW ``eps`` slot learned on DPRNN (0.215 -> 0.070 and 0.212 -> 0.072); ``LinearLR(opt, 1.0,
0.01, total_iters=20)``, a warm-up's start and end factors swapped (the lr falls to 1% and stays), stopped BC-RNN (0.094
-> 0.097) but not GRAND (1.398 -> 0.872 and 1.437 -> 0.961) and was not kept; the ``MultiplicativeLR`` slip also stopped
BC-RNN (0.094 -> 0.098) and MscaleDNN (0.600 -> 0.634), and Graph WaveNet carries it. No regularization slip survived:
the commons outnumber the slips (12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh54_builders as F

P = functools.partial
HALF = "fresh54"
#: chance losses: four classes (OS-CNN's series, GRAND's nodes, MatchboxNet's keywords); the regressions' loss of the
#: trivial prediction, measured on the seeds' batches (Graph WaveNet: the MAE of the scaler's mean reading, 6.6;
#: DPRNN: the MSE of silent sources, 0.184; MscaleDNN: the MSE of zero, 0.648; the Neural Lander: of the standardised
#: forces' zero, 1.0; BC-RNN: the MSE of the zero action, 0.098)
C4 = math.log(4)
GWN, SEP, MSC, LAND, BC = 6.6, 0.184, 0.648, 1.0, 0.098
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH54_HEALTHY: list[Case] = [
    _h("os_cnn_shapelets", HALF, "os_cnn", F.os_cnn, C4),
    _h("graph_wavenet_sensor_speeds", HALF, "graph_wavenet", F.graph_wavenet, GWN),
    _h("grand_sbm_nodes", HALF, "grand", F.grand, C4),
    _h("matchboxnet_keywords", HALF, "matchboxnet", F.matchboxnet, C4),
    _h("dprnn_two_sources", HALF, "dprnn", F.dprnn, SEP),
    _h("mscalednn_multiscale_fit", HALF, "mscalednn", F.mscalednn, MSC),
    _h("neural_lander_ground_effect", HALF, "neural_lander", F.neural_lander, LAND),
    _h("bc_rnn_reaching_demos", HALF, "bc_rnn", F.bc_rnn, BC),
]

FRESH54_BROKEN: list[Case] = [
    # init
    _b("graph_wavenet_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.graph_wavenet, init_std=1.0), GWN),
    # activation
    _b("neural_lander_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.neural_lander, relu_bias=-10.0), LAND),
    # depth
    _b("mscalednn_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.mscalednn, layers=30), MSC),
    # recurrence
    _b("bc_rnn_recurrent_weights_std_3", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.bc_rnn, hh_std=3.0), BC),
    # lr
    _b("graph_wavenet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.graph_wavenet, lr=1.0), GWN),
    _b("grand_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.grand, lr=1.0), C4),
    _b("mscalednn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.mscalednn, lr=1.0), MSC),
    _b("bc_rnn_onecycle_div_factor_as_start_fraction", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.bc_rnn, lr=1e-2, onecycle=0.04), BC),
    _b("grand_cosine_eta_min_as_ratio", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.grand, cosine_min=0.1), C4),
    _b("graph_wavenet_multiplicative_lr_with_lambda_lr_lambda", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.graph_wavenet, decay="multiplicative"), GWN),
    _b("bc_rnn_adamw_weight_decay_in_eps_slot", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.bc_rnn, optimizer="adamw_positional"), BC),
    # normalization
    _b("os_cnn_without_batchnorm", HALF, ("normalization",), BOTH, STUCK,  # kind: common
       P(F.os_cnn, bn=False), C4),
    # regularization
    _b("grand_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.grand, weight_decay=1.0), C4),
    _b("dprnn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.dprnn, weight_decay=1.0), SEP),
    # data
    _b("os_cnn_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.os_cnn, shuffled=True), C4),
    # numeric
    _b("matchboxnet_log_mel_without_floor", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.matchboxnet, floor=False), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "graph_wavenet_init_std_1": "common", "neural_lander_relu_biases_minus_10": "common",
    "mscalednn_30_layers_default_init": "common", "bc_rnn_recurrent_weights_std_3": "common",
    "graph_wavenet_adam_lr1": "common", "grand_adam_lr1": "common", "mscalednn_adam_lr1": "common",
    "bc_rnn_onecycle_div_factor_as_start_fraction": "slip", "grand_cosine_eta_min_as_ratio": "slip",
    "graph_wavenet_multiplicative_lr_with_lambda_lr_lambda": "slip", "bc_rnn_adamw_weight_decay_in_eps_slot": "slip",
    "os_cnn_without_batchnorm": "common", "grand_adam_weight_decay_1": "common", "dprnn_adam_weight_decay_1": "common",
    "os_cnn_labels_shuffled": "common", "matchboxnet_log_mel_without_floor": "common",
}

#: the cases (half "fresh54")
FRESH54: list[Case] = FRESH54_HEALTHY + FRESH54_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "graph_wavenet_init_std_1": F.graph_wavenet,
    "neural_lander_relu_biases_minus_10": F.neural_lander,
    "mscalednn_30_layers_default_init": F.mscalednn,
    "bc_rnn_recurrent_weights_std_3": F.bc_rnn,
    "graph_wavenet_adam_lr1": F.graph_wavenet,
    "grand_adam_lr1": F.grand,
    "mscalednn_adam_lr1": F.mscalednn,
    "bc_rnn_onecycle_div_factor_as_start_fraction": P(F.bc_rnn, lr=1e-2, onecycle=25.0),
    "grand_cosine_eta_min_as_ratio": P(F.grand, cosine_min=1e-3),
    "graph_wavenet_multiplicative_lr_with_lambda_lr_lambda": P(F.graph_wavenet, decay="lambda"),
    "bc_rnn_adamw_weight_decay_in_eps_slot": P(F.bc_rnn, optimizer="adamw"),
    "os_cnn_without_batchnorm": F.os_cnn,
    "grand_adam_weight_decay_1": F.grand,
    "dprnn_adam_weight_decay_1": F.dprnn,
    "os_cnn_labels_shuffled": F.os_cnn,
    "matchboxnet_log_mel_without_floor": F.matchboxnet,
}
