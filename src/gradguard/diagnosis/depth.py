"""Depth and normalisation: the compounding of per-layer gains that init and activations do not explain.

The residual ``|measured| - explained(init) - explained(activation)`` (decades, see :mod:`.propagation`: the
gradient's change over the chain of weight layers after the last recurrent layer, leaving out layers gated by a
zero-initialised design, or the worst plain run's) is blamed on depth itself; when the stack has
``>= DEEP_LAYERS`` weight layers and nothing normalises (no normalisation module, and no module whose output rows
come out at unit RMS on the batch, see :mod:`.behaviour`), on the missing normalisation (BatchNorm, Ioffe & Szegedy
2015; LayerNorm, Ba et al. 2016), otherwise on depth — and on depth again when the chain is a plain feed-forward
stack of ``SERIES_DEEP`` or more weight layers (too deep to train without skip paths even with its scale
restored). A residual between ``WARN_DECADES`` and ``CRIT_DECADES`` over fewer than ``SHORT_STACK`` weight layers
(``NORMALISED_SHORT_STACK`` in a model that normalises) is info. Residual connections (He et al. 2016) are
prescribed only for a deep plain stack; fewer than ``MIN_LAYERS`` weight layers make no depth finding (a 2-layer LSTM
language model's gradient change is the recurrence check's). Warning at ``WARN_DECADES``: healthy corpus models
reach ~2 over short normalised stacks (HuBERT, 12-18 layers).

Compounding gains move the signal and the gradient the same way: layers whose gains are above 1 grow the signal
toward the output and the gradient toward the input (every init-too-large case of the corpus: a gradient gain of
1.6-5.2 decades with the signal growing 0.9-2.8). When the whole chain's gradient gain is the measure and the signal
drifts the other way by at least ``OPPOSED_DECADES``, the gradient's change is not a compounding of layer gains (a
normalisation dividing the gradient by a residual stream that grows, scalar multipliers on the embeddings or
logits) and the finding stays ``info``: the healthy Granite, LFM2 and RecurrentGemma language models (gradient
+2.0, +2.5, +3.6 decades; signal -0.83, -0.69, -0.27; seen halves with the thirteenth batch, seed 0).
"""

from __future__ import annotations

import math

from .findings import Finding
from .layers import is_norm
from .plain_stack import series_depth
from .probe import ProbeResult
from .propagation import Propagation

__all__ = ["BOTTLENECK_DECADES", "DEEP_LAYERS", "NORMALISED_SHORT_STACK", "OPPOSED_DECADES", "SERIES_DEEP",
           "SERIES_SHARE", "SHORT_STACK", "WARN_DECADES", "depth_findings", "normalisers", "unnormalised_depth"]

DEEP_LAYERS = 6
MIN_LAYERS = 4
WARN_DECADES, CRIT_DECADES = 2.0, 3.0
#: below CRIT_DECADES, a chain of fewer weight layers than this is a short stack whose layers each pass ~0.3-0.4
#: decades less gradient, which trains (the eighteenth batch's FNO: 2.75 decades over 7 layers under Adam); the
#: broken cases named at 2-3 decades on the seen halves have 41 to 67 layers (as ``init_check``'s default-init rule)
SHORT_STACK = 2 * DEEP_LAYERS
#: the same for a model that normalises: HuBERT with one of its two layers dropped by layerdrop 0.1 measured 2.05
#: decades over 12 weight layers at seed 2 (1.98 over 18 at seed 0); SHORT_STACK until session 22
NORMALISED_SHORT_STACK = 4 * DEEP_LAYERS
#: a chain-level gradient gain whose signal drifts the other way by at least this many decades is not compounding
OPPOSED_DECADES = 0.2
#: weight layers of a plain stack from which its unexplained fall is named depth even with nothing normalising
#: (:data:`.plain_stack.SERIES_WARN` transitions + 1)
SERIES_DEEP = 25
#: decades lost in one non-plain step between two weight layers from which it can be the chain's bottleneck
BOTTLENECK_DECADES = 1.0
#: share of the chain's weight layers in one series run for the chain to count as a plain stack
SERIES_SHARE = 0.9


