"""A prediction multiplied by a large constant after the last weight product (``diagnosis/output_scale.py``): a tied
language model's logits scaled by ``d`` where ``d ** -0.5`` belongs start far too large and the run does not learn;
``check`` said nothing (fresh98's PaLM and ALiBi slips). Named ``init`` (the output's scale at the start); the usual
scales and a contrastive temperature stay silent."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.graph import nodes_of
from gradguard.diagnosis.output_scale import output_rescale, output_scale_findings


class TiedLM(nn.Module):
    def __init__(self, scale: float, vocab: int = 96, d: int = 64) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)  # N(0, 1), as PyTorch draws it
        self.mix = nn.Linear(d, d)
        self.norm = nn.LayerNorm(d)
        self.scale = scale

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.emb(ids)
        h = self.norm(h + torch.relu(self.mix(h)))
        return (h @ self.emb.weight.T) * self.scale


def _lm(scale: float) -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor]]:
    torch.manual_seed(0)
    model = TiedLM(scale)
    ids = torch.randint(0, 96, (16, 24))
    return model, (ids, torch.roll(ids, -1, 1))


def _loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def test_logits_times_d_model_are_named_init() -> None:
    model, batch = _lm(64.0)
    d = gradguard.check(model, batch, _loss, torch.optim.AdamW(model.parameters(), lr=3e-4))
    top = d.findings[0]
    assert top.cause == "init" and top.severity != "info", (top.cause, top.message)
    assert top.evidence["output_rescale"] == 64.0


def test_logits_at_their_usual_scale_are_healthy() -> None:
    model, batch = _lm(64 ** -0.5)
    d = gradguard.check(model, batch, _loss, torch.optim.AdamW(model.parameters(), lr=3e-4))
    assert d.healthy, [f.message for f in d.findings if f.severity != "info"]


def test_rescale_read_off_the_graph() -> None:
    model, (ids, y) = _lm(64.0)
    loss = _loss(model(ids), y)
    assert abs(output_rescale(list(nodes_of(loss))) - math.log10(64)) < 1e-6
    # a temperature of 0.07 (1.15 decades) is under the gate, whatever the loss
    assert output_scale_findings(1.15, 3.0) == []
    # a first loss near the all-zero output's is not blown, whatever the constant
    assert output_scale_findings(2.0, 0.5) == []
    assert output_scale_findings(2.0, 2.5)[0].cause == "init"
