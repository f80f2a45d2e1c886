"""A real ``transformers.Trainer.train`` on a tiny BERT built from a config: a NaN step is skipped and recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")

import gradguard  # noqa: E402
from gradguard.errors import ConfigError  # noqa: E402
from gradguard.integrations.hf import GradGuardTrainerCallback  # noqa: E402

MAX_STEPS = 6
NAN_STEP = 2


class RandomTokens(torch.utils.data.Dataset):
    def __init__(self, n: int = 48, length: int = 12, vocab: int = 64) -> None:
        g = torch.Generator().manual_seed(0)
        self.ids = torch.randint(4, vocab, (n, length), generator=g)
        self.labels = torch.randint(0, 2, (n,), generator=g)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "attention_mask": torch.ones_like(self.ids[i]), "labels": self.labels[i]}


class InjectNaN(transformers.TrainerCallback):
    """Poisons one gradient at NAN_STEP (before the guard's hook) and keeps the weights around each step."""

    def __init__(self) -> None:
        self.before: dict[int, list[torch.Tensor]] = {}
        self.after: dict[int, list[torch.Tensor]] = {}

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
        self.before[state.global_step] = [p.detach().clone() for p in model.parameters()]
        if state.global_step == NAN_STEP:
            next(model.parameters()).grad[0, 0] = float("nan")

    def on_optimizer_step(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
        self.after[state.global_step] = [p.detach().clone() for p in model.parameters()]


def _model() -> Any:
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=32, max_position_embeddings=32, num_labels=2)
    return transformers.BertForSequenceClassification(config)


def _args(tmp_path: Path, **kwargs: Any) -> Any:
    options: dict[str, Any] = dict(output_dir=str(tmp_path / "out"), max_steps=MAX_STEPS, per_device_train_batch_size=8,
                                   learning_rate=1e-3, max_grad_norm=0.0, report_to=[], save_strategy="no",
                                   logging_steps=1, use_cpu=True, disable_tqdm=True, dataloader_num_workers=0, seed=0)
    options.update(kwargs)
    return transformers.TrainingArguments(**options)


@pytest.mark.timeout(120)
def test_train_skips_the_nan_step_and_writes_the_record(tmp_path: Path) -> None:
    policy = gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(1.0))
    guard_cb, inject = GradGuardTrainerCallback(policy=policy, update_every=2), InjectNaN()
    model = _model()
    trainer = transformers.Trainer(model=model, args=_args(tmp_path), train_dataset=RandomTokens(),
                                   callbacks=[inject, guard_cb])
    trainer.train()

    assert trainer.state.global_step == MAX_STEPS
    assert all(torch.equal(b, a) for b, a in zip(inject.before[NAN_STEP], inject.after[NAN_STEP]))
    assert not all(torch.equal(b, a) for b, a in zip(inject.before[0], inject.after[0]))
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert guard_cb.skipped_steps == 1

    with gradguard.open_run(tmp_path / "out" / "gradguard") as record:
        steps = record.steps
        assert steps["step"].tolist() == list(range(MAX_STEPS))
        assert steps["applied"].tolist() == [s != NAN_STEP for s in range(MAX_STEPS)]
        assert steps["has_loss"].all() and steps["loss"][0] > 0
        assert record.events_of("nonfinite")
        assert record.update_steps.tolist() == [0, 4]  # update_every=2, step 2 skipped: the Trainer's own steps
        norms = record.updates("update_norm").astype(float)
    for row, step in enumerate((0, 4)):
        moved = torch.cat([(a - b).flatten() for a, b in zip(inject.after[step], inject.before[step])])
        assert float((norms[row] ** 2).sum() ** 0.5) == pytest.approx(float(moved.norm()), rel=1e-3)
    logged = [h for h in trainer.state.log_history if "gradguard/skipped_steps" in h]
    assert logged and logged[-1]["gradguard/skipped_steps"] == 1


class RandomText(torch.utils.data.Dataset):
    def __init__(self, n: int = 48, length: int = 12, vocab: int = 64) -> None:
        self.ids = torch.randint(0, vocab, (n, length), generator=torch.Generator().manual_seed(0))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["causal_lm", "classifier"])
def test_with_accumulation_the_recorded_loss_is_the_loss_the_trainer_logs(tmp_path: Path, kind: str) -> None:
    """A causal LM divides each micro-batch's loss by the step's num_items_in_batch (the Trainer sums them); the BERT
    classifier takes the argument and ignores it (the Trainer still sums them). The record matches the log."""
    micro: list[float] = []
    if kind == "causal_lm":
        torch.manual_seed(0)
        config = transformers.GPT2Config(vocab_size=64, n_positions=16, n_embd=16, n_layer=1, n_head=2)
        model, data = transformers.GPT2LMHeadModel(config), RandomText()
    else:
        model, data = _model(), RandomTokens()
    model.register_forward_hook(lambda m, i, out: micro.append(float(out.loss.detach())) if m.training else None)
    guard_cb = GradGuardTrainerCallback(run_dir=tmp_path / "run", update_every=0)
    args = _args(tmp_path, max_steps=3, gradient_accumulation_steps=2, per_device_train_batch_size=4)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=data, callbacks=[guard_cb])
    trainer.train()
    logged = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    with gradguard.open_run(tmp_path / "run") as record:
        seen = record.steps["loss"].tolist()
    assert len(logged) == 3 and seen == pytest.approx(logged, rel=1e-3)  # the Trainer logs 4 significant digits
    assert seen == pytest.approx([micro[2 * i] + micro[2 * i + 1] for i in range(3)], rel=1e-6)


