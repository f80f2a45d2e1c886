"""Hand-written models of the nineteenth held-out batch (``fresh18.py``): small versions of published architectures
new to the corpus, each with the switches its broken variants need (one fault each, off by default)."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

# ---- meta-learning: MAML -------------------------------------------------------------------------------------------


class MAML(nn.Module):
    """MAML (Finn et al. 2017) for sinusoid regression: the paper's 1-40-40-1 ReLU regressor, one inner SGD step of
    ``alpha`` 0.01 on each task's support set, the meta-loss the adapted network's MSE on the task's query set,
    second order (``create_graph=True``)."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = alpha
        self.net = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def meta_loss(self, xs: torch.Tensor, ys: torch.Tensor, xq: torch.Tensor, yq: torch.Tensor) -> torch.Tensor:
        params = dict(self.net.named_parameters())
        losses = []
        for t in range(xs.shape[0]):
            inner = F.mse_loss(functional_call(self.net, params, (xs[t],)), ys[t])
            grads = torch.autograd.grad(inner, list(params.values()), create_graph=True)
            fast = {k: p - self.alpha * g for (k, p), g in zip(params.items(), grads, strict=True)}
            losses.append(F.mse_loss(functional_call(self.net, fast, (xq[t],)), yq[t]))
        return torch.stack(losses).mean()


# ---- spiking network with surrogate gradients ------------------------------------------------------------------------


class FastSigmoidSpike(torch.autograd.Function):
    """Heaviside spike forward, the fast-sigmoid surrogate ``1 / (1 + k |v|)^2`` backward (snnTorch's default, k 25)."""

    @staticmethod
    def forward(ctx: Any, v: torch.Tensor, k: float) -> torch.Tensor:
        ctx.save_for_backward(v)
        ctx.k = k
        return (v > 0).float()

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None]:
        (v,) = ctx.saved_tensors
        return g / (1 + ctx.k * v.abs()) ** 2, None


class SigmoidSpike(torch.autograd.Function):
    """Heaviside spike forward, the sigmoid surrogate ``k s (1 - s)``, ``s = sigmoid(k v)`` backward; ``manual``: its
    derivative written out as ``k exp(-k v) / (1 + exp(-k v))^2`` (``exp`` overflows to inf at ``k v < -88``: inf/inf
    is NaN)."""

    @staticmethod
    def forward(ctx: Any, v: torch.Tensor, k: float, manual: bool) -> torch.Tensor:
        ctx.save_for_backward(v)
        ctx.k, ctx.manual = k, manual
        return (v > 0).float()

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (v,) = ctx.saved_tensors
        k = ctx.k
        if ctx.manual:
            e = torch.exp(-k * v)
            return g * k * e / (1 + e) ** 2, None, None
        s = torch.sigmoid(k * v)
        return g * k * s * (1 - s), None, None


class SNN(nn.Module):
    """A two-layer spiking network (Neftci et al. 2019; snnTorch's tutorial net): the input current (the vector,
    constant over ``steps`` 16 time steps) into 128 leaky integrate-and-fire neurons (decay ``beta`` 0.9, threshold
    1, reset by subtraction), spikes through the surrogate gradient, a non-spiking leaky readout whose mean membrane
    over time gives the logits. ``surrogate``: ``"fast"`` (fast sigmoid), ``"sigmoid"`` or ``"sigmoid_manual"``
    (see :class:`SigmoidSpike`); ``threshold``: the firing threshold; ``tau``: with ``decay_slip`` the decay written
    ``exp(dt / tau)`` (above 1: the membrane grows) instead of ``exp(-dt / tau)``."""

    def __init__(self, d: int = 32, hidden: int = 128, classes: int = 10, steps: int = 16, beta: float = 0.9,
                 surrogate: str = "fast", threshold: float = 1.0, decay_slip: bool = False) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, classes)
        self.steps, self.surrogate, self.threshold = steps, surrogate, threshold
        tau = -1.0 / math.log(beta)  # beta = exp(-dt / tau), dt = 1
        self.beta = math.exp(1.0 / tau) if decay_slip else math.exp(-1.0 / tau)

    def spike(self, v: torch.Tensor) -> torch.Tensor:
        if self.surrogate == "fast":
            return FastSigmoidSpike.apply(v, 25.0)
        return SigmoidSpike.apply(v, 5.0, self.surrogate == "sigmoid_manual")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cur = self.fc1(x)
        v1 = torch.zeros_like(cur)
        v2 = x.new_zeros(x.shape[0], self.fc2.out_features)
        out = []
        for _ in range(self.steps):
            v1 = self.beta * v1 + cur
            s = self.spike(v1 - self.threshold)
            v1 = v1 - s * self.threshold
            v2 = self.beta * v2 + self.fc2(s)
            out.append(v2)
        return torch.stack(out).mean(0)


