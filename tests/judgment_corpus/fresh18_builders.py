"""Builders of the nineteenth held-out batch (``fresh18.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets and the training pieces (losses,
optimizers) they need. Written and labelled before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh18_models as M
from ._setup import POOL, Setup, with_loss_fn


def _pool(seed: int, make: Callable[[torch.Generator], Any], size: int = POOL) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(180_000 + seed)
    pool = [make(g) for _ in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: torch.optim.Optimizer, sched: Any, batches: Callable[[int], Any],
        loss_fn: Callable[[Any, Any], torch.Tensor], clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _closure(model: nn.Module, opt: torch.optim.Optimizer, sched: Any, batches: Callable[[int], Any],
             loss: Callable[[nn.Module, Any], torch.Tensor], clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), None, loss, batches, clip=clip, needs_closure=True)


def warmup(opt: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over ``steps`` then constant."""
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / steps))


# ---- data ------------------------------------------------------------------------------------------------------------

def _teacher(d: int = 32, classes: int = 10) -> torch.Tensor:
    return torch.randn(d, classes, generator=torch.Generator().manual_seed(1801))


def vectors(seed: int, batch: int = 64, d: int = 32, classes: int = 10) -> Callable[[int], Any]:
    """Gaussian vectors labelled by a fixed random linear teacher (argmax): ``(x, label)``."""
    w = _teacher(d, classes)

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, d, generator=g)
        return x, (x @ w).argmax(1)
    return _pool(seed, make)


