"""Builders of the fifteenth held-out batch (``fresh14.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets and the hand-written training
pieces (a schedule, an episodic loss, a CRF loss) they need. Written and labelled before gradguard's judgment was run
on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh14_models as M
from . import healthy as H
from ._setup import POOL, Setup, image_batches, sequence_batches


def _pool(seed: int, make: Callable[[torch.Generator], Any]) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(90_000 + seed)
    pool = [make(g) for _ in range(POOL)]
    return lambda step: pool[step % POOL]


# ---- data ------------------------------------------------------------------------------------------------------------

def series_batches(seed: int, batch: int = 32, window: int = 48, horizon: int = 12, channels: int = 4,
                   levels: bool = False) -> Callable[[int], Any]:
    """Multivariate series (a random linear trend plus two seasonal sines per channel, plus noise): ``(window,
    horizon)`` pairs of shape ``(batch, time, channels)``; ``levels``: each series at its own level (uniform 100 to
    1000, as raw sensor readings are) and four of each batch's series flat-lined (a stuck sensor repeating its last
    reading, an odd number of tenths)."""
    def make(g: torch.Generator) -> Any:
        t = torch.arange(window + horizon, dtype=torch.float32)[None, :, None]
        slope = 0.02 * torch.randn(batch, 1, channels, generator=g)
        phase = 6.3 * torch.rand(batch, 2, channels, generator=g)
        s = (slope * t + torch.sin(2 * math.pi * t / 12 + phase[:, :1]) + 0.5 * torch.sin(2 * math.pi * t / 24
                                                                                           + phase[:, 1:]))
        s = s + 0.1 * torch.randn(s.shape, generator=g)
        if levels:
            s = s + (100 + 900 * torch.rand(batch, 1, channels, generator=g))
            s[:4] = (s[:4, :1] * 10).floor() / 10 + 0.1
        return s[:, :window], s[:, window:]
    return _pool(seed, make)


def sales_batches(seed: int, batch: int = 32, length: int = 49) -> Callable[[int], Any]:
    """Positive demand series at levels from 1 to 20 units (weekly seasonality, multiplicative noise): ``(inputs,
    next-step targets)``, each ``(batch, length - 1)``."""
    def make(g: torch.Generator) -> Any:
        t = torch.arange(length, dtype=torch.float32)[None]
        level = 1 + 19 * torch.rand(batch, 1, generator=g)
        phase = 6.3 * torch.rand(batch, 1, generator=g)
        s = level * (1 + 0.5 * torch.sin(2 * math.pi * t / 7 + phase)) * (1 + 0.1 * torch.randn(batch, length,
                                                                                                 generator=g))
        return s[:, :-1], s[:, 1:]
    return _pool(seed, make)


def tagging_batches(seed: int, batch: int = 32, length: int = 20, vocab: int = 32, tags: int = 4
                    ) -> Callable[[int], Any]:
    """Token sequences and their tags: a token below 24 has tag ``token % tags``; tokens 24 to 31 are ambiguous and
    take the previous token's tag (the transitions carry information)."""
    def make(g: torch.Generator) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        y = x % tags
        for s in range(1, length):
            y[:, s] = torch.where(x[:, s] >= 24, y[:, s - 1], y[:, s])
        return x, y
    return _pool(seed, make)


def episode_batches(seed: int, ways: int = 5, shots: int = 5, queries: int = 5, classes: int = 20, size: int = 16,
                    label_slip: bool = False) -> Callable[[int], Any]:
    """Few-shot episodes: ``ways`` classes drawn from ``classes`` template images (noisy), ``shots`` support and
    ``queries`` query images per class, both ordered class by class; ``((support, query), query labels)``. The query
    labels are ``arange(ways).repeat_interleave(queries)``; ``label_slip``: ``arange(ways).repeat(queries)`` (0, 1,
    2, 3, 4, 0, 1, ...: a different order from the queries', the two look alike when printed for one class)."""
    tg = torch.Generator().manual_seed(991)
    templates = F.interpolate(torch.randn(classes, 3, 4, 4, generator=tg), size=(size, size), mode="bilinear",
                              align_corners=False)

    def make(g: torch.Generator) -> Any:
        chosen = torch.randperm(classes, generator=g)[:ways]
        per = shots + queries
        imgs = templates[chosen].repeat_interleave(per, 0) + 0.7 * torch.randn(ways * per, 3, size, size, generator=g)
        imgs = imgs.reshape(ways, per, 3, size, size)
        support = imgs[:, :shots].reshape(-1, 3, size, size)
        query = imgs[:, shots:].reshape(-1, 3, size, size)
        labels = torch.arange(ways).repeat(queries) if label_slip else torch.arange(ways).repeat_interleave(queries)
        return (support, query), labels
    return _pool(seed, make)


