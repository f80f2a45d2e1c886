"""A real ``lightning.Trainer.fit`` guarded by GradGuardCallback: a NaN step is skipped and the record is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

pl = pytest.importorskip("lightning.pytorch")

import gradguard  # noqa: E402
from gradguard.errors import ConfigError  # noqa: E402
from gradguard.integrations.lightning import GradGuardCallback  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:.*LeafSpec.*:DeprecationWarning", "ignore:.*LeafSpec")

MAX_STEPS = 8
NAN_STEP = 3


class TinyRegressor(pl.LightningModule):
    """A two-layer regressor that poisons one gradient at NAN_STEP and keeps a copy of the weights every step."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        self.weights_before: dict[int, list[torch.Tensor]] = {}
        self.weights_after: dict[int, list[torch.Tensor]] = {}

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        self.weights_before[self.global_step] = [p.detach().clone() for p in self.parameters()]
        x, y = batch
        return nn.functional.mse_loss(self.net(x), y)

    def on_after_backward(self) -> None:
        if self.global_step == NAN_STEP:
            self.net[0].weight.grad[0, 0] = float("nan")

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.weights_after[self.global_step - 1] = [p.detach().clone() for p in self.parameters()]

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-2)


def _loader() -> torch.utils.data.DataLoader:
    g = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(64, 4, generator=g), torch.randn(64, 1, generator=g))
    return torch.utils.data.DataLoader(data, batch_size=8)


def _trainer(tmp_path: Path, callback: GradGuardCallback, **kwargs: Any) -> pl.Trainer:
    return pl.Trainer(max_steps=MAX_STEPS, accelerator="cpu", devices=1, callbacks=[callback],
                      default_root_dir=tmp_path, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, logger=pl.loggers.CSVLogger(tmp_path), log_every_n_steps=1,
                      **kwargs)


@pytest.mark.timeout(120)
def test_fit_skips_the_nan_step_and_writes_the_record(tmp_path: Path) -> None:
    model = TinyRegressor()
    callback = GradGuardCallback(policy="safe", update_every=2)
    trainer = _trainer(tmp_path, callback, gradient_clip_val=1.0)  # Lightning's clipping runs after the guard
    trainer.fit(model, _loader())

    assert trainer.global_step == MAX_STEPS
    before, after = model.weights_before[NAN_STEP], model.weights_after[NAN_STEP]
    assert all(torch.equal(b, a) for b, a in zip(before, after))  # the skipped step changed nothing
    assert not all(torch.equal(b, a) for b, a in zip(model.weights_before[1], model.weights_after[1]))
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert callback.guard is not None and callback.guard._closed

    run_dir = Path(trainer.log_dir) / "gradguard"
    with gradguard.open_run(run_dir) as record:
        assert record.steps["step"].tolist() == list(range(MAX_STEPS))
        assert record.steps["applied"].tolist() == [s != NAN_STEP for s in range(MAX_STEPS)]
        assert record.steps["has_loss"].all()
        assert record.events_of("nonfinite")
        assert record.update_steps.tolist() == [0, 2, 4, 6]  # update_every=2; measured across Lightning's own step
        norms = record.updates("update_norm")
    for row, step in enumerate((0, 2, 4, 6)):
        moved = [(a - b).flatten() for a, b in zip(model.weights_after[step], model.weights_before[step])]
        expected = [float(torch.cat(moved[:2]).norm()), float(torch.cat(moved[2:]).norm())]  # net.0, net.2
        assert norms[row].tolist() == pytest.approx(expected, rel=1e-4)
    metrics = (Path(trainer.log_dir) / "metrics.csv").read_text()
    assert "gradguard/grad_norm" in metrics and "gradguard/skipped_steps" in metrics


@pytest.mark.timeout(120)
def test_the_loss_the_guard_sees_is_the_step_loss(tmp_path: Path) -> None:
    by_batch: dict[tuple[int, int], float] = {}  # the alarm path re-runs the NaN step: same batch, same value

    class Recording(TinyRegressor):
        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            loss = super().training_step(batch, batch_idx)
            by_batch[(self.current_epoch, batch_idx)] = float(loss.detach())
            return loss

    callback = GradGuardCallback(run_dir=tmp_path / "run", update_every=0)
    trainer = _trainer(tmp_path, callback, accumulate_grad_batches=2)
    trainer.fit(Recording(), _loader())
    with gradguard.open_run(tmp_path / "run") as record:
        seen = record.steps["loss"].tolist()
    losses = [by_batch[i] for i in sorted(by_batch)]
    expected = [(losses[2 * i] + losses[2 * i + 1]) / 2 for i in range(len(seen))]  # mean over the micro-batches
    assert seen == pytest.approx(expected, rel=1e-6)


