"""Builders of the sixty-first held-out batch (``fresh60.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on and the user's own
training loops the slips live in. Written and labelled before gradguard's judgment was run on them and never tuned
on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh60_models as M
from . import fresh60_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(600_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(6000 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


@dataclass
class UserLoop(Setup):
    """A :class:`Setup` whose training step is the user's own loop. ``zero_grad_after_backward``: the loop reads
    ``loss.backward(); optimizer.zero_grad(); optimizer.step()`` (the ``zero_grad`` moved below the backward with a
    logging line: the step sees no gradient); ``freeze_bn``: every BatchNorm put in ``eval()`` at the top of each
    step, after ``model.train()`` (the frozen-BatchNorm habit of fine-tuning detection and segmentation code, kept
    in a from-scratch run); ``init_every``: every layer's ``reset_parameters()`` called at the top of every epoch of
    that many batches (see :func:`kgnn`). With a guard, ``guard.step`` steps the optimizer, as in
    :meth:`Setup.train_step`."""

    zero_grad_after_backward: bool = False
    freeze_bn: bool = False
    init_every: int | None = None

    def train_step(self, step: int, guard: Any | None = None) -> float:
        batch = self.batches(step)
        if self.init_every is not None and step % self.init_every == 0:
            for m in self.model.modules():
                if hasattr(m, "reset_parameters"):
                    m.reset_parameters()  # type: ignore[operator]
        self.model.train()
        if self.freeze_bn:
            for m in self.model.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        if not self.zero_grad_after_backward:
            self.optimizer.zero_grad(set_to_none=True)
        loss = self.compute_loss(self.model, batch)
        loss.backward()
        if self.zero_grad_after_backward:
            self.optimizer.zero_grad(set_to_none=True)
        if self.clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        if guard is not None:
            self.last_report = guard.step(loss.detach(), closure=lambda m: self.compute_loss(m, batch))
        else:
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
        return float(loss.detach())


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, **loop: Any) -> Setup:
    return UserLoop(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip, **loop)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 16, size: int = 16, classes: int = 10, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``; ``shuffled``: the labels permuted within every batch, apart from their images."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def scenes(seed: int, batch: int = 8, size: int = 16, classes: int = 4, cells: int = 5) -> Callable[[int], Any]:
    """Segmentation scenes: each image a Voronoi partition of 5 random sites, each cell a random class (4) painted in
    its class's fixed colour, plus N(0, 1) pixel noise (a pixel alone is ambiguous, its neighbourhood is not):
    ``(images (b, 3, 16, 16), class map (b, 16, 16))``."""
    colours = torch.randn(classes, 3, generator=_fixed(2))
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        sites = torch.rand(batch, cells, 2, generator=g) * size
        d = (yy[None, None] - sites[..., 0, None, None]) ** 2 + (xx[None, None] - sites[..., 1, None, None]) ** 2
        cls = torch.randint(0, classes, (batch, cells), generator=g)
        y = torch.gather(cls, 1, d.argmin(1).reshape(batch, -1)).reshape(batch, size, size)
        x = colours[y].permute(0, 3, 1, 2) + torch.randn(batch, 3, size, size, generator=g)
        return x, y
    return _pool(seed, make)


def phrase_texts(seed: int, batch: int = 32, length: int = 16, vocab: int = 64, lag: bool = False
                 ) -> Callable[[int], Any]:
    """Texts of 16 uniform words over 64, each holding one key phrase at a random place: the same three words in
    the class's own order (4 classes, 4 of the 6 orders), so that only the order tells the class:
    ``(tokens (b, 16), class (b,))``. ``lag``: the user's prefetching loop pairs each batch's texts with the previous
    batch's labels (batch 0's with the last batch's of the cycle)."""
    words = torch.tensor([5, 17, 40])
    orders = torch.tensor([[0, 1, 2], [1, 0, 2], [2, 1, 0], [0, 2, 1]])

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        x = torch.randint(0, vocab, (batch, length), generator=g)
        at = torch.randint(0, length - 2, (batch,), generator=g)
        for i in range(3):
            x[torch.arange(batch), at + i] = words[orders[y, i]]
        return x, y
    pool = _pool(seed, make)
    return (lambda step: (pool(step)[0], pool(step - 1)[1])) if lag else pool


