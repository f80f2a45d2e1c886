"""Hand-written models of the twenty-third held-out batch (``fresh22.py``): small versions of published
architectures new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- SKNet: Selective Kernel Networks --------------------------------------------------------------------------------


class SKConv(nn.Module):
    """A selective-kernel convolution (Li et al. 2019): two grouped 3x3 branches (dilation 1 and 2, the paper's 3x3
    and "5x5"), each conv-BN-ReLU, fused by summing, squeezed (global pooling, a linear map to ``dim / 2`` with
    BN-ReLU), and recombined by a softmax over the branches per channel; ``bn``: the BatchNorms (False: the
    identity)."""

    def __init__(self, ch: int, groups: int = 4, bn: bool = True) -> None:
        super().__init__()
        norm = (lambda c: nn.BatchNorm2d(c)) if bn else (lambda c: nn.Identity())
        self.branches = nn.ModuleList([
            nn.Sequential(nn.Conv2d(ch, ch, 3, padding=d, dilation=d, groups=groups, bias=False), norm(ch),
                          nn.ReLU()) for d in (1, 2)])
        self.squeeze = nn.Sequential(nn.Linear(ch, ch // 2, bias=False),
                                     nn.BatchNorm1d(ch // 2) if bn else nn.Identity(), nn.ReLU())
        self.select = nn.Linear(ch // 2, 2 * ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = torch.stack([b(x) for b in self.branches], 1)
        z = self.squeeze(u.sum(1).mean((2, 3)))
        a = torch.softmax(self.select(z).view(len(x), 2, -1), 1)
        return (u * a[..., None, None]).sum(1)


class SKBlock(nn.Module):
    """An SK residual bottleneck: 1x1 conv-BN-ReLU, SKConv, 1x1 conv-BN, plus the (projected) input, ReLU."""

    def __init__(self, cin: int, ch: int, stride: int, bn: bool = True) -> None:
        super().__init__()
        norm = (lambda c: nn.BatchNorm2d(c)) if bn else (lambda c: nn.Identity())
        self.body = nn.Sequential(nn.Conv2d(cin, ch, 1, bias=False), norm(ch), nn.ReLU(), SKConv(ch, bn=bn),
                                  nn.Conv2d(ch, ch, 1, stride=stride, bias=False), norm(ch))
        self.skip = (nn.Identity() if cin == ch and stride == 1
                     else nn.Sequential(nn.Conv2d(cin, ch, 1, stride=stride, bias=False), norm(ch)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.skip(x))


class SKNet(nn.Module):
    """SKNet in miniature: a 3x3 stem conv-BN-ReLU to 16 maps, SK blocks of 32 (stride 2) and 32 maps, global
    pooling, a linear head; convolutions Kaiming-normal (fan-out), as torchvision-style ResNets; ``bn``: every
    BatchNorm (False: the identity)."""

    def __init__(self, classes: int = 10, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(16) if bn else nn.Identity(), nn.ReLU())
        self.blocks = nn.Sequential(SKBlock(16, 32, 2, bn), SKBlock(32, 32, 1, bn))
        self.head = nn.Linear(32, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)).mean((2, 3)))


# ---- XCiT: Cross-Covariance Image Transformer ------------------------------------------------------------------------


class XCA(nn.Module):
    """Cross-covariance attention (El-Nouby et al. 2021): queries and keys L2-normalised over the tokens, a
    ``d_h x d_h`` attention ``softmax(k^T q * tau)`` per head over the channels, a learnable temperature ``tau``
    per head (ones); ``temperature_divides``: the temperature zero-initialised and divided by (``/ tau``)."""

    def __init__(self, dim: int, heads: int, temperature_divides: bool = False) -> None:
        super().__init__()
        self.heads = heads
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.divides = temperature_divides
        self.temperature = nn.Parameter(torch.zeros(heads, 1, 1) if temperature_divides else torch.ones(heads, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 4, 1)
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        logits = q @ k.transpose(-2, -1)
        logits = logits / self.temperature if self.divides else logits * self.temperature
        out = torch.softmax(logits, -1) @ v
        return self.proj(out.permute(0, 3, 1, 2).reshape(b, n, c))


class XCiTLayer(nn.Module):
    """An XCiT layer: LN-XCA, LN-LPI (depthwise 3x3 conv, GELU, BatchNorm, depthwise 3x3 conv on the token grid),
    LN-MLP (ratio 2), each residual branch times a LayerScale of ones."""

    def __init__(self, dim: int, heads: int, grid: int, temperature_divides: bool = False) -> None:
        super().__init__()
        self.grid = grid
        self.n1, self.n2, self.n3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.xca = XCA(dim, heads, temperature_divides)
        self.lpi = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1, groups=dim), nn.GELU(), nn.BatchNorm2d(dim),
                                 nn.Conv2d(dim, dim, 3, padding=1, groups=dim))
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.g1, self.g2, self.g3 = (nn.Parameter(torch.ones(dim)) for _ in range(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, c = x.shape
        x = x + self.g1 * self.xca(self.n1(x))
        h = self.n2(x).transpose(1, 2).reshape(b, c, self.grid, self.grid)
        x = x + self.g2 * self.lpi(h).flatten(2).transpose(1, 2)
        return x + self.g3 * self.mlp(self.n3(x))


class XCiT(nn.Module):
    """XCiT in miniature on 16x16 images: a convolutional patch embedding (3x3 stride-2 conv, BN, GELU, 3x3
    stride-2 conv: 4x4 patches of 64 channels), two XCiT layers of four heads, LayerNorm, mean pooling, a linear head;
    linear weights truncated-normal 0.02 and biases 0, as the reference code; ``temperature_divides``: see
    :class:`XCA`."""

    def __init__(self, classes: int = 10, dim: int = 64, layers: int = 2, heads: int = 4,
                 temperature_divides: bool = False) -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Conv2d(3, dim // 2, 3, 2, 1), nn.BatchNorm2d(dim // 2), nn.GELU(),
                                   nn.Conv2d(dim // 2, dim, 3, 2, 1))
        self.layers = nn.ModuleList([XCiTLayer(dim, heads, 4, temperature_divides) for _ in range(layers)])
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x).flatten(2).transpose(1, 2)
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x).mean(1))


# ---- Lipschitz RNN ---------------------------------------------------------------------------------------------------


class LipschitzRNN(nn.Module):
    """A Lipschitz RNN (Erichson et al. 2021) classifier: ``h_t = h_(t-1) + eps (A h_(t-1) + tanh(W h_(t-1) + U x_t
    + b))`` (forward Euler), ``A = (1 - beta)(M_A + M_A^T) + beta (M_A - M_A^T) - gamma_A I`` and ``W`` likewise
    from ``M_W``, eps 0.03, beta 0.75, gamma 0.001 (the paper's setting), ``M_A``, ``M_W`` N(0, 1/N), a linear head
    on the last state; ``recurrent_std``: ``M_A`` and ``M_W`` drawn N(0, std^2) instead; ``euler_residual``: False
    writes the step ``h_t = eps (...)``, the carried ``h_(t-1) +`` left out."""

    def __init__(self, inp: int = 1, hidden: int = 64, classes: int = 4, eps: float = 0.03, beta: float = 0.75,
                 gamma: float = 0.001, recurrent_std: float | None = None, euler_residual: bool = True) -> None:
        super().__init__()
        std = recurrent_std if recurrent_std is not None else 1 / math.sqrt(hidden)
        self.ma = nn.Parameter(torch.randn(hidden, hidden) * std)
        self.mw = nn.Parameter(torch.randn(hidden, hidden) * std)
        self.inp, self.head = nn.Linear(inp, hidden), nn.Linear(hidden, classes)
        self.eps, self.beta, self.gamma, self.residual = eps, beta, gamma, euler_residual
        self.hidden = hidden

    def _mat(self, m: torch.Tensor) -> torch.Tensor:
        eye = torch.eye(self.hidden)
        return (1 - self.beta) * (m + m.T) + self.beta * (m - m.T) - self.gamma * eye

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, w = self._mat(self.ma), self._mat(self.mw)
        ux = self.inp(x)
        h = x.new_zeros(x.shape[0], self.hidden)
        for t in range(x.shape[1]):
            step = self.eps * (h @ a.T + torch.tanh(h @ w.T + ux[:, t]))
            h = h + step if self.residual else step
        return self.head(h)


# ---- HAN: Hierarchical Attention Network -----------------------------------------------------------------------------


class AttnPool(nn.Module):
    """HAN's attention pooling: ``u = tanh(W h + b)``, weights ``softmax(u . c)`` with a learned context ``c``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj, self.ctx = nn.Linear(dim, dim), nn.Parameter(torch.randn(dim) * 0.1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        a = torch.softmax(torch.tanh(self.proj(h)) @ self.ctx, 1)
        return (a[..., None] * h).sum(1)


class HAN(nn.Module):
    """HAN (Yang et al. 2016) in miniature: word embeddings of 32, a bidirectional word GRU of 16 per direction with
    word attention per sentence, a bidirectional sentence GRU of 16 with sentence attention, a linear head;
    ``batch_first``: the GRUs' flag (False: the ``(batch, time, feature)`` tensors are read as ``(time, batch,
    feature)``, so the recurrence runs over the batch axis)."""

    def __init__(self, vocab: int = 40, classes: int = 4, emb: int = 32, hid: int = 16, batch_first: bool = True
                 ) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.wgru = nn.GRU(emb, hid, batch_first=batch_first, bidirectional=True)
        self.sgru = nn.GRU(2 * hid, hid, batch_first=batch_first, bidirectional=True)
        self.watt, self.satt = AttnPool(2 * hid), AttnPool(2 * hid)
        self.head = nn.Linear(2 * hid, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, w = x.shape
        hw = self.wgru(self.emb(x.view(b * s, w)))[0]
        sent = self.watt(hw).view(b, s, -1)
        return self.head(self.satt(self.sgru(sent)[0]))


# ---- GPR-GNN ---------------------------------------------------------------------------------------------------------


class GPRGNN(nn.Module):
    """GPR-GNN (Chien et al. 2021): a two-layer MLP (64 hidden, ReLU, dropout 0.5) for per-node logits, then ten
    propagation steps ``Z_k = A_hat Z_(k-1)`` combined with learnable generalised-PageRank weights ``gamma_k``
    initialised ``alpha (1 - alpha)^k`` (PPR, alpha 0.1; the last ``(1 - alpha)^K``), as the reference code."""

    def __init__(self, feats: int, classes: int, hidden: int = 64, k: int = 10, alpha: float = 0.1) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Dropout(0.5), nn.Linear(feats, hidden), nn.ReLU(), nn.Dropout(0.5),
                                 nn.Linear(hidden, classes))
        g = alpha * (1 - alpha) ** torch.arange(k + 1, dtype=torch.float32)
        g[-1] = (1 - alpha) ** k
        self.gamma = nn.Parameter(g)
        self.k = k

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        z = self.mlp(x)
        out = self.gamma[0] * z
        for i in range(1, self.k + 1):
            z = adj @ z
            out = out + self.gamma[i] * z
        return out


# ---- MMoE: Multi-gate Mixture-of-Experts -----------------------------------------------------------------------------


class MMoE(nn.Module):
    """MMoE (Ma et al. 2018): shared field embeddings of 8 (plus the dense features), four ReLU experts (64-32), one
    softmax gate per task over the experts, a ReLU tower (16) and a logit per task (two tasks)."""

    def __init__(self, ids: int, fields: int, dense: int, emb: int = 8, experts: int = 4, tasks: int = 2) -> None:
        super().__init__()
        self.emb = nn.Embedding(ids, emb)
        d = fields * emb + dense
        self.experts = nn.ModuleList([nn.Sequential(nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
                                      for _ in range(experts)])
        self.gates = nn.ModuleList([nn.Linear(d, experts) for _ in range(tasks)])
        self.towers = nn.ModuleList([nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 1))
                                     for _ in range(tasks)])

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        ids, dense = inputs
        x = torch.cat([self.emb(ids).flatten(1), dense], 1)
        e = torch.stack([ex(x) for ex in self.experts], 1)
        outs = []
        for gate, tower in zip(self.gates, self.towers, strict=True):
            g = torch.softmax(gate(x), 1)
            outs.append(tower((g[..., None] * e).sum(1)).squeeze(1))
        return torch.stack(outs, 1)


