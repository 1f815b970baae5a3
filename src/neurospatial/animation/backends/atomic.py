"""Atomic file output: write to a temporary sibling, rename when complete."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "check_destination"]


def check_destination(target: Path) -> None:
    """Fail before any rendering when the output folder does not exist."""
    if not target.parent.is_dir():
        from neurospatial.errors import format_message

        raise FileNotFoundError(
            format_message(
                f"Cannot write {str(target)!r}: the folder {str(target.parent)!r} does not exist.",
                "exports are written next to their destination and renamed into place.",
                [
                    f"Create it first: Path({str(target.parent)!r}).mkdir(parents=True).",
                    "Check the save_path for typos.",
                ],
            )
        )


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` on success.

    On any exception (including KeyboardInterrupt) the temporary file is removed
    and an existing file at `target` is left untouched. The temporary name keeps
    the suffix so tools that infer the format from it (ffmpeg) still work.
    """
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.partial{target.suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
