"""The calibration corpus of issue 12: standard architectures at their usual settings (healthy) and broken variants
spread over every cause, each with its labels and a plain-PyTorch ground truth.

A case is ``Case(name, half, family, expected, events, trouble, build)``:

- ``expected``: ``"healthy"`` or the tuple of causes a careful engineer would accept as the first-ranked cause
  (members of ``gradguard.diagnosis.findings.CAUSES``); labelled by what is actually wrong, not by what gradguard
  says.
- ``events``: event kinds (``gradguard.EVENT_KINDS``) of which a monitored run must raise at least one, at or before
  the plain run's failure step; empty for healthy cases, which must raise none.
- ``trouble``: what the plain run (no gradguard) shows: ``"nonfinite"``, ``"diverge"`` (loss above twice its start
  and rising; a non-finite loss counts too), ``"no_learning"``, ``"weight_growth"``; a healthy case must learn.
- ``build(seed) -> Setup`` (see :class:`Setup`: model, optimizer, scheduler, batch, loss_fn, closure, batches,
  train_step).

**Halves.** ``half`` is ``"dev"`` (the rules may be designed and tuned on it), ``"heldout"`` (only scored) or
``"fresh"`` (the second round's held-out batch in ``fresh.py``, its own list, only scored) or ``"fresh2"`` (the third
round's, ``fresh2.py``, likewise) or ``"fresh3"`` (the fourth round's, ``fresh3.py``, likewise) or ``"fresh4"`` (the
fifth round's, ``fresh4.py``, likewise) or ``"fresh5"`` (the seventh round's, ``fresh5.py``, likewise) or ``"fresh6"``
(the tenth session's, ``fresh6.py``, likewise) or ``"fresh7"`` (the eleventh session's, ``fresh7.py``, likewise) or
``"fresh8"`` (the eleventh session's second, ``fresh8.py``, likewise) or ``"fresh9"`` (its third, ``fresh9.py``,
likewise) or ``"fresh10"`` (the twelfth session's, ``fresh10.py``, likewise) or ``"fresh11"`` (its second,
``fresh11.py``, likewise) or ``"fresh12"`` (the thirteenth session's, ``fresh12.py``, likewise) or ``"fresh13"`` (its
second, ``fresh13.py``, likewise) or ``"fresh14"`` (its third, ``fresh14.py``, likewise) or ``"fresh15"`` (the
fourteenth session's, ``fresh15.py``, likewise), ``"fresh16"`` (the fifteenth session's, ``fresh16.py``, likewise)
``"fresh17"`` (the sixteenth session's, ``fresh17.py``, likewise) or ``"fresh18"`` (the seventeenth session's,
``fresh18.py``, likewise) or ``"fresh19"`` (the eighteenth session's, ``fresh19.py``, likewise) or ``"fresh20"`` (its
second, ``fresh20.py``, likewise) or ``"fresh21"`` (the nineteenth session's, ``fresh21.py``, likewise) or
``"fresh22"`` (its second, ``fresh22.py``, likewise) or ``"fresh23"`` (the twentieth session's, ``fresh23.py``,
likewise) or ``"fresh24"`` (its second, ``fresh24.py``, likewise) or ``"fresh25"`` (its third, ``fresh25.py``,
likewise) or ``"fresh26"`` (the twenty-first session's, ``fresh26.py``, likewise) or ``"fresh27"`` (the
twenty-second session's, ``fresh27.py``, likewise) or ``"fresh28"`` (the twenty-third session's, ``fresh28.py``,
likewise) or ``"fresh29"`` (the twenty-fourth session's, ``fresh29.py``, likewise) or ``"fresh30"`` (the
twenty-fifth session's, ``fresh30.py``, likewise) or ``"fresh31"`` (the twenty-sixth session's, ``fresh31.py``,
likewise) or ``"fresh32"`` (its second, ``fresh32.py``, likewise) or ``"fresh33"`` (the twenty-seventh session's,
``fresh33.py``, likewise) or ``"fresh34"`` (its second, ``fresh34.py``, likewise) or ``"fresh35"`` (the
twenty-eighth session's, ``fresh35.py``, likewise) or ``"fresh36"`` (its second, ``fresh36.py``, likewise) or
``"fresh37"`` (the twenty-ninth session's, ``fresh37.py``, likewise) or ``"fresh38"`` (its second, ``fresh38.py``,
likewise) or ``"fresh39"`` (its third, ``fresh39.py``, likewise) or ``"fresh40"`` (its fourth, ``fresh40.py``,
likewise) or ``"fresh41"`` (the thirtieth session's, ``fresh41.py``, likewise) or ``"fresh42"`` (its second,
``fresh42.py``, likewise) or ``"fresh43"`` (its third, ``fresh43.py``, likewise) or ``"fresh44"`` (its fourth,
``fresh44.py``, likewise) or ``"fresh45"`` (its fifth,
``fresh45.py``, likewise) or ``"fresh46"`` (its sixth,
``fresh46.py``, likewise) or ``"fresh47"`` (its first,
``fresh47.py``, likewise) or ``"fresh48"`` (its second,
``fresh48.py``, likewise) or ``"fresh49"`` (its third,
``fresh49.py``, likewise) or ``"fresh50"`` (its fourth,
``fresh50.py``, likewise) or ``"fresh51"`` (its fifth,
``fresh51.py``, likewise) or ``"fresh52"`` (its sixth,
``fresh52.py``, likewise) or ``"fresh53"`` (its first,
``fresh53.py``, likewise) or ``"fresh54"`` (its second,
``fresh54.py``, likewise) or ``"fresh57"`` (its fifth,
``fresh57.py``, likewise) or ``"fresh55"`` (its third,
``fresh55.py``, likewise) or ``"fresh56"`` (its fourth,
``fresh56.py``, likewise) or ``"fresh59"`` (its first,
``fresh59.py``, likewise) or ``"fresh62"`` (its second,
``fresh62.py``, likewise) or ``"fresh60"`` (its third,
``fresh60.py``, likewise) or ``"fresh58"`` (its fourth,
``fresh58.py``, likewise) or ``"fresh61"`` (its fifth,
``fresh61.py``, likewise) or ``"fresh63"`` (its first,
``fresh63.py``, likewise) or ``"fresh64"`` (its second,
``fresh64.py``, likewise) or ``"fresh66"`` (its third,
``fresh66.py``, likewise) or ``"fresh67"`` (its fourth,
``fresh67.py``, likewise) or ``"fresh65"`` (its fifth,
``fresh65.py``, likewise) or ``"fresh69"`` (its first,
``fresh69.py``, likewise) or ``"fresh70"`` (its second,
``fresh70.py``, likewise) or ``"fresh72"`` (its third,
``fresh72.py``, likewise) or ``"fresh71"`` (its fourth,
``fresh71.py``, likewise) or ``"fresh68"`` (its fifth,
``fresh68.py``, likewise) or ``"fresh76"`` (its first,
``fresh76.py``, likewise) or ``"fresh75"`` (its second,
``fresh75.py``, likewise) or ``"fresh74"`` (its third,
``fresh74.py``, likewise) or ``"fresh73"`` (its fourth,
``fresh73.py``, likewise) or ``"fresh79"`` (its fifth,
``fresh79.py``, likewise) or ``"fresh77"`` (its sixth,
``fresh77.py``, likewise) or ``"fresh80"`` (its seventh,
``fresh80.py``, likewise) or ``"fresh78"`` (its eighth,
``fresh78.py``, likewise) or ``"fresh81"`` (its first,
``fresh81.py``, likewise) or ``"fresh82"`` (its second,
``fresh82.py``, likewise) or ``"fresh83"`` (its third,
``fresh83.py``, likewise) or ``"fresh84"`` (its fourth,
``fresh84.py``, likewise) or ``"fresh85"`` (its first,
``fresh85.py``, likewise) or ``"fresh86"`` (its second,
``fresh86.py``, likewise) or ``"fresh87"`` (its third,
``fresh87.py``, likewise) or ``"fresh88"`` (its fourth,
``fresh88.py``, likewise) or ``"fresh89"`` (its first,
``fresh89.py``, likewise) or ``"fresh90"`` (its second,
``fresh90.py``, likewise) or ``"fresh91"`` (its third,
``fresh91.py``, likewise) or ``"fresh92"`` (its fourth,
``fresh92.py``, likewise) or ``"fresh93"`` … ``"fresh96"`` (its ninety-fourth to ninety-seventh, the
fortieth session's, ``fresh93.py`` … ``fresh96.py``, likewise) or ``"fresh97"`` … ``"fresh100"`` (its
ninety-eighth to hundred-and-first, the forty-first session's, ``fresh97.py`` … ``fresh100.py``, likewise) or
``"fresh101"`` … ``"fresh104"`` (its hundred-and-second to hundred-and-fifth, the forty-second session's,
``fresh101.py`` … ``fresh104.py``, likewise) or ``"fresh105"`` … ``"fresh108"`` (its hundred-and-sixth to
hundred-and-ninth, the forty-third session's, ``fresh105.py`` … ``fresh108.py``, likewise) or ``"fresh109"`` …
``"fresh112"`` (its hundred-and-tenth to hundred-and-thirteenth, the forty-fourth session's, ``fresh109.py`` …
``fresh112.py``, likewise) or ``"fresh113"`` … ``"fresh116"`` (its hundred-and-fourteenth to
hundred-and-seventeenth, the forty-fifth session's, ``fresh113.py`` … ``fresh116.py``, likewise).
The rule for ``HEALTHY`` and ``BROKEN``, applied once: within the healthy list and within the broken list separately,
cases alternate dev, heldout, dev, ... in the order they were added. The first batch (28 healthy, 26 broken) was added
in pairs of the same family (healthy) or the same first cause (broken), so both halves cover every cause and most
families; later cases are appended and take the next half in the alternation. The half is written out at each case and
``tests/test_judgment.py`` checks it against the rule. Cases are only ever appended: never moved between halves,
reordered, or removed and re-added.

**Data** is synthetic, learnable and deterministic per seed (``_setup.py``): a sparse Markov "language" for LMs,
Gaussian vectors labelled by a fixed linear teacher, class-template images, token sequences labelled by their
majority class or their first token; 32 distinct batches per case, cycled. ``chance`` is the loss of a uniform
prediction; a run has learned when its last tenth's mean loss is below ``learn_ratio`` (0.75) times the smaller of
its first loss and ``chance``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

from . import broken as B
from . import broken_training as T
from . import healthy as H
from ._setup import PlainRun, Setup, run_plain

__all__ = ["ALL", "BROKEN", "CORPUS", "DEV3", "DEV4", "DEV5", "DEV6", "DEV7", "DEV8", "DEV9", "EXPLODE", "FRESH",
           "FRESH2", "FRESH3", "FRESH4", "FRESH5", "FRESH6", "FRESH7", "FRESH8", "FRESH9", "FRESH10", "FRESH11",
           "HALVES", "HEALTHY", "NONFINITE", "VANISH", "Case", "PlainRun", "Setup", "by_name", "train_plain"]

#: accepted event kinds by the kind of trouble
EXPLODE = ("explode", "nonfinite", "loss_spike", "divergence")
VANISH = ("vanish", "stall")
NONFINITE = ("nonfinite",)


@dataclass(frozen=True)
class Case:
    """One labelled corpus model (see the module docstring)."""

    name: str
    half: str
    family: str
    expected: str | tuple[str, ...]
    events: tuple[str, ...]
    trouble: tuple[str, ...]
    build: Callable[[int], Setup]
    steps: int = 200
    learn_ratio: float = 0.75
    chance: float | None = None

    @property
    def healthy(self) -> bool:
        return self.expected == "healthy"


def _h(name: str, half: str, family: str, build: Callable[[int], Setup], chance: float | None, steps: int = 200,
       learn_ratio: float = 0.75) -> Case:
    return Case(name, half, family, "healthy", (), (), build, steps, learn_ratio, chance)


def _b(name: str, half: str, expected: tuple[str, ...], events: tuple[str, ...], trouble: tuple[str, ...],
       build: Callable[[int], Setup], chance: float | None, steps: int = 200) -> Case:
    return Case(name, half, expected[0], expected, events, trouble, build, steps, 0.75, chance)


P = functools.partial
#: the loss of a uniform prediction: 10 classes, 64- and 62-token vocabularies (MLM never predicts ids 0, 1), 4 classes
C10, LM, MLM, C4 = math.log(10), math.log(64), math.log(62), math.log(4)
DIVERGE = ("nonfinite", "diverge")
STUCK = ("no_learning",)

HEALTHY: list[Case] = [
    _h("gpt2_2l", "dev", "gpt2", H.gpt2, LM),
    _h("gpt2_4l", "heldout", "gpt2", P(H.gpt2, layers=4, lr=3e-4), LM),
    _h("nanogpt", "dev", "gpt", H.nanogpt, LM),
    _h("gpt_zero_residual", "heldout", "gpt", P(H.nanogpt, zero_residual=True, bias=True), LM),
    _h("vit", "dev", "vit", H.vit, C10),
    _h("vit_zero_head", "heldout", "vit", P(H.vit, zero_head=True), C10),
    _h("resnet_adam", "dev", "resnet", P(H.resnet, adam=True), C10),
    _h("resnet_sgd", "heldout", "resnet", H.resnet, C10),
    _h("lstm_lm_sgd_clip", "dev", "rnn_lm", H.rnn_lm, LM),
    _h("lstm_lm_adam", "heldout", "rnn_lm", P(H.rnn_lm, adam=True), LM),
    _h("transformer_preln", "dev", "transformer", H.transformer_lm, LM),
    _h("transformer_postln", "heldout", "transformer", P(H.transformer_lm, norm_first=False), LM),
    _h("gru_classifier", "dev", "rnn_classifier", P(H.rnn_classifier, kind="GRU"), C4),
    _h("lstm_classifier", "heldout", "rnn_classifier", H.rnn_classifier, C4),
    _h("convnext_blocks", "dev", "convnext", H.convnext_blocks, C10),
    _h("convnext_hf", "heldout", "convnext", H.convnext, C10),
    _h("deep_mlp_bn_he", "dev", "mlp", H.deep_mlp_bn, C10),
    _h("selu_lecun", "heldout", "mlp", H.selu_net, C10),
    _h("tanh_mlp_xavier", "dev", "mlp", H.tanh_mlp, None),
    _h("relu_mlp_adam", "heldout", "mlp", H.relu_mlp_adam, C10),
    _h("llama", "dev", "llama", H.llama, LM),
    _h("bert_mlm", "heldout", "bert", H.bert_mlm, MLM),
    _h("mlp_mixer", "dev", "mixer", H.mlp_mixer, C10),
    _h("unet", "heldout", "unet", H.unet, None),
    _h("lenet_sgd", "dev", "lenet", H.lenet, C10),
    _h("gru_lm_sgd_clip", "heldout", "rnn_lm", P(H.rnn_lm, kind="GRU"), LM),
    _h("resmlp_gelu_ln", "dev", "mlp", H.gelu_mlp_adamw, None),
    _h("rnn_classifier", "heldout", "rnn_classifier", P(H.rnn_classifier, kind="RNN"), C4),
    _h("rnn_orthogonal_memory", "dev", "rnn_classifier", P(B.rnn_radius, radius=1.0), C4),
    _h("vgg_bn", "heldout", "vgg", H.vgg_bn, C10),
    _h("t5", "dev", "t5", H.t5, LM),
    _h("roberta_mlm", "heldout", "bert", H.roberta_mlm, MLM),
    # second round (appended: dev, heldout, ... by the rule)
    _h("bag_of_embeddings_adam", "dev", "embedding", T.bag_of_embeddings, C4),
]

BROKEN: list[Case] = [
    _b("relu_mlp_init3x", "dev", ("init",), EXPLODE, DIVERGE, B.relu_mlp_init3x, C10),
    _b("vit_init_std1", "heldout", ("init",), EXPLODE + VANISH, DIVERGE + STUCK, B.vit_init_large, C10),
    _b("tanh_mlp_init_small", "dev", ("init", "depth"), VANISH, STUCK, B.tanh_mlp_init_small, C10),
    _b("gpt2_init_std1", "heldout", ("init",), EXPLODE + VANISH, DIVERGE + STUCK, B.gpt2_init_large, LM),
    _b("deep_sigmoid_mlp", "dev", ("activation", "depth"), VANISH, STUCK, B.deep_sigmoid_mlp, C10),
    _b("dead_relu_bias", "heldout", ("activation", "init"), VANISH, STUCK, B.dead_relu_bias, C10),
    _b("deep_tanh_plain", "dev", ("depth", "init", "normalization"), VANISH, STUCK, B.deep_tanh_plain, C10),
    _b("residual_no_norm", "heldout", ("depth", "normalization", "init"), EXPLODE, DIVERGE + STUCK,
       B.residual_no_norm, C10),
    _b("rnn_radius_1.5", "dev", ("recurrence",), (*EXPLODE, "stall"), DIVERGE + STUCK, B.rnn_radius, C4),
    _b("rnn_radius_0.3", "heldout", ("recurrence",), VANISH, STUCK, P(B.rnn_radius, radius=0.3), C4),
    _b("gpt2_lr0.3", "dev", ("lr",), EXPLODE, DIVERGE, T.gpt2_lr, LM),
    _b("postln_lr0.3", "heldout", ("lr",), EXPLODE, DIVERGE, T.postln_lr, LM),
    _b("mlp_sgd_lr10", "dev", ("lr",), EXPLODE + VANISH, DIVERGE + STUCK, T.mlp_sgd_lr, C10),
    _b("lenet_sgd_lr1", "heldout", ("lr",), EXPLODE + VANISH, DIVERGE + STUCK, T.lenet_lr, C10),
    _b("resnet_no_bn", "dev", ("normalization", "lr"), EXPLODE + VANISH, DIVERGE + STUCK, B.resnet_no_bn, C10),
    _b("vgg_no_bn", "heldout", ("normalization", "lr"), EXPLODE + VANISH, DIVERGE + STUCK, B.vgg_no_bn, C10),
    _b("no_weight_decay_growth", "dev", ("regularization",), ("weight_growth",), ("weight_growth",),
       T.no_weight_decay_growth, C10),
    _b("weight_decay_collapse", "heldout", ("regularization",), VANISH, STUCK, T.weight_decay_collapse, C10),
    _b("mlp_input_x1e3", "dev", ("data",), EXPLODE, DIVERGE, T.mlp_input_scaled, C10),
    _b("lenet_input_x50", "heldout", ("data",), EXPLODE, DIVERGE + STUCK, T.lenet_input_scaled, C10),
    _b("nan_input", "dev", ("data",), NONFINITE, ("nonfinite",), T.nan_input, C10),
    _b("regression_targets_x1e3", "heldout", ("data",), EXPLODE, DIVERGE, T.regression_targets_scaled, None),
    _b("log_relu", "dev", ("numeric",), NONFINITE, ("nonfinite",), T.log_relu, C10),
    _b("fp16_softmax_overflow", "heldout", ("numeric",), NONFINITE, ("nonfinite",), T.fp16_softmax_overflow, C10),
    _b("standardise_no_eps", "dev", ("numeric", "data", "normalization"), NONFINITE, ("nonfinite",),
       T.standardise_no_eps, C10),
    _b("relu_rnn_radius_2", "heldout", ("recurrence",), EXPLODE, STUCK, B.relu_rnn_radius, C4),
    _b("gru_lm_sgd_noclip", "dev", ("lr", "recurrence"), EXPLODE, DIVERGE, T.gru_lm_sgd_noclip, LM),
    _b("vit_adamw_lr0.1", "heldout", ("lr",), EXPLODE, DIVERGE, T.vit_lr, C10),
    _b("lenet_init_std1", "dev", ("init",), EXPLODE, DIVERGE + STUCK, B.lenet_init_large, C10),
    _b("deep_relu_plain_60", "heldout", ("depth", "normalization"), (*VANISH, "explode"), STUCK, B.deep_relu_plain,
       C10),
    _b("adamw_wd_collapse", "dev", ("regularization",), VANISH, STUCK, T.adamw_weight_decay_collapse, C10),
    _b("half_adam_eps", "heldout", ("numeric",), NONFINITE, ("nonfinite",), T.half_adam, C10),
    # second round (appended: dev, heldout, ... by the rule)
    _b("adam_eps0_padding", "dev", ("numeric",), NONFINITE, ("nonfinite",), P(T.bag_of_embeddings, eps=0.0), C4),
    _b("bert_init_std1", "heldout", ("init",), EXPLODE + VANISH, DIVERGE + STUCK, B.bert_init_large, MLM),
    _b("nanogpt_init_std1", "dev", ("init",), EXPLODE + VANISH, DIVERGE + STUCK, B.nanogpt_init_large, LM),
    _b("mlp_adam_lr1", "heldout", ("lr",), EXPLODE + VANISH, DIVERGE + STUCK, T.mlp_adam_lr, C10),
    _b("deep_relu_conv_plain_40", "dev", ("depth", "normalization"), (*VANISH, "explode"), STUCK,
       B.deep_relu_conv_plain, C10),
]

CORPUS: list[Case] = HEALTHY + BROKEN

# separate lists, so that the alternation rule above is untouched: the third round's development cases (half "dev";
# see dev3.py), the second round's fresh held-out batch (half "fresh"; see fresh.py) and the third round's held-out
# batch (half "fresh2"; see fresh2.py), frozen before the third round's rule changes
from .dev3 import DEV3  # noqa: E402
from .dev4 import DEV4  # noqa: E402  (the fourth round's development cases)
from .dev5 import DEV5  # noqa: E402  (the fifth round's development cases)
from .dev6 import DEV6  # noqa: E402  (the sixth round's development cases)
from .dev7 import DEV7  # noqa: E402  (the seventh round's development cases)
from .dev8 import DEV8  # noqa: E402  (the tenth session's development cases)
from .dev9 import DEV9  # noqa: E402  (the eleventh session's development cases)
from .fresh import FRESH  # noqa: E402
from .fresh2 import FRESH2  # noqa: E402
from .fresh3 import FRESH3  # noqa: E402  (the fourth round's held-out batch, frozen before its rule changes)
from .fresh4 import FRESH4  # noqa: E402  (the fifth round's held-out batch, frozen before its rule changes)
from .fresh5 import FRESH5  # noqa: E402  (the seventh round's held-out batch, frozen before it was ever judged)
from .fresh6 import FRESH6  # noqa: E402  (the tenth session's held-out batch, frozen before it was ever judged)
from .fresh7 import FRESH7  # noqa: E402  (the eleventh session's held-out batch, frozen before it was ever judged)
from .fresh8 import FRESH8  # noqa: E402  (the eleventh session's second held-out batch, likewise)
from .fresh9 import FRESH9  # noqa: E402  (the eleventh session's third held-out batch, likewise)
from .fresh10 import FRESH10  # noqa: E402  (the twelfth session's held-out batch, likewise)
from .fresh11 import FRESH11  # noqa: E402  (the twelfth session's second held-out batch, likewise)
from .fresh12 import FRESH12  # noqa: E402  (the thirteenth session's held-out batch, likewise)
from .fresh13 import FRESH13  # noqa: E402  (the thirteenth session's second held-out batch, likewise)
from .fresh14 import FRESH14  # noqa: E402  (the thirteenth session's third held-out batch, likewise)
from .fresh15 import FRESH15  # noqa: E402  (the fourteenth session's held-out batch, likewise)
from .fresh16 import FRESH16  # noqa: E402  (the fifteenth session's held-out batch, likewise)
from .fresh17 import FRESH17  # noqa: E402  (the sixteenth session's held-out batch, likewise)
from .fresh18 import FRESH18  # noqa: E402  (the seventeenth session's held-out batch, likewise)
from .fresh19 import FRESH19  # noqa: E402  (the eighteenth session's held-out batch, likewise)
from .fresh20 import FRESH20  # noqa: E402  (the eighteenth session's second held-out batch, likewise)
from .fresh21 import FRESH21  # noqa: E402  (the nineteenth session's held-out batch, likewise)
from .fresh22 import FRESH22  # noqa: E402  (the nineteenth session's second held-out batch, likewise)
from .fresh23 import FRESH23  # noqa: E402  (the twentieth session's held-out batch, likewise)
from .fresh24 import FRESH24  # noqa: E402  (the twentieth session's second held-out batch, likewise)
from .fresh25 import FRESH25  # noqa: E402  (the twentieth session's third held-out batch, likewise)
from .fresh26 import FRESH26  # noqa: E402  (the twenty-first session's held-out batch, likewise)
from .fresh27 import FRESH27  # noqa: E402  (the twenty-second session's held-out batch, likewise)
from .fresh28 import FRESH28  # noqa: E402  (the twenty-third session's held-out batch, likewise)
from .fresh29 import FRESH29  # noqa: E402  (the twenty-fourth session's held-out batch, likewise)
from .fresh30 import FRESH30  # noqa: E402  (the twenty-fifth session's held-out batch, likewise)
from .fresh31 import FRESH31  # noqa: E402  (the twenty-sixth session's held-out batch, likewise)
from .fresh32 import FRESH32  # noqa: E402  (the twenty-sixth session's second held-out batch, likewise)
from .fresh33 import FRESH33  # noqa: E402  (the twenty-seventh session's held-out batch, likewise)
from .fresh34 import FRESH34  # noqa: E402  (the twenty-seventh session's second held-out batch, likewise)
from .fresh35 import FRESH35  # noqa: E402  (the twenty-eighth session's held-out batch, likewise)
from .fresh36 import FRESH36  # noqa: E402  (the twenty-eighth session's second held-out batch, likewise)
from .fresh37 import FRESH37  # noqa: E402  (the twenty-ninth session's held-out batch, likewise)
from .fresh38 import FRESH38  # noqa: E402  (the twenty-ninth session's second held-out batch, likewise)
from .fresh39 import FRESH39  # noqa: E402  (the twenty-ninth session's third held-out batch, likewise)
from .fresh40 import FRESH40  # noqa: E402  (the twenty-ninth session's fourth held-out batch, likewise)
from .fresh41 import FRESH41  # noqa: E402  (the thirtieth session's held-out batch, likewise)
from .fresh42 import FRESH42  # noqa: E402  (the thirtieth session's second held-out batch, likewise)
from .fresh43 import FRESH43  # noqa: E402  (the thirtieth session's third held-out batch, likewise)
from .fresh44 import FRESH44  # noqa: E402  (the thirtieth session's fourth held-out batch, likewise)
from .fresh45 import FRESH45  # noqa: E402  (the thirtieth session's fifth held-out batch, likewise)
from .fresh46 import FRESH46  # noqa: E402  (the thirtieth session's sixth held-out batch, likewise)
from .fresh47 import FRESH47  # noqa: E402  (the thirty-first session's first held-out batch, likewise)
from .fresh48 import FRESH48  # noqa: E402  (the thirty-first session's second held-out batch, likewise)
from .fresh49 import FRESH49  # noqa: E402  (the thirty-first session's third held-out batch, likewise)
from .fresh50 import FRESH50  # noqa: E402  (the thirty-first session's fourth held-out batch, likewise)
from .fresh51 import FRESH51  # noqa: E402  (the thirty-first session's fifth held-out batch, likewise)
from .fresh52 import FRESH52  # noqa: E402  (the thirty-first session's sixth held-out batch, likewise)
from .fresh53 import FRESH53  # noqa: E402  (the thirty-second session's first held-out batch, likewise)
from .fresh54 import FRESH54  # noqa: E402  (the thirty-second session's second held-out batch, likewise)
from .fresh55 import FRESH55  # noqa: E402  (the thirty-second session's third held-out batch, likewise)
from .fresh56 import FRESH56  # noqa: E402  (the thirty-second session's fourth held-out batch, likewise)
from .fresh57 import FRESH57  # noqa: E402  (the thirty-second session's fifth held-out batch, likewise)
from .fresh58 import FRESH58  # noqa: E402  (the thirty-third session's fourth held-out batch, likewise)
from .fresh59 import FRESH59  # noqa: E402  (the thirty-third session's first held-out batch, likewise)
from .fresh60 import FRESH60  # noqa: E402  (the thirty-third session's third held-out batch, likewise)
from .fresh61 import FRESH61  # noqa: E402  (the thirty-third session's fifth held-out batch, likewise)
from .fresh62 import FRESH62  # noqa: E402  (the thirty-third session's second held-out batch, likewise)
from .fresh63 import FRESH63  # noqa: E402  (the thirty-fourth session's first held-out batch, likewise)
from .fresh64 import FRESH64  # noqa: E402  (the thirty-fourth session's second held-out batch, likewise)
from .fresh65 import FRESH65  # noqa: E402  (the thirty-fourth session's fifth held-out batch, likewise)
from .fresh66 import FRESH66  # noqa: E402  (the thirty-fourth session's third held-out batch, likewise)
from .fresh67 import FRESH67  # noqa: E402  (the thirty-fourth session's fourth held-out batch, likewise)
from .fresh68 import FRESH68  # noqa: E402  (the thirty-fifth session's fifth held-out batch, likewise)
from .fresh69 import FRESH69  # noqa: E402  (the thirty-fifth session's first held-out batch, likewise)
from .fresh70 import FRESH70  # noqa: E402  (the thirty-fifth session's second held-out batch, likewise)
from .fresh71 import FRESH71  # noqa: E402  (the thirty-fifth session's fourth held-out batch, likewise)
from .fresh72 import FRESH72  # noqa: E402  (the thirty-fifth session's third held-out batch, likewise)
from .fresh73 import FRESH73  # noqa: E402  (the thirty-sixth session's fourth held-out batch, likewise)
from .fresh74 import FRESH74  # noqa: E402  (the thirty-sixth session's third held-out batch, likewise)
from .fresh75 import FRESH75  # noqa: E402  (the thirty-sixth session's second held-out batch, likewise)
from .fresh76 import FRESH76  # noqa: E402  (the thirty-sixth session's first held-out batch, likewise)
from .fresh77 import FRESH77  # noqa: E402  (the thirty-sixth session's sixth held-out batch, likewise)
from .fresh78 import FRESH78  # noqa: E402  (the thirty-sixth session's eighth held-out batch, likewise)
from .fresh79 import FRESH79  # noqa: E402  (the thirty-sixth session's fifth held-out batch, likewise)
from .fresh80 import FRESH80  # noqa: E402  (the thirty-sixth session's seventh held-out batch, likewise)
from .fresh81 import FRESH81  # noqa: E402  (the thirty-seventh session's first held-out batch, likewise)
from .fresh82 import FRESH82  # noqa: E402  (the thirty-seventh session's second held-out batch, likewise)
from .fresh83 import FRESH83  # noqa: E402  (the thirty-seventh session's third held-out batch, likewise)
from .fresh84 import FRESH84  # noqa: E402  (the thirty-seventh session's fourth held-out batch, likewise)
from .fresh85 import FRESH85  # noqa: E402  (the thirty-eighth session's first held-out batch, likewise)
from .fresh86 import FRESH86  # noqa: E402  (the thirty-eighth session's second held-out batch, likewise)
from .fresh87 import FRESH87  # noqa: E402  (the thirty-eighth session's third held-out batch, likewise)
from .fresh88 import FRESH88  # noqa: E402  (the thirty-eighth session's fourth held-out batch, likewise)
from .fresh89 import FRESH89  # noqa: E402  (the thirty-ninth session's first held-out batch, likewise)
from .fresh90 import FRESH90  # noqa: E402  (the thirty-ninth session's second held-out batch, likewise)
from .fresh91 import FRESH91  # noqa: E402  (the thirty-ninth session's third held-out batch, likewise)
from .fresh92 import FRESH92  # noqa: E402  (the thirty-ninth session's fourth held-out batch, likewise)
from .fresh93 import FRESH93  # noqa: E402  (a held-out batch of the fortieth session, likewise)
from .fresh94 import FRESH94  # noqa: E402  (a held-out batch of the fortieth session, likewise)
from .fresh95 import FRESH95  # noqa: E402  (a held-out batch of the fortieth session, likewise)
from .fresh96 import FRESH96  # noqa: E402  (a held-out batch of the fortieth session, likewise)
from .fresh97 import FRESH97  # noqa: E402  (a held-out batch of the forty-first session, likewise)
from .fresh98 import FRESH98  # noqa: E402  (a held-out batch of the forty-first session, likewise)
from .fresh99 import FRESH99  # noqa: E402  (a held-out batch of the forty-first session, likewise)
from .fresh100 import FRESH100  # noqa: E402  (a held-out batch of the forty-first session, likewise)
from .fresh101 import FRESH101  # noqa: E402  (a held-out batch of the forty-second session, likewise)
from .fresh102 import FRESH102  # noqa: E402  (a held-out batch of the forty-second session, likewise)
from .fresh103 import FRESH103  # noqa: E402  (a held-out batch of the forty-second session, likewise)
from .fresh104 import FRESH104  # noqa: E402  (a held-out batch of the forty-second session, likewise)
from .fresh105 import FRESH105  # noqa: E402  (a held-out batch of the forty-third session, likewise)
from .fresh106 import FRESH106  # noqa: E402  (a held-out batch of the forty-third session, likewise)
from .fresh107 import FRESH107  # noqa: E402  (a held-out batch of the forty-third session, likewise)
from .fresh108 import FRESH108  # noqa: E402  (a held-out batch of the forty-third session, likewise)
from .fresh109 import FRESH109  # noqa: E402  (a held-out batch of the forty-fourth session, likewise)
from .fresh110 import FRESH110  # noqa: E402  (a held-out batch of the forty-fourth session, likewise)
from .fresh111 import FRESH111  # noqa: E402  (a held-out batch of the forty-fourth session, likewise)
from .fresh112 import FRESH112  # noqa: E402  (a held-out batch of the forty-fourth session, likewise)
from .fresh113 import FRESH113  # noqa: E402  (a held-out batch of the forty-fifth session, likewise)
from .fresh114 import FRESH114  # noqa: E402  (a held-out batch of the forty-fifth session, likewise)
from .fresh115 import FRESH115  # noqa: E402  (a held-out batch of the forty-fifth session, likewise)
from .fresh116 import FRESH116  # noqa: E402  (a held-out batch of the forty-fifth session, likewise)

#: every case of every half
ALL: list[Case] = (CORPUS + DEV3 + DEV4 + DEV5 + DEV6 + DEV7 + DEV8 + DEV9 + FRESH + FRESH2 + FRESH3 + FRESH4 + FRESH5
                   + FRESH6 + FRESH7 + FRESH8
                   + FRESH9 + FRESH10 + FRESH11 + FRESH12 + FRESH13 + FRESH14 + FRESH15
                   + FRESH16 + FRESH17 + FRESH18 + FRESH19 + FRESH20 + FRESH21 + FRESH22
                   + FRESH23 + FRESH24 + FRESH25 + FRESH26 + FRESH27 + FRESH28 + FRESH29 + FRESH30
                   + FRESH31 + FRESH32 + FRESH33 + FRESH34 + FRESH35 + FRESH36 + FRESH37 + FRESH38 + FRESH39 + FRESH40
                   + FRESH41 + FRESH42 + FRESH43 + FRESH44 + FRESH45 + FRESH46 + FRESH47 + FRESH48 + FRESH49 + FRESH50
                   + FRESH51 + FRESH52 + FRESH53 + FRESH54 + FRESH55 + FRESH56
                   + FRESH57
                   + FRESH59
                   + FRESH62
                   + FRESH60
                   + FRESH58
                   + FRESH61
                   + FRESH63
                   + FRESH64
                   + FRESH66
                   + FRESH67
                   + FRESH65
                   + FRESH69
                   + FRESH70
                   + FRESH72
                   + FRESH71
                   + FRESH68
                   + FRESH76
                   + FRESH75
                   + FRESH74
                   + FRESH73
                   + FRESH79
                   + FRESH77
                   + FRESH80
                   + FRESH78
                   + FRESH81
                   + FRESH82
                   + FRESH83
                   + FRESH84
                   + FRESH85
                   + FRESH86
                   + FRESH87
                   + FRESH88
                   + FRESH89
                   + FRESH90
                   + FRESH91
                   + FRESH92
                   + FRESH93
                   + FRESH94
                   + FRESH95
                   + FRESH96
                   + FRESH97
                   + FRESH98
                   + FRESH99
                   + FRESH100
                   + FRESH101
                   + FRESH102
                   + FRESH103
                   + FRESH104
                   + FRESH105
                   + FRESH106
                   + FRESH107
                   + FRESH108
                   + FRESH109
                   + FRESH110
                   + FRESH111
                   + FRESH112
                   + FRESH113
                   + FRESH114
                   + FRESH115
                   + FRESH116)
#: the halves, in report order: development, original held-out, fresh held-out, third, fourth, fifth and sixth
#: held-out
HALVES: tuple[str, ...] = ("dev", "heldout", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7",
                           "fresh8", "fresh9", "fresh10", "fresh11", "fresh12", "fresh13", "fresh14",
                           "fresh15", "fresh16", "fresh17", "fresh18", "fresh19", "fresh20",
                           "fresh21", "fresh22", "fresh23", "fresh24",
                           "fresh25", "fresh26", "fresh27", "fresh28", "fresh29", "fresh30", "fresh31", "fresh32",
                           "fresh33", "fresh34", "fresh35", "fresh36", "fresh37", "fresh38", "fresh39", "fresh40",
                           "fresh41", "fresh42", "fresh43", "fresh44", "fresh45", "fresh46", "fresh47", "fresh48",
                           "fresh49", "fresh50", "fresh51", "fresh52", "fresh53", "fresh54", "fresh55", "fresh56",
                           "fresh57",
                           "fresh59",
                           "fresh62",
                           "fresh60", "fresh58",
                           "fresh61",
                           "fresh63", "fresh64", "fresh66",
                           "fresh67",
                           "fresh65",
                           "fresh69", "fresh70", "fresh72",
                           "fresh71",
                           "fresh68",
                           "fresh76",
                           "fresh75",
                           "fresh74",
                           "fresh73",
                           "fresh79",
                           "fresh77",
                           "fresh80",
                           "fresh78",
                           "fresh81",
                           "fresh82",
                           "fresh83",
                           "fresh84",
                           "fresh85",
                           "fresh86",
                           "fresh87",
                           "fresh88",
                           "fresh89",
                           "fresh90",
                           "fresh91",
                           "fresh92",
                           "fresh93",
                           "fresh94",
                           "fresh95",
                           "fresh96",
                           "fresh97",
                           "fresh98",
                           "fresh99",
                           "fresh100",
                           "fresh101",
                           "fresh102",
                           "fresh103",
                           "fresh104",
                           "fresh105",
                           "fresh106",
                           "fresh107",
                           "fresh108",
                           "fresh109",
                           "fresh110",
                           "fresh111",
                           "fresh112",
                           "fresh113",
                           "fresh114",
                           "fresh115",
                           "fresh116")


def by_name(name: str) -> Case:
    """The case called ``name`` (any half)."""
    for case in ALL:
        if case.name == name:
            return case
    raise KeyError(f"no corpus case {name!r}; known: {', '.join(c.name for c in ALL)}")


def train_plain(case: Case, steps: int | None = None, seed: int = 0, stop_at_failure: bool = False) -> PlainRun:
    """Ground truth without gradguard: train ``case`` for ``steps`` (default ``case.steps``) and record the losses,
    the first non-finite step, the first divergence step and whether it learned. ``stop_at_failure``: stop once
    one of the case's step-stamped troubles has shown (its failure step is then final)."""
    return run_plain(case.build(seed), steps or case.steps, learn_ratio=case.learn_ratio, chance=case.chance,
                     stop_at_failure=case.trouble if stop_at_failure else ())
