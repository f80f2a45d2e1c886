"""Wrong settings fail at construction with a message naming the setting, and change nothing."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import gradguard
from gradguard import ConfigError, GradGuardError, Guard
from helpers import mlp, same_optimizer_state, snapshot_optimizer


def _pair() -> tuple[nn.Module, torch.optim.Optimizer]:
    model = mlp()
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def _unchanged(model: nn.Module, opt: torch.optim.Optimizer, fn) -> Exception:
    weights = [p.detach().clone() for p in model.parameters()]
    flags = [p.requires_grad for p in model.parameters()]
    groups = [dict((k, v) for k, v in g.items() if k != "params") for g in opt.param_groups]
    state = snapshot_optimizer(opt)
    with pytest.raises(GradGuardError) as info:
        fn()
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))
    assert flags == [p.requires_grad for p in model.parameters()]
    assert groups == [dict((k, v) for k, v in g.items() if k != "params") for g in opt.param_groups]
    assert same_optimizer_state(state, snapshot_optimizer(opt))
    return info.value


def test_optimizer_not_owning_the_model() -> None:
    model, _ = _pair()
    other = torch.optim.SGD(mlp().parameters(), lr=0.1)
    err = _unchanged(model, other, lambda: Guard(model, other))
    assert "optimizer" in str(err) and "owns none" in str(err)


def test_no_trainable_parameters() -> None:
    model, opt = _pair()
    model.requires_grad_(False)
    err = _unchanged(model, opt, lambda: Guard(model, opt))
    assert "requires_grad" in str(err)


@pytest.mark.parametrize("value", [-1.0, 0.0, float("nan"), float("inf")])
def test_bad_clip_threshold(value: float) -> None:
    with pytest.raises(ConfigError, match="max_norm"):
        gradguard.clip_by_global_norm(value)


@pytest.mark.parametrize("setting,value", [("update_every", -1), ("flush_every", 0), ("flush_seconds", float("nan")),
                                           ("flush_seconds", -2.0), ("policy", "yolo"), ("scaler", object()),
                                           ("max_flight_records", -1), ("diagnose_every", 0), ("loss_fn", 3)])
def test_bad_settings_name_the_setting(setting: str, value: object) -> None:
    model, opt = _pair()
    err = _unchanged(model, opt, lambda: Guard(model, opt, **{setting: value}))
    assert isinstance(err, ConfigError) and err.setting == setting
    assert repr(value)[:10] in str(err) or type(value).__name__ in str(err)


def test_unknown_option_suggests_the_right_one() -> None:
    model, opt = _pair()
    err = _unchanged(model, opt, lambda: Guard(model, opt, polcy="safe"))
    assert "polcy" in str(err) and "Did you mean 'policy'" in str(err)


def test_run_dir_that_is_a_file(tmp_path) -> None:
    model, opt = _pair()
    f = tmp_path / "afile"
    f.write_text("x")
    err = _unchanged(model, opt, lambda: Guard(model, opt, run_dir=f))
    assert "run_dir" in str(err) and "file" in str(err)
    assert f.read_text() == "x"


def test_warns_about_trainable_parameters_outside_the_optimizer() -> None:
    model = mlp()
    opt = torch.optim.SGD(model[0].parameters(), lr=0.1)
    with pytest.warns(UserWarning, match="not in the optimizer"):
        Guard(model, opt)
