"""What a corpus case builds (:class:`Setup`), the synthetic data it trains on, and the plain-PyTorch ground truth.

Nothing here imports gradguard: the ground truth (:func:`train_plain`) is plain PyTorch, and a guard is only ever
passed in by the caller (:meth:`Setup.train_step`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

LossFn = Callable[[Any, Any], torch.Tensor]


@dataclass
class Setup:
    """One model ready to check and to train, as a user of that architecture would set it up.

    Attributes:
        model: the model, in training mode.
        optimizer: its optimizer at the setting its paper or library uses (or the broken one).
        scheduler: the LR scheduler (stepped once per applied optimizer step) or None.
        batch: the batch to pass to ``gradguard.check``: ``(inputs, targets)`` when ``loss_fn`` is set, a dict of
            keyword arguments for an HF-style model (``model(**batch).loss``) when it is None and the model computes
            its loss, or the same ``(inputs, targets)`` for models whose forward needs the closure.
        loss_fn: ``loss_fn(model(inputs), targets)`` is the loss; None when the model computes its loss or when only
            the closure can (``needs_closure``).
        compute_loss: ``compute_loss(model, batch) -> scalar loss`` for any batch of this case.
        batches: ``batches(step) -> batch`` the training batch of optimizer step ``step`` (deterministic).
        clip: the user's own ``clip_grad_norm_`` max norm before each step (None: no clipping).
        needs_closure: the forward takes more than ``inputs`` or returns more than the output (a hidden state).
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any | None
    batch: Any
    loss_fn: LossFn | None
    compute_loss: Callable[[nn.Module, Any], torch.Tensor]
    batches: Callable[[int], Any]
    clip: float | None = None
    needs_closure: bool = False
    last_report: Any = None

    @property
    def closure(self) -> Callable[[nn.Module], torch.Tensor]:
        """``closure(model) -> loss`` on :attr:`batch` (the form ``gradguard.check(closure=...)`` takes)."""
        batch = self.batch
        return lambda m: self.compute_loss(m, batch)

    def train_step(self, step: int, guard: Any | None = None) -> float:
        """One training step on ``batches(step)``: zero grads, forward, backward, optional clip, then
        ``guard.step(loss, closure=...)`` when a guard is given (it steps optimizer and scheduler) or
        ``optimizer.step()`` and ``scheduler.step()``. Returns the loss as a float (NaN/Inf kept); the guard's
        report is kept in :attr:`last_report`."""
        batch = self.batches(step)
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.compute_loss(self.model, batch)
        loss.backward()
        if self.clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        if guard is not None:
            self.last_report = guard.step(loss.detach(), closure=lambda m: self.compute_loss(m, batch))
        else:
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
        return float(loss.detach())


# ---- losses ----------------------------------------------------------------------------------------------------------

def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Token cross-entropy over ``(batch, time, vocab)`` logits; also accepts ``(logits, hidden)`` tuples."""
    if isinstance(logits, tuple):
        logits = logits[0]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def model_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """HF-style: ``model(**batch).loss``."""
    return model(**batch).loss


def with_loss_fn(loss_fn: LossFn) -> Callable[[nn.Module, Any], torch.Tensor]:
    """``compute_loss`` for ``(inputs, targets)`` batches: ``loss_fn(model(inputs), targets)``."""
    return lambda model, batch: loss_fn(model(batch[0]), batch[1])


# ---- data: small, learnable, deterministic per seed ------------------------------------------------------------------

POOL = 32  # distinct training batches per case, cycled


def _pool(seed: int, make: Callable[[torch.Generator], Any]) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(10_000 + seed)
    pool = [make(g) for _ in range(POOL)]
    return lambda step: pool[step % POOL]


def markov_tokens(g: torch.Generator, batch: int = 16, length: int = 33, vocab: int = 64,
                  follow: float = 0.8) -> torch.Tensor:
    """Token ids from a fixed sparse Markov chain (next = a fixed permutation of the current token with probability
    ``follow``, else uniform): a language a small LM learns in ~100 steps, from ln(vocab) nats towards ~1."""
    perm = torch.randperm(vocab, generator=torch.Generator().manual_seed(1234))
    x = torch.empty(batch, length, dtype=torch.long)
    x[:, 0] = torch.randint(0, vocab, (batch,), generator=g)
    for t in range(1, length):
        keep = torch.rand(batch, generator=g) < follow
        x[:, t] = torch.where(keep, perm[x[:, t - 1]], torch.randint(0, vocab, (batch,), generator=g))
    return x


def lm_batches(seed: int, vocab: int = 64, length: int = 33, batch: int = 8) -> Callable[[int], Any]:
    """``(inputs, next-token targets)`` pairs, inputs ``(batch, length-1)`` token ids."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def hf_lm_batches(seed: int, vocab: int = 64, length: int = 32, batch: int = 8) -> Callable[[int], Any]:
    """``{"input_ids", "labels"}`` dicts for HF causal LMs (they shift the labels themselves)."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return {"input_ids": x, "labels": x.clone()}
    return _pool(seed, make)


def mlm_batches(seed: int, vocab: int = 64, mask_id: int = 1, length: int = 32, batch: int = 8,
                rate: float = 0.15, used: int = 16) -> Callable[[int], Any]:
    """BERT masked-LM dicts over a Markov text using ``used`` of the ids (2 .. used+1; real text's unigram is skewed
    too): ``rate`` of the tokens replaced by ``mask_id``; labels -100 elsewhere."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, used) + 2
        masked = torch.rand(x.shape, generator=g) < rate
        labels = torch.where(masked, x, torch.full_like(x, -100))
        return {"input_ids": torch.where(masked, torch.full_like(x, mask_id), x), "labels": labels}
    return _pool(seed, make)


