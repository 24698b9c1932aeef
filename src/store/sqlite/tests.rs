use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;

use super::*;
use crate::store::{ContinueToken, EventKind, ListRequest, StoreError, WatchStream};

fn open(dir: &tempfile::TempDir) -> Arc<SqliteBackend> {
    Arc::new(SqliteBackend::open(SqliteConfig::new(dir.path().join("state.db"))).unwrap())
}

fn tmp() -> (tempfile::TempDir, Arc<SqliteBackend>) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    (dir, store)
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

async fn next(w: &mut WatchStream) -> Arc<Event> {
    tokio::time::timeout(Duration::from_secs(10), w.next())
        .await
        .expect("watch event within 10s")
        .expect("watch still open")
        .expect("watch event, not error")
}

async fn assert_quiet(w: &mut WatchStream) {
    assert!(
        tokio::time::timeout(Duration::from_millis(100), w.next())
            .await
            .is_err(),
        "no further event expected"
    );
}

#[tokio::test]
async fn create_get_update_delete() {
    let (_d, s) = tmp();
    assert_eq!(s.current_revision(), 0);
    let kv = s.create("/a/1", b("one")).await.unwrap();
    assert_eq!((kv.create_revision, kv.mod_revision), (1, 1));
    assert_eq!(s.current_revision(), 1);

    let got = s.get("/a/1", None).await.unwrap();
    assert_eq!(got.revision, 1);
    assert_eq!(got.kv.unwrap().value, b("one"));

    let kv = s.update("/a/1", b("two"), 1).await.unwrap();
    assert_eq!((kv.create_revision, kv.mod_revision), (1, 2));
    assert_eq!(
        s.get("/a/1", None).await.unwrap().kv.unwrap().value,
        b("two")
    );

    let (rev, deleted) = s.delete("/a/1", Some(2)).await.unwrap();
    assert_eq!(rev, 3);
    assert_eq!(deleted.value, b("two"));
    assert_eq!(deleted.mod_revision, 2);
    let got = s.get("/a/1", None).await.unwrap();
    assert!(got.kv.is_none());
    assert_eq!(got.revision, 3);

    // Re-creating after a delete starts a new life for the key.
    let kv = s.create("/a/1", b("three")).await.unwrap();
    assert_eq!((kv.create_revision, kv.mod_revision), (4, 4));
}

