"""Precursors: Adam-state statistics, the StableAdamW-style cap, transformer probes and their detectors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import gradguard
from gradguard.errors import ConfigError
from gradguard.precursors import (
    AdamStateMonitor,
    AdamStatePrecursor,
    ProbeDetector,
    StableUpdateCap,
    TransformerProbes,
    precursor_detectors,
    with_precursors,
)


def _mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))


def _batch(step: int, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(100 + step)
    x = torch.randn(64, 10, generator=g) * scale
    return x, x.sum(1, keepdim=True)


def _backward(model: nn.Module, opt: torch.optim.Optimizer, step: int, scale: float = 1.0) -> None:
    x, y = _batch(step, scale)
    opt.zero_grad(set_to_none=True)
    ((model(x) - y) ** 2).mean().backward()


class _Attn(nn.Module):
    """A fused-qkv causal attention block as nanoGPT writes it (c_attn, n_head)."""

    def __init__(self, d: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.n_head = heads
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        q, k, v = self.c_attn(x).split(D, dim=2)
        q, k, v = (t.view(B, T, self.n_head, D // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        return x + self.c_proj(y.transpose(1, 2).reshape(B, T, D))


class _LM(nn.Module):
    def __init__(self, vocab: int = 50, d: int = 32) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.attn = _Attn(d)
        self.ln = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.lm_head(self.ln(self.attn(self.emb(idx))))


def test_adam_state_predicts_the_step_adam_takes() -> None:
    model = _mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    mon = AdamStateMonitor(model, opt)
    for step in range(4):
        _backward(model, opt, step)
        st = mon.measure(step)
        if step == 0:
            np.testing.assert_allclose(st.layer_rms, 1.0, rtol=1e-6)  # the first step: u-hat = g^2
        before = [p.detach().clone() for p in model.parameters()]
        opt.step()
        moved = [(p.detach() - b) / 1e-2 for p, b in zip(model.parameters(), before, strict=True)]
        per_layer = [torch.cat([moved[0].flatten(), moved[1].flatten()]),
                     torch.cat([moved[2].flatten(), moved[3].flatten()])]
        actual = np.array([float(v.pow(2).mean().sqrt()) for v in per_layer])
        np.testing.assert_allclose(st.layer_update_rms, actual, rtol=1e-4)


def test_adam_state_rises_on_a_gradient_the_second_moment_did_not_expect() -> None:
    model = _mlp()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    mon = AdamStateMonitor(model, opt)
    rms, surprise = [], []
    for step in range(25):
        _backward(model, opt, step, scale=30.0 if step == 20 else 1.0)
        st = mon.measure(step)
        rms.append(float(np.nanmax(st.layer_rms)))
        surprise.append(float(np.nanmax(st.layer_surprise)))
        opt.step()
    assert math.isnan(surprise[0])  # no second moment before the first step
    assert max(surprise[5:20]) < 3.0
    assert surprise[20] > 10.0
    # Wortsman's RMS has a ceiling, sqrt((1-beta2^t)/(1-beta2)) = 4.56 at step 21 for beta2 0.999, whatever the
    # gradient: why the detector does not threshold it
    assert 3.0 < rms[20] <= math.sqrt((1 - 0.999 ** 21) / (1 - 0.999)) + 1e-6


def test_monitoring_changes_nothing() -> None:
    runs = []
    for monitored in (False, True):
        model = _mlp()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        mon = AdamStateMonitor(model, opt) if monitored else None
        for step in range(10):
            _backward(model, opt, step)
            if mon is not None:
                mon.measure(step)
            opt.step()
        runs.append([p.detach().clone() for p in model.parameters()])
    for a, b in zip(*runs, strict=True):
        assert torch.equal(a, b)


def test_stable_update_cap_matches_the_reference_and_leaves_uncapped_steps_alone() -> None:
    capped_model, ref_model, plain_model = _mlp(), _mlp(), _mlp()
    kw = dict(lr=1e-2, weight_decay=0.1, betas=(0.9, 0.99))
    o_cap = torch.optim.AdamW(capped_model.parameters(), **kw)  # type: ignore[arg-type]
    o_ref = torch.optim.AdamW(ref_model.parameters(), **kw)  # type: ignore[arg-type]
    o_plain = torch.optim.AdamW(plain_model.parameters(), **kw)  # type: ignore[arg-type]
    cap = StableUpdateCap(capped_model, o_cap)
    never = StableUpdateCap(plain_model, o_plain, max_rms=1e9)  # measures, never caps
    mon = AdamStateMonitor(ref_model, o_ref)
    unguarded = _mlp()
    o_un = torch.optim.AdamW(unguarded.parameters(), **kw)  # type: ignore[arg-type]
    for step in range(20):
        scale = 20.0 if step in (8, 15) else 1.0
        for m, o in ((capped_model, o_cap), (ref_model, o_ref), (plain_model, o_plain), (unguarded, o_un)):
            _backward(m, o, step, scale)
        rms = mon.measure(step).layer_rms
        before = [p.detach().clone() for p in ref_model.parameters()]
        o_ref.step()
        with torch.no_grad():  # StableAdamW per layer, written out: p - lr*wd*p - lr/max(1,rms) * m/(sqrt(v)+eps)
            for i, (p, b) in enumerate(zip(ref_model.parameters(), before, strict=True)):
                r = float(rms[i // 2])
                if r > 1.0:
                    st = o_ref.state[p]
                    t = float(st["step"])
                    adam = -1e-2 * (st["exp_avg"] / (1 - 0.9 ** t)) / ((st["exp_avg_sq"] / (1 - 0.99 ** t)).sqrt()
                                                                       + 1e-8)
                    p.copy_(b * (1 - 1e-2 * 0.1) + adam / r)
        o_cap.step()
        o_plain.step()
        o_un.step()
    assert 8 in cap.capped and 15 in cap.capped
    for a, b in zip(capped_model.parameters(), ref_model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    assert never.capped == {}
    for a, b in zip(plain_model.parameters(), unguarded.parameters(), strict=True):
        assert torch.equal(a, b)


def test_stable_update_cap_refuses_what_it_cannot_cap() -> None:
    model = _mlp()
    with pytest.raises(ConfigError, match=r"optimizer='SGD'.*Adam or torch\.optim\.AdamW"):
        StableUpdateCap(model, torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ConfigError, match="amsgrad"):
        StableUpdateCap(model, torch.optim.Adam(model.parameters(), amsgrad=True))
    with pytest.raises(ConfigError, match=r"max_rms=0\.5"):
        StableUpdateCap(model, torch.optim.Adam(model.parameters()), max_rms=0.5)
    adam = torch.optim.Adam(model.parameters())
    with pytest.raises(ConfigError, match="threshold=-1"):
        AdamStatePrecursor(model, adam, threshold=-1)
    with pytest.raises(ConfigError, match="cooldown"):
        AdamStatePrecursor(model, adam, cooldown=1.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="every=0"):
        TransformerProbes(_LM(), every=0)
    with pytest.raises(ConfigError, match="attention_threshold"):
        ProbeDetector(TransformerProbes(_LM()), attention_threshold=0)
    with pytest.raises(ConfigError, match="optimizer='SGD'"):
        AdamStateMonitor(model, torch.optim.SGD(model.parameters(), lr=0.1))


def test_probes_read_the_max_attention_logit_of_a_fused_qkv_block() -> None:
    torch.manual_seed(0)
    model = _LM()
    probes = TransformerProbes(model, every=1)
    assert [a.name for a in probes.attention] == ["attn"]
    idx = torch.randint(0, 50, (2, 12))
    probes.arm(0)
    x = model.emb(idx)
    model(idx)
    reading = probes.read()
    assert reading is not None
    q, k, _ = model.attn.c_attn(x[:1]).split(32, dim=2)
    qh, kh = (t.view(12, 4, 8).transpose(0, 1) for t in (q, k))
    expected = (qh @ kh.transpose(1, 2) / 8 ** 0.5).amax(dim=(1, 2))
    np.testing.assert_allclose(reading.attention_heads["attn"], expected.detach().numpy(), rtol=1e-5)
    logz = torch.logsumexp(model(idx).detach(), dim=-1).mean()
    assert reading.log_z_mean == pytest.approx(float(logz), rel=1e-5)
    # the hooks are gone after the read: an unprobed forward pays nothing
    assert not any(m._forward_hooks for m in model.modules())


def test_probes_read_multihead_attention_and_list_what_they_cannot_read() -> None:
    class Opaque(nn.Module):  # looks like attention, exposes no q/k
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Linear(8, 8)

    class MyAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = Opaque()

    torch.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 1)
    probes = TransformerProbes(enc, every=1)
    probes.arm(0)
    enc(torch.randn(2, 5, 16))
    r = probes.read()
    assert r is not None and set(r.attention) == {"layers.0.self_attn"}
    assert TransformerProbes(MyAttention()).unreadable == [""]


def _lm_step(model: nn.Module, opt: torch.optim.Optimizer, guard: gradguard.Guard, step: int) -> list[str]:
    idx = torch.randint(0, 50, (4, 16), generator=torch.Generator().manual_seed(step))
    logits = model(idx[:, :-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, 50), idx[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    return [e.kind for e in guard.step(loss).events]


def test_probe_detector_warns_on_attention_logit_growth_and_logit_divergence_not_on_a_healthy_lm() -> None:
    kinds: dict[str, set[str]] = {}
    for name in ("healthy", "qk_blown", "head_blown"):
        torch.manual_seed(0)
        model = _LM()
        with torch.no_grad():
            if name == "qk_blown":
                model.attn.c_attn.weight[:64].mul_(40.0)  # queries and keys 40x: logits 1600x
            if name == "head_blown":
                model.lm_head.weight.mul_(1.0)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        det = ProbeDetector(TransformerProbes(model, every=2), cooldown=1)
        guard = gradguard.Guard(model, opt, policy="monitor", update_every=0)
        guard.detectors.append(det)
        seen: set[str] = set()
        for step in range(12):
            if name == "head_blown" and step == 6:
                with torch.no_grad():
                    model.lm_head.weight.mul_(60.0)  # the output logits blow up mid-run
            seen |= set(_lm_step(model, opt, guard, step))
        guard.close()
        kinds[name] = seen
    assert not kinds["healthy"] & {"attention_logit_growth", "logit_divergence"}
    assert "attention_logit_growth" in kinds["qk_blown"]
    assert "logit_divergence" in kinds["head_blown"]


def test_attention_logit_growth_prescribes_qk_norm_a_lower_rate_and_a_smaller_init() -> None:
    torch.manual_seed(0)
    model = _LM()
    with torch.no_grad():
        model.attn.c_attn.weight[:64].mul_(40.0)
    probes = TransformerProbes(model, every=1)
    det = ProbeDetector(probes, cooldown=1)
    probes.arm(0)
    model(torch.randint(0, 50, (4, 16)))
    reading = probes.read()
    assert reading is not None
    (event,) = [e for e in det._judge(reading) if e.kind == "attention_logit_growth"]
    causes = {c["cause"]: c for c in event.causes}
    assert set(causes) == {"normalization", "lr", "init"} and all(c["code"] for c in causes.values())
    assert "QK-layernorm" in causes["normalization"]["prescription"] and "smaller" in causes["init"]["prescription"]


def test_precursor_detectors_say_once_what_they_cannot_measure() -> None:
    model = _mlp()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = precursor_detectors(model, torch.optim.SGD(model.parameters(), lr=0.1))
    assert found == []
    assert sum("no Adam second moment" in str(w.message) for w in caught) == 1
    lm = _LM()
    found = precursor_detectors(lm, torch.optim.AdamW(lm.parameters()))
    assert [type(d) for d in found] == [AdamStatePrecursor, ProbeDetector]


def test_precursor_event_in_a_guarded_run_and_its_record(tmp_path: object) -> None:
    model = _mlp()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    guard = gradguard.Guard(model, opt, run_dir=str(tmp_path), policy="monitor", update_every=0,
                            detectors=with_precursors(model, opt))
    assert any(isinstance(d, AdamStatePrecursor) for d in guard.detectors)
    kinds = []
    for step in range(25):
        x, y = _batch(step, 30.0 if step == 20 else 1.0)  # far beyond what Adam's second moment expects
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        kinds.append({e.kind for e in guard.step(loss).events})
    guard.close()
    assert all("precursor" not in k for k in kinds[:20])
    assert "precursor" in kinds[20]
    run = gradguard.open_run(str(tmp_path))
    assert run.events_of("precursor")[0]["step"] == 20


class _Gain(nn.Module):
    """A per-feature gain whose gradient is 1e-3 of the activations': a layer with a sliver of the energy."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * (1.0 + 1e-3 * self.weight)


