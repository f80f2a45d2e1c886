"""A model drawn N(0, 1) throughout, one of whose weights is reused over its layers: the init is named first, the
growth over the reuses after it, whichever measurement explains the init finding (fresh95's G2-GNN at N(0, 1): its
gate convolution, reused over 8 layers, was named a recurrence first). Since b899219 the reused weight's applications
are counted in the init's own compounding, so the finding names it too."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class _TiedStack(nn.Module):
    """An encoder, one shared layer applied ``hops`` times with a ReLU, a decoder."""

    def __init__(self, std: float | None, hops: int = 8) -> None:
        super().__init__()
        self.enc, self.shared, self.dec = nn.Linear(16, 64), nn.Linear(64, 64), nn.Linear(64, 4)
        self.hops = hops
        if std is not None:
            for m in (self.enc, self.shared, self.dec):
                nn.init.normal_(m.weight, 0.0, std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.enc(x))
        for _ in range(self.hops):
            h = torch.relu(self.shared(h))
        return self.dec(h)


def _check(std: float | None) -> gradguard.diagnosis.Diagnosis:
    torch.manual_seed(0)
    model = _TiedStack(std)
    x, y = torch.randn(64, 16), torch.randint(0, 4, (64,))
    return gradguard.check(model, (x, y), nn.functional.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3),
                           confirm_steps=0)


def test_model_drawn_too_large_is_named_before_its_reused_weight() -> None:
    d = _check(1.0)
    assert d.top is not None and d.top.cause == "init" and d.top.severity == "critical"
    assert "shared" in d.top.layers
    grown = [f for f in d.findings if f.cause == "recurrence" and f.direction > 0]
    assert all(f.rank_key < d.top.rank_key for f in grown)


def test_default_init_is_not_called_model_wide() -> None:
    d = _check(None)
    assert not any("model_wide" in f.evidence for f in d.findings)
