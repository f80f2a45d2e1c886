"""Builders of the eighth held-out batch (``fresh7.py``): standard models new to the corpus at their usual settings,
and broken variants with one real fault each. Written and labelled before gradguard's judgment was run on them and
never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh7_data as D7
from . import fresh7_models as M7
from . import healthy as H
from ._setup import POOL, Setup, hf_lm_batches, image_batches, mlm_batches, sequence_batches

VOCAB = H.VOCAB


# ---- transformers (HF configs) ---------------------------------------------------------------------------------------

def codegen_lm(seed: int, betas: tuple[float, float] = (0.9, 0.999)) -> Setup:
    """CodeGen (``CodeGenForCausalLM``: GPT-J-style parallel attention + MLP, partial rotary), AdamW 6e-4 betas (0.9,
    0.999) wd 0.1 with warm-up (Nijkamp et al. 2023 train with Adam (0.9, 0.999); 6e-4 is the small-model peak);
    ``betas``: the optimizer's."""
    from transformers import CodeGenConfig, CodeGenForCausalLM

    torch.manual_seed(seed)
    cfg = CodeGenConfig(vocab_size=VOCAB, n_positions=64, n_ctx=64, n_embd=64, n_layer=2, n_head=4, rotary_dim=8,
                        bos_token_id=0, eos_token_id=0)
    model = CodeGenForCausalLM(cfg)
    opt = H._adamw(model, 6e-4, 0.1, betas)
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), hf_lm_batches(seed, VOCAB))


def nystromformer_mlm(seed: int) -> Setup:
    """Nystromformer (``NystromformerForMaskedLM``: Nystrom-approximated self-attention with 8 landmarks and a
    depthwise-conv skip on the values), AdamW 6e-4 betas (0.9, 0.98) wd 0.01 with warm-up (the BERT-style recipe the
    corpus uses for masked LMs at this size)."""
    from transformers import NystromformerConfig, NystromformerForMaskedLM

    torch.manual_seed(seed)
    cfg = NystromformerConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                              intermediate_size=128, max_position_embeddings=64, num_landmarks=8,
                              segment_means_seq_len=32, pad_token_id=0)
    model = NystromformerForMaskedLM(cfg)
    opt = H._adamw(model, 6e-4, 0.01, (0.9, 0.98))
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), mlm_batches(seed, VOCAB))


def funnel_classifier(seed: int) -> Setup:
    """Funnel Transformer (``FunnelForSequenceClassification``: post-LN blocks with mean-pooled query sequence
    between blocks, relative attention), sequence classification, AdamW 1e-3 wd 0.01 with warm-up (the ELECTRA-small
    style peak used for small models; Dai et al. 2020)."""
    from transformers import FunnelConfig, FunnelForSequenceClassification

    torch.manual_seed(seed)
    cfg = FunnelConfig(vocab_size=32, block_sizes=[1, 1], d_model=64, n_head=4, d_head=16, d_inner=128,
                       num_labels=4, pad_token_id=None)
    model = FunnelForSequenceClassification(cfg)
    opt = H._adamw(model, 1e-3, 0.01)
    seqs = sequence_batches(seed, length=32, vocab=32, classes=4)
    dicts = [{"input_ids": x, "labels": y} for x, y in (seqs(i) for i in range(POOL))]
    return H.hf_setup(model, opt, H.warmup_cosine(opt, 20), lambda step: dicts[step % POOL])


def patchtst(seed: int, lr: float = 1e-3, one_cycle: float | None = None) -> Setup:
    """PatchTST (``PatchTSTForPrediction``: channel-independent patches of 8, RevIN-style scaling, a BatchNorm
    transformer encoder), forecasting 8 steps from 32, Adam 1e-3, MSE (Nie et al. 2023)."""
    from transformers import PatchTSTConfig, PatchTSTForPrediction

    torch.manual_seed(seed)
    cfg = PatchTSTConfig(num_input_channels=3, context_length=32, prediction_length=8, patch_length=8,
                         patch_stride=8, d_model=32, num_attention_heads=4, num_hidden_layers=2, ffn_dim=64)
    model = PatchTSTForPrediction(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = None
    if one_cycle is not None:
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=one_cycle, total_steps=300)
    return H.hf_setup(model, opt, sched, D7.series_batches(seed))


# ---- hand-written ----------------------------------------------------------------------------------------------------

class _FrozenBNWideResNet(M7.WideResNet):
    """A WRN whose ``train()`` keeps every BatchNorm in eval mode (the "freeze BN" override of detection code)."""

    def train(self, mode: bool = True) -> _FrozenBNWideResNet:
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self


def wideresnet(seed: int, momentum: float = 0.9, reduction: str = "mean", frozen_bn: bool = False,
               weight_decay: float = 5e-4, zero_init: bool = False) -> Setup:
    """WRN-10-2, SGD 0.1 momentum 0.9 Nesterov wd 5e-4 (Zagoruyko & Komodakis 2016); ``reduction``: the
    cross-entropy's; ``frozen_bn``: every BatchNorm kept in eval mode (its initial running statistics 0 and 1)."""
    torch.manual_seed(seed)
    model = (_FrozenBNWideResNet if frozen_bn else M7.WideResNet)()
    model.train()
    if zero_init:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    m.weight.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=momentum, weight_decay=weight_decay, nesterov=True)

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(out, y, reduction=reduction)
    return H.xy_setup(model, opt, None, image_batches(seed), loss)


