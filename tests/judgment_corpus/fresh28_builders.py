"""Builders of the twenty-ninth held-out batch (``fresh28.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh28_models as M
from . import fresh28_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(280_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(2800 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _smooth(g: torch.Generator, n: int, c: int, coarse: int, size: int, mode: str = "bilinear") -> torch.Tensor:
    corners = {} if mode == "nearest" else {"align_corners": False}
    return F.interpolate(torch.randn(n, c, coarse, coarse, generator=g), size=(size, size), mode=mode, **corners)


# ---- data ------------------------------------------------------------------------------------------------------------

def lm(seed: int, batch: int = 16, length: int = 33) -> Callable[[int], Any]:
    """The corpus' sparse Markov language (64 tokens): ``(inputs (b, 32), next tokens)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def documents(seed: int, batch: int = 32, length: int = 20, vocab: int = 32, per_shard_vocab: bool = False
              ) -> Callable[[int], Any]:
    """Token sequences labelled by their most frequent class (``word % 4``). ``per_shard_vocab``: each batch's
    (shard's) words mapped to ids by its own vocabulary, built as ``{w: i for i, w in enumerate(set(words))}`` (a
    set's order differs between shards and processes): the same word has another id in every batch."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        y = F.one_hot(x % 4, 4).sum(1).argmax(1)
        if per_shard_vocab:
            x = torch.randperm(vocab, generator=g)[x]
        return x, y
    return _pool(seed, make)


def interactions(seed: int, batch: int = 32, window: int = 5, shuffle_targets: bool = False) -> Callable[[int], Any]:
    """Users' item sequences from the Markov chain over 64 items: ``((last 5 items, user), next item)``;
    ``shuffle_targets``: the next items permuted against the windows."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, window + 1, 64)
        y = x[:, -1]
        if shuffle_targets:
            y = y[torch.randperm(batch, generator=g)]
        return (x[:, :-1], torch.randint(0, 50, (batch,), generator=g)), y
    return _pool(seed, make)


def clicks(seed: int, batch: int = 64) -> Callable[[int], Any]:
    """Click logs: user (100), the user's segment (``user % 10``), item (200; of the segment's category 40% of the
    time), its category (``item % 10``), hour (24), device (3); clicked with probability ``sigmoid(3 (2 match - 1) +
    1.2 [night and device 2] - 0.2)``: ``(ids (b, 6), click)``."""
    def make(g: torch.Generator, _: int) -> Any:
        user, hour, dev = (torch.randint(0, n, (batch,), generator=g) for n in (100, 24, 3))
        match = torch.rand(batch, generator=g) < 0.4
        item = torch.where(match, 10 * torch.randint(0, 20, (batch,), generator=g) + user % 10,
                           torch.randint(0, 200, (batch,), generator=g))
        m = (item % 10 == user % 10).float()
        logit = 3.0 * (2 * m - 1) + 1.2 * ((hour < 6) & (dev == 2)).float() - 0.2
        y = (torch.rand(batch, generator=g) < torch.sigmoid(logit)).float()
        return torch.stack([user, user % 10, item, item % 10, hour, dev], 1), y
    return _pool(seed, make)


def episodes(seed: int, episodes: int = 4, way: int = 5, shot: int = 5, queries: int = 5, tiled_labels: bool = False
             ) -> Callable[[int], Any]:
    """Few-shot episodes: 20 classes, each a fixed prototype in 8 informative dimensions (times 1.5) among 24
    nuisance dimensions of std 2, unit noise; each episode draws 5 classes, 5 support and 5 query examples of each
    (labelled 0..4 in the episode's order): ``((support x, support y, query x), query y)``. ``tiled_labels``: the
    support labels built by ``torch.arange(way).repeat(shot)`` (0, 1, 2, 3, 4, 0, 1, ...) where the supports are
    stacked class by class and ``repeat_interleave`` (0, 0, 0, 0, 0, 1, ...) belongs: each class's five supports carry
    the five labels."""
    protos = 1.5 * torch.randn(20, 8, generator=_fixed(1))

    def sample(g: torch.Generator, cls: torch.Tensor, n: int) -> torch.Tensor:
        inf = protos[cls].repeat_interleave(n, 0) + torch.randn(len(cls) * n, 8, generator=g)
        return torch.cat([inf, 2.0 * torch.randn(len(cls) * n, 24, generator=g)], 1)

    def make(g: torch.Generator, _: int) -> Any:
        sx, sy, qx, qy = [], [], [], []
        for _ in range(episodes):
            cls = torch.randperm(20, generator=g)[:way]
            sx.append(sample(g, cls, shot))
            qx.append(sample(g, cls, queries))
            sy.append(torch.arange(way).repeat(shot) if tiled_labels else torch.arange(way).repeat_interleave(shot))
            qy.append(torch.arange(way).repeat_interleave(queries))
        return (torch.stack(sx), torch.stack(sy), torch.stack(qx)), torch.cat(qy)
    return _pool(seed, make)


