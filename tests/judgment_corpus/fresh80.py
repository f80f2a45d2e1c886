"""The eighty-first held-out batch (half ``"fresh80"``): eight published mixture-of-experts, memory-augmented, capsule,
hypernetwork and autoencoder models new to the corpus at their usual settings, and fifteen broken variants with one
real fault each, written and labelled with plain PyTorch before gradguard was ever run on them. Like every fresh
batch it is only scored, never tuned on.

Healthy (each a family new to the corpus; the settings are the paper's or its reference code's unless said; the data
are synthetic, drawn from the seeds 800_000 + seed): Soft MoE (Puigcerver et al. 2023, narrowed to a small ViT: 4x4
patches of 16x16 images to 16 tokens of 64 plus learned positions, a pre-LN attention block of 4 heads, a pre-LN Soft
MoE block of 4 GELU experts (128 units) with 2 slots each, dispatch a softmax over the tokens and combine over the
slots, LayerNorm, mean pooling, Gaussian dropout 0.1 (Srivastava et al. 2014), the head; AdamW at lr 1e-3 weight decay
1e-4, set here) on class-template images (10 classes), expert-choice routing (Zhou et al. 2022, narrowed to a causal
LM: embeddings of 64, a pre-LN causal attention block of 4 heads, a pre-LN expert-choice FFN of 4 ReLU experts of 128
in which each expert takes its top ``n c / e`` tokens by the softmax router scores at the paper's capacity factor 1
(EC-CF1), its outputs weighted by those scores; Adam at lr 1e-3, set here) and the product-key memory (Lample et al.
2019, narrowed: the same LM with a PKM layer in place of the FFN: 2 heads, queries of 32 through the paper's
BatchNorm, two sets of 16 sub-keys (256 slots), top 4 per half and top 4 of the 16 candidates, softmax-weighted values
of 64; Adam at the paper's lr 1e-3) on the corpus' Markov text (batch 8 of 32 tokens), the Key-Value Memory Network
(Miller et al. 2016: key and value embeddings of 32, the question embedded by the key embedding, two hops ``q <- R_j
(q + sum_i softmax(q . k_i) v_i)``, the answer scored against candidate embeddings; Adam at lr 5e-3, set here) on
key-value stories (6 of 16 keys with random values of 16, a question naming one key; batch 32), Efficient-CapsNet
(Mazzia et al. 2021, narrowed to 16x16 images: four convolutions with BatchNorm and ReLU, a depthwise convolution to 16
primary capsules of 8 with the paper's squash ``(1 - e^-|s|) s / |s|``, self-attention routing to 10 class capsules of
16, the margin loss; Adam at the paper's lr 5e-4) on the class-template images, the HyperLSTM (Ha, Dai and Le 2016,
narrowed: a hyper LSTM cell of 16 reading ``[x_t, h_(t-1)]`` and emitting, through embeddings of 8, per-step scalings
of the main LSTM's input and recurrent products and its bias for every gate (starting at 1 and 0, as the paper),
the main LSTM of 64 without the paper's LayerNorm, forget bias 1, the last state to the classifier; Adam at lr 3e-3,
set here) labelling token sequences of 12 by the class of their first token (4 classes), the concrete autoencoder
(Abid, Balin and Zou 2019: a concrete selector layer of 6 Gumbel-softmax selectors over 16 features at a temperature
annealed exponentially from the paper's 10, here to 0.1 over the 200 steps where the paper ends at 0.01, and a decoder
of one LeakyReLU(0.2) layer of 64; MSE; Adam at lr 0.03, set here) on vectors of 16 features driven by 3 latent factors
(batch 64), and DIP-VAE-I (Kumar, Sattigeri and Balakrishnan 2018, narrowed: encoder and decoder MLPs of 128 ReLU
units, 8 latents, a Bernoulli decoder, the reparameterised sample, the negative ELBO plus the DIP-I penalty on the
covariance of the means with ``lambda_od = 1``, ``lambda_d = 10``, the paper's ratio; Adam at lr 1e-3, set here) on
binary vectors of 64 pixels (8 fixed templates, 5% of the pixels flipped; batch 64).

Broken: one fault each. As in ``fresh10`` onwards, two kinds of fault are mixed, and each case says which (``# kind:``
beside it, and ``KINDS``):

- **common** (the classic form of each cause, on the new architectures): every DIP-VAE Linear drawn N(0, 1) (the
  means and log-variances in the hundreds: ``exp(logvar)`` overflows and the loss is ``inf`` at step 0; init, with
  numeric accepted), DIP-VAE's biases before its two ReLU layers at -10 (every encoder and decoder unit dead: the
  decoder's output is its bias; activation), the concrete autoencoder's decoder 30 ReLU layers of 64 deep at PyTorch's
  default init (depth), the expert-choice LM at Adam lr 1, the PKM LM at Adam lr 1, Efficient-CapsNet at Adam lr 1,
  the KV-MemNN at Adam lr 1 and the HyperLSTM at Adam lr 1 (lr), Soft MoE at AdamW ``weight_decay=50`` and the KV-MemNN
  at Adam ``weight_decay=1`` (regularization), the KV-MemNN's answers permuted within every batch, apart from their
  stories (data), and the expert-choice combine weights renormalised per token over the experts that chose it, as in
  token-choice top-k code, on expert choice at capacity factor 1, where some tokens are chosen by no expert (their
  weights are ``0 / 0``, and ``NaN * 0`` of the dense scatter buffer reaches every output at step 0; numeric);
- **slip** (a user's mistake in hand-written stochastic layers and sampling code, of kinds no earlier batch used): the
  concrete selector's Gumbel noise written ``-log(log(u))`` where ``-log(-log(u))`` belongs, the inner minus sign lost
  (``log u < 0`` for every uniform draw, so the log of it is NaN: the selection weights and the loss are NaN at step
  0; numeric), Soft MoE's Gaussian dropout written ``x * sigma * eps`` where ``x * (1 + sigma * eps)`` belongs
  (multiplicative noise of mean 0 instead of 1: the pooled features reach the head with a random sign and a random
  scale at every step, so nothing learnable passes; regularization, a noise regulariser that destroys its input), and
  DIP-VAE's decoder fed the reparameterisation noise ``eps`` where the sample ``z = mu + std * eps`` belongs (a
  variable slip in the sampling lines: the decoder's input is independent of the data, so it can only learn the
  pixels' marginal and the encoder gets no reconstruction gradient; data, the reconstruction's inputs decoupled from
  its targets). Earlier stochastic-layer slips (dropout rescaled by ``/ p``, keep probabilities passed as ``p``,
  dropout on a carried state or in a loop, DropConnect through ``.data``, the log-variance used as the std, a
  variance-parameterised posterior on a log-variance head, a second ``randn_like`` for the noise target) are not
  repeated: here a Gumbel sample's sign, a Gaussian dropout's mean and the reparameterisation's output are wrong. None
  of the slips is an init, activation, depth, recurrence, lr or normalization one.

No recurrence and no normalization case is in this batch (see below): each was tried and learned in a plain run.

Each broken case has a control (``CONTROLS``): the same setting with its one fault removed, which learns at seeds 0
and 1; all are the healthy builds (the depth case's is the concrete autoencoder with its one decoder layer).

Learning criteria: the classifiers compare with chance (ten classes, four, the 16 answers), the LMs with ln 64,
DIP-VAE with ``64 ln 2 = 44.4`` nats (a decoder outputting 1/2 everywhere); Efficient-CapsNet's margin loss and the
concrete autoencoder's MSE compare with their first loss. Measured plain runs, 200 steps (seed 0, seed 1):
Soft MoE 2.409 -> 0.0120 and 2.392 -> 0.0115; expert choice 4.307 -> 1.237 and
4.388 -> 1.249; PKM 4.395 -> 1.285 and 4.334 -> 1.289; the KV-MemNN 2.772 -> 0.0022 and 2.767 -> 0.0015;
Efficient-CapsNet 1.098 -> 0.0025 and 1.020 -> 0.0021; the HyperLSTM 1.371 -> 0.0047 and 1.362 -> 0.0057; the concrete
autoencoder 0.881 -> 0.236 and 0.993 -> 0.322; DIP-VAE 123.7 -> 24.44 and 123.8 -> 25.83 (the first loss holds the DIP
penalty of the untrained means, 80; the criterion 33.3). Broken: ``dip_vae_init_std_1`` is non-finite at step 0 at
both seeds (the loss is ``inf``); ``dip_vae_relu_biases_minus_10`` 124.4 -> 123.3 at both seeds;
``concrete_autoencoder_30_decoder_layers_default_init`` 0.853 -> 0.871 and 0.983 -> 0.860 (a divergence flag at step
2 at seed 0); ``expert_choice_moe_adam_lr1`` diverges at step 1 at both seeds (ends 322.8 and 279.2; weights x10 at
steps 4 and 3); ``product_key_memory_adam_lr1`` diverges at step 1 at both seeds (ends 285.3 and 274.2; weights x10 at
step 6); ``efficient_capsnet_adam_lr1`` diverges at step 1 at both seeds and is non-finite at step 2;
``kv_memnn_adam_lr1`` diverges at step 1 at both seeds (ends 3.2e5 and 6.7e5; weights x146 and x159 at step 1);
``hyperlstm_adam_lr1`` diverges at step 1 at both seeds (ends 5.907 and 5.504; weights x41, past x10 at step 2);
``soft_moe_adamw_weight_decay_50`` 2.409 -> 2.299 and 2.392 -> 2.299; ``kv_memnn_adam_weight_decay_1`` 2.772 -> 2.773
and 2.767 -> 2.773; ``kv_memnn_answers_shuffled`` 2.772 -> 2.670 and 2.772 -> 2.646;
``expert_choice_moe_gates_renormalised_per_token`` and ``concrete_autoencoder_gumbel_noise_sign_lost`` are non-finite
at step 0 at both seeds (the loss itself); ``soft_moe_gaussian_dropout_mean_zero_noise`` 2.315 -> 2.306 and 2.326 ->
2.304; ``dip_vae_decoder_fed_reparam_noise`` 123.7 -> 49.24 and 123.9 -> 49.38. The cases run in 0.1 to 17 s a seed
on a machine shared with three other helpers' runs (2 cores); Efficient-CapsNet (15 to 17 s) and the HyperLSTM (11 s)
are the slowest.

Dropped or changed before the freeze (every figure above is from the final code): the concrete autoencoder was first
32 features of 4 factors with 8 selectors at Adam lr 1e-3 and the paper's final temperature 0.01 (0.924 -> 0.979,
not learned: the selectors' logits barely move in 200 steps, and a decoder cannot use features that change every
step); at lr 0.01 and 0.03 it learned at seed 1 only (0.781 and 0.727 at seed 0); 16 features of 3 factors, 6
selectors, lr 0.03 and the temperature annealed to 0.1 learn at both seeds. DIP-VAE first used ``lambda_od = 10``,
``lambda_d = 100`` (827.7 -> 59.75 at seed 0, not learned in 200 steps; 51.82 at lr 3e-3) and uses 1 and 10. Expert
choice first ran at capacity factor 2, where every token was chosen by some expert, so the renormalisation fault
learned (4.330 -> 1.228 and 4.363 -> 1.246); at capacity factor 1 (the paper's EC-CF1) some tokens are chosen by none.
Learned and dropped (the switches stay, unused): Soft MoE with every Linear, the router, the experts and the positions
drawn N(0, 1) (6.344 -> 1.159 and 6.680 -> 1.675: learned, as the LayerNorms rescale; the init common is DIP-VAE's);
Efficient-CapsNet with its labels permuted within every batch (1.074 -> 0.0553 and 1.061 -> 0.0651: the 1,024
cycled images are memorised; the data common is the KV-MemNN's); the normalization candidates PKM without its query
BatchNorm (4.398 -> 1.287 and 4.333 -> 1.291), Efficient-CapsNet without its BatchNorms (0.573 -> 0.0006 and 0.571 ->
0.0007) or without its squash (38.54 -> 0.259 and 41.50 -> 0.202) and Soft MoE without its LayerNorms (2.365 -> 0.0013
and 2.370 -> 0.0021); the recurrence candidates, the HyperLSTM's main forget-gate bias at -10 (1.379 -> 0.794 and
1.381 -> 0.952; on sequences of 24, 1.026 and 1.029 against the criterion 1.040: the hidden state still carries the
first token through the candidate), its output-gate bias at -10 (1.390 -> 0.852 at seed 0: the hypernetwork's bias
path ``z_b d_b``, a product of two learned factors, undoes a static bias within the run), its input-gate bias at -10
(1.390 -> 1.039 and 1.373 -> 1.129, learned at seed 0 by a hair) and its recurrent weights drawn N(0, 1) (1.477 ->
0.400 and 1.413 -> 0.694); a KV-MemNN whose attention is ``exp(s)`` without the softmax's denominator (2.788 ->
0.0008). A first reparameterisation slip, DIP-VAE's log-variance head passed through the softplus of a std head
(posterior std at least 1: 125.2 -> 29.28 and 125.5 -> 30.56, learned), and a second, the sample drawn by
``Normal(mu, std).sample()`` where ``rsample()`` belongs (123.7 -> 29.78 and 123.8 -> 30.86: the DIP penalty alone
keeps the means informative enough), were dropped; their ``slip`` values stay.
"""

