"""Tickets: one service behind every way messages come in (MCP, webhook, replay).

Each message is validated, stored once (idempotent on the sender's message id), moves the
ticket's status, and, for a customer question, goes through the proactive decision. Replay
stores a whole dialogue per transaction; live intake stores each message before deciding.

With a shared store (replicas on PostgreSQL) other processes write the same tickets: a cached
ticket is brought up to date from the store before it is used, and a write the store refuses as
stale (`StoreConflict`) is redone from a fresh read, so a message is stored once, in order.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from vigil_mcp.errors import AlreadyResolvedError, InputError, NotFoundError, StoreConflict
from vigil_mcp.models import (
    Feedback,
    LearningJob,
    Message,
    ObserveResult,
    Resolution,
    ResolvedBy,
    Suggestion,
    Ticket,
    TicketView,
    Verdict,
)
from vigil_mcp.services.answer.identify import identify_turn
from vigil_mcp.services.answer.pipeline import AnswerService, Decision
from vigil_mcp.services.learn.confirm import confirmation
from vigil_mcp.services.learn.jobs import new_job
from vigil_mcp.services.learn.turn_content import carries_content
from vigil_mcp.services.product import valid_product
from vigil_mcp.services.redact import redact
from vigil_mcp.storage.base import TicketChange, TicketStore

log = logging.getLogger(__name__)

ROLES = ("customer", "analyst", "bot")
MAX_TEXT_CHARS = 64 * 1024
MAX_MESSAGES_PER_TICKET = 10_000
MAX_ID_CHARS = 200
CACHE_TICKETS = 2048
BATCH_TICKETS = 200  # tickets per transaction inside batch(); well under CACHE_TICKETS
LIST_LIMIT = 200
CONFLICT_RETRIES = 20  # a write refused as stale is redone from a fresh read this many times at most
CONFLICT_BACKOFF = 0.004  # seconds; before retry n it waits up to n times this, at random, so racers part
MAX_STALE_MINUTES = 10 * 366 * 24 * 60  # ten years: any longer wait is no longer "stale", and dates overflow
_TICKET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@#+=-]*$")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message as it arrives, before validation."""

    ticket_id: str
    role: str
    author: str
    text: str
    ts: datetime | None = None
    message_id: str | None = None
    product: str | None = None  # the ticket's product; the first one a message carries stays with the ticket


@dataclass(slots=True)
class _State:
    ticket: Ticket
    messages: list[Message]
    suggestions: list[Suggestion]
    by_client_id: dict[str, Message] = field(default_factory=dict[str, Message])
    stored: bool = True  # False until the ticket's first write reaches the store
    # Kept as messages arrive (not recomputed per turn: a ticket may hold 10,000 messages).
    handles: set[str] = field(default_factory=set[str])  # analysts' and bots' names, lower case
    answered: bool = False  # an analyst or bot turn with content has been said

    def note(self, message: Message) -> None:
        """Update what the resolution signal needs to know after `message` was appended."""
        if message.role != "customer":
            self.handles.add(message.author.lower())
            if not self.answered and carries_content(message.text, message.role):
                self.answered = True


@dataclass(frozen=True, slots=True)
class ResolvedCase:
    """What the self-improvement routine receives when a ticket is resolved."""

    ticket: Ticket
    messages: tuple[Message, ...]
    resolution_seqs: tuple[int, ...]  # analyst turns named as the resolution (empty: infer them)
    summary: str | None


JobFactory = Callable[[str, datetime, ResolvedBy, list[int], datetime], LearningJob]
"""(ticket id, resolved at, trigger, resolution seqs, now) -> the learning job a resolution queues."""
MAX_FLAGS = 20
T = TypeVar("T")