def graphs(seed: int, batch: int = 32, nmax: int = 16) -> Callable[[int], Any]:
    """Graphs of 4..16 nodes of four classes: node features ``0.7 template[class] + N(0, 1)`` (8-d), edges with
    probability ``0.15 + 0.1 class``: ``((features, adjacency, node mask), class)``."""
    templates = torch.randn(4, 8, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        n = torch.randint(4, nmax + 1, (batch,), generator=g)
        mask = (torch.arange(nmax)[None] < n[:, None]).float()
        x = (0.7 * templates[y][:, None] + torch.randn(batch, nmax, 8, generator=g)) * mask[..., None]
        p = (0.15 + 0.1 * y.float())[:, None, None]
        a = (torch.rand(batch, nmax, nmax, generator=g) < p).float().triu(1)
        a = (a + a.transpose(1, 2)) * mask[:, :, None] * mask[:, None, :]
        return (x, a, mask), y
    return _pool(seed, make)


def noisy_patches(seed: int, batch: int = 8, size: int = 16, sigma: float = 0.3, independent_crops: bool = False,
                  target_first: bool = False) -> Callable[[int], Any]:
    """Denoising pairs: smooth images of 24x24 (a 6x6 field, bilinear) with Gaussian noise sigma 0.3, random 16x16
    patches cropped at the same place from the noisy and the clean image: ``(noisy, clean)``. ``independent_crops``:
    the two patches cropped by two separate ``RandomCrop`` calls (each at its own random place). ``target_first``: the
    dataset's ``__getitem__`` returns ``(clean, noisy)``, the order of another repository's loader, unpacked as
    ``noisy, clean``: the model is fed clean patches and asked for noisy ones."""
    def make(g: torch.Generator, _: int) -> Any:
        clean = _smooth(g, batch, 1, 6, 24)
        noisy = clean + sigma * torch.randn(clean.shape, generator=g)
        off = torch.randint(0, 24 - size + 1, (2, batch, 2), generator=g)
        which = (0, 1 if independent_crops else 0)
        pick = [torch.stack([img[i, :, off[c][i, 0]:off[c][i, 0] + size, off[c][i, 1]:off[c][i, 1] + size]
                             for i in range(batch)]) for img, c in zip((noisy, clean), which, strict=True)]
        return (pick[1], pick[0]) if target_first else (pick[0], pick[1])
    return _pool(seed, make)


def images(seed: int, batch: int = 32, size: int = 16) -> Callable[[int], Any]:
    """Class-template images (10 classes, 3x16x16, a fixed smooth template each) plus noise 0.7."""
    templates = _smooth(_fixed(3), 10, 3, 4, size)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return templates[y] + 0.7 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def scenes(seed: int, batch: int = 16, size: int = 16, channels_last_view: bool = False) -> Callable[[int], Any]:
    """Segmentation scenes: a background, a square (class 1) and a disk (class 2) of random sizes and places, each
    region a fixed colour plus noise 0.5; the pipeline yields channels-last arrays ``(b, 16, 16, 3)``, turned into
    ``(b, 3, 16, 16)`` by ``permute(0, 3, 1, 2)``. ``channels_last_view``: by ``view(b, 3, 16, 16)`` (the memory read
    in the wrong order: each "channel" is a third of the image's rows, every pixel's colour spread across places)."""
    colours = torch.randn(3, 3, generator=_fixed(4))
    grid = torch.arange(size).float()

    def make(g: torch.Generator, _: int) -> Any:
        lab = torch.zeros(batch, size, size, dtype=torch.long)
        for i in range(batch):
            r, c, w = (int(v) for v in torch.randint(0, size - 5, (3,), generator=g))
            lab[i, r:r + 3 + w % 4, c:c + 3 + w % 4] = 1
            cr, cc = (_u(g, 3.0, size - 3.0) for _ in range(2))
            rad = _u(g, 2.0, 4.0)
            lab[i][((grid[:, None] - cr) ** 2 + (grid[None] - cc) ** 2) < rad ** 2] = 2
        img = colours[lab] + 0.5 * torch.randn(batch, size, size, 3, generator=g)  # channels last
        x = img.view(batch, 3, size, size) if channels_last_view else img.permute(0, 3, 1, 2).contiguous()
        return x, lab
    return _pool(seed, make)


def _u(g: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=g))


