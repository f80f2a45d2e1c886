"""Builders of the fourteenth held-out batch (``fresh13.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets and the hand-written training
pieces (an optimizer, a loss) they need. Written and labelled before gradguard's judgment was run on them and never
tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh13_models as M
from . import healthy as H
from ._setup import POOL, Setup, hf_lm_batches, image_batches, mlm_batches, sequence_batches

VOCAB = H.VOCAB


def _pool(seed: int, make: Callable[[torch.Generator], Any]) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(80_000 + seed)
    pool = [make(g) for _ in range(POOL)]
    return lambda step: pool[step % POOL]


# ---- data ------------------------------------------------------------------------------------------------------------

#: the raw frames' per-feature means and standard deviations (a sensor's units: small offsets, large spreads)
FRAME_MEAN = torch.linspace(0.002, 0.01, 8) * torch.tensor([1.0, -1.0] * 4)
FRAME_STD = torch.linspace(2.0, 8.0, 8)


def standardise(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """The user's per-feature standardisation helper."""
    return (x - mean) / std


def frame_batches(seed: int, batch: int = 32, length: int = 20, classes: int = 4, swap_slip: bool = False
                  ) -> Callable[[int], Any]:
    """Sequences of 8 real-valued features (a class's slow waveform plus noise, in a sensor's raw units), labelled by
    class and standardised with the known per-feature mean and std; ``swap_slip``: ``standardise(x, FRAME_STD,
    FRAME_MEAN)``, the helper's mean and std arguments passed in swapped order."""
    tg = torch.Generator().manual_seed(881)
    templates = torch.sin(torch.arange(length)[None, :, None] * torch.rand(classes, 1, 8, generator=tg) * 0.6
                          + torch.rand(classes, 1, 8, generator=tg) * 6.3)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        z = templates[y] + 0.8 * torch.randn(batch, length, 8, generator=g)
        raw = FRAME_MEAN + FRAME_STD * z
        x = standardise(raw, FRAME_STD, FRAME_MEAN) if swap_slip else standardise(raw, FRAME_MEAN, FRAME_STD)
        return x, y
    return _pool(seed, make)


def graph_batches(seed: int, nodes: int = 64, classes: int = 4, features: int = 16, isolated: float = 0.1
                  ) -> Callable[[int], Any]:
    """A stochastic-block-model graph per batch (four communities, p_in 0.15, p_out 0.01, a tenth of the nodes
    isolated, as real graphs have), node features a noisy community code; ``((features, adjacency), labels)``."""
    code = torch.randn(classes, features, generator=torch.Generator().manual_seed(882))

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (nodes,), generator=g)
        p = torch.where(y[:, None] == y[None, :], 0.15, 0.01)
        a = (torch.rand(nodes, nodes, generator=g) < p).float().triu(1)
        a = a + a.t()
        alone = torch.rand(nodes, generator=g) < isolated
        a[alone] = 0.0
        a[:, alone] = 0.0
        x = 0.5 * code[y] + torch.randn(nodes, features, generator=g)
        return (x, a), y
    return _pool(seed, make)


def patch_batches(seed: int, batch: int = 64, size: int = 8, pixels: float = 1.0) -> Callable[[int], Any]:
    """8x8 image patches in [0, 1] (smooth random fields squashed by a sigmoid, plus a little noise), flattened;
    ``pixels=255``: the raw 8-bit values, never divided by 255."""
    def make(g: torch.Generator) -> Any:
        smooth = F.interpolate(torch.randn(batch, 1, 3, 3, generator=g), size=(size, size), mode="bilinear",
                               align_corners=False)
        x = torch.sigmoid(2 * smooth + 0.1 * torch.randn(batch, 1, size, size, generator=g)).flatten(1)
        return x * pixels
    return _pool(seed, make)


# ---- transformers (HF configs) ---------------------------------------------------------------------------------------

