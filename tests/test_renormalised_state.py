"""A recurrent cell whose state is renormalised at every step (``F.normalize``, as JODIE's reference code does with
its user state) loses the new state's norm each step: the gradient over the sequence shrinks by it however the
recurrent weight is drawn, and an orthogonal weight would not undo it. At PyTorch's default cell init (radius ~0.6,
in band) that decay is not named ``recurrence`` (fresh107's JODIE, healthy, told ``recurrence`` at every seed in
session 43); a recurrent weight off the band still is."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class StateCell(nn.Module):
    def __init__(self, normalise: bool, radius: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(40, 16)
        self.cell = nn.RNNCell(17, 32)
        self.out = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 4))
        self.normalise = normalise
        if radius is not None:
            with torch.no_grad():
                w = self.cell.weight_hh
                w.mul_(radius / torch.linalg.eigvals(w).abs().max())

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        items, gaps = batch
        e = self.emb(items)
        u = torch.zeros(items.shape[0], 32)
        for t in range(items.shape[1]):
            u = self.cell(torch.cat([e[:, t], torch.log1p(gaps[:, t:t + 1])], 1), u)
            if self.normalise:
                u = F.normalize(u, dim=1)
        return self.out(u)


def _check(model: nn.Module) -> gradguard.Diagnosis:
    g = torch.Generator().manual_seed(3)
    items, gaps = torch.randint(0, 40, (32, 12), generator=g), torch.rand(32, 12, generator=g) * 5
    y = items[:, -1] % 4  # the last interaction says the class: recent steps are what it needs
    return gradguard.check(model, ((items, gaps), y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=3e-3))


def _recurrence(d: gradguard.Diagnosis) -> list:
    return [f for f in d.findings if f.cause == "recurrence" and f.severity != "info"]


def test_a_state_renormalised_each_step_is_not_a_vanishing_recurrence() -> None:
    torch.manual_seed(0)
    d = _check(StateCell(normalise=True))
    assert _recurrence(d) == [] and d.healthy


def test_the_reading_needs_the_renormalisation_and_a_radius_in_band(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gradguard.diagnosis import recurrence

    torch.manual_seed(0)
    # without the reading, the same model's decay over its 12 steps is told recurrence
    monkeypatch.setattr(recurrence, "RADIUS_BAND", (0.0, 0.0))
    before = _recurrence(_check(StateCell(normalise=True)))
    assert before and before[0].evidence["decades_per_step"] < -recurrence.VANISHING_PER_STEP
    monkeypatch.undo()
    torch.manual_seed(0)
    assert _recurrence(_check(StateCell(normalise=True, radius=20.0)))  # off the band: still told
