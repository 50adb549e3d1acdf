//! Who a connection is and what it may see: the logins the server knows (the users file,
//! the shared password as the office's shortcut, or none on an open loopback server), and
//! the check every statement passes first — the user still in the file with the password
//! the session logged in with, the session not expired — which yields its [`Scope`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError};

use crate::access::audit::{AuditLog, Record};
use crate::access::scram::Verifier;
use crate::access::{Scope, UsersFile};

/// Metadata keys a session carries from its login.
const LOGIN: &str = "ceping.login";
const LOGIN_AT: &str = "ceping.login_at";
/// The user name the client gave at startup (pgwire's key).
pub const USER: &str = "user";

/// How a session logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// A user of the users file, with its verifier's fingerprint.
    User(String),
    /// The shared password (`--password-file` / `CEPING_PASSWORD`): the office's shortcut.
    Shared,
    /// A name no one has: the exchange runs on a decoy and fails.
    Unknown,
}

impl Login {
    fn encode(&self) -> String {
        match self {
            Login::User(fp) => format!("user:{fp}"),
            Login::Shared => "shared".into(),
            Login::Unknown => "unknown".into(),
        }
    }
}

/// Who a statement runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub user: String,
    pub scope: Scope,
}

impl Who {
    pub fn role(&self) -> &'static str {
        match self.scope {
            Scope::Everything => "office",
            Scope::Audit => "auditor",
            Scope::Department(_) => "department",
        }
    }

    pub fn department(&self) -> Option<&str> {
        match &self.scope {
            Scope::Department(d) => Some(d),
            _ => None,
        }
    }
}

pub struct Accounts {
    pub users: Option<UsersFile>,
    pub shared: Option<Verifier>,
    pub lifetime: Duration,
    pub audit: Option<Arc<AuditLog>>,
    decoy_key: [u8; 32],
}

