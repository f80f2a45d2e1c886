"""Hand-written models of the thirteenth held-out batch (``fresh12.py``): small versions of published architectures
new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class JANET(nn.Module):
    """JANET (van der Westhuizen & Lasenby 2018, "The unreasonable effectiveness of the forget gate"): an LSTM with
    only its forget gate, ``c = sigmoid(s) * c + (1 - sigmoid(s - beta)) * tanh(candidate)``, ``h = c``, beta = 1,
    chrono-initialised forget bias ``log U(1, T - 1)``; classifies from the last state. ``recurrent_std``: the
    recurrent matrices drawn N(0, recurrent_std^2) instead of orthogonal; ``accumulate_slip``: the cell update written
    ``c += f * c + ...`` where ``c = f * c + ...`` belongs (an augmented assignment: the old state counted twice);
    ``chrono_sign_slip``: the forget bias set to ``-log U(1, T - 1)``, the sign of an LSTM chrono init's input-gate
    bias copied onto JANET's forget gate."""

    def __init__(self, vocab: int = 32, emb: int = 32, hidden: int = 64, classes: int = 4, length: int = 20,
                 recurrent_std: float | None = None, accumulate_slip: bool = False, chrono_sign_slip: bool = False
                 ) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, emb)
        self.wx = nn.Linear(emb, 2 * hidden)
        self.uh = nn.Linear(hidden, 2 * hidden, bias=False)
        self.head = nn.Linear(hidden, classes)
        self.hidden, self.beta, self.accumulate_slip = hidden, 1.0, accumulate_slip
        with torch.no_grad():
            for w in self.uh.weight.split(hidden):
                if recurrent_std is None:
                    nn.init.orthogonal_(w)
                else:
                    nn.init.normal_(w, 0.0, recurrent_std)
            nn.init.xavier_uniform_(self.wx.weight)
            self.wx.bias.zero_()
            chrono = torch.log(torch.empty(hidden).uniform_(1, length - 1))
            self.wx.bias[:hidden] = -chrono if chrono_sign_slip else chrono

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs = self.wx(self.embed(x))
        c = xs.new_zeros(x.shape[0], self.hidden)
        for t in range(x.shape[1]):
            s, cand = (xs[:, t] + self.uh(c)).chunk(2, -1)
            f, keep = torch.sigmoid(s), 1 - torch.sigmoid(s - self.beta)
            if self.accumulate_slip:
                c = c + (f * c + keep * torch.tanh(cand))
            else:
                c = f * c + keep * torch.tanh(cand)
        return self.head(c)


class FixupBlock(nn.Module):
    """A Fixup basic block (Zhang et al. 2019): two 3x3 convolutions without normalisation, scalar biases before
    each convolution and activation, a scalar multiplier, the skip ``x`` added after the branch; ``act``: ``"relu"``
    (the paper's) or ``"sigmoid"``."""

    def __init__(self, c_in: int, c_out: int, stride: int, indent_slip: bool = False, act: str = "relu") -> None:
        super().__init__()
        self.act = F.relu if act == "relu" else torch.sigmoid
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bias1a, self.bias1b, self.bias2a, self.bias2b = (nn.Parameter(torch.zeros(1)) for _ in range(4))
        self.scale = nn.Parameter(torch.ones(1))
        self.downsample = (nn.Conv2d(c_in, c_out, 1, stride, bias=False) if stride != 1 or c_in != c_out
                           else None)
        self.indent_slip = indent_slip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.conv1(x + self.bias1a) + self.bias1b)
        out = self.conv2(out + self.bias2a) * self.scale + self.bias2b
        identity = x
        if self.downsample is not None:
            identity = self.downsample(x + self.bias1a)
            if self.indent_slip:  # ``out += identity`` indented one level too deep: only downsampling blocks add it
                out = out + identity
        if not self.indent_slip:
            out = out + identity
        return self.act(out)


