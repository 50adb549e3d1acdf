//! The audit trail: every connection and every statement of `ceping serve`, one JSON
//! object per line in `<access dir>/audit.jsonl`, appended as it happens. It lives outside
//! the warehouse's versions (an ingest, `--as-of` or `optimize` neither changes nor hides
//! it). Read by `ceping audit` and, over the server, by `auditor` users as the table
//! `audit_log`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{ArrayRef, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One line of the trail.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// UTC, RFC 3339 with microseconds.
    pub time: String,
    /// `connect` (a login, let in or refused) or `statement`.
    pub event: String,
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The client's address and port.
    pub address: String,
    /// The statement as the client sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// Rows sent to the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// `ok`; `refused` (a login or a statement the rules do not allow); `failed` (an
    /// error while planning or running).
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Record {
    pub fn now(event: &str, user: &str, address: &str) -> Record {
        Record {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            event: event.into(),
            user: user.into(),
            address: address.into(),
            outcome: "ok".into(),
            ..Record::default()
        }
    }
}

/// The appending side, shared by every connection of a server.
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl AuditLog {
    pub fn open(path: PathBuf) -> Result<Arc<AuditLog>> {
        let access = |e: std::io::Error| Error::Access {
            path: path.clone(),
            message: format!("cannot open the audit log for appending: {e}"),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(access)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(access)?;
        Ok(Arc::new(AuditLog {
            file: Mutex::new(file),
            path,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as one write of one line. A failure is logged, never the
    /// client's error: the statement has already run.
    pub fn append(&self, record: &Record) {
        let mut line = match serde_json::to_vec(record) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("audit: cannot encode a record: {e}");
                return;
            }
        };
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = file.write_all(&line) {
            tracing::error!(path = %self.path.display(), "audit: cannot append: {e}");
        }
    }
}

/// Every record of the log, oldest first. A line that cannot be read (a torn last line
/// after a crash) is reported with its number.
pub fn read(path: &Path) -> Result<Vec<Record>> {
    let text = match fs_err::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) => records.push(r),
            Err(e) => {
                // A torn last line (a crash while appending) is skipped with a warning;
                // anything else is an error.
                if i + 1 == text.lines().count() {
                    tracing::warn!(path = %path.display(), "audit: the last line is incomplete: {e}");
                } else {
                    return Err(Error::Access {
                        path: path.to_path_buf(),
                        message: format!("line {}: not an audit record: {e}", i + 1),
                    });
                }
            }
        }
    }
    Ok(records)
}

/// The columns of `audit_log` and `ceping audit`.
pub fn schema() -> SchemaRef {
    let text = |n: &str, nullable| Field::new(n, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        text("event", false),
        text("user", false),
        text("role", true),
        text("department", true),
        text("address", false),
        text("statement", true),
        Field::new("rows", DataType::Int64, true),
        Field::new("duration_ms", DataType::Float64, true),
        text("outcome", false),
        text("message", true),
    ]))
}

/// Records as one Arrow batch.
pub fn to_batch(records: &[Record]) -> Result<RecordBatch> {
    let mut time = TimestampMicrosecondBuilder::new().with_timezone("UTC");
    let mut texts: Vec<StringBuilder> = (0..8).map(|_| StringBuilder::new()).collect();
    let mut rows = Int64Builder::new();
    let mut duration = Float64Builder::new();
    for r in records {
        let t = chrono::DateTime::parse_from_rfc3339(&r.time)
            .map(|t| t.timestamp_micros())
            .unwrap_or_default();
        time.append_value(t);
        texts[0].append_value(&r.event);
        texts[1].append_value(&r.user);
        texts[2].append_option(r.role.as_deref());
        texts[3].append_option(r.department.as_deref());
        texts[4].append_value(&r.address);
        texts[5].append_option(r.statement.as_deref());
        rows.append_option(r.rows.map(|n| n as i64));
        duration.append_option(r.duration_ms);
        texts[6].append_value(&r.outcome);
        texts[7].append_option(r.message.as_deref());
    }
    let mut t = texts.into_iter();
    let mut next = || Arc::new(t.next().expect("eight text columns").finish()) as ArrayRef;
    let (event, user, role, department, address, statement) = (next(), next(), next(), next(), next(), next());
    let (outcome, message) = (next(), next());
    let columns: Vec<ArrayRef> = vec![
        Arc::new(time.finish()),
        event,
        user,
        role,
        department,
        address,
        statement,
        Arc::new(rows.finish()),
        Arc::new(duration.finish()),
        outcome,
        message,
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_append_and_read_back() {
        let dir = std::env::temp_dir().join(format!("ceping-audit-{}", std::process::id()));
        let path = dir.join("audit.jsonl");
        let log = AuditLog::open(path.clone()).unwrap();
        let mut a = Record::now("connect", "wjw", "127.0.0.1:5000");
        a.role = Some("department".into());
        a.department = Some("市卫健委".into());
        log.append(&a);
        let mut b = Record::now("statement", "wjw", "127.0.0.1:5000");
        b.statement = Some("SELECT 1".into());
        b.rows = Some(1);
        b.duration_ms = Some(0.5);
        log.append(&b);
        drop(log);
        // a torn last line is skipped
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"time\":")
            .unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back, vec![a, b]);
        let batch = to_batch(&back).unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema(), schema());
        // a bad line in the middle is an error naming the line
        std::fs::write(&path, "nonsense\n{}\n").unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("line 1"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
