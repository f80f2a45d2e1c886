"""A hand-written gated cell whose hidden-to-hidden weight stacks a few extra rows before its gate blocks (ON-LSTM's
master gates: ``nn.Linear(h, 4 h + 2 chunks)``) is read block by block like ``nn.Linear(h, 4 h)`` (session 23).

Before, a weight whose rows were not a multiple of its columns was not read at all, so ON-LSTM's recurrent weights at
N(0, 5^2) (the twenty-eighth batch: gradients 1e13x larger at the first of 32 steps than at the last) gave no finding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard import Diagnosis, check


class _MasterGateLSTM(nn.Module):
    def __init__(self, std: float | None, hidden: int = 32, chunks: int = 4, vocab: int = 16) -> None:
        super().__init__()
        self.hidden, self.chunks = hidden, chunks
        self.emb = nn.Embedding(vocab, hidden)
        self.ih = nn.Linear(hidden, 4 * hidden + 2 * chunks)
        self.hh = nn.Linear(hidden, 4 * hidden + 2 * chunks)
        self.out = nn.Linear(hidden, vocab)
        if std is not None:
            nn.init.normal_(self.hh.weight, 0.0, std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = c = x.new_zeros(x.shape[0], self.hidden, dtype=torch.float)
        e, outs = self.emb(x), []
        for t in range(x.shape[1]):
            g = self.ih(e[:, t]) + self.hh(h)
            master = torch.sigmoid(g[:, : 2 * self.chunks]).mean(1, keepdim=True)  # the extra rows: one per chunk
            i, f, o, u = g[:, 2 * self.chunks:].chunk(4, 1)
            c = master * torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(u)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(self.out(h))
        return torch.stack(outs, 1)


def _diagnose(std: float | None) -> Diagnosis:
    torch.manual_seed(0)
    model = _MasterGateLSTM(std)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 16, (16, 24), generator=g)
    y = torch.randint(0, 16, (16, 24), generator=g)
    return check(model, (x, y), lambda out, t: F.cross_entropy(out.reshape(-1, 16), t.reshape(-1)),
                 torch.optim.Adam(model.parameters(), 1e-3))


def test_gate_blocks_after_extra_rows_are_read() -> None:
    d = _diagnose(std=5.0)
    assert d.top is not None and d.top.cause == "recurrence" and d.top.severity != "info", d.render()
    radii = d.top.evidence["spectral_radius"]
    assert any(k.startswith("hh.weight[") for k in radii) and max(radii.values()) > 3, d.render()


def test_the_same_cell_at_its_default_init_is_healthy() -> None:
    d = _diagnose(std=None)
    assert not any(f.cause == "recurrence" and f.severity != "info" for f in d.findings), d.render()
