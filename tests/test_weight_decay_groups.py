"""Weight decay read over the matrices a param group decays (real-code round 10, session 38).

pyg-team/pytorch_geometric's ``examples/gcn.py`` decays its first convolution only (``dict(params=conv1, weight_decay=
5e-4), dict(params=conv2, weight_decay=0)``) under Adam 0.01. Its bag-of-words features leave most of conv1's
gradient at 0, so Adam's coupled L2 moves those elements by ~lr each step: conv1 alone shrinks by 0.028 a step, and
its balance point is where the gradient holds it. ``check`` took conv2's zero in the median of two matrices (the
upper one: 0.028) and, with one balance point for two matrices, dropped the coupled-decay exemption: "the model stops
learning" on a run that reaches 0.97 accuracy. A matrix whose group has ``weight_decay`` 0 is now no part of either.
"""

from __future__ import annotations

import torch
from torch import nn

import gradguard


def _sparse_bow_net(seed: int = 0) -> tuple[nn.Sequential, tuple[torch.Tensor, torch.Tensor]]:
    """A 300-word bag of words (each document 8 words of its class's 40) -> 16 ReLU units -> 7 classes."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    y = torch.randint(0, 7, (140,), generator=g)
    x = torch.zeros(140, 300)
    for i, c in enumerate(y.tolist()):
        x[i, 40 * c + torch.randint(0, 40, (8,), generator=g)] = 1.0
    x = x / x.sum(1, keepdim=True)
    return nn.Sequential(nn.Linear(300, 16), nn.ReLU(), nn.Linear(16, 7)), (x, y)


def _check(groups: bool) -> gradguard.Diagnosis:
    model, batch = _sparse_bow_net()
    if groups:
        opt = torch.optim.Adam([dict(params=model[0].parameters(), weight_decay=5e-4),
                                dict(params=model[2].parameters(), weight_decay=0.0)], lr=0.01)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    return gradguard.check(model, batch, nn.functional.cross_entropy, opt)


def test_a_decay_on_one_group_is_read_over_that_group_and_the_healthy_recipe_is_healthy() -> None:
    for groups in (True, False):
        d = _check(groups)
        assert not [f for f in d.findings if f.cause == "regularization" and f.severity != "info"], d.findings


def test_a_decay_that_collapses_its_one_group_is_still_named() -> None:
    model, batch = _sparse_bow_net()
    opt = torch.optim.AdamW([dict(params=model[0].parameters(), weight_decay=50.0),
                             dict(params=model[2].parameters(), weight_decay=0.0)], lr=1e-3)
    d = gradguard.check(model, batch, nn.functional.cross_entropy, opt)
    top = d.top
    assert top is not None and top.cause == "regularization" and top.severity != "info"
