"""Builders of the twenty-second held-out batch (``fresh21.py``): standard models new to the corpus at their usual
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

from . import fresh21_models as M
from ._setup import POOL, Setup, markov_tokens, model_loss, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(210_000 + seed)


def _pool(seed: int, make: Callable[[torch.Generator], Any], size: int = POOL) -> Callable[[int], Any]:
    g = _gen(seed)
    pool = [make(g) for _ in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: torch.optim.Optimizer, sched: Any, batches: Callable[[int], Any],
        loss_fn: Callable[[Any, Any], torch.Tensor], clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _closure(model: nn.Module, opt: torch.optim.Optimizer, sched: Any, batches: Callable[[int], Any],
             loss: Callable[[nn.Module, Any], torch.Tensor], clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), None, loss, batches, clip=clip, needs_closure=True)


def _init_std(model: nn.Module, std: float) -> None:
    """Every weight matrix (every parameter of two or more dimensions) drawn N(0, std^2)."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, std)


# ---- data ------------------------------------------------------------------------------------------------------------

def images(seed: int, batch: int = 32, size: int = 16, scale: float = 1.0) -> Callable[[int], Any]:
    """Class-template images (ten smooth 3x16x16 templates) plus noise 0.7 (times ``scale``: 255 for 8-bit pixel
    values left unscaled): ``(image, label)``."""
    tmpl = F.interpolate(torch.randn(10, 3, 4, 4, generator=torch.Generator().manual_seed(2101)), size=(size, size),
                         mode="bilinear", align_corners=False)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return (tmpl[y] + 0.7 * torch.randn(batch, 3, size, size, generator=g)) * scale, y
    return _pool(seed, make)


def level_series(seed: int, batch: int = 32, n: int = 32, scale: float = 1.0) -> Callable[[int], Any]:
    """Scalar series of 32 steps whose first four values are a level of class 0-3 (-1.5, -0.5, 0.5, 1.5, noise 0.2)
    and the rest N(0, 1) (the class must be remembered over the window); ``scale``: the readings in a sensor's raw
    units (times this), unstandardised: ``(series (batch, 32, 1), class)``."""
    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        x = torch.randn(batch, n, generator=g)
        x[:, :4] = (y - 1.5)[:, None] + 0.2 * torch.randn(batch, 4, generator=g)
        return x[..., None] * scale, y
    return _pool(seed, make)


def first_token(seed: int, batch: int = 32, n: int = 24, vocab: int = 32) -> Callable[[int], Any]:
    """Token sequences of 24 labelled by their first token's class (``token % 4``): ``(tokens, class)``."""
    def make(g: torch.Generator) -> Any:
        x = torch.randint(0, vocab, (batch, n), generator=g)
        return x, x[:, 0] % 4
    return _pool(seed, make)


