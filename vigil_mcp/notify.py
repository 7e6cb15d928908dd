"""Tell connected clients that lists or resources changed, on both protocol eras.

2026 clients hear changes on their `subscriptions/listen` stream, fed by the server's
subscription bus. Legacy (<= 2025-11-25) clients are not on the bus: they get a notification
on their session, which we remember from a middleware as their requests pass by.

With replicas, the bus also carries resource updates to the other replicas (see replicas.py);
what arrives from them reaches this replica's legacy sessions through `to_legacy`.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from typing import Any

from mcp.server import NotificationOptions
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.session import ServerSession
from mcp.server.subscriptions import (
    InMemorySubscriptionBus,
    PromptsListChanged,
    ResourcesListChanged,
    ResourceUpdated,
    ServerEvent,
    SubscriptionBus,
    ToolsListChanged,
)

log = logging.getLogger(__name__)

MODERN_VERSIONS = frozenset({"2026-07-28"})


class Notifier:
    """Fans one change out to the 2026 bus and to every live legacy session."""

    def __init__(self, bus: SubscriptionBus | None = None) -> None:
        self.bus: SubscriptionBus = bus or InMemorySubscriptionBus()
        # Keyed by the connection object: ServerSession is a per-request proxy over it.
        self._legacy: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        self._sessions: dict[int, ServerSession] = {}

    async def middleware(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """Remember legacy sessions as their requests pass."""
        if ctx.protocol_version not in MODERN_VERSIONS:
            conn: Any = getattr(ctx.session, "_connection", None)
            if conn is not None:
                key = id(conn)
                if key not in self._legacy:
                    with contextlib.suppress(TypeError):  # not weak-referenceable: keep the session only
                        self._legacy[key] = conn
                self._sessions[key] = ctx.session
        return await call_next(ctx)

    def legacy_sessions(self) -> list[ServerSession]:
        """Sessions of legacy clients still connected (as far as we can tell)."""
        live = {k: s for k, s in self._sessions.items() if k in self._legacy}
        self._sessions = live
        return list(live.values())

    async def _fan_out(self, event: ServerEvent) -> None:
        await self.bus.publish(event)
        await self.to_legacy(event)

    async def to_legacy(self, event: ServerEvent) -> None:
        """Send `event` to every live legacy session of this process (the bus does not reach them)."""
        if isinstance(event, ResourceUpdated):
            method, args = "send_resource_updated", (event.uri,)
        else:
            method, args = _LEGACY_METHODS[type(event)], ()
        for session in self.legacy_sessions():
            try:
                await getattr(session, method)(*args)
            except Exception as exc:  # a closed session must not stop the others
                log.debug("dropping legacy session after failed %s: %r", method, exc)
                for key, s in list(self._sessions.items()):
                    if s is session:
                        del self._sessions[key]

    async def tools_changed(self) -> None:
        """The tool list changed."""
        await self._fan_out(ToolsListChanged())

    async def prompts_changed(self) -> None:
        """The prompt list changed."""
        await self._fan_out(PromptsListChanged())

    async def resources_changed(self) -> None:
        """The resource list changed."""
        await self._fan_out(ResourcesListChanged())

    async def resource_updated(self, uri: str) -> None:
        """One resource's content changed."""
        await self._fan_out(ResourceUpdated(uri=uri))


_LEGACY_METHODS: dict[type, str] = {
    ToolsListChanged: "send_tool_list_changed",
    PromptsListChanged: "send_prompt_list_changed",
    ResourcesListChanged: "send_resource_list_changed",
}


def advertise_list_changed(mcp: MCPServer[Any]) -> None:
    """Make legacy clients see listChanged capabilities on every transport.

    MCPServer's transports call `create_initialization_options()` without NotificationOptions,
    so legacy clients would be told lists never change. The attribute is private in SDK 2.3.
    """
    low: Any = mcp._lowlevel_server  # pyright: ignore[reportPrivateUsage]
    original = low.create_initialization_options

    def with_notifications(notification_options: NotificationOptions | None = None, *args: Any, **kwargs: Any) -> Any:
        options = notification_options or NotificationOptions(
            prompts_changed=True, resources_changed=True, tools_changed=True
        )
        return original(options, *args, **kwargs)

    low.create_initialization_options = with_notifications
