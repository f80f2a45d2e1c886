"""Precursor claim: attention logits grow at a high learning rate, and QK-layernorm widens the range that trains."""

from __future__ import annotations

from ._core import Experiment, LabResult, Plot, Verdict, fmt
from ._transformer import tokens, train_lm

CLAIM = ("In transformers trained at a high learning rate the attention logits (q·k/√d) grow without bound and "
         "attention collapses onto single positions; normalising queries and keys (QK-layernorm) removes the growth "
         "and widens the range of learning rates that trains.")
SOURCE = "issue 17; Wortsman et al. 2023, 'Small-scale proxies for large-scale Transformer training instabilities'"


def run(quick: bool = False) -> LabResult:
    """A 2-layer GPT at AdamW learning rates from healthy to 100x, with and without QK-layernorm."""
    lrs = (1e-3, 3e-2) if quick else (1e-3, 1e-2, 3e-2, 1e-1)
    steps = 60 if quick else 150
    data = tokens(steps)
    rows = []
    finals: dict[tuple[bool, float], float] = {}
    logits: dict[tuple[bool, float], float] = {}
    plot = Plot("Max attention logit at the end, by learning rate", "learning rate", "max logit", logx=True,
                logy=True)
    for qk in (False, True):
        xs, ys = [], []
        for lr in lrs:
            r = train_lm(lr, steps, qk_norm=qk, data=data)
            finals[(qk, lr)] = r.final()
            logits[(qk, lr)] = r.attn_max[-1] if r.attn_max else float("nan")
            xs.append(lr)
            ys.append(logits[(qk, lr)])
            rows.append([f"{lr:g}", "QK-layernorm" if qk else "plain", fmt(r.final(), 3),
                         fmt(max(r.attn_max) if r.attn_max else float("nan"), 1), fmt(logits[(qk, lr)], 1)])
        plot.series["QK-layernorm" if qk else "plain"] = (xs, ys)
    best = min(finals.values())
    trains = {qk: [lr for lr in lrs if finals[(qk, lr)] <= 1.1 * best] for qk in (False, True)}
    top = {qk: max(trains[qk], default=0.0) for qk in (False, True)}
    growth = logits[(False, lrs[-1])] / max(logits[(False, lrs[0])], 1e-12)
    damped = logits[(True, lrs[-1])] <= 0.5 * logits[(False, lrs[-1])]
    if growth >= 10 and top[True] > top[False] and damped:
        verdict = Verdict("supported", f"max logit x{growth:.0f} from lr {lrs[0]:g} to {lrs[-1]:g} without QK-norm; "
                                       f"QK-layernorm trains up to lr {top[True]:g} (plain: {top[False]:g})")
    elif growth >= 10 and top[True] > top[False]:
        verdict = Verdict("depends", f"the learnable QK-norm gains: logits still grow with QK-layernorm "
                                     f"({logits[(True, lrs[-1])]:.0f} vs {logits[(False, lrs[-1])]:.0f}), "
                                     f"yet it trains up to lr {top[True]:g} (plain: {top[False]:g})")
    elif growth >= 10:
        verdict = Verdict("depends", f"the learning rate: logits grow x{growth:.0f}, but QK-layernorm did not widen "
                                     "the range that trains here")
    else:
        verdict = Verdict("not supported", f"the max logit grew only x{growth:.1f} over the learning rates tried")
    measured = "; ".join(f"lr {r[0]} {r[1]}: final loss {r[2]}, max logit {r[3]}" for r in rows)
    setup = (f"GPT-style LM, 2 pre-LN layers, d 64, 4 heads, N(0, 0.02); Markov tokens (vocab 64); AdamW "
             f"(0.9, 0.95), no warm-up, {steps} steps at lr {', '.join(f'{x:g}' for x in lrs)}; 'trains' = final "
             "loss within 1.1x of the best run; logits from gradguard.precursors.TransformerProbes every 5 steps")
    headers = ["lr", "attention", "final loss", "max logit (run)", "max logit (end)"]
    return LabResult("attention", CLAIM, SOURCE, setup, measured, verdict, headers, rows, [plot])


EXPERIMENT = Experiment("attention", "Attention-logit growth and QK-layernorm", run)
