"""Which tensors the guard watches, their names, and the layer each belongs to.

A *layer* is the module that directly owns a parameter (``encoder.layers.0.linear1`` owns ``.weight`` and
``.bias``). The inventory is built once: the optimizer's parameters, named through the model, each tensor once
even when it is shared (tied weights keep their first name and record the others as aliases). Frozen parameters
(``requires_grad=False``) are not watched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .errors import ConfigError

__all__ = ["LayerInfo", "ParamInventory", "build_inventory", "extend_inventory", "optimizer_signature"]

ROOT_LAYER = "<root>"


@dataclass(frozen=True)
class LayerInfo:
    """A watched layer: the module that owns one or more watched parameters."""

    name: str
    module_type: str
    numel: int
    param_names: tuple[str, ...]


@dataclass
class ParamInventory:
    """The watched parameters in a fixed order, and the layer index of each.

    Attributes:
        params: watched parameter tensors (each distinct tensor once).
        names: qualified name of each parameter (first name for tied ones).
        layer_of: index into :attr:`layers` for each parameter.
        group_of: index of the optimizer param group each parameter belongs to.
        layers: the layers, in the order their first parameter appears in the model.
        aliases: other names of tied parameters, ``{first_name: (other_names...)}``.
    """

    params: list[torch.Tensor]
    names: list[str]
    layer_of: list[int]
    group_of: list[int]
    layers: list[LayerInfo]
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    #: the optimizer's parameters left out because they were frozen (``requires_grad=False``) when the inventory
    #: was built or last extended; :func:`extend_inventory` takes them in once they are unfrozen
    frozen: list[torch.Tensor] = field(default_factory=list)


def layer_name(param_name: str) -> str:
    """The layer (owning module's qualified name, ``<root>`` for the model's own) of a parameter's name."""
    return param_name.rsplit(".", 1)[0] if "." in param_name else ROOT_LAYER


def _is_compiled(model: nn.Module) -> bool:
    """A ``torch.compile`` wrapper (``OptimizedModule``), whose parameter names carry an ``_orig_mod.`` prefix."""
    return type(model).__name__ == "OptimizedModule" and isinstance(getattr(model, "_orig_mod", None), nn.Module)


def _check_param(p: torch.Tensor, name: str) -> None:
    """Refuse, at construction, a parameter whose statistics would not mean anything (or would not compute)."""
    if p.device.type == "meta":
        raise ConfigError(f"parameter {name!r}", "on the meta device", "parameters with storage (cpu, cuda, ...)",
                          "Materialise the model (e.g. model.to_empty(device=...) and initialise it) before Guard().")


def build_inventory(model: nn.Module, optimizer: torch.optim.Optimizer) -> ParamInventory:
    """Name and group the optimizer's trainable parameters through ``model``.

    Raises:
        ConfigError: the optimizer owns none of the model's trainable parameters, or the model has none.
    """
    model = getattr(model, "_orig_mod", model) if _is_compiled(model) else model  # names as the user wrote them
    names_by_id: dict[int, list[str]] = {}
    modules_by_name = dict(model.named_modules())
    for name, p in model.named_parameters(remove_duplicate=False):
        names_by_id.setdefault(id(p), []).append(name)
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    if not trainable:
        raise ConfigError(
            "model", type(model).__name__, "a model with at least one parameter that has requires_grad=True",
            "Every parameter is frozen or the model has none, so there is nothing to guard.",
        )

    params: list[torch.Tensor] = []
    names: list[str] = []
    group_of: list[int] = []
    seen: set[int] = set()
    frozen: list[torch.Tensor] = []
    for g, group in enumerate(optimizer.param_groups):
        for i, p in enumerate(group["params"]):
            if id(p) in seen:
                continue
            if not p.requires_grad:
                seen.add(id(p))
                frozen.append(p)
                continue
            seen.add(id(p))
            _check_param(p, (names_by_id.get(id(p)) or [f"<optimizer>.group{g}.param{i}"])[0])
            params.append(p)
            group_of.append(g)
            known = names_by_id.get(id(p))
            names.append(known[0] if known else f"<optimizer>.group{g}.param{i}")

    owned_from_model = trainable & seen
    if not owned_from_model:
        raise ConfigError(
            "optimizer", type(optimizer).__name__,
            "an optimizer built over the model's trainable parameters, e.g. torch.optim.AdamW(model.parameters())",
            "It owns none of them.",
        )

    layer_index: dict[str, int] = {}
    layer_params: dict[str, list[str]] = {}
    layer_numel: dict[str, int] = {}
    # layers ordered as the model declares its parameters, so "from the input side" is the usual order
    order = {pid: k for k, pid in enumerate(names_by_id)}
    ranked = sorted(range(len(params)), key=lambda k: order.get(id(params[k]), len(order) + k))
    for k in ranked:
        lname = layer_name(names[k])
        if lname not in layer_index:
            layer_index[lname] = len(layer_index)
            layer_params[lname] = []
            layer_numel[lname] = 0
        layer_params[lname].append(names[k])
        layer_numel[lname] += params[k].numel()
    layers = []
    for lname in layer_index:
        module = modules_by_name.get("" if lname == ROOT_LAYER else lname)
        layers.append(LayerInfo(
            name=lname,
            module_type=type(module).__name__ if module is not None else "?",
            numel=layer_numel[lname],
            param_names=tuple(layer_params[lname]),
        ))
    watched = {id(p) for p in params}
    aliases = {v[0]: tuple(v[1:]) for pid, v in names_by_id.items() if len(v) > 1 and pid in watched}
    return ParamInventory(
        params=params,
        names=names,
        layer_of=[layer_index[layer_name(n)] for n in names],
        group_of=group_of,
        layers=layers,
        aliases=aliases,
        frozen=frozen,
    )


