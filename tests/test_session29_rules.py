"""Six readings of ``check`` added after the twenty-ninth session's held-out batches (fresh37, fresh38, fresh40):

* class logits laid out ``(B, C, T)`` with ``C == T`` are read on the axis the loss reads (WaveRNN's 64 levels over 64
  steps was "a loss that cannot tell a perfect prediction from a guess");
* a forward that only rescales a parameter in place (SwAV's prototypes L2-normalised before each forward) is a
  projection, not an init inside forward; a re-draw still is;
* ``torch.tan`` on a learned signal (``tanh`` mistyped) is an ``activation`` finding;
* partly saturated tanh units whose measured gradient cost is negligible are information (BNAF; a cost of half a
  decade stays a warning);
* a cross-entropy divided down by a constant under SGD is a learning rate divided by it (ConvS2S's mean loss divided
  again by the token count);
* a schedule that holds every learning rate at exactly 0 for 20 steps or more is an ``lr`` finding (FwFM's warm-up
  factor written ``step // warmup``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _causes(d: gradguard.Diagnosis, severities: tuple[str, ...] = ("warning", "critical")) -> list[str]:
    return [f.cause for f in d.findings if f.severity in severities]


class _SeqClassifier(nn.Module):
    """A GRU over a scalar series whose head scores ``levels`` classes per step, logits ``(B, levels, T)``."""

    def __init__(self, levels: int = 32) -> None:
        super().__init__()
        self.gru = nn.GRU(1, 32, batch_first=True)
        self.head = nn.Linear(32, levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(x[..., None])
        return self.head(h).transpose(1, 2)


def test_class_logits_on_axis_one_with_as_many_steps_as_classes_are_read_on_axis_one() -> None:
    torch.manual_seed(0)
    model = _SeqClassifier(levels=32)
    x, y = torch.randn(16, 32), torch.randint(0, 32, (16, 32))  # T == C == 32
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    assert "regularization" not in _causes(d), [f.message for f in d.findings]
    # the sensor itself still fires where the loss really cannot tell (smoothing 0.95, axis 1 read right)
    smoothed = gradguard.check(model, (x, y), lambda o, t: F.cross_entropy(o, t, label_smoothing=0.95),
                               torch.optim.Adam(model.parameters(), 1e-3))
    assert "regularization" in _causes(smoothed), [f.message for f in smoothed.findings]


class _Prototypes(nn.Module):
    """An MLP whose last layer's rows are rewritten in the forward: L2-normalised (SwAV) or re-drawn (a slip)."""

    def __init__(self, redraw: bool = False) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 16))
        self.prototypes = nn.Linear(16, 10, bias=False)
        self.redraw = redraw

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            if self.redraw:
                nn.init.normal_(self.prototypes.weight, 0.0, 0.3)
            else:
                self.prototypes.weight.copy_(F.normalize(self.prototypes.weight, dim=1))
        return self.prototypes(F.normalize(self.body(x), dim=1)) / 0.1


def test_a_forward_that_normalises_its_prototypes_is_a_projection_not_an_init() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(64, 8), torch.randint(0, 10, (64,))
    for redraw, flagged in ((False, False), (True, True)):
        model = _Prototypes(redraw)
        d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), 0.05, momentum=0.9))
        rewrites = [f for f in d.findings if "rewritten_by_forward" in f.evidence]
        assert bool(rewrites) == flagged, [f.message for f in d.findings]
        if flagged:
            assert rewrites[0].cause == "init" and rewrites[0].evidence["rewritten_by_forward"] == ["prototypes.weight"]


class _Flow(nn.Module):
    def __init__(self, act: str) -> None:
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(2, 64), nn.Linear(64, 64), nn.Linear(64, 2)
        self.act = torch.tan if act == "tan" else torch.tanh

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.l3(self.act(self.l2(self.act(self.l1(x)))))


