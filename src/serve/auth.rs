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
use datafusion_postgres::pgwire::api::auth::sasl::scram::{
    gen_salted_password, random_nonce, ScramAuth, SCRAM_ITERATIONS,
};
use datafusion_postgres::pgwire::api::auth::sasl::SASLAuthStartupHandler;
use datafusion_postgres::pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler,
};
use datafusion_postgres::pgwire::api::{ClientInfo, ConnectionManager, PgWireConnectionState};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::startup::ParameterStatus;
use datafusion_postgres::pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use futures::Sink;

/// The one password clients must give, kept only as SCRAM's salted hash.
pub struct Secret {
    salt: Vec<u8>,
    salted: Vec<u8>,
}

impl Secret {
    pub fn new(password: &str) -> Self {
        let salt = random_nonce().into_bytes();
        let salted = gen_salted_password(password, &salt, SCRAM_ITERATIONS);
        Secret { salt, salted }
    }
}

impl Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[async_trait]
impl AuthSource for Secret {
    async fn get_password(&self, _login: &LoginInfo) -> PgWireResult<Password> {
        Ok(Password::new(Some(self.salt.clone()), self.salted.clone()))
    }
}

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
    /// No password (loopback only).
    Open(OpenDoor),
    /// SCRAM-SHA-256 with the server's password.
    Password(Box<SASLAuthStartupHandler<DefaultServerParameterProvider>>),
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
        use futures::SinkExt;
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

/// The rules of the server's startup: one per connection (SCRAM keeps per-connection
/// state).
pub struct Gate {
    door: Door,
    tls_required: bool,
    failures: Arc<Failures>,
}

impl Gate {
    pub fn new(
        secret: Option<&Arc<Secret>>,
        tls_required: bool,
        failures: Arc<Failures>,
        manager: Arc<ConnectionManager>,
    ) -> Self {
        let door = match secret {
            None => Door::Open(OpenDoor { manager }),
            Some(secret) => {
                let mut parameters = DefaultServerParameterProvider::default();
                parameters.default_transaction_read_only = true;
                parameters.server_version = super::identity::server_version();
                let scram = ScramAuth::new(secret.clone());
                Door::Password(Box::new(
                    SASLAuthStartupHandler::new(Arc::new(parameters))
                        .with_scram(scram)
                        .with_connection_manager(manager),
                ))
            }
        };
        Gate {
            door,
            tls_required,
            failures,
        }
    }

    pub fn closed(sqlstate: &'static str, message: String) -> Self {
        Gate {
            door: Door::Closed(sqlstate, message),
            tls_required: false,
            failures: Arc::default(),
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
        let result = match &self.door {
            Door::Open(d) => d.on_startup(client, message).await,
            Door::Password(d) => d.on_startup(client, message).await,
            Door::Closed(..) => Ok(()),
        };
        match &result {
            Err(PgWireError::InvalidPassword(user)) => {
                tracing::warn!(%ip, user, "serve: wrong password");
                tokio::time::sleep(self.failures.failed(ip)).await;
            }
            Ok(()) if matches!(client.state(), PgWireConnectionState::ReadyForQuery) => self.failures.succeeded(ip),
            _ => {}
        }
        result
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

    #[test]
    fn secret_is_not_printed() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(..)");
    }
}
