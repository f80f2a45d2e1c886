"""Hand-written models of the twenty-second held-out batch (``fresh21.py``): small versions of published
architectures new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- CCT: Compact Convolutional Transformer --------------------------------------------------------------------------


class CCTLayer(nn.Module):
    """A pre-LN transformer encoder layer (multi-head self-attention, GELU MLP)."""

    def __init__(self, dim: int, heads: int, mlp: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class CCT(nn.Module):
    """CCT (Hassani et al. 2021) in miniature: a convolutional tokenizer (3x3 conv of 64 maps, ReLU, 3x3 max-pool
    stride 2), a learnable positional embedding, two pre-LN encoder layers (two heads, MLP ratio 1), a final
    LayerNorm, sequence pooling (a softmax-weighted average of the tokens) and a linear head; linear weights
    truncated-normal 0.02, the tokenizer's convolution Kaiming-normal, as the reference code."""

    def __init__(self, classes: int = 10, dim: int = 64, layers: int = 2, heads: int = 2) -> None:
        super().__init__()
        self.tok = nn.Sequential(nn.Conv2d(3, dim, 3, padding=1, bias=False), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.pos = nn.Parameter(torch.zeros(1, 64, dim))
        self.blocks = nn.ModuleList([CCTLayer(dim, heads, dim) for _ in range(layers)])
        self.norm, self.pool, self.head = nn.LayerNorm(dim), nn.Linear(dim, 1), nn.Linear(dim, classes)
        nn.init.trunc_normal_(self.pos, std=0.2)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.tok(x).flatten(2).transpose(1, 2) + self.pos
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        w = torch.softmax(self.pool(x), 1)
        return self.head((w * x).sum(1))


# ---- DiracNet --------------------------------------------------------------------------------------------------------


class DiracConv(nn.Module):
    """A DiracNet convolution (Zagoruyko & Komodakis 2017): the 3x3 kernel ``diag(a) I + diag(b) W_norm`` with ``I``
    the Dirac delta, ``W_norm`` the filters normalised per output channel, ``a`` initialised 1 and ``b`` 0.1;
    ``zero_filters``: ``W`` zero-initialised (to start as the exact identity) though it is normalised (0/0)."""

    def __init__(self, ch: int, zero_filters: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(ch, ch, 3, 3))
        if zero_filters:
            nn.init.zeros_(self.weight)
        else:
            nn.init.kaiming_normal_(self.weight)
        self.a, self.b = nn.Parameter(torch.ones(ch)), nn.Parameter(torch.full((ch,), 0.1))
        delta = torch.zeros(ch, ch, 3, 3)
        delta[torch.arange(ch), torch.arange(ch), 1, 1] = 1.0
        self.register_buffer("delta", delta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.flatten(1)
        w = (w / w.norm(dim=1, keepdim=True)).view_as(self.weight)
        return F.conv2d(x, self.a[:, None, None, None] * self.delta + self.b[:, None, None, None] * w, padding=1)


class DiracNet(nn.Module):
    """DiracNet in miniature: a 3x3 stem conv to 16 maps, then three groups (16, 32, 64 maps) of two
    BN-ReLU-DiracConv layers, a 1x1 conv widening between groups and 2x2 max-pooling after each group (no skip
    connections: the Dirac term is the identity path), BN-ReLU, global pooling, a linear head; ``bn``: the
    BatchNorms (False: the identity); ``zero_filters``: see :class:`DiracConv`."""

    def __init__(self, classes: int = 10, bn: bool = True, zero_filters: bool = False) -> None:
        super().__init__()
        norm = (lambda c: nn.BatchNorm2d(c)) if bn else (lambda c: nn.Identity())
        layers: list[nn.Module] = [nn.Conv2d(3, 16, 3, padding=1)]
        cin = 16
        for ch in (16, 32, 64):
            if ch != cin:
                layers.append(nn.Conv2d(cin, ch, 1))
            for _ in range(2):
                layers += [norm(ch), nn.ReLU(), DiracConv(ch, zero_filters)]
            layers.append(nn.MaxPool2d(2))
            cin = ch
        layers += [norm(64), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.body, self.head = nn.Sequential(*layers), nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


# ---- LMU: Legendre Memory Unit ---------------------------------------------------------------------------------------


def legendre_state_space(order: int, theta: float, discretise: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The LMU's delay system ``theta m' = A m + B u`` discretised by zero-order hold with dt 1: ``(exp(A / theta),
    A^-1 (exp(A / theta) - I) B / theta)``, from the matrix exponential of ``[[A, B], [0, 0]] / theta``;
    ``discretise`` False: the continuous-time ``(A, B)`` used as they are as the step's transition (spectral radius
    ~28 where the discretised one's is 0.82)."""
    q = torch.arange(order, dtype=torch.float64)
    r = (2 * q + 1)[:, None]
    i, j = torch.meshgrid(q, q, indexing="ij")
    a = torch.where(i < j, -1.0, (-1.0) ** (i - j + 1)) * r
    b = (-1.0) ** q[:, None] * r
    if not discretise:
        return a.float(), b.float()
    aug = torch.zeros(order + 1, order + 1, dtype=torch.float64)
    aug[:order, :order], aug[:order, order:] = a / theta, b / theta
    e = torch.matrix_exp(aug)
    return e[:order, :order].float(), e[:order, order:].float()


class LMU(nn.Module):
    """An LMU (Voelker et al. 2019) classifier: memory ``m_t = A m_(t-1) + B u_t`` of order 16 over a window
    ``theta`` of 32 steps (fixed, zero-order hold), ``u_t = e_x x_t + e_h h_(t-1)`` (``e_m`` 0 and not used),
    ``h_t = tanh(W_x x_t + W_h h_(t-1) + W_m m_t)`` of 32 units, a linear head on the last state; ``e_x``, ``e_h``
    LeCun-uniform, ``W_x`` and ``W_m`` Xavier-normal (written out, ``std = sqrt(2 / (fan_in + fan_out))``), ``W_h``
    orthogonal, as the paper; ``recurrent_std``: ``W_h`` drawn N(0, std^2) instead; ``discretise``: see
    :func:`legendre_state_space`; ``xavier_inverted``: the Xavier std written ``sqrt((fan_in + fan_out) / 2)``."""

    def __init__(self, inp: int = 1, hidden: int = 32, order: int = 16, theta: float = 32.0, classes: int = 4,
                 recurrent_std: float | None = None, discretise: bool = True, xavier_inverted: bool = False) -> None:
        super().__init__()
        a, b = legendre_state_space(order, theta, discretise)
        self.register_buffer("A", a)
        self.register_buffer("B", b)
        self.ex, self.eh = nn.Parameter(torch.empty(inp)), nn.Parameter(torch.empty(hidden))
        nn.init.uniform_(self.ex, -math.sqrt(3 / inp), math.sqrt(3 / inp))
        nn.init.uniform_(self.eh, -math.sqrt(3 / hidden), math.sqrt(3 / hidden))
        self.wx, self.wm = nn.Linear(inp, hidden, bias=False), nn.Linear(order, hidden, bias=False)
        self.wh = nn.Linear(hidden, hidden, bias=False)
        for w in (self.wx.weight, self.wm.weight):
            fan_out, fan_in = w.shape
            std = math.sqrt((fan_in + fan_out) / 2) if xavier_inverted else math.sqrt(2 / (fan_in + fan_out))
            nn.init.normal_(w, 0.0, std)
        if recurrent_std is None:
            nn.init.orthogonal_(self.wh.weight)
        else:
            nn.init.normal_(self.wh.weight, 0.0, recurrent_std)
        self.head = nn.Linear(hidden, classes)
        self.hidden, self.order = hidden, order

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(batch, time, inp)``."""
        h = x.new_zeros(x.shape[0], self.hidden)
        m = x.new_zeros(x.shape[0], self.order)
        for t in range(x.shape[1]):
            xt = x[:, t]
            u = xt @ self.ex[:, None] + h @ self.eh[:, None]
            m = m @ self.A.T + u @ self.B.T
            h = torch.tanh(self.wx(xt) + self.wh(h) + self.wm(m))
        return self.head(h)


# ---- AntisymmetricRNN ------------------------------------------------------------------------------------------------


class AntisymmetricRNN(nn.Module):
    """AntisymmetricRNN (Chang et al. 2019): ``h_t = h_(t-1) + eps tanh((W - W^T - gamma I) h_(t-1) + V x_t + b)``
    with ``eps`` 1 and ``gamma`` 0.01 (from the paper's grids), ``W`` drawn N(0, 1/n) as the paper's ``sigma^2 / n``
    with sigma 1, over token embeddings, a linear head on the last state; ``symmetric``: the matrix written ``W +
    W^T`` where ``W - W^T`` belongs (real eigenvalues up to ~2.8 instead of imaginary ones)."""

    def __init__(self, vocab: int = 32, emb: int = 16, hidden: int = 64, classes: int = 4, eps: float = 1.0,
                 gamma: float = 0.01, symmetric: bool = False) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.symmetric = symmetric
        self.W = nn.Parameter(torch.randn(hidden, hidden) / math.sqrt(hidden))
        self.V = nn.Linear(emb, hidden)
        self.head = nn.Linear(hidden, classes)
        self.eps, self.gamma, self.hidden = eps, gamma, hidden

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.V(self.emb(tokens))
        m = (self.W + self.W.T if self.symmetric else self.W - self.W.T) - self.gamma * torch.eye(self.hidden)
        h = x.new_zeros(x.shape[0], self.hidden)
        for t in range(x.shape[1]):
            h = h + self.eps * torch.tanh(h @ m.T + x[:, t])
        return self.head(h)


# ---- R-GCN -----------------------------------------------------------------------------------------------------------


class RGCNLayer(nn.Module):
    """An R-GCN layer (Schlichtkrull et al. 2018) with basis decomposition: ``W_r = sum_b a_rb V_b``, messages
    normalised by ``1 / |N_r(i)|``, plus a self-connection ``W_0``; Xavier-uniform weights."""

    def __init__(self, cin: int, cout: int, relations: int, bases: int) -> None:
        super().__init__()
        self.V = nn.Parameter(torch.empty(bases, cin, cout))
        self.coef = nn.Parameter(torch.empty(relations, bases))
        self.self_w = nn.Parameter(torch.empty(cin, cout))
        for p in (self.V, self.coef, self.self_w):
            nn.init.xavier_uniform_(p)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        """``adj``: ``(relations, nodes, nodes)``, each row normalised."""
        w = torch.einsum("rb,bio->rio", self.coef, self.V)
        return torch.einsum("rij,rjo->io", adj, torch.einsum("ni,rio->rno", x, w)) + x @ self.self_w


class RGCN(nn.Module):
    """A two-layer R-GCN node classifier on featureless nodes (the input a one-hot per node, so the first layer's
    weights are node embeddings), 16 hidden units, ReLU, two bases, as the paper's entity classification;
    ``layers``: that many R-GCN layers in all (the extra ones 16 to 16, ReLU, no skip or normalisation)."""

    def __init__(self, nodes: int, relations: int, classes: int, hidden: int = 16, bases: int = 2, layers: int = 2
                 ) -> None:
        super().__init__()
        self.l1 = RGCNLayer(nodes, hidden, relations, bases)
        self.mid = nn.ModuleList([RGCNLayer(hidden, hidden, relations, bases) for _ in range(layers - 2)])
        self.l2 = RGCNLayer(hidden, classes, relations, bases)
        self.register_buffer("eye", torch.eye(nodes))

    def forward(self, adj: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.l1(self.eye, adj))
        for layer in self.mid:
            h = F.relu(layer(h, adj))
        return self.l2(h, adj)


# ---- LightGCN --------------------------------------------------------------------------------------------------------


class LightGCN(nn.Module):
    """LightGCN (He et al. 2020): user and item embeddings of 64 (N(0, 0.1^2) as the reference code), three
    parameter-free propagation layers over the symmetric-normalised user-item graph, the layers' mean as the final
    embedding, the inner product as the score."""

    def __init__(self, adj: torch.Tensor, users: int, dim: int = 64, layers: int = 3) -> None:
        super().__init__()
        self.emb = nn.Parameter(0.1 * torch.randn(adj.shape[0], dim))
        self.register_buffer("adj", adj)
        self.users, self.layers = users, layers

    def forward(self) -> tuple[torch.Tensor, torch.Tensor]:
        e, acc = self.emb, self.emb
        for _ in range(self.layers):
            e = self.adj @ e
            acc = acc + e
        out = acc / (self.layers + 1)
        return out[: self.users], out[self.users:]


# ---- DeepFM ----------------------------------------------------------------------------------------------------------


class DeepFM(nn.Module):
    """DeepFM (Guo et al. 2017): shared field embeddings of 10 for the FM (first order plus ``((sum v)^2 - sum v^2)
    / 2``) and the deep part (200-200-200 ReLU, dropout 0.5), the dense features entering both as scaled
    embeddings, the two logits summed."""

    def __init__(self, features: int, fields: int, dense: int, dim: int = 10, hidden: int = 200) -> None:
        super().__init__()
        self.emb, self.lin = nn.Embedding(features, dim), nn.Embedding(features, 1)
        self.dense_emb = nn.Parameter(torch.empty(dense, dim))
        self.dense_lin = nn.Linear(dense, 1)
        nn.init.normal_(self.emb.weight, 0.0, 0.01)
        nn.init.normal_(self.dense_emb, 0.0, 0.01)
        nn.init.zeros_(self.lin.weight)
        width = (fields + dense) * dim
        self.deep = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden, hidden),
                                  nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(0.5),
                                  nn.Linear(hidden, 1))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        ids, dense = inputs
        v = torch.cat([self.emb(ids), dense[..., None] * self.dense_emb], 1)
        fm = 0.5 * (v.sum(1) ** 2 - (v ** 2).sum(1)).sum(1)
        first = self.lin(ids).sum((1, 2)) + self.dense_lin(dense).squeeze(1)
        return first + fm + self.deep(v.flatten(1)).squeeze(1)


# ---- MAF: Masked Autoregressive Flow ---------------------------------------------------------------------------------


class MADE(nn.Module):
    """One MADE (Germain et al. 2015) of one hidden layer giving ``(mu, alpha)`` for every dimension, each from the
    earlier ones in ``order``."""

    def __init__(self, d: int, hidden: int, order: torch.Tensor) -> None:
        super().__init__()
        deg_h = torch.arange(hidden) % max(1, d - 1)
        self.register_buffer("m1", (deg_h[:, None] >= order[None]).float())
        self.register_buffer("m2", (order[:, None] > deg_h[None]).float().repeat(2, 1))
        self.l1, self.l2 = nn.Linear(d, hidden), nn.Linear(hidden, 2 * d)
        nn.init.zeros_(self.l2.weight)
        nn.init.zeros_(self.l2.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(F.linear(x, self.l1.weight * self.m1, self.l1.bias))
        return F.linear(h, self.l2.weight * self.m2, self.l2.bias).chunk(2, 1)


class FlowBatchNorm(nn.Module):
    """MAF's batch-norm layer (batch statistics while training): ``u = (x - mean) / sqrt(var + eps) * exp(g) + b``,
    log-determinant ``sum(g - log(var + eps) / 2)``."""

    def __init__(self, d: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.g, self.b, self.eps = nn.Parameter(torch.zeros(d)), nn.Parameter(torch.zeros(d)), eps

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, var = x.mean(0), x.var(0, unbiased=False) + self.eps
        return (x - mean) / var.sqrt() * self.g.exp() + self.b, (self.g - 0.5 * var.log()).sum()


class MAF(nn.Module):
    """MAF (Papamakarios et al. 2017): five MADEs (64 hidden units), each ``u = (x - mu(x)) exp(-alpha(x))``, the
    order reversed between them, a batch-norm layer after each; the loss is the negative log-likelihood of the
    standard normal base plus the log-determinants (per sample, averaged)."""

    def __init__(self, d: int, hidden: int = 64, layers: int = 5) -> None:
        super().__init__()
        order = torch.arange(d)
        self.mades, self.bns = nn.ModuleList(), nn.ModuleList()
        for k in range(layers):
            self.mades.append(MADE(d, hidden, order if k % 2 == 0 else order.flip(0)))
            self.bns.append(FlowBatchNorm(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logdet = x.new_zeros(x.shape[0])
        for made, bn in zip(self.mades, self.bns, strict=True):
            mu, alpha = made(x)
            x = (x - mu) * torch.exp(-alpha)
            logdet = logdet - alpha.sum(1)
            x, ld = bn(x)
            logdet = logdet + ld
        nll = 0.5 * (x ** 2).sum(1) + 0.5 * x.shape[1] * math.log(2 * math.pi) - logdet
        return nll.mean()


# ---- C51 -------------------------------------------------------------------------------------------------------------


class C51Net(nn.Module):
    """The C51 (Bellemare et al. 2017) value distribution network: an MLP of two ReLU layers of 128 giving, for each
    action, logits over 51 atoms; ``depth``: that many hidden ReLU layers (a plain stack, PyTorch's default init)."""

    def __init__(self, d: int = 8, actions: int = 3, atoms: int = 51, hidden: int = 128, depth: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Linear(d, hidden), nn.ReLU()]
        for _ in range(depth - 1):
            layers += [nn.Linear(hidden, hidden), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.Linear(hidden, actions * atoms))
        self.actions, self.atoms = actions, atoms

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1, self.actions, self.atoms)


# ---- TDNN x-vector ---------------------------------------------------------------------------------------------------


class XVector(nn.Module):
    """The x-vector TDNN (Snyder et al. 2018) in miniature: five frame layers (context 5, 3 dilated 2, 3 dilated 3, 1,
    1; 64, 64, 64, 64 and 128 channels), each affine-ReLU-BatchNorm, statistics pooling (mean and standard deviation
    over time), two segment layers of 64 (affine-ReLU-BatchNorm) and a linear speaker head; ``std_eps``: the
    epsilon under the pooled standard deviation's square root (0: none)."""

    def __init__(self, feats: int = 24, classes: int = 8, std_eps: float = 1e-5) -> None:
        super().__init__()
        spec = ((feats, 64, 5, 1), (64, 64, 3, 2), (64, 64, 3, 3), (64, 64, 1, 1), (64, 128, 1, 1))
        self.frames = nn.Sequential(*[nn.Sequential(nn.Conv1d(ci, co, k, dilation=dl), nn.ReLU(), nn.BatchNorm1d(co))
                                      for ci, co, k, dl in spec])
        self.segment = nn.Sequential(nn.Linear(256, 64), nn.ReLU(), nn.BatchNorm1d(64), nn.Linear(64, 64), nn.ReLU(),
                                     nn.BatchNorm1d(64))
        self.head, self.std_eps = nn.Linear(64, classes), std_eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.frames(x)
        mean = h.mean(2)
        var = ((h - mean[..., None]) ** 2).mean(2)
        std = (var + self.std_eps).sqrt() if self.std_eps > 0 else var.sqrt()
        return self.head(self.segment(torch.cat([mean, std], 1)))


# ---- DeepONet --------------------------------------------------------------------------------------------------------


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class DeepONet(nn.Module):
    """An unstacked DeepONet (Lu et al. 2021): a branch ReLU MLP of the input function at 32 sensors and a trunk ReLU
    MLP of the query point, both 64-64-64 (``depth`` hidden layers of 64 each), their inner product plus a bias;
    Glorot-normal weights and zero biases (DeepXDE's defaults)."""

    def __init__(self, sensors: int = 32, width: int = 64, depth: int = 2) -> None:
        super().__init__()
        self.branch = _mlp([sensors] + [width] * depth + [width])
        self.trunk = _mlp([1] + [width] * depth + [width])
        self.bias = nn.Parameter(torch.zeros(()))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """``u``: ``(batch, sensors)``; ``y``: ``(points,)`` query points shared by the batch."""
        u, y = inputs
        return self.branch(u) @ self.trunk(y[:, None]).T + self.bias


# ---- TSMixer ---------------------------------------------------------------------------------------------------------


class MixerBlock(nn.Module):
    """A TSMixer block: time mixing (LayerNorm over the block, a ReLU linear across time, dropout, residual) then
    feature mixing (LayerNorm, a two-layer ReLU MLP across channels, dropout, residual)."""

    def __init__(self, length: int, channels: int, ff: int, drop: float) -> None:
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm([length, channels]), nn.LayerNorm([length, channels])
        self.time = nn.Linear(length, length)
        self.feat = nn.Sequential(nn.Linear(channels, ff), nn.ReLU(), nn.Dropout(drop), nn.Linear(ff, channels))
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(F.relu(self.time(self.n1(x).transpose(1, 2))).transpose(1, 2))
        return x + self.drop(self.feat(self.n2(x)))


class TSMixer(nn.Module):
    """TSMixer (Chen et al. 2023): reversible instance normalisation (each series standardised over its window with
    learnable affine, undone on the output), two mixer blocks (feature MLP 32, dropout 0.1), and a temporal
    projection from the 32-step window to the 8-step horizon."""

    def __init__(self, length: int = 32, horizon: int = 8, channels: int = 6, blocks: int = 2, ff: int = 32,
                 drop: float = 0.1) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*[MixerBlock(length, channels, ff, drop) for _ in range(blocks)])
        self.proj = nn.Linear(length, horizon)
        self.gain, self.shift = nn.Parameter(torch.ones(channels)), nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean, std = x.mean(1, keepdim=True), (x.var(1, keepdim=True, unbiased=False) + 1e-5).sqrt()
        z = (x - mean) / std * self.gain + self.shift
        z = self.proj(self.blocks(z).transpose(1, 2)).transpose(1, 2)
        return (z - self.shift) / (self.gain + 1e-10) * std + mean
