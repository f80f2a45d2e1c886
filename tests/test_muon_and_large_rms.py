"""Two readings from real-code round 11 (session 39): KellerJordan/Muon's optimizers, and layers whose weights' RMS is
above 1 under Adam.

* KellerJordan/Muon's ``SingleDeviceMuon``, ``MuonWithAuxAdam`` and ``SingleDeviceMuonWithAuxAdam`` keep only
  ``lr``/``momentum``/``weight_decay`` in their defaults (or none), so they were read as SGD-like (the clipper's and the
  explode detector's proportional-step rules); they are normalised-step optimizers.
* mamba.py's ``A_log`` (log 1..16, RMS 2.1) has a gradient ~1e-7 of its weights, and AdamW moves it by 0.16-0.18 lr a
  step while the LM learns: under the ``vanish`` detector's 0.2 lr bar, so a healthy published model got a warning on
  both seeds. Above RMS 1 the bar is 0.2 of Adam's sign-like step, lr / rms(w).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from gradguard.detectors.vanish import VanishDetector
from gradguard.inventory import layer_name
from gradguard.mitigation.adaptive import normalizes_step
from gradguard.stats import StepStats, UpdateStats


class SingleDeviceMuon(torch.optim.Optimizer):
    """The published class's constructor (its step is not needed here): defaults lr, weight_decay, momentum only."""

    def __init__(self, params: object, lr: float = 0.02, weight_decay: float = 0.0, momentum: float = 0.95) -> None:
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum))  # type: ignore[arg-type]


class SingleDeviceMuonWithAuxAdam(torch.optim.Optimizer):
    """The published class's constructor: every group says ``use_muon``; the defaults are empty."""

    def __init__(self, param_groups: list[dict[str, object]]) -> None:
        for g in param_groups:
            g.setdefault("lr", 0.02 if g["use_muon"] else 3e-4)
        super().__init__(param_groups, dict())


class MySGD(torch.optim.SGD):
    pass


def test_published_muon_classes_are_normalised_step_optimizers_and_sgd_is_not() -> None:
    w, b = nn.Parameter(torch.randn(8, 8)), nn.Parameter(torch.zeros(8))
    assert normalizes_step(SingleDeviceMuon([w]))
    assert normalizes_step(SingleDeviceMuonWithAuxAdam([dict(params=[w], use_muon=True),
                                                        dict(params=[b], use_muon=False)]))
    assert normalizes_step(torch.optim.Adam([w]))
    assert not normalizes_step(torch.optim.SGD([w], lr=0.1, momentum=0.9))
    assert not normalizes_step(MySGD([w], lr=0.1))


class _Block(nn.Module):
    def __init__(self, values: torch.Tensor) -> None:
        super().__init__()
        self.A_log = nn.Parameter(values)


def _events(values: torch.Tensor, update_in_lr: float, steps: int = 30) -> list[str]:
    """Layers a (live), s (a starved 8x16 parameter of the given values, moved by ``update_in_lr`` x lr a step
    relative to its norm), h (live), at lr 0.1: the vanish events' layer names."""
    model = nn.Sequential()
    model.add_module("a", nn.Linear(16, 16))
    model.add_module("s", _Block(values))
    model.add_module("h", nn.Linear(16, 4))
    names = list(dict.fromkeys(layer_name(n) for n, _ in model.named_parameters()))
    assert names == ["a", "s", "h"]
    w = np.array([math.sqrt(sum(float(p.detach().pow(2).sum()) for n, p in model.named_parameters()
                                if layer_name(n) == k)) for k in names])
    det = VanishDetector(3)
    det.bind_model(model)
    fired: list[str] = []
    lr = 0.1
    for step in range(steps):
        g = np.array([1.0, 1e-7 * w[1], 1.0])  # s: 1e-7 of its weights, 1e-7 of the liveliest
        if step % 10 == 0:
            ratio = np.array([1e-3, update_in_lr * lr, 1e-3])
            det.observe_update(UpdateStats(step=step, layer_update_norm=ratio * w, layer_update_ratio=ratio))
        stats = StepStats(step=step, loss=1.0, grad_norm=float(np.sqrt((g ** 2).sum())), scale=None, lrs=(lr,),
                          layer_grad_norm=g, layer_grad_maxabs=g, layer_grad_nonfinite=np.zeros(3, dtype=np.int64),
                          layer_weight_norm=w, layer_has_grad=np.ones(3, bool))
        fired += [n for e in det(stats, names) for n in e.layers]
    return fired


def test_adam_moving_a_large_rms_layer_by_a_share_of_its_sign_step_is_not_vanishing() -> None:
    a_log = torch.log(torch.arange(1, 17, dtype=torch.float32)).repeat(8, 1)  # mamba's A_log: RMS 2.1
    assert 2.0 < float(a_log.pow(2).mean().sqrt()) < 2.2
    assert _events(a_log, 0.17) == []  # 0.17 lr >= 0.2 x lr / 2.1
    assert _events(a_log, 0.05) == ["s"]  # a quarter of that bar: stopped
    # at RMS 0.5 the bar stays 0.2 lr (never raised above it): 0.17 lr is under it
    assert _events(torch.full((8, 16), 0.5), 0.17) == ["s"]
