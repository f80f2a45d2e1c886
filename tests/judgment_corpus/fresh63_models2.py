"""Hand-written models of the sixty-fourth held-out batch (``fresh63.py``), speech, audio and time-series ones:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The vision and text models are in ``fresh63_models.py``."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from .fresh63_models import _Attention, _Dropout

# ---- Deep Speech (2014) ----------------------------------------------------------------------------------------------


def _clipped_relu(x: torch.Tensor) -> torch.Tensor:
    return x.clamp(0.0, 20.0)


class DeepSpeech(nn.Module):
    """Deep Speech (Hannun et al. 2014, "Deep Speech: scaling up end-to-end speech recognition"; not Deep Speech 2's
    convolutions, BatchNorm and GRUs), narrowed as a frame classifier: each frame with a context of 2 frames either
    side, three clipped-ReLU (``min(max(x, 0), 20)``) layers of 64, the bidirectional recurrent layer of 64 (each
    direction ``h_t = g(W x_t + U h_{t-1} + b)``, the two directions summed, as the paper's), a fourth clipped-ReLU
    layer and a per-frame softmax layer (in place of CTC); dropout 0.05 on the feed-forward layers, written by hand
    (:class:`~.fresh63_models._Dropout`); PyTorch's default init. ``layers``: the number of feed-forward layers
    before the recurrence; ``bias``: every feed-forward layer's bias set to that value; ``radius``: each direction's
    ``U`` an orthogonal matrix times ``radius``; ``drop_over_p``: the dropout's rescale written ``/ p`` (every kept
    activation x20 instead of x1.05)."""

    def __init__(self, features: int = 16, context: int = 2, d: int = 64, classes: int = 8, layers: int = 3,
                 bias: float | None = None, radius: float | None = None, drop_over_p: bool = False) -> None:
        super().__init__()
        self.context = context
        sizes = [features * (2 * context + 1)] + [d] * layers
        self.ff = nn.ModuleList([nn.Linear(a, b) for a, b in itertools.pairwise(sizes)])
        self.wf, self.wb = nn.Linear(d, d), nn.Linear(d, d)
        self.uf, self.ub = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
        self.fc4, self.out = nn.Linear(d, d), nn.Linear(d, classes)
        self.drop = _Dropout(0.05, drop_over_p)
        with torch.no_grad():
            if bias is not None:
                for lin in self.ff:
                    lin.bias.fill_(bias)
            if radius is not None:
                for u in (self.uf, self.ub):
                    nn.init.orthogonal_(u.weight)
                    u.weight *= radius

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, t, features
        t = x.shape[1]
        pad = F.pad(x, (0, 0, self.context, self.context))
        h = torch.cat([pad[:, i:i + t] for i in range(2 * self.context + 1)], -1)
        for lin in self.ff:
            h = self.drop(_clipped_relu(lin(h)))
        xf, xb = self.wf(h), self.wb(h)
        hf = hb = h.new_zeros(h.shape[0], h.shape[2])
        fwd, bwd = [], []
        for i in range(t):
            hf = _clipped_relu(xf[:, i] + self.uf(hf))
            hb = _clipped_relu(xb[:, t - 1 - i] + self.ub(hb))
            fwd.append(hf)
            bwd.append(hb)
        h = torch.stack(fwd, 1) + torch.stack(bwd[::-1], 1)
        return self.out(self.drop(_clipped_relu(self.fc4(h))))


# ---- Open-Unmix ------------------------------------------------------------------------------------------------------


class OpenUnmix(nn.Module):
    """Open-Unmix (Stöter et al. 2019, "Open-Unmix: a reference implementation for music source separation"),
    narrowed: the mixture's magnitude frames standardised by the training set's per-bin mean and scale (the
    reference code's ``input_mean`` and ``input_scale``, trainable, set from the data), a Linear to 64 without bias,
    BatchNorm and tanh, a three-layer bidirectional LSTM of 32 a direction (dropout 0.4 between layers), the skip
    concatenation of its input and output, Linear-BatchNorm-ReLU to 64, Linear-BatchNorm back to the bins, the
    output scale and mean, ReLU, and the result taken as a mask times the mixture; PyTorch's default init.
    ``mean``, ``scale``: the data's per-bin statistics (``scale`` is ``1 / std``)."""

    def __init__(self, mean: torch.Tensor, scale: torch.Tensor, hidden: int = 64) -> None:
        super().__init__()
        bins = mean.shape[0]
        self.input_mean, self.input_scale = nn.Parameter(-mean.clone()), nn.Parameter(scale.clone())
        self.fc1, self.bn1 = nn.Linear(bins, hidden, bias=False), nn.BatchNorm1d(hidden)
        self.lstm = nn.LSTM(hidden, hidden // 2, num_layers=3, bidirectional=True, batch_first=True, dropout=0.4)
        self.fc2, self.bn2 = nn.Linear(2 * hidden, hidden, bias=False), nn.BatchNorm1d(hidden)
        self.fc3, self.bn3 = nn.Linear(hidden, bins, bias=False), nn.BatchNorm1d(bins)
        self.output_scale, self.output_mean = nn.Parameter(torch.ones(bins)), nn.Parameter(torch.ones(bins))

    @staticmethod
    def _bn(bn: nn.BatchNorm1d, x: torch.Tensor) -> torch.Tensor:
        return bn(x.transpose(1, 2)).transpose(1, 2)

    def forward(self, mix: torch.Tensor) -> torch.Tensor:  # mix: b, t, bins
        x = (mix + self.input_mean) * self.input_scale
        x = torch.tanh(self._bn(self.bn1, self.fc1(x)))
        x = torch.cat([x, self.lstm(x)[0]], -1)
        x = F.relu(self._bn(self.bn2, self.fc2(x)))
        x = self._bn(self.bn3, self.fc3(x)) * self.output_scale + self.output_mean
        return F.relu(x) * mix


# ---- Non-stationary Transformer --------------------------------------------------------------------------------------


class _Projector(nn.Module):
    """The de-stationary factors' MLP: a circular convolution over the raw series' time axis to one value a variable,
    concatenated with the series' statistic, two ReLU layers of 64 and an output of ``out``."""

    def __init__(self, length: int, variables: int, out: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(length, 1, 3, padding=1, padding_mode="circular", bias=False)
        self.mlp = nn.Sequential(nn.Linear(2 * variables, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                 nn.Linear(64, out, bias=False))

    def forward(self, x: torch.Tensor, stat: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat([self.conv(x), stat], 1).flatten(1))


class _DSLayer(nn.Module):
    """An encoder layer with the de-stationary attention ``softmax((tau Q K^T + delta) / sqrt(dh)) V`` (post-LN, a
    GELU feed-forward of 4x, dropout 0.1)."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, tau: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, self.dh).permute(2, 0, 3, 1, 4)
        s = (q @ k.transpose(-1, -2) * tau[:, None, None, None] + delta[:, None, None, :]) / math.sqrt(self.dh)
        a = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d)
        x = self.ln1(x + self.drop(self.proj(a)))
        return self.ln2(x + self.drop(self.ff(x)))


class NSTransformer(nn.Module):
    """The Non-stationary Transformer (Liu et al. 2022, "Non-stationary Transformers"), narrowed to its encoder: the
    series stationarised (each variable's mean and std over the window, ``sqrt(var + 1e-5)``), each step embedded to
    32 with a learned position, two de-stationary attention layers of 4 heads whose ``tau = exp(MLP(x, std))`` and
    ``delta = MLP(x, mean)`` come from the raw series, a Linear back to the variables and one along time to the
    horizon, the stationarisation undone; PyTorch's default init. ``eps``: the variance's eps (0: left out)."""

    def __init__(self, variables: int = 4, length: int = 48, horizon: int = 12, d: int = 32,
                 eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.embed, self.pos = nn.Linear(variables, d), nn.Parameter(torch.zeros(length, d))
        self.layers = nn.ModuleList([_DSLayer(d, 4) for _ in range(2)])
        self.tau, self.delta = _Projector(length, variables, 1), _Projector(length, variables, length)
        self.out, self.time = nn.Linear(d, variables), nn.Linear(length, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, length, variables
        mean = x.mean(1, keepdim=True).detach()
        std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + self.eps).detach()
        z = (x - mean) / std
        tau, delta = self.tau(x, std).exp().squeeze(-1), self.delta(x, mean)
        h = self.embed(z) + self.pos
        for layer in self.layers:
            h = layer(h, tau, delta)
        y = self.time(self.out(h).transpose(1, 2)).transpose(1, 2)
        return y * std + mean


# ---- Crossformer -----------------------------------------------------------------------------------------------------


class _TSA(nn.Module):
    """Crossformer's two-stage attention layer: the cross-time stage (self-attention over each variable's segments,
    LayerNorm, a GELU MLP, LayerNorm) and the cross-dimension stage through 4 learned routers per segment (the
    routers gather from the variables, the variables read from the routers, each with LayerNorm and MLP)."""

    def __init__(self, d: int, segments: int, heads: int = 4, routers: int = 4, drop: float = 0.2) -> None:
        super().__init__()
        self.time_att, self.send, self.recv = _Attention(d, heads), _Attention(d, heads), _Attention(d, heads)
        self.router = nn.Parameter(torch.randn(segments, routers, d))
        self.ln = nn.ModuleList([nn.LayerNorm(d) for _ in range(4)])
        self.mlp = nn.ModuleList([nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
                                  for _ in range(2)])
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # b, variables, segments, d
        b, v, s, d = x.shape
        t = x.reshape(b * v, s, d)
        t = self.ln[0](t + self.drop(self.time_att(t)))
        t = self.ln[1](t + self.drop(self.mlp[0](t)))
        y = t.view(b, v, s, d).transpose(1, 2).reshape(b * s, v, d)
        r = self.router.repeat(b, 1, 1)
        buf = self.send(r, kv=y)
        y = self.ln[2](y + self.drop(self.recv(y, kv=buf)))
        y = self.ln[3](y + self.drop(self.mlp[1](y)))
        return y.view(b, s, v, d).transpose(1, 2)


class Crossformer(nn.Module):
    """Crossformer (Zhang and Yan 2023, "Crossformer: Transformer utilizing cross-dimension dependency for multivariate
    time series forecasting"), narrowed to one scale: the dimension-segment-wise embedding (each variable's window cut
    into segments of 8, each segment a Linear to 32, plus a learned position per variable and segment, a LayerNorm), one
    two-stage attention layer (``layers``), and a Linear from every segment's state to the horizon, per variable;
    PyTorch's default init. ``dropout``: the attention layers' (0.2, the paper's)."""

    def __init__(self, variables: int = 4, length: int = 48, horizon: int = 12, seg: int = 8, d: int = 32,
                 layers: int = 1, dropout: float = 0.2) -> None:
        super().__init__()
        self.seg, segments = seg, length // seg
        self.embed = nn.Linear(seg, d)
        self.pos = nn.Parameter(torch.randn(1, variables, segments, d))
        self.ln = nn.LayerNorm(d)
        self.layers = nn.Sequential(*[_TSA(d, segments, drop=dropout) for _ in range(layers)])
        self.head = nn.Linear(segments * d, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, length, variables
        b, n, v = x.shape
        h = self.embed(x.transpose(1, 2).reshape(b, v, n // self.seg, self.seg)) + self.pos
        h = self.layers(self.ln(h))
        return self.head(h.flatten(2)).transpose(1, 2)
