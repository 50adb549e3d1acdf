//! `ceping serve`: the warehouse over the PostgreSQL wire protocol, for psql, BI tools
//! and Python. A thin layer: datafusion-postgres speaks the protocol; every statement
//! reads one warehouse snapshot as its user's role sees it ([`snapshots`], [`scopes`]);
//! [`policy`] keeps the warehouse read-only; [`auth`] decides who is let in and
//! [`accounts`] who a statement runs as; [`audit`] writes the trail; [`service`] applies
//! the limits.

mod accounts;
mod audit;
mod auth;
mod compat;
mod deadline;
mod identity;
pub mod policy;
mod scopes;
mod service;
mod shape;
mod snapshots;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use datafusion::prelude::SessionContext;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::hooks::QueryHook;
use datafusion_postgres::pgwire::api::cancel::DefaultCancelHandler;
use datafusion_postgres::pgwire::api::{ConnectionManager, PgWireServerHandlers};
use datafusion_postgres::pgwire::tokio::{process_socket, TlsAcceptor};
use datafusion_postgres::DfSessionService;
use tokio::net::TcpListener;

use crate::error::{Error, Result};
use crate::warehouse::Warehouse;
use accounts::Accounts;
use auth::{Failures, Gate};
use service::{Limits, ReadHook, Service};
use snapshots::Snapshots;

/// How the server listens and what it allows.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// The password clients must give; `None` runs open (loopback only).
    pub password: Option<String>,
    /// TLS certificate chain and private key (PEM). When given, clients must use TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub max_connections: usize,
    pub query_timeout: Duration,
    /// Bytes all running queries may hold together.
    pub memory_limit: usize,
    /// How long connections may take to finish after SIGINT/SIGTERM.
    pub drain: Duration,
    /// The users file and the audit trail's directory; `None` (an `s3://` warehouse
    /// without `--access-dir`): no users, no audit trail.
    pub access_dir: Option<PathBuf>,
    /// How long a login lasts before the session must log in again.
    pub session_lifetime: Duration,
}

/// A bound server, not yet accepting.
pub struct Server {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    accounts: Arc<Accounts>,
    service: Arc<Service>,
    failures: Arc<Failures>,
    manager: Arc<ConnectionManager>,
    options: ServeOptions,
}

/// Checks the security rules, sets up TLS (a failure is fatal) and binds.
pub async fn bind(wh: Warehouse, options: ServeOptions) -> Result<Server> {
    if matches!(&options.password, Some(p) if p.is_empty()) {
        return Err(Error::Serve("the password is empty".into()));
    }
    let (users, audit) = match &options.access_dir {
        Some(dir) => (
            Some(crate::access::UsersFile::open(crate::access::users_path(dir))?),
            Some(crate::access::audit::AuditLog::open(crate::access::audit_path(dir))?),
        ),
        None => (None, None),
    };
    let accounts = Arc::new(Accounts::new(
        users,
        options.password.as_deref().map(crate::access::scram::Verifier::new),
        options.session_lifetime,
        audit,
    ));
    let loopback = options.listen.ip().is_loopback();
    if !loopback && (accounts.open() || options.tls.is_none()) {
        return Err(Error::Serve(format!(
            "listening on {} (not loopback) needs logins (users from `ceping user add`, or a shared password \
             with --password-file or CEPING_PASSWORD) and TLS (--tls-cert and --tls-key); use 127.0.0.1 to \
             serve this machine only",
            options.listen
        )));
    }
    let tls = match &options.tls {
        Some((cert, key)) => Some(tls_acceptor(cert, key)?),
        None => None,
    };
    let runtime = crate::sql::runtime::runtime(options.memory_limit)?;
    let snapshots = Arc::new(Snapshots::new(
        wh.clone(),
        runtime.clone(),
        options.access_dir.as_deref().map(crate::access::audit_path),
    ));
    // Open the newest version now: a warehouse that cannot be read fails here, not at
    // the first client.
    let version = snapshots.version_for(None).await?;
    snapshots.context(version, &crate::access::Scope::Everything).await?;

    let limits = Limits {
        query_timeout: options.query_timeout,
    };
    let hooks: Vec<Arc<dyn QueryHook>> = vec![
        Arc::new(ReadHook {
            snapshots: snapshots.clone(),
            limits,
            accounts: accounts.clone(),
        }),
        Arc::new(SetShowHook),
        Arc::new(TransactionStatementHook),
    ];
    // The base session holds no tables: every read is planned in a snapshot's session;
    // the base only answers client settings (`SET`/`SHOW`) and runs prepared plans.
    let base = Arc::new(SessionContext::new_with_config_rt(
        crate::sql::config(&wh.settings().query),
        runtime,
    ));
    let inner = Arc::new(DfSessionService::new_with_hooks(base, hooks));
    let listener = TcpListener::bind(options.listen)
        .await
        .map_err(|e| Error::Serve(format!("cannot listen on {}: {e}", options.listen)))?;
    Ok(Server {
        listener,
        tls,
        service: Arc::new(Service::new(inner, snapshots, limits, accounts.clone())),
        accounts,
        failures: Arc::default(),
        manager: Arc::new(ConnectionManager::new()),
        options,
    })
}

