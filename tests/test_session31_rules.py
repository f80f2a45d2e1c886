"""Readings of ``check`` changed in the thirty-first session, after held-out false alarms and misses:

* scores ``(B, B)`` against one target throughout are the in-batch contrastive slip (MoCo's zeros on a diagonal
  loss) only when the ``B x B`` comes from the batch meeting itself; when an input already holds ``B`` candidates for
  each sample (implicit behavioural cloning's 64 candidate actions at batch 64, the expert's first), label 0 is the
  convention and nothing is said;
* a recurrent matrix taken from a stacked parameter at every step (``h @ self.u[k]``, a Keras-style GRU's three
  recurrent matrices in one ``(3, h, h)`` parameter, fresh43's RNNoise) is read as a recurrence, and a backward pass
  that turns non-finite behind it is its consequence, not a ``numeric`` slip;
* under an adaptive optimizer (Adam's per-element step), ReLU units dying along a deep stack with nothing
  normalising is information, not a ``normalization`` warning (fresh6's N-BEATS, fresh45's FoldingNet); under SGD
  it stays a warning;
* normalisation scales at exactly 0 that get no gradient (an init loop zeroing every 1-D parameter, fresh45's
  TempCNN) are an ``init`` finding, while a residual branch's last BatchNorm started at 0 by design is not.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis import DiagnosisError


def _causes(d: gradguard.Diagnosis) -> list[str]:
    return [f.cause for f in d.findings if f.severity in ("warning", "critical")]


class _PairScorer(nn.Module):
    """An energy MLP over (observation, candidate) pairs: ``((b, 4), (b, m, 2)) -> (b, m)`` scores."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        o, a = inputs
        return -self.net(torch.cat([o[:, None].expand(-1, a.shape[1], -1), a], -1))[..., 0]


class _InBatch(nn.Module):
    """Two encoders whose embeddings score the batch against itself: ``(b, 8) -> (b, b)`` similarities."""

    def __init__(self) -> None:
        super().__init__()
        self.f = nn.Linear(8, 16)
        self.g = nn.Linear(8, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.f(x) @ self.g(x + 0.1 * torch.randn_like(x)).T


def _candidates(b: int, gen: torch.Generator) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
    o = 2 * torch.rand(b, 4, generator=gen) - 1
    expert = (2 * (o[:, 2:] - o[:, :2])).clamp(-1, 1)
    neg = 2 * torch.rand(b, b - 1, 2, generator=gen) - 1
    return (o, torch.cat([expert[:, None], neg], 1)), torch.zeros(b, dtype=torch.long)


def test_candidates_per_sample_with_label_zero_are_not_the_batch_against_itself() -> None:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = _PairScorer()
    x, y = _candidates(32, gen)
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))
    assert "data" not in _causes(d), [f.message for f in d.findings]
    # the same model learns at these settings: label 0 is right here
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    first = last = 0.0
    for i in range(150):
        xb, yb = _candidates(32, gen)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = float(loss.detach()) if i == 0 else first
        last = float(loss.detach())
    assert last < 0.75 * first


def test_in_batch_scores_with_label_zero_stay_a_data_finding() -> None:
    torch.manual_seed(0)
    model = _InBatch()
    x = torch.randn(32, 8)
    d = gradguard.check(model, (x, torch.zeros(32, dtype=torch.long)), F.cross_entropy,
                        torch.optim.Adam(model.parameters(), lr=1e-3))
    assert "data" in _causes(d)
    assert "against itself" in next(f.message for f in d.findings if f.cause == "data")


