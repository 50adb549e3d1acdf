//! `ceping user add|list|remove` and `ceping audit`: the users file and the audit trail
//! of the access directory ([`crate::access`]).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;

use crate::access::audit::{self, Record};
use crate::access::scram::Verifier;
use crate::access::{self as acl, Role, User, Users};
use crate::cli::UserAction;
use crate::sql::print::{write_batches, OutputFormat};
use crate::warehouse::Warehouse;

fn access_dir(wh: &Warehouse) -> anyhow::Result<std::path::PathBuf> {
    Ok(acl::access_dir(wh.settings().access_dir.as_deref(), wh.local_root())?)
}

pub async fn user(wh: &Warehouse, action: UserAction, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let path = acl::users_path(&access_dir(wh)?);
    let mut users = Users::load(&path)?;
    match action {
        UserAction::Add { name, role, department } => {
            let department = match (role, department) {
                (Role::Department, Some(d)) => {
                    let d = crate::ingest::normalize::text(&d);
                    if d.is_empty() {
                        bail!("the department is empty");
                    }
                    warn_unknown_department(wh, &d).await?;
                    Some(d)
                }
                (Role::Department, None) => bail!("a department user needs --department"),
                (_, Some(_)) => bail!("--department is only for --role department"),
                (_, None) => None,
            };
            let password = read_password(&name)?;
            let user = User {
                name: name.clone(),
                role,
                department: department.clone(),
                password: Verifier::new(&password).to_string(),
                added: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            };
            let replaced = users.put(user).map_err(anyhow::Error::msg)?;
            users.save(&path)?;
            writeln!(
                out,
                "{} user `{name}` ({}{}) in {}; a running server uses it at the next login",
                if replaced { "changed" } else { "added" },
                role.as_str(),
                department.map(|d| format!(": {d}")).unwrap_or_default(),
                path.display()
            )?;
        }
        UserAction::List { format } => {
            let column = |f: &dyn Fn(&User) -> Option<String>| -> ArrayRef {
                Arc::new(users.users.iter().map(f).collect::<StringArray>())
            };
            let schema = Arc::new(Schema::new(
                ["name", "role", "department", "added"]
                    .map(|n| Field::new(n, DataType::Utf8, true))
                    .to_vec(),
            ));
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![
                    column(&|u| Some(u.name.clone())),
                    column(&|u| Some(u.role.as_str().into())),
                    column(&|u| u.department.clone()),
                    column(&|u| Some(u.added.clone())),
                ],
            )?;
            write_batches(&schema, &[batch], format, out)?;
        }
        UserAction::Remove { name } => {
            if !users.remove(&name) {
                bail!("there is no user `{name}` in {} (`ceping user list`)", path.display());
            }
            users.save(&path)?;
            writeln!(
                out,
                "removed user `{name}`; its open sessions end at their next statement"
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A department no table names is most likely a typo; said, not refused (its rows may
/// come later).
async fn warn_unknown_department(wh: &Warehouse, department: &str) -> anyhow::Result<()> {
    let session = crate::sql::session(wh, None).await?;
    let tables: Vec<&str> = wh
        .catalog()
        .tables()
        .filter(|t| t.all_columns().any(|c| c.name == "department"))
        .map(|t| t.name)
        .collect();
    let sql = tables
        .iter()
        .map(|t| format!("SELECT DISTINCT department FROM {t}"))
        .collect::<Vec<_>>()
        .join(" UNION ");
    let batches = session.ctx.sql(&sql).await?.collect().await?;
    let mut known: Vec<String> = crate::sql::print::cell_strings(&batches)?
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .collect();
    known.sort();
    if !known.iter().any(|d| d == department) {
        eprintln!(
            "warning: no table names the department `{department}` yet; the user will see no rows until one does \
             (departments in the warehouse: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join("、")
            }
        );
    }
    Ok(())
}

/// The password from the terminal (asked twice, not echoed) or from the first line of
/// standard input.
fn read_password(name: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = prompt(&format!("password for {name}: "))?;
        let again = prompt("again: ")?;
        if first != again {
            bail!("the two passwords differ; nothing changed");
        }
        first
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.is_empty() {
        bail!("the password is empty; nothing changed");
    }
    Ok(password)
}

/// One line from the terminal with echo off (`stty`), echo restored after.
fn prompt(text: &str) -> anyhow::Result<String> {
    eprint!("{text}");
    std::io::stderr().flush()?;
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    let hidden = stty("-echo");
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if hidden {
        stty("echo");
    }
    eprintln!();
    read.context("reading the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// What `ceping audit` keeps.
pub struct AuditFilter {
    pub user: Option<String>,
    pub since: Option<String>,
    pub event: Option<String>,
    pub refused: bool,
    pub last: Option<usize>,
}

pub fn audit(
    wh: &Warehouse,
    filter: AuditFilter,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let path = acl::audit_path(&access_dir(wh)?);
    let since = match &filter.since {
        None => None,
        Some(t) => Some(parse_since(t).with_context(|| format!("--since `{t}`: not YYYY-MM-DD or an RFC 3339 time"))?),
    };
    if let Some(e) = &filter.event {
        if e != "connect" && e != "statement" {
            bail!("--event `{e}`: connect or statement");
        }
    }
    let mut records: Vec<Record> = audit::read(&path)?
        .into_iter()
        .filter(|r| filter.user.as_ref().is_none_or(|u| &r.user == u))
        .filter(|r| filter.event.as_ref().is_none_or(|e| &r.event == e))
        .filter(|r| !filter.refused || r.outcome == "refused")
        .filter(|r| {
            since.is_none_or(|s| {
                chrono::DateTime::parse_from_rfc3339(&r.time).is_ok_and(|t| t.with_timezone(&chrono::Utc) >= s)
            })
        })
        .collect();
    if let Some(n) = filter.last {
        records = records.split_off(records.len().saturating_sub(n));
    }
    let batch = audit::to_batch(&records)?;
    write_batches(&batch.schema(), &[batch], format, out)?;
    Ok(ExitCode::SUCCESS)
}

fn parse_since(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}
