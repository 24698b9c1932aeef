//! The SQLite backend: one process owns the database file.
//!
//! * One **writer thread** owns the only writing connection. It takes every queued write, applies
//!   them in one transaction (group commit), commits with `synchronous=FULL` in WAL mode — the WAL
//!   is fsynced before the commit returns, so an acknowledged write survives `kill -9` and power
//!   loss — then publishes the events to the watch [`Hub`] and only then acknowledges.
//! * **Readers** use a small pool of connections on blocking threads; WAL gives each read a
//!   consistent snapshot while the writer goes on.
//! * A lock file next to the database keeps a second process from opening it.

mod readers;
mod schema;
mod writer;

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use async_trait::async_trait;
use bytes::Bytes;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use tokio::sync::{mpsc, oneshot};

use super::watch::{self, History, Hub};
use super::{
    Backend, Event, GetResult, KeyValue, ListRequest, ListResult, Revision, StoreError,
    WatchStream, validate_key, validate_prefix,
};
use readers::Readers;
use writer::{Command, WriteOp, Writer};

#[derive(Clone, Debug)]
pub struct SqliteConfig {
    /// The database file; created with its directory if missing.
    pub path: PathBuf,
    /// Events a watcher may fall behind before it is cut off.
    pub watcher_limit: usize,
    /// Run SQLite's `quick_check` at open (reads every page once).
    pub integrity_check: bool,
}

impl SqliteConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SqliteConfig {
            path: path.into(),
            watcher_limit: watch::DEFAULT_WATCHER_LIMIT,
            integrity_check: true,
        }
    }
}

/// Why the datastore could not be opened or used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create datastore directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open datastore lock file {path}")]
    LockFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("datastore {path} is in use by another process (lock file {lock} is held)")]
    InUse { path: PathBuf, lock: PathBuf },
    #[error("cannot read datastore {path}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not an orch datastore: {reason}")]
    Foreign { path: PathBuf, reason: String },
    #[error("datastore {path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("datastore {path}: {context}")]
    Sqlite {
        path: PathBuf,
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot start the datastore writer thread")]
    Spawn(#[source] std::io::Error),
}

impl Error {
    /// Classifies a SQLite error, so that corruption is reported as such.
    fn sqlite(path: &Path, context: &'static str, source: rusqlite::Error) -> Self {
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => Error::Corrupt {
                path: path.to_owned(),
                reason: format!("{context}: {source}"),
            },
            _ => Error::Sqlite {
                path: path.to_owned(),
                context,
                source,
            },
        }
    }
}

impl From<Error> for StoreError {
    fn from(err: Error) -> Self {
        StoreError::Backend(Box::new(err))
    }
}

/// State shared by the writer, the readers and the backend handle.
struct Shared {
    path: PathBuf,
    current: AtomicI64,
    compacted: AtomicI64,
    hub: Arc<Hub>,
}

pub struct SqliteBackend {
    shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
    readers: Arc<Readers>,
    writer_thread: Mutex<Option<JoinHandle<()>>>,
    _lock: File,
}

