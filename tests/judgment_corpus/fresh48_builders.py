"""Builders of the forty-ninth held-out batch (``fresh48.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh48_models as M
from . import fresh48_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(480_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(4800 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL, g: torch.Generator | None = None
          ) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator (or ``g``), cycled."""
    g = _gen(seed) if g is None else g
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _shuffle(g: torch.Generator, y: torch.Tensor, shuffled: bool) -> torch.Tensor:
    return y[torch.randperm(y.shape[0], generator=g)] if shuffled else y


# ---- data ------------------------------------------------------------------------------------------------------------

def keywords(seed: int, batch: int = 32, classes: int = 8, mels: int = 20, length: int = 24, shuffled: bool = False
             ) -> Callable[[int], Any]:
    """Mel power spectrograms of 24 frames and 20 mel bands, as a speech-commands loader gives them: each keyword (8
    classes) a fixed sequence of four phones of 5 frames, each phone three fixed bands raised by 2 in log power, said
    at a random onset (0 to 4) and a random loudness (0.7 to 1.3), over N(0, 0.5^2) log-power noise; every clip is
    shorter than the window, its recording ending 0 to 4 frames after the keyword, and is zero-padded to 24 frames
    (the padded frames' power is exactly 0): ``(mel power (b, 24, 20), keyword (b,))``. ``shuffled``: the keywords
    permuted within every batch, apart from their spectrograms."""
    fg = _fixed(1)
    phones = torch.zeros(classes, 4, mels)
    for c in range(classes):
        for p in range(4):
            phones[c, p, torch.randperm(mels, generator=fg)[:3]] = 2.0
    word = phones.repeat_interleave(5, 1)  # classes, 20, mels

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = 0.5 * torch.randn(batch, length, mels, generator=g)
        onset = torch.randint(0, length - 20 + 1, (batch,), generator=g)
        end = onset + 20 + torch.randint(0, 5, (batch,), generator=g)
        loud = 0.7 + 0.6 * torch.rand(batch, generator=g)
        for i in range(batch):
            x[i, onset[i]:onset[i] + 20] += loud[i] * word[y[i]]
        power = torch.where(torch.arange(length)[None, :, None] < end[:, None, None], x.exp(), torch.zeros(()))
        return power, _shuffle(g, y, shuffled)
    return _pool(seed, make)