#[tokio::test]
async fn write_preconditions() {
    let (_d, s) = tmp();
    s.create("/k", b("v")).await.unwrap();
    assert!(matches!(
        s.create("/k", b("v")).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    assert!(matches!(
        s.update("/missing", b("v"), 1).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.update("/k", b("v"), 7).await,
        Err(StoreError::Conflict {
            expected: 7,
            current: 1,
            ..
        })
    ));
    assert!(matches!(
        s.delete("/missing", None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.delete("/k", Some(9)).await,
        Err(StoreError::Conflict {
            expected: 9,
            current: 1,
            ..
        })
    ));
    // Failed writes take no revision.
    assert_eq!(s.current_revision(), 1);
    s.delete("/k", None).await.unwrap();
    assert!(matches!(
        s.update("/k", b("v"), 2).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.delete("/k", None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.create("bad key", b("v")).await,
        Err(StoreError::InvalidKey { .. })
    ));
    assert!(matches!(
        s.get("", None).await,
        Err(StoreError::InvalidKey { .. })
    ));
}

#[tokio::test]
async fn get_at_revision() {
    let (_d, s) = tmp();
    s.create("/k", b("v1")).await.unwrap(); // 1
    s.create("/other", b("x")).await.unwrap(); // 2
    s.update("/k", b("v2"), 1).await.unwrap(); // 3
    s.delete("/k", None).await.unwrap(); // 4
    let at = |r| {
        let s = s.clone();
        async move { s.get("/k", Some(r)).await.unwrap().kv.map(|kv| kv.value) }
    };
    assert_eq!(at(1).await, Some(b("v1")));
    assert_eq!(at(2).await, Some(b("v1")));
    assert_eq!(at(3).await, Some(b("v2")));
    assert_eq!(at(4).await, None);
    assert!(matches!(
        s.get("/k", Some(5)).await,
        Err(StoreError::FutureRevision {
            requested: 5,
            current: 4
        })
    ));
}

#[tokio::test]
async fn list_by_prefix_and_revision() {
    let (_d, s) = tmp();
    for key in ["/r/a/1", "/r/a/2", "/r/a0", "/r/ab/1", "/r/b/1"] {
        s.create(key, b(key)).await.unwrap();
    }
    let keys = |r: &ListResult| r.kvs.iter().map(|kv| kv.key.clone()).collect::<Vec<_>>();
    let list = |prefix: &str, revision| {
        let s = s.clone();
        let req = ListRequest {
            prefix: prefix.into(),
            revision,
            ..Default::default()
        };
        async move { s.list(req).await.unwrap() }
    };
    let r = list("/r/a/", None).await;
    assert_eq!(keys(&r), ["/r/a/1", "/r/a/2"]);
    assert_eq!(r.revision, 5);
    assert!(r.continue_token.is_none());
    assert_eq!(keys(&list("/r/", None).await).len(), 5);
    assert_eq!(keys(&list("", None).await).len(), 5);

    s.delete("/r/a/1", None).await.unwrap(); // 6
    s.update("/r/a/2", b("new"), 2).await.unwrap(); // 7
    assert_eq!(keys(&list("/r/a/", None).await), ["/r/a/2"]);
    let old = list("/r/a/", Some(5)).await;
    assert_eq!(keys(&old), ["/r/a/1", "/r/a/2"]);
    assert_eq!(old.kvs[1].value, b("/r/a/2"));
    assert_eq!(old.revision, 5);
    assert_eq!(list("/r/a/", None).await.kvs[0].value, b("new"));

    assert_eq!(s.count("/r/").await.unwrap(), (7, 4));
    assert_eq!(s.count("/r/a/").await.unwrap(), (7, 1));
    assert_eq!(s.count("/nothing/").await.unwrap(), (7, 0));
}

#[tokio::test]
async fn paged_list_is_a_snapshot_across_concurrent_writes() {
    let (_d, s) = tmp();
    for i in 0..25 {
        s.create(&format!("/p/{i:03}"), b("v")).await.unwrap();
    }
    let mut req = ListRequest {
        prefix: "/p/".into(),
        limit: 10,
        ..Default::default()
    };
    let first = s.list(req.clone()).await.unwrap();
    assert_eq!(first.kvs.len(), 10);
    assert_eq!(first.remaining, 15);
    let token = first.continue_token.clone().unwrap();
    assert_eq!(token.revision, 25);

    // Writes between pages: a new key, a deleted key, an updated key.
    s.create("/p/0005a", b("new")).await.unwrap();
    s.delete("/p/015", None).await.unwrap();
    s.update("/p/020", b("changed"), 21).await.unwrap();

    // The token survives its text form, as it would through a client.
    req.continue_token = Some(ContinueToken::decode(&token.encode()).unwrap());
    let mut seen: Vec<KeyValue> = first.kvs.clone();
    loop {
        let page = s.list(req.clone()).await.unwrap();
        assert_eq!(page.revision, 25);
        seen.extend(page.kvs);
        match page.continue_token {
            Some(t) => req.continue_token = Some(t),
            None => break,
        }
    }
    let keys: Vec<String> = seen.iter().map(|kv| kv.key.clone()).collect();
    let expected: Vec<String> = (0..25).map(|i| format!("/p/{i:03}")).collect();
    assert_eq!(
        keys, expected,
        "pages are the list at the first page's revision"
    );
    assert!(seen.iter().all(|kv| kv.value == b("v")));

    // A token may not be used to read outside the listed prefix.
    let foreign = ListRequest {
        prefix: "/q/".into(),
        limit: 10,
        continue_token: Some(token),
        ..Default::default()
    };
    assert!(matches!(
        s.list(foreign).await,
        Err(StoreError::InvalidContinue { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_compare_and_swap_has_one_winner() {
    let (_d, s) = tmp();
    for round in 0..20 {
        let key = format!("/race/{round}");
        let kv = s.create(&key, b("0")).await.unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let (s, key) = (s.clone(), key.clone());
                tokio::spawn(
                    async move { s.update(&key, b(&i.to_string()), kv.mod_revision).await },
                )
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => winners += 1,
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => panic!("unexpected error {e}"),
            }
        }
        assert_eq!(winners, 1, "round {round}");

        let creates: Vec<_> = (0..16)
            .map(|_| {
                let (s, key) = (s.clone(), format!("/race-create/{round}"));
                tokio::spawn(async move { s.create(&key, b("x")).await })
            })
            .collect();
        let mut created = 0;
        for t in creates {
            match t.await.unwrap() {
                Ok(_) => created += 1,
                Err(StoreError::AlreadyExists { .. }) => {}
                Err(e) => panic!("unexpected error {e}"),
            }
        }
        assert_eq!(created, 1, "round {round}");
    }
}

#[tokio::test]
async fn watch_from_old_current_and_future_revisions() {
    let (_d, s) = tmp();
    s.create("/w/a", b("1")).await.unwrap(); // 1
    s.create("/x/other", b("1")).await.unwrap(); // 2
    s.update("/w/a", b("2"), 1).await.unwrap(); // 3

    // Old: history first.
    let mut old = s.watch("/w/", 0).await.unwrap();
    let e = next(&mut old).await;
    assert_eq!((e.kind, e.revision()), (EventKind::Create, 1));
    assert!(e.prev_kv.is_none());
    let e = next(&mut old).await;
    assert_eq!(
        (e.kind, e.revision(), e.kv.value.clone()),
        (EventKind::Update, 3, b("2"))
    );
    assert_eq!(e.prev_kv.as_ref().unwrap().value, b("1"));
    assert_eq!(e.prev_kv.as_ref().unwrap().mod_revision, 1);

    // Current: nothing until the next write.
    let mut current = s.watch("/w/", 3).await.unwrap();
    assert_quiet(&mut current).await;
    // Future: nothing before revision 6.
    let mut future = s.watch("/w/", 5).await.unwrap();

    s.delete("/w/a", None).await.unwrap(); // 4
    s.create("/w/b", b("b")).await.unwrap(); // 5
    s.create("/w/c", b("c")).await.unwrap(); // 6

    for w in [&mut old, &mut current] {
        let e = next(w).await;
        assert_eq!((e.kind, e.revision()), (EventKind::Delete, 4));
        assert_eq!(e.kv.value, b("2"), "a delete carries the deleted value");
        assert_eq!(next(w).await.revision(), 5);
        assert_eq!(next(w).await.revision(), 6);
        assert_quiet(w).await;
    }
    let e = next(&mut future).await;
    assert_eq!(
        (e.kind, e.revision(), e.kv.key.as_str()),
        (EventKind::Create, 6, "/w/c")
    );
    assert_quiet(&mut future).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_has_no_gaps_or_duplicates_under_concurrent_writes() {
    let (_d, s) = tmp();
    // Writers run while watchers start at various revisions; each watcher must see exactly the
    // writes after its start revision, in order.
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let s = s.clone();
            tokio::spawn(async move {
                for i in 0..150 {
                    let key = format!("/c/{w}/{}", i % 10);
                    match s.get(&key, None).await.unwrap().kv {
                        None => s.create(&key, b("v")).await.map(|_| ()),
                        Some(kv) if i % 7 == 0 => {
                            s.delete(&key, Some(kv.mod_revision)).await.map(|_| ())
                        }
                        Some(kv) => s.update(&key, b("v"), kv.mod_revision).await.map(|_| ()),
                    }
                    .unwrap();
                }
            })
        })
        .collect();
    let mut watchers = Vec::new();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(3)).await;
        let start = s.current_revision() / 2;
        watchers.push((start, s.watch("/c/", start).await.unwrap()));
    }
    for w in writers {
        w.await.unwrap();
    }
    let end = s.current_revision();
    assert_eq!(end, 8 * 150);
    for (start, mut w) in watchers {
        for expected in start + 1..=end {
            assert_eq!(next(&mut w).await.revision(), expected);
        }
        assert_quiet(&mut w).await;
    }
}

#[tokio::test]
async fn watch_backfill_pages_through_long_history() {
    let (_d, s) = tmp();
    s.create("/h/k", b("0")).await.unwrap();
    let n = crate::store::watch::BACKFILL_PAGE as i64 * 2 + 17;
    for i in 1..n {
        s.update("/h/k", b(&i.to_string()), i).await.unwrap();
    }
    let mut w = s.watch("/h/", 0).await.unwrap();
    for r in 1..=n {
        let e = next(&mut w).await;
        assert_eq!(e.revision(), r);
        assert_eq!(e.kv.value, b(&(r - 1).to_string()));
    }
    s.update("/h/k", b("live"), n).await.unwrap();
    assert_eq!(next(&mut w).await.kv.value, b("live"));
}

#[tokio::test]
async fn compaction_boundaries() {
    let (_d, s) = tmp();
    s.create("/k/a", b("a1")).await.unwrap(); // 1
    s.create("/k/b", b("b1")).await.unwrap(); // 2
    s.update("/k/a", b("a2"), 1).await.unwrap(); // 3
    s.delete("/k/b", None).await.unwrap(); // 4
    s.create("/k/c", b("c1")).await.unwrap(); // 5
    s.update("/k/a", b("a3"), 3).await.unwrap(); // 6

    assert!(matches!(
        s.compact(7).await,
        Err(StoreError::FutureRevision { .. })
    ));
    assert_eq!(s.compact(4).await.unwrap(), 4);
    assert_eq!(s.compact_revision(), 4);
    assert_eq!(s.compact(2).await.unwrap(), 4, "compaction never goes back");

    // At the compacted revision everything still reads as it was.
    let r = s
        .list(ListRequest {
            prefix: "/k/".into(),
            revision: Some(4),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        r.kvs
            .iter()
            .map(|kv| (kv.key.as_str(), kv.value.clone()))
            .collect::<Vec<_>>(),
        [("/k/a", b("a2"))]
    );
    assert_eq!(
        s.get("/k/a", Some(4)).await.unwrap().kv.unwrap().value,
        b("a2")
    );
    assert_eq!(
        s.get("/k/a", Some(5)).await.unwrap().kv.unwrap().value,
        b("a2")
    );
    assert!(s.get("/k/b", Some(4)).await.unwrap().kv.is_none());
    // Below it, reads and watches are refused with a distinct error.
    assert!(matches!(
        s.get("/k/a", Some(3)).await,
        Err(StoreError::Compacted {
            requested: 3,
            compacted: 4
        })
    ));
    let below = ListRequest {
        prefix: "/k/".into(),
        revision: Some(2),
        ..Default::default()
    };
    assert!(s.list(below).await.unwrap_err().is_compacted());
    assert!(s.watch("/k/", 3).await.err().unwrap().is_compacted());
    // From the compacted revision on, watch history is complete.
    let mut w = s.watch("/k/", 4).await.unwrap();
    assert_eq!(next(&mut w).await.revision(), 5);
    let e = next(&mut w).await;
    assert_eq!(
        (e.revision(), e.prev_kv.as_ref().unwrap().value.clone()),
        (6, b("a2"))
    );

    // Superseded rows and tombstones at or below 4 are physically gone.
    let rows: i64 = rusqlite::Connection::open(s.path())
        .unwrap()
        .query_row("SELECT COUNT(*) FROM kine", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        rows, 3,
        "rows 3 (a2, still read at 4 and 5), 5 and 6 remain"
    );

    // Compaction survives a restart.
    s.shutdown().await;
}

#[tokio::test]
async fn compacted_revision_and_current_revision_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = open(&dir);
        s.create("/k", b("1")).await.unwrap();
        s.update("/k", b("2"), 1).await.unwrap();
        s.create("/gone", b("x")).await.unwrap();
        s.delete("/gone", None).await.unwrap(); // 4
        s.compact(4).await.unwrap();
        s.shutdown().await;
    }
    let s = open(&dir);
    // The tombstone at 4 is gone, yet the revision does not go back.
    assert_eq!(s.current_revision(), 4);
    assert_eq!(s.compact_revision(), 4);
    assert_eq!(s.get("/k", None).await.unwrap().kv.unwrap().value, b("2"));
    assert_eq!(s.create("/new", b("n")).await.unwrap().mod_revision, 5);
}

#[tokio::test]
async fn slow_watcher_is_cut_off_without_blocking_writers() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SqliteConfig::new(dir.path().join("state.db"));
    config.watcher_limit = 50;
    let s = Arc::new(SqliteBackend::open(config).unwrap());
    let mut slow = s.watch("/s/", 0).await.unwrap();
    let mut other = s.watch("/other/", 0).await.unwrap();
    s.create("/s/k", b("0")).await.unwrap();
    for i in 1..200 {
        // Would hang here if a full watcher could block the writer.
        tokio::time::timeout(Duration::from_secs(5), s.update("/s/k", b("x"), i))
            .await
            .expect("writer not blocked")
            .unwrap();
    }
    let mut delivered = 0;
    let err = loop {
        match slow.next().await {
            Some(Ok(_)) => delivered += 1,
            Some(Err(e)) => break e,
            None => panic!("stream ended without an error"),
        }
    };
    assert!(
        matches!(err, StoreError::WatcherTooSlow { limit: 50 }),
        "{err}"
    );
    assert!(delivered <= 50);
    assert!(
        slow.next().await.is_none(),
        "the stream ends after the error"
    );
    // A watcher of an untouched prefix is unaffected.
    s.create("/other/k", b("o")).await.unwrap();
    assert_eq!(next(&mut other).await.kv.key, "/other/k");
    assert_eq!(s.watcher_count(), 1);
}

#[tokio::test]
async fn shutdown_ends_watches_and_refuses_operations() {
    let (_d, s) = tmp();
    s.create("/k", b("v")).await.unwrap();
    let mut w = s.watch("/", 1).await.unwrap();
    s.shutdown().await;
    assert!(
        tokio::time::timeout(Duration::from_secs(5), w.next())
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        s.create("/x", b("v")).await,
        Err(StoreError::Closed)
    ));
    assert!(matches!(s.get("/k", None).await, Err(StoreError::Closed)));
}

#[tokio::test]
async fn second_process_is_refused_and_bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let s = SqliteBackend::open(SqliteConfig::new(&path)).unwrap();
    let err = SqliteBackend::open(SqliteConfig::new(&path)).err().unwrap();
    assert!(matches!(err, Error::InUse { .. }), "{err}");
    assert!(err.to_string().contains(&*path.to_string_lossy()));
    s.shutdown().await;
    drop(s);

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x42u8; 8192]).unwrap();
    let err = SqliteBackend::open(SqliteConfig::new(&garbage))
        .err()
        .unwrap();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(
        err.to_string().contains(&*garbage.to_string_lossy()),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&garbage).unwrap(),
        vec![0x42u8; 8192],
        "the file is left alone"
    );

    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = SqliteBackend::open(SqliteConfig::new(&foreign))
        .err()
        .unwrap();
    assert!(matches!(err, Error::Foreign { .. }), "{err}");

    // A valid header over damaged pages: the integrity check catches it at open.
    let damaged = dir.path().join("damaged.db");
    {
        let s = SqliteBackend::open(SqliteConfig::new(&damaged)).unwrap();
        for i in 0..2000 {
            s.create(&format!("/d/{i:05}"), Bytes::from(vec![7u8; 200]))
                .await
                .unwrap();
        }
        s.shutdown().await;
    }
    let mut bytes = std::fs::read(&damaged).unwrap();
    let page = 4096;
    for b in &mut bytes[page * 3..page * 6] {
        *b = 0xff;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let err = SqliteBackend::open(SqliteConfig::new(&damaged))
        .err()
        .unwrap();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("damaged.db"), "{err}");
}