def validate(incoming: Incoming) -> Incoming:
    """The message with normalised fields, or InputError saying what to fix."""
    for name in ("ticket_id", "role", "author", "text", "message_id"):
        value = getattr(incoming, name)
        if isinstance(value, str) and _SURROGATE.search(value):
            # JSON can spell a lone UTF-16 surrogate ("\\ud800"); it is no character and cannot be stored.
            raise InputError(f"{name} holds a lone UTF-16 surrogate, which is not text: send valid Unicode")
    tid = incoming.ticket_id.strip()
    if not tid or len(tid) > MAX_ID_CHARS or not _TICKET_ID.match(tid):
        raise InputError(
            f"ticket_id {incoming.ticket_id[:50]!r} is not valid: use 1-{MAX_ID_CHARS} characters from letters, "
            "digits and . _ : / @ # + = -, starting with a letter or digit"
        )
    if incoming.role not in ROLES:
        raise InputError(f"role {incoming.role[:30]!r} is not valid: use customer, analyst or bot")
    author = incoming.author.strip()
    if not author or len(author) > MAX_ID_CHARS:
        raise InputError(f"author must be 1-{MAX_ID_CHARS} characters (a name or handle)")
    text = incoming.text.strip()
    if not text:
        raise InputError("text is empty: send the message's words")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            f"text is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}: send a link to long logs instead"
        )
    ts = incoming.ts
    if ts is not None and ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    mid = incoming.message_id.strip() if incoming.message_id else None
    if mid is not None and (not mid or len(mid) > MAX_ID_CHARS):
        raise InputError(f"message_id must be 1-{MAX_ID_CHARS} characters when given")
    return Incoming(tid, incoming.role, author, text, ts, mid, valid_product(incoming.product))


def _question_of(state: _State | None, suggestion: Suggestion) -> str:
    """The customer message a suggestion answered."""
    if state is None or not 1 <= suggestion.message_seq <= len(state.messages):
        return ""
    return state.messages[suggestion.message_seq - 1].text


def suggestion_id(ticket_id: str, seq: int) -> str:
    """Stable id of the suggestion triggered by message `seq` of a ticket."""
    return "sg-" + hashlib.sha1(f"{ticket_id}\x00{seq}".encode()).hexdigest()[:16]


