"""Builders of the eleventh held-out batch (``fresh10.py``): standard models new to the corpus at their usual settings,
and broken variants with one real fault each, plus the small data sets they need. Written and labelled before
gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from . import fresh9_builders as F9
from . import fresh10_models as M
from . import healthy as H
from ._setup import (
    POOL,
    Setup,
    hf_lm_batches,
    image_batches,
    lm_batches,
    lm_loss,
    mlm_batches,
    sequence_batches,
    vector_batches,
)

VOCAB = H.VOCAB


def _pool(seed: int, make: Callable[[torch.Generator], Any]) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(40_000 + seed)
    pool = [make(g) for _ in range(POOL)]
    return lambda step: pool[step % POOL]


# ---- data ------------------------------------------------------------------------------------------------------------

def padded_sequences(seed: int, length: int = 20, vocab: int = 32, classes: int = 4, batch: int = 32,
                     shortest: int = 0) -> Callable[[int], Any]:
    """Token ids 1..vocab padded with 0 to ``length``, lengths uniform in ``shortest .. length``, labelled by the
    most frequent class (``token % classes``) of their real tokens (an empty sequence: class 0)."""
    def make(g: torch.Generator) -> Any:
        x = torch.randint(1, vocab + 1, (batch, length), generator=g)
        lengths = torch.randint(shortest, length + 1, (batch,), generator=g)
        x = torch.where(torch.arange(length) < lengths.unsqueeze(1), x, torch.zeros_like(x))
        counts = F.one_hot(x % classes, classes) * (x != 0).unsqueeze(-1)
        return x, counts.sum(1).argmax(1)
    return _pool(seed, make)


def field_batches(seed: int, batch: int = 128) -> Callable[[int], Any]:
    """Coordinates uniform in [0, 1]^2 and the value of a fixed smooth field there (eight random sinusoids up to
    frequency 3, unit variance): what a coordinate network regresses."""
    tg = torch.Generator().manual_seed(97)
    freq = torch.rand(8, 2, generator=tg) * 6 - 3
    phase = torch.rand(8, generator=tg) * 2 * math.pi

    def make(g: torch.Generator) -> Any:
        v = torch.rand(batch, 2, generator=g)
        return v, torch.sin(2 * math.pi * v @ freq.T + phase).sum(1) / 2
    return _pool(seed, make)


def _dicts(batches: Callable[[int], Any], key: str) -> Callable[[int], Any]:
    pool = [{key: x, "labels": y} for x, y in (batches(i) for i in range(POOL))]
    return lambda step: pool[step % POOL]


# ---- transformers (HF configs) ---------------------------------------------------------------------------------------

def stablelm_lm(seed: int, initializer_range: float = 0.02) -> Setup:
    """StableLM (``StableLmForCausalLM``: partial rotary embeddings, LayerNorm, SwiGLU), AdamW 6e-4 betas (0.9,
    0.95) wd 0.1 with warm-up (the StableLM recipe's betas and decay; 6e-4 the small-model peak);
    ``initializer_range``: the config's init std (1.0: a too-large init)."""
    from transformers import StableLmConfig, StableLmForCausalLM

    torch.manual_seed(seed)
    cfg = StableLmConfig(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64,
                         initializer_range=initializer_range)
    model = StableLmForCausalLM(cfg)
    opt = H._adamw(model, 6e-4, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def gpt_bigcode_lm(seed: int, lr: float = 6e-4) -> Setup:
    """GPTBigCode (``GPTBigCodeForCausalLM``, SantaCoder/StarCoder: multi-query attention), AdamW betas (0.9, 0.95)
    wd 0.1 with warm-up at peak ``lr`` (StarCoder: 3e-4 at 15B; 6e-4 the small-model peak)."""
    from transformers import GPTBigCodeConfig, GPTBigCodeForCausalLM

    torch.manual_seed(seed)
    cfg = GPTBigCodeConfig(vocab_size=VOCAB, n_embd=64, n_layer=2, n_head=4, n_positions=64, multi_query=True,
                           bos_token_id=0, eos_token_id=0)
    model = GPTBigCodeForCausalLM(cfg)
    opt = H._adamw(model, lr, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def squeezebert_mlm(seed: int, layer_norm_eps: float = 1e-12) -> Setup:
    """SqueezeBERT (``SqueezeBertForMaskedLM``: grouped 1x1 convolutions in place of the position-wise linears,
    post-LN), AdamW 1e-3 wd 0.01 with warm-up (Iandola et al. 2020 pre-train with LAMB; AdamW 1e-3 is the usual
    small-model setting); ``layer_norm_eps``: the config's (1e5: ``1e-5`` typed as ``1e5``)."""
    from transformers import SqueezeBertConfig, SqueezeBertForMaskedLM

    torch.manual_seed(seed)
    cfg = SqueezeBertConfig(vocab_size=VOCAB, hidden_size=64, embedding_size=64, num_hidden_layers=2,
                            num_attention_heads=4, intermediate_size=128, max_position_embeddings=64,
                            q_groups=2, k_groups=2, v_groups=2, post_attention_groups=2, intermediate_groups=2,
                            output_groups=2, layer_norm_eps=layer_norm_eps, pad_token_id=0)
    model = SqueezeBertForMaskedLM(cfg)
    opt = H._adamw(model, 1e-3, 0.01)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))


def focalnet_classifier(seed: int) -> Setup:
    """FocalNet (``FocalNetForImageClassification``: focal modulation in place of self-attention), two stages,
    AdamW 1e-3 wd 0.05 with warm-up (Yang et al. 2022 use the Swin recipe)."""
    from transformers import FocalNetConfig, FocalNetForImageClassification

    torch.manual_seed(seed)
    cfg = FocalNetConfig(image_size=16, patch_size=2, num_channels=3, embed_dim=32, depths=[1, 1],
                         focal_levels=[2, 2], focal_windows=[3, 3], mlp_ratio=2.0, drop_path_rate=0.0,
                         num_labels=10)
    model = FocalNetForImageClassification(cfg)
    opt = H._adamw(model, 1e-3, 0.05)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, size=16, as_dict=True))


