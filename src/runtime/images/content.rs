//! The content store: blobs (layers, configs, manifests, indexes) by digest, under
//! `<root>/blobs/sha256/<hex>`.
//!
//! Invariant: a blob file exists only with its whole, verified content. Writes go to
//! `<root>/ingest/` first, are hashed while written, fsynced, and renamed into place only when
//! the digest matches; a crash leaves at most a file in `ingest/`, which opening the store
//! clears.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::digest::Digest;

#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("{what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("digest mismatch: expected {expected}, content has {actual}")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error("blob {0} not found")]
    NotFound(Digest),
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> ContentError + 'a {
    move |source| ContentError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

#[derive(Clone, Debug)]
pub struct ContentStore {
    root: PathBuf,
}

impl ContentStore {
    /// Opens (creating) the store at `root` and removes unfinished writes that no process is
    /// still making (each in-progress write holds a lock on its file: the agent and an
    /// `orch images` command may share a store).
    pub fn open(root: impl Into<PathBuf>) -> Result<ContentStore, ContentError> {
        let store = ContentStore { root: root.into() };
        let blobs = store.root.join("blobs").join("sha256");
        fs::create_dir_all(&blobs).map_err(io_err("cannot create", &blobs))?;
        let ingest = store.ingest_dir();
        fs::create_dir_all(&ingest).map_err(io_err("cannot create", &ingest))?;
        for entry in fs::read_dir(&ingest).map_err(io_err("cannot list", &ingest))? {
            let path = entry.map_err(io_err("cannot list", &ingest))?.path();
            let Ok(file) = File::open(&path) else {
                continue;
            };
            if try_lock(&file) {
                let _ = fs::remove_file(&path);
            }
        }
        Ok(store)
    }

    fn ingest_dir(&self) -> PathBuf {
        self.root.join("ingest")
    }

    /// Where the blob lives (whether or not it is there).
    pub fn path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs").join("sha256").join(digest.hex())
    }

    pub fn contains(&self, digest: &Digest) -> bool {
        self.path(digest).is_file()
    }

    /// Stores `data`, returning its digest.
    pub fn put(&self, data: &[u8]) -> Result<Digest, ContentError> {
        let digest = Digest::of(data);
        self.write(&digest, data)?;
        Ok(digest)
    }

    /// Stores the content read from `reader`, which must have digest `expected`; returns the
    /// number of bytes. Nothing is stored when the content does not match.
    pub fn write(&self, expected: &Digest, mut reader: impl Read) -> Result<u64, ContentError> {
        let final_path = self.path(expected);
        if final_path.is_file() {
            // Already there: still consume and check what we were given.
            let (n, actual) =
                hash_reader(&mut reader).map_err(io_err("cannot read", &final_path))?;
            return check(expected, actual).map(|()| n);
        }
        let mut writer = self.writer()?;
        writer.copy_from(reader)?;
        let total = writer.written();
        writer.commit(Some(expected))?;
        Ok(total)
    }

    /// Stores the content read from `reader`, whatever it is; returns its digest and size.
    pub fn write_any(&self, reader: impl Read) -> Result<(Digest, u64), ContentError> {
        let mut writer = self.writer()?;
        writer.copy_from(reader)?;
        let total = writer.written();
        let digest = writer.commit(None)?;
        Ok((digest, total))
    }

    /// A new write, in a locked file under `ingest/`: fed piece by piece, then committed (or
    /// dropped, which removes it).
    pub fn writer(&self) -> Result<Writer, ContentError> {
        let tmp = self
            .ingest_dir()
            .join(uuid::Uuid::new_v4().simple().to_string());
        let file = File::create(&tmp).map_err(io_err("cannot create", &tmp))?;
        // A new file nobody else has opened: the lock cannot be contended.
        try_lock(&file);
        Ok(Writer {
            root: self.root.clone(),
            tmp,
            file: Some(file),
            hasher: Sha256::new(),
            written: 0,
        })
    }

    /// The whole blob, verified against its digest (a blob changed on disk is an error).
    pub fn read(&self, digest: &Digest) -> Result<Vec<u8>, ContentError> {
        let path = self.path(digest);
        let data = match fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(ContentError::NotFound(digest.clone()));
            }
            Err(e) => return Err(io_err("cannot read", &path)(e)),
        };
        check(digest, Digest::of(&data))?;
        Ok(data)
    }

    /// Opens the blob for streaming (callers that need it verified hash while reading).
    pub fn open_blob(&self, digest: &Digest) -> Result<File, ContentError> {
        let path = self.path(digest);
        File::open(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ContentError::NotFound(digest.clone()),
            _ => io_err("cannot open", &path)(e),
        })
    }

    /// Removes a blob; removing a missing one is fine.
    pub fn remove(&self, digest: &Digest) -> Result<(), ContentError> {
        let path = self.path(digest);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_err("cannot remove", &path)(e)),
            _ => Ok(()),
        }
    }

    /// Every stored blob.
    pub fn list(&self) -> Result<Vec<Digest>, ContentError> {
        let dir = self.root.join("blobs").join("sha256");
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err("cannot list", &dir))? {
            let entry = entry.map_err(io_err("cannot list", &dir))?;
            if let Some(d) = entry
                .file_name()
                .to_str()
                .and_then(|n| format!("sha256:{n}").parse().ok())
            {
                out.push(d);
            }
        }
        out.sort();
        Ok(out)
    }
}

