"""A constant matrix applied to the signal several times in series: a graph propagation without its normalisation.

SGC, APPNP, DAGNN and their kin propagate features by a fixed matrix, ``H_{k+1} = A H_k``, ``k`` times with no weight
layer between the products. Whatever ``A``'s spectral radius ``rho`` does to the signal, ``k`` products do
``rho^k``: with the symmetric normalisation ``D^-1/2 (A + I) D^-1/2`` or the random walk ``D^-1 A``, ``rho = 1``
and the scale holds; with the raw adjacency, ``rho`` is about the largest degree and ten hops inflate the signal by
ten decades of it (fresh35's DAGNN on a raw 0/1 adjacency: a first loss of 2e7 and its sigmoid retainment scores
saturated, told ``activation``).

Read off the loss's autograd graph: each matrix product whose first operand takes no gradient (a buffer or an input:
``MmBackward``'s saved ``self``, ``torch.sparse.mm``'s saved ``mat1``) and whose other operand comes from a product
by the same matrix through ops that do not mix features across a weight (views, element-wise scaling and sums,
dropout) is one more hop of a chain. ``rho`` is measured by power iteration from a positive vector (the Perron
vector of a non-negative adjacency); the chain's gain is ``k * log10(rho)`` decades. Gains of
``HOPS_WARN`` (2) decades or more are a finding (``normalization``; ``HOPS_CRIT`` (4) critical),
in either direction. One product (GIN's or GraphSAGE's sum aggregation, followed by an MLP and a normalisation) is
no chain and is never read as one.

A non-negative matrix used by ``MIN_USES`` products or more with weight layers between them (a GCN whose layers each
propagate once) is read by what it did: when its radius is ``SINGLE_RADIUS`` or more, its uses predict ``HOPS_WARN``
decades or more, and the first loss is already ``BLOWN_DECADES`` above an all-zero output's, the propagation is not
normalised (fresh83's ACM-GCN on raw co-interaction counts: a first loss of 1.1e10 that nothing named; fresh99's GRAFF
on the raw ``A + I``, radius 7.5 at a mean degree of 6, applied in each of its 20 Euler steps: 4.4e3x, read as a
growing recurrence before ``SINGLE_RADIUS`` came down from 10 to 5; 272 graph cases at seeds 0/1 moved nowhere else).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .findings import Finding
from .graph import node_name as _name
from .graph import nodes_of, saved

__all__ = ["BLOWN_DECADES", "HOPS_CRIT", "HOPS_WARN", "MIN_USES", "SINGLE_RADIUS", "HopChain", "hop_chains",
           "hop_findings"]

#: decades of gain over the chain from which it is a finding (warning), and critical
HOPS_WARN, HOPS_CRIT = 2.0, 4.0
#: products by one non-negative constant matrix, its spectral radius, and the first loss's decades above an all-zero
#: output's, from which propagations with weight layers between them are read (see the module docstring)
MIN_USES, SINGLE_RADIUS, BLOWN_DECADES = 2, 5.0, 2.0
#: ops a hop's input may pass through from the previous hop's output (no weight layer, no feature mixing)
_THROUGH = ("ViewBackward", "UnsafeViewBackward", "ReshapeAliasBackward", "CloneBackward", "MulBackward",
            "DivBackward", "AddBackward", "SubBackward", "NativeDropoutBackward", "ToCopyBackward", "AliasBackward")
#: the through-ops walked back from one hop's input looking for the previous hop
_REACH = 6
#: the largest dense matrix side whose radius is measured (power iteration costs a product per iteration)
_MAX_SIDE = 8192
_ITERATIONS = 50
#: elements of a product's constant operand read to tell a dropout mask (zeros and one value above 1)
_MASK_SAMPLE = 4096


@dataclass(frozen=True)
class HopChain:
    """A constant ``rows x cols`` matrix applied ``hops`` times in series; its spectral radius ``radius``."""

    hops: int
    rows: int
    cols: int
    radius: float
    sparse: bool
    #: decades of second moment that the dropout masks between the hops add (``log10(1 / (1 - p))`` each)
    dropout_decades: float = 0.0
    #: hops whose input went through a dropout mask
    dropout_hops: int = 0
    #: matrix products by it anywhere in the graph (in series or not)
    uses: int = 0
    #: every entry >= 0 (an adjacency or a count matrix)
    nonnegative: bool = False

    @property
    def decades(self) -> float:
        return self.hops * math.log10(self.radius) if self.radius > 0 else -math.inf


def _constant_operand(node: Any) -> torch.Tensor | None:
    """The constant first operand of a matrix product node (a square matrix that takes no gradient), else None."""
    name = _name(node)
    if name == "MmBackward":
        first = node.next_functions[0][0] if node.next_functions else None
        if first is not None:
            return None  # the first operand takes a gradient: a weight or the signal, not a propagation matrix
        mat = saved(node, "_saved_self")  # None when freed by a backward already
    elif name == "SparseAddmmBackward":
        mat = saved(node, "_saved_mat1")
    else:
        return None
    if not isinstance(mat, torch.Tensor) or mat.dim() != 2 or mat.shape[0] != mat.shape[1] or mat.shape[0] < 2:
        return None
    return mat


def _key(mat: torch.Tensor) -> tuple[int, tuple[int, ...]]:
    if mat.is_sparse:
        return mat._values().data_ptr(), tuple(mat.shape)
    return mat.data_ptr(), tuple(mat.shape)


def _signal_input(node: Any) -> Any:
    """The graph node that produced the product's second operand (the signal)."""
    fns = [f for f, _ in node.next_functions]
    return fns[-1] if fns else None


