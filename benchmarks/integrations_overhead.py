"""Per-step overhead of gradguard's trainer integrations against each trainer's own default clipping.

Prints a Markdown table: for PyTorch Lightning (``GradGuardCallback``), the Transformers ``Trainer``
(``GradGuardTrainerCallback``) and an Accelerate loop (``Guard`` over the prepared optimizer), the median wall and
CPU milliseconds per optimizer step and their ratios to the same trainer clipping by itself (Lightning
``gradient_clip_val=1.0``, ``TrainingArguments(max_grad_norm=1.0)``, ``accelerator.clip_grad_norm_(params, 1.0)``).
The models are small on purpose (an MLP 4x512, batch 64; a BERT of 2 layers x 128, sequence 64, batch 16), where
a fixed per-step cost shows most.

    python benchmarks/integrations_overhead.py                  # all three, 2 CPU threads (~6 minutes)
    python benchmarks/integrations_overhead.py --only hf --rounds 10
    python benchmarks/integrations_overhead.py --only lightning --detail   # without logging / record / policy

How: each round runs every variant of an integration back to back (in alternating order), each a fresh
``fit``/``train`` of ``--steps`` optimizer steps (same seed, same data) timed from one step's end to the next (data
loading, the trainer's own hooks, logging and gradguard's background record included; the first ``--skip`` steps of
each run, warm-up and start-up, are left out). A round's ratio is the variant's median step time over the
baseline's in that round; the table gives the median of those ratios and their interquartile range, so that
drift of the machine cancels within a round. CPU time is this process's (every thread: the record writer's too);
on a shared machine it is the steadier of the two, since other processes stretch wall time but not it. The
guarded variants keep a run record (the default), with ``update_every=10`` (the default).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import logging
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

import gradguard

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")

BATCH, WIDTH = 64, 512


def _mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(),
                         nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, 10))


def _tensors(steps: int) -> torch.utils.data.TensorDataset:
    g = torch.Generator().manual_seed(0)
    return torch.utils.data.TensorDataset(torch.randn(steps * BATCH, WIDTH, generator=g),
                                          torch.randint(0, 10, (steps * BATCH,), generator=g))


Stamp = tuple[float, float]  # (wall clock, this process's CPU time: all its threads, the record writer's too)
Timing = tuple[float, float]  # median (wall, CPU) milliseconds per step


def _stamp() -> Stamp:
    return time.perf_counter(), time.process_time()


def _per_step(stamps: list[Stamp], skip: int) -> Timing:
    """Median wall and CPU milliseconds between consecutive step ends, after the first ``skip`` steps."""
    pairs = list(itertools.pairwise(stamps))[skip:]
    return (statistics.median(b[0] - a[0] for a, b in pairs) * 1e3,
            statistics.median(b[1] - a[1] for a, b in pairs) * 1e3)


# ----------------------------------------------------------------------------------------------- Lightning
def lightning_variants(detail: bool = False) -> dict[str, Callable[[int, int, Path], Timing]]:
    import lightning.pytorch as pl

    from gradguard.integrations.lightning import GradGuardCallback

    for name in ("lightning.pytorch", "lightning.fabric", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)  # "GPU available: ..." at every fit

    class Classifier(pl.LightningModule):
        def __init__(self, fused: bool = False) -> None:
            super().__init__()
            self.net = _mlp()
            self.fused = fused

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return nn.functional.cross_entropy(self.net(x), y)

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.AdamW(self.parameters(), lr=1e-4, fused=self.fused)

    class Clock(pl.Callback):
        def __init__(self) -> None:
            self.stamps: list[Stamp] = []

        def on_train_batch_end(self, *args: Any, **kwargs: Any) -> None:
            self.stamps.append(_stamp())

    def run(callbacks: Callable[[], list[Any]], clip: float | None) -> Callable[[int, int, Path], Timing]:
        def fit(steps: int, skip: int, tmp: Path) -> Timing:
            clock = Clock()
            trainer = pl.Trainer(max_steps=steps, accelerator="cpu", devices=1, callbacks=[*callbacks(), clock],
                                 gradient_clip_val=clip, default_root_dir=tmp, logger=pl.loggers.CSVLogger(tmp),
                                 enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
            loader = torch.utils.data.DataLoader(_tensors(steps), batch_size=BATCH)
            trainer.fit(Classifier(FUSED[0]), loader)
            return _per_step(clock.stamps, skip)
        return fit

    variants = {
        "Lightning gradient_clip_val=1.0 (baseline)": run(lambda: [], 1.0),
        "GradGuardCallback() + gradient_clip_val=1.0": run(lambda: [GradGuardCallback()], 1.0),
        "GradGuardCallback(policy=safe(max_norm=1.0))": run(
            lambda: [GradGuardCallback(policy=gradguard.safe(max_norm=1.0))], None),
    }
    if FUSED[0]:
        variants["GradGuardCallback(policy=safe(max_norm=1.0), sync='deferred')"] = run(
            lambda: [GradGuardCallback(policy=gradguard.safe(max_norm=1.0), sync="deferred")], None)
    if detail:  # where the cost goes: the per-step pl_module.log_dict, the record, the policy
        variants.update({
            "... log=False": run(lambda: [GradGuardCallback(policy=gradguard.safe(max_norm=1.0), log=False)], None),
            "... log=False, run_dir=False": run(lambda: [GradGuardCallback(
                policy=gradguard.safe(max_norm=1.0), log=False, run_dir=False)], None),
            "... log=False, run_dir=False, policy='monitor' + gradient_clip_val=1.0": run(lambda: [
                GradGuardCallback(policy="monitor", log=False, run_dir=False)], 1.0),
        })
    return variants


# ----------------------------------------------------------------------------------------------- Transformers
def hf_variants(detail: bool = False) -> dict[str, Callable[[int, int, Path], Timing]]:
    import transformers

    from gradguard.integrations.hf import GradGuardTrainerCallback

    transformers.logging.set_verbosity_error()

    class Tokens(torch.utils.data.Dataset):  # type: ignore[type-arg]
        def __init__(self, n: int, length: int = 64, vocab: int = 1000) -> None:
            g = torch.Generator().manual_seed(0)
            self.ids = torch.randint(4, vocab, (n, length), generator=g)
            self.labels = torch.randint(0, 2, (n,), generator=g)

        def __len__(self) -> int:
            return len(self.ids)

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            return {"input_ids": self.ids[i], "attention_mask": torch.ones_like(self.ids[i]),
                    "labels": self.labels[i]}

    class Clock(transformers.TrainerCallback):
        def __init__(self) -> None:
            self.stamps: list[Stamp] = []

        def on_step_end(self, *args: Any, **kwargs: Any) -> None:
            self.stamps.append(_stamp())

    def run(callbacks: Callable[[], list[Any]], max_grad_norm: float) -> Callable[[int, int, Path], Timing]:
        def train(steps: int, skip: int, tmp: Path) -> Timing:
            torch.manual_seed(0)
            config = transformers.BertConfig(vocab_size=1000, hidden_size=128, num_hidden_layers=2,
                                             num_attention_heads=4, intermediate_size=512,
                                             max_position_embeddings=64, num_labels=2)  # type: ignore[call-arg]
            model = transformers.BertForSequenceClassification(config)
            args = transformers.TrainingArguments(
                output_dir=str(tmp), max_steps=steps, per_device_train_batch_size=16, learning_rate=1e-4,
                max_grad_norm=max_grad_norm, report_to=[], save_strategy="no", use_cpu=True,
                disable_tqdm=True, dataloader_num_workers=0, seed=0)
            clock = Clock()
            trainer = transformers.Trainer(model=model, args=args, train_dataset=Tokens(steps * 16),
                                           callbacks=[*callbacks(), clock])
            with contextlib.redirect_stdout(io.StringIO()):  # the Trainer prints its final metrics
                trainer.train()
            return _per_step(clock.stamps, skip)
        return train

    return {
        "Trainer max_grad_norm=1.0 (baseline)": run(lambda: [], 1.0),
        "GradGuardTrainerCallback(chain(skip_nonfinite, clip 1.0)), max_grad_norm=0": run(
            lambda: [GradGuardTrainerCallback(policy=gradguard.chain(gradguard.skip_nonfinite(),
                                                                     gradguard.clip_by_global_norm(1.0)))], 0.0),
        "GradGuardTrainerCallback(safe(max_norm=1.0)), max_grad_norm=0": run(
            lambda: [GradGuardTrainerCallback(policy=gradguard.safe(max_norm=1.0))], 0.0),
        **({"GradGuardTrainerCallback(safe(max_norm=1.0), sync='deferred'), max_grad_norm=0": run(
            lambda: [GradGuardTrainerCallback(policy=gradguard.safe(max_norm=1.0), sync="deferred")], 0.0)}
           if FUSED[0] else {}),
        **({"... run_dir=False": run(lambda: [GradGuardTrainerCallback(
            policy=gradguard.safe(max_norm=1.0), run_dir=False)], 0.0)} if detail else {}),
    }


# ----------------------------------------------------------------------------------------------- Accelerate
def accelerate_variants(detail: bool = False) -> dict[str, Callable[[int, int, Path], Timing]]:
    import accelerate

    def run(guarded: bool, sync: str = "blocking") -> Callable[[int, int, Path], Timing]:
        def loop(steps: int, skip: int, tmp: Path) -> Timing:
            acc = accelerate.Accelerator(cpu=True)
            model = _mlp()
            opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=FUSED[0])
            loader = torch.utils.data.DataLoader(_tensors(steps), batch_size=BATCH)
            model, opt, loader = acc.prepare(model, opt, loader)
            guard = gradguard.Guard(model, opt, tmp / "run", policy=gradguard.safe(max_norm=1.0),
                                    sync=sync) if guarded else None
            stamps: list[Stamp] = []
            for x, y in loader:
                loss = nn.functional.cross_entropy(model(x), y)
                acc.backward(loss)
                if guard is not None:
                    guard.step(loss)
                else:
                    acc.clip_grad_norm_(model.parameters(), 1.0)
                    opt.step()
                opt.zero_grad()
                stamps.append(_stamp())
            if guard is not None:
                guard.close()
            return _per_step(stamps, skip)
        return loop

    return {"accelerator.clip_grad_norm_(1.0) (baseline)": run(False),
            "Guard(policy=safe(max_norm=1.0)).step": run(True),
            **({"Guard(policy=safe(max_norm=1.0), sync='deferred').step": run(True, "deferred")} if FUSED[0] else {})}


#: ``--fused``: every variant's AdamW is the fused one (the Transformers Trainer's default already), and the
#: deferred variants are timed too (they need it)
FUSED = [False]

INTEGRATIONS: dict[str, Callable[[bool], dict[str, Callable[[int, int, Path], Timing]]]] = {
    "lightning": lightning_variants, "hf": hf_variants, "accelerate": accelerate_variants}


def bench(name: str, rounds: int, steps: int, skip: int, detail: bool = False) -> dict[str, list[Timing]]:
    variants = INTEGRATIONS[name](detail)
    names = list(variants)
    times: dict[str, list[Timing]] = {v: [] for v in names}
    with tempfile.TemporaryDirectory() as tmp:
        for v in names:  # a first, untimed run of each: imports, lazy initialisation
            variants[v](skip + 3, 1, Path(tmp) / f"warm{names.index(v)}")
        for r in range(rounds):
            for v in (names if r % 2 == 0 else list(reversed(names))):
                times[v].append(variants[v](steps, skip, Path(tmp) / f"r{r}v{names.index(v)}"))
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=sorted(INTEGRATIONS), action="append", default=None)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--steps", type=int, default=40, help="optimizer steps per run (default 40)")
    ap.add_argument("--skip", type=int, default=10, help="first steps of each run not timed (default 10)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--detail", action="store_true",
                    help="also time the callbacks without their logging / record / policy (where the cost goes)")
    ap.add_argument("--fused", action="store_true",
                    help="fused AdamW in every variant (the Trainer's default already), and the deferred variants")
    args = ap.parse_args()
    FUSED[0] = args.fused
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, CPU, {torch.get_num_threads()} threads, {args.rounds} interleaved rounds x "
          f"{args.steps} steps per run ({args.skip} untimed), "
          f"{'fused ' if args.fused else ''}AdamW (the Trainer's: fused, its default), "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| integration | variant | wall ms/step | ratio, wall (IQR) | CPU ms/step | ratio, CPU (IQR) |")
    print("|---|---|---:|---:|---:|---:|")
    for name in INTEGRATIONS:
        if args.only and name not in args.only:
            continue
        times = bench(name, args.rounds, args.steps, args.skip, args.detail)
        base = next(iter(times.values()))
        for v, t in times.items():
            cells = []
            for k in (0, 1):  # wall, CPU
                ratios = [a[k] / b[k] for a, b in zip(t, base, strict=True)]
                q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratios[0], 0, ratios[0])
                cells.append(f"{statistics.median(x[k] for x in t):.2f} | {statistics.median(ratios):.3f} "
                             f"({q1:.3f}–{q3:.3f})")
            print(f"| {name} | {v} | {cells[0]} | {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
