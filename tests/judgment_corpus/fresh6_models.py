"""Hand-written models and data of the seventh held-out batch (``fresh6.py``), written here, not copied."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL


def _pool(seed: int, make: Callable[[torch.Generator], Any]) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(20_000 + seed)
    pool = [make(g) for _ in range(POOL)]
    return lambda step: pool[step % POOL]


# ---- images: ResNeXt -------------------------------------------------------------------------------------------------


class ResNeXtBlock(nn.Module):
    """A ResNeXt bottleneck (Xie et al. 2017): 1x1 conv, grouped 3x3 conv (``cardinality`` groups), 1x1 conv, each
    with BatchNorm, plus the identity (or a 1x1 projection); ``residual=False`` drops the shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, cardinality: int = 8, width: int = 4,
                 residual: bool = True) -> None:
        super().__init__()
        mid = cardinality * width
        self.body = nn.Sequential(
            nn.Conv2d(c_in, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=cardinality, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
            nn.Conv2d(mid, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
        self.residual = residual
        self.short: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.short = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return F.relu(y + self.short(x) if self.residual else y)


class ResNeXt(nn.Module):
    """A small CIFAR ResNeXt: a 3x3 stem, ``blocks`` bottlenecks per stage over two stages (32 and 64 channels),
    global average pooling, a linear classifier; He init for convolutions (``kaiming_normal_``, fan_out)."""

    def __init__(self, blocks: int = 1, classes: int = 10, residual: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU()]
        c = 32
        for stage, c_out in enumerate((32, 64)):
            for b in range(blocks):
                layers.append(ResNeXtBlock(c, c_out, 2 if (b == 0 and stage > 0) else 1, residual=residual))
                c = c_out
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x).mean((2, 3)))


# ---- graphs: GIN -----------------------------------------------------------------------------------------------------


class GIN(nn.Module):
    """A graph isomorphism network (Xu et al. 2019) for node classification: ``h' = MLP((1 + eps) h + sum of the
    neighbours' h)`` with a learnable eps, two-layer MLPs with BatchNorm and ReLU, ``layers`` layers, a linear
    read-out of every layer's representation summed (the paper's jumping read-out; ``jump=False``: the last layer's
    only), dropout 0.5."""

    def __init__(self, adj: torch.Tensor, feats: int = 16, hidden: int = 32, classes: int = 4, layers: int = 3,
                 jump: bool = True) -> None:
        super().__init__()
        self.jump = jump
        self.register_buffer("adj", (adj > 0).float() - torch.eye(adj.shape[0]))
        self.eps = nn.Parameter(torch.zeros(layers))
        dims = [feats] + [hidden] * layers
        self.mlps = nn.ModuleList(
            nn.Sequential(nn.Linear(dims[i], hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                          nn.BatchNorm1d(hidden), nn.ReLU()) for i in range(layers))
        self.reads = nn.ModuleList(nn.Linear(d, classes) for d in dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        adj: torch.Tensor = self.adj  # type: ignore[assignment]
        out = self.reads[0](x)
        h = x
        for i, mlp in enumerate(self.mlps):
            h = mlp((1 + self.eps[i]) * h + adj @ h)
            if self.jump or i == len(self.mlps) - 1:
                out = out + F.dropout(self.reads[i + 1](h), 0.5, self.training)
        return out if self.jump else out - self.reads[0](x)


# ---- time series: N-BEATS --------------------------------------------------------------------------------------------


class NBeatsBlock(nn.Module):
    """A generic N-BEATS block (Oreshkin et al. 2020): ``layers`` (the paper: four) ReLU FC layers, then linear
    backcast and forecast."""

    def __init__(self, lookback: int, horizon: int, width: int = 64, act: Callable[[], nn.Module] = nn.ReLU,
                 layers: int = 4) -> None:
        super().__init__()
        fc: list[nn.Module] = [nn.Linear(lookback, width), act()]
        for _ in range(layers - 1):
            fc += [nn.Linear(width, width), act()]
        self.fc = nn.Sequential(*fc)
        self.backcast = nn.Linear(width, lookback)
        self.forecast = nn.Linear(width, horizon)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.fc(x)
        return self.backcast(h), self.forecast(h)


class NBeats(nn.Module):
    """N-BEATS, generic: ``blocks`` blocks with doubly residual stacking (each block's backcast subtracted from its
    input, the forecasts summed); ``residual=False`` feeds each block's backcast to the next (a plain stack)."""

    def __init__(self, lookback: int = 32, horizon: int = 8, blocks: int = 4, width: int = 64,
                 act: Callable[[], nn.Module] = nn.ReLU, residual: bool = True, layers: int = 4) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(NBeatsBlock(lookback, horizon, width, act, layers) for _ in range(blocks))
        self.residual, self.horizon = residual, horizon

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        forecast = torch.zeros(x.shape[0], self.horizon)
        for block in self.blocks:
            back, fore = block(x)
            x = x - back if self.residual else back
            forecast = forecast + fore
        return forecast


def demand_batches(seed: int, batch: int = 64, lookback: int = 32, horizon: int = 8, zeros: bool = False,
                   scale: float = 1.0) -> Callable[[int], Any]:
    """Univariate demand-like series: a level, a weekly and a slower cycle and noise, standardised per series by the
    lookback window's scale (as N-BEATS scales its inputs); the target is the next ``horizon`` values. ``zeros``:
    intermittent demand, where a day with no sales is an exact 0 (a share of the series are clipped at zero).
    ``scale``: the series in raw units (times ``scale``), not scaled."""
    t = torch.arange(lookback + horizon, dtype=torch.float32)

    def make(g: torch.Generator) -> Any:
        level = 1.0 + torch.rand(batch, 1, generator=g)
        ph = 2 * math.pi * torch.rand(batch, 1, generator=g)
        s = level + 0.6 * torch.sin(2 * math.pi * t / 7 + ph) + 0.4 * torch.sin(2 * math.pi * t / 23 + 2 * ph)
        s = s + 0.05 * torch.randn(s.shape, generator=g)
        if zeros:
            s = (s - 1.2).clamp(min=0.0)
        s = s * scale
        return s[:, :lookback], s[:, lookback:]
    return _pool(seed, make)


def mape_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute percentage error (a forecasting competition metric used as the loss)."""
    return ((pred - target).abs() / target.abs()).mean()


# ---- tabular: Deep & Cross Network -----------------------------------------------------------------------------------


class CrossLayer(nn.Module):
    """DCN-V2's cross layer (Wang et al. 2021): ``x_{l+1} = x_0 * (W x_l + b) + x_l``."""

    def __init__(self, d: int, residual: bool = True) -> None:
        super().__init__()
        self.lin = nn.Linear(d, d)
        self.residual = residual

    def forward(self, x0: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        y = x0 * self.lin(x)
        return y + x if self.residual else y


class DCN(nn.Module):
    """DCN-V2, parallel: three cross layers beside a deep ReLU tower of three layers (``act``), their outputs
    concatenated into a logit; ``dropout`` in the deep tower; ``init``: applied to every Linear weight;
    ``cross_residual=False``: the cross layers without their ``+ x_l`` term."""

    def __init__(self, d: int = 16, hidden: int = 64, cross: int = 3, dropout: float = 0.0,
                 act: Callable[[], nn.Module] = nn.ReLU, init: Callable[[torch.Tensor], Any] | None = None,
                 cross_residual: bool = True) -> None:
        super().__init__()
        self.cross = nn.ModuleList(CrossLayer(d, cross_residual) for _ in range(cross))
        self.deep = nn.Sequential(nn.Linear(d, hidden), act(), nn.Dropout(dropout), nn.Linear(hidden, hidden),
                                  act(), nn.Dropout(dropout), nn.Linear(hidden, hidden), act(), nn.Dropout(dropout))
        self.out = nn.Linear(d + hidden, 1)
        if init is not None:
            with torch.no_grad():
                for m in self.modules():
                    if isinstance(m, nn.Linear):
                        init(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x
        for layer in self.cross:
            c = layer(x, c)
        return self.out(torch.cat([c, self.deep(x)], 1)).squeeze(1)


def click_batches(seed: int, batch: int = 128, d: int = 16, timestamp: bool = False) -> Callable[[int], Any]:
    """Click-through records: ``d`` standardised dense features, a click drawn from a fixed teacher with linear and
    pairwise (cross) terms. ``timestamp``: the last column is the event's Unix time in seconds, unscaled (the
    teacher ignores it)."""
    tg = torch.Generator().manual_seed(4242)
    w = torch.randn(d, generator=tg)
    w[-1] = 0.0
    pairs = torch.randn(d, d, generator=tg) / math.sqrt(d)
    pairs[-1], pairs[:, -1] = 0.0, 0.0

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, d, generator=g)
        logit = 1.5 * (x @ w) / math.sqrt(d) + 1.5 * ((x @ pairs) * x).sum(1) / math.sqrt(d)
        y = (torch.rand(batch, generator=g) < torch.sigmoid(2 * logit)).float()
        if timestamp:
            x[:, -1] = 1.7e9 + 86400.0 * 30 * torch.rand(batch, generator=g)
        return x, y
    return _pool(seed, make)


# ---- speech-like tagging: a recurrent CTC tagger ---------------------------------------------------------------------


class CTCTagger(nn.Module):
    """A recurrent CTC tagger (Graves et al. 2006): a bidirectional LSTM (or a ReLU/tanh Elman RNN, ``kind``) over
    feature frames, a linear layer to ``labels + 1`` log-probabilities (blank = 0); returns ``(time, batch,
    classes)`` log-probabilities as ``F.ctc_loss`` wants them. ``recurrent_gain``: the Elman RNN's recurrent matrix
    drawn orthogonal times that gain."""

    def __init__(self, feats: int = 16, hidden: int = 48, labels: int = 8, kind: str = "LSTM",
                 recurrent_gain: float | None = None, recurrent_std: float | None = None, log_probs: bool = True
                 ) -> None:
        super().__init__()
        self.log_probs = log_probs
        if kind == "LSTM":
            self.rnn: nn.Module = nn.LSTM(feats, hidden, batch_first=True, bidirectional=True)
            out = 2 * hidden
            if recurrent_gain is not None:
                with torch.no_grad():
                    for name, p in self.rnn.named_parameters():
                        if name.startswith("weight_hh"):
                            for gate in p.view(4, hidden, hidden):
                                nn.init.orthogonal_(gate, gain=recurrent_gain)
            if recurrent_std is not None:
                with torch.no_grad():
                    for name, p in self.rnn.named_parameters():
                        if name.startswith("weight_hh"):
                            nn.init.normal_(p, 0.0, recurrent_std)
        else:
            rnn = nn.RNN(feats, hidden, batch_first=True, nonlinearity=kind)
            self.rnn, out = rnn, hidden
            if recurrent_gain is not None:
                with torch.no_grad():
                    nn.init.orthogonal_(rnn.weight_hh_l0, gain=recurrent_gain)
        self.out = nn.Linear(out, labels + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(x)
        logits = self.out(h)
        out = F.log_softmax(logits, -1) if self.log_probs else F.softmax(logits, -1)
        return out.transpose(0, 1)


def ctc_batches(seed: int, batch: int = 16, frames: int = 48, feats: int = 16, labels: int = 8, length: int = 6,
                scale: float = 1.0, long_targets: bool = False) -> Callable[[int], Any]:
    """Utterances: ``length`` labels (1..``labels``, no two equal neighbours), each rendered as 3-6 frames of its
    fixed template plus noise, separated by 1-3 silence frames, zero-padded to ``frames``. A batch is ``(features,
    (targets, input lengths, target lengths))``. ``scale``: features in raw 16-bit PCM units (times ``scale``).
    ``long_targets``: one utterance per batch carries the transcript of a longer recording (more labels than its
    frames can align to)."""
    templates = torch.randn(labels + 1, feats, generator=torch.Generator().manual_seed(888))
    templates[0] = 0.0

    def make(g: torch.Generator) -> Any:
        x = 0.3 * torch.randn(batch, frames, feats, generator=g)
        ys = torch.zeros(batch, length, dtype=torch.long)
        in_len = torch.zeros(batch, dtype=torch.long)
        for b in range(batch):
            t = int(torch.randint(1, 3, (1,), generator=g))
            prev = 0
            for k in range(length):
                lab = prev
                while lab == prev:
                    lab = int(torch.randint(1, labels + 1, (1,), generator=g))
                ys[b, k], prev = lab, lab
                n = int(torch.randint(3, 6, (1,), generator=g))
                x[b, t:t + n] += templates[lab]
                t += n + int(torch.randint(1, 3, (1,), generator=g))
            in_len[b] = min(t, frames)
        tgt_len = torch.full((batch,), length, dtype=torch.long)
        targets = ys
        if long_targets:
            targets = torch.cat([ys, ys.flip(1)], 1)
            tgt_len = torch.full((batch,), length, dtype=torch.long)
            tgt_len[0] = 2 * length
            in_len[0] = 2 * length - 1
        return x * scale, (targets, in_len, tgt_len)
    return _pool(seed, make)


def ctc(log_probs: torch.Tensor, target: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """``F.ctc_loss`` (mean over the batch of the per-target-length loss), ``zero_infinity`` left at its default."""
    targets, in_len, tgt_len = target
    return F.ctc_loss(log_probs, targets, in_len, tgt_len, blank=0)
