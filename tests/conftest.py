from __future__ import annotations

import os

# idle OpenMP threads yield instead of spinning: on a shared 2-core machine spinning threads made tiny models ~20x
# slower (must be set before torch starts its thread pool)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest
import torch


@pytest.fixture(autouse=True)
def _seed_and_threads() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(2)
