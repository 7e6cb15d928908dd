"""Import a fitting script from eval/ (the scripts are not part of the package)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def eval_script(name: str) -> Any:
    """The module eval/<name>.py, imported by name."""
    sys.path.insert(0, str(REPO / "eval"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)
