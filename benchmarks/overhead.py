"""Per-step overhead of the guard against a plain step and a step with clip_grad_norm_.

Prints a Markdown table of median milliseconds per training step (forward + backward + optimizer) and ratios.
Variants are interleaved round by round so that drift of the machine hits them all alike.

    python benchmarks/overhead.py                 # the three models, CPU, 2 threads
    python benchmarks/overhead.py --device cuda   # on a GPU
    python benchmarks/overhead.py --sweep         # host cost against the number of parameter tensors

The sweep steps fixed gradients (no forward or backward): ``guard.step`` against ``clip_grad_norm_`` + the same
AdamW step, over models of 16 ... 4,096 tensors of 4,096 elements, and prints the extra milliseconds per step
(median of per-round differences, with their interquartile range and the 95% bootstrap interval of that median) and
the extra per tensor. On a shared machine: ``--threads 1 --clock cpu`` (this thread's CPU time), and
``--stub-optimizer`` for the guard's own host work (without it, what a fused optimizer pays for the guard's
``found_inf`` and ``grad_scale`` is in the figure too).
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from gradguard import Guard, chain, clip_by_global_norm, skip_nonfinite, skip_outliers


def mlp() -> tuple[nn.Module, Callable[[], tuple[torch.Tensor, torch.Tensor]]]:
    layers: list[nn.Module] = []
    for _ in range(6):
        layers += [nn.Linear(512, 512), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    x, y = torch.randn(256, 512), torch.randn(256, 512)
    return model, lambda: (x, y)


def transformer() -> tuple[nn.Module, Callable[[], tuple[torch.Tensor, torch.Tensor]]]:
    layer = nn.TransformerEncoderLayer(d_model=256, nhead=4, dim_feedforward=1024, batch_first=True, dropout=0.0)
    model = nn.TransformerEncoder(layer, num_layers=4, enable_nested_tensor=False)
    x, y = torch.randn(32, 64, 256), torch.randn(32, 64, 256)
    return model, lambda: (x, y)


def small_mlp() -> tuple[nn.Module, Callable[[], tuple[torch.Tensor, torch.Tensor]]]:
    """A small fast model (a training step of ~2 ms on 2 CPU cores), where a fixed host cost shows most."""
    model = nn.Sequential(nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 128))
    x, y = torch.randn(64, 128), torch.randn(64, 128)
    return model, lambda: (x, y)


MODELS = {"mlp 6x512, batch 256": mlp, "transformer 4x256, seq 64, batch 32": transformer,
          "small mlp 3x256, batch 64": small_mlp}
def gpt2() -> tuple[nn.Module, Callable[[], tuple[torch.Tensor, torch.Tensor]]]:
    """A GPT-2-small-sized stack (~124M parameters with its 50,257 x 768 embedding; for a GPU)."""

    class LM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(50257, 768)
            self.pos = nn.Parameter(torch.zeros(1024, 768))
            layer = nn.TransformerEncoderLayer(768, 12, 3072, dropout=0.0, batch_first=True, norm_first=True)
            self.blocks = nn.TransformerEncoder(layer, 12, enable_nested_tensor=False)
            self.head = nn.Linear(768, 768)

        def forward(self, idx: torch.Tensor) -> torch.Tensor:
            h = self.emb(idx) + self.pos[: idx.shape[1]]
            mask = nn.Transformer.generate_square_subsequent_mask(idx.shape[1], device=idx.device)
            return self.head(self.blocks(h, mask=mask, is_causal=True))

    x, y = torch.randint(0, 50257, (8, 256)), torch.randn(8, 256, 768)
    return LM(), lambda: (x, y)


#: models only timed with --device cuda (too slow for a CPU table)
GPU_MODELS = {"gpt2-small-like 12x768, seq 256, batch 8": gpt2}
VARIANTS: tuple[str, ...] = ("plain", "clip_grad_norm_", "guard (statistics only)", "guard (default policy)",
            "clip_grad_norm_, fused AdamW", "guard blocking (skip+clip), fused AdamW",
            "guard deferred (skip+clip), fused AdamW",
            "guard deferred (skip+outliers+clip), fused AdamW",
            "guard blocking (default policy), fused AdamW",
            "guard deferred (default policy), fused AdamW")


#: the clock timings read: wall time (default), or with ``--clock cpu`` the CPU time of this thread
#: (``time.thread_time``; with one torch thread all the work runs on it), which time spent waiting for a core on a
#: shared, loaded machine does not inflate (memory and cache contention still do)
CLOCK: list[Callable[[], float]] = [time.perf_counter]
#: ``--stub-optimizer``: the sweep's optimizer step does nothing (it is the same in every variant; without it the
#: difference is measured against far less noise on a loaded machine)
STUB_OPTIMIZER = [False]


def make_step(variant: str, model: nn.Module, device: str) -> Callable[[torch.Tensor, torch.Tensor], None]:
    fused = "fused" in variant
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=fused)
    guard = None
    if variant.startswith("guard"):
        if "skip+outliers+clip" in variant:
            policy: object = chain(skip_nonfinite(), skip_outliers(), clip_by_global_norm(1.0))
        elif "skip+clip" in variant:
            policy = chain(skip_nonfinite(), clip_by_global_norm(1.0))
        else:
            policy = "monitor" if "statistics" in variant else "safe"
        guard = Guard(model, opt, policy=policy, sync="deferred" if "deferred" in variant else "blocking")  # type: ignore[arg-type]

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        if guard is not None:
            guard.step(loss)
        else:
            if variant.startswith("clip_grad_norm_"):
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        opt.zero_grad(set_to_none=True)

    return step


def bench(name: str, device: str, rounds: int, steps_per_round: int, warmup: int) -> dict[str, list[float]]:
    torch.manual_seed(0)
    base, data = {**MODELS, **GPU_MODELS}[name]()
    x, y = (t.to(device) for t in data())
    steps = {}
    for v in VARIANTS:
        model = copy.deepcopy(base).to(device)
        steps[v] = make_step(v, model, device)
        for _ in range(warmup):
            steps[v](x, y)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for r in range(rounds):
        order = VARIANTS if r % 2 == 0 else tuple(reversed(VARIANTS))
        for v in order:
            sync()
            t0 = CLOCK[0]()
            for _ in range(steps_per_round):
                steps[v](x, y)
            sync()
            times[v].append((CLOCK[0]() - t0) / steps_per_round * 1e3)
    return times


SWEEP_VARIANTS: tuple[str, ...] = ("clip_grad_norm_", "guard (statistics only)", "guard (default policy)",
                  "clip_grad_norm_, fused AdamW", "guard blocking (skip+clip), fused AdamW",
                  "guard deferred (skip+clip), fused AdamW",
                  "guard deferred (skip+outliers+clip), fused AdamW",
                  "guard deferred (default policy), fused AdamW")
#: ``--loss``: the loss the sweep hands the guard: ``constant`` (0.5 at every step: a run that does not learn,
#: where the stall detector's not-learning check runs in full at every step) or ``falling`` (as a run that learns)
SWEEP_LOSS = ["constant"]


def sweep_step(variant: str, n: int, device: str) -> Callable[[], None]:
    """One step on fixed gradients over ``n`` tensors of 4,096 elements (one layer each)."""
    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(64, 64, bias=False) for _ in range(n)]).to(device)
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused="fused" in variant)
    if STUB_OPTIMIZER[0]:  # the same for every variant: left out, the difference is the guard's own host work
        opt.step = lambda *a, **k: None  # type: ignore[method-assign]
    if variant.startswith("clip_grad_norm_"):
        params = list(model.parameters())

        def ref() -> None:
            torch.nn.utils.clip_grad_norm_(params, 1e9)
            opt.step()
        return ref
    if "skip+outliers+clip" in variant:
        policy: object = chain(skip_nonfinite(), skip_outliers(), clip_by_global_norm(1e9))
    elif "skip+clip" in variant:
        policy = chain(skip_nonfinite(), clip_by_global_norm(1e9))
    else:
        policy = "monitor" if "statistics" in variant else "safe"
    guard = Guard(model, opt, policy=policy, update_every=10,  # type: ignore[arg-type]
                  sync="deferred" if "deferred" in variant else "blocking")
    if SWEEP_LOSS[0] == "constant":
        return lambda: guard.step(0.5)  # type: ignore[return-value]
    k = [0]

    def falling() -> None:
        k[0] += 1
        guard.step(0.5 / (1.0 + 1e-3 * k[0]))
    return falling


def boot_median(values: list[float], n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% bootstrap interval of the median of ``values`` (rounds resampled)."""
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(n))
    return meds[int(0.025 * n)], meds[int(0.975 * n) - 1]


