"""Builders of the sixteenth held-out batch (``fresh15.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets and the hand-written training
pieces (losses, a data standardisation, an optimizer's groups) they need. Written and labelled before gradguard's
judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh14_builders as F14
from . import fresh15_models as M
from . import healthy as H
from ._setup import POOL, Setup, image_batches, lm_batches, lm_loss, sequence_batches, vector_batches


def _pool(seed: int, make: Callable[[torch.Generator], Any]) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(150_000 + seed)
    pool = [make(g) for _ in range(POOL)]
    return lambda step: pool[step % POOL]


# ---- data ------------------------------------------------------------------------------------------------------------

def waveform_batches(seed: int, batch: int = 16, length: int = 2000, classes: int = 4, pcm: bool = False
                     ) -> Callable[[int], Any]:
    """Raw audio clips (8 kHz): a tone at one of ``classes`` pitches with two harmonics, random phase, loudness 0.1 to
    0.5 and background noise, as float samples in [-1, 1]; ``pcm``: the 16-bit PCM integers as read from the file
    (x32767), never divided back."""
    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        f0 = (220.0 * 2 ** (y.float() * 4 / 12))[:, None]
        t = torch.arange(length, dtype=torch.float32)[None] / 8000
        ph = 6.3 * torch.rand(batch, 3, generator=g)
        amp = 0.1 + 0.4 * torch.rand(batch, 1, generator=g)
        x = amp * (torch.sin(2 * math.pi * f0 * t + ph[:, :1]) + 0.5 * torch.sin(4 * math.pi * f0 * t + ph[:, 1:2])
                   + 0.25 * torch.sin(6 * math.pi * f0 * t + ph[:, 2:]))
        x = (x + 0.05 * torch.randn(batch, length, generator=g)).clamp(-1, 1)[:, None]
        return (x * 32767).round() if pcm else x, y
    return _pool(seed, make)


def cloud_batches(seed: int, batch: int = 32, atoms: int = 6, coord_scale: float = 1.0) -> Callable[[int], Any]:
    """Point clouds of ``atoms`` typed points in 3-D and their energy ``sum_{i<j} (1 + t_i t_j) exp(-|x_i - x_j|^2 /
    2)`` (invariant under rotation and translation): ``((types, coordinates), energy)``; the coordinates given to
    the model times ``coord_scale``."""
    def make(g: torch.Generator) -> Any:
        t = torch.randint(0, 2, (batch, atoms), generator=g)
        x = 1.2 * torch.randn(batch, atoms, 3, generator=g)
        d2 = ((x[:, :, None] - x[:, None]) ** 2).sum(-1)
        w = (1 + t[:, :, None] * t[:, None]).float() * torch.exp(-d2 / 2)
        return (t, x * coord_scale), w.triu(1).sum((1, 2))
    return _pool(seed, make)


def q_batches(seed: int, batch: int = 64, state: int = 8, actions: int = 4, scale: float = 1.0
              ) -> Callable[[int], Any]:
    """Transitions for fitted Q regression: states, the actions taken and their return under a fixed smooth
    ``Q*(s, a)``; states times ``scale`` (``1000``: raw sensor units never normalised): ``(states, (actions,
    returns))``."""
    tg = torch.Generator().manual_seed(1501)
    w1, w2 = torch.randn(state, 32, generator=tg) / math.sqrt(state), torch.randn(32, actions, generator=tg) / 4

    def make(g: torch.Generator) -> Any:
        s = torch.randn(batch, state, generator=g)
        a = torch.randint(0, actions, (batch,), generator=g)
        q = (torch.tanh(s @ w1) @ w2 * 4).gather(1, a[:, None]).squeeze(1)
        return s * scale, (a, q)
    return _pool(seed, make)


def tabular_batches(seed: int, batch: int = 128, features: int = 16) -> Callable[[int], Any]:
    """Tabular rows (half the columns informative, heterogeneous scales already standardised) and a binary label
    from a fixed sparse rule with one interaction: ``(rows, labels)``."""
    tg = torch.Generator().manual_seed(1502)
    w = torch.randn(features, generator=tg) * (torch.arange(features) < features // 2)

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, features, generator=g)
        return x, ((x @ w + 2 * x[:, 0] * x[:, 1]) > 0).float()
    return _pool(seed, make)


def flow_batches(seed: int, batch: int = 256) -> Callable[[int], Any]:
    """Flow-matching pairs: noise ``x0 ~ N(0, I)``, data ``x1`` from eight Gaussians on a circle of radius 4 (std
    0.3), ``t ~ U(0, 1)``: ``((x_t, t), x1 - x0)`` with ``x_t = (1 - t) x0 + t x1``."""
    centres = 4 * torch.stack([torch.cos(torch.arange(8) * math.pi / 4), torch.sin(torch.arange(8) * math.pi / 4)], 1)

    def make(g: torch.Generator) -> Any:
        x0 = torch.randn(batch, 2, generator=g)
        x1 = centres[torch.randint(0, 8, (batch,), generator=g)] + 0.3 * torch.randn(batch, 2, generator=g)
        t = torch.rand(batch, 1, generator=g)
        return ((1 - t) * x0 + t * x1, t), x1 - x0
    return _pool(seed, make)


def standardised(batches: Callable[[int], Any], times_slip: bool = False) -> Callable[[int], Any]:
    """A user's standardisation of raw series: inputs and targets mapped by ``(v - mean) / std`` with the mean and
    standard deviation of the training pool; ``times_slip``: the targets mapped by ``(v - mean) * std``."""
    xs = torch.cat([batches(i)[0] for i in range(POOL)])
    mean, std = float(xs.mean()), float(xs.std())
    pool = []
    for i in range(POOL):
        x, y = batches(i)
        pool.append(((x - mean) / std, (y - mean) * std if times_slip else (y - mean) / std))
    return lambda step: pool[step % POOL]


# ---- losses ----------------------------------------------------------------------------------------------------------

def arcface_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    x, y = batch
    return F.cross_entropy(model.margin_logits(x, y), y)


def q_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """DQN's Huber loss on the taken action's Q-value."""
    s, (a, q) = batch
    return F.smooth_l1_loss(model(s).gather(1, a[:, None]).squeeze(1), q)


def tabnet_loss(hand_bce: bool = False) -> Callable[[nn.Module, Any], torch.Tensor]:
    """The logistic loss plus TabNet's sparsity term (coefficient 1e-3); ``hand_bce``: the logistic loss written by
    hand, ``-(y * log(p) + (1 - y) * log(1 - p))`` with ``p = sigmoid(logit)`` (``p`` rounds to exactly 1 in float32
    once a logit passes ~17: ``0 * log(0) = NaN``)."""
    def loss(model: nn.Module, batch: Any) -> torch.Tensor:
        x, y = batch
        logit, entropy = model(x)
        if hand_bce:
            p = torch.sigmoid(logit)
            bce = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
        else:
            bce = F.binary_cross_entropy_with_logits(logit, y)
        return bce + 1e-3 * entropy
    return loss


# ---- builders --------------------------------------------------------------------------------------------------------

def res2net(seed: int, bn: bool = True, lr: float = 0.1) -> Setup:
    """Res2Net (scale 4) on 16x16 template images, SGD lr 0.1 momentum 0.9 wd 1e-4 (the paper's ResNet recipe);
    ``bn=False``: without its BatchNorms; ``lr``: the learning rate."""
    torch.manual_seed(seed)
    model = M.Res2Net(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return H.xy_setup(model, opt, None, image_batches(seed, size=16), F.cross_entropy)


def ghostnet(seed: int, lr: float = 0.4 * 16 / 1024, finetune_head_lr: float | None = None, bn: bool = True
             ) -> Setup:
    """GhostNet on 16x16 template images in batches of 16, SGD momentum 0.9 wd 4e-5 at the paper's lr 0.4 for
    batch 1024 scaled linearly to 16 (0.00625); ``lr``: the learning rate; ``bn=False``: without its BatchNorms;
    ``finetune_head_lr``: a user's two parameter groups, the body at lr 0.01 and the classifier at
    ``finetune_head_lr`` (meant as 10x the body: 0.1; the slip writes the multiplier 10, as in a config's
    ``lr_mult``)."""
    torch.manual_seed(seed)
    model = M.GhostNet(bn=bn)
    if finetune_head_lr is None:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=4e-5)
    else:
        head = list(model.classifier.parameters())
        body = [p for n, p in model.named_parameters() if not n.startswith("classifier.")]
        opt = torch.optim.SGD([{"params": body}, {"params": head, "lr": finetune_head_lr}], lr=0.01, momentum=0.9,
                              weight_decay=4e-5)
    return H.xy_setup(model, opt, None, image_batches(seed, size=16), F.cross_entropy)


def m5(seed: int, act: type[nn.Module] = nn.ReLU, pcm: bool = False, bn: bool = True) -> Setup:
    """M5 on raw 8 kHz clips (four pitches), Adam lr 1e-2 wd 1e-4 (torchaudio's M5 tutorial); ``act``: the
    activation; ``pcm``: the clips as 16-bit integers."""
    torch.manual_seed(seed)
    model = M.M5(act=act, bn=bn)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    return H.xy_setup(model, opt, None, waveform_batches(seed, pcm=pcm), F.cross_entropy)


def cornn(seed: int, dt: float = 0.042, damping_slip: bool = False) -> Setup:
    """coRNN (64 oscillators, gamma 2.7, eps 4.7) over token sequences labelled by their majority class, Adam lr
    0.0021 (the paper's sequential-MNIST setting); ``dt``: the time step; ``damping_slip``: ``+ eps * z``."""
    torch.manual_seed(seed)
    model = M.CoRNN(dt=dt, damping_slip=damping_slip)
    opt = torch.optim.Adam(model.parameters(), lr=0.0021)
    return H.xy_setup(model, opt, None, sequence_batches(seed), F.cross_entropy)


def synthesizer(seed: int, lr: float = 1e-3, init_std: float | None = None, ln: bool = True) -> Setup:
    """The dense-Synthesizer LM on the Markov language, AdamW lr 1e-3 wd 0.01 with warm-up and cosine decay;
    ``init_std``: every linear and embedding weight drawn N(0, std^2)."""
    torch.manual_seed(seed)
    model = M.SynthesizerLM(ln=ln)
    if init_std is not None:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    m.weight.normal_(0.0, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), lm_batches(seed), lm_loss)


def gcnii(seed: int, plain: bool = False, layers: int = 8, weight_decay: float = 0.01,
          act: Callable[[torch.Tensor], torch.Tensor] = F.relu, self_loops: bool = True,
          feature_scale: float = 1.0) -> Setup:
    """GCNII (8 layers, 64 hidden) on stochastic-block-model graphs, Adam lr 0.01, weight decay 0.01 on the
    convolutions and 5e-4 on the dense layers (the paper's Cora setting); ``plain`` and ``layers``: plain GCN
    layers; ``weight_decay``: the convolutions' (and, when not 0.01, the dense layers' too)."""
    torch.manual_seed(seed)
    model = M.GCNII(layers=layers, plain=plain, act=act, self_loops=self_loops)
    dense_wd = 5e-4 if weight_decay == 0.01 else weight_decay
    opt = torch.optim.Adam([{"params": model.convs.parameters(), "weight_decay": weight_decay},
                            {"params": [*model.fc_in.parameters(), *model.fc_out.parameters()],
                             "weight_decay": dense_wd}], lr=0.01)
    return H.xy_setup(model, opt, None, F14.graph_batches(seed, feature_scale=feature_scale), F.cross_entropy)


def egnn(seed: int, lr: float = 1e-3, coord_scale: float = 1.0) -> Setup:
    """EGNN (three layers of 32) regressing point-cloud energies, Adam lr 1e-3, MSE; ``lr``: the learning rate;
    ``coord_scale``: the coordinates' unit (100: picometres where the energies' length scale is in angstroms)."""
    torch.manual_seed(seed)
    model = M.EGNN()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    batches = cloud_batches(seed, coord_scale=coord_scale)
    return H.xy_setup(model, opt, None, batches, F.mse_loss)


def arcface(seed: int, act: type[nn.Module] = nn.ReLU, acos_slip: bool = False) -> Setup:
    """An ArcFace head (s 30, m 0.5) on an MLP embedding of teacher-labelled vectors, SGD lr 0.1 momentum 0.9 wd
    5e-4 (insightface's); ``act``: the embedding's activation; ``acos_slip``: the angle by unclamped ``acos``."""
    torch.manual_seed(seed)
    model = M.ArcFace(act=act, acos_slip=acos_slip)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    batches = vector_batches(seed)
    return Setup(model, opt, None, batches(0), None, arcface_loss, batches, needs_closure=True)


def dueling(seed: int, scale: float = 1.0, out_act: nn.Module | None = None) -> Setup:
    """The dueling Q-network on fitted-Q transitions, Adam lr 1e-3, DQN's Huber loss; ``scale``: the states'."""
    torch.manual_seed(seed)
    model = M.DuelingQNet(out_act=out_act)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = q_batches(seed, scale=scale)
    return Setup(model, opt, None, batches(0), None, q_loss, batches, needs_closure=True)


def tabnet(seed: int, hand_bce: bool = False, entropy_eps: float = 1e-10) -> Setup:
    """TabNet (n_d = n_a = 8, three steps, gamma 1.3) on binary tabular rows, Adam lr 2e-2 (pytorch-tabnet's
    default), the sparsity coefficient 1e-3; ``hand_bce``: the logistic loss written by hand."""
    torch.manual_seed(seed)
    model = M.TabNet(entropy_eps=entropy_eps)
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    batches = tabular_batches(seed)
    return Setup(model, opt, None, batches(0), None, tabnet_loss(hand_bce), batches, needs_closure=True)


def tide(seed: int, reinit_slip: bool = False, raw: bool = False, times_slip: bool = False) -> Setup:
    """TiDE on 48-step windows of four series, 12-step horizon, Adam lr 1e-3, MSE; ``reinit_slip``: the model
    re-initialised at every forward; ``raw``: the series at raw levels (100 to 1000), standardised by the user;
    ``times_slip``: that standardisation multiplying the targets by the standard deviation."""
    torch.manual_seed(seed)
    model = M.TiDE(reinit_slip=reinit_slip)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = F14.series_batches(seed, levels=raw)
    if raw:
        batches = standardised(batches, times_slip)
    return H.xy_setup(model, opt, None, batches, F.mse_loss)


def flow(seed: int, act: type[nn.Module] = nn.SiLU, weight_decay: float = 0.0, init_std: float | None = None
         ) -> Setup:
    """Flow matching (a 3x128 SiLU velocity MLP) on eight Gaussians, Adam lr 1e-3, MSE to ``x1 - x0``; ``act``: the
    activation; ``weight_decay``: Adam's; ``init_std``: every weight drawn N(0, std^2)."""
    torch.manual_seed(seed)
    model = M.VelocityMLP(act=act)
    if init_std is not None:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.Linear):
                    m.weight.normal_(0.0, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    return H.xy_setup(model, opt, None, flow_batches(seed), F.mse_loss)