def _dropout_scale(node: Any) -> float:
    """The ``1 / (1 - p)`` of a dropout node (a product by a mask of zeros and one value above 1, as dropout runs on
    the CPU, or a fused dropout), else 1."""
    name = _name(node)
    if name in ("NativeDropoutBackward", "FusedDropoutBackward"):
        p = saved(node, "_saved_p")
        if isinstance(p, float) and 0 < p < 1:
            return 1.0 / (1.0 - p)
        scale = saved(node, "_saved_scale")
        return float(scale) if isinstance(scale, float) and scale > 1 else 1.0
    if name != "MulBackward":
        return 1.0
    for attr in ("_saved_other", "_saved_self"):
        t = saved(node, attr)  # None when freed by an earlier backward
        if not isinstance(t, torch.Tensor) or t.requires_grad or not t.is_floating_point() or t.numel() < 8:
            continue
        with torch.no_grad():
            x = t.detach().reshape(-1)[:_MASK_SAMPLE]
            live = x[x != 0]
            if live.numel() == 0 or live.numel() == x.numel():
                continue
            s = float(live[0])
            if s > 1.0 and bool((live == s).all()):
                return s
    return 1.0


def _previous_hop(node: Any, key: tuple[int, tuple[int, ...]]) -> tuple[Any, float]:
    """The product by the same matrix that the signal of ``node`` comes from, through ``_THROUGH`` ops, or None, and
    the decades of second moment the dropout masks on the way add (``log10(1 / (1 - p))`` each)."""
    todo = [(_signal_input(node), 0, 0.0)]
    seen: set[int] = set()
    while todo:
        cur, depth, noise = todo.pop()
        if cur is None or id(cur) in seen or depth > _REACH:
            continue
        seen.add(id(cur))
        mat = _constant_operand(cur)
        if mat is not None and _key(mat) == key:
            return cur, noise
        if _name(cur) in _THROUGH:
            noise += math.log10(_dropout_scale(cur))
            todo += [(f, depth + 1, noise) for f, _ in cur.next_functions if f is not None]
    return None, 0.0


def _radius(mat: torch.Tensor) -> float:
    """The spectral radius by power iteration from a positive vector (growth per product once settled)."""
    if not mat.is_sparse and mat.shape[0] > _MAX_SIDE:
        return math.nan
    with torch.no_grad():
        m = mat.detach().double() if not mat.is_sparse else mat.detach().double().coalesce()
        v = torch.ones(m.shape[0], 1, dtype=torch.float64, device=m.device)
        v = v + 0.01 * torch.arange(m.shape[0], dtype=torch.float64, device=m.device)[:, None] / m.shape[0]
        rate = math.nan
        for _ in range(_ITERATIONS):
            w = torch.sparse.mm(m, v) if m.is_sparse else m @ v
            norm, prev = float(w.norm()), float(v.norm())
            if not (math.isfinite(norm) and norm > 0 and prev > 0):
                return rate if math.isfinite(rate) else 0.0
            rate = norm / prev
            v = w / norm
    return rate


