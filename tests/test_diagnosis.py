"""Unit tests of the pre-flight diagnosis: side effects, bad input, measurements against references, API."""

from __future__ import annotations

import copy
import json
import math
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from diagnosis_zoo import ZOO, FunctionalReLUNet, SeqClassifier
from gradguard.diagnosis import CAUSES, Diagnosis, DiagnosisError, Finding, check, diagnose_step, fix
from gradguard.diagnosis.init_check import expected_std, weight_specs
from gradguard.diagnosis.probe import run_probe
from gradguard.diagnosis.recurrence import find_recurrent, spectral_radius
from gradguard.errors import ConfigError, GradGuardError


def _bn_model() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 1))


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(32, 8), torch.randn(32, 1)


# ---------------------------------------------------------------- side effects


def test_probe_leaves_no_side_effects() -> None:
    model = _bn_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = _batch()
    F.mse_loss(model(x), y).backward()
    opt.step()  # the optimizer has state now
    model[0].weight.grad = None  # one None grad, the others kept
    model.eval()
    model[1].train()  # mixed modes
    grads = {n: p.grad for n, p in model.named_parameters()}
    grad_values = {n: None if g is None else g.clone() for n, g in grads.items()}
    state = {k: v.clone() for k, v in model.state_dict().items()}
    opt_state = json.dumps({str(k): {kk: vv.tolist() if isinstance(vv, torch.Tensor) else vv for kk, vv in v.items()}
                            for k, v in opt.state_dict()["state"].items()})
    modes = [m.training for m in model.modules()]
    torch.manual_seed(123)
    np.random.seed(5)
    random.seed(7)
    rng = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())

    d = check(model, (x, y), F.mse_loss, opt)
    assert d.cost["forward"] == 1 and d.cost["backward"] == 1 and d.cost["optimizer_step"] == 1
    assert 2 <= d.cost["forward_along_step"] <= 8

    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k  # weights and BN running stats, num_batches_tracked
    assert [m.training for m in model.modules()] == modes
    for n, p in model.named_parameters():
        assert p.grad is grads[n]
        if grad_values[n] is None:
            assert p.grad is None
        else:
            assert torch.equal(p.grad, grad_values[n])
    after = json.dumps({str(k): {kk: vv.tolist() if isinstance(vv, torch.Tensor) else vv for kk, vv in v.items()}
                        for k, v in opt.state_dict()["state"].items()})
    assert after == opt_state
    assert torch.equal(torch.get_rng_state(), rng[0])
    assert np.array_equal(np.random.get_state()[1], rng[1])
    assert random.getstate() == rng[2]


def test_state_restored_when_the_model_fails() -> None:
    model = _bn_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(DiagnosisError):
        check(model, (torch.randn(4, 8), torch.randn(4, 1)), lambda o, t: o)  # non-scalar loss after the forward
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("batch", "loss_fn", "words"),
    [
        ((torch.randn(4, 5), torch.randn(4, 1)), F.mse_loss, ["model(inputs) failed", "(4, 5)", "mat1 and mat2"]),
        ((torch.randn(4, 8), torch.randn(4, 1)), lambda o, t: (o - t) ** 2, ["scalar", "(4, 1)"]),
        (torch.randn(4, 8), F.mse_loss, ["(inputs, targets) pair"]),
        ((torch.randn(4, 8),), F.mse_loss, ["(inputs, targets) pair"]),
        ((torch.randn(4, 8), torch.randn(4, 3)), lambda o, t: F.cross_entropy(o, t.long()), ["loss_fn", "failed"]),
    ],
)
def test_bad_input_raises_clear_error(batch: object, loss_fn: object, words: list[str]) -> None:
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    with pytest.raises(GradGuardError) as info:
        check(model, batch, loss_fn)  # type: ignore[arg-type]
    for w in words:
        assert w in str(info.value)
    assert info.value.__cause__ is None and (info.value.__context__ is None or info.value.__suppress_context__)


def test_model_without_parameters() -> None:
    with pytest.raises(DiagnosisError, match="no trainable parameters"):
        check(nn.ReLU(), (torch.randn(2, 3), torch.randn(2, 3)), F.mse_loss)


