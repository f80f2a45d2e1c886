"""The precursor detectors on code nobody here wrote: karpathy/nanoGPT's ``model.py``, trained char-level.

Reads ``model.py`` from a nanoGPT checkout given on the command line (nothing of it is copied into this repository)
and trains its ``GPT`` with its own ``configure_optimizers`` (AdamW, decay on 2-D weights only) and ``train.py``'s
loop: linear warm-up then cosine decay to lr/10, ``clip_grad_norm_(1.0)`` before the step. The settings are
``config/train_shakespeare_char.py`` scaled down for a shared CPU (4 layers, 4 heads, d=64, context 64, batch
8; as there: dropout 0.2, lr 1e-3, beta2 0.99, warm-up 100, weight decay 0.1); the text is every ``.md``/``.py``
file of the checkout (a few tens of kB of characters), batches drawn at random per seed.

Runs, each with ``Guard(policy="monitor")`` and the detectors of ``gradguard.precursors.precursor_detectors`` next
to the default ones:

- ``healthy``: the usual settings: a precursor event here is a false alarm;
- ``lr_x10`` / ``lr_x30``: the same with the peak rate 10x / 30x (the warm-up walks it past the stable range);
- ``lr_x30_noclip``: 30x without the gradient clip;
- ``bad_batch``: usual settings, and at step 200 one batch whose every input and target is one character.

A *spike* is what ``benchmarks/precursors.py`` calls one (the loss non-finite, or 1.3x and 0.3 nats above its
start or its median over the 20 steps before); the table gives each run's spike step and the first step of each
event kind, the lead of the precursor (spike step - event step) when it came within the 25 steps before, the
largest surprise the precursor judged (``surprise``; it warns above 10) and the loss's largest ``rise`` above its
lowest value so far (nats, from step 10: how unstable the run was, spike or not).

    python benchmarks/precursors_nanogpt.py /path/to/nanoGPT             # seeds 0-2, 300 steps
    python benchmarks/precursors_nanogpt.py /path/to/nanoGPT --seeds 1 --only healthy,lr_x30
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import math
import sys
import time
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gradguard import Guard
from gradguard.precursors import AdamStatePrecursor, precursor_detectors
from gradguard.precursors.detectors import judged_surprise
from precursors import WINDOW, spike_step

PRECURSOR_KINDS = ("precursor", "attention_logit_growth", "logit_divergence")
DEFAULT_KINDS = ("loss_spike", "divergence", "explode", "nonfinite")

#: run -> (peak-lr multiplier, gradient clip or None, bad-batch step or None)
RUNS: dict[str, tuple[float, float | None, int | None]] = {
    "healthy": (1.0, 1.0, None),
    "lr_x10": (10.0, 1.0, None),
    "lr_x30": (30.0, 1.0, None),
    "lr_x30_noclip": (30.0, None, None),
    "bad_batch": (1.0, 1.0, 200),
}


def load_nanogpt(checkout: Path) -> ModuleType | None:
    """nanoGPT's ``model`` module from ``checkout/model.py``, or None when there is none."""
    path = checkout / "model.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("nanogpt_model", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "GPT") or not hasattr(module, "GPTConfig"):
        return None
    return module


def corpus_text(checkout: Path) -> str:
    """Every .md and .py file of the checkout, sorted by path, as one text."""
    parts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(checkout.rglob("*"))
             if p.suffix in (".md", ".py") and p.is_file() and ".git" not in p.parts]
    return "\n".join(parts)


