//! `ceping serve`: resolve the options (the password from a file or the environment,
//! never from the command line), bind, announce, serve until Ctrl-C / SIGTERM.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::ServeArgs;
use crate::serve::{self, ServeOptions};
use crate::warehouse::Warehouse;

pub async fn run(wh: &Warehouse, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let password = match &args.password_file {
        Some(path) => {
            let text = fs_err::read_to_string(path).context("reading the password file")?;
            Some(text.lines().next().unwrap_or_default().to_string())
        }
        None => wh.settings().password.clone(),
    };
    let options = ServeOptions {
        listen: args.listen,
        password,
        tls: args.tls_cert.zip(args.tls_key),
        max_connections: args.max_connections.max(1),
        query_timeout: Duration::from_secs(args.query_timeout.max(1)),
        memory_limit: wh.settings().query.memory_limit,
        drain: Duration::from_secs(args.drain),
        access_dir: match crate::access::access_dir(wh.settings().access_dir.as_deref(), wh.local_root()) {
            Ok(dir) => Some(dir),
            Err(_) => {
                eprintln!(
                    "ceping serve: no access directory for an s3:// warehouse (--access-dir): no users, no audit trail"
                );
                None
            }
        },
        session_lifetime: Duration::from_secs(args.session_lifetime.max(1)),
    };
    let server = serve::bind(wh.clone(), options).await?;
    let addr = server.local_addr()?;
    eprintln!(
        "ceping serve: listening on {addr} (database ceping, warehouse {}); {}",
        wh.root(),
        server.describe()
    );
    server.run(shutdown_signal()).await?;
    eprintln!("ceping serve: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
