"""Hand-written models of the thirty-fifth held-out batch (``fresh34.py``), vision, detection, super-resolution,
bioactivity and click-through ones: small versions of published architectures new to the corpus, each with the
switches its broken variants need (one fault each, off by default). The sequence, recommendation and graph models are
in ``fresh34_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- MnasNet ---------------------------------------------------------------------------------------------------------


def _bn(c: int, bn: bool, bn_args_swapped: bool) -> nn.Module:
    """MnasNet's BatchNorm, TensorFlow's momentum 0.99 and epsilon 1e-3 mapped to PyTorch's ``eps=1e-3,
    momentum=0.01``; ``bn_args_swapped``: written ``nn.BatchNorm2d(c, 0.99, 1e-3)`` in TensorFlow's (momentum,
    epsilon) order, where PyTorch's second and third positional arguments are ``eps`` and ``momentum`` (eps 0.99);
    ``bn=False``: none."""
    if not bn:
        return nn.Identity()
    return nn.BatchNorm2d(c, 0.99, 1e-3) if bn_args_swapped else nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class _SE(nn.Module):
    def __init__(self, c: int, r: int = 4) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(c, max(1, c // r), 1), nn.Conv2d(max(1, c // r), c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean((2, 3), keepdim=True)))))


class MBConv(nn.Module):
    """MnasNet's inverted residual: 1x1 expansion, depthwise k x k (stride s), optional squeeze-excitation, 1x1
    projection, each with BatchNorm (ReLU after the first two); the identity added when shapes match."""

    def __init__(self, c_in: int, c_out: int, expand: int, k: int, stride: int, se: bool, **bn: bool) -> None:
        super().__init__()
        mid = c_in * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(c_in, mid, 1, bias=False), _bn(mid, **bn), nn.ReLU()]
        layers += [nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False), _bn(mid, **bn), nn.ReLU()]
        if se:
            layers.append(_SE(mid))
        layers += [nn.Conv2d(mid, c_out, 1, bias=False), _bn(c_out, **bn)]
        self.body = nn.Sequential(*layers)
        self.res = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.res else y


class MnasNet(nn.Module):
    """MnasNet-A1 (Tan et al. 2019), narrowed to 16x16 inputs and half the stages: a 3x3 stem of 16, a separable
    block of 16, MBConv6 k3 of 24 (stride 2, two), MBConv3 k5 with squeeze-excitation of 40 (stride 2, two), MBConv6
    k3 of 80 (two), a 1x1 head of 320, global pooling and a linear classifier; torchvision's init (convolutions He
    normal fan-out, BatchNorm 1 and 0, the classifier N(0, 0.01^2)). ``bn``, ``bn_args_swapped``: see :func:`_bn`."""

    def __init__(self, classes: int = 10, bn: bool = True, bn_args_swapped: bool = False) -> None:
        super().__init__()
        kw = {"bn": bn, "bn_args_swapped": bn_args_swapped}
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), _bn(16, **kw), nn.ReLU())
        self.blocks = nn.Sequential(
            MBConv(16, 16, 1, 3, 1, False, **kw),
            MBConv(16, 24, 6, 3, 2, False, **kw), MBConv(24, 24, 6, 3, 1, False, **kw),
            MBConv(24, 40, 3, 5, 2, True, **kw), MBConv(40, 40, 3, 5, 1, True, **kw),
            MBConv(40, 80, 6, 3, 1, False, **kw))
        self.head = nn.Sequential(nn.Conv2d(80, 256, 1, bias=False), _bn(256, **kw), nn.ReLU())
        self.fc = nn.Linear(256, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.normal_(self.fc.weight, 0.0, 0.01)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.head(self.blocks(self.stem(x))).mean((2, 3)))


# ---- VDSR ------------------------------------------------------------------------------------------------------------


class VDSR(nn.Module):
    """VDSR (Kim et al. 2016), narrowed: ``layers`` 3x3 convolutions of 32 (the first from the one luminance
    channel, the last back to it) with ReLUs between, no bias (the reference code's), He-normal init, and the global
    residual: the net predicts the detail added to the bicubic-upscaled input. ``default_init``: PyTorch's default
    init kept (Kaiming-uniform with ``a = sqrt(5)``: each layer shrinks the signal by about sqrt(6))."""

    def __init__(self, layers: int = 10, c: int = 32, default_init: bool = False) -> None:
        super().__init__()
        self.inp = nn.Conv2d(1, c, 3, padding=1, bias=False)
        self.body = nn.Sequential(*[m for _ in range(layers - 2) for m in (nn.Conv2d(c, c, 3, padding=1, bias=False),
                                                                           nn.ReLU())])
        self.out = nn.Conv2d(c, 1, 3, padding=1, bias=False)
        if not default_init:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.out(self.body(F.relu(self.inp(x))))


# ---- CenterNet -------------------------------------------------------------------------------------------------------


class _ConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


class CenterNet(nn.Module):
    """CenterNet, "Objects as Points" (Zhou et al. 2019), narrowed: a small encoder-decoder backbone (stride 2 to 8
    and back to the output stride 2, with skips, BatchNorm and ReLU; the paper's ResNet-18 with deconvolutions in
    miniature), and the three heads of 3x3 conv 32 + ReLU + 1x1: class heatmaps (the bias -2.19, the reference
    code's), box sizes (2) and centre offsets (2)."""

    def __init__(self, classes: int = 3, c: int = 32) -> None:
        super().__init__()
        self.e1, self.e2, self.e3 = _ConvBN(3, c, 2), _ConvBN(c, 2 * c, 2), _ConvBN(2 * c, 2 * c, 2)
        self.u2, self.u1 = _ConvBN(2 * c, 2 * c), _ConvBN(2 * c, c)

        def head(k: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, k, 1))
        self.heat, self.size, self.offset = head(classes), head(2), head(2)
        nn.init.constant_(self.heat[-1].bias, -2.19)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        a = self.e1(x)
        b = self.e2(a)
        h = self.e3(b)
        h = self.u2(F.interpolate(h, scale_factor=2.0) + b)
        h = self.u1(F.interpolate(h, scale_factor=2.0)) + a
        return self.heat(h), self.size(h), self.offset(h)


# ---- DeepDTA ---------------------------------------------------------------------------------------------------------


def _cnn_branch(vocab: int, e: int, filters: int, kernels: tuple[int, int, int]) -> nn.ModuleDict:
    convs = nn.Sequential(nn.Conv1d(e, filters, kernels[0]), nn.ReLU(), nn.Conv1d(filters, 2 * filters, kernels[1]),
                          nn.ReLU(), nn.Conv1d(2 * filters, 3 * filters, kernels[2]), nn.ReLU())
    return nn.ModuleDict({"emb": nn.Embedding(vocab, e), "convs": convs})


class DeepDTA(nn.Module):
    """DeepDTA (Ozturk et al. 2018), narrowed: a compound's SMILES characters and a protein's residues each embedded
    (32) and read by three 1-D convolutions (16, 32 and 48 filters; kernels 4, 6, 8 for the compound and 4, 8, 12 for
    the protein; ReLU) with global max pooling; the two codes concatenated into dense layers of 256, 256 and 128 with
    dropout 0.1 and one affinity output, shape ``(b, 1)`` as Keras' ``Dense(1)``. ``relu_bias``: every convolution
    and Linear that feeds a ReLU biased by that."""

    def __init__(self, drug_vocab: int = 24, prot_vocab: int = 20, e: int = 32, filters: int = 16,
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.drug = _cnn_branch(drug_vocab, e, filters, (4, 6, 8))
        self.prot = _cnn_branch(prot_vocab, e, filters, (4, 8, 12))
        self.mlp = nn.Sequential(nn.Linear(6 * filters, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 256),
                                 nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 1))
        if relu_bias is not None:
            for m in [*self.drug["convs"], *self.prot["convs"], *self.mlp[:-1]]:
                if isinstance(m, (nn.Conv1d, nn.Linear)):
                    nn.init.constant_(m.bias, relu_bias)

    @staticmethod
    def _code(branch: nn.ModuleDict, ids: torch.Tensor) -> torch.Tensor:
        return branch["convs"](branch["emb"](ids).transpose(1, 2)).amax(-1)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        drug, prot = batch
        return self.mlp(torch.cat([self._code(self.drug, drug), self._code(self.prot, prot)], -1))


# ---- field-aware factorization machine -------------------------------------------------------------------------------


class FFM(nn.Module):
    """The field-aware factorization machine (Juan et al. 2016): a bias, a weight per feature, and for every pair of
    fields ``(i, j)`` the dot product of feature ``x_i``'s latent vector for field ``j`` with ``x_j``'s for field
    ``i`` (k = 4, libffm's); one categorical feature per field, features numbered across fields; latent vectors
    U(0, 1/sqrt(k)) as libffm draws them, linear weights 0."""

    def __init__(self, fields: int = 8, per_field: int = 20, k: int = 4) -> None:
        super().__init__()
        self.fields, self.per_field = fields, per_field
        n = fields * per_field
        self.bias = nn.Parameter(torch.zeros(1))
        self.lin = nn.Embedding(n, 1)
        self.v = nn.Embedding(n, fields * k)
        nn.init.zeros_(self.lin.weight)
        nn.init.uniform_(self.v.weight, 0.0, k ** -0.5)
        iu = torch.triu_indices(fields, fields, 1)
        self.register_buffer("pi", iu[0], persistent=False)
        self.register_buffer("pj", iu[1], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ids = x + self.per_field * torch.arange(self.fields)  # (b, fields) global feature ids
        v = self.v(ids).view(x.shape[0], self.fields, self.fields, -1)  # (b, feature's field, other field, k)
        pair = (v[:, self.pi, self.pj] * v[:, self.pj, self.pi]).sum((-1, -2))
        return self.bias + self.lin(ids).sum((1, 2)) + pair
