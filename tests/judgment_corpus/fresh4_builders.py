"""Builders of the fifth held-out batch (``fresh4.py``): standard models new to the corpus at their usual settings,
and broken variants with one real fault each. Written and labelled before any rule change of the fifth round and
never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh4_convs as C4
from . import fresh4_models as M4
from . import healthy as H
from ._setup import Setup, hf_lm_batches, image_batches, lm_batches, lm_loss, mlm_batches, vector_batches

VOCAB = H.VOCAB


def _lm_cfg_common() -> dict[str, Any]:
    return {"vocab_size": VOCAB, "bos_token_id": 0, "eos_token_id": 0, "pad_token_id": 0}


# ---- transformers and RNN language models (HF configs) ---------------------------------------------------------------

def falcon_lm(seed: int, norm: bool = True, init_std: float = 0.02) -> Setup:
    """Falcon (``FalconForCausalLM``: parallel attention + MLP, multi-query attention, rotary), AdamW 6e-4 betas
    (0.9, 0.95) wd 0.1 with warm-up (Falcon's recipe at small size)."""
    from transformers import FalconConfig, FalconForCausalLM

    torch.manual_seed(seed)
    cfg = FalconConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, multi_query=True,
                       parallel_attn=True, initializer_range=init_std, **_lm_cfg_common())
    model = FalconForCausalLM(cfg)
    if not norm:
        _strip(model, nn.LayerNorm)
    opt = H._adamw(model, 6e-4, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def olmo_lm(seed: int, init_std: float = 0.02) -> Setup:
    """OLMo (``OlmoForCausalLM``: non-parametric LayerNorm, SwiGLU, rotary, untied head), AdamW 4e-4 betas
    (0.9, 0.95) wd 0.1 with warm-up (OLMo-1B's recipe); ``init_std``: the config's ``initializer_range``."""
    from transformers import OlmoConfig, OlmoForCausalLM

    torch.manual_seed(seed)
    cfg = OlmoConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                     max_position_embeddings=64, initializer_range=init_std, **_lm_cfg_common())
    model = OlmoForCausalLM(cfg)
    opt = H._adamw(model, 4e-4, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def rwkv_lm(seed: int, lr: float = 6e-4, warmup: bool = True) -> Setup:
    """RWKV-4 (``RwkvForCausalLM``: time-mixing WKV recurrence with learned decays, channel mixing; the CPU path),
    Adam 6e-4 betas (0.9, 0.99) eps 1e-8 with warm-up (Peng et al. 2023's small-model setting)."""
    from transformers import RwkvConfig, RwkvForCausalLM

    torch.manual_seed(seed)
    cfg = RwkvConfig(hidden_size=64, num_hidden_layers=2, attention_hidden_size=64, intermediate_size=256,
                     context_length=64, **_lm_cfg_common())
    model = RwkvForCausalLM(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99), eps=1e-8)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20) if warmup else None, hf_lm_batches(seed, VOCAB))


def mobilebert_mlm(seed: int) -> Setup:
    """MobileBERT (``MobileBertForMaskedLM``: bottleneck blocks, ``NoNorm`` element-wise affine instead of
    LayerNorm, stacked FFNs), AdamW 1e-3 wd 0.01 with warm-up (the paper trains with LAMB at a large batch; AdamW
    at a BERT-small LR here)."""
    from transformers import MobileBertConfig, MobileBertForMaskedLM

    torch.manual_seed(seed)
    cfg = MobileBertConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                           intermediate_size=64, embedding_size=32, intra_bottleneck_size=32, true_hidden_size=32,
                           max_position_embeddings=64, pad_token_id=0)
    model = MobileBertForMaskedLM(cfg)
    opt = H._adamw(model, 1e-3, 0.01)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))


# ---- vision (HF configs) ---------------------------------------------------------------------------------------------

def deit(seed: int, norm: bool = True, lr: float = 1e-3) -> Setup:
    """DeiT (``DeiTForImageClassification``), AdamW 5e-4 x batch/512 -> 1e-3 at this size wd 0.05 with warm-up
    (Touvron et al. 2021)."""
    from transformers import DeiTConfig, DeiTForImageClassification

    torch.manual_seed(seed)
    cfg = DeiTConfig(image_size=32, patch_size=4, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=128, num_labels=10)
    model = DeiTForImageClassification(cfg)
    if not norm:
        _strip(model, nn.LayerNorm)
    opt = H._adamw(model, lr, 0.05)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, as_dict=True))


