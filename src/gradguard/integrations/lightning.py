"""PyTorch Lightning: a callback that guards every optimizer step of ``Trainer.fit``.

::

    from gradguard.integrations.lightning import GradGuardCallback

    trainer = lightning.Trainer(callbacks=[GradGuardCallback(policy="safe")], gradient_clip_val=1.0)
    trainer.fit(model, loader)

Where it hooks in (Lightning 2.x, ``lightning.pytorch``):

* ``on_fit_start``: builds the :class:`gradguard.Guard` over the LightningModule and ``trainer.optimizers[0]``,
  after the strategy has wrapped the model (DDP) or sharded it (FSDP2), so the guard reduces across ranks.
* ``on_before_backward``: keeps the step's loss on the device (no host read). Lightning passes the loss divided by
  ``accumulate_grad_batches`` and, under AMP, multiplied by the GradScaler's scale; the callback divides the scale
  out and sums the micro-batches, so the guard sees the mean unscaled loss of the step -- the loss whose gradients
  it measures. (The loss of ``on_train_batch_end`` would come one optimizer step late.)
* ``on_before_optimizer_step``: Lightning calls it after the backward passes and after AMP unscaling, before its own
  gradient clipping (``gradient_clip_val``) and before ``optimizer.step()``. The guard measures the unclipped
  gradients there and applies its decision with :meth:`gradguard.Guard.observe`: on a skip every gradient is set to
  None, so Lightning's ``optimizer.step()`` changes neither the weights nor the optimizer state; on a clip the
  gradients are scaled in place. Lightning still steps its LR schedulers and counts ``global_step``.
* ``on_train_batch_start`` keeps (by reference) the batch and its index; the guard gets
  ``closure=TrainingStep(batch, batch_idx)`` (``module.training_step(batch, batch_idx)``'s loss), run only on an
  alarm: a NaN step gets the same origin module, ranked causes and replayable flight record as in a plain loop.
  With ``accumulate_grad_batches`` the re-run is the last micro-batch.
* the guard's scalars go to the Lightning logger with ``pl_module.log`` (``gradguard/grad_norm``,
  ``gradguard/clip_coef``, ``gradguard/skipped``, ``gradguard/skipped_steps``) at the steps Lightning writes its
  logs (``log_every_n_steps``): ``gradguard/skipped_steps`` counts every skip in between; the run record has every
  step. They are reduced across ranks already, so no ``sync_dist`` is needed.
* a skipped step leaves no gradient, so Lightning's own clipping (``gradient_clip_val``, by norm or by value) is
  not called for it (``configure_gradient_clipping`` is wrapped on the module for the fit): torch's
  ``clip_grad_value_`` fails on a list with no gradient, and there is nothing to clip.
* with an :class:`~gradguard.AttributeSpikes` in the policy, each spiking step is attributed (data, state or
  hardware) from ``training_step`` re-runs of its batch; with ``drop_culprits=True`` the culprit samples of a
  ``data`` verdict are never drawn again: ``on_train_start`` wraps the training loader's index sampler in a
  :class:`~gradguard.integrations.culprits.CulpritSampler` (one process only; see that module), and ``drop_file``
  lists their dataset indices. The re-runs call ``training_step`` on a copy of the module detached from the
  trainer (nothing is logged; a ``training_step`` that reads ``self.trainer`` cannot be attributed).
* ``GradGuardCallback(sync="deferred")`` with a fused optimizer (``torch.optim.AdamW(..., fused=True)``) and a
  policy with a device twin (``safe``, skips and clips): nothing of the step is read on the host before Lightning's
  ``optimizer.step()`` (the decision is applied on the device, see :mod:`gradguard.deferred`), the guard's report
  and logged figures are those of the previous step, and the alarm path still re-runs a skipped NaN step's batch
  (its ``TrainingStep`` is kept until the step is read, one call later, on the same weights).
* ``on_fit_end`` / ``on_exception``: closes the guard (the record is flushed). The guard's state (step counter,
  policy and detector state) and the record's directory are saved in Lightning checkpoints through the callback's
  ``state_dict``: a fit resumed from a checkpoint, or a second ``fit`` on the same Trainer, continues the same
  record (steps from the resumed step on replace the stored ones), even when the logger starts a new version.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from .._optional import require

require("lightning", "gradguard.integrations.lightning")

import lightning.pytorch as pl  # noqa: E402
import torch  # noqa: E402

from ..attribution._batch import batch_size  # noqa: E402
from ..attribution.keeper import AttributeSpikes, find_attributor  # noqa: E402
from ..errors import ConfigError  # noqa: E402
from ..guard import Guard  # noqa: E402
from .culprits import TrainerCulprits  # noqa: E402

__all__ = ["GradGuardCallback", "TrainingStep"]


class TrainingStep:
    """``closure(module) -> module.training_step(batch, batch_idx)``'s loss (a tensor, or ``["loss"]`` of a dict):
    the re-run of one Lightning batch on the alarm path (picklable when the batch is)."""

    def __init__(self, batch: Any, batch_idx: int) -> None:
        self.batch = batch
        self.batch_idx = batch_idx

    def __call__(self, module: torch.nn.Module) -> torch.Tensor:
        out = module.training_step(self.batch, self.batch_idx)  # type: ignore[operator]
        loss = out.get("loss") if isinstance(out, dict) else out
        if not isinstance(loss, torch.Tensor):
            raise TypeError(f"training_step returned {type(out).__name__}, not a loss tensor or a dict with 'loss'")
        return loss


class _StepLoss:
    """``batch_loss(module, batch) -> module.training_step(batch, batch_idx)``'s loss (parts of a batch too), for
    the attribution's re-runs: they run on a copy of the module that is not attached to the trainer (so that
    nothing is logged; ``self.log`` warns, silenced here, and ``self.trainer`` raises)."""

    def __init__(self, batch_idx: int) -> None:
        self.batch_idx = batch_idx

    def __call__(self, module: torch.nn.Module, batch: Any) -> torch.Tensor:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return TrainingStep(batch, self.batch_idx)(module)


class GradGuardCallback(pl.Callback):
    """Guards Lightning's optimizer steps with a :class:`gradguard.Guard` (see the module docstring).

    Args:
        run_dir: directory of the run record. None (default): ``<trainer.log_dir>/gradguard`` when the trainer
            has a logger, else ``<trainer.default_root_dir>/gradguard``. False: keep no record.
        policy: the guard's policy (``"safe"``, ``"monitor"`` or a policy object; default ``"safe"``).
        log: log the guard's scalars with ``pl_module.log`` (default True).
        drop_culprits: with an :class:`~gradguard.AttributeSpikes` in the policy, never draw again the culprit
            samples of a ``data`` verdict (default False: they are named in the record only).
        drop_file: where to write the dropped dataset indices (a JSON list), or None (default).
        **guard_options: any other :class:`gradguard.Guard` option (``update_every``, ``detectors``, ``sinks``,
            ``tensorboard``, ``resume``, ...). ``scaler`` defaults to Lightning's own AMP GradScaler.

    Attributes:
        guard: the Guard, from ``on_fit_start`` on (None before).
        last_report: the :class:`gradguard.StepReport` of the latest step.
    """

    def __init__(self, run_dir: str | os.PathLike[str] | bool | None = None, policy: Any = "safe", *,
                 log: bool = True, drop_culprits: bool = False, drop_file: str | os.PathLike[str] | None = None,
                 **guard_options: Any) -> None:
        if run_dir is True or not (run_dir is None or run_dir is False or isinstance(run_dir, (str, os.PathLike))):
            raise ConfigError("run_dir", run_dir, "a directory path, None (under the trainer's log dir) or False")
        for name in ("model", "optimizer"):
            if name in guard_options:
                raise ConfigError(name, guard_options[name], "not given: the callback takes the LightningModule "
                                  "and trainer.optimizers[0]")
        self.run_dir = run_dir
        self.policy = policy
        self.log = log
        self.guard_options = guard_options
        self.guard: Guard | None = None
        self.last_report: Any = None
        self._loss: torch.Tensor | None = None
        self._skipped = 0
        self._pending_state: dict[str, Any] | None = None
        self._record_dir: Path | None = None  # the record this callback writes, kept across fits and checkpoints
        self._skip_clip = False
        self._clip_owner: pl.LightningModule | None = None
        self._batch: tuple[Any, int] | None = None
        #: the attribution's batch source: culprit samples named and dropped (``dropped_samples``, ``drop_ids``)
        self.culprits = TrainerCulprits(drop_culprits, drop_file)
        self._attributor: AttributeSpikes | None = None

    # ------------------------------------------------------------------------------------------- lifecycle
    def _resolve_run_dir(self, trainer: pl.Trainer) -> Path | None:
        if self.run_dir is False:
            return None
        if self.run_dir is not None:
            return Path(self.run_dir)  # type: ignore[arg-type]
        base = trainer.log_dir if trainer.logger is not None and trainer.log_dir else trainer.default_root_dir
        return Path(base) / "gradguard"

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Build the guard over the (already wrapped or sharded) module and the first optimizer."""
        if not trainer.optimizers:
            raise ConfigError("trainer.optimizers", [], "at least one optimizer from configure_optimizers()")
        options = dict(self.guard_options)
        options.setdefault("scaler", _lightning_scaler(trainer))
        continuing = self.guard is not None or self._pending_state is not None  # second fit, or resumed
        run_dir = self._record_dir if continuing and self._record_dir is not None else self._resolve_run_dir(trainer)
        if continuing and run_dir is not None and (run_dir / "run.sqlite").exists():
            options["resume"] = True
        state = self.guard.state_dict() if self.guard is not None else self._pending_state
        self.guard = Guard(pl_module, trainer.optimizers[0], run_dir, policy=self.policy, **options)
        self._record_dir = run_dir
        if state is not None:
            self.guard.load_state_dict(state)
            self._pending_state = None
        self._loss = None
        self._attributor = find_attributor(self.guard.policy)
        if self._attributor is not None:
            self._attributor.bind(self.guard, self.culprits)
        self._wrap_clipping(pl_module)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """With an attributor, wrap the training loader's sampler: the culprits' dataset indices, and the drops."""
        if self._attributor is None:
            return
        drop = self.culprits.drop_culprits
        if trainer.world_size > 1:
            if drop:
                warnings.warn("GradGuardCallback(drop_culprits=True) drops samples in one process only: under "
                              f"{trainer.world_size} processes culprits are named, not dropped", stacklevel=2)
        elif not self.culprits.attach(trainer.train_dataloader) and drop:
            warnings.warn("GradGuardCallback(drop_culprits=True): the training loader has no index sampler to "
                          "wrap (an iterable dataset or a custom batch sampler): culprits are named, not dropped",
                          stacklevel=2)

    def _wrap_clipping(self, pl_module: pl.LightningModule) -> None:
        """Make Lightning's gradient clipping a no-op on a step the guard skipped (it has no gradients)."""
        self._unwrap_clipping()
        original = pl_module.configure_gradient_clipping

        def configure_gradient_clipping(*args: Any, **kwargs: Any) -> None:
            if self._skip_clip:
                return None
            return original(*args, **kwargs)

        pl_module.configure_gradient_clipping = configure_gradient_clipping  # type: ignore[method-assign]
        self._clip_owner = pl_module

    def _unwrap_clipping(self) -> None:
        owner, self._clip_owner = self._clip_owner, None
        if owner is not None and "configure_gradient_clipping" in vars(owner):
            del owner.configure_gradient_clipping

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Close the guard: the record is complete on disk."""
        if self.guard is not None:
            last = self.guard.flush()  # deferred: the last step, read now
            if last is not None:
                self.last_report = last
                self._skipped += not last.applied
            self.guard.close()
        self._unwrap_clipping()

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        """Close the guard so that the record keeps every step up to the failure."""
        if self.guard is not None:
            self.guard.close()
        self._unwrap_clipping()

    # ------------------------------------------------------------------------------------------- the step
    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        """Keep a reference to the batch for the alarm path's re-run."""
        self._batch = (batch, batch_idx)

    def on_before_backward(self, trainer: pl.Trainer, pl_module: pl.LightningModule, loss: torch.Tensor) -> None:
        """Keep the (unscaled, accumulated) loss of the coming optimizer step on the device."""
        value = loss.detach()
        scaler = _lightning_scaler(trainer)
        if scaler is not None and scaler.is_enabled():
            scale = scaler._get_scale_async()
            if scale is not None:
                value = value / scale
        self._loss = value if self._loss is None else self._loss + value

    def on_before_optimizer_step(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                                 optimizer: torch.optim.Optimizer) -> None:
        """Measure the unclipped gradients and apply the decision before Lightning clips and steps."""
        guard = self.guard
        if guard is None or optimizer is not guard.optimizer:
            return
        loss, self._loss = self._loss, None
        if loss is None:  # no backward ran (training_step returned None): nothing to measure, nothing to step
            return
        batch = self._batch
        if self._attributor is not None and batch is not None:
            self.culprits.feed(guard.step_index, batch[0], batch[1], batch_size(batch[0]), _StepLoss(batch[1]))
        report = guard.observe(loss, inputs=None if batch is None else batch[0],
                               closure=None if batch is None else TrainingStep(*batch))
        self.last_report = report
        # deferred (``sync="deferred"``): the report is the previous step's, and this step's gradients stay (a skip
        # is left to the fused step's found_inf), so Lightning's clipping runs as usual
        self._skip_clip = not report.applied and guard.sync != "deferred"
        self._skipped += not report.applied
        if self.log and _logs_now(trainer):
            pl_module.log_dict({"gradguard/grad_norm": float(report.grad_norm),
                                "gradguard/clip_coef": float(report.clip_coef),
                                "gradguard/skipped": float(not report.applied),
                                "gradguard/skipped_steps": float(self._skipped)},
                               on_step=True, on_epoch=False, prog_bar=False, logger=True)

    # ------------------------------------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The guard's state, saved in Lightning checkpoints."""
        state = self.guard.state_dict() if self.guard is not None else self._pending_state
        return {"guard": state, "skipped": self._skipped,
                "record_dir": None if self._record_dir is None else str(self._record_dir)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the guard's state (applied when the guard is built, at ``on_fit_start``)."""
        self._skipped = int(state_dict.get("skipped", 0))
        record_dir = state_dict.get("record_dir")
        if record_dir is not None and self.run_dir is not False:
            self._record_dir = Path(record_dir)
        state = state_dict.get("guard")
        if state is not None and self.guard is not None:
            self.guard.load_state_dict(state)
        else:
            self._pending_state = state


def _logs_now(trainer: pl.Trainer) -> bool:
    """Whether Lightning writes this step's metrics to its logger (every ``log_every_n_steps``; Lightning's own
    test, read before the step as Lightning reads it). ``pl_module.log_dict`` costs as much host time as the
    guard's own ``observe`` (1.6 ms of CPU each per step, measured on 2 shared CPU cores), and a value logged at
    another step is only kept in memory, then replaced, so the callback logs at logging steps only. True when the
    test cannot be read."""
    try:
        return bool(trainer._logger_connector.should_update_logs)
    except Exception:  # another Lightning version: log every step, as before
        return True


def _lightning_scaler(trainer: pl.Trainer) -> torch.amp.GradScaler | None:
    scaler = getattr(trainer.precision_plugin, "scaler", None)
    return scaler if isinstance(scaler, torch.amp.GradScaler) else None
