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
