"""What the probe records: one :class:`CallRecord` per module call and the :class:`ProbeResult` of a whole pass
(see :mod:`.probe`, which fills them)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .batch import InputStats
from .bounded import BoundedOutput
from .graph import Reader
from .hops import HopChain
from .layers import is_weight_layer
from .reuse import ElementwiseUse
from .rewritten import Rewritten

__all__ = ["HUGE_OUTPUT_RMS", "CallRecord", "ProbeResult", "largest_output_rms"]

#: a module output of this RMS or more is huge: squared (MSE) or summed, it overflows float32 (max 3.4e38)
HUGE_OUTPUT_RMS = 1e15


@dataclass(eq=False)
class CallRecord:
    """One call of one module during the probe's forward pass.

    Gradient figures are L2 norms of dloss/d(output) and dloss/d(first tensor input) over the whole batch.
    """

    name: str
    module: nn.Module = field(repr=False)
    call: int
    pre_order: int
    leaf: bool
    post_order: int = -1
    out_shape: tuple[int, ...] = ()
    #: the output is a layer or group normalisation over groups of one element (read on its autograd node, so a
    #: user's own LayerNorm class calling ``F.layer_norm`` counts: :func:`.slips.single_element_norm`)
    single_element_norm: bool = False
    out_rms: float = float("nan")
    out_finite: bool = True
    #: for a non-finite output, how it overflowed by compounding along one axis (:func:`.mistakes.overflow_growth`)
    overflow: dict[str, Any] | None = None
    in_finite: bool = True
    normalizes: bool = False
    #: it normalises each channel (dimension 1) over the batch, as a BatchNorm does, whatever its class
    channel_norm: bool = False
    chained: bool = False
    #: (weight layers) the input derives from the previous weight layer's output along one path only, through any
    #: ops (:func:`.graph.single_path`: a graph propagation ``P @ h``, functional dropout); read by the series depth
    linked: bool = False
    normalized_after: bool = False
    activation: str | None = None
    activation_source: str = "none"
    activation_record: CallRecord | None = field(default=None, repr=False)
    dead_frac: float | None = None
    sat_frac: float | None = None
    pos_frac: float | None = None
    grad_out: float | None = None
    grad_in: float | None = None
    time_grad: list[float] | None = None
    #: (``nn.RNNBase``, 3-D output) how many indices along the output's batch axis get a non-zero loss gradient, and
    #: that axis' size; None when not measured
    batch_read: tuple[int, int] | None = None
    #: a weight layer's first tensor input: the share of its samples (first dimension, >= 8) equal to the first
    #: sample, element for element; None when not measured
    in_repeated: float | None = None
    #: a recurrent cell's state argument has every row at one common, non-zero norm (a state renormalised each step,
    #: ``F.normalize``); None when the call has no state tensor
    state_unit: bool | None = None
    _grad_out_t: torch.Tensor | None = field(default=None, repr=False)
    _grad_in_t: torch.Tensor | None = field(default=None, repr=False)
    _in_fn: Any = field(default=None, repr=False)  # autograd node of the first tensor input (feed-back test)
    _in_x: torch.Tensor | None = field(default=None, repr=False)  # a parameter-holding leaf's first tensor input
    _out_fn: Any = field(default=None, repr=False)  # ... and of the output
    _time_grad_t: torch.Tensor | None = field(default=None, repr=False)
    _batch_read_t: torch.Tensor | None = field(default=None, repr=False)


@dataclass
class ProbeResult:
    """Everything one probe measured."""

    records: list[CallRecord]
    call_counts: dict[str, int]
    modules: dict[str, nn.Module]
    loss: float
    param_grads: dict[str, torch.Tensor | None]
    params: dict[str, nn.Parameter]
    inputs_finite: bool
    targets_finite: bool
    input_max_abs: float
    cost: dict[str, int]
    inputs: list[InputStats] = field(default_factory=list)
    targets: list[InputStats] = field(default_factory=list)
    #: the share of the batch's samples identical to its most common one, for the input that varies most (see
    #: :func:`.batch.repeated_share`); None when not judged
    inputs_repeated: float | None = None
    #: log10(first loss / loss of an all-zero output), in the (inputs, targets) form; None otherwise
    output_decades: float | None = None
    #: element-wise recurrent weights found in the graph (see :mod:`.reuse`), by parameter name
    reused: dict[str, ElementwiseUse] = field(default_factory=dict)
    #: an all-zero output's loss is under half that of an output at the targets' mean: the loss compares the output
    #: on another scale than the targets' (a standardisation undone inside it); False when not measured
    loss_rescales_output: bool = False
    #: the first loss is within AT_LEVEL of an output at the targets' mean, which scores under half an all-zero
    #: output's: the model's first output already sits at the targets' level (a de-normalisation); False when not
    #: measured
    output_at_target_level: bool = False
    #: the first output's RMS, where the targets are float and of its shape (``(inputs, targets)`` form); else None
    output_rms: float | None = None
    #: the warnings the step raised (forward, loss and backward), ``(category name, message)``, each once, in order
    warned: list[tuple[str, str]] = field(default_factory=list)
    #: the loss's autograd graph: ``(activation ops, of which the identity)`` (see :func:`.graph.activation_ops`)
    activation_ops: tuple[int, int] = (0, 0)
    #: modules called more than once: does a call's output feed the next call's input (:func:`.graph.feeds_back`)
    feeds_back: dict[str, bool] = field(default_factory=dict)
    #: per entry of ``inputs``: the first parameter-holding module that reads it (:func:`.graph.first_readers`)
    readers: list[Reader | None] = field(default_factory=list)
    #: regression losses whose prediction a sigmoid/softmax/tanh bounds (:func:`.bounded.bounded_outputs`)
    bounded: list[BoundedOutput] = field(default_factory=list)
    #: constant matrices applied several times in series (:func:`.hops.hop_chains`)
    propagations: list[HopChain] = field(default_factory=list)
    #: decades of constant rescale between a library loss's prediction and its last weight product
    #: (:func:`.output_scale.output_rescale`)
    output_rescale: float | None = None
    #: parameters the forward itself wrote (:class:`.rewritten.RewriteWatch`)
    rewritten: list[Rewritten] = field(default_factory=list)
    #: softmaxes over the features between weight layers (:func:`.softmax_hidden.hidden_softmaxes`)
    hidden_softmaxes: int = 0
    #: the widths of the softmaxes over the features between weight layers, convolutions included
    #: (:func:`.softmax_hidden.softmax_necks`)
    softmax_necks: list[int] = field(default_factory=list)
    #: the loss differentiates through a ReLU (its double backward is in the graph: ``autograd.grad`` with
    #: ``create_graph`` over a ReLU network; read by :mod:`.curvature`)
    relu_differentiated: bool = False
    #: the loss takes the log of a 16-bit softmax or sigmoid (``"float16 softmax"``; :mod:`.lowprec`), else None
    low_precision_log: str | None = None
    #: the largest exponent of a log of exponentials written by hand (:mod:`.expsum`), else None
    hand_logsumexp: float | None = None
    #: gates shut or held open on this batch (:func:`.closed_gates.saturated_output_gates`): count, lowest, highest
    shut_gates: tuple[int, float, float] = (0, float("nan"), float("nan"))
    #: parameters read straight through a sigmoid and saturated for every unit (:mod:`.closed_gates`): name -> mean
    saturated_gates: dict[str, float] = field(default_factory=dict)
    #: the largest |tan| of every ``torch.tan`` in the loss's graph (:func:`.poles.tan_outputs`)
    tan_outputs: list[float] = field(default_factory=list)
    #: the user-defined ``torch.autograd.Function`` classes in the loss's graph (:func:`.custom_grad.custom_functions`)
    custom_functions: list[type] = field(default_factory=list)
    #: the loss gradient at each floating-point input of the batch (None where it has none, or was not read)
    input_grads: list[torch.Tensor | None] = field(default_factory=list)
    #: storage addresses of the batch's tensors as the model got them (a module input that views one is data)
    batch_storages: frozenset[int] = frozenset()
    #: activation results the forward computed that the loss's graph does not hold, and how many it computed
    #: (:mod:`.dropped`)
    dropped_activations: tuple[list[str], int] = ([], 0)
    #: the most weight layers on one path from an input to the loss (:func:`.graph.weight_path_depth`: parallel
    #: experts, towers and branches count once); None when the graph was too large to read
    weight_path_depth: int | None = None
    #: the fewest weight layers (first calls) the gradient passes from the loss to the layer farthest from it, and
    #: those layers from the input side (:func:`.graph.gradient_path_depth`: skip paths shorten it, side-by-side
    #: branches do not); None when not read
    gradient_path: tuple[int, list[str]] | None = None
    #: parameters the loss reads only L2-normalised (``F.normalize(self.weight)``: :mod:`.unit_norm`)
    unit_normalised_params: set[str] = field(default_factory=set)

    def weight_chain(self) -> list[CallRecord]:
        """Leaf weight-layer calls in execution order, excluding modules called more than once (recurrence)."""
        return [r for r in sorted(self.records, key=lambda r: r.pre_order)
                if r.leaf and is_weight_layer(r.module) and self.call_counts[r.name] == 1]


def largest_output_rms(records: list[CallRecord]) -> float:
    """The largest finite output RMS over the module calls ``records`` (0.0 when none is finite)."""
    return max((r.out_rms for r in records if math.isfinite(r.out_rms)), default=0.0)
