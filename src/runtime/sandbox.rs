//! A pod's sandbox without a pause process: new network, IPC and UTS namespaces, kept alive by
//! bind-mounting their `nsfs` files (`net`, `ipc`, `uts` under the pod's directory), which the
//! pod's containers join by path. The hostname is set in the UTS namespace here, once, and the
//! loopback interface is brought up.
//!
//! The namespaces are made on a short-lived thread of its own (namespaces are per thread
//! until a process execs), which exits afterwards, so the calling process is never moved.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

fn os_err(what: impl Into<String>) -> SandboxError {
    SandboxError::Io {
        what: what.into(),
        source: io::Error::last_os_error(),
    }
}

/// The namespace files of a sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sandbox {
    pub net: PathBuf,
    pub ipc: PathBuf,
    pub uts: PathBuf,
}

impl Sandbox {
    pub fn at(dir: &Path) -> Sandbox {
        Sandbox {
            net: dir.join("net"),
            ipc: dir.join("ipc"),
            uts: dir.join("uts"),
        }
    }
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("no NUL in a path")
}

/// Creates the sandbox's namespaces under `dir` (created) with `hostname`. Blocking.
pub fn create(dir: &Path, hostname: &str) -> Result<Sandbox, SandboxError> {
    fs::create_dir_all(dir).map_err(|source| SandboxError::Io {
        what: format!("cannot create {}", dir.display()),
        source,
    })?;
    let sandbox = Sandbox::at(dir);
    for f in [&sandbox.net, &sandbox.ipc, &sandbox.uts] {
        fs::File::create(f).map_err(|source| SandboxError::Io {
            what: format!("cannot create {}", f.display()),
            source,
        })?;
    }
    let made = {
        let sandbox = sandbox.clone();
        let hostname = hostname.to_owned();
        std::thread::spawn(move || unshare_and_pin(&sandbox, &hostname))
            .join()
            .unwrap_or_else(|_| {
                Err(SandboxError::Io {
                    what: "the namespace thread panicked".to_owned(),
                    source: io::Error::other("panic"),
                })
            })
    };
    if let Err(e) = made {
        let _ = remove(dir);
        return Err(e);
    }
    Ok(sandbox)
}

fn unshare_and_pin(sandbox: &Sandbox, hostname: &str) -> Result<(), SandboxError> {
    // SAFETY: affects only this thread, which ends right after.
    if unsafe { libc::unshare(libc::CLONE_NEWNET | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS) } != 0 {
        return Err(os_err("cannot create the pod's namespaces"));
    }
    // SAFETY: a valid buffer and length.
    if unsafe { libc::sethostname(hostname.as_ptr().cast(), hostname.len()) } != 0 {
        return Err(os_err(format!("cannot set the hostname {hostname:?}")));
    }
    loopback_up()?;
    for (kind, target) in [
        ("net", &sandbox.net),
        ("ipc", &sandbox.ipc),
        ("uts", &sandbox.uts),
    ] {
        let source = cpath(&PathBuf::from(format!("/proc/thread-self/ns/{kind}")));
        let target_c = cpath(target);
        // SAFETY: NUL-terminated paths that outlive the call.
        let rc = unsafe {
            libc::mount(
                source.as_ptr(),
                target_c.as_ptr(),
                std::ptr::null(),
                libc::MS_BIND,
                std::ptr::null(),
            )
        };
        if rc != 0 {
            return Err(os_err(format!(
                "cannot pin the {kind} namespace at {}",
                target.display()
            )));
        }
    }
    Ok(())
}

/// `ip link set lo up` in the current (new) network namespace.
fn loopback_up() -> Result<(), SandboxError> {
    // SAFETY: plain socket/ioctl calls on a descriptor we close; `req` is a valid ifreq.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(os_err(
                "cannot open a socket in the pod's network namespace",
            ));
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        let ok = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req) == 0 && {
            req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            libc::ioctl(fd, libc::SIOCSIFFLAGS, &req) == 0
        };
        let err = os_err("cannot bring up the pod's loopback interface");
        libc::close(fd);
        if ok { Ok(()) } else { Err(err) }
    }
}

/// Unpins the namespaces (they go when their last process does) and removes `dir`.
pub fn remove(dir: &Path) -> Result<(), SandboxError> {
    let sandbox = Sandbox::at(dir);
    for f in [&sandbox.net, &sandbox.ipc, &sandbox.uts] {
        let c = cpath(f);
        // SAFETY: a NUL-terminated path; EINVAL (not mounted) and ENOENT are fine.
        if unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) } != 0 {
            let e = io::Error::last_os_error();
            if !matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOENT)) {
                return Err(SandboxError::Io {
                    what: format!("cannot unmount {}", f.display()),
                    source: e,
                });
            }
        }
    }
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(SandboxError::Io {
            what: format!("cannot remove {}", dir.display()),
            source: e,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// Needs root, like the other runtime tests.
    #[test]
    fn namespaces_are_new_pinned_and_released() {
        let dir = tempfile::tempdir().unwrap();
        let pod = dir.path().join("pod");
        let sandbox = create(&pod, "pod-a").unwrap();
        for (kind, file) in [
            ("net", &sandbox.net),
            ("ipc", &sandbox.ipc),
            ("uts", &sandbox.uts),
        ] {
            let pinned = fs::metadata(file).unwrap().ino();
            let ours = fs::metadata(format!("/proc/self/ns/{kind}")).unwrap().ino();
            assert_ne!(pinned, ours, "{kind}: a namespace of its own");
        }
        // The caller's own hostname is untouched.
        let mut buf = [0u8; 256];
        unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        assert!(!buf.starts_with(b"pod-a\0"));
        remove(&pod).unwrap();
        assert!(!pod.exists());
        remove(&pod).unwrap();
    }
}
