"""The sixty-seventh held-out batch (half ``"fresh66"``): eight published scientific-ML and signal architectures new to
the corpus at their usual settings, and sixteen broken variants with one real fault each, written and labelled with
plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 660_000 + seed): the gradient-enhanced PINN (gPINN; Yu, Lu, Meng and Karniadakis
2022: a tanh net 1 -> 20 x 3 -> 1, Glorot-normal weights, zero biases; the loss the mean squared residual plus the
paper's weight 0.01 times the mean squared residual gradient plus the squared boundary values; Adam at the paper's lr
1e-3) solving ``-u'' = 4 pi^2 sin(2 pi s)``, ``u(0) = u(1) = 0`` on a rod of 100 m whose collocation points (64 a step)
arrive in metres and are rescaled to ``s = x / 100`` at the network's input, the derivatives taken w.r.t. the metres
and carried to ``s`` by the chain rule; the Deep Ritz method (E and Yu 2018: the input zero-padded to the width 10,
four residual blocks of two Linears with the activation ``max(x, 0)^3``, PyTorch's default init; the Ritz energy
``mean(|grad u|^2 / 2 - f u)`` over 256 interior Monte-Carlo points plus the paper's boundary penalty 500 times the
mean of ``u^2`` over 64 boundary points; Adam lr 1e-3) on ``-lap u = 2 pi^2 sin(pi x) sin(pi y)`` in the unit square
(the minimum energy is ``-pi^2 / 4``), the augmented neural ODE (ANODE; Dupont, Doucet and Teh 2019: the 2-D input
padded with 5 zeros, the ODE function an MLP 7 -> 32 -> 32 -> 7 with ReLU, integrated over ``[0, 1]`` by 10 RK4 steps
(the paper's dopri5 narrowed to a fixed grid), a linear readout; MSE, Adam at the paper's lr 1e-3) on the paper's
``g``: a disc labelled +1 inside an annulus labelled -1, the neural CDE (Kidger, Morrill, Foster and Lyons 2020, as
torchcde's example: hidden 8, the vector field ``tanh(W2 relu(W1 z))`` of 128 units reshaped to ``(8, 3)``, the
linear interpolation of the series as the control, one Euler step per observation interval (the example's rk4
narrowed), a linear readout; binary cross-entropy, Adam at the example's lr, PyTorch's default 1e-3) on the
example's clockwise and anticlockwise spirals (32 times, time a channel), P4CNN (Cohen and Welling 2016, narrowed: a
Z2 -> p4 lifting convolution and three p4 -> p4 group convolutions of 8, 8, 16, 16 channels (3x3, the filters rotated
and their rotation axis cycled), BatchNorm shared across the four rotations as GrouPy's and ReLU, a 2x2 max-pool,
the spatial mean, the max over the rotations and a linear classifier; Adam lr 1e-3 as GrouPy's experiments) on 12x12
class templates rotated by random multiples of 90 degrees (10 classes; the model's output is exactly invariant to
those rotations, checked), the Behler-Parrinello network (Behler and Parrinello 2007: 8 radial symmetry functions
``G2`` with the cosine cutoff at 6 angstrom, standardised by a fixed reference sample, one atomic network 8 -> 40 ->
40 -> 1 with tanh shared by the atoms, the energy their sum; PyTorch's default init; MSE on standardised energies,
Adam lr 1e-3, set here) on 8-atom clusters (a jittered 2x2x2 lattice) with Morse energies, RawNet (Jung et al. 2019,
narrowed: a strided convolution (3, stride 3) with BN and LeakyReLU 0.3 on the raw waveform, residual blocks of 32,
32, 64 channels each max-pooling by 3, a GRU of 64 over the 9 remaining frames, a 64-unit embedding and the speaker
logits; the paper's AMSGrad at lr 1e-3 with weight decay 1e-4) on 729-sample clips of four synthetic "speakers" (a
pitch and a harmonic profile each, random phases and gain, noise; each clip standardised by its own mean and standard
deviation plus 1e-5), and PCA-Net (Bhattacharya, Hosseini, Kovachki and Stuart 2021, narrowed: 16 principal
components of the input and of the output functions from a fixed sample of 1024, an MLP of 4 hidden SELU layers of
128 (LeCun-normal) between the coefficients; the neural-operator codes' relative L2 loss ``mean_i |pred_i - u_i| /
|u_i|``; Adam lr 1e-3) learning the map from a forcing ``f`` (8 sine modes on 64 points) to ``u + u^2 / 2`` where
``-u'' = f``.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh62``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Deep Ritz weight drawn N(0, 1) (the
  cubic activations overflow in four blocks; init), the gPINN's hidden activation ReLU (its second derivative is zero
  almost everywhere, so the residual of ``-u'' = f`` cannot move; activation), the BPNN's atomic network 40 tanh
  layers deep at PyTorch's default init (depth), PCA-Net at Adam lr 1, the neural CDE at Adam lr 1 and RawNet at
  AMSGrad lr 1 (lr), P4CNN without its BatchNorms at SGD lr 0.1 with momentum 0.9 (where the BatchNorm version
  learns; normalization, with lr accepted), the ANODE and the neural CDE at Adam ``weight_decay=1`` and RawNet at
  AMSGrad ``weight_decay=1`` (regularization), the spirals' directions permuted within every batch, apart from their
  series (data), and RawNet's per-clip standardisation without its eps on a data set where the first clip of every
  batch is a recorder dropout (all zeros: ``0 / 0``; numeric, with data and normalization accepted);
- **slip** (a user's mistake in scientific-ML objective or descriptor code, of a kind no earlier batch used): the
  ANODE's integration horizon written 1000, the "1 s" of the trajectories in milliseconds, with the 10 RK4 steps kept
  (each step 100 time units: the flow's states overflow at the first forward; recurrence, the unrolled dynamics'
  gain, with numeric, the integrator's instability, accepted; ``fresh15``'s coRNN at time step 1.0 was a common
  recurrence case, a step size set too large, not a unit mistake), the gPINN's collocation points fed to the network
  in metres (0 to 100) where the reference code's unit domain belongs, the chain rule and the loss otherwise right
  (the first tanh layer saturates over almost all of the rod, and the chain rule's ``100^2`` multiplies the
  residual's curvature terms; data; earlier unit slips were inputs or targets of regressions and classifiers, and
  ``fresh17``'s HNN in centi-units a common case), the BPNN's symmetry-function cutoff given as 0.6, the nanometres of
  a paper's table, while the positions are in angstrom (every neighbour lies beyond 0.6 angstrom, so every symmetry
  function is 0 and the network sees no structure; data), and PCA-Net's per-function relative L2 loss on a data set
  that holds the unforced case (``f = 0``, so ``u = 0``: ``|pred - 0| / 0`` is inf at the first step; a quantity
  normalised by a zero reference; numeric). None of the slips is an init, activation, depth, lr, normalization or
  regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds but three: P4CNN with its BatchNorms at the same SGD lr 0.1 (2.425 -> 0.0016 and
2.338 -> 0.0023), RawNet with the silent clips standardised with the eps (1.360 -> 0.0528 and 1.389 -> 0.0487), and
PCA-Net on the data with the unforced samples and the batch-pooled relative loss ``|pred - u| / |u|`` over the whole
batch (1.082 -> 0.121 and 1.254 -> 0.105).

Learning criteria: the neural CDE compares with ``ln 2``, RawNet with ``ln 4``, P4CNN with ``ln 10``; the gPINN with
the loss of the trivial solution ``u = 0`` (``8 pi^4 + 0.32 pi^6 = 1086.9``, its residual the forcing itself); the
ANODE and the BPNN with the constant prediction 0 of their unit-variance targets (1.0); the Deep Ritz energy and
PCA-Net with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): the gPINN 1078 -> 98.9 and 1070 ->
97.0; Deep Ritz 94.57 -> 0.455 and 3.866 -> 0.196; the ANODE 1.229 -> 0.0100 and 1.407 -> 0.0154; the neural CDE
3.001 -> 3.9e-4 and 0.942 -> 9.5e-5; P4CNN 2.425 -> 0.313 and 2.338 -> 0.397; the BPNN 3.240 -> 0.182 and 2.370 ->
0.136; RawNet 1.354 -> 7.6e-4 and 1.387 -> 8.2e-4; PCA-Net 2.380 -> 0.306 and 3.051 -> 0.301. Broken:
``deep_ritz_init_std_1`` is non-finite at step 0 at both seeds (the loss itself, NaN); ``gpinn_relu_hidden`` 1077 ->
1103 and 1067 -> 1093; ``bpnn_40_tanh_layers_default_init`` 3.064 -> 1.011 and 3.782 -> 1.087;
``anode_horizon_in_milliseconds`` is non-finite at step 0 at both seeds (the loss inf); ``pca_net_adam_lr1``
diverges at step 1 at both seeds (ends 302 and 134; weights x59 and x61); ``neural_cde_adam_lr1`` diverges at step 1
at both seeds (ends 0.981 and 0.777; weights x55 and x53); ``rawnet_amsgrad_lr1`` diverges at step 1 at both seeds
(ends 214 and 549; weights x49 and x47); ``p4cnn_without_batchnorm_sgd_lr0.1`` 2.345 -> 2.308 and 2.328 -> 2.306
(weights x4.4 and x3.5); ``anode_adam_weight_decay_1`` 1.229 -> 1.020 and 1.407 -> 1.029;
``neural_cde_adam_weight_decay_1`` 3.001 -> 0.6946 and 0.942 -> 0.6942; ``rawnet_amsgrad_weight_decay_1`` 1.354 ->
1.386 and 1.387 -> 1.386; ``neural_cde_labels_shuffled`` 2.993 -> 0.6936 and 1.199 -> 0.6941;
``gpinn_collocation_in_metres`` diverges at steps 1 and 2 (1.69e6 -> 1577 and 3.75e7 -> 1.54e4, against the
criterion 815); ``bpnn_cutoff_in_nanometres`` 4.016 -> 1.010 and 2.256 -> 1.090;
``rawnet_standardised_without_eps_silent_clip`` is non-finite at step 0 (NaN) and
``pca_net_relative_l2_with_unforced_sample`` at step 0 (inf) at both seeds. Every case runs in about 0.2 to 6 s a
seed alone (RawNet and P4CNN the slowest; three times that while the machine's two cores were shared with other
work).

Dropped or changed before the freeze (every figure above is from the final code): P4CNN's images were 16x16 at first
(healthy 2.407 -> 0.496 and 2.342 -> 0.637, about 6 s a seed; 12x12 halves the time); without BatchNorm at its own Adam
lr 1e-3 it learned (2.344 -> 0.074 and 2.328 -> 0.549 at 16x16, 2.345 -> 0.430 and 2.328 -> 0.669 at 12x12), so the
normalization case is at SGD lr 0.1, where the BatchNorm version learns. P4CNN at Adam lr 1 diverged at step 1 but came
back to learn at seed 0 (2.407 -> 1.475, the criterion 1.727) and was dropped. The Deep Ritz network 16 and 30 blocks
deep learned (14.39 -> -0.118 and 41.92 -> 0.310; 2.199 -> -0.180 and 7.973 -> -0.084: the residual blocks carry it), so
the depth case is the BPNN's; the BPNN's atomic network 24 tanh layers deep learned at seed 0 (1.707 -> 0.722 against
0.75) and was deepened to 40. Deep Ritz at init std 0.5 is non-finite at step 0 as well. Two recurrence commons on the
neural CDE learned and were dropped: the control's values ``X_{k+1}`` used where its increments belong (83.4 -> 0.189
and 35.7 -> 1.5e-6) and the vector field's final tanh left out (3.924 -> 4.9e-7 and 0.954 -> 4.1e-8); RawNet's GRU
recurrent matrices times 30 learned too (1.381 -> 0.890 and 1.418 -> 0.987), the GRU seeing only 9 frames; the batch has
no common recurrence case, and the ANODE's horizon slip is its recurrence case. Weight decay 1 on the BPNN (3.240 ->
0.457 and 2.370 -> 0.476) and on PCA-Net (2.380 -> 0.725 and 3.051 -> 0.763 against 1.785 and 2.288) learned and were
dropped. The gPINN's metres slip and the BPNN's nanometre slip both learned against their first loss (the first drops
from 1.7e6, the second only to the constant prediction), so those two models compare with the trivial reference losses
above (a problem's trivial-solution loss, as chance is a classifier's; set here, before gradguard ran on any case; the
healthy and control runs pass them). The commons outnumber the slips (12 to 4).
"""

