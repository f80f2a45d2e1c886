"""Hand-written models of the fifty-sixth held-out batch (``fresh55.py``), the 3-D generative and NLP ones: small
versions of published architectures new to the corpus (a surface generator, a window tagger, a LayerNorm-free
translation Transformer, a bi-LSTM tagger), each with the switches its broken variants need (one fault each, off by
default). The vision and point-cloud models are in ``fresh55_models.py``."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- AtlasNet --------------------------------------------------------------------------------------------------------


class AtlasNet(nn.Module):
    """AtlasNet (Groueix et al. 2018, "AtlasNet: a papier-mache approach to learning 3D surface generation"),
    narrowed, as a point-cloud auto-encoder: a PointNet encoder (1x1 convolutions 3-32-64-128 with BatchNorm and
    ReLU, max pooling, a Linear to the 64-dimensional code with BatchNorm and ReLU) and 4 learned patches, each an
    MLP (1x1 convolutions 66-64-32-3 with BatchNorm and ReLU, ``tanh`` out) mapping 32 points drawn uniformly in the
    unit square, with the code appended, onto the surface; PyTorch's default init."""

    def __init__(self, code: int = 64, patches: int = 4, per_patch: int = 32) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv1d(3, 32, 1), nn.BatchNorm1d(32), nn.ReLU(), nn.Conv1d(32, 64, 1),
                                 nn.BatchNorm1d(64), nn.ReLU(), nn.Conv1d(64, 128, 1), nn.BatchNorm1d(128), nn.ReLU())
        self.code = nn.Sequential(nn.Linear(128, code), nn.BatchNorm1d(code), nn.ReLU())
        self.decoders = nn.ModuleList([
            nn.Sequential(nn.Conv1d(2 + code, 64, 1), nn.BatchNorm1d(64), nn.ReLU(), nn.Conv1d(64, 32, 1),
                          nn.BatchNorm1d(32), nn.ReLU(), nn.Conv1d(32, 3, 1), nn.Tanh()) for _ in range(patches)])
        self.per_patch = per_patch

    def forward(self, pts: torch.Tensor) -> torch.Tensor:  # pts: b, n, 3 -> b, patches * per_patch, 3
        z = self.code(self.enc(pts.transpose(1, 2)).max(2).values)
        b = pts.shape[0]
        outs = []
        for dec in self.decoders:
            uv = torch.rand(b, 2, self.per_patch)
            outs.append(dec(torch.cat([uv, z[:, :, None].expand(-1, -1, self.per_patch)], 1)))
        return torch.cat(outs, 2).transpose(1, 2)


# ---- SENNA's window approach -----------------------------------------------------------------------------------------