# ---- hand-written ----------------------------------------------------------------------------------------------------

def shufflenet(seed: int, use_bn: bool = True, bn_eps: float = 1e-5) -> Setup:
    """ShuffleNetV2, SGD lr 0.1 momentum 0.9 wd 4e-5 (the usual CIFAR reimplementations of Ma et al. 2018);
    ``use_bn=False``: no BatchNorm; ``bn_eps``: every BatchNorm's eps (1e5: ``1e-5`` typed as ``1e5``)."""
    torch.manual_seed(seed)
    model = M.ShuffleNetV2(use_bn=use_bn, eps=bn_eps)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=4e-5)
    return H.xy_setup(model, opt, None, image_batches(seed, size=16), F.cross_entropy)


def clockwork_rnn(seed: int, recurrent_std: float | None = None) -> Setup:
    """Clockwork RNN classifier, Adam 3e-3 with clip 1.0; ``recurrent_std``: the recurrent weights' normal std (1.0:
    a too-large recurrent init)."""
    torch.manual_seed(seed)
    model = M.ClockworkRNN(recurrent_std=recurrent_std)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return H.xy_setup(model, opt, None, sequence_batches(seed), F.cross_entropy, clip=1.0)


def mingru_lm(seed: int, sign_slip: bool = False, raw_log: bool = False) -> Setup:
    """minGRU LM, Adam 1e-3 with warm-up and cosine decay, clip 1.0 (Feng et al. 2024's language-model setting);
    the faults are :class:`fresh10_models.MinGRUBlock`'s."""
    torch.manual_seed(seed)
    model = M.MinGRULM(sign_slip=sign_slip, raw_log=raw_log)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), lm_batches(seed), lm_loss, clip=1.0)


def sru(seed: int, clamp: bool = True, per_batch_decay: float | None = None) -> Setup:
    """SRU classifier over padded sequences (some empty), Adam 1e-3 (Lei et al. 2018's classification setting);
    ``clamp=False``: masked mean pooling divides by the raw length (0 for an empty sequence);
    ``per_batch_decay``: an ``ExponentialLR(gamma)`` written for epochs, stepped every batch."""
    torch.manual_seed(seed)
    model = M.SRUClassifier(clamp=clamp)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = None if per_batch_decay is None else torch.optim.lr_scheduler.ExponentialLR(opt, per_batch_decay)
    return H.xy_setup(model, opt, sched, padded_sequences(seed), F.cross_entropy)


def nam(seed: int, hidden: tuple[int, ...] = (64, 64, 32), act: str = "relu", output_penalty: float = 0.0,
        summed: bool = False, labels_off_by_one: bool = False) -> Setup:
    """Neural additive model on eight features, Adam 1e-3 (Agarwal et al. 2021 tune lr around 1e-3) with the
    paper's output penalty ``output_penalty * mean(f_i(x)^2)`` (0: off); ``summed``: the penalty summed over
    batch, features and classes instead of averaged; ``labels_off_by_one``: each batch's labels shifted by one row
    against its features (row ``i`` gets row ``i + 1``'s label, as after dropping a header from one file only)."""
    torch.manual_seed(seed)
    model = M.NAM(hidden=hidden, act=act)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = vector_batches(seed, d=8)
    if labels_off_by_one:
        pool = [(x, y.roll(-1)) for x, y in (data(i) for i in range(POOL))]
        data = lambda step: pool[step % POOL]  # noqa: E731

    def loss(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
        logits, parts = out
        pen = parts.pow(2).sum() if summed else parts.pow(2).mean()
        return F.cross_entropy(logits, y) + output_penalty * pen
    return H.xy_setup(model, opt, None, data, loss)


def autoint(seed: int, dense_scale: float = 1.0) -> Setup:
    """AutoInt click model, Adam 1e-3 (Song et al. 2019), binary cross-entropy on the logit; ``dense_scale``: the
    numeric features times that (1e3: raw values far off unit scale)."""
    torch.manual_seed(seed)
    model = M.AutoInt()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = F9.click_batches(seed)
    if dense_scale != 1.0:
        pool = [((c, d * dense_scale), y) for (c, d), y in (data(i) for i in range(POOL))]
        data = lambda step: pool[step % POOL]  # noqa: E731
    return H.xy_setup(model, opt, None, data, F.binary_cross_entropy_with_logits)


def fourier_mlp(seed: int, width: int = 128, layers: int = 3, act: str = "relu",
                uniform_no_bounds: bool = False, weight_decay: float = 0.0) -> Setup:
    """Fourier-feature MLP regressing a smooth 2-D field, Adam 1e-3 (Tancik et al. 2020), mean squared error;
    ``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M.FourierMLP(width=width, layers=layers, act=act, uniform_no_bounds=uniform_no_bounds)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    return H.xy_setup(model, opt, None, field_batches(seed), F.mse_loss)
