"""Hand-written models of the fifty-fifth held-out batch (``fresh54.py``), separation, scientific-ML and robotics ones:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The time-series, spatio-temporal, graph and keyword-spotting models are in
``fresh54_models.py``."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

# ---- DPRNN -----------------------------------------------------------------------------------------------------------


class _DualPath(nn.Module):
    """One DPRNN block: the intra-chunk BiLSTM along each chunk, then the inter-chunk BiLSTM across the chunks, each
    with a Linear back to the feature size, global layer normalisation (``GroupNorm(1, n)``) and a residual."""

    def __init__(self, n: int, hidden: int) -> None:
        super().__init__()
        self.intra = nn.LSTM(n, hidden, batch_first=True, bidirectional=True)
        self.inter = nn.LSTM(n, hidden, batch_first=True, bidirectional=True)
        self.intra_fc, self.inter_fc = nn.Linear(2 * hidden, n), nn.Linear(2 * hidden, n)
        self.intra_norm, self.inter_norm = nn.GroupNorm(1, n), nn.GroupNorm(1, n)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, n, s (chunks), k (chunk length)
        b, n, s, k = x.shape
        u = self.intra_fc(self.intra(x.permute(0, 2, 3, 1).reshape(b * s, k, n))[0])
        x = x + self.intra_norm(u.reshape(b, s, k, n).permute(0, 3, 1, 2))
        u = self.inter_fc(self.inter(x.permute(0, 3, 2, 1).reshape(b * k, s, n))[0])
        return x + self.inter_norm(u.reshape(b, k, s, n).permute(0, 3, 2, 1))


class DPRNN(nn.Module):
    """DPRNN (Luo, Chen and Yoshioka 2020), narrowed: a learned encoder (32 filters of length 8, stride 4, ReLU), global
    layer norm and a bottleneck to 16, chunks of 16 frames with hop 8, two dual-path blocks of BiLSTMs of 16, PReLU and
    a 1x1 convolution to a sigmoid mask per source, overlap-add, the masked encodings decoded by a transposed
    convolution; PyTorch's default init."""

    def __init__(self, sources: int = 2, n: int = 32, bottleneck: int = 16, length: int = 8, chunk: int = 16,
                 hidden: int = 16, blocks: int = 2) -> None:
        super().__init__()
        self.sources, self.n, self.chunk, self.hop = sources, n, chunk, chunk // 2
        self.encoder = nn.Conv1d(1, n, length, stride=length // 2, bias=False)
        self.norm = nn.GroupNorm(1, n)
        self.bottleneck = nn.Conv1d(n, bottleneck, 1)
        self.blocks = nn.Sequential(*[_DualPath(bottleneck, hidden) for _ in range(blocks)])
        self.prelu = nn.PReLU()
        self.mask = nn.Conv1d(bottleneck, sources * n, 1)
        self.decoder = nn.ConvTranspose1d(n, 1, length, stride=length // 2, bias=False)

    def forward(self, mix: torch.Tensor) -> torch.Tensor:  # mix: b, samples -> b, sources, samples
        w = F.relu(self.encoder(mix[:, None]))
        b, n, t = w.shape
        e = self.bottleneck(self.norm(w))
        pad = self.chunk + self.hop * -(-max(t - self.chunk, 0) // self.hop) - t
        e = F.pad(e, (0, pad))
        chunks = self.blocks(e.unfold(-1, self.chunk, self.hop))  # b, B, s, k
        s = chunks.shape[2]
        folded = F.fold(chunks.permute(0, 1, 3, 2).reshape(b, -1, s), (1, t + pad), (1, self.chunk),
                        stride=(1, self.hop))[:, :, 0, :t]
        m = torch.sigmoid(self.mask(self.prelu(folded))).view(b, self.sources, n, t)
        out = self.decoder((w[:, None] * m).reshape(b * self.sources, n, t))
        return F.pad(out, (0, mix.shape[-1] - out.shape[-1])).view(b, self.sources, -1)


# ---- MscaleDNN -------------------------------------------------------------------------------------------------------


def srelu(x: torch.Tensor) -> torch.Tensor:
    """The compactly supported ``sReLU(x) = ReLU(x) ReLU(1 - x)`` of MscaleDNN."""
    return F.relu(x) * F.relu(1 - x)


class MscaleDNN(nn.Module):
    """MscaleDNN (Liu, Cai and Xu 2020), narrowed: the first hidden layer's 128 units split into eight parts whose
    pre-activations are scaled by 1, 2, 4, ..., 128 (the paper's multi-scale input), then hidden layers of 64, all with
    sReLU, a Linear output; PyTorch's default init. ``layers``: the number of hidden layers of 64 after the first."""

    def __init__(self, d_in: int = 1, width: int = 128, hidden: int = 64, layers: int = 3, parts: int = 8) -> None:
        super().__init__()
        self.first = nn.Linear(d_in, width)
        self.register_buffer("scales", (2.0 ** torch.arange(parts)).repeat_interleave(width // parts))
        dims = [width] + [hidden] * layers
        self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in itertools.pairwise(dims)])
        self.out = nn.Linear(dims[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = srelu(self.scales * self.first(x))
        for lin in self.hidden:
            h = srelu(lin(h))
        return self.out(h)


# ---- Neural Lander ---------------------------------------------------------------------------------------------------


class NeuralLander(nn.Module):
    """The Neural Lander's residual-force network (Shi et al. 2019): a ReLU network of four Linear layers (hidden 25),
    every weight spectrally normalised (``torch.nn.utils.parametrizations.spectral_norm``) and scaled by ``gamma **
    (1 / 4)`` so that the network's Lipschitz constant is at most ``gamma`` = 4; PyTorch's default init.
    ``relu_bias``: every hidden bias set to that value (every ReLU dead at -10)."""

    def __init__(self, d_in: int = 8, hidden: int = 25, d_out: int = 3, gamma: float = 4.0,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        dims = [d_in, hidden, hidden, hidden, d_out]
        self.layers = nn.ModuleList([spectral_norm(nn.Linear(a, b)) for a, b in itertools.pairwise(dims)])
        self.scale = gamma ** (1 / len(self.layers))
        if relu_bias is not None:
            with torch.no_grad():
                for lin in self.layers[:-1]:
                    lin.bias.fill_(relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, lin in enumerate(self.layers):
            x = self.scale * lin(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x


# ---- BC-RNN ----------------------------------------------------------------------------------------------------------


class BCRNN(nn.Module):
    """robomimic's BC-RNN (Mandlekar et al. 2021), narrowed: a two-layer LSTM over the observation sequence (64 units;
    the paper's 400), a Linear action decoder with ``tanh`` (actions in [-1, 1]); PyTorch's default init.
    ``hh_std``: every recurrent matrix ``weight_hh`` drawn N(0, hh_std^2) instead."""

    def __init__(self, d_obs: int = 4, d_act: int = 2, hidden: int = 64, layers: int = 2,
                 hh_std: float | None = None) -> None:
        super().__init__()
        self.rnn = nn.LSTM(d_obs, hidden, layers, batch_first=True)
        self.decoder = nn.Linear(hidden, d_act)
        if hh_std is not None:
            for name, p in self.rnn.named_parameters():
                if name.startswith("weight_hh"):
                    nn.init.normal_(p, 0.0, hh_std)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.decoder(self.rnn(obs)[0]))