# ---- NADE ------------------------------------------------------------------------------------------------------------


class NADE(nn.Module):
    """NADE (Larochelle & Murray 2011) for binary vectors: ``a_d = c + W[:, :d] x_(<d)``, ``h_d = sigmoid(a_d)``,
    ``p(x_d = 1) = sigmoid(V_d . h_d + b_d)``, 32 hidden units, weights uniform in +-1/sqrt(fan_in) (16 for
    ``W``, 32 for ``V``), biases 0; the forward returns the per-dimension logits."""

    def __init__(self, d: int, hidden: int = 32) -> None:
        super().__init__()
        self.w = nn.Parameter((2 * torch.rand(hidden, d) - 1) / math.sqrt(d))
        self.v = nn.Parameter((2 * torch.rand(d, hidden) - 1) / math.sqrt(hidden))
        self.c, self.b = nn.Parameter(torch.zeros(hidden)), nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        contrib = x[:, None, :] * self.w[None]  # (batch, hidden, d)
        a = self.c[None, :, None] + torch.cumsum(contrib, 2) - contrib  # a_d from x_(<d)
        h = torch.sigmoid(a)
        return (self.v.T[None] * h).sum(1) + self.b


# ---- Decision Transformer --------------------------------------------------------------------------------------------


class DecisionTransformer(nn.Module):
    """A Decision Transformer (Chen et al. 2021) in miniature: per timestep a return-to-go, a state and an action
    token (linear embeddings, an action embedding table, a learned timestep embedding), a LayerNorm, a causal
    GPT of two pre-LN layers (64 wide, four heads, GELU MLP ratio 4), the action predicted from each state token;
    weights N(0, 0.02^2) as the GPT reference code."""

    def __init__(self, state: int = 6, actions: int = 4, dim: int = 64, layers: int = 2, heads: int = 4,
                 max_t: int = 64) -> None:
        super().__init__()
        self.rtg, self.st = nn.Linear(1, dim), nn.Linear(state, dim)
        self.act, self.time = nn.Embedding(actions, dim), nn.Embedding(max_t, dim)
        self.ln = nn.LayerNorm(dim)
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, 0.1, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.gpt = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.lnf, self.head = nn.LayerNorm(dim), nn.Linear(dim, actions)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        rtg, states, actions, steps = inputs
        b, t, _ = states.shape
        te = self.time(steps)
        tok = torch.stack([self.rtg(rtg) + te, self.st(states) + te, self.act(actions) + te], 2).view(b, 3 * t, -1)
        mask = torch.triu(torch.full((3 * t, 3 * t), float("-inf")), 1)
        h = self.lnf(self.gpt(self.ln(tok), mask=mask))
        return self.head(h.view(b, t, 3, -1)[:, :, 1])


