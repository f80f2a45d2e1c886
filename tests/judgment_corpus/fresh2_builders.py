"""Builders of the third held-out batch (``fresh2.py``): standard models new to the corpus at their usual settings,
and broken variants with one real fault each. Written and labelled before any rule change of the third round and
never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh2_models as M2
from . import healthy as H
from . import models as M
from ._setup import (
    POOL,
    Setup,
    hf_lm_batches,
    image_batches,
    lm_batches,
    lm_loss,
    markov_tokens,
    mlm_batches,
    sequence_batches,
    vector_batches,
)

VOCAB = H.VOCAB


# ---- transformers (HF configs) ---------------------------------------------------------------------------------------

def _denoise_pairs(seed: int, length: int = 16, batch: int = 8, rate: float = 0.3) -> Callable[[int], Any]:
    """BART-style denoising: ``input_ids`` a Markov text with ``rate`` of its tokens replaced by a mask id (3),
    ``labels`` the clean text."""
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        x = markov_tokens(g, batch, length, VOCAB - 4) + 4
        masked = torch.rand(x.shape, generator=g) < rate
        pool.append({"input_ids": torch.where(masked, torch.full_like(x, 3), x), "labels": x})
    return lambda step: pool[step % POOL]


def bart(seed: int, lr: float = 5e-4, warmup: bool = True) -> Setup:
    """BART (``BartForConditionalGeneration``: post-LN encoder-decoder) denoising a masked text, AdamW 5e-4 betas
    (0.9, 0.98) wd 0.01 with warm-up (Lewis et al. 2020's pre-training recipe, small-model LR)."""
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(seed)
    cfg = BartConfig(vocab_size=VOCAB, d_model=64, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                     decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128, max_position_embeddings=64,
                     pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, dropout=0.1,
                     forced_eos_token_id=None)
    model = BartForConditionalGeneration(cfg)
    opt = H._adamw(model, lr, 0.01, (0.9, 0.98))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20) if warmup else None, _denoise_pairs(seed))


def electra_mlm(seed: int) -> Setup:
    """ELECTRA-small's generator (``ElectraForMaskedLM``: factorised embedding 32 -> hidden 64), AdamW 5e-4 wd 0.01
    with warm-up (Clark et al. 2020's small-model LR)."""
    from transformers import ElectraConfig, ElectraForMaskedLM

    torch.manual_seed(seed)
    cfg = ElectraConfig(vocab_size=VOCAB, embedding_size=32, hidden_size=64, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=128, max_position_embeddings=64, pad_token_id=0)
    model = ElectraForMaskedLM(cfg)
    opt = H._adamw(model, 5e-4, 0.01)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))


def qwen2_lm(seed: int, init_std: float = 0.02) -> Setup:
    """Qwen2 (``Qwen2ForCausalLM``: RMSNorm, SwiGLU, grouped-query attention with q/k/v biases), AdamW 1e-3 betas
    (0.9, 0.95) wd 0.1 with warm-up."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    cfg = Qwen2Config(vocab_size=VOCAB, hidden_size=64, intermediate_size=160, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                      initializer_range=init_std, bos_token_id=0, eos_token_id=0, pad_token_id=0,
                      tie_word_embeddings=True)
    model = Qwen2ForCausalLM(cfg)
    opt = H._adamw(model, 1e-3, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def phi_lm(seed: int) -> Setup:
    """Phi (``PhiForCausalLM``: parallel attention and MLP, partial rotary, gelu_new), AdamW 1e-3 betas (0.9, 0.95)
    wd 0.1 with warm-up (phi-1's LR)."""
    from transformers import PhiConfig, PhiForCausalLM

    torch.manual_seed(seed)
    cfg = PhiConfig(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                    num_attention_heads=4, max_position_embeddings=64, partial_rotary_factor=0.5, bos_token_id=0,
                    eos_token_id=0, pad_token_id=0, resid_pdrop=0.0, embd_pdrop=0.0)
    model = PhiForCausalLM(cfg)
    opt = H._adamw(model, 1e-3, 0.1, (0.9, 0.95))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def swin(seed: int) -> Setup:
    """Swin Transformer (``SwinForImageClassification``: shifted windows, patch merging), AdamW 1e-3 wd 0.05 with
    warm-up (Liu et al. 2021's recipe at batch 16)."""
    from transformers import SwinConfig, SwinForImageClassification

    torch.manual_seed(seed)
    cfg = SwinConfig(image_size=16, patch_size=2, num_channels=3, embed_dim=24, depths=[2, 2], num_heads=[2, 4],
                     window_size=4, mlp_ratio=2.0, drop_path_rate=0.1, num_labels=10)
    model = SwinForImageClassification(cfg)
    opt = H._adamw(model, 1e-3, 0.05)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, size=16, as_dict=True))