def sweep(device: str, counts: list[int], rounds: int, warmup: int) -> None:
    variants = SWEEP_VARIANTS
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    print("| tensors | variant | reference ms | extra ms/step (IQR) | 95% CI of the median | extra µs/tensor | ratio |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in counts:
        steps = {v: sweep_step(v, n, device) for v in variants}
        # a round spans at least 10 steps: the guard's periodic work (weight norms and max-abs every sample_every
        # = 10 steps, the update measured every update_every = 10) is averaged in, not left to chance
        per_round = max(10, 1024 // n)
        for v in variants:
            for _ in range(warmup):
                steps[v]()
        times: dict[str, list[float]] = {v: [] for v in variants}
        for r in range(rounds):
            for v in (variants if r % 2 == 0 else tuple(reversed(variants))):
                sync()
                t0 = CLOCK[0]()
                for _ in range(per_round):
                    steps[v]()
                sync()
                times[v].append((CLOCK[0]() - t0) / per_round * 1e3)
        for v in variants:
            if v.startswith("clip_grad_norm_"):
                continue
            ref = times["clip_grad_norm_, fused AdamW" if "fused" in v else "clip_grad_norm_"]
            extra = [a - b for a, b in zip(times[v], ref)]
            q1, _, q3 = statistics.quantiles(extra, n=4)
            lo, hi = boot_median(extra)
            ratio = statistics.median(a / b for a, b in zip(times[v], ref))
            print(f"| {n} | {v} | {statistics.median(ref):.2f} | {statistics.median(extra):.3f} "
                  f"({q1:.3f}–{q3:.3f}) | {lo:.3f}–{hi:.3f} | {statistics.median(extra) / n * 1e3:.1f} | "
                  f"{ratio:.3f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--steps-per-round", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=100,
                    help="steps per variant before timing (default 100: the steady state, after the adaptive "
                         "policies' warm-up)")
    ap.add_argument("--only", choices=sorted({**MODELS, **GPU_MODELS}), default=None)
    ap.add_argument("--sweep", action="store_true", help="the tensor-count sweep instead of the models")
    ap.add_argument("--stub-optimizer", action="store_true",
                    help="sweep: leave the optimizer step (the same in every variant) out of the timed work")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="wall time, or this thread's CPU time (on a shared machine; needs --threads 1 on CPU)")
    ap.add_argument("--counts", default="16,64,256,1024,4096", help="tensor counts of the sweep")
    ap.add_argument("--loss", choices=["constant", "falling"], default="constant",
                    help="sweep: the loss handed to the guard, constant (0.5: a run that does not learn) or falling "
                         "(0.5 / (1 + 0.001 k): a run that learns)")
    ap.add_argument("--variants", default="",
                    help="comma-separated substrings: time only the variants whose name holds one of them (the "
                         "references are always timed)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.clock == "cpu":
        if args.device != "cpu" or args.threads != 1:
            ap.error("--clock cpu times one CPU thread: use it with --device cpu --threads 1")
        CLOCK[0] = time.thread_time
    STUB_OPTIMIZER[0] = args.stub_optimizer
    SWEEP_LOSS[0] = args.loss
    if args.variants:
        keep = [w.strip() for w in args.variants.split(",")]

        def chosen(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(v for v in names if v in ("plain",) or v.startswith("clip_grad_norm_")
                         or any(w in v for w in keep))
        global VARIANTS, SWEEP_VARIANTS
        VARIANTS, SWEEP_VARIANTS = chosen(VARIANTS), chosen(SWEEP_VARIANTS)
    if args.sweep:
        print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}, "
              f"{args.rounds} rounds, fixed gradients, AdamW{' (stubbed)' if args.stub_optimizer else ''}, "
              f"{args.loss} loss, "
              f"tensors of 4,096 elements, {args.clock} clock, "
              f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
        sweep(args.device, [int(c) for c in args.counts.split(",")], args.rounds, warmup=args.warmup)
        return
    print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}, "
          f"{args.rounds} rounds x {args.steps_per_round} steps, AdamW, {args.clock} clock, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("Ratios are medians of per-round ratios (each round times every variant back to back), with the")
    print("interquartile range of those ratios: drift of the machine cancels within a round.\n")
    print("| model | variant | median ms/step | vs plain | vs clip_grad_norm_, same optimizer (IQR) |")
    print("|---|---|---:|---:|---:|")
    models = [*MODELS, *GPU_MODELS] if args.device.startswith("cuda") else list(MODELS)
    for name in models:
        if args.only and name != args.only:
            continue
        times = bench(name, args.device, args.rounds, args.steps_per_round, args.warmup)
        for v in VARIANTS:
            vs_plain = [a / b for a, b in zip(times[v], times["plain"])]
            ref = "clip_grad_norm_, fused AdamW" if "fused" in v else "clip_grad_norm_"
            vs_clip = [a / b for a, b in zip(times[v], times[ref])]
            q1, _, q3 = statistics.quantiles(vs_clip, n=4)
            print(f"| {name} | {v} | {statistics.median(times[v]):.2f} | {statistics.median(vs_plain):.3f} | "
                  f"{statistics.median(vs_clip):.3f} ({q1:.3f}–{q3:.3f}) |", flush=True)


if __name__ == "__main__":
    main()
