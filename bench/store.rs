//! Datastore benchmark: `cargo bench --bench store [-- --quick] [-- --no-etcd]`.
//!
//! Measures, in one run on one disk:
//! * orch's SQLite store: durable creates and updates per second with 1, 16, 256 and 500
//!   concurrent writers, and the write latency distribution;
//! * watch delivery with 100 watchers: from the commit (the hub's publish, which directly follows
//!   it) to each watcher, and end to end from the write call;
//! * raw SQLite doing the same durable inserts one per transaction and batched (the physical limit
//!   of the disk and library);
//! * etcd 3.4 (Debian `etcd-server`), if installed, with its own `etcdctl check perf` workloads.
//!
//! Results go to stdout as Markdown, for BENCHMARKS.md.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use orch::store::sqlite::{SqliteBackend, SqliteConfig};
use orch::store::watch::{self, History, Hub};
use orch::store::{Backend, Event, EventKind, KeyValue, Revision, StoreError};

const VALUE_SIZE: usize = 1024;

struct Opts {
    duration: Duration,
    etcd: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let opts = Opts {
        duration: Duration::from_secs(if quick { 1 } else { 5 }),
        etcd: !args.iter().any(|a| a == "--no-etcd"),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("## Datastore (`cargo bench --bench store`)\n");
    println!(
        "{}, {} cores, values of {VALUE_SIZE} bytes, {}s per measurement.\n",
        machine(),
        cores(),
        opts.duration.as_secs()
    );

    println!("| writers | creates/s | updates/s | write p50 | write p99 |");
    println!("|---:|---:|---:|---:|---:|");
    for writers in [1, 16, 256, 500] {
        let r = rt.block_on(orch_writes(writers, opts.duration));
        println!(
            "| {writers} | {:.0} | {:.0} | {} | {} |",
            r.creates_per_sec,
            r.updates_per_sec,
            ms(r.p50),
            ms(r.p99)
        );
    }

    println!("\n| watch delivery, 100 watchers | p50 | p99 | max |");
    println!("|---|---:|---:|---:|");
    let hub = rt.block_on(hub_delivery(100, 2000));
    println!(
        "| commit (hub publish) → watcher | {} | {} | {} |",
        ms(hub.0),
        ms(hub.1),
        ms(hub.2)
    );
    let e2e = rt.block_on(store_delivery(100, 2000));
    println!(
        "| write call → watcher (includes the fsync) | {} | {} | {} |",
        ms(e2e.0),
        ms(e2e.1),
        ms(e2e.2)
    );

    println!("\n| raw SQLite, WAL, synchronous=FULL | inserts/s |");
    println!("|---|---:|");
    println!(
        "| one insert per transaction | {:.0} |",
        raw_sqlite(1, opts.duration)
    );
    println!(
        "| 1000 inserts per transaction | {:.0} |",
        raw_sqlite(1000, opts.duration)
    );

    println!(
        "\n| open an existing datastore | keys | file size | open (quick_check) | open (no check) |"
    );
    println!("|---|---:|---:|---:|---:|");
    for keys in [10_000, 100_000] {
        let (size, checked, unchecked) = rt.block_on(open_time(keys));
        println!(
            "| {keys} keys of {VALUE_SIZE} B | {keys} | {:.0} MiB | {} | {} |",
            size as f64 / 1048576.0,
            ms(checked),
            ms(unchecked)
        );
    }

    if opts.etcd {
        match etcd_check_perf() {
            Ok(rows) => {
                println!("\n| etcd 3.4 `etcdctl check perf` | clients | rate cap | writes/s |");
                println!("|---|---:|---:|---:|");
                for (load, clients, cap, rate) in rows {
                    println!("| --load={load} | {clients} | {cap} | {rate:.0} |");
                }
            }
            Err(e) => println!("\netcd comparison skipped: {e}"),
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn percentiles(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99), *v.last().unwrap())
}

fn machine() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|r| format!("Linux {}", r.trim()))
        .unwrap_or_else(|_| "unknown kernel".into())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn open_store(dir: &tempfile::TempDir) -> Arc<SqliteBackend> {
    Arc::new(SqliteBackend::open(SqliteConfig::new(dir.path().join("state.db"))).unwrap())
}

struct WriteResult {
    creates_per_sec: f64,
    updates_per_sec: f64,
    p50: Duration,
    p99: Duration,
}

async fn orch_writes(writers: usize, duration: Duration) -> WriteResult {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let value = Bytes::from(vec![b'x'; VALUE_SIZE]);

    // Phase 1: every writer creates new keys. Phase 2: every writer updates its own keys.
    let phase = |update: bool| {
        let (store, value) = (store.clone(), value.clone());
        async move {
            let deadline = Instant::now() + duration;
            let tasks: Vec<_> = (0..writers)
                .map(|w| {
                    let (store, value) = (store.clone(), value.clone());
                    tokio::spawn(async move {
                        let mut lat = Vec::new();
                        let mut rev = 0;
                        let mut i = 0u64;
                        let own = format!("/bench/upd/{w}");
                        if update {
                            rev = store
                                .create(&own, value.clone())
                                .await
                                .unwrap()
                                .mod_revision;
                        }
                        while Instant::now() < deadline {
                            let t = Instant::now();
                            if update {
                                rev = store
                                    .update(&own, value.clone(), rev)
                                    .await
                                    .unwrap()
                                    .mod_revision;
                            } else {
                                store
                                    .create(&format!("/bench/new/{w}/{i}"), value.clone())
                                    .await
                                    .unwrap();
                            }
                            lat.push(t.elapsed());
                            i += 1;
                        }
                        lat
                    })
                })
                .collect();
            let started = Instant::now();
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await.unwrap());
            }
            (all.len() as f64 / started.elapsed().as_secs_f64(), all)
        }
    };
    let (creates_per_sec, mut lat) = phase(false).await;
    let (updates_per_sec, upd_lat) = phase(true).await;
    lat.extend(upd_lat);
    let (p50, p99, _) = percentiles(lat);
    store.shutdown().await;
    WriteResult {
        creates_per_sec,
        updates_per_sec,
        p50,
        p99,
    }
}

