//! Unpacking an image layer (a tar stream, plain, gzip or zstd) into a directory that overlayfs
//! stacks as a lower layer.
//!
//! OCI whiteouts become overlayfs ones: `.wh.<name>` a 0:0 character device `<name>`,
//! `.wh..wh..opq` the `trusted.overlay.opaque=y` attribute on its directory. Ownership, modes,
//! modification times, extended attributes (PAX `SCHILY.xattr.*`), symlinks, hard links and
//! device nodes are kept.
//!
//! Invariant: nothing is written outside the destination. Entry paths are made relative (a
//! leading `/` is dropped, as containerd does) and `..` is refused; a path whose parent in the
//! layer is a symlink is refused (writing through it could leave the root); hard links may
//! only point inside the layer.

use std::ffi::{CString, OsStr};
use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest as _, Sha256};
use tar::EntryType;

use super::digest::Digest;

#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("{what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("layer entry {path:?} points outside the layer ({why})")]
    Escapes { path: String, why: &'static str },
    #[error("layer entry {path:?}: a parent is not a directory")]
    NotADirectory { path: String },
    #[error("reading the layer archive")]
    Archive(#[source] io::Error),
    #[error("decompressing the layer (zstd)")]
    Zstd(#[source] ruzstd::decoding::errors::FrameDecoderError),
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> UnpackError + 'a {
    move |source| UnpackError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// How a layer blob is compressed, from its first bytes (media types are not always right).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn detect(prefix: &[u8]) -> Compression {
        if prefix.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// What an unpack did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unpacked {
    pub entries: u64,
    /// Bytes of regular-file content written.
    pub bytes: u64,
    /// The digest of the uncompressed tar stream: the layer's `DiffID`, which the image
    /// config lists and chain IDs are built from.
    pub diff_id: Digest,
}

/// Hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Unpacks the layer read from `reader` into `dest` (created if missing).
pub fn unpack_layer(reader: impl Read, dest: &Path) -> Result<Unpacked, UnpackError> {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let prefix = reader.fill_buf().map_err(UnpackError::Archive)?;
    match Compression::detect(prefix) {
        Compression::None => unpack_tar(reader, dest),
        Compression::Gzip => unpack_tar(flate2::bufread::MultiGzDecoder::new(reader), dest),
        Compression::Zstd => unpack_tar(ZstdFrames::new(reader)?, dest),
    }
}

/// A zstd stream of one or more frames.
pub(crate) struct ZstdFrames<R: BufRead> {
    current: Option<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>,
}

impl<R: BufRead> ZstdFrames<R> {
    pub(crate) fn new(source: R) -> Result<Self, UnpackError> {
        let decoder = ruzstd::decoding::StreamingDecoder::new(source).map_err(UnpackError::Zstd)?;
        Ok(ZstdFrames {
            current: Some(decoder),
        })
    }
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.current.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This frame is done: another may follow.
            let mut source = self.current.take().expect("checked").into_inner();
            if source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            let next = ruzstd::decoding::StreamingDecoder::new(source)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            self.current = Some(next);
        }
    }
}

fn unpack_tar(reader: impl Read, dest: &Path) -> Result<Unpacked, UnpackError> {
    fs::create_dir_all(dest).map_err(io_err("cannot create", dest))?;
    let mut archive = tar::Archive::new(Hashing {
        inner: reader,
        hasher: Sha256::new(),
    });
    let (entries, bytes) = unpack_entries(&mut archive, dest)?;
    // The archive's end (zero blocks, padding) is part of the DiffID.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(UnpackError::Archive)?;
    Ok(Unpacked {
        entries,
        bytes,
        diff_id: Digest::from_hasher(rest.hasher),
    })
}

