"""On a CUDA device: count the host syncs of steady-state guarded steps with torch's own sync detector.

``torch.cuda.set_sync_debug_mode("warn")`` makes every synchronising CUDA call (a device-to-host copy, ``.item()``,
``nonzero`` ...) raise a warning. A blocking guarded step should cost exactly one (the batched statistics read); a
``sync="deferred"`` step none (target 0: decisions on the device, the statistics read a step later from pinned
memory after an event; with ``skip_outliers`` or an adaptive clipper (``safe``) the previous step is read before
this step's optimizer step, an event wait on work issued a step earlier, which the count shows if torch counts
event waits). It then runs ``safe`` deferred and blocking on the device and says whether the weights are equal
and how many of the device's clip coefficients differ from the host's (``clip_adaptive``'s far target takes an
exp and a log: CUDA's against the CPU's), and with a GradScaler (``guard.step``: host syncs per step, and the
weights, optimizer state, scale and growth count of the deferred mode against the blocking mode's).
``python benchmarks/gpu_sync_check.py --equality-on-cpu`` runs the equality parts on the CPU (a check of the
script). ``benchmarks/gpu_all.sh`` runs it and the overhead tables in one go:

    python benchmarks/gpu_sync_check.py
    python benchmarks/overhead.py --device cuda --rounds 9 --warmup 30
    python benchmarks/overhead.py --device cuda --sweep --rounds 7 --counts 16,256,1024,4096
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

import gradguard
from gradguard import Guard

#: every synchronising call counted, by the Python line that made it ("file:line" -> calls), printed after the table
SYNC_SITES: dict[str, int] = {}


def count_syncs(policy: object, optimizer: str, sync: str = "blocking", steps: int = 10,
                trainer: bool = False, closure: bool = False, scaler: bool = False) -> list[int]:
    """Synchronising calls inside each steady ``guard.step`` (``trainer``: inside ``guard.observe``, the trainer
    stepping the optimizer itself after it; ``closure``: a re-run closure passed at every call, as the trainer
    callbacks do; ``scaler``: a GradScaler given to the guard, the loss scaled before ``backward``)."""
    torch.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(512, 512), nn.ReLU())]).cuda()
    fused = optimizer.endswith("fused")
    opt = (torch.optim.AdamW(model.parameters(), lr=1e-4, fused=fused) if optimizer.startswith("adamw")
           else torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9, fused=fused))
    amp = torch.amp.GradScaler("cuda", init_scale=2.0 ** 12) if scaler else None
    guard = Guard(model, opt, policy=policy, sync=sync, scaler=amp)  # type: ignore[arg-type]
    x, y = torch.randn(256, 512, device="cuda"), torch.randn(256, 512, device="cuda")

    def backward(loss: torch.Tensor) -> None:
        (loss if amp is None else amp.scale(loss)).backward()

    def guarded(loss: torch.Tensor) -> None:
        rerun = (lambda m: nn.functional.mse_loss(m(x), y)) if closure else None
        if trainer:
            guard.observe(loss, closure=rerun)
        else:
            guard.step(loss, closure=rerun)

    def one() -> None:
        loss = nn.functional.mse_loss(model(x), y)
        backward(loss)
        guarded(loss)
        if trainer and amp is not None:  # the trainer's own scaler step and update
            amp.step(opt)
            amp.update()
        elif trainer:
            opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(3):
        one()
    torch.cuda.synchronize()
    counts = []
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        backward(loss)
        torch.cuda.synchronize()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            guarded(loss)
            torch.cuda.set_sync_debug_mode("default")
        hits = [w for w in caught if "synchroniz" in str(w.message)]
        counts.append(len(hits))
        for w in hits:  # where each one was called from (the Python frame that called the synchronising op)
            site = f"{w.filename.rsplit('/src/', 1)[-1]}:{w.lineno}"
            SYNC_SITES[site] = SYNC_SITES.get(site, 0) + 1
        if trainer and amp is not None:  # the trainer's own scaler step and update
            amp.step(opt)
            amp.update()
        elif trainer:
            opt.step()
        opt.zero_grad(set_to_none=True)
    guard.close()
    return counts


def main() -> None:
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}")
    print("| policy | optimizer | sync | host syncs per guarded step (10 steady-state steps) |")
    print("|---|---|---|---|")
    skip_clip = gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(1e-3))
    for name, policy in (("monitor", "monitor"), ("safe", "safe"), ("skip+clip_by_global_norm", skip_clip)):
        for optimizer in ("sgd", "adamw"):
            print(f"| {name} | {optimizer} | blocking | {count_syncs(policy, optimizer)} |", flush=True)
    outliers = gradguard.chain(gradguard.skip_nonfinite(), gradguard.skip_outliers(),
                               gradguard.clip_by_global_norm(1e-3))
    for name, policy in (("monitor", "monitor"), ("skip+clip_by_global_norm", skip_clip),
                         ("skip+skip_outliers+clip_by_global_norm", outliers)):
        for optimizer in ("sgd-fused", "adamw-fused"):
            print(f"| {name} | {optimizer} | deferred | {count_syncs(policy, optimizer, 'deferred')} |", flush=True)
    zscore = gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_zscore())
    percentile = gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_percentile())
    for name, policy in (("safe", "safe"), ("skip+clip_by_zscore", zscore), ("skip+clip_by_percentile", percentile)):
        for optimizer in ("sgd-fused", "adamw-fused"):
            print(f"| {name} | {optimizer} | deferred | {count_syncs(policy, optimizer, 'deferred')} |", flush=True)
    for name, policy in (("skip+clip_by_global_norm", skip_clip), ("skip+skip_outliers+clip_by_global_norm", outliers),
                         ("safe", "safe")):
        counts = count_syncs(policy, "adamw-fused", "deferred", trainer=True)
        print(f"| {name} (observe, the trainer steps) | adamw-fused | deferred | {counts} |", flush=True)
        counts = count_syncs(policy, "adamw-fused", "deferred", trainer=True, closure=True)
        print(f"| {name} (observe with a closure: the trainer callbacks) | adamw-fused | deferred | {counts} |",
              flush=True)
    for name, policy in (("skip+skip_outliers+clip_by_global_norm", outliers), ("safe", "safe")):
        for sync in ("blocking", "deferred"):
            counts = count_syncs(policy, "adamw-fused", sync, scaler=True)
            print(f"| {name} (GradScaler, guard.step) | adamw-fused | {sync} | {counts} |", flush=True)
            counts = count_syncs(policy, "adamw-fused", sync, scaler=True, trainer=True)
            print(f"| {name} (GradScaler, observe: the trainer's scaler.step) | adamw-fused | {sync} | {counts} |",
                  flush=True)
    print("\nWhere the counted synchronising calls were made (file:line: calls, all rows together):")
    for site, n in sorted(SYNC_SITES.items(), key=lambda kv: -kv[1]) or [("none", 0)]:
        print(f"- {site}: {n}")
    print()
    equality_table()
    scaler_table()


def rounding_table(device: str = "cuda", n: int = 20_000) -> None:
    """How often the device's square root and ``clip_adaptive``'s far target differ from the host's (the doubles the
    blocking mode decides with), over random values: the deferred mode is exact where both are 0."""
    import math
    import random

    from gradguard._clip_target import far_target, far_target_host
    from gradguard.deferred_twins import exact_sqrt

    rng = random.Random(0)
    g = [math.exp(rng.uniform(-60, 60)) for _ in range(n)]
    roots = exact_sqrt(torch.tensor(g, dtype=torch.float64, device=device)).tolist()
    bad_sqrt = sum(r != math.sqrt(x) for r, x in zip(roots, g))
    rows = []
    for _ in range(n):
        mean = rng.uniform(-12, 8)
        zs = 2.5 * rng.uniform(0.1, 0.25)
        rows.append((math.exp(mean + zs * rng.uniform(1.0, 40.0)), mean, zs, zs * zs))
    t = torch.tensor(rows, dtype=torch.float64, device=device)
    dev = far_target(t[:, 0], t[:, 1], t[:, 2], t[:, 3]).tolist()
    bad_far = sum(d != far_target_host(m, z, x) for d, (x, m, z, _) in zip(dev, rows))
    from gradguard.deferred_table import far_into

    out = torch.empty((), dtype=torch.float64, device=device)
    bad_into = sum(far_into(*(t[i, j] for j in range(4)), out).item() != dev[i] for i in range(min(n, 2000)))
    print(f"On {device}: the twin's in-place far target (far_into, 0-d: addcdiv) != far_target on {bad_into} of "
          f"{min(n, 2000)}")
    from gradguard.deferred import device_grad_scale, host_grad_scale

    coefs = [math.exp(-rng.uniform(0, 60)) for _ in range(n)]
    scales = device_grad_scale(torch.tensor(coefs, dtype=torch.float64, device=device)).tolist()
    bad_scale = sum(s != host_grad_scale(c).item() for s, c in zip(scales, coefs))
    print(f"On {device}: square root != math.sqrt on {bad_sqrt} of {n} doubles; clip_adaptive's far target != the "
          f"host's on {bad_far} of {n}; the clip's grad_scale (1 / coef in float32) != the host's on {bad_scale} of "
          f"{n} (the deferred mode is exact where all three are 0)")


def equality_table(device: str = "cuda") -> None:
    rounding_table(device)
    print("Deferred against blocking on this device (120 steps: clipped, far-clipped, outlier, NaN steps):")
    print("| policy | optimizer | weights equal | clipped steps "
          "| device coefficient != host's (float64 / in float32) |")
    print("|---|---|---|---:|---|")
    for name in ("safe", "skip+clip_by_global_norm", "skip+skip_outliers (no clip)"):
        for optimizer in ("adamw-fused", "sgd-fused"):
            row = equality(optimizer, device, name)
            print(f"| {name} | {optimizer} | {' | '.join(str(x) for x in row)} |", flush=True)


def _policy(name: str) -> object:
    """The policies of the equality table, by name (a new object each run: policies keep state)."""
    if name == "safe":
        return "safe"
    if name.startswith("skip+clip"):
        return gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(1.0))
    return gradguard.chain(gradguard.skip_nonfinite(), gradguard.skip_outliers())


def _equality_run(optimizer: str, sync: str, device: str, policy: str = "safe") -> tuple[nn.Module, list, list]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)).to(device)
    opt = (torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True) if optimizer.startswith("adamw")
           else torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9, fused=True))
    guard = Guard(model, opt, policy=_policy(policy), sync=sync, update_every=3)  # type: ignore[arg-type]
    assert guard.sync == sync
    coefs: list = []  # (step, device coefficient) in the deferred mode
    if guard._deferred is not None:
        twin = guard._deferred.twin
        decide = twin.decide

        def keep(*a: object, **k: object) -> object:
            found, coef = decide(*a, **k)  # type: ignore[arg-type]
            # a copy on the device (no sync): the twin writes its results in place at the next step
            coefs.append((guard.step_index, None if coef is None else coef.clone()))
            return found, coef
        twin.decide = keep  # type: ignore[method-assign,assignment]
    reports = []
    g = torch.Generator(device=device).manual_seed(0)
    for i in range(120):
        x = torch.randn(64, 32, device=device, generator=g)
        y = torch.randn(64, 1, device=device, generator=g)
        x = x * (4.0 if i % 7 == 3 else 40.0 if i % 13 == 5 else 3000.0 if i in (45, 70) else 1.0)
        loss = nn.functional.mse_loss(model(x), y)
        if i % 11 == 2:
            loss = loss * float("nan")
        loss.backward()
        reports.append(guard.step(loss))
        opt.zero_grad(set_to_none=True)
    guard.close()
    return model, reports, coefs


def equality(optimizer: str, device: str = "cuda", policy: str = "safe") -> tuple[bool, int, str]:
    """Whether safe's deferred weights equal its blocking weights on CUDA, the steps clipped, and how many device
    coefficients differ from the host's (``clip_adaptive``'s far target: CUDA's exp/log against the CPU's)."""
    m_b, r_b, _ = _equality_run(optimizer, "blocking", device, policy)
    m_d, r_d, coefs = _equality_run(optimizer, "deferred", device, policy)
    equal = all(torch.equal(a, b) for a, b in zip(m_b.parameters(), m_d.parameters()))
    host = {r.step: r.clip_coef for r in r_d if r.step >= 0 and r.applied}
    dev = {s: float(c) for s, c in coefs if c is not None and s in host}
    d64 = sum(dev[s] != host[s] for s in dev)
    f32 = sum(torch.tensor(dev[s], dtype=torch.float32) != torch.tensor(host[s], dtype=torch.float32) for s in dev)
    return equal, sum(r.clip_coef < 1 for r in r_b), f"{d64} / {int(f32)} of {len(dev)}"


def _scaler_run(optimizer: str, sync: str, device: str, policy: object) -> tuple[nn.Module, object, object, list]:
    """``guard.step`` with a GradScaler, 40 steps: runs of overflows (the scaled loss x1e36, past the detector's
    amp_patience), outliers (x3000: finite, skipped, the scale put back), NaN losses, clipped steps (x50)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)).to(device)
    opt = (torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True) if optimizer.startswith("adamw")
           else torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9, fused=True))
    amp = torch.amp.GradScaler(torch.device(device).type, init_scale=2.0 ** 12, growth_interval=3)
    guard = Guard(model, opt, policy=policy, scaler=amp, sync=sync, update_every=3,  # type: ignore[arg-type]
                  max_consecutive_skips=50)
    assert guard.sync == sync, guard.sync
    overflow, outliers, nan_loss, clipped = (4, 11, *range(20, 30)), (9, 16, 33), (13, 36), (3, 17, 31)
    g = torch.Generator(device=device).manual_seed(0)
    reports = []
    for i in range(40):
        x = torch.randn(64, 32, device=device, generator=g)
        y = torch.randn(64, 1, device=device, generator=g)
        x = x * (3000.0 if i in outliers else 50.0 if i in clipped else 1.0)
        loss = nn.functional.mse_loss(model(x), y)
        amp.scale(loss * (1e36 if i in overflow else 1.0)).backward()
        reports.append(guard.step(loss.detach() * float("nan") if i in nan_loss else loss))
        opt.zero_grad(set_to_none=True)
    guard.close()
    return model, opt, amp, reports


