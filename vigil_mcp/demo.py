"""The demo: replay bundled real dialogues over bundled runbooks and show what vigil does.

As it goes it prints what vigil suggested (with confidence and citations), what it kept quiet
on and why, what it learned from each resolved case, and the skill files it wrote.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

from mcp import Client

from vigil_mcp.app import App
from vigil_mcp.errors import VigilError
from vigil_mcp.models import IngestReport
from vigil_mcp.server import build_server
from vigil_mcp.services.replay import read_dialogues

DEMO_QUERIES = (
    "etcdMembersDown",
    "persistent volume almost full",
    "ssl certificate expired on the website",
)

Say = Callable[[str], None]
# The product each bundled doc set documents: the #stripe and #ubuntu dialogues are answered from their
# own channel's docs; the runbooks (OpenShift alerts and GitLab service runbooks) serve on-call tickets.
DOC_PRODUCTS = {
    "stripe-api": "stripe", "debian-faq": "ubuntu", "debian-handbook": "ubuntu", "debian-reference": "ubuntu",
}  # fmt: skip
RUNBOOKS_PRODUCT = "openshift"


def _data(name: str) -> Path:
    return Path(str(resources.files("vigil_mcp") / "data" / name))


def sample_runbooks() -> Path:
    """Path of the bundled runbook excerpt (see vigil_mcp/data/NOTICE.md for its licences)."""
    return _data("runbooks-sample.jsonl")


def sample_dialogues() -> Path:
    """Path of the bundled dialogue excerpt (CC BY 4.0, see NOTICE.md)."""
    return _data("dialogues-sample.jsonl")


def sample_docs() -> list[Path]:
    """The bundled excerpt of the channels' product docs (one folder per doc set; see NOTICE.md)."""
    root = _data("docs")
    return sorted(p for p in root.iterdir() if p.is_dir())


def load_sample(app: App) -> IngestReport:
    """Ingest the bundled runbooks for on-call tickets (idempotent: a second run changes nothing)."""
    return app.knowledge.add_paths([sample_runbooks()], product=RUNBOOKS_PRODUCT)


def load_sample_docs(app: App) -> IngestReport:
    """Ingest the bundled docs excerpt as product docs, each set for its product (idempotent)."""
    report = IngestReport()
    for product in dict.fromkeys(DOC_PRODUCTS.values()):
        paths = [p for p in sample_docs() if DOC_PRODUCTS.get(p.name) == product]
        report = report.plus(app.knowledge.add_paths(paths, kind="doc", product=product))
    others = [p for p in sample_docs() if p.name not in DOC_PRODUCTS]
    return report.plus(app.knowledge.add_paths(others, kind="doc")) if others else report


async def ask(app: App, queries: tuple[str, ...] = DEMO_QUERIES) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each query through a real MCP client session, with its top hits."""
    answers: list[tuple[str, list[dict[str, Any]]]] = []
    async with Client(build_server(app)) as client:
        for query in queries:
            result = await client.call_tool("search_knowledge", {"query": query, "limit": 3})
            content: dict[str, Any] = result.structured_content or {}
            answers.append((query, cast(list[dict[str, Any]], content.get("hits", []))))
    return answers


def silence_kind(reason: str) -> str:
    """A short category for why vigil stayed silent."""
    for prefix, kind in (
        ("thanks", "thanks"),
        ("greeting", "greetings"),
        ("followup", "follow-ups"),
        ("follow-up in an exchange", "follow-ups in an exchange an analyst leads (left to the analyst)"),
        ("chatter", "chatter"),
        ("statement", "statements that ask for nothing (no question, problem or request)"),
        ("too vague", "too vague to answer"),
        ("an analyst already", "an analyst already answered"),
        ("already suggested", "already suggested"),
        ("nothing in knowledge", "nothing in knowledge"),
    ):
        if reason.startswith(prefix):
            return kind
    return "requests it could not answer well enough (judge below its threshold)"


@dataclass(slots=True)
class DemoReport:
    """What the dialogue replay did."""

    dialogues: int = 0
    questions: int = 0
    suggestions: int = 0
    learned: int = 0
    silences: Counter[str] = field(default_factory=Counter[str])
    skill_files: list[str] = field(default_factory=list[str])


def replay_sample(app: App, say: Say) -> DemoReport:
    """Replay the bundled dialogues with learning, narrating as it goes."""
    report = DemoReport()
    for dialogue in read_dialogues(sample_dialogues(), []):
        try:
            _, steps = app.tickets.observe_dialogue(dialogue.turns)
        except VigilError as exc:
            say(f"  skipped {dialogue.id}: {exc}")
            continue
        report.dialogues += 1
        for message, decision, suggestion in steps:
            if message.role != "customer" or decision is None:
                continue
            report.questions += int(message.kind == "question")
            if suggestion is None:
                report.silences[silence_kind(decision.reason)] += 1
                continue
            report.suggestions += 1
            say(f"\n[{dialogue.id}] customer {message.author}: {_short(message.text)}")
            cites = ", ".join(suggestion.citations + suggestion.skills)
            say(f"  vigil suggests ({suggestion.confidence:.2f}, cites {cites}):")
            answer, source = _parts(suggestion.text)
            say(f"    {_short(answer, 300)}")
            if source:
                say(f"    Source: {_short(source, 200)}")
        if dialogue.resolved:
            before = len(app.learner.history)
            try:
                app.tickets.resolve(dialogue.id, None, trigger="replay")
            except VigilError:
                continue
            app.worker.drain()
            for learned in app.learner.history[before:]:
                lesson = learned.lesson
                if lesson is not None and learned.result.learned and lesson.change == "learned":
                    report.learned += 1
                    say(f"  learned from {dialogue.id}: {_short(lesson.problem, 100)} [{lesson.knowledge_id}]")
                elif lesson is None:
                    say(f"  nothing learned from {dialogue.id}: {_why_not(learned.result.reason)}")
                for path in _skill_paths(learned):
                    report.skill_files.append(path)
                    say(f"  wrote skill file {path}")
    return report


def _skill_paths(learned: object) -> list[str]:
    """Skill files a learning step wrote, if the learner reports them."""
    change = getattr(learned, "skill", None)
    path = getattr(change, "path", None) if change is not None else None
    return [str(path)] if path else []


def _parts(text: str) -> tuple[str, str]:
    """A drafted reply split into its answer and its citation line (empty when it has none)."""
    answer, _, source = text.rpartition("\n\nSource: ")
    return (answer, source) if answer else (text, "")


def _why_not(reason: str) -> str:
    """Why a resolved case taught nothing, short enough for one line: the reason's head when it is long."""
    reason = reason.removeprefix("nothing learned: ")
    if len(reason) > 150 and ": " in reason:
        reason = reason.split(": ", 1)[0]
    return _short(reason, 150)


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