fn unpack_entries<R: Read>(
    archive: &mut tar::Archive<R>,
    dest: &Path,
) -> Result<(u64, u64), UnpackError> {
    #[derive(Default)]
    struct Done {
        entries: u64,
        bytes: u64,
    }
    let mut done = Done::default();
    // Directory times are set last: creating their entries changes them.
    let mut dir_times: Vec<(PathBuf, u64)> = Vec::new();
    for entry in archive.entries().map_err(UnpackError::Archive)? {
        let mut entry = entry.map_err(UnpackError::Archive)?;
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let rel = relative(&raw).ok_or_else(|| UnpackError::Escapes {
            path: shown.clone(),
            why: "a `..` component",
        })?;
        done.entries += 1;
        let kind = entry.header().entry_type();
        if matches!(kind, EntryType::XGlobalHeader | EntryType::XHeader) {
            continue;
        }
        let xattrs = pax_xattrs(&mut entry)?;
        let header = entry.header().clone();
        // Whiteouts.
        if let Some(name) = rel.file_name().map(OsStr::as_bytes)
            && let Some(hidden) = name.strip_prefix(b".wh.")
        {
            let parent = rel.parent().unwrap_or(Path::new(""));
            let dir = prepare_parents(dest, &rel, &shown)?;
            if hidden == b".wh..opq" {
                set_xattr(&dir, "trusted.overlay.opaque", b"y")?;
            } else if !hidden.starts_with(b".wh.") {
                let target = dest.join(parent).join(OsStr::from_bytes(hidden));
                remove_existing(&target)?;
                mknod(&target, libc::S_IFCHR, 0)?;
            }
            continue;
        }
        if rel.as_os_str().is_empty() {
            // The layer's root (`./`): only its metadata.
            if kind == EntryType::Directory {
                apply_metadata(&header, &xattrs, dest, false)?;
                dir_times.push((dest.to_owned(), header.mtime().unwrap_or(0)));
            }
            continue;
        }
        prepare_parents(dest, &rel, &shown)?;
        let path = dest.join(&rel);
        match kind {
            EntryType::Directory => {
                let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
                if !is_dir {
                    remove_existing(&path)?;
                    fs::create_dir(&path).map_err(io_err("cannot create", &path))?;
                }
                apply_metadata(&header, &xattrs, &path, false)?;
                dir_times.push((path, header.mtime().unwrap_or(0)));
                continue;
            }
            EntryType::Regular | EntryType::Continuous => {
                remove_existing(&path)?;
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .custom_flags(libc::O_NOFOLLOW)
                    .mode(0o600)
                    .open(&path)
                    .map_err(io_err("cannot create", &path))?;
                done.bytes +=
                    io::copy(&mut entry, &mut file).map_err(io_err("cannot write", &path))?;
                drop(file);
                apply_metadata(&header, &xattrs, &path, false)?;
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                remove_existing(&path)?;
                std::os::unix::fs::symlink(OsStr::from_bytes(&target), &path)
                    .map_err(io_err("cannot create the symlink", &path))?;
                apply_metadata(&header, &xattrs, &path, true)?;
            }
            EntryType::Link => {
                let raw_target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let target_rel = relative(&raw_target).ok_or_else(|| UnpackError::Escapes {
                    path: shown.clone(),
                    why: "a hard link with a `..` component",
                })?;
                let shown_target = String::from_utf8_lossy(&raw_target).into_owned();
                prepare_parents(dest, &target_rel, &shown_target)?;
                let target = dest.join(&target_rel);
                if target_rel.as_os_str().is_empty()
                    || !fs::symlink_metadata(&target).is_ok_and(|m| !m.is_dir())
                {
                    return Err(UnpackError::Io {
                        what: "hard link to a missing file or a directory:",
                        path: target,
                        source: io::Error::from(io::ErrorKind::NotFound),
                    });
                }
                remove_existing(&path)?;
                fs::hard_link(&target, &path)
                    .map_err(io_err("cannot create the hard link", &path))?;
                // The same inode as its target: its metadata is the target's.
                continue;
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let major = header.device_major().ok().flatten().unwrap_or(0);
                let minor = header.device_minor().ok().flatten().unwrap_or(0);
                let file_type = match kind {
                    EntryType::Char => libc::S_IFCHR,
                    EntryType::Block => libc::S_IFBLK,
                    _ => libc::S_IFIFO,
                };
                remove_existing(&path)?;
                mknod(&path, file_type | 0o600, libc::makedev(major, minor))?;
                apply_metadata(&header, &xattrs, &path, false)?;
            }
            other => {
                tracing::debug!(path = %shown, kind = ?other, "skipping an unsupported layer entry");
                continue;
            }
        }
        set_mtime(&path, header.mtime().unwrap_or(0), true)?;
    }
    for (dir, mtime) in dir_times.iter().rev() {
        set_mtime(dir, *mtime, false)?;
    }
    Ok((done.entries, done.bytes))
}

/// The entry path as a relative path of normal components; `None` when it has `..`.
fn relative(raw: &[u8]) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in Path::new(OsStr::from_bytes(raw)).components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            Component::ParentDir => return None,
        }
    }
    Some(out)
}

