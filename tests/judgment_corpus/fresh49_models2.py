"""Hand-written models of the forty-ninth held-out batch (``fresh49.py``), the 3-D shape and sequence-labelling ones:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The image models are in ``fresh49_models.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- MVCNN -----------------------------------------------------------------------------------------------------------


class MVCNN(nn.Module):
    """The multi-view CNN (Su et al. 2015, "Multi-view convolutional neural networks for 3D shape recognition"),
    narrowed: one CNN shared by every view (3x3 convolutions of 16, 32, 64 channels, ReLU and 2x2 max pooling after
    each, from 12x12 renderings to 1x1), the element-wise max over the views (view pooling), then ``Linear(64, 128)``,
    ReLU, dropout 0.5 and the class Linear; PyTorch's default init. ``layers``: that many 3x3 convolutions of 16 with
    ReLU in the first stage (the extra ones after its pooling, at 6x6; 28 make the CNN 30 convolutions deep)."""

    def __init__(self, classes: int = 6, layers: int = 1) -> None:
        super().__init__()
        mods: list[nn.Module] = [nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        for _ in range(layers - 1):
            mods += [nn.Conv2d(16, 16, 3, padding=1), nn.ReLU()]
        mods += [nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                 nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3)]
        self.cnn = nn.Sequential(*mods)
        self.head = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, classes))

    def forward(self, views: torch.Tensor) -> torch.Tensor:
        b, v = views.shape[:2]
        f = self.cnn(views.flatten(0, 1)).reshape(b, v, -1)
        return self.head(f.max(1).values)


# ---- Occupancy Networks ----------------------------------------------------------------------------------------------


class _CBN(nn.Module):
    """Conditional BatchNorm (the reference's ``CBatchNorm1d``): BatchNorm without affine, then ``gamma(c)`` and
    ``beta(c)`` from the shape code, initialised to 1 and 0 (zero weights, biases 1 and 0)."""

    def __init__(self, c: int, f: int) -> None:
        super().__init__()
        self.gamma, self.beta = nn.Conv1d(c, f, 1), nn.Conv1d(c, f, 1)
        self.bn = nn.BatchNorm1d(f, affine=False)
        nn.init.zeros_(self.gamma.weight), nn.init.ones_(self.gamma.bias)
        nn.init.zeros_(self.beta.weight), nn.init.zeros_(self.beta.bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        c = c[:, :, None]
        return self.gamma(c) * self.bn(x) + self.beta(c)


class _CBlock(nn.Module):
    def __init__(self, c: int, f: int) -> None:
        super().__init__()
        self.bn0, self.bn1 = _CBN(c, f), _CBN(c, f)
        self.fc0, self.fc1 = nn.Conv1d(f, f, 1), nn.Conv1d(f, f, 1)
        nn.init.zeros_(self.fc1.weight)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return x + self.fc1(F.relu(self.bn1(self.fc0(F.relu(self.bn0(x, c))), c)))


class OccupancyNetwork(nn.Module):
    """The occupancy network (Mescheder et al. 2019, "Occupancy networks: learning 3D reconstruction in function
    space"), narrowed, point-cloud completion: the reference's simple PointNet encoder (``fc_pos`` 3 -> 64, two
    rounds of ReLU, a Linear to 32 and the concatenated max-pool, a Linear to the code of 32) and its conditional-
    BatchNorm decoder (``fc_p`` 3 -> 64, three ResNet blocks of two 1x1 convolutions with conditional BatchNorms,
    their second convolution zero-initialised, a last conditional BatchNorm, ReLU, one occupancy logit per query
    point); PyTorch's default init otherwise. Input ``(cloud (b, 64, 3), queries (b, 128, 3))``."""

    def __init__(self, c: int = 32, f: int = 64, blocks: int = 3) -> None:
        super().__init__()
        self.fc_pos = nn.Linear(3, 64)
        self.fc_0, self.fc_1, self.fc_c = nn.Linear(64, 32), nn.Linear(64, 32), nn.Linear(64, c)
        self.fc_p = nn.Conv1d(3, f, 1)
        self.blocks = nn.ModuleList([_CBlock(c, f) for _ in range(blocks)])
        self.bn, self.out = _CBN(c, f), nn.Conv1d(f, 1, 1)

    def encode(self, pts: torch.Tensor) -> torch.Tensor:
        h = self.fc_pos(pts)
        for fc in (self.fc_0, self.fc_1):
            h = fc(F.relu(h))
            h = torch.cat([h, h.max(1, keepdim=True).values.expand_as(h)], -1)
        return self.fc_c(F.relu(h.max(1).values))

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        cloud, q = inputs
        c = self.encode(cloud)
        x = self.fc_p(q.transpose(1, 2))
        for block in self.blocks:
            x = block(x, c)
        return self.out(F.relu(self.bn(x, c)))[:, 0]


# ---- TENER -----------------------------------------------------------------------------------------------------------


def _relative_sinusoids(n: int, d: int) -> torch.Tensor:
    """TENER's directional relative sinusoids ``R[i, j]`` for the offset ``j - i`` (sine and cosine halves; the sine
    of a negative offset is negative, so the direction is kept): ``(n, n, d)``."""
    rel = (torch.arange(n)[None] - torch.arange(n)[:, None]).float()
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2).float() / d)
    ang = rel[..., None] * freq
    return torch.cat([ang.sin(), ang.cos()], -1)


