"""Readings written in session 35, each on real tensors."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.recurrence import RecurrentLayer


def _warnings(d: gradguard.Diagnosis, cause: str | None = None) -> list[str]:
    return [f.message for f in d.findings if f.severity != "info" and (cause is None or f.cause == cause)]


class _Oscillators(nn.Module):
    """Coupled oscillators integrated by symplectic Euler over the sequence (UnICORNN's update in miniature): an
    element-wise weight ``w`` inside the step, a per-unit step ``dt * sigmoid(c)``, a Linear read-out of the last
    position. At ``dt`` 0.126 the integration is stable; at 2 (past the stability bound 2 / sqrt(13)) every step
    amplifies the state."""

    def __init__(self, dt: float) -> None:
        super().__init__()
        self.v = nn.Linear(2, 32)
        self.w = nn.Parameter(torch.rand(32))
        self.c = nn.Parameter(torch.randn(32) * 0.1)
        self.head = nn.Linear(32, 4)
        self.dt = dt

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = z = x.new_zeros(x.shape[0], 32)
        u = self.v(x)
        dt = self.dt * torch.sigmoid(self.c)
        for t in range(x.shape[1]):
            z = z - dt * (torch.tanh(self.w * y + u[:, t]) + 13.0 * y)
            y = y + dt * z
        return self.head(y)


def _series(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(32, 32, 2, generator=g), torch.randint(0, 4, (32,), generator=g)


def test_a_gradient_that_overflows_back_through_the_steps_is_the_recurrence() -> None:
    """At dt 2 the loss is finite (about 1e33) but the gradient at the first steps is inf while the last step's is
    finite: the recurrence, critical, ranked first; at the stable step nothing is said."""
    x, y = _series(0)
    for dt, broken in ((0.126, False), (2.0, True)):
        torch.manual_seed(0)
        model = _Oscillators(dt)
        xg = x.clone().requires_grad_()
        loss = F.cross_entropy(model(xg), y)
        assert math.isfinite(loss.item()) and (loss.item() > 1e20) == broken  # ground truth, plain PyTorch
        loss.backward()
        first, last = xg.grad[:, 0].norm().item(), xg.grad[:, -1].norm().item()  # type: ignore[index]
        assert math.isfinite(last) and (first == math.inf) == broken, (first, last)
        d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=3e-3))
        if broken:
            assert d.top is not None and d.top.cause == "recurrence" and d.top.severity == "critical", _warnings(d)
            assert d.top.evidence["gradient_first_over_last_step"] == "overflow (inf)"
            assert "overflows going back" in d.top.message
        else:
            assert not _warnings(d), _warnings(d)


def test_the_overflow_profile_needs_a_finite_last_step() -> None:
    """The profile reads an overflow only where the first step's gradient is +inf and the last step's finite; a NaN
    first step, or inf everywhere, is not measured."""
    layer = RecurrentLayer("u", "element-wise recurrence", gated=False)
    layer.profile([math.inf, math.inf, 1e3, 1.0, 0.0])
    assert layer.overflowed and layer.decades == 30.0 and layer.held == 30.0
    for grads, decades in (([math.nan, 1.0, 1.0], None), ([math.inf, math.inf, math.inf], None),
                           ([1.0, math.inf, 1.0], 0.0)):
        layer = RecurrentLayer("u", "element-wise recurrence", gated=False)
        layer.profile(list(grads))
        assert not layer.overflowed and layer.decades == decades


class _Tagger(nn.Module):
    """A small transformer encoder classifier (2 layers, width 32, 4 heads) over series of 16 steps."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(3, 32)
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.enc(self.inp(x)).mean(1))


def _labelled_series(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (64,), generator=g)
    x = torch.randn(64, 16, 3, generator=g) * 0.5 + y[:, None, None].float() * 0.5
    return x, y


