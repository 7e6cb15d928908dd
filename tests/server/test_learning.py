"""Learning end to end through a real MCP client, on both protocol eras.

The PVC case of issue 12: the analyst first says "Hi, looking at it now.", then gives the fix; vigil
learns the fix (never the greeting), a paraphrased repeat is offered it, a retired lesson is not
offered again, and a confirmation without resolve_ticket resolves the ticket after the quiet period.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest
from mcp import Client

from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings
from vigil_mcp.server import build_server

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
PROBLEM = (
    "Our postgres PersistentVolumeClaim is stuck in Pending on k8s 1.27 and the pod never mounts its volume, "
    "how do we fix it?"
)
FIX = (
    "The cluster has no default StorageClass, so the claim waits forever: set storageClassName: standard in the "
    "PersistentVolumeClaim, delete the pending claim and apply it again."
)
REPEAT = "The PersistentVolumeClaim of our postgres pod stays Pending on k8s and the pod never mounts its volume. Why?"


@pytest.fixture
def learning(settings: Settings, tmp_path: Path) -> Iterator[App]:
    """An app over the bundled runbook sample, with skills outside git and a fast quiet-period sweep."""
    app = build_app(replace(settings, skills_dir=tmp_path / "skills", resolution_quiet_minutes=1.0))
    app.knowledge.add_paths([Path(str(files("vigil_mcp") / "data" / "runbooks-sample.jsonl"))])
    app.sweep_seconds = 0.05
    yield app
    app.close()


async def say(client: Client, ticket: str, role: str, text: str, ts: datetime | None = None) -> dict[str, Any]:
    args: dict[str, Any] = {"ticket_id": ticket, "role": role, "author": "dev" if role == "customer" else "sam"}
    args["text"] = text
    if ts is not None:
        args["ts"] = ts.isoformat()
    result = await client.call_tool("observe_message", args)
    assert not result.is_error, result.content
    return result.structured_content or {}


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    return result.structured_content or {}


@pytest.mark.embeddings
@pytest.mark.parametrize("mode", MODES)
async def test_the_pvc_case_learns_the_real_fix_and_a_paraphrased_repeat_is_offered_it(
    learning: App, mode: Any
) -> None:
    async with Client(build_server(learning), mode=mode) as client:
        await say(client, "k8s/1", "customer", PROBLEM)
        await say(client, "k8s/1", "analyst", "Hi, looking at it now.")
        await say(client, "k8s/1", "analyst", FIX)
        await say(client, "k8s/1", "customer", "That worked, thanks!")
        resolved = await call(client, "resolve_ticket", id="k8s/1")
        assert resolved["ticket"]["status"] == "resolved"
        job = resolved["job"]
        assert job["id"].startswith("lj-") and job["status"] in ("queued", "running", "done")
        done = await call(client, "get_learning_job", id=job["id"], wait_seconds=20)
        assert done["status"] == "done", done
        result = done["result"]
        assert result["learned"] and result["lesson_id"] and result["knowledge_id"]
        lesson = await call(client, "get_lesson", id=result["lesson_id"])
        assert lesson["fix"] == FIX
        assert "looking at it" not in lesson["fix"]
        assert (lesson["fix_seqs"], lesson["confirmation_seq"], lesson["confirmed_by"]) == ([3], 4, "customer")
        assert lesson["evidence"] == ["#3", "#4"]
        assert lesson["environment"] == ["k8s 1.27"]
        assert lesson["problem"].startswith("Our postgres PersistentVolumeClaim is stuck in Pending")
        item = await call(client, "get_knowledge", id=result["knowledge_id"])
        assert f"lesson:{lesson['id']}" in item["tags"] and item["source"] == "ticket:k8s/1"
        job_json = (await client.read_resource(f"vigil://learning/jobs/{job['id']}")).contents[0]
        assert result["lesson_id"] in getattr(job_json, "text", "")

        offered = await say(client, "k8s/2", "customer", REPEAT)
        suggestion = offered["suggestion"]
        assert suggestion is not None, offered["decision"]
        assert result["knowledge_id"] in suggestion["citations"]
        assert "StorageClass" in suggestion["text"] and "looking at it" not in suggestion["text"]

        retired = await call(client, "retire_lesson", id=result["knowledge_id"], reason="wrong for our clusters")
        assert (retired["status"], retired["version"], retired["change"]) == ("retired", 2, "retired")
        again = await say(client, "k8s/3", "customer", REPEAT)
        assert again["suggestion"] is None or result["knowledge_id"] not in again["suggestion"]["citations"]
        restored = await call(client, "restore_lesson", id=lesson["id"])
        assert (restored["status"], restored["version"]) == ("active", 3)


@pytest.mark.parametrize("mode", MODES)
async def test_a_confirmation_without_resolve_resolves_the_ticket_after_the_quiet_period(
    learning: App, mode: Any
) -> None:
    queued = threading.Event()
    learning.tickets.on_queued.append(lambda _job: queued.set())
    before = datetime.now(UTC) - timedelta(minutes=5)
    async with Client(build_server(learning), mode=mode) as client:
        await say(client, "k8s/9", "customer", PROBLEM, before)
        await say(client, "k8s/9", "analyst", FIX, before + timedelta(seconds=30))
        confirmed = await say(client, "k8s/9", "customer", "fixed, thanks!", before + timedelta(seconds=60))
        assert confirmed["ticket"]["status"] == "waiting_on_customer"  # nobody waits on an analyst
        assert confirmed["ticket"]["confirmed_seq"] == 3
        stale = await call(client, "list_stale_tickets", minutes=0)
        assert "k8s/9" not in [t["id"] for t in stale["tickets"]]
        with anyio.fail_after(20):
            assert await anyio.to_thread.run_sync(lambda: queued.wait(15))
        view = await call(client, "get_ticket", id="k8s/9")
        ticket = view["ticket"]
        assert (ticket["status"], ticket["resolved_by"], ticket["resolution_seq"]) == ("resolved", "signal", 3)
        jobs = await call(client, "list_learning_jobs", ticket_id="k8s/9")
        done = await call(client, "get_learning_job", id=jobs["jobs"][0]["id"], wait_seconds=20)
        assert done["result"]["learned"], done
        thanks_again = await say(client, "k8s/9", "customer", "thanks again!")
        assert thanks_again["ticket"]["status"] == "resolved"
        reopened = await say(client, "k8s/9", "customer", "The claim is Pending again after the upgrade, why?")
        assert (reopened["ticket"]["status"], reopened["ticket"]["resolved_by"]) == ("waiting_on_analyst", None)


def test_a_new_problem_within_the_quiet_period_keeps_the_ticket_open(learning: App) -> None:
    from vigil_mcp.services.tickets import Incoming

    start = datetime.now(UTC) - timedelta(minutes=10)
    tickets = learning.tickets
    tickets.observe(Incoming("k8s/5", "customer", "dev", PROBLEM, start))
    tickets.observe(Incoming("k8s/5", "analyst", "sam", FIX, start + timedelta(minutes=1)))
    tickets.observe(Incoming("k8s/5", "customer", "dev", "that worked", start + timedelta(minutes=2)))
    tickets.observe(Incoming("k8s/5", "customer", "dev", "but now the pod crashes with OOMKilled, why?", start))
    assert tickets.resolve_confirmed(datetime.now(UTC)) == []
    assert tickets.get("k8s/5").ticket.status == "waiting_on_analyst"


async def test_a_diagnostic_called_for_the_ticket_becomes_part_of_the_lesson(learning: App) -> None:
    async with Client(build_server(learning)) as client:
        await say(client, "k8s/7", "customer", PROBLEM)
        checked = await client.call_tool(
            "check_tcp", {"host": "127.0.0.1", "port": 1}, meta={"vigil/ticket_id": "k8s/7"}
        )
        assert checked.structured_content is not None
        await say(client, "k8s/7", "analyst", FIX)
        await say(client, "k8s/7", "customer", "That worked, thanks!")
        job = (await call(client, "resolve_ticket", id="k8s/7"))["job"]
        done = await call(client, "get_learning_job", id=job["id"], wait_seconds=20)
        lesson = await call(client, "get_lesson", id=done["result"]["lesson_id"])
    assert len(lesson["diagnostics"]) == 1 and lesson["diagnostics"][0].startswith("check_tcp(")
    assert "[REDACTED:ip]" in lesson["diagnostics"][0] or "127.0.0.1" in lesson["diagnostics"][0]
