"""The eighty-fifth held-out batch (half ``"fresh84"``): eight published generative, time-series forecasting and
scientific models new to the corpus at their usual settings, and sixteen broken variants with one real fault each,
written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh batch it is only
scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 840_000 + seed): MaskGIT (Chang et al. 2022, narrowed: the bidirectional
transformer alone over 6x6 grids of 16 VQ-like codes, code embeddings of 64 plus a ``[MASK]`` embedding, learned
positions, two pre-LN layers of 4 heads with GELU feed-forwards of 4x and dropout 0.1, BERT's truncated-normal 0.02
init, the cross-entropy over the masked positions under the paper's cosine schedule ``ceil(cos(pi r / 2) N)``; AdamW
with the paper's betas (0.9, 0.96) and weight decay 0.045 at lr 1e-3, set here where the paper's 1e-4 runs for many
epochs) on grids of 4 classes' fixed random code grids with 10% of the positions redrawn (batch 32); the Deep Markov
Model (Krishnan, Shalit and Sontag 2017, as Pyro's reference example writes it, narrowed to latents of 8 and hidden
layers of 32: the ReLU emitter to Bernoulli logits, the gated transition with its linear path started at the
identity, the combiner ``0.5 (tanh(W z_(t-1)) + h_t)`` over a backward tanh RNN, the reparameterised posterior
sample and the negative ELBO with the analytic Gaussian KL, summed over 16 steps; Adam with Pyro's betas (0.96,
0.999) and its gradient clipping at norm 10, at lr 3e-3, set here) on binary rolls of 16 steps of 16 units emitted by
a hidden 8-state cycle that advances with probability 0.85 (5% of the units flipped; batch 32); TarFlow (Zhai et al.
2024, narrowed: 16-dim vectors as 8 patches of 2, four autoregressive flow blocks, each a causal pre-LN transformer
layer of 64 and 4 heads whose zero-initialised output gives each patch ``(mu, alpha)`` from the patches before it,
``z = (x - mu) e^-alpha``, the order reversed between blocks, the NLL per dimension under a standard normal prior;
AdamW with the paper's betas (0.9, 0.95), weight decay 1e-4, at lr 1e-3, set here) on a mixture of 8 fixed centres
with noise 0.2 (batch 64); ES-RNN (Smyl 2020, narrowed: per-series Holt-Winters parameters (level and seasonal
smoothing ``sigmoid(.)`` from 0, initial log seasonal factors from 0) learned jointly with a two-layer LSTM of 32,
the paper's dilations left out, that reads the last 4 values divided by the step's level and seasonal factors, in
logs, and through a tanh adapter forecasts the next 4 normalised log values; the pinball loss at tau 0.5; Adam at lr
3e-3, set here) on 64 positive quarterly-like series (levels 10 to 1000, multiplicative seasonality of period 4,
drifts of -3% to +5% a step, 5% lognormal noise; batch 16 windows of 24 + 4 steps); TimeXer (Wang et al. 2024,
narrowed: the endogenous lookback of 48 in patches of 8 plus a learned global token, each exogenous series embedded
whole as a variate token, two post-LN encoder layers of 64 and 4 heads with self-attention over the patches and the
global token and cross-attention from the global token to the exogenous tokens, dropout 0.1, the reference code's
instance normalisation, a flatten head; MSE; Adam at lr 1e-3, set here) forecasting 12 steps of a series driven by
two of three exogenous series at lags 12 and 16 (batch 32); TSLANet (Eldele et al. 2024, narrowed for forecasting:
channel-independent, each channel standardised over its lookback of 64, patches of 16 at stride 8 to 7 tokens of 32,
two layers ``x + ICB(LN(ASB(LN(x))))`` with the adaptive spectral block (a global complex filter and a filter on
the high-energy frequencies above a learned threshold, straight-through) and the interactive convolution block
(kernels 1 and 3 gating each other through GELU, 3x wide, dropout 0.15), a flatten head over 16 steps; MSE; AdamW at
the reference code's lr 1e-3 and weight decay 1e-6) on three-channel series of two sinusoids each plus AR(1) noise
(batch 32); NOMAD (Seidman et al. 2022: a branch MLP encodes 32 sensor values of the input function into a code of
16 and the nonlinear decoder, an MLP over ``[code, y]``, gives the output at a query point; ReLU, width 64, two and
three hidden layers, PyTorch's default init; MSE; Adam at lr 1e-3) learning the antiderivative operator on functions
``b + sum_k a_k cos(2 pi k x + phi_k) / k`` at 16 random query points (batch 32); and the Deep Potential (Zhang et
al. 2018, DeePMD's se_a model narrowed to one atom type: the environment matrix of each atom's 5 neighbours with
``s(r) = 1/r`` switched off smoothly between 3 and 4, the tanh embedding net 1 -> 16 -> 32 with DeePMD's residual
doubling, the descriptor ``(G^T R)(R^T G_<4) / 25``, the tanh fitting net 128 -> 64 -> 64 -> 1 with a residual, the
atomic energies summed, the forces ``-dE/dx`` by autograd with ``create_graph=True``; DeePMD's loss at its starting
prefactors, ``0.02 ((E - E*) / N)^2 + 1000 |F - F*|^2``; Adam at DeePMD's starting lr 1e-3, its decay left out) on
six-atom Morse clusters (jittered, randomly rotated octahedra; batch 32). MaskGIT, the DMM and TarFlow are the
generative models, ES-RNN, TimeXer and TSLANet the forecasters, NOMAD (a neural operator) and the Deep Potential (an
invariant energy with equivariant forces) the scientific ones.

Broken: one fault each, over all nine causes. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case
says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every DMM Linear drawn N(0, 1) (the
  softplus scales and the logits in the hundreds: the KL's ``log`` and squares overflow to ``inf - inf`` and the loss
  is NaN at step 0; init, with numeric accepted), NOMAD's biases before every ReLU at -10 (every branch and decoder
  unit dead: the output is the last bias; activation), NOMAD's decoder 30 ReLU layers of 64 deep at PyTorch's default
  init (depth), the DMM's inference RNN with its recurrent matrix an orthogonal one times 3 (the tanh state
  saturates, and the guide can neither carry nor read the rolls; recurrence), MaskGIT at AdamW lr 1, TimeXer at Adam
  lr 1, TarFlow at AdamW lr 1 and the Deep Potential at Adam lr 1 (lr), ES-RNN without its exponential-smoothing
  normalisation (the LSTM fed the raw last 4 values, 10 to 1000, and its head asked for raw forecasts:
  normalization, with data), MaskGIT at AdamW ``weight_decay=50`` and TSLANet at AdamW ``weight_decay=50``
  (regularization), TimeXer's targets permuted within every batch, apart from their inputs (data), and ES-RNN on
  data where every fourth series is a new product with no sales before a launch, 4 to 11 steps into each window
  (Holt-Winters' multiplicative level starts at ``0 / s = 0``, and ``log(0 / 0)`` is NaN at step 0; numeric, with
  data);
- **slip** (a user's mistake in train/eval-mode, detach or requires_grad handling, of a kind no earlier batch
  used): MaskGIT's learned position table written ``nn.Parameter(torch.zeros(1, n, d), requires_grad=False)``, the
  line of MAE's code, whose table is a fixed sin-cos one filled in afterwards, copied without the fill (the table
  is zero and never trains: the transformer is permutation-equivariant, every masked position of a grid gets the
  same prediction, and it can only learn a class's bag of codes; init, the zero initial value that is never left,
  with lr, the parameter never being stepped; fresh51's LayerScale buffer is labelled the same way); the DMM's
  posterior sample appended to a latent-trajectory trace for plotting by ``self.trace.append(z.detach_())``, the
  in-place ``detach_()`` where ``detach()`` belongs (``z`` itself is cut from the graph: the emitter and the
  transition still learn, but the combiner and the inference RNN get no reconstruction gradient, only the KL's pull
  towards the prior, so the posterior collapses onto the prior and the emitter can only fit the units' marginal;
  regularization, the KL term left as the inference network's only objective, with data, the latents carrying
  nothing of the rolls); and TarFlow's Jacobian term summed from the blocks' logged values, each block's
  log-determinant kept for the training log as ``self.logdets.append(ld.mean().item())`` and the loss written
  ``0.5 |z|^2 - sum(self.logdets)`` (the loss's value is right, but Python floats carry no gradient: the objective's
  gradient is that of ``|z|^2`` alone, which every block lowers by raising its log-scales ``alpha``; nothing
  opposes the contraction, and the NLL climbs; regularization, the volume term that keeps maximum likelihood from
  collapsing the data onto the prior's mode lost from the gradient). Earlier mode and scope slips (a model left in
  ``eval()``, BatchNorms frozen in eval mode, states detached inside a time loop, ``no_grad`` decorators and loss
  blocks, a registered buffer for a parameter, an inverted ``self.training`` test, ``.data`` writes, inverted
  freezes and zeroing hooks, a ``requires_grad = True`` attribute that sets no flag, a ``.to()`` that unregisters a
  parameter, ``Normal(...).sample()`` tried and dropped in ``fresh80``) are not repeated: here a frozen placeholder
  never filled, an in-place ``detach_()`` on a live tensor, and a loss term rebuilt from ``.item()`` values.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is NOMAD with its own three decoder layers).

Learning criteria: MaskGIT compares with chance (ln 16), the DMM with 256 fair coins (177.4 nats a sequence), TimeXer,
TSLANet and NOMAD with their best constant predictions (the targets' variance over the pools of seeds 0 and 1: 0.913 and
0.907, 1.570 and 1.600, 0.368 and 0.388; the constants 0.91, 1.585 and 0.378), the Deep Potential with the loss of
predicting no forces and no energy (2685 and 2904 over those pools; 2795), TarFlow and ES-RNN with their first loss.
Measured plain runs, 200 steps (seed 0, seed 1): MaskGIT 2.789 -> 1.142 and 2.795 -> 1.092 (the criterion 2.079); the
DMM 198.3 -> 120.0 and 207.1 -> 126.5 (the criterion 133.1); TarFlow 1.429 -> 0.349 and 1.454 -> 0.393; ES-RNN 0.0622 ->
0.0302 and 0.0691 -> 0.0297; TimeXer 1.080 -> 0.271 and 0.902 -> 0.273 (the criteria 0.683 and 0.677); TSLANet 0.608 ->
0.142 and 0.696 -> 0.135; NOMAD 0.255 -> 0.0120 and 0.203 -> 0.0171 (its loss passes twice the first at step 1 at seed
1, a harder batch: the healthy case declares no trouble); the Deep Potential 3551 -> 50.6 and 3477 -> 44.3. Broken:
``deep_markov_model_init_std_1`` and ``es_rnn_log_of_zero_sales`` are non-finite at step 0 at both seeds (the loss
itself); ``nomad_relu_biases_minus_10`` 0.255 -> 0.360 and 0.204 -> 0.377 and ``nomad_30_decoder_layers_default_init``
0.256 -> 0.360 and 0.208 -> 0.376 (both the best constant, above the criteria 0.191 and 0.152; the batches' spread flags
a divergence at steps 18 and 1, which these cases do not declare); ``deep_markov_model_rnn_radius_3`` 206.9 -> 165.4 and
221.7 -> 165.7; ``maskgit_adamw_lr1`` diverges at step 1 at both seeds (ends 3.854 and 2.922; weights x42 at step 0);
``timexer_adam_lr1`` diverges at step 1 at both seeds (ends 52.3 and 62.4; weights x66 at step 0); ``tarflow_adamw_lr1``
is non-finite at step 1 at both seeds; ``deep_potential_adam_lr1`` diverges at step 3 at seed 0 and ends at 2663, and at
seed 1 ends at 3013, not learned (weights x83 at step 0: the tanh nets saturate and the predicted forces vanish, the
loss of predicting none); ``es_rnn_without_es_normalisation`` 253.0 -> 254.9 and 244.8 -> 240.3 (raw units; the batches'
spread flags a divergence at steps 24 and 10, not declared); ``maskgit_adamw_weight_decay_50`` 2.789 -> 2.757 and 2.795
-> 2.757; ``tslanet_adamw_weight_decay_50`` 0.608 -> 0.542 and 0.696 -> 0.536 (the criteria 0.456 and 0.522);
``timexer_targets_shuffled`` 1.585 -> 1.165 and 1.522 -> 1.069; ``maskgit_pos_embed_frozen_zeros_mae_habit`` 2.781 ->
2.606 and 2.786 -> 2.616; ``deep_markov_model_latent_trace_detached_in_place`` 198.3 -> 165.5 and 207.1 -> 165.7 (the
same 165 nats as the saturated RNN's: the units' marginal plus a collapsed KL);
``tarflow_logdet_summed_from_logged_items`` 1.429 -> 8.118 and 1.454 -> 8.219, its loss past twice the first at step 11
at both seeds. The cases ran in 0.1 to 42 s a seed on 2 cores shared with three other helpers' runs (load about 6);
MaskGIT is the slowest (about 20 s a seed at its fastest here), then the DMM, TarFlow and TSLANet (14 to 24 s).

Dropped or changed before the freeze (every figure above is from the final code): MaskGIT was first trained on 8x8
grids of 8 classes (2.778 -> 1.782 and 2.777 -> 1.813 against the criterion 2.079, learned but narrowly, and 38 to 54
s a seed under load); it runs on 6x6 grids of 4 classes. ES-RNN's series first had seasonal amplitudes up to 0.3 and
drifts of -1% to +2% a step (0.0396 -> 0.0260 at seed 0 against its criterion 0.0297, a narrow margin); the larger
ones leave the LSTM more to forecast. TSLANet was first 64 wide (0.655 -> 0.092 and 0.710 -> 0.093, 22 to 24 s a seed
under load); it is 32 wide. The Deep Potential's slip, the forces taken by ``torch.autograd.grad(E.sum(), pos,
retain_graph=True)`` (what the error "Trying to backward through the graph a second time ... Specify
retain_graph=True" asks for) where ``create_graph=True`` belongs, learned (3551 -> 2094 and 3477 -> 2078: Adam fits
the energy term alone, and the fitted energy surface carries part of the forces) and was dropped (its ``slip_retain``
switch stays, unused), as was the Deep Potential at Adam ``weight_decay=1`` (3551 -> 51.4 and 3477 -> 45.0, learned);
TarFlow's Jacobian slip took the third slip's place. The Deep Potential at Adam lr 10 ended exactly as at lr 1 (the
tanh nets saturate and the forces vanish) and lr 1 is kept. NOMAD with every weight and bias zero failed like its
dead-ReLU case (0.249 -> 0.360 and 0.212 -> 0.375: only the last bias moves) and was left out, the DMM's N(0, 1)
being the init common. TSLANet's ``gelu_shift`` switch (the interactive convolutions' biases at -10) was written
and never run: the block is residual, so its dead units would not stop the stack.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh84_builders as F

P = functools.partial
HALF = "fresh84"
#: chance losses: MaskGIT's 16 codes; the DMM's 256 fair coins (16 steps of 16 units, in nats a sequence); the
#: forecasters' and NOMAD's best constant predictions (the targets' variance over the pools of seeds 0 and 1: TimeXer
#: 0.913 and 0.907, TSLANet 1.570 and 1.600, NOMAD 0.368 and 0.388); the Deep Potential's loss of predicting no
#: forces and no energy (2685 and 2904 over those pools). TarFlow and ES-RNN compare with their first loss.
C16, COINS = math.log(16), 16 * 16 * math.log(2)
TIMEXER_VAR, TSLANET_VAR, NOMAD_VAR, NO_FORCES = 0.91, 1.585, 0.378, 2795.0
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH84_HEALTHY: list[Case] = [
    _h("maskgit_code_grids", HALF, "maskgit", F.maskgit, C16),
    _h("deep_markov_model_binary_rolls", HALF, "deep_markov_model", F.dmm, COINS),
    _h("tarflow_mixture_vectors", HALF, "tarflow", F.tarflow, None),
    _h("es_rnn_seasonal_series", HALF, "es_rnn", F.es_rnn, None),
    _h("timexer_exogenous_forecast", HALF, "timexer", F.timexer, TIMEXER_VAR),
    _h("tslanet_periodic_forecast", HALF, "tslanet", F.tslanet, TSLANET_VAR),
    _h("nomad_antiderivative_operator", HALF, "nomad", F.nomad, NOMAD_VAR),
    _h("deep_potential_morse_molecules", HALF, "deep_potential", F.deep_potential, NO_FORCES),
]

FRESH84_BROKEN: list[Case] = [
    # init
    _b("deep_markov_model_init_std_1", HALF, ("init", "numeric"), EXPLODE, ("nonfinite",),  # kind: common
       P(F.dmm, init_std=1.0), COINS),
    # activation
    _b("nomad_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.nomad, relu_bias=-10.0), NOMAD_VAR),
    # depth
    _b("nomad_30_decoder_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.nomad, decoder_hidden=30), NOMAD_VAR),
    # recurrence
    _b("deep_markov_model_rnn_radius_3", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.dmm, rnn_radius=3.0), COINS),
    # lr
    _b("maskgit_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.maskgit, lr=1.0), C16),
    _b("timexer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.timexer, lr=1.0), TIMEXER_VAR),
    _b("tarflow_adamw_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.tarflow, lr=1.0), None),
    _b("deep_potential_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.deep_potential, lr=1.0), NO_FORCES),
    # normalization
    _b("es_rnn_without_es_normalisation", HALF, ("normalization", "data"), BOTH, STUCK,  # kind: common
       P(F.es_rnn, raw=True), None),
    # regularization
    _b("maskgit_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.maskgit, weight_decay=50.0), C16),
    _b("tslanet_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.tslanet, weight_decay=50.0), TSLANET_VAR),
    # data
    _b("timexer_targets_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.timexer, shuffled=True), TIMEXER_VAR),
    # numeric
    _b("es_rnn_log_of_zero_sales", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",),  # kind: common
       P(F.es_rnn, zeros=True), None),
    # slips
    _b("maskgit_pos_embed_frozen_zeros_mae_habit", HALF, ("init", "lr"), VANISH, STUCK,  # kind: slip
       P(F.maskgit, frozen_zero_pos=True), C16),
    _b("deep_markov_model_latent_trace_detached_in_place", HALF, ("regularization", "data"), VANISH,  # kind: slip
       STUCK, P(F.dmm, trace_in_place=True), COINS),
    _b("tarflow_logdet_summed_from_logged_items", HALF, ("regularization",), BOTH, DIVERGE + STUCK,  # kind: slip
       P(F.tarflow, logdet_item=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "deep_markov_model_init_std_1": "common", "nomad_relu_biases_minus_10": "common",
    "nomad_30_decoder_layers_default_init": "common", "deep_markov_model_rnn_radius_3": "common",
    "maskgit_adamw_lr1": "common", "timexer_adam_lr1": "common", "tarflow_adamw_lr1": "common",
    "deep_potential_adam_lr1": "common", "es_rnn_without_es_normalisation": "common",
    "maskgit_adamw_weight_decay_50": "common", "tslanet_adamw_weight_decay_50": "common",
    "timexer_targets_shuffled": "common", "es_rnn_log_of_zero_sales": "common",
    "maskgit_pos_embed_frozen_zeros_mae_habit": "slip", "deep_markov_model_latent_trace_detached_in_place": "slip",
    "tarflow_logdet_summed_from_logged_items": "slip",
}

#: the cases (half "fresh84")
FRESH84: list[Case] = FRESH84_HEALTHY + FRESH84_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "deep_markov_model_init_std_1": F.dmm,
    "nomad_relu_biases_minus_10": F.nomad,
    "nomad_30_decoder_layers_default_init": F.nomad,
    "deep_markov_model_rnn_radius_3": F.dmm,
    "maskgit_adamw_lr1": F.maskgit,
    "timexer_adam_lr1": F.timexer,
    "tarflow_adamw_lr1": F.tarflow,
    "deep_potential_adam_lr1": F.deep_potential,
    "es_rnn_without_es_normalisation": F.es_rnn,
    "maskgit_adamw_weight_decay_50": F.maskgit,
    "tslanet_adamw_weight_decay_50": F.tslanet,
    "timexer_targets_shuffled": F.timexer,
    "es_rnn_log_of_zero_sales": F.es_rnn,
    "maskgit_pos_embed_frozen_zeros_mae_habit": F.maskgit,
    "deep_markov_model_latent_trace_detached_in_place": F.dmm,
    "tarflow_logdet_summed_from_logged_items": F.tarflow,
}
