"""Builders of the fresh held-out batch (``fresh.py``): standard models not yet in the corpus at their usual settings,
and broken variants with one real fault each. Written before any rule change of the second round and never tuned on.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh_models as FM
from . import healthy as H
from . import models as M
from ._setup import Setup, hf_lm_batches, image_batches, mlm_batches, sequence_batches, vector_batches

VOCAB = H.VOCAB


# ---- transformers (HF configs) ---------------------------------------------------------------------------------------

def distilbert_mlm(seed: int, lr: float = 5e-4, init: float = 0.02, warmup: bool = True) -> Setup:
    """DistilBERT masked LM (``DistilBertForMaskedLM``), AdamW 5e-4 betas (0.9, 0.98) wd 0.01 with warm-up."""
    from transformers import DistilBertConfig, DistilBertForMaskedLM

    torch.manual_seed(seed)
    cfg = DistilBertConfig(vocab_size=VOCAB, max_position_embeddings=64, n_layers=2, n_heads=4, dim=64,
                           hidden_dim=128, pad_token_id=0, initializer_range=init)
    model = DistilBertForMaskedLM(cfg)
    opt = H._adamw(model, lr, 0.01, (0.9, 0.98))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20) if warmup else None, mlm_batches(seed, VOCAB))


def albert_mlm(seed: int) -> Setup:
    """ALBERT masked LM (``AlbertForMaskedLM``: factorised embedding, shared layers), AdamW 5e-4 wd 0.01 with
    warm-up."""
    from transformers import AlbertConfig, AlbertForMaskedLM

    torch.manual_seed(seed)
    cfg = AlbertConfig(vocab_size=VOCAB, embedding_size=32, hidden_size=64, num_hidden_layers=3,
                       num_attention_heads=4, intermediate_size=128, max_position_embeddings=64, pad_token_id=0,
                       bos_token_id=0, eos_token_id=0, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = AlbertForMaskedLM(cfg)
    opt = H._adamw(model, 5e-4, 0.01)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))


def opt_lm(seed: int, init_std: float = 0.02) -> Setup:
    """OPT (``OPTForCausalLM``, pre-LN, ReLU MLP), AdamW 6e-4 betas (0.9, 0.95) wd 0.1, warm-up (Zhang et al.
    2022)."""
    from transformers import OPTConfig, OPTForCausalLM

    torch.manual_seed(seed)
    cfg = OPTConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, ffn_dim=128, max_position_embeddings=64,
                    word_embed_proj_dim=64, num_attention_heads=4, init_std=init_std, pad_token_id=1,
                    bos_token_id=0, eos_token_id=0)
    model = OPTForCausalLM(cfg)
    opt = H._adamw(model, 6e-4, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def gpt_neo_lm(seed: int) -> Setup:
    """GPT-Neo (``GPTNeoForCausalLM``, alternating global/local attention), AdamW 6e-4 betas (0.9, 0.95) wd 0.1,
    warm-up."""
    from transformers import GPTNeoConfig, GPTNeoForCausalLM

    torch.manual_seed(seed)
    cfg = GPTNeoConfig(vocab_size=VOCAB, max_position_embeddings=64, hidden_size=64, num_layers=2,
                       attention_types=[[["global", "local"], 1]], num_heads=4, intermediate_size=128, window_size=16,
                       bos_token_id=0, eos_token_id=0)
    model = GPTNeoForCausalLM(cfg)
    opt = H._adamw(model, 6e-4, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def mistral_lm(seed: int, lr: float = 3e-4, warmup: bool = True) -> Setup:
    """Mistral (``MistralForCausalLM``: RMSNorm, SwiGLU, grouped-query attention, sliding window), AdamW 3e-4 betas
    (0.9, 0.95) wd 0.1 with warm-up."""
    from transformers import MistralConfig, MistralForCausalLM

    torch.manual_seed(seed)
    cfg = MistralConfig(vocab_size=VOCAB, hidden_size=64, intermediate_size=160, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, sliding_window=16,
                        bos_token_id=0, eos_token_id=0, pad_token_id=0)
    model = MistralForCausalLM(cfg)
    opt = H._adamw(model, lr, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20) if warmup else None, hf_lm_batches(seed, VOCAB))


# ---- convnets --------------------------------------------------------------------------------------------------------

def densenet(seed: int, bn: bool = True, lr: float = 0.1, scale: float = 1.0) -> Setup:
    """DenseNet-BC-style, SGD 0.1 Nesterov momentum 0.9 wd 1e-4 (Huang et al. 2017)."""
    torch.manual_seed(seed)
    model = FM.DenseNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=1e-4)
    return H.xy_setup(model, opt, None, image_batches(seed, size=16, scale=scale), F.cross_entropy)


def mobilenet_v2(seed: int, bn: bool = True, lr: float = 0.05) -> Setup:
    """MobileNetV2-style, SGD 0.05 momentum 0.9 wd 4e-5 (torchvision's reference recipe at small batch)."""
    torch.manual_seed(seed)
    model = FM.MobileNetV2(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=4e-5)
    return H.xy_setup(model, opt, None, image_batches(seed, size=16), F.cross_entropy)


def sigmoid_cnn(seed: int) -> Setup:
    """Six 3x3 convolutions with sigmoid between them (Xavier-normal init, gain 1; no normalisation), Adam 1e-3:
    sigmoid's derivative <= 1/4 per layer. (The same net with ReLU and He init learns at this setting.)"""
    torch.manual_seed(seed)
    model = FM.PlainCNN(6, nn.Sigmoid)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_normal_(m.weight)
            assert m.bias is not None
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, image_batches(seed, size=16), F.cross_entropy)


