"""The nineteenth session's diagnosis rules (issue 12), each on real models and batches, each failing on the rules
before:

* an out-of-scale float input that the model reads only through a periodic op (a time stamp taken modulo a learned
  period, as a Phased LSTM's time gate does) is not a ``data`` warning: no weight reads its scale. The same input
  read by a weight layer, or also added to a layer's input directly, still is; nor is an input the loss's graph does
  not reach at all;
* a recurrent cell stepped over the sequence whose every parameter gets no gradient (its state detached inside the
  time loop, the last state included): ``recurrence``, not a generic "no gradient" ``activation``;
* a whole model left in eval mode while it trains (``model.eval()`` never undone), its BatchNorms holding statistics
  they never collected: ``normalization``, as for BatchNorm layers frozen inside a model in training mode;
* a model with one weight matrix (an embedding table) whose loss is dominated by an L2 term on it: ``regularization``
  (the penalty rule wanted two aligned matrices to agree on one coefficient);
* a learning-rate schedule that collapses from its start (a per-epoch decay stepped every batch: 1e-3 of its peak
  within 100 steps) or turns the lr negative (a cosine without its ``(1 + cos) / 2``): ``lr``;
* a matrix recurrence written inline from raw parameters (``h = h + eps * (h @ A.T + ...)`` in a Python loop, no
  module called per step): found in the graph, ``recurrence`` when the gradient explodes or vanishes over time.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check
from gradguard.diagnosis.graph import UNREACHED, _node_of, periodic_reader


class _TimeGated(nn.Module):
    """Features ``x`` through a linear layer, gated by the phase of a raw time stamp ``t`` (``t mod tau``)."""

    def __init__(self, direct: bool = False, through_weight: bool = False) -> None:
        super().__init__()
        self.lin = nn.Linear(8, 16)
        self.head = nn.Linear(16, 3)
        self.log_tau = nn.Parameter(torch.linspace(0.0, 3.0, 16))
        self.shift = nn.Parameter(torch.linspace(0.0, 1.0, 16))
        self.tproj = nn.Linear(1, 16)
        self.direct, self.through_weight = direct, through_weight

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, t = inp
        if self.through_weight:
            gate = torch.sin(self.tproj(t[:, None]))  # a product first: the scale reaches the weight
        else:
            tau = self.log_tau.exp()
            gate = torch.remainder(t[:, None] - self.shift, tau) / tau
        h = torch.relu(self.lin(x)) * gate
        if self.direct:
            h = h + t[:, None]  # the raw stamp also reaches the head unbounded
        return self.head(h)


def _batch() -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, generator=g)
    t = torch.rand(64, generator=g) * 30.0 + 5.0  # seconds since the series began: RMS ~21
    return (x, t), torch.randint(0, 3, (64,), generator=g)


def _data_severity(model: nn.Module) -> str | None:
    batch = _batch()
    d = check(model, batch, F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3), confirm_steps=0)
    found = [f for f in d.findings if f.cause == "data"]
    return found[0].severity if found else None


def test_an_input_read_only_through_a_periodic_op_is_not_a_data_warning() -> None:
    torch.manual_seed(0)
    assert _data_severity(_TimeGated()) == "info"


def test_the_same_input_read_by_a_weight_or_directly_stays_a_data_warning() -> None:
    torch.manual_seed(0)
    assert _data_severity(_TimeGated(through_weight=True)) in ("warning", "critical")
    torch.manual_seed(0)
    assert _data_severity(_TimeGated(direct=True)) in ("warning", "critical")


def test_periodic_reader_names_the_op_only_when_every_path_passes_it() -> None:
    torch.manual_seed(0)
    (x, t), _ = _batch()
    for model, expected in ((_TimeGated(), "RemainderBackward"), (_TimeGated(direct=True), None),
                            (_TimeGated(through_weight=True), None)):
        leaf = t.clone().requires_grad_(True)
        loss = model((x, leaf)).square().mean()
        assert periodic_reader(loss, _node_of(leaf)) == expected
    unused = torch.ones(3, requires_grad=True)  # an input the loss never reaches
    assert periodic_reader(_TimeGated()((x, t)).sum(), _node_of(unused)) == UNREACHED


class _CellLoop(nn.Module):
    def __init__(self, detach: bool) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(8, 32)
        self.head = nn.Linear(32, 3)
        self.detach = detach

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = c = x.new_zeros(x.shape[0], 32)
        for i in range(x.shape[1]):
            h, c = self.cell(x[:, i], (h, c))
            if self.detach:  # meant between batches, written inside the loop
                h, c = h.detach(), c.detach()
        return self.head(h)


def test_a_cell_whose_state_is_detached_every_step_is_named_recurrence() -> None:
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 12, 8, generator=g), torch.randint(0, 3, (32,), generator=g)
    for detach in (True, False):
        torch.manual_seed(0)
        model = _CellLoop(detach)
        d = check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3), confirm_steps=0)
        if detach:
            assert d.top is not None and d.top.cause == "recurrence" and d.top.severity == "critical"
            assert d.top.evidence["cells"] == ["cell"] and d.top.evidence["calls"] == 12
        else:
            assert _causes(d) == []


def _causes(d: object) -> list[str]:
    return [f.cause for f in d.findings if f.severity in ("warning", "critical")]  # type: ignore[attr-defined]


def _conv_bn() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1),
                         nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))


def test_a_whole_model_left_in_eval_mode_with_unused_batchnorm_statistics_is_normalization() -> None:
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(16, 3, 8, 8, generator=g) * 3 + 2, torch.randint(0, 4, (16,), generator=g)
    torch.manual_seed(0)
    model = _conv_bn().eval()  # evaluated once before training, never put back in train mode
    d = check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), 0.1, momentum=0.9))
    (frozen,) = [f for f in d.findings if "frozen_batchnorm_layers" in f.evidence]
    assert frozen.cause == "normalization" and frozen.severity == "warning" and frozen.evidence["model_in_eval_mode"]
    assert frozen.evidence["frozen_batchnorm_layers"] == 2 and not model.training  # the user's mode is kept
    # no optimizer: an evaluation step, not training
    assert not [f for f in check(model, (x, y), F.cross_entropy).findings if "frozen_batchnorm_layers" in f.evidence]
    # statistics learnt on data before freezing the whole model (a fine-tuning design): not flagged
    learnt = _conv_bn().train()
    with torch.no_grad():
        for _ in range(3):
            learnt(x)
    learnt.eval()
    d = check(learnt, (x, y), F.cross_entropy, torch.optim.SGD(learnt.parameters(), 0.1, momentum=0.9))
    assert not [f for f in d.findings if "frozen_batchnorm_layers" in f.evidence]


class _Coordinates(nn.Module):
    """A DeepONet-style trunk (a 1-d coordinate through ReLU layers) times a branch of 32 sensor readings."""

    def __init__(self, coords: int = 1) -> None:
        super().__init__()
        self.branch = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64))
        self.trunk = nn.Sequential(nn.Linear(coords, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64))

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        u, y = inp
        return (self.branch(u) * self.trunk(y)).sum(-1, keepdim=True)


def _dead_relu_warnings(coords: int, shift: float = 0.0) -> list[str]:
    g = torch.Generator().manual_seed(4)
    u = torch.randn(64, 32, generator=g)
    y = torch.rand(64, coords, generator=g) * 0.3 if coords <= 3 else torch.randn(64, coords, generator=g)
    torch.manual_seed(0)  # an init that leaves >= 50% of the first layer's units off over y in [0, 0.3]
    model = _Coordinates(coords)
    with torch.no_grad():
        model.trunk[0].bias.sub_(shift)
    target = torch.randn(64, 1, generator=g)
    d = check(model, ((u, y), target), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3), confirm_steps=0)
    return [f.cause for f in d.findings if f.severity != "info" and "dead_fraction" in f.evidence]


def test_units_off_by_the_geometry_of_a_coordinate_input_are_not_dead_relus() -> None:
    assert _dead_relu_warnings(coords=1) == []  # y in [0, 0.3]: many units off over the whole batch, by geometry
    # the same trunk on 16 Gaussian features, its first biases at -2.5: the ReLU units are dead by a fault
    assert _dead_relu_warnings(coords=16, shift=2.5) != []


class _MemoryCell(nn.Module):
    """h_t = tanh(W_x x_t + W_m m_t), m_t = 0.9 m_{t-1} + E h_{t-1}: W_m maps a 16-wide memory to 32 units (a
    (32, 16) weight, read as two stacked 16x16 blocks); ``block_gain`` sets its second block's spectral radius."""

    def __init__(self, block_gain: float) -> None:
        super().__init__()
        self.wx, self.wm, self.e = nn.Linear(4, 32), nn.Linear(16, 32, bias=False), nn.Linear(32, 16, bias=False)
        self.head = nn.Linear(32, 3)
        with torch.no_grad():
            for i, gain in enumerate((0.9, block_gain)):
                nn.init.orthogonal_(self.wm.weight[16 * i:16 * (i + 1)], gain=gain)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, m = x.new_zeros(x.shape[0], 32), x.new_zeros(x.shape[0], 16)
        for t in range(x.shape[1]):
            m = 0.9 * m + self.e(h)
            h = torch.tanh(self.wx(x[:, t]) + self.wm(m))
        return self.head(h)


