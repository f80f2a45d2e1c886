"""Healthy builders: standard architectures at the settings their paper or library uses (tiny sizes for CPU)."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import models as M
from ._setup import (
    Setup,
    hf_lm_batches,
    image_batches,
    lm_batches,
    lm_loss,
    mlm_batches,
    model_loss,
    regression_batches,
    sequence_batches,
    vector_batches,
    with_loss_fn,
)

VOCAB = 64


def warmup_cosine(optimizer: torch.optim.Optimizer, warmup: int, total: int = 300,
                  floor: float = 0.1) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over ``warmup`` steps, then cosine decay to ``floor`` x the peak at ``total`` steps."""
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        t = min(1.0, (step - warmup) / max(1, total - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def hf_setup(model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, batches: Any) -> Setup:
    """An HF model computing its own loss from a dict batch."""
    return Setup(model, optimizer, scheduler, batches(0), None, model_loss, batches)


def xy_setup(model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, batches: Any, loss_fn: Any,
             clip: float | None = None, needs_closure: bool = False) -> Setup:
    """A model with ``loss_fn(model(inputs), targets)``."""
    return Setup(model, optimizer, scheduler, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip,
                 needs_closure)


def _adamw(model: nn.Module, lr: float, wd: float, betas: tuple[float, float] = (0.9, 0.999),
           groups: bool = True) -> torch.optim.AdamW:
    params: Any = M.gpt_param_groups(model, wd) if groups else model.parameters()
    return torch.optim.AdamW(params, lr=lr, betas=betas, weight_decay=wd)


# ---- transformers (HF configs) ---------------------------------------------------------------------------------------

def gpt2(seed: int, layers: int = 2, lr: float = 6e-4) -> Setup:
    """GPT-2 (``GPT2LMHeadModel``), AdamW betas (0.9, 0.95), wd 0.1, warm-up + cosine (nanoGPT / GPT-3 settings)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=VOCAB, n_positions=64, n_embd=64, n_layer=layers, n_head=4, bos_token_id=0,
                     eos_token_id=0)
    model = GPT2LMHeadModel(cfg)
    opt = _adamw(model, lr, 0.1, (0.9, 0.95))
    return hf_setup(model, opt, warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def bert_mlm(seed: int) -> Setup:
    """BERT masked LM (``BertForMaskedLM``), AdamW 6e-4 betas (0.9, 0.98) wd 0.01 with warm-up (RoBERTa's peak LR;
    BERT-base's 1e-4 is for 1M steps and barely moves a tiny model in 200)."""
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=128, max_position_embeddings=64, pad_token_id=0)
    model = BertForMaskedLM(cfg)
    opt = _adamw(model, 6e-4, 0.01, (0.9, 0.98))
    return hf_setup(model, opt, warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))


def llama(seed: int) -> Setup:
    """Llama (``LlamaForCausalLM``: RMSNorm, SiLU gated MLP, rotary), AdamW 3e-4 betas (0.9, 0.95) wd 0.1."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=VOCAB, hidden_size=64, intermediate_size=172, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64, bos_token_id=0,
                      eos_token_id=0, pad_token_id=0)
    model = LlamaForCausalLM(cfg)
    opt = _adamw(model, 3e-4, 0.1, (0.9, 0.95))
    return hf_setup(model, opt, warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def vit(seed: int, zero_head: bool = False) -> Setup:
    """ViT (``ViTForImageClassification``), AdamW 1e-3 wd 0.05 with warm-up (DeiT recipe); ``zero_head`` zeroes the
    classifier as torchvision and timm do."""
    from transformers import ViTConfig, ViTForImageClassification

    torch.manual_seed(seed)
    cfg = ViTConfig(image_size=32, patch_size=8, num_channels=3, hidden_size=64, num_hidden_layers=2,
                    num_attention_heads=4, intermediate_size=128)
    cfg.num_labels = 10
    model = ViTForImageClassification(cfg)
    if zero_head:
        head = model.classifier
        assert isinstance(head, nn.Linear)
        nn.init.zeros_(head.weight)
        nn.init.zeros_(head.bias)
    opt = _adamw(model, 1e-3, 0.05)
    return hf_setup(model, opt, warmup_cosine(opt, 20), image_batches(seed, as_dict=True))


def resnet(seed: int, adam: bool = False) -> Setup:
    """ResNet (``ResNetForImageClassification``, basic blocks, BatchNorm): SGD 0.1 momentum 0.9 wd 1e-4 (He et al.
    2016) or Adam 1e-3."""
    from transformers import ResNetConfig, ResNetForImageClassification

    torch.manual_seed(seed)
    cfg = ResNetConfig(num_channels=3, embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1], layer_type="basic")
    cfg.num_labels = 10
    model = ResNetForImageClassification(cfg)
    opt: torch.optim.Optimizer
    if adam:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    return hf_setup(model, opt, None, image_batches(seed, as_dict=True))


def convnext(seed: int) -> Setup:
    """ConvNeXt (``ConvNextForImageClassification``, layer scale 1e-6), AdamW 1e-3 wd 0.05 with warm-up."""
    from transformers import ConvNextConfig, ConvNextForImageClassification

    torch.manual_seed(seed)
    cfg = ConvNextConfig(num_channels=3, num_stages=2, hidden_sizes=[16, 32], depths=[1, 1], image_size=32)
    cfg.num_labels = 10
    model = ConvNextForImageClassification(cfg)
    opt = _adamw(model, 1e-3, 0.05)
    return hf_setup(model, opt, warmup_cosine(opt, 20), image_batches(seed, as_dict=True))


# ---- hand-written transformers ---------------------------------------------------------------------------------------

def nanogpt(seed: int, zero_residual: bool = False, bias: bool = False) -> Setup:
    """A nanoGPT-style GPT (own LayerNorm, tied head), AdamW 1e-3 betas (0.9, 0.99) wd 0.1 on matrices only, warm-up
    10 steps (nanoGPT's shakespeare-char settings)."""
    torch.manual_seed(seed)
    model = M.MiniGPT(VOCAB, 64, 64, 4, 4, bias=bias, zero_residual=zero_residual)
    opt = _adamw(model, 1e-3, 0.1, (0.9, 0.99))
    return xy_setup(model, opt, warmup_cosine(opt, 10), lm_batches(seed, VOCAB), lm_loss)


def transformer_lm(seed: int, norm_first: bool = True) -> Setup:
    """``nn.TransformerEncoder`` LM: pre-LN at Adam 5e-4, post-LN at Adam 1e-4 (Vaswani et al. ~ 1e-4 after warm-up),
    both with warm-up."""
    torch.manual_seed(seed)
    model = M.TransformerLM(VOCAB, 64, 64, 2, 4, norm_first=norm_first)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4 if norm_first else 2e-4, betas=(0.9, 0.98), eps=1e-9)
    return xy_setup(model, opt, warmup_cosine(opt, 20), lm_batches(seed, VOCAB), lm_loss)


# ---- recurrent -------------------------------------------------------------------------------------------------------

def rnn_lm(seed: int, kind: str = "LSTM", adam: bool = False) -> Setup:
    """word_language_model: batch 20, SGD lr 20 with clip_grad_norm_ 0.25, dropout 0.2; or Adam 1e-3 without
    clipping."""
    torch.manual_seed(seed)
    model = M.RNNLM(kind, VOCAB)
    opt: torch.optim.Optimizer
    if adam:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=20.0)
    return xy_setup(model, opt, None, lm_batches(seed, VOCAB, batch=20), lm_loss, clip=None if adam else 0.25,
                    needs_closure=True)


