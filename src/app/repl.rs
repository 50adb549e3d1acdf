//! The interactive SQL prompt: multi-line statements end with `;`, backslash commands
//! (`\d`, `\d NAME`, `\q`, `\?`) act at once. On a terminal it keeps history in
//! `~/.ceping_history`; fed from a pipe it reads stdin line by line without prompts.

use std::io::BufRead;

use crate::error::Result;
use crate::sql::exec::{describe, list_tables};
use crate::sql::print::{write_batches, OutputFormat};
use crate::sql::Session;

fn print_listing(listing: crate::ops::Rows, format: OutputFormat) -> Result<()> {
    write_batches(&listing.0, &listing.1, format, &mut std::io::stdout().lock())
}

async fn run_and_print(ctx: &datafusion::prelude::SessionContext, sql: &str, format: OutputFormat) -> Result<()> {
    for (schema, batches) in crate::sql::exec::run_all(ctx, sql).await? {
        write_batches(&schema, &batches, format, &mut std::io::stdout().lock())?;
    }
    Ok(())
}

const HELP: &str = "\\d         list tables and views
\\d NAME    describe a table or view (columns, types, Chinese labels)
\\q         quit
\\?         this help
SQL statements end with `;` and may span lines.";

/// A backslash command.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    List,
    Describe(String),
    Quit,
    Help,
    Unknown(String),
}

fn parse_command(line: &str) -> Option<Command> {
    let line = line.trim();
    let rest = line.strip_prefix('\\')?;
    let mut parts = rest.split_whitespace();
    Some(match (parts.next(), parts.next()) {
        (Some("d"), None) => Command::List,
        (Some("d"), Some(name)) => Command::Describe(name.trim_end_matches(';').to_string()),
        (Some("q"), _) => Command::Quit,
        (Some("?"), _) | (Some("h"), _) => Command::Help,
        _ => Command::Unknown(line.to_string()),
    })
}

/// Runs the REPL until `\q` or end of input. Errors in a statement are printed and the
/// loop goes on; the exit is an error only if the last statement failed in pipe mode.
pub async fn run(session: &Session, format: OutputFormat) -> Result<bool> {
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let mut editor = if interactive {
        rustyline::DefaultEditor::new().ok()
    } else {
        None
    };
    let history = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".ceping_history"));
    if let (Some(ed), Some(h)) = (editor.as_mut(), history.as_ref()) {
        let _ = ed.load_history(h);
    }
    if interactive {
        println!(
            "ceping SQL (warehouse version {}). \\? for help, \\q to quit.",
            session.warehouse_version
        );
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut buffer = String::new();
    let mut ok = true;
    loop {
        let prompt = if buffer.is_empty() { "ceping> " } else { "   ...> " };
        let line = match editor.as_mut() {
            Some(ed) => match ed.readline(prompt) {
                Ok(l) => l,
                Err(rustyline::error::ReadlineError::Interrupted) => {
                    buffer.clear();
                    continue;
                }
                Err(_) => break,
            },
            None => match lines.next() {
                Some(Ok(l)) => l,
                _ => break,
            },
        };
        if buffer.is_empty() {
            if let Some(cmd) = parse_command(&line) {
                if let Some(ed) = editor.as_mut() {
                    let _ = ed.add_history_entry(line.as_str());
                }
                let result = match cmd {
                    Command::Quit => break,
                    Command::Help => {
                        println!("{HELP}");
                        Ok(())
                    }
                    Command::List => list_tables().and_then(|l| print_listing(l, OutputFormat::Table)),
                    Command::Describe(name) => match describe(session, &name).await {
                        Ok(l) => print_listing(l, OutputFormat::Table),
                        Err(e) => Err(e),
                    },
                    Command::Unknown(c) => Err(crate::error::Error::Usage(format!(
                        "unknown command `{c}`; \\? lists them"
                    ))),
                };
                ok = report(result);
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if line.trim_end().ends_with(';') {
            let sql = std::mem::take(&mut buffer);
            if let Some(ed) = editor.as_mut() {
                let _ = ed.add_history_entry(sql.trim());
            }
            ok = report(run_and_print(&session.ctx, &sql, format).await);
        }
    }
    if !buffer.trim().is_empty() {
        ok = report(run_and_print(&session.ctx, &buffer, format).await);
    }
    if let (Some(ed), Some(h)) = (editor.as_mut(), history.as_ref()) {
        let _ = ed.save_history(h);
    }
    Ok(ok)
}

fn report(result: Result<()>) -> bool {
    match result {
        Ok(()) => true,
        Err(e) => {
            eprintln!("error: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backslash_commands_parse() {
        assert_eq!(parse_command("\\d"), Some(Command::List));
        assert_eq!(
            parse_command(" \\d plan_items "),
            Some(Command::Describe("plan_items".into()))
        );
        assert_eq!(parse_command("\\q"), Some(Command::Quit));
        assert_eq!(parse_command("select 1;"), None);
        assert_eq!(parse_command("\\x"), Some(Command::Unknown("\\x".into())));
    }
}
