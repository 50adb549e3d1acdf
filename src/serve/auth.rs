//! Who may connect: the startup side of the server. Loopback may run open; anything else
//! needs the password (SCRAM-SHA-256, so it never crosses the wire) and TLS. Repeated
//! wrong passwords from one address are answered ever more slowly.

use std::collections::HashMap;
use std::fmt::Debug;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use datafusion_postgres::pgwire::api::auth::noop::NoopStartupHandler;
use datafusion_postgres::pgwire::api::auth::{
    finish_authentication, protocol_negotiation, save_startup_parameters_to_metadata, DefaultServerParameterProvider,
    StartupHandler,
};
use datafusion_postgres::pgwire::api::{
    ClientInfo, ConnectionManager, PgWireConnectionState, PidSecretKeyGenerator, RandomPidSecretKeyGenerator,
};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::startup::{Authentication, ParameterStatus};
use datafusion_postgres::pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use futures::{Sink, SinkExt};

use super::accounts::{Accounts, Login, USER};
use crate::access::audit::Record;
use crate::access::scram::{self, Exchange, Failure, Verifier};

/// Wrong-password counts per client address.
#[derive(Default)]
pub struct Failures {
    by_address: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// Forgotten after this long without a failure.
const FAILURE_MEMORY: Duration = Duration::from_secs(300);

impl Failures {
    fn delay(count: u32) -> Duration {
        // 0.25 s, 0.5 s, 1 s, … up to 8 s.
        Duration::from_millis(250u64 << count.saturating_sub(1).min(5))
    }

    fn count(&self, ip: IpAddr) -> u32 {
        let map = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&ip)
            .filter(|(_, last)| last.elapsed() < FAILURE_MEMORY)
            .map_or(0, |(n, _)| *n)
    }

    /// Records a failure; how long to wait before answering it.
    fn failed(&self, ip: IpAddr) -> Duration {
        let mut map = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= FAILURE_MEMORY {
            entry.0 = 0;
        }
        entry.0 += 1;
        entry.1 = Instant::now();
        Self::delay(entry.0)
    }

    fn succeeded(&self, ip: IpAddr) {
        self.by_address.lock().unwrap_or_else(|p| p.into_inner()).remove(&ip);
    }
}

/// How a connection is let in.
pub enum Door {
    /// No password (loopback, no users, no shared password).
    Open(OpenDoor),
    /// SCRAM-SHA-256 against the users file or the shared password.
    Scram(Box<ScramDoor>),
    /// Refused before authentication, with this SQLSTATE and message.
    Closed(&'static str, String),
}

pub struct OpenDoor {
    manager: Arc<ConnectionManager>,
}

#[async_trait]
impl NoopStartupHandler for OpenDoor {
    fn connection_manager(&self) -> Option<Arc<ConnectionManager>> {
        Some(self.manager.clone())
    }

    /// pgwire's open door reports its own `server_version`; the one clients parse follows
    /// it (a later ParameterStatus replaces an earlier one) — and the warehouse is
    /// read-only.
    async fn post_startup<C>(&self, client: &mut C, _message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        for (name, value) in [
            ("server_version", super::identity::server_version()),
            ("default_transaction_read_only", "on".to_string()),
        ] {
            client
                .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                    name.into(),
                    value,
                )))
                .await?;
        }
        Ok(())
    }
}

/// The server side of SCRAM-SHA-256 over [`scram`]'s stored verifiers (pgwire's own
/// handler needs the salted password itself, which would let whoever reads the users
/// file log in).
pub struct ScramDoor {
    accounts: Arc<Accounts>,
    manager: Arc<ConnectionManager>,
    parameters: DefaultServerParameterProvider,
    state: tokio::sync::Mutex<Option<(Exchange, Verifier, Login)>>,
}

const SCRAM_SHA_256: &str = "SCRAM-SHA-256";

