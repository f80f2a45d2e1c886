"""Device twins: the form of a policy that decides on the device, for ``Guard(sync="deferred")``.

A twin decides a step from the step's global gradient sum of squares ``g`` (float64, the very number the guard
packs and the host policy later reads) without a host read of it:

- ``skip_nonfinite``: skip when ``g`` or the loss is NaN/Inf;
- each *member twin* gives, from the host policy's state after the previous step, a **skip threshold** on ``g``
  (skip when ``g`` is finite and above it) and/or a **clip norm** ``c`` (scale by ``c / sqrt(g)`` when
  ``sqrt(g) > c``), both plain floats computed on the host and copied to the device without waiting. Because
  the rules are monotone in ``g`` and the thresholds are exact boundaries in doubles (see
  :meth:`~gradguard.mitigation.skipping.SkipOutliers.skip_above_sumsq`), and square root and division are
  correctly rounded on every device, the device applies the same decision the host policy takes when it reads
  the step.

Member twins of a policy with state (``skip_outliers``) need that state as it is after the previous step: the
deferred mode then reads the previous step before this step's optimizer step (``DeviceTwin.stateful``; on a
GPU a wait for work issued a step earlier, never for this step's values).

A *dynamic clip twin* (:class:`DynamicClipTwin`: ``clip_adaptive``, whose clip depends on the step's own norm
and loss) gives host doubles from the state after the previous step, copied with the thresholds, and computes its
coefficient on the device from them by the host rule's own IEEE operations (:mod:`gradguard.deferred_adaptive`).

With fixed members and at most one ``clip_adaptive`` (every built-in policy), :class:`DeviceTwin` does not run the
members' device rules one by one: the host turns the clip rules into one table over the norm (the intervals between
every breakpoint the rules compare the norm with, and in each the norm the step is clipped to: see
:func:`~gradguard.deferred_table.table_host`), written in place into one device vector, and the device takes the
step's entry (``bucketize`` and ``take``), ``clip_adaptive``'s far target, one division. The skip is a table entry
too when every skipping member has a rule on the norm (``skip_nonfinite``: the last interval, which holds the NaN
and +inf norms; ``skip_outliers``: :func:`~gradguard.deferred_table.norm_skip_start`): a float32 ``take`` by the
same interval. Every result is written in place into buffers kept per device (``out=``: no allocation), the far
target by five operations (:func:`~gradguard.deferred_table.far_into`). 15 small device operations for ``safe``,
``grad_scale`` included (18 in session 10, 25 and 15 indexings of the host doubles before), 8 for a skip and a fixed
clip (10; 12 before). A tensor loss picks the table's block by its bucket (-inf, learning, other finite, +inf/NaN),
whose flags carry ``skip_nonfinite``'s non-finite loss: ``found_inf`` is one ``take`` by the norm's interval and the
loss's bucket (session 12; no finiteness check of its own). On a steady step the host writes the few table entries
that change (:func:`~gradguard.deferred_table.write_slots`: one limit, or the two of a device loss), otherwise the
entries that are not padding (:func:`~gradguard.deferred_table.write_parts`); the same doubles.

Twins known here: :class:`~gradguard.policy.SkipNonFinite`, :class:`~gradguard.policy.ClipByGlobalNorm`
(:class:`FixedClipTwin`), :class:`~gradguard.mitigation.skipping.SkipOutliers` (:class:`SkipOutliersTwin`),
``ClipByZScore`` and ``ClipByPercentile`` (a clip norm from their state) and ``ClipAdaptive`` (dynamic).
Another member plugs in with :func:`register_twin` (its type and a factory of a :class:`MemberTwin` or a
:class:`DynamicClipTwin`), or by a ``device_twin()`` method on the member.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from .deferred_adaptive import FACTORIES as _ADAPTIVE
from .deferred_adaptive import ClipAdaptiveTwin
from .deferred_table import (
    Scratch,
    Table,
    far_into,
    new_table,
    norm_skip_start,
    slot_layout,
    table_parts,
    write_parts,
    write_slots,
)
from .mitigation.skipping import SkipOutliers
from .policy import Chain, ClipByGlobalNorm, SkipNonFinite

_MAX = sys.float_info.max
_ZERO = torch.zeros((), dtype=torch.float64)  # the imaginary part of exact_sqrt's 0-d CPU roots

__all__ = ["DeviceTwin", "DynamicClipTwin", "FixedClipTwin", "MemberTwin", "SkipOutliersTwin", "device_twin",
           "exact_sqrt", "register_twin"]


@runtime_checkable
class MemberTwin(Protocol):
    """The device form of one policy member: thresholds for the next step, computed on the host."""

    #: True when the thresholds depend on state the host policy updates as it reads each step
    stateful: bool
    #: whether :meth:`skip_above_sumsq` / :meth:`clip_norm` can be finite
    skips: bool
    clips: bool

    def skip_above_sumsq(self) -> float:
        """Skip the next step when its gradient sum of squares is finite and above this (``math.inf``: never)."""
        ...

    def clip_norm(self) -> float:
        """Clip the next step's global gradient norm to this (``math.inf``: no clip)."""
        ...


