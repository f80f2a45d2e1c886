"""Hand-written models of the forty-ninth held-out batch (``fresh48.py``), speech, graph and text-matching
ones: small versions of published architectures new to the corpus, each with the switches its broken variants need
(one fault each, off by default). The generative, medical, satellite and language models are in
``fresh48_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- TAGCN -----------------------------------------------------------------------------------------------------------


class TAGConv(nn.Module):
    """The topology adaptive graph convolution (Du, Zhang, Wu, Moura and Kar 2017, "Topology adaptive graph
    convolutional networks"), as PyTorch Geometric's ``TAGConv``: ``sum_k (D^-1/2 A D^-1/2)^k X W_k`` over k = 0..K
    (K = 3), one Linear per hop (PyTorch's default init) and one bias."""

    def __init__(self, cin: int, cout: int, hops: int = 3) -> None:
        super().__init__()
        self.lins = nn.ModuleList([nn.Linear(cin, cout, bias=False) for _ in range(hops + 1)])
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        out = self.lins[0](x)
        for lin in self.lins[1:]:
            x = adj @ x
            out = out + lin(x)
        return out + self.bias


class TAGCN(nn.Module):
    """TAGCN for node classification, PyTorch Geometric's benchmark setting: TAGConv to 16 hidden units, ReLU,
    dropout 0.5, TAGConv to the classes (K = 3 each)."""

    def __init__(self, adj: torch.Tensor, features: int, classes: int, hidden: int = 16) -> None:
        super().__init__()
        self.register_buffer("adj", adj)
        self.conv1, self.conv2 = TAGConv(features, hidden), TAGConv(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.dropout(F.relu(self.conv1(x, self.adj)), 0.5, self.training)
        return self.conv2(x, self.adj)


# ---- MHAtt-RNN (de Andrade et al.) -----------------------------------------------------------------------------------


class AttRNN(nn.Module):
    """The attention RNN for speech commands (de Andrade, Leo, Da Silva Viana and Bernkopf 2018, "A neural attention
    model for speech command recognition"), narrowed: two (5, 1) convolutions over the log-mel spectrogram (10
    filters, then 1) with BatchNorm and ReLU, two bidirectional LSTMs of 32 a direction (the paper's 64), the middle
    step's output projected to the query, dot-product attention over the steps, Dense 64 (ReLU) and 32, and the
    softmax layer; PyTorch's default init. The input is the mel power spectrogram; its log is taken in the model (the
    paper's in-graph Kapre layers), ``log(mel + 1e-6)``. ``log_eps``: the log taken without its ``1e-6`` (a clip's
    zero-padded frames are ``log 0 = -inf``); ``recurrent_std``: every LSTM recurrent matrix drawn N(0, std^2)."""

    def __init__(self, mels: int = 20, classes: int = 8, units: int = 32, recurrent_std: float | None = None,
                 log_eps: bool = True) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 10, (5, 1), padding=(2, 0)), nn.BatchNorm2d(10), nn.ReLU(),
                                  nn.Conv2d(10, 1, (5, 1), padding=(2, 0)), nn.BatchNorm2d(1), nn.ReLU())
        self.lstm = nn.LSTM(mels, units, num_layers=2, batch_first=True, bidirectional=True)
        self.query = nn.Linear(2 * units, 2 * units)
        self.head = nn.Sequential(nn.Linear(2 * units, 64), nn.ReLU(), nn.Linear(64, 32), nn.Linear(32, classes))
        if recurrent_std is not None:
            with torch.no_grad():
                for name, p in self.lstm.named_parameters():
                    if name.startswith("weight_hh"):
                        p.normal_(0.0, recurrent_std)
        self.log_eps = log_eps

    def features(self, mel: torch.Tensor) -> torch.Tensor:  # mel: b, time, mels (power)
        spec = torch.log(mel + 1e-6) if self.log_eps else torch.log(mel)
        x, _ = self.lstm(self.conv(spec[:, None]).squeeze(1))
        q = self.query(x[:, x.shape[1] // 2])
        att = torch.softmax((x @ q[:, :, None]).squeeze(-1), 1)
        return (att[:, :, None] * x).sum(1)

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(spec))


# ---- ARMA GNN --------------------------------------------------------------------------------------------------------


class ARMAConv(nn.Module):
    """The ARMA graph convolution (Bianchi, Grattarola, Livi and Alippi 2021, "Graph neural networks with
    convolutional ARMA filters"), as PyTorch Geometric's ``ARMAConv``: K parallel stacks of T recursions
    ``X_k <- act(L X_k W + dropout(X) V + b)``, the first W the stack's own, the later ones shared across the
    recursions (``shared_weights=True``), the stacks averaged; Glorot-uniform W and V, zero biases."""

    def __init__(self, cin: int, cout: int, stacks: int = 3, layers: int = 2, dropout: float = 0.25,
                 act: bool = True) -> None:
        super().__init__()
        self.init_weight = nn.Parameter(torch.empty(stacks, cin, cout))
        self.weight = nn.Parameter(torch.empty(stacks, cout, cout))
        self.root_weight = nn.Parameter(torch.empty(stacks, cin, cout))
        self.bias = nn.Parameter(torch.zeros(stacks, 1, cout))
        for w in (self.init_weight, self.weight, self.root_weight):
            bound = (6.0 / (w.shape[-2] + w.shape[-1])) ** 0.5
            nn.init.uniform_(w, -bound, bound)
        self.layers, self.dropout, self.act = layers, dropout, act

    def forward(self, x: torch.Tensor, lap: torch.Tensor) -> torch.Tensor:
        out = x[None]
        for t in range(self.layers):
            out = out @ (self.init_weight if t == 0 else self.weight)
            root = F.dropout(x, self.dropout, self.training) @ self.root_weight
            out = lap @ out + root + self.bias
            if self.act:
                out = F.relu(out)
        return out.mean(0)


class ARMA(nn.Module):
    """PyTorch Geometric's ARMA example network for node classification: input dropout 0.5, ARMAConv to 16 (3
    stacks, 2 recursions, shared weights, dropout 0.25), ReLU, dropout 0.5, ARMAConv to the classes without an
    activation. ``relu_bias``: the first convolution's biases set to that value (every hidden unit dead at -10)."""

    def __init__(self, lap: torch.Tensor, features: int, classes: int, hidden: int = 16,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.register_buffer("lap", lap)
        self.conv1 = ARMAConv(features, hidden)
        self.conv2 = ARMAConv(hidden, classes, act=False)
        if relu_bias is not None:
            nn.init.constant_(self.conv1.bias, relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.dropout(x, 0.5, self.training)
        x = F.dropout(F.relu(self.conv1(x, self.lap)), 0.5, self.training)
        return self.conv2(x, self.lap)


# ---- MatchPyramid ----------------------------------------------------------------------------------------------------


class MatchPyramid(nn.Module):
    """MatchPyramid (Pang, Lan, Guo, Xu, Wan and Cheng 2016, "Text matching as image recognition"), narrowed: word
    embeddings of 32, the dot-product matching matrix of the two texts as a one-channel image, a 3x3 convolution of
    8 kernels with ReLU, dynamic pooling to 4x4 (adaptive max pooling), an MLP of 64 (ReLU) and the two-way softmax
    layer (MatchZoo's layout); PyTorch's default init. ``layers``: the MLP's hidden layers; ``relu_bias``: their
    biases set to that value (every hidden unit dead at -10)."""

    def __init__(self, vocab: int = 64, d: int = 32, layers: int = 1, relu_bias: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.pool = nn.AdaptiveMaxPool2d((4, 4))
        mods: list[nn.Module] = []
        for i in range(layers):
            lin = nn.Linear(128 if i == 0 else 64, 64)
            if relu_bias is not None:
                nn.init.constant_(lin.bias, relu_bias)
            mods += [lin, nn.ReLU()]
        self.mlp = nn.Sequential(*mods)
        self.out = nn.Linear(64, 2)

    def forward(self, pair: torch.Tensor) -> torch.Tensor:  # pair: b, 2, length
        a, b = self.emb(pair[:, 0]), self.emb(pair[:, 1])
        m = (a @ b.transpose(1, 2))[:, None]
        return self.out(self.mlp(self.pool(F.relu(self.conv(m))).flatten(1)))
