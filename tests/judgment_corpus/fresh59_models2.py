"""Hand-written models of the sixtieth held-out batch (``fresh59.py``), sensor, audio and geospatial ones: small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default). The tabular, recommender and forecasting models are in ``fresh59_models.py``."""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- DeepConvLSTM ----------------------------------------------------------------------------------------------------


class DeepConvLSTM(nn.Module):
    """DeepConvLSTM (Ordonez and Roggen 2016, "Deep convolutional and LSTM recurrent neural networks for multimodal
    wearable activity recognition"), narrowed: four convolutions along time (kernel 5, no padding, ReLU; 32 filters
    where the paper has 64), two LSTM layers of 32 cells (the paper's 128), dropout 0.5 and a softmax layer on the
    last step's state; PyTorch's default init. ``init_std``: every convolution, LSTM and Linear weight drawn
    N(0, init_std^2) instead; ``forget_bias``: the LSTMs' forget-gate biases (both of each layer's halves) set so
    that their sum is that value."""

    def __init__(self, channels: int = 6, classes: int = 5, filters: int = 32, cells: int = 32,
                 init_std: float | None = None, forget_bias: float | None = None) -> None:
        super().__init__()
        convs: list[nn.Module] = []
        for k in range(4):
            convs += [nn.Conv1d(channels if k == 0 else filters, filters, 5), nn.ReLU()]
        self.convs = nn.Sequential(*convs)
        self.lstm = nn.LSTM(filters, cells, num_layers=2, batch_first=True)
        self.drop, self.out = nn.Dropout(0.5), nn.Linear(cells, classes)
        with torch.no_grad():
            if init_std is not None:
                for name, p in self.named_parameters():
                    if "weight" in name:
                        p.normal_(0.0, init_std)
            if forget_bias is not None:
                for name, p in self.lstm.named_parameters():
                    if "bias" in name:
                        p[cells:2 * cells] = forget_bias / 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (b, time, channels)
        h = self.convs(x.transpose(1, 2)).transpose(1, 2)
        return self.out(self.drop(self.lstm(h)[0][:, -1]))


# ---- GE2E ------------------------------------------------------------------------------------------------------------


class GE2E(nn.Module):
    """The speaker-verification d-vector network trained with the generalised end-to-end loss (Wan et al. 2018),
    narrowed: an LSTM of two layers of 64 cells with projections of 32 (the paper's three of 768 with 256) over the
    log-mel frames, the last frame's output L2-normalised as the embedding; the similarity ``w cos(e, c) + b`` with
    ``w = 10``, ``b = -5`` at the start (the paper's). PyTorch's default init."""

    def __init__(self, mels: int = 40, cells: int = 64, proj: int = 32) -> None:
        super().__init__()
        self.lstm = nn.LSTM(mels, cells, num_layers=2, batch_first=True, proj_size=proj)
        self.w, self.b = nn.Parameter(torch.tensor(10.0)), nn.Parameter(torch.tensor(-5.0))

    def forward(self, x: torch.Tensor, normalise: bool = True) -> torch.Tensor:  # x: (speakers * utterances, ...)
        e = self.lstm(x)[0][:, -1]
        return F.normalize(e, dim=-1) if normalise else e


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a * b).sum(-1)


def ge2e_softmax_loss(model: GE2E, x: torch.Tensor, speakers: int, normalise: bool = True) -> torch.Tensor:
    """The GE2E softmax loss over ``speakers`` x ``utterances`` embeddings (listed speaker by speaker): each
    utterance's similarity to every speaker's centroid, its own speaker's centroid taken without itself (the
    paper's eq. 8), and ``-S_ji,j + log sum_k exp(S_ji,k)`` averaged."""
    sim = functools.partial(F.cosine_similarity, dim=-1) if normalise else _dot
    e = model(x, normalise)
    e = e.reshape(speakers, -1, e.shape[-1])
    m = e.shape[1]
    cent = e.mean(1)
    excl = (e.sum(1, keepdim=True) - e) / (m - 1)
    cos = sim(e[:, :, None], cent[None, None])  # (speakers, m, speakers)
    own = sim(e, excl)
    eye = torch.eye(speakers, dtype=torch.bool)[:, None].expand(-1, m, -1)
    cos = torch.where(eye, own[..., None].expand_as(cos), cos)
    s = model.w * cos + model.b
    target = torch.arange(speakers)[:, None].expand(-1, m)
    return F.cross_entropy(s.reshape(-1, speakers), target.reshape(-1))


# ---- Space2Vec -------------------------------------------------------------------------------------------------------


class Space2Vec(nn.Module):
    """Space2Vec's ``theory`` location encoder (Mai et al. 2020, "Multi-scale representation learning for spatial
    feature distributions using grid cells"): for 16 scales ``lambda_s`` spaced geometrically from ``lambda_min`` to
    ``lambda_max`` and three unit vectors 120 degrees apart, ``cos`` and ``sin`` of ``<x, a_j> / lambda_s`` (96
    features), then its feed-forward net (ReLU layers of 64 with dropout 0.1, PyTorch's default init) and a softmax
    layer; the scales (0.005 to 1) are set for coordinates in radians. ``layers``: the feed-forward net's hidden
    layers; ``relu_bias``: their biases set to that value (every ReLU dead when it is -10)."""

    def __init__(self, classes: int = 8, scales: int = 16, lam_min: float = 0.005, lam_max: float = 1.0,
                 hidden: int = 64, layers: int = 2, drop: float = 0.1, relu_bias: float | None = None) -> None:
        super().__init__()
        g = (lam_max / lam_min) ** (1 / (scales - 1))
        self.register_buffer("lam", lam_min * g ** torch.arange(scales).float())
        ang = torch.tensor([0.0, 2 * math.pi / 3, 4 * math.pi / 3])
        self.register_buffer("a", torch.stack([ang.cos(), ang.sin()], 1))  # (3, 2)
        mods: list[nn.Module] = []
        for k in range(layers):
            mods += [nn.Linear(6 * scales if k == 0 else hidden, hidden), nn.ReLU(), nn.Dropout(drop)]
        self.ffn = nn.Sequential(*mods)
        if relu_bias is not None:
            for mod in mods:
                if isinstance(mod, nn.Linear):
                    nn.init.constant_(mod.bias, relu_bias)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (b, 2) longitude, latitude
        proj = (x @ self.a.T)[:, :, None] / self.lam  # (b, 3, scales)
        return self.out(self.ffn(torch.cat([proj.cos(), proj.sin()], 1).flatten(1)))
