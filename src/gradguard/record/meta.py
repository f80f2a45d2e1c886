"""The run metadata written once at the start of a record: versions, model, optimizer, settings."""

from __future__ import annotations

import platform
from typing import Any

import numpy as np
import torch

from ._json import to_jsonable


def run_meta(guard: Any, policy: Any) -> dict[str, Any]:
    """A JSON-ready summary of what ``guard`` guards and how (``policy`` as the user gave it)."""
    from .. import __version__

    model, optimizer, inventory = guard.model, guard.optimizer, guard.inventory
    layout = getattr(guard.reduce_packed, "layout", None)
    return {
        "versions": {"gradguard": __version__, "torch": torch.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "model": {"class": type(model).__name__, "parameters": sum(p.numel() for p in model.parameters()),
                  "watched_parameters": sum(p.numel() for p in inventory.params),
                  "watched_tensors": len(inventory.params), "layers": len(guard.layer_names),
                  "tied": {k: list(v) for k, v in inventory.aliases.items()},
                  "device": str(guard._collector.device), "repr": repr(model)[:4000]},
        "optimizer": {"class": type(optimizer).__name__,
                      "groups": [{k: to_jsonable(v) for k, v in g.items() if k != "params"}
                                 for g in optimizer.param_groups]},
        "settings": {"policy": policy if isinstance(policy, str) else repr(guard.policy),
                     "update_every": guard.update_every, "flush_every": guard.flush_every,
                     "flush_seconds": guard.flush_seconds, "scaler": guard.scaler is not None,
                     "scheduler": type(guard.scheduler).__name__ if guard.scheduler is not None else None,
                     "detectors": [type(d).__name__ for d in guard.detectors],
                     "sync": getattr(guard, "sync", "blocking"),
                     # deferred: decisions on the device, statistics (events, record) read one step late
                     "read_lag_steps": 1 if getattr(guard, "sync", "blocking") == "deferred" else 0,
                     # weight norms and per-layer max |g| measured every this many steps (1: every step)
                     "sample_every": getattr(guard, "sample_every", 1)},
        "distributed": layout.describe() if layout is not None and hasattr(layout, "describe") else None,
    }
