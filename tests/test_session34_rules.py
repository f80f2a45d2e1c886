"""Readings written in session 34, each on real tensors."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _warnings(d: gradguard.Diagnosis, cause: str | None = None) -> list[str]:
    return [f.message for f in d.findings if f.severity != "info" and (cause is None or f.cause == cause)]


class _SoftArgmaxPolicy(nn.Module):
    """A visuomotor policy in miniature: ReLU convolutions, a spatial soft-argmax (per channel, the expected image
    coordinates under a softmax over the positions) and a ReLU MLP; PyTorch's default init."""

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.Sequential(nn.Conv2d(1, 16, 5, 2), nn.ReLU(), nn.Conv2d(16, 16, 3), nn.ReLU(),
                                   nn.Conv2d(16, 16, 3))
        self.fc = nn.Sequential(nn.Linear(32, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.convs(x)
        b, c, h, w = f.shape
        p = torch.softmax(f.reshape(b, c, h * w), -1)
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
        return self.fc(torch.cat([(p * xs.reshape(-1)).sum(-1), (p * ys.reshape(-1)).sum(-1)], -1))


def _blob_batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Images with one bright blob; the target is the blob's position in [-1, 1]."""
    g = torch.Generator().manual_seed(seed)
    pos = torch.randint(4, 28, (64, 2), generator=g)
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    img = torch.exp(-((xx - pos[:, 0, None, None]) ** 2 + (yy - pos[:, 1, None, None]) ** 2) / 8.0)[:, None]
    return img + 0.05 * torch.randn(img.shape, generator=g), pos.float() / 16.0 - 1.0


def test_a_spatial_soft_argmax_bottleneck_is_not_depth() -> None:
    """The soft-argmax divides the gradient by about the number of positions it pools in one step: the chain's fall
    is that bottleneck's, not a compounding; it trains (MSE falls under Adam 1e-3) and check says nothing."""
    torch.manual_seed(0)
    model = _SoftArgmaxPolicy()
    x, y = _blob_batch(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    d = gradguard.check(model, (x, y), F.mse_loss, opt)
    deep = [f for f in d.findings if f.cause in ("depth", "normalization") and "bottleneck" in f.evidence]
    assert deep and all(f.severity == "info" for f in deep), [f.message for f in d.findings]
    assert not _warnings(d, "depth") and not _warnings(d, "normalization")
    first = None
    for _ in range(150):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.5 * first


class _DcganAutoencoder(nn.Module):
    """A context encoder in miniature: strided convolutions with BatchNorm and LeakyReLU 0.2 down to 2x2, a 1x1
    convolution across channels, transposed convolutions with BatchNorm and ReLU and a 3x3 convolution out, all at
    DCGAN's N(0, 0.02): BatchNorm divides the gradient by the convolutions' small output scale."""

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(32, 64, 4, 2, 1),
                                 nn.BatchNorm2d(64), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1),
                                 nn.BatchNorm2d(128), nn.LeakyReLU(0.2))
        self.mix = nn.Conv2d(128, 128, 1)
        self.dec = nn.Sequential(nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                                 nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
                                 nn.Conv2d(32, 1, 3, 1, 1))
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                    m.weight.normal_(0.0, 0.02)
                    m.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dec(self.mix(self.enc(x)))


def test_a_gradient_that_grows_across_a_leaky_relu_is_not_the_activations() -> None:
    """An activation whose slope is at most 1 cannot grow the gradient: the growth measured across it comes from the
    BatchNorm beside it, and no activation finding charges it to the activation (fresh62's Context Encoder: a
    warning, 1.9 decades "beyond a healthy leaky_relu" with no unit saturated)."""
    torch.manual_seed(0)
    model = _DcganAutoencoder()
    x = torch.randn(32, 1, 16, 16).cumsum(-1).cumsum(-2) / 8.0
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d = gradguard.check(model, (x, x[:, :, 4:12, 4:12]), F.mse_loss, opt)
    assert not _warnings(d, "activation"), _warnings(d)
    grown = [f.message for f in d.findings if f.cause == "activation"
             and f.evidence.get("gradient_cost_decades", 0.0) > 0.5]
    assert not grown  # before: "the activations change the gradient by 2.3 decades beyond a healthy leaky_relu"


def _sigmoid_mlp(layers: int, seed: int) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor]]:
    torch.manual_seed(seed)
    mods: list[nn.Module] = [nn.Linear(20, 50), nn.Sigmoid()]
    for _ in range(layers - 1):
        mods += [nn.Linear(50, 50), nn.Sigmoid()]
    x = torch.randn(256, 20)
    return nn.Sequential(*mods, nn.Linear(50, 1)), (x, (x[:, :5].sum(1, keepdim=True) > 0).float() * 2 + 3)


