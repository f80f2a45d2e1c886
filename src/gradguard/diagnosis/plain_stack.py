"""Deep stacks that nothing keeps trainable: many weight layers in a row with no residual path (named ``depth``), or a
residual stream with no normalisation anywhere whose blocks barely change it (named ``normalization``). At
initialisation their signal can look healthy on one batch; training then stalls or diverges.

Both are read off the probe's call records, by what the modules did on the batch, not by their class:

* **series depth**: along the weight layers (each module's first call, in execution order) a transition ``A -> B`` is
  *in series* when ``B``'s input is ``A``'s output after activation, dropout or normalisation modules (the probe's
  ``chained``: a user's own LayerNorm counts when its rows come out at unit RMS), or derives from it along one
  autograd path only (``linked``, :func:`.graph.single_path`: functional activations and dropout, a graph propagation
  ``P @ h`` by a constant matrix; fresh15's 32 plain GCN layers ``relu(W (P h))`` had read as 0). Any other
  transition is a *break* when, between the two layers, the gradient passes unchanged from ``A``'s output or a later
  module's output into a later module (or ``B``), which ``B`` then does not read in series: a sum (a residual add:
  the gradient of ``a + h`` is that of ``a``), a pooling, a module-to-module path that is not ``A``'s chain; or when
  ``B`` reads more features than ``A`` outputs (a concatenation: DenseNet, U-Net, Inception). A transition made only
  by tensor operations that change the gradient (attention's matmuls, a running sum) neither counts nor breaks. The
  series depth is the most in-series transitions between two breaks. Warning at ``SERIES_WARN`` (seen halves: every
  healthy model, VGG with BatchNorm, a 17-layer SELU MLP, N-BEATS, RegNet, Inception, MobileNetV2 included, is at 16
  or less by the module reading, and under ``SERIES_WARN`` with the graph's ``linked`` too; a 12-block pre-LN
  Transformer-XL without its skip connections is at 36, a 40-layer plain ReLU conv stack at 39).
* **residual stream without normalisation**: a module whose output has the same gradient as the last module that
  ran inside it but a different RMS ends in a sum with something else (its input: a residual block). With no
  module that normalised on the batch (a normalisation module that ran, or any module whose output rows came out
  at unit RMS; one defined but never called does not count), when the median such block's branch output is
  ``BRANCH_DECADES`` or more below the stream it is added to, the blocks read the stream at its raw scale and
  barely change it (seen halves: the one healthy residual model without norms, a PixelCNN, at a median of -0.34
  decades; MobileNet without BatchNorm at -0.87; StarCoder2 and Nemotron with their norms removed at -1.7, -4.4).

Both findings are warnings with a small score (``SCORE``): they name a design that fails in training, not a
measured blow-up, so any finding with measured trouble ranks above them — with one exception
(:func:`series_outranks_default_init`): when the measured trouble is a library's standard init vanishing through
an unnormalised stack (named ``normalization``) and that stack is a series of ``SERIES_WARN`` transitions or more,
the series depth is named first, at that finding's severity: the two name the same measured fall, and so deep a
stack without skip paths does not train even with the scale restored (a plain 56-layer net with BatchNorm trains
worse than a 20-layer one, He et al. 2016), while residual connections fix both. Seen halves: six plain stacks of
23-40 layers (tanh, ELU, N-BEATS, PixelCNN, a highway net without gates) accept both causes.
"""

from __future__ import annotations

import itertools
import math
import statistics

from torch import nn

from .findings import Finding
from .layers import EMBEDDING_TYPES, is_weight_layer
from .probe import CallRecord, ProbeResult
from .propagation import Propagation

__all__ = ["BRANCH_DECADES", "MIN_BLOCKS", "NORMED_SERIES_WARN", "NORMED_SHARE", "SCORE", "SERIES_WARN",
           "STACKED_RNN_WARN", "normalised_share", "plain_stack_findings",
           "residual_blocks", "series_depth", "series_outranks_default_init", "stacked_recurrent_findings"]

#: in-series transitions between two breaks from which a stack is too deep to train without skip connections
SERIES_WARN = 24
#: where at least NORMED_SHARE of the series' transitions have a normalisation between them, the series depth from
#: which it is a warning (He et al. 2016's plain nets with BatchNorm: 56 layers train, worse than 20)
NORMED_SHARE, NORMED_SERIES_WARN = 0.9, 56
#: residual blocks (sums at a module's output) needed to call the model a residual stream
MIN_BLOCKS = 2
#: median log10(branch output RMS / stream RMS) at or below which the blocks barely change the stream
BRANCH_DECADES = -1.0
#: layers of one stacked recurrent module (``nn.LSTM(num_layers=k)``, which has no residual path between its layers)
#: from which it is too deep to train: GNMT (Wu et al. 2016) trains 4 stacked LSTM layers plainly and needs residual
#: connections for 8; seen halves: every healthy model stacks at most 2, fresh43's Luong NMT and fresh44's sentence
#: VAE at 8 do not learn in 200 steps
STACKED_RNN_WARN = 6
#: ranking score of these findings (decades): below any finding with measured trouble
SCORE = 0.05
#: relative difference under which two gradient norms are the same tensor's gradient
_SAME = 1e-5


