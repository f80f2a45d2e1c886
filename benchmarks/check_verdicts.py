"""``check``'s verdict (top cause) on every case of the judgment corpus's halves, without the monitored runs: the fast
A/B of a diagnosis rule (issue 12). Events are not judged here (``benchmarks/judgment_table.py`` does both).

Run: ``python benchmarks/check_verdicts.py OUT.json [--half H ...] [--seed S ...] [--against OLD.json]``
(default: every half but the newest, ``fresh68``, seeds 0 and 1; about 5 min on one free core). With ``--against`` it
prints both summaries and every case whose verdict changed. Run the old code with ``PYTHONPATH=<old src>``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gradguard.diagnosis.findings import DiagnosisError
from judgment_corpus import ALL, HALVES
from judgment_corpus.judge import found_cause, run_check, top_evidence


def verdicts(halves: list[str], seeds: list[int]) -> dict[str, dict]:
    """``"half:name:seed" -> {half, name, seed, expected, found, ok, evidence}`` for every case of ``halves``."""
    out: dict[str, dict] = {}
    for case in ALL:
        if case.half not in halves:
            continue
        for seed in seeds:
            try:
                d = run_check(case.build(seed))
                found, evidence = found_cause(d), top_evidence(d, 140)
            except DiagnosisError as e:
                found, evidence = "error", str(e)[:140]
            ok = found == "healthy" if case.healthy else found in case.expected
            out[f"{case.half}:{case.name}:{seed}"] = {
                "half": case.half, "name": case.name, "seed": seed, "found": found, "ok": ok, "evidence": evidence,
                "expected": case.expected if isinstance(case.expected, str) else list(case.expected)}
            print(f"{case.half:8s} {case.name:40s} s{seed} {'ok ' if ok else 'BAD'} {found:14s}", file=sys.stderr,
                  flush=True)
    return out


def summary(res: dict[str, dict]) -> dict[str, tuple[int, int, int, int]]:
    """Per half: (healthy silent, healthy, broken with the top cause accepted, broken)."""
    s: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for v in res.values():
        t = s[v["half"]]
        i = 0 if v["expected"] == "healthy" else 2
        t[i] += bool(v["ok"])
        t[i + 1] += 1
    return {h: (t[0], t[1], t[2], t[3]) for h, t in s.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--half", nargs="+", choices=HALVES, default=[h for h in HALVES if h != "fresh68"])
    parser.add_argument("--seed", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--against", help="an earlier OUT.json to compare with")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    res = verdicts(args.half, args.seed)
    Path(args.out).write_text(json.dumps(res, indent=1))
    old = json.loads(Path(args.against).read_text()) if args.against else None
    new_s, old_s = summary(res), summary(old) if old else {}
    for half, (q, h, c, b) in new_s.items():
        line = f"{half:8s} healthy silent {q}/{h}, top cause {c}/{b}"
        if half in old_s:
            oq, oh, oc, ob = old_s[half]
            line = f"{half:8s} healthy silent {oq}/{oh} -> {q}/{h}, top cause {oc}/{ob} -> {c}/{b}"
        print(line)
    for key, v in res.items():
        if old and key in old and old[key]["found"] != v["found"]:
            print(f"changed {key}: {old[key]['found']} -> {v['found']} ({'ok' if v['ok'] else 'wrong'})")


if __name__ == "__main__":
    main()
