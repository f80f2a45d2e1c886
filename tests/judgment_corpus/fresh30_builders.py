"""Builders of the thirty-first held-out batch (``fresh30.py``): standard models new to the corpus at their usual
settings, and broken variants with one real fault each, plus the small data sets they train on. Written and labelled
before gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import fresh30_models as M
from . import fresh30_models2 as M2
from ._setup import POOL, Setup, markov_tokens, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(300_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(3000 + k)


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


def _u(g: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=g))


# ---- data ------------------------------------------------------------------------------------------------------------

def lm(seed: int, batch: int = 16, length: int = 33) -> Callable[[int], Any]:
    """The corpus' sparse Markov language (64 tokens): ``(inputs (b, 32), next tokens)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length, 64)
        return x[:, :-1], x[:, 1:]
    return _pool(seed, make)


def session_graphs(seed: int, batch: int = 64, length: int = 10, shuffle_targets: bool = False
                   ) -> Callable[[int], Any]:
    """Sessions of 10 items from the Markov chain over items 1..64 as SR-GNN's graphs (distinct items padded to 10,
    in- and out-adjacency normalised by degree, the last item's node, the node mask) and the next item (0-based):
    ``((nodes, A_in, A_out, last, mask), next)``; ``shuffle_targets``: the next items permuted against the
    sessions."""
    def make(g: torch.Generator, _: int) -> Any:
        x = markov_tokens(g, batch, length + 1, 64) + 1
        nodes = torch.zeros(batch, length, dtype=torch.long)
        a = torch.zeros(batch, length, length)
        last = torch.zeros(batch, dtype=torch.long)
        for i in range(batch):
            uniq = list(dict.fromkeys(x[i, :-1].tolist()))
            nodes[i, :len(uniq)] = torch.tensor(uniq)
            pos = [uniq.index(v) for v in x[i, :-1].tolist()]
            for s, r in itertools.pairwise(pos):
                a[i, s, r] = 1.0
            last[i] = pos[-1]
        a_out = a / a.sum(2, keepdim=True).clamp(min=1)
        a_in = a.transpose(1, 2) / a.transpose(1, 2).sum(2, keepdim=True).clamp(min=1)
        y = x[:, -1] - 1
        if shuffle_targets:
            y = y[torch.randperm(batch, generator=g)]
        return (nodes, a_in, a_out, last, (nodes > 0).float()), y
    return _pool(seed, make)


def padded_sequences(seed: int, batch: int = 32, length: int = 12, vocab: int = 32, shortest: int = 8
                     ) -> Callable[[int], Any]:
    """Token sequences (ids 1..32) of 8 to 12 tokens, left-padded with 0 to 12, labelled by their first real
    token's class (``token % 4``): ``(tokens (b, 12), class)``."""
    def make(g: torch.Generator, _: int) -> Any:
        x = torch.randint(1, vocab + 1, (batch, length), generator=g)
        n = torch.randint(shortest, length + 1, (batch,), generator=g)
        start = length - n
        x[torch.arange(length)[None] < start[:, None]] = 0
        return x, x[torch.arange(batch), start] % 4
    return _pool(seed, make)


def cooccurrence(seed: int, vocab: int = 100, tokens: int = 4000, window: int = 5) -> torch.Tensor:
    """GloVe's co-occurrence counts of a corpus of 4,000 tokens: each word followed by one of its 3 fixed successors
    with probability 0.9, else a uniform word; a symmetric window of 5 weighted by ``1 / distance``."""
    succ = torch.randint(0, vocab, (vocab, 3), generator=_fixed(1))
    g = _gen(seed)
    seq = [int(torch.randint(0, vocab, (1,), generator=g))]
    for _ in range(tokens - 1):
        if float(torch.rand((), generator=g)) < 0.9:
            seq.append(int(succ[seq[-1], int(torch.randint(0, 3, (1,), generator=g))]))
        else:
            seq.append(int(torch.randint(0, vocab, (1,), generator=g)))
    s = torch.tensor(seq)
    x = torch.zeros(vocab, vocab)
    for d in range(1, window + 1):
        x.index_put_((s[:-d], s[d:]), torch.full((tokens - d,), 1.0 / d), accumulate=True)
    return x + x.T


