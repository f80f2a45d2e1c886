"""The lab: every claim of the seed documents reproduced as a small, seeded, measured experiment.

Each experiment measures with the guard's own statistics, decides its verdict from the numbers (thresholds in
code) and returns a :class:`LabResult`; :func:`run_lab` runs them and writes ``lab.html`` and ``lab.md``::

    from gradguard.lab import run_lab
    run_lab(only=["relu", "batchnorm"], out=pathlib.Path("lab-report"))
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Callable

import torch

from ..errors import ConfigError
from . import (
    attention,
    batchnorm,
    capping,
    clipping,
    depth,
    init,
    leaky,
    lr,
    recurrence,
    regularization,
    relu,
    saturation,
    signs,
)
from ._core import Experiment, LabResult, Plot, Verdict

__all__ = ["EXPERIMENTS", "Experiment", "LabResult", "Plot", "Verdict", "run_experiments", "run_lab"]

#: name -> experiment, in the order of the claims (issue 7)
EXPERIMENTS: dict[str, Experiment] = {m.EXPERIMENT.name: m.EXPERIMENT for m in (
    init, saturation, relu, depth, recurrence, lr, batchnorm, clipping, regularization, leaky, signs,  # the seeds
    attention, capping)}  # issue 17's precursor claims

#: CPU threads the lab runs on; its models are tiny, where more threads mostly add contention
THREADS = 1


def _select(only: list[str] | None) -> list[Experiment]:
    if only is None:
        return list(EXPERIMENTS.values())
    if isinstance(only, str) or not all(isinstance(n, str) for n in only):
        raise ConfigError("only", only, f"a list of experiment names among {', '.join(EXPERIMENTS)}")
    unknown = [n for n in only if n not in EXPERIMENTS]
    if unknown:
        raise ConfigError("only", unknown[0] if len(unknown) == 1 else unknown,
                          f"experiment names among {', '.join(EXPERIMENTS)}")
    return [EXPERIMENTS[n] for n in dict.fromkeys(only)]


def run_experiments(only: list[str] | None = None, *, quick: bool = False,
                    progress: Callable[[str, int, int], None] | None = None) -> list[LabResult]:
    """Run the experiments named in ``only`` (default all) and return their results, without writing anything."""
    chosen = _select(only)
    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    results = []
    try:
        for i, exp in enumerate(chosen):
            if progress is not None:
                progress(exp.name, i, len(chosen))
            start = time.perf_counter()
            result = exp.run(quick)
            result.seconds = time.perf_counter() - start
            results.append(result)
        if progress is not None and chosen:
            progress(chosen[-1].name, len(chosen), len(chosen))
    finally:
        torch.set_num_threads(threads)
    return results


def run_lab(only: list[str] | None = None, out: pathlib.Path = pathlib.Path("lab-report"),
            progress: Callable[[str, int, int], None] | None = None, *, quick: bool = False) -> pathlib.Path:
    """Run the experiments (all, or those named), write ``out/lab.html`` and ``out/lab.md``, return the HTML path.

    ``progress(name, done, total)`` is called before each experiment (``done`` finished so far) and once at the end.
    ``quick`` runs reduced versions (fewer steps and sizes; the tests use it).

    Raises:
        ConfigError: ``only`` names an experiment that does not exist.
    """
    from .report import write

    chosen = _select(only)  # validate before any work
    start = time.perf_counter()
    results = run_experiments([e.name for e in chosen], quick=quick, progress=progress)
    return write(results, pathlib.Path(out), time.perf_counter() - start)
