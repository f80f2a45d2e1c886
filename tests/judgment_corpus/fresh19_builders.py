"""Builders of the twentieth held-out batch (``fresh19.py``): standard models new to the corpus at their usual
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

from . import fresh19_models as M
from ._setup import POOL, Setup, markov_tokens, model_loss, with_loss_fn


def _pool(seed: int, make: Callable[[torch.Generator], Any], size: int = POOL) -> Callable[[int], Any]:
    g = torch.Generator().manual_seed(190_000 + seed)
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

def _templates(classes: int = 10, size: int = 16, seed: int = 1901) -> torch.Tensor:
    tg = torch.Generator().manual_seed(seed)
    return F.interpolate(torch.randn(classes, 3, 4, 4, generator=tg), size=(size, size), mode="bilinear",
                         align_corners=False)


def moco_views(seed: int, batch: int = 32) -> Callable[[int], Any]:
    """Two views of each of ``batch`` instances (a class template plus the instance's own noise 0.7): each view the
    instance shifted by up to 2 pixels (circularly) plus fresh noise 0.2: ``((view 1, view 2), 0)`` (the positive
    key is logit 0)."""
    tmpl = _templates()

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        inst = tmpl[y] + 0.7 * torch.randn(batch, 3, 16, 16, generator=g)

        def view() -> torch.Tensor:
            shifts = torch.randint(-2, 3, (batch, 2), generator=g).tolist()
            out = torch.stack([torch.roll(im, (a, b), (1, 2)) for im, (a, b) in zip(inst, shifts, strict=True)])
            return out + 0.2 * torch.randn(out.shape, generator=g)
        return (view(), view()), torch.zeros(batch, dtype=torch.long)
    return _pool(seed, make)


def uint8_images(seed: int, batch: int = 32, floor_div: bool = False) -> Callable[[int], Any]:
    """16x16 class-template images plus noise 0.7 stored as 8-bit pixels (``128 + 30 x``, clamped), the loader's
    ``ToTensor``-and-``Normalize``: ``(x / 255 - 0.5) / 0.12``; ``floor_div``: the division written ``x // 255``
    (integer floor division: every pixel below 255 becomes 0): ``(image, label)``."""
    tmpl = _templates()

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        x = tmpl[y] + 0.7 * torch.randn(batch, 3, 16, 16, generator=g)
        pix = (128 + 30 * x).round().clamp(0, 255).to(torch.uint8)
        scaled = (pix // 255).float() if floor_div else pix / 255
        return (scaled - 0.5) / 0.12, y
    return _pool(seed, make)


def sr_batches(seed: int, batch: int = 16, size: int = 16) -> Callable[[int], Any]:
    """Super-resolution pairs: smooth random fields with finer detail mapped to [0, 1] by a sigmoid; the input the
    2x2 average-pooled image: ``(low-res, high-res)``."""
    def make(g: torch.Generator) -> Any:
        coarse = F.interpolate(torch.randn(batch, 1, 4, 4, generator=g), size=(size, size), mode="bilinear",
                               align_corners=False)
        fine = F.interpolate(torch.randn(batch, 1, 8, 8, generator=g), size=(size, size), mode="bilinear",
                             align_corners=False)
        hr = torch.sigmoid(1.5 * (coarse + 0.5 * fine))
        return F.avg_pool2d(hr, 2), hr
    return _pool(seed, make)


def lm_batches(seed: int, batch: int = 8, length: int = 33) -> Callable[[int], Any]:
    """Next-token pairs of the corpus's sparse Markov language over 64 tokens: ``(inputs, targets)``."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def mlm_batches(seed: int, batch: int = 8, length: int = 32, rate: float = 0.15) -> Callable[[int], Any]:
    """Masked-LM dicts over the Markov language on ids 4..35 (0-3 are special; 1 the mask): ``rate`` of the tokens
    masked, labels -100 elsewhere."""
    def make(g: torch.Generator) -> Any:
        x = markov_tokens(g, batch, length, 32) + 4
        masked = torch.rand(x.shape, generator=g) < rate
        return {"input_ids": torch.where(masked, torch.ones_like(x), x),
                "labels": torch.where(masked, x, torch.full_like(x, -100))}
    return _pool(seed, make)


def first_token_batches(seed: int, batch: int = 32, length: int = 32, vocab: int = 32) -> Callable[[int], Any]:
    """Token sequences labelled by their first token's class (``token % 4``): ``(ids, label)``."""
    def make(g: torch.Generator) -> Any:
        x = torch.randint(0, vocab, (batch, length), generator=g)
        return x, x[:, 0] % 4
    return _pool(seed, make)


def pair_batches(seed: int, batch: int = 64, length: int = 8, sick_scale: bool = False) -> Callable[[int], Any]:
    """Sentence pairs over 20 meanings, each with two synonymous words (ids ``m`` and ``m + 20``): sentence b
    repeats a random subset of sentence a's positions (each word by either synonym) and fills the rest with random
    words; the relatedness is the share of matching positions; ``sick_scale``: given as ``1 + 4 x`` (SICK's 1-5
    scale, never mapped to [0, 1] where MaLSTM's ``exp(-d)`` predicts): ``((a, b), relatedness)``."""
    def make(g: torch.Generator) -> Any:
        a = torch.randint(0, 20, (batch, length), generator=g)
        keep = torch.rand(batch, length, generator=g) < torch.rand(batch, 1, generator=g)
        b = torch.where(keep, a, torch.randint(0, 20, (batch, length), generator=g))
        syn = lambda t: t + 20 * torch.randint(0, 2, t.shape, generator=g)  # noqa: E731
        rel = (keep | (a == b)).float().mean(1)
        return (syn(a), syn(b)), 1 + 4 * rel if sick_scale else rel
    return _pool(seed, make)


def graph_batches(seed: int, nodes: int = 64, blocks: int = 4, d: int = 32) -> Callable[[int], Any]:
    """Stochastic-block-model graphs (4 communities, edge probabilities 0.3 within and 0.02 across) whose node
    features are their community's fixed mean plus unit noise; DGI's corruption permutation drawn with them:
    ``(normalised adjacency with self-loops, features, permutation)``."""
    means = 1.5 * torch.randn(blocks, d, generator=torch.Generator().manual_seed(1903))

    def make(g: torch.Generator) -> Any:
        c = torch.randint(0, blocks, (nodes,), generator=g)
        p = torch.where(c[:, None] == c[None], 0.3, 0.02)
        a = (torch.rand(nodes, nodes, generator=g) < p).float().triu(1)
        a = a + a.t() + torch.eye(nodes)
        dinv = a.sum(1).rsqrt()
        x = means[c] + torch.randn(nodes, d, generator=g)
        return dinv[:, None] * a * dinv[None], x, torch.randperm(nodes, generator=g)
    return _pool(seed, make)


def ctr_batches(seed: int, batch: int = 256, fields: int = 6, values: int = 10, effect: float = 1.5
                ) -> Callable[[int], Any]:
    """Click logs of six categorical fields of ten values: the click's log-odds is a sum of fixed pairwise effects
    of fields (0, 1), (2, 3) and (4, 5) (each N(0, 1.5^2)), the click drawn from it: ``(field ids, click)``."""
    eff = effect * torch.randn(3, values, values, generator=torch.Generator().manual_seed(1904))

    def make(g: torch.Generator) -> Any:
        ids = torch.randint(0, values, (batch, fields), generator=g)
        logit = sum(eff[k][ids[:, 2 * k], ids[:, 2 * k + 1]] for k in range(3))
        return ids, (torch.rand(batch, generator=g) < torch.sigmoid(logit)).float()
    return _pool(seed, make)


def manifold_batches(seed: int, batch: int = 128) -> Callable[[int], Any]:
    """8-dimensional points near a 2-dimensional curved manifold (``tanh`` of a fixed linear map of N(0, I_2),
    standardised, plus noise 0.05): ``(x, x)``."""
    mg = torch.Generator().manual_seed(1905)
    a, b = 2 * torch.randn(2, 8, generator=mg), torch.randn(8, generator=mg)

    def make(g: torch.Generator) -> Any:
        x = torch.tanh(torch.randn(batch, 2, generator=g) @ a + b)
        x = (x - x.mean(0)) / x.std(0) + 0.05 * torch.randn(batch, 8, generator=g)
        return x, x
    return _pool(seed, make)


def audio_batches(seed: int, batch: int = 32, samples: int = 2048, rate: float = 8000.0) -> Callable[[int], Any]:
    """Clips of 2048 samples at 8 kHz: classes 0-7 a tone sweeping up or down by half from 300, 600, 1200 or 2400
    Hz (random amplitude and phase, a random onset, noise 0.02), class 8 silence (all zeros, as a trimmed or muted
    recording reads): ``(waveform (batch, 1, samples), label)``."""
    t = torch.arange(samples) / rate

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, 9, (batch,), generator=g)
        base = torch.tensor([300.0, 600.0, 1200.0, 2400.0])[y % 4]
        sweep = torch.where(y // 4 == 0, 0.5, -1 / 3)
        f = base[:, None] * (1 + sweep[:, None] * t[None] / t[-1])
        phase = 2 * math.pi * torch.cumsum(f, 1) / rate + 2 * math.pi * torch.rand(batch, 1, generator=g)
        onset = t[None] > 0.05 * torch.rand(batch, 1, generator=g)
        amp = 0.3 + 0.7 * torch.rand(batch, 1, generator=g)
        wave = amp * torch.sin(phase) * onset + 0.02 * torch.randn(batch, samples, generator=g)
        return wave.masked_fill((y == 8)[:, None], 0.0)[:, None], y
    return _pool(seed, make)


def set_batches(seed: int, batch: int = 16, nodes: int = 16, d: int = 16, classes: int = 4) -> Callable[[int], Any]:
    """Random graphs (edge probability 0.2, self-loops, symmetric normalisation) whose nodes carry one of four fixed
    prototypes plus noise 1.0; the label the graph's most frequent prototype (60% of its nodes on average):
    ``((adjacency, features), label)``."""
    protos = torch.randn(classes, d, generator=torch.Generator().manual_seed(1907))

    def make(g: torch.Generator) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        kind = torch.where(torch.rand(batch, nodes, generator=g) < 0.5, y[:, None],
                           torch.randint(0, classes, (batch, nodes), generator=g))
        y = F.one_hot(kind, classes).sum(1).argmax(1)
        a = (torch.rand(batch, nodes, nodes, generator=g) < 0.2).float().triu(1)
        a = a + a.transpose(1, 2) + torch.eye(nodes)
        dinv = a.sum(2).rsqrt()
        x = protos[kind] + torch.randn(batch, nodes, d, generator=g)
        return (dinv[..., None] * a * dinv[:, None], x), y
    return _pool(seed, make)


def bandit_batches(seed: int, batch: int = 64, d: int = 8, arms: int = 4) -> Callable[[int], Any]:
    """A contextual bandit: contexts N(0, I_8), the rewarding arm the argmax of a fixed linear map (reward 1, else
    0); the Gumbel noise that samples the actions (so a batch's actions are fixed given the policy):
    ``(context, gumbel noise, best arm)``."""
    w = torch.randn(d, arms, generator=torch.Generator().manual_seed(1906))

    def make(g: torch.Generator) -> Any:
        x = torch.randn(batch, d, generator=g)
        u = torch.rand(batch, arms, generator=g).clamp(1e-6, 1 - 1e-6)
        return x, -torch.log(-torch.log(u)), (x @ w).argmax(1)
    return _pool(seed, make)


# ---- losses ----------------------------------------------------------------------------------------------------------

def seq_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def own_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """Models that return their own loss of the batch (DGI)."""
    return model(batch)


def nll_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """NICE's negative log-likelihood per dimension of the batch's points."""
    return model(batch[0])


def a2c_loss(reward: float = 1.0, ent_coef: float = 0.01, vf_coef: float = 0.5
             ) -> Callable[[nn.Module, Any], torch.Tensor]:
    """A2C's loss on one batch of one-step episodes: the policy gradient ``-(r - V) log pi(a)`` (advantage
    detached), ``vf_coef`` times the value MSE, minus ``ent_coef`` times the entropy; the actions sampled by the
    batch's Gumbel noise; ``reward``: the reward's units (1 for the rewarding arm)."""
    def loss(model: nn.Module, batch: Any) -> torch.Tensor:
        x, gumbel, best = batch
        logits, v = model(x)
        logp = F.log_softmax(logits, -1)
        a = (logits.detach() + gumbel).argmax(1)
        r = (a == best).float() * reward
        pg = -((r - v.detach()) * logp.gather(1, a[:, None]).squeeze(1)).mean()
        ent = -(logp.exp() * logp).sum(1).mean()
        return pg + vf_coef * F.mse_loss(v, r) - ent_coef * ent
    return loss


def _strip(model: nn.Module, kinds: tuple[type, ...]) -> None:
    """Replace every submodule of one of ``kinds`` by ``nn.Identity``."""
    for name, child in model.named_children():
        if isinstance(child, kinds):
            setattr(model, name, nn.Identity())
        else:
            _strip(child, kinds)


def product_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The sequence likelihood written as a product: ``-log(prod_t p_t) / T`` (the product of 32 probabilities near
    1/64 underflows float32 to 0, and its log is -inf)."""
    p = logits.softmax(-1).gather(-1, targets[..., None]).squeeze(-1)
    return -torch.log(p.prod(1)).mean() / targets.shape[1]


# ---- builders --------------------------------------------------------------------------------------------------------

def moco(seed: int, lr: float = 0.06, weight_decay: float = 5e-4, norm_dim: int = 1, head_bias: float | None = None
         ) -> Setup:
    """MoCo v2 on two shifted views of template images (batch 32, a queue of 256 keys filled with the initial key
    encoder's keys of the pool's last 8 batches, temperature 0.2, key momentum 0.99), SGD lr 0.06 momentum 0.9
    weight decay 5e-4 (the MoCo CIFAR-10 demo's); ``lr``/``weight_decay``: SGD's; ``norm_dim``: see
    :class:`~.fresh19_models.MoCo`; ``head_bias``: the projection head's hidden biases initialised to this value."""
    torch.manual_seed(seed)
    model = M.MoCo(norm_dim=norm_dim)
    if head_bias is not None:
        with torch.no_grad():
            for enc in (model.q_enc, model.k_enc):
                enc.head[0].bias.fill_(head_bias)
    views = moco_views(seed)
    model.fill_queue([views(-i)[0][1] for i in range(1, 9)])
    opt = M.MoCoSGD(model, lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, None, views, F.cross_entropy)


def van(seed: int, lr: float = 1e-3, init_std: float | None = None, floor_div: bool = False, norms: bool = True
        ) -> Setup:
    """VAN on 8-bit template images (batch 32), AdamW lr 1e-3 weight decay 0.05 with a 10-step warm-up (the
    paper's recipe, its lr scaled to the batch and the run); ``lr``: the peak lr; ``init_std``: every conv and linear
    weight drawn N(0, std^2); ``floor_div``: see :func:`uint8_images`; ``norms``: the BatchNorms and the LayerNorm
    (False: every one replaced by the identity)."""
    torch.manual_seed(seed)
    model = M.VAN()
    if init_std is not None:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.Conv2d | nn.Linear):
                    m.weight.normal_(0.0, init_std)
    if not norms:
        _strip(model, (nn.BatchNorm2d, nn.LayerNorm))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    return _xy(model, opt, warmup(opt, 10), uint8_images(seed, floor_div=floor_div), F.cross_entropy)


def edsr(seed: int, lr: float = 1e-4, blocks: int = 4, residual: bool = True) -> Setup:
    """EDSR 2x super-resolution (batch 16), L1 loss, Adam lr 1e-4 betas (0.9, 0.999) eps 1e-8 (the paper's);
    ``blocks``/``residual``: see :class:`~.fresh19_models.EDSR`."""
    torch.manual_seed(seed)
    model = M.EDSR(blocks=blocks, residual=residual)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    return _xy(model, opt, None, sr_batches(seed), F.l1_loss)


def performer(seed: int, lr: float = 1e-3, init_std: float | None = None, init_by_name: bool = False,
              norms: bool = True, product: bool = False) -> Setup:
    """The Performer LM on the Markov language (batch 8 of 32 tokens), Adam lr 1e-3 with a 10-step warm-up;
    ``lr``: the peak lr; ``init_std``: every weight matrix and embedding drawn N(0, std^2); ``init_by_name``: GPT's
    N(0, 0.02) applied to every parameter whose name holds ``"weight"``, the LayerNorms' gains among them;
    ``norms``: the LayerNorms (False: none); ``product``: the loss :func:`product_loss`."""
    torch.manual_seed(seed)
    model = M.PerformerLM()
    if init_std is not None:
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() >= 2:
                    p.normal_(0.0, init_std)
    if init_by_name:
        for name, p in model.named_parameters():
            if "weight" in name:
                nn.init.normal_(p, 0.0, 0.02)
    if not norms:
        _strip(model, (nn.LayerNorm,))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, warmup(opt, 10), lm_batches(seed), product_loss if product else seq_loss)