/// No history: the hub alone.
struct NoHistory;

#[async_trait]
impl History for NoHistory {
    async fn events_after(
        &mut self,
        _: &str,
        _: Revision,
        _: usize,
    ) -> Result<Vec<Arc<Event>>, StoreError> {
        Ok(Vec::new())
    }
}

/// Publish → receipt through the hub, as the writer does right after each commit.
async fn hub_delivery(watchers: usize, events: usize) -> (Duration, Duration, Duration) {
    let hub = Hub::new(watch::DEFAULT_WATCHER_LIMIT);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..watchers {
        let mut stream = watch::merge(hub.subscribe("/w/"), NoHistory, "/w/".into(), 0, Vec::new());
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(Ok(event)) = stream.next().await {
                let _ = tx.send((event.revision(), Instant::now()));
            }
        });
    }
    drop(tx);
    let mut sent = Vec::with_capacity(events);
    for i in 1..=events as i64 {
        let event = Arc::new(Event {
            kind: EventKind::Update,
            kv: KeyValue {
                key: "/w/k".into(),
                create_revision: 1,
                mod_revision: i,
                value: Bytes::from(vec![b'x'; VALUE_SIZE]),
            },
            prev_kv: None,
            memo: Default::default(),
        });
        sent.push(Instant::now());
        hub.publish(&[event]);
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    let mut lat = Vec::with_capacity(events * watchers);
    while lat.len() < events * watchers {
        let (rev, at) = rx.recv().await.unwrap();
        lat.push(at - sent[rev as usize - 1]);
    }
    hub.close();
    percentiles(lat)
}

/// Write call → receipt by each of `watchers` store watchers.
async fn store_delivery(watchers: usize, events: usize) -> (Duration, Duration, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..watchers {
        let mut stream = store.watch("/w/", 0).await.unwrap();
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(Ok(event)) = stream.next().await {
                let _ = tx.send((event.revision(), Instant::now()));
            }
        });
    }
    drop(tx);
    let value = Bytes::from(vec![b'x'; VALUE_SIZE]);
    let mut sent = Vec::with_capacity(events);
    let mut rev = 0;
    for _ in 0..events {
        sent.push(Instant::now());
        rev = if rev == 0 {
            store
                .create("/w/k", value.clone())
                .await
                .unwrap()
                .mod_revision
        } else {
            store
                .update("/w/k", value.clone(), rev)
                .await
                .unwrap()
                .mod_revision
        };
    }
    let mut lat = Vec::with_capacity(events * watchers);
    while lat.len() < events * watchers {
        let (rev, at) = rx.recv().await.unwrap();
        lat.push(at - sent[rev as usize - 1]);
    }
    store.shutdown().await;
    percentiles(lat)
}

