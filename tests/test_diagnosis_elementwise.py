"""Element-wise recurrent weights written inline (``u * h`` per step with a vector ``u``) are recognised by what the
forward pass does with them (``diagnosis/reuse.py``), and a depth finding that their compounding explains is their
consequence."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.reuse import MIN_USES, ReuseWatch


class InlineRNN(nn.Module):
    """``h_t = act(W x_t + u * h_{t-1} + b_t)`` written in ``forward``; ``bias_per_step`` adds a vector parameter
    each step too (an addition, not a recurrence)."""

    def __init__(self, u_range: tuple[float, float], act: str = "relu", steps: int = 16) -> None:
        super().__init__()
        self.inp = nn.Linear(8, 32)
        self.u = nn.Parameter(torch.empty(32).uniform_(*u_range))
        self.b = nn.Parameter(torch.zeros(32))
        self.head = nn.Linear(32, 4)
        self.act = act
        self.steps = steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.inp(x)
        h = torch.zeros_like(pre[:, 0])
        for t in range(self.steps):
            z = pre[:, t] + self.u * h + self.b
            h = F.relu(z) if self.act == "relu" else z
        return self.head(h)


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randn(16, 16, 8, generator=g), torch.randint(0, 4, (16,), generator=g)


def _check(model: nn.Module) -> gradguard.diagnosis.Diagnosis:
    torch.manual_seed(0)
    return gradguard.check(model, _batch(), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))


def test_reuse_watch_finds_the_vector_multiplied_each_step_not_the_bias_added() -> None:
    torch.manual_seed(0)
    model = InlineRNN((1.9, 2.0))
    x, y = _batch()
    loss = F.cross_entropy(model(x), y)
    params = dict(model.named_parameters())
    watch = ReuseWatch(loss, params)
    torch.autograd.grad(loss, list(params.values()))
    found = watch.finish()
    assert set(found) == {"u"} and found["u"].uses == 16
    grads = [g for g in found["u"].grads if g is not None]
    assert len(grads) == 16 and grads[0] > 100 * grads[-1]  # |u| ~ 2 over 16 steps: the gradient grows back in time
    assert all(p.grad is None for p in model.parameters())
    short = InlineRNN((1.9, 2.0), steps=MIN_USES - 1)
    loss = F.cross_entropy(short(x[:, :MIN_USES - 1]), y)
    assert ReuseWatch(loss, dict(short.named_parameters())).finish() == {}


def test_check_names_an_inline_elementwise_recurrence_not_depth() -> None:
    torch.manual_seed(0)
    d = _check(InlineRNN((1.9, 2.0)))
    assert d.top is not None and d.top.cause == "recurrence", d.top
    assert d.top.layers == ["u"] and d.top.evidence["spectral_radius"]["u"] >= 1.9
    assert "element-wise" in d.top.message and d.top.evidence["direction"] == 1
    assert all(f.severity == "info" for f in d.findings if f.cause in ("depth", "normalization"))


def test_check_leaves_a_healthy_inline_recurrence_alone() -> None:
    torch.manual_seed(0)
    d = _check(InlineRNN((0.0, 1.0)))
    assert not [f for f in d.findings if f.cause == "recurrence" and f.severity != "info"], d.findings


def test_the_corpus_dev_analogue_is_recurrence_and_its_healthy_twin_is_healthy() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from judgment_corpus.dev5 import diag_rnn_lm
    from judgment_corpus.judge import found_cause, run_check

    assert found_cause(run_check(diag_rnn_lm(0, lam_range=(1.2, 1.3)))) == "recurrence"
    assert found_cause(run_check(diag_rnn_lm(0))) == "healthy"
