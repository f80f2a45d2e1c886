"""Builders of the eighteenth held-out batch (``fresh17.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets and the training pieces (losses,
schedules) they need. Written and labelled before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh17_models as M
from ._setup import POOL, Setup, image_batches, lm_batches, lm_loss, sequence_batches, vector_batches, with_loss_fn


def _pool(seed: int, make: Callable[[torch.Generator], Any]) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(170_000 + seed)
    pool = [make(g) for _ in range(POOL)]
    return lambda step: pool[step % POOL]


def _xy(model: nn.Module, opt: torch.optim.Optimizer, sched: Any, batches: Callable[[int], Any],
        loss_fn: Callable[[Any, Any], torch.Tensor]) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches)


def _closure(model: nn.Module, opt: torch.optim.Optimizer, sched: Any, batches: Callable[[int], Any],
             loss: Callable[[nn.Module, Any], torch.Tensor]) -> Setup:
    return Setup(model, opt, sched, batches(0), None, loss, batches, needs_closure=True)


def warmup(opt: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over ``steps`` then constant."""
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / steps))


# ---- data ------------------------------------------------------------------------------------------------------------

def _templates(classes: int = 10, size: int = 8) -> torch.Tensor:
    tg = torch.Generator().manual_seed(1701)
    return F.interpolate(torch.randn(classes, 3, 4, 4, generator=tg), size=(size, size), mode="bilinear",
                         align_corners=False)


def film_batches(seed: int, batch: int = 32) -> Callable[[int], Any]:
    """Visual questions: a 16x16 image whose left half shows one class's 16x8 template and whose right half another's
    (plus noise 0.5); the question is four tokens, three fillers (ids 2-7) and one of 0 ("left") or 1 ("right") at a
    random place; the answer is the class on the side asked about: ``((image, question), answer)``."""
    tmpl = F.interpolate(torch.randn(10, 3, 4, 2, generator=torch.Generator().manual_seed(1702)), size=(16, 8),
                         mode="bilinear", align_corners=False)

    def make(g: torch.Generator) -> Any:
        a, b = torch.randint(0, 10, (batch,), generator=g), torch.randint(0, 10, (batch,), generator=g)
        img = torch.cat([tmpl[a], tmpl[b]], -1) + 0.5 * torch.randn(batch, 3, 16, 16, generator=g)
        side = torch.randint(0, 2, (batch,), generator=g)
        q = torch.randint(2, 8, (batch, 4), generator=g)
        q[torch.arange(batch), torch.randint(0, 4, (batch,), generator=g)] = side
        return (img, q), torch.where(side == 0, a, b)
    return _pool(seed, make)


def canvas_batches(seed: int, batch: int = 32) -> Callable[[int], Any]:
    """Objects on a black background: a 12x12 smooth class template plus noise 0.3 placed at a random corner of a
    16x16 zero canvas (seven of the sixteen 4x4 patches are pure background): ``(image, image)``."""
    tmpl = _templates(10, 12)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        obj = tmpl[y] + 0.3 * torch.randn(batch, 3, 12, 12, generator=g)
        x = torch.zeros(batch, 3, 16, 16)
        offs = torch.randint(0, 2, (batch, 2), generator=g) * 4
        for i in range(batch):
            r, c = int(offs[i, 0]), int(offs[i, 1])
            x[i, :, r:r + 12, c:c + 12] = obj[i]
        return x, x
    return _pool(seed, make)


