"""A loss that shifts its labels itself (Hugging Face's causal-LM loss) is next-token prediction, not a loss that
cannot tell a perfect prediction from a guess; the same loss handed targets the loader already shifted is asked for
the token two steps on (fresh94's Hourglass LM)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _LM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb, self.rnn, self.out = nn.Embedding(64, 64), nn.GRU(64, 64, batch_first=True), nn.Linear(64, 64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.rnn(self.emb(x))[0])


def _shifting_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Position t's logits against label t + 1, as ``*ForCausalLM`` models compute it."""
    return F.cross_entropy(logits[:, :-1].reshape(-1, 64), labels[:, 1:].reshape(-1))


def _check(labels_ahead: int) -> gradguard.diagnosis.Diagnosis:
    torch.manual_seed(0)
    model = _LM()
    ids = torch.randint(0, 64, (16, 33))
    x, y = ids[:, :32], ids[:, labels_ahead: labels_ahead + 32]
    return gradguard.check(model, (x, y), _shifting_loss, torch.optim.Adam(model.parameters(), 1e-3))


def test_ids_passed_as_their_own_labels_to_a_shifting_loss_are_healthy() -> None:
    d = _check(0)
    assert d.healthy, d
    assert not any(f.evidence.get("ideal_over_uniform") for f in d.findings)


def test_labels_shifted_by_the_loader_and_again_by_the_loss_are_data() -> None:
    d = _check(1)
    assert d.top is not None and d.top.cause == "data" and d.top.severity == "critical"
    assert d.top.evidence["target_offset_steps"] == 1 and d.top.evidence["label_offset_from_inputs"] == 1


def test_a_smoothing_near_one_is_still_named_whatever_the_offset() -> None:
    torch.manual_seed(0)
    model = _LM()
    ids = torch.randint(0, 64, (16, 32))

    def smoothed(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(out.reshape(-1, 64), y.reshape(-1), label_smoothing=0.99)

    d = gradguard.check(model, (ids, ids), smoothed, torch.optim.Adam(model.parameters(), 1e-3))
    assert d.top is not None and d.top.cause == "regularization"


def test_gpt2_with_the_causal_lm_loss_written_as_loss_fn_is_healthy() -> None:
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(n_layer=2, n_embd=64, n_head=2, vocab_size=128, n_positions=64)
    model = transformers.GPT2LMHeadModel(cfg)
    ids = torch.randint(0, 128, (8, 32))

    def causal_lm_loss(out: object, labels: torch.Tensor) -> torch.Tensor:
        logits = out.logits  # type: ignore[attr-defined]
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1))

    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    d = gradguard.check(model, (ids, ids), causal_lm_loss, opt)
    assert not any(f.cause == "regularization" and f.severity != "info" for f in d.findings)
