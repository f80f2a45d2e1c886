"""Spikes benchmark: gradguard's mitigation presets against no clipping, a fixed clip and the published peers.

Runs (deterministic, seeded, CPU; the models and faults are in ``_spikes_tasks.py``):

- ``outliers_sgd`` / ``outliers_adamw``: 3% of the batches have inputs and targets scaled 20-100x (4-layer ReLU
  MLP; SGD 0.01 + momentum 0.9 / AdamW 2e-3);
- ``tanh_sgd_high_lr``: a 12-layer tanh MLP, SGD at a too-high learning rate (0.3) with momentum 0.9;
- ``relu_adam_high_lr``: a 10-layer ReLU MLP, Adam at a too-high learning rate (0.05);
- ``nan_inf_batch``: 1% of the batches hold a NaN or an Inf in their inputs (Adam 2e-3);
- ``stuck_at_chance``: 10-class classification, SGD at lr 8 (far too high);
- ``wlm_lr20`` / ``wlm_lr200``: pytorch/examples' word_language_model (LSTM, SGD lr 20 and 10x, its own clip 0.25;
  see ``wlm_guarded.py``), a bounded number of batches (``--wlm-batches``, the same for every method). Skipped with
  a message when the example's directory is not given (``--wlm-dir`` or ``GRADGUARD_WLM_DIR``).

Methods: ``none``; ``clip_norm`` (``clip_grad_norm_(c)``, c = 1.0 on the MLPs, the script's 0.25 on the LSTM);
``zclip`` and ``autoclip`` (the PyPI packages, benchmark-only; skipped when not installed; ``ZClip()``'s default
also clips every step at ``max_grad_norm=1.0``, so ``zclip_adaptive`` is its adaptive rule alone,
``ZClip(max_grad_norm=None)``); gradguard's ``safe``,
``recover``, and their ``max_norm=c`` forms (``safe@c``, ``recover@c``: the user's clip kept inside the guard).

Columns: final loss (MLPs: mean evaluation loss of the last 20 steps on a fixed clean batch; LSTM: validation loss
after the last batch; ``nan`` when a weight is not finite or the guard halted), averaged over the seeds, and its
median; steps with non-finite weights; loss spikes (non-finite, or above 3x the median of the previous 20); wall
time (all seeds). Verdicts: ``safe`` and ``recover`` against 1.05x the best peer's mean, no non-finite weight, and
on word_language_model against the script with its own clip.

Tune on seeds 0-4 (the default); ``--first-seed 5`` is the held-out check. ``--only RUN[,RUN]`` runs a subset.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _spikes_tasks as tasks
import wlm_guarded as wlm

PEERS = ["none", "clip_norm", "zclip", "zclip_adaptive", "autoclip"]
METHODS = [*PEERS, "gradguard:safe", "gradguard:recover", "gradguard:safe@", "gradguard:recover@"]
WLM_RUNS = {"wlm_lr20": 20.0, "wlm_lr200": 200.0}


def _runners(args: argparse.Namespace) -> list[tuple[str, str, Callable[[str, int], dict[str, float] | None]]]:
    out: list[tuple[str, str, Callable[[str, int], dict[str, float] | None]]] = []
    for sc in tasks.SCENARIOS:
        out.append((sc.name, sc.title, lambda m, s, sc=sc: tasks.run(sc, m, args.steps, s)))
    path = wlm.wlm_dir(args.wlm_dir)
    for name, lr in WLM_RUNS.items():
        title = f"word_language_model, LSTM, SGD lr {lr:g}, clip 0.25, {args.wlm_batches} batches"
        if path is None:
            out.append((name, title, lambda m, s: None))
        else:
            out.append((name, title, lambda m, s, lr=lr, p=path: wlm.run(p, m, lr, s, args.wlm_batches)))
    return out


def _label(method: str, run: str) -> str:
    clip = "0.25" if run.startswith("wlm") else "1.0"
    if method.startswith("zclip"):
        return "zclip, adaptive only (max_grad_norm=None)" if method == "zclip_adaptive" else "zclip (default: max 1.0)"
    return method.replace("clip_norm", f"clip_grad_norm_({clip})").replace("gradguard:", "gradguard ").replace(
        "@", f"(max_norm={clip})")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="steps per MLP run (default 400)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per run (default 5)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (default 0; 5 = held-out)")
    parser.add_argument("--only", default="", help="comma-separated run names (default: all)")
    parser.add_argument("--methods", default="", help="comma-separated methods (default: all)")
    parser.add_argument("--wlm-dir", default=None, help="pytorch/examples' word_language_model directory "
                        "(default: $GRADGUARD_WLM_DIR)")
    parser.add_argument("--wlm-batches", type=int, default=300, help="training batches per LSTM run (default 300)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # dying deep ReLU nets otherwise crawl through denormal arithmetic
    warnings.filterwarnings("ignore")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    only = set(filter(None, args.only.split(",")))
    methods = [m for m in METHODS if not args.methods or m in args.methods.split(",")]
    rows, verdicts, notes = [], [], []
    begin = time.perf_counter()
    for name, _title, runner in _runners(args):
        if only and name not in only:
            continue
        if name.startswith("wlm") and wlm.wlm_dir(args.wlm_dir) is None:
            notes.append(f"{name}: skipped (give --wlm-dir or GRADGUARD_WLM_DIR: pytorch/examples' "
                         "word_language_model directory)")
            continue
        means: dict[str, float] = {}
        nonfinite: dict[str, int] = {}
        for method in methods:
            results = [runner(method, seed) for seed in seeds]
            done = [r for r in results if r is not None]
            if len(done) < len(results):
                rows.append(f"| {name} | {_label(method, name)} | not installed | | | | | |")
                continue
            finals = [r["final"] for r in done]
            means[method] = statistics.fmean(finals)
            nonfinite[method] = int(sum(r["nonfinite"] for r in done))
            med = statistics.median(finals) if all(math.isfinite(f) for f in finals) else math.nan
            rows.append(f"| {name} | {_label(method, name)} | {means[method]:.4g} | {med:.4g} | "
                        + " ".join(f"{f:.3g}" for f in finals)
                        + f" | {nonfinite[method]} | {sum(r['spikes'] for r in done)} "
                        f"| {sum(r['wall'] for r in done):.1f} s |")
            print(rows[-1], flush=True)
        verdicts += _verdicts(name, means, nonfinite)
        if name.startswith("wlm"):
            notes.append(f"{name}: {wlm.load(wlm.wlm_dir(args.wlm_dir)).get('note')}")  # type: ignore[arg-type]
    print(f"\n{args.steps} steps per MLP run, seeds {seeds[0]}-{seeds[-1]}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s), {time.perf_counter() - begin:.0f} s in all\n")
    print("| run | method | final loss (mean over seeds) | median | per seed | steps with non-finite weights "
          "(all seeds) | loss spikes (all seeds) | wall time (all seeds) |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("\n".join(verdicts + notes))


def _verdicts(run: str, means: dict[str, float], nonfinite: dict[str, int]) -> list[str]:
    peers = {m: v for m, v in means.items() if m in PEERS and math.isfinite(v)}
    best = min(peers, key=peers.__getitem__) if peers else None
    out = []
    for preset in ("gradguard:safe", "gradguard:recover", "gradguard:safe@", "gradguard:recover@"):
        if preset not in means:
            continue
        value = means[preset]
        within = best is None or (math.isfinite(value) and value <= 1.05 * peers[best])
        ran = [m for m in means if m in PEERS]
        against = (f"best peer {best} {peers[best]:.4g}" if best else
                   "every peer non-finite" if ran else "no peer in this run")
        line = (f"{run}: {_label(preset, run)} mean {value:.4g} vs {against}: "
                f"{'within 1.05x' if within else 'WORSE than 1.05x'}; non-finite weights {nonfinite[preset]}")
        if run.startswith("wlm") and "clip_norm" in means:
            own = means["clip_norm"]
            line += f"; vs the script's own clip {own:.4g}: {'not worse' if value <= own else 'WORSE'}"
        out.append(line)
    return out


if __name__ == "__main__":
    main()
