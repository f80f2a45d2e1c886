"""Hand-written models of the sixty-fifth held-out batch (``fresh64.py``), a recurrent recommender, an operator
learner, a materials-property network and a generative model: small versions of published architectures new to the
corpus, each with the switches its broken variants need (one fault each, off by default). The vision, tabular and
convolutional recommender models are in ``fresh64_models.py``."""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

# ---- DREAM -----------------------------------------------------------------------------------------------------------


class DREAM(nn.Module):
    """DREAM (Yu et al. 2016), the dynamic recurrent basket model: each basket max-pooled over its items' embeddings
    (32), a recurrent layer with the paper's sigmoid ``h_t = sigmoid(U b_t + W h_{t-1} + c)``, and the next item
    scored by ``h_T`` against every item embedding (the input table, as the paper). Embeddings N(0, 0.1^2); ``U``,
    ``W`` and ``c`` at PyTorch's RNN default, U(+-1 / sqrt(32)). ``radius``: ``W`` drawn orthogonal times
    ``radius``."""

    def __init__(self, items: int = 64, d: int = 32, radius: float | None = None, emb_std: float = 0.1) -> None:
        super().__init__()
        self.emb = nn.Embedding(items, d)
        nn.init.normal_(self.emb.weight, 0.0, emb_std)
        self.cell = nn.RNNCell(d, d)
        if radius is not None:
            with torch.no_grad():
                nn.init.orthogonal_(self.cell.weight_hh)
                self.cell.weight_hh.mul_(radius)

    def forward(self, baskets: torch.Tensor) -> torch.Tensor:
        """``baskets (b, T, n)`` item ids -> next-item logits ``(b, items)``."""
        e = self.emb(baskets).amax(2)
        c = self.cell
        h = torch.zeros(e.shape[0], e.shape[2])
        for t in range(e.shape[1]):
            h = torch.sigmoid(F.linear(e[:, t], c.weight_ih, c.bias_ih) + F.linear(h, c.weight_hh, c.bias_hh))
        return h @ self.emb.weight.T


# ---- MIONet ----------------------------------------------------------------------------------------------------------


class _FNN(nn.Module):
    """A DeepXDE-style fully connected net, ``x @ W + b`` with ``W`` stored ``(in, out)`` and created as zero
    placeholders that :meth:`reset_parameters` fills: Glorot normal ``N(0, 2 / (in + out))`` weights and zero
    biases (DeepXDE's defaults); ReLU between the layers (and after the last with ``last_act``)."""

    def __init__(self, sizes: list[int], last_act: bool, init: str | float = "glorot",
                 relu_bias: float | None = None) -> None:
        super().__init__()
        self.last_act = last_act
        self.weights = nn.ParameterList([nn.Parameter(torch.zeros(i, o)) for i, o in itertools.pairwise(sizes)])
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(o)) for o in sizes[1:]])
        self.reset_parameters(init)
        if relu_bias is not None:
            with torch.no_grad():
                for b in self.biases[:-1]:
                    b.fill_(relu_bias)

    @torch.no_grad()
    def reset_parameters(self, init: str | float) -> None:
        """``init``: ``"glorot"`` (the default), ``"rebind"`` (the user's loop writes ``w = torch.randn_like(w) *
        std`` where ``w.copy_(...)`` belongs: the name is rebound to a new tensor and every parameter keeps its zero
        placeholder), or a float (every weight N(0, init^2))."""
        for w in self.weights:
            std = math.sqrt(2.0 / sum(w.shape))
            if init == "glorot":
                w.copy_(torch.randn_like(w) * std)
            elif init == "rebind":
                w = torch.randn_like(w) * std  # the slip: a rebinding, not a write
            else:
                w.normal_(0.0, float(init))
        for b in self.biases:
            b.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = len(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = x @ w + b
            if i < n - 1 or self.last_act:
                x = F.relu(x)
        return x


class MIONet(nn.Module):
    """MIONet (Jin, Meng and Lu 2022), the multiple-input operator network: one branch net per input function (its
    32 sensor values -> 64 -> 64 -> 64) and a trunk net (the point x -> 64 -> 64 -> 64, ReLU after its last layer
    too, as DeepXDE's trunk), the output ``sum_k b1_k b2_k t_k + b0`` at every sensor point. ``init``,
    ``relu_bias``: see :class:`_FNN` (applied to all three nets)."""

    def __init__(self, m: int = 32, width: int = 64, init: str | float = "glorot", relu_bias: float | None = None,
                 start_alike: str | None = None) -> None:
        super().__init__()
        self.register_buffer("grid", torch.linspace(0, 1, m)[:, None])
        self.branch1 = _FNN([m, width, width, width], False, init, relu_bias)
        self.branch2 = _FNN([m, width, width, width], False, init, relu_bias)
        if start_alike == "copy":
            self.branch2.load_state_dict(self.branch1.state_dict())
        elif start_alike == "tie":
            self.branch2.weights, self.branch2.biases = self.branch1.weights, self.branch1.biases
        self.trunk = _FNN([1, width, width, width], True, init, relu_bias)
        self.b0 = nn.Parameter(torch.zeros(()))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """``v (b, 2, m)``: the two input functions at the sensors -> the output function there ``(b, m)``."""
        b1, b2, t = self.branch1(v[:, 0]), self.branch2(v[:, 1]), self.trunk(self.grid)
        return torch.einsum("bk,bk,pk->bp", b1, b2, t) + self.b0


# ---- ElemNet --------------------------------------------------------------------------------------------------------


class ElemNet(nn.Module):
    """ElemNet (Jha et al. 2018), narrowed: a composition's element fractions (32 elements) through a deep ReLU MLP
    in the paper's funnel form, here 128-128-64-64-32-32-16 (the paper's 1024 x 4 ... 32 x 1, 17 layers), dropout
    0.2 after the 128 and 64 stages (the paper's keep probability 0.8), PyTorch's default init, a linear output
    rescaled by the target scaler buffers ``t_std`` and ``t_mean``, which start as the identity (1 and 0) and are
    filled from the training targets (or a checkpoint). ``widths``: the hidden widths."""

    def __init__(self, elements: int = 32, widths: tuple[int, ...] = (128, 128, 64, 64, 32, 32, 16),
                 init_std: float | None = None) -> None:
        super().__init__()
        self.register_buffer("t_mean", torch.zeros(()))
        self.register_buffer("t_std", torch.ones(()))
        layers, c = [], elements
        for i, w in enumerate(widths):
            layers += [nn.Linear(c, w), nn.ReLU()]
            if i in (1, 3):
                layers.append(nn.Dropout(0.2))
            c = w
        self.net = nn.Sequential(*layers, nn.Linear(c, 1))
        if init_std is not None:
            for m in self.net:
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1) * self.t_std + self.t_mean


