"""Builders of the seventieth held-out batch (``fresh69.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh69_models as M
from . import fresh69_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(690_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(6900 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        clip: float | None = None, sched: Any = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


# ---- data ------------------------------------------------------------------------------------------------------------

def polarity_texts(seed: int, batch: int = 25, length: int = 16, vocab: int = 200, shuffled: bool = False
                   ) -> Callable[[int], Any]:
    """Sentences of 16 words over 200: words 0-39 are positive, 40-79 negative, the rest neutral; a sentence holds 3
    to 5 words of its polarity, 0 to 2 of the other and neutral words elsewhere, in random order; the label is its
    polarity: ``(words (b, 16), label (b,))``. ``shuffled``: the labels permuted within every batch, apart from
    their sentences."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 2, (batch,), generator=g)
        x = torch.randint(80, vocab, (batch, length), generator=g)
        for r in range(batch):
            pos = torch.randperm(length, generator=g)
            major, minor = int(torch.randint(3, 6, (1,), generator=g)), int(torch.randint(0, 3, (1,), generator=g))
            own, other = (0, 40) if int(y[r]) == 0 else (40, 0)
            x[r, pos[:major]] = own + torch.randint(0, 40, (major,), generator=g)
            x[r, pos[major:major + minor]] = other + torch.randint(0, 40, (minor,), generator=g)
        return x, y[torch.randperm(batch, generator=g)] if shuffled else y
    return _pool(seed, make)


def dialogues(seed: int, batch: int = 32, turns: int = 3, words: int = 6, vocab: int = 24) -> Callable[[int], Any]:
    """Dialogues of three turns of six words over 24 (uniform), and the reply to predict: the first turn's words
    mapped by a fixed permutation of the vocabulary (the reply answers the opening turn, two turns back):
    ``((turns (b, 3, 6), reply (b, 6)), reply)``."""
    perm = torch.randperm(vocab, generator=_fixed(1))

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, vocab, (batch, turns, words), generator=g)
        reply = perm[x[:, 0]]
        return (x, reply), reply
    return _pool(seed, make)