def rnn_classifier(seed: int, kind: str = "LSTM") -> Setup:
    """LSTM/GRU/RNN sequence classifier on the last state, Adam 1e-3."""
    torch.manual_seed(seed)
    model = M.RNNClassifier(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3 if kind != "RNN" else 3e-3)
    return xy_setup(model, opt, None, sequence_batches(seed, length=20 if kind != "RNN" else 10), F.cross_entropy)


# ---- vision, hand-written --------------------------------------------------------------------------------------------

def unet(seed: int) -> Setup:
    """A small U-Net denoiser, Adam 1e-3, MSE."""
    from ._setup import denoise_batches

    torch.manual_seed(seed)
    model = M.UNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return xy_setup(model, opt, None, denoise_batches(seed), F.mse_loss)


def mlp_mixer(seed: int) -> Setup:
    """MLP-Mixer, AdamW 1e-3 wd 0.05 with linear warm-up (Tolstikhin et al. 2021 pre-training: Adam 1e-3, warm-up)."""
    torch.manual_seed(seed)
    model = M.MLPMixer()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    return xy_setup(model, opt, warmup_cosine(opt, 20), image_batches(seed), F.cross_entropy)


def convnext_blocks(seed: int) -> Setup:
    """Hand-written ConvNeXt-style blocks, AdamW 2e-3 wd 0.05 with warm-up."""
    torch.manual_seed(seed)
    model = M.ConvNeXtNet()
    opt = _adamw(model, 2e-3, 0.05)
    return xy_setup(model, opt, warmup_cosine(opt, 20), image_batches(seed), F.cross_entropy)


