"""Hand-written models of the thirty-first held-out batch (``fresh30.py``), graph, video, image, audio and time-series
ones: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default)."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

# ---- crystal graphs --------------------------------------------------------------------------------------------------


class CGConv(nn.Module):
    """CGCNN's convolution: ``v_i + sum_j sigmoid(z W_f + b_f) * softplus(z W_s + b_s)`` with ``z = [v_i, v_j,
    u_ij]``, BatchNorm on the gated pre-activations and on the sum, softplus after the residual."""

    def __init__(self, d: int, e: int) -> None:
        super().__init__()
        self.fc = nn.Linear(2 * d + e, 2 * d)
        self.bn1, self.bn2 = nn.BatchNorm1d(2 * d), nn.BatchNorm1d(d)

    def forward(self, v: torch.Tensor, idx: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        b, n, m = idx.shape
        d = v.shape[-1]
        vj = v[torch.arange(b)[:, None, None], idx]  # (b, n, m, d)
        z = self.fc(torch.cat([v[:, :, None].expand(b, n, m, d), vj, u], -1))
        filt, core = self.bn1(z.reshape(-1, 2 * d)).reshape(b, n, m, 2 * d).chunk(2, -1)
        s = (torch.sigmoid(filt) * F.softplus(core)).sum(2)
        return F.softplus(v + self.bn2(s.reshape(-1, d)).reshape(b, n, d))


class CGCNN(nn.Module):
    """CGCNN (Xie & Grossman 2018): one-hot element features embedded to 32, three graph convolutions over each
    atom's 6 nearest neighbours with a Gaussian expansion of the distance (21 centres from 0 to 4, width 0.2), mean
    pooling, a softplus hidden layer of 64 and a linear output. ``head_depth``: that many further tanh layers of 64
    (PyTorch's default init) before the output."""

    def __init__(self, elements: int = 4, d: int = 32, e: int = 21, head_depth: int = 0) -> None:
        super().__init__()
        self.embed = nn.Linear(elements, d)
        self.convs = nn.ModuleList(CGConv(d, e) for _ in range(3))
        self.fc = nn.Linear(d, 64)
        self.head = nn.Sequential(*[m for _ in range(head_depth) for m in (nn.Linear(64, 64), nn.Tanh())])
        self.out = nn.Linear(64, 1)

    def forward(self, crystal: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        atoms, idx, u = crystal
        v = self.embed(atoms)
        for conv in self.convs:
            v = conv(v, idx, u)
        return self.out(self.head(F.softplus(self.fc(v.mean(1)))))[:, 0]


# ---- video -----------------------------------------------------------------------------------------------------------


class C3D(nn.Module):
    """C3D (Tran et al. 2015), narrowed: 3x3x3 convolutions of 16, 32 and 64 channels with ReLUs, the first pooling
    spatial only (1x2x2) and the others 2x2x2, a fully connected layer of 128 with dropout 0.5 and the classifier
    (the paper: eight convolutions of 64 to 512 channels and two layers of 4096)."""

    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv3d(3, 16, 3, padding=1), nn.Conv3d(16, 32, 3, padding=1),
                                    nn.Conv3d(32, 64, 3, padding=1)])
        self.pools = [(1, 2, 2), (2, 2, 2), (2, 2, 2)]
        self.fc = nn.Linear(64 * 2 * 2 * 2, 128)
        self.drop = nn.Dropout(0.5)
        self.cls = nn.Linear(128, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, 3, 8, 16, 16)
        for conv, pool in zip(self.convs, self.pools, strict=True):
            x = F.max_pool3d(F.relu(conv(x)), pool)
        return self.cls(self.drop(F.relu(self.fc(x.flatten(1)))))


# ---- images ----------------------------------------------------------------------------------------------------------


def _cbr(c_in: int, c_out: int, k: int, bn: bool) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=not bn),
                         nn.BatchNorm2d(c_out) if bn else nn.Identity(), nn.ReLU())