from __future__ import annotations

import functools
import math

from . import DIVERGE, EXPLODE, NONFINITE, STUCK, VANISH, Case, _b, _h
from . import fresh80_builders as F

P = functools.partial
HALF = "fresh80"
#: chance losses: the Markov text's 64 tokens (expert choice, PKM), four classes (the HyperLSTM's first tokens), ten
#: (Soft MoE's images), the 16 answers (KV-MemNN), and DIP-VAE's 64 pixels at 1/2 (``64 ln 2`` nats)
LM, C4, C10, C16, BITS = math.log(64), math.log(4), math.log(10), math.log(16), 64 * math.log(2)
LR_EVENTS = (*EXPLODE, *VANISH, "weight_growth")
BOTH = EXPLODE + VANISH

FRESH80_HEALTHY: list[Case] = [
    _h("soft_moe_vit_images", HALF, "soft_moe", F.soft_moe, C10),
    _h("expert_choice_moe_lm", HALF, "expert_choice_moe", F.expert_choice, LM),
    _h("product_key_memory_lm", HALF, "product_key_memory", F.pkm, LM),
    _h("kv_memnn_key_value_stories", HALF, "kv_memnn", F.kv_memnn, C16),
    _h("efficient_capsnet_images", HALF, "efficient_capsnet", F.efficient_capsnet, None),
    _h("hyperlstm_first_token", HALF, "hyperlstm", F.hyperlstm, C4),
    _h("concrete_autoencoder_low_rank", HALF, "concrete_autoencoder", F.concrete_ae, None),
    _h("dip_vae_binary_templates", HALF, "dip_vae", F.dip_vae, BITS),
]