def test_the_callback_refuses_a_model_or_optimizer_option() -> None:
    with pytest.raises(ConfigError, match="optimizer"):
        GradGuardCallback(optimizer=torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1))
    with pytest.raises(ConfigError, match="run_dir"):
        GradGuardCallback(run_dir=True)


@pytest.mark.timeout(120)
def test_guard_state_is_saved_in_checkpoints(tmp_path: Path) -> None:
    callback = GradGuardCallback(run_dir=False)
    trainer = _trainer(tmp_path, callback)
    trainer.fit(TinyRegressor(), _loader())
    state = callback.state_dict()
    assert state["guard"]["step"] == MAX_STEPS and state["skipped"] == 1
    restored = GradGuardCallback(run_dir=False)
    restored.load_state_dict(state)
    assert restored.state_dict() == state


@pytest.mark.timeout(120)
@pytest.mark.parametrize("algorithm", ["value", "norm"])
def test_every_lightning_clip_setting_coexists_with_a_skip(tmp_path: Path, algorithm: str) -> None:
    model = TinyRegressor()
    callback = GradGuardCallback(run_dir=False)
    trainer = _trainer(tmp_path, callback, gradient_clip_val=0.5, gradient_clip_algorithm=algorithm)
    trainer.fit(model, _loader())  # torch's clip_grad_value_ raises on a list with no gradient: not called on a skip
    assert trainer.global_step == MAX_STEPS and callback._skipped == 1
    assert all(torch.equal(b, a) for b, a in zip(model.weights_before[NAN_STEP], model.weights_after[NAN_STEP]))
    assert "configure_gradient_clipping" not in vars(model)  # the wrapper is gone after the fit


@pytest.mark.timeout(180)
@pytest.mark.filterwarnings("ignore:You're resuming from a checkpoint that ended before the epoch ended")
def test_a_second_fit_and_a_resumed_fit_continue_one_record(tmp_path: Path) -> None:
    model = TinyRegressor()
    callback = GradGuardCallback()
    trainer = _trainer(tmp_path, callback)
    trainer.fit(model, _loader())
    record_dir = Path(trainer.log_dir) / "gradguard"
    trainer.fit_loop.epoch_loop.max_steps = MAX_STEPS + 4
    trainer.fit(model, _loader())  # a second fit on the same Trainer: no RecordError, the same record goes on
    with gradguard.open_run(record_dir) as record:
        assert record.steps["step"].tolist() == list(range(MAX_STEPS + 4))
    ckpt = tmp_path / "mid.ckpt"
    trainer.save_checkpoint(ckpt)

    resumed_cb = GradGuardCallback()
    resumed = pl.Trainer(
        max_steps=MAX_STEPS + 8, accelerator="cpu", devices=1, callbacks=[resumed_cb], default_root_dir=tmp_path,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        logger=pl.loggers.CSVLogger(tmp_path), log_every_n_steps=1)
    resumed.fit(TinyRegressor(), _loader(), ckpt_path=ckpt)
    assert Path(resumed.log_dir) != Path(trainer.log_dir)  # the logger started a new version ...
    assert not (Path(resumed.log_dir) / "gradguard").exists()  # ... but the record did not split
    with gradguard.open_run(record_dir) as record:
        assert record.steps["step"].tolist() == list(range(MAX_STEPS + 8))
        assert len(record.meta["resumed"]) == 2


class PoisonedBatch(TinyRegressor):
    """Trains on a loader whose batch NAN_STEP holds a NaN input."""

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        g = torch.Generator().manual_seed(0)
        x, y = torch.randn(64, 4, generator=g), torch.randn(64, 1, generator=g)
        x[NAN_STEP * 8 + 3, 1] = float("nan")
        return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)

    def on_after_backward(self) -> None:  # no gradient poisoning here: the batch is the fault
        pass


@pytest.mark.timeout(180)
def test_a_nan_batch_in_a_lightning_fit_gets_origin_causes_and_a_replayable_flight_record(tmp_path: Path) -> None:
    callback = GradGuardCallback(run_dir=tmp_path / "run", update_every=0)
    trainer = _trainer(tmp_path, callback)
    trainer.fit(PoisonedBatch())
    assert callback._skipped == 1
    with gradguard.open_run(tmp_path / "run") as record:
        event = record.events_of("nonfinite")[0]
    assert event["step"] == NAN_STEP
    origin = event["evidence"]["origin"]
    assert origin["phase"] == "data"  # the batch itself, before any module
    assert event["causes"] and event["causes"][0]["cause"] == "data"
    result = gradguard.replay(event["evidence"]["flight_record"], model=PoisonedBatch(), trust=True)
    assert result.reproduced and result.origin.phase == "data"