# ---- binarised network (BinaryNet) -----------------------------------------------------------------------------------


class SignSTE(torch.autograd.Function):
    """``sign`` forward (+1 at 0), the straight-through estimator cancelled where ``|x| > 1`` (BinaryNet's htanh)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.where(x >= 0, 1.0, -1.0)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).float()


class BinaryLinear(nn.Linear):
    """A linear layer whose weights are binarised (``sign`` with the straight-through estimator) in the forward; the
    real-valued latent weights are what the optimizer updates (clipped to [-1, 1] by :class:`ClipAdam`)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, SignSTE.apply(self.weight), self.bias)


class BinaryNet(nn.Module):
    """BinaryNet (Courbariaux et al. 2016) as an MLP: binary weights and activations in 32-256-256-10, a BatchNorm
    after every binary linear layer (the last one too), the first layer's input real-valued; ``bn=False``: without
    its BatchNorms; ``out_bn=False``: without the last one (the logits of 256 products of +-1 then have no scale
    to learn); ``plain_sign``: the activations binarised by ``torch.sign`` itself (its gradient is zero everywhere)
    instead of the straight-through :class:`SignSTE`."""

    def __init__(self, d: int = 32, hidden: int = 256, classes: int = 10, bn: bool = True, out_bn: bool = True,
                 plain_sign: bool = False) -> None:
        super().__init__()
        self.act = torch.sign if plain_sign else SignSTE.apply
        norm = (lambda c: nn.BatchNorm1d(c)) if bn else (lambda c: nn.Identity())
        self.l1, self.n1 = BinaryLinear(d, hidden, bias=False), norm(hidden)
        self.l2, self.n2 = BinaryLinear(hidden, hidden, bias=False), norm(hidden)
        self.l3, self.n3 = BinaryLinear(hidden, classes, bias=False), norm(classes) if out_bn else nn.Identity()
        for m in (self.l1, self.l2, self.l3):
            nn.init.uniform_(m.weight, -1.0, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.n1(self.l1(x)))
        h = self.act(self.n2(self.l2(h)))
        return self.n3(self.l3(h))


class ClipAdam(torch.optim.Adam):
    """Adam whose ``step`` then clips BinaryNet's latent binary weights to [-1, 1] (the paper's update)."""

    def __init__(self, model: nn.Module, **kw: float) -> None:
        super().__init__(model.parameters(), **kw)
        self.binary = [m.weight for m in model.modules() if isinstance(m, BinaryLinear)]

    def step(self, closure=None):  # type: ignore[no-untyped-def, override]
        out = super().step(closure)
        with torch.no_grad():
            for w in self.binary:
                w.clamp_(-1.0, 1.0)
        return out


# ---- knowledge distillation ------------------------------------------------------------------------------------------


