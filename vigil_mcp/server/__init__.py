"""Build the MCP server: each module maps one area's tools, resources and prompts onto services."""

from __future__ import annotations

from typing import Any

from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

from vigil_mcp import __version__
from vigil_mcp.app import App
from vigil_mcp.notify import advertise_list_changed
from vigil_mcp.server.background import Background
from vigil_mcp.server.calls import register_call_rules
from vigil_mcp.server.diagnostics import register_diagnostics
from vigil_mcp.server.knowledge import register_knowledge
from vigil_mcp.server.logging_level import register_logging_level
from vigil_mcp.server.metrics import register_metrics
from vigil_mcp.server.roles import register_roles
from vigil_mcp.server.skills import register_skills
from vigil_mcp.server.tickets import register_tickets

INSTRUCTIONS = """\
vigil is an on-call support companion. It holds the team's operational knowledge (runbooks split
by section, Q&A learned from resolved tickets, skills) and answers questions about alerts,
error messages and symptoms from it.

Start with `search_knowledge` using the words an on-call engineer would type: an alert name
(etcdMembersDown), an error code (ERR_CONN_RESET), a component (kube-apiserver) or a symptom
("disk full on gitaly node"). Each hit has an id; fetch the full text with `get_knowledge`
or read the resource vigil://knowledge/{id}. Cite the ids you used when you answer.

vigil also follows live support dialogues: feed each message to `observe_message` and it drafts
an answer unasked when a customer question falls within what it knows (and stays silent
otherwise). `list_tickets`, `get_ticket`, `summarize_ticket`, `stale_tickets` and
`pending_suggestions` show where cases stand; `suggestion_feedback` records whether a draft
helped; `resolve_ticket` closes a case so vigil learns from it.
"""


def build_server(
    app: App, token_verifier: TokenVerifier | None = None, auth: AuthSettings | None = None
) -> MCPServer[Any]:
    """The vigil MCP server over the given services; with `auth`, HTTP callers need a token and a role."""
    background = Background()
    mcp: MCPServer[Any] = MCPServer(
        name="vigil",
        title="vigil: on-call support companion",
        description="Knowledge lookup, diagnostics and proactive answers for live support conversations.",
        instructions=INSTRUCTIONS,
        version=__version__,
        subscriptions=app.notifier.bus,
        lifespan=background.lifespan,
        token_verifier=token_verifier,
        auth=auth,
    )
    mcp.middleware.append(app.notifier.middleware)
    register_metrics(mcp, app)  # before any middleware that may refuse a call, so it counts those too
    advertise_list_changed(mcp)
    register_logging_level(mcp)
    register_knowledge(mcp, app.knowledge)
    register_diagnostics(mcp, app, background)
    register_skills(mcp, app, background)
    register_tickets(mcp, app)
    register_call_rules(mcp, app)  # last: innermost, once every tool and prompt is registered
    if auth is not None:
        register_roles(mcp)  # inside the call rules: unknown names are refused before roles are checked
    return mcp


__all__ = ["INSTRUCTIONS", "build_server"]
