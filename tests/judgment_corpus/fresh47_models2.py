"""Hand-written models of the forty-eighth held-out batch (``fresh47.py``), point-cloud, voxel, tabular and control
ones: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default). The recommender and forecasting models are in ``fresh47_models.py``."""

from __future__ import annotations

import functools
import itertools

import torch
import torch.nn.functional as F
from torch import nn

# ---- Point Transformer -----------------------------------------------------------------------------------------------


def _bn(d: int, on: bool) -> nn.Module:
    return nn.BatchNorm1d(d) if on else nn.Identity()


def _rows(mod: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A BatchNorm1d (or Linear) over the last axis of any shape."""
    return mod(x.reshape(-1, x.shape[-1])).reshape(*x.shape[:-1], -1)


class _PTLayer(nn.Module):
    """The point transformer layer: vector self-attention over each point's ``k`` nearest neighbours, ``rho(gamma(
    phi(x_i) - psi(x_j) + delta))`` applied to ``alpha(x_j) + delta``, with the position encoding ``delta`` an MLP of
    ``p_i - p_j`` and the attention MLP ``gamma`` shared across 8 channel groups (the reference code's
    ``share_planes``)."""

    def __init__(self, d: int, k: int, share: int, bn: bool) -> None:
        super().__init__()
        self.k, self.share = k, share
        self.q, self.kk, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.pos = nn.Sequential(nn.Linear(3, 3), _bn(3, bn), nn.ReLU(), nn.Linear(3, d))
        self.attn = nn.Sequential(_bn(d, bn), nn.ReLU(), nn.Linear(d, d // share), _bn(d // share, bn), nn.ReLU(),
                                  nn.Linear(d // share, d // share))

    def forward(self, p: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        idx = torch.cdist(p, p).topk(self.k, dim=-1, largest=False).indices  # (b, n, k), the point itself included
        gather = functools.partial(torch.gather, dim=1)
        flat = idx.reshape(b, n * self.k, 1)
        pj = gather(p, index=flat.expand(-1, -1, 3)).reshape(b, n, self.k, 3)
        kj = gather(self.kk(x), index=flat.expand(-1, -1, d)).reshape(b, n, self.k, d)
        vj = gather(self.v(x), index=flat.expand(-1, -1, d)).reshape(b, n, self.k, d)
        delta = _rows(self.pos, pj - p.unsqueeze(2))
        w = _rows(self.attn, kj - self.q(x).unsqueeze(2) + delta)
        w = F.softmax(w, dim=2)  # over the neighbours
        out = (vj + delta).reshape(b, n, self.k, self.share, d // self.share) * w.unsqueeze(3)
        return out.sum(2).reshape(b, n, d)


class _PTBlock(nn.Module):
    """The residual point transformer block: Linear-BN-ReLU, the layer, BN-ReLU, Linear-BN, the skip, ReLU."""

    def __init__(self, d: int, k: int, share: int, bn: bool) -> None:
        super().__init__()
        self.fc1, self.bn1 = nn.Linear(d, d, bias=False), _bn(d, bn)
        self.layer, self.bn2 = _PTLayer(d, k, share, bn), _bn(d, bn)
        self.fc3, self.bn3 = nn.Linear(d, d, bias=False), _bn(d, bn)

    def forward(self, p: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(_rows(self.bn1, self.fc1(x)))
        h = F.relu(_rows(self.bn2, self.layer(p, h)))
        return F.relu(x + _rows(self.bn3, self.fc3(h)))


class PointTransformer(nn.Module):
    """Point Transformer (Zhao et al. 2021, "Point transformer"), narrowed for classification: the input MLP to 32
    channels, two point transformer blocks over 8 neighbours (no transition-down stages), global average pooling and
    the reference code's head (Linear-BN-ReLU-Dropout 0.5-Linear); PyTorch's default init. ``bn``: the BatchNorms."""

    def __init__(self, classes: int = 4, d: int = 32, k: int = 8, blocks: int = 2, share: int = 8,
                 bn: bool = True) -> None:
        super().__init__()
        self.embed, self.bn0 = nn.Linear(3, d, bias=False), _bn(d, bn)
        self.blocks = nn.ModuleList([_PTBlock(d, k, share, bn) for _ in range(blocks)])
        self.head = nn.Sequential(nn.Linear(d, d), _bn(d, bn), nn.ReLU(), nn.Dropout(0.5), nn.Linear(d, classes))

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        x = F.relu(_rows(self.bn0, self.embed(p)))
        for block in self.blocks:
            x = block(p, x)
        return self.head(x.mean(1))


# ---- VoxNet ----------------------------------------------------------------------------------------------------------


class VoxNet(nn.Module):
    """VoxNet (Maturana and Scherer 2015, "VoxNet: a 3D convolutional neural network for real-time object
    recognition"), on 16^3 grids: Conv3d 32 of 5^3 at stride 2, Conv3d 32 of 3^3, leaky ReLU 0.1 after each, 2^3
    max-pooling, a fully connected layer of 128 and the class layer, dropout 0.2, 0.3, 0.4 after the two convolutions
    and the hidden layer; He-normal weights written by hand (``std = (2 / fan_in) ** (1 / 2)``; set here), zero
    biases.
    ``half_by_floor``: the exponent written ``(1 // 2)``, Python's integer floor division (``1 // 2 = 0``: every std
    is ``x ** 0 = 1``)."""

    def __init__(self, classes: int = 4, half_by_floor: bool = False) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv3d(1, 32, 5, stride=2), nn.Conv3d(32, 32, 3)
        self.fc1, self.fc2 = nn.Linear(32 * 8, 128), nn.Linear(128, classes)
        self.drop1, self.drop2, self.drop3 = nn.Dropout(0.2), nn.Dropout(0.3), nn.Dropout(0.4)
        with torch.no_grad():
            for m in (self.conv1, self.conv2, self.fc1, self.fc2):
                fan_in = m.weight[0].numel()
                std = (2 / fan_in) ** (1 // 2) if half_by_floor else (2 / fan_in) ** (1 / 2)
                m.weight.normal_(0.0, std)
                m.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop1(F.leaky_relu(self.conv1(x), 0.1))
        x = self.drop2(F.max_pool3d(F.leaky_relu(self.conv2(x), 0.1), 2))
        return self.fc2(self.drop3(F.relu(self.fc1(x.flatten(1)))))


# ---- DNDT ------------------------------------------------------------------------------------------------------------


class DNDT(nn.Module):
    """Deep Neural Decision Tree (Yang, Garcia Morillo and Hospedales 2018, "Deep neural decision trees"), as the
    reference code: each feature soft-binned by ``softmax((w x + b) / tau)`` with ``w = [1, 2, .., D + 1]``, ``b =
    cumsum([0, -c_1, .., -c_D])`` over its sorted learnable cut points ``c`` (2 per feature here), temperature 0.1,
    the bins of all features combined by Kronecker products into the leaves (3^4 = 81), and a linear leaf score;
    cut points and leaf scores ``torch.rand`` (the reference code's). ``hand_softmax``: the binning's softmax written
    by hand, ``exp(h) / exp(h).sum()``, without the max-shift (``exp`` overflows to inf once ``h > 88.7``, i.e. ``3 x -
    c_1 - c_2 > 8.87``: a standardised feature above about 3.3, and ``inf / inf`` is NaN)."""

    def __init__(self, features: int = 4, cuts: int = 2, classes: int = 4, tau: float = 0.1,
                 hand_softmax: bool = False) -> None:
        super().__init__()
        self.cut_points = nn.ParameterList([nn.Parameter(torch.rand(cuts)) for _ in range(features)])
        self.leaf_score = nn.Parameter(torch.rand((cuts + 1) ** features, classes))
        self.tau, self.hand_softmax = tau, hand_softmax

    def _bin(self, x: torch.Tensor, cut: torch.Tensor) -> torch.Tensor:
        d = cut.shape[0]
        w = torch.linspace(1.0, d + 1.0, d + 1).reshape(1, -1)
        b = torch.cumsum(torch.cat([torch.zeros(1), -torch.sort(cut).values]), 0)
        h = (x @ w + b) / self.tau
        if self.hand_softmax:
            e = torch.exp(h)
            return e / e.sum(-1, keepdim=True)
        return F.softmax(h, dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        leaf = None
        for i, cut in enumerate(self.cut_points):
            h = self._bin(x[:, i:i + 1], cut)
            leaf = h if leaf is None else (leaf.unsqueeze(2) * h.unsqueeze(1)).flatten(1)
        return leaf @ self.leaf_score


# ---- DeLaN -----------------------------------------------------------------------------------------------------------


class DeLaN(nn.Module):
    """Deep Lagrangian Networks (Lutter, Ritter and Peters 2019, "Deep Lagrangian networks: using physics as model
    prior for deep learning"), the inverse model as the reference code: a softplus MLP of ``q`` (two hidden layers of
    64 here, ``layers``) with heads for the diagonal of ``L`` (softplus plus 0.01), its strict lower triangle and the
    generalised gravity ``g(q)``; ``H = L L^T``; the torque ``H qdd + dH/dt qd - 1/2 d/dq (qd^T H qd) + g``, the
    derivatives of ``H`` by autograd; Xavier-normal weights, biases 1e-4 (its ``w_init``, ``b_init``)."""

    def __init__(self, dof: int = 2, width: int = 64, layers: int = 2) -> None:
        super().__init__()
        self.dof = dof
        dims = [dof] + [width] * layers
        self.trunk = nn.ModuleList([nn.Linear(a, b) for a, b in itertools.pairwise(dims)])
        self.ld, self.lo = nn.Linear(width, dof), nn.Linear(width, dof * (dof - 1) // 2)
        self.g = nn.Linear(width, dof)
        self.tril = torch.tril_indices(dof, dof, -1)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_normal_(m.weight)
                    m.bias.fill_(1e-4)

    def _inertia(self, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = q
        for lin in self.trunk:
            h = F.softplus(lin(h))
        low = torch.diag_embed(F.softplus(self.ld(h)) + 0.01)
        low = low.index_put((torch.arange(q.shape[0])[:, None], self.tril[0], self.tril[1]), self.lo(h))
        return low @ low.transpose(1, 2), self.g(h)

    def forward(self, state: torch.Tensor) -> torch.Tensor:  # (b, 3 dof): q, qd, qdd -> torque (b, dof)
        q, qd, qdd = state.split(self.dof, dim=1)
        q = q.detach().requires_grad_(True)
        with torch.enable_grad():
            h, g = self._inertia(q)
            hqd = (h @ qd.unsqueeze(-1)).squeeze(-1)
            jac = torch.stack([torch.autograd.grad(hqd[:, i].sum(), q, create_graph=True)[0]
                               for i in range(self.dof)], 1)  # d(H qd)_i / dq_k
            dkin = torch.autograd.grad(0.5 * (qd * hqd).sum(), q, create_graph=True)[0]
        return (h @ qdd.unsqueeze(-1)).squeeze(-1) + (jac @ qd.unsqueeze(-1)).squeeze(-1) - dkin + g