def openai_gpt_lm(seed: int) -> Setup:
    """GPT-1 (``OpenAIGPTLMHeadModel``: post-LN, learned positions, GELU), Adam lr 2.5e-4 with linear warm-up and
    cosine decay, L2 0.01 (Radford et al. 2018)."""
    from transformers import OpenAIGPTConfig, OpenAIGPTLMHeadModel

    torch.manual_seed(seed)
    model = OpenAIGPTLMHeadModel(OpenAIGPTConfig(vocab_size=VOCAB, n_positions=64, n_embd=64, n_layer=2, n_head=4))
    opt = torch.optim.AdamW(model.parameters(), lr=2.5e-4, weight_decay=0.01)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def ctrl_lm(seed: int) -> Setup:
    """CTRL (``CTRLLMHeadModel``: pre-LN, sinusoidal positions), Adagrad lr 0.05 with the gradient norm clipped to
    0.25 (Keskar et al. 2019)."""
    from transformers import CTRLConfig, CTRLLMHeadModel

    torch.manual_seed(seed)
    model = CTRLLMHeadModel(CTRLConfig(vocab_size=VOCAB, n_positions=64, n_embd=64, dff=256, n_layer=2, n_head=4))
    opt = torch.optim.Adagrad(model.parameters(), lr=0.05)
    setup = H.hf_setup(model, opt, None, hf_lm_batches(seed, VOCAB))
    setup.clip = 0.25
    return setup


def diffllama_lm(seed: int, initializer_range: float = 0.02, lambda_slip: bool = False) -> Setup:
    """DiffLlama (``DiffLlamaForCausalLM``: differential attention, the difference of two softmax maps, with RMSNorm
    and SwiGLU), AdamW betas (0.9, 0.95) wd 0.1 lr 1e-3 with warm-up; ``initializer_range``: the config's (1.0: a
    too-large init); ``lambda_slip``: the warm-up written as a ``LambdaLR`` whose function returns the learning rate
    itself, ``1e-3 * min(1, (s + 1) / 20)``, where ``LambdaLR`` wants the factor that multiplies the optimizer's lr
    (every lr the square of the one meant: 1e-6)."""
    from transformers import DiffLlamaConfig, DiffLlamaForCausalLM

    torch.manual_seed(seed)
    cfg = DiffLlamaConfig(vocab_size=VOCAB, hidden_size=64, intermediate_size=172, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64, pad_token_id=0,
                          bos_token_id=0, eos_token_id=0, initializer_range=initializer_range)
    model = DiffLlamaForCausalLM(cfg)
    opt = H._adamw(model, 1e-3, 0.1, (0.9, 0.95))
    if lambda_slip:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1e-3 * min(1.0, (s + 1) / 20))
    else:
        sched = H.warmup_cosine(opt, 20)
    return H.hf_setup(model, opt, sched, hf_lm_batches(seed, VOCAB))


def yoso_mlm(seed: int) -> Setup:
    """YOSO (``YosoForMaskedLM``: Bernoulli-sampling (LSH) attention in its expectation form), AdamW lr 1e-3 wd 0.01
    with warm-up (BERT-style pre-training)."""
    from transformers import YosoConfig, YosoForMaskedLM

    torch.manual_seed(seed)
    cfg = YosoConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=256, max_position_embeddings=64, pad_token_id=0)
    model = YosoForMaskedLM(cfg)
    opt = H._adamw(model, 1e-3, 0.01)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))


def rembert_mlm(seed: int) -> Setup:
    """RemBERT (``RemBertForMaskedLM``: decoupled input and output embeddings, small input and wide output), AdamW
    lr 1e-3 wd 0.01 with warm-up."""
    from transformers import RemBertConfig, RemBertForMaskedLM

    torch.manual_seed(seed)
    cfg = RemBertConfig(vocab_size=VOCAB, hidden_size=64, input_embedding_size=32, output_embedding_size=128,
                        num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
                        max_position_embeddings=64, pad_token_id=0)
    model = RemBertForMaskedLM(cfg)
    opt = H._adamw(model, 1e-3, 0.01)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))


