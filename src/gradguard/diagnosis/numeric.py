"""Data: non-finite or out-of-scale values in the batch (modules that turn finite inputs into Inf/NaN:
:mod:`.nonfinite_outputs`).

Data scale (per floating-point tensor the model is called with, and per floating-point target; all-zero tensors
such as an initial hidden state and 0/1 masks are not data): initialisations assume unit-scale inputs (He et al.
2015, Glorot & Bengio 2010), so a root-mean-square ``>= 10^INPUT_DECADES`` (``<= 10^-SMALL_DECADES``) times unit
scale, or a largest value ``>= OUTLIER_RATIO`` times the median magnitude and itself ``>= 10^INPUT_DECADES`` (a
corrupt record; of the non-zero values when over half are exactly 0, a sparse input such as ratings or counts), is
named ``data``; far values that are one
repeated value found in at least half of the samples are a sentinel by convention (NeRF's 1e10 last spacing, an
additive attention mask's -1e9) and the scale is measured without them;
targets only when ``>= 10^TARGET_DECADES`` (regression targets in raw units). Critical at ``CRIT_DECADES`` off,
or an outlier ``>= 10^CRIT_DECADES`` times its scale. Inputs that go straight into a normalisation layer are only
info. Integer inputs (token ids, class labels) are never judged for scale.

A batch whose samples are at least ``REPEATED_SHARE`` one and the same input, element for element, in every tensor
the model reads (the least repeated tensor decides; 0/1-only tensors such as masks are left out) carries almost
nothing to learn from: ``data``, critical (8-bit pixels floor-divided ``x // 255``: every value below 255 becomes 0).
"""

from __future__ import annotations

import itertools
import math

from .findings import Finding
from .graph import UNREACHED, Reader
from .layers import is_weight_layer
from .probe import CallRecord, InputStats, ProbeResult
from .unit_norm import HOMOGENEOUS

__all__ = ["COLUMN_SPREAD_DECADES", "INPUT_DECADES", "OUTLIER_RATIO", "REPEATED_SHARE", "SYSTEMATIC_NONFINITE",
           "data_findings", "nonfinite_batch_findings"]

#: the share of a batch's samples identical to its most common one (in every input tensor the model reads, 0/1-only
#: tensors aside) from which the data carries almost nothing (critical): a preprocessing step erased it
REPEATED_SHARE = 0.9

#: SMALL_DECADES was 3 until session 13: no float input of any case of the corpus's 15 halves has a root-mean-square
#: below 0.1 but one (pixels divided by 255 twice: 0.004, the fourteenth batch's slip), so 2 decades keeps a 10x
#: margin from every healthy input
INPUT_DECADES, SMALL_DECADES, TARGET_DECADES, CRIT_DECADES = 1.0, 2.0, 2.0, 3.0
OUTLIER_RATIO = 1e3
#: decades between a table's largest and smallest column RMS from which a later normalisation does not absorb its
#: scale (columns in different units)
COLUMN_SPREAD_DECADES = 2.0


def _scale_problem(s: InputStats, large: float) -> tuple[float, str] | None:
    """(decades off, description) of one tensor, or None when it is at a sane scale or is not data."""
    if not math.isfinite(s.max_abs) or s.max_abs == 0.0:
        return None
    rms = math.sqrt(s.mean ** 2 + s.std ** 2)
    if s.median_abs in (0.0, 1.0) and s.max_abs == 1.0:
        return None  # a 0/1 mask
    dec = math.log10(rms) if rms > 0 else -30.0
    # a sparse input (over half its values exactly 0: ratings, counts) is measured against its non-zero values
    ref = s.median_abs if s.median_abs > 0 else s.median_nonzero_abs
    ratio = s.max_abs / ref if ref > 0 else float("inf")
    # a table's columns in different units (a price of 5e4 beside a ratio of 0.5) are no outlier: within its own
    # column a corrupt record or an unscaled fill still is (fresh64's ModernNCA, its scaler inside the model, was told
    # "largest value 9.33e+04 is 1.56e+03x its median magnitude")
    if math.isfinite(s.column_ratio):
        ratio = min(ratio, s.column_ratio)
    # an unscaled outlier is itself off unit scale: a largest value at unit scale over a near-zero background (a
    # rendered blob on an empty frame: background 1e-8, the blob 1.0) is a sparse image, not a corrupt record
    if ratio >= OUTLIER_RATIO and math.log10(s.max_abs) >= INPUT_DECADES:
        return math.log10(ratio) - 1.0, (f"its largest value {s.max_abs:.3g} is {ratio:.3g}x its median magnitude "
                                         f"{s.median_abs:.3g} (a corrupt record or unscaled outlier)")
    if dec >= large:
        return dec, f"its root-mean-square is {rms:.3g} (mean {s.mean:.3g}, spread {s.std:.3g}), not about 1"
    if dec <= -SMALL_DECADES:
        return -dec, f"its root-mean-square is {rms:.3g}, {10 ** -dec:.0f}x below unit scale"
    return None


