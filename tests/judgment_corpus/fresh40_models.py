"""Hand-written models of the forty-first held-out batch (``fresh40.py``), graph, click-through, forecasting and
anomaly-detection ones: small versions of published architectures new to the corpus, each with the switches its
broken variants need (one fault each, off by default). The operator-learning, generative, meta-learning and tabular
models are in ``fresh40_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- BernNet ---------------------------------------------------------------------------------------------------------


class BernNet(nn.Module):
    """BernNet (He et al. 2021, "BernNet: learning arbitrary graph spectral filters via Bernstein approximation"): the
    reference code's MLP (dropout 0.5, ``Linear(features, 64)``, ReLU, dropout 0.5, ``Linear(64, classes)``), then
    dropout ``dprate`` 0.5 and the Bernstein filter of order ``K`` 10 on the symmetric Laplacian ``L``,
    ``sum_k relu(theta_k) C(K, k) / 2^K (2I - L)^(K - k) L^k``, the coefficients ``theta`` at ones; PyTorch's default
    init. ``relu_bias``: the hidden Linear's bias set to that value (every ReLU unit dead when it is -10);
    ``layers``: hidden ReLU layers of 64 in the MLP (the reference's 1)."""

    def __init__(self, lap: torch.Tensor, features: int, classes: int, hidden: int = 64, k: int = 10,
                 drop: float = 0.5, dprate: float = 0.5, relu_bias: float | None = None, layers: int = 1) -> None:
        super().__init__()
        self.register_buffer("lap", lap)
        self.hidden = nn.ModuleList([nn.Linear(features if i == 0 else hidden, hidden) for i in range(layers)])
        self.out = nn.Linear(hidden, classes)
        if relu_bias is not None:
            with torch.no_grad():
                self.hidden[0].bias.fill_(relu_bias)
        self.temp = nn.Parameter(torch.ones(k + 1))
        self.drop, self.dprate = drop, dprate
        # the Bernstein basis C(K, k) / 2^K (2I - L)^(K - k) L^k, computed once (the reference code applies the same
        # products to the features at every forward)
        eye = torch.eye(lap.shape[0], dtype=torch.float64)
        lap64 = lap.double()
        basis = [math.comb(k, i) / 2 ** k * torch.linalg.matrix_power(2 * eye - lap64, k - i)
                 @ torch.linalg.matrix_power(lap64, i) for i in range(k + 1)]
        self.register_buffer("basis", torch.stack(basis).float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.dropout(x, self.drop, self.training)
        for lin in self.hidden:
            x = F.dropout(F.relu(lin(x)), self.drop, self.training)
        x = F.dropout(self.out(x), self.dprate, self.training)
        return (F.relu(self.temp)[:, None, None] * self.basis).sum(0) @ x


# ---- FwFM ------------------------------------------------------------------------------------------------------------


class FwFM(nn.Module):
    """FwFM (Pan et al. 2018, "Field-weighted factorization machines for click-through rate prediction in display
    advertising"): ``w_0 + sum_i w_i + sum_{i<j} <v_i, v_j> r_{F(i), F(j)}`` over one active feature a field, the
    embeddings ``v`` of 10 in one table indexed by global feature ids (each field's values after the fields before
    it), the field-pair strengths ``r``; the embeddings N(0, 0.1^2) (set here), the linear weights and strengths N(0,
    1e-4^2) as DeepCTR-Torch's ``init_std``."""

    def __init__(self, field_dims: tuple[int, ...], k: int = 10, init_std: float = 0.1) -> None:
        super().__init__()
        n = len(field_dims)
        self.emb = nn.Embedding(sum(field_dims), k)
        self.lin = nn.Embedding(sum(field_dims), 1)
        self.bias = nn.Parameter(torch.zeros(1))
        self.r = nn.Parameter(torch.empty(n, n))
        self.register_buffer("pairs", torch.ones(n, n).triu(1))
        with torch.no_grad():
            self.emb.weight.normal_(0.0, init_std)
            self.lin.weight.normal_(0.0, 1e-4)
            self.r.normal_(0.0, 1e-4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        idx = x
        v = self.emb(idx)
        inner = v @ v.transpose(1, 2)
        return self.bias + self.lin(idx).sum((1, 2)) + (inner * self.r * self.pairs).sum((1, 2))


# ---- FITS ------------------------------------------------------------------------------------------------------------


class FITS(nn.Module):
    """FITS (Xu, Zeng and Xu 2024, "FITS: modeling time series with 10k parameters"): RevIN-style instance
    normalisation (the window's mean and variance + 1e-5, as the reference code), the rFFT of the look-back, the
    low-pass cut at ``cut`` frequencies, one complex Linear shared by the channels interpolating them to ``cut * (L +
    H) / L`` (the reference code's ``nn.Linear(...).to(torch.cfloat)``, held as its real and imaginary parts), the
    inverse rFFT to ``L + H`` steps times ``(L + H) / L``, de-normalised: the back-cast and the forecast."""

    def __init__(self, lookback: int = 48, horizon: int = 24, cut: int = 8) -> None:
        super().__init__()
        self.lookback, self.total, self.cut = lookback, lookback + horizon, cut
        self.up = int(cut * self.total / lookback)
        lin = nn.Linear(cut, self.up)
        # the complex Linear held as its real and imaginary parts (``.to(torch.cfloat)`` leaves the imaginary zero)
        self.w_re, self.b_re = nn.Parameter(lin.weight.detach().clone()), nn.Parameter(lin.bias.detach().clone())
        self.w_im, self.b_im = nn.Parameter(torch.zeros(self.up, cut)), nn.Parameter(torch.zeros(self.up))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(1, keepdim=True)
        x = x - mean
        var = x.var(1, keepdim=True) + 1e-5
        x = x / var.sqrt()
        low = torch.fft.rfft(x, dim=1)[:, : self.cut]
        w, b = torch.complex(self.w_re, self.w_im), torch.complex(self.b_re, self.b_im)
        up = (low.transpose(1, 2) @ w.T + b).transpose(1, 2)
        spec = torch.zeros(x.shape[0], self.total // 2 + 1, x.shape[2], dtype=up.dtype)
        spec[:, : self.up] = up
        out = torch.fft.irfft(spec, n=self.total, dim=1) * self.total / self.lookback
        return out * var.sqrt() + mean


# ---- EncDec-AD -------------------------------------------------------------------------------------------------------


class EncDecAD(nn.Module):
    """EncDec-AD (Malhotra et al. 2016, "LSTM-based encoder-decoder for multi-sensor anomaly detection"): an LSTM
    encoder of 32 units whose final state starts an LSTM decoder that reconstructs the window in reverse order, each
    step's reconstruction ``x'_t = W h_t + b`` fed back as the next input (the paper's inference-time decoder);
    PyTorch's default init. ``recurrent_std``: the encoder's and decoder's recurrent matrices drawn N(0,
    recurrent_std^2)."""

    def __init__(self, channels: int = 3, hidden: int = 32, recurrent_std: float | None = None) -> None:
        super().__init__()
        self.enc = nn.LSTM(channels, hidden, batch_first=True)
        self.dec = nn.LSTMCell(channels, hidden)
        self.out = nn.Linear(hidden, channels)
        if recurrent_std is not None:
            with torch.no_grad():
                self.enc.weight_hh_l0.normal_(0.0, recurrent_std)
                self.dec.weight_hh.normal_(0.0, recurrent_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, c) = self.enc(x)
        h, c = h[0], c[0]
        outs = [self.out(h)]
        for _ in range(x.shape[1] - 1):
            h, c = self.dec(outs[-1], (h, c))
            outs.append(self.out(h))
        return torch.stack(outs[::-1], 1)
