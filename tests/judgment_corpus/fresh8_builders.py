"""Builders of the ninth held-out batch (``fresh8.py``): standard models new to the corpus at their usual settings,
and broken variants with one real fault each, plus the small data sets they need. Written and labelled before
gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh8_models as M8
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
    g = torch.Generator().manual_seed(20_000 + seed)
    pool = [make(g) for _ in range(POOL)]
    return lambda step: pool[step % POOL]


# ---- data ------------------------------------------------------------------------------------------------------------

def real_fake_batches(seed: int, size: int = 16, half: int = 16) -> Callable[[int], Any]:
    """A discriminator's batch: ``half`` "real" images (smooth class templates plus a little noise) labelled 1 and
    ``half`` "fakes" (a generator's early output: noise smoothed at a finer grain, same scale) labelled 0."""
    real = image_batches(seed, channels=3, size=size, batch=half)

    def make(g: torch.Generator) -> Any:
        fake = F.interpolate(torch.randn(half, 3, 8, 8, generator=g), size=(size, size), mode="nearest")
        return fake
    fakes = _pool(seed, make)

    def batch(step: int) -> Any:
        x = torch.cat([real(step)[0].clamp(-2, 2), fakes(step)])
        return x, torch.cat([torch.ones(half), torch.zeros(half)])
    cache = [batch(i) for i in range(POOL)]
    return lambda step: cache[step % POOL]


def token_set_batches(seed: int, vocab: int = 32, most: int = 20, fewest: int = 4, classes: int = 4,
                      batch: int = 32) -> Callable[[int], Any]:
    """Variable-size token sets padded to ``most`` with a padding mask (True = padding), labelled by their most
    frequent class (``token % classes``) among the real tokens; sizes uniform in ``fewest .. most``."""
    def make(g: torch.Generator) -> Any:
        x = torch.randint(0, vocab, (batch, most), generator=g)
        n = torch.randint(fewest, most + 1, (batch,), generator=g)
        pad = torch.arange(most).unsqueeze(0) >= n.unsqueeze(1)
        counts = (F.one_hot(x % classes, classes) * (~pad).unsqueeze(-1)).sum(1)
        return (x, pad), counts.argmax(1)
    return _pool(seed, make)


def _dicts(batches: Callable[[int], Any], key: str = "input_ids") -> Callable[[int], Any]:
    pool = [{key: x, "labels": y} for x, y in (batches(i) for i in range(POOL))]
    return lambda step: pool[step % POOL]


# ---- transformers (HF configs) ---------------------------------------------------------------------------------------

def xlnet_classifier(seed: int, coupled_wd: float | None = None) -> Setup:
    """XLNet (``XLNetForSequenceClassification``: two-stream relative attention, post-LN, summary of the last
    token), AdamW 4e-4 wd 0.01 with warm-up (Yang et al. 2019 pre-train with Adam 4e-4, linear decay, wd 0.01);
    ``coupled_wd``: ``torch.optim.Adam`` (L2 added to the gradient) with that ``weight_decay`` instead."""
    from transformers import XLNetConfig, XLNetForSequenceClassification

    torch.manual_seed(seed)
    cfg = XLNetConfig(vocab_size=32, d_model=64, n_layer=2, n_head=4, d_inner=128, num_labels=4, pad_token_id=None,
                      summary_type="last")
    model = XLNetForSequenceClassification(cfg)
    if coupled_wd is None:
        opt: torch.optim.Optimizer = H._adamw(model, 4e-4, 0.01)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=4e-4, weight_decay=coupled_wd)
    seqs = sequence_batches(seed, length=24, vocab=32, classes=4)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), _dicts(seqs))