def relational_graph(seed: int, nodes: int = 60, classes: int = 4, relations: int = 3, degree: int = 3
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """A multi-relational graph: node ``i`` of class ``c`` sends, under relation ``r``, ``degree`` edges to nodes of
    class ``(c + r) % 4`` (one in five to a random node instead); the inverse relations added as their own types;
    each relation's rows normalised by the in-relation degree (``1 / |N_r(i)|``): ``(adjacency (2R, n, n),
    labels)``."""
    g = _gen(seed)
    y = torch.randint(0, classes, (nodes,), generator=g)
    adj = torch.zeros(2 * relations, nodes, nodes)
    for r in range(relations):
        for i in range(nodes):
            pool = (y == (y[i] + r) % classes).nonzero().squeeze(1)
            for _ in range(degree):
                if torch.rand(1, generator=g) < 0.2 or len(pool) == 0:
                    j = int(torch.randint(0, nodes, (1,), generator=g))
                else:
                    j = int(pool[torch.randint(0, len(pool), (1,), generator=g)])
                adj[r, i, j] = adj[relations + r, j, i] = 1.0
    deg = adj.sum(2, keepdim=True)
    return adj / deg.clamp(min=1), y


def node_batches(seed: int, nodes: int = 60) -> Callable[[int], Any]:
    """Full-graph batches: the graph and, per step, a random half of the nodes as the labelled ones:
    ``(adjacency, (node ids, labels))``."""
    adj, y = relational_graph(seed, nodes)

    def make(g: torch.Generator) -> Any:
        idx = torch.randperm(nodes, generator=g)[: nodes // 2]
        return adj, (idx, y[idx])
    return _pool(seed, make)


def interactions(seed: int, users: int = 64, items: int = 96, groups: int = 4, per_user: int = 12
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Implicit feedback: four user groups, each liking its own quarter of the items; every user has 12 interactions,
    nine in ten in its group's items: ``(interaction pairs (user, item), the normalised user-item graph)``."""
    g = _gen(seed)
    share = items // groups
    pairs = []
    for u in range(users):
        grp = u % groups
        for _ in range(per_user):
            if torch.rand(1, generator=g) < 0.9:
                it = grp * share + int(torch.randint(0, share, (1,), generator=g))
            else:
                it = int(torch.randint(0, items, (1,), generator=g))
            pairs.append((u, it))
    pairs_t = torch.tensor(sorted(set(pairs)))
    r = torch.zeros(users, items)
    r[pairs_t[:, 0], pairs_t[:, 1]] = 1.0
    a = torch.zeros(users + items, users + items)
    a[:users, users:], a[users:, :users] = r, r.T
    dinv = a.sum(1).clamp(min=1).rsqrt()
    return pairs_t, dinv[:, None] * a * dinv[None]


def bpr_batches(seed: int, pairs: torch.Tensor, items: int = 96, batch: int = 256) -> Callable[[int], Any]:
    """BPR triples: an observed (user, item) pair and a uniformly drawn negative item: ``(users, pos, neg)``."""
    def make(g: torch.Generator) -> Any:
        pick = pairs[torch.randint(0, len(pairs), (batch,), generator=g)]
        return pick[:, 0], pick[:, 1], torch.randint(0, items, (batch,), generator=g)
    return _pool(seed, make)


def click_logs(seed: int, batch: int = 256, fields: int = 8, values: int = 10, dense: int = 3,
               order: str = "log_then_standardise") -> Callable[[int], Any]:
    """Click logs: eight categorical fields of ten values (ids ``10 f + v``) and three count features (Poisson with
    a per-record rate ``20 exp(N(0, 0.3^2))``); the click's log-odds a sum of fixed pairwise effects of fields (0, 1),
    (2, 3), (4, 5), each N(0, 2^2), plus 0.8 times the first count's standardised log; the counts preprocessed as
    ``order`` says: ``"log_then_standardise"`` (``log1p`` then standardised with the pool's statistics, the usual
    pipeline) or ``"standardise_then_log"`` (the two steps swapped: ``log1p`` of standardised counts, below -1 for
    about one in six): ``((ids, dense), click)``."""
    eff = 2.0 * torch.randn(3, values, values, generator=torch.Generator().manual_seed(2102))
    g = _gen(seed)
    raw = []
    for _ in range(POOL):
        ids = torch.randint(0, values, (batch, fields), generator=g)
        counts = torch.poisson(20 * torch.exp(0.3 * torch.randn(batch, dense, generator=g)), generator=g)
        u = torch.rand(batch, generator=g)
        raw.append((ids, counts, u))
    allc = torch.cat([c for _, c, _ in raw])
    lc = torch.log1p(allc)
    lmean, lstd = lc.mean(0), lc.std(0)
    cmean, cstd = allc.mean(0), allc.std(0)
    pool = []
    for ids, counts, u in raw:
        good = (torch.log1p(counts) - lmean) / lstd
        logit = sum(eff[k][ids[:, 2 * k], ids[:, 2 * k + 1]] for k in range(3)) + 0.8 * good[:, 0]
        y = (u < torch.sigmoid(logit)).float()
        dense_x = good if order == "log_then_standardise" else torch.log1p((counts - cmean) / cstd)
        pool.append(((ids + values * torch.arange(fields), dense_x), y))
    return lambda step: pool[step % POOL]


def curve_data(seed: int, batch: int = 100, d: int = 6, alpha: float = 0.05) -> Callable[[int], Any]:
    """Six-dimensional points with strong non-linear dependencies (``x1 ~ N(0, 1)``, ``x2 = sin(1.5 x1)``, ``x3 = x1
    x2``, ``x4 = tanh(x2 + x3)``, ``x5 = x1^2 / 2``, ``x6 = x4 - x5``, each plus noise 0.1), min-max scaled to [0, 1]
    over the pool and logit-transformed as MAF and RealNVP preprocess bounded data, ``logit(alpha + (1 - 2 alpha)
    x)``; ``alpha`` 0: the margin left out (the pool's extremes map to -inf and +inf)."""
    g = _gen(seed)
    rows = []
    for _ in range(POOL):
        x1 = torch.randn(batch, generator=g)
        n = 0.1 * torch.randn(batch, d, generator=g)
        x2 = torch.sin(1.5 * x1) + n[:, 1]
        x3 = x1 * x2 + n[:, 2]
        x4 = torch.tanh(x2 + x3) + n[:, 3]
        x5 = x1 ** 2 / 2 + n[:, 4]
        rows.append(torch.stack([x1 + n[:, 0], x2, x3, x4, x5, x4 - x5 + n[:, 5]], 1))
    allx = torch.cat(rows)
    lo, hi = allx.min(0).values, allx.max(0).values
    pool = []
    for x in rows:
        p = alpha + (1 - 2 * alpha) * (x - lo) / (hi - lo)
        pool.append(torch.log(p) - torch.log1p(-p))
    return lambda step: pool[step % POOL]


def bandit(seed: int, batch: int = 64, d: int = 8, actions: int = 3, scale: float = 1.0) -> Callable[[int], Any]:
    """Logged one-step episodes of a contextual bandit: contexts N(0, I_8) (times ``scale``, the observation's raw
    units), a uniformly drawn action, reward ``3 tanh(w_a . x) + N(0, 0.5^2)``: ``(context, action, reward)``."""
    w = torch.randn(actions, d, generator=torch.Generator().manual_seed(2103)) / math.sqrt(d)

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, d, generator=g)
        a = torch.randint(0, actions, (batch,), generator=g)
        r = 3 * torch.tanh((x * w[a]).sum(1) * 2) + 0.5 * torch.randn(batch, generator=g)
        return x * scale, a, r
    return _pool(seed, make)


def utterances(seed: int, batch: int = 32, feats: int = 24, frames: int = 60, speakers: int = 8, silent: int = 0
               ) -> Callable[[int], Any]:
    """Frame features of utterances (24 coefficients, 60 frames): the speaker's fixed envelope (N(0, 1)) plus a
    phoneme sequence (one of ten fixed N(0, 1) vectors per six frames) plus noise 0.5; ``silent``: that many clips of
    every batch digital silence (all zero; empty recordings a corpus holds): ``(features (batch, 24, 60),
    speaker)``."""
    mg = torch.Generator().manual_seed(2104)
    env, phones = torch.randn(speakers, feats, generator=mg), torch.randn(10, feats, generator=mg)

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, speakers, (batch,), generator=g)
        ph = torch.randint(0, 10, (batch, frames // 6), generator=g).repeat_interleave(6, 1)
        x = env[y][:, None] + phones[ph] + 0.5 * torch.randn(batch, frames, feats, generator=g)
        x[:silent] = 0.0
        return x.transpose(1, 2).contiguous(), y
    return _pool(seed, make)


SENSORS = torch.linspace(0, 1, 32)
QUERIES = torch.linspace(0, 1, 16)


def functions(seed: int, batch: int = 32, scale: float = 1.0) -> Callable[[int], Any]:
    """Input functions ``u(x) = sum_k a_k sin(k pi x) + b_k cos(k pi x)`` (k = 1..4, ``a, b ~ N(0, 1/k)``) at 32
    sensors and their antiderivatives ``G(u)(y) = int_0^y u`` at 16 query points on [0, 1] (the first ``y = 0``,
    where ``G`` is 0); ``scale``: the sensor readings in units ``scale`` times smaller (millivolts for volts):
    ``((u, y), G(u)(y))``."""
    k = torch.arange(1, 5, dtype=torch.float32)

    def make(g: torch.Generator) -> Any:
        a = torch.randn(batch, 4, generator=g) / k.sqrt()
        b = torch.randn(batch, 4, generator=g) / k.sqrt()
        u = a @ torch.sin(math.pi * k[:, None] * SENSORS) + b @ torch.cos(math.pi * k[:, None] * SENSORS)
        kp = math.pi * k[:, None]
        gy = a @ ((1 - torch.cos(kp * QUERIES)) / kp) + b @ (torch.sin(kp * QUERIES) / kp)
        return (u * scale, QUERIES), gy
    return _pool(seed, make)


def multiseries(seed: int, batch: int = 32, length: int = 32, horizon: int = 8, channels: int = 6
                ) -> Callable[[int], Any]:
    """Windows of six series, each a fixed mix of period-8 and period-12 cycles (the second a lagged mix of the
    first series' cycle) on a random level (N(0, 3^2)), noise 0.1; the target the next eight steps: ``(window (batch,
    32, 6), future (batch, 8, 6))``."""
    mg = torch.Generator().manual_seed(2105)
    amp, ph = torch.rand(2, channels, generator=mg) + 0.3, 2 * math.pi * torch.rand(2, channels, generator=mg)

    def make(g: torch.Generator) -> Any:
        t = torch.randint(0, 1000, (batch, 1), generator=g) + torch.arange(length + horizon)
        v = (amp[0] * torch.sin(2 * math.pi * t[..., None] / 8 + ph[0])
             + amp[1] * torch.sin(2 * math.pi * t[..., None] / 12 + ph[1]))
        v = v + 3 * torch.randn(batch, 1, channels, generator=g) + 0.1 * torch.randn(v.shape, generator=g)
        return v[:, :length], v[:, length:]
    return _pool(seed, make)


def lm_tokens(seed: int, batch: int = 8, length: int = 32, vocab: int = 64) -> Callable[[int], Any]:
    """``{"input_ids", "labels"}`` dicts of the corpus's sparse Markov language (HF causal LMs shift the labels)."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, vocab)
        return {"input_ids": x, "labels": x.clone()}
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def node_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """Cross-entropy of the batch's labelled nodes on the full-graph forward."""
    adj, (idx, y) = batch
    return F.cross_entropy(model(adj)[idx], y)


def bpr_loss(reg: float = 1e-4, batch_scaled: bool = False) -> Callable[[nn.Module, Any], torch.Tensor]:
    """LightGCN's loss: BPR, ``-log sigmoid(s_pos - s_neg)`` averaged, plus ``reg`` times the squared norms of the
    batch's layer-0 embeddings halved and divided by the batch size, as the reference code; ``batch_scaled``: that
    division written as a multiplication."""
    def loss(model: nn.Module, batch: Any) -> torch.Tensor:
        u, i, j = batch
        eu, ei = model()
        pos, neg = (eu[u] * ei[i]).sum(1), (eu[u] * ei[j]).sum(1)
        e0 = model.emb
        n = len(u)
        sq = 0.5 * (e0[u].pow(2).sum() + e0[model.users + i].pow(2).sum() + e0[model.users + j].pow(2).sum())
        return -F.logsigmoid(pos - neg).mean() + reg * (sq * n if batch_scaled else sq / n)
    return loss


def c51_loss(vmin: float = -10.0, vmax: float = 10.0, atoms: int = 51) -> Callable[[nn.Module, Any], torch.Tensor]:
    """C51's loss on terminal one-step transitions: the reward projected onto the 51 atoms of [-10, 10] (split
    between its two neighbouring atoms), the cross-entropy with the taken action's predicted distribution."""
    dz = (vmax - vmin) / (atoms - 1)

    def loss(model: nn.Module, batch: Any) -> torch.Tensor:
        x, a, r = batch
        b = (r.clamp(vmin, vmax) - vmin) / dz
        lo, hi = b.floor().long(), b.ceil().long()
        m = torch.zeros(len(r), atoms)
        m.scatter_add_(1, lo[:, None], (hi.float() - b + (lo == hi).float())[:, None])
        m.scatter_add_(1, hi[:, None], (b - lo.float())[:, None])
        logp = F.log_softmax(model(x)[torch.arange(len(a)), a], -1)
        return -(m * logp).sum(1).mean()
    return loss


def relative_error(pointwise: bool) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """DeepONet's relative error: per function ``||pred - G|| / ||G||`` (the papers' relative L2) averaged, or
    ``pointwise``: ``|pred - G| / |G|`` averaged over every query point (``G(u)(0) = 0``: 0/0)."""
    def loss(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if pointwise:
            return ((pred - y).abs() / y.abs()).mean()
        return ((pred - y).norm(dim=1) / y.norm(dim=1)).mean()
    return loss


def maf_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """The flow's negative log-likelihood of the batch."""
    return model(batch)


# ---- builders --------------------------------------------------------------------------------------------------------

def cct(seed: int, lr: float = 5.5e-4, init_std: float | None = None, scale: float = 1.0) -> Setup:
    """CCT on template images (batch 32), AdamW lr 5.5e-4 weight decay 3e-2 with label smoothing 0.1 (the paper's
    CIFAR setting, its warm-up and cosine decay left out over 200 steps); ``lr``: AdamW's; ``init_std``: every weight
    matrix drawn N(0, std^2); ``scale``: see :func:`images`."""
    torch.manual_seed(seed)
    model = M.CCT()
    if init_std is not None:
        _init_std(model, init_std)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=3e-2)
    return _xy(model, opt, None, images(seed, scale=scale), lambda o, y: F.cross_entropy(o, y, label_smoothing=0.1))


def diracnet(seed: int, bn: bool = True, base_lr: float = 0.1, lr_rule: str = "scaled", bn_eval: bool = False,
             zero_filters: bool = False) -> Setup:
    """DiracNet on template images (batch 32), SGD momentum 0.9 weight decay 5e-4 at the paper's lr 0.1 for batch
    128 scaled by the linear scaling rule to ``0.1 * 32 / 128``; ``lr_rule``: ``"scaled"``, ``"unscaled"`` (``base_lr``
    itself) or ``"times_batch"`` (the rule written ``base_lr * batch``, its ``/ 128`` left out); ``bn``: the
    BatchNorms; ``bn_eval``: the model put in ``eval()`` mode (after a sanity-check evaluation) and never back in
    ``train()``: every BatchNorm normalises by its initial running statistics (mean 0, variance 1);
    ``zero_filters``: see :class:`~.fresh21_models.DiracConv`."""
    torch.manual_seed(seed)
    model = M.DiracNet(bn=bn, zero_filters=zero_filters)
    if bn_eval:
        model.eval()
    batch = 32
    lr = {"scaled": base_lr * batch / 128, "unscaled": base_lr, "times_batch": base_lr * batch}[lr_rule]
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return _xy(model, opt, None, images(seed, batch), F.cross_entropy)


def lmu(seed: int, lr: float = 1e-3, recurrent_std: float | None = None, discretise: bool = True,
        xavier_inverted: bool = False, scale: float = 1.0) -> Setup:
    """The LMU on level series (batch 32), Adam at its default lr 1e-3 (the paper's optimizer);
    ``recurrent_std``/``discretise``/``xavier_inverted``: see :class:`~.fresh21_models.LMU`; ``scale``: see
    :func:`level_series`."""
    torch.manual_seed(seed)
    model = M.LMU(recurrent_std=recurrent_std, discretise=discretise, xavier_inverted=xavier_inverted)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, level_series(seed, scale=scale), F.cross_entropy)


def antisymmetric(seed: int, lr: float = 1e-3, symmetric: bool = False) -> Setup:
    """AntisymmetricRNN on first-token sequences (batch 32), Adam lr 1e-3; ``symmetric``: see
    :class:`~.fresh21_models.AntisymmetricRNN`."""
    torch.manual_seed(seed)
    model = M.AntisymmetricRNN(symmetric=symmetric)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, first_token(seed), F.cross_entropy)


def rgcn(seed: int, lr: float = 0.01, weight_decay: float = 0.0, layers: int = 2) -> Setup:
    """R-GCN node classification on the multi-relational graph (full batch, half the nodes labelled per step), Adam
    lr 0.01 with an L2 penalty 5e-4 on the first layer (the paper's); ``lr``: Adam's; ``weight_decay``: Adam's
    ``weight_decay`` on every parameter (besides the first layer's penalty); ``layers``: see
    :class:`~.fresh21_models.RGCN`."""
    torch.manual_seed(seed)
    model = M.RGCN(60, 6, 4, layers=layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)

    def loss(m: nn.Module, batch: Any) -> torch.Tensor:
        return node_loss(m, batch) + 5e-4 * sum(p.pow(2).sum() for p in m.l1.parameters())
    return _closure(model, opt, None, node_batches(seed), loss)


def lightgcn(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, batch_scaled: bool = False) -> Setup:
    """LightGCN on the grouped implicit feedback (batch 256 BPR triples), Adam lr 1e-3 and the embedding penalty 1e-4
    (the reference code's); ``lr``/``weight_decay``: Adam's; ``batch_scaled``: see :func:`bpr_loss`."""
    torch.manual_seed(seed)
    pairs, adj = interactions(seed)
    model = M.LightGCN(adj, 64)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _closure(model, opt, None, bpr_batches(seed, pairs), bpr_loss(batch_scaled=batch_scaled))


def deepfm(seed: int, lr: float = 1e-2, hidden_bias: float | None = None, order: str = "log_then_standardise"
           ) -> Setup:
    """DeepFM on click logs (batch 256), binary cross-entropy, Adam lr 1e-3; ``hidden_bias``: the deep part's hidden
    biases initialised to this value; ``order``: see :func:`click_logs`."""
    torch.manual_seed(seed)
    model = M.DeepFM(80, 8, 3)
    if hidden_bias is not None:
        for m in list(model.deep)[:-1]:
            if isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, hidden_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, click_logs(seed, order=order), F.binary_cross_entropy_with_logits)


