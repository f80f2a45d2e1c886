"""Hand-written models of the forty-second held-out batch (``fresh41.py``), tabular, point-cloud and video ones:
small versions of published architectures new to the corpus, each with the switches its broken variants need (one
fault each, off by default). The vision, audio, speech and time-series models are in ``fresh41_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- RealMLP ---------------------------------------------------------------------------------------------------------


class _NTLinear(nn.Linear):
    """A Linear in the neural-tangent parametrisation: weights and biases drawn N(0, 1), the weight scaled by
    ``1 / sqrt(fan_in)`` and the bias by 0.1 in the forward (a simplification of RealMLP's parametrisation)."""

    def __init__(self, a: int, b: int) -> None:
        super().__init__(a, b)
        with torch.no_grad():
            self.weight.normal_()
            self.bias.normal_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight / self.in_features ** 0.5, 0.1 * self.bias)


class RealMLP(nn.Module):
    """RealMLP (Holzmueller, Grinsztajn and Steinwart 2024, "Better by default: strong pre-tuned MLPs and boosted
    trees on tabular data"), narrowed: the learnable diagonal scaling layer (ones) on the preprocessed features, three
    NT-parametrised hidden layers of 128 with SELU and dropout 0.15, an NT-parametrised output layer."""

    def __init__(self, features: int = 8, classes: int = 4, hidden: int = 128, layers: int = 3) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(features))
        mods: list[nn.Module] = []
        for i in range(layers):
            mods += [_NTLinear(features if i == 0 else hidden, hidden), nn.SELU(), nn.Dropout(0.15)]
        self.body = nn.Sequential(*mods)
        self.out = _NTLinear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x * self.scale))


# ---- PCT -------------------------------------------------------------------------------------------------------------


def _lbr(a: int, b: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(a, b, 1, bias=False), nn.BatchNorm1d(b), nn.ReLU())


class _OffsetAttention(nn.Module):
    """PCT's offset-attention: shared query/key projection to ``d / 4``, softmax over the keys, the attention map
    re-normalised over the queries (L1, eps 1e-9), ``x_r = V A``, and the offset ``x + LBR(x - x_r)``."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.qk = nn.Conv1d(d, d // 4, 1, bias=False)
        self.v = nn.Conv1d(d, d, 1)
        self.trans = _lbr(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # b, d, n
        q = self.qk(x)
        att = torch.softmax(q.transpose(1, 2) @ q, -1)
        att = att / (1e-9 + att.sum(1, keepdim=True))
        return x + self.trans(x - self.v(x) @ att)


class PCT(nn.Module):
    """PCT (Guo et al. 2021, "PCT: Point cloud transformer"), the simple PCT narrowed: the input embedding (two LBR
    layers, 3 -> 64 -> 64), four offset-attention layers of 64 concatenated, an LBR to 256, max and mean pooling over
    the points, the classifier 512 -> 128 -> classes with BatchNorm, ReLU and dropout 0.5; PyTorch's default init (the
    reference code's)."""

    def __init__(self, classes: int = 5, d: int = 64) -> None:
        super().__init__()
        self.embed = nn.Sequential(_lbr(3, d), _lbr(d, d))
        self.sa = nn.ModuleList([_OffsetAttention(d) for _ in range(4)])
        self.fuse = _lbr(4 * d, 256)
        self.head = nn.Sequential(nn.Linear(512, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.5),
                                  nn.Linear(128, classes))

    def forward(self, pts: torch.Tensor) -> torch.Tensor:  # b, n, 3
        x = self.embed(pts.transpose(1, 2))
        outs = []
        for layer in self.sa:
            x = layer(x)
            outs.append(x)
        y = self.fuse(torch.cat(outs, 1))
        return self.head(torch.cat([y.amax(2), y.mean(2)], 1))


# ---- ViViT -----------------------------------------------------------------------------------------------------------


def _encoder(d: int, layers: int) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


