"""What the probe runs: one training step's loss, from the forms people write it in.

* ``closure(model)`` returning the loss as a tensor, a tuple/list whose first item is the loss, a dict with a
  ``"loss"`` key, or an object with a ``.loss`` attribute (Hugging Face ``ModelOutput``);
* ``(inputs, targets)`` with ``loss_fn``: ``loss_fn(model(inputs), targets)``;
* a dict batch without ``loss_fn`` (Hugging Face style): ``model(**batch).loss``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..detectors.chance import OutputWidth, chance_of
from .findings import DiagnosisError
from .graph import saved
from .mistakes import double_squash, squash_in_graph

__all__ = ["InputStats", "StepSpec", "describe", "extract_loss", "input_stats", "resolve_step", "tensors"]


def tensors(obj: Any) -> list[torch.Tensor]:
    """Every dense tensor in a nest of tuples, lists and dicts (sparse ones, a GCN's adjacency or features in COO,
    are left out: the probe's statistics are elementwise ops that sparse layouts do not support)."""
    if isinstance(obj, torch.Tensor):
        return [obj] if obj.layout == torch.strided else []
    if isinstance(obj, list | tuple):
        return [t for item in obj for t in tensors(item)]
    if isinstance(obj, Mapping):
        return [t for item in obj.values() for t in tensors(item)]
    return []


def describe(obj: Any) -> str:
    """A short description of what was passed, for error messages."""
    if isinstance(obj, torch.Tensor):
        return f"tensor of shape {tuple(obj.shape)} and dtype {obj.dtype}"
    if isinstance(obj, list | tuple):
        inner = ", ".join(describe(o) for o in obj[:4])
        return f"{type(obj).__name__} of [{inner}{', ...' if len(obj) > 4 else ''}]"
    if isinstance(obj, Mapping):
        return f"{type(obj).__name__} with keys " + ", ".join(map(repr, list(obj)[:6]))
    return type(obj).__name__


def extract_loss(obj: Any, what: str) -> torch.Tensor:
    """The scalar loss tensor inside ``obj`` (tensor, first item of a tuple, ``["loss"]`` or ``.loss``).

    Raises:
        DiagnosisError: no tensor loss in ``obj``, or it is not a scalar.
    """
    loss = obj
    if isinstance(loss, list | tuple) and loss:
        loss = loss[0]
    elif not isinstance(loss, torch.Tensor):
        found = getattr(loss, "loss", None)
        if found is None and isinstance(loss, Mapping):
            found = loss.get("loss")
        loss = found if found is not None else loss
    if not isinstance(loss, torch.Tensor):
        raise DiagnosisError(
            f"{what} must give the loss as a scalar tensor, a tuple whose first item is the loss, or an object with "
            f".loss; got {describe(obj)}."
        )
    if loss.numel() != 1:
        raise DiagnosisError(f"{what} must give a scalar loss, got {describe(loss)}. Reduce it, e.g. with .mean().")
    return loss


@dataclass
class StepSpec:
    """One loss computation: ``run(model)`` gives the scalar loss; ``targets`` are the known target tensors."""

    run: Callable[[nn.Module], torch.Tensor]
    form: str
    targets: list[torch.Tensor] = field(default_factory=list)
    #: filled by ``run``: ``"zero_output_loss"``, the loss of an all-zero output (``(inputs, targets)`` form)
    baseline: dict[str, float] = field(default_factory=dict)
    #: filled by ``run`` on its first call (``(inputs, targets)`` form): ``"sigmoid"``/``"softmax"`` when the output
    #: is already a probability that the loss squashes again (:func:`.mistakes.double_squash`), else ``""``
    squash: str | None = None
    #: the inputs of the ``(inputs, targets)`` form (None in the other forms)
    inputs: Any = None


def _closure_baseline(width: OutputWidth, loss: torch.Tensor) -> float:
    """A closure's stand-in for the loss of an all-zero output: ``log(C)``, the uniform guess's cross-entropy, when
    the model's first output is ``C``-class logits and the loss behaves as their cross-entropy (the stall detector's
    test, :func:`~gradguard.detectors.chance.chance_of`); NaN otherwise (a regression, an unknown loss). Lightning's
    demo Transformer at N(0, 1) checked through a closure starts at 37 nats against log(2000) = 7.6: a blown-up
    output no (inputs, targets) baseline was there to show (session 24)."""
    first = float(loss.detach()) if isinstance(loss, torch.Tensor) and loss.numel() == 1 else math.nan
    if not math.isfinite(first):
        return math.nan
    chance = chance_of(width.classes, "unknown", width.own_loss, first, width.ce_range, width.ce_grad,
                       width.ce_value)
    return _mse_zero_output(loss) if chance is None else chance


def _mse_zero_output(loss: torch.Tensor) -> float:
    """The loss of an all-zero prediction when the closure's loss *is* one ``mse_loss`` (its graph's root, mean or
    sum): the saved target's mean (or sum) of squares; NaN otherwise. thuml/Time-Series-Library's DLinear with its
    Linears at N(0, 1), checked through a closure over ``MSELoss``, starts at 90 against 1.1 for zeros."""
    node = getattr(loss, "grad_fn", None)
    if type(node).__name__ != "MseLossBackward0":
        return math.nan
    target, reduction = saved(node, "_saved_target"), saved(node, "_saved_reduction")  # None: modified in place
    if not isinstance(target, torch.Tensor) or not target.is_floating_point() or reduction not in (1, 2):
        return math.nan
    with torch.no_grad():
        sq = target.detach().double().pow(2)
        value = float(sq.mean() if reduction == 1 else sq.sum())
    return value if math.isfinite(value) and value > 0 else math.nan


def resolve_step(batch: Any, loss_fn: Callable[..., Any] | None,
                 closure: Callable[[nn.Module], Any] | None) -> StepSpec:
    """The loss computation for one of the accepted call forms (see the module docstring).

    Raises:
        DiagnosisError: a form that cannot be run, with what to pass instead.
    """
    if closure is not None:
        if not callable(closure):
            raise DiagnosisError(f"closure must be callable as closure(model) -> loss, got {describe(closure)}.")
        if batch is not None or loss_fn is not None:
            raise DiagnosisError(
                "pass either closure=... (which computes the loss itself) or batch and loss_fn, not both."
            )
        def run_closure(m: nn.Module) -> torch.Tensor:
            width = OutputWidth(m) if "zero_output_loss" not in cspec.baseline else None
            try:
                loss = extract_loss(_call(closure, m, "closure(model)"), "closure(model)")
            finally:
                if width is not None:
                    width.close()
            if width is not None:
                cspec.baseline["zero_output_loss"] = _closure_baseline(width, loss)
            if cspec.squash is None and getattr(loss, "grad_fn", None) is not None:
                cspec.squash = squash_in_graph(loss) or ""
            return loss
        cspec = StepSpec(run=run_closure, form="closure(model)")
        return cspec
    if isinstance(batch, Mapping):
        if loss_fn is not None:
            raise DiagnosisError(
                f"a dict batch (keys {list(batch)[:6]}) is run as model(**batch) and its .loss is used; a loss_fn "
                "cannot be combined with it. Pass closure=lambda m: loss_fn(m(**batch), batch['labels']) instead."
            )
        kwargs = dict(batch)

        def run_dict(m: nn.Module) -> torch.Tensor:
            out = _call(lambda mm: mm(**kwargs), m, "model(**batch)")
            if isinstance(out, torch.Tensor) or getattr(out, "loss", None) is not None or (
                    isinstance(out, Mapping) and out.get("loss") is not None):
                if "zero_output_loss" not in spec.baseline:
                    spec.baseline["zero_output_loss"] = _uniform_loss(out, kwargs.get("labels"))
                return extract_loss(out, "model(**batch)")
            raise DiagnosisError(
                f"model(**batch) returned {describe(out)} without a loss (no .loss). Include the labels in the batch "
                "(e.g. batch['labels'] = batch['input_ids'] for a causal LM), or pass "
                "closure=lambda m: loss_fn(m(**batch), targets)."
            )
        spec = StepSpec(run=run_dict, form="model(**batch).loss")
        return spec
    if not isinstance(batch, list | tuple) or len(batch) != 2:
        raise DiagnosisError(
            f"batch must be an (inputs, targets) pair or a dict for model(**batch), got {describe(batch)}. "
            "Pass e.g. check(model, (x, y), loss_fn), where loss_fn(model(x), y) is the scalar loss, or "
            "check(model, closure=lambda m: ...loss...)."
        )
    inputs, targets = batch
    if loss_fn is None:
        raise DiagnosisError(
            "an (inputs, targets) batch needs loss_fn, with loss_fn(model(inputs), targets) the scalar loss; or pass "
            "closure=lambda m: ...loss... for a model that computes its own loss."
        )
    if not callable(loss_fn):
        raise DiagnosisError(f"loss_fn must be callable as loss_fn(output, targets), got {describe(loss_fn)}.")

    def run_pair(m: nn.Module) -> torch.Tensor:
        try:
            output = m(inputs)
        except DiagnosisError:
            raise
        except Exception as exc:
            raise DiagnosisError(
                f"model(inputs) failed on the batch (inputs: {describe(inputs)}): {type(exc).__name__}: {exc}"
            ) from None
        try:
            loss = loss_fn(output, targets)
        except Exception as exc:
            raise DiagnosisError(
                f"loss_fn(model(inputs), targets) failed (output: {describe(output)}, targets: {describe(targets)}): "
                f"{type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise DiagnosisError(
                f"loss_fn must return a scalar tensor, got {describe(loss)}. Reduce it, e.g. with .mean()."
            )
        if "zero_output_loss" not in spec.baseline and isinstance(output, torch.Tensor) and output.is_floating_point():
            try:
                with torch.no_grad():
                    spec.baseline["zero_output_loss"] = float(loss_fn(torch.zeros_like(output), targets))
            except Exception:  # a loss that cannot take a zero output (log of it): no baseline
                spec.baseline["zero_output_loss"] = float("nan")
            if isinstance(targets, torch.Tensor) and targets.is_floating_point() and targets.shape == output.shape:
                try:  # the loss of the targets' own mean as the output: a loss that rescales the output (a scaler
                    # undone inside it) does better at 0 (see numeric.data_findings)
                    with torch.no_grad():
                        spec.baseline["target_mean_output_loss"] = float(
                            loss_fn(torch.full_like(output, float(targets.float().mean())), targets))
                except Exception:
                    spec.baseline["target_mean_output_loss"] = float("nan")
                with torch.no_grad():  # the output's own scale beside the targets' (numeric.data_findings)
                    spec.baseline["output_rms"] = float(output.detach().float().pow(2).mean().sqrt())
        if spec.squash is None:
            # a sequence model's (batch, time, classes) output reshaped by the loss: read the loss's graph
            spec.squash = double_squash(output, targets, loss, loss_fn) or squash_in_graph(loss) or ""
        return loss
    spec = StepSpec(run=run_pair, form="loss_fn(model(inputs), targets)", targets=tensors(targets), inputs=inputs)
    return spec


def _uniform_loss(out: Any, labels: Any) -> float:
    """The cross-entropy of an all-zero (uniform) prediction, ``log(classes)``, for a model output with class
    ``.logits`` (at least 2 classes) trained on integer ``labels`` (a Hugging Face classifier, masked or causal LM,
    whose ``.loss`` is that cross-entropy); NaN otherwise (no baseline)."""
    logits = out.get("logits") if isinstance(out, Mapping) else getattr(out, "logits", None)
    if isinstance(logits, torch.Tensor) and logits.is_floating_point() and logits.ndim >= 2 \
            and logits.shape[-1] >= 2 and isinstance(labels, torch.Tensor) and not labels.is_floating_point() \
            and labels.dtype != torch.bool:
        return math.log(int(logits.shape[-1]))
    return float("nan")


def loss_without_grad(run: Callable[[nn.Module], torch.Tensor], m: nn.Module) -> torch.Tensor:
    """``run(m)`` under ``torch.no_grad()`` (a loss read, no graph kept); run again with autograd on when the loss
    itself needs it (a physics-informed loss takes ``torch.autograd.grad`` of the output with respect to the inputs:
    under ``no_grad`` its closure raises, and check's line search and confirmation were skipped on fresh58's
    PirateNet)."""
    try:
        with torch.no_grad():
            return run(m)
    except Exception:
        with torch.enable_grad():
            return run(m).detach()


def _call(fn: Callable[[nn.Module], Any], m: nn.Module, what: str) -> Any:
    try:
        return fn(m)
    except DiagnosisError:
        raise
    except Exception as exc:
        raise DiagnosisError(f"{what} failed: {type(exc).__name__}: {exc}") from None


@dataclass(frozen=True)
class InputStats:
    """Scale of one floating-point input tensor of the model's first call (finite values only)."""

    index: int
    shape: tuple[int, ...]
    finite: bool
    mean: float
    std: float
    max_abs: float
    median_abs: float
    #: the median magnitude of the non-zero values (a sparse input's scale: ratings, bag-of-words counts); NaN
    #: when every value is 0
    median_nonzero_abs: float = float("nan")
    #: the values far above the median magnitude (``numeric.OUTLIER_RATIO``) are all one value, found in at least
    #: half of the samples (first dimension): a sentinel by convention (NeRF's 1e10 last spacing, an additive
    #: attention mask's -1e9), not a corrupt record
    sentinel: bool = False
    #: how many of its values are NaN or Inf
    nonfinite: int = 0
    #: (a table: 2-D, at least ``COLUMN_MIN_ROWS`` rows and 2 columns) the largest over its columns of the column's
    #: largest magnitude over its median magnitude (non-zero median for a sparse column): an outlier is one within
    #: its own column, not a column in larger units than the others; NaN for other tensors
    column_ratio: float = float("nan")
    #: (a table, as above) decades between its largest and smallest column root-mean-square: columns in different
    #: units, which one normalisation over the features after the first layer does not even out; NaN otherwise
    column_decades: float = float("nan")


#: far-above-median values count as a sentinel when present in at least this fraction of the samples
SENTINEL_SHARE = 0.5


def _sentinel(t: torch.Tensor, ref: float, ratio: float) -> bool:
    """Whether ``t``'s values at least ``ratio`` times ``ref`` are one repeated value in most samples."""
    if not ref > 0 or t.dim() == 0 or t.shape[0] < 2:
        return False
    rows = t.detach().float().reshape(t.shape[0], -1)
    far = rows.abs() >= ratio * ref
    values = rows[far]
    return bool((values == values[0]).all()) and float(far.any(1).float().mean()) >= SENTINEL_SHARE


def input_stats(ts: list[torch.Tensor]) -> list[InputStats]:
    """Scale statistics of the floating-point input tensors (finite values only)."""
    from .numeric import OUTLIER_RATIO  # here: numeric imports this module through probe

    out: list[InputStats] = []
    for i, t in enumerate(ts):
        if not t.is_floating_point() or t.numel() == 0:
            continue
        v = t.detach().float().reshape(-1)
        fin = v[torch.isfinite(v)]
        nonfinite = v.numel() - fin.numel()
        if fin.numel() == 0:
            out.append(InputStats(i, tuple(t.shape), False, *(float("nan"),) * 4, nonfinite=nonfinite))
            continue
        absv = fin.abs()
        nonzero = absv[absv > 0]
        median, median_nz = float(absv.median()), float(nonzero.median()) if nonzero.numel() else float("nan")
        ref = median if median > 0 else median_nz
        sentinel = float(absv.max()) >= OUTLIER_RATIO * ref and _sentinel(t, ref, OUTLIER_RATIO)
        if sentinel:  # the data's scale without the sentinel
            fin = fin[absv < OUTLIER_RATIO * ref]
            absv = fin.abs()
        out.append(InputStats(i, tuple(t.shape), bool(fin.numel() == v.numel()), float(fin.mean()),
                              float(fin.std()) if fin.numel() > 1 else 0.0, float(absv.max()), median, median_nz,
                              sentinel, nonfinite, *(_columns(t) if not sentinel else (float("nan"),) * 2)))
    return out


#: rows a table needs for its per-column outlier ratio to be read
COLUMN_MIN_ROWS = 8


def _columns(t: torch.Tensor) -> tuple[float, float]:
    """``(column_ratio, column_decades)`` of a table (see :class:`InputStats`); NaNs for other tensors."""
    nan = float("nan")
    if t.dim() != 2 or t.shape[0] < COLUMN_MIN_ROWS or t.shape[1] < 2:
        return nan, nan
    a = t.detach().float().abs()
    a = torch.where(torch.isfinite(a), a, torch.zeros_like(a))
    med = a.median(dim=0).values
    nz = torch.where(a > 0, a, torch.full_like(a, nan)).nanmedian(dim=0).values
    ref = torch.where(med > 0, med, nz)
    ok = torch.isfinite(ref) & (ref > 0)
    if not bool(ok.any()):
        return nan, nan
    ratio = float((a.max(dim=0).values[ok] / ref[ok]).max())
    rms = a.pow(2).mean(dim=0).sqrt()
    rms = rms[rms > 0]
    return ratio, float(torch.log10(rms.max() / rms.min())) if rms.numel() >= 2 else nan


#: samples (first dimension) a batch needs before its repeated share is judged
REPEAT_MIN_SAMPLES = 8


def repeated_share(ts: list[torch.Tensor]) -> float | None:
    """The share of the batch's samples (first dimension) identical to its most common sample, for the input tensor
    that varies most (the smallest share over the inputs); None when no input has ``REPEAT_MIN_SAMPLES`` samples
    (or is too large to compare row by row, over 5e7 elements). Tensors of 0s and 1s only are left out: masks, zero
    states, a graph's placeholder features of ones."""
    shares: list[float] = []
    for t in ts:
        if t.dim() == 0 or t.shape[0] < REPEAT_MIN_SAMPLES or t.numel() > 5e7 or t.is_complex():
            continue
        rows = t.detach().reshape(t.shape[0], -1)
        if not bool(((rows != 0) & (rows != 1)).any()):
            continue  # 0/1 only: a mask, a zero state or a placeholder of ones (a graph without node features)
        _, counts = torch.unique(rows, dim=0, return_counts=True)
        shares.append(float(counts.max()) / t.shape[0])
    return min(shares) if shares else None
