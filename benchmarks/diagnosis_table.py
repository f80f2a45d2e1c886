"""Print the diagnosis zoo as a Markdown table: model, expected cause, found cause, evidence in one line.

Run: ``python benchmarks/diagnosis_table.py`` (CPU, a few seconds).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from diagnosis_zoo import ZOO
from gradguard.diagnosis import check


def _evidence(finding: object) -> str:
    from gradguard.diagnosis import Finding

    assert isinstance(finding, Finding)
    msg = finding.message.split(";")[0].split(". ")[0]
    return (msg[:110] + "...") if len(msg) > 110 else msg


def main() -> None:
    torch.set_num_threads(2)
    try:
        import transformers

        transformers.logging.set_verbosity_error()
    except ImportError:
        pass
    rows = ["| model | expected | found | ok | evidence |", "|---|---|---|---|---|"]
    hits = 0
    for case in ZOO:
        model, batch, loss_fn, optimizer = case.build(0)
        d = check(model, batch, loss_fn, optimizer)
        expected = " / ".join(sorted(case.accepted)) or "healthy"
        found = "healthy" if d.healthy else (d.top.cause if d.top else "?")
        ok = (found == "healthy") if case.healthy else (found in case.accepted)
        hits += ok
        evidence = "no warning or critical finding" if d.healthy else _evidence(d.top)
        rows.append(f"| {case.description} | {expected} | {found} | {'yes' if ok else 'NO'} | {evidence} |")
    print("\n".join(rows))
    print(f"\n{hits}/{len(ZOO)} cases diagnosed as labelled.")


if __name__ == "__main__":
    main()