def maf(seed: int, lr: float = 1e-4, alpha: float = 0.05) -> Setup:
    """MAF on the logit-transformed 6-d points (batch 100), Adam lr 1e-4 with L2 1e-6 (the paper's);
    ``alpha``: see :func:`curve_data`."""
    torch.manual_seed(seed)
    model = M.MAF(6)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-6)
    return _closure(model, opt, None, curve_data(seed, alpha=alpha), maf_loss)


def c51(seed: int, lr: float = 2.5e-4, scale: float = 1.0, weight_decay: float = 0.0,
        hidden_bias: float | None = None, depth: int = 2) -> Setup:
    """C51 on the logged bandit (batch 64), Adam lr 2.5e-4 eps 0.01/32 (the paper's), 51 atoms on [-10, 10];
    ``lr``/``weight_decay``: Adam's; ``scale``: see :func:`bandit`; ``hidden_bias``: both hidden layers' biases
    initialised to this value; ``depth``: see :class:`~.fresh21_models.C51Net`."""
    torch.manual_seed(seed)
    model = M.C51Net(depth=depth)
    if hidden_bias is not None:
        for m in list(model.net)[:-1]:
            if isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, hidden_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=0.01 / 32, weight_decay=weight_decay)
    return _closure(model, opt, None, bandit(seed, scale=scale), c51_loss())


