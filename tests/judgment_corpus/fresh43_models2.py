"""Hand-written models of the forty-fourth held-out batch (``fresh43.py``), physics-surrogate, speech-enhancement and
molecular ones: small versions of published architectures new to the corpus, each with the switches its broken
variants need (one fault each, off by default). The vision and language models are in ``fresh43_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- AFNO ------------------------------------------------------------------------------------------------------------


class _AFNOFilter(nn.Module):
    """The adaptive Fourier neural operator's token mixer (FourCastNet's ``AFNO2D``): a 2-D FFT over the token grid,
    a block-diagonal two-layer complex MLP on every frequency (4 blocks, ReLU), soft-shrinkage at 0.01, the inverse
    FFT, plus the input (its inner skip); the complex weights 0.02 * N(0, 1)."""

    def __init__(self, d: int, blocks: int = 4, shrink: float = 0.01) -> None:
        super().__init__()
        self.nb, self.bs, self.shrink = blocks, d // blocks, shrink
        self.w1 = nn.Parameter(0.02 * torch.randn(2, blocks, self.bs, self.bs))
        self.b1 = nn.Parameter(0.02 * torch.randn(2, blocks, self.bs))
        self.w2 = nn.Parameter(0.02 * torch.randn(2, blocks, self.bs, self.bs))
        self.b2 = nn.Parameter(0.02 * torch.randn(2, blocks, self.bs))

    @staticmethod
    def _cmul(re: torch.Tensor, im: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, ...]:
        mul = lambda t, m: torch.einsum("...bi,bio->...bo", t, m)  # noqa: E731
        return mul(re, w[0]) - mul(im, w[1]) + b[0], mul(im, w[0]) + mul(re, w[1]) + b[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # b, h, w, d
        b, h, w, d = x.shape
        f = torch.fft.rfft2(x, dim=(1, 2), norm="ortho").reshape(b, h, w // 2 + 1, self.nb, self.bs)
        re, im = self._cmul(f.real, f.imag, self.w1, self.b1)
        re, im = self._cmul(F.relu(re), F.relu(im), self.w2, self.b2)
        f = torch.view_as_complex(F.softshrink(torch.stack([re, im], -1), self.shrink).contiguous())
        return torch.fft.irfft2(f.reshape(b, h, w // 2 + 1, d), s=(h, w), dim=(1, 2), norm="ortho") + x


class _AFNOBlock(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.filter = _AFNOFilter(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.filter(self.norm1(x)) + x  # FourCastNet's double skip
        return self.mlp(self.norm2(x)) + x


class AFNO(nn.Module):
    """The AFNO surrogate (Guibas et al. 2021, as FourCastNet uses it), narrowed: 2x2 patches of a 16x16 field
    embedded to 32 with a learned position embedding, two AFNO blocks (LayerNorm, the Fourier filter, the double skip,
    LayerNorm, a GELU MLP of 4x), a Linear head back to the patches' pixels; Linears truncated-normal 0.02, biases 0
    (the reference code's)."""

    def __init__(self, size: int = 16, patch: int = 2, d: int = 32, depth: int = 2) -> None:
        super().__init__()
        self.p, self.g = patch, size // patch
        self.embed = nn.Conv2d(1, d, patch, patch)
        self.pos = nn.Parameter(torch.zeros(1, self.g, self.g, d))
        self.blocks = nn.ModuleList([_AFNOBlock(d) for _ in range(depth)])
        self.head = nn.Linear(d, patch * patch, bias=False)
        nn.init.trunc_normal_(self.pos, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, u: torch.Tensor) -> torch.Tensor:  # b, 1, size, size
        x = self.embed(u).permute(0, 2, 3, 1) + self.pos
        for block in self.blocks:
            x = block(x)
        b, g, p = x.shape[0], self.g, self.p
        return self.head(x).view(b, g, g, p, p).permute(0, 1, 3, 2, 4).reshape(b, 1, g * p, g * p)


# ---- RNNoise ---------------------------------------------------------------------------------------------------------


class _KerasGRU(nn.Module):
    """Keras' GRU as RNNoise uses it (``activation="relu"``, ``reset_after=False``): ``z, r = sigmoid(...)``,
    ``n = relu(W_n x + U_n (r h) + b_n)``, ``h = z h + (1 - z) n``; kernels Glorot-uniform, recurrent matrices
    orthogonal (times ``gain``), biases zero (Keras' defaults)."""

    def __init__(self, i: int, h: int, gain: float = 1.0) -> None:
        super().__init__()
        self.w = nn.Linear(i, 3 * h)
        self.u = nn.Parameter(torch.empty(3, h, h))
        nn.init.xavier_uniform_(self.w.weight)
        nn.init.zeros_(self.w.bias)
        for k in range(3):
            nn.init.orthogonal_(self.u[k], gain=gain)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # b, t, i
        wz, wr, wn = self.w(x).chunk(3, -1)
        h = x.new_zeros(x.shape[0], self.u.shape[1])
        out = []
        for t in range(x.shape[1]):
            z = torch.sigmoid(wz[:, t] + h @ self.u[0])
            r = torch.sigmoid(wr[:, t] + h @ self.u[1])
            h = z * h + (1 - z) * F.relu(wn[:, t] + (r * h) @ self.u[2])
            out.append(h)
        return torch.stack(out, 1)


class RNNoise(nn.Module):
    """RNNoise (Valin 2018), its gain network narrowed to 22 band log-energies in (no pitch features, no VAD output):
    a Dense of 24 (tanh), the "VAD" GRU of 24, the noise GRU of 48 on ``[dense, vad, input]``, the denoise GRU of 96
    on ``[vad, noise, input]``, a Dense of 22 sigmoid band gains; all three GRUs Keras' ReLU GRU. ``recurrent_gain``:
    the recurrent matrices orthogonal times this gain."""

    def __init__(self, bands: int = 22, recurrent_gain: float = 1.0) -> None:
        super().__init__()
        self.dense = nn.Linear(bands, 24)
        self.vad = _KerasGRU(24, 24, recurrent_gain)
        self.noise = _KerasGRU(24 + 24 + bands, 48, recurrent_gain)
        self.denoise = _KerasGRU(24 + 48 + bands, 96, recurrent_gain)
        self.out = nn.Linear(96, bands)
        for lin in (self.dense, self.out):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # b, t, bands
        d = torch.tanh(self.dense(x))
        v = self.vad(d)
        n = self.noise(torch.cat([d, v, x], -1))
        return torch.sigmoid(self.out(self.denoise(torch.cat([v, n, x], -1))))


# ---- AttentiveFP -----------------------------------------------------------------------------------------------------


class _GraphAttention(nn.Module):
    """One AttentiveFP step over a padded dense batch: ``e_ij = leaky_relu(a^T [h_i; h_j])`` over the neighbours
    (self-loops included), ``c_i = elu(sum_j softmax_j(e_ij) W h_j)``, ``h_i = relu(GRU(c_i, h_i))``. ``times_inf``:
    the neighbour mask added as ``(1 - mask) * -inf`` instead of filled in."""

    def __init__(self, d: int, drop: float, times_inf: bool = False) -> None:
        super().__init__()
        self.a_i, self.a_j = nn.Linear(d, 1), nn.Linear(d, 1, bias=False)
        self.w, self.gru, self.drop = nn.Linear(d, d), nn.GRUCell(d, d), nn.Dropout(drop)
        self.times_inf = times_inf

    def forward(self, h: torch.Tensor, nbr: torch.Tensor) -> torch.Tensor:  # h: b, n, d; nbr: b, n, n (bool)
        e = F.leaky_relu(self.a_i(h) + self.a_j(h).transpose(1, 2), 0.2)
        if self.times_inf:
            e = e + (1 - nbr.float()) * float("-inf")
        else:
            e = e.masked_fill(~nbr, float("-inf"))
        c = F.elu(e.softmax(-1) @ self.w(self.drop(h)))
        b, n, d = h.shape
        return F.relu(self.gru(c.reshape(b * n, d), h.reshape(b * n, d))).view(b, n, d)


class AttentiveFP(nn.Module):
    """AttentiveFP (Xiong et al. 2019), narrowed to atom features (no bond features): an atom embedding of 64 (leaky
    ReLU), two graph-attention layers with GRU updates, then the molecule's super node (the sum of its atoms) refined
    twice by attention over its atoms and a GRU, dropout 0.2, a Linear to the property; PyTorch's default init.
    ``times_inf``: see :class:`_GraphAttention`."""

    def __init__(self, features: int = 11, d: int = 64, layers: int = 2, steps: int = 2, drop: float = 0.2,
                 times_inf: bool = False) -> None:
        super().__init__()
        self.embed = nn.Linear(features, d)
        self.layers = nn.ModuleList([_GraphAttention(d, drop, times_inf) for _ in range(layers)])
        self.mol_a, self.mol_w, self.mol_gru = nn.Linear(2 * d, 1), nn.Linear(d, d), nn.GRUCell(d, d)
        self.steps, self.drop, self.out = steps, nn.Dropout(drop), nn.Linear(d, 1)

    def forward(self, g: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, adj, atoms = g  # b, n, f; b, n, n; b, n
        nbr = adj.bool() | torch.eye(x.shape[1], dtype=torch.bool)
        h = F.leaky_relu(self.embed(x), 0.2)
        for layer in self.layers:
            h = layer(h, nbr)
        mask = atoms.bool()
        s = F.relu((h * atoms[..., None]).sum(1))
        for _ in range(self.steps):
            e = F.leaky_relu(self.mol_a(torch.cat([s[:, None].expand_as(h), h], -1)).squeeze(-1), 0.2)
            a = e.masked_fill(~mask, float("-inf")).softmax(-1)
            s = F.relu(self.mol_gru(F.elu((a[..., None] * self.mol_w(self.drop(h))).sum(1)), s))
        return self.out(self.drop(s)).squeeze(-1)


# ---- D-MPNN (Chemprop) -----------------------------------------------------------------------------------------------


class DMPNN(nn.Module):
    """The directed message-passing network of Chemprop (Yang et al. 2019), narrowed to atom features (a bond's
    input is its source atom's features): ``h0_vw = relu(W_i x_v)``, three steps in all of ``m_vw = sum_{k -> v}
    h_kv - h_wv`` (the reverse bond left out) and ``h_vw = relu(h0_vw + W_h m_vw)``, atoms ``h_v = relu(W_o [x_v,
    sum_{k -> v} h_kv])``, the mean over a molecule's atoms, an FFN 64-64-1; hidden 64, no dropout, Chemprop's init
    (weights Xavier-normal, biases zero; ``W_i`` and ``W_h`` without bias). ``init_std``: every weight N(0,
    init_std^2) instead; ``out_bias``: ``W_o``'s bias set to that value (every atom's ReLU dead at -10);
    ``ffn_layers``: the FFN's number of Linears (Chemprop's ``ffn_num_layers``, 2 by default)."""

    def __init__(self, features: int = 11, d: int = 64, depth: int = 3, init_std: float | None = None,
                 out_bias: float | None = None, ffn_layers: int = 2) -> None:
        super().__init__()
        self.wi, self.wh = nn.Linear(features, d, bias=False), nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(features + d, d)
        ffn: list[nn.Module] = []
        for _ in range(ffn_layers - 1):
            ffn += [nn.Linear(d, d), nn.ReLU()]
        self.ffn = nn.Sequential(*ffn, nn.Linear(d, 1))
        self.depth = depth
        for p in self.parameters():
            if p.dim() == 1:
                nn.init.zeros_(p)
            elif init_std is not None:
                nn.init.normal_(p, 0.0, init_std)
            else:
                nn.init.xavier_normal_(p)
        if out_bias is not None:
            nn.init.constant_(self.wo.bias, out_bias)

    def forward(self, g: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, adj, atoms = g
        b, n, f = x.shape
        xs = x.reshape(b * n, f)
        mol, src, dst = adj.nonzero(as_tuple=True)
        src, dst = mol * n + src, mol * n + dst  # directed bonds src -> dst, both directions present
        key = src * (b * n) + dst
        order = torch.argsort(key)
        rev = order[torch.searchsorted(key[order], dst * (b * n) + src)]  # index of the bond dst -> src
        h0 = F.relu(self.wi(xs[src]))
        h = h0
        for _ in range(self.depth - 1):
            into = torch.zeros(b * n, h.shape[1]).index_add(0, dst, h)
            h = F.relu(h0 + self.wh(into[src] - h[rev]))
        into = torch.zeros(b * n, h.shape[1]).index_add(0, dst, h)
        hv = F.relu(self.wo(torch.cat([xs, into], 1))).view(b, n, -1) * atoms[..., None]
        return self.ffn(hv.sum(1) / atoms.sum(1, keepdim=True)).squeeze(-1)
