"""Gates computed in the forward that are shut or held open for every unit: a hand-written LSTM at forget bias -10,
a gated state at keep bias +10 (gradguard.diagnosis.closed_gates.saturated_output_gates)."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


class LoopLSTM(nn.Module):
    """A hand-written LSTM over time steps (no nn.LSTM for the bias readers to find), classifying the first token."""

    def __init__(self, forget_bias: float, vocab: int = 8, hidden: int = 16) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, hidden)
        self.wx = nn.Linear(hidden, 4 * hidden)
        self.wh = nn.Linear(hidden, 4 * hidden, bias=False)
        self.head = nn.Linear(hidden, 4)
        self.hidden = hidden
        with torch.no_grad():
            self.wx.bias[hidden:2 * hidden].fill_(forget_bias)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.wx(self.emb(tokens))
        h = c = x.new_zeros(tokens.shape[0], self.hidden)
        for t in range(tokens.shape[1]):
            i, f, g, o = (x[:, t] + self.wh(h)).chunk(4, -1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return self.head(h)


class KeepGate(nn.Module):
    """A gated running state ``s = k s + (1 - k) tanh(W x_t)`` with ``k = sigmoid(U x_t + b)``."""

    def __init__(self, keep_bias: float, d: int = 6, hidden: int = 16) -> None:
        super().__init__()
        self.w = nn.Linear(d, hidden)
        self.u = nn.Linear(d, hidden)
        self.head = nn.Linear(hidden, 4)
        with torch.no_grad():
            self.u.bias.fill_(keep_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.new_zeros(x.shape[0], self.w.out_features)
        for t in range(x.shape[1]):
            k = torch.sigmoid(self.u(x[:, t]))
            s = k * s + (1 - k) * torch.tanh(self.w(x[:, t]))
        return self.head(s)


def _tokens(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, 8, (32, 10), generator=g)
    return tokens, tokens[:, 0] % 4


def _shut(d: gradguard.Diagnosis) -> list[gradguard.Finding]:
    return [f for f in d.findings if "shut_gates" in f.evidence]


def test_hand_written_lstm_with_its_forget_gate_shut_is_recurrence() -> None:
    torch.manual_seed(0)
    model = LoopLSTM(forget_bias=-10.0)
    d = gradguard.check(model, _tokens(0), nn.functional.cross_entropy, torch.optim.Adam(model.parameters(), 3e-3))
    found = _shut(d)
    assert found and found[0].cause == "recurrence" and found[0].severity == "warning"
    assert found[0].evidence["shut_gates"] == 10 and found[0].evidence["gate_output_range"][1] <= 0.0025
    assert d.findings[0].cause == "recurrence"


def test_gated_state_held_open_is_recurrence() -> None:
    torch.manual_seed(0)
    x = torch.randn(32, 8, 6, generator=torch.Generator().manual_seed(1))
    y = (x[:, 0, 0] > 0).long() + 2 * (x[:, 0, 1] > 0).long()
    model = KeepGate(keep_bias=10.0)
    found = _shut(gradguard.check(model, (x, y), nn.functional.cross_entropy, torch.optim.Adam(model.parameters())))
    assert found and found[0].evidence["gate_output_range"][0] >= 0.9975


def test_open_gates_are_left_alone() -> None:
    torch.manual_seed(0)
    lstm = LoopLSTM(forget_bias=1.0)
    assert not _shut(gradguard.check(lstm, _tokens(2), nn.functional.cross_entropy))
    x = torch.randn(32, 8, 6, generator=torch.Generator().manual_seed(3))
    assert not _shut(gradguard.check(KeepGate(keep_bias=0.0), (x, x[:, 0, :4].argmax(1)), nn.functional.cross_entropy))


def test_nn_lstm_with_its_input_gate_shut_is_recurrence() -> None:
    """nn.LSTM's gates are fused (no sigmoid in the graph): its input gate's bias at -10 (fresh78's Performance RNN)
    is read off the weights, like the forget gate's; PyTorch's default biases are not."""
    torch.manual_seed(0)

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(8, 16)
            self.rnn = nn.LSTM(16, 16, batch_first=True)
            self.head = nn.Linear(16, 4)

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            return self.head(self.rnn(self.emb(tokens))[0][:, -1])

    model = Tagger()
    assert not [f for f in gradguard.check(model, _tokens(4), nn.functional.cross_entropy).findings
                if "shut_gate_bias_mean" in f.evidence]
    with torch.no_grad():
        model.rnn.bias_ih_l0[:16].fill_(-10.0)
    d = gradguard.check(model, _tokens(4), nn.functional.cross_entropy, torch.optim.Adam(model.parameters(), 1e-3))
    top = d.findings[0]
    assert top.cause == "recurrence" and top.severity == "critical" and "shut_gate_bias_mean" in top.evidence
