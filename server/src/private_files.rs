//! The server's files are its own: whatever umask it is started with, the folders it makes are
//! 0700 and the files 0600 (database, signing keys, recordings, spool), and the folders that
//! hold them are made 0700 at start even if an older version or an operator made them wider
//! (docs/security.md, "Files").

use std::path::Path;

/// Sets the process's file mode creation mask to 077, before anything is created: SQLite's
/// database and journal files, the keys, every recording and spool file inherit it.
pub fn restrict_new_files() {
    #[cfg(unix)]
    // SAFETY: umask(2) only sets this process's file mode creation mask; it cannot fail and
    // touches no memory of ours.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates `dir` (and its parents) if needed and makes it readable by this user only: the
/// files inside are then out of other users' reach, also those an older version left 0644.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode != 0o700 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_wide_folder_is_narrowed_and_a_missing_one_made_private() {
        let base = std::env::temp_dir().join(format!("softphone-private-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&base).unwrap();
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&base).unwrap();
        assert_eq!(mode(&base), 0o700);
        let nested = base.join("recordings");
        private_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
