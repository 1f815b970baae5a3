"""Animate spatial fields over time with the animal's behaviour drawn on top.

Importing the package is cheap and silent: the public names are resolved on first
use, and no plotting, GUI or video library is imported until a function needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neurospatial._version import __version__

if TYPE_CHECKING:
    from neurospatial.environment import Environment
    from neurospatial.place_fields import compute_place_field

__all__ = ["Environment", "__version__", "compute_place_field"]

_LAZY = {
    "Environment": "neurospatial.environment",
    "compute_place_field": "neurospatial.place_fields",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'neurospatial' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
