"""A labelled zoo of small CPU models with known gradient trouble (and healthy controls) for the diagnosis.

Each case builds ``(model, batch, loss_fn, optimizer)`` from a seed; ``accepted`` is the set of causes that may
rank first (empty for healthy controls, which must come back with no warning or critical finding).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

Built = tuple[nn.Module, tuple[Any, Any], Callable[[Any, Any], torch.Tensor], torch.optim.Optimizer | None]


@dataclass(frozen=True)
class ZooCase:
    name: str
    description: str
    accepted: frozenset[str]
    build: Callable[[int], Built]
    init_fixable: bool = False

    @property
    def healthy(self) -> bool:
        return not self.accepted


def _mlp(widths: list[int], act: Callable[[], nn.Module], norm: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            if norm:
                layers.append(nn.BatchNorm1d(b))
            layers.append(act())
    return nn.Sequential(*layers)


def _scale_linears(model: nn.Module, std_of: Callable[[nn.Linear], float]) -> None:
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, std_of(m))
                m.bias.zero_()


def _he(m: nn.Linear) -> float:
    return math.sqrt(2.0 / m.in_features)


def _xavier(m: nn.Linear) -> float:
    return math.sqrt(2.0 / (m.in_features + m.out_features))


def _regression(n: int = 64, d: int = 16, out: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(n, d), torch.randn(n, out)


def relu_mlp_he3x(seed: int) -> Built:
    torch.manual_seed(seed)
    model = _mlp([16] + [32] * 8 + [1], nn.ReLU)
    _scale_linears(model, lambda m: 3.0 * _he(m))
    return model, _regression(), F.mse_loss, None


class FunctionalReLUNet(nn.Module):
    """ReLU applied with F.relu inside a ModuleList: the activation is found from the forward, not the structure."""

    def __init__(self, depth: int = 8, width: int = 32) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(16 if i == 0 else width, width) for i in range(depth)])
        self.head = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.blocks:
            x = F.relu(layer(x))
        return self.head(x)


def functional_relu_small(seed: int) -> Built:
    torch.manual_seed(seed)
    model = FunctionalReLUNet()
    _scale_linears(model, lambda m: 0.3 * _he(m))
    return model, _regression(), F.mse_loss, None


def sigmoid_mlp(seed: int) -> Built:
    torch.manual_seed(seed)
    model = _mlp([16] + [32] * 10 + [1], nn.Sigmoid)
    _scale_linears(model, _xavier)
    return model, _regression(), F.mse_loss, None


def tanh_mlp_xavier2x(seed: int) -> Built:
    torch.manual_seed(seed)
    model = _mlp([16] + [32] * 20 + [1], nn.Tanh)
    _scale_linears(model, lambda m: 2.0 * _xavier(m))
    return model, _regression(), F.mse_loss, None


def deep_tanh_default_no_norm(seed: int) -> Built:
    torch.manual_seed(seed)
    model = _mlp([16] + [32] * 20 + [1], nn.Tanh)  # PyTorch default init (0.58x Xavier), no normalisation
    return model, _regression(), F.mse_loss, None


class SeqClassifier(nn.Module):
    def __init__(self, rnn: nn.Module, hidden: int) -> None:
        super().__init__()
        self.rnn = rnn
        self.head = nn.Linear(hidden, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.rnn(x)[0]
        return self.head(out[:, -1])


def _set_radius(w: torch.Tensor, radius: float) -> None:
    with torch.no_grad():
        q, _ = torch.linalg.qr(torch.randn(w.shape[0], w.shape[0]))
        w.copy_(q * radius)


def _seq_batch(n: int, steps: int, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(n, steps, d), torch.randint(0, 2, (n,))


def rnn_radius(radius: float, steps: int) -> Callable[[int], Built]:
    def build(seed: int) -> Built:
        torch.manual_seed(seed)
        rnn = nn.RNN(8, 32, batch_first=True)
        _set_radius(rnn.weight_hh_l0, radius)
        return SeqClassifier(rnn, 32), _seq_batch(16, steps, 8), F.cross_entropy, None
    return build


class UserCellRNN(nn.Module):
    """A hand-written tanh RNN: the same Linear cell applied at every step."""

    def __init__(self, d: int = 8, hidden: int = 32) -> None:
        super().__init__()
        self.inp = nn.Linear(d, hidden)
        self.rec = nn.Linear(hidden, hidden, bias=False)
        self.head = nn.Linear(hidden, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.shape[0], self.rec.in_features)
        for t in range(x.shape[1]):
            h = torch.tanh(self.inp(x[:, t]) + self.rec(h))
        return self.head(h)


def user_cell_vanishing(seed: int) -> Built:
    torch.manual_seed(seed)
    model = UserCellRNN()
    _set_radius(model.rec.weight, 0.3)
    return model, _seq_batch(16, 30, 8), F.cross_entropy, None


def sgd_lr10(seed: int) -> Built:
    torch.manual_seed(seed)
    model = _mlp([16, 32, 32, 1], nn.ReLU)
    _scale_linears(model, _he)
    return model, _regression(), F.mse_loss, torch.optim.SGD(model.parameters(), lr=10.0)


def nan_input(seed: int) -> Built:
    torch.manual_seed(seed)
    model = _mlp([16, 32, 32, 1], nn.ReLU)
    x, y = _regression()
    x[3, 5] = float("nan")
    return model, (x, y), F.mse_loss, None


class LogFeatures(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(x)


def log_of_zero(seed: int) -> Built:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), LogFeatures(), nn.Linear(32, 1))
    return model, _regression(), F.mse_loss, None


def dead_relu_bias(seed: int) -> Built:
    torch.manual_seed(seed)
    model = _mlp([16] + [32] * 5 + [1], nn.ReLU)
    _scale_linears(model, _he)
    with torch.no_grad():
        for m in list(model)[:-1]:
            if isinstance(m, nn.Linear):
                m.bias.fill_(-2.5)
    return model, _regression(), F.mse_loss, None


def large_weights_no_decay(seed: int) -> Built:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(16, 1))
    with torch.no_grad():
        model[0].weight.normal_(0.0, 5.0)
    x, y = _regression()
    return model, (x, y), F.mse_loss, torch.optim.SGD(model.parameters(), lr=1e-5, weight_decay=0.0)


def healthy_bn_mlp(seed: int) -> Built:
    torch.manual_seed(seed)
    model = _mlp([16, 32, 32, 32, 1], nn.ReLU, norm=True)
    _scale_linears(model, _he)
    return model, _regression(), F.mse_loss, torch.optim.Adam(model.parameters(), lr=1e-3)


class TinyEncoder(nn.Module):
    def __init__(self, vocab: int = 50, d: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, nhead=4, dim_feedforward=64, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.encoder(self.embed(tokens))))


def healthy_transformer(seed: int) -> Built:
    torch.manual_seed(seed)
    model = TinyEncoder()
    tokens = torch.randint(0, 50, (8, 12))
    return (model, (tokens, torch.randint(0, 50, (8, 12))),
            lambda out, t: F.cross_entropy(out.reshape(-1, out.shape[-1]), t.reshape(-1)),
            torch.optim.AdamW(model.parameters(), lr=3e-4))


def healthy_lstm(seed: int) -> Built:
    torch.manual_seed(seed)
    model = SeqClassifier(nn.LSTM(8, 32, batch_first=True), 32)
    return model, _seq_batch(16, 20, 8), F.cross_entropy, torch.optim.Adam(model.parameters(), lr=1e-3)


# ---- the cases issue 12 measured: standard models at their usual settings, and symptoms that hide their cause ----


class OwnLayerNorm(nn.Module):
    """A GPT's own LayerNorm class (nanoGPT's): recognised by what it does, not by its class."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, self.weight.shape, self.weight, None, 1e-5)


