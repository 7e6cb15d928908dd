"""Skill hot-reload benchmark (run by hand; prints p50/p95).

    .venv/bin/python bench/skill_reload.py [--saves 30] [--skills 1000]

Measures, on a temporary VIGIL_HOME:
  * SKILL.md saved (temp file + rename, as editors do) -> a connected client told the prompt list
    changed -> get_skill returning the new version, for a 2026 client (subscriptions/listen) and
    a legacy client (notifications/prompts/list_changed); each save is one sample;
  * loading N skills at start-up (SkillLibrary.load).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from mcp import Client
from mcp.shared.subscriptions import PromptsListChanged
from mcp_types import PromptListChangedNotification

from vigil_mcp.app import App, build_app
from vigil_mcp.config import load_settings
from vigil_mcp.server import build_server
from vigil_mcp.services.skills import SkillLibrary

NAME = "bench-skill"


def skill_text(name: str, version: int) -> str:
    """A valid SKILL.md at a given version."""
    return (
        f"---\nname: {name}\ndescription: Benchmark skill. Use it when measuring reloads.\n"
        f'metadata:\n  version: "{version}"\n'
        f"  status: approved\n  generated-by: human\n---\n\n# Bench\n\n## Diagnosis\n1. `check_http(url)` ({version})\n"
    )


def save(root: Path, name: str, text: str) -> None:
    """Write a temp file beside SKILL.md and rename it over, as editors do."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".SKILL.md.bench.swp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, folder / "SKILL.md")


def percentiles(samples: list[float]) -> str:
    """p50 / p95 / max in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  max {ordered[-1] * 1000:6.1f} ms"
    )


async def version_served(client: Client) -> int:
    """The version get_skill returns now."""
    result = await client.call_tool("get_skill", {"name": NAME})
    assert result.structured_content is not None, result
    return int(result.structured_content["version"])


async def measure(app: App, mode: str, saves: int) -> tuple[list[float], list[float]]:
    """(save -> notified, save -> notified and new version served) per save."""
    root = app.settings.skills_dir
    notified: list[float] = []
    served: list[float] = []
    heard = anyio.Event()

    async def legacy_handler(message: Any) -> None:
        if isinstance(message, PromptListChangedNotification):
            heard.set()

    async with Client(build_server(app), mode=mode, message_handler=legacy_handler) as client:  # pyright: ignore[reportArgumentType]
        if not await anyio.to_thread.run_sync(app.skills.live.wait, 30):
            raise SystemExit("the skills watcher did not start")
        start_version = await version_served(client)
        if client.protocol_version == "2026-07-28":
            async with client.listen(prompts_list_changed=True) as sub:
                for i in range(saves):
                    version = start_version + i + 1
                    began = time.perf_counter()
                    save(root, NAME, skill_text(NAME, version))
                    with anyio.fail_after(10):
                        while not isinstance(await anext(sub), PromptsListChanged):
                            pass
                    notified.append(time.perf_counter() - began)
                    while await version_served(client) != version:
                        pass
                    served.append(time.perf_counter() - began)
        else:
            for i in range(saves):
                version = start_version + i + 1
                heard = anyio.Event()
                began = time.perf_counter()
                save(root, NAME, skill_text(NAME, version))
                with anyio.fail_after(10):
                    await heard.wait()
                notified.append(time.perf_counter() - began)
                while await version_served(client) != version:
                    pass
                served.append(time.perf_counter() - began)
    return notified, served


def load_many(count: int) -> float:
    """Seconds SkillLibrary.load takes over `count` skills."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(count):
            save(root, f"skill-{i:05d}", skill_text(f"skill-{i:05d}", 1))
        library = SkillLibrary(root)
        began = time.perf_counter()
        library.load()
        elapsed = time.perf_counter() - began
        assert len(library.all()) == count
        return elapsed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--skills", type=int, default=1000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings({"home": home}, environ={})
        save(settings.skills_dir, NAME, skill_text(NAME, 1))
        app = build_app(settings)
        try:
            for mode in ("auto", "legacy"):
                notified, served = anyio.run(measure, app, mode, args.saves)
                era = "2026-07-28 (listen)" if mode == "auto" else "2025-11-25 (legacy)"
                print(f"{era:22} saved -> notified:             {percentiles(notified)}  ({len(notified)} saves)")
                print(f"{'':22} saved -> get_skill new version: {percentiles(served)}")
        finally:
            app.close()
    elapsed = load_many(args.skills)
    print(f"loading {args.skills} skills at start-up: {elapsed:.3f} s")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