class _StackedGRU(nn.Module):
    """A ReLU GRU written inline, its three recurrent matrices one ``(3, h, h)`` parameter, orthogonal x ``gain``."""

    def __init__(self, i: int = 6, h: int = 24, gain: float = 1.0) -> None:
        super().__init__()
        self.w = nn.Linear(i, 3 * h)
        self.u = nn.Parameter(torch.empty(3, h, h))
        for k in range(3):
            nn.init.orthogonal_(self.u[k], gain=gain)
        self.out = nn.Linear(h, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        wz, wr, wn = self.w(x).chunk(3, -1)
        h = x.new_zeros(x.shape[0], self.u.shape[1])
        for t in range(x.shape[1]):
            z = torch.sigmoid(wz[:, t] + h @ self.u[0])
            r = torch.sigmoid(wr[:, t] + h @ self.u[1])
            h = z * h + (1 - z) * F.relu(wn[:, t] + (r * h) @ self.u[2])
        return torch.sigmoid(self.out(h))[:, 0]


def _gru_check(gain: float) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = _StackedGRU(gain=gain)
    x, y = torch.randn(16, 24, 6), torch.rand(16)
    return gradguard.check(model, (x, y), F.mse_loss, torch.optim.Adam(model.parameters(), lr=1e-3))


def test_stacked_recurrent_matrices_are_read_as_a_recurrence() -> None:
    d = _gru_check(5.0)
    top = d.findings[0]
    assert top.cause == "recurrence" and top.severity in ("warning", "critical"), [f.message for f in d.findings]
    assert next(iter(top.evidence["spectral_radius"].values())) > 4.5
    assert "numeric" not in _causes(d)
    assert "recurrence" not in _causes(_gru_check(1.0))


def _relu_stack(layers: int, width: int = 32) -> nn.Sequential:
    mods: list[nn.Module] = []
    d = 8
    for _ in range(layers - 1):
        mods += [nn.Linear(d, width), nn.ReLU()]
        d = width
    return nn.Sequential(*mods, nn.Linear(width, 4))


def test_dying_relus_along_an_unnormalised_stack_are_information_under_adam() -> None:
    x, y = torch.randn(64, 8), torch.randint(0, 4, (64,))

    def drift(opt_for: type[torch.optim.Optimizer], **kw: float) -> list[gradguard.Finding]:
        torch.manual_seed(0)
        model = _relu_stack(12)
        d = gradguard.check(model, (x, y), F.cross_entropy, opt_for(model.parameters(), **kw))
        return [f for f in d.findings if f.cause == "normalization" and "dead_fraction" in f.evidence]

    sgd = drift(torch.optim.SGD, lr=0.01, momentum=0.9)
    adam = drift(torch.optim.Adam, lr=1e-3)
    assert [f.severity for f in sgd] == ["warning"]
    assert [f.severity for f in adam] == ["info"] and adam[0].evidence["adaptive_optimizer"] is True


class _ConvBN(nn.Module):
    """Three Conv1d+BatchNorm+ReLU blocks and a head; ``zero_gains``: every BatchNorm's gain set to 0."""

    def __init__(self, zero_gains: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for a in (4, 16, 16):
            layers += [nn.Conv1d(a, 16, 3, padding=1), nn.BatchNorm1d(16), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(16, 3)
        if zero_gains:
            with torch.no_grad():
                for p in self.parameters():
                    if p.dim() == 1:
                        p.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).mean(-1))


class _ZeroInitResidual(nn.Module):
    """Residual blocks whose last BatchNorm starts at gamma = 0 (Goyal et al. 2017): the block starts as identity."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv1d(4, 16, 3, padding=1)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Conv1d(16, 16, 3, padding=1), nn.BatchNorm1d(16), nn.ReLU(),
                                                  nn.Conv1d(16, 16, 3, padding=1), nn.BatchNorm1d(16))
                                    for _ in range(2))
        for b in self.blocks:
            nn.init.zeros_(b[4].weight)
        self.head = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.stem(x))
        for b in self.blocks:
            h = F.relu(h + b(h))
        return self.head(h.mean(-1))


def test_zero_normalisation_gains_without_gradient_are_an_init_finding() -> None:
    x, y = torch.randn(32, 4, 20), torch.randint(0, 3, (32,))
    for zero in (True, False):
        torch.manual_seed(0)
        model = _ConvBN(zero)
        d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))
        if zero:
            assert d.findings[0].cause == "init" and d.findings[0].severity == "critical"
            assert d.findings[0].evidence["stuck_zero_gains"] == ["body.1", "body.4", "body.7"]
            assert "activation" not in _causes(d)
        else:
            assert "init" not in _causes(d)
    torch.manual_seed(0)
    model = _ZeroInitResidual()
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    assert not any("stuck_zero_gains" in f.evidence for f in d.findings)


class _TiedLM(nn.Module):
    """An embedding, two LayerNorm'd ReLU blocks (Xavier, zero biases) and a head tied to the embedding table."""

    def __init__(self, vocab: int = 20, d: int = 32) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 2 * d), nn.ReLU(),
                                                  nn.Linear(2 * d, d)) for _ in range(2))
        for m in self.blocks.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.emb.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)
        for b in self.blocks:
            h = h + b(h)
        return self.head(h).flatten(0, 1)