def segformer(seed: int, norm: bool = True, lr: float = 1e-3, inf_pixel: bool = False) -> Setup:
    """SegFormer's Mix Transformer encoder as a classifier (``SegformerForImageClassification``: overlapping patch
    merging, efficient attention with spatial reduction, Mix-FFN with a depth-wise conv), AdamW 1e-3 wd 0.01 with
    warm-up (MiT's ImageNet pre-training recipe)."""
    from transformers import SegformerConfig, SegformerForImageClassification

    torch.manual_seed(seed)
    cfg = SegformerConfig(num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1], hidden_sizes=[16, 32],
                          patch_sizes=[3, 3], strides=[2, 2], num_attention_heads=[1, 2], mlp_ratios=[2, 2],
                          num_labels=10)
    model = SegformerForImageClassification(cfg)
    if not norm:
        _strip(model, nn.LayerNorm)
    opt = H._adamw(model, lr, 0.01)
    batches = image_batches(seed, as_dict=True)
    if inf_pixel:
        batches = _with_inf_pixel(batches)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), batches)


def _with_inf_pixel(batches: Callable[[int], Any]) -> Callable[[int], Any]:
    """The same batches with one pixel of image 2 at +Inf (an over-exposed HDR value decoded as Inf)."""
    def make(step: int) -> Any:
        b = dict(batches(step))
        x = b["pixel_values"].clone()
        x[2, 0, 5, 5] = float("inf")
        b["pixel_values"] = x
        return b
    return make


def levit(seed: int, bn: bool = True, lr: float = 1e-3) -> Setup:
    """LeViT (``LevitForImageClassification``: conv stem, attention with BatchNorm instead of LayerNorm,
    Hardswish, shrinking attention between stages), AdamW 5e-4 x batch/512 -> 1e-3 here wd 0.025 with warm-up
    (Graham et al. 2021); ``bn=False`` replaces every BatchNorm with the identity."""
    from transformers import LevitConfig, LevitForImageClassification

    torch.manual_seed(seed)
    cfg = LevitConfig(image_size=32, hidden_sizes=[32, 48, 64], num_attention_heads=[1, 2, 2], depths=[1, 1, 1],
                      key_dim=[8, 8, 8], num_labels=10)
    model = LevitForImageClassification(cfg)
    if not bn:
        _strip_batchnorm(model)
    opt = H._adamw(model, lr, 0.025)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, as_dict=True))


def _strip(module: nn.Module, kinds: Any) -> None:
    """Replace every submodule of one of ``kinds`` with the identity."""
    for name, child in module.named_children():
        if isinstance(child, kinds):
            setattr(module, name, nn.Identity())
        else:
            _strip(child, kinds)


def _strip_batchnorm(module: nn.Module) -> None:
    _strip(module, nn.BatchNorm1d | nn.BatchNorm2d)


def mobilenet_v1(seed: int, bn: bool = True, lr: float = 0.1) -> Setup:
    """MobileNet v1 (``MobileNetV1ForImageClassification``, depth multiplier 0.25: depth-wise separable convs,
    BatchNorm, ReLU6), SGD 0.1 momentum 0.9 wd 4e-5 (the common re-implementation setting at batch 256, here at
    batch 16); ``bn=False`` replaces every BatchNorm with the identity."""
    from transformers import MobileNetV1Config, MobileNetV1ForImageClassification

    torch.manual_seed(seed)
    model = MobileNetV1ForImageClassification(MobileNetV1Config(image_size=32, depth_multiplier=0.25,
                                                                num_labels=10))
    if not bn:
        _strip_batchnorm(model)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=4e-5)
    return H.hf_setup(model, opt, None, image_batches(seed, as_dict=True))


# ---- hand-built ------------------------------------------------------------------------------------------------------

def _bce(logit: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logit, y)


