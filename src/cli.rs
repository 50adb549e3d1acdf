//! Command-line types (clap derive). The doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::sql::print::OutputFormat;
use crate::warehouse::AsOf;

/// ceping (测评): a warehouse of security-assessment oversight statistics.
///
/// Ingest plan, assessment, findings, budget and system-register workbooks into Delta tables, then query
/// them with SQL. The data contract is DATA_MODEL.md; `ceping tables` prints it.
#[derive(Debug, Parser)]
#[command(name = "ceping", version, propagate_version = true)]
pub struct Cli {
    /// The warehouse: a directory, or s3://BUCKET/PREFIX on S3-compatible object storage
    /// (credentials and endpoint from the AWS_* variables). Created on first use.
    #[arg(long, global = true, env = "CEPING_WAREHOUSE", default_value = "warehouse")]
    pub warehouse: String,

    /// Raise or lower a limit on what one workbook may use, e.g. `--limit cell_chars=40000`
    /// (limits: sheet_bytes, shared_strings_bytes, cell_chars, columns, rows,
    /// merged_regions). Also CEPING_LIMITS="a=1,b=2" and `[limits]` in
    /// <warehouse>/ceping.toml; a flag beats the environment, which beats the file.
    #[arg(long = "limit", global = true, value_name = "NAME=VALUE")]
    pub limits: Vec<String>,

    /// Memory queries may use together, e.g. 4G or 512M (default: half the machine's
    /// memory). Sorts and aggregations over it spill to temporary files; a query that still
    /// needs more fails (`serve`: SQLSTATE 53200, the other queries go on).
    #[arg(long, global = true, env = "CEPING_MEMORY_LIMIT", value_name = "SIZE", value_parser = crate::settings::size::parse_usize)]
    pub memory_limit: Option<usize>,

