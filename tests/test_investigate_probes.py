"""The transformer probes on the alarm path: an event's re-run of the step is read by them, into its evidence."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import nn

import gradguard
from gradguard.detectors import default_detectors
from gradguard.inventory import build_inventory
from gradguard.lab._transformer import VOCAB, TinyGPT
from gradguard.precursors import ProbeDetector, TransformerProbes

SPIKE = 30


def _batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1000 + step)
    tokens = torch.randint(0, VOCAB, (8, 17), generator=g)
    return tokens[:, :-1], tokens[:, 1:]


def _loss_fn(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))


@torch.no_grad()
def _direct(model: TinyGPT, x: torch.Tensor) -> tuple[float, float]:
    """The max attention logit of block 0 on the first sequence, and the mean log Z, computed by hand."""
    block: Any = model.blocks[0]
    h = model.tok(x) + model.pos(torch.arange(x.shape[1]))
    D = h.shape[-1]
    q, k, _ = block.c_attn(block.ln1(h)).split(D, dim=2)
    hd = D // block.n_head
    qh = q[0].view(-1, block.n_head, hd).transpose(0, 1)
    kh = k[0].view(-1, block.n_head, hd).transpose(0, 1)
    logit = float((qh @ kh.transpose(1, 2) / math.sqrt(hd)).max())
    return logit, float(torch.logsumexp(model(x), dim=-1).mean())


def test_an_alarm_reruns_the_step_with_the_probes_and_leaves_the_next_probed_step_alone() -> None:
    torch.manual_seed(0)
    model = TinyGPT(d=32, layers=1, heads=4)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    watch = ProbeDetector(TransformerProbes(model, every=1, linear_rms=False))  # the user's own probes, every step
    detectors = [*default_detectors(build_inventory(model, opt).num_layers), watch]
    guard = gradguard.Guard(model, opt, policy="monitor", loss_fn=_loss_fn, detectors=detectors)
    probed: dict[str, object] | None = None
    expected: tuple[float, float] | None = None
    after: tuple[float, float] | None = None
    for step in range(SPIKE + 2):
        x, y = _batch(step)
        if step == SPIKE:  # what a too-high rate does to q, k and the head, in one step: a loss and gradient spike
            with torch.no_grad():
                attn: Any = model.blocks[0]
                attn.c_attn.weight[: 2 * 32].mul_(30.0)
                model.lm_head.weight.mul_(50.0)
            expected = _direct(model, x)
        if step == SPIKE + 1:
            after = _direct(model, x)
        opt.zero_grad(set_to_none=True)
        loss = _loss_fn(model(x), y)
        loss.backward()
        report = guard.step(loss, inputs=x, targets=y)
        if step == SPIKE:
            kinds = {e.kind for e in report.events}
            assert kinds & {"explode", "nonfinite", "divergence"}, kinds
            alarm = next(e for e in report.events if e.kind in ("explode", "nonfinite", "divergence"))
            probed = dict(alarm.evidence["probes"])
            assert any(c.get("cause") == "normalization" and "q_norm" in c.get("code", "") for c in alarm.causes)
        elif step < SPIKE:
            assert all("probes" not in e.evidence for e in report.events)  # healthy steps: no re-run
        if step == SPIKE + 1:
            reading = watch.last_reading
            assert reading is not None and reading.step == SPIKE + 1
            assert after is not None
            # the user's probes armed for this step read this step's forward, not the alarm's re-run of the last
            assert reading.attention["blocks.0"] == pytest.approx(after[0], rel=1e-4)
            assert reading.log_z_mean == pytest.approx(after[1], rel=1e-4)
    guard.close()
    assert probed is not None and expected is not None
    assert probed["step"] == SPIKE
    assert probed["max_attention_logit"]["blocks.0"] == pytest.approx(expected[0], rel=1e-3)  # type: ignore[index]
    assert expected[0] > 100 and probed["attention_over"] == ["blocks.0"]
    assert probed["log_z_mean"] == pytest.approx(expected[1], rel=1e-3)
    assert probed["head_weight_norm"] == pytest.approx(float(model.lm_head.weight.detach().norm()), rel=1e-2)
    assert probed["linear_rms_count"] == 4  # c_attn, proj, fc, out (the head is read as the head)
    assert len(probed["linear_rms_top"]) == 4  # type: ignore[arg-type]


def test_an_mlp_alarm_gets_the_linear_rms_only_and_no_attention_cause() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    guard = gradguard.Guard(model, opt, policy="monitor", loss_fn=nn.functional.mse_loss, diagnose_every=5)
    found = []
    for step in range(40):
        g = torch.Generator().manual_seed(step)
        x = torch.randn(32, 8, generator=g) * (1e3 if step == 35 else 1.0)
        y = x[:, :1]
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        report = guard.step(loss, inputs=x, targets=y)
        found += [e for e in report.events if "probes" in e.evidence]
    guard.close()
    assert all(e.evidence["probes"]["step"] == e.step for e in found)
    probes = next(e for e in found if e.step == 35).evidence["probes"]
    assert probes["max_attention_logit"] == {} and probes["log_z_mean"] is None
    assert set(probes["linear_rms_top"]) == {"0", "2"}
    assert probes["linear_rms_top"]["0"] > 100  # the outlier batch, as the re-run saw it