def cooccurrence_pairs(seed: int, batch: int = 256, dense: bool = False) -> Callable[[int], Any]:
    """Batches of 256 cells of :func:`cooccurrence` drawn from its non-zero cells (the reference code's shuffled
    list of them), with their counts: ``((i, j), X_ij)``. ``dense``: drawn from every cell of the dense matrix, the
    zeros included."""
    x = cooccurrence(seed)
    ii, jj = (torch.nonzero(x >= 0) if dense else torch.nonzero(x)).T

    def make(g: torch.Generator, _: int) -> Any:
        k = torch.randint(0, len(ii), (batch,), generator=g)
        return (ii[k], jj[k]), x[ii[k], jj[k]]
    return _pool(seed, make)


def crystals(seed: int, batch: int = 32, atoms: int = 12, k: int = 6, farthest: bool = False,
             ) -> Callable[[int], Any]:
    """Clusters of 12 atoms of 4 elements placed uniformly in a box of side 3, their energy per atom ``E / N = sum
    over pairs eps_ab exp(-r^2 / 0.5) / N`` (``eps_ab`` in [0.7, 1.3]), standardised over the pool (CGCNN's
    normaliser); each atom's neighbours are its 6 nearest, ``torch.topk(d, 6, largest=False)`` with the self-distance
    masked. ``farthest``: written ``torch.topk(d, 6)``, ``largest=True`` by default: the 6 farthest atoms. Inputs
    ``(one-hot elements (b, 12, 4), neighbour indices (b, 12, 6), Gaussian distance features (b, 12, 6, 21))``."""
    eps = 0.7 + 0.6 * torch.rand(4, 4, generator=_fixed(3))
    eps = (eps + eps.T) / 2
    centres = torch.linspace(0, 4, 21)

    def make(g: torch.Generator, _: int) -> Any:
        pos = 3 * torch.rand(batch, atoms, 3, generator=g)
        el = torch.randint(0, 4, (batch, atoms), generator=g)
        d = torch.cdist(pos, pos)
        pair = eps[el[:, :, None], el[:, None, :]] * torch.exp(-d ** 2 / 0.5) * (1 - torch.eye(atoms))
        energy = pair.sum((1, 2)) / 2 / atoms
        if farthest:
            dist, idx = torch.topk(d, k)
        else:
            dist, idx = torch.topk(d + torch.eye(atoms) * 1e9, k, largest=False)
        u = torch.exp(-(dist[..., None] - centres) ** 2 / 0.2 ** 2)
        return (F.one_hot(el, 4).float(), idx, u), energy
    g = _gen(seed)
    pool = [make(g, i) for i in range(POOL)]
    ys = torch.cat([y for _, y in pool])
    mean, std = ys.mean(), ys.std()
    pool = [(x, (y - mean) / std) for x, y in pool]
    return lambda step: pool[step % POOL]


def moving_clips(seed: int, batch: int = 30, frames: int = 8, size: int = 16, speed: int = 2) -> Callable[[int], Any]:
    """Clips of 8 frames (3x16x16): one of 6 fixed smooth patterns moving two pixels a frame (wrapping round) in
    one of four directions, the class, plus noise 0.3: ``(clip (b, 3, 8, 16, 16), direction)``."""
    patterns = 1.5 * _smooth(_fixed(4), 6, 3, 4, size)
    moves = ((0, 1), (0, -1), (1, 0), (-1, 0))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 4, (batch,), generator=g)
        pat = torch.randint(0, 6, (batch,), generator=g)
        off = torch.randint(0, size, (batch, 2), generator=g)
        clip = torch.empty(batch, 3, frames, size, size)
        for i in range(batch):
            dy, dx = (speed * v for v in moves[int(y[i])])
            for t in range(frames):
                clip[i, :, t] = patterns[pat[i]].roll((int(off[i, 0]) + dy * t, int(off[i, 1]) + dx * t), (1, 2))
        return clip + 0.3 * torch.randn(clip.shape, generator=g), y
    return _pool(seed, make)


def images(seed: int, batch: int = 32, size: int = 16) -> Callable[[int], Any]:
    """Class-template images (10 classes, 3x16x16, a fixed smooth template each) plus noise 0.7."""
    templates = _smooth(_fixed(5), 10, 3, 4, size)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, 10, (batch,), generator=g)
        return templates[y] + 0.7 * torch.randn(batch, 3, size, size, generator=g), y
    return _pool(seed, make)


