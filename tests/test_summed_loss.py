"""A loss summed over its terms is judged, under a normalising optimizer, as its mean (gradguard.reduction).

pytorch/examples' VAE sums binary cross-entropy over 128 images of 784 pixels: ||g|| / ||w|| ~300-800 while it
learns under Adam 1e-3, whose step does not follow the gradient's scale; the default guard raised ~12 critical
``explode`` events (ratio_ceiling) on that healthy run.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.detectors.explode import ExplodeDetector
from gradguard.reduction import summed_terms
from helpers import VAE


def _after_backward(loss: torch.Tensor) -> torch.Tensor:
    loss.backward()  # the guard reads the graph after backward: saved tensors are freed, sizes are kept
    return loss


def test_terms_of_common_reductions() -> None:
    x = torch.randn(16, 10, requires_grad=True)
    y = torch.randint(0, 10, (16,))
    assert summed_terms(_after_backward(F.cross_entropy(x, y))) == 1
    assert summed_terms(_after_backward(F.cross_entropy(x, y, reduction="sum"))) == 16  # one term per target
    assert summed_terms(_after_backward(F.mse_loss(x, torch.zeros(16, 10), reduction="sum"))) == 160
    assert summed_terms(_after_backward(x.pow(2).sum())) == 160
    assert summed_terms(_after_backward(x.pow(2).sum(1).sum())) == 160
    assert summed_terms(_after_backward(x.pow(2).sum(1).mean())) == 1  # a sum over classes is not counted
    assert summed_terms(_after_backward(x.pow(2).sum() / 16)) == 1  # divided: a mean, as a masked mean is
    w = nn.Parameter(torch.randn(64, 64))
    assert summed_terms(_after_backward(F.cross_entropy(x, y) + 1e-4 * w.pow(2).sum())) == 1  # mean + penalty
    assert summed_terms(torch.tensor(3.0)) == 1 and summed_terms(2.5) == 1 and summed_terms(None) == 1


def test_vae_terms_are_the_smaller_branch() -> None:
    p = torch.sigmoid(torch.randn(8, 784, requires_grad=True))
    mu = torch.randn(8, 20, requires_grad=True)
    bce = F.binary_cross_entropy(p, torch.rand(8, 784), reduction="sum")
    assert summed_terms(_after_backward(bce - 0.5 * torch.sum(1 - mu.pow(2)))) == 8 * 20


def _vae_events(summed: bool, steps: int = 12) -> tuple[list[str], float, float]:
    torch.manual_seed(1)
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    data = (torch.rand(steps, 128, 784, generator=g) < 0.2).float()  # binary images, mostly 0
    kinds, losses = [], []
    with gradguard.Guard(model, opt) as guard:
        for x in data:
            opt.zero_grad()
            recon, mu, logvar = model(x)
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = F.binary_cross_entropy(recon, x, reduction="sum") + kld
            if not summed:
                loss = loss / x.numel()
            loss.backward()
            kinds += [f"{e.kind}:{e.severity}" for e in guard.step(loss).events if e.severity != "info"]
            losses.append(loss.item() / (1 if not summed else x.numel()))
    return kinds, losses[0], losses[-1]


def test_summed_vae_under_adam_raises_nothing() -> None:
    kinds, first, last = _vae_events(summed=True)
    assert last < first  # it learns
    assert kinds == [], kinds  # before: explode:critical (ratio_ceiling) from step 0


def test_the_ceiling_is_unchanged_for_a_mean_loss_and_under_sgd() -> None:
    d = ExplodeDetector(3)
    d.set_loss_terms(100_000)
    assert d._ratio_limit() == 100.0  # SGD-like (or unknown): a summed loss's step does follow its gradient
    d.normalized = True
    assert d._ratio_limit() == 100.0 * 100_000
    d.set_loss_terms(1)
    assert d._ratio_limit() == 100.0