def run(nano: ModuleType, data: torch.Tensor, vocab: int, name: str, seed: int, steps: int
        ) -> tuple[np.ndarray, dict[str, int], float]:
    """The losses of one run, the first step of each event kind raised, and the largest surprise the precursor
    judged (``judged_surprise``, from step 10)."""
    mult, clip, bad_step = RUNS[name]
    block, batch, lr, warmup = 64, 8, 1e-3 * mult, 100
    torch.manual_seed(seed)
    cfg = nano.GPTConfig(block_size=block, vocab_size=vocab, n_layer=4, n_head=4, n_embd=64, dropout=0.2,
                         bias=False)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):  # nanoGPT prints its sizes
        warnings.simplefilter("ignore")
        model = nano.GPT(cfg)
        opt = model.configure_optimizers(weight_decay=0.1, learning_rate=lr, betas=(0.9, 0.99), device_type="cpu")
        # screen=False: Adam's state read every step, so ``last`` traces the peak surprise (the same events)
        extra = precursor_detectors(model, opt, probe_every=10, screen=False)
        guard = Guard(model, opt, policy="monitor", update_every=0)
    guard.detectors.extend(extra)
    g = torch.Generator().manual_seed(seed)
    first: dict[str, int] = {}
    losses: list[float] = []
    peak = 0.0
    for step in range(steps):
        # train.py's get_lr: linear warm-up, cosine decay to lr/10 at the end
        if step < warmup:
            now = lr * (step + 1) / (warmup + 1)
        else:
            now = lr / 10 + 0.5 * (1 + math.cos(math.pi * (step - warmup) / (steps - warmup))) * (lr - lr / 10)
        for group in opt.param_groups:
            group["lr"] = now
        ix = torch.randint(len(data) - block - 1, (batch,), generator=g)
        x = torch.stack([data[i:i + block] for i in ix])
        y = torch.stack([data[i + 1:i + 1 + block] for i in ix])
        if step == bad_step:
            x = torch.full_like(x, int(data[0]))
            y = torch.full_like(y, int(data[0]))
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        report = guard.step(loss.detach())
        losses.append(float(loss.detach()))
        for e in report.events:
            first.setdefault(e.kind, step)
        for d in extra:
            if isinstance(d, AdamStatePrecursor) and d.last is not None and step >= 10:
                peak = max(peak, float(judged_surprise(d.last, d.min_share).max()))
        if not math.isfinite(losses[-1]):
            break
    guard.close()
    return np.asarray(losses), first, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkout", nargs="?", default=None, help="a nanoGPT checkout (the folder with its model.py)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--only", default=None, help="comma-separated run names: " + ", ".join(RUNS))
    args = ap.parse_args()
    checkout = Path(args.checkout) if args.checkout else None
    nano = load_nanogpt(checkout) if checkout is not None else None
    if checkout is None or nano is None:
        print(f"skipped: no nanoGPT checkout with a model.py defining GPT and GPTConfig at {checkout} "
              f"(usage: python benchmarks/precursors_nanogpt.py /path/to/nanoGPT)")
        return
    torch.set_num_threads(1)
    text = corpus_text(checkout)
    chars = sorted(set(text))
    data = torch.tensor([chars.index(c) for c in text], dtype=torch.long)
    print(f"nanoGPT at {checkout}: {len(text)} characters, vocabulary {len(chars)}; {args.steps} steps per run")
    names = [n for n in RUNS if args.only is None or n in args.only.split(",")]
    t0 = time.perf_counter()
    print(f"{'run':14s} {'seed':>4s} {'final loss':>10s} {'rise':>5s} {'spike':>5s} {'surprise':>8s} {'precursor':>9s} "
          f"{'lead':>4s} {'attn logit':>10s} {'log Z':>5s} {'default events':>14s}")
    false_alarms = healthy = 0
    leads: list[int] = []
    spikes = 0
    for name in names:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            losses, first, peak = run(nano, data, len(chars), name, seed, args.steps)
            rise = max((losses[t] - losses[:t].min() for t in range(10, len(losses))), default=0.0)
            spike = spike_step(losses)
            pre = first.get("precursor")
            lead = "-"
            if name == "healthy":
                healthy += 1
                false_alarms += sum(1 for k in PRECURSOR_KINDS if k in first)
            if spike is not None:
                spikes += 1
                if pre is not None and spike - WINDOW <= pre <= spike:
                    leads.append(spike - pre)
                    lead = str(spike - pre)
            default = min((first[k] for k in DEFAULT_KINDS if k in first), default=None)
            pre_s, attn_s, logz_s = (str(first[k]) if k in first else "-" for k in PRECURSOR_KINDS)
            print(f"{name:14s} {seed:>4d} {losses[-1]:>10.3f} {rise:>5.2f} {'-' if spike is None else spike:>5} "
                  f"{peak:>8.1f} {pre_s:>9s} {lead:>4s} {attn_s:>10s} {logz_s:>5s} "
                  f"{'-' if default is None else default:>14}", flush=True)
    if healthy:
        print(f"\nhealthy: {false_alarms} precursor event kind(s) raised on {healthy} runs")
    if spikes:
        med = f"{np.median(leads):.0f}" if leads else "-"
        print(f"spikes: {spikes}; the precursor warned within {WINDOW} steps before {len(leads)} (lead median {med})")
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