def test_three_sigmoid_hidden_layers_within_their_bound_are_a_design() -> None:
    """NNMF's rating net, three sigmoid layers of 50 under Adam: 1.8 decades is what three 1/4 derivatives cost, no
    warning; the same net at six sigmoid layers is still named."""
    for seed in (0, 1):
        model, batch = _sigmoid_mlp(3, seed)
        d = gradguard.check(model, batch, F.mse_loss, torch.optim.Adam(model.parameters(), lr=1e-2))
        assert not _warnings(d, "activation"), _warnings(d)
    model, batch = _sigmoid_mlp(6, 0)
    d = gradguard.check(model, batch, F.mse_loss, torch.optim.Adam(model.parameters(), lr=1e-2))
    assert d.top is not None and d.top.cause == "activation" and not d.healthy


def _sgd_mlp(lr: float, weight_decay: float, seed: int = 0) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor],
                                                                     torch.optim.Optimizer]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
    x = torch.randn(128, 32)
    y = (x[:, :4] * 3).argmax(1)
    return model, (x, y), torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)


def test_sgd_weight_decay_that_the_gradient_cannot_hold_is_named() -> None:
    """SGD's decay pulls the weights to where ``weight_decay x |W|`` meets the gradient: at weight_decay 1 that is a
    few percent of their scale, named even at lr 1e-3 (1e-3 of the norm a step); lr 0.01 x weight_decay 1 is exactly
    the warning level and is named despite float rounding; SGD's usual 5e-4 at lr 0.1 is not."""
    for lr in (1e-3, 1e-2):
        model, batch, opt = _sgd_mlp(lr, 1.0)
        d = gradguard.check(model, batch, F.cross_entropy, opt)
        assert d.top is not None and d.top.cause == "regularization" and not d.healthy, _warnings(d)
        assert d.top.evidence["balance_scale_median"] < 0.5
    model, batch, opt = _sgd_mlp(0.1, 5e-4)
    d = gradguard.check(model, batch, F.cross_entropy, opt)
    assert not _warnings(d, "regularization")


def test_sgd_decay_plain_runs_fail_and_the_usual_setting_learns() -> None:
    """Ground truth for the test above, plain PyTorch, 300 steps: with weight_decay 1 the loss stays within 1% of
    where it started at lr 1e-3 and 1e-2; without it lr 1e-2 learns (under 0.1x) and lr 1e-3 is on its way (0.89x)."""
    def run(lr: float, wd: float) -> float:
        model, (x, y), opt = _sgd_mlp(lr, wd)
        losses = []
        for _ in range(300):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return sum(losses[-30:]) / 30 / losses[0]
    for lr in (1e-3, 1e-2):
        assert run(lr, 1.0) > 0.99
    assert run(1e-2, 0.0) < 0.1 and run(1e-3, 0.0) < 0.95


