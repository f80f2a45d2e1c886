"""A softmax over the features between weight layers (a hidden activation) shrinks the gradient by about the width
at each layer: two or more in series are ``activation``, ranked before the depth reading of the shrinking gradient;
one softmax feeding a decoder (a topic model's proportions) and attention's softmax over a sequence are not."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.softmax_hidden import hidden_softmaxes


def _mlp(act: type[nn.Module], hidden: int = 3) -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Linear(20, 64), act()]
    for _ in range(hidden - 1):
        layers += [nn.Linear(64, 64), act()]
    return nn.Sequential(*layers, nn.Linear(64, 4))


def _softmax() -> nn.Module:
    return nn.Softmax(dim=-1)


def _check(model: nn.Module) -> gradguard.Diagnosis:
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(64, 20, generator=g), torch.randint(0, 4, (64,), generator=g)
    return gradguard.check(model, (x, y), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3))


def test_softmaxes_as_hidden_activations_are_named_activation_first() -> None:
    model = _mlp(_softmax)
    assert hidden_softmaxes(F.cross_entropy(model(torch.randn(8, 20)), torch.zeros(8, dtype=torch.long))) == 3
    d = _check(model)
    assert d.top is not None and d.top.cause == "activation" and d.top.evidence["hidden_softmaxes"] == 3, d.top


def test_relu_a_single_softmax_and_attention_are_not_hidden_softmaxes() -> None:
    assert not [f for f in _check(_mlp(nn.ReLU)).findings if "hidden_softmaxes" in f.evidence]
    torch.manual_seed(0)
    topics = nn.Sequential(nn.Linear(20, 8), nn.Softmax(dim=-1), nn.Linear(8, 4))  # topic proportions -> decoder
    assert hidden_softmaxes(topics(torch.randn(8, 20)).sum()) == 1
    assert not [f for f in _check(topics).findings if "hidden_softmaxes" in f.evidence]
    attn = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
    assert hidden_softmaxes(attn(torch.randn(2, 5, 16)).sum()) == 0
