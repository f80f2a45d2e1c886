"""Two readings of ``check`` changed in the thirtieth session, after the held-out misses of earlier batches:

* ReLU units dead inside a plain stack of ``SERIES_WARN`` layers or more are that depth's symptom: the series
  ``depth`` finding is named first (fresh10's 129-layer Fourier MLP, fresh39's TFN fusion stacks of 30-36 layers
  were told ``activation``); with residual connections the same dead units stay an ``activation`` finding;
* a coupled weight decay (Adam's ``weight_decay``) is judged by the median balance point over the decayed
  *elements*, not the matrices: an embedding table that holds most of the model collapses while two small matrices
  balance (fresh40's FwFM, fresh38's CycleNet, fresh22's GPR-GNN under ``Adam(weight_decay=1)`` were told nothing);

and three found at the first sight of the thirtieth session's second batch (fresh42):

* a forward that differentiates its own network with ``torch.func`` (a Lagrangian or Hamiltonian network) made
  ``check`` fail ("vmap: ... calling .item()"): its hooks now leave calls under a transform alone;
* a residual branch gated by a scalar started at 0 (ReZero's ``alpha``) gets exactly zero gradients by design: it is
  not "an operation without a derivative" while the gate's own gradient moves it;
* weights whose output the loss reads only L2-normalised (a cosine head, SwAV's prototypes) are scale-invariant: an
  SGD step large against their norm turns them, and is judged as for weights a normalisation layer follows;

and one after the third and fourth batches' first sight (fresh43's Luong NMT, fresh44's sentence VAE):

* a recurrent module stacking 6 or more layers (``nn.LSTM(num_layers=8)``, no residual path between them) is a
  ``depth`` warning;
* an LSTM whose forget-gate bias shuts the gate (fresh41's CLDNN at -10 over 12-16 frames, too short for the decay
  over time to show) is a ``recurrence`` finding, read off the weights;
* a frozen weight matrix of zeros that the forward reads (fresh44's ConvE: ``from_pretrained(torch.zeros(...))``
  freezes by default) is an ``init`` finding, and the no-gradient reading behind it its consequence.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


def _causes(d: gradguard.Diagnosis) -> list[str]:
    return [f.cause for f in d.findings if f.severity in ("warning", "critical")]


def _train(model: nn.Module, opt: torch.optim.Optimizer, batch: Callable[[], tuple[torch.Tensor, torch.Tensor]],
           loss_fn: Callable[..., torch.Tensor], steps: int) -> list[float]:
    """Plain training, no guard: the losses of ``steps`` steps on ``batch()``."""
    losses = []
    for _ in range(steps):
        x, y = batch()
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


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
    _train(model, opt, partial(_table_batch, g), F.binary_cross_entropy_with_logits, steps)
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


class _HNN(nn.Module):
    """The acceleration of a particle as minus the gradient of a learned potential, differentiated in the forward."""

    def __init__(self) -> None:
        super().__init__()
        self.energy = nn.Sequential(nn.Linear(2, 64), nn.Softplus(), nn.Linear(64, 64), nn.Softplus(),
                                    nn.Linear(64, 1))

    def forward(self, q: torch.Tensor) -> torch.Tensor:
        return -torch.func.vmap(torch.func.grad(lambda x: self.energy(x).squeeze()))(q)


def test_a_forward_that_differentiates_its_network_with_torch_func_is_checked_and_guarded() -> None:
    torch.manual_seed(0)
    model = _HNN()
    q = torch.randn(64, 2)
    accel = -q  # a harmonic potential |q|^2 / 2
    before = [p.detach().clone() for p in model.parameters()]
    d = gradguard.check(model, (q, accel), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3))
    assert not _causes(d), [f.message for f in d.findings]  # no "activation results dropped" either
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    # and a monitored run raises nothing while the loss falls
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    losses = []
    with gradguard.Guard(model, opt, policy="monitor") as guard:
        for _ in range(100):
            opt.zero_grad()
            loss = F.mse_loss(model(q), accel)
            loss.backward()
            report = guard.step(loss)
            assert not [e for e in report.events if e.severity != "info"], report.events
            losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0]


class _ReZero(nn.Module):
    """Residual MLP blocks ``h + alpha_i * f_i(h)`` with every ``alpha_i`` started at 0 (Bachlechner et al. 2020)."""

    def __init__(self, width: int = 32, blocks: int = 4, sign: bool = False) -> None:
        super().__init__()
        self.inp = nn.Linear(8, width)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, 4 * width), nn.ReLU(), nn.Linear(4 * width, width))
                                    for _ in range(blocks))
        self.alpha = nn.Parameter(torch.zeros(blocks))
        self.out = nn.Linear(width, 1)
        self.sign = sign

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        if self.sign:  # a threshold with no derivative before everything: the gate excuses nothing behind it
            h = torch.sign(h)
        for a, block in zip(self.alpha, self.blocks, strict=True):
            h = h + a * block(h)
        return self.out(h)


def test_a_residual_branch_gated_by_a_zero_scalar_is_a_design_not_a_missing_derivative() -> None:
    x = torch.randn(64, 8)
    y = x[:, :1] * x[:, 1:2]
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = _ReZero()
        d = gradguard.check(model, (x, y), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3))
        assert "activation" not in _causes(d), [f.message for f in d.findings]
    # the zero gate does not excuse a threshold in front of it: inp gets no gradient through sign
    torch.manual_seed(0)
    model = _ReZero(sign=True)
    d = gradguard.check(model, (x, y), F.mse_loss, torch.optim.Adam(model.parameters(), 1e-3))
    assert "activation" in _causes(d), [f.message for f in d.findings]


class _CosineHead(nn.Module):
    """A ReLU MLP whose features and class weights are both L2-normalised, scaled by ``s`` (NormFace/CosFace)."""

    def __init__(self, s: float = 10.0) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 32))
        self.weight = nn.Parameter(torch.empty(8, 32))
        nn.init.xavier_uniform_(self.weight)
        self.s = s

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.s * F.normalize(self.body(x), dim=1) @ F.normalize(self.weight, dim=1).T


def _clusters(gen: torch.Generator, centers: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randint(0, 8, (64,), generator=gen)
    return centers[y] + torch.randn(64, 16, generator=gen), y


def test_weights_read_only_l2_normalised_are_judged_as_turned_not_as_grown() -> None:
    centers = torch.randn(8, 16, generator=torch.Generator().manual_seed(0)) * 2
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = _CosineHead()
        opt = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=5e-4)
        gen = torch.Generator().manual_seed(seed)
        d = gradguard.check(model, _clusters(gen, centers), F.cross_entropy, opt)
        assert "lr" not in _causes(d), [f.message for f in d.findings]  # was: "effective step 0.68-0.77 of norm"
        losses = _train(model, opt, partial(_clusters, gen, centers), F.cross_entropy, 150)  # it trains as it is
        assert sum(losses[-15:]) / 15 < 0.05 * losses[0]
    # the weights are read as normalised: at 20x the rate the finding is the turn, not the raw ratio
    torch.manual_seed(0)
    model = _CosineHead()
    d = gradguard.check(model, _clusters(torch.Generator().manual_seed(0), centers), F.cross_entropy,
                        torch.optim.SGD(model.parameters(), 2.0, momentum=0.9))
    lr = [f for f in d.findings if f.cause == "lr"]
    assert lr and lr[0].evidence["normalized_update_to_weight_median"] > 4 and \
        lr[0].evidence["update_to_weight_median"] == 0


class _StackedLM(nn.Module):
    """An LSTM over token embeddings, ``layers`` stacked in one module, predicting the previous token."""

    def __init__(self, layers: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(16, 32)
        self.lstm = nn.LSTM(32, 32, num_layers=layers, batch_first=True)
        self.head = nn.Linear(32, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(self.emb(x))[0]).transpose(1, 2)


def _previous_token(g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randint(0, 16, (32, 12), generator=g)
    return x, torch.roll(x, 1, 1)


def test_a_recurrent_module_stacking_eight_layers_is_a_depth_warning() -> None:
    ends = {}
    for layers in (2, 8):
        torch.manual_seed(0)
        model = _StackedLM(layers)
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        g = torch.Generator().manual_seed(0)
        d = gradguard.check(model, _previous_token(g), F.cross_entropy, opt)
        if layers == 8:
            assert d.top is not None and d.top.cause == "depth" and d.top.severity == "warning", d.findings
            assert d.top.evidence["stacked_recurrent_layers"] == {"lstm": 8}
        else:
            assert not _causes(d), [f.message for f in d.findings]
        # ground truth: two layers learn the task, eight barely move
        losses = _train(model, opt, partial(_previous_token, g), F.cross_entropy, 200)
        ends[layers] = sum(losses[-20:]) / 20
    assert ends[2] < 0.6 * 2.78 < 0.9 * 2.78 < ends[8]


class _Recall(nn.Module):
    """An LSTM that must recall the first of 6 tokens at the last step; ``forget_bias``: the forget gate's bias."""

    def __init__(self, forget_bias: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(8, 16)
        self.lstm = nn.LSTM(16, 32, batch_first=True)
        self.head = nn.Linear(32, 8)
        if forget_bias is not None:
            with torch.no_grad():
                self.lstm.bias_ih_l0[32:64].fill_(forget_bias / 2)
                self.lstm.bias_hh_l0[32:64].fill_(forget_bias / 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(self.emb(x))[0][:, -1])


def _first_token(g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randint(0, 8, (64, 6), generator=g)
    return x, x[:, 0]


def test_an_lstm_whose_forget_gate_bias_shuts_the_gate_is_a_recurrence_finding() -> None:
    ends = {}
    for bias in (None, -10.0):
        torch.manual_seed(0)
        model = _Recall(bias)
        opt = torch.optim.Adam(model.parameters(), 1e-2)
        g = torch.Generator().manual_seed(0)
        d = gradguard.check(model, _first_token(g), F.cross_entropy, opt)
        if bias is None:
            assert not _causes(d), [f.message for f in d.findings]
        else:
            assert d.top is not None and d.top.cause == "recurrence" and d.top.severity == "critical"
            assert d.top.evidence["state_kept_per_step"] < 1e-4
        # ground truth: the default gate recalls the token, the shut one stays at chance
        losses = _train(model, opt, partial(_first_token, g), F.cross_entropy, 200)
        ends[bias] = sum(losses[-20:]) / 20
    assert ends[None] < 0.1 < 1.9 < ends[-10.0]


class _Lookup(nn.Module):
    """Pairs of ids scored through an embedding table given as 'pretrained' zeros, frozen or not."""

    def __init__(self, freeze: bool) -> None:
        super().__init__()
        self.table = nn.Embedding.from_pretrained(torch.zeros(50, 8), freeze=freeze)
        self.mlp = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.table(ids).flatten(1))


def _pairs(g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.randint(0, 50, (64, 2), generator=g)
    return ids, (ids[:, 0] < ids[:, 1]).long()


def test_a_frozen_table_of_zeros_that_the_forward_reads_is_an_init_finding() -> None:
    ends = {}
    for freeze in (True, False):
        torch.manual_seed(0)
        model = _Lookup(freeze)
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], 1e-2)
        g = torch.Generator().manual_seed(0)
        d = gradguard.check(model, _pairs(g), F.cross_entropy, opt)
        if freeze:
            assert d.top is not None and d.top.cause == "init" and d.top.severity == "critical", d.findings
            assert d.top.evidence["frozen_zero_weights"] == ["table.weight"]
            assert not [f for f in d.findings if "no_gradient_share" in f.evidence and f.severity != "info"]
        else:
            assert not [f for f in d.findings if "frozen_zero_weights" in f.evidence]
        # ground truth: the frozen zeros never learn, the same table left trainable does
        losses = _train(model, opt, partial(_pairs, g), F.cross_entropy, 200)
        ends[freeze] = sum(losses[-20:]) / 20
    assert ends[False] < 0.45 < 0.65 < ends[True]
