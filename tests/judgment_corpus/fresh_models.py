"""Hand-written models and data of the fresh held-out batch (``fresh.py``), written here, not copied."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL

# ---- convnets --------------------------------------------------------------------------------------------------------


class _DenseLayer(nn.Module):
    """BN-ReLU-Conv3x3 producing ``growth`` new channels, concatenated to its input (Huang et al. 2017)."""

    def __init__(self, c: int, growth: int, bn: bool) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(c) if bn else nn.Identity()
        self.conv = nn.Conv2d(c, growth, 3, padding=1, bias=not bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.conv(F.relu(self.norm(x)))], 1)


class DenseNet(nn.Module):
    """A DenseNet-BC-style net: stem conv, two dense blocks of ``layers`` layers with a 1x1 + avg-pool transition,
    BN-ReLU, global pool, linear head; He-normal convs (torchvision's init)."""

    def __init__(self, growth: int = 8, layers: int = 3, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        c = 2 * growth
        mods: list[nn.Module] = [nn.Conv2d(3, c, 3, padding=1, bias=False)]
        for block in range(2):
            for _ in range(layers):
                mods.append(_DenseLayer(c, growth, bn))
                c += growth
            if block == 0:
                mods += [nn.BatchNorm2d(c) if bn else nn.Identity(), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=not bn),
                         nn.AvgPool2d(2)]
                c //= 2
        mods += [nn.BatchNorm2d(c) if bn else nn.Identity(), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*mods)
        self.head = nn.Linear(c, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class _InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, BN, ReLU6, depthwise 3x3, BN, ReLU6, 1x1 project, BN; residual when shapes
    match."""

    def __init__(self, a: int, b: int, stride: int, expand: int = 4, bn: bool = True) -> None:
        super().__init__()
        h = a * expand

        def norm(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if bn else nn.Identity()

        self.body = nn.Sequential(nn.Conv2d(a, h, 1, bias=False), norm(h), nn.ReLU6(),
                                  nn.Conv2d(h, h, 3, stride, 1, groups=h, bias=False), norm(h), nn.ReLU6(),
                                  nn.Conv2d(h, b, 1, bias=False), norm(b))
        self.residual = stride == 1 and a == b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


class MobileNetV2(nn.Module):
    """A MobileNetV2-style net (Sandler et al. 2018): stem conv-BN-ReLU6, inverted residual blocks, 1x1 conv, pool,
    dropout, linear head; torchvision's init (kaiming fan-out convs, N(0, 0.01) head)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        plan = [(16, 8, 1), (8, 16, 2), (16, 16, 1), (16, 24, 2), (24, 24, 1)]
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16) if bn else nn.Identity(),
                                  nn.ReLU6())
        self.blocks = nn.Sequential(*[_InvertedResidual(a, b, s, bn=bn) for a, b, s in plan])
        self.last = nn.Sequential(nn.Conv2d(24, 64, 1, bias=False), nn.BatchNorm2d(64) if bn else nn.Identity(),
                                  nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2))
        self.head = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
        nn.init.normal_(self.head.weight, 0.0, 0.01)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.last(self.blocks(self.stem(x))))


class PlainCNN(nn.Module):
    """``depth`` 3x3 convolutions of ``width`` channels with ``act`` between them (no normalisation, no residuals),
    global pool and a linear head; PyTorch's default init unless the caller re-initialises."""

    def __init__(self, depth: int, act: Callable[[], nn.Module], width: int = 16, channels: int = 3,
                 classes: int = 10) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        c = channels
        for _ in range(depth):
            mods += [nn.Conv2d(c, width, 3, padding=1), act()]
            c = width
        self.features = nn.Sequential(*mods, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


# ---- sequence --------------------------------------------------------------------------------------------------------


class _TemporalBlock(nn.Module):
    """Two causal dilated Conv1d + ReLU + dropout with a residual (Bai et al. 2018's TCN block)."""

    def __init__(self, a: int, b: int, dilation: int, k: int = 3) -> None:
        super().__init__()
        self.pad = (k - 1) * dilation
        self.conv1 = nn.Conv1d(a, b, k, dilation=dilation)
        self.conv2 = nn.Conv1d(b, b, k, dilation=dilation)
        self.drop = nn.Dropout(0.05)
        self.down = nn.Conv1d(a, b, 1) if a != b else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.drop(F.relu(self.conv1(F.pad(x, (self.pad, 0)))))
        y = self.drop(F.relu(self.conv2(F.pad(y, (self.pad, 0)))))
        return F.relu(y + (x if self.down is None else self.down(x)))


class TCN(nn.Module):
    """Embedding -> temporal blocks with dilations 1, 2, 4, 8 -> linear head on the last step; conv weights
    N(0, ``init_std``) (the paper's 0.01)."""

    def __init__(self, vocab: int = 32, emb: int = 32, width: int = 32, classes: int = 4, init_std: float = 0.01,
                 conv_bias: float = 0.0) -> None:
        super().__init__()
        self.encoder = nn.Embedding(vocab, emb)
        chans = [emb, width, width, width, width]
        self.blocks = nn.Sequential(*[_TemporalBlock(chans[i], chans[i + 1], 2 ** i) for i in range(4)])
        self.head = nn.Linear(width, classes)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Conv1d):
                    m.weight.normal_(0.0, init_std)
                    if m.bias is not None:
                        m.bias.fill_(conv_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.encoder(x).transpose(1, 2))
        return self.head(h[:, :, -1])


