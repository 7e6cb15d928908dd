"""The errors vigil raises on purpose. Only `cli.py` turns them into exit codes."""


class VigilError(Exception):
    """Base of every error vigil raises deliberately; the message says what to fix."""

    exit_code = 1


class InputError(VigilError):
    """The caller gave something vigil cannot use (empty query, bad argument)."""

    exit_code = 2


class AlreadyResolvedError(InputError):
    """A resolve for a ticket that is already resolved (a retried delivery is answered as done)."""


class NotFoundError(VigilError):
    """The thing asked for does not exist."""

    exit_code = 3


class StoreError(VigilError):
    """The store cannot be opened or used safely; it is left untouched."""

    exit_code = 4


class NotReadyError(VigilError):
    """A service is still starting (for example the search index is loading)."""

    exit_code = 5


class StoreUnavailable(StoreError):
    """The shared database cannot be reached now; nothing was written, and it is safe to retry later."""

    exit_code = 6


class StoreConflict(StoreError):
    """Another replica changed the same record first; the caller reloads and tries again."""


class ModelError(VigilError):
    """A local model (embeddings) is missing, unreadable or not the pinned file."""

    exit_code = 7
