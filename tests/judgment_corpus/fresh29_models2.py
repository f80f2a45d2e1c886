"""Hand-written models of the thirtieth held-out batch (``fresh29.py``), image, audio and time-series ones: small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default)."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn


def _norm2d(c: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(c) if bn else nn.Identity()


# ---- vision ----------------------------------------------------------------------------------------------------------


class CBAM(nn.Module):
    """The convolutional block attention module (Woo et al. 2018): channel attention (a shared MLP, reduction 8, on
    the average- and max-pooled maps) then spatial attention (a 7x7 conv on the channel mean and max)."""

    def __init__(self, c: int, r: int = 8) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Conv2d(c, max(c // r, 1), 1), nn.ReLU(), nn.Conv2d(max(c // r, 1), c, 1))
        self.spatial = nn.Conv2d(2, 1, 7, padding=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x * torch.sigmoid(self.mlp(x.mean((2, 3), keepdim=True)) + self.mlp(x.amax((2, 3), keepdim=True)))
        return x * torch.sigmoid(self.spatial(torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)))


class CBAMBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, bn: bool) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=not bn)
        self.n1 = _norm2d(c_out, bn)
        self.c2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=not bn)
        self.n2 = _norm2d(c_out, bn)
        self.cbam = CBAM(c_out)
        self.short = (nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=not bn), _norm2d(c_out, bn))
                      if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.n2(self.c2(F.relu(self.n1(self.c1(x)))))
        return F.relu(self.cbam(out) + self.short(x))


class CBAMResNet(nn.Module):
    """A small ResNet with CBAM in every basic block (stages of 16, 32 and 64 channels, one block each), He init."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=not bn), _norm2d(16, bn), nn.ReLU())
        self.blocks = nn.Sequential(CBAMBlock(16, 16, 1, bn), CBAMBlock(16, 32, 2, bn), CBAMBlock(32, 64, 2, bn))
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


class FractalBlock(nn.Module):
    """A fractal block of ``columns`` columns (depths 1, 2, 4, ...), conv-BN-ReLU units, mean joins with local
    drop-path (each join input dropped with probability 0.15, at least one kept)."""

    def __init__(self, c_in: int, c_out: int, columns: int, bn: bool, drop: float = 0.15) -> None:
        super().__init__()
        self.columns, self.drop = columns, drop
        self.unit = nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=not bn), _norm2d(c_out, bn), nn.ReLU())
        if columns > 1:
            self.first = FractalBlock(c_in, c_out, columns - 1, bn, drop)
            self.second = FractalBlock(c_out, c_out, columns - 1, bn, drop)

    def paths(self, x: torch.Tensor, column: int | None) -> list[torch.Tensor]:
        """The outputs of the block's columns (``column``: only that one, global drop-path)."""
        if self.columns == 1:
            return [self.unit(x)]
        outs = [] if column not in (None, self.columns - 1) else [self.unit(x)]
        if column is None or column < self.columns - 1:
            deep = self.second.join(self.second.paths(self.first.join(self.first.paths(x, column)), column))
            outs = [deep, *outs]
        return outs

    def join(self, outs: list[torch.Tensor]) -> torch.Tensor:
        if self.training and len(outs) > 1:
            keep = torch.rand(len(outs)) >= self.drop
            if not keep.any():
                keep[torch.randint(len(outs), ())] = True
            outs = [o for o, k in zip(outs, keep.tolist(), strict=True) if k]
        return torch.stack(outs).mean(0)


class FractalNet(nn.Module):
    """FractalNet (Larsson et al. 2017): two fractal blocks of 3 columns (16 and 32 channels), each followed by
    2x2 max-pooling, a linear classifier on the pooled map; drop-path: local at 0.15, and half the mini-batches
    global (one random column)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([FractalBlock(3, 16, 3, bn), FractalBlock(16, 32, 3, bn)])
        self.fc = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        column = int(torch.randint(3, ())) if self.training and bool(torch.rand(()) < 0.5) else None
        for block in self.blocks:
            x = F.max_pool2d(block.join(block.paths(x, column)), 2)
        return self.fc(x.mean((2, 3)))


def _vgg(c_in: int, c_out: int, bn: bool = True) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), _norm2d(c_out, bn), nn.ReLU(),
                         nn.Conv2d(c_out, c_out, 3, padding=1), _norm2d(c_out, bn), nn.ReLU())


class UNetPlusPlus(nn.Module):
    """UNet++ (Zhou et al. 2018) with three levels (8, 16 and 32 channels): nested dense skip pathways ``X^{i,j} =
    H([X^{i,0..j-1}, up(X^{i+1,j-1})])`` of VGG blocks, the last node's 1x1 conv (no deep supervision)."""

    def __init__(self, classes: int = 3, c: tuple[int, int, int] = (8, 16, 32), bn: bool = True) -> None:
        super().__init__()
        self.x00, self.x10, self.x20 = _vgg(3, c[0], bn), _vgg(c[0], c[1], bn), _vgg(c[1], c[2], bn)
        self.x01 = _vgg(c[0] + c[1], c[0], bn)
        self.x11 = _vgg(c[1] + c[2], c[1], bn)
        self.x02 = _vgg(2 * c[0] + c[1], c[0], bn)
        self.out = nn.Conv2d(c[0], classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)  # noqa: E731
        x00 = self.x00(x)
        x10 = self.x10(F.max_pool2d(x00, 2))
        x20 = self.x20(F.max_pool2d(x10, 2))
        x01 = self.x01(torch.cat([x00, up(x10)], 1))
        x11 = self.x11(torch.cat([x10, up(x20)], 1))
        x02 = self.x02(torch.cat([x00, x01, up(x11)], 1))
        return self.out(x02)


