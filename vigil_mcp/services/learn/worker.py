"""Durable background learning: resolutions queue jobs in the store, a worker learns from them one at a time.

A job is queued in the same transaction that resolves the ticket, so a job exists only for a ticket
whose dialogue is stored. The worker reads the dialogue back from the store, learns (idempotently) and
records the result on the job. A process that dies mid-job leaves it `running`; the next start puts
it back in the queue and learning it again writes nothing twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from vigil_mcp.errors import NotFoundError, VigilError
from vigil_mcp.models import LearningJob, LearnResult, TicketView
from vigil_mcp.services.learn.learner import Learned, Learner
from vigil_mcp.services.tickets import ResolvedCase
from vigil_mcp.storage.base import LearningStore, TicketStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
DRAIN_BATCH = 32
LIST_LIMIT = 200
Clock = Callable[[], datetime]


class LearningWorker:
    """Takes queued jobs from the store and learns from them; `drain` runs until the queue is empty."""

    def __init__(
        self, store: LearningStore, tickets: TicketStore, learner: Learner, clock: Clock | None = None
    ) -> None:
        self.store = store
        self.tickets = tickets
        self.learner = learner
        self._clock: Clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()  # one job at a time per process
        self.wake = threading.Event()  # set when a job is queued
        self.done = threading.Condition()  # notified after each job
        self.batch = 1  # jobs claimed per transaction (drain takes more; a crash requeues them all)
        self._claimed: list[LearningJob] = []
        self.last: Learned | None = None  # what the last job learned (timings for the bench)
        # Reads a stored ticket (the ticket service's cache of what it stored); None: the store itself.
        self.read: Callable[[str], TicketView] | None = None
        self.recovered = self.store.requeue_running()
        if self.recovered:
            log.warning("%d learning job(s) were interrupted by a stop; learning them again", self.recovered)

    def run_once(self) -> LearningJob | None:
        """Learn from the oldest queued job and return it as finished; None when the queue is empty."""
        with self._lock:
            if not self._claimed:
                self._claimed = self.store.claim_jobs(self._clock(), self.batch)
            if not self._claimed:
                return None
            job = self._claimed.pop(0)
            learned: Learned | None = None
            try:
                learned = self._learn(job)
                status, result = "done", learned.result
            except Exception as exc:  # a bug or a broken store: the job says so, the worker goes on
                log.exception("learning job %s (ticket %s) failed", job.id, job.ticket_id)
                retry = job.attempts < MAX_ATTEMPTS and not isinstance(exc, VigilError)
                status = "queued" if retry else "failed"
                result = LearnResult(learned=False, reason=f"learning failed: {type(exc).__name__}: {exc}"[:300])
            finished = self._clock()
            self.store.finish_job(job.id, status, result, finished)
        with self.done:
            self.done.notify_all()
        self.last = learned
        return job.model_copy(update={"status": status, "result": result, "finished_at": finished})

    def _learn(self, job: LearningJob) -> Learned:
        if self.read is not None:
            view = self.read(job.ticket_id)
            ticket, messages = view.ticket, tuple(view.messages)
        else:
            stored = self.tickets.get_ticket(job.ticket_id)
            if stored is None:
                raise NotFoundError(f"ticket {job.ticket_id} is not in the store")
            ticket, messages = stored, tuple(self.tickets.ticket_messages(job.ticket_id))
        case = ResolvedCase(ticket, messages, tuple(job.resolution_seqs), ticket.summary)
        return self.learner.learn(case)

    def drain(self, limit: int | None = None) -> int:
        """Learn from queued jobs until none is left (or `limit` were done); how many were done."""
        self.wake.clear()
        done = 0
        self.batch = DRAIN_BATCH
        try:
            while limit is None or done < limit:
                if self.run_once() is None:
                    break
                done += 1
        finally:
            self.batch = 1
        return done

    def get(self, job_id: str) -> LearningJob:
        """One job; NotFoundError naming what to try."""
        found = self.store.job(job_id.strip())
        if found is None:
            raise NotFoundError(f"no learning job {job_id!r}; list_learning_jobs shows them")
        return found

    def wait(self, job_id: str, seconds: float) -> LearningJob:
        """The job once it is done or failed, or as it stands after `seconds`."""
        deadline = self._clock().timestamp() + max(0.0, seconds)
        job = self.get(job_id)
        with self.done:
            while job.status in ("queued", "running") and self._clock().timestamp() < deadline:
                self.done.wait(timeout=min(0.5, max(0.0, deadline - self._clock().timestamp())))
                job = self.get(job_id)
        return job

    def list(
        self, ticket_id: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[LearningJob]:
        """Jobs, newest first."""
        return self.store.jobs(ticket_id, status, max(1, min(limit, LIST_LIMIT + 1)), max(0, offset))
