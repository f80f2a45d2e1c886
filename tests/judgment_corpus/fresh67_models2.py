"""Hand-written models of the sixty-eighth held-out batch (``fresh67.py``), the audio, speech, forecasting and
event-sequence ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# ---- FFTNet ----------------------------------------------------------------------------------------------------------


class FFTNet(nn.Module):
    """FFTNet (Jin et al. 2018, "FFTNet: a real-time speaker-dependent neural vocoder"), narrowed: six FFT layers of
    32 channels, each ``z = relu(W_L x_left + W_R x_right)`` over the two halves of its window (a width-2 convolution
    of dilation 32, 16, ..., 1), then ``x = relu(W z)`` (1x1), a receptive field of 64 samples; the input is the
    mu-law sample value, a final 1x1 layer gives the 64 mu-law classes of the next sample; PyTorch's default init.
    ``init_std``: every weight drawn N(0, init_std^2); ``relu_bias``: every ``W_L``/``W_R`` bias set to that value."""

    def __init__(self, channels: int = 32, layers: int = 6, classes: int = 64, init_std: float | None = None,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.dilations = [2 ** i for i in reversed(range(layers))]
        self.splits = nn.ModuleList([nn.Conv1d(classes if i == 0 else channels, channels, 2, dilation=dil)
                                     for i, dil in enumerate(self.dilations)])
        self.mixes = nn.ModuleList([nn.Conv1d(channels, channels, 1) for _ in self.dilations])
        self.out = nn.Conv1d(channels, classes, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv1d) and init_std is not None:
                nn.init.normal_(m.weight, 0.0, init_std)
        if relu_bias is not None:
            for m in self.splits:
                nn.init.constant_(m.bias, relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (b, length) mu-law class ids
        h = F.one_hot(x, self.out.out_channels).transpose(1, 2).float()
        for split, mix in zip(self.splits, self.mixes):
            h = F.relu(mix(F.relu(split(h))))
        return self.out(h)  # (b, classes, length - 63): logits of the sample after each window


# ---- Jasper ----------------------------------------------------------------------------------------------------------


def _conv_bn(cin: int, cout: int, k: int, bn: bool) -> list[nn.Module]:
    return [nn.Conv1d(cin, cout, k, padding=k // 2, bias=not bn), nn.BatchNorm1d(cout) if bn else nn.Identity()]


class _JasperBlock(nn.Module):
    """A Jasper block: ``repeat`` sub-blocks (1-D convolution, BatchNorm, ReLU, dropout), the block's input added
    through a 1x1 convolution and BatchNorm before the last sub-block's ReLU."""

    def __init__(self, cin: int, cout: int, k: int, repeat: int, drop: float, bn: bool) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Sequential(*_conv_bn(cin if i == 0 else cout, cout, k, bn))
                                    for i in range(repeat)])
        self.res = nn.Sequential(*_conv_bn(cin, cout, 1, bn))
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for i, conv in enumerate(self.convs):
            h = conv(h)
            if i == len(self.convs) - 1:
                h = h + self.res(x)
            h = self.drop(F.relu(h))
        return h


