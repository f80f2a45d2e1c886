"""Development cases of the third round (half ``"dev"``): added to design rules on, in a list of their own so that
the alternation rule of ``HEALTHY``/``BROKEN`` is untouched (the third round's held-out cases are ``fresh2.py``).

Each is a fault of a kind that earlier held-out batches showed the rules getting wrong, built in an architecture no
held-out case uses, so the rules can be designed on development evidence: a text CNN whose ReLUs are all dead
(zero gradients below them read as decades of vanishing), a deep plain SiLU MLP (the activation blamed for what the
missing normalisation and depth do). Their healthy siblings are here too, so a rule change is scored on them, and
three standard models from ``transformers`` configs (Speech2Text, Gemma, ConvBERT) widen the healthy development
set.
Labels checked in plain PyTorch at seeds 0 and 1 with the same controls as the held-out batches.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from . import C4, C10, LM, MLM, STUCK, VANISH, Case, _b, _h
from . import healthy as H
from . import models as M
from ._setup import POOL, Setup, hf_lm_batches, markov_tokens, sequence_batches, vector_batches

P = functools.partial
HALF = "dev"


class TextCNN(nn.Module):
    """Kim (2014)'s sentence classifier: embedding, Conv1d of widths 3, 4 and 5 with ReLU, max over time,
    dropout 0.5, linear head; conv biases set to ``bias`` when given."""

    def __init__(self, vocab: int = 32, emb: int = 32, maps: int = 32, classes: int = 4,
                 bias: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.convs = nn.ModuleList([nn.Conv1d(emb, maps, k) for k in (3, 4, 5)])
        self.head = nn.Linear(3 * maps, classes)
        if bias is not None:
            with torch.no_grad():
                for c in self.convs:
                    c.bias.fill_(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.emb(x).transpose(1, 2)
        h = torch.cat([F.relu(c(e)).amax(2) for c in self.convs], 1)
        return self.head(F.dropout(h, 0.5, self.training))


def text_cnn(seed: int, bias: float | None = None) -> Setup:
    """A text CNN on sequences labelled by their majority class, Adam 3e-3 (with ``bias`` -3 every unit is off)."""
    torch.manual_seed(seed)
    model = TextCNN(bias=bias)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return H.xy_setup(model, opt, None, sequence_batches(seed, length=24), F.cross_entropy)


def deep_silu(seed: int, depth: int = 48, norm: bool = False) -> Setup:
    """``depth`` SiLU layers of width 64 at the He init, SGD 0.05 momentum 0.9; with ``norm`` a BatchNorm before each
    SiLU (the control)."""
    torch.manual_seed(seed)
    model = M.mlp([32] + [64] * depth + [10], nn.SiLU, norm=norm)
    M.init_linears(model, M.he_std)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def speech2text(seed: int) -> Setup:
    """Speech2Text (``Speech2TextForConditionalGeneration``: conv subsampler, pre-LN encoder-decoder, N(0, 0.02)
    init) on a toy speech-to-token task (each token a fixed random 8-bin frame held for 8 frames, plus noise), AdamW
    1e-3 wd 0.01 with warm-up."""
    from transformers import Speech2TextConfig, Speech2TextForConditionalGeneration

    torch.manual_seed(seed)
    cfg = Speech2TextConfig(vocab_size=H.VOCAB, d_model=64, encoder_layers=2, decoder_layers=2,
                            encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128,
                            decoder_ffn_dim=128, max_source_positions=64, max_target_positions=32,
                            input_feat_per_channel=8, input_channels=1, conv_channels=32, num_conv_layers=2,
                            pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=0)
    model = Speech2TextForConditionalGeneration(cfg)
    opt = H._adamw(model, 1e-3, 0.01)
    sounds = torch.randn(H.VOCAB, 8, generator=torch.Generator().manual_seed(808))
    g = torch.Generator().manual_seed(20_000 + seed)
    pool = []
    for _ in range(POOL):
        x = markov_tokens(g, 8, 8, H.VOCAB - 4) + 4
        feats = sounds[x].repeat_interleave(8, 1)
        pool.append({"input_features": feats + 0.3 * torch.randn(feats.shape, generator=g), "labels": x})
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), lambda step: pool[step % POOL])


def gemma(seed: int) -> Setup:
    """Gemma (``GemmaForCausalLM``: RMSNorm with (1 + w), GeGLU, multi-query attention, scaled embedding), AdamW
    1e-3 betas (0.9, 0.95) wd 0.1 with warm-up."""
    from transformers import GemmaConfig, GemmaForCausalLM

    torch.manual_seed(seed)
    cfg = GemmaConfig(vocab_size=H.VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=1, head_dim=16, max_position_embeddings=64,
                      bos_token_id=0, eos_token_id=0, pad_token_id=0)
    model = GemmaForCausalLM(cfg)
    opt = H._adamw(model, 1e-3, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, H.VOCAB))


def convbert_mlm(seed: int) -> Setup:
    """ConvBERT (``ConvBertForMaskedLM``: span-based dynamic convolution heads beside self-attention, factorised
    embedding 32 -> 64), AdamW 5e-4 wd 0.01 with warm-up (Jiang et al. 2020's small-model LR)."""
    from transformers import ConvBertConfig, ConvBertForMaskedLM

    from ._setup import mlm_batches

    torch.manual_seed(seed)
    cfg = ConvBertConfig(vocab_size=H.VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=128, embedding_size=32, max_position_embeddings=64, pad_token_id=0)
    model = ConvBertForMaskedLM(cfg)
    opt = H._adamw(model, 5e-4, 0.01)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, H.VOCAB))


DEV3_HEALTHY: list[Case] = [
    _h("text_cnn_adam", HALF, "text_cnn", text_cnn, C4),
    _h("silu_mlp_6", HALF, "mlp", P(deep_silu, depth=6), C10),
    _h("speech2text", HALF, "speech2text", speech2text, LM),
    _h("gemma", HALF, "gemma", gemma, LM),
    _h("convbert_mlm", HALF, "convbert", convbert_mlm, MLM),
]

DEV3_BROKEN: list[Case] = [
    _b("text_cnn_dead_relu", HALF, ("activation", "init"), VANISH, STUCK, P(text_cnn, bias=-3.0), C4),
    _b("deep_silu_plain_48", HALF, ("depth", "init", "normalization"), VANISH, STUCK, deep_silu, C10),
]

DEV3: list[Case] = DEV3_HEALTHY + DEV3_BROKEN
