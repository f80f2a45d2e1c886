"""A weight the forward applies several times in series compounds its scale once per application: a recursive
layer drawn 3x too large blows the output up by about 8 x log10(3) decades (fresh93's DRCN, told healthy)."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class _Recursive(nn.Module):
    """DRCN in one dimension: an embedding convolution, one shared ReLU convolution applied 8 times (its weight times
    ``radius``), a reconstruction."""

    def __init__(self, radius: float) -> None:
        super().__init__()
        self.embed, self.recon = nn.Conv1d(1, 16, 3, padding=1), nn.Conv1d(16, 1, 3, padding=1)
        self.rec = nn.Conv1d(16, 16, 3, padding=1)
        for m in (self.embed, self.rec, self.recon):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
        with torch.no_grad():
            self.rec.weight.mul_(radius)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.embed(x))
        for _ in range(8):
            h = torch.relu(self.rec(h))
        return self.recon(h)


def _check(radius: float) -> gradguard.diagnosis.Diagnosis:
    torch.manual_seed(0)
    model = _Recursive(radius)
    x = torch.randn(32, 1, 24)
    return gradguard.check(model, (x, 0.1 * x), nn.functional.mse_loss, torch.optim.Adam(model.parameters(), 1e-3),
                           confirm_steps=0)


def test_recursive_weight_drawn_too_large_is_the_init() -> None:
    d = _check(3.0)
    assert d.top is not None and d.top.cause == "init" and d.top.severity != "info"
    assert "rec.weight applied 8 times in series" in d.top.message


def test_recursive_weight_at_its_scheme_is_not_named() -> None:
    d = _check(1.0)
    assert not any(f.cause == "init" and f.severity != "info" for f in d.findings)
