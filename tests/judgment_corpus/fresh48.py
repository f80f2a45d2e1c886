"""The forty-ninth held-out batch (half ``"fresh48"``): eight published architectures new to the corpus at their
usual settings, and sixteen broken variants with one real fault each, written and labelled with plain PyTorch before
gradguard was ever run on them. Like every fresh batch it is only scored, never tuned on.

Healthy (each a family new to the corpus, from speech, graphs, language modelling, text matching, generative
modelling, medical imaging and remote sensing; the settings are the paper's or its reference code's unless said; the
data are synthetic, drawn from the seeds 480_000 + seed): the attention RNN for speech commands (de Andrade et al.
2018, narrowed: the in-model log of the mel power spectrogram ``log(mel + 1e-6)``, two (5, 1) convolutions of 10 and
1 filters with BatchNorm and ReLU, two bidirectional LSTMs of 32 a direction, the middle step's output as the query
of a dot-product attention over the steps, Dense 64 and 32, softmax; PyTorch's default init; Adam at the paper's lr
1e-3) classifying zero-padded keyword spectrograms of 24 frames (8 keywords), the ARMA GNN (Bianchi et al. 2021, as
PyTorch Geometric's ``ARMAConv`` and its example: two ARMA convolutions of 3 stacks and 2 recursions with shared
weights and dropout 0.25, hidden 16, input and hidden dropout 0.5; Glorot init; Adam lr 0.01 weight decay 5e-4) and
TAGCN (Du et al. 2017: two topology adaptive convolutions of K = 3 hops, hidden 16, dropout 0.5; PyTorch's default
init; Adam lr 0.01 weight decay 5e-4, PyTorch Geometric's benchmark setting) classifying the nodes of a 300-node
stochastic block model with weak features (loss over the training half), MatchPyramid (Pang et al. 2016, narrowed:
embeddings of 32, the dot-product matching matrix, a 3x3 convolution of 8 kernels with ReLU, dynamic pooling to 4x4,
an MLP of 64; PyTorch's default init; Adam at MatchZoo's lr 1e-3) telling paraphrase pairs of 12-word texts from
unrelated ones, the VampPrior VAE (Tomczak and Welling 2018, narrowed: gated dense encoder and decoder of 64 units
and two layers, 8 latent dimensions with the log-variance through ``Hardtanh(-6, 2)``, a Bernoulli decoder, the prior
the mixture of the posteriors at 16 pseudo-inputs drawn N(0.05, 0.01^2); He-normal init as the reference; the
negative ELBO, Adam at the paper's lr 5e-4 without its KL warm-up) on 8x8 binary images of 8 noisy prototypes, V-Net
(Milletari et al. 2016, narrowed: three resolutions of 4, 8, 16 channels on 12^3 volumes, residual stages of 3^3
convolutions with BatchNorm and PReLU as the vnet.pytorch reference, strided convolutions down and transposed ones
up, concatenated skips, a two-way softmax; PyTorch's default init; the paper's Dice loss, SGD at the reference's lr
0.1, momentum 0.99, weight decay 1e-8) segmenting a ball-shaped lesion in noisy scans, PSE + L-TAE (Garnot and
Landrieu 2020, after Garnot et al.'s pixel-set encoder, narrowed: the shared pixel MLP 10-32-64 with BatchNorm and
mean/std pooling, the lightweight temporal attention of 8 heads with learned master queries (key dimension 8) over the
dates' channel groups with sinusoidal day-of-year encodings, LayerNorms, dropout 0.2, the decoder 64-32 and the
classifier; Adam at the paper's lr 1e-3) classifying parcels' series of 24 dates, 6 pixels and 10 bands (6 crops),
and the NPLM (Bengio et al. 2003: the features of the 4 context words (m = 30) concatenated, ``b + W x + U tanh(d +
H x)`` with the direct connections and 50 hidden units; PyTorch's default init; SGD with the paper's weight decay
1e-4 at lr 0.5, set here: the paper's 1e-3 is a per-example lr) predicting the next word of the corpus' Markov text
over 64 words.

Broken: one fault each, over all nine causes. As in ``fresh10`` to ``fresh46``, two kinds of fault are mixed, and
each case says which (``# kind:`` beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every NPLM weight (the word features, H, U
  and the direct W) zero (init), ARMA's first convolution's biases -10 (every hidden unit dead; activation),
  MatchPyramid's MLP 30 hidden layers deep at PyTorch's default init (depth), the attention RNN's LSTM recurrent
  matrices drawn N(0, 10^2) (every gate saturated by the state; recurrence), MatchPyramid at Adam lr 1, the
  VampPrior VAE at Adam lr 1 and the NPLM at SGD lr 10 (lr), V-Net without its BatchNorms at the reference's SGD lr
  0.1 and momentum 0.99 (normalization), TAGCN at Adam ``weight_decay=1`` and the VampPrior VAE at Adam
  ``weight_decay=1`` (regularization), the attention RNN's keywords permuted within every batch, apart from their
  spectrograms (data), and its log-mel taken as ``log(mel)`` without the eps on clips zero-padded to the window (``log
  0 = -inf``; numeric);
- **slip** (a user's mistake in fine-tuning, freezing or checkpoint code, of a kind no earlier batch used), all on a
  linear probe of PSE + L-TAE: the L-TAE pre-trained for 100 plain steps on its 6 crops inside the builder, its
  state dict saved and loaded into a fresh model, every parameter frozen, the classifier replaced by a new
  ``Linear(32, 8)`` for 8 new crops and only it trained (Adam lr 1e-2, weight decay 1e-4, batches of 8; set here).
  The optimizer built over the trainable parameters before the new head replaced the old one (it steps the
  discarded classifier; the new head never trains; lr), the freeze written ``p.requires_grad_(not
  name.startswith("decoder.3"))``, its condition inverted, over a new head zero-initialised by the fine-tuning habit
  (the zero head is frozen and passes no gradient to the now trainable backbone; lr, with init as a second cause),
  the backbone "frozen" by gradient hooks, ``p.register_hook(torch.zeros_like)``, with the optimizer built over
  ``model.parameters()``: Adam's coupled L2 term ``1e-4 * p`` is then each backbone weight's whole gradient, and
  Adam normalises it into a step of about the lr (1e-2) towards zero, so the pretrained features are decayed away
  (regularization), and the new head imprinted (Qi et al. 2018) from the first fine-tuning batch, each crop's mean
  feature normalised, while that batch of 8 holds only 5 of the 8 crops (at both seeds): the mean of no rows is NaN
  (numeric). None of the slips is an init, activation, depth, recurrence, normalization or data one.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; the commons' are the healthy builds (the depth case's is MatchPyramid at its own one hidden layer), the
slips' the correct linear probe (``ltae_finetune``).

Learning criteria: the classifiers compare with chance (the attention RNN's eight keywords, ARMA's and TAGCN's four
classes, MatchPyramid's two, the L-TAE's six crops and the probe's eight, the NPLM's 64 words); the VampPrior VAE
and V-Net compare with their first loss. Measured plain runs, 200 steps (seed 0, seed 1): the attention RNN 2.073 ->
0.00124 and 2.064 -> 0.00138; ARMA 1.874 -> 0.0230 and 2.073 -> 0.0588; TAGCN 1.410 -> 0.0025 and 1.542 -> 0.0092;
MatchPyramid 1.253 -> 0.0427 and 0.946 -> 0.0504; the VampPrior VAE 54.44 -> 24.16 and 55.60 -> 25.96 nats; V-Net
0.804 -> 0.133 and 0.898 -> 0.105; the L-TAE 1.895 -> 0.128 and 1.910 -> 0.104; the NPLM 4.282 -> 0.892 and 4.417 ->
0.791; the probe (the slips' control) 2.193 -> 0.506 and 1.881 -> 0.394 (the criterion 1.560 and 1.411). Broken:
``nplm_zero_init`` 4.161 -> 4.147 and 4.162 -> 4.146 (only the biases learn: the unigram); ``arma_relu_biases_minus_10``
1.386 -> 1.383 and 1.386 -> 1.380; ``matchpyramid_30_layers_default_init`` 0.697 -> 0.693 and 0.690 -> 0.693;
``att_rnn_recurrent_std_10`` 2.066 -> 2.076 and 2.063 -> 2.079; ``matchpyramid_adam_lr1`` diverges at step 1 at both
seeds (ends 0.699 and 0.900; weights x11.0 and x10.6); ``vampprior_vae_adam_lr1`` diverges at step 1 at both seeds
(ends 3.3e13 and 4.6e9; weights x44 and x33); ``nplm_sgd_lr10`` diverges at steps 4 and 3 (ends 35.3 and 29.9;
weights x5.1 and x4.8); ``vnet_without_batchnorm`` 0.813 -> 0.879 and 0.835 -> 0.931 (it dips to 0.11 and 0.20, then
comes apart; weights x9.1 and x6.3; no divergence step, the Dice loss being at most 1); ``tagcn_adam_weight_decay_1``
1.410 -> 1.292 and 1.542 -> 1.243 (the criterion 1.040); ``vampprior_vae_adam_weight_decay_1`` 54.44 -> 43.83 and
55.60 -> 43.52 (the criteria 40.83 and 41.70); ``att_rnn_labels_shuffled`` 2.073 -> 2.065 and 2.063 -> 2.071;
``att_rnn_log_mel_without_eps`` is non-finite at step 0 at both seeds (the loss itself);
``ltae_finetune_optimizer_built_before_new_head`` 2.193 -> 2.232 and 1.881 -> 2.026;
``ltae_finetune_head_frozen_instead_of_backbone`` 2.079 -> 2.079 at both seeds (``ln 8``, exactly);
``ltae_finetune_backbone_frozen_by_zeroing_hooks`` 2.193 -> 2.063 and 1.881 -> 2.061; and
``ltae_finetune_head_imprinted_from_first_batch`` is non-finite at step 0 at both seeds. Every case takes at most
3.3 s of CPU a seed (the attention RNN the slowest, then V-Net at 2.6 s; 7 to 15 s of wall time on a machine shared
with other work).

Dropped or changed before the freeze (every figure above is from the final code; the dropped variants' figures are
from the code of the time): CREPE (Kim et al. 2018) was the first audio model, pitch estimation on 256-sample frames
with its blurred-target BCE; at the paper's lr 2e-4 it ended at 0.569 and 0.587, above the 0.108 an input-blind
constant reaches, and at lr 2e-3 at 0.114 (barely the blind loss), so it was replaced by TAGCN; its numeric common
(the frame standardised without the ``clip(std, 1e-8)`` on silent frames) moved to the attention RNN's log-mel.
MatchPyramid's hidden biases at -10 learned (0.665 -> 0.041: its pooled dot products, of order 30, revive the
units); the activation common is ARMA's. MatchPyramid at Adam weight decay 1 (1.253 -> 0.249) and the L-TAE at Adam
weight decay 1 (1.994 -> 0.827, the criterion 1.34) learned; TAGCN's and the VampPrior VAE's are kept. TAGCN on the
raw adjacency (no ``D^-1/2 ... D^-1/2``) learned at seed 1 (1860 -> 0.817) and V-Net without BatchNorm at Adam lr
1e-3 (the first healthy setting) learned (0.749 -> 0.101 and 0.731 -> 0.090); V-Net now trains at the reference's
SGD, where it does not. Two fine-tuning slips were written, measured and dropped because the probe still learned:
the checkpoint dict ``{"model": ..., "step": ...}`` passed whole to ``load_state_dict(..., strict=False)`` (nothing
loads: a linear probe of the random frozen L-TAE ended at 0.943 and 1.062, below the criterion), and the backbone's
and head's lrs swapped in a full fine-tune (1e-2 for the backbone, 1e-4 for the new head: 2.193 -> 0.152 and 1.881
-> 0.166). The V-Net, the L-TAE and the attention RNN were made smaller (16^3 to 12^3 volumes, 8 to 6 pixels and
batch 32 to 16, 32 to 24 frames) for time. Commons outnumber the slips (12 to 4).
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh48_builders as F

P = functools.partial
HALF = "fresh48"
#: chance losses: eight keywords (the attention RNN) and eight new crops (the L-TAE probe), four classes (ARMA's and
#: TAGCN's nodes), two (MatchPyramid's pairs), six crops (the L-TAE), 64 words (the NPLM); the VampPrior VAE and V-Net
#: have none (their first loss is the reference)
C8, C4, C2, C6, WORDS = math.log(8), math.log(4), math.log(2), math.log(6), math.log(64)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH48_HEALTHY: list[Case] = [
    _h("att_rnn_keywords", HALF, "att_rnn", F.att_rnn, C8),
    _h("arma_sbm_nodes", HALF, "arma", F.arma, C4),
    _h("tagcn_sbm_nodes", HALF, "tagcn", F.tagcn, C4),
    _h("matchpyramid_paraphrases", HALF, "matchpyramid", F.matchpyramid, C2),
    _h("vampprior_vae_binary_images", HALF, "vampprior", F.vamp_vae, None),
    _h("vnet_lesion_scans", HALF, "vnet", F.vnet, None),
    _h("ltae_parcel_series", HALF, "ltae", F.ltae, C6),
    _h("nplm_markov_windows", HALF, "nplm", F.nplm, WORDS),
]

FRESH48_BROKEN: list[Case] = [
    # init
    _b("nplm_zero_init", HALF, ("init",), VANISH, STUCK,  # kind: common
       P(F.nplm, zero_init=True), WORDS),
    # activation
    _b("arma_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.arma, relu_bias=-10.0), C4),
    # depth
    _b("matchpyramid_30_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.matchpyramid, layers=30), C2),
    # recurrence
    _b("att_rnn_recurrent_std_10", HALF, ("recurrence", "init"), BOTH, STUCK,  # kind: common
       P(F.att_rnn, recurrent_std=10.0), C8),
    # lr
    _b("matchpyramid_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.matchpyramid, lr=1.0), C2),
    _b("vampprior_vae_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.vamp_vae, lr=1.0), None),
    _b("nplm_sgd_lr10", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.nplm, lr=10.0), WORDS),
    _b("ltae_finetune_optimizer_built_before_new_head", HALF, ("lr",), VANISH, STUCK,  # kind: slip
       P(F.ltae_finetune, slip="optimizer_before_head"), C8),
    _b("ltae_finetune_head_frozen_instead_of_backbone", HALF, ("lr", "init"), VANISH, STUCK,  # kind: slip
       P(F.ltae_finetune, slip="head_frozen"), C8),
    # normalization
    _b("vnet_without_batchnorm", HALF, ("normalization", "lr"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.vnet, bn=False), None),
    # regularization
    _b("tagcn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.tagcn, weight_decay=1.0), C4),
    _b("vampprior_vae_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.vamp_vae, weight_decay=1.0), None),
    _b("ltae_finetune_backbone_frozen_by_zeroing_hooks", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.ltae_finetune, slip="hook_freeze"), C8),
    # data
    _b("att_rnn_labels_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.att_rnn, shuffled=True), C8),
    # numeric
    _b("att_rnn_log_mel_without_eps", HALF, ("numeric",), NONFINITE, ("nonfinite",),  # kind: common
       P(F.att_rnn, log_eps=False), C8),
    _b("ltae_finetune_head_imprinted_from_first_batch", HALF, ("numeric",), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.ltae_finetune, slip="imprint"), C8),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "nplm_zero_init": "common", "arma_relu_biases_minus_10": "common", "matchpyramid_30_layers_default_init": "common",
    "att_rnn_recurrent_std_10": "common", "matchpyramid_adam_lr1": "common", "vampprior_vae_adam_lr1": "common",
    "nplm_sgd_lr10": "common", "ltae_finetune_optimizer_built_before_new_head": "slip",
    "ltae_finetune_head_frozen_instead_of_backbone": "slip", "vnet_without_batchnorm": "common",
    "tagcn_adam_weight_decay_1": "common", "vampprior_vae_adam_weight_decay_1": "common",
    "ltae_finetune_backbone_frozen_by_zeroing_hooks": "slip", "att_rnn_labels_shuffled": "common",
    "att_rnn_log_mel_without_eps": "common", "ltae_finetune_head_imprinted_from_first_batch": "slip",
}

#: the cases (half "fresh48")
FRESH48: list[Case] = FRESH48_HEALTHY + FRESH48_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "nplm_zero_init": F.nplm,
    "arma_relu_biases_minus_10": F.arma,
    "matchpyramid_30_layers_default_init": F.matchpyramid,
    "att_rnn_recurrent_std_10": F.att_rnn,
    "matchpyramid_adam_lr1": F.matchpyramid,
    "vampprior_vae_adam_lr1": F.vamp_vae,
    "nplm_sgd_lr10": F.nplm,
    "ltae_finetune_optimizer_built_before_new_head": F.ltae_finetune,
    "ltae_finetune_head_frozen_instead_of_backbone": F.ltae_finetune,
    "vnet_without_batchnorm": F.vnet,
    "tagcn_adam_weight_decay_1": F.tagcn,
    "vampprior_vae_adam_weight_decay_1": F.vamp_vae,
    "ltae_finetune_backbone_frozen_by_zeroing_hooks": F.ltae_finetune,
    "att_rnn_labels_shuffled": F.att_rnn,
    "att_rnn_log_mel_without_eps": F.att_rnn,
    "ltae_finetune_head_imprinted_from_first_batch": F.ltae_finetune,
}