def copy_texts(seed: int, batch: int = 16, length: int = 33, vocab: int = 64) -> Callable[[int], Any]:
    """Texts of 33 words: the corpus' sparse Markov chain over the 48 common words (ids 0-47), with a fifth of the
    positions taken by one of two rare words (ids 48-63) drawn per text, which a reader can only predict by pointing
    back to an earlier mention: ``(words (b, 32), next words (b, 32))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, 48)
        names = 48 + torch.randint(0, vocab - 48, (batch, 2), generator=g)
        at = torch.rand(batch, length, generator=g) < 0.2
        pick = names.gather(1, torch.randint(0, 2, (batch, length), generator=g))
        x = torch.where(at, pick, x)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def interest_histories(seed: int, batch: int = 128, hist: int = 10, items: int = 200, cluster: int = 10
                       ) -> Callable[[int], Any]:
    """Users with two interests: two of the 20 item clusters (10 items each, a fixed random assignment) per user,
    ten clicks drawn from them, and a next item from one of the two (the loss is over all 200 items):
    ``((history (b, 10), next item (b,)), next item)``."""
    order = torch.randperm(items, generator=_fixed(2)).reshape(items // cluster, cluster)

    def make(g: torch.Generator, _: int) -> Any:
        cl = torch.stack([torch.randperm(items // cluster, generator=g)[:2] for _ in range(batch)])  # (b, 2)
        which = torch.randint(0, 2, (batch, hist + 1), generator=g)
        member = torch.randint(0, cluster, (batch, hist + 1), generator=g)
        seq = order[cl.gather(1, which), member]
        return (seq[:, :-1], seq[:, -1]), seq[:, -1]
    return _pool(seed, make)


def transitions(seed: int, batch: int = 128, users: int = 64, items: int = 200, group: int = 5,
                shuffled: bool = False) -> Callable[[int], Any]:
    """Sequential transitions: the 200 items fall in 40 groups of five (a fixed random assignment), and a user's next
    item is another item of the previous item's group; a uniformly drawn negative item for S-BPR:
    ``((user, previous, next, negative), None)``. ``shuffled``: the next items permuted within every batch, apart
    from their previous items (and users)."""
    order = torch.randperm(items, generator=_fixed(3)).reshape(items // group, group)
    where = torch.empty(items, dtype=torch.long)
    where[order.flatten()] = torch.arange(items)

    def make(g: torch.Generator, _: int) -> Any:
        user = torch.randint(0, users, (batch,), generator=g)
        prev = torch.randint(0, items, (batch,), generator=g)
        slot = where[prev]
        nxt = order[slot // group, (slot % group + torch.randint(1, group, (batch,), generator=g)) % group]
        if shuffled:
            nxt = nxt[torch.randperm(batch, generator=g)]
        return (user, prev, nxt, torch.randint(0, items, (batch,), generator=g)), None
    return _pool(seed, make)


def ctr_records(seed: int, batch: int = 128, fields: int = 8, values: int = 20) -> Callable[[int], Any]:
    """Click records of 8 categorical fields of 20 values; a fixed teacher (a weight per value and pairwise
    interactions of fixed embeddings of 4 between the fields) gives the logit, the label is whether it is above the
    batch's median (half the records click): ``(values (b, 8), click (b,) float)``."""
    fg = _fixed(4)
    w, v = torch.randn(fields, values, generator=fg), torch.randn(fields, values, 4, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(0, values, (batch, fields), generator=g)
        e = v[torch.arange(fields), x]  # (b, f, 4)
        logit = w[torch.arange(fields), x].sum(1) + 0.5 * ((e.sum(1) ** 2).sum(1) - (e * e).sum((1, 2)))
        return x, (logit > logit.median()).float()
    return _pool(seed, make)


CARDS = (8, 12, 6, 20)


def customers(seed: int, batch: int = 128, log_zero: bool = False) -> Callable[[int], Any]:
    """Customer records: four categorical features (8, 12, 6 and 20 values) and six continuous ones at their raw
    scales (age 18-80, income log-normal about 20,000, a visit count (Poisson 2, zeros included) taken as
    ``log1p``, weekly hours 0-60, a balance N(5,000, 3,000^2), days since the last visit 0-365); the label (two
    classes) is the sign of a fixed teacher of the standardised features with interactions and per-value effects:
    ``((categorical (b, 4), continuous (b, 6)), label (b,))``. ``log_zero``: the count taken as ``log`` instead
    of ``log1p`` (``log 0 = -inf`` for the customers who never visited)."""
    fg = _fixed(5)
    effects = [torch.randn(n, generator=fg) for n in CARDS]
    w = torch.randn(6, generator=fg)

    def make(g: torch.Generator, _: int) -> Any:
        cat = torch.stack([torch.randint(0, n, (batch,), generator=g) for n in CARDS], 1)
        z = torch.randn(batch, 6, generator=g)
        count = torch.poisson(torch.full((batch,), 2.0), generator=g)
        cont = torch.stack([18 + 62 * torch.sigmoid(z[:, 0]), torch.exp(10 + 0.5 * z[:, 1]),
                            torch.log(count) if log_zero else torch.log1p(count), 60 * torch.sigmoid(z[:, 3]),
                            5000 + 3000 * z[:, 4], 365 * torch.sigmoid(z[:, 5])], 1)
        z[:, 2] = (torch.log1p(count) - 1.0) / 0.6
        logit = (z @ w + 1.5 * z[:, 0] * z[:, 4] - z[:, 5] ** 2 + 1
                 + sum(e[cat[:, i]] for i, e in enumerate(effects)))
        return (cat, cont), (logit > 0).long()
    return _pool(seed, make)


def claims(seed: int, batch: int = 256, features: int = 8) -> Callable[[int], Any]:
    """A regression on 8 standardised features: ``y = x_1 x_2 + sin(2 x_3) + (x_4^2 - 1) + 0.5 x_5 |x_6| + 0.3
    x_7`` plus N(0, 0.1^2) noise (``x_8`` unused), mostly beyond a GLM's reach: ``(x (b, 8), y (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randn(batch, features, generator=g)
        y = (x[:, 0] * x[:, 1] + torch.sin(2 * x[:, 2]) + x[:, 3] ** 2 - 1 + 0.5 * x[:, 4] * x[:, 5].abs()
             + 0.3 * x[:, 6])
        return x, y + 0.1 * torch.randn(batch, generator=g)
    return _pool(seed, make)


# ---- builders --------------------------------------------------------------------------------------------------------

def tree_lstm(seed: int, weight_decay: float = 1e-4, eps: float = 1e-10, shuffled: bool = False) -> Setup:
    """The Tree-LSTM on the polarity sentences (batch 25, the paper's), cross-entropy, AdaGrad (the paper's) at lr
    0.05 with weight decay 1e-4 (the paper's L2 1e-4) for the composer and the classifier, and the embeddings in a
    second group at the reference code's embedding lr 0.1 without decay; ``weight_decay``: the first group's;
    ``eps``: AdaGrad's (PyTorch's default 1e-10); ``shuffled``: see :func:`polarity_texts`."""
    torch.manual_seed(690_000 + seed)
    model = M.TreeLSTM()
    rest = [p for n, p in model.named_parameters() if not n.startswith("emb.")]
    opt = torch.optim.Adagrad([{"params": rest, "weight_decay": weight_decay},
                               {"params": model.emb.parameters(), "lr": 0.1, "weight_decay": 0.0}], lr=0.05, eps=eps)
    return _xy(model, opt, polarity_texts(seed, shuffled=shuffled), F.cross_entropy)


def hred(seed: int, lr: float = 3e-3, context_gate_bias: float | None = None, warmup: str | None = None) -> Setup:
    """HRED on the dialogues (batch 32), the replies' word cross-entropy, Adam at lr 3e-3 (set here);
    ``context_gate_bias``: see :class:`~.fresh69_models.HRED`; ``warmup``: ``"linear"`` adds the user's
    20-step linear warm-up ``LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=20)`` (from 1% of the lr
    to all of it, then held), ``"swapped"`` the same written ``LinearLR(opt, start_factor=1.0, end_factor=0.01,
    total_iters=20)``, the two factors in each other's place (the lr falls to 1% in 20 steps and stays there)."""
    torch.manual_seed(690_000 + seed)
    model = M.HRED(context_gate_bias=context_gate_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = None
    if warmup == "linear":
        sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=20)
    elif warmup == "swapped":
        sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.01, total_iters=20)
    return _xy(model, opt, dialogues(seed), lambda out, y: F.cross_entropy(out.reshape(-1, out.shape[-1]),
                                                                           y.reshape(-1)), sched=sched)


