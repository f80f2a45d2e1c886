"""What the screens cost on the reference models: overhead_ab.py's method (interleaved rounds on this thread's CPU
clock, the median of per-round ratios with a 95% bootstrap interval), for the two Adam-state readers of issue 17.

- ``--what cap``: ``recover`` against ``recover + update_cap()`` (its host screen) and ``recover +
  update_cap(screen=False)`` (Adam's state read every applied step); the cap's own time inside ``guard.step``
  (``layer_scales``, median and mean per step).
- ``--what detector``: ``Guard(policy="monitor")`` against the same guard with ``AdamStatePrecursor`` (screened: a
  quiet step reads nothing) and ``AdamStatePrecursor(screen=False)``; the detector's own time per call.

The reference models are ``benchmarks/overhead.py``'s (``mlp 6x512, batch 256``; ``transformer 4x256, seq 64, batch
32``), AdamW lr 1e-4, one torch thread. Healthy runs: no window opens and no event is raised, so the variants train
identically and only the cost differs.

    python benchmarks/precursor_cost_ab.py --what cap --rounds 60
    python benchmarks/precursor_cost_ab.py --what detector --rounds 60
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from gradguard import Guard, StepStats
from gradguard.policy import Chain, recover
from gradguard.precursors import AdamStatePrecursor, update_cap
from overhead import MODELS  # the reference models (this folder is on sys.path when run as a script)
from overhead_ab import _boot_median

CLOCK = time.thread_time


class _Timed:
    """A detector proxy that keeps its detector's CPU time per call."""

    def __init__(self, inner: AdamStatePrecursor) -> None:
        self.inner, self.calls = inner, []  # type: ignore[var-annotated]

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Any]:
        t0 = CLOCK()
        out = self.inner(stats, layer_names)
        self.calls.append(CLOCK() - t0)
        return out

    def state_dict(self) -> dict[str, Any]:
        return self.inner.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.inner.load_state_dict(state)


def make(model: nn.Module, what: str, variant: str) -> tuple[Callable[..., None], list[float], Any]:
    """A training step on ``model`` under ``variant`` ("base", "screen", "every"); its reader's own times per step;
    the reader (the cap or the detector; None for "base")."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    own: list[float] = []
    reader: Any = None
    if what == "cap":
        cap = None if variant == "base" else update_cap(screen=variant == "screen")
        guard = Guard(model, opt, policy=recover() if cap is None else Chain(*recover().policies, cap))  # type: ignore[attr-defined]
        if cap is not None:
            inner = cap.layer_scales

            def scales() -> dict[str, float]:
                t0 = CLOCK()
                out = inner()
                own.append(CLOCK() - t0)
                return out

            cap.layer_scales = scales  # type: ignore[method-assign]
        reader = cap
    else:
        guard = Guard(model, opt, policy="monitor", update_every=0)
        if variant != "base":
            timed = _Timed(AdamStatePrecursor(model, opt, screen=variant == "screen"))
            guard.detectors.append(timed)
            own = timed.calls
            reader = timed.inner

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        guard.step(loss)
        opt.zero_grad(set_to_none=True)

    return step, own, reader


def run(name: str, what: str, rounds: int, steps: int, warmup: int) -> None:
    torch.manual_seed(0)
    base, data = MODELS[name]()
    x, y = data()
    variants = ("base", "screen", "every")
    made = {v: make(copy.deepcopy(base), what, v) for v in variants}
    for _ in range(warmup):
        for fn, _own, _reader in made.values():
            fn(x, y)
    for _fn, own, _reader in made.values():
        own.clear()
    ratios: dict[str, list[float]] = {"screen": [], "every": []}
    base_times = []
    for r in range(rounds):
        t: dict[str, float] = {}
        for v in (variants if r % 2 == 0 else variants[::-1]):
            t0 = CLOCK()
            for _ in range(steps):
                made[v][0](x, y)
            t[v] = CLOCK() - t0
        base_times.append(t["base"] / steps)
        for v in ratios:
            ratios[v].append(t[v] / t["base"])
    ref = statistics.median(base_times)
    label = "recover" if what == "cap" else "Guard(policy='monitor')"
    print(f"{name}: {label} {ref * 1e3:.2f} ms/step (CPU clock)")
    for v, rs in ratios.items():
        lo, hi = _boot_median(rs)
        own, reader = made[v][1], made[v][2]
        med, mean = statistics.median(own), statistics.mean(own)
        what_label = f"update_cap(screen={v == 'screen'})" if what == "cap" else \
            f"AdamStatePrecursor(screen={v == 'screen'})"
        extra = f"; windows {len(reader.opened)}" if what == "cap" else ""
        print(f"  + {what_label}: whole-step ratio {statistics.median(rs):.4f} [{lo:.4f}-{hi:.4f}]; own time "
              f"median {med * 1e6:.0f} us ({med / ref * 100:.2f}%), mean {mean * 1e6:.0f} us "
              f"({mean / ref * 100:.2f}%); reads of Adam's state {reader.reads}{extra}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--what", choices=["cap", "detector"], default="cap")
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--steps", type=int, default=2, help="steps per variant per round")
    ap.add_argument("--warmup", type=int, default=30)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"load average at start {os.getloadavg()[0]:.1f}; {args.rounds} rounds x {args.steps} steps, interleaved")
    for name in MODELS:
        if not name.startswith("small"):
            run(name, args.what, args.rounds, args.steps, args.warmup)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
