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

/// Runs each statement of `sql`, printing its result (and its time with `\timing`).
async fn run_and_print(
    ctx: &datafusion::prelude::SessionContext,
    sql: &str,
    format: OutputFormat,
    timing: bool,
) -> Result<()> {
    let statements = datafusion::sql::parser::DFParser::parse_sql(sql)?;
    for statement in statements {
        let started = std::time::Instant::now();
        let (schema, batches) = crate::sql::exec::run_statement(ctx, statement).await?;
        let elapsed = started.elapsed();
        if !(schema.fields().is_empty() && batches.iter().all(|b| b.num_rows() == 0)) {
            write_batches(&schema, &batches, format, &mut std::io::stdout().lock())?;
        }
        if timing {
            println!("Time: {:.3} ms", elapsed.as_secs_f64() * 1000.0);
        }
    }
    Ok(())
}

/// Whether `buffer` ends a statement: its last token, outside strings, quoted names and
/// comments, is `;` (the SQL tokenizer decides, as datafusion-cli does).
pub(crate) fn statement_complete(buffer: &str) -> bool {
    use datafusion::sql::sqlparser::dialect::GenericDialect;
    use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
    match Tokenizer::new(&GenericDialect {}, buffer).tokenize() {
        // An unterminated string or quoted name: the statement goes on.
        Err(_) => false,
        Ok(tokens) => tokens
            .iter()
            .rev()
            .find(|t| !matches!(t, Token::Whitespace(_)))
            .is_some_and(|t| *t == Token::SemiColon),
    }
}

const HELP: &str = "\\d         list tables and views
\\d NAME    describe a table or view (columns, types, Chinese labels)
\\timing    print each statement's time (on/off)
\\q         quit
\\?         this help
SQL statements end with `;` and may span lines (a `;` in a string or comment does not end one).";

/// A backslash command.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    List,
    Describe(String),
    Timing,
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
        (Some("timing"), _) => Command::Timing,
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
    let mut timing = false;
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
                    Command::Timing => {
                        timing = !timing;
                        println!("Timing is {}.", if timing { "on" } else { "off" });
                        Ok(())
                    }
                    Command::Help => {
                        println!("{HELP}");
                        Ok(())
                    }
                    Command::List => list_tables(session.catalog, session.views())
                        .and_then(|l| print_listing(l, OutputFormat::Table)),
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
        if statement_complete(&buffer) {
            let sql = std::mem::take(&mut buffer);
            if let Some(ed) = editor.as_mut() {
                let _ = ed.add_history_entry(sql.trim());
            }
            ok = report(run_and_print(&session.ctx, &sql, format, timing).await);
        }
    }
    if !buffer.trim().is_empty() {
        ok = report(run_and_print(&session.ctx, &buffer, format, timing).await);
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
        assert_eq!(parse_command("\\timing"), Some(Command::Timing));
    }

    #[test]
    fn a_statement_ends_at_a_semicolon_outside_strings_and_comments() {
        assert!(statement_complete("SELECT 1;\n"));
        assert!(statement_complete("SELECT 1; -- done\n"));
        assert!(!statement_complete("SELECT 'ends with;\n"));
        assert!(statement_complete("SELECT 'ends with;\n' AS s;\n"));
        assert!(!statement_complete("SELECT 1 -- not yet;\n"));
        assert!(!statement_complete("SELECT \"odd;\n"));
        assert!(!statement_complete("SELECT 1\n"));
    }
}
