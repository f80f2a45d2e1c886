"""Parameters that the model's own forward rewrites: whatever a step learns, the next forward overwrites.

A forward reads its weights; it must not write them. Two slips do: an init called inside ``forward`` (FMLP-Rec's
reference ``self.apply(self.init_weights)`` moved to the top of ``forward``: every embedding and Linear re-drawn at
every call, so no optimizer step survives the next forward; ``init``) and a DropConnect whose dropped copy is stored
over the raw weight (``w.data = F.dropout(w.data, p)``: each forward zeroes a fresh share of what is left, so the
weights empty out; ``regularization``). Told apart by the zeros: a share of the parameter's elements newly exactly
zero (from ``DROPPED_SHARE`` to ``ALL_ZEROED`` of them: an init that zeroes a bias sets all of it) is a mask written
into it.

Read without copying a weight: before the forward, each trainable parameter's version counter (bumped by an
in-place write), its storage pointer (changed by ``p.data = ...``) and its count of exact zeros; after it, the same.
``nn.Embedding(max_norm=...)`` renormalises the rows it looks up in place by design, and is left out. So is a
projection: a write that only rescales the values (every sampled element keeps its sign, and none is newly zero), as
SwAV's prototypes L2-normalised before every forward, or a max-norm constraint; told apart from a re-draw on up to
``SAMPLE`` elements of the parameter kept from before the forward (a re-drawn init keeps about half of the signs).
And so is a projection that zeroes the smallest values (soft-thresholding onto an L1 or max-row-sum ball, as an
implicit GNN keeps its weight well-posed: fresh99's IGNN was told "a DropConnect stored in place", critical): the
survivors keep their signs and do not grow, and the zeroed ones were the small ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .findings import Finding

__all__ = ["ALL_ZEROED", "DROPPED_SHARE", "SAME_SIGN", "SAMPLE", "SMALL_ZEROED", "RewriteWatch", "Rewritten",
           "rewritten_findings"]

#: share of a parameter's elements newly exactly zero after the forward from which the write is a dropout mask, and
#: up to which (an init that zeroes a bias sets all of it)
DROPPED_SHARE, ALL_ZEROED = 0.1, 0.9
#: elements of each parameter kept (a strided sample) to tell a rescaling write from a re-draw
SAMPLE = 512
#: share of the sampled non-zero elements that must keep their sign for a write to count as a rescaling
SAME_SIGN = 0.99
#: a write that zeroes elements counts as a shrinking projection when the zeroed ones were on average under this share
#: of the survivors' size (a dropout mask zeroes them whatever their size: about 1)
SMALL_ZEROED = 0.5


@dataclass(frozen=True)
class Rewritten:
    """A parameter the forward wrote: its name, and the share of its elements it set to exactly zero."""

    name: str
    zeroed: float


class RewriteWatch:
    """Notes every trainable parameter's version, storage and zero count; :meth:`rewritten` compares after a forward."""

    def __init__(self, model: nn.Module, trainable: dict[str, nn.Parameter]) -> None:
        renormed = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding) and m.max_norm is not None}
        # the zero counts stay on the parameters' device: read (a host sync) only for a parameter the forward wrote
        self._before = {n: (p, p._version, p.data_ptr(), _zeros(p), _sample(p)) for n, p in trainable.items()
                        if id(p) not in renormed}

    def rewritten(self) -> list[Rewritten]:
        out = []
        for name, (p, version, ptr, zeros, sample) in self._before.items():
            if p._version != version or p.data_ptr() != ptr:
                n = max(p.numel(), 1)
                zeroed = max(0, int(_zeros(p)) - int(zeros)) / n
                if zeroed == 0 and _rescaled(p, sample):
                    continue  # a projection (a norm constraint): the values are rescaled, not re-drawn
                if zeroed > 0 and _thresholded(p, sample):
                    continue  # a projection onto an L1 ball (soft-thresholding): the smallest values go to zero
                out.append(Rewritten(name, zeroed))
        return out


