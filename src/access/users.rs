//! The users file (`<access dir>/users.toml`): who may log in to `ceping serve`, with which
//! role, and — for a department — which department's rows they see. Passwords are kept
//! only as SCRAM-SHA-256 verifiers ([`super::scram`]). Written whole to a temporary file
//! and renamed into place, readable by its owner only; the server notices a new file at
//! the next login or statement ([`UsersFile::current`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::scram::Verifier;
use crate::error::{Error, Result};

/// What a user may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Every row of every table (the office, 网信办).
    Office,
    /// One department's rows (主管部门): its plans, results, findings, budgets, letters.
    Department,
    /// Every row, and the audit trail.
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Office => "office",
            Role::Department => "department",
            Role::Auditor => "auditor",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "office" => Ok(Role::Office),
            "department" => Ok(Role::Department),
            "auditor" => Ok(Role::Auditor),
            other => Err(format!("`{other}` is not a role: office, department or auditor")),
        }
    }
}

/// One user as the file holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// The department (normalised as the tables hold it); only for `department`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// `SCRAM-SHA-256$…`, as PostgreSQL stores it.
    pub password: String,
    /// When the user was added (UTC, RFC 3339).
    #[serde(default)]
    pub added: String,
}

impl User {
    pub fn verifier(&self) -> Option<Verifier> {
        Verifier::parse(&self.password)
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Users {
    #[serde(default, rename = "user")]
    pub users: Vec<User>,
}

const HEADER: &str = "# ceping users: `ceping user add|list|remove` keeps this file. Passwords are stored\n\
# only as SCRAM-SHA-256 verifiers (as PostgreSQL's pg_authid holds them).\n\n";

/// The longest user name PostgreSQL accepts (NAMEDATALEN - 1).
const NAME_BYTES: usize = 63;

impl Users {
    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Reads the file; a missing file holds no users.
    pub fn load(path: &Path) -> Result<Users> {
        let text = match fs_err::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Users::default()),
            Err(e) => return Err(e.into()),
        };
        Self::parse(&text).map_err(|message| Error::Access {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Reads the file's text, checking every entry.
    pub fn parse(text: &str) -> std::result::Result<Users, String> {
        let users: Users = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::HashSet::new();
        for u in &users.users {
            check_name(&u.name)?;
            if !seen.insert(u.name.as_str()) {
                return Err(format!("user `{}` is listed twice", u.name));
            }
            match (u.role, &u.department) {
                (Role::Department, None) => {
                    return Err(format!("user `{}`: a department user needs `department`", u.name))
                }
                (Role::Department, Some(d)) if d.trim().is_empty() => {
                    return Err(format!("user `{}`: the department is empty", u.name))
                }
                (Role::Office | Role::Auditor, Some(_)) => {
                    return Err(format!("user `{}`: only a department user has a department", u.name))
                }
                _ => {}
            }
            if u.verifier().is_none() {
                return Err(format!(
                    "user `{}`: the password is not a SCRAM-SHA-256 verifier (set it with `ceping user add {} --role …`)",
                    u.name, u.name
                ));
            }
        }
        Ok(users)
    }

    /// Adds `user`, or replaces the one of that name (a new password or role).
    pub fn put(&mut self, user: User) -> std::result::Result<bool, String> {
        check_name(&user.name)?;
        match self.users.iter_mut().find(|u| u.name == user.name) {
            Some(existing) => {
                *existing = user;
                Ok(true)
            }
            None => {
                self.users.push(user);
                Ok(false)
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.users.len();
        self.users.retain(|u| u.name != name);
        self.users.len() != before
    }

    /// Writes the file whole: a temporary file beside it, readable by the owner only,
    /// renamed into place (a reader sees the old file or the new one).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = format!(
            "{HEADER}{}",
            toml::to_string(self).map_err(|e| Error::Access {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        );
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("toml.{}.tmp", std::process::id()));
        {
            use std::io::Write;
            let mut options = fs_err::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use fs_err::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
        }
        fs_err::rename(&tmp, path)?;
        Ok(())
    }
}

fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.trim().is_empty() || name.trim() != name {
        return Err(format!("`{name}` is not a user name: empty or with spaces around it"));
    }
    if name.len() > NAME_BYTES {
        return Err(format!("user name `{name}` is longer than {NAME_BYTES} bytes"));
    }
    if name.chars().any(char::is_control) {
        return Err("a user name cannot hold control characters".into());
    }
    Ok(())
}

/// The users file as the server reads it: read again when it changes on disk (another
/// process ran `ceping user`), the last good reading kept if a new one cannot be read.
pub struct UsersFile {
    path: PathBuf,
    state: Mutex<(Option<Stamp>, Arc<Users>)>,
}

/// What tells a changed file: rename gives a new inode; an edit in place moves the
/// modification time or the length.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode,
    })
}