@pytest.mark.timeout(120)
def test_scalars_are_logged_at_lightnings_logging_steps_and_count_every_skip(tmp_path: Path) -> None:
    calls: list[int] = []

    class Counting(TinyRegressor):
        def log_dict(self, *args: Any, **kwargs: Any) -> None:
            calls.append(self.global_step)
            super().log_dict(*args, **kwargs)

    callback = GradGuardCallback(run_dir=False, update_every=0)
    trainer = pl.Trainer(max_steps=MAX_STEPS, accelerator="cpu", devices=1, callbacks=[callback],
                         default_root_dir=tmp_path, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, logger=pl.loggers.CSVLogger(tmp_path), log_every_n_steps=3)
    trainer.fit(Counting(), _loader())
    assert calls == [2, 5]  # log_dict (as costly as the guard's step) only where Lightning writes the logs
    import csv

    with open(Path(trainer.log_dir) / "metrics.csv") as f:
        rows = [r for r in csv.DictReader(f) if r.get("gradguard/grad_norm")]
    # Lightning writes step metrics when (steps done + 1) % 3 == 0: after steps 2 and 5 (0-based); the NaN step 3
    # falls in between and is counted by skipped_steps
    assert [int(r["step"]) for r in rows] == [2, 5]
    assert [float(r["gradguard/skipped_steps"]) for r in rows] == [0.0, 1.0]
    assert callback._skipped == 1


POISON_AT = 20 * 16 + 5  # position in the fixed permutation: batch 20 of each epoch, sample 5


class Recorder(pl.LightningModule):
    """A regressor that records the inputs of every training batch (to see which samples it trained on)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
        self.seen: list[torch.Tensor] = []

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self.seen.append(batch[0].detach().clone())  # once per batch the loader gives (not on re-runs)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-3)


def _poisoned_fit(tmp_path: Path, drop: bool) -> tuple[Recorder, GradGuardCallback, int]:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(512, 4, generator=g), torch.randn(512, 1, generator=g) * 0.1
    perm = torch.randperm(512, generator=g).tolist()  # a shuffled order (the same each epoch)
    poison = perm[POISON_AT]
    x[poison] *= 1000.0
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16, sampler=perm)
    model = Recorder()
    callback = GradGuardCallback(policy=gradguard.chain(gradguard.AttributeSpikes(), gradguard.safe()),
                                 drop_culprits=drop, drop_file=tmp_path / "drop.json", run_dir=False)
    trainer = pl.Trainer(max_epochs=3, accelerator="cpu", devices=1, callbacks=[callback], default_root_dir=tmp_path,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         logger=False)
    trainer.fit(model, loader)
    return model, callback, poison


@pytest.mark.timeout(300)
def test_culprit_samples_are_named_and_never_drawn_again(tmp_path: Path) -> None:
    model, callback, poison = _poisoned_fit(tmp_path, drop=True)
    keeper = gradguard.attribution.find_attributor(callback.guard.policy)
    result = keeper.results[20]  # the poisoned batch (step 20 of epoch 0)
    assert result["verdict"] == "data", result["numbers"]
    top = result["culprit_samples"][0]
    assert top["index"] == 5 and top["loader_index"] == poison and top["outlier"]
    assert callback.culprits.drop_ids == {poison}
    assert json.loads((tmp_path / "drop.json").read_text()) == [poison]
    assert all(r["verdict"] != "data" for s, r in keeper.results.items() if s != 20)
    epochs = [torch.cat(model.seen[32 * e:32 * (e + 1)]) for e in range(3)]
    assert len(model.seen) == 96 and epochs[0].shape[0] == 512  # epoch 0 trained on every sample (the spike's too)
    for later in epochs[1:]:  # later epochs: every sample but the culprit
        assert later.shape[0] == 511 and later.abs().max() < 100


@pytest.mark.timeout(300)
def test_without_drop_culprits_the_culprit_is_named_and_kept(tmp_path: Path) -> None:
    model, callback, poison = _poisoned_fit(tmp_path, drop=False)
    keeper = gradguard.attribution.find_attributor(callback.guard.policy)
    assert keeper.results[20]["culprit_samples"][0]["loader_index"] == poison
    assert callback.culprits.drop_ids == set() and not (tmp_path / "drop.json").exists()
    assert sum(int((b.abs() > 100).any(dim=1).sum()) for b in model.seen) == 3  # once per epoch
