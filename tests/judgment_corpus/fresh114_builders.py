"""Builders of the hundred-and-fifteenth held-out batch (``fresh114.py``): multimodal learning and retrieval models
new to the corpus (visual question answering, image-text matching, captioning, neural re-ranking, audio-visual event
localisation, gated multimodal fusion) at their usual settings, and broken variants with one real fault each, plus
the small data sets they train on. Written and labelled with plain PyTorch before gradguard's judgment was run on them
and never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn

SEED0 = 1_140_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(SEED0 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(11_400 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None, clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _normal_init(model: nn.Module, std: float) -> None:
    """Every Linear and conv weight drawn N(0, std^2) (the init common)."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            nn.init.normal_(m.weight, 0.0, std)


def _zero_init(model: nn.Module) -> None:
    """Every parameter set to zero (the init common)."""
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()


# ---- data: scenes of coloured shapes on a 4x4 grid of regions --------------------------------------------------------

#: the shared token vocabulary: 0 pad, 1 bos, 2 eos, 3..8 the six shape words, 9..14 the six colour words, 15..23
#: question words ("what", "colour", "shape", "is", "the", "thing", "of", "in", "picture")
PAD, BOS, EOS, SHAPE0, COLOUR0, WHAT, COLOUR_W, SHAPE_W, IS, THE, THING, OF, IN, PICTURE = (0, 1, 2, 3, 9, 15, 16, 17,
                                                                                           18, 19, 20, 21, 22, 23)
VOCAB = 24
N_SHAPES = N_COLOURS = 6
REGIONS, RDIM = 16, 16


def _scene_templates() -> tuple[torch.Tensor, torch.Tensor]:
    """The six shapes' and six colours' fixed 16-d region-feature templates (unit scale)."""
    return torch.randn(N_SHAPES, RDIM, generator=_fixed(1)), torch.randn(N_COLOURS, RDIM, generator=_fixed(2))


def _scenes(g: torch.Generator, batch: int, lo: int = 2, hi: int = 4) -> tuple[torch.Tensor, torch.Tensor,
                                                                               torch.Tensor, torch.Tensor]:
    """``batch`` scenes of ``lo`` .. ``hi`` objects of distinct shapes and distinct colours in distinct cells of the
    4x4 grid: region features ``(b, 16, 16)`` (each occupied cell its shape's plus its colour's template, every cell
    N(0, 0.1^2) noise), and per scene the objects' cells, shapes and colours ``(b, hi)`` (-1 past the count), sorted
    by cell (raster order)."""
    shape_t, colour_t = _scene_templates()
    regions = 0.1 * torch.randn(batch, REGIONS, RDIM, generator=g)
    n = torch.randint(lo, hi + 1, (batch,), generator=g)
    cells = torch.full((batch, hi), -1)
    shapes = torch.full((batch, hi), -1)
    colours = torch.full((batch, hi), -1)
    for i in range(batch):
        k = int(n[i])
        c = torch.randperm(REGIONS, generator=g)[:k].sort().values
        s = torch.randperm(N_SHAPES, generator=g)[:k]
        col = torch.randperm(N_COLOURS, generator=g)[:k]
        regions[i, c] += shape_t[s] + colour_t[col]
        cells[i, :k], shapes[i, :k], colours[i, :k] = c, s, col
    return regions, cells, shapes, colours


def vqa_batches(seed: int, batch: int = 32, shuffled: bool = False) -> Callable[[int], Any]:
    """VQA on the scenes: per scene one question, "what colour is the <shape> in the picture" (answer: its colour,
    0..5) or "what shape is the <colour> thing in the picture" (answer: its shape, 6..11), padded to 9 tokens:
    ``((regions (b, 16, 16), question (b, 9)), answer (b,))``; ``shuffled``: the answers permuted within every batch,
    apart from their questions and scenes (the data common)."""
    def make(g: torch.Generator, _: int) -> Any:
        regions, _, shapes, colours = _scenes(g, batch)
        q = torch.full((batch, 9), PAD)
        ans = torch.empty(batch, dtype=torch.long)
        kind = torch.rand(batch, generator=g) < 0.5
        pick = torch.randint(0, 2, (batch,), generator=g)  # every scene holds at least two objects
        for i in range(batch):
            s, c = int(shapes[i, pick[i]]), int(colours[i, pick[i]])
            if kind[i]:
                q[i, :8] = torch.tensor([WHAT, COLOUR_W, IS, THE, SHAPE0 + s, IN, THE, PICTURE])
                ans[i] = c
            else:
                q[i, :9] = torch.tensor([WHAT, SHAPE_W, IS, THE, COLOUR0 + c, THING, IN, THE, PICTURE])
                ans[i] = N_COLOURS + s
        if shuffled:
            ans = ans[torch.randperm(batch, generator=g)]
        return (regions, q), ans
    return _pool(seed, make)


def _boxes() -> torch.Tensor:
    """Each of the 16 cells' box (x0, y0, x1, y1) in [0, 1] (the geometry bottom-up features carry)."""
    r, c = torch.arange(16) // 4, torch.arange(16) % 4
    return torch.stack([c / 4, r / 4, (c + 1) / 4, (r + 1) / 4], 1).float()