def test_radam_is_judged_at_its_adapted_steps() -> None:
    """RAdam's first five steps are un-adapted (lr x the momentum: tiny for small gradients), so a first step says
    nothing of lr 1; from the sixth on it steps as Adam (times a factor rising to 1). Plain PyTorch, 300 steps: at lr
    1 the loss spikes above twice its start and ends 10x above lr 1e-3's. check names lr (critical) at 1 and nothing
    at 1e-3."""
    x, y = _labelled_series(0)
    finals: list[float] = []
    for lr, broken in ((1e-3, False), (1.0, True)):
        torch.manual_seed(0)
        model = _Tagger()
        opt = torch.optim.RAdam(model.parameters(), lr=lr)
        d = gradguard.check(model, (x, y), F.cross_entropy, opt)
        if broken:
            assert d.top is not None and d.top.cause == "lr" and d.top.severity == "critical", _warnings(d)
            assert "RAdam's steps from the sixth on are Adam's" in d.top.message
        else:
            assert not _warnings(d), _warnings(d)
        losses = []
        for _ in range(300):  # ground truth on the same model and optimizer, untouched by check
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        finals.append(losses[-1])
        # at lr 1 the rectified steps grow with the run (the factor rises to 1): the loss spikes above its start
        assert (max(losses[100:]) > 2 * losses[0]) == broken, (lr, losses[::30])
    assert finals[1] > 10 * finals[0], finals


def _coral(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The CORAL loss (Sun and Saenko 2016): the squared distance of two batches' feature covariances / 4 d^2."""
    d = s.shape[1]
    return ((torch.cov(s.T) - torch.cov(t.T)) ** 2).sum() / (4 * d * d)


class _CoralNet(nn.Module):
    """A ReLU network 16-64-64 and a class head drawn N(0, 0.005^2) (Deep CORAL's fc8); ``std``: every Linear drawn
    N(0, std^2) instead. Takes (source rows, target rows), returns both batches' class scores."""

    def __init__(self, std: float | None) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.head = nn.Linear(64, 4)
        nn.init.normal_(self.head.weight, 0.0, 0.005)
        nn.init.zeros_(self.head.bias)
        if std is not None:
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, std)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.head(self.body(torch.cat(inputs)))
        return out[: inputs[0].shape[0]], out[inputs[0].shape[0]:]


def _coral_loss(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out[0], y) + _coral(out[0], out[1])


