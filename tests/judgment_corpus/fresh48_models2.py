"""Hand-written models of the forty-ninth held-out batch (``fresh48.py``), generative, medical, satellite and language
models: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default). The speech, graph and text-matching models are in ``fresh48_models.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- VampPrior VAE ---------------------------------------------------------------------------------------------------


class _GatedDense(nn.Module):
    """``h(x) * sigmoid(g(x))``, the VampPrior reference code's ``GatedDense``."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.h, self.g = nn.Linear(cin, cout), nn.Linear(cin, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.h(x) * torch.sigmoid(self.g(x))


class VampVAE(nn.Module):
    """The VAE with a VampPrior (Tomczak and Welling 2018, "VAE with a VampPrior"), narrowed: gated dense encoder and
    decoder of 64 units (the paper's 300) and two layers each, a Gaussian posterior of 8 dimensions (its log-variance
    through ``Hardtanh(-6, 2)``), a Bernoulli decoder over the 64 pixels, and the prior the mixture of the posteriors
    at 16 pseudo-inputs (the paper's 500), ``hardtanh(Linear(I_K), 0, 1)`` with the means drawn N(0.05, 0.01^2);
    the Linears He-normal and the biases zero (the reference's ``he_init``). The forward returns the negative ELBO
    of each image (one posterior sample)."""

    def __init__(self, d: int = 64, hidden: int = 64, z: int = 8, pseudo: int = 16) -> None:
        super().__init__()
        self.enc = nn.Sequential(_GatedDense(d, hidden), _GatedDense(hidden, hidden))
        self.mu, self.logvar = nn.Linear(hidden, z), nn.Linear(hidden, z)
        self.dec = nn.Sequential(_GatedDense(z, hidden), _GatedDense(hidden, hidden), nn.Linear(hidden, d))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight)
                nn.init.zeros_(m.bias)
        self.means = nn.Linear(pseudo, d, bias=False)
        nn.init.normal_(self.means.weight, 0.05, 0.01)
        self.register_buffer("eye", torch.eye(pseudo))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.enc(x)
        return self.mu(h), F.hardtanh(self.logvar(h), -6.0, 2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        rec = F.binary_cross_entropy_with_logits(self.dec(z), x, reduction="none").sum(1)
        log_q = _log_normal(z, mu, logvar)
        pm, pv = self.encode(F.hardtanh(self.means(self.eye), 0.0, 1.0))
        log_p = torch.logsumexp(_log_normal(z[:, None], pm[None], pv[None]), 1) - math.log(pm.shape[0])
        return rec + log_q - log_p


def _log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return (-0.5 * (logvar + (z - mu) ** 2 / logvar.exp() + math.log(2 * math.pi))).sum(-1)


# ---- V-Net -----------------------------------------------------------------------------------------------------------


def _conv(cin: int, cout: int, bn: bool, k: int = 3, stride: int = 1, up: bool = False) -> nn.Sequential:
    conv = (nn.ConvTranspose3d(cin, cout, 2, 2) if up else
            nn.Conv3d(cin, cout, k, stride, padding=(k // 2 if stride == 1 else 0)))
    return nn.Sequential(conv, *([nn.BatchNorm3d(cout)] if bn else []), nn.PReLU(cout))


class _Stage(nn.Module):
    """V-Net's stage: ``n`` convolutions (5^3 in the paper, 3^3 here) with PReLU, their sum with the stage's input."""

    def __init__(self, c: int, n: int, bn: bool) -> None:
        super().__init__()
        self.convs = nn.Sequential(*[_conv(c, c, bn) for _ in range(n)])
        self.act = nn.PReLU(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.convs(x))


class VNet(nn.Module):
    """V-Net (Milletari, Navab and Ahmadi 2016, "V-Net: fully convolutional neural networks for volumetric medical
    image segmentation"), narrowed to three resolutions of 4, 8, 16 channels on 12^3 volumes: the input stage (the
    volume repeated over the channels plus a convolution), residual stages of 1, 2, 2 convolutions down and 2, 1 up,
    2x2x2 stride-2 convolutions down and transposed ones up, the fine-grained skips concatenated, a 1x1x1 two-way
    softmax output; BatchNorm after every convolution and PReLU (the vnet.pytorch reference's), PyTorch's default
    init. ``bn``: the BatchNorms left out."""

    def __init__(self, bn: bool = True) -> None:
        super().__init__()
        self.inp = _conv(1, 4, bn)
        self.down1, self.stage1 = _conv(4, 8, bn, k=2, stride=2), _Stage(8, 2, bn)
        self.down2, self.stage2 = _conv(8, 16, bn, k=2, stride=2), _Stage(16, 2, bn)
        self.up2, self.ustage2 = _conv(16, 8, bn, up=True), _Stage(16, 2, bn)
        self.up1, self.ustage1 = _conv(16, 4, bn, up=True), _Stage(8, 1, bn)
        self.out = nn.Conv3d(8, 2, 1)

    def forward(self, v: torch.Tensor) -> torch.Tensor:  # v: b, 1, 12, 12, 12 -> foreground probability
        x0 = self.inp(v) + v.repeat(1, 4, 1, 1, 1)
        x1 = self.stage1(self.down1(x0))
        x2 = self.stage2(self.down2(x1))
        u1 = self.ustage2(torch.cat([self.up2(x2), x1], 1))
        u0 = self.ustage1(torch.cat([self.up1(u1), x0], 1))
        return torch.softmax(self.out(u0), 1)[:, 1]


# ---- PSE + L-TAE -----------------------------------------------------------------------------------------------------


def _mlp(dims: list[int], last_act: bool = True) -> nn.Sequential:
    mods: list[nn.Module] = []
    for i in range(len(dims) - 1):
        mods.append(nn.Linear(dims[i], dims[i + 1]))
        if last_act or i < len(dims) - 2:
            mods += [nn.BatchNorm1d(dims[i + 1]), nn.ReLU()]
    return nn.Sequential(*mods)


class LTAE(nn.Module):
    """The pixel-set encoder with the lightweight temporal attention encoder (Garnot and Landrieu 2020,
    "Lightweight temporal self-attention for classifying satellite images time series", after Garnot et al.'s
    PSE-TAE), narrowed: per date, the pixel-set encoder (a shared MLP 10-32-64 on each pixel with BatchNorm and
    ReLU, mean and standard deviation pooling over the pixels, a Linear to 64 with BatchNorm); the L-TAE (LayerNorm, a
    1x1 input convolution to 64 and LayerNorm, sinusoidal encodings of the acquisition day (period 1000) added, 8
    heads of key dimension 8, each with its learned master query drawn N(0, 2/d_k), attending over the dates with
    the channel group of its head as values; the concatenated heads through a Linear of 64 with BatchNorm and ReLU,
    dropout 0.2, LayerNorm), and the decoder MLP 64-32 with BatchNorm and ReLU and the classifier; PyTorch's default
    init otherwise."""

    def __init__(self, bands: int = 10, classes: int = 6, d: int = 64, heads: int = 8, dk: int = 8) -> None:
        super().__init__()
        self.mlp1 = _mlp([bands, 32, 64])
        self.mlp2 = _mlp([128, d], last_act=False)
        self.in_norm, self.in_conv, self.in_norm2 = nn.LayerNorm(d), nn.Conv1d(d, d, 1), nn.LayerNorm(d)
        self.query = nn.Parameter(torch.randn(heads, dk) * math.sqrt(2.0 / dk))
        self.key = nn.Linear(d, heads * dk)
        self.mlp3 = _mlp([d, d])
        self.drop, self.out_norm = nn.Dropout(0.2), nn.LayerNorm(d)
        self.decoder = nn.Sequential(nn.Linear(d, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, classes))
        self.heads, self.dk, self.d = heads, dk, d

    def features(self, x: torch.Tensor, days: torch.Tensor) -> torch.Tensor:
        b, t, s, c = x.shape  # batch, dates, pixels, bands
        h = self.mlp1(x.reshape(-1, c)).view(b * t, s, -1)
        h = self.mlp2(torch.cat([h.mean(1), h.std(1)], 1)).view(b, t, -1)
        h = self.in_norm2(self.in_conv(self.in_norm(h).transpose(1, 2)).transpose(1, 2))
        i = torch.arange(self.d // self.heads).float()
        ang = days[:, None] / 1000 ** (2 * (i // 2) / (self.d // self.heads))
        pe = torch.where(i % 2 == 0, torch.sin(ang), torch.cos(ang)).repeat(1, self.heads)
        h = h + pe
        k = self.key(h).view(b, t, self.heads, self.dk)
        att = torch.softmax((k * self.query).sum(-1) / math.sqrt(self.dk), 1)  # b, t, heads
        v = h.view(b, t, self.heads, -1)
        out = (att[..., None] * v).sum(1).reshape(b, -1)
        return self.out_norm(self.drop(self.mlp3(out)))

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return self.decoder(self.features(*batch))


# ---- NPLM ------------------------------------------------------------------------------------------------------------


class NPLM(nn.Module):
    """The neural probabilistic language model (Bengio, Ducharme, Vincent and Jauvin 2003): the context's word
    features concatenated, ``x = (C(w_{t-1}), ..., C(w_{t-n+1}))``, and ``y = b + W x + U tanh(d + H x)`` over the
    vocabulary, with the direct connections ``W``; n = 5, m = 30 features, h = 50 hidden units (the paper's AP News
    settings); PyTorch's default init. ``zero_init``: every weight (the features C, H, U, W) set to zero."""

    def __init__(self, vocab: int = 64, context: int = 4, m: int = 30, h: int = 50, zero_init: bool = False) -> None:
        super().__init__()
        self.C = nn.Embedding(vocab, m)
        self.H, self.U = nn.Linear(context * m, h), nn.Linear(h, vocab)
        self.W = nn.Linear(context * m, vocab, bias=False)
        if zero_init:
            with torch.no_grad():
                for w in (self.C.weight, self.H.weight, self.U.weight, self.W.weight):
                    w.zero_()

    def forward(self, ctx: torch.Tensor) -> torch.Tensor:
        x = self.C(ctx).flatten(1)
        return self.W(x) + self.U(torch.tanh(self.H(x)))
