//! The single writer: group commit, compaction and space maintenance on one connection.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot};

use super::{Error, Shared, schema};
use crate::store::{Event, EventKind, KeyValue, Revision, StoreError};

/// Most writes committed in one transaction.
const MAX_BATCH: usize = 1024;
/// Revisions compacted per transaction, so writes are never held up for long.
const COMPACT_CHUNK: Revision = 1000;

pub(super) enum WriteOp {
    Create {
        key: String,
        value: Bytes,
    },
    Update {
        key: String,
        value: Bytes,
        expected: Revision,
    },
    Delete {
        key: String,
        expected: Option<Revision>,
    },
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

pub(super) enum Command {
    Write {
        op: WriteOp,
        reply: Reply<Arc<Event>>,
    },
    Compact {
        target: Revision,
        reply: Reply<Revision>,
    },
    Maintain {
        reply: Reply<()>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

pub(super) struct Writer {
    conn: Connection,
    shared: Arc<Shared>,
    /// The last revision assigned; the next write gets `last + 1`.
    last: Revision,
    compacted: Revision,
    compact_target: Revision,
    compact_waiters: Vec<Reply<Revision>>,
}

/// The latest row of a key, as the writer needs it.
struct Latest {
    id: Revision,
    create_revision: Revision,
    deleted: bool,
    value: Bytes,
}

impl Writer {
    pub(super) fn new(
        conn: Connection,
        shared: Arc<Shared>,
        last: Revision,
        compacted: Revision,
    ) -> Self {
        Writer {
            conn,
            shared,
            last,
            compacted,
            compact_target: compacted,
            compact_waiters: Vec::new(),
        }
    }

    pub(super) fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let span = tracing::info_span!("store-writer");
        let _enter = span.enter();
        let mut shutdown_reply = None;
        'outer: loop {
            let first = if self.compact_target > self.compacted {
                match rx.try_recv() {
                    Ok(cmd) => cmd,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        self.compact_chunk();
                        continue;
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => break,
                }
            } else {
                match rx.blocking_recv() {
                    Some(cmd) => cmd,
                    None => break,
                }
            };
            let mut writes = Vec::new();
            let mut maintain = Vec::new();
            let mut next = Some(first);
            while let Some(cmd) = next.take() {
                match cmd {
                    Command::Write { op, reply } => writes.push((op, reply)),
                    Command::Compact { target, reply } => {
                        self.compact_target = self.compact_target.max(target.min(self.last));
                        self.compact_waiters.push(reply);
                    }
                    Command::Maintain { reply } => maintain.push(reply),
                    Command::Shutdown { reply } => {
                        shutdown_reply = Some(reply);
                        self.commit(writes);
                        break 'outer;
                    }
                }
                if writes.len() < MAX_BATCH {
                    next = rx.try_recv().ok();
                }
            }
            self.commit(writes);
            if self.compact_target > self.compacted {
                self.compact_chunk();
            } else {
                self.answer_compact_waiters();
            }
            for reply in maintain {
                let _ = reply.send(self.maintain().map_err(StoreError::from));
            }
        }
        // Writes still queued behind a shutdown are refused: their senders see `Closed`.
        rx.close();
        while let Ok(cmd) = rx.try_recv() {
            drop(cmd);
        }
        self.shared.hub.close();
        if let Err(err) = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
            tracing::warn!(error = %err, "final checkpoint failed; the WAL will be replayed at next open");
        }
        if let Err((_, err)) = self.conn.close() {
            tracing::warn!(error = %err, "closing the datastore failed");
        }
        tracing::info!(revision = self.last, "datastore closed");
        if let Some(reply) = shutdown_reply {
            let _ = reply.send(());
        }
    }

