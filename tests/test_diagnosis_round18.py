"""The eighteenth session's diagnosis rules (issue 12), each on real models and batches, each failing on the rules
before:

* a stack of 24+ weight layers in series with nothing normalising is named ``depth`` first when its measured fall is
  a standard init's (the two name the same fall; skip paths fix both);
* weight matrices all zeros while every gradient is exactly zero: ``init``, and not demoted by a short run;
* a gated cell's recurrent gate blocks at a spectral radius far above 1 (N(0, 1) recurrent weights): ``recurrence``;
* a prediction written ``exp(-distance)`` regressed on targets outside (0, 1]: ``data``;
* Adadelta at an lr typed for Adam (1e-3 where its multiplier belongs near 1): ``lr``;
* a residual stream's skip path read by a block's normalisation is not a feed-forward chain (no ``depth``);
* a batch whose samples are one and the same input, or a forward that erases the samples' differences before any
  weight reads them: ``data``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check


def _causes(d: object, severities: tuple[str, ...] = ("warning", "critical")) -> list[str]:
    return [f.cause for f in d.findings if f.severity in severities]  # type: ignore[attr-defined]


def _plain_relu_mlp(layers: int, width: int = 64) -> nn.Sequential:
    mods: list[nn.Module] = [nn.Linear(16, width), nn.ReLU()]
    for _ in range(layers - 2):
        mods += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*mods, nn.Linear(width, 4))


def test_a_deep_series_stack_at_default_init_is_named_depth_first() -> None:
    torch.manual_seed(0)
    model = _plain_relu_mlp(40)
    x, y = torch.randn(64, 16), torch.randint(0, 4, (64,))
    d = check(model, (x, y), F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.01), confirm_steps=0)
    assert d.top is not None and d.top.cause == "depth" and d.top.severity == "critical"
    assert d.top.evidence["weight_layers_in_series"] == 40 and d.top.evidence["measured_decades"] < -3
    assert "normalization" in _causes(d)  # the standard-init finding stays, second


class _MaLSTM(nn.Module):
    def __init__(self, zero: bool = False, recurrent_std: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(30, 16)
        self.lstm = nn.LSTM(16, 50, batch_first=True)
        if zero:
            for p in self.lstm.parameters():
                nn.init.zeros_(p)
        if recurrent_std is not None:
            with torch.no_grad():
                self.lstm.weight_hh_l0.normal_(0.0, recurrent_std)

    def forward(self, pair: torch.Tensor) -> torch.Tensor:
        a = self.lstm(self.emb(pair[:, 0]))[0][:, -1]
        b = self.lstm(self.emb(pair[:, 1]))[0][:, -1]
        return torch.exp(-(a - b).abs().sum(1))


def _pairs(scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 30, (64, 2, 8), generator=g), torch.rand(64, generator=g) * scale


def test_zero_weights_that_no_gradient_moves_are_named_init_and_not_demoted() -> None:
    torch.manual_seed(0)
    model = _MaLSTM(zero=True)
    d = check(model, _pairs(), F.mse_loss, torch.optim.Adadelta(model.parameters()))
    assert d.top is not None and d.top.cause == "init" and d.top.severity == "critical"
    assert "lstm.weight_hh_l0" in d.top.evidence["zero_weight_matrices"]
    torch.manual_seed(0)
    live = _MaLSTM()
    assert "zero_weight_matrices" not in str(check(live, _pairs(), F.mse_loss, confirm_steps=0).to_dict())


def test_a_zero_head_is_no_zero_init_fault() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 4))
    nn.init.zeros_(model[2].weight)
    d = check(model, (torch.randn(64, 16), torch.randint(0, 4, (64,))), F.cross_entropy, confirm_steps=0)
    assert not any("zero_weight_matrices" in f.evidence for f in d.findings)


def test_gated_recurrent_blocks_far_above_radius_one_are_a_recurrence_warning() -> None:
    torch.manual_seed(0)
    broken = check(_MaLSTM(recurrent_std=1.0), _pairs(), F.mse_loss, confirm_steps=0)
    rec = [f for f in broken.findings if f.cause == "recurrence" and f.severity != "info"]
    assert rec and max(rec[0].evidence["spectral_radius"].values()) > 5  # about sqrt(50)
    torch.manual_seed(0)
    assert "recurrence" not in _causes(check(_MaLSTM(), _pairs(), F.mse_loss, confirm_steps=0))


def test_targets_outside_a_similarity_s_range_are_data() -> None:
    torch.manual_seed(0)
    x, y = _pairs()
    d = check(_MaLSTM(), (x, 1.0 + 4.0 * y), F.mse_loss, confirm_steps=0)  # SICK's 1-5 scale
    assert d.top is not None and d.top.cause == "data" and d.top.evidence["output_op"] == "exp(-distance)"
    torch.manual_seed(0)
    assert "data" not in _causes(check(_MaLSTM(), (x, y), F.mse_loss, confirm_steps=0))


def test_adadelta_at_an_adam_lr_is_too_small() -> None:
    torch.manual_seed(0)
    model = _MaLSTM()
    small = check(model, _pairs(), F.mse_loss, torch.optim.Adadelta(model.parameters(), lr=1e-3), confirm_steps=0)
    lr = [f for f in small.findings if f.cause == "lr" and f.severity != "info"]
    assert lr and lr[0].evidence["optimizer"] == "Adadelta" and 0.1 < lr[0].evidence["suggested_lr"] < 10
    usual = check(model, _pairs(), F.mse_loss, torch.optim.Adadelta(model.parameters(), lr=1.0), confirm_steps=0)
    assert "lr" not in _causes(usual)


class _ScaledBlock(nn.Module):
    """``x + 0.01 * branch(BN(x))`` with a multiplicative large-kernel branch (VAN-like)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(dim)
        self.a, self.b, self.c = nn.Conv2d(dim, dim, 1), nn.Conv2d(dim, dim, 5, padding=2, groups=dim), \
            nn.Conv2d(dim, dim, 1)
        self.scale = nn.Parameter(torch.full((dim, 1, 1), 1e-2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.gelu(self.a(self.norm(x)))
        return x + self.scale * self.c(h * self.b(h))


def test_a_layer_scaled_residual_block_after_a_normalised_stem_is_not_depth() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), _ScaledBlock(16), _ScaledBlock(16),
                          nn.Conv2d(16, 32, 3, 2, 1), nn.BatchNorm2d(32), _ScaledBlock(32), _ScaledBlock(32),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    x, y = torch.randn(32, 3, 16, 16), torch.randint(0, 10, (32,))
    d = check(model, (x, y), F.cross_entropy, torch.optim.AdamW(model.parameters(), lr=1e-3), confirm_steps=0)
    assert "depth" not in _causes(d), [f.message for f in d.findings]


def test_a_batch_of_one_repeated_input_is_data() -> None:
    torch.manual_seed(0)
    pixels = torch.randint(0, 255, (32, 3, 8, 8))  # 8-bit, none at 255
    model = nn.Sequential(nn.Flatten(), nn.Linear(192, 64), nn.ReLU(), nn.Linear(64, 10))
    y = torch.randint(0, 10, (32,))
    floored = check(model, ((pixels // 255).float() - 0.5, y), F.cross_entropy, confirm_steps=0)
    assert floored.top is not None and floored.top.cause == "data"
    assert floored.top.evidence["identical_sample_share"] == 1.0
    fine = check(model, (pixels.float() / 255 - 0.5, y), F.cross_entropy, confirm_steps=0)
    assert "data" not in _causes(fine)


class _Standardised(nn.Module):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim
        self.net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:  # (batch, 1, samples)
        wave = (wave - wave.mean(self.dim, keepdim=True)) / (wave.std(self.dim, keepdim=True, unbiased=False) + 1e-5)
        return self.net(wave[:, 0])


def test_a_forward_that_erases_the_samples_differences_is_data() -> None:
    torch.manual_seed(0)
    wave, y = torch.randn(32, 1, 64), torch.randint(0, 4, (32,))
    d = check(_Standardised(dim=1), (wave, y), F.cross_entropy, confirm_steps=0)  # the channel axis, of size 1
    assert d.top is not None and d.top.cause == "data" and d.top.evidence["first_weight_layer"] == "net.0"
    assert "data" not in _causes(check(_Standardised(dim=-1), (wave, y), F.cross_entropy, confirm_steps=0))


class _ActorCritic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pi, self.v = nn.Linear(8, 4), nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.pi(x), self.v(x).squeeze(-1)


def _a2c_loss(reward: float) -> object:
    g = torch.Generator().manual_seed(0)
    x, best = torch.randn(64, 8, generator=g), torch.randint(0, 4, (64,), generator=g)

    def loss(m: nn.Module) -> torch.Tensor:
        logits, v = m(x)
        a = logits.detach().argmax(1)
        r = (a == best).float() * reward
        logp = F.log_softmax(logits, -1).gather(1, a[:, None]).squeeze(1)
        return -((r - v.detach()) * logp).mean() + 0.5 * F.mse_loss(v, r)
    return loss


def test_a_closure_s_regression_targets_out_of_scale_are_data() -> None:
    torch.manual_seed(0)
    model = _ActorCritic()
    d = check(model, closure=_a2c_loss(1000.0), confirm_steps=0)  # rewards in units of 1000, read off the MSE node
    assert d.top is not None and d.top.cause == "data" and "target" in d.top.message
    assert "data" not in _causes(check(model, closure=_a2c_loss(1.0), confirm_steps=0))


def test_a_weight_matrix_filled_with_one_constant_is_init() -> None:
    torch.manual_seed(0)
    model = _MaLSTM()
    for name, p in model.lstm.named_parameters():
        if "hh" in name:  # meant for bias_hh, also matches weight_hh
            nn.init.constant_(p, 1.0)
    d = check(model, _pairs(), F.mse_loss, torch.optim.Adam(model.parameters()))
    assert d.top is not None and d.top.cause == "init"
    assert d.top.evidence["constant_weight_matrices"] == ["lstm.weight_hh_l0"]


def test_a_plain_stack_of_25_layers_names_its_unexplained_fall_depth() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(64, 16), torch.randint(0, 4, (64,))
    d = check(_plain_relu_mlp(25), (x, y), F.cross_entropy, confirm_steps=0)
    residual = [f for f in d.findings if "residual_decades" in f.evidence]  # the depth module's finding
    assert residual and residual[0].evidence["weight_layers"] == 25 and residual[0].cause == "depth"


class _GRUD(nn.Module):
    """A GRU cell fed ``[x_hat, m]`` with a per-step input decay ``exp(-relu(w * delta))`` (GRU-D's)."""

    def __init__(self, reset_inside_loop: bool = False) -> None:
        super().__init__()
        self.cell, self.head = nn.GRUCell(6, 16), nn.Linear(16, 4)
        self.w = nn.Parameter(0.1 * torch.randn(3))
        self.reset = reset_inside_loop

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, delta = inp
        h = x.new_zeros(x.shape[0], 16)
        for i in range(x.shape[1]):
            if self.reset:
                h = x.new_zeros(x.shape[0], 16)
            gx = torch.exp(-F.relu(self.w * delta[:, i]))
            h = self.cell(torch.cat([gx * x[:, i], gx], 1), h)
        return self.head(h)


def _series() -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return (torch.randn(32, 12, 3, generator=g), torch.rand(32, 12, 3, generator=g) * 3), \
        torch.randint(0, 4, (32,), generator=g)


def test_a_per_step_gate_on_the_data_is_no_element_wise_recurrence() -> None:
    torch.manual_seed(0)
    d = check(_GRUD(), _series(), F.cross_entropy, confirm_steps=0)
    assert "recurrence" not in _causes(d), [f.message for f in d.findings]


def test_a_state_reset_inside_the_time_loop_is_recurrence() -> None:
    torch.manual_seed(0)
    d = check(_GRUD(reset_inside_loop=True), _series(), F.cross_entropy, confirm_steps=0)
    assert d.top is not None and d.top.cause == "recurrence" and d.top.evidence["modules"] == ["cell"]


def test_an_all_zero_lookup_table_does_not_excuse_dead_units() -> None:
    class Clicks(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb, self.lin = nn.Embedding(60, 16), nn.Embedding(60, 1)
            nn.init.zeros_(self.lin.weight)  # first-order weights at zero: a design, the start of a path
            self.bn, self.drop = nn.BatchNorm1d(16), nn.Dropout(0.5)
            self.hidden, self.out = nn.Linear(16, 16), nn.Linear(16, 1)
            nn.init.constant_(self.hidden.bias, -10.0)  # every hidden unit off

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            h = F.relu(self.hidden(self.drop(self.bn(self.emb(ids).sum(1)))))
            return self.lin(ids).sum((1, 2)) + self.out(h).squeeze(1)

    torch.manual_seed(0)
    ids, y = torch.randint(0, 60, (64, 5)), torch.randint(0, 2, (64,)).float()
    d = check(Clicks(), (ids, y), F.binary_cross_entropy_with_logits, confirm_steps=0)
    assert d.top is not None and d.top.cause == "activation"
