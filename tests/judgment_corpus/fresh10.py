"""The eleventh held-out batch (issue 12, the twelfth session's): models new to the corpus, all held-out (half
``"fresh10"``). Empty until the batch is written and frozen."""

from __future__ import annotations

from . import Case

HALF = "fresh10"
#: the cases (half "fresh10")
FRESH10: list[Case] = []
#: each broken case's control: the same setting with its one fault removed
CONTROLS: dict[str, str] = {}
