"""Hand-written models of the forty-first held-out batch (``fresh40.py``), operator-learning, generative,
meta-learning and tabular ones: small versions of published architectures new to the corpus, each with the switches
its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- GKN (graph kernel network) --------------------------------------------------------------------------------------


def _dense(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class GKN(nn.Module):
    """The graph kernel network (Li et al. 2020, "Neural operator: graph kernel network for partial differential
    equations"), the reference code's ``KernelNN`` narrowed: the nodes' ``(a(x), x)`` lifted to ``width`` 16, one
    kernel convolution applied ``depth`` 4 times with ReLU, ``v_i <- relu(W v_i + b + mean_{j in B(i, r)} kappa(x_i,
    x_j, a_i, a_j) v_j)`` over the grid points within radius ``r`` 0.25, the kernel ``kappa`` a ReLU ``DenseNet`` 4 -
    32 - 64 - width^2 (the reference's, narrowed), then ``Linear(width, 1)``; PyTorch's default init."""

    def __init__(self, n: int = 16, width: int = 8, ker_width: int = 32, depth: int = 4, radius: float = 0.25
                 ) -> None:
        super().__init__()
        grid = torch.linspace(0, 1, n)
        self.register_buffer("grid", grid)
        self.register_buffer("adj", ((grid[:, None] - grid[None]).abs() <= radius + 1e-6).float())
        self.width, self.depth = width, depth
        self.fc1, self.fc2 = nn.Linear(2, width), nn.Linear(width, 1)
        self.kernel = _dense([4, ker_width // 2, ker_width, width * width])
        self.root = nn.Linear(width, width)

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        b, n = a.shape
        g = self.grid.expand(b, n)
        v = self.fc1(torch.stack([a, g], -1))
        edge = torch.stack([g[:, :, None].expand(b, n, n), g[:, None, :].expand(b, n, n),
                            a[:, :, None].expand(b, n, n), a[:, None, :].expand(b, n, n)], -1)
        k = self.kernel(edge).view(b, n, n, self.width, self.width) * self.adj[None, :, :, None, None]
        deg = self.adj.sum(1)[None, :, None]
        for _ in range(self.depth):
            v = F.relu(self.root(v) + torch.einsum("bijkl,bjl->bik", k, v) / deg)
        return self.fc2(v).squeeze(-1)


# ---- IAF VAE ---------------------------------------------------------------------------------------------------------


class _MaskedLinear(nn.Linear):
    def __init__(self, d_in: int, d_out: int, mask: torch.Tensor) -> None:
        super().__init__(d_in, d_out)
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class _IAFStep(nn.Module):
    """One IAF step: a MADE over ``z`` (one hidden layer of ``hidden`` ELU units, the context ``h`` added to it) giving
    ``m`` and ``s`` for every dimension from the dimensions before it; ``s``'s bias at +2 (the paper's "forget gate"
    start, ``sigmoid(s)`` near 1)."""

    def __init__(self, d: int, hidden: int, context: int) -> None:
        super().__init__()
        deg_in = torch.arange(1, d + 1)
        deg_h = torch.arange(hidden) % (d - 1) + 1
        self.l1 = _MaskedLinear(d, hidden, (deg_h[:, None] >= deg_in[None]).float())
        self.ctx = nn.Linear(context, hidden)
        out_mask = (deg_in[:, None] > deg_h[None]).float()
        self.m = _MaskedLinear(hidden, d, out_mask)
        self.s = _MaskedLinear(hidden, d, out_mask)
        with torch.no_grad():
            self.s.bias.fill_(2.0)

    def forward(self, z: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        u = F.elu(self.l1(z) + self.ctx(h))
        return self.m(u), self.s(u)


class IAFVAE(nn.Module):
    """A VAE with inverse autoregressive flow (Kingma et al. 2016, "Improved variational inference with inverse
    autoregressive flow"), narrowed: an ELU MLP encoder 64 - 128 - 128 giving ``mu``, ``log sigma`` of 8 latents and a
    context ``h`` of 16; two IAF steps ``z <- sigma_t z + (1 - sigma_t) m_t``, ``sigma_t = sigmoid(s_t)`` (the paper's
    numerically stable form), the order of ``z`` reversed between them; an ELU MLP decoder 8 - 128 - 128 - 64 of
    Bernoulli logits; PyTorch's default init. ``forward`` returns each image's negative ELBO in nats (one sample):
    ``-log p(x | z) + log q(z | x) - log p(z)``. ``depth``: hidden ELU layers of 128 in the encoder and the decoder
    (2 here); ``init_std``: the encoder's and decoder's Linear weights drawn N(0, init_std^2)."""

    def __init__(self, pixels: int = 64, d: int = 8, hidden: int = 128, context: int = 16, steps: int = 2,
                 depth: int = 2, init_std: float | None = None) -> None:
        super().__init__()
        self.d, self.context = d, context
        enc: list[nn.Module] = []
        dec: list[nn.Module] = []
        for i in range(depth):
            enc += [nn.Linear(pixels if i == 0 else hidden, hidden), nn.ELU()]
            dec += [nn.Linear(d if i == 0 else hidden, hidden), nn.ELU()]
        self.enc = nn.Sequential(*enc, nn.Linear(hidden, 2 * d + context))
        self.dec = nn.Sequential(*dec, nn.Linear(hidden, pixels))
        self.steps = nn.ModuleList([_IAFStep(d, 64, context) for _ in range(steps)])
        if init_std is not None:
            with torch.no_grad():
                for m in [*self.enc, *self.dec]:
                    if isinstance(m, nn.Linear):
                        m.weight.normal_(0.0, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, log_sigma, h = self.enc(x).split([self.d, self.d, self.context], -1)
        eps = torch.randn_like(mu)
        z = mu + log_sigma.exp() * eps
        log_q = (-0.5 * eps ** 2 - log_sigma - 0.5 * math.log(2 * math.pi)).sum(-1)
        for step in self.steps:
            m, s = step(z, h)
            sigma = torch.sigmoid(s)
            z = (sigma * z + (1 - sigma) * m).flip(-1)
            log_q = log_q - F.logsigmoid(s).sum(-1)
        log_p = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        rec = F.binary_cross_entropy_with_logits(self.dec(z), x, reduction="none").sum(-1)
        return rec + log_q - log_p


# ---- ANP -------------------------------------------------------------------------------------------------------------

def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class _MHA(nn.Module):
    """Multi-head dot-product attention (the ANP's): queries, keys and values projected per head without bias, the
    heads concatenated and projected."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.q, self.k, self.v = (nn.Linear(d, d, bias=False) for _ in range(3))
        self.o, self.heads = nn.Linear(d, d), heads

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        b, h = q.shape[0], self.heads
        q, k, v = (t.view(b, t.shape[1], h, -1).transpose(1, 2) for t in (self.q(q), self.k(k), self.v(v)))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), -1)
        return self.o((att @ v).transpose(1, 2).reshape(b, -1, h * q.shape[-1]))


class ANP(nn.Module):
    """The attentive neural process (Kim et al. 2019, "Attentive neural processes"), narrowed to ``d`` 64: the
    deterministic path (an MLP of ``(x, y)`` 2 - 64 - 64 - 64, self-attention with 4 heads, then multi-head
    cross-attention whose queries and keys are an MLP of ``x``), the latent path (an MLP of ``(x, y)``,
    self-attention, the mean, a ReLU Linear, then ``mu_z`` and ``sigma_z = 0.1 + 0.9 sigmoid(.)``), the decoder MLP of
    ``(r*, z, x)`` to ``mu`` and ``sigma = 0.1 + 0.9 softplus(.)`` (the reference code's bounds); PyTorch's default
    init. ``forward((x_c, y_c, x_t, y_t))`` returns ``(mu, sigma, KL)`` with ``z`` drawn from the posterior given the
    targets (training)."""

    def __init__(self, d: int = 64, heads: int = 4) -> None:
        super().__init__()
        self.det_enc, self.lat_enc = _mlp([2, d, d, d]), _mlp([2, d, d, d])
        self.det_self, self.lat_self, self.cross = _MHA(d, heads), _MHA(d, heads), _MHA(d, heads)
        self.qk = _mlp([1, d, d])
        self.lat_hidden, self.lat_out = nn.Linear(d, d), nn.Linear(d, 2 * d)
        self.dec = _mlp([2 * d + 1, d, d, 2])

    def _latent(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.lat_enc(torch.cat([x, y], -1))
        s = F.relu(self.lat_hidden(self.lat_self(s, s, s).mean(1)))
        mu, raw = self.lat_out(s).chunk(2, -1)
        return mu, 0.1 + 0.9 * torch.sigmoid(raw)

    def forward(self, inp: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x_c, y_c, x_t, y_t = inp
        r = self.det_enc(torch.cat([x_c, y_c], -1))
        r = self.det_self(r, r, r)
        r = self.cross(self.qk(x_t), self.qk(x_c), r)
        prior = torch.distributions.Normal(*self._latent(x_c, y_c))
        post = torch.distributions.Normal(*self._latent(x_t, y_t))
        z = post.rsample()
        kl = torch.distributions.kl_divergence(post, prior).sum(-1)
        out = self.dec(torch.cat([r, z[:, None].expand(-1, x_t.shape[1], -1), x_t], -1))
        mu, raw = out.chunk(2, -1)
        return mu, 0.1 + 0.9 * F.softplus(raw), kl


def anp_loss(out: tuple[torch.Tensor, ...], y_t: torch.Tensor) -> torch.Tensor:
    """The ANP's objective: the targets' mean negative log-likelihood plus the KL divided by the number of targets
    (the reference code's)."""
    mu, sigma, kl = out
    nll = -torch.distributions.Normal(mu, sigma).log_prob(y_t).mean()
    return nll + kl.mean() / y_t.shape[1]


# ---- GANDALF ---------------------------------------------------------------------------------------------------------


def t_softmax(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """pytorch_tabular's t-softmax: ``softmax(x - max + log(relu(x - max + t) + 1e-8))``, a softmax whose entries
    more than ``t`` below the largest are (nearly) zeroed."""
    x = x - x.max(-1, keepdim=True).values
    return torch.softmax(x + torch.log(F.relu(x + t) + 1e-8), -1)


class GANDALF(nn.Module):
    """GANDALF (Joseph and Raj 2022, "GANDALF: gated adaptive network for deep automated learning of features"), as
    pytorch_tabular builds it: BatchNorm on the continuous inputs, ``stages`` 6 gated feature learning units (each a
    learnable feature mask through the t-softmax with the learnable sparsity ``t = sigmoid(logit(0.3))``, then a
    GRU-like update ``z, r = sigmoid(W_in [mask * x, h])``, ``h <- (1 - z) h + z tanh(W_out [r h, x])``), the masks
    drawn from Beta distributions with parameters uniform in [0.5, 10] (torch's generator in place of Python's
    ``random``), and a Linear head; PyTorch's default init otherwise. ``bn``: the input BatchNorm left out (the raw
    columns go straight into the units); ``logsigmoid_gates``: the gates ``z, r`` computed with ``F.logsigmoid``
    where ``torch.sigmoid`` belongs (the neighbouring name: every gate is negative, so ``1 - z > 1`` scales the state
    up at every unit)."""

    def __init__(self, features: int = 12, classes: int = 4, stages: int = 6, sparsity: float = 0.3, bn: bool = True,
                 logsigmoid_gates: bool = False) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(features) if bn else nn.Identity()
        self.w_in = nn.ModuleList([nn.Linear(2 * features, 2 * features) for _ in range(stages)])
        self.w_out = nn.ModuleList([nn.Linear(2 * features, features) for _ in range(stages)])
        ab = 0.5 + 9.5 * torch.rand(stages, 2)
        self.masks = nn.Parameter(torch.stack([torch.distributions.Beta(a, b).sample((features,)) for a, b in ab]))
        self.t = nn.Parameter(torch.logit(torch.tensor(sparsity)))
        self.head = nn.Linear(features, classes)
        self.features = features
        self.gate = F.logsigmoid if logsigmoid_gates else torch.sigmoid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(x)
        h = x
        for d, (w_in, w_out) in enumerate(zip(self.w_in, self.w_out)):
            feat = t_softmax(self.masks[d], torch.sigmoid(self.t)) * x
            zr = self.gate(w_in(torch.cat([feat, h], -1)))
            z, r = zr[:, : self.features], zr[:, self.features:]
            h = (1 - z) * h + z * torch.tanh(w_out(torch.cat([r * h, x], -1)))
        return self.head(h)
