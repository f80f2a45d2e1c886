"""Two readings of ``check`` changed in the thirtieth session, after the held-out misses of earlier batches:

* ReLU units dead inside a plain stack of ``SERIES_WARN`` layers or more are that depth's symptom: the series
  ``depth`` finding is named first (fresh10's 129-layer Fourier MLP, fresh39's TFN fusion stacks of 30-36 layers
  were told ``activation``); with residual connections the same dead units stay an ``activation`` finding;
* a coupled weight decay (Adam's ``weight_decay``) is judged by the median balance point over the decayed
  *elements*, not the matrices: an embedding table that holds most of the model collapses while two small matrices
  balance (fresh40's FwFM, fresh38's CycleNet, fresh22's GPR-GNN under ``Adam(weight_decay=1)`` were told nothing).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _ReluStack(nn.Module):
    """``depth`` hidden Linear+ReLU layers of width 8 at PyTorch's default init, plain or residual."""

    def __init__(self, depth: int, residual: bool) -> None:
        super().__init__()
        self.inp = nn.Linear(4, 8)
        self.hidden = nn.ModuleList(nn.Linear(8, 8) for _ in range(depth))
        self.out = nn.Linear(8, 1)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.inp(x))
        for layer in self.hidden:
            h = h + F.relu(layer(h)) if self.residual else F.relu(layer(h))
        return self.out(h)


def _stack_check(seed: int, residual: bool) -> gradguard.Diagnosis:
    torch.manual_seed(seed)
    model = _ReluStack(60, residual)
    x = torch.randn(64, 4)
    return gradguard.check(model, (x, x.sum(1, keepdim=True)), F.mse_loss,
                           torch.optim.Adam(model.parameters(), 1e-3))


def test_dead_relu_layers_inside_a_deep_plain_stack_name_its_depth_first() -> None:
    for seed in (0, 1, 2):
        d = _stack_check(seed, residual=False)
        assert d.top is not None and d.top.cause == "depth", (seed, [f.message for f in d.findings])
    # seed 0 has whole layers cut off (the activation finding that used to rank first): depth says so
    d = _stack_check(0, residual=False)
    dead = [f for f in d.findings if f.cause == "activation" and "no_gradient_layers" in f.evidence]
    assert dead and dead[0].severity == "critical"
    assert "dead_layers_in_series" in d.top.evidence and d.top.severity == "critical"


def test_dead_relu_layers_with_residual_connections_stay_an_activation_finding() -> None:
    tops = []
    for seed in (0, 2):
        d = _stack_check(seed, residual=True)
        assert not any(f.cause == "depth" and f.severity != "info" for f in d.findings), seed
        tops.append(d.top.cause if d.top is not None else "healthy")
    assert tops == ["activation", "activation"]


class _TableModel(nn.Module):
    """An embedding table (most of the parameters) read by one head over unscaled field embeddings."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(4000, 16)
        self.head = nn.Linear(16 * 6, 1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.emb(ids).flatten(1) * 10).squeeze(-1)


def _table_batch(g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.randint(0, 4000, (128, 6), generator=g)
    return ids, (ids % 2).float().mean(1).round()


def _table_rms_after(weight_decay: float, steps: int) -> float:
    torch.manual_seed(0)
    model = _TableModel()
    opt = torch.optim.Adam(model.parameters(), 3e-3, weight_decay=weight_decay)
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        ids, y = _table_batch(g)
        loss = F.binary_cross_entropy_with_logits(model(ids), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(model.emb.weight.detach().pow(2).mean().sqrt())


def test_coupled_decay_that_collapses_the_table_holding_most_of_the_model_is_regularization() -> None:
    # ground truth in plain PyTorch: weight_decay 1 pulls the table to a quarter of its scale in 600 steps
    assert _table_rms_after(1.0, 600) < 0.35 < 0.8 < _table_rms_after(1e-5, 600)
    for seed in (0, 1, 2):
        for wd, broken in ((1.0, True), (1e-5, False)):
            torch.manual_seed(seed)
            model = _TableModel()
            batch = _table_batch(torch.Generator().manual_seed(seed))
            d = gradguard.check(model, batch, F.binary_cross_entropy_with_logits,
                                torch.optim.Adam(model.parameters(), 3e-3, weight_decay=wd))
            found = [f for f in d.findings if f.cause == "regularization" and f.severity != "info"]
            if broken:
                assert d.top is not None and d.top.cause == "regularization", (seed, d.findings)
                assert found[0].severity == "critical"
                assert found[0].evidence["balance_scale_median"] < 0.1
            else:
                assert not found, (seed, [f.message for f in found])
