"""Hand-written models of the fifty-first held-out batch (``fresh50.py``), the time-series, audio and scientific ones:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The graph, tabular and recommender models are in ``fresh50_models.py``."""

from __future__ import annotations

import math

import torch
from torch import nn

# ---- T-LSTM ----------------------------------------------------------------------------------------------------------


class TLSTM(nn.Module):
    """The time-aware LSTM (Baytas et al. 2017): before each update the cell's short-term part ``C^S = tanh(W_d C +
    b_d)`` is discounted by the elapsed time, ``g(dt) = 1 / log(e + dt)``, and the long-term rest ``C - C^S`` kept;
    then the LSTM gates on ``[x_t, h_{t-1}]``; 32 units, the final state classified by a Linear. PyTorch's default
    init for the Linears. ``recurrent_std``: the gates' recurrent weights (on ``h_{t-1}``) drawn N(0, std^2);
    ``decay="inverse"``: the paper's other discount, ``g(dt) = 1 / dt`` (meant for small elapsed times), where a
    same-day visit is ``1 / 0``."""

    def __init__(self, d_in: int, classes: int, hidden: int = 32, recurrent_std: float | None = None,
                 decay: str = "log") -> None:
        super().__init__()
        self.hidden, self.decay = hidden, decay
        self.gates = nn.Linear(d_in + hidden, 4 * hidden)
        self.decomp = nn.Linear(hidden, hidden)
        self.head = nn.Linear(hidden, classes)
        if recurrent_std is not None:
            with torch.no_grad():
                self.gates.weight[:, d_in:].normal_(0.0, recurrent_std)

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:  # x: b, T, d ; dt: b, T
        x, dt = inp
        h = c = x.new_zeros(x.shape[0], self.hidden)
        for t in range(x.shape[1]):
            cs = torch.tanh(self.decomp(c))
            g = 1 / torch.log(math.e + dt[:, t, None]) if self.decay == "log" else 1 / dt[:, t, None]
            c = c - cs + cs * g
            f, i, o, g = self.gates(torch.cat([x[:, t], h], 1)).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return self.head(h)


# ---- Wave-U-Net ------------------------------------------------------------------------------------------------------


class WaveUNet(nn.Module):
    """Wave-U-Net (Stoller, Ewert and Dixon 2018), narrowed: 4 downsampling blocks (1-D convolutions of kernel 15 to
    16, 32, 48, 64 channels, LeakyReLU 0.2, decimation by 2), a bottleneck convolution of 80, 4 upsampling blocks
    (linear interpolation by 2, the skip concatenated, convolutions of kernel 5, LeakyReLU 0.2), the mixture
    concatenated, and a 1x1 convolution with tanh to the first source; the second is the mixture minus the first (the
    paper's difference output layer). "Same" padding instead of the paper's valid convolutions. ``init_std``: every
    convolution's weight drawn N(0, std^2)."""

    def __init__(self, levels: int = 4, fc: int = 16, init_std: float | None = None) -> None:
        super().__init__()
        self.down = nn.ModuleList([nn.Conv1d(1 if i == 0 else fc * i, fc * (i + 1), 15, padding=7)
                                   for i in range(levels)])
        self.mid = nn.Conv1d(fc * levels, fc * (levels + 1), 15, padding=7)
        self.up = nn.ModuleList([nn.Conv1d(fc * (i + 2) + fc * (i + 1), fc * (i + 1), 5, padding=2)
                                 for i in reversed(range(levels))])
        self.out = nn.Conv1d(fc + 1, 1, 1)
        self.act = nn.LeakyReLU(0.2)
        if init_std is not None:
            with torch.no_grad():
                for m in self.modules():
                    if isinstance(m, nn.Conv1d):
                        m.weight.normal_(0.0, init_std)

    def forward(self, mix: torch.Tensor) -> torch.Tensor:  # mix: b, samples -> b, 2, samples
        x, skips = mix[:, None], []
        for conv in self.down:
            x = self.act(conv(x))
            skips.append(x)
            x = x[:, :, ::2]
        x = self.act(self.mid(x))
        for conv in self.up:
            x = nn.functional.interpolate(x, scale_factor=2, mode="linear", align_corners=True)
            x = self.act(conv(torch.cat([x, skips.pop()], 1)))
        first = torch.tanh(self.out(torch.cat([x, mix[:, None]], 1)))[:, 0]
        return torch.stack([first, mix - first], 1)


# ---- F-FNO -----------------------------------------------------------------------------------------------------------


