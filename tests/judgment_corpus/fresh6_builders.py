"""Builders of the seventh held-out batch (``fresh6.py``): standard models new to the corpus at their usual settings,
and broken variants with one real fault each. Written and labelled before gradguard's judgment was run on them and
never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh6_models as M6
from . import fresh_models as FM
from . import healthy as H
from ._setup import Setup, hf_lm_batches, image_batches

VOCAB = H.VOCAB


def _lm_cfg_common() -> dict[str, Any]:
    return {"vocab_size": VOCAB, "bos_token_id": 0, "eos_token_id": 0, "pad_token_id": 0,
            "max_position_embeddings": 64}


def _strip(module: nn.Module, kind: type[nn.Module]) -> None:
    """Replace every ``kind`` submodule by an identity."""
    for name, child in module.named_children():
        if isinstance(child, kind):
            setattr(module, name, nn.Identity())
        else:
            _strip(child, kind)


def warmup_no_divide(optimizer: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LambdaLR:
    """A hand-written linear warm-up whose factor forgot to divide by the warm-up length: ``LambdaLR(opt, lambda
    s: s + 1)``, so the lr is ``(step + 1)`` times the peak and keeps growing."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: step + 1)


# ---- language models (HF configs) ------------------------------------------------------------------------------------

def cohere_lm(seed: int, lr: float = 3e-3) -> Setup:
    """Cohere Command (``CohereForCausalLM``: parallel attention + MLP off one bias-free LayerNorm, SwiGLU, rotary,
    logit scale 0.0625, tied embeddings), AdamW 3e-4 betas (0.9, 0.95) wd 0.1 with warm-up."""
    from transformers import CohereConfig, CohereForCausalLM

    torch.manual_seed(seed)
    cfg = CohereConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=4, **_lm_cfg_common())
    model = CohereForCausalLM(cfg)
    opt = H._adamw(model, lr, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def mpt_lm(seed: int, broken_warmup: bool = False) -> Setup:
    """MPT (``MptForCausalLM``: ALiBi instead of position embeddings, bias-free LayerNorm, GELU MLP), AdamW 6e-4
    betas (0.9, 0.95) wd 0.1 with warm-up; ``broken_warmup``: the hand-written warm-up that forgot to divide."""
    from transformers import MptConfig, MptForCausalLM

    torch.manual_seed(seed)
    cfg = MptConfig(d_model=64, n_heads=4, n_layers=2, expansion_ratio=4, max_seq_len=64, vocab_size=VOCAB)
    model = MptForCausalLM(cfg)
    opt = H._adamw(model, 6e-4, 0.1, (0.9, 0.95))
    sched = warmup_no_divide(opt) if broken_warmup else H.warmup_cosine(opt, 20)
    return H.hf_setup(model, opt, sched, hf_lm_batches(seed, VOCAB))


def nemotron_lm(seed: int, norm: bool = True) -> Setup:
    """Nemotron (``NemotronForCausalLM``: squared-ReLU MLP, LayerNorm1P, partial rotary), AdamW 3e-4 betas (0.9,
    0.95) wd 0.1 with warm-up."""
    from transformers import NemotronConfig, NemotronForCausalLM

    torch.manual_seed(seed)
    cfg = NemotronConfig(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, **_lm_cfg_common())
    model = NemotronForCausalLM(cfg)
    if not norm:
        for mod in list(model.modules()):
            for name, child in list(mod.named_children()):
                if "norm" in type(child).__name__.lower():
                    setattr(mod, name, nn.Identity())
    opt = H._adamw(model, 3e-4, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def granite_lm(seed: int, lr: float = 3e-3, broken_warmup: bool = False) -> Setup:
    """Granite (``GraniteForCausalLM``: Llama with muP-style multipliers: embeddings x12, residual branches x0.22,
    attention scaled 1/head_dim, logits divided by 8), AdamW 3e-4 betas (0.9, 0.95) wd 0.1 with warm-up."""
    from transformers import GraniteConfig, GraniteForCausalLM

    torch.manual_seed(seed)
    cfg = GraniteConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=4, embedding_multiplier=12.0, residual_multiplier=0.22,
                        attention_multiplier=1 / 16, logits_scaling=8.0, **_lm_cfg_common())
    model = GraniteForCausalLM(cfg)
    opt = H._adamw(model, lr, 0.1, (0.9, 0.95))
    sched = warmup_no_divide(opt) if broken_warmup else H.warmup_cosine(opt, 20)
    return H.hf_setup(model, opt, sched, hf_lm_batches(seed, VOCAB))


# ---- vision (HF configs) ---------------------------------------------------------------------------------------------

def beit(seed: int, scale: float = 1.0) -> Setup:
    """BEiT (``BeitForImageClassification``: relative position bias per layer, LayerScale 0.1, mean-pooled patch
    tokens), AdamW 1e-3 wd 0.05 with warm-up (its fine-tuning recipe at this batch size)."""
    from transformers import BeitConfig, BeitForImageClassification

    torch.manual_seed(seed)
    cfg = BeitConfig(image_size=32, patch_size=4, num_channels=3, hidden_size=64, num_hidden_layers=2,
                     num_attention_heads=4, intermediate_size=128, use_relative_position_bias=True,
                     use_mean_pooling=True, num_labels=10)
    model = BeitForImageClassification(cfg)
    opt = H._adamw(model, 1e-3, 0.05)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, scale=scale, as_dict=True))