def short_clips(seed: int, batch: int = 32, samples: int = 729, sr: int = 8000) -> Callable[[int], Any]:
    """8 kHz clips of 729 samples with four tags (a tone of 200-400 Hz, a tone of 1.5-3 kHz, a noise burst, a click
    train), each present with probability 0.4 over a random 300-sample stretch, on a noise floor of 0.02:
    ``(wave (b, 729), tags (b, 4))``."""
    t = torch.arange(300).float() / sr

    def make(g: torch.Generator, _: int) -> Any:
        y = (torch.rand(batch, 4, generator=g) < 0.4).float()
        x = 0.02 * torch.randn(batch, samples, generator=g)
        for i in range(batch):
            for tag in range(4):
                if y[i, tag]:
                    s = int(torch.randint(0, samples - 300, (1,), generator=g))
                    if tag == 0:
                        x[i, s:s + 300] += 0.5 * torch.sin(2 * math.pi * _u(g, 200, 400) * t)
                    elif tag == 1:
                        x[i, s:s + 300] += 0.3 * torch.sin(2 * math.pi * _u(g, 1500, 3000) * t)
                    elif tag == 2:
                        x[i, s:s + 300] += 0.3 * torch.randn(300, generator=g)
                    else:
                        x[i, s:s + 300:50] += 1.0
        return x, y
    return _pool(seed, make)


def pattern_series(seed: int, batch: int = 32, length: int = 64, two_loaders: bool = False) -> Callable[[int], Any]:
    """Univariate series of four classes: a 16-step shape (a triangle, a rising step, a falling step, a double
    bump) of random amplitude at a random place on noise 0.3: ``(series (b, 1, 64), class)``, 1,024 series in 32
    batches. ``two_loaders``: the series and their labels read through two ``DataLoader`` objects each built with
    ``shuffle=True`` and zipped: each epoch pairs every series with another series' label, a new pairing each
    epoch."""
    s = torch.arange(16).float()
    shapes = torch.stack([1 - (s - 7.5).abs() / 7.5, (s >= 8).float() * 2 - 1, 1 - (s >= 8).float() * 2,
                          torch.sin(2 * math.pi * s / 8)])
    g = _gen(seed)
    y = torch.randint(0, 4, (POOL * batch,), generator=g)
    x = 0.3 * torch.randn(POOL * batch, length, generator=g)
    start = torch.randint(0, length - 16, (POOL * batch,), generator=g)
    amp = 0.7 + 0.6 * torch.rand(POOL * batch, generator=g)
    for i in range(POOL * batch):
        x[i, start[i]:start[i] + 16] += amp[i] * shapes[y[i]]
    x = x[:, None]

    def batches(step: int) -> Any:
        epoch, i = divmod(step, POOL)
        rows = slice(i * batch, (i + 1) * batch)
        if not two_loaders:
            return x[rows], y[rows]
        ge = torch.Generator().manual_seed(300_000 + 1000 * seed + epoch)
        px, py = torch.randperm(POOL * batch, generator=ge), torch.randperm(POOL * batch, generator=ge)
        return x[px[rows]], y[py[rows]]
    return batches


