"""The small seeded runs of ``benchmarks/spikes.py``: models, data, faults and the clipping methods compared.

Every method sees the same data: batches are drawn from a generator seeded by (seed, step), and the model's
initial weights come from ``torch.manual_seed(seed)``.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

import gradguard
from gradguard.policy import recover, safe

D_IN = 16
CLASSES = 10
StepFn = Callable[[torch.Tensor], object]


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    depth: int
    width: int
    make_opt: Callable[[nn.Module], torch.optim.Optimizer]
    act: str = "relu"
    classify: bool = False
    outlier_rate: float = 0.0
    bad_batch_rate: float = 0.0  # a batch whose inputs hold a NaN or an Inf
    clip: float = 1.0  # the user's fixed clip (clip_grad_norm_ and the max_norm form)


def _sgd(lr: float, momentum: float = 0.0) -> Callable[[nn.Module], torch.optim.Optimizer]:
    return lambda m: torch.optim.SGD(m.parameters(), lr=lr, momentum=momentum)


SCENARIOS = [
    Scenario("outliers_sgd", "outlier batches (3% ×20–100), SGD 0.01 + momentum 0.9, 4-layer ReLU MLP", 4, 64,
             _sgd(0.01, 0.9), outlier_rate=0.03),
    Scenario("outliers_adamw", "outlier batches (3% ×20–100), AdamW 2e-3, 4-layer ReLU MLP", 4, 64,
             lambda m: torch.optim.AdamW(m.parameters(), lr=2e-3), outlier_rate=0.03),
    Scenario("tanh_sgd_high_lr", "too-high LR: SGD 0.5 + momentum 0.9, 12-layer tanh MLP", 12, 64,
             _sgd(0.3, 0.9), act="tanh"),
    Scenario("relu_adam_high_lr", "too-high LR: Adam 0.05, 10-layer ReLU MLP", 10, 64,
             lambda m: torch.optim.Adam(m.parameters(), lr=0.05)),
    Scenario("nan_inf_batch", "NaN/Inf batch (1% of batches), Adam 2e-3, 4-layer ReLU MLP", 4, 64,
             lambda m: torch.optim.Adam(m.parameters(), lr=2e-3), bad_batch_rate=0.01),
    Scenario("stuck_at_chance", "stuck at chance: SGD lr 8, 4-layer ReLU MLP, 10 classes", 4, 64,
             _sgd(8.0), classify=True),
]


def mlp(sc: Scenario, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    act: type[nn.Module] = nn.Tanh if sc.act == "tanh" else nn.ReLU
    layers: list[nn.Module] = [nn.Linear(D_IN, sc.width), act()]
    for _ in range(sc.depth - 2):
        layers += [nn.Linear(sc.width, sc.width), act()]
    layers.append(nn.Linear(sc.width, CLASSES if sc.classify else 1))
    return nn.Sequential(*layers)


class Task:
    """A fixed random teacher (regression, or its 10-class argmax); batches come from a (seed, step) generator."""

    def __init__(self, sc: Scenario, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.sc = sc
        out = CLASSES if sc.classify else 1
        self.w1 = torch.randn(D_IN, 32, generator=g) / math.sqrt(D_IN)
        self.w2 = torch.randn(32, out, generator=g) / math.sqrt(32)
        self.eval_x = torch.randn(512, D_IN, generator=g)
        self.eval_y = self.target(self.eval_x)

    def target(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.tanh(x @ self.w1) @ self.w2
        return y.argmax(dim=1) if self.sc.classify else y

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(out, y) if self.sc.classify else nn.functional.mse_loss(out, y)

    def batch(self, step: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(seed * 100_003 + step)
        x = torch.randn(64, D_IN, generator=g)
        y = self.target(x)
        if not self.sc.classify:
            y = y + 0.05 * torch.randn(64, 1, generator=g)
        u = torch.rand(3, generator=g)
        if u[0] < self.sc.outlier_rate:
            scale = 20 + 80 * float(u[1])
            x = x * scale
            y = y if self.sc.classify else y * scale
        if u[2] < self.sc.bad_batch_rate:
            x = x.clone()
            x[0, 0] = math.nan if step % 2 else math.inf
        return x, y


def make_method(name: str, model: nn.Module, opt: torch.optim.Optimizer, clip: float) -> StepFn | None:
    """A function ``after_backward(loss)`` that clips and steps the optimizer, or None if unavailable.

    ``clip`` is the user's fixed clip: ``clip_norm`` is ``clip_grad_norm_(clip)``, ``gradguard:safe@clip`` is
    ``safe(max_norm=clip)``. A guarded run may raise :class:`gradguard.TrainingHalted`.
    """
    if name == "none":
        return lambda loss: opt.step()
    if name == "clip_norm":
        def clip_step(loss: torch.Tensor) -> None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
        return clip_step
    if name in ("zclip", "zclip_adaptive"):
        try:
            from zclip import ZClip
        except ImportError:
            return None
        # ZClip() clips every step to min(its adaptive threshold, max_grad_norm=1.0): a fixed clip at 1.0 is part of
        # its default; "zclip_adaptive" is its adaptive rule alone (max_grad_norm=None)
        zc = ZClip() if name == "zclip" else ZClip(max_grad_norm=None)

        def zclip_step(loss: torch.Tensor) -> None:
            zc.step(model)
            opt.step()
        return zclip_step
    if name == "autoclip":
        try:
            from autoclip.torch import QuantileClip
        except ImportError:
            return None
        clipper = QuantileClip(model.parameters(), quantile=0.9, history_length=1000)

        def autoclip_step(loss: torch.Tensor) -> None:
            clipper.step()
            opt.step()
        return autoclip_step
    preset = name.split(":", 1)[1]
    factory = {"safe": safe, "recover": recover}
    base = preset.partition("@")[0]
    policy: gradguard.Policy | str = preset
    if base in factory:
        policy = factory[base](max_norm=clip if "@" in preset else None)
    guard = gradguard.Guard(model, opt, policy=policy, update_every=10)  # the default: not_learning needs it
    return lambda loss: guard.step(loss)


def run(sc: Scenario, method: str, steps: int, seed: int = 0) -> dict[str, float] | None:
    """One seeded run: final loss (mean eval loss of the last 20 steps; nan if the weights are not finite or the
    guard halted), steps with non-finite weights, eval-loss spikes (non-finite or > 3x the median of the previous
    20), wall time in seconds."""
    model = mlp(sc, seed)
    opt = sc.make_opt(model)
    step_fn = make_method(method, model, opt, sc.clip)
    if step_fn is None:
        return None
    task = Task(sc, seed)
    evals: list[float] = []
    nonfinite_steps = spikes = 0
    start = time.perf_counter()
    for step in range(steps):
        x, y = task.batch(step, seed)
        loss = task.loss(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        try:
            step_fn(loss.detach())
        except gradguard.TrainingHalted:
            evals += [math.nan] * (steps - step)
            break
        with torch.no_grad():
            finite = all(bool(torch.isfinite(p).all()) for p in model.parameters())
            nonfinite_steps += not finite
            ev = float(task.loss(model(task.eval_x), task.eval_y)) if finite else math.nan
        history = [e for e in evals[-20:] if math.isfinite(e)]
        if not math.isfinite(ev) or (len(history) >= 5 and ev > 3 * statistics.median(history)):
            spikes += 1
        evals.append(ev)
    wall = time.perf_counter() - start
    last = evals[-20:]
    final = statistics.fmean(last) if all(math.isfinite(e) for e in last) else math.nan
    return {"final": final, "nonfinite": nonfinite_steps, "spikes": spikes, "wall": wall}
