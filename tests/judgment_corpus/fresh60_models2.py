"""Hand-written models of the sixty-first held-out batch (``fresh60.py``), the graph, generative and imitation ones:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The vision and text models are in ``fresh60_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- AGNN ------------------------------------------------------------------------------------------------------------


class AGNN(nn.Module):
    """The attention-based graph neural network (Thekumparampil et al. 2018), as its PyTorch Geometric example: dropout
    0.5, a ReLU Linear to 16, ``props`` attention propagations ``H' = P H`` with ``P_ij = softmax_j(beta cos(h_i,
    h_j))`` over each node's neighbours and itself (the first with ``beta = 1`` fixed, the others' ``beta`` trained
    from 1), dropout 0.5 and the output Linear; PyTorch's default init. ``relu_bias``: the first Linear's biases set to
    that value; ``cosine=False``: the L2 normalisation of the states before the attention's dot product left out
    (``beta h_i . h_j`` where the cosine belongs)."""

    def __init__(self, adj: torch.Tensor, features: int, classes: int, hidden: int = 16, props: int = 4,
                 relu_bias: float | None = None, cosine: bool = True) -> None:
        super().__init__()
        self.cosine = cosine
        self.register_buffer("mask", (adj + torch.eye(adj.shape[0])) > 0)
        self.lin1, self.lin2 = nn.Linear(features, hidden), nn.Linear(hidden, classes)
        if relu_bias is not None:
            nn.init.constant_(self.lin1.bias, relu_bias)
        self.betas = nn.ParameterList([nn.Parameter(torch.ones(()), requires_grad=i > 0) for i in range(props)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.lin1(F.dropout(x, 0.5, self.training)))
        for beta in self.betas:
            n = F.normalize(h, dim=-1) if self.cosine else h
            scores = (beta * n @ n.T).masked_fill(~self.mask, float("-inf"))
            h = torch.softmax(scores, -1) @ h
        return self.lin2(F.dropout(h, 0.5, self.training))


class KGNN(nn.Module):
    """The 1-GNN of k-GNN (Morris et al. 2019, "Weisfeiler and Leman go neural"), as the reference's PyTorch
    Geometric example: three layers ``h' = elu(W_1 h + W_2 sum_{u in N(v)} h_u)`` of 32, 64, 64, the mean over each
    graph's nodes, ELU Linears 64-64 (dropout 0.5 after the first) and 64-32, the output Linear; PyTorch's default
    init. Graphs come as a dense batch ``(features (b, n, f), adjacency (b, n, n))``. ``init_std``: every Linear's
    weight drawn N(0, init_std^2)."""

    def __init__(self, features: int = 1, classes: int = 4, init_std: float | None = None) -> None:
        super().__init__()
        dims = ((features, 32), (32, 64), (64, 64))
        self.root = nn.ModuleList([nn.Linear(a, b) for a, b in dims])
        self.rel = nn.ModuleList([nn.Linear(a, b, bias=False) for a, b in dims])
        self.fc1, self.fc2, self.fc3 = nn.Linear(64, 64), nn.Linear(64, 32), nn.Linear(32, classes)
        if init_std is not None:
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, init_std)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        h, adj = batch
        for root, rel in zip(self.root, self.rel):
            h = F.elu(root(h) + rel(adj @ h))
        h = F.dropout(F.elu(self.fc1(h.mean(1))), 0.5, self.training)
        return self.fc3(F.elu(self.fc2(h)))


# ---- RNADE -----------------------------------------------------------------------------------------------------------


class RNADE(nn.Module):
    """RNADE (Uria, Murray and Larochelle 2013, "RNADE: the real-valued neural autoregressive density-estimator"),
    its mixture-of-Gaussians form: the shared pre-activation ``a_1 = c``, ``a_{d+1} = a_d + W_{:, d} x_d``, the hidden
    ``h_d = relu(rho_d a_d)`` (the paper's rescaling ``rho_d``, ones at the start), and per dimension ``K`` mixture
    weights (softmax), means and log standard deviations from ``V h_d + b``; 32 hidden units, ``K = 5``; the output
    layers at PyTorch's Linear default, ``W`` N(0, 0.01^2) and ``c`` zero (set here). The forward returns the
    negative log-likelihood of each sample (summed over the dimensions), computed with ``logsumexp``."""

    def __init__(self, dim: int = 8, hidden: int = 32, k: int = 5) -> None:
        super().__init__()
        self.dim, self.k = dim, k
        self.W = nn.Parameter(0.01 * torch.randn(dim, hidden))
        self.c = nn.Parameter(torch.zeros(hidden))
        self.rho = nn.Parameter(torch.ones(dim))
        self.alpha, self.mu, self.sigma = (nn.ModuleList([nn.Linear(hidden, k) for _ in range(dim)]) for _ in range(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.c.expand(x.shape[0], -1)
        nll = torch.zeros(x.shape[0])
        for d in range(self.dim):
            h = F.relu(self.rho[d] * a)
            logpi = torch.log_softmax(self.alpha[d](h), -1)
            mu, logs = self.mu[d](h), self.sigma[d](h)
            z = (x[:, d:d + 1] - mu) / logs.exp()
            logp = logpi - 0.5 * z ** 2 - logs - 0.9189385332
            nll = nll - torch.logsumexp(logp, -1)
            a = a + x[:, d:d + 1] * self.W[d]
        return nll


# ---- visuomotor policy (spatial softmax) -----------------------------------------------------------------------------


class SpatialSoftmax(nn.Module):
    """The spatial soft-argmax: per channel, the softmax of the map divided by a learned temperature (1 at the
    start), and the expected image coordinates in [-1, 1] under it. ``stable=False``: the softmax written by hand,
    ``exp(f / t) / sum exp(f / t)``, without subtracting the maximum first."""

    def __init__(self, temperature: float = 1.0, stable: bool = True) -> None:
        super().__init__()
        self.temperature = nn.Parameter(torch.tensor(temperature))
        self.stable = stable

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        b, c, h, w = f.shape
        logits = f.reshape(b, c, h * w) / self.temperature
        if self.stable:
            p = torch.softmax(logits, -1)
        else:
            e = torch.exp(logits)
            p = e / e.sum(-1, keepdim=True)
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
        return torch.cat([(p * xs.reshape(-1)).sum(-1), (p * ys.reshape(-1)).sum(-1)], -1)


class VisuomotorPolicy(nn.Module):
    """The deep visuomotor policy (Levine, Finn, Darrell and Abbeel 2016, "End-to-end training of deep visuomotor
    policies"), narrowed: three ReLU convolutions (16 filters 7x7 stride 2, then 16 5x5 and 16 5x5; the paper's 64,
    32, 32), the spatial softmax to 2 x 16 feature points, the robot's configuration concatenated, two ReLU Linears
    of 40 and the linear torque output. PyTorch's default init. ``init_std``: every weight drawn N(0, init_std^2);
    ``fc_layers``: the ReLU Linears of 40 after the feature points (2 in the paper); ``temperature``, ``stable``:
    the spatial softmax's (see :class:`SpatialSoftmax`)."""

    def __init__(self, joints: int = 4, init_std: float | None = None, fc_layers: int = 2, temperature: float = 1.0,
                 stable: bool = True) -> None:
        super().__init__()
        self.convs = nn.Sequential(nn.Conv2d(1, 16, 7, 2), nn.ReLU(), nn.Conv2d(16, 16, 5), nn.ReLU(),
                                   nn.Conv2d(16, 16, 5))
        self.points = SpatialSoftmax(temperature, stable)
        fcs: list[nn.Module] = []
        width = 32 + joints
        for _ in range(fc_layers):
            fcs += [nn.Linear(width, 40), nn.ReLU()]
            width = 40
        self.fc = nn.Sequential(*fcs, nn.Linear(width, joints))
        if init_std is not None:
            with torch.no_grad():
                for m in self.modules():
                    if isinstance(m, (nn.Conv2d, nn.Linear)):
                        m.weight.normal_(0.0, init_std)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        image, q = batch
        return self.fc(torch.cat([self.points(self.convs(image)), q], -1))


# ---- conditional imitation learning ----------------------------------------------------------------------------------


class BranchedCIL(nn.Module):
    """The branched conditional imitation network (Codevilla et al. 2018, "End-to-end driving via
    conditional imitation learning"), narrowed: the image module (four 3x3 convolutions 16-16-32-32, strides 2, 1, 2,
    1, each with BatchNorm, ReLU and dropout 0.2, then a ReLU Linear of 64 with dropout 0.5), the measurement module
    (the speed through two ReLU Linears of 32), the joint ReLU Linear of 64 and one branch per command (four: follow,
    left, right, straight), each two ReLU Linears of 32 and the action (steer, gas, brake); the command selects the
    branch. PyTorch's default init. ``deep``: the joint layer made a stack of that many ReLU Linears of 64 (no norm,
    no residual)."""

    def __init__(self, branches: int = 4, deep: int = 1, drop_fc: float = 0.5) -> None:
        super().__init__()
        convs: list[nn.Module] = []
        for cin, cout, s in ((3, 16, 2), (16, 16, 1), (16, 32, 2), (32, 32, 1)):
            convs += [nn.Conv2d(cin, cout, 3, s, 1), nn.BatchNorm2d(cout), nn.ReLU(), nn.Dropout(0.2)]
        self.image = nn.Sequential(*convs, nn.Flatten(), nn.Linear(32 * 6 * 6, 64), nn.ReLU(), nn.Dropout(drop_fc))
        self.speed = nn.Sequential(nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
        joint: list[nn.Module] = [nn.Linear(96, 64), nn.ReLU()]
        for _ in range(deep - 1):
            joint += [nn.Linear(64, 64), nn.ReLU()]
        self.joint = nn.Sequential(*joint, nn.Dropout(drop_fc))
        self.branches = nn.ModuleList([nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                                                     nn.Linear(32, 3)) for _ in range(branches)])

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """``(image, speed, command)`` -> the command's branch's action ``(b, 3)``."""
        image, speed, command = batch
        j = self.joint(torch.cat([self.image(image), self.speed(speed)], -1))
        out = torch.stack([branch(j) for branch in self.branches], 1)
        return out[torch.arange(out.shape[0]), command]