def test_fix_rejects_architecture_changes() -> None:
    model = nn.Sequential(nn.Linear(8, 1))
    d = check(model, (torch.randn(4, 8), torch.randn(4, 1)), F.mse_loss)
    for apply in (("init", "normalization"), ("lstm",), "batchnorm", ()):
        with pytest.raises(ConfigError) as info:
            fix(model, d, apply=apply)
        assert info.value.setting == "apply" and "init" in str(info.value)


# ---------------------------------------------------------------- measurements against references


def test_spectral_radius_matches_eigenvalues_not_norm() -> None:
    w = torch.tensor([[0.0, 4.0], [0.0, 0.0]])  # nilpotent: radius 0, norm 4
    assert spectral_radius(w) == pytest.approx(0.0, abs=1e-6)
    q, _ = torch.linalg.qr(torch.randn(16, 16, dtype=torch.float64))
    assert spectral_radius(0.7 * q) == pytest.approx(0.7, rel=1e-6)


def test_lstm_radius_per_gate_block() -> None:
    lstm = nn.LSTM(4, 8, batch_first=True)
    with torch.no_grad():
        for g, r in enumerate((0.1, 0.2, 0.3, 0.4)):
            q, _ = torch.linalg.qr(torch.randn(8, 8))
            lstm.weight_hh_l0[g * 8:(g + 1) * 8] = r * q
    probe = run_probe(SeqClassifier(lstm, 8), (torch.randn(3, 6, 4), torch.randint(0, 2, (3,))), F.cross_entropy)
    (layer,) = find_recurrent(probe)
    got = [layer.radii[f"weight_hh_l0[{g}]"] for g in ("input", "forget", "cell", "output")]
    assert got == pytest.approx([0.1, 0.2, 0.3, 0.4], rel=1e-4)
    assert layer.steps == 6 and layer.decades is not None


def test_dead_and_saturated_fractions_match_a_naive_count() -> None:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    with torch.no_grad():
        model[0].bias[:5] = -100.0  # 5 of 16 units dead
        model[2].weight.mul_(20.0)
    x, y = _batch()
    probe = run_probe(model, (x, y), F.mse_loss)
    relu = next(r for r in probe.records if r.name == "1")
    tanh = next(r for r in probe.records if r.name == "3")
    with torch.no_grad():
        h = model[1](model[0](x))
        t = model[3](model[2](h))
    assert relu.dead_frac == pytest.approx(float((h <= 0).all(dim=0).float().mean()))
    assert relu.dead_frac >= 5 / 16
    assert tanh.sat_frac == pytest.approx(float((t.abs() > 0.99).float().mean()))


def test_functional_activation_is_found_from_the_forward() -> None:
    model = FunctionalReLUNet(depth=3)
    probe = run_probe(model, (torch.randn(16, 16), torch.randn(16, 1)), F.mse_loss)
    specs = {s.key: s for s in weight_specs(probe)}
    assert specs["blocks.0.weight"].activation == "relu"
    assert specs["blocks.0.weight"].expected_std == pytest.approx(math.sqrt(2 / 16))
    assert specs["head.weight"].activation == "identity"


def test_activation_through_batchnorm_in_sequential() -> None:
    probe = run_probe(_bn_model(), _batch(), F.mse_loss)
    specs = {s.key: s for s in weight_specs(probe)}
    assert specs["0.weight"].activation == "relu" and specs["0.weight"].scheme.startswith("kaiming")


def test_expected_std_follows_he_and_glorot() -> None:
    assert expected_std("relu", 100, 50)[0] == pytest.approx(math.sqrt(2 / 100))
    assert expected_std("tanh", 100, 50)[0] == pytest.approx(math.sqrt(2 / 150))
    assert expected_std("identity", 10, 10)[0] == pytest.approx(math.sqrt(0.1))


def test_numeric_names_the_module() -> None:
    case = next(c for c in ZOO if c.name == "log_of_zero")
    model, batch, loss_fn, opt = case.build(0)
    d = check(model, batch, loss_fn, opt)
    assert d.top is not None and d.top.cause == "numeric" and d.top.layers == ["2"]


