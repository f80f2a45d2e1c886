"""Initialisation: each weight's standard deviation against the scale its fan-in and activation call for, named as
a cause only when the measured propagation on the batch is actually off.

Expected standard deviation (a normal init of that std keeps the signal's second moment across a layer,
``std = gain / sqrt(fan_in)`` with ``gain = 1 / sqrt(E[f(z)^2])`` for ``z ~ N(0, 1)``):

* ReLU ``sqrt(2)`` (He et al. 2015), LeakyReLU ``sqrt(2 / (1 + a^2))``, GELU 1.53, SiLU/Swish 1.68, ELU 1.24,
  Softplus 1.04, SELU 1 (LeCun normal, Klambauer et al. 2017);
* tanh, sigmoid, no activation (Glorot & Bengio 2010): ``sqrt(2 / (fan_in + fan_out))``;
* recurrent ``weight_hh`` (per gate block): orthogonal, std ``1 / sqrt(hidden)`` (Saxe et al. 2014);
* ``nn.Embedding`` and ``nn.EmbeddingBag``: ``1`` (PyTorch's default; transformers use N(0, 0.02), which a LayerNorm
  absorbs).

The cause is named from the measurement, not the table (see :mod:`.propagation`): a run of plain feed-forward
transitions must compound by ``>= INIT_WARN`` decades (critical ``>= INIT_CRIT``) the way the layers' std factors
predict, or the model's first loss must be ``>= 10^OUTPUT_WARN`` times the loss of an all-zero output while the
weights of a chain of at least 2 layers are too large (the output is blown up at step 0; one too-large layer alone
is the regularisation check's: it may have grown there), or, where the path has no plain run (residual streams,
attention), the whole gradient path must compound by ``>= INIT_WARN`` decades while most of its weight layers are
off by ``> OFF_FACTOR`` the same way (a transformer at N(0, 1): development case ``nanogpt_init_std1``, 17 of 19
layers 4-8x too large, 2.7 decades, which the depth check took before). Per-branch scales inside residual blocks
(GPT-2's N(0, 0.02), zero-initialised heads, residual branches and layer scales) are designs: they are not plain
runs, and layers gated by a zero are left out. Weights off the table that the measurement does not confirm are ``info``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .depth import DEEP_LAYERS, SHORT_STACK, WARN_DECADES, normalisers, unnormalised_depth
from .findings import Finding
from .layers import RELU_FAMILY, is_weight_layer
from .probe import ProbeResult
from .propagation import Propagation

__all__ = ["DEFAULT_TOLERANCE", "INIT_CRIT", "INIT_WARN", "OFF_FACTOR", "OUTPUT_MOST_WARN", "WeightSpec",
           "expected_std", "init_findings", "weight_specs"]

#: a weight whose std is off by more than this factor from the expected one is listed (info)
OFF_FACTOR = 1.9
#: decades a plain run must compound (healthy corpus models reach 1.5 at most; broken inits 3.9 to 9.8)
INIT_WARN, INIT_CRIT = 2.0, 3.0
#: decades of first loss over an all-zero output's loss that count as an output blown up at initialisation; when
#: most of the chain's weight layers are > OFF_FACTOR too large, OUTPUT_MOST_WARN suffices (0.5 decades: the first
#: loss >= 3.2x a uniform prediction's; broken transformers at N(0, 1) measure 0.61 to 0.83 on the seen halves, no
#: healthy case has most of its chain too large; healthy first losses reach 0.62 decades, GAT, 2 layers at 1.4x)
OUTPUT_WARN, OUTPUT_MOST_WARN = 1.0, 0.5
#: the most applications in series of one reused weight counted in its predicted compounding
MAX_SERIES = 32
#: a std within this fraction of a library's standard scale counts as that init (see ``_framework_default``; the
#: sample std of a few thousand draws lands within 2-3% of it)
DEFAULT_TOLERANCE = 0.1
#: ``1 / sqrt(E[f(z)^2])`` for z ~ N(0, 1): the fan-in gain that keeps the second moment through ``f``
GAINS: dict[str, float] = {"relu": math.sqrt(2.0), "gelu": 1.533, "silu": 1.676, "elu": 1.245, "softplus": 1.042,
                           "selu": 1.0}
#: the transformer convention N(0, 0.02) (timm's trunc_normal(0.02) measures ~0.0176): a weight whose std lies here,
#: in a model that normalises (LayerNorm, RMSNorm, GroupNorm...), is "too small" by design, not by mistake
CONVENTION_STD = (0.016, 0.023)
_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1, "LSTMCell": 4, "GRUCell": 3, "RNNCell": 1}


@dataclass
class WeightSpec:
    """One weight tensor with its measured and expected standard deviation."""

    key: str
    module: str
    param: str
    fan_in: int
    fan_out: int
    activation: str
    scheme: str
    std: float
    expected_std: float

    @property
    def factor(self) -> float:
        """``std / expected_std`` (> 1: too large)."""
        return self.std / self.expected_std if self.expected_std > 0 else float("nan")


def expected_std(activation: str, fan_in: int, fan_out: int, slope: float = 0.01) -> tuple[float, str]:
    """(expected std, init scheme name) for a layer followed by ``activation``."""
    if activation == "selu":
        return math.sqrt(1.0 / fan_in), "lecun_normal"
    if activation == "leaky_relu":
        return math.sqrt(2.0 / (1 + slope**2) / fan_in), "kaiming_normal(leaky_relu)"
    if activation in GAINS and activation != "relu":
        return GAINS[activation] / math.sqrt(fan_in), f"normal(0, {GAINS[activation]:.3g}/sqrt(fan_in)) ({activation})"
    if activation in RELU_FAMILY:
        return math.sqrt(2.0 / fan_in), "kaiming_normal(relu)"
    return math.sqrt(2.0 / (fan_in + fan_out)), "xavier_normal"


def _fans(w: torch.Tensor) -> tuple[int, int]:
    receptive = int(w[0, 0].numel()) if w.ndim > 2 else 1
    return int(w.shape[1]) * receptive, int(w.shape[0]) * receptive


def _std(w: torch.Tensor) -> float:
    return float(w.detach().float().std()) if w.numel() > 1 else float("nan")


def weight_specs(probe: ProbeResult) -> list[WeightSpec]:
    """Every weight the init check knows how to judge, with the activation found to follow it."""
    acts: dict[str, str] = {}
    for rec in probe.records:
        if rec.call == 0 and rec.activation_source != "none" and rec.name not in acts:
            acts[rec.name] = rec.activation or "identity"
    specs: list[WeightSpec] = []
    for name, m in probe.modules.items():
        if isinstance(m, nn.Embedding | nn.EmbeddingBag):
            w = m.weight
            specs.append(WeightSpec(f"{name}.weight", name, "weight", 1, int(w.shape[1]), "identity", "normal(0, 1)",
                                    _std(w), 1.0))
        elif isinstance(m, nn.Linear | nn.modules.conv._ConvNd | nn.Bilinear):
            w = m.weight
            if w.ndim < 2:
                continue
            fi, fo = _fans(w if not isinstance(m, nn.Bilinear) else w[:, :, :])
            if isinstance(m, nn.modules.conv._ConvTransposeNd):
                fi, fo = fo, fi
            act = acts.get(name, "identity")
            slope = float(getattr(probe.modules.get(name), "negative_slope", 0.01))
            exp, scheme = expected_std(act, fi, fo, slope)
            specs.append(WeightSpec(f"{name}.weight", name, "weight", fi, fo, act, scheme, _std(w), exp))
        elif is_weight_layer(m) and isinstance(getattr(m, "weight", None), nn.Parameter) and m.weight.ndim == 2:
            w = getattr(m, "weight")  # noqa: B009 (a Parameter, checked above)
            out_features = next((r.out_shape[-1] for r in probe.records if r.name == name and r.out_shape), None)
            fi, fo = (int(w.shape[0]), int(w.shape[1])) if out_features == w.shape[1] != w.shape[0] else \
                (int(w.shape[1]), int(w.shape[0]))
            act = acts.get(name, "identity")
            exp, scheme = expected_std(act, fi, fo)
            specs.append(WeightSpec(f"{name}.weight", name, "weight", fi, fo, act, scheme, _std(w), exp))
        elif isinstance(m, nn.RNNBase | nn.RNNCellBase):
            gates = _GATES.get(type(m).__name__, 1)
            act = "relu" if getattr(m, "nonlinearity", "tanh") == "relu" else "tanh"
            for pname, p in m.named_parameters(recurse=False):
                if not pname.startswith("weight_") or p.ndim != 2:
                    continue
                hidden = int(p.shape[0]) // gates
                fi = int(p.shape[1])
                if pname.startswith("weight_hh"):
                    exp, scheme = 1.0 / math.sqrt(fi), "orthogonal"
                else:
                    exp, scheme = expected_std(act if act == "relu" else "tanh", fi, hidden)
                specs.append(WeightSpec(f"{name}.{pname}", name, pname, fi, hidden, act, scheme, _std(p), exp))
        elif isinstance(m, nn.MultiheadAttention) and getattr(m, "in_proj_weight", None) is not None:
            w = m.in_proj_weight
            assert w is not None
            fi, fo = int(w.shape[1]), int(w.shape[0])
            exp, scheme = expected_std("identity", fi, fo)
            specs.append(WeightSpec(f"{name}.in_proj_weight", name, "in_proj_weight", fi, fo, "identity", scheme,
                                    _std(w), exp))
    return specs


def _layer_evidence(s: WeightSpec) -> dict[str, object]:
    return {"std": round(s.std, 6), "expected_std": round(s.expected_std, 6), "factor": round(s.factor, 3),
            "activation": s.activation, "scheme": s.scheme, "param": s.param}


def _times(probe: ProbeResult) -> str:
    """The first loss over an all-zero output's, in words (a loss that overflowed float32 is only bounded below)."""
    out_dec = probe.output_decades or 0.0
    return (f"at least {10 ** out_dec:.3g}x (it overflowed float32)" if not math.isfinite(probe.loss)
            else f"{10 ** out_dec:.3g}x")


