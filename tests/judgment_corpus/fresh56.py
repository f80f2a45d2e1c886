"""The fifty-seventh held-out batch (half ``"fresh56"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 560_000 + seed): RealFormer (He et al. 2021, narrowed to a causal LM: token and
position embeddings of 48, three Post-LN layers of 4 heads whose raw attention scores are added to the next layer's
before its softmax, GELU feed-forward of 4x, dropout 0.1, the output tied to the embedding; BERT's N(0, 0.02^2) init
and AdamW (eps 1e-6, weight decay 0.01) at lr 1e-3, set here, without BERT's warm-up) on the corpus' Markov text,
ARC-II (Hu et al. 2014, narrowed: embeddings of 32, the layer-1 convolution over every pair of 3-word windows of the
two sentences, 32 maps, ReLU, 2x2 max pooling, a 3x3 convolution, max pooling, an MLP of 64 with dropout 0.5;
PyTorch's default init; Adam at lr 2e-3, set here, MatchZoo's default being 1e-3) telling whether two 8-word
sentences over 256 words share a 3-word phrase, DeepViT (Zhou et al. 2021, narrowed: 4x4 patches of 16x16 images
embedded to 32, a class token, four Pre-LN blocks of re-attention (the 4 heads' softmax maps mixed by a learnable
N(0, 1) ``Theta`` and a LayerNorm over the heads, as the vit-pytorch reference) and a GELU MLP of 2x;
truncated-normal(0.02) Linears; AdamW with DeiT's weight decay 0.05 at lr 1e-3, set here) and CeiT (Yuan et al.
2021, narrowed: the image-to-tokens stem (3x3 convolution of 32, BatchNorm, max pooling, 2x2 patches), a class
token, three Pre-LN blocks of 4-head attention and the locally-enhanced feed-forward (Linear to 4x, BatchNorm and
GELU, a 3x3 depth-wise convolution on the token grid with BatchNorm and GELU, Linear down with BatchNorm and GELU),
the layer-wise class-token attention left out; AdamW 1e-3 weight decay 0.05 as DeepViT) on class-template images
(10 classes), GATv2 (Brody, Alon and Yahav 2022: dynamic attention ``a^T LeakyReLU(W_l h_j + W_r h_i)``, GAT's
transductive layout of 8 heads x 8 with ELU and a one-head output layer, dropout 0.6, self-loops; Glorot init; Adam
at GAT's lr 0.005 and weight decay 5e-4) classifying the nodes of an 80-node stochastic block model with 6 isolated
nodes (loss over the training half), an FSQ autoencoder (Mentzer et al. 2024: MLP encoder 16-64-64-4, each latent
bounded by ``tanh(z + shift) * half_l - offset`` and rounded to the levels (8, 5, 5, 5) with the straight-through
estimator, an MLP decoder; PyTorch's default init; Adam lr 1e-3, set here) and a VAE with triangular Sylvester flows
(van den Berg et al. 2018, narrowed: four amortised flows ``z + Q R1 tanh(R2 Q^T z + b)`` on 4 latents, ``Q`` the
identity and the reversal alternately, ``tanh`` diagonals; a Gaussian decoder of variance 0.1; Adam at the reference
code's lr 5e-4) on standardised points near a 4-dimensional manifold in 16 dimensions, and LEM (Rusch, Mishra,
Erichson and Mahoney 2022: the reference cell, 32 units, weights uniform in +-1/sqrt(32), dt 0.1 and Adam lr 3e-3,
set here) classifying 32-step series whose class is marked only in their first 8 steps.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh52``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every RealFormer Linear and embedding drawn
  N(0, 1), and every DeepViT Linear drawn from a truncated N(0, 1) (init), ARC-II's two convolution layers' biases at
  -10 (every ReLU dead; activation), ARC-II with 12 more 3x3 convolutions after its second, at PyTorch's default init
  and without normalisation (depth), LEM's step ``dt`` at 2, where ``1 - dt sigmoid(.)`` in (-1, 1) flips the sign of
  the state's carry and the mark is lost (recurrence), RealFormer and CeiT at AdamW lr 1 and the FSQ autoencoder at
  Adam lr 1 (lr), the FSQ autoencoder's MLPs 12 hidden layers deep without the LayerNorms the control puts after its
  hidden Linears (normalization, with depth and init), ARC-II and GATv2 at Adam ``weight_decay=1`` (regularization),
  CeiT's labels permuted within every batch, apart from their images (data), and GATv2 without its self-loops on a
  graph with isolated nodes (their attention rows are all ``-inf``: the softmax is ``0 / 0``; numeric);
- **slip** (a user's mistake in their own layers or custom autograd code, of a kind no earlier batch used): ARC-II's
  ReLUs written as a custom ``torch.autograd.Function`` from the PyTorch tutorial's ``MyReLU`` whose backward masks
  ``grad_input[x > 0] = 0`` where ``x < 0`` belongs (the gradient flows only through the units that were off;
  activation), LEM's state passed at every step through a custom gradient-clipping Function (Graves' clipping of the
  derivatives through the recurrent state) whose backward is written ``g.clamp(c)``, the one positional bound being
  the minimum: every entry of the state's gradient is raised to at least +1 (recurrence), and GATv2's neighbour mask
  written as an additive bias ``(1 - adj) * 1e9`` where ``(adj - 1) * 1e9`` belongs: every non-neighbour gets +1e9,
  which swamps the scores in float32, so each node attends evenly to the nodes it is not linked to, itself excluded
  (the model reads the complement of the graph; data). No init, depth, lr, normalization, regularization or numeric
  slip was kept; two more were written and dropped (see below): the commons outnumber the slips (13 to 3).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except two: the clipping slip's, LEM with the clip written ``g.clamp(-c, c)``
(identical to the healthy figures: the state's gradients never reach 1), and the normalization case's, the FSQ
autoencoder 12 hidden layers deep with a LayerNorm after every hidden Linear but the first (1.218 -> 0.254 and
1.188 -> 0.494).

Learning criteria: the classifiers compare with chance (RealFormer's 64 tokens, ARC-II's two classes, DeepViT's and
CeiT's ten, GATv2's and LEM's four); the FSQ autoencoder and the Sylvester VAE compare with their first loss.
Measured plain runs, 200 steps (seed 0, seed 1): RealFormer 4.174 -> 1.533 and 4.193 -> 1.571 (the criterion 3.119);
ARC-II 0.723 -> 0.340 and 0.701 -> 0.230 (0.520); DeepViT 2.312 -> 0.182 and 2.349 -> 0.167; CeiT 2.300 -> 0.161
and 2.342 -> 0.198; GATv2 2.083 -> 0.903 and 2.257 -> 0.905 (1.040); the FSQ autoencoder 1.051 -> 0.224 and 0.976
-> 0.149; the Sylvester VAE 85.90 -> 28.31 and 79.33 -> 18.74; LEM 1.392 -> 0.627 and 1.375 -> 0.687 (1.040 and
1.031). Broken: ``realformer_init_std_1`` 15.19 -> 7.096 and 16.07 -> 6.838 (no divergence); ``deepvit_init_std_1``
7.578 -> 4.263 and 7.369 -> 3.381; ``arc_ii_relu_biases_minus_10`` 0.698 -> 0.694 and 0.689 -> 0.694;
``arc_ii_custom_relu_backward_mask_flipped`` 0.723 -> 0.694 and 0.701 -> 0.694;
``arc_ii_12_more_conv_layers_default_init`` 0.694 -> 0.693 and 0.694 -> 0.693; ``lem_dt_2`` 1.389 -> 1.385 and
1.369 -> 1.312; ``lem_state_grad_clip_as_minimum`` 1.392 -> 1.391 and 1.375 -> 1.394 (weights x2.6 and x2.5);
``realformer_adamw_lr1`` diverges at step 1 at both seeds (ends 25.89 and 35.05; weights x70); ``ceit_adamw_lr1``
diverges at step 1 at both seeds (ends 2.357 and 2.395; weights x15.5 and x15.6); ``fsq_adam_lr1`` diverges at step 1
at both seeds (ends 9.076 and 1.045; weights x54 and x56); ``fsq_12_layers_without_layernorm`` 1.050 -> 1.013 and
0.973 -> 1.008; ``arc_ii_adam_weight_decay_1`` 0.723 -> 0.693 and 0.701 -> 0.693; ``gatv2_adam_weight_decay_1``
2.083 -> 1.380 and 2.257 -> 1.385; ``ceit_labels_shuffled`` 2.284 -> 2.037 and 2.341 -> 2.195 (1.713 and 1.727);
``gatv2_additive_mask_sign_flipped`` 1.386 -> 1.365 and 1.401 -> 1.386; ``gatv2_without_self_loops_isolated_nodes``
is non-finite at step 0 at both seeds (the loss itself). Every case runs at most 7.5 s a seed on a machine shared
with other work (CeiT and ARC-II's deep variant the slowest).

Dropped or changed before the freeze (every figure above is from the final code; the dropped variants' figures are
from the code of the time): the decomposable attention model and TPA-LSTM were not taken, both having been dropped
by earlier batches. ARC-II first had a vocabulary of 64 and a one-word overlap, and did not learn by step 200 at
Adam 1e-3 (0.669 -> 0.537 against 0.501; it did by step 300); with a 3-word phrase over 256 words at lr 2e-3 it
does. Its labels permuted within every batch learned anyway (0.728 -> 0.408 and 0.704 -> 0.307: ARC-II memorises the
2,048 pairs of its 32 cycled batches), so the data common is CeiT's. The first Sylvester VAE (a unit-variance
decoder) did not learn by the criterion at seed 0 (8.58 -> 7.28 against 6.44); its decoder variance is 0.1. GATv2,
RealFormer, DeepViT and CeiT were narrowed further for time (a 300- and a 120-node graph, four layers of 64, six
blocks of 64, four blocks of 64). No normalization fault of the kind held: CeiT without its BatchNorms learned
(2.304 -> 0.188 and 2.339 -> 0.223 at AdamW 1e-3, 0.009 at 5e-3, 0.249 and 0.216 at SGD 0.1 momentum 0.9), as did
DeepViT without its LayerNorms (4 and 12 blocks) and RealFormer without its LayerNorms (1.468 and 1.488); ARC-II's
deep variant did not learn with a BatchNorm after every extra convolution either (0.693), so the normalization case
is the FSQ autoencoder's deep MLPs, whose LayerNorm control learns. The FSQ autoencoder with 20 hidden layers (1.051
-> 1.013) was the first depth case; ARC-II's is kept instead, to spread the cases. Other commons that learned: LEM
at ``dt`` 1 at seed 0 (1.392 -> 0.950 against 1.040; seed 1 did not, 1.466), LEM's recurrent weights N(0, 5^2)
(0.070 and 0.022), LEM's inputs x1000 (0.973 and 1.032), DeepViT's images x255 (0.155 and 0.160) and the Sylvester
VAE at Adam lr 0.05 (56.67 and 33.32), which leaves the Sylvester VAE without a broken case. Two slips were written,
measured and dropped: RealFormer's own LayerNorm dividing by ``var + eps`` instead of its square root learned (23.69
-> 1.713 and 24.54 -> 1.747; in DeepViT, 0.084 and 0.045), and the FSQ autoencoder's straight-through estimator
written ``(round(z) - z) + z.detach()``, the ``.detach()`` on the wrong term (the encoder's gradient negated), ended
0.7877 at seed 0 against the criterion 0.7883, too close to call (0.778 at seed 1); their switches (``by_variance``,
``ste``) stay in the models, unused, as does CeiT's ``bn``.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh56_builders as F

P = functools.partial
HALF = "fresh56"
#: chance losses: 64 tokens (RealFormer), two classes (ARC-II's match), ten (DeepViT's and CeiT's images), four
#: (GATv2's nodes, LEM's marks); the FSQ autoencoder and the Sylvester VAE have none (their first loss is the reference)
LM, C2, C10, C4 = math.log(64), math.log(2), math.log(10), math.log(4)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH56_HEALTHY: list[Case] = [
    _h("realformer_markov_lm", HALF, "realformer", F.realformer, LM),
    _h("arc_ii_sentence_pairs", HALF, "arc_ii", F.arc_ii, C2),
    _h("deepvit_images", HALF, "deepvit", F.deepvit, C10),
    _h("ceit_images", HALF, "ceit", F.ceit, C10),
    _h("gatv2_sbm_nodes", HALF, "gatv2", F.gatv2, C4),
    _h("fsq_autoencoder_manifold", HALF, "fsq", F.fsq, None),
    _h("sylvester_vae_manifold", HALF, "sylvester_vae", F.sylvester_vae, None),
    _h("lem_marked_series", HALF, "lem", F.lem, C4),
]

FRESH56_BROKEN: list[Case] = [
    # init
    _b("realformer_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.realformer, init_std=1.0), LM),
    _b("deepvit_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.deepvit, init_std=1.0), C10),
    # activation
    _b("arc_ii_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.arc_ii, relu_bias=-10.0), C2),
    _b("arc_ii_custom_relu_backward_mask_flipped", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.arc_ii, relu="flipped"), C2),
    # depth
    _b("arc_ii_12_more_conv_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.arc_ii, extra=12), C2),
    # recurrence
    _b("lem_dt_2", HALF, ("recurrence",), BOTH, STUCK,  # kind: common
       P(F.lem, dt=2.0), C4),
    _b("lem_state_grad_clip_as_minimum", HALF, ("recurrence",), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.lem, clip="min_only"), C4),
    # lr
    _b("realformer_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.realformer, lr=1.0), LM),
    _b("ceit_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ceit, lr=1.0), C10),
    _b("fsq_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.fsq, lr=1.0), None),
    # normalization
    _b("fsq_12_layers_without_layernorm", HALF, ("normalization", "depth", "init"), VANISH, STUCK,  # kind: common
       P(F.fsq, layers=12), None),
    # regularization
    _b("arc_ii_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.arc_ii, weight_decay=1.0), C2),
    _b("gatv2_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.gatv2, weight_decay=1.0), C4),
    # data
    _b("ceit_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.ceit, shuffled=True), C10),
    _b("gatv2_additive_mask_sign_flipped", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.gatv2, flipped_mask=True), C4),
    # numeric
    _b("gatv2_without_self_loops_isolated_nodes", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.gatv2, self_loops=False), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "realformer_init_std_1": "common", "deepvit_init_std_1": "common", "arc_ii_relu_biases_minus_10": "common",
    "arc_ii_custom_relu_backward_mask_flipped": "slip", "arc_ii_12_more_conv_layers_default_init": "common",
    "lem_dt_2": "common", "lem_state_grad_clip_as_minimum": "slip", "realformer_adamw_lr1": "common",
    "ceit_adamw_lr1": "common", "fsq_adam_lr1": "common", "fsq_12_layers_without_layernorm": "common",
    "arc_ii_adam_weight_decay_1": "common", "gatv2_adam_weight_decay_1": "common", "ceit_labels_shuffled": "common",
    "gatv2_additive_mask_sign_flipped": "slip", "gatv2_without_self_loops_isolated_nodes": "common",
}

#: the cases (half "fresh56")
FRESH56: list[Case] = FRESH56_HEALTHY + FRESH56_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "realformer_init_std_1": F.realformer,
    "deepvit_init_std_1": F.deepvit,
    "arc_ii_relu_biases_minus_10": F.arc_ii,
    "arc_ii_custom_relu_backward_mask_flipped": F.arc_ii,
    "arc_ii_12_more_conv_layers_default_init": F.arc_ii,
    "lem_dt_2": F.lem,
    "lem_state_grad_clip_as_minimum": P(F.lem, clip="ok"),
    "realformer_adamw_lr1": F.realformer,
    "ceit_adamw_lr1": F.ceit,
    "fsq_adam_lr1": F.fsq,
    "fsq_12_layers_without_layernorm": P(F.fsq, layers=12, norm=True),
    "arc_ii_adam_weight_decay_1": F.arc_ii,
    "gatv2_adam_weight_decay_1": F.gatv2,
    "ceit_labels_shuffled": F.ceit,
    "gatv2_additive_mask_sign_flipped": F.gatv2,
    "gatv2_without_self_loops_isolated_nodes": F.gatv2,
}
