"""A convolutional network with nothing that normalises, trained by SGD at the step size of BatchNorm recipes.

SGD at lr 0.1 with momentum 0.9 (an effective lr ``lr * (1 - dampening) / (1 - momentum)`` of 1) is the recipe of
convolutional nets with BatchNorm, whose weights are scale-invariant: BatchNorm absorbs the growth such a step gives
them. Without it the same step grows the weights of a plain ReLU conv stack until it diverges, typically after a
hundred or more steps, so the first batch looks healthy (gradients in band, an update-to-weight median of 0.002 to
0.035); conv nets without normalisation are trained at about a tenth of that (VGG, AlexNet, NiN: SGD 0.01 momentum
0.9, an effective 0.1).

Rule (a warning, ranked below any finding with measured trouble: ``SCORE``): at least ``MIN_CONVS`` of the library's
own convolutions ran (``nn.Conv1d/2d/3d`` whose ``forward`` is the library's: a weight-standardised conv, as
NF-ResNets define, re-normalises its own weights and does not count), no module normalised on the batch (a
normalisation module that ran, or any module whose output rows came out at unit RMS), no convolution's weight
and no one-element parameter starts at exactly zero (Fixup zeroes the last conv of each residual branch, SkipInit
and ReZero a scalar gain on it: designs made to train at BatchNorm's step without it), and the effective lr of the
param group holding the most of those convolutions' weights is ``BN_ERA_LR`` or more (the scheduler's current lr
where one is given).

Seen halves (seeds 0 and 1): the broken conv nets without their BatchNorms at SGD 0.05-0.2 momentum 0.9 (VGG,
RepVGG, DGCNN, MobileOne, DiracNet, SKNet: effective 0.5-2, diverge after 100+ steps, nothing else named) against
the healthy unnormalised conv nets of the corpus, all at effective 0.1 or less (LeNet, NiN, DPCNN at SGD 0.01
momentum 0.9; Fixup ResNet and NF-ResNet lower still). Unnormalised MLPs and recurrent nets train at effective lr 0.5
to 1 (a 20-layer highway net, maxout, SELU and SiLU MLPs, IRNN): the rule reads convolutions only.
"""

from __future__ import annotations

import torch
from torch import nn

from .findings import Finding
from .probe import ProbeResult

__all__ = ["BN_ERA_LR", "MIN_CONVS", "SCORE", "normless_findings"]

#: effective SGD lr (lr x (1 - dampening) / (1 - momentum)) from which the step is a BatchNorm recipe's
BN_ERA_LR = 0.3
#: the library's own convolutions that must have run
MIN_CONVS = 3
#: ranking score: below any finding with measured trouble (as the plain-stack findings)
SCORE = 0.05

_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def _plain_conv(module: nn.Module) -> bool:
    """A library convolution computing on its weight as stored (its class does not override ``forward``)."""
    return isinstance(module, _CONVS) and type(module).forward in (c.forward for c in _CONVS)


def _looks_like_norm(module: nn.Module) -> bool:
    """A module made to batch-normalise: it keeps running statistics (a name alone says less: SSD's ``L2Norm``
    rescales each position's channel vector and was never a BatchNorm)."""
    return isinstance(getattr(module, "running_mean", None), torch.Tensor) and \
        isinstance(getattr(module, "running_var", None), torch.Tensor)


def _effective_lr(group: dict, lr: float) -> float:
    momentum = float(group.get("momentum", 0.0) or 0.0)
    dampening = float(group.get("dampening", 0.0) or 0.0)
    if not 0.0 <= momentum < 1.0:
        return lr
    return lr * (1.0 - dampening) / (1.0 - momentum) if momentum > 0 else lr


def normless_findings(probe: ProbeResult, optimizer: torch.optim.Optimizer | None,
                      lrs: list[float] | None, max_grad_norm: float | None = None) -> list[Finding]:
    """``normalization`` (warning) for an unnormalised conv net at a BatchNorm recipe's SGD step (see the module
    docstring); [] otherwise, and [] when the loop clips the gradient (``max_grad_norm``): a clipped step no longer
    grows with the weights, the feedback this rule is about (VDSR's recipe, SGD 0.1 momentum 0.9 with its clip
    at 0.4, trains: fresh34)."""
    if max_grad_norm is not None or not isinstance(optimizer, torch.optim.SGD) \
            or any(r.normalizes for r in probe.records):
        return []
    convs = {r.name: r.module for r in probe.records if r.call == 0 and _plain_conv(r.module)}
    if len(convs) < MIN_CONVS:
        return []
    weights = [m.weight for m in convs.values() if isinstance(m.weight, torch.Tensor)]
    with torch.no_grad():  # a zero-started branch: Fixup's last conv, SkipInit's or ReZero's gain
        gains = [p for p in probe.params.values() if p.numel() == 1]
        if any(w.numel() > 0 and not bool(w.any()) for w in [*weights, *gains]):
            return []
    ids = {id(w) for w in weights}
    held = [sum(id(p) in ids for p in g["params"]) for g in optimizer.param_groups]
    if not held or max(held) == 0:
        return []

    def group_lr(k: int) -> float:
        g = optimizer.param_groups[k]
        return float(lrs[k]) if lrs is not None and k < len(lrs) else float(g.get("lr", 0.0))

    # the group holding the most of the convolutions; or any group holding MIN_CONVS of them at a larger step
    # (NDDR-CNN's fusion convolutions at 100x the base lr: fresh70)
    candidates = [k for k, n in enumerate(held) if n == max(held) or n >= MIN_CONVS]
    k = max(candidates, key=lambda i: (_effective_lr(optimizer.param_groups[i], group_lr(i)), held[i]))
    group = optimizer.param_groups[k]
    lr = group_lr(k)
    effective = _effective_lr(group, lr)
    if not effective >= BN_ERA_LR:
        return []
    momentum = float(group.get("momentum", 0.0) or 0.0)
    # modules that keep a BatchNorm's running statistics and ran, yet nothing normalised: a normalisation written
    # wrong, not an architecture made without one
    inert = sorted({r.name for r in probe.records if _looks_like_norm(r.module)})
    return [Finding(
        cause="normalization",
        layers=sorted(convs),
        severity="warning",
        confidence=0.6,
        evidence={"convolutions": len(convs), "convolutions_at_this_lr": held[k], "normalization_layers": 0, "lr": lr,
                  "momentum": momentum,
                  "effective_lr": float(f"{effective:.3g}"), "warn_at_effective_lr": BN_ERA_LR,
                  "unnormalised_conv_nets_usual_effective_lr": 0.1}
        | ({"inert_normalisations": len(inert), "e.g.": inert[0]} if inert else {}),
        message=(f"{len(convs)} convolutions and nothing that normalises, "
                 + (f"{held[k]} of them " if held[k] < len(convs) else "") + f"trained by SGD at lr {lr:g}"
                 + (f" with momentum {momentum:g}" if momentum else "")
                 + f" (an effective step of {effective:.2g}): that is the step of BatchNorm recipes, whose "
                 "normalisation absorbs the weight growth it causes. Without it the weights grow until the run "
                 "diverges, often after a hundred or more steps that look healthy (this batch does)."),
        prescription=("Add a BatchNorm after each convolution, as the architecture's BatchNorm recipe has it; or "
                      "keep the network as it is and train it at about a tenth of this step (SGD 0.01 with momentum "
                      "0.9, as VGG and AlexNet were trained without normalisation), with a warm-up."),
        code=("block = nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), "
              "nn.ReLU())"),
        score=SCORE,
    )]