class _HandBatchNorm(nn.Module):
    """BatchNorm2d written by hand: batch statistics per channel, an affine gain and bias."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean, var = x.mean((0, 2, 3), keepdim=True), x.var((0, 2, 3), unbiased=False, keepdim=True)
        return (x - mean) / torch.sqrt(var + 1e-5) * self.weight[:, None, None] + self.bias[:, None, None]


def _conv_net(norm: type[nn.Module] | None, depth: int = 12) -> nn.Module:
    layers: list[nn.Module] = [nn.Conv2d(3, 32, 3, padding=1, bias=False)]
    for _ in range(depth):
        layers += [*([norm(32)] if norm is not None else []), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1, bias=False)]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def test_a_batchnorm_written_by_hand_is_recognised_by_what_it_does() -> None:
    """A conv stack under SGD 0.1 momentum 0.9 with its BatchNorms written by hand is told nothing about missing
    normalisation (it was: "13 convolutions and nothing that normalises"); the same stack with nn.BatchNorm2d reads
    the same, and without any normalisation it is still named."""
    x, y = torch.randn(32, 3, 12, 12), torch.randint(0, 10, (32,))
    for norm in (_HandBatchNorm, nn.BatchNorm2d):
        torch.manual_seed(0)
        model = _conv_net(norm)
        d = gradguard.check(model, (x, y), F.cross_entropy,
                            torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
        assert not _warnings(d, "normalization"), (norm, _warnings(d))
    torch.manual_seed(0)
    model = _conv_net(None)
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    assert d.top is not None and d.top.cause in ("normalization", "depth") and not d.healthy


class _ScaledTable(nn.Module):
    """A tabular regressor that standardises its columns itself (``scale``: the fitted means and spreads, or None:
    the scaler left at the identity, as a checkpoint loaded with ``strict=False`` leaves it), then a Linear, a
    LayerNorm and a ReLU MLP."""

    def __init__(self, mean: torch.Tensor | None, std: torch.Tensor | None) -> None:
        super().__init__()
        self.register_buffer("mean", mean if mean is not None else torch.zeros(4))
        self.register_buffer("std", std if std is not None else torch.ones(4))
        self.net = nn.Sequential(nn.Linear(4, 64), nn.LayerNorm(64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std).squeeze(1)


def _table(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Four columns in their own units: a price (5e4 +- 2e4), a ratio (0.5 +- 0.2), an age (40 +- 12), a count
    (3 +- 1); the target depends on all four."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(128, 4, generator=g)
    x = z * torch.tensor([2e4, 0.2, 12.0, 1.0]) + torch.tensor([5e4, 0.5, 40.0, 3.0])
    return x, z @ torch.tensor([1.0, -1.0, 0.5, 0.5])


def test_columns_in_different_units_are_no_outlier_but_need_their_scaler() -> None:
    """A price beside a ratio is not a corrupt record (before: "its largest value is 1e3x its median magnitude"):
    with the model's own scaler fitted, no data warning; with the scaler left at the identity, the LayerNorm after the
    first layer does not even out the columns and ``data`` is named; a corrupt record within one column still is."""
    x, y = _table(0)
    torch.manual_seed(0)
    fitted = _ScaledTable(x.mean(0), x.std(0))
    d = gradguard.check(fitted, (x, y), F.mse_loss, torch.optim.AdamW(fitted.parameters(), lr=1e-3))
    assert not _warnings(d, "data"), _warnings(d)
    torch.manual_seed(0)
    raw = _ScaledTable(None, None)
    d = gradguard.check(raw, (x, y), F.mse_loss, torch.optim.AdamW(raw.parameters(), lr=1e-3))
    assert d.top is not None and d.top.cause == "data" and not d.healthy
    bad = x.clone()
    bad[7, 1] = 1e6  # a ratio of a million
    d = gradguard.check(fitted, (bad, y), F.mse_loss, torch.optim.AdamW(fitted.parameters(), lr=1e-3))
    assert d.top is not None and d.top.cause == "data" and "median magnitude" in d.top.message


def test_a_table_without_its_scaler_does_not_learn() -> None:
    """Ground truth for the test above, plain PyTorch: 300 AdamW steps; fitted scaler under 0.2x the first loss, the
    identity scaler above 0.5x."""
    def run(model: nn.Module) -> float:
        x, y = _table(0)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        losses = []
        for _ in range(300):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return sum(losses[-30:]) / 30 / losses[0]
    x, _ = _table(0)
    torch.manual_seed(0)
    assert run(_ScaledTable(x.mean(0), x.std(0))) < 0.2
    torch.manual_seed(0)
    assert run(_ScaledTable(None, None)) > 0.5


class _PrecedenceBatchNorm(_HandBatchNorm):
    """The hand-written BatchNorm, with its running statistics, and the precedence slip ``x - mean / sqrt(var +
    eps)``: only the mean is divided, so nothing normalises."""

    def __init__(self, c: int) -> None:
        super().__init__(c)
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean, var = x.mean((0, 2, 3), keepdim=True), x.var((0, 2, 3), unbiased=False, keepdim=True)
        return (x - mean / torch.sqrt(var + 1e-5)) * self.weight[:, None, None] + self.bias[:, None, None]


def test_a_batchnorm_recipes_step_without_the_batchnorm_names_the_missing_normalisation() -> None:
    """SGD 0.1 momentum 0.9 is the step of BatchNorm recipes; on a conv stack whose BatchNorm does not normalise,
    the step judged too large is that recipe's, and the broken normalisation its cause (before: ``lr``). A step far
    beyond the recipes (SGD 1.0, momentum 0.9) stays ``lr``, and so does the recipe's step on a stack made without
    any normalisation module (it may be meant to train at a tenth of it)."""
    x, y = torch.randn(32, 3, 12, 12), torch.randint(0, 10, (32,))
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = _conv_net(_PrecedenceBatchNorm)
        d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
        assert d.top is not None and d.top.cause == "normalization" and not d.healthy, d.top
        assert any(f.cause == "lr" and f.evidence.get("consequence_of") == "normalization" for f in d.findings)
    torch.manual_seed(0)
    model = _conv_net(_PrecedenceBatchNorm)
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9))
    assert d.top is not None and d.top.cause == "lr"
    torch.manual_seed(0)
    model = _conv_net(None, depth=20)
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    assert not any(f.cause == "lr" and f.evidence.get("consequence_of") == "normalization" for f in d.findings)


class _CubicResNet(nn.Module):
    """Deep Ritz in miniature: residual blocks ``s + relu(W2 relu(W1 s)^3)^3`` of width 10; ``std``: every weight
    N(0, std^2) and biases 0 (None: PyTorch's default)."""

    def __init__(self, std: float | None) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(10, 10), nn.Linear(10, 10)) for _ in range(4))
        self.out = nn.Linear(10, 1)
        if std is not None:
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, std)
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = torch.cat([x, x.new_zeros(x.shape[0], 8)], 1)
        for b in self.blocks:
            s = s + F.relu(b[1](F.relu(b[0](s)) ** 3)) ** 3
        return self.out(s).squeeze(1)