def test_gradient_profile_decreases_for_small_init() -> None:
    case = next(c for c in ZOO if c.name == "functional_relu_0.3x")
    model, batch, loss_fn, _ = case.build(0)
    d = check(model, batch, loss_fn)
    grads = [p["grad_norm"] for p in d.profile]
    assert len(grads) == 9 and grads[0] < grads[-1] * 1e-3


def test_fix_uses_the_right_scheme_and_no_global_rng() -> None:
    case = next(c for c in ZOO if c.name == "relu_mlp_he3x")
    model, batch, loss_fn, _ = case.build(0)
    d = check(model, batch, loss_fn)
    rng = torch.get_rng_state()
    changes = fix(model, d)
    assert torch.equal(rng, torch.get_rng_state())
    hidden = [c for c in changes if c["layer"] != "16"]
    assert all(c["scheme"].startswith("kaiming") for c in hidden)
    for c in hidden:
        fan_in = model[int(c["layer"])].in_features
        assert c["std_after"] == pytest.approx(math.sqrt(2 / fan_in), rel=0.15)
        assert c["std_before"] == pytest.approx(3 * math.sqrt(2 / fan_in), rel=0.15)


def test_fix_orthogonalises_an_exploding_user_cell() -> None:
    from diagnosis_zoo import UserCellRNN, _set_radius

    torch.manual_seed(0)
    model = UserCellRNN()
    _set_radius(model.rec.weight, 3.0)
    with torch.no_grad():
        model.inp.weight.mul_(0.01)  # stay out of saturation so the gradient really explodes
    batch = (torch.randn(8, 12, 8), torch.randint(0, 2, (8,)))
    d = check(model, batch, F.cross_entropy)
    assert d.top is not None and d.top.cause == "recurrence"
    changes = fix(model, d)
    assert any(c["param"] == "weight" and c["layer"] == "rec" for c in changes)
    assert spectral_radius(model.rec.weight) == pytest.approx(1.0, rel=1e-4)


# ---------------------------------------------------------------- API


def test_render_and_json() -> None:
    case = next(c for c in ZOO if c.name == "sgd_lr10")
    model, batch, loss_fn, opt = case.build(0)
    d = check(model, batch, loss_fn, opt)
    text = str(d)
    assert "lr" in text and "critical" in text and "code:" in text
    blob = json.loads(json.dumps(d.to_dict()))
    assert blob["healthy"] is False and blob["findings"][0]["cause"] == "lr"
    assert all(f.cause in CAUSES and 0 <= f.confidence <= 1 for f in d.findings)
    assert diagnose_step(model, batch, loss_fn, opt)[0].cause == "lr"


def test_ranking_and_healthy() -> None:
    a = Finding("init", ["x"], "warning", 0.5, {}, "m", "p", "c", score=5.0)
    b = Finding("lr", ["x"], "critical", 0.5, {}, "m", "p", "c", score=1.0)
    c = Finding("depth", [], "info", 0.5, {}, "m", "p", "c", score=9.0)
    d = Diagnosis([a, c, b])
    assert [f.cause for f in d.findings] == ["lr", "init", "depth"]
    assert not d.healthy and Diagnosis([c]).healthy
    with pytest.raises(ValueError):
        Finding("magic", [], "info", 0.5, {}, "m", "p", "c")


# ---------------------------------------------------------------- call forms (closure, dict batch, scheduler)