#: weight layers behind ReLU-family activations through which a normalisation still removes an input's scale
HOMOGENEOUS_HOPS = 2
#: a target whose RMS is this many times its median magnitude takes its scale from a few far values
HEAVY_TAIL = 10.0
#: decades within which a target counts as at the level of an input the model rescales itself (see data_findings)
LEVEL_DECADES = 0.5
#: decades by which the first loss must lie below an all-zero output's for the output to count as already at the
#: targets' scale (a model that de-normalises its forecast, RevIN, DeepAR's scaling: fresh59's healthy RLinear at
#: -1.25); an untrained net's output at unit scale against raw-level targets scores about the all-zero loss (0)
OWN_SCALE_DECADES = 1.0
#: decades within which a first loss at about an all-zero output's says the output has not reached raw-unit targets
OUTPUT_AT_ZERO = 0.3
#: NaN/Inf input values from which a preprocessing formula made them (``numeric`` first, ``data`` second): in the
#: corpus (58 halves) the corrupt records labelled ``data`` alone bring 1-2 (a NaN feature, an Inf pixel, two Inf
#: views), the logs of 0 and divisions by a zero std or row sum that accept ``numeric`` 4 to 18,432
SYSTEMATIC_NONFINITE = 4


def _nonfinite_grads(probe: ProbeResult) -> list[str]:
    """The parameters whose gradient on the probe's step holds NaN/Inf."""
    return [n for n, g in probe.param_grads.items() if g is not None and not bool(g.isfinite().all())]


def _masked_out(probe: ProbeResult) -> bool:
    """Whether the batch's non-finite values never reach training: the loss and every parameter's gradient are finite
    (padding written as NaN and selected away by the loss; fresh79's MDN-RNN rollouts, told "every gradient will be
    NaN" on a model that trains)."""
    return math.isfinite(probe.loss) and not _nonfinite_grads(probe)


def _masked_nonfinite(where: list[str]) -> Finding:
    return Finding(
        cause="data", layers=[], severity="info", confidence=0.6,
        evidence={"non_finite_in": where, "loss_and_gradients_finite": True},
        message=(f"The batch has NaN or Inf values in its {' and '.join(where)}, but the loss and every gradient are "
                 "finite: they are masked out before the loss (padding written as NaN). A batch whose mask misses one "
                 "will make the step non-finite; the guard skips such a step."),
        prescription="Nothing to do if the NaN values are padding the loss selects away.",
        code="", score=0.1)


def _unreached(probe: ProbeResult, target: InputStats) -> bool:
    """Whether the first output's RMS is ``TARGET_DECADES`` or more under ``target``'s (read where measured)."""
    rms = math.hypot(target.mean, target.std)
    out = probe.output_rms
    return out is not None and math.isfinite(out) and rms > 0 and (out <= 0 or math.log10(rms / out) >= TARGET_DECADES)


