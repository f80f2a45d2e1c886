"""False alarms of the precursor detectors on the judgment corpus's healthy models (every half), and what they say
on its broken ones — standard architectures at their usual settings that nobody tuned the thresholds to.

Each case is built at seed 0 and trained for its usual steps with ``Guard(policy="monitor")`` and the detectors of
``gradguard.precursors.precursor_detectors`` (probes every 10 steps) next to the default ones. A healthy model must
raise no ``precursor``, ``attention_logit_growth`` or ``logit_divergence`` event; for a broken one the table says
whether a precursor warned before the plain run's failure step (and how many steps before).

    python benchmarks/precursors_corpus.py                 # every case (about 10 minutes on a quiet 2-core machine)
    python benchmarks/precursors_corpus.py --healthy-only
    python benchmarks/precursors_corpus.py --healthy-only --half fresh2   # one half only
    python benchmarks/precursors_corpus.py --cost          # per-step cost of the detectors in a guarded run
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gradguard import Guard
from gradguard.precursors import AdamStateMonitor, AdamStatePrecursor, precursor_detectors
from gradguard.precursors.detectors import judged_surprise
from judgment_corpus import ALL, Case, by_name, train_plain

KINDS = ("precursor", "attention_logit_growth", "logit_divergence")


def guarded_kinds(case: Case) -> tuple[dict[str, int], int, dict[str, float]]:
    """First step of each precursor kind in a monitored run of ``case`` (seed 0), the steps run, and the largest
    value of each signal (``adam_surprise`` after step 10 over every layer, ``adam_judged`` over the layers the
    precursor judges — what it warns on above 10 —, ``attn_logit``, ``log_z_drift``)."""
    torch.manual_seed(0)
    setup = case.build(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # screen=False: the detector reads Adam's state every step, so ``last`` traces the peak surprise (same events)
        extra = precursor_detectors(setup.model, setup.optimizer, probe_every=10, screen=False)
        guard = Guard(setup.model, setup.optimizer, policy="monitor", scheduler=setup.scheduler, update_every=0)
    guard.detectors.extend(extra)
    first: dict[str, int] = {}
    peak = {"adam_surprise": 0.0, "adam_judged": 0.0, "attn_logit": 0.0, "log_z_drift": 0.0}
    steps = 0
    try:
        for step in range(case.steps):
            loss = setup.train_step(step, guard)
            steps += 1
            for d in extra:
                last = getattr(d, "last", None)
                if last is not None and step >= 10 and np.isfinite(last.layer_surprise).any():
                    finite = last.layer_surprise[np.isfinite(last.layer_surprise)]
                    peak["adam_surprise"] = max(peak["adam_surprise"], float(finite.max()))
                    peak["adam_judged"] = max(peak["adam_judged"], float(judged_surprise(last, d.min_share).max()))
                r = getattr(d, "last_reading", None)
                if r is not None and r.step == step:
                    if r.attention:
                        peak["attn_logit"] = max(peak["attn_logit"], max(r.attention.values()))
                    lz0 = d.state_dict().get("first_log_z")
                    if r.log_z_mean is not None and lz0 is not None:
                        peak["log_z_drift"] = max(peak["log_z_drift"], abs(r.log_z_mean - lz0))
            for e in setup.last_report.events:
                if e.kind in KINDS:
                    first.setdefault(e.kind, step)
            if loss != loss or abs(loss) == float("inf"):
                break
    except Exception as exc:  # a broken model may fail the guard's own halts; what came before still counts
        print(f"  ({case.name}: stopped at step {steps}: {type(exc).__name__})")
    finally:
        guard.close()
    return first, steps, peak


COST_CASES = ("nanogpt", "gpt2_2l", "vit", "resmlp_gelu_ln")  # development models with Adam


class _Timed:
    """A detector proxy that adds up the time its detector takes."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, []  # type: ignore[var-annotated]

    def __call__(self, stats: Any, layer_names: list[str]) -> list[Any]:
        t0 = time.perf_counter()
        out = self.inner(stats, layer_names)
        self.calls.append(time.perf_counter() - t0)
        return list(out)

    def state_dict(self) -> dict[str, Any]:
        return dict(self.inner.state_dict())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.inner.load_state_dict(state)


