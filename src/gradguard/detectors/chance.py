"""The chance loss of a classifier: the cross-entropy of a uniform guess over its C classes, ``log(C)`` nats.

A run whose loss stays at or above it has learned nothing a constant guess would not know. C is what the model's
output says on its first forward (:class:`OutputWidth`: the class dimension of the logits it returns), taken as a
class count only when the loss is a cross-entropy: the guard's ``loss_fn`` says so, or the model computes its own
loss beside its logits (an HF-style output with ``.loss`` and ``.logits``), or, with neither, the run's first loss
behaves like a cross-entropy of those logits: it lies between the smallest ``logsumexp(z) - max(z)`` and the largest
``logsumexp(z) - min(z)`` over the output's rows (as any cross-entropy of them does, weighted or with ignored rows; a
regression loss on another scale does not), and it is at least half of ``log(C)`` (an untrained classifier starts at
or above its chance loss) — :func:`chance_of` — and, when the first backward reached those logits, their gradient is
a cross-entropy's: every row of ``softmax(z) - target`` sums to 0 (the rows' absolute sums, summed, within
``CE_ROW_SUM`` of the gradient's absolute sum; label smoothing and soft targets too), or the logits are
log-probabilities (rows whose ``logsumexp`` is 0: an NLL loss). Judgment corpus, all halves: no classifier's gradient
is ruled out (DenseNet on 255x pixels and GAT, saturated rows and all: 1e-8 to 2e-8); the regressions whose loss lay
in that range measure 0.18 (a CLIP tower's embedding) to 1.0 (N-BEATS); a score-matching net's 8-wide output read as
8 classes (0.35-0.37) was told "at chance" after 50 steps while it learned. And the loss is that cross-entropy
alone: the gradient's targets, read back (``y = softmax(z) - grad / w`` for a mean or a sum), give the cross-entropy
the loss would be (:func:`implied_ce`), and a first loss well above it holds another term (a contrastive or
reconstruction loss beside the classifier's), on which log(C) says nothing.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

#: loss functions that are a cross-entropy over the output's classes
_CE_MODULES = (nn.CrossEntropyLoss, nn.NLLLoss)
_CE_FUNCTIONS = (F.cross_entropy, F.nll_loss)
#: the largest sum of |row sums| / absolute sum of a cross-entropy's gradient on its logits (0 but for rounding)
CE_ROW_SUM = 1e-3
#: how far below 0 a target read back from a cross-entropy's gradient may lie (rounding) for the reading to hold
CE_TARGET_SLACK = 1e-3
#: the relative spread of the rows' weights within which they are one weight (a mean's or a sum's)
CE_WEIGHT_SPREAD = 0.02
#: a first loss above this share of the cross-entropy its logits' gradient implies (plus ``CE_EXTRA_NATS``) holds
#: another term beside the cross-entropy, and its chance loss is not log(C): fresh111's GraphMLP adds half a
#: neighbour-contrastive loss to its 4-class cross-entropy (3.65 at step 0, 1.6x log 4 once learned)
CE_EXTRA_SHARE, CE_EXTRA_NATS = 1.1, 0.01


def loss_kind(loss_fn: Any) -> str:
    """``"ce"`` for a cross-entropy (``nn.CrossEntropyLoss``, ``nn.NLLLoss``, ``F.cross_entropy``, ``F.nll_loss``),
    ``"other"`` for any other ``torch.nn`` loss module, ``"unknown"`` for None or a callable of the user's."""
    if isinstance(loss_fn, _CE_MODULES) or any(loss_fn is f for f in _CE_FUNCTIONS):
        return "ce"
    if isinstance(loss_fn, nn.modules.loss._Loss):
        return "other"
    return "unknown"


def _logits(output: Any) -> tuple[torch.Tensor | None, bool]:
    """The output's logits and whether the model computed a loss beside them (an HF-style output)."""
    own_loss = getattr(output, "loss", None) is not None
    logits = getattr(output, "logits", None)
    if logits is None and isinstance(output, (tuple, list)) and output:
        logits = output[0]
    if logits is None:
        logits = output
    return (logits if isinstance(logits, torch.Tensor) else None), own_loss