impl UsersFile {
    pub fn open(path: PathBuf) -> Result<UsersFile> {
        let users = Users::load(&path)?;
        Ok(UsersFile {
            state: Mutex::new((stamp(&path), Arc::new(users))),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The users as the file holds them now.
    pub fn current(&self) -> Arc<Users> {
        let now = stamp(&self.path);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.0 != now {
            match Users::load(&self.path) {
                Ok(users) => {
                    tracing::info!(path = %self.path.display(), users = users.users.len(), "serve: users file read again");
                    *state = (now, Arc::new(users));
                }
                Err(e) => {
                    tracing::warn!("serve: the users file changed but cannot be read; the last reading stays: {e}");
                    state.0 = now;
                }
            }
        }
        state.1.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, role: Role, department: Option<&str>) -> User {
        User {
            name: name.into(),
            role,
            department: department.map(Into::into),
            password: Verifier::with_salt("pw", b"salt", 4096).to_string(),
            added: String::new(),
        }
    }

    #[test]
    fn the_file_round_trips_and_is_checked() {
        let dir = std::env::temp_dir().join(format!("ceping-users-{}", std::process::id()));
        let path = dir.join("users.toml");
        let mut users = Users::default();
        assert!(!users.put(user("wjw", Role::Department, Some("市卫健委"))).unwrap());
        assert!(!users.put(user("office", Role::Office, None)).unwrap());
        assert!(
            users.put(user("wjw", Role::Department, Some("市教委"))).unwrap(),
            "replaced"
        );
        users.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("\"pw\""), "{text}");
        let back = Users::load(&path).unwrap();
        assert_eq!(back, users);
        assert_eq!(back.get("wjw").unwrap().department.as_deref(), Some("市教委"));

        let file = UsersFile::open(path.clone()).unwrap();
        assert_eq!(file.current().users.len(), 2);
        users.remove("office");
        users.save(&path).unwrap();
        assert_eq!(file.current().users.len(), 1, "the server sees the new file");
        std::fs::write(&path, "[[user]]\nname = 1").unwrap();
        assert_eq!(
            file.current().users.len(),
            1,
            "a file that cannot be read leaves the last reading"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_entries_are_named() {
        let pw = Verifier::with_salt("pw", b"salt", 4096).to_string();
        let cases = [
            (format!("[[user]]\nname='a'\nrole='department'\npassword='{pw}'"), "needs `department`"),
            (format!("[[user]]\nname='a'\nrole='office'\ndepartment='x'\npassword='{pw}'"), "only a department user"),
            ("[[user]]\nname='a'\nrole='office'\npassword='hunter2'".to_string(), "not a SCRAM-SHA-256 verifier"),
            (format!("[[user]]\nname='a'\nrole='office'\npassword='{pw}'\n[[user]]\nname='a'\nrole='auditor'\npassword='{pw}'"), "listed twice"),
            (format!("[[user]]\nname='a'\nrole='boss'\npassword='{pw}'"), "unknown variant"),
        ];
        for (text, expected) in cases {
            let e = Users::parse(&text).unwrap_err();
            assert!(e.contains(expected), "{e}");
        }
        assert!("Department".parse::<Role>().is_ok());
        assert!("boss"
            .parse::<Role>()
            .unwrap_err()
            .contains("office, department or auditor"));
    }
}
