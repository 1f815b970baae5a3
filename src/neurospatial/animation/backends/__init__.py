"""Output surfaces, registered by name: file backends (``video``, ``html``) write a
file, live backends return an object to display. See `registry`."""

from neurospatial.animation.backends.registry import (
    Backend,
    available_backends,
    register_backend,
    unregister_backend,
)

__all__ = ["Backend", "available_backends", "register_backend", "unregister_backend"]
