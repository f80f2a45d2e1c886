"""The twelfth held-out batch (issue 12, the twelfth session's second): models new to the corpus, all held-out (half
``"fresh11"``). Empty until the batch is written and frozen."""

from __future__ import annotations

from . import Case

HALF = "fresh11"
#: the cases (half "fresh11")
FRESH11: list[Case] = []
#: each broken case's control: the same setting with its one fault removed
CONTROLS: dict[str, str] = {}
