"""The thirty-fourth held-out batch (half ``"fresh33"``): ten published architectures new to the corpus at their usual
settings, and seventeen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 330_000 + seed): a cosFormer LM (Qin et al. 2022, narrowed: two pre-LN blocks of
64 whose causal linear attention takes ReLU feature maps re-weighted by ``cos(pi / 2 * (i - j) / M)``, normalised by
the weights' row sums plus 1e-6; Adam betas (0.9, 0.98) at lr 5e-4 with a 20-step warm-up and fairseq's
inverse-square-root decay in a ``LambdaLR``) on the corpus' Markov language, DIEN (Zhou et al. 2019, narrowed: item
and category embeddings, an interest-extractor GRU, DIN-style attention against the candidate and the AUGRU interest
evolver, an MLP 200-80-2 with PReLUs; the auxiliary loss left out; Adam lr 1e-3) on user histories whose interest
drifts from category to category, with a candidate of the last interest's category (a click) or another, PLE (Tang et
al. 2020, narrowed: two extraction levels of two shared and two task-specific ReLU experts of 64 per task with softmax
gates, towers of 32; Adam lr 1e-3) on two related binary tasks over Gaussian vectors, MixHop (Abu-El-Haija et al.
2019: two layers concatenating ``A^j X W_j`` over the powers 0, 1, 2 of the normalised adjacency, dropout 0.5; Adam lr
0.01 weight decay 5e-4, the GCN setting) classifying the nodes of a four-block stochastic block model, WIRE (Saragadam
et al. 2023, the real Gabor version narrowed to three layers of 64 at omega0 20 and s0 10; Adam lr 5e-3 decayed to a
tenth over the run as the reference code) fitting an image from pixel coordinates, DeepSDF's auto-decoder (Park et al.
2019, narrowed to 2-D: a code of 16 per shape, four weight-normed ReLU layers of 128 with dropout 0.2 and the input
skip, a tanh output, the clamped L1 loss (delta 0.1) with the code prior; Adam lr 5e-4 for the decoder and 1e-3 for
the codes) on the signed distances of sixteen circles, Deep Evidential Regression (Amini et al. 2020: an MLP of three
ReLU layers of 64 with the Normal-Inverse-Gamma head, its NLL plus the evidence regulariser at 0.01; Adam lr 5e-3,
ten times the reference code's 5e-4, which does not learn within 200 steps, see below) on a noisy smooth regression,
CSPNet (Wang et al. 2020, narrowed: a CSPDarkNet-style net of a stem and three cross-stage-partial stages of 32, 64,
128 with residual bottlenecks, BatchNorm and LeakyReLU 0.1; SGD momentum 0.9 weight decay 5e-4 at lr 0.1 per 256
images, 0.0125, cosine decay) and ConViT (d'Ascoli et al. 2021, narrowed: two gated-positional-self-attention blocks
with the local init, then the class token and one plain self-attention block, all of 64; AdamW lr 1e-3 weight decay
0.05, DeiT's 5e-4 per 512 images being too slow for the short run, a 10-step ``LinearLR`` warm-up and a cosine decay
to 1e-5 in a ``SequentialLR``) on class-template images, and VDCNN (Conneau et al. 2017, narrowed to depth 9:
temporal convolution blocks of 64, 128, 256 with BatchNorm, k-max pooling of 8, an MLP 256-256; SGD momentum 0.9 at
the paper's lr 0.01) on character sequences labelled by their most frequent symbol class.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh32``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every cosFormer Linear and Embedding weight
  drawn N(0, 1) (init), every PLE Linear that feeds a ReLU (experts and towers) biased -10 (every ReLU dead;
  activation), MixHop 30 layers deep at PyTorch's default init (depth), DIEN's GRU and AUGRU recurrent matrices drawn
  N(0, 3^2) (recurrence), cosFormer at Adam lr 1, CSPNet at SGD lr 5, ConViT at AdamW lr 1 and WIRE at Adam lr 1
  (lr), CSPNet without its BatchNorms at its own lr (normalization), PLE and MixHop at Adam ``weight_decay=10``
  (regularization), ConViT's labels permuted against its images and WIRE's coordinates given as raw pixel indices
  0..31, the scaling to [-1, 1] left out (the Gabor windows ``exp(-(10 z)^2)`` are then 0 nearly everywhere; data),
  and cosFormer's attention normaliser without its eps (ReLU feature maps with no shared positive coordinate, as at
  the first position, give ``0 / 0``; numeric);
- **slip** (a user's mistake of a kind no earlier batch used): CSPNet re-initialised by a ViT-style
  ``_init_weights`` whose test is written ``hasattr(m, "weight")`` where ``isinstance(m, (nn.Conv2d, nn.Linear))``
  was meant, so that every BatchNorm's scale is drawn N(0, 0.02^2) along with the convolutions (a duck-typing test
  that catches the norm layers; init), WIRE's Gabor window written ``exp((s0 z)^2)``, its minus sign lost (the
  activation grows without bound: ``exp`` overflows to inf for ``|z| > 0.94`` at the first forward; activation), and
  Deep Evidential Regression's head line for ``beta`` copied from the ``gamma`` line, its softplus left out (a
  negative ``beta`` makes ``log(2 beta (1 + nu))`` NaN; numeric). The commons outnumber the slips (14 to 3); the slips
  planned beside them that learned anyway are listed below.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds but the init slip's, which is CSPNet with the intended ViT-style init (convolutions
and Linears N(0, 0.02^2), BatchNorm scales kept at 1): 2.273 -> 0.0089 and 2.318 -> 0.0092.

Learning criteria: the classifiers compare with chance (ten, four and two classes, the 64-token language, and
``2 ln 2`` for PLE's two binary tasks); WIRE, DeepSDF and the evidential regression compare with their first loss.
Measured plain runs, 200 steps (seed 0, seed 1): cosFormer 4.253 -> 1.365 and 4.290 -> 1.419; DIEN 0.6917 -> 0.2818
and 0.6951 -> 0.2613; PLE 1.382 -> 0.113 and 1.398 -> 0.125; MixHop 1.392 -> 0.111 and 1.409 -> 0.101; WIRE 0.720 ->
0.0594 and 0.652 -> 0.0309; DeepSDF 0.0571 -> 0.0137 and 0.0907 -> 0.0134 (the criteria 0.043 and 0.068); the
evidential regression 1.302 -> 0.038 and 1.294 -> 0.150; CSPNet 2.370 -> 0.0135 and 2.370 -> 0.0127; VDCNN 1.411 ->
0.423 and 1.386 -> 0.297; ConViT 2.242 -> 0.0226 and 2.299 -> 0.0222. Broken: ``cosformer_init_std_1`` 21.86 -> 7.44
and 18.66 -> 7.07 (the criterion 3.12; no divergence); ``cspnet_init_loop_catches_batchnorm`` 2.289 -> 2.254 and
2.312 -> 2.251; ``ple_relu_biases_minus_10`` 1.380 -> 1.386 and 1.396 -> 1.386; ``wire_gabor_window_sign_lost`` is
non-finite at step 0 at both seeds (the loss itself); ``mixhop_30_layers`` 1.387 -> 1.337 and 1.388 -> 1.286;
``dien_recurrent_std_3`` 0.692 -> 0.642 and 0.694 -> 0.621 (the criteria 0.519 and 0.520); ``cosformer_adam_lr1``
diverges at step 4 at both seeds (ends 26.4 and 30.0; weights x20.5 and x19.9); ``cspnet_sgd_lr5`` diverges at step 1
at both seeds, non-finite at step 83 (weights x1e10 and x3e12 before); ``convit_adamw_lr1`` diverges at step 2 at both
seeds (ends 2.298 and 2.299, chance; weights x22.5 and x21.3); ``wire_adam_lr1`` diverges at step 1 at both seeds
(ends 0.759 and 0.631, not learned; weights x58); ``cspnet_without_batchnorm`` 2.295 -> 2.298 and 2.302 -> 2.298;
``ple_adam_weight_decay_10`` 1.382 -> 1.386 and 1.398 -> 1.386; ``mixhop_adam_weight_decay_10`` 1.392 -> 1.386 and
1.409 -> 1.386; ``convit_labels_shuffled`` 2.263 -> 2.175 and 2.572 -> 1.968 (the criteria 1.70 and 1.73);
``wire_coordinates_in_pixels`` 0.708 -> 0.685 and 0.654 -> 0.555 (the criteria 0.531 and 0.491);
``cosformer_normaliser_without_eps`` and ``evidential_beta_without_softplus`` are non-finite at step 0 at both seeds
(the loss itself). The healthy cases run 0.3 to 9.4 s a seed (VDCNN the slowest), the broken ones at most 5.6 s.

Dropped or changed before the freeze (every figure above is from the final code): Deep Evidential Regression at the
reference code's Adam lr 5e-4 did not learn (1.302 -> 1.110 and 1.294 -> 1.183, the criteria 0.977 and 0.970) and at
1e-3 only barely (0.386 and 0.877); it runs at 5e-3. The depth case was first DeepSDF with 30 plain ReLU layers of 128
at PyTorch's default init (0.0614 -> 0.0547, not learned, and 0.0711 -> 0.0533, learned by a hair; at 50 layers
0.0659 -> 0.0547 and 0.1061 -> 0.0533, learned): the constant output the stuck net learns already passes the
criterion, so it was dropped for MixHop 30 layers deep. DIEN's recurrent matrices at N(0, 1) learned (0.691 -> 0.479
and 0.695 -> 0.499, the criteria 0.519 and 0.520); the case uses N(0, 3^2). The normalization case was first VDCNN
without BatchNorm at SGD lr 0.1 (1.384 -> 1.390 and 1.390 -> 1.395), dropped because its control, VDCNN with
BatchNorm at lr 0.1, did not learn either (1.411 -> 1.392 and 1.386 -> 1.299). CSPNet without BatchNorm at lr 0.1
does not learn (2.295 -> 2.298 and 2.302 -> 2.297) where CSPNet with BatchNorm at lr 0.1 does, but it does not learn at
its own lr 0.0125 either, so the case runs at its own lr and is labelled normalization, depth or init (its twenty-six
convolutions at PyTorch's default init lose the signal without the BatchNorms), not lr. Four slips were written and
measured and learned anyway, and were dropped: cosFormer's Adam betas given in the wrong order, ``(0.98, 0.9)`` (4.253
-> 1.367 and 4.290 -> 1.423; lr), ConViT's cosine floor written ``eta_min=0.1`` for "decay to a tenth", where
``eta_min`` is the absolute floor, so that the lr rises from 1e-3 to 0.1 (2.242 -> 1.142 and 2.299 -> 1.176, weights
x3.2 and x3.8; lr; ConViT's schedule was rewritten from one ``LambdaLR`` to the ``SequentialLR`` above to host it,
before the final measurements), DeepSDF's codes looked up by the shape's position in the batch, ``codes(arange(8))``,
instead of its id (0.0571 -> 0.0373 and 0.0908 -> 0.0334: the mean shape passes the criterion; data), and VDCNN's loss
divided by 8 for a gradient accumulation whose optimizer steps every micro-batch (0.176 -> 0.110 and 0.173 -> 0.0945
on the divided loss; lr). Their switches were removed from the code. No depth, recurrence, lr, normalization,
regularization or data slip survived.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh33_builders as F

P = functools.partial
HALF = "fresh33"
#: chance losses: ten, four and two classes, PLE's two binary tasks, the 64-token language; WIRE, DeepSDF and the
#: evidential regression have none (their first loss is the reference)
C10, C4, C2, LM = math.log(10), math.log(4), math.log(2), math.log(64)
C2X2 = 2 * math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH33_HEALTHY: list[Case] = [
    _h("cosformer_lm", HALF, "cosformer", F.cosformer, LM),
    _h("dien_behaviours", HALF, "dien", F.dien, C2),
    _h("ple_two_tasks", HALF, "ple", F.ple, C2X2),
    _h("mixhop_block_graph", HALF, "mixhop", F.mixhop, C4),
    _h("wire_image", HALF, "wire", F.wire, None),
    _h("deepsdf_circles", HALF, "deepsdf", F.deepsdf, None),
    _h("evidential_regression", HALF, "evidential", F.evidential, None),
    _h("cspnet_classifier", HALF, "cspnet", F.cspnet, C10),
    _h("vdcnn_characters", HALF, "vdcnn", F.vdcnn, C4),
    _h("convit_classifier", HALF, "convit", F.convit, C10),
]

FRESH33_BROKEN: list[Case] = [
    # init
    _b("cosformer_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.cosformer, init_std=1.0), LM),
    _b("cspnet_init_loop_catches_batchnorm", HALF, ("init", "normalization"), VANISH, STUCK,  # kind: slip
       P(F.cspnet, init_catches_bn=True), C10),
    # activation
    _b("ple_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.ple, relu_bias=-10.0), C2X2),
    _b("wire_gabor_window_sign_lost", HALF, ("activation", "numeric"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.wire, window_sign_lost=True), None),
    # depth
    _b("mixhop_30_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.mixhop, layers=30), C4),
    # recurrence
    _b("dien_recurrent_std_3", HALF, ("recurrence", "init"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dien, recurrent_std=3.0), C2),
    # lr
    _b("cosformer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.cosformer, lr=1.0), LM),
    _b("cspnet_sgd_lr5", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.cspnet, lr=5.0), C10),
    _b("convit_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.convit, lr=1.0), C10),
    _b("wire_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.wire, lr=1.0), None),
    # normalization
    _b("cspnet_without_batchnorm", HALF, ("normalization", "depth", "init"), VANISH, STUCK,  # kind: common
       P(F.cspnet, bn=False), C10),
    # regularization
    _b("ple_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.ple, weight_decay=10.0), C2X2),
    _b("mixhop_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.mixhop, weight_decay=10.0), C4),
    # data
    _b("convit_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.convit, shuffle_labels=True), C10),
    _b("wire_coordinates_in_pixels", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.wire, pixel_units=True), None),
    # numeric
    _b("cosformer_normaliser_without_eps", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.cosformer, eps=0.0), LM),
    _b("evidential_beta_without_softplus", HALF, ("numeric", "activation"), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.evidential, raw_beta=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "cosformer_init_std_1": "common", "cspnet_init_loop_catches_batchnorm": "slip",
    "ple_relu_biases_minus_10": "common", "wire_gabor_window_sign_lost": "slip", "mixhop_30_layers": "common",
    "dien_recurrent_std_3": "common", "cosformer_adam_lr1": "common", "cspnet_sgd_lr5": "common",
    "convit_adamw_lr1": "common", "wire_adam_lr1": "common", "cspnet_without_batchnorm": "common",
    "ple_adam_weight_decay_10": "common", "mixhop_adam_weight_decay_10": "common", "convit_labels_shuffled": "common",
    "wire_coordinates_in_pixels": "common", "cosformer_normaliser_without_eps": "common",
    "evidential_beta_without_softplus": "slip",
}

#: the cases (half "fresh33")
FRESH33: list[Case] = FRESH33_HEALTHY + FRESH33_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "cosformer_init_std_1": F.cosformer,
    "cspnet_init_loop_catches_batchnorm": P(F.cspnet, init_002=True),
    "ple_relu_biases_minus_10": F.ple,
    "wire_gabor_window_sign_lost": F.wire,
    "mixhop_30_layers": F.mixhop,
    "dien_recurrent_std_3": F.dien,
    "cosformer_adam_lr1": F.cosformer,
    "cspnet_sgd_lr5": F.cspnet,
    "convit_adamw_lr1": F.convit,
    "wire_adam_lr1": F.wire,
    "cspnet_without_batchnorm": F.cspnet,
    "ple_adam_weight_decay_10": F.ple,
    "mixhop_adam_weight_decay_10": F.mixhop,
    "convit_labels_shuffled": F.convit,
    "wire_coordinates_in_pixels": F.wire,
    "cosformer_normaliser_without_eps": F.cosformer,
    "evidential_beta_without_softplus": F.evidential,
}