/// The handlers of one connection.
struct Connection {
    service: Arc<Service>,
    gate: Arc<Gate>,
    cancel: Arc<DefaultCancelHandler>,
}

impl PgWireServerHandlers for Connection {
    fn simple_query_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::query::SimpleQueryHandler> {
        self.service.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::query::ExtendedQueryHandler> {
        self.service.clone()
    }

    fn startup_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::auth::StartupHandler> {
        self.gate.clone()
    }

    fn cancel_handler(&self) -> Arc<impl datafusion_postgres::pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }
}

impl Server {
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// A one-line description for the operator (never the password).
    pub fn describe(&self) -> String {
        let users = self.accounts.users.as_ref().map_or(0, |f| f.current().users.len());
        let logins = match (users, self.accounts.shared.is_some()) {
            (0, false) => "logins off (loopback, no users)".to_string(),
            (0, true) => "shared password (SCRAM-SHA-256)".to_string(),
            (n, shared) => format!(
                "{n} users (SCRAM-SHA-256){}",
                if shared { " and the shared password" } else { "" }
            ),
        };
        let audit = match &self.accounts.audit {
            Some(log) => format!("audit trail {}", log.path().display()),
            None => "no audit trail (give --access-dir)".into(),
        };
        format!(
            "TLS {}, {logins}, {audit}, at most {} connections, {} s per query, {} MiB for queries",
            if self.tls.is_some() { "required" } else { "off" },
            self.options.max_connections,
            self.options.query_timeout.as_secs(),
            self.options.memory_limit >> 20
        )
    }

    /// Accepts connections until `shutdown` completes, then lets open connections finish
    /// for up to the drain time.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) -> Result<()> {
        let active = Arc::new(AtomicUsize::new(0));
        let cancel = Arc::new(DefaultCancelHandler::new(self.manager.clone()));
        let mut tasks = tokio::task::JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            let (socket, peer) = tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!("serve: accept failed: {e}");
                        continue;
                    }
                },
            };
            let _ = socket.set_nodelay(true);
            let open = active.fetch_add(1, Ordering::SeqCst);
            let gate = if open >= self.options.max_connections {
                tracing::warn!(%peer, "serve: refused, {open} connections open");
                Gate::closed(
                    "53300",
                    format!(
                        "too many connections: the server allows {} (ceping serve --max-connections)",
                        self.options.max_connections
                    ),
                    self.accounts.clone(),
                )
            } else {
                Gate::new(
                    self.accounts.clone(),
                    self.tls.is_some(),
                    self.failures.clone(),
                    self.manager.clone(),
                )
            };
            let handlers = Arc::new(Connection {
                service: self.service.clone(),
                gate: Arc::new(gate),
                cancel: cancel.clone(),
            });
            let tls = self.tls.clone();
            let active = active.clone();
            tasks.spawn(async move {
                tracing::debug!(%peer, "serve: connection");
                if let Err(e) = process_socket(socket, tls, handlers).await {
                    tracing::debug!(%peer, "serve: connection ended: {e}");
                }
                active.fetch_sub(1, Ordering::SeqCst);
            });
            // Reap finished connections so the set stays small.
            while tasks.try_join_next().is_some() {}
        }
        drop(self.listener);
        let open = active.load(Ordering::SeqCst);
        if open > 0 {
            tracing::info!(
                "serve: stopping; waiting up to {:?} for {open} connections",
                self.options.drain
            );
        }
        let drained =
            tokio::time::timeout(self.options.drain, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!("serve: closing {} connections still open", tasks.len());
            tasks.shutdown().await;
        }
        Ok(())
    }
}

/// TLS from PEM files; any failure stops the server (never a silent fallback to
/// plain text).
fn tls_acceptor(cert: &std::path::Path, key: &std::path::Path) -> Result<TlsAcceptor> {
    use datafusion_postgres::pgwire::tokio::tokio_rustls::rustls;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls_error = |what: &std::path::Path, e: &dyn std::fmt::Display| {
        Error::Serve(format!("TLS set-up failed: {}: {e}", what.display()))
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| tls_error(cert, &e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| tls_error(cert, &e))?;
    if certs.is_empty() {
        return Err(tls_error(cert, &"no certificate in the file"));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| tls_error(key, &e))?;
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| tls_error(cert, &e))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
