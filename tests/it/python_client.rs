//! The official Python `kubernetes` client (PyPI, in a virtualenv) against a real `orch server`.

use std::path::PathBuf;
use std::process::Command;

use crate::common::{TestServer, repo_path};

/// The Python client release the test pins.
const CLIENT: &str = "kubernetes==37.0.2";

/// A virtualenv with the client, under `target/` (made on first use; `.ci/run` prepares it).
fn venv() -> PathBuf {
    let dir = std::env::var_os("ORCH_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_path("target/python-venv"));
    let python = dir.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import kubernetes"])
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        let lock = std::fs::File::create(repo_path("target/python-venv.lock")).unwrap();
        lock.lock().unwrap();
        let status = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "python3 -m venv failed");
        let status = Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", CLIENT])
            .status()
            .unwrap();
        assert!(status.success(), "pip install {CLIENT} failed");
    }
    python
}

#[test]
fn python_client_crud_and_watch() {
    let python = venv();
    let server = TestServer::start();
    let out = Command::new(python)
        .arg(repo_path("tests/python/client_test.py"))
        .arg(&server.kubeconfig)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python client test failed:\n{stdout}\n{stderr}\nserver log:\n{}",
        server.log()
    );
    assert!(stdout.contains("python client: OK"));
}
