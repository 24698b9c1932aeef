//! A container's root filesystem: overlayfs with the image's unpacked layers as lower
//! directories and a per-container upper directory.
//!
//! Layout of a container's directory: `upper/` (its writes), `work/` (overlayfs's scratch),
//! `rootfs/` (the mount point), `empty/` (the lone lower layer of an image with no layers).

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    #[error("{what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("layer path {} cannot be given to overlayfs (it has a `:` or `,`)", .0.display())]
    BadPath(PathBuf),
    #[error(
        "the image has too many layers for one overlayfs mount ({layers} layers, {len} bytes of mount options; the kernel takes at most {max})"
    )]
    TooManyLayers {
        layers: usize,
        len: usize,
        max: usize,
    },
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> RootfsError + 'a {
    move |source| RootfsError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// Mount options are one page.
const MAX_OPTIONS: usize = 4095;

/// Mounts the overlay of `lowers` (topmost first) under `dir`; returns the mount point
/// (`dir/rootfs`). Mounting an already mounted rootfs is a no-op, so a restarted agent can
/// call it again.
pub fn mount(lowers: &[PathBuf], dir: &Path) -> Result<PathBuf, RootfsError> {
    let target = dir.join("rootfs");
    if is_mount_point(&target)? {
        return Ok(target);
    }
    let (upper, work) = (dir.join("upper"), dir.join("work"));
    for d in [&upper, &work, &target] {
        fs::create_dir_all(d).map_err(io_err("cannot create", d))?;
    }
    let mut lowers: Vec<PathBuf> = lowers.to_vec();
    if lowers.is_empty() {
        let empty = dir.join("empty");
        fs::create_dir_all(&empty).map_err(io_err("cannot create", &empty))?;
        lowers.push(empty);
    }
    for p in lowers.iter().chain([&upper, &work]) {
        if p.as_os_str()
            .as_bytes()
            .iter()
            .any(|b| matches!(b, b':' | b','))
        {
            return Err(RootfsError::BadPath(p.clone()));
        }
    }
    let lower = lowers
        .iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join(":");
    let options = format!(
        "lowerdir={lower},upperdir={},workdir={}",
        upper.display(),
        work.display()
    );
    if options.len() > MAX_OPTIONS {
        return Err(RootfsError::TooManyLayers {
            layers: lowers.len(),
            len: options.len(),
            max: MAX_OPTIONS,
        });
    }
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).expect("no NUL in a path");
    let target_c = c(&target);
    let options_c = CString::new(options).expect("no NUL in the options");
    // SAFETY: every pointer is to a NUL-terminated string that outlives the call.
    let rc = unsafe {
        libc::mount(
            c"overlay".as_ptr(),
            target_c.as_ptr(),
            c"overlay".as_ptr(),
            0,
            options_c.as_ptr().cast(),
        )
    };
    if rc != 0 {
        return Err(io_err("cannot mount the overlay rootfs at", &target)(
            io::Error::last_os_error(),
        ));
    }
    Ok(target)
}

/// Unmounts the rootfs under `dir` (if mounted) and removes `dir`.
pub fn remove(dir: &Path) -> Result<(), RootfsError> {
    let target = dir.join("rootfs");
    if is_mount_point(&target)? {
        let target_c = CString::new(target.as_os_str().as_bytes()).expect("no NUL in a path");
        // SAFETY: a NUL-terminated path that outlives the call.
        if unsafe { libc::umount2(target_c.as_ptr(), libc::MNT_DETACH) } != 0 {
            return Err(io_err("cannot unmount", &target)(io::Error::last_os_error()));
        }
    }
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("cannot remove", dir)(e)),
    }
}

/// Whether `path` is a mount point: its device differs from its parent's, or (a bind mount of
/// the same filesystem) it is listed in `/proc/self/mountinfo`.
pub fn is_mount_point(path: &Path) -> Result<bool, RootfsError> {
    use std::os::unix::fs::MetadataExt;
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_err("cannot inspect", path)(e)),
    };
    if let Some(parent) = path.parent()
        && let Ok(p) = fs::metadata(parent)
        && p.dev() != meta.dev()
    {
        return Ok(true);
    }
    let info = fs::read_to_string("/proc/self/mountinfo")
        .map_err(io_err("cannot read", Path::new("/proc/self/mountinfo")))?;
    let want = path.as_os_str().as_bytes();
    Ok(info.lines().any(|line| {
        line.split(' ')
            .nth(4)
            .is_some_and(|mp| unescape_mountinfo(mp).as_slice() == want)
    }))
}

/// Mount points in mountinfo have space, tab, newline and backslash escaped as `\ooo`.
fn unescape_mountinfo(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_decoded() {
        assert_eq!(unescape_mountinfo(r"/a\040b\134c"), b"/a b\\c");
        assert_eq!(unescape_mountinfo("/plain"), b"/plain");
    }

    /// Needs root (mount), like the unpacking tests: CI runs as root.
    #[test]
    fn overlay_stacks_layers_hides_whiteouts_and_unmounts() {
        let dir = tempfile::tempdir().unwrap();
        let (base, top) = (dir.path().join("base"), dir.path().join("top"));
        fs::create_dir_all(&base).unwrap();
        fs::create_dir_all(&top).unwrap();
        fs::write(base.join("kept"), b"base").unwrap();
        fs::write(base.join("gone"), b"base").unwrap();
        fs::write(base.join("shadowed"), b"base").unwrap();
        fs::write(top.join("shadowed"), b"top").unwrap();
        // An overlayfs whiteout, as the unpacker writes it.
        let wh = CString::new(top.join("gone").as_os_str().as_bytes()).unwrap();
        assert_eq!(unsafe { libc::mknod(wh.as_ptr(), libc::S_IFCHR, 0) }, 0);

        let container = dir.path().join("c1");
        let rootfs = mount(&[top.clone(), base.clone()], &container).unwrap();
        assert!(is_mount_point(&rootfs).unwrap());
        assert_eq!(
            mount(&[top, base.clone()], &container).unwrap(),
            rootfs,
            "idempotent"
        );
        assert_eq!(fs::read(rootfs.join("kept")).unwrap(), b"base");
        assert_eq!(fs::read(rootfs.join("shadowed")).unwrap(), b"top");
        assert!(!rootfs.join("gone").exists());
        fs::write(rootfs.join("new"), b"written").unwrap();
        fs::remove_file(rootfs.join("kept")).unwrap();
        assert_eq!(fs::read(container.join("upper/new")).unwrap(), b"written");
        assert!(base.join("kept").exists(), "lower layers are never written");

        remove(&container).unwrap();
        assert!(!container.exists());
        assert!(!is_mount_point(&rootfs).unwrap());
        remove(&container).unwrap();
    }

    #[test]
    fn an_image_without_layers_gets_an_empty_root() {
        let dir = tempfile::tempdir().unwrap();
        let rootfs = mount(&[], dir.path()).unwrap();
        assert_eq!(fs::read_dir(&rootfs).unwrap().count(), 0);
        remove(dir.path()).unwrap();
    }

    #[test]
    fn paths_overlayfs_cannot_parse_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = mount(&[PathBuf::from("/x:y")], dir.path()).unwrap_err();
        assert!(matches!(err, RootfsError::BadPath(_)), "{err}");
    }
}
