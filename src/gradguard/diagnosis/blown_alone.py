"""An output blown up at initialisation that nothing else names: the first loss far above an all-zero output's.

The init check reads a blown-up output through the chain of weight layers (most of them too large for their
activation). Some models build their output from parameters in ways that chain does not follow: an embedding drawn
at ``d ** 0.5`` where ``d ** -0.5`` belongs (fresh24's AFT: a first loss 110-117x the all-zero output's, left as
information), a learned log-scale started at 20 (fresh91's HSTU: 10^7.7), a companion-matrix recurrence computed as
a convolution with its roots at 1.5 (fresh108's SpaceTime: 10^22). A finding (``init``, warning) when the first loss
is ``BLOWN_ALONE`` decades or more above an all-zero output's (``BLOWN_ALONE_REGRESSION`` where the loss compares
float targets of the output's shape) and no other finding is a warning or worse; it names the parameters at the
largest RMS.

The gate is high because an all-zero output is a strong baseline for many healthy models: sparse heatmaps, energies,
one-class distances, factorization machines' click logits. Every half at seeds 0/1 (2,088 healthy runs, session 43):
healthy first losses reach 1.81 decades above it (a Lagrangian NN, GraphNorm's GIN; also PaiNN 1.05, DeepSVDD 1.45,
YOLO 1.19, the stacked hourglass 1.28, FFM 0.86), so broken inits under 2 decades stay unread here (fresh107's HOFM
at nn.Embedding's N(0, 1): 0.77-1.04; fresh18's MemN2N with its std in the mean slot: 0.93-0.97); at the unseen seed
3 the Lagrangian NN's regression reached 2.74, hence the regression gate.
"""

from __future__ import annotations

import math

import torch

from .findings import Finding
from .probe import ProbeResult

__all__ = ["BLOWN_ALONE", "BLOWN_ALONE_REGRESSION", "blown_alone_findings"]

#: decades of first loss over an all-zero output's from which a blown-up output alone is a finding (100x)
BLOWN_ALONE = 2.0
#: ... where the loss compares float targets of the output's shape (a regression): an all-zero output is then as good
#: as the targets are small, and an output at unit scale against targets at 0.1 is already 2 decades above it (a
#: recursive conv net at He's scheme regressing 0.1 x its input, tests/test_recursive_weight_init.py); 4 decades is an
#: output 100x the targets' RMS (fresh108's SpaceTime at its companion roots 1.5: 22 decades)
BLOWN_ALONE_REGRESSION = 4.0
_NAMED = 3  # parameters named in the finding


def blown_alone_findings(findings: list[Finding], probe: ProbeResult) -> list[Finding]:
    """``init`` (warning) for a first loss ``BLOWN_ALONE`` decades or more above an all-zero output's when no
    finding in ``findings`` is a warning or worse (see the module docstring); [] otherwise."""
    out = probe.output_decades
    gate = BLOWN_ALONE if probe.output_rms is None else BLOWN_ALONE_REGRESSION
    if out is None or not math.isfinite(out) or out < gate or \
            any(f.severity in ("warning", "critical") for f in findings):
        return []
    with torch.no_grad():
        rms = sorted(((float(p.detach().float().pow(2).mean().sqrt()), n) for n, p in probe.params.items()
                      if p.dim() >= 2 and p.numel() > 0 and p.requires_grad), reverse=True)
    rms = [(r, n) for r, n in rms if math.isfinite(r)]
    if not rms:
        return []
    top = rms[:_NAMED]
    named = ", ".join(f"{n} (RMS {r:.3g})" for r, n in top)
    return [Finding(
        cause="init", layers=sorted({n.rsplit(".", 1)[0] for _, n in top}), severity="warning", confidence=0.5,
        evidence={"output_decades": round(out, 2), "first_loss_over_zero_output": float(f"{10 ** out:.3g}"),
                  "gate_decades": gate, "largest_rms": {n: round(r, 4) for r, n in top},
                  "expected": "a first loss within a few times an all-zero output's"},
        message=(f"The first loss is {10 ** out:.3g}x the loss of an all-zero output: the output is blown up before "
                 "any training, though no chain of layers compounds it (the model builds it from its parameters in "
                 "ways a layer-by-layer reading does not follow: embedding products or sums, learned scales, a "
                 f"recurrence computed as a convolution). The parameters at the largest scale: {named}."),
        prescription=("Initialise the parameters that build the output smaller, so that the first output is near the "
                      "targets' scale: embedding or factor tables that are multiplied or summed together at N(0, 1/d) "
                      "or below (not nn.Embedding's default N(0, 1)), learned scales at their neutral value."),
        code=f"torch.nn.init.normal_(model.get_parameter({top[0][1]!r}), 0.0, 0.01)",
        score=out,
    )]
