"""The fifteenth held-out batch (issue 12, the thirteenth session's third): registered empty; its writer fills it in
and freezes it before gradguard's judgment is ever run on it (half ``"fresh14"``)."""

from __future__ import annotations

from . import Case

#: the cases (half "fresh14")
FRESH14: list[Case] = []
#: each broken case's control: the same setting with its one fault removed
CONTROLS: dict = {}
#: each broken case's kind of fault: "common" or "slip"
KINDS: dict[str, str] = {}