class TicketService:
    """Intake, the proactive decision, and the analyst's view of tickets."""

    def __init__(
        self,
        store: TicketStore,
        answers: AnswerService,
        new_job: JobFactory | None = None,
        quiet_minutes: float = 30.0,
    ) -> None:
        self.store = store
        self.answers = answers
        self.new_job = new_job
        self.quiet_minutes = quiet_minutes
        self.on_queued: list[Callable[[LearningJob], object]] = []  # told after a job is stored
        self.on_feedback: list[Callable[[Suggestion], object]] = []  # told after a verdict is stored
        self.diagnostics: Callable[[str, str, str, bool, datetime], None] | None = None  # where diagnostics go
        self._lock = threading.RLock()
        self._cache: OrderedDict[str, _State] = OrderedDict()
        self._buffer: dict[str, TicketChange] | None = None
        self._pending_jobs: list[LearningJob] = []  # queued in the batch buffer, not stored yet
        self._known: set[str] | None = None  # ids in the store; loaded on first use (not with a shared store)
        self._shared = store.shared

    # ---- writing -----------------------------------------------------------------------------
    def _commit(
        self,
        state: _State,
        messages: list[Message],
        suggestions: list[Suggestion],
        expire: bool = False,
        previous: Ticket | None = None,
        jobs: Sequence[LearningJob] = (),
    ) -> None:
        """Write (or, inside `batch()`, queue) one ticket's change; on failure forget its cached state.

        `previous` is the ticket as the change found it (None when the change opened it).
        """
        known = previous if state.stored else None
        change = TicketChange(
            state.ticket, not state.stored, list(messages), list(suggestions), expire, known, list(jobs)
        )
        if self._buffer is not None:
            queued = self._buffer.get(state.ticket.id)
            if queued is None:
                self._buffer[state.ticket.id] = change
            else:
                queued.merge(change)
            state.stored = True  # later changes of this ticket are updates of the queued insert
            if len(self._buffer) >= BATCH_TICKETS:
                self._flush()
            return
        try:
            self.store.apply_tickets([change])
        except BaseException:
            self._cache.pop(state.ticket.id, None)
            raise
        state.stored = True

    def _flush(self) -> None:
        if not self._buffer:
            return
        changes, self._buffer = list(self._buffer.values()), {}
        try:
            self.store.apply_tickets(changes)
        except BaseException:
            for change in changes:
                self._cache.pop(change.ticket.id, None)
            self._pending_jobs.clear()
            raise
        jobs, self._pending_jobs = self._pending_jobs, []
        for job in jobs:
            self._queued(job)

    def flush(self) -> None:
        """Inside `batch()`: store what is queued now (replay does before learning from it)."""
        with self._lock:
            if self._buffer is not None:
                self._flush()

    @contextmanager
    def batch(self) -> Generator[None]:
        """Queue writes and store them BATCH_TICKETS tickets per transaction (replay); flushed on exit."""
        with self._lock:
            outer = self._buffer is not None
            if not outer:
                self._buffer = {}
            try:
                yield
            finally:
                if not outer:
                    try:
                        self._flush()
                    finally:
                        self._buffer = None

    def _retrying(self, ticket_id: str, write: Callable[[], T]) -> T:
        """Run `write`; when a shared store refuses it as stale, forget the cached ticket and run it again."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                return write()
            except StoreConflict:
                if not self._shared or self._buffer is not None or attempt == CONFLICT_RETRIES - 1:
                    raise
                log.debug("ticket %s changed on another replica; retrying (attempt %d)", ticket_id, attempt + 2)
                with self._lock:
                    self._cache.pop(ticket_id, None)
                time.sleep(random.uniform(0, CONFLICT_BACKOFF * (attempt + 1)))
        raise AssertionError("unreachable")

    # ---- state -------------------------------------------------------------------------------
    def _state(self, ticket_id: str) -> _State | None:
        state = self._cache.get(ticket_id)
        if state is not None:
            self._cache.move_to_end(ticket_id)
            if self._shared and not (self._buffer and ticket_id in self._buffer):
                self._refresh(state)
            return state
        if self._shared:
            ticket = self.store.get_ticket(ticket_id)
        else:
            if self._known is None:
                self._known = self.store.ticket_ids()
            ticket = self.store.get_ticket(ticket_id) if ticket_id in self._known else None
        if ticket is None:
            return None
        messages = self.store.ticket_messages(ticket_id)
        state = _State(
            ticket, messages, self.store.suggestions(ticket_id, None, MAX_MESSAGES_PER_TICKET)[::-1],
            {m.message_id: m for m in messages if m.message_id},
        )  # fmt: skip
        for message in state.messages:
            state.note(message)
        self._remember(state)
        return state

    def _refresh(self, state: _State) -> None:
        """Bring a cached ticket up to what the shared store holds (messages are append-only)."""
        stored = self.store.get_ticket(state.ticket.id)
        if stored is None:
            return
        if stored != state.ticket:
            for message in self.store.ticket_messages(stored.id, after_seq=len(state.messages)):
                state.messages.append(message)
                state.note(message)
                if message.message_id:
                    state.by_client_id[message.message_id] = message
            state.ticket = stored
        # Feedback and expiry on another replica move suggestions without touching the ticket row.
        state.suggestions = self.store.suggestions(stored.id, None, MAX_MESSAGES_PER_TICKET)[::-1]

    def _remember(self, state: _State) -> None:
        if self._known is not None:
            self._known.add(state.ticket.id)
        self._cache[state.ticket.id] = state
        self._cache.move_to_end(state.ticket.id)
        while len(self._cache) > CACHE_TICKETS:
            self._cache.popitem(last=False)

    @staticmethod
    def _append(state: _State | None, msg: Incoming, now: datetime) -> tuple[_State, Message]:
        """Apply one validated message to a ticket's state (no I/O)."""
        ts = msg.ts or now
        earlier = state.messages if state is not None else []
        kind = identify_turn(earlier, msg.author, msg.text).kind if msg.role == "customer" else msg.role
        if state is None:
            customer = msg.author if msg.role == "customer" else ""
            title = msg.text.splitlines()[0][:120] if msg.role == "customer" else ""
            ticket = Ticket(
                id=msg.ticket_id, title=title, customer=customer, status="waiting_on_customer",
                opened_at=ts, updated_at=ts, message_count=0, product=msg.product,
            )  # fmt: skip
            state = _State(ticket, [], [], stored=False)
        if len(state.messages) >= MAX_MESSAGES_PER_TICKET:
            raise InputError(
                f"ticket {msg.ticket_id} already holds {MAX_MESSAGES_PER_TICKET:,} messages; open a new ticket"
            )
        message = Message(
            ticket_id=msg.ticket_id, seq=len(state.messages) + 1, role=msg.role,  # pyright: ignore[reportArgumentType]
            author=msg.author, text=msg.text, ts=ts, message_id=msg.message_id, kind=kind,
        )  # fmt: skip
        t = state.ticket
        updates: dict[str, object] = {"updated_at": max(t.updated_at, ts), "message_count": t.message_count + 1}
        if not t.customer and msg.role == "customer":
            updates["customer"] = msg.author
        if msg.product is not None and t.product is None:
            updates["product"] = msg.product  # first value wins: a later, different product is ignored
        elif msg.product is not None and msg.product != t.product:
            log.info("ticket %s keeps product %s; a message named %s", t.id, t.product, msg.product)
        if (not t.title or t.title == "") and msg.role == "customer":
            updates["title"] = msg.text.splitlines()[0][:120]
        if msg.role == "customer":
            updates.update(_customer_turn(state, msg.text, kind, message_seq=len(state.messages) + 1, ts=ts))
        elif msg.role == "analyst" and t.status != "resolved":
            updates["status"] = "waiting_on_customer"
            updates["waiting_since"] = None
        state.ticket = t.model_copy(update=updates)
        state.messages.append(message)
        state.note(message)
        if message.message_id:
            state.by_client_id[message.message_id] = message
        return state, message

    def _suggestion(self, state: _State, message: Message, decision: Decision, now: datetime) -> Suggestion | None:
        if not decision.speak or decision.draft is None:
            return None
        draft = decision.draft
        return Suggestion(
            id=suggestion_id(message.ticket_id, message.seq), ticket_id=message.ticket_id, message_seq=message.seq,
            text=draft.text, confidence=round(draft.confidence, 4), citations=list(draft.citations),
            skills=list(decision.skills), engine=draft.engine, reason=decision.reason, why=dict(decision.why),
            status="pending",
            created_at=now, updated_at=now,
        )  # fmt: skip

    # ---- intake ------------------------------------------------------------------------------
    def _store_one(self, msg: Incoming, now: datetime) -> ObserveResult | tuple[_State, Message, list[Message]]:
        """Append and store one message, or the duplicate result when its message id is already stored."""
        with self._lock:
            state = self._state(msg.ticket_id)
            if state is not None and msg.message_id and msg.message_id in state.by_client_id:
                dup = state.by_client_id[msg.message_id]
                return ObserveResult(ticket=state.ticket, message=dup, duplicate=True, decision="already stored")
            before = state.ticket if state is not None else None
            state, message = self._append(state, msg, now)
            self._commit(state, [message], [], previous=before)
            self._remember(state)
            return state, message, list(state.messages[:-1])

    def observe(self, incoming: Incoming) -> ObserveResult:
        """Store one message (once), then decide whether to suggest an answer."""
        msg = validate(incoming)
        now = datetime.now(UTC)
        stored = self._retrying(msg.ticket_id, lambda: self._store_one(msg, now))
        if isinstance(stored, ObserveResult):
            return stored
        state, message, history = stored
        previous = [s.text for s in state.suggestions]
        decision = self.answers.decide(history, message, previous, product=state.ticket.product)
        suggestion = self._suggestion(state, message, decision, datetime.now(UTC))
        if suggestion is not None:
            with self._lock:
                if all(s.id != suggestion.id for s in state.suggestions):
                    self._commit(state, [], [suggestion], previous=state.ticket)
                    state.suggestions.append(suggestion)
        return ObserveResult(
            ticket=state.ticket, message=message, duplicate=False, suggestion=suggestion, decision=decision.reason
        )

    def observe_dialogue(
        self, turns: Sequence[Incoming], decide: bool = True
    ) -> tuple[Ticket, list[tuple[Message, Decision | None, Suggestion | None]]]:
        """Replay a whole dialogue (one ticket) in order and store it in one transaction."""
        if not turns:
            raise InputError("a dialogue needs at least one message")
        valid = [validate(t) for t in turns]
        ticket_id = valid[0].ticket_id
        if any(t.ticket_id != ticket_id for t in valid):
            raise InputError("every turn of a dialogue must carry the same ticket_id")
        now = datetime.now(UTC)
        return self._retrying(ticket_id, lambda: self._store_dialogue(ticket_id, valid, now, decide))

    def _store_dialogue(
        self, ticket_id: str, valid: Sequence[Incoming], now: datetime, decide: bool
    ) -> tuple[Ticket, list[tuple[Message, Decision | None, Suggestion | None]]]:
        with self._lock:
            state = self._state(ticket_id)
            before = state.ticket if state is not None else None
            start = len(state.messages) if state else 0
            new_suggestions: list[Suggestion] = []
            out: list[tuple[Message, Decision | None, Suggestion | None]] = []
            for msg in valid:
                if state is not None and msg.message_id and msg.message_id in state.by_client_id:
                    continue
                state, message = self._append(state, msg, now)
                decision = None
                suggestion = None
                if decide and message.role == "customer":
                    previous = [s.text for s in state.suggestions]
                    decision = self.answers.decide(state.messages[:-1], message, previous, product=state.ticket.product)
                    suggestion = self._suggestion(state, message, decision, now)
                    if suggestion is not None:
                        state.suggestions.append(suggestion)
                        new_suggestions.append(suggestion)
                out.append((message, decision, suggestion))
            assert state is not None
            self._commit(state, state.messages[start:], new_suggestions, previous=before)
            self._remember(state)
            return state.ticket, out

    # ---- reading -----------------------------------------------------------------------------
    def get(self, ticket_id: str) -> TicketView:
        """A ticket with its dialogue and suggestions."""
        with self._lock:
            state = self._state(ticket_id.strip())
            if state is None:
                raise NotFoundError(f"no ticket {ticket_id!r}; list_tickets shows the known ones")
            return TicketView(ticket=state.ticket, messages=list(state.messages), suggestions=list(state.suggestions))

    def list(self, status: str | None = None, limit: int = 50, offset: int = 0) -> list[Ticket]:
        """Tickets, most recently updated first."""
        if status is not None and status not in ("waiting_on_analyst", "waiting_on_customer", "resolved"):
            raise InputError("status must be waiting_on_analyst, waiting_on_customer or resolved")
        if not 1 <= limit <= LIST_LIMIT + 1 or offset < 0:
            raise InputError(f"limit must be 1-{LIST_LIMIT} and offset >= 0")
        return self.store.list_tickets(status, limit, offset)

    def pending(self, ticket_id: str | None = None, limit: int = 50, offset: int = 0) -> list[Suggestion]:
        """Suggestions no analyst has judged yet, newest first."""
        if ticket_id is not None:
            self.get(ticket_id)
        return self.store.suggestions(ticket_id, "pending", max(1, min(limit, LIST_LIMIT + 1)), max(0, offset))

    def stale(self, minutes: float, now: datetime | None = None, limit: int = 50, offset: int = 0) -> list[Ticket]:
        """Tickets whose customer has waited longer than `minutes`."""
        if not 0 <= minutes <= MAX_STALE_MINUTES:
            raise InputError(f"minutes must be from 0 to {MAX_STALE_MINUTES:,} (ten years)")
        now = now or datetime.now(UTC)
        since = now - timedelta(minutes=minutes)
        return self.store.stale_tickets(since, max(1, min(limit, LIST_LIMIT + 1)), max(0, offset))

    # ---- analyst actions ---------------------------------------------------------------------
    def feedback(
        self, suggestion_id: str, verdict: str, edited_text: str | None = None, comment: str | None = None
    ) -> Suggestion:
        """Record an analyst's verdict on a suggestion."""
        if verdict not in ("adopted", "edited", "rejected"):
            raise InputError("verdict must be adopted, edited or rejected")
        if verdict == "edited" and not (edited_text and edited_text.strip()):
            raise InputError("verdict edited needs edited_text: the answer as the analyst sent it")
        if edited_text is not None and len(edited_text) > MAX_TEXT_CHARS:
            raise InputError(f"edited_text is over {MAX_TEXT_CHARS:,} characters")
        with self._lock:
            found = self.store.get_suggestion(suggestion_id.strip())
            if found is None:
                raise NotFoundError(f"no suggestion {suggestion_id!r}; list_pending_suggestions lists them")
            if found.status != "pending":
                raise InputError(f"suggestion {found.id} is already {found.status}; feedback is taken once")
            now = datetime.now(UTC)
            v: Verdict = verdict  # pyright: ignore[reportAssignmentType]
            updated = found.model_copy(update={"status": v, "updated_at": now})
            given = Feedback(
                suggestion_id=found.id, verdict=v, edited_text=edited_text, comment=comment, created_at=now
            )
            try:
                self.store.record_feedback(given, updated)
            except StoreConflict:  # judged on another replica since it was read
                judged = self.store.get_suggestion(found.id)
                status = judged.status if judged is not None else "gone"
                raise InputError(f"suggestion {found.id} is already {status}; feedback is taken once") from None
            state = self._state(found.ticket_id)
            if state is not None:
                state.suggestions = [updated if s.id == found.id else s for s in state.suggestions]
            question = _question_of(state, found)
        self.answers.take_feedback(updated, given, question)
        for hook in self.on_feedback:
            hook(updated)
        return updated

    def feedback_given_elsewhere(self, suggestion_ids: Sequence[str]) -> int:
        """Fold verdicts another replica stored into this replica's answer path; how many were found.

        Only the priors: the replica that took the verdict already changed the lessons it concerns.
        """
        found = 0
        for suggestion_id in suggestion_ids:
            stored = self.store.feedback_of(suggestion_id)
            if stored is None:
                continue
            suggestion, given = stored
            with self._lock:
                question = _question_of(self._state(suggestion.ticket_id), suggestion)
            self.answers.feedback.record(suggestion, given, question)
            found += 1
        return found

    def resolve(
        self,
        ticket_id: str,
        resolution_message_ids: Sequence[str] | None = None,
        summary: str | None = None,
        trigger: ResolvedBy = "analyst",
    ) -> Resolution:
        """Mark a ticket resolved, expire its pending suggestions and queue the learning job (returned at once)."""
        return self._retrying(
            ticket_id.strip(), lambda: self._resolve_named(ticket_id, resolution_message_ids, summary, trigger)
        )

    def _resolve_named(
        self, ticket_id: str, resolution_message_ids: Sequence[str] | None, summary: str | None, trigger: ResolvedBy
    ) -> Resolution:
        with self._lock:
            state = self._state(ticket_id.strip())
            if state is None:
                raise NotFoundError(f"no ticket {ticket_id!r}; list_tickets shows the known ones")
            if state.ticket.status == "resolved":
                raise AlreadyResolvedError(
                    f"ticket {state.ticket.id} is already resolved (at {state.ticket.resolved_at})"
                )
            seqs: list[int] = []
            for ref in resolution_message_ids or []:
                ref = ref.strip().lstrip("#")
                msg = state.by_client_id.get(ref)
                if msg is None and ref.isdigit() and 1 <= int(ref) <= len(state.messages):
                    msg = state.messages[int(ref) - 1]
                if msg is None:
                    raise InputError(f"resolution message {ref!r} is not in ticket {state.ticket.id}")
                seqs.append(msg.seq)
            return self._resolve(state, seqs, summary, trigger, None)

    def _resolve(
        self, state: _State, seqs: list[int], summary: str | None, trigger: ResolvedBy, by_seq: int | None
    ) -> Resolution:
        now = datetime.now(UTC)
        last = state.messages[-1].ts if state.messages else now
        resolved_at = max(last, state.ticket.updated_at)
        ticket = state.ticket.model_copy(
            update={"status": "resolved", "resolved_at": resolved_at, "updated_at": resolved_at,
                    "waiting_since": None, "summary": summary or state.ticket.summary, "resolved_by": trigger,
                    "resolution_seq": by_seq, "confirmed_seq": None, "confirmed_at": None}
        )  # fmt: skip
        job = (self.new_job or new_job)(ticket.id, resolved_at, trigger, seqs, now)
        previous = state.ticket
        state.ticket = ticket
        try:
            self._commit(state, [], [], expire=True, previous=previous, jobs=[job])
        except BaseException:
            state.ticket = previous
            raise
        state.suggestions = [
            s.model_copy(update={"status": "expired", "updated_at": now}) if s.status == "pending" else s
            for s in state.suggestions
        ]
        if self._buffer is None:
            self._queued(job)
        else:
            self._pending_jobs.append(job)
        return Resolution(ticket=ticket, job=job)

    def _queued(self, job: LearningJob) -> None:
        for hook in self.on_queued:
            try:
                hook(job)
            except Exception:  # the job is stored; a listener's failure only delays it
                log.exception("telling a listener about learning job %s failed", job.id)

    def resolve_confirmed(self, now: datetime | None = None, limit: int = 100) -> list[Resolution]:
        """Resolve by signal each ticket whose customer confirmed a fix and raised nothing new for the quiet period."""
        now = now or datetime.now(UTC)
        due = self.store.confirmed_tickets(now - timedelta(minutes=self.quiet_minutes), limit)
        done: list[Resolution] = []
        for stored in due:
            with self._lock:
                state = self._state(stored.id)
                if state is None or state.ticket.status == "resolved" or state.ticket.confirmed_seq is None:
                    continue
                confirmed_at = state.ticket.confirmed_at
                if confirmed_at is None or confirmed_at > now - timedelta(minutes=self.quiet_minutes):
                    continue
                seq = state.ticket.confirmed_seq
                try:
                    done.append(self._resolve(state, [], None, "signal", seq))
                except StoreConflict:  # another replica's sweep resolved it first (or the customer wrote again)
                    continue
                log.info("ticket %s resolved by the customer's confirmation (message #%d)", stored.id, seq)
        return done

    def apply_retention(self, days: int, now: datetime | None = None, batch: int = 2000) -> int:
        """Redact, in place, the raw customer text of tickets resolved more than `days` days ago; how many messages.

        0 days keeps raw text. Redacted messages keep their seq and ids, so lessons' evidence still points at them.
        """
        if days <= 0:
            return 0
        cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
        done = 0
        while rows := self.store.messages_to_redact(cutoff, batch):
            masked = [(ticket, seq, redact(text).text) for ticket, seq, text in rows]
            self.store.store_redacted(masked)
            with self._lock:
                for ticket in {r[0] for r in rows}:
                    self._cache.pop(ticket, None)
            done += len(rows)
        if done:
            log.info("redacted the raw text of %d messages of tickets resolved before %s", done, cutoff.date())
        return done

    def store_diagnostic(self, ticket_id: str, tool: str, arguments: str, ok: bool) -> None:
        """Remember that a diagnostic tool ran for a ticket (its arguments already redacted)."""
        with self._lock:
            if self._state(ticket_id) is None:
                raise NotFoundError(f"no ticket {ticket_id!r}")
        if self.diagnostics is not None:
            self.diagnostics(ticket_id, tool, arguments, ok, datetime.now(UTC))

    def flag(self, ticket_id: str, flags: Sequence[str]) -> Ticket:
        """Record on a ticket why vigil would not learn from it (shown by get_ticket)."""
        with self._lock:
            state = self._state(ticket_id)
            if state is None:
                raise NotFoundError(f"no ticket {ticket_id!r}")
            merged = list(dict.fromkeys([*state.ticket.flags, *flags]))[:MAX_FLAGS]
            if merged == state.ticket.flags:
                return state.ticket
            before = state.ticket
            state.ticket = state.ticket.model_copy(update={"flags": merged})
            self._commit(state, [], [], previous=before)
            return state.ticket


def _customer_turn(state: _State, text: str, kind: str, *, message_seq: int, ts: datetime) -> dict[str, object]:
    """How a customer turn moves a ticket: a confirmation starts the quiet period, a new problem reopens it."""
    t = state.ticket
    if state.answered and confirmation(text, frozenset(state.handles)) is not None:
        if t.status == "resolved":
            return {}
        return {"status": "waiting_on_customer", "waiting_since": None, "confirmed_seq": message_seq,
                "confirmed_at": ts}  # fmt: skip
    if t.status == "resolved" and kind not in ("question", "statement"):
        return {}  # "thanks again!" or "bye" does not reopen a resolved ticket; a new problem does
    updates: dict[str, object] = {"status": "waiting_on_analyst", "resolved_at": None, "confirmed_seq": None,
                                  "confirmed_at": None}  # fmt: skip
    if t.status == "resolved":
        updates.update({"resolved_by": None, "resolution_seq": None})
    if t.status != "waiting_on_analyst":
        updates["waiting_since"] = ts
    return updates
