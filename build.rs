//! Compiles the upstream Kubernetes `generated.proto` files into a protobuf descriptor set, written
//! to `$OUT_DIR/k8s.desc` and embedded by `src/api/protobuf.rs` to decode
//! `application/vnd.kubernetes.protobuf` request bodies.
//!
//! The `.proto` files come from the `k8s-rs-pb` package (a build-dependency with default features
//! off, so none of its generated Rust is compiled). Cargo does not tell a build script where a
//! dependency's sources are, so we ask `cargo metadata`: it answers with the package's manifest
//! path wherever the package lives (registry cache, vendored directory, git checkout) and works
//! offline. Only if that fails do we look in `$CARGO_HOME/registry/src`.
//! `ORCH_K8S_PROTO_DIR` overrides both (a directory laid out like `k8s-rs-pb/src/v1_33`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The package shipping the upstream `.proto` files, and the Kubernetes minor we serve.
const PROTO_PACKAGE: &str = "k8s-rs-pb";
const PROTO_SUBDIR: &str = "src/v1_33";
/// Schemas we never decode: apimachinery's test group and the metrics APIs (read-only).
const SKIPPED_DIRS: &[&str] = &["apimachinery/pkg/apis/testapigroup", "metrics"];
/// Only stable API versions are served, so alpha and beta schemas would only cost binary size
/// and start-up time (the descriptor pool is decoded once per process).
const SKIPPED_VERSION_MARKERS: &[&str] = &["alpha", "beta"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=ORCH_K8S_PROTO_DIR");

    let root = match env::var_os("ORCH_K8S_PROTO_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => proto_root().unwrap_or_else(|why| {
            panic!("cannot find the .proto files of the {PROTO_PACKAGE} package: {why}")
        }),
    };
    let mut files = Vec::new();
    collect_protos(&root, &root, &mut files)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()));
    files.sort();
    assert!(
        !files.is_empty(),
        "no generated.proto under {}",
        root.display()
    );

    let mut compiler = protox::Compiler::new([&root])
        .unwrap_or_else(|e| panic!("cannot set up protox for {}: {e}", root.display()));
    // No comments or source spans: the descriptor is embedded in the binary.
    compiler.include_source_info(false).include_imports(true);
    compiler
        .open_files(&files)
        .unwrap_or_else(|e| panic!("cannot compile the Kubernetes .proto files: {e:?}"));
    let encoded = compiler.encode_file_descriptor_set();

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("k8s.desc");
    fs::write(&out, encoded).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

/// `generated.proto` files under `dir`, as paths relative to `root` (protox resolves imports
/// such as `apimachinery/pkg/apis/meta/v1/generated.proto` against `root`).
fn collect_protos(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let rel = path.strip_prefix(root).expect("walked below root");
        let unstable = rel
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| SKIPPED_VERSION_MARKERS.iter().any(|m| n.contains(m)));
        if unstable || SKIPPED_DIRS.iter().any(|s| rel.starts_with(s)) {
            continue;
        }
        if path.is_dir() {
            collect_protos(root, &path, out)?;
        } else if path.file_name().is_some_and(|n| n == "generated.proto") {
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}

fn proto_root() -> Result<PathBuf, String> {
    let from_metadata = package_dir_from_metadata();
    let dir = match from_metadata {
        Ok(dir) => dir,
        Err(metadata_error) => {
            let dir = package_dir_from_cargo_home()
                .ok_or_else(|| format!("{metadata_error}; and none in $CARGO_HOME/registry/src"))?;
            println!("cargo:warning=using {} ({metadata_error})", dir.display());
            dir
        }
    };
    let root = dir.join(PROTO_SUBDIR);
    if root.is_dir() {
        Ok(root)
    } else {
        Err(format!("{} is not a directory", root.display()))
    }
}

/// Asks `cargo metadata` (offline: every package this host needs is already downloaded when a
/// build script runs) for the directory of the `k8s-rs-pb` package this build resolved.
fn package_dir_from_metadata() -> Result<PathBuf, String> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?)
        .join("Cargo.toml");
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        // Build-dependencies are built for the host; without a platform filter cargo would want
        // the packages of every platform, which an offline checkout need not have.
        .arg("--filter-platform")
        .arg(env::var_os("HOST").ok_or("no HOST")?)
        .arg("--manifest-path")
        .arg(&manifest)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cannot parse cargo metadata output: {e}"))?;
    let packages = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata output has no packages")?;
    packages
        .iter()
        .filter(|p| p["name"] == PROTO_PACKAGE)
        .filter_map(|p| p["manifest_path"].as_str())
        .filter_map(|m| Path::new(m).parent().map(Path::to_path_buf))
        .find(|dir| dir.join(PROTO_SUBDIR).is_dir())
        .ok_or_else(|| format!("cargo metadata lists no {PROTO_PACKAGE} with {PROTO_SUBDIR}"))
}

/// Fallback: the newest `k8s-rs-pb-*` unpacked in any registry under `$CARGO_HOME`.
fn package_dir_from_cargo_home() -> Option<PathBuf> {
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let prefix = format!("{PROTO_PACKAGE}-");
    let mut candidates = Vec::new();
    for registry in fs::read_dir(home.join("registry/src")).ok()?.flatten() {
        for package in fs::read_dir(registry.path()).ok()?.flatten() {
            let name = package.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) && package.path().join(PROTO_SUBDIR).is_dir() {
                candidates.push(package.path());
            }
        }
    }
    candidates.sort();
    candidates.pop()
}
