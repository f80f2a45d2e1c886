"""Embedding lookups that all hit one row: ids that are not what the table was built for (issue 12).

A library embedding table (``nn.Embedding``/``nn.EmbeddingBag`` computing its own ``forward``) of ``MIN_ROWS`` rows or
more, looked up by ids of the batch itself (the module's input views a tensor the model was given: ids the forward
computes, a VQ-VAE's nearest codes, are not data), whose every lookup, ``MIN_LOOKUPS`` or more over all its calls,
reads one and the same row: every
sample gets the same vector from it, so the feature it encodes carries nothing. It is how a vocabulary keyed by
strings answers ids looked up as integers (or the reverse): every key misses and falls back to the out-of-vocabulary
row (fresh23's behaviour-sequence transformer: 576 lookups of a 51-row item table, all row 0); an id column read from
the wrong field, an offset that sends every id past the table's end and a clamp, a mask applied before the lookup
look the same. Named ``data`` (warning, ``SCORE``: a definite slip ranks above the stalls it causes).

Judgment corpus, every case of the 25 halves (seeds 0 and 1): no healthy model's table is read at one row only by
the batch's ids (a VQ-VAE's codebook at init is read at one code at seed 1, by codes its forward computes); tables
read per decoding step by one start token are read at other rows by the later calls, and position tables that
compute their own ids (OPT, BioGPT) define their own ``forward`` and are not read here.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .findings import Finding

__all__ = ["MIN_LOOKUPS", "MIN_ROWS", "SCORE", "one_row_findings"]

#: rows a table must have for one row read by the whole batch to be a fault (not a small category table)
MIN_ROWS = 16
#: lookups over all of a table's calls before one row read throughout counts (a batch, not one sample)
MIN_LOOKUPS = 64
#: ranking score (see the module docstring)
SCORE = 2.0

_TABLES = (nn.Embedding.forward, nn.EmbeddingBag.forward)


def one_row_findings(probe: Any) -> list[Finding]:
    """``data`` (warning) for each library embedding table whose every lookup in the batch reads one row."""
    rows: dict[str, set[int]] = {}
    counts: dict[str, int] = {}
    tables: dict[str, nn.Module] = {}
    for r in probe.records:
        x = getattr(r, "_in_x", None)
        m = r.module
        if x is None or type(m).forward not in _TABLES or x.is_floating_point() or x.numel() == 0:
            continue
        if x.untyped_storage().data_ptr() not in probe.batch_storages:
            continue  # ids the forward computed (a VQ-VAE's nearest codes, a start token): not the data's
        with torch.no_grad():
            rows.setdefault(r.name, set()).update(int(v) for v in torch.unique(x.detach()).tolist()[:2])
        counts[r.name] = counts.get(r.name, 0) + x.numel()
        tables[r.name] = m
    bad = {n: next(iter(ids)) for n, ids in rows.items()
           if len(ids) == 1 and counts[n] >= MIN_LOOKUPS and int(getattr(tables[n], "num_embeddings", 0)) >= MIN_ROWS}
    if not bad:
        return []
    name, row = next(iter(bad.items()))
    size = int(getattr(tables[name], "num_embeddings", 0))
    padding = getattr(tables[name], "padding_idx", None)
    what = " (its padding row)" if padding is not None and row == padding else ""
    return [Finding(
        cause="data", layers=sorted(bad), severity="warning", confidence=0.8,
        evidence={"tables": {n: {"row": i, "lookups": counts[n],
                                 "rows": int(getattr(tables[n], "num_embeddings", 0))} for n, i in bad.items()},
                  "expected": "the batch's ids spread over the table's rows"},
        message=(f"Every one of the {counts[name]} lookups of {name} (a table of {size} rows) in this batch reads row "
                 f"{row}{what}: every sample gets the same vector, so that feature carries nothing. The ids are not "
                 "what the table was built for: keys that all miss a vocabulary and fall back to its "
                 "out-of-vocabulary row (an id looked up as a string, or a string as an id), a column read from the "
                 "wrong field, ids offset past the table and clamped."),
        prescription=("Print a few raw ids and their looked-up rows: map the ids with the same key type the vocabulary "
                      "was built with, so distinct ids reach distinct rows."),
        code=f"print(ids[:8], torch.unique(ids).numel())  # the input of {name}: should hold many distinct ids",
        score=SCORE,
    )]
