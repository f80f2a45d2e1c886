"""Builders of the fourth held-out batch (``fresh3.py``): standard models new to the corpus at their usual settings,
and broken variants with one real fault each. Written and labelled before any rule change of the fourth round and
never tuned on.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh3_models as M3
from . import healthy as H
from ._setup import POOL, Setup, hf_lm_batches, image_batches, mlm_batches, sequence_batches, vector_batches

VOCAB = H.VOCAB


def _lm_cfg_common() -> dict[str, Any]:
    return {"vocab_size": VOCAB, "bos_token_id": 0, "eos_token_id": 0, "pad_token_id": 0}


# ---- transformers and state-space models (HF configs) ----------------------------------------------------------------

def gpt_neox_lm(seed: int, init_std: float = 0.02) -> Setup:
    """GPT-NeoX (``GPTNeoXForCausalLM``: parallel attention + MLP, partial rotary 0.25, untied head), AdamW 1e-3
    betas (0.9, 0.95) wd 0.01 with warm-up (Pythia's small-model recipe)."""
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    torch.manual_seed(seed)
    cfg = GPTNeoXConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
                        max_position_embeddings=64, rotary_pct=0.25, initializer_range=init_std,
                        **_lm_cfg_common())
    model = GPTNeoXForCausalLM(cfg)
    opt = H._adamw(model, 1e-3, 0.01, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def bloom_lm(seed: int) -> Setup:
    """BLOOM (``BloomForCausalLM``: ALiBi positions, LayerNorm after the embedding), AdamW 6e-4 betas (0.9, 0.95)
    wd 0.1 with warm-up (BLOOM's recipe at small size)."""
    from transformers import BloomConfig, BloomForCausalLM

    torch.manual_seed(seed)
    model = BloomForCausalLM(BloomConfig(hidden_size=64, n_layer=2, n_head=4, **_lm_cfg_common()))
    opt = H._adamw(model, 6e-4, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def mamba_lm(seed: int) -> Setup:
    """Mamba (``MambaForCausalLM``: selective state-space blocks, RMSNorm, tied head; the sequential CPU path),
    AdamW 1e-3 betas (0.9, 0.95) wd 0.1 with warm-up (Gu & Dao 2023's GPT-3-style recipe, small-model LR)."""
    from transformers import MambaConfig, MambaForCausalLM

    torch.manual_seed(seed)
    cfg = MambaConfig(hidden_size=64, state_size=8, num_hidden_layers=2, expand=2, conv_kernel=4,
                      **_lm_cfg_common())
    model = MambaForCausalLM(cfg)
    opt = H._adamw(model, 1e-3, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def deberta_mlm(seed: int, lr: float = 5e-4, warmup: bool = True) -> Setup:
    """DeBERTa-v2 (``DebertaV2ForMaskedLM``: disentangled relative-position attention, post-LN), AdamW 5e-4 betas
    (0.9, 0.98) wd 0.01 with warm-up (He et al. 2021's small-model pre-training setting)."""
    from transformers import DebertaV2Config, DebertaV2ForMaskedLM

    torch.manual_seed(seed)
    cfg = DebertaV2Config(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                          intermediate_size=128, max_position_embeddings=64, pad_token_id=0, relative_attention=True,
                          position_buckets=16, pos_att_type=["p2c", "c2p"], max_relative_positions=32)
    model = DebertaV2ForMaskedLM(cfg)
    opt = H._adamw(model, lr, 0.01, (0.9, 0.98))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20) if warmup else None, mlm_batches(seed, VOCAB))


def fnet_mlm(seed: int) -> Setup:
    """FNet (``FNetForMaskedLM``: Fourier-transform token mixing instead of attention), AdamW 1e-3 wd 0.01 with
    warm-up (Lee-Thorp et al. 2022 pre-train with BERT's recipe; small-model LR)."""
    from transformers import FNetConfig, FNetForMaskedLM

    torch.manual_seed(seed)
    cfg = FNetConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, intermediate_size=128,
                     max_position_embeddings=64, pad_token_id=0, use_tpu_fourier_optimizations=False)
    model = FNetForMaskedLM(cfg)
    opt = H._adamw(model, 1e-3, 0.01)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))


def regnet(seed: int, lr: float = 0.05, bn: bool = True) -> Setup:
    """RegNet (``RegNetForImageClassification``: grouped-conv X blocks, BatchNorm), SGD 0.05 momentum 0.9 wd 5e-5
    (Radosavovic et al. 2020's 0.1 at batch 128, scaled to batch 16 and kept a little higher for 200 steps);
    ``bn=False`` replaces every BatchNorm with the identity."""
    from transformers import RegNetConfig, RegNetForImageClassification

    torch.manual_seed(seed)
    cfg = RegNetConfig(embedding_size=16, hidden_sizes=[16, 32, 64, 96], depths=[1, 1, 2, 1], groups_width=8,
                       num_labels=10)
    model = RegNetForImageClassification(cfg)
    if not bn:
        _strip_batchnorm(model)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-5)
    return H.hf_setup(model, opt, None, image_batches(seed, as_dict=True))


