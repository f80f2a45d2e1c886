"""Builders of the hundred-and-fourteenth held-out batch (``fresh113.py``): audio, speech-enhancement and music models
(vocoders, source separation, enhancement, keyword spotting, music tagging and transcription, speaker embeddings,
differentiable synthesis) new to the corpus at their usual settings, and broken variants with one real fault each,
plus the small synthetic data sets they train on. Written and labelled with plain PyTorch before gradguard's judgment
was run on them and never tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._setup import POOL, Setup, with_loss_fn

SEED0 = 1_130_000


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(SEED0 + seed)


def _fixed(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(11300 + k)


def _pool(seed: int, make: Callable[[torch.Generator, int], Any], size: int = POOL) -> Callable[[int], Any]:
    """``size`` batches ``make(g, i)`` from the seed's generator, cycled."""
    g = _gen(seed)
    pool = [make(g, i) for i in range(size)]
    return lambda step: pool[step % size]


def _xy(model: nn.Module, opt: Any, batches: Callable[[int], Any], loss_fn: Callable[[Any, Any], torch.Tensor],
        sched: Any = None, clip: float | None = None) -> Setup:
    return Setup(model, opt, sched, batches(0), loss_fn, with_loss_fn(loss_fn), batches, clip=clip)


def _normal_init(model: nn.Module, std: float) -> None:
    """Every conv and Linear weight drawn N(0, std^2)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)


def _smooth(n: int, length: int, k: int, knots: int = 6) -> torch.Tensor:
    """``n`` fixed smooth random profiles of ``length`` points (``knots`` Gaussian values stretched linearly)."""
    v = torch.randn(n, 1, knots, generator=_fixed(k))
    return F.interpolate(v, size=length, mode="linear", align_corners=True)[:, 0]


def _filterbank(bins: int, bands: int) -> torch.Tensor:
    """A triangular filterbank of ``bands`` bands, mel-spaced over ``bins`` linear-frequency bins: ``(bands, bins)``."""
    mel = torch.linspace(0.0, 2595 * math.log10(1 + 4000 / 700), bands + 2)
    hz = 700 * (10 ** (mel / 2595) - 1)
    pos = hz / 4000 * (bins - 1)
    f = torch.arange(bins).float()
    lo, mid, hi = pos[:-2, None], pos[1:-1, None], pos[2:, None]
    up = (f - lo) / (mid - lo).clamp_min(1e-3)
    down = (hi - f) / (hi - mid).clamp_min(1e-3)
    return torch.clamp(torch.minimum(up, down), min=0.0)


# ---- data ------------------------------------------------------------------------------------------------------------

def tones(g: torch.Generator, batch: int, length: int, sr: float = 8000.0, lo: float = 150.0,
          hi: float = 600.0) -> torch.Tensor:
    """Harmonic tones (three harmonics of a gliding f0 between ``lo`` and ``hi`` Hz, random amplitudes and an
    attack-decay envelope): ``(batch, length)``."""
    t = torch.arange(length).float() / sr
    f0 = lo + (hi - lo) * torch.rand(batch, 1, generator=g)
    glide = 1 + 0.2 * (torch.rand(batch, 1, generator=g) - 0.5) * t / t[-1]
    phase = 2 * math.pi * torch.cumsum(f0 * glide / sr * torch.ones(batch, length), 1)
    amps = 0.3 + torch.rand(batch, 3, generator=g)
    x = sum(amps[:, k:k + 1] * torch.sin((k + 1) * phase) / (k + 1) for k in range(3))
    onset = torch.rand(batch, 1, generator=g) * 0.3 * t[-1]
    env = torch.clamp((t - onset) / 0.01, 0, 1) * torch.exp(-torch.clamp(t - onset, min=0) * (2 + 6 * torch.rand(
        batch, 1, generator=g)))
    return x * env


def vocoder_clips(seed: int, batch: int = 4, length: int = 1024) -> Callable[[int], Any]:
    """MelGAN's data: harmonic tones (plus a second, quieter tone) of 1024 samples at 8 kHz, peak 0.8, and their
    log-mel spectrograms (n_fft 256, hop 64, 32 mel bands, ``log(clamp(mel, 1e-5))``): ``(mel (b, 32, 17), wav (b,
    1, 1024))``."""
    fb = _filterbank(129, 32)
    win = torch.hann_window(256)

    def make(g: torch.Generator, _: int) -> Any:
        x = tones(g, batch, length) + 0.5 * tones(g, batch, length, lo=600.0, hi=1200.0)
        x = 0.8 * x / x.abs().amax(1, keepdim=True)
        spec = torch.stft(x, 256, 64, window=win, return_complex=True).abs()
        mel = torch.log(torch.clamp(fb @ spec, min=1e-5))
        return mel, x[:, None]
    return _pool(seed, make)


def _chirp(g: torch.Generator, batch: int, length: int, sr: float = 8000.0) -> torch.Tensor:
    t = torch.arange(length).float() / sr
    f0 = 300 + 1500 * torch.rand(batch, 1, generator=g)
    rate = (torch.rand(batch, 1, generator=g) - 0.5) * 4000
    return torch.sin(2 * math.pi * (f0 * t + 0.5 * rate * t ** 2) + 2 * math.pi * torch.rand(batch, 1, generator=g))


def _bandnoise(g: torch.Generator, batch: int, length: int) -> torch.Tensor:
    """Low-passed noise in bursts (a drum-like source)."""
    n = torch.randn(batch, 1, length, generator=g)
    n = F.avg_pool1d(F.pad(n, (3, 4)), 8, 1)[:, 0]
    period = torch.randint(128, 384, (batch, 1), generator=g)
    t = torch.arange(length)[None]
    env = torch.exp(-((t + torch.randint(0, 128, (batch, 1), generator=g)) % period).float() / 40.0)
    return n * env


def separation_mixtures(seed: int, batch: int = 4, length: int = 1024) -> Callable[[int], Any]:
    """BSRNN's data, three stems a mixture (a "vocal" harmonic tone, "drums" of low-passed noise bursts and a "bass"
    chirp), each at unit RMS times U(0.5, 1.5), 1024 samples: ``(mixture (b, 1024), stems (b, 3, 1024))``."""
    def make(g: torch.Generator, _: int) -> Any:
        stems = torch.stack([tones(g, batch, length), _bandnoise(g, batch, length), _chirp(g, batch, length)], 1)
        stems = stems / stems.pow(2).mean(-1, keepdim=True).sqrt().clamp_min(1e-3)
        stems = stems * (0.5 + torch.rand(batch, 3, 1, generator=g))
        return stems.sum(1), stems
    return _pool(seed, make)


def noisy_speech(seed: int, batch: int = 4, length: int = 512, snr_db: float = 6.0,
                 other_clean: bool = False) -> Callable[[int], Any]:
    """FullSubNet's data: "speech" (harmonic tones with gliding f0) in coloured noise (white noise through a random
    one-pole low-pass plus white noise) at 6 dB SNR, 512 samples at 8 kHz: ``(noisy (b, 512), clean (b, 512))``;
    ``other_clean``: the clean targets rolled by one within the batch (another clip's clean speech)."""
    def make(g: torch.Generator, _: int) -> Any:
        clean = tones(g, batch, length) + 0.6 * tones(g, batch, length, lo=200.0, hi=900.0)
        noise = torch.randn(batch, 1, length, generator=g)
        noise = F.avg_pool1d(F.pad(noise, (1, 2)), 4, 1)[:, 0] + 0.3 * torch.randn(batch, length, generator=g)
        scale = clean.pow(2).mean(1, keepdim=True).sqrt() / noise.pow(2).mean(1, keepdim=True).sqrt()
        noisy = clean + noise * scale * 10 ** (-snr_db / 20)
        return noisy, (clean.roll(1, 0) if other_clean else clean)
    return _pool(seed, make)


#: the 12 keyword-spotting classes: 10 keywords, "unknown" (any of 20 other words) and "silence"
KWS_CLASSES = 12


def kws_batches(seed: int, batch: int = 32, eps: float = 1e-5, shuffled: bool = False,
                soft: bool = False) -> Callable[[int], Any]:
    """Speech-Commands-like log-mel patches (24 frames x 20 mel bands): 10 keywords and 20 "unknown" words, each a
    fixed smooth spectro-temporal template, shifted by up to 2 frames, times a random gain, in noise; "silence" clips
    are digital silence (power 0, so ``log(power + 1e-6)`` is a constant); one silence clip in every batch, at a random
    place. Features are normalised per utterance (CMVN): ``(x - mean) / (std + eps)`` (``eps=0``: without the eps, the
    numeric common). ``soft``: the targets are a fixed teacher's soft posteriors ``softmax(T[y])`` (distillation)."""
    tg = _fixed(1)
    words = F.interpolate(torch.randn(30, 1, 6, 5, generator=tg), size=(24, 20), mode="bilinear",
                          align_corners=False)[:, 0]
    teacher = 4.0 * torch.eye(KWS_CLASSES) + torch.randn(KWS_CLASSES, KWS_CLASSES, generator=_fixed(2))

    def make(g: torch.Generator, _: int) -> Any:
        w = torch.randint(0, 31, (batch,), generator=g)
        w[int(torch.randint(0, batch, (1,), generator=g))] = 30
        y = torch.where(w < 10, w, torch.where(w < 30, torch.full_like(w, 10), torch.full_like(w, 11)))
        shift = torch.randint(-2, 3, (batch,), generator=g)
        tmpl = torch.stack([words[int(k) % 30].roll(int(s), 0) for k, s in zip(w, shift)])
        gain = 0.5 + torch.rand(batch, 1, 1, generator=g)
        power = torch.exp(2 * tmpl + 0.5 * torch.randn(batch, 24, 20, generator=g)) * gain
        power = torch.where((w == 30)[:, None, None], torch.zeros_like(power), power)
        x = torch.log(power + 1e-6)
        mu, sd = x.mean((1, 2), keepdim=True), x.std((1, 2), keepdim=True)
        x = ((x - mu) / (sd + eps))[:, None]
        if shuffled:
            y = y[torch.randperm(batch, generator=g)]
        if soft:
            return x, F.softmax(teacher[y], 1)
        return x, y
    return _pool(seed, make)


#: musicnn's 16 tags: 8 timbre tags (a band-limited spectral bump) and 8 rhythm tags (a pulse train of a prime period)
TAGS = 16


def tagging_batches(seed: int, batch: int = 16, frames: int = 64, bands: int = 32) -> Callable[[int], Any]:
    """Music-tagging clips: log-mel spectrograms in dB (32 bands x 64 frames, about -40 to 0 dB, as
    ``power_to_db`` gives them) holding one to three of 16 tags, each tag's pattern added in power: a timbre tag's
    spectral bump (a Gaussian of 1.5 bands centred on band ``2 + 4 k``) with a random slow amplitude, a rhythm tag's
    broadband pulse train of its own prime period (2 to 19 frames) with a random phase; multi-hot targets
    ``(b, 16)``."""
    b = torch.arange(bands).float()
    prof = 8 * torch.exp(-0.5 * ((b[None] - (2 + 4 * torch.arange(8).float()[:, None])) / 1.5) ** 2)
    periods = torch.tensor([2, 3, 5, 7, 11, 13, 17, 19])
    t = torch.arange(frames)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.zeros(batch, TAGS)
        power = 1e-3 * torch.rand(batch, bands, frames, generator=g) + 1e-4
        for i in range(batch):
            for k in torch.randperm(TAGS, generator=g)[:int(torch.randint(1, 4, (1,), generator=g))]:
                k = int(k)
                y[i, k] = 1.0
                if k < 8:
                    amp = 0.05 * (1 + 0.5 * torch.sin(2 * math.pi * t / 32 + 6 * float(torch.rand(1, generator=g))))
                    power[i] += prof[k][:, None] * amp[None]
                else:
                    ph = int(torch.randint(0, int(periods[k - 8]), (1,), generator=g))
                    pulse = (((t + ph) % periods[k - 8]) == 0).float()
                    power[i] += 0.05 * pulse[None] * torch.linspace(1.0, 0.3, bands)[:, None]
        return 10 * torch.log10(power), y
    return _pool(seed, make)


def transcription_batches(seed: int, batch: int = 8, frames: int = 32, bins: int = 48, keys: int = 24,
                          eps: float | None = 1e-6) -> Callable[[int], Any]:
    """Piano-roll data: 6 to 10 notes a clip (24 keys, onsets on a 16-step label grid, durations 2 to 5 label steps,
    none sounding in the last 2 label steps), the log-frequency spectrogram (32 frames x 48 bins, 24 bins an octave,
    two frames a label step) each note's fundamental at bin ``k`` and its octave at ``k + 24`` (amplitudes 1 and 0.5)
    decaying over the note, a broadband attack at its onset, a noise floor, and the last 4 frames digital silence (the
    clip zero-padded to the window): inputs ``log(power + eps)`` ``(b, 32, 48)`` (``eps=None``: ``log(power)``, the
    numeric common); targets the frame roll at the frame rate (the label grid upsampled with
    ``repeat_interleave(2, 1)``): ``(b, 32, 24)``."""
    steps = frames // 2

    def make(g: torch.Generator, _: int) -> Any:
        roll = torch.zeros(batch, steps, keys)
        power = torch.zeros(batch, frames, bins)
        for i in range(batch):
            for _n in range(int(torch.randint(6, 11, (1,), generator=g))):
                k = int(torch.randint(0, keys, (1,), generator=g))
                o = int(torch.randint(0, steps - 3, (1,), generator=g))
                d = min(int(torch.randint(2, 6, (1,), generator=g)), steps - 2 - o)
                roll[i, o:o + d, k] = 1.0
                for j in range(2 * d):
                    amp = math.exp(-0.3 * j)
                    for h, a in ((0, 1.0), (24, 0.5)):
                        power[i, 2 * o + j, k + h] += a * amp
                power[i, 2 * o, :] += 0.3
        power[:, :-4] += 1e-3 * torch.rand(batch, frames - 4, bins, generator=g)
        x = torch.log(power) if eps is None else torch.log(power + eps)
        return x, roll.repeat_interleave(2, 1)
    return _pool(seed, make)


#: CAM++'s 16 training speakers
SPEAKERS = 16


def speaker_batches(seed: int, batch: int = 16, frames: int = 32, bins: int = 24,
                    shuffled: bool = False) -> Callable[[int], Any]:
    """Speaker-embedding data: log filterbank features (32 frames x 24 bins) of 16 speakers, each a fixed spectral
    envelope plus a fixed formant offset, overlaid with a random sequence of 10 shared "phone" patterns (4 to 8
    frames each) and noise; labels the speaker ids; ``shuffled``: the labels permuted within every batch."""
    env = 1.5 * _smooth(SPEAKERS, bins, 4)
    phones = 1.5 * _smooth(10, bins, 5, knots=8)

    def make(g: torch.Generator, _: int) -> Any:
        y = torch.randint(0, SPEAKERS, (batch,), generator=g)
        x = env[y][:, :, None].expand(batch, bins, frames).clone()
        for i in range(batch):
            t = 0
            while t < frames:
                n = int(torch.randint(4, 9, (1,), generator=g))
                x[i, :, t:t + n] += phones[int(torch.randint(0, 10, (1,), generator=g))][:, None]
                t += n
        x = x + 0.5 * torch.randn(x.shape, generator=g)
        if shuffled:
            y = y[torch.randperm(batch, generator=g)]
        return x, y
    return _pool(seed, make)


def ddsp_batches(seed: int, batch: int = 4, frames: int = 32, hop: int = 64, harmonics: int = 16,
                 sr: float = 16000.0) -> Callable[[int], Any]:
    """DDSP's data: monophonic notes of a fixed synthetic "instrument": per frame an f0 (a note between 110 and 440 Hz
    with a 5 Hz vibrato) and a loudness in [0, 1] (an attack-decay envelope); the audio is the harmonic synthesiser's
    output for the instrument's amplitudes (overall amplitude ``0.5 loudness``, a harmonic distribution of spectral
    tilt ``k^-(2.5 - 1.5 loudness)`` times a fixed formant profile): ``((f0, loudness) (b, frames, 1) each, audio
    (b, frames * hop))``."""
    formant = torch.exp(0.7 * _smooth(1, harmonics, 6)[0])
    k = torch.arange(1, harmonics + 1).float()

    def make(g: torch.Generator, _: int) -> Any:
        note = 110 * 2 ** (2 * torch.rand(batch, 1, generator=g))
        tt = torch.arange(frames).float() * hop / sr
        f0 = note * (1 + 0.01 * torch.sin(2 * math.pi * 5 * tt + 6 * torch.rand(batch, 1, generator=g)))
        att = 1 + torch.randint(1, 6, (batch, 1), generator=g).float()
        fr = torch.arange(frames).float()
        loud = torch.clamp(fr / att, max=1.0) * torch.exp(-torch.clamp(fr - att, min=0) * (0.02 + 0.08 * torch.rand(
            batch, 1, generator=g)))
        amp = 0.5 * loud
        dist = k[None, None] ** (-(2.5 - 1.5 * loud[..., None])) * formant
        audio = harmonic_synth(f0[..., None], amp[..., None], dist, hop, sr)
        return (f0[..., None], loud[..., None]), audio
    return _pool(seed, make)


def harmonic_synth(f0: torch.Tensor, amp: torch.Tensor, dist: torch.Tensor, hop: int,
                   sr: float = 16000.0) -> torch.Tensor:
    """DDSP's additive synthesiser: frame-rate ``f0 (b, T, 1)``, overall amplitude ``(b, T, 1)`` and harmonic
    distribution ``(b, T, K)`` (harmonics above Nyquist zeroed, then normalised to sum 1), upsampled linearly to the
    audio rate; ``sum_k a_k sin(k phi)``, ``phi`` the cumulative phase of f0: ``(b, T * hop)``."""
    k = torch.arange(1, dist.shape[-1] + 1, dtype=f0.dtype)
    dist = dist * (f0 * k < sr / 2).to(dist.dtype)
    dist = dist / dist.sum(-1, keepdim=True).clamp_min(1e-7)
    amps = amp * dist

    def up(v: torch.Tensor) -> torch.Tensor:
        return F.interpolate(v.transpose(1, 2), scale_factor=hop, mode="linear", align_corners=False).transpose(1, 2)
    f0_a, amps_a = up(f0), up(amps)
    phase = 2 * math.pi * torch.cumsum(f0_a / sr, 1)
    return (amps_a * torch.sin(phase * k)).sum(-1)


# ---- losses ----------------------------------------------------------------------------------------------------------

def _mag(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    return torch.stft(x, n_fft, hop, window=torch.hann_window(n_fft, dtype=x.dtype), return_complex=True).abs()


def multi_resolution_stft_loss(pred: torch.Tensor, wav: torch.Tensor) -> torch.Tensor:
    """Parallel WaveGAN's / Multi-band MelGAN's multi-resolution STFT loss, narrowed to three resolutions (n_fft 64,
    128 and 256 at hops of a quarter): spectral convergence plus the L1 of the log magnitudes, averaged."""
    pred, wav = pred.reshape(pred.shape[0], -1), wav.reshape(wav.shape[0], -1)
    total = pred.new_zeros(())
    for n in (64, 128, 256):
        p, y = _mag(pred, n, n // 4), _mag(wav, n, n // 4)
        sc = torch.linalg.norm(y - p) / torch.linalg.norm(y)
        mag = F.l1_loss(torch.log(p.clamp_min(1e-7)), torch.log(y.clamp_min(1e-7)))
        total = total + sc + mag
    return total / 3


def multi_scale_spectral_loss(pred: torch.Tensor, wav: torch.Tensor) -> torch.Tensor:
    """DDSP's multi-scale spectral loss, narrowed to FFT sizes 256, 128 and 64 (75% overlap): the L1 of the
    magnitudes plus the L1 of their logs (``log(mag + 1e-7)``), summed over the scales."""
    total = pred.new_zeros(())
    for n in (256, 128, 64):
        p, y = _mag(pred, n, n // 4), _mag(wav, n, n // 4)
        total = total + F.l1_loss(p, y) + F.l1_loss(torch.log(p + 1e-7), torch.log(y + 1e-7))
    return total


# ---- MelGAN (Kumar et al. 2019) ------------------------------------------------------------------------------------

class ResStack(nn.Module):
    """MelGAN's residual stack: three blocks of LeakyReLU(0.2), reflection pad, a dilated 3-conv (dilations 1, 3, 9),
    LeakyReLU, a 1x1 conv, with a 1x1 shortcut."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([nn.Sequential(
            nn.LeakyReLU(0.2), nn.ReflectionPad1d(d), nn.Conv1d(ch, ch, 3, dilation=d),
            nn.LeakyReLU(0.2), nn.Conv1d(ch, ch, 1)) for d in (1, 3, 9)])
        self.short = nn.ModuleList([nn.Conv1d(ch, ch, 1) for _ in range(3)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for b, s in zip(self.blocks, self.short):
            x = s(x) + b(x)
        return x


class MelGANGenerator(nn.Module):
    """MelGAN's generator, narrowed: a 7-conv from 32 mel bands to 64 channels, two upsampling stages (LeakyReLU, an
    8x transposed conv of kernel 16, a residual stack) to 32 and 16 channels (hop 64), a 7-conv to one channel and
    tanh; the reference code's init N(0, 0.02^2) for every conv weight (``init_std`` replaces it), then weight norm on
    every conv."""

    def __init__(self, mels: int = 32, init_std: float = 0.02) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.ReflectionPad1d(3), nn.Conv1d(mels, 64, 7)]
        ch = 64
        for _ in range(2):
            layers += [nn.LeakyReLU(0.2), nn.ConvTranspose1d(ch, ch // 2, 16, 8, 4), ResStack(ch // 2)]
            ch //= 2
        layers += [nn.LeakyReLU(0.2), nn.ReflectionPad1d(3), nn.Conv1d(ch, 1, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        convs = [m for m in self.modules() if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d))]
        for m in convs:
            nn.init.normal_(m.weight, 0.0, init_std)
            nn.utils.parametrizations.weight_norm(m)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.net(mel)[..., :1024]


def melgan(seed: int, lr: float = 1e-3, init_std: float = 0.02) -> Setup:
    """MelGAN's generator on the tones (batch 4), trained with the multi-resolution STFT loss alone, as Multi-band
    MelGAN's and Parallel WaveGAN's recipes pre-train the generator before the discriminators start; Adam betas (0.5,
    0.9) as MelGAN, at lr 1e-3 (MelGAN's 1e-4 being for 400,000 steps); ``init_std``: every conv weight N(0,
    init_std^2) (1: the init common)."""
    torch.manual_seed(SEED0 + seed)
    model = MelGANGenerator(init_std=init_std)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.9))
    return _xy(model, opt, vocoder_clips(seed), multi_resolution_stft_loss)


# ---- BSRNN (Luo and Yu 2023) ---------------------------------------------------------------------------------------

#: BSRNN's band split of the 65 bins of a 128-point STFT: narrow bands low, wider bands high
BANDS = (4, 4, 4, 4, 8, 8, 8, 8, 17)


class BSRNN(nn.Module):
    """Band-split RNN, narrowed: a 128-point STFT (hop 32), the 65 bins split into 9 bands, each band's real and
    imaginary parts normed (GroupNorm of one group) and projected to 16 features; one band-sequence module (a
    bidirectional LSTM of 16 over time per band, then over the bands per frame, each with its GroupNorm and
    residual); per band and per stem a mask head (GroupNorm, an MLP of 64 with tanh and a GLU) giving a complex mask;
    the three stems' spectra masked from the mixture's and inverted."""

    def __init__(self, stems: int = 3, d: int = 16, n_fft: int = 128, hop: int = 32) -> None:
        super().__init__()
        self.n_fft, self.hop, self.stems, self.d = n_fft, hop, stems, d
        self.split = nn.ModuleList([nn.Sequential(nn.GroupNorm(1, 2 * b), nn.Conv1d(2 * b, d, 1)) for b in BANDS])
        self.norm_t, self.norm_k = nn.GroupNorm(1, d), nn.GroupNorm(1, d)
        self.rnn_t = nn.LSTM(d, d, batch_first=True, bidirectional=True)
        self.rnn_k = nn.LSTM(d, d, batch_first=True, bidirectional=True)
        self.fc_t, self.fc_k = nn.Linear(2 * d, d), nn.Linear(2 * d, d)
        self.heads = nn.ModuleList([nn.Sequential(nn.GroupNorm(1, d), nn.Conv1d(d, 64, 1), nn.Tanh(),
                                                  nn.Conv1d(64, 2 * 2 * b * stems, 1), nn.GLU(1)) for b in BANDS])

    def forward(self, mix: torch.Tensor) -> torch.Tensor:
        win = torch.hann_window(self.n_fft, dtype=mix.dtype)
        spec = torch.stft(mix, self.n_fft, self.hop, window=win, return_complex=True)  # (B, 65, T)
        b, _, t = spec.shape
        feats, lo = [], 0
        for band, w in zip(self.split, BANDS):
            z = spec[:, lo:lo + w]
            feats.append(band(torch.cat([z.real, z.imag], 1)))
            lo += w
        h = torch.stack(feats, 1)  # (B, K, d, T)
        k = h.shape[1]
        x = self.norm_t(h.reshape(b * k, self.d, t)).transpose(1, 2)
        h = h + self.fc_t(self.rnn_t(x)[0]).transpose(1, 2).reshape(b, k, self.d, t)
        x = self.norm_k(h.permute(0, 3, 2, 1).reshape(b * t, self.d, k)).transpose(1, 2)
        h = h + self.fc_k(self.rnn_k(x)[0]).reshape(b, t, k, self.d).permute(0, 2, 3, 1)
        masks, lo = [], 0
        for i, (head, w) in enumerate(zip(self.heads, BANDS)):
            m = head(h[:, i]).reshape(b, self.stems, 2, w, t)
            masks.append(torch.complex(m[:, :, 0], m[:, :, 1]))
            lo += w
        est = torch.cat(masks, 2) * spec[:, None]
        wav = torch.istft(est.reshape(b * self.stems, -1, t), self.n_fft, self.hop, window=win, length=mix.shape[-1])
        return wav.reshape(b, self.stems, -1)


def bsrnn_loss(est: torch.Tensor, stems: torch.Tensor) -> torch.Tensor:
    """BSRNN's loss: the L1 of the stems' STFTs' real and imaginary parts plus the L1 of the waveforms."""
    b = stems.shape[0] * stems.shape[1]
    win = torch.hann_window(128, dtype=est.dtype)
    se = torch.stft(est.reshape(b, -1), 128, 32, window=win, return_complex=True)
    ss = torch.stft(stems.reshape(b, -1), 128, 32, window=win, return_complex=True)
    return F.l1_loss(torch.view_as_real(se), torch.view_as_real(ss)) + F.l1_loss(est, stems)


def bsrnn(seed: int, lr: float = 1e-3) -> Setup:
    """BSRNN on the three-stem mixtures (batch 4), :func:`bsrnn_loss`, Adam at the paper's lr 1e-3 with its gradient
    clipping at norm 5."""
    torch.manual_seed(SEED0 + seed)
    model = BSRNN()
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), separation_mixtures(seed), bsrnn_loss, clip=5.0)


# ---- FullSubNet (Hao et al. 2021) ----------------------------------------------------------------------------------

def crm_target(noisy: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """The compressed complex ideal ratio mask ``K (1 - e^{-C M}) / (1 + e^{-C M})`` (K = 10, C = 0.1) of ``clean /
    noisy`` on a 64-point STFT (hop 16): ``(b, 2, 33, T)``."""
    win = torch.hann_window(64)
    y = torch.stft(noisy, 64, 16, window=win, return_complex=True)
    s = torch.stft(clean, 64, 16, window=win, return_complex=True)
    den = y.real ** 2 + y.imag ** 2 + 1e-8
    mr = (y.real * s.real + y.imag * s.imag) / den
    mi = (y.real * s.imag - y.imag * s.real) / den
    m = torch.stack([mr, mi], 1)
    return 10 * torch.tanh(0.05 * m)  # = K (1 - e^{-C m}) / (1 + e^{-C m}), without its inf / inf


class FullSubNet(nn.Module):
    """FullSubNet, narrowed: the noisy magnitude (33 bins) normalised by its mean; a full-band model (two LSTM layers
    of 64 over time, a Linear and ReLU to one value per bin); a sub-band model shared by every bin (two LSTM layers of
    16 over time on the bin's neighbourhood of +-5 bins plus its full-band output, a Linear to the cIRM's two
    parts); the reference code's look-ahead left out. ``radius``: every LSTM's recurrent weights (full-band and
    sub-band) scaled to that spectral radius per gate block, random orthogonal blocks times ``radius`` (the recurrence
    common)."""

    def __init__(self, bins: int = 33, n: int = 5, radius: float | None = None) -> None:
        super().__init__()
        self.n = n
        self.full = nn.LSTM(bins, 64, 2, batch_first=True)
        self.full_out = nn.Linear(64, bins)
        self.sub = nn.LSTM(2 * n + 2, 16, 2, batch_first=True)
        self.sub_out = nn.Linear(16, 2)
        if radius is not None:
            with torch.no_grad():
                for name, p in [*self.full.named_parameters(), *self.sub.named_parameters()]:
                    if name.startswith("weight_hh"):
                        for blk in p.view(4, p.shape[1], p.shape[1]):
                            blk.copy_(torch.linalg.qr(torch.randn_like(blk))[0] * radius)

    def forward(self, noisy: torch.Tensor) -> torch.Tensor:
        mag = torch.stft(noisy, 64, 16, window=torch.hann_window(64, dtype=noisy.dtype), return_complex=True).abs()
        mag = mag / mag.mean((1, 2), keepdim=True).clamp_min(1e-5)  # (B, F, T)
        b, f, t = mag.shape
        full = F.relu(self.full_out(self.full(mag.transpose(1, 2))[0])).transpose(1, 2)  # (B, F, T)
        pad = F.pad(mag, (0, 0, self.n, self.n), mode="reflect")
        nb = pad.unfold(1, 2 * self.n + 1, 1)  # (B, F, T, 2n+1)
        x = torch.cat([nb, full[..., None]], -1).reshape(b * f, t, -1)
        out = self.sub_out(self.sub(x)[0]).reshape(b, f, t, 2)
        return out.permute(0, 3, 1, 2)


def fullsubnet(seed: int, lr: float = 1e-3, radius: float | None = None, other_clean: bool = False) -> Setup:
    """FullSubNet on the noisy tones (batch 4), the paper's MSE on the compressed cIRM, Adam at the reference code's
    lr 1e-3, gradient clipping at norm 10 as the reference code; ``other_clean``: every clip's clean target another
    clip's (data); ``radius``: see :class:`FullSubNet`."""
    torch.manual_seed(SEED0 + seed)
    model = FullSubNet(radius=radius)
    raw = noisy_speech(seed, other_clean=other_clean)

    def batches(step: int) -> Any:
        noisy, clean = raw(step)
        return noisy, crm_target(noisy, clean)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), batches, F.mse_loss, clip=10.0)


