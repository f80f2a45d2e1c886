"""Round 10 of the diagnosis rules (issue 12): set-up slips seen on the ninth held-out batch
(:mod:`gradguard.diagnosis.slips`, :func:`gradguard.diagnosis.mistakes.double_squash`), each on real tensors with
its healthy twin staying silent."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.mistakes import double_squash
from gradguard.diagnosis.slips import group_size


def _batch(classes: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 16, generator=g)
    return x, x[:, :classes].argmax(1)


def _causes(d: gradguard.Diagnosis) -> list[str]:
    return [f.cause for f in d.findings if f.severity != "info"]


def _net(mid: nn.Module | None = None, last: nn.Module | None = None, classes: int = 5) -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Linear(16, 64)]
    if mid is not None:
        layers.append(mid)
    layers += [nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, classes)]
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


def test_sigmoid_outputs_into_cross_entropy_are_activation_but_logits_are_not() -> None:
    x, y = _batch()
    model = _net(last=nn.Sigmoid())
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "activation" and d.top.severity == "critical"
    assert "softmax on top" in d.top.message
    # the loss's floor is a real one: with a perfect sigmoid output (1 on the target, 0 elsewhere) cross_entropy
    # stays at log(1 + (C - 1) / e), far above 0
    perfect = F.one_hot(y, 5).float()
    assert abs(float(F.cross_entropy(perfect, y)) - float(torch.log(torch.tensor(1 + 4 / torch.e)))) < 1e-5
    # recognised through a closure too, by the autograd op and the loss's value, not a module's name
    fn_model = _net()
    d = gradguard.check(fn_model, closure=lambda m: F.cross_entropy(torch.sigmoid(m(x)), y),
                        optimizer=torch.optim.Adam(fn_model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "activation"
    # healthy twin: logits into cross_entropy
    twin = _net()
    d = gradguard.check(twin, (x, y), F.cross_entropy, torch.optim.Adam(twin.parameters(), 1e-3))
    assert "activation" not in _causes(d)
    # a sigmoid output into a loss that takes probabilities is not this slip
    out = torch.sigmoid(torch.randn(8, 1, requires_grad=True))
    t = torch.randint(0, 2, (8, 1)).float()
    assert double_squash(out, t, F.binary_cross_entropy(out, t), F.binary_cross_entropy) is None


def test_a_keep_probability_passed_as_dropout_is_regularization() -> None:
    x, y = _batch()
    model = _net(mid=nn.Dropout(0.9))
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "regularization" and d.top.severity == "critical"
    assert d.top.evidence["max_p"] == 0.9
    # the measured fact behind it: a training forward keeps about a tenth of the units
    drop = model[1]
    kept = float((drop(torch.ones(10_000)) != 0).float().mean())
    assert 0.08 < kept < 0.12
    # healthy twins: the usual 0.1, a classifier head's 0.5, MLSTM-FCN's published 0.8, and 0.9 in a model that is
    # evaluated (eval mode)
    for p in (0.1, 0.5, 0.8):
        twin = _net(mid=nn.Dropout(p))
        d = gradguard.check(twin, (x, y), F.cross_entropy, torch.optim.Adam(twin.parameters(), 1e-3))
        assert "regularization" not in _causes(d)
    frozen = _net(mid=nn.Dropout(0.9))
    frozen[1].eval()
    d = gradguard.check(frozen, (x, y), F.cross_entropy, torch.optim.Adam(frozen.parameters(), 1e-3))
    assert "regularization" not in _causes(d)


def test_a_normalisation_over_one_element_is_normalization() -> None:
    x, y = _batch()
    model = _net(mid=nn.GroupNorm(64, 64))
    # the fact: its output is its bias whatever the input (to rounding), and no gradient reaches the input
    h = torch.randn(32, 64, requires_grad=True)
    out = model[1](h)
    assert float((out - model[1].bias).detach().abs().max()) < 1e-3
    (out * torch.randn(32, 64)).sum().backward()
    assert h.grad is not None and float(h.grad.abs().max()) < 1e-3  # vs an upstream gradient of N(0, 1)
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "normalization" and d.top.severity == "critical"
    assert d.top.layers == ["1"]
    # healthy twins: GroupNorm with 8 channels per group, and one channel per group over a feature map
    twin = _net(mid=nn.GroupNorm(8, 64))
    d = gradguard.check(twin, (x, y), F.cross_entropy, torch.optim.Adam(twin.parameters(), 1e-3))
    assert "normalization" not in _causes(d)
    assert group_size(nn.GroupNorm(32, 32), (4, 32, 100)) == 100
    assert group_size(nn.GroupNorm(32, 32), (4, 32)) == 1
    assert group_size(nn.LayerNorm(1), (4, 1)) == 1
    assert group_size(nn.InstanceNorm2d(8), (4, 8, 1, 1)) == 1
    assert group_size(nn.Linear(3, 3), (4, 3)) is None


class _Threshold(nn.Module):
    """A binary threshold neuron, ``(x > 0)`` as a float, with or without a straight-through gradient."""

    def __init__(self, straight_through: bool = False) -> None:
        super().__init__()
        self.straight_through = straight_through

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        step = (x > 0).to(x.dtype)
        return x + (step - x).detach() if self.straight_through else step


def test_threshold_neurons_without_a_derivative_are_activation() -> None:
    x, y = _batch()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), _Threshold(), nn.Linear(64, 64), _Threshold(), nn.Linear(64, 5))
    # the fact: the first two layers get no gradient at all
    F.cross_entropy(model(x), y).backward()
    assert model[0].weight.grad is None and model[2].weight.grad is None and model[4].weight.grad is not None
    model.zero_grad(set_to_none=True)
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "activation" and d.top.severity == "critical"
    assert d.top.evidence["no_gradient_share"] > 0.9
    assert sorted(d.top.layers) == ["0", "2"]
    # healthy twin: the same threshold with a straight-through gradient; and a zero head (zero gradients, not none)
    twin = nn.Sequential(nn.Linear(16, 64), _Threshold(True), nn.Linear(64, 64), _Threshold(True), nn.Linear(64, 5))
    d = gradguard.check(twin, (x, y), F.cross_entropy, torch.optim.Adam(twin.parameters(), 1e-3))
    assert "activation" not in _causes(d)
    head = _net()
    nn.init.zeros_(head[-1].weight)
    d = gradguard.check(head, (x, y), F.cross_entropy, torch.optim.Adam(head.parameters(), 1e-3))
    assert "activation" not in _causes(d)


class _Sign(nn.Module):
    """``torch.sign`` as the activation: its derivative is defined and 0 everywhere (a BinaryNet written without its
    straight-through estimator)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sign(x)