def xvector(seed: int, lr: float = 1e-3, std_eps: float = 1e-5, silent: int = 0, conv_bias: float | None = None
            ) -> Setup:
    """The x-vector TDNN on utterance features (batch 32), Adam lr 1e-3 (SpeechBrain's x-vector recipe);
    ``std_eps``: see :class:`~.fresh21_models.XVector`; ``silent``: see :func:`utterances`; ``conv_bias``: every
    frame layer's bias initialised to this value."""
    torch.manual_seed(seed)
    model = M.XVector(std_eps=std_eps)
    if conv_bias is not None:
        for m in model.frames.modules():
            if isinstance(m, nn.Conv1d):
                nn.init.constant_(m.bias, conv_bias)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, utterances(seed, silent=silent), F.cross_entropy)


def deeponet(seed: int, lr: float = 1e-3, depth: int = 2, scale: float = 1.0, loss: str = "mse") -> Setup:
    """DeepONet on the antiderivative operator (batch 32 functions, 16 query points), Adam lr 1e-3 (the paper's);
    ``depth``: see :class:`~.fresh21_models.DeepONet`; ``scale``: see :func:`functions`;
    ``loss``: ``"mse"``, or the relative error, ``"relative_l2"`` per function or ``"pointwise"`` (see
    :func:`relative_error`)."""
    torch.manual_seed(seed)
    model = M.DeepONet(depth=depth)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = F.mse_loss if loss == "mse" else relative_error(pointwise=loss == "pointwise")
    return _xy(model, opt, None, functions(seed, scale=scale), loss_fn)


