"""Claim 11: the seeds' signs of exploding gradients, as precision and recall on labelled runs, next to gradguard."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._core import SEED, Batches, Experiment, LabResult, Plot, Run, Verdict, mlp, regression, train
from .regularization import separable

CLAIM = ("Signs of exploding gradients: the weights become unexpectedly large, the model has a poor loss, the loss "
         "is NaN, the gradient norm stays above 1.0 at every iteration.")
SOURCE = "seed 003 (how to identify exploding gradients)"

#: event kinds that count as gradguard flagging a run as exploding / diverging
FLAG_KINDS = ("explode", "nonfinite", "divergence", "loss_spike", "weight_growth")


@dataclass(frozen=True)
class Case:
    """A labelled run: ``unstable`` is known by construction (a fault put in on purpose), not from any sign."""

    name: str
    unstable: bool
    build: Callable[[], tuple[nn.Module, torch.optim.Optimizer, Batches, Callable[..., torch.Tensor]]]


class _RNN(nn.Module):
    def __init__(self, cell: str, radius: float | None = None) -> None:
        super().__init__()
        self.rnn: nn.Module = (nn.LSTM(8, 32, batch_first=True) if cell == "lstm"
                               else nn.RNN(8, 32, nonlinearity="relu", batch_first=True))
        if radius is not None:
            with torch.no_grad():
                q, _ = torch.linalg.qr(torch.randn(32, 32))
                self.rnn.weight_hh_l0.copy_(radius * q)  # type: ignore[operator]
        self.head = nn.Linear(32, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def _sequences(length: int) -> Batches:
    g = torch.Generator().manual_seed(SEED + 3000)
    xs = [torch.randn(16, length, 8, generator=g) for _ in range(8)]
    return lambda step: (xs[step % 8], xs[step % 8][:, :5, :1].mean(1))


def _poisoned(at: int) -> Batches:
    base = regression(16, 4)

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = base(step)
        if step == at:
            x = x.clone()
            x[0, 0] = float("nan")
        return x, y

    return batch


def _mlp_case(depth: int, act: Callable[[], nn.Module], gain: float, lr: float, *, adam: bool = False,
              norm: bool = False, batches: Batches | None = None,
              loss: Callable[..., torch.Tensor] = nn.functional.mse_loss, d_out: int = 4) -> Callable[..., tuple]:
    def build() -> tuple[nn.Module, torch.optim.Optimizer, Batches, Callable[..., torch.Tensor]]:
        model = mlp(depth, 64, act, std_gain=gain, norm=norm, d_out=d_out)
        opt = (torch.optim.Adam if adam else torch.optim.SGD)(model.parameters(), lr=lr)
        return model, opt, batches or regression(16, 4), loss
    return build


def _rnn_case(cell: str, radius: float | None, lr: float, adam: bool) -> Callable[..., tuple]:
    def build() -> tuple[nn.Module, torch.optim.Optimizer, Batches, Callable[..., torch.Tensor]]:
        model = _RNN(cell, radius)
        opt = (torch.optim.Adam if adam else torch.optim.SGD)(model.parameters(), lr=lr)
        return model, opt, _sequences(40), nn.functional.mse_loss
    return build


HE = math.sqrt(2.0)
CASES = (
    Case("ReLU MLP depth 12, 1.5x He init, SGD 0.01", True, _mlp_case(12, nn.ReLU, 1.5 * HE, 0.01)),
    Case("ReLU MLP depth 6, SGD lr 0.3 (too high)", True, _mlp_case(6, nn.ReLU, HE, 0.3)),
    Case("ReLU MLP depth 6, SGD lr 1.0 (too high)", True, _mlp_case(6, nn.ReLU, HE, 1.0)),
    Case("tanh MLP depth 16, 3x Xavier, SGD 0.05", True, _mlp_case(16, nn.Tanh, 3.0, 0.05)),
    Case("ReLU RNN radius 1.6, seq 40, SGD 1e-3", True, _rnn_case("rnn", 1.6, 1e-3, False)),
    Case("NaN in the batch at step 30, Adam 1e-3", True, _mlp_case(6, nn.ReLU, HE, 1e-3, adam=True,
                                                                     batches=_poisoned(30))),
    Case("ReLU MLP depth 6, He, SGD 0.03", False, _mlp_case(6, nn.ReLU, HE, 0.03)),
    Case("ReLU MLP depth 6, He + BN, SGD 0.1", False, _mlp_case(6, nn.ReLU, HE, 0.1, norm=True)),
    Case("ReLU MLP depth 6, He, Adam 1e-3", False, _mlp_case(6, nn.ReLU, HE, 1e-3, adam=True)),
    Case("ReLU MLP depth 6, He, targets x10, SGD 3e-3", False,
         _mlp_case(6, nn.ReLU, HE, 3e-3, batches=regression(16, 4, target_scale=10.0))),
    Case("LSTM, seq 40, Adam 1e-3", False, _rnn_case("lstm", None, 1e-3, True)),
    Case("ReLU MLP classifier, separable data, SGD 0.1", False,
         _mlp_case(3, nn.ReLU, HE, 0.1, batches=separable(), loss=nn.functional.cross_entropy, d_out=2)),
)


def seed_signs(run: Run) -> dict[str, bool]:
    """The four signs of seed 003, as rules on the guard's statistics of a whole run (thresholds in the names)."""
    w = np.array(run.weight_norms)
    g = np.array(run.grad_norms)
    finite_w = w[np.isfinite(w)]
    grew = (not np.all(np.isfinite(w))) or (finite_w.size > 0 and float(finite_w.max()) > 2.0 * float(w[0]))
    signs = {
        "weights grow > 2x": bool(grew),
        "poor loss (no fall)": not run.stable(),
        "NaN loss": not run.finite,
        "grad norm > 1.0 every step": bool(np.all(~(g <= 1.0))),  # NaN/Inf count as above 1
    }
    signs["any seed sign"] = any(signs.values())
    return signs