def _teacher(d: int, classes: int) -> torch.Tensor:
    return torch.randn(d, classes, generator=torch.Generator().manual_seed(4321))


def vector_batches(seed: int, d: int = 32, classes: int = 10, batch: int = 64, scale: float = 1.0,
                   nan_at: int | None = None) -> Callable[[int], Any]:
    """Gaussian vectors labelled by a fixed random linear teacher (argmax); inputs times ``scale``; with
    ``nan_at``, that sample of every batch holds a NaN feature (a corrupt record)."""
    w = _teacher(d, classes)

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, d, generator=g)
        y = (x @ w).argmax(1)
        x = x * scale
        if nan_at is not None:
            x[nan_at, 0] = float("nan")
        return x, y
    return _pool(seed, make)


def regression_batches(seed: int, d: int = 16, batch: int = 64, target_scale: float = 1.0) -> Callable[[int], Any]:
    """Inputs ``N(0, 1)``, targets a fixed smooth function of them (times ``target_scale``)."""
    w = torch.randn(d, 1, generator=torch.Generator().manual_seed(99)) / math.sqrt(d)

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, d, generator=g)
        return x, torch.sin(2 * (x @ w)) * target_scale
    return _pool(seed, make)


def image_batches(seed: int, channels: int = 3, size: int = 32, classes: int = 10, batch: int = 16,
                  scale: float = 1.0, as_dict: bool = False) -> Callable[[int], Any]:
    """Images = a fixed smooth template per class + noise (unit scale, times ``scale``); ``as_dict`` gives
    ``{"pixel_values", "labels"}`` for HF vision models."""
    tg = torch.Generator().manual_seed(777)
    templates = F.interpolate(torch.randn(classes, channels, 4, 4, generator=tg), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = (templates[y] + 0.7 * torch.randn(batch, channels, size, size, generator=g)) * scale
        return {"pixel_values": x, "labels": y} if as_dict else (x, y)
    return _pool(seed, make)


def denoise_batches(seed: int, channels: int = 1, size: int = 16, batch: int = 8) -> Callable[[int], Any]:
    """(noisy image, clean image) pairs of smooth random fields, for a U-Net regression."""
    def make(g: torch.Generator) -> Any:
        clean = F.interpolate(torch.randn(batch, channels, 4, 4, generator=g), size=(size, size), mode="bilinear",
                              align_corners=False)
        return clean + 0.5 * torch.randn(clean.shape, generator=g), clean
    return _pool(seed, make)


def sequence_batches(seed: int, length: int = 20, vocab: int = 32, classes: int = 4, batch: int = 32,
                     first_token: bool = False) -> Callable[[int], Any]:
    """Token sequences labelled by their most frequent class (``token % classes``), or with ``first_token`` by the
    class of their first token (a dependency across the whole sequence)."""
    def make(g: torch.Generator) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        if first_token:
            y = x[:, 0] % classes
        else:
            y = F.one_hot(x % classes, classes).sum(1).argmax(1)
        return x, y
    return _pool(seed, make)


# ---- ground truth ----------------------------------------------------------------------------------------------------

@dataclass
class PlainRun:
    """The record of a run without gradguard.

    Attributes:
        losses: loss per step (NaN/Inf kept).
        first_nonfinite: first step whose loss or updated weights are NaN/Inf, or None.
        first_divergence: first step whose loss is above twice the first step's and above the previous step's.
        weight_growth: largest ratio of the global weight norm to its start.
        first_weight_growth: first step where the weight norm passed ``growth_limit`` times its start.
        learned: the mean loss of the last tenth is below ``learn_ratio`` times the first step's (or chance's).
    """

    losses: list[float] = field(default_factory=list)
    first_nonfinite: int | None = None
    first_divergence: int | None = None
    weight_growth: float = 1.0
    first_weight_growth: int | None = None
    learned: bool = False

    @property
    def start(self) -> float:
        return self.losses[0] if self.losses else math.nan

    @property
    def end(self) -> float:
        tail = self.losses[-max(1, len(self.losses) // 10):]
        return sum(tail) / len(tail)

    def failure_step(self, trouble: tuple[str, ...]) -> int | None:
        """The first step at which one of ``trouble`` shows (no learning counts at the last step)."""
        steps = []
        if "nonfinite" in trouble and self.first_nonfinite is not None:
            steps.append(self.first_nonfinite)
        if "diverge" in trouble:
            steps += [s for s in (self.first_divergence, self.first_nonfinite) if s is not None]
        if "weight_growth" in trouble and self.first_weight_growth is not None:
            steps.append(self.first_weight_growth)
        if "no_learning" in trouble and not self.learned:
            steps.append(len(self.losses) - 1)
        return min(steps) if steps else None


    def failure_label(self, trouble: tuple[str, ...]) -> str:
        """What the plain run showed first, e.g. ``"nonfinite @0"``, ``"diverge @3"``, ``"no learning @199"``."""
        step = self.failure_step(trouble)
        if step is None:
            return "none"
        if step == self.first_nonfinite and ("nonfinite" in trouble or "diverge" in trouble):
            return f"nonfinite @{step}"
        if step == self.first_divergence and "diverge" in trouble:
            return f"diverge @{step}"
        if step == self.first_weight_growth and "weight_growth" in trouble:
            return f"weights x10 @{step}"
        return f"no learning @{step}"


def _weight_norm(model: nn.Module) -> float:
    with torch.no_grad():
        return float(torch.stack([(p.detach().float() ** 2).sum() for p in model.parameters()]).sum().sqrt())


class PlainRecorder:
    """Records a run step by step into a :class:`PlainRun` (what :func:`run_plain` does; also used on a monitored
    run that raised nothing, which trains exactly as the plain run does: ``tests/test_judgment.py`` checks that)."""

    def __init__(self, model: nn.Module, growth_limit: float = 10.0) -> None:
        self.model = model
        self.growth_limit = growth_limit
        self.out = PlainRun()
        self.w0 = _weight_norm(model)

    def record(self, step: int, loss: float) -> bool:
        """Record step ``step``'s loss (after its update); False once the weights are non-finite (nothing more can
        happen)."""
        out = self.out
        out.losses.append(loss)
        w = _weight_norm(self.model)
        if out.first_nonfinite is None and not (math.isfinite(loss) and math.isfinite(w)):
            out.first_nonfinite = step
        if (out.first_divergence is None and step > 0 and math.isfinite(loss) and loss > 2 * out.losses[0]
                and loss > out.losses[-2]):
            out.first_divergence = step
        if math.isfinite(w) and self.w0 > 0:
            out.weight_growth = max(out.weight_growth, w / self.w0)
            if out.first_weight_growth is None and w > self.growth_limit * self.w0:
                out.first_weight_growth = step
        return math.isfinite(w)

    def early_failure(self, trouble: tuple[str, ...]) -> bool:
        """Whether one of ``trouble``'s step-stamped failures (non-finite, divergence, weight growth) has shown: the
        failure step can no longer change, whatever the rest of the run does."""
        out = self.out
        return ((out.first_nonfinite is not None and ("nonfinite" in trouble or "diverge" in trouble))
                or ("diverge" in trouble and out.first_divergence is not None)
                or ("weight_growth" in trouble and out.first_weight_growth is not None))

    def finish(self, learn_ratio: float = 0.75, chance: float | None = None) -> PlainRun:
        out = self.out
        ref = out.start if chance is None else min(out.start, chance)
        out.learned = out.first_nonfinite is None and math.isfinite(out.end) and out.end < learn_ratio * ref
        return out


def run_plain(setup: Setup, steps: int, learn_ratio: float = 0.75, growth_limit: float = 10.0,
              chance: float | None = None, stop_at_failure: tuple[str, ...] = ()) -> PlainRun:
    """Train ``setup`` for ``steps`` steps without any guard and record what happened (stops early once weights are
    non-finite: nothing more can happen). Learned: the last tenth's mean loss is below ``learn_ratio`` times the
    smaller of the first loss and ``chance`` (the loss of a uniform prediction, when the task has one).
    ``stop_at_failure``: a case's trouble kinds; the run stops once one of them has shown with its step (its
    ``failure_step(trouble)`` is then final; ``learned`` and ``end`` describe the shortened run)."""
    rec = PlainRecorder(setup.model, growth_limit)
    for step in range(steps):
        if not rec.record(step, setup.train_step(step)):
            break
        if stop_at_failure and rec.early_failure(stop_at_failure):
            break
    return rec.finish(learn_ratio, chance)


def scaled_lr(build: Callable[..., Setup], lr: float) -> Callable[[int], Setup]:
    """``build`` with every group's lr set to ``lr`` and no scheduler."""
    def make(seed: int) -> Setup:
        setup = build(seed)
        for group in setup.optimizer.param_groups:
            group["lr"] = lr
        setup.scheduler = None
        return setup
    return make
