"""Init named over the whole gradient path, and LocalResponseNorm not taken for a normaliser (session 23).

The fourteenth batch's AlexNet with its He std written as a variance (``std = 2 / fan_in``): every weight layer
6-16x too small, 7.3 decades over 8 layers. Its longest plain run (3 convolutions between max-pools) explained 2.3
decades, so the whole path was never tried, the two-layer init finding was not confirmed, and the rest was named
``depth`` (its LRNs read as normalisers) — the symptom. A small CNN of the same shape shows both.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard import Diagnosis, check
from gradguard.diagnosis.layers import is_norm, is_transparent


def _alexnet_like(variance_slip: bool) -> nn.Module:
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 16, 5, padding=2), nn.ReLU(), nn.LocalResponseNorm(5, k=2.0), nn.MaxPool2d(2),
                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.LocalResponseNorm(5, k=2.0), nn.MaxPool2d(2),
                      nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
                      nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(32 * 16, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            var = 2.0 / mod.weight[0].numel()  # He: std = sqrt(2 / fan_in); the slip passes the variance as std
            nn.init.normal_(mod.weight, 0.0, var if variance_slip else var ** 0.5)
            nn.init.zeros_(mod.bias)
    return m


def _check(model: nn.Module) -> Diagnosis:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 3, 32, 32, generator=g), torch.randint(0, 10, (64,), generator=g)
    return check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))


def test_std_written_as_variance_is_init_over_the_whole_path() -> None:
    d = _check(_alexnet_like(variance_slip=True))
    assert d.top is not None and d.top.cause == "init" and d.top.severity == "critical", d.render()
    assert len(d.top.layers) == 8  # every weight layer, not the longest plain run's
    assert not any(f.cause in ("depth", "normalization") and f.severity != "info" for f in d.findings), d.render()


def test_the_same_net_at_he_init_is_healthy() -> None:
    assert _check(_alexnet_like(variance_slip=False)).healthy


def test_local_response_norm_is_transparent_but_no_normaliser() -> None:
    lrn = nn.LocalResponseNorm(5, k=2.0)
    assert not is_norm(lrn) and is_transparent(lrn)
    x = torch.randn(4, 8, 6, 6) * 1e-3  # a small signal passes scaled by a constant, k ** -beta: not restored
    ratio = lrn(x) / x
    assert torch.allclose(ratio, torch.full_like(ratio, 2.0 ** -0.75), rtol=1e-4)
