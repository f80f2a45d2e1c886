"""The tenth held-out batch (issue 12, the eleventh session's third): models new to the corpus, all held-out (half
``"fresh9"``). Empty until the batch is written and frozen."""

from __future__ import annotations

from . import Case

HALF = "fresh9"
#: the cases (half "fresh9")
FRESH9: list[Case] = []
#: each broken case's control: the same setting with its one fault removed
CONTROLS: dict[str, str] = {}