def caption_batches(seed: int, batch: int = 32) -> Callable[[int], Any]:
    """Captions of the scenes: the objects in raster order, "<colour> <shape>" each, then eos (at most 9 tokens,
    padded): ``((regions with their boxes (b, 16, 20), caption input from bos (b, 9)), caption targets (b, 9))``,
    targets padded with -100 (ignored)."""
    box = _boxes()

    def make(g: torch.Generator, _: int) -> Any:
        regions, _, shapes, colours = _scenes(g, batch)
        tgt = torch.full((batch, 9), -100)
        for i in range(batch):
            toks = []
            for s, c in zip(shapes[i].tolist(), colours[i].tolist()):
                if s >= 0:
                    toks += [COLOUR0 + c, SHAPE0 + s]
            toks.append(EOS)
            tgt[i, :len(toks)] = torch.tensor(toks)
        inp = torch.cat([torch.full((batch, 1), BOS), tgt[:, :-1].clamp(min=0)], 1)
        feats = torch.cat([regions, box.expand(batch, 16, 4)], 2)
        return (feats, inp), tgt
    return _pool(seed, make)


def matching_batches(seed: int, batch: int = 32, sort_captions_only: bool = False) -> Callable[[int], Any]:
    """Image-text pairs for retrieval: each scene (2 to 4 objects) and its description, the objects in a random order,
    "<colour> <shape>" each (4 to 8 tokens, padded): ``((regions (b, 16, 16), caption (b, 8), lengths (b,)), None)``.
    The collate sorts each batch by caption length, longest first, for ``pack_padded_sequence`` and reorders the
    images with it; ``sort_captions_only``: the captions and lengths sorted, the images left in loader order (the
    slip)."""
    def make(g: torch.Generator, _: int) -> Any:
        regions, _, shapes, colours = _scenes(g, batch)
        cap = torch.full((batch, 8), PAD)
        lengths = torch.empty(batch, dtype=torch.long)
        for i in range(batch):
            objs = [(c, s) for s, c in zip(shapes[i].tolist(), colours[i].tolist()) if s >= 0]
            order = torch.randperm(len(objs), generator=g).tolist()
            toks = [t for j in order for t in (COLOUR0 + objs[j][0], SHAPE0 + objs[j][1])]
            cap[i, :len(toks)] = torch.tensor(toks)
            lengths[i] = len(toks)
        idx = torch.sort(lengths, descending=True, stable=True).indices
        cap, lengths = cap[idx], lengths[idx]
        if not sort_captions_only:
            regions = regions[idx]
        return (regions, cap, lengths), torch.zeros(batch)
    return _pool(seed, make)


# ---- data: queries and documents (re-ranking) ------------------------------------------------------------------------

N_TERMS, Q_LEN, D_LEN, N_TOPICS = 64, 3, 20, 8


def ranking_batches(seed: int, batch: int = 16, negatives: int = 4, positives_from_other: bool = False,
                    docs_shuffled: bool = False) -> Callable[[int], Any]:
    """Re-ranking tuples: a query of 3 terms (of 64, in 8 topics of 8) and its relevant document of 20 terms, which
    holds the query's terms once or twice each and the rest from the query's topic (60%) or anywhere (40%); the
    candidates are the relevant document first and the relevant documents of 4 other queries of the batch (of other
    topics where there are four): ``((query (b, 3), docs (b, 5, 20)), 0 (b,))``. ``positives_from_other``: the
    relevant documents permuted over the batch (a second loader; not used by the cases, see :func:`duet`);
    ``docs_shuffled``: the candidates' order permuted apart from the target index."""
    topic_of = torch.arange(N_TERMS) // (N_TERMS // N_TOPICS)

    def doc(g: torch.Generator, q: torch.Tensor | None, topic: int, query_terms: int) -> torch.Tensor:
        in_topic = torch.nonzero(topic_of == topic).flatten()
        d = torch.where(torch.rand(D_LEN, generator=g) < 0.6,
                        in_topic[torch.randint(0, len(in_topic), (D_LEN,), generator=g)],
                        torch.randint(0, N_TERMS, (D_LEN,), generator=g))
        if q is not None and query_terms:
            pos = torch.randperm(D_LEN, generator=g)[:query_terms * 2]
            for j in range(query_terms * 2):
                if j < query_terms or bool(torch.rand(1, generator=g) < 0.5):
                    d[pos[j]] = q[j % query_terms]
        return d

    def make(g: torch.Generator, _: int) -> Any:
        qs = torch.empty(batch, Q_LEN, dtype=torch.long)
        rel = torch.empty(batch, D_LEN, dtype=torch.long)
        topics = torch.randint(0, N_TOPICS, (batch,), generator=g)
        for i in range(batch):
            in_topic = torch.nonzero(topic_of == topics[i]).flatten()
            qs[i] = in_topic[torch.randperm(len(in_topic), generator=g)[:Q_LEN]]
            rel[i] = doc(g, qs[i], int(topics[i]), Q_LEN)
        if positives_from_other:
            rel = rel[torch.randperm(batch, generator=g)]
        docs = torch.empty(batch, 1 + negatives, D_LEN, dtype=torch.long)
        for i in range(batch):
            others = torch.nonzero(topics != topics[i]).flatten()
            if len(others) < negatives:
                others = torch.tensor([j for j in range(batch) if j != i])
            docs[i, 0] = rel[i]
            docs[i, 1:] = rel[others[torch.randperm(len(others), generator=g)[:negatives]]]
        if docs_shuffled:
            for i in range(batch):
                docs[i] = docs[i, torch.randperm(1 + negatives, generator=g)]
        return (qs, docs), torch.zeros(batch, dtype=torch.long)
    return _pool(seed, make)


