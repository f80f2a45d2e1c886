"""Builders of the forty-seventh held-out batch (``fresh46.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on and the hand-written
losses they train with. Written and labelled before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh46_models as M
from . import fresh46_models2 as M2
from ._setup import POOL, Setup, lm_loss, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(460_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(4600 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _smooth(n: int, c: int, size: int, k: int, base: int = 4) -> torch.Tensor:
    return F.interpolate(torch.randn(n, c, base, base, generator=_fixed(k)), size=(size, size), mode="bilinear",
                         align_corners=False)


# ---- data ------------------------------------------------------------------------------------------------------------

def first_token(seed: int, batch: int = 32, length: int = 32, vocab: int = 32, classes: int = 4
                ) -> Callable[[int], Any]:
    """Token sequences of 32 over 32 words, labelled by the class (``token % 4``) of their FIRST token, which the
    model reads only through its state at the last step: ``(tokens (b, 32), class (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        return x, x[:, 0] % classes
    return _pool(seed, make)


def markov_lm(seed: int, batch: int = 16, length: int = 33, vocab: int = 64) -> Callable[[int], Any]:
    """The corpus' sparse Markov language over 64 tokens, sequences of 32 with their next tokens:
    ``(inputs (b, 32), targets (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def ranking(seed: int, batch: int = 32, vocab: int = 128, query: int = 4, doc: int = 16) -> Callable[[int], Any]:
    """Ad-hoc ranking triples: a query of 4 words, a relevant document of 16 words holding 2 to 4 of the query's
    words (the rest uniform), an irrelevant one of 16 uniform words: ``(query + relevant + irrelevant (b, 36), label
    (b,))``, the label being the relevant document's index, always 0 (the healthy hinge does not read it)."""
    def make(g: torch.Generator, _: int) -> Any:
        q = torch.randint(0, vocab, (batch, query), generator=g)
        pos = torch.randint(0, vocab, (batch, doc), generator=g)
        k = torch.randint(2, query + 1, (batch,), generator=g)
        slots = torch.argsort(torch.rand(batch, doc, generator=g), 1)[:, :query]
        for i in range(batch):
            pos[i, slots[i, : k[i]]] = q[i, : k[i]]
        neg = torch.randint(0, vocab, (batch, doc), generator=g)
        return torch.cat([q, pos, neg], 1), torch.zeros(batch, dtype=torch.long)
    return _pool(seed, make)


def two_task_images(seed: int, batch: int = 32, size: int = 16, classes: tuple[int, int] = (5, 4),
                    shuffled: bool = False) -> Callable[[int], Any]:
    """Images carrying two labels: a smooth template of task A's class (5) plus a finer-grained pattern of task B's
    class (4), plus N(0, 0.8^2) noise: ``(images (b, 3, 16, 16), labels (b, 2))``. ``shuffled``: both tasks' labels
    permuted within every batch, apart from their images."""
    ta, tb = _smooth(classes[0], 3, size, 1), 0.7 * _smooth(classes[1], 3, size, 2, base=8)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.stack([torch.randint(0, k, (batch,), generator=g) for k in classes], 1)
        x = ta[y[:, 0]] + tb[y[:, 1]] + 0.8 * torch.randn(batch, 3, size, size, generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def survival(seed: int, batch: int = 128, features: int = 10) -> Callable[[int], Any]:
    """Simulated right-censored survival data: covariates N(0, 1)^10, the true log-risk ``4 (2 x_0 - x_1^2 + x_2 x_3)``,
    event times exponential with rate ``0.1 exp(log-risk)``, censoring times uniform on [0, 30] (about a third of
    the subjects censored): ``(covariates (b, 10), [time, event] (b, 2))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        risk = 4 * (2 * x[:, 0] - x[:, 1] ** 2 + x[:, 2] * x[:, 3])
        t = -torch.log(torch.rand(batch, generator=g)) / (0.1 * risk.exp())
        c = 30 * torch.rand(batch, generator=g)
        return x, torch.stack([torch.minimum(t, c), (t <= c).float()], 1)
    return _pool(seed, make)


def one_class_images(seed: int, batch: int = 64, size: int = 16) -> Callable[[int], Any]:
    """The normal class of a one-class problem: 1x16x16 images, each a random mix of three fixed smooth templates of
    that class plus N(0, 0.3^2) noise: images ``(b, 1, 16, 16)`` (the builder pairs them with the centre)."""
    t = _smooth(3, 1, size, 3)

    def make(g: torch.Generator, _: int) -> Any:
        w = torch.softmax(2 * torch.randn(batch, 3, generator=g), 1)
        return (w[:, :, None, None] * t[None, :, 0]).sum(1, keepdim=True) + 0.3 * torch.randn(
            batch, 1, size, size, generator=g)
    return _pool(seed, make)


def two_views(seed: int, batch: int = 24, size: int = 16, classes: int = 10) -> Callable[[int], Any]:
    """Two augmented views of each of a batch of class-template images (10 classes): each view shifted by up to 2
    pixels (circularly), flipped horizontally with probability 1/2, its brightness scaled in [0.6, 1.4], plus
    N(0, 0.5^2) noise; the views stacked ``[first views; second views]``: ``(views (2b, 3, 16, 16), labels (b,))``."""
    templates = _smooth(classes, 3, size, 4)

    def view(g: torch.Generator, x: torch.Tensor) -> torch.Tensor:
        out = []
        for img in x:
            dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=g))
            img = torch.roll(img, (dy, dx), (1, 2))
            if torch.rand(1, generator=g) < 0.5:
                img = img.flip(2)
            out.append(img * (0.6 + 0.8 * torch.rand(1, generator=g)))
        v = torch.stack(out)
        return v + 0.5 * torch.randn(v.shape, generator=g)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        return torch.cat([view(g, templates[y]), view(g, templates[y])]), y
    return _pool(seed, make)


def masked_images(seed: int, batch: int = 32, size: int = 16, patch: int = 4, ratio: float = 0.6,
                  classes: int = 10) -> Callable[[int], Any]:
    """Images for masked image modelling: one of 10 fixed smooth templates, scaled in [0.5, 1.5], plus N(0, 0.1^2)
    noise, and a random mask of 60% of the 4x4 patches at pixel level (SimMIM's mask ratio): ``(image and mask
    (b, 4, 16, 16), the same)``."""
    templates = _smooth(classes, 3, size, 5)
    n = (size // patch) ** 2

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = templates[y] * (0.5 + torch.rand(batch, 1, 1, 1, generator=g))
        x = x + 0.1 * torch.randn(x.shape, generator=g)
        order = torch.argsort(torch.rand(batch, n, generator=g), 1)
        m = torch.zeros(batch, n)
        m.scatter_(1, order[:, : math.ceil(n * ratio)], 1.0)
        m = m.view(batch, 1, size // patch, size // patch).repeat_interleave(patch, 2).repeat_interleave(patch, 3)
        xm = torch.cat([x, m], 1)
        return xm, xm
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def cox_loss(h: torch.Tensor, target: torch.Tensor, risk_axis: int = 0) -> torch.Tensor:
    """DeepSurv's loss, the negative Cox partial log-likelihood over the batch, averaged over the observed events:
    the subjects sorted by decreasing time, so that each one's risk set is the prefix up to it, ``-sum_{events}
    (h_i - logcumsumexp(h)_i) / #events`` on the ``(b, 1)`` log-risks. ``risk_axis``: the axis of the cumulative
    log-sum-exp (``-1``: the last axis of the ``(b, 1)`` scores, where the subjects' axis 0 belongs: each risk set is
    the subject alone, and every term is ``h_i - h_i = 0``)."""
    t, e = target[:, 0], target[:, 1]
    order = torch.argsort(t, descending=True)
    h, e = h[order], e[order]
    lse = torch.logcumsumexp(h, dim=risk_axis)
    return -((h - lse).squeeze(-1) * e).sum() / e.sum()


def knrm_hinge(scores: torch.Tensor, target: torch.Tensor, label_as_target: bool = False) -> torch.Tensor:
    """K-NRM's pairwise ranking hinge loss, margin 1: ``mean(max(0, 1 - s_relevant + s_irrelevant))``.
    ``label_as_target``: written ``F.margin_ranking_loss(s_relevant, s_irrelevant, target, margin=1)`` with the
    batch's label, the relevant document's index (0), for ``target``, which must be +1 when the first input should
    rank higher (-1 for the reverse): with 0 every term is ``max(0, -0 (s_1 - s_2) + 1) = 1``, whatever the
    scores."""
    if label_as_target:
        return F.margin_ranking_loss(scores[:, 0], scores[:, 1], target.float(), margin=1.0)
    return F.relu(1 - scores[:, 0] + scores[:, 1]).mean()


def two_task_ce(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """The two tasks' cross-entropies, summed with equal weights (the paper's), each written out by hand as
    ``-(one_hot(y) * log_softmax(logits)).sum(1).mean()``."""
    total = torch.zeros(())
    for i, logits in enumerate(out):
        total = total - (F.one_hot(y[:, i], logits.shape[1]) * F.log_softmax(logits, 1)).sum(1).mean()
    return total


def supcon_loss(f: torch.Tensor, labels: torch.Tensor, temperature: float = 0.07, times: bool = False,
                log_ratio: bool = False) -> torch.Tensor:
    """The supervised contrastive loss of the reference code (``SupConLoss``, ``contrast_mode="all"``, base
    temperature 0.07) over the ``(2b, d)`` normalised features of the two views: logits ``f f^T / temperature``
    less their row maximum, the self-contrast masked out of the denominator, ``log_prob = logits - log(sum(exp
    logits))``, averaged over each anchor's positives (the same label, itself left out). ``times``: the logits
    multiplied by the temperature where the division belongs (``f f^T * 0.07``: every logit within +-0.07).
    ``log_ratio``: ``log_prob`` written ``log(exp_logits / exp_logits.sum(1))``, the log of the softmax ratio, where
    the difference of logs belongs (the masked-out self-contrast has ratio 0: ``log 0 = -inf``, and the positives'
    mask is 0 there: ``0 * -inf`` is NaN)."""
    n = f.shape[0]
    lab = labels.repeat(2).view(-1, 1)
    logits = f @ f.T
    logits = logits * temperature if times else logits / temperature
    logits = logits - logits.max(1, keepdim=True).values.detach()
    logits_mask = 1 - torch.eye(n)
    mask = (lab == lab.T).float() * logits_mask
    exp_logits = torch.exp(logits) * logits_mask
    if log_ratio:
        log_prob = torch.log(exp_logits / exp_logits.sum(1, keepdim=True))
    else:
        log_prob = logits - torch.log(exp_logits.sum(1, keepdim=True))
    mean_log_prob_pos = (mask * log_prob).sum(1) / mask.sum(1)
    return -(temperature / 0.07) * mean_log_prob_pos.mean()


def svdd_loss(out: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """One-class Deep SVDD's loss: the mean squared distance of the representations to the centre ``c``."""
    return ((out - c) ** 2).sum(1).mean()


def simmim_loss(rec: torch.Tensor, xm: torch.Tensor) -> torch.Tensor:
    """SimMIM's loss: the L1 reconstruction error on the masked pixels only, ``sum(|x - x_rec| * mask) / (sum(mask)
    + 1e-5) / 3`` (the reference code's)."""
    x, m = xm[:, :3], xm[:, 3:]
    return (F.l1_loss(rec, x, reduction="none") * m).sum() / (m.sum() + 1e-5) / 3


# ---- builders --------------------------------------------------------------------------------------------------------

def _groups(model: nn.Module, ssm: list[nn.Parameter], lr: float, ssm_lr: float, wd: float) -> list[dict]:
    ids = {id(p) for p in ssm}
    rest = [p for p in model.parameters() if id(p) not in ids]
    return [{"params": rest, "lr": lr, "weight_decay": wd}, {"params": ssm, "lr": ssm_lr, "weight_decay": 0.0}]


def s5(seed: int, lr: float = 1e-2, ssm_lr: float = 2e-3, dt_scale: float = 1.0) -> Setup:
    """S5 on the first-token sequences (batch 32 of 32), cross-entropy, AdamW with the reference code's two groups:
    the SSM parameters (the eigenvalues, ``B``, the timescales) at lr 2e-3 without weight decay, the rest at lr
    1e-2 with weight decay 0.04 (values set here); ``dt_scale``: see :class:`~.fresh46_models.S5`."""
    torch.manual_seed(seed)
    model = M.S5(dt_scale=dt_scale)
    opt = torch.optim.AdamW(_groups(model, model.ssm_parameters(), lr, ssm_lr, 0.04))
    return _xy(model, opt, first_token(seed), F.cross_entropy)


def h3(seed: int, lr: float = 1e-3, init_std: float = 0.02) -> Setup:
    """H3 on the Markov language (batch 16 of 32), token cross-entropy, AdamW (betas 0.9, 0.95) at lr 1e-3 with
    weight decay 0.1, the SSM parameters at the same lr without it (the reference code's split; the lr set here);
    ``lr``: the lr of every group; ``init_std``: see :class:`~.fresh46_models.H3`."""
    torch.manual_seed(seed)
    model = M.H3(init_std=init_std)
    opt = torch.optim.AdamW(_groups(model, model.ssm_parameters(), lr, lr, 0.1), betas=(0.9, 0.95))
    return _xy(model, opt, markov_lm(seed), lm_loss)


def knrm(seed: int, lr: float = 3e-3, weight_decay: float = 0.0, log_clamp: bool = True,
         label_as_target: bool = False) -> Setup:
    """K-NRM on the ranking triples (batch 32), the pairwise hinge loss, Adam at lr 3e-3 (set here; the paper's
    1e-3 is slower than 200 steps allow);
    ``weight_decay``: Adam's (coupled L2); ``log_clamp``: see :class:`~.fresh46_models.KNRM`; ``label_as_target``:
    see :func:`knrm_hinge`."""
    torch.manual_seed(seed)
    model = M.KNRM(log_clamp=log_clamp)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, ranking(seed), lambda s, y: knrm_hinge(s, y, label_as_target=label_as_target))


def cross_stitch(seed: int, lr: float = 0.01, weight_decay: float = 5e-4, relu_bias: float | None = None,
                 shuffled: bool = False) -> Setup:
    """The cross-stitch network on the two-task images (batch 32), the two hand-written cross-entropies summed, SGD
    at lr 0.01 (set here: the paper fine-tunes from ImageNet) with momentum 0.9 and weight decay 5e-4 (AlexNet's,
    the paper's base network's); ``relu_bias``: see
    :class:`~.fresh46_models.CrossStitch`; ``shuffled``: see :func:`two_task_images`; ``weight_decay``: SGD's."""
    torch.manual_seed(seed)
    model = M.CrossStitch(relu_bias=relu_bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, two_task_images(seed, shuffled=shuffled), two_task_ce)


def deepsurv(seed: int, lr: float = 3e-3, weight_decay: float = 0.0, layers: int = 2, risk_axis: int = 0) -> Setup:
    """DeepSurv on the simulated survival data (batch 128), the Cox loss, Adam at lr 3e-3 (set here; the reference
    code searched its lr per data set); ``weight_decay``: Adam's (coupled L2); ``layers``: see
    :class:`~.fresh46_models2.DeepSurv`; ``risk_axis``: see :func:`cox_loss`."""
    torch.manual_seed(seed)
    model = M2.DeepSurv(layers=layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, survival(seed),
               lambda h, y: cox_loss(h, y, risk_axis=risk_axis))


def deep_svdd(seed: int, lr: float = 1e-4) -> Setup:
    """One-class Deep SVDD on the normal class's images (batch 64), its loss, Adam at the paper's lr 1e-4 and weight
    decay 5e-7 (the paper's ``lambda / 2``, lambda = 1e-6); the centre ``c`` is the mean output of the initial
    network in eval mode over the first batch, entries closer to 0 than 0.1 moved to +-0.1 (the reference code's
    ``init_center_c``); the paper's autoencoder pretraining is left out."""
    torch.manual_seed(seed)
    model = M2.DeepSVDD()
    images = one_class_images(seed)
    model.eval()
    with torch.no_grad():
        c = model(images(0)).mean(0)
    model.train()
    c[(c.abs() < 0.1) & (c < 0)], c[(c.abs() < 0.1) & (c >= 0)] = -0.1, 0.1
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-7)
    return _xy(model, opt, lambda step: (images(step), c), svdd_loss)


