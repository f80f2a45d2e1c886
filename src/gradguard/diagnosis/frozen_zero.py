"""A frozen weight matrix of zeros that the forward reads: everything it feeds is 0, and nothing will change it.

``nn.Embedding.from_pretrained(torch.zeros(n, d))`` keeps ``freeze=True`` by default: a placeholder table whose
pretrained vectors were never loaded stays all zeros, every lookup returns 0, and the layers that read it get no
signal and no gradient (a product with a zero input has a zero weight gradient). The no-gradient reading
(:func:`.slips.no_gradient_findings`) then sees "an operation without a derivative"; the cause is the table, an
initialisation that training cannot repair because the optimizer never touches it. Seen halves at seed 0: the frozen
all-zero parameters of healthy models are biases (BYOL's and MoCo's momentum encoders), never a weight matrix;
fresh44's ConvE with its frozen zero entity table does not learn.
"""

from __future__ import annotations

from typing import Any

from .findings import Finding

__all__ = ["frozen_zero_findings"]


def frozen_zero_findings(probe: Any) -> list[Finding]:
    """``init`` (critical) for every frozen weight matrix (``requires_grad`` False, two or more dimensions) that is all
    zeros and belongs to a module the forward ran."""
    zero: list[str] = []
    for name, m in probe.modules.items():
        if name not in probe.call_counts:
            continue
        for pname, p in m.named_parameters(recurse=False):
            if not p.requires_grad and p.dim() >= 2 and p.numel() > 0 and not bool(p.detach().any()):
                zero.append(f"{name}.{pname}" if name else pname)
    if not zero:
        return []
    return [Finding(
        cause="init", layers=sorted({n.rsplit(".", 1)[0] for n in zero}), severity="critical", confidence=0.9,
        evidence={"frozen_zero_weights": zero, "expected": "a frozen weight holds trained or loaded values",
                  "direction": -1},
        message=(f"{', '.join(zero)}: frozen (requires_grad=False) and all zeros, and the forward reads it: every "
                 "output it makes is 0, so what reads it gets no signal and no gradient, and no optimizer step will "
                 "change it. A placeholder whose pretrained values were never loaded "
                 "(nn.Embedding.from_pretrained(torch.zeros(...)) freezes by default) looks like this."),
        prescription=("Load the pretrained values into it, or initialise it (nn.init.normal_) and let it train "
                      "(from_pretrained(..., freeze=False) or weight.requires_grad_(True))."),
        code="model.ent.weight.requires_grad_(True)\nnn.init.xavier_normal_(model.ent.weight)",
        score=3.0,
    )]
