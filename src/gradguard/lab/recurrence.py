"""Claim 5: a recurrent weight with spectral radius > 1 explodes, < 1 vanishes; LSTM keeps the gradient."""

from __future__ import annotations

import torch
from torch import nn

from ._core import SEED, Experiment, LabResult, Plot, Verdict, fmt
from ._gain import state

CLAIM = ("In an RNN the recurrent weight Wrec multiplies the gradient at every time step: above 1 it explodes, "
         "below 1 it vanishes; an LSTM keeps Wrec effectively at 1 and so keeps the gradient.")
SOURCE = "seed 003 (Wrec, LSTM); seed 000 (RNNs)"

RADII = (0.5, 0.9, 1.0, 1.1, 1.5)
HIDDEN, D_IN, BATCH = 32, 8, 16


def input_gradients(rnn: nn.Module, length: int) -> torch.Tensor:
    """``||dL/dx_t||`` for every time step t of one batch, for the loss on the last step's output."""
    torch.manual_seed(SEED + 1)
    head = nn.Linear(HIDDEN, 1)
    x = torch.randn(BATCH, length, D_IN, requires_grad=True)
    out, _ = rnn(x)
    nn.functional.mse_loss(head(out[:, -1]), torch.ones(BATCH, 1)).backward()
    assert x.grad is not None
    return torch.linalg.vector_norm(x.grad, dim=(0, 2))


def retention(rnn: nn.Module, length: int) -> tuple[float, torch.Tensor]:
    """``||dL/dx_0|| / ||dL/dx_{T-1}||`` (how much gradient reaches the first step), and the per-step norms."""
    g = input_gradients(rnn, length)
    return float(g[0] / g[-1]), g


def vanilla(nonlinearity: str, radius: float | None) -> nn.RNN:
    """``nn.RNN`` with ``W_hh = radius * Q`` (Q random orthogonal: spectral radius exactly ``radius``)."""
    torch.manual_seed(SEED)
    rnn = nn.RNN(D_IN, HIDDEN, nonlinearity=nonlinearity, batch_first=True)
    if radius is not None:
        with torch.no_grad():
            q, _ = torch.linalg.qr(torch.randn(HIDDEN, HIDDEN))
            rnn.weight_hh_l0.copy_(radius * q)  # type: ignore[operator]
    return rnn


def lstm(forget_bias: float | None) -> nn.LSTM:
    """``nn.LSTM`` at PyTorch's init, or with the forget-gate bias set (Jozefowicz et al. 2015 use 1)."""
    torch.manual_seed(SEED)
    cell = nn.LSTM(D_IN, HIDDEN, batch_first=True)
    if forget_bias is not None:
        with torch.no_grad():
            cell.bias_ih_l0[HIDDEN:2 * HIDDEN].fill_(forget_bias)  # type: ignore[index]
            cell.bias_hh_l0[HIDDEN:2 * HIDDEN].zero_()  # type: ignore[index]
    return cell


def run(quick: bool = False) -> LabResult:
    """Retention over sequences of 10..100 steps for tanh/ReLU RNNs at several radii, and LSTMs."""
    lengths = (10, 30) if quick else (10, 50, 100)
    radii = (0.5, 1.0, 1.5) if quick else RADII
    rows = []
    top: dict[str, float] = {}
    plot = Plot(f"Gradient reaching each time step (T={lengths[-1]})", "time step t", "||dL/dx_t|| / ||dL/dx_T||",
                logy=True)
    for nl in ("tanh", "relu"):
        for r in radii:
            vals = [retention(vanilla(nl, r), n)[0] for n in lengths]
            top[f"{nl} RNN, radius {r:g}"] = vals[-1]
            rows.append([f"{nl} RNN", f"radius {r:g}", *(fmt(v) for v in vals), state(vals[-1])])
            if nl == "tanh":
                g = retention(vanilla(nl, r), lengths[-1])[1]
                plot.series[f"tanh RNN r={r:g}"] = (list(map(float, range(lengths[-1]))), (g / g[-1]).tolist())
    cells = {"tanh RNN, PyTorch init": vanilla("tanh", None), "LSTM, PyTorch init": lstm(None),
             "LSTM, forget bias 1": lstm(1.0), "LSTM, forget bias 3": lstm(3.0)}
    for label, cell in cells.items():
        vals = [retention(cell, n)[0] for n in lengths]
        top[label] = vals[-1]
        rows.append([label.split(",")[0], label.split(", ")[1], *(fmt(v) for v in vals), state(vals[-1])])
        if label.startswith("LSTM"):
            g = retention(cell, lengths[-1])[1]
            plot.series[label] = (list(map(float, range(lengths[-1]))), (g / g[-1]).tolist())

    below = [r for r in radii if r < 1]
    above = [r for r in radii if r > 1]
    v_below = all(state(top[f"{nl} RNN, radius {r:g}"]) == "vanishes" for nl in ("tanh", "relu") for r in below)
    e_above = {nl: [r for r in above if state(top[f"{nl} RNN, radius {r:g}"]) == "explodes"] for nl in ("tanh", "relu")}
    radius_ok = v_below and all(len(v) == len(above) for v in e_above.values())
    lstm_default = state(top["LSTM, PyTorch init"]) != "vanishes"
    lstm_keeps = [k for k in cells if k.startswith("LSTM") and state(top[k]) != "vanishes"]
    vanilla_lost = state(top["tanh RNN, PyTorch init"]) == "vanishes"
    n = lengths[-1]
    parts = []
    if not radius_ok:
        onset = ", ".join(f"{nl} RNN from radius {min(v):g}" if v else f"{nl} RNN not up to radius {max(radii):g}"
                          for nl, v in e_above.items())
        parts.append(f"the nonlinearity for Wrec: below 1 it vanishes, but explosion starts only well above 1 "
                     f"({onset}; activation derivatives < 1 move the threshold)")
    if vanilla_lost and not lstm_default:
        parts.append(f"the forget-gate bias for LSTM: at PyTorch's init it loses the gradient too "
                     f"(T={n}: {fmt(top['LSTM, PyTorch init'])}), with {lstm_keeps[-1].split(', ')[1]} it keeps it "
                     f"({fmt(top[lstm_keeps[-1]])})" if lstm_keeps else "the forget-gate bias: no LSTM kept it")
    if not parts:
        verdict = Verdict("supported", f"T={n}: vanilla {fmt(top['tanh RNN, PyTorch init'])}, "
                                       f"LSTM {fmt(top['LSTM, PyTorch init'])}")
    else:
        verdict = Verdict("depends", "; ".join(parts))
    measured = (f"T={n}: retention {fmt(top[f'tanh RNN, radius {radii[0]:g}'])} (tanh, r={radii[0]:g}), "
                f"{fmt(top[f'tanh RNN, radius {radii[-1]:g}'])} (tanh, r={radii[-1]:g}); vanilla "
                f"{fmt(top['tanh RNN, PyTorch init'])}, LSTM {fmt(top['LSTM, PyTorch init'])} (PyTorch init), "
                f"{fmt(top['LSTM, forget bias 3'])} (forget bias 3)")
    setup = (f"hidden {HIDDEN}, batch {BATCH}, random inputs, MSE on the last step; retention R = ||dL/dx_0|| / "
             f"||dL/dx_(T-1)|| for T = {', '.join(map(str, lengths))}; W_hh = radius x random orthogonal; "
             "explodes if R > 10, vanishes if R < 0.1")
    headers = ["cell", "setting", *(f"R, T={x}" for x in lengths), "state"]
    return LabResult("recurrence", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("recurrence", "Recurrent weights and LSTM", run)
