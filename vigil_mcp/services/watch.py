"""Watch folders for changes (watchfiles) and hand batches of changed paths to a callback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import anyio
from watchfiles import Change, awatch  # pyright: ignore[reportUnknownVariableType]

log = logging.getLogger(__name__)

OnChange = Callable[[set[tuple[Change, str]]], Awaitable[None]]

# watchfiles defaults to a 1.6 s debounce; a save must reach clients in well under 200 ms.
DEBOUNCE_MS = 40
STEP_MS = 10
# How often the watcher thread checks for shutdown; watchfiles' 5 s default holds up every server exit.
RUST_TIMEOUT_MS = 100


async def watch_paths(
    paths: Sequence[Path], on_change: OnChange, *, ready: anyio.Event | None = None, debounce_ms: int = DEBOUNCE_MS
) -> None:
    """Call `on_change` with each batch of changes under `paths` until cancelled.

    Missing folders are created so that a folder made later is still watched. A failing
    callback is logged and watching goes on.
    """
    for path in paths:
        path.mkdir(parents=True, exist_ok=True)
    stop = anyio.Event()
    watcher = awatch(
        *paths,
        debounce=debounce_ms,
        step=STEP_MS,
        stop_event=stop,
        rust_timeout=RUST_TIMEOUT_MS,
        yield_on_timeout=False,
    )
    if ready is not None:
        ready.set()
    try:
        async for changes in watcher:
            try:
                await on_change(changes)
            except Exception:
                log.exception("reload after a change under %s failed", ", ".join(map(str, paths)))
    finally:
        stop.set()
