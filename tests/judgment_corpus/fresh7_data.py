"""Synthetic data of the eighth held-out batch (``fresh7.py``): small, learnable, deterministic per seed; written here,
not copied."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ._setup import POOL


def _pool(seed: int, make: Callable[[torch.Generator], Any]) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(30_000 + seed)
    pool = [make(g) for _ in range(POOL)]
    return lambda step: pool[step % POOL]


def set_batches(seed: int, d: int = 8, size: int = 16, classes: int = 4, batch: int = 32,
                pad_value: float | None = None) -> Callable[[int], Any]:
    """Sets of ``size`` Gaussian points labelled by a fixed linear teacher on the set's mean; with ``pad_value``,
    the sets have 8-16 real points and are padded to ``size`` with that fill value (no mask)."""
    w = torch.randn(d, classes, generator=torch.Generator().manual_seed(5151))

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, size, d, generator=g)
        if pad_value is None:
            return x, (x.mean(1) @ w).argmax(1)
        n = torch.randint(size // 2, size + 1, (batch,), generator=g)
        keep = torch.arange(size)[None, :] < n[:, None]
        y = ((x * keep[..., None]).sum(1) / n[:, None] @ w).argmax(1)
        return torch.where(keep[..., None], x, torch.full_like(x, pad_value)), y
    return _pool(seed, make)


def tab_batches(seed: int, cols: int = 6, cats: int = 8, conts: int = 4, batch: int = 64,
                missing: float | None = None, log: Callable[[torch.Tensor], torch.Tensor] | None = None,
                ) -> Callable[[int], Any]:
    """Rows of ``cols`` categorical codes and ``conts`` N(0, 1) features (one float tensor, codes first), labelled
    by a fixed additive teacher; ``missing``: 10% of the continuous entries are unknown and hold that value (a
    sentinel such as -9999); ``log``: feature 0 is a count (``floor(3 exp(z))``, zero for about one row in six)
    passed through ``log`` (``torch.log1p`` or ``torch.log``)."""
    tg = torch.Generator().manual_seed(6262)
    table, w = torch.randn(cols, cats, generator=tg), torch.randn(conts, generator=tg)

    def make(g: torch.Generator) -> Any:
        cat = torch.randint(0, cats, (batch, cols), generator=g)
        cont = torch.randn(batch, conts, generator=g)
        score = table[torch.arange(cols), cat].sum(1) + cont @ w
        if log is not None:
            cont = cont.clone()
            cont[:, 0] = log(torch.floor(3 * torch.exp(cont[:, 0])))
        if missing is not None:
            cont = torch.where(torch.rand(cont.shape, generator=g) < 0.1, torch.full_like(cont, missing), cont)
        return torch.cat([cat.float(), cont], 1), (score > 0).long()
    return _pool(seed, make)


def interaction_batches(seed: int, users: int = 64, items: int = 128, batch: int = 256,
                        ratings: bool = False) -> Callable[[int], Any]:
    """(user, item) pairs with implicit feedback (1 when a fixed rank-4 teacher's affinity is positive, else 0);
    ``ratings``: the teacher's explicit 1-5 star rating instead of the 0/1 interaction."""
    tg = torch.Generator().manual_seed(7373)
    pu, qi = torch.randn(users, 4, generator=tg), torch.randn(items, 4, generator=tg)

    def make(g: torch.Generator) -> Any:
        u = torch.randint(0, users, (batch,), generator=g)
        i = torch.randint(0, items, (batch,), generator=g)
        aff = (pu[u] * qi[i]).sum(1)
        y = (aff / 2 + 3).round().clamp(1, 5) if ratings else (aff > 0).float()
        return torch.stack([u, i], 1), y
    return _pool(seed, make)


def binary_image_batches(seed: int, size: int = 16, classes: int = 10, batch: int = 16,
                         flip: float = 0.05) -> Callable[[int], Any]:
    """Binary images (a thresholded smooth template per class, 5% of pixels flipped); inputs are their own
    targets."""
    tg = torch.Generator().manual_seed(8484)
    templates = (F.interpolate(torch.randn(classes, 1, 4, 4, generator=tg), size=(size, size), mode="bilinear",
                               align_corners=False) > 0).float()

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y]
        x = torch.where(torch.rand(x.shape, generator=g) < flip, 1 - x, x)
        return x, x
    return _pool(seed, make)


def cluster_batches(seed: int, d: int = 32, classes: int = 8, per_class: int = 8, spread: float = 0.6,
                    ) -> Callable[[int], Any]:
    """P x K batches (``classes`` identities, ``per_class`` samples each) of Gaussian clusters around fixed N(0, 1)
    centres, noise ``spread``, for metric learning."""
    centres = torch.randn(classes * 4, d, generator=torch.Generator().manual_seed(9595))

    def make(g: torch.Generator) -> Any:
        ids = torch.randperm(len(centres), generator=g)[:classes]
        y = ids.repeat_interleave(per_class)
        return centres[y] + spread * torch.randn(len(y), d, generator=g), y
    return _pool(seed, make)


def kan_batches(seed: int, d: int = 4, batch: int = 128, scale: float = 1.0) -> Callable[[int], Any]:
    """Inputs uniform on [-1, 1] (the spline grid), times ``scale`` (the raw units when not rescaled), targets a
    smooth function of the rescaled inputs: ``sin(pi x0) + x1 x2 + exp(x3) / 2``, centred."""
    def make(g: torch.Generator) -> Any:
        x = torch.rand(batch, d, generator=g) * 2 - 1
        y = torch.sin(math.pi * x[:, 0]) + x[:, 1] * x[:, 2] + torch.exp(x[:, 3]) / 2 - 0.59
        return x * scale, y
    return _pool(seed, make)


def series_batches(seed: int, channels: int = 3, past: int = 32, future: int = 8, batch: int = 16,
                   ) -> Callable[[int], Any]:
    """``{"past_values", "future_values"}`` windows of multichannel series: per channel two sinusoids of fixed
    periods, random phase and amplitude, plus noise 0.1."""
    periods = torch.tensor([[8.0, 13.0], [6.0, 11.0], [10.0, 17.0]])[:channels]

    def make(g: torch.Generator) -> Any:
        t = torch.arange(past + future, dtype=torch.float)
        phase = torch.rand(batch, channels, 2, generator=g) * 2 * math.pi
        amp = 0.5 + torch.rand(batch, channels, 2, generator=g)
        x = (amp[..., None] * torch.sin(2 * math.pi * t / periods[None, :, :, None] + phase[..., None])).sum(2)
        x = (x + 0.1 * torch.randn(x.shape, generator=g)).transpose(1, 2)
        return {"past_values": x[:, :past], "future_values": x[:, past:]}
    return _pool(seed, make)


def raw_column(batches: Callable[[int], Any], units: float) -> Callable[[int], Any]:
    """``batches`` with feature 0 left in raw units: ``units`` times its standardised value plus ``units`` (a count
    or an amount never standardised); the labels are unchanged."""
    cache: dict[int, Any] = {}

    def get(step: int) -> Any:
        key = step % POOL
        if key not in cache:
            x, y = batches(step)
            x = x.clone()
            x[:, 0] = units * (x[:, 0] + 1)
            cache[key] = (x, y)
        return cache[key]
    return get