# ---- generative ------------------------------------------------------------------------------------------------------


def _modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale[:, None]) + shift[:, None]


def _timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], -1)


def _ln(d: int, ln: bool) -> nn.Module:
    return nn.LayerNorm(d, elementwise_affine=False, eps=1e-6) if ln else nn.Identity()


class DiTBlock(nn.Module):
    def __init__(self, d: int, heads: int, ln: bool = True) -> None:
        super().__init__()
        self.n1 = _ln(d, ln)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.n2 = _ln(d, ln)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(approximate="tanh"), nn.Linear(4 * d, d))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(d, 6 * d))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        s1, sc1, g1, s2, sc2, g2 = self.ada(c).chunk(6, -1)
        h = _modulate(self.n1(x), s1, sc1)
        x = x + g1[:, None] * self.attn(h, h, h, need_weights=False)[0]
        return x + g2[:, None] * self.mlp(_modulate(self.n2(x), s2, sc2))


class DiT(nn.Module):
    """A diffusion transformer (Peebles & Xie 2023) on 3x8x8 images: patches of 2 (16 tokens), width 64, two
    blocks of 4 heads, fixed 2-d sin-cos position embeddings, timestep and class embeddings summed into the
    conditioning of adaLN-Zero (modulation and final layers zero-initialised, Xavier elsewhere); predicts the noise."""

    def __init__(self, size: int = 8, patch: int = 2, channels: int = 3, d: int = 64, depth: int = 2, heads: int = 4,
                 classes: int = 10, ln: bool = True) -> None:
        super().__init__()
        self.patch, self.channels, self.grid = patch, channels, size // patch
        self.embed = nn.Conv2d(channels, d, patch, patch)
        self.register_buffer("pos", self._pos(d, self.grid))
        self.t_mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.y_emb = nn.Embedding(classes + 1, d)  # the last row: the null class of classifier-free guidance
        self.blocks = nn.ModuleList(DiTBlock(d, heads, ln) for _ in range(depth))
        self.final_norm = _ln(d, ln)
        self.final_ada = nn.Sequential(nn.SiLU(), nn.Linear(d, 2 * d))
        self.final = nn.Linear(d, patch * patch * channels)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.y_emb.weight, std=0.02)
        for m in self.t_mlp:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
        for block in self.blocks:
            nn.init.zeros_(block.ada[-1].weight)
            nn.init.zeros_(block.ada[-1].bias)
        for m in (self.final_ada[-1], self.final):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    @staticmethod
    def _pos(d: int, grid: int) -> torch.Tensor:
        ii, jj = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
        return torch.cat([_timestep_embedding(ii.flatten(), d // 2), _timestep_embedding(jj.flatten(), d // 2)], -1)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, t, y = inputs
        b = x.shape[0]
        h = self.embed(x).flatten(2).transpose(1, 2) + self.pos
        c = self.t_mlp(_timestep_embedding(t, h.shape[-1])) + self.y_emb(y)
        for block in self.blocks:
            h = block(h, c)
        shift, scale = self.final_ada(c).chunk(2, -1)
        out = self.final(_modulate(self.final_norm(h), shift, scale))  # (b, tokens, p * p * c)
        g, p = self.grid, self.patch
        return out.view(b, g, g, p, p, self.channels).permute(0, 5, 1, 3, 2, 4).reshape(b, self.channels, g * p, g * p)


# ---- time series -----------------------------------------------------------------------------------------------------


class InceptionModule(nn.Module):
    """InceptionTime's module: a bottleneck 1x1 conv to 16 (when the input is wider than 1), convs of kernels 9, 19
    and 39 (the paper's 10, 20, 40, odd for same padding) of 16 filters, a max-pool 3 branch with a 1x1 conv; BN,
    ReLU."""

    def __init__(self, c_in: int, f: int = 16, bn: bool = True) -> None:
        super().__init__()
        self.bottleneck = nn.Conv1d(c_in, f, 1, bias=False) if c_in > 1 else nn.Identity()
        c_b = f if c_in > 1 else c_in
        self.convs = nn.ModuleList(nn.Conv1d(c_b, f, k, padding=k // 2, bias=False) for k in (39, 19, 9))
        self.pool_conv = nn.Conv1d(c_in, f, 1, bias=False)
        self.bn = nn.BatchNorm1d(4 * f) if bn else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.bottleneck(x)
        outs = [conv(b) for conv in self.convs] + [self.pool_conv(F.max_pool1d(x, 3, 1, 1))]
        return F.relu(self.bn(torch.cat(outs, 1)))


class InceptionTime(nn.Module):
    """InceptionTime (Ismail Fawaz et al. 2020), one network of the ensemble: six modules, a residual shortcut
    (1x1 conv, BN) every three, global average pooling, a linear classifier. ``fc_depth`` > 1: the classifier made a
    stack of ``fc_depth - 1`` tanh layers of 64 (PyTorch's default init) before the output layer."""

    def __init__(self, c_in: int = 1, classes: int = 4, f: int = 16, fc_depth: int = 1, bn: bool = True) -> None:
        super().__init__()
        self.modules_ = nn.ModuleList(InceptionModule(c_in if i == 0 else 4 * f, f, bn) for i in range(6))
        norm = (lambda: nn.BatchNorm1d(4 * f)) if bn else nn.Identity
        self.shortcuts = nn.ModuleList([nn.Sequential(nn.Conv1d(c_in, 4 * f, 1, bias=False), norm()),
                                        nn.Sequential(nn.Conv1d(4 * f, 4 * f, 1, bias=False), norm())])
        layers: list[nn.Module] = []
        for _ in range(fc_depth - 1):
            layers += [nn.Linear(4 * f, 4 * f), nn.Tanh()]
        self.head = nn.Sequential(*layers, nn.Linear(4 * f, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        res = x
        for i, m in enumerate(self.modules_):
            x = m(x)
            if i % 3 == 2:
                x = F.relu(x + self.shortcuts[i // 3](res))
                res = x
        return self.head(x.mean(-1))


# ---- audio -----------------------------------------------------------------------------------------------------------


def mel_filters(n_fft: int = 256, n_mels: int = 32, sr: int = 8000) -> torch.Tensor:
    """Triangular mel filters ``(n_fft // 2 + 1, n_mels)`` (HTK mel scale)."""
    mel = lambda f: 2595 * math.log10(1 + f / 700)  # noqa: E731
    pts = torch.linspace(mel(0), mel(sr / 2), n_mels + 2)
    hz = 700 * (10 ** (pts / 2595) - 1)
    freqs = torch.linspace(0, sr / 2, n_fft // 2 + 1)
    lo, mid, hi = hz[:-2], hz[1:-1], hz[2:]
    up = (freqs[:, None] - lo) / (mid - lo)
    down = (hi - freqs[:, None]) / (hi - mid)
    return torch.clamp(torch.minimum(up, down), min=0)


class PANNsCNN6(nn.Module):
    """PANNs' CNN6 (Kong et al. 2020) on 8 kHz clips: a log-mel front end (n_fft 256, hop 64, 32 mel bins, the
    power in dB with ``amin`` 1e-10 as ``power_to_db``), BatchNorm over the mel bins (``bn0``), three 5x5 conv
    blocks (16, 32, 64 channels; BN, ReLU, 2x2 average pooling), the mean over frequency, max plus mean over time, a
    ReLU layer of 64 and one logit per tag. ``no_floor``: the log taken of the mel power itself (no ``amin``);
    ``half_logmel``: the front end computed in float16 (``power.half()``), where the floor 1e-10 is below half's
    smallest subnormal (6e-8) and rounds to 0; ``bn``: the BatchNorms (``bn0`` included)."""

    def __init__(self, tags: int = 4, no_floor: bool = False, half_logmel: bool = False, bn: bool = True) -> None:
        super().__init__()
        self.no_floor, self.half_logmel = no_floor, half_logmel
        self.register_buffer("mel", mel_filters())
        self.register_buffer("window", torch.hann_window(256))
        self.bn0 = _norm2d(32, bn)
        chans = [1, 16, 32, 64]
        self.convs = nn.ModuleList(nn.Sequential(nn.Conv2d(a, b, 5, padding=2, bias=not bn), _norm2d(b, bn),
                                                 nn.ReLU()) for a, b in itertools.pairwise(chans))
        self.fc = nn.Linear(64, 64)
        self.out = nn.Linear(64, tags)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(wave, 256, 64, window=self.window, return_complex=True).abs() ** 2  # (b, freq, frames)
        power = spec.transpose(1, 2) @ self.mel  # (b, frames, mels)
        if self.half_logmel:  # the front end run in float16 for speed: the floor 1e-10 rounds to 0 in half
            logmel = (10 * torch.log10(torch.clamp(power.half(), min=1e-10))).float()
        else:
            logmel = 10 * torch.log10(power if self.no_floor else torch.clamp(power, min=1e-10))
        x = self.bn0(logmel[:, None].transpose(1, 3)).transpose(1, 3)  # bn0 over the mel bins
        for conv in self.convs:
            x = F.avg_pool2d(conv(x), 2)
        x = x.mean(3)  # over frequency: (b, channels, frames)
        x = x.amax(2) + x.mean(2)
        return self.out(F.relu(self.fc(x)))