def supcon(seed: int, lr: float = 0.05, bn: bool = True, times: bool = False, log_ratio: bool = False) -> Setup:
    """SupCon on the two views of the class-template images (batch 32, so 64 views), the supervised contrastive
    loss at the reference code's temperature 0.07, SGD at its lr 0.05 (batch 256) with momentum 0.9 and weight
    decay 1e-4; ``bn``: see :class:`~.fresh46_models2.SupConNet`; ``times``, ``log_ratio``: see :func:`supcon_loss`."""
    torch.manual_seed(seed)
    model = M2.SupConNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, two_views(seed), lambda f, y: supcon_loss(f, y, times=times, log_ratio=log_ratio))


def simmim(seed: int, lr: float = 1e-3, init_std: float = 0.02, ln: bool = True) -> Setup:
    """SimMIM on the masked images (batch 32), its masked L1 loss, AdamW (betas 0.9, 0.999) with weight decay 0.05
    at lr 1e-3 (set here: the paper's base lr 8e-4 is for batch 2048); ``init_std``: see
    :class:`~.fresh46_models2.SimMIM`."""
    torch.manual_seed(seed)
    model = M2.SimMIM(init_std=init_std, ln=ln)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), weight_decay=0.05)
    return _xy(model, opt, masked_images(seed), simmim_loss)