class _FullMonitor:
    """The round-2 precursor's per-step work: every statistic of ``AdamStateMonitor`` (``full=True``)."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self.monitor = AdamStateMonitor(model, optimizer)

    def __call__(self, stats: Any, layer_names: list[str]) -> list[Any]:
        self.monitor.measure(stats.step, full=True)
        return []

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


def cost(rounds: int, steps: int) -> None:
    """Per-step time of a guarded step (policy monitor, default detectors) with ``AdamStatePrecursor`` (screened, its
    default; and reading Adam's state every step, as before session 9), with every
    statistic of the monitor on every step (what the precursor did before round 3), and with every precursor
    detector (+ probes every 10 steps), on development corpus models. Each variant trains its own copy (same seed);
    the variants run interleaved, ``steps`` steps each per round, after a warm-up round. Two figures per variant:
    the median over rounds of (variant step time / guarded step time) in the same round — noisy on a loaded
    machine — and the detector's own time as a share of the step: the median time of one call (summed over the
    variant's detectors) over the median step time of the variant (medians: a call preempted by another process
    counts once, not in full; the probes' forward hooks run inside the step, so for "+all precursors" only the step
    ratio counts them); the mean call's share counts the screened detector's occasional reads."""
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    variants = ("guard", "+precursor", "+precursor read every step", "+full monitor (round 2)", "+all precursors")
    for name in COST_CASES:
        case = by_name(name)
        runs = {}
        for variant in variants:
            torch.manual_seed(0)
            setup = case.build(0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                guard = Guard(setup.model, setup.optimizer, policy="monitor", scheduler=setup.scheduler,
                              update_every=0)
                extra: list[Any] = []
                if variant == "+precursor":
                    extra = [AdamStatePrecursor(setup.model, setup.optimizer)]
                elif variant == "+precursor read every step":  # before session 9's screen
                    extra = [AdamStatePrecursor(setup.model, setup.optimizer, screen=False)]
                elif variant == "+full monitor (round 2)":
                    extra = [_FullMonitor(setup.model, setup.optimizer)]
                elif variant == "+all precursors":
                    extra = precursor_detectors(setup.model, setup.optimizer, probe_every=10)
            timed = [_Timed(d) for d in extra]
            guard.detectors.extend(timed)
            runs[variant] = (setup, guard, timed, [0])
        times: dict[str, list[float]] = {v: [] for v in runs}
        for r in range(rounds + 1):
            for _variant, (setup, guard, timed, counter) in runs.items():
                if r == 1:  # round 0 warms up
                    for d in timed:
                        d.calls.clear()
                t0 = time.perf_counter()
                for _ in range(steps):
                    setup.train_step(counter[0] % case.steps, guard)
                    counter[0] += 1
                if r > 0:
                    times[_variant].append((time.perf_counter() - t0) / steps)
        for _setup, guard, _t, _c in runs.values():
            guard.close()
        base = np.asarray(times["guard"])
        print(f"{name:16s} guarded step {np.median(base) * 1e3:6.1f} ms", flush=True)
        for variant in variants[1:]:
            ratio = np.asarray(times[variant]) / base
            timed = runs[variant][2]
            share = sum(float(np.median(d.calls)) for d in timed) / float(np.median(times[variant]))
            mean = sum(float(np.mean(d.calls)) for d in timed) / float(np.median(times[variant]))
            print(f"  {variant:26s} step ratio {np.median(ratio):.3f}x (rounds {np.min(ratio):.3f}-{np.max(ratio):.3f})"
                  f"   detector's own time {100 * share:5.2f}% of the step (mean call {100 * mean:5.2f}%)", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores); "
          f"{rounds} rounds of {steps} steps per variant, interleaved")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--healthy-only", action="store_true")
    ap.add_argument("--half", default=None, help="only the cases of this half (dev, heldout, fresh, fresh2, ...)")
    ap.add_argument("--cost", action="store_true", help="only time the detectors' per-step cost")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--cost-steps", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.cost:
        cost(args.rounds, args.cost_steps)
        return
    t0 = time.perf_counter()
    healthy_alarms = healthy_steps = healthy_cases = 0
    warned = scored = 0
    print(f"{'case':34s} {'half':8s} {'expected':22s} {'plain failure':16s} {'surprise':>8s} {'judged':>6s} "
          f"{'max logit':>9s} {'logZ drift':>10s}  precursor events (first step)")
    peaks: dict[str, list[float]] = {}
    for case in ALL:
        if (args.healthy_only and not case.healthy) or (args.half is not None and case.half != args.half):
            continue
        first, steps, peak = guarded_kinds(case)
        found = ", ".join(f"{k}@{s}" for k, s in sorted(first.items(), key=lambda kv: kv[1])) or "-"
        if case.healthy:
            healthy_cases += 1
            healthy_steps += steps
            healthy_alarms += len(first)
            label = "none"
        else:
            plain = train_plain(case, seed=0)
            fail = plain.failure_step(case.trouble)
            label = plain.failure_label(case.trouble)
            if fail is not None:
                scored += 1
                if first and min(first.values()) <= fail:
                    warned += 1
        expected = "healthy" if case.healthy else "/".join(case.expected)
        if case.healthy:
            for k, v in peak.items():
                peaks.setdefault(f"{case.half}:{k}", []).append(v)
        print(f"{case.name:34s} {case.half:8s} {expected[:22]:22s} {label:16s} {peak['adam_surprise']:8.2f} "
              f"{peak['adam_judged']:6.2f} "
              f"{peak['attn_logit']:9.1f} {peak['log_z_drift']:10.2f}  {found}", flush=True)
    print(f"\nhealthy: {healthy_alarms} precursor event kind(s) raised on {healthy_cases} models "
          f"({healthy_steps} steps)")
    if not args.healthy_only:
        print(f"broken: a precursor warned at or before the plain run's failure on {warned}/{scored}")
    for key, vals in sorted(peaks.items()):
        print(f"healthy {key}: max {max(vals):.2f} over {len(vals)} models")
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