def test_a_tied_table_zeroed_through_its_head_is_an_init_finding() -> None:
    torch.manual_seed(0)
    model = _TiedLM()
    nn.init.zeros_(model.head.weight)  # the zero-init-the-logits habit, after tying: the table is zeroed too
    x = torch.randint(0, 20, (8, 12))
    d = gradguard.check(model, (x, x.roll(-1, 1).flatten()), F.cross_entropy,
                        torch.optim.AdamW(model.parameters(), lr=1e-3))
    assert d.findings[0].cause == "init" and "emb.weight" in d.findings[0].evidence["zero_weight_matrices"]
    assert _causes(d) == ["init"], [f.message for f in d.findings]


def test_growth_rewarded_is_not_a_finding_under_adagrad_whose_steps_shrink() -> None:
    gen = torch.Generator().manual_seed(0)
    teacher = torch.randn(32, 10, generator=gen)
    x = torch.randn(128, 32, generator=gen)
    y = (x @ teacher).argmax(1)

    def reg(opt_for: type[torch.optim.Optimizer], lr: float) -> list[str]:
        torch.manual_seed(0)
        model = nn.Linear(32, 10)
        d = gradguard.check(model, (x, y), F.cross_entropy, opt_for(model.parameters(), lr=lr))
        return [f.severity for f in d.findings if "loss_after_step_weights_doubled" in f.evidence]

    assert reg(torch.optim.Adam, 0.1) == ["warning"]
    assert reg(torch.optim.Adagrad, 0.1) == []


def test_the_transformer_convention_in_a_stream_without_norms_is_the_missing_norm() -> None:
    from judgment_corpus.fresh46_builders import simmim
    from judgment_corpus.judge import run_check

    for ln in (False, True):
        d = run_check(simmim(0, ln=ln))
        if ln:
            assert not _causes(d), [f.message for f in d.findings]
            continue
        assert d.findings[0].cause == "normalization" and "residual_blocks" in d.findings[0].evidence, \
            [f.message for f in d.findings]
        assert "init" not in _causes(d)


class _ConvNet(nn.Module):
    """conv -> (BatchNorm) -> ReLU -> pool, twice, then a head: a ResNet stem's shape."""

    def __init__(self, bn: bool) -> None:
        super().__init__()
        norm = nn.BatchNorm2d if bn else (lambda c: nn.Identity())
        self.body = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=not bn), norm(16), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(16, 32, 3, padding=1, bias=not bn), norm(32), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def test_raw_pixels_into_a_layer_a_normalisation_follows_are_not_a_data_warning() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (32, 1, 16, 16), generator=gen).float()  # raw 0-255 pixels, as the published script
    y = torch.randint(0, 10, (32,), generator=gen)
    for bn in (True, False):
        torch.manual_seed(0)
        model = _ConvNet(bn)
        d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adadelta(model.parameters(), lr=1.0))
        data = [f for f in d.findings if f.cause == "data"]
        assert len(data) == 1 and data[0].evidence["decades_off_unit_scale"] > 1
        assert (data[0].severity == "info") == bn, data[0].message


def test_every_weight_at_zero_outranks_the_constant_signal_it_makes() -> None:
    from judgment_corpus.fresh48_builders import nplm
    from judgment_corpus.judge import run_check

    d = run_check(nplm(0, zero_init=True))
    assert d.findings[0].cause == "init" and d.findings[0].evidence.get("all_zero") is True, \
        [f.message for f in d.findings]
    assert _causes(d) == ["init"]


def test_a_gradient_only_shrink_is_information_under_adam() -> None:
    from judgment_corpus.fresh48_builders import att_rnn
    from judgment_corpus.judge import run_check

    d = run_check(att_rnn(0))
    depth = [f for f in d.findings if f.cause == "depth"]
    assert depth and depth[0].severity == "info" and depth[0].evidence["adaptive_optimizer"] is True
    assert not _causes(d), [f.message for f in d.findings]