class GPTBlock(nn.Module):
    def __init__(self, d: int, heads: int, layers: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = OwnLayerNorm(d), OwnLayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
        self.fc, self.out = nn.Linear(d, 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)
        for m in (self.qkv, self.fc):
            nn.init.normal_(m.weight, 0.0, 0.02)
        for m in (self.proj, self.out):
            nn.init.normal_(m.weight, 0.0, 0.02 / math.sqrt(2 * layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in self.qkv(self.ln1(x)).split(c, 2))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, c)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class NanoGPT(nn.Module):
    """nanoGPT's shape: learned positions, pre-LN blocks with its own LayerNorm, N(0, 0.02), tied head."""

    def __init__(self, vocab: int = 64, length: int = 32, d: int = 64, layers: int = 4, heads: int = 4) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(length, d)
        for e in (self.tok, self.pos):
            nn.init.normal_(e.weight, 0.0, 0.02)
        self.blocks = nn.ModuleList([GPTBlock(d, heads, layers) for _ in range(layers)])
        self.ln = OwnLayerNorm(d)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for blk in self.blocks:
            x = blk(x)
        return self.ln(x) @ self.tok.weight.T


def _tokens(n: int = 16, t: int = 32, vocab: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randint(0, vocab, (n, t + 1))
    return x[:, :-1], x[:, 1:]


def _lm_loss(out: Any, t: torch.Tensor) -> torch.Tensor:
    logits = out[0] if isinstance(out, tuple) else out
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), t.reshape(-1))