/// Makes sure every parent of `rel` under `dest` is a real directory (creating missing ones);
/// returns the parent's path.
fn prepare_parents(dest: &Path, rel: &Path, shown: &str) -> Result<PathBuf, UnpackError> {
    let mut dir = dest.to_owned();
    let parent = rel.parent().unwrap_or(Path::new(""));
    for part in parent.components() {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(UnpackError::Escapes {
                    path: shown.to_owned(),
                    why: "a parent is a symlink",
                });
            }
            Ok(_) => {
                return Err(UnpackError::NotADirectory {
                    path: shown.to_owned(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&dir).map_err(io_err("cannot create", &dir))?;
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o755))
                    .map_err(io_err("cannot chmod", &dir))?;
            }
            Err(e) => return Err(io_err("cannot inspect", &dir)(e)),
        }
    }
    Ok(dir)
}

/// Removes what is at `path` (a later entry of a layer replaces an earlier one).
fn remove_existing(path: &Path) -> Result<(), UnpackError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).map_err(io_err("cannot replace", path)),
        Ok(_) => fs::remove_file(path).map_err(io_err("cannot replace", path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("cannot inspect", path)(e)),
    }
}

fn c_path(path: &Path) -> Result<CString, UnpackError> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| UnpackError::Io {
        what: "path with a NUL byte:",
        path: path.to_owned(),
        source: io::Error::from(io::ErrorKind::InvalidInput),
    })
}