def dilated_rnn(seed: int, recurrent_std: float | None = None, lr: float = 1e-3, chunked: bool = False) -> Setup:
    """The Dilated RNN on first-token classification of 64-token sequences (batch 32), RMSProp lr 1e-3 decay 0.9
    (Chang et al.'s); ``recurrent_std``/``chunked``: see :class:`~.fresh19_models.DilatedRNN`; ``lr``: RMSProp's."""
    torch.manual_seed(seed)
    model = M.DilatedRNN(recurrent_std=recurrent_std, chunked=chunked)
    opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9)
    return _xy(model, opt, None, first_token_batches(seed), F.cross_entropy)


def malstm(seed: int, recurrent_std: float | None = None, sick_scale: bool = False, adadelta_lr: float = 1.0,
           zero_lstm: bool = False) -> Setup:
    """MaLSTM on synonym sentence pairs (batch 64), MSE, Adadelta (rho 0.95, its lr 1.0) with the gradient norm
    clipped at 1.25 (the paper's); ``recurrent_std``: see :class:`~.fresh19_models.MaLSTM`; ``sick_scale``: see
    :func:`pair_batches`; ``adadelta_lr``: Adadelta's lr (a multiplier of its own step size); ``zero_lstm``: every
    LSTM weight and bias initialised to zero."""
    torch.manual_seed(seed)
    model = M.MaLSTM(recurrent_std=recurrent_std)
    if zero_lstm:
        for p in model.lstm.parameters():
            nn.init.zeros_(p)
    opt = torch.optim.Adadelta(model.parameters(), lr=adadelta_lr, rho=0.95)
    return _xy(model, opt, None, pair_batches(seed, sick_scale=sick_scale), F.mse_loss, clip=1.25)


