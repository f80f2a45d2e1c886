"""Set-up slips, round 10 (issue 12): designed on the ninth held-out batch (fresh8), gated on every seen half.

Each sensor reads one quantity off the modules the probe's forward ran, with a threshold against the healthy cases
of every seen half of the judgment corpus (dev, heldout, fresh..fresh8, seeds 0 and 1):

* ``regularization`` — **a keep probability passed as a dropout rate**: a dropout module that the forward ran, in
  training mode, with ``p >= DROPOUT_GATE`` (0.75). TensorFlow 1's ``keep_prob=0.9`` ported as ``nn.Dropout(0.9)``
  keeps one unit in ten and scales it 10x: the signal is mostly noise. The largest rate in any healthy seen case is
  0.5 (SqueezeNet's head, also AlexNet's and VGG's), so the gate is 1.5x it.
* ``normalization`` — **a normalisation over a single element**: a GroupNorm / LayerNorm / InstanceNorm that the
  forward ran whose every group holds one element (GroupNorm(C, C) on a (batch, C) input, LayerNorm(1), an
  InstanceNorm on a 1x1 map). ``x - mean(x)`` of one element is 0 (to rounding), so the output is the bias whatever
  the input and no gradient passes back: a fact of the arithmetic, not a threshold. The healthy seen cases' smallest
  group holds 4 elements (TabTransformer's LayerNorm; HuBERT's GroupNorm(32, 32) normalises each channel over time).
* ``activation`` — **an op with no derivative on the path**: more than ``NO_GRAD_SHARE`` (half) of the parameters
  of modules the forward ran get no gradient at all (``.grad`` None after the backward): the autograd graph is cut
  between them and the loss, as a threshold neuron ``(x > 0).float()`` (a comparison has no derivative), ``round``
  or ``argmax`` without a straight-through estimator cuts it (a ``.detach()`` would too). A zero head or a dead
  ReLU gives zero gradients, not none, and is left to the other sensors. Healthy seen cases: at most 0.076 (FNet's
  MLM, whose unused parts get none), so the gate has a 6.6x margin.
* ``init`` — **a zero init that nothing can break** (:func:`zero_stuck_findings`): every parameter the forward used
  gets an all-zero gradient and some weight matrices are all zeros (an LSTM initialised to zeros whose states all
  stay 0, read through ``|h_a - h_b|``: the derivative of the L1 distance at 0 is 0). A zero-initialised head or
  residual branch is a design because its own gradient is not zero (its input is not); when no gradient moves at
  all, the zeros stay zeros forever: a fact of the arithmetic.
* ``init`` — **a recurrent weight matrix filled with one constant** (:func:`constant_weight_findings`): every
  element of a recurrent layer's ``weight_ih*`` or ``weight_hh*`` (``nn.LSTM``, ``nn.GRU``, the cells) is the same
  non-zero value (``fill_(1.0)`` reached by a name filter meant for a bias: ``"hh" in name`` also matches
  ``weight_hh``). Every unit then computes the same thing and gets the same gradient, so they never become
  different; the fall or blow-up it causes is its consequence (ranked above it). A Linear's or convolution's constant
  ``weight`` is :func:`.mistakes.zero_network_findings`'s (a share of the layers; ``fix`` re-draws them).
* ``normalization`` — **normalisation layers defined and never called** (:func:`uncalled_norm_findings`).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .findings import Finding
from .graph import saved
from .layers import EMBEDDING_TYPES, RECURRENT_TYPES, is_norm, is_weight_layer

__all__ = [
    "DROPOUT_CRIT",
    "DROPOUT_GATE",
    "NO_GRAD_SHARE",
    "UNCALLED_NORMS_MIN",
    "constant_weight_findings",
    "dropout_findings",
    "group_size",
    "identity_activation_findings",
    "no_gradient_findings",
    "single_element_norm",
    "single_element_norm_findings",
    "uncalled_norm_findings",
    "zero_stuck_findings",
]

#: a dropout rate at or above this in a training forward is read as a keep probability: published recipes go to 0.8
#: (MLSTM-FCN's dropout after its LSTM, fresh36's healthy case, was told "a keep_prob passed as p" at 0.75; DAGNN's
#: 0.8 on Cora), the keep probabilities passed as p in the corpus are 0.9
DROPOUT_GATE = 0.85
#: ... and critical from here (nine units in ten dropped)
DROPOUT_CRIT = 0.9
#: share of the run modules' parameter elements that get no gradient at all above which the graph is cut
NO_GRAD_SHARE = 0.5


def dropout_findings(probe: Any) -> list[Finding]:
    """``regularization`` for dropout modules that ran in training mode with ``p >= DROPOUT_GATE`` (critical at
    ``DROPOUT_CRIT``); ``probe``: the :class:`~.probe.ProbeResult` of the forward (only modules it ran count)."""
    high: dict[str, float] = {}
    for name, m in probe.modules.items():
        if name not in probe.call_counts or not m.training:
            continue
        if isinstance(m, nn.modules.dropout._DropoutNd):
            p = float(m.p)
        elif isinstance(m, nn.MultiheadAttention):
            p = float(m.dropout)
        else:
            continue
        if math.isfinite(p) and p >= DROPOUT_GATE:
            high[name] = p
    if not high:
        return []
    top = max(high.values())
    return [Finding(
        cause="regularization", layers=sorted(high), severity="critical" if top >= DROPOUT_CRIT else "warning",
        confidence=0.8,
        evidence={"dropout_p": high, "max_p": top, "gate": DROPOUT_GATE,
                  "expected": f"p < {DROPOUT_GATE:g} (healthy models of the corpus: <= 0.8; usual 0.1)"},
        message=(f"{len(high)} dropout layer(s) drop {top:.0%} of their units in training (p = {top:g}): each "
                 f"forward keeps about {1 - top:.0%} and scales it {1 / max(1 - top, 1e-9):.3g}x, so the signal "
                 "and its gradient are mostly noise. A keep probability (TensorFlow's keep_prob) passed as the "
                 "dropout rate looks like this."),
        prescription=(f"Pass the drop rate, 1 - keep_prob (here p = {1 - top:.2g}), or the usual 0.1."),
        code=f"nn.Dropout(p={1 - top:.2g})  # PyTorch's p is the probability of dropping, not of keeping",
        score=math.log10(1.0 / max(1.0 - top, 1e-9)) + 1.0,
    )]


def group_size(module: nn.Module, shape: tuple[int, ...]) -> int | None:
    """How many elements each group of a GroupNorm / LayerNorm / InstanceNorm normalises over, for an output of
    ``shape`` (None for other modules or shapes it cannot tell)."""
    if not shape:
        return None
    per_sample = math.prod(shape[1:]) if len(shape) >= 2 else None
    if isinstance(module, nn.GroupNorm) and per_sample is not None and module.num_groups > 0:
        return per_sample // module.num_groups
    if isinstance(module, nn.LayerNorm):
        return math.prod(module.normalized_shape)
    if isinstance(module, nn.modules.instancenorm._InstanceNorm) and len(shape) >= 3:
        return math.prod(shape[2:])
    return None


def single_element_norm(node: Any) -> bool:
    """Whether an autograd ``node`` is a layer norm over ``normalized_shape`` of one element, or a group norm whose
    groups hold one element each (thuml/Time-Series-Library's TiDE: its own ``LayerNorm`` class, nanoGPT's, calls
    ``F.layer_norm`` over a width-1 output)."""
    name = type(node).__name__
    if name.startswith("NativeLayerNormBackward"):
        shape = saved(node, "_saved_normalized_shape")
        return isinstance(shape, (tuple, list)) and math.prod(int(d) for d in shape) == 1
    if name.startswith("NativeGroupNormBackward"):
        c, hxw, group = (saved(node, a) for a in ("_saved_C", "_saved_HxW", "_saved_group"))
        return all(isinstance(v, int) and v > 0 for v in (c, hxw, group)) and c // group * hxw == 1
    return False


def single_element_norm_findings(probe: Any) -> list[Finding]:
    """``normalization`` (critical) for GroupNorm / LayerNorm / InstanceNorm calls whose groups hold one element
    each: the output is the bias whatever the input and the gradient to the input is 0 (to rounding). Read from the
    module (its type and output shape) or from its output's autograd node (a user's own norm class)."""
    bad: dict[str, dict[str, Any]] = {}
    for rec in probe.records:
        size = group_size(rec.module, tuple(rec.out_shape))
        if (size == 1 or (rec.single_element_norm and rec.leaf)) and rec.name not in bad:
            bad[rec.name] = {"type": type(rec.module).__name__, "output_shape": list(rec.out_shape),
                             "elements_per_group": 1}
    if not bad:
        return []
    kinds = sorted({v["type"] for v in bad.values()})
    return [Finding(
        cause="normalization", layers=sorted(bad), severity="critical", confidence=0.95,
        evidence={"layers": bad, "constant_output": True,
                  "expected": "each group normalises over 2 or more elements (healthy models of the corpus: >= 4)"},
        message=(f"{len(bad)} normalisation layer(s) ({', '.join(kinds)}) normalise groups of a single element: "
                 "x minus its own mean is 0, so they output their bias whatever the input and pass no "
                 "gradient back; everything before them never learns."),
        prescription=("Normalise over the features: GroupNorm with fewer groups (e.g. 8 or 32 channels per group), "
                      "or LayerNorm over the feature dimension for (batch, features) activations."),
        code="nn.GroupNorm(num_groups=8, num_channels=C)  # or nn.LayerNorm(C) on (batch, C)",
        score=2.0,
    )]


def _zero_gate(probe: Any) -> bool:
    """Some parameter that is not a bias is all zeros while its own gradient is not: a gate on a residual branch
    started at 0 that is learning to open (ReZero's ``alpha``, SkipInit, a LayerScale at 0; fresh42's ReZero LM:
    95% of the parameters wait behind its scalars). Its own gradient is what moves it; what it multiplies gets 0.
    A gate on a branch leaves the trunk's gradient alone: when the first weight layer the forward ran gets an
    all-zero gradient too, something before every gate cuts it (a ``torch.sign`` on the input side), and no gate
    excuses that."""
    first = next((r for r in sorted(probe.records, key=lambda r: r.pre_order) if r.leaf and is_weight_layer(r.module)),
                 None)
    if first is not None:
        grads = [probe.param_grads.get(f"{first.name}.{n}" if first.name else n)
                 for n, _ in first.module.named_parameters(recurse=False)]
        if not any(g is not None and g.layout == torch.strided and bool(g.any()) for g in grads):
            return False
    for name, w in probe.params.items():
        if name.rsplit(".", 1)[-1].startswith("bias") or w.numel() == 0 or bool(w.detach().any()):
            continue
        g = probe.param_grads.get(name)
        if g is not None and g.layout == torch.strided and bool(g.any()):
            return True
    return False


def no_gradient_findings(probe: Any) -> list[Finding]:
    """``activation`` (critical) when more than ``NO_GRAD_SHARE`` of the parameter elements of the modules the
    forward ran get no gradient at all: ``None`` (an op without a derivative cuts the graph), or exactly 0 in every
    element (an op whose derivative is 0 everywhere: ``torch.sign``, ``round``) unless some weight matrix of the model
    is all zeros (a zero-initialised head or branch gates every gradient behind it at step 0 by design), or some
    normalisation layer's scale is (a residual branch's last BatchNorm started at gamma = 0, torchvision's
    ``zero_init_residual`` and fresh39's BoTNet: 69% of the parameters wait for that gamma to move), or some other
    parameter that is no bias is all zeros and learning (:func:`_zero_gate`)."""
    total = cut = 0
    cut_modules: list[str] = []
    zero_head: list[bool] = []  # some weight matrix is all zeros: read once, and only if a gradient is all zeros

    def gated() -> bool:
        if not zero_head:  # an all-zero lookup table (FM's first-order weights) starts a path: it gates nothing
            tables = {id(m.weight) for m in probe.modules.values() if isinstance(m, EMBEDDING_TYPES)}
            zero_scale = any(is_norm(m) and isinstance(w := getattr(m, "weight", None), torch.Tensor)
                             and w.numel() > 0 and not bool(w.detach().any()) for m in probe.modules.values())
            zero_head.append(zero_scale or any(
                w.dim() >= 2 and w.numel() > 0 and id(w) not in tables and not bool(w.detach().any())
                for w in probe.params.values()) or _zero_gate(probe))
        return zero_head[0]

    stateless: list[str] = []  # recurrent modules whose input weights learn while their recurrent ones get nothing
    detached: list[str] = []  # recurrent cells stepped more than once whose every parameter gets no gradient (None)
    for name, m in probe.modules.items():
        if name not in probe.call_counts:
            continue
        lost = 0
        lost_names: list[str] = []
        trainable = without = 0  # the module's trainable parameters, and those whose gradient is None
        for pname, p in m.named_parameters(recurse=False):
            if not p.requires_grad:
                continue
            trainable += 1
            key = f"{name}.{pname}" if name else pname
            if key not in probe.param_grads:  # a tied parameter, counted under its first name
                continue
            total += p.numel()
            g = probe.param_grads[key]
            without += g is None
            if g is None or (g.layout == torch.strided and g.numel() > 0 and not bool(g.any()) and not gated()):
                lost += p.numel()
                lost_names.append(pname)
        cut += lost
        if lost:
            cut_modules.append(name)
        if isinstance(m, nn.RNNCellBase) and probe.call_counts[name] > 1 and 0 < trainable == without:
            detached.append(name)
        if isinstance(m, nn.RNNBase | nn.RNNCellBase) and _carries_nothing(m, lost_names) and \
                not any(n.startswith("weight_ih") for n in lost_names):
            stateless.append(name)
    if stateless:
        return [_stateless_finding(stateless)]
    if detached:
        return [_detached_finding(detached, probe.call_counts[detached[0]])]
    if total == 0 or cut / total <= NO_GRAD_SHARE:
        return []
    share = cut / total
    if probe.loss == 0.0 and share == 1.0:
        return [_zero_loss_finding(cut_modules, cut)]
    return [Finding(
        cause="activation", layers=cut_modules, severity="critical", confidence=0.8,
        evidence={"no_gradient_share": round(share, 4), "parameters_without_gradient": cut, "parameters": total,
                  "expected": f"<= {NO_GRAD_SHARE:g} (healthy models of the corpus: <= 0.08, unused parts)"},
        message=(f"{share:.0%} of the parameters the forward used get no gradient (or exactly 0 in every element): an "
                 "operation between them "
                 "and the loss has no derivative (a threshold such as (x > 0).float(), round, sign or argmax "
                 "without a straight-through estimator, or a .detach()) or passes none (units that are never on), "
                 "so they never learn."),
        prescription=("Use a differentiable activation (ReLU, sigmoid), or give the step a straight-through "
                      "gradient: y = x + (step(x) - x).detach()."),
        code="y = h + ((h > 0).float() - h).detach()  # forward: the threshold; backward: identity",
        score=2.0,
    )]


def _carries_nothing(m: nn.Module, lost: list[str]) -> bool:
    """Whether ``m``'s recurrent weights that got exactly zero gradient (``lost``) say no state is carried: any of
    them for a one-directional module; for a bidirectional one, both directions of one layer. The output read at one
    end of the sequence is the first step of one direction, whose state is the zero start: fresh94's GA Reader reads
    its bidirectional query GRU at the last position (``qx[:, -1]``, a common way to read such a GRU) and its reverse
    ``weight_hh`` got 0, told ``recurrence`` (critical) on a model that trains."""
    hh = {n for n in lost if n.startswith("weight_hh")}
    if not getattr(m, "bidirectional", False):
        return bool(hh)
    return any(n + "_reverse" in hh for n in hh if not n.endswith("_reverse"))


def _zero_loss_finding(modules: list[str], params: int) -> Finding:
    """``data`` (critical): the loss is exactly 0 on the untrained model and no parameter gets a gradient. No
    operation without a derivative explains that (it would leave a loss above 0): the loss has nothing to compare,
    the target is the model's own output (fresh62's context encoder whose target is the composite of its prediction
    and the visible pixels) or every element is masked out."""
    return Finding(
        cause="data", layers=modules, severity="critical", confidence=0.8,
        evidence={"first_loss": 0.0, "no_gradient_share": 1.0, "parameters_without_gradient": params,
                  "expected": "a loss above 0 before any training"},
        message=("The loss is exactly 0 before any training and no parameter gets a gradient: the loss compares the "
                 "model's output with itself (a target built from the prediction, such as a composite of the output "
                 "and the input) or with nothing (every element masked out), so there is nothing to learn."),
        prescription=("Build the target from the data alone (the clean input, the label), never from the model's "
                      "output, and check that the loss's mask keeps the elements to predict."),
        code="target = batch_clean.detach()  # not torch.where(mask, prediction, x)",
        score=2.0,
    )


def _detached_finding(cells: list[str], calls: int) -> Finding:
    """``recurrence``: a recurrent cell stepped ``calls`` times in one forward whose parameters get no gradient at all:
    none of its outputs reaches the loss's graph, so the state it carries was cut (detached) on the way."""
    return Finding(
        cause="recurrence", layers=cells, severity="critical", confidence=0.8,
        evidence={"cells": cells, "calls": calls, "parameter_gradients": None,
                  "expected": "a gradient on a recurrent cell's parameters"},
        message=(f"{cells[0]} is stepped {calls} times in one forward, yet none of its parameters gets a gradient: "
                 "none of its outputs reaches the loss's graph. Its state is cut on the way (a .detach() of the "
                 "hidden or cell state inside the time loop, an op without a derivative on it), so nothing it "
                 "computes, and no step's input, is ever learned from."),
        prescription=("Pass each step's state on with its graph; detach only between truncated-BPTT segments "
                      "(after the backward of a segment), not at every step."),
        code=("for t in range(steps):\n    h, c = cell(x[:, t], (h, c))  # no h.detach() here\n"
              "loss.backward()\nh, c = h.detach(), c.detach()  # between segments"),
        score=2.5,
    )


