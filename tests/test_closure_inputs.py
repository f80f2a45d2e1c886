"""check on models a closure drives without calling their forward (``model.losses(x)``), and sequence outputs that
the loss reshapes: the batch's data is still judged, and a sigmoid on a (batch, time, classes) output into
cross_entropy is still the double squashing it is."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class AutoEncoder(nn.Module):
    """A conv auto-encoder whose training entry point is ``losses(x)``, not ``forward``."""

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(3, 16, 4, 2, 1), nn.ReLU(), nn.Conv2d(16, 8, 1))
        self.dec = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(8, 3, 4, 2, 1))

    def losses(self, x: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(self.dec(self.enc(x)), x)


def _check_autoencoder(scale: float) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = AutoEncoder()
    x = torch.randn(8, 3, 16, 16) * scale
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return gradguard.check(model, optimizer=opt, closure=lambda m: m.losses(x), confirm_steps=0)


def test_a_closure_that_never_calls_forward_still_has_its_data_judged() -> None:
    raw = _check_autoencoder(255.0)  # 8-bit pixel levels never divided by 255
    assert raw.top is not None and raw.top.cause == "data" and raw.top.severity in ("warning", "critical")
    assert "input tensor of shape (8, 3, 16, 16)" in raw.top.message
    unit = _check_autoencoder(1.0)
    assert not [f for f in unit.findings if f.cause == "data"]


class SeqLM(nn.Module):
    def __init__(self, squash: bool) -> None:
        super().__init__()
        self.emb = nn.Embedding(32, 16)
        self.rnn = nn.GRU(16, 16, batch_first=True)
        self.head = nn.Sequential(nn.Linear(16, 32), nn.Sigmoid()) if squash else nn.Linear(16, 32)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(self.emb(ids))[0])  # (batch, time, vocab)


def _lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def test_a_sigmoid_on_a_sequence_output_into_cross_entropy_is_told() -> None:
    ids = torch.randint(0, 32, (8, 12))
    for squash in (True, False):
        torch.manual_seed(0)
        model = SeqLM(squash)
        d = gradguard.check(model, (ids[:, :-1], ids[:, 1:]), _lm_loss, torch.optim.Adam(model.parameters()),
                            confirm_steps=0)
        told = [f for f in d.findings if f.cause == "activation" and f.evidence.get("loss") == "cross_entropy"]
        assert bool(told) == squash
        if squash:
            assert d.top is told[0] and told[0].severity == "critical"
