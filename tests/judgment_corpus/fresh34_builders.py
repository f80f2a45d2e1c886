"""Builders of the thirty-fifth held-out batch (``fresh34.py``): standard models new to the corpus at their usual
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

from . import fresh34_models as M
from . import fresh34_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(340_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(3400 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _smooth(g: torch.Generator, n: int, c: int, coarse: int, size: int) -> torch.Tensor:
    return F.interpolate(torch.randn(n, c, coarse, coarse, generator=g), size=(size, size), mode="bilinear",
                         align_corners=False)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 16) -> Callable[[int], Any]:
    """Class-template images (10 classes, 3x16x16, a fixed smooth template each) plus noise 0.7: ``(x, class)``."""
    templates = _smooth(_fixed(1), 10, 3, 4, size)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return templates[y] + 0.7 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def low_res(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """Super-resolution pairs: a luminance image (smooth components at 4x4 and 8x8, 16x16), its 2x average-pooled
    copy upscaled again by bicubic interpolation as the input: ``(upscaled (b, 1, 16, 16), image)``."""
    def make(g: torch.Generator, _: int) -> Any:
        hi = _smooth(g, batch, 1, 4, size) + 0.7 * _smooth(g, batch, 1, 8, size)
        lo = F.interpolate(F.avg_pool2d(hi, 2), scale_factor=2.0, mode="bicubic", align_corners=False)
        return lo, hi
    return _pool(seed, make)


def scenes(seed: int, batch: int = 16, size: int = 32, classes: int = 3, stride: int = 2) -> Callable[[int], Any]:
    """Detection scenes: one or two axis-aligned boxes (sides 4 to 10 pixels) of a class colour (3 classes, a fixed
    RGB colour each) on noise 0.2, 32x32; the CenterNet targets at the output stride 2: class heatmaps with a Gaussian
    (sigma = side / 6, in output pixels) around each centre and exactly 1 at it, and at the centre pixels the box size
    and the centre's sub-pixel offset: ``(images, (heatmaps, sizes, offsets, centre mask))``."""
    colours = 1.5 * torch.randn(classes, 3, generator=_fixed(2))
    out = size // stride
    yy, xx = torch.meshgrid(torch.arange(out).float(), torch.arange(out).float(), indexing="ij")

    def make(g: torch.Generator, _: int) -> Any:
        img = 0.2 * torch.randn(batch, 3, size, size, generator=g)
        heat = torch.zeros(batch, classes, out, out)
        sz, off, mask = torch.zeros(batch, 2, out, out), torch.zeros(batch, 2, out, out), torch.zeros(batch, out, out)
        for i in range(batch):
            for _ in range(1 + int(torch.randint(0, 2, (1,), generator=g))):
                c = int(torch.randint(0, classes, (1,), generator=g))
                w, h = (int(v) for v in torch.randint(4, 11, (2,), generator=g))
                x0, y0 = int(torch.randint(0, size - w + 1, (1,), generator=g)), int(
                    torch.randint(0, size - h + 1, (1,), generator=g))
                img[i, :, y0:y0 + h, x0:x0 + w] += colours[c][:, None, None]
                cx, cy = (x0 + w / 2) / stride, (y0 + h / 2) / stride
                ix, iy = min(int(cx), out - 1), min(int(cy), out - 1)
                sigma = max(w, h) / stride / 6
                gauss = torch.exp(-((xx - ix) ** 2 + (yy - iy) ** 2) / (2 * sigma ** 2))
                heat[i, c] = torch.maximum(heat[i, c], gauss)
                heat[i, c, iy, ix] = 1.0
                sz[i, :, iy, ix] = torch.tensor([w / stride, h / stride])
                off[i, :, iy, ix] = torch.tensor([cx - ix, cy - iy])
                mask[i, iy, ix] = 1.0
        return img, (heat, sz, off, mask)
    return _pool(seed, make)


