"""Two (or more) gloo ranks on loopback, as separate processes: the harness the distributed tests and benchmarks
share (``tests/test_distributed.py``, ``tests/test_attribution_ddp.py``, ``benchmarks/faults_ranks.py``).

The parent calls :func:`run_ranks` with a script; each rank re-runs that script as
``python SCRIPT --gloo-worker RANK WORLD PORT OUT [ARGS...]``, whose ``__main__`` calls :func:`serve` with the
work to do. ``serve`` joins the process group (gloo, a collective timeout), runs the work and saves what it returns
to ``OUT/rank{RANK}.pt``; the parent loads every rank's file, or reports the workers' logs when one failed or did
not finish in time (a hang). Every worker runs with one thread (``OMP_NUM_THREADS=1``).
"""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

__all__ = ["WORKER_FLAG", "free_port", "is_worker", "run_ranks", "serve"]

WORKER_FLAG = "--gloo-worker"


def free_port() -> int:
    """A free TCP port on loopback (for ``MASTER_PORT``)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_ranks(script: str | os.PathLike[str], out: Path, *, world: int = 2, timeout_s: float = 240.0,
              args: Sequence[str] = (), weights_only: bool = False) -> tuple[list[Any], str]:
    """Run ``script`` as ``world`` gloo ranks; (each rank's saved result, "") or ([], the reason and the logs).

    ``timeout_s``: wall-clock seconds for all ranks together (then they are killed: a hang); ``args``: passed to
    every rank after the standard ones; ``weights_only``: how the results are loaded (True for tensors only)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    port = free_port()
    procs = [subprocess.Popen([sys.executable, str(script), WORKER_FLAG, str(r), str(world), str(port), str(out),
                               *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for r in range(world)]
    logs, deadline = [], time.monotonic() + timeout_s
    try:
        for p in procs:
            logs.append(p.communicate(timeout=max(1.0, deadline - time.monotonic()))[0].decode(errors="replace"))
    except subprocess.TimeoutExpired:
        return [], f"the {world} gloo workers did not finish in {timeout_s:.0f} s (a hang)"
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    if any(p.returncode != 0 for p in procs):
        return [], "\n".join(f"rank {r} (exit {p.returncode}):\n{log[-3000:]}"
                             for r, (p, log) in enumerate(zip(procs, logs, strict=True)))
    return [torch.load(out / f"rank{r}.pt", weights_only=weights_only) for r in range(world)], ""


def is_worker(argv: Sequence[str] | None = None) -> bool:
    """Whether this process was started by :func:`run_ranks`."""
    argv = sys.argv if argv is None else argv
    return len(argv) > 1 and argv[1] == WORKER_FLAG


def serve(work: Callable[[int, int, list[str]], Any], *, collective_timeout_s: float = 60.0,
          argv: Sequence[str] | None = None) -> None:
    """In a worker: join the gloo group, run ``work(rank, world, args)`` and save its result for the parent."""
    argv = list(sys.argv if argv is None else argv)
    if not is_worker(argv):
        raise SystemExit(f"usage: {argv[0]} {WORKER_FLAG} RANK WORLD PORT OUT [ARGS...]")
    rank, world, port, out, extra = int(argv[2]), int(argv[3]), int(argv[4]), Path(argv[5]), argv[6:]
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world,
                                         timeout=datetime.timedelta(seconds=collective_timeout_s))
    try:
        torch.save(work(rank, world, extra), out / f"rank{rank}.pt")
        # every rank done before any tears its group down: a rank that destroyed its group and exited while the
        # other still closed its connections aborted that one ("terminate called without an active exception",
        # exit -6) once in a loaded clean-clone CI run
        torch.distributed.barrier()
    finally:
        torch.distributed.destroy_process_group()