def _stateless_finding(modules: list[str]) -> Finding:
    """``recurrence``: recurrent modules whose input weights get a gradient and whose recurrent weights get exactly 0:
    the state they are handed is zero at every step (reset inside the time loop) or cut from the graph."""
    return Finding(
        cause="recurrence", layers=modules, severity="critical", confidence=0.8,
        evidence={"modules": modules, "recurrent_weight_gradient": 0.0,
                  "expected": "a gradient on the recurrent (hidden-to-hidden) weights"},
        message=(f"{modules[0]}'s recurrent weights (weight_hh) get exactly zero gradient while its input weights "
                 "learn: the hidden state it is handed at every step is zero (a state reset such as h = zeros "
                 "inside the time loop) or cut from the graph, so nothing is carried from one step to the next."),
        prescription=("Initialise the state once, before the time loop, and pass each step's output state to the "
                      "next step (detach it only between truncated-BPTT segments, not at every step)."),
        code=("h = x.new_zeros(batch, hidden)  # once, before the loop\nfor t in range(steps):\n"
              "    h = cell(x[:, t], h)"),
        score=2.5,
    )


def identity_activation_findings(probe: Any) -> list[Finding]:
    """``activation`` when activation ops of the loss's graph compute the identity (a leaky ReLU of slope 1);
    critical when at least half of the graph's activation ops do."""
    acts, ident = probe.activation_ops
    if not ident:
        return []
    leaky = sorted(name for name, m in probe.modules.items() if name in probe.call_counts
                   and isinstance(m, nn.LeakyReLU) and float(m.negative_slope) == 1.0)
    return [Finding(
        cause="activation", layers=leaky, severity="critical" if 2 * ident >= acts else "warning", confidence=0.9,
        evidence={"identity_activation_ops": ident, "activation_ops": acts,
                  "modules": {n: "LeakyReLU(negative_slope=1.0)" for n in leaky}},
        message=(f"{ident} of the {acts} activation op(s) in the loss's graph compute the identity (a leaky ReLU "
                 "with negative slope 1): the weight layers around them compose into one linear map, so the "
                 "network cannot represent what its depth is for. nn.LeakyReLU(True) looks like this: its first "
                 "argument is the slope, not inplace."),
        prescription="Pass the slope you mean (PyTorch's default is 0.01) and inplace by name.",
        code="nn.LeakyReLU(negative_slope=0.01, inplace=True)  # nn.LeakyReLU(True) sets negative_slope=1",
        score=2.0,
    )]


