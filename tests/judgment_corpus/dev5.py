"""Development cases of the fifth round (half ``"dev"``): added to design rules on, in a list of their own so that
the alternation rule of ``HEALTHY``/``BROKEN`` is untouched.

The pattern looked at: a recurrence written inline with an element-wise recurrent weight,
``h_t = f(B x_t + u * h_{t-1})`` with a vector ``u``, whose ``|u| > 1`` compounds the gradient over time. The fourth
held-out batch's IndRNN with u in (1.9, 2.0) (``indrnn_u2``) was called ``depth``: no module is called once per step,
so no recurrence was seen (the pattern is that case's, seen in its baseline: a gain there is contaminated by
pattern). Built here in an architecture no held-out case uses: a diagonal *linear* recurrence (the LRU's real form,
Orvieto et al. 2023, its ring init radius 0.5-0.95) feeding a GELU MLP read-out, a next-token LM on the corpus'
Markov text at Adam 1e-3; broken with ``u`` in (1.2, 1.3) (``1.3^32`` over the sequence). Labels checked in plain
PyTorch at seeds 0 and 1: the healthy model learns (4.2 -> 1.6), the broken one ends at the chance loss (no learning
@199 at both seeds, 131.6 -> 4.16 and 153.9 -> 4.16), and the fault removed is the healthy model.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

from . import DIVERGE, EXPLODE, LM, STUCK, VANISH, Case, _b, _h
from . import healthy as H
from ._setup import Setup, lm_batches, lm_loss

P = functools.partial
HALF = "dev"


class DiagRNNLM(nn.Module):
    """A diagonal linear recurrence LM: ``h_t = lam * h_{t-1} + B e(x_t)`` with a vector ``lam`` drawn uniformly from
    ``lam_range``, then ``logits_t = W2 gelu(W1 h_t)``."""

    def __init__(self, vocab: int = 64, d: int = 32, hidden: int = 64,
                 lam_range: tuple[float, float] = (0.5, 0.95)) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.inp = nn.Linear(d, hidden)
        self.lam = nn.Parameter(torch.empty(hidden).uniform_(*lam_range))
        self.out = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, vocab))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.inp(self.emb(x))
        h = torch.zeros_like(u[:, 0])
        states = []
        for t in range(u.shape[1]):
            h = self.lam * h + u[:, t]
            states.append(h)
        return self.out(torch.stack(states, 1))


def diag_rnn_lm(seed: int, lam_range: tuple[float, float] = (0.5, 0.95)) -> Setup:
    """The diagonal linear recurrence LM at Adam 1e-3."""
    torch.manual_seed(seed)
    model = DiagRNNLM(lam_range=lam_range)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, lm_batches(seed), lm_loss)


DEV5_HEALTHY: list[Case] = [
    _h("diag_rnn_lm", HALF, "diag_rnn", diag_rnn_lm, LM),
]

DEV5_BROKEN: list[Case] = [
    _b("diag_rnn_lam1.3", HALF, ("recurrence",), EXPLODE + VANISH, DIVERGE + STUCK,
       P(diag_rnn_lm, lam_range=(1.2, 1.3)), LM),
]

DEV5: list[Case] = DEV5_HEALTHY + DEV5_BROKEN
