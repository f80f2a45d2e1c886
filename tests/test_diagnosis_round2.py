"""The second round's diagnosis rules (issue 12), on real models: an unclipped SGD step on a recurrent net, an
optimizer whose own arithmetic turns finite gradients into NaN, and a transformer initialised at N(0, 1)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check


class _GRULM(nn.Module):
    def __init__(self, vocab: int = 32, dim: int = 32) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, 2, batch_first=True)
        self.out = nn.Linear(dim, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.rnn(self.emb(x))[0])


def _lm_batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 32, (8, 21), generator=g)
    return x[:, :-1], x[:, 1:]


def _lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def _unclipped(d: object) -> list[object]:
    return [f for f in d.findings if f.cause == "recurrence" and "without gradient clipping" in f.message]  # type: ignore[attr-defined]


def test_unclipped_sgd_on_a_recurrent_net_is_named_and_clipping_silences_it() -> None:
    torch.manual_seed(0)
    model = _GRULM()
    batch = _lm_batch()
    d = check(model, batch, _lm_loss, torch.optim.SGD(model.parameters(), lr=20.0))
    found = _unclipped(d)
    assert found and found[0].severity == "warning"  # type: ignore[attr-defined]
    assert found[0].evidence["recurrent_update_to_weight_median"] >= 0.01  # type: ignore[attr-defined]
    assert not _unclipped(check(model, batch, _lm_loss, torch.optim.SGD(model.parameters(), lr=20.0),
                                max_grad_norm=0.25))
    assert not _unclipped(check(model, batch, _lm_loss, torch.optim.SGD(model.parameters(), lr=0.1)))
    assert not _unclipped(check(model, batch, _lm_loss, torch.optim.Adam(model.parameters(), lr=1e-3)))


class _Bag(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(16, 8, padding_idx=0)  # the pad row never gets a gradient
        self.out = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.emb(x).mean(1))


def test_a_step_that_divides_by_zero_is_numeric_and_critical() -> None:
    torch.manual_seed(0)
    model = _Bag()
    x = torch.randint(0, 16, (12, 5))
    x[:, 0] = 0
    y = torch.randint(0, 3, (12,))
    d = check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3, eps=0.0))
    assert d.top is not None and d.top.cause == "numeric" and d.top.severity == "critical"
    assert d.top.evidence["eps_rounds_to_zero_in"] == {"float32": 0.0}
    assert "emb.weight" in d.top.evidence["non_finite_step_fraction"]
    # the real step does write NaN: the finding is not a false alarm
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=0.0)
    F.cross_entropy(model(x), y).backward()
    opt.step()
    assert not bool(torch.isfinite(model.emb.weight).all())
    model2 = _Bag()
    d2 = check(model2, (x, y), F.cross_entropy, torch.optim.Adam(model2.parameters(), lr=1e-3))
    assert not [f for f in d2.findings if f.cause == "numeric"]


def test_a_gpt_at_std_1_is_init_not_depth_and_at_0_02_is_healthy() -> None:
    from judgment_corpus.models import MiniGPT  # a nanoGPT-style GPT (own LayerNorm, tied head)

    batch = _lm_batch()
    for dim, layers in ((32, 3), (64, 2)):
        torch.manual_seed(0)
        d = check(MiniGPT(32, 32, dim, layers, 4, init_std=1.0), batch, _lm_loss)
        assert d.top is not None and d.top.cause == "init" and d.top.severity != "info", d.top
        assert d.top.evidence["direction"] == 1
        assert all(f.severity == "info" for f in d.findings if f.cause in ("depth", "normalization"))
        torch.manual_seed(0)
        healthy = MiniGPT(32, 32, dim, layers, 4)
        assert check(healthy, batch, _lm_loss, torch.optim.AdamW(healthy.parameters(), lr=1e-3)).healthy
