"""Hugging Face Transformers: a ``TrainerCallback`` that guards every optimizer step of ``Trainer.train``.

::

    from gradguard.integrations.hf import GradGuardTrainerCallback

    args = TrainingArguments(..., max_grad_norm=0)          # gradguard clips instead of the Trainer
    policy = gradguard.safe(max_norm=1.0)                   # the Trainer's default clip, never looser
    trainer = Trainer(model, args, train_dataset=ds, callbacks=[GradGuardTrainerCallback(policy=policy)])

**Why ``max_grad_norm=0``.** The Trainer clips the gradients (``max_grad_norm``, default 1.0) *before* it calls
``on_pre_optimizer_step``, the last hook before ``optimizer.step()``, so a callback would only see clipped
gradients: the norms in the record would be wrong, an explosion would be invisible, and a NaN would already be
spread over every gradient by the clip. A post-accumulate-grad hook sees gradients before clipping, but it fires
once per parameter and per micro-batch, before DDP's all-reduce has finished and before AMP unscaling -- there is
no point in it where the step's full gradient exists. So the callback asks the Trainer not to clip
(``max_grad_norm=0``; a :class:`~gradguard.ConfigError` at ``on_train_begin`` otherwise) and lets the guard's
policy clip: ``clip_by_global_norm(1.0)`` is the Trainer's default clip, with the norm measured on the same
unscaled, all-reduced gradients. The guard measures at ``on_pre_optimizer_step`` and applies its decision with
:meth:`gradguard.Guard.observe`: on a skip every gradient is set to None, so the Trainer's ``optimizer.step()``
leaves weights and optimizer state alone (the Trainer still steps its LR scheduler and ``global_step``).

**The loss.** The Trainer does not hand the loss to callbacks; a forward hook on the model keeps ``outputs.loss``
of each training micro-batch on the device (no host read), and the guard records the loss the Trainer reports for
the step: the mean over the accumulated micro-batches, or their sum when the Trainer passed ``num_items_in_batch``
to the model (the Trainer then takes each micro-batch's loss as already divided by the token count of the whole
accumulated step, as causal LMs do, and sums them; a model that accepts the argument and ignores it is logged by
the Trainer at N times its mean loss, and recorded so too). A model whose output has no ``loss`` (a custom
``compute_loss``) gives the guard no loss.

**When something fires.** The forward hook also keeps (by reference) the arguments of the last training
micro-batch, and the guard gets ``closure=ModelLoss(args, kwargs)`` (``model(*args, **kwargs).loss``): only on an
alarm is it run, so a NaN step in a Trainer run gets the same origin module, ranked causes and replayable flight
record (``gradguard replay``) as in a plain loop. With gradient accumulation, the re-run is the last micro-batch.

**Deferred.** ``GradGuardTrainerCallback(sync="deferred")`` with a fused optimizer (``optim="adamw_torch_fused"``)
and a policy with a device twin (skips and clips, ``safe``): nothing of the step is read on the host before the
Trainer's ``optimizer.step()`` (see :mod:`gradguard.deferred`); ``last_report`` and the logged figures are those of
the previous step, and a skipped NaN step's batch is still re-run on the alarm path, one call later, on the same
weights.

**Culprit samples.** With an :class:`~gradguard.AttributeSpikes` in the policy, each spiking step is attributed
(data, state or hardware) from re-runs of its last micro-batch (``model(**batch).loss``, without
``num_items_in_batch``, on a copy of the model); the culprits get their dataset index from a
:class:`~gradguard.integrations.culprits.CulpritSampler` that ``on_train_begin`` wraps around the Trainer's own
train sampler, and with ``drop_culprits=True`` the culprits of a ``data`` verdict are never drawn again (later
batches and epochs; ``drop_file`` lists them). One process only; micro-batches are counted per epoch, so a run
resumed mid-epoch from a checkpoint names no dataset index in that epoch.

**Logs.** At each Trainer log, ``gradguard/skipped_steps``, ``gradguard/grad_norm`` and ``gradguard/clip_coef``
(of the latest step) are added to the logged dict and to ``trainer.state.log_history``. The Trainer calls its
``report_to`` trackers (TensorBoard, W&B, MLflow, ...) before user callbacks, so at ``on_train_begin`` the callback
puts a small log feeder in the Trainer's callback list just ahead of them: the ``gradguard/*`` scalars reach every
tracker the user configured, in its own run (no second run directory). The run record (``run_dir``, default
``<output_dir>/gradguard``) is the full story.
"""

