"""The nineteenth held-out batch (issue 12, the seventeenth session's): models new to the corpus, all held-out (half
``"fresh18"``).

Written and its labels checked in plain PyTorch (seeds 0 and 1) by someone who never read gradguard's diagnosis or
detector rules, frozen (committed) before gradguard's judgment was ever run on any of these cases, then scored
(``benchmarks/judgment_table.py --half fresh18``). Nothing here is tuned on: no case is ever moved to the development
half, and the rules are never changed by looking at these cases' results.

Healthy: all hand-built: MAML (the paper's 1-40-40-1 ReLU sinusoid regressor, one second-order inner step of 0.01,
meta-batches of 25 tasks, 200 distinct meta-batches; Adam meta-lr 3e-3, as the paper's 1e-3 belongs with 70k
iterations and had not learned by step 200: 3.51 -> 3.06 at seed 0), a spiking network (128 leaky integrate-and-fire
neurons, decay 0.9, threshold 1, reset by subtraction, the fast-sigmoid surrogate of slope 25, a leaky readout; Adam
5e-4 as snnTorch's tutorials), BinaryNet (binary weights and activations through straight-through estimators, a
BatchNorm after every binary layer, the latent weights clipped to [-1, 1]; Adam 3e-3, the paper's starting lr),
knowledge distillation (a small MLP student of the data's linear teacher, T 4, alpha 0.9; SGD 0.05 momentum 0.9 wd
5e-4 as the distillation benchmarks' recipe), a ConvLSTM (two layers of 16 channels, next-frame cross-entropy on
moving squares; RMSProp 1e-3 decay 0.9 as Shi et al.), a pointer network sorting 8 numbers (LSTM encoder and
decoder, additive pointer attention, uniform init 0.08; SGD lr 1, batch 128, clip 2 as Vinyals et al.), MemN2N
(three hops, adjacent tying, position and temporal encodings, N(0, 0.1) init, clip 40 as the paper; Adam 0.01 in
place of its SGD 0.01 annealed over 100 epochs) on "where is <person>" stories, GRU4Rec (item embeddings, a GRU of
100, dropout 0.25, full cross-entropy; Adagrad 0.05), a deep equilibrium model (``z = tanh(W z + U x)`` by
fixed-point iteration, the implicit backward by a gradient hook; Adam 1e-3 as the implicit-layers tutorial), ESPCN
(5x5-3x3-3x3 tanh convolutions and the pixel shuffle, MSE; Adam 1e-3), ResMLP (Affine in place of norms, cross-patch
linear, LayerScale 0.1; AdamW 1e-3 wd 0.05 with warm-up), a Gumbel-softmax VAE (8 categorical latents of 10,
temperature 1, the negative ELBO; Adam 3e-3, as Jang et al.'s 1e-3 had not learned by step 200: 44.4 -> 34.3 at seed
0) and a two-tower retrieval model (bag-of-token towers, L2-normalised embeddings, in-batch softmax at temperature
0.05; Adam 1e-3), one query in 16 empty.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh17``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): ResMLP with every weight matrix drawn
  N(0, 1) (init), the spiking network at threshold 50 where its input currents are of unit scale (no neuron ever
  fires, so the surrogate gradient at ``v - 50`` is ~1e-6 and the readout sees only zeros: a dead activation),
  ResMLP as 24 plain blocks without residual sums or LayerScale (depth), the DEQ's ``W`` at spectral radius 3 (no
  contraction: the iteration does not settle) and GRU4Rec's recurrent weights drawn N(0, 25) (recurrence), ESPCN at
  Adam lr 1, the DEQ at Adam lr 1 and GRU4Rec at Adagrad lr 10 (lr), BinaryNet without its BatchNorms
  (normalization), the pointer network given values in [0, 1000] where it expects [0, 1] (data), the two-tower
  model's cosine written ``e / e.norm()`` without an eps, an empty query's zero embedding giving 0/0 (numeric), and
  GRU4Rec at Adagrad ``weight_decay=1`` and MemN2N at Adam ``weight_decay=1`` (regularization);
- **slip** (a user's mistake of a kind no earlier batch used): MemN2N's embeddings initialised by
  ``nn.init.normal_(w, 0.1)``, the paper's std 0.1 landing in the mean slot (mean 0.1, std 1; init), BinaryNet's
  activations binarised by ``torch.sign`` itself instead of the straight-through estimator (its gradient is zero
  everywhere, so only the last layer learns; activation), the ConvLSTM's optimizer built as
  ``torch.optim.RMSprop(params, 0.9)``, Shi et al.'s decay 0.9 passed where the second positional argument is the
  learning rate (lr), BinaryNet with its last BatchNorm left out ("no normalisation before the softmax": the logits,
  sums of 256 products of +-1, have no scale to learn; normalization), the distillation loss given the teacher's
  softmax probabilities where its logits belong (softened again at T 4 they are nearly uniform; data), the spiking
  network's sigmoid surrogate derivative written out as ``k exp(-k v) / (1 + exp(-k v))^2`` (``exp`` overflows to
  inf below ``k v = -88``: inf/inf is NaN; numeric), and the distiller's SGD given ``weight_decay=0.9995``, a
  per-step keep factor, where the decay rate ``1 - 0.9995 = 5e-4`` belongs (regularization). No recurrence slip
  survived (the three tried are below) and no depth slip was tried: the commons outnumber the slips (13 to 7). Four
  of the slips live in the code around the model (the init call, the two optimizers' construction and the
  distillation loss).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except the depth case's, ResMLP at 24 blocks with its residuals and LayerScale
(2.27 -> 3.8e-4 and 2.34 -> 9.7e-5), and the exp-surrogate slip's, the spiking network with the same sigmoid
surrogate written ``k s (1 - s)``, ``s = sigmoid(k v)`` (2.80 -> 0.849 and 3.09 -> 0.858).

Learning criteria: the classifiers compare with chance (ten classes; MemN2N's 12 words; GRU4Rec's 51 scores; the
two-tower model's 64 in-batch candidates; the pointer network's mean of ln(8 - i)); MAML, distillation, the
ConvLSTM, ESPCN and the VAE compare with their first loss. Measured plain runs (seed 0, seed 1): MAML 3.50 -> 2.06
and 3.97 -> 2.08; the spiking network 2.80 -> 0.876 and 3.09 -> 0.886; BinaryNet 2.92 -> 1.14 and 2.72 -> 1.13;
distillation 10.7 -> 0.154 and 9.73 -> 0.222; the ConvLSTM 0.801 -> 0.256 and 0.613 -> 0.153; the pointer network
1.33 -> 0.166 and 1.33 -> 0.152; MemN2N 2.48 -> 0.098 and 2.50 -> 0.111; GRU4Rec 3.96 -> 1.66 and 3.93 -> 1.67; the
DEQ 2.36 -> 0.698 and 2.41 -> 0.695; ESPCN 0.298 -> 0.0024 and 0.296 -> 0.0028; ResMLP 2.30 -> 5.0e-4 and
2.32 -> 5.4e-4; the VAE 44.4 -> 29.0 and 44.3 -> 19.4 (the criterion is 33.3); the two-tower model 7.08 -> 1.44 and
7.57 -> 1.57. Broken: ``resmlp_init_std_1`` 5.4e5 -> 337 and 7.7e5 -> 419; ``memn2n_init_std_in_mean_slot``
21.3 -> 2.66 and 23.1 -> 2.03 (the criterion is 1.86); ``snn_threshold_50_dead_neurons`` 2.32 -> 2.28 and
2.35 -> 2.29; ``binarynet_activations_by_torch_sign`` 2.92 -> 1.99 and 2.72 -> 2.00 (the criterion is 1.73);
``resmlp_24_plain_blocks`` 2.30 -> 2.30 and 2.32 -> 2.30; ``deq_spectral_radius_3`` 2.53 -> 2.15 and 2.47 -> 2.13;
``gru4rec_recurrent_normal_std_5`` 4.04 -> 3.08 and 4.04 -> 3.19 (the criterion is 2.95); ``espcn_adam_lr1``
diverges at step 1 (then recovers: ends 0.058 and 0.058, weights x143 and x144); ``deq_adam_lr1`` diverges at step 1
(ends 10.6 and 8.55, weights x51 and x64); ``gru4rec_adagrad_lr10`` diverges at step 1 (ends 21.8 and 21.9, weights
x62 and x61); ``convlstm_rmsprop_decay_in_lr_slot`` diverges at step 1 (ends 0.536 and 0.700, weights x213 and
x199); ``binarynet_without_batchnorm`` 28.6 -> 8.36 and 24.4 -> 8.06; ``binarynet_output_batchnorm_left_out``
29.2 -> 5.34 and 22.9 -> 5.17; ``pointer_net_values_x1000`` 1.33 -> 1.33 and 1.33 -> 1.32;
``distillation_teacher_probabilities_as_logits`` 0.272 -> 0.229 and 0.265 -> 0.224;
``two_tower_cosine_without_eps_empty_queries`` is NaN at step 0; ``snn_sigmoid_surrogate_written_with_exp`` has
non-finite weights after step 0 (its loss 2.80 and 3.09 is finite, the gradient is not);
``gru4rec_adagrad_weight_decay_1`` 3.96 -> 3.93 and 3.93 -> 3.93; ``memn2n_adam_weight_decay_1`` 2.48 -> 2.48 and
2.50 -> 2.48; ``distillation_weight_decay_as_keep_factor`` 10.7 -> 9.93 and 9.73 -> 9.83.

Dropped before the freeze (seed 0 only where one figure is given): the DEQ's ``W`` initialised by
``nn.init.eye_`` as an IRNN's (2.43 -> 0.835), the spiking network's decay written ``exp(dt / tau)`` (1.11 per step:
5.33 -> 0.727), the ConvLSTM cell returning ``(c, h)`` where its caller unpacks ``(h, c)`` (0.801 -> 0.116 and 0.613
-> 0.108), MAML's query set drawn by a second call of the task sampler, a new task (4.68 -> 3.04 and 5.06 -> 3.06:
with phases in [0, pi] the tasks' mean ``-(2/pi) E[A] cos x`` is learnable, so the first loss is no floor), the
two-tower model without its L2 normalisation at temperature 0.05 (6.69 -> 1.63), the pointer network with its clip
called before ``backward`` (the clip never engaged: the same run as the healthy one), ESPCN at Adam
``weight_decay=1`` (0.298 -> 0.094), GRU4Rec's recurrent weights at N(0, 1) (4.05 -> 2.60), and the two-tower model
with Adam's betas swapped to (0.999, 0.9) (7.08 -> 3.28 against a criterion of 3.12: too close to call). The two-tower
model at Adam lr 1 learned (7.08 -> 1.29, weights x12) and was left out. Before the freeze the VAE's images were
noisier (pixels on with probability ``sigmoid(3 t)``: 44.4 -> 41.2 at lr 1e-3) and MAML's meta-batches held 10
tasks from 32 cycled batches (4.08 -> 3.14 at lr 1e-3).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh18_builders as F

P = functools.partial
HALF = "fresh18"
#: chance losses: ten classes, the 12-word MemN2N vocabulary, 51 item scores (50 items and the pad), 64 in-batch
#: candidates, and the pointer network's mean of ln(8 - i) over its 8 steps (the pointed inputs are masked); MAML,
#: distillation, the ConvLSTM, ESPCN and the VAE have none (their first loss is the reference)
C10, WORDS, ITEMS, BATCH, SORT = math.log(10), math.log(12), math.log(51), math.log(64), math.lgamma(9) / 8
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH18_HEALTHY: list[Case] = [
    _h("maml_sinusoid", HALF, "maml", F.maml, None),
    _h("spiking_classifier", HALF, "snn", F.snn, C10),
    _h("binarynet_mlp", HALF, "bnn", F.bnn, C10),
    _h("distilled_student", HALF, "distillation", F.distillation, None),
    _h("convlstm_next_frame", HALF, "convlstm", F.convlstm, None),
    _h("pointer_net_sorting", HALF, "pointer_net", F.pointer_net, SORT),
    _h("memn2n_babi", HALF, "memn2n", F.memn2n, WORDS),
    _h("gru4rec_sessions", HALF, "gru4rec", F.gru4rec, ITEMS),
    _h("deq_classifier", HALF, "deq", F.deq, C10),
    _h("espcn_super_resolution", HALF, "espcn", F.espcn, None),
    _h("resmlp_classifier", HALF, "resmlp", F.resmlp, C10),
    _h("gumbel_softmax_vae", HALF, "gumbel_vae", F.gumbel_vae, None),
    _h("two_tower_retrieval", HALF, "two_tower", F.two_tower, BATCH),
]

FRESH18_BROKEN: list[Case] = [
    # init
    _b("resmlp_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.resmlp, init_std=1.0), C10),
    _b("memn2n_init_std_in_mean_slot", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.memn2n, mean_slot=True), WORDS),
    # activation
    _b("snn_threshold_50_dead_neurons", HALF, ("activation",), VANISH, STUCK,  # kind: common
       P(F.snn, threshold=50.0), C10),
    _b("binarynet_activations_by_torch_sign", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.bnn, plain_sign=True), C10),
    # depth
    _b("resmlp_24_plain_blocks", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.resmlp, depth=24, residual=False), C10),
    # recurrence
    _b("deq_spectral_radius_3", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.deq, radius=3.0), C10),
    _b("gru4rec_recurrent_normal_std_5", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.gru4rec, recurrent_std=5.0), ITEMS),
    # lr
    _b("espcn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.espcn, lr=1.0), None),
    _b("deq_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.deq, lr=1.0), C10),
    _b("gru4rec_adagrad_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.gru4rec, lr=10.0), ITEMS),
    _b("convlstm_rmsprop_decay_in_lr_slot", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: slip
       P(F.convlstm, decay_as_lr=True), None),
    # normalization
    _b("binarynet_without_batchnorm", HALF, ("normalization",), BOTH, STUCK,  # kind: common
       P(F.bnn, bn=False), C10),
    _b("binarynet_output_batchnorm_left_out", HALF, ("normalization",), BOTH, STUCK,  # kind: slip
       P(F.bnn, out_bn=False), C10),
    # data
    _b("pointer_net_values_x1000", HALF, ("data",), BOTH, STUCK,  # kind: common
       P(F.pointer_net, scale=1000.0), SORT),
    _b("distillation_teacher_probabilities_as_logits", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.distillation, teacher_probs=True), None),
    # numeric
    _b("two_tower_cosine_without_eps_empty_queries", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.two_tower, norm="divide"), BATCH),
    _b("snn_sigmoid_surrogate_written_with_exp", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.snn, surrogate="sigmoid_manual"), C10),
    # regularization
    _b("gru4rec_adagrad_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.gru4rec, weight_decay=1.0), ITEMS),
    _b("memn2n_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.memn2n, weight_decay=1.0), WORDS),
    _b("distillation_weight_decay_as_keep_factor", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.distillation, weight_decay=0.9995), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "resmlp_init_std_1": "common", "memn2n_init_std_in_mean_slot": "slip",
    "snn_threshold_50_dead_neurons": "common", "binarynet_activations_by_torch_sign": "slip",
    "resmlp_24_plain_blocks": "common",
    "deq_spectral_radius_3": "common", "gru4rec_recurrent_normal_std_5": "common",
    "espcn_adam_lr1": "common", "deq_adam_lr1": "common", "gru4rec_adagrad_lr10": "common",
    "convlstm_rmsprop_decay_in_lr_slot": "slip",
    "binarynet_without_batchnorm": "common", "binarynet_output_batchnorm_left_out": "slip",
    "pointer_net_values_x1000": "common", "distillation_teacher_probabilities_as_logits": "slip",
    "two_tower_cosine_without_eps_empty_queries": "common", "snn_sigmoid_surrogate_written_with_exp": "slip",
    "gru4rec_adagrad_weight_decay_1": "common", "memn2n_adam_weight_decay_1": "common",
    "distillation_weight_decay_as_keep_factor": "slip",
}

#: the cases (half "fresh18")
FRESH18: list[Case] = FRESH18_HEALTHY + FRESH18_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "resmlp_init_std_1": F.resmlp,
    "memn2n_init_std_in_mean_slot": F.memn2n,
    "snn_threshold_50_dead_neurons": F.snn,
    "binarynet_activations_by_torch_sign": F.bnn,
    "resmlp_24_plain_blocks": P(F.resmlp, depth=24),
    "deq_spectral_radius_3": F.deq,
    "gru4rec_recurrent_normal_std_5": F.gru4rec,
    "espcn_adam_lr1": F.espcn,
    "deq_adam_lr1": F.deq,
    "gru4rec_adagrad_lr10": F.gru4rec,
    "convlstm_rmsprop_decay_in_lr_slot": F.convlstm,
    "binarynet_without_batchnorm": F.bnn,
    "binarynet_output_batchnorm_left_out": F.bnn,
    "pointer_net_values_x1000": F.pointer_net,
    "distillation_teacher_probabilities_as_logits": F.distillation,
    "two_tower_cosine_without_eps_empty_queries": F.two_tower,
    "snn_sigmoid_surrogate_written_with_exp": P(F.snn, surrogate="sigmoid"),
    "gru4rec_adagrad_weight_decay_1": F.gru4rec,
    "memn2n_adam_weight_decay_1": F.memn2n,
    "distillation_weight_decay_as_keep_factor": F.distillation,
}
