"""Builders of the sixth held-out batch (``fresh5.py``): standard models new to the corpus at their usual settings,
and broken variants with one real fault each. Written and labelled before the seventh round's rules were scored on
them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh5_models as M5
from . import fresh_models as FM
from . import healthy as H
from ._setup import Setup, hf_lm_batches, image_batches, vector_batches

VOCAB = H.VOCAB


def _lm_cfg_common() -> dict[str, Any]:
    return {"vocab_size": VOCAB, "bos_token_id": 0, "eos_token_id": 0, "pad_token_id": 0}


def _normal_init(model: nn.Module, std: float) -> None:
    """Every matrix re-drawn from N(0, std) (a config's ``initializer_range`` set to ``std``, where it has none)."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, std)


# ---- language models (HF configs) ------------------------------------------------------------------------------------

def gptj_lm(seed: int, init_std: float = 0.02) -> Setup:
    """GPT-J (``GPTJForCausalLM``: parallel attention + MLP, partial rotary), AdamW 6e-4 betas (0.9, 0.95) wd 0.1
    with warm-up (the GPT-3-small recipe GPT-J follows); ``init_std``: the config's ``initializer_range``."""
    from transformers import GPTJConfig, GPTJForCausalLM

    torch.manual_seed(seed)
    cfg = GPTJConfig(n_embd=64, n_layer=2, n_head=4, rotary_dim=8, n_positions=64, initializer_range=init_std,
                     vocab_size=VOCAB, bos_token_id=0, eos_token_id=0, pad_token_id=0)
    model = GPTJForCausalLM(cfg)
    opt = H._adamw(model, 6e-4, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def mixtral_lm(seed: int, lr: float = 3e-4) -> Setup:
    """Mixtral (``MixtralForCausalLM``: sparse mixture of 4 SwiGLU experts, top-2 routing, grouped-query attention
    with 2 key/value heads, RMSNorm, rotary), AdamW 3e-4 betas (0.9, 0.95) wd 0.1 with warm-up."""
    from transformers import MixtralConfig, MixtralForCausalLM

    torch.manual_seed(seed)
    cfg = MixtralConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2, max_position_embeddings=64,
                        **_lm_cfg_common())
    model = MixtralForCausalLM(cfg)
    opt = H._adamw(model, lr, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def starcoder2_lm(seed: int, norm: bool = True) -> Setup:
    """StarCoder2 (``Starcoder2ForCausalLM``: grouped-query attention with 2 key/value heads, sliding-window
    attention, LayerNorm with biases, GELU MLP, rotary), AdamW 3e-4 betas (0.9, 0.95) wd 0.1 with warm-up."""
    from transformers import Starcoder2Config, Starcoder2ForCausalLM

    torch.manual_seed(seed)
    cfg = Starcoder2Config(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=2, max_position_embeddings=64, sliding_window=16, **_lm_cfg_common())
    model = Starcoder2ForCausalLM(cfg)
    if not norm:
        _strip(model, nn.LayerNorm)
    opt = H._adamw(model, 3e-4, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


# ---- vision (HF configs) ---------------------------------------------------------------------------------------------

def convnextv2(seed: int, weight_decay: float = 0.05, norm: bool = True) -> Setup:
    """ConvNeXt V2 (``ConvNextV2ForImageClassification``: global response normalisation in each block), AdamW 1e-3
    wd 0.05 with warm-up (its fine-tuning recipe at this batch size)."""
    from transformers import ConvNextV2Config, ConvNextV2ForImageClassification

    torch.manual_seed(seed)
    cfg = ConvNextV2Config(num_channels=3, patch_size=2, num_stages=2, hidden_sizes=[16, 32], depths=[1, 1],
                           image_size=32, num_labels=10)
    model = ConvNextV2ForImageClassification(cfg)
    if not norm:
        _strip(model, nn.LayerNorm)
    opt = H._adamw(model, 1e-3, weight_decay)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, as_dict=True))


def dinov2(seed: int, norm: bool = True, init_std: float = 0.02) -> Setup:
    """DINOv2's ViT (``Dinov2ForImageClassification``: LayerScale, a class token, patch-token mean pooled beside
    it), AdamW 1e-3 wd 0.05 with warm-up (a DeiT-style supervised recipe)."""
    from transformers import Dinov2Config, Dinov2ForImageClassification

    torch.manual_seed(seed)
    cfg = Dinov2Config(image_size=32, patch_size=4, num_channels=3, hidden_size=64, num_hidden_layers=2,
                       num_attention_heads=4, mlp_ratio=2, num_labels=10, initializer_range=init_std)
    model = Dinov2ForImageClassification(cfg)
    if not norm:
        _strip(model, nn.LayerNorm)
    opt = H._adamw(model, 1e-3, 0.05)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, as_dict=True))


