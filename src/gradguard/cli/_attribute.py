"""``gradguard attribute FLIGHT_RECORD``: replay a recorded step to attribute it to data, state or hardware."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from ..record._json import to_jsonable
from ._app import CliError, app, console, existing_path


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out


def _recorded(event: dict[str, Any]) -> dict[str, Any]:
    """What the step computed, from the recorded event: its loss and gradient norm (non-finite ones included)."""
    evidence = event.get("evidence") or {}
    out: dict[str, Any] = {}
    loss = _float(evidence.get("loss"))
    if loss is not None:
        out["recorded_loss"] = loss
    norm = _float(evidence.get("grad_norm"))
    if norm is not None:
        out["recorded_grad_norm"] = norm
    return out


def format_attribution(result: dict[str, Any]) -> list[str]:
    """Human lines for one attribution result (also used by ``inspect``)."""
    if result.get("verdict") is None:
        return [f"attribution failed: {result.get('error', 'unknown error')}"]
    basis = {"same_state": "a re-run on the same state and batch differs",
             "snapshot": "the batch on the previous snapshot", "samples": "the samples' gradient shares (no snapshot)"}
    lines = [f"verdict: {result['verdict']} (from {basis.get(result.get('basis', ''), result.get('basis'))}); "
             f"{result.get('reruns', 0)} re-runs, {result.get('cost_s', 0.0):.3g} s"]
    why = (result.get("numbers") or {}).get("why")
    if why:
        lines.append(f"  why: {why}")
    snap = (result.get("numbers") or {}).get("snapshot") or {}
    if snap.get("ratio") is not None:
        lines.append(f"  at the snapshot of step {snap.get('step')}: {snap.get('ratio'):.3g}x its baseline "
                     f"({'recurs' if snap.get('recurs') else 'does not recur'})")
    for c in result.get("culprit_samples", []):
        where = f"sample {c['index']}" if "index" in c else f"samples {c.get('indices')}"
        if c.get("loader_index") is not None:
            where += f" (loader index {c['loader_index']})"
        share = c.get("share")
        share_s = "n/a" if share is None or not math.isfinite(share) else f"{share:.1%}"
        flags = ", ".join(c.get("flags") or []) or "no data flag"
        lines.append(f"  {where}: gradient share {share_s}, loss {c.get('loss', math.nan):.4g}; {flags}")
    if result.get("dropped"):
        lines.append(f"  dropped: {[d.get('loader_index', d.get('position')) for d in result['dropped']]}")
    return lines


@app.command()
def attribute(
    flight_record: Annotated[Path, typer.Argument(help="A flight record (run_dir/flight/*.pt or *.flight).")],
    snapshot: Annotated[Path | None, typer.Option(
        "--snapshot", help="A snapshot file from before the step (SnapshotStore(directory=...)): the data/state "
                           "test. Without it the verdict comes from the samples' gradient shares.")] = None,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print the result as JSON.")] = False,
    trust: Annotated[bool, typer.Option("--trust", metavar="",
                                        help="Rebuild the pickled model and loss function stored in the record "
                                             "(runs code from the file: only for records you trust).")] = False,
) -> None:
    """Replay a recorded step: is it hardware (a re-run differs), data (it recurs on an earlier snapshot) or state,
    and which samples of the batch carry it. Needs --trust to rebuild the recorded model and loss function."""
    from ..attribution import Replay, attribute_step
    from ..attribution._batch import BatchLoss, default_batch_loss
    from ..flight import load_flight_record
    from ..mitigation.snapshots import load_snapshot

    existing_path(flight_record, "flight record")
    if not trust:
        raise CliError(f"{flight_record}: attribution rebuilds the recorded model and loss function, which runs code "
                       "stored in the record; pass --trust if you wrote it yourself or otherwise trust it")
    record = load_flight_record(flight_record, trust=True)
    model = record.build_model()
    closure = record.build_closure()
    loss_fn = record.build_loss_fn()
    batch_loss: BatchLoss
    if closure is not None:
        fn = closure

        def batch_loss(m: Any, b: Any) -> Any:
            return fn(m)
        batch: Any = ()
    elif loss_fn is not None:
        batch_loss = default_batch_loss(loss_fn)
        batch = (record.inputs, record.targets)
    else:
        raise CliError(f"{flight_record}: the record holds no loss function or closure to re-run the step with")
    event = (record.extra or {}).get("event") or {}
    snap = None
    snap_step = None
    if snapshot is not None:
        existing_path(snapshot, "snapshot")
        loaded = load_snapshot(snapshot, trust=True)
        snap, snap_step = loaded.model, loaded.step
    kind = str(event.get("kind", "nonfinite"))
    result = attribute_step(model, batch, batch_loss, Replay(
        kind=kind if kind in ("loss_spike", "explode") else "nonfinite", evidence=event.get("evidence") or {},
        rng_state=record.rng_state, snapshot=snap, snapshot_step=snap_step, **_recorded(event)))
    result["step"] = record.step
    if as_json:
        print(json.dumps(to_jsonable(result), indent=2, allow_nan=False))
        return
    console.print(f"step {record.step} ({event.get('kind', 'unknown event')}), {flight_record}")
    for line in format_attribution(result):
        console.print(line, markup=False)