def test_a_forward_overflow_in_a_model_initialised_too_large_is_the_init() -> None:
    """Every weight at N(0, 1) in the cubic residual net: the forward overflows from finite inputs at step 0 and the
    cause is the init (before: only "<root> turns finite inputs into Inf/NaN", numeric); at PyTorch's default the
    forward is finite."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(256, 2, generator=g) * 2 - 1
    y = (x ** 2).sum(1)
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = _CubicResNet(1.0)
        with torch.no_grad():
            assert not torch.isfinite(model(x)).all()
        d = gradguard.check(model, (x, y), F.mse_loss, torch.optim.Adam(model.parameters(), lr=1e-3))
        assert d.top is not None and d.top.cause == "init" and not d.healthy, d.top
    torch.manual_seed(0)
    model = _CubicResNet(None)
    with torch.no_grad():
        assert torch.isfinite(model(x)).all()


def test_a_usual_weight_decay_at_a_huge_lr_is_the_lr() -> None:
    """AdamW at lr 1 with its usual weight_decay 0.05 removes 0.05 of the weights' norm a step; that is the lr's
    doing: ``lr`` comes first and the decay's collapse is its consequence, not a second critical finding (before: a
    critical ``regularization`` finding beside it; fresh67's SGConv had it first). AdamW at a usual lr with
    weight_decay 50 is still ``regularization``."""
    for seed in (0, 1):
        model, batch, _ = _sgd_mlp(0.1, 0.0, seed)
        d = gradguard.check(model, batch, F.cross_entropy,
                            torch.optim.AdamW(model.parameters(), lr=1.0, weight_decay=0.05))
        assert d.top is not None and d.top.cause == "lr" and not d.healthy, d.top
        assert not _warnings(d, "regularization")
        assert any(f.cause == "regularization" and f.evidence.get("consequence_of") == "lr" for f in d.findings)
    model, batch, _ = _sgd_mlp(0.1, 0.0, 0)
    d = gradguard.check(model, batch, F.cross_entropy, torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=50))
    assert d.top is not None and d.top.cause == "regularization"


class _ColumnNorm(nn.Module):
    """A table's columns standardised over the batch by hand (STAR's partitioned normalisation with one domain)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.g, self.b = nn.Parameter(torch.ones(width)), nn.Parameter(torch.zeros(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - x.mean(0)) / (x.var(0, unbiased=False) + 1e-5).sqrt() * self.g + self.b


def test_columns_in_different_units_are_evened_out_by_a_column_norm_not_a_row_norm() -> None:
    """The raw table read first by a hand-written per-column standardiser: no data warning (its columns come out
    even); read first by a LayerNorm over each row: ``data`` (each row's price still drowns its ratio)."""
    x, y = _table(0)
    for first, named in ((_ColumnNorm(4), False), (nn.LayerNorm(4), True)):
        torch.manual_seed(0)
        model = nn.Sequential(first, nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 1), nn.Flatten(0))
        d = gradguard.check(model, (x, y), F.mse_loss, torch.optim.AdamW(model.parameters(), lr=1e-3))
        assert bool(_warnings(d, "data")) == named, (type(first).__name__, _warnings(d))


