"""Where a store is, as people may see it: a DuckDB path, or a database URL without its password."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """The URL without its password, for logs, errors and `path`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def shown(location: Path | str) -> str:
    """A store location for a log line or a CLI message."""
    return redact_url(location) if isinstance(location, str) and "://" in location else str(location)