    /// Applies a batch in one transaction, then publishes and acknowledges.
    fn commit(&mut self, writes: Vec<(WriteOp, Reply<Arc<Event>>)>) {
        if writes.is_empty() {
            return;
        }
        let (ops, replies): (Vec<_>, Vec<_>) = writes.into_iter().unzip();
        match self.apply(ops) {
            Ok(results) => {
                let events: Vec<Arc<Event>> = results
                    .iter()
                    .filter_map(|r| r.as_ref().ok().cloned())
                    .collect();
                if let Some(last) = events.last() {
                    self.last = last.revision();
                    self.shared.current.store(self.last, Ordering::Release);
                }
                self.shared.hub.publish(&events);
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(err) => {
                tracing::error!(error = %err, batch = replies.len(), "write batch failed");
                // Nothing of the batch is committed; resynchronise in case SQLite's state moved.
                if let Ok(last) = self
                    .conn
                    .query_row(schema::SELECT_CURRENT_REVISION, [], |r| r.get(0))
                {
                    self.last = last;
                }
                let message = err.to_string();
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Backend(message.clone().into())));
                }
            }
        }
    }

    fn apply(&mut self, ops: Vec<WriteOp>) -> Result<Vec<Result<Arc<Event>, StoreError>>, Error> {
        let path = self.shared.path.clone();
        let sql = |context, source| Error::sqlite(&path, context, source);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql("starting a write transaction", e))?;
        let mut next = self.last + 1;
        let mut results = Vec::with_capacity(ops.len());
        for op in ops {
            let result = apply_one(&tx, op, next).map_err(|e| sql("writing", e))?;
            if result.is_ok() {
                next += 1;
            }
            results.push(result.map(Arc::new));
        }
        tx.commit().map_err(|e| sql("committing", e))?;
        Ok(results)
    }

    fn compact_chunk(&mut self) {
        let lo = self.compacted;
        let hi = self.compact_target.min(lo + COMPACT_CHUNK);
        let result = (|| -> rusqlite::Result<(usize, usize)> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let superseded = tx
                .prepare_cached(schema::COMPACT_SUPERSEDED)?
                .execute(params![lo, hi])?;
            let tombstones = tx
                .prepare_cached(schema::COMPACT_TOMBSTONES)?
                .execute(params![lo, hi])?;
            tx.prepare_cached(schema::UPDATE_META)?
                .execute(params!["compact_revision", hi])?;
            tx.commit()?;
            Ok((superseded, tombstones))
        })();
        match result {
            Ok((superseded, tombstones)) => {
                tracing::debug!(from = lo, to = hi, superseded, tombstones, "compacted");
                self.compacted = hi;
                self.shared.compacted.store(hi, Ordering::Release);
                if hi >= self.compact_target {
                    self.answer_compact_waiters();
                }
            }
            Err(err) => {
                let err = Error::sqlite(&self.shared.path, "compacting", err);
                tracing::error!(error = %err, "compaction failed");
                self.compact_target = self.compacted;
                let message = err.to_string();
                for reply in self.compact_waiters.drain(..) {
                    let _ = reply.send(Err(StoreError::Backend(message.clone().into())));
                }
            }
        }
    }

    fn answer_compact_waiters(&mut self) {
        for reply in self.compact_waiters.drain(..) {
            let _ = reply.send(Ok(self.compacted));
        }
    }

    /// Returns free pages to the file system when many are free, and resets the WAL.
    fn maintain(&mut self) -> Result<(), Error> {
        let path = self.shared.path.clone();
        let sql = |context, source| Error::sqlite(&path, context, source);
        let pragma = |name: &str| -> rusqlite::Result<i64> {
            self.conn
                .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        };
        let free = pragma("freelist_count").map_err(|e| sql("reading free pages", e))?;
        let total = pragma("page_count").map_err(|e| sql("reading page count", e))?;
        if free > 1024 && free * 4 > total {
            self.conn
                .execute_batch("PRAGMA incremental_vacuum")
                .map_err(|e| sql("returning free pages", e))?;
            tracing::debug!(free, total, "returned free pages");
        }
        // A reader holding an old snapshot can make the checkpoint partial; the next one completes it.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| sql("checkpointing", e))?;
        Ok(())
    }
}

/// One write inside the batch transaction. The outer error aborts the batch; the inner one is this
/// write's own outcome (conflict, missing key, …).
fn apply_one(
    tx: &Transaction<'_>,
    op: WriteOp,
    revision: Revision,
) -> rusqlite::Result<Result<Event, StoreError>> {
    let key = match &op {
        WriteOp::Create { key, .. } | WriteOp::Update { key, .. } | WriteOp::Delete { key, .. } => {
            key.clone()
        }
    };
    let latest = tx
        .prepare_cached(schema::SELECT_LATEST)?
        .query_row(params![key, Revision::MAX], |r| {
            Ok(Latest {
                id: r.get(0)?,
                create_revision: r.get(1)?,
                deleted: r.get::<_, i64>(2)? != 0,
                value: r
                    .get::<_, Option<Vec<u8>>>(3)?
                    .map(Bytes::from)
                    .unwrap_or_default(),
            })
        })
        .optional()?;
    let live = latest.as_ref().filter(|l| !l.deleted);
    let mut insert = tx.prepare_cached(schema::INSERT)?;
    let prev_kv = |l: &Latest| KeyValue {
        key: key.clone(),
        create_revision: l.create_revision,
        mod_revision: l.id,
        value: l.value.clone(),
    };
    let event = match op {
        WriteOp::Create { value, .. } => {
            if live.is_some() {
                return Ok(Err(StoreError::AlreadyExists { key }));
            }
            let prev_revision = latest.as_ref().map_or(0, |l| l.id);
            insert.execute(params![
                revision,
                key,
                1,
                0,
                revision,
                prev_revision,
                &value[..],
                None::<&[u8]>
            ])?;
            Event {
                memo: Default::default(),
                kind: EventKind::Create,
                kv: KeyValue {
                    key,
                    create_revision: revision,
                    mod_revision: revision,
                    value,
                },
                prev_kv: None,
            }
        }
        WriteOp::Update {
            value, expected, ..
        } => {
            let Some(l) = live else {
                return Ok(Err(StoreError::NotFound { key }));
            };
            if l.id != expected {
                return Ok(Err(StoreError::Conflict {
                    key,
                    expected,
                    current: l.id,
                }));
            }
            insert.execute(params![
                revision,
                key,
                0,
                0,
                l.create_revision,
                l.id,
                &value[..],
                &l.value[..]
            ])?;
            Event {
                memo: Default::default(),
                kind: EventKind::Update,
                prev_kv: Some(prev_kv(l)),
                kv: KeyValue {
                    key,
                    create_revision: l.create_revision,
                    mod_revision: revision,
                    value,
                },
            }
        }
        WriteOp::Delete { expected, .. } => {
            let Some(l) = live else {
                return Ok(Err(StoreError::NotFound { key }));
            };
            if let Some(expected) = expected.filter(|&e| e != l.id) {
                return Ok(Err(StoreError::Conflict {
                    key,
                    expected,
                    current: l.id,
                }));
            }
            insert.execute(params![
                revision,
                key,
                0,
                1,
                l.create_revision,
                l.id,
                &l.value[..],
                &l.value[..]
            ])?;
            Event {
                memo: Default::default(),
                kind: EventKind::Delete,
                prev_kv: Some(prev_kv(l)),
                kv: KeyValue {
                    key,
                    create_revision: l.create_revision,
                    mod_revision: revision,
                    value: l.value.clone(),
                },
            }
        }
    };
    Ok(Ok(event))
}
