//! Who may use `ceping serve` and what each sees: the users file and its roles
//! ([`users`]), passwords as SCRAM-SHA-256 verifiers ([`scram`]), the rows a department
//! sees of each table ([`scope`]), and the audit trail ([`audit`]). All of it lives in the
//! access directory (`<warehouse>/_access/` by default, `--access-dir`), outside the
//! warehouse's tables and versions.

pub mod audit;
pub mod scope;
pub mod scram;
pub mod users;

use std::path::{Path, PathBuf};

pub use users::{Role, User, Users, UsersFile};

use crate::error::{Error, Result};

/// The users file in an access directory.
pub fn users_path(dir: &Path) -> PathBuf {
    dir.join("users.toml")
}

/// The audit log in an access directory.
pub fn audit_path(dir: &Path) -> PathBuf {
    dir.join("audit.jsonl")
}

/// The access directory: the one given, else `_access` inside a warehouse directory. An
/// `s3://` warehouse has no local directory, so one must be given.
pub fn access_dir(given: Option<&Path>, warehouse_dir: Option<&Path>) -> Result<PathBuf> {
    match (given, warehouse_dir) {
        (Some(d), _) => Ok(d.to_path_buf()),
        (None, Some(w)) => Ok(w.join("_access")),
        (None, None) => Err(Error::Usage(
            "an s3:// warehouse keeps its users and audit log on this machine: give --access-dir DIR \
             (or CEPING_ACCESS_DIR)"
                .into(),
        )),
    }
}

/// What one session may see, decided at each statement from the user's current entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every row (office; the shared password; an open loopback server).
    Everything,
    /// Every row and the audit trail.
    Audit,
    /// One department's rows.
    Department(String),
}

impl Scope {
    pub fn of(user: &User) -> Scope {
        match user.role {
            Role::Office => Scope::Everything,
            Role::Auditor => Scope::Audit,
            Role::Department => Scope::Department(user.department.clone().unwrap_or_default()),
        }
    }
}
