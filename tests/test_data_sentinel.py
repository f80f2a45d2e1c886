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


class _Rescaling(nn.Module):
    """A forecaster that standardises its own input window (RevIN-like) and predicts in the targets' raw units."""

    def __init__(self) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(24, 32), nn.ReLU(), nn.Linear(32, 6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp((x - x.mean(1, keepdim=True)) / (x.std(1, keepdim=True) + 1e-5))


def test_targets_out_of_scale_are_told_even_when_a_rescaled_input_is_further_out() -> None:
    """The worst tensor that the model rescales itself is only worth knowing; targets whose scale comes from a few
    far values (missing readings filled with -999) still are (fresh23's N-HiTS: the inputs a little further out at
    seed 1). Targets at the inputs' raw level, which a model that scales its output back predicts, are not
    (``test_rescaled_inputs``)."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = 1000.0 * torch.randn(64, 24, generator=g)
    y = torch.randn(64, 6, generator=g)
    y[torch.rand(64, 6, generator=g) < 0.08] = -999.0
    model = _Rescaling()
    d = gradguard.check(model, (x, y), nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=1e-3),
                        confirm_steps=0)
    data = [f for f in d.findings if f.cause == "data" and "decades_off_unit_scale" in f.evidence]
    assert data and data[0].severity in ("warning", "critical") and "target" in data[0].message