def hop_chains(loss: torch.Tensor | Sequence[Any]) -> list[HopChain]:
    """Every constant square matrix that ``loss``'s graph applies at least twice in series, longest chain each
    (``loss``: the loss, or its graph's nodes already walked, :func:`.graph.nodes_of`)."""
    hops: dict[tuple[int, tuple[int, ...]], tuple[int, float, int]] = {}
    uses: dict[tuple[int, tuple[int, ...]], int] = {}
    mats: dict[tuple[int, tuple[int, ...]], torch.Tensor] = {}
    memo: dict[int, tuple[int, float, int]] = {}  # by node: hops so far, dropout decades, hops behind a dropout

    def length(node: Any, key: tuple[int, tuple[int, ...]]) -> tuple[int, float, int]:
        chain: list[tuple[Any, float]] = []
        cur: Any = node
        while cur is not None and id(cur) not in memo:
            prev, noise = _previous_hop(cur, key)
            chain.append((cur, noise))
            cur = prev
        n, noise_sum, dropped = memo.get(id(cur), (0, 0.0, 0)) if cur is not None else (0, 0.0, 0)
        for c, noise in reversed(chain):
            n, noise_sum, dropped = n + 1, noise_sum + noise, dropped + (noise > 0)
            memo[id(c)] = (n, noise_sum, dropped)
        return memo[id(node)]

    for node in nodes_of(loss):
        mat = _constant_operand(node)
        if mat is None:
            continue
        key = _key(mat)
        mats[key] = mat
        uses[key] = uses.get(key, 0) + 1
        hops[key] = max(hops.get(key, (0, 0.0, 0)), length(node, key))
    out = []
    for key, (k, noise, dropped) in hops.items():
        mat = mats[key]
        nonneg = uses[key] >= MIN_USES and _nonnegative(mat)  # read only where the per-layer reading may use it
        if k >= 2 or nonneg:
            out.append(HopChain(hops=k, rows=mat.shape[0], cols=mat.shape[1], radius=_radius(mat),
                                sparse=mat.is_sparse, dropout_decades=noise, dropout_hops=dropped, uses=uses[key],
                                nonnegative=nonneg))
    return out


def _nonnegative(mat: torch.Tensor) -> bool:
    with torch.no_grad():
        values = mat.coalesce().values() if mat.is_sparse else mat
        return values.numel() > 0 and bool((values.detach() >= 0).all())


def hop_findings(chains: list[HopChain], output_decades: float | None = None) -> list[Finding]:
    """``normalization`` for the chain of the largest gain in size, when it is ``HOPS_WARN`` decades or more, and
    ``regularization`` for dropout masks inside a chain that compound by ``HOPS_WARN`` decades or more; without such
    a chain, ``normalization`` for a propagation used once per layer that blew the first output up
    (``output_decades``: the first loss's decades above an all-zero output's)."""
    series = [c for c in chains if c.hops >= 2]
    found = _gain_findings(series) + _dropout_findings(series)
    if not any(f.cause == "normalization" for f in found):
        found += _per_layer_findings(chains, output_decades)
    return found


def _per_layer_findings(chains: list[HopChain], output_decades: float | None) -> list[Finding]:
    if output_decades is None or not output_decades >= BLOWN_DECADES:
        return []
    read = [c for c in chains if c.nonnegative and c.uses >= MIN_USES and math.isfinite(c.radius)
            and c.radius >= SINGLE_RADIUS and c.uses * math.log10(c.radius) >= HOPS_WARN]
    if not read:
        return []
    worst = max(read, key=lambda c: c.uses * math.log10(c.radius))
    gain = worst.uses * math.log10(worst.radius)
    return [Finding(
        cause="normalization", layers=[], severity="critical" if gain >= HOPS_CRIT else "warning", confidence=0.7,
        evidence={"propagation_uses": worst.uses, "matrix": f"{worst.rows}x{worst.cols}"
                  + (" sparse" if worst.sparse else ""), "spectral_radius": round(worst.radius, 4),
                  "gain_decades": round(gain, 2), "first_loss_decades_over_zero_output": round(output_decades, 2),
                  "expected": "spectral radius 1 (a normalised propagation)", "direction": 1},
        message=(f"A constant non-negative {worst.rows}x{worst.cols} matrix (a graph propagation) multiplies the "
                 f"signal {worst.uses} times, once per layer; its spectral radius is {worst.radius:.3g}, so each use "
                 f"inflates the signal by {math.log10(worst.radius):.1f} decades, and the first loss is already "
                 f"{10 ** output_decades:.3g}x an all-zero output's: the matrix is not normalised."),
        prescription=("Normalise the propagation matrix: the symmetric D^-1/2 (A + I) D^-1/2 (GCN) or the random walk "
                      "D^-1 A, with D the degrees (or weighted degrees) of A + I."),
        code=("a = adj + torch.eye(adj.shape[0])\n"
              "d = a.sum(1).clamp_min(1).pow(-0.5)\n"
              "adj = d[:, None] * a * d[None, :]  # spectral radius 1"),
        score=gain,
    )]