def nanogpt(lr: float) -> Callable[[int], Built]:
    def build(seed: int) -> Built:
        torch.manual_seed(seed)
        model = NanoGPT()
        return model, _tokens(), _lm_loss, torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.99),
                                                              weight_decay=0.1)
    return build


def hf_gpt2(seed: int) -> Built:
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=64, n_positions=32, n_embd=64, n_layer=2, n_head=4))
    ids = torch.randint(0, 64, (8, 32))
    return model, {"input_ids": ids, "labels": ids}, None, torch.optim.AdamW(model.parameters(), lr=3e-4)  # type: ignore


class ViTLike(nn.Module):
    """A ViT: patch embedding, pre-LN encoder blocks whose GELU MLPs are Xavier-initialised, zero-initialised head
    (torchvision's ViT)."""

    def __init__(self, d: int = 64, layers: int = 2, classes: int = 10) -> None:
        super().__init__()
        self.patch = nn.Linear(3 * 8 * 8, d)
        layer = nn.TransformerEncoderLayer(d, 4, 4 * d, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d), enable_nested_tensor=False)
        for lyr in self.encoder.layers:
            assert isinstance(lyr, nn.TransformerEncoderLayer)
            for lin in (lyr.linear1, lyr.linear2):
                nn.init.xavier_uniform_(lin.weight)
                nn.init.normal_(lin.bias, std=1e-6)
        self.head = nn.Linear(d, classes)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        b = img.shape[0]
        patches = img.unfold(2, 8, 8).unfold(3, 8, 8).permute(0, 2, 3, 1, 4, 5).reshape(b, -1, 3 * 64)
        return self.head(self.encoder(self.patch(patches)).mean(1))


def vit_zero_head(seed: int) -> Built:
    torch.manual_seed(seed)
    model = ViTLike()
    return (model, (torch.randn(16, 3, 32, 32), torch.randint(0, 10, (16,))), F.cross_entropy,
            torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05))


class LSTMLM(nn.Module):
    def __init__(self, vocab: int = 64, d: int = 64) -> None:
        super().__init__()
        self.emb, self.rnn, self.head = nn.Embedding(vocab, d), nn.LSTM(d, d, 2, batch_first=True), nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        out, hidden = self.rnn(self.emb(x))
        return self.head(out), hidden


def lstm_lm(seed: int) -> Built:
    torch.manual_seed(seed)
    model = LSTMLM()
    return model, _tokens(), _lm_loss, torch.optim.Adam(model.parameters(), lr=1e-3)


def demo_init(seed: int) -> Built:
    """The demo's model: 10 ReLU layers at 1.3x the He std, SGD 1e-4 momentum 0.9; its first loss is ~1000x the
    targets' scale and it blows up in its first steps."""
    torch.manual_seed(seed)
    model = _mlp([16] + [64] * 9 + [1], nn.ReLU)
    _scale_linears(model, lambda m: 1.3 * _he(m))
    x = torch.randn(64, 16)
    y = torch.sin(2.0 * x @ (torch.randn(16, 1) / 4.0))
    return model, (x, y), F.mse_loss, torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)


def corrupt_record(seed: int) -> Built:
    torch.manual_seed(seed)
    model = _mlp([16, 64, 64, 1], nn.ReLU)
    x, y = _regression()
    x[7, 0] = 1e30
    return model, (x, y), F.mse_loss, torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)


