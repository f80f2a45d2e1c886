"""torch.distributed support: statistics reduced across ranks so that every rank takes the same decision.

A :class:`gradguard.Guard` built while ``torch.distributed`` is initialised calls :func:`attach`, which makes it
reduce its packed statistics vector with **one collective per step**: an ``all_gather`` of the small float64
vector into a ``[world, n]`` tensor, reduced on the device entry by entry. Every rank gathers the same bits and
reduces them in the same order, so every rank reads the same numbers and takes the same decision (skip, clip
coefficient, rollback, learning-rate change) at the same step.

How an entry reduces depends on how its layer is spread over the ranks (see ``gradguard.stats``):

* **replicated** layers (plain tensors under DDP, whose gradients DDP has already averaged; or DTensors with
  only ``Replicate`` placements): every rank holds the same values, so sums of squares, max-abs and counts take
  the **max** over ranks (:data:`~gradguard.stats.REPLICA_REDUCTIONS`). The max equals the common value when the
  ranks agree, and a NaN or a deviating gradient on one rank only shows on every rank, which then all skip.
* **sharded** layers (FSDP2 ``fully_shard``: DTensor parameters with a ``Shard`` placement) are measured through
  each rank's local shard; sums of squares and counts **add** and max-abs takes the **max**
  (:data:`~gradguard.stats.REDUCTIONS`). A norm is the root of the summed squares, never an average of per-rank
  norms. In a layer that mixes both, each tensor's squares are weighed by ``1/copies`` (the number of ranks that
  hold each of its elements) before the sum, so replicated pieces are counted once (HSDP meshes work the same way).
* the loss is the **mean** over ranks (each rank's loss is on its share of the batch); the GradScaler scale and
  the update-step marker are the same everywhere (max); the global sum of squares is recomputed as the sum of the
  reduced per-layer ones.

The alarm path (exact per-layer counts of non-finite elements) reduces in a second, rare collective: sum for
sharded layers, max for replicated ones. Only rank 0 writes the run record; the other ranks measure and decide
but write nothing, and the record holds the reduced (global) statistics.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .errors import ConfigError
from .inventory import ParamInventory
from .stats import REDUCTIONS, REPLICA_REDUCTIONS

__all__ = ["PackedReducer", "RankLayout", "attach", "build_layout", "reduce_counts_gathered", "reduce_gathered"]

_HEAD = 4  # loss, scale, global_sumsq, update_step
_SEGMENTS = ("grad_sumsq", "weight_sumsq", "grad_maxabs", "update_sumsq")  # the per-layer blocks, in packed order


@dataclass(frozen=True)
class RankLayout:
    """How the watched tensors are spread over the ranks of a process group.

    Attributes:
        world_size: number of ranks.
        rank: this rank.
        copies: per watched tensor, how many ranks hold each of its elements (``world_size`` for a replicated
            tensor, 1 for a tensor sharded over every rank, ``world_size / shards`` in general).
        sharded_layers: per layer, True when any of its tensors is sharded (its entries are summed across
            ranks), False when every tensor of it is replicated (its entries take the max across ranks).
    """

    world_size: int
    rank: int
    copies: tuple[int, ...]
    sharded_layers: tuple[bool, ...]

    def sq_factors(self, layer_of: Sequence[int]) -> list[float]:
        """Weight of each tensor's sum of squares in the cross-rank sum (1 in replicated layers, taken by max)."""
        return [1.0 / c if self.sharded_layers[layer] else 1.0 for c, layer in zip(self.copies, layer_of)]

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary for the run record."""
        kind = ("fsdp" if all(self.sharded_layers) else "ddp" if not any(self.sharded_layers) else "mixed")
        return {"world_size": self.world_size, "parallelism": kind,
                "sharded_layers": sum(self.sharded_layers), "replicated_layers": len(self.sharded_layers)
                - sum(self.sharded_layers)}


def _tensor_copies(t: torch.Tensor, world_size: int, name: str) -> int:
    """Ranks holding each element of ``t``: a plain tensor is a replica on every rank; a DTensor is sharded over
    the mesh dimensions with a ``Shard`` placement and replicated over the others."""
    placements = getattr(t, "placements", None)
    mesh = getattr(t, "device_mesh", None)
    if placements is None or mesh is None:
        return world_size
    if mesh.size() != world_size:
        raise ConfigError(f"parameter {name!r}", f"a DTensor on a mesh of {mesh.size()} ranks",
                          f"DTensor parameters on a device mesh spanning all {world_size} ranks of the process group",
                          "Pipeline stages or sub-meshes need one Guard per group (not supported yet).")
    shards = math.prod(mesh.size(i) for i, p in enumerate(placements) if p.is_shard())
    return world_size // shards


def build_layout(inventory: ParamInventory, world_size: int, rank: int) -> RankLayout:
    """Inspect each watched tensor's placement (plain tensor: replicated; DTensor: by its placements)."""
    copies = tuple(_tensor_copies(p, world_size, n) for p, n in zip(inventory.params, inventory.names))
    sharded = [False] * inventory.num_layers
    for c, layer in zip(copies, inventory.layer_of):
        if c != world_size:
            sharded[layer] = True
    return RankLayout(world_size=world_size, rank=rank, copies=copies, sharded_layers=tuple(sharded))


def _sum_mask(sharded_layers: torch.Tensor) -> torch.Tensor:
    """Which entries of the packed vector are summed across ranks (the rest: max; the loss is set apart).

    Sharded layers reduce as :data:`REDUCTIONS` declares, replicated ones as :data:`REPLICA_REDUCTIONS`.
    """
    blocks = [torch.zeros(_HEAD, dtype=torch.bool, device=sharded_layers.device)]
    for segment in _SEGMENTS:
        sharded_sum = REDUCTIONS[segment] == "sum"
        replica_sum = REPLICA_REDUCTIONS[segment] == "sum"
        blocks.append(torch.where(sharded_layers, sharded_sum, replica_sum))
    return torch.cat(blocks)