def driving_series(seed: int, batch: int = 64, window: int = 10, raw_targets: bool = False,
                   guard_zero_std: bool = True) -> Callable[[int], Any]:
    """DA-RNN's task: 8 driving series in raw sensor units (sinusoids of random phase and period 10-30 steps plus AR
    noise, each at its own offset and scale; the eighth a dead sensor stuck at 5.0) and a target ``y_t = 0.6
    y_{t-1} + tanh(x1_t + 0.5 x2_{t-1}) + 0.3 x3_t x4_t`` plus noise 0.05 (of the standardised series). The
    series are standardised with the pool's mean and std, a zero std replaced by 1 (``StandardScaler``'s guard), the
    target likewise: ``((window (b, 10, 8), y_1..y_9 (b, 9)), y_10)``. ``raw_targets``: the target left in its raw
    units (index points: x 1000 around 4,000); ``guard_zero_std``: False divides by the raw std."""
    offsets = torch.tensor([20.0, -3.0, 100.0, 0.5, 7.0, 50.0, -10.0, 5.0])
    scales = torch.tensor([5.0, 0.5, 30.0, 0.1, 2.0, 10.0, 3.0, 0.0])
    period = 10 + 20 * torch.rand(8, generator=_fixed(6))

    def make(g: torch.Generator, _: int) -> Any:
        steps = window + 20
        phase = 2 * math.pi * torch.rand(batch, 8, generator=g)
        tt = torch.arange(steps).float()[None, :, None]
        z = torch.sin(2 * math.pi * tt / period + phase[:, None])
        ar = torch.zeros(batch, 8)
        noise = []
        for _t in range(steps):
            ar = 0.8 * ar + 0.3 * torch.randn(batch, 8, generator=g)
            noise.append(ar)
        z = z + torch.stack(noise, 1)
        y = torch.zeros(batch, steps)
        for t in range(1, steps):
            y[:, t] = (0.6 * y[:, t - 1] + torch.tanh(z[:, t, 0] + 0.5 * z[:, t - 1, 1])
                       + 0.3 * z[:, t, 2] * z[:, t, 3] + 0.05 * torch.randn(batch, generator=g))
        return offsets + scales * z[:, -window:], 4000 + 1000 * y[:, -window:]
    g = _gen(seed)
    pool = [make(g, i) for i in range(POOL)]
    xs, ys = torch.cat([p[0] for p in pool]), torch.cat([p[1] for p in pool])
    mx, sx = xs.mean((0, 1)), xs.std((0, 1))
    if guard_zero_std:
        sx = torch.where(sx < 1e-12, torch.ones_like(sx), sx)
    my, sy = (0.0, 1.0) if raw_targets else (ys.mean(), ys.std())
    data = [(((x - mx) / sx, (y[:, :-1] - my) / sy), (y[:, -1] - my) / sy) for x, y in pool]
    return lambda step: data[step % POOL]


# ---- losses ----------------------------------------------------------------------------------------------------------

def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def glove_loss(pred: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """GloVe's weighted least squares, ``0.5 f(X) (w.w~ + b + b~ - log X)^2`` with ``f(X) = min(1, (X / 100)^0.75)``,
    averaged over the batch."""
    f = (counts / 100).pow(0.75).clamp(max=1.0)
    return (0.5 * f * (pred - torch.log(counts)) ** 2).mean()


# ---- builders --------------------------------------------------------------------------------------------------------

def awd_lstm(seed: int, lr: float = 30.0, clip: float | None = 0.25, weight_drop_in_place: bool = False) -> Setup:
    """The AWD-LSTM on the Markov language (batch 16 of 32 tokens), cross-entropy, the reference code's SGD at lr 30
    weight decay 1.2e-6 with the gradient norm clipped at 0.25 (its AR/TAR terms left out); ``weight_drop_in_place``:
    see :class:`~.fresh30_models.AWDLSTM`."""
    torch.manual_seed(seed)
    model = M.AWDLSTM(weight_drop_in_place=weight_drop_in_place)
    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=1.2e-6)
    return _xy(model, opt, lm(seed), lm_loss, clip=clip)


def nextitnet(seed: int, lr: float = 1e-3, weight_decay: float = 0.0) -> Setup:
    """NextItNet on Markov sessions of 20 items (batch 32), cross-entropy at every position, Adam lr 1e-3 (the
    paper's)."""
    torch.manual_seed(seed)
    model = M.NextItNet()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, lm(seed, batch=32, length=21), lm_loss)


