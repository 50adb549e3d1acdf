//! `ceping trace VIEW`: the source rows (file, sheet, row) behind a metric's figures, from
//! one SQL file per view in `src/sql/trace/`, filtered by the figure's coordinates.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;

use super::exec::query;
use super::{strip_comments, Session, AS_OF_PLACEHOLDER};
use crate::error::{Error, Result};

include!(concat!(env!("OUT_DIR"), "/trace.rs"));

/// The coordinates of a figure.
#[derive(Debug, Default, Clone)]
pub struct Filters {
    pub year: Option<i32>,
    pub quarter: Option<i8>,
    pub department: Option<String>,
    pub unit: Option<String>,
    /// The date for views evaluated on a date (letters, cycle status); today when absent.
    pub date: Option<chrono::NaiveDate>,
}

pub fn traceable() -> Vec<&'static str> {
    TRACE_FILES.iter().map(|(n, _)| *n).collect()
}

pub async fn trace(session: &Session, view: &str, f: &Filters) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let Some((_, text)) = TRACE_FILES.iter().find(|(n, _)| *n == view) else {
        return Err(Error::Usage(format!(
            "no trace for `{view}`; traceable views: {}",
            traceable().join(", ")
        )));
    };
    let date = f.date.map_or("CURRENT_DATE".to_string(), |d| {
        format!("DATE '{}'", d.format("%Y-%m-%d"))
    });
    let inner = strip_comments(text).replace(AS_OF_PLACEHOLDER, &date);
    let (schema, _) = query(&session.ctx, &format!("SELECT * FROM ({inner}) t LIMIT 0")).await?;
    let has = |c: &str| schema.fields().iter().any(|x| x.name() == c);
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let mut conditions = Vec::new();
    let wanted: [(&str, Option<String>); 4] = [
        ("year", f.year.map(|v| v.to_string())),
        ("quarter", f.quarter.map(|v| v.to_string())),
        ("department", f.department.as_deref().map(quote)),
        ("unit", f.unit.as_deref().map(quote)),
    ];
    for (column, value) in wanted {
        let Some(value) = value else { continue };
        if !has(column) {
            let usable: Vec<&str> = ["year", "quarter", "department", "unit"]
                .into_iter()
                .filter(|c| has(c))
                .collect();
            return Err(Error::Usage(format!(
                "`{view}` has no {column}; its figures are traced by {}",
                usable.join(", ")
            )));
        }
        conditions.push(format!("{column} = {value}"));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    query(
        &session.ctx,
        &format!("SELECT * FROM ({inner}) t {filter} ORDER BY source_file, source_sheet, source_row"),
    )
    .await
}
