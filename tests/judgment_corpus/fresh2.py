"""The third held-out batch (issue 12, third round): models new to the corpus, all held-out (half ``"fresh2"``).

Written and its labels checked in plain PyTorch (seeds 0 and 1) before any rule change of the third round, then
frozen and scored once with the code as it was (the honest baseline; ``benchmarks/judgment_table.py --half fresh2``)
and again only at the end. Nothing here is tuned on: no case is ever moved to the development half, and the rules
are never changed by looking at these cases' results.

Healthy: encoder-decoders (BART, Whisper), ELECTRA's generator, Qwen2, Phi, Swin (all from ``transformers``
configs), and hand-built WaveNet, LSTM seq2seq, IRNN language model, ConvMixer, DDPM U-Net, GraphSAGE and SimCLR,
each at its paper's or library's usual setting. Broken: one fault each, over all nine causes, in these
architectures. Each stuck case has a control that learns with its one fault removed (its builder's docstring; measured
at seeds 0 and 1); the exploding and non-finite ones fail at step 0 to 3 where their healthy sibling trains.
"""

from __future__ import annotations

import functools
import math

from torch import nn

from . import C4, C10, DIVERGE, EXPLODE, LM, MLM, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh2_builders as F
from ._setup import scaled_lr

P = functools.partial
HALF = "fresh2"
#: the loss of a uniform prediction over the seq2seq task's 32 ids
S2S = math.log(32)

FRESH2_HEALTHY: list[Case] = [
    _h("bart_denoise", HALF, "bart", F.bart, LM),
    _h("electra_mlm", HALF, "electra", F.electra_mlm, MLM),
    _h("qwen2_lm", HALF, "qwen2", F.qwen2_lm, LM),
    _h("phi_lm", HALF, "phi", F.phi_lm, LM),
    _h("swin", HALF, "swin", F.swin, C10),
    _h("whisper_toy_asr", HALF, "whisper", F.whisper, LM),
    _h("wavenet_lm", HALF, "wavenet", F.wavenet, LM),
    _h("lstm_seq2seq", HALF, "seq2seq", F.lstm_seq2seq, S2S),
    _h("irnn_lm_sgd", HALF, "irnn", F.relu_rnn_lm, LM),
    _h("convmixer", HALF, "convmixer", F.convmixer, C10),
    _h("ddpm_unet", HALF, "diffusion", F.diffusion_unet, None),
    _h("graphsage", HALF, "graphsage", F.graphsage, C4),
    _h("simclr", HALF, "contrastive", F.simclr, None),
]

FRESH2_BROKEN: list[Case] = [
    # init
    _b("qwen2_init_std1", HALF, ("init",), EXPLODE + VANISH, DIVERGE + STUCK, P(F.qwen2_lm, init_std=1.0), LM),
    _b("graphsage4_init6x", HALF, ("init",), EXPLODE + VANISH, DIVERGE + STUCK,
       P(F.graphsage, layers=4, gain=6.0), C4),
    # activation
    _b("graphsage_dead_relu", HALF, ("activation", "init"), VANISH, STUCK, P(F.graphsage, bias=-3.0), C4),
    _b("hardsigmoid_mlp_10", HALF, ("activation", "depth"), VANISH, STUCK, F.hardsigmoid_mlp, C10),
    # depth
    _b("wavenet_plain_32", HALF, ("depth", "init", "normalization"), VANISH, STUCK,
       P(F.wavenet, layers=32, residual=False), LM),
    # recurrence
    _b("lstm_forget_bias_-6", HALF, ("recurrence",), VANISH, STUCK, P(F.lstm_memory, forget_bias=-6.0), C4),
    _b("irnn_lm_radius_2", HALF, ("recurrence", "lr"), EXPLODE, DIVERGE, P(F.relu_rnn_lm, radius=2.0), LM),
    # lr
    _b("bart_adamw_lr0.3", HALF, ("lr",), (*EXPLODE, *VANISH, "weight_growth"), DIVERGE + STUCK,
       scaled_lr(F.bart, 0.3), LM),
    _b("convmixer_adamw_lr1", HALF, ("lr",), (*EXPLODE, *VANISH, "weight_growth"), DIVERGE + STUCK,
       scaled_lr(F.convmixer, 1.0), C10),
    # normalization
    _b("convmixer8_no_bn_lr0.05", HALF, ("normalization", "lr"), EXPLODE + VANISH, DIVERGE + STUCK,
       P(F.convmixer, bn=False, depth=8, lr=0.05), C10),
    # regularization
    _b("wavenet_adamw_wd100", HALF, ("regularization",), VANISH, STUCK, P(F.wavenet, weight_decay=100.0), LM),
    # data
    _b("graphsage_nan_feature", HALF, ("data",), NONFINITE, ("nonfinite",), P(F.graphsage, nan_node=7), C4),
    _b("simclr_inf_record", HALF, ("data",), NONFINITE, ("nonfinite",), P(F.simclr, inf_record=True), None),
    # numeric
    _b("simclr_norm_no_eps", HALF, ("numeric", "data"), NONFINITE, ("nonfinite",), F.simclr_norm_no_eps, None),
    _b("siamese_manual_bce", HALF, ("numeric",), NONFINITE, ("nonfinite",), F.siamese_manual_bce, None),
]

FRESH2: list[Case] = FRESH2_HEALTHY + FRESH2_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "qwen2_init_std1": F.qwen2_lm,
    "graphsage4_init6x": P(F.graphsage, layers=4),
    "graphsage_dead_relu": F.graphsage,
    "hardsigmoid_mlp_10": P(F.hardsigmoid_mlp, act=nn.ReLU),
    "wavenet_plain_32": P(F.wavenet, layers=32),
    "lstm_forget_bias_-6": F.lstm_memory,
    "irnn_lm_radius_2": F.relu_rnn_lm,
    "bart_adamw_lr0.3": F.bart,
    "convmixer_adamw_lr1": F.convmixer,
    "convmixer8_no_bn_lr0.05": P(F.convmixer, depth=8, lr=0.05),
    "wavenet_adamw_wd100": F.wavenet,
    "graphsage_nan_feature": F.graphsage,
    "simclr_inf_record": F.simclr,
    "simclr_norm_no_eps": P(F.simclr_norm_no_eps, eps=True),
    "siamese_manual_bce": P(F.siamese_manual_bce, manual=False),
}