# ---- graphs, generative ----------------------------------------------------------------------------------------------


def community_graph(seed: int, nodes: int = 96, classes: int = 4, feats: int = 16) -> tuple[torch.Tensor, ...]:
    """A planted-partition graph (p_in 0.15, p_out 0.01) with noisy class features: the normalised adjacency
    ``D^-1/2 (A + I) D^-1/2``, node features and node labels."""
    g = torch.Generator().manual_seed(500 + seed)
    y = torch.arange(nodes) % classes
    same = y[:, None] == y[None, :]
    p = torch.where(same, 0.15, 0.01)
    a = (torch.rand(nodes, nodes, generator=g) < p).float()
    a = torch.triu(a, 1)
    a = a + a.T + torch.eye(nodes)
    d = a.sum(1).rsqrt()
    adj = d[:, None] * a * d[None, :]
    centres = torch.randn(classes, feats, generator=g)
    x = 0.5 * centres[y] + torch.randn(nodes, feats, generator=g)
    return adj, x, y


class GCN(nn.Module):
    """Two graph convolutions (Kipf & Welling 2017): ``A relu(A X W1) W2`` with dropout 0.5, Glorot init."""

    def __init__(self, adj: torch.Tensor, feats: int = 16, hidden: int = 32, classes: int = 4) -> None:
        super().__init__()
        self.register_buffer("adj", adj)
        self.fc1 = nn.Linear(feats, hidden)
        self.fc2 = nn.Linear(hidden, classes)
        for m in (self.fc1, self.fc2):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        adj: torch.Tensor = self.adj  # type: ignore[assignment]
        h = F.dropout(F.relu(adj @ self.fc1(F.dropout(x, 0.5, self.training))), 0.5, self.training)
        return adj @ self.fc2(h)


class VAE(nn.Module):
    """A Gaussian VAE (Kingma & Welling 2014) with ReLU MLP encoder and decoder; returns (reconstruction, mu,
    logvar)."""

    def __init__(self, d: int = 32, hidden: int = 64, latent: int = 4) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(d, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, d))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.dec(z), mu, logvar


def vae_loss(out: tuple[torch.Tensor, torch.Tensor, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Squared-error reconstruction plus KL to N(0, I), summed over features, averaged over the batch."""
    rec, mu, logvar = out
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
    return ((rec - x) ** 2).sum(1).mean() + kl.mean()


def manifold_batches(seed: int, d: int = 32, latent: int = 4, batch: int = 64,
                     scale: float = 1.0) -> Callable[[int], Any]:
    """``(x, x)`` pairs, ``x = tanh(z A) + 0.05 noise`` with 4-dimensional ``z`` (something a VAE can compress),
    times ``scale``."""
    a = torch.randn(latent, d, generator=torch.Generator().manual_seed(321))
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        x = torch.tanh(torch.randn(batch, latent, generator=g) @ a) + 0.05 * torch.randn(batch, d, generator=g)
        pool.append((x * scale, x * scale))
    return lambda step: pool[step % POOL]


def noisy_regression_batches(seed: int, d: int = 16, batch: int = 32, noise: float = 0.3,
                             input_scale: float = 1.0) -> Callable[[int], Any]:
    """Small noisy batches of a smooth target: ``y = sin(2 x.w) + noise``; inputs times ``input_scale``."""
    w = torch.randn(d, 1, generator=torch.Generator().manual_seed(98)) / math.sqrt(d)
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        x = torch.randn(batch, d, generator=g)
        y = torch.sin(2 * (x @ w)) + noise * torch.randn(batch, 1, generator=g)
        pool.append((x * input_scale, y))
    return lambda step: pool[step % POOL]