def _same(a: float | None, b: float | None, tol: float = _SAME) -> bool:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-30)


def _weight_calls(probe: ProbeResult) -> list[CallRecord]:
    """First calls of leaf weight layers (embeddings start a path, not a transition), in execution order."""
    return [r for r in sorted(probe.records, key=lambda r: r.pre_order)
            if r.leaf and r.call == 0 and is_weight_layer(r.module) and not isinstance(r.module, EMBEDDING_TYPES)]


def _widens(a: CallRecord, b: CallRecord) -> bool:
    """``b`` reads more features than ``a`` outputs: ``a``'s output is concatenated with others (DenseNet, U-Net,
    Inception), a skip path."""
    if isinstance(b.module, nn.Linear):
        width = b.module.in_features
    elif isinstance(b.module, nn.modules.conv._ConvNd):
        width = b.module.in_channels
    else:
        return False
    conv = isinstance(a.module, nn.modules.conv._ConvNd)
    if not a.out_shape or (conv and len(a.out_shape) < 2):
        return False
    return width > a.out_shape[1 if conv else -1]


def _breaks(a: CallRecord, between: list[CallRecord], b: CallRecord) -> bool:
    """The gradient reaches a module after ``a`` (or ``b``) unchanged from ``a``'s output or a later module's (a sum
    or another reader of the same tensor), or ``b`` reads a concatenation with ``a``'s output: not a series
    connection."""
    if _widens(a, b):
        return True
    seen = [a]
    for r in [*between, b]:
        if any(_same(x.grad_out, r.grad_in) for x in seen):
            return True
        seen.append(r)
    return False


def series_depth(probe: ProbeResult) -> tuple[int, list[str]]:
    """The most in-series weight-layer transitions between two breaks (see the module docstring), and the layers."""
    calls = _weight_calls(probe)
    leaves = sorted((r for r in probe.records if r.leaf), key=lambda r: r.pre_order)
    best: list[CallRecord] = []
    run: list[CallRecord] = calls[:1]
    count = best_count = 0
    for a, b in itertools.pairwise(calls):
        if b.linked:
            count += 1
            run.append(b)
        elif _breaks(a, [r for r in leaves if a.pre_order < r.pre_order < b.pre_order], b):
            count, run = 0, [b]
        else:
            run.append(b)
        if count > best_count:
            best_count, best = count, list(run)
    return best_count, [r.name for r in best]


def normalised_share(probe: ProbeResult, layers: list[str]) -> float:
    """The share of the transitions between consecutive ``layers`` (weight layers, first calls) with a module that
    normalised on the batch running between them; 0 when there is no transition."""
    first = {r.name: r for r in probe.records if r.call == 0}
    recs = [first[n] for n in layers if n in first]
    norms = sorted(r.pre_order for r in probe.records if r.leaf and r.normalizes)
    pairs = list(itertools.pairwise(recs))
    if not pairs:
        return 0.0
    return sum(any(a.pre_order < k < b.pre_order for k in norms) for a, b in pairs) / len(pairs)


def residual_blocks(probe: ProbeResult) -> list[tuple[str, float, float]]:
    """Modules whose output is a sum of the last module run inside them and something else (a residual block):
    ``(name, log10(branch RMS / output RMS), output RMS)``, first calls only, finite outputs only."""
    by_post = {r.post_order: r for r in probe.records if r.post_order >= 0}
    out: list[tuple[str, float, float]] = []
    for c in probe.records:
        if c.leaf or c.call != 0 or c.name == "" or c.post_order < 1:
            continue
        last = by_post.get(c.post_order - 1)
        if last is None or last.pre_order <= c.pre_order or not c.name or not last.name.startswith(c.name + "."):
            continue
        if not (math.isfinite(c.out_rms) and math.isfinite(last.out_rms)) or c.out_rms <= 0 or last.out_rms <= 0:
            continue
        if _same(c.grad_out, last.grad_out, 1e-4) and not _same(c.out_rms, last.out_rms, 1e-3):
            out.append((c.name, math.log10(last.out_rms / c.out_rms), c.out_rms))
    return out