def poolformer(seed: int, norm: bool = True) -> Setup:
    """PoolFormer (``PoolFormerForImageClassification``: average pooling as the token mixer, GroupNorm, LayerScale
    at 1e-5), AdamW 1e-3 wd 0.05 with warm-up (MetaFormer's recipe, LR scaled to this batch)."""
    from transformers import PoolFormerConfig, PoolFormerForImageClassification

    torch.manual_seed(seed)
    cfg = PoolFormerConfig(num_channels=3, hidden_sizes=[16, 32], depths=[1, 1], num_encoder_blocks=2,
                           patch_sizes=[4, 2], strides=[4, 2], padding=[1, 0], pool_size=3, mlp_ratio=2.0,
                           num_labels=10)
    model = PoolFormerForImageClassification(cfg)
    if not norm:
        _strip(model, nn.GroupNorm)
    opt = H._adamw(model, 1e-3, 0.05)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, as_dict=True))


def _strip(module: nn.Module, kind: type[nn.Module]) -> None:
    """Replace every ``kind`` submodule by an identity."""
    for name, child in module.named_children():
        if isinstance(child, kind):
            setattr(module, name, nn.Identity())
        else:
            _strip(child, kind)


# ---- hand-written ----------------------------------------------------------------------------------------------------

def gat(seed: int, lr: float = 0.01) -> Setup:
    """A two-layer GAT on a planted-partition graph (the whole graph each step), Adam 0.01 wd 5e-4, dropout 0.6
    (Velickovic et al. 2018's setting; 0.01 is their PubMed rate)."""
    adj, x, y = FM.community_graph(seed)
    torch.manual_seed(seed)
    model = M5.GAT(adj)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4)
    return H.xy_setup(model, opt, None, lambda step: (x, y), F.cross_entropy)


def deepsets(seed: int, pool: str = "sum", eps: float = 1e-5, phi_bias: float | None = None,
             nan_element: bool = False) -> Setup:
    """DeepSets classifying point sets, Adam 1e-3 (Zaheer et al. 2017)."""
    torch.manual_seed(seed)
    model = M5.DeepSets(pool=pool, eps=eps, phi_bias=phi_bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, M5.set_batches(seed, nan_element=nan_element), F.cross_entropy)


def mdn(seed: int, prob_space: bool = False) -> Setup:
    """A mixture density network on Bishop's inverse problem, Adam 1e-3, NLL (a closure: the forward returns the
    mixture's three parts); ``prob_space``: the mixture density summed as probabilities and then logged."""
    torch.manual_seed(seed)
    model = M5.MDN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = M5.mdn_nll_prob_space if prob_space else M5.mdn_nll
    return H.xy_setup(model, opt, None, M5.inverse_batches(seed), loss, needs_closure=True)


def rnn_forecaster(seed: int, radius: float | None = None, scale: float = 1.0) -> Setup:
    """A tanh Elman RNN forecasting a multivariate series one step ahead, Adam 1e-3, MSE, clip at norm 1."""
    torch.manual_seed(seed)
    model = M5.RNNForecaster(radius=radius)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, M5.series_batches(seed, scale=scale), F.mse_loss, clip=1.0)


def deep_plain(seed: int, depth: int = 40, act: Callable[[], nn.Module] = nn.Softplus) -> Setup:
    """A plain deep MLP (PyTorch's default init, no residuals, no normalisation), Adam 1e-3."""
    torch.manual_seed(seed)
    model = M5.DeepPlainMLP(depth=depth, act=act)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)
