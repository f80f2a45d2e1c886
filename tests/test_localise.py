"""Localisation (:mod:`gradguard.diagnosis.localise`): a drift measured across layers is named after the module where
it starts (an off-centre init, a normalisation that does not normalise), on small real models; the same models
without the fault stay healthy."""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torch.nn.utils.parametrize
from torch import nn

import gradguard
from gradguard.diagnosis.batch import resolve_step
from gradguard.diagnosis.findings import Diagnosis, Finding
from gradguard.diagnosis.localise import MEAN_OVER_STD, NORM_OFF_DECADES, localise, sources
from gradguard.diagnosis.probe import run_probe


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 32, generator=g)
    return x, x[:, :5].argmax(1)


def _mlp(uniform01: bool = False, depth: int = 6) -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for _ in range(depth):
        lin = nn.Linear(32, 32)
        if uniform01:
            nn.init.uniform_(lin.weight, 0.0, 1.0)  # all-positive weights: the fault
        else:
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")  # zero-centred, the scale ReLU wants
        layers += [lin, nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(32, 5))


def _bn_net(eps: float, depth: int = 12) -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(32, 32), nn.BatchNorm1d(32, eps=eps), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(32, 5))


def _checked(model: nn.Module) -> Diagnosis:
    """``check`` and then the localisation on the same model and batch (idempotent if check already ran it)."""
    x, y = _batch()
    d = gradguard.check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), 0.01))
    probe = run_probe(model, resolve_step((x, y), F.cross_entropy, None))
    localise(d.findings, probe)
    return Diagnosis(findings=d.findings, cost=d.cost, notes=d.notes, profile=d.profile)


def test_all_positive_init_is_named_init_at_its_first_layer() -> None:
    d = _checked(_mlp(uniform01=True))
    assert d.top is not None and d.top.cause == "init" and d.top.severity != "info"
    assert d.top.layers[0] == "0" and d.top.evidence["mean_over_std"] > MEAN_OVER_STD
    demoted = [f for f in d.findings if f.evidence.get("consequence_of") == "init"]
    assert demoted and all(f.severity == "info" for f in demoted)


def test_fix_re_centres_the_off_centre_layers_it_names() -> None:
    model = _mlp(uniform01=True)
    d = _checked(model)
    changes = gradguard.diagnosis.fix(model, d)
    assert {c["layer"] for c in changes} == {"0", "2", "4", "6", "8", "10"}
    for i in (0, 2, 4, 6, 8, 10):
        lin = model[i]
        assert isinstance(lin, nn.Linear)
        w = lin.weight.detach()
        assert abs(float(w.mean())) < 0.1 * float(w.std())
    assert _checked(model).healthy


def test_zero_centred_init_stays_healthy() -> None:
    d = _checked(_mlp(uniform01=False))
    assert d.healthy, [(f.cause, f.message) for f in d.findings if f.severity != "info"]


def test_batchnorm_with_a_huge_eps_is_normalization() -> None:
    d = _checked(_bn_net(eps=1e5))
    assert d.top is not None and d.top.cause == "normalization" and d.top.severity != "info"
    assert d.top.layers[0] == "1" and d.top.evidence["decades_off_affine_scale"] <= -NORM_OFF_DECADES
    assert "localised_from" in d.top.evidence


def test_batchnorm_with_its_usual_eps_stays_healthy() -> None:
    d = _checked(_bn_net(eps=1e-5))
    assert d.healthy, [(f.cause, f.message) for f in d.findings if f.severity != "info"]


def test_eval_mode_batchnorm_is_not_judged_and_a_working_layernorm_does_not_depart() -> None:
    model = nn.Sequential(nn.Linear(32, 32), nn.BatchNorm1d(32, eps=1e5), nn.Linear(32, 32), nn.LayerNorm(32),
                          nn.Linear(32, 5))
    model[1].eval()  # reads its running statistics: not normalising on the batch
    probe = run_probe(model, resolve_step(_batch(), F.cross_entropy, None))
    norms = {s.module: s.value for s in sources(probe) if s.cause == "normalization"}
    assert set(norms) == {"3"} and abs(norms["3"]) < 0.1


def test_a_source_against_the_symptoms_direction_changes_nothing() -> None:
    model = _mlp(uniform01=True)
    probe = run_probe(model, resolve_step(_batch(), F.cross_entropy, None))
    decay = Finding(cause="depth", layers=["0"], severity="critical", confidence=0.9, evidence={"direction": -1},
                    message="the gradient shrinks", prescription="", code="", score=5.0)
    findings = [decay]
    localise(findings, probe)
    assert findings == [decay] and decay.severity == "critical"


class _Exp(nn.Module):
    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return v.exp()


def test_frozen_and_parametrised_positive_weights_are_designs_not_sources() -> None:
    model = _mlp(uniform01=True, depth=3)
    model[0].weight.requires_grad_(False)  # a fixed all-positive filter
    torch.nn.utils.parametrize.register_parametrization(model[2], "weight", _Exp())  # a monotone layer
    probe = run_probe(model, resolve_step(_batch(), F.cross_entropy, None))
    judged = {s.module: s.value for s in sources(probe) if s.cause == "init"}
    assert "0" not in judged and "2" not in judged and judged["4"] > MEAN_OVER_STD