def test_sgd_step_blown_up_by_a_model_wide_init_is_the_init() -> None:
    """Every Linear drawn N(0, 1) under SGD lr 0.01 with momentum 0.9 (a usual rate): the fourth-power CORAL term
    makes the first loss ~2e7 and the step moves the weights by ~5e4 of their norm because the gradient is that
    large, not because the rate is. Three layers compound too little for the propagation test, so before this reading
    the lr was named (critical) and the init only information; now the init is (critical), the lr its consequence.
    Plain PyTorch: the run is NaN within 10 steps; at the paper's init the same rate trains."""
    g = torch.Generator().manual_seed(0)
    xs, xt = torch.randn(64, 16, generator=g), torch.randn(64, 16, generator=g) * 1.5 + 0.5
    y = (xs[:, :4].sum(1) > 0).long() + 2 * (xs[:, 4] > 0).long()
    for std in (None, 1.0):
        torch.manual_seed(0)
        model = _CoralNet(std)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        d = gradguard.check(model, ((xs, xt), y), _coral_loss, opt)
        if std is not None:
            assert d.top is not None and d.top.cause == "init" and d.top.severity == "critical", _warnings(d)
            assert "model_wide" in d.top.evidence
            lr = next(f for f in d.findings if f.cause == "lr")
            assert lr.severity == "info" and lr.evidence["consequence_of"] == "init"
            assert lr.evidence["update_to_weight_median"] >= 100
        else:
            assert not _warnings(d, "lr") and all(f.severity != "critical" for f in d.findings), _warnings(d)
        losses = []
        for _ in range(30):  # ground truth, plain PyTorch
            opt.zero_grad()
            loss = _coral_loss(model((xs, xt)), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert (not math.isfinite(losses[-1])) == (std is not None) and (losses[-1] < losses[0] or std is not None)


class _DeepNormStack(nn.Module):
    """Token embeddings and 10 residual GELU blocks with DeepNorm's up-weighted residual ``alpha x + f(x)``, alpha =
    (2N)^(1/4) ≈ 2.1, each followed by a LayerNorm (``ln``) or by nothing; a Linear to the vocabulary."""

    def __init__(self, ln: bool, blocks: int = 10, d: int = 64, vocab: int = 64) -> None:
        super().__init__()
        self.alpha = (2 * blocks) ** 0.25
        self.emb = nn.Embedding(vocab, d)
        self.ff = nn.ModuleList([nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
                                 for _ in range(blocks)])
        self.ln = nn.ModuleList([nn.LayerNorm(d) if ln else nn.Identity() for _ in range(blocks)])
        self.out = nn.Linear(d, vocab)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        x = self.emb(s)
        for ff, ln in zip(self.ff, self.ln, strict=True):
            x = ln(self.alpha * x + ff(x))
        return self.out(x)


def _lm_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def test_a_growing_unnormalised_stack_the_output_shows_is_a_warning() -> None:
    """Without its LayerNorms the DeepNorm stack compounds alpha^10 ≈ 1,700: the first loss is ~600x an all-zero
    output's. The propagation reading leaves 1.6 unexplained decades (under its 2-decade warning) as information;
    with the output blown up it is a warning, ranked first. Plain PyTorch under Adam 5e-4: with the LayerNorms the
    loss falls below chance (log 64), without them it ends far above it."""
    g = torch.Generator().manual_seed(0)
    trans = torch.softmax(torch.randn(64, 64, generator=g) * 3, -1)
    rows = [torch.randint(0, 64, (16,), generator=g)]
    for _ in range(33):
        rows.append(torch.multinomial(trans[rows[-1]], 1, generator=g)[:, 0])
    seq = torch.stack(rows, 1)
    x, y = seq[:, :-1], seq[:, 1:]
    for ln in (True, False):
        torch.manual_seed(0)
        model = _DeepNormStack(ln)
        opt = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.98))
        d = gradguard.check(model, (x, y), _lm_loss, opt)
        if ln:
            assert not _warnings(d), _warnings(d)
        else:
            assert d.top is not None and d.top.cause == "normalization" and d.top.severity == "warning", _warnings(d)
            assert d.top.evidence["first_loss_over_zero_output"] >= 20 and d.top.evidence["residual_decades"] < 2
        losses = []
        for _ in range(150):  # ground truth, plain PyTorch
            opt.zero_grad()
            loss = _lm_loss(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert (losses[-1] < math.log(64)) == ln, losses[::25]


class _GRUReader(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(2, 32, batch_first=True)
        self.head = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.gru(x)[0][:, -1])


def test_an_unfreeze_written_as_an_attribute_is_named() -> None:
    """``gru.requires_grad = True`` after ``gru.requires_grad_(False)`` sets a plain attribute: the GRU's weights
    stay frozen and at their init through training (plain PyTorch). check names it (lr, warning, first); the method
    ``requires_grad_(True)`` gives no such finding."""
    x, y = _series(0)
    for by_method in (False, True):
        torch.manual_seed(0)
        model = _GRUReader()
        model.gru.requires_grad_(False)
        if by_method:
            model.gru.requires_grad_(True)
        else:
            model.gru.requires_grad = True  # type: ignore[assignment]
        before = model.gru.weight_hh_l0.detach().clone()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        d = gradguard.check(model, (x, y), F.cross_entropy, opt)
        named = [f for f in d.findings if "requires_grad_(True)" in f.prescription]
        if by_method:
            assert not named
        else:
            assert d.top is not None and d.top is named[0] and d.top.cause == "lr" and d.top.severity == "warning"
            assert d.top.evidence["frozen_parameters"] == 4
        for _ in range(5):  # ground truth, plain PyTorch
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        assert torch.equal(model.gru.weight_hh_l0.detach(), before) != by_method


class _ZeroHead(nn.Module):
    """A ReLU layer and a zero-initialised head (a design: the head gets a gradient at step 0), written either as a
    Parameter or as ``nn.Parameter(torch.zeros(...)).to(torch.float64)``, a plain tensor no optimizer holds."""

    def __init__(self, registered: bool) -> None:
        super().__init__()
        self.body = nn.Linear(8, 32)
        w = nn.Parameter(torch.zeros(32, 4, dtype=torch.float64))
        self.head_w = w if registered else nn.Parameter(torch.zeros(32, 4)).to(torch.float64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (torch.relu(self.body(x)).double() @ self.head_w).float()


def test_a_weight_stored_as_an_operation_on_a_parameter_is_named() -> None:
    """``nn.Parameter(...).to(dtype)`` keeps the result of ``.to``, which ``model.parameters()`` does not list: the
    zero head stays 0 and the loss stays at chance (plain PyTorch); check names it (init, critical, first). The same
    head registered as a Parameter trains and is not named."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, generator=g)
    y = (x[:, 0] > 0).long() + 2 * (x[:, 1] > 0).long()
    for registered in (True, False):
        torch.manual_seed(0)
        model = _ZeroHead(registered)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        d = gradguard.check(model, (x, y), F.cross_entropy, opt)
        named = [f for f in d.findings if "unregistered_tensors" in f.evidence]
        if registered:
            assert not named and not _warnings(d), _warnings(d)
        else:
            assert d.top is not None and d.top is named[0] and d.top.cause == "init" and d.top.severity == "critical"
            assert d.top.evidence["unregistered_tensors"] == ["head_w"]
        losses = []
        for _ in range(50):  # ground truth, plain PyTorch
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert (losses[-1] < 0.8 * losses[0]) == registered, losses[::10]


class _HalfLogSoftmax(nn.Module):
    """An MLP classifier returning log-probabilities, either as ``log(softmax(logits.half()))`` or as float32
    ``log_softmax``."""

    def __init__(self, half: bool) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 4))
        self.half_ = half

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.net(x)
        if self.half_:
            return torch.log(F.softmax(logits.half(), -1)).float()
        return F.log_softmax(logits, -1)


def test_the_log_of_a_float16_softmax_is_named_before_it_underflows() -> None:
    """The first batch's loss is finite either way; training sharpens the softmax until a float16 probability is 0
    and the loss is inf (plain PyTorch, within 300 Adam steps), while float32 log_softmax stays finite. check names
    the float16 one (numeric, warning) at the first batch and says nothing of the other."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, generator=g)
    y = (x[:, 0] > 0).long() + 2 * (x[:, 1] > 0).long()
    for half in (False, True):
        torch.manual_seed(0)
        model = _HalfLogSoftmax(half)
        opt = torch.optim.Adam(model.parameters(), lr=3e-2)
        first = F.nll_loss(model(x), y)
        assert math.isfinite(first.item())
        d = gradguard.check(model, (x, y), F.nll_loss, opt)
        if half:
            assert d.top is not None and d.top.cause == "numeric" and d.top.evidence["log_of"] == "float16 softmax"
        else:
            assert not _warnings(d), _warnings(d)
        finite = True
        for _ in range(300):  # ground truth, plain PyTorch
            opt.zero_grad()
            loss = F.nll_loss(model(x), y)
            if not math.isfinite(loss.item()):
                finite = False
                break
            loss.backward()
            opt.step()
        assert finite != half


def test_dampening_without_momentum_and_swapped_betas_are_named() -> None:
    """Plain PyTorch: SGD's dampening without momentum changes nothing (the weights equal plain SGD's), and Adam with
    betas (0.999, 0.9) on a gradient that shrinks takes steps many times lr, where (0.9, 0.999) stays within lr.
    check names both (lr, warning); NICE's published (0.9, 0.01) and dampening with momentum are left alone."""
    x, y = _series(0)
    flat = x.reshape(32, -1)

    def sgd_weights(**kw: float) -> torch.Tensor:
        torch.manual_seed(0)
        lin = nn.Linear(64, 4)
        opt = torch.optim.SGD(lin.parameters(), lr=0.1, **kw)
        for _ in range(5):
            opt.zero_grad()
            F.cross_entropy(lin(flat), y).backward()
            opt.step()
        return lin.weight.detach()

    assert torch.equal(sgd_weights(dampening=0.9), sgd_weights())
    assert not torch.equal(sgd_weights(momentum=0.9, dampening=0.9), sgd_weights(momentum=0.9))

    def largest_step(betas: tuple[float, float]) -> float:
        w = torch.zeros(1, requires_grad=True)
        opt = torch.optim.Adam([w], lr=1e-2, betas=betas)
        steps = []
        for t in range(200):
            before = w.detach().clone()
            opt.zero_grad()
            w.grad = torch.full((1,), 0.95 ** t)  # a gradient that shrinks
            opt.step()
            steps.append(float((w.detach() - before).abs()))
        return max(steps) / 1e-2

    assert largest_step((0.999, 0.9)) > 3.0 and largest_step((0.9, 0.999)) <= 1.01
    for kw, named in (({"momentum": 0.0, "dampening": 0.9}, "dampening"), ({"momentum": 0.9, "dampening": 0.5}, None)):
        torch.manual_seed(0)
        model = _GRUReader()
        d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.1, **kw))
        found = [f for f in d.findings if f.cause == "lr" and "dampening" in f.evidence]
        assert bool(found) == bool(named) and all(f.severity == "warning" for f in found)
    for betas, swapped in (((0.999, 0.9), True), ((0.9, 0.01), False), ((0.9, 0.999), False)):
        torch.manual_seed(0)
        model = _GRUReader()
        d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3, betas=betas))
        found = [f for f in d.findings if "betas" in f.evidence]
        assert bool(found) == swapped, (betas, [f.message for f in d.findings])