class FixupResNet(nn.Module):
    """A CIFAR-style ResNet (three stages of ``blocks`` Fixup blocks, widths ``width`` x 1, 2, 4) without any
    normalisation, Fixup-initialised: each branch's first convolution He-initialised and scaled by
    ``L^(-1/2)`` (L blocks, two layers per branch), its last convolution and the classifier zero. ``fixup=False``:
    every convolution and the classifier left at plain He init (the Fixup rescaling and zero init left out);
    ``indent_slip``, ``act``: see :class:`FixupBlock` (``act`` for the stem too)."""

    def __init__(self, classes: int = 10, width: int = 16, blocks: int = 3, fixup: bool = True,
                 indent_slip: bool = False, act: str = "relu") -> None:
        super().__init__()
        self.act = F.relu if act == "relu" else torch.sigmoid
        self.stem = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bias1 = nn.Parameter(torch.zeros(1))
        layers: list[nn.Module] = []
        c = width
        for stage in range(3):
            out = width * 2 ** stage
            for i in range(blocks):
                layers.append(FixupBlock(c, out, 2 if stage > 0 and i == 0 else 1, indent_slip, act))
                c = out
        self.layers = nn.Sequential(*layers)
        self.bias2 = nn.Parameter(torch.zeros(1))
        self.fc = nn.Linear(c, classes)
        n = len(layers)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if fixup:
            for blk in layers:
                assert isinstance(blk, FixupBlock)
                with torch.no_grad():
                    blk.conv1.weight.mul_(n ** -0.5)
                nn.init.zeros_(blk.conv2.weight)
            nn.init.zeros_(self.fc.weight)
            nn.init.zeros_(self.fc.bias)
        else:
            nn.init.kaiming_normal_(self.fc.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.stem(x) + self.bias1)
        x = self.layers(x)
        return self.fc(x.mean((2, 3)) + self.bias2)


