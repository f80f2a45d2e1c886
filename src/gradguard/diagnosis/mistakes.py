"""Common set-up slips that leave every measured gradient of the first batch looking healthy (issue 12, round 9).

Each sensor reads one quantity off the model, the optimizer or the batch's output, with a physical meaning and a
threshold set against the healthy cases of every seen half of the judgment corpus (dev, heldout, fresh..fresh7,
seeds 0 and 1; measured with ``/tmp``-scratch scripts, figures in docs/judgment_log.md):

* ``init`` — **a network at zero, or symmetric**: more than ``ZERO_LAYERS_FRAC`` of the weight layers (modules
  with a weight of 2 or more dimensions) have every weight exactly 0, or give every one of their units the same
  incoming weights (``constant_(w, 0.02)``: every row equal; a one-unit head that weighs all inputs alike). Every
  unit of a layer then computes the same thing and gets the same gradient, so symmetry is never broken (and at
  zero no signal passes). Designs that zero a part stay below it: a zero head (ViT, 1 of 14), zero residual
  projections (GPT, 8 of 19: 0.42), Fixup's zero branches (10 of 22), RealNVP's zero coupling outputs (4 of 12),
  ConvNeXt-V2's zero GRN; the healthy cases of all nineteen halves reach at most 0.5 (skip-gram's zero context
  vectors).
* ``normalization`` — **a BatchNorm frozen with statistics it never collected**: a BatchNorm in eval mode inside a
  model in training mode whose running statistics are still exactly the defaults (mean 0, variance 1).
  It then divides by 1 and subtracts 0: the network trains un-normalised. (Frozen BatchNorm with statistics it
  learnt, as when fine-tuning a detector, is a design and is not flagged.) No healthy seen case has one.
* ``regularization`` — **an embedding renormalised to nothing**: ``nn.Embedding(max_norm=...)`` with ``max_norm``
  below ``MAX_NORM_SHRINK`` of its rows' median norm (every forward shrinks a looked-up row more than 10x) and
  ``max_norm / sqrt(dim)`` below ``MAX_NORM_ELEMENT`` (the looked-up rows' RMS then sits under the smallest
  embedding init in use, NeuMF's N(0, 0.01)). No healthy seen case sets ``max_norm``.
* ``lr`` — **a schedule whose peak is far too high for Adam**: Adam's steps are sign-like, so at the schedule's
  peak lr a step moves each weight matrix by about ``peak_lr / rms(W)`` of its RMS; the parameter-weighted median
  (the measure of :class:`~gradguard.mitigation.early_hold.HoldEarlySteps`) at or above ``PEAK_SHARE_GATE``
  while the current lr is lower (a warm-up or OneCycle's start, which the step check judges). The gate is 1 (a
  step that moves the median weight matrix by its whole RMS; critical at ``PEAK_SHARE_CRIT`` = 10, the step
  check's ``ADAM_RATIO_CRIT``): 6.7x the largest healthy seen peak (0.15, Granite and Cohere LMs under their
  warm-up/cosine). It was the step check's 3 until session 25: accelerate's ``gradient_accumulation.py`` (a BERT
  2x128, AdamW behind a 100-step warm-up from 0) at lr 5e-2 peaks at 2.5 and ends at chance, and ``check`` said
  healthy; at 1 no verdict of the corpus moved (all 31 halves, seeds 0/1). HoldEarlySteps' stricter 0.3 would flag
  a BatchNorm CNN at PyTorch's default init under a OneCycle peak of 1e-2 (a fastai-style setting that trains).
* ``activation`` — **a probability squashed twice**: the model's output is made by a sigmoid (its autograd op,
  whatever module or function applied it) and the loss is ``binary_cross_entropy_with_logits`` of it (recognised
  by its value, not its name), so the prediction is
  ``sigmoid(p)`` in [0.5, 0.73]: it can never say "0" and its gradient is at most a quarter of the logit's.
  Likewise a softmax output (rows in [0, 1] summing to 1) into ``cross_entropy``, and (round 10) per-class
  sigmoids into ``cross_entropy``: its softmax of values in [0, 1] stays within e:1 of uniform, so the loss can
  never fall below ``log(1 + (C - 1) / e)`` and the gradient through the sigmoid is damped by its slope (<= 1/4).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .._tensors import default_init_std
from ..mitigation.early_hold import median_step_share
from .findings import Finding

__all__ = ["MAX_NORM_ELEMENT", "MAX_NORM_SHRINK", "OVERFLOW_GROWTH_DECADES", "PEAK_SHARE_CRIT", "PEAK_SHARE_GATE",
           "ZERO_LAYERS_FRAC", "call_growth", "double_squash", "double_squash_findings", "frozen_norm_findings",
           "max_norm_findings", "overflow_growth", "peak_lr_findings", "squash_in_graph", "zero_network_findings"]

ZERO_LAYERS_FRAC = 0.75
MAX_NORM_SHRINK = 0.1
MAX_NORM_ELEMENT = 1e-2
PEAK_SHARE_GATE = 1.0
PEAK_SHARE_CRIT = 10.0
#: the share a sign-like step should move a weight matrix by (HoldEarlySteps' target)
PEAK_SHARE_TARGET = 0.1


def _weight_layers(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    out: list[tuple[str, torch.Tensor]] = []
    for n, m in model.named_modules():
        w = getattr(m, "weight", None)
        if isinstance(w, torch.Tensor) and w.dim() >= 2 and w.numel() > 0:
            out.append((n, w))
    return out


def _rows_equal(w: torch.Tensor) -> bool:
    """Every unit of the layer gets the same incoming weights (two or more rows, all equal), or a single-row layer
    weighs all its inputs alike (one value, two or more times): a constant init, e.g. 0.02 everywhere."""
    rows = w.detach().reshape(w.shape[0], -1)
    if rows.shape[0] < 2:
        return rows.numel() >= 2 and bool((rows == rows.flatten()[0]).all())
    return bool((rows == rows[:1]).all())


def zero_network_findings(model: nn.Module, schemes: dict[str, tuple[str, float]] | None = None) -> list[Finding]:
    """``init`` (critical) when more than ``ZERO_LAYERS_FRAC`` of the weight layers are exactly zero; ``schemes``:
    the init each weight's activation wants (``"name.weight" -> (scheme, std)``, from the probe), which
    ``fix`` applies (PyTorch's default scale, std ``1 / sqrt(3 fan_in)``, for a weight without one)."""
    layers = _weight_layers(model)
    if len(layers) < 2:
        return []
    with torch.no_grad():
        at_0 = {n: not bool(w.detach().any()) for n, w in layers}
        zero = [n for n, w in layers if at_0[n] or _rows_equal(w)]
    at_zero = all(at_0[n] for n in zero)
    frac = len(zero) / len(layers)
    if frac <= ZERO_LAYERS_FRAC:
        return []
    fixes: dict[str, dict[str, Any]] = {}
    for n, w in layers:
        if n in zero:
            key = f"{n}.weight" if n else "weight"
            scheme, std = (schemes or {}).get(key, ("pytorch_default", default_init_std(w[0].numel())))
            fixes[key] = {"param": "weight", "scheme": scheme, "expected_std": std}
    return [Finding(
        cause="init", layers=zero, severity="critical", confidence=0.9,
        evidence={"zero_weight_layers": len(zero), "weight_layers": len(layers), "fraction": round(frac, 3),
                  "all_zero": at_zero,
                  "layers": fixes,
                  "expected": f"<= {ZERO_LAYERS_FRAC:g} (a zero head or zero residual branches is a design)"},
        message=(f"{len(zero)} of {len(layers)} weight layers have every weight exactly 0: no signal passes through "
                 "the network, and every unit of a layer gets the same gradient, so symmetry is never broken."
                 if at_zero else
                 f"{len(zero)} of {len(layers)} weight layers give every unit the same incoming weights (zero or a "
                 "constant): every unit of a layer computes the same thing and gets the same gradient, so symmetry "
                 "is never broken and each layer acts as a single unit."),
        prescription=("Initialise the weights randomly (PyTorch's default, or He/Xavier for the activation); keep "
                      "zeros only for a head or the last layer of residual branches. fix(model, diagnosis) draws "
                      "them at the scale each layer's activation wants."),
        code="from gradguard.diagnosis import fix\nchanges = fix(model, diagnosis)  # re-initialises these layers",
        score=2.0,
    )]


def frozen_norm_findings(model: nn.Module, called: set[str] | None = None, *, training: bool = False) -> list[Finding]:
    """``normalization`` (warning) for BatchNorm layers in eval mode, in a model in training mode, whose running
    statistics were never collected (``called``: the module names the forward ran; None: all). ``training``: the
    step checked is a training step (an optimizer was given): a whole model left in eval mode counts too (its
    ``model.eval()`` never undone by ``model.train()``)."""
    whole = not model.training
    if whole and not training:
        return []
    frozen: list[str] = []
    with torch.no_grad():
        for n, m in model.named_modules():
            if not isinstance(m, nn.modules.batchnorm._BatchNorm) or m.training or not m.track_running_stats:
                continue
            if called is not None and n not in called:
                continue
            mean, var = m.running_mean, m.running_var
            if mean is None or var is None:
                continue
            # the values, not num_batches_tracked: older checkpoints load learnt statistics without that count
            if not bool(mean.any()) and bool((var == 1).all()):
                frozen.append(n)
    if not frozen:
        return []
    return [Finding(
        cause="normalization", layers=frozen, severity="warning", confidence=0.8,
        evidence={"frozen_batchnorm_layers": len(frozen), "running_stats": "defaults (mean 0, var 1)",
                  "model_in_eval_mode": whole,
                  "expected": "BatchNorm in training mode while training, or frozen with learnt statistics"},
        message=((f"The model is in eval mode (model.eval() never undone by model.train()) while it trains: its "
                  f"{len(frozen)} BatchNorm layer(s) use running statistics they never collected" if whole else
                  f"{len(frozen)} BatchNorm layer(s) are in eval mode while the model trains, with running statistics "
                  "they never collected")
                 + " (mean 0, variance 1): they subtract 0 and divide by 1, so the network trains without "
                 "normalisation."),
        prescription=("Keep BatchNorm in training mode when training from scratch (freeze it only with statistics "
                      "learnt on data, e.g. from a pretrained model)."),
        code=("model.train()  # before the training loop (and after any evaluation)" if whole else
              "model.train()  # and drop the override that puts BatchNorm in eval mode"),
        score=1.0,
    )]


def max_norm_findings(model: nn.Module) -> list[Finding]:
    """``regularization`` (warning) for embeddings whose ``max_norm`` shrinks every looked-up row to nothing."""
    bad: dict[str, dict[str, float]] = {}
    with torch.no_grad():
        for n, m in model.named_modules():
            if not isinstance(m, nn.Embedding | nn.EmbeddingBag) or m.max_norm is None or m.weight.numel() == 0:
                continue
            w = m.weight.detach().float()
            row = float(w.norm(p=m.norm_type, dim=1).median())
            dim = w.shape[1]
            cap = float(m.max_norm)
            if math.isfinite(row) and row > 0 and cap < MAX_NORM_SHRINK * row and \
                    cap / math.sqrt(dim) < MAX_NORM_ELEMENT:
                bad[n] = {"max_norm": cap, "row_norm_median": round(row, 4), "element_rms_cap": cap / math.sqrt(dim)}
    if not bad:
        return []
    worst = min(v["max_norm"] / v["row_norm_median"] for v in bad.values())
    return [Finding(
        cause="regularization", layers=sorted(bad), severity="warning", confidence=0.8,
        evidence={"embeddings": bad, "expected": f"max_norm >= {MAX_NORM_SHRINK:g} x the rows' norm, or "
                  f"max_norm / sqrt(dim) >= {MAX_NORM_ELEMENT:g}"},
        message=(f"{len(bad)} embedding(s) have max_norm far below their rows' norm (down to {worst:.2g}x): every "
                 "forward renormalises each looked-up row to that tiny norm, so the embeddings carry almost no "
                 "signal and their gradient is as small."),
        prescription="Drop max_norm, or set it about the rows' norm at init (e.g. 1.0 for N(0, 1/dim) rows).",
        code="embedding.max_norm = None",
        score=math.log10(1.0 / max(worst, 1e-12)),
    )]


def peak_lr_findings(optimizer: torch.optim.Optimizer, family: str | None, lrs: list[float] | None,
                     peak_lrs: list[float] | None) -> list[Finding]:
    """``lr`` when an Adam-family optimizer's schedule peaks where a step moves the median weight matrix by
    ``PEAK_SHARE_GATE`` or more of its RMS (critical at ``PEAK_SHARE_CRIT``), above the lr checked now."""
    if family != "adam" or peak_lrs is None:
        return []
    now = lrs if lrs is not None else [float(g.get("lr", 0.0)) for g in optimizer.param_groups]
    if not any(p > c * 1.0001 for p, c in zip(peak_lrs, now, strict=False)):
        return []
    share, share_now = median_step_share(optimizer, peak_lrs), median_step_share(optimizer, now)
    if share is None or share < PEAK_SHARE_GATE:
        return []
    scale = PEAK_SHARE_TARGET / share
    top = max(peak_lrs)
    return [Finding(
        cause="lr", layers=[], severity="critical" if share >= PEAK_SHARE_CRIT else "warning", confidence=0.8,
        evidence={"peak_lr": top, "lr_now": max(now), "peak_lr_to_weight_rms": round(share, 4),
                  "lr_now_to_weight_rms": None if share_now is None else round(share_now, 4),
                  "gate": PEAK_SHARE_GATE, "suggested_lr": top * scale, "schedule_peak": True,
                  "expected": f"< {PEAK_SHARE_GATE:g} (healthy Adam runs of the corpus at their peak: <= 0.15)"},
        message=(f"The schedule takes Adam's lr up to {top:.3g}, where each sign-like step moves the median weight "
                 f"matrix by {share:.2g} of its RMS (healthy runs: <= 0.15; flagged from {PEAK_SHARE_GATE:g}): "
                 "once the schedule gets there the steps rewrite the weights."),
        prescription=(f"Lower the schedule's peak lr to about {top * scale:.2g} (a step of {PEAK_SHARE_TARGET:g} of "
                      "the weights' RMS); for OneCycleLR with Adam, max_lr about 1e-3 rather than SGD's 0.1."),
        code=f"# e.g. OneCycleLR(optimizer, max_lr={top * scale:.2g}, total_steps=...)",
        score=math.log10(share / PEAK_SHARE_TARGET) + 1.0,
    )]


_SHAPE_ONLY = ("View", "Squeeze", "Unsqueeze", "Reshape", "Permute", "Transpose", "Clone", "Slice", "Select",
               "Flatten", "Expand", "Contiguous", "ToCopy")


def _made_by(output: torch.Tensor) -> str:
    """The autograd op that computed ``output``, looking through shape-only ops (view, squeeze, ...)."""
    return _node_made_by(output.grad_fn)


def double_squash(output: Any, targets: Any, loss: torch.Tensor, loss_fn: Any) -> str | None:
    """``"sigmoid"``, ``"softmax"`` or ``"sigmoid_softmax"`` (sigmoids into ``cross_entropy``) when ``output``
    was made by a sigmoid/softmax (its autograd op, whatever module
    or function applied it) and ``loss_fn`` is the with-logits loss of it (its value equals
    ``binary_cross_entropy_with_logits`` / ``cross_entropy`` of it); None otherwise."""
    if not isinstance(output, torch.Tensor) or not output.is_floating_point() or output.numel() < 2:
        return None
    made = _made_by(output)
    if not isinstance(targets, torch.Tensor):
        return None
    if not (made.startswith("Sigmoid") or made.startswith("Softmax")):
        # recognised by what it is, not by its last op: a mixture of softmaxes (RepeatNet's repeat/explore modes,
        # fresh53) is a distribution too, every row non-negative and summing to 1
        if not _rows_are_distributions(output):
            return None
        made = "Softmax (a mixture of distributions)"
    import torch.nn.functional as F

    with torch.no_grad():
        out = output.detach().float()
        if not bool(torch.isfinite(out).all()) or float(out.min()) < 0 or float(out.max()) > 1:
            return None
        value = float(loss.detach())
        try:
            if made.startswith("Sigmoid") and targets.is_floating_point() and targets.shape == output.shape:
                ref = float(F.binary_cross_entropy_with_logits(out, targets.float()))
                if math.isclose(ref, value, rel_tol=1e-4, abs_tol=1e-6):
                    return "sigmoid"
            if made.startswith("Softmax") and not targets.is_floating_point() and out.ndim >= 2 and \
                    bool(torch.allclose(out.sum(1), torch.ones_like(out.sum(1)), atol=1e-4)):
                ref = float(F.cross_entropy(out, targets))
                if math.isclose(ref, value, rel_tol=1e-4, abs_tol=1e-6):
                    return "softmax"
            if made.startswith("Sigmoid") and not targets.is_floating_point() and out.ndim >= 2 and \
                    out.shape[1] >= 2:
                ref = float(F.cross_entropy(out, targets))
                if math.isclose(ref, value, rel_tol=1e-4, abs_tol=1e-6):
                    return "sigmoid_softmax"
        except Exception:  # shapes the reference losses do not take: not this slip
            return None
    return None


def _rows_are_distributions(output: torch.Tensor) -> bool:
    """Whether ``output`` (batch, classes, ...) is non-negative and sums to 1 over its class axis (dim 1) for every
    row: class probabilities, whatever op made them."""
    if output.ndim < 2 or output.shape[1] < 2:
        return False
    with torch.no_grad():
        out = output.detach().float()
        if not bool(torch.isfinite(out).all()) or float(out.min()) < 0:
            return False
        sums = out.sum(1)
        return bool(torch.allclose(sums, torch.ones_like(sums), atol=1e-4))


#: autograd ops between a loss node and the scalar the closure returns (reductions, weighting, sums of losses)
_LOSS_COMBINE = ("Mean", "Sum", "Div", "Mul", "Add", "Sub", *_SHAPE_ONLY)


def squash_in_graph(loss: torch.Tensor) -> str | None:
    """The double squashing read off the loss's autograd graph, for a closure (no output or targets to hand):
    ``"sigmoid"`` when a ``binary_cross_entropy_with_logits`` node takes a sigmoid's output, ``"softmax"`` /
    ``"sigmoid_softmax"`` when ``cross_entropy``'s log-softmax takes a softmax's / sigmoid's output (looking through
    shape-only ops); only loss nodes within a few reduction/combination ops of the returned scalar count."""
    node = getattr(loss, "grad_fn", None)
    frontier, seen = [node] if node is not None else [], set()
    for _ in range(6):
        nxt = []
        for f in frontier:
            if f is None or id(f) in seen:
                continue
            seen.add(id(f))
            name = type(f).__name__
            if name.startswith("BinaryCrossEntropyWithLogits") or name.startswith("LogSoftmax"):
                inputs = [g for g, _ in f.next_functions if g is not None]
                made = _node_made_by(inputs[0]) if inputs else ""
                if name.startswith("Binary") and made.startswith("Sigmoid"):
                    return "sigmoid"
                if name.startswith("LogSoftmax") and made.startswith("Softmax"):
                    return "softmax"
                if name.startswith("LogSoftmax") and made.startswith("Sigmoid"):
                    return "sigmoid_softmax"
                continue
            if name.startswith("NllLoss") or any(name.startswith(k) for k in _LOSS_COMBINE):
                nxt += [g for g, _ in f.next_functions if g is not None]
        frontier = nxt
    return None


def _node_made_by(node: Any) -> str:
    """The autograd node's op name, looking through shape-only ops ("" when none)."""
    for _ in range(8):
        if node is None:
            return ""
        name = type(node).__name__
        if not any(name.startswith(k) for k in _SHAPE_ONLY):
            return name
        nxt = [f for f, _ in node.next_functions if f is not None]
        node = nxt[0] if nxt else None
    return ""


def double_squash_findings(kind: str | None) -> list[Finding]:
    """``activation`` (critical) when the output, already a probability, goes through the loss's own squashing."""
    if kind is None:
        return []
    loss = "binary_cross_entropy_with_logits" if kind == "sigmoid" else "cross_entropy"
    bound = "sigmoid(p) stays in [0.5, 0.73]" if kind == "sigmoid" else "softmax(p) stays within e:1 of uniform"
    again = kind
    if kind == "sigmoid_softmax":  # per-class sigmoids into cross_entropy: its softmax of values in [0, 1]
        kind, again = "sigmoid", "softmax"
    return [Finding(
        cause="activation", layers=[], severity="critical", confidence=0.9,
        evidence={"output": f"already a probability ({kind})", "loss": loss,
                  "expected": "logits (unbounded) into a with-logits loss"},
        message=(f"The model's output is already a {kind} probability in [0, 1] and the loss ({loss}) applies "
                 f"a {again} on top: {bound}, so the prediction can never reach the targets and the gradient is damped "
                 "by the second squashing."),
        prescription=(f"Remove the final {kind} from the model (the loss applies it), or use the loss that takes "
                      "probabilities (binary_cross_entropy / nll_loss of the log)."),
        code=f"# drop the model's last {kind}; keep {loss} on the raw logits",
        score=2.0,
    )]


#: decades a value must grow along one axis before it overflows, for the overflow to be a compounding (recurrence)
OVERFLOW_GROWTH_DECADES = 3.0


def overflow_growth(y: torch.Tensor) -> dict[str, Any] | None:
    """How a non-finite output overflowed, when it did by compounding along one axis (a recurrence unrolled over
    time, a kernel of powers ``a ** l``): every position before some ``l`` finite, every one from it on not (per
    row along that axis), and the finite values growing by ``>= OVERFLOW_GROWTH_DECADES`` up to it. None when no
    axis of at least 8 positions shows it (a 0/0 or a log of 0 is non-finite from the first position)."""
    if not y.is_floating_point() or y.ndim == 0:
        return None
    with torch.no_grad():
        yf = y.detach().float()
        for axis in range(yf.ndim):
            length = yf.shape[axis]
            if length < 8:
                continue
            rows = yf.movedim(axis, -1).reshape(-1, length)
            bad = ~torch.isfinite(rows)
            hit = bad.any(dim=1)
            if not bool(hit.any()) or bool(bad[:, 0].any()):
                continue
            if not bool(torch.equal(bad.int().cummax(dim=1).values.bool(), bad)):  # not a tail on every row
                continue
            first = bad.int().argmax(dim=1)[hit]
            sub = rows[hit]
            keep = first >= 2
            if not bool(keep.any()):
                continue
            sub, first = sub[keep], first[keep]
            start = sub[:, 0].abs().clamp_min(1e-30).log10()
            end = sub.gather(1, (first - 1)[:, None]).squeeze(1).abs().clamp_min(1e-30).log10()
            growth = float((end - start).median())
            if growth >= OVERFLOW_GROWTH_DECADES:
                return {"axis": axis, "length": length, "first_non_finite_at": int(first.min()),
                        "growth_decades": round(growth, 1)}
    return None


def call_growth(records: list[Any]) -> dict[str, Any] | None:
    """How a module called again and again in one forward (a recurrent cell stepped in a Python loop, a CT-RNN's
    ``W_rec h``) overflowed by compounding over its calls: its output's RMS grows by ``>= OVERFLOW_GROWTH_DECADES``
    from its first non-zero call to its last finite one, and every call from some ``k`` on is non-finite (or is
    fed a non-finite input). ``records``: the probe's call records. None when no module of 8 or more calls shows
    it."""
    calls: dict[str, list[Any]] = {}
    for r in records:
        calls.setdefault(r.name, []).append(r)
    best: dict[str, Any] | None = None
    for name, rs in calls.items():
        if len(rs) < 8:
            continue
        rs = sorted(rs, key=lambda r: r.call)
        bad = [not (r.out_finite and r.in_finite) for r in rs]
        if not any(bad) or bad[0]:
            continue
        k = bad.index(True)
        if not all(bad[k:]):
            continue
        rms = [r.out_rms for r in rs[:k] if math.isfinite(r.out_rms) and r.out_rms > 0]
        if len(rms) < 2:
            continue
        growth = math.log10(rms[-1] / rms[0])
        if growth >= OVERFLOW_GROWTH_DECADES and (best is None or growth > best["growth_decades"]):
            best = {"module": name, "axis": "calls", "length": len(rs), "first_non_finite_at": k,
                    "growth_decades": round(growth, 1)}
    return best