def affinities(seed: int, batch: int = 64, drug_len: int = 32, prot_len: int = 64, units: str = "pkd"
               ) -> Callable[[int], Any]:
    """Compound-protein pairs: SMILES-like strings (32 of 24 symbols) and protein sequences (64 of 20 residues),
    uniform, each with four fixed motifs (bigrams in compounds, trigrams in proteins) planted with probability 0.5;
    the affinity is a fixed bilinear function of the two motif-presence vectors plus noise 0.2, as pKd with mean about
    7.3 and standard deviation about 1.1, then standardised (the training set's mean and std, written as constants):
    ``((drug ids, protein ids), affinity (b,))``. ``units="nM"``: the dissociation constant itself in nanomolar,
    ``Kd = 10^(9 - pKd)`` (about 1 to 1e4), neither log-transformed nor standardised."""
    fg = _fixed(3)
    d_motifs = torch.randint(0, 24, (4, 2), generator=fg)
    p_motifs = torch.randint(0, 20, (4, 3), generator=fg)
    w = torch.randn(4, 4, generator=fg)
    lin_d, lin_p = torch.randn(4, generator=fg), torch.randn(4, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        drug = torch.randint(0, 24, (batch, drug_len), generator=g)
        prot = torch.randint(0, 20, (batch, prot_len), generator=g)
        dp = (torch.rand(batch, 4, generator=g) < 0.5).float()
        pp = (torch.rand(batch, 4, generator=g) < 0.5).float()
        for i in range(batch):
            for k in range(4):
                if dp[i, k]:
                    s = int(torch.randint(0, drug_len - 2, (1,), generator=g))
                    drug[i, s:s + 2] = d_motifs[k]
                if pp[i, k]:
                    s = int(torch.randint(0, prot_len - 3, (1,), generator=g))
                    prot[i, s:s + 3] = p_motifs[k]
        raw = ((dp @ w) * pp).sum(1) + dp @ lin_d + pp @ lin_p
        pkd = 7.0 + 0.4 * raw + 0.2 * torch.randn(batch, generator=g)
        y = 10 ** (9.0 - pkd) if units == "nM" else (pkd - AFF_MEAN) / AFF_STD
        return (drug, prot), y
    return _pool(seed, make)


#: the training set's pKd mean and standard deviation (measured once on 100,000 draws)
AFF_MEAN, AFF_STD = 7.34, 1.14


def clicks(seed: int, batch: int = 64, fields: int = 8, per_field: int = 20) -> Callable[[int], Any]:
    """Click logs: one of 20 values in each of 8 fields (uniform); the click is 1 where a fixed teacher's logit (a
    weight per feature plus factorised pairwise interactions of rank 4) is above 0: ``(values (b, 8), click (b,))``."""
    fg = _fixed(4)
    w = torch.randn(fields, per_field, generator=fg)
    u = torch.randn(fields, per_field, 4, generator=fg) * 0.6

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, per_field, (batch, fields), generator=g)
        wi = w[torch.arange(fields), x]
        ui = u[torch.arange(fields), x]  # (b, fields, 4)
        pair = ((ui.sum(1) ** 2).sum(-1) - (ui ** 2).sum((1, 2))) / 2
        return x, (wi.sum(1) + pair - 2.0 > 0).float()
    return _pool(seed, make)


def masked_items(seed: int, batch: int = 32, length: int = 16, items: int = 64, rate: float = 0.2
                 ) -> Callable[[int], Any]:
    """BERT4Rec's cloze task on item sequences from the corpus' sparse Markov chain over 64 items: ``rate`` (the
    paper's 0.2) of the items replaced by [mask] (id 64), the labels -100 elsewhere: ``(ids (b, 16), labels)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, items)
        m = torch.rand(x.shape, generator=g) < rate
        return torch.where(m, torch.full_like(x, items), x), torch.where(m, x, torch.full_like(x, -100))
    return _pool(seed, make)


def lm(seed: int, batch: int = 16, length: int = 33) -> Callable[[int], Any]:
    """The corpus' sparse Markov language (64 tokens): ``(inputs (b, 32), next tokens)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def sensor_graph(n: int = 16, isolated: bool = True) -> torch.Tensor:
    """A road-sensor graph: 15 sensors at fixed random places in the unit square, weights ``exp(-d^2 / 0.1)``
    thresholded at 0.1 (DCRNN's Gaussian kernel), no self-loops; with ``isolated``, a sixteenth sensor far from the
    others (no neighbours: a zero row)."""
    pos = torch.rand(n, 2, generator=_fixed(5))
    if isolated:
        pos[-1] = torch.tensor([5.0, 5.0])
    a = torch.exp(-torch.cdist(pos, pos) ** 2 / 0.1)
    a = torch.where(a > 0.1, a, torch.zeros_like(a))
    return a.fill_diagonal_(0.0)


