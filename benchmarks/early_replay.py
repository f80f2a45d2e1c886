"""The cheap A/B of an early-step loss detector rule (issue 12): record each corpus case's first steps once, then
replay the loss detectors on the recording, old code against new, in seconds.

``record`` trains every case of the judgment corpus (seeds 0 and 1 by default) for ``--steps`` steps (default 21: the
divergence detector's early rule covers steps 1-19) under a monitoring guard and writes, per run, the loss and the
global gradient norm of each step (a monitor trains exactly as the plain run does). ``replay`` feeds them to the
detectors that read only the loss, the gradient norm and the step (``divergence``, ``loss_spike``) and writes the
first step each one fires per run; ``--against OLD.json`` lists the runs whose first step moved (run the old code with
``PYTHONPATH=<old src>``). Runs whose first step moved are then worth judging in full (``judgment_table.py --only``):
the plain run's failure step and the other detectors decide whether a later event is late.

Run: ``python benchmarks/early_replay.py record traces.jsonl [--steps 21] [--half H ...] [--seed 0 1]`` (all 1,000
cases, seeds 0 and 1: about 8 minutes on a free core), then ``python benchmarks/early_replay.py replay traces.jsonl
new.json [--against old.json]``. Session 26: an early-jump rule measured against the highest loss so far moved 11 of
2,000 runs (one healthy false alarm gone, 10 broken runs later; judged in full, 7 became late) and was dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import gradguard
from gradguard.detectors import DivergenceDetector, LossSpikeDetector

#: detectors replayed: they read only ``loss``, ``grad_norm``, ``lrs`` and ``step`` of a step's statistics
DETECTORS = {"divergence": DivergenceDetector, "loss_spike": LossSpikeDetector}


def record(out: str, steps: int, halves: list[str] | None, seeds: list[int]) -> None:
    """Append one line per (case, seed) to ``out``: ``{name, half, seed, healthy, rows: [[loss, grad_norm], ...]}``."""
    from judgment_corpus import ALL

    torch.set_num_threads(1)
    with open(out, "a") as f:
        for case in ALL:
            if halves and case.half not in halves:
                continue
            for seed in seeds:
                rows: list[list[float]] = []
                error = None
                try:
                    setup = case.build(seed)
                    with gradguard.Guard(setup.model, setup.optimizer, policy="monitor",
                                         scheduler=setup.scheduler) as guard:
                        for step in range(steps):
                            loss = setup.train_step(step, guard)
                            rows.append([float(loss), float(setup.last_report.grad_norm)])
                            if not all(bool(torch.isfinite(p).all()) for p in setup.model.parameters()):
                                break
                except Exception as exc:  # a guard that refuses the model, a case that raises: recorded, not fatal
                    error = repr(exc)[:200]
                f.write(json.dumps({"name": case.name, "half": case.half, "seed": seed, "healthy": case.healthy,
                                    "rows": rows, "error": error}) + "\n")
                f.flush()


def replay(traces: str) -> dict[str, dict[str, int | None]]:
    """``"half:name:seed" -> {detector kind: first step it fires, or None}`` (and ``"healthy"``: 0/1)."""
    out: dict[str, dict[str, int | None]] = {}
    for line in open(traces):
        r = json.loads(line)
        firsts: dict[str, int | None] = {"healthy": int(r["healthy"])}
        for kind, make in DETECTORS.items():
            det, first = make(), None
            for step, row in enumerate(r["rows"]):
                if not all(isinstance(v, (int, float)) for v in row):
                    break  # an error mark (recordings of session 26)
                loss, norm = row
                stats = types.SimpleNamespace(loss=loss, grad_norm=norm, lrs=(0.1,), step=step)
                if det(stats, []) and first is None:  # type: ignore[arg-type]
                    first = step
            firsts[kind] = first
        out[f"{r['half']}:{r['name']}:{r['seed']}"] = firsts
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out")
    rec.add_argument("--steps", type=int, default=21)
    rec.add_argument("--half", nargs="*", default=None)
    rec.add_argument("--seed", nargs="+", type=int, default=[0, 1])
    rep = sub.add_parser("replay")
    rep.add_argument("traces")
    rep.add_argument("out")
    rep.add_argument("--against", default=None)
    args = parser.parse_args(argv)
    if args.cmd == "record":
        record(args.out, args.steps, args.half, args.seed)
        return
    new = replay(args.traces)
    Path(args.out).write_text(json.dumps(new))
    fired = {k: sum(1 for v in new.values() if v[k] is not None and v["healthy"]) for k in DETECTORS}
    print(f"{len(new)} runs; healthy runs with a firing: {fired}")
    if args.against:
        old = json.loads(Path(args.against).read_text())
        print("| run | healthy | detector | old first step | new first step |\n|---|---|---|---:|---:|")
        for key, v in new.items():
            for kind in DETECTORS:
                before = old.get(key, {}).get(kind)
                if key in old and before != v[kind]:
                    print(f"| {key} | {'yes' if v['healthy'] else 'no'} | {kind} | {before} | {v[kind]} |")


if __name__ == "__main__":
    main()
