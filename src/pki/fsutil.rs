//! Small filesystem helpers: private directories, atomic writes with exact modes.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::PkiError;

/// Mode of private keys and the token file.
pub(crate) const KEY_MODE: u32 = 0o600;
/// Mode of certificates.
pub(crate) const CERT_MODE: u32 = 0o644;
/// Mode of the PKI directory.
pub(crate) const DIR_MODE: u32 = 0o700;

fn io_err(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + use<> {
    let path = path.to_path_buf();
    move |source| PkiError::Io { op, path, source }
}

/// Creates `dir` (and missing parents) and makes `dir` itself mode 0700, tightening an
/// existing directory if needed. Parents created here also get 0700.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), PkiError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(io_err("create directory", dir))?;
    let meta = fs::metadata(dir).map_err(io_err("stat", dir))?;
    if meta.permissions().mode() & 0o7777 != DIR_MODE {
        fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
            .map_err(io_err("chmod", dir))?;
    }
    Ok(())
}

/// Reads a file, mapping "not found" to `None`.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, PkiError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("read", path)(e)),
    }
}

/// Whether `path` exists (a dangling symlink counts as existing).
pub(crate) fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Writes `data` to `path` atomically with exactly `mode` (umask does not apply).
///
/// The data goes to a temporary file in the same directory, created with `mode` from the start
/// (so a key is never readable by others, not even briefly), fsynced, renamed over `path`, and
/// the directory is fsynced. Readers see either the old or the new content, never a mix, and a
/// crash never leaves a truncated file under `path`.
pub(crate) fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), PkiError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| PkiError::Io {
            op: "write",
            path: path.to_path_buf(),
            source: std::io::Error::new(ErrorKind::InvalidInput, "path has no file name"),
        })?
        .to_string_lossy();
    let nonce = getrandom::u32().map_err(|e| PkiError::Random(e.to_string()))?;
    let tmp = dir.join(format!(
        ".{file_name}.tmp-{}-{nonce:08x}",
        std::process::id()
    ));

    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .map_err(io_err("create", &tmp))?;
        // The umask may have cleared bits of `mode`; make the mode exact before the data lands.
        file.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(io_err("chmod", &tmp))?;
        file.write_all(data).map_err(io_err("write", &tmp))?;
        file.sync_all().map_err(io_err("fsync", &tmp))?;
        drop(file);
        fs::rename(&tmp, path).map_err(io_err("rename into place", path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Make the rename durable. A failure here does not undo the write, so only log it.
    match File::open(dir).and_then(|d| d.sync_all()) {
        Ok(()) => {}
        Err(e) => tracing::debug!(dir = %dir.display(), error = %e, "fsync directory failed"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_sets_exact_mode_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, b"one", 0o600).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        write_atomic(&path, b"two", 0o644).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f")]);
    }

    #[test]
    fn ensure_private_dir_tightens_mode() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        fs::create_dir_all(&sub).unwrap();
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&sub).unwrap();
        assert_eq!(
            fs::metadata(&sub).unwrap().permissions().mode() & 0o7777,
            0o700
        );
    }
}