def item_batches(seed: int, items: int = 50, length: int = 20, batch: int = 32) -> Callable[[int], Any]:
    """Interaction sequences of ``items`` items (ids 1..items; 0 pads): the next item is a fixed successor of the
    current one with probability 0.7, else uniform; the first 0-5 positions padded; one random negative per position
    (not the positive): ``(sequence, positives, negatives)``, padded positions' positives 0."""
    succ = torch.randperm(items, generator=torch.Generator().manual_seed(1703)) + 1

    def make(g: torch.Generator) -> Any:
        x = torch.empty(batch, length + 1, dtype=torch.long)
        x[:, 0] = torch.randint(1, items + 1, (batch,), generator=g)
        for t in range(1, length + 1):
            keep = torch.rand(batch, generator=g) < 0.7
            x[:, t] = torch.where(keep, succ[x[:, t - 1] - 1], torch.randint(1, items + 1, (batch,), generator=g))
        pad = torch.arange(length)[None] < torch.randint(0, 6, (batch, 1), generator=g)
        seq, pos = x[:, :-1].masked_fill(pad, 0), x[:, 1:].masked_fill(pad, 0)
        neg = (pos - 1 + torch.randint(1, items, (batch, length), generator=g)) % items + 1
        return seq, pos, neg
    return _pool(seed, make)


def operator_batches(seed: int, batch: int = 20, n: int = 64, modes: int = 12) -> Callable[[int], Any]:
    """Operator learning on the periodic unit interval: input functions with random Fourier coefficients (std
    ``1/k``, k = 1..12); target ``v + 0.5 v^2`` where ``v`` is the input evolved by the heat equation for time 0.002
    (mode k damped by ``exp(-(2 pi k)^2 0.002)``): ``(a, u)`` on a 64-point grid."""
    x = torch.arange(n) / n
    k = torch.arange(1, modes + 1, dtype=torch.float32)
    basis_c, basis_s = torch.cos(2 * math.pi * k[:, None] * x), torch.sin(2 * math.pi * k[:, None] * x)
    damp = torch.exp(-(2 * math.pi * k) ** 2 * 0.002)

    def make(g: torch.Generator) -> Any:
        c, s = torch.randn(batch, modes, generator=g) / k, torch.randn(batch, modes, generator=g) / k
        a = c @ basis_c + s @ basis_s
        v = (c * damp) @ basis_c + (s * damp) @ basis_s
        return a, v + 0.5 * v ** 2
    return _pool(seed, make)


def collocation_batches(seed: int, points: int = 64, problem: str = "poisson", grid: bool = False
                        ) -> Callable[[int], Any]:
    """PINN collocation points: ``poisson``: x uniform in (0, 1) for ``u'' = -(2 pi)^2 sin(2 pi x)``, u(0) = u(1) = 0;
    ``radial``: r in (0, 1] (stratified: one uniform draw in each of 64 cells) for the radial Poisson problem
    ``u'' + u'/r = f(r)`` with ``u = cos(pi r / 2)``; ``grid``: the points taken as ``torch.linspace(0, 1, 64)``
    instead (the grid includes the origin)."""
    def make(g: torch.Generator) -> Any:
        if grid:
            return torch.linspace(0, 1, points)[:, None]
        if problem == "radial":
            return ((torch.arange(points) + 1 - torch.rand(points, generator=g)) / points)[:, None]
        return torch.rand(points, 1, generator=g)
    return _pool(seed, make)


def pendulum_batches(seed: int, batch: int = 64) -> Callable[[int], Any]:
    """The HNN paper's ideal pendulum ``H = 2 m g l (1 - cos q) + l^2 p^2 / (2 m)`` with m = l = 1, g = 3: states
    drawn with energy in [1.3, 2.3] (radius of (q, p)), derivatives ``(dq/dt, dp/dt)`` plus noise 0.1."""
    def make(g: torch.Generator) -> Any:
        r = 1.3 + torch.rand(batch, generator=g)
        th = 2 * math.pi * torch.rand(batch, generator=g)
        q, p = r * torch.cos(th), r * torch.sin(th)
        d = torch.stack([p, -6 * torch.sin(q)], 1)
        return torch.stack([q, p], 1), d + 0.1 * torch.randn(batch, 2, generator=g)
    return _pool(seed, make)


