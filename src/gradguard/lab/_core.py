"""Shared pieces of the lab: the result type, verdicts, seeded models and data, and measurement through a Guard.

Every measurement of gradients and weights goes through :class:`gradguard.Guard` (``policy="monitor"``), so that
the lab measures with the same statistics the library uses in training: ``guard.last_stats.layer_grad_norm`` is
the per-layer gradient norm, ``layer_weight_norm`` the per-layer weight norm.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import TrainingHalted
from ..guard import Guard
from ..policy import Policy
from ..stats import StepStats

__all__ = [
    "Batches",
    "Experiment",
    "LabResult",
    "Plot",
    "Run",
    "Verdict",
    "layer_grad_norms",
    "mlp",
    "regression",
    "train",
]

#: Seeds of the lab: every experiment starts from ``torch.manual_seed(SEED)`` (data generators use ``SEED + k``).
SEED = 0

Batches = Callable[[int], tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class Verdict:
    """``supported``, ``not supported`` or ``depends`` on a condition, decided by thresholds in the experiment."""

    status: str  # "supported" | "not supported" | "depends"
    condition: str = ""

    def __post_init__(self) -> None:
        if self.status not in ("supported", "not supported", "depends"):
            raise ValueError(f"Verdict status {self.status!r} is not supported/not supported/depends")

    def __str__(self) -> str:
        if self.status == "depends":
            return f"depends on {self.condition}"
        return f"{self.status} ({self.condition})" if self.condition else self.status


@dataclass
class Plot:
    """Data for one figure: named series of (x, y) points, drawn as lines (or bars when ``kind="bar"``)."""

    title: str
    xlabel: str
    ylabel: str
    series: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    logx: bool = False
    logy: bool = False
    kind: str = "line"


@dataclass
class LabResult:
    """What one experiment found: the claim, how it was tested, the numbers and the verdict they give."""

    name: str
    claim: str
    source: str
    setup: str
    measured: str
    verdict: Verdict
    headers: list[str]
    rows: list[list[str]]
    plots: list[Plot]
    seconds: float = 0.0


@dataclass(frozen=True)
class Experiment:
    """A named, seeded experiment: ``run(quick)`` returns its :class:`LabResult` (``quick`` shrinks it for tests)."""

    name: str
    title: str
    run: Callable[[bool], LabResult]


def fmt(x: float, digits: int = 2) -> str:
    """A number short enough for a table: ``1.2e+05``, ``0.031``, ``nan``."""
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits + 1}g}"


def regression(d_in: int, d_out: int, *, n: int = 64, seed: int = SEED, target_scale: float = 1.0,
               batches: int = 8) -> Batches:
    """A fixed teacher task: ``y = target_scale * tanh(x W)``, ``batches`` fixed batches of ``n`` rows, cycled."""
    g = torch.Generator().manual_seed(seed + 1000)
    w = torch.randn(d_in, d_out, generator=g) / d_in**0.5
    data = [torch.randn(n, d_in, generator=g) for _ in range(batches)]

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = data[step % batches]
        return x, target_scale * torch.tanh(x @ w)

    return batch


def init_linear(lin: nn.Linear, std_gain: float) -> None:
    """Weights ~ N(0, std_gain^2 / fan_in), bias 0 (He: std_gain = sqrt 2; Xavier for square layers: 1)."""
    nn.init.normal_(lin.weight, std=std_gain / lin.in_features**0.5)
    if lin.bias is not None:
        nn.init.zeros_(lin.bias)


def mlp(depth: int, width: int, act: Callable[[], nn.Module], *, std_gain: float | None = None, norm: bool = False,
        d_in: int = 16, d_out: int = 4) -> nn.Sequential:
    """``depth`` Linear layers (the last one linear), ``act`` between them, optional BatchNorm before each act."""
    dims = [d_in] + [width] * (depth - 1)
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(dims):
        lin = nn.Linear(a, b)
        if std_gain is not None:
            init_linear(lin, std_gain)
        layers += [lin] + ([nn.BatchNorm1d(b)] if norm else []) + [act()]
    head = nn.Linear(dims[-1], d_out)
    if std_gain is not None:
        init_linear(head, 1.0)
    layers.append(head)
    return nn.Sequential(*layers)


def linear_names(model: nn.Module) -> list[str]:
    """Qualified names of the model's Linear layers, input side first (the guard names layers the same way)."""
    return [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]