from __future__ import annotations

import functools
import math

from torch import nn

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh66_builders as F

P = functools.partial
HALF = "fresh66"
#: reference losses: the neural CDE's two directions (``ln 2``), RawNet's four speakers, P4CNN's ten classes; the
#: gPINN's trivial solution ``u = 0`` (``8 pi^4 + 0.32 pi^6 = 1086.9``: its residual is the forcing), the ANODE's and
#: the BPNN's constant prediction 0 of unit-variance targets (1.0); the Deep Ritz energy and PCA-Net's relative error
#: compare with their first loss
C2, C4, C10 = math.log(2), math.log(4), math.log(10)
U_ZERO = 8 * math.pi ** 4 + 0.32 * math.pi ** 6
CONST = 1.0
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH66_HEALTHY: list[Case] = [
    _h("gpinn_rod_poisson", HALF, "gpinn", F.gpinn, U_ZERO),
    _h("deep_ritz_square_poisson", HALF, "deep_ritz", F.deep_ritz, None),
    _h("anode_annuli", HALF, "anode", F.anode, CONST),
    _h("neural_cde_spirals", HALF, "neural_cde", F.neural_cde, C2),
    _h("p4cnn_rotated_templates", HALF, "p4cnn", F.p4cnn, C10),
    _h("bpnn_morse_clusters", HALF, "bpnn", F.bpnn, CONST),
    _h("rawnet_speakers", HALF, "rawnet", F.rawnet, C4),
    _h("pca_net_forced_response", HALF, "pca_net", F.pca_net, None),
]