def sbm_graph(seed: int, n: int = 300, classes: int = 4, features: int = 32, normalise: bool = True
              ) -> tuple[torch.Tensor, ...]:
    """A stochastic block model graph (4 classes of 75 nodes, edge probabilities 0.06 within a class and 0.004 across),
    its symmetric-normalised adjacency without self-loops ``D^-1/2 A D^-1/2`` (PyTorch Geometric's ``gcn_norm`` with
    ``add_self_loops=False``, the inverse square root of a zero degree set to 0), weak node features (the class's fixed
    mean direction times 0.3 plus N(0, 1) noise, 32 dimensions) and the labels; the first half of a fixed random
    order is the training set: ``(normalised adjacency, features, labels, train mask)``. ``normalise=False``: the raw
    adjacency ``A``, its ``D^-1/2 ... D^-1/2`` left out."""
    g = _gen(seed)
    y = torch.arange(n) % classes
    p = torch.where(y[:, None] == y[None], 0.06, 0.004)
    a = (torch.rand(n, n, generator=g) < p).float().triu(1)
    a = a + a.T
    dis = a.sum(1).pow(-0.5)
    dis = dis.masked_fill(torch.isinf(dis), 0.0)
    means = torch.randn(classes, features, generator=_fixed(2))
    x = 0.3 * means[y] + torch.randn(n, features, generator=g)
    train = torch.zeros(n, dtype=torch.bool)
    train[torch.randperm(n, generator=g)[: n // 2]] = True
    return (dis[:, None] * a * dis[None] if normalise else a), x, y, train


def text_pairs(seed: int, batch: int = 64, length: int = 12, vocab: int = 64) -> Callable[[int], Any]:
    """Pairs of texts of 12 tokens over 64 words; half are paraphrases (the second text keeps each word of the first
    with probability 0.6, a random word otherwise, then swaps neighbours at random), half are two unrelated texts:
    ``(pairs (b, 2, 12), paraphrase or not (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        a = torch.randint(0, vocab, (batch, length), generator=g)
        b = torch.where(torch.rand(batch, length, generator=g) < 0.6, a,
                        torch.randint(0, vocab, (batch, length), generator=g))
        idx = torch.arange(length).repeat(batch, 1)
        swap = torch.rand(batch, length // 2, generator=g) < 0.5
        pairs = idx.view(batch, -1, 2)
        idx = torch.where(swap[..., None], pairs.flip(-1), pairs).view(batch, length)
        b = b.gather(1, idx)
        y = torch.randint(0, 2, (batch,), generator=g)
        other = torch.randint(0, vocab, (batch, length), generator=g)
        return torch.stack([a, torch.where(y[:, None] == 1, b, other)], 1), y
    return _pool(seed, make)


def binary_images(seed: int, batch: int = 64, d: int = 64, prototypes: int = 8) -> Callable[[int], Any]:
    """Binary 8x8 images (64 pixels): one of 8 fixed random prototypes with every pixel flipped with probability
    0.05: ``(images, images)``."""
    protos = (torch.rand(prototypes, d, generator=_fixed(3)) < 0.5).float()

    def make(g: torch.Generator, _: int) -> Any:
        x = protos[torch.randint(0, prototypes, (batch,), generator=g)]
        x = torch.where(torch.rand(batch, d, generator=g) < 0.05, 1 - x, x)
        return x, x
    return _pool(seed, make)


def volumes(seed: int, batch: int = 4, size: int = 12) -> Callable[[int], Any]:
    """12^3 scans holding one lesion, a ball of radius 2 to 4 at a random centre (4 to 8 on each axis), brighter by 1
    than a smooth random background (amplitude 0.5), with N(0, 0.4^2) noise: ``(scans (b, 1, 12, 12, 12), lesion
    masks (b, 12, 12, 12))``."""
    grid = torch.stack(torch.meshgrid(*[torch.arange(size).float()] * 3, indexing="ij"))

    def make(g: torch.Generator, _: int) -> Any:
        c = 4 + 4 * torch.rand(batch, 3, 1, 1, 1, generator=g)
        r = 2 + 2 * torch.rand(batch, 1, 1, 1, generator=g)
        mask = (((grid - c) ** 2).sum(1) <= r ** 2).float()
        bg = F.interpolate(torch.randn(batch, 1, 3, 3, 3, generator=g), size=(size,) * 3, mode="trilinear",
                           align_corners=False)
        return 0.5 * bg + mask[:, None] + 0.4 * torch.randn(batch, 1, size, size, size, generator=g), mask
    return _pool(seed, make)


def sits(seed: int, batch: int = 16, classes: int = 8, crops: int = 6, pixels: int = 6, bands: int = 10,
         g: torch.Generator | None = None) -> Callable[[int], Any]:
    """Satellite image time series of parcels: 24 acquisitions at fixed days of the year, 6 pixels a parcel, 10
    spectral bands; each crop (fixed set ``crops``: 6 is the batch's own, 7 a set of new crops for fine-tuning) a
    green-up bump at its own peak day and width, scaled per band by the crop's own band gains, over fixed band bases;
    per parcel a random brightness (+-0.1) and a shift of the peak (+-10 days), per pixel N(0, 0.1^2) noise:
    ``((pixels (b, 24, 6, 10), days (24,)), crop (b,))``."""
    days = torch.sort(torch.rand(24, generator=_fixed(4)) * 365).values
    base = 0.2 + 0.1 * torch.rand(bands, generator=_fixed(5))
    fg = _fixed(crops)
    peak, width = 60 + 240 * torch.rand(classes, generator=fg), 20 + 40 * torch.rand(classes, generator=fg)
    gains = torch.randn(classes, bands, generator=fg) * 0.3

    def make(gen: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=gen)
        shift = 20 * torch.rand(batch, 1, generator=gen) - 10
        bump = torch.exp(-(((days - peak[y][:, None] - shift) / width[y][:, None]) ** 2))  # b, 24
        x = base + bump[..., None] * gains[y][:, None]  # b, 24, bands
        x = x + 0.2 * torch.rand(batch, 1, 1, generator=gen) - 0.1
        x = x[:, :, None] + 0.1 * torch.randn(batch, 24, pixels, bands, generator=gen)
        return (x, days), y
    return _pool(seed, make, g=g)


def contexts(seed: int, batch: int = 64, context: int = 4, vocab: int = 64) -> Callable[[int], Any]:
    """Windows of 5 tokens of the corpus' sparse Markov chain over 64 words: the 4 context words and the next one."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, context + 1, vocab)
        return x[:, :-1], x[:, -1]
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def dice_loss(p: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """V-Net's Dice loss, ``1 - 2 sum(p g) / (sum(p^2) + sum(g^2))`` over the batch's voxels."""
    return 1 - 2 * (p * mask).sum() / ((p ** 2).sum() + (mask ** 2).sum())


# ---- builders --------------------------------------------------------------------------------------------------------

def att_rnn(seed: int, lr: float = 1e-3, recurrent_std: float | None = None, shuffled: bool = False,
            log_eps: bool = True) -> Setup:
    """The attention RNN on the keyword spectrograms (batch 32), cross-entropy, Adam at the paper's lr 1e-3;
    ``recurrent_std``, ``log_eps``: see :class:`~.fresh48_models.AttRNN`; ``shuffled``: see :func:`keywords`."""
    torch.manual_seed(seed)
    model = M.AttRNN(recurrent_std=recurrent_std, log_eps=log_eps)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), keywords(seed, shuffled=shuffled),
               F.cross_entropy)


def arma(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, relu_bias: float | None = None) -> Setup:
    """The ARMA network on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam lr 0.01
    with weight decay 5e-4 (PyTorch Geometric's example); ``relu_bias``: see :class:`~.fresh48_models.ARMA`."""
    torch.manual_seed(seed)
    lap, x, y, train = sbm_graph(seed)
    model = M.ARMA(lap, x.shape[1], 4, relu_bias=relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def tagcn(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, normalise: bool = True) -> Setup:
    """TAGCN on the SBM graph (full batch, the loss over the training half), cross-entropy, Adam lr 0.01 with weight
    decay 5e-4 (PyTorch Geometric's benchmark); ``normalise``: see :func:`sbm_graph`."""
    torch.manual_seed(seed)
    adj, x, y, train = sbm_graph(seed, normalise=normalise)
    model = M.TAGCN(adj, x.shape[1], 4)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lambda step: (x, y), lambda out, t: F.cross_entropy(out[train], t[train]))


def matchpyramid(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, layers: int = 1,
                 relu_bias: float | None = None) -> Setup:
    """MatchPyramid on the text pairs (batch 64), cross-entropy, Adam at MatchZoo's lr 1e-3; ``weight_decay``:
    Adam's (coupled L2); ``layers``, ``relu_bias``: see :class:`~.fresh48_models.MatchPyramid`."""
    torch.manual_seed(seed)
    model = M.MatchPyramid(layers=layers, relu_bias=relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, text_pairs(seed), F.cross_entropy)


def vamp_vae(seed: int, lr: float = 5e-4, weight_decay: float = 0.0) -> Setup:
    """The VampPrior VAE on the binary images (batch 64), the negative ELBO in nats a image, Adam at the paper's lr
    5e-4 (its KL warm-up left out)."""
    torch.manual_seed(seed)
    model = M2.VampVAE()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, binary_images(seed), lambda nelbo, _: nelbo.mean())


def vnet(seed: int, lr: float = 0.1, bn: bool = True) -> Setup:
    """V-Net on the lesion scans (batch 4), the Dice loss (the paper's), SGD at the vnet.pytorch reference's lr 0.1,
    momentum 0.99 and weight decay 1e-8; ``bn``: see :class:`~.fresh48_models2.VNet`."""
    torch.manual_seed(seed)
    model = M2.VNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.99, weight_decay=1e-8)
    return _xy(model, opt, volumes(seed), dice_loss)


