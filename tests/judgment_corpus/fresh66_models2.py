"""Hand-written models of the sixty-seventh held-out batch (``fresh66.py``), the equivariant, atomistic, audio and
operator ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default). The differential-equation models are in ``fresh66_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- P4CNN (group-equivariant CNN) -----------------------------------------------------------------------------------


class _LiftConv(nn.Module):
    """The Z2 -> p4 lifting convolution: one filter bank applied at the four rotations by 90 degrees, the output
    ``(b, out, 4, h, w)``."""

    def __init__(self, cin: int, cout: int, k: int = 3) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin, k, k))
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.stack([torch.rot90(self.weight, r, (2, 3)) for r in range(4)], 1)  # out, 4, in, k, k
        y = F.conv2d(x, w.reshape(-1, *w.shape[2:]), padding=1)
        return y.view(y.shape[0], -1, 4, *y.shape[2:])


class _P4Conv(nn.Module):
    """The p4 -> p4 group convolution: the filter for output rotation ``r`` is the base filter rotated by ``r`` with
    its input-rotation axis shifted cyclically by ``r`` (Cohen and Welling's filter transformation)."""

    def __init__(self, cin: int, cout: int, k: int = 3) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin, 4, k, k))
        nn.init.kaiming_uniform_(self.weight.view(cout, cin * 4, k, k), a=5 ** 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, cin, 4, h, w
        b, c, _, h, wd = x.shape
        k = torch.stack([torch.rot90(torch.roll(self.weight, r, 2), r, (3, 4)) for r in range(4)], 1)
        y = F.conv2d(x.reshape(b, c * 4, h, wd), k.reshape(-1, c * 4, *k.shape[4:]), padding=1)  # (out, 4) stacked
        return y.view(b, -1, 4, h, wd)


class P4CNN(nn.Module):
    """P4CNN (Cohen and Welling 2016, "Group equivariant convolutional networks"), narrowed: a lifting convolution and
    three p4 convolutions of 8, 8, 16, 16 channels (3x3), each followed by BatchNorm over the channel (shared across
    the four rotations, as GrouPy's) and ReLU, a 2x2 max-pool after the second, then the spatial mean, the max over
    the rotations (the invariant pooling) and a linear classifier. ``bn=False``: no BatchNorms (the convolutions get
    biases instead)."""

    def __init__(self, chans: tuple[int, ...] = (8, 8, 16, 16), classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        convs: list[nn.Module] = [_LiftConv(1, chans[0])]
        convs += [_P4Conv(chans[i], chans[i + 1]) for i in range(len(chans) - 1)]
        self.convs = nn.ModuleList(convs)
        self.norms = nn.ModuleList(nn.BatchNorm3d(c) if bn else nn.Identity() for c in chans)
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(c)) for c in chans) if not bn else None
        self.head = nn.Linear(chans[-1], classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            x = conv(x)
            if self.biases is not None:
                x = x + self.biases[i].view(1, -1, 1, 1, 1)
            x = F.relu(norm(x))
            if i == 1:
                b, c, r, h, w = x.shape
                x = F.max_pool2d(x.reshape(b, c * r, h, w), 2).reshape(b, c, r, h // 2, w // 2)
        return self.head(x.mean((3, 4)).amax(2))


# ---- Behler-Parrinello network ---------------------------------------------------------------------------------------


class BPNN(nn.Module):
    """The Behler-Parrinello network (Behler and Parrinello 2007): one atomic network (the symmetry functions -> 40 ->
    40 -> 1, tanh; PyTorch's default init) shared by every atom of the element, the energy the sum of the atomic
    energies. ``hidden``: the atomic network's hidden widths (24 of 40 for the depth case)."""

    def __init__(self, features: int = 8, hidden: tuple[int, ...] = (40, 40)) -> None:
        super().__init__()
        dims = [features, *hidden, 1]
        mods: list[nn.Module] = []
        for i in range(len(dims) - 1):
            mods += [nn.Linear(dims[i], dims[i + 1]), nn.Tanh()] if i < len(dims) - 2 else [nn.Linear(dims[i], 1)]
        self.atomic = nn.Sequential(*mods)

    def forward(self, g: torch.Tensor) -> torch.Tensor:  # g: (b, atoms, features)
        return self.atomic(g).squeeze(-1).sum(1)


# ---- RawNet ----------------------------------------------------------------------------------------------------------


class _ResBlock(nn.Module):
    """RawNet's residual block: BN, LeakyReLU(0.3), conv3, BN, LeakyReLU(0.3), conv3, the skip (a 1x1 conv when the
    width changes), then a max-pool of 3."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm1d(cin), nn.BatchNorm1d(cout)
        self.conv1, self.conv2 = nn.Conv1d(cin, cout, 3, padding=1), nn.Conv1d(cout, cout, 3, padding=1)
        self.skip = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.leaky_relu(self.bn1(x), 0.3))
        h = self.conv2(F.leaky_relu(self.bn2(h), 0.3))
        return F.max_pool1d(h + self.skip(x), 3)


class RawNet(nn.Module):
    """RawNet (Jung et al. 2019), narrowed: a strided convolution (kernel 3, stride 3) with BN and LeakyReLU(0.3) on
    the raw waveform, residual blocks of 32, 32, 64 channels each pooling by 3, a GRU of 64 over the remaining frames,
    its last state through a 64-unit embedding layer to the speaker logits. ``hh_gain``: the GRU's recurrent
    matrices multiplied by it after PyTorch's init (``U(-1/8, 1/8)``)."""

    def __init__(self, classes: int = 4, chans: tuple[int, ...] = (32, 32, 64), gru: int = 64,
                 hh_gain: float = 1.0) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(1, chans[0], 3, stride=3), nn.BatchNorm1d(chans[0]),
                                  nn.LeakyReLU(0.3))
        cs = [chans[0], *chans]
        self.blocks = nn.Sequential(*[_ResBlock(cs[i], cs[i + 1]) for i in range(len(chans))])
        self.bn = nn.BatchNorm1d(chans[-1])
        self.gru = nn.GRU(chans[-1], gru, batch_first=True)
        self.embed, self.out = nn.Linear(gru, 64), nn.Linear(64, classes)
        with torch.no_grad():
            self.gru.weight_hh_l0.mul_(hh_gain)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (b, samples)
        h = F.leaky_relu(self.bn(self.blocks(self.stem(x.unsqueeze(1)))), 0.3)
        _, last = self.gru(h.transpose(1, 2))
        return self.out(self.embed(last[-1]))


# ---- PCA-Net ---------------------------------------------------------------------------------------------------------


class PCANet(nn.Module):
    """PCA-Net (Bhattacharya, Hosseini, Kovachki and Stuart 2021), narrowed: the input function projected on its
    leading ``modes`` principal components (fixed, from a training sample), an MLP (4 hidden layers of 128 with SELU,
    LeCun-normal init as SELU wants) to the output's coefficients, decoded by the output's principal components plus
    its mean. ``basis_in``, ``basis_out``: ``(grid, modes)`` orthonormal columns; ``mean_in``, ``mean_out``: the
    sample means."""

    def __init__(self, basis_in: torch.Tensor, mean_in: torch.Tensor, basis_out: torch.Tensor,
                 mean_out: torch.Tensor, width: int = 128, layers: int = 4) -> None:
        super().__init__()
        for name, t in (("basis_in", basis_in), ("mean_in", mean_in), ("basis_out", basis_out),
                        ("mean_out", mean_out)):
            self.register_buffer(name, t)
        dims = [basis_in.shape[1], *[width] * layers, basis_out.shape[1]]
        mods: list[nn.Module] = []
        for i in range(len(dims) - 1):
            lin = nn.Linear(dims[i], dims[i + 1])
            nn.init.normal_(lin.weight, 0.0, dims[i] ** -0.5)
            nn.init.zeros_(lin.bias)
            mods += [lin, nn.SELU()] if i < len(dims) - 2 else [lin]
        self.mlp = nn.Sequential(*mods)

    def forward(self, f: torch.Tensor) -> torch.Tensor:  # f: (b, grid)
        c = (f - self.mean_in) @ self.basis_in
        return self.mlp(c) @ self.basis_out.T + self.mean_out
