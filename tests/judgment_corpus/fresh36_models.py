"""Hand-written models of the thirty-seventh held-out batch (``fresh36.py``), sequential-recommendation, graph, text
and time-series classification ones: small versions of published architectures new to the corpus, each with the
switches its broken variants need (one fault each, off by default). The operator-learning, generative, vision and
recurrent models are in ``fresh36_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- FMLP-Rec --------------------------------------------------------------------------------------------------------


class _FilterBlock(nn.Module):
    """FMLP-Rec's block: the learnable filter (an FFT along the sequence, an element-wise complex weight, the inverse
    FFT), dropout, a residual LayerNorm (eps 1e-12); then the point-wise feed-forward (GELU, 4x) with its own."""

    def __init__(self, length: int, d: int, drop: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, length // 2 + 1, d, 2) * 0.02)
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-12), nn.LayerNorm(d, eps=1e-12)
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = torch.fft.rfft(x, dim=1, norm="ortho") * torch.view_as_complex(self.weight)
        x = self.ln1(x + self.drop(torch.fft.irfft(f, n=x.shape[1], dim=1, norm="ortho")))
        return self.ln2(x + self.drop(self.fc2(F.gelu(self.fc1(x)))))


class FMLPRec(nn.Module):
    """FMLP-Rec (Zhou et al. 2022, "Filter-enhanced MLP is all you need for sequential recommendation"), narrowed:
    item and position embeddings of 64, LayerNorm and dropout 0.5 on their sum, two filter blocks, the last position's
    state scored against every item embedding (the reference code's logits); embeddings and Linears N(0, 0.02^2),
    biases zero, the filters 0.02 * N(0, 1) (the reference code's). ``init_std``: every embedding and Linear drawn
    N(0, init_std^2) instead; ``init_in_forward``: the reference's ``self.apply(self.init_weights)`` called at the
    top of ``forward`` as well as in ``__init__`` (every embedding and Linear re-drawn at every call, so no step's
    update survives to the next)."""

    def __init__(self, items: int = 64, length: int = 8, d: int = 64, blocks: int = 2, drop: float = 0.5,
                 init_std: float = 0.02, init_in_forward: bool = False) -> None:
        super().__init__()
        self.emb, self.pos = nn.Embedding(items, d), nn.Embedding(length, d)
        self.ln, self.drop = nn.LayerNorm(d, eps=1e-12), nn.Dropout(drop)
        self.blocks = nn.ModuleList([_FilterBlock(length, d, drop) for _ in range(blocks)])
        self.init_std, self.init_in_forward = init_std, init_in_forward
        self.apply(self.init_weights)

    def init_weights(self, m: nn.Module) -> None:
        with torch.no_grad():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.normal_(0.0, self.init_std)
            if isinstance(m, nn.Linear) and m.bias is not None:
                m.bias.zero_()

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        if self.init_in_forward:
            self.apply(self.init_weights)
        x = self.drop(self.ln(self.emb(s) + self.pos(torch.arange(s.shape[1]))))
        for block in self.blocks:
            x = block(x)
        return x[:, -1] @ self.emb.weight.T


# ---- LINKX -----------------------------------------------------------------------------------------------------------


class LINKX(nn.Module):
    """LINKX (Lim et al. 2021, "Large scale learning on non-homophilous graphs"): ``h_A = MLP_A(A)`` on each node's
    adjacency row, ``h_X = MLP_X(X)`` on its features (one Linear each, hidden 64), ``h = relu(W [h_A, h_X] + h_A +
    h_X)``, then the final MLP 64-64-classes with BatchNorm, ReLU and dropout 0.5 (the reference code's); PyTorch's
    default init. ``relu_bias``: W's bias set to that value (every unit of ``h`` dead when it is -10)."""

    def __init__(self, adj: torch.Tensor, features: int, classes: int, hidden: int = 64,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.register_buffer("adj", adj)
        self.mlp_a, self.mlp_x = nn.Linear(adj.shape[1], hidden), nn.Linear(features, hidden)
        self.w = nn.Linear(2 * hidden, hidden)
        self.final = nn.Sequential(nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.5),
                                   nn.Linear(hidden, classes))
        if relu_bias is not None:
            nn.init.constant_(self.w.bias, relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ha, hx = self.mlp_a(self.adj), self.mlp_x(x)
        return self.final(F.relu(self.w(torch.cat([ha, hx], 1)) + ha + hx))


# ---- DAN -------------------------------------------------------------------------------------------------------------


class DAN(nn.Module):
    """The deep averaging network (Iyyer et al. 2015): word embeddings of 64 averaged over the text, with the paper's
    word dropout (each token left out of the average with probability 0.3 while training), three ReLU layers of 64
    and a softmax layer; PyTorch's default init, embeddings N(0, 1). ``layers``: the number of hidden layers;
    ``act``: the hidden activation (``"relu"``, or ``"softmax"``: ``nn.Softmax(dim=-1)`` taken for one)."""

    def __init__(self, vocab: int = 64, d: int = 64, classes: int = 4, layers: int = 3, word_drop: float = 0.3,
                 act: str = "relu") -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        mods: list[nn.Module] = []
        for _ in range(layers):
            mods += [nn.Linear(d, d), nn.ReLU() if act == "relu" else nn.Softmax(dim=-1)]
        self.body = nn.Sequential(*mods)
        self.out = nn.Linear(d, classes)
        self.word_drop = word_drop

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        keep = torch.ones(s.shape, dtype=torch.float32)
        if self.training:
            keep = (torch.rand(s.shape) >= self.word_drop).float()
            keep[:, 0] = torch.maximum(keep[:, 0], 1 - keep.amax(1))  # never drop every token
        avg = (self.emb(s) * keep[..., None]).sum(1) / keep.sum(1, keepdim=True)
        return self.out(self.body(avg))


# ---- MLSTM-FCN -------------------------------------------------------------------------------------------------------


class _SE(nn.Module):
    def __init__(self, c: int, r: int = 16) -> None:
        super().__init__()
        self.down, self.up = nn.Linear(c, c // r), nn.Linear(c // r, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.up(F.relu(self.down(x.mean(2)))))[:, :, None]


class MLSTMFCN(nn.Module):
    """MLSTM-FCN (Karim et al. 2019, "Multivariate LSTM-FCNs for time series classification"), narrowed: the fully
    convolutional branch (1-D convolutions of 32, 64, 32 filters, kernels 8, 5, 3, each with BatchNorm and ReLU, a
    squeeze-and-excite block of reduction 16 after the first two, global average pooling) beside the LSTM branch (the
    dimension shuffle: the variables as the LSTM's steps, 8 cells, dropout 0.8), concatenated into a softmax layer;
    He-uniform convolutions (the reference code's ``he_uniform``)."""

    def __init__(self, variables: int = 3, length: int = 64, classes: int = 4) -> None:
        super().__init__()
        self.c1, self.c2 = nn.Conv1d(variables, 32, 8), nn.Conv1d(32, 64, 5, padding=2)
        self.c3 = nn.Conv1d(64, 32, 3, padding=1)
        self.b1, self.b2, self.b3 = nn.BatchNorm1d(32), nn.BatchNorm1d(64), nn.BatchNorm1d(32)
        self.se1, self.se2 = _SE(32), _SE(64)
        self.lstm = nn.LSTM(length, 8, batch_first=True)
        self.drop = nn.Dropout(0.8)
        self.out = nn.Linear(32 + 8, classes)
        for c in (self.c1, self.c2, self.c3):
            nn.init.kaiming_uniform_(c.weight, nonlinearity="relu")
            nn.init.zeros_(c.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, variables, length
        _, (h, _) = self.lstm(x)
        y = self.se1(F.relu(self.b1(self.c1(F.pad(x, (3, 4))))))  # Keras' 'same' padding of an even kernel
        y = self.se2(F.relu(self.b2(self.c2(y))))
        y = F.relu(self.b3(self.c3(y))).mean(2)
        return self.out(torch.cat([self.drop(h[-1]), y], 1))