# ---- DS-CNN keyword spotting -----------------------------------------------------------------------------------------


class DSCNN(nn.Module):
    """DS-CNN (Zhang et al. 2017, "Hello Edge") on 25x10 MFCC maps: a 10x4 stride-2 conv to 64 maps with BN-ReLU, four
    depthwise-separable blocks (3x3 depthwise conv-BN-ReLU, 1x1 pointwise conv-BN-ReLU), average pooling, a linear
    head."""

    def __init__(self, classes: int = 8, ch: int = 64, blocks: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(1, ch, (10, 4), stride=2, padding=(5, 1), bias=False),
                                   nn.BatchNorm2d(ch), nn.ReLU()]
        for _ in range(blocks):
            layers += [nn.Conv2d(ch, ch, 3, padding=1, groups=ch, bias=False), nn.BatchNorm2d(ch), nn.ReLU(),
                       nn.Conv2d(ch, ch, 1, bias=False), nn.BatchNorm2d(ch), nn.ReLU()]
        self.body, self.head = nn.Sequential(*layers), nn.Linear(ch, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).mean((2, 3)))


# ---- Interaction Network ---------------------------------------------------------------------------------------------


def _mlp(inp: int, hidden: int, out: int, depth: int) -> nn.Sequential:
    """``depth`` hidden layers of ``hidden`` ReLU units (PyTorch's default init), then a linear output."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(inp if i == 0 else hidden, hidden), nn.ReLU()]
    layers.append(nn.Linear(hidden, out))
    return nn.Sequential(*layers)


class InteractionNetwork(nn.Module):
    """An Interaction Network (Battaglia et al. 2016): a relational model ``phi_R`` (an MLP, 64 wide, of ``depth``
    hidden layers, default 3) on every ordered pair of objects (sender and receiver states), its 16-d effects summed
    at each receiver, and an object model ``phi_O`` (one hidden layer of 64) from the object's state and its summed
    effects to the object's acceleration."""

    def __init__(self, state: int = 5, effect: int = 16, depth: int = 3) -> None:
        super().__init__()
        self.rel = _mlp(2 * state, 64, effect, depth)
        self.obj = _mlp(state + effect, 64, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, s = x.shape
        pair = torch.cat([x[:, :, None].expand(b, n, n, s), x[:, None].expand(b, n, n, s)], -1)  # receiver, sender
        eff = self.rel(pair)
        eff = eff * (1 - torch.eye(n))[None, :, :, None]
        return self.obj(torch.cat([x, eff.sum(2)], -1))


# ---- iTransformer ----------------------------------------------------------------------------------------------------


class ITransformer(nn.Module):
    """iTransformer (Liu et al. 2024): each variate's whole look-back window (48) embedded as one token (a linear
    map to 64), two post-LN encoder layers (four heads, GELU, feed-forward 128, dropout 0.1) attending across the
    variates, a linear projection to the 12-step horizon; inputs normalised per variate and window (mean and std
    over the window, as the paper's non-stationary normalisation) and the forecast de-normalised (``* std + mean``);
    ``add_mean``: False de-normalises by ``* std`` alone (the window's level never added back)."""

    def __init__(self, lookback: int = 48, horizon: int = 12, dim: int = 64, add_mean: bool = True) -> None:
        super().__init__()
        self.add_mean = add_mean
        self.embed = nn.Linear(lookback, dim)
        layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, 0.1, activation="gelu", batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.proj = nn.Linear(dim, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (batch, lookback, variates)
        mean = x.mean(1, keepdim=True)
        std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + 1e-5)
        z = ((x - mean) / std).transpose(1, 2)
        out = self.proj(self.enc(self.embed(z))).transpose(1, 2)
        return out * std + mean if self.add_mean else out * std


# ---- CNP: Conditional Neural Process ---------------------------------------------------------------------------------


class CNP(nn.Module):
    """A Conditional Neural Process (Garnelo et al. 2018): an encoder MLP (128-128-128, ReLU) on each context pair
    ``(x, y)``, the mean representation, a decoder MLP (128-128, ReLU) on ``(r, x_target)`` to a mean and a raw
    scale, ``sigma = 0.1 + 0.9 softplus(raw)`` as the reference code; ``softplus``: False takes the raw output as
    sigma itself (it is negative for about half the points)."""

    def __init__(self, dim: int = 128, softplus: bool = True) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(2, dim), nn.ReLU(), nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.dec = nn.Sequential(nn.Linear(dim + 1, dim), nn.ReLU(), nn.Linear(dim, dim), nn.ReLU(),
                                 nn.Linear(dim, 2))
        self.softplus = softplus

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        cx, cy, tx = inputs
        r = self.enc(torch.cat([cx, cy], -1)).mean(1, keepdim=True).expand(-1, tx.shape[1], -1)
        mu, raw = self.dec(torch.cat([r, tx], -1)).unbind(-1)
        sigma = 0.1 + 0.9 * F.softplus(raw) if self.softplus else raw
        return mu, sigma