class OSA(nn.Module):
    """VoVNet's one-shot aggregation module: five 3x3 conv-BN-ReLU layers in sequence, the input and all five outputs
    concatenated once and mixed by a 1x1 conv-BN-ReLU."""

    def __init__(self, c_in: int, c: int, c_out: int, bn: bool, layers: int = 5) -> None:
        super().__init__()
        self.layers = nn.ModuleList(_cbr(c_in if i == 0 else c, c, 3, bn) for i in range(layers))
        self.concat = _cbr(c_in + layers * c, c_out, 1, bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [x]
        for layer in self.layers:
            outs.append(layer(outs[-1]))
        return self.concat(torch.cat(outs, 1))


class VoVNet(nn.Module):
    """VoVNet (Lee et al. 2019), narrowed: a 3x3 stem of 32, three OSA stages (5 x 16 -> 64, 5 x 24 -> 96, 5 x 32
    -> 128 channels) with 2x2 max-pooling between them, global average pooling and a linear classifier; He init.
    ``bn``: the BatchNorms."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = _cbr(3, 32, 3, bn)
        self.stages = nn.ModuleList([OSA(32, 16, 64, bn), OSA(64, 24, 96, bn), OSA(96, 32, 128, bn)])
        self.fc = nn.Linear(128, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for i, stage in enumerate(self.stages):
            x = stage(x if i == 0 else F.max_pool2d(x, 2))
        return self.fc(x.mean((2, 3)))


# ---- audio -----------------------------------------------------------------------------------------------------------


class SampleCNN(nn.Module):
    """SampleCNN (Lee et al. 2017), the 3^n model narrowed to 729 samples: a strided conv of 3 samples (32
    channels), five blocks of a size-3 conv, BatchNorm, ReLU and max-pooling by 3 (32, 32, 64, 64, 64 channels),
    dropout 0.5 and one logit per tag."""

    def __init__(self, tags: int = 4, chans: tuple[int, ...] = (32, 32, 32, 64, 64, 64)) -> None:
        super().__init__()
        self.front = nn.Sequential(nn.Conv1d(1, chans[0], 3, stride=3), nn.BatchNorm1d(chans[0]), nn.ReLU())
        self.blocks = nn.Sequential(*[nn.Sequential(nn.Conv1d(c_in, c_out, 3, padding=1), nn.BatchNorm1d(c_out),
                                                    nn.ReLU(), nn.MaxPool1d(3))
                                      for c_in, c_out in itertools.pairwise(chans)])
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(chans[-1], tags)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, 729)
        return self.fc(self.drop(self.blocks(self.front(x[:, None])).flatten(1)))


# ---- time series -----------------------------------------------------------------------------------------------------


class FCNSeries(nn.Module):
    """The fully convolutional network for time-series classification (Wang, Yan & Oates 2017): conv-BN-ReLU
    blocks with kernels 8, 5 and 3 (64, 128, 64 channels where the paper has 128, 256, 128), global average pooling
    and a softmax classifier."""

    def __init__(self, classes: int = 4, chans: tuple[int, int, int] = (64, 128, 64)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 1
        for c, k in zip(chans, (8, 5, 3), strict=True):
            layers += [nn.Conv1d(c_in, c, k, padding="same"), nn.BatchNorm1d(c), nn.ReLU()]
            c_in = c
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, 1, time)
        return self.fc(self.body(x).mean(-1))


class DARNN(nn.Module):
    """The dual-stage attention RNN (Qin et al. 2017): an LSTM encoder of 64 whose input attention weighs the
    driving series at each step (``e_k = v_e^T tanh(W_e [h; s] + U_e x^k)``), an LSTM decoder of 64 whose temporal
    attention weighs the encoder's states, fed ``w~^T [y_{t-1}; c_{t-1}] + b~``, and ``y_T = v_y^T (W_y [d_T; c_T]
    + b_w) + b_v``; window 10, 8 driving series. ``state_swapped``: the encoder's ``nn.LSTMCell`` output unpacked
    ``s, h = self.enc(...)`` against its ``(h, c)`` order (the unbounded cell state becomes the hidden state)."""

    def __init__(self, n: int = 8, window: int = 10, m: int = 64, p: int = 64, state_swapped: bool = False) -> None:
        super().__init__()
        self.window, self.swapped = window, state_swapped
        self.enc = nn.LSTMCell(n, m)
        self.we, self.ue, self.ve = nn.Linear(2 * m, window), nn.Linear(window, window, bias=False), nn.Linear(
            window, 1, bias=False)
        self.dec = nn.LSTMCell(1, p)
        self.wd, self.ud, self.vd = nn.Linear(2 * p, m), nn.Linear(m, m, bias=False), nn.Linear(m, 1, bias=False)
        self.wt = nn.Linear(m + 1, 1)
        self.wy, self.vy = nn.Linear(p + m, p), nn.Linear(p, 1)

    def _context(self, hs: torch.Tensor, uh: torch.Tensor, d: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        beta = F.softmax(self.vd(torch.tanh(self.wd(torch.cat([d, s], -1))[:, None] + uh))[..., 0], 1)
        return (beta[..., None] * hs).sum(1)

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, yh = inp  # (batch, window, n), (batch, window - 1)
        b = x.shape[0]
        h = s = x.new_zeros(b, self.enc.hidden_size)
        ux = self.ue(x.transpose(1, 2))  # (batch, n, window)
        hs = []
        for t in range(self.window):
            alpha = F.softmax(self.ve(torch.tanh(self.we(torch.cat([h, s], -1))[:, None] + ux))[..., 0], 1)
            if self.swapped:
                s, h = self.enc(alpha * x[:, t], (h, s))
            else:
                h, s = self.enc(alpha * x[:, t], (h, s))
            hs.append(h)
        enc = torch.stack(hs, 1)
        uh = self.ud(enc)
        d = s = x.new_zeros(b, self.dec.hidden_size)
        c = x.new_zeros(b, self.enc.hidden_size)
        for t in range(self.window - 1):
            d, s = self.dec(self.wt(torch.cat([yh[:, t, None], c], -1)), (d, s))
            c = self._context(enc, uh, d, s)
        return self.vy(self.wy(torch.cat([d, c], -1)))[:, 0]
