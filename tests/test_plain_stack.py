"""The plain-stack sensor (issue 12): deep stacks with no residual path (``depth``) and residual streams with no
normalisation (``normalization``), recognised by what the modules do on the batch."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gradguard.diagnosis import check
from gradguard.diagnosis.plain_stack import SERIES_WARN, residual_blocks, series_depth
from gradguard.diagnosis.probe import run_probe

D, T, V = 32, 8, 16


class MyNorm(nn.Module):
    """A user's own layer norm: not a torch norm class, recognised by its unit-RMS output rows."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.g = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x - x.mean(-1, keepdim=True)
        return self.g * x / (x.pow(2).mean(-1, keepdim=True) + 1e-5).sqrt()


class Block(nn.Module):
    """A pre-norm transformer block; ``residual=False`` leaves both skip connections out."""

    def __init__(self, norm: type[nn.Module], residual: bool) -> None:
        super().__init__()
        self.ln1, self.ln2 = norm(D), norm(D)
        self.qkv, self.out = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.mlp = nn.Sequential(nn.Linear(D, 4 * D), nn.GELU(), nn.Linear(4 * D, D))
        self.residual = residual

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(self.ln1(h)).chunk(3, -1)
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        s = (q @ k.transpose(-1, -2) / math.sqrt(D)).masked_fill(mask, float("-inf"))
        a = self.out(s.softmax(-1) @ v)
        h = h + a if self.residual else a
        m = self.mlp(self.ln2(h))
        return h + m if self.residual else m


class LM(nn.Module):
    def __init__(self, blocks: int, norm: type[nn.Module] = nn.LayerNorm, residual: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.blocks = nn.ModuleList(Block(norm, residual) for _ in range(blocks))
        self.norm, self.head = norm(D), nn.Linear(D, V)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    m.weight.normal_(0.0, 0.02)
                    if isinstance(m, nn.Linear):
                        m.bias.zero_()

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        h = self.emb(idx)
        for b in self.blocks:
            h = b(h)
        return self.head(self.norm(h))


def _lm_batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, V, (8, T), generator=g)
    return x, torch.roll(x, -1, 1)


def _lm_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out.reshape(-1, V), y.reshape(-1))


def _mlp(layers: int) -> nn.Module:
    mods: list[nn.Module] = []
    for _ in range(layers - 1):
        mods += [nn.Linear(D, D), nn.ReLU()]
    return nn.Sequential(*mods, nn.Linear(D, 4))


def _vgg_bn() -> nn.Module:
    layers: list[nn.Module] = []
    c = 3
    for i, w in enumerate([16] * 4 + [32] * 4):
        layers += [nn.Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU()]
        if i == 3:
            layers.append(nn.MaxPool2d(2))
        c = w
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10))


def _findings(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor], loss) -> dict[str, list]:
    d = check(model, batch, loss, torch.optim.Adam(model.parameters(), lr=1e-3))
    return {"depth": [f for f in d.findings if "weight_layers_in_series" in f.evidence],
            "normalization": [f for f in d.findings if "branch_over_stream_decades_median" in f.evidence]}


def test_transformer_without_residuals_is_named_depth() -> None:
    torch.manual_seed(0)
    got = _findings(LM(10, residual=False), _lm_batch(), _lm_loss)
    assert len(got["depth"]) == 1 and not got["normalization"]
    f = got["depth"][0]
    assert f.cause == "depth" and f.severity == "warning" and f.code
    assert f.evidence["series_transitions"] >= SERIES_WARN and f.evidence["normalization_layers"] > 0


def test_same_transformer_with_residuals_and_layernorm_is_silent() -> None:
    torch.manual_seed(0)
    model = LM(10, residual=True)
    depth, _ = series_depth(run_probe(model, _lm_batch(), _lm_loss))
    assert depth < 4
    assert _findings(model, _lm_batch(), _lm_loss) == {"depth": [], "normalization": []}


