"""The deferred mode with a closure (the trainer callbacks pass one every call): nothing of the current step is read
on the host before its optimizer step, the weights equal the blocking mode's bit for bit, and the alarm path still
re-runs a skipped NaN step's batch, one call late, on the weights it was issued at."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

import gradguard
from gradguard import Guard
from gradguard.deferred import DeferredSteps
from helpers import batch, mlp

_READS = {"item", "tolist", "__bool__", "__float__", "__int__", "__index__", "cpu", "numpy", "__array__",
          "__complex__", "data_ptr"}
NAN_STEP = 5


class CountCurrentReads(TorchFunctionMode):
    """Counts tensor -> host conversions made while it is entered, except inside the read of a previous step
    (``DeferredSteps._read``, patched by :func:`_reads_of_the_current_step`)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []
        self.in_previous = 0

    def __torch_function__(self, func: Callable[..., Any], types: Any, args: Any = (), kwargs: Any = None) -> Any:
        if not self.in_previous and getattr(func, "__name__", "") in _READS:
            frame = sys._getframe(1)
            self.reads.append(f"{func.__name__} @ {os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}")
        return func(*args, **(kwargs or {}))


@contextmanager
def _reads_of_the_current_step(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountCurrentReads]:
    counter = CountCurrentReads()
    original = DeferredSteps._read

    def traced(self: Any, guard: Any, p: Any) -> Any:
        counter.in_previous += 1
        try:
            return original(self, guard, p)
        finally:
            counter.in_previous -= 1

    monkeypatch.setattr(DeferredSteps, "_read", traced)
    yield counter


def _policy() -> Any:
    return gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(0.05))


def _loop(sync: str, policy: Any, monkeypatch: pytest.MonkeyPatch, steps: int = 12) -> tuple[nn.Module, list[Any],
                                                                                              list[list[str]]]:
    torch.manual_seed(0)
    model = mlp(depth=3)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
    guard = Guard(model, opt, policy=policy, sync=sync, update_every=3)
    assert guard.sync == sync
    reports, reads = [], []
    with _reads_of_the_current_step(monkeypatch) as counter:
        update = opt.step

        def step(*a: Any, **k: Any) -> Any:  # the window closes when the optimizer steps
            reads.append(list(counter.reads))
            counter.reads.clear()
            return update(*a, **k)

        opt.step = step  # type: ignore[method-assign]
        for i in range(steps):
            x, y = batch(seed=i)
            if i == NAN_STEP:
                x = x.clone()
                x[0, 0] = float("nan")  # the batch itself: its re-run reproduces the NaN (origin: the data)
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            counter.reads.clear()
            with counter:
                reports.append(guard.step(loss, inputs=x, closure=lambda m, x=x, y=y: nn.functional.mse_loss(m(x), y)))
            opt.zero_grad(set_to_none=True)
        guard.close()
    return model, reports, reads