class _TENERLayer(nn.Module):
    """One TENER layer: the relative attention ``A = Q K^T + Q R^T + u K^T + v R^T`` with the keys the unprojected
    input (the paper's), un-scaled (no ``1 / sqrt(d_k)``), the key padding masked by ``-inf`` as the reference code;
    then post-norm residuals (``after_norm``) around the attention and a ReLU feed-forward of 2x, dropout 0.15."""

    def __init__(self, d: int, heads: int, n: int, drop: float, ln: bool = True) -> None:
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.q, self.v = nn.Linear(d, d), nn.Linear(d, d)
        self.u_bias = nn.Parameter(torch.zeros(heads, self.dh))
        self.v_bias = nn.Parameter(torch.zeros(heads, self.dh))
        self.register_buffer("rel", _relative_sinusoids(n, self.dh))
        self.ln1, self.ln2 = (nn.LayerNorm(d), nn.LayerNorm(d)) if ln else (nn.Identity(), nn.Identity())
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Dropout(drop), nn.Linear(2 * d, d))
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        q = self.q(x).reshape(b, n, self.h, self.dh)
        k = x.reshape(b, n, self.h, self.dh)
        v = self.v(x).reshape(b, n, self.h, self.dh)
        rel = self.rel[:n, :n]
        a = (torch.einsum("bihd,bjhd->bhij", q + self.u_bias, k)
             + torch.einsum("bihd,ijd->bhij", q + self.v_bias, rel))
        a = a.masked_fill(pad[:, None, None, :], float("-inf")).softmax(-1)
        out = torch.einsum("bhij,bjhd->bihd", self.drop(a), v).reshape(b, n, -1)
        x = self.ln1(x + self.drop(out))
        return self.ln2(x + self.drop(self.ff(x)))


class TENER(nn.Module):
    """TENER (Yan et al. 2019, "TENER: adapting Transformer encoder for named entity recognition"), narrowed: word
    embeddings of 64, two layers of the relative, un-scaled attention with 4 heads of 16 (:class:`_TENERLayer`),
    the output dropout 0.4 (``fc_dropout``) and a Linear to the tags; the CRF is left out (a softmax tagger, the loss
    over the non-pad tokens). PyTorch's default init. ``init_std``: every embedding and Linear weight drawn N(0,
    init_std^2) instead; ``ln``: the LayerNorms left out. Pad id 0."""

    def __init__(self, vocab: int = 64, tags: int = 9, d: int = 64, heads: int = 4, layers: int = 2, n: int = 16,
                 init_std: float | None = None, ln: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList([_TENERLayer(d, heads, n, 0.15, ln) for _ in range(layers)])
        self.fc_drop, self.out = nn.Dropout(0.4), nn.Linear(d, tags)
        if init_std is not None:
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(m.weight, std=init_std)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        pad = tokens == 0
        x = self.emb(tokens)
        for layer in self.layers:
            x = layer(x, pad)
        return self.out(self.fc_drop(x))


# ---- Elman slot filler -----------------------------------------------------------------------------------------------


class ElmanSlotFiller(nn.Module):
    """The Elman-type RNN for slot filling (Mesnil et al. 2013, "Investigation of recurrent-neural-network
    architectures and learning methods for spoken language understanding", as its Theano tutorial): word embeddings
    of 50 for a context window of 3 words (``-1, 0, +1``, a padding word at the ends), concatenated, a sigmoid Elman
    layer of 100 ``h_t = sigmoid(W x_t + U h_{t-1} + b)`` from ``h_0 = 0``, a softmax over the slot tags; every
    weight and embedding ``0.2 * U(-1, 1)`` and the biases 0, as the tutorial. ``recurrent_scale``: U drawn ``scale *
    U(-1, 1)`` instead of 0.2."""

    def __init__(self, vocab: int = 64, tags: int = 5, d: int = 50, hidden: int = 100,
                 recurrent_scale: float = 0.2) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab + 1, d)
        self.wx, self.u = nn.Linear(3 * d, hidden), nn.Linear(hidden, hidden, bias=False)
        self.out = nn.Linear(hidden, tags)
        self.pad, self.hidden = vocab, hidden
        with torch.no_grad():
            for m in (self.emb, self.wx, self.out):
                m.weight.uniform_(-0.2, 0.2)
            self.u.weight.uniform_(-recurrent_scale, recurrent_scale)
            self.wx.bias.zero_(), self.out.bias.zero_()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        b, n = tokens.shape
        padded = F.pad(tokens, (1, 1), value=self.pad)
        x = self.wx(torch.cat([self.emb(padded[:, i:i + n]) for i in range(3)], -1))
        h = x.new_zeros(b, self.hidden)
        hs = []
        for t in range(n):
            h = torch.sigmoid(x[:, t] + self.u(h))
            hs.append(h)
        return self.out(torch.stack(hs, 1))