#[async_trait]
impl StartupHandler for ScramDoor {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let invalid = |m: String| PgWireError::InvalidScramMessage(m);
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                client
                    .send(PgWireBackendMessage::Authentication(Authentication::SASL(vec![
                        SCRAM_SHA_256.to_string(),
                    ])))
                    .await?;
            }
            PgWireFrontendMessage::PasswordMessageFamily(msg) => {
                let mut state = self.state.lock().await;
                let user = client.metadata().get(USER).cloned().unwrap_or_default();
                match state.take() {
                    None => {
                        let first = msg.into_sasl_initial_response()?;
                        if first.auth_method != SCRAM_SHA_256 {
                            return Err(PgWireError::UnsupportedSASLAuthMethod(first.auth_method));
                        }
                        let data = first.data.unwrap_or_default();
                        let text =
                            std::str::from_utf8(&data).map_err(|_| invalid("client-first is not UTF-8".into()))?;
                        let (verifier, login) = self.accounts.login_for(&user);
                        let (exchange, server_first) =
                            Exchange::start(text, &verifier, &scram::nonce()).map_err(|f| match f {
                                Failure::Malformed(m) => invalid(m),
                                Failure::WrongPassword => PgWireError::InvalidPassword(user.clone()),
                            })?;
                        client
                            .send(PgWireBackendMessage::Authentication(Authentication::SASLContinue(
                                server_first.into_bytes().into(),
                            )))
                            .await?;
                        *state = Some((exchange, verifier, login));
                    }
                    Some((exchange, verifier, login)) => {
                        let last = msg.into_sasl_response()?;
                        let text =
                            std::str::from_utf8(&last.data).map_err(|_| invalid("client-final is not UTF-8".into()))?;
                        let server_final = match exchange.finish(text, &verifier) {
                            Ok(f) if login != Login::Unknown => f,
                            Ok(_) | Err(Failure::WrongPassword) => return Err(PgWireError::InvalidPassword(user)),
                            Err(Failure::Malformed(m)) => return Err(invalid(m)),
                        };
                        client
                            .feed(PgWireBackendMessage::Authentication(Authentication::SASLFinal(
                                server_final.into_bytes().into(),
                            )))
                            .await?;
                        Accounts::logged_in(client.metadata_mut(), &login);
                        let (pid, secret_key) = RandomPidSecretKeyGenerator::default().generate(client);
                        client.set_pid_and_secret_key(pid, secret_key.clone());
                        let (handle, guard) = self.manager.register(pid, secret_key);
                        client.session_extensions().insert(handle);
                        client.session_extensions().insert(guard);
                        finish_authentication(client, &self.parameters).await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The rules of the server's startup: one per connection (SCRAM keeps per-connection
/// state).
pub struct Gate {
    door: Door,
    tls_required: bool,
    failures: Arc<Failures>,
    accounts: Option<Arc<Accounts>>,
}

impl Gate {
    pub fn new(
        accounts: Arc<Accounts>,
        tls_required: bool,
        failures: Arc<Failures>,
        manager: Arc<ConnectionManager>,
    ) -> Self {
        let door = if accounts.open() {
            Door::Open(OpenDoor { manager })
        } else {
            let mut parameters = DefaultServerParameterProvider::default();
            parameters.default_transaction_read_only = true;
            parameters.server_version = super::identity::server_version();
            Door::Scram(Box::new(ScramDoor {
                accounts: accounts.clone(),
                manager,
                parameters,
                state: tokio::sync::Mutex::new(None),
            }))
        };
        Gate {
            door,
            tls_required,
            failures,
            accounts: Some(accounts),
        }
    }

    pub fn closed(sqlstate: &'static str, message: String, accounts: Arc<Accounts>) -> Self {
        Gate {
            door: Door::Closed(sqlstate, message),
            tls_required: false,
            failures: Arc::default(),
            accounts: Some(accounts),
        }
    }
}

fn fatal(sqlstate: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("FATAL".into(), sqlstate.into(), message)))
}

#[async_trait]
impl StartupHandler for Gate {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let ip = client.socket_addr().ip();
        let startup_user = match &message {
            PgWireFrontendMessage::Startup(startup) => startup.parameters.get(USER).cloned(),
            _ => None,
        };
        let result = self.let_in(client, message).await;
        match &result {
            Err(PgWireError::InvalidPassword(user)) => {
                tracing::warn!(%ip, user, "serve: wrong password");
                self.audit_connect(
                    client,
                    startup_user.as_deref(),
                    Some("wrong password or unknown user".into()),
                );
                tokio::time::sleep(self.failures.failed(ip)).await;
            }
            Err(e) => {
                let message = match e {
                    PgWireError::UserError(info) => info.message.clone(),
                    other => other.to_string(),
                };
                self.audit_connect(client, startup_user.as_deref(), Some(message));
            }
            Ok(()) if matches!(client.state(), PgWireConnectionState::ReadyForQuery) => {
                self.failures.succeeded(ip);
                self.audit_connect(client, None, None);
            }
            _ => {}
        }
        result
    }
}

impl Gate {
    async fn let_in<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let ip = client.socket_addr().ip();
        if let PgWireFrontendMessage::Startup(_) = &message {
            if let Door::Closed(sqlstate, why) = &self.door {
                return Err(fatal(sqlstate, why.clone()));
            }
            if self.tls_required && !client.is_secure() {
                return Err(fatal(
                    "28000",
                    "this server accepts only TLS connections: connect with sslmode=require".into(),
                ));
            }
            // An address that keeps failing waits before it may try again.
            let count = self.failures.count(ip);
            if count >= 3 {
                tokio::time::sleep(Failures::delay(count)).await;
            }
        }
        match &self.door {
            Door::Open(d) => d.on_startup(client, message).await,
            Door::Scram(d) => d.on_startup(client, message).await,
            Door::Closed(..) => Ok(()),
        }
    }

    /// A login let in (`refused` none) or refused, in the audit trail.
    fn audit_connect<C: ClientInfo>(&self, client: &C, user: Option<&str>, refused: Option<String>) {
        let Some(accounts) = &self.accounts else {
            return;
        };
        let metadata = client.metadata();
        let user = user
            .map(str::to_string)
            .or_else(|| metadata.get(USER).cloned())
            .unwrap_or_default();
        let mut record = Record::now("connect", &user, &client.socket_addr().to_string());
        match refused {
            Some(why) => {
                record.outcome = "refused".into();
                record.message = Some(why);
            }
            None => match accounts.check(metadata) {
                Ok(who) => {
                    record.role = Some(who.role().into());
                    record.department = who.department().map(Into::into);
                }
                Err(e) => {
                    record.outcome = "refused".into();
                    record.message = Some(e.to_string());
                }
            },
        }
        accounts.record(&record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_down_and_reset() {
        let f = Failures::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(f.failed(ip), Duration::from_millis(250));
        assert_eq!(f.failed(ip), Duration::from_millis(500));
        assert_eq!(f.failed(ip), Duration::from_millis(1000));
        assert_eq!(f.count(ip), 3);
        for _ in 0..10 {
            f.failed(ip);
        }
        assert_eq!(Failures::delay(f.count(ip)), Duration::from_secs(8));
        f.succeeded(ip);
        assert_eq!(f.count(ip), 0);
    }
}
