"""WHAT / WHY / HOW messages and warnings that point at the user's line.

Standard library only: every module may import it without importing the animation
package (xarray, matplotlib).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from types import CodeType

__all__ = ["format_message", "user_stacklevel", "warn"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))  # src/neurospatial


def format_message(what: str, why: str, how: Sequence[str]) -> str:
    """Three-part message: what was wrong (with values), why it matters, how to fix it."""
    steps = "\n".join(f"  {i}. {step}" for i, step in enumerate(how, start=1))
    return f"{what}\n\nWHY: {why}\n\nHOW:\n{steps}"


def user_stacklevel() -> int:
    """Stack level of the first frame outside this package (for ``warnings.warn``)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and _internal(frame.f_code):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _internal(code: CodeType) -> bool:
    """Library code, or a dataclass-generated ``__init__`` (compiled from "<string>")."""
    return code.co_filename.startswith(_PACKAGE_DIR) or (
        code.co_filename == "<string>" and code.co_name == "__init__"
    )


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Emit a warning attributed to the user's code, not to library internals."""
    warnings.warn(message, category, stacklevel=user_stacklevel())