def test_a_weight_read_as_stacked_blocks_is_judged_as_a_gated_cell() -> None:
    g = torch.Generator().manual_seed(5)
    x, y = torch.randn(32, 24, 4, generator=g), torch.randint(0, 3, (32,), generator=g)
    found = {}
    for gain in (1.3, 6.0):
        torch.manual_seed(0)
        model = _MemoryCell(gain)
        d = check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3), confirm_steps=0)
        found[gain] = [f for f in d.findings if f.cause == "recurrence" and f.severity != "info"]
    assert found[1.3] == []  # a block at radius 1.3 is within a gated cell's band (<= 3)
    assert found[6.0] and found[6.0][0].evidence["spectral_radius"]["wm.weight[1]"] > 3


class _Factorisation(nn.Module):
    """One embedding table for users and items; a pair's score is the dot product of their rows."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(96, 32)
        nn.init.normal_(self.emb.weight, std=0.1)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        e = self.emb(pairs)
        return (e[:, 0] * e[:, 1]).sum(-1)


def test_an_l2_term_dominating_a_one_table_model_is_regularization() -> None:
    g = torch.Generator().manual_seed(6)
    pairs = torch.stack([torch.randint(0, 48, (64,), generator=g), torch.randint(48, 96, (64,), generator=g)], 1)
    y = torch.randint(0, 2, (64,), generator=g).float()
    for c, penalised in ((1e-4, False), (1.0, True)):  # 1.0: a per-sample coefficient multiplied by the batch size
        torch.manual_seed(0)
        model = _Factorisation()

        def closure(m: nn.Module, c: float = c) -> torch.Tensor:
            rows = m.emb(pairs)
            return F.binary_cross_entropy_with_logits(m(pairs), y) + c * rows.pow(2).sum() / 2

        d = check(model, closure=closure, optimizer=torch.optim.Adam(model.parameters(), 1e-3), confirm_steps=0)
        found = [f for f in d.findings if f.cause == "regularization" and f.severity != "info"]
        assert bool(found) == penalised, (c, [f.message for f in found])
        if penalised:
            assert found[0].evidence["weight_matrices"] == 1 and "one weight matrix" in found[0].message


def _schedule_causes(make: object) -> list[str]:
    g = torch.Generator().manual_seed(7)
    x, y = torch.randn(64, 16, generator=g), torch.randint(0, 4, (64,), generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = make(opt)  # type: ignore[operator]
    # stepped after every optimizer step (session 23: a collapse at an unknown cadence is only information,
    # tests/test_scheduler_interval.py)
    d = check(model, (x, y), F.cross_entropy, opt, scheduler=sched, confirm_steps=0, scheduler_interval="step")
    assert opt.param_groups[0]["lr"] == 0.05 and sched.last_epoch == 0  # the schedule is read, then put back
    return [f.cause for f in d.findings if f.severity == "critical" and "scheduler" in f.evidence]


def test_a_schedule_that_collapses_or_turns_the_lr_negative_is_lr() -> None:
    import math

    lr_sched = torch.optim.lr_scheduler
    assert _schedule_causes(lambda o: lr_sched.ExponentialLR(o, gamma=0.9)) == ["lr"]  # per-epoch gamma, per batch
    assert _schedule_causes(lambda o: lr_sched.LambdaLR(o, lambda t: math.cos(math.pi * t / 150))) == ["lr"]
    # healthy: a cosine to 0 over 200 steps, a step decay per 100 steps, an epoch decay stepped per epoch
    assert _schedule_causes(lambda o: lr_sched.CosineAnnealingLR(o, T_max=200)) == []
    assert _schedule_causes(lambda o: lr_sched.StepLR(o, step_size=100, gamma=0.1)) == []
    assert _schedule_causes(lambda o: lr_sched.ExponentialLR(o, gamma=0.99)) == []


class _HandWrittenPlateau:
    """A user's scheduler with ``step()`` and ``get_last_lr()`` only (no ``state_dict``): it cannot be put back."""

    def __init__(self, opt: torch.optim.Optimizer) -> None:
        self.optimizer, self.bad = opt, 0

    def step(self) -> None:
        self.bad += 1
        if self.bad % 10 == 0:
            for g in self.optimizer.param_groups:
                g["lr"] *= 0.5

    def get_last_lr(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]


