"""pytorch/examples' word_language_model under each clipping method, for ``benchmarks/spikes.py``.

The model (``model.py``) and the tokenizer (``data.py``) are imported from a copy of pytorch/examples'
``word_language_model/`` directory given by ``--wlm-dir`` or the ``GRADGUARD_WLM_DIR`` environment variable (it is
public code and is never copied into this repository). The training loop is the script's ``train()``: a 2-layer
LSTM (emsize 200, nhid 200, dropout 0.2), batch 20, bptt 35, the hidden state carried from batch to batch and
detached, plain SGD at the script's learning rate (20; ``torch.optim.SGD`` without momentum is the script's
``p.data.add_(p.grad, alpha=-lr)``). Its own clip is ``clip_grad_norm_(0.25)``.

Bounded: ``batches`` training batches (the same for every method), then the loss on the first ``eval_tokens``
tokens of the validation split. When the snapshot lacks ``train.txt`` (the stored snapshot of pytorch/examples
keeps it out as a large file), the test split is the training text instead; the run says so.
"""

from __future__ import annotations

import importlib.util
import math
import os
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

import gradguard
from _spikes_tasks import make_method

BATCH, BPTT, EVAL_BATCH, CLIP = 20, 35, 10, 0.25
_CACHE: dict[str, Any] = {}


def wlm_dir(arg: str | None = None) -> Path | None:
    """The word_language_model directory from the argument or ``GRADGUARD_WLM_DIR``, or None if absent."""
    raw = arg or os.environ.get("GRADGUARD_WLM_DIR")
    if not raw:
        return None
    path = Path(raw)
    return path if (path / "model.py").is_file() and (path / "data.py").is_file() else None


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_wlm_{name}", path / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _batchify(data: torch.Tensor, bsz: int) -> torch.Tensor:
    nbatch = data.size(0) // bsz
    return data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()


def load(path: Path) -> dict[str, Any]:
    """Tokenise once (cached): train/valid tensors, the vocabulary size, the model module, the note on the data."""
    key = str(path)
    if key not in _CACHE:
        data, model = _module(path, "data"), _module(path, "model")
        root = path / "data" / "wikitext-2"
        corpus = data.Corpus.__new__(data.Corpus)
        corpus.dictionary = data.Dictionary()
        train_file = root / "train.txt"
        note = "train split"
        if not train_file.is_file() or train_file.stat().st_size == 0:
            train_file, note = root / "test.txt", "test split as training text (train.txt absent from the snapshot)"
        train = corpus.tokenize(str(train_file))
        valid = corpus.tokenize(str(root / "valid.txt"))
        _CACHE[key] = {"train": _batchify(train, BATCH), "valid": _batchify(valid, EVAL_BATCH),
                       "ntokens": len(corpus.dictionary), "model": model, "note": note}
    return _CACHE[key]  # type: ignore[no-any-return]


def _detach(h: Any) -> Any:
    return h.detach() if isinstance(h, torch.Tensor) else tuple(_detach(v) for v in h)


def _evaluate(model: nn.Module, valid: torch.Tensor, tokens: int) -> float:
    model.eval()
    crit = nn.NLLLoss()
    total, count = 0.0, 0
    hidden = model.init_hidden(EVAL_BATCH)  # type: ignore[operator]
    limit = min(valid.size(0) - 1, max(BPTT, tokens // EVAL_BATCH))
    with torch.no_grad():
        for i in range(0, limit, BPTT):
            seq = min(BPTT, limit - i)
            out, hidden = model(valid[i:i + seq], hidden)
            total += seq * float(crit(out, valid[i + 1:i + 1 + seq].reshape(-1)))
            count += seq
    model.train()
    return total / count


def run(path: Path, method: str, lr: float, seed: int, batches: int = 300,
        eval_tokens: int = 20_000) -> dict[str, float] | None:
    """One seeded run: validation loss after ``batches`` batches (nan if a weight is not finite or the guard
    halted), steps with non-finite weights, training-loss spikes (non-finite or > 3x the median of the previous
    20), wall time in seconds."""
    d = load(path)
    torch.manual_seed(seed)
    model = d["model"].RNNModel("LSTM", d["ntokens"], 200, 200, 2, 0.2, False)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    step_fn = make_method(method, model, opt, CLIP)
    if step_fn is None:
        return None
    crit = nn.NLLLoss()
    train = d["train"]
    hidden = model.init_hidden(BATCH)
    losses: list[float] = []
    nonfinite = spikes = 0
    halted = False
    start = time.perf_counter()
    for batch, i in enumerate(range(0, train.size(0) - 1, BPTT)):
        if batch >= batches:
            break
        seq = min(BPTT, train.size(0) - 1 - i)
        data, targets = train[i:i + seq], train[i + 1:i + 1 + seq].reshape(-1)
        opt.zero_grad(set_to_none=True)
        hidden = _detach(hidden)
        output, hidden = model(data, hidden)
        loss = crit(output, targets)
        loss.backward()
        try:
            step_fn(loss.detach())
        except gradguard.TrainingHalted:
            halted = True
            break
        with torch.no_grad():
            finite = all(bool(torch.isfinite(p).all()) for p in model.parameters())
        nonfinite += not finite
        value = float(loss)
        recent = [v for v in losses[-20:] if math.isfinite(v)]
        spikes += (not math.isfinite(value)) or (len(recent) >= 5 and value > 3 * statistics.median(recent))
        losses.append(value)
    wall = time.perf_counter() - start
    ok = not halted and all(bool(torch.isfinite(p).all()) for p in model.parameters())
    final = _evaluate(model, d["valid"], eval_tokens) if ok else math.nan
    return {"final": final if math.isfinite(final) else math.nan, "nonfinite": nonfinite, "spikes": spikes,
            "wall": wall}