def sinusoid_tasks(seed: int, tasks: int = 25, k: int = 10, new_query_task: bool = False) -> Callable[[int], Any]:
    """MAML's sinusoid tasks: amplitude in [0.1, 5], phase in [0, pi], x in [-5, 5]; ``k`` support and ``k`` query
    points per task: ``(xs, ys, xq, yq)`` each ``(tasks, k, 1)``; 200 distinct meta-batches (a meta-learner meets
    new tasks: with 32 cycled batches it could memorise them). ``new_query_task``: the query set drawn by a second
    call of the task sampler (a new amplitude and phase) instead of from the support's task."""
    def task(g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return 0.1 + 4.9 * torch.rand(tasks, 1, 1, generator=g), math.pi * torch.rand(tasks, 1, 1, generator=g)

    def make(g: torch.Generator) -> Any:
        amp, phase = task(g)
        xs, xq = (10 * torch.rand(tasks, k, 1, generator=g) - 5 for _ in range(2))
        if new_query_task:
            amp_q, phase_q = task(g)
        else:
            amp_q, phase_q = amp, phase
        return xs, amp * torch.sin(xs - phase), xq, amp_q * torch.sin(xq - phase_q)
    return _pool(seed, make, 200)


def moving_squares(seed: int, batch: int = 16, frames: int = 8, size: int = 12) -> Callable[[int], Any]:
    """Moving-MNIST in miniature: a bright 3x3 square (soft edges) moving at a constant velocity (1 pixel per frame
    in each axis, random signs) and bouncing off the borders of a 12x12 frame: ``(frames 0..6, frames 1..7)`` of
    shape ``(batch, 7, 1, 12, 12)``, intensities in [0, 1]."""
    grid = torch.arange(size).float()

    def make(g: torch.Generator) -> Any:
        pos = 1 + torch.rand(batch, 2, generator=g) * (size - 3)
        vel = torch.where(torch.rand(batch, 2, generator=g) < 0.5, -1.0, 1.0)
        out = []
        for _ in range(frames):
            r = torch.sigmoid(4 * (1.6 - (grid[None] - pos[:, :1]).abs()))
            c = torch.sigmoid(4 * (1.6 - (grid[None] - pos[:, 1:]).abs()))
            out.append(r[:, :, None] * c[:, None, :])
            pos = pos + vel
            low, high = pos < 1, pos > size - 2
            vel = torch.where(low | high, -vel, vel)
            pos = pos.clamp(1, size - 2)
        seq = torch.stack(out, 1)[:, :, None]
        return seq[:, :-1], seq[:, 1:]
    return _pool(seed, make)


def sort_batches(seed: int, batch: int = 128, n: int = 8, scale: float = 1.0) -> Callable[[int], Any]:
    """Sorting: ``n`` values uniform in [0, 1] (times ``scale``), the target their ascending order:
    ``((values, order), order)``."""
    def make(g: torch.Generator) -> Any:
        x = torch.rand(batch, n, generator=g)
        order = x.argsort(1)
        return (x * scale, order), order
    return _pool(seed, make)


def story_batches(seed: int, batch: int = 32, people: int = 4, places: int = 6, sentences: int = 8
                  ) -> Callable[[int], Any]:
    """bAbI task 1 in miniature: a story of 8 sentences "<person> went <place>" (ids: 1 pad-free 'went', 2-5
    people, 6-11 places; 0 'where', 'is' shares id 1), the query "where is <person>" for a person in the story; the
    answer the place of that person's last sentence (a vocabulary id): ``((story, query), answer)``."""
    def make(g: torch.Generator) -> Any:
        who = torch.randint(0, people, (batch, sentences), generator=g)
        where = torch.randint(0, places, (batch, sentences), generator=g)
        story = torch.stack([who + 2, torch.ones_like(who), where + 6], -1)
        ask = who[torch.arange(batch), torch.randint(0, sentences, (batch,), generator=g)]
        last = torch.where(who == ask[:, None], torch.arange(sentences), -1).argmax(1)
        answer = where[torch.arange(batch), last] + 6
        query = torch.stack([torch.zeros_like(ask), torch.ones_like(ask), ask + 2], -1)
        return (story, query), answer
    return _pool(seed, make)


def session_batches(seed: int, items: int = 50, length: int = 20, batch: int = 32) -> Callable[[int], Any]:
    """Sessions of ``items`` items (ids 1..items; 0 pads): the next item is a fixed successor of the current one
    with probability 0.7, else uniform; the first 0-5 positions padded (target -100): ``(sequence, next items)``."""
    succ = torch.randperm(items, generator=torch.Generator().manual_seed(1802)) + 1

    def make(g: torch.Generator) -> Any:
        x = torch.empty(batch, length + 1, dtype=torch.long)
        x[:, 0] = torch.randint(1, items + 1, (batch,), generator=g)
        for t in range(1, length + 1):
            keep = torch.rand(batch, generator=g) < 0.7
            x[:, t] = torch.where(keep, succ[x[:, t - 1] - 1], torch.randint(1, items + 1, (batch,), generator=g))
        pad = torch.arange(length)[None] < torch.randint(0, 6, (batch, 1), generator=g)
        return x[:, :-1].masked_fill(pad, 0), x[:, 1:].masked_fill(pad, -100)
    return _pool(seed, make)


def _templates(classes: int = 10, size: int = 16, channels: int = 3, seed: int = 1803) -> torch.Tensor:
    tg = torch.Generator().manual_seed(seed)
    return F.interpolate(torch.randn(classes, channels, 4, 4, generator=tg), size=(size, size), mode="bilinear",
                         align_corners=False)


def images(seed: int, batch: int = 32) -> Callable[[int], Any]:
    """16x16 class-template images plus noise 0.7: ``(image, label)``."""
    tmpl = _templates()

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return tmpl[y] + 0.7 * torch.randn(batch, 3, 16, 16, generator=g), y
    return _pool(seed, make)


def sr_batches(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """Super-resolution pairs: smooth random fields with finer detail (bilinear from 4x4 plus 0.3 times bilinear from
    8x8), mapped to [0, 1] by a sigmoid; the input the 2x2 average-pooled 8x8 image: ``(low-res, high-res)``."""
    def make(g: torch.Generator) -> Any:
        coarse = F.interpolate(torch.randn(batch, 1, 4, 4, generator=g), size=(size, size), mode="bilinear",
                               align_corners=False)
        fine = F.interpolate(torch.randn(batch, 1, 8, 8, generator=g), size=(size, size), mode="bilinear",
                             align_corners=False)
        hr = torch.sigmoid(1.5 * (coarse + 0.5 * fine))
        return F.avg_pool2d(hr, 2), hr
    return _pool(seed, make)


def binary_images(seed: int, batch: int = 64) -> Callable[[int], Any]:
    """8x8 binary images: pixel on with probability ``sigmoid(20 t)`` of one of ten random class templates ``t``:
    ``(image, image)``."""
    tmpl = torch.randn(10, 64, generator=torch.Generator().manual_seed(1804))

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        x = (torch.rand(batch, 64, generator=g) < torch.sigmoid(20 * tmpl[y])).float()
        return x, x
    return _pool(seed, make)


def retrieval_batches(seed: int, batch: int = 64, entities: int = 256, vocab: int = 200, empty: float = 1 / 16
                      ) -> Callable[[int], Any]:
    """Query-item pairs of ``batch`` distinct entities: each entity owns three query tokens and three item tokens
    (fixed, ids 1..vocab-1); a query is 1-4 draws from its entity's query tokens (each replaced by a random token
    with probability 0.2), a share ``empty`` of queries has no token at all (a blank search box); an item is its
    entity's three item tokens: ``((query tokens, item tokens), arange(batch))`` (the positive is on the diagonal)."""
    eg = torch.Generator().manual_seed(1805)
    qtok = torch.randint(1, vocab, (entities, 3), generator=eg)
    itok = torch.randint(1, vocab, (entities, 3), generator=eg)

    def make(g: torch.Generator) -> Any:
        ent = torch.randperm(entities, generator=g)[:batch]
        pick = qtok[ent][torch.arange(batch)[:, None], torch.randint(0, 3, (batch, 4), generator=g)]
        noise = torch.rand(batch, 4, generator=g) < 0.2
        q = torch.where(noise, torch.randint(1, vocab, (batch, 4), generator=g), pick)
        keep = torch.arange(4)[None] < torch.randint(1, 5, (batch, 1), generator=g)
        keep &= torch.rand(batch, 1, generator=g) >= empty
        return (q * keep, itok[ent]), torch.arange(batch)
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def maml_loss(model: Any, batch: Any) -> torch.Tensor:
    return model.meta_loss(*batch)


def pointer_loss(scores: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of each decoding step's pointer distribution against the input it should point to."""
    return F.cross_entropy(scores.reshape(-1, scores.shape[-1]), order.reshape(-1))


def seq_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)


def kd_loss(temperature: float = 4.0, alpha: float = 0.9, teacher_probs: bool = False
            ) -> Callable[[nn.Module, Any], torch.Tensor]:
    """Hinton et al.'s loss: ``alpha T^2 KL(teacher_T || student_T) + (1 - alpha) CE(student, label)``, T 4, alpha
    0.9; ``teacher_probs``: the teacher's softmax probabilities passed where its logits belong (softened again)."""
    def loss(model: nn.Module, batch: Any) -> torch.Tensor:
        x, y = batch
        s = model(x)
        with torch.no_grad():
            t = model.teacher_logits(x)
            if teacher_probs:
                t = t.softmax(-1)
        soft = F.kl_div(F.log_softmax(s / temperature, -1), F.log_softmax(t / temperature, -1), log_target=True,
                        reduction="batchmean")
        return alpha * temperature ** 2 * soft + (1 - alpha) * F.cross_entropy(s, y)
    return loss


def vae_loss(model: Any, batch: Any) -> torch.Tensor:
    """The negative ELBO: the reconstruction plus the KL to the uniform prior."""
    recon, kl = model.terms(batch[0])
    return recon + kl


# ---- builders --------------------------------------------------------------------------------------------------------

def maml(seed: int, new_query_task: bool = False, lr: float = 3e-3) -> Setup:
    """MAML on sinusoid regression: meta-batches of 25 tasks, 10 support and 10 query points each, one inner step
    of 0.01 (the paper's), Adam meta-lr 3e-3 (the paper's 1e-3 is meant for 70k iterations and had not learned by
    step 200: 3.51 -> 3.06 at seed 0); ``new_query_task``: see :func:`sinusoid_tasks`; ``lr``: the meta-lr."""
    torch.manual_seed(seed)
    model = M.MAML()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _closure(model, opt, None, sinusoid_tasks(seed, new_query_task=new_query_task), maml_loss)


def snn(seed: int, surrogate: str = "fast", threshold: float = 1.0, decay_slip: bool = False, lr: float = 5e-4
        ) -> Setup:
    """The spiking classifier on teacher-labelled vectors, Adam lr 5e-4 betas (0.9, 0.999) (snnTorch's tutorials);
    ``surrogate``/``threshold``/``decay_slip``: see :class:`~.fresh18_models.SNN`."""
    torch.manual_seed(seed)
    model = M.SNN(surrogate=surrogate, threshold=threshold, decay_slip=decay_slip)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999))
    return _xy(model, opt, None, vectors(seed), F.cross_entropy)


