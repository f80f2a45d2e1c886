"""Hand-written models of the fourteenth held-out batch (``fresh13.py``): small versions of published architectures
new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class AlexNet(nn.Module):
    """AlexNet (Krizhevsky et al. 2012) for 32x32 images: five convolutions with ReLU, local response normalisation
    after the first two, max pooling, and three fully connected layers with dropout; He-normal init written by hand
    (``std = sqrt(2 / fan_in)``). ``act``: the hidden activation (``"sigmoid"``: a saturating one); ``variance_slip``:
    the init's std written ``2 / fan_in``, the variance passed where the standard deviation belongs; ``dropout``: the
    dropout layers' ``p`` (0.9: a TensorFlow ``keep_prob=0.9`` carried over to ``nn.Dropout``'s drop probability);
    ``extra``: that many more 3x3 convolutions (48 wide, ReLU, no skip connections, no normalisation) after the third:
    a plain network made very deep."""

    def __init__(self, classes: int = 10, act: str = "relu", variance_slip: bool = False, dropout: float = 0.5,
                 extra: int = 0) -> None:
        super().__init__()
        a = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}[act]
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 5, padding=2), a(), nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), a(), nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 48, 3, padding=1), a(),
            *[m for _ in range(extra) for m in (nn.Conv2d(48, 48, 3, padding=1), a())],
            nn.Conv2d(48, 48, 3, padding=1), a(),
            nn.Conv2d(48, 32, 3, padding=1), a(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(32 * 4 * 4, 128), a(),
            nn.Dropout(dropout), nn.Linear(128, 128), a(),
            nn.Linear(128, classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                std = 2 / fan_in if variance_slip else math.sqrt(2 / fan_in)
                nn.init.normal_(m.weight, 0.0, std)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class LiGRU(nn.Module):
    """Light GRU (Ravanelli et al. 2018): the GRU without its reset gate, a ReLU candidate, and batch normalisation
    of the feed-forward projections (over batch and time); ``z = sigmoid(BN(Wz x) + Uz h)``, ``c = relu(BN(Wh x) + Uh
    h)``, ``h = z * h + (1 - z) * c``; orthogonal recurrent and Glorot feed-forward init; classifies from the last
    state. ``batch_norm=False``: the projections unnormalised; ``gate_relu_slip``: the update gate's line written
    from a copy of the candidate's, keeping its ``torch.relu`` where ``torch.sigmoid`` belongs; ``recurrent_std``: the
    recurrent matrices drawn N(0, recurrent_std^2) instead of orthogonal."""

    def __init__(self, vocab: int = 32, emb: int = 32, hidden: int = 64, classes: int = 4, batch_norm: bool = True,
                 gate_relu_slip: bool = False, recurrent_std: float | None = None) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, emb)
        self.wx = nn.Linear(emb, 2 * hidden, bias=not batch_norm)
        self.bn = nn.BatchNorm1d(2 * hidden, momentum=0.05) if batch_norm else None
        self.uh = nn.Linear(hidden, 2 * hidden, bias=False)
        self.head = nn.Linear(hidden, classes)
        self.hidden, self.gate_relu_slip = hidden, gate_relu_slip
        with torch.no_grad():
            nn.init.xavier_uniform_(self.wx.weight)
            for w in self.uh.weight.split(hidden):
                if recurrent_std is None:
                    nn.init.orthogonal_(w)
                else:
                    nn.init.normal_(w, 0.0, recurrent_std)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.wx(self.embed(tokens))  # (batch, time, 2 hidden)
        if self.bn is not None:
            b, t, d = x.shape
            x = self.bn(x.reshape(b * t, d)).reshape(b, t, d)
        h = x.new_zeros(x.shape[0], self.hidden)
        for t in range(x.shape[1]):
            az, ac = (x[:, t] + self.uh(h)).chunk(2, dim=1)
            z = torch.relu(az) if self.gate_relu_slip else torch.sigmoid(az)
            h = z * h + (1 - z) * torch.relu(ac)
        return self.head(h)


class UGRNN(nn.Module):
    """Update-gate RNN (Collins, Sohl-Dickstein & Sussillo 2017): ``c = tanh(Wc x + Uc h)``, ``g = sigmoid(Wg x + Ug
    h + 1)``, ``h = g * h + (1 - g) * c`` over real-valued frames; Glorot input and orthogonal recurrent init,
    update-gate bias 1; classifies from the mean state. ``recurrent_std``: the recurrent matrices drawn
    N(0, recurrent_std^2) instead of orthogonal."""

    def __init__(self, features: int = 8, hidden: int = 64, classes: int = 4, recurrent_std: float | None = None
                 ) -> None:
        super().__init__()
        self.wx = nn.Linear(features, 2 * hidden)
        self.uh = nn.Linear(hidden, 2 * hidden, bias=False)
        self.head = nn.Linear(hidden, classes)
        self.hidden = hidden
        with torch.no_grad():
            nn.init.xavier_uniform_(self.wx.weight)
            self.wx.bias.zero_()
            self.wx.bias[hidden:] = 1.0
            for w in self.uh.weight.split(hidden):
                if recurrent_std is None:
                    nn.init.orthogonal_(w)
                else:
                    nn.init.normal_(w, 0.0, recurrent_std)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        x = self.wx(frames)
        h = x.new_zeros(x.shape[0], self.hidden)
        states = []
        for t in range(x.shape[1]):
            ac, ag = (x[:, t] + self.uh(h)).chunk(2, dim=1)
            g = torch.sigmoid(ag)
            h = g * h + (1 - g) * torch.tanh(ac)
            states.append(h)
        return self.head(torch.stack(states, 1).mean(1))


class GGNN(nn.Module):
    """Gated graph neural network (Li et al. 2016) for node classification: node features projected to the state,
    then ``steps`` propagation steps, each a message ``A h W`` averaged over a node's neighbours and a shared
    ``GRUCell`` update; a linear readout per node. ``clamp_degree=False``: the mean divides by the raw degree (an
    isolated node's 0 / 0)."""

    def __init__(self, features: int = 16, hidden: int = 32, classes: int = 4, steps: int = 4,
                 clamp_degree: bool = True) -> None:
        super().__init__()
        self.inp = nn.Linear(features, hidden)
        self.msg = nn.Linear(hidden, hidden)
        self.gru = nn.GRUCell(hidden, hidden)
        self.out = nn.Linear(hidden, classes)
        self.steps, self.clamp_degree = steps, clamp_degree

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        deg = adj.sum(-1, keepdim=True)
        if self.clamp_degree:
            deg = deg.clamp(min=1)
        h = torch.tanh(self.inp(x))
        for _ in range(self.steps):
            m = adj @ self.msg(h) / deg
            h = self.gru(m, h)
        return self.out(h)


class ContractiveAE(nn.Module):
    """Contractive auto-encoder (Rifai et al. 2011): a sigmoid encoder, a linear decoder with tied weights;
    :meth:`penalty` is the squared Frobenius norm of the encoder's Jacobian, ``sum_j (h_j (1 - h_j))^2 sum_i
    W_ji^2`` (per sample, averaged)."""

    def __init__(self, d: int = 64, code: int = 128) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.empty(code, d))
        self.b = nn.Parameter(torch.zeros(code))
        self.c = nn.Parameter(torch.zeros(d))
        nn.init.xavier_uniform_(self.w)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.sigmoid(F.linear(x, self.w, self.b))
        return F.linear(h, self.w.t(), self.c), h

    def penalty(self, h: torch.Tensor) -> torch.Tensor:
        return ((h * (1 - h)) ** 2 @ (self.w ** 2).sum(1)).mean()


