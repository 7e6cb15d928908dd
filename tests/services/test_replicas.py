"""Two replicas on one PostgreSQL database, in one test: what one writes, the other sees, once and in order.

Every table is shared: tickets, knowledge (whose change feed keeps each replica's indexes current),
feedback, lessons and learning jobs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from vigil_mcp.app import App, build_app
from vigil_mcp.config import load_settings
from vigil_mcp.errors import InputError
from vigil_mcp.replicas import ReplicaSync
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import Document
from vigil_mcp.services.tickets import Incoming
from vigil_mcp.storage.postgres import PostgresStore
from vigil_mcp.storage.postgres.learning import LEASE

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
# A learned Q&A among a few unrelated notes (so its words are specific): the judge drafts from it.
QA_TITLE = "webhook signature verification fails with No signatures found matching"
QA_BODY = (
    "Question: webhook signature verification fails with No signatures found matching the expected signature\n\n"
    "Answer:\nVerify the raw request body with the endpoint's whsec_ signing secret; parsed JSON changes the "
    "bytes Stripe signed."
)
QUESTION = "stripe webhook signature verification fails: No signatures found matching the expected signature, why?"
NOTES = (
    "Restart the kubelet when a node reports NotReady.", "Renew the TLS certificate with certbot renew.",
    "Expand the volume when the disk on a node is full.", "Rotate the API key in the dashboard settings.",
    "Clear the DNS cache with resolvectl flush-caches.", "Raise max_connections when PostgreSQL refuses clients.",
    "Check the load balancer health checks when requests time out.", "Purge the CDN cache after a deploy.",
)  # fmt: skip


def replica(postgres_url: str, home: Path, **settings: Any) -> App:
    """One replica: its own home (tools, skills) on the shared database; BM25 only unless asked."""
    home.mkdir(parents=True, exist_ok=True)
    values = {"home": str(home), "store": postgres_url, "embedding_model": "none", **settings}
    return build_app(load_settings(values, environ={}))


@pytest.fixture
def make_two(postgres_url: str, tmp_path: Path) -> Iterator[Callable[..., tuple[App, App]]]:
    apps: list[App] = []

    def make(**settings: Any) -> tuple[App, App]:
        apps.extend(replica(postgres_url, tmp_path / name, **settings) for name in ("a", "b"))
        return apps[0], apps[1]

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def two(make_two: Callable[..., tuple[App, App]]) -> tuple[App, App]:
    return make_two()


def doc(source: str, title: str, body: str) -> Document:
    """A one-chunk document."""
    return Document(source, title, [Chunk(title, "", body)])


def teach(app: App) -> None:
    """The Q&A and the notes, added through this replica."""
    app.knowledge.add_documents([doc(f"kb:{i}", f"note {i}", text) for i, text in enumerate(NOTES)])
    app.knowledge.add_documents([doc("ticket:a", QA_TITLE, QA_BODY)], kind="qa")


def turn(n: int, ticket: str = "T-1", mid: str | None = None) -> Incoming:
    role = "customer" if n % 2 == 0 else "analyst"
    return Incoming(ticket, role, role, f"turn {n} about the disk on node-7", T0 + timedelta(seconds=n), mid)


def sync_of(app: App) -> ReplicaSync:
    assert app.replicas is not None
    return app.replicas


def store_of(app: App) -> PostgresStore:
    store = app.knowledge.store
    assert isinstance(store, PostgresStore)
    return store


def test_a_message_observed_on_one_replica_is_in_the_ticket_on_the_other(two: tuple[App, App]) -> None:
    a, b = two
    a.tickets.observe(turn(0, mid="m0"))
    assert [m.text for m in b.tickets.get("T-1").messages] == ["turn 0 about the disk on node-7"]
    a.tickets.observe(turn(1, mid="m1"))  # b has the ticket cached now: it must not serve the stale copy
    view = b.tickets.get("T-1")
    assert [m.message_id for m in view.messages] == ["m0", "m1"]
    assert view.ticket.message_count == 2
    assert view.ticket.status == "waiting_on_customer"


def test_the_same_message_id_sent_to_both_replicas_at_once_is_stored_once(two: tuple[App, App]) -> None:
    a, b = two
    a.tickets.observe(turn(0, mid="m0"))
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def send(app: App) -> None:
        barrier.wait()
        results.append(app.tickets.observe(turn(1, mid="retry-me")).duplicate)

    threads = [threading.Thread(target=send, args=(app,)) for app in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    assert [m.message_id for m in a.tickets.get("T-1").messages] == ["m0", "retry-me"]


def test_writers_on_both_replicas_append_to_one_ticket_without_losing_or_reordering(two: tuple[App, App]) -> None:
    a, b = two
    errors: list[BaseException] = []

    def write(app: App, name: str) -> None:
        try:
            for n in range(15):
                app.tickets.observe(Incoming("T-2", "analyst", name, f"{name} step {n}", None, f"{name}-{n}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(app, name)) for app, name in ((a, "ann"), (b, "bob"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    messages = b.tickets.get("T-2").messages
    assert [m.seq for m in messages] == list(range(1, 31))
    for name in ("ann", "bob"):  # each writer's messages in the order it sent them
        assert [m.message_id for m in messages if m.author == name] == [f"{name}-{n}" for n in range(15)]


@pytest.mark.embeddings
def test_feedback_given_on_one_replica_is_refused_on_the_other(make_two: Callable[..., tuple[App, App]]) -> None:
    a, b = make_two(embedding_model="auto")
    teach(a)
    b.knowledge.load()
    result = b.tickets.observe(Incoming("T-3", "customer", "kim", QUESTION))
    assert result.suggestion is not None
    pending_on_a = a.tickets.pending("T-3")
    assert [s.id for s in pending_on_a] == [result.suggestion.id]
    a.tickets.feedback(result.suggestion.id, "adopted")
    with pytest.raises(InputError, match="already adopted"):
        b.tickets.feedback(result.suggestion.id, "rejected")
    assert [s.status for s in b.tickets.get("T-3").suggestions] == ["adopted"]


@pytest.mark.embeddings
@pytest.mark.anyio
async def test_knowledge_added_on_one_replica_is_found_on_the_other_within_a_second_by_words_and_meaning(
    make_two: Callable[..., tuple[App, App]],
) -> None:
    a, b = make_two(embedding_model="auto")
    for app in (a, b):
        app.knowledge.load()
    assert b.knowledge.embedder is not None
    async with anyio.create_task_group() as tg:
        tg.start_soon(sync_of(b).run)
        with anyio.fail_after(5):
            await sync_of(b).listening.wait()
        first = doc("kb", "Redis failover", "Run SENTINEL FAILOVER mymaster when the redis master is gone.")
        await anyio.to_thread.run_sync(lambda: a.knowledge.add_documents([first]))
        with anyio.fail_after(1):  # the promise: searchable on the other replica within a second
            await sync_of(b).wait_caught_up(a.knowledge.feed_position)
        assert [h.title for h in b.knowledge.search("sentinel failover").hits] == ["Redis failover"]
        # The vector index follows too: a query that shares no word with the passage finds it by meaning.
        dense = b.knowledge.retrieve("cache primary node died, how to promote another", 5)
        assert [r.record.title for r in dense if r.dense_rank == 1] == ["Redis failover"]
        assert len(b.knowledge.vectors) == len(a.knowledge.vectors) == 1
        # An edit and a removal travel the same way.
        edited = doc("kb", "Redis failover", "Promote a replica with REPLICAOF NO ONE.")
        await anyio.to_thread.run_sync(lambda: a.knowledge.add_documents([edited]))
        with anyio.fail_after(1):
            await sync_of(b).wait_caught_up(a.knowledge.feed_position)
        assert b.knowledge.search("sentinel mymaster").hits == []
        assert [h.title for h in b.knowledge.search("replicaof").hits] == ["Redis failover"]
        assert b.knowledge.index.n_docs == a.knowledge.index.n_docs == 1
        tg.cancel_scope.cancel()


def test_replicas_adding_knowledge_at_once_never_give_two_passages_one_number(two: tuple[App, App]) -> None:
    a, b = two
    for app in (a, b):
        app.knowledge.load()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def add(app: App, name: str) -> None:
        try:
            barrier.wait()
            for n in range(6):
                app.knowledge.add_documents([doc(f"{name}-{n}", f"{name} note {n}", f"{name} word{n} is documented")])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(app, name)) for app, name in ((a, "ann"), (b, "bob"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for app in (a, b):
        app.knowledge.apply_feed()
    # Twelve one-passage items numbered 0..11: no number was given twice, none was lost to a retry.
    assert store_of(a).count_knowledge() == {"runbook": 12} and store_of(a).next_passage_no() == 12
    for app in (a, b):
        assert app.knowledge.n_items == 12
        assert [h.title for h in app.knowledge.search("bob word3").hits[:1]] == ["bob note 3"]
        assert [h.title for h in app.knowledge.search("ann word5").hits[:1]] == ["ann note 5"]


@pytest.mark.embeddings
@pytest.mark.anyio
async def test_a_verdict_given_on_one_replica_moves_the_priors_on_the_other(
    make_two: Callable[..., tuple[App, App]],
) -> None:
    a, b = make_two(embedding_model="auto")
    teach(a)
    b.knowledge.load()
    result = a.tickets.observe(Incoming("T-4", "customer", "kim", QUESTION))
    assert result.suggestion is not None
    item = result.suggestion.citations[0]
    heard = threading.Event()
    sync_of(b).feedback_hooks.append(lambda _ids: heard.set())
    async with anyio.create_task_group() as tg:
        tg.start_soon(sync_of(b).run)
        with anyio.fail_after(5):
            await sync_of(b).listening.wait()
        assert b.tickets.answers.feedback.prior(item).rejected == 0
        await anyio.to_thread.run_sync(lambda: a.tickets.feedback(result.suggestion.id, "rejected"))  # pyright: ignore[reportOptionalMemberAccess]
        assert await anyio.to_thread.run_sync(heard.wait, 5)
        tg.cancel_scope.cancel()
    assert b.tickets.answers.feedback.prior(item).rejected == 1
    assert b.tickets.answers.feedback.posterior(0.75, item) == a.tickets.answers.feedback.posterior(0.75, item)


def test_one_learning_job_is_learned_once_when_both_replicas_race_for_it(two: tuple[App, App]) -> None:
    a, b = two
    for n, text in enumerate(["Our nightly export fails with disk full", "Rotate the logs and retry", "That worked"]):
        a.tickets.observe(Incoming("T-5", "customer" if n != 1 else "analyst", "kim", text, T0 + timedelta(minutes=n)))
    job = a.tickets.resolve("T-5").job
    assert job is not None
    barrier = threading.Barrier(2)
    ran: list[str] = []

    def race(app: App) -> None:
        barrier.wait()
        done = app.worker.run_once()
        if done is not None:
            ran.append(done.id)

    threads = [threading.Thread(target=race, args=(app,)) for app in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ran == [job.id]
    stored = b.worker.get(job.id)
    assert (stored.status, stored.attempts) == ("done", 1)
    assert a.worker.run_once() is None and b.worker.run_once() is None


def test_a_job_left_running_by_a_killed_replica_is_claimed_again_only_after_its_lease(two: tuple[App, App]) -> None:
    a, b = two
    a.tickets.observe(Incoming("T-6", "customer", "kim", "The export fails", T0))
    job = a.tickets.resolve("T-6").job
    assert job is not None
    now = datetime.now(UTC)
    assert [j.id for j in store_of(a).claim_jobs(now)] == [job.id]  # then replica A is killed mid-job
    assert store_of(b).claim_jobs(now + timedelta(minutes=1)) == []  # a live replica's job is never taken
    assert store_of(b).requeue_running() == 0  # nor put back by a replica that starts meanwhile
    again = store_of(b).claim_jobs(now + LEASE + timedelta(seconds=1))
    assert [(j.id, j.attempts) for j in again] == [(job.id, 2)]


def test_both_replicas_sweeping_a_confirmed_ticket_resolve_it_once(two: tuple[App, App]) -> None:
    a, b = two
    dialogue = [
        (
            "customer",
            "Our postgres PersistentVolumeClaim is stuck in Pending and the pod never mounts, how do we fix it?",
        ),
        (
            "analyst",
            "The cluster has no default StorageClass: set storageClassName: standard and apply the claim again.",
        ),
        ("customer", "fixed, thanks!"),
    ]
    for n, (role, text) in enumerate(dialogue):
        a.tickets.observe(Incoming("T-7", role, role, text, T0 + timedelta(minutes=n)))
    assert b.tickets.get("T-7").ticket.confirmed_seq == 3
    barrier = threading.Barrier(2)
    resolved: list[str] = []
    errors: list[BaseException] = []

    def sweep(app: App) -> None:
        barrier.wait()
        try:
            resolved.extend(r.ticket.id for r in app.tickets.resolve_confirmed(now=T0 + timedelta(days=1)))
        except BaseException as exc:  # the losing sweep must step aside, not fail
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(app,)) for app in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and resolved == ["T-7"]
    assert [j.ticket_id for j in b.worker.list(ticket_id="T-7")] == ["T-7"]
    assert a.tickets.get("T-7").ticket.status == "resolved"
