"""A Linear applied per token does not pool the positions before it (real code: rtdl's FT-Transformer).

The depth reading excuses a fall of the gradient lost in one step that pools many positions into one Linear input
(a global pooling, a spatial soft-argmax). FT-Transformer's FFN (``linear1`` -> ReGLU -> ``linear2`` over each of
its 11 tokens) was read as such a step: 11 x 64 outputs per sample against ``linear2``'s 32 inputs. The Linear keeps
the positions in its own output, so each of its inputs reads one position: not a pooling.
"""

from torch import nn

from gradguard.diagnosis.probe_records import CallRecord
from gradguard.diagnosis.propagation import _pooled


def _rec(module: nn.Module, out_shape: tuple[int, ...]) -> CallRecord:
    return CallRecord(name="x", module=module, call=0, pre_order=0, leaf=True, out_shape=out_shape)


def test_per_token_linear_is_not_a_pooling() -> None:
    linear1, linear2 = nn.Linear(32, 64), nn.Linear(32, 32)
    assert _pooled(_rec(linear1, (8, 11, 64)), _rec(linear2, (8, 11, 32))) == 0.0


def test_global_pooling_into_a_classifier_is_one() -> None:
    conv, fc = nn.Conv2d(3, 64, 3), nn.Linear(64, 10)
    assert _pooled(_rec(conv, (8, 64, 4, 4)), _rec(fc, (8, 10))) == 16.0
