"""An output blown up at init that no layer chain explains is named init (fresh24's AFT: its token embedding drawn at
``d ** 0.5`` where ``d ** -0.5`` belongs and tied to the output: a first loss ~110x an all-zero output's, and it
does not learn; told healthy, the init finding only information). The same model at ``d ** -0.5`` stays quiet; a
factorization machine at nn.Embedding's N(0, 1), whose first loss is ~6x chance (healthy FFMs start at 7x), stays
under the gate."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.blown_alone import BLOWN_ALONE


class _TiedBag(nn.Module):
    """A sequence's token embeddings summed (a bag, as AFT's position-wise sums), scored against the same (tied) table
    plus a learned bias: next-token logits."""

    def __init__(self, std: float, vocab: int = 64, d: int = 32) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        nn.init.normal_(self.emb.weight, 0.0, std)
        self.bias = nn.Parameter(torch.zeros(vocab))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.emb(ids).sum(1) @ self.emb.weight.t() + self.bias


def _check(std: float) -> gradguard.Diagnosis:
    torch.manual_seed(0)
    model = _TiedBag(std)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 64, (128, 12), generator=g)
    return gradguard.check(model, (ids, ids[:, -1]), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))


def test_a_tied_embedding_drawn_at_root_d_blows_the_output_up() -> None:
    d = _check(32 ** 0.5)
    assert d.top is not None and d.top.cause == "init" and d.top.severity == "warning", \
        [(f.cause, f.severity) for f in d.findings]
    assert d.top.evidence["output_decades"] >= BLOWN_ALONE and "emb.weight" in d.top.evidence["largest_rms"]


def test_the_same_embedding_at_its_usual_scale_is_quiet() -> None:
    d = _check(32 ** -0.5)
    assert d.healthy, [(f.cause, f.severity) for f in d.findings]
