"""Builders of the forty-ninth held-out batch (``fresh49.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on and the user's own
training loops (gradient accumulation, loss scaling, clipping). Written and labelled before gradguard's judgment was
run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh49_models as M
from . import fresh49_models2 as M2
from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(490_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(4900 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- the user's training loop ----------------------------------------------------------------------------------------

def _split(batch: Any, parts: int) -> list[Any]:
    """``batch`` (tensors, or tuples of tensors, batch-first) cut into ``parts`` micro-batches."""
    if isinstance(batch, torch.Tensor):
        return list(batch.chunk(parts))
    return [type(batch)(z) for z in zip(*(_split(b, parts) for b in batch), strict=True)]


@dataclass
class UserLoop(Setup):
    """A :class:`Setup` whose training step is the user's own loop around the model: the batch run as ``micro``
    micro-batches whose gradients accumulate before one optimizer step, each micro-batch's loss divided by ``micro``
    (``divide``) and multiplied by a static ``loss_scale`` (an fp16 recipe's), the gradients divided by the scale
    again before the user's ``clip_grad_norm_`` at :attr:`clip` (or after it: ``unscale_after_clip``). The logged loss
    is the batch's unscaled mean loss; with a guard, ``guard.step`` steps the optimizer, as in
    :meth:`Setup.train_step`."""

    micro: int = 1
    divide: bool = True
    loss_scale: float | None = None
    unscale_after_clip: bool = False
    zero_grad_each: bool = False
    misaligned: bool = False

    def _unscale(self) -> None:
        if self.loss_scale is not None:
            for p in self.model.parameters():
                if p.grad is not None:
                    p.grad.div_(self.loss_scale)

    def train_step(self, step: int, guard: Any | None = None) -> float:
        batch = self.batches(step)
        self.optimizer.zero_grad(set_to_none=True)
        total = 0.0
        parts = _split(batch, self.micro)
        if self.misaligned:  # targets sliced y[i : i + m] where y[i * m : (i + 1) * m] belongs
            m = len(batch[1]) // self.micro
            parts = [(part[0], batch[1][i:i + m]) for i, part in enumerate(parts)]
        for part in parts:
            if self.zero_grad_each:
                self.optimizer.zero_grad(set_to_none=True)
            loss = self.compute_loss(self.model, part)
            total += float(loss.detach()) / self.micro
            if self.loss_scale is not None:
                loss = loss * self.loss_scale
            (loss / self.micro if self.divide else loss).backward()
        if not self.unscale_after_clip:
            self._unscale()
        if self.clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        if self.unscale_after_clip:
            self._unscale()
        if guard is not None:
            self.last_report = guard.step(torch.tensor(total), closure=lambda m: self.compute_loss(m, batch))
        else:
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
        return total


def _loop(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
          **loop: Any) -> UserLoop:
    return UserLoop(model, opt, None, batches(0), loss_fn, with_loss_fn(loss_fn), batches, **loop)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 16, size: int = 16, classes: int = 10, shuffled: bool = False
           ) -> Callable[[int], Any]:
    """Class-template images: a fixed smooth 3x16x16 template per class (10 classes) plus N(0, 0.8^2) noise:
    ``(images, labels)``."""
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=_fixed(1)), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def boxes(seed: int, batch: int = 16, size: int = 32, classes: int = 3, stride: int = 4) -> Callable[[int], Any]:
    """Detection scenes: one axis-aligned box (sides 10 to 21 pixels) per 3x32x32 image, filled with its class's
    fixed colour, on N(0, 0.5^2) noise, and FCOS's targets on the stride-4 8x8 grid of location centres: each
    location inside the box is positive, with the class and its ``(l, t, r, b)`` distances to the box's sides in
    stride units: ``(images, (class or -1 (b, 8, 8), ltrb (b, 4, 8, 8)))``."""
    colours = 1.5 * torch.randn(classes, 3, generator=_fixed(2))
    n = size // stride
    centre = torch.arange(n).float() * stride + stride / 2

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        wh = torch.randint(10, 22, (batch, 2), generator=g).float()
        x0 = (torch.rand(batch, 2, generator=g) * (size - wh)).floor()
        x1 = x0 + wh
        xs = torch.arange(size).float() + 0.5
        inside_x = (xs >= x0[:, :1]) & (xs < x1[:, :1])
        inside_y = (xs >= x0[:, 1:]) & (xs < x1[:, 1:])
        mask = (inside_y[:, :, None] & inside_x[:, None, :]).float()
        img = 0.5 * torch.randn(batch, 3, size, size, generator=g) + mask[:, None] * colours[y][:, :, None, None]
        left = centre[None, None, :] - x0[:, 0, None, None]
        top = centre[None, :, None] - x0[:, 1, None, None]
        right = x1[:, 0, None, None] - centre[None, None, :]
        bottom = x1[:, 1, None, None] - centre[None, :, None]
        ltrb = torch.stack(torch.broadcast_tensors(left, top, right, bottom), 1) / stride
        pos = ltrb.min(1).values > 0
        cls = torch.where(pos, y[:, None, None], torch.full_like(pos, -1, dtype=torch.long))
        return img, (cls, ltrb)
    return _pool(seed, make)


def keypoints(seed: int, batch: int = 16, size: int = 32, joints: int = 4, sigma: float = 1.5
              ) -> Callable[[int], Any]:
    """Pose images: four joints at random positions (2 to 29 pixels in), each drawn as a Gaussian blob (std 1.5) in
    its joint's fixed colour on N(0, 0.3^2) noise; the targets are the joints' Gaussian heatmaps at half the
    resolution (16x16, std 0.75, peak 1): ``(images (b, 3, 32, 32), heatmaps (b, 4, 16, 16))``."""
    colours = torch.randn(joints, 3, generator=_fixed(3))
    colours = 1.5 * colours / colours.norm(dim=1, keepdim=True)
    grid, half = torch.arange(size).float(), torch.arange(size // 2).float() * 2 + 0.5

    def blobs(xy: torch.Tensor, at: torch.Tensor) -> torch.Tensor:
        dx = (at - xy[..., 0:1]) ** 2
        dy = (at - xy[..., 1:2]) ** 2
        return torch.exp(-(dy[..., :, None] + dx[..., None, :]) / (2 * sigma ** 2))

    def make(g: torch.Generator, _: int) -> Any:
        xy = 2 + torch.rand(batch, joints, 2, generator=g) * (size - 5)
        img = 0.3 * torch.randn(batch, 3, size, size, generator=g) + torch.einsum("bjyx,jc->bcyx", blobs(xy, grid),
                                                                                  colours)
        return img, blobs(xy, half)
    return _pool(seed, make)


def joints_mse(pred: torch.Tensor, heat: torch.Tensor) -> torch.Tensor:
    """The reference code's ``JointsMSELoss``: half the mean squared error of the heatmaps, averaged over joints."""
    return 0.5 * F.mse_loss(pred, heat)


def clips(seed: int, batch: int = 16, frames: int = 4, size: int = 16, speed: int = 3) -> Callable[[int], Any]:
    """Clips of 4 frames (1x16x16): a Gaussian blob (std 1.5, peak 2) moving three pixels a frame in one of four
    directions, the class, from a random start that keeps it in view, plus N(0, 0.3^2) noise: ``(clip (b, 4, 1, 16,
    16), direction)``."""
    moves = torch.tensor([(0, speed), (0, -speed), (speed, 0), (-speed, 0)]).float()
    grid = torch.arange(size).float()
    span = speed * (frames - 1)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        v = moves[y]
        lo = 2 + torch.where(v < 0, -v * (frames - 1), torch.zeros_like(v))
        start = lo + torch.rand(batch, 2, generator=g) * (size - 5 - span)
        pos = start[:, None] + v[:, None] * torch.arange(frames).float()[:, None]
        dy = (grid - pos[..., 0:1]) ** 2
        dx = (grid - pos[..., 1:2]) ** 2
        clip = 2 * torch.exp(-(dy[..., :, None] + dx[..., None, :]) / (2 * 1.5 ** 2))
        return clip[:, :, None] + 0.3 * torch.randn(batch, frames, 1, size, size, generator=g), y
    return _pool(seed, make)


def views(seed: int, batch: int = 32, classes: int = 6, n: int = 12, shuffled: bool = False) -> Callable[[int], Any]:
    """Multi-view renderings of 3-D shapes: six fixed shape classes (smooth random 12^3 occupancy fields, thresholded),
    each sample turned by a random multiple of 90 degrees about the vertical axis and shifted by up to 2 voxels, seen
    from four viewpoints 90 degrees apart round that axis (each view the occupancy's depth sum along the line of
    sight, divided by 6), plus N(0, 0.2^2) noise: ``(views (b, 4, 1, 12, 12), class)``. ``shuffled``: the classes
    permuted within every batch, apart from their shapes."""
    field = F.interpolate(torch.randn(classes, 1, 4, 4, 4, generator=_fixed(5)), size=(n, n, n), mode="trilinear",
                          align_corners=False)[:, 0]
    vols = (field > 0.3).float()

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        turn = torch.randint(0, 4, (batch,), generator=g)
        shift = torch.randint(-2, 3, (batch, 3), generator=g)
        out = torch.empty(batch, 4, 1, n, n)
        for i in range(batch):
            v = vols[y[i]].roll(tuple(int(s) for s in shift[i]), (0, 1, 2))
            for k in range(4):
                out[i, k, 0] = v.rot90(int(turn[i]) + k, (1, 2)).sum(2) / 6
        x = out + 0.2 * torch.randn(out.shape, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def ellipsoids(seed: int, batch: int = 16, points: int = 64, queries: int = 128) -> Callable[[int], Any]:
    """Shapes for occupancy: axis-aligned ellipsoids (centre in [-0.15, 0.15]^3, semi-axes in [0.15, 0.4]); the
    input is 64 points on the surface with N(0, 0.01^2) noise, the queries 64 points uniform inside and 64 outside
    (radii 1.05 to 1.6 times the surface's), with occupancy 1 and 0: ``((cloud, queries), occupancy (b, 128))``."""
    def direction(g: torch.Generator, *shape: int) -> torch.Tensor:
        d = torch.randn(*shape, 3, generator=g)
        return d / d.norm(dim=-1, keepdim=True)

    def make(g: torch.Generator, _: int) -> Any:
        centre = (torch.rand(batch, 1, 3, generator=g) - 0.5) * 0.3
        axes = 0.15 + 0.25 * torch.rand(batch, 1, 3, generator=g)
        cloud = centre + axes * direction(g, batch, points) + 0.01 * torch.randn(batch, points, 3, generator=g)
        r_in = torch.rand(batch, queries // 2, 1, generator=g) ** (1 / 3)
        r_out = 1.05 + 0.55 * torch.rand(batch, queries // 2, 1, generator=g)
        q = torch.cat([r_in * direction(g, batch, queries // 2), r_out * direction(g, batch, queries // 2)], 1)
        occ = torch.cat([torch.ones(batch, queries // 2), torch.zeros(batch, queries // 2)], 1)
        perm = torch.randperm(queries, generator=g)
        return (cloud, centre + axes * q[:, perm]), occ[:, perm]
    return _pool(seed, make)


def occupancy_loss(logits: torch.Tensor, occ: torch.Tensor) -> torch.Tensor:
    """The reference code's loss: the binary cross-entropy of the occupancy logits summed over the query points,
    averaged over the shapes."""
    return F.binary_cross_entropy_with_logits(logits, occ, reduction="none").sum(-1).mean()


def entities(seed: int, batch: int = 32, length: int = 16, empty: int = 0) -> Callable[[int], Any]:
    """NER sentences of 10 to 16 tokens (pad id 0 after them, target -100 there): with probability 0.35 a position
    starts an entity, a trigger word (ids 1 to 8, two per type, tag O) then a span of one to three entity words
    (ids 9 to 40, which say nothing of the type) tagged ``B-type`` then ``I-type`` (four types: tags 1 to 8), else a
    filler word (ids 41 to 63, tag O = 0): ``(tokens (b, 16), tags (b, 16))``. ``empty``: that many sentences of each
    batch are empty (a blank line read as a sentence), all pad."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.zeros(batch, length, dtype=torch.long)
        tags = torch.full((batch, length), -100, dtype=torch.long)
        for i in range(empty, batch):
            n = int(torch.randint(10, length + 1, (1,), generator=g))
            t = 0
            while t < n:
                if float(torch.rand(1, generator=g)) < 0.35 and t + 1 < n:
                    kind = int(torch.randint(0, 4, (1,), generator=g))
                    x[i, t] = 1 + 2 * kind + int(torch.randint(0, 2, (1,), generator=g))
                    tags[i, t] = 0
                    span = min(int(torch.randint(1, 4, (1,), generator=g)), n - t - 1)
                    for s in range(span):
                        x[i, t + 1 + s] = int(torch.randint(9, 41, (1,), generator=g))
                        tags[i, t + 1 + s] = 1 + 2 * kind + (1 if s else 0)
                    t += 1 + span
                else:
                    x[i, t] = int(torch.randint(41, 64, (1,), generator=g))
                    tags[i, t] = 0
                    t += 1
        return x, tags
    return _pool(seed, make)


def tag_loss(logits: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
    """Token cross-entropy over the tags, pads (-100) left out."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tags.reshape(-1), ignore_index=-100)


def slots(seed: int, batch: int = 32, length: int = 16, markers: int = 4) -> Callable[[int], Any]:
    """Slot-filling utterances of 16 words: the first word and then each word with probability 0.15 a slot marker
    (ids 0 to 3, "from", "to", ...; tag O = 4), the others content words (ids 4 to 63) tagged with the slot of the
    latest marker, however far back: ``(words (b, 16), tags (b, 16))``."""
    def make(g: torch.Generator, _: int) -> Any:
        is_marker = torch.rand(batch, length, generator=g) < 0.15
        is_marker[:, 0] = True
        marker = torch.randint(0, markers, (batch, length), generator=g)
        content = torch.randint(markers, 64, (batch, length), generator=g)
        x = torch.where(is_marker, marker, content)
        tags = torch.empty(batch, length, dtype=torch.long)
        slot = marker[:, 0]
        for t in range(length):
            slot = torch.where(is_marker[:, t], marker[:, t], slot)
            tags[:, t] = torch.where(is_marker[:, t], torch.full_like(slot, markers), slot)
        return x, tags
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def _seed(seed: int) -> None:
    torch.manual_seed(490_000 + seed)


def lambda_resnet(seed: int, lr: float = 0.1, bn: bool = True, shuffled: bool = False, weight_decay: float = 1e-4
                  ) -> Setup:
    """LambdaResNet on the class-template images (batch 16), cross-entropy with label smoothing 0.1, SGD momentum 0.9
    at lr 0.1 with weight decay 1e-4 (the ResNet recipe the paper's ImageNet runs follow); ``bn``: see
    :class:`~.fresh49_models.LambdaResNet`."""
    _seed(seed)
    model = M.LambdaResNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, images(seed, shuffled=shuffled), lambda out, y: F.cross_entropy(out, y, label_smoothing=0.1))


def fcos(seed: int, lr: float = 0.01, unscale_after_clip: bool = False, loss_scale: float = 65536.0,
         norm: bool = True) -> Setup:
    """FCOS on the one-box scenes (batch 16), :func:`~.fresh49_models.fcos_loss`, SGD momentum 0.9 weight decay 1e-4
    at the paper's lr 0.01 (its warm-up left out), in an fp16 recipe's set-up kept in fp32: a static loss scale of
    65536 (2^16, the usual initial scale), the gradients divided by it and then clipped at norm 35 (mmdetection's FCOS
    config's ``grad_clip``). ``unscale_after_clip``: the user's own loop clips the still-scaled gradients at 35 and
    divides them by 65536 after (see :class:`UserLoop`); ``norm``: see :class:`~.fresh49_models.FCOS`."""
    _seed(seed)
    model = M.FCOS(norm=norm)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _loop(model, opt, boxes(seed), M.fcos_loss, clip=35.0, loss_scale=loss_scale,
                 unscale_after_clip=unscale_after_clip)


def simple_baseline(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, deconv_std: float = 0.001,
                    bn: bool = True) -> Setup:
    """The simple baseline on the pose images (batch 16), ``JointsMSELoss``, Adam at the paper's lr 1e-3;
    ``weight_decay``: Adam's (coupled L2); ``deconv_std``: see :class:`~.fresh49_models.SimpleBaseline`."""
    _seed(seed)
    model = M.SimpleBaseline(deconv_std=deconv_std, bn=bn)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, keypoints(seed), joints_mse)


def trn(seed: int, lr: float = 1e-3, clip: float | None = 20.0, relation_bias: float | None = None,
        bn: bool = True) -> Setup:
    """TRN on the moving-blob clips (batch 16 of 4 frames), cross-entropy, SGD momentum 0.9 weight decay 5e-4 at the
    reference code's lr 1e-3, the gradient norm clipped at 20 (its ``--clip-gradient 20``); ``clip``: the max norm
    given to ``clip_grad_norm_``; ``relation_bias``, ``bn``: see :class:`~.fresh49_models.TRN`."""
    _seed(seed)
    model = M.TRN(relation_bias=relation_bias, bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, clips(seed), F.cross_entropy, clip=clip)


def mvcnn(seed: int, lr: float = 0.01, layers: int = 1, shuffled: bool = False, micro: int = 4, **loop: Any) -> Setup:
    """MVCNN on the four-view renderings (batch 32 as four accumulated micro-batches of 8), cross-entropy, SGD
    momentum 0.9 weight decay 5e-4 at lr 0.01 (set here); ``layers``: see :class:`~.fresh49_models2.MVCNN`;
    ``shuffled``: see :func:`views`; ``divide``: each micro-batch's loss divided by 4 before its ``backward`` (see
    :class:`UserLoop`)."""
    _seed(seed)
    model = M2.MVCNN(layers=layers)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _loop(model, opt, views(seed, shuffled=shuffled), F.cross_entropy, micro=micro, **loop)


def occnet(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """The occupancy network on the ellipsoids (batch 16 shapes of 64 points, 128 queries), :func:`occupancy_loss`,
    Adam at lr 1e-3 (set here: at the paper's 1e-4 it barely learns in 200 steps); ``weight_decay``: Adam's (coupled
    L2)."""
    _seed(seed)
    model = M2.OccupancyNetwork()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, ellipsoids(seed), occupancy_loss)


def tener(seed: int, lr: float = 1e-3, init_std: float | None = None, empty: int = 0, ln: bool = True,
          weight_decay: float = 0.0) -> Setup:
    """TENER on the NER sentences (batch 32), token cross-entropy over the 9 tags, Adam lr 1e-3 betas (0.9, 0.99)
    (set here); ``init_std``: see :class:`~.fresh49_models2.TENER`; ``empty``: see :func:`entities`."""
    _seed(seed)
    model = M2.TENER(init_std=init_std, ln=ln)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=weight_decay)
    return _xy(model, opt, entities(seed, empty=empty), tag_loss)


def elman(seed: int, lr: float = 0.4, recurrent_scale: float = 0.2) -> Setup:
    """The Elman slot filler on the utterances (batch 32 of 16 words), token cross-entropy over the 5 tags, plain SGD
    (the tutorial's) at lr 0.4 (set here for batches of 32; the tutorial steps each sentence at about 0.06);
    ``recurrent_scale``: see :class:`~.fresh49_models2.ElmanSlotFiller`."""
    _seed(seed)
    model = M2.ElmanSlotFiller(recurrent_scale=recurrent_scale)
    return _xy(model, torch.optim.SGD(model.parameters(), lr=lr), slots(seed), tag_loss)
