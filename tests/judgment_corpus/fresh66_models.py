"""Hand-written models of the sixty-seventh held-out batch (``fresh66.py``), the differential-equation ones: a
gradient-enhanced PINN, the Deep Ritz network, an augmented neural ODE and a neural CDE, small versions of published
architectures new to the corpus, each with the switches its broken variants need (one fault each, off by default).
The equivariant, atomistic, audio and operator models are in ``fresh66_models2.py``."""

from __future__ import annotations

import torch
from torch import nn

# ---- gPINN -----------------------------------------------------------------------------------------------------------


class GPINN(nn.Module):
    """The gradient-enhanced PINN's network (Yu, Lu, Meng and Karniadakis 2022): a fully connected net 1 -> 20 x 3 ->
    1 with tanh, Glorot-normal weights and zero biases (DeepXDE's ``"Glorot normal"``, the paper's). ``act``: the
    hidden activation's class. ``length``: the input is a position in metres on ``[0, length]``, rescaled to ``[0,
    1]`` by ``x / length`` before the first layer (the reference code's unit domain); ``rescale=False`` feeds the
    metres as they are."""

    def __init__(self, width: int = 20, layers: int = 3, act: type[nn.Module] = nn.Tanh, length: float = 100.0,
                 rescale: bool = True) -> None:
        super().__init__()
        dims = [1, *[width] * layers, 1]
        mods: list[nn.Module] = []
        for i in range(len(dims) - 1):
            lin = nn.Linear(dims[i], dims[i + 1])
            nn.init.xavier_normal_(lin.weight)
            nn.init.zeros_(lin.bias)
            mods += [lin, act()] if i < len(dims) - 2 else [lin]
        self.net = nn.Sequential(*mods)
        self.length, self.rescale = length, rescale

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (n, 1) in metres
        return self.net(x / self.length if self.rescale else x)


# ---- Deep Ritz -------------------------------------------------------------------------------------------------------


def cubic_relu(x: torch.Tensor) -> torch.Tensor:
    """The Deep Ritz activation ``max(x, 0)^3``."""
    return torch.relu(x) ** 3


class DeepRitz(nn.Module):
    """The Deep Ritz network (E and Yu 2018): the 2-D input zero-padded to the width m = 10, four residual blocks
    ``s + act(W2 act(W1 s + b1) + b2)`` with ``act(x) = max(x, 0)^3``, a final linear map to the scalar; PyTorch's
    default init (the paper names none). ``init_std``: every weight drawn N(0, init_std^2), biases zero, instead."""

    def __init__(self, width: int = 10, blocks: int = 4, init_std: float | None = None) -> None:
        super().__init__()
        self.width = width
        self.blocks = nn.ModuleList(nn.ModuleList([nn.Linear(width, width), nn.Linear(width, width)])
                                    for _ in range(blocks))
        self.out = nn.Linear(width, 1)
        if init_std is not None:
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, init_std)
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (n, 2)
        s = torch.cat([x, x.new_zeros(x.shape[0], self.width - x.shape[1])], 1)
        for lin1, lin2 in self.blocks:
            s = s + cubic_relu(lin2(cubic_relu(lin1(s))))
        return self.out(s)


# ---- Augmented neural ODE --------------------------------------------------------------------------------------------


class ANODE(nn.Module):
    """The augmented neural ODE (Dupont, Doucet and Teh 2019): the 2-D input padded with ``augment`` zeros, an ODE
    ``dh/dt = f(h)`` with ``f`` an MLP (7 -> 32 -> 32 -> 7, ReLU) integrated from 0 to ``horizon`` by ``steps``
    classical Runge-Kutta steps (the paper's dopri5 narrowed to a fixed grid), a linear readout of the final state.
    ``horizon``: the end time the integration is given (1: the paper's ``t = 1``)."""

    def __init__(self, dim: int = 2, augment: int = 5, hidden: int = 32, steps: int = 10, horizon: float = 1.0
                 ) -> None:
        super().__init__()
        d = dim + augment
        self.augment, self.steps, self.horizon = augment, steps, horizon
        self.f = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                               nn.Linear(hidden, d))
        self.readout = nn.Linear(d, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.cat([x, x.new_zeros(x.shape[0], self.augment)], 1)
        dt = self.horizon / self.steps
        for _ in range(self.steps):
            k1 = self.f(h)
            k2 = self.f(h + dt / 2 * k1)
            k3 = self.f(h + dt / 2 * k2)
            k4 = self.f(h + dt * k3)
            h = h + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return self.readout(h).squeeze(-1)


# ---- Neural CDE ------------------------------------------------------------------------------------------------------


class NeuralCDE(nn.Module):
    """The neural CDE (Kidger, Morrill, Foster and Lyons 2020) as torchcde's example builds it: ``z_0 = W x_0``, ``dz
    = f(z) dX`` with ``f(z) = tanh(W2 relu(W1 z))`` reshaped to ``(hidden, channels)`` (hidden 8, 128 units), the
    linear interpolation of the series as the control ``X``, integrated by one Euler step per observation interval
    (``z_{k+1} = z_k + f(z_k) (X_{k+1} - X_k)``; the example's rk4 narrowed), a linear readout of ``z_T`` to one
    logit. ``increments=False``: the control's values ``X_{k+1}`` used where its increments belong; ``tanh=False``:
    the vector field's final tanh left out."""

    def __init__(self, channels: int = 3, hidden: int = 8, width: int = 128, increments: bool = True,
                 tanh: bool = True) -> None:
        super().__init__()
        self.hidden, self.channels = hidden, channels
        self.initial = nn.Linear(channels, hidden)
        self.lin1, self.lin2 = nn.Linear(hidden, width), nn.Linear(width, hidden * channels)
        self.readout = nn.Linear(hidden, 1)
        self.increments, self.tanh = increments, tanh

    def field(self, z: torch.Tensor) -> torch.Tensor:
        out = self.lin2(torch.relu(self.lin1(z)))
        out = out.tanh() if self.tanh else out
        return out.view(z.shape[0], self.hidden, self.channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (b, time, channels), time its first channel
        z = self.initial(x[:, 0])
        for k in range(x.shape[1] - 1):
            dx = x[:, k + 1] - x[:, k] if self.increments else x[:, k + 1]
            z = z + (self.field(z) @ dx.unsqueeze(-1)).squeeze(-1)
        return self.readout(z).squeeze(-1)
