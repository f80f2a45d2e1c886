"""A module that leaves its input as it came (an ``nn.Identity`` put where a BatchNorm was) does not normalise, even
when its rows happen to come in at about unit RMS (fresh105's BAM-ResNet without its BatchNorms: at seed 1 the
channel attention's rows came in at RMS 0.7-1.4, the Identity was read as a norm, and the normless conv net at SGD
lr 0.1 momentum 0.9 was told healthy; it diverges at step 28)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gradguard
from gradguard.diagnosis.behaviour import rows_normalize


def test_an_identity_on_unit_scale_rows_does_not_normalise() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 16, generator=g) * 1.2  # rows at RMS ~1.2: unit-ish, not already within 10% of 1
    assert not rows_normalize(x, x.clone())
    assert rows_normalize(x, x / x.pow(2).mean(-1, keepdim=True).sqrt())  # an RMSNorm still does


class _Net(nn.Module):
    """Plain convs (no normalisation) with a channel-attention MLP whose middle norm is an Identity."""

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1),
                                   nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.channel = nn.Sequential(nn.Linear(16, 16), nn.Identity(), nn.ReLU(), nn.Linear(16, 16))
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.convs(x)
        h = h * torch.sigmoid(self.channel(h.mean((2, 3))))[:, :, None, None]
        return self.head(h.mean((2, 3)))


def test_a_normless_conv_net_with_an_identity_in_a_norms_place_is_named() -> None:
    torch.manual_seed(0)
    model = _Net()
    with torch.no_grad():  # the attention MLP's first rows at about unit RMS, as BAM's came in at seed 1
        x = torch.randn(32, 3, 8, 8, generator=torch.Generator().manual_seed(1))
        pre = model.channel[0](model.convs(x).mean((2, 3)))
        model.channel[0].weight.mul_(1.2 / float(pre.pow(2).mean().sqrt()))
        model.channel[0].bias.mul_(1.2 / float(pre.pow(2).mean().sqrt()))
    y = torch.randint(0, 4, (32,), generator=torch.Generator().manual_seed(2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    d = gradguard.check(model, (x, y), F.cross_entropy, opt)
    assert any(f.cause == "normalization" and f.severity == "warning" and "convolutions" in f.message
               for f in d.findings), [(f.cause, f.severity) for f in d.findings]