def test_a_warm_up_with_its_factors_swapped_is_named() -> None:
    """``LinearLR(start_factor=1.0, end_factor=0.01, total_iters=20)`` (meant as a warm-up from 1%): the lr falls to
    1% in 20 steps and stays (plain PyTorch: the scheduler's own lrs); check names it (lr, critical at a per-step
    cadence). The warm-up as meant, and a cosine decay over 1,000 steps, are not named."""
    x, y = _series(0)
    for kind, named in (("swapped", True), ("warm-up", False), ("cosine", False)):
        torch.manual_seed(0)
        model = _GRUReader()
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        sched: torch.optim.lr_scheduler.LRScheduler
        if kind == "cosine":
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1000)
        else:
            start, end = (1.0, 0.01) if kind == "swapped" else (0.01, 1.0)
            sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=start, end_factor=end, total_iters=20)
        d = gradguard.check(model, (x, y), F.cross_entropy, opt, scheduler=sched, scheduler_interval="step")
        found = [f for f in d.findings if "held_from_step" in f.evidence]
        assert bool(found) == named, (kind, _warnings(d))
        if named:
            assert d.top is found[0] and d.top.severity == "critical" and d.top.evidence["held_from_step"] == 20
        lrs = []
        for _ in range(60):  # ground truth: the scheduler's own lrs, stepped as a loop would
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        assert (max(lrs[20:]) <= 0.011 * 3e-3) == named


