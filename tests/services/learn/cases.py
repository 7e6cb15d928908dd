"""Helpers: resolved cases through the real ticket service, and real git repositories in tmp_path."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings
from vigil_mcp.models import Message
from vigil_mcp.services.answer.identify import identify_turn
from vigil_mcp.services.learn.learner import Learned
from vigil_mcp.services.tickets import Incoming, ResolvedCase

MAINTAINER = ("Maya Maintainer", "maya@example.com")
START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def dialogue(*turns: tuple[str, str, str]) -> list[Message]:
    """(role, author, text) turns as the ticket service stores them: seq from 1, customer turns classified."""
    out: list[Message] = []
    for seq, (role, author, text) in enumerate(turns, start=1):
        kind = identify_turn(out, author, text).kind if role == "customer" else role
        at = START + timedelta(seconds=seq)
        out.append(Message(ticket_id="T-1", seq=seq, role=role, author=author, text=text, ts=at, kind=kind))
    return out


# Three wordings of one problem (Stripe webhooks), each with the analyst's answer.
WEBHOOK = [
    (
        "Stripe webhook signature verification fails with No signatures found matching the expected signature "
        "for payload, why?",
        "You must pass the raw request body to constructEvent; express.json() parses it and changes the bytes "
        "Stripe signed.",
    ),
    (
        "My webhook endpoint says No signatures found matching the expected signature for payload, what is wrong?",
        "Use express.raw({type: 'application/json'}) on the webhook route so the signature is checked against the "
        "raw body.",
    ),
    (
        "webhook signature verification failed: No signatures found matching the expected signature, any idea?",
        "Check that you use the endpoint's own whsec_ signing secret, not the one the Stripe CLI prints, and the "
        "raw body.",
    ),
]
GRUB = (
    "How do I change grub so that windows boots by default?",
    "Edit /etc/default/grub, set GRUB_DEFAULT to the Windows entry, then run sudo update-grub.",
)


def git(repo: Path, *args: str) -> str:
    """Run git as the maintainer would."""
    name, email = MAINTAINER
    done = subprocess.run(
        ["git", "-c", f"user.name={name}", "-c", f"user.email={email}", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def init_repo(path: Path, branch: str = "main") -> Path:
    """A git repository with one commit (a README), on `branch`."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    (path / "README.md").write_text("# ops\n", encoding="utf-8")
    git(path, "add", "README.md")
    git(path, "commit", "-qm", "start")
    return path


@contextmanager
def learning_app(settings: Settings, skills_dir: Path, **changes: object) -> Iterator[App]:
    """An app whose skills live in `skills_dir`, with other settings changed as given."""
    app = build_app(replace(settings, skills_dir=skills_dir, **changes))  # pyright: ignore[reportArgumentType]
    try:
        app.knowledge.load()
        yield app
    finally:
        app.close()


def resolve_case(
    app: App,
    ticket_id: str,
    question: str,
    answer: str,
    *,
    clarifications: Sequence[str] = (),
    steps: Sequence[str] = (),
) -> Learned:
    """A customer asks, an analyst answers, the customer thanks; the ticket is resolved and learned from."""
    app.tickets.observe(Incoming(ticket_id, "customer", "ann", question))
    for text in clarifications:
        app.tickets.observe(Incoming(ticket_id, "customer", "ann", text))
    for step in steps:
        app.tickets.observe(Incoming(ticket_id, "analyst", "bob", step))
    app.tickets.observe(Incoming(ticket_id, "analyst", "bob", answer))
    app.tickets.observe(Incoming(ticket_id, "customer", "ann", "thanks, that worked!"))
    app.tickets.resolve(ticket_id)
    app.worker.drain()
    return app.learner.history[-1]


def learn_again(app: App, ticket_id: str) -> Learned:
    """Hand an already resolved ticket to the learner once more (as a second replay would)."""
    view = app.tickets.get(ticket_id)
    return app.learner.learn(ResolvedCase(view.ticket, tuple(view.messages), (), None))


def skill_text(skills_dir: Path, name: str) -> str:
    return (skills_dir / name / "SKILL.md").read_text(encoding="utf-8")
