"""The twentieth held-out batch (issue 12, the eighteenth session's): models new to the corpus, all held-out (half
``"fresh19"``).

Written and its labels checked in plain PyTorch (seeds 0 and 1) by someone who never read gradguard's diagnosis or
detector rules, frozen (committed) before gradguard's judgment was ever run on any of these cases, then scored
(``benchmarks/judgment_table.py --half fresh19``). Nothing here is tuned on: no case is ever moved to the development
half, and the rules are never changed by looking at these cases' results.

Healthy: hand-built unless said: MoCo v2 (a three-stage conv-BN encoder and MLP head to 32 dims, a momentum key
encoder at 0.99, a queue of 256 keys filled with the initial key encoder's keys, temperature 0.2; SGD 0.06 momentum
0.9 weight decay 5e-4 as the MoCo CIFAR-10 demo; the momentum update and the enqueue after each step), VAN
(large-kernel attention: 5x5 depth-wise, 7x7 depth-wise of dilation 3, 1x1; BatchNorms, LayerScale 1e-2; AdamW 1e-3
wd 0.05 with warm-up) on 8-bit images through ``ToTensor``/``Normalize``, EDSR (four residual blocks without
BatchNorm scaled 0.1, the long skip, the pixel shuffle; L1, Adam 1e-4 as the paper), a Performer LM (causal FAVOR+
with 32 orthogonal positive random features, pre-LN; Adam 1e-3 with warm-up), the Dilated RNN (vanilla tanh layers of
dilations 1, 2, 4, 8; RMSProp 1e-3 decay 0.9 as Chang et al.) on first-token classification of 32 tokens, MaLSTM (a
shared LSTM of 50, ``exp(-L1)`` similarity, MSE; Adadelta rho 0.95 lr 1, clip 1.25 as the paper) on synonym
sentence pairs, Deep Graph Infomax (a GCN layer of 64 with PReLU, a sigmoid mean summary, a bilinear discriminator
against row-shuffled features; Adam 1e-3 as the paper), AFM (embeddings of 16, attention of 16, dropout 0.2;
Adagrad 0.1, as its 0.05 had not learned by step 200: 0.693 -> 0.525 at seed 0, the criterion 0.520), NICE (four
additive couplings, the diagonal scaling, a logistic prior; Adam betas (0.9, 0.01) eps 1e-4 as the paper, at lr
3e-3 as its 1e-3 had not learned: 1.62 -> 1.25 at seed 0, the criterion 1.22), a CRNN audio tagger (the log power
spectrogram, three conv-BN-ReLU blocks, a bidirectional GRU; Adam 1e-3) on tone sweeps and silent clips, A2C on a
contextual bandit (separate tanh policy and value MLPs of 64, orthogonal init; RMSprop 7e-4 alpha 0.99 eps 1e-5,
value coefficient 0.5, entropy 0.01, clip 0.5 as baselines / Stable-Baselines3; the actions sampled by Gumbel noise
stored in the batch), a Longformer MLM (``transformers``' ``LongformerConfig``: 2 layers of 64, windows of 8; AdamW
wd 0.01 with warm-up, BERT's recipe, at lr 1e-3 as BERT's 1e-4 had not learned: 4.15 -> 3.67 at seed 0, and 5e-4
ended at the criterion, 3.12) and an MPNN with a Set2Set readout (three residual GCN-style layers, three LSTM
attention rounds; Adam 1e-3) on graph classification.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh18``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): the Performer and the Set2Set network with
  every weight matrix drawn N(0, 1), and MaLSTM's LSTM initialised to all zeros (every state stays 0, both sentences
  encode alike and the L1 distance's subgradient at 0 is 0; init), MoCo's projection head with its hidden biases at
  -10 (every ReLU dead, every embedding the same; activation), EDSR as 32 blocks (64 convolutions) without any skip
  or residual scaling (depth), MaLSTM's recurrent weights drawn N(0, 1) (recurrence), the Performer and the Set2Set
  network at Adam lr 1 and NICE at Adam lr 0.1 (lr), MaLSTM's targets left on SICK's 1-5 relatedness scale where
  ``exp(-d)`` predicts in (0, 1] and A2C's rewards in units of 1000 (data), the CRNN's ``log(power)`` without an
  eps on silent clips (``log 0 = -inf``; numeric), and AFM at Adagrad ``weight_decay=1`` and DGI at Adam
  ``weight_decay=1`` (regularization);
- **slip** (a user's mistake of a kind no earlier batch used): the Dilated RNN's sub-sequences cut by a plain
  ``x.reshape(b * d, t // d, h)`` where ``view(b, t // d, d, h).transpose(1, 2)`` interleaves them (each layer runs
  ``d`` contiguous chunks from a zero state: no connection skips steps any more; recurrence), MaLSTM's Adadelta
  given ``lr=1e-3``, Adam's habit, where Adadelta's lr is a multiplier meant to stay 1 (lr), the CRNN's per-clip
  waveform standardisation taken over axis 1 of ``(batch, 1, samples)``, the channel axis of size 1, where the
  time axis belongs (every waveform becomes 0; normalization), VAN's 8-bit pixels divided by ``x // 255`` where
  ``x / 255`` belongs (integer floor division: every pixel below 255 becomes 0; data), the Performer's sequence
  likelihood written ``-log(prod_t p_t) / T`` where the sum of logs belongs (32 probabilities near 1/64 multiply to
  below float32's smallest number: ``log 0 = -inf``; numeric), and MoCo's ``weight_decay=5e-4`` typed ``5-4`` (1:
  every weight shrinks by 6% a step; regularization). No init, activation or depth slip survived and no
  normalization common did (see below): the commons outnumber the slips (14 to 6). Three of the slips live in the
  code around the model (the optimizer's construction twice and the data loader's division).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except the depth case's, EDSR at 32 blocks with its skips and scaling (0.231 ->
0.0241 and 0.199 -> 0.0231).

Learning criteria: the classifiers compare with chance (ten, four, nine and two classes; MoCo's ln 257; the LMs' ln 64);
MaLSTM with its targets' variance (0.0979, the best constant prediction, measured over the data pools of seeds 0 and 1;
1.567 on the 1-5 scale); EDSR, NICE and A2C compare with their first loss (A2C's loss, a policy-gradient surrogate plus
the value and entropy terms, goes negative). Measured plain runs (seed 0, seed 1): MoCo 5.49 -> 3.20 and 5.49 -> 3.20;
VAN 2.52 -> 0.060 and 2.81 -> 0.060; EDSR 0.224 -> 0.0281 and 0.204 -> 0.0273; the Performer 4.18 -> 1.37 and 4.16 ->
1.31; the Dilated RNN 1.42 -> 0.845 and 1.40 -> 0.748; MaLSTM 0.407 -> 0.053 and 0.304 -> 0.049; DGI 0.823 -> 0.278 and
0.775 -> 0.242; AFM 0.693 -> 0.468 and 0.693 -> 0.490 (the criterion is 0.520); NICE 1.62 -> 0.956 and 1.61 -> 1.00; the
CRNN 2.18 -> 0.063 and 2.17 -> 0.039; A2C 0.417 -> -0.110 and 0.679 -> -0.119; the Longformer 4.15 -> 2.72 and 4.16 ->
2.57; the Set2Set network 1.47 -> 0.190 and 1.38 -> 0.148. Broken: ``performer_init_std_1`` 18.7 -> 5.15 and 17.8 ->
5.49; ``set2set_init_std_1`` 2.9e4 -> 2.7e3 and 2.5e4 -> 3.1e3; ``malstm_lstm_zero_init`` 0.271 -> 0.325 and 0.361 ->
0.334; ``moco_head_dead_relu`` 5.55 -> 4.86 and 5.55 -> 4.87 (the criterion is 4.16); ``edsr_64_plain_convs`` 0.210 ->
0.200 and 0.203 -> 0.201; ``malstm_recurrent_normal_std_1`` 0.439 -> 0.369 and 0.353 -> 0.363;
``dilated_rnn_chunks_by_reshape`` 1.41 -> 1.30 and 1.40 -> 1.30; ``performer_adam_lr1`` diverges at steps 3 and 2 (ends
361 and 423, weights x146 and x106); ``nice_adam_lr0.1`` diverges at step 1 and is non-finite from steps 21 and 30;
``set2set_adam_lr1`` diverges at step 1 (ends 1.48 and 1.44, weights x83 and x84); ``malstm_adadelta_given_adams_lr``
0.407 -> 0.323 and 0.304 -> 0.312; ``crnn_waveform_standardised_over_channel_axis`` 2.22 -> 2.20 and 2.19 -> 2.20;
``malstm_targets_on_sick_1_to_5_scale`` 12.5 -> 6.37 and 10.3 -> 6.08; ``a2c_rewards_x1000`` diverges at steps 19 and 89
(1.2e5 -> 3.8e5 and 1.8e5 -> 3.7e5); ``van_pixels_floor_divided_by_255`` 2.35 -> 2.25 and 2.36 -> 2.21; the CRNN's log
without eps is NaN at step 0; the product likelihood is inf at step 0; ``afm_adagrad_weight_decay_1`` 0.693 -> 0.689 at
both seeds; ``dgi_adam_weight_decay_1`` 0.823 -> 0.667 and 0.775 -> 0.662; ``moco_weight_decay_typed_5_minus_4`` 5.49 ->
5.22 and 5.49 -> 5.31.

Dropped before the freeze (seed 0 and seed 1): VAN with every weight N(0, 1) (12.5 -> 0.51 and 9.2 -> 0.37: its
BatchNorms absorb the scale), GPT's N(0, 0.02) applied to every Performer parameter named ``weight``, the LayerNorm
gains included (the init slip: 4.16 -> 1.99 and 4.16 -> 1.95), DGI at 16 GCN layers (0.693 -> 0.017 and 0.021: no
oversmoothing failure), the Dilated RNN's recurrent weights at N(0, 1) (1.40 -> 0.42 and 1.51 -> 0.60) and N(0, 9)
(1.48 -> 1.11 and 1.43 -> 1.05 against a criterion of 1.04: too close to call), MoCo's embeddings normalised by
``F.normalize(z, dim=0)`` over the batch (the first normalization slip: 5.38 -> 3.39 and 5.52 -> 3.32), the CRNN
without BatchNorm (2.19 -> 0.086 and 2.20 -> 0.055), VAN without its norms (2.29 -> 0.051 and 2.32 -> 0.0012) and the
Performer without LayerNorms (4.16 -> 1.86 and 4.16 -> 1.74; no normalization common survived), DGI's binary
cross-entropy written out as ``log(sigmoid(s))`` and ``log(1 - sigmoid(s))`` (the same run as the healthy one: its
scores never pass 17), and MoCo's ``weight_decay=1e-4`` typed ``1-4`` (``torch.optim.SGD`` refuses the negative
value at construction). A tiny MarianMT (``MarianConfig``) on a dictionary-translation task was dropped as a healthy
model: at Marian's Adam 3e-4 (3.71 -> 3.35) and at 1e-3 and 3e-3 its loss stays on the unigram plateau (~3.31 against
a criterion of 2.77) for the 200 steps, learning only after ~250; the Set2Set network took its place. Before the
freeze the Dilated RNN read 64 tokens (1.38 -> 1.22 at seed 0), VAN had two blocks a stage (the same learning, 29 s
a run), and MoCo's queue started as random unit vectors (the first positive outscored them at once: 1.39 ->
3.17, the loss rising as the queue filled with real keys).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh19_builders as F

P = functools.partial
HALF = "fresh19"
#: chance losses: ten, four and nine classes, MoCo's 257 candidates (the positive key and a queue of 256), the
#: 64-token language (the Longformer's labels too), DGI's and AFM's two, and MaLSTM's best constant prediction (the
#: variance of its relatedness targets over the data pools of seeds 0 and 1: 0.0979 on [0, 1], 1.567 on SICK's 1-5
#: scale); EDSR, NICE and A2C have none (their first loss is the reference)
C10, C4, C9, MOCO, LM, C2 = math.log(10), math.log(4), math.log(9), math.log(257), math.log(64), math.log(2)
REL, SICK = 0.0979, 1.567
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH19_HEALTHY: list[Case] = [
    _h("moco_v2_views", HALF, "moco", F.moco, MOCO),
    _h("van_classifier", HALF, "van", F.van, C10),
    _h("edsr_super_resolution", HALF, "edsr", F.edsr, None),
    _h("performer_lm", HALF, "performer", F.performer, LM),
    _h("dilated_rnn_first_token", HALF, "dilated_rnn", F.dilated_rnn, C4),
    _h("malstm_relatedness", HALF, "malstm", F.malstm, REL),
    _h("dgi_block_graphs", HALF, "dgi", F.dgi, C2),
    _h("afm_clicks", HALF, "afm", F.afm, C2),
    _h("nice_flow", HALF, "nice", F.nice, None),
    _h("crnn_audio_tagger", HALF, "crnn", F.crnn, C9),
    _h("a2c_contextual_bandit", HALF, "a2c", F.a2c, None),
    _h("longformer_mlm", HALF, "longformer", F.longformer, LM),
    _h("set2set_graph_classifier", HALF, "set2set", F.set2set, C4),
]

FRESH19_BROKEN: list[Case] = [
    # init
    _b("performer_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.performer, init_std=1.0), LM),
    _b("set2set_init_std_1", HALF, ("init",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.set2set, init_std=1.0), C4),
    _b("malstm_lstm_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.malstm, zero_lstm=True), REL),
    # activation
    _b("moco_head_dead_relu", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.moco, head_bias=-10.0), MOCO),
    # depth
    _b("edsr_64_plain_convs", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.edsr, blocks=32, residual=False), None),
    # recurrence
    _b("malstm_recurrent_normal_std_1", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.malstm, recurrent_std=1.0), REL),
    _b("dilated_rnn_chunks_by_reshape", HALF, ("recurrence",), VANISH, STUCK,  # kind: slip
       P(F.dilated_rnn, chunked=True), C4),
    # lr
    _b("performer_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.performer, lr=1.0), LM),
    _b("nice_adam_lr0.1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.nice, lr=0.1), None),
    _b("set2set_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE,  # kind: common
       P(F.set2set, lr=1.0), C4),
    _b("malstm_adadelta_given_adams_lr", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.malstm, adadelta_lr=1e-3), REL),
    # normalization
    _b("crnn_waveform_standardised_over_channel_axis", HALF, ("normalization", "data"), VANISH, STUCK,  # kind: slip
       P(F.crnn, standardise_dim=1), C9),
    # data
    _b("malstm_targets_on_sick_1_to_5_scale", HALF, ("data",), BOTH, STUCK,  # kind: common
       P(F.malstm, sick_scale=True), SICK),
    _b("a2c_rewards_x1000", HALF, ("data",), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.a2c, reward=1000.0), None),
    _b("van_pixels_floor_divided_by_255", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.van, floor_div=True), C10),
    # numeric
    _b("crnn_log_power_without_eps_silent_clips", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.crnn, log_eps=0.0), C9),
    _b("performer_likelihood_as_product", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: slip
       P(F.performer, product=True), LM),
    # regularization
    _b("afm_adagrad_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.afm, weight_decay=1.0), C2),
    _b("dgi_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.dgi, weight_decay=1.0), C2),
    _b("moco_weight_decay_typed_5_minus_4", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.moco, weight_decay=5 - 4), MOCO),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "performer_init_std_1": "common", "set2set_init_std_1": "common", "malstm_lstm_zero_init": "common",
    "moco_head_dead_relu": "common",
    "edsr_64_plain_convs": "common",
    "malstm_recurrent_normal_std_1": "common", "dilated_rnn_chunks_by_reshape": "slip",
    "performer_adam_lr1": "common", "nice_adam_lr0.1": "common", "set2set_adam_lr1": "common",
    "malstm_adadelta_given_adams_lr": "slip",
    "crnn_waveform_standardised_over_channel_axis": "slip",
    "malstm_targets_on_sick_1_to_5_scale": "common", "a2c_rewards_x1000": "common",
    "van_pixels_floor_divided_by_255": "slip",
    "crnn_log_power_without_eps_silent_clips": "common", "performer_likelihood_as_product": "slip",
    "afm_adagrad_weight_decay_1": "common", "dgi_adam_weight_decay_1": "common",
    "moco_weight_decay_typed_5_minus_4": "slip",
}

#: the cases (half "fresh19")
FRESH19: list[Case] = FRESH19_HEALTHY + FRESH19_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "performer_init_std_1": F.performer,
    "set2set_init_std_1": F.set2set,
    "malstm_lstm_zero_init": F.malstm,
    "moco_head_dead_relu": F.moco,
    "edsr_64_plain_convs": P(F.edsr, blocks=32),
    "malstm_recurrent_normal_std_1": F.malstm,
    "dilated_rnn_chunks_by_reshape": F.dilated_rnn,
    "performer_adam_lr1": F.performer,
    "nice_adam_lr0.1": F.nice,
    "set2set_adam_lr1": F.set2set,
    "malstm_adadelta_given_adams_lr": F.malstm,
    "crnn_waveform_standardised_over_channel_axis": F.crnn,
    "malstm_targets_on_sick_1_to_5_scale": F.malstm,
    "a2c_rewards_x1000": F.a2c,
    "van_pixels_floor_divided_by_255": F.van,
    "crnn_log_power_without_eps_silent_clips": F.crnn,
    "performer_likelihood_as_product": F.performer,
    "afm_adagrad_weight_decay_1": F.afm,
    "dgi_adam_weight_decay_1": F.dgi,
    "moco_weight_decay_typed_5_minus_4": F.moco,
}
