"""An input that goes through an op without a derivative does not stop check (fresh102's Zipformer).

``check`` reads the gradient at the inputs by making them leaves that require grad. A model that floor-divides a float
input (utterance lengths turned into a frame mask: ``lengths // 4``) then fails a backward that its own training never
takes ("derivative for aten::floor_divide is not implemented"). The probe retries with the inputs as given, as it
does for an input standardised in place.
"""

import torch
import torch.nn.functional as F
from torch import nn

import gradguard


class _Masked(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(8, 16)
        self.head = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        count = lengths // 4  # float lengths floor-divided into frame counts
        valid = (torch.arange(x.shape[1]).float()[None, :] < count[:, None]).float()
        h = torch.relu(self.proj(x)) * valid[..., None]
        return self.head(h.sum(1) / count[:, None].clamp(1.0, x.shape[1]))  # the mean over the valid frames


def test_floor_divided_float_input_is_checked() -> None:
    torch.manual_seed(0)
    x, lengths, y = torch.randn(32, 20, 8), torch.randint(40, 81, (32,)).float(), torch.randint(0, 3, (32,))
    model = _Masked()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    d = gradguard.check(model, optimizer=opt, closure=lambda m: F.cross_entropy(m(x, lengths), y))
    # it reads the model (the lengths, RMS ~60, are an out-of-scale input: a data warning, nothing critical)
    assert d.findings and not [f for f in d.findings if f.severity == "critical"]
    assert torch.equal(lengths, lengths.floor())  # the caller's tensors untouched