def traffic(seed: int, batch: int = 32, history: int = 8, horizon: int = 4, n: int = 16) -> Callable[[int], Any]:
    """Traffic readings on :func:`sensor_graph`: three source sensors carry sinusoids (random phase per sample, fixed
    periods 6, 9 and 13 steps) that spread over the graph, ``x_t = s_t + 0.6 P s_{t-1} + 0.3 P^2 s_{t-2}`` with the
    row-normalised adjacency ``P``, each sensor also its own slower sinusoid, plus noise 0.1: ``(8 past readings (b, 8,
    16), the next 4 (b, 4, 16))``."""
    a = sensor_graph(n) + torch.eye(n)
    p = a / a.sum(1, keepdim=True)
    src = torch.zeros(3, n)
    src[0, 0], src[1, 5], src[2, 10] = 2.0, 2.0, 2.0
    periods = torch.tensor([6.0, 9.0, 13.0])
    own = torch.rand(n, generator=_fixed(6)) * 0.5 + 0.5
    t_all = history + horizon + 2

    def make(g: torch.Generator, _: int) -> Any:
        ph = 2 * math.pi * torch.rand(batch, 3, 1, generator=g)
        t = torch.arange(t_all).float()
        s = (torch.sin(2 * math.pi * t / periods[:, None] + ph)[..., None] * src[None, :, None]).sum(1)  # b, t, n
        s = s + own * torch.sin(2 * math.pi * t[:, None] / 20 + 2 * math.pi * torch.rand(batch, 1, n, generator=g))
        x = s[:, 2:] + 0.6 * s[:, 1:-1] @ p.T + 0.3 * s[:, :-2] @ (p @ p).T
        x = x + 0.1 * torch.randn(x.shape, generator=g)
        return x[:, :history], x[:, history:]
    return _pool(seed, make)