def test_torch_tan_on_a_learned_signal_is_an_activation_finding() -> None:
    torch.manual_seed(0)
    x = torch.randn(256, 2) * 3
    y = x.roll(1, dims=1)
    d = gradguard.check(_Flow("tan"), (x, y), F.mse_loss, torch.optim.Adam(_Flow("tan").parameters(), 1e-2))
    tan = [f for f in d.findings if "tan_ops" in f.evidence]
    assert tan and tan[0].cause == "activation" and tan[0].severity in ("warning", "critical")
    assert tan[0].evidence["tan_ops"] == 2
    assert d.top is not None and d.top.cause == "activation"
    clean = gradguard.check(_Flow("tanh"), (x, y), F.mse_loss, torch.optim.Adam(_Flow("tanh").parameters(), 1e-2))
    assert not [f for f in clean.findings if "tan_ops" in f.evidence]


class _ShallowTanh(nn.Module):
    """Two tanh layers whose first is scaled so that about half its units saturate, then a linear read-out."""

    def __init__(self, gain: float) -> None:
        super().__init__()
        self.l1, self.l2, self.out = nn.Linear(4, 64), nn.Linear(64, 64), nn.Linear(64, 1)
        with torch.no_grad():
            self.l1.weight.mul_(gain)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.l2(torch.tanh(self.l1(x)))))


def test_partly_saturated_tanh_units_that_cost_gradient_stay_a_warning() -> None:
    # the demotion to information needs a measured cost under 0.3 decades (BNAF's 0.06-0.25, in the corpus); here
    # the saturated first layer costs about half a decade, and the finding stays a warning
    torch.manual_seed(0)
    x = torch.randn(256, 4) * 2
    y = x.sum(1, keepdim=True).sin()
    model = _ShallowTanh(gain=4.0)
    d = gradguard.check(model, (x, y), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3))
    act = [f for f in d.findings if f.cause == "activation" and "saturated_fraction" in f.evidence]
    assert act, [f.message for f in d.findings]
    assert 0.3 <= act[0].evidence["worst_fraction"] < 0.7  # the band where the measured cost decides
    assert act[0].evidence["explained_decades"] >= 0.3 and act[0].severity == "warning"


class _Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb, self.mix, self.out = nn.Embedding(50, 32), nn.Linear(32, 32), nn.Linear(32, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.mix(self.emb(x))))