# ---- data: audio-visual events ---------------------------------------------------------------------------------------

N_EVENTS, SEGMENTS, ADIM = 5, 10, 32


def av_batches(seed: int, batch: int = 16, cutmix: str | None = None) -> Callable[[int], Any]:
    """Audio-visual event clips of 10 one-second segments: each segment holds one of 5 events (probability 0.6), the
    event's sound (a fixed 32-d template + N(0, 0.5^2) noise, times a loudness U(0.5, 1.5)) and its object (a fixed
    16-d template in one random cell of a 4x4 grid of 16-d visual features, the rest N(0, 0.3^2) clutter), or is
    background (one of 3 other objects on screen, and the background sound, a sixth template, or in a third of them
    digital silence: an audio feature of exact zeros); labels per segment, 0..4 or 5 (background): ``((audio (b, 10,
    32), visual (b, 10, 16, 16)), labels (b, 10))``; ``cutmix``: temporal CutMix, a window of 2 to 8 consecutive
    segments of every clip replaced by those of another clip of the batch, both streams; ``"right"``: the window's
    labels taken from the pasted clip as well; ``"inverted"``: the label mask reversed, the pasted clip's labels
    taken outside the window and the clip's own inside it, so that every segment is labelled by the clip it does not
    show (the slip)."""
    a_t = torch.randn(N_EVENTS + 1, ADIM, generator=_fixed(3))
    v_t = torch.randn(N_EVENTS + 3, RDIM, generator=_fixed(4))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.where(torch.rand(batch, SEGMENTS, generator=g) < 0.6,
                        torch.randint(0, N_EVENTS, (batch, SEGMENTS), generator=g), torch.full((batch, SEGMENTS), 5))
        ev = y < N_EVENTS
        loud = 0.5 + torch.rand(batch, SEGMENTS, 1, generator=g)
        audio = loud * (a_t[y] + 0.5 * torch.randn(batch, SEGMENTS, ADIM, generator=g))
        silent = (~ev) & (torch.rand(batch, SEGMENTS, generator=g) < 1 / 3)
        audio = audio.masked_fill(silent[..., None], 0.0)
        visual = 0.3 * torch.randn(batch, SEGMENTS, REGIONS, RDIM, generator=g)
        obj = torch.where(ev, y, N_EVENTS + torch.randint(0, 3, (batch, SEGMENTS), generator=g))
        cell = torch.randint(0, REGIONS, (batch, SEGMENTS), generator=g)
        visual[torch.arange(batch)[:, None], torch.arange(SEGMENTS)[None], cell] += v_t[obj]
        if cutmix:
            perm = torch.randperm(batch, generator=g)
            width = torch.randint(2, 9, (batch,), generator=g)
            start = (torch.rand(batch, generator=g) * (SEGMENTS - width + 1)).long()
            t = torch.arange(SEGMENTS)[None]
            m = (t >= start[:, None]) & (t < (start + width)[:, None])
            audio = torch.where(m[..., None], audio[perm], audio)
            visual = torch.where(m[..., None, None], visual[perm], visual)
            y = torch.where(m, y, y[perm]) if cutmix == "inverted" else torch.where(m, y[perm], y)
        return (audio, visual), y
    return _pool(seed, make)


# ---- data: two-modality genre classification -------------------------------------------------------------------------

GENRES, VIS_DIM, WORDS = 8, 64, 64


def genre_batches(seed: int, batch: int = 64, raw: float = 40.0, offset: float = 0.0) -> Callable[[int], Any]:
    """Multimodal genre classification (as MM-IMDb, synthetic): 8 genres; the poster's features are raw fc7-like
    activations, ``relu(template + 1.5 noise)`` times 40 (a fixed 64-d template per genre), the plot a bag of 30 words
    of which 40% come from the genre's 8 topic words, as raw counts over 64 words, both plus ``offset`` (a feature
    store's zero point): ``((visual (b, 64), text counts (b, 64)), genre (b,))``."""
    v_t = torch.randn(GENRES, VIS_DIM, generator=_fixed(5))

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, GENRES, (batch,), generator=g)
        vis = raw * F.relu(v_t[y] + 1.5 * torch.randn(batch, VIS_DIM, generator=g))
        topic = y[:, None] * 8 + torch.randint(0, 8, (batch, 30), generator=g)
        words = torch.where(torch.rand(batch, 30, generator=g) < 0.4, topic,
                            torch.randint(0, WORDS, (batch, 30), generator=g))
        counts = F.one_hot(words, WORDS).sum(1).float()
        return (vis + offset, counts + offset), y
    return _pool(seed, make)


