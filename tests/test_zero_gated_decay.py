"""A coupled decay on layers a zero-initialised head gates at step 0 is not a collapse (fresh104's CSDI).

CSDI zero-initialises its output projection: at step 0 every layer behind it gets an exactly-zero gradient, so the
balance point of Adam's coupled L2 (``rms(g) / (weight_decay * rms(W))``) reads 0 there, and ``weight_decay=1e-6`` was
called a collapse of the weights to 0x, critical. Those gradients are zero for one step by design: under a usual decay
(lr x weight_decay <= 1e-4) they have no balance point yet and are left out. Under a large one (fresh68's DiffWave at
Adam's coupled 1, also behind a zero output projection) they count as before, and the collapse is told.
"""

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _setup(zero_head: bool, weight_decay: float = 1e-6) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor],
                                                                torch.optim.Optimizer]:
    torch.manual_seed(0)
    x = torch.randn(64, 16)
    y = torch.sin(x[:, :1]) + 0.1 * torch.randn(64, 1)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    if zero_head:
        nn.init.zeros_(model[4].weight)
        nn.init.zeros_(model[4].bias)
    return model, (x, y), torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)


def test_zero_initialised_head_is_not_a_decay_collapse() -> None:
    model, batch, opt = _setup(zero_head=True)
    d = gradguard.check(model, batch, F.mse_loss, opt)
    assert not [f for f in d.findings if f.cause == "regularization" and f.severity != "info"]


def test_large_decay_behind_a_zero_head_is_still_told() -> None:
    model, batch, opt = _setup(zero_head=True, weight_decay=1.0)
    d = gradguard.check(model, batch, F.mse_loss, opt)
    assert [f for f in d.findings if f.cause == "regularization" and f.severity != "info"]


def test_zero_head_model_trains() -> None:
    model, (x, y), opt = _setup(zero_head=True)
    first = None
    for _ in range(100):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.5 * first