class UniversalTransformer(nn.Module):
    """Universal Transformer encoder (Dehghani et al. 2019) as a sequence classifier: one pre-LN Transformer layer
    applied ``steps`` times with a position and recurrence-step signal added before each application, a final
    LayerNorm, mean pooling and a linear head. ``double_residual``: the loop written ``h = h + layer(h)`` around a
    ``nn.TransformerEncoderLayer``, which already adds its own residual (the stream doubles every step);
    ``cosine_head``: a cosine-similarity head with a learnable temperature kept in log space, ``logits = cos / exp(
    log_t)``; ``temperature_slip``: the head divides by ``log_t`` itself (the ``exp`` forgotten; ``log_t`` starts
    at 0)."""

    def __init__(self, vocab: int = 32, d: int = 64, heads: int = 4, steps: int = 4, classes: int = 4,
                 length: int = 20, double_residual: bool = False, cosine_head: bool = False,
                 temperature_slip: bool = False, layer_norm: bool = True) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.1, batch_first=True, norm_first=True)
        self.norm = nn.LayerNorm(d)
        if not layer_norm:
            self.layer.norm1, self.layer.norm2, self.norm = nn.Identity(), nn.Identity(), nn.Identity()
        self.head = nn.Linear(d, classes, bias=not cosine_head)
        self.log_t = nn.Parameter(torch.zeros(())) if cosine_head else None
        self.steps, self.d, self.double_residual, self.temperature_slip = steps, d, double_residual, temperature_slip
        self.register_buffer("signal", self._timing(length + steps, d), persistent=False)

    @staticmethod
    def _timing(n: int, d: int) -> torch.Tensor:
        pos = torch.arange(n, dtype=torch.float)[:, None]
        freq = torch.exp(torch.arange(0, d, 2, dtype=torch.float) * (-math.log(10_000.0) / d))
        out = torch.zeros(n, d)
        out[:, 0::2], out[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq)
        return out

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.embed(tokens) * math.sqrt(self.d)
        length = tokens.shape[1]
        for t in range(self.steps):
            h = h + self.signal[:length] + self.signal[t]
            h = h + self.layer(h) if self.double_residual else self.layer(h)
        z = self.norm(h).mean(1)
        if self.log_t is None:
            return self.head(z)
        cos = F.normalize(z, dim=-1) @ F.normalize(self.head.weight, dim=-1).t()
        return cos / (self.log_t if self.temperature_slip else self.log_t.exp())


