"""Apply the fixes that are safe to apply: re-initialising the weights a diagnosis found wrong.

Only ``"init"`` is applied. Architecture changes (normalisation layers, gated cells, residual connections,
other activations) and optimizer changes are prescribed in the findings, never applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from ..errors import ConfigError
from .findings import Diagnosis
from .layers import assign_tensor
from .recurrent_layers import _GATE_NAMES, _gate_family

__all__ = ["APPLICABLE", "fix"]

#: what fix() may apply
APPLICABLE: tuple[str, ...] = ("init",)


def _orthogonal_(w: torch.Tensor, gen: torch.Generator) -> None:
    """Fill a 2-D tensor with a (semi-)orthogonal matrix (Saxe et al. 2014), sign-corrected QR of a normal matrix."""
    rows, cols = w.shape
    a = torch.randn(max(rows, cols), min(rows, cols), generator=gen, dtype=torch.float64)
    q, r = torch.linalg.qr(a)
    q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)
    w.copy_((q if rows >= cols else q.T).to(w.dtype))


def _std(t: torch.Tensor) -> float:
    return float(t.detach().float().std())


def fix(
    model: nn.Module, diagnosis: Diagnosis, apply: Iterable[str] = ("init",), seed: int = 0
) -> list[dict[str, Any]]:
    """Re-initialise the weights named by the warning/critical ``init`` and ``recurrence`` findings of ``diagnosis``.

    Schemes: He/kaiming normal for ReLU-family activations (He et al. 2015), Xavier normal for tanh, sigmoid and
    linear layers (Glorot & Bengio 2010), orthogonal per gate block for recurrent ``weight_hh``, scale 1 and shift 0
    for normalisation layers whose scale was drawn like a weight (:mod:`.normscale`). Done in place
    under ``torch.no_grad`` with a private generator seeded by ``seed`` (the global RNG is not consumed).

    Args:
        model: the model that was checked.
        diagnosis: the result of :func:`gradguard.diagnosis.check` on it.
        apply: which fixes to apply; only ``("init",)`` is accepted.
        seed: seed of the generator for the new weights (default 0).

    Returns:
        one dict per changed weight: ``layer``, ``param``, ``scheme``, ``std_before``, ``std_after``.

    Raises:
        ConfigError: ``apply`` names anything but ``"init"``.
    """
    requested = (apply,) if isinstance(apply, str) else tuple(apply)
    if not requested or any(a not in APPLICABLE for a in requested):
        raise ConfigError(
            "apply", apply, f"a tuple of {APPLICABLE}",
            "Architecture and optimizer fixes (normalisation, LSTM/GRU, residuals, activations, lr) are prescribed "
            "in each finding's prescription and code, never applied automatically.",
        )
    modules = dict(model.named_modules())
    gen = torch.Generator().manual_seed(seed)
    changes: list[dict[str, Any]] = []
    done: set[str] = set()
    with torch.no_grad():
        for f in diagnosis.findings:
            if f.severity == "info":
                continue
            if f.cause == "init":
                for key, ev in f.evidence.get("layers", {}).items():
                    module = modules.get(key.rsplit(".", 1)[0] if "." in key else "")
                    param = getattr(module, ev["param"], None) if module is not None else None
                    if not isinstance(param, torch.Tensor) or key in done:
                        continue
                    before = _std(param)
                    # a parametrized weight (weight norm) is computed: the new values go through the
                    # parametrization (assign_tensor), not into the temporary that module.weight returns
                    new = param.detach().clone()
                    if ev["scheme"] == "orthogonal":
                        _orthogonal_blocks(module, new, gen)
                    elif ev["scheme"] == "constant":  # a normalisation layer's scale (1) or shift (0)
                        new.fill_(float(ev["value"]))
                    else:
                        noise = torch.randn(param.shape, generator=gen, dtype=torch.float32)
                        new.copy_((noise * float(ev["expected_std"])).to(param.dtype))
                    assert module is not None
                    if not assign_tensor(module, ev["param"], new):
                        continue
                    done.add(key)
                    changes.append({"layer": key.rsplit(".", 1)[0], "param": ev["param"], "scheme": ev["scheme"],
                                    "std_before": before, "std_after": _std(getattr(module, ev["param"]))})
            elif f.cause == "recurrence" and (f.evidence.get("decades_over_sequence") or 0.0) > 0:
                for name in f.layers:
                    module = modules.get(name)
                    if module is None:
                        continue
                    for pname, p in module.named_parameters():
                        key = f"{name}.{pname}" if name else pname
                        square = p.ndim == 2 and p.shape[0] == p.shape[1]
                        if key in done or not ("weight_hh" in pname or (square and
                                                                           not isinstance(module, nn.RNNBase))):
                            continue
                        before = _std(p)
                        _orthogonal_blocks(module, p, gen)
                        done.add(key)
                        changes.append({"layer": name, "param": pname, "scheme": "orthogonal",
                                        "std_before": before, "std_after": _std(p)})
    return changes


def _orthogonal_blocks(module: nn.Module | None, p: torch.Tensor, gen: torch.Generator) -> None:
    gates = len(_GATE_NAMES[_gate_family(module)]) if isinstance(module, nn.RNNBase | nn.RNNCellBase) else 1
    block = p.shape[0] // gates
    for g in range(gates):
        _orthogonal_(p[g * block:(g + 1) * block], gen)
