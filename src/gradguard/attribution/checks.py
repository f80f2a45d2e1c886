"""Data checks on culprit samples, against the other samples of their batch.

Token data (an integer tensor): the longest run of one token and the fraction of repeated 4-grams (repeated
n-grams and long runs of one token are what OLMo and BigScience traced their spikes to). Float data: values
out of the range the other samples span, non-finite values, and near-duplicates of another sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["check_samples", "first_tensor"]

#: A run of one token at least this long, and this fraction of the sequence, is flagged.
LONG_RUN = 8
LONG_RUN_FRACTION = 0.25
#: At least this fraction of the 4-grams repeat an earlier one (and more than the batch's median + 0.25).
REPEATED_NGRAMS = 0.5
#: A value this many times beyond the largest magnitude of the other samples is out of range.
OUT_OF_RANGE = 10.0
#: Cosine similarity above which two samples are near-duplicates.
NEAR_DUPLICATE = 0.999


def first_tensor(batch: Any) -> torch.Tensor | None:
    """The inputs of a batch: the first tensor of it, depth first."""
    if isinstance(batch, torch.Tensor):
        return batch
    items = batch.values() if isinstance(batch, dict) else batch if isinstance(batch, (list, tuple)) else ()
    for v in items:
        found = first_tensor(v)
        if found is not None:
            return found
    return None


def _longest_run(seq: torch.Tensor) -> int:
    if seq.numel() == 0:
        return 0
    change = torch.nonzero(seq[1:] != seq[:-1]).flatten()
    bounds = torch.cat([torch.tensor([-1]), change, torch.tensor([seq.numel() - 1])])
    return int((bounds[1:] - bounds[:-1]).max())


def _repeated_ngrams(seq: torch.Tensor, n: int = 4) -> float:
    if seq.numel() < n + 1:
        return 0.0
    grams = seq.unfold(0, n, 1)
    unique = torch.unique(grams, dim=0).shape[0]
    return 1.0 - unique / grams.shape[0]


def _token_checks(data: torch.Tensor, culprits: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = data.reshape(data.shape[0], -1).cpu()
    repeated = [_repeated_ngrams(r) for r in rows]
    median_rep = float(torch.tensor(repeated).median())
    out = {}
    for i in culprits:
        run = _longest_run(rows[i])
        flags = []
        if run >= max(LONG_RUN, LONG_RUN_FRACTION * rows.shape[1]):
            flags.append("long_run_of_one_token")
        if repeated[i] >= REPEATED_NGRAMS and repeated[i] > median_rep + 0.25:
            flags.append("repeated_ngrams")
        out[i] = {"kind": "tokens", "longest_run": run, "length": int(rows.shape[1]),
                  "repeated_4gram_fraction": round(repeated[i], 4), "batch_median_repeated": round(median_rep, 4),
                  "flags": flags}
    return out


def _float_checks(data: torch.Tensor, culprits: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = data.reshape(data.shape[0], -1).detach().float().cpu()
    n = rows.shape[0]
    finite = torch.where(torch.isfinite(rows), rows, torch.zeros(()))
    unit = finite / finite.norm(dim=1, keepdim=True).clamp_min(1e-30)
    out = {}
    for i in culprits:
        others = torch.cat([finite[:i], finite[i + 1:]]) if n > 1 else finite
        ref = float(others.abs().max()) if others.numel() else 0.0
        lo = others.min(dim=0).values if n > 1 else finite[i]
        hi = others.max(dim=0).values if n > 1 else finite[i]
        outside = float(((finite[i] < lo) | (finite[i] > hi)).float().mean())
        peak = float(finite[i].abs().max()) if finite[i].numel() else 0.0
        ratio = peak / ref if ref > 0 else (math.inf if peak > 0 else 1.0)
        nonfinite = int((~torch.isfinite(rows[i])).sum())
        sims = unit @ unit[i]
        sims[i] = -1.0
        dups = [int(j) for j in torch.nonzero(sims > NEAR_DUPLICATE).flatten()[:5]]
        flags = []
        if nonfinite:
            flags.append("nonfinite_values")
        if ratio > OUT_OF_RANGE:
            flags.append("out_of_range")
        if dups:
            flags.append("near_duplicate")
        out[i] = {"kind": "float", "max_abs": peak, "others_max_abs": ref,
                  "range_ratio": ratio if math.isfinite(ratio) else None,
                  "outside_others_range_fraction": round(outside, 4), "nonfinite_values": nonfinite,
                  "near_duplicates": dups, "flags": flags}
    return out


def check_samples(batch: Any, culprits: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Checks of the batch's samples ``culprits`` (indices into the batch) on its inputs (its first tensor).

    Returns ``{index: {"kind": "tokens" | "float", numbers..., "flags": [...]}}``; empty if the batch has no
    tensor with one row per sample."""
    data = first_tensor(batch)
    if data is None or data.dim() == 0 or not culprits or max(culprits) >= data.shape[0]:
        return {}
    if data.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        if data.dim() < 2:
            return {}
        return _token_checks(data, culprits)
    if data.is_floating_point():
        return _float_checks(data, culprits)
    return {}