def graphs(seed: int, batch: int = 32, n: int = 12) -> Callable[[int], Any]:
    """Graph classification: graphs of 12 nodes from four generators with about the same mean degree (4): an
    Erdos-Renyi graph (p = 4/11), a ring lattice (each node joined to its 2 nearest on either side), two dense
    communities of 6 with one bridge, and a star-like graph (3 hubs joined to every node, the rest sparse); the nodes
    randomly relabelled, every node's feature a constant 1 (only the structure tells the class):
    ``((features (b, 12, 1), adjacency (b, 12, 12)), class (b,))``."""
    ring = torch.zeros(n, n)
    for k in (1, 2):
        idx = torch.arange(n)
        ring[idx, (idx + k) % n] = 1.0
    ring = ring + ring.T

    def one(g: torch.Generator, c: int) -> torch.Tensor:
        if c == 0:
            a = (torch.rand(n, n, generator=g) < 4 / 11).float()
        elif c == 1:
            a = ring.clone()
        elif c == 2:
            half = torch.arange(n) < n // 2
            a = ((half[:, None] == half[None]) & (torch.rand(n, n, generator=g) < 0.75)).float()
            a[0, n - 1] = 1.0
        else:
            a = (torch.rand(n, n, generator=g) < 0.08).float()
            a[:3], a[:, :3] = 1.0, 1.0
        a = a.triu(1)
        a = a + a.T
        perm = torch.randperm(n, generator=g)
        return a[perm][:, perm]

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        adj = torch.stack([one(g, int(c)) for c in y])
        return (torch.ones(batch, n, 1), adj), y
    return _pool(seed, make)


def sbm_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.06 within a class and 0.006
    across), its adjacency without self-loops, weak node features (the class's fixed mean direction times 0.4 plus
    N(0, 1) noise, 32 dimensions) and the labels; the first half of a fixed random order is the training set:
    ``(adjacency, features, labels, train mask)``."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.06, 0.006)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    means = torch.randn(classes, features, generator=_fixed(3))
    x = 0.4 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return a, x, y, train


def surface(seed: int, batch: int = 64) -> Callable[[int], Any]:
    """Points near a 2-dimensional surface in 8 dimensions: ``z ~ N(0, I_2)`` mapped to ``(z1, z2, sin 2 z1,
    z2 cos z1, z1 z2 / 2, tanh 2 z2, z1^2 / 2 - 0.5, sin(z1 + z2))`` plus N(0, 0.05^2) noise, each coordinate
    standardised by fixed statistics: ``(points, points)`` (a density target)."""
    def lift(z: torch.Tensor) -> torch.Tensor:
        z1, z2 = z[:, 0], z[:, 1]
        return torch.stack([z1, z2, torch.sin(2 * z1), z2 * torch.cos(z1), z1 * z2 / 2, torch.tanh(2 * z2),
                            z1 ** 2 / 2 - 0.5, torch.sin(z1 + z2)], 1)
    ref = lift(torch.randn(20_000, 2, generator=_fixed(4)))
    mean, std = ref.mean(0), ref.std(0)

    def make(g: torch.Generator, _: int) -> Any:
        x = (lift(torch.randn(batch, 2, generator=g)) + 0.05 * torch.randn(batch, 8, generator=g) - mean) / std
        return x, x
    return _pool(seed, make)


def reaching(seed: int, batch: int = 32, size: int = 48, joints: int = 4) -> Callable[[int], Any]:
    """Visuomotor demonstrations: a 48x48 grey image holding a bright Gaussian blob (the target, std 2.5 pixels) at a
    random place in the middle 70% plus N(0, 0.1^2) noise, the arm's configuration ``q ~ N(0, 0.5^2 I_4)``, and the
    demonstrator's torque ``2 (J p - q)`` for the blob's position ``p`` in [-1, 1]^2 and a fixed 4x2 ``J``:
    ``((image, q), torque)``."""
    jac = torch.randn(joints, 2, generator=_fixed(5))
    grid = torch.linspace(-1, 1, size)

    def make(g: torch.Generator, _: int) -> Any:
        p = (torch.rand(batch, 2, generator=g) * 2 - 1) * 0.7
        s = 2.5 * 2 / (size - 1)
        blob = torch.exp(-((grid[None, :, None] - p[:, 1, None, None]) ** 2
                           + (grid[None, None, :] - p[:, 0, None, None]) ** 2) / (2 * s * s))
        img = blob[:, None] + 0.1 * torch.randn(batch, 1, size, size, generator=g)
        q = 0.5 * torch.randn(batch, joints, generator=g)
        return (img, q), 2 * (p @ jac.T - q)
    return _pool(seed, make)


