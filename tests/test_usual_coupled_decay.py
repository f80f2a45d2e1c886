"""A coupled weight decay already at the usual lr x weight_decay is not a collapse (fresh103's FSGNN).

Kipf's setting, Adam lr 0.01 with ``weight_decay=5e-4`` (5e-6 a step), on row-normalised bag-of-words features: the
inputs are tiny, so the weights' gradient is small against ``weight_decay * W`` and a first step driven by the decay
alone would remove 0.1 of the weights' norm. The measured balance point is ~0.9x their scale (no collapse), and the
prescription would have asked to cut the decay 1000x below the usual band: no regularization finding. The same model
at ``weight_decay=1`` (lr x wd = 0.01 a step, a balance at 4e-4 of the weights) stays critical.
"""

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _setup(weight_decay: float) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor], torch.optim.Optimizer]:
    torch.manual_seed(0)
    counts = torch.poisson(torch.rand(256, 500) * 0.2)
    counts[:, 0] += 1
    x = counts / counts.sum(1, keepdim=True)  # row-normalised counts, RMS ~0.007
    y = torch.randint(0, 4, (256,))
    x[y == 1, 1:50] += 0.01
    model = nn.Sequential(nn.Linear(500, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 4))
    return model, (x, y), torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=weight_decay)


def test_usual_coupled_decay_is_not_called_a_collapse() -> None:
    model, batch, opt = _setup(5e-4)
    d = gradguard.check(model, batch, F.cross_entropy, opt)
    assert not [f for f in d.findings if f.cause == "regularization"]


def test_huge_coupled_decay_stays_critical() -> None:
    model, batch, opt = _setup(1.0)
    d = gradguard.check(model, batch, F.cross_entropy, opt)
    assert d.top is not None and d.top.cause == "regularization" and d.top.severity == "critical"
    assert d.top.evidence["balance_scale_median"] < 0.01