class Distiller(nn.Module):
    """Hinton et al.'s distillation: a small student MLP (32-64-64-10, ReLU) and a frozen teacher (here the data's
    own linear labeller, its logits scaled to a confident but soft prediction); the forward is the student's."""

    def __init__(self, teacher: torch.Tensor, d: int = 32, classes: int = 10) -> None:
        super().__init__()
        self.student = nn.Sequential(nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, classes))
        self.register_buffer("teacher", teacher, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.student(x)

    def teacher_logits(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.teacher


# ---- ConvLSTM --------------------------------------------------------------------------------------------------------


class ConvLSTMCell(nn.Module):
    """Shi et al.'s ConvLSTM cell: the four gates from one convolution of ``[x, h]`` (no peepholes, as most
    reference code)."""

    def __init__(self, cin: int, hidden: int, k: int = 3, swap: bool = False) -> None:
        super().__init__()
        self.hidden, self.swap = hidden, swap
        self.conv = nn.Conv2d(cin + hidden, 4 * hidden, k, padding=k // 2)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        h, c = state
        i, f, o, g = self.conv(torch.cat([x, h], 1)).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return (c, h) if self.swap else (h, c)


class ConvLSTMNet(nn.Module):
    """Next-frame prediction with two stacked ConvLSTM layers (16 channels, 3x3) and a 1x1 output convolution giving
    per-pixel logits for every next frame."""

    def __init__(self, hidden: int = 16, swap: bool = False) -> None:
        super().__init__()
        self.cells = nn.ModuleList([ConvLSTMCell(1, hidden, swap=swap), ConvLSTMCell(hidden, hidden, swap=swap)])
        self.out = nn.Conv2d(hidden, 1, 1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        b, t, _, hgt, wid = frames.shape
        states = [(frames.new_zeros(b, c.hidden, hgt, wid),) * 2 for c in self.cells]
        outs = []
        for s in range(t):
            x = frames[:, s]
            for j, cell in enumerate(self.cells):
                states[j] = cell(x, states[j])
                x = states[j][0]
            outs.append(self.out(x))
        return torch.stack(outs, 1)


# ---- pointer network -------------------------------------------------------------------------------------------------


class PointerNet(nn.Module):
    """Vinyals et al.'s pointer network for sorting: an LSTM encoder over the scalar inputs, an LSTM decoder fed the
    previously pointed input (teacher forcing; a learned start vector first), additive attention ``v^T tanh(W1 e_j +
    W2 d_i)`` over the inputs as the output distribution, already pointed inputs masked out; uniform init in
    [-0.08, 0.08] (the paper's)."""

    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.embed = nn.Linear(1, hidden)
        self.enc = nn.LSTM(hidden, hidden, batch_first=True)
        self.dec = nn.LSTM(hidden, hidden, batch_first=True)
        self.start = nn.Parameter(torch.zeros(hidden))
        self.w1, self.w2 = nn.Linear(hidden, hidden, bias=False), nn.Linear(hidden, hidden, bias=False)
        self.v = nn.Linear(hidden, 1, bias=False)
        for p in self.parameters():
            nn.init.uniform_(p, -0.08, 0.08)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, order = inputs  # (B, n) values, (B, n) the target order (teacher forcing)
        b, n = x.shape
        e = self.embed(x[..., None])
        enc, state = self.enc(e)
        prev = torch.gather(e, 1, order[:, :-1, None].expand(-1, -1, e.shape[-1]))
        dec_in = torch.cat([self.start.expand(b, 1, -1), prev], 1)
        dec, _ = self.dec(dec_in, state)
        scores = self.v(torch.tanh(self.w1(enc)[:, None] + self.w2(dec)[:, :, None])).squeeze(-1)  # (B, n_out, n_in)
        pointed = F.one_hot(order, n).cumsum(1) - F.one_hot(order, n)  # inputs pointed before each step
        return scores.masked_fill(pointed.bool(), -1e9)


# ---- end-to-end memory network ---------------------------------------------------------------------------------------


class MemN2N(nn.Module):
    """Sukhbaatar et al.'s end-to-end memory network: three hops, adjacent weight tying (``A^{k+1} = C^k``, ``B =
    A^1``, the answer matrix ``W^T = C^K``), position encoding of the words and learned temporal encoding of the
    sentences, embeddings of 20 drawn N(0, 0.1) (the paper's); ``mean_slot``: every embedding initialised by
    ``nn.init.normal_(w, 0.1)`` (0.1 lands in the mean slot: mean 0.1, std 1)."""

    def __init__(self, vocab: int = 12, dim: int = 20, hops: int = 3, memory: int = 8, words: int = 3,
                 mean_slot: bool = False) -> None:
        super().__init__()
        self.hops = hops
        self.emb = nn.ParameterList(nn.Parameter(torch.empty(vocab, dim)) for _ in range(hops + 1))
        self.temporal = nn.ParameterList(nn.Parameter(torch.empty(memory, dim)) for _ in range(hops + 1))
        for p in [*self.emb, *self.temporal]:
            if mean_slot:
                nn.init.normal_(p, 0.1)
            else:
                nn.init.normal_(p, 0.0, 0.1)
        j, k = torch.arange(1, words + 1)[:, None].float(), torch.arange(1, dim + 1)[None].float()
        self.register_buffer("pe", (1 - j / words) - (k / dim) * (1 - 2 * j / words), persistent=False)

    def encode(self, tokens: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        return (F.embedding(tokens, table) * self.pe).sum(-2)

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        story, query = inputs  # (B, memory, words), (B, words)
        u = self.encode(query, self.emb[0])
        for k in range(self.hops):
            m = self.encode(story, self.emb[k]) + self.temporal[k]
            c = self.encode(story, self.emb[k + 1]) + self.temporal[k + 1]
            p = torch.softmax(torch.einsum("bmd,bd->bm", m, u), -1)
            u = u + torch.einsum("bm,bmd->bd", p, c)
        return u @ self.emb[self.hops].t()


# ---- GRU4Rec ---------------------------------------------------------------------------------------------------------


class GRU4Rec(nn.Module):
    """GRU4Rec (Hidasi et al. 2016) with item embeddings: one GRU layer of 100 over the session, dropout 0.25 on its
    output, scores over all items (cross-entropy, the later GRU4Rec's loss); ``recurrent_std``: the GRU's recurrent
    weights drawn N(0, std^2)."""

    def __init__(self, items: int = 50, dim: int = 64, hidden: int = 100, recurrent_std: float | None = None
                 ) -> None:
        super().__init__()
        self.emb = nn.Embedding(items + 1, dim, padding_idx=0)
        self.gru = nn.GRU(dim, hidden, batch_first=True)
        self.drop = nn.Dropout(0.25)
        self.out = nn.Linear(hidden, items + 1)
        if recurrent_std is not None:
            with torch.no_grad():
                self.gru.weight_hh_l0.normal_(0.0, recurrent_std)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.emb(seq))
        return self.out(self.drop(h))


# ---- deep equilibrium model ------------------------------------------------------------------------------------------


class DEQ(nn.Module):
    """A deep equilibrium classifier (Bai et al. 2019; the implicit-layers tutorial's ``TanhFixedPointLayer`` with
    the implicit backward): ``z* = tanh(W z* + U x)`` found by 30 fixed-point iterations without grad, one more
    differentiable application, and a hook that solves the backward fixed point ``g = J^T g + grad`` by 30
    iterations; a linear head on ``z*``. ``radius``: ``W`` rescaled to that spectral radius; ``identity``: ``W``
    initialised by ``nn.init.eye_`` (as an IRNN's recurrent matrix)."""

    def __init__(self, d: int = 32, width: int = 64, classes: int = 10, iters: int = 30, radius: float | None = None,
                 identity: bool = False) -> None:
        super().__init__()
        self.iters = iters
        self.inject = nn.Linear(d, width)
        self.w = nn.Linear(width, width, bias=False)
        self.head = nn.Linear(width, classes)
        with torch.no_grad():
            if identity:
                nn.init.eye_(self.w.weight)
            elif radius is not None:
                w = torch.randn(width, width) / math.sqrt(width)
                self.w.weight.copy_(w * radius / torch.linalg.eigvals(w).abs().max())

    def f(self, z: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.w(z) + u)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.inject(x)
        with torch.no_grad():
            z = torch.zeros_like(u)
            for _ in range(self.iters):
                z = self.f(z, u)
        z = self.f(z, u)
        if z.requires_grad:
            z0 = z.clone().detach().requires_grad_()
            f0 = self.f(z0, u)

            def backward_hook(grad: torch.Tensor) -> torch.Tensor:
                g = grad
                for _ in range(self.iters):
                    g = torch.autograd.grad(f0, z0, g, retain_graph=True)[0] + grad
                return g
            z.register_hook(backward_hook)
        return self.head(z)


# ---- super-resolution: ESPCN -----------------------------------------------------------------------------------------


class ESPCN(nn.Module):
    """ESPCN (Shi et al. 2016) at upscale 2: conv 5x5 to 64, conv 3x3 to 32 (tanh, the paper's), conv 3x3 to
    ``r^2`` channels and the periodic shuffle (``nn.PixelShuffle``)."""

    def __init__(self, r: int = 2) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 64, 5, padding=2), nn.Tanh(), nn.Conv2d(64, 32, 3, padding=1),
                                  nn.Tanh(), nn.Conv2d(32, r * r, 3, padding=1), nn.PixelShuffle(r))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


# ---- ResMLP ----------------------------------------------------------------------------------------------------------


class Affine(nn.Module):
    """ResMLP's ``Aff``: a per-channel ``alpha * x + beta`` in place of a normalisation layer."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.alpha, self.beta = nn.Parameter(torch.ones(dim)), nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.alpha * x + self.beta


class ResMLPBlock(nn.Module):
    """A ResMLP block: ``x + ls1 * cross_patch(Aff(x))`` (a linear over the patches), then ``x + ls2 * MLP(Aff(x))``
    (GELU, x4); LayerScale initialised 0.1 (the paper's at depth 12); ``residual=False``: both sums and LayerScales
    left out (a plain stack)."""

    def __init__(self, dim: int, patches: int, residual: bool = True) -> None:
        super().__init__()
        self.residual = residual
        self.aff1, self.aff2 = Affine(dim), Affine(dim)
        self.cross = nn.Linear(patches, patches)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.ls1, self.ls2 = nn.Parameter(0.1 * torch.ones(dim)), nn.Parameter(0.1 * torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.cross(self.aff1(x).transpose(1, 2)).transpose(1, 2)
        x = x + self.ls1 * a if self.residual else a
        m = self.mlp(self.aff2(x))
        return x + self.ls2 * m if self.residual else m


class ResMLP(nn.Module):
    """ResMLP (Touvron et al. 2021) on 16x16 images: 4x4 patches embedded to 64, ``depth`` blocks, a final Affine,
    mean over patches, a linear head."""

    def __init__(self, depth: int = 4, dim: int = 64, classes: int = 10, residual: bool = True) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, dim, 4, 4)
        self.blocks = nn.Sequential(*[ResMLPBlock(dim, 16, residual) for _ in range(depth)])
        self.norm, self.head = Affine(dim), nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x).flatten(2).transpose(1, 2)
        return self.head(self.norm(self.blocks(x)).mean(1))


# ---- Gumbel-softmax VAE ----------------------------------------------------------------------------------------------


class GumbelVAE(nn.Module):
    """Jang et al.'s categorical VAE: an MLP encoder (64-256-128) to 8 latent variables of 10 categories, relaxed
    samples by the Gumbel-softmax at temperature ``tau``, an MLP decoder (80-128-256-64) to Bernoulli logits; the
    loss the negative ELBO: the summed binary cross-entropy plus the KL to the uniform prior."""

    def __init__(self, pixels: int = 64, latents: int = 8, cats: int = 10, tau: float = 1.0) -> None:
        super().__init__()
        self.latents, self.cats, self.tau = latents, cats, tau
        self.enc = nn.Sequential(nn.Linear(pixels, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                 nn.Linear(128, latents * cats))
        self.dec = nn.Sequential(nn.Linear(latents * cats, 128), nn.ReLU(), nn.Linear(128, 256), nn.ReLU(),
                                 nn.Linear(256, pixels))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.enc(x).view(-1, self.latents, self.cats)
        z = F.gumbel_softmax(logits, tau=self.tau, dim=-1)
        return self.dec(z.flatten(1)), logits

    def terms(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction, KL), each summed per example and averaged over the batch."""
        recon_logits, logits = self(x)
        recon = F.binary_cross_entropy_with_logits(recon_logits, x, reduction="sum") / x.shape[0]
        logq = F.log_softmax(logits, -1)
        kl = (logq.exp() * (logq + math.log(self.cats))).sum() / x.shape[0]
        return recon, kl


# ---- two-tower retrieval ---------------------------------------------------------------------------------------------


class Tower(nn.Module):
    """A bag-of-tokens tower: the mean token embedding (padding id 0; an empty bag gives zeros), then a bias-free
    64-64-32 ReLU MLP."""

    def __init__(self, vocab: int, dim: int = 64, out: int = 32) -> None:
        super().__init__()
        self.emb = nn.EmbeddingBag(vocab, dim, mode="mean", padding_idx=0)
        self.mlp = nn.Sequential(nn.Linear(dim, dim, bias=False), nn.ReLU(), nn.Linear(dim, out, bias=False))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.emb(tokens))


class TwoTower(nn.Module):
    """A two-tower retrieval model (Yi et al. 2019): query and item towers, L2-normalised embeddings, in-batch
    softmax over cosine similarities at temperature 0.05; ``norm``: ``"normalize"`` (``F.normalize``, its eps),
    ``"divide"`` (``q / q.norm()``: an empty query's zero vector gives 0/0) or ``"none"`` (the raw dot products over
    the temperature)."""

    def __init__(self, qvocab: int = 200, ivocab: int = 200, temperature: float = 0.05, norm: str = "normalize"
                 ) -> None:
        super().__init__()
        self.query, self.item = Tower(qvocab), Tower(ivocab)
        self.temperature, self.norm = temperature, norm

    def _unit(self, e: torch.Tensor) -> torch.Tensor:
        if self.norm == "normalize":
            return F.normalize(e, dim=-1)
        if self.norm == "divide":
            return e / e.norm(dim=-1, keepdim=True)
        return e

    def forward(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        q, i = inputs
        return self._unit(self.query(q)) @ self._unit(self.item(i)).t() / self.temperature