def _explained(pred: float, meas: float) -> float:
    return min(abs(pred), abs(meas)) if pred * meas > 0 else 0.0


def _most_off_same_way(cands: list[WeightSpec], measured: float) -> tuple[list[WeightSpec], float, float] | None:
    """The candidates off the scale by more than ``OFF_FACTOR`` in the direction of ``measured``, their predicted
    decades and the decades of ``measured`` they explain, when they are most of ``cands`` (at least 2); else None."""
    way = 1.0 if measured > 0 else -1.0
    same = [s for s in cands if way * math.log(s.factor) > math.log(OFF_FACTOR)]
    if len(cands) < 2 or 2 * len(same) <= len(cands):
        return None
    pred = sum(math.log10(s.factor) for s in same)
    return same, pred, _explained(pred, measured)


def _reused_in_series(probe: ProbeResult, specs: dict[str, WeightSpec]) -> list[tuple[WeightSpec, int]]:
    """Weight layers the forward calls several times whose weight maps its width to itself (square: a call's output
    can be the next call's input), with their call counts (at most :data:`MAX_SERIES`)."""
    out: list[tuple[WeightSpec, int]] = []
    for name, calls in probe.call_counts.items():
        spec = specs.get(name)
        w = probe.params.get(spec.key) if spec is not None else None
        if spec is None or calls < 2 or w is None or w.ndim < 2 or w.shape[0] != w.shape[1]:
            continue
        out.append((spec, min(calls, MAX_SERIES)))
    return out


