"""The HTML report of a run record (extra ``report``: matplotlib): one self-contained, offline file.

::

    from gradguard.report import write_report
    path = write_report("runs/exp1")            # runs/exp1/report.html
"""

from __future__ import annotations

from .html import render_report, write_report

__all__ = ["render_report", "write_report"]