def normalisers(probe: ProbeResult) -> set[str]:
    """Modules that normalise: normalisation modules, and any whose output rows come out at unit RMS on the batch."""
    return {r.name for r in probe.records if r.normalizes} | {n for n, m in probe.modules.items() if is_norm(m)}


#: a growth toward the input from an embedding table at or under this RMS, to a last hidden output within
#: :data:`UNIT_BAND` of unit scale, by no more than the table's shortfall from unit scale (+ RESTORED_SLACK decades),
#: is that scale restored by the normalisation layers, not a compounding (fresh103's FinalNet: DeepCTR's N(0, 1e-4)
#: tables under BatchNorm, 3.4 decades of growth, 4 of shortfall; a healthy click model told ``depth``, critical)
SMALL_TABLE_RMS, RESTORED_SLACK = 1e-2, 0.5
UNIT_BAND = (0.1, 10.0)

#: decades under which the whole chain's gradient gain and signal drift both lie for a plain run's compounding inside
#: a normalised chain to be restored by its normalisations (fresh109's TEA: a run of its blocks compounds 2.1 decades,
#: the chain of 25 weight layers with 12 BatchNorms passes the gradient at 0.26x and the signal at 1.2x; healthy,
#: told ``depth``). No warning of the seen halves (seeds 0/1) had both under 1 decade
RESTORED_CHAIN = 1.0

#: an information-level ``normalization`` reading of a growing stack becomes a warning when the first loss is at least
#: 10^this times an all-zero output's and at least :data:`BLOWN_RESIDUAL` of its decades are unexplained
BLOWN_OUTPUT_DECADES = 1.3
BLOWN_RESIDUAL = 1.0


def unnormalised_depth(probe: ProbeResult, prop: Propagation) -> int:
    """The number of weight layers on the gradient's path when nothing in the model normalises, else 0: a stack of
    ``>= DEEP_LAYERS`` of them has nothing that restores the signal's scale and centre between layers. Layers side by
    side count once (at most the longest path's, :attr:`.probe.ProbeResult.weight_path_depth`): fresh33's PLE, two
    levels of four 2-layer experts and two towers, is 6 deep, not 33 (its default init was told "nothing normalises
    across these 33 weight layers", a warning on a model that trains)."""
    if normalisers(probe):
        return 0
    n = len(prop.chain) - len(prop.gated)
    return n if probe.weight_path_depth is None else min(n, probe.weight_path_depth)