#[tokio::test]
async fn compactor_keeps_min_revisions() {
    use crate::store::{Compactor, CompactorConfig};
    let (_d, s) = tmp();
    s.create("/k", b("0")).await.unwrap();
    for i in 1..50 {
        s.update("/k", b("x"), i).await.unwrap();
    }
    let config = CompactorConfig {
        interval: Duration::from_millis(10),
        min_age: Duration::ZERO,
        min_revisions: 20,
    };
    let mut compactor = Compactor::new(s.clone(), config);
    assert_eq!(compactor.tick().await.unwrap(), Some(30));
    assert_eq!(
        compactor.tick().await.unwrap(),
        None,
        "nothing new to compact"
    );
    assert!(s.get("/k", Some(30)).await.is_ok());
    assert!(s.get("/k", Some(29)).await.unwrap_err().is_compacted());
}

#[tokio::test(start_paused = true)]
async fn compactor_keeps_min_age() {
    use crate::store::{Compactor, CompactorConfig};
    let (_d, s) = tmp();
    let config = CompactorConfig {
        interval: Duration::from_secs(60),
        min_age: Duration::from_secs(300),
        min_revisions: 0,
    };
    let mut compactor = Compactor::new(s.clone(), config);
    s.create("/k", b("0")).await.unwrap();
    assert_eq!(
        compactor.tick().await.unwrap(),
        None,
        "revision 1 is not 5 minutes old"
    );
    for i in 1..10 {
        s.update("/k", b("x"), i).await.unwrap();
    }
    tokio::time::advance(Duration::from_secs(299)).await;
    assert_eq!(compactor.tick().await.unwrap(), None);
    tokio::time::advance(Duration::from_secs(1)).await;
    // Revision 1 was current 5 minutes ago; nothing newer is old enough.
    assert_eq!(compactor.tick().await.unwrap(), Some(1));
    tokio::time::advance(Duration::from_secs(300)).await;
    assert_eq!(compactor.tick().await.unwrap(), Some(10));
}
