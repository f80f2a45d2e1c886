"""Hand-written models of the fifty-ninth held-out batch (``fresh58.py``), the language-model, tabular and scientific
ones: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default). The vision and text models are in ``fresh58_models.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- nGPT ------------------------------------------------------------------------------------------------------------


def _unit(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    return F.normalize(x, dim=dim)


class _Scale(nn.Module):
    """nGPT's scaling vector: stored at ``scale`` and used as ``param * (init / scale)`` (the paper's trick that
    gives it the global lr's effective rate)."""

    def __init__(self, d: int, init: float, scale: float) -> None:
        super().__init__()
        self.init, self.scale = init, scale
        self.param = nn.Parameter(torch.full((d,), scale))

    def forward(self) -> torch.Tensor:
        return self.param * (self.init / self.scale)


def _rope(x: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding over the last axis of ``(b, h, t, dh)``."""
    t, dh = x.shape[-2], x.shape[-1]
    freq = 10000.0 ** (-torch.arange(0, dh, 2).float() / dh)
    ang = torch.arange(t).float()[:, None] * freq
    cos, sin = ang.cos(), ang.sin()
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1).flatten(-2)


class _NBlock(nn.Module):
    """An nGPT block: ``h <- Norm(h + alpha_A (Norm(Attn(h)) - h))`` with normalised, ``s_qk``-scaled queries and keys
    (RoPE) and the softmax scale ``sqrt(d_k)``; then ``h <- Norm(h + alpha_M (Norm(MLP(h)) - h))`` with the SwiGLU MLP
    whose ``u`` and ``nu`` are scaled by ``s_u`` and ``s_nu sqrt(d)``."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.qkv, self.o = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
        self.uv, self.down = nn.Linear(d, 8 * d, bias=False), nn.Linear(4 * d, d, bias=False)
        self.alpha_a, self.alpha_m = _Scale(d, 0.05, d ** -0.5), _Scale(d, 0.05, d ** -0.5)
        self.s_qk = _Scale(self.dh, 1.0, d ** -0.5)
        self.s_u, self.s_nu = _Scale(4 * d, 1.0, 1.0), _Scale(4 * d, 1.0, 1.0)
        self.d = d

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        b, t, d = h.shape
        q, k, v = self.qkv(h).view(b, t, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        q, k = _unit(_rope(q)) * self.s_qk(), _unit(_rope(k)) * self.s_qk()
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=math.sqrt(self.dh))
        ha = _unit(self.o(a.transpose(1, 2).reshape(b, t, d)))
        h = _unit(h + self.alpha_a() * (ha - h))
        u, nu = self.uv(h).chunk(2, -1)
        hm = _unit(self.down(u * self.s_u() * F.silu(nu * self.s_nu() * math.sqrt(self.d))))
        return _unit(h + self.alpha_m() * (hm - h))


class NGPT(nn.Module):
    """nGPT (Loshchilov et al. 2024, "nGPT: Normalized Transformer with representation learning on the hypersphere"),
    narrowed: width 64, two blocks of 4 heads, input and output embeddings, every hidden state on the unit sphere,
    the logits ``s_z * E_out h``; every matrix and embedding drawn N(0, 1/64) and normalised along the embedding axis,
    and renormalised after every optimizer step (:meth:`normalize`, the paper's)."""

    def __init__(self, vocab: int = 64, d: int = 64, heads: int = 4, layers: int = 2) -> None:
        super().__init__()
        self.emb, self.out = nn.Embedding(vocab, d), nn.Linear(d, vocab, bias=False)
        self.blocks = nn.ModuleList([_NBlock(d, heads) for _ in range(layers)])
        self.s_z = _Scale(vocab, 1.0, d ** -0.5)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, d ** -0.5)
        self.normalize()

    @torch.no_grad()
    def normalize(self) -> None:
        """Every matrix's vectors along the embedding axis back to unit norm."""
        self.emb.weight.copy_(_unit(self.emb.weight, 1))
        self.out.weight.copy_(_unit(self.out.weight, 1))
        for blk in self.blocks:
            for lin in (blk.qkv, blk.uv):  # (out, d): rows along the embedding axis
                lin.weight.copy_(_unit(lin.weight, 1))
            for lin in (blk.o, blk.down):  # (d, in): columns along the embedding axis
                lin.weight.copy_(_unit(lin.weight, 0))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.emb(tokens)
        for blk in self.blocks:
            h = blk(h)
        return self.out(h) * self.s_z()


