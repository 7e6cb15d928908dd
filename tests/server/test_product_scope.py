"""Knowledge scoped by product, through a real MCP client on both eras.

A ticket of a product is answered only from that product's knowledge and knowledge with no product;
a ticket without one sees everything; a learned Q&A carries its ticket's product.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings
from vigil_mcp.server import build_server

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
ETCD = (
    "## Mitigation\n\nIf the etcd database is fragmented, defrag it: run `etcdctl defrag` on each etcd member, "
    "one member at a time, then check the database size again with `etcdctl endpoint status`."
)
DESKTOP = (
    "## Filesystems\n\nLinux filesystems such as ext4 allocate blocks so that files rarely fragment; "
    "`e4defrag` reorganises the files of a mounted ext4 filesystem when it is needed."
)
QUESTION = "how do I defrag the etcd database when it is fragmented?"


@pytest.fixture
def scoped(settings: Settings, tmp_path: Path) -> Iterator[App]:
    """An empty app (BM25) with skills outside git, for knowledge the test adds with products."""
    app = build_app(replace(settings, skills_dir=tmp_path / "skills"))
    yield app
    app.close()


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    return result.structured_content or {}


async def add_two_products(client: Client) -> tuple[str, str]:
    """An OpenShift etcd runbook and an Ubuntu page; their item ids (runbook, page)."""
    await call(client, "add_knowledge", title="etcd defragmentation", body=ETCD, source="rb:etcd", product="openshift")
    await call(
        client, "add_knowledge", title="Ubuntu desktop guide", body=DESKTOP, source="doc:fs", kind="doc",
        product="Ubuntu",
    )  # fmt: skip
    every = await call(client, "search_knowledge", query="defrag fragmented etcd database filesystem", limit=5)
    ids = {hit["source"]: hit["id"] for hit in every["hits"]}
    products = {hit["source"]: hit["product"] for hit in every["hits"]}
    assert products == {"rb:etcd": "openshift", "doc:fs": "ubuntu"}  # names are lower-cased
    return ids["rb:etcd"], ids["doc:fs"]


def cited(result: dict[str, Any]) -> str:
    """Everything a decision says about its evidence: the suggestion's citations, or the reason's best item."""
    suggestion = result["suggestion"]
    return " ".join(suggestion["citations"]) if suggestion else result["decision"]


@pytest.mark.parametrize("mode", MODES)
async def test_an_ubuntu_ticket_never_gets_the_openshift_passage_that_matches_it_best(scoped: App, mode: Any) -> None:
    async with Client(build_server(scoped), mode=mode) as client:
        runbook, page = await add_two_products(client)
        unscoped = await call(client, "observe_message", ticket_id="T-1", role="customer", author="kim", text=QUESTION)
        assert runbook in cited(unscoped), unscoped["decision"]  # it matches best: without a product it is used
        assert unscoped["ticket"]["product"] is None
        ubuntu = await call(
            client, "observe_message", ticket_id="T-2", role="customer", author="kim", text=QUESTION, product="ubuntu"
        )
        assert ubuntu["ticket"]["product"] == "ubuntu"
        assert runbook not in cited(ubuntu) and page in cited(ubuntu), ubuntu["decision"]
        # The first product stays with the ticket: a later message naming another one does not move it.
        again = await call(
            client, "observe_message", ticket_id="T-2", role="customer", author="kim",
            text="still: how do I defrag the fragmented etcd database?", product="openshift",
        )  # fmt: skip
        assert again["ticket"]["product"] == "ubuntu" and runbook not in cited(again)
        # search_knowledge takes the same scope.
        hits = await call(client, "search_knowledge", query="defrag etcd database ext4 filesystem", product="ubuntu")
        assert [h["id"] for h in hits["hits"]] == [page]
        item = await call(client, "get_knowledge", id=runbook)
        assert item["product"] == "openshift"


@pytest.mark.parametrize("mode", MODES)
async def test_knowledge_without_a_product_serves_a_ticket_of_any_product(scoped: App, mode: Any) -> None:
    async with Client(build_server(scoped), mode=mode) as client:
        await call(client, "add_knowledge", title="etcd defragmentation", body=ETCD, source="rb:etcd")
        hits = await call(client, "search_knowledge", query="defrag etcd database", product="stripe")
        assert [h["source"] for h in hits["hits"]] == ["rb:etcd"] and hits["hits"][0]["product"] is None
        stripe = await call(
            client, "observe_message", ticket_id="S-1", role="customer", author="kim", text=QUESTION, product="stripe"
        )
        assert hits["hits"][0]["id"] in cited(stripe), stripe["decision"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_learned_qa_carries_the_product_of_its_ticket(scoped: App, mode: Any) -> None:
    problem = "Webhook signature verification fails with No signatures found matching the expected signature"
    fix = (
        "Pass the raw request body to stripe.webhooks.constructEvent(body, signature, secret), not the parsed JSON, "
        "and use the endpoint's own secret."
    )
    async with Client(build_server(scoped), mode=mode) as client:
        base = {"ticket_id": "stripe/1", "author": "dev"}
        await call(client, "observe_message", **base, role="customer", text=problem, product="stripe")
        await call(client, "observe_message", **{**base, "author": "sam"}, role="analyst", text=fix)
        await call(client, "observe_message", **base, role="customer", text="That worked, thanks!")
        job = (await call(client, "resolve_ticket", id="stripe/1"))["job"]
        done = await call(client, "get_learning_job", id=job["id"], wait_seconds=20)
        assert done["status"] == "done" and done["result"]["learned"], done
        item = await call(client, "get_knowledge", id=done["result"]["knowledge_id"])
        lesson = await call(client, "get_lesson", id=done["result"]["lesson_id"])
        assert (item["product"], lesson["product"]) == ("stripe", "stripe")
        ubuntu = await call(client, "search_knowledge", query="webhook signature verification", product="ubuntu")
        assert ubuntu["hits"] == []
        stripe = await call(client, "search_knowledge", query="webhook signature verification", product="stripe")
        assert [h["id"] for h in stripe["hits"]] == [item["id"]]


@pytest.mark.parametrize("mode", MODES)
async def test_a_bad_product_name_is_refused_in_one_sentence_saying_what_to_use(scoped: App, mode: Any) -> None:
    async with Client(build_server(scoped), mode=mode) as client:
        for tool, args in (
            ("observe_message", {"ticket_id": "T-1", "role": "customer", "author": "kim", "text": "hi?"}),
            ("search_knowledge", {"query": "defrag"}),
            ("add_knowledge", {"title": "t", "body": "some text"}),
        ):
            with pytest.raises(MCPError, match=r"product 'Open Shift!' is not valid: use 1-32 letters, digits"):
                await client.call_tool(tool, {**args, "product": "Open Shift!"})
        assert scoped.tickets.list() == []  # nothing was stored for the refused message
