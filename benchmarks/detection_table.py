"""Detection accuracy as tables: each fault's first accepted event against the step the plain run fails, and the
events on healthy runs as false alarms per 1,000 steps.

    python benchmarks/detection_table.py                      # the detection zoo (tests/detection_zoo.py)
    python benchmarks/detection_table.py --corpus dev         # + the judgment corpus' development half
    python benchmarks/detection_table.py --corpus heldout     # + its held-out half (scored only, never tuned on)

Every run is observe-only (``policy="monitor"``: events, no change to training); the zoo's deadline is the first
step whose loss is non-finite or above twice its first value (or the case's own ``by_step``), the corpus' the plain
run's failure step (``tests/judgment_corpus``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from detection_zoo import FAULTS, HEALTHY, Case, first_diverged
from gradguard import Guard

GUARD_ACTIONS = ("clip", "skip", "rollback", "lr_change")


def run_zoo(case: Case) -> tuple[list, list[float]]:
    guard = Guard(case.model, case.optimizer, policy="monitor", scheduler=case.scheduler)
    events, losses = [], []
    for step in range(case.steps):
        x, y = case.batches(step)
        loss = case.loss_fn(case.model(x), y)
        loss.backward()
        if case.clip is not None:
            torch.nn.utils.clip_grad_norm_(case.model.parameters(), case.clip)
        events.extend(guard.step(loss).events)
        case.optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        bad = first_diverged(losses)
        if bad is not None and not math.isfinite(losses[bad]) and step > bad + 3:
            break
    guard.close()
    return events, losses


def _tag(e: Any) -> str:
    detail = e.evidence.get("mode") or ",".join(e.evidence.get("rules", []))
    return f"step {e.step}: {e.kind}" + (f" ({detail})" if detail else "")


class Tally:
    def __init__(self) -> None:
        self.steps = self.events = self.alarmed = self.runs = 0

    def add(self, steps: int, events: int) -> None:
        self.steps += steps
        self.events += events
        self.alarmed += bool(events)
        self.runs += 1

    def line(self, what: str) -> str:
        rate = 1000.0 * self.events / max(self.steps, 1)
        return (f"{what}: {self.events} events on {self.alarmed}/{self.runs} healthy runs over {self.steps} steps "
                f"= {rate:.2f} false alarms per 1,000 healthy steps")


def zoo_table() -> None:
    print("| case | accepted kinds | deadline | first accepted event | verdict |")
    print("|---|---|---|---|---|")
    tally = Tally()
    for make in FAULTS + HEALTHY:
        case = make()
        events, losses = run_zoo(case)
        if not case.kinds:
            tally.add(len(losses), len(events))
            verdict = "ok: no event" if not events else f"FALSE ALARM: {[_tag(e) for e in events][:3]}"
            print(f"| {case.name} | (healthy, {len(losses)} steps) | – | {len(events)} events | {verdict} |",
                  flush=True)
            continue
        hits = [e for e in events
                if e.kind in case.kinds and (case.mode is None or e.evidence.get("mode") == case.mode)]
        hit = hits[0] if hits else None
        deadline = case.by_step if case.by_step is not None else first_diverged(losses)
        if case.fault_step is not None:
            in_time = hit is not None and case.fault_step <= hit.step <= case.fault_step + 2
            shown = f"fault at {case.fault_step}"
        else:
            in_time = hit is not None and (deadline is None or hit.step <= deadline)
            shown = "–" if deadline is None else str(deadline)
        kinds = ", ".join(sorted(case.kinds)) + (f" ({case.mode})" if case.mode else "")
        print(f"| {case.name} | {kinds} | {shown} | {_tag(hit) if hit else 'none'} | "
              f"{'ok' if in_time else 'MISSED'} |", flush=True)
    print()
    print(tally.line("zoo"))


def corpus_table(half: str) -> None:
    from judgment_corpus import CORPUS, train_plain
    from judgment_corpus.judge import run_guarded

    print(f"\nJudgment corpus, {half} half (detection only):\n")
    print("| model | accepted kinds | plain failure step | first accepted event | first event | verdict |")
    print("|---|---|---|---|---|---|")
    tally = Tally()
    timely = broken = 0
    for case in [c for c in CORPUS if c.half == half]:
        run = run_guarded(case)
        first_any = run.first()
        if case.healthy:
            tally.add(len(run.losses), len(run.events))
            verdict = "ok" if first_any is None else "FALSE ALARM"
            shown = "none" if first_any is None else f"{first_any[1]} @{first_any[0]} ({len(run.events)} events)"
            print(f"| {case.name} | (healthy, {len(run.losses)} steps) | – | – | {shown} | {verdict} |", flush=True)
            continue
        fail = train_plain(case).failure_step(case.trouble)
        first = run.first(case.events)
        ok = first is not None and (fail is None or first[0] <= fail)
        broken += 1
        timely += ok
        print(f"| {case.name} | {', '.join(case.events)} | {'–' if fail is None else fail} | "
              f"{'none' if first is None else f'{first[1]} @{first[0]}'} | "
              f"{'none' if first_any is None else f'{first_any[1]} @{first_any[0]}'} | {'ok' if ok else 'MISS'} |",
              flush=True)
    print()
    print(tally.line(f"corpus {half}") + f"; broken caught in time: {timely}/{broken}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["none", "dev", "heldout", "both"], default="none")
    parser.add_argument("--no-zoo", action="store_true", help="only the corpus tables")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    print(f"torch {torch.__version__}; each case seeded; observe-only guard (policy='monitor')\n")
    if not args.no_zoo:
        zoo_table()
    for half in {"none": [], "dev": ["dev"], "heldout": ["heldout"], "both": ["dev", "heldout"]}[args.corpus]:
        corpus_table(half)
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
