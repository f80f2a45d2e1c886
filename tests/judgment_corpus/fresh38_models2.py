"""Hand-written models of the thirty-ninth held-out batch (``fresh38.py``), operator-learning, audio, contrastive and
density ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default). The graph, recommender, forecasting and point-cloud models are in
``fresh38_models.py``."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- Transolver ------------------------------------------------------------------------------------------------------


def gelu_tanh(x: torch.Tensor, tan: bool = False) -> torch.Tensor:
    """GELU's tanh approximation written out, ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))``; ``tan``: the
    ``tanh`` typed ``torch.tan`` (periodic, with poles where the argument crosses pi / 2)."""
    inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
    return 0.5 * x * (1 + (torch.tan(inner) if tan else torch.tanh(inner)))


class _GELU(nn.Module):
    def __init__(self, tan: bool = False) -> None:
        super().__init__()
        self.tan = tan

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gelu_tanh(x, self.tan)


class _PhysicsAttention(nn.Module):
    """Transolver's physics-attention: each point's soft assignment to ``slices`` learned slices (a softmax over an
    orthogonal-initialised projection, divided by a learnable temperature 0.5 per head), the slice tokens as the
    assignment-weighted means of the points' features (the weights' sum plus 1e-5 below), softmax attention among
    the slice tokens, and the tokens spread back to the points by the same assignments."""

    def __init__(self, d: int, heads: int, slices: int) -> None:
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.temperature = nn.Parameter(torch.ones(1, heads, 1, 1) * 0.5)
        self.in_x, self.in_fx = nn.Linear(d, d), nn.Linear(d, d)
        self.in_slice = nn.Linear(self.dh, slices)
        self.q, self.k, self.v = (nn.Linear(self.dh, self.dh, bias=False) for _ in range(3))
        self.out = nn.Linear(d, d)
        nn.init.orthogonal_(self.in_slice.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        fx = self.in_fx(x).view(b, n, self.heads, self.dh).transpose(1, 2)  # b, h, n, dh
        xm = self.in_x(x).view(b, n, self.heads, self.dh).transpose(1, 2)
        w = torch.softmax(self.in_slice(xm) / self.temperature, -1)  # b, h, n, g
        tok = torch.einsum("bhnc,bhng->bhgc", fx, w) / (w.sum(2)[..., None] + 1e-5)
        q, k, v = self.q(tok), self.k(tok), self.v(tok)
        tok = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dh), -1) @ v
        out = torch.einsum("bhgc,bhng->bhnc", tok, w).transpose(1, 2).reshape(b, n, -1)
        return self.out(out)


class _TransolverBlock(nn.Module):
    def __init__(self, d: int, heads: int, slices: int, tan: bool) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = _PhysicsAttention(d, heads, slices)
        self.mlp = nn.Sequential(nn.Linear(d, d), _GELU(tan), nn.Linear(d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class Transolver(nn.Module):
    """Transolver (Wu et al. 2024, "Transolver: a fast transformer solver for PDEs on general geometries"),
    narrowed: the grid point and the input function lifted by the preprocessing MLP ``2 - 64 - 32``, two
    pre-LayerNorm blocks of physics-attention (4 heads, 8 slices) and an MLP of ratio 1, a LayerNorm and a Linear to
    the output function; GELU (written out, its tanh approximation), Linears truncated-normal std 0.02 with zero
    biases (the reference code's ``_init_weights``). ``init_std``: the Linears drawn at that std instead;
    ``tan``: see :func:`gelu_tanh`."""

    def __init__(self, d: int = 32, layers: int = 2, heads: int = 4, slices: int = 8, init_std: float = 0.02,
                 tan: bool = False) -> None:
        super().__init__()
        self.pre = nn.Sequential(nn.Linear(2, 2 * d), _GELU(tan), nn.Linear(2 * d, d))
        self.blocks = nn.ModuleList([_TransolverBlock(d, heads, slices, tan) for _ in range(layers)])
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, 1)
        self.init_std = init_std
        self.apply(self._init_weights)

    def _init_weights(self, m: nn.Module) -> None:
        if isinstance(m, nn.Linear) and m.out_features != 8:  # the slice projections keep their orthogonal init
            nn.init.trunc_normal_(m.weight, std=self.init_std, a=-2 * self.init_std, b=2 * self.init_std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, f: torch.Tensor) -> torch.Tensor:  # f: b, n
        grid = torch.linspace(0, 1, f.shape[1]).expand_as(f)
        x = self.pre(torch.stack([grid, f], -1))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x)).squeeze(-1)


# ---- WaveRNN ---------------------------------------------------------------------------------------------------------


class WaveRNN(nn.Module):
    """WaveRNN (Kalchbrenner et al. 2018, "Efficient neural audio synthesis"), narrowed: one softmax over 64 mu-law
    levels instead of the coarse and fine halves; the previous sample (scaled to [-1, 1]) into a GRU of 64 units,
    then ``Linear - ReLU - Linear`` to the next sample's level logits (the paper's ``O1``, ``O2``); PyTorch's
    default init. ``recurrent_std``: the GRU's recurrent matrices drawn N(0, std^2)."""

    def __init__(self, levels: int = 64, hidden: int = 64, recurrent_std: float | None = None) -> None:
        super().__init__()
        self.levels = levels
        self.gru = nn.GRU(1, hidden, batch_first=True)
        self.o1, self.o2 = nn.Linear(hidden, hidden), nn.Linear(hidden, levels)
        if recurrent_std is not None:
            nn.init.normal_(self.gru.weight_hh_l0, 0.0, recurrent_std)

    def forward(self, prev: torch.Tensor) -> torch.Tensor:  # prev: b, t (levels); logits b, levels, t
        x = (2 * prev.float() / (self.levels - 1) - 1)[..., None]
        h, _ = self.gru(x)
        return self.o2(F.relu(self.o1(h))).transpose(1, 2)


