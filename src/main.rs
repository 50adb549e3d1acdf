//! The `ceping` binary: parse arguments, run the command, print an error once, exit.

use std::process::ExitCode;

use ceping::cli::Command;
use clap::Parser;

fn main() -> ExitCode {
    // A bug must still end in one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if msg.contains("Broken pipe") {
            // The reader of our output went away (`ceping sql … | head`): not an error.
            std::process::exit(0);
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error{at}: {msg} (please report it with the command that caused it)");
    }));
    let cli = ceping::cli::Cli::parse();
    if matches!(
        cli.command,
        Command::Sql(_) | Command::Report(_) | Command::Serve(_) | Command::Trace(_) | Command::Diff { .. }
    ) {
        return_large_buffers();
    }
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(ceping::app::run(cli)) {
        Ok(code) => code,
        // The reader of our output went away (`ceping sql … | head`): not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", chain(&e));
            // The advice is chosen by the kind of error (`ceping::Error::hint`).
            if let Some(hint) = e.chain().find_map(|c| c.downcast_ref::<ceping::Error>()?.hint()) {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "ceping=warn",
        1 => "ceping=info",
        _ => "ceping=debug,info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.to_string().contains("Broken pipe (os error 32)")
            || c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || matches!(c.downcast_ref::<ceping::Error>(), Some(ceping::Error::Io(io)) if io.kind() == std::io::ErrorKind::BrokenPipe)
            || matches!(c.downcast_ref::<ceping::Error>(), Some(ceping::Error::Arrow(datafusion::arrow::error::ArrowError::IoError(_, io))) if io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line, leaving out a cause its parent already quotes.
fn chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let msg = cause.to_string();
        if !out.contains(&msg) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&msg);
        }
    }
    out
}

/// For the commands that run queries: glibc's malloc returns every buffer of 1 MiB or more
/// to the system when it is freed. By default its threshold for that rises to the largest
/// buffer freed so far (up to 32 MiB), so the hash tables and batches a query frees stay
/// in the heap and the next operator's are added on top: at L, 6–13 % of the metric views'
/// peak memory (docs/PERFORMANCE.md). Ingest keeps the default (its buffers are reused
/// batch after batch). `MALLOC_MMAP_THRESHOLD_` or `GLIBC_TUNABLES` in the environment win.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn return_large_buffers() {
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some() || std::env::var_os("GLIBC_TUNABLES").is_some() {
        return;
    }
    // SAFETY: mallopt sets one of malloc's parameters; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_buffers() {}
