"""Spikes benchmark: gradguard's mitigation presets against plain, fixed and published adaptive clipping.

Deterministic seeded CPU runs of three faults:

(a) ``outliers``: about 3% of the batches have inputs and targets scaled 20-100x (regression MLP, Adam);
(b) ``high_lr``: a 10-layer ReLU MLP trained with Adam at a learning rate that is too high (0.05);
(c) ``nan_grads``: a NaN written into one gradient element on 1% of the steps (MLP, Adam).

Methods: no clipping; ``clip_grad_norm_(1.0)``; the published ``zclip`` and ``autoclip`` packages where they are
installed (``pip install zclip autoclip``; skipped otherwise); gradguard's ``monitor``, ``safe`` and ``recover``.
Columns: final loss (mean of the last 20 steps' loss on a fixed clean evaluation batch; ``nan`` when the weights
are not finite), steps after which some weight was non-finite, loss spikes (evaluation loss non-finite or above
3x the median of the previous 20), wall time.

Each run is repeated over seeds 0..N-1 (``--seeds``, default 5): the too-high learning rate is a lottery on any
one seed (whether the deep ReLU net dies early depends on the exact trajectory), so one seed says little. The
verdict lines compare the mean final loss of ``safe`` and ``recover`` with the best peer's.

Run: ``python benchmarks/spikes.py`` (about 5 minutes on 2 cores). ``--steps N`` changes the run length.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

import gradguard

D_IN = 16


@dataclass(frozen=True)
class Scenario:
    name: str
    depth: int
    width: int
    make_opt: Callable[[nn.Module], torch.optim.Optimizer]
    outlier_rate: float = 0.0
    nan_rate: float = 0.0


SCENARIOS = [
    Scenario("outliers", depth=4, width=64, make_opt=lambda m: torch.optim.Adam(m.parameters(), lr=2e-3),
             outlier_rate=0.03),
    Scenario("high_lr", depth=10, width=64, make_opt=lambda m: torch.optim.Adam(m.parameters(), lr=0.05)),
    Scenario("nan_grads", depth=4, width=64, make_opt=lambda m: torch.optim.Adam(m.parameters(), lr=2e-3),
             nan_rate=0.01),
]


def mlp(depth: int, width: int, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Linear(D_IN, width), nn.ReLU()]
    for _ in range(depth - 2):
        layers += [nn.Linear(width, width), nn.ReLU()]
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


class Task:
    """A fixed random teacher; batches are drawn from a seeded generator, so every method sees the same data."""

    def __init__(self, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.w1 = torch.randn(D_IN, 32, generator=g) / math.sqrt(D_IN)
        self.w2 = torch.randn(32, 1, generator=g) / math.sqrt(32)
        self.eval_x = torch.randn(512, D_IN, generator=g)
        self.eval_y = self.target(self.eval_x)

    def target(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.w1) @ self.w2

    def batch(self, step: int, sc: Scenario, seed: int) -> tuple[torch.Tensor, torch.Tensor, bool, bool]:
        g = torch.Generator().manual_seed(seed * 100_003 + step)
        x = torch.randn(64, D_IN, generator=g)
        y = self.target(x) + 0.05 * torch.randn(64, 1, generator=g)
        u = torch.rand(3, generator=g)
        outlier = bool(u[0] < sc.outlier_rate)
        if outlier:
            scale = 20 + 80 * float(u[1])
            x, y = x * scale, y * scale
        return x, y, outlier, bool(u[2] < sc.nan_rate)


def make_method(name: str, model: nn.Module, opt: torch.optim.Optimizer) -> Callable[[torch.Tensor], None] | None:
    """A function ``after_backward(loss)`` that clips and steps the optimizer, or None if unavailable."""
    if name == "none":
        return lambda loss: opt.step()
    if name == "clip_norm_1":
        def clip_step(loss: torch.Tensor) -> None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        return clip_step
    if name == "zclip":
        try:
            from zclip import ZClip
        except ImportError:
            return None
        zc = ZClip()

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
    guard = gradguard.Guard(model, opt, policy=preset, update_every=0)
    return lambda loss: guard.step(loss)  # type: ignore[func-returns-value]


METHODS = ["none", "clip_norm_1", "zclip", "autoclip", "gradguard:monitor", "gradguard:safe", "gradguard:recover"]


def run(sc: Scenario, method: str, steps: int, seed: int = 0) -> dict[str, float] | None:
    model = mlp(sc.depth, sc.width, seed)
    opt = sc.make_opt(model)
    step_fn = make_method(method, model, opt)
    if step_fn is None:
        return None
    task = Task(seed)
    evals: list[float] = []
    nonfinite_steps = spikes = 0
    start = time.perf_counter()
    for step in range(steps):
        x, y, _, inject_nan = task.batch(step, sc, seed)
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if inject_nan:
            params = [p for p in model.parameters() if p.grad is not None]
            params[step % len(params)].grad.view(-1)[0] = float("nan")  # type: ignore[union-attr]
        try:
            step_fn(loss.detach())
        except gradguard.TrainingHalted:
            evals += [math.nan] * (steps - step)
            break
        with torch.no_grad():
            finite = all(bool(torch.isfinite(p).all()) for p in model.parameters())
            nonfinite_steps += not finite
            ev = float(nn.functional.mse_loss(model(task.eval_x), task.eval_y)) if finite else math.nan
        history = [e for e in evals[-20:] if math.isfinite(e)]
        if not math.isfinite(ev) or (len(history) >= 5 and ev > 3 * statistics.median(history)):
            spikes += 1
        evals.append(ev)
    wall = time.perf_counter() - start
    last = evals[-20:]
    final = statistics.fmean(last) if all(math.isfinite(e) for e in last) else math.nan
    return {"final": final, "nonfinite": nonfinite_steps, "spikes": spikes, "wall": wall}


PEERS = ["none", "clip_norm_1", "zclip", "autoclip"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--seeds", type=int, default=5, help="seeds per run (default 5)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (default 0)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.set_flush_denormal(True)  # dying deep ReLU nets otherwise crawl through denormal arithmetic
    warnings.filterwarnings("ignore")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    rows, verdicts = [], []
    for sc in SCENARIOS:
        means: dict[str, float] = {}
        for method in METHODS:
            results = [run(sc, method, args.steps, seed) for seed in seeds]
            if any(r is None for r in results):
                rows.append(f"| {sc.name} | {method} | not installed | | | | | |")
                continue
            finals = [r["final"] for r in results if r is not None]
            means[method] = statistics.fmean(finals)
            med = statistics.median(finals) if all(math.isfinite(f) for f in finals) else math.nan
            per_seed = " ".join(f"{f:.3g}" for f in finals)
            rows.append(f"| {sc.name} | {method} | {means[method]:.4g} | {med:.4g} | {per_seed} "
                        f"| {sum(r['nonfinite'] for r in results if r)} | {sum(r['spikes'] for r in results if r)} "
                        f"| {sum(r['wall'] for r in results if r):.1f} s |")
        peers = {m: v for m, v in means.items() if m in PEERS and math.isfinite(v)}
        best = min(peers, key=peers.__getitem__) if peers else None
        for preset in ("gradguard:safe", "gradguard:recover"):
            if preset in means:
                ok = best is None or means[preset] <= peers[best]
                against = f"best peer {best} {peers[best]:.4g}" if best else "every peer non-finite"
                verdicts.append(f"{sc.name}: {preset} mean {means[preset]:.4g} vs {against}: "
                                f"{'at least as good' if ok else 'WORSE'}")
    print(f"{args.steps} steps per run, seeds {seeds[0]}-{seeds[-1]}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads\n")
    print("| run | method | final loss (mean over seeds) | median | per seed | steps with non-finite weights "
          "(all seeds) | loss spikes (all seeds) | wall time (all seeds) |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