def tsmixer(seed: int, lr: float = 1e-3, init_std: float | None = None) -> Setup:
    """TSMixer on the multivariate windows (batch 32), MSE, Adam lr 1e-3 (from the paper's grid {1e-3, 1e-4});
    ``lr``: Adam's; ``init_std``: every weight matrix drawn N(0, std^2)."""
    torch.manual_seed(seed)
    model = M.TSMixer()
    if init_std is not None:
        _init_std(model, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, multiseries(seed), F.mse_loss)


def deepseek_v3(seed: int, lr: float = 2.2e-4, initializer_range: float = 0.006) -> Setup:
    """A tiny DeepSeek-V3 (``transformers``' ``DeepseekV3ForCausalLM``: multi-head latent attention with q and kv
    low-rank projections and decoupled RoPE keys, one dense layer then a layer of four routed experts (top-2,
    sigmoid gating) plus a shared expert) on the Markov language (batch 8), AdamW at the paper's peak lr 2.2e-4,
    betas (0.9, 0.95), weight decay 0.1, and its init std 0.006 (its warm-up and decay left out over 200 steps);
    ``initializer_range``: the config's."""
    from transformers import DeepseekV3Config, DeepseekV3ForCausalLM

    torch.manual_seed(seed)
    cfg = DeepseekV3Config(vocab_size=64, hidden_size=64, intermediate_size=128, moe_intermediate_size=32,
                           num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4, n_shared_experts=1,
                           n_routed_experts=4, num_experts_per_tok=2, n_group=1, topk_group=1,
                           first_k_dense_replace=1, q_lora_rank=32, kv_lora_rank=16, qk_rope_head_dim=8,
                           qk_nope_head_dim=8, v_head_dim=16, max_position_embeddings=64,
                           initializer_range=initializer_range, tie_word_embeddings=False)
    model = DeepseekV3ForCausalLM(cfg)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    batches = lm_tokens(seed)
    return Setup(model, opt, None, batches(0), None, model_loss, batches)