#: CIL's action weights (steer, gas, brake), the paper's
ACTION_WEIGHTS = torch.tensor([0.5, 0.45, 0.05])
#: the commands' frequencies in the driving demonstrations (follow, left, right, straight)
COMMANDS = torch.tensor([0.7, 0.1, 0.1, 0.1])


def driving(seed: int, batch: int = 32, size: int = 24) -> Callable[[int], Any]:
    """Driving demonstrations: a 3x24x24 frame showing the lane marking as a bright vertical bar (2 pixels wide) at
    the car's lateral offset ``o`` in [-1, 1] plus N(0, 0.3^2) noise, the speed ``s`` in [0, 1], the command (follow
    70%, left, right and straight 10% each, as logged driving is mostly lane following), and the expert's action:
    steer ``g_c o + b_c`` (``g = (-0.8, -0.4, -0.4, -0.2)``, ``b = (0, -0.6, 0.6, 0)``), gas ``0.7 - 0.6 s``, brake
    ``0.5`` above ``s = 0.8``: ``((frame, speed (b, 1), command (b,)), action (b, 3))``."""
    gain, bias = torch.tensor([-0.8, -0.4, -0.4, -0.2]), torch.tensor([0.0, -0.6, 0.6, 0.0])
    cols = torch.arange(size).float()

    def make(g: torch.Generator, _: int) -> Any:
        o = torch.rand(batch, generator=g) * 2 - 1
        s = torch.rand(batch, generator=g)
        c = torch.multinomial(COMMANDS, batch, replacement=True, generator=g)
        centre = (size - 1) / 2 + o * (size / 2 - 3)
        bar = ((cols[None] - centre[:, None]).abs() <= 1).float()  # (b, size)
        frame = bar[:, None, None, :].expand(batch, 3, size, size) + 0.3 * torch.randn(batch, 3, size, size,
                                                                                        generator=g)
        action = torch.stack([gain[c] * o + bias[c], 0.7 - 0.6 * s, 0.5 * (s > 0.8).float()], 1)
        return (frame, s[:, None], c), action
    return _pool(seed, make)


def cil_loss(out: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
    """CIL's loss: the squared error of the selected branch's action, weighted per action (``ACTION_WEIGHTS``)."""
    return (ACTION_WEIGHTS * (out - action) ** 2).sum(-1).mean()


def cil_loss_per_command(out: torch.Tensor, target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """The user's per-command form of :func:`cil_loss` (written to log each command's loss too): the weighted
    squared error averaged within each command's samples, ``F.mse_loss(out[cmd == c], y[cmd == c], reduction="none")
    .mean(0)``, and the four summed. A command absent from the batch gives the mean of an empty tensor: NaN."""
    action, cmd = target
    total = out.new_zeros(())
    for c in range(4):
        sel = cmd == c
        total = total + (ACTION_WEIGHTS * F.mse_loss(out[sel], action[sel], reduction="none").mean(0)).sum()
    return total


def nll(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mean negative log-likelihood of a sample (RNADE's forward returns it per sample)."""
    return out.mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def hardnet(seed: int, lr: float = 0.1, bn: bool = True, shuffled: bool = False, n: int = 8, **loop: bool) -> Setup:
    """HarDNet on the class-template images (batch 16), cross-entropy, SGD at the reference trainer's settings (the
    PyTorch ImageNet example it branched from: lr 0.1, momentum 0.9, weight decay 1e-4); ``bn``: see
    :class:`~.fresh60_models.HarDNet`; ``shuffled``: see :func:`images`; ``loop``: see :class:`UserLoop`."""
    torch.manual_seed(600_000 + seed)
    model = M.HarDNet(bn=bn, n=n)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, images(seed, shuffled=shuffled), F.cross_entropy, **loop)


def edanet(seed: int, lr: float = 5e-4, weight_decay: float = 1e-4, **loop: bool) -> Setup:
    """EDANet on the Voronoi scenes (batch 8), pixel cross-entropy, Adam at lr 5e-4 with weight decay 1e-4 (set
    here; the schedule left out); ``loop``: the user's loop's switches (see :class:`UserLoop`)."""
    torch.manual_seed(600_000 + seed)
    model = M.EDANet()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, scenes(seed), F.cross_entropy, **loop)


def drnn(seed: int, lr: float = 1e-3, update_bias: float | None = None, lag: bool = False, drop: float = 0.2
         ) -> Setup:
    """The DRNN on the key-phrase texts (batch 64), cross-entropy, Adam at lr 1e-3 (set here); ``update_bias``: see
    :class:`~.fresh60_models.DRNN`; ``lag``: see :func:`phrase_texts`."""
    torch.manual_seed(600_000 + seed)
    model = M.DRNN(update_bias=update_bias, drop=drop)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), phrase_texts(seed, lag=lag), F.cross_entropy)


