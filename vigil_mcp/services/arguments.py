"""Bad call arguments as one readable sentence: which argument, what is wrong, what the call takes.

Pydantic's own text spans several lines, repeats the model name and ends in a documentation URL;
a client (and the model behind it) needs to know which argument to fix and how.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

_SHOWN_CHARS = 40


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def problems(exc: ValidationError) -> list[str]:
    """One clause per error: `unknown argument 'x'`, `missing argument 'y'`, `argument 'z': why (got v)`."""
    found: list[str] = []
    for error in exc.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"]) or "arguments"
        if error["type"] == "extra_forbidden":
            found.append(f"unknown argument {name!r}")
        elif error["type"] == "missing":
            found.append(f"missing argument {name!r}")
        else:
            message = str(error["msg"]).removeprefix("Value error, ").rstrip(".")
            found.append(f"argument {name!r}: {message} (got {_shown(error.get('input'))})")
    return list(dict.fromkeys(found))


def explain(name: str, found: Iterable[str], takes: Iterable[str], what: str = "tool") -> str:
    """The sentence for a call to `name` refused for `found` problems."""
    accepted = ", ".join(takes) or "no arguments"
    return f"{name}: {'; '.join(found)}. This {what} takes: {accepted}."


def explain_error(name: str, exc: ValidationError, takes: Iterable[str], what: str = "tool") -> str:
    """`explain` for a pydantic validation error."""
    return explain(name, problems(exc), takes, what)