def scene(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The synthetic scene in normalised units: a soft ball of radius 0.6 (density up to 20) and a small offset
    cube; colour a smooth function of position."""
    ball = 20 * torch.sigmoid(30 * (0.6 - x.norm(dim=-1)))
    cube = 20 * torch.sigmoid(30 * (0.25 - (x - torch.tensor([0.6, 0.3, 0.0])).abs().amax(-1)))
    rgb = torch.stack([0.5 + 0.4 * torch.sin(3 * x[..., 0]), 0.5 + 0.4 * torch.cos(3 * x[..., 1]),
                       0.5 + 0.4 * torch.sin(2 * x[..., 2] + 1)], -1)
    return ball + cube, rgb


def ray_batches(seed: int, rays: int = 256, samples: int = 24, scale: float = 1.0) -> Callable[[int], Any]:
    """Rays from cameras on a sphere of radius 2.5 around the scene, aimed at random points of the unit cube, with
    ``samples`` stratified points between near 1 and far 4 and the colour rendered from the true scene by the same
    quadrature: ``(points and spacings (rays, samples, 4), rgb)``. ``scale``: every coordinate (and spacing)
    given in units ``scale`` times smaller (100: centimetres where the scene is in metres)."""
    def make(g: torch.Generator) -> Any:
        o = torch.randn(rays, 3, generator=g)
        o = 2.5 * o / o.norm(dim=-1, keepdim=True)
        d = (torch.rand(rays, 3, generator=g) - 0.5) - o
        d = d / d.norm(dim=-1, keepdim=True)
        t = 1 + 3 * (torch.arange(samples) + torch.rand(rays, samples, generator=g)) / samples
        delta = torch.cat([t[:, 1:] - t[:, :-1], torch.full((rays, 1), 1e10)], 1)
        pts = o[:, None] + t[..., None] * d[:, None]
        sigma, rgb = scene(pts)
        color = M.render(sigma, rgb, delta)
        packed = torch.cat([pts, delta[..., None]], -1) * scale
        return packed, color
    return _pool(seed, make)


def graph_batches(seed: int, graphs: int = 8, nodes: int = 32, classes: int = 4) -> Callable[[int], Any]:
    """Stochastic-block-model graphs (four communities of eight, edge probability 0.35 inside, 0.03 across) with
    noisy node features (the community's one-hot in 8 dimensions plus unit noise), each
    node's degree and the shortest-path distances (0..5, 6 farther, 7 unreachable):
    ``((features, degree, distance), community per node)``."""
    def make(g: torch.Generator) -> Any:
        c = torch.arange(nodes).repeat(graphs, 1) % classes
        same = c[:, :, None] == c[:, None]
        adj = (torch.rand(graphs, nodes, nodes, generator=g) < torch.where(same, 0.35, 0.03)).float().triu(1)
        adj = adj + adj.transpose(1, 2)
        spd = torch.full((graphs, nodes, nodes), 7, dtype=torch.long)
        reach = torch.eye(nodes).expand(graphs, -1, -1).clone()
        spd[reach > 0] = 0
        for hop in range(1, 7):
            new = ((reach @ adj) > 0).float()
            spd[(new > 0) & (reach == 0)] = min(hop, 6)
            reach = torch.maximum(reach, new)
        x = F.one_hot(c, 8).float() + torch.randn(graphs, nodes, 8, generator=g)
        return (x, adj.sum(-1).long(), spd), c.flatten()
    return _pool(seed, make)


def shape_batches(seed: int, batch: int = 16, points: int = 64) -> Callable[[int], Any]:
    """Point clouds of four shapes (sphere, cube surface, cylinder, torus), randomly rotated, scaled 0.8-1.2, with
    noise 0.02: ``(points (B, N, 3), shape)``."""
    def sample(kind: int, g: torch.Generator) -> torch.Tensor:
        if kind == 0:
            p = torch.randn(points, 3, generator=g)
            return p / p.norm(dim=-1, keepdim=True)
        if kind == 1:
            p = torch.rand(points, 3, generator=g) * 2 - 1
            ax = torch.randint(0, 3, (points,), generator=g)
            p[torch.arange(points), ax] = torch.sign(torch.rand(points, generator=g) - 0.5)
            return p
        u = 2 * math.pi * torch.rand(points, generator=g)
        v = torch.rand(points, generator=g)
        if kind == 2:
            return torch.stack([torch.cos(u), torch.sin(u), 2 * v - 1], 1)
        w = 2 * math.pi * v
        return torch.stack([(1 + 0.35 * torch.cos(w)) * torch.cos(u), (1 + 0.35 * torch.cos(w)) * torch.sin(u),
                            0.35 * torch.sin(w)], 1)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        out = []
        for i in range(batch):
            rot, _ = torch.linalg.qr(torch.randn(3, 3, generator=g))
            s = 0.8 + 0.4 * torch.rand(1, generator=g)
            out.append(sample(int(y[i]), g) @ rot * s + 0.02 * torch.randn(points, 3, generator=g))
        return torch.stack(out), y
    return _pool(seed, make)


def view_batches(seed: int, batch: int = 128) -> Callable[[int], Any]:
    """Two augmented views of teacher-labelled Gaussian vectors (labels unused): noise of std 0.3 and 20% of the
    features zeroed, independently per view: ``(view_a, view_b)``."""
    base = vector_batches(seed, batch=batch)

    def make(g: torch.Generator) -> Any:
        x = base(int(torch.randint(0, POOL, (1,), generator=g)))[0]
        views = [(x + 0.3 * torch.randn(x.shape, generator=g)) * (torch.rand(x.shape, generator=g) > 0.2)
                 for _ in range(2)]
        return views[0], views[1]
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def rel_l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The FNO paper's relative L2 loss (``LpLoss``), averaged over the batch."""
    return ((pred - target).norm(dim=-1) / target.norm(dim=-1)).mean()


def sasrec_loss(model: Any, batch: Any) -> torch.Tensor:
    """SASRec's binary cross-entropy: the positive's score up, one negative's down, padded positions left out."""
    seq, pos, neg = batch
    sp, sn = model.scores(seq, pos, neg)
    keep = (pos > 0).float()
    loss = F.binary_cross_entropy_with_logits(sp, torch.ones_like(sp), reduction="none") + \
        F.binary_cross_entropy_with_logits(sn, torch.zeros_like(sn), reduction="none")
    return (loss * keep).sum() / keep.sum()


def _poisson_residual(model: nn.Module, x: torch.Tensor, problem: str) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    u = model(x)
    du = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
    d2u = torch.autograd.grad(du.sum(), x, create_graph=True)[0]
    if problem == "radial":
        w = math.pi / 2
        f = -w * w * torch.cos(w * x) - w * torch.sin(w * x) / x
        return d2u + du / x - f
    return d2u + (2 * math.pi) ** 2 * torch.sin(2 * math.pi * x)


def pinn_loss(problem: str) -> Callable[[nn.Module, Any], torch.Tensor]:
    """The PINN loss: the mean squared PDE residual at the collocation points plus the boundary term (poisson: u(0)
    and u(1) against 0; radial: u(1) against 0)."""
    def loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        res = _poisson_residual(model, x, problem)
        edge = torch.tensor([[0.0], [1.0]]) if problem == "poisson" else torch.tensor([[1.0]])
        return res.pow(2).mean() + model(edge).pow(2).mean()
    return loss


def mae_loss(model: Any, batch: Any) -> torch.Tensor:
    return model.loss(batch[0])


def byol_loss(model: Any, batch: Any) -> torch.Tensor:
    return model.loss(*batch)


# ---- builders --------------------------------------------------------------------------------------------------------

def efficientnet(seed: int, lr: float = 0.002, extra: int = 0, bn: bool = True, eval_mode: bool = False,
                 smoothing: float = 0.1) -> Setup:
    """EfficientNet on 16x16 template images in batches of 32: the paper's RMSProp (decay 0.9, momentum 0.9, eps
    1e-3), lr 0.256 per 4096 images scaled to the batch (0.002), weight decay 1e-5, a 10-step warm-up, label
    smoothing 0.1 (the reference recipe); ``lr``: the peak lr; ``extra``/``bn``: more blocks, or none of the
    BatchNorms; ``eval_mode``: the model left in ``model.eval()`` (from a validation pass) while training;
    ``smoothing``: the cross-entropy's ``label_smoothing``."""
    torch.manual_seed(seed)
    model = M.EfficientNet(extra=extra, bn=bn)
    if eval_mode:
        model.eval()
    opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9, momentum=0.9, eps=1e-3, weight_decay=1e-5)
    loss = nn.CrossEntropyLoss(label_smoothing=smoothing)
    return _xy(model, opt, warmup(opt, 10), image_batches(seed, size=16, batch=32), loss)


def film(seed: int, weight_decay: float = 1e-5) -> Setup:
    """FiLM answering left/right questions about two-class images, Adam lr 3e-4 weight decay 1e-5 (the paper's);
    ``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M.FiLMNet()
    opt = torch.optim.Adam(model.parameters(), lr=3e-4, weight_decay=weight_decay)
    return _xy(model, opt, None, film_batches(seed), F.cross_entropy)


def mae(seed: int, lr: float = 1e-3, eps: float = 1e-6) -> Setup:
    """An MAE pre-training on objects on a black background, AdamW betas (0.9, 0.95) wd 0.05 (the paper's) with a
    10-step warm-up to lr 1e-3 (the linear scaling rule's 1.5e-4 x 32 / 256 = 2e-5 barely moves in 200 steps);
    ``lr``: the peak lr; ``eps``: the per-patch normalisation's (0: left out)."""
    torch.manual_seed(seed)
    model = M.MAE(eps=eps)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.05)
    return _closure(model, opt, warmup(opt, 10), canvas_batches(seed), mae_loss)


def xlstm(seed: int, lr: float = 1e-3) -> Setup:
    """A two-block mLSTM language model on the Markov language, AdamW lr 1e-3 wd 0.1 with a 10-step warm-up (the
    xLSTM paper's language-model recipe, scaled down); ``lr``: the peak lr."""
    torch.manual_seed(seed)
    model = M.XLSTMLM()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1, betas=(0.9, 0.95))
    return _xy(model, opt, warmup(opt, 10), lm_batches(seed), lm_loss)


def sasrec(seed: int, lr: float = 1e-3, neg_slip: bool = False) -> Setup:
    """SASRec on next-item sequences, Adam lr 1e-3 betas (0.9, 0.98) (the paper's), one negative per position;
    ``lr``: the learning rate."""
    torch.manual_seed(seed)
    model = M.SASRec()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    batches = item_batches(seed)
    if neg_slip:
        pool = [batches(i) for i in range(POOL)]
        pool = [(seq, pos, pos) for seq, pos, _ in pool]
        batches = lambda step: pool[step % POOL]  # noqa: E731
    return _closure(model, opt, None, batches, sasrec_loss)


def esn(seed: int, radius: float = 0.9, leak_slip: bool = False) -> Setup:
    """An echo-state network classifying 20-token sequences by their majority class, its readout trained by Adam
    lr 0.01; ``radius``: the reservoir's spectral radius; ``leak_slip``: the leaky update without its ``- h``."""
    torch.manual_seed(seed)
    model = M.ESN(radius=radius, leak_slip=leak_slip)
    opt = torch.optim.Adam(model.readout.parameters(), lr=0.01)
    return _xy(model, opt, None, sequence_batches(seed, length=20), F.cross_entropy)


def fno(seed: int, lr: float = 1e-3, weight_decay: float = 1e-4) -> Setup:
    """A 1-D FNO learning a heat-then-quadratic operator, Adam lr 1e-3 weight decay 1e-4 and the relative L2 loss
    (the paper's), batches of 20; ``lr``, ``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M.FNO1d()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, None, operator_batches(seed), rel_l2)


def pinn(seed: int, act: type[nn.Module] = nn.Tanh, problem: str = "poisson", grid: bool = False,
         const: float | None = None, layers: int = 3) -> Setup:
    """A PINN (1 -> 32 x ``layers`` -> 1, tanh, Xavier-normal) solving a Poisson problem, Adam lr 1e-3 (Raissi et
    al.'s setting before L-BFGS); ``act``: the hidden activation; ``problem``/``grid``: see
    :func:`collocation_batches`; ``const``: every weight initialised by ``nn.init.constant_(w, const)`` (written
    where ``nn.init.normal_(w, 0, const)`` was meant: every hidden unit the same)."""
    torch.manual_seed(seed)
    model = M.MLP([1, *[32] * layers, 1], act=act, const=const)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return _closure(model, opt, None, collocation_batches(seed, problem=problem, grid=grid), pinn_loss(problem))


def hnn(seed: int, scale: float = 1.0) -> Setup:
    """An HNN fitting noisy pendulum derivatives, Adam lr 1e-3 (the paper's), MSE; ``scale``: the states and their
    derivatives given in units ``scale`` times smaller (100: centi-units where the model expects unit scale)."""
    torch.manual_seed(seed)
    model = M.HNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = pendulum_batches(seed)
    if scale != 1.0:
        pool = [batches(i) for i in range(POOL)]
        pool = [(x * scale, d * scale) for x, d in pool]
        batches = lambda step: pool[step % POOL]  # noqa: E731
    return _xy(model, opt, None, batches, F.mse_loss)


def nerf(seed: int, scale: float = 1.0, depth: int = 4, skip: bool = True, swap_heads: bool = False) -> Setup:
    """A small NeRF fitting rendered rays of a synthetic scene, Adam lr 5e-4 (the paper's), batches of 256 rays,
    MSE on colour; ``scale``: the coordinates' units; ``depth``/``skip``: the MLP's depth and its skip connection."""
    torch.manual_seed(seed)
    model = M.NeRF(depth=depth, skip=skip, swap_heads=swap_heads)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4)
    return _xy(model, opt, None, ray_batches(seed, scale=scale), F.mse_loss)


def graphormer(seed: int, init_std: float | None = None, lr: float = 1e-3, layers: int = 3, norm: bool = True
               ) -> Setup:
    """Graphormer classifying the nodes of block-model graphs, AdamW wd 0.01 (the reference's) with a 10-step warm-up
    to lr 1e-3 (the reference's 2e-4 is meant for a 40k-step warm-up and had not learned by step 200: 1.37 -> 1.05);
    ``init_std``: every weight matrix drawn N(0, std^2); ``layers``/``norm``: the depth, and the LayerNorms."""
    torch.manual_seed(seed)
    model = M.Graphormer(layers=layers, norm=norm)
    if init_std is not None:
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() >= 2:
                    p.normal_(0.0, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    return _xy(model, opt, warmup(opt, 10), graph_batches(seed), F.cross_entropy)


def dgcnn(seed: int, momentum_as_lr: bool = False, reduction: str = "mean", weighted: str = "", bn: bool = True
          ) -> Setup:
    """DGCNN classifying point-cloud shapes, SGD lr 0.1 momentum 0.9 weight decay 1e-4 with cosine annealing over
    the 200 steps (the reference's); ``momentum_as_lr``: ``torch.optim.SGD(params, 0.9)``, the momentum passed where
    the second positional argument is the learning rate (lr 0.9, no momentum); ``reduction="sum"``: the
    cross-entropy summed over the batch of 16 where the lr was set for the mean; ``weighted``: see
    :class:`~.fresh17_models.DGCNN`; ``bn=False``: without its BatchNorms."""
    torch.manual_seed(seed)
    model = M.DGCNN(weighted=weighted, bn=bn)
    if momentum_as_lr:
        opt = torch.optim.SGD(model.parameters(), 0.9, weight_decay=1e-4)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 200, eta_min=1e-3)
    loss = nn.CrossEntropyLoss(reduction=reduction)
    return _xy(model, opt, sched, shape_batches(seed), loss)


def byol(seed: int) -> Setup:
    """BYOL on two augmented views of vectors (batch 128), Adam lr 1e-3 then the EMA target update (tau 0.99)."""
    torch.manual_seed(seed)
    model = M.BYOL()
    opt = M.EMAAdam(model, lr=1e-3)
    return _closure(model, opt, None, view_batches(seed), byol_loss)