def data_findings(probe: ProbeResult) -> list[Finding]:
    """``data`` findings: non-finite values in the batch, or float inputs/targets far out of scale."""
    out: list[Finding] = []
    if not probe.inputs_finite or not probe.targets_finite:
        where = [w for w, ok in (("inputs", probe.inputs_finite), ("targets", probe.targets_finite)) if not ok]
        if _masked_out(probe):
            return [_masked_nonfinite(where)]
        made = sum(s.nonfinite for s in probe.inputs)
        return nonfinite_batch_findings(where, made, [list(s.shape) for s in probe.inputs if s.nonfinite])
    rep = probe.inputs_repeated
    if rep is not None and rep >= REPEATED_SHARE:
        out.append(Finding(
            cause="data", layers=[], severity="critical", confidence=0.9,
            evidence={"identical_sample_share": round(rep, 4), "expected": f"< {REPEATED_SHARE:g}",
                      "input_shapes": [list(t.shape) for t in probe.inputs[:4]]},
            message=(f"{rep:.0%} of the batch's samples are the same input, element for element, in every tensor the "
                     "model reads: the data carries almost nothing to learn from. A preprocessing step erased it "
                     "(an integer division such as x // 255, a threshold, a mask or a normalisation over the wrong "
                     "axis), or the loader repeats one sample."),
            prescription=("Look at a few samples after preprocessing: use x / 255 (true division) for 8-bit images, "
                          "normalise over the axis that varies, and check the loader's indexing."),
            code="x = x.float() / 255.0  # not x // 255, which floors every value below 255 to 0",
            score=3.0,
        ))
    else:
        out += _constant_inside(probe)
    problems: list[tuple[str, InputStats, float, str]] = []
    for kind, stats, large in (("input", probe.inputs, INPUT_DECADES), ("target", probe.targets, TARGET_DECADES)):
        for s in stats:
            found = _scale_problem(s, large)
            if found is not None:
                problems.append((kind, s, found[0], found[1]))
    if not problems:
        return out
    judged = []  # each problem with what reads it: a tensor the model rescales itself is only worth knowing
    own = (probe.output_decades is not None and probe.output_decades <= -OWN_SCALE_DECADES) or \
        probe.output_at_target_level
    for p in problems:
        outlier = "median magnitude" in p[3]
        reader = _unit_reader(probe, p[1]) if p[0] == "input" and not outlier else None
        absorbed = p[0] == "input" and not outlier and (_first_is_norm(probe) or reader is not None)
        # a normalisation after the first layer removes the table's scale, not the spread between its columns: the
        # column in the largest units drowns the others in every feature (fresh64's ModernNCA with its scaler lost
        # to load_state_dict(strict=False): a price of 5e4 beside a ratio of 0.5, behind a LayerNorm)
        spread = p[0] == "input" and p[1].column_decades >= COLUMN_SPREAD_DECADES
        if spread and not _evens_columns(probe, reader):
            # nor does a normalisation over each row (a LayerNorm) that reads the raw table: fresh25's SAINT, its
            # columns in raw units (1 to 1e4) embedded one by one and layer-normalised
            reader = None
            absorbed = not outlier and _first_is_channel_norm(probe)
        normed = p[0] == "input" and not outlier and not absorbed and not spread and _read_then_normalised(probe, p[1])
        judged.append((p, outlier, reader, absorbed or normed, normed))
    # the worst tensor first; but where it is an input the model rescales, a target whose scale comes from a few far
    # values (RMS >= HEAVY_TAIL x its median magnitude: fills, corrupt rows) goes before it. fresh23's N-HiTS at seed
    # 1: -999 fills in inputs and targets, the inputs a little further out, the targets' warning never raised; a
    # DeepAR-style model that rescales its input and scales its output back predicts raw-level targets (RMS ~ their
    # median magnitude) by design. (Preferring any target the model does not cope with, session 33, named that
    # DeepAR-style model's raw targets, whose output is small at step 0: tests/test_rescaled_inputs.py.)
    def heavy(j: tuple) -> bool:
        t = j[0][1]
        rms = math.hypot(t.mean, t.std)
        return j[0][0] == "target" and t.median_abs > 0 and rms >= HEAVY_TAIL * t.median_abs
    worst = max(judged, key=lambda j: j[0][2])
    if worst[3]:
        worst = max(judged, key=lambda j: (heavy(j), j[0][2]))
        # ... and a target in raw units that the output is nowhere near (the first loss within OUTPUT_AT_ZERO decades of
        # an all-zero output's, the output's RMS TARGET_DECADES or more under the target's, no rescale inside the
        # loss) goes before the input the model normalises: the output layer must grow by the target's decades
        # (fresh108's CARD without RevIN: series at +-2000 in and out, its LayerNorms absorb the input, its output
        # at unit scale; told "only worth knowing"). A DeepAR-style output scaled back by the input's level starts
        # within a decade or so of the targets and stays as it was (tests/test_rescaled_inputs.py)
        far = [j for j in judged if j[0][0] == "target" and not heavy(j) and _unreached(probe, j[0][1])]
        if worst[3] and far and not own and not probe.loss_rescales_output and probe.output_decades is not None \
                and abs(probe.output_decades) < OUTPUT_AT_ZERO:
            worst = max(far, key=lambda j: j[0][2])
    elif worst[0][0] == "target" and not heavy(worst) and probe.output_decades is None:
        # a target at the level of an input the model rescales itself (within LEVEL_DECADES), where no all-zero output
        # tells whether the loss compares the output with the target's raw level (a model returning a tuple): the
        # model standardises its input and works at unit scale, and its loss may take the level back (fresh100's
        # DSANet standardises the raw targets in its loss with the window's statistics: told `data` at seeds 2/3,
        # where the targets came out 0.01 decades further off than the inputs). Where that output is read, the
        # targets stay judged by it (RLinear's forecast not de-normalised, TimesFM's de-normalised twice: `data`)
        level = [j for j in judged if j[3] and j[0][0] == "input" and j[0][2] >= worst[0][2] - LEVEL_DECADES]
        if level:
            worst = max(level, key=lambda j: j[0][2])
    (kind, s, dec, what), outlier, reader, absorbed, normed = worst
    direction = 1 if outlier or (dec > 0 and "below unit scale" not in what) else -1
    rescaled = kind == "target" and not outlier and probe.loss_rescales_output
    predicted = kind == "target" and not outlier and not rescaled and own
    absorbed = absorbed or rescaled or predicted
    severity = "info" if absorbed else "critical" if dec >= CRIT_DECADES else "warning"
    out.append(Finding(
        cause="data", layers=[], severity=severity, confidence=0.4 if absorbed else 0.8,
        evidence={f"{k}_{i}": {"shape": list(t.shape), "mean": _n(t.mean), "std": _n(t.std), "max_abs": _n(t.max_abs),
                               "median_abs": _n(t.median_abs)} for i, (k, t, _d, _w) in enumerate(problems[:4])}
        | {"decades_off_unit_scale": round(dec, 2), "expected": "float inputs about unit scale (mean ~0, std ~1)",
           "first_module_normalises": absorbed, "direction": direction}
        | ({"read_through_periodic_op": reader.name} if reader and reader.periodic else
           {"first_reader": reader.name, "first_reader_input_rms": _n(reader.in_rms)} if reader else {}),
        message=(f"A float {kind} tensor of shape {tuple(s.shape)} is out of scale: {what}."
                 + (" No weight reads its scale: the loss's graph does not reach it (its gradient path is cut); "
                    "only worth knowing." if reader and reader.name == UNREACHED
                    else f" No weight reads its scale: the model takes it only through a periodic op ({reader.name}: "
                    "a phase, such as a time stamp modulo a period); only worth knowing." if reader and reader.periodic
                    else f" The model rescales it itself: {reader.name}, the first weighted layer that reads it, gets "
                    f"a tensor of root-mean-square {reader.in_rms:.3g}; only worth knowing." if reader else
                    " The loss compares the model's output with it on its own scale (an all-zero output scores "
                    "better than one at the targets' mean: a standardisation undone inside the loss), so the model "
                    "itself works at unit scale; only worth knowing." if rescaled else
                    f" The model's first output already has its scale (the first loss is "
                    f"{10 ** -(probe.output_decades or 0.0):.3g}x below an all-zero output's: a de-normalisation "
                    "such as RevIN's, or an output bias at the targets' level); only worth knowing." if predicted else
                    " The first weighted layer that reads it is followed by a normalisation, which removes its scale "
                    "(and its gradient's); only worth knowing." if normed else
                    " The model normalises it first, so this is only worth knowing." if absorbed else
                    " The loss and every gradient scale with it (an MSE with its square), far from what the "
                    "learning rate and the output layer's init are made for." if kind == "target" else
                    " The model takes it through a periodic op whose frequency is a trained parameter: each step of "
                    "that frequency moves every phase by about the step times the input, so at this scale the "
                    "periodic features are noise that changes at every step." if _learned_phase(probe, s) else
                    " Initialisations assume unit-scale inputs, so the first layers' activations and gradients are "
                    "off by as much.")),
        prescription=(f"Standardise the {kind}s (subtract the training-set mean, divide by its standard deviation, "
                      "per feature), and find where out-of-range records come from (wrong units, a corrupt row); "
                      "clip or drop those."),
        code=("mean, std = x_train.mean(0), x_train.std(0) + 1e-8  # training-set statistics\n"
              f"{'x' if kind == 'input' else 'y'} = ({'x' if kind == 'input' else 'y'} - mean) / std"),
        score=dec,
    ))
    return out