# ---- Trompt ----------------------------------------------------------------------------------------------------------


class _TromptCell(nn.Module):
    """A Trompt cell: the feature embeddings (a Linear per column, ReLU, LayerNorm, plus the column embedding), the
    prompts ``SE = Dense([E_prompt, O_prev]) + E_prompt + O_prev``, the feature importances ``M = softmax(SE
    E_column^T)`` over the columns, the embeddings expanded to every prompt (a 1x1 convolution, ReLU, LayerNorm, plus
    the embeddings) and weighted by ``M``: ``O`` of ``(b, prompts, d)``."""

    def __init__(self, columns: int, d: int, prompts: int) -> None:
        super().__init__()
        self.w, self.b = nn.Parameter(torch.randn(columns, d) * 0.1), nn.Parameter(torch.zeros(columns, d))
        self.ln_feat = nn.LayerNorm(d)
        self.col = nn.Parameter(torch.randn(columns, d) * 0.1)
        self.prompt = nn.Parameter(torch.randn(prompts, d) * 0.1)
        self.dense = nn.Linear(2 * d, d)
        self.expand = nn.Conv1d(1, prompts, 1)
        self.ln_exp = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor, o_prev: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        e = self.ln_feat(F.relu(x[..., None] * self.w + self.b)) + self.col  # (b, C, d)
        p = self.prompt.expand(b, -1, -1)
        se = self.dense(torch.cat([p, o_prev], -1)) + p + o_prev  # (b, P, d)
        m = torch.softmax(se @ self.col.T, -1)  # (b, P, C)
        c, d = e.shape[1:]
        ex = self.ln_exp(F.relu(self.expand(e.reshape(b * c, 1, d)))).view(b, c, -1, d).transpose(1, 2) + e[:, None]
        return (m[..., None] * ex).sum(2)


