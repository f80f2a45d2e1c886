"""Transformer-internal probes read from the forward the user already runs: attention logits, log Z, output RMS.

Forward hooks are installed only for the forward of a probed step (every ``every`` steps) and removed after it, so
other steps pay nothing; on an alarm the guard's re-run of the step is probed too (:mod:`gradguard.investigate`:
``evidence["probes"]``), and probes armed for the next step ignore that re-run (:func:`exclusive`). What is
measured, all on the device and read once per probed step:

- **max attention logit** per attention module (and per head): :math:`\\max_{i,j} q_i\\cdot k_j \\cdot s` on the
  first sequence of the batch (up to ``max_positions`` positions), from the module's q and k projections, with
  :math:`s` the module's own ``scaling`` where it has one (the ``transformers`` classes: Gemma's
  ``query_pre_attn_scalar``) and :math:`1/\\sqrt{d}` otherwise. What it is and is not:

  - *before any rotary embedding*: the projections' outputs are read, not the rotated q and k the module forms from
    its position embeddings (a rotation keeps each vector's norm, so the bound :math:`|q||k|s` is the same and a
    steady growth shows the same, but a single value may differ from the logit the softmax sees);
  - *internal q/k norms applied* where the module has them (``q_norm``/``k_norm``: Qwen3, Gemma3, OLMo2): the module's
    own norms are applied to the captured projections (per head when a norm's weight has the head size, over the
    whole projection when it has the projection's), so the logit is the normalised one the model uses, not the
    pre-norm product that can grow harmlessly there;
  - *the causal mask applied* where the module says it is causal (``is_causal = True``: the ``transformers`` decoder
    classes, GPT-2's ``c_attn`` included; ``nn.MultiheadAttention`` called with ``is_causal=True`` or a 2-D
    ``attn_mask``; ``register_attention(..., causal=True)``): positions after the query are left out. A module that
    does not say so (nanoGPT's ``CausalSelfAttention``, which passes ``is_causal=True`` to SDPA inside its forward)
    is read over every pair, future positions included: an upper bound of what the model uses. Padding masks,
    sliding windows and logit soft-capping (Gemma 2) are not applied (upper bounds too).

  Wortsman et al. 2023 (arXiv 2309.14322): its steady growth precedes attention-entropy collapse; QK-layernorm
  removes it; Kimi K2's QK-clip caps it at 100.
- **log Z** of the output logits (the log of the softmax normaliser, mean and max over positions) — its drift is the
  output-logit divergence that z-loss removes — and the output head's weight norm.
- **output RMS** of every linear layer (Rybakov et al. 2024, arXiv 2410.16682: it grows before divergence).

Attention modules are recognised by their projections: ``q_proj``/``k_proj`` (Llama, Mistral, OPT, Whisper...),
``query``/``key`` (BERT, RoBERTa), ``q_lin``/``k_lin`` (DistilBERT), a fused ``c_attn`` (GPT-2, nanoGPT), and
``torch.nn.MultiheadAttention``; any other module is registered with :meth:`TransformerProbes.register_attention`.
Modules that look like attention but cannot be read are listed once in :attr:`TransformerProbes.unreadable`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError

__all__ = ["ProbeReading", "TransformerProbes", "exclusive"]

#: While not empty, only the probes on top of this stack capture (None on top: no probes do); see :func:`exclusive`.
_EXCLUSIVE: list[Any] = []


@contextmanager
def exclusive(probes: TransformerProbes | None) -> Iterator[None]:
    """While inside, forwards are seen by ``probes`` only (by no probes when None): the alarm path re-runs a step's
    batch, and probes armed for the next step's forward must not capture that re-run instead."""
    _EXCLUSIVE.append(probes)
    try:
        yield
    finally:
        _EXCLUSIVE.pop()

_PAIRS = (("q_proj", "k_proj"), ("query", "key"), ("q_lin", "k_lin"), ("q", "k"))
_HEAD_ATTRS = ("num_heads", "n_head", "num_attention_heads", "n_heads", "num_q_heads")


