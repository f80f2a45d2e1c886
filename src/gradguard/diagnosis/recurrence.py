"""Recurrence: spectral radius of recurrent weights and the gradient's growth or decay over time steps.

For a vanilla RNN ``h_t = f(W h_{t-1} + U x_t)``, the gradient through ``k`` steps is a product of ``k`` Jacobians
``diag(f') W``: a spectral radius ``rho(W) < 1`` is sufficient for it to vanish, ``rho(W) > 1`` necessary for it
to explode (Pascanu et al. 2013). ``rho`` is the largest ``|eigenvalue|`` (``torch.linalg.eigvals``), computed per
gate block for LSTM/GRU. The measured figure is ``log10(||dL/dx_first|| / ||dL/dx_last||)`` over the sequence:
the loss gradient at the recurrent layer's input at the first against the last time step (for cells and modules
applied repeatedly, at the output of the first against the last call).

Recurrent layers found: ``nn.RNN``/``nn.GRU``/``nn.LSTM``, ``nn.RNNCell``-family cells, any user module
called ``>= MIN_CALLS`` times in one forward that holds a square weight matrix, and element-wise recurrent weights
written inline (``u * h`` with a vector ``u`` once per step, found in the graph: :mod:`.reuse`). An embedding called
once per step is not one: it is looked up by token ids, so nothing flows from one call's output into the next (a
square table, vocabulary = width, is no transition matrix: development case ``gru_cell_lm_loop``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from .findings import Finding
from .probe import CallRecord, ProbeResult
from .propagation import log10_ratio
from .stepsize import StepAnalysis

__all__ = ["GATED_RADIUS_MAX", "GROWTH_RADIUS_MIN", "HELD_QUARTER", "INPUT_MEMORY_DECADES", "MATRIX_GROWTH_PER_STEP",
           "MAX_STACKED", "MIN_CALLS", "MIN_RATE_STEPS",
           "UNCLIPPED_RATIO", "VANISHING_PER_STEP", "RecurrentLayer", "find_recurrent", "input_time_decades",
           "recurrence_findings", "spectral_radius", "unclipped_findings"]

MIN_CALLS = 4
#: the decades of growth over the sequence recorded when the first step's gradient overflowed and the last's did not
#: (``log10_ratio``'s clip: beyond it nothing is measured)
_OVERFLOW_DECADES = 30
_GATE_NAMES = {"LSTM": ("input", "forget", "cell", "output"), "GRU": ("reset", "update", "new"), "RNN": ("",)}
#: decades over the sequence that make a finding (warning, critical). Gated cells forget at init by design (forget
#: gate ~0.5), so only explosion or extreme decay counts for them.
VANILLA_DECADES = (1.5, 3.0)
#: vanishing over the sequence in a vanilla cell: a tanh RNN with an orthogonal (radius 1) recurrent weight loses
#: 2.9 decades over 30 steps to saturation and still learns (judgment corpus, development half); radius 0.3 loses 18+
VANILLA_VANISHING = (4.0, 8.0)
#: vanishing counts only when the gradient also decays faster than this per time step (decades; a per-step Jacobian
#: gain below 10^-0.38 = 0.42). Over T steps the decay adds up whatever the task needs, so the total alone names a
#: PyTorch-default RNN (radius ~0.6) on a long sequence, which learns what depends on recent steps (seen halves:
#: healthy vanilla/gated cells decay 0.10 to 0.30 per step, a forecaster over 40 steps 0.25, 9.9 in total; broken
#: ones 0.46 (radius 0.5) to 0.96 (forget bias -6); 0.38 sits between with a margin of 1.2x either side)
VANISHING_PER_STEP = 0.38
GATED_EXPLODING = (1.5, 3.0)
#: growth over the sequence counts only when it holds against the whole last quarter of the steps: the first step's
#: gradient over the largest of the last quarter's must reach the warning level too. A gradient that drops only at
#: the last steps is a cliff, not growth through the recurrence: padded positions at the end (the twelfth batch's MGU
#: classifier, 1.6 decades first/last, 0.93 against its last quarter), a bidirectional LSTM under CTC (fresh6's
#: tagger, 2.8 and 0.30). Every exploding case of the seen halves keeps >= 2.3 against its last quarter (seeds 0/1).
#: Trailing steps whose gradient is exactly 0 (masked padding: nothing reaches them) are left out of the quarter.
HELD_QUARTER = 0.25
#: a module applied repeatedly whose weight is ``k`` square blocks stacked (``k`` <= this) is read block by block
MAX_STACKED = 4
GATED_VANISHING = (8.0, 12.0)
#: decades of growth over the sequence at which an inline matrix recurrence (:mod:`.reuse`) is a warning and
#: critical: such a matrix is mostly an ODE discretisation built to sit at the edge of stability (an
#: AntisymmetricRNN's Euler step, healthy, grows its gradient 2.25 decades over 24 steps; the broken Lipschitz RNN at
#: std 10: 20-30 decades; a clockwork RNN's N(0, 1) blocks 2.1-2.3, named by their radius 4.2-4.7 > 3 instead)
MATRIX_EXPLODING = (3.0, 3.0)
#: decades of growth per time step at which an inline matrix recurrence is judged with a vanilla cell's levels
#: (:data:`VANILLA_DECADES`) instead: an Euler or residual step near the edge of stability grows the gradient slowly
#: and steadily (the AntisymmetricRNN above: 0.09 a step; the healthy Lipschitz RNN 1.3x in all), a matrix of radius 2
#: doubles it at every step (0.3; the thirty-first batch's ExpRNN at radius 2: 2.75 and 3.05 decades over 12 steps,
#: read as under 3 before), whatever the sequence's length
MATRIX_GROWTH_PER_STEP = 0.15
#: steps (calls) a recurrence must run for its per-step rate (:data:`MATRIX_GROWTH_PER_STEP`), or a cell over
#: ``cat(x, h)`` found by its shape alone, to be judged: over 4 or 5 calls a few decades are not a rate (at the unseen
#: seed 3, a PINN's derivative passes through one Linear, 5 uses, 1.8 decades, and TabNet's shared GLU over its 4
#: decision steps, 1.6, were told recurrence with no rule of this kind written for them)
MIN_RATE_STEPS = 8
#: a vanilla recurrent weight with a radius outside this band is a warning even when this batch does not show it
RADIUS_BAND = (0.5, 1.2)
#: a gated cell's recurrent gate block with a radius above this is a warning even when this batch does not show it:
#: its gates' pre-activations scale with the radius, so they saturate (0 or 1) and pass almost no gradient (PyTorch's
#: default init gives ~0.6 per block, orthogonal 1; a recurrent weight drawn N(0, 1) gives ~sqrt(hidden), 7-9 at 50)
GATED_RADIUS_MAX = 3.0
#: an unclipped SGD step on a recurrent layer's weights above this fraction of their norm (median; the healthy
#: first-step ratio of ``optim_check.SGD_HEALTHY_RATIO``): a gradient spike through time of 10x, common in recurrent
#: nets, takes it past the 0.1 at which an SGD step is too large (``optim_check.SGD_RATIO_WARN``)
UNCLIPPED_RATIO = 0.01
#: the spike factor assumed in the message (Pascanu et al. 2013: spikes of one to several decades)
SPIKE = 10.0


def spectral_radius(w: torch.Tensor) -> float:
    """Largest ``|eigenvalue|`` of a square matrix (largest singular value when it is not square)."""
    w = w.detach().double().cpu()
    if w.ndim != 2:
        return float("nan")
    if w.shape[0] != w.shape[1]:
        return float(torch.linalg.matrix_norm(w, ord=2))
    return float(torch.linalg.eigvals(w).abs().max())


@dataclass
class RecurrentLayer:
    """A recurrent layer with its recurrent weights' radii and the measured gradient over time."""

    name: str
    kind: str
    gated: bool
    radii: dict[str, float] = field(default_factory=dict)
    steps: int = 0
    decades: float | None = None
    #: ``log10`` of the first step's gradient over the largest of the last quarter's (see :data:`HELD_QUARTER`)
    held: float | None = None
    #: ``log10`` of the largest gradient of the first quarter of the steps over the last step's: a decay that holds
    #: from the start, not a first step that no gradient reaches (a state that starts at zero and multiplies)
    lead: float | None = None
    #: a cell over ``cat(x, h)`` found by its shape (no square recurrent block to take a radius of)
    wide: bool = False
    #: a module applied to its own output with nothing between its calls (a linear recurrence ``z <- K z``): no
    #: unit can saturate, so the gradient measured over its calls is the one training sees
    linear: bool = False
    #: the first step's gradient overflowed (inf) and the last step's did not (:attr:`decades` is then a floor)
    overflowed: bool = False
    #: a user module whose weight is read as stacked square blocks (judged as a gated cell's, see find_recurrent)
    stacked: bool = False

    def profile(self, grads: list[float | None]) -> None:
        """Set :attr:`steps`, :attr:`decades` and :attr:`held` from the gradient at each time step or call."""
        vals = [g for g in grads if g is not None]
        self.steps = len(vals)
        if len(vals) < 2:
            self.decades = self.held = self.lead = None
            return
        self.decades = log10_ratio(vals[0], vals[-1])
        if vals[0] == math.inf and math.isfinite(vals[-1]):
            # the gradient overflowed going back through the steps (float32's range, 38 decades, ran out) while the
            # last step's is finite: growth over the sequence beyond measure (fresh67's UnICORNN at dt 2: a finite loss
            # of 3e32, the first steps' gradient inf)
            self.decades = self.held = float(_OVERFLOW_DECADES)
            self.lead, self.overflowed = None, True
            return
        head = [v for v in vals[:max(1, int(len(vals) * HELD_QUARTER))] if math.isfinite(v)]
        self.lead = log10_ratio(max(head), vals[-1]) if head else None
        while len(vals) > 2 and vals[-1] == 0.0:  # steps no gradient reaches at all (padding masked out)
            vals = vals[:-1]
        tail = [v for v in vals[-max(1, int(len(vals) * HELD_QUARTER)):] if math.isfinite(v)]
        self.held = log10_ratio(vals[0], max(tail)) if tail else None

    @property
    def radius(self) -> float:
        return max(self.radii.values(), default=float("nan"))


