"""Broken builders, architecture side: init, activation, depth, recurrence, normalisation (one real fault each)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from . import healthy as H
from . import models as M
from ._setup import (
    Setup,
    image_batches,
    sequence_batches,
    vector_batches,
)

_he, _xavier = M.he_std, M.xavier_std


# ---- init ------------------------------------------------------------------------------------------------------------

def relu_mlp_init3x(seed: int) -> Setup:
    """8 ReLU layers initialised at 3x the He std, SGD 0.01 momentum 0.9: the forward grows 3x per layer."""
    torch.manual_seed(seed)
    model = M.mlp([32] + [64] * 8 + [10], nn.ReLU)
    M.init_linears(model, lambda m: 3.0 * _he(m))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def vit_init_large(seed: int) -> Setup:
    """ViT with ``initializer_range=1.0`` (50x its 0.02): saturated attention, logits in the hundreds."""
    from transformers import ViTConfig, ViTForImageClassification

    torch.manual_seed(seed)
    cfg = ViTConfig(image_size=32, patch_size=8, num_channels=3, hidden_size=64, num_hidden_layers=2,
                    num_attention_heads=4, intermediate_size=128, initializer_range=1.0)
    cfg.num_labels = 10
    model = ViTForImageClassification(cfg)
    opt = H._adamw(model, 1e-3, 0.05)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, as_dict=True))


def gpt2_init_large(seed: int) -> Setup:
    """GPT-2 with ``initializer_range=1.0`` (50x its 0.02) at its usual AdamW 6e-4 with warm-up."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from ._setup import hf_lm_batches

    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=H.VOCAB, n_positions=64, n_embd=64, n_layer=2, n_head=4, bos_token_id=0,
                     eos_token_id=0, initializer_range=1.0)
    model = GPT2LMHeadModel(cfg)
    opt = H._adamw(model, 6e-4, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, H.VOCAB))


def tanh_mlp_init_small(seed: int) -> Setup:
    """10 tanh layers at 0.3x the Xavier std, SGD 0.1: the signal shrinks 0.3x per layer and nothing learns."""
    torch.manual_seed(seed)
    model = M.mlp([32] + [64] * 10 + [10], nn.Tanh)
    M.init_linears(model, lambda m: 0.3 * _xavier(m))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


# ---- activation ------------------------------------------------------------------------------------------------------

def deep_sigmoid_mlp(seed: int) -> Setup:
    """10 sigmoid layers at PyTorch's default init, SGD 0.1: sigmoid' <= 1/4 per layer, the first layers never learn."""
    torch.manual_seed(seed)
    model = M.mlp([32] + [64] * 10 + [10], nn.Sigmoid)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def dead_relu_bias(seed: int) -> Setup:
    """A 6-layer ReLU MLP with every bias at -2.5 (He weights): the units are dead from step 0, Adam 1e-3."""
    torch.manual_seed(seed)
    model = M.mlp([32] + [64] * 6 + [10], nn.ReLU)
    M.init_linears(model, _he, bias=-2.5)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


# ---- depth -----------------------------------------------------------------------------------------------------------

def deep_tanh_plain(seed: int) -> Setup:
    """40 tanh layers, PyTorch's default init, no normalisation and no residuals, SGD 0.1: the gradient vanishes
    across the stack."""
    torch.manual_seed(seed)
    model = M.mlp([32] + [64] * 40 + [10], nn.Tanh)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


class _PlainResNet(nn.Module):
    """Residual ReLU blocks without normalisation and with He-initialised branches: the variance doubles per block."""

    def __init__(self, blocks: int = 24, width: int = 64) -> None:
        super().__init__()
        self.inp = nn.Linear(32, width)
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))
                                     for _ in range(blocks)])
        self.out = nn.Linear(width, 10)
        M.init_linears(self, _he)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for b in self.blocks:
            h = h + b(h)
        return self.out(h)


def residual_no_norm(seed: int) -> Setup:
    """24 residual blocks, no normalisation, He-initialised branches (no 1/sqrt(L) or zero-init), SGD 0.01
    momentum 0.9: the forward grows 2^(L/2)."""
    torch.manual_seed(seed)
    model = _PlainResNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


# ---- recurrence ------------------------------------------------------------------------------------------------------

