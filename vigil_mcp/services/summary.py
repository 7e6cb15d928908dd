"""A deterministic summary of a ticket: asked, tried, pending, who waits on whom."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from vigil_mcp.models import TicketSummary, TicketView

LINE_CHARS = 160
MAX_LINES = 8


def _line(text: str) -> str:
    flat = " ".join(text.split())
    first = re.split(r"(?<=[.!?])\s", flat, maxsplit=1)[0]
    return first if len(first) <= LINE_CHARS else first[: LINE_CHARS - 1] + "…"


def summarize(view: TicketView, now: datetime | None = None) -> TicketSummary:
    """Summarize a ticket from its dialogue and suggestions."""
    t = view.ticket
    asked = [_line(m.text) for m in view.messages if m.role == "customer" and m.kind == "question"]
    tried = [f"{m.author}: {_line(m.text)}" for m in view.messages if m.role == "analyst"]
    last_analyst = max((m.seq for m in view.messages if m.role == "analyst"), default=0)
    pending = [
        _line(m.text) for m in view.messages if m.role == "customer" and m.kind == "question" and m.seq > last_analyst
    ]
    pending += [
        f"suggestion {s.id} awaiting review: {_line(s.text)}" for s in view.suggestions if s.status == "pending"
    ]
    waiting_on = {"waiting_on_analyst": "analyst", "waiting_on_customer": "customer"}.get(t.status, "nobody")
    minutes = None
    if t.waiting_since is not None and t.status == "waiting_on_analyst":
        minutes = round(((now or datetime.now(UTC)) - t.waiting_since).total_seconds() / 60, 1)
    return TicketSummary(
        ticket_id=t.id,
        status=t.status,
        waiting_on=waiting_on,  # pyright: ignore[reportArgumentType]
        waiting_minutes=minutes,
        asked=asked[:MAX_LINES],
        tried=tried[-MAX_LINES:],
        pending=pending[:MAX_LINES],
        followups=sum(1 for m in view.messages if m.kind == "followup"),
    )