def dlrm(seed: int, raw: bool = False, top_bias: float | None = None, lr: float = 0.1, nan_record: bool = False,
         emb_std: float | None = None) -> Setup:
    """DLRM on synthetic click logs, SGD 0.1 (the reference implementation's Criteo setting), BCE with logits;
    ``raw``: the dense counts fed without DLRM's ``log1p``."""
    torch.manual_seed(seed)
    model = M4.DLRM(top_bias=top_bias)
    if emb_std is not None:
        with torch.no_grad():
            for e in model.emb:
                e.weight.normal_(0.0, emb_std)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    batches = M4.click_batches(seed, raw=raw, nan_record=nan_record)
    return H.xy_setup(model, opt, None, batches, _bce, needs_closure=True)


def realnvp(seed: int, prob_space: bool = False, scale: float = 1.0) -> Setup:
    """RealNVP density estimation on an 8-d Gaussian mixture with heavy-tailed records, Adam 1e-3 (Dinh et al.
    2017), NLL per dimension; ``prob_space``: the base density computed as a probability and then logged."""
    torch.manual_seed(seed)
    model = M4.RealNVP()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = M4.flow_nll_prob_space if prob_space else M4.flow_nll
    return H.xy_setup(model, opt, None, M4.mixture_batches(seed, scale=scale), loss, needs_closure=True)


def siren(seed: int, paper_init: bool = True, pixel_coords: bool = False) -> Setup:
    """SIREN fitting an image from its coordinates, Adam 1e-4, MSE (Sitzmann et al. 2020)."""
    torch.manual_seed(seed)
    model = M4.Siren(paper_init=paper_init)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    return H.xy_setup(model, opt, None, M4.image_fit_batches(seed, pixel_coords=pixel_coords), F.mse_loss)


def two_tower(seed: int, weight_decay: float = 0.2, pixel_scale: float = 1.0) -> Setup:
    """A CLIP-style image-text dual encoder, AdamW 5e-4 betas (0.9, 0.98) eps 1e-6 wd 0.2 with warm-up (CLIP's
    recipe), symmetric InfoNCE over the batch (a closure: the forward takes images and captions)."""
    torch.manual_seed(seed)
    model = M4.TwoTower()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=weight_decay)
    batches = M4.image_text_batches(seed, pixel_scale=pixel_scale)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), batches, M4.clip_loss, needs_closure=True)


def attn_seq2seq(seed: int, empty: bool = False, init_std: float | None = None) -> Setup:
    """A GRU encoder-decoder with additive attention reversing token strings, Adam 1e-3 with a clip at norm 1
    (a closure: the forward takes source and target); ``empty``: one empty source line per batch."""
    torch.manual_seed(seed)
    model = M4.AttnSeq2Seq()
    if init_std is not None:
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() >= 2:
                    p.normal_(0.0, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, M4.reverse_batches(seed, empty=empty), lm_loss, clip=1.0,
                      needs_closure=True)


def lru_lm(seed: int, radius: tuple[float, float] = (0.9, 0.999), stable: bool = True) -> Setup:
    """A Linear-Recurrent-Unit language model, AdamW 1e-3 wd 0.05 with warm-up, the recurrence's parameters at
    half the LR and no decay (Orvieto et al. 2023)."""
    torch.manual_seed(seed)
    model = M4.LRULM(radius=radius, stable=stable)
    rec = [p for n, p in model.named_parameters() if n.startswith(("nu_log", "theta_log"))]
    ids = {id(p) for p in rec}
    rest = [p for p in model.parameters() if id(p) not in ids]
    opt = torch.optim.AdamW([{"params": rest, "weight_decay": 0.05},
                             {"params": rec, "weight_decay": 0.0, "lr": 5e-4}], lr=1e-3)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), lm_batches(seed, VOCAB), lm_loss)


def deep_elu_plain(seed: int, depth: int = 40) -> Setup:
    """A plain 40-layer ELU MLP (PyTorch's default init, no residuals, no normalisation), Adam 1e-3."""
    torch.manual_seed(seed)
    model = C4.DeepPlainMLP(depth=depth)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)



def inception(seed: int, bn: bool = True, lr: float = 0.045) -> Setup:
    """A small BN-Inception, SGD 0.045 momentum 0.9 wd 4e-5 (Ioffe & Szegedy 2015: the BN network's rate, 0.0015
    x 30); ``bn=False``: the same network and rate without BatchNorm."""
    torch.manual_seed(seed)
    model = C4.Inception(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=4e-5)
    return H.xy_setup(model, opt, None, image_batches(seed), F.cross_entropy)
