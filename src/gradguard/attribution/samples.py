"""Which samples of a batch explain its gradient: per-sample re-runs, or bisection when the batch is large.

Each group of samples ``S`` (a single sample, or a part of the batch) is re-run alone; its *gradient share* is the
part of the batch gradient ``G`` it accounts for: ``share(S) = (|S|/n) <g_S, G> / <G, G>`` where ``g_S`` is the
gradient of the group's mean loss. For a loss that is a mean over samples (and no batch-coupled layer) the
shares of a partition sum to 1. A poisoned sample holds a share near 1; in a healthy batch each holds ~1/n.
Where ``G`` is not finite, the score is the group's gradient norm (a non-finite group first).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ._batch import BatchLoss, select
from ._rerun import trainable

__all__ = ["rank_samples"]


def _split(group: Sequence[int], parts: int) -> list[list[int]]:
    parts = max(1, min(parts, len(group)))
    size, extra = divmod(len(group), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(list(group[start:end]))
        start = end
    return out


class _Scorer:
    def __init__(self, model: nn.Module, batch_loss: BatchLoss, batch: Any, n: int,
                 full_grads: Sequence[torch.Tensor | None] | None) -> None:
        self.model, self.batch_loss, self.batch, self.n = model, batch_loss, batch, n  # n: samples behind G
        self.params = trainable(model)
        self.full = None
        self.gg = 0.0
        if full_grads is not None:
            full = [None if g is None else g.detach().float() for g in full_grads]
            gg = sum(float((g * g).sum()) for g in full if g is not None)
            if math.isfinite(gg) and gg > 0:
                self.full, self.gg = full, gg
        self.runs = 0
        self.eval_fallback = False
        self.norm = 1.0  # shares are divided by it (the first partition's raw sum, see rank_samples)

    def __call__(self, group: list[int]) -> dict[str, Any]:
        self.runs += 1
        sub = select(self.batch, group)
        with torch.enable_grad():
            try:
                loss = self.batch_loss(self.model, sub)
            except (ValueError, RuntimeError):  # e.g. BatchNorm refuses one sample in training mode
                if self.eval_fallback or not self.model.training:
                    raise
                self.eval_fallback = True
                self.model.eval()
                loss = self.batch_loss(self.model, sub)
            loss = loss.float().mean() if loss.dim() else loss.float()
            grads = torch.autograd.grad(loss, self.params, allow_unused=True) if loss.requires_grad else ()
        sq = sum(float(g.detach().float().pow(2).sum()) for g in grads if g is not None)
        gnorm = math.sqrt(sq) if math.isfinite(sq) else math.inf
        item: dict[str, Any] = {"loss": float(loss.detach()), "grad_norm": gnorm}
        share = None
        if self.full is not None and grads:
            dot = sum(float((g.detach().float() * f).sum()) for g, f in zip(grads, self.full, strict=False)
                      if g is not None and f is not None)
            share = len(group) / self.n * dot / self.gg / self.norm
            if not math.isfinite(share):
                share = None
        item["share"] = share
        finite = math.isfinite(item["loss"]) and math.isfinite(gnorm)
        item["score"] = share if share is not None else (math.inf if not finite else gnorm)
        return item


def rank_samples(model: nn.Module, batch_loss: BatchLoss, batch: Any, n: int,
                 full_grads: Sequence[torch.Tensor | None] | None, *, top: int = 3, max_runs: int = 64,
                 total: int | None = None, normalize: bool = True,
                 ) -> tuple[list[dict[str, Any]], int, bool, float | None]:
    """The ``top`` samples by gradient share, at most ``max_runs`` re-runs (each on a part of the batch).

    ``model`` is a working copy (it may be put in eval mode when a layer refuses a single sample). A batch of
    at most ``max_runs`` samples is re-run sample by sample; a larger one is split into ``max_runs // 4`` parts,
    and the ``top`` parts with the largest share are split again (in 4) until they are single samples or the
    re-runs are spent. Returns (culprits, re-runs made, whether eval mode was needed, the first partition's raw
    share sum); each culprit is ``{"index": i, "share", "loss", "grad_norm"}`` or, when the budget ran out first,
    ``{"indices": [...], ...}``.

    ``normalize`` (default True): shares are divided by the first partition's raw sum (it covers the batch, so
    shares then sum to 1). Without it they sum to 1 only when a group re-run alone computes what it did inside the
    batch: a dropout layer draws other masks for it (a 1000x sample in pytorch/examples' MNIST net, two dropout
    layers, held a raw 21% of the batch gradient, 95% normalized); a sum that is not positive is not used.
    ``total``: the samples behind ``full_grads`` when they are more than this batch's ``n`` (the global batch of
    a DDP step), so that shares are of the global gradient.
    """
    scorer = _Scorer(model, batch_loss, batch, n if total is None else total, full_grads)
    first = _split(list(range(n)), n if n <= max_runs else max(2, max_runs // 4))
    pool: list[tuple[list[int], dict[str, Any]]] = [(g, scorer(g)) for g in first]
    shares = [item["share"] for _, item in pool]
    raw = math.fsum(shares) if shares and all(x is not None for x in shares) else None
    if normalize and raw is not None and math.isfinite(raw) and raw > 0:
        scorer.norm = raw
        for _, item in pool:
            item["share"] = item["score"] = item["share"] / raw
    while True:
        pool.sort(key=lambda item: -item[1]["score"])
        wide = [item for item in pool[:top] if len(item[0]) > 1]
        if not wide:
            break
        group, _ = wide[0]
        parts = _split(group, 4)
        if scorer.runs + len(parts) > max_runs:
            break
        pool.remove(wide[0])
        pool.extend((p, scorer(p)) for p in parts)
    culprits = []
    for group, item in pool[:top]:
        entry = {k: v for k, v in item.items() if k != "score"}
        culprits.append({"index": group[0], **entry} if len(group) == 1 else {"indices": group, **entry})
    return culprits, scorer.runs, scorer.eval_fallback, raw
