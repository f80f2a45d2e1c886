"""The seventieth held-out batch (half ``"fresh69"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, over language, recommender and tabular models; the settings are the
paper's or its reference code's unless said; the data are synthetic, drawn from the seeds 690_000 + seed, which also
seed the init): the binary Tree-LSTM (Tai, Socher and Manning 2015, narrowed: embeddings of 32 at the reference
code's uniform +-0.05, memory 64, complete binary trees of 16 leaves, the root's state through dropout 0.5 to a
softmax layer; AdaGrad at the paper's lr 0.05 with its L2 1e-4 as weight decay, the embeddings in a second group at
the reference code's embedding lr 0.1 without decay; batch 25, the paper's) classifying the polarity of sentences of
16 words over 200, HRED (Serban et al. 2016, narrowed: embeddings of 32, utterance, context and decoder GRUs of 64,
the decoder started at ``tanh(W c)`` and fed the context at every step; PyTorch's default init; Adam at lr 3e-3, set
here) predicting the reply to three-turn dialogues (the reply is the first turn's words under a fixed permutation),
the pointer sentinel-LSTM (Merity et al. 2017, narrowed: one LSTM layer of 64, the query ``tanh(W h + b)`` over the
window's states and a learnt sentinel, ``g p_vocab + p_ptr``; SGD at lr 1 with clipping at 1, set here) on Markov
texts of 48 common words with two rare words per text that only a pointer can predict, MIND (Li et al. 2019,
narrowed: embeddings of 32 (Glorot-uniform, the ComiRec reference's TensorFlow default), behaviour-to-interest
dynamic routing with a shared bilinear map, random untrained routing logits and three iterations to 4 interest
capsules, two ReLU layers of 32, the label-aware attention with p = 2, the full softmax for the sampled one; Adam at
lr 5e-3, set here (the reference's 1e-3 is too slow for 200 steps), batch 128, the reference's) predicting the next
item (of 200) of users with two item-cluster interests, TransRec (He, Kang and McAuley 2017: items as points, users
as translations ``t + t_u``, score ``beta_j - |gamma_i + t + t_u - gamma_j|``, S-BPR with one uniform negative;
Xavier-normal items as RecBole's implementation, personal translations and biases zero; SGD at lr 0.5, momentum
0.9, set here) on transitions within 40 groups of five items, IFM (Yu, Liu and Zhang 2019: weights and embeddings of
16 at N(0, 0.01^2), the factor estimating network (ReLU 64, 64, a softmax over the 8 fields times 8) reweighting an
FM; binary cross-entropy, Adam at lr 5e-3, set here) on click records labelled by a fixed FM-like teacher, fastai's
``TabularModel`` (Howard and Gugger 2020: embeddings by fastai's size rule at truncated N(0, 0.01^2), the continuous
features through ``BatchNorm1d``, ``LinBnDrop`` blocks of 200 and 100; ``fit_one_cycle``'s AdamW (betas 0.9, 0.99,
eps 1e-5, weight decay 0.01) and one-cycle schedule to lr 1e-2 (25% warm-up, ``div`` 25, ``div_final`` 1e5, beta1
cycled 0.95-0.85) over the 200 steps) on customer records with raw-scale continuous features (two classes), and
LocalGLMnet (Richman and Wuethrich 2023: tanh layers 20, 15, 10 giving the attentions ``beta(x)``, the prediction
``beta_0 + <beta(x), x>``, Glorot-uniform weights and zero biases as Keras'; the square loss, Nadam at Keras' lr 2e-3
and eps 1e-7) on a regression of 8 standardised features mostly beyond a GLM's reach.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh67``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): LocalGLMnet with every weight and bias zero
  (``tanh(0) = 0`` feeds every layer and the zero weights take every gradient back: only the last layer's bias, a
  plain GLM's coefficients, moves; init), MIND's ReLU layers biased -10 (every unit dead; activation), MIND with 30
  ReLU layers at PyTorch's default init (depth), HRED's context GRU with its reset and update gate biases at -5 in
  both ``b_ih`` and ``b_hh`` (``r = z = sigmoid(-10)``: each turn's context forgets the turns before it, and the
  reply depends on the first turn; recurrence), MIND at Adam lr 1, the pointer sentinel-LSTM at SGD lr 100 (clipped
  at 1) and LocalGLMnet at Nadam lr 10 (lr), fastai's model with no BatchNorm anywhere (``use_bn=False,
  bn_cont=False``) on the raw-scale features (normalization, with data), the Tree-LSTM at AdaGrad weight decay 1 and
  IFM at Adam weight decay 1 (regularization), TransRec's next items permuted within every batch, apart from their
  previous items (data), and fastai's visit count taken as ``log`` where ``log1p`` belongs (``log 0 = -inf`` for the
  customers who never visited; numeric, with data);
- **slip** (a user's mistake in optimizer, parameter-group or scheduler configuration, of a kind no earlier batch
  used): HRED's 20-step linear warm-up written ``LinearLR(opt, start_factor=1.0, end_factor=0.01,
  total_iters=20)``, the two factors in each other's place, so the "warm-up" ramps down to 1% of the lr and holds it
  there (lr), IFM's two parameter groups built with the embeddings' multiplier in their lr (``lr * 10``) and again in
  the per-group warm-up ``LambdaLR`` lambdas, which multiply by each group's ``lr_mult`` (the embeddings and feature
  weights at ``lr * 10 ** 2 = 0.5`` once warm; lr), TransRec's "momentum 0.9" written ``SGD(params, lr=0.5,
  dampening=0.9)``, which PyTorch accepts and ignores without ``momentum`` (plain SGD, a tenth of the intended
  effective step; lr), and the Tree-LSTM's AdaGrad given ``eps=0``, the update rule as Duchi et al. write it (the
  embedding rows of words absent from a batch, in the group without decay, have a zero gradient and a zero
  accumulator: ``0 / 0`` at step 0; numeric). Earlier optimizer and scheduler slips (per-epoch schedulers stepped
  per batch, compounding, unclamped, inverted-exponent or integer-divided warm-ups, ``LambdaLR`` returning the lr,
  the cosine formula, ``StepLR``'s gamma and swapped positional arguments, ``ExponentialLR``'s ratio, ``OneCycleLR``'s
  ``div_factor``, ``CosineAnnealingLR``'s ``eta_min``, ``MultiplicativeLR``, ``scheduler.step(loss)``, schedulers
  built in the loop, swapped betas, momentum and weight decay swapped, arguments in the wrong positional slot,
  ``eps=1.0``, decay typos, a classifier group's multiplier written as its lr, an exhausted generator of parameters,
  stale optimizers) are not repeated. Three slips are lr ones and one numeric.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds but two: HRED with the warm-up written ``LinearLR(opt, start_factor=0.01,
end_factor=1.0, total_iters=20)`` (3.204 -> 1.784 and 3.215 -> 1.707) and IFM with the multiplier applied once, the
embeddings at ``lr * 10 = 0.05`` (0.6954 -> 0.0800 and 0.6930 -> 0.116).

Learning criteria: the classifiers compare with chance (two classes for the Tree-LSTM, TransRec's S-BPR pairs, IFM
and fastai's model, the criterion 0.520; HRED's 24 words, 2.383; the pointer model's 64, 3.119; MIND's 200 items,
3.974); LocalGLMnet compares with its first loss. Measured plain runs, 200 steps (seed 0, seed 1): the Tree-LSTM
0.699 -> 0.0013 and 0.686 -> 0.0018; HRED 3.204 -> 1.765 and 3.215 -> 1.718; the pointer sentinel-LSTM 5.246 ->
2.207 and 5.405 -> 2.192; MIND 5.299 -> 3.055 and 5.299 -> 2.803; TransRec 0.700 -> 0.132 and 0.692 -> 0.137; IFM
0.695 -> 0.166 and 0.693 -> 0.179; fastai's model 0.831 -> 0.071 and 0.806 -> 0.069; LocalGLMnet 6.224 -> 0.757 and
4.041 -> 0.725. Broken: ``local_glmnet_zero_init`` 3.821 -> 3.591 and 3.627 -> 3.638; ``mind_relu_biases_minus_10``
5.298 -> 5.298 at both seeds; ``mind_30_relu_layers_default_init`` 5.296 -> 5.281 and 5.300 -> 5.274;
``hred_context_gru_gates_closed`` 3.202 -> 2.897 and 3.213 -> 2.851; ``mind_adam_lr1`` diverges at step 1 at both
seeds (weights x53 and x51; every ReLU unit dies and the loss ends at 5.298, chance); ``pointer_sentinel_sgd_lr100``
diverges at steps 1 and 2 and is non-finite at step 3 at both seeds; ``local_glmnet_nadam_lr10`` diverges at step 1
at both seeds (ends 5448 and 10.22; weights x287 and x282); ``hred_linear_warmup_factors_swapped`` 3.204 -> 3.157
and 3.215 -> 3.159; ``ifm_lr_multiplier_applied_twice`` diverges at step 7 at both seeds (ends 15.72 and 15.05;
weights x32 and x33); ``transrec_momentum_written_as_dampening`` 0.700 -> 0.654 and 0.692 -> 0.668;
``fastai_tabular_without_batchnorm_raw_features`` 411.3 -> 0.687 and 225.9 -> 0.629 (no divergence: the first loss
is the largest); ``tree_lstm_adagrad_weight_decay_1`` 0.699 -> 0.693 and 0.686 -> 0.694; ``ifm_adam_weight_decay_1``
0.695 -> 0.691 and 0.693 -> 0.691; ``transrec_next_items_shuffled`` 0.703 -> 0.603 and 0.694 -> 0.608;
``fastai_tabular_log_of_zero_counts`` is non-finite at step 0 at both seeds (the loss itself);
``tree_lstm_adagrad_eps_zero`` is non-finite at step 0 at both seeds (its weights after the first step; the loss
0.699 and 0.686 was finite). Every case runs at most 5.1 s a seed (the Tree-LSTM, HRED and MIND with 30 layers the
slowest; most under 2 s) on a machine of two cores shared with other work at the time (load up to 8).

Dropped or changed before the freeze (every figure above is from the final code; the ones below are from the code of
the time): the init common was first the pointer sentinel-LSTM with every weight N(0, 1), which learned (11.47 ->
3.018 and 11.85 -> 3.063 against 3.119; its ``init_std`` switch stays in the model, unused); HRED with every weight
N(0, 1) (14.59 -> 10.67 and 13.40 -> 10.60), IFM's embeddings and weights N(0, 1) (9.584 -> 1.703 and 6.658 ->
1.799) and TransRec's items N(0, 10^2) (6.672 -> 3.743 and 5.074 -> 3.490) failed too but were not taken, and the
Tree-LSTM's composer and classifier N(0, 1) learned at seed 1 (0.441 against 0.520). The depth common was first
LocalGLMnet with 30 tanh layers of 20 at its Glorot init, which learned (4.002 -> 1.036 and 3.716 -> 1.082); it
moved to MIND's ReLU layers (20 of them failed as well, 5.280 and 5.275). LocalGLMnet at Nadam lr 1 learned at seed 1
after diverging at step 1 (4.041 -> 2.907 against 3.031), and lr 3 was kept out for lr 10's clearer margin. The
healthy settings first tried did not learn in 200 steps and were raised: HRED at Adam lr 1e-3 (3.204 -> 2.571 and
3.215 -> 2.543), MIND at the ComiRec reference's lr 1e-3 (5.466 -> 5.216 with N(0, 1) embeddings and batch 64; 5.299
-> 5.054 with the Glorot embeddings) and at lr 5e-3 with batch 64 (3.905 at seed 1 against 3.974, too close to
call), TransRec at SGD lr 0.05 with momentum 0.9 (0.700 -> 0.658 and 0.692 -> 0.669), IFM at Adam lr 1e-3 (0.560 and
0.559). IFM at Adam weight decay 0.1 also did not learn (0.677 and 0.678); the case uses 1. No init, activation,
depth, recurrence, normalization, regularization or data slip was written: the commons outnumber the slips (12 to
4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh69_builders as F

P = functools.partial
HALF = "fresh69"
#: chance losses: two classes (the Tree-LSTM's polarities, TransRec's S-BPR pairs, IFM's clicks, fastai's customers),
#: 24 words (HRED's replies), 64 words (the pointer sentinel-LSTM's texts), 200 items (MIND's); LocalGLMnet has none
#: (its first loss is the reference)
C2, WORDS, VOCAB, ITEMS = math.log(2), math.log(24), math.log(64), math.log(200)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH69_HEALTHY: list[Case] = [
    _h("tree_lstm_polarity", HALF, "tree_lstm", F.tree_lstm, C2),
    _h("hred_dialogues", HALF, "hred", F.hred, WORDS),
    _h("pointer_sentinel_lstm_copy_texts", HALF, "pointer_sentinel", F.pointer_sentinel, VOCAB),
    _h("mind_two_interest_users", HALF, "mind", F.mind, ITEMS),
    _h("transrec_group_transitions", HALF, "transrec", F.transrec, C2),
    _h("ifm_clicks", HALF, "ifm", F.ifm, C2),
    _h("fastai_tabular_customers", HALF, "fastai_tabular", F.fastai_tabular, C2),
    _h("local_glmnet_regression", HALF, "local_glmnet", F.local_glmnet, None),
]

FRESH69_BROKEN: list[Case] = [
    # init
    _b("local_glmnet_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.local_glmnet, zero_init=True), None),
    # activation
    _b("mind_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.mind, relu_bias=-10.0), ITEMS),
    # depth
    _b("mind_30_relu_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.mind, layers=30), ITEMS),
    # recurrence
    _b("hred_context_gru_gates_closed", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.hred, context_gate_bias=-5.0), WORDS),
    # lr
    _b("mind_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.mind, lr=1.0), ITEMS),
    _b("pointer_sentinel_sgd_lr100", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.pointer_sentinel, lr=100.0), VOCAB),
    _b("local_glmnet_nadam_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.local_glmnet, lr=10.0), None),
    _b("hred_linear_warmup_factors_swapped", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.hred, warmup="swapped"), WORDS),
    _b("ifm_lr_multiplier_applied_twice", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: slip
       P(F.ifm, emb_mult=10.0, twice=True), C2),
    _b("transrec_momentum_written_as_dampening", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.transrec, momentum=0.0, dampening=0.9), C2),
    # normalization
    _b("fastai_tabular_without_batchnorm_raw_features", HALF, ("normalization", "data"), BOTH,  # kind: common
       STUCK, P(F.fastai_tabular, use_bn=False), C2),
    # regularization
    _b("tree_lstm_adagrad_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.tree_lstm, weight_decay=1.0), C2),
    _b("ifm_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.ifm, weight_decay=1.0), C2),
    # data
    _b("transrec_next_items_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.transrec, shuffled=True), C2),
    # numeric
    _b("fastai_tabular_log_of_zero_counts", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.fastai_tabular, log_zero=True), C2),
    _b("tree_lstm_adagrad_eps_zero", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.tree_lstm, eps=0.0), C2),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "local_glmnet_zero_init": "common", "mind_relu_biases_minus_10": "common",
    "mind_30_relu_layers_default_init": "common", "hred_context_gru_gates_closed": "common",
    "mind_adam_lr1": "common", "pointer_sentinel_sgd_lr100": "common", "local_glmnet_nadam_lr10": "common",
    "hred_linear_warmup_factors_swapped": "slip", "ifm_lr_multiplier_applied_twice": "slip",
    "transrec_momentum_written_as_dampening": "slip", "fastai_tabular_without_batchnorm_raw_features": "common",
    "tree_lstm_adagrad_weight_decay_1": "common", "ifm_adam_weight_decay_1": "common",
    "transrec_next_items_shuffled": "common", "fastai_tabular_log_of_zero_counts": "common",
    "tree_lstm_adagrad_eps_zero": "slip",
}

#: the cases (half "fresh69")
FRESH69: list[Case] = FRESH69_HEALTHY + FRESH69_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "local_glmnet_zero_init": F.local_glmnet,
    "mind_relu_biases_minus_10": F.mind,
    "mind_30_relu_layers_default_init": F.mind,
    "hred_context_gru_gates_closed": F.hred,
    "mind_adam_lr1": F.mind,
    "pointer_sentinel_sgd_lr100": F.pointer_sentinel,
    "local_glmnet_nadam_lr10": F.local_glmnet,
    "hred_linear_warmup_factors_swapped": P(F.hred, warmup="linear"),
    "ifm_lr_multiplier_applied_twice": P(F.ifm, emb_mult=10.0),
    "transrec_momentum_written_as_dampening": F.transrec,
    "fastai_tabular_without_batchnorm_raw_features": F.fastai_tabular,
    "tree_lstm_adagrad_weight_decay_1": F.tree_lstm,
    "ifm_adam_weight_decay_1": F.ifm,
    "transrec_next_items_shuffled": F.transrec,
    "fastai_tabular_log_of_zero_counts": F.fastai_tabular,
    "tree_lstm_adagrad_eps_zero": F.tree_lstm,
}
