"""Transcript retention: the raw customer text of old resolved tickets is redacted in place, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.security.secret_formats import FORMATS
from vigil_mcp.app import App
from vigil_mcp.services.tickets import Incoming


def test_old_resolved_transcripts_are_redacted_in_place_and_open_ones_are_kept(app: App) -> None:
    secret = FORMATS[0]
    start = datetime.now(UTC) - timedelta(days=100)
    for ticket, ts in (("old", start), ("open", start)):
        app.tickets.observe(Incoming(ticket, "customer", "ann", f"webhook fails {secret.sentence}", ts))
        app.tickets.observe(Incoming(ticket, "analyst", "bob", "Pass the raw body.", ts + timedelta(minutes=1)))
    app.tickets.resolve("old")
    assert app.tickets.apply_retention(0) == 0, "0 days keeps the raw text"
    assert app.tickets.apply_retention(90) == 2
    old = app.tickets.get("old").messages
    assert [m.seq for m in old] == [1, 2] and "[REDACTED:" in old[0].text
    assert not any(piece in old[0].text for piece in secret.pieces)
    assert secret.pieces[0] in app.tickets.get("open").messages[0].text
    assert app.tickets.apply_retention(90) == 0, "redacting twice finds nothing"
