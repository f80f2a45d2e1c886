"""Counterfactual confirmation (issue 12): short runs on copies, remedies, demotion, promotion, no side effects."""

from __future__ import annotations

import copy
import importlib
import json
import math
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import Diagnosis, Finding, check
from gradguard.diagnosis.confirm import CONFIRM_STEPS, OUTRANK_DECADES, confirm, decades_gained
from gradguard.diagnosis.shortrun import RUN_SEED, Trajectory, short_run
from gradguard.errors import ConfigError

confirm_mod = importlib.import_module("gradguard.diagnosis.confirm")


def _regression(seed: int = 0, n: int = 64, d: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    return x, x @ torch.randn(d, 1, generator=g) + 0.1 * torch.randn(n, 1, generator=g)


def _manual(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, steps: int,
            sched: object = None) -> list[float]:
    """Plain PyTorch: ``steps`` steps on the same batch, the loss before each and after the last."""
    out = []
    for k in range(steps + 1):
        loss = F.mse_loss(model(x), y)
        out.append(float(loss.detach()))
        if k == steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
    return out


def _run(x: torch.Tensor, y: torch.Tensor):
    return lambda m: F.mse_loss(m(x), y)


def test_short_run_is_plain_training_on_a_copy() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    x, y = _regression()
    before = copy.deepcopy(model.state_dict())
    t = short_run(model, _run(x, y), opt, 6)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    assert opt.state_dict()["state"] == {}  # the user's optimizer took no step
    ref = copy.deepcopy(model)
    expect = _manual(ref, torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3), x, y, 6)
    assert t.steps == 6 and len(t.losses) == 7 and t.finite
    assert t.losses == pytest.approx(expect, rel=1e-5)
    lr10 = short_run(model, _run(x, y), opt, 6, "lr")
    ref = copy.deepcopy(model)
    assert lr10.losses == pytest.approx(
        _manual(ref, torch.optim.SGD(ref.parameters(), lr=0.005, momentum=0.9, weight_decay=1e-3), x, y, 6), rel=1e-5)
    nowd = short_run(model, _run(x, y), opt, 6, "regularization")
    ref = copy.deepcopy(model)
    assert nowd.losses == pytest.approx(
        _manual(ref, torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9), x, y, 6), rel=1e-5)


def test_data_and_numeric_remedies() -> None:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = _regression()
    x = x * 300 + 50
    t = short_run(model, _run(x, y), opt, 5, "data")
    ref = copy.deepcopy(model)
    xs = (x - x.mean(0)) / x.std(0)
    assert t.losses == pytest.approx(_manual(ref, torch.optim.Adam(ref.parameters(), lr=1e-2), xs, y, 5), rel=1e-4)
    t64 = short_run(model, lambda m: F.mse_loss(m(x), y.double()), opt, 3, "numeric")
    assert t64.applicable and not t64.error and t64.finite
    # token ids only: nothing to standardise, so the data remedy does not apply
    emb = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 1))
    ids = torch.randint(0, 10, (16, 3))
    none = short_run(emb, lambda m: m(ids).pow(2).mean(), torch.optim.SGD(emb.parameters(), lr=0.1), 3, "data")
    assert not none.applicable


def test_short_run_steps_a_copy_of_the_scheduler() -> None:
    torch.manual_seed(2)
    model = nn.Linear(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / 4)
    x, y = _regression()
    t = short_run(model, _run(x, y), opt, 5, lrs=sched.get_last_lr(), scheduler=sched)
    assert sched.last_epoch == 0 and sched.get_last_lr() == [0.025] and opt.param_groups[0]["lr"] == 0.025
    ref = copy.deepcopy(model)
    ropt = torch.optim.SGD(ref.parameters(), lr=0.1)
    expect = _manual(ref, ropt, x, y, 5, torch.optim.lr_scheduler.LambdaLR(ropt, lambda s: (s + 1) / 4))
    assert t.losses == pytest.approx(expect, rel=1e-5)


def test_decades_gained() -> None:
    a = Trajectory("none", losses=[1.0, 0.5])
    assert decades_gained(a, Trajectory("lr", losses=[1.0, 0.05])) == pytest.approx(1.0)
    assert decades_gained(Trajectory("none", losses=[1.0, math.nan]), Trajectory("lr", losses=[1.0, 2.0])) == math.inf
    assert decades_gained(a, Trajectory("lr", losses=[1.0, math.inf])) == -math.inf
    assert decades_gained(a, Trajectory("lr", applicable=False)) is None
    assert decades_gained(Trajectory("none", losses=[-1.0, -2.0]), Trajectory("lr", losses=[-1.0, -3.0])) is None


