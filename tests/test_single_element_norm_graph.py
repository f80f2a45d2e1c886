"""A user's own LayerNorm class over a width-1 output is read as a one-element normalisation from its autograd node
(``slips.single_element_norm``, issue 12, real code round 9): thuml/Time-Series-Library's TiDE ends its temporal
decoder with nanoGPT's ``LayerNorm`` class over ``output_dim=1``, so 96% of its parameters get no gradient; check
named the dead gradient (activation) and not the norm."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check


class _OwnLayerNorm(nn.Module):
    """nanoGPT's LayerNorm with an optional bias, as TiDE copies it."""

    def __init__(self, ndim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class _Decoder(nn.Module):
    def __init__(self, out_dim: int) -> None:
        super().__init__()
        self.fc1, self.fc2, self.ln = nn.Linear(8, 32), nn.Linear(32, out_dim), _OwnLayerNorm(out_dim)
        self.head = nn.Linear(out_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.ln(self.fc2(F.relu(self.fc1(x)))))


def _check(model: nn.Module) -> object:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 8, generator=g)
    return check(model, (x, x[:, :1] * 2), F.mse_loss, torch.optim.Adam(model.parameters(), lr=1e-3),
                 confirm_steps=0)


def test_own_layernorm_over_one_element_is_named_first() -> None:
    torch.manual_seed(0)
    d = _check(_Decoder(1))
    top = d.top  # type: ignore[attr-defined]
    assert top.cause == "normalization" and top.severity == "critical" and top.layers == ["ln"]
    assert top.evidence["layers"]["ln"]["type"] == "_OwnLayerNorm"


def test_own_layernorm_over_the_features_is_left_alone() -> None:
    torch.manual_seed(0)
    d = _check(_Decoder(16))
    assert not [f for f in d.findings if "constant_output" in f.evidence]  # type: ignore[attr-defined]
