"""Check what the MCP Inspector CLI got from `vigil serve` over stdio (called by .ci/conformance.sh).

usage: python .ci/inspector_assertions.py WORK_DIR ITEM_ID
WORK_DIR holds tools-list.json, search.json, prompts-list.json and resource-read.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# vigil's own tools; the diagnostics (tools/) and ticket tools come on top.
CORE_TOOLS = {"search_knowledge", "get_knowledge", "list_skills", "get_skill", "observe_message"}
BUNDLED_SKILLS = {"dns-not-resolving", "endpoint-5xx", "tls-certificate-expiring"}


def load(work: Path, name: str) -> Any:
    return json.loads((work / f"{name}.json").read_text(encoding="utf-8"))


def check(failures: list[str], ok: bool, what: str) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def main(work: Path, item: str) -> int:
    failures: list[str] = []

    tools = load(work, "tools-list")["tools"]
    names = {t["name"] for t in tools}
    check(failures, names >= CORE_TOOLS, f"tools/list has {sorted(CORE_TOOLS)} ({len(tools)} tools)")
    check(failures, "check_http" in names, "tools/list has the bundled diagnostics (check_http)")
    check(failures, all(t.get("description", "").strip() for t in tools), "every tool has a description")
    check(failures, all(t["inputSchema"].get("type") == "object" for t in tools), "every inputSchema is an object")
    unannotated = sorted(t["name"] for t in tools if "readOnlyHint" not in (t.get("annotations") or {}))
    check(failures, not unannotated, f"every tool says whether it is read-only (missing: {unannotated})")
    search_tool = next((t for t in tools if t["name"] == "search_knowledge"), {})
    check(failures, (search_tool.get("annotations") or {}).get("readOnlyHint") is True, "search_knowledge is read-only")

    result = load(work, "search")
    hits = (result.get("structuredContent") or {}).get("hits") or []
    check(failures, result.get("isError") is not True, "tools/call search_knowledge is not an error")
    check(failures, 1 <= len(hits) <= 3, f"search_knowledge honours limit=3 ({len(hits)} hits)")
    best = hits[0]["title"] if hits else None
    check(failures, best == "etcdMembersDown", "the best hit for etcdMembersDown is its runbook")
    text = "".join(c.get("text", "") for c in result.get("content", []) if c.get("type") == "text")
    check(failures, item in text, "the text content carries the same hits as the structured content")

    prompts = load(work, "prompts-list")["prompts"]
    prompt_names = {p["name"] for p in prompts}
    check(failures, prompt_names >= BUNDLED_SKILLS, f"prompts/list has a prompt per bundled skill ({len(prompts)})")
    check(failures, all(p.get("description", "").strip() for p in prompts), "every prompt has a description")

    contents = load(work, "resource-read")["contents"]
    first = contents[0] if contents else {}
    check(failures, first.get("uri") == f"vigil://knowledge/{item}", f"resources/read answers for {item}")
    check(failures, first.get("mimeType") == "text/markdown", "the knowledge resource is Markdown")
    body = first.get("text", "")
    check(failures, body.startswith("# etcdMembersDown") and f"id: {item}" in body, "it has the title and provenance")

    if failures:
        print(f"inspector assertions: {len(failures)} failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))
