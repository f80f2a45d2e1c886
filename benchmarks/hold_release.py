"""The early hold's release: put back at once against gradually, on the corpus's too-high Adam rates.

``safe``'s :class:`~gradguard.mitigation.early_hold.HoldEarlySteps` runs the first 25 steps of an Adam-family run
whose first step would move the weights by >= 0.3 of their RMS at 0.1 of that, then puts the user's rate back. A
rate more than ``release_jump`` (10x) above the held one is put back 2x a step and kept 4x below where the run first
goes into trouble on the way (session 38); before, it was put back at once. For each case and seed, ``case.steps``
steps three ways: ``safe`` with the release at once (``release_jump`` 1e12), ``safe`` as shipped, and plain
(``monitor``: the guard changes nothing); the mean loss of the last tenth of the steps.

    python benchmarks/hold_release.py [--cases a,b] [--seeds 0,1]
    python benchmarks/hold_release.py --healthy     # the healthy corpus models the hold holds 10x or more

``--healthy``: the healthy models of the corpus whose first Adam step moves the weights by >= 1.0 of their RMS (the
hold's release is then gradual): a false alarm here is a run kept at the held rate.

The summary counts the runs where the gradual release ends >5% below / above the release at once, and the runs
each ends >5% above plain (never worse than what the user had). ``--peers`` adds the user's plain alternative and
the published clippers in place of the guard — ``clip_grad_norm_(1.0)``, ``zclip.ZClip()`` (its default, which also
clips at 1.0) and ``autoclip.torch.QuantileClip(quantile=0.9)`` (benchmark-only; a column reads ``n/a`` when the
package is missing) — and counts the runs where the shipped policy ends >5% above (below) the best of them.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import gradguard
from gradguard.mitigation.early_hold import HoldEarlySteps
from gradguard.policy import Chain, safe
from judgment_corpus import by_name

#: the twelve lr cases of the README's measurement (Adam-family optimizers, held shares 4 to 1,800)
CASES = ("vit_adamw_lr0.1", "gpt2_lr0.3", "timexer_adam_lr1", "maskgit_adamw_lr1", "fno_adam_lr1", "hrnet_adam_lr1",
         "srgnn_adam_lr10", "lightgcn_adam_lr10", "mlp_adam_lr1", "deep_potential_adam_lr1", "tcn_adam_lr0.5",
         "postln_lr0.3")
#: the healthy corpus models whose held share is >= 1 (session 38's scan of every healthy Adam-family case, seed 0)
HEALTHY = ("fossil_padded_sessions", "hrnet_keypoints", "nais_implicit_histories", "sympnet_pendulum",
           "skipgram_negative_sampling", "sgc_node_classifier", "fno_operator", "wno_pressure_to_solution",
           "instant_ngp_image_fit")


def _policy(release_jump: float | None) -> gradguard.Policy | str:
    if release_jump is None:
        return "monitor"
    return Chain(*[HoldEarlySteps(release_jump=release_jump) if isinstance(m, HoldEarlySteps) else m
                   for m in safe().policies])


def final_loss(name: str, seed: int, release_jump: float | None) -> tuple[float, int | None]:
    """The mean loss of the last tenth of ``case.steps`` steps under the given release (None: plain), and the step
    at which the hold went back to its held rate for good (None: it did not)."""
    case = by_name(name)
    setup = case.build(seed)
    guard = gradguard.Guard(setup.model, setup.optimizer, policy=_policy(release_jump), scheduler=setup.scheduler)
    losses, kept = [], None
    for t in range(case.steps):
        losses.append(setup.train_step(t, guard=guard))
        report = setup.last_report
        for e in report.events if report is not None else []:
            if e.kind == "lr_change" and e.evidence.get("reason") == "early_hold_kept":
                kept = e.step
    guard.close()
    tail = losses[-max(1, len(losses) // 10):]
    return sum(tail) / len(tail), kept


#: the peers, as the spikes benchmark builds them (``_spikes_tasks.make_method``: clip, then the optimizer's step)
PEERS = {"clip1": "clip_norm", "zclip": "zclip", "autoclip": "autoclip"}


def peer_loss(name: str, seed: int, peer: str) -> float | None:
    """The mean loss of the last tenth of ``case.steps`` steps with ``peer`` clipping at 1.0 and no guard (None: the
    package is not installed)."""
    from _spikes_tasks import make_method

    case = by_name(name)
    setup = case.build(seed)
    step = make_method(PEERS[peer], setup.model, setup.optimizer, 1.0)
    if step is None:
        return None
    losses = []
    for t in range(case.steps):
        batch = setup.batches(t)
        setup.optimizer.zero_grad(set_to_none=True)
        loss = setup.compute_loss(setup.model, batch)
        loss.backward()
        if setup.clip is not None:
            torch.nn.utils.clip_grad_norm_(setup.model.parameters(), setup.clip)
        step(loss)
        if setup.scheduler is not None:
            setup.scheduler.step()
        losses.append(float(loss.detach()))
    tail = losses[-max(1, len(losses) // 10):]
    return sum(tail) / len(tail)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--healthy", action="store_true", help="the healthy models held 10x or more")
    ap.add_argument("--peers", action="store_true", help="add clip_grad_norm_(1.0), zclip and autoclip columns")
    args = ap.parse_args()
    if args.healthy:
        args.cases = ",".join(HEALTHY)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    peers = tuple(PEERS) if args.peers else ()
    print("| case | seed | released at once | gradual (shipped) | back to the held rate at | plain |"
          + "".join(f" {p} |" for p in peers) + "\n|---|---|---|---|---|---|" + "---|" * len(peers))
    better = worse = same = above_new = above_old = above_peer = below_peer = 0
    for name in args.cases.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            (old, _), (new, kept), (plain, _) = (final_loss(name, seed, j) for j in (1e12, 10.0, None))
            others = [peer_loss(name, seed, p) for p in peers]
            print(f"| {name} | {seed} | {old:.4g} | {new:.4g} | {'-' if kept is None else kept} | {plain:.4g} |"
                  + "".join(f" {_fmt(x)} |" for x in others), flush=True)
            finite = [x for x in others if x is not None and x == x]
            above_peer += bool(finite) and new > 1.05 * min(finite)
            below_peer += bool(finite) and new < 0.95 * min(finite)
            better += new < 0.95 * old
            worse += new > 1.05 * old
            same += 0.95 * old <= new <= 1.05 * old
            above_new += new > 1.05 * plain
            above_old += old > 1.05 * plain
    print(f"\ngradual against at once: better {better}, worse {worse}, within 5% {same}; "
          f"above plain by >5%: gradual {above_new}, at once {above_old}"
          + (f"; gradual above the best peer by >5%: {above_peer}, below it by >5%: {below_peer}" if peers else ""))


if __name__ == "__main__":
    main()
