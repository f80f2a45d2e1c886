"""An out-of-scale input read only through a periodic op is a phase (a time stamp modulo a period: only worth
knowing) unless the phase's frequency is trained: PLR embeddings, Time2Vec and learned Fourier features move every
phase by the frequency's step times the input, so raw-unit inputs make their features noise (fresh29's MLP-PLR on
raw-unit features, ``data`` expected, was called healthy)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class Periodic(nn.Module):
    """``sin``/``cos`` of ``2 pi c x`` per feature, then an MLP; ``learned``: ``c`` is a parameter (PLR), else a
    fixed buffer (a phase by design)."""

    def __init__(self, features: int = 8, k: int = 8, learned: bool = True) -> None:
        super().__init__()
        c = torch.randn(features, k)
        if learned:
            self.c = nn.Parameter(c)
        else:
            self.register_buffer("c", c)
        self.mlp = nn.Sequential(nn.Linear(features * 2 * k, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = 2 * math.pi * self.c[None] * x[..., None]
        return self.mlp(torch.cat([torch.sin(v), torch.cos(v)], -1).flatten(1))[:, 0]


class Time2Vec(nn.Module):
    """``sin(w t + b)`` of a scalar time input with trained ``w``, ``b``, then a linear head."""

    def __init__(self, k: int = 16) -> None:
        super().__init__()
        self.w, self.b = nn.Parameter(torch.randn(k)), nn.Parameter(torch.randn(k))
        self.head = nn.Linear(k, 1)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.head(torch.sin(t * self.w + self.b))[:, 0]


def _data(d: gradguard.Diagnosis) -> list:
    return [f for f in d.findings if f.cause == "data" and "decades_off_unit_scale" in f.evidence]


def _check(model: nn.Module, x: torch.Tensor) -> list:
    torch.manual_seed(0)
    y = (x[:, 0] > x[:, 0].median()).float()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    return _data(gradguard.check(model, (x, y), F.binary_cross_entropy_with_logits, opt, confirm_steps=0))


def test_a_trained_frequency_over_raw_units_is_a_data_warning() -> None:
    torch.manual_seed(0)
    found = _check(Periodic(learned=True), 1000 * torch.randn(256, 8))
    assert found and found[0].severity in ("warning", "critical")
    assert "trained parameter" in found[0].message and "read_through_periodic_op" not in found[0].evidence


def test_a_fixed_frequency_over_raw_units_stays_a_phase() -> None:
    torch.manual_seed(0)
    found = _check(Periodic(learned=False), 1000 * torch.randn(256, 8))
    assert found and found[0].severity == "info"
    assert found[0].evidence["read_through_periodic_op"] in ("SinBackward", "CosBackward")


def test_time2vec_on_raw_time_stamps_is_told_and_on_scaled_time_is_not() -> None:
    torch.manual_seed(0)
    t = torch.arange(256, dtype=torch.float32)[:, None] * 3600.0  # hourly stamps in seconds
    raw = _check(Time2Vec(), t)
    assert raw and raw[0].severity in ("warning", "critical")
    assert _check(Time2Vec(), (t - t.mean()) / t.std()) == []