def _surprised_gain_run(min_share: float) -> tuple[list[set[str]], AdamStatePrecursor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), _Gain(32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    detector = AdamStatePrecursor(model, opt, min_share=min_share)
    guard = gradguard.Guard(model, opt, policy="monitor", update_every=0, detectors=[detector])
    step_now = [0]
    gain = model[1]
    assert isinstance(gain, _Gain)
    gain.weight.register_hook(lambda g: g * 30.0 if step_now[0] == 20 else g)  # 30x only in the gain
    kinds = []
    for step in range(25):
        step_now[0] = step
        x, y = _batch(step)
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        kinds.append({e.kind for e in guard.step(loss).events})
    guard.close()
    return kinds, detector


def test_precursor_judges_only_layers_with_a_share_of_the_gradient_energy() -> None:
    # the gain's gradient is 30x what Adam expects at step 20 (surprise ~30), but it carries ~1e-6 of the energy:
    # not judged by default (a waking or tiny layer); judged with min_share=0
    kinds, detector = _surprised_gain_run(0.1)
    assert detector.last is not None
    assert all("precursor" not in k for k in kinds)
    kinds, detector = _surprised_gain_run(0.0)
    assert "precursor" in kinds[20] and all("precursor" not in k for k in kinds[:20])
    with pytest.raises(ConfigError, match="min_share"):
        AdamStatePrecursor(_mlp(), torch.optim.Adam(_mlp().parameters()), min_share=1.0)


def _grad(p: torch.Tensor) -> torch.Tensor:
    assert p.grad is not None
    return p.grad


def test_surprise_only_measurement_matches_the_full_one_and_reads_the_written_out_rule() -> None:
    model = _mlp()
    assert isinstance(model, nn.Sequential)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.95))
    mon = AdamStateMonitor(model, opt)
    for step in range(6):
        _backward(model, opt, step, 3.0 if step == 5 else 1.0)
        full = mon.measure(step)
        known = np.array([sum(float(_grad(p).pow(2).sum()) for p in layer.parameters())
                          for layer in (model[0], model[2])])
        cheap = mon.measure(step, full=False, grad_sq=known)
        assert np.isnan(cheap.layer_rms).all() and np.isnan(cheap.layer_update_rms).all()
        np.testing.assert_allclose(cheap.layer_surprise, full.layer_surprise, rtol=1e-5)
        np.testing.assert_allclose(full.layer_grad_sq, known, rtol=1e-5)
        if step > 0:  # Wortsman's RMS of g^2/u-hat and the surprise, written out per layer
            t = step + 1
            for i, layer in enumerate((model[0], model[2])):
                ratio, g2, v2, n = 0.0, 0.0, 0.0, 0
                for p in layer.parameters():
                    g, v = _grad(p), opt.state[p]["exp_avg_sq"]
                    u = (0.95 * v + 0.05 * g * g) / (1 - 0.95 ** t)
                    ratio += float((g * g / u.clamp_min(1e-16)).sum())
                    g2 += float((g * g).sum())
                    v2 += float(v.sum()) / (1 - 0.95 ** (t - 1))
                    n += p.numel()
                assert full.layer_rms[i] == pytest.approx(math.sqrt(ratio / n), rel=1e-4)
                assert full.layer_surprise[i] == pytest.approx(math.sqrt(g2 / v2), rel=1e-4)
        opt.step()
