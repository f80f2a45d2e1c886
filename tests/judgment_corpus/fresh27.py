"""The twenty-eighth held-out batch (half ``"fresh27"``): thirteen standard architectures new to the corpus at their
usual settings, and eighteen broken variants with one real fault each, written and labelled with plain PyTorch
before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said):
HRNet (a full-resolution stem, parallel branches at 16x16, 8x8 and 4x4 of 16, 32 and 64 channels added stage by stage,
exchange units after every stage, a 1x1 heatmap head; the reference code's conv init N(0, 0.001^2); JointsMSELoss;
Adam lr 1e-3, the pose recipe) on images of two coloured keypoint blobs and a distractor, the Temporal Fusion
Transformer (width 32: static covariate encoders, variable selection networks, an LSTM encoder-decoder started from
the static contexts, static enrichment, interpretable multi-head attention, gated residual networks throughout,
dropout 0.1; the quantile loss at 0.1, 0.5 and 0.9; Adam lr 1e-3 with gradients clipped at norm 1, within the paper's
tuned ranges) on hourly series of ten kinds, Informer (width 32, two ProbSparse encoder layers with a distilling layer
between them, a decoder over 24 known steps and 12 placeholders with causal ProbSparse self-attention and full
cross-attention, dropout 0.05, each window standardised over time and the forecast de-standardised; MSE; Adam at the
paper's lr 1e-4) on univariate load windows (the paper's "S" setting), and, from a ``transformers`` config, a tiny
TimeSformer (divided space-time attention, 4x4 patches, 4 frames of 16x16, two layers of width 64; AdamW lr 5e-4
weight decay 0.05, DeiT's from-scratch recipe, the paper's SGD at lr 0.005 fine-tuning an ImageNet ViT and not
learning here from scratch: 1.38 -> 1.38 at seed 0) on clips whose class is the direction in which a template moves,
ON-LSTM (one layer of 64 units in 8 chunks with the cumax master gates, embedding and output dropout; SGD at the
AWD-LSTM recipe's lr 30, weight decay 1.2e-6, gradients clipped at norm 0.25) and DeltaNet (two pre-RMSNorm blocks of
width 64, the delta rule with 4 heads, short causal convolutions, L2-normalised queries and keys, a sigmoid writing
strength, SwiGLU MLPs, init std 0.02; AdamW lr 1e-3 betas (0.9, 0.95) weight decay 0.01, gradients clipped at norm 1)
on the Markov language, DiffPool (dense GraphSAGE embedding and assignment networks pooling 24 nodes into 6 clusters,
two GraphSAGE layers on the pooled graph, max-pooled readouts of both levels, the link-prediction and entropy
auxiliary losses in the loss; Adam lr 1e-3, gradients clipped at norm 2 as the reference code) on graphs whose class
is their number of communities, PaiNN (32 features, three interaction blocks with 20 sine radial bases and a 5 A
cosine cutoff, gated equivariant vector features, a summed atomwise readout; MSE; Adam at the paper's lr 5e-4) on
energies of eight-atom Morse molecules, ResNeSt (a deep stem and four split-attention bottlenecks of radix 2 with
ResNet-D's average-pool shortcuts; cross-entropy with label smoothing 0.1; SGD momentum 0.9 weight decay 1e-4 at the
paper's 0.1 per 256 images, 0.0125, cosine decay, warm-up left out) on template images, Demucs (a three-layer
convolutional encoder with GLUs, a two-layer bidirectional LSTM, a mirrored transposed-conv decoder with skips, the
mixture standardised per example; L1; Adam at the reference lr 3e-4) on mixtures of a tonal and a percussive
source, a Relation Network on Sort-of-CLEVR state descriptions (``g_theta`` four ReLU layers of 64 on every pair of
six objects with the question, summed, ``f_phi`` two layers and dropout 0.5; Adam at the paper's lr 2.5e-4; shape,
position and nearest-object questions), FinalMLP (embeddings of 8, two streams with their own feature-selection gates
and MLPs of two and one ReLU layers of 64, multi-head bilinear fusion, Xavier init; Adam lr 1e-3) on click logs, and
a rational-quadratic neural spline flow (four coupling layers, 8 bins, tail bound 3, MLP conditioners of 64; Adam at
the paper's lr 5e-4 with cosine decay) on two moons.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh26``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Linear weight of the Relation Network
  drawn N(0, 1) (init), its hidden biases at -10 (every ReLU dead; activation), FinalMLP's two streams 32 ReLU layers
  deep without normalisation or residuals (depth), ON-LSTM's hidden-to-hidden weights drawn N(0, 5^2) (saturated,
  chaotic gates; recurrence), HRNet, Demucs and the flow at Adam lr 1 (lr), ResNeSt without its BatchNorms at SGD lr
  0.5 (where the BatchNorm version learns; normalization), the flow's points in raw units (``x * 100 + 1000``, the
  standardisation left out: every point beyond the splines' tail bound, where the flow is the identity and no
  parameter reaches the loss; data), Demucs' per-example standardisation ``(x - mean) / std`` without an epsilon on
  batches holding two silent examples (0 / 0) and PaiNN's unit vectors ``r_ij / |r_ij|`` computed before the
  non-pairs are masked, the self-pairs' 0 / 0 included (numeric), and DiffPool at Adam ``weight_decay=50``, DeltaNet
  at AdamW ``weight_decay=50`` and the Relation Network at Adam ``weight_decay=10`` (regularization);
- **slip** (a user's mistake of a kind no earlier batch used): FinalMLP's ``init_weights`` whose first branch, meant
  for the norm layers, tests ``isinstance(m, (nn.LayerNorm, nn.BatchNorm1d, nn.Linear))``, so that every Linear gets
  weight 1 and bias 0 (identical units, activations in the thousands) and the Xavier ``elif`` below is never reached
  (an ``isinstance`` tuple catching the wrong class; init), FinalMLP's click output passed through an
  ``nn.Softmax(dim=1)`` copied from a multi-class head and trained with ``F.binary_cross_entropy``: a softmax over
  one unit is 1 whatever the logit, and no gradient reaches the model (activation), Demucs' stems stacked in
  ``os.listdir`` order, which differs between track folders (each example's two target sources in a random order;
  data), and Informer's per-window standardisation copied from a channel-first ``(batch, variates, time)`` pipeline,
  whose ``dim=-1`` is now the variate axis of size 1: ``x.std(-1)`` of one value is NaN (numeric). The commons
  outnumber the slips (14 to 4): six further slips were written and measured and learned anyway (see below). Two of
  the slips live in the data pipeline (the stems' order, the standardisation's axis), one in the setup code (the
  init function) and one in the model's head.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except the BatchNorm case's, ResNeSt with its BatchNorms at SGD lr 0.5 (2.36 ->
0.527 and 2.40 -> 0.547).

Learning criteria: the classifiers compare with chance (ten and four classes, the LMs with the 64-token vocabulary,
FinalMLP with two classes); HRNet, the TFT, Informer, DiffPool (whose loss holds the auxiliary terms), PaiNN, Demucs
and the flow compare with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): HRNet 0.00622 ->
0.0000795 and 0.00613 -> 0.0000865; the TFT 0.403 -> 0.116 and 0.473 -> 0.116; Informer 4.14 -> 0.450 and 6.17 ->
0.544; TimeSformer 1.38 -> 0.916 and 1.44 -> 0.864 (the criterion 1.04; 1.28 and 1.26 at step 99); ON-LSTM 4.16 ->
1.57 and 4.16 -> 1.55; DeltaNet 4.17 -> 1.27 and 4.17 -> 1.27; DiffPool 2.90 -> 1.69 and 2.93 -> 1.16 (the criteria
2.17 and 2.20); PaiNN 9.25 -> 0.077 and 6.35 -> 0.063; ResNeSt 2.36 -> 0.521 and 2.40 -> 0.522 (label smoothing's
floor); Demucs 0.261 -> 0.071 and 0.224 -> 0.063; the Relation Network 2.38 -> 1.21 and 2.25 -> 1.26 (the criterion
1.73); FinalMLP 1.01 -> 0.151 and 1.18 -> 0.156; the flow 3.19 -> 1.84 and 3.15 -> 1.87 (nats per point). Broken:
``finalmlp_norm_init_branch_catches_linear`` 2.78e4 -> 3053 and 3.60e4 -> 4596; ``relation_network_linear_init_std_1``
5.6e6 -> 1.3e6 and 5.6e6 -> 2.0e6; ``relation_network_hidden_bias_minus_10`` 2.298 -> 2.285 and 2.299 -> 2.278 (the
criterion 1.72); ``finalmlp_softmax_on_single_output`` 43.8 -> 46.3 and 39.1 -> 46.0;
``finalmlp_streams_32_plain_layers`` 0.693 -> 0.678 and 0.693 -> 0.691 (the criterion 0.520);
``onlstm_recurrent_weights_std_5`` 4.19 -> 4.20 and 4.16 -> 4.18; ``hrnet_adam_lr1`` diverges at step 1 at both seeds
(weights x83 and x85; ends 0.00584, a flat output); ``demucs_adam_lr1`` diverges at step 1 at both seeds (weights
x65 and x93; ends 14620 and 2.6e5); ``neural_spline_flow_adam_lr1`` diverges at step 1 at both seeds (weights x45 and
x42; ends 31.1 and 30.0); ``resnest_without_batchnorm_sgd_lr0.5`` 2.29 -> 2.300 and 2.31 -> 2.298 (no divergence,
no non-finite value: stuck at chance); ``neural_spline_flow_points_in_raw_units`` 1.00e6 -> 1.01e6 at both seeds
(zero gradients); ``demucs_stems_in_listdir_order`` 0.258 -> 0.198 and 0.216 -> 0.196 (the criteria 0.193 and 0.162:
at seed 0 a thin margin: with the order ambiguous the best output is between the two sources);
``demucs_standardised_without_eps_silent_examples``, ``painn_unit_vectors_of_self_pairs`` and
``informer_standardised_over_variate_axis`` are non-finite at step 0 at both seeds (the loss itself);
``diffpool_adam_weight_decay_50`` 2.90 -> 2.91 and 2.93 -> 2.91; ``deltanet_adamw_weight_decay_50`` 4.17 -> 4.14 at
both seeds; ``relation_network_adam_weight_decay_10`` 2.38 -> 2.30 and 2.25 -> 2.29.

Dropped before the freeze (both seeds unless said): ON-LSTM with ``clip_grad_norm_`` called after ``optimizer.step()``
(a slip: every step unclipped at SGD lr 30; 4.16 -> 1.56 and 4.16 -> 1.54, learned) and with its hidden-to-hidden
weights N(0, 1) and N(0, 3^2) (1.65 and 1.68; 2.83 and 3.02, the criterion 3.12: learned), moved to N(0, 5^2); DeltaNet
with the sigmoid on its writing strength left out (a slip: 1.35 and 1.32, learned) and with its keys not L2-normalised
(a slip: 1.30 at both seeds, learned; the keys are small at init std 0.02); HRNet's heatmaps drawn with rows and columns
swapped (a slip: 0.0062 -> 0.0024 and 0.0061 -> 0.0028, learned); PaiNN's neighbour list built over the whole batch
without the molecule index (a slip: 301 -> 1.48 and 563 -> 1.72, learned by the criterion, its first loss inflated) and
its energies in raw units (data: ``-2e4 + 300 E`` 4.0e8 -> 2.8e8 at seed 0, learned; ``-2e5 + 300 E`` 4.0e10 -> 2.2e10
and 9.7e9, learned, the readout's scale growing); FinalMLP's stream 1 built as ``[nn.Linear, nn.ReLU] * 16`` (a slip: 16
aliases of one layer; 0.167 and 0.207, learned) and its 32-layer depth fault on stream 1 only (0.232 and 0.296, learned:
stream 2 carries the model), moved to both streams; TimeSformer at ``initializer_range=1`` (init: 10.2 -> 1.03 at seed
0, the criterion 1.04, learned), replaced by the Relation Network's N(0, 1) weights; the TFT and Informer at Adam lr 1
(both diverge at step 1, but end at 0.270 and 0.268, below the TFT's criteria 0.302 and 0.355, and Informer at 3.71
below its seed-1 criterion 4.63: learned by the criterion), replaced by Demucs and the flow at lr 1; and a TimeSformer
slip reading channels-last frames with ``reshape`` where ``permute`` belongs, not written (reasoned: the reshape keeps
the motion a translation). Healthy designs adjusted before the freeze: HRNet first at PyTorch's default conv init (1.37
-> 0.0030, its first loss a random heatmap's), given the reference N(0, 0.001^2); TimeSformer first at the paper's SGD
lr 0.005 (1.38 -> 1.38) and then at AdamW lr 1e-3 (1.44 -> 1.41 at seed 1), moved to 5e-4; DiffPool first with its
assignment softmax on an L2-normalised GraphSAGE output (the entropy term stuck at 1.69, 2.84 -> 2.42) and a
within-community edge probability U(0.4, 0.8), given the reference's linear assignment layer and U(0.6, 0.8); FinalMLP's
clicks first drawn with ``sigmoid(2.5 (2 match - 1) ...)`` without the user-segment field (1.17 -> 0.474 at seed 0, and
1.19 -> 0.450 with 3.5 in place of 2.5, close to the criterion 0.520); PaiNN's energies first standardised with wrong
constants (46.7 -> 0.176).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh27_builders as F

P = functools.partial
HALF = "fresh27"
#: chance losses: ten, four and two classes and the 64-token vocabulary; HRNet, the TFT, Informer, DiffPool (its loss
#: holds the auxiliary terms), PaiNN, Demucs and the flow have none (their first loss is the reference)
C10, C4, C2, LM = math.log(10), math.log(4), math.log(2), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH27_HEALTHY: list[Case] = [
    _h("hrnet_keypoints", HALF, "hrnet", F.hrnet, None),
    _h("tft_quantiles", HALF, "tft", F.tft, None),
    _h("informer_forecaster", HALF, "informer", F.informer, None),
    _h("timesformer_clips", HALF, "timesformer", F.timesformer, C4),
    _h("onlstm_lm", HALF, "onlstm", F.onlstm, LM),
    _h("deltanet_lm", HALF, "deltanet", F.deltanet, LM),
    _h("diffpool_graphs", HALF, "diffpool", F.diffpool, None),
    _h("painn_energies", HALF, "painn", F.painn, None),
    _h("resnest_classifier", HALF, "resnest", F.resnest, C10),
    _h("demucs_separation", HALF, "demucs", F.demucs, None),
    _h("relation_network_sort_of_clevr", HALF, "relation_network", F.relation_net, C10),
    _h("finalmlp_clicks", HALF, "finalmlp", F.finalmlp, C2),
    _h("neural_spline_flow_moons", HALF, "nsf", F.nsf, None),
]

FRESH27_BROKEN: list[Case] = [
    # init
    _b("finalmlp_norm_init_branch_catches_linear", HALF, ("init",), BOTH, STUCK,  # kind: slip
       P(F.finalmlp, norm_branch_first=True), C2),
    _b("relation_network_linear_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.relation_net, linear_std=1.0), C10),
    # activation
    _b("relation_network_hidden_bias_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.relation_net, hidden_bias=-10.0), C10),
    _b("finalmlp_softmax_on_single_output", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.finalmlp, softmax=True), C2),
    # depth
    _b("finalmlp_streams_32_plain_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.finalmlp, depth=(32, 32)), C2),
    # recurrence
    _b("onlstm_recurrent_weights_std_5", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.onlstm, hh_std=5.0), LM),
    # lr
    _b("hrnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.hrnet, lr=1.0), None),
    _b("demucs_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.demucs, lr=1.0), None),
    _b("neural_spline_flow_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.nsf, lr=1.0), None),
    # normalization
    _b("resnest_without_batchnorm_sgd_lr0.5", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.resnest, bn=False, lr=0.5), C10),
    # data
    _b("neural_spline_flow_points_in_raw_units", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.nsf, scale=100.0, shift=1000.0), None),
    _b("demucs_stems_in_listdir_order", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.demucs, listdir=True), None),
    # numeric
    _b("demucs_standardised_without_eps_silent_examples", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.demucs, eps=None, silent=2), None),
    _b("painn_unit_vectors_of_self_pairs", HALF, ("numeric",), NONFINITE,  # kind: common
       ("nonfinite",), P(F.painn, guard=False), None),
    _b("informer_standardised_over_variate_axis", HALF, ("numeric", "data", "normalization"),  # kind: slip
       NONFINITE, ("nonfinite",), P(F.informer, norm_dim=-1), None),
    # regularization
    _b("diffpool_adam_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.diffpool, weight_decay=50.0), None),
    _b("deltanet_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.deltanet, weight_decay=50.0), LM),
    _b("relation_network_adam_weight_decay_10", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.relation_net, weight_decay=10.0), C10),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "finalmlp_norm_init_branch_catches_linear": "slip", "relation_network_linear_init_std_1": "common",
    "relation_network_hidden_bias_minus_10": "common", "finalmlp_softmax_on_single_output": "slip",
    "finalmlp_streams_32_plain_layers": "common", "onlstm_recurrent_weights_std_5": "common",
    "hrnet_adam_lr1": "common", "demucs_adam_lr1": "common", "neural_spline_flow_adam_lr1": "common",
    "resnest_without_batchnorm_sgd_lr0.5": "common", "neural_spline_flow_points_in_raw_units": "common",
    "demucs_stems_in_listdir_order": "slip", "demucs_standardised_without_eps_silent_examples": "common",
    "painn_unit_vectors_of_self_pairs": "common", "informer_standardised_over_variate_axis": "slip",
    "diffpool_adam_weight_decay_50": "common", "deltanet_adamw_weight_decay_50": "common",
    "relation_network_adam_weight_decay_10": "common",
}

#: the cases (half "fresh27")
FRESH27: list[Case] = FRESH27_HEALTHY + FRESH27_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "finalmlp_norm_init_branch_catches_linear": F.finalmlp,
    "relation_network_linear_init_std_1": F.relation_net,
    "relation_network_hidden_bias_minus_10": F.relation_net,
    "finalmlp_softmax_on_single_output": F.finalmlp,
    "finalmlp_streams_32_plain_layers": F.finalmlp,
    "onlstm_recurrent_weights_std_5": F.onlstm,
    "hrnet_adam_lr1": F.hrnet,
    "demucs_adam_lr1": F.demucs,
    "neural_spline_flow_adam_lr1": F.nsf,
    "resnest_without_batchnorm_sgd_lr0.5": P(F.resnest, lr=0.5),
    "neural_spline_flow_points_in_raw_units": F.nsf,
    "demucs_stems_in_listdir_order": F.demucs,
    "demucs_standardised_without_eps_silent_examples": F.demucs,
    "painn_unit_vectors_of_self_pairs": F.painn,
    "informer_standardised_over_variate_axis": F.informer,
    "diffpool_adam_weight_decay_50": F.diffpool,
    "deltanet_adamw_weight_decay_50": F.deltanet,
    "relation_network_adam_weight_decay_10": F.relation_net,
}