class _SmallConvNet(nn.Module):
    """pytorch/examples' MNIST net, narrowed: two convolutions, a max-pool and two Linears, log-softmax out."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 8, 3, 1), nn.Conv2d(8, 16, 3, 1)
        self.fc1, self.fc2 = nn.Linear(16 * 6 * 6, 32), nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        return F.log_softmax(self.fc2(F.relu(self.fc1(torch.flatten(x, 1)))), dim=1)


def test_an_early_blowup_the_new_weights_do_not_explain_is_attributed_to_the_lr() -> None:
    for lr in (100.0, 1.0):
        torch.manual_seed(0)
        model = _SmallConvNet()
        opt = torch.optim.Adadelta(model.parameters(), lr=lr)
        guard = gradguard.Guard(model, opt, policy="monitor", loss_fn=F.nll_loss)
        gen = torch.Generator().manual_seed(0)
        events = []
        for _ in range(6):
            x, y = torch.randn(32, 1, 16, 16, generator=gen), torch.randint(0, 10, (32,), generator=gen)
            opt.zero_grad()
            loss = F.nll_loss(model(x), y)
            loss.backward()
            events += guard.step(loss, inputs=x, targets=y).events
        if lr == 1.0:
            assert not [e for e in events if e.kind == "divergence"]
            continue
        alarm = next(e for e in events if e.kind == "divergence")
        assert alarm.step <= 2 and alarm.causes and alarm.causes[0]["cause"] == "lr", alarm.causes


def test_targets_a_loss_compares_on_their_own_scale_are_not_a_data_warning() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, generator=gen)
    y = 300.0 + 170.0 * (x @ torch.randn(8, 4, generator=gen)) / 3  # raw flows: mean ~300, spread ~170
    mean, std = y.mean(), y.std()
    destandardised = {"l1": lambda out, t: F.l1_loss(out * std + mean, t)}

    def data(loss_fn: object) -> list[str]:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4))
        d = gradguard.check(model, (x, y), loss_fn, torch.optim.Adam(model.parameters(), lr=3e-3))
        return [f.severity for f in d.findings if f.cause == "data"]

    assert data(destandardised["l1"]) == ["info"]  # the forecast is de-standardised inside the loss (AGCRN's)
    assert data(F.mse_loss)[0] in ("warning", "critical")  # the raw targets against a unit-scale output

    inf_std = torch.tensor(float("inf"))  # a scaler whose std overflowed (squares past float16's 65504)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4))
    d = gradguard.check(model, (x, y), lambda out, t: F.l1_loss(out * inf_std + mean, t),
                        torch.optim.Adam(model.parameters(), lr=3e-3))
    assert d.findings[0].cause == "numeric", [f.message for f in d.findings]


class _LateNorm(nn.Module):
    """conv -> ReLU -> conv -> ReLU -> BatchNorm (no biases), res15's order: a positively homogeneous map to a norm."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.c2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16, affine=False)
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.bn(F.relu(self.c2(F.relu(self.c1(x))))).mean((2, 3)))


def test_an_input_scale_a_norm_divides_out_two_relu_layers_later_is_information() -> None:
    gen = torch.Generator().manual_seed(0)
    x = -30.0 + 11.0 * torch.randn(32, 1, 16, 20, generator=gen)  # decibel-level features, as res15's
    y = torch.randint(0, 10, (32,), generator=gen)
    torch.manual_seed(0)
    model = _LateNorm()
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    data = [f for f in d.findings if f.cause == "data"]
    assert len(data) == 1 and data[0].severity == "info" and "normalisation" in data[0].message


def _small_decoder() -> nn.Sequential:
    """IM-NET's implicit decoder shape: Linears 16-128-128-64-32-1 at N(0, 0.02), leaky ReLU 0.02, zero biases."""
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    d = 16
    for w in (128, 128, 64, 32):
        layers += [nn.Linear(d, w), nn.LeakyReLU(0.02)]
        d = w
    model = nn.Sequential(*layers, nn.Linear(d, 1))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
    return model


def test_a_small_init_adam_brings_to_scale_in_a_few_steps_is_information() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(256, 16, generator=gen)
    y = (x[:, :3].sum(1, keepdim=True) > 0).float()
    model = _small_decoder()
    d = gradguard.check(model, (x, y), F.mse_loss, torch.optim.Adam(model.parameters(), lr=3e-3))
    assert not _causes(d), [f.message for f in d.findings]
    assert any(f.evidence.get("steps_to_own_scale") for f in d.findings)
    model = _small_decoder()
    d = gradguard.check(model, (x, y), F.mse_loss, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    assert "init" in _causes(d)  # SGD's step is proportional to the shrunk gradient: no such repair
    model = _small_decoder()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = last = 0.0
    for i in range(200):
        loss = F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first, last = (float(loss.detach()) if i == 0 else first), float(loss.detach())
    assert last < 0.01 * first  # it learns


def test_a_loss_computed_under_no_grad_is_refused_with_what_to_do() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    x, y = torch.randn(16, 8), torch.randint(0, 3, (16,))

    def logged_loss(out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():  # meant for logging
            loss = F.cross_entropy(out, t)
        return loss.requires_grad_()

    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(DiagnosisError, match=r"grad_fn is None.*no_grad"):
        gradguard.check(model, (x, y), logged_loss, torch.optim.SGD(model.parameters(), lr=0.1))
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))
