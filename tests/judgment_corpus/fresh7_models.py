"""Hand-written models of the eighth held-out batch (``fresh7.py``), written here, not copied (their data:
``fresh7_data.py``)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

# ---- images: Wide ResNet ---------------------------------------------------------------------------------------------


class WideBlock(nn.Module):
    """A pre-activation wide residual block (Zagoruyko & Komodakis 2016): BN-ReLU-conv3x3, BN-ReLU-conv3x3, plus the
    identity or a 1x1 projection."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(c_in), nn.BatchNorm2d(c_out)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.proj = None if (stride == 1 and c_in == c_out) else nn.Conv2d(c_in, c_out, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = F.relu(self.bn1(x))
        short = x if self.proj is None else self.proj(o)
        return short + self.conv2(F.relu(self.bn2(self.conv1(o))))


class WideResNet(nn.Module):
    """WRN-10-``k``: a 3x3 stem (16 channels), three groups of one wide block (16k, 32k, 64k channels, strides 1,
    2, 2), BN-ReLU, global average pooling, a linear classifier; convolutions He-initialised (fan_out), as the
    paper's code does."""

    def __init__(self, k: int = 2, classes: int = 10) -> None:
        super().__init__()
        widths = (16 * k, 32 * k, 64 * k)
        self.stem = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.blocks = nn.Sequential(WideBlock(16, widths[0], 1), WideBlock(widths[0], widths[1], 2),
                                    WideBlock(widths[1], widths[2], 2))
        self.bn = nn.BatchNorm2d(widths[2])
        self.fc = nn.Linear(widths[2], classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn(self.blocks(self.stem(x))))
        return self.fc(h.mean((2, 3)))


# ---- sets: Set Transformer -------------------------------------------------------------------------------------------


class MAB(nn.Module):
    """Multihead attention block (Lee et al. 2019): ``H = LN(Q + MHA(Q, K, K))``, ``out = LN(H + rFF(H))``."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.att = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        h = self.ln1(q + self.att(q, k, k, need_weights=False)[0])
        return self.ln2(h + self.ff(h))


class SetTransformer(nn.Module):
    """A Set Transformer classifier: a linear embedding, two SABs, PMA with one seed vector, a linear head."""

    def __init__(self, d_in: int = 8, dim: int = 64, heads: int = 4, classes: int = 4) -> None:
        super().__init__()
        self.embed = nn.Linear(d_in, dim)
        self.sab1, self.sab2, self.pma = MAB(dim, heads), MAB(dim, heads), MAB(dim, heads)
        self.seed = nn.Parameter(torch.empty(1, 1, dim))
        nn.init.xavier_uniform_(self.seed)
        self.pre_pool = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        h = self.sab1(h, h)
        h = self.sab2(h, h)
        z = F.relu(self.pre_pool(h))
        return self.head(self.pma(self.seed.expand(x.shape[0], -1, -1), z).squeeze(1))


# ---- tabular: TabTransformer -----------------------------------------------------------------------------------------


class TabTransformer(nn.Module):
    """TabTransformer (Huang et al. 2020): per-column categorical embeddings through a post-LN transformer encoder,
    flattened and concatenated with the layer-normalised continuous features, then an MLP (hidden 4l -> 2l scaled
    down) to the logits."""

    def __init__(self, cols: int = 6, cats: int = 8, conts: int = 4, dim: int = 32, classes: int = 2) -> None:
        super().__init__()
        self.cats = cats
        self.embed = nn.Embedding(cols * cats, dim)
        layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(conts)
        width = cols * dim + conts
        self.mlp = nn.Sequential(nn.Linear(width, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cat = x[:, :-self.norm.normalized_shape[0]].long()
        cont = x[:, -self.norm.normalized_shape[0]:]
        offsets = torch.arange(cat.shape[1], device=x.device) * self.cats
        h = self.encoder(self.embed(cat + offsets)).flatten(1)
        return self.mlp(torch.cat([h, self.norm(cont)], 1))


# ---- recommendation: NeuMF -------------------------------------------------------------------------------------------


class NeuMF(nn.Module):
    """Neural matrix factorisation (He et al. 2017): a GMF branch (element-wise product of user and item
    embeddings) and an MLP branch (32 -> 16 -> 8, ReLU) concatenated into one logit; embeddings N(0, 0.01), MLP
    Xavier, as the paper's code."""

    def __init__(self, users: int = 64, items: int = 128, factors: int = 8, emb_std: float | None = 0.01,
                 max_norm: float | None = None) -> None:
        super().__init__()
        def emb(n: int, d: int) -> nn.Embedding:
            return nn.Embedding(n, d, max_norm=max_norm)

        self.ug, self.ig, self.um, self.im = emb(users, factors), emb(items, factors), emb(users, 16), emb(items, 16)
        self.mlp = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU())
        self.out = nn.Linear(factors + 8, 1)
        if emb_std is not None:
            for e in (self.ug, self.ig, self.um, self.im):
                nn.init.normal_(e.weight, std=emb_std)
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.kaiming_uniform_(self.out.weight, a=1, nonlinearity="sigmoid")
        self.final: nn.Module = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u, i = x[:, 0], x[:, 1]
        gmf = self.ug(u) * self.ig(i)
        mlp = self.mlp(torch.cat([self.um(u), self.im(i)], 1))
        return self.final(self.out(torch.cat([gmf, mlp], 1)).squeeze(1))