class WSConv2d(nn.Conv2d):
    """Scaled weight standardisation (Brock et al. 2021): each filter standardised over its fan-in and scaled by a
    learnable gain / sqrt(fan_in), every forward."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gain = nn.Parameter(torch.ones(self.out_channels, 1, 1, 1))
        nn.init.kaiming_normal_(self.weight, nonlinearity="linear")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight
        fan_in = w[0].numel()
        mean = w.mean(dim=(1, 2, 3), keepdim=True)
        var = w.var(dim=(1, 2, 3), keepdim=True, unbiased=False)
        w = (w - mean) * torch.rsqrt(torch.clamp(var * fan_in, min=1e-4)) * self.gain
        return F.conv2d(x, w, self.bias, self.stride, self.padding)


class NFResNet(nn.Module):
    """Normalizer-free ResNet (Brock, De & Smith 2021, with NF-RegNets' SiLU): no normalisation layers; scaled
    weight-standardised convolutions, activations times gamma (1.7881 for SiLU), residual blocks ``x + alpha *
    f(x / beta)`` with ``alpha = 0.2`` and ``beta`` the expected std of the input (its variance grows by ``alpha^2``
    per block), a SkipInit gain (zero) at each branch's end, and a zero-initialised classifier. ``act``:
    ``"sigmoid"``: ``nn.Sigmoid()`` typed where ``nn.SiLU()`` belongs (gamma kept); ``plain=True``: the same
    network as an ordinary pre-activation ResNet without any of it (plain He-initialised convolutions, no alpha, no
    beta, no skip gain, no gamma: the residual stream's variance doubles every block)."""

    def __init__(self, blocks: int = 4, width: int = 32, classes: int = 10, act: str = "silu", plain: bool = False,
                 standardise: bool = True) -> None:
        super().__init__()
        conv = nn.Conv2d if plain or not standardise else WSConv2d
        self.act = {"silu": nn.SiLU(), "sigmoid": nn.Sigmoid()}[act]
        self.gamma = 1.0 if plain else 1.7881
        self.plain, self.alpha = plain, 0.2
        self.stem = conv(3, width, 3, stride=2, padding=1)
        self.convs1 = nn.ModuleList(conv(width, width, 3, padding=1) for _ in range(blocks))
        self.convs2 = nn.ModuleList(conv(width, width, 3, padding=1) for _ in range(blocks))
        self.skip_gains = nn.Parameter(torch.zeros(blocks))
        self.fc = nn.Linear(width, classes)
        if plain:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                    nn.init.zeros_(m.bias)
        else:
            nn.init.zeros_(self.fc.weight)
            nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        var = 1.0
        for i, (c1, c2) in enumerate(zip(self.convs1, self.convs2, strict=True)):
            if self.plain:
                x = x + c2(self.act(c1(self.act(x))))
                continue
            beta = math.sqrt(var)
            out = c1(self.act(x / beta) * self.gamma)
            out = c2(self.act(out) * self.gamma)
            x = x + self.alpha * self.skip_gains[i] * out
            var += self.alpha ** 2
        return self.fc(self.act(x).mean((2, 3)) * self.gamma)