def init_findings(probe: ProbeResult, prop: Propagation) -> tuple[list[Finding], float]:
    """Findings about mis-scaled weights, and the decades of measured trouble they explain (signed)."""
    #: every weight with a finite scale factor, recurrent ones included (``specs`` keeps one weight per module)
    every_w = [s for s in weight_specs(probe) if math.isfinite(s.factor) and s.factor > 0]
    specs = {s.module: s for s in every_w}
    findings: list[Finding] = []
    run = prop.worst_run
    group: list[WeightSpec] = []
    measured = predicted = explained = 0.0
    how = ""
    if run is not None and abs(run.measured) >= INIT_WARN:
        group = [specs[r.name] for r in run.layers[1:] if r.name in specs]
        predicted = sum(math.log10(s.factor) for s in group)
        measured = run.measured
        explained = _explained(predicted, measured)
        how = (f"across {len(run.layers)} feed-forward layers the gradient changes by {abs(run.backward):.1f} "
               f"decades and the signal by {abs(run.forward):.1f}")
    out_dec = probe.output_decades
    chain_specs = [specs[r.name] for r in prop.chain if r.name in specs and r.name not in prop.gated]
    # most of the chain too large (a transformer at N(0, 1)): its LayerNorms keep the stream's scale, so the blown-up
    # output is the only sign, and a smaller one suffices (OUTPUT_MOST_WARN)
    most_large = 2 * sum(s.factor > OFF_FACTOR for s in chain_specs) > len(chain_specs)
    out_needed = OUTPUT_MOST_WARN if most_large else OUTPUT_WARN
    # a weight the forward applies several times in series (a recursive layer: DRCN's convolution, 8 times) scales
    # the signal once per application; the chain keeps only modules called once (fresh93's DRCN at 3x its init:
    # a first loss 1e7 times the all-zero output's, told healthy)
    reused = _reused_in_series(probe, specs)
    if explained < INIT_WARN and out_dec is not None and out_dec >= out_needed and \
            len(chain_specs) + len(reused) >= 2:
        pred_all = sum(math.log10(s.factor) for s in chain_specs) + \
            sum(k * math.log10(s.factor) for s, k in reused)
        if pred_all >= 0.5 and _explained(pred_all, out_dec) > explained:
            group, predicted, measured = chain_specs + [s for s, _ in reused], pred_all, out_dec
            explained = _explained(pred_all, out_dec)
            series = [f"{s.key} applied {k} times in series" for s, k in reused if abs(math.log10(s.factor)) >= 0.1]
            how = (f"the first loss is {_times(probe)} the loss of an all-zero output: the output is blown up "
                   "before any training" + (f" ({', '.join(series)}: its scale compounds once per application)"
                                            if series else ""))
    # weights off the chain (an RNN cell called once per time step is not on it: makemore's RNN and GRU at N(0, 1),
    # first loss 5x the all-zero output's, were told "does not show them causing trouble"): the blown-up output is
    # the init's when most of the model's weights are off the scale upward, as when most of the chain's are
    wide_note = ""  # set where the finding is the model-wide init (explain hands it a growing recurrence)
    if explained < INIT_WARN and out_dec is not None and out_dec >= OUTPUT_MOST_WARN and not most_large:
        large_w = [s for s in every_w if s.factor > OFF_FACTOR]
        pred_w = sum(math.log10(s.factor) for s in large_w)
        if len(every_w) >= 3 and 2 * len(large_w) > len(every_w) and pred_w >= 0.5 \
                and _explained(pred_w, out_dec) > explained:
            group, predicted, measured = large_w, pred_w, out_dec
            explained = _explained(pred_w, out_dec)
            wide_note = f"{len(large_w)} of {len(every_w)} weights > {OFF_FACTOR}x too large"
            out_needed = OUTPUT_MOST_WARN
            how = (f"the first loss is {_times(probe)} the loss of an all-zero output: the output is blown up "
                   f"before any training, and {len(large_w)} of the model's {len(every_w)} weights are too large")
    # no plain run (residual streams, attention): the chain's compounding is the init's when most of the chain's
    # weight layers are off the scale the same way (a transformer at N(0, 1) instead of N(0, 0.02)); and behind a
    # zero-initialised layer (a classifier, a residual branch's last projection), which gates every gradient at step
    # 0, the forward signal is measured: compounded by layers most of which are off the same way, it is the init's
    # (the first step will show it: the zero layer's gradient is that signal)
    gated_specs = [specs[n] for n in prop.gated_live if n in specs]
    tries: tuple[tuple[list[WeightSpec], float | None, str], ...] = (
        (chain_specs, prop.measured, "{n} of the {of} weight layers on the gradient's path are off the same way, and "
                                     "across them the gradient changes by {m:.1f} decades"),
        (gated_specs, prop.gated_forward, "a zero-initialised layer gates the gradient at step 0, but across the {of} "
                                          "weight layers behind it the signal changes by {m:.1f} decades"),
    )
    normalizes = bool(normalisers(probe))  # as depth's NORMALISED_SHORT_STACK reads it
    for cands, meas, text in tries:
        if meas is None or abs(meas) < INIT_WARN:
            continue
        # where a plain run already explains INIT_WARN, the whole path is tried only for what the run leaves to the
        # depth check (>= its WARN_DECADES) and only when the layers are not at a library's scale (a framework
        # default, N(0, 0.02): made for a stack that normalises, the depth check's business). The fourteenth batch's
        # AlexNet with its He std written as a variance: its longest plain run (3 convolutions between max-pools)
        # explains 2.3 of 7.3 decades, all 8 layers 6-16x too small explain the rest (named depth before); EGNN at
        # PyTorch's default and an HGNetV2 at N(0, 0.02) without its BatchNorms stay with the depth check
        whole = explained >= INIT_WARN
        if whole and abs(meas) - explained < WARN_DECADES:
            continue
        if meas < 0 and normalizes:  # a shrink across layers at the transformer convention is not that init's
            cands = [s for s in cands if not _convention(s)]
        found = _most_off_same_way(cands, meas)
        if found is not None and whole and \
                2 * sum(_framework_default(s) or _convention(s) for s in found[0]) >= len(found[0]):
            continue
        if found is not None and found[2] > explained:
            group, predicted, explained = found
            measured = meas
            how = text.format(n=len(group), of=len(cands), m=abs(meas))
    needed = out_needed if how.startswith("the first loss") else INIT_WARN
    direction = 0
    if group and explained >= needed:
        direction = 1 if measured > 0 else -1
        group = [s for s in group if (s.factor > 1) == (direction > 0)] or group
    plain_depth = unnormalised_depth(probe, prop)
    if group and explained >= needed and direction < 0 and plain_depth >= DEEP_LAYERS \
            and 2 * sum(map(_framework_default, group)) > len(group):
        default_found = _default_init_finding(group, explained, measured, how, plain_depth)
        # the library-default layers must explain the shrink themselves to warn: a head drawn far smaller on purpose
        # (CPM's belief maps at N(0, 0.001), 2.4 of 3.2 decades) is a design choice, not the missing normalisation's
        # (fresh73's healthy CPM was told normalization, critical, a finding no confirmation reaches); the finding
        # stays, as information, so that the shrink is still explained for the depth check
        if -sum(math.log10(s.factor) for s in group if _framework_default(s)) < needed:
            default_found.severity = "info"
        findings.append(default_found)
    elif group and explained >= needed:
        severity = "critical" if explained >= INIT_CRIT else "warning"
        word = "large" if direction > 0 else "small"
        worst = max(group, key=lambda s: abs(math.log(s.factor)))
        gm = math.exp(sum(math.log(s.factor) for s in group) / len(group))
        fixes = sorted({s.scheme for s in group})
        findings.append(Finding(
            cause="init",
            layers=[s.module for s in group],
            severity=severity,
            confidence=0.5 + 0.5 * min(1.0, explained / max(abs(measured), 1e-9)),
            evidence={
                "layers": {s.key: _layer_evidence(s) for s in group},
                "typical_factor": round(gm, 3),
                "predicted_decades": round(predicted, 2),
                "measured_decades": round(measured, 2),
                "first_loss_over_zero_output_loss": _fmt_gain(out_dec),
                "direction": direction,
                **({"model_wide": wide_note} if wide_note else {}),
                **({"first_loss_overflowed": True} if not math.isfinite(probe.loss) else {}),
            },
            message=(
                f"{len(group)} weight layer(s) are initialised too {word} for their activation: std about {gm:.2f}x "
                f"the value that keeps the signal's scale (worst: {worst.key}, {worst.std:.3g} vs "
                f"{worst.expected_std:.3g} for {worst.activation}). Compounded, this predicts {abs(predicted):.1f} "
                f"decades; measured: {how}."
            ),
            prescription=(
                f"Re-initialise these layers with {', '.join(fixes)}: the scheme that matches each layer's "
                "activation (He et al. 2015, Glorot & Bengio 2010). gradguard can do it: fix(model, diagnosis)."
            ),
            code="from gradguard.diagnosis import fix\nchanges = fix(model, diagnosis)  # re-initialises these layers",
            score=explained,
        ))
    named = {s.key for s in group} if findings else set()
    off = [s for s in specs.values() if abs(math.log(s.factor)) > math.log(OFF_FACTOR) and s.key not in named]
    every = every_w
    large = [s for s in every if s.factor > OFF_FACTOR and s.key not in named]
    # most of every weight too large, those the finding above names included: fresh95's G2-GNN at N(0, 1) (its
    # encoder and decoder named, the two convolutions reused over 8 layers left) had its reused weights' growth
    # named a recurrence before the init
    model_wide = len(every) >= 3 and 2 * sum(s.factor > OFF_FACTOR for s in every) > len(every) and bool(large)
    if model_wide:  # the recurrent layers' own weights too (``specs`` keeps one weight per module)
        off = list({s.key: s for s in off + large}.values())
    if off:
        findings.append(Finding(
            cause="init",
            layers=sorted({s.module for s in off}),
            severity="info",
            confidence=0.3,
            evidence={"layers": {s.key: _layer_evidence(s) for s in off},
                      "measured_decades": None if prop.measured is None else round(prop.measured, 2),
                      **({"model_wide": f"{sum(s.factor > OFF_FACTOR for s in every)} of {len(every)} weights > "
                                        f"{OFF_FACTOR}x too large",
                          "direction": 1} if model_wide else {})},
            message=(
                f"{len(off)} weight(s) are off the He/Xavier scale by more than {OFF_FACTOR}x, but the measured "
                "propagation does not show them causing trouble (normalisation, residual paths, a transformer's "
                "N(0, 0.02) convention or shallow depth keep the signal's scale)."
            ),
            prescription="Nothing to do; these scales are fine for this architecture.",
            code="",
            score=0.1,
        ))
    # a default-init stack's shrink is explained by that init even where it is only info (see _default_init_finding)
    kept = findings and (findings[0].severity != "info" or findings[0].evidence.get("framework_default_init"))
    signed = explained * (1 if measured > 0 else -1) if kept else 0.0
    return findings, signed