def lenet(seed: int) -> Setup:
    """LeNet-5 (ReLU), SGD 0.01 momentum 0.9 on 1x28x28 images."""
    torch.manual_seed(seed)
    model = M.LeNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return xy_setup(model, opt, None, image_batches(seed, channels=1, size=28), F.cross_entropy)


# ---- MLPs ------------------------------------------------------------------------------------------------------------

def deep_mlp_bn(seed: int) -> Setup:
    """10 hidden layers, He-normal init, BatchNorm + ReLU, SGD 0.1 momentum 0.9 wd 5e-4."""
    torch.manual_seed(seed)
    model = M.mlp([32] + [64] * 10 + [10], nn.ReLU, norm=True)
    M.init_linears(model, lambda m: math.sqrt(2.0 / m.in_features))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    return xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def selu_net(seed: int) -> Setup:
    """Self-normalising net (Klambauer et al. 2017): 16 SELU layers, LeCun-normal init, SGD 0.05."""
    torch.manual_seed(seed)
    model = M.mlp([32] + [64] * 16 + [10], nn.SELU)
    M.init_linears(model, lambda m: math.sqrt(1.0 / m.in_features))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    return xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def tanh_mlp(seed: int) -> Setup:
    """4-layer tanh MLP with Xavier init (Glorot & Bengio 2010), SGD 0.1, regression."""
    torch.manual_seed(seed)
    model = M.mlp([16, 64, 64, 64, 1], nn.Tanh)
    M.init_linears(model, lambda m: math.sqrt(2.0 / (m.in_features + m.out_features)))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return xy_setup(model, opt, None, regression_batches(seed), F.mse_loss)


def relu_mlp_adam(seed: int) -> Setup:
    """A 3-hidden-layer ReLU MLP at PyTorch's default init, Adam 1e-3: the most common first model."""
    torch.manual_seed(seed)
    model = M.mlp([32, 128, 128, 128, 10], nn.ReLU)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def gelu_mlp_adamw(seed: int) -> Setup:
    """A 6-layer GELU MLP with LayerNorm and residuals (a transformer MLP stack), AdamW 1e-3, regression."""
    torch.manual_seed(seed)

    class ResMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Linear(16, 64)
            self.blocks = nn.ModuleList([nn.Sequential(nn.LayerNorm(64), nn.Linear(64, 256), nn.GELU(),
                                                       nn.Linear(256, 64)) for _ in range(6)])
            self.out = nn.Linear(64, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.inp(x)
            for b in self.blocks:
                h = h + b(h)
            return self.out(h)

    model = ResMLP()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    return xy_setup(model, opt, None, regression_batches(seed), F.mse_loss)


# ---- added after the first split (appended; see the package docstring) -----------------------------------------------

def vgg_bn(seed: int) -> Setup:
    """A VGG-style stack of 8 3x3 convolutions with BatchNorm, SGD 0.1 momentum 0.9 wd 5e-4 (Simonyan & Zisserman
    with BN; the control of the broken ``vgg_no_bn``)."""
    from .broken import vgg_no_bn

    return vgg_no_bn(seed, batchnorm=True)


def t5(seed: int) -> Setup:
    """T5 (``T5ForConditionalGeneration``: RMS-style T5LayerNorm, relative attention, no biases) on a sequence
    reversal task, AdamW 1e-3 constant (the usual T5 fine-tuning LR)."""
    from transformers import T5Config, T5ForConditionalGeneration

    from ._setup import POOL, markov_tokens

    torch.manual_seed(seed)
    cfg = T5Config(vocab_size=VOCAB, d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4, pad_token_id=0,
                   eos_token_id=1)
    cfg.decoder_start_token_id = 0
    model = T5ForConditionalGeneration(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        x = markov_tokens(g, 8, 16, VOCAB - 2) + 2
        pool.append({"input_ids": x, "labels": x.flip(1)})
    return hf_setup(model, opt, None, lambda step: pool[step % POOL])


def roberta_mlm(seed: int) -> Setup:
    """RoBERTa masked LM (``RobertaForMaskedLM``), AdamW 6e-4 betas (0.9, 0.98) wd 0.01 with warm-up (Liu et al.
    2019)."""
    from transformers import RobertaConfig, RobertaForMaskedLM

    torch.manual_seed(seed)
    cfg = RobertaConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=128, max_position_embeddings=80, pad_token_id=0, bos_token_id=0,
                        eos_token_id=0)
    model = RobertaForMaskedLM(cfg)
    opt = _adamw(model, 6e-4, 0.01, (0.9, 0.98))
    return hf_setup(model, opt, warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))
