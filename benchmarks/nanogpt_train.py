"""karpathy/nanoGPT's own ``train.py``, as published, against the same script with the guard in place of its clip.

Reads ``train.py`` from a nanoGPT checkout given on the command line (nothing of it is copied into this repository),
changes three places in memory and runs it in a child process per variant:

- where the script clips and steps (``scaler.unscale_``, ``clip_grad_norm_(grad_clip)``, ``scaler.step``,
  ``scaler.update``), a guarded variant calls ``guard.step(loss)`` with ``gradguard.safe(max_norm=grad_clip)``
  (bf16 autocast on a GPU: the script's GradScaler is disabled, as published);
- the wall time of iterations 50 to ``max_iters - 1`` is taken between two ``torch.cuda.synchronize()`` calls (the
  evaluations at iteration 0 and ``max_iters`` fall outside it);
- after the loop the script's ``estimate_loss()`` gives the last validation loss, and a JSON line the figures.

The data: ``data/shakespeare_char/{train,val}.bin`` and ``meta.pkl`` in the checkout (the script's own
``prepare.py`` downloads Shakespeare; any character-level text prepared the same way does). Settings:
``config/train_shakespeare_char.py`` (6 layers, 6 heads, d=384, context 256, batch 64, dropout 0.2, AdamW 1e-3
with beta2 0.99, warm-up 100, fused AdamW on CUDA) with ``max_iters`` and the evaluation cadence shortened.

    python benchmarks/nanogpt_train.py /path/to/nanoGPT                      # the variants below, 300 iterations
    python benchmarks/nanogpt_train.py /path/to/nanoGPT --rounds 2 --variants published,deferred
    python benchmarks/nanogpt_train.py /path/to/nanoGPT --lr-scale 30        # a fault: the peak rate 30x
    python benchmarks/nanogpt_train.py /path/to/nanoGPT --max-iters 60 --device=cpu --dtype=float32 --n_layer=2 \
        --n_embd=64 --batch_size=8 --block_size=64 --variants published,blocking,deferred   # a CPU smoke run

Arguments the script's configurator takes (``--name=value``) are handed on after this harness's own.

Variants: ``published`` (the script as is), ``blocking`` / ``deferred`` (the guard, ``sync=``), and each with
``+compile`` (the script's ``compile=True``, its default; otherwise ``--compile=False``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CLIP = """    if grad_clip != 0.0:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    # step the optimizer and scaler if training in fp16
    scaler.step(optimizer)
    scaler.update()
"""
GUARDED = """    if _GG is None:
        if grad_clip != 0.0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        scaler.step(optimizer)
        scaler.update()
    else:
        _gg_reports.append(_GG.step(loss))
"""
LOOP = "# training loop\n"
SETUP = """import gradguard as _gradguard
_GG = None if _GG_SYNC == 'published' else _gradguard.Guard(
    model, optimizer, policy=_gradguard.safe(max_norm=grad_clip), sync=_GG_SYNC)
_gg_reports = []
_gg_t = {}
"""
TIMING = "    # timing and logging\n"
TIMED = """    if iter_num in (50, max_iters - 1):
        torch.cuda.synchronize() if device_type == 'cuda' else None
        _gg_t[iter_num] = time.time()
"""
SEED = "torch.manual_seed(1337 + seed_offset)\n"
SEEDED = "torch.manual_seed(1337 + seed_offset + _GG_SEED)\n"
END = "if ddp:\n    destroy_process_group()"
REPORT = """if _GG is not None:
    _last = _GG.flush()
    _gg_reports.append(_last) if _last is not None else None
    _GG.close()
_losses = estimate_loss()
_skipped = sum(1 for r in _gg_reports if r is not None and r.step >= 0 and not r.applied)
_kinds = {}
for r in _gg_reports:
    for e in (r.events if r is not None else ()):
        _kinds[e.kind] = _kinds.get(e.kind, 0) + 1
print('GG_RESULT ' + json.dumps({'ms_per_iter': (_gg_t[max_iters - 1] - _gg_t[50]) / (max_iters - 51) * 1e3,
      'val': float(_losses['val']), 'train': float(_losses['train']), 'skipped': _skipped, 'events': _kinds}))
"""


def patched(source: str) -> str:
    """``train.py``'s source with the three changes (each place must be found exactly once)."""
    for old, new in ((CLIP, GUARDED), (LOOP, SETUP + LOOP), (TIMING, TIMED + TIMING), (END, REPORT + END),
                     (SEED, SEEDED)):
        if source.count(old) != 1:
            raise SystemExit(f"train.py has changed: {old.splitlines()[0]!r} is not found exactly once")
        source = source.replace(old, new)
    return "import json\n" + source


def child(root: Path, variant: str, seed: int, argv: list[str]) -> None:
    os.chdir(root)
    sys.path.insert(0, str(root))
    code = patched((root / "train.py").read_text())
    sys.argv = ["train.py", "config/train_shakespeare_char.py", *argv]
    exec(compile(code, str(root / "train.py"), "exec"), {"__name__": "__main__", "_GG_SYNC": variant, "_GG_SEED": seed})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("nanogpt", type=Path, help="a nanoGPT checkout with data/shakespeare_char prepared")
    ap.add_argument("--variants", default="published,blocking,deferred,published+compile,deferred+compile")
    ap.add_argument("--rounds", type=int, default=1, help="each variant this many times, interleaved")
    ap.add_argument("--max-iters", type=int, default=300)
    ap.add_argument("--lr-scale", type=float, default=1.0, help="the peak learning rate times this (a fault)")
    ap.add_argument("--seeds", default="0", help="comma-separated: the script seeds torch with 1337 + its rank "
                    "offset + each of these (its weights, dropout and batches: torch.randint)")
    ap.add_argument("--child", default="", help=argparse.SUPPRESS)
    args, rest = ap.parse_known_args()
    if args.child:
        child(args.nanogpt.resolve(), args.child, int(args.seeds), rest)
        return
    for r, seed, v in ((r, s, v) for r in range(args.rounds) for s in args.seeds.split(",")
                       for v in args.variants.split(",")):
        sync, _, comp = v.partition("+")
        argv = [f"--compile={comp == 'compile'}", f"--max_iters={args.max_iters}",
                f"--lr_decay_iters={args.max_iters}", f"--eval_interval={args.max_iters}", "--eval_iters=20",
                f"--learning_rate={1e-3 * args.lr_scale}", f"--min_lr={1e-4 * args.lr_scale}",
                "--out_dir=/tmp/nanogpt_train_out", "--always_save_checkpoint=False"]
        proc = subprocess.run([sys.executable, __file__, str(args.nanogpt), "--child", sync, "--seeds", seed,
                               *argv, *rest],
                              capture_output=True, text=True, check=False)
        line = [x for x in proc.stdout.splitlines() if x.startswith("GG_RESULT ")]
        if not line:
            print(f"{v}: failed (exit {proc.returncode})\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
            continue
        res = json.loads(line[0][len("GG_RESULT "):])
        print(f"| {r} | {seed} | {v} | {res['ms_per_iter']:.2f} | {res['train']:.4f} | {res['val']:.4f} | "
              f"{res['skipped']} | {res['events']} |", flush=True)
    print(f"\nlr scale {args.lr_scale}, {args.max_iters} iterations; columns: round, seed, variant, ms per iteration "
          "(iterations 50..max-1), train and val loss at the end (the script's estimate_loss), guarded steps "
          "skipped, events")


if __name__ == "__main__":
    main()