# ---- SwAV ------------------------------------------------------------------------------------------------------------


class SwAV(nn.Module):
    """SwAV (Caron et al. 2020, "Unsupervised learning of visual features by contrasting cluster assignments"),
    narrowed: a ReLU MLP backbone ``32 - 128 - 128`` (in place of the ResNet-50), the projection head
    ``Linear(128, 128) - BN - ReLU - Linear(128, 32)``, the embeddings L2-normalised, and 16 prototypes (a Linear
    without bias whose rows are L2-normalised before every forward, as the reference's training loop does);
    PyTorch's default init. Returns the two views' prototype scores. ``depth``: hidden layers of the backbone;
    ``normalise``: the embeddings' L2 normalisation (off: the raw projections are scored)."""

    def __init__(self, dim: int = 32, width: int = 128, out: int = 32, prototypes: int = 16, depth: int = 2,
                 normalise: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(dim if i == 0 else width, width), nn.ReLU()]
        self.backbone = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Linear(width, out))
        self.prototypes = nn.Linear(out, prototypes, bias=False)
        self.normalise = normalise

    def forward(self, views: torch.Tensor) -> torch.Tensor:  # views: 2, b, dim
        with torch.no_grad():
            self.prototypes.weight.copy_(F.normalize(self.prototypes.weight, dim=1))
        z = self.head(self.backbone(views.flatten(0, 1)))
        if self.normalise:
            z = F.normalize(z, dim=1)
        return self.prototypes(z).view(2, views.shape[1], -1)


def sinkhorn(scores: torch.Tensor, eps: float = 0.05, iters: int = 3) -> torch.Tensor:
    """SwAV's Sinkhorn-Knopp codes (the reference ``distributed_sinkhorn`` on one device): ``exp(scores / eps)``,
    normalised to equal cluster marginals over the batch in ``iters`` rounds; ``(b, prototypes)``, rows summing to
    1."""
    q = torch.exp(scores / eps).t()
    k, b = q.shape
    q = q / q.sum()
    for _ in range(iters):
        q = q / q.sum(1, keepdim=True) / k
        q = q / q.sum(0, keepdim=True) / b
    return (q * b).t()


def swav_loss(scores: torch.Tensor, _: object, temperature: float = 0.1) -> torch.Tensor:
    """SwAV's swapped prediction: each view's codes (no gradient) predicted from the other view's scores at
    temperature 0.1, averaged over the two pairs."""
    loss = scores.new_zeros(())
    for i in range(2):
        with torch.no_grad():
            q = sinkhorn(scores[i])
        loss = loss - (q * F.log_softmax(scores[1 - i] / temperature, 1)).sum(1).mean()
    return loss / 2


# ---- BNAF ------------------------------------------------------------------------------------------------------------


