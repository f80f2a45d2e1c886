"""The detection zoo as a table: each fault, the first event of an accepted kind, and when the loss went bad.

    python benchmarks/detection_table.py
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from detection_zoo import FAULTS, HEALTHY, Case
from gradguard import Guard


def run(case: Case) -> tuple[list, int | None, float]:
    guard = Guard(case.model, case.optimizer, policy="monitor")
    events, first_bad = [], None
    t0 = time.perf_counter()
    for step in range(case.steps):
        x, y = case.batches(step)
        loss = case.loss_fn(case.model(x), y)
        loss.backward()
        events.extend(guard.step(loss).events)
        case.optimizer.zero_grad(set_to_none=True)
        if first_bad is None and not math.isfinite(loss.item()):
            first_bad = step
        if first_bad is not None and step > first_bad + 3:
            break
    return events, first_bad, time.perf_counter() - t0


def main() -> None:
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}; each case seeded; observe-only guard (policy='monitor')\n")
    print("| case | accepted kinds | fault injected at | first accepted event | loss first non-finite | verdict |")
    print("|---|---|---|---|---|---|")
    for make in FAULTS + HEALTHY:
        case = make()
        events, first_bad, _ = run(case)
        if not case.kinds:
            verdict = "ok: no event" if not events else f"FALSE ALARM: {[(e.step, e.kind) for e in events][:3]}"
            print(f"| {case.name} | (healthy, {case.steps} steps) | – | {len(events)} events | "
                  f"{first_bad if first_bad is not None else '–'} | {verdict} |")
            continue
        hit = next((e for e in events if e.kind in case.kinds), None)
        in_time = hit is not None and (first_bad is None or hit.step <= first_bad) and (
            case.fault_step is None or case.fault_step <= hit.step <= case.fault_step + 2)
        first = f"step {hit.step}: {hit.kind} ({', '.join(hit.layers[:2]) or 'global'})" if hit else "none"
        print(f"| {case.name} | {', '.join(sorted(case.kinds))} | "
              f"{case.fault_step if case.fault_step is not None else '–'} | {first} | "
              f"{first_bad if first_bad is not None else 'never'} | {'ok' if in_time else 'MISSED'} |", flush=True)


if __name__ == "__main__":
    main()
