"""Numbered schema migrations, recorded in `schema_migrations` as they are applied.

Each one has a PostgreSQL twin, same version and name, in `storage/postgres/migrations.py`: add both
in the same commit (tests/storage/test_migration_twins.py checks it).
"""

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
    Migration(
        2,
        "tickets, messages, suggestions and feedback",
        """
        CREATE TABLE tickets (
            id VARCHAR PRIMARY KEY,
            title VARCHAR NOT NULL,
            customer VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            opened_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            resolved_at TIMESTAMPTZ,
            waiting_since TIMESTAMPTZ,
            message_count INTEGER NOT NULL,
            summary VARCHAR
        );
        CREATE TABLE messages (
            ticket_id VARCHAR NOT NULL,
            seq INTEGER NOT NULL,
            role VARCHAR NOT NULL,
            author VARCHAR NOT NULL,
            text VARCHAR NOT NULL,
            ts TIMESTAMPTZ NOT NULL,
            message_id VARCHAR,
            kind VARCHAR NOT NULL,
            received_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (ticket_id, seq),
            UNIQUE (ticket_id, message_id)
        );
        CREATE TABLE suggestions (
            id VARCHAR PRIMARY KEY,
            ticket_id VARCHAR NOT NULL,
            message_seq INTEGER NOT NULL,
            text VARCHAR NOT NULL,
            confidence DOUBLE NOT NULL,
            citations VARCHAR[] NOT NULL,
            skills VARCHAR[] NOT NULL,
            engine VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE feedback (
            suggestion_id VARCHAR NOT NULL,
            verdict VARCHAR NOT NULL,
            edited_text VARCHAR,
            comment VARCHAR,
            created_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
    Migration(
        3,
        "knowledge item anchors and the hash of each ingested file",
        """
        ALTER TABLE knowledge ADD COLUMN anchor VARCHAR NOT NULL DEFAULT '';
        CREATE TABLE knowledge_files (
            path VARCHAR PRIMARY KEY,
            sha256 VARCHAR NOT NULL,
            parser VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            items INTEGER NOT NULL,
            ingested_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
    Migration(
        4,
        "lessons, learning jobs, resolution by signal, ticket flags, diagnostic calls, transcript retention",
        """
        ALTER TABLE tickets ADD COLUMN resolved_by VARCHAR;
        ALTER TABLE tickets ADD COLUMN resolution_seq INTEGER;
        ALTER TABLE tickets ADD COLUMN confirmed_seq INTEGER;
        ALTER TABLE tickets ADD COLUMN confirmed_at TIMESTAMPTZ;
        ALTER TABLE tickets ADD COLUMN flags VARCHAR[] DEFAULT [];
        ALTER TABLE messages ADD COLUMN redacted BOOLEAN DEFAULT false;
        CREATE TABLE lessons (
            id VARCHAR NOT NULL,
            version INTEGER NOT NULL,
            ticket_id VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            problem VARCHAR NOT NULL,
            symptoms VARCHAR[] NOT NULL,
            environment VARCHAR[] NOT NULL,
            tried VARCHAR[] NOT NULL,
            fix VARCHAR NOT NULL,
            fix_seqs INTEGER[] NOT NULL,
            confirmation_seq INTEGER,
            confirmed_by VARCHAR NOT NULL,
            evidence VARCHAR[] NOT NULL,
            diagnostics VARCHAR[] NOT NULL,
            confidence DOUBLE NOT NULL,
            generated_by VARCHAR NOT NULL,
            knowledge_id VARCHAR,
            skill VARCHAR,
            skill_version INTEGER,
            change VARCHAR NOT NULL,
            changed_by VARCHAR NOT NULL,
            note VARCHAR,
            suggestion_id VARCHAR,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (id, version)
        );
        CREATE TABLE learning_jobs (
            id VARCHAR PRIMARY KEY,
            ticket_id VARCHAR NOT NULL,
            trigger VARCHAR NOT NULL,
            resolution_seqs INTEGER[] NOT NULL,
            status VARCHAR NOT NULL,
            attempts INTEGER NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            started_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ,
            result VARCHAR
        );
        CREATE TABLE diagnostic_calls (
            ticket_id VARCHAR NOT NULL,
            tool VARCHAR NOT NULL,
            arguments VARCHAR NOT NULL,
            ok BOOLEAN NOT NULL,
            called_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
    Migration(
        5,
        "passages with embeddings are the retrieval unit; why each suggestion was made",
        """
        CREATE TABLE knowledge_v5 (
            id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            title VARCHAR NOT NULL,
            section VARCHAR NOT NULL,
            body VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            anchor VARCHAR NOT NULL,
            tags VARCHAR[] NOT NULL,
            content_hash VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        INSERT INTO knowledge_v5
            SELECT id, kind, title, section, body, source, anchor, tags, content_hash, created_at, updated_at
            FROM knowledge;
        DROP TABLE knowledge;
        ALTER TABLE knowledge_v5 RENAME TO knowledge;
        CREATE INDEX knowledge_source ON knowledge (source);
        CREATE TABLE passages (
            passage_no INTEGER PRIMARY KEY,
            item_id VARCHAR NOT NULL,
            ordinal INTEGER NOT NULL,
            form VARCHAR NOT NULL,
            text VARCHAR NOT NULL,
            length INTEGER NOT NULL,
            embedding BLOB
        );
        CREATE INDEX passages_item ON passages (item_id);
        -- Postings now belong to passages; items stored before are re-split when the index loads.
        DELETE FROM postings;
        CREATE TABLE store_meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL
        );
        -- Why each suggestion was made (judge features, probability, feedback prior), as JSON.
        ALTER TABLE suggestions ADD COLUMN why VARCHAR NOT NULL DEFAULT '{}';
        """,
    ),
    Migration(
        6,
        "knowledge, tickets and lessons scoped by product",
        """
        -- NULL: no product (the item serves every ticket; the ticket sees every item), as before.
        ALTER TABLE knowledge ADD COLUMN product VARCHAR;
        ALTER TABLE knowledge_files ADD COLUMN product VARCHAR;
        ALTER TABLE tickets ADD COLUMN product VARCHAR;
        ALTER TABLE lessons ADD COLUMN product VARCHAR;
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
