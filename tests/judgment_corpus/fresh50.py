"""The fifty-first held-out batch (half ``"fresh50"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, over graphs, tabular data, time series, audio, recommenders and scientific
machine learning; the settings are the paper's or its reference code's unless said; the data are synthetic, drawn
from the seeds 500_000 + seed): SIGN (Frasca, Rossi et al. 2020, the inception form of its reference example: one
two-layer feed-forward net of 64 (BatchNorm, PReLU, dropout 0.5, Xavier-uniform at the ReLU gain, zero biases) per
precomputed operator ``A~^k X``, k = 0..3, with the GCN normalisation ``D^-1/2 (A + I) D^-1/2``, their outputs
concatenated, a PReLU, dropout, a two-layer projection; input dropout 0.1; Adam lr 1e-2, set here) and the Graph
Transformer (Dwivedi and Bresson 2020, its BatchNorm variant, narrowed: node features embedded to 64, two layers of
``nn.MultiheadAttention`` with 4 heads restricted to the edges and self-loops by ``attn_mask``, residuals, BatchNorms,
a ReLU feed-forward of 2x, an MLP readout 64-32-4, its Laplacian encodings left out; Adam lr 5e-4, set here), both
classifying the nodes of a 300-node stochastic block model with 20 cold-start nodes whose only feature is a weak
categorical attribute (its class with probability 0.4; the loss over the training half); DANet (Chen et al. 2022,
narrowed: two basic blocks of width 32, each two abstract layers (4 learnable 1.5-entmax feature masks, a grouped
Linear, Ghost BatchNorm over virtual batches of 64, ``sum_k relu(sigmoid(a_k) b_k)``) plus the shortcut abstract
layer on the raw features after dropout 0.1, the reference head 256-512; Adam lr 3e-3, weight decay 1e-5, set here
in place of the reference's QHAdam) classifying rows of 12 Gaussian features by a nonlinear teacher (4 classes,
batch 128); GDCN (Wang et al. 2023, its stacked form GDCN-S: field embeddings of 16, three gated cross layers
``c_0 * (W_c c_l + b) * sigmoid(W_g c_l) + c_l``, a ReLU MLP 400-400-400 to the logit; Xavier-normal embeddings and
Adam lr 1e-3, set here) predicting clicks from 8 categorical fields labelled by a pairwise teacher (batch 256); the
T-LSTM (Baytas et al. 2017: before each update the cell's short-term part ``tanh(W_d C + b_d)`` discounted by
``g(dt) = 1 / log(e + dt)`` of the elapsed time, then the LSTM gates; 32 units, the final state classified; PyTorch's
default init; Adam lr 1e-2, set here) classifying irregularly sampled records of 12 visits (``dt ~ Exp(1)`` days, 20%
of them 0, readings taken at the same time) whose class shows only in the first 4 visits; Wave-U-Net (Stoller, Ewert
and Dixon 2018, narrowed: 4 downsampling blocks (kernel 15, 16 more filters a level where the paper adds 24,
LeakyReLU 0.2, decimation), a bottleneck, 4 upsampling blocks (linear interpolation, the skip concatenated, kernel 5),
the mixture concatenated, a tanh output for the first source and the paper's difference output for the second;
"same" padding; Adam at the paper's lr 1e-4 and batch 16) separating a harmonic tone from band-passed noise in
mixtures of 128 samples; the F-FNO (Tran et al. 2023, narrowed: the field and its grid lifted to 32, four layers
``x + FF(K(x))`` with the factorized spectral convolution ``K`` (an rFFT along each axis separately, 6 modes,
Xavier-normal complex weights as the reference code) and a ReLU feed-forward of 2x without LayerNorm, a two-Linear
projection; Adam lr 1e-3, set here) learning the operator from a charge density on a periodic 16x16 grid to the
energy density ``|grad phi|^2`` of its potential, normalised per point as the FNO code's ``UnitGaussianNormalizer``
(batch 8); and the G-SympNet (Jin et al. 2020: six gradient modules alternating up and low, ``p <- p + K diag(a)
sigmoid(K^T q + b)``, width 30, ``K`` and ``a`` at 0.01 N(0, 1) and ``b`` zero as the reference code; Adam lr 1e-2,
set here) learning the pendulum's flow map over one time unit (batch 64).

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh48``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every Wave-U-Net convolution drawn N(0, 1)
  (init), the hidden biases of GDCN's MLP at -10 (every ReLU dead; activation), the Graph Transformer's readout MLP
  30 hidden layers deep at PyTorch's default init (depth), the T-LSTM's recurrent weights (the gates' columns on
  ``h_{t-1}``) drawn N(0, 5^2) (saturated gates; recurrence), DANet, the F-FNO and the SympNet at Adam lr 1 (lr),
  SIGN and the SympNet at Adam ``weight_decay=1`` (coupled L2; regularization), DANet's classes permuted within every
  batch, apart from their rows, and Wave-U-Net's waveforms left in 16-bit sample values (times 32768, never divided
  down to [-1, 1], where its tanh output lives; data), and SIGN's operators normalised ``D^-1/2 A D^-1/2`` without the
  self-loops on a graph with cold-start nodes (``0^-1/2 = inf``, and ``inf * 0`` is NaN; numeric);
- **slip** (a user's mistake in an architecture's configuration, of a kind no earlier batch used): the F-FNO's
  feed-forward given ``act=nn.ReLU``, the class where an instance belongs, to a block that keeps its activation only
  ``if isinstance(act, nn.Module)`` (and else the identity, its "no activation" default): every layer is linear, and
  the whole operator too, which cannot represent an energy density quadratic in the charge (activation); GDCN's MLP
  built by a block factory that puts its LayerNorm after every Linear, the output one included: a LayerNorm over the
  single logit returns its bias whatever the input, and no gradient reaches anything below it (normalization); the
  Graph Transformer's attention built ``nn.MultiheadAttention(d, heads, True)`` with ``batch_first=True`` in mind,
  where the third positional argument is ``dropout``: p = 1.0 drops every attention weight in training, the
  attention's output is its bias, and no node hears its neighbours (regularization); and the T-LSTM configured with
  the paper's other discount, ``g(dt) = 1 / dt`` (offered for small elapsed times), on records with same-day visits:
  ``1 / 0`` is inf, and ``inf * 0`` NaN at the first forward (numeric). None of the slips is an init, depth,
  recurrence, lr or data one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds.

Learning criteria: the classifiers compare with chance (SIGN's, the Graph Transformer's, DANet's and the T-LSTM's four
classes, GDCN's two); Wave-U-Net, the F-FNO and the SympNet compare with their first loss. Measured plain runs, 200
steps (seed 0, seed 1): SIGN 2.317 -> 0.574 and 2.111 -> 0.312; the Graph Transformer 1.446 -> 0.061 and 1.326 ->
0.057; DANet 1.401 -> 0.423 and 1.435 -> 0.392; GDCN 0.695 -> 0.111 and 0.689 -> 0.071; the T-LSTM 1.390 -> 0.037
and 1.389 -> 0.066; Wave-U-Net 0.0861 -> 0.0109 and 0.1371 -> 0.0146; the F-FNO 0.591 -> 0.0085 and 1.126 -> 0.0068
(seed 0's loss passes twice its low first loss at step 3 on its way down); the SympNet 0.572 -> 0.018 and 0.632 ->
0.019 (its weights grow 32x and 30x from the reference's 0.01 init). Broken: ``wave_u_net_init_std_1`` 1.061 ->
1.081 and 1.094 -> 1.100 (no divergence; the tanh output saturated); ``gdcn_relu_biases_minus_10`` 0.695 -> 0.673
and 0.688 -> 0.667; ``ffno_activation_class_not_instance`` 0.604 -> 1.050 and 1.135 -> 0.981 (the criterion 0.453
and 0.851); ``graph_transformer_readout_30_layers`` 1.384 -> 1.380 and 1.386 -> 1.384; ``t_lstm_recurrent_std_5``
1.399 -> 1.388 and 1.412 -> 1.319; ``danet_adam_lr1`` diverges at step 1 at both seeds (ends 43.8 and 1.347;
weights x33 and x32); ``ffno_adam_lr1`` diverges at step 1 at both seeds (ends 7.2e27 and 1.0e29; weights x162 and
x168); ``sympnet_adam_lr1`` diverges at step 1 at both seeds (ends 10.5 and 3.4e5; weights x1060 and x1310);
``gdcn_layernorm_on_the_logit`` 0.693 -> 0.671 and 0.693 -> 0.670 (only the LayerNorm's bias, the base rate,
learns); ``sign_adam_weight_decay_1`` 2.317 -> 1.384 and 2.111 -> 1.386; ``sympnet_adam_weight_decay_1`` 0.572 ->
0.613 and 0.632 -> 0.619; ``graph_transformer_attention_dropout_true`` 1.467 -> 1.163 and 1.332 -> 1.091 (the
criterion 1.040 and 0.999: a node's own attribute says too little); ``danet_labels_shuffled`` 1.416 -> 1.289 and
1.427 -> 1.246; ``wave_u_net_int16_sample_values`` 8.8e7 -> 9.3e7 and 9.3e7 -> 9.7e7 (no divergence);
``sign_gcn_norm_without_self_loops`` and ``t_lstm_inverse_decay_same_day_visits`` are non-finite at step 0 at both
seeds (the loss itself). Every case takes at most 4.2 s of CPU a seed (the F-FNO the slowest; up to 6 s of wall time
on a machine shared with other work).

Dropped or changed before the freeze (every figure above is from the final code; the dropped variants' figures are
from the code of the time): TPA-LSTM (Shih et al. 2019) was the first time-series model; its temporal pattern
attention reads every hidden state of the window, so no recurrence fault failed it: with the reference code's
autoregressive highway its recurrent weights at N(0, 1) and N(0, 3^2) learned (0.099 and 0.073; 0.218 and 0.217),
and without it N(0, 3^2), N(0, 10^2) and N(0, 30^2) did too (0.356 and 0.402; 0.416 and 0.443; 0.430 and 0.463);
it was replaced by the T-LSTM, which reads only its final state. The T-LSTM's forget-gate bias at -5 learned (0.504
and 0.932 on records of 16 visits with whole-day gaps; the state still passes through ``h``); its recurrent weights
are the recurrence common. The T-LSTM's records were first 24 visits long, then 16 with the same-day zeros, where the
healthy run learned only narrowly at seed 0 (0.946 and 0.865 against 1.040); at 12 visits it learns (the figures
above). The F-FNO's feed-forward first ended in a LayerNorm (the
reference code's ``layer_norm`` switch): with it the activation slip learned (0.037 and 0.054), the LayerNorm's
division by the standard deviation being a nonlinearity of its own; the feed-forward has none now. The Graph
Transformer's attention mask without the self-loops was to be the numeric common (the cold-start nodes' rows all
masked), but PyTorch 2.13's attention returns zeros for a fully masked row, not NaN, and it learned (0.0031 and
0.0033); the numeric common is SIGN's. The graph's node features were first Gaussian (16 and then 4 dimensions):
with them the attention-dropout slip learned (0.0039 and 0.0038; 0.024 and 0.018) by memorising the training nodes
from their own features, so the feature is a categorical attribute that many nodes share. GDCN's MLP 30 hidden layers
deep failed (0.650 and 0.646) but took 21 s a seed; the depth common is the Graph Transformer's readout. No
normalization common was found: DANet without its Ghost BatchNorms learned (0.634 and 0.606; at six blocks 0.635
and 0.625), as did the Graph Transformer without its BatchNorms (0.056 and 0.051; at six layers 0.054 and 0.050) and
SIGN without its BatchNorms (0.594 and 0.348), so normalization has its slip only. The SympNet at its reference init
and Adam lr 1e-3 did not learn in 200 steps (0.608 and 0.617), hence lr 1e-2; its ``K`` and ``a`` at N(0, 1) and
N(0, 3^2) learned against their inflated first losses (69.4 -> 0.040 and 38.4 -> 0.052; 5837 -> 68.0 and 3923 ->
16.2; the ``init_std`` switch stays, unused). SIGN at Adam lr 1e-3 ended at 0.933 at seed 0 (the criterion 1.040)
and trains at 1e-2; SIGN at Adam lr 1 learned at seed 1 (0.780) and was not kept. DANet at Adam lr 8e-3 doubled its
loss at step 1 at both seeds (2.75 and 3.60) before learning; it trains at 3e-3. Wave-U-Net at 256 samples and 24
filters a level took 8.5 s a seed; it is narrowed to 128 samples and 16. GDCN at Adam lr 1 (diverges at step 1), the
T-LSTM at Adam weight decay 1 (1.387 at both seeds, at 16 visits) and the F-FNO at Adam weight decay 1 (1.042 and
0.982) also failed and were left out, to spread the cases over the models.
"""

