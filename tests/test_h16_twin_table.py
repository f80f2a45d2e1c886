"""The device twin's table over the norm (``DeviceTwin`` with fixed clips and ``clip_adaptive``): on random states of
``clip_adaptive``, norms and losses on every boundary of its rule, with and without a fixed clip, a float loss and a
tensor loss, the coefficient is the host chain's ``clip_coef`` and the old per-member device path's, double for
double, and the skip flag the host rule's."""

from __future__ import annotations

import copy
import math
import random
import warnings

import torch

from gradguard.deferred_adaptive import ClipAdaptiveTwin
from gradguard.deferred_twins import DeviceTwin, FixedClipTwin
from test_deferred_adaptive import _losses, _norms, _random_state, _stats


def _host_coef(state: object, norm: float, loss: float | None, clip: float | None) -> float:
    coef = 1.0
    if clip is not None and math.isfinite(norm) and norm > clip:
        coef = clip / norm
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the user-clip notice
        d = copy.deepcopy(state).decide(_stats(norm, loss), [])  # type: ignore[attr-defined]
    return min(coef, d.clip_coef)


def test_table_gives_the_host_coefficient_on_random_states() -> None:
    rng = random.Random(1)
    checked = clipped = by_loss = 0
    for trial in range(60):
        state = _random_state(rng)
        clip = None if trial % 2 else math.exp(state.mean + rng.uniform(-0.5, 2.0))
        for norm in _norms(state, rng) + ([clip, math.nextafter(clip, 0.0), math.nextafter(clip, math.inf)]
                                          if clip is not None else []):
            gsq = norm * norm
            host_norm = math.sqrt(gsq)
            for loss in _losses(state, rng):
                float_loss = loss is not None and trial % 3 == 0
                host_loss = loss if float_loss else None
                loss_t = None if loss is None or float_loss else torch.tensor(loss, dtype=torch.float64)
                loss_bad = host_loss is not None and not math.isfinite(host_loss)
                got = []
                for tabled in (True, False):
                    members = ([FixedClipTwin(clip)] if clip is not None else []) + [
                        ClipAdaptiveTwin(copy.deepcopy(state))]
                    twin = DeviceTwin(True, members)
                    assert twin.tabled
                    twin.tabled = tabled
                    found, coef = twin.decide(torch.tensor(gsq, dtype=torch.float64), loss_t, loss_bad,
                                              has_loss=loss is not None, host_loss=host_loss)
                    assert coef is not None and coef.shape == () and coef.dtype == torch.float64
                    assert found is not None and found.shape == () and found.dtype == torch.float32
                    got.append((found.item(), coef.item()))
                    if tabled and loss_t is not None:
                        by_loss += len(members[-1].bands(True, None).limits) == 2
                host = _host_coef(state, host_norm, loss, clip)
                bad = not math.isfinite(gsq) or (loss is not None and not math.isfinite(loss))
                assert got[0] == got[1] == (float(bad), host), (trial, norm, loss, clip, got, host)
                checked += 1
                clipped += host < 1
    assert checked > 12_000 and clipped > 5_000 and by_loss > 500, (checked, clipped, by_loss)


def test_fixed_clip_table_matches_the_host_rule_on_corners() -> None:
    norms = [0.0, 5e-324, 0.5, 1.0, math.nextafter(1.0, 2.0), 2.0, 1e300, math.inf, math.nan]
    for c in (1.0, 0.5, 1e-300, math.inf):
        twin = DeviceTwin(False, [FixedClipTwin(c)])
        for n in norms:
            found, coef = twin.decide(torch.tensor(n * n if n == n else n, dtype=torch.float64), None, False)
            host_n = math.sqrt(n * n) if n == n else n
            want = c / host_n if math.isfinite(host_n) and host_n > c else 1.0
            assert found is None and coef is not None and coef.item() == want, (c, n, coef, want)


def test_grad_scale_written_in_place_is_the_hosts() -> None:
    from gradguard.deferred import device_grad_scale, host_grad_scale

    rng = random.Random(2)
    out = torch.empty((), dtype=torch.float32)
    coefs = [math.exp(rng.uniform(-700, 0)) for _ in range(3000)] + [rng.uniform(0, 1) for _ in range(3000)] + [1.0]
    for c in coefs:
        got = device_grad_scale(torch.tensor(c, dtype=torch.float64), out)
        assert got is out and got.item() == host_grad_scale(c).item(), c