def kgnn(seed: int, lr: float = 0.01, init_every: int | None = None, init_std: float | None = None,
         half: bool = False) -> Setup:
    """The 1-GNN on the graph classes (batch 32 graphs), cross-entropy, Adam at the example's lr 0.01 (its
    plateau schedule left out); ``init_every``: the user's loop re-runs the model's init (``reset_parameters`` of
    every layer, the helper written for a fresh start) at the top of every epoch of that many batches, the call
    indented one level too deep into the epoch loop; ``init_std``: see :class:`~.fresh60_models2.KGNN`; ``half``: the
    model and the graphs cast to float16 and trained so (no fp32 master weights, no loss scaling)."""
    torch.manual_seed(600_000 + seed)
    model = M2.KGNN(init_std=init_std)
    data = graphs(seed)
    if half:
        model.half()
        data = _halved(data)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), data, F.cross_entropy, init_every=init_every)


def _halved(data: Callable[[int], Any]) -> Callable[[int], Any]:
    def batch(step: int) -> Any:
        (x, adj), y = data(step)
        return (x.half(), adj.half()), y
    return batch


def agnn(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, relu_bias: float | None = None,
         cosine: bool = True) -> Setup:
    """AGNN on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam at the example's lr
    0.01 and weight decay 5e-4; ``relu_bias``: see :class:`~.fresh60_models2.AGNN`."""
    torch.manual_seed(600_000 + seed)
    a, x, y, train = sbm_graph(seed)
    model = M2.AGNN(a, x.shape[1], 4, relu_bias=relu_bias, cosine=cosine)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def rnade(seed: int, lr: float = 1e-3) -> Setup:
    """RNADE on the surface points (batch 64), the mean negative log-likelihood, Adam at lr 1e-3 (set here; the paper
    used plain minibatch SGD with its own schedule)."""
    torch.manual_seed(600_000 + seed)
    model = M2.RNADE()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), surface(seed), nll)


def visuomotor(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, **kw: Any) -> Setup:
    """The visuomotor policy on the reaching demonstrations (batch 32), the torques' MSE (behaviour cloning, the
    paper's supervised stage), Adam at lr 1e-3 (set here); ``kw``: see :class:`~.fresh60_models2.VisuomotorPolicy`."""
    torch.manual_seed(600_000 + seed)
    model = M2.VisuomotorPolicy(**kw)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, reaching(seed), F.mse_loss)


def cil(seed: int, lr: float = 2e-4, deep: int = 1, drop_fc: float = 0.5, per_command: bool = False) -> Setup:
    """The branched CIL network on the driving demonstrations (batch 32), the weighted squared error of the command's
    branch, Adam at the paper's lr 2e-4 (betas 0.7, 0.85, the paper's); ``deep``, ``drop_fc``: see
    :class:`~.fresh60_models2.BranchedCIL`; ``per_command``: the loss of :func:`cil_loss_per_command`."""
    torch.manual_seed(600_000 + seed)
    model = M2.BranchedCIL(deep=deep, drop_fc=drop_fc)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.7, 0.85))
    if per_command:
        data = driving(seed)
        return _xy(model, opt, lambda step: (data(step)[0], (data(step)[1], data(step)[0][2])), cil_loss_per_command)
    return _xy(model, opt, driving(seed), cil_loss)

