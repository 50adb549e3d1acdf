//! A rejected row, and the `rejects` table's rows for a batch of them.

use datafusion::arrow::array::RecordBatch;

use super::row::{Lineage, TableBuilder, Value};
use crate::error::Result;
use crate::schema::REJECTS;

/// A rejected row as the walker saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub sheet: String,
    pub row: u32,
    pub column: Option<String>,
    pub value: Option<String>,
    pub reason: String,
    pub raw: Vec<(String, String)>,
}

/// Rejects kept per sheet for `inspect`; all of them stream to the `rejects` table.
pub const REJECT_SAMPLES: usize = 50;
/// Rejects are handed on in batches of this many.
pub(super) const REJECT_BATCH: usize = 4096;

/// The rejects as a `rejects` batch.
pub fn rejects_batch(kind: &str, file: &str, sha: &str, rejects: &[Reject]) -> Result<RecordBatch> {
    let mut b = TableBuilder::new(&REJECTS);
    for r in rejects {
        let raw =
            serde_json::to_string(&r.raw.iter().map(|(h, v)| [h, v]).collect::<Vec<_>>()).expect("strings serialise");
        let values = vec![
            Value::Str(kind.to_string()),
            r.column.clone().into(),
            r.value.clone().into(),
            Value::Str(r.reason.clone()),
            Value::Str(raw),
        ];
        let lineage = Lineage {
            file,
            sha,
            sheet: &r.sheet,
            row: r.row,
        };
        b.push_with_lineage(values, &lineage);
    }
    b.finish()
}
