"""Precursor claims: per-layer update capping (StableAdamW) against global clipping, and z-loss on the output logits."""

from __future__ import annotations

import numpy as np

from ..policy import chain, clip_by_global_norm, recover, skip_nonfinite
from ..precursors import update_cap
from ._core import Experiment, LabResult, Plot, Verdict, fmt
from ._transformer import tokens, train_lm

CLAIM = ("Capping each layer's Adam step where its second moment under-estimates the gradient (StableAdamW: divide "
         "by max(1, RMS(g²/v))) stops loss spikes as well as clipping the global gradient norm does, without "
         "touching the other layers; and z-loss keeps the output logits' log Z near 0.")
SOURCE = "issue 17; Wortsman et al. 2023, 'Stable and low-precision training for large-scale vision-language models'"


def run(quick: bool = False) -> LabResult:
    """Provoked spikes (one-token batches, loss x20) in a 2-layer GPT under AdamW (0.9, 0.999), and z-loss."""
    steps = 80 if quick else 160
    spikes = (40, 60) if quick else (60, 100, 140)
    data = tokens(steps)
    methods = {
        "none": {},
        "clip_grad_norm 1.0": {"policy": chain(skip_nonfinite(), clip_by_global_norm(1.0))},
        "StableAdamW cap (max_rms 1)": {"cap": True},
        "recover": {"policy": recover()},
        "recover + evidence-gated cap": {"policy": chain(*recover().policies, update_cap())},  # type: ignore[attr-defined]
    }
    rows = []
    after: dict[str, float] = {}
    final: dict[str, float] = {}
    plot = Plot("Loss per step with provoked spikes", "step", "loss")
    for name, kw in methods.items():
        r = train_lm(3e-3, steps, spikes=spikes, data=data, betas=(0.9, 0.999), **kw)  # type: ignore[arg-type]
        losses = np.asarray(r.losses)
        after[name] = float(np.mean([losses[s + 1:s + 6].mean() for s in spikes]))
        final[name] = r.final()
        rows.append([name, fmt(after[name], 3), fmt(final[name], 3), str(r.capped_steps)])
        plot.series[name] = (list(map(float, range(len(r.losses)))), r.losses)
    z_rows = []
    for z in (0.0, 1e-4):
        r = train_lm(3e-2, steps, z_loss=z, data=data)
        z_rows.append((z, r.log_z[-1] if r.log_z else float("nan"), r.final()))
        rows.append([f"z-loss {z:g} at lr 0.03", "-", fmt(r.final(), 3), f"log Z at end {fmt(z_rows[-1][1], 2)}"])
    cap, clip, none = (after["StableAdamW cap (max_rms 1)"], after["clip_grad_norm 1.0"], after["none"])
    if cap <= 1.05 * clip and final["StableAdamW cap (max_rms 1)"] <= 1.05 * final["clip_grad_norm 1.0"]:
        verdict = Verdict("supported", f"loss after the spikes: cap {cap:.3f}, global clip {clip:.3f}, none {none:.3f}")
    elif cap < none:
        verdict = Verdict("depends", f"the setting: the cap helped against no protection ({cap:.3f} vs {none:.3f} "
                                     f"after the spikes) but global clipping did better ({clip:.3f})")
    else:
        verdict = Verdict("not supported", f"capping did not help here: after the spikes cap {cap:.3f}, global "
                                           f"clip {clip:.3f}, none {none:.3f} (it capped most early steps: Adam's "
                                           "second moment lags in the first hundreds of steps at beta2 0.999)")
    zdrift = abs(z_rows[0][1]) - abs(z_rows[1][1])
    z_plain, z_with = abs(z_rows[0][1]), abs(z_rows[1][1])
    z_ok = z_with <= 0.5 * z_plain  # the claim's second half: z-loss keeps log Z near 0
    z_said = (f"z-loss 1e-4 kept log Z nearer 0 (|log Z| {z_with:.2f} vs {z_plain:.2f} without)" if z_ok else
              f"z-loss 1e-4 did not keep log Z near 0 in {steps} steps (|log Z| {z_with:.2f} vs {z_plain:.2f} without)")
    status = verdict.status
    if (status == "supported" and not z_ok) or (status == "not supported" and z_ok):
        status = "depends"
    verdict = Verdict(status, f"{verdict.condition}; {z_said}")
    measured = ("; ".join(f"{r[0]}: after spikes {r[1]}, final {r[2]}, {r[3]}" for r in rows)
                + f"; z-loss moved |log Z| by {zdrift:+.2f} nats")
    setup = (f"GPT-style LM (2 layers, d 64); AdamW lr 3e-3 (0.9, 0.999), no warm-up, {steps} steps; batches "
             f"{', '.join(map(str, spikes))} replaced by one repeated token with the loss x20; 'after spikes' = mean "
             "loss over the 5 steps after each; 'recover + evidence-gated cap': the guard divides each layer's step by "
             "max(1, RMS) only on a step whose gradient is > 10x what Adam's second moment expects (UpdateCap); "
             "z-loss rows: lr 0.03, 1e-4 * log Z^2 added to the loss")
    headers = ["method", "loss after spikes", "final loss", "capped steps / log Z"]
    return LabResult("capping", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("capping", "Update capping vs clipping, and z-loss", run)
