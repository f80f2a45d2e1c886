"""One round of a toy GAN for the tests of a loss judged by another network: the generator's guarded step on
``-judge(gen(z)).mean()``, then the judge's own plain step (which moves the generator's judge)."""

from __future__ import annotations

import torch
from torch import nn

import gradguard


def gan_round(gen: nn.Module, judge: nn.Module, g_opt: torch.optim.Optimizer, j_opt: torch.optim.Optimizer,
              guard: gradguard.Guard, z: torch.Tensor, grad_scale: float = 1.0) -> gradguard.StepReport:
    """The generator's step through ``guard`` (its gradients multiplied by ``grad_scale`` first), then the judge's."""
    g_opt.zero_grad()
    loss = -judge(gen(z)).mean()
    loss.backward()
    if grad_scale != 1.0:
        for p in gen.parameters():
            p.grad.mul_(grad_scale)
    report = guard.step(loss)
    j_opt.zero_grad()
    judge(gen(z).detach()).mean().backward()
    j_opt.step()
    return report
