"""Ticket answers that fit one tool result: a compact observe_message result and get_ticket in pages.

A message may hold 64 K characters and a ticket 10,000 messages, while one tool result is capped at
`tool_output_chars` (32,000 by default; server/calls.py). observe_message echoes at most a preview of
the stored text; get_ticket returns the dialogue a page at a time, by count and by size, with the
suggestions made on that page's messages, and next_cursor while more remain.
"""

from __future__ import annotations

import json

from vigil_mcp.models import Message, ObserveResult, TicketView
from vigil_mcp.server.paging import decode_cursor, encode_cursor

PREVIEW_CHARS = 2_000  # of the stored text, echoed by observe_message
_ENTRY_OVERHEAD = 400  # the JSON around one message: its other fields, indentation, separators


def _json_size(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False))


def _cut(text: str, room: int, where: str) -> str:
    """`text` cut so that it and a note saying where the rest is take about `room` characters as JSON."""
    note = f" … [vigil: cut here, {len(text):,} characters in all; {where}]"
    keep = max(0, room - _json_size(note))
    cut = text[:keep]
    while cut and _json_size(cut) > keep:  # escapes (quotes, newlines, control characters) take more room
        cut = cut[: max(0, len(cut) - (_json_size(cut) - keep) - 1)]
    return cut + note


def compact_observe(result: ObserveResult) -> ObserveResult:
    """The result with the message text cut to a preview when it is long (the store keeps all of it)."""
    message = result.message
    if len(message.text) <= PREVIEW_CHARS:
        return result
    where = f"the resource vigil://tickets/{message.ticket_id} has the whole message"
    preview = _cut(message.text, PREVIEW_CHARS, where)
    return result.model_copy(update={"message": message.model_copy(update={"text": preview})})


def page_ticket(view: TicketView, limit: int, cursor: str | None, budget: int) -> TicketView:
    """One page of the dialogue: at most `limit` messages, their suggestions, within `budget` characters of JSON."""
    offset = decode_cursor(cursor)
    by_seq: dict[int, int] = {}
    for suggestion in view.suggestions:
        by_seq[suggestion.message_seq] = by_seq.get(suggestion.message_seq, 0) + len(suggestion.model_dump_json())
    page: list[Message] = []
    used = 0
    for message in view.messages[offset:]:
        if len(page) >= limit:
            break
        size = _json_size(message.text) + by_seq.get(message.seq, 0) + _ENTRY_OVERHEAD
        if page and used + size > budget:
            break  # the next page starts here
        if used + size > budget:  # one message too long for any page: cut, and say where the rest is
            room = budget - by_seq.get(message.seq, 0) - _ENTRY_OVERHEAD
            where = f"the resource vigil://tickets/{view.ticket.id} has the whole dialogue"
            message = message.model_copy(update={"text": _cut(message.text, max(room, 200), where)})
            size = budget
        page.append(message)
        used += size
    end = offset + len(page)
    seqs = {m.seq for m in page}
    return TicketView(
        ticket=view.ticket,
        messages=page,
        suggestions=[s for s in view.suggestions if s.message_seq in seqs],
        next_cursor=encode_cursor(end) if end < len(view.messages) else None,
    )