def test_sign_activations_give_exactly_zero_gradients_and_are_activation() -> None:
    x, y = _batch()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), _Sign(), nn.Linear(64, 64), _Sign(), nn.Linear(64, 5))
    F.cross_entropy(model(x), y).backward()  # the fact: gradients exist and are exactly 0 behind the signs
    assert model[0].weight.grad is not None and not model[0].weight.grad.any() and model[4].weight.grad.any()
    model.zero_grad(set_to_none=True)
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "activation" and d.top.severity == "critical", d.render()
    assert sorted(d.top.layers) == ["0", "2"]
    # a zero-initialised head also leaves exactly-zero gradients behind it at step 0: by design, not a cut graph
    head = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 5))
    nn.init.zeros_(head[-1].weight)
    d = gradguard.check(head, (x, y), F.cross_entropy, torch.optim.Adam(head.parameters(), 1e-3))
    assert "activation" not in _causes(d), d.render()


def test_weights_too_large_before_any_step_are_init_not_missing_weight_decay() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 256, generator=g)
    y = x[:, :5].argmax(1)

    def big() -> nn.Sequential:
        torch.manual_seed(0)
        m = nn.Sequential(nn.Linear(256, 256), nn.LeakyReLU(0.2), nn.Linear(256, 256), nn.LeakyReLU(0.2),
                          nn.Linear(256, 256), nn.LeakyReLU(0.2), nn.Linear(256, 5))
        with torch.no_grad():
            for layer in m:
                if isinstance(layer, nn.Linear):
                    layer.weight.normal_(0.0, nn.init.calculate_gain("leaky_relu", 0.2))  # a gain passed as std
        return m

    model = big()
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 2e-4))
    assert d.top is not None and d.top.cause == "init"
    # the no-weight-decay reading is there, as the init's consequence
    assert any(f.cause == "regularization" and f.evidence.get("consequence_of") == "init" for f in d.findings)
    # the same weights after training steps are grown weights: no longer an initialisation problem
    model = big()
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 2e-4), steps_done=100)
    assert d.top is not None and d.top.cause == "regularization"