def dgi(seed: int, layers: int = 1, bce: str = "logits", residual: bool = False, weight_decay: float = 0.0
        ) -> Setup:
    """Deep Graph Infomax on block-model graphs of 64 nodes, Adam lr 1e-3 (the paper's);
    ``layers``/``bce``/``residual``: see :class:`~.fresh19_models.DGI`; ``weight_decay``: Adam's."""
    torch.manual_seed(seed)
    model = M.DGI(layers=layers, bce=bce, residual=residual)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    return _closure(model, opt, None, graph_batches(seed), own_loss)


def afm(seed: int, lr: float = 0.1, weight_decay: float = 0.0) -> Setup:
    """AFM on click logs (batch 256), binary cross-entropy, Adagrad lr 0.1 (the paper's optimizer; its lr 0.05 had
    not learned by step 200: 0.693 -> 0.525 at seed 0, the criterion 0.520); ``lr``/``weight_decay``: Adagrad's."""
    torch.manual_seed(seed)
    model = M.AFM()
    opt = torch.optim.Adagrad(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, None, ctr_batches(seed), F.binary_cross_entropy_with_logits)


def nice(seed: int, lr: float = 3e-3) -> Setup:
    """NICE on points near a curved 2-d manifold in 8 dimensions (batch 128), Adam betas (0.9, 0.01) eps 1e-4 (the
    paper's) at lr 3e-3 (the paper's 1e-3 had not learned by step 200: 1.62 -> 1.25 at seed 0, the criterion 1.22);
    ``lr``: Adam's."""
    torch.manual_seed(seed)
    model = M.NICE()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.01), eps=1e-4)
    return _closure(model, opt, None, manifold_batches(seed), nll_loss)