def dead_relu_cnn(seed: int) -> Setup:
    """A 4-conv ReLU net (He init) whose conv biases are all -3: every unit is off from the first step, Adam 1e-3.
    (With zero biases it learns.)"""
    torch.manual_seed(seed)
    model = FM.PlainCNN(4, nn.ReLU)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
                assert m.bias is not None
                m.bias.fill_(-3.0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, image_batches(seed, size=16), F.cross_entropy)


def deep_tanh_cnn(seed: int, depth: int = 24) -> Setup:
    """24 tanh 3x3 convolutions at PyTorch's default init (std 1/sqrt(3 fan_in)), no normalisation, no residuals,
    SGD 0.05 momentum 0.9. (With 4 layers it learns.)"""
    torch.manual_seed(seed)
    model = FM.PlainCNN(depth, nn.Tanh, width=16)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return H.xy_setup(model, opt, None, image_batches(seed, size=8), F.cross_entropy)


def cnn_inf_pixel(seed: int) -> Setup:
    """A 3-conv ReLU net, Adam 1e-3, on image batches where one sample holds an +Inf pixel (a corrupt record)."""
    torch.manual_seed(seed)
    model = FM.PlainCNN(3, nn.ReLU)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    base = image_batches(seed, size=16)

    def batches(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = base(step)
        x = x.clone()
        x[5, 1, 3, 7] = float("inf")
        return x, y
    return H.xy_setup(model, opt, None, batches, F.cross_entropy)


# ---- sequence --------------------------------------------------------------------------------------------------------

def tcn(seed: int, init_std: float = 0.01, conv_bias: float = 0.0, lr: float = 2e-3) -> Setup:
    """A TCN (Bai et al. 2018) sequence classifier, Adam 2e-3, on sequences labelled by their majority class."""
    torch.manual_seed(seed)
    model = FM.TCN(init_std=init_std, conv_bias=conv_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return H.xy_setup(model, opt, None, sequence_batches(seed, length=24), F.cross_entropy)


def relu_rnn_memory(seed: int, radius: float = 0.5, length: int = 25) -> Setup:
    """A ReLU RNN (``nonlinearity="relu"``) with recurrent matrix orthogonal times ``radius`` on sequences labelled
    by their first token, Adam 3e-3: the first token's trace shrinks ``radius`` per step. (At radius 1, IRNN-like,
    it learns.)"""
    torch.manual_seed(seed)
    model = M.RNNClassifier("RNN")
    model.rnn = nn.RNN(32, 64, 1, nonlinearity="relu", batch_first=True)
    M.set_recurrent_radius(model.rnn, radius, seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return H.xy_setup(model, opt, None, sequence_batches(seed, length=length, first_token=True), F.cross_entropy)


# ---- MLPs, graphs, generative ----------------------------------------------------------------------------------------

def noisy_regression(seed: int, lr: float = 0.01, input_scale: float = 1.0) -> Setup:
    """A 3-layer ReLU MLP regression on small batches (32) of noisy targets, SGD 0.01 momentum 0.9."""
    torch.manual_seed(seed)
    model = M.mlp([16, 64, 64, 1], nn.ReLU)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return H.xy_setup(model, opt, None, FM.noisy_regression_batches(seed, input_scale=input_scale), F.mse_loss)


def vae(seed: int, scale: float = 1.0) -> Setup:
    """A Gaussian VAE on 32-d data with a 4-d latent structure (times ``scale``), Adam 1e-3."""
    torch.manual_seed(seed)
    model = FM.VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, FM.manifold_batches(seed, scale=scale), FM.vae_loss)


def gcn(seed: int, weight_decay: float = 5e-4, lr: float = 0.01) -> Setup:
    """A two-layer GCN on a planted-partition graph (the whole graph each step), Adam 0.01 wd 5e-4 (Kipf & Welling
    2017)."""
    adj, x, y = FM.community_graph(seed)
    torch.manual_seed(seed)
    model = FM.GCN(adj)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return H.xy_setup(model, opt, None, lambda step: (x, y), F.cross_entropy)


def deep_gelu_plain(seed: int, depth: int = 50) -> Setup:
    """50 GELU layers of width 64 at the He init, no normalisation, no residuals, SGD 0.05 momentum 0.9. (With 6
    layers it learns at this setting.)"""
    torch.manual_seed(seed)
    model = M.mlp([32] + [64] * depth + [10], nn.GELU)
    M.init_linears(model, M.he_std)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def elu_mlp_init_large(seed: int, gain: float = 3.0) -> Setup:
    """8 ELU layers of width 96 initialised at ``gain`` x the He std, SGD 0.01 momentum 0.9."""
    torch.manual_seed(seed)
    model = M.mlp([32] + [96] * 8 + [10], nn.ELU)
    M.init_linears(model, lambda m: gain * math.sqrt(2.0 / m.in_features))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def cnn_sgd_wd_collapse(seed: int) -> Setup:
    """A 3-conv ReLU net at SGD 0.05 momentum 0.9 with weight_decay 5.0 (meant 5e-4): the weights decay to zero.
    (With 5e-4 it learns.)"""
    torch.manual_seed(seed)
    model = FM.PlainCNN(3, nn.ReLU)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5.0)
    return H.xy_setup(model, opt, None, image_batches(seed, size=16), F.cross_entropy)


class _SharpSoftmax(nn.Module):
    """An MLP returning ``softmax(logits / 0.01)`` (a sharp temperature), its loss ``nll(log(p))``: p underflows to
    0 and log(0) is -inf."""

    def __init__(self) -> None:
        super().__init__()
        self.body = M.mlp([32, 64, 10], nn.ReLU)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.body(x) / 0.01, dim=1)


def _nll_of_probs(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.nll_loss(torch.log(p), y)


def sharp_softmax_log(seed: int) -> Setup:
    """Probabilities from a temperature-0.01 softmax, then ``log`` (instead of ``log_softmax``), Adam 1e-3."""
    torch.manual_seed(seed)
    model = _SharpSoftmax()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, vector_batches(seed), _nll_of_probs)