class _GatedState(nn.Module):
    """A state of 16 carried over the series' 32 steps through a learned gate, ``s = g * s + (1 - g) * tanh(W x_t)``
    with ``g = sigmoid(b)``; a Linear read-out of the last state. ``bias``: b's start."""

    def __init__(self, bias: float) -> None:
        super().__init__()
        self.inp = nn.Linear(2, 16)
        self.gate = nn.Parameter(torch.full((16,), bias))
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.new_zeros(x.shape[0], 16)
        for t in range(x.shape[1]):
            g = torch.sigmoid(self.gate)
            s = g * s + (1 - g) * torch.tanh(self.inp(x[:, t]))
        return self.head(s)


def test_a_learned_gate_saturated_by_its_parameter_is_named() -> None:
    """At b = +10 the gate keeps the starting state (0.99995 per step) and b's gradient is sigmoid' = 4.5e-5 of it:
    plain PyTorch, 60 Adam steps at 1e-2 leave the loss near chance (log 4), where at b = 1 it falls. check names it
    (init, warning; not demoted by the re-init confirmation, which cannot reach it) and not the gate at b = 1."""
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 4, (32,), generator=g)
    x = torch.randn(32, 32, 2, generator=g) * 0.3 + y[:, None, None].float() * 0.5
    for bias, named in ((1.0, False), (10.0, True)):
        torch.manual_seed(0)
        model = _GatedState(bias)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        d = gradguard.check(model, (x, y), F.cross_entropy, opt)
        found = [f for f in d.findings if "saturated_gate_parameters" in f.evidence]
        assert bool(found) == named, _warnings(d)
        if named:
            assert d.top is found[0] and d.top.cause == "init" and d.top.severity == "warning"
        losses = []
        for _ in range(60):  # ground truth, plain PyTorch
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert (losses[-1] > 0.9 * math.log(4)) == named, losses[::10]


def test_weights_computed_from_registered_parameters_are_not_unregistered() -> None:
    """``weight_norm`` and ``spectral_norm`` (the hook versions) store ``module.weight`` as a plain tensor computed
    from registered parameters: it trains through them (plain PyTorch: weight_v moves), and check does not name it."""
    import warnings

    from torch.nn.utils import spectral_norm, weight_norm

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model = nn.Sequential(weight_norm(nn.Linear(8, 32)), nn.ReLU(), spectral_norm(nn.Linear(32, 4)))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, generator=g)
    y = (x[:, 0] > 0).long()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    d = gradguard.check(model, (x, y), F.cross_entropy, opt)
    assert not [f for f in d.findings if "unregistered_tensors" in f.evidence]
    before = model[0].weight_v.detach().clone()
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()
    assert not torch.equal(before, model[0].weight_v.detach())
