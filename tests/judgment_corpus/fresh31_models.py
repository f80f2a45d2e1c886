"""Hand-written models of the thirty-second held-out batch (``fresh31.py``), language, self-supervised,
recommendation and generative ones: small versions of published architectures new to the corpus,
each with the switches its broken variants need (one fault each, off by default). The vision models are in
``fresh31_models2.py``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- language model --------------------------------------------------------------------------------------------------


class LSHAttention(nn.Module):
    """The Reformer's LSH self-attention (Kitaev et al. 2020), causal, one hash round: shared query-keys (the keys
    are the unit-normalised queries), each head's vectors hashed by ``argmax([xR; -xR])`` with a random rotation
    ``R`` drawn at every forward, the positions sorted by (bucket, position), cut into chunks of ``chunk``, and each
    chunk attending to itself and the chunk before; a position attends to itself only when nothing else is allowed
    (its logit set to -1e5), later positions never."""

    def __init__(self, d: int, heads: int = 2, buckets: int = 4, chunk: int = 8) -> None:
        super().__init__()
        self.heads, self.buckets, self.chunk = heads, buckets, chunk
        self.qk, self.v, self.out = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False), nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        h, c = self.heads, self.chunk
        dh = d // h
        qk = self.qk(x).view(b, t, h, dh).transpose(1, 2)  # (b, h, t, dh)
        v = self.v(x).view(b, t, h, dh).transpose(1, 2)
        rot = torch.randn(dh, self.buckets // 2, device=x.device)
        proj = qk.detach() @ rot
        bucket = torch.cat([proj, -proj], -1).argmax(-1)  # (b, h, t)
        pos = torch.arange(t, device=x.device)
        order = (bucket * t + pos).argsort(-1)
        sq = qk.gather(2, order[..., None].expand(-1, -1, -1, dh))
        sv = v.gather(2, order[..., None].expand(-1, -1, -1, dh))
        sk = F.normalize(sq, dim=-1)
        n = t // c
        q_ch = sq.view(b, h, n, c, dh)
        k_ch, v_ch, p_ch = sk.view(b, h, n, c, dh), sv.view(b, h, n, c, dh), order.view(b, h, n, c)
        k2 = torch.cat([k_ch, k_ch.roll(1, 2)], 3)  # each chunk and the one before (the first: the last, masked)
        v2 = torch.cat([v_ch, v_ch.roll(1, 2)], 3)
        p2 = torch.cat([p_ch, p_ch.roll(1, 2)], 3)
        s = q_ch @ k2.transpose(-1, -2) / math.sqrt(dh)  # (b, h, n, c, 2c)
        qpos, kpos = p_ch[..., :, None], p2[..., None, :]
        s = s.masked_fill(kpos > qpos, -1e9).masked_fill(kpos == qpos, -1e5)
        o = (s.softmax(-1) @ v2).view(b, h, t, dh)
        out = torch.empty_like(o).scatter_(2, order[..., None].expand(-1, -1, -1, dh), o)
        return self.out(out.transpose(1, 2).reshape(b, t, d))


class Reformer(nn.Module):
    """A small Reformer LM: token and learned position embeddings of 64, two reversible layers (``y1 = x1 +
    Attention(LN(x2))``, ``y2 = x2 + FeedForward(LN(y1))``) with LSH attention of two heads and a GELU feed-forward
    of 128, the two streams averaged, a final LayerNorm and a linear output; weights N(0, 0.02)."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, length: int = 32) -> None:
        super().__init__()
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Embedding(length, d)
        self.attn = nn.ModuleList(LSHAttention(d) for _ in range(layers))
        self.ff = nn.ModuleList(nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
                                for _ in range(layers))
        self.ln1 = nn.ModuleList(nn.LayerNorm(d) for _ in range(layers))
        self.ln2 = nn.ModuleList(nn.LayerNorm(d) for _ in range(layers))
        self.norm, self.head = nn.LayerNorm(d), nn.Linear(d, vocab)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x) + self.pos(torch.arange(x.shape[1], device=x.device))
        x1 = x2 = h
        for attn, ff, ln1, ln2 in zip(self.attn, self.ff, self.ln1, self.ln2, strict=True):
            x1 = x1 + attn(ln1(x2))
            x2 = x2 + ff(ln2(x1))
        return self.head(self.norm((x1 + x2) / 2))


# ---- contrastive predictive coding -----------------------------------------------------------------------------------