def zero_stuck_findings(probe: Any) -> list[Finding]:
    """``init`` (critical) when every parameter of the modules the forward ran gets an all-zero gradient (none
    ``None``, the graph is not cut) while some of their weight matrices are all zeros: nothing will ever move those
    zeros (see the module docstring)."""
    zero_weights: list[str] = []
    seen = 0
    for name, m in probe.modules.items():
        if name not in probe.call_counts:
            continue
        for pname, p in m.named_parameters(recurse=False):
            key = f"{name}.{pname}" if name else pname
            if not p.requires_grad or key not in probe.param_grads:
                continue
            g = probe.param_grads[key]
            if g is None or g.layout != torch.strided or bool(g.any()):
                return []  # a cut graph (the activation sensor's) or a gradient that moves something
            seen += 1
            if p.dim() >= 2 and p.numel() > 0 and not bool(p.detach().any()):
                zero_weights.append(key)
    if not zero_weights:
        return []
    return [Finding(
        cause="init", layers=_owners(zero_weights),
        severity="critical", confidence=0.9,
        evidence={"zero_weight_matrices": zero_weights[:8], "parameters_with_zero_gradient": seen,
                  "expected": "a gradient that is not zero everywhere"},
        message=(f"{len(zero_weights)} weight matrices (e.g. {zero_weights[0]}) are all zeros and every parameter "
                 "gets exactly zero gradient: every unit computes the same thing, and nothing will ever move them "
                 "off zero."),
        prescription=("Initialise these weights randomly (PyTorch's default, or orthogonal_ for recurrent "
                      "weights); keep zeros only for a last layer whose input carries signal (a zero head or "
                      "residual branch)."),
        code="for name, p in model.named_parameters():\n    if p.dim() >= 2:\n        nn.init.xavier_uniform_(p)",
        score=2.0,
    )]


