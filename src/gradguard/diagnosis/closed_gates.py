"""An LSTM whose forget gate is shut by its bias: the cell state is wiped at every step (and a GRU whose update gate
is held shut: its state never takes the input, :func:`closed_update_findings`).

The forget gate multiplies the cell state by ``sigmoid(W x + U h + b_f)``; with ``b_f`` (``bias_ih`` plus ``bias_hh``,
the second quarter of each) far below 0 that factor is ~0 whatever the input, so the cell keeps nothing from one step
to the next and the gradient through the state dies within a step: the layer is a feed-forward one over each time
step. PyTorch draws these biases from U(-1/sqrt(h), 1/sqrt(h)) and the common trick sets ``b_f`` to +1 (Jozefowicz et
al. 2015); a sign slip or a "forget more" setting writes it negative. Read off the weights, so it holds on sequences
too short for the decay over time to show (:mod:`.recurrence` reads that decay; fresh41's CLDNN over 12-16 frames at
``b_f = -10`` read as healthy). Seen halves at seeds 0/1: every healthy ``nn.LSTM``/``nn.LSTMCell`` has a mean forget
bias above -1; the broken ones at -6 (fresh2) and -10 (fresh41).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from .findings import Finding
from .graph import VALUE_MOVES, node_name, saved, skip_nodes

__all__ = ["FORGET_CRIT", "FORGET_WARN", "GATE_OUTPUT_SATURATED", "PARAM_GATE_SATURATED", "UPDATE_CRIT", "UPDATE_WARN",
           "closed_forget_findings", "closed_lstm_io_findings", "closed_update_findings", "saturated_output_gates",
           "saturated_parameter_gates", "shut_gate_findings", "stuck_gate_findings"]

#: a parameter read straight through a sigmoid (a learned gate ``sigmoid(b)``) with every element at least this far
#: from 0: the gate is 0.9975 or 0.0025 or beyond for every unit, and the parameter gets sigmoid' <= 2.5e-3 of the
#: gradient, so it stays there (fresh72's Block-Recurrent Transformer, its state gate at bias +10: the state never
#: takes a segment; healthy gates are started at 0 .. +-3)
PARAM_GATE_SATURATED = 6.0

#: mean forget-gate bias at or below which the gate is shut: sigmoid(-3) = 0.047 kept per step (warning), and
#: sigmoid(-5) = 0.0067 (critical)
FORGET_WARN, FORGET_CRIT = -3.0, -5.0
#: mean GRU update-gate bias at or above which the gate keeps the old state: sigmoid(-4) = 0.018 of the candidate
#: taken per step (warning; a time constant of ~55 steps), sigmoid(-6) = 0.0025 (critical)
UPDATE_WARN, UPDATE_CRIT = 4.0, 6.0


def _block_bias(m: nn.RNNBase | nn.RNNCellBase, k: int) -> float | None:
    """The mean bias (``bias_ih`` plus ``bias_hh``) of gate block ``k`` (rows ``k * hidden:(k + 1) * hidden``; an
    LSTM's blocks are input, forget, cell, output, a GRU's reset, update, new) over the module's layers and directions
    (None without biases)."""
    h = m.hidden_size
    params = dict(m.named_parameters())
    vals = []
    for name, p in params.items():
        if name.startswith("bias_ih"):
            b = p.detach()[k * h:(k + 1) * h].float()
            other = params.get(name.replace("bias_ih", "bias_hh"))
            if other is not None:
                b = b + other.detach()[k * h:(k + 1) * h].float()
            vals.append(float(b.mean()))
    return sum(vals) / len(vals) if vals else None


def _shut(probe: Any, types: tuple[type[nn.RNNBase] | type[nn.RNNCellBase], ...], shut_at: float) -> dict[str, float]:
    """Module name -> its second gate block's mean bias, for every module of ``types`` the forward ran whose bias is
    at or beyond ``shut_at`` (below it when negative: a forget gate; above it when positive: an update gate)."""
    out: dict[str, float] = {}
    for name, m in probe.modules.items():
        if isinstance(m, types) and name in probe.call_counts:
            b = _block_bias(m, 1)  # an LSTM's forget gate, a GRU's update gate
            if b is not None and (b <= shut_at if shut_at < 0 else b >= shut_at):
                out[name] = round(b, 3)
    return out


def closed_update_findings(probe: Any) -> list[Finding]:
    """``recurrence`` for every GRU the forward ran whose mean update-gate bias is at or above :data:`UPDATE_WARN`
    (critical at :data:`UPDATE_CRIT`): ``h_t = (1 - z) n_t + z h_{t-1}`` with ``z = sigmoid(b_z) ~ 1`` keeps the state
    where it started (zeros) whatever the input, so the layer outputs about its initial state and its input weights
    get almost no gradient (fresh60's DRNN at ``b_z = +10``: told healthy)."""
    shut = _shut(probe, (nn.GRU, nn.GRUCell), UPDATE_WARN)
    if not shut:
        return []
    worst = max(shut.values())
    taken = 1.0 / (1.0 + math.exp(worst))
    return [Finding(
        cause="recurrence", layers=sorted(shut), severity="critical" if worst >= UPDATE_CRIT else "warning",
        confidence=0.85,
        evidence={"update_gate_bias_mean": shut, "input_taken_per_step": float(f"{taken:.3g}"),
                  "warn_at": UPDATE_WARN, "expected": "about 0 (PyTorch's default)", "direction": -1},
        message=(f"{', '.join(sorted(shut))}: the update gate's bias is {worst:.3g} on average, so each step takes "
                 f"about {taken:.2g} of the new candidate and keeps the rest of the old state whatever the input: the "
                 "GRU stays near its initial state and its input weights get almost no gradient."),
        prescription="Initialise the update-gate biases (the second third of bias_ih and bias_hh) to about 0.",
        code=("for name, p in gru.named_parameters():\n"
              "    if name.startswith('bias'):\n"
              "        h = p.numel() // 3\n"
              "        p.data[h:2 * h].zero_()"),
        score=-math.log10(taken),
    )]


def closed_forget_findings(probe: Any) -> list[Finding]:
    """``recurrence`` for every LSTM the forward ran whose mean forget-gate bias is at or below :data:`FORGET_WARN`
    (critical at :data:`FORGET_CRIT`)."""
    shut = _shut(probe, (nn.LSTM, nn.LSTMCell), FORGET_WARN)
    if not shut:
        return []
    worst = min(shut.values())
    kept = 1.0 / (1.0 + math.exp(-worst))
    return [Finding(
        cause="recurrence", layers=sorted(shut), severity="critical" if worst <= FORGET_CRIT else "warning",
        confidence=0.85,
        evidence={"forget_gate_bias_mean": shut, "state_kept_per_step": float(f"{kept:.3g}"),
                  "warn_at": FORGET_WARN, "expected": "about 0 (PyTorch's default) or +1 (the usual trick)",
                  "direction": -1},
        message=(f"{', '.join(sorted(shut))}: the forget gate's bias is {worst:.3g} on average, so the gate keeps "
                 f"about {kept:.2g} of the cell state per step whatever the input: the LSTM forgets everything at "
                 "every step and the gradient through its state dies within a step."),
        prescription=("Initialise the forget-gate biases (the second quarter of bias_ih and bias_hh) to 0 or +1, "
                      "not below 0."),
        code=("for name, p in lstm.named_parameters():\n"
              "    if name.startswith('bias'):\n"
              "        h = p.numel() // 4\n"
              "        p.data[h:2 * h].fill_(0.5)  # bias_ih + bias_hh = +1 on the forget gate"),
        score=-math.log10(kept),
    )]


def saturated_parameter_gates(nodes: Any, params: Mapping[str, torch.Tensor]) -> dict[str, float]:
    """Parameters (by name, of ``params``) that a sigmoid in the loss graph's ``nodes`` reads directly (through views
    at most) and whose every element is at least :data:`PARAM_GATE_SATURATED` from 0: name -> their mean."""
    names = {id(p): n for n, p in params.items()}
    out: dict[str, float] = {}
    for node in nodes:
        if node_name(node) != "SigmoidBackward" or not node.next_functions:
            continue
        leaf = skip_nodes(node.next_functions[0][0], VALUE_MOVES)
        var = getattr(leaf, "variable", None) if leaf is not None and node_name(leaf) == "AccumulateGrad" else None
        name = names.get(id(var)) if isinstance(var, torch.Tensor) else None
        if name is None or name in out or var is None or var.numel() == 0 or not var.is_floating_point():
            continue
        v = var.detach().float()
        if bool(torch.isfinite(v).all()) and float(v.abs().min()) >= PARAM_GATE_SATURATED and \
                (bool((v > 0).all()) or bool((v < 0).all())):
            out[name] = float(v.mean())
    return out


def stuck_gate_findings(gates: dict[str, float]) -> list[Finding]:
    """``init`` (warning) for the learned gates :func:`saturated_parameter_gates` found; [] when there are none."""
    if not gates:
        return []
    name, mean = max(gates.items(), key=lambda kv: abs(kv[1]))
    value = 1.0 / (1.0 + math.exp(-mean))
    slope = value * (1.0 - value)
    return [Finding(
        cause="init", layers=sorted({n.rsplit(".", 1)[0] if "." in n else "" for n in gates}), severity="warning",
        confidence=0.8,
        evidence={"saturated_gate_parameters": {k: round(v, 3) for k, v in gates.items()},
                  "gate_value": float(f"{value:.3g}"), "gate_slope": float(f"{slope:.3g}"),
                  "expected": f"a gate parameter within +-{PARAM_GATE_SATURATED:g} (started at 0 .. +-3)",
                  "direction": -1},
        message=(f"{', '.join(sorted(gates))}: a learned gate sigmoid(b) with b about {mean:.3g} for every unit: the "
                 f"gate is {value:.3g} whatever the input, so what it mixes is fixed (a state that never takes new "
                 f"input, or never keeps the old), and b gets {slope:.2g} of the gradient, so it stays there."),
        prescription="Start the gate's parameter near 0 (or at the +-1 .. 3 a paper gives), where sigmoid has slope.",
        code=f"torch.nn.init.constant_(model.{name}, 1.0)",
        score=1.5)]


#: a gate's output this close to 0 or 1 for every element is shut (or held open): sigmoid(-6) = 0.0025
GATE_OUTPUT_SATURATED = 0.0025


def saturated_output_gates(nodes: Any) -> tuple[int, float, float]:
    """Gates computed in the forward that are shut or held open on this batch: sigmoids of the loss graph's ``nodes``
    whose output multiplies another tensor and is within :data:`GATE_OUTPUT_SATURATED` of 0 (or of 1) for every
    element. Returns how many, and the smallest and largest such output (0, nan, nan when none)."""
    nodes = list(nodes)
    shut: dict[int, tuple[float, float]] = {}
    for node in nodes:
        if node_name(node) != "SigmoidBackward":
            continue
        out = saved(node, "_saved_result")
        if not isinstance(out, torch.Tensor) or out.numel() < 2 or not out.is_floating_point():
            continue
        lo, hi = float(out.detach().min()), float(out.detach().max())
        if hi <= GATE_OUTPUT_SATURATED or lo >= 1.0 - GATE_OUTPUT_SATURATED:
            shut[id(node)] = (lo, hi)
    gates: set[int] = set()
    for node in nodes:
        if node_name(node) == "MulBackward":
            gates.update(id(f) for f, _ in node.next_functions if f is not None and id(f) in shut)
    if not gates:
        return 0, math.nan, math.nan
    return len(gates), min(shut[g][0] for g in gates), max(shut[g][1] for g in gates)


def shut_gate_findings(count: int, low: float, high: float) -> list[Finding]:
    """``recurrence`` (warning) for the gates :func:`saturated_output_gates` found shut or held open: a hand-written
    LSTM, GRU or gated state whose gate bias sits far from 0 (fresh74's peephole LSTM at forget bias -10, fresh47's
    AGCRN at keep-gate bias +10: both told healthy; every corpus model so read at seed 0 is a broken recurrence)."""
    if count == 0:
        return []
    open_gate = low >= 1.0 - GATE_OUTPUT_SATURATED
    passed = 1.0 - low if open_gate else high  # the share that crosses the gate, at most
    span = (f"held open at 1 - {1.0 - high:.2g} .. 1 - {1.0 - low:.2g}" if open_gate
            else f"shut at {low:.2g} .. {high:.2g}")
    return [Finding(
        cause="recurrence", layers=[], severity="warning", confidence=0.8,
        evidence={"shut_gates": count, "gate_output_range": [float(f"{low:.3g}"), float(f"{high:.3g}")],
                  "saturated_within": GATE_OUTPUT_SATURATED, "expected": "a gate between 0.0025 and 0.9975 somewhere",
                  "direction": -1},
        message=(f"{count} gate(s) computed in the forward (a sigmoid multiplying another tensor) are "
                 f"{span} for every unit of every "
                 "sample: what they mix is fixed whatever the input (a carried state that keeps nothing, or never "
                 f"takes anything new), and the weights behind them get about {passed:.1g} of the gradient, so they "
                 "stay there. A gate bias far from 0 (a forget bias of -10, an update-gate bias of +10) does this."),
        prescription=("Start each gate's bias near 0 (a forget gate's at +1), where the sigmoid has slope; check the "
                      "sign of any bias trick (a chrono or forget-bias initialisation)."),
        code="gate_bias.data.fill_(1.0)  # a forget gate: sigmoid(1) = 0.73 of the state kept",
        score=min(6.0, -math.log10(max(passed, 1e-12))),
    )]


def closed_lstm_io_findings(probe: Any) -> list[Finding]:
    """``recurrence`` for every LSTM the forward ran whose input or output gate's mean bias is at or below
    :data:`FORGET_WARN` (critical at :data:`FORGET_CRIT`): an input gate shut writes nothing into the cell, so the
    state stays at its start whatever the sequence; an output gate shut hides the cell from every later layer
    (fresh78's Performance RNN at input-gate bias -10: told healthy; the forget gate has its own reading)."""
    shut: dict[str, tuple[str, float]] = {}
    for name, m in probe.modules.items():
        if isinstance(m, nn.LSTM | nn.LSTMCell) and name in probe.call_counts:
            for gate, k in (("input", 0), ("output", 3)):
                b = _block_bias(m, k)
                if b is not None and b <= FORGET_WARN and (name not in shut or b < shut[name][1]):
                    shut[name] = (gate, round(b, 3))
    if not shut:
        return []
    name, (gate, worst) = min(shut.items(), key=lambda kv: kv[1][1])
    passed = 1.0 / (1.0 + math.exp(-worst))
    return [Finding(
        cause="recurrence", layers=sorted(shut), severity="critical" if worst <= FORGET_CRIT else "warning",
        confidence=0.85,
        evidence={"shut_gate_bias_mean": {k: v for k, v in shut.items()}, "gate_open_per_step": float(f"{passed:.3g}"),
                  "warn_at": FORGET_WARN, "expected": "about 0 (PyTorch's default)", "direction": -1},
        message=(f"{name}: the {gate} gate's bias is {worst:.3g} on average, so the gate lets through about "
                 f"{passed:.2g} whatever the input: " + ("the cell takes in almost nothing and stays at its start, "
                                                          "so the LSTM carries nothing of the sequence" if gate ==
                                                          "input" else "the cell is hidden from every later layer")
                 + ", and the weights behind the gate get almost no gradient."),
        prescription=f"Initialise the {gate} gate's biases (block {0 if gate == 'input' else 3} of 4 in bias_ih and "
                     "bias_hh) to about 0.",
        code=("for name, p in lstm.named_parameters():\n"
              "    if name.startswith('bias'):\n"
              "        h = p.numel() // 4\n"
              f"        p.data[{'0' if gate == 'input' else '3 * h'}:{'h' if gate == 'input' else '4 * h'}].zero_()"),
        score=-math.log10(passed),
    )]