def pixels(seed: int, batch: int = 1024, size: int = 64) -> Callable[[int], Any]:
    """Gigapixel-task style fitting of one 64x64 RGB image (a 16x16 field upsampled, through a sigmoid): random
    pixel centres in [0, 1]^2 and their colours."""
    img = torch.sigmoid(2 * _smooth(_fixed(5), 1, 3, 16, size))[0].permute(1, 2, 0)  # (64, 64, 3)

    def make(g: torch.Generator, _: int) -> Any:
        ij = torch.randint(0, size, (batch, 2), generator=g)
        return (ij.float() + 0.5) / size, img[ij[:, 0], ij[:, 1]]
    return _pool(seed, make)


def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


# ---- builders --------------------------------------------------------------------------------------------------------

def mlstm(seed: int, lr: float = 1e-3, rec_std: float | None = None) -> Setup:
    """The multiplicative LSTM LM on the Markov language (batch 16), Adam lr 1e-3, gradients clipped at norm 1;
    ``rec_std``: the recurrent weights (``W_mh`` and the gates' ``W_m``) drawn N(0, rec_std^2)."""
    torch.manual_seed(seed)
    model = M.MultiplicativeLSTM()
    if rec_std is not None:
        nn.init.normal_(model.wmh.weight, std=rec_std)
        nn.init.normal_(model.wm.weight, std=rec_std)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), lm(seed), lm_loss, clip=1.0)


def hgrn(seed: int, lr: float = 1e-3, weight_decay: float = 0.01) -> Setup:
    """The HGRN LM on the Markov language (batch 16), AdamW lr 1e-3 betas (0.9, 0.98) weight decay 0.01, gradients
    clipped at norm 1."""
    torch.manual_seed(seed)
    model = M.HGRN()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=weight_decay)
    return _xy(model, opt, lm(seed), lm_loss, clip=1.0)


def gau(seed: int, lr: float = 1e-3, init_std: float | None = None) -> Setup:
    """The GAU (FLASH) LM on the Markov language (batch 16), AdamW lr 1e-3 weight decay 0.01, gradients clipped at
    norm 1; ``init_std``: every Linear and the embedding drawn N(0, init_std^2)."""
    torch.manual_seed(seed)
    model = M.GAULM()
    if init_std is not None:
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    return _xy(model, opt, lm(seed), lm_loss, clip=1.0)


def textrcnn(seed: int, lr: float = 1e-3, per_shard_vocab: bool = False) -> Setup:
    """TextRCNN on majority-class documents (batch 32), cross-entropy, Adam lr 1e-3; ``per_shard_vocab``: see
    :func:`documents`."""
    torch.manual_seed(seed)
    model = M.TextRCNN()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), documents(seed, per_shard_vocab=per_shard_vocab),
               F.cross_entropy)


def caser(seed: int, lr: float = 1e-3, fc_depth: int = 1, shuffle_targets: bool = False) -> Setup:
    """Caser on item sequences (batch 32), softmax cross-entropy over the 64 items (the paper's sampled binary loss
    replaced by the full softmax), Adam lr 1e-3 weight decay 1e-6 (the reference code's)."""
    torch.manual_seed(seed)
    model = M.Caser(fc_depth=fc_depth)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-6)
    return _xy(model, opt, interactions(seed, shuffle_targets=shuffle_targets), F.cross_entropy)


class CompoundingWarmup:
    """A hand-written linear warm-up over ``warmup`` steps that writes ``group["lr"] *= min(1, (step + 1) / warmup)``
    before every step, where ``group["lr"] = base_lr * min(1, ...)`` was meant: the factors compound, and after the
    warm-up the lr stays at ``base_lr * warmup! / warmup ** warmup`` (3.6e-4 of it for 10 steps)."""

    def __init__(self, opt: torch.optim.Optimizer, warmup: int = 10) -> None:
        self.opt, self.warmup, self.t = opt, warmup, 0
        self._apply()

    def _apply(self) -> None:
        for group in self.opt.param_groups:
            group["lr"] *= min(1.0, (self.t + 1) / self.warmup)

    def step(self) -> None:
        self.t += 1
        self._apply()


