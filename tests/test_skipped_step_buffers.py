"""A skipped non-finite step leaves no NaN in the model's buffers (gradguard.buffers).

Its forward has already run: a NaN in the batch writes NaN into BatchNorm's running statistics, training goes on
finite (batch statistics) and evaluation outputs NaN. pytorch/examples' mnist_rnn with one NaN pixel ended at test
loss NaN after the guard had skipped the step (third real-code round).
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradguard import Guard


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 1))


def _run(policy: str, sync: str = "blocking", nan_at: int | None = 12, steps: int = 30
         ) -> tuple[nn.Module, list[tuple[int, str, dict]]]:
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=sync == "deferred")
    g = torch.Generator().manual_seed(1)
    seen = []
    with Guard(model, opt, policy=policy, sync=sync) as guard:
        for step in range(steps):
            x, y = torch.randn(16, 8, generator=g), torch.randn(16, 1, generator=g)
            if step == nan_at:
                x[0, 3] = float("nan")
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            report = guard.step(loss)
            seen += [(e.step, e.severity, e.evidence) for e in report.events
                     if e.kind == "nonfinite" and e.evidence.get("where") == "buffers"]
        if sync == "deferred":
            seen += [(e.step, e.severity, e.evidence) for e in guard.flush().events
                     if e.kind == "nonfinite" and e.evidence.get("where") == "buffers"]
    return model, seen


@pytest.mark.parametrize("sync", ["blocking", "deferred"])
def test_a_skipped_nan_batch_leaves_batchnorm_finite(sync: str) -> None:
    model, seen = _run("safe", sync)
    bn = model[1]
    assert bool(torch.isfinite(bn.running_mean).all()) and bool(torch.isfinite(bn.running_var).all())
    model.eval()
    assert bool(torch.isfinite(model(torch.randn(4, 8))).all())
    assert len(seen) == 1 and seen[0][0] == 12 and seen[0][1] == "warning"
    assert seen[0][2]["buffers"] == ["1.running_mean", "1.running_var"]
    assert 0 <= seen[0][2]["restored_from_step"] <= 12


def test_a_healthy_run_is_untouched_and_monitor_repairs_nothing() -> None:
    plain = _model()
    opt = torch.optim.Adam(plain.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    for _ in range(30):
        x, y = torch.randn(16, 8, generator=g), torch.randn(16, 1, generator=g)
        opt.zero_grad()
        nn.functional.mse_loss(plain(x), y).backward()
        opt.step()
    guarded, seen = _run("safe", nan_at=None)
    assert seen == []
    for a, b in zip([*plain.parameters(), *plain.buffers()], [*guarded.parameters(), *guarded.buffers()]):
        assert torch.equal(a, b)
    _, seen = _run("monitor")  # monitor changes nothing: the step is applied, nothing is repaired
    assert seen == []