from __future__ import annotations

import functools
import math

from torch import nn

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh50_builders as F

P = functools.partial
HALF = "fresh50"
#: chance losses: four classes (SIGN's and the Graph Transformer's nodes, DANet's rows, the T-LSTM's records), two
#: (GDCN's clicks); Wave-U-Net, the F-FNO and the SympNet have none (their first loss is the reference)
C4, C2 = math.log(4), math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH50_HEALTHY: list[Case] = [
    _h("sign_sbm_nodes", HALF, "sign", F.sign, C4),
    _h("graph_transformer_sbm_nodes", HALF, "graph_transformer", F.graph_transformer, C4),
    _h("danet_tabular", HALF, "danet", F.danet, C4),
    _h("gdcn_clicks", HALF, "gdcn", F.gdcn, C2),
    _h("t_lstm_visits", HALF, "t_lstm", F.t_lstm, C4),
    _h("wave_u_net_mixtures", HALF, "wave_u_net", F.wave_unet, None),
    _h("ffno_energy_density", HALF, "ffno", F.ffno, None),
    _h("sympnet_pendulum", HALF, "sympnet", F.sympnet, None),
]

FRESH50_BROKEN: list[Case] = [
    # init
    _b("wave_u_net_init_std_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.wave_unet, init_std=1.0), None),
    # activation
    _b("gdcn_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.gdcn, hidden_bias=-10.0), C2),
    _b("ffno_activation_class_not_instance", HALF, ("activation",), VANISH, STUCK,  # kind: slip
       P(F.ffno, act=nn.ReLU), None),
    # depth
    _b("graph_transformer_readout_30_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.graph_transformer, readout_layers=30), C4),
    # recurrence
    _b("t_lstm_recurrent_std_5", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.t_lstm, recurrent_std=5.0), C4),
    # lr
    _b("danet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.danet, lr=1.0), C4),
    _b("ffno_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ffno, lr=1.0), None),
    _b("sympnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.sympnet, lr=1.0), None),
    # normalization
    _b("gdcn_layernorm_on_the_logit", HALF, ("normalization",), VANISH, STUCK,  # kind: slip
       P(F.gdcn, norm_output=True), C2),
    # regularization
    _b("sign_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.sign, weight_decay=1.0), C4),
    _b("sympnet_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.sympnet, weight_decay=1.0), None),
    _b("graph_transformer_attention_dropout_true", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.graph_transformer, mha_positional_true=True), C4),
    # data
    _b("danet_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.danet, shuffled=True), C4),
    _b("wave_u_net_int16_sample_values", HALF, ("data",), BOTH, STUCK,  # kind: common
       P(F.wave_unet, scale=32768.0), None),
    # numeric
    _b("sign_gcn_norm_without_self_loops", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.sign, self_loops=False), C4),
    _b("t_lstm_inverse_decay_same_day_visits", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.t_lstm, decay="inverse"), C4),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "wave_u_net_init_std_1": "common", "gdcn_relu_biases_minus_10": "common",
    "ffno_activation_class_not_instance": "slip", "graph_transformer_readout_30_layers": "common",
    "t_lstm_recurrent_std_5": "common", "danet_adam_lr1": "common", "ffno_adam_lr1": "common",
    "sympnet_adam_lr1": "common", "gdcn_layernorm_on_the_logit": "slip", "sign_adam_weight_decay_1": "common",
    "sympnet_adam_weight_decay_1": "common", "graph_transformer_attention_dropout_true": "slip",
    "danet_labels_shuffled": "common", "wave_u_net_int16_sample_values": "common",
    "sign_gcn_norm_without_self_loops": "common", "t_lstm_inverse_decay_same_day_visits": "slip",
}

#: the cases (half "fresh50")
FRESH50: list[Case] = FRESH50_HEALTHY + FRESH50_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "wave_u_net_init_std_1": F.wave_unet,
    "gdcn_relu_biases_minus_10": F.gdcn,
    "ffno_activation_class_not_instance": F.ffno,
    "graph_transformer_readout_30_layers": F.graph_transformer,
    "t_lstm_recurrent_std_5": F.t_lstm,
    "danet_adam_lr1": F.danet,
    "ffno_adam_lr1": F.ffno,
    "sympnet_adam_lr1": F.sympnet,
    "gdcn_layernorm_on_the_logit": F.gdcn,
    "sign_adam_weight_decay_1": F.sign,
    "sympnet_adam_weight_decay_1": F.sympnet,
    "graph_transformer_attention_dropout_true": F.graph_transformer,
    "danet_labels_shuffled": F.danet,
    "wave_u_net_int16_sample_values": F.wave_unet,
    "sign_gcn_norm_without_self_loops": F.sign,
    "t_lstm_inverse_decay_same_day_visits": F.t_lstm,
}