impl SqliteBackend {
    /// Opens (or creates) the datastore, resuming at its last revision.
    ///
    /// Blocking: call it from a blocking context (or `spawn_blocking`) in async code.
    pub fn open(config: SqliteConfig) -> Result<Self, Error> {
        let path = config.path.clone();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(|source| Error::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let lock = lock_file(&path)?;
        check_header(&path)?;

        let conn = open_connection(&path, false)?;
        let sql = |context, source| Error::sqlite(&path, context, source);
        let tables: Vec<String> = conn
            .prepare(schema::SELECT_TABLES)
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| sql("reading the schema", e))?;
        if tables.is_empty() {
            conn.execute_batch(schema::INIT_PRAGMAS)
                .map_err(|e| sql("initialising", e))?;
            set_journal_mode(&conn, &path)?;
            conn.execute_batch(&format!("BEGIN; {} COMMIT;", schema::CREATE))
                .map_err(|e| sql("creating the schema", e))?;
            tracing::info!(path = %path.display(), "created a new datastore");
        } else {
            for needed in ["kine", "meta"] {
                if !tables.iter().any(|t| t == needed) {
                    return Err(Error::Foreign {
                        path,
                        reason: format!("it has tables {tables:?} but no {needed:?} table"),
                    });
                }
            }
            let version: i64 = conn
                .query_row(schema::SELECT_META, ["schema_version"], |r| r.get(0))
                .map_err(|e| sql("reading the schema version", e))?;
            if version != schema::SCHEMA_VERSION {
                return Err(Error::Foreign {
                    path,
                    reason: format!(
                        "schema version {version}, this orch knows version {}",
                        schema::SCHEMA_VERSION
                    ),
                });
            }
            set_journal_mode(&conn, &path)?;
            if config.integrity_check {
                let verdict: String = conn
                    .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
                    .map_err(|e| sql("checking integrity", e))?;
                if verdict != "ok" {
                    return Err(Error::Corrupt {
                        path,
                        reason: verdict,
                    });
                }
            }
        }

        let current: Revision = conn
            .query_row(schema::SELECT_CURRENT_REVISION, [], |r| r.get(0))
            .map_err(|e| sql("reading the current revision", e))?;
        let compacted: Revision = conn
            .query_row(schema::SELECT_META, ["compact_revision"], |r| r.get(0))
            .map_err(|e| sql("reading the compacted revision", e))?;

        let shared = Arc::new(Shared {
            path: path.clone(),
            current: AtomicI64::new(current),
            compacted: AtomicI64::new(compacted),
            hub: Hub::new(config.watcher_limit),
        });
        let readers = Arc::new(Readers::new(shared.clone()));
        let (commands, rx) = mpsc::channel(4096);
        let writer = Writer::new(conn, shared.clone(), current, compacted);
        let writer_thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(Error::Spawn)?;
        tracing::info!(path = %path.display(), revision = current, compacted, "datastore open");
        Ok(SqliteBackend {
            shared,
            commands,
            readers,
            writer_thread: Mutex::new(Some(writer_thread)),
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Number of live watchers (for metrics and tests).
    pub fn watcher_count(&self) -> usize {
        self.shared.hub.watcher_count()
    }

    async fn write(&self, op: WriteOp) -> Result<Arc<Event>, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Write { op, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<GetResult, StoreError> {
        validate_key(key)?;
        let key = key.to_owned();
        self.readers.run(move |snap| snap.get(&key, revision)).await
    }

    async fn list(&self, req: ListRequest) -> Result<ListResult, StoreError> {
        validate_prefix(&req.prefix)?;
        self.readers.run(move |snap| snap.list(&req)).await
    }

    async fn count(&self, prefix: &str) -> Result<(Revision, u64), StoreError> {
        validate_prefix(prefix)?;
        let prefix = prefix.to_owned();
        self.readers.run(move |snap| snap.count(&prefix)).await
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError> {
        validate_key(key)?;
        let event = self
            .write(WriteOp::Create {
                key: key.to_owned(),
                value,
            })
            .await?;
        Ok(event.kv.clone())
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> Result<KeyValue, StoreError> {
        validate_key(key)?;
        let op = WriteOp::Update {
            key: key.to_owned(),
            value,
            expected,
        };
        Ok(self.write(op).await?.kv.clone())
    }

    async fn delete(
        &self,
        key: &str,
        expected: Option<Revision>,
    ) -> Result<(Revision, KeyValue), StoreError> {
        validate_key(key)?;
        let event = self
            .write(WriteOp::Delete {
                key: key.to_owned(),
                expected,
            })
            .await?;
        let prev = event
            .prev_kv
            .clone()
            .expect("a delete event carries the deleted value");
        Ok((event.revision(), prev))
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream, StoreError> {
        validate_prefix(prefix)?;
        let after = after.max(0);
        // Subscribe before reading history: see the module docs of `watch`.
        let subscription = self.shared.hub.subscribe(prefix);
        let mut history = readers::SqliteHistory::new(self.readers.clone());
        let first = history
            .events_after(prefix, after, watch::BACKFILL_PAGE)
            .await?;
        Ok(watch::merge(
            subscription,
            history,
            prefix.to_owned(),
            after,
            first,
        ))
    }

    fn current_revision(&self) -> Revision {
        self.shared.current.load(Ordering::Acquire)
    }

    fn compact_revision(&self) -> Revision {
        self.shared.compacted.load(Ordering::Acquire)
    }

    async fn compact(&self, revision: Revision) -> Result<Revision, StoreError> {
        let current = self.current_revision();
        if revision > current {
            return Err(StoreError::FutureRevision {
                requested: revision,
                current,
            });
        }
        if revision <= self.compact_revision() {
            return Ok(self.compact_revision());
        }
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Compact {
                target: revision,
                reply,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn maintain(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Maintain { reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn shutdown(&self) {
        let (reply, rx) = oneshot::channel();
        if self
            .commands
            .send(Command::Shutdown { reply })
            .await
            .is_ok()
        {
            let _ = rx.await;
        }
        self.readers.close();
        let handle = self
            .writer_thread
            .lock()
            .expect("writer handle lock poisoned")
            .take();
        if let Some(handle) = handle {
            // The writer has replied and is only closing its connection now.
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

fn lock_file(path: &Path) -> Result<File, Error> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| Error::LockFile {
            path: lock_path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::InUse {
            path: path.to_owned(),
            lock: lock_path,
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(Error::LockFile {
            path: lock_path,
            source,
        }),
    }
}

/// Refuses files that are not SQLite databases before SQLite gets to them: SQLite would happily
/// report an empty schema for some of them.
fn check_header(path: &Path) -> Result<(), Error> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(Error::Unreadable {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut header = [0u8; 100];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(source) => {
                return Err(Error::Unreadable {
                    path: path.to_owned(),
                    source,
                });
            }
        }
    }
    match read {
        // An empty file is what a crash during the very first open leaves behind.
        0 => Ok(()),
        100 if header.starts_with(b"SQLite format 3\0") => Ok(()),
        _ => Err(Error::Corrupt {
            path: path.to_owned(),
            reason: "not a SQLite database (bad header)".into(),
        }),
    }
}

fn open_connection(path: &Path, read_only: bool) -> Result<Connection, Error> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(|e| Error::sqlite(path, "opening", e))?;
    let pragmas = if read_only {
        "PRAGMA busy_timeout = 10000; PRAGMA query_only = 1; PRAGMA cache_size = -1024;"
    } else {
        // synchronous=FULL in WAL mode: the WAL is fsynced at every commit, before it returns.
        "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL; PRAGMA cache_size = -4096;
         PRAGMA journal_size_limit = 16777216; PRAGMA wal_autocheckpoint = 1000;"
    };
    conn.execute_batch(pragmas)
        .map_err(|e| Error::sqlite(path, "configuring the connection", e))?;
    // The query planner stability guarantee: without it, SQLite (built with STAT4) re-prepares
    // a statement whenever a bound value could change its plan (`id <= ?`, `LIMIT ?`), which
    // was ~10 % of the server's CPU under the control-plane benchmark. Our statements have one
    // good plan (the `(name, id)` index) whatever the values.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(|e| Error::sqlite(path, "configuring the connection", e))?;
    Ok(conn)
}

fn set_journal_mode(conn: &Connection, path: &Path) -> Result<(), Error> {
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| Error::sqlite(path, "enabling WAL", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Corrupt {
            path: path.to_owned(),
            reason: format!("cannot enable write-ahead logging (journal mode stays {mode:?})"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