class _TwoInputs(nn.Module):
    """A forward with two inputs and a hidden state, returning a tuple whose first item is the loss."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(4, 8, batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor, h: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out, h = self.rnn(x, h)
        return F.cross_entropy(self.head(out[:, -1]), y), h


class _WithLoss:
    def __init__(self, loss: torch.Tensor) -> None:
        self.loss = loss


@pytest.mark.parametrize("form", ["tensor", "tuple", "object", "dict"])
def test_closure_forms_agree_with_the_pair_form(form: str) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    x, y = _batch()
    wrap = {"tensor": lambda t: t, "tuple": lambda t: (t, None), "object": _WithLoss, "dict": lambda t: {"loss": t}}
    d_pair = check(model, (x, y), F.mse_loss)
    d_closure = check(model, closure=lambda m: wrap[form](F.mse_loss(m(x), y)))
    assert d_closure.profile == d_pair.profile and d_closure.cost == d_pair.cost


def test_closure_with_several_inputs_and_a_hidden_state() -> None:
    torch.manual_seed(0)
    model = _TwoInputs()
    x, h, y = torch.randn(4, 6, 4), torch.zeros(1, 4, 8), torch.randint(0, 3, (4,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    d = check(model, closure=lambda m: m(x, h, y), optimizer=opt)
    assert d.healthy, d.render(verbose=True)
    assert d.cost["optimizer_step"] == 1


def test_hf_dict_batch_and_token_ids_raise_no_data_alarm() -> None:
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(n_layer=2, n_head=2, n_embd=32, vocab_size=97, n_positions=32)
    model = transformers.GPT2LMHeadModel(cfg)
    ids = torch.randint(0, 97, (4, 16))
    d = check(model, {"input_ids": ids, "labels": ids})
    assert not d.by_cause("data")
    with pytest.raises(DiagnosisError, match="labels"):
        check(model, {"input_ids": ids})  # no labels: no .loss
    with pytest.raises(DiagnosisError, match="closure"):
        check(model, {"input_ids": ids, "labels": ids}, F.cross_entropy)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"batch": (torch.randn(4, 8), torch.randn(4, 1))}, ["needs loss_fn", "closure"]),
        ({"closure": lambda m: m(torch.randn(4, 8)).sum(), "batch": (1, 2)}, ["either closure", "not both"]),
        ({"closure": lambda m: m(torch.randn(4, 8))}, ["scalar loss", "(4, 1)"]),
        ({"closure": lambda m: "loss"}, ["closure(model)", ".loss", "str"]),
        ({"closure": lambda m: m(torch.randn(4, 5)).mean()}, ["closure(model) failed", "mat1 and mat2"]),
        ({"batch": (torch.randn(4, 8), torch.randn(4, 1)), "loss_fn": F.mse_loss, "scheduler": object()},
         ["scheduler", "get_last_lr", "step()"]),
    ],
)
def test_call_form_errors_say_what_to_pass(kwargs: dict[str, object], words: list[str]) -> None:
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    with pytest.raises(DiagnosisError) as info:
        check(model, **kwargs)  # type: ignore[arg-type]
    for w in words:
        assert w in str(info.value)


def test_hand_written_scheduler_is_checked_at_the_optimizer_lr_and_left_alone() -> None:
    """A scheduler object of the user's own (step() but no get_last_lr()) does not stop the check: the optimizer's
    current lr is judged (here far too large for SGD: lr), the scheduler is never stepped, and a note says so."""

    class Warmup:
        def __init__(self, opt: torch.optim.Optimizer) -> None:
            self.opt, self.calls = opt, 0

        def step(self) -> None:
            self.calls += 1
            for g in self.opt.param_groups:
                g["lr"] *= 2.0

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    x, y = _batch()
    opt = torch.optim.SGD(model.parameters(), lr=50.0)
    sched = Warmup(opt)
    d = check(model, (x, y), F.mse_loss, opt, scheduler=sched)
    assert sched.calls == 0 and opt.param_groups[0]["lr"] == 50.0
    assert any("Warmup" in n and "get_last_lr" in n for n in d.notes)
    assert d.top is not None and d.top.cause == "lr"
    healthy = torch.optim.SGD(model.parameters(), lr=0.01)
    assert check(model, (x, y), F.mse_loss, healthy, scheduler=Warmup(healthy)).healthy


def test_scheduler_current_lr_is_the_one_checked() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    x, y = _batch()
    opt = torch.optim.SGD(model.parameters(), lr=300.0)
    assert check(model, (x, y), F.mse_loss, opt).by_cause("lr")
    # warm-up from 1e-6 of the base lr: the current lr is 3e-4, a sane SGD step
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1e-6 if step == 0 else 1.0)
    opt.param_groups[0]["lr"] = 300.0  # a stale group lr: the scheduler's current one must win
    assert not check(model, (x, y), F.mse_loss, opt, scheduler=sched).by_cause("lr")


def test_guard_closure_gets_causes_attached() -> None:
    from gradguard import Guard

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        model[0].bias.fill_(float("nan"))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    guard = Guard(model, opt)  # no loss_fn: only the closure can re-run the step
    x, y = torch.randn(16, 4), torch.randn(16, 1)
    loss = F.mse_loss(model(x), y)
    loss.backward()
    report = guard.step(loss, closure=lambda m: F.mse_loss(m(x), y))
    guard.close()
    diagnosed = [e for e in report.events if e.kind == "nonfinite"]
    assert diagnosed and any(e.causes for e in diagnosed), [(e.kind, e.evidence) for e in report.events]


# ---------------------------------------------------------------- the judgment (issue 12)


def _zoo(name: str, seed: int = 0) -> tuple[nn.Module, object, object, torch.optim.Optimizer | None]:
    return next(c for c in ZOO if c.name == name).build(seed)


def test_adam_first_step_is_sign_like_and_sgd_is_proportional() -> None:
    from gradguard.diagnosis.batch import resolve_step
    from gradguard.diagnosis.stepsize import analyse_step

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 4))
    x, y = torch.randn(16, 32), torch.randn(16, 4)
    spec = resolve_step((x, y), F.mse_loss, None)
    probe = run_probe(model, spec)
    adam = analyse_step(model, spec.run, probe, torch.optim.Adam(model.parameters(), lr=1e-3))
    for name in ("0.weight", "2.weight"):
        w = dict(model.named_parameters())[name].detach()
        rms = float(w.pow(2).mean().sqrt())
        assert adam.ratios[name] == pytest.approx(1e-3 / rms, rel=0.02)  # every element moves by ~lr
    sgd = analyse_step(model, spec.run, probe, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    g = probe.param_grads["2.weight"]
    assert g is not None
    w = dict(model.named_parameters())["2.weight"].detach()
    assert sgd.ratios["2.weight"] == pytest.approx(0.1 * float(g.norm()) / float(w.norm()), rel=1e-4)
    assert sgd.momentum_gain == pytest.approx(10.0) and adam.momentum_gain == 1.0
    assert adam.forwards >= 2 and adam.curve[0][0] == 1.0


def test_suggested_lr_is_sane_and_lowers_the_loss() -> None:
    model, (x, y), loss_fn, opt = _zoo("sgd_lr10")
    assert opt is not None
    d = check(model, (x, y), loss_fn, opt)
    lr_f = d.by_cause("lr")[0]
    suggested = lr_f.evidence["suggested_lr"]
    assert isinstance(suggested, float) and isinstance(lr_f.evidence["lr"], float)  # numbers, not lists
    assert 10.0 / 1024 <= suggested < 10.0
    before = float(loss_fn(model(x), y).detach())
    for lr, rises in ((10.0, True), (suggested, False)):  # plain PyTorch reference on a copy
        m = copy.deepcopy(model)
        o = torch.optim.SGD(m.parameters(), lr=lr)
        loss_fn(m(x), y).backward()
        o.step()
        assert (float(loss_fn(m(x), y).detach()) > before) == rises


def test_corrupt_record_is_data_and_the_overflow_its_consequence() -> None:
    d = check(*_zoo("corrupt_record"))
    assert d.top is not None and d.top.cause == "data" and d.top.severity == "critical"
    assert all(f.severity == "info" and f.evidence.get("consequence_of") == "data" for f in d.by_cause("numeric"))


def test_step0_explosion_is_init_and_the_big_step_its_consequence() -> None:
    d = check(*_zoo("demo_init_1.3x"))
    assert d.top is not None and d.top.cause == "init"
    assert d.top.evidence["first_loss_over_zero_output_loss"] > 10
    assert all(f.severity == "info" for f in d.by_cause("lr"))


def test_own_layernorm_and_functional_gelu_are_recognised_by_behaviour() -> None:
    model, batch, loss_fn, _ = _zoo("nanogpt_adamw1e-3")
    probe = run_probe(model, batch, loss_fn)
    norms = {r.name for r in probe.records if r.normalizes}
    assert {"blocks.0.ln1", "blocks.0.ln2", "ln"} <= norms
    fc = next(r for r in probe.records if r.name == "blocks.0.fc")
    assert fc.activation == "gelu" and fc.activation_source == "functional"
    d = check(model, batch, loss_fn)
    assert not any("no normalisation" in f.message for f in d.findings)


def test_zero_initialised_head_is_a_design() -> None:
    d = check(*_zoo("vit_zero_head"))
    assert d.healthy, d.render(verbose=True)
    assert [p["layer"] for p in d.profile if p["gated"]] == ["head"] or all(p["gated"] for p in d.profile)
    assert not d.by_cause("depth") and not [f for f in d.by_cause("init") if f.severity != "info"]


def test_no_residual_connections_prescribed_for_a_two_layer_lstm() -> None:
    d = check(*_zoo("lstm_lm_adam"))
    assert d.healthy and not any("residual" in f.prescription for f in d.findings)


def test_weights_moved_by_training_are_not_called_init() -> None:
    model, batch, loss_fn, _ = _zoo("relu_mlp_he3x")
    opt = torch.optim.SGD(model.parameters(), lr=1e-12, momentum=0.9)
    assert "init" in check(model, batch, loss_fn, opt, steps_done=3).causes  # 3 steps in: still the init
    loss_fn(model(batch[0]), batch[1]).backward()
    opt.step()  # SGD keeps no step count: any state counts as trained (the Guard passes its own step)
    d = check(model, batch, loss_fn, opt)
    assert check(model, batch, loss_fn, opt, steps_done=500).causes == d.causes
    assert "init" not in d.causes and d.causes[0] in {"regularization", "lr", "depth"}
    assert all("trained" in f.evidence for f in d.findings if f.cause in {"regularization", "lr"}
               and "layers" in f.evidence)


def test_fix_uses_the_activation_s_gain() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(8) for m in (nn.Linear(64, 64), nn.GELU())], nn.Linear(64, 1))
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, 0.25 / 8)
    batch = (torch.randn(128, 64), torch.randn(128, 1))
    d = check(model, batch, F.mse_loss)
    assert d.top is not None and d.top.cause == "init"
    changes = fix(model, d)
    gelu = [c for c in changes if "gelu" in c["scheme"]]
    assert gelu and all(c["std_after"] == pytest.approx(1.533 / 8, rel=0.05) for c in gelu)
    after = check(model, batch, F.mse_loss)
    assert after.healthy, after.render(verbose=True)


def test_weight_decay_that_collapses_the_weights_is_regularization() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    batch = (torch.randn(64, 32), torch.randint(0, 10, (64,)))
    d = check(model, batch, F.cross_entropy, torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=100.0))
    assert d.top is not None and d.top.cause == "regularization"
    assert d.top.evidence["decay_shrink_per_step_median"] == pytest.approx(0.1, rel=0.02)  # AdamW: lr x wd
    assert check(model, batch, F.cross_entropy, torch.optim.AdamW(model.parameters(), lr=1e-3)).healthy


def test_the_alarm_path_runs_a_closure_once_and_check_runs_it_along_the_step() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    x, y = _batch()
    seen: list[torch.Tensor] = []

    def closure(m: nn.Module) -> torch.Tensor:
        seen.append(m[0].weight.detach().clone())  # a training step that records state outside the model
        return F.mse_loss(m(x), y)

    opt = torch.optim.SGD(model.parameters(), lr=100.0)
    found = diagnose_step(model, closure=closure, optimizer=opt)
    assert len(seen) == 1 and torch.equal(seen[0], model[0].weight)
    assert found and found[0].cause == "lr"  # from the step's ratios alone
    seen.clear()
    assert check(model, closure=closure, optimizer=opt).top.cause == "lr"  # type: ignore[union-attr]
    assert len(seen) > 2  # the loss along the step
