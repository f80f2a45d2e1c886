"""Hand-written models of the seventieth held-out batch (``fresh69.py``), the language ones: small versions of
published architectures new to the corpus (a tree-structured encoder, a hierarchical encoder-decoder, a pointer
language model), each with the switches its broken variants need (one fault each, off by default). The recommender
and tabular models are in ``fresh69_models2.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- Tree-LSTM -------------------------------------------------------------------------------------------------------


class TreeLSTM(nn.Module):
    """The binary (N-ary, N = 2) Tree-LSTM (Tai, Socher and Manning 2015, "Improved semantic representations from
    tree-structured long short-term memory networks"), narrowed: word embeddings of 32 (uniform +-0.05, the reference
    code's init for words outside GloVe), memory 64; a leaf's ``i, o, u`` from its word (``c = i u``), an internal
    node's ``i, f_l, f_r, o, u`` from its two children's states (``c = i u + f_l c_l + f_r c_r``, ``h = o tanh c``),
    over complete binary trees of 16 leaves; the root's state, dropout 0.5, a softmax layer. PyTorch's default init
    elsewhere."""

    def __init__(self, vocab: int = 200, d: int = 32, hidden: int = 64, classes: int = 2, drop: float = 0.5) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        nn.init.uniform_(self.emb.weight, -0.05, 0.05)
        self.leaf = nn.Linear(d, 3 * hidden)
        self.node = nn.Linear(2 * hidden, 5 * hidden)
        self.drop, self.out = nn.Dropout(drop), nn.Linear(hidden, classes)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        i, o, u = self.leaf(self.emb(s)).chunk(3, -1)
        c = torch.sigmoid(i) * torch.tanh(u)
        h = torch.sigmoid(o) * torch.tanh(c)
        while h.shape[1] > 1:
            b, n, k = h.shape
            pair_h, pair_c = h.reshape(b, n // 2, 2 * k), c.reshape(b, n // 2, 2, k)
            i, fl, fr, o, u = self.node(pair_h).chunk(5, -1)
            c = (torch.sigmoid(i) * torch.tanh(u) + torch.sigmoid(fl) * pair_c[:, :, 0]
                 + torch.sigmoid(fr) * pair_c[:, :, 1])
            h = torch.sigmoid(o) * torch.tanh(c)
        return self.out(self.drop(h[:, 0]))


# ---- HRED ------------------------------------------------------------------------------------------------------------


class HRED(nn.Module):
    """HRED (Serban et al. 2016, "Building end-to-end dialogue systems using generative hierarchical neural network
    models"), narrowed: word embeddings of 32, an utterance-encoder GRU of 64 over each turn, a context GRU of 64 over
    the turns' encodings, and a decoder GRU of 64 started at ``tanh(W c)`` from the context ``c`` and fed ``[word,
    c]`` at every step (teacher forcing), a softmax over the words; PyTorch's default init. ``context_gate_bias``: the
    context GRU's reset and update gate biases (``b_ih`` and ``b_hh`` each) set to that value (at -5, ``r = z =
    sigmoid(-10)``: each turn's context forgets the turns before it)."""

    def __init__(self, vocab: int = 24, d: int = 32, hidden: int = 64, context_gate_bias: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab + 1, d)  # the last id is the decoder's start symbol
        self.utt = nn.GRU(d, hidden, batch_first=True)
        self.ctx = nn.GRU(hidden, hidden, batch_first=True)
        self.init_dec = nn.Linear(hidden, hidden)
        self.dec = nn.GRU(d + hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)
        self.bos = vocab
        if context_gate_bias is not None:
            with torch.no_grad():
                for bias in (self.ctx.bias_ih_l0, self.ctx.bias_hh_l0):
                    bias[: 2 * hidden] = context_gate_bias

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        turns, reply = batch  # (b, turns, words), (b, words)
        b, t, n = turns.shape
        _, hu = self.utt(self.emb(turns.reshape(b * t, n)))
        _, hc = self.ctx(hu[0].reshape(b, t, -1))
        c = hc[0]
        prev = torch.cat([torch.full((b, 1), self.bos, dtype=torch.long), reply[:, :-1]], 1)
        x = torch.cat([self.emb(prev), c[:, None].expand(-1, reply.shape[1], -1)], -1)
        y, _ = self.dec(x, torch.tanh(self.init_dec(c))[None].contiguous())
        return self.out(y)


# ---- pointer sentinel mixture model ----------------------------------------------------------------------------------


class PointerSentinelLSTM(nn.Module):
    """The pointer sentinel-LSTM (Merity, Xiong, Bradbury and Socher 2017, "Pointer sentinel mixture models"),
    narrowed to one LSTM layer of 64 over embeddings of 64: the query ``q = tanh(W h_t + b)`` scores the window's
    states (every earlier position of the sequence and the current one) and a learnt sentinel vector; the softmax over
    the window and the sentinel gives the pointer's weights and the gate ``g`` (the sentinel's weight), and the
    prediction is ``g p_vocab + p_ptr`` (``p_ptr(w)``: the weights of the window positions holding ``w``). Returns the
    log-probabilities of the next word. PyTorch's default init; ``init_std``: every weight (embeddings, LSTM,
    Linears, the sentinel) drawn N(0, init_std^2) instead."""

    def __init__(self, vocab: int = 64, d: int = 64, hidden: int = 64, init_std: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.lstm = nn.LSTM(d, hidden, batch_first=True)
        self.query = nn.Linear(hidden, hidden)
        self.sentinel = nn.Parameter(torch.zeros(hidden))
        self.out = nn.Linear(hidden, vocab)
        self.vocab = vocab
        if init_std is not None:
            with torch.no_grad():
                for p in self.parameters():
                    p.normal_(0.0, init_std)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(self.emb(s))  # (b, t, k)
        q = torch.tanh(self.query(h))
        t = s.shape[1]
        z = q @ h.transpose(1, 2)  # (b, t, t): query position x window position
        z = z.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        a = torch.softmax(torch.cat([z, (q @ self.sentinel)[..., None]], -1), -1)
        p_ptr = a[..., :t] @ F.one_hot(s, self.vocab).float()
        p = a[..., t:] * torch.softmax(self.out(h), -1) + p_ptr
        return torch.log(p)


def nll_of_logprobs(logp: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The pointer model's loss: the mean negative log-probability of the next words."""
    return F.nll_loss(logp.reshape(-1, logp.shape[-1]), target.reshape(-1))
