"""Opaque cursors for list tools: a page says when there is more and how to get it."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from vigil_mcp.errors import InputError

T = TypeVar("T")
_PREFIX = "vigil-page:"


def encode_cursor(offset: int) -> str:
    """The cursor that starts a page at `offset`."""
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The offset a cursor stands for (0 for none), or InputError for one this server did not give out."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith(_PREFIX) or not raw[len(_PREFIX) :].isdigit():
        raise InputError("cursor is not one this server gave out: pass next_cursor from the previous page, or omit it")
    return int(raw[len(_PREFIX) :])


def page(fetch: Callable[[int, int], Sequence[T]], limit: int, cursor: str | None) -> tuple[list[T], str | None]:
    """One page of `limit` items from `fetch(limit + 1, offset)`, and the cursor of the next page."""
    offset = decode_cursor(cursor)
    items = list(fetch(limit + 1, offset))
    more = len(items) > limit
    return items[:limit], encode_cursor(offset + limit) if more else None
