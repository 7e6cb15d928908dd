"""kill -9 in the middle of a replay with learning, on a real `vigil serve --http` subprocess.

A sender replays dialogues through the webhook: each ticket's customer question and analyst answer,
then a resolve event (which queues a learning job with the resolution). The server is killed with
SIGKILL once enough deliveries were acknowledged, with more in flight. After a restart:

- the store opens and the restarted server answers /healthz;
- every acknowledged message (201, or 200 for a retry) is stored exactly once, in order;
- every acknowledged resolve left its ticket resolved and its learning job queued: once the queue is
  worked off, each has its learned Q&A item; a resolve in flight at the kill is either fully done or
  cleanly absent (no half-written item);
- every SKILL.md parses;
- retrying the unacknowledged deliveries completes the replay with nothing stored twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import REPO
from tests.security.live import Live, serve
from tests.transport.webhook_client import SECRET
from vigil_mcp.app import build_app
from vigil_mcp.config import load_settings
from vigil_mcp.errors import NotFoundError
from vigil_mcp.services.knowledge.service import item_id
from vigil_mcp.services.learn.lessons import qa_source
from vigil_mcp.services.skills.loader import load_skill
from vigil_mcp.transport.signature import sign

TICKETS = 400
KILL_AFTER_ACKS = 240
SIGNED = {"VIGIL_WEBHOOK_SECRET": SECRET}


def post(http: httpx.Client, url: str, body: dict[str, object]) -> httpx.Response:
    """One signed webhook delivery."""
    raw = json.dumps(body).encode()
    headers = {"content-type": "application/json", **sign(SECRET, raw)}
    return http.post(f"{url}/webhook/messages", content=raw, headers=headers)


def deliveries() -> Iterator[dict[str, object]]:
    """The replay, in order: question, answer, resolve for each ticket."""
    for t in range(TICKETS):
        tid = f"CR-{t:04d}"
        yield {"ticket_id": tid, "role": "customer", "author": f"cust{t}", "message_id": f"{tid}-q",
               "text": f"How do I fix error E{t:04d} on the billing worker {t}?"}  # fmt: skip
        yield {"ticket_id": tid, "role": "analyst", "author": "sam", "message_id": f"{tid}-a",
               "text": f"Restart the billing worker {t} with --drain; that clears E{t:04d}."}  # fmt: skip
        yield {"event": "resolve", "ticket_id": tid, "resolution_message_ids": [f"{tid}-a"]}


@dataclass
class Sender:
    """Posts the replay one delivery at a time and remembers what the server acknowledged."""

    url: str
    acked: list[dict[str, object]] = field(default_factory=list[dict[str, object]])
    failed_at: int | None = None
    enough: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=10) as http:
            for n, body in enumerate(deliveries()):
                try:
                    response = post(http, self.url, body)
                except httpx.TransportError:
                    self.failed_at = n
                    self.enough.set()
                    return
                assert response.status_code in (200, 201), response.text
                self.acked.append(body)
                if len(self.acked) >= KILL_AFTER_ACKS:
                    self.enough.set()
        self.enough.set()


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "crash-home"
    shutil.copytree(REPO / "skills", home / "skills", ignore=shutil.ignore_patterns("README.md"))
    return home


def _kill_mid_replay(live: Live) -> Sender:
    sender = Sender(live.url)
    thread = threading.Thread(target=sender.run, daemon=True)
    thread.start()
    assert sender.enough.wait(timeout=120), "the server acknowledged too few deliveries in time"
    os.kill(live.proc.pid, signal.SIGKILL)
    live.proc.wait(timeout=10)
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert sender.failed_at is not None, "the replay finished before the kill: raise TICKETS"
    return sender


def test_a_kill_9_mid_replay_loses_no_acknowledged_message_and_tears_no_skill(tmp_path: Path) -> None:
    home = _home(tmp_path)
    with serve(home, SIGNED) as live:
        sender = _kill_mid_replay(live)
    assert live.proc.returncode == -signal.SIGKILL

    with serve(home, SIGNED) as restarted:  # the store opens and the server comes back
        assert httpx.get(f"{restarted.url}/healthz").status_code == 200

    app = build_app(load_settings({"home": str(home)}, environ={}))
    try:
        app.knowledge.load()
        app.worker.drain()  # whatever the restarted server had not learned before it stopped
        acked_messages = [b for b in sender.acked if "message_id" in b]
        acked_resolves = {str(b["ticket_id"]) for b in sender.acked if b.get("event") == "resolve"}
        stored: dict[str, list[str | None]] = {}
        for body in acked_messages:
            tid = str(body["ticket_id"])
            if tid not in stored:
                stored[tid] = [m.message_id for m in app.tickets.get(tid).messages]
        for body in acked_messages:
            assert stored[str(body["ticket_id"])].count(str(body["message_id"])) == 1, body
        for tid, ids in stored.items():
            assert ids == [f"{tid}-q", f"{tid}-a"][: len(ids)], f"{tid} is out of order: {ids}"
        for tid in acked_resolves:
            assert app.tickets.get(tid).ticket.status == "resolved"
            item = app.knowledge.get(item_id(qa_source(tid), "", 1))
            assert f"E{tid[-4:]}" in item.model_dump_json()
        in_flight = [str(b["ticket_id"]) for b in list(deliveries())[len(sender.acked) : len(sender.acked) + 1]]
        for tid in in_flight:
            with contextlib.suppress(NotFoundError):  # cleanly absent: learning is one transaction
                app.knowledge.get(item_id(qa_source(tid), "", 1))
    finally:
        app.close()
    for folder in sorted((home / "skills").iterdir()):
        result = load_skill(folder)
        assert result.skill is not None, (folder, result.problems)


def test_retrying_after_a_kill_9_completes_the_replay_with_nothing_stored_twice(tmp_path: Path) -> None:
    home = _home(tmp_path)
    with serve(home, SIGNED) as live:
        sender = _kill_mid_replay(live)
    started = time.monotonic()
    with serve(home, SIGNED) as restarted, httpx.Client(timeout=10) as http:
        # The sender retries from its first unacknowledged delivery, plus the last acknowledged one again.
        for body in list(deliveries())[len(sender.acked) - 1 :]:
            response = post(http, restarted.url, body)
            assert response.status_code in (200, 201), response.text  # a resolve sent again answers 200
    assert time.monotonic() - started < 120
    app = build_app(load_settings({"home": str(home)}, environ={}))
    try:
        for t in range(TICKETS):
            tid = f"CR-{t:04d}"
            view = app.tickets.get(tid)
            assert [m.message_id for m in view.messages] == [f"{tid}-q", f"{tid}-a"]
            assert view.ticket.status == "resolved"
    finally:
        app.close()