def test_a_scheduler_that_cannot_be_put_back_is_not_stepped_and_check_runs() -> None:
    g = torch.Generator().manual_seed(8)
    x, y = torch.randn(64, 16, generator=g), torch.randint(0, 4, (64,), generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = _HandWrittenPlateau(opt)
    d = check(model, (x, y), F.cross_entropy, opt, scheduler=sched, confirm_steps=0)  # raised AttributeError before
    assert sched.bad == 0 and opt.param_groups[0]["lr"] == 1e-3 and _causes(d) == []


class _InlineRecurrence(nn.Module):
    """h_t = h_(t-1) + eps * tanh(h_(t-1) @ A.T + U x_t) with ``A`` a raw parameter (no module per step)."""

    def __init__(self, std: float, residual: bool = True) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.randn(32, 32) * std)
        self.u, self.head = nn.Linear(4, 32), nn.Linear(32, 3)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(x.shape[0], 32)
        for t in range(x.shape[1]):
            step = 0.1 * (h @ self.a.T + torch.tanh(self.u(x[:, t])))
            h = h + step if self.residual else step
        return self.head(h)


def test_an_inline_matrix_recurrence_is_read_from_the_graph() -> None:
    g = torch.Generator().manual_seed(9)
    x, y = torch.randn(32, 30, 4, generator=g), torch.randint(0, 3, (32,), generator=g)
    found = {}
    for label, kwargs in (("healthy", {"std": 32 ** -0.5}), ("large", {"std": 10.0}),
                          ("no state", {"std": 32 ** -0.5, "residual": False})):
        torch.manual_seed(0)
        model = _InlineRecurrence(**kwargs)  # type: ignore[arg-type]
        d = check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3), confirm_steps=0)
        found[label] = [f for f in d.findings if f.cause == "recurrence" and f.severity != "info"]
    assert found["healthy"] == []
    assert found["large"] and found["large"][0].evidence["kind"] == "matrix recurrence"
    assert max(found["large"][0].evidence["spectral_radius"].values()) > 3  # 10 sqrt(32): it blows up in time
    assert found["no state"] and found["no state"][0].evidence["decades_over_sequence"] < -3  # h = eps * (...)