# ---- hand-written training pieces ------------------------------------------------------------------------------------

class HandAdam(torch.optim.Optimizer):
    """A user's own Adam (Kingma & Ba 2015, Algorithm 1), written out step by step. ``sqrt_slip``: the denominator
    written ``v_hat + eps`` where ``v_hat.sqrt() + eps`` belongs (the step becomes ``lr * g / g^2``: enormous
    wherever the gradient is small); ``count_slip``: the step counter's ``state["t"] += 1`` left out (it stays 0, and
    the bias corrections divide by ``1 - beta ** 0 = 0``)."""

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 sqrt_slip: bool = False, count_slip: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})
        self.sqrt_slip, self.count_slip = sqrt_slip, count_slip

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["t"], state["m"], state["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                if not self.count_slip:
                    state["t"] += 1
                t, m, v = state["t"], state["m"], state["v"]
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
                denom = v_hat + group["eps"] if self.sqrt_slip else v_hat.sqrt() + group["eps"]
                p.sub_(group["lr"] * m_hat / denom)
        return loss


class SGDAGC(torch.optim.SGD):
    """SGD with unit-wise adaptive gradient clipping (Brock et al. 2021's AGC, written into the optimizer's step):
    each output unit's gradient norm is clipped to ``clipping`` times its weight norm (at least 1e-3); the final
    classifier is left unclipped."""

    def __init__(self, params: Any, skip: set[int], clipping: float = 0.01, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self.skip, self.clipping = skip, clipping

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None or id(p) in self.skip or p.dim() < 2:
                    continue
                dims = tuple(range(1, p.dim()))
                w_norm = torch.linalg.vector_norm(p, dim=dims, keepdim=True).clamp(min=1e-3)
                g_norm = torch.linalg.vector_norm(p.grad, dim=dims, keepdim=True)
                limit = self.clipping * w_norm
                p.grad.mul_(torch.where(g_norm > limit, limit / g_norm.clamp(min=1e-6), torch.ones_like(g_norm)))
        return super().step(closure)


# ---- hand-written models ---------------------------------------------------------------------------------------------

def alexnet(seed: int, act: str = "relu", variance_slip: bool = False, dropout: float = 0.5, extra: int = 0,
            pixel_scale: float = 1.0) -> Setup:
    """AlexNet at its paper's SGD lr 0.01, momentum 0.9, weight decay 5e-4; the switches are
    :class:`fresh13_models.AlexNet`'s."""
    torch.manual_seed(seed)
    model = M.AlexNet(act=act, variance_slip=variance_slip, dropout=dropout, extra=extra)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    return H.xy_setup(model, opt, None, image_batches(seed, scale=pixel_scale), F.cross_entropy)


def ligru(seed: int, batch_norm: bool = True, gate_relu_slip: bool = False, recurrent_std: float | None = None
          ) -> Setup:
    """Light GRU classifying token sequences by their majority class, RMSprop lr 1e-3 (Ravanelli et al. 2018); the
    switches are :class:`fresh13_models.LiGRU`'s."""
    torch.manual_seed(seed)
    model = M.LiGRU(batch_norm=batch_norm, gate_relu_slip=gate_relu_slip, recurrent_std=recurrent_std)
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.95)
    return H.xy_setup(model, opt, None, sequence_batches(seed), F.cross_entropy)


def ugrnn(seed: int, lr: float = 1e-3, recurrent_std: float | None = None, swap_slip: bool = False) -> Setup:
    """UGRNN classifying standardised sensor frames, Adam at ``lr`` (1e-3) with the gradient norm clipped to 1
    (Collins et al. 2017); ``swap_slip``: see :func:`frame_batches`; ``recurrent_std``: see
    :class:`fresh13_models.UGRNN`."""
    torch.manual_seed(seed)
    model = M.UGRNN(recurrent_std=recurrent_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return H.xy_setup(model, opt, None, frame_batches(seed, swap_slip=swap_slip), F.cross_entropy, clip=1.0)


def ggnn(seed: int, clamp_degree: bool = True, hand_adam: bool = False, sqrt_slip: bool = False) -> Setup:
    """GGNN node classification on a new stochastic-block-model graph per step, Adam lr 1e-3 (Li et al. 2016);
    ``hand_adam``: the user's own :class:`HandAdam` in its place (``sqrt_slip``: see there); ``clamp_degree``: see
    :class:`fresh13_models.GGNN`."""
    torch.manual_seed(seed)
    model = M.GGNN(clamp_degree=clamp_degree)
    opt: torch.optim.Optimizer = (HandAdam(model.parameters(), lr=1e-3, sqrt_slip=sqrt_slip) if hand_adam
                                  else torch.optim.Adam(model.parameters(), lr=1e-3))

    def compute_loss(m: nn.Module, batch: Any) -> torch.Tensor:
        (x, adj), y = batch
        return F.cross_entropy(m(x, adj), y)
    data = graph_batches(seed)
    return Setup(model, opt, None, data(0), None, compute_loss, data, needs_closure=True)


def contractive_ae(seed: int, pixels: float = 1.0, count_slip: bool = False, lam: float = 0.1) -> Setup:
    """Contractive auto-encoder on 8x8 patches: squared reconstruction error plus ``lam`` (0.1) times the Jacobian
    penalty, a loss written by hand, trained by the user's own :class:`HandAdam` at lr 1e-3; ``pixels``: see
    :func:`patch_batches`; ``count_slip``: see :class:`HandAdam`."""
    torch.manual_seed(seed)
    model = M.ContractiveAE()
    opt = HandAdam(model.parameters(), lr=1e-3, count_slip=count_slip)

    def compute_loss(m: nn.Module, x: Any) -> torch.Tensor:
        recon, h = m(x)
        return ((recon - x) ** 2).sum(1).mean() + lam * m.penalty(h)
    data = patch_batches(seed, pixels=pixels)
    return Setup(model, opt, None, data(0), None, compute_loss, data, needs_closure=True)


def universal_transformer(seed: int, double_residual: bool = False, cosine_head: bool = False,
                          temperature_slip: bool = False, weight_decay: float = 0.0, layer_norm: bool = True) -> Setup:
    """Universal Transformer classifying token sequences by their majority class, Adam betas (0.9, 0.98) lr 1e-3 with
    warm-up, label smoothing 0.1 (Dehghani et al. 2019, after Vaswani et al. 2017); ``weight_decay``: Adam's (coupled
    L2; 1.0: far too strong); the other switches are :class:`fresh13_models.UniversalTransformer`'s."""
    torch.manual_seed(seed)
    model = M.UniversalTransformer(double_residual=double_residual, cosine_head=cosine_head,
                                   temperature_slip=temperature_slip, layer_norm=layer_norm)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=weight_decay)

    def loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, y, label_smoothing=0.1)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), sequence_batches(seed), loss)


def nf_resnet(seed: int, blocks: int = 4, act: str = "silu", plain: bool = False, standardise: bool = True) -> Setup:
    """NF-ResNet on 16x16 images, SGD Nesterov momentum 0.9 wd 5e-5 with AGC (clipping 0.01) at lr 0.1 per 256 images
    scaled up 4x (0.025 for batches of 16) with warm-up (Brock et al. 2021); the switches are
    :class:`fresh13_models.NFResNet`'s."""
    torch.manual_seed(seed)
    model = M.NFResNet(blocks=blocks, act=act, plain=plain, standardise=standardise)
    opt = SGDAGC(model.parameters(), {id(p) for p in model.fc.parameters()}, lr=0.4 * 16 / 256, momentum=0.9,
                 nesterov=True, weight_decay=5e-5)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, size=16), F.cross_entropy)

