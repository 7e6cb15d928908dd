"""Numbered schema migrations, recorded in `schema_migrations` as they are applied."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step; `version` numbers are dense and never reused."""

    version: int
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "knowledge and its search postings",
        """
        CREATE TABLE knowledge (
            id VARCHAR PRIMARY KEY,
            doc_no INTEGER NOT NULL UNIQUE,
            kind VARCHAR NOT NULL,
            title VARCHAR NOT NULL,
            section VARCHAR NOT NULL,
            body VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            tags VARCHAR[] NOT NULL,
            content_hash VARCHAR NOT NULL,
            length INTEGER NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE terms (
            term_id INTEGER PRIMARY KEY,
            term VARCHAR NOT NULL UNIQUE
        );
        CREATE TABLE postings (
            doc_no INTEGER NOT NULL,
            term_id INTEGER NOT NULL,
            tf INTEGER NOT NULL
        );
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