from __future__ import annotations

import inspect
import os
import warnings
from pathlib import Path
from typing import Any

from .._optional import require

require("transformers", "gradguard.integrations.hf")

import torch  # noqa: E402
from transformers import TrainerCallback  # noqa: E402

from ..attribution._batch import batch_size  # noqa: E402
from ..attribution.keeper import AttributeSpikes, find_attributor  # noqa: E402
from ..errors import ConfigError  # noqa: E402
from ..guard import Guard  # noqa: E402
from .culprits import TrainerCulprits  # noqa: E402

__all__ = ["GradGuardTrainerCallback", "ModelLoss"]


class ModelLoss:
    """``closure(model) -> model(*args, **kwargs).loss``: the re-run of one Transformers micro-batch (picklable, so a
    flight record can replay it)."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.args = tuple(args)
        self.kwargs = dict(kwargs)

    def __call__(self, model: torch.nn.Module) -> torch.Tensor:
        out = model(*self.args, **self.kwargs)
        loss = out.get("loss") if isinstance(out, dict) else getattr(out, "loss", None)
        if not isinstance(loss, torch.Tensor):
            raise TypeError(f"{type(model).__name__} returned no .loss for this batch (does it hold labels?)")
        return loss


class _BatchLoss:
    """``batch_loss(model, kwargs) -> model(*args, **kwargs).loss`` (parts of a micro-batch too), for the
    attribution's re-runs."""

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.args = tuple(args)

    def __call__(self, model: torch.nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        return ModelLoss(self.args, batch)(model)


class GradGuardTrainerCallback(TrainerCallback):
    """Guards the Transformers Trainer's optimizer steps with a :class:`gradguard.Guard` (see the module docstring).

    Args:
        run_dir: directory of the run record. None (default): ``<args.output_dir>/gradguard``. False: no record.
        policy: the guard's policy (default ``"safe"``: skip non-finite steps, no clipping -- pass
            ``chain(skip_nonfinite(), clip_by_global_norm(1.0))`` to keep the Trainer's default clip).
        drop_culprits: with an :class:`~gradguard.AttributeSpikes` in the policy, never draw again the culprit
            samples of a ``data`` verdict (default False: they are named in the record only).
        drop_file: where to write the dropped dataset indices (a JSON list), or None (default).
        **guard_options: any other :class:`gradguard.Guard` option (``update_every``, ``detectors``, ``sinks``,
            ``tensorboard``, ``resume``, ...). ``scaler`` defaults to the Accelerate optimizer's GradScaler.

    Attributes:
        guard: the Guard, from ``on_train_begin`` on (None before).
        last_report: the :class:`gradguard.StepReport` of the latest step.
        skipped_steps: how many steps the guard skipped.
    """

    def __init__(self, run_dir: str | os.PathLike[str] | bool | None = None, policy: Any = "safe", *,
                 drop_culprits: bool = False, drop_file: str | os.PathLike[str] | None = None,
                 **guard_options: Any) -> None:
        if run_dir is True or not (run_dir is None or run_dir is False or isinstance(run_dir, (str, os.PathLike))):
            raise ConfigError("run_dir", run_dir, "a directory path, None (<output_dir>/gradguard) or False")
        for name in ("model", "optimizer"):
            if name in guard_options:
                raise ConfigError(name, guard_options[name], "not given: the callback takes the Trainer's")
        self.run_dir = run_dir
        self.policy = policy
        self.guard_options = guard_options
        self.guard: Guard | None = None
        self.last_report: Any = None
        self.skipped_steps = 0
        self._loss_sum: torch.Tensor | None = None
        self._loss_count = 0
        self._loss_summed = False  # micro-batch losses normalised by the whole step's num_items_in_batch
        self._batch: tuple[tuple[Any, ...], dict[str, Any]] | None = None  # the last training micro-batch
        self._observing = False
        self._hook: Any = None
        #: the attribution's batch source: culprit samples named and dropped (``dropped_samples``, ``drop_ids``)
        self.culprits = TrainerCulprits(drop_culprits, drop_file)
        self._attributor: AttributeSpikes | None = None
        self._micro = 0  # training micro-batches seen in the epoch under way
        self._batch_number = -1  # the epoch's index of the last one

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, optimizer: Any = None,
                       **kwargs: Any) -> None:
        """Check ``max_grad_norm``, build the guard over the model and the (unwrapped) optimizer, hook the loss."""
        if args.max_grad_norm is not None and args.max_grad_norm > 0:
            raise ConfigError("TrainingArguments.max_grad_norm", args.max_grad_norm, "0 with GradGuardTrainerCallback",
                              "The Trainer clips before any callback sees the gradients; set max_grad_norm=0 and "
                              f"give the guard your clip: GradGuardTrainerCallback(policy=gradguard.safe(max_norm="
                              f"{args.max_grad_norm:g})) (never looser than it; plain 'safe' has no fixed clip).")
        if model is None or optimizer is None:
            raise ConfigError("Trainer", "no model or optimizer at on_train_begin", "a transformers Trainer")
        inner = getattr(optimizer, "optimizer", optimizer)  # accelerate's AcceleratedOptimizer wraps the torch one
        options = dict(self.guard_options)
        scaler = getattr(optimizer, "scaler", None)
        if isinstance(scaler, torch.amp.GradScaler):
            options.setdefault("scaler", scaler)
        if self.run_dir is False:
            run_dir = None
        else:
            run_dir = Path(args.output_dir) / "gradguard" if self.run_dir is None else Path(self.run_dir)  # type: ignore[arg-type]
        if self.guard is not None:
            self.guard.close()
        self.guard = Guard(model, inner, run_dir, policy=self.policy, **options)
        self._loss_sum, self._loss_count = None, 0
        if self._hook is not None:
            self._hook.remove()
        self._hook = model.register_forward_hook(_LossHook(self), with_kwargs=True)
        self._feed_trackers()
        self._micro = 0
        self._attributor = find_attributor(self.guard.policy)
        if self._attributor is not None:
            self._attributor.bind(self.guard, self.culprits)
            drop = self.culprits.drop_culprits
            if args.world_size > 1:
                if drop:
                    warnings.warn("GradGuardTrainerCallback(drop_culprits=True) drops samples in one process only: "
                                  f"under {args.world_size} processes culprits are named, not dropped", stacklevel=2)
            elif not self.culprits.attach(kwargs.get("train_dataloader")) and drop:
                warnings.warn("GradGuardTrainerCallback(drop_culprits=True): the training loader has no index "
                              "sampler to wrap (an iterable dataset or a batch sampler): culprits are named, not "
                              "dropped", stacklevel=2)

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Count the epoch's micro-batches from 0 (batch ``k`` holds the sampler's ``k``-th ``batch_size`` indices)."""
        self._micro = 0

    def _feed_trackers(self) -> None:
        """Insert a :class:`_LogFeeder` ahead of the Trainer's reporting callbacks (found from the calling
        ``CallbackHandler``); without one (an unusual caller) the figures still reach the logs of later callbacks."""
        from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK
        from transformers.trainer_callback import CallbackHandler

        frame = inspect.currentframe()
        handler = None
        while frame is not None and handler is None:
            candidate = frame.f_locals.get("self")
            if isinstance(candidate, CallbackHandler) and self in candidate.callbacks:
                handler = candidate
            frame = frame.f_back
        del frame
        if handler is None:
            return
        trackers = tuple(INTEGRATION_TO_CALLBACK.values())
        callbacks = [cb for cb in handler.callbacks if not isinstance(cb, _LogFeeder)]
        first = next((i for i, cb in enumerate(callbacks) if isinstance(cb, trackers)), None)
        if first is not None:
            callbacks.insert(first, _LogFeeder(self))
        handler.callbacks = callbacks  # a new list: the loop calling this event goes on over the old one

    def _figures(self) -> dict[str, float]:
        return {"gradguard/skipped_steps": self.skipped_steps,
                "gradguard/grad_norm": float(self.last_report.grad_norm),
                "gradguard/clip_coef": float(self.last_report.clip_coef)}

    def _keep_loss(self, module: torch.nn.Module, inputs: Any, kwargs: dict[str, Any], output: Any) -> None:
        loss = output.get("loss") if isinstance(output, dict) else getattr(output, "loss", None)
        if module.training and isinstance(loss, torch.Tensor) and not self._observing:
            value = loss.detach().float().mean()
            self._loss_sum = value if self._loss_sum is None else self._loss_sum + value
            self._loss_count += 1
            self._loss_summed = kwargs.get("num_items_in_batch") is not None
            self._batch = (inputs, kwargs)  # references, no copy: the alarm path re-runs this micro-batch
            self._batch_number, self._micro = self._micro, self._micro + 1

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Measure the unclipped gradients and apply the decision before ``optimizer.step()``."""
        if self.guard is None:
            return
        loss = None if self._loss_sum is None else (
            self._loss_sum if self._loss_summed else self._loss_sum / self._loss_count)
        self._loss_sum, self._loss_count = None, 0
        batch, self._batch = self._batch, None
        closure = None if batch is None else ModelLoss(*batch)
        if self._attributor is not None and batch is not None:
            inputs = {k: v for k, v in batch[1].items() if k != "num_items_in_batch"}
            self.culprits.feed(self.guard.step_index, inputs, self._batch_number, batch_size(inputs),
                               _BatchLoss(batch[0]))
        self._observing = True  # the alarm path's re-runs of the batch must not count as the next step's loss
        try:
            report = self.guard.observe(loss, inputs=None if batch is None else batch[1] or batch[0],
                                        closure=closure)
        finally:
            self._observing = False
        self.last_report = report
        self.skipped_steps += not report.applied

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """Add the guard's figures to the Trainer's logs."""
        if self.last_report is None or logs is None:
            return
        extra = self._figures()
        logs.update(extra)
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(extra)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Close the guard (the record is complete on disk) and remove the loss hook."""
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
        if self.guard is not None:
            last = self.guard.flush()  # deferred: the last step, read now
            if last is not None:
                self.last_report = last
                self.skipped_steps += not last.applied
            self.guard.close()


def _no_hook(*args: Any) -> None:
    """What a pickled copy of the model (a flight record) holds in place of the callback's loss hook."""
    return None


class _LossHook:
    """The callback's forward hook; pickles as a no-op, so the model stays picklable for flight records."""

    def __init__(self, owner: GradGuardTrainerCallback) -> None:
        self.owner = owner

    def __call__(self, module: torch.nn.Module, inputs: Any, kwargs: dict[str, Any], output: Any) -> None:
        self.owner._keep_loss(module, inputs, kwargs, output)

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_make_no_hook, ())


def _make_no_hook() -> Any:
    return _no_hook


class _LogFeeder(TrainerCallback):
    """Adds the guard's figures to the Trainer's logs before the reporting callbacks write them."""

    def __init__(self, owner: GradGuardTrainerCallback) -> None:
        self.owner = owner

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if self.owner.last_report is not None and logs is not None:
            logs.update(self.owner._figures())
