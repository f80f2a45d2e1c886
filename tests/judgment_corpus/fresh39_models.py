"""Hand-written models of the fortieth held-out batch (``fresh39.py``), speech, video and multimodal ones: small
versions of published architectures new to the corpus, each with the switches its broken variants need (one fault
each, off by default). The language, vision and dynamics models are in ``fresh39_models2.py``."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

# ---- Deep Speech 2 ---------------------------------------------------------------------------------------------------


class DeepSpeech2(nn.Module):
    """Deep Speech 2 (Amodei et al. 2016), narrowed as the deepspeech.pytorch reference: two 2-D convolutions over
    (frequency, time) (16 channels, kernels 41x11 and 21x11 cut to 11x5 and 7x5, stride 2 in frequency and 1 in
    time), each with BatchNorm and the clipped ReLU ``hardtanh(x, 0, 20)``; two bidirectional GRU layers of 32 whose
    directions are summed, the second behind a sequence-wise BatchNorm; a fully connected layer to the characters and
    the CTC blank (index 0). Returns ``(time, batch, classes)`` log-probabilities. ``act_bias``: every convolution's
    BatchNorm bias set to that value (the clipped ReLUs dead when it is -10)."""

    def __init__(self, freq: int = 32, classes: int = 7, hidden: int = 32, act_bias: float | None = None) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, (11, 5), stride=(2, 1), padding=(5, 2)), nn.BatchNorm2d(16), nn.Hardtanh(0, 20),
            nn.Conv2d(16, 16, (7, 5), stride=(2, 1), padding=(3, 2)), nn.BatchNorm2d(16), nn.Hardtanh(0, 20))
        if act_bias is not None:
            with torch.no_grad():
                for m in self.conv:
                    if isinstance(m, nn.BatchNorm2d):
                        m.bias.fill_(act_bias)
        self.rnn1 = nn.GRU(16 * (freq // 4), hidden, batch_first=True, bidirectional=True)
        self.bn = nn.BatchNorm1d(hidden)
        self.rnn2 = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden, classes)
        self.hidden = hidden

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        x = self.conv(spec[:, None])  # (b, 16, f / 4, t)
        b, c, f, t = x.shape
        x = x.reshape(b, c * f, t).transpose(1, 2)
        h = self.rnn1(x)[0]
        h = h[..., :self.hidden] + h[..., self.hidden:]
        h = self.bn(h.reshape(b * t, -1)).reshape(b, t, -1)
        h = self.rnn2(h)[0]
        h = h[..., :self.hidden] + h[..., self.hidden:]
        return F.log_softmax(self.fc(h), -1).transpose(0, 1)


# ---- R(2+1)D ---------------------------------------------------------------------------------------------------------


class _Conv2Plus1D(nn.Sequential):
    """A (2+1)-D convolution: a spatial 1x3x3 convolution to ``mid`` channels, BatchNorm, ReLU, then a temporal 3x1x1
    one (``mid`` chosen as the paper's to match a full 3-D convolution's parameter count)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, bn: bool = True) -> None:
        mid = (3 * 3 * 3 * cin * cout) // (3 * 3 * cin + 3 * cout)
        super().__init__(nn.Conv3d(cin, mid, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=not bn),
                         nn.BatchNorm3d(mid) if bn else nn.Identity(), nn.ReLU(),
                         nn.Conv3d(mid, cout, (3, 1, 1), (stride, 1, 1), (1, 0, 0), bias=not bn))


