"""Bound what a diagnostic says: shorten long strings and long lists until the JSON fits a character cap.

The shape stays the same (strings stay strings, lists stay lists), so a truncated answer still
matches the tool's output schema, and a note says what was cut.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MIN_STRING = 64
Measure = Callable[[Any], int]


def json_size(data: Any) -> int:
    """Characters of `data` as indented JSON (what a client shows the model)."""
    return len(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@dataclass(slots=True)
class _Cuts:
    strings: int = 0
    lists: int = 0


@dataclass(frozen=True, slots=True)
class Fitted:
    """`data` cut down to fit, and a note for the reader when anything was cut."""

    data: Any
    note: str | None = None

    @property
    def truncated(self) -> bool:
        """Whether anything was cut."""
        return self.note is not None


def _shrink(value: Any, max_string: int, max_items: int, cuts: _Cuts) -> Any:
    if isinstance(value, str):
        if len(value) <= max_string:
            return value
        cuts.strings += 1
        return f"{value[:max_string]}… [{len(value) - max_string} more characters cut]"
    if isinstance(value, dict):
        return {k: _shrink(v, max_string, max_items, cuts) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        items: list[Any] = value  # pyright: ignore[reportUnknownVariableType]
        if len(items) > max_items:
            cuts.lists += 1
            items = items[:max_items]
        return [_shrink(v, max_string, max_items, cuts) for v in items]
    return value


def _longest(value: Any) -> tuple[int, int]:
    """The longest string and the longest list inside `value`."""
    if isinstance(value, str):
        return len(value), 0
    children: list[Any] = []
    own = 0
    if isinstance(value, dict):
        children = list(value.values())  # pyright: ignore[reportUnknownArgumentType]
    elif isinstance(value, list):
        children = value  # pyright: ignore[reportUnknownVariableType]
        own = len(children)
    longest_string, longest_list = 0, own
    for child in children:
        s, n = _longest(child)
        longest_string, longest_list = max(longest_string, s), max(longest_list, n)
    return longest_string, longest_list


def fit(data: Any, limit: int, measure: Measure = json_size, *, reserve: int = 0) -> Fitted | None:
    """`data` within `limit` characters, or None when even cutting every string and list cannot get there.

    A cut answer is fitted within `limit - reserve`, leaving room for the note beside it.
    """
    size = measure(data)
    if size <= limit:
        return Fitted(data)
    room = limit - reserve
    longest_string, longest_list = _longest(data)
    max_string, max_items = max(longest_string // 2, MIN_STRING), max(longest_list // 2, 1)
    while True:
        cuts = _Cuts()
        shrunk = _shrink(data, max_string, max_items, cuts)
        if measure(shrunk) <= room:
            parts: list[str] = []
            if cuts.strings:
                parts.append(f"{cuts.strings} long string(s) were shortened to {max_string} characters")
            if cuts.lists:
                parts.append(f"{cuts.lists} long list(s) were cut to their first {max_items} item(s)")
            note = (
                f"[vigil] This output was {size:,} characters, over the {limit:,}-character cap, so it was "
                f"truncated: {' and '.join(parts)}. Ask for less (a narrower query, a shorter time range) "
                "to see everything."
            )
            return Fitted(shrunk, note)
        if max_string == MIN_STRING and max_items == 1:
            return None
        max_string, max_items = max(max_string // 2, MIN_STRING), max(max_items // 2, 1)
