"""Tool names: vigil's own tools, and the names that changed in 0.2 (to verb_noun).

OWN_TOOLS are the tools vigil itself registers (the diagnostics come from tool files on top);
`--tools` / `--exclude-tools` select among both, so a pattern is checked against both.

An old name still works where a name is given by hand: a `tools/call`, `--tools` and
`--exclude-tools` patterns (and their vigil.toml / VIGIL_* forms), `vigil tools run`. It is never
listed, so clients and LLMs only ever see the new names. Each use logs a warning once per process.
"""

from __future__ import annotations

import logging

REMOVED_IN = "0.3"

OWN_TOOLS: tuple[str, ...] = (
    "search_knowledge",
    "get_knowledge",
    "add_knowledge",
    "observe_message",
    "list_tickets",
    "get_ticket",
    "list_pending_suggestions",
    "send_suggestion_feedback",
    "summarize_ticket",
    "list_stale_tickets",
    "resolve_ticket",
    "get_learning_job",
    "list_learning_jobs",
    "list_lessons",
    "get_lesson",
    "retire_lesson",
    "restore_lesson",
    "list_skills",
    "get_skill",
)

DEPRECATED_TOOL_NAMES: dict[str, str] = {
    "pending_suggestions": "list_pending_suggestions",
    "suggestion_feedback": "send_suggestion_feedback",
    "stale_tickets": "list_stale_tickets",
    "http_check": "check_http",
    "dns_lookup": "lookup_dns",
    "tcp_check": "check_tcp",
    "tls_certificate": "check_tls_certificate",
    "prometheus_query": "query_prometheus",
    "status_page": "check_status_page",
}

log = logging.getLogger(__name__)
_warned: set[str] = set()


def current_name(name: str) -> str:
    """The name a deprecated tool name stands for now (any other name unchanged); warns once per old name."""
    new = DEPRECATED_TOOL_NAMES.get(name)
    if new is None:
        return name
    if name not in _warned:
        _warned.add(name)
        log.warning("tool name %s is deprecated: use %s (the old name goes away in vigil %s)", name, new, REMOVED_IN)
    return new


def current_patterns(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """--tools / --exclude-tools patterns with deprecated tool names replaced by the new ones."""
    return tuple(current_name(pattern) for pattern in patterns)