/// Time to open a datastore holding `keys` keys, with and without the integrity check.
async fn open_time(keys: usize) -> (u64, Duration, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    {
        let store = open_store(&dir);
        let value = Bytes::from(vec![b'x'; VALUE_SIZE]);
        let tasks: Vec<_> = (0..64)
            .map(|w| {
                let (store, value) = (store.clone(), value.clone());
                tokio::spawn(async move {
                    for i in (w..keys).step_by(64) {
                        store
                            .create(&format!("/open/{i:08}"), value.clone())
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        store.shutdown().await;
    }
    let size = std::fs::metadata(&path).unwrap().len();
    let time = |check: bool| {
        let mut config = SqliteConfig::new(&path);
        config.integrity_check = check;
        let t = Instant::now();
        let store = SqliteBackend::open(config).unwrap();
        let took = t.elapsed();
        drop(store);
        took
    };
    let checked = tokio::task::block_in_place(|| time(true));
    let unchecked = tokio::task::block_in_place(|| time(false));
    (size, checked, unchecked)
}

/// Durable inserts straight into SQLite with the store's settings, `per_tx` per transaction.
fn raw_sqlite(per_tx: usize, duration: Duration) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("raw.db")).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE kv (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, value BLOB);
         CREATE INDEX kv_name ON kv (name, id);",
    )
    .unwrap();
    let value = vec![b'x'; VALUE_SIZE];
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut n = 0u64;
    while Instant::now() < deadline {
        conn.execute_batch("BEGIN").unwrap();
        {
            let mut st = conn
                .prepare_cached("INSERT INTO kv (name, value) VALUES (?1, ?2)")
                .unwrap();
            for _ in 0..per_tx {
                st.execute(rusqlite::params![format!("/raw/{n}"), &value])
                    .unwrap();
                n += 1;
            }
        }
        conn.execute_batch("COMMIT").unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Runs a throwaway etcd on loopback and its own `check perf` workloads.
fn etcd_check_perf() -> Result<Vec<(&'static str, u32, u32, f64)>, String> {
    let which = |b: &str| {
        Command::new("which")
            .arg(b)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if !which("etcd") || !which("etcdctl") {
        return Err("etcd/etcdctl not installed (apt-get install etcd-server etcd-client)".into());
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let client = "http://127.0.0.1:23790";
    let mut etcd = Command::new("etcd")
        .args(["--data-dir"])
        .arg(dir.path())
        .args([
            "--listen-client-urls",
            client,
            "--advertise-client-urls",
            client,
        ])
        .args(["--listen-peer-urls", "http://127.0.0.1:23800"])
        .args(["--initial-advertise-peer-urls", "http://127.0.0.1:23800"])
        .args(["--initial-cluster", "default=http://127.0.0.1:23800"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let mut result = Ok(());
    std::thread::sleep(Duration::from_secs(2));
    // (load, clients, rate cap) as etcdctl 3.4 defines them.
    for (load, clients, cap) in [("l", 500, 8000), ("xl", 1000, 15000)] {
        let out = Command::new("etcdctl")
            .args([
                "--endpoints",
                "127.0.0.1:23790",
                "check",
                "perf",
                "--load",
                load,
                "--auto-compact",
                "--auto-defrag",
            ])
            .env("ETCDCTL_API", "3")
            .output();
        match out {
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stdout).to_string();
                // "PASS: Throughput is 974 writes/s" or "FAIL: Throughput too low: 5401 writes/s"
                let rate = text
                    .lines()
                    .find_map(|l| l.strip_suffix(" writes/s"))
                    .and_then(|l| l.rsplit(' ').next())
                    .and_then(|r| r.parse::<f64>().ok());
                match rate {
                    Some(rate) => rows.push((load, clients, cap, rate)),
                    None => {
                        result = Err(format!("cannot read etcdctl output: {text}"));
                        break;
                    }
                }
            }
            Err(e) => {
                result = Err(e.to_string());
                break;
            }
        }
    }
    let _ = etcd.kill();
    let _ = etcd.wait();
    result.map(|()| rows)
}