def nonfinite_batch_findings(where: list[str], made: int, shapes: list[list[int]], suffix: str = "") -> list[Finding]:
    """The findings of a batch with NaN/Inf values in ``where`` (``"inputs"``, ``"targets"``): ``data``, critical,
    preceded by ``numeric`` when the inputs hold ``made >= SYSTEMATIC_NONFINITE`` of them (a preprocessing formula
    made them: :func:`_made_nonfinite`). ``suffix`` ends the data finding's message (the failed step's error)."""
    out = [_made_nonfinite(made, shapes)] if made >= SYSTEMATIC_NONFINITE else []
    out.append(Finding(
        cause="data", layers=[], severity="critical", confidence=1.0,
        evidence={"non_finite_in": where, "expected": "all values finite"},
        message=(f"The batch has NaN or Inf values in its {' and '.join(where)}: the loss is not finite, and with "
                 f"most losses neither is any gradient{suffix}."),
        prescription=("Clean the data pipeline (check for division by zero, missing values, log of 0 in "
                      "preprocessing); skip or repair non-finite samples."),
        code="mask = torch.isfinite(x).flatten(1).all(dim=1)\nx, y = x[mask], y[mask]",
        score=100.0,
    ))
    return out


def _made_nonfinite(count: int, shapes: list[list[int]]) -> Finding:
    """``numeric`` (critical), ranked above the non-finite batch's ``data`` finding: so many NaN/Inf input values
    that a formula in the preprocessing made them (see :data:`SYSTEMATIC_NONFINITE`)."""
    return Finding(
        cause="numeric", layers=[], severity="critical", confidence=0.8,
        evidence={"nonfinite_input_values": count, "input_shapes": shapes[:4], "gate": SYSTEMATIC_NONFINITE,
                  "expected": "no NaN or Inf; a corrupt record brings one or two"},
        message=(f"{count} values of the inputs are NaN or Inf: too many for a corrupt record. A formula in the "
                 "preprocessing makes them wherever its condition holds: a log of 0 (silent frames, zero counts), a "
                 "division by a zero standard deviation or row sum (a constant column, an empty row), 0/0."),
        prescription=("Guard the preprocessing's numerics: log(x + eps) or log1p, std + eps (or drop constant "
                      "columns), a row sum clamped above 0."),
        code="x = torch.log(x.clamp_min(1e-6))  # or (x - mean) / (std + 1e-8)",
        score=101.0,
    )


