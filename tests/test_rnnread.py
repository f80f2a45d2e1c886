"""check names a recurrent layer whose output reaches the loss for one sequence of the batch only (the batch and time
axes mixed up), and leaves classifiers and language models that read every sequence alone."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class Episodes(nn.Module):
    """An LSTM over (batch, time, features) observations, the last step's state to 4 Q-values (DRQN's shape)."""

    def __init__(self, batch_first: bool, last: str = "time") -> None:
        super().__init__()
        torch.manual_seed(0)
        self.enc = nn.Linear(8, 32)
        self.lstm = nn.LSTM(32, 32, batch_first=batch_first)
        self.q = nn.Linear(32, 4)
        self.last = last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(torch.relu(self.enc(x)))
        return self.q(out[:, -1] if self.last == "time" else out[-1])  # "step0": time-major, out[-1] is the last step


def _one_sequence(d: gradguard.Diagnosis) -> list[gradguard.Finding]:
    return [f for f in d.findings if f.cause == "recurrence" and "batch_size" in str(f.evidence)]


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(32, 6, 8, generator=g), torch.randn(32, 4, generator=g)


def test_an_lstm_without_batch_first_fed_batch_major_is_named() -> None:
    model = Episodes(batch_first=False)  # (32, 6, 8) read as 32 steps of 6 sequences; out[:, -1]: sequence 5 only
    d = gradguard.check(model, _batch(), F.smooth_l1_loss, torch.optim.Adam(model.parameters()))
    (f,) = _one_sequence(d)
    assert d.top is f and f.layers == ["lstm"]
    assert f.evidence["layers"]["lstm"] == {"batch_size": 6, "batch_first": False}
    assert "batch_first=True" in f.code


def test_batch_first_and_time_major_layers_read_right_are_silent() -> None:
    assert not _one_sequence(gradguard.check(Episodes(batch_first=True), _batch(), F.smooth_l1_loss))
    # time-major and read at the last step (out[-1] of (time, batch, hidden)): every sequence reaches the loss
    x, y = _batch()
    assert not _one_sequence(gradguard.check(Episodes(batch_first=False, last="step0"), (x.transpose(0, 1), y),
                                             F.smooth_l1_loss))
