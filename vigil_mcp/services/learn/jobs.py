"""The learning job one resolution queues: a stable id and its first state (no I/O)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from vigil_mcp.models import LearningJob, ResolvedBy


def job_id(ticket_id: str, resolved_at: datetime) -> str:
    """The id of the job one resolution of a ticket queues (the same resolution, the same job)."""
    return "lj-" + hashlib.sha1(f"{ticket_id}\x00{resolved_at.isoformat()}".encode()).hexdigest()[:16]


def new_job(ticket_id: str, resolved_at: datetime, trigger: ResolvedBy, seqs: list[int], now: datetime) -> LearningJob:
    """A queued job for one resolution."""
    return LearningJob(
        id=job_id(ticket_id, resolved_at), ticket_id=ticket_id, trigger=trigger, resolution_seqs=seqs,
        status="queued", created_at=now,
    )  # fmt: skip
