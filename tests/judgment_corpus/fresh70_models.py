"""Hand-written models of the seventy-first held-out batch (``fresh70.py``), domain-adaptation and multi-task ones:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The self-supervised, semi-supervised and generative models are in
``fresh70_models2.py``."""

from __future__ import annotations

import torch
from torch import nn

# ---- DANN ------------------------------------------------------------------------------------------------------------


class GradReverse(torch.autograd.Function):
    """The gradient reversal layer: the identity forward, ``-lam * grad`` backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, lam: float) -> torch.Tensor:  # type: ignore[override]
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return -ctx.lam * g, None


class DANN(nn.Module):
    """The domain-adversarial neural network (Ganin and Lempitsky 2015; Ganin et al. 2016), narrowed: a feature
    extractor of two ReLU layers of 64, the label predictor (a Linear to the classes) on the source rows, and the
    domain classifier (a ReLU layer of 64 and a logit) behind the gradient reversal layer on the source and target
    rows; PyTorch's default init. ``lam`` is the reversal's coefficient, set by the optimizer's schedule
    (:class:`~.fresh70_builders.DANNSGD`). ``relu_bias``: every bias of the feature extractor set to that value
    (-10: every unit dead). Takes ``(source rows, target rows)``; returns ``(source logits, domain logits)``."""

    def __init__(self, d: int = 16, hidden: int = 64, classes: int = 4, relu_bias: float | None = None) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.label = nn.Linear(hidden, classes)
        self.domain = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.lam = 0.0
        if relu_bias is not None:
            for m in self.features:
                if isinstance(m, nn.Linear):
                    nn.init.constant_(m.bias, relu_bias)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        xs, xt = inputs
        f = self.features(torch.cat([xs, xt]))
        return self.label(f[: xs.shape[0]]), self.domain(GradReverse.apply(f, self.lam)).squeeze(-1)


# ---- Deep CORAL ------------------------------------------------------------------------------------------------------


class DeepCORAL(nn.Module):
    """Deep CORAL (Sun and Saenko 2016), narrowed: a ReLU network 16-64-64 whose last layer (the paper's fc8, the
    class scores) is initialised N(0, 0.005^2) as the paper's, the others at PyTorch's default; the CORAL loss is
    taken between the source and target batches' class scores. ``layers``: the hidden layers (30 for the depth case,
    at PyTorch's default init); ``init_std``: every Linear drawn N(0, init_std^2) instead. Takes ``(source rows,
    target rows)``; returns ``(source scores, target scores)``."""

    def __init__(self, d: int = 16, hidden: int = 64, classes: int = 4, layers: int = 2,
                 init_std: float | None = None) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        for i in range(layers):
            mods += [nn.Linear(d if i == 0 else hidden, hidden), nn.ReLU()]
        self.body = nn.Sequential(*mods)
        self.fc8 = nn.Linear(hidden, classes)
        nn.init.normal_(self.fc8.weight, 0.0, 0.005)
        nn.init.zeros_(self.fc8.bias)
        if init_std is not None:
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, init_std)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        xs, xt = inputs
        out = self.fc8(self.body(torch.cat([xs, xt])))
        return out[: xs.shape[0]], out[xs.shape[0]:]


# ---- NDDR-CNN --------------------------------------------------------------------------------------------------------


class NDDR(nn.Module):
    """The neural discriminative dimensionality reduction layer: the two tasks' feature maps concatenated along the
    channels, a 1x1 convolution back to ``c`` channels per task (initialised ``[alpha I, beta I]`` with the paper's
    0.9 and 0.1), BatchNorm and ReLU."""

    def __init__(self, c: int, bn: bool = True) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(2 * c, c, 1, bias=not bn) for _ in range(2)])
        eye = torch.eye(c)[:, :, None, None]
        with torch.no_grad():
            self.convs[0].weight.copy_(torch.cat([0.9 * eye, 0.1 * eye], 1))
            self.convs[1].weight.copy_(torch.cat([0.1 * eye, 0.9 * eye], 1))
        self.norms = nn.ModuleList([nn.BatchNorm2d(c) if bn else nn.Identity() for _ in range(2)])

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.cat([a, b], 1)
        return tuple(torch.relu(n(c(x))) for c, n in zip(self.convs, self.norms))  # type: ignore[return-value]


def _stage(a: int, b: int, bn: bool) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(a, b, 3, padding=1, bias=not bn), nn.BatchNorm2d(b) if bn else nn.Identity(),
                         nn.ReLU(), nn.Conv2d(b, b, 3, padding=1, bias=not bn),
                         nn.BatchNorm2d(b) if bn else nn.Identity(), nn.ReLU(), nn.MaxPool2d(2))


class NDDRCNN(nn.Module):
    """NDDR-CNN (Gao et al. 2019), narrowed: two task networks of three VGG-style stages (two 3x3 convolutions with
    BatchNorm and ReLU, then max-pooling; 8, 16, 32 channels), an NDDR layer after each stage, and per task global
    average pooling and a Linear head; Kaiming-normal convolutions (fan-out) as the reference code's. ``bn``: every
    BatchNorm (the stages' and the NDDR layers') removed (the convolutions get biases). Returns the two tasks'
    logits."""

    def __init__(self, classes: tuple[int, int] = (4, 3), widths: tuple[int, ...] = (8, 16, 32), bn: bool = True
                 ) -> None:
        super().__init__()
        chans = (1, *widths)
        self.a = nn.ModuleList([_stage(chans[i], chans[i + 1], bn) for i in range(len(widths))])
        self.b = nn.ModuleList([_stage(chans[i], chans[i + 1], bn) for i in range(len(widths))])
        for m in [*self.a.modules(), *self.b.modules()]:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        self.nddr = nn.ModuleList([NDDR(w, bn) for w in widths])
        self.head_a, self.head_b = nn.Linear(widths[-1], classes[0]), nn.Linear(widths[-1], classes[1])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = b = x
        for sa, sb, nddr in zip(self.a, self.b, self.nddr):
            a, b = nddr(sa(a), sb(b))
        return self.head_a(a.mean((2, 3))), self.head_b(b.mean((2, 3)))


# ---- multi-task network with uncertainty-weighted losses -------------------------------------------------------------


class UncertaintyMTL(nn.Module):
    """A hard-parameter-sharing multi-task network with the homoscedastic-uncertainty loss weights of Kendall, Gal and
    Cipolla (2018), narrowed: a shared ReLU trunk of ``layers`` Linear layers of 128, a classification head and a
    regression head, and the learned log-variances ``s = (s_reg, s_cls)`` (zero init, as the paper's ``log sigma^2``
    parameterisation). PyTorch's default init. Returns ``(class logits, regression output, s)``; the weighted loss is
    :func:`~.fresh70_builders.uncertainty_loss`."""

    def __init__(self, d: int = 32, hidden: int = 128, classes: int = 10, layers: int = 2) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        for i in range(layers):
            mods += [nn.Linear(d if i == 0 else hidden, hidden), nn.ReLU()]
        self.trunk = nn.Sequential(*mods)
        self.cls, self.reg = nn.Linear(hidden, classes), nn.Linear(hidden, 1)
        self.log_vars = nn.Parameter(torch.zeros(2))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.cls(h), self.reg(h).squeeze(-1), self.log_vars
