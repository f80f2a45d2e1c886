"""A growth toward the input from a small-init embedding table that normalisation restores is not depth (FinalNet).

DeepCTR-style field embeddings at N(0, 1e-4) under Linear -> BatchNorm -> ReLU blocks: the chain's input is 1e-4,
BatchNorm brings the signal back to unit scale, and the gradient toward the input grows by about the decades the
table's scale lacks (3.4 of its 4). That is the table's scale, not a compounding of layer gains: the reading stays
``info`` (it was ``depth``, critical, on fresh103's healthy FinalNet). The model trains.
"""

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _ClickNet(nn.Module):
    def __init__(self, std: float, fields: int = 8, card: int = 50, dim: int = 16, width: int = 128) -> None:
        super().__init__()
        self.emb = nn.ModuleList(nn.Embedding(card, dim) for _ in range(fields))
        for e in self.emb:
            nn.init.normal_(e.weight, 0.0, std)
        dims = [dim * fields, width, width, width]
        self.lin = nn.ModuleList(nn.Linear(dims[i], dims[i + 1]) for i in range(3))
        self.gate = nn.ModuleList(nn.Linear(dims[i], dims[i + 1]) for i in range(3))
        self.bn = nn.ModuleList(nn.BatchNorm1d(width) for _ in range(3))
        self.out = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.cat([e(x[:, f]) for f, e in enumerate(self.emb)], 1)
        for lin, gate, bn in zip(self.lin, self.gate, self.bn):
            z = lin(h) * gate(h)  # a factorized interaction
            h = F.relu(bn(z + h if z.shape == h.shape else z))
        return self.out(h).squeeze(1)


def _setup() -> tuple[nn.Module, tuple[torch.Tensor, torch.Tensor], torch.optim.Optimizer]:
    torch.manual_seed(0)
    x = torch.randint(0, 50, (512, 8))
    y = ((x[:, 0] + x[:, 1]) % 2).float()
    model = _ClickNet(1e-4)
    return model, (x, y), torch.optim.Adam(model.parameters(), lr=1e-3)


def test_small_table_under_batchnorm_is_not_depth() -> None:
    model, batch, opt = _setup()
    d = gradguard.check(model, batch, F.binary_cross_entropy_with_logits, opt)
    growth = [f for f in d.findings if f.cause in ("depth", "normalization") and f.evidence.get("direction") == 1]
    assert growth and all(f.severity == "info" for f in growth)
    assert growth[0].evidence["input_table_rms"] < 1e-3
    assert d.healthy


def test_small_table_model_trains() -> None:
    model, (x, y), opt = _setup()
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
