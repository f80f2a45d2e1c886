"""Flight records: exact round trips, atomic writes, faithful replays and clear errors on bad files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from gradguard import flight
from gradguard.errors import GradGuardError
from gradguard.flight import FlightRecordError, load_flight_record, replay, save_flight_record
from gradguard.forensics import capture_rng_state, find_nonfinite_origin_from_batch


class Log(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(x)


class Net(nn.Module):
    """Linear -> BatchNorm -> ReLU -> Dropout -> Log -> Linear: -inf from the Log wherever the ReLU gave 0."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.3), Log())
        self.head = nn.Linear(6, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def mse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((out - target) ** 2).mean()


def trained(steps: int = 3) -> tuple[Net, torch.optim.Adam, torch.Tensor, torch.Tensor]:
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.8, 0.95))
    x, y = torch.rand(8, 4), torch.randn(8, 1)
    safe = nn.Sequential(model.body[:4], model.head)
    for _ in range(steps):
        opt.zero_grad()
        mse(safe(x), y).backward()
        opt.step()
    return model, opt, x, y


def tensors_equal(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(tensors_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(tensors_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def test_round_trip_is_exact(tmp_path: Path) -> None:
    model, opt, x, y = trained()
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    batch = {"x": x, "extra": [x * 2, (y,)]}
    rng = capture_rng_state()
    path = save_flight_record(tmp_path / "rec.flight", model=model, optimizer=opt, step=41, inputs=batch, targets=y,
                              loss_fn=mse, rng_state=rng, scaler=scaler, extra={"events": [{"kind": "nonfinite"}]})
    assert path == tmp_path / "rec.flight" and path.is_file()
    record = load_flight_record(path, trust=True)  # we wrote it: the pickled model and loss may be rebuilt
    assert record.step == 41 and record.extra == {"events": [{"kind": "nonfinite"}]}
    assert tensors_equal(record.inputs, batch) and tensors_equal(record.targets, y)
    assert tensors_equal(record.model_state, model.state_dict())
    assert tensors_equal(record.optimizer["state_dict"], opt.state_dict())  # type: ignore[index]
    moments = record.optimizer["state_dict"]["state"][0]  # type: ignore[index]
    assert torch.equal(moments["exp_avg"], opt.state[model.body[0].weight]["exp_avg"])
    assert torch.equal(moments["exp_avg_sq"], opt.state[model.body[0].weight]["exp_avg_sq"])
    assert record.optimizer["class"] == "torch.optim.adam.Adam"  # type: ignore[index]
    assert record.optimizer["hyperparameters"][0]["betas"] == (0.8, 0.95)  # type: ignore[index]
    assert torch.equal(record.rng_state["torch"], rng["torch"]) and record.rng_state["python"] == rng["python"]
    assert record.scaler_state is not None and record.scaler_state["scale"] == 1024.0
    assert record.versions["torch"] == torch.__version__ and record.loss_fn_name.endswith("mse")  # type: ignore[union-attr]
    rebuilt = record.build_model()
    assert type(rebuilt) is Net and tensors_equal(rebuilt.state_dict(), model.state_dict())
    opt2 = record.build_optimizer(rebuilt)
    assert tensors_equal(opt2.state_dict(), opt.state_dict())
    assert record.build_loss_fn() is mse


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, opt, x, y = trained(1)
    path = tmp_path / "rec.flight"
    save_flight_record(path, model=model, optimizer=opt, step=1, inputs=x, targets=y, loss_fn=mse)
    old = path.read_bytes()
    real_save = torch.save

    def save_then_fail(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(obj, dict) and obj.get("format") == flight.FLIGHT_FORMAT:
            f.write(b"half a record")
            assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # the temp file exists now
            raise OSError("disk full")
        real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(flight.torch, "save", save_then_fail)
    with pytest.raises(FlightRecordError, match="disk full"):
        save_flight_record(path, model=model, optimizer=opt, step=2, inputs=x, targets=y, loss_fn=mse)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.flight"]
    assert load_flight_record(path).step == 1


def test_replay_reproduces_and_names_the_producer(tmp_path: Path) -> None:
    model, opt, x, y = trained()
    torch.manual_seed(7)
    rng = capture_rng_state()  # taken before the forward, as the guard does
    loss = mse(model(x), y)
    assert not torch.isfinite(loss)
    live = find_nonfinite_origin_from_batch(model, mse, x, y, rng_state=rng)
    assert (live.phase, live.module) == ("forward", "body.4")
    path = save_flight_record(tmp_path / "r.flight", model=model, optimizer=opt, step=3, inputs=x, targets=y,
                              loss_fn=mse, rng_state=rng)
    result = replay(path, trust=True)
    assert result.reproduced and result.step == 3
    assert json.dumps(result.loss) == json.dumps(loss.item())  # NaN == NaN here
    assert json.dumps(result.origin.to_dict()) == json.dumps(live.to_dict())
    json.dumps(result.to_dict())
    # the same with a fresh instance handed in, and with the loss function handed in
    fresh = Net()
    again = replay(path, loss_fn=mse, model=fresh)
    assert json.dumps(again.origin.to_dict()) == json.dumps(live.to_dict())
    assert tensors_equal(fresh.state_dict(), model.state_dict())


def test_replay_of_a_healthy_step_does_not_reproduce(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    rng = capture_rng_state()
    expected = mse(model(x), y).item()
    path = save_flight_record(tmp_path / "ok.flight", model=model, optimizer=None, step=0, inputs=x, targets=y,
                              loss_fn=mse, rng_state=rng)
    result = replay(path, trust=True)
    assert not result.reproduced and result.origin.phase == "none" and result.nonfinite_grads == ()
    assert result.loss == expected  # same dropout mask: bit-identical loss


def test_unpicklable_loss_must_be_passed(tmp_path: Path) -> None:
    model = nn.Linear(4, 1)
    x, y = torch.randn(2, 4), torch.randn(2, 1)
    path = save_flight_record(tmp_path / "l.flight", model=model, optimizer=None, step=0, inputs=x, targets=y,
                              loss_fn=lambda out, t: ((out - t) ** 2).mean())
    assert load_flight_record(path).loss_fn_bytes is None
    with pytest.raises(FlightRecordError, match="loss_fn="):
        replay(path, trust=True)
    assert replay(path, loss_fn=mse, trust=True).origin.phase == "none"


def test_unpicklable_model_is_stored_as_weights(tmp_path: Path) -> None:
    model = nn.Linear(4, 1)
    model.register_forward_hook(lambda m, a, o: None)  # a lambda makes the object unpicklable
    path = save_flight_record(tmp_path / "m.flight", model=model, optimizer=None, step=0, inputs=torch.randn(2, 4),
                              targets=torch.randn(2, 1), loss_fn=mse)
    record = load_flight_record(path)
    assert record.model_bytes is None and tensors_equal(record.model_state, model.state_dict())
    with pytest.raises(FlightRecordError, match="model="):
        replay(path, trust=True)
    assert not replay(path, model=nn.Linear(4, 1), trust=True).reproduced


@pytest.mark.parametrize("content", [b"", b"not a torch file at all", "truncated"])
def test_garbled_file_raises(tmp_path: Path, content: bytes | str) -> None:
    path = tmp_path / "bad.flight"
    if content == "truncated":
        save_flight_record(path, model=nn.Linear(2, 1), optimizer=None, step=0, loss_fn=mse)
        path.write_bytes(path.read_bytes()[: os.path.getsize(path) // 2])
    else:
        path.write_bytes(content)  # type: ignore[arg-type]
    with pytest.raises(FlightRecordError, match="not a readable gradguard flight record") as info:
        replay(path)
    assert isinstance(info.value, GradGuardError)


def test_wrong_kind_of_file_and_missing_file(tmp_path: Path) -> None:
    torch.save({"weights": torch.zeros(2)}, tmp_path / "w.pt")
    with pytest.raises(FlightRecordError, match="not a gradguard flight record"):
        load_flight_record(tmp_path / "w.pt")
    torch.save({"format": flight.FLIGHT_FORMAT, "version": 99}, tmp_path / "v.pt")
    with pytest.raises(FlightRecordError, match="version 99"):
        load_flight_record(tmp_path / "v.pt")
    with pytest.raises(FlightRecordError, match="no flight record"):
        load_flight_record(tmp_path / "absent.flight")
    with pytest.raises(FlightRecordError, match="JSON"):
        save_flight_record(tmp_path / "x.flight", model=nn.Linear(2, 1), optimizer=None, step=0,
                           extra={"t": torch.zeros(1)})


class _Payload:
    """A pickled object that would run code when unpickled (here: it only records that it did)."""

    ran = False

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_mark_ran, ())


def _mark_ran() -> None:
    _Payload.ran = True


def test_a_crafted_record_runs_nothing_without_trust(tmp_path: Path) -> None:
    from gradguard._safe_load import UntrustedFileError

    model, opt, x, y = trained(1)
    path = save_flight_record(tmp_path / "evil.flight", model=model, optimizer=opt, step=1, inputs=x, targets=y,
                              loss_fn=mse)
    payload = torch.load(path, weights_only=False)
    payload["inputs"] = _Payload()  # an object that runs code when loaded
    torch.save(payload, path)
    _Payload.ran = False
    with pytest.raises(UntrustedFileError, match="trust=True"):
        replay(path)
    assert not _Payload.ran
    clean = save_flight_record(tmp_path / "ok.flight", model=model, optimizer=opt, step=1, inputs=x, targets=y,
                               loss_fn=mse)
    record = load_flight_record(clean)  # the container loads without trust: tensors, numpy RNG state, bytes
    with pytest.raises(FlightRecordError, match="trust=True"):
        record.build_model()  # the pickled model only with trust
    assert replay(clean, model=Net(), loss_fn=mse).step == 1  # the architecture and loss passed in: no trust needed