class CPC(nn.Module):
    """Contrastive Predictive Coding (van den Oord et al. 2018), narrowed: a strided convolutional encoder (kernels
    8, 4, 4, strides 4, 2, 2, 32 channels, ReLU; 16 samples a frame), a GRU of 32 summarising the frames so far
    (``c_t``), and one linear predictor ``W_k`` per step ahead (k = 1..4). ``forward`` returns the scores
    ``(W_k c_t) . z_{t+k}`` of every sequence's context against every sequence's future frame, ``(K, T - K, b,
    b)``: the positives on the diagonal, the other sequences of the batch the negatives (the reference code's).
    ``recurrent_std``: the GRU's recurrent matrix redrawn N(0, std^2)."""

    def __init__(self, d: int = 32, steps: int = 4, recurrent_std: float | None = None) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv1d(1, d, 8, stride=4, padding=2), nn.ReLU(),
                                 nn.Conv1d(d, d, 4, stride=2, padding=1), nn.ReLU(),
                                 nn.Conv1d(d, d, 4, stride=2, padding=1), nn.ReLU())
        self.gru = nn.GRU(d, d, batch_first=True)
        if recurrent_std is not None:
            nn.init.normal_(self.gru.weight_hh_l0, std=recurrent_std)
        self.w = nn.ModuleList(nn.Linear(d, d, bias=False) for _ in range(steps))
        self.steps = steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.enc(x[:, None]).transpose(1, 2)  # (b, T, d)
        c, _ = self.gru(z)
        t = z.shape[1] - self.steps
        scores = []
        for k, w in enumerate(self.w, start=1):
            pred = w(c[:, :t])  # (b, t, d)
            scores.append(torch.einsum("itd,jtd->tij", pred, z[:, k:k + t]))
        return torch.stack(scores)


# ---- recommendation --------------------------------------------------------------------------------------------------


class ESMM(nn.Module):
    """The Entire Space Multi-task Model (Ma et al. 2018): field embeddings of 8 shared by two towers (CTR and CVR,
    MLPs 64-32 with ReLU) over the concatenated embeddings and the dense features; ``pCTCVR = pCTR * pCVR``.
    Returns ``(pCTR, pCTCVR)``. ``tanh_depth``: each tower a stack of that many plain tanh layers of 32 (PyTorch's
    default init) in place of its MLP."""

    def __init__(self, sizes: tuple[int, ...] = (12, 12, 6, 4), dense: int = 1, d: int = 8,
                 tanh_depth: int = 0) -> None:
        super().__init__()
        self.embs = nn.ModuleList(nn.Embedding(n, d) for n in sizes)
        inp = d * len(sizes) + dense

        def tower() -> nn.Sequential:
            if tanh_depth:
                layers: list[nn.Module] = [nn.Linear(inp, 32), nn.Tanh()]
                for _ in range(tanh_depth - 1):
                    layers += [nn.Linear(32, 32), nn.Tanh()]
                return nn.Sequential(*layers, nn.Linear(32, 1))
            return nn.Sequential(nn.Linear(inp, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))

        self.ctr, self.cvr = tower(), tower()

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        cats, dense = inputs
        h = torch.cat([*(e(cats[:, i]) for i, e in enumerate(self.embs)), dense], -1)
        p_ctr = torch.sigmoid(self.ctr(h)).squeeze(-1)
        p_cvr = torch.sigmoid(self.cvr(h)).squeeze(-1)
        return p_ctr, p_ctr * p_cvr


# ---- generative ------------------------------------------------------------------------------------------------------


class IWAE(nn.Module):
    """The importance-weighted autoencoder (Burda, Grosse & Salakhutdinov 2016) with the paper's one-stochastic-layer
    architecture, narrowed: a tanh MLP encoder (two layers of 100) to a diagonal Gaussian of 20 (``log sigma^2``
    output), a tanh MLP decoder to Bernoulli logits, ``k = 5`` samples. ``forward`` returns the per-example bound
    ``log (1/k) sum_i p(x, z_i) / q(z_i | x)`` (the log-mean-exp taken with ``torch.logsumexp``). ``depth``: the
    encoder and the decoder each that many tanh layers of 100 (PyTorch's default init) where the paper has two."""

    def __init__(self, dim: int = 64, hidden: int = 100, latent: int = 20, k: int = 5, depth: int = 2) -> None:
        super().__init__()

        def mlp(d_in: int, d_out: int) -> nn.Sequential:
            layers: list[nn.Module] = [nn.Linear(d_in, hidden), nn.Tanh()]
            for _ in range(depth - 1):
                layers += [nn.Linear(hidden, hidden), nn.Tanh()]
            return nn.Sequential(*layers, nn.Linear(hidden, d_out))

        self.enc, self.dec = mlp(dim, 2 * latent), mlp(latent, dim)
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.enc(x).chunk(2, -1)
        std = (0.5 * logvar).exp()
        eps = torch.randn(self.k, *mu.shape, device=x.device)
        z = mu + std * eps  # (k, b, latent)
        log_q = (-0.5 * eps ** 2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_px = -F.binary_cross_entropy_with_logits(self.dec(z), x.expand(self.k, -1, -1), reduction="none").sum(-1)
        log_w = log_px + log_pz - log_q
        return torch.logsumexp(log_w, 0) - math.log(self.k)