def plain_stack_findings(probe: ProbeResult, prop: Propagation) -> list[Finding]:
    """A deep stack with no residual path (``depth``), or a residual stream with no normalisation whose blocks barely
    change it (``normalization``); warnings (see the module docstring)."""
    found: list[Finding] = []
    norms = {r.name for r in probe.records if r.normalizes}  # called, and normalising on the batch
    depth, layers = series_depth(probe)
    # read on the loss's graph: the fewest weight layers the gradient passes to reach the farthest one (side-by-side
    # branches concatenated, as a MixHop layer's three propagations, are not a skip path; fresh33's 30 MixHop layers
    # read 0 transitions by the modules)
    if probe.gradient_path is not None and probe.gradient_path[0] - 1 > depth:
        depth, layers = probe.gradient_path[0] - 1, probe.gradient_path[1]
    if depth >= SERIES_WARN:
        no_norm = not norms
        # every transition normalised (a BatchNorm after each conv): MobileNet v1's 28 layers in series train (real
        # code round 14: kuangliu/pytorch-cifar's MobileNet at its SGD 0.1 recipe, 0.06-0.13 by step 150, warned);
        # He et al.'s plain 56-layer net with BatchNorm trains too, if worse than a 20-layer one
        share = normalised_share(probe, layers)
        normed = share >= NORMED_SHARE and depth < NORMED_SERIES_WARN
        found.append(Finding(
            cause="depth", layers=layers, severity="info" if normed else "warning", confidence=0.6,
            evidence={"weight_layers_in_series": depth + 1, "series_transitions": depth,
                      "warn_at_transitions": NORMED_SERIES_WARN if share >= NORMED_SHARE else SERIES_WARN,
                      "normalization_layers": len(norms), "normalised_transitions_share": round(share, 2),
                      "healthy_max_seen": 16},
            message=(f"{depth + 1} weight layers run one after another with no residual (skip) connection"
                     + (" and no normalisation anywhere" if no_norm else "") + ": every gradient passes through "
                     "all of them." + (" A normalisation follows every layer, so such a stack trains (MobileNet v1 "
                                       "has 28), if less well than one with skip paths; only worth knowing."
                                       if normed else
                                       " The signal may look fine on this batch at initialisation, but a stack this "
                                       "deep without skip paths stalls or diverges in training.")),
            prescription=("Add residual connections around each block (x + block(x)), so the gradient has a short "
                          "path to every layer" + (", and a normalisation layer per block (BatchNorm for convs, "
                                                   "LayerNorm for sequences)" if no_norm else "")
                          + "; or use fewer layers."),
            code=("def forward(self, x):\n    for norm, block in zip(self.norms, self.blocks):\n"
                  "        x = x + block(norm(x))  # residual connection around a normalised block\n    return x"),
            score=SCORE,
        ))
    blocks = residual_blocks(probe)
    if not norms and len(blocks) >= MIN_BLOCKS:
        median = statistics.median(b[1] for b in blocks)
        if median <= BRANCH_DECADES:
            stream = statistics.median(b[2] for b in blocks)
            found.append(Finding(
                cause="normalization", layers=[b[0] for b in blocks], severity="warning", confidence=0.6,
                evidence={"residual_blocks": len(blocks), "normalization_layers": 0,
                          "branch_over_stream_decades_median": round(median, 2),
                          "warn_at_decades": BRANCH_DECADES, "stream_rms_median": float(f"{stream:.3g}"),
                          "healthy_min_seen": -0.34},
                message=(f"The model is a residual stream of {len(blocks)} blocks with no normalisation anywhere: "
                         f"each block reads the stream at its raw scale (RMS {stream:.2g}) and adds back an output "
                         f"{-median:.1f} decades smaller, so the blocks barely change it. Without a norm before "
                         "each block, training stalls or the stream's scale drifts as the weights grow."),
                prescription=("Add a normalisation layer at the input of each block (pre-norm: x + block(norm(x)), "
                              "LayerNorm or RMSNorm for sequences, BatchNorm for convs), and one before the head."),
                code=("self.norm = nn.LayerNorm(d)  # one per block\n"
                      "def forward(self, x):\n    return x + self.block(self.norm(x))"),
                score=SCORE,
            ))
    return found


def _parent(name: str) -> str:
    """The module that holds ``name`` (``post.2`` -> ``post``; a top-level name is its own)."""
    return name.rsplit(".", 1)[0]


def _dead_in_series(findings: list[Finding], series: Finding) -> list[Finding]:
    """Strong ``activation`` findings of dead ReLU units (whole layers cut off, or most units dead) on weight layers
    of the series stack, and the no-gradient share those cut layers explain."""
    inside = set(series.layers) | {_parent(n) for n in series.layers}  # an activation module beside its layer
    dead = [f for f in findings if f.cause == "activation" and f.severity != "info"
            and f.evidence.get("activation") == "relu" and {_parent(n) for n in f.layers} & inside]
    if any("no_gradient_layers" in f.evidence for f in dead):
        dead += [f for f in findings if f.cause == "activation" and f.severity != "info"
                 and "no_gradient_share" in f.evidence]
    return dead


