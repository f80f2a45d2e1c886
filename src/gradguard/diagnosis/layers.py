"""Module kinds the probe recognises: weight layers, activations, normalisation layers, recurrent layers."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize

__all__ = [
    "ACTIVATION_KINDS", "NORM_TYPES", "RECURRENT_TYPES", "TRANSPARENT_TYPES", "WEIGHT_TYPES",
    "activation_kind", "assign_tensor", "is_norm", "is_recurrent", "is_transparent", "is_weight_layer", "own_children",
    "parametrization_parts", "parametrized_names",
]

#: activation module type -> the kind name used in findings
ACTIVATION_KINDS: dict[type[nn.Module], str] = {
    nn.ReLU: "relu", nn.ReLU6: "relu", nn.LeakyReLU: "leaky_relu", nn.PReLU: "leaky_relu", nn.RReLU: "leaky_relu",
    nn.ELU: "elu", nn.CELU: "elu", nn.SELU: "selu", nn.GELU: "gelu", nn.SiLU: "silu", nn.Mish: "silu",
    nn.Tanh: "tanh", nn.Hardtanh: "tanh", nn.Softsign: "tanh", nn.Sigmoid: "sigmoid", nn.Hardsigmoid: "sigmoid",
    nn.Softplus: "softplus",
}
#: ReLU-like kinds initialised with He et al. (2015); the rest use Glorot & Bengio (2010)
RELU_FAMILY: frozenset[str] = frozenset({"relu", "leaky_relu", "elu", "selu", "gelu", "silu", "softplus"})
#: kinds that saturate (bounded output, vanishing derivative at both ends)
SATURATING: frozenset[str] = frozenset({"tanh", "sigmoid"})

#: modules that restore the signal's scale whatever it is. Not ``nn.LocalResponseNorm``: it divides by
#: ``(k + alpha / n * sum(a^2)) ** beta`` with ``k >= 1`` (AlexNet's 2), so a small signal passes scaled by a constant
#: (``k ** -beta``) and a too-small init's shrinkage goes through it untouched (the fourteenth batch's AlexNet with
#: its He std written as a variance: 7.3 decades over 8 layers, its two LRNs read as normalisers); where it does
#: normalise on the batch, the probe's behavioural test (unit-RMS rows) says so
NORM_TYPES: tuple[type[nn.Module], ...] = tuple(
    t for t in (
        getattr(nn.modules.batchnorm, "_BatchNorm", None), nn.LayerNorm, nn.GroupNorm,
        getattr(nn.modules.instancenorm, "_InstanceNorm", None), getattr(nn, "RMSNorm", None),
    ) if isinstance(t, type)
)
#: lookup tables: a row per id, PyTorch's default init N(0, 1) (``nn.EmbeddingBag`` is not an ``nn.Embedding``)
EMBEDDING_TYPES: tuple[type[nn.Module], ...] = (nn.Embedding, nn.EmbeddingBag)
WEIGHT_TYPES: tuple[type[nn.Module], ...] = (nn.Linear, nn.modules.conv._ConvNd, *EMBEDDING_TYPES, nn.Bilinear)
RECURRENT_TYPES: tuple[type[nn.Module], ...] = (nn.RNNBase, nn.RNNCellBase)
TRANSPARENT_TYPES: tuple[type[nn.Module], ...] = (
    nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.Identity, nn.Flatten, *NORM_TYPES,
    nn.LocalResponseNorm,
)


def activation_kind(module: nn.Module) -> str | None:
    """Kind name of an activation module (``"relu"``, ``"tanh"``, ...), or None if it is not one."""
    for cls in type(module).__mro__:
        if cls in ACTIVATION_KINDS:
            return ACTIVATION_KINDS[cls]
    return None


def is_norm(module: nn.Module) -> bool:
    return isinstance(module, NORM_TYPES)


def is_recurrent(module: nn.Module) -> bool:
    return isinstance(module, RECURRENT_TYPES)


def is_transparent(module: nn.Module) -> bool:
    """Modules that sit between a weight layer and its activation without changing which activation it is."""
    return isinstance(module, TRANSPARENT_TYPES)


def _parametrizations(module: nn.Module) -> nn.ModuleDict | None:
    """The ``parametrizations`` list ``torch.nn.utils.parametrize`` adds to ``module``, or None."""
    return module.parametrizations if parametrize.is_parametrized(module) else None  # type: ignore[return-value]


def own_children(module: nn.Module) -> list[nn.Module]:
    """``module``'s child modules, less the ``parametrizations`` list that ``torch.nn.utils.parametrize`` adds (a
    weight-normalised or spectrally normalised convolution is still one layer: MelGAN's and HiFi-GAN's)."""
    parts = _parametrizations(module)
    return [c for c in module.children() if c is not parts]


def parametrization_parts(model: nn.Module) -> set[int]:
    """The ids of every module inside a ``parametrizations`` list of ``model`` (they compute a weight, not the
    forward's signal: the probe leaves them unhooked)."""
    return {id(c) for m in model.modules() if (lists := _parametrizations(m)) is not None for c in lists.modules()}


def parametrized_names(module: nn.Module) -> list[str]:
    """The tensor names ``torch.nn.utils.parametrize`` computes on ``module`` (``weight`` under weight or spectral
    norm); [] for a plain module."""
    lists = _parametrizations(module)
    return [] if lists is None else list(lists.keys())


def assign_tensor(module: nn.Module, name: str, value: torch.Tensor) -> bool:
    """Write ``value`` into ``module``'s tensor ``name`` in place; a parametrized one through its parametrization's
    ``right_inverse`` (writing into the computed ``module.weight`` would change a temporary and nothing else).
    False when the parametrization refuses the value (an orthogonal one given a matrix that is not)."""
    with torch.no_grad():
        if name in parametrized_names(module):
            try:
                setattr(module, name, value)
            except Exception:
                return False
            return True
        target = getattr(module, name)
        target.copy_(value.to(target.dtype))
    return True


def is_weight_layer(module: nn.Module) -> bool:
    """Linear, convolution, embedding and bilinear layers, and any other leaf module holding a weight matrix (a
    ``weight`` parameter of 2 or more dimensions: Hugging Face's ``Conv1D``, a user's own linear layer)."""
    if isinstance(module, WEIGHT_TYPES):
        return True
    if isinstance(module, RECURRENT_TYPES) or own_children(module):
        return False
    w = getattr(module, "weight", None)
    return isinstance(w, nn.Parameter) and w.ndim >= 2
