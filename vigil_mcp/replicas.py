"""Keep one replica in step with the others that share its PostgreSQL database.

What crosses replicas, all through the database:
- knowledge: each write appends the item ids it touched to a change feed (a table with a sequence)
  and NOTIFYs; every replica applies the entries after the last one it saw to its BM25 and vector
  indexes (`KnowledgeService.apply_feed`), on the wake-up or at the latest every POLL_SECONDS;
- resource updates (a ticket changed): `PostgresBus`, the SDK's `SubscriptionBus` over LISTEN/NOTIFY,
  delivers them to this replica's 2026 listen streams and, through the Notifier, to its legacy sessions;
- feedback: the replica that stored a verdict names the suggestion; the others read it from the store
  into their answer path's priors (after a lost connection they reread every verdict: none is missed);
- skills: the replica that wrote a skill file (to the folder every replica shares) names the skills;
  the others reload those from the folder and tell their clients.

Tool and prompt list changes stay local: each replica announces its own after its own reload.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
import anyio.to_thread
from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated, ServerEvent

from vigil_mcp.errors import StoreError
from vigil_mcp.services.knowledge.service import KnowledgeService
from vigil_mcp.storage.postgres import PostgresStore
from vigil_mcp.storage.postgres.feed import Listener

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5  # the longest a knowledge change waits when its wake-up was missed
RETRY_SECONDS = 1.0  # between attempts to reach a lost database

RemoteHook = Callable[[ServerEvent], Awaitable[None]]
SkillsHook = Callable[[list[str]], Awaitable[None]]
FeedbackHook = Callable[[list[str]], object]  # suggestion ids (runs on a worker thread)
ConnectHook = Callable[[], object]  # after (re)connecting, before following (runs on a worker thread)


class PostgresBus:
    """`SubscriptionBus` for replicas: local listeners at once, resource updates to the others over NOTIFY."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self._local = InMemorySubscriptionBus()
        self.remote_hooks: list[RemoteHook] = []  # run for each event from another replica (legacy fan-out)

    async def publish(self, event: ServerEvent) -> None:
        """Deliver `event` here, and send a resource update to the other replicas (never raises)."""
        await self._local.publish(event)
        if isinstance(event, ResourceUpdated):
            await send(self._store, {"type": "resource_updated", "uri": event.uri})

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        """Register a local listener (a listen stream); returns its unsubscribe callable."""
        return self._local.subscribe(listener)

    async def deliver(self, event: ServerEvent) -> None:
        """An event another replica published: to local listeners and the remote hooks."""
        await self._local.publish(event)
        for hook in self.remote_hooks:
            try:
                await hook(event)
            except Exception:  # one hook must not keep the event from the others
                log.exception("delivering an event from another replica failed")


def _payload(store: PostgresStore, event: dict[str, Any]) -> str:
    return json.dumps({"origin": store.origin, **event})


async def send(store: PostgresStore, event: dict[str, Any]) -> None:
    """Tell the other replicas (never raises: the write it announces is stored, only their clients miss it)."""
    try:
        await anyio.to_thread.run_sync(store.notify, store.events_channel, _payload(store, event))
    except (StoreError, ValueError) as exc:
        log.warning("could not tell the other replicas (%s)", exc)


def send_now(store: PostgresStore, event: dict[str, Any]) -> None:
    """`send` from a worker thread."""
    try:
        store.notify(store.events_channel, _payload(store, event))
    except (StoreError, ValueError) as exc:
        log.warning("could not tell the other replicas (%s)", exc)


class ReplicaSync:
    """The background job that applies what other replicas did: knowledge feed, events, feedback, skills."""

    def __init__(self, store: PostgresStore, knowledge: KnowledgeService, bus: PostgresBus) -> None:
        self.store = store
        self.knowledge = knowledge
        self.bus = bus
        self.skills_hooks: list[SkillsHook] = []
        self.feedback_hooks: list[FeedbackHook] = []
        self.connect_hooks: list[ConnectHook] = []
        self.connected = False  # listening right now (what /healthz reports)
        self.listening = anyio.Event()  # set while connected (replaced when the connection is lost)
        self._caught_up = anyio.Event()

    async def announce_skills(self, names: Sequence[str]) -> None:
        """Tell the other replicas these skills changed in the shared folder."""
        if names:
            await send(self.store, {"type": "skills", "names": list(names)})

    def announce_feedback(self, suggestion_id: str) -> None:
        """Tell the other replicas a verdict on this suggestion is stored (from a worker thread)."""
        send_now(self.store, {"type": "feedback", "ids": [suggestion_id]})

    async def wait_caught_up(self, position: int) -> None:
        """Wait until the index includes feed entry `position` (bound it with fail_after)."""
        while self.knowledge.feed_position < position:
            await self._caught_up.wait()

    async def run(self) -> None:
        """Listen and apply until cancelled; a lost database is retried every RETRY_SECONDS."""
        listener = Listener(self.store.url, [self.store.knowledge_channel, self.store.events_channel],
                            self.store.connect_timeout)  # fmt: skip
        try:
            while True:
                try:
                    await listener.connect()
                    await self._connected()
                    while True:
                        notes = await listener.receive(POLL_SECONDS)
                        for channel, payload in notes:
                            if channel == self.store.events_channel:
                                await self._event(payload)
                        # A wake-up, or the poll when none came: the feed table is the record either way.
                        await self._apply_feed()
                except Exception as exc:  # a lost database (StoreError), or a bug: follow again, never stop serving
                    if isinstance(exc, StoreError):
                        if self.connected:
                            log.warning("lost the other replicas: %s", exc)
                    else:
                        log.exception("following the other replicas failed; starting over")
                    self.connected = False
                    self.listening = anyio.Event()
                    await listener.close()
                    await anyio.sleep(RETRY_SECONDS)
        finally:
            self.connected = False
            self.listening = anyio.Event()
            with anyio.CancelScope(shield=True):
                await listener.close()

    async def _connected(self) -> None:
        # Listening first, then catching up: what happens from now on wakes us, what happened before is read.
        for hook in self.connect_hooks:
            await anyio.to_thread.run_sync(hook)
        await self._apply_feed()
        self.connected = True
        self.listening.set()
        log.info("following the other replicas through %s", self.store.path)

    async def _apply_feed(self) -> None:
        applied = await anyio.to_thread.run_sync(self.knowledge.apply_feed)
        if applied:
            log.debug("applied %d knowledge changes from other replicas", applied)
        self._caught_up.set()
        self._caught_up = anyio.Event()

    async def _event(self, payload: str) -> None:
        try:
            data: dict[str, Any] = json.loads(payload)
        except json.JSONDecodeError:
            log.warning("ignoring a malformed event from another replica")
            return
        if data.get("origin") == self.store.origin:
            return
        kind = data.get("type")
        if kind == "resource_updated" and isinstance(data.get("uri"), str):
            await self.bus.deliver(ResourceUpdated(uri=data["uri"]))
        elif kind in ("skills", "feedback"):
            raw: Any = data.get("names" if kind == "skills" else "ids")
            names = [str(n) for n in raw] if isinstance(raw, list) else []  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
            await self._run_hooks(kind, names)

    async def _run_hooks(self, kind: str, names: list[str]) -> None:
        try:
            if kind == "skills":
                for hook in self.skills_hooks:
                    await hook(names)
            else:
                for feedback_hook in self.feedback_hooks:
                    await anyio.to_thread.run_sync(feedback_hook, names)
        except Exception:  # the next event must still be heard
            log.exception("applying %s another replica changed failed", kind)
