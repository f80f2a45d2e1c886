"""The guard follows the optimizer's parameter set as it changes (issue 14 item 2)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard import Guard
from gradguard.follow import grow_detector
from gradguard.record import open_run


def _step(model: nn.Module, guard: Guard, seed: int, poison: nn.Parameter | None = None) -> gradguard.StepReport:
    torch.manual_seed(seed)
    loss = model(torch.randn(8, 6)).pow(2).mean()
    loss.backward()
    if poison is not None:
        poison.grad[0] = float("nan")
    return guard.step(loss)


def _finite_state(opt: torch.optim.Optimizer) -> bool:
    return all(torch.isfinite(v).all() for s in opt.state.values() for v in s.values() if isinstance(v, torch.Tensor))


def test_a_nan_gradient_in_a_param_group_added_later_is_skipped_not_applied(tmp_path) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))
    model[2].requires_grad_(False)  # progressive unfreezing: the head joins later through add_param_group
    opt = torch.optim.Adam(model[0].parameters(), lr=1e-2)
    guard = Guard(model, opt, run_dir=tmp_path / "run")
    for i in range(5):
        assert _step(model, guard, i).applied
    assert guard.inventory.num_layers == 1
    model[2].requires_grad_(True)
    opt.add_param_group({"params": list(model[2].parameters())})
    with pytest.warns(RuntimeWarning, match="parameter set changed at step 5"):
        assert _step(model, guard, 5).applied
    assert guard.layer_names == ["0", "2"] and len(guard.last_stats.layer_grad_norm) == 2
    assert np.isfinite(guard.last_stats.layer_grad_norm).all()
    before = [p.detach().clone() for p in model.parameters()]
    report = _step(model, guard, 6, poison=model[2].weight)
    assert not report.applied and report.reason == "nonfinite_grad"
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert _finite_state(opt)
    opt.zero_grad(set_to_none=True)
    assert _step(model, guard, 7).applied
    guard.close()
    run = open_run(tmp_path / "run")
    assert list(run.steps["step"]) == list(range(8)) and run.num_layers == 1  # the record keeps its layer table


def test_a_parameter_frozen_at_construction_and_unfrozen_later_is_guarded() -> None:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))
    model[0].bias.requires_grad_(False)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)  # holds the frozen bias too
    guard = Guard(model, opt)
    for i in range(3):
        assert _step(model, guard, i).applied
        opt.zero_grad(set_to_none=True)
    model[0].bias.requires_grad_(True)
    before = model[0].bias.detach().clone()
    with pytest.warns(RuntimeWarning, match="1 more parameter tensor"):
        report = _step(model, guard, 3, poison=model[0].bias)
    assert not report.applied
    assert torch.equal(model[0].bias, before) and _finite_state(opt)
    assert guard.inventory.names[-1] == "0.bias" and guard.inventory.num_layers == 2  # its layer was known


def test_nothing_is_rebuilt_while_the_parameter_set_stays_the_same(monkeypatch) -> None:
    import gradguard.follow as follow_mod

    calls = []
    monkeypatch.setattr(follow_mod, "extend_inventory", lambda *a: calls.append(a) or 0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    guard = Guard(model, opt)
    collector = guard._collector
    for i in range(20):
        _step(model, guard, i)
        opt.zero_grad(set_to_none=i % 2 == 0)
    assert calls == [] and guard._collector is collector and len(collector._plans) == 1


def test_detectors_grow_and_keep_what_they_learnt() -> None:
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))
    opt = torch.optim.SGD(model[0].parameters(), lr=0.05)
    explode = gradguard.detectors.ExplodeDetector(1, z_threshold=4.5, warmup=7)
    guard = Guard(model, opt, detectors=[*gradguard.detectors.default_detectors(1), explode])
    for i in range(12):
        _step(model, guard, i)
        opt.zero_grad(set_to_none=True)
    learnt = np.asarray(explode.state_dict()["history"]["count"])
    opt.add_param_group({"params": list(model[2].parameters())})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _step(model, guard, 12)
    grown = guard.detectors[-1]
    assert grown is not explode and grown.z_threshold == 4.5 and grown.warmup == 7
    count = np.asarray(grown.state_dict()["history"]["count"])
    assert count.shape == (3,) and count[0] == learnt[0] + 1 and count[1] == learnt[1] + 1 and count[2] == 1


def test_grow_detector_leaves_detectors_without_layers_alone() -> None:
    loss = gradguard.detectors.LossSpikeDetector()
    assert grow_detector(loss, 5) is loss


def test_the_deferred_mode_follows_a_param_group_added_later() -> None:
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))
    model[2].requires_grad_(False)
    opt = torch.optim.AdamW(model[0].parameters(), lr=1e-2, fused=True)
    guard = Guard(model, opt, sync="deferred",
                  policy=gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(1.0)))
    for i in range(4):
        _step(model, guard, i)
        opt.zero_grad(set_to_none=True)
    model[2].requires_grad_(True)
    opt.add_param_group({"params": list(model[2].parameters())})
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.warns(RuntimeWarning, match="parameter set changed at step 4"):
        report = _step(model, guard, 4, poison=model[2].weight)
    assert report.step == 3 and report.applied  # the step read now is the one before
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # the NaN step was skipped
    assert _finite_state(opt)
    opt.zero_grad(set_to_none=True)
    report = _step(model, guard, 5)
    assert report.step == 4 and not report.applied and report.reason == "nonfinite_grad"
    guard.close()
