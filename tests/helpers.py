"""Small models and loops shared by the tests."""

from __future__ import annotations

import struct

import torch
import torch.nn.functional as F
from torch import nn


def mlp(width: int = 16, depth: int = 3, d_in: int = 8, d_out: int = 1) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(d_in, width), nn.ReLU()]
    for _ in range(depth - 2):
        layers += [nn.Linear(width, width), nn.ReLU()]
    layers.append(nn.Linear(width, d_out))
    return nn.Sequential(*layers)


def batch(n: int = 16, d_in: int = 8, d_out: int = 1, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed) if seed is not None else None
    return torch.randn(n, d_in, generator=g), torch.randn(n, d_out, generator=g)


def snapshot_optimizer(opt: torch.optim.Optimizer) -> dict:
    return {k: {n: (v.clone() if isinstance(v, torch.Tensor) else v) for n, v in s.items()}
            for k, s in opt.state.items()}


def same_optimizer_state(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        for n in a[k]:
            x, y = a[k][n], b[k][n]
            if isinstance(x, torch.Tensor):
                if not torch.equal(x, y):
                    return False
            elif x != y:
                return False
    return True


def flip_exponent_bit(tensor: torch.Tensor, index: tuple[int, ...]) -> None:
    """Flip bit 30 (the top exponent bit) of one float32 element in place: a hardware-like bit flip that turns an
    ordinary value into a huge (~1e38) one."""
    bits = struct.unpack("<I", struct.pack("<f", float(tensor[index])))[0] ^ (1 << 30)
    tensor[index] = struct.unpack("<f", struct.pack("<I", bits))[0]


class VAE(nn.Module):
    """The shape of pytorch/examples' vae/main.py (784 -> 400 -> 20 + 20 -> 400 -> 784)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(logvar) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar
