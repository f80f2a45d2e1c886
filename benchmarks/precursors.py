"""Do the precursors warn before the loss spikes, and how often do they cry wolf on healthy runs?

Trains small causal transformers (pre-LN, GPT-style, written here) and deep MLPs into loss spikes — a too-high
learning rate without warm-up (divergence from step 1), a rate ramped past the stable range over 300 steps (an onset
that develops), Adam with a tiny epsilon after quiet layers, outlier batches — and healthy runs at
their usual settings, over seeds. Every step it records the loss and, for each signal, its value:

- ``adam_rms``: max over layers of RMS(g^2/u-hat) (Adam's second moment under-estimating the gradient; Wortsman et
  al.'s statistic, bounded by sqrt((1-beta2^t)/(1-beta2)));
- ``adam_surprise``: max over layers of sqrt(sum g^2 / sum v-hat) against the second moment before the step (no ceiling;
  what ``AdamStatePrecursor`` raises ``precursor`` on);
- ``adam_precursor``: what ``AdamStatePrecursor`` raises ``precursor`` on: ``adam_surprise`` over the layers with at
  least 10% of the step's gradient energy, from step 10 (``judged_surprise``);
- ``update_rms``: max over layers of the ratio of Adam's normalised step RMS to its median over the last 20 steps;
- ``attn_logit``: max attention logit over layers and heads (transformers);
- ``log_z``: |log Z - its value at step 0| of the output logits (transformers);
- ``linear_rms``: max over linear layers of the output RMS relative to its value at step 0;
- ``grad_z``: the gradient-norm z-score on the log scale against the last 50 steps (what a z-score clipper sees);
- gradguard's own events (policy monitor): ``ev_loss_spike`` (the loss-spike detector), ``ev_explode`` (the
  gradient-norm detector) and ``events`` (any of loss_spike, divergence, explode, nonfinite: the default detectors).

A *spike* is the first step whose loss is non-finite, or exceeds 1.3x the starting loss (and by 0.3 nats), or
(from step 5) exceeds 1.3x the median of the (up to) 20 steps before (and by 0.3 nats). Each signal is scored at
several thresholds (``GRID``; the development seeds choose, the held-out seeds report). A warning *leads* a spike
when the signal first crosses its threshold within the 25 steps before the spike (lead = spike - crossing, 0 = same
step); crossings on healthy runs are false alarms (per 1,000 steps).

    python benchmarks/precursors.py                      # development seeds 0-2
    python benchmarks/precursors.py --first-seed 3       # held-out seeds 3-5 (score only)
    python benchmarks/precursors.py --steps 300 --seeds 2 --only tf_lr_0.3
    python benchmarks/precursors.py --cost               # per-step cost of the signals
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from gradguard import Guard
from gradguard.precursors import AdamStateMonitor, AdamStatePrecursor
from gradguard.precursors.detectors import judged_surprise
from gradguard.precursors.probes import TransformerProbes

WINDOW = 25  # steps before a spike in which a crossing counts as a warning
EVENT_ROWS = ("events", "ev_loss_spike", "ev_explode")  # gradguard's detectors' events, scored like signals at 0.5

#: signal -> threshold (development seeds only; see the module docstring)
THRESHOLDS = {
    "adam_rms": 3.0,
    "adam_surprise": 10.0,
    "adam_precursor": 10.0,
    "update_rms": 2.0,
    "attn_logit": 100.0,
    "log_z": 5.0,
    "linear_rms": 10.0,
    "grad_z": 3.0,
}


# ------------------------------------------------------------------------------------------------ models
class Block(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.heads = heads
        self.num_heads = heads
        self.c_attn = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        q, k, v = self.c_attn(self.ln1(x)).split(D, dim=2)
        q, k, v = (t.view(B, T, self.heads, D // self.heads).transpose(1, 2) for t in (q, k, v))
        a = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(a.transpose(1, 2).reshape(B, T, D))
        return x + self.out(nn.functional.gelu(self.fc(self.ln2(x))))


class TinyGPT(nn.Module):
    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, heads: int = 4, T: int = 32) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(T, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.lm_head(self.ln(x))


def markov_source(vocab: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(1000 + seed)
    logits = torch.randn(vocab, vocab, generator=g) * 2.5
    return torch.softmax(logits, dim=-1)


def token_batches(probs: torch.Tensor, n: int, B: int, T: int, seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        x = torch.empty(B, T + 1, dtype=torch.long)
        x[:, 0] = torch.randint(0, probs.shape[0], (B,), generator=g)
        for t in range(T):
            x[:, t + 1] = torch.multinomial(probs[x[:, t]], 1, generator=g).squeeze(1)
        out.append(x)
    return out


def mlp(depth: int, width: int) -> nn.Module:
    layers: list[nn.Module] = []
    d = 32
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.ReLU()]
        d = width
    layers.append(nn.Linear(d, 10))
    return nn.Sequential(*layers)


# ------------------------------------------------------------------------------------------------ tasks
@dataclass(frozen=True)
class Task:
    name: str
    healthy: bool
    kind: str  # "tf" | "mlp"
    lr: float
    eps: float = 1e-8
    betas: tuple[float, float] = (0.9, 0.95)
    warmup: int = 0
    outliers: tuple[int, ...] = ()
    quiet_until: int = 0  # low-eps case: the input is near-constant until this step (the second moment decays)
    zero_init: bool = False  # zero-initialised output layers (residual projections and head): layers wake up


TASKS = (
    Task("tf_healthy", True, "tf", 1e-3, warmup=30),
    Task("tf_healthy_3e-3", True, "tf", 3e-3, warmup=30),
    Task("tf_healthy_1e-2_nowarmup", True, "tf", 1e-2),
    Task("tf_healthy_b2_999", True, "tf", 3e-3, betas=(0.9, 0.999), warmup=30),
    Task("mlp_healthy", True, "mlp", 1e-3),
    # zero-initialised output layers, as in GPT-style "zero init of c_proj/lm_head" and zero-init classifier heads:
    # the layers behind them get no gradient at first, then wake up (added in round 3 against that false alarm)
    Task("tf_healthy_zero_init", True, "tf", 1e-3, warmup=30, zero_init=True),
    Task("tf_healthy_zero_init_3e-3", True, "tf", 3e-3, zero_init=True),
    Task("mlp_healthy_zero_head", True, "mlp", 1e-3, zero_init=True),
    Task("tf_lr_0.3", False, "tf", 3e-1),
    Task("tf_ramp_to_0.3", False, "tf", 3e-1, warmup=300),  # the rate climbs past the stable range: onset develops
    Task("tf_ramp_to_0.1_b2_999", False, "tf", 1e-1, betas=(0.9, 0.999), warmup=300),
    Task("mlp_ramp_to_0.1", False, "mlp", 1e-1, warmup=300),
    Task("tf_low_eps_quiet", False, "tf", 3e-3, eps=1e-15, betas=(0.9, 0.999), quiet_until=150),
    Task("tf_outliers", False, "tf", 1e-3, warmup=30, outliers=(150, 220)),
    Task("mlp_high_lr", False, "mlp", 3e-2),
    Task("mlp_outliers", False, "mlp", 1e-3, outliers=(150, 220)),
)


def run(task: Task, seed: int, steps: int) -> dict[str, np.ndarray]:
    torch.manual_seed(seed)
    if task.kind == "tf":
        model: nn.Module = TinyGPT()
        probs = markov_source(64, seed)
        data = token_batches(probs, steps, 16, 32, seed)
    else:
        model = mlp(8, 128)
        g = torch.Generator().manual_seed(seed)
        w = torch.randn(32, 10, generator=g)
        xs = [torch.randn(64, 32, generator=g) for _ in range(steps)]
        data = [(x, (x @ w).argmax(1)) for x in xs]  # type: ignore[misc]
    if task.zero_init:
        with torch.no_grad():
            outs = [m for name, m in model.named_modules() if name.endswith(("proj", "out", "lm_head"))] or \
                [list(model.modules())[-1]]
            for m in outs:
                m.weight.zero_()
    opt = torch.optim.AdamW(model.parameters(), lr=task.lr, betas=task.betas, eps=task.eps, weight_decay=0.0)
    mon = AdamStateMonitor(model, opt)
    probes = TransformerProbes(model, every=1) if task.kind == "tf" else None
    guard = Guard(model, opt, policy="monitor", update_every=0)
    # the precursor detector itself, screened (its default) and reading the state every step, side by side
    detectors = {"screened": _Logged(AdamStatePrecursor(model, opt)),
                 "every_step": _Logged(AdamStatePrecursor(model, opt, screen=False))}
    guard.detectors.extend(detectors.values())
    rec: dict[str, list[float]] = {k: [] for k in ("loss", "adam_rms", "adam_surprise", "adam_precursor", "upd",
                                                   "attn_logit", "log_z", "linear_rms", "grad_norm", "events",
                                                   "ev_loss_spike", "ev_explode")}
    layer_g: list[np.ndarray] = []  # per step, per layer: sum g^2 and sum v-hat(t-1) (the surprise's two totals)
    layer_v: list[np.ndarray] = []
    lz0 = rms0 = None
    for t in range(steps):
        for gr in opt.param_groups:
            gr["lr"] = task.lr * min(1.0, (t + 1) / task.warmup) if task.warmup else task.lr
        if probes is not None:
            probes.arm(t)
        if task.kind == "tf":
            x = data[t].clone()
            if t < task.quiet_until:
                x[:, :] = x[:, :1]  # one token per sequence: most embedding rows and the head see little gradient
            if t in task.outliers:
                x[:, :] = 7  # a batch of one repeated token
            logits = model(x[:, :-1])
            loss = nn.functional.cross_entropy(logits.reshape(-1, 64), x[:, 1:].reshape(-1))
        else:
            xb, yb = data[t]  # type: ignore[misc]
            if t in task.outliers:
                xb = xb * 50
            loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        st = mon.measure(t)
        reading = probes.read() if probes is not None else None
        report = guard.step(loss)
        rec["loss"].append(float(loss.detach()))
        rec["grad_norm"].append(report.grad_norm)
        rec["adam_rms"].append(float(np.nanmax(st.layer_rms)))
        rec["adam_surprise"].append(float(np.nanmax(st.layer_surprise)) if np.isfinite(st.layer_surprise).any()
                                    else math.nan)
        rec["adam_precursor"].append(float(judged_surprise(st).max()) if t >= 10 else math.nan)
        rec["upd"].append(float(np.nanmax(st.layer_update_rms)))
        layer_g.append(st.layer_grad_sq)
        layer_v.append(st.layer_expected_sq)
        kinds = {e.kind for e in report.events}
        rec["events"].append(1.0 if kinds & {"loss_spike", "divergence", "explode", "nonfinite"} else 0.0)
        rec["ev_loss_spike"].append(1.0 if "loss_spike" in kinds else 0.0)  # the loss-spike detector alone
        rec["ev_explode"].append(1.0 if "explode" in kinds else 0.0)  # the gradient-norm detector alone
        if reading is not None:
            rec["attn_logit"].append(max(reading.attention.values()) if reading.attention else math.nan)
            lz = reading.log_z_mean if reading.log_z_mean is not None else math.nan
            lz0 = lz if lz0 is None else lz0
            rec["log_z"].append(abs(lz - lz0))
            rms = max(reading.linear_rms.values()) if reading.linear_rms else math.nan
            rms0 = rms if rms0 is None else rms0
            rec["linear_rms"].append(rms / rms0 if rms0 else math.nan)
        else:
            for k in ("attn_logit", "log_z", "linear_rms"):
                rec[k].append(math.nan)
        if not math.isfinite(float(loss.detach())):
            break
    guard.close()
    out = {k: np.asarray(v, dtype=np.float64) for k, v in rec.items()}
    out["layer_grad_sq"], out["layer_expected_sq"] = np.asarray(layer_g), np.asarray(layer_v)
    for name, d in detectors.items():  # the detector's events (step, layers) and its reads of Adam's state
        out[f"precursor_events_{name}"] = np.asarray(d.events, dtype=object)
        out[f"precursor_reads_{name}"] = np.asarray([d.inner.reads])
    upd = out.pop("upd")
    out["update_rms"] = np.array([upd[i] / np.median(upd[max(0, i - 20):i]) if i >= 5 else 1.0
                                  for i in range(len(upd))])
    lg = np.log(np.maximum(out["grad_norm"], 1e-30))
    out["grad_z"] = np.array([(lg[i] - lg[max(0, i - 50):i].mean()) / max(lg[max(0, i - 50):i].std(), 0.1)
                              if i >= 10 else 0.0 for i in range(len(lg))])
    return out


class _Logged:
    """A detector that keeps its (step, layers) events for the screened / every-step comparison."""

    def __init__(self, inner: AdamStatePrecursor) -> None:
        self.inner = inner
        self.events: list[tuple[int, tuple[str, ...]]] = []

    def __call__(self, stats: Any, layer_names: list[str]) -> list[Any]:
        out = self.inner(stats, layer_names)
        self.events.extend((e.step, e.layers) for e in out)
        return out

    def state_dict(self) -> dict[str, Any]:
        return self.inner.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.inner.load_state_dict(state)


def compare_screen(records: list[tuple[Task, int, dict[str, np.ndarray]]]) -> str:
    """The screened detector against the one reading every step: identical events (steps and layers)? reads?"""
    same = all(r["precursor_events_screened"].tolist() == r["precursor_events_every_step"].tolist()
               for _, _, r in records)
    n = sum(len(r["precursor_events_every_step"]) for _, _, r in records)
    steps = sum(len(r["loss"]) for _, _, r in records)
    reads = {k: sum(int(r[f"precursor_reads_{k}"][0]) for _, _, r in records) for k in ("screened", "every_step")}
    healthy = sum(int(r["precursor_reads_screened"][0]) for t, _, r in records if t.healthy)
    healthy_steps = sum(len(r["loss"]) for t, _, r in records if t.healthy)
    return (f"AdamStatePrecursor: {n} precursor events reading every step, screened events identical (steps and "
            f"layers): {'yes' if same else 'NO'}; reads of Adam's state: screened {reads['screened']}, every step "
            f"{reads['every_step']} in {steps} steps (healthy runs: {healthy} reads in {healthy_steps} steps)")


def spike_step(loss: np.ndarray) -> int | None:
    for t in range(len(loss)):
        if not math.isfinite(loss[t]):
            return t
        if t >= 1 and loss[t] > 1.3 * loss[0] and loss[t] - loss[0] >= 0.3:
            return t  # above the starting loss: a divergence from the first steps
        if t >= 5:
            med = float(np.median(loss[max(0, t - 20):t]))
            if loss[t] > 1.3 * med and loss[t] - med >= 0.3:
                return t
    return None


def first_crossing(values: np.ndarray, threshold: float, start: int = 0) -> int | None:
    hit = np.nonzero(np.nan_to_num(values[start:], nan=-np.inf) > threshold)[0]
    return None if hit.size == 0 else int(hit[0]) + start


#: thresholds tried per signal (the table shows each; THRESHOLDS holds the chosen ones)
GRID = {
    "adam_rms": (2.0, 3.0, 4.0),
    "adam_surprise": (5.0, 10.0, 20.0),
    "adam_precursor": (5.0, 10.0, 20.0),
    "update_rms": (1.5, 2.0, 3.0),
    "attn_logit": (30.0, 100.0, 300.0),
    "log_z": (2.0, 5.0),
    "linear_rms": (10.0, 100.0),
    "grad_z": (2.5, 3.0, 4.0),
}


def score(records: list[tuple[Task, int, dict[str, np.ndarray]]], signal: str, thr: float
          ) -> tuple[list[int], int, int, int]:
    """(leads, spikes missed, false alarms on healthy runs, healthy steps) of one signal at one threshold."""
    leads: list[int] = []
    missed = false_alarms = healthy_steps = 0
    for task, _seed, rec in records:
        vals = rec[signal]
        if task.healthy:
            healthy_steps += len(vals)
            above = np.nan_to_num(vals, nan=-np.inf) > thr
            false_alarms += int(np.sum(above[1:] & ~above[:-1]) + above[0])  # each separate crossing
            continue
        spike = spike_step(rec["loss"])
        if spike is None:
            continue
        c = first_crossing(vals[:spike + 1], thr, start=max(0, spike - WINDOW))
        if c is None:
            missed += 1
        else:
            leads.append(spike - c)
    return leads, missed, false_alarms, healthy_steps


def cost(rounds: int = 5, steps: int = 20) -> None:
    """Per-step cost of the Adam-state statistics (all, and the surprise alone as the detector measures it), of
    probes armed on every step and of the guard with its default detectors (the loss-spike and gradient-norm
    detectors' cost is the guard's), against the plain step
    (forward + backward + AdamW.step) of a 4-layer d=128 TinyGPT, interleaved over rounds; medians of ratios."""
    torch.manual_seed(0)
    model = TinyGPT(d=128, layers=4)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    mon = AdamStateMonitor(model, opt)
    probes = TransformerProbes(model, every=1, linear_rms=False)
    data = token_batches(markov_source(64, 0), 4, 16, 32, 0)
    guarded = TinyGPT(d=128, layers=4)  # its own model and optimizer: the guard sees every one of its steps
    guarded.load_state_dict(model.state_dict())
    guarded_opt = torch.optim.AdamW(guarded.parameters(), lr=1e-4)
    guard = Guard(guarded, guarded_opt, policy="monitor", update_every=0)

    def step(i: int, what: str) -> None:
        if what == "probes":
            probes.arm(i)
        m = guarded if what == "guard" else model
        x = data[i % 4]
        loss = nn.functional.cross_entropy(m(x[:, :-1]).reshape(-1, 64), x[:, 1:].reshape(-1))
        (guarded_opt if what == "guard" else opt).zero_grad(set_to_none=True)
        loss.backward()
        if what == "adam":
            mon.measure(i)
        if what == "surprise":
            mon.measure(i, full=False)
        if what == "probes":
            probes.read()
        if what == "guard":
            guard.step(loss)
        else:
            opt.step()

    times: dict[str, list[float]] = {"plain": [], "adam": [], "surprise": [], "probes": [], "guard": []}
    for i in range(5):
        step(i, "plain")
        step(i, "guard")
    for _ in range(rounds):
        for what in times:
            t0 = time.perf_counter()
            for i in range(steps):
                step(i, what)
            times[what].append((time.perf_counter() - t0) / steps)
    plain = np.asarray(times["plain"])
    print(f"cost per step, 4-layer d=128 GPT (plain step {np.median(plain) * 1e3:.1f} ms):")
    guard.close()
    for what in ("adam", "surprise", "probes", "guard"):
        extra = (np.asarray(times[what]) - plain) * 1e3
        print(f"  {what:8s} {np.median(np.asarray(times[what]) / plain):.3f}x  (+{np.median(extra):.2f} ms)")
    print("  (adam: every statistic; surprise: what AdamStatePrecursor measures each step; probes: armed every step; "
          "guard: Guard(policy='monitor') with the default detectors, loss_spike and explode among them)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cost", action="store_true", help="only time the signals' per-step cost")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--only", default=None, help="comma-separated task names")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.cost:
        cost()
        return
    records = []
    t0 = time.perf_counter()
    total_steps = 0
    tasks = [t for t in TASKS if args.only is None or t.name in args.only.split(",")]
    for task in tasks:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            rec = run(task, seed, args.steps)
            total_steps += len(rec["loss"])
            records.append((task, seed, rec))
            spike = None if task.healthy else spike_step(rec["loss"])
            line = f"{task.name:26s} seed {seed}: " + ("healthy" if task.healthy else f"spike at {spike}")
            if spike is not None:
                for s in (*THRESHOLDS, *EVENT_ROWS):
                    thr = 0.5 if s in EVENT_ROWS else THRESHOLDS[s]
                    c = first_crossing(rec[s][:spike + 1], thr, start=max(0, spike - WINDOW))
                    line += f"  {s}={'-' if c is None else spike - c}"
            print(line, flush=True)
    elapsed = time.perf_counter() - t0
    n_spikes = sum(1 for t, _, r in records if not t.healthy and spike_step(r["loss"]) is not None)
    print(f"\nseeds {args.first_seed}-{args.first_seed + args.seeds - 1}, {args.steps} steps, {n_spikes} spikes, "
          f"{elapsed / max(total_steps, 1) * 1e3:.1f} ms per recorded step (probes on every step)")
    print(f"{'signal':12s} {'threshold':>9s} {'warned':>7s} {'lead median':>11s} {'q1':>4s} {'q3':>4s} "
          f"{'false alarms/1k healthy steps':>30s}")
    rows = [(s, thr) for s in GRID for thr in GRID[s]] + [(e, 0.5) for e in EVENT_ROWS]
    for s, thr in rows:
        leads, _missed, fa, healthy = score(records, s, thr)
        ls = np.asarray(leads)
        med = f"{np.median(ls):.0f}" if ls.size else "-"
        q1 = f"{np.percentile(ls, 25):.0f}" if ls.size else "-"
        q3 = f"{np.percentile(ls, 75):.0f}" if ls.size else "-"
        label = "event" if s in EVENT_ROWS else f"{thr:g}"
        chosen = "*" if s not in EVENT_ROWS and THRESHOLDS.get(s) == thr else " "
        print(f"{s:12s} {label:>8s}{chosen} {ls.size:>3d}/{n_spikes:<3d} {med:>11s} {q1:>4s} {q3:>4s} "
              f"{1000.0 * fa / max(healthy, 1):>30.2f}")
    print(compare_screen(records))
    print("* = the threshold used by gradguard's detector (AdamStatePrecursor: adam_precursor 10; ProbeDetector: 100 "
          "and 5 nats); "
          "'events' = gradguard's default detectors (loss_spike, divergence, explode, nonfinite); ev_loss_spike and "
          "ev_explode: the loss-spike and gradient-norm detectors alone")


if __name__ == "__main__":
    main()