class ViViT(nn.Module):
    """ViViT (Arnab et al. 2021), the factorised encoder (model 2), narrowed: tubelet embedding (a 2x4x4 stride
    convolution to 64), a spatial encoder (two pre-LN layers, 4 heads) over each temporal index's 16 tubelets and its
    CLS token, a temporal encoder (two layers) over the spatial CLS outputs and its own CLS token, a final LayerNorm
    and a Linear head; learned position embeddings; Linears, embeddings and the tubelet convolution truncated-normal
    std 0.02, biases zero (ViT's init). Padded temporal indices are masked by ``src_key_padding_mask`` (True: pad).
    ``init_std``: every weight drawn N(0, init_std^2) instead."""

    def __init__(self, classes: int = 4, frames: int = 8, size: int = 16, d: int = 64, init_std: float = 0.02
                 ) -> None:
        super().__init__()
        self.tubelet = nn.Conv3d(3, d, (2, 4, 4), (2, 4, 4))
        nt, ns = frames // 2, (size // 4) ** 2
        self.cls_s, self.cls_t = nn.Parameter(torch.zeros(1, 1, d)), nn.Parameter(torch.zeros(1, 1, d))
        self.pos_s, self.pos_t = nn.Parameter(torch.zeros(1, ns + 1, d)), nn.Parameter(torch.zeros(1, nt + 1, d))
        self.spatial, self.temporal = _encoder(d, 2), _encoder(d, 2)
        self.norm, self.head = nn.LayerNorm(d), nn.Linear(d, classes)
        with torch.no_grad():
            for p in (self.pos_s, self.pos_t, self.cls_s, self.cls_t):
                nn.init.trunc_normal_(p, std=0.02)
            for name, p in self.named_parameters():
                if p.dim() > 1 and "pos" not in name and "cls" not in name:
                    p.normal_(0.0, init_std) if init_std != 0.02 else nn.init.trunc_normal_(p, std=0.02)
                elif name.endswith("bias") and "norm" not in name:
                    p.zero_()

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """``inp = (clip, pad_mask)``: ``clip`` ``(b, 3, frames, h, w)``, ``pad_mask`` ``(b, frames // 2)``, passed
        to the temporal encoder's ``src_key_padding_mask`` (True: ignore) after a False for its CLS token."""
        clip, pad_mask = inp
        z = self.tubelet(clip)  # b, d, nt, h', w'
        b, d, nt = z.shape[:3]
        z = z.permute(0, 2, 3, 4, 1).reshape(b * nt, -1, d)
        z = torch.cat([self.cls_s.expand(b * nt, -1, -1), z], 1) + self.pos_s
        s = self.spatial(z)[:, 0].reshape(b, nt, d)
        s = torch.cat([self.cls_t.expand(b, -1, -1), s], 1) + self.pos_t
        mask = torch.cat([torch.zeros(b, 1, dtype=torch.bool), pad_mask], 1)
        return self.head(self.norm(self.temporal(s, src_key_padding_mask=mask)[:, 0]))


# ---- SlowFast --------------------------------------------------------------------------------------------------------


def _bn3(c: int, bn: bool, zero: bool = False) -> nn.Module:
    if not bn:
        return nn.Identity()
    m = nn.BatchNorm3d(c)
    if zero:
        nn.init.zeros_(m.weight)
    return m


class _Res3D(nn.Module):
    """A 3-D basic residual block (temporal kernel ``kt`` then 1x3x3), its last BatchNorm's scale zero-initialised
    (the reference code's ``ZERO_INIT_FINAL_BN``), a projection shortcut when the channels change."""

    def __init__(self, a: int, b: int, kt: int, bn: bool) -> None:
        super().__init__()
        self.c1 = nn.Conv3d(a, b, (kt, 1, 1), padding=(kt // 2, 0, 0), bias=not bn)
        self.b1 = _bn3(b, bn)
        self.c2 = nn.Conv3d(b, b, (1, 3, 3), padding=(0, 1, 1), bias=not bn)
        self.b2 = _bn3(b, bn, zero=True)
        self.short = nn.Conv3d(a, b, 1, bias=not bn) if a != b else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.short(x) + self.b2(self.c2(F.relu(self.b1(self.c1(x))))))


class SlowFast(nn.Module):
    """SlowFast (Feichtenhofer et al. 2019), narrowed: the slow pathway on every 4th frame (alpha 4) with 16 channels
    and no temporal kernels before its last stage, the fast pathway on every frame with 4 channels (beta 1/4) and
    temporal kernels 5 and 3, stems of 1x3x3 (slow) and 5x3x3 (fast) stride 1x2x2, two residual stages per pathway,
    the lateral connections (a 5x1x1 convolution of stride 4 from fast to slow, 8 channels, concatenated) after the
    stem and the first stage, global average pooling of both, dropout 0.5 and a Linear; Kaiming-normal convolutions
    (the reference code's). ``bn=False``: every BatchNorm left out (the convolutions get biases)."""

    def __init__(self, classes: int = 2, bn: bool = True, alpha: int = 4) -> None:
        super().__init__()
        self.alpha = alpha
        self.slow_stem = nn.Sequential(nn.Conv3d(3, 16, (1, 3, 3), (1, 2, 2), (0, 1, 1), bias=not bn), _bn3(16, bn),
                                       nn.ReLU())
        self.fast_stem = nn.Sequential(nn.Conv3d(3, 4, (5, 3, 3), (1, 2, 2), (2, 1, 1), bias=not bn), _bn3(4, bn),
                                       nn.ReLU())
        self.lat1 = nn.Conv3d(4, 8, (5, 1, 1), (alpha, 1, 1), (2, 0, 0), bias=not bn)
        self.lat2 = nn.Conv3d(8, 8, (5, 1, 1), (alpha, 1, 1), (2, 0, 0), bias=not bn)
        self.slow1, self.fast1 = _Res3D(24, 32, 1, bn), _Res3D(4, 8, 3, bn)
        self.slow2, self.fast2 = _Res3D(40, 64, 3, bn), _Res3D(8, 16, 3, bn)
        self.drop, self.fc = nn.Dropout(0.5), nn.Linear(64 + 16, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, clip: torch.Tensor) -> torch.Tensor:  # b, 3, t, h, w
        slow, fast = self.slow_stem(clip[:, :, :: self.alpha]), self.fast_stem(clip)
        slow = torch.cat([slow, self.lat1(fast)], 1)
        slow, fast = self.slow1(slow), self.fast1(fast)
        slow = torch.cat([slow, self.lat2(fast)], 1)
        slow, fast = self.slow2(slow), self.fast2(fast)
        return self.fc(self.drop(torch.cat([slow.mean((2, 3, 4)), fast.mean((2, 3, 4))], 1)))
