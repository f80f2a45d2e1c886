"""Development cases of the eleventh session (half ``"dev"``): added to design rules on, in a list of their own so that
the alternation rule of ``HEALTHY``/``BROKEN`` is untouched. Empty until a rule needs a case."""

from __future__ import annotations

from . import Case

#: the cases (half "dev")
DEV9: list[Case] = []
#: names of cases too slow for the default suite (judged with GRADGUARD_CORPUS_LABELS=1, always in the table)
SLOW_DEV9: set[str] = set()