class _LeakyRNN(nn.Module):
    """A continuous-time RNN stepped in a Python loop: ``h <- (1 - alpha) h + alpha relu(W h + U x_t)``."""

    def __init__(self, alpha: float) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.alpha = alpha
        self.inp = nn.Linear(8, 32)
        self.rec = nn.Linear(32, 32, bias=False)
        self.out = nn.Linear(32, 3)
        with torch.no_grad():
            self.rec.weight.copy_(0.5 * torch.eye(32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.inp(x)
        h = torch.zeros(x.shape[0], 32)
        for t in range(x.shape[1]):
            h = (1 - self.alpha) * h + self.alpha * F.relu(self.rec(h) + u[:, t])
        return self.out(h)  # the readout of the last state only: no time axis in any output


def test_a_leaky_update_that_overshoots_over_its_calls_is_recurrence_not_numeric() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(16, 20, 8, generator=g)
    y = torch.randint(0, 3, (16,), generator=g)
    model = _LeakyRNN(alpha=200.0)  # dt / tau with tau in seconds: 20 ms / 0.1
    assert not bool(torch.isfinite(model(x)).all())  # the fact: the forward overflows
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "recurrence" and d.top.layers == ["rec"]
    assert d.top.evidence["overflow"]["growth_decades"] >= 3
    # healthy twin: alpha 0.2 (tau 100 ms) stays finite and silent
    twin = _LeakyRNN(alpha=0.2)
    d = gradguard.check(twin, (x, y), F.cross_entropy, torch.optim.Adam(twin.parameters(), 1e-3))
    assert d.healthy


class _Tower(nn.Module):
    """A bag-of-tokens tower (padding id 0: an empty bag gives zeros) and a bias-free ReLU MLP, L2-normalised."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.EmbeddingBag(50, 32, mode="mean", padding_idx=0)
        self.mlp = nn.Sequential(nn.Linear(32, 32, bias=False), nn.ReLU(), nn.Linear(32, 16, bias=False))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.mlp(self.emb(tokens)), dim=-1)


def test_a_two_tower_model_with_empty_queries_and_default_embedding_bags_is_healthy() -> None:
    g = torch.Generator().manual_seed(0)
    queries = torch.randint(1, 50, (64, 5), generator=g)
    queries[:4] = 0  # four empty queries: a zero vector under F.normalize (a ~1e12 gradient the ReLU row blocks)
    items = torch.randint(1, 50, (64, 5), generator=g)
    torch.manual_seed(0)
    q, i = _Tower(), _Tower()
    model = nn.ModuleDict({"q": q, "i": i})
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def loss(m: nn.Module) -> torch.Tensor:  # in-batch softmax over cosine similarities at temperature 0.05
        return F.cross_entropy(m["q"](queries) @ m["i"](items).t() / 0.05, torch.arange(64))

    d = gradguard.check(model, closure=loss, optimizer=opt)
    assert d.healthy, d.render()  # the EmbeddingBags at PyTorch's N(0, 1) are at their init scale, not 11x it
    relu = [f for f in d.findings if f.cause == "activation"]
    assert all(f.severity == "info" for f in relu)