class _MaskedWeight(nn.Module):
    """BNAF's block-autoregressive weight (the reference ``MaskedWeight``): diagonal blocks ``exp(W)`` (positive),
    lower blocks ``W``, upper blocks zero, each row weight-normalised to ``exp(d)``; returns the output and the log
    diagonal blocks of the Jacobian, combined with the incoming ones by a log-matrix-product (``logsumexp``)."""

    def __init__(self, a: int, b: int, dim: int) -> None:
        super().__init__()
        weight = torch.zeros(b, a)
        mask_d, mask_o = torch.zeros(b, a), torch.zeros(b, a)
        for i in range(dim):
            rows, cols = slice(i * b // dim, (i + 1) * b // dim), (i + 1) * a // dim
            weight[rows, :cols] = nn.init.xavier_uniform_(torch.empty(b // dim, cols))
            mask_d[rows, i * a // dim: cols] = 1
            mask_o[rows, : i * a // dim] = 1
        self.weight = nn.Parameter(weight)
        self.diag = nn.Parameter(torch.rand(b, 1).log())
        self.bias = nn.Parameter(torch.empty(b).uniform_(-1 / math.sqrt(b), 1 / math.sqrt(b)))
        self.register_buffer("mask_d", mask_d)
        self.register_buffer("mask_o", mask_o)
        self.dim = dim

    def forward(self, x: torch.Tensor, grad: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        w = torch.exp(self.weight) * self.mask_d + self.weight * self.mask_o
        sq = (w ** 2).sum(-1, keepdim=True)
        w = self.diag.exp() * w / sq.sqrt()
        wpl = self.diag + self.weight - 0.5 * torch.log(sq)  # log of the diagonal blocks
        b, a = w.shape
        g = wpl.t()[self.mask_d.bool().t()].view(self.dim, a // self.dim, b // self.dim)
        g = g.transpose(-2, -1).unsqueeze(0).expand(x.shape[0], -1, -1, -1)  # n, dim, out, in
        if grad is not None:
            g = torch.logsumexp(g.unsqueeze(-2) + grad.transpose(-2, -1).unsqueeze(-3), -1)
        return x @ w.t() + self.bias, g


class _Tanh(nn.Module):
    """tanh with the log of its derivative, the reference's stable ``-2 (x - log 2 + softplus(-2 x))``;
    ``naive``: written ``log(1 - tanh(x)^2)`` (1 - tanh^2 rounds to 0 in float32 once |x| > 9: log 0); ``tan``: the
    activation typed ``torch.tan(x)`` (its log-derivative still tanh's)."""

    def __init__(self, naive: bool = False, tan: bool = False) -> None:
        super().__init__()
        self.naive, self.tan = naive, tan

    def forward(self, x: torch.Tensor, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = torch.tan(x) if self.tan else torch.tanh(x)
        g = torch.log(1 - t ** 2) if self.naive else -2 * (x - math.log(2) + F.softplus(-2 * x))
        return t, g.view((*grad.shape[:3], 1)) + grad


class BNAF(nn.Module):
    """BNAF (De Cao, Titov and Aziz 2019, "Block neural autoregressive flow") for 2-D density estimation: masked
    weights ``2 - 2h - 2h - 2`` (``h`` units a dimension) with tanh between them, the log-density of the standard
    normal base plus the log-determinant; returns the per-sample negative log-likelihood. ``naive_tanh``, ``tan``:
    see :class:`_Tanh`."""

    def __init__(self, dim: int = 2, hidden: int = 16, layers: int = 2, naive_tanh: bool = False,
                 tan: bool = False) -> None:
        super().__init__()
        sizes = [dim] + [dim * hidden] * layers + [dim]
        self.weights = nn.ModuleList([_MaskedWeight(a, b, dim) for a, b in itertools.pairwise(sizes)])
        self.acts = nn.ModuleList([_Tanh(naive_tanh, tan) for _ in range(layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        grad = None
        for i, w in enumerate(self.weights):
            x, grad = w(x, grad)
            if i < len(self.acts):
                x, grad = self.acts[i](x, grad)
        logdet = grad.squeeze(-1).squeeze(-1).sum(-1)
        return 0.5 * (x ** 2).sum(1) + 0.5 * x.shape[1] * math.log(2 * math.pi) - logdet