# ---- cnn-trad-fpool3 (Sainath and Parada 2015) ---------------------------------------------------------------------

class CnnTradFpool3(nn.Module):
    """Sainath and Parada's cnn-trad-fpool3, narrowed: a conv of 32 filters of 10x5 (time x frequency), ReLU, max
    pooling of 3 in frequency, a conv of 32 filters of 5x3, ReLU, a linear low-rank layer of 32, a DNN layer of 128
    with ReLU (``dnn_layers`` of them: the depth common at PyTorch's default init), the 12-way output; ``bias``: both
    convs' biases set to that constant (the activation common)."""

    def __init__(self, dnn_layers: int = 1, bias: float | None = None) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 32, (10, 5)), nn.ReLU(), nn.MaxPool2d((1, 3)),
                                  nn.Conv2d(32, 32, (5, 3)), nn.ReLU())
        if bias is not None:
            for m in self.conv:
                if isinstance(m, nn.Conv2d):
                    nn.init.constant_(m.bias, bias)
        dnn: list[nn.Module] = [nn.Linear(32 * 11 * 3, 32)]
        width = 32
        for _ in range(dnn_layers):
            dnn += [nn.Linear(width, 128), nn.ReLU()]
            width = 128
        self.dnn = nn.Sequential(*dnn, nn.Linear(128, KWS_CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dnn(self.conv(x).flatten(1))


def kd_loss(logits: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    """Distillation: ``KL(teacher || student)`` as ``F.kl_div(student log-probs, teacher probs)``."""
    return F.kl_div(F.log_softmax(logits, 1), soft, reduction="batchmean")


def kd_loss_keras_order(logits: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    """The slip: ``F.kl_div`` called in Keras's ``KLDivergence()(y_true, y_pred)`` order, the teacher's probabilities
    as ``input`` and the student's log-probabilities as ``target`` (``target * (log target - input)`` takes the log
    of negative numbers: NaN)."""
    return F.kl_div(soft, F.log_softmax(logits, 1), reduction="batchmean")


def cnn_trad(seed: int, lr: float = 0.02, dnn_layers: int = 1, eps: float = 1e-5, shuffled: bool = False,
             distill: bool = False, keras_order: bool = False, bias: float | None = None) -> Setup:
    """cnn-trad-fpool3 on the keyword patches (batch 32), cross-entropy, SGD with momentum 0.9 and weight decay 1e-5
    as Honk's reference training of it, at lr 0.02 (set here); ``distill``: trained on a teacher's soft posteriors
    with :func:`kd_loss` (``keras_order``: :func:`kd_loss_keras_order`, the slip); ``bias``: see
    :class:`CnnTradFpool3`; ``eps``: CMVN's eps (0: the numeric common)."""
    torch.manual_seed(SEED0 + seed)
    model = CnnTradFpool3(dnn_layers, bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-5)
    loss = F.cross_entropy
    if distill:
        loss = kd_loss_keras_order if keras_order else kd_loss
    return _xy(model, opt, kws_batches(seed, eps=eps, shuffled=shuffled, soft=distill), loss)


# ---- musicnn (Pons and Serra 2019) ---------------------------------------------------------------------------------

class Musicnn(nn.Module):
    """musicnn, narrowed: the input's BatchNorm; the musically motivated front-end (timbral filters of 7 frames x 90%
    and 40% of the 32 bands, 8 each, and temporal filters of 16, 8 and 4 frames on the band-mean, 4 each; each conv,
    BatchNorm, ReLU, max over frequency); the mid-end (three 7-convs of 32 with BatchNorm and ReLU, the last two
    residual, their outputs concatenated with the front-end's); the back-end (max and mean over time, BatchNorm,
    dropout 0.5, a dense layer of 64 with BatchNorm and ReLU, dropout 0.5, the 16 tag logits). ``bias``: every conv
    before a ReLU given that bias (not used by a case); ``norm=False``: every BatchNorm removed (the
    normalization common)."""

    def __init__(self, bands: int = 32, bias: float | None = None, norm: bool = True) -> None:
        super().__init__()

        def bn(c: int, d: int = 2) -> nn.Module:
            if not norm:
                return nn.Identity()
            return nn.BatchNorm2d(c) if d == 2 else nn.BatchNorm1d(c)
        self.inp = bn(1)
        self.timbral = nn.ModuleList([nn.Sequential(nn.Conv2d(1, 8, (int(r * bands), 7), padding=(0, 3)), bn(8),
                                                    nn.ReLU()) for r in (0.9, 0.4)])
        self.temporal = nn.ModuleList([nn.Sequential(nn.Conv1d(1, 4, k, padding=k // 2), bn(4, 1), nn.ReLU())
                                       for k in (16, 8, 4)])
        self.mid = nn.ModuleList([nn.Sequential(nn.Conv1d(28 if i == 0 else 32, 32, 7, padding=3), bn(32, 1),
                                                nn.ReLU()) for i in range(3)])
        self.back = nn.Sequential(bn(2 * (28 + 96), 1), nn.Dropout(0.5), nn.Linear(2 * (28 + 96), 64), bn(64, 1),
                                  nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, TAGS))
        if bias is not None:
            for m in self.modules():
                if isinstance(m, (nn.Conv1d, nn.Conv2d)):
                    nn.init.constant_(m.bias, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[-1]
        x = self.inp(x[:, None])  # (B, 1, F, T)
        front = [c(x).amax(2) for c in self.timbral]
        mean_f = x.mean(2)
        front += [c(mean_f)[..., :t] for c in self.temporal]
        h = torch.cat(front, 1)
        outs = [h]
        for i, m in enumerate(self.mid):
            h = m(h) if i == 0 else h + m(h)
            outs.append(h)
        h = torch.cat(outs, 1)
        return self.back(torch.cat([h.amax(-1), h.mean(-1)], 1))


def musicnn(seed: int, lr: float = 3e-3, bias: float | None = None, norm: bool = True) -> Setup:
    """musicnn on the tagging clips (batch 16), binary cross-entropy over the 16 tags, Adam at lr 3e-3 (the reference
    code's 1e-3 raised for 200 steps)."""
    torch.manual_seed(SEED0 + seed)
    model = Musicnn(bias=bias, norm=norm)
    return _xy(model, torch.optim.Adam(model.parameters(), lr=lr), tagging_batches(seed),
               F.binary_cross_entropy_with_logits)


# ---- the framewise ConvNet of Kelz et al. (2016) -----------------------------------------------------------------

class KelzConvNet(nn.Module):
    """Kelz et al.'s framewise piano-transcription ConvNet ("On the potential of simple framewise approaches to piano
    transcription", ISMIR 2016), narrowed: a 3x3 conv of 16 with ReLU, a 3x3 conv of 16 with BatchNorm and ReLU, max
    pooling of 2 in frequency, dropout 0.25, a 3x3 conv of 32 with BatchNorm and ReLU, max pooling of 2 in frequency,
    dropout 0.25, a dense layer of 128 with BatchNorm and ReLU, dropout 0.5, and the 24 keys' logits; every conv padded
    so that each frame of a clip is predicted at once (the paper's context window is the convs' receptive field)."""

    def __init__(self, bins: int = 48, keys: int = 24) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d((1, 2)), nn.Dropout(0.25),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d((1, 2)), nn.Dropout(0.25))
        self.dense = nn.Linear(32 * bins // 4, 128)
        self.bn = nn.BatchNorm1d(128)
        self.out = nn.Sequential(nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, keys))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.dense(self.conv(x[:, None]).transpose(1, 2).flatten(2))  # (B, T, 128)
        return self.out(self.bn(h.transpose(1, 2)).transpose(1, 2))


def kelz(seed: int, lr: float = 3e-3, adamw: bool = False, weight_decay: float = 0.0,
         eps: float | None = 1e-6) -> Setup:
    """Kelz et al.'s ConvNet on the piano-roll clips (batch 8), the framewise binary cross-entropy, Adam at lr 3e-3
    (set here); ``adamw``: AdamW at ``weight_decay`` (the regularization common); ``eps``: the log's floor (None:
    ``log(power)`` of the digital silence, the numeric common)."""
    torch.manual_seed(SEED0 + seed)
    model = KelzConvNet()
    opt = (torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay) if adamw
           else torch.optim.Adam(model.parameters(), lr=lr))
    return _xy(model, opt, transcription_batches(seed, eps=eps), F.binary_cross_entropy_with_logits)


# ---- CAM++ (Wang et al. 2023) --------------------------------------------------------------------------------------

class CAMLayer(nn.Module):
    """A context-aware masking layer: a local 3-conv, masked by ``sigmoid(MLP(mean over time + segment means))``."""

    def __init__(self, cin: int, cout: int, seg: int = 10) -> None:
        super().__init__()
        self.local = nn.Conv1d(cin, cout, 3, padding=1)
        self.ctx = nn.Sequential(nn.Conv1d(cin, cin // 4, 1), nn.ReLU(), nn.Conv1d(cin // 4, cout, 1))
        self.seg = seg

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[-1]
        segs = F.avg_pool1d(x, self.seg, self.seg, ceil_mode=True)
        segs = segs.repeat_interleave(self.seg, -1)[..., :t]
        return self.local(x) * torch.sigmoid(self.ctx(x.mean(-1, keepdim=True) + segs))


class CAMPlus(nn.Module):
    """CAM++, narrowed: the FCM head (a 3x3 conv of 8 with BatchNorm and ReLU, a residual block of two 3x3 convs
    striding 2 in frequency), the 8 x 12 maps flattened to 96 channels; a TDNN layer (5-conv to 64); one dense
    TDNN block of three CAM layers (BatchNorm, ReLU, a 1x1 bottleneck of 32, BatchNorm, ReLU, a CAM layer of growth 16)
    and a transit layer to 64; statistics pooling (mean and std), a dense layer to the 32-dim embedding and a
    BatchNorm without affine. ``l1_slip``: the embedding normalised by ``emb.norm(1, keepdim=True)`` in the AAM head
    (the slip; see :class:`AAMSoftmax`)."""

    def __init__(self, bins: int = 24, norm: bool = True) -> None:
        super().__init__()

        def bn1(c: int, affine: bool = True) -> nn.Module:
            return nn.BatchNorm1d(c, affine=affine) if norm else nn.Identity()

        def bn2(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if norm else nn.Identity()
        self.head = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), bn2(8), nn.ReLU())
        self.res = nn.Sequential(nn.Conv2d(8, 8, 3, (2, 1), 1), bn2(8), nn.ReLU(),
                                 nn.Conv2d(8, 8, 3, padding=1), bn2(8))
        self.short = nn.Sequential(nn.Conv2d(8, 8, 1, (2, 1)), bn2(8))
        self.tdnn = nn.Sequential(nn.Conv1d(8 * bins // 2, 64, 5, padding=2), bn1(64), nn.ReLU())
        self.dense = nn.ModuleList()
        c = 64
        for _ in range(3):
            self.dense.append(nn.Sequential(bn1(c), nn.ReLU(), nn.Conv1d(c, 32, 1), bn1(32),
                                            nn.ReLU(), CAMLayer(32, 16)))
            c += 16
        self.transit = nn.Sequential(bn1(c), nn.ReLU(), nn.Conv1d(c, 64, 1))
        self.emb = nn.Sequential(nn.Linear(128, 32), bn1(32, affine=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x[:, None])
        h = F.relu(self.res(h) + self.short(h))
        h = self.tdnn(h.flatten(1, 2))
        for layer in self.dense:
            h = torch.cat([h, layer(h)], 1)
        h = self.transit(h)
        return self.emb(torch.cat([h.mean(-1), h.std(-1)], 1))


class AAMSoftmax(nn.Module):
    """The additive angular margin softmax (s = 32, m = 0.2) over the 16 speakers; ``l1_slip``: the embeddings
    normalised by ``emb / emb.norm(1, keepdim=True)``, ``Tensor.norm``'s first positional argument being ``p`` (the
    L1 norm of the whole batch) where ``emb.norm(dim=1, keepdim=True)`` was meant, as in ``sum(1, keepdim=True)``."""

    def __init__(self, dim: int = 32, classes: int = SPEAKERS, s: float = 32.0, m: float = 0.2,
                 l1_slip: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(classes, dim))
        nn.init.xavier_uniform_(self.weight)
        self.s, self.m, self.l1_slip = s, m, l1_slip

    def forward(self, emb: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        e = emb / emb.norm(1, keepdim=True) if self.l1_slip else F.normalize(emb, dim=1)
        cos = (e @ F.normalize(self.weight, dim=1).t()).clamp(-1 + 1e-7, 1 - 1e-7)
        target = torch.cos(torch.acos(cos) + self.m)
        onehot = F.one_hot(y, cos.shape[1]).bool()
        return F.cross_entropy(self.s * torch.where(onehot, target, cos), y)


class CAMPlusTrainer(nn.Module):
    """CAM++ with its AAM-softmax head: ``forward((x, y))`` is the loss."""

    def __init__(self, l1_slip: bool = False, norm: bool = True, swapped_head_args: bool = False) -> None:
        super().__init__()
        self.net = CAMPlus(norm=norm)
        # the slip: the margin and the scale passed in SpeechBrain's ``AdditiveAngularMargin(margin, scale)`` order
        self.head = (AAMSoftmax(32, SPEAKERS, 0.2, 32.0) if swapped_head_args else AAMSoftmax(l1_slip=l1_slip))

    def forward(self, batch: Any) -> torch.Tensor:
        x, y = batch
        return self.head(self.net(x), y)


def _model_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    return model(batch)


def campplus(seed: int, lr: float = 0.1, shuffled: bool = False, l1_slip: bool = False, norm: bool = True,
             batch: int = 16, frames: int = 32, swapped_head_args: bool = False) -> Setup:
    """CAM++ with the AAM softmax on the speaker features (batch 16), SGD with momentum 0.9 and weight decay 1e-4 at
    lr 0.1 as the 3D-Speaker recipe (its warm-up and cosine decay left out); ``shuffled``: the speaker labels permuted
    within every batch (data); ``l1_slip``: see :class:`AAMSoftmax`; ``norm=False``: every BatchNorm of the network
    replaced by ``nn.Identity`` (the embedding's last one too; the normalization common); ``swapped_head_args``: the
    head built ``AAMSoftmax(32, 16, 0.2, 32.0)``, the margin and scale in SpeechBrain's ``AdditiveAngularMargin(margin,
    scale)`` order where this head takes ``(s, m)`` (the slip: scale 0.2, margin 32 rad)."""
    torch.manual_seed(SEED0 + seed)
    model = CAMPlusTrainer(l1_slip, norm, swapped_head_args)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    batches = speaker_batches(seed, batch, frames, shuffled=shuffled)
    return Setup(model, opt, None, batches(0), None, _model_loss, batches, needs_closure=True)


# ---- DDSP (Engel et al. 2020) --------------------------------------------------------------------------------------

def exp_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """DDSP's scaled sigmoid ``2 sigmoid(x)^ln 10 + 1e-7``."""
    return 2 * torch.sigmoid(x) ** math.log(10) + 1e-7


class DDSPDecoder(nn.Module):
    """DDSP's decoder, narrowed: f0 (scaled to [0, 1] on a log scale) and loudness each through an MLP (two layers of
    64 with LayerNorm and ReLU), concatenated, a GRU of 64, concatenated with the MLP outputs again, an MLP of 64, a
    Linear to the overall amplitude and 16 harmonic weights (``exp_sigmoid``); the harmonic synthesiser (the filtered
    noise and reverb left out). ``radius``: the GRU's recurrent weights scaled to that spectral radius per gate block
    (the recurrence common)."""

    def __init__(self, harmonics: int = 16, hop: int = 64, radius: float | None = None) -> None:
        super().__init__()

        def mlp(cin: int) -> nn.Module:
            return nn.Sequential(nn.Linear(cin, 64), nn.LayerNorm(64), nn.ReLU(),
                                 nn.Linear(64, 64), nn.LayerNorm(64), nn.ReLU())
        self.f0_mlp, self.loud_mlp = mlp(1), mlp(1)
        self.gru = nn.GRU(128, 64, batch_first=True)
        self.out_mlp = mlp(64 + 128)
        self.out = nn.Linear(64, 1 + harmonics)
        self.hop = hop
        if radius is not None:
            with torch.no_grad():
                w = self.gru.weight_hh_l0
                for blk in w.view(3, 64, 64):
                    blk.copy_(torch.linalg.qr(torch.randn_like(blk))[0] * radius)

    def forward(self, inp: Any) -> torch.Tensor:
        f0, loud = inp
        f0_s = torch.log2(f0 / 55.0) / 4
        a, b = self.f0_mlp(f0_s), self.loud_mlp(loud)
        h = torch.cat([a, b], -1)
        h = self.out_mlp(torch.cat([self.gru(h)[0], h], -1))
        p = exp_sigmoid(self.out(h))
        return harmonic_synth(f0, p[..., :1], p[..., 1:], self.hop)


def ddsp(seed: int, lr: float = 1e-3, radius: float | None = None, adamw: bool = False,
         weight_decay: float = 0.0) -> Setup:
    """The DDSP autoencoder's decoder (f0 and loudness given, as in the paper's supervised setting) on the synthetic
    instrument's notes (batch 4), the multi-scale spectral loss, Adam at lr 1e-3 (the paper's 3e-4 with exponential
    decay being for 30,000 steps and more) with gradient clipping at norm 3 as the reference gin configs; ``adamw``:
    AdamW at ``weight_decay`` (the regularization common); ``radius``: see :class:`DDSPDecoder`."""
    torch.manual_seed(SEED0 + seed)
    model = DDSPDecoder(radius=radius)
    opt = (torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay) if adamw
           else torch.optim.Adam(model.parameters(), lr=lr))
    return _xy(model, opt, ddsp_batches(seed), multi_scale_spectral_loss, clip=3.0)
