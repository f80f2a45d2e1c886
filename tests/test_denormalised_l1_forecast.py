"""Raw-unit targets of a model that de-normalises its forecast are not a data fault, under an L1 loss too (STID).

BasicTS's STID reads inputs standardised by the data scaler and returns ``out * std + mean``: its first output sits at
the targets' level, so its first MAE (~117 readings) is what the targets' own mean scores (~116), while an all-zero
output scores 252. Only 0.33 decades under the all-zero loss (an MAE is linear in the error: an MSE's 1-decade bar
for "the output has the targets' scale" is not reached), the raw targets (RMS 291) were told `data`, a warning, on a
model that trains. A first loss within 1.5x of the mean's reads the output at the targets' level. The same model
returning its standardised output against those raw targets keeps the warning.
"""

import torch
import torch.nn.functional as F
from torch import nn

import gradguard

MEAN, STD = 250.0, 140.0


class _Forecaster(nn.Module):
    def __init__(self, denormalise: bool) -> None:
        super().__init__()
        self.denormalise = denormalise
        self.net = nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 12))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x)  # the inputs come standardised by the data scaler
        return out * STD + MEAN if self.denormalise else out


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    level = MEAN + STD * torch.randn(64, 1)
    return (level + 10 * torch.randn(64, 12) - MEAN) / STD, level + 10 * torch.randn(64, 12)


def _data_findings(denormalise: bool) -> list[gradguard.Finding]:
    torch.manual_seed(0)
    model = _Forecaster(denormalise)
    d = gradguard.check(model, _batch(), F.l1_loss, torch.optim.Adam(model.parameters(), lr=2e-3))
    return [f for f in d.findings if f.cause == "data"]


def test_denormalised_forecast_raw_targets_are_information() -> None:
    found = _data_findings(denormalise=True)
    assert found and all(f.severity == "info" for f in found)


def test_standardised_output_against_raw_targets_stays_a_warning() -> None:
    found = _data_findings(denormalise=False)
    assert any(f.severity in ("warning", "critical") for f in found)
