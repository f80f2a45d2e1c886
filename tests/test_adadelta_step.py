"""Adadelta normalises its step (running RMS of the gradient and of the update), so its ``lr`` is a multiplier and
not a per-element step: its measured step ratio is judged as Adam's. pytorch/examples' ``mnist_rnn`` (LSTM ->
BatchNorm -> MLP, Adadelta) trains far better at lr 10 than at its 0.1 (test loss 0.008 against 1.76) and was told
``lr``, warning (third real-code round)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _Net(nn.Module):  # the shape of pytorch/examples' mnist_rnn
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(input_size=28, hidden_size=64, batch_first=True)
        self.bn = nn.BatchNorm1d(64)
        self.fc1, self.fc2 = nn.Linear(64, 32), nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x.reshape(-1, 28, 28))
        return F.log_softmax(self.fc2(F.relu(self.fc1(self.bn(out[:, -1])))), dim=1)


def _diagnose(lr: float) -> gradguard.diagnosis.Diagnosis:
    torch.manual_seed(0)
    model = _Net()
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 1, 28, 28, generator=g), torch.randint(0, 10, (64,), generator=g)
    return gradguard.check(model, (x, y), F.nll_loss, torch.optim.Adadelta(model.parameters(), lr=lr))


def test_adadelta_at_a_large_multiplier_is_not_called_too_large() -> None:
    for lr in (0.1, 1.0, 10.0):
        d = _diagnose(lr)
        assert not [f for f in d.findings if f.cause == "lr" and f.severity != "info"], (lr, d.findings)