@dataclass(frozen=True)
class ProbeReading:
    """What one probed step measured.

    Attributes:
        step: the guard's step index of the forward that was probed.
        attention: ``{module name: max logit over heads}``.
        attention_heads: ``{module name: per-head max logits}``.
        log_z_mean, log_z_max: mean and max over positions of log-sum-exp of the output logits (nats); None when
            no output head was found or it did not run.
        head_weight_norm: L2 norm of the output head's weight; None without one.
        linear_rms: ``{linear module name: RMS of its output}``.
    """

    step: int
    attention: dict[str, float] = field(default_factory=dict)
    attention_heads: dict[str, list[float]] = field(default_factory=dict)
    log_z_mean: float | None = None
    log_z_max: float | None = None
    head_weight_norm: float | None = None
    linear_rms: dict[str, float] = field(default_factory=dict)


@dataclass
class _Attn:
    name: str
    q: nn.Module | None
    k: nn.Module | None
    heads: int
    kind: str  # "pair" | "fused" | "mha"
    module: nn.Module
    causal: bool = False  # the module says it is causal: future positions are left out
    q_norm: nn.Module | None = None  # the module's own q/k norms, applied to the captured projections
    k_norm: nn.Module | None = None
    scaling: float | None = None  # the module's own logit scale (default 1/sqrt(head size))


def _own(mod: nn.Module) -> dict[str, Any]:
    """What a module says of its own attention: causal, q/k norms (both or neither), logit scale."""
    q_norm, k_norm = getattr(mod, "q_norm", None), getattr(mod, "k_norm", None)
    both = isinstance(q_norm, nn.Module) and isinstance(k_norm, nn.Module)
    scaling = getattr(mod, "scaling", None)
    return {"causal": getattr(mod, "is_causal", False) is True, "q_norm": q_norm if both else None,
            "k_norm": k_norm if both else None,
            "scaling": float(scaling) if isinstance(scaling, float) and scaling > 0 else None}


def _heads(module: nn.Module, default: int = 1) -> int:
    for attr in _HEAD_ATTRS:
        v = getattr(module, attr, None)
        if isinstance(v, int) and v > 0:
            return v
    cfg = getattr(module, "config", None)
    v = getattr(cfg, "num_attention_heads", None)
    return v if isinstance(v, int) and v > 0 else default


def _normed(x: torch.Tensor, norm: nn.Module | None, heads: int, d: int) -> torch.Tensor:
    """(T, heads, d) of a projection x (T, heads*d), through the module's own norm when it has one: per head when the
    norm's weight has d elements, over the whole projection when it has heads*d (or no weight)."""
    if norm is None:
        return x.reshape(x.shape[0], heads, d)
    weight = getattr(norm, "weight", None)
    if isinstance(weight, torch.Tensor) and weight.numel() == d:
        out = norm(x.reshape(x.shape[0], heads, d).to(weight.dtype))
    elif not isinstance(weight, torch.Tensor) or weight.numel() == x.shape[-1]:
        out = norm(x.to(weight.dtype) if isinstance(weight, torch.Tensor) else x)
    else:
        raise RuntimeError("a q/k norm whose size is neither the head's nor the projection's")
    return out.float().reshape(x.shape[0], heads, d)


