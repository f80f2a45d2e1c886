"""The twenty-seventh held-out batch (half ``"fresh26"``): thirteen standard architectures new to the corpus at their
usual settings, and nineteen broken variants with one real fault each, written and labelled with plain PyTorch
before gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said):
PiT (2x2 patches of 16x16 images, an 8x8 grid of 32 channels with learned positions and a class token, two pre-LN
blocks, the pooling layer (a stride-2 depthwise conv doubling the channels, a Linear on the class token), two blocks at
64 channels on 4x4; timm's trunc-normal 0.02 init; AdamW weight decay 0.05 at lr 1e-3, DeiT's 5e-4 per 512 images being
for batch 1024 with warm-up) on template images, DeepLabV3 (a ResNet backbone at output stride 2, its last two blocks
dilated 2, ASPP with a 1x1 branch, 3x3 branches dilated 2, 4 and 6 and the image-pooling branch, BatchNorm throughout;
SGD momentum 0.9 weight decay 1e-4 at the paper's initial lr 0.007 with its "poly" schedule ``(1 - step / 200) **
0.9``) on segmentation scenes (four classes, per-pixel cross-entropy), TSM (a small ResNet whose four basic blocks shift
1/8 of their channels one frame back and 1/8 one frame forward on the residual branch, TSN's average consensus over
the eight frames; SGD momentum 0.9 weight decay 5e-4 at lr 0.01, gradients clipped at norm 20 as the reference scripts'
``--gd 20``) on clips whose class is their motion (direction and speed of a randomly chosen template; 200 distinct
batches, see below), ECAPA-TDNN (64 channels where the paper has 512 to 1024, three SE-Res2Blocks dilated 2, 3 and 4,
multi-layer aggregation, channel- and context-dependent attentive statistics pooling with the reference code's variance
clamp, a 64-d embedding; Adam at the paper's peak lr 1e-3 and weight decay 2e-5, its cyclical schedule left out, and a
softmax classifier in place of its AAM-softmax) on speaker-labelled cepstral frames, QuartzNet (a stride-2 C1, three
blocks of two time-channel separable conv-BN-ReLU sub-blocks of 7, 9 and 11 taps with 1x1 residuals, C2 dilated 2, C3,
C4 to six letters and the blank; CTC; AdamW lr 1e-3 weight decay 1e-3 in place of the paper's NovoGrad (lr 0.01, weight
decay 1e-3), which ``torch.optim`` lacks) on spoken letter sequences, and, from a ``transformers`` config, a tiny Audio
Spectrogram Transformer (two layers of width 64, 4x4 patches at stride 4 over 32 frames by 16 mels; Adam lr 2.5e-4
betas (0.95, 0.999) weight decay 5e-7, the AST recipe for Speech Commands, here from scratch; init std 0.02) on keyword
spectrograms; SCINet (one stack, a three-level tree of SCI-blocks whose conv modules are replicate padding, a 5-tap conv
to twice the width, LeakyReLU, dropout 0.5, a 3-tap conv and tanh, a residual, a 1x1 conv along time from 48 to 12
steps, no instance normalisation; Adam lr 1e-3, MSE) on sensor windows, JK-Net (six GCN layers of width 32 with ReLU
and dropout 0.5, all concatenated into the classifier; Adam lr 5e-3 with coupled weight decay 5e-4, the citation-graph
setting) on 64-node community graphs with row-normalised bag-of-words features, serial MaskNet (embeddings of 8, three
MaskBlocks of width 64 with instance-guided masks of reduction ratio 2 and LayerNorm; Adam lr 1e-3, ten times the
paper's 1e-4, which is for batch 1024 and epochs of data) on click logs with ``log1p`` counts, TabM (the BatchEnsemble
form with 16 members where the paper has 32, three ReLU layers of width 128, dropout 0.1, the members' mean loss; AdamW
lr 2e-3 weight decay 3e-4, within the paper's tuned ranges) on standardised tabular rows, DRAW without attention (eight
glimpses, LSTM encoder and decoder of 64, a Gaussian latent of 8 per glimpse, the negative ELBO in nats per image; Adam
lr 1e-3 betas (0.5, 0.999), gradients clipped at norm 5, as the widely used reference implementation) on binary 12x12
bar images, DRQN (a two-layer ReLU encoder of each observation, an LSTM of 64, the last step's output to four Q-values;
the Huber loss; Adam lr 1e-3 where the paper's Adadelta is far slower in 200 steps) on partially observed episodes of
four observations whose first shows the context that decides the best action, and, from a ``transformers`` config, a
tiny OLMoE (two layers of width 64, eight SwiGLU experts of width 64 with top-2 routing and the load-balancing loss at
0.01 in the loss, QK-norm; AdamW at the paper's lr 4e-4 betas (0.9, 0.95) weight decay 0.1, init std 0.02, no warm-up
or decay) on the Markov language.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh25``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): OLMoE at ``initializer_range=1`` (init),
  TabM's hidden biases at -10 (every ReLU dead; activation), DRQN's observation encoder 32 Linear-ReLU layers deep at
  PyTorch's default init, without normalisation or residuals (depth), ECAPA-TDNN and the AST at Adam lr 1 and SCINet
  at Adam lr 1 (lr), DeepLabV3 without its BatchNorms at SGD lr 3 (where the BatchNorm version learns;
  normalization), TabM's features in their raw units (scales 1 to 1e4, the standardisation left out) and DRQN's
  Q-value targets in raw units (times 1e4, DQN's reward clipping or scaling left out; data), JK-Net's bag-of-words
  rows normalised by ``x / x.sum(1)`` without the reference preprocessing's guard for empty rows (0/0) and MaskNet's
  counts transformed by ``torch.log`` without the ``+ 1`` (``log 0 = -inf``; numeric), and JK-Net at Adam
  ``weight_decay=50``, PiT and OLMoE at AdamW ``weight_decay=50`` (regularization);
- **slip** (a user's mistake of a kind no earlier batch used): DRQN's ``nn.LSTM`` built without ``batch_first=True``
  while the episodes are fed ``(batch, time, features)``, so that it runs along the batch axis (each "step" is
  another episode and ``out[:, -1]`` holds the last observations of episodes 0..b, never the episode's own first
  one; a constructor's layout argument; recurrence), DeepLabV3 trained with the mixed-precision idiom
  ``scaler.scale(loss).backward()`` followed by a plain ``optimizer.step()``, the ``scaler.step(optimizer)`` that
  unscales left out (every gradient reaches SGD 65536 times too large, GradScaler's initial scale, as parameter hooks
  make it here; the logged loss is the unscaled one; loss scaling; lr), TSM's clips collated by
  ``torch.stack(frames, 0)`` where ``dim=1`` belongs (the model's ``reshape`` to frames and its consensus ``view(-1,
  8, classes)`` then group one time step of eight different clips: no output sees a clip's motion; the collate's
  stacking axis; data), ECAPA-TDNN's utterances listed speaker by speaker and read with ``shuffle=False`` (every batch
  holds one speaker, whose envelope the BatchNorms then subtract as the batch mean; loader order; data), and MaskNet
  cast with ``.half()`` to save memory and trained with ``torch.optim.Adam`` at its default ``eps=1e-8``, which is 0
  in float16, as are the squares of gradients below 2.4e-4 (``0 / 0`` and ``g / 0`` in the first step; precision;
  numeric). No init, activation, depth, normalization or regularization slip survived or was written and no
  recurrence common survived (see below): the commons outnumber the slips (14 to 5). Three of the slips live in the
  code around the model (the training step's loss scaling, the collate and the loader's order), one in the setup code
  (the cast) and one in the model (the LSTM's constructor).

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds except the BatchNorm case's, DeepLabV3 with its BatchNorms at SGD lr 3 (1.26 ->
0.154 and 1.44 -> 0.323; its loss jumps at step 1, to 2.71 and 2.95, and it recovers).

Learning criteria: the classifiers compare with chance (ten, eight, four and two classes; the LM with its 64-token
vocabulary); QuartzNet's CTC, SCINet, DRAW and DRQN compare with their first loss. Measured plain runs (seed 0, seed
1): PiT 2.33 -> 0.028 and 2.33 -> 0.027; DeepLabV3 1.26 -> 0.222 and 1.44 -> 0.219; TSM 2.14 -> 0.132 and 2.30 ->
0.266; ECAPA-TDNN 2.49 -> 0.0090 and 2.08 -> 0.0074; QuartzNet 6.18 -> 0.324 and 6.26 -> 0.391; the AST 2.12 -> 0.697
and 2.09 -> 0.644 (the criterion 1.56); SCINet 6.28 -> 0.083 and 8.37 -> 0.120; JK-Net 1.38 -> 0.578 and 1.40 -> 0.530
(the criterion 1.04); MaskNet 0.703 -> 0.131 and 0.769 -> 0.115; TabM 0.694 -> 0.291 and 0.695 -> 0.273 (the
criterion 0.520); DRAW 107.9 -> 55.6 and 108.6 -> 55.6; DRQN 0.674 -> 0.0138 and 0.707 -> 0.0125 (it finds the
context late: 0.511 and 0.474 at step 99); OLMoE 4.19 -> 1.48 and 4.23 -> 1.54. Broken: ``olmoe_initializer_range_1``
18.7 -> 12.0 and 20.1 -> 12.9; ``tabm_hidden_bias_minus_10`` 0.693 -> 0.675 and 0.693 -> 0.665 (the criterion 0.520);
``drqn_encoder_32_plain_layers`` 0.681 -> 0.629 and 0.682 -> 0.624 (the criteria 0.510 and 0.512);
``drqn_lstm_without_batch_first`` 0.674 -> 0.586 and 0.707 -> 0.586 (the criteria 0.506 and 0.530: only the
state's part of the Q-values is learned); ``ecapa_tdnn_adam_lr1`` diverges at step 1 at both seeds (weights x61 and
x76; ends 5.80 and 12.5); ``ast_adam_lr1`` diverges at step 1 at both seeds (weights x115 and x110; ends 3.22 and
3.53); ``scinet_adam_lr1`` diverges at step 1 at both seeds (weights x55 and x75; ends 9.82 and 482);
``deeplabv3_grad_scaler_step_without_unscale`` diverges at step 1 at both seeds and is non-finite at steps 12 and 8;
``deeplabv3_without_batchnorm_sgd_lr3`` diverges at steps 7 and 4 and is non-finite at steps 10 and 7;
``tabm_features_in_raw_units`` 623 -> 0.736 and 455 -> 0.703; ``drqn_q_targets_unscaled_x1e4`` 9602 -> 9524 and 9922
-> 9460; ``tsm_frames_stacked_time_major`` 2.12 -> 2.10 and 2.33 -> 2.10; ``ecapa_tdnn_loader_sorted_by_speaker``
2.31 -> 2.09 and 2.21 -> 2.06; ``jknet_row_normalisation_without_empty_row_guard`` and
``masknet_log_counts_without_plus_1`` are non-finite at step 0 at both seeds (the loss itself);
``masknet_half_precision_adam_default_eps`` is non-finite at step 0 at both seeds (finite losses 0.703 and 0.769, NaN
weights after the first step); ``jknet_adam_weight_decay_50`` 1.38 -> 1.386 and 1.40 -> 1.386;
``pit_adamw_weight_decay_50`` 2.33 -> 2.302 and 2.33 -> 2.303; ``olmoe_adamw_weight_decay_50`` 4.19 -> 4.16 and 4.23
-> 4.16.

Dropped before the freeze (seed 0 unless said): PiT with every Linear weight drawn N(0, 1) (init: 12.5 -> 0.022,
learned, its LayerNorms absorbing the scale), replaced by OLMoE at ``initializer_range=1``; QuartzNet with 30 plain
3-tap conv-ReLU layers at the default init after C1 (depth: 6.22 -> 2.13, below the criterion 4.67: a constant output's
CTC loss is far below a random one's), replaced by DRQN's 32-layer encoder; QuartzNet's log-softmax taken over the time
axis, ``dim=1`` of ``(batch, time, letters)`` (an activation slip: 12.1 -> 8.81, the criterion 9.05: learned);
QuartzNet's letters numbered from 0, CTC's blank, the ``+ 1`` left out (a data slip: 6.42 -> -0.16, the CTC loss turning
negative: learned by the criterion); SCINet's series in raw units, times 1e4 (data: 3.2e9 -> 2.7e8, learned: its
residual path and linear projection scale with the data), replaced by DRQN's raw targets; the LSTMs' hidden-to-hidden
weights drawn N(0, 10^2) in DRQN (recurrence: 0.661 -> 0.056 and 0.714 -> 0.059 on the final four-observation episodes,
learned) and in DRAW's encoder and decoder (125.0 -> 87.0 and 124.3 -> 87.9, learned), so recurrence has its slip only;
DeepLabV3 without BatchNorm at SGD lr 0.1, 0.3 and 1 (1.37 -> 0.22, 0.14 and 0.85, the criterion 1.02: learned) and at
lr 2 (non-finite at step 12 at seed 0, but 1.30 -> 0.84 at seed 1, the criterion 0.97: learned), moved to lr 3; and
TSM's time-major collate as first written, on clips whose template was the class, with 32 batches (2.13 -> 1.65 and 2.30
-> 1.58 at batch 8, 2.28 -> 1.60 at batch 16 at seed 1, the criterion 1.56: failing by a thin margin, the runs
memorising part of the pool's mixed outputs), after which the data was redesigned (the motion is the class, the template
is drawn independently) with 200 distinct batches. Healthy designs adjusted before the freeze: DRQN's episodes were
first 12 and then 8 observations long, where the healthy build did not find the context in 200 steps (0.82 -> 0.58 at
12, learning only by step 600; 0.88 -> 0.58 at 8, and 0.68 -> 0.58 with the state's weight in the targets lowered from
0.5 to 0.2), and TabM's labels were first drawn with ``sigmoid(5 r)`` and an offset 0.8 (0.696 -> 0.447, close to the
criterion 0.520).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh26_builders as F

P = functools.partial
HALF = "fresh26"
#: chance losses: ten, eight, four and two classes and the 64-token vocabulary; QuartzNet's CTC, SCINet, DRAW and
#: DRQN have none (their first loss is the reference)
C10, C8, C4, C2, LM = math.log(10), math.log(8), math.log(4), math.log(2), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH26_HEALTHY: list[Case] = [
    _h("pit_classifier", HALF, "pit", F.pit, C10),
    _h("deeplabv3_segmenter", HALF, "deeplabv3", F.deeplabv3, C4),
    _h("tsm_video_classifier", HALF, "tsm", F.tsm, C8),
    _h("ecapa_tdnn_speakers", HALF, "ecapa_tdnn", F.ecapa, C8),
    _h("quartznet_ctc", HALF, "quartznet", F.quartznet, None),
    _h("ast_keywords", HALF, "ast", F.ast, C8),
    _h("scinet_forecaster", HALF, "scinet", F.scinet, None),
    _h("jknet_communities", HALF, "jknet", F.jknet, C4),
    _h("masknet_clicks", HALF, "masknet", F.masknet, C2),
    _h("tabm_tabular", HALF, "tabm", F.tabm, C2),
    _h("draw_bars", HALF, "draw", F.draw, None),
    _h("drqn_episodes", HALF, "drqn", F.drqn, None),
    _h("olmoe_lm", HALF, "olmoe", F.olmoe, LM),
]

FRESH26_BROKEN: list[Case] = [
    # init
    _b("olmoe_initializer_range_1", HALF, ("init",), BOTH, STUCK,  # kind: common
       P(F.olmoe, initializer_range=1.0), LM),
    # activation
    _b("tabm_hidden_bias_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.tabm, hidden_bias=-10.0), C2),
    # depth
    _b("drqn_encoder_32_plain_layers", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.drqn, depth=32), None),
    # recurrence
    _b("drqn_lstm_without_batch_first", HALF, ("recurrence", "data"), VANISH, STUCK,  # kind: slip
       P(F.drqn, batch_first=False), None),
    # lr
    _b("ecapa_tdnn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ecapa, lr=1.0), C8),
    _b("ast_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.ast, lr=1.0), C8),
    _b("scinet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.scinet, lr=1.0), None),
    _b("deeplabv3_grad_scaler_step_without_unscale", HALF, ("lr", "numeric"), LR_EVENTS, DIVERGE,  # kind: slip
       P(F.deeplabv3, loss_scale=65536.0), C4),
    # normalization
    _b("deeplabv3_without_batchnorm_sgd_lr3", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.deeplabv3, bn=False, lr=3.0), C4),
    # data
    _b("tabm_features_in_raw_units", HALF, ("data",), BOTH, STUCK,  # kind: common
       P(F.tabm, raw=True), C2),
    _b("drqn_q_targets_unscaled_x1e4", HALF, ("data",), BOTH, STUCK,  # kind: common
       P(F.drqn, scale=1e4), None),
    _b("tsm_frames_stacked_time_major", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.tsm, time_major=True), C8),
    _b("ecapa_tdnn_loader_sorted_by_speaker", HALF, ("data", "normalization"), VANISH, STUCK,  # kind: slip
       P(F.ecapa, by_speaker=True), C8),
    # numeric
    _b("jknet_row_normalisation_without_empty_row_guard", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.jknet, guard=False), C4),
    _b("masknet_log_counts_without_plus_1", HALF, ("numeric", "data"), NONFINITE,  # kind: common
       ("nonfinite",), P(F.masknet, log1p=False), C2),
    _b("masknet_half_precision_adam_default_eps", HALF, ("numeric",), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.masknet, half=True), C2),
    # regularization
    _b("jknet_adam_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.jknet, weight_decay=50.0), C4),
    _b("pit_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.pit, weight_decay=50.0), C10),
    _b("olmoe_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.olmoe, weight_decay=50.0), LM),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "olmoe_initializer_range_1": "common", "tabm_hidden_bias_minus_10": "common",
    "drqn_encoder_32_plain_layers": "common", "drqn_lstm_without_batch_first": "slip",
    "ecapa_tdnn_adam_lr1": "common", "ast_adam_lr1": "common", "scinet_adam_lr1": "common",
    "deeplabv3_grad_scaler_step_without_unscale": "slip", "deeplabv3_without_batchnorm_sgd_lr3": "common",
    "tabm_features_in_raw_units": "common", "drqn_q_targets_unscaled_x1e4": "common",
    "tsm_frames_stacked_time_major": "slip", "ecapa_tdnn_loader_sorted_by_speaker": "slip",
    "jknet_row_normalisation_without_empty_row_guard": "common", "masknet_log_counts_without_plus_1": "common",
    "masknet_half_precision_adam_default_eps": "slip", "jknet_adam_weight_decay_50": "common",
    "pit_adamw_weight_decay_50": "common", "olmoe_adamw_weight_decay_50": "common",
}

#: the cases (half "fresh26")
FRESH26: list[Case] = FRESH26_HEALTHY + FRESH26_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "olmoe_initializer_range_1": F.olmoe,
    "tabm_hidden_bias_minus_10": F.tabm,
    "drqn_encoder_32_plain_layers": F.drqn,
    "drqn_lstm_without_batch_first": F.drqn,
    "ecapa_tdnn_adam_lr1": F.ecapa,
    "ast_adam_lr1": F.ast,
    "scinet_adam_lr1": F.scinet,
    "deeplabv3_grad_scaler_step_without_unscale": F.deeplabv3,
    "deeplabv3_without_batchnorm_sgd_lr3": P(F.deeplabv3, lr=3.0),
    "tabm_features_in_raw_units": F.tabm,
    "drqn_q_targets_unscaled_x1e4": F.drqn,
    "tsm_frames_stacked_time_major": F.tsm,
    "ecapa_tdnn_loader_sorted_by_speaker": F.ecapa,
    "jknet_row_normalisation_without_empty_row_guard": F.jknet,
    "masknet_log_counts_without_plus_1": F.masknet,
    "masknet_half_precision_adam_default_eps": F.masknet,
    "jknet_adam_weight_decay_50": F.jknet,
    "pit_adamw_weight_decay_50": F.pit,
    "olmoe_adamw_weight_decay_50": F.olmoe,
}
