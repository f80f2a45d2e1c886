"""Hand-written models of the forty-sixth held-out batch (``fresh45.py``), time-series, handwriting, music and
behaviour-cloning ones: small versions of published architectures new to the corpus, each with the switches its
broken variants need (one fault each, off by default). The 3-D and imaging models are in ``fresh45_models.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- TempCNN ---------------------------------------------------------------------------------------------------------


class TempCNN(nn.Module):
    """TempCNN (Pelletier, Webb and Petitjean 2019, "Temporal convolutional neural network for the classification of
    satellite image time series"): three 1-D convolutions of 64 filters of size 5 over the dates, each with
    BatchNorm, ReLU and dropout 0.2 (set here), then Flatten, Dense 256 with BatchNorm, ReLU and dropout 0.2, and the
    class layer; Keras' default init (Glorot-uniform weights, zero biases; BatchNorms at 1 and 0). ``init_by_dim``: that
    init written as a loop over the parameters, ``xavier_uniform_(p) if p.dim() > 1 else zeros_(p)`` (meant to zero
    the biases, it zeroes every BatchNorm's gain too)."""

    def __init__(self, channels: int = 5, length: int = 24, classes: int = 6, init_by_dim: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for a in (channels, 64, 64):
            layers += [nn.Conv1d(a, 64, 5, padding=2), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.2)]
        self.convs = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(64 * length, 256), nn.BatchNorm1d(256), nn.ReLU(),
                                nn.Dropout(0.2), nn.Linear(256, classes))
        with torch.no_grad():
            if init_by_dim:
                for p in self.parameters():
                    if p.dim() > 1:
                        nn.init.xavier_uniform_(p)
                    else:
                        nn.init.zeros_(p)
            else:
                for m in self.modules():
                    if isinstance(m, (nn.Conv1d, nn.Linear)):
                        nn.init.xavier_uniform_(m.weight)
                        nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.convs(x))


# ---- Gated-CNN-BLSTM handwriting recogniser --------------------------------------------------------------------------


