"""Hand-written models of the corpus, each as its paper or reference code builds it (written here, not copied)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm(nn.Module):
    """A GPT's own LayerNorm with an optional bias (PyTorch's had none until 2.1): recognised by what it does."""

    def __init__(self, dim: int, bias: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int, bias: bool) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.proj = nn.Linear(dim, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int, bias: bool) -> None:
        super().__init__()
        self.ln1 = LayerNorm(dim, bias)
        self.attn = _Attention(dim, heads, bias)
        self.ln2 = LayerNorm(dim, bias)
        self.fc = nn.Linear(dim, 4 * dim, bias=bias)
        self.proj = nn.Linear(4 * dim, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.proj(F.gelu(self.fc(self.ln2(x))))


class MiniGPT(nn.Module):
    """A GPT in the nanoGPT manner: learned positions, pre-LN blocks, tied embedding/head, N(0, 0.02) init with the
    residual projections at 0.02/sqrt(2L) (GPT-2 paper) or at exactly zero (``zero_residual``)."""

    def __init__(self, vocab: int = 64, length: int = 64, dim: int = 64, layers: int = 4, heads: int = 4,
                 bias: bool = False, zero_residual: bool = False, init_std: float = 0.02) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(length, dim)
        self.blocks = nn.ModuleList([_Block(dim, heads, bias) for _ in range(layers)])
        self.ln_f = LayerNorm(dim, bias)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.wte.weight
        for name, p in self.named_parameters():
            if p.dim() < 2:
                continue
            if name.endswith("proj.weight"):
                if zero_residual:
                    nn.init.zeros_(p)
                else:
                    nn.init.normal_(p, 0.0, init_std / math.sqrt(2 * layers))
            else:
                nn.init.normal_(p, 0.0, init_std)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def gpt_param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, object]]:
    """Decay the matrices, not the biases, norms and position vectors (nanoGPT's ``configure_optimizers`` rule)."""
    params = {id(p): p for p in model.parameters() if p.requires_grad}.values()
    return [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]


class RNNLM(nn.Module):
    """pytorch/examples' word_language_model shape: embedding -> LSTM/GRU/RNN -> decoder, returns (logits, hidden);
    encoder and decoder uniform(-0.1, 0.1), decoder bias zero."""

    def __init__(self, kind: str = "LSTM", vocab: int = 64, emb: int = 64, hidden: int = 64, layers: int = 2,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(vocab, emb)
        rnn_cls = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[kind]
        self.rnn = rnn_cls(emb, hidden, layers, dropout=dropout if layers > 1 else 0.0, batch_first=True)
        self.decoder = nn.Linear(hidden, vocab)
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, x: torch.Tensor, hidden: object = None) -> tuple[torch.Tensor, object]:
        out, hidden = self.rnn(self.drop(self.encoder(x)), hidden)
        return self.decoder(self.drop(out)), hidden


class RNNClassifier(nn.Module):
    """Embedding -> recurrent layer -> linear head on the last hidden state."""

    def __init__(self, kind: str = "LSTM", vocab: int = 32, emb: int = 32, hidden: int = 64, classes: int = 4,
                 layers: int = 1) -> None:
        super().__init__()
        self.encoder = nn.Embedding(vocab, emb)
        rnn_cls = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[kind]
        self.rnn = rnn_cls(emb, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.encoder(x))
        return self.head(out[:, -1])


def set_recurrent_radius(rnn: nn.RNNBase, radius: float, seed: int) -> None:
    """Make every recurrent matrix a random orthogonal matrix times ``radius`` (its spectral radius)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            if name.startswith("weight_hh"):
                q, _ = torch.linalg.qr(torch.randn(p.shape[1], p.shape[1], generator=g))
                p.copy_(radius * q.repeat(p.shape[0] // p.shape[1], 1))


class TransformerLM(nn.Module):
    """Embedding + learned positions -> ``nn.TransformerEncoder`` (causal) -> linear head; pre- or post-LN."""

    def __init__(self, vocab: int = 64, length: int = 64, dim: int = 64, layers: int = 2, heads: int = 4,
                 norm_first: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(length, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout=0.1, batch_first=True, norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(dim) if norm_first else None,
                                             enable_nested_tensor=False)
        self.head = nn.Linear(dim, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        h = self.encoder(self.emb(x) + self.pos[:t], mask=mask, is_causal=True)
        return self.head(h)


def mlp(widths: list[int], act: Callable[[], nn.Module], norm: bool = False) -> nn.Sequential:
    """Linear layers with ``act`` (and BatchNorm1d before it with ``norm``) between them, none after the last."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            if norm:
                layers.append(nn.BatchNorm1d(b))
            layers.append(act())
    return nn.Sequential(*layers)


def init_linears(model: nn.Module, std_of: Callable[[nn.Linear], float], bias: float = 0.0) -> None:
    """Every Linear weight ~ N(0, std_of(layer)^2), biases set to ``bias``."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, std_of(m))
                if m.bias is not None:
                    m.bias.fill_(bias)


class LeNet(nn.Module):
    """LeNet-5 shape (LeCun et al. 1998) with ReLU and max-pooling, for 1x28x28 inputs."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84),
                                        nn.ReLU(), nn.Linear(84, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class _DoubleConv(nn.Sequential):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True),
                         nn.Conv2d(b, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """A two-level U-Net (Ronneberger et al. 2015 shape: double 3x3 convs with BatchNorm, max-pool down, transposed
    conv up, skip concatenation)."""

    def __init__(self, channels: int = 1, width: int = 8) -> None:
        super().__init__()
        self.inc = _DoubleConv(channels, width)
        self.down1 = nn.Sequential(nn.MaxPool2d(2), _DoubleConv(width, 2 * width))
        self.down2 = nn.Sequential(nn.MaxPool2d(2), _DoubleConv(2 * width, 4 * width))
        self.up1 = nn.ConvTranspose2d(4 * width, 2 * width, 2, stride=2)
        self.conv1 = _DoubleConv(4 * width, 2 * width)
        self.up2 = nn.ConvTranspose2d(2 * width, width, 2, stride=2)
        self.conv2 = _DoubleConv(2 * width, width)
        self.out = nn.Conv2d(width, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        y = self.conv1(torch.cat([self.up1(x3), x2], 1))
        y = self.conv2(torch.cat([self.up2(y), x1], 1))
        return self.out(y)


class _MixerBlock(nn.Module):
    def __init__(self, tokens: int, dim: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(nn.Linear(tokens, 2 * tokens), nn.GELU(), nn.Linear(2 * tokens, tokens))
        self.ln2 = nn.LayerNorm(dim)
        self.channel_mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.token_mlp(self.ln1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.ln2(x))


class MLPMixer(nn.Module):
    """MLP-Mixer (Tolstikhin et al. 2021): patch embedding, token- and channel-mixing MLPs, zero-init head."""

    def __init__(self, channels: int = 3, size: int = 32, patch: int = 8, dim: int = 64, depth: int = 4,
                 classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Conv2d(channels, dim, patch, stride=patch)
        self.blocks = nn.Sequential(*[_MixerBlock((size // patch) ** 2, dim) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x).flatten(2).transpose(1, 2)
        return self.head(self.ln(self.blocks(x)).mean(1))


class _ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int, layer_scale: float) -> None:
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.pw1 = nn.Linear(dim, 4 * dim)
        self.pw2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.ln(self.dw(x).permute(0, 2, 3, 1))
        y = self.gamma * self.pw2(F.gelu(self.pw1(y)))
        return x + y.permute(0, 3, 1, 2)


class ConvNeXtNet(nn.Module):
    """ConvNeXt-style blocks (Liu et al. 2022): patchify stem, depthwise 7x7, LayerNorm, inverted bottleneck with
    GELU, layer scale 1e-6, trunc-normal(0.02) init."""

    def __init__(self, channels: int = 3, dim: int = 32, depth: int = 3, classes: int = 10,
                 layer_scale: float = 1e-6) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(channels, dim, 4, stride=4))
        self.stem_ln = nn.LayerNorm(dim, eps=1e-6)
        self.blocks = nn.Sequential(*[_ConvNeXtBlock(dim, layer_scale) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem_ln(self.stem(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.head(self.ln(self.blocks(x).mean((2, 3))))


def he_std(m: nn.Linear) -> float:
    """He (Kaiming) std of a ReLU layer's weights: sqrt(2 / fan_in)."""
    return math.sqrt(2.0 / m.in_features)


def xavier_std(m: nn.Linear) -> float:
    """Xavier (Glorot) std: sqrt(2 / (fan_in + fan_out))."""
    return math.sqrt(2.0 / (m.in_features + m.out_features))