def _dropout_findings(chains: list[HopChain]) -> list[Finding]:
    """Dropout between the hops: in series its masks compound (an entry survives them all with probability
    ``prod(1 - p)`` and is then scaled by ``prod(1 / (1 - p))``), so the propagated signal's second moment grows by
    ``sum(log10(1 / (1 - p)))`` decades and the output is mostly mask noise (fresh35's DAGNN with its dropout 0.8
    also inside each of its 10 hops: 6.3 decades, 3.66 -> 1.40 where the model learns 1.95 -> 0.36)."""
    noisy = [c for c in chains if c.dropout_hops >= 2 and c.dropout_decades >= HOPS_WARN]
    if not noisy:
        return []
    worst = max(noisy, key=lambda c: c.dropout_decades)
    keep = 10 ** -worst.dropout_decades
    return [Finding(
        cause="regularization", layers=[], severity="critical" if worst.dropout_decades >= HOPS_CRIT else "warning",
        confidence=0.7,
        evidence={"propagation_hops": worst.hops, "hops_behind_dropout": worst.dropout_hops,
                  "dropout_decades": round(worst.dropout_decades, 2), "expected": "dropout outside the propagation"},
        message=(f"Dropout is applied inside {worst.dropout_hops} of the {worst.hops} hops of a propagation by a "
                 f"constant {worst.rows}x{worst.cols} matrix: in series the masks compound, an entry survives them "
                 f"all with probability about {keep:.2g} and is then scaled up by {1 / keep:.3g}, so the "
                 "propagated signal is mostly dropout noise."),
        prescription=("Apply dropout to the features before the propagation (and to the MLP's hidden layer), not "
                      "inside every hop, as SGC, APPNP and DAGNN do; or lower its p."),
        code="h = F.dropout(h, p, self.training)  # once, before the loop\nfor _ in range(k):\n    h = adj @ h",
        score=worst.dropout_decades,
    )]


def _gain_findings(chains: list[HopChain]) -> list[Finding]:
    read = [c for c in chains if math.isfinite(c.radius) and c.radius > 0]
    if not read:
        return []
    worst = max(read, key=lambda c: abs(c.decades))
    gain = worst.decades
    if abs(gain) < HOPS_WARN:
        return []
    grows = gain > 0
    return [Finding(
        cause="normalization", layers=[], severity="critical" if abs(gain) >= HOPS_CRIT else "warning",
        confidence=0.8,
        evidence={"propagation_hops": worst.hops, "matrix": f"{worst.rows}x{worst.cols}"
                  + (" sparse" if worst.sparse else ""), "spectral_radius": round(worst.radius, 4),
                  "gain_decades": round(gain, 2), "expected": "spectral radius 1 (a normalised propagation)",
                  "direction": 1 if grows else -1},
        message=(f"A constant {worst.rows}x{worst.cols} matrix (a graph propagation) is applied {worst.hops} times "
                 f"in series with no weight layer between; its spectral radius is {worst.radius:.3g}, so the "
                 f"propagation {'inflates' if grows else 'shrinks'} the signal by {abs(gain):.1f} decades: the "
                 "matrix is not normalised."),
        prescription=("Normalise the propagation matrix: the symmetric D^-1/2 (A + I) D^-1/2 (GCN, SGC, APPNP, "
                      "DAGNN) or the random walk D^-1 A, with D the degrees of A + I (clamp zero degrees)."),
        code=("a = adj + torch.eye(adj.shape[0])\n"
              "d = a.sum(1).clamp_min(1).pow(-0.5)\n"
              "adj = d[:, None] * a * d[None, :]  # spectral radius 1"),
        score=abs(gain),
    )]