class OutputWidth:
    """Watches a model's first forward (a one-shot forward hook on the root module, removed once it has run) and
    keeps the class count of what it returned: the last dimension of ``(batch, C)`` or ``(batch, time, C)`` float
    logits (also as ``.logits`` or as the first element of a tuple); None for any other output."""

    def __init__(self, model: nn.Module) -> None:
        self.classes: int | None = None
        #: the range any cross-entropy of the first output's logits lies in (nats), or None
        self.ce_range: tuple[float, float] | None = None
        self.own_loss = False
        self.seen = False
        #: whether the first backward's gradient on the logits is a cross-entropy's (see the module docstring);
        #: None until a backward reached them (or never)
        self.ce_grad: bool | None = None
        #: the cross-entropy (nats) that gradient implies, its targets read back from it (:func:`implied_ce`);
        #: None when it cannot be read (weighted or ignored rows)
        self.ce_value: float | None = None
        self._z: torch.Tensor | None = None
        self._handle: Any = model.register_forward_hook(self._hook)

    def _hook(self, module: nn.Module, args: Any, output: Any) -> None:
        self.close()
        self.seen = True
        logits, self.own_loss = _logits(output)
        if logits is not None and logits.is_floating_point() and logits.dim() in (2, 3) and logits.shape[-1] >= 2:
            self.classes = int(logits.shape[-1])
            with torch.no_grad():
                z = logits.detach().reshape(-1, self.classes).float()
                lse = torch.logsumexp(z, dim=1)
                lo, hi = float((lse - z.max(dim=1).values).min()), float((lse - z.min(dim=1).values).max())
            if math.isfinite(lo) and math.isfinite(hi):
                self.ce_range = (lo, hi)
            if bool((lse.abs() < 1e-3).all()):  # log-probabilities: an NLL loss's gradient has no zero row sum
                self.ce_grad = True
            elif logits.requires_grad:
                self._z = logits.detach()  # shares the logits' storage (autograd keeps them until the backward)
                logits.register_hook(self._grad_hook)

    def _grad_hook(self, grad: torch.Tensor) -> None:
        """Read the first backward's gradient on the logits (returns nothing: the gradient is not changed)."""
        if self.classes is None or self.ce_grad is not None:
            return
        with torch.no_grad():
            rows = grad.detach().reshape(-1, self.classes).float()
            size = float(rows.abs().sum())  # rows weighted by their size: a saturated row's rounding is not read
            if size > 0 and math.isfinite(size):
                self.ce_grad = float(rows.sum(dim=1).abs().sum()) <= CE_ROW_SUM * size
                if self.ce_grad and self._z is not None and self._z.numel() == rows.numel():
                    self.ce_value = implied_ce(self._z.reshape(rows.shape).float(), rows)
        self._z = None

    def close(self) -> None:
        """Remove the hook (idempotent)."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None


def implied_ce(z: torch.Tensor, grad: torch.Tensor) -> float | None:
    """The cross-entropy of logits ``z`` (rows x C) whose gradient is ``grad``, read back: a cross-entropy's row
    gradient is ``w (softmax(z) - y)``, and with a hard target every other class's entry is ``w p_j``, so each row
    gives its weight as ``max_j grad_j / p_j``. When the rows that have a gradient agree on one weight (within
    ``CE_WEIGHT_SPREAD``: ``1 / rows`` for a mean, 1 for a sum, ``1 / kept rows`` with ignored ones), the loss is
    ``w * sum_i CE(y_i)`` with ``y = softmax(z) - grad / w``. None when they do not (class weights, label smoothing,
    soft targets: then nothing is read)."""
    logp = torch.log_softmax(z, dim=1)
    p = logp.exp()
    live = (grad != 0).any(dim=1)
    if not bool(live.any()):
        return None
    p, logp, grad = p[live], logp[live], grad[live]
    ratio = torch.where(grad > 0, grad / p.clamp_min(1e-30), torch.zeros_like(grad))
    weights = ratio.max(dim=1).values
    w = float(weights.max())
    if not (w > 0 and math.isfinite(w)) or float(weights.min()) < (1 - CE_WEIGHT_SPREAD) * w:
        return None
    y = p - grad / w
    if float(y.min()) < -CE_TARGET_SLACK:
        return None
    value = float(-(y.clamp_min(0) * logp).sum() * w)
    return value if math.isfinite(value) else None


def chance_of(classes: int | None, kind: str, own_loss: bool, first_loss: float | None,
              ce_range: tuple[float, float] | None = None, ce_grad: bool | None = None,
              ce_value: float | None = None) -> float | None:
    """``log(classes)`` when the loss is a cross-entropy over ``classes`` (see the module docstring), else None.

    Args:
        classes: the output's class count, or None when unknown.
        kind: :func:`loss_kind` of the guard's ``loss_fn``.
        own_loss: whether the model returned its own loss beside its logits.
        first_loss: the run's first finite loss (nats), or None before it.
        ce_range: the range any cross-entropy of the first output lies in (:attr:`OutputWidth.ce_range`), widened
            by 5% each way for rounding; None when unknown (then only a known cross-entropy counts).
        ce_grad: :attr:`OutputWidth.ce_grad`: False (the first gradient on the logits is not a cross-entropy's)
            rules an unknown loss out; None: not known.
        ce_value: :attr:`OutputWidth.ce_value`: the cross-entropy that gradient implies; a first loss above
            ``CE_EXTRA_SHARE`` times it (plus ``CE_EXTRA_NATS``) holds another term, and an unknown loss is ruled
            out. None: not known.
    """
    if classes is None or classes < 2 or kind == "other":
        return None
    chance = math.log(classes)
    if kind == "ce" or own_loss:
        return chance
    if first_loss is None or ce_range is None or ce_grad is False or not first_loss >= 0.5 * chance:
        return None
    if ce_value is not None and first_loss > CE_EXTRA_SHARE * ce_value + CE_EXTRA_NATS:
        return None
    lo, hi = ce_range
    return chance if 0.95 * lo - 1e-6 <= first_loss <= 1.05 * hi + 1e-6 else None