class Jasper(nn.Module):
    """Jasper (Li et al. 2019, "Jasper: an end-to-end convolutional neural acoustic model"), narrowed: a prologue
    convolution (kernel 11, 32 channels), two blocks of two sub-blocks (kernels 13 and 15, 32 channels), the epilogue
    convolutions (kernel 17 to 64, then 1x1 to the 8 symbols and the CTC blank), BatchNorm, ReLU and dropout 0.2
    throughout; Xavier-uniform convolutions (NeMo's init). Returns ``(time, batch, classes)`` log-probabilities.
    ``bn``: keep the BatchNorms."""

    def __init__(self, nin: int = 16, d: int = 32, classes: int = 9, drop: float = 0.2, bn: bool = True) -> None:
        super().__init__()
        self.pro = nn.Sequential(*_conv_bn(nin, d, 11, bn), nn.ReLU(), nn.Dropout(drop))
        self.blocks = nn.Sequential(_JasperBlock(d, d, 13, 2, drop, bn), _JasperBlock(d, d, 15, 2, drop, bn))
        self.epi = nn.Sequential(*_conv_bn(d, 2 * d, 17, bn), nn.ReLU(), nn.Dropout(drop), nn.Conv1d(2 * d, classes, 1))
        for m in self.modules():
            if isinstance(m, nn.Conv1d):
                nn.init.xavier_uniform_(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (b, features, time)
        return F.log_softmax(self.epi(self.blocks(self.pro(x))), 1).permute(2, 0, 1)


# ---- FEDformer -------------------------------------------------------------------------------------------------------


def decompose(x: torch.Tensor, k: int = 13) -> tuple[torch.Tensor, torch.Tensor]:
    """FEDformer's series decomposition of ``(b, time, d)``: the trend a moving average of ``k`` steps (the ends
    repeated), the seasonal part the rest: ``(seasonal, trend)``."""
    pad = torch.cat([x[:, :1].expand(-1, k // 2, -1), x, x[:, -1:].expand(-1, k // 2, -1)], 1)
    trend = F.avg_pool1d(pad.transpose(1, 2), k, 1).transpose(1, 2)
    return x - trend, trend


class _FourierBlock(nn.Module):
    """FEDformer's frequency-enhanced block (FEB-f): a Linear, the FFT along time, the lowest ``modes`` frequencies
    each mixed by its own complex ``E x E`` weight per head (``scale * rand``, scale ``1 / d^2``, as the reference
    code), the inverse FFT, a Linear."""

    def __init__(self, d: int, heads: int = 4, modes: int = 8) -> None:
        super().__init__()
        self.heads, self.modes = heads, modes
        e = d // heads
        self.inp, self.out = nn.Linear(d, d), nn.Linear(d, d)
        self.weight = nn.Parameter(torch.rand(heads, e, e, modes, 2) / (d * d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q = self.inp(x).view(b, n, self.heads, -1).permute(0, 2, 3, 1)  # (b, h, e, n)
        f = torch.fft.rfft(q, dim=-1)[..., : self.modes]
        mixed = torch.einsum("bhim,himo->bhom", f, torch.view_as_complex(self.weight).permute(0, 1, 3, 2))
        y = torch.fft.irfft(mixed, n=n, dim=-1)
        return self.out(y.permute(0, 3, 1, 2).reshape(b, n, d))


class FEDformer(nn.Module):
    """FEDformer (Zhou et al. 2022, "FEDformer: frequency enhanced decomposed Transformer for long-term series
    forecasting"), narrowed to its encoder: the token embedding (a circular convolution of kernel 3 to 32), one
    encoder layer (the Fourier block, a series decomposition, the 1x1-convolution GELU feed-forward of 64, a second
    decomposition; dropout 0.05), the seasonal LayerNorm, then the decoder replaced by Linear maps along time (48 to
    16 steps) of the encoder's seasonal output (projected back to the variables) and of the input's trend;
    PyTorch's default init."""

    def __init__(self, variables: int = 3, d: int = 32, inp: int = 48, out: int = 16) -> None:
        super().__init__()
        self.embed = nn.Conv1d(variables, d, 3, padding=1, padding_mode="circular", bias=False)
        self.feb = _FourierBlock(d)
        self.ff1, self.ff2 = nn.Conv1d(d, 2 * d, 1, bias=False), nn.Conv1d(2 * d, d, 1, bias=False)
        self.norm = nn.LayerNorm(d)
        self.drop = nn.Dropout(0.05)
        self.season_time, self.season_proj = nn.Linear(inp, out), nn.Linear(d, variables)
        self.trend_time = nn.Linear(inp, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (b, 48, variables) -> (b, 16, variables)
        seasonal, trend = decompose(x)
        h = self.drop(self.embed(seasonal.transpose(1, 2)).transpose(1, 2))
        h, _ = decompose(h + self.drop(self.feb(h)))
        y = self.drop(self.ff2(self.drop(F.gelu(self.ff1(h.transpose(1, 2)))))).transpose(1, 2)
        h, _ = decompose(h + y)
        h = self.norm(h)
        h = h - h.mean(1, keepdim=True)
        season = self.season_proj(self.season_time(h.transpose(1, 2)).transpose(1, 2))
        return season + self.trend_time(trend.transpose(1, 2)).transpose(1, 2)


# ---- LogNormMix ------------------------------------------------------------------------------------------------------


class LogNormMix(nn.Module):
    """The intensity-free LogNormMix model (Shchur, Bilos and Guennemann 2020, "Intensity-free learning of temporal
    point processes"), narrowed: each event's mark embedded to 32 beside its standardised log inter-event time, a GRU
    of 64 over the history (packed by the sequences' lengths), and from each context the next interval's mixture of
    16 log-normals (weights, means, log-scales from one Linear) and the next mark's softmax. Returns the per-event
    negative log-likelihoods (interval plus mark) and the mask of real events."""

    def __init__(self, marks: int = 4, emb: int = 32, hidden: int = 64, components: int = 16, mean_log: float = 0.0,
                 std_log: float = 1.0) -> None:
        super().__init__()
        self.emb = nn.Embedding(marks, emb)
        self.gru = nn.GRU(emb + 1, hidden, batch_first=True)
        self.mix, self.mark = nn.Linear(hidden, 3 * components), nn.Linear(hidden, marks)
        self.mean_log, self.std_log = mean_log, std_log

    def forward(self, events: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        tau, marks, lengths = events  # (b, n) intervals, (b, n) marks, (b,) numbers of events
        log_tau = torch.log(tau)
        feats = torch.cat([self.emb(marks), ((log_tau - self.mean_log) / self.std_log)[..., None]], -1)
        inp, n = feats[:, :-1], feats.shape[1] - 1
        packed = pack_padded_sequence(inp, lengths - 1, batch_first=True, enforce_sorted=False)
        ctx, _ = pad_packed_sequence(self.gru(packed)[0], batch_first=True, total_length=n)
        w, mu, log_s = self.mix(ctx).chunk(3, -1)
        x = ((log_tau[:, 1:] - self.mean_log) / self.std_log)[..., None]
        log_normal = -((x - mu) ** 2) / (2 * torch.exp(2 * log_s)) - log_s - 0.5 * math.log(2 * math.pi)
        nll_time = -(torch.logsumexp(F.log_softmax(w, -1) + log_normal, -1) - log_tau[:, 1:] - math.log(self.std_log))
        nll_mark = F.cross_entropy(self.mark(ctx).transpose(1, 2), marks[:, 1:], reduction="none")
        mask = torch.arange(n)[None] < (lengths - 1)[:, None]
        return nll_time + nll_mark, mask