def afn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, signed_log: bool = False,
        hidden_bias: float | None = None, compounding_warmup: bool = False) -> Setup:
    """AFN on click logs (batch 64), binary cross-entropy, Adam lr 1e-3 (the reference configs'); ``hidden_bias``:
    the MLP's hidden biases set to it; ``compounding_warmup``: see :class:`CompoundingWarmup`."""
    torch.manual_seed(seed)
    model = M.AFN(signed_log=signed_log)
    if hidden_bias is not None:
        with torch.no_grad():
            model.mlp[0].bias.fill_(hidden_bias)
            model.mlp[2].bias.fill_(hidden_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = CompoundingWarmup(opt) if compounding_warmup else None
    return _xy(model, opt, clicks(seed), F.binary_cross_entropy_with_logits, sched=sched)


def matching(seed: int, lr: float = 1e-3, tiled_labels: bool = False) -> Setup:
    """The Matching Network on 5-way 5-shot episodes (4 per batch), the negative log-likelihood of the queries'
    labels, Adam lr 1e-3 (the paper's Adam); ``tiled_labels``: see :func:`episodes`."""
    torch.manual_seed(seed)
    model = M.MatchingNet()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), episodes(seed, tiled_labels=tiled_labels),
               F.nll_loss)


def sagpool(seed: int, lr: float = 5e-4, weight_decay: float = 1e-4, truncate: bool = False) -> Setup:
    """SAGPool (hierarchical) on graphs (batch 32), cross-entropy, Adam lr 5e-4 weight decay 1e-4 (the paper's)."""
    torch.manual_seed(seed)
    model = M.SAGPool(truncate=truncate)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, graphs(seed), F.cross_entropy)


def dncnn(seed: int, lr: float = 1e-3, independent_crops: bool = False, target_first: bool = False) -> Setup:
    """DnCNN on noisy patches (batch 8), the MSE of the denoised patch (residual learning), Adam lr 1e-3 (the
    paper's), orthogonal conv init (the reference PyTorch code's); see :func:`noisy_patches` for the switches."""
    torch.manual_seed(seed)
    model = M2.DnCNN()
    data = noisy_patches(seed, independent_crops=independent_crops, target_first=target_first)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), data, F.mse_loss)


def shake_shake(seed: int, lr: float = 0.05, weight_decay: float = 1e-4, log10_decay: bool = False) -> Setup:
    """Shake-Shake on template images (batch 32), cross-entropy, SGD momentum 0.9 weight decay 1e-4 at the paper's
    lr 0.2 per 128 images (0.05) with cosine decay over the 200 steps. ``log10_decay``: the decay comes from a
    hyper-parameter search that sampled it on a log scale, ``trial.params["weight_decay"] = -4`` (meaning 1e-4), and
    is written raw into every parameter group after the optimizer is built (where ``SGD``'s own check of a negative
    value never runs): a decay of -4 multiplies every weight by 1 + 0.2 per step."""
    torch.manual_seed(seed)
    model = M2.ShakeShake()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    if log10_decay:
        for group in opt.param_groups:
            group["weight_decay"] = math.log10(weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 200)
    return _xy(model, opt, images(seed), F.cross_entropy, sched=sched)


def pyramidnet(seed: int, lr: float = 0.025, bn: bool = True) -> Setup:
    """PyramidNet (alpha 24, six basic units) on template images (batch 32), cross-entropy, SGD Nesterov momentum
    0.9 weight decay 1e-4 at the paper's lr 0.1 per 128 images (0.025); ``bn``: its BatchNorms (without them the
    convs have biases)."""
    torch.manual_seed(seed)
    model = M2.PyramidNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4, nesterov=True)
    return _xy(model, opt, images(seed), F.cross_entropy)


def segnet(seed: int, lr: float = 0.1, bn: bool = True, channels_last_view: bool = False,
           range_test_end: float | None = None) -> Setup:
    """SegNet on scenes (batch 16), per-pixel cross-entropy, SGD lr 0.1 momentum 0.9 (the paper's).
    ``range_test_end``: a hand-written learning-rate range test (Smith 2017) run before training raised every
    group's ``lr`` step by step to this value; it restored the weights from a saved ``state_dict`` but not the
    optimizer's ``lr``, so training runs at the test's last lr."""
    torch.manual_seed(seed)
    model = M2.SegNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    if range_test_end is not None:
        for group in opt.param_groups:
            group["lr"] = range_test_end
    return _xy(model, opt, scenes(seed, channels_last_view=channels_last_view), F.cross_entropy)


def ngp(seed: int, lr: float = 1e-2) -> Setup:
    """The hash-encoding image fit (batches of 1024 pixels), MSE, Adam lr 1e-2 betas (0.9, 0.99) eps 1e-15 (the
    paper's)."""
    torch.manual_seed(seed)
    model = M2.InstantNGP()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99), eps=1e-15)
    return _xy(model, opt, pixels(seed), F.mse_loss)