def roformer_mlm(seed: int, lr: float = 6e-4) -> Setup:
    """RoFormer (``RoFormerForMaskedLM``: BERT with rotary position embeddings), AdamW 6e-4 betas (0.9, 0.98) wd
    0.01 with warm-up (the BERT/RoBERTa recipe Su et al. 2021 follow)."""
    from transformers import RoFormerConfig, RoFormerForMaskedLM

    torch.manual_seed(seed)
    cfg = RoFormerConfig(vocab_size=VOCAB, embedding_size=64, hidden_size=64, num_hidden_layers=2,
                         num_attention_heads=4, intermediate_size=128, max_position_embeddings=64, pad_token_id=0)
    model = RoFormerForMaskedLM(cfg)
    opt = H._adamw(model, lr, 0.01, (0.9, 0.98))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))


def biogpt_lm(seed: int, bf16: bool = False) -> Setup:
    """BioGPT (``BioGptForCausalLM``: a pre-LN GPT with scaled embeddings), AdamW 6e-4 betas (0.9, 0.98) wd 0.01
    with warm-up (Luo et al. 2022 use Adam (0.9, 0.98), peak 2e-4 at 347M; 6e-4 is the small-model peak); ``bf16``:
    the model's weights and the optimizer's state held in bfloat16."""
    from transformers import BioGptConfig, BioGptForCausalLM

    torch.manual_seed(seed)
    cfg = BioGptConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                       intermediate_size=128, max_position_embeddings=64, pad_token_id=None)
    model = BioGptForCausalLM(cfg)
    if bf16:
        model = model.to(torch.bfloat16)
    opt = H._adamw(model, 6e-4, 0.01, (0.9, 0.98))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def mpnet_mlm(seed: int) -> Setup:
    """MPNet (``MPNetForMaskedLM``: relative position buckets, post-LN), AdamW 6e-4 betas (0.9, 0.98) wd 0.01 with
    warm-up (Song et al. 2020: Adam peak 6e-4)."""
    from transformers import MPNetConfig, MPNetForMaskedLM

    torch.manual_seed(seed)
    cfg = MPNetConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=128, max_position_embeddings=80, pad_token_id=0)
    model = MPNetForMaskedLM(cfg)
    opt = H._adamw(model, 6e-4, 0.01, (0.9, 0.98))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))


def cvt_classifier(seed: int) -> Setup:
    """CvT (``CvtForImageClassification``: convolutional token embeddings and convolutional projections), two
    stages of two blocks, AdamW 1e-3 wd 0.05 with warm-up (the DeiT-style recipe Wu et al. 2021 train with)."""
    from transformers import CvtConfig, CvtForImageClassification

    torch.manual_seed(seed)
    cfg = CvtConfig(num_channels=3, patch_sizes=[3, 3], patch_stride=[2, 2], patch_padding=[1, 1],
                    embed_dim=[32, 64], num_heads=[1, 2], depth=[2, 2], mlp_ratio=[2.0, 2.0],
                    attention_drop_rate=[0.0, 0.0], drop_rate=[0.0, 0.0], drop_path_rate=[0.0, 0.0],
                    qkv_bias=[True, True], cls_token=[False, True], qkv_projection_method=["dw_bn", "dw_bn"],
                    kernel_qkv=[3, 3], padding_kv=[1, 1], stride_kv=[2, 2], padding_q=[1, 1], stride_q=[1, 1],
                    num_labels=10)
    model = CvtForImageClassification(cfg)
    opt = H._adamw(model, 1e-3, 0.05)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, size=16, as_dict=True))


# ---- hand-written ----------------------------------------------------------------------------------------------------

def capsnet(seed: int, lr: float = 1e-3, pixel_scale: float = 1.0) -> Setup:
    """CapsNet with 3 routing iterations and the margin loss, Adam 1e-3 (Sabour et al. 2017); ``pixel_scale``: the
    images' values times that (255: 8-bit pixels never divided by 255)."""
    torch.manual_seed(seed)
    model = M8.CapsNet()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return H.xy_setup(model, opt, None, image_batches(seed, channels=1, size=16, scale=pixel_scale), M8.margin_loss)


