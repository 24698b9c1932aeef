//! The SQL of the SQLite backend, as named constants.
//!
//! One append-only table: a row per write, `id` = revision. The latest row of a name is its
//! current state (a row with `deleted = 1` is a tombstone). `UNIQUE(name, prev_revision)` makes
//! two writes based on the same previous row impossible, whatever the code above does.

/// Bumped when the layout changes; checked at open.
pub const SCHEMA_VERSION: i64 = 1;

/// Set on a fresh database before any table exists (auto_vacuum cannot change afterwards).
pub const INIT_PRAGMAS: &str = "PRAGMA auto_vacuum = INCREMENTAL;";

pub const CREATE: &str = "
CREATE TABLE kine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    lease INTEGER NOT NULL DEFAULT 0,
    value BLOB,
    old_value BLOB
);
CREATE INDEX kine_name_id ON kine (name, id);
CREATE UNIQUE INDEX kine_name_prev_revision ON kine (name, prev_revision);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('schema_version', 1), ('compact_revision', 0);
";

pub const SELECT_TABLES: &str =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
pub const SELECT_META: &str = "SELECT value FROM meta WHERE key = ?1";
pub const UPDATE_META: &str = "UPDATE meta SET value = ?2 WHERE key = ?1";

/// The last revision ever assigned (kept by SQLite even when compaction deleted that row).
pub const SELECT_CURRENT_REVISION: &str =
    "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'kine'), 0)";

/// The latest row of a name at or below a revision: id, create_revision, deleted, value.
pub const SELECT_LATEST: &str = "SELECT id, create_revision, deleted, value FROM kine WHERE name = ?1 AND id <= ?2 ORDER BY id DESC LIMIT 1";

pub const INSERT: &str = "
INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision, value, old_value)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// Live keys in `[?1, ?2)` after key ?3 as of revision ?4, at most ?5 of them:
/// name, id, create_revision, value.
pub const LIST: &str = "
SELECT kv.name, kv.id, kv.create_revision, kv.value
FROM kine AS kv
JOIN (
    SELECT MAX(id) AS id FROM kine
    WHERE name >= ?1 AND name < ?2 AND name > ?3 AND id <= ?4
    GROUP BY name
) AS latest ON latest.id = kv.id
WHERE kv.deleted = 0
ORDER BY kv.name
LIMIT ?5";

/// Count of live keys in `[?1, ?2)` after key ?3 as of revision ?4.
pub const COUNT: &str = "
SELECT COUNT(*)
FROM kine AS kv
JOIN (
    SELECT MAX(id) AS id FROM kine
    WHERE name >= ?1 AND name < ?2 AND name > ?3 AND id <= ?4
    GROUP BY name
) AS latest ON latest.id = kv.id
WHERE kv.deleted = 0";

/// History rows in `[?1, ?2)` with id > ?3, ascending, at most ?4:
/// id, name, created, deleted, create_revision, prev_revision, value, old_value.
pub const EVENTS_AFTER: &str = "
SELECT id, name, created, deleted, create_revision, prev_revision, value, old_value
FROM kine
WHERE id > ?3 AND name >= ?1 AND name < ?2
ORDER BY id
LIMIT ?4";

/// Compaction of the revisions in (?1, ?2]: a row superseded by a later row at or below the
/// target is never read again, nor is a tombstone at or below it.
pub const COMPACT_SUPERSEDED: &str = "
DELETE FROM kine WHERE id IN (
    SELECT prev_revision FROM kine WHERE id > ?1 AND id <= ?2 AND prev_revision != 0
)";
pub const COMPACT_TOMBSTONES: &str = "DELETE FROM kine WHERE id > ?1 AND id <= ?2 AND deleted = 1";
