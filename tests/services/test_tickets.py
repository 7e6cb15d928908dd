from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from vigil_mcp.app import App
from vigil_mcp.errors import InputError, NotFoundError
from vigil_mcp.services.tickets import MAX_TEXT_CHARS, Incoming

pytestmark = pytest.mark.both_backends

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def msg(role: str, text: str, minute: int = 0, mid: str | None = None, ticket: str = "T-1") -> Incoming:
    author = {"customer": "kelly", "analyst": "jones", "bot": "ubot"}[role]
    return Incoming(ticket, role, author, text, T0 + timedelta(minutes=minute), mid)


def test_the_first_message_opens_the_ticket_and_status_follows_who_spoke_last(app: App) -> None:
    first = app.tickets.observe(msg("customer", "my webhook returns 400, why?", 0, "m1"))
    assert first.ticket.status == "waiting_on_analyst"
    assert first.ticket.customer == "kelly"
    assert first.ticket.title == "my webhook returns 400, why?"
    assert first.message.seq == 1
    assert first.message.kind == "question"
    second = app.tickets.observe(msg("analyst", "check the signing secret", 3, "m2"))
    assert second.ticket.status == "waiting_on_customer"
    assert second.ticket.waiting_since is None
    third = app.tickets.observe(msg("customer", "any update?", 9, "m3"))
    assert third.message.kind == "followup"
    assert third.ticket.status == "waiting_on_analyst"
    assert third.ticket.waiting_since == T0 + timedelta(minutes=9)


def test_a_retried_message_id_stores_nothing_twice(app: App) -> None:
    app.tickets.observe(msg("customer", "is the api down?", 0, "dup"))
    again = app.tickets.observe(msg("customer", "is the api down?", 0, "dup"))
    assert again.duplicate is True
    view = app.tickets.get("T-1")
    assert len(view.messages) == 1
    assert view.ticket.message_count == 1


def test_messages_survive_a_restart_in_order(app: App, make_app: Callable[[], App]) -> None:
    for i, text in enumerate(["why does checkout fail with 402?", "here is the log", "thanks"]):
        app.tickets.observe(msg("customer" if i != 1 else "analyst", text, i, f"m{i}"))
    app.close()
    reopened = make_app()
    try:
        view = reopened.tickets.get("T-1")
        assert [m.text for m in view.messages] == ["why does checkout fail with 402?", "here is the log", "thanks"]
        assert [m.seq for m in view.messages] == [1, 2, 3]
        assert reopened.tickets.observe(msg("customer", "thanks", 2, "m2")).duplicate is True
    finally:
        reopened.close()


@pytest.mark.parametrize(
    ("incoming", "message"),
    [
        (Incoming("T-1", "customer", "kelly", "   "), "text is empty"),
        (Incoming("T-1", "admin", "kelly", "hi"), "role 'admin' is not valid"),
        (Incoming("", "customer", "kelly", "hi"), "ticket_id"),
        (Incoming("bad id with spaces", "customer", "kelly", "hi"), "ticket_id"),
        (Incoming("T-1", "customer", "", "hi"), "author"),
        (Incoming("T-1", "customer", "kelly", "x" * (1024 * 1024)), "the limit is 65,536"),
    ],
)
def test_bad_input_is_refused_with_what_to_fix_and_nothing_is_stored(
    app: App, incoming: Incoming, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        app.tickets.observe(incoming)
    assert app.tickets.list() == []


def test_unknown_tickets_and_suggestions_are_not_found(app: App) -> None:
    with pytest.raises(NotFoundError, match="list_tickets"):
        app.tickets.get("nope")
    with pytest.raises(NotFoundError):
        app.tickets.resolve("nope")
    with pytest.raises(NotFoundError, match="list_pending_suggestions"):
        app.tickets.feedback("sg-missing", "adopted")


def test_resolving_twice_is_refused_and_a_customer_message_reopens(app: App) -> None:
    app.tickets.observe(msg("customer", "how do I rotate my api key?", 0, "a"))
    app.tickets.observe(msg("analyst", "Dashboard > Developers > API keys > Roll key", 2, "b"))
    resolution = app.tickets.resolve("T-1", ["b"], summary="rolled the key")
    resolved = resolution.ticket
    assert (resolved.status, resolved.resolved_by) == ("resolved", "analyst")
    assert resolved.summary == "rolled the key"
    assert (resolution.job.status, resolution.job.resolution_seqs) == ("queued", [2])
    with pytest.raises(InputError, match="already resolved"):
        app.tickets.resolve("T-1")
    reopened = app.tickets.observe(msg("customer", "it came back, why would the key fail again?", 30, "c"))
    assert reopened.ticket.status == "waiting_on_analyst"
    assert reopened.ticket.resolved_at is None


def test_a_resolution_message_that_is_not_in_the_ticket_is_refused(app: App) -> None:
    app.tickets.observe(msg("customer", "how do I rotate my api key?", 0, "a"))
    with pytest.raises(InputError, match="not in ticket"):
        app.tickets.resolve("T-1", ["zzz"])
    assert app.tickets.get("T-1").ticket.status == "waiting_on_analyst"


def test_stale_tickets_are_those_whose_customer_waits_longer_than_asked(app: App) -> None:
    app.tickets.observe(msg("customer", "is the payouts api down?", 0, "a", ticket="old"))
    app.tickets.observe(msg("customer", "why is my refund pending?", 50, "b", ticket="new"))
    app.tickets.observe(msg("customer", "why is my invoice empty?", 0, "c", ticket="answered"))
    app.tickets.observe(msg("analyst", "looking", 1, "d", ticket="answered"))
    stale = app.tickets.stale(30, now=T0 + timedelta(minutes=60))
    assert [t.id for t in stale] == ["old"]


def test_a_ticket_cannot_grow_past_its_message_limit(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    import vigil_mcp.services.tickets as tickets

    monkeypatch.setattr(tickets, "MAX_MESSAGES_PER_TICKET", 3)
    for i in range(3):
        app.tickets.observe(msg("analyst", f"note {i}", i, f"n{i}"))
    with pytest.raises(InputError, match="open a new ticket"):
        app.tickets.observe(msg("analyst", "one more", 5, "n9"))
    assert len(app.tickets.get("T-1").messages) == 3


def test_the_text_limit_is_generous_for_real_messages() -> None:
    assert MAX_TEXT_CHARS >= 64 * 1024


def test_list_tickets_pages_and_filters_by_status(app: App) -> None:
    for i in range(5):
        app.tickets.observe(msg("customer", f"question number {i} about refunds?", i, ticket=f"T-{i}"))
    app.tickets.observe(msg("analyst", "on it", 10, ticket="T-2"))
    assert [t.id for t in app.tickets.list(limit=2)] == ["T-2", "T-4"]
    assert [t.id for t in app.tickets.list("waiting_on_customer")] == ["T-2"]
    with pytest.raises(InputError, match="status must be"):
        app.tickets.list("open")
