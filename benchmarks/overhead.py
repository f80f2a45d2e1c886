"""Per-step overhead of the guard against a plain step and a step with clip_grad_norm_.

Prints a Markdown table of median milliseconds per training step (forward + backward + optimizer) and ratios.
Variants are interleaved round by round so that drift of the machine hits them all alike.

    python benchmarks/overhead.py                 # both models, CPU, 2 threads
    python benchmarks/overhead.py --device cuda   # on a GPU
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from gradguard import Guard


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


MODELS = {"mlp 6x512, batch 256": mlp, "transformer 4x256, seq 64, batch 32": transformer}
VARIANTS = ("plain", "clip_grad_norm_", "guard (statistics only)", "guard (default policy)")


def make_step(variant: str, model: nn.Module, device: str) -> Callable[[torch.Tensor, torch.Tensor], None]:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    guard = None
    if variant.startswith("guard"):
        guard = Guard(model, opt, policy="monitor" if "statistics" in variant else "safe")

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        if guard is not None:
            guard.step(loss)
        else:
            if variant == "clip_grad_norm_":
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        opt.zero_grad(set_to_none=True)

    return step


def bench(name: str, device: str, rounds: int, steps_per_round: int, warmup: int) -> dict[str, list[float]]:
    torch.manual_seed(0)
    base, data = MODELS[name]()
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
            t0 = time.perf_counter()
            for _ in range(steps_per_round):
                steps[v](x, y)
            sync()
            times[v].append((time.perf_counter() - t0) / steps_per_round * 1e3)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--steps-per-round", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=100,
                    help="steps per variant before timing (default 100: the steady state, after the adaptive "
                         "policies' warm-up)")
    ap.add_argument("--only", choices=sorted(MODELS), default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}, "
          f"{args.rounds} rounds x {args.steps_per_round} steps, AdamW\n")
    print("Ratios are medians of per-round ratios (each round times every variant back to back), with the")
    print("interquartile range of those ratios: drift of the machine cancels within a round.\n")
    print("| model | variant | median ms/step | vs plain | vs clip_grad_norm_ (IQR) |")
    print("|---|---|---:|---:|---:|")
    for name in MODELS:
        if args.only and name != args.only:
            continue
        times = bench(name, args.device, args.rounds, args.steps_per_round, args.warmup)
        for v in VARIANTS:
            vs_plain = [a / b for a, b in zip(times[v], times["plain"])]
            vs_clip = [a / b for a, b in zip(times[v], times["clip_grad_norm_"])]
            q1, _, q3 = statistics.quantiles(vs_clip, n=4)
            print(f"| {name} | {v} | {statistics.median(times[v]):.2f} | {statistics.median(vs_plain):.3f} | "
                  f"{statistics.median(vs_clip):.3f} ({q1:.3f}–{q3:.3f}) |", flush=True)


if __name__ == "__main__":
    main()
