"""Hand-written models of the seventy-second held-out batch (``fresh71.py``), forecasting, system-identification,
state-estimation and tabular ones: small versions of published architectures new to the corpus, each with the switches
its broken variants need (one fault each, off by default). The vision models are in ``fresh71_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def revin(x: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """RevIN's normalisation (Kim et al. 2022, without its affine): each series of ``(b, length)`` standardised by its
    own mean and standard deviation, ``sqrt(var + eps)``; ``eps = 0`` is the bare standard deviation (``0 / 0`` on a
    flat series). Returns the normalised series, its means and stds (to undo it on the forecast)."""
    mu = x.mean(1, keepdim=True)
    sd = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + eps)
    return (x - mu) / sd, mu, sd


# ---- PatchMixer ------------------------------------------------------------------------------------------------------


class PatchMixer(nn.Module):
    """PatchMixer (Gong, Tang and Liang 2023, "PatchMixer: a patch-mixing architecture for long-term time series
    forecasting"), narrowed: RevIN, the 96-step window cut into patches of 16 with stride 8 (the end padded by
    repetition: 12 patches), each patch embedded to 64, two PatchMixer layers (a depthwise convolution of kernel 8
    along the patches with GELU and BatchNorm in a residual, then a 1x1 convolution across the patches with GELU and
    BatchNorm), and the dual head: a linear head on the flattened patches plus an MLP head (GELU), summed; the
    reference code's PyTorch default init and dropout 0.2 on the patch embeddings."""

    def __init__(self, length: int = 96, horizon: int = 24, patch: int = 16, stride: int = 8, d: int = 64,
                 layers: int = 2, drop: float = 0.2) -> None:
        super().__init__()
        self.patch, self.stride = patch, stride
        n = (length - patch) // stride + 2
        self.embed = nn.Linear(patch, d)
        self.drop = nn.Dropout(drop)
        self.mix = nn.ModuleList([nn.ModuleDict({
            "dw": nn.Sequential(nn.Conv1d(n, n, 8, groups=n, padding="same"), nn.GELU(), nn.BatchNorm1d(n)),
            "pw": nn.Sequential(nn.Conv1d(n, n, 1), nn.GELU(), nn.BatchNorm1d(n))}) for _ in range(layers)])
        self.head_linear = nn.Linear(n * d, horizon)
        self.head_mlp = nn.Sequential(nn.Linear(n * d, 2 * horizon), nn.GELU(), nn.Linear(2 * horizon, horizon))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z, mu, sd = revin(x)
        z = torch.cat([z, z[:, -1:].expand(-1, self.stride)], 1).unfold(1, self.patch, self.stride)
        h = self.drop(self.embed(z))
        for m in self.mix:
            h = m["pw"](h + m["dw"](h))
        h = h.flatten(1)
        return (self.head_linear(h) + self.head_mlp(h)) * sd + mu


# ---- FilterNet (PaiFilter) -------------------------------------------------------------------------------------------