def rating_batches(seed: int, items: int = 200, users: int = 100, batch: int = 32, observed: float = 0.3
                   ) -> Callable[[int], Any]:
    """Item rows of a low-rank 1-5 star rating matrix (rank 4), a third of each row observed: ``(observed ratings
    with zeros elsewhere, (ratings, mask))``; the same matrix for every seed, the rows and masks drawn per seed."""
    mg = torch.Generator().manual_seed(992)
    r = 3 + (torch.randn(items, 4, generator=mg) @ torch.randn(4, users, generator=mg)) / 2
    r = r.round().clamp(1, 5)

    def make(g: torch.Generator) -> Any:
        rows = torch.randint(0, items, (batch,), generator=g)
        mask = (torch.rand(batch, users, generator=g) < observed).float()
        return r[rows] * mask, (r[rows], mask)
    return _pool(seed, make)


def rating_variance() -> float:
    """The mean square deviation of the observed ratings from their mean (the best constant prediction's loss)."""
    vals = torch.cat([(lambda b: b[1][0][b[1][1] > 0])(rating_batches(s)(i)) for s in (0, 1) for i in range(POOL)])
    return float(vals.var())


def graph_batches(seed: int, nodes: int = 64, classes: int = 4, features: int = 16, isolated: float = 0.1,
                  feature_scale: float = 1.0, shuffle_slip: bool = False) -> Callable[[int], Any]:
    """A stochastic-block-model graph per batch (four communities, p_in 0.15, p_out 0.01, a tenth of the nodes
    isolated), node features a noisy community code (times ``feature_scale``); ``((features, adjacency),
    labels)``, the nodes shuffled (one permutation applied to features, adjacency and labels); ``shuffle_slip``:
    the labels shuffled by a second ``torch.randperm`` call of their own (every label detached from its node)."""
    code = torch.randn(classes, features, generator=torch.Generator().manual_seed(993))

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (nodes,), generator=g)
        p = torch.where(y[:, None] == y[None, :], 0.15, 0.01)
        a = (torch.rand(nodes, nodes, generator=g) < p).float().triu(1)
        a = a + a.t()
        alone = torch.rand(nodes, generator=g) < isolated
        a[alone] = 0.0
        a[:, alone] = 0.0
        x = (0.5 * code[y] + torch.randn(nodes, features, generator=g)) * feature_scale
        perm = torch.randperm(nodes, generator=g)
        x, a = x[perm], a[perm][:, perm]
        y = y[torch.randperm(nodes, generator=g)] if shuffle_slip else y[perm]
        return (x, a), y
    return _pool(seed, make)


def click_batches(seed: int, batch: int = 64, fields: int = 6, vocab: int = 10) -> Callable[[int], Any]:
    """Click logs: ``fields`` categorical ids per impression, clicked when a fixed score (per-id weights plus the
    products of two fields' latent factors) is positive; ``(ids, clicks)``."""
    tg = torch.Generator().manual_seed(994)
    w = torch.randn(fields, vocab, generator=tg)
    v = torch.randn(fields, vocab, 2, generator=tg)

    def make(g: torch.Generator) -> Any:
        x = torch.randint(0, vocab, (batch, fields), generator=g)
        f = torch.arange(fields)
        score = w[f, x].sum(1) + (v[0, x[:, 0]] * v[1, x[:, 1]]).sum(-1) + (v[2, x[:, 2]] * v[3, x[:, 3]]).sum(-1)
        return x, (score > 0).float()
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(pred, target)


