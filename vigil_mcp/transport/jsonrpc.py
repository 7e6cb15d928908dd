"""JSON-RPC messages no parser could answer: the error each one gets, on stdio and over HTTP alike.

The SDK turns a body or line it cannot parse into nothing (stdio) or into pydantic's multi-line
text with a documentation URL (HTTP). A client needs one sentence and, where it can be read, the id
of the request it is waiting on:

- nesting deeper than MAX_DEPTH, or text that is not JSON: `-32700` (parse error), id null;
- a lone UTF-16 surrogate (valid JSON, not valid text): `-32600` (invalid request), with the id;
- JSON that is no JSON-RPC 2.0 message: `-32600`, with the id when there is one.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

import mcp_types
from mcp_types import INVALID_REQUEST, PARSE_ERROR
from pydantic import ValidationError

MAX_DEPTH = 64
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def error_message(request_id: str | int | None, code: int, message: str) -> str:
    """A JSON-RPC error response, as one line of JSON."""
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in `text` (strings skipped); stops counting past MAX_DEPTH."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _has_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(cast(dict[Any, Any], item).keys())
            stack.extend(cast(dict[Any, Any], item).values())
        elif isinstance(item, list):
            stack.extend(cast(list[Any], item))
    return False


def message_error(line: str) -> str | None:
    """The JSON-RPC error answering a message (a stdio line, an HTTP body) the SDK cannot parse; None for a good one."""
    if not line.strip():
        return None  # blank lines between messages are not messages
    try:
        mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)
        return None
    except ValidationError:
        pass
    if json_depth(line) > MAX_DEPTH:
        return error_message(None, PARSE_ERROR, f"Parse error: the message nests deeper than {MAX_DEPTH} levels")
    try:
        data: Any = json.loads(line)
    except (ValueError, RecursionError) as exc:
        reason = str(exc).split(":")[0] if isinstance(exc, ValueError) else "too deep"
        return error_message(None, PARSE_ERROR, f"Parse error: this is not JSON ({reason}); send one JSON-RPC object")
    raw_id = cast(dict[str, Any], data).get("id") if isinstance(data, dict) else None
    request_id = raw_id if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    if _SURROGATE_ESCAPE.search(line) and _has_surrogate(data):
        return error_message(
            request_id,
            INVALID_REQUEST,
            "Invalid request: a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text; "
            "send valid Unicode",
        )
    return error_message(
        request_id,
        INVALID_REQUEST,
        'Invalid request: not a JSON-RPC 2.0 message; send {"jsonrpc": "2.0", "id": 1, "method": ..., "params": ...}',
    )