def hypernet(seed: int, default_heads: bool = False, act: Callable[[torch.Tensor], torch.Tensor] = F.relu,
             input_scale: float = 1.0, input_offset: float = 0.0, norm_groups: int | None = None) -> Setup:
    """A static hypernetwork generating a 6-layer ReLU classifier's weights, Adam 1e-3 (Ha et al. 2016), heads
    initialised hyperfan-in (Chang et al. 2020); see :class:`fresh8_models.HyperMLP`."""
    torch.manual_seed(seed)
    model = M8.HyperMLP(default_heads=default_heads, act=act, norm_groups=norm_groups)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = vector_batches(seed, scale=input_scale)
    if input_offset:
        pool = [(x + input_offset, y) for x, y in (data(i) for i in range(POOL))]
        data = lambda step: pool[step % POOL]  # noqa: E731
    return H.xy_setup(model, opt, None, data, F.cross_entropy)


def dcgan_disc(seed: int, init_std: float = 0.02, bn_gamma: float = 1.0) -> Setup:
    """DCGAN's discriminator step on real against generated images, Adam 2e-4 betas (0.5, 0.999), N(0, 0.02) conv
    init, BatchNorm weights N(1, 0.02), binary cross-entropy on the logit (Radford et al. 2016)."""
    torch.manual_seed(seed)
    model = M8.DCGANDiscriminator(init_std=init_std, bn_gamma=bn_gamma)
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    return H.xy_setup(model, opt, None, real_fake_batches(seed), F.binary_cross_entropy_with_logits)


def transformer_xl(seed: int, layers: int = 2, residual: bool = True, post_ln: bool = False, warmup: int = 20,
                   dropout: float = 0.1) -> Setup:
    """The Transformer-XL-style LM, Adam 5e-4 with warm-up and cosine decay, clip 0.25 (Dai et al. 2019's
    base recipe: Adam 2.5e-4 - 5e-4, cosine, clip 0.25)."""
    torch.manual_seed(seed)
    model = M8.TransformerXL(layers=layers, residual=residual, post_ln=post_ln, dropout=dropout)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, warmup), lm_batches(seed), lm_loss, clip=0.25)


def perceiver(seed: int, dropout: float = 0.0, fewest: int = 4) -> Setup:
    """The Perceiver classifier of variable-size token sets, AdamW 1e-3 wd 0.1 (Jaegle et al. 2021 use LAMB 1e-3 or
    AdamW); ``fewest``: the smallest set size in the data (0: some sets are empty: every key of that row is
    masked); ``dropout``: the latent blocks'."""
    torch.manual_seed(seed)
    model = M8.Perceiver(dropout=dropout)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    return H.xy_setup(model, opt, None, token_set_batches(seed, fewest=fewest), F.cross_entropy)


def ctrnn(seed: int, tau: float = 100.0, act: Callable[[torch.Tensor], torch.Tensor] = F.relu,
          readout: nn.Module | None = None) -> Setup:
    """The continuous-time RNN at dt 20 ms, tau 100 ms (alpha 0.2), Adam 1e-3 (Yang & Wang 2020's neurogym
    recipe); ``tau``: the time constant as passed (in ms)."""
    torch.manual_seed(seed)
    model = M8.CTRNN(tau=tau, act=act, readout=readout)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, sequence_batches(seed, length=20), F.cross_entropy)


def gain_as_std() -> float:
    """``nn.init.calculate_gain("leaky_relu", 0.2)``: a gain, passed where DCGAN's std 0.02 belongs."""
    return nn.init.calculate_gain("leaky_relu", 0.2)


def heaviside(x: torch.Tensor) -> torch.Tensor:
    """A binary threshold neuron ``(x > 0)`` used as the activation, without a straight-through estimator: its
    derivative is 0 everywhere."""
    return (x > 0).to(x.dtype)
