"""Hand-written models of the thirty-sixth held-out batch (``fresh35.py``), session-recommendation, graph, dynamics
and forecasting ones: small versions of published architectures new to the corpus, each with the switches its
broken variants need (one fault each, off by default). The super-resolution, segmentation, generative and
click-through models are in ``fresh35_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- STAMP -----------------------------------------------------------------------------------------------------------


class STAMP(nn.Module):
    """STAMP (Liu et al. 2018), the short-term attention/memory priority model: item embeddings of 64, the attention
    ``a_i = w0 . sigmoid(W1 x_i + W2 x_t + W3 m_s + b)`` over the session's items (``m_s`` their mean, ``x_t`` the
    last), ``m_a = sum_i a_i x_i``, the two MLP cells ``h_s = tanh(Ws m_a + bs)`` and ``h_t = tanh(Wt x_t + bt)``,
    and the trilinear scores ``<h_s, h_t, x_j>`` over every item as the logits of a softmax (the reference code's);
    embeddings N(0, 0.002^2) and weights N(0, 0.05^2) (the paper's). ``init_std``: every embedding and weight drawn
    N(0, init_std^2) instead; ``sigmoid_scores``: the paper's eq. 7 taken literally, ``sigmoid(<h_s, h_t, x_j>)``
    fed to the softmax cross-entropy as its logits."""

    def __init__(self, items: int = 64, d: int = 64, init_std: float | None = None,
                 sigmoid_scores: bool = False) -> None:
        super().__init__()
        self.emb = nn.Embedding(items, d)
        self.w1, self.w2, self.w3 = (nn.Linear(d, d, bias=False) for _ in range(3))
        self.b = nn.Parameter(torch.zeros(d))
        self.w0 = nn.Linear(d, 1, bias=False)
        self.ms, self.mt = nn.Linear(d, d), nn.Linear(d, d)
        self.sigmoid_scores = sigmoid_scores
        with torch.no_grad():
            self.emb.weight.normal_(0.0, init_std or 0.002)
            for m in (self.w1, self.w2, self.w3, self.w0, self.ms, self.mt):
                m.weight.normal_(0.0, init_std or 0.05)
            self.ms.bias.zero_()
            self.mt.bias.zero_()

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        x = self.emb(s)  # b, t, d
        xt, ms = x[:, -1], x.mean(1)
        a = self.w0(torch.sigmoid(self.w1(x) + (self.w2(xt) + self.w3(ms) + self.b)[:, None]))  # b, t, 1
        ma = (a * x).sum(1)
        scores = (torch.tanh(self.ms(ma)) * torch.tanh(self.mt(xt))) @ self.emb.weight.T
        return torch.sigmoid(scores) if self.sigmoid_scores else scores


# ---- DAGNN -----------------------------------------------------------------------------------------------------------


class DAGNN(nn.Module):
    """DAGNN (Liu, Gao and Ji 2020, "Towards Deeper Graph Neural Networks"): an MLP (features -> 64 -> classes, ReLU,
    dropout 0.8 before each Linear, the paper's Cora setting), then ``K = 10`` propagations by the symmetrically
    normalised adjacency with self-loops, ``H_k = A^k Z``, and the adaptive adjustment: a retainment score
    ``s_k = sigmoid(H_k w)`` per node and hop, the output ``sum_k s_k H_k``. ``relu_bias``: the hidden Linear's bias
    set to that value (every ReLU dead when it is -10); ``hop_dropout``: the dropout also applied inside the
    propagation loop, to every hop's input (it compounds: ten hops of dropout 0.8)."""

    def __init__(self, adj: torch.Tensor, features: int, classes: int, hidden: int = 64, k: int = 10,
                 drop: float = 0.8, relu_bias: float | None = None, hop_dropout: bool = False) -> None:
        super().__init__()
        self.register_buffer("adj", adj)
        self.lin1, self.lin2 = nn.Linear(features, hidden), nn.Linear(hidden, classes)
        self.proj = nn.Linear(classes, 1)
        self.k, self.drop, self.hop_dropout = k, drop, hop_dropout
        if relu_bias is not None:
            nn.init.constant_(self.lin1.bias, relu_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.lin1(F.dropout(x, self.drop, self.training)))
        h = self.lin2(F.dropout(h, self.drop, self.training))
        hops = [h]
        for _ in range(self.k):
            h = F.dropout(hops[-1], self.drop, self.training) if self.hop_dropout else hops[-1]
            hops.append(self.adj @ h)
        stack = torch.stack(hops, 1)  # n, k + 1, classes
        s = torch.sigmoid(self.proj(stack))  # n, k + 1, 1
        return (s * stack).sum(1)


# ---- DeepKoopman -----------------------------------------------------------------------------------------------------


def _mlp(widths: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class DeepKoopman(nn.Module):
    """The deep Koopman auto-encoder (Lusch, Kutz and Brunton 2018), narrowed: an encoder 2 -> 30 -> 30 -> 3 and a
    decoder 3 -> 30 -> 30 -> 2 with ReLUs, and the Koopman operator
    a learned 3x3 matrix (the paper's auxiliary eigenvalue network replaced by the matrix itself, which the discrete
    spectrum admits), rolled out from the first state's code. Returns ``(codes of every state, rolled-out codes,
    reconstructions of every state, decoded rollout)``. ``hidden_layers``: how many hidden layers of 30 each side
    has; ``k_std``: the operator drawn N(0, k_std^2) (else PyTorch's Linear default)."""

    def __init__(self, hidden_layers: int = 2, k_std: float | None = None) -> None:
        super().__init__()
        self.enc = _mlp([2] + [30] * hidden_layers + [3])
        self.dec = _mlp([3] + [30] * hidden_layers + [2])
        self.K = nn.Linear(3, 3, bias=False)
        if k_std is not None:
            nn.init.normal_(self.K.weight, 0.0, k_std)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        z = self.enc(x)  # b, t, 3
        roll = [z[:, 0]]
        for _ in range(x.shape[1] - 1):
            roll.append(self.K(roll[-1]))
        zr = torch.stack(roll, 1)
        return z, zr, self.dec(z), self.dec(zr)


# ---- FreTS -----------------------------------------------------------------------------------------------------------


class FreTS(nn.Module):
    """FreTS (Yi et al. 2023, frequency-domain MLPs), narrowed: every value embedded by a learned vector of 32, the
    frequency channel learner (an FFT over the variables, a complex MLP ``ReLU(X W + B)`` with softshrink 0.01, the
    inverse FFT) and the frequency temporal learner (likewise over time), the embedding added back, and a forecaster
    ``(lookback x 32) -> 64 -> horizon`` with LeakyReLU per variable; the complex weights 0.02 N(0, 1) (the reference
    code's ``scale``)."""

    def __init__(self, lookback: int = 24, horizon: int = 8, d: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.emb = nn.Parameter(torch.randn(1, d))
        self.params = nn.ParameterDict({f"{n}{s}": nn.Parameter(0.02 * torch.randn(*([d, d] if n in "rw" else [d])))
                                        for s in ("c", "t") for n in ("r", "w", "rb", "wb")})
        self.fc = nn.Sequential(nn.Linear(lookback * d, hidden), nn.LeakyReLU(), nn.Linear(hidden, horizon))

    def _mlp(self, x: torch.Tensor, s: str) -> torch.Tensor:
        p = self.params
        real = F.relu(x.real @ p[f"r{s}"] - x.imag @ p[f"w{s}"] + p[f"rb{s}"])
        imag = F.relu(x.imag @ p[f"r{s}"] + x.real @ p[f"w{s}"] + p[f"wb{s}"])
        return torch.view_as_complex(F.softshrink(torch.stack([real, imag], -1), 0.01).contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, n = x.shape
        e = x.permute(0, 2, 1).unsqueeze(-1) * self.emb  # b, n, t, d
        h = torch.fft.irfft(self._mlp(torch.fft.rfft(e, dim=1, norm="ortho"), "c"), n=n, dim=1, norm="ortho")
        h = torch.fft.irfft(self._mlp(torch.fft.rfft(h, dim=2, norm="ortho"), "t"), n=t, dim=2, norm="ortho")
        h = h + e
        return self.fc(h.reshape(b, n, -1)).permute(0, 2, 1)  # b, horizon, n