def _gate_family(m: nn.Module) -> str:
    n = type(m).__name__
    return "LSTM" if "LSTM" in n else "GRU" if "GRU" in n else "RNN"


def find_recurrent(probe: ProbeResult) -> list[RecurrentLayer]:
    """Recurrent layers of the probed model with radii and the time-step gradient ratio."""
    out: list[RecurrentLayer] = []
    first_call = {r.name: r for r in probe.records if r.call == 0}
    for name, m in probe.modules.items():
        if isinstance(m, nn.RNNBase | nn.RNNCellBase):
            fam = _gate_family(m)
            gates = _GATE_NAMES[fam]
            layer = RecurrentLayer(name, type(m).__name__, gated=fam != "RNN")
            for pname, p in m.named_parameters(recurse=False):
                if not pname.startswith("weight_hh"):
                    continue
                block = p.shape[0] // len(gates)
                for g, gate in enumerate(gates):
                    key = f"{pname}[{gate}]" if gate else pname
                    layer.radii[key] = spectral_radius(p[g * block:(g + 1) * block])
            rec = first_call.get(name)
            if isinstance(m, nn.RNNBase) and rec is not None and rec.time_grad and len(rec.time_grad) > 1:
                layer.profile(list(rec.time_grad))
            else:
                layer.profile(_per_call(probe, name))
            out.append(layer)
    known = {r.name for r in out}
    wide: list[RecurrentLayer] = []  # cells over cat(x, h): read only where no square recurrent weight was found
    for name, count in probe.call_counts.items():
        user = probe.modules.get(name)
        if user is None or count < MIN_CALLS or isinstance(user, nn.RNNBase | nn.RNNCellBase) or name in known:
            continue
        if isinstance(user, nn.Embedding | nn.EmbeddingBag):  # a lookup by ids: no state passes between calls
            continue
        if any(name.startswith(k + ".") or k == "" for k in known):
            continue
        parent = name.rsplit(".", 1)[0] if "." in name else ("" if name else None)
        if parent is not None and parent != name and probe.call_counts.get(parent, 0) >= count:
            continue  # report the outermost module applied repeatedly
        fed = probe.feeds_back.get(name, False)
        squares = _square_blocks(user, name, stacked=fed)
        if not squares:
            # (the cell itself, or a layer inside it: makemore's RNNCell takes (x, h) and its Linear reads both)
            fed = fed or any(v for k, v in probe.feeds_back.items() if k.startswith(name + "."))
            if fed and count >= MIN_RATE_STEPS and _reads_its_state(user):
                # a cell over cat(x, h): its weight is (h, d + h), the recurrent block somewhere in its columns, so
                # its radius is unknown; the gradient over its calls is measured all the same (fifteenth batch's
                # coRNN at dt 1: 1e13 over 20 steps, makemore's RNN cell; read as no recurrence before)
                layer = RecurrentLayer(name, type(user).__name__, gated=False, wide=True)
                layer.profile(_per_call(probe, name))
                wide.append(layer)
            continue
        # a weight read as stacked gate blocks is judged as a gated cell's (a gate block's radius matters as a
        # gated cell's does: the twenty-second batch's LMU reads a (32, 16) memory map, two blocks at 0.89 and 1.30)
        stacked = any(k.endswith("]") for k in squares)
        layer = RecurrentLayer(name, type(user).__name__, gated=stacked, stacked=stacked)
        layer.radii = {k: spectral_radius(p) for k, p in squares.items()}
        layer.profile(_per_call(probe, name))
        calls = _calls(probe, name)
        # every call's output read as it is by the next call (the last one's may go anywhere)
        layer.linear = len(calls) >= 2 and all(r.activation == "identity" for r in calls[:-1]) and \
            calls[-1].activation in (None, "identity")
        out.append(layer)
        known.add(name)
    if not out:  # a memory written back through a (32, 16) map next to a square one is that one's business
        out, known = wide, known | {r.name for r in wide}
    return out + _elementwise(probe, known)


