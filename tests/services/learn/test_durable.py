"""Durable learning: kill -9 between resolution and learning (or in the middle of it), restart, learned exactly once.

The first process resolves tickets and is killed with SIGKILL before its worker runs (or while it
learns); the restarted server, a real `vigil serve` over stdio, finds the queued or interrupted jobs
in the store and learns each case once: one lesson version, one Q&A item, one skill commit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import LEARNING_TESTS_FLOOR
from vigil_mcp.storage import open_store

from .cases import WEBHOOK, git, init_repo

pytestmark = pytest.mark.anyio

RESOLVE_AND_DIE = textwrap.dedent(
    """
    import json, os, signal, sys
    from vigil_mcp.app import build_app
    from vigil_mcp.config import load_settings
    from vigil_mcp.services.learn.lessons import LessonBook
    from vigil_mcp.services.tickets import Incoming

    home, cases, when = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    app = build_app(load_settings({"home": home, "lesson_floor": float(sys.argv[4])}, environ={}))
    app.knowledge.load()
    jobs = []
    for ticket, question, answer in cases:
        app.tickets.observe(Incoming(ticket, "customer", "ann", question))
        app.tickets.observe(Incoming(ticket, "analyst", "bob", answer))
        app.tickets.observe(Incoming(ticket, "customer", "ann", "thanks, that worked!"))
        jobs.append(app.tickets.resolve(ticket).job.id)
    print(json.dumps(jobs), flush=True)
    if when == "while-learning":
        real = LessonBook.publish
        def die_after_the_lesson_row(self, lesson):
            os.kill(os.getpid(), signal.SIGKILL)  # the lesson row is stored, its Q&A and the job's end are not
        LessonBook.publish = die_after_the_lesson_row
        app.worker.drain()
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _resolve_and_die(home: Path, cases: list[tuple[str, str, str]], when: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", RESOLVE_AND_DIE, str(home), json.dumps(cases), when, str(LEARNING_TESTS_FLOOR)],
        capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "VIGIL_HOME": str(home)},
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("when", ["before-learning", "while-learning"])
async def test_a_kill_between_resolution_and_learning_is_learned_exactly_once_after_a_restart(
    tmp_path: Path, when: str
) -> None:
    home = init_repo(tmp_path / "home")
    cases = [(f"stripe/{n}", q, a) for n, (q, a) in enumerate(WEBHOOK[:2], start=1)]
    jobs = _resolve_and_die(home, cases, when)
    before = git(home, "rev-list", "--count", "HEAD")
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "vigil_mcp", "serve", "--home", str(home)],
        env={"VIGIL_HOME": str(home), "VIGIL_LESSON_FLOOR": str(LEARNING_TESTS_FLOOR)},
    )
    results: list[dict[str, Any]] = []
    async with Client(params, read_timeout_seconds=60) as client:
        for job in jobs:
            got = await client.call_tool("get_learning_job", {"id": job, "wait_seconds": 30})
            results.append(got.structured_content or {})
        lessons = (await client.call_tool("list_lessons", {})).structured_content or {}
    assert [r["status"] for r in results] == ["done", "done"], results
    assert all(r["result"]["learned"] for r in results)
    assert sorted(lesson["ticket_id"] for lesson in lessons["lessons"]) == ["stripe/1", "stripe/2"]
    assert [lesson["version"] for lesson in lessons["lessons"]] == [1, 1]
    store = open_store(home / "knowledge.duckdb")
    try:
        assert store.count_knowledge().get("qa") == 2
        assert all(len(store.lesson_versions(lesson["id"])) == 1 for lesson in lessons["lessons"])
    finally:
        store.close()
    # One skill, one commit: the second case made the draft; nothing was committed twice.
    assert int(git(home, "rev-list", "--count", "HEAD")) == int(before) + 1
    assert len(list((home / "skills").glob("*/SKILL.md"))) == 1