def _init_finding(model: nn.Sequential, expected: float) -> Finding:
    layers = {f"{i}.weight": {"std": float(m.weight.detach().std()), "expected_std": expected, "factor": 1.0,
                              "activation": "relu", "scheme": "he", "param": "weight"}
              for i, m in enumerate(model) if isinstance(m, nn.Linear)}
    return Finding("init", list(layers), "warning", 0.8, {"layers": layers}, "init", "re-init", "")


def test_demotes_an_init_finding_whose_remedy_does_not_help_and_keeps_one_that_does() -> None:
    torch.manual_seed(3)
    x, y = _regression(3, d=16)
    healthy = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1))
    # the finding asks for what the layers already are (the same draw fix() would make): the remedy changes
    # nothing, so it confirms nothing (a redraw of a healthy layer moves 8 steps by ~0.01-0.04 decades either way)
    f = _init_finding(healthy, 0.1)
    with torch.no_grad():
        gen = torch.Generator().manual_seed(RUN_SEED)
        for key in f.evidence["layers"]:
            w = healthy[int(key.split(".")[0])].weight
            w.copy_(torch.randn(w.shape, generator=gen) * 0.1)
    opt = torch.optim.Adam(healthy.parameters(), lr=1e-3)
    cost = confirm([f], healthy, _run(x, y), opt, steps=8)
    assert f.severity == "info" and "not_confirmed" in f.evidence
    assert f.evidence["not_confirmed"]["decades_gained"] == 0.0
    assert cost == {"confirm_runs": 2, "confirm_steps": 16}
    blown = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1))
    with torch.no_grad():
        for p in blown.parameters():
            p.normal_(0.0, 5.0)
    g = _init_finding(blown, math.sqrt(2 / 16))
    confirm([g], blown, _run(x, y), torch.optim.Adam(blown.parameters(), lr=1e-3), steps=8)
    assert g.severity == "warning" and "not_confirmed" not in g.evidence
    # what confirmed it travels with the finding: the re-initialised run ends lower by at least the margin
    got = g.evidence["confirmed"]
    assert got["by"] == "final loss" and got["steps"] == 8 and got["margin"] == 0.01
    assert got["decades_gained"] >= got["margin"] and "re-initialised" in got["remedy"]
    assert "confirmed" not in f.evidence


def test_promotes_the_remedy_that_restores_a_run_no_rule_flagged() -> None:
    torch.manual_seed(4)
    x, y = _regression(4)
    model = nn.Linear(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=3.0)  # stable below ~0.8 on this batch: diverges; lr/10 does not
    findings: list[Finding] = []
    cost = confirm(findings, model, _run(x, y), opt, steps=CONFIRM_STEPS)
    assert [f.cause for f in findings] == ["lr"] and findings[0].severity == "critical"
    ev = findings[0].evidence
    assert ev["user_losses"][-1] > 100 * ev["user_losses"][0]  # measured: the user's run blows up
    assert ev["remedy_losses"][-1] < ev["remedy_losses"][0]
    assert cost["confirm_runs"] == 2
    d = Diagnosis(findings=findings)
    assert "Confirmed by intervention" in str(d) and not d.healthy and d.top is findings[0]
    json.dumps(d.to_dict(), allow_nan=False)  # the user's non-finite losses serialise (the CLI's --json)
    # a run that learns: nothing is added
    calm: list[Finding] = []
    confirm(calm, model, _run(x, y), torch.optim.SGD(model.parameters(), lr=0.05), steps=CONFIRM_STEPS)
    assert calm == []


def test_a_rule_finding_is_left_alone_without_runs() -> None:
    model = nn.Linear(8, 1)
    x, y = _regression()
    f = Finding("recurrence", [], "critical", 0.5, {}, "m", "p", "")
    assert confirm([f], model, _run(x, y), torch.optim.SGD(model.parameters(), lr=0.1)) == \
        {"confirm_runs": 0, "confirm_steps": 0}
    assert f.severity == "critical"


def test_check_with_confirmation_leaves_no_side_effects() -> None:
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 32),
                          nn.ReLU(), nn.Linear(32, 1))
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, 3.0)  # an init finding: confirmed by its own short run
    x, y = _regression(5)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10))
    F.mse_loss(model(x), y).backward()
    opt.step()
    sched.step()
    model[0].weight.grad = None
    model.eval()
    model[1].train()
    grads = {n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()}
    state = copy.deepcopy(model.state_dict())
    opt_state = json.dumps({str(k): {kk: vv.tolist() if isinstance(vv, torch.Tensor) else vv for kk, vv in v.items()}
                            for k, v in opt.state_dict()["state"].items()})
    sched_state = dict(sched.state_dict())
    modes = [m.training for m in model.modules()]
    torch.manual_seed(123)
    np.random.seed(5)
    random.seed(7)
    rng = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    d = check(model, (x, y), F.mse_loss, opt, scheduler=sched, steps_done=0, confirm_steps=CONFIRM_STEPS)
    assert d.cost["confirm_runs"] >= 1 and d.cost["confirm_steps"] >= CONFIRM_STEPS
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k
    for n, p in model.named_parameters():
        assert (p.grad is None) == (grads[n] is None) and (p.grad is None or torch.equal(p.grad, grads[n])), n
    assert [m.training for m in model.modules()] == modes
    assert json.dumps({str(k): {kk: vv.tolist() if isinstance(vv, torch.Tensor) else vv for kk, vv in v.items()}
                       for k, v in opt.state_dict()["state"].items()}) == opt_state
    assert {k: v for k, v in sched.state_dict().items() if k != "lr_lambdas"} == \
        {k: v for k, v in sched_state.items() if k != "lr_lambdas"}
    assert torch.equal(torch.get_rng_state(), rng[0])
    assert np.array_equal(np.random.get_state()[1], rng[1]) and random.getstate() == rng[2]


