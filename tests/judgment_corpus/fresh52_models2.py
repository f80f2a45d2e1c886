"""Hand-written models of the fifty-third held-out batch (``fresh52.py``), the time-series and scientific ones: small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default). The language, recommender and generative ones are in ``fresh52_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- SOFTS -----------------------------------------------------------------------------------------------------------


class STAR(nn.Module):
    """SOFTS' STar Aggregate-Redistribute module: an MLP over each series' embedding, the core pooled over the series
    (the reference code's stochastic pooling in training: a series drawn per feature with the softmax of the MLP's
    output as probabilities, here by the Gumbel-max trick, the same distribution as its ``torch.multinomial``; the
    softmax-weighted mean in evaluation), repeated to every series, concatenated and
    fused by a second MLP."""

    def __init__(self, d: int, d_core: int) -> None:
        super().__init__()
        self.gen1, self.gen2 = nn.Linear(d, d), nn.Linear(d, d_core)
        self.gen3, self.gen4 = nn.Linear(d + d_core, d), nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        core = self.gen2(F.gelu(self.gen1(x)))
        if self.training:
            gumbel = -torch.log(-torch.log(torch.rand_like(core).clamp_min(1e-20)))
            idx = (F.log_softmax(core, 1) + gumbel).argmax(1, keepdim=True)
            core = torch.gather(core, 1, idx).expand(-1, c, -1)
        else:
            core = (F.softmax(core, 1) * core).sum(1, keepdim=True).expand(-1, c, -1)
        return self.gen4(F.gelu(self.gen3(torch.cat([x, core], -1))))


class SOFTS(nn.Module):
    """SOFTS (Han et al. 2024, narrowed): the series normalisation of the reference code (``use_norm``: each window's
    series minus its mean over ``sqrt(var + 1e-5)``, undone on the forecast), the inverted embedding (a Linear over
    the 48 input steps to 64 per series), two encoder layers (``x + STAR(x)``, LayerNorm, the GELU feed-forward of
    128, LayerNorm), a final LayerNorm and the Linear projection to the 16-step horizon; PyTorch's default init.
    ``eps``: the normalisation's eps under the root (0: none); ``denorm``: False leaves the forecast in the normalised
    scale (the normalisation never undone)."""

    def __init__(self, seq: int = 48, horizon: int = 16, d: int = 64, d_core: int = 32, d_ff: int = 128,
                 layers: int = 2, eps: float = 1e-5, denorm: bool = True) -> None:
        super().__init__()
        self.eps, self.denorm = eps, denorm
        self.embed = nn.Linear(seq, d)
        self.stars = nn.ModuleList([STAR(d, d_core) for _ in range(layers)])
        self.ffs = nn.ModuleList([nn.Sequential(nn.Linear(d, d_ff), nn.GELU(), nn.Linear(d_ff, d))
                                  for _ in range(layers)])
        self.n1 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.n2 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.proj = nn.Linear(d, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, seq, channels) -> (b, horizon, channels)
        mean = x.mean(1, keepdim=True)
        std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + self.eps)
        h = self.embed(((x - mean) / std).transpose(1, 2))
        for star, ff, n1, n2 in zip(self.stars, self.ffs, self.n1, self.n2, strict=True):
            h = n1(h + star(h))
            h = n2(h + ff(h))
        out = self.proj(self.norm(h)).transpose(1, 2)
        return out * std + mean if self.denorm else out


# ---- CfC -------------------------------------------------------------------------------------------------------------


def lecun_tanh(x: torch.Tensor) -> torch.Tensor:
    return 1.7159 * torch.tanh(0.666 * x)


class CfC(nn.Module):
    """The closed-form continuous-time network (Hasani et al. 2022), the ``ncps`` CfC cell in its default mode: a
    backbone (one LeCun-tanh layer of 64 over ``[x_t, h_{t-1}]``), two tanh heads ``ff1``, ``ff2`` and the time
    gate ``sigma(t_a * dt + t_b)``, ``h_t = ff1 (1 - sigma) + sigma ff2``, 32 units with unit elapsed times, then a
    Linear read-out of the last state; the weight matrices Xavier-uniform as ``ncps``. ``recurrent_std``: the
    backbone's columns that read ``h_{t-1}`` drawn N(0, std^2)."""

    def __init__(self, d_in: int = 2, units: int = 32, backbone: int = 64, classes: int = 4,
                 recurrent_std: float | None = None) -> None:
        super().__init__()
        self.units = units
        self.bb = nn.Linear(d_in + units, backbone)
        self.ff1, self.ff2 = nn.Linear(backbone, units), nn.Linear(backbone, units)
        self.ta, self.tb = nn.Linear(backbone, units), nn.Linear(backbone, units)
        self.head = nn.Linear(units, classes)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.xavier_uniform_(p)
        if recurrent_std is not None:
            with torch.no_grad():
                self.bb.weight[:, d_in:].normal_(0.0, recurrent_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, t, d_in)
        h = x.new_zeros(x.shape[0], self.units)
        for t in range(x.shape[1]):
            z = lecun_tanh(self.bb(torch.cat([x[:, t], h], 1)))
            gate = torch.sigmoid(self.ta(z) * 1.0 + self.tb(z))
            h = torch.tanh(self.ff1(z)) * (1 - gate) + gate * torch.tanh(self.ff2(z))
        return self.head(h)