def bnn(seed: int, bn: bool = True, out_bn: bool = True, plain_sign: bool = False, lr: float = 3e-3) -> Setup:
    """BinaryNet on teacher-labelled vectors, Adam lr 3e-3 (the paper's starting lr; its decay is not needed in 200
    steps) with the latent weights clipped to [-1, 1] after each step; ``bn``/``out_bn``/``plain_sign``: see
    :class:`~.fresh18_models.BinaryNet`."""
    torch.manual_seed(seed)
    model = M.BinaryNet(bn=bn, out_bn=out_bn, plain_sign=plain_sign)
    opt = M.ClipAdam(model, lr=lr)
    return _xy(model, opt, None, vectors(seed), F.cross_entropy)


def distillation(seed: int, weight_decay: float = 5e-4, teacher_probs: bool = False) -> Setup:
    """Knowledge distillation of the data's linear teacher (logits ``x @ w``) into a small MLP student: T 4, alpha
    0.9, SGD lr 0.05 momentum 0.9 weight decay 5e-4 (the distillation benchmarks' CIFAR recipe, e.g. CRD's);
    ``weight_decay``: SGD's; ``teacher_probs``: see :func:`kd_loss`."""
    torch.manual_seed(seed)
    model = M.Distiller(_teacher())
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=weight_decay)
    return _closure(model, opt, None, vectors(seed), kd_loss(teacher_probs=teacher_probs))