class WindowTagger(nn.Module):
    """The window approach network of Collobert et al. 2011 ("Natural language processing (almost) from scratch",
    SENNA): each word's window of 5 (padding ids at the sentence's ends) through a lookup table of 50, a Linear to 300
    hidden units, ``HardTanh``, a Linear to the tag scores (the word-level log-likelihood); PyTorch's default init
    (the paper's uniform fan-in init). ``layers``: the hidden layers (HardTanh each); ``init_std``: every weight
    drawn N(0, init_std^2) instead; ``fan_in_words``: the window layer's fan-in counted in words (5) instead of
    inputs (250), its uniform bound 1 / sqrt(5) (a slip measured and dropped: see ``fresh55.py``)."""

    def __init__(self, vocab: int = 101, tags: int = 5, d: int = 50, hidden: int = 300, window: int = 5,
                 layers: int = 1, init_std: float | None = None, fan_in_words: bool = False) -> None:
        super().__init__()
        self.emb, self.window = nn.Embedding(vocab, d), window
        dims = [window * d] + [hidden] * layers
        self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in itertools.pairwise(dims)])
        self.out = nn.Linear(hidden, tags)
        if init_std is not None:
            for p in self.parameters():
                if p.dim() > 1:
                    nn.init.normal_(p, 0.0, init_std)
        if fan_in_words:
            bound = 1 / math.sqrt(window)
            nn.init.uniform_(self.hidden[0].weight, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, t (padded by window // 2 each side) -> b, t', tags
        e = self.emb(x)
        h = e.unfold(1, self.window, 1).transpose(2, 3).flatten(2)
        for layer in self.hidden:
            h = F.hardtanh(layer(h))
        return self.out(h)


# ---- T-Fixup Transformer ---------------------------------------------------------------------------------------------


class _Attention(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.heads = heads

    def forward(self, x: torch.Tensor, mem: torch.Tensor, causal: bool = False) -> torch.Tensor:
        b, t, d = x.shape
        h = self.heads
        q = self.q(x).view(b, t, h, -1).transpose(1, 2)
        k, v = (f(mem).view(b, mem.shape[1], h, -1).transpose(1, 2) for f in (self.k, self.v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return self.o(y.transpose(1, 2).reshape(b, t, d))


class _FFN(nn.Module):
    def __init__(self, d: int, ff: int) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, ff), nn.Linear(ff, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(x)))


def _sinusoid(n: int, d: int) -> torch.Tensor:
    pos = torch.arange(n).float()[:, None]
    div = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
    pe = torch.zeros(n, d)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
    return pe


class TFixupTransformer(nn.Module):
    """The T-Fixup Transformer (Huang, Perez, Ba and Volkovs 2020, "Improving transformer optimization through better
    initialization"), narrowed: an encoder-decoder of 3 + 3 post-residual layers without any LayerNorm (d 64, 4 heads,
    ReLU feed-forward 128), embeddings scaled by sqrt(d) with sinusoidal positions, a Linear to the target vocabulary.
    T-Fixup's init: Xavier-uniform for every matrix, the embeddings N(0, d^-1), then the decoder's attention ``v``
    and ``o``, its feed-forward weights and both embeddings scaled by ``(9 N)^(-1/4)`` and the encoder's ``v``,
    ``o`` and feed-forward weights by ``0.67 N^(-1/4)``. ``tfixup=False``: the user's init is ``nn.Transformer``'s
    ``_reset_parameters`` (Xavier-uniform for every parameter with more than one axis, the embeddings included) and
    the depth scaling of the LayerNorm-free layers is never applied; ``reinit_std``: after T-Fixup's init, a user's
    BERT-style ``_init_weights`` (every Linear and Embedding weight N(0, reinit_std^2), 0.02 in the broken variant)
    run over the model, which re-draws everything T-Fixup set."""

    def __init__(self, vocab: int = 24, d: int = 64, heads: int = 4, ff: int = 128, layers: int = 3,
                 tfixup: bool = True, reinit_std: float | None = None) -> None:
        super().__init__()
        self.src_emb, self.tgt_emb = nn.Embedding(vocab, d), nn.Embedding(vocab, d)
        self.enc = nn.ModuleList([nn.ModuleDict({"att": _Attention(d, heads), "ffn": _FFN(d, ff)})
                                  for _ in range(layers)])
        self.dec = nn.ModuleList([nn.ModuleDict({"self": _Attention(d, heads), "cross": _Attention(d, heads),
                                                 "ffn": _FFN(d, ff)}) for _ in range(layers)])
        self.out = nn.Linear(d, vocab)
        self.register_buffer("pe", _sinusoid(64, d))
        self.scale = math.sqrt(d)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
        if tfixup:
            self._tfixup(d, layers)
        if reinit_std is not None:
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(m.weight, 0.0, reinit_std)

    def _tfixup(self, d: int, n: int) -> None:
        with torch.no_grad():
            for emb in (self.src_emb, self.tgt_emb):
                emb.weight.normal_(0.0, d ** -0.5).mul_((9 * n) ** -0.25)
            for layer in self.dec:
                for att in (layer["self"], layer["cross"]):
                    att.v.weight.mul_((9 * n) ** -0.25)
                    att.o.weight.mul_((9 * n) ** -0.25)
                layer["ffn"].fc1.weight.mul_((9 * n) ** -0.25)
                layer["ffn"].fc2.weight.mul_((9 * n) ** -0.25)
            for layer in self.enc:
                for w in (layer["att"].v.weight, layer["att"].o.weight, layer["ffn"].fc1.weight,
                          layer["ffn"].fc2.weight):
                    w.mul_(0.67 * n ** -0.25)

    def forward(self, x: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        src, tgt_in = x
        h = self.src_emb(src) * self.scale + self.pe[: src.shape[1]]
        for layer in self.enc:
            h = h + layer["att"](h, h)
            h = h + layer["ffn"](h)
        y = self.tgt_emb(tgt_in) * self.scale + self.pe[: tgt_in.shape[1]]
        for layer in self.dec:
            y = y + layer["self"](y, y, causal=True)
            y = y + layer["cross"](y, h)
            y = y + layer["ffn"](y)
        return self.out(y)


# ---- the bi-LSTM tagger with the auxiliary loss ----------------------------------------------------------------------


class AuxBiLSTMTagger(nn.Module):
    """The bi-LSTM tagger of Plank, Sogaard and Goldberg 2016 ("Multilingual part-of-speech tagging with
    bidirectional long short-term memory models and auxiliary loss", bilty), narrowed to its word level: word
    embeddings of 32 with word dropout 0.25 (a dropped word becomes the unknown id 1; the sentence's leading mode
    token is never dropped) and Gaussian noise 0.2 on the
    embeddings (training only), one bi-LSTM of 32 a direction, and two Linear heads on its states: the tag and the
    auxiliary log-frequency class of the word; PyTorch's default init. ``forget_bias``: both directions' forget-gate
    biases (``bias_ih`` and ``bias_hh``) set to half of it each."""

    def __init__(self, vocab: int = 80, tags: int = 12, aux: int = 2, d: int = 32, hidden: int = 32,
                 forget_bias: float | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.lstm = nn.LSTM(d, hidden, batch_first=True, bidirectional=True)
        self.tag, self.aux = nn.Linear(2 * hidden, tags), nn.Linear(2 * hidden, aux)
        if forget_bias is not None:
            with torch.no_grad():
                for name, p in self.lstm.named_parameters():
                    if name.startswith("bias"):
                        p[hidden:2 * hidden] = forget_bias / 2
        self.n_tags = tags

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: b, t -> b, t, tags + aux
        if self.training:
            drop = torch.rand(x.shape) < 0.25
            drop[:, 0] = False
            x = torch.where(drop, torch.ones_like(x), x)
        e = self.emb(x)
        if self.training:
            e = e + 0.2 * torch.randn_like(e)
        h, _ = self.lstm(e)
        return torch.cat([self.tag(h), self.aux(h)], -1)
