"""Numbered schema migrations, one list for both engines: each number has its SQLite script
(`sql`) and its PostgreSQL script (`postgresql`) that build the same tables. Each runs once, in
order, inside one transaction, and is recorded in `schema_version`. A released migration is
never edited: add the next number, with both scripts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str
    postgresql: str

    def script(self, engine: str) -> str:
        """The migration's SQL for `engine` ("sqlite" or "postgresql")."""
        return self.postgresql if engine == "postgresql" else self.sql


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial schema",
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE chat_settings (
            chat_id INTEGER PRIMARY KEY,
            scam_action TEXT NOT NULL,
            restrict_hours INTEGER NOT NULL,
            suspicious_action TEXT NOT NULL,
            sensitivity TEXT NOT NULL,
            language TEXT NOT NULL,
            region TEXT,
            allow_domains TEXT NOT NULL DEFAULT '[]',
            allow_handles TEXT NOT NULL DEFAULT '[]',
            trusted_users TEXT NOT NULL DEFAULT '[]',
            quiet INTEGER NOT NULL DEFAULT 0,
            keep_evidence INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_id INTEGER NOT NULL,
            message_id INTEGER,
            sender_id INTEGER,
            verdict TEXT NOT NULL,
            score REAL NOT NULL,
            excerpt TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            full_text TEXT,
            indicators TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        CREATE INDEX incidents_chat_time ON incidents (chat_id, created_at);
        CREATE INDEX incidents_time ON incidents (created_at);
        CREATE TABLE incident_hits (
            incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            rule TEXT NOT NULL,
            category TEXT NOT NULL,
            severity TEXT NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (incident_id, position)
        );
        CREATE INDEX incident_hits_category ON incident_hits (category);
        CREATE TABLE incident_actions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
            action TEXT NOT NULL,
            ok INTEGER NOT NULL,
            error TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX incident_actions_incident ON incident_actions (incident_id);
        CREATE TABLE private_checks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL,
            verdict TEXT NOT NULL,
            score REAL NOT NULL,
            hits TEXT NOT NULL DEFAULT '[]',
            excerpt TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            full_text TEXT,
            indicators TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        CREATE INDEX private_checks_user ON private_checks (user_id, id);
        CREATE INDEX private_checks_time ON private_checks (created_at);
        CREATE TABLE user_prefs (
            user_id INTEGER PRIMARY KEY,
            language TEXT,
            region TEXT,
            keep_evidence INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            note TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX feedback_incident ON feedback (incident_id);
        CREATE TABLE samples (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_id INTEGER NOT NULL,
            text TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            category TEXT,
            added_by INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (chat_id, text_hash)
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            actor_id INTEGER,
            chat_id INTEGER,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        CREATE INDEX audit_chat ON audit (chat_id, id);
        """,
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE chat_settings (
            chat_id BIGINT PRIMARY KEY,
            scam_action TEXT NOT NULL,
            restrict_hours INTEGER NOT NULL,
            suspicious_action TEXT NOT NULL,
            sensitivity TEXT NOT NULL,
            language TEXT NOT NULL,
            region TEXT,
            allow_domains JSONB NOT NULL DEFAULT '[]',
            allow_handles JSONB NOT NULL DEFAULT '[]',
            trusted_users JSONB NOT NULL DEFAULT '[]',
            quiet BOOLEAN NOT NULL DEFAULT FALSE,
            keep_evidence BOOLEAN NOT NULL DEFAULT FALSE,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE incidents (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            message_id BIGINT,
            sender_id BIGINT,
            verdict TEXT NOT NULL,
            score DOUBLE PRECISION NOT NULL,
            excerpt TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            full_text TEXT,
            indicators JSONB NOT NULL DEFAULT '{}',
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX incidents_chat_time ON incidents (chat_id, created_at);
        CREATE INDEX incidents_time ON incidents (created_at);
        CREATE TABLE incident_hits (
            incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            rule TEXT NOT NULL,
            category TEXT NOT NULL,
            severity TEXT NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (incident_id, position)
        );
        CREATE INDEX incident_hits_category ON incident_hits (category);
        CREATE TABLE incident_actions (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
            action TEXT NOT NULL,
            ok BOOLEAN NOT NULL,
            error TEXT,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX incident_actions_incident ON incident_actions (incident_id);
        CREATE TABLE private_checks (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            user_id BIGINT NOT NULL,
            verdict TEXT NOT NULL,
            score DOUBLE PRECISION NOT NULL,
            hits JSONB NOT NULL DEFAULT '[]',
            excerpt TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            full_text TEXT,
            indicators JSONB NOT NULL DEFAULT '{}',
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX private_checks_user ON private_checks (user_id, id);
        CREATE INDEX private_checks_time ON private_checks (created_at);
        CREATE TABLE user_prefs (
            user_id BIGINT PRIMARY KEY,
            language TEXT,
            region TEXT,
            keep_evidence BOOLEAN NOT NULL DEFAULT FALSE,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE feedback (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
            user_id BIGINT NOT NULL,
            kind TEXT NOT NULL,
            note TEXT,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX feedback_incident ON feedback (incident_id);
        CREATE TABLE samples (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            text TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            category TEXT,
            added_by BIGINT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            UNIQUE (chat_id, text_hash)
        );
        CREATE TABLE audit (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            actor_id BIGINT,
            chat_id BIGINT,
            action TEXT NOT NULL,
            detail JSONB NOT NULL DEFAULT '{}',
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX audit_chat ON audit (chat_id, id);
        """,
    ),
    Migration(
        2,
        "incidents keyed by message and edit",
        """
        ALTER TABLE incidents ADD COLUMN edit_date INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX incidents_message ON incidents (chat_id, message_id, edit_date);
        """,
        """
        ALTER TABLE incidents ADD COLUMN edit_date BIGINT NOT NULL DEFAULT 0;
        CREATE INDEX incidents_message ON incidents (chat_id, message_id, edit_date);
        """,
    ),
    Migration(
        3,
        "one incident per message version",
        # Duplicates stored before this version stay, with edit_date -id (never a real edit
        # date), so that the unique index can be built without losing their history. Rows
        # without a message (member joins) have a NULL message_id, which never conflicts.
        """
        UPDATE incidents SET edit_date = -id
        WHERE message_id IS NOT NULL AND id NOT IN (
            SELECT MIN(id) FROM incidents WHERE message_id IS NOT NULL
            GROUP BY chat_id, message_id, edit_date
        );
        DROP INDEX incidents_message;
        CREATE UNIQUE INDEX incidents_message ON incidents (chat_id, message_id, edit_date);
        """,
        """
        UPDATE incidents SET edit_date = -id
        WHERE message_id IS NOT NULL AND id NOT IN (
            SELECT MIN(id) FROM incidents WHERE message_id IS NOT NULL
            GROUP BY chat_id, message_id, edit_date
        );
        DROP INDEX incidents_message;
        CREATE UNIQUE INDEX incidents_message ON incidents (chat_id, message_id, edit_date);
        """,
    ),
    Migration(
        4,
        "outbox of warnings for the one sender of several workers; shared admin lists",
        # One row per warning to post; `claimed_at` is set just before it is sent, `sent_at`
        # once Telegram answered. An incident is warned about once (unique per incident).
        # chat_admins: the last getChatAdministrators answer per chat, shared by workers.
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_id INTEGER NOT NULL,
            incident_id INTEGER,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL,
            claimed_at TEXT,
            sent_at TEXT
        );
        CREATE UNIQUE INDEX outbox_incident ON outbox (incident_id, kind);
        CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;
        CREATE INDEX outbox_chat_sent ON outbox (chat_id, sent_at);
        CREATE TABLE chat_admins (
            chat_id INTEGER PRIMARY KEY,
            admins TEXT NOT NULL,
            fetched_at TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE outbox (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            incident_id BIGINT,
            kind TEXT NOT NULL,
            payload JSONB NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            claimed_at TIMESTAMPTZ,
            sent_at TIMESTAMPTZ
        );
        CREATE UNIQUE INDEX outbox_incident ON outbox (incident_id, kind);
        CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;
        CREATE INDEX outbox_chat_sent ON outbox (chat_id, sent_at);
        CREATE TABLE chat_admins (
            chat_id BIGINT PRIMARY KEY,
            admins JSONB NOT NULL,
            fetched_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
    Migration(
        5,
        "onboarding, log chat, disappearing warnings, CAS, reputation",
        # language_auto: the language is the bot's guess until an admin chooses one; a group
        # whose language an admin already set (audited as settings.language) keeps it.
        # Samples of chat 0 are promoted to every group by an operator.
        # reputation: one row per sender the scam policy removed, its score at updated_at;
        # reputation_flags: when a chat last flagged that sender (once per removal, whichever
        # worker sees the message). log_chat_codes: /logchat links pending confirmation,
        # readable by every worker.
        """
        ALTER TABLE chat_settings ADD COLUMN language_auto INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE chat_settings ADD COLUMN log_chat INTEGER;
        ALTER TABLE chat_settings ADD COLUMN delete_after INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE chat_settings ADD COLUMN cas INTEGER NOT NULL DEFAULT 0;
        UPDATE chat_settings SET language_auto = 0 WHERE chat_id IN (
            SELECT chat_id FROM audit WHERE action = 'settings.language'
            AND chat_id IS NOT NULL
        );
        CREATE TABLE reputation (
            user_id INTEGER PRIMARY KEY,
            score REAL NOT NULL,
            chat_id INTEGER NOT NULL,
            incident_id INTEGER,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE reputation_flags (
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            flagged_at TEXT NOT NULL,
            PRIMARY KEY (user_id, chat_id)
        );
        CREATE TABLE log_chat_codes (
            code TEXT PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            title TEXT NOT NULL,
            admin_id INTEGER NOT NULL,
            expires_at TEXT NOT NULL
        );
        """,
        """
        ALTER TABLE chat_settings ADD COLUMN language_auto BOOLEAN NOT NULL DEFAULT TRUE;
        ALTER TABLE chat_settings ADD COLUMN log_chat BIGINT;
        ALTER TABLE chat_settings ADD COLUMN delete_after INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE chat_settings ADD COLUMN cas BOOLEAN NOT NULL DEFAULT FALSE;
        UPDATE chat_settings SET language_auto = FALSE WHERE chat_id IN (
            SELECT chat_id FROM audit WHERE action = 'settings.language'
            AND chat_id IS NOT NULL
        );
        CREATE TABLE reputation (
            user_id BIGINT PRIMARY KEY,
            score DOUBLE PRECISION NOT NULL,
            chat_id BIGINT NOT NULL,
            incident_id BIGINT,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE reputation_flags (
            user_id BIGINT NOT NULL,
            chat_id BIGINT NOT NULL,
            flagged_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (user_id, chat_id)
        );
        CREATE TABLE log_chat_codes (
            code TEXT PRIMARY KEY,
            chat_id BIGINT NOT NULL,
            title TEXT NOT NULL,
            admin_id BIGINT NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


def statements(sql: str) -> list[str]:
    """Split a migration script into single statements (no `;` inside literals here)."""
    return [part.strip() for part in sql.split(";") if part.strip()]