class _Block(nn.Module):
    """R(2+1)D's basic residual block: two (2+1)-D convolutions with BatchNorm, the shortcut a strided 1x1x1
    convolution with BatchNorm where the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int, bn: bool) -> None:
        super().__init__()
        norm = (lambda c: nn.BatchNorm3d(c)) if bn else (lambda c: nn.Identity())
        self.c1, self.n1 = _Conv2Plus1D(cin, cout, stride, bn), norm(cout)
        self.c2, self.n2 = _Conv2Plus1D(cout, cout, 1, bn), norm(cout)
        self.short = (nn.Identity() if stride == 1 and cin == cout else
                      nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=not bn), norm(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.n1(self.c1(x)))
        return F.relu(self.n2(self.c2(out)) + self.short(x))


class R2Plus1D(nn.Module):
    """R(2+1)D (Tran et al. 2018, "A closer look at spatiotemporal convolutions for action recognition"), narrowed:
    the (2+1)-D stem (45 middle channels as the reference's, to 16), three basic blocks of 16, 32 (strided) and 64
    (strided) channels, global average pooling and a Linear; PyTorch's default init, as torchvision's
    ``r2plus1d_18`` leaves its convolutions (Kaiming-uniform), BatchNorm weights 1. ``bn``: every BatchNorm left
    out (the convolutions get their biases back)."""

    def __init__(self, classes: int = 4, bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(3, 45, (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=not bn), nn.BatchNorm3d(45) if bn else nn.Identity(),
            nn.ReLU(), nn.Conv3d(45, 16, (3, 1, 1), 1, (1, 0, 0), bias=not bn),
            nn.BatchNorm3d(16) if bn else nn.Identity(), nn.ReLU())
        self.blocks = nn.Sequential(_Block(16, 16, 1, bn), _Block(16, 32, 2, bn), _Block(32, 64, 2, bn))
        self.fc = nn.Linear(64, classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(self.stem(clip)).mean((2, 3, 4)))


# ---- LRCN ------------------------------------------------------------------------------------------------------------


class LRCN(nn.Module):
    """LRCN (Donahue et al. 2015, "Long-term recurrent convolutional networks"), narrowed for activity recognition: a
    per-frame CNN (two 3x3 convolutions of 16 and 32 with ReLU and max-pooling, a Linear to 64) feeding an LSTM of
    64, written out step by step as the reference's Caffe LSTM unit (gates ``i, f, o`` sigmoid, ``g`` tanh, ``c = f c
    + i g``, ``h = o tanh(c)``; weights U(-0.08, 0.08) as its prototxt, biases 0), a Linear per step, and the
    per-step predictions averaged over the clip (the paper's activity-recognition read-out). ``cell_typo``: the cell
    update written ``c = f * c + i * c`` (``c`` typed for ``g``: the cell starts at 0 and stays 0); ``forget_bias``:
    the forget gate's bias set to that value; ``recurrent_std``: the recurrent weights drawn N(0, std^2)."""

    def __init__(self, classes: int = 4, hidden: int = 64, cell_typo: bool = False, forget_bias: float = 0.0,
                 recurrent_std: float | None = None) -> None:
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                 nn.Linear(32 * 4 * 4, 64), nn.ReLU())
        self.wx, self.wh = nn.Linear(64, 4 * hidden), nn.Linear(hidden, 4 * hidden, bias=False)
        self.out = nn.Linear(hidden, classes)
        with torch.no_grad():
            for lin in (self.wx, self.wh):
                lin.weight.uniform_(-0.08, 0.08)
            self.wx.bias.zero_()
            self.wx.bias[hidden:2 * hidden] = forget_bias
            if recurrent_std is not None:
                self.wh.weight.normal_(0.0, recurrent_std)
        self.hidden, self.cell_typo = hidden, cell_typo

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        b, t = clip.shape[:2]
        feats = self.wx(self.cnn(clip.flatten(0, 1))).view(b, t, -1)
        h = c = clip.new_zeros(b, self.hidden)
        logits = []
        for step in range(t):
            i, f, o, g = (feats[:, step] + self.wh(h)).chunk(4, -1)
            i, f, o, g = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o), torch.tanh(g)
            c = f * c + i * (c if self.cell_typo else g)
            h = o * torch.tanh(c)
            logits.append(self.out(h))
        return torch.stack(logits, 1).mean(1)


# ---- Tensor Fusion Network -------------------------------------------------------------------------------------------


class _SubNet(nn.Sequential):
    """TFN's audio and visual sub-network (the reference's ``SubNet``): BatchNorm1d, dropout, three Linear-ReLU
    layers."""

    def __init__(self, d: int, hidden: int, drop: float) -> None:
        super().__init__(nn.BatchNorm1d(d), nn.Dropout(drop), nn.Linear(d, hidden), nn.ReLU(),
                         nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())


class TFN(nn.Module):
    """The Tensor Fusion Network (Zadeh et al. 2017), as the reference code of Liu et al.'s LMF repository: audio and
    visual sub-networks (hidden 8 and 8, dropout 0.2), a text sub-network (an LSTM of 32 over the word embeddings of
    32, dropout 0.2, a Linear to 32), each output with a 1 appended and their three-way outer product flattened (9 x
    9 x 33 = 2,673 values), then dropout 0.2 and the post-fusion Linear-ReLU layers (``post``: their widths, the
    reference's two of 32, built by a config as ``[post_fusion_dim] * post_fusion_layers``) to one output, squashed
    by ``sigmoid * 6 - 3`` to the sentiment range [-3, 3]; PyTorch's default init. ``fusion_bias``: the post-fusion
    hidden Linears' biases set to that value (every ReLU dead when it is -10); ``first_step``: the text read out as
    the LSTM's output at the first word, ``out[:, 0]`` (a [CLS]-style read-out), where its final state belongs."""

    def __init__(self, audio: int = 12, visual: int = 12, vocab: int = 32, post: list[int] | None = None,
                 fusion_bias: float | None = None, first_step: bool = False, init_std: float | None = None) -> None:
        super().__init__()
        self.audio, self.visual = _SubNet(audio, 8, 0.2), _SubNet(visual, 8, 0.2)
        self.emb = nn.Embedding(vocab, 32)
        self.lstm = nn.LSTM(32, 32, batch_first=True)
        self.text_out = nn.Sequential(nn.Dropout(0.2), nn.Linear(32, 32))
        widths = [9 * 9 * 33, *(post if post is not None else [32, 32])]
        layers: list[nn.Module] = [nn.Dropout(0.2)]
        for a, b in itertools.pairwise(widths):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.post = nn.Sequential(*layers, nn.Linear(widths[-1], 1))
        if fusion_bias is not None:
            with torch.no_grad():
                for m in list(self.post)[:-1]:
                    if isinstance(m, nn.Linear):
                        m.bias.fill_(fusion_bias)
        self.first_step = first_step
        if init_std is not None:
            with torch.no_grad():
                for m in self.modules():
                    if isinstance(m, (nn.Linear, nn.Embedding)):
                        m.weight.normal_(0.0, init_std)

    def forward(self, x: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        a, v, words = x
        one = a.new_ones(a.shape[0], 1)
        ha = torch.cat([one, self.audio(a)], 1)
        hv = torch.cat([one, self.visual(v)], 1)
        out, (h_n, _) = self.lstm(self.emb(words))
        ht = torch.cat([one, self.text_out(out[:, 0] if self.first_step else h_n[-1])], 1)
        z = torch.einsum("bi,bj,bk->bijk", ha, hv, ht).flatten(1)
        return (torch.sigmoid(self.post(z)) * 6 - 3).squeeze(1)
