"""A sparse input (most values exactly 0) is measured against its non-zero values: ratings are not corrupt records,
a corrupt record among them still is."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _check(corrupt: bool) -> gradguard.Diagnosis:
    g = torch.Generator().manual_seed(0)
    ratings = torch.randint(1, 6, (32, 100), generator=g).float()
    ratings *= (torch.rand(32, 100, generator=g) < 0.1).float()  # 90% unrated (0), the rest 1..5
    if corrupt:
        ratings[3, 7] = 1e6
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(100, 32), nn.Sigmoid(), nn.Linear(32, 100))  # an AutoRec-style autoencoder
    return gradguard.check(model, (ratings, ratings), F.mse_loss, torch.optim.Adam(model.parameters(), lr=1e-3))


def test_sparse_ratings_are_not_an_outlier_and_a_corrupt_rating_is() -> None:
    assert not any(f.cause == "data" and f.severity != "info" for f in _check(corrupt=False).findings)
    d = _check(corrupt=True)
    assert d.top is not None and d.top.cause == "data" and "median" in d.top.message, d.top


def _frames(raw_column: bool) -> gradguard.Diagnosis:
    """Next-frame regression on rendered blobs (a Gaussian spot on an empty 12x12 frame: background ~1e-8, the spot
    1.0): nearly sparse, every value at or below unit scale; with ``raw_column`` one pixel column holds raw counts."""
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(12.0), torch.arange(12.0), indexing="ij")
    cy, cx = torch.rand(32, 1, 1, generator=g) * 11, torch.rand(32, 1, 1, generator=g) * 11
    frames = torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 1.5).reshape(32, 144)
    if raw_column:
        frames[:, 5] = torch.randint(1_000, 50_000, (32,), generator=g).float()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(144, 64), nn.ReLU(), nn.Linear(64, 144))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return gradguard.check(model, (frames, frames.roll(1, 1)), F.mse_loss, opt)


def test_blobs_on_an_empty_frame_are_not_a_corrupt_record_and_a_raw_column_among_them_is() -> None:
    d = _frames(raw_column=False)
    assert not any(f.cause == "data" and f.severity != "info" for f in d.findings), d.findings
    d = _frames(raw_column=True)
    assert d.top is not None and d.top.cause == "data" and d.top.severity == "critical", d.top
