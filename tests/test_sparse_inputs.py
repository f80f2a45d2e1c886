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
