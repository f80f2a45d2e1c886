"""The forty-seventh held-out batch (half ``"fresh46"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 460_000 + seed): S5 (Smith, Warrington and Linderman 2023, narrowed: embeddings of
64, two layers of the MIMO diagonal state space with 32 states (16 conjugate pairs) at the HiPPO-N eigenvalues
``-1/2 + i w``, ZOH with one timescale per state log-uniform in [1e-3, 1e-1], pre-LayerNorm, GELU, dropout 0.1, the
last step read out (the reference code's ``mode="last"``); AdamW with its two groups, the SSM parameters at lr 2e-3
without weight decay and the rest at lr 1e-2 with weight decay 0.04, values set here) classifying 32-token sequences
by their first token (4 classes), H3 (Fu et al. 2023, narrowed: two H3 layers of width 64 without attention layers,
the shift SSM as a learned causal kernel of 4 steps on K, the S4D-Lin diagonal SSM of 16 states on ``K * V`` by FFT,
the product with Q, a GELU MLP, pre-LayerNorms, tied embeddings; N(0, 0.02^2) Linears and embeddings; AdamW betas
0.9, 0.95 at lr 1e-3 (set here) with weight decay 0.1 off the SSM parameters) on the corpus' Markov language,
K-NRM (Xiong et al. 2017: learned embeddings of 32, the cosine translation matrix, 11 RBF kernels (exact match
``sigma = 1e-3``, the rest 0.1), the log of each kernel's soft-TF clamped at 1e-10 and times 0.01, ``tanh(w . phi +
b)``; the pairwise hinge loss of margin 1; Adam at lr 3e-3, set here) ranking a relevant document above an
irrelevant one for 4-word queries, cross-stitch networks (Misra et al. 2016, narrowed: two AlexNet-style columns of
3x3 convolutions 16 and 32 with max-pooling and a ReLU fc of 64, cross-stitch units at ``alpha_S = 0.9``, ``alpha_D
= 0.1`` after each pooling and the fc; the two hand-written cross-entropies summed; SGD lr 0.01 (set here), momentum
0.9, weight decay 5e-4) on images carrying two tasks' labels (5 and 4 classes), DeepSurv (Katzman et al. 2018: two
ReLU layers of 32 with dropout 0.1 and a linear log-risk, Glorot-uniform init; the negative Cox partial
log-likelihood written by hand with ``logcumsumexp`` over the subjects sorted by decreasing time, averaged over the
events; Adam lr 3e-3, set here) on simulated censored survival data (batch 128, about a third censored), Deep SVDD
(Ruff et al. 2018, narrowed: the bias-free LeNet-type network with affine-free BatchNorms (eps 1e-4) and leaky ReLUs,
32 outputs; the centre from the initial network's mean output with the reference code's +-0.1 fix-up; the one-class
loss ``mean |phi(x) - c|^2``; Adam at the paper's lr 1e-4 and weight decay 5e-7; the autoencoder pretraining left
out) on one class's images, SupCon (Khosla et al. 2020, narrowed: a CIFAR-style ResNet of 16 and 32 channels and the
MLP projection head, L2-normalised; the reference code's ``SupConLoss`` written out with temperature 0.07; SGD at its
lr 0.05, momentum 0.9, weight decay 1e-4) on two augmented views of 24 class-template images (10 classes), and SimMIM
(Xie et al. 2022, narrowed: a ViT of width 64 with two pre-LN blocks of 4 heads on 4x4 patches of 16x16 images, a
learned mask token, the one-layer linear prediction head; truncated-normal 0.02 init; the L1 loss on the masked
pixels (the reference code's normalisation); AdamW lr 1e-3 (set here: the paper's base lr is for batch 2048), weight
decay 0.05) reconstructing 60% masked patches.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh44``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every H3 Linear and embedding drawn N(0, 1)
  (init), the cross-stitch network's fc biases at -10 (every fc unit dead; activation), DeepSurv 30 hidden layers
  deep at its Glorot-uniform init (depth), S5's timescales drawn 1000 times too long, log-uniform in [1, 100] (every
  state keeps at most ``exp(-1/2) = 0.61`` of itself a step, and the first token is gone by the last; recurrence),
  H3 and S5 at AdamW lr 1 (every group) and Deep SVDD at Adam lr 10 (lr), SimMIM without its LayerNorms (the blocks'
  and the final one; normalization), the cross-stitch network at SGD weight decay 0.5 and DeepSurv at Adam
  ``weight_decay=1`` (regularization), the cross-stitch network's labels (both tasks') permuted within every batch,
  apart from their images (data), and K-NRM's kernel log without its clamp (an irrelevant document's exact-match
  kernel sums to 0: ``log 0``; numeric);
- **slip** (a user's mistake in a hand-written loss, of a kind no earlier batch used): SupCon's logits written
  ``f f^T * temperature`` where ``/ temperature`` belongs (every logit within +-0.07: the loss stays near ln 47;
  activation, the capped logits, with normalization, the L2-normalised features the temperature scales, as a second
  cause), DeepSurv's ``torch.logcumsumexp(h, dim=-1)`` on the ``(b, 1)`` log-risks (the habit of the last axis: each
  risk set is the subject alone, and every term is ``h_i - h_i = 0``; the gradient is float rounding, ~1e-7; data),
  K-NRM's hinge written ``F.margin_ranking_loss(s_rel, s_irr, y, margin=1)`` with the batch's label, the relevant
  document's index 0, for ``y``, which must be +1 (every term is ``max(0, -0 (s_rel - s_irr) + 1) = 1``; data), and
  SupCon's ``log_prob`` written ``log(exp_logits / exp_logits.sum(1))`` where ``logits - log(exp_logits.sum(1))``
  belongs (the masked-out self-contrast has ratio 0, ``log 0 = -inf``, and the positives' mask is 0 there: ``0 *
  -inf`` is NaN; numeric). None of the slips is an init, depth, recurrence, lr or regularization one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds.

Learning criteria: S5 (four classes) and the cross-stitch network (``ln 5 + ln 4``) compare with chance, H3 with the
64 tokens' ``ln 64``; K-NRM, DeepSurv, Deep SVDD, SupCon and SimMIM with their first loss. Measured plain runs, 200
steps (seed 0, seed 1): S5 1.409 -> 0.763 and 1.389 -> 0.793 (the criterion 1.040); H3 4.161 -> 1.262 and 4.212 ->
1.253; K-NRM 0.871 -> 0.289 and 0.978 -> 0.330; the cross-stitch network 3.014 -> 0.0024 and 2.996 -> 0.0013;
DeepSurv 4.522 -> 2.783 and 4.639 -> 2.874 (the criteria 3.392 and 3.479); Deep SVDD 8.434 -> 0.811 and 9.722 ->
0.769; SupCon 3.780 -> 1.597 and 3.773 -> 1.536; SimMIM 0.601 -> 0.314 and 0.655 -> 0.320 (the criteria 0.451 and
0.491). Broken: ``h3_init_std_1`` 19.27 -> 4.584 and 19.23 -> 4.479 (no divergence; the gradient 3x the healthy one
at step 0); ``cross_stitch_relu_biases_minus_10`` 2.990 -> 2.992 and 2.986 -> 2.996;
``supcon_logits_times_temperature`` 3.850 -> 3.784 at both seeds (the gradient 1/170 of the healthy one at step 0);
``deepsurv_30_layers_glorot`` 4.557 -> 3.612 and 4.509 -> 3.625 (the criteria 3.418 and 3.382);
``s5_timescales_x1000`` 1.434 -> 1.363 and 1.401 -> 1.342; ``h3_adamw_lr1`` diverges at step 1 and is non-finite at
step 3 at both seeds; ``s5_adamw_lr1`` diverges at step 1 at both seeds and is non-finite at steps 12 and 8;
``deep_svdd_adam_lr10`` diverges at step 1 at both seeds (ends 1040 and 573.5; weights x587 and x599 after the first
step); ``simmim_without_layernorm`` 0.587 -> 0.517 and 0.643 -> 0.523 (the criteria 0.441 and 0.482; the gradient
1/26 of the healthy one at step 0); ``cross_stitch_sgd_weight_decay_0.5`` 3.014 -> 2.994 and 2.996 -> 2.996;
``deepsurv_adam_weight_decay_1`` 4.522 -> 4.572 and 4.639 -> 4.562; ``cross_stitch_labels_shuffled`` 3.008 -> 2.967
and 2.987 -> 2.959; ``deepsurv_risk_set_over_last_axis`` 0 -> 0 at both seeds (the loss is -0.0 at every step);
``knrm_label_as_margin_ranking_target`` 1 -> 1 at both seeds; ``knrm_kernel_log_without_clamp`` has a finite loss at
step 0 (0.522 and 0.719) and non-finite weights after it at both seeds; ``supcon_log_of_softmax_ratio`` is
non-finite at step 0 at both seeds (the loss itself). Every case runs at most 5.6 s a seed (SupCon the slowest, on a
machine shared with other work).

Dropped or changed before the freeze (every figure above is from the final code; the dropped variants' figures are
from the same data and settings, before their switches were removed): S5 at lr 3e-3 for the rest and 1e-3 for the
SSM parameters did not learn the first-token task (1.409 -> 1.214 at seed 0); K-NRM at the paper's Adam lr 1e-3 ended
at 0.676 against the criterion 0.654 (seed 0); DeepSurv at lr 1e-3 on a log-risk a quarter of the final one did not
learn (4.374 -> 3.660 and 4.547 -> 3.678); SupCon ran 6.6 s a seed at batch 32 and uses 24. Written, measured and
dropped: SimMIM with every Linear drawn N(0, 1) learned (6.368 -> 0.644 and 6.479 -> 0.657), SupCon at SGD lr 10
learned though its weights grew 14x (3.780 -> 2.066 and 3.773 -> 2.553), SupCon without its BatchNorms learned at its
lr 0.05 (3.823 -> 1.597) and at lr 0.5 at seed 1 (3.840 -> 2.723), K-NRM at Adam weight decay 1 learned (0.871 ->
0.582 and 0.978 -> 0.598), Deep SVDD at Adam lr 1 learned at seed 1 after its first-step jump (9.722 -> 4.864; the
case uses lr 10); the init common is H3's. Three more loss slips were written and measured: the cross-stitch
network's cross-entropies written ``.mean()`` over the ``(b, classes)`` product where ``.sum(1).mean()`` belongs
learned (0.673 -> 0.056 and 0.669 -> 0.076: SGD at a fifth of its lr still learns this task), DeepSurv's model
returning the hazard ratio ``exp(h)`` into the loss that takes log-risks learned, narrowly (4.508 -> 3.357 against
3.381, 4.538 -> 3.401 against 3.404), and DeepSurv's event indicator taken from a status column coded 1 = censored
did not learn (3.369 -> 3.434 and 3.549 -> 3.417) but was not kept, DeepSurv already holding a data slip. No init,
depth, recurrence, lr or regularization slip survived: the commons outnumber the slips (12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh46_builders as F

P = functools.partial
HALF = "fresh46"
#: chance losses: four classes (S5's first tokens), 64 tokens (H3's language), five and four classes summed (the
#: cross-stitch network's two tasks); K-NRM, DeepSurv, Deep SVDD, SupCon and SimMIM have none (their first loss is
#: the reference)
C4, LM, TWO = math.log(4), math.log(64), math.log(5) + math.log(4)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH46_HEALTHY: list[Case] = [
    _h("s5_first_token", HALF, "s5", F.s5, C4),
    _h("h3_markov_lm", HALF, "h3", F.h3, LM),
    _h("knrm_ranking", HALF, "knrm", F.knrm, None),
    _h("cross_stitch_two_tasks", HALF, "cross_stitch", F.cross_stitch, TWO),
    _h("deepsurv_survival", HALF, "deepsurv", F.deepsurv, None),
    _h("deep_svdd_one_class", HALF, "deep_svdd", F.deep_svdd, None),
    _h("supcon_views", HALF, "supcon", F.supcon, None),
    _h("simmim_masked_images", HALF, "simmim", F.simmim, None),
]

FRESH46_BROKEN: list[Case] = [
    # init
    _b("h3_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.h3, init_std=1.0), LM),
    # activation
    _b("cross_stitch_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.cross_stitch, relu_bias=-10.0), TWO),
    _b("supcon_logits_times_temperature", HALF, ("activation", "normalization"), VANISH, STUCK,  # kind: slip
       P(F.supcon, times=True), None),
    # depth
    _b("deepsurv_30_layers_glorot", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.deepsurv, layers=30), None),
    # recurrence
    _b("s5_timescales_x1000", HALF, ("recurrence", "init"), VANISH, STUCK,  # kind: common
       P(F.s5, dt_scale=1000.0), C4),
    # lr
    _b("h3_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.h3, lr=1.0), LM),
    _b("s5_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.s5, lr=1.0, ssm_lr=1.0), C4),
    _b("deep_svdd_adam_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.deep_svdd, lr=10.0), None),
    # normalization
    _b("simmim_without_layernorm", HALF, ("normalization",), VANISH, STUCK,  # kind: common
       P(F.simmim, ln=False), None),
    # regularization
    _b("cross_stitch_sgd_weight_decay_0.5", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.cross_stitch, weight_decay=0.5), TWO),
    _b("deepsurv_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.deepsurv, weight_decay=1.0), None),
    # data
    _b("cross_stitch_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.cross_stitch, shuffled=True), TWO),
    _b("deepsurv_risk_set_over_last_axis", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.deepsurv, risk_axis=-1), None),
    _b("knrm_label_as_margin_ranking_target", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.knrm, label_as_target=True), None),
    # numeric
    _b("knrm_kernel_log_without_clamp", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.knrm, log_clamp=False), None),
    _b("supcon_log_of_softmax_ratio", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.supcon, log_ratio=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "h3_init_std_1": "common", "cross_stitch_relu_biases_minus_10": "common",
    "supcon_logits_times_temperature": "slip", "deepsurv_30_layers_glorot": "common",
    "s5_timescales_x1000": "common", "h3_adamw_lr1": "common", "s5_adamw_lr1": "common",
    "deep_svdd_adam_lr10": "common", "simmim_without_layernorm": "common",
    "cross_stitch_sgd_weight_decay_0.5": "common", "deepsurv_adam_weight_decay_1": "common",
    "cross_stitch_labels_shuffled": "common", "deepsurv_risk_set_over_last_axis": "slip",
    "knrm_label_as_margin_ranking_target": "slip", "knrm_kernel_log_without_clamp": "common",
    "supcon_log_of_softmax_ratio": "slip",
}

#: the cases (half "fresh46")
FRESH46: list[Case] = FRESH46_HEALTHY + FRESH46_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "h3_init_std_1": F.h3,
    "cross_stitch_relu_biases_minus_10": F.cross_stitch,
    "supcon_logits_times_temperature": F.supcon,
    "deepsurv_30_layers_glorot": F.deepsurv,
    "s5_timescales_x1000": F.s5,
    "h3_adamw_lr1": F.h3,
    "s5_adamw_lr1": F.s5,
    "deep_svdd_adam_lr10": F.deep_svdd,
    "simmim_without_layernorm": F.simmim,
    "cross_stitch_sgd_weight_decay_0.5": F.cross_stitch,
    "deepsurv_adam_weight_decay_1": F.deepsurv,
    "cross_stitch_labels_shuffled": F.cross_stitch,
    "deepsurv_risk_set_over_last_axis": F.deepsurv,
    "knrm_label_as_margin_ranking_target": F.knrm,
    "knrm_kernel_log_without_clamp": F.knrm,
    "supcon_log_of_softmax_ratio": F.supcon,
}
