//! Reads: a pool of connections used on blocking threads, each read in one snapshot.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Error, Shared, open_connection, schema};
use crate::store::watch::History;
use crate::store::{
    ContinueToken, Event, EventKind, GetResult, KeyValue, ListRequest, ListResult, Revision,
    StoreError, prefix_end,
};

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 4;

/// Reads running at once. Each needs a connection with its own page cache, and a burst of
/// requests (1,000 watches resuming, a controller resync) would otherwise open one connection
/// per request: with two cores more parallel reads only cost memory.
const MAX_CONCURRENT: usize = 8;

pub(super) struct Readers {
    shared: Arc<Shared>,
    idle: Mutex<Vec<Connection>>,
    closed: AtomicBool,
    running: Arc<tokio::sync::Semaphore>,
}

impl Readers {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Readers {
            shared,
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            running: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT)),
        }
    }

    /// Runs `f` on a blocking thread inside one read transaction (a consistent snapshot).
    pub(super) async fn run<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Snapshot<'_>) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let permit =
            (self.running.clone().acquire_owned().await).map_err(|_| StoreError::Closed)?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            this.run_blocking(f)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("read task failed: {e}").into()))?
    }

    fn run_blocking<R>(
        &self,
        f: impl FnOnce(&Snapshot<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Closed);
        }
        let conn = match self.idle.lock().expect("reader pool lock poisoned").pop() {
            Some(conn) => conn,
            None => open_connection(&self.shared.path, true)?,
        };
        let result = self.in_snapshot(&conn, f);
        if !self.closed.load(Ordering::Acquire) {
            let mut idle = self.idle.lock().expect("reader pool lock poisoned");
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        result
    }

    fn in_snapshot<R>(
        &self,
        conn: &Connection,
        f: impl FnOnce(&Snapshot<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let path = &self.shared.path;
        let sql = |context, e| StoreError::from(Error::sqlite(path, context, e));
        let tx = conn
            .unchecked_transaction()
            .map_err(|e| sql("starting a read", e))?;
        // Cached statements: every read starts here, and parsing SQL showed in profiles.
        let current = tx
            .prepare_cached(schema::SELECT_CURRENT_REVISION)
            .and_then(|mut st| st.query_row([], |r| r.get(0)))
            .map_err(|e| sql("reading the current revision", e))?;
        let compacted = tx
            .prepare_cached(schema::SELECT_META)
            .and_then(|mut st| st.query_row(["compact_revision"], |r| r.get(0)))
            .map_err(|e| sql("reading the compacted revision", e))?;
        let snapshot = Snapshot {
            tx,
            current,
            compacted,
            shared: &self.shared,
        };
        f(&snapshot)
        // Dropping the transaction rolls it back: nothing was written.
    }

    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.idle.lock().expect("reader pool lock poisoned").clear();
    }
}

/// A consistent view of the store at `current`.
pub(super) struct Snapshot<'c> {
    tx: Transaction<'c>,
    current: Revision,
    compacted: Revision,
    shared: &'c Shared,
}