def test_confirm_steps_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    model = nn.Linear(8, 1)
    x, y = _regression()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    off = check(model, (x, y), F.mse_loss, opt, confirm_steps=0)
    assert "confirm_runs" not in off.cost
    default = check(model, (x, y), F.mse_loss, opt)  # automatic: a small model and optimizer are confirmed
    assert default.cost["confirm_runs"] == 1 and default.cost["confirm_steps"] == CONFIRM_STEPS
    with monkeypatch.context() as mp:  # over the size limit: not run, and the notes say why and how to ask for it
        mp.setattr(confirm_mod, "AUTO_CONFIRM_BYTES", 16)
        big = check(model, (x, y), F.mse_loss, opt)
    assert "confirm_runs" not in big.cost
    assert any("confirm_steps=12" in n and "MiB" in n for n in big.notes), big.notes
    on = check(model, (x, y), F.mse_loss, opt, confirm_steps=4)
    assert on.cost["confirm_runs"] == 1 and on.cost["confirm_steps"] == 4
    for bad in (-1, 2.5, True, "8"):
        with pytest.raises(ConfigError, match="confirm_steps"):
            check(model, (x, y), F.mse_loss, opt, confirm_steps=bad)  # type: ignore[arg-type]
    no_opt = check(model, (x, y), F.mse_loss)
    assert "confirm_runs" not in no_opt.cost


def test_a_large_gain_from_re_initialising_outranks_an_untestable_first_finding() -> None:
    torch.manual_seed(6)
    x, y = _regression(6, d=16)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.uniform_(0.0, 1.0)  # the slip: uniform_ left at [0, 1)
    norm = Finding("normalization", ["2"], "critical", 0.5, {}, "no normalisation", "add LayerNorm", "", score=3.0)
    findings = [norm]
    cost = confirm(findings, model, _run(x, y), torch.optim.Adam(model.parameters(), lr=1e-3), steps=8)
    assert cost["confirm_runs"] == 2
    top = max(findings, key=lambda f: f.rank_key)
    assert top.cause == "init" and top.evidence["outranks"] == "normalization"
    assert top.evidence["decades_gained"] > OUTRANK_DECADES
    assert norm.severity == "critical"  # kept, ranked second
    # a model initialised as the library does: re-initialising gains nothing like that, the finding stays first
    torch.manual_seed(6)
    plain = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    norm2 = Finding("normalization", ["2"], "critical", 0.5, {}, "no normalisation", "add LayerNorm", "", score=3.0)
    kept = [norm2]
    confirm(kept, plain, _run(x, y), torch.optim.Adam(plain.parameters(), lr=1e-3), steps=8)
    assert kept == [norm2]


def _lr_finding(rise_only: bool) -> Finding:
    return Finding(cause="lr", layers=[], severity="warning", confidence=0.7,
                   evidence={"rise_only": rise_only, "suggested_lr": 0.01},
                   message="The SGD step is too large: one step raises the loss on this very batch.",
                   prescription="Lower the learning rate.", code="", score=1.0)


def test_an_lr_warning_from_one_steps_rise_is_demoted_when_a_tenth_of_the_lr_does_not_help() -> None:
    torch.manual_seed(4)
    x, y = _regression(4, d=16)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)  # learns steadily: a tenth of the lr only slows it
    rise = _lr_finding(rise_only=True)
    confirm([rise], model, _run(x, y), opt, steps=8)
    assert rise.severity == "info" and rise.evidence["not_confirmed"]["decades_gained"] < 0
    other = _lr_finding(rise_only=False)  # a step too large for the weights: no short run is asked to judge it
    confirm([other], model, _run(x, y), opt, steps=8)
    assert other.severity == "warning" and "not_confirmed" not in other.evidence
    blown = _lr_finding(rise_only=True)  # at a rate that really is too large, the tenth helps: kept
    confirm([blown], model, _run(x, y), torch.optim.SGD(model.parameters(), lr=0.5), steps=8)
    assert blown.severity == "warning" and "not_confirmed" not in blown.evidence
