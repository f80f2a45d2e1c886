"""An off-centre weight in a trained model is not an initialisation (real-code finding, session 24: pytorch/examples'
VAE without ``zero_grad`` was told "fc1 is initialised off-centre ... fix() does it" at guard step 127). The model is
``tests/test_localise.py``'s all-positive MLP, named ``init`` at its first layer before any step."""

from __future__ import annotations

import torch
import torch.nn.functional as F

import gradguard
from test_localise import _batch, _mlp


def _off_centre(steps_done: int) -> list:
    x, y = _batch()
    model = _mlp(uniform01=True)
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), 0.01),
                        steps_done=steps_done)
    return [f for f in d.findings if "off-centre" in f.message and f.severity in ("warning", "critical")]


def test_an_off_centre_layer_is_named_before_training_and_not_after() -> None:
    assert _off_centre(0)
    assert _off_centre(200) == []
