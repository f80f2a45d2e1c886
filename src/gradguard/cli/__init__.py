"""The ``gradguard`` command line (extra ``cli``: typer + rich, imported only here and only when it runs).

``main()`` is the console script. Errors print one line and exit non-zero; ``--debug`` (anywhere on the
command line) shows the traceback instead.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_INSTALL_HINT = 'the gradguard command line needs typer and rich: pip install "gradguard[cli]"'


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit status.

    Exit statuses: 0 success, 1 an error (bad input, missing file, missing extra), 2 a usage error or a
    feature that is not available in this installation.
    """
    import importlib.util

    if importlib.util.find_spec("typer") is None or importlib.util.find_spec("rich") is None:
        print(f"gradguard: error: {_INSTALL_HINT}", file=sys.stderr)
        return 1
    from ._app import run

    return run(list(sys.argv[1:] if argv is None else argv))


def _entry() -> None:  # pragma: no cover - the console script wrapper calls main() and exits with its status
    sys.exit(main())