def pointer_sentinel(seed: int, lr: float = 1.0, init_std: float | None = None) -> Setup:
    """The pointer sentinel-LSTM on the copy texts (batch 16 of 32 words), the next words' negative log-likelihood
    under the mixture, SGD at lr 1 with gradient-norm clipping at 1 (set here); ``init_std``: see
    :class:`~.fresh69_models.PointerSentinelLSTM`."""
    torch.manual_seed(690_000 + seed)
    model = M.PointerSentinelLSTM(init_std=init_std)
    return _xy(model, torch.optim.SGD(model.parameters(), lr=lr), copy_texts(seed), M.nll_of_logprobs, clip=1.0)


def mind(seed: int, lr: float = 5e-3, weight_decay: float = 0.0, layers: int = 2, relu_bias: float | None = None
         ) -> Setup:
    """MIND on the two-interest histories (batch 128, the ComiRec reference implementation's), cross-entropy over
    the 200 items, Adam (the reference's) at lr 5e-3 (set here; the reference's 1e-3 learns too slowly for 200 steps);
    ``weight_decay``: Adam's (coupled L2); ``layers``, ``relu_bias``: see
    :class:`~.fresh69_models2.MIND`."""
    torch.manual_seed(690_000 + seed)
    model = M2.MIND(layers=layers, relu_bias=relu_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, interest_histories(seed), F.cross_entropy)