/// An unfinished blob (see [`ContentStore::writer`]).
#[derive(Debug)]
pub struct Writer {
    root: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
    hasher: Sha256,
    written: u64,
}

impl Writer {
    pub fn write(&mut self, data: &[u8]) -> Result<(), ContentError> {
        let file = self.file.as_mut().expect("not committed");
        file.write_all(data)
            .map_err(io_err("cannot write", &self.tmp))?;
        self.hasher.update(data);
        self.written += data.len() as u64;
        Ok(())
    }

    fn copy_from(&mut self, mut reader: impl Read) -> Result<(), ContentError> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err("cannot read the content for", &self.tmp)(e)),
            };
            self.write(&buf[..n])?;
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Starts over (a download whose resumption the server refused).
    pub fn reset(&mut self) -> Result<(), ContentError> {
        let file = self.file.as_mut().expect("not committed");
        file.set_len(0)
            .and_then(|()| io::Seek::rewind(file))
            .map_err(io_err("cannot truncate", &self.tmp))?;
        self.hasher = Sha256::new();
        self.written = 0;
        Ok(())
    }

    /// Makes the blob durable and visible under its digest, which must be `expected` when
    /// given. On a mismatch nothing is stored.
    pub fn commit(mut self, expected: Option<&Digest>) -> Result<Digest, ContentError> {
        let actual = Digest::from_hasher(std::mem::take(&mut self.hasher));
        if let Some(expected) = expected {
            check(expected, actual.clone())?;
        }
        let file = self.file.take().expect("not committed");
        file.sync_all().map_err(io_err("cannot sync", &self.tmp))?;
        let final_path = self.root.join("blobs").join("sha256").join(actual.hex());
        if !final_path.is_file() {
            fs::rename(&self.tmp, &final_path)
                .map_err(io_err("cannot move into place", &final_path))?;
            sync_dir(final_path.parent().expect("blob dir"))?;
        }
        Ok(actual)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Committed: renamed away (or a duplicate); otherwise abandoned. Either way the
        // ingest file goes.
        let _ = fs::remove_file(&self.tmp);
    }
}

/// Takes an exclusive lock on `file` without waiting; held until the file is closed.
fn try_lock(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: an open descriptor for the duration of the call.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

fn check(expected: &Digest, actual: Digest) -> Result<(), ContentError> {
    if *expected == actual {
        Ok(())
    } else {
        Err(ContentError::DigestMismatch {
            expected: expected.clone(),
            actual,
        })
    }
}

fn hash_reader(reader: &mut impl Read) -> io::Result<(u64, Digest)> {
    let mut hasher = Sha256::new();
    let n = io::copy(reader, &mut HashWriter(&mut hasher))?;
    Ok((n, Digest::from_hasher(hasher)))
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn sync_dir(dir: &Path) -> Result<(), ContentError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("cannot sync", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_verified_content_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(dir.path()).unwrap();
        let d = store.put(b"hello").unwrap();
        assert!(store.contains(&d));
        assert_eq!(store.read(&d).unwrap(), b"hello");
        assert_eq!(store.list().unwrap(), vec![d.clone()]);

        // A tampered stream is refused and leaves nothing behind.
        let expected = Digest::of(b"good content");
        let err = store.write(&expected, &b"evil content"[..]).unwrap_err();
        assert!(
            matches!(err, ContentError::DigestMismatch { ref actual, .. } if *actual == Digest::of(b"evil content")),
            "{err}"
        );
        assert!(!store.contains(&expected));
        assert_eq!(fs::read_dir(store.ingest_dir()).unwrap().count(), 0);
        assert_eq!(store.list().unwrap(), vec![d.clone()]);

        // Content of unknown digest.
        let (any, n) = store.write_any(&b"anything"[..]).unwrap();
        assert_eq!((any.clone(), n), (Digest::of(b"anything"), 8));
        assert_eq!(store.read(&any).unwrap(), b"anything");
        assert_eq!(store.write_any(&b"anything"[..]).unwrap().0, any);
        store.remove(&any).unwrap();
        assert_eq!(fs::read_dir(store.ingest_dir()).unwrap().count(), 0);

        // Writing what is already there is checked too.
        assert!(store.write(&d, &b"other"[..]).is_err());
        assert_eq!(store.write(&d, &b"hello"[..]).unwrap(), 5);

        // A blob changed on disk is detected on read.
        fs::write(store.path(&d), b"HELLO").unwrap();
        assert!(matches!(
            store.read(&d),
            Err(ContentError::DigestMismatch { .. })
        ));
        store.remove(&d).unwrap();
        assert!(matches!(store.read(&d), Err(ContentError::NotFound(_))));
        store.remove(&d).unwrap();
    }

    #[test]
    fn opening_clears_unfinished_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(dir.path()).unwrap();
        fs::write(store.ingest_dir().join("partial"), b"half").unwrap();
        // A write in progress (another process's, say) is left alone.
        let mut busy = store.writer().unwrap();
        busy.write(b"in progress").unwrap();
        let store = ContentStore::open(dir.path()).unwrap();
        assert_eq!(fs::read_dir(store.ingest_dir()).unwrap().count(), 1);
        let d = busy.commit(None).unwrap();
        assert_eq!(store.read(&d).unwrap(), b"in progress");
        assert_eq!(fs::read_dir(store.ingest_dir()).unwrap().count(), 0);
    }
}
