"""A forgotten ``zero_grad`` is told exactly, and nothing else is (gradguard.cleared)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import gradguard
from gradguard import Guard


def _loop(clear: str, steps: int = 8, micro: int = 1, sync: str = "blocking", policy: object = "monitor",
          trainer: bool = False, user_clip: float | None = None) -> list[tuple[int, str]]:
    """(step, kind) of every grads_not_cleared event; ``clear``: how the loop clears its gradients."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=sync == "deferred")
    g = torch.Generator().manual_seed(1)
    seen: list[tuple[int, str]] = []
    with Guard(model, opt, policy=policy, sync=sync) as guard:  # type: ignore[arg-type]
        for _ in range(steps):
            if clear == "before":
                opt.zero_grad()
            for _ in range(micro):
                x, y = torch.randn(32, 8, generator=g), torch.randn(32, 1, generator=g)
                loss = nn.functional.mse_loss(model(x), y)
                loss.backward()
            if user_clip is not None:  # a clip left in the loop (minGPT's Trainer): it bumps the version counter
                nn.utils.clip_grad_norm_(model.parameters(), user_clip)
            report = guard.observe(loss) if trainer else guard.step(loss)
            if trainer:
                opt.step()
            seen += [(e.step, e.kind) for e in report.events if e.kind == "grads_not_cleared"]
            if clear == "none_after":
                opt.zero_grad(set_to_none=True)
            elif clear == "zero_after":
                opt.zero_grad(set_to_none=False)
            elif clear == "data":
                for p in model.parameters():
                    if p.grad is not None:
                        p.grad.data.zero_()  # an old idiom: the version counter does not see it
        seen += [(e.step, e.kind) for e in guard.flush().events if e.kind == "grads_not_cleared"] \
            if sync == "deferred" else []
    return seen


@pytest.mark.parametrize("micro", [1, 3])
def test_a_loop_that_never_clears_is_told_once(micro: int) -> None:
    seen = _loop("never", micro=micro)
    assert seen == [(3, "grads_not_cleared")]


@pytest.mark.parametrize("clear", ["before", "none_after", "zero_after", "data"])
@pytest.mark.parametrize("micro", [1, 4])
def test_every_way_of_clearing_is_quiet(clear: str, micro: int) -> None:
    assert _loop(clear, micro=micro) == []


def test_the_guards_own_clipping_is_not_taken_for_clearing_or_its_absence() -> None:
    clip = gradguard.chain(gradguard.skip_nonfinite(), gradguard.clip_by_global_norm(1e-3))  # clips every step
    assert _loop("zero_after", policy=clip) == []
    assert _loop("never", policy=clip) == [(3, "grads_not_cleared")]


def test_deferred_and_trainer_paths() -> None:
    assert _loop("never", sync="deferred", policy="safe") == [(3, "grads_not_cleared")]
    assert _loop("none_after", sync="deferred", policy="safe") == []
    assert _loop("never", trainer=True) == [(3, "grads_not_cleared")]
    assert _loop("none_after", trainer=True) == []


def test_the_watch_changes_no_gradient() -> None:
    """monitor with the watch = the plain loop, weights bit for bit, without clearing too."""
    def run(guarded: bool) -> list[torch.Tensor]:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)
        guard = Guard(model, opt, policy="monitor") if guarded else None
        g = torch.Generator().manual_seed(1)
        for _ in range(6):
            nn.functional.mse_loss(model(torch.randn(32, 8, generator=g)), torch.randn(32, 1, generator=g)).backward()
            guard.step() if guard is not None else opt.step()
        if guard is not None:
            guard.close()
        return [p.detach().clone() for p in model.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(run(True), run(False)))


@pytest.mark.parametrize("clip", [1.0, 1e-3])
def test_a_clip_left_in_the_loop_neither_hides_nor_fakes_it(clip: float) -> None:
    """minGPT's Trainer clips at 1.0 before its step: without zero_grad the watch read the clip as a clearing."""
    assert _loop("never", user_clip=clip) == [(3, "grads_not_cleared")]
    for clear in ("zero_after", "none_after", "before", "data"):
        assert _loop(clear, user_clip=clip) == [], clear


def test_closing_the_guard_takes_its_hooks_off_and_nothing_is_kept() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    guard = Guard(model, opt, policy="monitor")
    for _ in range(2):
        nn.functional.mse_loss(model(torch.randn(4, 8)), torch.randn(4, 1)).backward()
        guard.step()
        opt.zero_grad()
    watch = guard._clear_watch
    assert watch.param is not None and watch._handles
    guard.close()
    for _ in range(100):  # the loop goes on without the guard: the watch must hold nothing
        nn.functional.mse_loss(model(torch.randn(4, 8)), torch.randn(4, 1)).backward()
    assert not watch._handles and watch.incoming == [] and watch.count == 0