def _convention(s: WeightSpec) -> bool:
    """Whether the weight is at the transformer convention N(0, 0.02) and below its He/Xavier scale (see
    ``CONVENTION_STD``): HuBERT's GELU layers at 0.0201 against 0.19 are 0.1x "too small" in a normalised stack that
    keeps the signal's scale, and with one of its two layers dropped (layerdrop 0.1) a healthy run measured a 2.05
    decade shrink across 12 weight layers, 9 of them at 0.02, and was named ``init``."""
    return CONVENTION_STD[0] <= s.std <= CONVENTION_STD[1] and s.factor < 1


def _framework_default(s: WeightSpec) -> bool:
    """Whether the weight is at a library's standard init, within ``DEFAULT_TOLERANCE``: PyTorch's default for its
    layer type (``kaiming_uniform_(a=sqrt(5))``, std ``1 / sqrt(3 fan_in)``) or torchvision's He init by fan-out
    (``kaiming_normal_(mode="fan_out")``, std ``sqrt(2 / fan_out)``, which makes depthwise and expanding convs small;
    counted only where fan-out and fan-in differ, else it is He's own scale, a deliberate choice):
    scales nobody tuned for this stack, made for networks whose BatchNorm restores the scale."""
    if s.param != "weight":
        return False
    fan_out_he = s.fan_out != s.fan_in and abs(s.std * math.sqrt(s.fan_out / 2.0) - 1.0) < DEFAULT_TOLERANCE
    return fan_out_he or abs(s.std * math.sqrt(3.0 * s.fan_in) - 1.0) < DEFAULT_TOLERANCE