class RMSNorm(nn.Module):
    """RMSNorm (Zhang & Sennrich 2019)."""

    def __init__(self, d: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Retention(nn.Module):
    """Multi-scale retention (Sun et al. 2023), parallel form: per head a causal decay mask ``gamma^(n - m)`` with
    ``gamma = 1 - 2^(-5 - h)``, rotary positions on queries and keys, GroupNorm over each head's output, a swish
    gate."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.q, self.k, self.v, self.g, self.o = (nn.Linear(d, d, bias=False) for _ in range(5))
        self.norm = nn.GroupNorm(heads, d, affine=False)
        self.register_buffer("gamma", 1 - 2.0 ** (-5 - torch.arange(heads, dtype=torch.float)), persistent=False)

    def _rotate(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[2]
        inv = 1.0 / 10000 ** (torch.arange(0, self.dh, 2, dtype=torch.float) / self.dh)
        ang = torch.arange(t, dtype=torch.float)[:, None] * inv[None]
        cos, sin = ang.cos(), ang.sin()
        x1, x2 = x[..., ::2], x[..., 1::2]
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), -1).flatten(-2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, self.heads, self.dh).transpose(1, 2)
        q, k, v = self._rotate(split(self.q(x))), self._rotate(split(self.k(x))) * self.dh ** -0.5, split(self.v(x))
        n = torch.arange(t)
        diff = (n[:, None] - n[None]).float()
        decay = torch.where(diff >= 0, self.gamma[:, None, None] ** diff.clamp(min=0), torch.zeros(()))
        decay = decay / decay.sum(-1, keepdim=True).sqrt()
        ret = (q @ k.transpose(-1, -2)) * decay
        out = (ret @ v).transpose(1, 2).reshape(b * t, d)
        out = self.norm(out).view(b, t, d)
        return self.o(F.silu(self.g(x)) * out)


class RetNet(nn.Module):
    """A small RetNet LM: pre-RMSNorm blocks of multi-scale retention and a GELU FFN, a final RMSNorm, an untied
    head. Init: Xavier (the torchscale default for retention), embeddings N(0, 1/d)."""

    def __init__(self, vocab: int = 64, d: int = 64, layers: int = 2, heads: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleDict({
                "n1": RMSNorm(d), "ret": Retention(d, heads),
                "n2": RMSNorm(d),
                "ffn": nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))}))
        self.norm = RMSNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.normal_(self.embed.weight, 0.0, d ** -0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        for blk in self.blocks:
            h = h + blk["ret"](blk["n1"](h))
            h = h + blk["ffn"](blk["n2"](h))
        return self.head(self.norm(h))


class XDeepFM(nn.Module):
    """xDeepFM (Lian et al. 2018): field embeddings (8 wide; each numeric feature a learned vector times its value),
    a linear part, a Compressed Interaction Network (two layers of 16 feature maps) and a DNN (two layers of 64
    ReLU units), their outputs summed into one click logit."""

    def __init__(self, fields: int = 6, card: int = 20, dense: int = 4, k: int = 8, cin: tuple[int, ...] = (16, 16),
                 dnn: int = 64) -> None:
        super().__init__()
        self.emb = nn.Embedding(fields * card, k)
        self.dense_emb = nn.Parameter(torch.randn(dense, k) * 0.01)
        self.lin = nn.Embedding(fields * card, 1)
        self.lin_dense = nn.Linear(dense, 1)
        self.register_buffer("offset", torch.arange(fields) * card, persistent=False)
        m = fields + dense
        self.cin = nn.ModuleList()
        h = m
        for size in cin:
            self.cin.append(nn.Conv1d(h * m, size, 1))
            h = size
        self.cin_out = nn.Linear(sum(cin), 1)
        self.dnn = nn.Sequential(nn.Linear(m * k, dnn), nn.ReLU(), nn.Linear(dnn, dnn), nn.ReLU(), nn.Linear(dnn, 1))
        nn.init.normal_(self.emb.weight, 0.0, 0.01)
        nn.init.zeros_(self.lin.weight)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        cat, dense = batch
        idx = cat + self.offset
        x0 = torch.cat((self.emb(idx), dense.unsqueeze(-1) * self.dense_emb), 1)  # (B, m, k)
        b, _, k = x0.shape
        xs, h = [], x0
        for conv in self.cin:
            z = (h.unsqueeze(2) * x0.unsqueeze(1)).reshape(b, -1, k)  # (B, H*m, k)
            h = F.relu(conv(z))
            xs.append(h.sum(-1))
        logit = self.lin(idx).sum((1, 2)) + self.lin_dense(dense).squeeze(-1)
        return logit + self.cin_out(torch.cat(xs, 1)).squeeze(-1) + self.dnn(x0.reshape(b, -1)).squeeze(-1)


class LayerNorm(nn.Module):
    """A hand-written LayerNorm; ``eps_outside``: written ``(x - mean) / torch.sqrt(var) + eps`` (the eps added after
    the division instead of under the root)."""

    def __init__(self, d: int, eps: float = 1e-5, eps_outside: bool = False) -> None:
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.ones(d)), nn.Parameter(torch.zeros(d))
        self.eps, self.eps_outside = eps, eps_outside

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean(-1, keepdim=True)
        var = (x - mu).pow(2).mean(-1, keepdim=True)
        y = (x - mu) / torch.sqrt(var) + self.eps if self.eps_outside else (x - mu) / torch.sqrt(var + self.eps)
        return y * self.weight + self.bias


class ConformerBlock(nn.Module):
    """A Conformer block (Gulati et al. 2020): half-step FFN, multi-head self-attention over the valid frames, a
    convolution module (pointwise conv, GLU, depth-wise conv, BatchNorm, swish, pointwise conv), half-step FFN, a
    final LayerNorm. Padded keys are masked with the dtype's most negative finite value (``mask_value``: the fill;
    ``-inf`` leaves a sequence without any valid key with a row of -inf scores)."""

    def __init__(self, d: int = 64, heads: int = 4, kernel: int = 7, mask_value: float | None = None,
                 eps_outside: bool = False) -> None:
        super().__init__()

        def ln() -> LayerNorm:
            return LayerNorm(d, eps_outside=eps_outside)

        def ffn() -> nn.Sequential:
            return nn.Sequential(ln(), nn.Linear(d, 4 * d), nn.SiLU(), nn.Linear(4 * d, d))
        self.ff1, self.ff2 = ffn(), ffn()
        self.attn_norm, self.conv_norm, self.out_norm = ln(), ln(), ln()
        self.heads = heads
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.pw1, self.dw = nn.Conv1d(d, 2 * d, 1), nn.Conv1d(d, d, kernel, padding=kernel // 2, groups=d)
        self.bn, self.pw2 = nn.BatchNorm1d(d), nn.Conv1d(d, d, 1)
        self.mask_value = mask_value

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        x = x + 0.5 * self.ff1(x)
        b, t, d = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        fill = torch.finfo(scores.dtype).min if self.mask_value is None else self.mask_value
        scores = scores.masked_fill(~valid[:, None, None, :], fill)
        x = x + self.proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d))
        c = self.conv_norm(x).transpose(1, 2) * valid[:, None, :]
        c = self.pw2(F.silu(self.bn(self.dw(F.glu(self.pw1(c), dim=1)))))
        x = x + c.transpose(1, 2)
        x = x + 0.5 * self.ff2(x)
        return self.out_norm(x)


class Conformer(nn.Module):
    """A small Conformer classifier over padded token sequences (id 0 = padding, embedded as zeros): two blocks,
    masked mean pooling over the valid frames (the count clamped to at least 1), a linear head."""

    def __init__(self, vocab: int = 33, d: int = 64, classes: int = 4, blocks: int = 2,
                 mask_value: float | None = None, eps_outside: bool = False) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d, padding_idx=0)
        self.blocks = nn.ModuleList(ConformerBlock(d, mask_value=mask_value, eps_outside=eps_outside)
                                    for _ in range(blocks))
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        valid = x != 0
        h = self.embed(x)
        for blk in self.blocks:
            h = blk(h, valid)
        w = valid.unsqueeze(-1).float()
        return self.head((h * w).sum(1) / w.sum(1).clamp(min=1))
