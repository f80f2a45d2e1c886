"""Broken builders, training side: learning rate, regularisation, data and numerics (one real fault each)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from . import healthy as H
from . import models as M
from ._setup import (
    Setup,
    image_batches,
    regression_batches,
    vector_batches,
)

_he, _xavier = M.he_std, M.xavier_std


# ---- lr --------------------------------------------------------------------------------------------------------------

def gpt2_lr(seed: int) -> Setup:
    """GPT-2 at AdamW lr 0.3 (500x its 6e-4), no warm-up."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from ._setup import hf_lm_batches

    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=H.VOCAB, n_positions=64, n_embd=64, n_layer=2, n_head=4, bos_token_id=0,
                     eos_token_id=0)
    model = GPT2LMHeadModel(cfg)
    opt = H._adamw(model, 0.3, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, None, hf_lm_batches(seed, H.VOCAB))


def postln_lr(seed: int) -> Setup:
    """Post-LN ``nn.TransformerEncoder`` LM at Adam lr 0.3, no warm-up."""
    torch.manual_seed(seed)
    model = M.TransformerLM(H.VOCAB, 64, 64, 2, 4, norm_first=False)
    opt = torch.optim.Adam(model.parameters(), lr=0.3)
    return H.xy_setup(model, opt, None, H.lm_batches(seed, H.VOCAB), H.lm_loss)


def mlp_sgd_lr(seed: int) -> Setup:
    """The common ReLU MLP at SGD lr 10: the first steps kill the units and the loss sits at chance."""
    torch.manual_seed(seed)
    model = M.mlp([32, 128, 128, 128, 10], nn.ReLU)
    opt = torch.optim.SGD(model.parameters(), lr=10.0)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def lenet_lr(seed: int) -> Setup:
    """LeNet-5 at SGD lr 1.0 momentum 0.9 (100x its 0.01)."""
    torch.manual_seed(seed)
    model = M.LeNet()
    opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    return H.xy_setup(model, opt, None, image_batches(seed, channels=1, size=28), F.cross_entropy)


# ---- regularization --------------------------------------------------------------------------------------------------

def no_weight_decay_growth(seed: int) -> Setup:
    """A linear classifier on linearly separable data at Adam 0.1 without weight decay: the loss goes towards 0 by
    growing the weights without bound."""
    torch.manual_seed(seed)
    model = nn.Linear(32, 10)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def weight_decay_collapse(seed: int) -> Setup:
    """The common ReLU MLP at SGD lr 0.1 with weight_decay 2.0: every step shrinks the weights by 20%, they collapse
    and the loss stays at chance."""
    torch.manual_seed(seed)
    model = M.mlp([32, 128, 128, 128, 10], nn.ReLU)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=2.0)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


# ---- data ------------------------------------------------------------------------------------------------------------

def mlp_input_scaled(seed: int, scale: float = 1e3) -> Setup:
    """The common ReLU MLP on inputs ``scale`` times unit scale, SGD 0.01 momentum 0.9."""
    torch.manual_seed(seed)
    model = M.mlp([32, 128, 128, 128, 10], nn.ReLU)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return H.xy_setup(model, opt, None, vector_batches(seed, scale=scale), F.cross_entropy)


def lenet_input_scaled(seed: int) -> Setup:
    """LeNet-5 at its SGD 0.01 momentum 0.9 on images 50x unit scale (raw 0..255-like pixels, not normalised)."""
    torch.manual_seed(seed)
    model = M.LeNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return H.xy_setup(model, opt, None, image_batches(seed, channels=1, size=28, scale=50.0), F.cross_entropy)


def nan_input(seed: int) -> Setup:
    """The common ReLU MLP, Adam 1e-3, on batches holding a corrupt record (a NaN feature)."""
    torch.manual_seed(seed)
    model = M.mlp([32, 128, 128, 128, 10], nn.ReLU)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, vector_batches(seed, nan_at=3), F.cross_entropy)


def regression_targets_scaled(seed: int) -> Setup:
    """The 4-layer tanh regression MLP (SGD 0.1) on targets 1e3 times unit scale (not standardised)."""
    torch.manual_seed(seed)
    model = M.mlp([16, 64, 64, 64, 1], nn.Tanh)
    M.init_linears(model, _xavier)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return H.xy_setup(model, opt, None, regression_batches(seed, target_scale=1e3), F.mse_loss)


# ---- numeric ---------------------------------------------------------------------------------------------------------

