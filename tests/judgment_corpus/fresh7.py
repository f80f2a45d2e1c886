"""The eighth held-out batch (issue 12, eleventh session): models new to the corpus, all held-out (half ``"fresh7"``).
Empty until the batch is written and frozen."""

from __future__ import annotations

from . import Case

HALF = "fresh7"
#: the cases (half "fresh7")
FRESH7: list[Case] = []
#: each broken case's control: the same setting with its one fault removed
CONTROLS: dict[str, str] = {}
