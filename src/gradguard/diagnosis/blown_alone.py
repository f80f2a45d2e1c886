"""An output blown up at initialisation that nothing else names: the first loss far above an all-zero output's.

The init check reads a blown-up output through the chain of weight layers (most of them too large for their
activation). Some models build their output from parameters in ways that chain does not follow: a factorization
machine's products of factor-table rows (fresh107's order-3 HOFM at PyTorch's embedding default N(0, 1): a first
loss 6-11x the all-zero output's, its tables "at their default scale"), memory embeddings summed over a story
(fresh18's MemN2N with its std typed in the mean slot: 8.5-9.3x), an embedding drawn at ``d ** 0.5`` where
``d ** -0.5`` belongs (fresh24's AFT: 110-117x, left as information). A finding (``init``, warning) when the first
loss is ``BLOWN_ALONE`` decades or more above an all-zero output's and no other finding is a warning or worse; it
names the parameters at the largest RMS. Healthy models of the seen halves reach 0.62 decades at most (GAT, two
attention layers at 1.4x their Xavier scale; 649 healthy runs measured, session 43).
"""

from __future__ import annotations

import math

import torch

from .findings import Finding
from .probe import ProbeResult

__all__ = ["BLOWN_ALONE", "blown_alone_findings"]

#: decades of first loss over an all-zero output's from which a blown-up output alone is a finding (5.6x)
BLOWN_ALONE = 0.75
_NAMED = 3  # parameters named in the finding


def blown_alone_findings(findings: list[Finding], probe: ProbeResult) -> list[Finding]:
    """``init`` (warning) for a first loss ``BLOWN_ALONE`` decades or more above an all-zero output's when no
    finding in ``findings`` is a warning or worse (see the module docstring); [] otherwise."""
    out = probe.output_decades
    if out is None or not math.isfinite(out) or out < BLOWN_ALONE or \
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
                  "gate_decades": BLOWN_ALONE, "largest_rms": {n: round(r, 4) for r, n in top},
                  "expected": "a first loss within a few times an all-zero output's"},
        message=(f"The first loss is {10 ** out:.3g}x the loss of an all-zero output: the output is blown up before "
                 "any training, though no chain of layers compounds it (the model multiplies or sums its parameters "
                 f"in ways a layer-by-layer reading does not follow: factor products, embedding sums). The "
                 f"parameters at the largest scale: {named}."),
        prescription=("Initialise the parameters that build the output smaller, so that the first output is near the "
                      "targets' scale: factor or embedding tables that are multiplied or summed together at N(0, 0.01) "
                      "to N(0, 1/d), not nn.Embedding's default N(0, 1)."),
        code=f"torch.nn.init.normal_(model.get_parameter({top[0][1]!r}), 0.0, 0.01)",
        score=out,
    )]