def _stride(p: torch.Tensor) -> int:
    return max(1, p.numel() // SAMPLE)


def _sample(p: torch.Tensor) -> torch.Tensor:
    """Up to ``SAMPLE`` of ``p``'s elements at a fixed stride, copied (kept on ``p``'s device)."""
    with torch.no_grad():
        return p.detach().reshape(-1)[::_stride(p)][:SAMPLE].clone()


def _rescaled(p: torch.Tensor, before: torch.Tensor) -> bool:
    """Whether the sampled elements kept their signs through the write (at least ``SAME_SIGN`` of the non-zero ones;
    a value left unchanged counts as kept)."""
    with torch.no_grad():
        after = _sample(p)
        if after.shape != before.shape:
            return False
        nz = (before != 0) & (after != 0)
        kept = int(((torch.sign(before) == torch.sign(after)) & nz).sum())
        total = int(nz.sum())
    return total > 0 and kept >= SAME_SIGN * total


def _thresholded(p: torch.Tensor, before: torch.Tensor) -> bool:
    """Whether the write shrank the sampled elements towards zero, zeroing the small ones: every survivor kept its
    sign and did not grow, and the newly zeroed ones were on average under ``SMALL_ZEROED`` of the survivors' size
    (a projection onto an L1 or max-row-sum ball, as an implicit GNN keeps its weight well-posed). A dropout mask
    zeroes elements whatever their size, and ``F.dropout`` scales the survivors up."""
    with torch.no_grad():
        after = _sample(p)
        if after.shape != before.shape:
            return False
        was, now = before.abs(), after.abs()
        survived = (before != 0) & (after != 0)
        gone = (before != 0) & (after == 0)
        if not bool(survived.any()) or not bool(gone.any()):
            return False
        if bool((torch.sign(before[survived]) != torch.sign(after[survived])).any()):
            return False
        if bool((now[survived] > was[survived] * (1 + 1e-6)).any()):
            return False
        return float(was[gone].mean()) <= SMALL_ZEROED * float(was[survived].mean())


def _zeros(p: torch.Tensor) -> torch.Tensor:
    """The count of ``p``'s elements that are exactly 0, as a device tensor."""
    with torch.no_grad():
        return (p.detach() == 0).sum()


def rewritten_findings(rewritten: list[Rewritten]) -> list[Finding]:
    """``init`` (critical) when the forward rewrites parameters, ``regularization`` when what it writes is a dropout
    mask (see the module docstring); [] when it writes none."""
    if not rewritten:
        return []
    dropped = [r for r in rewritten if DROPPED_SHARE <= r.zeroed <= ALL_ZEROED]
    names = sorted(r.name for r in (dropped or rewritten))
    layers = sorted({n.rsplit(".", 1)[0] for n in names})
    shown = ", ".join(names[:4]) + (" ..." if len(names) > 4 else "")
    if dropped:
        share = max(r.zeroed for r in dropped)
        return [Finding(
            cause="regularization", layers=layers, severity="critical", confidence=0.85,
            evidence={"rewritten_by_forward": names[:20], "zeroed_share": round(share, 3),
                      "expected": "a forward that reads its weights and never writes them"},
            message=(f"The forward writes a dropout mask into {len(names)} weight(s) ({shown}): up to {share:.0%} of "
                     "their elements set to exactly 0 and stored over the raw weights, so every forward drops a "
                     "fresh share of what is left and the weights empty out (a DropConnect stored in place)."),
            prescription=("Apply the dropout to a copy used for this forward only (w = F.dropout(self.weight_raw, p, "
                          "self.training)), never assigning it back to the parameter's .data."),
            code="w = torch.nn.functional.dropout(self.weight_raw, p, self.training)  # a copy, not .data =",
            score=3.0,
        )]
    return [Finding(
        cause="init", layers=layers, severity="critical", confidence=0.85,
        evidence={"rewritten_by_forward": names[:20], "expected": "a forward that reads its weights and never writes"
                  " them"},
        message=(f"The forward rewrites {len(names)} parameter(s) in place ({shown}), e.g. an init called inside "
                 "forward(): every optimizer step is overwritten at the next forward, so nothing is learned."),
        prescription=("Initialise the weights once, in __init__ (or before training), not in forward(); a forward "
                      "should only read its parameters."),
        code="def __init__(self, ...):\n    ...\n    self.apply(self.init_weights)  # here, not in forward()",
        score=3.0,
    )]