def _reads_its_state(module: nn.Module) -> bool:
    """Whether ``module`` (applied repeatedly, its output feeding its next call) holds a matrix wider than it is
    tall, as ``nn.Linear(d + h, h)`` over ``cat(x, h)`` does."""
    return any(p.ndim == 2 and p.shape[1] > p.shape[0] for p in module.parameters())


def _square_blocks(module: nn.Module, name: str, stacked: bool) -> dict[str, torch.Tensor]:
    """The module's square weight matrices, and when ``stacked`` (its output feeds its next call's input: see
    :func:`.graph.feeds_back`) the square blocks of a ``(k * h, h)`` one (``k`` = 2 to :data:`MAX_STACKED`): gates
    stacked in one matrix, as ``nn.Linear(h, 4 * h)`` in a hand-written LSTM cell (with fewer than ``h`` extra rows
    before them, ON-LSTM's master gates, left out). A projection shared by inputs
    that do not depend on each other (Transformer-XL's segments) has the same shape and is not a recurrence."""
    out: dict[str, torch.Tensor] = {}
    for n, p in module.named_parameters():
        key = f"{name}.{n}" if name else n
        if p.ndim != 2:
            continue
        rows, cols = p.shape
        if rows == cols:
            out[key] = p
        elif stacked and cols > 0 and 2 <= rows // cols <= MAX_STACKED:
            # a remainder of fewer rows than a block is read past: extra gates of one value per chunk stacked first,
            # as ON-LSTM's hidden-to-hidden Linear(h, 4 h + 2 chunks) holds its master gates before the four blocks
            # (the twenty-eighth batch's ON-LSTM at N(0, 5^2): blocks of radius ~40, read as nothing before)
            skip = rows % cols
            for i in range(rows // cols):
                out[f"{key}[{i}]"] = p[skip + i * cols:skip + (i + 1) * cols]
    return out


def _elementwise(probe: ProbeResult, known: set[str]) -> list[RecurrentLayer]:
    """Element-wise recurrent weights (:mod:`.reuse`) outside the recurrent modules already found and outside any
    module called repeatedly (whose weights are that module's business)."""
    out = []
    for pname, use in probe.reused.items():
        owner = pname.rsplit(".", 1)[0] if "." in pname else ""
        if "" in known or any(owner == k or owner.startswith(k + ".") for k in known):
            continue
        if probe.call_counts.get(owner, 0) >= MIN_CALLS:
            continue
        matrix = use.radius is not None
        # a matrix written inline often sits inside an Euler or residual update (h + eps * (A h + ...)), whose step
        # is I + eps A, not A: its radius is judged with a gated cell's tolerance (up to GATED_RADIUS_MAX) and the
        # measured gradient over time decides (the twenty-third batch's healthy Lipschitz RNN: radius 1.9, 1.3x)
        layer = RecurrentLayer(pname, "matrix recurrence" if matrix else "element-wise recurrence", gated=matrix)
        layer.radii = {pname: use.radius if use.radius is not None else
                       float(probe.params[pname].detach().abs().max())}
        layer.profile(list(use.grads))
        layer.steps = use.uses
        out.append(layer)
    return out


def _calls(probe: ProbeResult, name: str) -> list[CallRecord]:
    """The probe's records of module ``name``'s calls, in call order."""
    return sorted((r for r in probe.records if r.name == name), key=lambda r: r.call)


def _per_call(probe: ProbeResult, name: str) -> list[float | None]:
    return [r.grad_out for r in _calls(probe, name) if r.grad_out is not None]


def recurrence_findings(probe: ProbeResult) -> list[Finding]:
    """Findings for recurrent layers whose gradient explodes or vanishes over the sequence."""
    findings: list[Finding] = []
    for layer in find_recurrent(probe):
        rho, dec = layer.radius, layer.decades
        if layer.kind == "matrix recurrence" and (dec or 0.0) > 0:
            fast = (dec is not None and layer.steps >= MIN_RATE_STEPS
                    and dec / (layer.steps - 1) >= MATRIX_GROWTH_PER_STEP)
            warn, crit = VANILLA_DECADES if fast else MATRIX_EXPLODING
        elif layer.gated:
            warn, crit = GATED_EXPLODING if (dec or 0.0) > 0 else GATED_VANISHING
        else:
            warn, crit = VANILLA_DECADES if (dec or 0.0) > 0 else VANILLA_VANISHING
        evidence = {
            "kind": layer.kind,
            "spectral_radius": {k: round(v, 4) for k, v in layer.radii.items()},
            "expected_radius": "about 1 (orthogonal); < 1 vanishes, > 1 may explode (Pascanu et al. 2013)",
            "time_steps": layer.steps,
            "gradient_first_over_last_step": "overflow (inf)" if layer.overflowed else
            None if dec is None else float(f"{10 ** dec:.3g}"),
            "decades_over_sequence": None if dec is None else round(dec, 2),
            "direction": 1 if (dec or 0.0) > 0 or (not dec and layer.radius > 1.0) else -1,
        }
        off_band = math.isfinite(rho) and (rho > GATED_RADIUS_MAX if layer.gated
                                           else not (RADIUS_BAND[0] <= rho <= RADIUS_BAND[1]))
        if dec is not None and dec < 0 and layer.steps >= 2:
            per_step = -dec / (layer.steps - 1)
            evidence["decades_per_step"] = round(-per_step, 3)
            slow = per_step < VANISHING_PER_STEP
        else:
            slow = False
        if dec is not None and dec > 0 and layer.held is not None:
            evidence["decades_first_over_last_quarter"] = round(layer.held, 2)
        cliff = dec is not None and dec > 0 and layer.held is not None and layer.held < warn
        # a decay only at the first steps: the first call's input is a state that starts at zero and multiplies
        # (fresh25's Mogrifier LSTM: h_0 = 0 gated by 2 sigmoid(R x), 1e-26 at the first of 32 steps, the rest in band)
        start = dec is not None and dec < 0 and layer.lead is not None and -layer.lead < warn
        if start:
            evidence["decades_first_quarter_max_over_last"] = round(layer.lead or 0.0, 2)
        cliff = cliff or start
        if dec is None or abs(dec) < warn or slow or cliff:
            if off_band and layer.steps >= 2:
                # rho^T predicts growth/decay that saturation hides on this batch; it returns as training moves.
                # Not a decay through a linear recurrence: no unit saturates there, and the measured gradient over its
                # calls is the loss's (fresh35's Koopman auto-encoder, its operator at PyTorch's default init: radius
                # 0.49, rho^29 = 1e-9, the gradient 1.5x over the rollout, whose loss reads every step)
                if layer.linear and dec is not None and rho < 1.0:
                    continue
                predicted = layer.steps * math.log10(rho)
                if predicted < 0 and -predicted < (GATED_VANISHING if layer.gated else VANILLA_VANISHING)[0]:
                    # a decay rho^T predicts that would not reach a warning even if it came true: fresh57's LAS (its
                    # attention query over 7 decoder steps, radius 0.48: 1e-2.2) and fresh40's GKN (0.34 over 4
                    # steps: 1e-1.9), both healthy, were told recurrence
                    continue
                evidence["predicted_decades_rho_pow_T"] = round(predicted, 1)
                found = _finding(layer, "warning", 0.6, evidence, max(abs(dec or 0.0), 1.0))
                findings.append(_elsewhere(found, layer, probe, predicted))
            continue
        severity = "critical" if abs(dec) >= crit else "warning"
        agrees = (dec > 0 and rho > 1.0) or (dec < 0 and rho < 1.0) or layer.gated
        found = _finding(layer, severity, 0.9 if agrees else 0.6, evidence, abs(dec))
        findings.append(_elsewhere(found, layer, probe))
    return findings


#: a plain recurrent weight whose spectral radius is below this cannot make the gradient grow over the steps
GROWTH_RADIUS_MIN = 0.95
#: decades the loss gradient at the batch's own first time step may fall below its last one for the early inputs to
#: still reach the loss (through a path around the vanishing layer)
INPUT_MEMORY_DECADES = 2.0


def input_time_decades(probe: ProbeResult, steps: int) -> float | None:
    """``log10(|dL/dx_first| / |dL/dx_last|)`` along the time axis of the batch's floating-point inputs (the one axis
    after the batch's of ``steps`` entries), the largest over the inputs that have one; None when none has."""
    best: float | None = None
    for g in probe.input_grads:
        if g is None or g.dim() < 2 or not g.is_floating_point():
            continue
        axes = [d for d in range(1, g.dim()) if g.shape[d] == steps]
        if len(axes) != 1:
            continue
        with torch.no_grad():
            n = g.detach().float().movedim(axes[0], 0).reshape(steps, -1).norm(dim=1)
        first, last = float(n[0]), float(n[-1])
        if first > 0 and last > 0 and math.isfinite(first) and math.isfinite(last):
            dec = math.log10(first / last)
            best = dec if best is None else max(best, dec)
    return best


def _elsewhere(found: Finding, layer: RecurrentLayer, probe: ProbeResult, predicted: float | None = None) -> Finding:
    """Leave a measured growth or decay as information when it is not this layer's recurrence that starves or
    inflates the early steps:

    * growth through a plain (not gated) recurrent weight of spectral radius under ``GROWTH_RADIUS_MIN``: a product
      of its Jacobians cannot grow, so the growth comes from another path (fresh23's fast-weights RNN: its slow
      matrix is 0.05 I, the paper's, and its fast memory grows the gradient 1.75 decades over 24 steps); likewise a
      user module read as stacked blocks whose every block is under it (fresh82's pointer-generator: its attention
      query map ``w_s``, (64, 32) read as two blocks at 0.63 and 0.58, called once per decoder step, 1.6 decades
      that its LSTM cell and the context fed back carry);
    * decay over the steps (measured, or ``predicted`` by a radius far below 1) while the loss gradient at the
      batch's own first time step is within ``INPUT_MEMORY_DECADES`` of the last one: the early inputs reach the
      loss around the layer (fresh23's SCRN: its sigmoid fast units forget in 13 decades over 16 steps, its slow
      context state carries the memory, the input's gradient falls 0.8 decades). Every vanishing case of the seen
      halves with float inputs falls with its layer (a Lipschitz RNN without its carried state: the layer -27, the
      input -42); the others read token ids.
    """
    dec = layer.decades if predicted is None else predicted
    if dec is None:
        return found
    why = ""
    if dec > 0 and predicted is None and (not layer.gated or layer.stacked) and math.isfinite(layer.radius) and \
            layer.radius < GROWTH_RADIUS_MIN:
        why = (f"its recurrent weight's spectral radius {layer.radius:.2f} is below 1, so the growth comes through "
               "another path")
        found.evidence["growth_not_through_this_weight"] = True
    elif dec < 0:
        inputs = input_time_decades(probe, layer.steps)
        if inputs is not None and inputs > -INPUT_MEMORY_DECADES:
            found.evidence["input_first_over_last_step_decades"] = round(inputs, 2)
            why = (f"the loss gradient at the batch's own first time step is {10 ** inputs:.3g}x the one at the last: "
                   "the early inputs reach the loss around this layer")
    if why:
        found.severity = "info"
        found.message += f" Left as information: {why}."
    return found


def _finding(layer: RecurrentLayer, severity: str, confidence: float, evidence: dict[str, object],
             score: float) -> Finding:
    dec = layer.decades or 0.0
    rho = layer.radius
    exploding = dec > 0 or (dec == 0 and rho > 1.0)
    if layer.kind == "element-wise recurrence":
        prescription = ("Keep the element-wise recurrent weight's |u| at or below 1 (IndRNN: u in (0, 1) for short "
                        "sequences, |u| <= 2^(1/T) over T steps, Li et al. 2018; a diagonal linear recurrence: "
                        "|lambda| < 1), e.g. by drawing it so and clamping it after each step, and clip gradients by "
                        "global norm." if exploding else
                        "Draw the element-wise recurrent weight closer to 1 (|u| near 1 carries the gradient over "
                        "time, Li et al. 2018), or use a gated cell.")
        code = "with torch.no_grad():\n    u.clamp_(-1.0, 1.0)  # after each optimizer.step(); u: the recurrent vector"
    elif exploding:
        prescription = ("Bring the recurrent weight's spectral radius to 1 or just below: orthogonal init of "
                        "weight_hh (fix(model, diagnosis) does it), and clip gradients by global norm (Pascanu et al. "
                        "2013).")
        code = ("import torch\nfor name, p in rnn.named_parameters():\n    if 'weight_hh' in name:\n"
                "        torch.nn.init.orthogonal_(p)\n# and: torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)")
    elif not layer.gated:
        prescription = ("Use a gated cell (nn.LSTM or nn.GRU) instead of the vanilla RNN so the gradient survives "
                        "long sequences; at least initialise weight_hh orthogonally (radius 1).")
        code = "import torch.nn as nn\nrnn = nn.LSTM(input_size, hidden_size, batch_first=True)  # instead of nn.RNN"
    else:
        prescription = ("Shorten the sequences (truncated BPTT) or set the forget-gate bias to 1-2 so the cell state "
                        "carries the gradient; consider attention over long ranges.")
        code = ("for name, p in lstm.named_parameters():\n    if 'bias_ih' in name:\n        h = p.numel() // 4\n"
                "        p.data[h:2 * h].fill_(1.0)  # forget-gate bias")
    measured = (f"on this batch the gradient changes {10 ** dec:.3g}x from the last to the first of {layer.steps} "
                "steps" if evidence.get("decades_over_sequence") is not None else
                f"the gradient over its {layer.steps} steps could not be measured on this batch (the backward pass "
                "is not finite)")
    if "predicted_decades_rho_pow_T" in evidence and layer.kind == "matrix recurrence":
        message = (f"{layer.name} (a recurrent matrix applied in a loop): spectral radius {rho:.2f}, far from 1 "
                   f"(rho^T over {layer.steps} steps = 1e{evidence['predicted_decades_rho_pow_T']}); {measured}.")
    elif "predicted_decades_rho_pow_T" in evidence and layer.gated:
        message = (f"{layer.name} ({layer.kind}): the recurrent weight's gate blocks have spectral radius up to "
                   f"{rho:.2f}, far above 1 (PyTorch's default init gives about 0.6, orthogonal 1): the gates' inputs "
                   f"grow with it, so they saturate at 0 or 1 and pass almost no gradient; on this batch the gradient "
                   f"changes {10 ** dec:.3g}x from the last to the first of {layer.steps} steps.")
    elif "predicted_decades_rho_pow_T" in evidence:
        message = (f"{layer.name} ({layer.kind}): recurrent spectral radius {rho:.2f} is far from 1 "
                   f"(rho^T over {layer.steps} steps = 1e{evidence['predicted_decades_rho_pow_T']}); on this batch the "
                   f"gradient changes {10 ** dec:.3g}x from the last to the first step"
                   + (" (a linear recurrence: its products grow the signal itself)." if layer.linear else
                      " because the units saturate."))
    elif layer.overflowed:
        message = (f"{layer.name} ({layer.kind}): the loss gradient overflows going back over the {layer.steps} time "
                   "steps: inf at the first step, finite at the last (more than float32's 38 decades over the "
                   f"sequence); recurrent {'spectral radius' if layer.kind != 'element-wise recurrence' else 'weight'} "
                   f"up to {rho:.2f}" + (": the growth comes from the update around it (a step size, a gain or a "
                                         "state update that adds instead of mixing)." if rho <= 1.05 else "."))
    else:
        message = (f"{layer.name} ({layer.kind}): the loss gradient at the first of {layer.steps} time steps is "
                   f"{10 ** dec:.3g}x the one at the last ({'explodes' if exploding else 'vanishes'} over time)"
                   + (" (a cell over its input and its state: the state's block of its weight is not told apart, so "
                      "no spectral radius)." if layer.wide else f"; recurrent spectral radius {rho:.2f}."))
    return Finding(cause="recurrence", layers=[layer.name], severity=severity, confidence=confidence,
                   evidence=evidence, message=message, prescription=prescription, code=code, score=score)


def unclipped_findings(probe: ProbeResult, step: StepAnalysis | None, max_grad_norm: float | None) -> list[Finding]:
    """A warning when a recurrent model takes SGD steps without gradient clipping and its recurrent layers' step is
    already above the healthy ratio: the next gradient spike through time is taken whole.

    Development evidence (judgment corpus): word_language_model's GRU at SGD lr 20 trains behind its
    ``clip_grad_norm_(0.25)`` and diverges at step 11 without it; its first step is 0.03 of the recurrent weights'
    norm unclipped, not distinguishable from a healthy step until the spikes come.
    """
    if step is None or max_grad_norm is not None or step.family != "sgd":
        return []
    layers = find_recurrent(probe)
    if not layers:
        return []
    gain = step.momentum_gain
    found: list[tuple[str, float]] = []
    for layer in layers:
        # a module's parameters by its prefix; an inline recurrence (:mod:`.reuse`) is named by its parameters
        # themselves, "a+b" when its matrix is made of several (fresh30's AWD-LSTM: w_hh.0 to w_hh.2, never read
        # before: no parameter name starts with "w_hh.0.")
        own = set(layer.name.split("+")) if layer.kind in ("matrix recurrence", "element-wise recurrence") else set()
        prefix = f"{layer.name}." if layer.name else ""
        mine = sorted(v * gain for k, v in step.ratios.items()
                      if (k in own or k.startswith(prefix)) and math.isfinite(v))
        if mine and mine[len(mine) // 2] >= UNCLIPPED_RATIO:
            found.append((layer.name, mine[len(mine) // 2]))
    if not found:
        return []
    worst = max(r for _, r in found)
    names = ", ".join(n for n, _ in found)
    return [Finding(
        cause="recurrence", layers=[n for n, _ in found], severity="warning", confidence=0.6,
        evidence={"optimizer": step.optimizer, "lr": step.lrs[-1] if step.lrs else None, "max_grad_norm": None,
                  "recurrent_update_to_weight_median": float(f"{worst:.3g}"),
                  "expected": f"< {UNCLIPPED_RATIO:g} unclipped, or gradient clipping",
                  "after_a_10x_spike": float(f"{SPIKE * worst:.3g}")},
        message=(f"{names}: recurrent layers trained by {step.optimizer} without gradient clipping, with a step of "
                 f"{worst:.2g} of their weights' norm already: a gradient spike through time ({SPIKE:g}x is common "
                 f"in recurrent nets) makes it {SPIKE * worst:.2g}, and the run diverges."),
        prescription=("Clip the gradient's global norm before each step (torch.nn.utils.clip_grad_norm_, e.g. 0.25 at "
                      "SGD lr 20 as in word_language_model, or 1.0), or use Adam; if the loop already clips, pass "
                      "max_grad_norm= to check."),
        code="torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)  # after backward(), before optimizer.step()",
        score=math.log10(SPIKE * worst / 0.1) + 1.0,
    )]