def convlstm(seed: int, decay_as_lr: bool = False, swap: bool = False) -> Setup:
    """ConvLSTM next-frame prediction of moving squares, per-pixel cross-entropy, RMSProp lr 1e-3 decay 0.9 (Shi et
    al.'s); ``decay_as_lr``: ``torch.optim.RMSprop(params, 0.9)``, the decay passed where the second positional
    argument is the learning rate (lr 0.9, decay left at 0.99); ``swap``: the cell returns ``(c, h)`` where its
    caller unpacks ``(h, c)``."""
    torch.manual_seed(seed)
    model = M.ConvLSTMNet(swap=swap)
    if decay_as_lr:
        opt = torch.optim.RMSprop(model.parameters(), 0.9)
    else:
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)
    return _xy(model, opt, None, moving_squares(seed), F.binary_cross_entropy_with_logits)


def pointer_net(seed: int, scale: float = 1.0, lr: float = 1.0, clip: float | None = 2.0) -> Setup:
    """A pointer network sorting 8 numbers, SGD lr 1.0, batch 128, gradient norm clipped at 2 (Vinyals et al.'s);
    ``scale``: the values' units; ``lr``/``clip``: SGD's lr and the clip (None: no clipping takes effect)."""
    torch.manual_seed(seed)
    model = M.PointerNet()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    return _xy(model, opt, None, sort_batches(seed, scale=scale), pointer_loss, clip=clip)