# ---- models ----------------------------------------------------------------------------------------------------------

def _scale_hh(rnn: nn.Module, radius: float | None) -> None:
    """Each recurrent gate block's weight rescaled to spectral radius ``radius`` (the recurrence common)."""
    if radius is None:
        return
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            if "weight_hh" in name:
                h = p.shape[1]
                for k in range(p.shape[0] // h):
                    block = p[k * h:(k + 1) * h]
                    block.mul_(radius / torch.linalg.eigvals(block).abs().max())


class SAN(nn.Module):
    """Stacked Attention Networks (Yang et al. 2016), narrowed: the image model a single-layer perceptron with tanh
    over the 16 region features (the paper's over VGG's 14x14 grid), the question an LSTM (embedding 32, hidden 64),
    two attention layers ``h = tanh(W_I v_I + W_Q u)``, ``p = softmax(w_P h)``, ``u <- sum_i p_i v_i + u``, and the
    answer classifier; ``radius``: the LSTM's recurrent matrices at that spectral radius (the recurrence common)."""

    def __init__(self, d: int = 64, answers: int = 12, hops: int = 2, radius: float | None = None) -> None:
        super().__init__()
        self.img = nn.Linear(RDIM, d)
        self.emb = nn.Embedding(VOCAB, 32, padding_idx=PAD)
        self.lstm = nn.LSTM(32, d, batch_first=True)
        _scale_hh(self.lstm, radius)
        self.att_i = nn.ModuleList([nn.Linear(d, 32, bias=False) for _ in range(hops)])
        self.att_q = nn.ModuleList([nn.Linear(d, 32) for _ in range(hops)])
        self.att_p = nn.ModuleList([nn.Linear(32, 1) for _ in range(hops)])
        self.out = nn.Linear(d, answers)

    def forward(self, inp: Any) -> torch.Tensor:
        regions, q = inp
        v = torch.tanh(self.img(regions))  # (b, 16, d)
        h, _ = self.lstm(self.emb(q))
        u = h[:, -1]  # the question is padded at the end to its 9 tokens; the LSTM reads the pads as well
        for wi, wq, wp in zip(self.att_i, self.att_q, self.att_p):
            a = torch.tanh(wi(v) + wq(u)[:, None])
            p = F.softmax(wp(a).squeeze(-1), dim=1)
            u = (p[..., None] * v).sum(1) + u
        return self.out(u)


class MCAN(nn.Module):
    """The Deep Modular Co-Attention Network (Yu et al. 2019, MCAN-ed), narrowed: the question an LSTM (embedding 32,
    width 32) then two self-attention (SA) layers, the regions (projected to 32) two self-guided-attention (SGA)
    layers (self-attention then guided attention to the question's final features), 4 heads, feed-forward 128 with
    ReLU, dropout 0.1, post-LayerNorm residuals (``LN(x + sublayer(x))``); the attentional reduction of each side (an
    MLP scoring each position), the linear multimodal fusion ``LN(W_x x + W_y y)`` and the answer classifier;
    ``norm``: False removes every LayerNorm."""

    def __init__(self, d: int = 32, heads: int = 4, layers: int = 2, answers: int = 12, norm: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(VOCAB, d, padding_idx=PAD)
        self.lstm = nn.LSTM(d, d, batch_first=True)
        self.img = nn.Linear(RDIM, d)

        def ln() -> nn.Module:
            return nn.LayerNorm(d) if norm else nn.Identity()

        def ffn() -> nn.Module:
            return nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4 * d, d))
        self.q_sa = nn.ModuleList([nn.MultiheadAttention(d, heads, 0.1, batch_first=True) for _ in range(layers)])
        self.q_ff = nn.ModuleList([ffn() for _ in range(layers)])
        self.q_ln = nn.ModuleList([nn.ModuleList([ln(), ln()]) for _ in range(layers)])
        self.i_sa = nn.ModuleList([nn.MultiheadAttention(d, heads, 0.1, batch_first=True) for _ in range(layers)])
        self.i_ga = nn.ModuleList([nn.MultiheadAttention(d, heads, 0.1, batch_first=True) for _ in range(layers)])
        self.i_ff = nn.ModuleList([ffn() for _ in range(layers)])
        self.i_ln = nn.ModuleList([nn.ModuleList([ln(), ln(), ln()]) for _ in range(layers)])
        self.drop = nn.Dropout(0.1)
        self.red_q = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Dropout(0.1), nn.Linear(d, 1))
        self.red_i = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Dropout(0.1), nn.Linear(d, 1))
        self.fx, self.fy = nn.Linear(d, 2 * d), nn.Linear(d, 2 * d)
        self.fln = nn.LayerNorm(2 * d) if norm else nn.Identity()
        self.out = nn.Linear(2 * d, answers)

    def forward(self, inp: Any) -> torch.Tensor:
        regions, q = inp
        pad = q == PAD
        x, _ = self.lstm(self.emb(q))
        for sa, ff, (n1, n2) in zip(self.q_sa, self.q_ff, self.q_ln):
            x = n1(x + self.drop(sa(x, x, x, key_padding_mask=pad, need_weights=False)[0]))
            x = n2(x + self.drop(ff(x)))
        y = self.img(regions)
        for sa, ga, ff, (n1, n2, n3) in zip(self.i_sa, self.i_ga, self.i_ff, self.i_ln):
            y = n1(y + self.drop(sa(y, y, y, need_weights=False)[0]))
            y = n2(y + self.drop(ga(y, x, x, key_padding_mask=pad, need_weights=False)[0]))
            y = n3(y + self.drop(ff(y)))
        aq = F.softmax(self.red_q(x).squeeze(-1).masked_fill(pad, float("-inf")), 1)
        ai = F.softmax(self.red_i(y).squeeze(-1), 1)
        xr, yr = (aq[..., None] * x).sum(1), (ai[..., None] * y).sum(1)
        return self.out(self.fln(self.fx(xr) + self.fy(yr)))