@pytest.mark.parametrize("policy", ["skip+clip", "safe"])
def test_a_closure_runs_deferred_reads_nothing_of_its_step_and_keeps_the_alarm_path(
        policy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make = _policy if policy == "skip+clip" else (lambda: "safe")
    m_b, r_b, _ = _loop("blocking", make(), monkeypatch)
    m_d, r_d, reads = _loop("deferred", make(), monkeypatch)
    assert reads == [[]] * len(reads), reads  # nothing of the current step before its optimizer step
    assert [r.step for r in r_d] == [-1, *range(len(r_d) - 1)]
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    assert not r_b[NAN_STEP].applied and not r_d[NAN_STEP + 1].applied
    # the skipped step's batch is re-run when it is read (one call late): the same origin as the blocking mode's
    origin = [e.evidence.get("origin") for e in r_b[NAN_STEP].events if e.kind == "nonfinite"]
    late = [e.evidence.get("origin") for e in r_d[NAN_STEP + 1].events if e.kind == "nonfinite"]
    assert origin and origin[0] is not None and origin[0]["phase"] == "data", origin
    assert late == origin


def test_an_applied_alarm_step_is_not_rerun_on_moved_weights_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explosion that is clipped, not skipped: its weights moved before it was read, so no re-run."""
    calls: list[int] = []

    def closure(m: nn.Module) -> torch.Tensor:
        calls.append(1)
        return m(torch.ones(2, 8)).sum()

    torch.manual_seed(0)
    model = mlp(depth=3)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
    guard = Guard(model, opt, policy=_policy(), sync="deferred", update_every=0)
    reports = []
    for i in range(40):
        x, y = batch(seed=i)
        loss = nn.functional.mse_loss(model(x * (1e4 if i == 30 else 1)), y)
        loss.backward()
        reports.append(guard.step(loss, closure=closure))
        opt.zero_grad(set_to_none=True)
    guard.close()
    explode = [e for r in reports for e in r.events if e.kind == "explode"]
    assert explode and all("not_investigated" in e.evidence for e in explode), [r.events for r in reports]
    assert not calls


@pytest.mark.parametrize("sync", ["blocking", "deferred"])
def test_flush_returns_the_report_of_the_step_it_reads(sync: str) -> None:
    torch.manual_seed(0)
    model = mlp(depth=2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
    guard = Guard(model, opt, policy=_policy(), sync=sync)
    x, y = batch()
    loss = nn.functional.mse_loss(model(x), y) * float("nan")
    loss.backward()
    first = guard.step(loss)
    last = guard.flush()
    if sync == "blocking":
        assert first.step == 0 and not first.applied and last is None
    else:
        assert first.step == -1 and last is not None and last.step == 0 and not last.applied
        assert guard.flush() is None  # nothing pending any more
    guard.close()


# ------------------------------------------------------------------------------------------- Lightning
pl = pytest.importorskip("lightning.pytorch")
LIGHTNING_STEPS = 8
LIGHTNING_NAN = 3


class Regressor(pl.LightningModule):
    """Poisons one gradient at LIGHTNING_NAN; a fused Adam, so a skip can be left to the device."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        self.before: dict[int, list[torch.Tensor]] = {}

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        self.before[self.global_step] = [p.detach().clone() for p in self.parameters()]
        x, y = batch
        return nn.functional.mse_loss(self.net(x), y)

    def on_after_backward(self) -> None:
        if self.global_step == LIGHTNING_NAN:
            self.net[0].weight.grad[0, 0] = float("nan")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-2, fused=True)


def _fit(sync: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Regressor, Any, list[list[str]]]:
    from gradguard.integrations.lightning import GradGuardCallback

    g = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(64, 4, generator=g), torch.randn(64, 1, generator=g) * 30)
    model = Regressor()
    callback = GradGuardCallback(run_dir=False, policy=gradguard.chain(gradguard.skip_nonfinite(),
                                                                       gradguard.clip_by_global_norm(1.0)), sync=sync)
    reads: list[list[str]] = []
    with _reads_of_the_current_step(monkeypatch) as counter:
        hook = callback.on_before_optimizer_step

        def counted(*args: Any) -> None:  # the callback's whole work happens before Lightning's optimizer step
            counter.reads.clear()
            with counter:
                hook(*args)
            reads.append(list(counter.reads))

        callback.on_before_optimizer_step = counted  # type: ignore[method-assign]
        trainer = pl.Trainer(max_steps=LIGHTNING_STEPS, accelerator="cpu", devices=1, callbacks=[callback],
                             default_root_dir=tmp_path, enable_checkpointing=False, enable_progress_bar=False,
                             enable_model_summary=False, logger=False, gradient_clip_val=0.5)
        trainer.fit(model, torch.utils.data.DataLoader(data, batch_size=8))
    return model, callback, reads


@pytest.mark.timeout(180)
@pytest.mark.filterwarnings("ignore:.*LeafSpec", "ignore:.*does not have many workers")
def test_lightning_callback_runs_deferred_with_the_weights_of_the_blocking_mode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m_b, cb_b, _ = _fit("blocking", tmp_path / "b", monkeypatch)
    m_d, cb_d, reads = _fit("deferred", tmp_path / "d", monkeypatch)
    assert cb_d.guard.sync == "deferred"
    assert len(reads) == LIGHTNING_STEPS and reads == [[]] * LIGHTNING_STEPS, reads
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    assert all(torch.equal(a, b) for a, b in zip(m_d.before[LIGHTNING_NAN], m_d.before[LIGHTNING_NAN + 1]))
    assert cb_d._skipped == cb_b._skipped == 1  # the skip, read one call late
    assert cb_d.last_report.step == cb_b.last_report.step == LIGHTNING_STEPS - 1  # the last one read at the fit's end
    assert not all(torch.equal(a, b) for a, b in zip(m_d.before[0], m_d.before[1]))