def srgnn(seed: int, lr: float = 1e-3, init_std: float | None = None, shuffle_targets: bool = False) -> Setup:
    """SR-GNN on Markov sessions of 10 items (batch 64), cross-entropy over the 64 items, Adam lr 1e-3 with L2
    penalty 1e-5 (the paper's); ``init_std``: every parameter drawn N(0, init_std^2) in place of the reference
    code's U(-0.1, 0.1)."""
    torch.manual_seed(seed)
    model = M.SRGNN()
    if init_std is not None:
        for p in model.parameters():
            nn.init.normal_(p, std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    return _xy(model, opt, session_graphs(seed, shuffle_targets=shuffle_targets), F.cross_entropy)


def exprnn(seed: int, lr: float = 1e-3, radius: float = 1.0, sign_by_division: bool = False) -> Setup:
    """ExpRNN on left-padded first-token sequences (batch 32), cross-entropy, RMSprop at the reference code's lr
    1e-3 with 1e-4 for the skew-symmetric parameter ``A`` (its TIMIT setting; its pixel-MNIST 7e-4 had not learned
    in 200 steps: 1.45 -> 0.998 at seed 0, the criterion 1.04); see :class:`~.fresh30_models.ExpRNN` for the
    switches."""
    torch.manual_seed(seed)
    model = M.ExpRNN(radius=radius, sign_by_division=sign_by_division)
    rest = [p for n, p in model.named_parameters() if n != "a"]
    opt = torch.optim.RMSprop([{"params": rest}, {"params": [model.a], "lr": lr / 10}], lr=lr)
    return _xy(model, opt, padded_sequences(seed), F.cross_entropy)


def glove(seed: int, lr: float = 0.05, dense: bool = False) -> Setup:
    """GloVe on the co-occurrence counts (batches of 256 cells), its weighted least squares, Adagrad at the
    reference code's lr 0.05; ``dense``: see :func:`cooccurrence_pairs` (``log(0) = -inf`` times ``f(0) = 0``)."""
    torch.manual_seed(seed)
    model = M.GloVe()
    return _xy(model, torch.optim.Adagrad(model.parameters(), lr=lr), cooccurrence_pairs(seed, dense=dense),
               glove_loss)


def cgcnn(seed: int, lr: float = 0.01, head_depth: int = 0, farthest: bool = False) -> Setup:
    """CGCNN on the clusters' standardised energies (batch 32), MSE, the reference code's SGD at lr 0.01 momentum
    0.9; ``head_depth``: see :class:`~.fresh30_models2.CGCNN`; ``farthest``: see :func:`crystals`."""
    torch.manual_seed(seed)
    model = M2.CGCNN(head_depth=head_depth)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return _xy(model, opt, crystals(seed, farthest=farthest), F.mse_loss)


def c3d(seed: int, lr: float = 0.003, weight_decay: float = 5e-4, relu_bias: float | None = None) -> Setup:
    """C3D on the moving-pattern clips (batch 30, the paper's), cross-entropy, SGD at the paper's lr 0.003 with
    momentum 0.9 and weight decay 5e-4; ``relu_bias``: every bias before a ReLU (the three convolutions' and the
    hidden fully connected layer's) set to it."""
    torch.manual_seed(seed)
    model = M2.C3D()
    if relu_bias is not None:
        with torch.no_grad():
            for m in (*model.convs, model.fc):
                m.bias.fill_(relu_bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    return _xy(model, opt, moving_clips(seed), F.cross_entropy)


def vovnet(seed: int, lr: float = 0.1 * 32 / 256, bn: bool = True) -> Setup:
    """VoVNet on template images (batch 32), cross-entropy, SGD momentum 0.9 weight decay 1e-4 at lr 0.1 per 256
    images (0.0125)."""
    torch.manual_seed(seed)
    model = M2.VoVNet(bn=bn)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return _xy(model, opt, images(seed), F.cross_entropy)


def samplecnn(seed: int, lr: float = 0.01) -> Setup:
    """SampleCNN on the tagged clips (batch 32), binary cross-entropy per tag, SGD at the paper's lr 0.01 with
    Nesterov momentum 0.9 and weight decay 1e-6."""
    torch.manual_seed(seed)
    model = M2.SampleCNN()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=1e-6)
    return _xy(model, opt, short_clips(seed), F.binary_cross_entropy_with_logits)


def fcn_series(seed: int, lr: float = 1e-3, two_loaders: bool = False) -> Setup:
    """The FCN on the pattern series (batch 32), cross-entropy, Adam lr 1e-3 (the paper's); ``two_loaders``: see
    :func:`pattern_series`."""
    torch.manual_seed(seed)
    model = M2.FCNSeries()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), pattern_series(seed, two_loaders=two_loaders),
               F.cross_entropy)


def darnn(seed: int, lr: float = 1e-3, init_std: float | None = None, raw_targets: bool = False,
          guard_zero_std: bool = True, state_swapped: bool = False) -> Setup:
    """DA-RNN on the driving series (batch 64), MSE, Adam lr 1e-3 (the paper's); ``init_std``: every weight
    drawn N(0, init_std^2); ``raw_targets``, ``guard_zero_std``: see :func:`driving_series`; ``state_swapped``: see
    :class:`~.fresh30_models2.DARNN`."""
    torch.manual_seed(seed)
    model = M2.DARNN(state_swapped=state_swapped)
    if init_std is not None:
        for name, p in model.named_parameters():
            if "weight" in name:
                nn.init.normal_(p, std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, driving_series(seed, raw_targets=raw_targets, guard_zero_std=guard_zero_std),
               F.mse_loss)