fn fatal(sqlstate: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("FATAL".into(), sqlstate.into(), message)))
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Accounts {
    pub fn new(
        users: Option<UsersFile>,
        shared: Option<Verifier>,
        lifetime: Duration,
        audit: Option<Arc<AuditLog>>,
    ) -> Self {
        Accounts {
            users,
            shared,
            lifetime,
            audit,
            decoy_key: crate::access::scram::secret(),
        }
    }

    /// No login needed: no shared password and no user in the file.
    pub fn open(&self) -> bool {
        self.shared.is_none() && self.users.as_ref().is_none_or(|f| f.current().users.is_empty())
    }

    /// The verifier a login as `name` is checked against, and what it would be.
    pub fn login_for(&self, name: &str) -> (Verifier, Login) {
        if let Some(user) = self.users.as_ref().and_then(|f| f.current().get(name).cloned()) {
            if let Some(v) = user.verifier() {
                let fp = v.fingerprint();
                return (v, Login::User(fp));
            }
        }
        if let Some(shared) = &self.shared {
            return (shared.clone(), Login::Shared);
        }
        (Verifier::decoy(name, &self.decoy_key), Login::Unknown)
    }

    /// Records a successful login in the session's metadata.
    pub fn logged_in(metadata: &mut HashMap<String, String>, login: &Login) {
        metadata.insert(LOGIN.into(), login.encode());
        metadata.insert(LOGIN_AT.into(), now_secs().to_string());
    }

    /// Who the session's statement runs as, checked against the users file as it is now.
    /// A session whose user was removed, whose password changed, or whose lifetime has
    /// passed is ended (FATAL: the client must log in again).
    pub fn check(&self, metadata: &HashMap<String, String>) -> Result<Who, PgWireError> {
        let user = metadata.get(USER).cloned().unwrap_or_default();
        let login = metadata.get(LOGIN).map(String::as_str).unwrap_or("open");
        let at: u64 = metadata.get(LOGIN_AT).and_then(|t| t.parse().ok()).unwrap_or(0);
        if login != "open" && now_secs().saturating_sub(at) >= self.lifetime.as_secs() {
            return Err(fatal(
                "28000",
                format!(
                    "the session of `{user}` expired: sessions last {} s (ceping serve --session-lifetime); log in again",
                    self.lifetime.as_secs()
                ),
            ));
        }
        if login == "open" {
            if !self.open() {
                return Err(fatal(
                    "28000",
                    "the server now requires a login (users were added); connect again with a user and password".into(),
                ));
            }
            return Ok(Who {
                user,
                scope: Scope::Everything,
            });
        }
        if login == "shared" {
            return Ok(Who {
                user,
                scope: Scope::Everything,
            });
        }
        let current = self.users.as_ref().and_then(|f| f.current().get(&user).cloned());
        let Some(entry) = current else {
            return Err(fatal(
                "28000",
                format!("user `{user}` was removed (ceping user remove); the session is ended"),
            ));
        };
        let fingerprint = entry.verifier().map(|v| v.fingerprint()).unwrap_or_default();
        if login.strip_prefix("user:") != Some(fingerprint.as_str()) {
            return Err(fatal(
                "28000",
                format!("the password of `{user}` changed since this session logged in; log in again"),
            ));
        }
        Ok(Who {
            user,
            scope: Scope::of(&entry),
        })
    }

    /// Appends to the audit trail when there is one.
    pub fn record(&self, record: &Record) {
        if let Some(log) = &self.audit {
            log.append(record);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Role, User, Users};

    fn accounts(dir: &std::path::Path, lifetime: u64) -> Accounts {
        let path = dir.join("users.toml");
        let mut users = Users::default();
        users
            .put(User {
                name: "wjw".into(),
                role: Role::Department,
                department: Some("市卫健委".into()),
                password: Verifier::new("a").to_string(),
                added: String::new(),
            })
            .unwrap();
        users.save(&path).unwrap();
        Accounts::new(
            Some(UsersFile::open(path).unwrap()),
            None,
            Duration::from_secs(lifetime),
            None,
        )
    }

    fn message(e: PgWireError) -> String {
        match e {
            PgWireError::UserError(info) => format!("{} {}", info.code, info.message),
            other => other.to_string(),
        }
    }

    #[test]
    fn a_session_is_checked_against_the_file_as_it_is_now() {
        let dir = std::env::temp_dir().join(format!("ceping-accounts-{}", std::process::id()));
        let a = accounts(&dir, 3600);
        assert!(!a.open());
        let (v, login) = a.login_for("wjw");
        assert_eq!(login, Login::User(v.fingerprint()));
        let (_, unknown) = a.login_for("nobody");
        assert_eq!(unknown, Login::Unknown);

        let mut meta = HashMap::from([(USER.to_string(), "wjw".to_string())]);
        Accounts::logged_in(&mut meta, &login);
        let who = a.check(&meta).unwrap();
        assert_eq!(who.scope, Scope::Department("市卫健委".into()));
        assert_eq!((who.role(), who.department()), ("department", Some("市卫健委")));

        // an open session once users exist
        let open = HashMap::from([(USER.to_string(), "x".to_string())]);
        assert!(message(a.check(&open).unwrap_err()).contains("requires a login"));

        // a new password ends the session
        let path = dir.join("users.toml");
        let mut users = Users::load(&path).unwrap();
        let mut u = users.get("wjw").unwrap().clone();
        u.password = Verifier::new("b").to_string();
        users.put(u).unwrap();
        users.save(&path).unwrap();
        assert!(message(a.check(&meta).unwrap_err()).contains("password of `wjw` changed"));

        // removed
        users.remove("wjw");
        users.save(&path).unwrap();
        let e = message(a.check(&meta).unwrap_err());
        assert!(e.starts_with("28000") && e.contains("was removed"), "{e}");

        // expired
        let b = accounts(&dir, 0);
        let (_, login) = b.login_for("wjw");
        Accounts::logged_in(&mut meta, &login);
        assert!(message(b.check(&meta).unwrap_err()).contains("expired"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