def gaussian_nll(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """DeepAR's Gaussian negative log-likelihood per step."""
    mu, sigma = out
    return (torch.log(sigma) + 0.5 * ((y - mu) / sigma) ** 2).mean() + 0.5 * math.log(2 * math.pi)


def masked_mse(pred: torch.Tensor, target: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """AutoRec's loss: the squared error over the observed ratings only."""
    r, mask = target
    return ((pred - r) ** 2 * mask).sum() / mask.sum()


def crf_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    return model.nll(*batch)


def proto_loss(log_softmax_slip: bool = False) -> Callable[[nn.Module, Any], torch.Tensor]:
    """The episode's cross-entropy over negative squared distances; ``log_softmax_slip``: written
    ``F.nll_loss(torch.log(F.softmax(logits, 1)), y)``, the log taken of a softmax that underflows to 0 for far
    queries, where ``F.log_softmax`` (or ``F.cross_entropy``) belongs."""
    def loss(model: nn.Module, batch: Any) -> torch.Tensor:
        (support, query), y = batch
        logits = model.logits(support, query, int(y.max()) + 1)
        if log_softmax_slip:
            return F.nll_loss(torch.log(F.softmax(logits, 1)), y)
        return F.cross_entropy(logits, y)
    return loss


def cosine_schedule(opt: torch.optim.Optimizer, total: int = 200, half_slip: bool = False
                    ) -> torch.optim.lr_scheduler.LambdaLR:
    """A user's cosine annealing to zero over ``total`` steps, ``0.5 * (1 + cos(pi * s / total))``; ``half_slip``:
    written ``cos(pi * s / total)``, the ``0.5 * (1 + ...)`` left out (the factor turns negative half-way: from step
    100 every step climbs the loss)."""
    if half_slip:
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: math.cos(math.pi * min(s, total) / total))
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))


# ---- builders --------------------------------------------------------------------------------------------------------

def dlinear(seed: int, revin: bool = False, var_slip: bool = False) -> Setup:
    """DLinear on a 48-step window, 12-step horizon, Adam lr 5e-3 (the paper's setting for its small sets), MSE;
    ``revin``: with reversible instance normalisation, on the series at their raw levels with some flat-lined;
    ``var_slip``: its variance computed as ``mean(x ** 2) - mean(x) ** 2``."""
    torch.manual_seed(seed)
    model = M.DLinear(revin=revin, var_slip=var_slip)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    return H.xy_setup(model, opt, None, series_batches(seed, levels=revin), mse)


def xception(seed: int, act: type[nn.Module] = nn.ReLU, lr: float = 0.045, bn: bool = True) -> Setup:
    """The small Xception on 16x16 template images, SGD lr 0.045 momentum 0.9 (the paper's ImageNet setting) wd
    1e-5; ``act``: the activation; ``lr``: the learning rate; ``bn=False``: the blocks without their BatchNorms."""
    torch.manual_seed(seed)
    model = M.Xception(act=act, bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-5)
    return H.xy_setup(model, opt, None, image_batches(seed, size=16), F.cross_entropy)


def repvgg(seed: int, bn: bool = True, eval_slip: bool = False, half_slip: bool = False) -> Setup:
    """The small RepVGG-A on 16x16 template images, SGD lr 0.05 momentum 0.9 wd 1e-4 with cosine annealing over the
    run (the paper's schedule); ``bn=False``: without its BatchNorms; ``eval_slip``: a sanity-check evaluation run
    after building called ``model.eval()`` and the training code never calls ``model.train()`` again (every
    BatchNorm normalises by its initial running statistics, mean 0 and variance 1); ``half_slip``: the cosine
    schedule written without its ``0.5 * (1 + ...)``."""
    torch.manual_seed(seed)
    model = M.RepVGG(bn=bn)
    batches = image_batches(seed, size=16)
    if eval_slip:
        model.eval()
        with torch.no_grad():
            model(batches(0)[0])  # the sanity check
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    return H.xy_setup(model, opt, cosine_schedule(opt, half_slip=half_slip), batches, F.cross_entropy)


def dpcnn(seed: int, act: str = "relu", shortcuts: bool = True, plain_extra: int = 0, init_std: float | None = None,
          zero_slip: bool = False, blocks: int = 3) -> Setup:
    """DPCNN over token sequences labelled by their majority class, SGD lr 0.01 momentum 0.9 wd 1e-4 (the paper's
    optimiser); ``init_std``: every conv and linear weight drawn N(0, std^2); ``zero_slip``: the zero
    initialisation meant for the classifier (a common trick) written as ``model.apply(init)`` with ``init`` zeroing
    every ``nn.Conv1d`` and ``nn.Linear`` weight it is given."""
    torch.manual_seed(seed)
    model = M.DPCNN(act=act, shortcuts=shortcuts, plain_extra=plain_extra, blocks=blocks)
    if init_std is not None:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, (nn.Conv1d, nn.Linear)):
                    m.weight.normal_(0.0, init_std)
    if zero_slip:
        def init(m: nn.Module) -> None:
            if isinstance(m, (nn.Conv1d, nn.Linear)):
                nn.init.zeros_(m.weight)
        model.apply(init)
    else:
        nn.init.zeros_(model.head.weight)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    return H.xy_setup(model, opt, None, sequence_batches(seed), F.cross_entropy)


