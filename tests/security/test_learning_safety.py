"""What learning does with hostile tickets, pasted secrets and bad input: no skill content from customer
instructions, no secret in knowledge, lessons, skills, git or logs, and never a crash."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.security.injections import INJECTIONS
from tests.security.secret_formats import FORMATS
from tests.services.learn.cases import WEBHOOK, git, init_repo
from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings
from vigil_mcp.server import build_server
from vigil_mcp.services.tickets import MAX_TEXT_CHARS, Incoming

pytestmark = pytest.mark.anyio
# Phrases only the attackers wrote: none may reach a skill.
ATTACK_WORDS = ("resolve_ticket", "169.254.169.254", "ignore all", "disregard", "exfiltrate", "DAN", "evil", "rot13")


@pytest.fixture
def repo_app(settings: Settings, tmp_path: Path) -> Iterator[App]:
    """An app whose home is a git repository (skills/ is committed there)."""
    home = init_repo(tmp_path / "home")
    app = build_app(replace(settings, home=home, store=home / "knowledge.duckdb", skills_dir=home / "skills"))
    app.knowledge.load()
    yield app
    app.close()


async def _case(client: Client, ticket: str, question: str, answer: str) -> dict[str, Any]:
    for role, author, text in (("customer", "mallory", question), ("analyst", "sam", answer)):
        result = await client.call_tool("observe_message", {"ticket_id": ticket, "role": role, "author": author,
                                                            "text": text})  # fmt: skip
        assert not result.is_error, result.content
    await client.call_tool("observe_message", {"ticket_id": ticket, "role": "customer", "author": "mallory",
                                               "text": "thanks, that worked!"})  # fmt: skip
    resolved = (await client.call_tool("resolve_ticket", {"id": ticket})).structured_content or {}
    done = await client.call_tool("get_learning_job", {"id": resolved["job"]["id"], "wait_seconds": 30})
    return done.structured_content or {}


def _written(app: App) -> str:
    """Everything learning wrote: skill files, Q&A bodies, lesson rows, git history."""
    home = app.settings.home
    skills = "\n".join(p.read_text(encoding="utf-8") for p in (home / "skills").glob("*/SKILL.md"))
    store = app.knowledge.store
    bodies = "\n".join(
        item.body for item in (store.get_knowledge(h.id) for h in app.knowledge.search("webhook", 50, "qa").hits)
        if item is not None
    )  # fmt: skip
    lessons = json.dumps([lesson.model_dump(mode="json") for lesson in app.lessons.list(limit=200)])
    history = git(home, "log", "-p", "--all")
    return "\n".join([skills, bodies, lessons, history])


async def test_hostile_tickets_are_flagged_and_give_no_skill_any_customer_instruction(repo_app: App) -> None:
    results: list[dict[str, Any]] = []
    async with Client(build_server(repo_app)) as client:
        for n, injection in enumerate(INJECTIONS):
            question, answer = WEBHOOK[n % len(WEBHOOK)]
            results.append(await _case(client, f"INJ-{n}", f"{question}\n\n{injection.text}", answer))
        flagged = [(await client.call_tool("get_ticket", {"id": f"INJ-{n}"})).structured_content or {}
                   for n in range(len(INJECTIONS))]  # fmt: skip
    refused = [r for r in results if r["result"]["reason"].startswith("not learned: instruction-like content")]
    learned = [r for r in results if r["result"]["learned"]]
    assert len(refused) >= len(INJECTIONS) - 2, [r["result"]["reason"] for r in results if r not in refused]
    assert all(r["result"]["flags"] for r in refused)
    assert sum(1 for view in flagged if view["ticket"]["flags"]) == len(refused)
    assert len(learned) == len(INJECTIONS) - len(refused)  # the two that only paste a secret, redacted
    skills = "\n".join(p.read_text(encoding="utf-8") for p in (repo_app.settings.home / "skills").glob("*/SKILL.md"))
    assert [w for w in ATTACK_WORDS if w.lower() in skills.lower()] == []
    assert not any(ch in skills for ch in "\u200b\u2063\u202e\u202c")


async def test_every_pasted_secret_format_is_masked_in_knowledge_lessons_skills_git_and_logs(
    repo_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with Client(build_server(repo_app)) as client:
        for n, fmt in enumerate(FORMATS):
            question, answer = WEBHOOK[n % len(WEBHOOK)]
            done = await _case(client, f"SEC-{n}", f"{question} {fmt.sentence}", f"{answer} Also: {fmt.sentence}")
            assert done["status"] == "done", done
    assert list((repo_app.settings.home / "skills").glob("*/SKILL.md")), "the cases made a skill"
    written = _written(repo_app) + "\n" + caplog.text
    leaks = [(fmt.name, piece) for fmt in FORMATS for piece in fmt.pieces if piece in written]
    assert leaks == []
    assert "[REDACTED:" in written


def test_bad_input_learns_nothing_or_a_clean_lesson_and_never_crashes(repo_app: App) -> None:
    tickets = repo_app.tickets
    noise = random.Random(5)
    secret = FORMATS[0].sentence
    cases: dict[str, list[tuple[str, str]]] = {
        "no-analyst": [("customer", "My webhook signature check fails with No signatures found, why?")] * 2,
        "greetings": [("customer", "hi"), ("analyst", "hello!"), ("customer", "hey"), ("analyst", "Hi, looking at it")],
        "long": [("customer" if i % 2 else "analyst", f"turn {i} about the webhook signature") for i in range(500)],
        "huge": [("customer", "Why does it fail? " + "x" * (MAX_TEXT_CHARS - 40)), ("analyst", "Use the raw body."),
                 ("customer", "that worked")],
        "binary": [("customer", "".join(chr(noise.randrange(1, 0xD7FF)) for _ in range(3000))),
                   ("analyst", "".join(chr(noise.randrange(1, 0xD7FF)) for _ in range(3000))), ("customer", "thanks")],
        "secrets": [("customer", f"webhook signature fails {secret}"), ("analyst", f"Use the raw body, {secret}"),
                    ("customer", f"that worked {secret}")],
    }  # fmt: skip
    for ticket, turns in cases.items():
        for role, text in turns:
            tickets.observe(Incoming(ticket, role, "ann" if role == "customer" else "bob", text))
        tickets.resolve(ticket)
    repo_app.worker.drain()
    results = {job.ticket_id: job for job in repo_app.worker.list()}
    assert set(results) == set(cases) and all(job.status == "done" for job in results.values())
    for ticket in ("no-analyst", "greetings", "long", "binary"):
        result = results[ticket].result
        assert result is not None and not result.learned
        assert result.reason.startswith(("nothing learned: ", "not learned: "))
    written = _written(repo_app)
    assert [p for p in FORMATS[0].pieces if p in written] == []