def ltae(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """PSE + L-TAE on the parcels' series (batch 32, 6 crops), cross-entropy, Adam at the paper's lr 1e-3;
    ``weight_decay``: Adam's (coupled L2)."""
    torch.manual_seed(seed)
    model = M2.LTAE(classes=6)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, sits(seed, classes=6), F.cross_entropy)


def nplm(seed: int, lr: float = 0.5, weight_decay: float = 1e-4, zero_init: bool = False) -> Setup:
    """The NPLM on the Markov windows (batch 64), cross-entropy, SGD at lr 0.5 (set here: the paper's 1e-3 is a
    per-example lr) with the paper's weight decay 1e-4; ``zero_init``: see :class:`~.fresh48_models2.NPLM`."""
    torch.manual_seed(seed)
    model = M2.NPLM(zero_init=zero_init)
    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, contexts(seed), F.cross_entropy)


def ltae_finetune(seed: int, slip: str | None = None, pretrain: int = 100) -> Setup:
    """PSE + L-TAE pre-trained on the 6 crops of :func:`ltae` (``pretrain`` plain Adam steps at lr 1e-3, then the
    "checkpoint" saved), then fine-tuned as a linear probe on 8 new crops (batches of 8): a fresh model with the
    checkpoint loaded, every parameter frozen (``requires_grad_(False)``), the classifier replaced by a new
    ``Linear(32, 8)`` and only it trained, Adam lr 1e-2 with weight decay 1e-4 (set here).
    ``slip``: ``"optimizer_before_head"``: the optimizer built over the trainable parameters (the old classifier,
    unfrozen for the probe) before the new one replaced it; ``"head_frozen"``: the new head zero-initialised (the
    fine-tuning habit) and the freeze written ``requires_grad_(not name.startswith("decoder.3"))``, which freezes
    the head and leaves the rest trainable; ``"imprint"``: the new head's weights imprinted (Qi et al. 2018: each
    crop's mean feature, normalised) from the first fine-tuning batch, which holds only some of the 8 crops (the
    mean of no rows is NaN); ``"hook_freeze"``: the backbone frozen by gradient hooks that zero its gradients,
    ``p.register_hook(torch.zeros_like)``, and the optimizer built over ``model.parameters()`` (Adam's L2 term
    ``1e-4 * p`` is then every backbone weight's whole gradient, normalised by Adam into a step of about the lr
    towards zero)."""
    torch.manual_seed(seed)
    model = M2.LTAE(classes=6)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    source = sits(seed, classes=6)
    for step in range(pretrain):
        opt.zero_grad()
        F.cross_entropy(model(source(step)[0]), source(step)[1]).backward()
        opt.step()
    ckpt = {"model": {k: v.clone() for k, v in model.state_dict().items()}, "step": pretrain}
    torch.manual_seed(seed + 1)
    model = M2.LTAE(classes=6)
    model.load_state_dict(ckpt["model"])
    target = sits(seed, batch=8, classes=8, crops=7, g=torch.Generator().manual_seed(480_100 + seed))
    if slip != "hook_freeze":
        for p in model.parameters():
            p.requires_grad_(False)
        model.decoder[3].requires_grad_(True)
    if slip == "optimizer_before_head":
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2, weight_decay=1e-4)
    model.decoder[3] = nn.Linear(32, 8)
    if slip == "head_frozen":
        nn.init.zeros_(model.decoder[3].weight)
        nn.init.zeros_(model.decoder[3].bias)
        for name, p in model.named_parameters():
            p.requires_grad_(not name.startswith("decoder.3"))
    if slip == "imprint":
        with torch.no_grad():
            (x, days), y = target(0)
            f = F.relu(model.decoder[1](model.decoder[0](model.features(x, days))))
            w = torch.stack([f[y == c].mean(0) for c in range(8)])
            model.decoder[3].weight.copy_(w / w.norm(dim=1, keepdim=True))
    if slip == "hook_freeze":
        for name, p in model.named_parameters():
            if not name.startswith("decoder.3"):
                p.register_hook(torch.zeros_like)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    elif slip != "optimizer_before_head":
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2, weight_decay=1e-4)
    return _xy(model, opt, target, F.cross_entropy)