def scaler_table(device: str = "cuda") -> None:
    """``guard.step`` with a GradScaler on this device: the deferred mode's weights, optimizer state, scale and
    growth count against the blocking mode's (``tests/test_h16b_scaler.py`` on CPU)."""
    print("\nDeferred against blocking with a GradScaler (guard.step, 40 steps: overflows, outliers, NaN losses, "
          "clips):")
    print("| policy | optimizer | weights equal | optimizer state equal | scale and growth count equal | skips |")
    print("|---|---|---|---|---|---:|")
    outliers = gradguard.chain(gradguard.skip_nonfinite(), gradguard.skip_outliers(),
                               gradguard.clip_by_global_norm(0.05))
    for name, policy in (("skip+skip_outliers+clip", outliers), ("safe", "safe")):
        for optimizer in ("adamw-fused", "sgd-fused"):
            m_b, o_b, s_b, r_b = _scaler_run(optimizer, "blocking", device, policy)
            m_d, o_d, s_d, _ = _scaler_run(optimizer, "deferred", device, policy)
            weights = all(torch.equal(a, b) for a, b in zip(m_b.parameters(), m_d.parameters()))
            state = all(torch.equal(torch.as_tensor(sa[k]), torch.as_tensor(sb[k]))
                        for sa, sb in zip(o_b.state.values(), o_d.state.values()) for k in sa)  # type: ignore[attr-defined]
            scale = s_b.state_dict() == s_d.state_dict()  # type: ignore[attr-defined]
            print(f"| {name} | {optimizer} | {weights} | {state} | {scale} | {sum(not r.applied for r in r_b)} |",
                  flush=True)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--equality"]:  # the equality parts alone, on the GPU
        equality_table()
        scaler_table()
    elif sys.argv[1:] == ["--equality-on-cpu"]:  # a check of this script on a machine without a GPU
        equality_table("cpu")
        scaler_table("cpu")
    else:
        main()