def mobilevit(seed: int, norm: bool = True) -> Setup:
    """MobileViT (``MobileViTForImageClassification``: MobileNetV2 blocks with BatchNorm and SiLU, transformer
    blocks over unfolded patches), AdamW 2e-3 wd 0.01 with warm-up (Mehta & Rastegari 2022)."""
    from transformers import MobileViTConfig, MobileViTForImageClassification

    torch.manual_seed(seed)
    cfg = MobileViTConfig(image_size=32, num_channels=3, hidden_sizes=[32, 48, 64], neck_hidden_sizes=[8, 16, 24, 24,
                          32, 40, 160], num_attention_heads=2, patch_size=2, num_labels=10)
    model = MobileViTForImageClassification(cfg)
    if not norm:
        _strip(model, nn.BatchNorm2d)
    opt = H._adamw(model, 2e-3, 0.01)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, as_dict=True))


# ---- hand-written ----------------------------------------------------------------------------------------------------

def resnext(seed: int, lr: float = 0.1, weight_decay: float = 5e-4, label_smoothing: float = 0.0,
            residual: bool = True, blocks: int = 1) -> Setup:
    """A small CIFAR ResNeXt (cardinality 8), SGD 0.1 momentum 0.9 wd 5e-4 Nesterov (Xie et al. 2017's CIFAR
    setting); ``label_smoothing``: the cross-entropy's."""
    torch.manual_seed(seed)
    model = M6.ResNeXt(blocks=blocks, residual=residual)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay, nesterov=True)

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(out, y, label_smoothing=label_smoothing)
    return H.xy_setup(model, opt, None, image_batches(seed), loss)


def gin(seed: int, layers: int = 3, jump: bool = True) -> Setup:
    """A three-layer GIN on a planted-partition graph (the whole graph each step), Adam 0.01 (Xu et al. 2019)."""
    adj, x, y = FM.community_graph(seed)
    torch.manual_seed(seed)
    model = M6.GIN(adj, layers=layers, jump=jump)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    return H.xy_setup(model, opt, None, lambda step: (x, y), F.cross_entropy)


def nbeats(seed: int, blocks: int = 4, residual: bool = True, init: Callable[[torch.Tensor], Any] | None = None,
           act: Callable[[], nn.Module] = nn.ReLU, mape: bool = False, zeros: bool = False, scale: float = 1.0,
           layers: int = 4) -> Setup:
    """N-BEATS (generic) forecasting 8 steps from 32, Adam 1e-3, MSE on scaled series (Oreshkin et al. 2020 use
    Adam 1e-3); ``zeros``: intermittent demand (exact zeros); ``mape``: the MAPE loss on it; ``init``: applied to
    every Linear weight; ``layers``: FC layers per block; ``act``: their activation."""
    torch.manual_seed(seed)
    model = M6.NBeats(blocks=blocks, residual=residual, act=act, layers=layers)
    if init is not None:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.Linear):
                    init(m.weight)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = M6.mape_loss if mape else F.mse_loss
    return H.xy_setup(model, opt, None, M6.demand_batches(seed, zeros=zeros or mape, scale=scale), loss)


def dcn(seed: int, dropout: float = 0.0, act: Callable[[], nn.Module] = nn.ReLU,
        init: Callable[[torch.Tensor], Any] | None = None, timestamp: bool = False, cross: int = 3,
        cross_residual: bool = True) -> Setup:
    """DCN-V2 on click records, Adam 1e-3, binary cross-entropy on logits (Wang et al. 2021)."""
    torch.manual_seed(seed)
    model = M6.DCN(cross=cross, dropout=dropout, act=act, init=init, cross_residual=cross_residual)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, M6.click_batches(seed, timestamp=timestamp),
                      F.binary_cross_entropy_with_logits)


def ctc_tagger(seed: int, kind: str = "LSTM", recurrent_gain: float | None = None,
               recurrent_std: float | None = None, log_probs: bool = True, scale: float = 1.0,
               long_targets: bool = False, clip: float | None = None) -> Setup:
    """A recurrent CTC tagger on feature frames, Adam 1e-3, ``F.ctc_loss`` (Graves et al. 2006)."""
    torch.manual_seed(seed)
    model = M6.CTCTagger(kind=kind, recurrent_gain=recurrent_gain, recurrent_std=recurrent_std,
                          log_probs=log_probs)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, M6.ctc_batches(seed, scale=scale, long_targets=long_targets), M6.ctc,
                      clip=clip)
