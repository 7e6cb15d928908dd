"""Hot reload: watch the skills folder and reload exactly the skills a batch of changes touched."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import anyio
import anyio.to_thread
from watchfiles import Change

from vigil_mcp.services.skills.library import RefreshReport, SkillLibrary
from vigil_mcp.services.skills.loader import is_temporary
from vigil_mcp.services.watch import watch_paths

log = logging.getLogger(__name__)

OnRefresh = Callable[[RefreshReport], Awaitable[None]]


def touched_skills(root: Path, changes: Iterable[tuple[Change, str]]) -> set[str] | None:
    """Names of the skill folders a batch touched; None when the whole folder must be rescanned."""
    names: set[str] = set()
    root = root.resolve()
    for _, raw in changes:
        path = Path(raw).resolve()
        if path == root:
            return None  # the skills folder itself was replaced or removed
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            continue
        if len(parts) == 2 and is_temporary(parts[1]):
            continue  # an editor's or our temp file beside SKILL.md: the rename that follows counts
        if not is_temporary(parts[0]):
            names.add(parts[0])
    return names


async def reload_skills(library: SkillLibrary, names: set[str] | None) -> RefreshReport:
    """Reload some skills (or all, for None) off the event loop.

    A file caught mid-write is left as it was: its writer's next write brings another event.
    """
    if names is None:
        return await anyio.to_thread.run_sync(library.load)
    return await anyio.to_thread.run_sync(library.refresh, names)


async def watch_skills(library: SkillLibrary, on_refresh: OnRefresh, *, ready: anyio.Event | None = None) -> None:
    """Reload skills as their files change and hand each report that changed something to `on_refresh`."""

    async def on_change(changes: set[tuple[Change, str]]) -> None:
        names = touched_skills(library.root, changes)
        if names is not None and not names:
            return
        report = await reload_skills(library, names)
        for problem in report.problems:
            if problem.severity == "error":
                log.warning("skill problem: %s", problem)
        if report.any_change:
            log.info(
                "skills reloaded in %.1f ms: changed %s, removed %s",
                report.seconds * 1000,
                report.changed,
                report.removed,
            )
            await on_refresh(report)

    await watch_paths([library.root], on_change, ready=ready)