def _reader(probe: ProbeResult, s: InputStats) -> Reader | None:
    """The first reader of input ``s`` (see :func:`.graph.first_readers`), or None."""
    return probe.readers[s.index] if s.index < len(probe.readers) else None


def _learned_phase(probe: ProbeResult, s: InputStats) -> bool:
    """Whether input ``s`` reaches the loss only through a periodic op of a trained frequency (see
    :func:`.graph.learned_phase`)."""
    reader = _reader(probe, s)
    return reader is not None and reader.periodic and reader.learned_frequency


def _n(x: float) -> float:
    return float(f"{x:.3g}") if math.isfinite(x) else x


def _unit_reader(probe: ProbeResult, s: InputStats) -> Reader | None:
    """The first weighted module reading input ``s`` (see :func:`.graph.first_readers`), when it normalises it or
    reads it at unit scale (root-mean-square within a decade of 1): the model rescales that input itself; or, with no
    such module, a periodic op that every path to it passes (:attr:`.graph.Reader.periodic`)."""
    reader = _reader(probe, s)
    if reader is None or not (reader.periodic or reader.normalizes or 0.1 <= reader.in_rms <= 10.0):
        return None
    if _learned_phase(probe, s):
        return None  # a trained frequency times the raw input: the phase moves by step x |x| (graph.learned_phase)
    return reader