def _score(pred: list[bool], truth: list[bool]) -> tuple[float, float]:
    tp = sum(p and t for p, t in zip(pred, truth))
    fp = sum(p and not t for p, t in zip(pred, truth))
    fn = sum(t and not p for p, t in zip(pred, truth))
    precision = tp / (tp + fp) if tp + fp else float("nan")
    return precision, tp / (tp + fn) if tp + fn else float("nan")


def run(quick: bool = False) -> LabResult:
    """Run every labelled case under Guard(policy="monitor") and score each sign and gradguard's detectors."""
    steps = 40 if quick else 80
    cases = CASES[::2] + CASES[1::2] if not quick else (CASES[1], CASES[5], CASES[6], CASES[8])
    truth: list[bool] = []
    preds: dict[str, list[bool]] = {}
    first: list[int] = []
    for case in cases:
        torch.manual_seed(SEED)
        model, opt, batches, loss_fn = case.build()
        r = train(model, opt, batches, steps, loss_fn=loss_fn)
        truth.append(case.unstable)
        for k, v in seed_signs(r).items():
            preds.setdefault(k, []).append(v)
        flagged = [r.first_event_step[k] for k in FLAG_KINDS if k in r.first_event_step]
        preds.setdefault("gradguard detectors", []).append(bool(flagged))
        if flagged and case.unstable:
            first.append(min(flagged))
        for k in FLAG_KINDS:
            preds.setdefault(f"  gradguard: {k}", []).append(k in r.first_event_step)
    rows = []
    plot = Plot("Precision and recall on the labelled runs", "rule (index in the table)", "score", kind="bar")
    ps, rs = [], []
    scores: dict[str, tuple[float, float]] = {}
    for k, pred in preds.items():
        p, r_ = _score(pred, truth)
        scores[k] = (p, r_)
        ps.append(p)
        rs.append(r_)
        rows.append([k.strip(), f"{sum(pred)}/{len(pred)}", "-" if math.isnan(p) else f"{p:.2f}", f"{r_:.2f}"])
    xs = [float(i) for i in range(len(rows))]
    plot.series["precision"] = (xs, [0.0 if math.isnan(p) else p for p in ps])
    plot.series["recall"] = (xs, rs)
    seed_keys = [k for k in preds if k not in ("any seed sign", "gradguard detectors") and not k.startswith("  ")]
    good = [k for k in seed_keys if scores[k][0] >= 0.8 and scores[k][1] >= 0.8]
    if len(good) == len(seed_keys):
        verdict = Verdict("supported", "every sign has precision and recall >= 0.8")
    elif good:
        verdict = Verdict("depends", f"the sign: only {', '.join(good)} reach precision and recall >= 0.8")
    else:
        best = max(seed_keys, key=lambda k: (scores[k][1] if scores[k][0] >= 0.8 else -1, scores[k][0]))
        verdict = Verdict("depends", f"combining them: no single sign reaches precision and recall >= 0.8 (best "
                                     f"alone: {best}, P={scores[best][0]:.2f} R={scores[best][1]:.2f}); any sign: "
                                     f"P={scores['any seed sign'][0]:.2f} R={scores['any seed sign'][1]:.2f}")
    gg = scores["gradguard detectors"]
    mean_first = f", first event at step {np.mean(first):.0f} on average" if first else ""
    measured = (f"{sum(truth)} unstable / {len(truth) - sum(truth)} healthy runs; "
                + "; ".join(f"{k}: P={scores[k][0]:.2f} R={scores[k][1]:.2f}" for k in seed_keys)
                + f"; gradguard: P={gg[0]:.2f} R={gg[1]:.2f}{mean_first}")
    setup = (f"{len(cases)} runs of {steps} steps under Guard(policy='monitor'), labelled by construction (fault put "
             "in on purpose); the seed's signs as rules on the guard's statistics of the run; gradguard flags a run "
             f"when its default detectors raise any of {', '.join(FLAG_KINDS)}")
    headers = ["rule", "runs flagged", "precision", "recall"]
    return LabResult("signs", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("signs", "Detection signs", run)
