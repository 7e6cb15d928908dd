"""The services one running vigil holds, built from settings in one place."""

from __future__ import annotations

from dataclasses import dataclass

from vigil_mcp.config import Settings
from vigil_mcp.notify import Notifier
from vigil_mcp.services.knowledge import KnowledgeService
from vigil_mcp.storage import open_store


@dataclass(slots=True)
class App:
    """Settings plus the live services; `close()` releases the store."""

    settings: Settings
    knowledge: KnowledgeService
    notifier: Notifier

    def close(self) -> None:
        """Release the store."""
        self.knowledge.store.close()


def build_app(settings: Settings) -> App:
    """Open the store and create the services."""
    store = open_store(settings.store)
    return App(settings=settings, knowledge=KnowledgeService(store), notifier=Notifier())