fn mknod(path: &Path, mode: libc::mode_t, dev: libc::dev_t) -> Result<(), UnpackError> {
    let c = c_path(path)?;
    // SAFETY: a valid NUL-terminated path; mknod has no other memory effects.
    if unsafe { libc::mknod(c.as_ptr(), mode, dev) } != 0 {
        return Err(io_err("cannot create the device node", path)(
            io::Error::last_os_error(),
        ));
    }
    Ok(())
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) -> Result<(), UnpackError> {
    let c = c_path(path)?;
    let n = CString::new(name).expect("attribute names have no NUL");
    // SAFETY: valid NUL-terminated strings and a value slice of the given length.
    let rc = unsafe {
        libc::lsetxattr(
            c.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if rc != 0 {
        return Err(io_err("cannot set an extended attribute on", path)(
            io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// Owner, mode and extended attributes of an entry, in that order (chown clears set-id bits).
fn apply_metadata(
    header: &tar::Header,
    xattrs: &[(String, Vec<u8>)],
    path: &Path,
    symlink: bool,
) -> Result<(), UnpackError> {
    let uid = header.uid().unwrap_or(0) as libc::uid_t;
    let gid = header.gid().unwrap_or(0) as libc::gid_t;
    let c = c_path(path)?;
    // SAFETY: a valid NUL-terminated path.
    if unsafe { libc::lchown(c.as_ptr(), uid, gid) } != 0 {
        return Err(io_err("cannot chown", path)(io::Error::last_os_error()));
    }
    if !symlink {
        let mode = header.mode().unwrap_or(0o644) & 0o7777;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(io_err("cannot chmod", path))?;
    }
    for (name, value) in xattrs {
        if let Err(err) = set_xattr(path, name, value) {
            // `user.*` attributes cannot be set on symlinks; a file system may not support some.
            tracing::debug!(error = %err, attribute = %name, "extended attribute not kept");
        }
    }
    Ok(())
}

/// The `SCHILY.xattr.*` PAX records of an entry, as (name, value).
fn pax_xattrs<R: Read>(
    entry: &mut tar::Entry<'_, R>,
) -> Result<Vec<(String, Vec<u8>)>, UnpackError> {
    let mut out = Vec::new();
    if let Some(exts) = entry.pax_extensions().map_err(UnpackError::Archive)? {
        for ext in exts {
            let ext = ext.map_err(UnpackError::Archive)?;
            if let Ok(key) = ext.key()
                && let Some(name) = key.strip_prefix("SCHILY.xattr.")
            {
                out.push((name.to_owned(), ext.value_bytes().to_vec()));
            }
        }
    }
    Ok(out)
}

fn set_mtime(path: &Path, mtime: u64, nofollow: bool) -> Result<(), UnpackError> {
    let c = c_path(path)?;
    let t = libc::timespec {
        tv_sec: mtime as libc::time_t,
        tv_nsec: 0,
    };
    let times = [t, t];
    let flags = if nofollow {
        libc::AT_SYMLINK_NOFOLLOW
    } else {
        0
    };
    // SAFETY: a valid path and an array of two timespecs, as utimensat requires.
    if unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), flags) } != 0 {
        return Err(io_err("cannot set the times of", path)(
            io::Error::last_os_error(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};

    use super::*;

    /// An entry with any name (tar's builder refuses `..`), as a hostile layer would have it.
    fn raw(b: &mut tar::Builder<Vec<u8>>, name: &[u8], kind: EntryType, link: &[u8], data: &[u8]) {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }

    fn layer(f: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        f(&mut b);
        b.into_inner().unwrap()
    }

    fn file(b: &mut tar::Builder<Vec<u8>>, name: &str, mode: u32, data: &[u8]) {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(EntryType::Regular);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_uid(1000);
        h.set_gid(2000);
        h.set_mtime(1_600_000_000);
        b.append_data(&mut h, name, data).unwrap();
    }

    fn busybox_like() -> Vec<u8> {
        layer(|b| {
            raw(b, b"./", EntryType::Directory, b"", b"");
            raw(b, b"bin/", EntryType::Directory, b"", b"");
            file(b, "bin/busybox", 0o4755, b"#!busybox");
            raw(b, b"bin/sh", EntryType::Symlink, b"busybox", b"");
            raw(b, b"bin/ls", EntryType::Link, b"bin/busybox", b"");
            raw(b, b"dev/console", EntryType::Char, b"", b"");
            raw(b, b"run/fifo", EntryType::Fifo, b"", b"");
            b.append_pax_extensions([("SCHILY.xattr.user.note", &b"kept"[..])])
                .unwrap();
            file(b, "etc/motd", 0o644, b"hello\n");
        })
    }

    #[test]
    fn unpacks_files_links_devices_owners_modes_and_xattrs() {
        let dir = tempfile::tempdir().unwrap();
        let done = unpack_layer(&busybox_like()[..], dir.path()).unwrap();
        assert_eq!(done.bytes, 9 + 6);
        let bb = fs::metadata(dir.path().join("bin/busybox")).unwrap();
        assert_eq!(bb.mode() & 0o7777, 0o4755, "set-uid kept after chown");
        assert_eq!((bb.uid(), bb.gid()), (1000, 2000));
        assert_eq!(bb.mtime(), 1_600_000_000);
        assert_eq!(bb.nlink(), 2, "bin/ls is a hard link");
        assert_eq!(
            fs::read_link(dir.path().join("bin/sh")).unwrap(),
            Path::new("busybox")
        );
        let console = fs::symlink_metadata(dir.path().join("dev/console")).unwrap();
        assert!(console.file_type().is_char_device());
        assert!(
            fs::symlink_metadata(dir.path().join("run/fifo"))
                .unwrap()
                .file_type()
                .is_fifo()
        );
        assert_eq!(fs::read(dir.path().join("etc/motd")).unwrap(), b"hello\n");
        assert_eq!(
            xattr::get(dir.path().join("etc/motd"), "user.note").unwrap(),
            Some(b"kept".to_vec())
        );
        // Parents created on the way (etc/, dev/, run/) are plain 0755 directories.
        let etc = fs::metadata(dir.path().join("etc")).unwrap();
        assert!(etc.is_dir());
        assert_eq!(etc.mode() & 0o7777, 0o755);
    }

    #[test]
    fn compressed_layers_unpack_the_same() {
        let plain = busybox_like();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, &plain).unwrap();
        let gz = gz.finish().unwrap();
        let zst = ruzstd::encoding::compress_to_vec(
            &plain[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        // Two zstd frames back to back are one stream.
        let half = plain.len() / 2;
        let mut two = ruzstd::encoding::compress_to_vec(
            &plain[..half],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        two.extend(ruzstd::encoding::compress_to_vec(
            &plain[half..],
            ruzstd::encoding::CompressionLevel::Fastest,
        ));
        assert_eq!(Compression::detect(&gz), Compression::Gzip);
        assert_eq!(Compression::detect(&zst), Compression::Zstd);
        assert_eq!(Compression::detect(&plain), Compression::None);
        for (name, blob) in [("gzip", gz), ("zstd", zst), ("zstd, two frames", two)] {
            let dir = tempfile::tempdir().unwrap();
            let done =
                unpack_layer(&blob[..], dir.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                done.diff_id,
                Digest::of(&plain),
                "{name}: the DiffID is the tar's"
            );
            assert_eq!(
                fs::read(dir.path().join("bin/busybox")).unwrap(),
                b"#!busybox",
                "{name}"
            );
            assert!(
                fs::symlink_metadata(dir.path().join("dev/console")).is_ok(),
                "{name}"
            );
        }
    }

    #[test]
    fn whiteouts_become_overlayfs_whiteouts() {
        let blob = layer(|b| {
            raw(b, b"etc/.wh.passwd", EntryType::Regular, b"", b"");
            raw(b, b"var/cache/.wh..wh..opq", EntryType::Regular, b"", b"");
            file(b, "var/cache/new", 0o644, b"n");
        });
        let dir = tempfile::tempdir().unwrap();
        unpack_layer(&blob[..], dir.path()).unwrap();
        let wh = fs::symlink_metadata(dir.path().join("etc/passwd")).unwrap();
        assert!(wh.file_type().is_char_device());
        assert_eq!(wh.rdev(), 0);
        assert!(!dir.path().join("etc/.wh.passwd").exists());
        assert_eq!(
            xattr::get(dir.path().join("var/cache"), "trusted.overlay.opaque").unwrap(),
            Some(b"y".to_vec())
        );
        assert!(!dir.path().join("var/cache/.wh..wh..opq").exists());
        assert_eq!(fs::read(dir.path().join("var/cache/new")).unwrap(), b"n");
    }

    #[test]
    fn later_entries_replace_earlier_ones() {
        let blob = layer(|b| {
            file(b, "x", 0o644, b"file first");
            raw(b, b"x/", EntryType::Directory, b"", b"");
            file(b, "x/inside", 0o644, b"i");
            file(b, "y", 0o644, b"one");
            file(b, "y", 0o600, b"two");
        });
        let dir = tempfile::tempdir().unwrap();
        unpack_layer(&blob[..], dir.path()).unwrap();
        assert!(dir.path().join("x").is_dir());
        assert_eq!(fs::read(dir.path().join("y")).unwrap(), b"two");
        assert_eq!(
            fs::metadata(dir.path().join("y")).unwrap().mode() & 0o777,
            0o600
        );
    }

    /// A directory holding the destination and a bystander file that must survive.
    fn sandbox() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let top = tempfile::tempdir().unwrap();
        let dest = top.path().join("layer");
        let outside = top.path().join("outside");
        fs::create_dir(&dest).unwrap();
        fs::write(&outside, b"untouched").unwrap();
        (top, dest, outside)
    }

    #[test]
    fn refuses_paths_that_escape() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "dot-dot",
                layer(|b| raw(b, b"../outside", EntryType::Regular, b"", b"evil")),
            ),
            (
                "dot-dot inside",
                layer(|b| raw(b, b"a/../../outside", EntryType::Regular, b"", b"evil")),
            ),
            (
                "through a symlink",
                layer(|b| {
                    raw(b, b"up", EntryType::Symlink, b"..", b"");
                    raw(b, b"up/outside", EntryType::Regular, b"", b"evil");
                }),
            ),
            (
                "through an absolute symlink",
                layer(|b| {
                    raw(b, b"root", EntryType::Symlink, b"/", b"");
                    raw(b, b"root/tmp/evil", EntryType::Regular, b"", b"evil");
                }),
            ),
            (
                "hard link out",
                layer(|b| raw(b, b"h", EntryType::Link, b"../outside", b"")),
            ),
            (
                "hard link through a symlink",
                layer(|b| {
                    raw(b, b"up", EntryType::Symlink, b"..", b"");
                    raw(b, b"h", EntryType::Link, b"up/outside", b"");
                }),
            ),
            (
                "whiteout through a symlink",
                layer(|b| {
                    raw(b, b"up", EntryType::Symlink, b"..", b"");
                    raw(b, b"up/.wh.outside", EntryType::Regular, b"", b"");
                }),
            ),
        ];
        for (name, blob) in cases {
            let (top, dest, outside) = sandbox();
            let err = unpack_layer(&blob[..], &dest).expect_err(name);
            assert!(matches!(err, UnpackError::Escapes { .. }), "{name}: {err}");
            assert_eq!(fs::read(&outside).unwrap(), b"untouched", "{name}");
            assert!(!Path::new("/tmp/evil").exists());
            let mut names: Vec<_> = fs::read_dir(top.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            names.sort();
            assert_eq!(names, ["layer", "outside"], "{name}");
        }
    }

    #[test]
    fn absolute_paths_land_inside() {
        let (_top, dest, _) = sandbox();
        let blob = layer(|b| raw(b, b"/etc/hostname", EntryType::Regular, b"", b"pod"));
        unpack_layer(&blob[..], &dest).unwrap();
        assert_eq!(fs::read(dest.join("etc/hostname")).unwrap(), b"pod");
    }

    #[test]
    fn a_corrupt_archive_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut blob = busybox_like();
        blob.truncate(700);
        assert!(unpack_layer(&blob[..], dir.path()).is_err());
        let gz = [0x1f, 0x8b, 0, 1, 2, 3, 4, 5, 6, 7];
        assert!(unpack_layer(&gz[..], dir.path()).is_err());
    }
}
