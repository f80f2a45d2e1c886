"""What a recurrence reads at its first step is not the data's fault: a decoding loop's first call sees one start
token (fresh94's stack-RNN LM), and a bidirectional GRU read at its last position gives its reverse direction no
carried state (fresh94's GA Reader). The faults these rules are for stay named."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class _Decoder(nn.Module):
    """An Elman LM (``h = tanh(W e + U h)``) fed a start id, then the gold token of the step before (or the start id at
    every step)."""

    def __init__(self, start_every_step: bool) -> None:
        super().__init__()
        self.emb, self.out = nn.Embedding(33, 32), nn.Linear(32, 32)
        self.inp, self.rec = nn.Linear(32, 32), nn.Linear(32, 32, bias=False)
        self.start_every_step = start_every_step

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = tokens.new_zeros(tokens.shape[0], 32, dtype=torch.float)
        inp = torch.full((tokens.shape[0],), 32, dtype=torch.long)
        logits = []
        for t in range(tokens.shape[1]):
            h = torch.tanh(self.inp(self.emb(inp)) + self.rec(h))
            logits.append(self.out(h))
            if not self.start_every_step:
                inp = tokens[:, t]
        return torch.stack(logits, 1)


def _lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def _check_decoder(start_every_step: bool) -> gradguard.diagnosis.Diagnosis:
    torch.manual_seed(0)
    model = _Decoder(start_every_step)
    tokens = torch.randint(0, 32, (16, 12))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return gradguard.check(model, (tokens, tokens), _lm_loss, opt, confirm_steps=0)


def _erased(d: gradguard.diagnosis.Diagnosis) -> bool:
    return any("least_repeated_share" in f.evidence and f.severity != "info" for f in d.findings)


def test_decoding_loop_fed_the_gold_tokens_is_not_told_it_erases_its_data() -> None:
    assert not _erased(_check_decoder(False))


def test_decoding_loop_fed_the_start_id_at_every_step_is() -> None:
    d = _check_decoder(True)
    assert _erased(d) and d.top is not None and d.top.cause == "data"


class _Reader(nn.Module):
    """A classifier over a GRU's output at one position (``at``), the GRU bidirectional or not."""

    def __init__(self, bidirectional: bool, at: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(32, 16)
        self.gru = nn.GRU(16, 16, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(32 if bidirectional else 16, 4)
        self.at = at

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(self.emb(x))
        return self.head(out[:, self.at])


def _stateless(bidirectional: bool, at: int) -> bool:
    torch.manual_seed(0)
    model = _Reader(bidirectional, at)
    x, y = torch.randint(0, 32, (32, 10)), torch.randint(0, 4, (32,))
    d = gradguard.check(model, (x, y), nn.functional.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3),
                        confirm_steps=0)
    return any("recurrent_weight_gradient" in f.evidence for f in d.findings)


def test_bidirectional_gru_read_at_its_last_position_carries_state() -> None:
    assert not _stateless(True, -1)


def test_one_directional_gru_read_at_its_first_step_is_still_named() -> None:
    assert _stateless(False, 0)
