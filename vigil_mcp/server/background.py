"""Long-running jobs (folder watchers) tied to the server's lifespan."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import anyio

Job = Callable[[], Coroutine[Any, Any, None]]


class Background:
    """Starts its jobs with the first lifespan that enters and stops them when that one exits.

    Over stdio and HTTP there is one lifespan per process; in-memory test clients each run one,
    and only the first of several concurrent ones owns the jobs.
    """

    def __init__(self) -> None:
        self._jobs: list[Job] = []
        self._running = False

    def add(self, job: Job) -> None:
        """Run `job` for as long as the server runs."""
        self._jobs.append(job)

    @asynccontextmanager
    async def lifespan(self, _server: Any) -> AsyncGenerator[dict[str, Any]]:
        """The MCPServer lifespan: runs the jobs in a task group around the server."""
        if self._running or not self._jobs:
            yield {}
            return
        self._running = True
        try:
            async with anyio.create_task_group() as tg:
                for job in self._jobs:
                    tg.start_soon(job)
                try:
                    yield {}
                finally:
                    tg.cancel_scope.cancel()
        finally:
            self._running = False
