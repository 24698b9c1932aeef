//! `orch images`: importing archives into a node's image store, listing and removing names.

use std::process::Command;

use crate::common::ORCH;

fn orch(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(ORCH)
        .arg("images")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("ORCH_DATA_DIR")
        .output()
        .unwrap()
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A `docker save` archive of one image named `busybox:latest` and `localhost:5000/bb:1`.
fn docker_save() -> Vec<u8> {
    let layer = tar_of(&[("bin/busybox", b"#!busybox")]);
    let config = br#"{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_name = format!("{}.json", sha256_hex(config));
    let manifest = format!(
        r#"[{{"Config":"{config_name}","RepoTags":["busybox:latest","localhost:5000/bb:1"],"Layers":["l1/layer.tar"]}}]"#
    );
    tar_of(&[
        ("l1/layer.tar", &layer),
        (&config_name, config),
        ("manifest.json", manifest.as_bytes()),
    ])
}

#[test]
fn import_list_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("busybox.tar");
    std::fs::write(&archive, docker_save()).unwrap();
    let data = dir.path().join("data");

    let out = orch(&data, &["import", archive.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "imported busybox:latest\nimported localhost:5000/bb:1\n"
    );
    assert!(data.join("agent/image-store/images.json").is_file());

    let out = orch(&data, &["ls"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["IMAGE", "TAG", "IMAGE", "ID", "SIZE"], "{text}");
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(&rows[1][..2], ["busybox", "latest"], "{text}");
    assert_eq!(&rows[2][..2], ["localhost:5000/bb", "1"], "{text}");
    assert_eq!(rows[1][2].len(), 13, "{text}");
    assert_eq!(rows[1][2], rows[2][2], "one image, two names: {text}");

    let out = orch(&data, &["rm", "busybox"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "deleted busybox:latest\n"
    );
    let out = orch(&data, &["ls"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);

    // Removing a name that is not there, or importing something that is no image, fails
    // clearly and changes nothing.
    let out = orch(&data, &["rm", "busybox"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("image busybox:latest not found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, tar_of(&[("README", b"hello")])).unwrap();
    let out = orch(&data, &["import", junk.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot import") && err.contains("not an image archive"),
        "{err}"
    );
    let out = orch(&data, &["ls"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
}

fn orch_with(
    data_dir: &std::path::Path,
    registries: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    Command::new(ORCH)
        .arg("images")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--registries-config")
        .arg(registries)
        .args(args)
        .env_remove("ORCH_DATA_DIR")
        .output()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Blob files in a node's content store, and leftovers of unfinished writes.
fn store_files(data: &std::path::Path) -> (Vec<String>, usize) {
    let content = data.join("agent/image-store/content");
    let names = |d: std::path::PathBuf| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    (
        names(content.join("blobs/sha256")),
        names(content.join("ingest")).len(),
    )
}

#[test]
fn pull_from_a_local_registry_by_tag_and_digest_then_prune() {
    use crate::common::registry::{Registry, busybox_layout};
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let built = busybox_layout(&layout, "1", &["sh"]);
    let registry = Registry::start(None);
    registry.push(&layout, "1", "tools/busybox:1");
    let data = dir.path().join("data");
    let none = dir.path().join("registries.yaml");
    let image = format!("{}/tools/busybox:1", registry.addr);

    let out = orch_with(&data, &none, &["pull", &image]);
    assert!(out.status.success(), "{}\n{}", stderr(&out), registry.log());
    assert!(
        stdout(&out).starts_with(&format!("pulled {image} ({}, ", built.manifest)),
        "{}",
        stdout(&out)
    );
    // Unpacked at once, as the kubelet's pulls are.
    assert!(
        stdout(&out).contains("\nunpacked 1 layer in "),
        "{}",
        stdout(&out)
    );
    let layers = orch::runtime::images::store_dir(&data).join("layers");
    assert_eq!(
        std::fs::read_dir(&layers).unwrap().count(),
        1,
        "one unpacked layer"
    );
    // Not a terminal: one line per blob.
    assert!(stderr(&out).contains("pull complete"), "{}", stderr(&out));
    let (blobs, partial) = store_files(&data);
    assert_eq!(blobs.len(), 3, "manifest, config, layer: {blobs:?}");
    assert_eq!(partial, 0);

    let out = orch_with(&data, &none, &["ls"]);
    let text = stdout(&out);
    let row: Vec<&str> = text.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(
        row[..3],
        [
            &format!("{}/tools/busybox", registry.addr),
            "1",
            &built.config[7..20]
        ],
        "{text}"
    );

    // Pulling again downloads nothing; by digest it resolves to the same manifest.
    let out = orch_with(&data, &none, &["pull", &image]);
    assert!(
        stdout(&out).contains(", 0B downloaded)"),
        "{}",
        stdout(&out)
    );
    let by_digest = format!("{}/tools/busybox@{}", registry.addr, built.manifest);
    let out = orch_with(&data, &none, &["pull", &by_digest]);
    assert!(out.status.success(), "{}", stderr(&out));

    // An image the registry does not have.
    let missing = format!("{}/tools/nope:1", registry.addr);
    let out = orch_with(&data, &none, &["pull", &missing]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("failed to resolve reference \"{missing}\""))
            && stderr(&out).contains("not found"),
        "{}",
        stderr(&out)
    );

    // Removing both names, then pruning, empties the store.
    assert!(
        orch_with(&data, &none, &["rm", &image, &by_digest])
            .status
            .success()
    );
    let out = orch_with(&data, &none, &["prune"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("deleted 3 blobs"),
        "{}",
        stdout(&out)
    );
    assert_eq!(store_files(&data).0.len(), 0);
}

#[test]
fn pull_with_basic_auth_from_registries_yaml_or_flag() {
    use crate::common::registry::{Registry, busybox_layout};
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    busybox_layout(&layout, "1", &["sh"]);
    let registry = Registry::start(Some(("puller", "s3cret")));
    registry.push(&layout, "1", "private/busybox:1");
    let data = dir.path().join("data");
    let image = format!("{}/private/busybox:1", registry.addr);

    let none = dir.path().join("none.yaml");
    let out = orch_with(&data, &none, &["pull", &image]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("pull access denied") && stderr(&out).contains("none is configured"),
        "{}",
        stderr(&out)
    );
    let out = orch_with(&data, &none, &["pull", "--creds", "puller:wrong", &image]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("pull access denied"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        store_files(&data),
        (vec![], 0),
        "a refused pull stores nothing"
    );

    let yaml = crate::common::write(
        dir.path(),
        "registries.yaml",
        &format!(
            "configs:\n  \"{}\":\n    auth:\n      username: puller\n      password: s3cret\n",
            registry.addr
        ),
    );
    let out = orch_with(&data, &yaml, &["pull", &image]);
    assert!(out.status.success(), "{}", stderr(&out));
    let other = dir.path().join("data2");
    let out = orch_with(&other, &none, &["pull", "--creds", "puller:s3cret", &image]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_mirror_serves_docker_hub_names() {
    use crate::common::registry::{Registry, busybox_layout};
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let built = busybox_layout(&layout, "1", &["sh"]);
    let registry = Registry::start(None);
    registry.push(&layout, "1", "library/busybox:1.36");
    let yaml = crate::common::write(
        dir.path(),
        "registries.yaml",
        &format!(
            "mirrors:\n  docker.io:\n    endpoint:\n      - \"http://{}\"\n",
            registry.addr
        ),
    );
    let data = dir.path().join("data");
    let out = orch_with(&data, &yaml, &["pull", "busybox:1.36"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with(&format!("pulled busybox:1.36 ({}", built.manifest)),
        "{}",
        stdout(&out)
    );
    let out = orch_with(&data, &yaml, &["ls"]);
    assert!(
        stdout(&out).lines().nth(1).unwrap().starts_with("busybox "),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_tampered_blob_is_refused_and_leaves_nothing() {
    use crate::common::registry::{Registry, busybox_layout};
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let built = busybox_layout(&layout, "1", &["sh"]);
    let registry = Registry::start(None);
    registry.push(&layout, "1", "tools/busybox:1");
    // Flip one byte of the layer as the registry stores it.
    let file = registry.blob_file(&built.layer);
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();

    let data = dir.path().join("data");
    let none = dir.path().join("none.yaml");
    let image = format!("{}/tools/busybox:1", registry.addr);
    let out = orch_with(&data, &none, &["pull", &image]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("has digest sha256:")
            && stderr(&out).contains(&format!("not the {} asked for", built.layer)),
        "{}",
        stderr(&out)
    );
    let (blobs, partial) = store_files(&data);
    assert!(!blobs.contains(&built.layer[7..].to_owned()), "{blobs:?}");
    assert_eq!(partial, 0);
    let out = orch_with(&data, &none, &["ls"]);
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "nothing named: {}",
        stdout(&out)
    );
}

#[test]
fn import_archives_skopeo_wrote_in_both_formats() {
    use crate::common::registry::busybox_layout;
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let built = busybox_layout(&layout, "1", &["sh"]);
    let docker = dir.path().join("docker.tar");
    let oci = dir.path().join("oci.tar");
    for dest in [
        format!(
            "docker-archive:{}:example.com/bb/docker:1",
            docker.display()
        ),
        format!("oci-archive:{}:example.com/bb/oci:1", oci.display()),
    ] {
        let out = Command::new("skopeo")
            .args(["copy", "--quiet"])
            .arg(format!("oci:{}:1", layout.display()))
            .arg(&dest)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let data = dir.path().join("data");
    let out = orch(
        &data,
        &["import", docker.to_str().unwrap(), oci.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "imported example.com/bb/docker:1\nimported example.com/bb/oci:1\n"
    );
    let out = orch(&data, &["ls"]);
    let text = stdout(&out);
    let ids: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    // skopeo keeps the config as it is in both formats: one image ID.
    assert_eq!(ids, [&built.config[7..20], &built.config[7..20]], "{text}");
}

#[test]
fn pull_with_bearer_tokens_from_a_token_service() {
    use crate::common::registry::{Registry, TokenService, busybox_layout};
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let built = busybox_layout(&layout, "1", &["sh"]);
    let tokens = TokenService::start(dir.path(), "puller", "s3cret");
    let registry = Registry::start_token(&tokens, "puller", "s3cret");
    registry.push(&layout, "1", "private/busybox:1");
    let data = dir.path().join("data");
    let none = dir.path().join("none.yaml");
    let image = format!("{}/private/busybox:1", registry.addr);

    // Without credentials the token service refuses: a clear error, nothing stored.
    let refused = tokens.refused.load(Ordering::Relaxed);
    let out = orch_with(&data, &none, &["pull", &image]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("pull access denied") && stderr(&out).contains("401"),
        "{}",
        stderr(&out)
    );
    assert!(tokens.refused.load(Ordering::Relaxed) > refused);
    assert_eq!(store_files(&data), (vec![], 0));

    let issued = tokens.issued.load(Ordering::Relaxed);
    let out = orch_with(&data, &none, &["pull", "--creds", "puller:s3cret", &image]);
    assert!(out.status.success(), "{}\n{}", stderr(&out), registry.log());
    assert!(stdout(&out).contains(&built.manifest), "{}", stdout(&out));
    // One token for the repository, reused for every blob.
    assert_eq!(tokens.issued.load(Ordering::Relaxed), issued + 1);
}

#[test]
fn the_server_imports_airgap_archives_at_start() {
    use crate::common::registry::busybox_layout;
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let built = busybox_layout(&layout, "1", &["sh"]);
    let server = crate::common::TestServer::start_prepared(
        |data| {
            let airgap = data.join("agent/images");
            std::fs::create_dir_all(&airgap).unwrap();
            let out = Command::new("skopeo")
                .args(["copy", "--quiet"])
                .arg(format!("oci:{}:1", layout.display()))
                .arg(format!(
                    "docker-archive:{}:airgap/busybox:1",
                    airgap.join("busybox.tar").display()
                ))
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        },
        &[],
    );
    let found = crate::common::eventually(std::time::Duration::from_secs(20), || {
        let out = orch(&server.data_dir(), &["ls"]);
        stdout(&out)
            .contains("airgap/busybox")
            .then(|| stdout(&out))
    })
    .unwrap_or_else(|| panic!("not imported:\n{}", server.log()));
    assert!(found.contains(&built.config[7..20]), "{found}");
    assert!(
        server.log().contains("imported airgap images"),
        "{}",
        server.log()
    );
}

/// A registry that breaks off the layer download halfway once: the pull resumes it with a
/// `Range` request and still verifies the whole blob.
#[test]
fn a_broken_download_is_resumed_where_it_stopped() {
    use crate::common::registry::busybox_layout;
    use std::io::{BufRead, BufReader, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let built = busybox_layout(&layout, "1", &["sh"]);
    let blob = |d: &str| std::fs::read(layout.join("blobs/sha256").join(&d[7..])).unwrap();
    let (manifest, config, layer) = (
        blob(&built.manifest),
        blob(&built.config),
        blob(&built.layer),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let ranges = Arc::new(AtomicUsize::new(0));
    let broken = Arc::new(AtomicUsize::new(0));
    {
        let (ranges, broken, built) = (
            ranges.clone(),
            broken.clone(),
            (built.config.clone(), built.layer.clone()),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line.split(' ').nth(1).unwrap_or("").to_owned();
                let mut range: Option<usize> = None;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("range: bytes=") {
                        range = v.trim().trim_end_matches('-').parse().ok();
                    }
                }
                let (ctype, body): (&str, &[u8]) = if path.ends_with("/manifests/1") {
                    ("application/vnd.oci.image.manifest.v1+json", &manifest)
                } else if path.ends_with(&built.0) {
                    ("application/octet-stream", &config)
                } else if path.ends_with(&built.1) {
                    ("application/octet-stream", &layer)
                } else {
                    let _ = stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    continue;
                };
                if let Some(from) = range {
                    ranges.fetch_add(1, Ordering::Relaxed);
                    let rest = &body[from..];
                    let _ = stream.write_all(format!(
                        "HTTP/1.1 206 Partial Content\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\nConnection: close\r\n\r\n",
                        rest.len(), body.len() - 1, body.len()).as_bytes());
                    let _ = stream.write_all(rest);
                    continue;
                }
                let _ = stream.write_all(format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()).as_bytes());
                if body.len() == layer.len() && broken.fetch_add(1, Ordering::Relaxed) == 0 {
                    // Half the layer, then the connection drops.
                    let _ = stream.write_all(&body[..body.len() / 2]);
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                    continue;
                }
                let _ = stream.write_all(body);
            }
        });
    }
    let data = dir.path().join("data");
    let none = dir.path().join("none.yaml");
    let image = format!("{addr}/flaky/busybox:1");
    let out = orch_with(&data, &none, &["pull", &image]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("resuming at"), "{}", stderr(&out));
    assert_eq!(
        ranges.load(Ordering::Relaxed),
        1,
        "one Range request resumed the layer"
    );
    assert!(stdout(&out).contains(&built.manifest), "{}", stdout(&out));
    let (blobs, partial) = store_files(&data);
    assert!(blobs.contains(&built.layer[7..].to_owned()), "{blobs:?}");
    assert_eq!(partial, 0);
}
