"""Round 9 of the diagnosis rules (issue 12): set-up slips that leave the first batch's gradients looking healthy
(:mod:`gradguard.diagnosis.mistakes`), each on real tensors with its healthy twin staying silent."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.mistakes import double_squash, zero_network_findings


def _mlp(out: int = 1, last: nn.Module | None = None) -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, out)]
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


def _binary_batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 16, generator=g)
    return x, (x[:, :1] > 0).float()


def _causes(d: gradguard.Diagnosis) -> list[str]:
    return [f.cause for f in d.findings if f.severity != "info"]


def test_a_network_at_zero_is_init_but_a_zero_head_is_not() -> None:
    x, y = _binary_batch()
    model = _mlp()
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.zero_()
    d = gradguard.check(model, (x, y), F.binary_cross_entropy_with_logits, torch.optim.SGD(model.parameters(), 0.1))
    assert d.top is not None and d.top.cause == "init" and d.top.severity == "critical"
    assert d.top.evidence["zero_weight_layers"] == 3
    changes = gradguard.fix(model, d)
    assert len(changes) == 3 and all(c["std_before"] == 0 and c["std_after"] > 0 for c in changes)
    # the activations, invisible on a zero signal, were read off a randomised copy: He for the ReLU layers
    assert [c["scheme"].startswith("kaiming") for c in changes] == [True, True, False]
    d = gradguard.check(model, (x, y), F.binary_cross_entropy_with_logits, torch.optim.SGD(model.parameters(), 0.1))
    assert "init" not in _causes(d)
    head_only = _mlp()
    nn.init.zeros_(head_only[4].weight)
    assert zero_network_findings(head_only) == []
    d = gradguard.check(head_only, (x, y), F.binary_cross_entropy_with_logits,
                        torch.optim.Adam(head_only.parameters(), 1e-3))
    assert "init" not in _causes(d)


def test_a_constant_init_is_a_symmetric_network_and_fix_breaks_it() -> None:
    """``nn.init.constant_(w, 0.02)`` on every Linear (fresh17's PINN slip): every unit of a layer has the same
    incoming weights and gets the same gradient; named init (critical), and fix draws them at random."""
    x, y = _binary_batch()
    model = _mlp()
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.02)
    d = gradguard.check(model, (x, y), F.binary_cross_entropy_with_logits, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "init" and d.top.severity == "critical"
    assert d.top.evidence["all_zero"] is False and "same incoming weights" in d.top.message
    changes = gradguard.fix(model, d)
    assert len(changes) == 3
    rows = model[0].weight.detach()
    assert not bool((rows == rows[:1]).all())  # the units differ now
    d = gradguard.check(model, (x, y), F.binary_cross_entropy_with_logits, torch.optim.Adam(model.parameters(), 1e-3))
    assert not [f for f in d.findings if f.cause == "init" and f.severity in ("warning", "critical")]


class _ConvBN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).mean((2, 3)))


def test_batchnorm_frozen_with_statistics_it_never_collected_is_normalization() -> None:
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(16, 3, 8, 8, generator=g) * 3 + 2, torch.randint(0, 4, (16,), generator=g)
    model = _ConvBN().train()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), 0.05, momentum=0.9))
    frozen = [f for f in d.findings if f.cause == "normalization" and "frozen_batchnorm_layers" in f.evidence]
    assert frozen and frozen[0].severity == "warning" and frozen[0].evidence["frozen_batchnorm_layers"] == 2
    # frozen after collecting statistics on data (a fine-tuning design): not flagged
    learnt = _ConvBN().train()
    with torch.no_grad():
        for _ in range(3):
            learnt(x)
    for m in learnt.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    for m in learnt.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.num_batches_tracked.zero_()  # as an older checkpoint loads: learnt statistics without the count
    d = gradguard.check(learnt, (x, y), F.cross_entropy, torch.optim.SGD(learnt.parameters(), 0.05, momentum=0.9))
    assert not [f for f in d.findings if "frozen_batchnorm_layers" in f.evidence]


class _Rec(nn.Module):
    def __init__(self, max_norm: float | None) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.u, self.i = nn.Embedding(32, 16, max_norm=max_norm), nn.Embedding(48, 16, max_norm=max_norm)
        self.out = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.u(x[:, 0]) * self.i(x[:, 1])).squeeze(1)


def test_an_embedding_renormalised_to_nothing_is_regularization() -> None:
    g = torch.Generator().manual_seed(3)
    x = torch.stack([torch.randint(0, 32, (64,), generator=g), torch.randint(0, 48, (64,), generator=g)], 1)
    y = ((x[:, 0] + x[:, 1]) % 2).float()
    model = _Rec(1e-3)
    before = model.u.weight.detach().clone()
    d = gradguard.check(model, (x, y), F.binary_cross_entropy_with_logits, torch.optim.Adam(model.parameters(), 5e-3))
    assert d.top is not None and d.top.cause == "regularization" and "embeddings" in d.top.evidence
    assert torch.equal(model.u.weight, before)  # the check's forward renormalised nothing for good
    ok = _Rec(1.0)  # N(0, 1) rows of norm ~4 capped at 1: a usual setting
    d = gradguard.check(ok, (x, y), F.binary_cross_entropy_with_logits, torch.optim.Adam(ok.parameters(), 5e-3))
    assert not [f for f in d.findings if "embeddings" in f.evidence]


def _mlp_002() -> nn.Sequential:
    model = _mlp()
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)  # the transformer convention: Adam moves it by lr / 0.02 per step
    return model


def test_a_schedule_whose_peak_is_far_too_high_for_adam_is_lr() -> None:
    x, y = _binary_batch()
    model = _mlp_002()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=300)  # SGD's max_lr on Adam
    d = gradguard.check(model, (x, y), F.binary_cross_entropy_with_logits, opt, scheduler=sched)
    peak = [f for f in d.findings if f.evidence.get("schedule_peak")]
    assert peak and peak[0].cause == "lr" and peak[0].severity != "info"
    assert 4 < peak[0].evidence["peak_lr_to_weight_rms"] < 6 and peak[0].evidence["suggested_lr"] < 0.1
    assert d.top is not None and d.top.cause == "lr"
    assert abs(opt.param_groups[0]["lr"] - sched.get_last_lr()[0]) < 1e-12  # the schedule is put back
    for max_lr in (1e-3, 1e-2):  # a peak the step check would pass if the run were at it (share 0.05, 0.5)
        model = _mlp_002()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=300)
        d = gradguard.check(model, (x, y), F.binary_cross_entropy_with_logits, opt, scheduler=sched)
        assert not [f for f in d.findings if f.evidence.get("schedule_peak")]
    # a warm-up from 0 to 5e-2 (accelerate's gradient_accumulation.py at that lr ends at chance): share ~2.5, under
    # the step check's 3 that the peak was judged by until session 25; flagged, as a warning
    model = _mlp_002()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-2)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / 100))
    d = gradguard.check(model, (x, y), F.binary_cross_entropy_with_logits, opt, scheduler=sched)
    peak = [f for f in d.findings if f.evidence.get("schedule_peak")]
    assert peak and peak[0].cause == "lr" and peak[0].severity == "warning", d.findings
    assert 2 < peak[0].evidence["peak_lr_to_weight_rms"] < 3


def test_a_probability_squashed_again_by_a_with_logits_loss_is_activation() -> None:
    x, y = _binary_batch()
    model = _mlp(last=nn.Sigmoid())
    d = gradguard.check(model, (x, y), nn.BCEWithLogitsLoss(), torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "activation" and d.top.evidence["loss"].endswith("with_logits")
    # the same probability into the loss that takes probabilities: right
    d = gradguard.check(model, (x, y), F.binary_cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    assert "activation" not in _causes(d)
    # logits that happen to lie in [0, 1] (a positive bias, tiny weights) are not a probability
    small = _mlp()
    with torch.no_grad():
        small[4].weight.mul_(1e-4)
        small[4].bias.fill_(0.5)
    assert double_squash(small(x), y, F.binary_cross_entropy_with_logits(small(x), y),
                         F.binary_cross_entropy_with_logits) is None
    # a softmax output into cross_entropy, applied as a function inside forward
    soft = _mlp(out=4, last=nn.Softmax(dim=1))
    labels = torch.randint(0, 4, (64,), generator=torch.Generator().manual_seed(4))
    d = gradguard.check(soft, (x, labels), F.cross_entropy, torch.optim.Adam(soft.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "activation" and "softmax" in d.top.evidence["output"]


class _Powers(nn.Module):
    """A per-channel kernel ``K[h, l] = c_h * rate_h ** l`` applied as a causal convolution over 64 time steps."""

    def __init__(self, log_rate: torch.Tensor) -> None:
        super().__init__()
        self.log_rate = nn.Parameter(log_rate)
        self.c = nn.Parameter(torch.ones(log_rate.shape[0]))

    def forward(self, length: int) -> torch.Tensor:
        steps = torch.arange(length, dtype=torch.float)
        return self.c[:, None] * torch.exp(self.log_rate[:, None] * steps) / self.log_rate[:, None]


class _SSM(nn.Module):
    def __init__(self, log_rate: torch.Tensor) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.kernel = _Powers(log_rate)
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (batch, 4 channels, 64 steps)
        k = self.kernel(x.shape[-1])
        y = torch.fft.irfft(torch.fft.rfft(x, 128) * torch.fft.rfft(k, 128), 128)[..., :64]
        return self.head(y.mean(-1))


def test_a_value_that_grows_along_time_until_it_overflows_is_recurrence_not_numeric() -> None:
    g = torch.Generator().manual_seed(5)
    x, y = torch.randn(8, 4, 64, generator=g), torch.randint(0, 2, (8,), generator=g)
    growing = _SSM(torch.tensor([0.5, 1.0, 1.5, 2.0]))  # rate e^0.5 .. e^2 per step: e^126 overflows float32
    d = gradguard.check(growing, (x, y), F.cross_entropy, torch.optim.Adam(growing.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "recurrence" and d.top.layers == ["kernel"]
    assert d.top.evidence["overflow"]["axis"] == 1 and d.top.evidence["overflow"]["growth_decades"] >= 3
    zero = _SSM(torch.tensor([0.0, -0.1, -0.2, -0.3]))  # 1/0 at every step of channel 0: a numeric slip
    d = gradguard.check(zero, (x, y), F.cross_entropy, torch.optim.Adam(zero.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "numeric"