def layer_grad_norms(model: nn.Module, loss: torch.Tensor, layers: Sequence[str] | None = None) -> np.ndarray:
    """Per-layer gradient norms of ``loss`` as the guard measures them (one monitored step with lr = 0).

    ``layers`` picks and orders layers by name (default: every layer the guard watches, in model order).
    """
    model.zero_grad(set_to_none=True)
    loss.backward()
    guard = Guard(model, torch.optim.SGD(model.parameters(), lr=0.0), policy="monitor", update_every=0,
                  detectors=[])
    guard.step(loss)
    stats = guard.last_stats
    assert stats is not None
    guard.close()
    model.zero_grad(set_to_none=True)
    norms = stats.layer_grad_norm
    if layers is None:
        return norms
    index = {n: i for i, n in enumerate(guard.layer_names)}
    return np.array([norms[index[n]] for n in layers])


@dataclass
class Run:
    """One monitored training run: the guard's statistics of every step and the events its detectors raised."""

    losses: list[float]
    grad_norms: list[float]
    weight_norms: list[float]
    stats: list[StepStats]
    events: dict[str, int]
    first_event_step: dict[str, int]
    halted: bool = False

    @property
    def finite(self) -> bool:
        """Every loss was finite."""
        return all(math.isfinite(v) for v in self.losses)

    def outcome(self, window: int = 10) -> str:
        """How the run ended: ``"non-finite"``, ``"halted"`` (the guard stopped it), ``"diverged"`` (last-window
        mean loss > 1.5x the first), ``"learned"`` (< 0.9x) or ``"stalled"``."""
        if not self.finite or not self.losses:
            return "non-finite"
        if self.halted:
            return "halted"
        last = float(np.mean(self.losses[-window:]))
        if last > 1.5 * self.losses[0]:
            return "diverged"
        return "learned" if last < 0.9 * self.losses[0] else "stalled"

    def stable(self, window: int = 10) -> bool:
        """Finite throughout and the mean loss of the last ``window`` steps below the first step's loss."""
        if not self.finite or not self.losses or self.halted:
            return False
        return float(np.mean(self.losses[-window:])) < self.losses[0]


def train(model: nn.Module, optimizer: torch.optim.Optimizer, batches: Batches, steps: int, *,
          policy: str | Policy = "monitor", loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
          penalty: Callable[[nn.Module], torch.Tensor] | None = None,
          before_step: Callable[[nn.Module], Any] | None = None, stop_on_nonfinite: bool = True) -> Run:
    """Train ``steps`` steps under a Guard and keep its statistics and event counts.

    ``penalty(model)`` is added to the loss (L1/L2 regularisation); ``before_step(model)`` runs between backward
    and ``guard.step`` (e.g. value clipping). A run whose loss turns non-finite stops there (its weights are gone).
    """
    loss_fn = loss_fn or nn.functional.mse_loss
    guard = Guard(model, optimizer, policy=policy, update_every=0)
    run = Run([], [], [], [], {}, {})
    for step in range(steps):
        x, y = batches(step)
        loss = loss_fn(model(x), y)
        if penalty is not None:
            loss = loss + penalty(model)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if before_step is not None:
            before_step(model)
        try:
            report = guard.step(loss)
        except TrainingHalted:
            run.halted = True  # the guard refused to go on (endless skipped steps): an unstable run
            run.losses.append(float(loss.detach()))
            break
        stats = guard.last_stats
        assert stats is not None
        run.stats.append(stats)
        run.losses.append(float(loss.detach()))
        run.grad_norms.append(stats.grad_norm)
        run.weight_norms.append(float(np.sqrt(np.sum(np.square(stats.layer_weight_norm)))))
        for event in report.events:
            run.events[event.kind] = run.events.get(event.kind, 0) + 1
            run.first_event_step.setdefault(event.kind, step)
        if stop_on_nonfinite and not math.isfinite(run.losses[-1]):
            break
    guard.close()
    return run


def largest_stable(values: Sequence[float], stable: Sequence[bool]) -> float:
    """The largest value whose run was stable with every smaller value stable too (NaN if the smallest fails)."""
    best = float("nan")
    for v, ok in zip(values, stable):
        if not ok:
            break
        best = v
    return best