class _LogFeatures(nn.Module):
    """``log(relu(linear(x)))`` features: -inf wherever a unit is off."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(32, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.log(F.relu(self.fc1(x))))


def log_relu(seed: int) -> Setup:
    """A classifier with ``log(relu(.))`` features, Adam 1e-3."""
    torch.manual_seed(seed)
    model = _LogFeatures()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


class _HalfSoftmaxHead(nn.Module):
    """An MLP whose output softmax is computed by hand in float16 without subtracting the max: exp overflows 65504."""

    def __init__(self) -> None:
        super().__init__()
        self.body = M.mlp([32, 128, 128, 10], nn.ReLU)
        M.init_linears(self.body, lambda m: 2.0 * _he(m))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.body(x).half().exp()
        return (z / z.sum(1, keepdim=True)).float()


def _nll_of_probs(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.nll_loss(torch.log(p), y)


def fp16_softmax_overflow(seed: int) -> Setup:
    """A hand-written float16 softmax (no max subtraction) on logits beyond ln(65504) = 11.1, Adam 1e-3."""
    torch.manual_seed(seed)
    model = _HalfSoftmaxHead()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, vector_batches(seed, scale=3.0), _nll_of_probs)


class _StandardiseNoEps(nn.Module):
    """Standardises its input features over the batch without an epsilon: a constant feature gives 0/0."""

    def __init__(self) -> None:
        super().__init__()
        self.body = M.mlp([32, 128, 128, 10], nn.ReLU)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body((x - x.mean(0)) / x.std(0))


def standardise_no_eps(seed: int) -> Setup:
    """Batch standardisation without epsilon on data with a constant (padding) feature, Adam 1e-3."""
    torch.manual_seed(seed)
    model = _StandardiseNoEps()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    base = vector_batches(seed)

    def batches(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = base(step)
        x = x.clone()
        x[:, -1] = 1.0
        return x, y
    return H.xy_setup(model, opt, None, batches, F.cross_entropy)


# ---- added after the first split (appended; see the package docstring) -----------------------------------------------

def gru_lm_sgd_noclip(seed: int) -> Setup:
    """word_language_model's GRU at its SGD lr 20 with the example's clip_grad_norm_(0.25) left out."""
    setup = H.rnn_lm(seed, "GRU")
    setup.clip = None
    return setup


def vit_lr(seed: int) -> Setup:
    """ViT at AdamW lr 0.1 (100x the DeiT-style 1e-3), no warm-up."""
    setup = H.vit(seed)
    for group in setup.optimizer.param_groups:
        group["lr"] = 0.1
    setup.scheduler = None
    return setup


def adamw_weight_decay_collapse(seed: int) -> Setup:
    """The common ReLU MLP at AdamW 1e-3 with weight_decay=100 (meant 1e-2): each step multiplies every weight by
    0.9, the weights collapse and the loss stays at chance."""
    torch.manual_seed(seed)
    model = M.mlp([32, 128, 128, 128, 10], nn.ReLU)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=100.0)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)


def half_adam(seed: int) -> Setup:
    """A ReLU MLP cast to float16 (``model.half()``) trained by Adam 1e-3: eps=1e-8 underflows to 0 in float16 and
    the first update divides by zero."""
    torch.manual_seed(seed)
    model = M.mlp([32, 128, 128, 10], nn.ReLU).half()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    base = vector_batches(seed)

    def batches(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = base(step)
        return x.half(), y
    return H.xy_setup(model, opt, None, batches, _float_cross_entropy)


def _float_cross_entropy(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out.float(), y)


# ---- added in the second round (appended; dev and held-out by the alternation rule) ---------------------------------

class BagOfEmbeddings(nn.Module):
    """Token embeddings (``padding_idx=0``: the pad row gets no gradient, by design) averaged over the sequence, then
    a ReLU MLP head."""

    def __init__(self, vocab: int = 32, dim: int = 32, classes: int = 4) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=0)
        self.head = nn.Sequential(nn.Linear(dim, 64), nn.ReLU(), nn.Linear(64, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.emb(x).mean(1))


def bag_of_embeddings(seed: int, eps: float = 1e-8) -> Setup:
    """A bag-of-embeddings sequence classifier with a padding row, Adam 3e-3 (``eps`` as given)."""
    from ._setup import sequence_batches

    torch.manual_seed(seed)
    model = BagOfEmbeddings()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, eps=eps)
    return H.xy_setup(model, opt, None, sequence_batches(seed, length=20), F.cross_entropy)


def mlp_adam_lr(seed: int, lr: float = 1.0) -> Setup:
    """The common ReLU MLP at Adam lr 1.0 (1000x its 1e-3)."""
    torch.manual_seed(seed)
    model = M.mlp([32, 128, 128, 128, 10], nn.ReLU)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)
