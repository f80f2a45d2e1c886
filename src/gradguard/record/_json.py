"""JSON for the run record: numpy values, NaN and Inf written as strict, portable JSON.

Rule: a non-finite float is written as the JSON *string* ``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` (the
spellings of JavaScript and of Python's ``float()``), so every stored document is legal JSON that any parser, and
SQLite's ``json_*`` functions, accept. :func:`decode_json` turns exactly those three strings back into floats,
wherever they occur (so a genuine string ``"NaN"`` in evidence also reads back as a float; evidence is numeric).

Numpy scalars become Python numbers, arrays (and anything else with ``tolist()``, such as a torch tensor) become
nested lists, tuples and sets become lists, mapping keys become strings. A value of any other type is written as
its ``repr`` string rather than failing: a record is never lost over one odd evidence value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["decode_json", "encode_json", "to_jsonable"]

_NONFINITE_TO_TEXT = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_TEXT_TO_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_MAX_DEPTH = 64


def _float(value: float) -> float | str:
    return float(value) if math.isfinite(value) else _NONFINITE_TO_TEXT[repr(float(value))]


def to_jsonable(obj: Any, _depth: int = 0) -> Any:
    """``obj`` as plain JSON types (dict, list, str, int, finite float, bool, None), non-finite floats as text."""
    if _depth > _MAX_DEPTH:
        return repr(obj)
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return _float(obj)
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v, _depth + 1) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, _depth + 1) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return [to_jsonable(v, _depth + 1) for v in sorted(obj, key=repr)]
    item = getattr(obj, "item", None)
    if callable(item) and getattr(obj, "ndim", None) == 0:
        try:  # numpy scalar, 0-d array or 0-d tensor
            return to_jsonable(item(), _depth + 1)
        except Exception:
            return repr(obj)
    tolist = getattr(obj, "tolist", None)
    if callable(tolist):
        try:
            return to_jsonable(tolist(), _depth + 1)
        except Exception:
            return repr(obj)
    return repr(obj)


def encode_json(obj: Any) -> str:
    """Strict JSON text for ``obj`` (see the module docstring for the rules)."""
    return json.dumps(to_jsonable(obj), allow_nan=False, separators=(",", ":"))


def _restore(obj: Any) -> Any:
    if isinstance(obj, str):
        return _TEXT_TO_NONFINITE.get(obj, obj)
    if isinstance(obj, list):
        return [_restore(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _restore(v) for k, v in obj.items()}
    return obj


def decode_json(text: str | None) -> Any:
    """Parse text written by :func:`encode_json`; ``"NaN"``/``"Infinity"``/``"-Infinity"`` come back as floats."""
    if text is None:
        return None
    return _restore(json.loads(text, parse_constant=lambda name: _TEXT_TO_NONFINITE[name]))
