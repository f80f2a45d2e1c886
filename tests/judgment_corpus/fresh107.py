"""The hundred-and-eighth held-out batch (half ``"fresh107"``): eight published graph-learning, recommender and tabular
models new to the corpus at their usual settings, and sixteen broken variants with one real fault each, written and
labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned
on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data are
synthetic, drawn from the seeds 1_070_000 + seed): Specformer (Bo et al. 2023, narrowed: the eigendecomposition of the
normalised Laplacian, each eigenvalue encoded ``[lam, sin/cos(100 lam / 10000^(2i/32))]`` and lifted to 32, one pre-LN
Transformer layer of 4 heads over the 240 eigenvalue tokens, a decoder to 4 new eigenvalue sets and their bases ``U
diag(lam_m) U^T``; the node features through ``Linear -> ReLU`` to 32, one spectral layer ``relu(concat_m(S_m H) W)``,
dropout 0.3, the classifier; AdamW lr 5e-3 weight decay 5e-4) and the Ordered GNN (Song et al. 2023, narrowed: an input
Linear to 64, eight ordered message-passing layers with the sum of the neighbours' states ``m = A h``, the split-point
gate ``cumsum(softmax(W [h, m]))`` over 8 chunks of 8 neurons, ``h = g h + (1 - g) m``, the reference code's LayerNorm
``tm_norm`` and dropout 0.2; Adam lr 5e-3 weight decay 5e-4) classifying the nodes of a 240-node stochastic block model
(4 classes, weak features, the loss over the training half); RotatE (Sun et al. 2019: complex entity embeddings of 16,
relations as phases ``r / (range / pi)``, the distance ``sum |h o e^(i theta) - t|``, margin 6, the self-adversarial
negative-sampling loss of temperature 1 with 16 negatives, the reference code's uniform init; Adam at lr 0.01, set here
for 120 entities) on a modular knowledge graph (``t = a_r h + b_r mod 120``, 6 relations, one the inverse of another,
one symmetric); JODIE (Kumar et al. 2019, narrowed to the user side for state-change prediction: static item embeddings
of 16 beside ``log1p`` of the time gap, the user's embedding updated at every event by a tanh RNN cell of 32 and
``F.normalize``d as the reference code does, the projection ``(1 + W_p f(gap)) o u``, an MLP 32 -> 32 -> 4; Adam at lr
3e-3, set here, with the reference code's weight decay 1e-5) on users' histories of 12 events whose state shows in the
class counts of their items; TiSASRec (Li, Wang and McAuley 2020, narrowed: item embeddings of 32 times sqrt(d),
absolute-position and personalised, clipped (k = 16) time-interval embeddings on the keys and the values, two pre-LN
blocks of single-head time-interval-aware causal attention and a ReLU feed-forward, dropout 0.2, the next item scored
against the tied item table over all 64 items, a full softmax in place of the paper's sampled BCE; Adam betas (0.9,
0.98) at the paper's lr 1e-3) on timed item sequences from the corpus' sparse Markov chain (batch 16 of 20); SNGP (Liu
et al. 2020, narrowed to tabular rows: an input Linear to 128, three residual blocks ``h + drop(relu(SN(W) h))`` under
spectral normalisation with bound 0.95 (one power iteration a step on a persistent ``u``, the weight times ``min(1, c /
sigma)``), the random-feature Gaussian-process output layer on 512 features ``sqrt(2 / D) cos(W LN(h) + b)``, ``W`` N(0,
1 / 128) fixed; Adam lr 3e-3, set here, weight decay 1e-4) and SCARF (Bahri et al. 2022, narrowed: 60% of each row's
features replaced by the same features of random other rows of the batch, a ReLU encoder of 4 layers of 128 and a
pre-training head of 2, InfoNCE between each row's clean and corrupted embeddings over the batch of 64 at temperature
0.1, set here (the paper's 1.0 caps the loss near its start at this batch size); Adam at the paper's lr 1e-3) on
16-feature tabular rows labelled by a fixed random tanh teacher (4 classes; SCARF's pre-training ignores the labels);
and the higher-order factorization machine (Blondel et al. 2016, order 3: a bias, linear weights, rank-8 factor tables
for orders 2 and 3 through the ANOVA kernels in power sums, factors N(0, 0.1^2); Adam at lr 0.01 with L2 1e-5, set here,
the paper's solver being coordinate descent) on click logs of 6 fields of 8 values decided by fixed pairwise and
three-way interactions.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): the HOFM's factor tables drawn N(0, 1) (the
  order-3 ANOVA terms of unit factors give logits in the tens: first losses 4.1 and 7.6 against ln 2; init),
  Specformer's two feature ReLUs (the input Linear's and the spectral layer's) shifted by biases of -10, every unit dead
  (activation, with init), SCARF's encoder 30 ReLU layers of 128 deep at PyTorch's default init (its variance ``1 / (3
  fan_in)`` shrinks the signal about sqrt(6) = 2.45 times a layer: every row gets the same embedding and the InfoNCE
  stays at ln 64; depth, with init), JODIE's recurrent matrix rescaled to spectral radius 20 (the normalised state times
  20 saturates the tanh, and the state is a sign pattern the events cannot move; recurrence, with init), Specformer at
  AdamW lr 1, TiSASRec, SNGP and RotatE at Adam lr 1 (lr), the Ordered GNN without its LayerNorms (the sum over about
  six neighbours compounds over the eight layers: first losses 1.3e5 and 1.3e4; normalization), the HOFM at Adam's
  coupled L2 of 1 (the factors shrink to zero and the model keeps the base rate) and RotatE at the same (the embeddings
  shrink towards 0, every distance with them, so positives and negatives score alike: the loss climbs towards
  ``(softplus(-6) + softplus(6)) / 2 = 3.0`` and passes twice its start at step 50 or 51; regularization), TiSASRec's
  next-item rows permuted within every batch, apart from their sequences (data), and JODIE's time feature ``log(gap)``
  in place of ``log1p(gap)`` on histories where 15% of the gaps are exactly 0, events logged in the same second (``log 0
  = -inf`` enters the RNN: NaN at step 0; numeric, with data);
- **slip** (a user's mistake in weight reparameterisation or parameter sharing, of a kind no earlier batch used):
  TiSASRec's item table put under a hand-written weight normalisation with one magnitude for the whole table, ``E = g V
  / ||V||`` (``dim=None``), ``g = nn.Parameter(torch.ones(()))`` where ``weight_norm``'s ``g = ||V||`` belongs: the 65 x
  32 table's Frobenius norm is 1, so each row's norm is about ``1 / sqrt(65) = 0.12`` where the healthy rows' is about
  1; the tied output's logits start within ``+-|LN(x)| |row| = +-5.7 x 0.12 = +-0.7``, too flat for a peaked next-item
  distribution, and Adam moves the one scalar ``g`` by about its lr a step (init: the reparameterised magnitude's
  initial value, with normalization, the output's scale, accepted); SCARF's fine-tuning adapter, a hand-written LoRA
  (rank 4, alpha 8) on each frozen pre-trained encoder Linear, with ``B`` left at ``nn.Linear``'s default init beside
  ``A`` and the scale typed ``alpha * r = 32`` where ``alpha / r = 2`` belongs (``32 B A``'s entries are about 18 times
  the pre-trained weights' they are added to, so the fine-tune starts from a wrecked encoder, first losses 2,356 and
  1,222, and every adapter step is 16 times the intended one; init: a LoRA adapter must start at zero, with lr, the
  scale multiplying every step, accepted; its control is the same fine-tune with ``B`` at zero and ``alpha / r``); and
  SNGP's power-iteration vector registered as ``torch.zeros(out)`` where a random unit vector belongs (``v =
  normalize(W^T 0) = 0``, so ``sigma = u^T W v = 0``; the forward's ``clamp(c / sigma, max=1)`` is 1 and the loss at
  step 0 is finite, but the backward of ``c / sigma`` is ``-0 * c / 0^2 = NaN``, which ``d sigma / d W = u v^T`` passes
  to every entry of the three normalised weights: they are NaN after the first step, and ``u`` never leaves 0; numeric:
  a power-iteration estimate of zero in a divisor). Earlier sharing and registration slips (ties made where a copy was
  meant, tied modules listed per use, stacks made by list multiplication, shallow-copied EMAs, unregistered tables,
  layers created in ``forward``, operators registered as parameters, tied output scales) and the straight-through slips
  (``torch.sign`` and threshold units) are not repeated: here a weight norm's magnitude starts at 1 over a many-row
  direction, a low-rank adapter starts non-zero at a multiplied scale, and a spectral norm's power iteration starts at
  zero. None of the slips is an activation, depth, recurrence, regularization or data one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0 and
1; all are the healthy builds except the LoRA slip's (``scarf_lora``, the fine-tune with a sound adapter: 1.391 ->
0.5532 and 1.389 -> 0.554).

Learning criteria: four classes for Specformer, the Ordered GNN, JODIE, SNGP and the SCARF fine-tune, TiSASRec's 64
items, SCARF's InfoNCE over 64 candidates (ln 64), the HOFM's two classes; RotatE's loss has no uniform prediction and
is compared with its own first loss. Measured plain runs, 200 steps (seed 0, seed 1): Specformer 1.385 -> 0.0053 and
1.389 -> 0.0072; the Ordered GNN 1.623 -> 0.0369 and 1.405 -> 0.0374; RotatE 1.310 -> 0.368 and 1.308 -> 0.367; JODIE
1.368 -> 0.550 and 1.399 -> 0.896 (the criterion 1.040); TiSASRec 5.284 -> 1.955 and 5.099 -> 1.987; SNGP 1.382 -> 0.438
and 1.383 -> 0.471; SCARF 4.140 -> 2.417 and 4.147 -> 2.618 (the criterion 3.105 and 3.110); the HOFM 0.692 -> 0.244 and
0.702 -> 0.122. Broken: ``hofm_factors_init_std_1`` 4.126 -> 0.772 and 7.550 -> 0.958 (the criterion 0.520; no
divergence); ``specformer_relu_biases_minus_10`` 1.385 -> 1.375 and 1.391 -> 1.381;
``scarf_30_layer_encoder_default_init`` 4.159 -> 4.159 at both seeds; ``jodie_recurrent_radius_20`` 1.370 -> 1.374 and
1.385 -> 1.374; ``specformer_adamw_lr1`` diverges at step 1 at both seeds (ends 1.2e12 and 3.3e10; weights x146 and
x107); ``tisasrec_adam_lr1`` diverges at step 1 at both seeds (ends 43.9 and 48.6; weights x51 and x47);
``sngp_adam_lr1`` diverges at step 6 and step 1 (ends 2.643 and 2.796; weights x10 at step 0); ``rotate_adam_lr1``
diverges at step 1 at both seeds (ends 3.594 and 3.406); ``ordered_gnn_without_layernorm`` 1.27e5 -> 2.237 and 1.26e4 ->
1.133 (the criterion 1.040: the second seed recovers most of the way; no divergence); ``hofm_adam_weight_decay_1`` 0.692
-> 0.681 and 0.702 -> 0.686; ``rotate_adam_weight_decay_1`` 1.310 -> 2.944 and 1.308 -> 2.944, diverging at steps 51 and
50; ``tisasrec_next_items_shuffled`` 5.110 -> 4.181 and 5.015 -> 4.167; ``tisasrec_item_table_weight_norm_g_1`` 4.170 ->
3.629 and 4.171 -> 3.621 (the criterion 3.119; the healthy build ends 1.96); ``scarf_lora_b_default_init_alpha_times_r``
2356 -> 4.758 and 1222 -> 3.991 (no divergence); ``jodie_log_of_zero_time_gaps`` (the loss itself) and
``sngp_power_iteration_u_zeros`` (the weights after the first update; the loss at step 0 is 1.385 and 1.386) are
non-finite at step 0 at both seeds. The cases run in 0.1 to 9 s a seed on a machine of two cores shared with three other
helpers' runs (load 4 to 8); the 30-layer SCARF encoder and Specformer are the slowest, and the LoRA cases include their
150 pre-training steps in the build.

Dropped or changed before the freeze (every figure above is from the final code): JODIE's state was first the class of
the user's first item, which a tanh RNN had to carry over 12 normalised updates: it did not learn at lr 1e-3 (1.380 ->
1.364 at seed 0), nor at 3e-3 or 1e-2 with 8 or 12 events (1.272 at best); the state now shows in the counts of the
user's items (35% of them from its class), and the lr is 3e-3 (1e-3 ended 1.083 against the criterion 1.040). JODIE's
recurrent radius at 5 (0.641 at seed 0) and at 0.05 (0.637) learned; the recurrence common is radius 20. SNGP's random
features first had ``W`` N(0, 1) on the LayerNorm'd 128-dimensional features (a kernel length scale of 1 where the
points lie about 16 apart: 1.382 -> 1.353, not learned); ``W`` is N(0, 1 / 128). Measured at seed 0 and not frozen, the
slots for their causes being taken on other architectures: the Ordered GNN at Adam lr 1 (diverges at step 1, ends
1.374), SNGP at AdamW weight decay 50 (1.382 -> 1.353), SNGP with its labels shuffled (1.383 -> 1.269), SCARF's ReLU
biases at -10 (4.159 flat) and TiSASRec with every Linear and embedding N(0, 1) (14.92 -> 7.188, no divergence).
Considered and not written: SNGP's zero ``u`` under the bound written ``W / max(1, sigma / c)`` (harmless: the layer is
then merely unnormalised, and ``maximum`` sends no gradient to ``sigma``); a pruning mask applied to the gradients by a
hook (the frozen, unpruned weights still carry a random signal and the dense layers above it learn, so a plain run would
not fail); and a hashed, summed embedding bag (too close to ``fresh103``'s hash bucket and ``fresh101``'s summed
pooling).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh107_builders as F

P = functools.partial
HALF = "fresh107"
#: chance losses: four classes (Specformer's and the Ordered GNN's nodes, JODIE's user states, SNGP's and the SCARF
#: fine-tune's rows), TiSASRec's 64 items, SCARF's InfoNCE over a batch of 64, HOFM's clicks (two classes); RotatE's
#: loss has no uniform prediction (None: its own first loss is the reference)
C4, ITEMS, SCARF_K, C2 = math.log(4), math.log(64), math.log(64), math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH107_HEALTHY: list[Case] = [
    _h("specformer_sbm_nodes", HALF, "specformer", F.specformer, C4),
    _h("ordered_gnn_sbm_nodes", HALF, "ordered_gnn", F.ordered_gnn, C4),
    _h("rotate_modular_kg", HALF, "rotate", F.rotate, None),
    _h("jodie_user_states", HALF, "jodie", F.jodie, C4),
    _h("tisasrec_timed_items", HALF, "tisasrec", F.tisasrec, ITEMS),
    _h("sngp_tabular_rows", HALF, "sngp", F.sngp, C4),
    _h("scarf_tabular_pretraining", HALF, "scarf", F.scarf, SCARF_K),
    _h("hofm_order3_clicks", HALF, "hofm", F.hofm, C2),
]

FRESH107_BROKEN: list[Case] = [
    # init
    _b("hofm_factors_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.hofm, init_std=1.0), C2),
    # activation
    _b("specformer_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.specformer, relu_bias=-10.0), C4),
    # depth
    _b("scarf_30_layer_encoder_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.scarf, layers=30), SCARF_K),
    # recurrence
    _b("jodie_recurrent_radius_20", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.jodie, radius=20.0), C4),
    # lr
    _b("specformer_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.specformer, lr=1.0), C4),
    _b("tisasrec_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.tisasrec, lr=1.0), ITEMS),
    _b("sngp_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.sngp, lr=1.0), C4),
    _b("rotate_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.rotate, lr=1.0), None),
    # normalization
    _b("ordered_gnn_without_layernorm", HALF, ("normalization",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.ordered_gnn, ln=False), C4),
    # regularization
    _b("hofm_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.hofm, weight_decay=1.0), C2),
    _b("rotate_adam_weight_decay_1", HALF, ("regularization",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.rotate, weight_decay=1.0), None),
    # data
    _b("tisasrec_next_items_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.tisasrec, shuffled=True), ITEMS),
    # numeric
    _b("jodie_log_of_zero_time_gaps", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.jodie, log_gap=True), C4),
    # slips
    _b("tisasrec_item_table_weight_norm_g_1", HALF, ("init", "normalization"), VANISH, STUCK,  # kind: slip
       P(F.tisasrec, weight_norm=True), ITEMS),
    _b("scarf_lora_b_default_init_alpha_times_r", HALF, ("init", "lr"), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.scarf_lora, slip=True), C4),
    _b("sngp_power_iteration_u_zeros", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.sngp, zero_u=True), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "hofm_factors_init_std_1": "common", "specformer_relu_biases_minus_10": "common",
    "scarf_30_layer_encoder_default_init": "common", "jodie_recurrent_radius_20": "common",
    "specformer_adamw_lr1": "common", "tisasrec_adam_lr1": "common", "sngp_adam_lr1": "common",
    "rotate_adam_lr1": "common", "ordered_gnn_without_layernorm": "common", "hofm_adam_weight_decay_1": "common",
    "rotate_adam_weight_decay_1": "common", "tisasrec_next_items_shuffled": "common",
    "jodie_log_of_zero_time_gaps": "common",
    "tisasrec_item_table_weight_norm_g_1": "slip", "scarf_lora_b_default_init_alpha_times_r": "slip",
    "sngp_power_iteration_u_zeros": "slip",
}

#: the cases (half "fresh107")
FRESH107: list[Case] = FRESH107_HEALTHY + FRESH107_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "hofm_factors_init_std_1": F.hofm,
    "specformer_relu_biases_minus_10": F.specformer,
    "scarf_30_layer_encoder_default_init": F.scarf,
    "jodie_recurrent_radius_20": F.jodie,
    "specformer_adamw_lr1": F.specformer,
    "tisasrec_adam_lr1": F.tisasrec,
    "sngp_adam_lr1": F.sngp,
    "rotate_adam_lr1": F.rotate,
    "ordered_gnn_without_layernorm": F.ordered_gnn,
    "hofm_adam_weight_decay_1": F.hofm,
    "rotate_adam_weight_decay_1": F.rotate,
    "tisasrec_next_items_shuffled": F.tisasrec,
    "jodie_log_of_zero_time_gaps": F.jodie,
    "tisasrec_item_table_weight_norm_g_1": F.tisasrec,
    "scarf_lora_b_default_init_alpha_times_r": F.scarf_lora,
    "sngp_power_iteration_u_zeros": F.sngp,
}
