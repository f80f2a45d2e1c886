"""The forty-eighth held-out batch (half ``"fresh47"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 470_000 + seed): DMF (Xue et al. 2017, narrowed: the user's row and the item's
column of the observed rating matrix each through a bias-free Linear to 64 and a ReLU layer to 32, the prediction
``max(1e-6, cos)``, the normalised cross-entropy with ``y = r / 5``; truncated-normal 0.01 init as the reference code;
Adam at lr 1e-3, set here where the paper's 1e-4 is for many epochs) on a 128 x 96 rank-4 rating matrix 20% observed
(64 observed pairs and 128 sampled negatives a batch), HGN (Ma, Kang and Liu 2019: embeddings of 50, the feature and
instance gatings, the item-item product, L = 5 items in, T = 3 targets and 3 negatives; N(0, (1/d)^2) embeddings and
Xavier gates as the reference code; its loss, the mean ``-log sigmoid`` of the positives plus that of the negatives'
complements; Adam with the reference code's L2 1e-3 at lr 3e-3, set here) on 64 users' histories from the corpus'
Markov chain over 64 items, SparseTSF (Lin et al. 2024: the window's mean subtracted, the sliding aggregation of kernel
25, one bias-free Linear from the 4 past periods of 24 steps to the 2 future ones shared by every phase, the mean
added back; MSE, Adam at the reference scripts' lr 0.02) forecasting 48 steps from 96 of four channels of daily
shapes with random amplitudes and levels, AGCRN (Bai et al. 2020, narrowed: node embeddings of 10, one cell (the paper
stacks two) of 32 units of the GRU built on the node-adaptive graph convolution ``softmax(relu(E E^T))`` with
Chebyshev order 2, the end convolution to the 12-step horizon; Xavier-uniform and U(0, 1) init as the reference code;
the inputs standardised by the training series' mean and standard deviation, the MAE of the de-standardised forecast;
Adam at the paper's lr 3e-3) on flows of 8 sensors (12 steps in, 12 out), the Point Transformer (Zhao et al. 2021,
narrowed: an input MLP to 32 channels, two residual point transformer blocks of vector attention over 8 neighbours
with the MLP position encoding and 8 shared channel groups, BatchNorms, no transition-down stages, average pooling and
the reference head with dropout 0.5; SGD at the paper's lr 0.05, momentum 0.9, weight decay 1e-4) classifying clouds
of 32 points of four shapes (sphere, cube, cylinder, cone, scaled per axis and turned about z), VoxNet (Maturana and
Scherer 2015: on 16^3 grids, Conv3d 32 of 5^3 at stride 2 and 32 of 3^3 with leaky ReLU 0.1, 2^3 max-pooling, a
layer of 128 and the class layer, dropout 0.2, 0.3, 0.4; He-normal init written by hand; SGD with momentum 0.9, the
paper's optimiser, at lr 0.01 set here) classifying the same four shapes voxelised (occupancy rescaled to ``{-1, 5}``,
set here), DNDT (Yang, Garcia Morillo and Hospedales 2018: two learnable cut points per feature, the soft binning
``softmax((w x + b) / 0.1)``, the Kronecker product of the four features' bins into 81 leaves and a linear leaf
score; ``torch.rand`` init and Adam at lr 0.01 as the reference code) on four standardised features labelled by
axis-aligned rules (4 classes), and DeLaN (Lutter, Ritter and Peters 2019, the inverse model: a softplus MLP of two
hidden layers of 64 with heads for ``L``'s diagonal (softplus plus 0.01), its lower triangle and the gravity ``g``,
``H = L L^T``, the torque ``H qdd + dH/dt qd - 1/2 d/dq (qd^T H qd) + g`` with the derivatives by autograd; Xavier-
normal weights and biases 1e-4, Adam with the reference code's weight decay 1e-5 at lr 3e-3, set here) learning a
planar two-link arm's torques (MSE).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh46``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every HGN embedding drawn N(0, 1) (init),
  DMF's ReLU biases at -10 (every tower unit dead; activation), DMF's towers 30 ReLU layers deep at its truncated-
  normal 0.01 init (depth), AGCRN's keep gate ``r`` offset by +10 (``h = r h + (1 - r) h~`` keeps the zero initial
  state: the cell never takes in its input; recurrence), SparseTSF at Adam lr 10 and DeLaN at Adam lr 1 (lr),
  SparseTSF's forecast not de-normalised, its window mean subtracted from the input and never added back to the
  forecast (normalization), DNDT and HGN at Adam ``weight_decay=1`` (regularization), the Point Transformer's shape
  labels and SparseTSF's horizons permuted within every batch, apart from their inputs (data), and DMF without its
  ``max(mu, .)`` clamp (a cosine of exactly 0, two ReLU vectors with disjoint supports, goes into ``log``; numeric);
- **slip** (a user's numerics or precision mistake of a kind no earlier batch used): VoxNet's He std written ``(2 /
  fan_in) ** (1 // 2)``, integer floor division in the exponent (``1 // 2 = 0``: every std is 1; init), VoxNet's
  ``uint8`` occupancy grid rescaled by ``6 x - 1`` before its cast to float (``0 - 1`` wraps round to 255: every empty
  voxel reads 255, every occupied one 5; data), AGCRN's scaler computed by hand on the flows kept in a float16 buffer
  (``((x - mean) ** 2).mean().sqrt()``: deviations above 256 square past float16's largest 65504 to inf, the standard
  deviation is inf and the de-standardised forecast ``out * inf + mean`` too; numeric), and DNDT's binning softmax
  written by hand, ``exp(h) / exp(h).sum()`` without the max-shift (``h = (3 x - c_1 - c_2) / 0.1`` passes 88.7 for a
  feature above about 3.3, ``exp`` overflows and ``inf / inf`` is NaN; numeric; ``fresh14``'s common numeric case was
  a CRF's forward algorithm without the shift, never a slip). None of the slips is an activation, depth, recurrence,
  lr, normalization or regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is DMF at its own single ReLU layer).

Learning criteria: the classifiers compare with chance (the four shapes of the Point Transformer and VoxNet, DNDT's
four classes, HGN's ``2 ln 2``); DMF, SparseTSF, AGCRN and DeLaN compare with their first loss. Measured plain runs,
200 steps (seed 0, seed 1): DMF 0.5317 -> 0.3642 and 0.5687 -> 0.3693 (the criteria 0.399 and 0.427); HGN 1.386 ->
0.821 and 1.387 -> 0.824 (the criterion 1.040); SparseTSF 0.943 -> 0.0986 and 0.644 -> 0.0992; AGCRN 158.1 -> 29.31
and 157.4 -> 29.77; the Point Transformer 1.689 -> 0.340 and 1.744 -> 0.193; VoxNet 6.021 -> 0.0243 and 7.353 ->
0.0320; DNDT 1.401 -> 0.254 and 1.350 -> 0.187; DeLaN 60.28 -> 12.62 and 97.80 -> 19.89. Broken:
``hgn_embeddings_std_1`` 16.61 -> 5.133 and 19.09 -> 5.355 (no divergence); ``voxnet_he_std_exponent_floor_division``
diverges at step 1 at both seeds (first losses 8.7e4 and 1.1e5, weights x1.5e11 and x4.1e8) and is non-finite at
step 3; ``dmf_relu_biases_minus_10`` 2.662 -> 2.753 and 2.835 -> 2.766; ``dmf_30_relu_layers`` 0.5105 -> 0.4997 and
0.5823 -> 0.5008; ``agcrn_keep_gate_bias_plus_10`` 157.8 -> 126.4 and 157.1 -> 138.9 (the criteria 118.4 and 117.8;
its weights grow x7.8 and x11.1 as the gate's bias pool pushes back, too slowly); ``sparse_tsf_adam_lr10`` diverges
at step 1 at both seeds (ends 7.46 and 9.52; weights x54 and x57 at step 0); ``delan_adam_lr1`` diverges at step 1 at
both seeds (ends 927.8 and 910.3; weights x50 and x48); ``sparse_tsf_forecast_not_denormalised`` 8.764 -> 8.889 and
9.679 -> 9.354; ``dndt_adam_weight_decay_1`` 1.401 -> 1.377 and 1.350 -> 1.376; ``hgn_adam_weight_decay_1`` 1.386 ->
1.386 and 1.387 -> 1.386; ``point_transformer_labels_shuffled`` 1.406 -> 1.386 and 1.626 -> 1.361;
``sparse_tsf_horizons_shuffled`` 17.23 -> 17.33 and 21.14 -> 19.60; ``voxnet_occupancy_rescaled_in_uint8`` diverges
at step 1 at both seeds (first losses 548 and 1318, weights x6e12 and x4e13) and is non-finite at step 3;
``dmf_cosine_without_mu_clamp`` is non-finite at step 1 at seed 0 (inf: a positive pair's cosine is exactly 0) and at
step 46 at seed 1 (NaN: ``0 * log 0`` for a negative); ``agcrn_scaler_on_float16_buffer`` is non-finite at step 0 at
both seeds (the loss itself, inf: the float16 scale is inf where the float32 one is 163.7 and 163.3); and
``dndt_binning_softmax_by_hand`` is non-finite at step 0 at seed 0 and at step 1 at seed 1 (NaN). Every case runs in
0.1 to 6.1 s a seed on a two-core machine shared with other work (AGCRN, DMF's 30 layers and the Point Transformer
the slowest, 4 to 6 s as the load varied).

Dropped or changed before the freeze (every figure above is from the final code): HGN at the reference code's lr 1e-3
ended at 1.036 and 1.033 against the criterion 1.040, too close to call (and with 32 items at 1.062 and 1.083); it
trains at 3e-3. DeLaN at the reference code's lr 5e-4 did not learn at seed 0 (60.28 -> 67.17); it trains at 3e-3.
AGCRN with two cells at batch 32 (158-166 -> 28-30) and the Point Transformer on 64 points at batch 32 (1.58 -> 0.054
and 1.66 -> 0.067) took 18 to 20 s a seed; they were narrowed to one cell at batch 16 and to 32 points at batch 16.
The depth case was first DeLaN with 30 softplus hidden layers: it learned by the first-loss criterion at seed 0
(127.5 -> 67.96, the criterion 95.65; 77.12 -> 67.56 at seed 1), so the depth case is DMF's. DeLaN at Adam
``weight_decay=1`` learned at seed 1 (97.80 -> 67.57) and was dropped for HGN's. HGN at Adam lr 1 diverged (non-finite
at steps 33 and 28) and was written but not kept (DeLaN's is the second lr case). No normalization fault of the
Point Transformer held: without its BatchNorms it learned at its lr 0.05 (1.410 -> 0.745 and 1.340 -> 0.866) and at
0.1 (0.962 and 0.822), and at 0.2, where it failed, the version with BatchNorms failed at seed 0 too (1.131), so the
normalization case is SparseTSF's. SparseTSF with no mean subtraction at all (neither taken off nor added back)
learned (11.43 -> 0.166 and 4.98 -> 0.119: its model is linear either way), and AGCRN's adaptive adjacency used
unnormalised, ``relu(E E^T)`` without the softmax, learned (158.0 -> 29.9 and 157.5 -> 30.4); neither was kept. The
commons outnumber the slips (12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh47_builders as F

P = functools.partial
HALF = "fresh47"
#: chance losses: four classes (the Point Transformer's and VoxNet's shapes, DNDT's rule classes), HGN's two mean
#: logistic losses (positives and negatives, ``2 ln 2``); DMF, SparseTSF, AGCRN and DeLaN have none (their first loss
#: is the reference)
C4, PAIR = math.log(4), 2 * math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH47_HEALTHY: list[Case] = [
    _h("dmf_ratings", HALF, "dmf", F.dmf, None),
    _h("hgn_user_sequences", HALF, "hgn", F.hgn, PAIR),
    _h("sparse_tsf_periodic_series", HALF, "sparse_tsf", F.sparse_tsf, None),
    _h("agcrn_sensor_flows", HALF, "agcrn", F.agcrn, None),
    _h("point_transformer_shapes", HALF, "point_transformer", F.point_transformer, C4),
    _h("voxnet_voxel_shapes", HALF, "voxnet", F.voxnet, C4),
    _h("dndt_rule_table", HALF, "dndt", F.dndt, C4),
    _h("delan_arm_inverse_dynamics", HALF, "delan", F.delan, None),
]

FRESH47_BROKEN: list[Case] = [
    # init
    _b("hgn_embeddings_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.hgn, init_std=1.0), PAIR),
    _b("voxnet_he_std_exponent_floor_division", HALF, ("init",), EXPLODE, DIVERGE,  # kind: slip
       P(F.voxnet, half_by_floor=True), C4),
    # activation
    _b("dmf_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.dmf, relu_bias=-10.0), None),
    # depth
    _b("dmf_30_relu_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.dmf, relu_layers=30), None),
    # recurrence
    _b("agcrn_keep_gate_bias_plus_10", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.agcrn, keep_bias=10.0), None),
    # lr
    _b("sparse_tsf_adam_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.sparse_tsf, lr=10.0), None),
    _b("delan_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.delan, lr=1.0), None),
    # normalization
    _b("sparse_tsf_forecast_not_denormalised", HALF, ("normalization", "data"), VANISH, STUCK,  # kind: common
       P(F.sparse_tsf, denorm=False), None),
    # regularization
    _b("dndt_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.dndt, weight_decay=1.0), C4),
    _b("hgn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.hgn, weight_decay=1.0), PAIR),
    # data
    _b("point_transformer_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.point_transformer, shuffled=True), C4),
    _b("sparse_tsf_horizons_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.sparse_tsf, shuffled=True), None),
    _b("voxnet_occupancy_rescaled_in_uint8", HALF, ("data", "numeric"), EXPLODE, DIVERGE,  # kind: slip
       P(F.voxnet, uint8_rescale=True), C4),
    # numeric
    _b("dmf_cosine_without_mu_clamp", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.dmf, clamp=False), None),
    _b("agcrn_scaler_on_float16_buffer", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.agcrn, half_scaler=True), None),
    _b("dndt_binning_softmax_by_hand", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.dndt, hand_softmax=True), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "hgn_embeddings_std_1": "common", "voxnet_he_std_exponent_floor_division": "slip",
    "dmf_relu_biases_minus_10": "common", "dmf_30_relu_layers": "common", "agcrn_keep_gate_bias_plus_10": "common",
    "sparse_tsf_adam_lr10": "common", "delan_adam_lr1": "common", "sparse_tsf_forecast_not_denormalised": "common",
    "dndt_adam_weight_decay_1": "common", "hgn_adam_weight_decay_1": "common",
    "point_transformer_labels_shuffled": "common", "sparse_tsf_horizons_shuffled": "common",
    "voxnet_occupancy_rescaled_in_uint8": "slip", "dmf_cosine_without_mu_clamp": "common",
    "agcrn_scaler_on_float16_buffer": "slip", "dndt_binning_softmax_by_hand": "slip",
}

#: the cases (half "fresh47")
FRESH47: list[Case] = FRESH47_HEALTHY + FRESH47_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "hgn_embeddings_std_1": F.hgn,
    "voxnet_he_std_exponent_floor_division": F.voxnet,
    "dmf_relu_biases_minus_10": F.dmf,
    "dmf_30_relu_layers": F.dmf,
    "agcrn_keep_gate_bias_plus_10": F.agcrn,
    "sparse_tsf_adam_lr10": F.sparse_tsf,
    "delan_adam_lr1": F.delan,
    "sparse_tsf_forecast_not_denormalised": F.sparse_tsf,
    "dndt_adam_weight_decay_1": F.dndt,
    "hgn_adam_weight_decay_1": F.hgn,
    "point_transformer_labels_shuffled": F.point_transformer,
    "sparse_tsf_horizons_shuffled": F.sparse_tsf,
    "voxnet_occupancy_rescaled_in_uint8": F.voxnet,
    "dmf_cosine_without_mu_clamp": F.dmf,
    "agcrn_scaler_on_float16_buffer": F.agcrn,
    "dndt_binning_softmax_by_hand": F.dndt,
}
