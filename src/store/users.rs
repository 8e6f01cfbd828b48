//! Every user's heartbeats, in the spirit of the cron spool and `/tmp`:
//!
//! ```text
//! /var/lib/cron-heartbeat/            root:root 0755   root's jobs
//! /var/lib/cron-heartbeat/users/      root:root 1777   anyone may add a directory, nobody may remove another's
//! /var/lib/cron-heartbeat/users/alice alice     0755   alice's jobs: alice/<job>
//! ```
//!
//! hb-write run by a user who cannot write the system directory writes to
//! their own area (made when missing). The scan trusts an area only when it
//! belongs to the user it is named after, and a file in it only when that
//! user (or root) owns it: no user can forge, replace or delete another's
//! heartbeats. Jobs from an area are named `<user>/<job>`.

use std::ffi::CStr;
use std::fs::{self, DirBuilder, Metadata};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::Error;

pub(crate) const USERS_DIR: &str = "users";

/// The largest lookup buffer for a passwd entry; a larger one is unknown.
const PASSWD_BUFFER_MAX: usize = 1 << 20;

/// The login name of `uid` from the user database (NSS: LDAP counts too).
pub(crate) fn user_name(uid: u32) -> Option<String> {
    let mut buffer = vec![0u8; 1024];
    loop {
        // SAFETY: an all-zero passwd is a valid value of the plain C struct;
        // getpwuid_r only writes into it and into `buffer`, whose length it
        // is told, and `result` points at `entry` or is null on return.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let code = unsafe {
            libc::getpwuid_r(
                uid,
                &raw mut entry,
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &raw mut result,
            )
        };
        if code != libc::ERANGE || buffer.len() >= PASSWD_BUFFER_MAX {
            if code != 0 || result.is_null() || entry.pw_name.is_null() {
                return None;
            }
            // SAFETY: on success pw_name points at a NUL-terminated string
            // in `buffer`, which outlives this borrow.
            let name = unsafe { CStr::from_ptr(entry.pw_name) };
            return name.to_str().ok().map(str::to_owned);
        }
        buffer.resize(buffer.len() * 2, 0);
    }
}

/// The owner (uid, gid) of the directory `path`, not through a symlink: a
/// user's runtime directory's (`/run/user/UID`) group is the user's own.
pub(crate) fn dir_owner(path: &Path) -> Option<(u32, u32)> {
    let meta = fs::symlink_metadata(path).ok()?;
    meta.is_dir().then(|| (meta.uid(), meta.gid()))
}

pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The area this process writes to, `<root>/users/<login>/`, made `0755`
/// when missing; `None` without `<root>/users/` or a user name. One that is
/// not a directory of this user (another made it first) is refused.
pub(crate) fn own_area(root: &Path) -> Result<Option<PathBuf>, Error> {
    let users = root.join(USERS_DIR);
    if !fs::symlink_metadata(&users).is_ok_and(|m| m.is_dir()) {
        return Ok(None);
    }
    let uid = effective_uid();
    let Some(name) = user_name(uid) else {
        return Ok(None);
    };
    let area = users.join(&name);
    let failed = |source| Error::CreateDir {
        path: area.clone(),
        source,
    };
    // Another run of the same user may make it meanwhile.
    match DirBuilder::new().mode(0o755).create(&area) {
        Err(err) if err.kind() != io::ErrorKind::AlreadyExists => return Err(failed(err)),
        _ => {}
    }
    let meta = fs::symlink_metadata(&area).map_err(failed)?;
    if let Some(reason) = area_fault(&meta, uid, &name) {
        let reason = format!("{reason}; ask root to remove it");
        let denied = io::Error::new(io::ErrorKind::PermissionDenied, reason);
        return Err(failed(denied));
    }
    Ok(Some(area))
}

/// Why an area named `name` cannot be trusted as user `uid`'s, if it cannot.
pub(super) fn area_fault(meta: &Metadata, uid: u32, name: &str) -> Option<String> {
    let owner = meta.uid();
    if meta.file_type().is_symlink() {
        Some("it is a symlink, not a directory".to_owned())
    } else if !meta.is_dir() {
        Some("it is not a directory".to_owned())
    } else {
        (owner != uid).then(|| format!("it belongs to uid {owner}, not to {name} (uid {uid})"))
    }
}

/// Why `users/` cannot be trusted, if it cannot: it must belong to root (or
/// to `trusted`, the heartbeat directory's owner, who could rewrite all
/// anyway), and be sticky if others may write to it (else one user could
/// remove another's area).
pub(super) fn users_dir_fault(meta: &Metadata, trusted: u32) -> Option<String> {
    if meta.uid() != 0 && meta.uid() != trusted {
        return Some(format!("belongs to uid {}, not to root", meta.uid()));
    }
    let mode = meta.permissions().mode();
    (mode & 0o022 != 0 && mode & 0o1000 == 0).then(|| {
        let mode = mode & 0o7777;
        format!(
            "is writable by others without the sticky bit (mode {mode:o}); run `chmod 1777` on it"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_has_a_name() {
        assert_eq!(user_name(0).as_deref(), Some("root"));
        // A uid no system hands out has none.
        assert_eq!(user_name(4_000_000_000), None);
    }

    #[test]
    fn an_area_must_be_a_directory_of_its_user() {
        let dir = tempfile::tempdir().unwrap();
        let meta = fs::symlink_metadata(dir.path()).unwrap();
        assert_eq!(area_fault(&meta, meta.uid(), "me"), None);
        let fault = area_fault(&meta, meta.uid() + 1, "bob").unwrap();
        assert!(fault.contains("not to bob"), "{fault}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path(), &link).unwrap();
        let meta = fs::symlink_metadata(&link).unwrap();
        assert!(area_fault(&meta, meta.uid(), "me")
            .unwrap()
            .contains("symlink"));
    }
}