FRESH80_BROKEN: list[Case] = [
    # init
    _b("dip_vae_init_std_1", HALF, ("init", "numeric"), BOTH, DIVERGE + STUCK,  # kind: common
       P(F.dip_vae, init_std=1.0), BITS),
    # activation
    _b("dip_vae_relu_biases_minus_10", HALF, ("activation", "init"), VANISH, STUCK,  # kind: common
       P(F.dip_vae, relu_bias=-10.0), BITS),
    # depth
    _b("concrete_autoencoder_30_decoder_layers_default_init", HALF, ("depth", "init"), VANISH, STUCK,  # kind: common
       P(F.concrete_ae, layers=30), None),
    # lr
    _b("expert_choice_moe_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.expert_choice, lr=1.0), LM),
    _b("product_key_memory_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.pkm, lr=1.0), LM),
    _b("efficient_capsnet_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.efficient_capsnet, lr=1.0), None),
    _b("kv_memnn_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.kv_memnn, lr=1.0), C16),
    _b("hyperlstm_adam_lr1", HALF, ("lr",), LR_EVENTS, DIVERGE + STUCK,  # kind: common
       P(F.hyperlstm, lr=1.0), C4),
    # regularization
    _b("soft_moe_adamw_weight_decay_50", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.soft_moe, weight_decay=50.0), C10),
    _b("kv_memnn_adam_weight_decay_1", HALF, ("regularization",), VANISH, STUCK,  # kind: common
       P(F.kv_memnn, weight_decay=1.0), C16),
    _b("soft_moe_gaussian_dropout_mean_zero_noise", HALF, ("regularization",), VANISH, STUCK,  # kind: slip
       P(F.soft_moe, mean_zero_dropout=True), C10),
    # data
    _b("kv_memnn_answers_shuffled", HALF, ("data",), VANISH, STUCK,  # kind: common
       P(F.kv_memnn, shuffled=True), C16),
    _b("dip_vae_decoder_fed_reparam_noise", HALF, ("data",), VANISH, STUCK,  # kind: slip
       P(F.dip_vae, slip="eps"), BITS),
    # numeric
    _b("expert_choice_moe_gates_renormalised_per_token", HALF, ("numeric",), NONFINITE,  # kind: common
       ("nonfinite",), P(F.expert_choice, renormalise=True), LM),
    _b("concrete_autoencoder_gumbel_noise_sign_lost", HALF, ("numeric",), NONFINITE,  # kind: slip
       ("nonfinite",), P(F.concrete_ae, noise_sign_slip=True), None),
]

#: each broken case's kind of fault: "common" (the classic form of its cause) or "slip" (a user's mistake)
KINDS: dict[str, str] = {
    "dip_vae_init_std_1": "common", "dip_vae_relu_biases_minus_10": "common",
    "concrete_autoencoder_30_decoder_layers_default_init": "common", "expert_choice_moe_adam_lr1": "common",
    "product_key_memory_adam_lr1": "common", "efficient_capsnet_adam_lr1": "common", "kv_memnn_adam_lr1": "common",
    "hyperlstm_adam_lr1": "common", "soft_moe_adamw_weight_decay_50": "common",
    "kv_memnn_adam_weight_decay_1": "common", "kv_memnn_answers_shuffled": "common",
    "expert_choice_moe_gates_renormalised_per_token": "common",
    "soft_moe_gaussian_dropout_mean_zero_noise": "slip", "dip_vae_decoder_fed_reparam_noise": "slip",
    "concrete_autoencoder_gumbel_noise_sign_lost": "slip",
}

#: the cases (half "fresh80")
FRESH80: list[Case] = FRESH80_HEALTHY + FRESH80_BROKEN

#: each broken case's control: the same setting with its one fault removed (must learn at seeds 0 and 1)
CONTROLS = {
    "dip_vae_init_std_1": F.dip_vae,
    "dip_vae_relu_biases_minus_10": F.dip_vae,
    "concrete_autoencoder_30_decoder_layers_default_init": F.concrete_ae,
    "expert_choice_moe_adam_lr1": F.expert_choice,
    "product_key_memory_adam_lr1": F.pkm,
    "efficient_capsnet_adam_lr1": F.efficient_capsnet,
    "kv_memnn_adam_lr1": F.kv_memnn,
    "hyperlstm_adam_lr1": F.hyperlstm,
    "soft_moe_adamw_weight_decay_50": F.soft_moe,
    "kv_memnn_adam_weight_decay_1": F.kv_memnn,
    "soft_moe_gaussian_dropout_mean_zero_noise": F.soft_moe,
    "kv_memnn_answers_shuffled": F.kv_memnn,
    "dip_vae_decoder_fed_reparam_noise": F.dip_vae,
    "expert_choice_moe_gates_renormalised_per_token": F.expert_choice,
    "concrete_autoencoder_gumbel_noise_sign_lost": F.concrete_ae,
}
