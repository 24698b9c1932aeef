//! Endless update churn over a fixed set of keys must not grow the datastore without bound:
//! compaction drops old revisions, SQLite reuses the freed pages and checkpoints keep the WAL short.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use orch::store::sqlite::{SqliteBackend, SqliteConfig};
use orch::store::{Backend, Compactor, CompactorConfig, ListRequest};
use tokio_util::sync::CancellationToken;

const KEYS: u64 = 100;
const UPDATES: u64 = 200_000;
const WRITERS: u64 = 50;
const VALUE_SIZE: usize = 512;

fn on_disk(db: &Path) -> u64 {
    let size = |suffix: &str| {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
    };
    size("") + size("-wal")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_keeps_the_datastore_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let store = Arc::new(SqliteBackend::open(SqliteConfig::new(&path)).unwrap());
    let shutdown = CancellationToken::new();
    let compactor = Compactor::new(
        store.clone(),
        CompactorConfig {
            interval: Duration::from_millis(100),
            min_age: Duration::ZERO,
            min_revisions: 1000,
        },
    );
    let compactor = tokio::spawn(compactor.run(shutdown.clone()));

    for k in 0..KEYS {
        store
            .create(&format!("/churn/{k}"), Bytes::from(vec![0u8; VALUE_SIZE]))
            .await
            .unwrap();
    }
    // Each writer owns KEYS / WRITERS keys, so compare-and-swap never conflicts.
    let done = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, done) = (store.clone(), done.clone());
            tokio::spawn(async move {
                let mine: Vec<u64> = (0..KEYS).filter(|k| k % WRITERS == w).collect();
                let mut revs = Vec::new();
                for &k in &mine {
                    revs.push(
                        store
                            .get(&format!("/churn/{k}"), None)
                            .await
                            .unwrap()
                            .kv
                            .unwrap()
                            .mod_revision,
                    );
                }
                for i in 0..UPDATES / WRITERS {
                    let slot = (i as usize) % mine.len();
                    let value = Bytes::from(vec![(i % 251) as u8; VALUE_SIZE]);
                    let kv = store
                        .update(&format!("/churn/{}", mine[slot]), value, revs[slot])
                        .await
                        .unwrap();
                    revs[slot] = kv.mod_revision;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let mut samples = Vec::new();
    let mut next_mark = UPDATES / 10;
    while done.load(Ordering::Relaxed) < UPDATES {
        if done.load(Ordering::Relaxed) >= next_mark {
            samples.push((next_mark, on_disk(&path)));
            next_mark += UPDATES / 10;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for w in writers {
        w.await.unwrap();
    }
    // Let one more compaction pass run, as a long-lived server would.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let final_size = on_disk(&path);
    eprintln!("size by updates done: {samples:?}, final {final_size}");

    let revision = store.current_revision();
    assert_eq!(revision, (KEYS + UPDATES) as i64);
    assert!(
        store.compact_revision() >= revision - 2000,
        "compaction keeps up"
    );
    let listed = store
        .list(ListRequest {
            prefix: "/churn/".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.kvs.len(), KEYS as usize);

    // 200k updates of 512-byte values is ≥ 200 MB of history if nothing were reclaimed. The live
    // data plus 1000+ retained revisions is a few MB; allow for the WAL and page slack.
    const BOUND: u64 = 32 << 20;
    assert!(
        final_size < BOUND,
        "datastore grew to {final_size} bytes (bound {BOUND})"
    );
    let (_, at_20pct) = samples[1];
    assert!(
        final_size <= at_20pct * 2 + (4 << 20),
        "datastore keeps growing: {at_20pct} bytes at 20% of the churn, {final_size} at the end"
    );

    shutdown.cancel();
    compactor.await.unwrap();
    store.shutdown().await;
}
