"""Hand-written models of the forty-fourth held-out batch (``fresh43.py``), vision and language ones: small versions
of published architectures new to the corpus, each with the switches its broken variants need (one fault each, off
by default). The physics-surrogate, speech-enhancement and molecular models are in ``fresh43_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- YOLO ------------------------------------------------------------------------------------------------------------


class YOLO(nn.Module):
    """YOLO (Redmon et al. 2016, "You only look once"), v1 narrowed to 32x32 grey images: convolutions 16 (3x3),
    max-pool, 32 (3x3), max-pool, 64 (3x3), 32 (1x1 reduction), 64 (3x3), max-pool, each followed by the leaky ReLU
    of slope 0.1, then the fully connected head 1024-256-(S x S x (5 + C)) with dropout 0.5 after its first layer, the
    output read as a 4x4 grid of one box ``(x, y, sqrt w, sqrt h, confidence)`` and 3 class scores a cell. Weights
    He-normal for the leaky ReLU, ``std = sqrt(2 / ((1 + 0.1^2) fan_in))`` with ``fan_in = w[0].numel()`` (in x k x k),
    biases zero. ``fan_axis``: the model's ``_init_weights`` reading the fan-in as ``w.size(-1)``, a Linear's habit,
    which for a convolution weight ``(out, in, k, k)`` is the kernel width (3, or 1 for the 1x1 reduction)."""

    def __init__(self, grid: int = 4, classes: int = 3, fan_axis: bool = False) -> None:
        super().__init__()
        self.grid, self.per_cell = grid, 5 + classes
        act = nn.LeakyReLU(0.1)
        convs: list[nn.Module] = [nn.Conv2d(1, 16, 3, padding=1), act, nn.MaxPool2d(2),
                                  nn.Conv2d(16, 32, 3, padding=1), act, nn.MaxPool2d(2),
                                  nn.Conv2d(32, 64, 3, padding=1), act, nn.Conv2d(64, 32, 1), act,
                                  nn.Conv2d(32, 64, 3, padding=1), act]
        self.fan_axis = fan_axis
        self.features = nn.Sequential(*convs, nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64 * grid * grid, 256), act, nn.Dropout(0.5),
                                  nn.Linear(256, grid * grid * self.per_cell))
        self.apply(self._init_weights)

    def _init_weights(self, m: nn.Module) -> None:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight.size(-1) if self.fan_axis else m.weight[0].numel()
            with torch.no_grad():
                m.weight.normal_(0.0, math.sqrt(2.0 / ((1 + 0.1 ** 2) * fan_in)))
                m.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).view(-1, self.grid, self.grid, self.per_cell)


# ---- Attention U-Net -------------------------------------------------------------------------------------------------


def _conv_block(a: int, b: int, bn: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for c in (a, b):
        layers += [nn.Conv2d(c, b, 3, padding=1), nn.BatchNorm2d(b) if bn else nn.Identity(), nn.ReLU()]
    return nn.Sequential(*layers)


class _AttentionGate(nn.Module):
    """The additive attention gate: ``alpha = sigmoid(psi(relu(W_x x + W_g up(g))))``, one coefficient a pixel of
    the skip features ``x``, which are returned times ``alpha`` (the gating signal ``g`` from the coarser level)."""

    def __init__(self, cx: int, cg: int, ci: int, bn: bool) -> None:
        super().__init__()
        self.wx, self.wg = nn.Conv2d(cx, ci, 1, bias=False), nn.Conv2d(cg, ci, 1)
        self.psi = nn.Sequential(nn.Conv2d(ci, 1, 1), nn.BatchNorm2d(1) if bn else nn.Identity())

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        g = F.interpolate(self.wg(g), size=x.shape[2:], mode="bilinear", align_corners=False)
        return x * torch.sigmoid(self.psi(F.relu(self.wx(x) + g)))


class AttentionUNet(nn.Module):
    """Attention U-Net (Oktay et al. 2018), narrowed to 2-D and three levels (8, 16, 32 channels; each block two 3x3
    convolutions with BatchNorm and ReLU), the skip features of both upper levels gated by an attention gate driven by
    the level below, bilinear upsampling, a 1x1 classifier; Kaiming-normal convolutions (the reference code's). It
    returns per-pixel log-probabilities ``(b, classes, h, w)``. ``bn=False``: every BatchNorm left out;
    ``softmax_dim``: the axis of the ``log_softmax`` (``1``, the classes; ``-1`` is the image's width)."""

    def __init__(self, classes: int = 2, bn: bool = True, softmax_dim: int = 1) -> None:
        super().__init__()
        self.e1, self.e2, self.e3 = _conv_block(1, 8, bn), _conv_block(8, 16, bn), _conv_block(16, 32, bn)
        self.g2, self.g1 = _AttentionGate(16, 32, 16, bn), _AttentionGate(8, 16, 8, bn)
        self.d2, self.d1 = _conv_block(32 + 16, 16, bn), _conv_block(16 + 8, 8, bn)
        self.out = nn.Conv2d(8, classes, 1)
        self.softmax_dim = softmax_dim
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")

    @staticmethod
    def _up(x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.e1(x)
        x2 = self.e2(F.max_pool2d(x1, 2))
        x3 = self.e3(F.max_pool2d(x2, 2))
        y2 = self.d2(torch.cat([self._up(x3), self.g2(x2, x3)], 1))
        y1 = self.d1(torch.cat([self._up(y2), self.g1(x1, y2)], 1))
        return F.log_softmax(self.out(y1), dim=self.softmax_dim)


# ---- Star-Transformer ------------------------------------------------------------------------------------------------


class _MultiAtt(nn.Module):
    """Multi-head attention of one query over its own small set of keys (the satellites' contexts are gathered)."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def forward(self, q: torch.Tensor, ctx: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        # q: (..., d); ctx: (..., m, d); mask: (..., m) True where a key may be attended
        sh = q.shape[:-1]
        qh = self.q(q).view(*sh, self.heads, 1, self.dh)
        kh = self.k(ctx).view(*sh, -1, self.heads, self.dh).transpose(-2, -3)
        vh = self.v(ctx).view(*sh, -1, self.heads, self.dh).transpose(-2, -3)
        s = qh @ kh.transpose(-1, -2) / math.sqrt(self.dh)  # (..., heads, 1, m)
        if mask is not None:
            s = s.masked_fill(~mask[..., None, None, :], float("-inf"))
        return self.o((s.softmax(-1) @ vh).reshape(*sh, -1))


class StarTransformer(nn.Module):
    """The Star-Transformer (Guo et al. 2019), narrowed for tagging: embeddings of 64 with dropout 0.1, satellites
    initialised to the embeddings and the relay to their mean; each of 2 cycles updates every satellite from its ring
    neighbours, itself, its embedding and the relay, ``h_i = LN(relu(MultiAtt(h_i, [h_i-1, h_i, h_i+1, e_i, s])))``,
    then the relay from itself and every satellite, ``s = LN(relu(MultiAtt(s, [s; H])))`` (4 heads); a Linear tags
    each satellite. PyTorch's default init, embeddings N(0, 1). ``init_std``: every Linear and the embedding drawn
    N(0, init_std^2) (biases zero)."""

    def __init__(self, vocab: int = 40, tags: int = 5, d: int = 64, heads: int = 4, cycles: int = 2,
                 init_std: float | None = None) -> None:
        super().__init__()
        self.emb, self.drop = nn.Embedding(vocab, d), nn.Dropout(0.1)
        self.sat = nn.ModuleList([_MultiAtt(d, heads) for _ in range(cycles)])
        self.rel = nn.ModuleList([_MultiAtt(d, heads) for _ in range(cycles)])
        self.ln_s = nn.ModuleList([nn.LayerNorm(d) for _ in range(cycles)])
        self.ln_r = nn.ModuleList([nn.LayerNorm(d) for _ in range(cycles)])
        self.out = nn.Linear(d, tags)
        if init_std is not None:
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(m.weight, 0.0, init_std)
                if isinstance(m, nn.Linear):
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.drop(self.emb(x))  # b, n, d
        h, s = e, e.mean(1)
        zero = torch.zeros_like(e[:, :1])
        for sat, rel, ln_s, ln_r in zip(self.sat, self.rel, self.ln_s, self.ln_r, strict=True):
            left, right = torch.cat([zero, h[:, :-1]], 1), torch.cat([h[:, 1:], zero], 1)
            ctx = torch.stack([left, h, right, e, s[:, None].expand_as(h)], 2)  # b, n, 5, d
            h = ln_s(F.relu(sat(h, ctx)))
            s = ln_r(F.relu(rel(s, torch.cat([s[:, None], h], 1))))
        return self.out(h)


# ---- Luong attention NMT ---------------------------------------------------------------------------------------------


class LuongNMT(nn.Module):
    """The attention-based NMT of Luong, Pham and Manning (2015), narrowed: the source reversed (their "+reverse"), an
    LSTM encoder of 64, an LSTM decoder of 64 started from the encoder's final state, global attention with the
    ``general`` score ``h_t^T W_a h_s``, the attentional state ``h~_t = tanh(W_c [c_t; h_t])`` fed to the next step
    (input feeding), dropout 0.2, a softmax layer over the target words; every parameter U(-0.1, 0.1) (the paper's).
    Teacher-forced: ``forward((source, target input))`` returns ``(b, t, vocab)`` logits. ``flip_dim``: the axis the
    reversal flips (``1``, time, for the batch-first tensors; ``0`` is the batch); ``layers``: the depth of both LSTM
    stacks (the paper's 4; 1 here), dropout 0.2 between layers, the input feeding into the first, attention from the
    top."""

    def __init__(self, vocab: int = 24, d: int = 64, flip_dim: int = 1, layers: int = 1) -> None:
        super().__init__()
        self.src_emb, self.tgt_emb = nn.Embedding(vocab, d), nn.Embedding(vocab, d)
        self.enc = nn.LSTM(d, d, num_layers=layers, batch_first=True, dropout=0.2 if layers > 1 else 0.0)
        self.dec = nn.ModuleList([nn.LSTMCell(2 * d if i == 0 else d, d) for i in range(layers)])
        self.wa, self.wc = nn.Linear(d, d, bias=False), nn.Linear(2 * d, d, bias=False)
        self.out, self.drop = nn.Linear(d, vocab), nn.Dropout(0.2)
        self.flip_dim = flip_dim
        for p in self.parameters():
            nn.init.uniform_(p, -0.1, 0.1)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        src, tgt_in = batch
        hs, (h0, c0) = self.enc(self.drop(self.src_emb(src.flip(self.flip_dim))))
        state = list(zip(h0, c0, strict=True))
        feed = torch.zeros_like(h0[0])
        keys = self.wa(hs)  # b, s, d
        outs = []
        for t in range(tgt_in.shape[1]):
            inp = torch.cat([self.drop(self.tgt_emb(tgt_in[:, t])), feed], 1)
            for i, cell in enumerate(self.dec):
                state[i] = cell(inp if i == 0 else self.drop(state[i - 1][0]), state[i])
            h = state[-1][0]
            a = torch.softmax((keys @ h[:, :, None]).squeeze(-1), 1)  # b, s
            ctx = (a[:, :, None] * hs).sum(1)
            feed = torch.tanh(self.wc(torch.cat([ctx, h], 1)))
            outs.append(self.out(self.drop(feed)))
        return torch.stack(outs, 1)