def _read_then_normalised(probe: ProbeResult, s: InputStats) -> bool:
    """Whether the first weighted layer reading input ``s`` is followed by a normalisation, directly (through
    activations only: ``conv -> BatchNorm -> ReLU``) or through up to ``HOMOGENEOUS_HOPS`` more weight layers chained
    behind ReLU-family activations (``conv -> ReLU -> conv -> BatchNorm``: a positively homogeneous map, whose input
    scale the norm divides out): the signal's scale, and the gradient's, no longer depend on the input's, so an
    out-of-scale input costs nothing (pytorch/examples' siamese network feeds raw 0-255 pixels to a ResNet-18 and
    learns, told ``data`` at both seeds; fresh44's res15 on decibel features, the same)."""
    reader = _reader(probe, s)
    if reader is None or reader.periodic:
        return False
    leaves = sorted((r for r in probe.records if r.leaf), key=lambda r: r.pre_order)
    after = {id(a): b for a, b in itertools.pairwise(leaves)}  # the next module the forward ran
    layers = [r for r in leaves if is_weight_layer(r.module)]
    at = next((i for i, r in enumerate(layers) if r.name == reader.name), None)
    if at is None:
        return False
    for i in range(at, min(at + HOMOGENEOUS_HOPS + 1, len(layers))):
        cur = layers[i]
        nxt = after.get(id(cur))
        if cur.normalized_after or (nxt is not None and nxt.normalizes):  # a norm next (after a functional ReLU)
            return True
        if not (cur.activation in (None, "identity") or cur.activation in HOMOGENEOUS) or \
                i + 1 >= len(layers) or not layers[i + 1].chained:
            return False
    return False


def _evens_columns(probe: ProbeResult, reader: Reader | None) -> bool:
    """Whether the first weighted reader of a table evens out its columns: it reads them at unit scale (the model
    standardised them before any weight) or it normalises each column over the batch (a BatchNorm, or any module
    that does so: STAR's partitioned normalisation per domain)."""
    if reader is None:
        return False
    if reader.periodic or 0.1 <= reader.in_rms <= 10.0:
        return True
    return any(r.channel_norm for r in probe.records if r.name == reader.name)


def _first_leaf(probe: ProbeResult) -> CallRecord | None:
    return next((r for r in sorted(probe.records, key=lambda r: r.pre_order) if r.leaf), None)


def _first_is_channel_norm(probe: ProbeResult) -> bool:
    first = _first_leaf(probe)
    return first is not None and first.channel_norm


def _first_is_norm(probe: ProbeResult) -> bool:
    first = _first_leaf(probe)
    return first is not None and first.normalizes


def _constant_inside(probe: ProbeResult) -> list[Finding]:
    """``data`` when the batch's samples differ but every weight layer reads the same input for (nearly) every sample
    (``REPEATED_SHARE``, at least two layers measured): the model's own preprocessing erased the signal before any
    weight saw it (a waveform standardised over its channel axis of size 1: every sample becomes 0)."""
    # per weight layer, its least repeated call: a layer called once per time step reads one state for every sample
    # at the first step (a zero state, a start token) and the data after it (fresh94's stack-RNN LM, fed a start id
    # then the gold tokens: every layer's first call alike, told data, critical)
    least: dict[str, float] = {}
    for r in probe.records:
        if r.in_repeated is not None:
            least[r.name] = min(least.get(r.name, 1.0), r.in_repeated)
    shares = list(least.values())
    if len(shares) < 2 or min(shares) < REPEATED_SHARE:
        return []
    first = next(r for r in probe.records if r.in_repeated is not None)
    return [Finding(
        cause="data", layers=[first.name], severity="critical", confidence=0.8,
        evidence={"weight_layers_measured": len(shares), "least_repeated_share": round(min(shares), 4),
                  "first_weight_layer": first.name, "expected": f"< {REPEATED_SHARE:g}"},
        message=(f"The batch's samples differ, but every weight layer of the model reads one and the same input for "
                 f"at least {min(shares):.0%} of them, from the first ({first.name}) on: the forward erases the "
                 "signal before any weight sees it (a normalisation over an axis of size 1, x - x.mean(dim) over "
                 "the wrong dim, a mask or a clamp), so the predictions cannot depend on the data."),
        prescription=("Find the operation before the first weight layer that makes every sample alike and apply it "
                      "over the axis that varies (for a waveform (batch, 1, samples): the last one)."),
        code="x = (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-5)  # over time, not channels",
        score=3.0,
    )]