class PaiFilter(nn.Module):
    """FilterNet's plain shaping filter, PaiFilter (Yi et al. 2024, "FilterNet: harnessing frequency filters for time
    series forecasting"): RevIN, an rFFT along the window, a learnable complex filter (the reference code's ``0.02 *
    randn``), the inverse FFT, then the feed-forward ``Linear(96, 256)``, LeakyReLU, ``Linear(256, 24)``, RevIN undone;
    PyTorch's default init. ``eps``: RevIN's; ``hidden_layers``: the feed-forward's ``Linear(256, 256)`` + LeakyReLU
    layers (0: the reference's one hidden layer); ``denorm``: RevIN undone on the forecast (False: the forecast left in
    the normalised scale while the targets are raw)."""

    def __init__(self, length: int = 96, horizon: int = 24, hidden: int = 256, eps: float = 1e-5,
                 hidden_layers: int = 0, denorm: bool = True) -> None:
        super().__init__()
        self.eps, self.denorm = eps, denorm
        self.filter = nn.Parameter(0.02 * torch.randn(length // 2 + 1, 2))
        layers: list[nn.Module] = [nn.Linear(length, hidden), nn.LeakyReLU()]
        for _ in range(hidden_layers):
            layers += [nn.Linear(hidden, hidden), nn.LeakyReLU()]
        self.ff, self.out = nn.Sequential(*layers), nn.Linear(hidden, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z, mu, sd = revin(x, self.eps)
        z = torch.fft.irfft(torch.fft.rfft(z, dim=1, norm="ortho") * torch.view_as_complex(self.filter), n=x.shape[1],
                            dim=1, norm="ortho")
        out = self.out(self.ff(z))
        return out * sd + mu if self.denorm else out


# ---- dynoNet ---------------------------------------------------------------------------------------------------------


class LinearDynamical(nn.Module):
    """dynoNet's MIMO linear dynamical operator: each input-output pair an IIR filter ``y_t = sum_k b_k u_{t-k} -
    sum_k a_k y_{t-k}`` (``n_b`` numerator, ``n_a`` denominator coefficients), run by its recursion (autograd through
    the loop rather than the paper's closed-form backward); the reference code's init, every coefficient uniform in
    ``[-0.01, 0.01]``. ``a_init``: the denominators set to those coefficients instead."""

    def __init__(self, cin: int, cout: int, n_b: int = 3, n_a: int = 3, a_init: tuple[float, ...] | None = None
                 ) -> None:
        super().__init__()
        self.b = nn.Parameter((torch.rand(cout, cin, n_b) - 0.5) * 0.02)
        self.a = nn.Parameter((torch.rand(cout, cin, n_a) - 0.5) * 0.02)
        if a_init is not None:
            with torch.no_grad():
                self.a[:] = torch.tensor(a_init)

    def forward(self, u: torch.Tensor) -> torch.Tensor:  # (b, T, cin) -> (b, T, cout)
        n_b, n_a = self.b.shape[-1], self.a.shape[-1]
        up = F.pad(u, (0, 0, n_b - 1, 0))
        x = torch.stack([up[:, k:k + u.shape[1]] for k in range(n_b)][::-1], -1)  # u_{t-k}: (b, T, cin, n_b)
        fir = torch.einsum("btik,oik->btoi", x, self.b)
        ys: list[torch.Tensor] = []
        zero = u.new_zeros(u.shape[0], self.b.shape[0], self.b.shape[1])
        for t in range(u.shape[1]):
            past = torch.stack([ys[t - 1 - k] if t - 1 - k >= 0 else zero for k in range(n_a)], -1)
            ys.append(fir[:, t] - (past * self.a).sum(-1))
        return torch.stack(ys, 1).sum(-1)


class DynoNet(nn.Module):
    """dynoNet (Forgione and Piga 2021, "dynoNet: a neural network architecture for learning dynamical systems") in
    the reference code's Wiener-Hammerstein layout: ``G1`` (1 -> 8 channels, ``n_b = n_a = 3``), the static
    nonlinearity (each channel's 8 values through a Linear of 16, tanh, a Linear back to 8; PyTorch's default init),
    ``G2`` (8 -> 1). ``a_init``: ``G1``'s denominators (see :class:`LinearDynamical`); ``tanh_bias``: the static
    layer's hidden biases set to that value (every tanh saturated when it is large)."""

    def __init__(self, channels: int = 8, hidden: int = 16, a_init: tuple[float, ...] | None = None,
                 tanh_bias: float | None = None) -> None:
        super().__init__()
        self.g1 = LinearDynamical(1, channels, a_init=a_init)
        self.f = nn.Sequential(nn.Linear(channels, hidden), nn.Tanh(), nn.Linear(hidden, channels))
        if tanh_bias is not None:
            nn.init.constant_(self.f[0].bias, tanh_bias)
        self.g2 = LinearDynamical(channels, 1)

    def forward(self, u: torch.Tensor) -> torch.Tensor:  # (b, T) -> (b, T)
        return self.g2(self.f(self.g1(u[..., None])))[..., 0]


# ---- KalmanNet -------------------------------------------------------------------------------------------------------


class KalmanNet(nn.Module):
    """KalmanNet (Revach et al. 2022, "KalmanNet: neural network aided Kalman filtering for partially known
    dynamics"), its first architecture narrowed: the known linear model ``F``, ``H`` predicts; the observation
    difference and the innovation, and the forward-update and forward-evolution differences, each L2-normalised
    (``F.normalize``, as the reference code), go through a Linear of 64 with ReLU, a GRU cell of 64 (the gain's
    memory) and a Linear to the ``m x n`` Kalman gain; the posterior is ``x_prior + K (y - H x_prior)``. PyTorch's
    default init; the state estimate starts at 0."""

    def __init__(self, fm: torch.Tensor, hm: torch.Tensor, hidden: int = 64) -> None:
        super().__init__()
        self.norm = lambda v: F.normalize(v, dim=1)
        self.register_buffer("fm", fm)
        self.register_buffer("hm", hm)
        self.m, self.n = fm.shape[0], hm.shape[0]
        self.inp = nn.Linear(2 * self.n + 2 * self.m, hidden)
        self.gru = nn.GRUCell(hidden, hidden)
        self.gain = nn.Linear(hidden, self.m * self.n)

    def forward(self, y: torch.Tensor) -> torch.Tensor:  # (b, T, n) -> state estimates (b, T, m)
        b = y.shape[0]
        x = y.new_zeros(b, self.m)
        x_prev_post, x_prev_prior, y_prev = x, x, y.new_zeros(b, self.n)
        h = y.new_zeros(b, self.gru.hidden_size)
        out = []
        for t in range(y.shape[1]):
            prior = x @ self.fm.T
            innov = y[:, t] - prior @ self.hm.T
            feats = torch.cat([self.norm(y[:, t] - y_prev), self.norm(innov), self.norm(x - x_prev_prior),
                               self.norm(x - x_prev_post)], 1)
            h = self.gru(F.relu(self.inp(feats)), h)
            k = self.gain(h).view(b, self.m, self.n)
            x_prev_post, x_prev_prior, y_prev = x, prior, y[:, t]
            x = prior + (k @ innov[..., None])[..., 0]
            out.append(x)
        return torch.stack(out, 1)


# ---- ExcelFormer -----------------------------------------------------------------------------------------------------


class _GLU(nn.Module):
    """ExcelFormer's gated unit ``tanh(x W1 + b1) * (x W2 + b2)`` (its embedding layer and its AiuM feed-forward)."""

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.w = nn.Linear(d_in, 2 * d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, g = self.w(x).chunk(2, -1)
        return torch.tanh(a) * g


class ExcelFormer(nn.Module):
    """ExcelFormer (Chen et al. 2023, "ExcelFormer: a neural network surpassing GBDTs on tabular data"), narrowed:
    the features ranked by their mutual information with the label (here the teacher's known order), each feature's
    value embedded to 32 by its own gated unit, two layers of pre-LayerNorm semi-permeable attention (4 heads; feature
    ``i`` attends to itself and the more informative features only) and the gated AiuM feed-forward, each residual;
    then a Linear across the features down to the classes' count, PReLU, LayerNorm and a Linear to the logits.
    PyTorch's default init but the embeddings' ``kaiming_uniform`` as the reference code. ``init_std``: every Linear
    and embedding weight drawn N(0, init_std^2) instead."""

    def __init__(self, features: int = 16, classes: int = 4, d: int = 32, layers: int = 2, heads: int = 4,
                 init_std: float | None = None) -> None:
        super().__init__()
        self.emb_w = nn.Parameter(torch.empty(features, 2 * d))
        self.emb_b = nn.Parameter(torch.zeros(features, 2 * d))
        nn.init.kaiming_uniform_(self.emb_w, a=5 ** 0.5)
        self.heads = heads
        self.ln1 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.ln2 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.qkv = nn.ModuleList([nn.Linear(d, 3 * d) for _ in range(layers)])
        self.proj = nn.ModuleList([nn.Linear(d, d) for _ in range(layers)])
        self.ffn = nn.ModuleList([_GLU(d, d) for _ in range(layers)])
        self.register_buffer("mask", torch.ones(features, features).tril().bool())  # i sees j <= i (j more informative)
        self.reduce, self.act = nn.Linear(features, classes), nn.PReLU()
        self.ln_out, self.head = nn.LayerNorm(d), nn.Linear(d, 1)
        if init_std is not None:
            with torch.no_grad():
                for p in [self.emb_w, *(m.weight for m in self.modules() if isinstance(m, nn.Linear))]:
                    p.normal_(0.0, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, features) -> (b, classes)
        a, g = (x[..., None] * self.emb_w + self.emb_b).chunk(2, -1)
        h = torch.tanh(a) * g
        b, f, d = h.shape
        for ln1, ln2, qkv, proj, ffn in zip(self.ln1, self.ln2, self.qkv, self.proj, self.ffn, strict=True):
            q, k, v = qkv(ln1(h)).view(b, f, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
            att = (q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5).masked_fill(~self.mask, float("-inf"))
            h = h + proj((att.softmax(-1) @ v).transpose(1, 2).reshape(b, f, d))
            h = h + ffn(ln2(h))
        z = self.ln_out(self.act(self.reduce(h.transpose(1, 2)).transpose(1, 2)))
        return self.head(z)[..., 0]
