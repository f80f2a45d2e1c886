"""Hand-written models of the fifty-eighth held-out batch (``fresh57.py``), event-sequence, speech and time-series
ones: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default). The text and session models are in ``fresh57_models.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- Transformer Hawkes Process --------------------------------------------------------------------------------------


class THP(nn.Module):
    """The Transformer Hawkes Process (Zuo et al. 2020), narrowed: event types 1..K embedded to 32 (pad 0), the
    temporal encoding ``sin / cos(t / 10000^(2i / d))`` added before each of two post-LN encoder layers (4 heads, a
    GELU feed-forward of 64, dropout 0.1) under the causal and key-padding masks, the padded positions zeroed after
    each layer by multiplying with the non-pad mask (``enc_output *= non_pad_mask`` as the reference code), a linear
    map of the states to the K types for the intensities and to the type prediction. PyTorch's default init.

    ``additive_pad_mask``: the float key-padding mask built for the attention (0 at events, -inf at pads) is the one
    multiplied in after each layer, where the 1/0 non-pad mask belongs. ``norm``: False leaves the LayerNorms out
    (measured, no case uses it)."""

    def __init__(self, types: int = 4, d: int = 32, heads: int = 4, layers: int = 2,
                 additive_pad_mask: bool = False, norm: bool = True) -> None:
        super().__init__()
        self.d, self.additive_pad_mask = d, additive_pad_mask
        self.emb = nn.Embedding(types + 1, d, padding_idx=0)
        self.layers = nn.ModuleList([nn.TransformerEncoderLayer(d, heads, 2 * d, 0.1, activation="gelu",
                                                                batch_first=True) for _ in range(layers)])
        if not norm:
            for layer in self.layers:
                layer.norm1, layer.norm2 = nn.Identity(), nn.Identity()
        self.register_buffer("freq", torch.tensor([10000.0 ** (2.0 * (i // 2) / d) for i in range(d)]))
        self.hid = nn.Linear(d, types)  # the intensities' w_k^T h_j + b_k
        self.alpha = nn.Parameter(torch.full((types,), -0.1))
        self.pred = nn.Linear(d, types)  # the next type

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, ...]:
        types, times = inp  # b, n (types 1..K, 0 = pad; times 0 at pads)
        pad = types == 0
        non_pad = (~pad).float().unsqueeze(-1)
        add_mask = torch.zeros_like(non_pad).masked_fill(pad.unsqueeze(-1), float("-inf"))
        keep = add_mask if self.additive_pad_mask else non_pad
        r = times.unsqueeze(-1) / self.freq
        tem = torch.where(torch.arange(self.d) % 2 == 0, torch.sin(r), torch.cos(r)) * non_pad
        n = types.shape[1]
        causal = torch.triu(torch.ones(n, n, dtype=torch.bool), 1)
        x = self.emb(types)
        for layer in self.layers:
            x = layer(x + tem, src_mask=causal, src_key_padding_mask=pad)
            x = x * keep
        return self.hid(x), self.alpha, self.pred(x)


# ---- Listen, Attend and Spell ----------------------------------------------------------------------------------------


class LAS(nn.Module):
    """Listen, Attend and Spell (Chan et al. 2016), narrowed: the listener a BLSTM of 32 a direction then one pyramidal
    BLSTM of 32 over pairs of frames concatenated (half the frame rate); the speller an LSTM cell of 64 fed the
    previous character's embedding (16) and the previous context, the attention ``softmax(<phi(s_i), psi(h_u)>)``
    with one-layer ReLU MLPs ``phi``, ``psi`` of 64, a ReLU MLP of 64 on ``[s_i; c_i]`` to the characters and
    <eos>; teacher forcing. Every weight U(-0.1, 0.1) (the paper's init).

    ``time_masks``: SpecAugment time masks applied to the training inputs, ``(count, width bound W, fraction p)``:
    each mask ``w = floor(u W)`` frames (``u ~ U(0, 1)``), at most ``p`` times the frames, at a random start."""

    def __init__(self, feats: int = 16, chars: int = 17, d: int = 32, time_masks: tuple[int, int, float] | None = None
                 ) -> None:
        super().__init__()
        self.chars, self.time_masks = chars, time_masks
        self.l1 = nn.LSTM(feats, d, batch_first=True, bidirectional=True)
        self.l2 = nn.LSTM(4 * d, d, batch_first=True, bidirectional=True)
        self.emb = nn.Embedding(chars + 1, 16)  # the last id is <sos>
        self.cell = nn.LSTMCell(16 + 2 * d, 2 * d)
        self.phi = nn.Sequential(nn.Linear(2 * d, 2 * d), nn.ReLU())
        self.psi = nn.Sequential(nn.Linear(2 * d, 2 * d), nn.ReLU())
        self.out = nn.Sequential(nn.Linear(4 * d, 2 * d), nn.ReLU(), nn.Linear(2 * d, chars))
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-0.1, 0.1)

    def _spec_augment(self, x: torch.Tensor) -> torch.Tensor:
        count, width, frac = self.time_masks
        b, t, _ = x.shape
        keep = torch.ones(b, t)
        pos = torch.arange(t)
        for _ in range(count):
            w = (torch.rand(b) * width).floor().clamp_max(math.floor(frac * t))
            start = (torch.rand(b) * (t - w).clamp_min(0)).floor()
            keep = keep * ~((pos >= start[:, None]) & (pos < (start + w)[:, None]))
        return x * keep.unsqueeze(-1)

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, dec_in = inp  # x: b, t, feats; dec_in: b, u (<sos> then the transcript without its <eos>)
        if self.time_masks is not None and self.training:
            x = self._spec_augment(x)
        h, _ = self.l1(x)
        b, t, c = h.shape
        h, _ = self.l2(h.reshape(b, t // 2, 2 * c))
        keys = self.psi(h)
        s = torch.zeros(b, self.cell.hidden_size)
        cs = torch.zeros_like(s)
        ctx = torch.zeros(b, h.shape[-1])
        outs = []
        for i in range(dec_in.shape[1]):
            s, cs = self.cell(torch.cat([self.emb(dec_in[:, i]), ctx], -1), (s, cs))
            a = torch.softmax((keys @ self.phi(s).unsqueeze(-1)).squeeze(-1), -1)
            ctx = (a.unsqueeze(-1) * h).sum(1)
            outs.append(self.out(torch.cat([s, ctx], -1)))
        return torch.stack(outs, 1)


# ---- MICN ------------------------------------------------------------------------------------------------------------


class _MIC(nn.Module):
    """One multi-scale isometric convolution layer: per scale a strided down-sampling convolution, the isometric
    convolution over the zero-padded sequence, a transposed up-sampling convolution (tanh after each, LayerNorm
    residuals), the scales merged by a Conv2d, then the feed-forward."""

    def __init__(self, d: int, length: int, kernels: tuple[int, ...], norm: bool = True) -> None:
        super().__init__()
        self.length = length
        self.down = nn.ModuleList([nn.Conv1d(d, d, k, stride=k, padding=k // 2) for k in kernels])
        iso = [(length + 2 * (k // 2) - k) // k + 1 for k in kernels]
        self.iso = nn.ModuleList([nn.Conv1d(d, d, n) for n in iso])
        self.up = nn.ModuleList([nn.ConvTranspose1d(d, d, k, stride=k) for k in kernels])
        self.merge = nn.Conv2d(d, d, (len(kernels), 1))
        self.ff1, self.ff2 = nn.Conv1d(d, 4 * d, 1), nn.Conv1d(4 * d, d, 1)
        self.norm = nn.LayerNorm(d) if norm else nn.Identity()
        self.norm_ff = nn.LayerNorm(d) if norm else nn.Identity()
        self.drop = nn.Dropout(0.05)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # b, length, d
        outs = []
        for down, iso, up in zip(self.down, self.iso, self.up):
            x1 = self.drop(torch.tanh(down(x.transpose(1, 2))))
            y = F.pad(x1, (x1.shape[2] - 1, 0))
            y = self.drop(torch.tanh(iso(y)))
            y = self.norm((y + x1).transpose(1, 2)).transpose(1, 2)
            y = self.drop(torch.tanh(up(y)))[:, :, : self.length]
            outs.append(self.norm(y.transpose(1, 2) + x))
        m = self.merge(torch.stack([o.transpose(1, 2) for o in outs], -2)).squeeze(-2).transpose(1, 2)
        y = self.ff2(self.drop(torch.tanh(self.ff1(m.transpose(1, 2))))).transpose(1, 2)
        return self.norm_ff(m + self.drop(y))


class MICN(nn.Module):
    """MICN (Wang et al. 2023), narrowed to one variable: the series decomposition (moving averages of 13 and 25
    averaged), the trend forecast by the regression ``Linear(48, 24)`` started at ``1 / 24`` (the reference code's
    MICN-regre), the seasonal part padded with 24 zeros, embedded to 16 (a circular token convolution and sine
    positions, dropout 0.05), one MIC layer at the scales 12 and 16, a linear projection; the seasonal forecast plus
    the trend's. PyTorch's default init otherwise."""

    def __init__(self, seq: int = 48, pred: int = 24, d: int = 16, kernels: tuple[int, ...] = (12, 16),
                 norm: bool = True) -> None:
        super().__init__()
        self.seq, self.pred = seq, pred
        self.regression = nn.Linear(seq, pred)
        with torch.no_grad():
            self.regression.weight.fill_(1.0 / pred)
        self.token = nn.Conv1d(1, d, 3, padding=1, padding_mode="circular", bias=False)
        pos = torch.arange(seq + pred).float()[:, None] / torch.tensor([10000.0 ** (2 * (i // 2) / d)
                                                                        for i in range(d)])
        self.register_buffer("pos", torch.where(torch.arange(d) % 2 == 0, torch.sin(pos), torch.cos(pos)))
        self.mic = _MIC(d, seq + pred, kernels, norm)
        self.proj = nn.Linear(d, 1)
        self.drop = nn.Dropout(0.05)

    @staticmethod
    def _avg(x: torch.Tensor, k: int) -> torch.Tensor:
        pad = torch.cat([x[:, :1].expand(-1, (k - 1) // 2), x, x[:, -1:].expand(-1, (k - 1) // 2)], 1)
        return F.avg_pool1d(pad.unsqueeze(1), k, 1).squeeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # b, seq
        trend = (self._avg(x, 13) + self._avg(x, 25)) / 2
        seasonal = torch.cat([x - trend, torch.zeros(x.shape[0], self.pred)], 1)
        e = self.drop(self.token(seasonal.unsqueeze(1)).transpose(1, 2) + self.pos)
        out = self.proj(self.mic(e)).squeeze(-1)[:, -self.pred:]
        return out + self.regression(trend)


# ---- Deep clustering -------------------------------------------------------------------------------------------------


class DeepClustering(nn.Module):
    """Deep clustering (Hershey et al. 2016), narrowed: the log-magnitude mixture spectrogram (32 bins a frame) through
    two BLSTM layers of 32 a direction, a linear map to a 16-dimensional embedding per time-frequency bin, tanh, each
    embedding normalised to unit length. PyTorch's default init.

    ``log_eps``: the floor added before the log-magnitude (0: ``log`` of the raw magnitude). ``unit_dim``: the
    axis of the unit normalisation (-1, the embedding's; 1 is the time-frequency axis of the ``(b, t * bins, emb)``
    tensor: each embedding dimension normalised over the bins)."""

    def __init__(self, bins: int = 32, d: int = 32, emb: int = 16, log_eps: float = 1e-6, unit_dim: int = -1) -> None:
        super().__init__()
        self.bins, self.embd, self.log_eps, self.unit_dim = bins, emb, log_eps, unit_dim
        self.blstm = nn.LSTM(bins, d, num_layers=2, batch_first=True, bidirectional=True)
        self.lin = nn.Linear(2 * d, bins * emb)

    def forward(self, mag: torch.Tensor) -> torch.Tensor:  # b, t, bins (magnitudes); returns b, t * bins, emb
        h, _ = self.blstm(torch.log(mag + self.log_eps) if self.log_eps else torch.log(mag))
        v = torch.tanh(self.lin(h)).reshape(mag.shape[0], -1, self.embd)
        return F.normalize(v, dim=self.unit_dim)


def affinity_loss(v: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Deep clustering's objective ``|V V^T - Y Y^T|_F^2`` in its low-rank form ``|V^T V|^2 - 2 |V^T Y|^2 + |Y^T
    Y|^2`` over the real (unpadded) bins (``w`` 1 there, 0 at the padded frames), divided by their count squared."""
    v, y = v * w.unsqueeze(-1), y * w.unsqueeze(-1)
    n2 = w.sum(1) ** 2
    vv = (v.transpose(1, 2) @ v).pow(2).sum((1, 2))
    vy = (v.transpose(1, 2) @ y).pow(2).sum((1, 2))
    yy = (y.transpose(1, 2) @ y).pow(2).sum((1, 2))
    return ((vv - 2 * vy + yy) / n2).mean()
