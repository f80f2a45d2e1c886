"""Builders of the eighty-third held-out batch (``fresh82.py``): natural-language models new to the corpus (text
classification, parsing, sequence-to-sequence, retrieval and ranking) at their usual settings, broken variants with
one real fault each, and the small data sets they train on. Written and labelled with plain PyTorch before
gradguard's judgment was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(820_000 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(8200 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None, clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _init_normal(model: nn.Module, std: float) -> None:
    """Every Linear, convolution and Embedding weight drawn N(0, std^2) (the init common)."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding, nn.Conv1d)):
            nn.init.normal_(m.weight, 0.0, std)


def _mlp(sizes: list[int], act: Callable[[], nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def _shuffle(y: torch.Tensor, g: torch.Generator, shuffled: bool) -> torch.Tensor:
    return y[torch.randperm(y.shape[0], generator=g)] if shuffled else y


# ---- data ------------------------------------------------------------------------------------------------------------

def bigram_sentences(seed: int, batch: int = 32, length: int = 20, vocab: int = 24, classes: int = 4,
                     shuffled: bool = False) -> Callable[[int], Any]:
    """Sentences of 20 tokens over 24 ids whose class is an ordered pair of words: the four classes' key bigrams are
    ``(a, b)``, ``(b, a)``, ``(c, d)``, ``(d, c)`` over four key words that also occur alone in every sentence (so no
    single word tells the class), each sentence holding its class's bigram once, twice at random places:
    ``(tokens (b, 20), class (b,))``; ``shuffled``: the labels permuted within every batch, apart from their
    sentences."""
    pairs = torch.tensor([[0, 1], [1, 0], [2, 3], [3, 2]])

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = torch.randint(4, vocab, (batch, length), generator=g)
        for i in range(batch):
            # every key word once as a lone distractor, then the class's bigram twice
            pos = torch.randperm(length, generator=g)[:4]
            x[i, pos] = torch.randperm(4, generator=g)
            for _k in range(2):
                p = int(torch.randint(0, length - 1, (1,), generator=g))
                x[i, p:p + 2] = pairs[y[i]]
        return x, _shuffle(y, g, shuffled)
    return _pool(seed, make)


def keyword_documents(seed: int, batch: int = 32, vocab: int = 80, classes: int = 6, shortest: int = 8,
                      longest: int = 24) -> Callable[[int], Any]:
    """Documents of 8 to 24 words, zero-padded to 24 (id 0 is the padding): each of the six topics has five keywords
    (ids 1-30) and a document holds 2 to 4 of its topic's keywords among filler words (ids 31-79):
    ``(tokens (b, 24), topic (b,))``."""
    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, classes, (batch,), generator=g)
        x = torch.zeros(batch, longest, dtype=torch.long)
        for i in range(batch):
            n = int(torch.randint(shortest, longest + 1, (1,), generator=g))
            doc = torch.randint(31, vocab, (n,), generator=g)
            k = int(torch.randint(2, 5, (1,), generator=g))
            where = torch.randperm(n, generator=g)[:k]
            doc[where] = 1 + 5 * y[i] + torch.randint(0, 5, (k,), generator=g)
            x[i, :n] = doc
        return x, y
    return _pool(seed, make)


def parser_configurations(seed: int, batch: int = 64, words: int = 50, tags: int = 12, labels: int = 3,
                          shuffled: bool = False) -> Callable[[int], Any]:
    """Arc-standard parser configurations as Chen and Manning featurise them, narrowed: the words and POS tags of the
    top three stack and buffer items (6 + 6 features) and the arc labels of the two top stack items' leftmost and
    rightmost children (4 features); the oracle transition (SHIFT, LEFT-ARC(l), RIGHT-ARC(l): 1 + 2 x 3 classes) is
    a fixed function of the POS tags of s1, s2 and b1 (SHIFT when b1 is one of the four "opening" tags, else a fixed
    table of (s1, s2)): ``((words (b, 6), tags (b, 6), labels (b, 4)), transition (b,))``; ``shuffled``: the
    transitions permuted within every batch, apart from their configurations."""
    table = torch.randint(1, 1 + 2 * labels, (tags, tags), generator=_fixed(3))

    def make(g: torch.Generator, _: int) -> Any:
        w = torch.randint(0, words, (batch, 6), generator=g)
        t = torch.randint(0, tags, (batch, 6), generator=g)
        lab = torch.randint(0, labels + 1, (batch, 4), generator=g)
        y = torch.where(t[:, 3] < 4, torch.zeros(batch, dtype=torch.long), table[t[:, 0], t[:, 1]])
        return (w, t, lab), _shuffle(y, g, shuffled)
    return _pool(seed, make)


def head_trees(seed: int, batch: int = 32, n: int = 10, words: int = 30, tags: int = 6) -> Callable[[int], Any]:
    """Sentences of 10 words with POS tags ranked 0 to 5 (low ranks commoner) and a dependency tree given by a rule:
    each word's head is the nearest word of a higher rank (the left one on a tie), the first word of the highest rank
    present hangs from ROOT (position 0), and the other words of that rank from it: ``((words (b, 10), tags (b, 10)),
    heads (b, 10) in 0..10)``."""
    probs = torch.tensor([0.3, 0.25, 0.18, 0.12, 0.09, 0.06])

    def make(g: torch.Generator, _: int) -> Any:
        w = torch.randint(0, words, (batch, n), generator=g)
        t = torch.multinomial(probs, batch * n, replacement=True, generator=g).view(batch, n)
        heads = torch.zeros(batch, n, dtype=torch.long)
        for b in range(batch):
            r = t[b].tolist()
            top = max(r)
            first_top = r.index(top)
            for i in range(n):
                if r[i] == top:
                    heads[b, i] = 0 if i == first_top else first_top + 1
                    continue
                for d in range(1, n):
                    left, right = i - d, i + d
                    if left >= 0 and r[left] > r[i]:
                        heads[b, i] = left + 1
                        break
                    if right < n and r[right] > r[i]:
                        heads[b, i] = right + 1
                        break
        return (w, t), heads
    return _pool(seed, make)


def summaries(seed: int, batch: int = 16, length: int = 12, keep: int = 6, vocab: int = 32) -> Callable[[int], Any]:
    """Extractive "summaries": a source of 12 tokens holds six content words (ids 10-31) and six fillers (ids 3-9) at
    random places, and its summary is the content words in order, then EOS (2); the decoder reads BOS (1) and the
    summary shifted: ``((source (b, 12), decoder input (b, 7)), summary (b, 7))``."""
    def make(g: torch.Generator, _: int) -> Any:
        src = torch.randint(3, 10, (batch, length), generator=g)
        content = torch.randint(10, vocab, (batch, keep), generator=g)
        tgt = torch.full((batch, keep + 1), 2, dtype=torch.long)
        for b in range(batch):
            where = torch.randperm(length, generator=g)[:keep].sort().values
            src[b, where] = content[b]
        tgt[:, :keep] = content
        dec = torch.cat([torch.ones(batch, 1, dtype=torch.long), content], 1)
        return (src, dec), tgt
    return _pool(seed, make)


def reversed_translation(seed: int, batch: int = 16, length: int = 8, vocab: int = 24) -> Callable[[int], Any]:
    """A toy translation: the target is the source's words (ids 3-23) through a fixed dictionary, in reverse order,
    then EOS (2); the decoder reads BOS (1) and the target shifted: ``((source (b, 8), decoder input (b, 9)), target
    (b, 9))``."""
    dictionary = torch.cat([torch.arange(3), 3 + torch.randperm(vocab - 3, generator=_fixed(5))])

    def make(g: torch.Generator, _: int) -> Any:
        src = torch.randint(3, vocab, (batch, length), generator=g)
        tgt = torch.cat([dictionary[src].flip(1), torch.full((batch, 1), 2, dtype=torch.long)], 1)
        dec = torch.cat([torch.ones(batch, 1, dtype=torch.long), tgt[:, :-1]], 1)
        return (src, dec), tgt
    return _pool(seed, make)


#: DRMM's fixed word embeddings: 40 synonym clusters of 5 words (a cluster's words near its centre), 200 words, 16-d
def _drmm_embeddings() -> torch.Tensor:
    g = _fixed(6)
    centres = F.normalize(torch.randn(40, 16, generator=g), dim=1)
    return F.normalize(centres.repeat_interleave(5, 0) + 0.35 * torch.randn(200, 16, generator=g), dim=1)


def _histograms(q: torch.Tensor, d: torch.Tensor, emb: torch.Tensor, bins: int = 30) -> torch.Tensor:
    """DRMM's matching histograms: for each query term, the counts of the document terms' cosine similarities in 29
    equal bins over [-1, 1) plus an exact-match bin [1, 1]: ``(..., query terms, 30)`` counts."""
    cos = torch.einsum("...qe,...de->...qd", emb[q], emb[d]).clamp(-1, 1)
    exact = q[..., :, None] == d[..., None, :]
    idx = torch.where(exact, torch.full_like(q[..., :, None].expand_as(exact), bins - 1),
                      ((cos + 1) / 2 * (bins - 1)).long().clamp(0, bins - 2))
    return F.one_hot(idx, bins).sum(-2).float()


def ranking_lists(seed: int, batch: int = 32, candidates: int = 5, qlen: int = 3, dlen: int = 30
                  ) -> Callable[[int], Any]:
    """Ad-hoc retrieval for DRMM: a query of three words from distinct synonym clusters and a list of five documents
    of 30 words, the first relevant (each query word or a synonym of it occurs 1 to 3 times among random words), the
    other four not (one query word's cluster occurs, the others do not); each document's matching histograms against
    the query are computed with the fixed embeddings: ``((query (b, 3), histogram counts (b, 5, 3, 30)), relevance
    (b, 5) in {0, 1})``."""
    emb = _drmm_embeddings()

    def doc(g: torch.Generator, clusters: torch.Tensor) -> torch.Tensor:
        d = torch.randint(0, 200, (dlen,), generator=g)
        used = 0
        for c in clusters.tolist():
            for _k in range(int(torch.randint(1, 4, (1,), generator=g))):
                d[used] = 5 * c + int(torch.randint(0, 5, (1,), generator=g))
                used += 1
        return d[torch.randperm(dlen, generator=g)]

    def make(g: torch.Generator, _: int) -> Any:
        qs, hs = [], []
        for _b in range(batch):
            clusters = torch.randperm(40, generator=g)[:qlen]
            q = 5 * clusters + torch.randint(0, 5, (qlen,), generator=g)
            docs = [doc(g, clusters)]
            for _k in range(candidates - 1):
                docs.append(doc(g, clusters[torch.randint(0, qlen, (1,), generator=g)]))
            qs.append(q)
            hs.append(_histograms(q, torch.stack(docs), emb))
        rel = torch.zeros(batch, candidates)
        rel[:, 0] = 1.0
        return (torch.stack(qs), torch.stack(hs)), rel
    return _pool(seed, make)


def graded_lists(seed: int, batch: int = 16, candidates: int = 8, qlen: int = 4, dlen: int = 12, vocab: int = 64
                 ) -> Callable[[int], Any]:
    """Passage re-ranking for ColBERT: a query of four words from ids 0-31 and a list of eight candidate passages of
    12 words; each query word ``w`` has one fixed paraphrase ``32 + perm(w)`` and a relevant passage holds the
    paraphrases of all four query words among random words, a non-relevant one the paraphrase of at most one; a list
    holds 0, 1 or 2 relevant passages (probabilities 0.2, 0.5, 0.3) at random places: ``((query (b, 4), passages
    (b, 8, 12)), relevance (b, 8) in {0, 1})``."""
    para = 32 + torch.randperm(32, generator=_fixed(7))

    def make(g: torch.Generator, _: int) -> Any:
        q = torch.stack([torch.randperm(32, generator=g)[:qlen] for _b in range(batch)])
        p = torch.randint(0, vocab, (batch, candidates, dlen), generator=g)
        rel = torch.zeros(batch, candidates)
        counts = torch.multinomial(torch.tensor([0.2, 0.5, 0.3]), batch, replacement=True, generator=g)
        for b in range(batch):
            order = torch.randperm(candidates, generator=g)
            for j, c in enumerate(order.tolist()):
                where = torch.randperm(dlen, generator=g)
                if j < int(counts[b]):
                    rel[b, c] = 1.0
                    p[b, c, where[:qlen]] = para[q[b]]
                else:
                    p[b, c, where[0]] = para[q[b, int(torch.randint(0, qlen, (1,), generator=g))]]
        return (q, p), rel
    return _pool(seed, make)


# ---- models ----------------------------------------------------------------------------------------------------------

def _kmax(x: torch.Tensor, k: int) -> torch.Tensor:
    """k-max pooling along the last axis, the selected values kept in their order."""
    idx = x.topk(k, dim=-1).indices.sort(-1).values
    return x.gather(-1, idx)


class DCNN(nn.Module):
    """The Dynamic CNN (Kalchbrenner, Grefenstette and Blunsom 2014), narrowed: embeddings of 32, two wide
    one-dimensional convolutions per embedding row (widths 7 and 5, 6 and 14 feature maps), each followed by folding
    (pairs of rows summed), dynamic k-max pooling (``k_l = max(k_top, ceil((L - l) / L * s))``, ``k_top = 4``), a
    bias and tanh, then dropout 0.5 and the softmax layer. ``init_std``: every weight N(0, init_std^2)."""

    def __init__(self, vocab: int = 24, d: int = 32, maps: tuple[int, int] = (6, 14), widths: tuple[int, int] = (7, 5),
                 k_top: int = 4, classes: int = 4, init_std: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.k_top, self.d, self.maps = k_top, d, maps
        # a per-row convolution: groups=rows, each group maps_in -> maps_out channels
        self.conv1 = nn.Conv1d(d * 1, d * maps[0], widths[0], padding=widths[0] - 1, groups=d, bias=False)
        self.conv2 = nn.Conv1d(d // 2 * maps[0], d // 2 * maps[1], widths[1], padding=widths[1] - 1, groups=d // 2,
                               bias=False)
        self.b1 = nn.Parameter(torch.zeros(maps[0], d // 2, 1))
        self.b2 = nn.Parameter(torch.zeros(maps[1], d // 4, 1))
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(maps[1] * d // 4 * k_top, classes)
        if init_std is not None:
            _init_normal(self, init_std)

    @staticmethod
    def _fold(x: torch.Tensor, rows: int, maps: int) -> torch.Tensor:
        # x: (b, rows * maps, t) in row-major groups -> (b, maps, rows // 2, t)
        b, _, t = x.shape
        x = x.view(b, rows, maps, t).transpose(1, 2)
        return x.view(b, maps, rows // 2, 2, t).sum(3)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        s = tokens.shape[1]
        x = self.emb(tokens).transpose(1, 2)  # (b, d, s): one channel per row
        x = self._fold(self.conv1(x), self.d, self.maps[0])  # (b, m1, d/2, t)
        k1 = max(self.k_top, math.ceil((2 - 1) / 2 * s))
        x = torch.tanh(_kmax(x, k1) + self.b1)
        b, m1, r, t = x.shape
        x = x.permute(0, 2, 1, 3).reshape(b, r * m1, t)  # rows as groups
        x = self._fold(self.conv2(x), r, self.maps[1])
        x = torch.tanh(_kmax(x, self.k_top) + self.b2)
        return self.out(self.drop(x.flatten(1)))


class LEAM(nn.Module):
    """LEAM, the label-embedding attentive model (Wang et al. 2018), narrowed: word and label embeddings of 32 (the
    padding word's a zero vector), the cosine compatibility ``G = V^T C / (|V| |C|)`` of every word with every label,
    a convolution of width 5 over the words with ReLU, the max over labels as each word's attention score, a masked
    softmax over the words, the attended mean of the word vectors to an MLP of 64 ReLU units; the label embeddings
    are also classified by the same MLP (the paper's label regulariser). ``cosine_eps``: the norms' product is clamped
    at ``1e-8`` (the healthy build); ``False``: divided as written, without it."""

    def __init__(self, vocab: int = 80, d: int = 32, classes: int = 6, r: int = 2, cosine_eps: bool = True,
                 cosine: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.labels = nn.Parameter(torch.randn(classes, d))
        self.conv = nn.Conv1d(classes, classes, 2 * r + 1, padding=r)
        self.mlp = _mlp([d, 64, classes], nn.ReLU)
        self.cosine_eps, self.cosine = cosine_eps, cosine

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        v = self.emb(tokens)  # (b, L, d)
        mask = tokens != 0
        norms = v.norm(dim=-1, keepdim=True) * self.labels.norm(dim=-1)  # (b, L, K)
        if self.cosine_eps:
            norms = norms.clamp_min(1e-8)
        g = (v @ self.labels.T) / norms if self.cosine else v @ self.labels.T
        u = F.relu(self.conv(g.transpose(1, 2))).max(1).values  # (b, L)
        beta = u.masked_fill(~mask, float("-inf")).softmax(-1)
        z = (beta[..., None] * v).sum(1)
        return self.mlp(z), self.mlp(self.labels)


def leam_loss(out: tuple[torch.Tensor, torch.Tensor], y: torch.Tensor) -> torch.Tensor:
    """The class cross-entropy plus the label regulariser (each label embedding classified as its own class)."""
    logits, label_logits = out
    return F.cross_entropy(logits, y) + F.cross_entropy(label_logits, torch.arange(label_logits.shape[0]))


class ChenManningParser(nn.Module):
    """The Chen and Manning (2014) transition classifier, narrowed: word, POS and arc-label embeddings of 32 for 6 +
    6 + 4 features, one hidden layer of 128 with the cube activation ``(W1 x + b1)^3``, dropout 0.5, the softmax
    layer over the 7 transitions; every weight uniform in (-0.01, 0.01) as the reference code does."""

    def __init__(self, words: int = 50, tags: int = 12, labels: int = 4, d: int = 32, hidden: int = 128,
                 classes: int = 7) -> None:
        super().__init__()
        self.w, self.t, self.lab = nn.Embedding(words, d), nn.Embedding(tags, d), nn.Embedding(labels, d)
        self.hidden = nn.Linear(16 * d, hidden)
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(hidden, classes, bias=False)
        for p in self.parameters():
            nn.init.uniform_(p, -0.01, 0.01)

    def forward(self, feats: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        w, t, lab = feats
        x = torch.cat([self.w(w).flatten(1), self.t(t).flatten(1), self.lab(lab).flatten(1)], 1)
        return self.out(self.drop(self.hidden(x) ** 3))


class KiperwasserGoldberg(nn.Module):
    """The graph-based BiLSTM parser of Kiperwasser and Goldberg (2016), narrowed: word and POS embeddings of 16 and
    8 (a ROOT symbol at position 0), a two-layer BiLSTM of 32 a direction, the MLP arc scorer
    ``score(h, m) = v . tanh(W_h x_h + W_m x_m + b)`` with 32 hidden units over every head-modifier pair; head
    selection by a cross-entropy over each word's candidate heads (the paper's structured hinge narrowed to its
    local form). ``mlp_bias``: ``b`` set to this constant; ``input_gate_bias``: every LSTM input gate's bias set to
    this constant (PyTorch's gate order i, f, g, o)."""

    def __init__(self, words: int = 30, tags: int = 6, hidden: int = 32, mlp: int = 32,
                 mlp_bias: float | None = None, input_gate_bias: float | None = None) -> None:
        super().__init__()
        self.w = nn.Embedding(words + 1, 16)
        self.t = nn.Embedding(tags + 1, 8)
        self.lstm = nn.LSTM(24, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden, mlp, bias=False)
        self.mod = nn.Linear(2 * hidden, mlp)
        self.v = nn.Linear(mlp, 1, bias=False)
        self.words, self.tags = words, tags
        if mlp_bias is not None:
            nn.init.constant_(self.mod.bias, mlp_bias)
        if input_gate_bias is not None:
            for name, p in self.lstm.named_parameters():
                if name.startswith("bias_ih"):
                    with torch.no_grad():
                        p[:hidden] = input_gate_bias
                elif name.startswith("bias_hh"):
                    with torch.no_grad():
                        p[:hidden] = 0.0

    def forward(self, sent: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        w, t = sent
        b = w.shape[0]
        w = torch.cat([torch.full((b, 1), self.words), w], 1)
        t = torch.cat([torch.full((b, 1), self.tags), t], 1)
        x, _ = self.lstm(torch.cat([self.w(w), self.t(t)], -1))  # (b, n + 1, 2h)
        pair = self.head(x)[:, :, None] + self.mod(x[:, 1:])[:, None]  # (b, heads n + 1, modifiers n, mlp)
        scores = self.v(torch.tanh(pair)).squeeze(-1)
        n = scores.shape[2]
        self_loop = torch.zeros(n + 1, n, dtype=torch.bool)
        self_loop[torch.arange(1, n + 1), torch.arange(n)] = True
        return scores.masked_fill(self_loop, -1e9)


def head_loss(scores: torch.Tensor, heads: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over each word's candidate heads (ROOT and the other words)."""
    return F.cross_entropy(scores, heads)


class PointerGenerator(nn.Module):
    """The pointer-generator network (See, Liu and Manning 2017), narrowed: embeddings of 32, a one-layer BiLSTM
    encoder of 32 a direction, its final states reduced to the decoder's by a Linear and ReLU, an LSTM-cell decoder of
    32 whose input is the embedding and the previous context, Bahdanau attention ``v . tanh(W_h h_i + W_s s_t + b)``,
    ``P_vocab`` from ``[s_t; h*_t]`` through two Linears, the generation probability ``p_gen = sigmoid(w_h h*_t + w_s
    s_t + w_x x_t + b)`` and the final distribution ``p_gen P_vocab + (1 - p_gen) sum of the attention on each source
    word`` (no coverage); the loss is the mean negative log of the gold word's final probability."""

    def __init__(self, vocab: int = 32, d: int = 32, hidden: int = 32) -> None:
        super().__init__()
        self.vocab, self.hidden = vocab, hidden
        self.emb = nn.Embedding(vocab, d)
        self.enc = nn.LSTM(d, hidden, batch_first=True, bidirectional=True)
        self.reduce_h, self.reduce_c = nn.Linear(2 * hidden, hidden), nn.Linear(2 * hidden, hidden)
        self.x_in = nn.Linear(d + 2 * hidden, d)
        self.dec = nn.LSTMCell(d, hidden)
        self.w_h = nn.Linear(2 * hidden, 2 * hidden, bias=False)
        self.w_s = nn.Linear(hidden, 2 * hidden)
        self.v = nn.Linear(2 * hidden, 1, bias=False)
        self.out1, self.out2 = nn.Linear(3 * hidden, hidden), nn.Linear(hidden, vocab)
        self.p_gen = nn.Linear(2 * hidden + hidden + d, 1)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        src, dec_in = batch
        b = src.shape[0]
        enc, (h, c) = self.enc(self.emb(src))
        h = F.relu(self.reduce_h(torch.cat([h[0], h[1]], -1)))
        c = F.relu(self.reduce_c(torch.cat([c[0], c[1]], -1)))
        keys = self.w_h(enc)
        ctx = torch.zeros(b, 2 * self.hidden)
        outs = []
        for t in range(dec_in.shape[1]):
            e = self.emb(dec_in[:, t])
            x = self.x_in(torch.cat([e, ctx], -1))
            h, c = self.dec(x, (h, c))
            attn = self.v(torch.tanh(keys + self.w_s(h)[:, None])).squeeze(-1).softmax(-1)
            ctx = (attn[..., None] * enc).sum(1)
            p_vocab = self.out2(self.out1(torch.cat([h, ctx], -1))).softmax(-1)
            p_gen = torch.sigmoid(self.p_gen(torch.cat([ctx, h, x], -1)))
            copy = torch.zeros(b, self.vocab).scatter_add(1, src, attn)
            outs.append(p_gen * p_vocab + (1 - p_gen) * copy)
        return torch.stack(outs, 1)  # (b, T, vocab) probabilities


def final_distribution_nll(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return -torch.log(probs.gather(-1, target[..., None])).mean()


def _sinusoids(length: int, d: int) -> torch.Tensor:
    pos = torch.arange(length).float()[:, None]
    div = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
    pe = torch.zeros(length, d)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
    return pe


class LightweightConv(nn.Module):
    """fairseq's ``LightweightConv1d``: a depthwise convolution whose ``H`` kernels of width ``k`` are softmax-
    normalised over the width and shared by ``C / H`` channels each, with DropConnect 0.1 on the kernels; ``causal``:
    padded on the left only."""

    def __init__(self, channels: int, k: int, heads: int, causal: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(heads, 1, k))
        nn.init.xavier_uniform_(self.weight)
        self.k, self.heads, self.causal = k, heads, causal

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, t, c)
        b, t, c = x.shape
        w = F.dropout(self.weight.softmax(-1), 0.1, self.training)
        x = x.transpose(1, 2).reshape(-1, self.heads, t)
        pad = (self.k - 1, 0) if self.causal else ((self.k - 1) // 2, self.k // 2)
        x = F.conv1d(F.pad(x, pad), w, groups=self.heads)
        return x.view(b, c, t).transpose(1, 2)


class LightConvLayer(nn.Module):
    """One LightConv block (Wu et al. 2019): ``Linear -> GLU -> LightweightConv -> Linear``, dropout, residual and
    post-LN; in the decoder an encoder-decoder attention block; a ReLU feed-forward of 4x; ``ln=False``: no
    LayerNorms."""

    def __init__(self, d: int, k: int, heads: int, causal: bool, cross: bool, ln: bool = True) -> None:
        super().__init__()
        self.inp, self.conv, self.proj = nn.Linear(d, 2 * d), LightweightConv(d, k, heads, causal), nn.Linear(d, d)
        self.cross = nn.MultiheadAttention(d, heads, dropout=0.1, batch_first=True) if cross else None
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(), nn.Linear(4 * d, d))
        norm = (lambda: nn.LayerNorm(d)) if ln else nn.Identity
        self.n1, self.n2, self.n3 = norm(), norm(), norm()
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:
        x = self.n1(x + self.drop(self.proj(self.conv(F.glu(self.inp(x), -1)))))
        if self.cross is not None:
            x = self.n2(x + self.drop(self.cross(x, memory, memory, need_weights=False)[0]))
        return self.n3(x + self.drop(self.ff(x)))


class LightConvSeq2Seq(nn.Module):
    """LightConv (Wu, Fan, Baevski, Dauphin and Auli 2019), narrowed: embeddings of 64 times ``sqrt(d)`` plus
    sinusoids, two encoder blocks (kernels 3 and 7) and two decoder blocks (causal kernels 3 and 7), 4 heads,
    dropout 0.1, the output projection; fairseq's Xavier-uniform Linears and N(0, d^-1) embeddings.
    ``init_std``: every weight N(0, init_std^2) instead; ``ln``: see :class:`LightConvLayer`."""

    def __init__(self, vocab: int = 24, d: int = 64, heads: int = 4, init_std: float | None = None, ln: bool = True,
                 kernels: tuple[int, ...] = (3, 7)) -> None:
        super().__init__()
        self.d = d
        self.src_emb, self.tgt_emb = nn.Embedding(vocab, d), nn.Embedding(vocab, d)
        self.register_buffer("pe", _sinusoids(32, d))
        self.enc = nn.ModuleList([LightConvLayer(d, k, heads, False, False, ln) for k in kernels])
        self.dec = nn.ModuleList([LightConvLayer(d, k, heads, True, True, ln) for k in kernels])
        self.out = nn.Linear(d, vocab)
        self.drop = nn.Dropout(0.1)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, 0.0, d ** -0.5)
        if init_std is not None:
            _init_normal(self, init_std)

    def _embed(self, emb: nn.Embedding, x: torch.Tensor) -> torch.Tensor:
        return self.drop(emb(x) * math.sqrt(self.d) + self.pe[: x.shape[1]])

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        src, dec_in = batch
        m = self._embed(self.src_emb, src)
        for layer in self.enc:
            m = layer(m)
        x = self._embed(self.tgt_emb, dec_in)
        for layer in self.dec:
            x = layer(x, m)
        return self.out(x)


class LabelSmoothingKL(nn.Module):
    """The Annotated Transformer's ``LabelSmoothing``: the target distribution puts ``1 - smoothing`` on the gold
    word and ``smoothing / (V - 1)`` on every other, and the loss is ``KLDivLoss(reduction="sum")`` between it and the
    log-probabilities, divided by the number of target tokens."""

    def __init__(self, vocab: int, smoothing: float) -> None:
        super().__init__()
        self.vocab, self.smoothing = vocab, smoothing

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        logp = logits.log_softmax(-1).reshape(-1, self.vocab)
        t = target.reshape(-1)
        true = torch.full_like(logp, self.smoothing / (self.vocab - 1))
        true.scatter_(1, t[:, None], 1.0 - self.smoothing)
        return F.kl_div(logp, true, reduction="sum") / t.numel()


class DRMM(nn.Module):
    """DRMM (Guo, Fan, Ai and Croft 2016), narrowed: each query term's matching histogram (30 bins) as log counts
    ``log(count + 1)`` (LCH), a feed-forward matching network 30 -> 5 -> 1 with tanh, the term gating network
    ``softmax_i(w . x_i)`` over the query terms' (fixed) embeddings, the score ``sum_i g_i z_i``. ``log_plus_one``:
    ``False`` takes ``log(count)``; ``hidden``: the number of hidden tanh layers of 5 (``width`` wide when more than
    one)."""

    def __init__(self, emb: torch.Tensor, bins: int = 30, hidden: int = 1, width: int = 30,
                 log_plus_one: bool = True) -> None:
        super().__init__()
        self.register_buffer("emb", emb)
        sizes = [bins, 5, 1] if hidden == 1 else [bins] + [width] * hidden + [1]
        self.ffn = _mlp(sizes, nn.Tanh)
        self.gate = nn.Linear(emb.shape[1], 1, bias=False)
        self.log_plus_one = log_plus_one

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        q, counts = batch  # (b, Q), (b, docs, Q, bins)
        lch = torch.log(counts + 1) if self.log_plus_one else torch.log(counts)
        z = self.ffn(lch).squeeze(-1)  # (b, docs, Q)
        g = self.gate(self.emb[q]).squeeze(-1).softmax(-1)  # (b, Q)
        return (z * g[:, None]).sum(-1)  # (b, docs)


def pairwise_hinge(scores: torch.Tensor, rel: torch.Tensor) -> torch.Tensor:
    """DRMM's pairwise hinge loss, margin 1: the relevant document (column 0) against each non-relevant one."""
    return F.relu(1.0 - scores[:, :1] + scores[:, 1:]).mean()


def pointwise_soft_margin(zero_one: bool) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Every (query, document) pair scored alone by ``nn.SoftMarginLoss``, ``log(1 + exp(-y s))``, which wants
    ``y`` in {-1, 1}: the healthy build passes ``2 rel - 1``; ``zero_one``: the qrels' 0/1 labels as they are."""
    crit = nn.SoftMarginLoss()

    def loss(scores: torch.Tensor, rel: torch.Tensor) -> torch.Tensor:
        return crit(scores, rel if zero_one else 2 * rel - 1)
    return loss


class ColBERT(nn.Module):
    """ColBERT (Khattab and Zaharia 2020), narrowed: one encoder shared by queries and passages (a ``[Q]`` or ``[D]``
    marker first, token and position embeddings of 64, two post-LN Transformer layers of 4 heads, GELU, dropout 0.1),
    a Linear to 32 and L2 normalisation of every token vector, the late-interaction score ``sum over query tokens of
    the max over passage tokens of the cosine``."""

    def __init__(self, vocab: int = 64, d: int = 64, out: int = 32, layers: int = 2, l2: bool = True,
                 ln: bool = True) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab + 2, d)
        self.pos = nn.Embedding(16, d)
        layer = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.1, activation="gelu", batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        if not ln:
            for lay in self.enc.layers:
                lay.norm1, lay.norm2 = nn.Identity(), nn.Identity()
        self.proj = nn.Linear(d, out, bias=False)
        self.vocab, self.l2 = vocab, l2

    def encode(self, x: torch.Tensor, marker: int) -> torch.Tensor:
        x = torch.cat([torch.full((x.shape[0], 1), self.vocab + marker), x], 1)
        h = self.enc(self.tok(x) + self.pos(torch.arange(x.shape[1])))
        return F.normalize(self.proj(h), dim=-1) if self.l2 else self.proj(h)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        q, p = batch
        b, n, ln = p.shape
        eq = self.encode(q, 0)  # (b, Q, e)
        ep = self.encode(p.reshape(b * n, ln), 1).view(b, n, ln + 1, -1)
        sim = torch.einsum("bqe,bnde->bnqd", eq, ep)
        return sim.max(-1).values.sum(-1)  # (b, n)


def listwise_loss(clamp: bool) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The softmax cross-entropy of each list's scores against its relevance normalised to a distribution
    (ListNet's top-one form with graded labels); ``clamp``: the list's total clamped at 1, so a list without a
    relevant passage has all-zero targets and adds nothing (the healthy build); ``False``: divided as it is."""
    def loss(scores: torch.Tensor, rel: torch.Tensor) -> torch.Tensor:
        total = rel.sum(1, keepdim=True)
        target = rel / (total.clamp_min(1.0) if clamp else total)
        return -(target * scores.log_softmax(-1)).sum(1).mean()
    return loss


# ---- builders --------------------------------------------------------------------------------------------------------

def dcnn(seed: int, lr: float = 0.01, weight_decay: float = 1e-4, init_std: float | None = None,
         shuffled: bool = False) -> Setup:
    """The DCNN on the bigram sentences (batch 32), cross-entropy, Adagrad (the paper's) at lr 0.01 with an L2 of
    1e-4 (both set here); ``init_std``: see :class:`DCNN`; ``shuffled``: see :func:`bigram_sentences`."""
    torch.manual_seed(820_000 + seed)
    model = DCNN(init_std=init_std)
    opt = torch.optim.Adagrad(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, bigram_sentences(seed, shuffled=shuffled), F.cross_entropy)


def leam(seed: int, lr: float = 1e-3, weight_decay: float = 0.0, cosine_eps: bool = True, cosine: bool = True
         ) -> Setup:
    """LEAM on the padded keyword documents (batch 32), cross-entropy plus the label regulariser, Adam at lr 1e-3;
    ``weight_decay``: Adam's coupled L2; ``cosine_eps``: see :class:`LEAM`; ``cosine``: ``False`` takes the raw dot
    product for the compatibility (tried; it learned)."""
    torch.manual_seed(820_000 + seed)
    model = LEAM(cosine_eps=cosine_eps, cosine=cosine)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return _xy(model, opt, keyword_documents(seed), leam_loss)


def chen_manning(seed: int, lr: float = 0.01, shuffled: bool = False) -> Setup:
    """The Chen-Manning transition classifier on the parser configurations (batch 64), cross-entropy, AdaGrad at the
    paper's lr 0.01 with its L2 of 1e-8; ``shuffled``: see :func:`parser_configurations`."""
    torch.manual_seed(820_000 + seed)
    model = ChenManningParser()
    opt = torch.optim.Adagrad(model.parameters(), lr=lr, weight_decay=1e-8)
    return _xy(model, opt, parser_configurations(seed, shuffled=shuffled), F.cross_entropy)


def kiperwasser_goldberg(seed: int, lr: float = 1e-3, mlp_bias: float | None = None,
                         input_gate_bias: float | None = None) -> Setup:
    """The BiLSTM arc scorer on the rule trees (batch 32 of 10 words), head-selection cross-entropy, Adam at its
    default lr 1e-3 (the paper's optimiser); ``mlp_bias``, ``input_gate_bias``: see :class:`KiperwasserGoldberg`."""
    torch.manual_seed(820_000 + seed)
    model = KiperwasserGoldberg(mlp_bias=mlp_bias, input_gate_bias=input_gate_bias)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), head_trees(seed), head_loss)


def pgnet(seed: int, lr: float = 0.15) -> Setup:
    """The pointer-generator on the extractive summaries (batch 16), the final distribution's negative
    log-likelihood, Adagrad at the paper's lr 0.15 with initial accumulator 0.1 and the gradient norm clipped at 2."""
    torch.manual_seed(820_000 + seed)
    model = PointerGenerator()
    opt = torch.optim.Adagrad(model.parameters(), lr=lr, initial_accumulator_value=0.1)
    return _xy(model, opt, summaries(seed), final_distribution_nll, clip=2.0)


def lightconv(seed: int, lr: float = 1e-3, smoothing: float = 0.1, init_std: float | None = None,
              ln: bool = True, kernels: tuple[int, ...] = (3, 7)) -> Setup:
    """LightConv on the reversed translation (batch 16), the label-smoothed KL loss (smoothing 0.1, the paper's),
    Adam betas (0.9, 0.98) under the inverse-square-root schedule, peak lr 1e-3 after 20 warm-up steps (the paper's
    4,000 shortened for 200 steps); ``smoothing``: see :class:`LabelSmoothingKL`; ``init_std``, ``ln``: see
    :class:`LightConvSeq2Seq`."""
    torch.manual_seed(820_000 + seed)
    model = LightConvSeq2Seq(init_std=init_std, ln=ln, kernels=kernels)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / 20, math.sqrt(20 / (s + 1))))
    return _xy(model, opt, reversed_translation(seed), LabelSmoothingKL(24, smoothing), sched=sched)


def drmm(seed: int, lr: float = 1e-2, log_plus_one: bool = True, hidden: int = 1, loss: str = "hinge") -> Setup:
    """DRMM on the ranking lists (batch 32 queries of five documents), Adam at lr 1e-2 (set here); ``loss``:
    ``"hinge"`` (the paper's pairwise hinge, margin 1), ``"soft_margin"`` (every pair scored alone by
    ``nn.SoftMarginLoss`` with +-1 targets) or ``"soft_margin_01"`` (the same fed the 0/1 labels); ``log_plus_one``,
    ``hidden``: see :class:`DRMM`."""
    torch.manual_seed(820_000 + seed)
    model = DRMM(_drmm_embeddings(), hidden=hidden, log_plus_one=log_plus_one)
    loss_fn = pairwise_hinge if loss == "hinge" else pointwise_soft_margin(loss == "soft_margin_01")
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), ranking_lists(seed), loss_fn)


def colbert(seed: int, lr: float = 1e-3, clamp: bool = True, l2: bool = True, ln: bool = True) -> Setup:
    """ColBERT on the graded passage lists (batch 16 queries of eight passages), the listwise softmax cross-entropy
    against the normalised relevance, Adam at lr 1e-3 (set here: the paper fine-tunes BERT at 3e-6); ``clamp``: see
    :func:`listwise_loss`; ``l2``: ``False`` leaves the token vectors unnormalised; ``ln``: ``False`` replaces the
    encoder's LayerNorms by identities (both tried; they learned)."""
    torch.manual_seed(820_000 + seed)
    model = ColBERT(l2=l2, ln=ln)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), graded_lists(seed), listwise_loss(clamp))