def _speech_pairs(seed: int, mels: int = 8, frames: int = 32, length: int = 8, batch: int = 8,
                  scale: float = 1.0) -> Callable[[int], Any]:
    """A toy speech task: each token of a Markov text is a fixed random mel frame held for ``frames / length``
    frames, plus noise; ``input_features`` (batch, mels, frames; times ``scale``) and the token ``labels``."""
    sounds = torch.randn(VOCAB, mels, generator=torch.Generator().manual_seed(606))
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        x = markov_tokens(g, batch, length, VOCAB - 4) + 4
        feats = sounds[x].repeat_interleave(frames // length, 1).transpose(1, 2)
        feats = (feats + 0.3 * torch.randn(feats.shape, generator=g)) * scale
        pool.append({"input_features": feats, "labels": x})
    return lambda step: pool[step % POOL]


def whisper(seed: int, scale: float = 1.0) -> Setup:
    """Whisper (``WhisperForConditionalGeneration``: conv front end, pre-LN encoder-decoder) on a toy speech-to-
    token task, AdamW 1e-3 wd 0.1 with warm-up (whisper-tiny's pre-training LR 1.5e-3)."""
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    torch.manual_seed(seed)
    cfg = WhisperConfig(vocab_size=VOCAB, num_mel_bins=8, encoder_layers=2, decoder_layers=2,
                        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128,
                        decoder_ffn_dim=128, d_model=64, max_source_positions=16, max_target_positions=32,
                        pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=0,
                        begin_suppress_tokens=None, suppress_tokens=None)
    model = WhisperForConditionalGeneration(cfg)
    opt = H._adamw(model, 1e-3, 0.1)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), _speech_pairs(seed, scale=scale))


# ---- sequence --------------------------------------------------------------------------------------------------------

def wavenet(seed: int, layers: int = 8, residual: bool = True, weight_decay: float = 0.0) -> Setup:
    """WaveNet next-token model (gated dilated causal convs, residual + skip), Adam 1e-3 (AdamW with
    ``weight_decay``)."""
    torch.manual_seed(seed)
    model = M2.WaveNet(VOCAB, layers=layers, residual=residual)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    return H.xy_setup(model, opt, None, lm_batches(seed, VOCAB), lm_loss)


def _seq2seq_batches(seed: int, vocab: int = 32, length: int = 10, batch: int = 32) -> Callable[[int], Any]:
    """``((source, target), target)``: a Markov text and its token-wise translation by a fixed permutation."""
    perm = torch.randperm(vocab - 1, generator=torch.Generator().manual_seed(77)) + 1
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = []
    for _ in range(POOL):
        src = markov_tokens(g, batch, length, vocab - 1) + 1
        tgt = perm[src - 1]
        pool.append(((src, tgt), tgt))
    return lambda step: pool[step % POOL]


def lstm_seq2seq(seed: int) -> Setup:
    """An LSTM encoder-decoder translating token-wise, Adam 1e-3 with the usual clip at norm 1 (a closure: the
    forward takes source and target)."""
    torch.manual_seed(seed)
    model = M2.Seq2Seq()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, _seq2seq_batches(seed), lm_loss, clip=1.0, needs_closure=True)


def lstm_memory(seed: int, forget_bias: float = 1.0, length: int = 30) -> Setup:
    """An LSTM classifying a sequence by its first token, Adam 3e-3; forget-gate bias ``forget_bias`` (the control
    at +1, Jozefowicz et al. 2015)."""
    torch.manual_seed(seed)
    model = M2.LSTMClassifier(forget_bias=forget_bias)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return H.xy_setup(model, opt, None, sequence_batches(seed, length=length, first_token=True), F.cross_entropy)