def inputs_50x(seed: int) -> Built:
    torch.manual_seed(seed)
    model = _mlp([32, 128, 128, 10], nn.ReLU)
    x = torch.randn(64, 32)
    y = (x @ torch.randn(32, 10)).argmax(1)
    return model, (50.0 * x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def _s(*causes: str) -> frozenset[str]:
    return frozenset(causes)


ZOO: list[ZooCase] = [
    ZooCase("relu_mlp_he3x", "10-layer ReLU MLP, weight std 3x He", _s("init", "depth"), relu_mlp_he3x, True),
    ZooCase("functional_relu_0.3x", "9-layer MLP with F.relu, std 0.3x He", _s("init", "depth"),
            functional_relu_small, True),
    ZooCase("sigmoid_mlp", "12-layer sigmoid MLP, Xavier init", _s("activation"), sigmoid_mlp),
    # trains (loss 1.96 -> 0.000 in 300 steps at Adam 1e-3 and at SGD 0.01, better than at 1x Xavier): saturation keeps
    # the gradient's growth to 1.3 decades over 21 layers, inside what healthy models show, so it is a control now
    ZooCase("tanh_mlp_xavier2x", "22-layer tanh MLP, std 2x Xavier (trains)", _s(), tanh_mlp_xavier2x),
    # PyTorch's default init is 0.57x Xavier here; compounded over 21 layers it predicts the 4.9 decades measured
    ZooCase("deep_tanh_default", "22-layer tanh MLP, default init, no norm", _s("normalization", "depth", "init"),
            deep_tanh_default_no_norm),
    ZooCase("rnn_radius_1.5", "tanh RNN, W_hh radius 1.5, 30 steps", _s("recurrence"), rnn_radius(1.5, 30)),
    ZooCase("rnn_radius_0.3", "tanh RNN, W_hh radius 0.3, 50 steps", _s("recurrence"), rnn_radius(0.3, 50)),
    ZooCase("user_cell_0.3", "hand-written RNN cell, radius 0.3, 30 steps", _s("recurrence"), user_cell_vanishing),
    ZooCase("sgd_lr10", "He MLP under SGD lr=10", _s("lr"), sgd_lr10),
    ZooCase("nan_input", "batch with a NaN input", _s("data"), nan_input),
    ZooCase("log_of_zero", "module doing log(relu(x))", _s("numeric"), log_of_zero),
    ZooCase("dead_relu_bias", "ReLU MLP with biases -2.5 (mostly dead)", _s("activation"), dead_relu_bias),
    ZooCase("large_weights_no_wd", "linear model, weight std 15x Xavier, wd=0", _s("regularization"),
            large_weights_no_decay),
    ZooCase("healthy_bn_mlp", "He MLP + BatchNorm, Adam 1e-3", _s(), healthy_bn_mlp),
    ZooCase("healthy_transformer", "2-layer pre-LN transformer encoder", _s(), healthy_transformer),
    ZooCase("healthy_lstm", "LSTM, default init, 20 steps", _s(), healthy_lstm),
    ZooCase("gpt2_adamw3e-4", "GPT-2 (transformers, 2 layers), AdamW 3e-4, no warm-up, dict batch", _s(), hf_gpt2),
    ZooCase("nanogpt_adamw1e-3", "nanoGPT-style GPT (own LayerNorm, F.gelu), AdamW 1e-3", _s(), nanogpt(1e-3)),
    ZooCase("vit_zero_head", "ViT, GELU MLPs Xavier, zero-initialised head, AdamW 1e-3", _s(), vit_zero_head),
    ZooCase("lstm_lm_adam", "2-layer LSTM language model, Adam 1e-3", _s(), lstm_lm),
    ZooCase("nanogpt_adamw0.3", "nanoGPT-style GPT at AdamW 0.3", _s("lr"), nanogpt(0.3)),
    ZooCase("demo_init_1.3x", "the demo's 10-layer ReLU MLP, std 1.3x He, SGD 1e-4", _s("init", "depth"), demo_init,
            True),
    ZooCase("corrupt_record", "MSE regression, one input record at 1e30", _s("data"), corrupt_record),
    ZooCase("inputs_50x", "ReLU MLP, inputs 50x unit scale, SGD 0.05 momentum 0.9", _s("data"), inputs_50x),
]
