"""A frozen weight matrix of zeros that the forward reads: everything it feeds is 0, and nothing will change it.

``nn.Embedding.from_pretrained(torch.zeros(n, d))`` keeps ``freeze=True`` by default: a placeholder table whose
pretrained vectors were never loaded stays all zeros, every lookup returns 0, and the layers that read it get no
signal and no gradient (a product with a zero input has a zero weight gradient). The no-gradient reading
(:func:`.slips.no_gradient_findings`) then sees "an operation without a derivative"; the cause is the table, an
initialisation that training cannot repair because the optimizer never touches it. Seen halves at seed 0: the frozen
all-zero parameters of healthy models are biases (BYOL's and MoCo's momentum encoders), never a weight matrix;
fresh44's ConvE with its frozen zero entity table does not learn.

A normalisation layer's scale (gamma) at exactly 0 whose gradient is exactly 0 is as stuck, though trainable: the
layer outputs its shift beta everywhere, a ReLU after it reads a constant 0 (its derivative there is 0), so neither
gamma nor anything before it gets a gradient. An init loop ``xavier_(p) if p.dim() > 1 else zeros_(p)`` meant for
the biases does this to every BatchNorm (fresh45's TempCNN: every ReLU dead, told ``activation``). A gamma started at
0 by design (a residual branch's last BatchNorm, Goyal et al. 2017) gets a gradient through the skip path and is not
read here.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .findings import Finding
from .layers import is_norm

__all__ = ["frozen_zero_findings", "stuck_zero_gain_findings"]


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


def stuck_zero_gain_findings(probe: Any) -> list[Finding]:
    """``init`` (critical) for the normalisation layers the forward ran whose trainable scale is all zeros and whose
    gradient on this batch is all zeros: nothing will move them (see the module docstring)."""
    stuck: list[str] = []
    for name, m in probe.modules.items():
        w = getattr(m, "weight", None)
        if name not in probe.call_counts or not is_norm(m) or not isinstance(w, nn.Parameter) or \
                not w.requires_grad or w.numel() == 0 or bool(w.detach().any()):
            continue
        g = probe.param_grads.get(f"{name}.weight" if name else "weight")
        if g is not None and g.layout == torch.strided and not bool(g.any()):
            stuck.append(name)
    if not stuck:
        return []
    return [Finding(
        cause="init", layers=sorted(stuck), severity="critical", confidence=0.9,
        evidence={"stuck_zero_gains": sorted(stuck), "expected": "a normalisation scale initialised to 1",
                  "direction": -1},
        message=(f"{len(stuck)} normalisation layer(s) ({', '.join(sorted(stuck)[:4])}"
                 f"{', ...' if len(stuck) > 4 else ''}) have their scale (weight, gamma) at exactly 0 and get an "
                 "exactly zero gradient: each outputs its shift (bias) everywhere, the units after it read a "
                 "constant, and no step will move the scale off 0. An init loop that zeroes every 1-D parameter "
                 "(meant for the biases) does this to the normalisation gains."),
        prescription="Initialise normalisation scales to 1 (PyTorch's default) and only the biases to 0.",
        code=("for m in model.modules():\n    if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)):\n"
              "        nn.init.xavier_uniform_(m.weight); nn.init.zeros_(m.bias)"),
        score=3.0,
    )]
