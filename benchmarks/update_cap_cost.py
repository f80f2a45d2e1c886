"""What the update cap's closed gate costs: ``recover`` against ``recover + update_cap()`` (the host screen) and
``recover + update_cap(screen=False)`` (Adam's state read every applied step), interleaved rounds on healthy runs.

Two models: the lab's 4-layer d=128 TinyGPT (AdamW, cross-entropy on a Markov source) and a 13-layer 256-wide ReLU
MLP (AdamW, batch 128). Each round trains every variant from the same seed for ``--steps`` steps and times the last
``--steps - 20`` (the whole step: zero_grad, forward, backward, ``guard.step``); the variant order alternates from
round to round. Reported: the median over rounds of each variant's median step time divided by recover's in the same
round (with the range over rounds), the cap's own time inside the step (``note_clip`` + ``layer_scales``, mean per
timed step, so the periodic reads are counted; and on the median step, which a preempted call does not move) and the
reads of Adam's state per run. No window opens on these healthy runs, so the three variants train identically and
only the cost differs.

    python benchmarks/update_cap_cost.py             # 7 rounds of 60 steps
    python benchmarks/update_cap_cost.py --rounds 11 --steps 120
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch
from torch import nn

import gradguard
from gradguard.lab._transformer import VOCAB, TinyGPT, tokens
from gradguard.policy import Chain, recover
from gradguard.precursors import update_cap

WARM = 20
VARIANTS = ("recover", "screen", "every")


def _model(kind: str) -> nn.Module:
    torch.manual_seed(0)
    if kind == "gpt":
        return TinyGPT(d=128, layers=4, heads=4)
    return nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(256, 256), nn.ReLU())], nn.Linear(256, 1))


def run(kind: str, variant: str, steps: int, data: Any) -> tuple[float, float, int, int, float]:
    """(median step seconds, the cap's own seconds per timed step (mean), reads of Adam's state, windows opened,
    the cap's own seconds on the median timed step: robust to a call preempted by another process)."""
    model = _model(kind)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    cap = None if variant == "recover" else update_cap(screen=variant == "screen")
    guard = gradguard.Guard(model, opt, policy=recover() if cap is None else Chain(*recover().policies, cap))  # type: ignore[attr-defined]
    own = [0.0]
    if cap is not None:
        inner_scales, inner_note = cap.layer_scales, cap.note_clip

        def scales() -> dict[str, float]:
            t0 = time.perf_counter()
            out = inner_scales()
            own[0] += time.perf_counter() - t0
            return out

        def note(decision: Any) -> None:
            t0 = time.perf_counter()
            inner_note(decision)
            own[0] += time.perf_counter() - t0

        cap.layer_scales, cap.note_clip = scales, note  # type: ignore[method-assign]
    x_mlp = torch.randn(steps, 128, 256, generator=torch.Generator().manual_seed(1))
    times, per_step = [], []
    for step in range(steps):
        before = own[0]
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        if kind == "gpt":
            x = data[step % len(data)]
            loss = nn.functional.cross_entropy(model(x[:, :-1]).reshape(-1, VOCAB), x[:, 1:].reshape(-1))
        else:
            loss = (model(x_mlp[step]) ** 2).mean()
        loss.backward()
        guard.step(loss)
        if step >= WARM:
            times.append(time.perf_counter() - t0)
            per_step.append(own[0] - before)
        if step == WARM - 1:
            own[0] = 0.0
    guard.close()
    reads = 0 if cap is None else cap.reads
    opened = 0 if cap is None else len(cap.opened)
    return statistics.median(times), own[0] / max(len(times), 1), reads, opened, statistics.median(per_step)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--only", default="gpt,mlp", help="comma-separated models: gpt, mlp")
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = tokens(80)
    for kind in args.only.split(","):
        res: dict[str, list[tuple[float, float, int, int, float]]] = {v: [] for v in VARIANTS}
        for r in range(args.rounds):
            for v in (VARIANTS if r % 2 == 0 else VARIANTS[::-1]):
                res[v].append(run(kind, v, args.steps, data))
        base = [x[0] for x in res["recover"]]
        print(f"{kind}: recover median step {statistics.median(base) * 1e3:.2f} ms "
              f"({args.rounds} interleaved rounds, {args.steps - WARM} timed steps each)")
        for v, label in (("screen", "update_cap()"), ("every", "update_cap(screen=False)")):
            ratios = [x[0] / b for x, b in zip(res[v], base, strict=True)]
            own = [x[1] / b for x, b in zip(res[v], base, strict=True)]
            typical = [x[4] / b for x, b in zip(res[v], base, strict=True)]
            print(f"  recover + {label:25s} step ratio {statistics.median(ratios):.3f} "
                  f"(rounds {min(ratios):.3f}-{max(ratios):.3f}); the cap's own time "
                  f"{statistics.median(own) * 100:.2f}% of the step "
                  f"({statistics.median([x[1] for x in res[v]]) * 1e6:.0f} us; median step "
                  f"{statistics.median(typical) * 100:.2f}%); reads of Adam's state per run "
                  f"{res[v][0][2]}; windows {sum(x[3] for x in res[v])}")


if __name__ == "__main__":
    main()
