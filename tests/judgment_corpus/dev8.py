"""Development cases of the tenth session (half ``"dev"``): added to design rules on, in a list of their own so that
the alternation rule of ``HEALTHY``/``BROKEN`` is untouched. Every case is a variant of an architecture a seen half
already holds (another depth, learning rate, sequence length or input scale), each called wrongly by the rules
before that session:

* ``convmixer6_no_bn_lr0.05``: ConvMixer without BatchNorm at PyTorch's default init (std ``1/sqrt(3 fan_in)``,
  0.38x He): the default's scale is made for a normalised stack (``init_check._framework_default``); ``init`` before.
* ``mobilenet_no_bn_sgd0.1``: MobileNetV2 without BatchNorm at torchvision's He-by-fan-out init (its depthwise and
  expanding convs 0.12-0.5x He by fan-in): likewise; ``init`` before.
* ``regnet_no_bn_sgd0.08``: RegNet without BatchNorm: ReLU units die in part of several layers (38-75% at worst)
  because nothing re-centres them (``activations``: spread death in a deep unnormalised stack); ``activation`` before.
* ``gru_classifier_init_std1``: the corpus' GRU classifier with every weight matrix drawn from N(0, 1): its gradient
  grows 3 decades over 20 time steps, and 3 of its 4 weights are > 1.9x too large, the recurrent ones included
  (``explain``: a model-wide init explains its recurrence); ``recurrence`` before.
* ``rnn_forecaster_60``: the Elman forecaster over 60 steps: its gradient decays 0.25 decades per step (14.5 over
  the sequence), the PyTorch default's rate, and it learns (``recurrence.VANISHING_PER_STEP``); a false alarm before.
* ``rnn_forecaster_raw_units_x300``: the same forecaster fed raw units (x300): tanh saturates and the gradient
  vanishes over time because of the inputs (``explain.BATCH_MEASURED``); ``recurrence`` before.

Labels checked in plain PyTorch at seeds 0 and 1 with ``benchmarks/judgment_table.py --half dev --only NAME --seed 0
1`` (every broken one diverges or stops learning at both seeds; the forecaster learns). Not cases, measured while
building them: GPT-NeoX at ``initializer_range`` 1.0 and Falcon without its LayerNorms both still learn in 200 steps
at this size, so neither is labelled broken (``tests/test_diagnosis_round8.py`` uses the first for the first-loss
rule of ``init_check``).
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from . import C4, C10, DIVERGE, EXPLODE, STUCK, VANISH, Case, _b, _h
from . import fresh2_builders as F2
from . import fresh3_builders as F3
from . import fresh5_builders as F5
from . import fresh5_models as M5
from . import fresh_builders as F1
from . import healthy as H
from ._setup import Setup

HALF = "dev"
P = functools.partial


def rnn_forecaster_long(seed: int, length: int = 60) -> Setup:
    """The fifth held-out batch's tanh Elman forecaster (hidden 64, PyTorch's default init) over ``length`` steps,
    Adam 1e-3, MSE, clip at norm 1."""
    torch.manual_seed(seed)
    model: nn.Module = M5.RNNForecaster()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, M5.series_batches(seed, length=length), F.mse_loss, clip=1.0)


def rnn_classifier_init(seed: int, kind: str = "GRU", std: float = 1.0) -> Setup:
    """The corpus' recurrent sequence classifier (Adam 1e-3) with every weight matrix, recurrent ones included, drawn
    from N(0, ``std``^2) instead of PyTorch's default (a 'normal init' applied to the whole model)."""
    setup = H.rnn_classifier(seed, kind)
    with torch.no_grad():
        for p in setup.model.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, std)
    return setup


#: the cases (half "dev")
DEV8: list[Case] = [
    _b("convmixer6_no_bn_lr0.05", HALF, ("normalization", "lr"), EXPLODE + VANISH, DIVERGE + STUCK,
       P(F2.convmixer, bn=False, depth=6, lr=0.05), C10),
    _b("mobilenet_no_bn_sgd0.1", HALF, ("normalization", "lr"), EXPLODE + VANISH, DIVERGE + STUCK,
       P(F1.mobilenet_v2, bn=False, lr=0.1), C10),
    _b("regnet_no_bn_sgd0.08", HALF, ("normalization", "lr"), EXPLODE + VANISH, DIVERGE + STUCK,
       P(F3.regnet, bn=False, lr=0.08), C10),
    _b("gru_classifier_init_std1", HALF, ("init",), EXPLODE + VANISH, DIVERGE + STUCK, rnn_classifier_init, C4),
    _h("rnn_forecaster_60", HALF, "rnn_forecaster_long", rnn_forecaster_long, None),
    _b("rnn_forecaster_raw_units_x300", HALF, ("data",), EXPLODE + VANISH, DIVERGE + STUCK,
       P(F5.rnn_forecaster, scale=300.0), None),
]
#: names of cases too slow for the default suite (judged with GRADGUARD_CORPUS_LABELS=1, always in the table)
SLOW_DEV8: set[str] = set()