def _l2norm(x: torch.Tensor) -> torch.Tensor:
    return x / x.pow(2).sum(-1, keepdim=True).sqrt()


class VSEPP(nn.Module):
    """VSE++ (Faghri et al. 2018), narrowed: the image side a two-layer ReLU perceptron over the 16 region features
    (standing for the paper's CNN), mean-pooled and projected linearly to the 64-d joint space, l2-normalised; the
    caption side a GRU (embedding 32, hidden 64) over the packed caption, its last state l2-normalised; ``bias``:
    every bias before a ReLU set to that value (the activation common); ``radius``: the GRU's recurrent blocks at
    that spectral radius (the recurrence common); ``norm``: False leaves the l2 normalisations out (not a case: it
    learns)."""

    def __init__(self, d: int = 64, bias: float | None = None, radius: float | None = None, norm: bool = True) -> None:
        super().__init__()
        self.norm = norm
        self.cnn = nn.Sequential(nn.Linear(RDIM, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        if bias is not None:
            for m in self.cnn:
                if isinstance(m, nn.Linear):
                    nn.init.constant_(m.bias, bias)
        self.fc = nn.Linear(64, d)
        self.emb = nn.Embedding(VOCAB, 32, padding_idx=PAD)
        self.gru = nn.GRU(32, d, batch_first=True)
        _scale_hh(self.gru, radius)

    def forward(self, inp: Any) -> Any:
        regions, cap, lengths = inp
        im = self.fc(self.cnn(regions).mean(1))
        packed = nn.utils.rnn.pack_padded_sequence(self.emb(cap), lengths, batch_first=True, enforce_sorted=True)
        _, h = self.gru(packed)
        return (_l2norm(im), _l2norm(h[-1])) if self.norm else (im, h[-1])


def vsepp_loss(out: Any, _: Any, margin: float = 0.2) -> torch.Tensor:
    """VSE++'s max of hinges: for each positive pair the hardest negative caption and the hardest negative image
    within the batch, margin 0.2, summed over the batch (``out``: the two embeddings, or SCAN's score matrix)."""
    s = out[0] @ out[1].T if isinstance(out, tuple) else out
    d = s.diag()
    eye = torch.eye(len(s), dtype=torch.bool)
    cost_c = (margin + s - d[:, None]).clamp(min=0).masked_fill(eye, 0.0)
    cost_i = (margin + s - d[None]).clamp(min=0).masked_fill(eye, 0.0)
    return cost_c.max(1).values.sum() + cost_i.max(0).values.sum()


class SCAN(nn.Module):
    """Stacked Cross Attention (Lee et al. 2018), text-to-image with LogSumExp pooling, narrowed: the 16 region
    features projected linearly to 64 and l2-normalised, the caption a bidirectional GRU (embedding 32, hidden 64,
    the two directions averaged) over the packed caption, each word's feature l2-normalised; for every image-caption
    pair of the batch the cosine of every region and word, clipped at zero and normalised over the regions, each
    word's attended image vector ``a_j = sum_i softmax_i(lambda_1 s_ij) v_i`` (``lambda_1 = 9``), the relevance
    ``R_j = cos(e_j, a_j)`` and the pair's score ``log(sum_j exp(lambda_2 R_j)) / lambda_2`` (``lambda_2 = 6``)."""

    def __init__(self, d: int = 64, lam1: float = 9.0, lam2: float = 6.0) -> None:
        super().__init__()
        self.lam1, self.lam2 = lam1, lam2
        self.fc = nn.Linear(RDIM, d)
        self.emb = nn.Embedding(VOCAB, 32, padding_idx=PAD)
        self.gru = nn.GRU(32, d, batch_first=True, bidirectional=True)

    def forward(self, inp: Any) -> torch.Tensor:
        regions, cap, lengths = inp
        v = _l2norm(self.fc(regions))  # (b, r, d)
        packed = nn.utils.rnn.pack_padded_sequence(self.emb(cap), lengths, batch_first=True, enforce_sorted=True)
        out, _ = self.gru(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=cap.shape[1])
        d = out.shape[-1] // 2
        e = (out[..., :d] + out[..., d:]) / 2
        e = e / (e.pow(2).sum(-1, keepdim=True) + 1e-12).sqrt()  # (b, l, d); the padding's zeros stay zero
        sim = torch.einsum("ird,cld->icrl", v, e).clamp(min=0)
        sim = sim / (sim.pow(2).sum(2, keepdim=True) + 1e-12).sqrt()
        att = F.softmax(self.lam1 * sim, dim=2)
        a = torch.einsum("icrl,ird->icld", att, v)
        norms = ((a.pow(2).sum(-1) + 1e-12) * (e.pow(2).sum(-1)[None] + 1e-12)).sqrt()
        rel = (a * e[None]).sum(-1) / norms  # (b_img, b_cap, l)
        valid = torch.arange(cap.shape[1])[None] < lengths[:, None]  # (b_cap, l)
        rel = (self.lam2 * rel).masked_fill(~valid[None], float("-inf"))
        return torch.logsumexp(rel, dim=-1) / self.lam2


class UpDown(nn.Module):
    """The Bottom-Up and Top-Down attention captioner (Anderson et al. 2018), narrowed: the 16 region features with
    their boxes projected to 64, the top-down attention LSTM (input: the language LSTM's previous state, the mean
    region feature and the previous word's embedding), the attention ``a_i = w^T tanh(W_v v_i + W_h h1)``, the
    language LSTM (input: the attended feature and ``h1``), hidden 64, embedding 32, and the word softmax;
    teacher-forced."""

    def __init__(self, d: int = 64, e: int = 32) -> None:
        super().__init__()
        self.d = d
        self.proj = nn.Linear(RDIM + 4, d)
        self.emb = nn.Embedding(VOCAB, e, padding_idx=PAD)
        self.att_lstm = nn.LSTMCell(2 * d + e, d)
        self.lang_lstm = nn.LSTMCell(2 * d, d)
        self.wv, self.wh, self.wa = nn.Linear(d, 32, bias=False), nn.Linear(d, 32), nn.Linear(32, 1)
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(d, VOCAB)

    def forward(self, inp: Any) -> torch.Tensor:
        feats, words = inp
        v = F.relu(self.proj(feats))
        vbar = v.mean(1)
        b = v.shape[0]
        h1 = c1 = h2 = c2 = v.new_zeros(b, self.d)
        pv = self.wv(v)
        logits = []
        for t in range(words.shape[1]):
            h1, c1 = self.att_lstm(torch.cat([h2, vbar, self.emb(words[:, t])], 1), (h1, c1))
            a = F.softmax(self.wa(torch.tanh(pv + self.wh(h1)[:, None])).squeeze(-1), 1)
            vhat = (a[..., None] * v).sum(1)
            h2, c2 = self.lang_lstm(torch.cat([vhat, h1], 1), (h2, c2))
            logits.append(self.out(self.drop(h2)))
        return torch.stack(logits, 1)


def caption_loss(logits: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, VOCAB), tgt.reshape(-1), ignore_index=-100)


class DUET(nn.Module):
    """DUET (Mitra, Diaz and Craswell 2017), narrowed: the local model on the binary exact-match matrix of the
    query's 3 terms against the document's 20 (a convolution of 64 filters spanning the whole document for each
    query term, as the paper's ``n_d x 1`` window, then two fully connected layers) and the distributed model (the
    query and document terms embedded (in place of character-trigram hashing) to 32, a width-3 convolution of 64 with
    max-pooling over the query; over the document a width-3 convolution, a max-pool of 5 and a 1x1 convolution; the
    Hadamard product of the two, then two fully connected layers); the score is the sum of the two; tanh throughout
    as in the paper, dropout 0.2."""

    def __init__(self, h: int = 64) -> None:
        super().__init__()
        self.local_conv = nn.Conv1d(D_LEN, h, 1)
        self.local_fc = nn.Sequential(nn.Flatten(), nn.Linear(Q_LEN * h, h), nn.Tanh(), nn.Dropout(0.2),
                                      nn.Linear(h, 1))
        self.emb = nn.Embedding(N_TERMS, 32)
        self.q_conv = nn.Conv1d(32, h, 3, padding=1)
        self.q_fc = nn.Linear(h, h)
        self.d_conv = nn.Conv1d(32, h, 3, padding=1)
        self.d_conv2 = nn.Conv1d(h, h, 1)
        self.dist_fc = nn.Sequential(nn.Flatten(), nn.Linear(h * (D_LEN // 5), h), nn.Tanh(), nn.Dropout(0.2),
                                     nn.Linear(h, 1))

    def forward(self, inp: Any) -> torch.Tensor:
        q, docs = inp  # (b, 3), (b, k, 20)
        b, k, n = docs.shape
        qq = q[:, None].expand(b, k, Q_LEN).reshape(b * k, Q_LEN)
        dd = docs.reshape(b * k, n)
        match = (qq[:, :, None] == dd[:, None]).float()  # (bk, 3, 20)
        local = self.local_fc(torch.tanh(self.local_conv(match.transpose(1, 2))).transpose(1, 2))
        qe = torch.tanh(self.q_conv(self.emb(qq).transpose(1, 2))).amax(2)
        qv = torch.tanh(self.q_fc(qe))  # (bk, h)
        de = torch.tanh(self.d_conv(self.emb(dd).transpose(1, 2)))
        de = torch.tanh(self.d_conv2(F.max_pool1d(de, 5)))  # (bk, h, 4)
        dist = self.dist_fc(qv[..., None] * de)
        return (local + dist).reshape(b, k)


class AVEL(nn.Module):
    """Audio-visual event localisation (Tian et al. 2018), narrowed: each segment's audio feature standardised over
    its features (``(a - mean) / (std + 1e-5)``; ``eps=0``: the guard left out), the audio-guided visual attention
    over the 16 regions (``x = w^T tanh(U_v v_i + U_a a)``, softmax), an LSTM (hidden 32, bidirectional) on each
    stream, the two concatenated, and a per-segment classifier over the 5 events and background (the paper's
    supervised setting); ``depth``: the standardised audio and the attended visual feature each through a plain
    stack of that many tanh layers (32 and 16 wide) at PyTorch's default init (the depth common)."""

    def __init__(self, h: int = 32, eps: float = 1e-5, depth: int = 0) -> None:
        super().__init__()
        self.eps = eps

        def stack(d: int) -> nn.Module:
            return nn.Sequential(*[m for _ in range(depth) for m in (nn.Linear(d, d), nn.Tanh())])
        self.a_stack, self.v_stack = stack(ADIM), stack(RDIM)
        self.ua, self.uv, self.w = nn.Linear(ADIM, 32), nn.Linear(RDIM, 32, bias=False), nn.Linear(32, 1)
        self.a_lstm = nn.LSTM(ADIM, h, batch_first=True, bidirectional=True)
        self.v_lstm = nn.LSTM(RDIM, h, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(4 * h, N_EVENTS + 1)

    def forward(self, inp: Any) -> torch.Tensor:
        audio, visual = inp
        a = self.a_stack((audio - audio.mean(-1, keepdim=True)) / (audio.std(-1, keepdim=True) + self.eps))
        x = self.w(torch.tanh(self.uv(visual) + self.ua(a)[:, :, None])).squeeze(-1)  # (b, t, 16)
        v = self.v_stack((F.softmax(x, -1)[..., None] * visual).sum(2))
        ha, _ = self.a_lstm(a)
        hv, _ = self.v_lstm(v)
        return self.fc(torch.cat([ha, hv], -1))


def seg_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


class GMUNet(nn.Module):
    """The Gated Multimodal Unit (Arevalo et al. 2017) as in its MM-IMDb model, narrowed: each modality batch-normed
    (``norm``: False leaves that out), ``h_v = tanh(W_v x_v)``, ``h_t = tanh(W_t x_t)``, the gate ``z = sigmoid(W_z
    [x_v, x_t])``, ``h = z h_v + (1 - z) h_t`` (64 units), then a maxout MLP (128 units of 2 pieces), dropout 0.5, and
    the genre classifier; ``depth``: each modality's tanh projection a plain stack of that many tanh layers of 64 at
    PyTorch's default init (the depth common)."""

    def __init__(self, h: int = 64, norm: bool = True, depth: int = 1) -> None:
        super().__init__()
        self.bn_v = nn.BatchNorm1d(VIS_DIM) if norm else nn.Identity()
        self.bn_t = nn.BatchNorm1d(WORDS) if norm else nn.Identity()

        def stack(inp: int) -> nn.Module:
            mods: list[nn.Module] = [nn.Linear(inp, h), nn.Tanh()]
            for _ in range(depth - 1):
                mods += [nn.Linear(h, h), nn.Tanh()]
            return nn.Sequential(*mods)
        self.wv, self.wt = stack(VIS_DIM), stack(WORDS)
        self.wz = nn.Linear(VIS_DIM + WORDS, h)
        self.maxout = nn.Linear(h, 2 * 128)
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(128, GENRES)

    def forward(self, inp: Any) -> torch.Tensor:
        xv, xt = inp
        xv, xt = self.bn_v(xv), self.bn_t(xt)
        z = torch.sigmoid(self.wz(torch.cat([xv, xt], 1)))
        hh = z * self.wv(xv) + (1 - z) * self.wt(xt)
        m = self.maxout(hh).view(-1, 128, 2).amax(-1)
        return self.out(self.drop(m))


# ---- builders --------------------------------------------------------------------------------------------------------

def san(seed: int, lr: float = 0.1, radius: float | None = None, shuffled: bool = False) -> Setup:
    """SAN on the scenes' questions (batch 32), cross-entropy over the 12 answers, SGD with momentum 0.9 as the
    paper, at lr 0.1 (set here), the gradients clipped to norm 10 (set here); ``radius``: see :class:`SAN`;
    ``shuffled``: see :func:`vqa_batches`."""
    torch.manual_seed(SEED0 + seed)
    model = SAN(radius=radius)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return _xy(model, opt, vqa_batches(seed, shuffled=shuffled), F.cross_entropy, clip=10.0)


def mcan(seed: int, lr: float = 1e-3, zero_init: bool = False, norm: bool = True) -> Setup:
    """MCAN on the scenes' questions (batch 32), softmax cross-entropy over the 12 answers (in place of the paper's
    BCE over soft VQA scores: one answer a question here), Adam betas (0.9, 0.98) as the paper, its warm-up
    ``lr = min(t / 20, 1) * lr`` over 20 steps (the paper's 3 epochs), at peak lr 1e-3 (its 1e-4 is for 13 epochs of
    VQA-v2); ``zero_init``: every parameter zero (the init common); ``norm``: see :class:`MCAN`."""
    torch.manual_seed(SEED0 + seed)
    model = MCAN(norm=norm)
    if zero_init:
        _zero_init(model)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min((t + 1) / 20, 1.0))
    return _xy(model, opt, vqa_batches(seed), F.cross_entropy, sched)


def vsepp(seed: int, lr: float = 3e-3, bias: float | None = None, radius: float | None = None,
          sort_captions_only: bool = False, norm: bool = True) -> Setup:
    """VSE++ on the scene-description pairs (batch 32), :func:`vsepp_loss`, Adam with the paper's gradient clipping
    at norm 2, at lr 3e-3 (its 2e-4 is for 30 epochs of MS-COCO); ``bias``, ``radius``: see :class:`VSEPP`;
    ``sort_captions_only``: see :func:`matching_batches`."""
    torch.manual_seed(SEED0 + seed)
    model = VSEPP(bias=bias, radius=radius, norm=norm)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, matching_batches(seed, sort_captions_only=sort_captions_only), vsepp_loss, clip=2.0)


def scan(seed: int, lr: float = 3e-3) -> Setup:
    """SCAN on the scene-description pairs (batch 32), the same max of hinges as VSE++ (the paper's hardest
    negatives, margin 0.2) on its score matrix, Adam with the paper's gradient clipping at norm 2, at lr 3e-3 (its
    2e-4 is for 20 epochs of Flickr30K)."""
    torch.manual_seed(SEED0 + seed)
    model = SCAN()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, matching_batches(seed), vsepp_loss, clip=2.0)


def updown(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, adamw: bool = False) -> Setup:
    """Up-Down on the scenes' captions (batch 32), teacher-forced word cross-entropy, Adam at lr 1e-3 (set here),
    the gradients clipped to norm 5 (set here), dropout 0.5 before the word softmax; ``adamw``: AdamW at
    ``weight_decay``."""
    torch.manual_seed(SEED0 + seed)
    model = UpDown()
    opt = (torch.optim.AdamW if adamw else torch.optim.Adam)(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, caption_batches(seed), caption_loss, clip=5.0)


def duet(seed: int, lr: float = 1e-3, init_std: float | None = None, positives_from_other: bool = False,
         docs_shuffled: bool = False, weight_decay: float = 0.0, adamw: bool = False) -> Setup:
    """DUET on the re-ranking tuples (16 queries, 1 relevant and 4 non-relevant documents each), the paper's softmax
    cross-entropy over the five candidates' scores, Adam at lr 1e-3 (the paper trains with SGD in CNTK; set here);
    ``init_std``: every weight N(0, init_std^2); ``docs_shuffled``: see :func:`ranking_batches`;
    ``positives_from_other``: the relevant documents taken from a second loader that shuffles on its own, its order
    drawn afresh at every step, so each query's "relevant" candidate is another query's relevant document (the
    slip); ``adamw``: AdamW at ``weight_decay``."""
    torch.manual_seed(SEED0 + seed)
    model = DUET()
    if init_std is not None:
        _normal_init(model, init_std)
    opt = (torch.optim.AdamW if adamw else torch.optim.Adam)(model.parameters(), lr=lr, weight_decay=weight_decay)
    data = ranking_batches(seed, docs_shuffled=docs_shuffled)
    if positives_from_other:
        plain = data

        def data(step: int) -> Any:
            (q, docs), y = plain(step)
            perm = torch.randperm(len(q), generator=torch.Generator().manual_seed(SEED0 + 1000 * seed + step))
            docs = docs.clone()
            docs[:, 0] = docs[perm, 0]
            return (q, docs), y
    return _xy(model, opt, data, F.cross_entropy)


def avel(seed: int, lr: float = 1e-3, eps: float = 1e-5, cutmix: str | None = None, depth: int = 0) -> Setup:
    """AVEL on the audio-visual clips (batch 16), per-segment cross-entropy over 6 classes, Adam at lr 1e-3 (set
    here); ``eps``, ``depth``: see :class:`AVEL`; ``cutmix``: see :func:`av_batches`."""
    torch.manual_seed(SEED0 + seed)
    model = AVEL(eps=eps, depth=depth)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, av_batches(seed, cutmix=cutmix), seg_loss)


def gmu(seed: int, lr: float = 1e-3, norm: bool = True, depth: int = 1, raw: float = 40.0,
        init_std: float | None = None, offset: float = 1000.0) -> Setup:
    """The GMU network on the genre data (batch 64) in their stored units (both modalities on the feature store's
    zero point of 1000), cross-entropy over the 8 genres, Adam at lr 1e-3 (set here); ``norm``, ``depth``: see
    :class:`GMUNet`; ``init_std``: every weight N(0, init_std^2)."""
    torch.manual_seed(SEED0 + seed)
    model = GMUNet(norm=norm, depth=depth)
    if init_std is not None:
        _normal_init(model, init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    return _xy(model, opt, genre_batches(seed, raw=raw, offset=offset), F.cross_entropy)