def test_a_cross_entropy_divided_by_the_token_count_under_sgd_is_a_smaller_learning_rate() -> None:
    torch.manual_seed(0)
    x, y = torch.randint(0, 50, (16, 20)), torch.randint(0, 16, (16, 20))

    def ce(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(o.reshape(-1, 16), t.reshape(-1))

    def divided(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return ce(o, t) / t.numel()  # already a mean: divided again by the 320 tokens

    model = _Tagger()
    sgd = gradguard.check(model, (x, y), divided, torch.optim.SGD(model.parameters(), 0.25, momentum=0.9))
    scaled = [f for f in sgd.findings if "loss_scale" in f.evidence]
    assert scaled and scaled[0].cause == "lr" and scaled[0].severity == "warning"
    assert abs(scaled[0].evidence["loss_scale"] - 1 / 320) < 1e-4
    assert sgd.top is not None and sgd.top.cause == "lr"
    # Adam divides the scale out; a plain mean or a sum (scaled up) is not told
    adam = gradguard.check(model, (x, y), divided, torch.optim.Adam(model.parameters(), 1e-3))
    plain = gradguard.check(model, (x, y), ce, torch.optim.SGD(model.parameters(), 0.25, momentum=0.9))
    summed = gradguard.check(model, (x, y), lambda o, t: ce(o, t) * t.numel(),
                             torch.optim.SGD(model.parameters(), 1e-3))
    for d in (adam, plain, summed):
        assert not [f for f in d.findings if "loss_scale" in f.evidence]


def test_a_schedule_that_holds_the_lr_at_zero_is_an_lr_finding() -> None:
    torch.manual_seed(0)
    x, y = torch.randint(0, 50, (16, 20)), torch.randint(0, 16, (16, 20))

    def ce(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(o.reshape(-1, 16), t.reshape(-1))

    def run(factor: object) -> gradguard.Diagnosis:
        model = _Tagger()
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)  # type: ignore[arg-type]
        return gradguard.check(model, (x, y), ce, opt, scheduler=sched)

    floor = run(lambda t: min(1, t // 100))  # an integer division: 0 until step 100
    zero = [f for f in floor.findings if "zero_lr_steps" in f.evidence]
    assert zero and zero[0].cause == "lr" and zero[0].severity == "warning" and zero[0].evidence["zero_lr_steps"] == 100
    assert floor.top is not None and floor.top.cause == "lr"
    never = run(lambda t: 0.0)
    assert [f.severity for f in never.findings if "zero_lr_steps" in f.evidence] == ["critical"]
    warm = run(lambda t: min(1.0, t / 100))  # a warm-up from 0: 0 at its first step only
    assert not [f for f in warm.findings if "zero_lr_steps" in f.evidence]


class _ZeroGammaNet(nn.Module):
    """Residual blocks whose last BatchNorm starts at gamma = 0 (torchvision's ``zero_init_residual``): at step 0
    every branch parameter before that gamma gets an all-zero gradient, by design."""

    def __init__(self, zero_gamma: bool, sign: bool = False) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16)) for _ in range(4))
        if zero_gamma:
            for b in self.blocks:
                nn.init.zeros_(b[4].weight)
        self.head = nn.Linear(16, 10)
        self.sign = sign

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.stem(x))
        for b in self.blocks:
            out = b(h)
            h = torch.relu(h + (torch.sign(out) if self.sign else out))
        return self.head(h.mean((2, 3)))


def test_a_residual_branch_started_at_zero_gamma_is_not_a_cut_gradient() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(16, 3, 8, 8), torch.randint(0, 10, (16,))
    model = _ZeroGammaNet(zero_gamma=True)
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), 0.1, momentum=0.9))
    assert not [f for f in d.findings if "no gradient" in f.message.lower() and f.severity != "info"], \
        [f.message for f in d.findings]
    # without the zero gamma, a torch.sign in the branches still cuts their gradient and is told
    cut = _ZeroGammaNet(zero_gamma=False, sign=True)
    d = gradguard.check(cut, (x, y), F.cross_entropy, torch.optim.SGD(cut.parameters(), 0.1, momentum=0.9))
    assert d.top is not None and d.top.cause == "activation", [f.message for f in d.findings]


def test_explain_demotes_a_costless_saturation_unless_a_large_init_claims_it() -> None:
    from gradguard.diagnosis.explain import explain
    from gradguard.diagnosis.findings import Finding

    def saturation() -> Finding:
        return Finding(cause="activation", layers=["l1"], severity="warning", confidence=0.7,
                       evidence={"activation": "tanh", "saturated_fraction": {"l1": 0.5}, "worst_fraction": 0.5,
                                 "explained_decades": 0.1, "costless": True},
                       message="tanh: up to 50% of units are saturated", prescription="", code="", score=1.5)

    alone = [saturation()]
    explain(alone)
    assert alone[0].severity == "info"
    # weights feeding the tanh at 6x their scheme's std: the saturation is the init's consequence, and the init
    # finding, not the demotion, decides what is shown
    big = Finding(cause="init", layers=["l1"], severity="warning", confidence=0.7,
                  evidence={"direction": 1, "layers": {"l1.weight": {"factor": 6.0, "activation": "tanh"}}},
                  message="initialised too large", prescription="", code="", score=1.0)
    claimed = [saturation(), big]
    explain(claimed)
    assert claimed[1].severity == "warning" and claimed[0].evidence.get("consequence_of") == "init"