    /// Where the server's users file (users.toml) and audit trail (audit.jsonl) live
    /// (default: <warehouse>/_access; an s3:// warehouse needs one on this machine).
    #[arg(long, global = true, env = "CEPING_ACCESS_DIR", value_name = "DIR")]
    pub access_dir: Option<PathBuf>,

    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the warehouse directory and its tables (any command does this on first use).
    Init,
    /// List the tables and views with their Chinese labels.
    Tables {
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// The data dictionary of one table or view: columns, types, labels, meaning.
    Describe {
        /// A table or view name, e.g. plan_items.
        name: String,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Run SQL: a query argument, a file (-f), or an interactive prompt when neither is given.
    Sql(SqlArgs),
    /// Load workbooks (.xlsx, .xls, .ods) into the warehouse; each file is one commit.
    Ingest(IngestArgs),
    /// Show how a workbook would be read, loading nothing: headers, mapping, skips, rejects.
    Inspect {
        file: PathBuf,
        /// Read the file as this kind instead of detecting it.
        #[arg(long)]
        kind: Option<crate::ingest::KindName>,
        /// How many sample rejects to show per sheet.
        #[arg(long, default_value_t = 10)]
        rejects: usize,
    },
    /// List rejected rows, or export fix-list workbooks for the units to correct.
    Rejects {
        /// Only rejects of this source file name.
        #[arg(long)]
        file: Option<String>,
        /// Write one fix-list workbook per source file into DIR.
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Run a pipeline file: ingest globs, print and export query results.
    Run {
        /// A pipeline TOML file, e.g. pipelines/briefing.toml.
        pipeline: PathBuf,
    },
    /// List the source rows (file, sheet, row) behind a metric view's figures.
    Trace(TraceArgs),
    /// Write a quarterly summary or a leadership briefing: report.html, report.md,
    /// report.xlsx and charts/*.png|svg.
    Report(ReportArgs),
    /// Print the statements that register the warehouse's tables and every metric view in
    /// Spark or Sail (Spark SQL), DuckDB or DataFusion: paste them into that engine's session.
    Views {
        /// The engine's SQL dialect.
        #[arg(long, value_enum, default_value = "spark")]
        dialect: ViewDialect,
        /// Read every table as it was at a warehouse version (see `ceping history`) or time.
        #[arg(long, value_name = "VERSION|TIME")]
        as_of: Option<AsOf>,
        /// The date the date-taking views are evaluated on (default: the engine's today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<chrono::NaiveDate>,
        /// Bind each table to the snapshot's Parquet files instead of its Delta location
        /// (an engine without a Delta reader, such as Spark from the pyspark wheel).
        #[arg(long)]
        files: bool,
    },
    /// Which figures of a view moved between two warehouse states, and which source rows moved them.
    Diff {
        /// The earlier state: a warehouse version or time.
        #[arg(long, value_name = "VERSION|TIME")]
        from: AsOf,
        /// The later state (default: now).
        #[arg(long, value_name = "VERSION|TIME")]
        to: Option<AsOf>,
        /// The view, e.g. execution_by_quarter.
        view: String,
    },
    /// Verify the warehouse: every table at its recorded version, schemas, lineage, row
    /// counts per file. Exit 0 consistent, 2 an interrupted ingest to undo (`--repair`),
    /// 1 problems repair cannot fix.
    Check {
        /// Undo what an interrupted ingest left (tables ahead of the log, staged files).
        #[arg(long)]
        repair: bool,
        /// Seconds to wait for a running ingest to finish.
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
        wait: f64,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Compact every table's small data files into fewer large ones (one warehouse version,
    /// the same rows), then vacuum: delete data files no version newer than the retention
    /// needs. For warehouses that have taken thousands of small ingests.
    Optimize {
        /// Keep the files of versions this recent (hours), so `--as-of` within it still reads.
        #[arg(long, value_name = "HOURS", default_value_t = 168.0)]
        retention_hours: f64,
        /// Compact only; delete nothing.
        #[arg(long)]
        no_vacuum: bool,
        /// Seconds to wait for a running ingest to finish.
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
        wait: f64,
    },
    /// Serve the warehouse over the PostgreSQL wire protocol, read-only, for psql, BI
    /// tools (DBeaver, Metabase, Power BI) and Python. Stops on Ctrl-C / SIGTERM.
    Serve(ServeArgs),
    /// The users of `ceping serve`: each logs in with its own password and sees what its
    /// role allows (office: everything; department: its department's rows; auditor:
    /// everything and the audit trail). A running server reads the file again on change.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// The server's audit trail: every connection and statement (user, address, time,
    /// statement, rows, duration, refused or not), oldest first.
    Audit {
        /// Only this user's records.
        #[arg(long)]
        user: Option<String>,
        /// Only records at or after this time (YYYY-MM-DD or RFC 3339).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only `connect` or `statement` records.
        #[arg(long, value_name = "EVENT")]
        event: Option<String>,
        /// Only refused logins and statements.
        #[arg(long)]
        refused: bool,
        /// The last N records (after the filters).
        #[arg(long, value_name = "N")]
        last: Option<usize>,
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Write a year's department preview sheets (计划预告单): one .xlsx per department.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Write the letters due on a date: one .docx per unit behind plan (测评工作便函 or
    /// 督促函) and an index workbook of every letter.
    Letters {
        /// The date the letters are written on (YYYY-MM-DD).
        #[arg(long)]
        date: chrono::NaiveDate,
        /// The output directory.
        #[arg(long)]
        out: PathBuf,
        /// Read the warehouse as it was at a version or time.
        #[arg(long, value_name = "VERSION|TIME")]
        as_of: Option<AsOf>,
    },
    /// The warehouse's versions: one per ingested file (for `--as-of`).
    History {
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user, or give an existing one a new password, role or department. The
    /// password is asked for on the terminal (twice), or read from the first line of
    /// standard input when that is not a terminal; it is never an argument.
    Add {
        name: String,
        /// office, department or auditor.
        #[arg(long)]
        role: crate::access::Role,
        /// The department (主管部门) a department user sees, as the tables name it.
        #[arg(long, required_if_eq("role", "department"))]
        department: Option<String>,
    },
    /// The users, their roles and departments (never a password).
    List {
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Remove a user; its open sessions end at their next statement.
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// One workbook per department with its systems of the year's current plan, in the
    /// office's layout (title, 主管部门, header band, print set-up). A department returns
    /// it corrected; `ceping ingest` loads it as the year's next revision of that
    /// department's rows.
    Preview {
        /// The plan year.
        #[arg(long)]
        year: i32,
        /// The output directory (one file per department, named after it).
        #[arg(long)]
        out: PathBuf,
        /// Read the warehouse as it was at a version or time.
        #[arg(long, value_name = "VERSION|TIME")]
        as_of: Option<AsOf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The SQL to run; several statements are separated by `;`.
    pub query: Option<String>,
    /// Run the SQL in FILE.
    #[arg(short = 'f', long = "file", conflicts_with = "query")]
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Write the result to FILE instead of stdout (required for parquet).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Read every table as it was at a warehouse version (see `ceping history`) or time.
    #[arg(long, value_name = "VERSION|TIME")]
    pub as_of: Option<AsOf>,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on. Anything but loopback needs a password and TLS.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:5433")]
    pub listen: std::net::SocketAddr,
    /// A file whose first line is the password clients give (SCRAM-SHA-256). The
    /// CEPING_PASSWORD environment variable is the alternative; neither is ever printed.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// The TLS certificate chain (PEM). With --tls-key, every client must use TLS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM, PKCS#8 or PKCS#1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// At most this many clients at once; more are refused (SQLSTATE 53300).
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_connections: usize,
    /// Cancel a statement running longer than this (SQLSTATE 57014); a client's
    /// statement_timeout may only shorten it.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub query_timeout: u64,
    /// Seconds open connections get to finish after Ctrl-C / SIGTERM.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub drain: u64,
    /// Seconds a login lasts; a session older than this is ended at its next statement
    /// and must log in again.
    #[arg(long, value_name = "SECONDS", default_value_t = 28_800)]
    pub session_lifetime: u64,
}

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// Workbooks to load; each succeeds or fails on its own.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The kind of the files (detected from title, headers and file name when absent).
    #[arg(long)]
    pub kind: Option<crate::ingest::KindName>,
    /// The year the files are about (detected from the title or file name when absent).
    #[arg(long)]
    pub year: Option<i32>,
    /// The plan revision (by default the next one for the year); one already loaded is refused.
    #[arg(long)]
    pub revision: Option<i32>,
    /// Seconds to wait for another ingest writing the same warehouse before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub wait: f64,
    /// Load a sheet even when more than half its data rows are rejected for one column
    /// (by default the file stops: the header row was probably misread; see `inspect`).
    #[arg(long)]
    pub accept_rejects: bool,
}

#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    #[arg(help = crate::sql::trace::TRACE_HELP)]
    pub view: String,
    #[arg(long)]
    pub year: Option<i32>,
    #[arg(long, value_parser = clap::value_parser!(i8).range(1..=4))]
    pub quarter: Option<i8>,
    #[arg(long)]
    pub department: Option<String>,
    #[arg(long)]
    pub unit: Option<String>,
    /// The date letters and cycle status are evaluated on (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<chrono::NaiveDate>,
    /// Read the warehouse as it was at a version or time.
    #[arg(long, value_name = "VERSION|TIME")]
    pub as_of: Option<AsOf>,
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[arg(value_enum)]
    pub kind: crate::report::ReportKind,
    #[arg(long)]
    pub year: i32,
    /// The quarter (quarterly reports).
    #[arg(long, value_parser = clap::value_parser!(i8).range(1..=4))]
    pub quarter: Option<i8>,
    /// Read the warehouse as it was at a version or time, to reproduce an old report.
    #[arg(long, value_name = "VERSION|TIME")]
    pub as_of: Option<AsOf>,
    /// The output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Labels in Chinese (default) or English.
    #[arg(long, value_enum, default_value_t)]
    pub lang: crate::report::Lang,
}

/// The engines `ceping views` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ViewDialect {
    /// Spark SQL: Apache Spark, Sail, Databricks.
    Spark,
    /// DuckDB with its delta extension.
    Duckdb,
    /// DataFusion, as `ceping sql` runs the views.
    Datafusion,
}

impl From<ViewDialect> for crate::sql::dialect::Dialect {
    fn from(d: ViewDialect) -> Self {
        match d {
            ViewDialect::Spark => Self::Spark,
            ViewDialect::Duckdb => Self::Duckdb,
            ViewDialect::Datafusion => Self::Datafusion,
        }
    }
}
