"""An unnormalised conv net at a BatchNorm recipe's SGD step (``diagnosis.normless``, issue 12): named
``normalization`` although its first batch is healthy; not at the step conv nets without normalisation use, not with
BatchNorm, not for weight-standardised convolutions, Fixup's zero-started branches or a zero gain, not for MLPs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check
from gradguard.diagnosis.normless import BN_ERA_LR


def _vgg(bn: bool = False, conv: type[nn.Conv2d] = nn.Conv2d) -> nn.Sequential:
    mods: list[nn.Module] = []
    c = 3
    for width in (16, 16, 32, 32):
        mods += [conv(c, width, 3, padding=1)] + ([nn.BatchNorm2d(width)] if bn else []) + [nn.ReLU()]
        c = width
    return nn.Sequential(*mods, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10))


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randn(16, 3, 12, 12, generator=g), torch.randint(0, 10, (16,), generator=g)


def _normless(model: nn.Module, lr: float, momentum: float = 0.9) -> list:
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    d = check(model, _batch(), F.cross_entropy, opt, confirm_steps=0)
    return [f for f in d.findings if f.cause == "normalization" and "effective_lr" in f.evidence]


def test_a_conv_stack_without_batchnorm_at_sgd_0_1_momentum_0_9_is_named_normalization() -> None:
    torch.manual_seed(0)
    model = _vgg()
    before = [p.detach().clone() for p in model.parameters()]
    found = _normless(model, 0.1)
    assert len(found) == 1 and found[0].severity == "warning"
    assert found[0].evidence["effective_lr"] == 1.0 and found[0].evidence["convolutions"] == 4
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # the model untouched
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    d = check(model, _batch(), F.cross_entropy, opt, confirm_steps=0)
    assert d.top is not None and d.top.cause == "normalization"  # nothing else on this batch outranks it


def test_the_step_of_unnormalised_conv_nets_and_batchnorm_nets_are_left_alone() -> None:
    torch.manual_seed(0)
    assert _normless(_vgg(), 0.01) == []  # VGG's own recipe without BatchNorm: effective 0.1
    assert 0.01 / (1 - 0.9) < BN_ERA_LR
    torch.manual_seed(0)
    assert _normless(_vgg(bn=True), 0.1) == []
    torch.manual_seed(0)
    assert _normless(_vgg(), 0.1, momentum=0.0) == []  # effective 0.1


class _WSConv(nn.Conv2d):
    """A weight-standardised convolution (NF-ResNets): it normalises its own weights."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight
        w = (w - w.mean(dim=(1, 2, 3), keepdim=True)) / (w.std(dim=(1, 2, 3), keepdim=True) + 1e-5)
        return F.conv2d(x, w, self.bias, self.stride, self.padding)


class _SkipInit(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.convs = nn.ModuleList(nn.Conv2d(16, 16, 3, padding=1) for _ in range(3))
        self.gain = nn.Parameter(torch.zeros(()))
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem(x))
        for conv in self.convs:
            x = x + self.gain * F.relu(conv(x))
        return self.head(x.mean(dim=(2, 3)))


def test_norm_free_designs_and_mlps_are_left_alone() -> None:
    torch.manual_seed(0)
    assert _normless(_vgg(conv=_WSConv), 0.1) == []
    torch.manual_seed(0)
    assert _normless(_SkipInit(), 0.1) == []
    torch.manual_seed(0)
    fixup = _vgg()
    nn.init.zeros_(fixup[6].weight)  # a branch's last conv started at zero
    assert _normless(fixup, 0.1) == []
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(432, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    assert _normless(mlp, 0.1) == []


def test_a_clipped_sgd_step_is_left_alone() -> None:
    # VDSR's recipe (fresh34): SGD 0.1 momentum 0.9 on a plain conv stack, its gradient clipped: the step no longer
    # grows with the weights
    torch.manual_seed(0)
    model = _vgg()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    d = check(model, _batch(), F.cross_entropy, opt, confirm_steps=0, max_grad_norm=0.4)
    assert not [f for f in d.findings if f.cause == "normalization" and "effective_lr" in f.evidence]


def _wide_vgg(bn: bool = False) -> nn.Sequential:
    """Six convolutions: the first three (the backbone) and the last three (a fusion stage) in two param groups."""
    mods: list[nn.Module] = []
    c = 3
    for width in (16, 16, 16, 16, 16, 16):
        mods += [nn.Conv2d(c, width, 3, padding=1)] + ([nn.BatchNorm2d(width)] if bn else []) + [nn.ReLU()]
        c = width
    return nn.Sequential(*mods, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10))


def _two_groups(model: nn.Sequential, base: float, mult: float) -> torch.optim.SGD:
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    fusion = {id(p) for m in convs[3:] for p in m.parameters()}
    rest = [p for p in model.parameters() if id(p) not in fusion]
    return torch.optim.SGD([{"params": rest}, {"params": [p for p in model.parameters() if id(p) in fusion],
                                              "lr": base * mult}], lr=base, momentum=0.9)


def test_a_group_of_convolutions_at_a_multiplied_lr_is_read_on_its_own_step() -> None:
    # NDDR-CNN's recipe: the backbone at SGD 0.01, its fusion convolutions at 100x; without BatchNorm the fusion
    # group's effective step of 10 is the trouble, though the group holding the most convolutions is at 0.1
    torch.manual_seed(0)
    model = _wide_vgg()
    d = check(model, _batch(), F.cross_entropy, _two_groups(model, 0.01, 100.0), confirm_steps=0)
    found = [f for f in d.findings if f.cause == "normalization" and "effective_lr" in f.evidence]
    assert len(found) == 1 and found[0].evidence["effective_lr"] == 10.0
    assert found[0].evidence["convolutions"] == 6 and found[0].evidence["convolutions_at_this_lr"] == 3
    assert "3 of them trained by SGD at lr 1" in found[0].message
    # the same groups at a multiplier of 1 (effective 0.1 everywhere), or with BatchNorm: nothing
    torch.manual_seed(0)
    model = _wide_vgg()
    d = check(model, _batch(), F.cross_entropy, _two_groups(model, 0.01, 1.0), confirm_steps=0)
    assert not [f for f in d.findings if "effective_lr" in f.evidence]
    torch.manual_seed(0)
    model = _wide_vgg(bn=True)
    d = check(model, _batch(), F.cross_entropy, _two_groups(model, 0.01, 100.0), confirm_steps=0)
    assert not [f for f in d.findings if "effective_lr" in f.evidence]