def memn2n(seed: int, mean_slot: bool = False, weight_decay: float = 0.0) -> Setup:
    """A three-hop MemN2N on "where is <person>" stories, batch 32, gradient norm clipped at 40 (the paper's), Adam
    lr 0.01 (in place of the paper's SGD 0.01 annealed over 100 epochs); ``mean_slot``: see
    :class:`~.fresh18_models.MemN2N`; ``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M.MemN2N(mean_slot=mean_slot)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=weight_decay)
    return _xy(model, opt, None, story_batches(seed), F.cross_entropy, clip=40.0)


def gru4rec(seed: int, recurrent_std: float | None = None, lr: float = 0.05, weight_decay: float = 0.0) -> Setup:
    """GRU4Rec on item sessions, Adagrad lr 0.05 (the paper's optimizer; lr in its grid), batch 32;
    ``recurrent_std``: see :class:`~.fresh18_models.GRU4Rec`; ``lr``/``weight_decay``: Adagrad's."""
    torch.manual_seed(seed)
    model = M.GRU4Rec(recurrent_std=recurrent_std)
    opt = torch.optim.Adagrad(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, None, session_batches(seed), seq_loss)


def deq(seed: int, radius: float | None = None, identity: bool = False, lr: float = 1e-3) -> Setup:
    """The DEQ classifier on teacher-labelled vectors, Adam lr 1e-3 (the tutorial's); ``radius``/``identity``: see
    :class:`~.fresh18_models.DEQ`; ``lr``: Adam's."""
    torch.manual_seed(seed)
    model = M.DEQ(radius=radius, identity=identity)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, vectors(seed), F.cross_entropy)


def espcn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """ESPCN 2x super-resolution, MSE, Adam lr 1e-3 (the reference implementations'; the paper's SGD 0.01 decays
    over many epochs); ``lr``/``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M.ESPCN()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, None, sr_batches(seed), F.mse_loss)


def resmlp(seed: int, init_std: float | None = None, depth: int = 4, residual: bool = True) -> Setup:
    """ResMLP on 16x16 template images, AdamW lr 1e-3 wd 0.05 with a 10-step warm-up (DeiT's recipe, its lr scaled
    to the 200-step run; LAMB is not in torch); ``init_std``: every weight matrix drawn N(0, std^2);
    ``depth``/``residual``: the blocks, and their residual sums."""
    torch.manual_seed(seed)
    model = M.ResMLP(depth=depth, residual=residual)
    if init_std is not None:
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() >= 2:
                    p.normal_(0.0, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    return _xy(model, opt, warmup(opt, 10), images(seed), F.cross_entropy)


def gumbel_vae(seed: int, lr: float = 3e-3) -> Setup:
    """The Gumbel-softmax VAE on binary class images, batch 64, temperature 1, Adam lr 3e-3 (Jang et al.'s 1e-3 is
    meant for 100k steps and had not learned by step 200: 44.4 -> 34.3 at seed 0); ``lr``: Adam's."""
    torch.manual_seed(seed)
    model = M.GumbelVAE()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _closure(model, opt, None, binary_images(seed), vae_loss)


def two_tower(seed: int, norm: str = "normalize", lr: float = 1e-3) -> Setup:
    """The two-tower retrieval model with in-batch negatives (batch 64), temperature 0.05, Adam lr 1e-3; ``norm``:
    see :class:`~.fresh18_models.TwoTower`; ``lr``: Adam's."""
    torch.manual_seed(seed)
    model = M.TwoTower(norm=norm)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, retrieval_batches(seed), F.cross_entropy)