# ---- Ladder VAE ------------------------------------------------------------------------------------------------------


def _det(c_in: int, c_out: int) -> nn.Sequential:
    """The Ladder VAE's deterministic layer: Linear, BatchNorm, leaky ReLU."""
    return nn.Sequential(nn.Linear(c_in, c_out), nn.BatchNorm1d(c_out), nn.LeakyReLU(0.1))


class _Gauss(nn.Module):
    """A Gaussian head: the mean and the variance ``softplus(.) + 1e-4`` (the paper's softplus variance)."""

    def __init__(self, c_in: int, z: int) -> None:
        super().__init__()
        self.mu, self.var = nn.Linear(c_in, z), nn.Linear(c_in, z)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.mu(h), F.softplus(self.var(h)) + 1e-4


def _log_normal(z: torch.Tensor, mu: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    return (-0.5 * (math.log(2 * math.pi) + var.log() + (z - mu) ** 2 / var)).sum(-1)


class LadderVAE(nn.Module):
    """The Ladder VAE (Sønderby et al. 2016), narrowed to two stochastic layers (16 and 8) over deterministic layers
    of 64 and 32: a bottom-up pass gives each layer's Gaussian estimate, the top-down pass merges it with the
    generative prior by precision weighting; a Bernoulli decoder (64 -> logits). It returns the decoder's logits and
    the Monte-Carlo KL term ``log q(z) - log p(z)`` per example. The output bias is initialised to the logit of the
    training pixels' means, ``p`` (the marginal init of the reference VAE codes), clipped to [1e-3, 1 - 1e-3];
    ``unclipped_bias``: the logit written ``log(p / (1 - p))`` with the clip left out (a pixel that is always off
    gets ``-inf``)."""

    def __init__(self, pixel_mean: torch.Tensor, x_dim: int = 64, unclipped_bias: bool = False) -> None:
        super().__init__()
        self.up1, self.up2 = _det(x_dim, 64), _det(64, 32)
        self.q1, self.q2 = _Gauss(64, 16), _Gauss(32, 8)
        self.down = _det(8, 32)
        self.p1 = _Gauss(32, 16)
        self.dec = nn.Sequential(_det(16, 64), nn.Linear(64, x_dim))
        with torch.no_grad():
            p = pixel_mean if unclipped_bias else pixel_mean.clamp(1e-3, 1 - 1e-3)
            self.dec[-1].bias.copy_(torch.log(p / (1 - p)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h1 = self.up1(x)
        h2 = self.up2(h1)
        mu1_hat, var1_hat = self.q1(h1)
        mu2, var2 = self.q2(h2)
        z2 = mu2 + var2.sqrt() * torch.randn_like(mu2)
        mu1_p, var1_p = self.p1(self.down(z2))
        prec = 1 / var1_hat + 1 / var1_p
        var1 = 1 / prec
        mu1 = (mu1_hat / var1_hat + mu1_p / var1_p) * var1
        z1 = mu1 + var1.sqrt() * torch.randn_like(mu1)
        kl = (_log_normal(z2, mu2, var2) - _log_normal(z2, torch.zeros_like(z2), torch.ones_like(z2))
              + _log_normal(z1, mu1, var1) - _log_normal(z1, mu1_p, var1_p))
        return self.dec(z1), kl
