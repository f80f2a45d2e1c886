"""A network at zero stays named when a short re-init run gains nothing in 12 steps (fresh91, session 39).

fresh91's SuperGAT overrode ``reset_parameters`` without calling ``super()``, so both of its projections stayed at
their zero placeholders: every unit of a layer gets the same gradient and no signal passes. ``check`` found it
(``init``, critical), then the short run re-initialised the layers, gained nothing in 12 steps on a slow model and
demoted it; the coupled weight decay's "collapse" of the zero weights came first. A symmetry no step breaks is a
fact of the arithmetic, like a constant fill: not put to the short run; and a decay has nothing to collapse there.
"""

from __future__ import annotations

import torch
from torch import nn

from gradguard.diagnosis.findings import Finding


class Proj(nn.Module):
    """A projection whose own ``reset_parameters`` forgot ``super()``: its weight keeps the zero placeholder."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        pass

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight.t() + self.bias


def _zero_network() -> Finding:
    from gradguard.diagnosis.mistakes import zero_network_findings

    (found,) = zero_network_findings(nn.Sequential(Proj(8, 8), nn.ELU(), Proj(8, 4)))
    return found


def test_the_zero_network_finding_is_not_put_to_the_short_run() -> None:
    from gradguard.diagnosis.confirm import _testable

    found = _zero_network()
    assert found.cause == "init" and found.evidence["all_zero"] is True
    assert not _testable(found)


def test_a_decay_read_off_a_network_at_zero_is_its_consequence() -> None:
    from gradguard.diagnosis.explain import explain

    zero = _zero_network()
    decay = Finding(cause="regularization", layers=[], severity="critical", confidence=0.8,
                    evidence={"weight_decay": 5e-4, "decay_shrink_per_step_median": 0.0255,
                              "balance_scale_median": 0.0},
                    message="Weight decay alone removes 0.026 of the weights' norm every step.", prescription="",
                    code="", score=2.4)
    out = explain([decay, zero], step_family="adam", fresh=True)
    ranked = sorted(out, key=lambda f: (-["info", "warning", "critical"].index(f.severity), -f.score))
    assert ranked[0] is zero and decay.severity == "info" and "exactly zero" in decay.message
