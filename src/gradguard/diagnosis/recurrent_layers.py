"""The recurrent layers of a model and their per-step gradients, as :mod:`.recurrence` reads them.

Found: ``nn.RNN``/``nn.GRU``/``nn.LSTM``, ``nn.RNNCell``-family cells, any user module called ``>= MIN_CALLS``
times in one forward that holds a square weight matrix (read per square block, up to ``MAX_STACKED`` stacked), and
element-wise recurrent weights written inline (:mod:`.reuse`). Each comes with the spectral radius of its recurrent
weight (per gate block) and the decades its gradient grows or decays from the last time step to the first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from .probe import CallRecord, ProbeResult
from .propagation import log10_ratio

MIN_CALLS = 4
#: the decades of growth over the sequence recorded when the first step's gradient overflowed and the last's did not
#: (``log10_ratio``'s clip: beyond it nothing is measured)
_OVERFLOW_DECADES = 30
_GATE_NAMES = {"LSTM": ("input", "forget", "cell", "output"), "GRU": ("reset", "update", "new"), "RNN": ("",)}
#: growth over the sequence counts only when it holds against the whole last quarter of the steps: the first step's
#: gradient over the largest of the last quarter's must reach the warning level too. A gradient that drops only at
#: the last steps is a cliff, not growth through the recurrence: padded positions at the end (the twelfth batch's MGU
#: classifier, 1.6 decades first/last, 0.93 against its last quarter), a bidirectional LSTM under CTC (fresh6's
#: tagger, 2.8 and 0.30). Every exploding case of the seen halves keeps >= 2.3 against its last quarter (seeds 0/1).
#: Trailing steps whose gradient is exactly 0 (masked padding: nothing reaches them) are left out of the quarter.
HELD_QUARTER = 0.25
#: a module applied repeatedly whose weight is ``k`` square blocks stacked (``k`` <= this) is read block by block
MAX_STACKED = 4
#: steps (calls) a recurrence must run for its per-step rate (:data:`MATRIX_GROWTH_PER_STEP`), or a cell over
#: ``cat(x, h)`` found by its shape alone, to be judged: over 4 or 5 calls a few decades are not a rate (at the unseen
#: seed 3, a PINN's derivative passes through one Linear, 5 uses, 1.8 decades, and TabNet's shared GLU over its 4
#: decision steps, 1.6, were told recurrence with no rule of this kind written for them)
MIN_RATE_STEPS = 8
#: a gated cell's recurrent gate block with a radius above this is a warning even when this batch does not show it:
#: its gates' pre-activations scale with the radius, so they saturate (0 or 1) and pass almost no gradient (PyTorch's
#: default init gives ~0.6 per block, orthogonal 1; a recurrent weight drawn N(0, 1) gives ~sqrt(hidden), 7-9 at 50)
GATED_RADIUS_MAX = 3.0


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
    #: the loss gradient's norm at the last time step or call (None: fewer than two measured)
    last: float | None = None
    #: a cell whose state comes back at one common norm at every call after the first (``F.normalize`` between the
    #: steps, JODIE's user state): the state keeps only its direction, and dividing by the new state's norm each
    #: step shrinks the gradient by that norm however the recurrent weight is drawn
    renormalised: bool = False

    def profile(self, grads: list[float | None]) -> None:
        """Set :attr:`steps`, :attr:`decades` and :attr:`held` from the gradient at each time step or call."""
        vals = [g for g in grads if g is not None]
        self.steps = len(vals)
        if len(vals) < 2:
            self.decades = self.held = self.lead = self.last = None
            return
        self.decades = log10_ratio(vals[0], vals[-1])
        self.last = vals[-1]
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
                later = [r.state_unit for r in _calls(probe, name)[1:]]
                layer.renormalised = len(later) >= 2 and all(v is True for v in later)
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
