"""Growth through time counts only when it holds against the last quarter of the steps, not at a cliff at the end."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.recurrence import RecurrentLayer


def test_profile_separates_a_cliff_from_growth() -> None:
    cliff = RecurrentLayer("rnn", "GRU", gated=True)
    cliff.profile([1.0] * 15 + [1e-3])  # the last step padded: no gradient reaches it
    assert cliff.decades is not None and cliff.decades > 2.9 and cliff.held is not None and abs(cliff.held) < 1e-9
    growth = RecurrentLayer("rnn", "RNN", gated=False)
    growth.profile([10 ** (0.2 * (15 - t)) for t in range(16)])
    assert growth.decades is not None and abs(growth.decades - 3.0) < 1e-9
    assert growth.held is not None and abs(growth.held - 2.4) < 1e-9
    short = RecurrentLayer("rnn", "RNN", gated=False)
    short.profile([1.0])
    assert short.steps == 1 and short.decades is None and short.held is None


class _PaddedGRU(nn.Module):
    """A GRU classifier over sequences whose last quarter is padding (masked out of the mean pooling)."""

    def __init__(self) -> None:
        super().__init__()
        self.emb, self.rnn, self.head = nn.Embedding(20, 32), nn.GRU(32, 32, batch_first=True), nn.Linear(32, 4)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(self.emb(ids))
        mask = (ids != 0).float().unsqueeze(-1)
        return self.head((h * mask).sum(1) / mask.sum(1).clamp_min(1.0))


def test_padded_tail_is_not_called_exploding_and_a_radius_2_rnn_still_is() -> None:
    torch.manual_seed(0)
    ids = torch.randint(1, 20, (32, 24))
    ids[:, 18:] = 0  # the last quarter: padding
    y = torch.randint(0, 4, (32,))
    model = _PaddedGRU()
    d = gradguard.check(model, (ids, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))
    rec = [f for f in d.findings if f.cause == "recurrence"]
    assert not any(f.severity != "info" for f in rec), [f.message for f in rec]

    torch.manual_seed(0)
    rnn = nn.RNN(8, 32, nonlinearity="relu", batch_first=True)
    with torch.no_grad():
        nn.init.orthogonal_(rnn.weight_hh_l0)
        rnn.weight_hh_l0.mul_(2.0)

    class _Last(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn, self.head = rnn, nn.Linear(32, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.rnn(x)[0][:, -1])

    model2 = _Last()
    x = torch.randn(32, 20, 8)
    d2 = gradguard.check(model2, (x, y), F.cross_entropy, torch.optim.SGD(model2.parameters(), lr=0.01))
    top = d2.top
    assert top is not None and top.cause == "recurrence" and top.severity != "info", top