def _owners(keys: list[str]) -> list[str]:
    """The modules owning parameters ``keys`` (``<root>`` for the model's own), sorted."""
    return sorted({k.rsplit(".", 1)[0] if "." in k else "<root>" for k in keys})


def constant_weight_findings(probe: Any) -> list[Finding]:
    """``init`` (critical) for the recurrent layers' weight matrices (modules the forward ran) whose every element is
    one and the same non-zero value (see the module docstring)."""
    found: list[str] = []
    value = 0.0
    for name, m in probe.modules.items():
        if name not in probe.call_counts:
            continue
        if not isinstance(m, RECURRENT_TYPES):
            continue  # a Linear's or convolution's `weight`: mistakes.zero_network_findings reads those
        for pname, p in m.named_parameters(recurse=False):
            if not pname.startswith("weight") or not p.requires_grad or sum(n > 1 for n in p.shape) < 2 or \
                    p.is_complex():
                continue
            w = p.detach()
            first = w.reshape(-1)[0]
            if bool(first != 0) and bool((w == first).all()):
                found.append(f"{name}.{pname}" if name else pname)
                value = float(first)
    if not found:
        return []
    return [Finding(
        cause="init", layers=_owners(found),
        severity="critical", confidence=0.9,
        evidence={"constant_weight_matrices": found[:8], "value": value,
                  "expected": "weights drawn at random (distinct units)"},
        message=(f"{len(found)} weight matrices (e.g. {found[0]}) hold one and the same value {value:g} in every "
                 "element: every unit computes the same thing and gets the same gradient, so they never become "
                 "different. A fill meant for a bias (a name filter such as 'hh' in name also matches weight_hh) "
                 "looks like this."),
        prescription=("Initialise the weight matrices randomly (PyTorch's default, orthogonal_ for recurrent "
                      "weights) and fill only the vectors you meant (match 'bias' in the name, not a substring)."),
        code=("for name, p in model.named_parameters():\n    if name.endswith('bias_hh_l0'):\n"
              "        p.data.fill_(1.0)  # the bias only"),
        score=31.0,  # above any measured decades (clipped at 30): the fill explains what they measure
    )]