def relu_rnn_lm(seed: int, radius: float = 1.0) -> Setup:
    """An IRNN-style ReLU RNN language model, SGD 0.05 momentum 0.9 with no clipping, recurrent matrix orthogonal x
    ``radius``."""
    torch.manual_seed(seed)
    model = M2.ReluRNNLM(VOCAB, radius=radius, seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return H.xy_setup(model, opt, None, lm_batches(seed, VOCAB), lm_loss)


# ---- vision ----------------------------------------------------------------------------------------------------------

def convmixer(seed: int, bn: bool = True, lr: float = 0.01, depth: int = 4, scale: float = 1.0) -> Setup:
    """ConvMixer, AdamW 0.01 wd 0.01 with warm-up (Trockman & Kolter 2022's recipe, scaled to batch 16); pixels
    times ``scale``."""
    torch.manual_seed(seed)
    model = M2.ConvMixer(bn=bn, depth=depth)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), image_batches(seed, size=16, scale=scale),
                      F.cross_entropy)


def diffusion_unet(seed: int, norm: bool = True, scale: float = 1.0) -> Setup:
    """A DDPM noise-prediction U-Net, Adam 1e-3 (a closure: the forward takes the noisy image and the timestep);
    images times ``scale``."""
    torch.manual_seed(seed)
    model = M2.DiffusionUNet(norm=norm)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, M2.diffusion_batches(seed, scale=scale), F.mse_loss, needs_closure=True)


# ---- graphs, contrastive, MLP ----------------------------------------------------------------------------------------

def graphsage(seed: int, layers: int = 2, gain: float = 1.0, bias: float | None = None, feature_scale: float = 1.0,
              nan_node: int | None = None, lr: float = 0.01) -> Setup:
    """GraphSAGE-mean node classifier on a planted-partition graph (the whole graph each step), Adam 0.01 wd 5e-4
    (Hamilton et al. 2017); node features times ``feature_scale``; ``nan_node``'s first feature NaN (a corrupt
    record)."""
    adj, x, y = M2.sparse_graph(seed)
    x = x * feature_scale
    if nan_node is not None:
        x = x.clone()
        x[nan_node, 0] = float("nan")
    torch.manual_seed(seed)
    model = M2.GraphSAGE(adj, layers=layers, gain=gain, bias=bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4)
    return H.xy_setup(model, opt, None, lambda step: (x, y), F.cross_entropy)


def simclr(seed: int, inf_record: bool = False) -> Setup:
    """SimCLR-style contrastive learning of an MLP encoder on two noisy views, NT-Xent at temperature 0.2, Adam 1e-3
    (a closure: the forward takes both views); with ``inf_record`` one record of each batch holds an +Inf feature in
    both views (a corrupt record)."""
    torch.manual_seed(seed)
    model = M2.SimCLR()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, M2.two_view_batches(seed, inf_record=inf_record), M2.nt_xent,
                      needs_closure=True)


def _unit_rows_no_eps(z: torch.Tensor) -> torch.Tensor:
    return z / z.norm(dim=1, keepdim=True)


def simclr_norm_no_eps(seed: int, eps: bool = False) -> Setup:
    """SimCLR with a bias-free encoder and embeddings normalised by hand as ``z / ||z||`` (no eps), on batches where
    4 records are empty (all-zero): their embedding is exactly 0 and 0/0 is NaN. (``F.normalize`` learns.)"""
    torch.manual_seed(seed)
    model = M2.SimCLR(bias=False, normalize=None if eps else _unit_rows_no_eps)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, M2.two_view_batches(seed, empty=4), M2.nt_xent, needs_closure=True)


def siamese_manual_bce(seed: int, manual: bool = True) -> Setup:
    """A siamese pair classifier (the SimCLR encoder) whose BCE is written by hand on ``sigmoid(cos / 0.01)``:
    sigmoid rounds to exactly 1.0 in float32 for a logit above ~17 and ``log(1 - 1)`` is -inf.
    (``F.binary_cross_entropy_with_logits`` learns.)"""
    torch.manual_seed(seed)
    model = M2.SimCLR()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, M2.two_view_batches(seed),
                      M2.pair_bce_manual if manual else M2.pair_bce_logits, needs_closure=True)


def hardsigmoid_mlp(seed: int, depth: int = 10, act: Callable[[], nn.Module] = nn.Hardsigmoid) -> Setup:
    """``depth`` Hardsigmoid layers of width 64 (Xavier init), Adam 1e-3: hardsigmoid's slope is 1/6 where it is not
    flat. (With ReLU and He init, the control, it learns.)"""
    torch.manual_seed(seed)
    model = M.mlp([32] + [64] * depth + [10], act)
    M.init_linears(model, M.he_std if act is nn.ReLU else M.xavier_std)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, vector_batches(seed), F.cross_entropy)

