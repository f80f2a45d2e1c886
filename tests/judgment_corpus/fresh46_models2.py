"""Hand-written models of the forty-seventh held-out batch (``fresh46.py``), survival, anomaly-detection and
self-supervised vision ones: small versions of published architectures new to the corpus, each with the switches its
broken variants need (one fault each, off by default). The sequence, ranking and multi-task models are in
``fresh46_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- DeepSurv --------------------------------------------------------------------------------------------------------


class DeepSurv(nn.Module):
    """DeepSurv (Katzman et al. 2018, "DeepSurv: personalized treatment recommender system using a Cox proportional
    hazards deep neural network"): ReLU layers of 32 with dropout 0.1 (the reference code's ``rectify`` layers,
    no batch norm) and a linear output, the log-risk ``h(x)``; Glorot-uniform weights and zero biases (Lasagne's
    default, the reference code's framework). ``layers``: the number of hidden layers."""

    def __init__(self, features: int = 10, hidden: int = 32, layers: int = 2, drop: float = 0.1) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        for i in range(layers):
            mods += [nn.Linear(features if i == 0 else hidden, hidden), nn.ReLU(), nn.Dropout(drop)]
        self.body, self.out = nn.Sequential(*mods), nn.Linear(hidden, 1)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x))


# ---- Deep SVDD -------------------------------------------------------------------------------------------------------


class DeepSVDD(nn.Module):
    """Deep SVDD (Ruff et al. 2018, "Deep one-class classification"), its LeNet-type network narrowed to 16x16
    images: 5x5 convolutions of 8 and 4 channels, each with a BatchNorm without affine parameters (eps 1e-4),
    leaky ReLU and 2x2 max-pooling, and a linear map to 32; no bias anywhere (the paper's guard against the
    hypersphere collapse); PyTorch's default init."""

    def __init__(self, rep: int = 32) -> None:
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 8, 5, bias=False, padding=2), nn.Conv2d(8, 4, 5, bias=False, padding=2)
        self.b1, self.b2 = nn.BatchNorm2d(8, eps=1e-4, affine=False), nn.BatchNorm2d(4, eps=1e-4, affine=False)
        self.fc = nn.Linear(4 * 4 * 4, rep, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.leaky_relu(self.b1(self.c1(x))), 2)
        x = F.max_pool2d(F.leaky_relu(self.b2(self.c2(x))), 2)
        return self.fc(x.flatten(1))


# ---- SupCon ----------------------------------------------------------------------------------------------------------


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, bn: bool) -> None:
        super().__init__()
        norm = nn.BatchNorm2d if bn else (lambda c: nn.Identity())
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), norm(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), norm(cout)
        self.short = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), norm(cout))
                      if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + self.short(x))


class SupConNet(nn.Module):
    """The supervised contrastive learning model (Khosla et al. 2020, "Supervised contrastive learning"), narrowed:
    a CIFAR-style ResNet encoder (a 3x3 stem of 16 with BatchNorm, basic blocks of 16 and 32 channels, the second
    strided, global average pooling) and the projection head (an MLP 32-32-32 with ReLU), its output L2-normalised
    (the reference code's ``SupConResNet``); PyTorch's default init. ``bn``: False builds every BatchNorm as an
    identity."""

    def __init__(self, bn: bool = True, dim: int = 32) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16) if bn else nn.Identity(),
                                  nn.ReLU())
        self.blocks = nn.Sequential(_Block(16, 16, 1, bn), _Block(16, 32, 2, bn))
        self.head = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: the two views stacked, (2b, 3, h, w)
        return F.normalize(self.head(self.blocks(self.stem(x)).mean((2, 3))), dim=1)


# ---- SimMIM ----------------------------------------------------------------------------------------------------------


class _ViTBlock(nn.Module):
    def __init__(self, d: int, heads: int, ln: bool = True) -> None:
        super().__init__()
        self.ln1, self.ln2 = (nn.LayerNorm(d, eps=1e-6), nn.LayerNorm(d, eps=1e-6)) if ln else (nn.Identity(),
                                                                                                 nn.Identity())
        self.att = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln1(x)
        x = x + self.att(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class SimMIM(nn.Module):
    """SimMIM (Xie et al. 2022, "SimMIM: a simple framework for masked image modeling"), narrowed: a ViT encoder
    (patches of 4 on 3x16x16 images, width 64, two pre-LN blocks of 4 heads, learned position embeddings), masked
    patches replaced by a learned mask token, and the paper's one-layer prediction head (a linear map from each
    token to its patch's 48 pixels); Linears (the attention's input projection too), the position embeddings and
    the mask token truncated-normal 0.02 (the reference code's). Its input is ``(b, 4, 16, 16)``: the image and, as
    a fourth channel, the pixel-level mask (1 = masked). ``init_std``: every Linear drawn N(0, init_std^2) instead;
    ``ln``: False builds every LayerNorm (the blocks' and the final one) as an identity."""

    def __init__(self, d: int = 64, layers: int = 2, heads: int = 4, patch: int = 4, size: int = 16,
                 init_std: float = 0.02, ln: bool = True) -> None:
        super().__init__()
        self.patch, self.n = patch, (size // patch) ** 2
        self.embed = nn.Linear(3 * patch * patch, d)
        self.pos, self.mask_token = nn.Parameter(torch.zeros(1, self.n, d)), nn.Parameter(torch.zeros(1, 1, d))
        self.blocks = nn.ModuleList([_ViTBlock(d, heads, ln) for _ in range(layers)])
        self.norm, self.head = nn.LayerNorm(d, eps=1e-6) if ln else nn.Identity(), nn.Linear(d, 3 * patch * patch)
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        for m in self.modules():
            weights = ([m.weight] if isinstance(m, nn.Linear)
                       else [m.in_proj_weight] if isinstance(m, nn.MultiheadAttention) else [])
            for w in weights:
                if init_std == 0.02:
                    nn.init.trunc_normal_(w, std=0.02)
                else:
                    nn.init.normal_(w, 0.0, init_std)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def _patches(self, x: torch.Tensor) -> torch.Tensor:  # b, c, h, w -> b, n, c * p * p
        p = self.patch
        return F.unfold(x, p, stride=p).transpose(1, 2)

    def forward(self, xm: torch.Tensor) -> torch.Tensor:
        x, mask = xm[:, :3], xm[:, 3:]
        tokens = self.embed(self._patches(x))
        m = self._patches(mask)[..., :1]  # b, n, 1: the patch is masked
        x = tokens * (1 - m) + self.mask_token * m + self.pos
        for block in self.blocks:
            x = block(x)
        rec = self.head(self.norm(x)).transpose(1, 2)  # b, 48, n
        return F.fold(rec, xm.shape[-2:], self.patch, stride=self.patch)  # b, 3, h, w