def series_outranks_default_init(findings: list[Finding]) -> None:
    """Name a too-deep series stack first when the measured trouble is its standard init vanishing with nothing
    normalising (see the module docstring), or its ReLU units drifting dead layer after layer with nothing to
    re-centre them (:mod:`.activations`' ``normalization`` reading; seen halves: DeepONet's 50 and FinalMLP's 32 plain
    layers per branch, labelled depth/init): the series ``depth`` finding takes that ``normalization`` finding's
    severity and a score just above it, and its evidence the measured decades. In place."""
    series = next((f for f in findings if f.cause == "depth" and "weight_layers_in_series" in f.evidence), None)
    # the measured reading: the standard init's fall, units dying, or (fresh54's MscaleDNN, 32 plain layers per
    # scale, told normalization over a series depth warning at 0.05) a fall no init or activation explains through a
    # stack with no normalisation layer (the depth measurement recast as ``normalization``)
    default = [f for f in findings if f.cause == "normalization" and f.severity != "info"
               and (f.evidence.get("framework_default_init") or "unnormalised_weight_layers" in f.evidence
                    or (f.evidence.get("normalization_layers") == 0 and "residual_decades" in f.evidence))]
    dying = _dead_in_series(findings, series) if series is not None else []
    if series is None or not (default or dying):
        return
    top = max(default + dying, key=lambda f: f.rank_key)  # a tie goes to the normalization reading
    series.severity = top.severity
    series.score = top.score + 0.01
    if any(top is f for f in dying):
        series.evidence["outranks"] = "ReLU units dead layer after layer inside the series (activation)"
        series.evidence["dead_layers_in_series"] = sorted(set().union(*(set(f.layers) for f in dying))
                                                          & set(series.layers))
        whole = any("no_gradient_layers" in f.evidence for f in dying)
        series.message = (f"{series.evidence['weight_layers_in_series']} weight layers run one after another with "
                          "no residual (skip) connection, and inside that stack "
                          + ("whole layers of ReLU units are already dead on this batch" if whole else
                             "ReLU units are dying layer after layer on this batch")
                          + ": the chance that units die compounds with every layer a plain stack adds (a deep "
                          "enough plain ReLU net is born dead; Lu et al. 2019). Residual connections, or fewer "
                          "layers, fix the root; the activation finding below is its symptom.")
        return
    series.evidence["measured_decades"] = top.evidence.get("measured_decades")
    series.evidence["outranks"] = ("the standard init's fall through the unnormalised stack (normalization)"
                                   if top.evidence.get("framework_default_init") else
                                   "units dying layer after layer through the unnormalised stack (normalization)"
                                   if "unnormalised_weight_layers" in top.evidence else
                                   "the gradient's unexplained fall through the unnormalised stack (normalization)")
    decades = top.evidence.get("measured_decades")
    fall = f"; the gradient already falls by {abs(decades):.1f} decades across them at initialisation" \
        if isinstance(decades, float) else ""
    series.message = (f"{series.evidence['weight_layers_in_series']} weight layers run one after another with no "
                      f"residual (skip) connection and no normalisation anywhere{fall}. A stack this deep without "
                      "skip paths does not train even with its init or normalisation made right; residual "
                      "connections give the gradient a short path to every layer.")


def stacked_recurrent_findings(probe: ProbeResult) -> list[Finding]:
    """``depth`` (warning) for a recurrent module the forward ran that stacks ``STACKED_RNN_WARN`` layers or more
    (``num_layers``): its layers run in series with no skip path, each gated, and the gradient to the lowest passes
    through all of them at every time step."""
    deep = {name: m.num_layers for name, m in probe.modules.items()
            if isinstance(m, nn.RNNBase) and name in probe.call_counts and m.num_layers >= STACKED_RNN_WARN}
    if not deep:
        return []
    worst = max(deep.values())
    return [Finding(
        cause="depth", layers=sorted(deep), severity="warning", confidence=0.6,
        evidence={"stacked_recurrent_layers": deep, "warn_at": STACKED_RNN_WARN, "healthy_max_seen": 2},
        message=(f"{', '.join(sorted(deep))}: {worst} recurrent layers stacked in one module, with no residual path "
                 "between them: the gradient to the lowest layer passes through every layer above it at every time "
                 "step. Stacks this deep stop training without residual connections (GNMT needed them for 8 LSTM "
                 "layers; 4 train plainly)."),
        prescription=("Use 2-4 stacked layers, or stack single-layer modules with a residual connection between "
                      "them (x = x + lstm_i(x)[0]), as GNMT does from its third layer on."),
        code=("self.layers = nn.ModuleList(nn.LSTM(d, d, batch_first=True) for _ in range(k))\n"
              "for lstm in self.layers:\n    x = x + lstm(x)[0]"),
        score=SCORE,
    )]