def linformer(seed: int, lr: float = 5e-4, init_std: float | None = None) -> Setup:
    """The Linformer classifier (two layers, k = 8) over token sequences labelled by their majority class, AdamW lr
    5e-4 wd 0.01 with warm-up and cosine decay; ``lr``: the peak learning rate; ``init_std``: every linear weight
    drawn N(0, std^2)."""
    torch.manual_seed(seed)
    model = M.Linformer()
    if init_std is not None:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.Linear):
                    m.weight.normal_(0.0, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    return H.xy_setup(model, opt, H.warmup_cosine(opt, 20), sequence_batches(seed), F.cross_entropy)


def deepar(seed: int, recurrent_std: float | None = None, relu_slip: bool = False, batch_first_slip: bool = False
           ) -> Setup:
    """DeepAR (two LSTM layers of 40, the paper's size) on demand series, Adam lr 1e-3, Gaussian likelihood;
    ``recurrent_std``: the LSTMs' recurrent matrices drawn N(0, std^2); ``relu_slip``: the standard deviation's
    softplus typed as ReLU; ``batch_first_slip``: the LSTM built without ``batch_first=True``."""
    torch.manual_seed(seed)
    model = M.DeepAR(recurrent_std=recurrent_std, relu_slip=relu_slip, batch_first_slip=batch_first_slip)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, sales_batches(seed), gaussian_nll)


def bilstm_crf(seed: int, logsumexp: bool = True) -> Setup:
    """The BiLSTM-CRF tagger, Adam lr 1e-2 with the gradient norm clipped to 5 (Lample et al.'s clip);
    ``logsumexp=False``: the CRF's forward algorithm without the max-shift."""
    torch.manual_seed(seed)
    model = M.BiLSTMCRF(logsumexp=logsumexp)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    batches = tagging_batches(seed)
    return Setup(model, opt, None, batches(0), None, crf_loss, batches, clip=5.0, needs_closure=True)


def protonet(seed: int, label_slip: bool = False, log_softmax_slip: bool = False) -> Setup:
    """Prototypical networks, 5-way 5-shot episodes with 5 queries per class, Adam lr 1e-3 (the paper's)."""
    torch.manual_seed(seed)
    model = M.ProtoNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = episode_batches(seed, label_slip=label_slip)
    return Setup(model, opt, None, batches(0), None, proto_loss(log_softmax_slip), batches, needs_closure=True)


def autorec(seed: int, output_sigmoid: bool = False) -> Setup:
    """I-AutoRec (64 sigmoid hidden units) on item rows, Adam lr 1e-2 with L2 1e-4 as weight decay, the masked
    squared error; ``output_sigmoid``: the decoder's activation copied from the encoder's."""
    torch.manual_seed(seed)
    model = M.AutoRec(output_sigmoid=output_sigmoid)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    return H.xy_setup(model, opt, None, rating_batches(seed), masked_mse)


def sgc(seed: int, weight_decay: float = 5e-6, shuffle_slip: bool = False) -> Setup:
    """SGC (K = 2) on stochastic-block-model graphs, Adam lr 0.2 with weight decay 5e-6 (the paper's Cora setting);
    ``weight_decay``: Adam's; ``shuffle_slip``: the labels shuffled apart from their nodes."""
    torch.manual_seed(seed)
    model = M.SGC()
    opt = torch.optim.Adam(model.parameters(), lr=0.2, weight_decay=weight_decay)
    return H.xy_setup(model, opt, None, graph_batches(seed, shuffle_slip=shuffle_slip), F.cross_entropy)


def chebnet(seed: int, feature_scale: float = 1.0, dropout_slip: bool = False, weight_decay: float = 5e-4) -> Setup:
    """ChebNet (K = 3, 32 hidden) on stochastic-block-model graphs, Adam lr 0.01 wd 5e-4 (Kipf and Welling's
    comparison setting); ``feature_scale``: the node features' scale (1e3: raw counts never normalised);
    ``dropout_slip``: the dropout between the layers written ``F.dropout(h, self.training)``, the flag landing in
    the ``p`` slot (``p = True``, every unit dropped); ``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M.ChebNet(dropout_slip=dropout_slip)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=weight_decay)
    return H.xy_setup(model, opt, None, graph_batches(seed, feature_scale=feature_scale), F.cross_entropy)


def pnn(seed: int) -> Setup:
    """IPNN (embeddings of 8, two hidden layers of 64) on click logs, Adam lr 1e-3, the logistic loss."""
    torch.manual_seed(seed)
    model = M.PNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return H.xy_setup(model, opt, None, click_batches(seed), F.binary_cross_entropy_with_logits)