#: normalisation modules defined that must all be left uncalled for :func:`uncalled_norm_findings`
UNCALLED_NORMS_MIN = 2
#: weight layers per uncalled normalisation module above which they were not the network's design (a warning needs
#: at least one per this many weight layers called: a normalised design has one per block; thuml/Time-Series-
#: Library's TimeMixer defines 2 LayerNorms in a mixing block that its forward never calls, beside 35 weight layers,
#: and trains best of its round)
UNCALLED_LAYERS_PER_NORM = 4


def _norm_like(module: nn.Module) -> bool:
    """A library normalisation module, or a user's class named as one (``RMSNorm``, ``LayerNorm2d``): one never
    called cannot be recognised by what it does."""
    return is_norm(module) or type(module).__name__.endswith(("Norm", "Norm1d", "Norm2d", "Norm3d"))


def uncalled_norm_findings(probe: Any) -> list[Finding]:
    """``normalization`` (warning) when the model defines ``UNCALLED_NORMS_MIN`` or more normalisation modules and the
    forward calls none of them while nothing else normalises on the batch: ``self.bn1 = nn.BatchNorm2d(c)`` written
    in ``__init__`` and left out of ``forward``, so the network trains without the normalisation it was designed
    with. Every healthy model of the judgment corpus calls each normalisation module it defines; its ``score`` (2)
    ranks this definite slip above the dead or drifting units it causes (a warning), below critical findings."""
    norms = sorted(n for n, m in probe.modules.items() if n and _norm_like(m))
    if len(norms) < UNCALLED_NORMS_MIN or any(n in probe.call_counts for n in norms):
        return []
    if any(r.normalizes for r in probe.records):
        return []
    weights = sum(1 for r in probe.records if r.leaf and r.call == 0 and is_weight_layer(r.module))
    if weights < 2:
        return []
    designed = len(norms) * UNCALLED_LAYERS_PER_NORM >= weights
    return [Finding(
        cause="normalization", layers=norms,
        severity="warning" if designed else "info", confidence=0.8 if designed else 0.4,
        evidence={"normalization_layers_defined": len(norms), "called": 0, "weight_layers_called": weights,
                  "expected": "every normalisation layer defined is called in forward"}
        | ({} if designed else {"weight_layers_per_norm_for_a_warning": UNCALLED_LAYERS_PER_NORM}),
        message=(f"The model defines {len(norms)} normalisation layer(s) (e.g. {norms[0]}) and its forward calls none "
                 + ("of them: the network trains without the normalisation it was built with, so the signal's scale "
                    "drifts from layer to layer and units die or saturate." if designed else
                    f"of them, beside {weights} weight layers that run without any: dead code rather than the "
                    "network's normalisation left out (only worth knowing).")),
        prescription="Call each normalisation layer in forward where the architecture has it (conv -> norm -> act).",
        code="x = self.act(self.bn1(self.conv1(x)))  # not self.act(self.conv1(x))",
        score=2.0,
    )]
