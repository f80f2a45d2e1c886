"""The seventh held-out batch (issue 12, tenth session): models new to the corpus, all held-out (half ``"fresh6"``).
Empty until the batch is written and frozen."""

from __future__ import annotations

from . import Case

HALF = "fresh6"
#: the cases (half "fresh6")
FRESH6: list[Case] = []
#: each broken case's control: the same setting with its one fault removed
CONTROLS: dict[str, str] = {}