def _strip_batchnorm(module: nn.Module) -> None:
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, nn.Identity())
        else:
            _strip_batchnorm(child)


def _tone_batches(seed: int, classes: int = 4, samples: int = 800, batch: int = 8) -> Callable[[int], Any]:
    """A toy keyword task on raw audio: each class is a fixed chord of three sine tones (random frequencies and
    phases per sample), plus noise; ``{"input_values" (batch, samples), "labels"}``."""
    freqs = 0.01 + 0.2 * torch.rand(classes, 3, generator=torch.Generator().manual_seed(505))
    g = torch.Generator().manual_seed(10_000 + seed)
    n = torch.arange(samples).float()
    pool = []
    for _ in range(POOL):
        y = torch.randint(0, classes, (batch,), generator=g)
        phase = 2 * math.pi * torch.rand(batch, 3, 1, generator=g)
        wave = torch.sin(2 * math.pi * freqs[y][..., None] * n + phase).sum(1) / 3
        pool.append({"input_values": wave + 0.3 * torch.randn(batch, samples, generator=g), "labels": y})
    return lambda step: pool[step % POOL]


def hubert_cls(seed: int) -> Setup:
    """HuBERT (``HubertForSequenceClassification``: conv feature encoder on the raw waveform with group norm,
    convolutional positions, post-LN transformer, mean-pooled head) on a toy tone task, AdamW 5e-4 wd 0.01 with
    warm-up (wav2vec 2.0 / HuBERT pre-training's peak LR)."""
    from transformers import HubertConfig, HubertForSequenceClassification

    torch.manual_seed(seed)
    cfg = HubertConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                       conv_dim=(32, 32, 32), conv_stride=(5, 2, 2), conv_kernel=(10, 3, 3),
                       num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4, num_labels=4, mask_time_prob=0.0)
    model = HubertForSequenceClassification(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), _tone_batches(seed))


# ---- hand-built ------------------------------------------------------------------------------------------------------

def pointnet(seed: int, relu_shift: float = 0.0, nan_record: bool = False, lr: float = 1e-3) -> Setup:
    """PointNet classifying 64-point clouds, Adam 1e-3 with the paper's step decay (x0.5 every 100 steps here, for
    its 20 epochs), wd 1e-4 is left out as in most re-implementations."""
    torch.manual_seed(seed)
    model = M3.PointNet(relu_shift=relu_shift)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, 100, 0.5)
    return H.xy_setup(model, opt, sched, M3.point_batches(seed, nan_record=nan_record), F.cross_entropy)


def pointnet_triplet(seed: int, eps: float | None = None) -> Setup:
    """PointNet as a metric-learning embedder trained with a batch-hard triplet loss, Adam 1e-3. Its distance
    matrix takes ``sqrt`` of squared distances with no eps (``eps=1e-12``: the control)."""
    torch.manual_seed(seed)
    model = M3.PointNet(embed=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = functools.partial(M3.batch_hard_triplet, eps=eps)
    return H.xy_setup(model, opt, None, M3.point_batches(seed), loss)


def highway(seed: int, layers: int = 20, gates: bool = True, act: Callable[[], nn.Module] = nn.ReLU,
            h_std: float | None = None, input_scale: float = 1.0) -> Setup:
    """A 20-layer highway network (width 64, carry bias -2), SGD 0.1 momentum 0.9 (Srivastava et al. 2015 train
    with SGD and momentum; 0.02 barely moves it in 200 steps); inputs times ``input_scale``."""
    torch.manual_seed(seed)
    model = M3.Highway(layers=layers, gates=gates, act=act, h_std=h_std)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return H.xy_setup(model, opt, None, vector_batches(seed, scale=input_scale), F.cross_entropy)


def ode_net(seed: int, init_std: float | None = None) -> Setup:
    """A neural-ODE classifier (8 Euler steps of a shared tanh MLP), Adam 1e-3; with ``init_std`` every weight
    matrix is drawn from N(0, init_std^2) instead of PyTorch's default."""
    torch.manual_seed(seed)
    model = M3.ODENet()
    if init_std is not None:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.Linear):
                    m.weight.normal_(0.0, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def moe(seed: int, norm_eps: float | None = 1e-6, weight_decay: float = 0.0) -> Setup:
    """A top-1 mixture-of-experts sequence classifier on padded sequences, Adam 1e-3 (coupled L2
    ``weight_decay``)."""
    torch.manual_seed(seed)
    model = M3.MoEClassifier(norm_eps=norm_eps)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    return H.xy_setup(model, opt, None, M3.padded_sequence_batches(seed), F.cross_entropy)


def indrnn(seed: int, u_range: tuple[float, float] = (0.0, 1.0), length: int = 20, first_token: bool = False,
           lr: float = 2e-3) -> Setup:
    """A two-layer IndRNN classifying sequences by majority class (or, with ``first_token``, by their first
    token), Adam 2e-3 (Li et al. 2018 use Adam 2e-4 for thousands of steps)."""
    torch.manual_seed(seed)
    model = M3.IndRNN(u_range=u_range)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return H.xy_setup(model, opt, None, sequence_batches(seed, length=length, first_token=first_token),
                      F.cross_entropy)

