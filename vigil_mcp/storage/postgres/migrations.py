"""PostgreSQL twins of the DuckDB migrations: the same numbers and names, this dialect's SQL.

Rule (tests/storage/test_migration_twins.py fails without it): every migration added to
`vigil_mcp/storage/migrations.py` gets its twin here, with the same version and name, in the same
commit. A twin may add what only a shared database needs (indexes, the change feed, locks).
"""

from __future__ import annotations

from vigil_mcp.storage.migrations import Migration

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "knowledge and its search postings",
        """
        CREATE SEQUENCE knowledge_doc_no MINVALUE 0 START 0;
        CREATE TABLE knowledge (
            id TEXT PRIMARY KEY,
            doc_no INTEGER NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            section TEXT NOT NULL,
            body TEXT NOT NULL,
            source TEXT NOT NULL,
            tags TEXT[] NOT NULL,
            content_hash TEXT NOT NULL,
            length INTEGER NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX knowledge_source ON knowledge (source);
        CREATE TABLE terms (
            term_id INTEGER PRIMARY KEY,
            term TEXT NOT NULL UNIQUE
        );
        CREATE TABLE postings (
            doc_no INTEGER NOT NULL,
            term_id INTEGER NOT NULL,
            tf INTEGER NOT NULL
        );
        CREATE INDEX postings_doc_no ON postings (doc_no);
        -- The change feed: every replica applies the rows after the last one it saw to its in-memory index.
        -- Rows are written under the knowledge lock, so `seq` commits in order and a reader never skips one.
        CREATE TABLE knowledge_changes (
            seq BIGSERIAL PRIMARY KEY,
            item_id TEXT NOT NULL,
            origin TEXT NOT NULL,
            changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        """,
    ),
    Migration(
        2,
        "tickets, messages, suggestions and feedback",
        """
        CREATE TABLE tickets (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            customer TEXT NOT NULL,
            status TEXT NOT NULL,
            opened_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            resolved_at TIMESTAMPTZ,
            waiting_since TIMESTAMPTZ,
            message_count INTEGER NOT NULL,
            summary TEXT
        );
        CREATE INDEX tickets_updated ON tickets (updated_at DESC, id);
        CREATE INDEX tickets_waiting ON tickets (waiting_since) WHERE status = 'waiting_on_analyst';
        CREATE TABLE messages (
            ticket_id TEXT NOT NULL REFERENCES tickets (id),
            seq INTEGER NOT NULL,
            role TEXT NOT NULL,
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            ts TIMESTAMPTZ NOT NULL,
            message_id TEXT,
            kind TEXT NOT NULL,
            received_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (ticket_id, seq),
            UNIQUE (ticket_id, message_id)
        );
        CREATE TABLE suggestions (
            id TEXT PRIMARY KEY,
            ticket_id TEXT NOT NULL REFERENCES tickets (id),
            message_seq INTEGER NOT NULL,
            text TEXT NOT NULL,
            confidence DOUBLE PRECISION NOT NULL,
            citations TEXT[] NOT NULL,
            skills TEXT[] NOT NULL,
            engine TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX suggestions_ticket ON suggestions (ticket_id);
        CREATE INDEX suggestions_created ON suggestions (created_at DESC, id);
        CREATE TABLE feedback (
            suggestion_id TEXT NOT NULL REFERENCES suggestions (id),
            verdict TEXT NOT NULL,
            edited_text TEXT,
            comment TEXT,
            created_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
    Migration(
        3,
        "knowledge item anchors and the hash of each ingested file",
        """
        ALTER TABLE knowledge ADD COLUMN anchor TEXT NOT NULL DEFAULT '';
        CREATE TABLE knowledge_files (
            path TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            parser TEXT NOT NULL,
            kind TEXT NOT NULL,
            items INTEGER NOT NULL,
            ingested_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
    Migration(
        4,
        "lessons, learning jobs, resolution by signal, ticket flags, diagnostic calls, transcript retention",
        """
        ALTER TABLE tickets ADD COLUMN resolved_by TEXT;
        ALTER TABLE tickets ADD COLUMN resolution_seq INTEGER;
        ALTER TABLE tickets ADD COLUMN confirmed_seq INTEGER;
        ALTER TABLE tickets ADD COLUMN confirmed_at TIMESTAMPTZ;
        ALTER TABLE tickets ADD COLUMN flags TEXT[] NOT NULL DEFAULT '{}';
        CREATE INDEX tickets_confirmed ON tickets (confirmed_at) WHERE confirmed_seq IS NOT NULL;
        ALTER TABLE messages ADD COLUMN redacted BOOLEAN NOT NULL DEFAULT false;
        CREATE TABLE lessons (
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            ticket_id TEXT NOT NULL,
            status TEXT NOT NULL,
            problem TEXT NOT NULL,
            symptoms TEXT[] NOT NULL,
            environment TEXT[] NOT NULL,
            tried TEXT[] NOT NULL,
            fix TEXT NOT NULL,
            fix_seqs INTEGER[] NOT NULL,
            confirmation_seq INTEGER,
            confirmed_by TEXT NOT NULL,
            evidence TEXT[] NOT NULL,
            diagnostics TEXT[] NOT NULL,
            confidence DOUBLE PRECISION NOT NULL,
            generated_by TEXT NOT NULL,
            knowledge_id TEXT,
            skill TEXT,
            skill_version INTEGER,
            change TEXT NOT NULL,
            changed_by TEXT NOT NULL,
            note TEXT,
            suggestion_id TEXT,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (id, version)
        );
        CREATE INDEX lessons_ticket ON lessons (ticket_id);
        CREATE TABLE learning_jobs (
            id TEXT PRIMARY KEY,
            ticket_id TEXT NOT NULL,
            trigger TEXT NOT NULL,
            resolution_seqs INTEGER[] NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            started_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ,
            result TEXT
        );
        CREATE INDEX learning_jobs_queued ON learning_jobs (created_at, id) WHERE status = 'queued';
        CREATE TABLE diagnostic_calls (
            ticket_id TEXT NOT NULL,
            tool TEXT NOT NULL,
            arguments TEXT NOT NULL,
            ok BOOLEAN NOT NULL,
            called_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX diagnostic_calls_ticket ON diagnostic_calls (ticket_id, called_at);
        """,
    ),
    Migration(
        5,
        "passages with embeddings are the retrieval unit; why each suggestion was made",
        """
        ALTER TABLE knowledge DROP COLUMN doc_no;
        ALTER TABLE knowledge DROP COLUMN length;
        DROP SEQUENCE knowledge_doc_no;
        CREATE TABLE passages (
            passage_no INTEGER PRIMARY KEY,
            item_id TEXT NOT NULL,
            ordinal INTEGER NOT NULL,
            form TEXT NOT NULL,
            text TEXT NOT NULL,
            length INTEGER NOT NULL,
            embedding BYTEA
        );
        CREATE INDEX passages_item ON passages (item_id);
        -- Postings now belong to passages; items stored before are re-split when the index loads.
        DELETE FROM postings;
        CREATE TABLE store_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        -- Why each suggestion was made (judge features, probability, feedback prior), as JSON.
        ALTER TABLE suggestions ADD COLUMN why TEXT NOT NULL DEFAULT '{}';
        """,
    ),
    Migration(
        6,
        "knowledge, tickets and lessons scoped by product",
        """
        -- NULL: no product (the item serves every ticket; the ticket sees every item), as before.
        ALTER TABLE knowledge ADD COLUMN product TEXT;
        ALTER TABLE knowledge_files ADD COLUMN product TEXT;
        ALTER TABLE tickets ADD COLUMN product TEXT;
        ALTER TABLE lessons ADD COLUMN product TEXT;
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