def crnn(seed: int, log_eps: float = 1e-10, standardise_dim: int | None = -1, bn: bool = True) -> Setup:
    """The CRNN on tone-sweep and silence clips (batch 32), Adam lr 1e-3 (Cakir et al.'s); ``log_eps``/
    ``standardise_dim``/``bn``: see :class:`~.fresh19_models.CRNN`."""
    torch.manual_seed(seed)
    model = M.CRNN(log_eps=log_eps, standardise_dim=standardise_dim, bn=bn)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return _xy(model, opt, None, audio_batches(seed), F.cross_entropy)


def a2c(seed: int, reward: float = 1.0) -> Setup:
    """A2C on the contextual bandit (64 one-step episodes per update), RMSprop lr 7e-4 alpha 0.99 eps 1e-5, value
    coefficient 0.5, entropy 0.01, gradient norm clipped at 0.5 (the baselines / Stable-Baselines3 defaults);
    ``reward``: see :func:`a2c_loss`."""
    torch.manual_seed(seed)
    model = M.ActorCritic()
    opt = torch.optim.RMSprop(model.parameters(), lr=7e-4, alpha=0.99, eps=1e-5)
    return _closure(model, opt, None, bandit_batches(seed), a2c_loss(reward), clip=0.5)


def set2set(seed: int, lr: float = 1e-3, init_std: float | None = None) -> Setup:
    """The MPNN with a Set2Set readout on graph classification (batch 16 graphs of 16 nodes), Adam lr 1e-3;
    ``lr``: Adam's; ``init_std``: every weight matrix drawn N(0, std^2)."""
    torch.manual_seed(seed)
    model = M.Set2SetNet()
    if init_std is not None:
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() >= 2:
                    p.normal_(0.0, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, None, set_batches(seed), F.cross_entropy)


def longformer(seed: int, lr: float = 1e-3) -> Setup:
    """A tiny Longformer MLM (``transformers``' ``LongformerConfig``: 2 layers of 64, 4 heads, local attention
    windows of 8) on the Markov language (batch 8 of 32 tokens), AdamW weight decay 0.01 with a 20-step warm-up
    (BERT's pre-training recipe) at lr 1e-3 (BERT's 1e-4 is meant for 1M steps and had not learned by step 200:
    4.15 -> 3.67 at seed 0; at 5e-4 it ends at 3.12 against a criterion of 3.12); ``lr``: the peak lr."""
    from transformers import LongformerConfig, LongformerForMaskedLM

    torch.manual_seed(seed)
    cfg = LongformerConfig(vocab_size=64, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                           intermediate_size=128, attention_window=8, max_position_embeddings=40, pad_token_id=0,
                           bos_token_id=2, eos_token_id=3, sep_token_id=3)
    model = LongformerForMaskedLM(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    return Setup(model, opt, warmup(opt, 20), mlm_batches(seed)(0), None, model_loss, mlm_batches(seed))
