"""Skills across replicas: one skills folder shared by every replica, and a NOTIFY that makes each reload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import anyio.to_thread
import pytest
from mcp import Client
from mcp.shared.subscriptions import PromptsListChanged

from tests.services.skills.files import save, skill_text
from vigil_mcp.app import App, build_app
from vigil_mcp.config import load_settings
from vigil_mcp.server import build_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def two(postgres_url: str, tmp_path: Path) -> Iterator[tuple[App, App, Path]]:
    """Two replicas on one database whose skills folder is the same (a shared volume)."""
    shared = tmp_path / "shared-skills"
    shared.mkdir()
    apps: list[App] = []
    for name in ("a", "b"):
        home = tmp_path / name
        home.mkdir()
        apps.append(build_app(load_settings({"home": str(home), "store": postgres_url, "skills_dir": str(shared)},
                                            environ={})))  # fmt: skip
    yield apps[0], apps[1], shared
    for app in apps:
        app.close()


async def test_a_skill_change_announced_by_one_replica_reaches_the_others(two: tuple[App, App, Path]) -> None:
    a, b, _ = two
    assert a.replicas is not None and b.replicas is not None
    heard: list[list[str]] = []
    arrived = anyio.Event()

    async def hook(names: list[str]) -> None:
        heard.append(names)
        arrived.set()

    b.replicas.skills_hooks.append(hook)
    async with anyio.create_task_group() as tg:
        tg.start_soon(b.replicas.run)
        with anyio.fail_after(5):
            await b.replicas.listening.wait()
        await a.replicas.announce_skills(["disk-full"])
        with anyio.fail_after(5):
            await arrived.wait()
        tg.cancel_scope.cancel()
    assert heard == [["disk-full"]]


async def test_a_skill_written_by_one_replica_is_served_by_the_other_and_its_clients_are_told(
    two: tuple[App, App, Path],
) -> None:
    a, b, shared = two
    async with Client(build_server(a)) as on_a, Client(build_server(b)) as on_b:
        for app in (a, b):
            assert await anyio.to_thread.run_sync(app.skills.live.wait, 10)
            assert app.replicas is not None
            with anyio.fail_after(10):
                await app.replicas.listening.wait()
        await on_a.list_prompts()
        async with on_b.listen(prompts_list_changed=True) as sub:
            # What the learner on replica A does: write the skill into the folder every replica mounts.
            save(shared, "disk-full", skill_text("disk-full", status="approved"))
            with anyio.fail_after(10):
                while not isinstance(await anext(sub), PromptsListChanged):
                    pass
        skill = await on_b.call_tool("get_skill", {"name": "disk-full"})
    assert not skill.is_error
    assert (skill.structured_content or {})["name"] == "disk-full"
