"""Score gradguard's judgment on the calibration corpus (issue 12): one Markdown table per half.

Per case: the labels, ``check``'s top cause and evidence, the first event of a monitored run
(``Guard(policy="monitor")``) against the plain run's failure step, and a verdict; per half, a summary line.

Seven halves: ``dev`` (the rules are designed on it), ``heldout`` (the original held-out half), ``fresh`` (the
second round's held-out batch, ``tests/judgment_corpus/fresh.py``), ``fresh2`` (the third round's,
``tests/judgment_corpus/fresh2.py``), ``fresh3`` (the fourth round's, ``fresh3.py``), ``fresh4`` (the fifth
round's, ``fresh4.py``), each frozen before its round's rule changes, and ``fresh5`` (the seventh round's,
``fresh5.py``), ``fresh6`` (the tenth session's, ``fresh6.py``), ``fresh7``, ``fresh8`` and ``fresh9`` (the
eleventh session's, ``fresh7.py`` to ``fresh9.py``) and ``fresh10`` and ``fresh11`` (the twelfth session's,
``fresh10.py`` and ``fresh11.py``) and ``fresh12`` to ``fresh14`` (the thirteenth's), ``fresh15`` (the
fourteenth's) ``fresh16`` (the fifteenth's), ``fresh17`` (the sixteenth's), ``fresh18`` (the seventeenth's),
``fresh19`` and ``fresh20`` (the eighteenth's), ``fresh21`` and ``fresh22`` (the nineteenth's), ``fresh23`` to
``fresh25`` (the twentieth's), ``fresh26`` (the twenty-first's),
``fresh27`` (the twenty-second's), ``fresh28`` (the twenty-third's), ``fresh29`` (the twenty-fourth's), ``fresh30``
(the twenty-fifth's), ``fresh31`` and ``fresh32`` (the twenty-sixth's),
``fresh33`` and ``fresh34`` (the twenty-seventh's), ``fresh35`` and ``fresh36`` (the twenty-eighth's), ``fresh37``
and ``fresh38`` (the twenty-ninth's), ``fresh39`` and ``fresh40`` (its third and fourth), ``fresh41`` and
``fresh42`` … ``fresh46`` (the thirtieth's), ``fresh47`` … ``fresh52`` (the thirty-first's), ``fresh53`` …
``fresh57`` (the thirty-second's), ``fresh58`` … ``fresh62`` (the thirty-third's), ``fresh63`` … ``fresh67`` (the
thirty-fourth's), ``fresh69`` … ``fresh68`` (the thirty-fifth's), each
frozen before it was ever judged.

Run: ``python benchmarks/judgment_table.py [--half dev|heldout|fresh|fresh2|...|fresh68|both|all]
[--only NAME ...] [--steps N] [--seed S ...]`` (``both``: dev and heldout; default ``all``; CPU, one to two minutes
per half on a free 2-core machine). With several seeds, one table per half and seed, and a summary over the seeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from judgment_corpus import ALL, HALVES, Case
from judgment_corpus.judge import Judgment, judge


def _event(e: tuple[int, str] | None) -> str:
    return "none" if e is None else f"{e[1]} @{e[0]}"


def _row(j: Judgment) -> str:
    c = j.case
    expected = "healthy" if c.healthy else " / ".join(c.expected)
    if c.healthy:
        events = _event(j.any_event)
        fail = "-"
    else:
        events = _event(j.first_event)
        if j.first_event is None and j.any_event is not None:
            events = f"none accepted (first: {_event(j.any_event)})"
        fail = j.failure
    return f"| {c.name} | {expected} | {j.found} | {j.evidence} | {events} | {fail} | {j.verdict} |"


def table(cases: list[Case], steps: int | None, seed: int) -> tuple[list[str], str, tuple[int, ...]]:
    """The Markdown rows, the summary line and its counts (healthy silent, healthy, causes, timely events, broken)
    for ``cases``."""
    rows = ["| model | expected | found | top evidence | first event (accepted) | plain run failed | verdict |",
            "|---|---|---|---|---|---|---|"]
    judged = []
    for case in cases:
        j = judge(case, steps, seed)
        judged.append(j)
        rows.append(_row(j))
        print(rows[-1], file=sys.stderr, flush=True)
    healthy = [j for j in judged if j.case.healthy]
    broken = [j for j in judged if not j.case.healthy]
    quiet = sum(j.ok for j in healthy)
    causes = sum(j.cause_ok for j in broken)
    timely = sum(j.event_ok for j in broken)
    pct = 100.0 * causes / len(broken) if broken else 0.0
    summary = (f"healthy with no warning/critical finding and no event: {quiet}/{len(healthy)}; "
               f"broken with top cause accepted: {causes}/{len(broken)} ({pct:.0f}%); "
               f"broken with first accepted event at or before the plain failure step: {timely}/{len(broken)}")
    return rows, summary, (quiet, len(healthy), causes, timely, len(broken))


NAMES = {"dev": "development", "heldout": "held-out (original)", "fresh": "held-out (fresh)",
         "fresh2": "held-out (third batch)", "fresh3": "held-out (fourth batch)", "fresh4": "held-out (fifth batch)",
         "fresh5": "held-out (sixth batch)", "fresh6": "held-out (seventh batch)",
         "fresh7": "held-out (eighth batch)", "fresh8": "held-out (ninth batch)",
         "fresh9": "held-out (tenth batch)", "fresh10": "held-out (eleventh batch)",
         "fresh11": "held-out (twelfth batch)", "fresh12": "held-out (thirteenth batch)",
         "fresh13": "held-out (fourteenth batch)", "fresh14": "held-out (fifteenth batch)",
         "fresh15": "held-out (sixteenth batch)", "fresh16": "held-out (seventeenth batch)",
         "fresh17": "held-out (eighteenth batch)", "fresh18": "held-out (nineteenth batch)",
         "fresh19": "held-out (twentieth batch)",
         "fresh20": "held-out (twenty-first batch)", "fresh21": "held-out (twenty-second batch)",
         "fresh22": "held-out (twenty-third batch)", "fresh23": "held-out (twenty-fourth batch)",
         "fresh24": "held-out (twenty-fifth batch)", "fresh25": "held-out (twenty-sixth batch)",
         "fresh26": "held-out (twenty-seventh batch)", "fresh27": "held-out (twenty-eighth batch)",
         "fresh28": "held-out (twenty-ninth batch)", "fresh29": "held-out (thirtieth batch)",
         "fresh30": "held-out (thirty-first batch)",
         "fresh31": "held-out (thirty-second batch)",
         "fresh32": "held-out (thirty-third batch)",
         "fresh33": "held-out (thirty-fourth batch)",
         "fresh34": "held-out (thirty-fifth batch)",
         "fresh35": "held-out (thirty-sixth batch)",
         "fresh36": "held-out (thirty-seventh batch)",
         "fresh37": "held-out (thirty-eighth batch)",
         "fresh38": "held-out (thirty-ninth batch)",
         "fresh39": "held-out (fortieth batch)",
         "fresh40": "held-out (forty-first batch)",
         "fresh41": "held-out (forty-second batch)",
         "fresh42": "held-out (forty-third batch)",
         "fresh43": "held-out (forty-fourth batch)",
         "fresh44": "held-out (forty-fifth batch)",
         "fresh45": "held-out (forty-sixth batch)",
         "fresh46": "held-out (forty-seventh batch)",
         "fresh47": "held-out (forty-eighth batch)",
         "fresh48": "held-out (forty-ninth batch)",
         "fresh49": "held-out (fiftieth batch)",
         "fresh50": "held-out (fifty-first batch)",
         "fresh51": "held-out (fifty-second batch)",
         "fresh52": "held-out (fifty-third batch)",
         "fresh53": "held-out (fifty-fourth batch)",
         "fresh54": "held-out (fifty-fifth batch)",
         "fresh57": "held-out (fifty-eighth batch)",
         "fresh55": "held-out (fifty-sixth batch)",
         "fresh56": "held-out (fifty-seventh batch)",
         "fresh59": "held-out (sixtieth batch)",
         "fresh62": "held-out (sixty-third batch)",
         "fresh60": "held-out (sixty-first batch)",
         "fresh58": "held-out (fifty-ninth batch)",
         "fresh61": "held-out (sixty-second batch)",
         "fresh63": "held-out (sixty-fourth batch)",
         "fresh64": "held-out (sixty-fifth batch)",
         "fresh66": "held-out (sixty-seventh batch)",
         "fresh67": "held-out (sixty-eighth batch)",
         "fresh65": "held-out (sixty-sixth batch)",
         "fresh69": "held-out (seventieth batch)",
         "fresh70": "held-out (seventy-first batch)",
         "fresh72": "held-out (seventy-third batch)",
         "fresh71": "held-out (seventy-second batch)",
         "fresh68": "held-out (sixty-ninth batch)",
         "fresh76": "held-out (seventy-seventh batch)",
         "fresh75": "held-out (seventy-sixth batch)",
         "fresh74": "held-out (seventy-fifth batch)",
         "fresh73": "held-out (seventy-fourth batch)",
         "fresh79": "held-out (eightieth batch)",
         "fresh77": "held-out (seventy-eighth batch)",
         "fresh80": "held-out (eighty-first batch)",
         "fresh78": "held-out (seventy-ninth batch)",
         "fresh81": "held-out (eighty-second batch)",
         "fresh82": "held-out (eighty-third batch)",
         "fresh83": "held-out (eighty-fourth batch)",
         "fresh84": "held-out (eighty-fifth batch)",
         "fresh85": "held-out (eighty-sixth batch)",
         "fresh86": "held-out (eighty-seventh batch)",
         "fresh87": "held-out (eighty-eighth batch)",
         "fresh88": "held-out (eighty-ninth batch)",
         "fresh89": "held-out (ninetieth batch)",
         "fresh90": "held-out (ninety-first batch)",
         "fresh91": "held-out (ninety-second batch)",
         "fresh92": "held-out (ninety-third batch)",
         "fresh93": "held-out (ninety-fourth batch)",
         "fresh94": "held-out (ninety-fifth batch)",
         "fresh95": "held-out (ninety-sixth batch)",
         "fresh96": "held-out (ninety-seventh batch)",
         "fresh97": "held-out (ninety-eighth batch)",
         "fresh98": "held-out (ninety-ninth batch)",
         "fresh99": "held-out (hundredth batch)",
         "fresh100": "held-out (hundred-and-first batch)",
         "fresh101": "held-out (hundred-and-second batch)",
         "fresh102": "held-out (hundred-and-third batch)",
         "fresh103": "held-out (hundred-and-fourth batch)",
         "fresh104": "held-out (hundred-and-fifth batch)",
         "fresh105": "held-out (hundred-and-sixth batch)",
         "fresh106": "held-out (hundred-and-seventh batch)",
         "fresh107": "held-out (hundred-and-eighth batch)",
         "fresh108": "held-out (hundred-and-ninth batch)",
         "fresh109": "held-out (hundred-and-tenth batch)",
         "fresh110": "held-out (hundred-and-eleventh batch)",
         "fresh111": "held-out (hundred-and-twelfth batch)",
         "fresh112": "held-out (hundred-and-thirteenth batch)",
         "fresh113": "held-out (hundred-and-fourteenth batch)",
         "fresh114": "held-out (hundred-and-fifteenth batch)",
         "fresh115": "held-out (hundred-and-sixteenth batch)",
         "fresh116": "held-out (hundred-and-seventeenth batch)"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=[*HALVES, "both", "all"], default="all")
    parser.add_argument("--only", nargs="*", default=None, help="case names")
    parser.add_argument("--steps", type=int, default=None, help="steps per run (default: each case's own, 200)")
    parser.add_argument("--seed", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    known = {c.name for c in ALL}
    for name in args.only or []:
        if name not in known:
            parser.error(f"--only: no case {name!r}; known: {', '.join(sorted(known))}")
    halves = {"both": ["dev", "heldout"], "all": list(HALVES)}.get(args.half, [args.half])
    totals: dict[str, list[int]] = {}
    for half in halves:
        cases = [c for c in ALL if c.half == half and (not args.only or c.name in args.only)]
        if not cases:
            continue
        for seed in args.seed:
            t0 = time.perf_counter()
            rows, summary, counts = table(cases, args.steps, seed)
            print(f"\n### {NAMES[half]} half ({len(cases)} cases, seed {seed}, {time.perf_counter() - t0:.0f} s)\n")
            print("\n".join(rows))
            print(f"\n{half} (seed {seed}): {summary}", flush=True)
            acc = totals.setdefault(half, [0] * len(counts))
            for i, n in enumerate(counts):
                acc[i] += n
    if len(args.seed) > 1:
        print(f"\n### over seeds {', '.join(map(str, args.seed))}\n")
        for half, (quiet, healthy, causes, timely, broken) in totals.items():
            pct = 100.0 * causes / broken if broken else 0.0
            print(f"- {NAMES[half]}: healthy silent {quiet}/{healthy}; top cause {causes}/{broken} ({pct:.0f}%); "
                  f"events in time {timely}/{broken}")


if __name__ == "__main__":
    main()