def captions(seed: int, batch: int = 32, length: int = 6, vocab: int = 32) -> Callable[[int], Any]:
    """Captioned class-template images: the first word names the class (word 1 + class), each later word is the
    class's word for that position (``11 + (3 class + t) % 20``) with probability 0.7, else a random one of 11..30;
    the decoder reads <start> (0) and the caption's first five words: ``((image, input words), caption)``."""
    templates = _smooth(_fixed(1), 10, 3, 4, 16)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        img = templates[y] + 0.7 * torch.randn(batch, 3, 16, 16, generator=g)
        t = torch.arange(1, length)
        own = 11 + (3 * y[:, None] + t) % 20
        words = torch.where(torch.rand(batch, length - 1, generator=g) < 0.9, own,
                            torch.randint(11, vocab - 1, (batch, length - 1), generator=g))
        cap = torch.cat([(1 + y)[:, None], words], 1)
        return (img, torch.cat([torch.zeros(batch, 1, dtype=torch.long), cap[:, :-1]], 1)), cap
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def lm_nll(logp: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.nll_loss(logp.reshape(-1, logp.shape[-1]), y.reshape(-1))


def centernet_loss(out: tuple[torch.Tensor, ...], y: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """CenterNet's loss: the penalty-reduced focal loss on the heatmaps (alpha 2, beta 4; the sigmoid clamped to
    [1e-4, 1 - 1e-4] as the reference code's ``_sigmoid``), plus 0.1 times the L1 of the sizes and 1 times the L1 of
    the offsets at the centres, each divided by the number of objects."""
    heat, size, off = out
    gt, gs, go, mask = y
    p = torch.sigmoid(heat).clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    pos_loss = (torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = (torch.log(1 - p) * p ** 2 * (1 - gt) ** 4 * (1 - pos)).sum()
    n = mask.sum()
    reg = (0.1 * ((size - gs).abs() * mask[:, None]).sum() + ((off - go).abs() * mask[:, None]).sum()) / n
    return -(pos_loss + neg_loss) / n + reg


def mse_flat(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """MSE of the ``(b, 1)`` prediction, squeezed, against the ``(b,)`` affinities."""
    return F.mse_loss(pred.squeeze(-1), y)


def mse_broadcast(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``F.mse_loss(pred, y)`` with the ``(b, 1)`` prediction against the ``(b,)`` affinities: broadcast to ``(b,
    b)``, every prediction scored against every target (PyTorch warns, once, and trains)."""
    return F.mse_loss(pred, y)


def sum_mse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The VDSR reference code's loss, ``MSELoss(size_average=False)``: the squared error summed."""
    return F.mse_loss(pred, y, reduction="sum")


def sat_loss(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor, alpha_c: float = 1.0) -> torch.Tensor:
    """Show, Attend and Tell's loss: the words' cross-entropy plus the doubly stochastic attention regulariser
    ``alpha_c * mean((1 - sum_t alpha_ti)^2)``."""
    logits, alphas = out
    return lm_loss(logits, y) + alpha_c * ((1 - alphas.sum(1)) ** 2).mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def mnasnet(seed: int, lr: float = 0.256 * 32 / 4096, bn: bool = True, bn_args_swapped: bool = False,
            decay_as_weight_decay: bool = False) -> Setup:
    """MnasNet on template images (batch 32), cross-entropy, the paper's RMSProp (decay 0.9, momentum 0.9, eps 1e-3,
    weight decay 1e-5) at its lr 0.256 per 4096 images (0.002); ``bn``, ``bn_args_swapped``: see
    :func:`~.fresh34_models._bn`; ``decay_as_weight_decay``: the paper's "RMSProp with decay 0.9" written
    ``RMSprop(..., weight_decay=0.9)``, where PyTorch calls the squared-gradient average's decay ``alpha`` (left at
    its default 0.99)."""
    torch.manual_seed(seed)
    model = M.MnasNet(bn=bn, bn_args_swapped=bn_args_swapped)
    if decay_as_weight_decay:
        opt = torch.optim.RMSprop(model.parameters(), lr=lr, momentum=0.9, eps=1e-3, weight_decay=0.9)
    else:
        opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9, momentum=0.9, eps=1e-3, weight_decay=1e-5)
    return _xy(model, opt, images(seed), F.cross_entropy)


def vdsr(seed: int, lr: float = 0.1, layers: int = 10, default_init: bool = False) -> Setup:
    """VDSR on the 2x super-resolution pairs (batch 16), the reference code's summed squared error, SGD momentum 0.9
    weight decay 1e-4 at the paper's lr 0.1 with the reference code's gradient clipping (norm 0.4); ``layers``,
    ``default_init``: see :class:`~.fresh34_models.VDSR`."""
    torch.manual_seed(seed)
    model = M.VDSR(layers, default_init=default_init)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, low_res(seed), sum_mse, clip=0.4)


def centernet(seed: int, lr: float = 5e-4 * 16 / 128) -> Setup:
    """CenterNet on the box scenes (batch 16), its focal and L1 losses, Adam at the paper's lr 5e-4 per 128 images
    (6.25e-5 for 16)."""
    torch.manual_seed(seed)
    model = M.CenterNet()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), scenes(seed), centernet_loss)


def deepdta(seed: int, lr: float = 1e-3, units: str = "pkd", broadcast: bool = False,
            relu_bias: float | None = None) -> Setup:
    """DeepDTA on the compound-protein affinities (batch 64), MSE, Adam lr 1e-3 (the paper's); ``units``: see
    :func:`affinities`; ``broadcast``: the loss written ``F.mse_loss(model(x), y)`` on the ``(b, 1)`` output (see
    :func:`mse_broadcast`); ``relu_bias``: see :class:`~.fresh34_models.DeepDTA`."""
    torch.manual_seed(seed)
    model = M.DeepDTA(relu_bias=relu_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), affinities(seed, units=units),
               mse_broadcast if broadcast else mse_flat)


