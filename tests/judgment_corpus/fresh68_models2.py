"""Hand-written models of the sixty-ninth held-out batch (``fresh68.py``), the generative ones (waveform diffusion,
a sample-level autoregressive waveform model and a disentangling VAE): small versions of published architectures new
to the corpus, each with the switches its broken variants need (one fault each, off by default). The vision and
speech models are in ``fresh68_models.py``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- DiffWave --------------------------------------------------------------------------------------------------------


def step_table(steps: int = 50, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """DiffWave's diffusion-step embedding table (the reference code's ``_build_embedding``): ``t * 10 ** (j * 4 /
    63)`` for j = 0..63, its sines and cosines (128 values a step), built in ``dtype`` and returned in float32. In
    float16 the products pass 65,504 (float16's largest) from ``t = 7`` on: ``inf``, and ``sin(inf)`` is NaN."""
    t = torch.arange(steps, dtype=dtype)[:, None]
    j = torch.arange(64, dtype=dtype)[None]
    table = t * 10.0 ** (j * 4.0 / 63.0)
    return torch.cat([torch.sin(table), torch.cos(table)], 1).float()


def _conv(*args: int, **kw: int) -> nn.Conv1d:
    conv = nn.Conv1d(*args, **kw)
    nn.init.kaiming_normal_(conv.weight)
    return conv


class _DWLayer(nn.Module):
    """DiffWave's residual layer: the step's projection added, a dilated conv (kernel 3) to 2C, the gate ``tanh(a)
    sigmoid(b)``, a 1x1 conv to 2C split into the residual (``(x + r) / sqrt 2``) and the skip."""

    def __init__(self, c: int, dilation: int) -> None:
        super().__init__()
        self.dil = _conv(c, 2 * c, 3, padding=dilation, dilation=dilation)
        self.step = nn.Linear(128, c)
        self.out = _conv(c, 2 * c, 1)

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.dil(x + self.step(e)[..., None]).chunk(2, 1)
        r, s = self.out(torch.tanh(a) * torch.sigmoid(b)).chunk(2, 1)
        return (x + r) / 2 ** 0.5, s


class DiffWave(nn.Module):
    """DiffWave (Kong et al. 2021, "DiffWave: a versatile diffusion model for audio synthesis"), unconditional and
    narrowed: 6 residual layers of 32 channels with dilations 1 to 32 (one cycle), the step embedding through two
    Linears of 128 with Swish (512 in the paper), the skips summed over the layers and scaled by ``1 / sqrt 6``, a 1x1
    conv with ReLU and the zero-initialised output conv; the reference code's init (Kaiming-normal convolutions).
    Takes ``(x_t (b, n), t (b,))`` and predicts the noise. ``steps``: the diffusion's T; ``table_dtype``: the dtype
    the step table is built in (see :func:`step_table`); ``cast_out``: the zero-initialised output conv's weight,
    written by hand as ``self.out_w = nn.Parameter(torch.zeros(1, c, 1)).to(torch.bfloat16)`` to keep it in bfloat16
    (and cast up in ``forward``): ``.to`` returns a plain tensor, not a Parameter, so the weight is never registered,
    never handed to the optimizer and stays zero, and no gradient reaches any layer below it."""

    def __init__(self, c: int = 32, layers: int = 6, steps: int = 50, table_dtype: torch.dtype = torch.float32,
                 cast_out: bool = False) -> None:
        super().__init__()
        self.register_buffer("table", step_table(steps, table_dtype))
        self.p1, self.p2 = nn.Linear(128, 128), nn.Linear(128, 128)
        self.inp = _conv(1, c, 1)
        self.layers = nn.ModuleList([_DWLayer(c, 2 ** i) for i in range(layers)])
        self.skip = _conv(c, c, 1)
        self.out_b = nn.Parameter(torch.zeros(1))
        if cast_out:
            self.out_w = nn.Parameter(torch.zeros(1, c, 1)).to(torch.bfloat16)
        else:
            self.out_w = nn.Parameter(torch.zeros(1, c, 1))

    def forward(self, inp: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, t = inp
        e = F.silu(self.p2(F.silu(self.p1(self.table[t]))))
        h, skips = F.relu(self.inp(x[:, None])), 0.0
        for layer in self.layers:
            h, s = layer(h, e)
            skips = skips + s
        h = F.relu(self.skip(skips / len(self.layers) ** 0.5))
        return F.conv1d(h, self.out_w.float(), self.out_b)[:, 0]


# ---- SampleRNN -------------------------------------------------------------------------------------------------------


class SampleRNN(nn.Module):
    """SampleRNN (Mehri et al. 2017, "SampleRNN: an unconditional end-to-end neural audio generation model"), its
    two-tier version narrowed: the frame tier a GRU of 128 over frames of 16 samples (the quantised samples mapped to
    [-2, 2] as the reference code), its states upsampled by a Linear to one conditioning vector per sample of the next
    frame; the sample tier an MLP over the embeddings (32) of the previous 16 quantised samples (a 16-tap conv, then
    ``mlp`` ReLU layers of 128), the conditioning added at its input, and a 256-way softmax output; PyTorch's default
    init. Takes ``(b, 16 + n)`` quantised samples and returns the ``(b, n, 256)`` logits of the last ``n``.
    ``mlp``: the sample tier's hidden layers; ``mlp_bias``: their biases started at that value."""

    def __init__(self, fs: int = 16, hidden: int = 128, q: int = 256, emb: int = 32, mlp: int = 2,
                 mlp_bias: float | None = None) -> None:
        super().__init__()
        self.fs, self.q, self.hidden = fs, q, hidden
        self.gru = nn.GRU(fs, hidden, batch_first=True)
        self.up = nn.Linear(hidden, hidden * fs)
        self.emb = nn.Embedding(q, emb)
        self.taps = nn.Conv1d(emb, hidden, fs, bias=False)
        self.mlp = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(mlp)])
        self.out = nn.Linear(hidden, q)
        if mlp_bias is not None:
            for lin in self.mlp:
                nn.init.constant_(lin.bias, mlp_bias)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        b, n = s.shape[0], s.shape[1] - self.fs
        frames = (4.0 * s[:, :n].float() / (self.q - 1) - 2.0).view(b, n // self.fs, self.fs)
        h, _ = self.gru(frames)
        cond = self.up(h).view(b, n, self.hidden)
        z = self.taps(self.emb(s[:, :-1]).transpose(1, 2)).transpose(1, 2) + cond
        for lin in self.mlp:
            z = F.relu(lin(F.relu(z)))
        return self.out(z)


# ---- beta-TCVAE ------------------------------------------------------------------------------------------------------


class BetaTCVAE(nn.Module):
    """The beta-TCVAE's model (Chen et al. 2018, "Isolating sources of disentanglement in variational autoencoders"),
    narrowed: the MLP encoder 256-256-256 (ReLU) to the means and log-variances of 8 latents, a reparameterised
    sample, the MLP decoder 256-256-256 (ReLU) to Bernoulli probabilities of 24x24 pixels; PyTorch's default init.
    Returns ``(p, z, mu, logvar)``. ``bf16_decoder``: the decoder run under ``torch.autocast("cpu",
    dtype=torch.bfloat16)`` (its probabilities come out in bfloat16)."""

    def __init__(self, pixels: int = 576, hidden: int = 256, latents: int = 8, bf16_decoder: bool = False) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 2 * latents))
        self.dec = nn.Sequential(nn.Linear(latents, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, pixels))
        self.bf16_decoder = bf16_decoder

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        mu, logvar = self.enc(x).chunk(2, 1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16_decoder):
            p = torch.sigmoid(self.dec(z))
        return p, z, mu, logvar