# ---- the ECG ResNet (Hannun et al. 2019) --------------------------------------------------------------------------


class _ECGBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, bn: bool, k: int, first: bool = False) -> None:
        super().__init__()
        self.first, self.stride = first, stride
        norm = (lambda c: nn.BatchNorm1d(c)) if bn else (lambda c: nn.Identity())
        self.bn1 = norm(c_in)
        self.conv1 = nn.Conv1d(c_in, c_out, k, stride, k // 2)
        self.bn2 = norm(c_out)
        self.conv2 = nn.Conv1d(c_out, c_out, k, 1, k // 2)
        self.drop = nn.Dropout(0.2)
        self.pad = c_out - c_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        short = F.max_pool1d(x, self.stride, ceil_mode=True) if self.stride > 1 else x
        if self.pad:
            short = F.pad(short, (0, 0, 0, self.pad))
        h = x if self.first else self.drop(F.relu(self.bn1(x)))
        h = self.conv2(self.drop(F.relu(self.bn2(self.conv1(h)))))
        return h + short


class ECGResNet(nn.Module):
    """The arrhythmia network of Hannun et al. 2019 (narrowed: a kernel-15 convolution of 16 channels with BatchNorm
    and ReLU, then 8 pre-activation residual blocks (the paper has 16) of two kernel-15 convolutions with BatchNorm,
    ReLU and dropout 0.2, every second block subsampling by 2 with a max-pooled shortcut, the channels doubled after
    four blocks and zero-padded on the shortcut; a final BatchNorm and ReLU, the mean over time and a Linear);
    He-normal convolutions as the paper. ``bn``: False builds every BatchNorm as the identity."""

    def __init__(self, classes: int = 4, bn: bool = True, k: int = 15, blocks: int = 8, width: int = 16) -> None:
        super().__init__()
        norm = (lambda c: nn.BatchNorm1d(c)) if bn else (lambda c: nn.Identity())
        self.stem = nn.Conv1d(1, width, k, 1, k // 2)
        self.bn0 = norm(width)
        layers, c = [], width
        for i in range(blocks):
            c_out = c * 2 if i > 0 and i % 4 == 0 else c
            layers.append(_ECGBlock(c, c_out, 2 if i % 2 == 1 else 1, bn, k, first=i == 0))
            c = c_out
        self.blocks = nn.Sequential(*layers)
        self.bn_out = norm(c)
        self.head = nn.Linear(c, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv1d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, 1, t)
        h = self.blocks(F.relu(self.bn0(self.stem(x))))
        return self.head(F.relu(self.bn_out(h)).mean(-1))


# ---- DGM -------------------------------------------------------------------------------------------------------------


class _DGMLayer(nn.Module):
    def __init__(self, d_in: int, d: int, act: nn.Module) -> None:
        super().__init__()
        self.act = act
        self.u = nn.ModuleDict({g: nn.Linear(d_in, d) for g in "zgrh"})
        self.w = nn.ModuleDict({g: nn.Linear(d, d, bias=False) for g in "zgrh"})

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        z = self.act(self.u["z"](x) + self.w["z"](s))
        g = self.act(self.u["g"](x) + self.w["g"](s))
        r = self.act(self.u["r"](x) + self.w["r"](s))
        h = self.act(self.u["h"](x) + self.w["h"](s * r))
        return (1 - g) * h + z * s


class DGM(nn.Module):
    """The Deep Galerkin Method's network (Sirignano and Spiliopoulos 2018): ``S_1 = sigma(W_1 x + b_1)``, three DGM
    layers of 50 (the paper's: the gates Z, G, R and the candidate H, each reading ``x`` and ``S``; ``S <- (1 - G) H +
    Z S``) and a Linear output; tanh as the paper's sigma and Xavier-normal weights as its reference code. ``act``:
    the nonlinearity (``"relu"`` for the ReLU)."""

    def __init__(self, d_in: int = 2, d: int = 50, layers: int = 3, act: str = "tanh") -> None:
        super().__init__()
        a = nn.Tanh() if act == "tanh" else nn.ReLU()
        self.act = a
        self.inp = nn.Linear(d_in, d)
        self.layers = nn.ModuleList([_DGMLayer(d_in, d, a) for _ in range(layers)])
        self.out = nn.Linear(d, 1)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.act(self.inp(x))
        for layer in self.layers:
            s = layer(x, s)
        return self.out(s).squeeze(-1)
