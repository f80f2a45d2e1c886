"""A cross-entropy divided down by a constant, under SGD: the step shrinks with it, as a learning rate would.

SGD's step is ``lr x g``, and ``g`` scales with the loss: a loss divided by ``k`` is a learning rate divided by
``k``. The classic slip is a mean loss divided again by the token or sample count (``F.cross_entropy(...) /
n_tokens``, where the reduction already averaged; fresh37's ConvS2S: a loss of 0.0087 where a uniform guess over 16
classes costs ``log 16 = 2.77``, a 1/320 scale, and the run never leaves its start). Adam-family optimizers divide
the scale out, so only SGD-family optimizers are judged.

Read on the quiet sensors' stand-in logits (:func:`.quiet.ideal_loss`): the user's loss on a uniform prediction
over ``C`` classes is ``log C`` for a cross-entropy averaged over its terms; when ideal logits bring the loss to
about 0 (it is a cross-entropy, not a loss with a floor) and the uniform guess costs at most ``SCALED_SHARE`` of
``log C``, the loss is scaled by that share. Scaled up (``reduction="sum"``) is left alone: a recipe sets its lr for
it.
"""

from __future__ import annotations

import math

import torch

from .findings import Finding

__all__ = ["IDEAL_FLOOR", "SCALED_SHARE", "scaled_loss_findings"]

#: the uniform guess's loss over ``log C`` at or under which the loss counts as divided down
SCALED_SHARE = 0.05
#: the ideal logits' loss over the uniform guess's under which the loss reaches about 0 (a cross-entropy)
IDEAL_FLOOR = 0.05


def scaled_loss_findings(ideal: float | None, chance: float | None, classes: int | None, family: str | None,
                         peak_lr: float | None, optimizer: torch.optim.Optimizer | None) -> list[Finding]:
    """``lr`` (warning) for a cross-entropy divided down by ``SCALED_SHARE`` or more under an SGD-family optimizer
    (see the module docstring); [] otherwise."""
    if optimizer is None or family != "sgd" or ideal is None or chance is None or classes is None or classes < 2:
        return []
    if not (chance > 0 and 0 <= ideal <= IDEAL_FLOOR * chance):
        return []
    share = chance / math.log(classes)
    if share > SCALED_SHARE:
        return []
    lr = peak_lr if peak_lr is not None and math.isfinite(peak_lr) else float("nan")
    return [Finding(
        cause="lr", layers=[], severity="warning", confidence=0.75,
        evidence={"uniform_loss": float(f"{chance:.4g}"), "log_classes": float(f"{math.log(classes):.4g}"),
                  "loss_scale": float(f"{share:.4g}"), "lr": lr, "effective_lr": float(f"{lr * share:.4g}"),
                  "expected": f"a uniform guess's loss near log C (scale 1; <= {SCALED_SHARE:g} is divided down)"},
        message=(f"The loss is a cross-entropy divided by about {1 / share:.3g}: a uniform guess over {classes} "
                 f"classes scores {chance:.4g} where log {classes} = {math.log(classes):.4g}. Under "
                 f"{type(optimizer).__name__} the step scales with the loss, so lr={lr:g} acts as {lr * share:.2g} "
                 "(e.g. a mean loss divided again by the token or sample count)."),
        prescription=("Drop the extra division (the reduction already averages), or raise the lr by the same factor "
                      "if the scaling is meant."),
        code="loss = torch.nn.functional.cross_entropy(logits, targets)  # already a mean: no / n_tokens",
        score=math.log10(1.0 / share),
    )]