def test_plain_relu_mlp_fires_from_the_threshold_on() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(32, D), torch.randint(0, 4, (32,))
    deep, shallow = _mlp(SERIES_WARN + 6), _mlp(12)
    assert series_depth(run_probe(deep, (x, y), F.cross_entropy))[0] == SERIES_WARN + 5
    assert series_depth(run_probe(shallow, (x, y), F.cross_entropy))[0] == 11
    f = _findings(deep, (x, y), F.cross_entropy)["depth"]
    assert len(f) == 1 and "no normalisation anywhere" in f[0].message
    assert _findings(shallow, (x, y), F.cross_entropy)["depth"] == []


def test_vgg_with_batchnorm_is_silent() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(8, 3, 16, 16), torch.randint(0, 10, (8,))
    assert _findings(_vgg_bn(), (x, y), F.cross_entropy) == {"depth": [], "normalization": []}


def test_users_own_layernorm_is_recognised_by_behaviour() -> None:
    torch.manual_seed(0)
    # in series through the user's norm: the stack without skips is as deep as with nn.LayerNorm
    mine = series_depth(run_probe(LM(10, MyNorm, residual=False), _lm_batch(), _lm_loss))[0]
    torch.manual_seed(0)
    torch_ln = series_depth(run_probe(LM(10, nn.LayerNorm, residual=False), _lm_batch(), _lm_loss))[0]
    assert mine == torch_ln >= SERIES_WARN
    # a residual stream normalised by the user's norm is not a stream without normalisation
    torch.manual_seed(0)
    assert _findings(LM(4, MyNorm, residual=True), _lm_batch(), _lm_loss)["normalization"] == []


def test_residual_stream_without_any_norm_is_named_normalization() -> None:
    torch.manual_seed(0)
    model = LM(4, nn.Identity, residual=True)
    blocks = residual_blocks(run_probe(model, _lm_batch(), _lm_loss))
    assert len(blocks) == 4 and all(b[0].startswith("blocks.") for b in blocks)
    got = _findings(model, _lm_batch(), _lm_loss)
    assert len(got["normalization"]) == 1 and not got["depth"]
    f = got["normalization"][0]
    assert f.cause == "normalization" and f.evidence["residual_blocks"] == 4
    assert f.evidence["branch_over_stream_decades_median"] <= -1.0


def test_residual_blocks_need_a_sum_not_a_pass_through() -> None:
    torch.manual_seed(0)
    assert residual_blocks(run_probe(LM(4, nn.Identity, residual=False), _lm_batch(), _lm_loss)) == []


def test_a_norm_defined_but_never_called_does_not_count() -> None:
    torch.manual_seed(0)
    model = LM(4, nn.Identity, residual=True)
    model.unused = nn.LayerNorm(D)  # registered, never run in forward
    got = _findings(model, _lm_batch(), _lm_loss)
    assert len(got["normalization"]) == 1 and got["normalization"][0].evidence["normalization_layers"] == 0


class DenseStack(nn.Module):
    """A DenseNet-style stack: each layer (1x1 conv-BN-ReLU-3x3 conv) reads all earlier features, concatenated."""

    def __init__(self, layers: int, growth: int = 4) -> None:
        super().__init__()
        self.layers = nn.ModuleList()
        c = 3
        for _ in range(layers):
            self.layers.append(nn.Sequential(nn.Conv2d(c, 8, 1), nn.BatchNorm2d(8), nn.ReLU(),
                                             nn.Conv2d(8, growth, 3, padding=1)))
            c += growth
        self.head = nn.Linear(c, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = torch.cat([x, layer(x)], 1)
        return self.head(x.mean((2, 3)))


def test_concatenated_features_are_a_skip_path() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(4, 3, 8, 8), torch.randint(0, 10, (4,))
    model = DenseStack(SERIES_WARN + 6)
    assert series_depth(run_probe(model, (x, y), F.cross_entropy))[0] < 4
    assert _findings(model, (x, y), F.cross_entropy)["depth"] == []
