"""What the max attention logit leaves out: positions after the query where the module says it is causal
(``nn.MultiheadAttention`` called with ``is_causal=True`` or a 2-D mask, ``register_attention(causal=True)``); a module
that does not say so is read over every pair."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gradguard.precursors import TransformerProbes


def _by_hand(q: torch.Tensor, k: torch.Tensor, causal: bool) -> float:
    logits = q @ k.T / math.sqrt(q.shape[-1])  # one head
    if causal:
        logits = logits.masked_fill(torch.ones_like(logits, dtype=torch.bool).triu(1), float("-inf"))
    return float(logits.max())


class _Mha(nn.Module):
    def __init__(self, how: str) -> None:
        super().__init__()
        self.how = how
        self.attn = nn.MultiheadAttention(8, 1, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[1]
        future = torch.ones(T, T, dtype=torch.bool).triu(1)
        y = x.flip(1)  # the keys in reverse: the first position's large input makes the last key large
        if self.how == "is_causal":
            return self.attn(x, y, y, attn_mask=future, is_causal=True, need_weights=False)[0]
        if self.how == "mask":
            return self.attn(x, y, y, None, False, future)[0]  # positional, as forward(q, k, v, kpm, need_w, mask)
        return self.attn(x, y, y, need_weights=False)[0]


@pytest.mark.parametrize("how", ["is_causal", "mask", "none"])
def test_multihead_attention_leaves_out_what_its_mask_leaves_out(how: str) -> None:
    torch.manual_seed(0)
    model = _Mha(how)
    x = torch.randn(2, 10, 8)
    x[0, 0] *= 50  # the first query and the last key dominate: a pair only a non-causal attention sees
    probes = TransformerProbes(model, every=1, linear_rms=False)
    probes.arm(0)
    with torch.no_grad():
        model(x)
    reading = probes.read()
    assert reading is not None
    w, b = model.attn.in_proj_weight, model.attn.in_proj_bias
    with torch.no_grad():
        q, k = x[0] @ w[:8].T + b[:8], x[0].flip(0) @ w[8:16].T + b[8:16]
    want_all, want_causal = _by_hand(q, k, False), _by_hand(q, k, True)
    assert want_causal < want_all  # the mask matters here
    want = want_all if how == "none" else want_causal
    assert reading.attention["attn"] == pytest.approx(want, rel=1e-4)


class _Custom(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wq, self.wk = nn.Linear(8, 8), nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.wq(x) + self.wk(x.flip(1)).flip(1)


@pytest.mark.parametrize("causal", [False, True])
def test_a_registered_attention_is_masked_when_said_causal(causal: bool) -> None:
    torch.manual_seed(0)
    custom = _Custom()
    model = nn.Sequential(custom)
    probes = TransformerProbes(model, every=1, linear_rms=False)
    probes.register_attention(custom, q=custom.wq, k=custom.wk, num_heads=1, causal=causal)
    x = torch.randn(1, 10, 8)
    x[0, 0] *= 50
    probes.arm(0)
    with torch.no_grad():
        model(x)
        q, k = custom.wq(x[0]), custom.wk(x[0].flip(0))
    reading = probes.read()
    assert reading is not None
    assert _by_hand(q, k, True) < _by_hand(q, k, False)
    assert reading.attention["0"] == pytest.approx(_by_hand(q, k, causal), rel=1e-4)
