//! The datastore: an ordered, revisioned key-value log with watch (the kine model).
//!
//! Keys are opaque ASCII paths (`/registry/<resource>/<ns>/<name>`), values opaque bytes. Every
//! successful write gets the next cluster-wide revision; the store keeps enough history to read at
//! and watch from any revision at or above its compacted revision. This module knows nothing about
//! HTTP or Kubernetes kinds.
//!
//! [`Backend`] is the seam: [`sqlite::SqliteBackend`] is the single-node implementation; an etcd v3
//! backend can implement the same trait without touching callers.

pub mod compactor;
pub mod continue_token;
pub mod sqlite;
pub mod watch;

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

pub use compactor::{Compactor, CompactorConfig};
pub use continue_token::ContinueToken;

/// A cluster-wide revision. Revisions start at 1 and only grow; 0 means "none".
pub type Revision = i64;

/// One key as stored at a given revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    /// Revision at which the key was (last) created.
    pub create_revision: Revision,
    /// Revision of the write that produced this value.
    pub mod_revision: Revision,
    pub value: Bytes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Create,
    Update,
    Delete,
}

/// One committed change, as delivered to watchers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// The new state. For [`EventKind::Delete`] this holds the last value the key had, with
    /// `mod_revision` set to the revision of the deletion.
    pub kv: KeyValue,
    /// The state before this change; `None` for [`EventKind::Create`].
    pub prev_kv: Option<KeyValue>,
    /// Room for a form derived from this event (a decoded object), computed once and shared by
    /// every watcher that receives the same event.
    pub memo: Memo,
}

/// A write-once slot of any type; ignored by equality.
#[derive(Clone, Default)]
pub struct Memo(std::sync::OnceLock<Arc<dyn std::any::Any + Send + Sync>>);

impl Memo {
    /// The value, computed by `init` on first use. `None` if the slot holds another type.
    pub fn get_or_init<T: std::any::Any + Send + Sync>(
        &self,
        init: impl FnOnce() -> T,
    ) -> Option<&T> {
        self.0.get_or_init(|| Arc::new(init())).downcast_ref::<T>()
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl PartialEq for Memo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Memo {}

impl Event {
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }
}

/// A stream of events, strictly increasing in revision, with no gaps or duplicates for its prefix.
/// It ends after yielding an error (for example [`StoreError::WatcherTooSlow`]) or when the store
/// shuts down.
pub type WatchStream = BoxStream<'static, Result<Arc<Event>, StoreError>>;

#[derive(Clone, Debug, Default)]
pub struct ListRequest {
    /// Keys starting with this prefix (empty: every key).
    pub prefix: String,
    /// Read at this revision instead of the current one.
    pub revision: Option<Revision>,
    /// Return at most this many keys (0: no limit).
    pub limit: usize,
    /// Resume a previous list; takes precedence over `revision`.
    pub continue_token: Option<ContinueToken>,
}

#[derive(Clone, Debug, Default)]
pub struct ListResult {
    /// The revision the list was evaluated at.
    pub revision: Revision,
    pub kvs: Vec<KeyValue>,
    /// Set when more keys remain; passing it back resumes the list at the same revision.
    pub continue_token: Option<ContinueToken>,
    /// How many keys remain after this page (only counted when `continue_token` is set).
    pub remaining: u64,
}

#[derive(Clone, Debug)]
pub struct GetResult {
    /// The revision the read was evaluated at.
    pub revision: Revision,
    pub kv: Option<KeyValue>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("key {key:?} already exists")]
    AlreadyExists { key: String },
    #[error("key {key:?} not found")]
    NotFound { key: String },
    #[error("key {key:?} was modified: expected revision {expected}, found {current}")]
    Conflict {
        key: String,
        expected: Revision,
        current: Revision,
    },
    #[error("revision {requested} has been compacted (oldest available: {compacted})")]
    Compacted {
        requested: Revision,
        compacted: Revision,
    },
    #[error("revision {requested} is in the future (current revision: {current})")]
    FutureRevision {
        requested: Revision,
        current: Revision,
    },
    #[error("invalid key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    #[error("invalid continue token: {reason}")]
    InvalidContinue { reason: String },
    #[error("watcher fell more than {limit} events behind and was cut off")]
    WatcherTooSlow { limit: usize },
    #[error("datastore is shut down")]
    Closed,
    #[error(transparent)]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// True for errors a caller should answer by re-listing (the revision it holds is gone).
    pub fn is_compacted(&self) -> bool {
        matches!(self, StoreError::Compacted { .. })
    }
}