def transrec(seed: int, lr: float = 0.5, momentum: float = 0.9, dampening: float = 0.0, shuffled: bool = False
             ) -> Setup:
    """TransRec on the transitions (batch 128), S-BPR with one uniform negative, SGD at lr 0.5 with momentum 0.9 (set
    here); ``momentum``, ``dampening``: SGD's (the dampening slip: ``SGD(params, lr=0.5, dampening=0.9)``, the
    momentum 0.9 written as ``dampening``, which PyTorch ignores without momentum); ``shuffled``: see
    :func:`transitions`."""
    torch.manual_seed(690_000 + seed)
    model = M2.TransRec()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, dampening=dampening)
    return _xy(model, opt, transitions(seed, shuffled=shuffled), M2.sbpr_loss)


def ifm(seed: int, lr: float = 5e-3, weight_decay: float = 0.0, emb_mult: float | None = None, twice: bool = False
        ) -> Setup:
    """IFM on the click records (batch 128), binary cross-entropy on the logit, Adam at lr 5e-3 (set here);
    ``weight_decay``: Adam's; ``emb_mult``: the user's two groups, the feature weights and embeddings at ``lr *
    emb_mult`` and the factor estimating network at ``lr``, with a 10-step linear warm-up ``LambdaLR`` of one lambda
    per group; ``twice``: those lambdas also multiply by each group's ``lr_mult`` (``emb_mult`` for the embeddings),
    so the embeddings' multiplier is applied twice (``lr * emb_mult ** 2``)."""
    torch.manual_seed(690_000 + seed)
    model = M2.IFM()
    loss = F.binary_cross_entropy_with_logits
    if emb_mult is None:
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        return _xy(model, opt, ctr_records(seed), loss)
    groups = [{"params": list(model.w.parameters()) + list(model.v.parameters()) + [model.bias],
               "lr": lr * emb_mult, "lr_mult": emb_mult},
              {"params": model.fen.parameters(), "lr": lr, "lr_mult": 1.0}]
    opt = torch.optim.Adam(groups, lr=lr, weight_decay=weight_decay)
    lambdas = [(lambda s, m=g["lr_mult"]: min(1.0, (s + 1) / 10) * (m if twice else 1.0)) for g in opt.param_groups]
    return _xy(model, opt, ctr_records(seed), loss, sched=torch.optim.lr_scheduler.LambdaLR(opt, lambdas))


def fastai_tabular(seed: int, use_bn: bool = True, log_zero: bool = False) -> Setup:
    """fastai's tabular model on the customer records (batch 128), cross-entropy, ``fit_one_cycle``'s set-up: AdamW
    with fastai's betas 0.9, 0.99, eps 1e-5 and weight decay 0.01, a one-cycle schedule to lr 1e-2 (warm-up 25%,
    ``div`` 25, ``div_final`` 1e5, cosine, beta1 cycled 0.95 to 0.85 and back) over the 200 steps; ``use_bn``: see
    :class:`~.fresh69_models2.FastaiTabular`; ``log_zero``: see :func:`customers`."""
    torch.manual_seed(690_000 + seed)
    model = M2.FastaiTabular(CARDS, 6, 2, use_bn=use_bn)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=200, pct_start=0.25, div_factor=25.0,
                                                final_div_factor=1e5, base_momentum=0.85, max_momentum=0.95)
    return _xy(model, opt, customers(seed, log_zero=log_zero), F.cross_entropy, sched=sched)


def local_glmnet(seed: int, lr: float = 2e-3, zero_init: bool = False) -> Setup:
    """LocalGLMnet on the regression (batch 256), the square loss (the Gaussian deviance), Nadam (the paper's) at
    Keras' lr 2e-3 and eps 1e-7; ``zero_init``: see :class:`~.fresh69_models2.LocalGLMnet`."""
    torch.manual_seed(690_000 + seed)
    model = M2.LocalGLMnet(zero_init=zero_init)
    return _xy(model, torch.optim.NAdam(model.parameters(), lr=lr, eps=1e-7), claims(seed), F.mse_loss)
