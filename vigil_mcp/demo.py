"""The demo: load the bundled runbook excerpt and ask vigil what an on-call analyst would."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, cast

from mcp import Client

from vigil_mcp.app import App
from vigil_mcp.models import IngestReport
from vigil_mcp.server import build_server

DEMO_QUERIES = (
    "etcdMembersDown",
    "persistent volume almost full",
    "ssl certificate expired on the website",
    "gitaly latency too high",
)


def sample_runbooks() -> Path:
    """Path of the bundled runbook excerpt (see vigil_mcp/data/NOTICE.md for its licences)."""
    return Path(str(resources.files("vigil_mcp") / "data" / "runbooks-sample.jsonl"))


def load_sample(app: App) -> IngestReport:
    """Ingest the bundled runbooks (idempotent: a second run changes nothing)."""
    return app.knowledge.add_paths([sample_runbooks()])


async def ask(app: App, queries: tuple[str, ...] = DEMO_QUERIES) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each query through a real MCP client session, with its top hits."""
    answers: list[tuple[str, list[dict[str, Any]]]] = []
    async with Client(build_server(app)) as client:
        for query in queries:
            result = await client.call_tool("search_knowledge", {"query": query, "limit": 3})
            content: dict[str, Any] = result.structured_content or {}
            hits = cast(list[dict[str, Any]], content.get("hits", []))
            answers.append((query, hits))
    return answers