# ------------------------------------------------------------------------------------------- Transformers
def _train(sync: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, list[list[str]]]:
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gradguard.integrations.hf import GradGuardTrainerCallback

    class Tokens(torch.utils.data.Dataset):
        def __init__(self) -> None:
            g = torch.Generator().manual_seed(0)
            self.ids = torch.randint(4, 64, (48, 12), generator=g)
            self.labels = torch.randint(0, 2, (48,), generator=g)

        def __len__(self) -> int:
            return len(self.ids)

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            return {"input_ids": self.ids[i], "labels": self.labels[i]}

    class Poison(transformers.TrainerCallback):
        def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
            if state.global_step == 2:
                next(model.parameters()).grad[0, 0] = float("nan")

    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=32, max_position_embeddings=32, num_labels=2)
    model = transformers.BertForSequenceClassification(config)
    policy = gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(1.0))
    callback = GradGuardTrainerCallback(run_dir=False, policy=policy, sync=sync)
    args = transformers.TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=6, per_device_train_batch_size=8,
                                          learning_rate=1e-3, max_grad_norm=0.0, report_to=[], save_strategy="no",
                                          use_cpu=True, disable_tqdm=True, dataloader_num_workers=0, seed=0,
                                          optim="adamw_torch_fused")
    reads: list[list[str]] = []
    with _reads_of_the_current_step(monkeypatch) as counter:
        hook = callback.on_pre_optimizer_step

        def counted(*a: Any, **k: Any) -> None:
            counter.reads.clear()
            with counter:
                hook(*a, **k)
            reads.append(list(counter.reads))

        callback.on_pre_optimizer_step = counted  # type: ignore[method-assign]
        trainer = transformers.Trainer(model=model, args=args, train_dataset=Tokens(), callbacks=[Poison(), callback])
        trainer.train()
    return model, callback, reads


@pytest.mark.timeout(180)
def test_transformers_callback_runs_deferred_with_the_weights_of_the_blocking_mode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m_b, cb_b, _ = _train("blocking", tmp_path / "b", monkeypatch)
    m_d, cb_d, reads = _train("deferred", tmp_path / "d", monkeypatch)
    assert cb_d.guard.sync == "deferred"
    assert len(reads) == 6 and reads == [[]] * 6, reads
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)
    assert cb_b.skipped_steps == cb_d.skipped_steps == 1  # deferred: step 2's skip is read at step 3's call
    assert cb_d.last_report.step == cb_b.last_report.step == 5  # deferred: the last step read when training ends


# ------------------------------------------------------------------------------------------- Accelerate
def _accelerate_loop(sync: str) -> tuple[nn.Module, list[Any], Guard]:
    accelerate = pytest.importorskip("accelerate")
    acc = accelerate.Accelerator(cpu=True)
    torch.manual_seed(0)
    model = mlp(depth=3)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
    model, opt = acc.prepare(model, opt)
    guard = Guard(model, opt, policy=_policy(), sync=sync, update_every=0)
    reports = []
    for i in range(10):
        x, y = batch(seed=i)
        loss = nn.functional.mse_loss(model(x * (30 if i == 7 else 1)), y) * (float("nan") if i == 4 else 1.0)
        acc.backward(loss)
        reports.append(guard.step(loss))
        opt.zero_grad()
    guard.close()
    return model, reports, guard


def test_accelerate_prepared_fused_optimizer_runs_deferred_with_the_weights_of_the_blocking_mode() -> None:
    """``AcceleratedOptimizer`` (no GradScaler) passes ``found_inf`` to the fused torch optimizer inside it."""
    m_b, r_b, _ = _accelerate_loop("blocking")
    m_d, r_d, guard = _accelerate_loop("deferred")
    assert guard.sync == "deferred"
    assert not r_b[4].applied and not r_d[5].applied and r_b[7].clip_coef < 1
    for a, b in zip(m_b.parameters(), m_d.parameters()):
        assert torch.equal(a, b)


def test_an_accelerated_optimizer_with_its_own_scaler_falls_back_and_says_why() -> None:
    """Bad input of issue 16: ``accelerate``'s ``AcceleratedOptimizer`` holding a GradScaler sets and clears the
    fused step's ``found_inf`` itself: the guard trains blocking and says that (not "no found_inf support": the
    torch optimizer inside is fused)."""
    accelerate = pytest.importorskip("accelerate")
    from accelerate.optimizer import AcceleratedOptimizer

    accelerate.Accelerator(cpu=True)
    model = nn.Linear(4, 2)
    inner = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    opt = AcceleratedOptimizer(inner, device_placement=False, scaler=torch.amp.GradScaler("cpu"))
    with pytest.warns(RuntimeWarning, match=r"falls back to the blocking read: AcceleratedOptimizer steps through "
                                            r"its own GradScaler") as caught:
        guard = Guard(model, opt, sync="deferred")
    assert guard.sync == "blocking"
    assert not any("no found_inf support" in str(w.message) for w in caught)