def reduce_gathered(gathered: torch.Tensor, sharded_layers: torch.Tensor) -> torch.Tensor:
    """Reduce ``[world, n]`` gathered packed vectors (layout of ``StatsCollector.collect``) to one vector.

    Pure and deterministic, so every rank that gathered the same tensor gets the same bits. ``sharded_layers``
    is a bool vector over the L layers. NaN propagates: a NaN on any rank makes the reduced entry NaN.
    """
    return _reduce(gathered, _sum_mask(sharded_layers), sharded_layers.numel())


def _reduce(gathered: torch.Tensor, sum_mask: torch.Tensor, num_layers: int) -> torch.Tensor:
    if gathered.dim() != 2 or gathered.shape[1] != _HEAD + len(_SEGMENTS) * num_layers:
        raise ValueError(f"expected [world, {_HEAD + len(_SEGMENTS) * num_layers}] gathered vectors, "
                         f"got {tuple(gathered.shape)}")
    out = torch.where(sum_mask, gathered.sum(0), gathered.amax(0))
    out[0] = gathered[:, 0].mean()  # REDUCTIONS["loss"] == "mean"
    out[2] = out[_HEAD:_HEAD + num_layers].sum()
    return out


def reduce_counts_gathered(gathered: torch.Tensor, sharded_layers: torch.Tensor) -> torch.Tensor:
    """Per-layer non-finite counts gathered as ``[world, L]``: summed for sharded layers, max for replicated."""
    return torch.where(sharded_layers, gathered.sum(0), gathered.amax(0))


def _all_gather(out: torch.Tensor, local: torch.Tensor, group: Any) -> None:
    """``out[r * n:(r + 1) * n] = local of rank r`` (``all_gather_single`` from torch 2.13, the older name before)."""
    dist: Any = torch.distributed
    gather = getattr(dist, "all_gather_single", None) or dist.all_gather_into_tensor
    gather(out, local, group=group)


class PackedReducer:
    """``reduce_packed`` for a Guard: one ``all_gather`` of the packed statistics per step, reduced locally.

    Args:
        layout: how the watched tensors are spread (from :func:`build_layout`).
        device: the device of the packed vector (the collector's).
        group: the process group (default: the default group).
    """

    def __init__(self, layout: RankLayout, device: torch.device, group: Any = None) -> None:
        self.layout = layout
        self.group = group
        self._sharded = torch.tensor(layout.sharded_layers, dtype=torch.bool, device=device)
        self._sum_mask = _sum_mask(self._sharded)

    def _gather(self, local: torch.Tensor) -> torch.Tensor:
        world = self.layout.world_size
        out = torch.empty(world * local.numel(), dtype=local.dtype, device=local.device)
        _all_gather(out, local.contiguous(), self.group)
        return out.view(world, local.numel())

    def __call__(self, packed: torch.Tensor) -> torch.Tensor:
        """The step's one collective: gather every rank's packed vector and reduce it (no host read)."""
        return _reduce(self._gather(packed), self._sum_mask, len(self.layout.sharded_layers))

    def reduce_counts(self, counts: torch.Tensor) -> torch.Tensor:
        """The alarm path's collective: per-layer non-finite counts summed (sharded) or maxed (replicated)."""
        return reduce_counts_gathered(self._gather(counts), self._sharded)


def _check_same_inventory(inventory: ParamInventory, device: torch.device, world_size: int, group: Any) -> None:
    """Every rank must watch the same tensors in the same order (one collective, at construction only)."""
    names = zlib.crc32("\n".join(inventory.names).encode())
    mine = torch.tensor([len(inventory.params), inventory.num_layers, names,
                         sum(p.numel() for p in inventory.params)], dtype=torch.int64, device=device)
    out = torch.empty(world_size * 4, dtype=torch.int64, device=device)
    _all_gather(out, mine, group)
    rows = out.view(world_size, 4).tolist()
    if any(row != rows[0] for row in rows):
        raise ConfigError("Guard(model, optimizer)", f"per-rank (tensors, layers, names crc, elements) = {rows}",
                          "the same model and optimizer on every rank",
                          "Build the Guard on every rank, after wrapping the model (DDP / fully_shard).")


def attach(guard: Any, group: Any = None) -> None:
    """Make ``guard`` reduce its statistics across ``group`` (default: the default process group).

    Sets ``guard.rank``, ``guard.reduce_packed`` (a :class:`PackedReducer`) and the collector's cross-rank
    weights and count reduction. Every rank must call it (``Guard(...)`` does, when torch.distributed is
    initialised), after the model is wrapped in DDP or sharded with ``fully_shard``.

    Raises:
        ConfigError: the ranks watch different tensors, or a DTensor lives on a mesh that is not the whole group.
    """
    dist = torch.distributed
    world_size = dist.get_world_size(group)
    guard.rank = dist.get_rank(group)
    if world_size == 1:
        return
    collector = guard._collector
    inventory: ParamInventory = guard.inventory
    _check_same_inventory(inventory, collector.device, world_size, group)
    layout = build_layout(inventory, world_size, guard.rank)
    collector.set_sq_factors(layout.sq_factors(inventory.layer_of))
    collector.host_reduce = False  # the collective reduces the per-layer vector
    reducer = PackedReducer(layout, collector.device, group)
    collector.reduce_counts = reducer.reduce_counts
    guard.reduce_packed = reducer