# ---- generative images: PixelCNN -------------------------------------------------------------------------------------


class MaskedConv2d(nn.Conv2d):
    """A causally masked convolution (van den Oord et al. 2016): type ``"A"`` hides the centre pixel, ``"B"`` sees
    it."""

    def __init__(self, kind: str, c_in: int, c_out: int, k: int) -> None:
        super().__init__(c_in, c_out, k, padding=k // 2)
        mask = torch.ones_like(self.weight)
        mask[:, :, k // 2, k // 2 + (kind == "B"):] = 0
        mask[:, :, k // 2 + 1:] = 0
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask: torch.Tensor = self.mask  # type: ignore[assignment]
        return F.conv2d(x, self.weight * mask, self.bias, padding=self.padding)


class PixelBlock(nn.Module):
    """PixelCNN's residual block: ReLU-1x1 (halve), ReLU-masked 3x3 (type B), ReLU-1x1 (restore), plus x; ``act``:
    the activation module class."""

    def __init__(self, c: int, act: Callable[[], nn.Module] = nn.ReLU) -> None:
        super().__init__()
        self.body = nn.Sequential(act(), nn.Conv2d(c, c // 2, 1), act(), MaskedConv2d("B", c // 2, c // 2, 3),
                                  act(), nn.Conv2d(c // 2, c, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class PixelCNN(nn.Module):
    """A binary PixelCNN: a 7x7 type-A masked conv, ``blocks`` residual blocks, ReLU-1x1-ReLU-1x1 to one Bernoulli
    logit per pixel; ``plain``: instead of the residual blocks, ``plain`` masked 3x3 type-B convs with ReLU and no
    shortcut."""

    def __init__(self, c: int = 32, blocks: int = 4, plain: int = 0, act: Callable[[], nn.Module] = nn.ReLU) -> None:
        super().__init__()
        self.first = MaskedConv2d("A", 1, c, 7)
        body: list[nn.Module] = []
        if plain:
            for _ in range(plain):
                body += [nn.ReLU(), MaskedConv2d("B", c, c, 3)]
        else:
            body = [PixelBlock(c, act) for _ in range(blocks)]
        self.body = nn.Sequential(*body)
        self.out = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 1), nn.ReLU(), nn.Conv2d(c, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(self.first(x)))


# ---- function fitting: KAN -------------------------------------------------------------------------------------------


class KANLayer(nn.Module):
    """A Kolmogorov-Arnold layer (Liu et al. 2024): each edge is ``w_b silu(x) + sum_i c_i B_i(x)``, cubic B-splines
    on ``grid`` intervals over [-1, 1] (extended by ``order`` knots each side); keeps the mean absolute edge
    activation in ``reg`` (the paper's L1 regulariser)."""

    def __init__(self, d_in: int, d_out: int, grid: int = 5, order: int = 3) -> None:
        super().__init__()
        h = 2 / grid
        self.order = order
        self.register_buffer("knots", torch.arange(-order, grid + order + 1) * h - 1)
        self.base = nn.Parameter(torch.empty(d_out, d_in))
        nn.init.kaiming_uniform_(self.base, a=math.sqrt(5))
        self.coef = nn.Parameter(torch.randn(d_out, d_in, grid + order) * 0.1 / math.sqrt(d_in))
        self.reg = torch.zeros(())

    def bases(self, x: torch.Tensor) -> torch.Tensor:
        t: torch.Tensor = self.knots  # type: ignore[assignment]
        x = x[..., None]
        b = ((x >= t[:-1]) & (x < t[1:])).to(x.dtype)
        for k in range(1, self.order + 1):
            b = ((x - t[:-(k + 1)]) / (t[k:-1] - t[:-(k + 1)]) * b[..., :-1]
                 + (t[k + 1:] - x) / (t[k + 1:] - t[1:-k]) * b[..., 1:])
        return b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        edges = self.base[None] * F.silu(x)[:, None, :] + torch.einsum("bik,oik->boi", self.bases(x), self.coef)
        self.reg = edges.abs().mean(0).sum()
        return edges.sum(2)


class KAN(nn.Module):
    """A [d_in, hidden, 1] KAN regressor; returns ``(prediction, regulariser)``."""

    def __init__(self, d_in: int = 4, hidden: int = 8) -> None:
        super().__init__()
        self.layers = nn.ModuleList([KANLayer(d_in, hidden), KANLayer(hidden, 1)])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for layer in self.layers:
            x = layer(x)
        return x.squeeze(1), sum(layer.reg for layer in self.layers)  # type: ignore[return-value, misc]


# ---- sequences: S4D --------------------------------------------------------------------------------------------------


class S4DKernel(nn.Module):
    """A diagonal state-space convolution kernel, S4D-Real (Gu et al. 2022): ``A_n = -(n + 1)`` stored as
    ``log(-A)``, step ``dt`` log-uniform in [1e-3, 1e-1], zero-order-hold discretisation, ``K[l] = sum_n C_n
    B_n (exp(dt A_n) ^ l)``; ``sign_slip``: ``A = +exp(log_A)`` (the minus forgotten)."""

    def __init__(self, channels: int, state: int = 16, sign_slip: bool = False, first: int = 1) -> None:
        super().__init__()
        self.sign = 1.0 if sign_slip else -1.0
        self.log_dt = nn.Parameter(torch.rand(channels) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        n = torch.arange(first, first + state, dtype=torch.float)
        self.log_a = nn.Parameter(torch.log(n).repeat(channels, 1))
        self.c = nn.Parameter(torch.randn(channels, state) * math.sqrt(0.5))

    def forward(self, length: int) -> torch.Tensor:
        dt_a = torch.exp(self.log_dt)[:, None] * self.sign * torch.exp(self.log_a)
        b_bar = (torch.exp(dt_a) - 1) / (self.sign * torch.exp(self.log_a))
        powers = torch.exp(dt_a[..., None] * torch.arange(length, device=dt_a.device))
        return torch.einsum("hn,hnl->hl", self.c * b_bar, powers)


class S4DLayer(nn.Module):
    """An S4D layer as in its reference example: FFT convolution with the kernel plus ``D u``, GELU, a 1x1 conv to
    2H with GLU, the residual, then LayerNorm (post-norm)."""

    def __init__(self, channels: int, sign_slip: bool = False, first: int = 1) -> None:
        super().__init__()
        self.kernel = S4DKernel(channels, sign_slip=sign_slip, first=first)
        self.d = nn.Parameter(torch.randn(channels))
        self.mix = nn.Conv1d(channels, 2 * channels, 1)
        self.norm = nn.LayerNorm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = x.transpose(1, 2)  # (B, H, L)
        n = u.shape[-1]
        k = self.kernel(n)
        y = torch.fft.irfft(torch.fft.rfft(u, 2 * n) * torch.fft.rfft(k, 2 * n), 2 * n)[..., :n] + u * self.d[:, None]
        y = F.glu(self.mix(F.gelu(y)), dim=1)
        return self.norm((y + u).transpose(1, 2))


class S4DClassifier(nn.Module):
    """Token embedding, two S4D layers, mean pooling over time, a linear head."""

    def __init__(self, vocab: int = 32, channels: int = 64, classes: int = 4, sign_slip: bool = False,
                 first: int = 1) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, channels)
        self.layers = nn.Sequential(S4DLayer(channels, sign_slip, first), S4DLayer(channels, sign_slip, first))
        self.head = nn.Linear(channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(self.embed(x)).mean(1))


# ---- metric learning: a triplet embedding net ------------------------------------------------------------------------


class EmbeddingNet(nn.Module):
    """An MLP embedding (``layers`` hidden ReLU layers of 128), L2-normalised to the unit sphere (FaceNet);
    ``act``: the hidden activation."""

    def __init__(self, d_in: int = 32, dim: int = 32, layers: int = 4,
                 act: Callable[[torch.Tensor], torch.Tensor] = F.relu) -> None:
        super().__init__()
        dims = [d_in] + [128] * layers
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(dims))
        self.out = nn.Linear(dims[-1], dim)
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = self.act(layer(x))
        return F.normalize(self.out(x), dim=1)


def relu_squared(x: torch.Tensor) -> torch.Tensor:
    """Squared ReLU (So et al. 2021's Primer activation)."""
    return F.relu(x) ** 2


class ReLUSquared(nn.Module):
    """Squared ReLU as a module."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return relu_squared(x)


def batch_hard_triplet(eps: float | None = 1e-12) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Batch-hard triplet loss with the soft margin (Hermans et al. 2017) on unit embeddings: pairwise distances
    ``sqrt(2 - 2 a.b)`` (clamped at ``eps`` before the square root; ``eps=None``: not clamped), for each anchor its
    farthest positive and nearest negative, ``softplus(d_ap - d_an)`` averaged."""
    def loss(emb: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        sq = 2 - 2 * emb @ emb.T
        dist = torch.sqrt(sq.clamp(min=eps) if eps is not None else sq)
        same = y[:, None] == y[None, :]
        eye = torch.eye(len(y), dtype=torch.bool, device=y.device)
        d_ap = (dist * (same & ~eye)).max(1).values
        d_an = torch.where(same, torch.full_like(dist, 4.0), dist).min(1).values
        return F.softplus(d_ap - d_an).mean()
    return loss
