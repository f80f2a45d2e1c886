"""The fourth round's diagnosis changes (issue 12): ``check`` works on a model whose forward sets ``requires_grad``
on a tensor made from its input, as the wav2vec 2.0 and HuBERT feature encoders of ``transformers`` do (it raised
"you can only change requires_grad flags of leaf variables" on the fourth held-out batch's HuBERT)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check
from gradguard.diagnosis.findings import DiagnosisError


class _FlagsItsInput(nn.Module):
    """A conv front end that, like HF's ``Wav2Vec2FeatureEncoder`` in training mode, marks the (unsqueezed) waveform
    as requiring grad before its first conv."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, 8, 5, stride=2)
        self.head = nn.Linear(8, 3)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        h = wave[:, None]
        if self.training:
            h.requires_grad = True
        return self.head(F.gelu(self.conv(h)).mean(2))


def test_check_probes_a_model_that_sets_requires_grad_on_its_input() -> None:
    torch.manual_seed(0)
    model = _FlagsItsInput()
    wave, y = torch.randn(8, 64), torch.randint(0, 3, (8,))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    d = check(model, (wave, y), F.cross_entropy, torch.optim.AdamW(model.parameters(), lr=1e-3))
    assert d.healthy, d
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # no side effects
    assert not wave.requires_grad


def test_other_forward_errors_still_raise() -> None:
    class Broken(_FlagsItsInput):
        def forward(self, wave: torch.Tensor) -> torch.Tensor:
            raise RuntimeError("shape mismatch in my layer")

    with pytest.raises(DiagnosisError, match="shape mismatch in my layer"):
        check(Broken(), (torch.randn(4, 64), torch.randint(0, 3, (4,))), F.cross_entropy)


def test_check_on_a_wav2vec2_classifier() -> None:
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.Wav2Vec2Config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                      intermediate_size=64, conv_dim=(16, 16), conv_stride=(5, 2),
                                      conv_kernel=(10, 3), num_conv_pos_embeddings=8,
                                      num_conv_pos_embedding_groups=2, num_labels=3, mask_time_prob=0.0)
    model = transformers.Wav2Vec2ForSequenceClassification(cfg)
    batch = {"input_values": torch.randn(4, 400), "labels": torch.randint(0, 3, (4,))}
    d = check(model, batch, optimizer=torch.optim.AdamW(model.parameters(), lr=5e-4))
    assert d.top is None or d.top.cause != "data", d


def _bn_convnet() -> nn.Module:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    c = 3
    for _ in range(4):
        layers += [nn.Conv2d(c, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU()]
        c = 16
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


@pytest.mark.parametrize("lr", [0.05, 2.0])
def test_sgd_step_that_turns_normalised_weights_by_more_than_their_norm_is_lr(lr: float) -> None:
    """BatchNorm makes its conv weights scale-invariant, but a step of 2x their norm still turns them around every
    step (an all-conv net and a SqueezeNet with BatchNorm at SGD 2 diverge; at their recipes' 0.04-0.05 they train)."""
    model = _bn_convnet()
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(16, 3, 12, 12, generator=g), torch.randint(0, 10, (16,), generator=g)
    d = check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9))
    if lr < 1:
        assert d.healthy, d
    else:
        assert d.top is not None and d.top.cause == "lr" and not d.healthy, d
        assert d.top.evidence["normalized_update_to_weight_median"] > 1.0
        suggested = d.top.evidence["suggested_lr"]
        assert suggested is not None and 0.01 < suggested < 0.5, suggested