/// The operations the API server needs from a datastore.
///
/// All writes are durable when they return `Ok`: an acknowledged write survives a crash of the
/// process or the machine.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Reads one key, at the current revision or at `revision`.
    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<GetResult, StoreError>;

    /// Lists keys by prefix in key order.
    async fn list(&self, req: ListRequest) -> Result<ListResult, StoreError>;

    /// Counts the live keys under a prefix; returns the revision and the count.
    async fn count(&self, prefix: &str) -> Result<(Revision, u64), StoreError>;

    /// Creates a key; fails with [`StoreError::AlreadyExists`] if it exists.
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError>;

    /// Replaces a key's value if its current `mod_revision` is `expected` (compare-and-swap).
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> Result<KeyValue, StoreError>;

    /// Deletes a key, if its current `mod_revision` is `expected` when given. Returns the revision
    /// of the deletion and the value that was deleted.
    async fn delete(
        &self,
        key: &str,
        expected: Option<Revision>,
    ) -> Result<(Revision, KeyValue), StoreError>;

    /// Watches every key under `prefix` for changes with a revision strictly greater than `after`.
    /// `after` may be in the future. Fails with [`StoreError::Compacted`] if events after `after`
    /// are no longer all available.
    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream, StoreError>;

    /// The revision of the last committed write.
    fn current_revision(&self) -> Revision;

    /// Reads and watches below this revision fail with [`StoreError::Compacted`].
    fn compact_revision(&self) -> Revision;

    /// Drops history at and below `revision` that no read at or above it needs. Returns the new
    /// compacted revision.
    async fn compact(&self, revision: Revision) -> Result<Revision, StoreError>;

    /// Reclaims space: checkpoints logs, returns free pages. Called after compaction.
    async fn maintain(&self) -> Result<(), StoreError>;

    /// Finishes queued writes, ends every watch and closes the store. Later calls fail with
    /// [`StoreError::Closed`].
    async fn shutdown(&self);
}

/// Keys are printable ASCII without spaces, which keeps prefix ranges simple and stores portable.
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() {
        return Err(StoreError::InvalidKey {
            key: key.to_owned(),
            reason: "empty",
        });
    }
    validate_prefix(key)
}

pub fn validate_prefix(prefix: &str) -> Result<(), StoreError> {
    if prefix.len() > 4096 {
        return Err(StoreError::InvalidKey {
            key: prefix[..64].to_owned(),
            reason: "longer than 4096 bytes",
        });
    }
    if !prefix.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(StoreError::InvalidKey {
            key: prefix.to_owned(),
            reason: "only printable ASCII without spaces is allowed",
        });
    }
    Ok(())
}

/// The first key after every key starting with `prefix` (exclusive upper bound of the range).
/// For a valid prefix the result is valid ASCII: the last byte is below 0x7f.
pub fn prefix_end(prefix: &str) -> String {
    match prefix.as_bytes().last() {
        None => "\u{7f}".to_owned(),
        Some(&last) => {
            let mut end = prefix[..prefix.len() - 1].to_owned();
            end.push((last + 1) as char);
            end
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_exclusive_bound() {
        assert_eq!(prefix_end("/registry/pods/"), "/registry/pods0");
        assert_eq!(prefix_end("a"), "b");
        assert_eq!(prefix_end(""), "\u{7f}");
        assert!("/registry/pods/zzz" < prefix_end("/registry/pods/").as_str());
        assert!("/registry/pods0" >= prefix_end("/registry/pods/").as_str());
    }

    #[test]
    fn keys_are_printable_ascii() {
        assert!(validate_key("/registry/pods/default/a").is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key("/a b").is_err());
        assert!(validate_key("/é").is_err());
        assert!(validate_key("/a\u{7f}").is_err());
        assert!(validate_prefix("").is_ok());
    }
}
