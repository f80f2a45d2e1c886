"""check's data rule and sentinels: one conventional far value in most samples (NeRF's 1e10 last spacing, an additive
attention mask's -1e9) is not a corrupt record; a single corrupt record still is."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class _Render(nn.Module):
    """A NeRF-like model: an MLP on the points, the spacings used only by the quadrature (the last one 1e10)."""

    def __init__(self) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, packed: torch.Tensor) -> torch.Tensor:
        sigma = torch.relu(self.mlp(packed[..., :3]))[..., 0]
        alpha = 1 - torch.exp(-sigma * packed[..., 3])
        return alpha.mean(-1)


def _batch(corrupt: bool) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    pts = torch.randn(64, 16, 3, generator=g)
    delta = torch.cat([torch.full((64, 15), 0.2), torch.full((64, 1), 1e10)], 1)
    packed = torch.cat([pts, delta[..., None]], -1)
    if corrupt:
        packed = packed.clone()
        packed[3, 2, 0] = 1e8  # one corrupt record in a point coordinate
    return packed, torch.rand(64, generator=g)


def _data_findings(corrupt: bool) -> list[str]:
    torch.manual_seed(0)
    model = _Render()
    x, y = _batch(corrupt)
    d = gradguard.check(model, (x, y), nn.functional.mse_loss, torch.optim.Adam(model.parameters(), lr=1e-3))
    return [f.severity for f in d.findings if f.cause == "data"]


def test_a_sentinel_in_every_sample_is_not_a_corrupt_record() -> None:
    assert not [s for s in _data_findings(corrupt=False) if s in ("warning", "critical")]


def test_one_corrupt_record_beside_the_sentinel_is_still_named() -> None:
    assert [s for s in _data_findings(corrupt=True) if s in ("warning", "critical")]