def optimizer_signature(optimizer: torch.optim.Optimizer) -> tuple[int, ...]:
    """A cheap fingerprint of the optimizer's parameter set: the number of groups and of parameters in each.

    Checked every step (a few integer reads); a change means :func:`extend_inventory` must run. A tensor swapped
    for another inside a group's list (same count) is not noticed.
    """
    return tuple(len(g["params"]) for g in optimizer.param_groups)


def extend_inventory(inventory: ParamInventory, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Take in the optimizer's trainable parameters the inventory does not hold yet (``add_param_group``, a
    parameter unfrozen since), in place and append-only: every known parameter and layer keeps its index, new
    parameters go to the end, and new layers after the known ones (in the model's order). Parameters since frozen
    or removed stay (they simply have no gradient). Returns the number of parameters added.

    Raises:
        ConfigError: a new parameter is complex or on the meta device (as at construction).
    """
    model = getattr(model, "_orig_mod", model) if _is_compiled(model) else model
    known = {id(p) for p in inventory.params}
    fresh: list[tuple[torch.Tensor, int, int]] = []
    frozen: list[torch.Tensor] = []
    seen: set[int] = set()
    for g, group in enumerate(optimizer.param_groups):
        for i, p in enumerate(group["params"]):
            if id(p) in known or id(p) in seen:
                continue
            seen.add(id(p))
            if p.requires_grad:
                fresh.append((p, g, i))
            else:
                frozen.append(p)
    inventory.frozen = frozen
    if not fresh:
        return 0
    names_by_id: dict[int, list[str]] = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        names_by_id.setdefault(id(p), []).append(name)
    order = {pid: k for k, pid in enumerate(names_by_id)}
    fresh.sort(key=lambda t: order.get(id(t[0]), len(order)))
    modules_by_name = dict(model.named_modules())
    layer_index = {layer.name: k for k, layer in enumerate(inventory.layers)}
    for p, g, i in fresh:
        known_names = names_by_id.get(id(p))
        name = known_names[0] if known_names else f"<optimizer>.group{g}.param{i}"
        _check_param(p, name)
        lname = layer_name(name)
        if lname not in layer_index:
            module = modules_by_name.get("" if lname == ROOT_LAYER else lname)
            layer_index[lname] = len(inventory.layers)
            inventory.layers.append(LayerInfo(lname, type(module).__name__ if module is not None else "?", 0, ()))
        k = layer_index[lname]
        old = inventory.layers[k]
        inventory.layers[k] = LayerInfo(old.name, old.module_type, old.numel + p.numel(), (*old.param_names, name))
        inventory.params.append(p)
        inventory.names.append(name)
        inventory.layer_of.append(k)
        inventory.group_of.append(g)
        if known_names and len(known_names) > 1:
            inventory.aliases[name] = tuple(known_names[1:])
    return len(fresh)