def ffm(seed: int, lr: float = 0.2, weight_decay: float = 2e-5) -> Setup:
    """The FFM on the click logs (batch 64), logistic loss, Adagrad at libffm's lr 0.2 with its L2 2e-5 (as
    ``weight_decay``, which adds it to the gradient as libffm does)."""
    torch.manual_seed(seed)
    model = M.FFM()
    opt = torch.optim.Adagrad(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, clicks(seed), F.binary_cross_entropy_with_logits)


def bert4rec(seed: int, lr: float = 3e-3, init_std: float | None = None, decay_steps: int = 200,
             clamp: bool = True) -> Setup:
    """BERT4Rec on the masked item sequences (batch 32 of 16), cross-entropy over the masked items, AdamW weight
    decay 0.01 at lr 3e-3 (three times BERT4Rec-VAE-Pytorch's 1e-3, which learns too little in 200 steps; the
    paper's 1e-4 is for far longer runs) with a 20-step linear
    warm-up and a linear decay to 0 at ``decay_steps`` (``LambdaLR``, as HF's ``get_linear_schedule_with_warmup``);
    ``init_std``: see :class:`~.fresh34_models2.BERT4Rec`; ``clamp=False``: the decay written ``(total - s) /
    (total - warmup)`` without ``max(0.0, ...)``, and ``decay_steps`` 100, the total of the config the scheduler was
    built from, where the run trains 200 steps (from step 100 the lr is negative: AdamW climbs the loss)."""
    torch.manual_seed(seed)
    model = M2.BERT4Rec(init_std=init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)

    def factor(s: int) -> float:
        decay = (decay_steps - s) / (decay_steps - 20)
        return min((s + 1) / 20, max(0.0, decay) if clamp else decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    return _xy(model, opt, masked_items(seed), lm_loss, sched=sched)


def mos(seed: int, lr: float = 20.0, clip: float | None = 0.25, recurrent_std: float | None = None) -> Setup:
    """The mixture-of-softmaxes LSTM LM on the Markov language (batch 16 of 32), NLL of its log-probabilities, SGD at
    the paper's lr 20 with its gradient clipping 0.25 and weight decay 1.2e-6 (no dropout, see the model);
    ``recurrent_std``: see :class:`~.fresh34_models2.MoSLM`."""
    torch.manual_seed(seed)
    model = M2.MoSLM(recurrent_std=recurrent_std)
    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=1.2e-6)
    return _xy(model, opt, lm(seed), lm_nll, clip=clip)


def dcrnn(seed: int, lr: float = 0.01, guard: bool = True, recurrent_std: float | None = None) -> Setup:
    """DCRNN on the sensor readings (batch 32, 8 steps in, 4 out), MAE, Adam at the reference code's lr 0.01 and eps
    1e-3; ``guard``, ``recurrent_std``: see :class:`~.fresh34_models2.DCRNN`."""
    torch.manual_seed(seed)
    model = M2.DCRNN(sensor_graph(), guard=guard, recurrent_std=recurrent_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-3)
    return _xy(model, opt, traffic(seed), F.l1_loss)


def show_attend_tell(seed: int, lr: float = 4e-4) -> Setup:
    """Show, Attend and Tell on the captioned images (batch 32, captions of 6 words), the words' cross-entropy plus
    the doubly stochastic regulariser (alpha_c 1), Adam lr 4e-4 for the decoder and 1e-4 for the encoder (the
    PyTorch tutorial's, sgrvinod's), gradients clipped at 5."""
    torch.manual_seed(seed)
    model = M2.ShowAttendTell()
    enc = list(model.cnn.parameters())
    ids = {id(p) for p in enc}
    dec = [p for p in model.parameters() if id(p) not in ids]
    opt = torch.optim.Adam([{"params": dec, "lr": lr}, {"params": enc, "lr": lr / 4}])
    return _xy(model, opt, captions(seed), sat_loss, clip=5.0)
