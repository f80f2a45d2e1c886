"""Weights initialised far too large are named before what they cause (third real-code round, karpathy/makemore).

* The MLP language model at N(0, 1): tanh 92% saturated behind weights ~20x Xavier's scale was told "use a
  non-saturating activation" (critical), the init second: the saturation is the init's consequence.
* The RNN language model at N(0, 1) (a cell ``tanh(Linear(cat(x, h)))`` called once per time step, so off the
  forward chain): first loss 5x the all-zero output's, and ``check`` said healthy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard

V, T, E = 27, 11, 64


class _MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wte = nn.Embedding(V + 1, E)
        self.mlp = nn.Sequential(nn.Linear(T * E, 64), nn.Tanh(), nn.Linear(64, V))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        embs = [self.wte(torch.roll(idx, k, 1)) for k in range(T)]
        return self.mlp(torch.cat(embs, -1))


class _RNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.start = nn.Parameter(torch.zeros(1, E))
        self.wte = nn.Embedding(V, E)
        self.xh_to_h = nn.Linear(2 * E, E)
        self.lm_head = nn.Linear(E, V)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        emb = self.wte(idx)
        h = self.start.expand(idx.shape[0], -1)
        out = []
        for i in range(idx.shape[1]):
            h = torch.tanh(self.xh_to_h(torch.cat([emb[:, i], h], 1)))
            out.append(h)
        return self.lm_head(torch.stack(out, 1))


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, V, (32, T), generator=g)
    return x, torch.roll(x, -1, 1)


def _check(model: nn.Module, normal: bool) -> gradguard.diagnosis.Diagnosis:
    torch.manual_seed(0)
    if normal:
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0, 1)
    x, y = _batch()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    return gradguard.check(model, closure=lambda m: F.cross_entropy(m(x).reshape(-1, V), y.reshape(-1)),
                           optimizer=opt)


def test_saturation_behind_a_blown_up_init_is_the_inits() -> None:
    torch.manual_seed(0)
    d = _check(_MLP(), normal=True)
    assert d.top is not None and d.top.cause == "init" and d.top.severity != "info", d.findings
    act = [f for f in d.findings if f.cause == "activation"]
    assert all(f.severity == "info" for f in act)


def test_an_rnn_cell_off_the_chain_at_normal_1_is_init() -> None:
    torch.manual_seed(0)
    d = _check(_RNN(), normal=True)
    assert d.top is not None and d.top.cause == "init" and d.top.severity != "info", d.findings


def test_the_same_models_at_their_default_init_are_healthy() -> None:
    torch.manual_seed(0)
    assert _check(_MLP(), normal=False).healthy
    torch.manual_seed(0)
    assert _check(_RNN(), normal=False).healthy