def _pinn(act: type[nn.Module], seed: int) -> tuple[nn.Module, object]:
    """A PINN for u'' = -pi^2 sin(pi x) on [0, 1] with u(0) = u(1) = 0: a 3-layer MLP of 32, the residual's u_xx by
    torch.autograd.grad with create_graph, plus the boundary term."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(1, 32), act(), nn.Linear(32, 32), act(), nn.Linear(32, 1))
    x = torch.rand(64, 1, generator=torch.Generator().manual_seed(seed))
    ends = torch.tensor([[0.0], [1.0]])

    def closure(m: nn.Module) -> torch.Tensor:
        xi = x.clone().requires_grad_(True)
        u = m(xi)
        ux = torch.autograd.grad(u.sum(), xi, create_graph=True)[0]
        uxx = torch.autograd.grad(ux.sum(), xi, create_graph=True)[0]
        residual = uxx + math.pi ** 2 * torch.sin(math.pi * xi)
        return residual.pow(2).mean() + m(ends).pow(2).mean()
    return model, closure


def test_relus_in_a_loss_that_needs_u_xx_are_named() -> None:
    """A ReLU network's u_xx is 0 for any weights: the PDE residual passes no gradient and the PINN cannot learn
    (before: healthy); the same PINN with tanh is healthy. A gradient penalty (first derivatives only) through ReLUs is
    not named."""
    for seed in (0, 1):
        model, closure = _pinn(nn.ReLU, seed)
        d = gradguard.check(model, optimizer=torch.optim.Adam(model.parameters(), lr=1e-3), closure=closure)
        assert d.top is not None and d.top.cause == "activation" and not d.healthy, d.top
        model, closure = _pinn(nn.Tanh, seed)
        d = gradguard.check(model, optimizer=torch.optim.Adam(model.parameters(), lr=1e-3), closure=closure)
        assert not any(f.evidence.get("loss_differentiates_relu") for f in d.findings)
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    real = torch.randn(64, 8)

    def penalty(m: nn.Module) -> torch.Tensor:
        xi = real.clone().requires_grad_(True)
        g = torch.autograd.grad(m(xi).sum(), xi, create_graph=True)[0]
        return -m(real).mean() + 10.0 * (g.norm(dim=1) - 1).pow(2).mean()
    d = gradguard.check(critic, optimizer=torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9)),
                        closure=penalty)
    assert not any(f.evidence.get("loss_differentiates_relu") for f in d.findings)


def test_a_relu_pinn_does_not_learn_and_a_tanh_one_does() -> None:
    """Ground truth for the test above, plain PyTorch: 300 Adam steps at 1e-3; the ReLU PINN's residual stays above
    0.5x its first loss, the tanh PINN's falls under 0.1x."""
    def run(act: type[nn.Module]) -> float:
        model, closure = _pinn(act, 0)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        losses = []
        for _ in range(300):
            opt.zero_grad()
            loss = closure(model)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return sum(losses[-30:]) / 30 / losses[0]
    assert run(nn.ReLU) > 0.5
    assert run(nn.Tanh) < 0.1
