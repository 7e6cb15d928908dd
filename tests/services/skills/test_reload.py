import os
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from watchfiles import Change

from vigil_mcp.services.skills import RefreshReport, SkillLibrary, touched_skills, watch_skills

from .files import save, skill_text

pytestmark = pytest.mark.anyio


def test_a_batch_maps_to_the_skill_folders_it_touched_ignoring_temp_files(tmp_path: Path) -> None:
    root = tmp_path / "skills"
    changes = {
        (Change.added, str(root / "a" / ".SKILL.md.123.tmp")),
        (Change.deleted, str(root / "a" / ".SKILL.md.123.tmp")),
        (Change.modified, str(root / "b" / "references" / "x.md")),
        (Change.deleted, str(root / "c")),
        (Change.added, str(root / "d" / "SKILL.md~")),
        (Change.added, str(root / ".git" / "index")),
        (Change.added, str(tmp_path / "elsewhere.md")),
    }
    assert touched_skills(root, changes) == {"b", "c"}
    assert touched_skills(root, {(Change.deleted, str(root))}) is None


class Watch:
    """A running watch_skills whose reports arrive on a stream."""

    def __init__(self, library: SkillLibrary) -> None:
        self.library = library
        self.send, self.reports = anyio.create_memory_object_stream[RefreshReport](100)

    async def on_refresh(self, report: RefreshReport) -> None:
        await self.send.send(report)

    async def until(self, done: Callable[[], bool]) -> None:
        with anyio.fail_after(10):
            while not done():
                await self.reports.receive()


async def _watching(library: SkillLibrary, tg: anyio.abc.TaskGroup) -> Watch:
    watch = Watch(library)
    ready = anyio.Event()
    tg.start_soon(lambda: watch_skills(library, watch.on_refresh, ready=ready))
    with anyio.fail_after(10):
        await ready.wait()
    return watch


async def test_created_edited_and_deleted_skills_reach_the_library(tmp_path: Path) -> None:
    library = SkillLibrary(tmp_path)
    library.load()
    async with anyio.create_task_group() as tg:
        watch = await _watching(library, tg)
        save(tmp_path, "new-skill", skill_text("new-skill", version=1))
        await watch.until(lambda: "new-skill" in {s.name for s in library.all()})
        save(tmp_path, "new-skill", skill_text("new-skill", version=2))
        await watch.until(lambda: library.get("new-skill").version == 2)
        (tmp_path / "new-skill" / "SKILL.md").unlink()
        await watch.until(lambda: library.all() == [])
        tg.cancel_scope.cancel()


async def test_a_burst_of_saves_ends_on_the_last_version_and_never_serves_a_broken_one(tmp_path: Path) -> None:
    save(tmp_path, "s", skill_text("s", version=1))
    library = SkillLibrary(tmp_path)
    library.load()
    seen: list[int] = []
    async with anyio.create_task_group() as tg:
        watch = await _watching(library, tg)
        for version in range(2, 22):
            save(tmp_path, "s", skill_text("s", version=version))
            # A half-written save in between: truncated in place, the way a non-atomic writer leaves it.
            with open(tmp_path / "s" / "SKILL.md", "w", encoding="utf-8") as handle:
                handle.write("---\nname: s\ndescrip")
            save(tmp_path, "s", skill_text("s", version=version))

        def settled() -> bool:
            seen.append(library.get("s").version)
            return seen[-1] == 21

        await watch.until(settled)
        tg.cancel_scope.cancel()
    assert seen == sorted(seen)  # versions only go forward, and each one served was complete
    assert library.get("s").text == skill_text("s", version=21)


async def test_an_invalid_save_keeps_the_old_version_and_a_git_checkout_of_many_skills_lands(tmp_path: Path) -> None:
    for name in ("a", "b"):
        save(tmp_path, name, skill_text(name, version=1))
    library = SkillLibrary(tmp_path)
    library.load()
    async with anyio.create_task_group() as tg:
        watch = await _watching(library, tg)
        save(tmp_path, "a", "---\nname: a\ndescription: d\nmetadata:\n  version: 2\n---\nbody\n")
        save(tmp_path, "b", skill_text("b", version=2))
        await watch.until(lambda: library.get("b").version == 2)
        assert library.get("a").version == 1
        assert library.problems("a")[0].line == 5
        # A checkout replaces files by rename, in a burst, and adds a folder.
        staging = tmp_path.parent / "staging"
        for name in ("a", "b", "c"):
            save(staging, name, skill_text(name, version=7))
            (tmp_path / name).mkdir(exist_ok=True)
            os.replace(staging / name / "SKILL.md", tmp_path / name / "SKILL.md")
        await watch.until(lambda: [s.version for s in library.all()] == [7, 7, 7])
        tg.cancel_scope.cancel()
    assert library.problems() == []
