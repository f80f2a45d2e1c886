"""The third round's diagnosis rules (issue 12), on real models: a gradient cut to exactly zero by dead units is the
activation's (not decades of depth) while one that underflows through depth stays depth's; a smooth ReLU-like
activation at small inputs is not blamed for the gradient it passes by design; an encoder-decoder's path to the
loss starts at the decoder's tokens."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check
from gradguard.diagnosis.batch import resolve_step
from gradguard.diagnosis.probe import run_probe
from gradguard.diagnosis.propagation import analyse_propagation


class _TextCNN(nn.Module):
    def __init__(self, bias: float | None) -> None:
        super().__init__()
        self.emb = nn.Embedding(32, 16)
        self.convs = nn.ModuleList([nn.Conv1d(16, 16, k) for k in (3, 4)])
        self.head = nn.Linear(32, 4)
        if bias is not None:
            with torch.no_grad():
                for c in self.convs:
                    c.bias.fill_(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.emb(x).transpose(1, 2)
        return self.head(torch.cat([F.relu(c(e)).amax(2) for c in self.convs], 1))


def _tokens() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 32, (16, 20), generator=g), torch.randint(0, 4, (16,), generator=g)


def test_dead_units_that_cut_the_gradient_are_the_activation_not_depth() -> None:
    torch.manual_seed(0)
    dead = _TextCNN(bias=-4.0)
    d = check(dead, _tokens(), F.cross_entropy, torch.optim.Adam(dead.parameters(), lr=1e-3))
    assert d.top is not None and d.top.cause == "activation" and d.top.severity == "critical"
    assert set(d.top.evidence["no_gradient_layers"]) == {"convs.0", "convs.1"}
    assert not [f for f in d.findings if f.cause == "depth" and f.severity != "info"]
    torch.manual_seed(0)
    alive = _TextCNN(bias=None)
    assert check(alive, _tokens(), F.cross_entropy, torch.optim.Adam(alive.parameters(), lr=1e-3)).healthy


def _deep(act: type[nn.Module], depth: int, width: int = 32) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(16, width), act()]
    for _ in range(depth):
        layers += [nn.Linear(width, width), act()]
    model = nn.Sequential(*layers, nn.Linear(width, 4))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def test_a_gradient_that_underflows_through_depth_is_not_a_cut() -> None:
    torch.manual_seed(0)
    model = _deep(nn.Sigmoid, 60)
    x, y = torch.randn(32, 16), torch.randint(0, 4, (32,))
    probe = run_probe(model, resolve_step((x, y), F.cross_entropy, None))
    prop = analyse_propagation(probe)
    zeros = [r.name for r in prop.chain if r.grad_out == 0]
    assert zeros  # 60 sigmoid layers underflow float32 on the way down
    assert prop.cut == []  # compounded down to zero, not cut: depth and the activation measure it


def test_smooth_activation_at_small_inputs_is_not_blamed() -> None:
    torch.manual_seed(0)
    model = _deep(nn.SiLU, 40, 64)  # He init is 0.84x what SiLU needs: the signal shrinks, SiLU's slope -> 1/2
    x, y = torch.randn(64, 16), torch.randint(0, 4, (64,))
    d = check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    assert d.top is not None and d.top.cause in ("init", "depth", "normalization"), d.top
    assert not [f for f in d.findings if f.cause == "activation" and f.severity != "info"]


def test_encoder_decoder_path_starts_at_the_decoder_tokens() -> None:
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    cfg = BartConfig(vocab_size=64, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                     decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=32,
                     pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, share_embeddings=False)
    model = BartForConditionalGeneration(cfg)
    ids = torch.randint(3, 64, (4, 12), generator=torch.Generator().manual_seed(0))
    probe = run_probe(model, resolve_step({"input_ids": ids, "labels": ids}, None, None))
    prop = analyse_propagation(probe)
    names = [r.name for r in prop.chain]
    start = max(i for i, r in enumerate(prop.chain) if isinstance(r.module, nn.Embedding))
    assert names[start].startswith("model.decoder")
    # the backward gain runs from the decoder's tokens to the head: the encoder's layers do not enter it (from
    # the decoder's embedding LayerNorm, which reads the token + position embeddings at once: round 7)
    from gradguard.diagnosis.propagation import _normalised_start

    assert prop.backward is not None
    head = prop.chain[-1].grad_out
    norm = _normalised_start(probe, prop.chain, start)
    assert norm is not None and norm.name.startswith("model.decoder")
    assert head is not None and norm.grad_out is not None
    assert abs(prop.backward - __import__("math").log10(norm.grad_out / head)) < 1e-6