def _max_logit(q: torch.Tensor, k: torch.Tensor, heads: int, max_positions: int, a: _Attn | None = None,
               mask: torch.Tensor | None = None) -> torch.Tensor:
    """Per-head max of q.k * scale on the first sequence; q, k: (..., T, heads*d) or (..., T, kv_heads*d). With
    ``a``: its norms, scale and causal mask; ``mask``: a (T, S) boolean (True = left out) or additive float mask."""
    q = q.detach().float().reshape(-1, q.shape[-2] if q.dim() >= 2 else 1, q.shape[-1])[0, :max_positions]
    k = k.detach().float().reshape(-1, k.shape[-2] if k.dim() >= 2 else 1, k.shape[-1])[0, :max_positions]
    d = q.shape[-1] // heads
    kv_heads = max(1, k.shape[-1] // d)
    qh = _normed(q, a.q_norm if a else None, heads, d).transpose(0, 1)  # (H, T, d)
    kh = _normed(k, a.k_norm if a else None, kv_heads, d).transpose(0, 1)
    if kv_heads != heads:
        kh = kh.repeat_interleave(heads // kv_heads, dim=0)
    scale = a.scaling if a is not None and a.scaling is not None else 1.0 / math.sqrt(d)
    logits = qh @ kh.transpose(1, 2) * scale
    if a is not None and a.causal:
        future = torch.ones(logits.shape[-2:], dtype=torch.bool, device=logits.device).triu(1)
        logits = logits.masked_fill(future, float("-inf"))
    if mask is not None:
        mask = mask[:logits.shape[-2], :logits.shape[-1]].to(logits.device)
        logits = logits.masked_fill(mask, float("-inf")) if mask.dtype == torch.bool else logits + mask.float()
    return logits.amax(dim=(1, 2))


class TransformerProbes:
    """Probes attention logits, the output logits' log Z and linear output RMS on every ``every``-th forward.

    Args:
        model: the model (its modules are searched once, here).
        every: probe the forward of every this many steps (default 10; the guard's step index).
        max_positions: positions of the first sequence used for the attention logits (default 256).
        head: the output head (``nn.Linear`` whose output are the logits); default ``model.lm_head`` or
            ``model.get_output_embeddings()`` when present.
        linear_rms: also measure every linear layer's output RMS (default True).
    """

    def __init__(self, model: nn.Module, *, every: int = 10, max_positions: int = 256,
                 head: nn.Module | None = None, linear_rms: bool = True) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError("every", every, "an int >= 1 (probe every this many steps)")
        if isinstance(max_positions, bool) or not isinstance(max_positions, int) or max_positions < 1:
            raise ConfigError("max_positions", max_positions, "an int >= 1")
        self.model = model
        self.every = every
        self.max_positions = max_positions
        self.attention: list[_Attn] = []
        self.unreadable: list[str] = []
        self._find_attention(model)
        if head is None:
            head = getattr(model, "lm_head", None)
            getter = getattr(model, "get_output_embeddings", None)
            if head is None and callable(getter):
                try:
                    head = getter()
                except (NotImplementedError, AttributeError):
                    head = None
        self.head = head if isinstance(head, nn.Module) else None
        self.linears = ([(n, m) for n, m in model.named_modules()
                         if (isinstance(m, nn.Linear) or type(m).__name__ == "Conv1D") and m is not self.head]
                        if linear_rms else [])  # transformers' GPT-2 uses a Conv1D that is a linear layer
        self._handles: list[Any] = []
        self._captured: dict[str, Any] = {}
        self._armed_step: int | None = None

    # ---------------------------------------------------------------------------------------- discovery
    def _find_attention(self, model: nn.Module) -> None:
        claimed: set[int] = set()
        for name, mod in model.named_modules():
            if isinstance(mod, nn.MultiheadAttention):
                self.attention.append(_Attn(name, None, None, mod.num_heads, "mha", mod))
                continue
            for qn, kn in _PAIRS:
                q, k = getattr(mod, qn, None), getattr(mod, kn, None)
                if isinstance(q, nn.Module) and isinstance(k, nn.Module) and id(mod) not in claimed:
                    self.attention.append(_Attn(name, q, k, _heads(mod), "pair", mod, **_own(mod)))
                    claimed.add(id(mod))
                    break
            else:
                fused = getattr(mod, "c_attn", None)
                if isinstance(fused, nn.Module):
                    heads = _heads(mod, default=0)
                    if heads:
                        self.attention.append(_Attn(name, fused, None, heads, "fused", mod, **_own(mod)))
                    else:
                        self.unreadable.append(name)
                elif "attention" in type(mod).__name__.lower() and not any(
                        isinstance(c, nn.MultiheadAttention) for c in mod.children()):
                    if not any(name.startswith(a.name + ".") or a.name.startswith(name + ".") for a in self.attention):
                        self.unreadable.append(name)
        # a wrapper named "...Attention" that holds a found attention is not unreadable
        found = [a.name for a in self.attention]
        self.unreadable = [u for u in self.unreadable
                           if not any(f.startswith(u + ".") or f == u for f in found)]

    def register_attention(self, module: nn.Module, *, q: nn.Module, k: nn.Module, num_heads: int,
                           name: str | None = None, causal: bool = False) -> None:
        """Probe a custom attention module whose submodules ``q`` and ``k`` output the queries and keys (as
        ``(..., T, num_heads * head size)``); ``causal``: leave out the positions after each query (default False)."""
        label = name or next((n for n, m in self.model.named_modules() if m is module), type(module).__name__)
        own = _own(module)
        own["causal"] = bool(causal) or own["causal"]
        self.attention.append(_Attn(label, q, k, num_heads, "pair", module, **own))
        self.unreadable = [u for u in self.unreadable if u != label]

    # ---------------------------------------------------------------------------------------- hooks
    @property
    def armed(self) -> bool:
        return self._armed_step is not None

    def wants(self, step: int) -> bool:
        """Whether the forward of ``step`` is probed."""
        return step % self.every == 0

    def arm(self, step: int) -> None:
        """Install the hooks for the next forward (the one of ``step``)."""
        self.disarm()
        self._captured = {}
        self._armed_step = step
        cap = self._captured
        for a in self.attention:
            if a.kind == "mha":
                self._handles.append(a.module.register_forward_pre_hook(self._mha_hook(a), with_kwargs=True))
            elif a.kind == "fused":
                self._handles.append(a.q.register_forward_hook(self._store(f"attn:{a.name}:qkv")))  # type: ignore
            else:
                self._handles.append(a.q.register_forward_hook(self._store(f"attn:{a.name}:q")))  # type: ignore
                self._handles.append(a.k.register_forward_hook(self._store(f"attn:{a.name}:k")))  # type: ignore
        if self.head is not None:
            self._handles.append(self.head.register_forward_hook(self._logz_hook))
        for n, m in self.linears:
            self._handles.append(m.register_forward_hook(self._rms_hook(n)))
        del cap

    def disarm(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []
        self._armed_step = None

    def _ignored(self) -> bool:
        """Whether a forward is someone else's re-run (see :func:`exclusive`)."""
        return bool(_EXCLUSIVE) and _EXCLUSIVE[-1] is not self

    def _store(self, key: str) -> Callable[..., None]:
        def hook(_m: nn.Module, _inp: Any, out: Any) -> None:
            if self._ignored():
                return
            if key not in self._captured and isinstance(out, torch.Tensor):  # first call only (reused modules)
                self._captured[key] = out.detach()
        return hook

    def _mha_hook(self, a: _Attn) -> Callable[..., None]:
        def hook(m: nn.MultiheadAttention, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            key = f"attn:{a.name}:mha"
            if key in self._captured or self._ignored():
                return
            query = args[0] if args else kwargs.get("query")
            keyt = args[1] if len(args) > 1 else kwargs.get("key")
            if not isinstance(query, torch.Tensor) or not isinstance(keyt, torch.Tensor):
                return
            if not m.batch_first:
                query, keyt = query.transpose(0, 1), keyt.transpose(0, 1)
            mask = kwargs.get("attn_mask", args[5] if len(args) > 5 else None)  # forward(q, k, v, kpm, need_w, mask)
            if kwargs.get("is_causal", False) is True and mask is None:
                T, S = query.shape[1], keyt.shape[1]
                mask = torch.ones(T, S, dtype=torch.bool, device=query.device).triu(1)
            if isinstance(mask, torch.Tensor) and mask.dim() == 2:  # (T, S), the same for every sequence and head
                self._captured[f"attn:{a.name}:mask"] = mask.detach()
            E = m.embed_dim
            with torch.no_grad():
                if m.in_proj_weight is not None:
                    wq, wk = m.in_proj_weight[:E], m.in_proj_weight[E:2 * E]
                else:
                    wq, wk = m.q_proj_weight, m.k_proj_weight
                bq = bk = None
                if m.in_proj_bias is not None:
                    bq, bk = m.in_proj_bias[:E], m.in_proj_bias[E:2 * E]
                q = nn.functional.linear(query[:1].detach(), wq, bq)
                k = nn.functional.linear(keyt[:1].detach(), wk, bk)
            self._captured[f"attn:{a.name}:q"] = q
            self._captured[f"attn:{a.name}:k"] = k
            self._captured[key] = True
        return hook

    def _logz_hook(self, _m: nn.Module, _inp: Any, out: Any) -> None:
        if "logz" in self._captured or not isinstance(out, torch.Tensor) or self._ignored():
            return
        with torch.no_grad():
            lz = torch.logsumexp(out.detach().float(), dim=-1)
            self._captured["logz"] = torch.stack([lz.mean(), lz.max()])

    def _rms_hook(self, name: str) -> Callable[..., None]:
        def hook(_m: nn.Module, _inp: Any, out: Any) -> None:
            key = f"rms:{name}"
            if key not in self._captured and isinstance(out, torch.Tensor) and not self._ignored():
                with torch.no_grad():
                    self._captured[key] = out.detach().float().pow(2).mean().sqrt()
        return hook

    # ---------------------------------------------------------------------------------------- reading
    def read(self) -> ProbeReading | None:
        """Compute and read (one host read) what the armed forward captured, then remove the hooks."""
        if self._armed_step is None:
            return None
        step, cap = self._armed_step, self._captured
        self.disarm()
        names: list[str] = []
        per_head: list[torch.Tensor] = []
        with torch.no_grad():
            for a in self.attention:
                if a.kind == "fused":
                    qkv = cap.get(f"attn:{a.name}:qkv")
                    if qkv is None:
                        continue
                    width = qkv.shape[-1] // 3
                    q, k = qkv[..., :width], qkv[..., width:2 * width]
                else:
                    q, k = cap.get(f"attn:{a.name}:q"), cap.get(f"attn:{a.name}:k")
                    if q is None or k is None:
                        continue
                try:
                    per_head.append(_max_logit(q, k, a.heads, self.max_positions, a, cap.get(f"attn:{a.name}:mask")))
                    names.append(a.name)
                except RuntimeError:  # shapes this reader does not understand: listed, not guessed
                    if a.name not in self.unreadable:
                        self.unreadable.append(a.name)
            rms_names = [n for n, _ in self.linears if f"rms:{n}" in cap]
            parts: list[torch.Tensor] = [h.flatten() for h in per_head]
            parts.append(torch.stack([cap[f"rms:{n}"] for n in rms_names]) if rms_names else torch.zeros(0))
            logz = cap.get("logz")
            head_weight = getattr(self.head, "weight", None) if self.head is not None else None
            head_norm = (head_weight.detach().float().norm().reshape(1) if isinstance(head_weight, torch.Tensor)
                         else None)
            if logz is not None:
                parts.append(logz)
            if head_norm is not None:
                parts.append(head_norm)
            device = parts[0].device if parts and parts[0].numel() else torch.device("cpu")
            flat = torch.cat([p.to(device) for p in parts]) if parts else torch.zeros(0)
        host = flat.cpu().numpy().astype(np.float64)  # the one host read of a probed step
        i = 0
        attention: dict[str, float] = {}
        heads: dict[str, list[float]] = {}
        for n, h in zip(names, per_head, strict=True):
            vals = host[i:i + h.numel()]
            i += h.numel()
            heads[n] = vals.tolist()
            attention[n] = float(vals.max()) if vals.size else float("nan")
        linear_rms = {n: float(v) for n, v in zip(rms_names, host[i:i + len(rms_names)], strict=True)}
        i += len(rms_names)
        lz_mean = lz_max = None
        if logz is not None:
            lz_mean, lz_max = float(host[i]), float(host[i + 1])
            i += 2
        hn = float(host[i]) if head_norm is not None else None
        return ProbeReading(step=step, attention=attention, attention_heads=heads, log_z_mean=lz_mean,
                            log_z_max=lz_max, head_weight_norm=hn, linear_rms=linear_rms)
