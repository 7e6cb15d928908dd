"""Where the built-in diagnostics and starter skills are: package data in a wheel, the top-level folders in a checkout.

The source stays in the repository's top-level `tools/` and `skills/`; the wheel carries them as
`vigil_mcp/data/tools` and `vigil_mcp/data/skills` (pyproject's force-include). They are
the lowest layer: a user's tool or skill of the same name replaces the built-in one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

PACKAGE = Path(__file__).resolve().parent

Kind = Literal["tools", "skills"]


def builtin_dir(kind: Kind) -> Path | None:
    """The folder of built-in `kind`, or None when this installation has none."""
    packaged = PACKAGE / "data" / kind
    if packaged.is_dir():
        return packaged
    checkout = PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / kind).is_dir():
        return checkout / kind
    return None
