"""Attribution benchmark (issue 18): planted causes of spikes, over several seeds, on CPU.

Causes (each planted at step ``--at`` of a run guarded by ``chain(AttributeSpikes(), recover())`` and fed from
``guard.batches(loader)``):

- ``poisoned_sample``: one sample of one batch scaled x1000 (4-layer ReLU MLP regression, Adam 1e-3, batch 32);
  expected ``data``, the planted sample among the top 3;
- ``repeated_token``: one sequence of one repeated token in a batch of a small LM (embedding + GRU, 64 tokens,
  length 32, batch 8, trained on a Markov chain: one successor 95%, another 5%, Adam 3e-3); expected ``data``, the
  sequence among the top 3;
- ``lr_raised``: the learning rate raised 100x for 5 steps (the MLP); expected ``state``;
- ``bit_flip``: bit 30 (the top exponent bit) of one non-zero gradient element (|g| < 2, so that the flip makes it
  huge: a zero would become 2.0) flipped on one step only (the MLP);
  expected ``hardware``.

Per cause: spikes detected (an attributed event within 10 steps of the plant), verdict accuracy (the first
attributed event's verdict; a run with no attributed event counts as wrong), culprit recall (planted sample among
the top 3, data causes), the attribution's time over the median training step (forward + backward + guard.step)
and its re-runs. ``healthy``: the same runs with nothing planted: events and attributions per run.

Every run feeds its loop from ``guard.batches(..., drop_culprits=True)``: a column counts the samples dropped over
all runs of a row (a healthy run should drop none). The last column counts heavy clips (``clip`` events: gradients
scaled below 0.1, which are not attributed): on a cause's row the runs whose planted step drew a clip and no spike
event; on a healthy row the clip events per 1,000 steps (what attributing them would cost).

``--final``: the MLP over 3 epochs of a data set holding 3 samples scaled x1000 (the same every epoch, a
sequential loader); the clean evaluation loss at the end for: no guard (``nothing``), ``recover`` skipping whole
batches (PaLM-style), ``recover`` + ``drop_culprits`` (the culprit samples only, and never again).

``--policy safe``: the same with ``safe`` (no snapshot: the data/state verdict comes from the samples' shares).
``--policy recover+clips`` / ``safe+clips``: the policy wrapped in ``AttributeClips`` (heavy clips and outlier
skips without a spike event are attributed too).

``--feed step``: no ``guard.batches``; each batch is given to ``guard.step(loss, inputs=x, targets=y)`` and the
policy is the bare preset when it holds an ``AttributeSpikes`` (``recover`` does once it attributes by default;
otherwise chained explicitly, as the header says). Nothing is dropped (the loader's order is not known).

Usage: ``python benchmarks/attribution.py --seeds 5 [--first-seed 5] [--final] [--policy safe] [--feed step]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import struct
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

import gradguard
from gradguard.attribution import AttributeClips, AttributeSpikes, find_attributor

#: the learning rate is multiplied by this for 5 steps (lr_raised)
LR_FACTOR = 100.0
EXPECTED = {"poisoned_sample": "data", "repeated_token": "data", "lr_raised": "state", "bit_flip": "hardware"}


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                         nn.Linear(64, 1))


def _regression(seed: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1000 + seed)
    x = torch.randn(n, 16, generator=g)
    w = torch.randn(16, 1, generator=g) / 4
    return x, torch.sin(x @ w) + 0.05 * torch.randn(n, 1, generator=g)


class _LM(nn.Module):
    def __init__(self, vocab: int = 64) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, 32)
        self.rnn = nn.GRU(32, 64, batch_first=True)
        self.out = nn.Linear(64, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(self.emb(x))
        return self.out(h)


def _lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def _markov(seed: int, batches: int, batch: int = 8, length: int = 33, vocab: int = 64) -> torch.Tensor:
    g = torch.Generator().manual_seed(2000 + seed)
    succ = torch.stack([torch.randperm(vocab, generator=g)[:2] for _ in range(vocab)])  # 2 successors
    for t in range(vocab):  # never a token after itself: a run of one token is out of distribution
        succ[t][succ[t] == t] = (t + 1) % vocab
    seqs = torch.empty(batches * batch, length, dtype=torch.long)
    seqs[:, 0] = torch.randint(0, vocab, (batches * batch,), generator=g)
    for i in range(1, length):
        pick = (torch.rand(batches * batch, generator=g) < 0.05).long()  # the first successor 95% of the time
        seqs[:, i] = succ[seqs[:, i - 1], pick]
    return seqs


def _task(task: str, seed: int, steps: int) -> tuple[nn.Module, Callable[..., torch.Tensor], list[Any], float]:
    torch.manual_seed(seed)
    if task == "lm":
        seqs = _markov(seed, steps)
        batches = [(s[:, :-1], s[:, 1:]) for s in seqs.split(8)]
        return _LM(), _lm_loss, batches, 3e-3
    x, y = _regression(seed, steps * 32)
    return _mlp(), nn.MSELoss(), list(zip(x.split(32), y.split(32), strict=True)), 1e-3


def run_one(cause: str | None, task: str, seed: int, steps: int, at: int, preset: str = "recover",
            feed: str = "batches") -> dict[str, Any]:
    """One guarded run with ``cause`` planted at step ``at`` (None: healthy); ``feed``: ``batches`` (the loop fed
    from ``guard.batches``, ``chain(AttributeSpikes(), preset)``) or ``step`` (the bare preset, each batch given
    to ``guard.step(loss, inputs=x, targets=y)``)."""
    model, loss_fn, batches, lr = _task(task, seed, steps)
    g = torch.Generator().manual_seed(3000 + seed)
    planted = int(torch.randint(0, batches[0][0].shape[0], (1,), generator=g))
    if cause == "poisoned_sample":
        x, y = batches[at]
        x = x.clone()
        x[planted] *= 1000.0
        batches[at] = (x, y)
    elif cause == "repeated_token":
        x, y = batches[at]
        x, y = x.clone(), y.clone()
        tok = int(torch.randint(0, 64, (1,), generator=g))
        x[planted], y[planted] = tok, tok
        batches[at] = (x, y)
    opt = torch.optim.Adam(model.parameters(), lr)
    base = gradguard.recover() if preset.startswith("recover") else gradguard.safe()
    own = find_attributor(base) if feed == "step" else None  # the preset's own AttributeSpikes
    keeper = own if own is not None else AttributeSpikes()
    policy: Any = base if own is not None else gradguard.chain(keeper, base)
    if preset.endswith("+clips"):  # heavy clips and outlier skips attributed too
        policy = AttributeClips(policy)
    guard = gradguard.Guard(model, opt, loss_fn=loss_fn, policy=policy)
    step_times: list[float] = []
    events = clips = 0
    clip_only_at_plant = False  # the plant's step drew a heavy clip (a "clip" event) and no spike event
    size = batches[0][0].shape[0]
    source = guard.batches(batches, drop_culprits=True, sample_ids=lambda n, b: list(
        range(n * size, n * size + b[0].shape[0]))) if feed == "batches" else None  # (it binds the keeper)
    for xb, yb in (batches if source is None else source):
        if guard.step_index >= steps:
            break
        s = guard.step_index
        if cause == "lr_raised" and s in (at, at + 5):
            for group in opt.param_groups:
                group["lr"] = group["lr"] * (LR_FACTOR if s == at else 1 / LR_FACTOR)
        t0 = time.perf_counter()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        if cause == "bit_flip" and s == at:
            grad = model[2].weight.grad  # type: ignore[index]
            flat = grad.view(-1)
            candidates = torch.nonzero((flat != 0) & (flat.abs() < 2)).flatten()  # the flip makes them huge
            k = int(candidates[int(torch.randint(0, candidates.numel(), (1,), generator=g))])
            bits = struct.unpack("<I", struct.pack("<f", float(flat[k])))[0] ^ (1 << 30)
            flat[k] = struct.unpack("<f", struct.pack("<I", bits))[0]
        report = guard.step(loss) if feed == "batches" else guard.step(loss, inputs=xb, targets=yb)
        opt.zero_grad(set_to_none=True)
        elapsed = time.perf_counter() - t0
        events += sum(1 for e in report.events if e.kind in ("loss_spike", "explode", "nonfinite"))
        kinds = {e.kind for e in report.events}
        clips += "clip" in kinds
        if s == at and "clip" in kinds and not kinds & {"loss_spike", "explode", "nonfinite"}:
            clip_only_at_plant = True
        if not any(e.kind in ("loss_spike", "explode", "nonfinite") for e in report.events):
            step_times.append(elapsed)
    guard.close()
    results = dict(sorted(keeper.results.items()))
    found = next((r for s, r in results.items() if at <= s <= at + 10), None) if cause is not None else None
    step_s = statistics.median(step_times)
    out: dict[str, Any] = {"events": events, "attributions": len(results), "step_s": step_s, "found": found,
                           "verdicts": [r.get("verdict") for r in results.values()],
                           "dropped": 0 if source is None else len(source.dropped_samples), "clips": clips,
                           "clip_only_at_plant": clip_only_at_plant, "steps": guard.step_index}
    if found is not None:
        out["verdict"] = found.get("verdict")
        out["cost_ratio"] = found["cost_s"] / step_s
        out["cost_s"] = found["cost_s"]
        out["reruns"] = found["reruns"]
        top = [c.get("index") for c in found["culprit_samples"]]
        out["recall"] = planted in top if cause in ("poisoned_sample", "repeated_token") and found["step"] == at \
            else None
        if cause in ("poisoned_sample", "repeated_token") and found["step"] != at:
            out["recall"] = False
    return out


def _pct(xs: list[bool]) -> str:
    return f"{100 * sum(xs) / len(xs):.0f}% ({sum(xs)}/{len(xs)})" if xs else "-"


def table(seeds: list[int], steps: int, at: int, preset: str, feed: str = "batches") -> None:
    base = preset[:-6] if preset.endswith("+clips") else preset
    bare = feed == "step" and find_attributor(gradguard.recover() if base == "recover" else gradguard.safe())
    policy = f"{base}()" if bare else f"chain(AttributeSpikes(), {base}())"
    policy = f"AttributeClips({policy})" if preset.endswith("+clips") else policy
    print(f"seeds {seeds[0]}-{seeds[-1]}, {steps} steps, cause planted at step {at}, {policy}, "
          + ("fed from guard.batches" if feed == "batches" else "each batch given to guard.step(loss, inputs=x, "
             "targets=y)" + ("" if bare else f" ({base} holds no AttributeSpikes: chained explicitly)")))
    print("| cause | expected | detected | verdict accuracy | verdicts | culprit recall (top 3) | "
          "attribution / step time | attribution s, step ms (medians) | re-runs | samples dropped (all runs) | "
          "clip events: runs whose plant step drew only a clip (not attributed) / per 1k steps |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    tasks = {"poisoned_sample": "mlp", "repeated_token": "lm", "lr_raised": "mlp", "bit_flip": "mlp"}
    for cause, task in tasks.items():
        runs = [run_one(cause, task, s, steps, at, preset, feed) for s in seeds]
        detected = [r["found"] is not None for r in runs]
        right = [r.get("verdict") == EXPECTED[cause] for r in runs]
        verdicts = ", ".join(f"{v}: {sum(1 for r in runs if r.get('verdict') == v)}"
                             for v in ("data", "state", "hardware", None)
                             if any(r.get("verdict") == v for r in runs))
        recall = [bool(r.get("recall")) for r in runs]  # a data cause not attributed counts as missed
        ratios = [r["cost_ratio"] for r in runs if "cost_ratio" in r]
        reruns = [r["reruns"] for r in runs if "reruns" in r]
        ratio = f"{statistics.median(ratios):.1f}x (max {max(ratios):.1f}x)" if ratios else "-"
        costs = [r["cost_s"] for r in runs if "cost_s" in r]
        absolute = (f"{statistics.median(costs):.3f} s, {1000 * statistics.median(r['step_s'] for r in runs):.2f} ms"
                    if costs else "-")
        rr = f"{statistics.median(reruns):.0f}" if reruns else "-"
        rec = _pct(recall) if cause in ("poisoned_sample", "repeated_token") else "n/a"
        print(f"| {cause} | {EXPECTED[cause]} | {_pct(detected)} | {_pct(right)} | {verdicts or '-'} | {rec} | "
              f"{ratio} | {absolute} | {rr} | {sum(r['dropped'] for r in runs)} | "
              f"{sum(r['clip_only_at_plant'] for r in runs)}/{len(runs)} |")
    for task in ("mlp", "lm"):
        runs = [run_one(None, task, s, steps, at, preset, feed) for s in seeds]
        healthy_verdicts = [v for r in runs for v in r["verdicts"]]
        said = ", ".join(f"{v}: {healthy_verdicts.count(v)}" for v in sorted(set(healthy_verdicts), key=str)) or "-"
        print(f"| healthy ({task}) | none | - | - | {said} | - | events {sum(r['events'] for r in runs)}, "
              f"attributions {sum(r['attributions'] for r in runs)} in {len(runs)} runs | - | - | "
              f"{sum(r['dropped'] for r in runs)} | {_per_1k(runs)} |")


def _per_1k(runs: list[dict[str, Any]]) -> str:
    """Heavy clips (``clip`` events, coefficient < 0.1) per 1,000 steps of ``runs``: what attributing them costs."""
    steps = sum(r["steps"] for r in runs)
    return f"{sum(r['clips'] for r in runs)} in {steps} steps ({1000 * sum(r['clips'] for r in runs) / steps:.2f})"


def final_losses(seeds: list[int], epochs: int = 3, n: int = 4096) -> None:
    print(f"\nFinal clean evaluation loss, {epochs} epochs over {n} samples holding 3 samples x1000 (mean over "
          f"seeds {seeds[0]}-{seeds[-1]})")
    print("| method | final eval loss (mean) | per seed | samples not trained on (last epoch) |")
    print("|---|---|---|---|")
    rows: dict[str, list[float]] = {"nothing": [], "skip whole batches (recover)": [],
                                    "drop culprits (recover + attribution)": []}
    lost: dict[str, list[int]] = {k: [] for k in rows}
    for seed in seeds:
        x, y = _regression(seed, n + 512)
        xt, yt, xe, ye = x[:n].clone(), y[:n], x[n:], y[n:]
        g = torch.Generator().manual_seed(4000 + seed)
        poison = torch.randperm(n, generator=g)[:3]
        xt[poison] *= 1000.0
        for method in rows:
            torch.manual_seed(seed)
            model = _mlp()
            opt = torch.optim.Adam(model.parameters(), 1e-3)
            loss_fn = nn.MSELoss()
            loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xt, yt), batch_size=32)
            seen = 0
            if method == "nothing":
                for _ in range(epochs):
                    for xb, yb in loader:
                        loss = loss_fn(model(xb), yb)
                        loss.backward()
                        opt.step()
                        opt.zero_grad()
                        seen += xb.shape[0]
            else:
                policy: Any = gradguard.recover()
                culprits = method.startswith("drop")
                if culprits:
                    policy = gradguard.chain(AttributeSpikes(), policy)
                guard = gradguard.Guard(model, opt, loss_fn=loss_fn, policy=policy)
                source = guard.batches(loader, drop_culprits=culprits)
                for _ in range(epochs):
                    seen = 0
                    for xb, yb in source:
                        loss = loss_fn(model(xb), yb)
                        loss.backward()
                        report = guard.step(loss)
                        opt.zero_grad()
                        seen += xb.shape[0] if report.applied else 0
                guard.close()
            with torch.no_grad():
                value = float(loss_fn(model(xe), ye))
            rows[method].append(value if math.isfinite(value) else math.nan)
            lost[method].append(n - seen if method != "nothing" else 0)
    for method, values in rows.items():
        per = ", ".join(f"{v:.4g}" for v in values)
        print(f"| {method} | {statistics.fmean(values):.4g} | {per} | {statistics.fmean(lost[method]):.0f} |")


def step_times(rounds: int = 21, steps: int = 100) -> None:
    """Per-step time of a healthy run under ``recover`` with an ``AttributeSpikes`` (last, as the preset would hold
    it) over without, with no batch given and with ``inputs=``/``targets=`` given, in interleaved rounds; a second
    run without it (A/A) shows the noise."""
    members = [m for m in gradguard.recover().policies if not isinstance(m, AttributeSpikes)]  # type: ignore[attr-defined]
    x, y = _regression(0, steps * 32)
    batches = list(zip(x.split(32), y.split(32), strict=True))
    times: dict[tuple[str, str], list[float]] = {}
    attributions = 0
    order = [(feed, arm) for feed in ("none", "inputs") for arm in ("without", "with", "without again")]
    for r in range(rounds):
        for feed, arm in (order if r % 2 == 0 else order[::-1]):
            torch.manual_seed(r)
            model = _mlp()
            opt = torch.optim.Adam(model.parameters(), 1e-3)
            loss_fn = nn.MSELoss()
            policy = gradguard.chain(*members, *([AttributeSpikes()] if arm == "with" else []))
            guard = gradguard.Guard(model, opt, loss_fn=loss_fn, policy=policy)
            t0 = time.perf_counter()
            for xb, yb in batches:
                loss = loss_fn(model(xb), yb)
                loss.backward()
                guard.step(loss) if feed == "none" else guard.step(loss, inputs=xb, targets=yb)
                opt.zero_grad(set_to_none=True)
            times.setdefault((feed, arm), []).append((time.perf_counter() - t0) / steps)
            keeper = find_attributor(policy)
            attributions += 0 if keeper is None else len(keeper.results)
            guard.close()
    print(_added_work(members, batches))
    print(f"per-step time, healthy 4-layer MLP (batch 32, Adam), recover: {rounds} interleaved rounds of {steps} "
          f"steps (medians); attributions made: {attributions}")
    print("| batch given to guard.step | without AttributeSpikes | with | with / without (median of per-round "
          "ratios) | without again / without (A/A: the noise) |")
    print("|---|---|---|---|---|")
    for feed in ("none", "inputs"):
        off, on, again = times[(feed, "without")], times[(feed, "with")], times[(feed, "without again")]
        ratio = statistics.median(b / a for a, b in zip(off, on, strict=True))
        noise = statistics.median(b / a for a, b in zip(off, again, strict=True))
        print(f"| {'no' if feed == 'none' else 'inputs=, targets='} | {1e3 * statistics.median(off):.3f} ms | "
              f"{1e3 * statistics.median(on):.3f} ms | {ratio:.3f} | {noise:.3f} |")


def _added_work(members: list[Any], batches: list[Any], calls: int = 20000) -> str:
    """The work the member adds to a healthy step, timed alone (a loaded machine's step times are too noisy): the
    policy's decision on a healthy step's statistics with and without it, and the hand-over of a given batch."""
    from gradguard._guard_step import offer_batch

    model = _mlp()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = nn.MSELoss()
    out = {}
    for arm in ("without", "with", "without again", "with again"):
        policy = gradguard.chain(*members, *([AttributeSpikes()] if arm.startswith("with ") or arm == "with" else []))
        guard = gradguard.Guard(model, opt, loss_fn=loss_fn, policy=policy)
        xb, yb = batches[0]
        loss = loss_fn(model(xb), yb)
        loss.backward()
        stats = guard._observe(loss, None, None, None, None)[0]  # a healthy step's statistics, nothing applied
        opt.zero_grad(set_to_none=True)
        t0 = time.perf_counter()
        for _ in range(calls):
            guard.policy.decide(stats, ())
        decide = (time.perf_counter() - t0) / calls
        t0 = time.perf_counter()
        for _ in range(calls):
            offer_batch(guard, 0, xb, yb, None)
        out[arm] = (decide, (time.perf_counter() - t0) / calls)
        guard.close()
    d_off = min(out["without"][0], out["without again"][0])
    d_on = min(out["with"][0], out["with again"][0])
    offer = min(out["with"][1], out["with again"][1])
    return (f"added work a step, timed alone ({calls} calls, best of 2): recover's decision {1e6 * d_off:.1f} us "
            f"without, {1e6 * d_on:.1f} us with AttributeSpikes (+{1e6 * (d_on - d_off):.1f} us); handing a given "
            f"batch to it {1e6 * offer:.2f} us (only on a step given inputs= or closure=)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--at", type=int, default=150)
    parser.add_argument("--policy", choices=("recover", "safe", "recover+clips", "safe+clips"), default="recover",
                        help="the preset beside AttributeSpikes (safe keeps no snapshot: verdicts from the samples; "
                             "+clips: wrapped in AttributeClips, heavy clips and outlier skips attributed too)")
    parser.add_argument("--feed", choices=("batches", "step"), default="batches",
                        help="batches: the loop fed from guard.batches with chain(AttributeSpikes(), preset); step: "
                             "the bare preset, each batch given to guard.step(loss, inputs=x, targets=y) (nothing "
                             "dropped: the loader's order is not known)")
    parser.add_argument("--final", action="store_true", help="also the final-loss comparison")
    parser.add_argument("--only-final", action="store_true")
    parser.add_argument("--step-time", action="store_true", help="only the per-step time of a healthy run under "
                        "recover with an AttributeSpikes over without (interleaved rounds)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    if args.step_time:
        step_times()
        return
    if not args.only_final:
        table(seeds, args.steps, args.at, args.policy, args.feed)
    if args.final or args.only_final:
        final_losses(seeds)


if __name__ == "__main__":
    main()