def depth_findings(probe: ProbeResult, prop: Propagation, explained: float) -> list[Finding]:
    """One finding for the unexplained compounding across depth (info when others explain it)."""
    measured = prop.measured
    n = len(prop.chain) - len(prop.gated)
    if measured is None or abs(measured) < 1.0 or n < MIN_LAYERS:
        return []
    same_way = explained if explained * measured > 0 else 0.0
    residual = max(0.0, abs(measured) - abs(same_way))
    norms = normalisers(probe)
    has_norm = bool(norms)
    # a feed-forward stack: plain transitions (what init and activations compound) or, read by the autograd graph,
    # weight layers in series through functional ops (a deep GCN's relu(W (P h)): see plain_stack.series_depth)
    # (most of the chain in series: fresh24's HiFi-GAN period discriminator with 30 plain convs per period, 88 of its
    # 91 weight layers in series)
    plain_stack = len(prop.plain) >= n - 2 or (n >= SERIES_DEEP and series_depth(probe)[0] + 1 >= SERIES_SHARE * n)
    # a plain feed-forward stack of SERIES_DEEP or more layers is too deep to train without skip paths even with
    # its scale restored: depth first (as plain_stack's series finding; skip paths fix both)
    cause = "normalization" if (n >= DEEP_LAYERS and not has_norm and not (plain_stack and n >= SERIES_DEEP)) \
        else "depth"
    severity = "critical" if residual >= CRIT_DECADES else "warning" if residual >= WARN_DECADES else "info"
    short = severity == "warning" and n < (NORMALISED_SHORT_STACK if has_norm else SHORT_STACK)
    if short:
        severity = "info"
    opposed = (prop.backward is not None and prop.forward is not None and measured == prop.backward
               and prop.backward * prop.forward < 0 and abs(prop.forward) >= OPPOSED_DECADES)
    if opposed:
        severity = "info"
    # the chain in call order is not one path when its weight layers stand side by side: the longest series path
    # holds at most half of them (an actor and a critic, TD3's twin Q towers, experts): its first-to-last gain then
    # compares separate towers, unless the signal drifts with it (each tower compounds: fresh27's FinalMLP, two
    # streams drawn N(0, 1) by an init loop, 4.4 decades back and 4.5 forward). cleanrl's PPO at rewards x100: the
    # critic's gradient 4.8 decades above the actor's, the signal's scale held (0.1), read as "across 6 weight layers
    # ... no normalisation layer", critical
    series = probe.weight_path_depth
    apart = (series is not None and 2 * series <= n and prop.backward is not None
             and abs(prop.forward or 0.0) < 0.5 * abs(prop.backward))
    if apart:
        severity = "info"
    table = prop.start_table_rms
    restored = (measured > 0 and has_norm and table is not None and 0 < table <= SMALL_TABLE_RMS
                and prop.end_rms is not None and UNIT_BAND[0] <= prop.end_rms <= UNIT_BAND[1]
                and measured <= -math.log10(table) + RESTORED_SLACK)
    if restored:
        severity = "info"
    # one step between two weight layers, in operations without weights, that loses most of the fall is the
    # architecture's bottleneck (a spatial soft-argmax or a pooling over many positions), not a compounding: fresh60's
    # visuomotor policy, 1.6 of its 3.1 decades lost in the spatial softmax between its last conv and its first Linear
    neck = prop.bottleneck
    bottleneck = (neck is not None and measured < 0 and prop.backward is not None and neck[2] >= BOTTLENECK_DECADES
                  and residual - neck[2] < WARN_DECADES)
    if bottleneck:
        severity = "info"
    # a softmax over the features between two weight layers shrinks the gradient by about its width by design (a
    # dVAE's Gumbel-softmax over 32 codes read by its codebook: fresh108's, 1.4 of its 3.3 decades lost there, told
    # "normalization", critical): that much of the fall is the bottleneck's
    soft = sum(math.log10(w) for w in probe.softmax_necks if w > 1)
    if measured < 0 and soft > 0 and residual - soft < WARN_DECADES:
        severity = "info"
    # a plain run that compounds inside a normalised chain whose whole gain and drift stay within a decade: its
    # normalisations restore the scale (measured is then the run's, not the chain's backward gain)
    inside = (has_norm and prop.backward is not None and measured != prop.backward
              and abs(prop.backward) < RESTORED_CHAIN and abs(prop.forward or 0.0) < RESTORED_CHAIN)
    if inside:
        severity = "info"
    # a growth through an unnormalised stack that the output shows: the first loss far above an all-zero output's
    # (fresh72's DeepNet without its LayerNorms: 1.9 unexplained decades over 27 layers, the first loss 30x; healthy
    # models at init: 2 of 586 reach 20x, neither with such a finding)
    out_dec = probe.output_decades
    blown = (cause == "normalization" and severity == "info" and measured > 0 and residual >= BLOWN_RESIDUAL
             and out_dec is not None and out_dec >= BLOWN_OUTPUT_DECADES
             and not (short or opposed or apart or bottleneck))
    if blown:
        severity = "warning"
    way = "grows" if (prop.backward or 0.0) > 0 else "shrinks"
    evidence = {
        "weight_layers": n,
        "normalization_layers": len(norms),
        "direction": 1 if measured > 0 else -1,
        "gradient_gain_first_to_last": None if prop.backward is None else float(f"{10 ** prop.backward:.3g}"),
        "forward_drift_last_to_first": None if prop.forward is None else float(f"{10 ** prop.forward:.3g}"),
        "expected_gain": "0.1 .. 10",
        "measured_decades": round(measured, 2),
        "explained_by_init_and_activation": round(abs(same_way), 2),
        "residual_decades": round(residual, 2),
        **({"softmax_neck_decades": round(soft, 2)} if soft > 0 and measured < 0 else {}),
        **({"signal_drifts_the_other_way": True} if opposed else {}),
        **({"short_stack": SHORT_STACK} if short and not opposed else {}),
        **({"longest_series_path": series} if apart else {}),
        **({"input_table_rms": float(f"{table:.3g}")} if restored and table is not None else {}),
        **({"restored_by_normalisation": True} if inside else {}),
        **({"first_loss_over_zero_output": float(f"{10 ** (out_dec or 0.0):.3g}")} if blown else {}),
        **({"bottleneck": f"{neck[0]} -> {neck[1]}", "bottleneck_decades": round(neck[2], 2)}
           if bottleneck and neck is not None else {}),
    }
    if cause == "normalization":
        prescription = ("Add normalisation between the layers (BatchNorm1d/2d after each Linear/Conv for batch "
                        "training, LayerNorm for sequences/transformers) so every layer sees unit-scale inputs; "
                        "residual connections help too.")
        code = ("import torch.nn as nn\nblock = nn.Sequential(nn.Linear(d, d), nn.BatchNorm1d(d), nn.ReLU())  "
                "# or nn.LayerNorm(d)")
    elif plain_stack and n >= DEEP_LAYERS:
        prescription = ("Shorten the gradient path: add residual (skip) connections around blocks, or use fewer "
                        "layers; clip gradients by global norm meanwhile.")
        code = ("def forward(self, x):\n    return x + self.block(x)  # residual connection\n"
                "# and: torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)")
    else:
        prescription = ("Clip gradients by global norm, and check the scale of each block's output (a normalisation "
                        "layer before each block, or a smaller init of the last layer of each block).")
        code = "torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # before optimizer.step()"
    return [Finding(
        cause=cause,
        layers=[r.name for r in prop.chain],
        severity=severity,
        confidence=min(1.0, 0.3 + 0.7 * residual / max(abs(measured), 1e-9)),
        evidence=evidence,
        message=(
            f"Across {n} weight layers the gradient {way} by {abs(prop.backward or 0.0):.1f} decades and the signal "
            f"scale drifts by {abs(prop.forward or 0.0):.1f} decades; {residual:.1f} decades of that are not explained "
            "by initialisation or activations" + (" and the stack has no normalisation layer." if cause ==
                                                   "normalization" else ".")
            + (" The signal drifts the other way, so this is not a compounding of layer gains (a normalisation or "
               "a scalar multiplier rescales the gradient); left as information." if opposed else "")
            + (f" These layers stand side by side (the longest series path holds {series} of them: towers, heads or "
               "experts), so the figure compares separate paths; left as information." if apart and not opposed
               else "")
            + (f" It starts at an embedding table of RMS {table:.2g}, and the normalisation brings the signal back "
               "to unit scale: the gradient grows by the scale the table lacks, not by compounding; left as "
               "information." if restored and table is not None and not (opposed or apart) else "")
            + (f" {neck[2]:.1f} decades of it are lost in one step, between {neck[0]} and {neck[1]}, in operations "
               "without weights (a pooling, a softmax over positions): the architecture's bottleneck, not a "
               "compounding; left as information." if bottleneck and neck is not None and not (opposed or apart)
               else "")
            + (" The chain as a whole passes the gradient and the signal within a decade: a stretch of it "
               "compounds and its normalisations restore the scale; left as information." if inside
               and not (opposed or apart or restored or bottleneck) else "")
            + (f" The output shows it: the first loss is {10 ** (out_dec or 0.0):.3g}x an all-zero output's."
               if blown else "")
        ),
        prescription=prescription,
        code=code,
        score=residual + (0.05 if cause == "normalization" else 0.0),
    )]
