"""Hand-written models of the forty-seventh held-out batch (``fresh46.py``), sequence, ranking and multi-task ones:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The survival, anomaly-detection and self-supervised vision models are in
``fresh46_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- S5 --------------------------------------------------------------------------------------------------------------


def hippo_n(p: int) -> torch.Tensor:
    """The eigenvalues of HiPPO-N, the normal part of the HiPPO-LegS matrix (S5's initialisation): ``-1/2 + i w``,
    the half with ``w >= 0`` (their conjugates are implied)."""
    n = torch.arange(p, dtype=torch.float64)
    q = torch.sqrt(2 * n + 1)
    a = -torch.tril(q[:, None] * q[None], -1) - torch.diag(n + 1)
    s = a + 0.5 * q[:, None] * q[None]  # A + P P^T with P_n = sqrt(n + 1/2): -1/2 I plus a skew-symmetric matrix
    lam = torch.linalg.eigvals(s)
    lam = lam[lam.imag >= 0]
    return lam[torch.argsort(lam.imag)][: p // 2].to(torch.complex64)


class _S5Layer(nn.Module):
    """S5's layer (Smith et al. 2023): a MIMO diagonal state space ``x_k = Lb x_{k-1} + Bb u_k``, ``y_k = 2 Re(C x_k) +
    D u_k`` over P/2 complex states (conjugate symmetry), ZOH-discretised with one learnable timescale per state
    (log-uniform in [dt_min, dt_max]); pre-LayerNorm, GELU, dropout, residual. ``dt_scale``: the timescales times
    that factor."""

    def __init__(self, h: int, p: int, drop: float, dt_min: float = 1e-3, dt_max: float = 1e-1,
                 dt_scale: float = 1.0) -> None:
        super().__init__()
        lam = hippo_n(p)
        self.lam_re, self.lam_im = nn.Parameter(lam.real.clone()), nn.Parameter(lam.imag.clone())
        ps = lam.shape[0]
        self.b = nn.Parameter(torch.randn(ps, h, 2) * math.sqrt(0.5 / h))  # complex, lecun-normal-like
        self.c = nn.Parameter(torch.randn(h, ps, 2) * math.sqrt(0.5 / ps))
        self.d = nn.Parameter(torch.randn(h))
        u = torch.rand(ps)
        self.log_dt = nn.Parameter(math.log(dt_min) + u * (math.log(dt_max) - math.log(dt_min))
                                   + math.log(dt_scale))
        self.norm, self.drop = nn.LayerNorm(h), nn.Dropout(drop)

    def forward(self, u: torch.Tensor) -> torch.Tensor:  # u: b, L, h
        v = self.norm(u)
        lam = torch.complex(self.lam_re, self.lam_im)
        dt = self.log_dt.exp()
        lb = torch.exp(lam * dt)
        bb = ((lb - 1) / lam)[:, None] * torch.view_as_complex(self.b)
        bu = v.to(torch.complex64) @ bb.T  # b, L, P/2
        x = torch.zeros(u.shape[0], lb.shape[0], dtype=torch.complex64)
        xs = []
        for k in range(u.shape[1]):
            x = lb * x + bu[:, k]
            xs.append(x)
        y = 2 * (torch.stack(xs, 1) @ torch.view_as_complex(self.c).T).real + self.d * v
        return u + self.drop(F.gelu(y))


class S5(nn.Module):
    """S5 (Smith, Warrington and Linderman 2023, "Simplified state space layers for sequence modeling"), narrowed:
    token embeddings of 64, two S5 layers of 32 states (16 conjugate pairs), dropout 0.1, the last step's output to a
    linear classifier (the reference code's ``mode="last"``). ``dt_scale``: see :class:`_S5Layer`."""

    def __init__(self, vocab: int = 32, h: int = 64, p: int = 32, layers: int = 2, classes: int = 4,
                 drop: float = 0.1, dt_scale: float = 1.0) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, h)
        self.layers = nn.ModuleList([_S5Layer(h, p, drop, dt_scale=dt_scale) for _ in range(layers)])
        self.norm, self.out = nn.LayerNorm(h), nn.Linear(h, classes)

    def ssm_parameters(self) -> list[nn.Parameter]:
        return [p for lay in self.layers for p in (lay.lam_re, lay.lam_im, lay.b, lay.log_dt)]

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        x = self.emb(s)
        for layer in self.layers:
            x = layer(x)
        return self.out(self.norm(x[:, -1]))


# ---- H3 --------------------------------------------------------------------------------------------------------------


class _H3Layer(nn.Module):
    """H3's layer (Fu et al. 2023): ``Q``, ``K``, ``V`` projections; ``K`` through the shift SSM (a learned causal
    kernel over the last 4 steps), ``K * V`` through a diagonal SSM (S4D-Lin: ``-1/2 + i pi n``, 16 states, the
    timescales log-uniform in [1e-3, 1e-1]; its kernel applied by FFT) plus a skip ``D``, the product with ``Q``,
    the output projection; pre-LayerNorm and residual, then a GELU MLP of 4x with its own."""

    def __init__(self, d: int, n: int = 16, shift: int = 4) -> None:
        super().__init__()
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.shift_kernel = nn.Parameter(torch.randn(d, shift) / math.sqrt(shift))
        self.log_dt = nn.Parameter(math.log(1e-3) + torch.rand(d) * (math.log(1e-1) - math.log(1e-3)))
        self.lam_re = nn.Parameter(torch.full((d, n // 2), -0.5))
        self.lam_im = nn.Parameter(math.pi * torch.arange(n // 2).float().expand(d, -1).clone())
        self.c = nn.Parameter(torch.randn(d, n // 2, 2) * math.sqrt(0.5))
        self.skip = nn.Parameter(torch.randn(d))
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def ssm_parameters(self) -> list[nn.Parameter]:
        return [self.shift_kernel, self.log_dt, self.lam_re, self.lam_im, self.c]

    def _diag_kernel(self, length: int) -> torch.Tensor:  # d, L
        lam = torch.complex(self.lam_re, self.lam_im)
        dt = self.log_dt.exp()[:, None]
        c = torch.view_as_complex(self.c) * (torch.exp(lam * dt) - 1) / lam  # ZOH, B = 1
        powers = torch.exp(lam[..., None] * dt[..., None] * torch.arange(length))  # d, n/2, L
        return 2 * (c[..., None] * powers).sum(1).real

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # b, L, d
        length, d = x.shape[1:]
        q, k, v = self.qkv(self.ln1(x)).chunk(3, -1)
        k = F.conv1d(F.pad(k.transpose(1, 2), (self.shift_kernel.shape[1] - 1, 0)),
                     self.shift_kernel.flip(-1)[:, None], groups=d)  # causal shift-SSM: b, d, L
        kv = k * v.transpose(1, 2)
        kern = self._diag_kernel(length)
        n = 2 * length
        y = torch.fft.irfft(torch.fft.rfft(kv, n) * torch.fft.rfft(kern, n), n)[..., :length]
        y = (y + self.skip[:, None] * kv).transpose(1, 2)
        x = x + self.proj(q * y)
        return x + self.mlp(self.ln2(x))


class H3(nn.Module):
    """H3 (Fu et al. 2023, "Hungry hungry hippos: towards language modeling with state space models"), narrowed: an
    LM of two H3 layers of width 64 (no attention layers), token and output embeddings tied, final LayerNorm;
    Linears and embeddings N(0, 0.02^2) (the GPT-2-style init of the reference code). ``init_std``: that std
    instead."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, init_std: float = 0.02) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList([_H3Layer(d) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, init_std)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def ssm_parameters(self) -> list[nn.Parameter]:
        return [p for lay in self.layers for p in lay.ssm_parameters()]

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        x = self.emb(s)
        for layer in self.layers:
            x = layer(x)
        return self.norm(x) @ self.emb.weight.T


# ---- KNRM ------------------------------------------------------------------------------------------------------------


class KNRM(nn.Module):
    """K-NRM (Xiong et al. 2017, "End-to-end neural ad-hoc ranking with kernel pooling"): word embeddings of 32
    (learned), the translation matrix of cosine similarities between query and document words, 11 RBF kernels
    (``mu = 1`` with ``sigma = 1e-3`` for exact matches, ``mu = 0.9, 0.7, ..., -0.9`` with ``sigma = 0.1``), each
    kernel's soft-TF summed over the document, its log (clamped at 1e-10 and times 0.01, as the reference code) summed
    over the query, and ``tanh(w . phi + b)``. ``log_clamp``: False leaves the clamp out (a query word whose
    exact-match kernel finds nothing gives ``log 0``). Its input is one ``(b, 4 + 16 + 16)`` tensor: the query, a
    relevant and an irrelevant document; it returns both documents' scores ``(b, 2)``."""

    def __init__(self, vocab: int = 128, d: int = 32, query: int = 4, log_clamp: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.register_buffer("mu", torch.tensor([1.0] + [0.9 - 0.2 * i for i in range(10)]))
        self.register_buffer("sigma", torch.tensor([1e-3] + [0.1] * 10))
        self.out = nn.Linear(11, 1)
        self.query, self.log_clamp = query, log_clamp

    def score(self, q: torch.Tensor, doc: torch.Tensor) -> torch.Tensor:
        eq, ed = F.normalize(self.emb(q), dim=-1), F.normalize(self.emb(doc), dim=-1)
        m = eq @ ed.transpose(1, 2)  # b, lq, ld
        k = torch.exp(-((m[..., None] - self.mu) ** 2) / (2 * self.sigma ** 2)).sum(2)  # b, lq, 11
        logk = torch.log(k.clamp(min=1e-10) if self.log_clamp else k) * 0.01
        return torch.tanh(self.out(logk.sum(1))).squeeze(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, docs = x[:, : self.query], x[:, self.query:]
        pos, neg = docs.chunk(2, 1)
        return torch.stack([self.score(q, pos), self.score(q, neg)], 1)


# ---- Cross-stitch network --------------------------------------------------------------------------------------------


class _Stitch(nn.Module):
    """A cross-stitch unit: per channel, ``[x_A; x_B] <- [[a_AA, a_AB], [a_BA, a_BB]] [x_A; x_B]``, initialised at
    ``alpha_S = 0.9`` (same task) and ``alpha_D = 0.1`` (the other)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor([[0.9, 0.1], [0.1, 0.9]])[..., None].repeat(1, 1, c))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        shape = (1, -1) + (1,) * (a.dim() - 2)
        al = self.alpha
        return (al[0, 0].view(shape) * a + al[0, 1].view(shape) * b,
                al[1, 0].view(shape) * a + al[1, 1].view(shape) * b)


class CrossStitch(nn.Module):
    """Cross-stitch networks (Misra et al. 2016, "Cross-stitch networks for multi-task learning"), narrowed: two
    AlexNet-style columns (convolutions 3x3 of 16 and 32 channels with ReLU and max-pooling, a ReLU fc of 64, a task
    head), cross-stitch units after each pooling and after the fc; PyTorch's default init. Returns both tasks'
    logits. ``relu_bias``: the fc layers' biases set to that value (every fc unit dead at -10)."""

    def __init__(self, classes: tuple[int, int] = (5, 4), relu_bias: float | None = None) -> None:
        super().__init__()

        def column(k: int) -> nn.ModuleDict:
            return nn.ModuleDict({"c1": nn.Conv2d(3, 16, 3, padding=1), "c2": nn.Conv2d(16, 32, 3, padding=1),
                                  "fc": nn.Linear(32 * 4 * 4, 64), "head": nn.Linear(64, k)})
        self.a, self.b = column(classes[0]), column(classes[1])
        self.s1, self.s2, self.s3 = _Stitch(16), _Stitch(32), _Stitch(64)
        if relu_bias is not None:
            for col in (self.a, self.b):
                nn.init.constant_(col["fc"].bias, relu_bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = (F.max_pool2d(F.relu(col["c1"](x)), 2) for col in (self.a, self.b))
        a, b = self.s1(a, b)
        a, b = F.max_pool2d(F.relu(self.a["c2"](a)), 2), F.max_pool2d(F.relu(self.b["c2"](b)), 2)
        a, b = self.s2(a, b)
        a, b = F.relu(self.a["fc"](a.flatten(1))), F.relu(self.b["fc"](b.flatten(1)))
        a, b = self.s3(a, b)
        return self.a["head"](a), self.b["head"](b)
