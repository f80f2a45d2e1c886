"""Hand-written models of the thirty-eighth held-out batch (``fresh37.py``), sequence and tabular ones (a seq2seq
model, a tagger, a recurrent text classifier, a neural decision forest): small versions of published architectures
new to the corpus, each with the switches its broken variants need (one fault each, off by default). The vision models
are in ``fresh37_models.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

# ---- ConvS2S ---------------------------------------------------------------------------------------------------------


def _wn_linear(a: int, b: int, drop: float) -> nn.Module:
    lin = nn.Linear(a, b)
    nn.init.normal_(lin.weight, 0.0, math.sqrt((1 - drop) / a))
    nn.init.zeros_(lin.bias)
    return weight_norm(lin)


def _wn_conv(c: int, k: int, drop: float) -> nn.Module:
    conv = nn.Conv1d(c, 2 * c, k)
    nn.init.normal_(conv.weight, 0.0, math.sqrt(4 * (1 - drop) / (k * c)))
    nn.init.zeros_(conv.bias)
    return weight_norm(conv)


class ConvS2S(nn.Module):
    """The convolutional sequence-to-sequence model (Gehring et al. 2017, fairseq's ``fconv``), narrowed: token and
    position embeddings of 32 drawn N(0, 0.1^2), weight-normalised Linears and GLU convolutions (kernel 3, 64
    channels; two encoder layers and two causal decoder layers, each decoder layer with its multi-step attention:
    the query ``(W h + g) sqrt(0.5)`` against the encoder outputs, the values ``(z + e) sqrt(0.5)``, the context
    scaled by ``m sqrt(1 / m)``), residual sums scaled by ``sqrt(0.5)``, dropout 0.2, the paper's init (Linears
    N(0, (1 - p) / n_in), convolutions N(0, 4 (1 - p) / (k n_in))). Takes ``(source, decoder input)`` token ids and
    returns the target logits."""

    def __init__(self, vocab: int = 16, length: int = 12, e: int = 32, d: int = 64, layers: int = 2, k: int = 3,
                 drop: float = 0.2) -> None:
        super().__init__()
        self.emb_s, self.emb_t = nn.Embedding(vocab, e), nn.Embedding(vocab, e)
        self.pos_s, self.pos_t = nn.Embedding(length, e), nn.Embedding(length, e)
        for emb in (self.emb_s, self.emb_t, self.pos_s, self.pos_t):
            nn.init.normal_(emb.weight, 0.0, 0.1)
        self.enc_in, self.enc_out = _wn_linear(e, d, drop), _wn_linear(d, e, 0.0)
        self.enc = nn.ModuleList([_wn_conv(d, k, drop) for _ in range(layers)])
        self.dec_in, self.dec_out = _wn_linear(e, d, drop), _wn_linear(d, e, 0.0)
        self.dec = nn.ModuleList([_wn_conv(d, k, drop) for _ in range(layers)])
        self.att_in = nn.ModuleList([_wn_linear(d, e, 0.0) for _ in range(layers)])
        self.att_out = nn.ModuleList([_wn_linear(e, d, 0.0) for _ in range(layers)])
        self.head = _wn_linear(e, vocab, drop)
        self.k, self.drop = k, drop

    def _embed(self, tok: torch.Tensor, emb: nn.Embedding, pos: nn.Embedding) -> torch.Tensor:
        return F.dropout(emb(tok) + pos(torch.arange(tok.shape[1])), self.drop, self.training)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        src, tgt = batch
        r = math.sqrt(0.5)
        e = self._embed(src, self.emb_s, self.pos_s)
        x = self.enc_in(e).transpose(1, 2)  # b, d, s
        for conv in self.enc:
            res = x
            y = F.dropout(x, self.drop, self.training)
            x = (F.glu(conv(F.pad(y, ((self.k - 1) // 2, self.k // 2))), dim=1) + res) * r
        z = self.enc_out(x.transpose(1, 2))  # b, s, e
        keys, values = z, (z + e) * r
        g = self._embed(tgt, self.emb_t, self.pos_t)
        h = self.dec_in(g).transpose(1, 2)  # b, d, t
        m = src.shape[1]
        for conv, a_in, a_out in zip(self.dec, self.att_in, self.att_out, strict=True):
            res = h
            y = F.dropout(h, self.drop, self.training)
            h = F.glu(conv(F.pad(y, (self.k - 1, 0))), dim=1)  # causal
            q = (a_in(h.transpose(1, 2)) + g) * r
            att = torch.softmax(q @ keys.transpose(1, 2), -1) @ values * (m * math.sqrt(1.0 / m))
            h = (h + a_out(att).transpose(1, 2)) * r
            h = (h + res) * r
        out = F.dropout(self.dec_out(h.transpose(1, 2)), self.drop, self.training)
        return self.head(out)


# ---- ID-CNN ----------------------------------------------------------------------------------------------------------


class IDCNN(nn.Module):
    """The iterated dilated CNN tagger (Strubell et al. 2017), narrowed: token embeddings of 32, a width-3 convolution
    to 64 filters, then a block of three width-3 dilated convolutions (dilations 1, 2, 4, ReLU) applied ``iters``
    = 4 times with shared weights, a tag projection after every application (the paper's loss is the mean over
    them); Xavier-uniform init (the reference code's), dropout 0.35 on the embeddings and 0.15 on each block's output
    (the reference's keep probabilities 0.65 and 0.85). ``init_std``: every weight drawn N(0, init_std^2) instead.
    Returns the stacked per-application tag scores ``(iters, b, t, tags)``."""

    def __init__(self, vocab: int = 32, tags: int = 4, e: int = 32, d: int = 64, iters: int = 4,
                 dilations: tuple[int, ...] = (1, 2, 4), init_std: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, e)
        self.inp = nn.Conv1d(e, d, 3, padding=1)
        self.block = nn.ModuleList([nn.Conv1d(d, d, 3, padding=r, dilation=r) for r in dilations])
        self.proj = nn.Linear(d, tags)
        self.iters = iters
        for m in self.modules():
            if isinstance(m, (nn.Conv1d, nn.Linear, nn.Embedding)):
                if init_std is None:
                    nn.init.xavier_uniform_(m.weight)
                else:
                    nn.init.normal_(m.weight, 0.0, init_std)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, tok: torch.Tensor) -> torch.Tensor:
        x = F.dropout(self.emb(tok), 0.35, self.training).transpose(1, 2)
        h = self.inp(x)
        outs = []
        for _ in range(self.iters):
            for conv in self.block:
                h = F.relu(conv(h))
            outs.append(self.proj(F.dropout(h, 0.15, self.training).transpose(1, 2)))
        return torch.stack(outs)


# ---- RAN -------------------------------------------------------------------------------------------------------------


class RAN(nn.Module):
    """The recurrent additive network (Lee, Levy and Zettlemoyer 2017; its ``tanh`` variant): ``c~_t = W_cx x_t``,
    ``i_t = sigmoid(W_ih h_{t-1} + W_ix x_t + b_i)``, ``f_t = sigmoid(W_fh h_{t-1} + W_fx x_t + b_f)``, ``c_t = i_t
    c~_t + f_t c_{t-1}``, ``h_t = tanh(c_t)``; embeddings of 32, 64 units, a Linear head on the last state; every
    weight U(-0.05, 0.05) and zero biases (the Zaremba et al. setting the paper follows). ``forget_bias``: ``b_f``
    started at that value."""

    def __init__(self, vocab: int = 32, classes: int = 4, e: int = 32, d: int = 64, forget_bias: float = 0.0) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, e)
        self.wx = nn.Linear(e, 3 * d, bias=False)  # c~, i, f from the input
        self.wh = nn.Linear(d, 2 * d)  # i, f from the state (their biases)
        self.head = nn.Linear(d, classes)
        for p in self.parameters():
            nn.init.uniform_(p, -0.05, 0.05)
        with torch.no_grad():
            self.wh.bias.zero_()
            self.wh.bias[d:] = forget_bias
            self.head.bias.zero_()
        self.d = d

    def forward(self, tok: torch.Tensor) -> torch.Tensor:
        xs = self.wx(self.emb(tok))  # b, t, 3d
        d = self.d
        c = xs.new_zeros(tok.shape[0], d)
        h = torch.zeros_like(c)
        for t in range(tok.shape[1]):
            cx, ix, fx = xs[:, t].split(d, 1)
            ih, fh = self.wh(h).split(d, 1)
            c = torch.sigmoid(ix + ih) * cx + torch.sigmoid(fx + fh) * c
            h = torch.tanh(c)
        return self.head(h)


# ---- Deep neural decision forest -------------------------------------------------------------------------------------


class NeuralDecisionForest(nn.Module):
    """The deep neural decision forest (Kontschieder et al. 2015), narrowed for tables: a feature layer (Linear 16-64,
    ReLU, dropout 0.2), five soft trees of depth 4 (15 decision nodes ``d_n = sigmoid(w_n . f_S)`` on a random half
    ``S`` of the 64 features, fixed per tree, and 16 leaves), routing ``mu`` by the products of ``d`` and ``1 - d``
    along each path, the leaf class distributions ``softmax(pi)`` learned by gradient (as the common PyTorch ports
    do, not the paper's alternating update), and the prediction the trees' mean ``sum_l mu_l pi_l``; PyTorch's
    default init, ``pi`` zero. ``hidden_layers``: the feature net's number of Linear-ReLU layers; ``relu_bias``:
    their biases set to that value. Returns the log-probabilities."""

    def __init__(self, features: int = 16, classes: int = 4, hidden: int = 64, trees: int = 5, depth: int = 4,
                 hidden_layers: int = 1, relu_bias: float | None = None) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        a = features
        for _ in range(hidden_layers):
            lin = nn.Linear(a, hidden)
            if relu_bias is not None:
                nn.init.constant_(lin.bias, relu_bias)
            mods += [lin, nn.ReLU()]
            a = hidden
        self.features = nn.Sequential(*mods, nn.Dropout(0.2))
        nodes, leaves = 2 ** depth - 1, 2 ** depth
        g = torch.Generator().manual_seed(37)
        masks = torch.stack([torch.randperm(hidden, generator=g)[: hidden // 2] for _ in range(trees)])
        self.register_buffer("subset", masks)
        self.decision = nn.ModuleList([nn.Linear(hidden // 2, nodes) for _ in range(trees)])
        self.pi = nn.Parameter(torch.zeros(trees, leaves, classes))
        self.depth = depth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x)
        probs = []
        for t, dec in enumerate(self.decision):
            d = torch.sigmoid(dec(f[:, self.subset[t]]))  # b, nodes (breadth first)
            mu = x.new_ones(x.shape[0], 1)
            start = 0
            for level in range(self.depth):
                n = 2 ** level
                dl = d[:, start:start + n]
                mu = torch.stack([mu * dl, mu * (1 - dl)], 2).reshape(x.shape[0], 2 * n)
                start += n
            probs.append(mu @ torch.softmax(self.pi[t], -1))
        return torch.stack(probs).mean(0).log()