@runtime_checkable
class DynamicClipTwin(Protocol):
    """A member twin whose clip depends on the step's own norm and loss (``clip_adaptive``): it gives host doubles
    from its state after the previous step, and computes its coefficient on the device from them."""

    stateful: bool

    def host_params(self, has_loss: bool, host_loss: float | None) -> list[float]:
        """The doubles :meth:`coef` reads for the next step (a loss known on the host included), from the host
        policy's state; they reach the device in the one copy of every member's thresholds."""
        ...

    def coef(self, norm: torch.Tensor, loss: torch.Tensor | None, p: torch.Tensor) -> torch.Tensor:
        """The clip coefficient (1: no clip) as a 0-d float64 device tensor, from the step's global norm, its loss
        (float64, or None: no loss) and ``p``, the device copy of :meth:`host_params`."""
        ...


class FixedClipTwin:
    """``clip_by_global_norm(c)``: a constant clip norm."""

    stateful, skips, clips = False, False, True

    def __init__(self, max_norm: float) -> None:
        self.max_norm = float(max_norm)

    def skip_above_sumsq(self) -> float:
        return math.inf

    def clip_norm(self) -> float:
        return self.max_norm


class SkipOutliersTwin:
    """``skip_outliers``: the threshold of :meth:`SkipOutliers.skip_above_sumsq` from the policy's current state."""

    stateful, skips, clips = True, True, False

    def __init__(self, member: SkipOutliers) -> None:
        self.member = member

    def skip_above_sumsq(self) -> float:
        return self.member.skip_above_sumsq()

    def skip_from_norm(self) -> float:
        """The smallest norm the next step is skipped at (``math.inf``: none), by :meth:`SkipOutliers.decide`'s
        own rule on the norm: see :func:`~gradguard.deferred_table.norm_skip_start`."""
        return norm_skip_start(self.member.limit())

    def clip_norm(self) -> float:
        return math.inf


_FACTORIES: dict[type, Callable[[Any], Any]] = {
    ClipByGlobalNorm: lambda m: FixedClipTwin(m.max_norm),
    SkipOutliers: SkipOutliersTwin,
    **_ADAPTIVE,  # clip_adaptive, clip_by_zscore, clip_by_percentile (gradguard.deferred_adaptive)
}


def register_twin(kind: type, factory: Callable[[Any], Any]) -> None:
    """Give policy members of type ``kind`` (exactly) a device twin: ``factory(member)`` -> a :class:`MemberTwin`
    or a :class:`DynamicClipTwin` (None: this member has none)."""
    _FACTORIES[kind] = factory


def exact_sqrt(x: torch.Tensor) -> torch.Tensor:
    """The correctly rounded square root of a float64 tensor: the host's ``math.sqrt``, double for double. On a
    CUDA device ``sqrt`` is IEEE's; torch's vectorised CPU ``sqrt`` is not (it differs from ``math.sqrt`` in the
    last bit on ~1.3% of doubles on this AVX-512 CPU), its complex one is (``csqrt`` of ``x + 0i`` takes the
    real root exactly: 0 differences in the test's random doubles)."""
    if x.device.type != "cpu":
        return x.sqrt()
    zero = _ZERO if x.shape == () and x.dtype == torch.float64 else torch.zeros_like(x)
    return torch.sqrt(torch.complex(x, zero)).real