def set_transformer(seed: int, pad_value: float | None = None) -> Setup:
    """A Set Transformer classifier of point sets, Adam 1e-3 (Lee et al. 2019); ``pad_value``: variable-size sets
    padded with that fill value and no mask."""
    torch.manual_seed(seed)
    model = M7.SetTransformer()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, D7.set_batches(seed, pad_value=pad_value), F.cross_entropy)


def tab_transformer(seed: int, missing: float | None = None, log: Any = None) -> Setup:
    """TabTransformer on mixed categorical/continuous rows, AdamW 1e-3 wd 1e-2 (Huang et al. 2020)."""
    torch.manual_seed(seed)
    model = M7.TabTransformer()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    return H.xy_setup(model, opt, None, D7.tab_batches(seed, missing=missing, log=log), F.cross_entropy)


def ncf(seed: int, emb_std: float | None = 0.01, ratings: bool = False, lr: float = 5e-3,
        max_norm: float | None = None, output_sigmoid: bool = False) -> Setup:
    """NeuMF on implicit feedback, Adam 1e-3, binary cross-entropy on the logit (He et al. 2017); ``emb_std``: the
    embeddings' init std (None: ``nn.Embedding``'s default N(0, 1)); ``ratings``: 1-5 star ratings passed as the
    targets."""
    torch.manual_seed(seed)
    model = M7.NeuMF(emb_std=emb_std, max_norm=max_norm)
    if output_sigmoid:
        model.final = nn.Sigmoid()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return H.xy_setup(model, opt, None, D7.interaction_batches(seed, ratings=ratings),
                      F.binary_cross_entropy_with_logits)


def _fan_in_inverted(model: nn.Module) -> None:
    """He init with the fraction upside down: std ``sqrt(2 * fan_in)`` instead of ``sqrt(2 / fan_in)``."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.normal_(0.0, math.sqrt(2 * fan_in))


def pixelcnn(seed: int, plain: int = 0, fan_in_inverted: bool = False, act: Callable[[], nn.Module] = nn.ReLU,
             output_sigmoid: bool = False) -> Setup:
    """A binary PixelCNN, Adam 1e-3, per-pixel binary cross-entropy on logits (van den Oord et al. 2016);
    ``plain``: that many plain masked convs instead of the residual blocks; ``fan_in_inverted``: see
    :func:`_fan_in_inverted`."""
    torch.manual_seed(seed)
    model = M7.PixelCNN(plain=plain, act=act)
    if fan_in_inverted:
        _fan_in_inverted(model)
    if output_sigmoid:
        model.out.append(nn.Sigmoid())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, D7.binary_image_batches(seed), F.binary_cross_entropy_with_logits)


def kan(seed: int, lamb: float = 1e-3, scale: float = 1.0) -> Setup:
    """A [4, 8, 1] KAN regressor, AdamW 1e-3 wd 1e-4 (efficient-KAN's example), MSE plus ``lamb`` times the L1
    regulariser of the edge activations (pykan's ``lamb``); ``scale``: inputs in raw units, ``scale`` times the
    spline grid's range."""
    torch.manual_seed(seed)
    model = M7.KAN()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)

    def loss(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(out[0], y) + lamb * out[1]
    return H.xy_setup(model, opt, None, D7.kan_batches(seed, scale=scale), loss)


def s4d(seed: int, sign_slip: bool = False, first: int = 1) -> Setup:
    """An S4D-Real classifier of token sequences (length 64), AdamW 1e-2 wd 0.01, the SSM's own parameters at 1e-3
    without weight decay (its reference example)."""
    torch.manual_seed(seed)
    model = M7.S4DClassifier(sign_slip=sign_slip, first=first)
    ssm = [p for n, p in model.named_parameters() if "kernel" in n]
    rest = [p for n, p in model.named_parameters() if "kernel" not in n]
    groups: list[dict[str, Any]] = [{"params": rest}, {"params": ssm, "lr": 1e-3, "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1e-2, weight_decay=0.01)
    return H.xy_setup(model, opt, None, sequence_batches(seed, length=64), F.cross_entropy)


def _variance_as_std(model: nn.Module) -> None:
    """He init with the variance passed as the std: ``normal_(0, 2 / fan_in)``."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, 2 / m.in_features)
                m.bias.zero_()


def triplet_net(seed: int, eps: float | None = 1e-12, act: Callable[[torch.Tensor], torch.Tensor] = F.relu,
                variance_as_std: bool = False, raw_column: float | None = None) -> Setup:
    """An MLP embedding net with the batch-hard triplet loss (margin 0.2) on unit embeddings, Adam 1e-3 (Hermans et
    al. 2017 use Adam at 3e-4 .. 1e-3); ``eps``: the distance's clamp before the square root."""
    torch.manual_seed(seed)
    model = M7.EmbeddingNet(act=act)
    if variance_as_std:
        _variance_as_std(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = D7.cluster_batches(seed)
    if raw_column is not None:
        data = D7.raw_column(data, raw_column)
    return H.xy_setup(model, opt, None, data, M7.batch_hard_triplet(eps=eps))