impl Snapshot<'_> {
    fn sql(&self, context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |e| Error::sqlite(&self.shared.path, context, e).into()
    }

    /// Checks that `revision` can be read in this snapshot.
    fn readable(&self, revision: Revision) -> Result<(), StoreError> {
        if revision > self.current {
            return Err(StoreError::FutureRevision {
                requested: revision,
                current: self.current,
            });
        }
        if revision < self.compacted {
            return Err(StoreError::Compacted {
                requested: revision,
                compacted: self.compacted,
            });
        }
        Ok(())
    }

    pub(super) fn get(
        &self,
        key: &str,
        revision: Option<Revision>,
    ) -> Result<GetResult, StoreError> {
        let at = match revision {
            Some(r) if r > 0 => {
                self.readable(r)?;
                r
            }
            _ => self.current,
        };
        let row = self
            .tx
            .prepare_cached(schema::SELECT_LATEST)
            .and_then(|mut st| {
                st.query_row(params![key, at], |r| {
                    Ok((
                        r.get::<_, Revision>(0)?,
                        r.get::<_, Revision>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get(3)?,
                    ))
                })
                .optional()
            })
            .map_err(self.sql("reading a key"))?;
        let kv = row.filter(|&(_, _, deleted, _)| deleted == 0).map(
            |(mod_revision, create_revision, _, value)| KeyValue {
                key: key.to_owned(),
                create_revision,
                mod_revision,
                value: blob(value),
            },
        );
        Ok(GetResult { revision: at, kv })
    }

    pub(super) fn list(&self, req: &ListRequest) -> Result<ListResult, StoreError> {
        let end = prefix_end(&req.prefix);
        let (at, start_after) = match &req.continue_token {
            Some(token) => {
                // A token must not let a client read outside the prefix it lists.
                if !(token.start_after.as_str() >= req.prefix.as_str() && token.start_after < end) {
                    return Err(StoreError::InvalidContinue {
                        reason: "the token belongs to another list".into(),
                    });
                }
                (token.revision, token.start_after.as_str())
            }
            None => (req.revision.filter(|&r| r > 0).unwrap_or(self.current), ""),
        };
        self.readable(at)?;
        let fetch = if req.limit == 0 {
            -1
        } else {
            req.limit as i64 + 1
        };
        let mut kvs = self
            .tx
            .prepare_cached(schema::LIST)
            .and_then(|mut st| {
                st.query_map(params![req.prefix, end, start_after, at, fetch], |r| {
                    Ok(KeyValue {
                        key: r.get(0)?,
                        mod_revision: r.get(1)?,
                        create_revision: r.get(2)?,
                        value: blob(r.get(3)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(self.sql("listing"))?;
        let mut result = ListResult {
            revision: at,
            ..ListResult::default()
        };
        if req.limit > 0 && kvs.len() > req.limit {
            kvs.truncate(req.limit);
            let last = kvs.last().expect("limit > 0").key.clone();
            result.remaining = self.count_range(&req.prefix, &end, &last, at)?;
            result.continue_token = Some(ContinueToken {
                revision: at,
                start_after: last,
            });
        }
        result.kvs = kvs;
        Ok(result)
    }

    pub(super) fn count(&self, prefix: &str) -> Result<(Revision, u64), StoreError> {
        let count = self.count_range(prefix, &prefix_end(prefix), "", self.current)?;
        Ok((self.current, count))
    }

    fn count_range(
        &self,
        prefix: &str,
        end: &str,
        after: &str,
        at: Revision,
    ) -> Result<u64, StoreError> {
        self.tx
            .prepare_cached(schema::COUNT)
            .and_then(|mut st| {
                st.query_row(params![prefix, end, after, at], |r| r.get::<_, i64>(0))
            })
            .map(|n| n as u64)
            .map_err(self.sql("counting"))
    }

    pub(super) fn events_after(
        &self,
        prefix: &str,
        after: Revision,
        limit: usize,
    ) -> Result<Vec<Arc<Event>>, StoreError> {
        if after < self.compacted {
            return Err(StoreError::Compacted {
                requested: after,
                compacted: self.compacted,
            });
        }
        self.tx
            .prepare_cached(schema::EVENTS_AFTER)
            .and_then(|mut st| {
                st.query_map(
                    params![prefix, prefix_end(prefix), after, limit as i64],
                    |r| {
                        let id: Revision = r.get(0)?;
                        let key: String = r.get(1)?;
                        let created = r.get::<_, i64>(2)? != 0;
                        let deleted = r.get::<_, i64>(3)? != 0;
                        let create_revision: Revision = r.get(4)?;
                        let prev_revision: Revision = r.get(5)?;
                        let value = blob(r.get(6)?);
                        let old_value = blob(r.get(7)?);
                        let kind = match (created, deleted) {
                            (true, _) => EventKind::Create,
                            (false, true) => EventKind::Delete,
                            (false, false) => EventKind::Update,
                        };
                        let prev_kv = (kind != EventKind::Create).then(|| KeyValue {
                            key: key.clone(),
                            create_revision,
                            mod_revision: prev_revision,
                            value: old_value,
                        });
                        Ok(Arc::new(Event {
                            kind,
                            kv: KeyValue {
                                key,
                                create_revision,
                                mod_revision: id,
                                value,
                            },
                            prev_kv,
                            memo: Default::default(),
                        }))
                    },
                )?
                .collect()
            })
            .map_err(self.sql("reading history"))
    }
}

fn blob(value: Option<Vec<u8>>) -> Bytes {
    value.map(Bytes::from).unwrap_or_default()
}

/// Backfill for watches, read through the pool.
pub(super) struct SqliteHistory {
    readers: Arc<Readers>,
}

impl SqliteHistory {
    pub(super) fn new(readers: Arc<Readers>) -> Self {
        SqliteHistory { readers }
    }
}

#[async_trait]
impl History for SqliteHistory {
    async fn events_after(
        &mut self,
        prefix: &str,
        after: Revision,
        limit: usize,
    ) -> Result<Vec<Arc<Event>>, StoreError> {
        let prefix = prefix.to_owned();
        self.readers
            .run(move |snap| snap.events_after(&prefix, after, limit))
            .await
    }
}