class _FeedForward(nn.Module):
    """F-FNO's feed-forward: Linear ``d -> f d``, the activation, Linear ``f d -> d`` (no LayerNorm). ``act``: the
    activation module; the block keeps it only when it is a module (``None``: a linear block) -- a class passed for
    an instance becomes the identity."""

    def __init__(self, d: int, factor: int, act: object) -> None:
        super().__init__()
        self.l1, self.l2 = nn.Linear(d, factor * d), nn.Linear(factor * d, d)
        self.act = act if isinstance(act, nn.Module) else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2(self.act(self.l1(x)))


class _FactorizedFourier(nn.Module):
    """F-FNO's factorized spectral convolution in 2-D: along each axis separately, an rFFT, the lowest ``modes``
    coefficients mixed by a complex ``(in, out, modes)`` weight (Xavier-normal, as the reference code), the inverse;
    the two summed."""

    def __init__(self, d: int, modes: int) -> None:
        super().__init__()
        self.modes = modes
        self.w = nn.ParameterList([nn.Parameter(nn.init.xavier_normal_(torch.empty(d, d, modes, 2))) for _ in range(2)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, d, h, w
        out = torch.zeros_like(x)
        for axis, w in zip((-1, -2), self.w):
            ft = torch.fft.rfft(x, dim=axis, norm="ortho")
            ft = ft.movedim(axis, -1)[..., : self.modes]
            mixed = torch.einsum("bihm,iom->bohm", ft, torch.view_as_complex(w))
            full = torch.zeros(*mixed.shape[:-1], x.shape[axis] // 2 + 1, dtype=mixed.dtype)
            full[..., : self.modes] = mixed
            out = out + torch.fft.irfft(full, n=x.shape[axis], dim=-1, norm="ortho").movedim(-1, axis)
        return out


class FFNO(nn.Module):
    """The factorized Fourier neural operator (Tran et al. 2023), narrowed: the input field and its grid lifted to
    32 channels, four layers ``x + FF(K(x))`` (the factorized spectral convolution ``K`` of 6 modes per axis, the
    feed-forward of factor 2 with ReLU), and the two-Linear projection 32-128-1. ``act``: the
    feed-forward's activation (see :class:`_FeedForward`)."""

    def __init__(self, width: int = 32, layers: int = 4, modes: int = 6, factor: int = 2,
                 act: object = None) -> None:
        super().__init__()
        act = nn.ReLU() if act is None else act
        self.lift = nn.Linear(3, width)
        self.spectral = nn.ModuleList([_FactorizedFourier(width, modes) for _ in range(layers)])
        self.ff = nn.ModuleList([_FeedForward(width, factor, act) for _ in range(layers)])
        self.project = nn.Sequential(nn.Linear(width, 128), nn.Linear(128, 1))

    def forward(self, a: torch.Tensor) -> torch.Tensor:  # a: b, h, w
        b, h, w = a.shape
        gy, gx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
        x = self.lift(torch.stack([a, gx.expand(b, h, w), gy.expand(b, h, w)], -1))  # b, h, w, d
        for spec, ff in zip(self.spectral, self.ff):
            x = x + ff(spec(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))
        return self.project(x).squeeze(-1)


# ---- SympNet ---------------------------------------------------------------------------------------------------------


class _Gradient(nn.Module):
    """A gradient module of a G-SympNet: ``p <- p + K diag(a) sigma(K^T q + b)`` ("up") or the same on ``q`` from
    ``p`` ("low"), ``K``, ``a`` ~ 0.01 N(0, 1), ``b`` zero, as the reference code."""

    def __init__(self, d: int, width: int, up: bool, init_std: float = 0.01) -> None:
        super().__init__()
        self.up = up
        self.k = nn.Parameter(init_std * torch.randn(d, width))
        self.a = nn.Parameter(init_std * torch.randn(width))
        self.b = nn.Parameter(torch.zeros(width))

    def forward(self, p: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.up:
            return p + (torch.sigmoid(q @ self.k + self.b) * self.a) @ self.k.t(), q
        return p, q + (torch.sigmoid(p @ self.k + self.b) * self.a) @ self.k.t()


class SympNet(nn.Module):
    """The G-SympNet (Jin et al. 2020): gradient modules alternating up and low (a symplectic map by construction)
    on ``x = (p, q)``, sigmoid activations. ``init_std``: the std of ``K`` and ``a``."""

    def __init__(self, d: int = 1, layers: int = 6, width: int = 30, init_std: float = 0.01) -> None:
        super().__init__()
        self.d = d
        self.mods = nn.ModuleList([_Gradient(d, width, i % 2 == 0, init_std) for i in range(layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p, q = x[..., : self.d], x[..., self.d:]
        for m in self.mods:
            p, q = m(p, q)
        return torch.cat([p, q], -1)
