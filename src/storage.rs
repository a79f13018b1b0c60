//! `native.storageDir`: the directory a client keeps what must outlive its process in. It is the
//! client's alone while the client lives: a lock file says so, and a second client on the same
//! directory (in this process or another) is refused at creation rather than left to corrupt it.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// The lock file's name in the directory.
pub(crate) const LOCK_FILE: &str = "lock";

/// A storage directory, checked writable and locked for this client until dropped.
#[derive(Debug)]
pub struct StorageDir {
    /// Holds the lock: closing the file (dropping this) releases it, also when the process dies.
    _lock: File,
}

impl StorageDir {
    /// Makes the directory if missing, checks it can be written, and takes its lock.
    pub fn open(path: &Path) -> Result<StorageDir> {
        let fail = |e: std::io::Error| {
            Error::new(ErrorKind::InvalidConfig, format!("native.storageDir: cannot write to {}: {e}", path.display()))
        };
        std::fs::create_dir_all(path).map_err(fail)?;
        let lock_path = path.join(LOCK_FILE);
        let lock =
            std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(fail)?;
        // SAFETY: `lock` is an open file for the whole call, so its descriptor is valid; flock
        // only reads the descriptor and the flags.
        let taken = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if taken != 0 {
            let e = std::io::Error::last_os_error();
            let message = if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                format!("native.storageDir: {} is in use by another mediaedge client", path.display())
            } else {
                format!("native.storageDir: cannot lock {}: {e}", lock_path.display())
            };
            return Err(Error::new(ErrorKind::InvalidConfig, message));
        }
        Ok(StorageDir { _lock: lock })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_one_clients_at_a_time() {
        let dir = std::env::temp_dir().join(format!("mediaedge-storage-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = StorageDir::open(&dir).unwrap();
        let second = StorageDir::open(&dir).unwrap_err();
        assert_eq!(second.kind, ErrorKind::InvalidConfig);
        assert!(second.message.ends_with("is in use by another mediaedge client"), "{}", second.message);
        drop(first);
        StorageDir::open(&dir).expect("free again once the first is gone");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
