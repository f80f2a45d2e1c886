"""The ninth held-out batch (issue 12, eleventh session's second): models new to the corpus, all held-out (half
``"fresh8"``). Empty until the batch is written and frozen."""

from __future__ import annotations

from . import Case

HALF = "fresh8"
#: the cases (half "fresh8")
FRESH8: list[Case] = []
#: each broken case's control: the same setting with its one fault removed
CONTROLS: dict[str, str] = {}
