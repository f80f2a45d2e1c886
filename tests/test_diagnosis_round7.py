"""The seventh round's diagnosis change (issue 12): a normalisation that reads the chain's first layer's output at
once sets the stream's scale whatever that layer's init, so the gradient's growth across it (RWKV's "SmallInit"
embedding at +-1e-4 followed by a LayerNorm: ~4 decades) is not compounding through depth; a stack that compounds
behind such a LayerNorm is still measured."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check
from gradguard.diagnosis.batch import resolve_step
from gradguard.diagnosis.probe import run_probe
from gradguard.diagnosis.propagation import analyse_propagation


class _SmallInitMLPLM(nn.Module):
    """Embedding (uniform +-``emb``) -> LayerNorm -> ``depth`` residual GELU MLP blocks (pre-LN) -> head; or, with
    ``residual=False``, a plain tanh stack at ``gain`` x Xavier (a stack that really compounds)."""

    def __init__(self, emb: float = 1e-4, depth: int = 6, residual: bool = True, gain: float = 1.0) -> None:
        super().__init__()
        self.emb = nn.Embedding(32, 32)
        nn.init.uniform_(self.emb.weight, -emb, emb)
        self.ln = nn.LayerNorm(32)
        self.residual = residual
        self.blocks = nn.ModuleList([nn.Linear(32, 32) for _ in range(depth)])
        self.norms = nn.ModuleList([nn.LayerNorm(32) for _ in range(depth)])
        for b in self.blocks:
            nn.init.xavier_normal_(b.weight, gain=gain)
        self.head = nn.Linear(32, 32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln(self.emb(x))
        for block, norm in zip(self.blocks, self.norms, strict=True):
            h = h + F.gelu(block(norm(h))) if self.residual else torch.tanh(block(h))
        return self.head(h)


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 32, (16, 12), generator=g), torch.randint(0, 32, (16, 12), generator=g)


def _loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def test_small_init_embedding_read_by_a_layernorm_is_not_depth() -> None:
    torch.manual_seed(0)
    model = _SmallInitMLPLM()
    probe = run_probe(model, resolve_step(_batch(), _loss, None))
    prop = analyse_propagation(probe)
    emb = next(r for r in prop.chain if r.name == "emb")
    last = prop.chain[-1]
    raw = torch.log10(torch.tensor(emb.grad_out / last.grad_out)).item()
    assert raw > 3.0  # the LayerNorm scales the gradient up by ~1/rms(embedding) on its way into it
    assert prop.backward is not None and prop.backward < raw - 2.0, (raw, prop.backward)  # after the LayerNorm
    d = check(model, _batch(), _loss, torch.optim.AdamW(model.parameters(), lr=6e-4))
    assert not [f for f in d.findings if f.cause in ("depth", "normalization") and f.severity != "info"], d.findings


def test_a_stack_that_compounds_behind_the_layernorm_is_still_measured() -> None:
    torch.manual_seed(0)
    model = _SmallInitMLPLM(emb=1.0, depth=12, residual=False, gain=0.3)  # tanh at 0.3x Xavier: shrinks ~12 x 0.5
    probe = run_probe(model, resolve_step(_batch(), _loss, None))
    prop = analyse_propagation(probe)
    assert prop.backward is not None and prop.backward < -3.0, prop.backward


class _GatedBranchLM(nn.Module):
    """Embedding -> a residual branch ``x + 1e-5 * fc(LayerNorm(x))`` (PoolFormer's LayerScale at 1e-5) -> head: the
    LayerNorm reads the embedding's output first, but the embedding's gradient comes through the skip path."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(32, 32)
        self.norm = nn.LayerNorm(32)
        self.fc = nn.Linear(32, 32)
        self.scale = nn.Parameter(torch.full((32,), 1e-5))
        self.mid = nn.Linear(32, 32)
        self.head = nn.Linear(32, 32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x)
        h = h + self.scale * self.fc(self.norm(h))
        return self.head(F.gelu(self.mid(h)))


def test_a_normalisation_on_a_gated_branch_is_not_the_start() -> None:
    from gradguard.diagnosis.propagation import _normalised_start

    torch.manual_seed(0)
    probe = run_probe(_GatedBranchLM(), resolve_step(_batch(), _loss, None))
    prop = analyse_propagation(probe)
    names = [r.name for r in prop.chain]
    first = names.index("emb")
    assert _normalised_start(probe, prop.chain, first) is None  # its input gradient is the skip path's, not its own
    assert prop.backward is not None and abs(prop.backward) < 2.0, prop.backward


# ---- weight decay judged at the schedule's peak lr ------------------------------------------------------------------

def _warmup(opt: torch.optim.Optimizer, steps: int = 20) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / steps))


def test_scheduler_peak_lrs_reads_ahead_and_puts_the_scheduler_back() -> None:
    from gradguard.diagnosis.schedule import scheduler_peak_lrs

    model = nn.Linear(4, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    assert scheduler_peak_lrs(_warmup(opt), opt) == [1e-3]  # LambdaLR: its lambda read over the horizon
    assert opt.param_groups[0]["lr"] == 1e-3 / 20
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=1000)
    before, lr0 = sched.state_dict(), opt.param_groups[0]["lr"]
    peak = scheduler_peak_lrs(sched, opt)
    assert peak is not None and abs(peak[0] - 0.5) < 1e-6  # stepped ahead ...
    assert sched.state_dict() == before and opt.param_groups[0]["lr"] == lr0  # ... and put back exactly
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)
    assert scheduler_peak_lrs(plateau, opt) is None  # needs a metric to step: not read
    assert scheduler_peak_lrs(None, opt) is None


def test_weight_decay_under_warm_up_is_judged_at_the_peak_lr() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
    x, y = torch.randn(64, 16), torch.randint(0, 4, (64,))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=50.0)  # meant 0.05: 5% per step at the peak
    d = check(model, (x, y), F.cross_entropy, opt, scheduler=_warmup(opt))
    reg = [f for f in d.findings if f.cause == "regularization" and f.severity != "info"]
    assert reg and reg[0].evidence["peak_lr_over_checked_lr"] == 20.0, d.findings
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    d = check(model, (x, y), F.cross_entropy, opt, scheduler=_warmup(opt))
    assert not [f for f in d.findings if f.cause == "regularization" and f.severity != "info"], d.findings
