//! Crash safety: a child process writes and reports every acknowledged write; the test `kill -9`s
//! it at random points, reopens the datastore, and checks that every acknowledged write is there
//! and that the history is consistent. The child re-opens the same datastore each round, so
//! recovery after a kill is exercised repeatedly.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use orch::store::sqlite::{SqliteBackend, SqliteConfig};
use orch::store::{Backend, EventKind, ListRequest, Revision, StoreError};

/// Set (to the datastore path) when this test binary runs as the crash child.
const CHILD_ENV: &str = "ORCH_STORE_CRASH_CHILD";
const WRITERS: usize = 16;
const KEYS_PER_WRITER: usize = 20;

#[derive(Clone, Debug, PartialEq)]
struct Ack {
    revision: Revision,
    op: String,
    key: String,
    value: String,
}

fn parse_ack(line: &str) -> Option<Ack> {
    let mut parts = line.split(' ');
    let ack = Ack {
        revision: parts.next()?.parse().ok()?,
        op: parts.next()?.to_owned(),
        key: parts.next()?.to_owned(),
        value: parts.next()?.to_owned(),
    };
    parts.next().is_none().then_some(ack)
}

/// Entry point of the child process. When run as an ordinary test (no `CHILD_ENV`) it does
/// nothing: it is the other half of `acknowledged_writes_survive_kill_9`.
#[test]
fn crash_child_process() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let store =
            Arc::new(SqliteBackend::open(SqliteConfig::new(path)).expect("child opens the store"));
        let out = Arc::new(Mutex::new(std::io::stdout()));
        let round = std::env::var("ORCH_CRASH_ROUND").unwrap();
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (store, out, round) = (store.clone(), out.clone(), round.clone());
                tokio::spawn(async move {
                    let prefix = format!("/crash/{w}/");
                    let mut state: HashMap<String, Revision> = store
                        .list(ListRequest {
                            prefix: prefix.clone(),
                            ..Default::default()
                        })
                        .await
                        .unwrap()
                        .kvs
                        .into_iter()
                        .map(|kv| (kv.key, kv.mod_revision))
                        .collect();
                    for seq in 0u64.. {
                        let key = format!("{prefix}{}", fastrand::usize(..KEYS_PER_WRITER));
                        let value = format!("r{round}-w{w}-{seq}");
                        let bytes = Bytes::from(value.clone().into_bytes());
                        let (op, revision) = match state.get(&key) {
                            None => (
                                "create",
                                store.create(&key, bytes).await.unwrap().mod_revision,
                            ),
                            Some(&rev) if fastrand::u8(..5) == 0 => {
                                ("delete", store.delete(&key, Some(rev)).await.unwrap().0)
                            }
                            Some(&rev) => (
                                "update",
                                store.update(&key, bytes, rev).await.unwrap().mod_revision,
                            ),
                        };
                        if op == "delete" {
                            state.remove(&key);
                        } else {
                            state.insert(key.clone(), revision);
                        }
                        let mut out = out.lock().unwrap();
                        writeln!(out, "{revision} {op} {key} {value}").unwrap();
                        out.flush().unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

fn run_child_and_kill(path: &Path, round: usize, after: Duration) -> Vec<Ack> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "store_crash::crash_child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, path)
        .env("ORCH_CRASH_ROUND", round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut acks = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // A line cut by the kill does not parse and was never fully reported.
            if let Some(ack) = parse_ack(&line) {
                acks.push(ack);
            }
        }
        acks
    });
    let start = Instant::now();
    std::thread::sleep(after);
    child.kill().expect("SIGKILL the child");
    child.wait().unwrap();
    let acks = reader.join().unwrap();
    eprintln!(
        "round {round}: killed after {:?} with {} acknowledged writes",
        start.elapsed(),
        acks.len()
    );
    acks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let mut all_acks: Vec<Ack> = Vec::new();
    let mut last_round_max = 0;
    for round in 0..6 {
        let after = Duration::from_millis(150 + fastrand::u64(..600));
        let acks = run_child_and_kill(&path, round, after);
        assert!(
            !acks.is_empty(),
            "round {round}: the child acknowledged nothing in {after:?}"
        );
        let min = acks.iter().map(|a| a.revision).min().unwrap();
        assert!(
            min > last_round_max,
            "round {round} reused revision {min} ≤ {last_round_max}: the reopened store did not resume"
        );
        last_round_max = acks.iter().map(|a| a.revision).max().unwrap();
        all_acks.extend(acks);

        let store =
            SqliteBackend::open(SqliteConfig::new(&path)).expect("store reopens after kill -9");
        verify(&store, &all_acks).await;
        store.shutdown().await;
    }
}

async fn verify(store: &SqliteBackend, acks: &[Ack]) {
    let current = store.current_revision();
    let max_ack = acks.iter().map(|a| a.revision).max().unwrap();
    assert!(
        current >= max_ack,
        "current revision {current} below acknowledged {max_ack}"
    );

    // The full history (nothing is compacted here) replayed from revision 0.
    let mut watch = store.watch("/crash/", 0).await.unwrap();
    let mut history = HashMap::new();
    let mut live: HashMap<String, Revision> = HashMap::new();
    let mut last = 0;
    while last < current {
        let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .expect("history replays")
            .expect("watch open")
            .expect("no error");
        let rev = event.revision();
        assert!(
            rev > last,
            "revisions strictly increase: {rev} after {last}"
        );
        last = rev;
        // Each event must follow from the previous state of its key.
        let key = event.kv.key.clone();
        match event.kind {
            EventKind::Create => assert!(
                !live.contains_key(&key),
                "create of live key {key} at {rev}"
            ),
            EventKind::Update | EventKind::Delete => {
                let prev = event.prev_kv.as_ref().unwrap().mod_revision;
                assert_eq!(
                    live.get(&key),
                    Some(&prev),
                    "{key} at {rev} follows revision {prev}"
                );
            }
        }
        if event.kind == EventKind::Delete {
            live.remove(&key);
        } else {
            live.insert(key, rev);
        }
        history.insert(rev, event);
    }

    for ack in acks {
        let event = history
            .get(&ack.revision)
            .unwrap_or_else(|| panic!("acknowledged write lost: {ack:?}"));
        assert_eq!(event.kv.key, ack.key, "{ack:?}");
        let kind = match ack.op.as_str() {
            "create" => EventKind::Create,
            "update" => EventKind::Update,
            _ => EventKind::Delete,
        };
        assert_eq!(event.kind, kind, "{ack:?}");
        if kind != EventKind::Delete {
            assert_eq!(event.kv.value, ack.value.as_bytes(), "{ack:?}");
            let at = store
                .get(&ack.key, Some(ack.revision))
                .await
                .unwrap()
                .kv
                .unwrap();
            assert_eq!(at.mod_revision, ack.revision);
        } else {
            assert!(
                store
                    .get(&ack.key, Some(ack.revision))
                    .await
                    .unwrap()
                    .kv
                    .is_none()
            );
        }
    }

    // The current state is the replayed state.
    let listed = store
        .list(ListRequest {
            prefix: "/crash/".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let listed: HashMap<String, Revision> = listed
        .kvs
        .into_iter()
        .map(|kv| (kv.key, kv.mod_revision))
        .collect();
    assert_eq!(listed, live);
    assert!(matches!(
        store.get("/crash/x", Some(current + 1)).await,
        Err(StoreError::FutureRevision { .. })
    ));
}