def rnn_radius(seed: int, radius: float = 1.5, length: int = 30) -> Setup:
    """A tanh RNN classifier whose recurrent matrix is orthogonal times ``radius`` (its spectral radius), on
    ``length``-step sequences labelled by their first token's class, Adam 3e-3. At radius 1 it learns the task; at
    1.5 the state is chaotic and its gradient explodes, at 0.3 the first token's trace vanishes (0.3^30 = 2e-16)."""
    torch.manual_seed(seed)
    model = M.RNNClassifier("RNN")
    M.set_recurrent_radius(model.rnn, radius, seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return H.xy_setup(model, opt, None, sequence_batches(seed, length=length, first_token=True), F.cross_entropy)


def relu_rnn_radius(seed: int, radius: float = 2.0, length: int = 50) -> Setup:
    """A ReLU RNN classifier (``nonlinearity="relu"``) whose recurrent matrix has spectral radius ``radius``, on
    ``length``-step sequences, Adam 1e-3: the state grows about (radius/sqrt 2)^t."""
    torch.manual_seed(seed)
    model = M.RNNClassifier("RNN")
    model.rnn = nn.RNN(32, 64, 1, nonlinearity="relu", batch_first=True)
    M.set_recurrent_radius(model.rnn, radius, seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, sequence_batches(seed, length=length), F.cross_entropy)


# ---- normalization ---------------------------------------------------------------------------------------------------

def resnet_no_bn(seed: int) -> Setup:
    """The ResNet of ``resnet_sgd`` (two basic blocks per stage here) with every BatchNorm removed, at the SGD 0.1
    momentum 0.9 that BatchNorm makes safe."""
    from transformers import ResNetConfig, ResNetForImageClassification

    torch.manual_seed(seed)
    cfg = ResNetConfig(num_channels=3, embedding_size=16, hidden_sizes=[16, 32], depths=[2, 2], layer_type="basic")
    cfg.num_labels = 10
    model = ResNetForImageClassification(cfg)
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.BatchNorm2d):
                setattr(module, child_name, nn.Identity())
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    return H.hf_setup(model, opt, None, image_batches(seed, as_dict=True))


def vgg_no_bn(seed: int, batchnorm: bool = False) -> Setup:
    """A VGG-style stack of 8 3x3 convolutions (He fan-out init) without BatchNorm, at VGG-with-BN's SGD 0.1 momentum
    0.9 wd 5e-4 (``batchnorm=True`` is the control that trains)."""
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    c = 3
    for i, w in enumerate([16] * 4 + [32] * 4):
        layers += [nn.Conv2d(c, w, 3, padding=1)] + ([nn.BatchNorm2d(w)] if batchnorm else []) + [nn.ReLU()]
        if i == 3:
            layers.append(nn.MaxPool2d(2))
        c = w
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10))
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and m.bias is not None:
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    return H.xy_setup(model, opt, None, image_batches(seed, size=16), F.cross_entropy)




# ---- added after the first split (appended; see the package docstring) -----------------------------------------------

def lenet_init_large(seed: int) -> Setup:
    """LeNet-5 with every weight ~ N(0, 1) (instead of PyTorch's ~1/sqrt(3 fan_in)), at its SGD 0.01 momentum 0.9."""
    torch.manual_seed(seed)
    model = M.LeNet()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.normal_(0.0, 1.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return H.xy_setup(model, opt, None, image_batches(seed, channels=1, size=28), F.cross_entropy)


def deep_relu_plain(seed: int, depth: int = 60, width: int = 32) -> Setup:
    """60 ReLU layers of width 32 at the He init, no normalisation and no residuals, SGD 0.01 momentum 0.9: He keeps
    the mean signal scale but the per-layer fluctuations compound over 60 layers and nothing learns."""
    torch.manual_seed(seed)
    model = M.mlp([32] + [width] * depth + [10], nn.ReLU)
    M.init_linears(model, _he)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


# ---- added in the second round (appended; dev and held-out by the alternation rule) ---------------------------------

def bert_init_large(seed: int) -> Setup:
    """BERT masked LM with ``initializer_range=1.0`` (50x its 0.02) at its AdamW 6e-4 with warm-up."""
    from transformers import BertConfig, BertForMaskedLM

    from ._setup import mlm_batches

    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=H.VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=128, max_position_embeddings=64, pad_token_id=0, initializer_range=1.0)
    model = BertForMaskedLM(cfg)
    opt = H._adamw(model, 6e-4, 0.01, (0.9, 0.98))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, H.VOCAB))


def nanogpt_init_large(seed: int, std: float = 1.0) -> Setup:
    """The nanoGPT-style GPT with every matrix ~ N(0, ``std``) (50x its 0.02) at its AdamW 1e-3 with warm-up."""
    torch.manual_seed(seed)
    model = M.MiniGPT(H.VOCAB, 64, 64, 4, 4, init_std=std)
    opt = H._adamw(model, 1e-3, 0.1, (0.9, 0.99))
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 10), H.lm_batches(seed, H.VOCAB), H.lm_loss)


class PlainConvStack(nn.Module):
    """``depth`` 3x3 convolutions of ``width`` channels with ReLU, He-normal (fan-in) init, no normalisation and no
    residuals, global pool, linear head."""

    def __init__(self, depth: int = 40, width: int = 16, classes: int = 10) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for _ in range(depth):
            conv = nn.Conv2d(c, width, 3, padding=1)
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            nn.init.zeros_(conv.bias)
            layers += [conv, nn.ReLU()]
            c = width
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def deep_relu_conv_plain(seed: int, depth: int = 40) -> Setup:
    """40 ReLU convolutions at the He init, no BatchNorm and no residuals, SGD 0.01 momentum 0.9: the per-layer
    fluctuations compound over the depth."""
    torch.manual_seed(seed)
    model = PlainConvStack(depth)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return H.xy_setup(model, opt, None, image_batches(seed, size=8), F.cross_entropy)
