"""Optional dependencies: one table of which extra provides which package, imported only when used."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .errors import OptionalDependencyError

#: package import name -> the gradguard extra that installs it
EXTRAS: dict[str, str] = {
    "typer": "cli",
    "rich": "cli",
    "matplotlib": "report",
    "pandas": "report",
    "tensorboard": "tensorboard",
    "lightning": "lightning",
    "transformers": "hf",
    "wandb": "wandb",
    "mlflow": "mlflow",
}


def is_available(package: str) -> bool:
    """Whether ``package`` can be imported, without importing it."""
    return importlib.util.find_spec(package) is not None


def require(package: str, feature: str) -> ModuleType:
    """Import ``package`` or raise :class:`OptionalDependencyError` naming the extra that installs it."""
    try:
        return importlib.import_module(package)
    except ImportError:
        raise OptionalDependencyError(package, EXTRAS.get(package, "all"), feature) from None