def _default_init_finding(group: list[WeightSpec], explained: float, measured: float, how: str,
                          layers: int) -> Finding:
    """Too-small weights at a library's standard init, in a stack with nothing that normalises: the missing
    normalisation is the cause (that scale is what a BatchNorm/LayerNorm after each layer makes right)."""
    gm = math.exp(sum(math.log(s.factor) for s in group) / len(group))
    return Finding(
        cause="normalization",
        layers=[s.module for s in group],
        # below INIT_CRIT, a stack of fewer than SHORT_STACK unnormalised layers is the usual MLP at the default
        # init (~0.4 decades a layer), and it trains: the nineteenth batch's 6-layer Gumbel-softmax VAE (2.3
        # decades); the broken cases named by this rule on the seen halves have 14 to 128 such layers (MobileNet and
        # GhostNet without BatchNorm: 2.4-2.5 decades over 18 and 29)
        severity=("critical" if explained >= INIT_CRIT else "warning" if layers >= SHORT_STACK else "info"),
        confidence=0.5 + 0.5 * min(1.0, explained / max(abs(measured), 1e-9)),
        evidence={"layers": {s.key: _layer_evidence(s) for s in group}, "framework_default_init": True,
                  "typical_factor": round(gm, 3), "measured_decades": round(measured, 2), "direction": -1,
                  "unnormalised_weight_layers": layers},
        message=(f"{len(group)} weight layer(s) keep a library's standard init (PyTorch's default std "
                 f"1/sqrt(3 fan_in), or He by fan-out; about {gm:.2f}x the scale that keeps the signal through their "
                 f"activation) and nothing normalises across these {layers} weight layers: {how}. Those inits are "
                 "made for stacks whose normalisation layers restore the scale."),
        prescription=("Add normalisation between the layers (BatchNorm after each Linear/Conv, LayerNorm for "
                      "sequences), as the architecture's design has it; or, without it, re-initialise these layers "
                      f"with {', '.join(sorted({s.scheme for s in group}))} (the scheme that matches each layer's "
                      "activation). fix() does not apply this: it is an architecture change."),
        code="import torch.nn as nn\nblock = nn.Sequential(nn.Linear(d, d), nn.BatchNorm1d(d), nn.ReLU())",
        score=explained,
    )


def _fmt_gain(decades: float | None) -> float | None:
    return None if decades is None else float(f"{10.0 ** decades:.3g}")