@pytest.mark.timeout(120)
def test_the_guard_figures_reach_the_trackers_of_report_to(tmp_path: Path) -> None:
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    guard_cb = GradGuardTrainerCallback(run_dir=False, update_every=0)
    args = _args(tmp_path, max_steps=3, report_to=["tensorboard"])
    transformers.Trainer(model=_model(), args=args, train_dataset=RandomTokens(), callbacks=[guard_cb]).train()
    files = list((tmp_path / "out").rglob("events.out.tfevents*"))
    assert len({f.parent for f in files}) == 1  # the Trainer's own TensorBoard run, no second one
    acc = event_accumulator.EventAccumulator(str(files[0].parent), size_guidance={"scalars": 0})
    acc.Reload()
    assert sorted({e.step for e in acc.Scalars("train/gradguard/grad_norm")}) == [1, 2, 3]
    assert "train/gradguard/skipped_steps" in acc.Tags()["scalars"]


class Embeds(torch.utils.data.Dataset):
    """Float inputs (``inputs_embeds``) with one poisoned sample: the batch holding it goes NaN."""

    def __init__(self, n: int = 48, length: int = 6, hidden: int = 16, poisoned: int = 13) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, length, hidden, generator=g)
        self.x[poisoned, 2, 5] = float("nan")
        self.labels = torch.randint(0, 2, (n,), generator=g)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs_embeds": self.x[i], "labels": self.labels[i]}


@pytest.mark.timeout(180)
def test_a_nan_batch_in_a_trainer_run_gets_origin_causes_and_a_replayable_flight_record(tmp_path: Path) -> None:
    guard_cb = GradGuardTrainerCallback(update_every=0)
    trainer = transformers.Trainer(model=_model(), args=_args(tmp_path), train_dataset=Embeds(),
                                   callbacks=[guard_cb])
    trainer.train()
    assert guard_cb.skipped_steps == 1
    with gradguard.open_run(tmp_path / "out" / "gradguard") as record:
        event = record.events_of("nonfinite")[0]
    origin = event["evidence"]["origin"]
    assert origin["phase"] == "data" and "inputs_embeds" in json.dumps(origin)  # the batch, named
    assert event["causes"] and event["causes"][0]["cause"] == "data"
    result = gradguard.replay(event["evidence"]["flight_record"], trust=True)  # model rebuilt from the record
    assert result.reproduced and result.origin.phase == "data"


@pytest.mark.timeout(120)
def test_the_trainer_clipping_is_refused_with_a_fix(tmp_path: Path) -> None:
    trainer = transformers.Trainer(model=_model(), args=_args(tmp_path, max_grad_norm=1.0),
                                   train_dataset=RandomTokens(), callbacks=[GradGuardTrainerCallback(run_dir=False)])
    with pytest.raises(ConfigError, match="max_grad_norm"):
        trainer.train()


class Regression(torch.utils.data.Dataset):
    """512 regression samples as dicts; ``poison`` scaled x1000."""

    def __init__(self, poison: int) -> None:
        g = torch.Generator().manual_seed(1)
        self.x, self.y = torch.randn(512, 4, generator=g), torch.randn(512, 1, generator=g) * 0.1
        self.x[poison] *= 1000.0

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.x[i], "labels": self.y[i]}


class Regressor(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": torch.nn.functional.mse_loss(self.net(x), labels)}


class SeenInputs(transformers.TrainerCallback):
    """The inputs of every batch the Trainer's loader draws, per epoch (its collator; not the guard's re-runs)."""

    def __init__(self) -> None:
        self.epochs: list[list[torch.Tensor]] = []

    def collate(self, features: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        batch = transformers.default_data_collator(features)
        self.epochs[-1].append(batch["x"].clone())
        return batch

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.epochs.append([])


@pytest.mark.timeout(300)
@pytest.mark.parametrize("drop", [True, False])
def test_culprit_samples_are_named_and_dropped_from_later_epochs(tmp_path: Path, drop: bool) -> None:
    poison = 300
    torch.manual_seed(0)
    policy = gradguard.chain(gradguard.AttributeSpikes(), gradguard.safe())
    guard_cb = GradGuardTrainerCallback(policy=policy, run_dir=False, drop_culprits=drop,
                                        drop_file=tmp_path / "drop.json")
    seen = SeenInputs()
    args = _args(tmp_path, max_steps=-1, num_train_epochs=3, per_device_train_batch_size=16, logging_steps=50,
                 remove_unused_columns=False)  # the default random order: the poisoned sample's step is seeded
    trainer = transformers.Trainer(model=Regressor(), args=args, train_dataset=Regression(poison),
                                   data_collator=seen.collate, callbacks=[seen, guard_cb])
    trainer.train()
    keeper = gradguard.attribution.find_attributor(guard_cb.guard.policy)
    data = {s: r for s, r in keeper.results.items() if r["verdict"] == "data"}
    assert data, {s: (r["verdict"], r.get("error")) for s, r in keeper.results.items()}
    first = data[min(data)]
    assert min(data) < 32 and first["culprit_samples"][0]["loader_index"] == poison  # named in epoch 0
    assert all(c["loader_index"] == poison for r in data.values() for c in r["culprit_samples"] if c["outlier"])
    counts = [sum(int((b.abs() > 100).any(dim=1).sum()) for b in epoch) for epoch in seen.epochs]
    sizes = [sum(b.shape[0] for b in epoch) for epoch in seen.epochs]
    assert counts[0] == 1 and sizes[0] == 512
    if drop:
        assert guard_cb.culprits.drop_ids == {poison} and json.loads((tmp_path / "drop.json").read_text()) == [poison]
        assert counts[1:] == [0, 0] and sizes[1:] == [511, 511]  # every other sample, every later epoch
    else:
        assert guard_cb.culprits.drop_ids == set() and counts == [1, 1, 1] and sizes == [512] * 3