class _Gate(nn.Module):
    """Bluche and Messina's gate: ``x * sigmoid(conv3x3(x))`` over the same channels."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.conv(x))


class GatedHTR(nn.Module):
    """The gated convolutional recurrent recogniser of Bluche and Messina (2017, "Gated convolutional recurrent neural
    networks for multilingual handwriting recognition"), narrowed to 16-pixel lines: convolutions 8 (3x3, stride 2),
    16, 32 (stride 2 in height) and 64 with tanh, the gates after the second and third, a max over the height, two
    bidirectional LSTM layers of 32 and a Linear to the characters and CTC's blank; PyTorch's default init.
    ``rec_std``: every LSTM recurrent matrix drawn N(0, rec_std^2)."""

    def __init__(self, chars: int = 8, rec_std: float | None = None) -> None:
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 8, 3, 2, 1), nn.Conv2d(8, 16, 3, 1, 1)
        self.c3, self.c4 = nn.Conv2d(16, 32, 3, (2, 1), 1), nn.Conv2d(32, 64, 3, 1, 1)
        self.g2, self.g3 = _Gate(16), _Gate(32)
        self.lstm = nn.LSTM(64, 32, num_layers=2, bidirectional=True)
        self.fc = nn.Linear(64, chars + 1)
        if rec_std is not None:
            with torch.no_grad():
                for name, p in self.lstm.named_parameters():
                    if name.startswith("weight_hh"):
                        p.normal_(0.0, rec_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.c1(x))
        h = self.g2(torch.tanh(self.c2(h)))
        h = self.g3(torch.tanh(self.c3(h)))
        h = torch.tanh(self.c4(h)).amax(2).permute(2, 0, 1)  # (frames, batch, 64)
        return self.fc(self.lstm(h)[0]).log_softmax(-1)


# ---- Music Transformer -----------------------------------------------------------------------------------------------


class _RelAttention(nn.Module):
    """Causal multi-head self-attention with Shaw-style relative position logits computed by Huang et al.'s "skewing"
    (``Q E_r^T`` padded by one column, reshaped, its first row dropped), one learned embedding per relative distance
    and layer, shared by the heads."""

    def __init__(self, d: int, heads: int, length: int, drop: float) -> None:
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.rel = nn.Parameter(torch.randn(length, self.dh) * self.dh ** -0.5)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        qe = q @ self.rel[-n:].T  # (b, h, n, n): column j is the distance j - (n - 1)
        srel = F.pad(qe, (1, 0)).reshape(b, self.h, n + 1, n)[:, :, 1:]
        s = (q @ k.transpose(-1, -2) + srel) / math.sqrt(self.dh)
        s = s.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
        y = (self.drop(s.softmax(-1)) @ v).transpose(1, 2).reshape(b, n, d)
        return self.out(y)


class MusicTransformer(nn.Module):
    """The Music Transformer (Huang et al. 2018, "Music Transformer"), narrowed: token embeddings of 64 (pad id 0,
    ``padding_idx``) scaled by ``sqrt(d)``, relative attention only (no absolute timing signal), two post-LN blocks
    (4 heads, a ReLU feed-forward of 256, dropout 0.1) and the softmax tied to the embedding (tensor2tensor's shared
    embedding and softmax weights); embeddings N(0, d^-1/2) with the pad row zero, Linears Xavier-uniform with zero
    biases (set here). ``init_std``: every embedding and Linear drawn N(0, init_std^2) instead;
    ``zero_head``: the output projection zero-initialised (``nn.init.zeros_(self.head.weight)``, the zero-init-the-
    logits habit) after it was tied, which zeroes the shared embedding table; ``unit_rows``: the embeddings left at
    ``nn.Embedding``'s N(0, 1) (its pad row zeroed) and each row divided by its norm, ``w / w.norm(dim=-1)`` (the pad
    row's ``0 / 0``)."""

    def __init__(self, vocab: int = 32, d: int = 64, heads: int = 4, blocks: int = 2, length: int = 32,
                 drop: float = 0.1, init_std: float | None = None, zero_head: bool = False,
                 unit_rows: bool = False) -> None:
        super().__init__()
        self.d = d
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.drop = nn.Dropout(drop)
        self.attn = nn.ModuleList([_RelAttention(d, heads, length, drop) for _ in range(blocks)])
        self.ff = nn.ModuleList([nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(), nn.Dropout(drop), nn.Linear(4 * d, d))
                                 for _ in range(blocks)])
        self.ln1 = nn.ModuleList([nn.LayerNorm(d) for _ in range(blocks)])
        self.ln2 = nn.ModuleList([nn.LayerNorm(d) for _ in range(blocks)])
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.emb.weight
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Linear) and m is not self.head:
                    if init_std is None:
                        nn.init.xavier_uniform_(m.weight)
                    else:
                        m.weight.normal_(0.0, init_std)
                    nn.init.zeros_(m.bias)
            if unit_rows:
                self.emb.weight.normal_()
                self.emb.weight[0] = 0.0
                self.emb.weight /= self.emb.weight.norm(dim=-1, keepdim=True)
            else:
                self.emb.weight.normal_(0.0, d ** -0.5 if init_std is None else init_std)
                self.emb.weight[0] = 0.0
            if zero_head:
                nn.init.zeros_(self.head.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(self.emb(x) * math.sqrt(self.d))
        for attn, ff, ln1, ln2 in zip(self.attn, self.ff, self.ln1, self.ln2):
            h = ln1(h + self.drop(attn(h)))
            h = ln2(h + self.drop(ff(h)))
        return self.head(h)


# ---- Implicit behavioural cloning --------------------------------------------------------------------------------


class ImplicitBC(nn.Module):
    """Implicit behavioural cloning (Florence et al. 2021, "Implicit behavioral cloning"), its MLP energy model
    narrowed: the observation and a candidate action concatenated through ``hidden`` ReLU layers of 64 (the paper's
    MLP is wider) to one energy; PyTorch's default init. ``forward`` takes the observations ``(b, obs)`` and the
    candidate actions ``(b, m, act)`` and returns the negated energies ``(b, m)``, InfoNCE's logits."""

    def __init__(self, obs: int = 4, act: int = 2, width: int = 64, hidden: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for a in [obs + act] + [width] * (hidden - 1):
            layers += [nn.Linear(a, width), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        o, a = inputs
        return -self.net(torch.cat([o[:, None].expand(-1, a.shape[1], -1), a], -1))[..., 0]