class Trompt(nn.Module):
    """Trompt (Chen et al. 2023, "Trompt: Towards a better deep neural network for tabular data"), narrowed: width 32,
    8 prompts, three cells, each cell's output read by the downstream head (prompt weights ``softmax(Linear(O))``,
    the weighted sum, Linear-ReLU-LayerNorm-Linear to one logit); the training loss is the mean over the cells'
    predictions (the paper's), the prediction the last cell's. PyTorch's default Linears, the embeddings, prompts
    and first output N(0, 0.1^2)."""

    def __init__(self, columns: int = 8, d: int = 32, prompts: int = 8, cells: int = 3, classes: int = 1) -> None:
        super().__init__()
        self.cells = nn.ModuleList([_TromptCell(columns, d, prompts) for _ in range(cells)])
        self.o0 = nn.Parameter(torch.randn(prompts, d) * 0.1)
        self.weigh = nn.Linear(d, 1)
        self.head = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.LayerNorm(d), nn.Linear(d, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Every cell's logits, ``(cells, b)``."""
        o = self.o0.expand(x.shape[0], -1, -1)
        outs = []
        for cell in self.cells:
            o = cell(x, o)
            w = torch.softmax(self.weigh(o), 1)
            outs.append(self.head((w * o).sum(1)).squeeze(-1))
        return torch.stack(outs)


# ---- PirateNet -------------------------------------------------------------------------------------------------------


class PirateNet(nn.Module):
    """PirateNet (Wang, Li, Chen and Perdikaris 2024, "PirateNets: Physics-informed deep learning with residual
    adaptive networks"), narrowed: random Fourier features ``[cos(B x), sin(B x)]`` (32 frequencies, ``B ~ N(0,
    sigma^2)``, sigma 2), the gates ``U = tanh(W_u phi)``, ``V = tanh(W_v phi)``, two adaptive residual blocks
    (``f = tanh(W_1 x)``, ``z_1 = f U + (1 - f) V``, ``g = tanh(W_2 z_1)``, ``z_2 = g U + (1 - g) V``, ``h = tanh(W_3
    z_2)``, ``x <- alpha h + (1 - alpha) x`` with ``alpha`` from 0) of width 64 and a Linear output; Glorot-normal
    weights, zero biases (the paper's; its physics-informed least-squares init of the output layer left out)."""

    def __init__(self, width: int = 64, blocks: int = 2, sigma: float = 2.0) -> None:
        super().__init__()
        self.register_buffer("B", torch.randn(1, width // 2) * sigma)
        self.u, self.v = nn.Linear(width, width), nn.Linear(width, width)
        self.w = nn.ModuleList([nn.ModuleList([nn.Linear(width, width) for _ in range(3)]) for _ in range(blocks)])
        self.alpha = nn.Parameter(torch.zeros(blocks))
        self.out = nn.Linear(width, 1)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        phi = torch.cat([torch.cos(x @ self.B), torch.sin(x @ self.B)], -1)
        u, v = torch.tanh(self.u(phi)), torch.tanh(self.v(phi))
        h = phi
        for (w1, w2, w3), a in zip(self.w, self.alpha):
            f = torch.tanh(w1(h))
            z1 = f * u + (1 - f) * v
            g = torch.tanh(w2(z1))
            z2 = g * u + (1 - g) * v
            h = a * torch.tanh(w3(z2)) + (1 - a) * h
        return self.out(h)


# ---- WNO -------------------------------------------------------------------------------------------------------------


def _haar(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return (x[..., 0::2] + x[..., 1::2]) / math.sqrt(2), (x[..., 0::2] - x[..., 1::2]) / math.sqrt(2)


def _ihaar(a: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    return torch.stack([(a + d) / math.sqrt(2), (a - d) / math.sqrt(2)], -1).flatten(-2)


class _WaveConv(nn.Module):
    """WNO's wavelet integral layer (1-D): a level-``levels`` discrete wavelet transform (Haar here, db6 in the
    paper), the approximation and the coarsest detail coefficients mixed across channels by learned weights per
    coefficient (the reference code's ``weights1``, ``weights2``: ``scale * rand``), the finer details passed through,
    and the inverse transform."""

    def __init__(self, width: int, n: int, levels: int) -> None:
        super().__init__()
        m, scale = n // 2 ** levels, 1 / (width * width)
        self.w1 = nn.Parameter(scale * torch.rand(width, width, m))
        self.w2 = nn.Parameter(scale * torch.rand(width, width, m))
        self.levels = levels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        details = []
        for _ in range(self.levels):
            x, d = _haar(x)
            details.append(d)
        x = torch.einsum("bix,iox->box", x, self.w1)
        details[-1] = torch.einsum("bix,iox->box", details[-1], self.w2)
        for d in reversed(details):
            x = _ihaar(x, d)
        return x


class WNO(nn.Module):
    """The wavelet neural operator (Tripura and Chakraborty 2023, "Wavelet neural operator for solving parametric
    partial differential equations"), narrowed (1-D): the input function and the grid lifted to 32 channels, then
    ``blocks`` wavelet blocks ``x <- gelu(K x + W x)`` (the wavelet integral layer at level 2 beside a 1x1
    convolution; the last without its GELU), then the projection 32-128-1 with a GELU; PyTorch's default Linears and
    convolutions, as the reference code."""

    def __init__(self, n: int = 64, width: int = 32, blocks: int = 4, levels: int = 2) -> None:
        super().__init__()
        self.lift = nn.Linear(2, width)
        self.k = nn.ModuleList([_WaveConv(width, n, levels) for _ in range(blocks)])
        self.w = nn.ModuleList([nn.Conv1d(width, width, 1) for _ in range(blocks)])
        self.proj = nn.Sequential(nn.Linear(width, 128), nn.GELU(), nn.Linear(128, 1))
        self.register_buffer("grid", torch.linspace(0, 1, n))

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        x = self.lift(torch.stack([a, self.grid.expand_as(a)], -1)).transpose(1, 2)
        for i, (k, w) in enumerate(zip(self.k, self.w)):
            x = k(x) + w(x)
            if i < len(self.k) - 1:
                x = F.gelu(x)
        return self.proj(x.transpose(1, 2)).squeeze(-1)
