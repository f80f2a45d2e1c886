"""Hand-written models of the fifty-fourth held-out batch (``fresh53.py``), the vision and text ones: small versions of
published architectures new to the corpus (an MLP image classifier, a proxy-based metric learner, a segmentation
network and a self-attentive sentence classifier), each with the switches its broken variants need (one fault each,
off by default). The recommender, tabular and generative models are in ``fresh53_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- S2-MLP ----------------------------------------------------------------------------------------------------------


def spatial_shift(x: torch.Tensor) -> torch.Tensor:
    """S2-MLP's spatial shift on ``(b, h, w, c)``: the four channel groups shifted by one patch right, left, down and
    up along the grid (the edge row or column kept, as the reference code does)."""
    g = x.shape[-1] // 4
    out = x.clone()
    out[:, :, 1:, :g] = x[:, :, :-1, :g]
    out[:, :, :-1, g:2 * g] = x[:, :, 1:, g:2 * g]
    out[:, 1:, :, 2 * g:3 * g] = x[:, :-1, :, 2 * g:3 * g]
    out[:, :-1, :, 3 * g:] = x[:, 1:, :, 3 * g:]
    return out


class _S2Block(nn.Module):
    """S2-MLP's block: ``x + FC(shift(GELU(FC(LN(x)))))`` (the spatial-shift MLP), then ``x + MLP(LN(x))`` (the
    channel MLP, GELU, 4x). ``norm``: False leaves out both LayerNorms."""

    def __init__(self, d: int, norm: bool) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(d) if norm else nn.Identity()
        self.ln2 = nn.LayerNorm(d) if norm else nn.Identity()
        self.fc1, self.fc2 = nn.Linear(d, d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.fc2(spatial_shift(F.gelu(self.fc1(self.ln1(x)))))
        return x + self.mlp(self.ln2(x))


class S2MLP(nn.Module):
    """S2-MLP (Yu et al. 2022, "S2-MLP: spatial-shift MLP architecture for vision"), narrowed: 4x4 patches of the
    16x16 image embedded to 64 channels (a 4x4 stride-4 convolution), four blocks, a final LayerNorm, average pooling
    and a linear head; the Linears truncated-normal std 0.02, biases zero (the timm-style init of the MLP models it
    follows). ``init_std``: every Linear and the patch convolution drawn N(0, init_std^2) instead; ``norm``: see
    :class:`_S2Block` (the final LayerNorm goes too)."""

    def __init__(self, d: int = 64, blocks: int = 4, classes: int = 10, patch: int = 4, init_std: float | None = None,
                 norm: bool = True) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, d, patch, patch)
        self.blocks = nn.Sequential(*[_S2Block(d, norm) for _ in range(blocks)])
        self.ln = nn.LayerNorm(d) if norm else nn.Identity()
        self.head = nn.Linear(d, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
            if init_std is not None and isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.normal_(m.weight, 0.0, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.patch(x).permute(0, 2, 3, 1))
        return self.head(self.ln(x).mean((1, 2)))


# ---- ProxyNCA++ ------------------------------------------------------------------------------------------------------


class ProxyNCA(nn.Module):
    """ProxyNCA++ (Teh, DeVries and Taylor 2020, "ProxyNCA++: revisiting and revitalizing proxy neighborhood component
    analysis"), narrowed: a small convolutional trunk (3x3 convolutions 32 and 64 with BatchNorm, ReLU and 2x2 max
    pooling), the paper's global max pooling plus average pooling and LayerNorm, a linear embedding of 64, and one
    learnable proxy per class (Kaiming-normal, fan-out, as the reference code). ``forward`` returns the logits
    ``-|x/|x| - p/|p||^2 / T`` at the paper's temperature ``T = 1/9``. ``normalise``: False leaves out the L2
    normalisation of the embeddings and the proxies (raw squared distances scaled by 9)."""

    def __init__(self, classes: int = 10, d: int = 64, temperature: float = 1 / 9, normalise: bool = True) -> None:
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2))
        self.ln = nn.LayerNorm(64)
        self.embed = nn.Linear(64, d)
        self.proxies = nn.Parameter(torch.empty(classes, d))
        nn.init.kaiming_normal_(self.proxies, mode="fan_out")
        self.temperature, self.normalise = temperature, normalise

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.trunk(x)
        z = self.embed(self.ln(h.amax((2, 3)) + h.mean((2, 3))))
        p = self.proxies
        if self.normalise:
            z, p = F.normalize(z, dim=1), F.normalize(p, dim=1)
        d2 = (z[:, None] - p[None]).pow(2).sum(-1)
        return -d2 / self.temperature


# ---- ESPNet ----------------------------------------------------------------------------------------------------------


def _bn_act(c: int, bn: bool) -> nn.Module:
    return nn.Sequential(nn.BatchNorm2d(c, eps=1e-3) if bn else nn.Identity(), nn.PReLU(c))


class _ESP(nn.Module):
    """The ESP module: a 1x1 convolution to ``c / K``, ``K`` parallel dilated 3x3 convolutions (dilations 1, 2, 4, 8),
    hierarchical feature fusion (each branch's output added to the next before concatenation), a residual sum when
    the shapes match, BatchNorm (eps 1e-3) and PReLU. ``stride`` 2 makes it the strided ESP (no residual)."""

    def __init__(self, cin: int, cout: int, bn: bool, stride: int = 1, k: int = 4) -> None:
        super().__init__()
        n = cout // k
        self.reduce = nn.Conv2d(cin, n, 3 if stride == 2 else 1, stride, 1 if stride == 2 else 0, bias=False)
        self.branches = nn.ModuleList([nn.Conv2d(n, n, 3, 1, 2 ** i, dilation=2 ** i, bias=False) for i in range(k)])
        self.residual = stride == 1 and cin == cout
        self.out = _bn_act(cout, bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.reduce(x)
        outs = [b(r) for b in self.branches]
        for i in range(1, len(outs)):
            outs[i] = outs[i] + outs[i - 1]
        y = torch.cat(outs, 1)
        return self.out(x + y if self.residual else y)


class ESPNet(nn.Module):
    """ESPNet (Mehta et al. 2018, "ESPNet: efficient spatial pyramid of dilated convolutions for semantic
    segmentation"), narrowed to 16x16 inputs: a 3x3 stride-2 convolution of 16 with BatchNorm and PReLU,
    concatenated with the image average-pooled to 8x8 (the paper's input reinforcement), a strided ESP module to 4x4
    and 64 channels, two ESP modules, the concatenation with the reinforced 8x8 features' pooled copy, a 1x1
    classifier and bilinear upsampling to the input (ESPNet-C's decoder); PyTorch's default init. ``bn``: False
    leaves out every BatchNorm."""

    def __init__(self, classes: int = 3, bn: bool = True, modules: int = 2) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), _bn_act(16, bn))
        self.down = _ESP(19, 64, bn, stride=2)
        self.esp = nn.Sequential(*[_ESP(64, 64, bn) for _ in range(modules)])
        self.mix = _bn_act(64 + 19, bn)
        self.cls = nn.Conv2d(64 + 19, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = torch.cat([self.stem(x), F.avg_pool2d(x, 2)], 1)
        h = self.esp(self.down(a))
        h = self.mix(torch.cat([h, F.avg_pool2d(a, 2)], 1))
        return F.interpolate(self.cls(h), size=x.shape[-2:], mode="bilinear", align_corners=False)


# ---- the structured self-attentive sentence embedding ----------------------------------------------------------------


class SelfAttentive(nn.Module):
    """The structured self-attentive sentence embedding (Lin et al. 2017, "A structured self-attentive sentence
    embedding"), narrowed: word embeddings of 64, a BiLSTM of 32 units a direction (``H``, n x 64), the annotation
    ``A = softmax(W_s2 tanh(W_s1 H^T))`` with ``d_a = 32`` and ``r = 4`` hops, the sentence matrix ``M = A H``
    flattened into a ReLU layer of 64 with dropout 0.5 and the output layer ending in ``nn.LogSoftmax(dim=1)``;
    PyTorch's default init, embeddings N(0, 1). ``forward`` returns ``(log-probabilities, A)`` (the penalty needs
    ``A``). ``hh_std``: the LSTM's recurrent matrices drawn N(0, hh_std^2)."""

    def __init__(self, vocab: int = 64, d: int = 64, u: int = 32, da: int = 32, r: int = 4, classes: int = 4,
                 hh_std: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.lstm = nn.LSTM(d, u, batch_first=True, bidirectional=True)
        self.ws1, self.ws2 = nn.Linear(2 * u, da, bias=False), nn.Linear(da, r, bias=False)
        self.mlp = nn.Sequential(nn.Linear(r * 2 * u, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, classes),
                                 nn.LogSoftmax(dim=1))
        if hh_std is not None:
            for name, p in self.lstm.named_parameters():
                if name.startswith("weight_hh"):
                    nn.init.normal_(p, 0.0, hh_std)

    def forward(self, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h, _ = self.lstm(self.emb(s))
        a = torch.softmax(self.ws2(torch.tanh(self.ws1(h))).transpose(1, 2), dim=-1)  # b, r, n
        return self.mlp((a @ h).flatten(1)), a