FRESH66_BROKEN: list[Case] = [
    # init
    _b("deep_ritz_init_std_1", HALF, ("init",), EXPLODE, DIVERGE,  # kind: common
       P(F.deep_ritz, init_std=1.0), None),
    # activation
    _b("gpinn_relu_hidden", HALF, ("activation",), VANISH, STUCK,  # kind: common
       P(F.gpinn, act=nn.ReLU), U_ZERO),
    # depth
    _b("bpnn_40_tanh_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.bpnn, hidden=(40,) * 40), CONST),
    # recurrence
    _b("anode_horizon_in_milliseconds", HALF, ("recurrence", "numeric"), EXPLODE, DIVERGE,  # kind: slip
       P(F.anode, horizon=1000.0), CONST),
    # lr
    _b("pca_net_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.pca_net, lr=1.0), None),
    _b("neural_cde_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.neural_cde, lr=1.0), C2),
    _b("rawnet_amsgrad_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.rawnet, lr=1.0), C4),
    # normalization
    _b("p4cnn_without_batchnorm_sgd_lr0.1", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.p4cnn, bn=False, sgd=True, lr=0.1), C10),
    # regularization
    _b("anode_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.anode, weight_decay=1.0), CONST),
    _b("neural_cde_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.neural_cde, weight_decay=1.0), C2),
    _b("rawnet_amsgrad_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.rawnet, weight_decay=1.0), C4),
    # data
    _b("neural_cde_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.neural_cde, shuffled=True), C2),
    _b("gpinn_collocation_in_metres", HALF, ("data",), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.gpinn, rescale=False), U_ZERO),
    _b("bpnn_cutoff_in_nanometres", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.bpnn, cutoff=0.6), CONST),
    # numeric
    _b("rawnet_standardised_without_eps_silent_clip", HALF,  # kind: common
       ("numeric", "data", "normalization"), NONFINITE, ("nonfinite",), P(F.rawnet, silent=True, eps=None), C4),
    _b("pca_net_relative_l2_with_unforced_sample", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.pca_net, unforced=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "deep_ritz_init_std_1": "common", "gpinn_relu_hidden": "common", "bpnn_40_tanh_layers_default_init": "common",
    "anode_horizon_in_milliseconds": "slip", "pca_net_adam_lr1": "common", "neural_cde_adam_lr1": "common",
    "rawnet_amsgrad_lr1": "common", "p4cnn_without_batchnorm_sgd_lr0.1": "common",
    "anode_adam_weight_decay_1": "common", "neural_cde_adam_weight_decay_1": "common",
    "rawnet_amsgrad_weight_decay_1": "common", "neural_cde_labels_shuffled": "common",
    "gpinn_collocation_in_metres": "slip", "bpnn_cutoff_in_nanometres": "slip",
    "rawnet_standardised_without_eps_silent_clip": "common", "pca_net_relative_l2_with_unforced_sample": "slip",
}

#: the cases (half "fresh66")
FRESH66: list[Case] = FRESH66_HEALTHY + FRESH66_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "deep_ritz_init_std_1": F.deep_ritz,
    "gpinn_relu_hidden": F.gpinn,
    "bpnn_40_tanh_layers_default_init": F.bpnn,
    "anode_horizon_in_milliseconds": F.anode,
    "pca_net_adam_lr1": F.pca_net,
    "neural_cde_adam_lr1": F.neural_cde,
    "rawnet_amsgrad_lr1": F.rawnet,
    "p4cnn_without_batchnorm_sgd_lr0.1": P(F.p4cnn, sgd=True, lr=0.1),
    "anode_adam_weight_decay_1": F.anode,
    "neural_cde_adam_weight_decay_1": F.neural_cde,
    "rawnet_amsgrad_weight_decay_1": F.rawnet,
    "neural_cde_labels_shuffled": F.neural_cde,
    "gpinn_collocation_in_metres": F.gpinn,
    "bpnn_cutoff_in_nanometres": F.bpnn,
    "rawnet_standardised_without_eps_silent_clip": P(F.rawnet, silent=True),
    "pca_net_relative_l2_with_unforced_sample": P(F.pca_net, unforced=True, pooled=True),
}