class DeviceTwin:
    """The device-side form of a policy: ``skip_nonfinite``, the member twins' skip thresholds and clip norms, and
    the coefficients of the dynamic clip twins (the smallest coefficient wins, as :class:`~gradguard.policy.Chain`
    merges clips)."""

    def __init__(self, skip_nonfinite: bool, members: list[Any]) -> None:
        self.skip_nonfinite = skip_nonfinite
        self.members = members
        self.fixed: list[MemberTwin] = [m for m in members if not isinstance(m, DynamicClipTwin)]
        self.dynamic: list[DynamicClipTwin] = [m for m in members if isinstance(m, DynamicClipTwin)]
        self.skips = any(m.skips for m in self.fixed)
        self.clips = any(m.clips for m in self.fixed) or bool(self.dynamic)
        self._fixed_clips = any(m.clips for m in self.fixed)
        #: the previous step must be read before this one's thresholds are computed
        self.stateful = any(m.stateful for m in members)
        self._device: torch.device | None = None
        self._const: torch.Tensor | None = None  # the thresholds on the device when no member has state
        self._pinned: list[torch.Tensor] = []
        self._turn = 0
        self._flags: torch.Tensor = torch.zeros(2)  # [0.0, 1.0] as float32 on the device: found_inf's two values
        self._one = torch.ones((), dtype=torch.float64)  # 1.0 on the device
        self._f0, self._f1 = self._flags[0], self._flags[1]
        #: the fixed members and at most one clip_adaptive: the step's clip is one table over its norm (Table)
        self.tabled = len(self.dynamic) == 0 or (len(self.dynamic) == 1 and isinstance(self.dynamic[0],
                                                                                       ClipAdaptiveTwin))
        self._skippers = [m for m in self.fixed if m.skips]
        self._clippers = [m for m in self.fixed if m.clips]
        #: the table gives found_inf too (a take by the norm's interval): the norm is taken anyway (a clip) and every
        #: skipping member has a rule on the norm (skip_from_norm); otherwise the sum of squares is compared
        self._flagged = self.tabled and self.clips and all(hasattr(m, "skip_from_norm") for m in self._skippers)
        self._tab: Table | None = None  # the table's device vector and views
        self._tab_fixed = False  # written once (no member has state)
        self._out: Scratch | None = None  # the table path's results, written in place each step

    def _thresholds(self, device: torch.device, has_loss: bool, host_loss: float | None
                    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """``[skip_above_sumsq, clip_norm, 1.0, *dynamic members' doubles]`` as one float64 device vector, copied
        without waiting; and each dynamic member's slice of it."""
        skip = min((m.skip_above_sumsq() for m in self.fixed), default=math.inf)
        if self.skip_nonfinite:
            # skip unless gsq <= this: one comparison for both rules, since NaN and +Inf fail it against a finite
            # bound, and a finite gsq passes min(skip, largest double) exactly when it passes skip (NaN: no skip)
            skip = skip if skip < _MAX else _MAX
        clip = min((m.clip_norm() for m in self.fixed), default=math.inf)
        self._on(device)
        if not self.stateful and not self.dynamic:
            if self._const is None:
                self._const = torch.tensor([skip, clip, 1.0], dtype=torch.float64, device=device)
            return self._const, []
        host = [skip, clip, 1.0]
        bounds = []
        for m in self.dynamic:
            start = len(host)
            host.extend(m.host_params(has_loss, host_loss))
            bounds.append((start, len(host)))
        t = self._send(host, device)
        return t, [t[a:b] for a, b in bounds]

    def _on(self, device: torch.device) -> None:
        if self._device != device:
            self._device, self._const, self._tab, self._pinned = device, None, None, []
            self._out = Scratch(device)
            self._flags = torch.tensor([0.0, 1.0], dtype=torch.float32, device=device)
            self._f0, self._f1 = self._flags[0], self._flags[1]
            self._one = torch.ones((), dtype=torch.float64, device=device)

    def _send(self, host: list[float], device: torch.device) -> torch.Tensor:
        """``host`` as a float64 device vector, copied without waiting."""
        if device.type == "cpu":
            return torch.from_numpy(np.array(host, dtype=np.float64))  # a new array each step: nothing shared
        if device.type != "cuda":
            return torch.tensor(host, dtype=torch.float64, device=device)
        # two buffers in turn: the previous step's copy may still be in flight
        if not self._pinned or self._pinned[0].numel() != len(host):
            self._pinned = [torch.empty(len(host), dtype=torch.float64, pin_memory=True) for _ in range(2)]
        self._turn ^= 1
        buf = self._pinned[self._turn]
        buf.copy_(torch.tensor(host, dtype=torch.float64))
        return buf.to(device, non_blocking=True)

    def _table(self, device: torch.device, has_loss: bool, host_loss: float | None, device_loss: bool
               ) -> tuple[Table, bool, bool]:
        """This step's :class:`Table` on the device (written once when no member has state), with whether the far
        target and the loss blocks are used."""
        self._on(device)
        tab = self._tab
        if tab is not None and self._tab_fixed:
            return tab, False, False
        skip = clip = skip_norm = math.inf
        if self._flagged:  # only the members whose skip / clip can be finite (MemberTwin.skips / clips)
            for m in self._skippers:
                skip_norm = min(skip_norm, m.skip_from_norm())  # type: ignore[attr-defined]
        else:
            for m in self._skippers:
                skip = min(skip, m.skip_above_sumsq())
            if self.skip_nonfinite:
                skip = skip if skip < _MAX else _MAX  # see _thresholds
        for m in self._clippers:
            clip = min(clip, m.clip_norm())
        bands = self.dynamic[0].bands(has_loss, host_loss) if self.dynamic else None  # type: ignore[attr-defined]
        if tab is not None and bands is not None and clip == math.inf and bands.users is None:
            by_loss = device_loss and len(bands.limits) == 2  # as table_parts decides it
            if write_slots(tab, skip, skip_norm, bands, by_loss):
                return tab, not bands.warm, by_loss
        parts = table_parts(skip, clip, bands, device_loss, skip_norm)
        far, by_loss = parts.far, parts.by_loss
        if tab is None or tab.k != parts.k:
            tab = self._tab = new_table(device, parts.k)
        write_parts(tab, parts, self.skip_nonfinite)
        tab.layout = slot_layout(skip_norm, bands, by_loss) if clip == math.inf and bands is not None else None
        self._tab_fixed = not self.stateful and not self.dynamic
        return tab, far, by_loss

    def decide(self, gsq: torch.Tensor, loss: torch.Tensor | None, loss_bad: bool, has_loss: bool = False,
               host_loss: float | None = None) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """``(found_inf, clip_coef)`` as device tensors (None: that part does nothing) from the global sum of
        squares ``gsq`` (float64, 0-d), a tensor loss, ``loss_bad`` (a float loss known non-finite), whether the
        step has a loss and its value when it is a float kept on the host (``host_loss``). On the table path the
        results are buffers written in place at every call (no allocation): use them before the next call."""
        if self.tabled:
            return self._decide_table(gsq, loss, loss_bad, has_loss, host_loss)
        skips, clips = self.skips, self.clips
        t, parts = self._thresholds(gsq.device, has_loss, host_loss) if skips or clips else (None, [])
        found = None
        if self.skip_nonfinite:
            if t is None:
                t = self._thresholds(gsq.device, has_loss, host_loss)[0]
            if loss_bad:
                found = torch.ones((), dtype=torch.float32, device=gsq.device)
            else:
                ok = gsq <= t[0]  # finite and not above the outlier threshold (see _thresholds)
                if loss is not None:
                    ok = ok & torch.isfinite(loss.detach().reshape(()).to(gsq.device))
                found = torch.where(ok, self._flags[0], self._flags[1])  # 0-d float32
        elif skips:
            bad = torch.isfinite(gsq) & (gsq > t[0])  # type: ignore[index]
            found = bad.to(torch.float32).reshape(())
        coef = None
        if clips:
            one = t[2]  # type: ignore[index]
            norm = exact_sqrt(gsq)
            if self._fixed_clips:
                c = t[1]  # type: ignore[index]
                # a true division (a Python number divided by a tensor would be a reciprocal times the number)
                coef = torch.where(torch.isfinite(norm) & (norm > c), torch.div(c, norm), one)
            if self.dynamic:
                loss64 = None
                if has_loss and loss is not None:  # the value the host reads: the loss as packed, in float64
                    loss64 = loss.detach().reshape(()).to(device=gsq.device, dtype=torch.float64)
                for m, p in zip(self.dynamic, parts):
                    c_m = m.coef(norm, loss64, p)
                    coef = c_m if coef is None else torch.minimum(coef, c_m)
        return found, coef

    def _decide_table(self, gsq: torch.Tensor, loss: torch.Tensor | None, loss_bad: bool, has_loss: bool,
                      host_loss: float | None) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """:meth:`decide` by one table over the norm (:class:`Table`): a few device operations, whatever the
        members (the skip, a bucketize and a take, ``clip_adaptive``'s far target, one division)."""
        if not (self.skip_nonfinite or self.skips or self.clips):
            return None, None
        x = loss
        if x is not None:  # the loss as a 0-d tensor on gsq's device (calls only where needed: each costs)
            x = x.detach() if x.requires_grad and not self._flagged else x  # bucketize needs no detach
            x = x.reshape(()) if x.dim() else x
            x = x if x.device == gsq.device else x.to(gsq.device)
        tab, far, _ = self._table(gsq.device, has_loss, host_loss, x is not None and has_loss)
        out = self._out
        assert out is not None  # made by _table's _on
        found = None
        if self._flagged:
            pass  # taken with the norm's interval below
        elif self.skip_nonfinite:
            if loss_bad:
                found = self._f1.clone()
            else:
                ok = gsq <= tab.skip  # finite and not above the outlier threshold (see _thresholds)
                if x is not None:
                    ok = ok & (x.abs() < math.inf)
                found = torch.where(ok, self._f0, self._f1)  # 0-d float32
        elif self.skips:
            found = torch.where((gsq > tab.skip) & (gsq < math.inf), self._f1, self._f0)
        coef = None
        if self.clips:
            norm = out.root(gsq)
            at = torch.bucketize(norm, tab.bounds, right=True, out=out.at)
            if x is not None:  # the loss's bucket (-inf, learning, the other finite, +inf/NaN) picks the block: the
                # loss as the host reads it (bucketize compares it with the float64 bounds in float64, exactly)
                at = torch.add(at, torch.bucketize(x, tab.xbounds, right=True), alpha=tab.k + 1, out=out.at)
                flags, targets, zs2s = tab.flags, tab.targets, tab.zs2s
            else:  # no device loss: the block of a finite loss that does not learn
                flags, targets, zs2s = tab.flags2, tab.targets2, tab.zs2s2
            if self._flagged and (self.skip_nonfinite or self.skips):
                if self.skip_nonfinite and loss_bad:
                    found = self._f1.clone()
                else:  # 1.0: a NaN/Inf norm, an outlier's norm, a non-finite loss under skip_nonfinite
                    found = torch.take(flags, at, out=out.found)
            target = torch.take(targets, at, out=out.target)
            if far:
                far_into(norm, tab.mean, tab.zs, torch.take(zs2s, at, out=out.zs2), out.far)
                torch.fmin(target, out.far, out=target)
            # target / norm < 1 where clipped; +inf or NaN (norm 0, Inf, NaN) where not: fmin takes 1.0 then
            coef = torch.fmin(torch.div(target, norm, out=target), self._one, out=out.coef)
        return found, coef

    def __repr__(self) -> str:
        return f"DeviceTwin(skip_nonfinite={self.skip_nonfinite}, members={[type(m).__name__ for m in self.members]})"


def device_twin(policy: Any) -> DeviceTwin | None:
    """The device twin of ``policy``, or None when some member has none (it needs the host)."""
    members = policy.policies if isinstance(policy, Chain) else (policy,)
    skip = False
    twins: list[Any] = []
    for m in members:
        if type(m) is SkipNonFinite:
            skip = True
            continue
        factory = _FACTORIES.get(type(m))
        hook = getattr(m, "device_twin", None)
        twin = factory(m) if factory is not None else hook() if callable(hook) else None
        if twin is None:
            return None
        twins.append(twin)
    return DeviceTwin(skip, twins)
