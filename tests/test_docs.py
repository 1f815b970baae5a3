"""The README's and docs' code blocks are executed, in order, per file."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
#: A top-level ``print(...)  # expected`` line: the comment states what it prints
#: (exactly, or followed by ": explanation" or " explanation").
PRINTED = re.compile(r"^print\((.*)\)\s+# (.*)$", re.MULTILINE)


def python_blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text())


def test_docs_have_examples():
    assert python_blocks(ROOT / "README.md"), "README must show runnable examples"


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.name)
def test_doc_examples_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__", "__printed": _check_printed}
    for i, block in enumerate(python_blocks(path)):
        checked = PRINTED.sub(r"__printed(lambda: print(\1), \2)", _quote_comments(block))
        code = compile(checked, f"{path.name}[block {i}]", "exec")
        exec(code, namespace)
    assert os.getcwd() == str(tmp_path)


def _quote_comments(block: str) -> str:
    """Turn each ``print(x)  # text`` comment into a string literal argument."""
    return PRINTED.sub(lambda m: f"print({m.group(1)})  # {m.group(2)!r}", block)


def _check_printed(show, expected: str) -> None:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        show()
    out = buffer.getvalue().strip()
    assert out == expected or expected.startswith((out + ":", out + " ")), (out, expected)
