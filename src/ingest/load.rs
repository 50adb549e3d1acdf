//! The warehouse side of an ingest: the lookups mappers need, the idempotency check,
//! revisions, and the one commit.

use std::path::Path;

use datafusion::arrow::array::{Array, AsArray as _};

use super::kind::Context;
use super::workbook::Workbook;
use super::{read_workbook, rejects_batch, Options, Parsed};
use crate::error::{Error, Result};
use crate::sql;
use crate::warehouse::schema::REJECTS;
use crate::warehouse::{LogRow, Warehouse};

/// What ingesting one file did.
pub enum Outcome {
    Loaded {
        parsed: Parsed,
        revision: Option<i32>,
        version: i64,
    },
    AlreadyIngested {
        earlier: String,
    },
}

/// Ingests one file as one commit; the same bytes again are a no-op.
pub async fn ingest_file(
    wh: &Warehouse,
    path: &Path,
    opts: &Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Outcome> {
    let mut wb = Workbook::open(path)?;
    if let Some(earlier) = wh.already_ingested(&wb.sha256).await? {
        return Ok(Outcome::AlreadyIngested { earlier });
    }
    let ctx = lookups(wh).await?;
    let mut opts = opts.clone();
    // Plans: the revision is known only once the year is; read first, number after.
    let mut parsed = tokio::task::block_in_place(|| read_workbook(&mut wb, &opts, &ctx, progress))?;
    if parsed.loaded() == 0 && parsed.rejected() == 0 {
        return Err(Error::workbook(
            crate::error::Location {
                file: parsed.workbook_name.clone(),
                ..Default::default()
            },
            "the workbook has a header but no data rows; nothing to load",
        ));
    }
    let mut revision = None;
    if parsed.kind.name() == "plan" {
        let year = parsed.year.expect("plans always have a year");
        let next = opts
            .revision
            .unwrap_or(wh.plan_revisions(year).await? as i32 + 1);
        revision = Some(next);
        if opts.revision.is_none() {
            opts.revision = Some(next);
            let ctx = Context {
                revision: Some(next),
                ..ctx
            };
            parsed = tokio::task::block_in_place(|| read_workbook(&mut wb, &opts, &ctx, &|_| {}))?;
        }
    }
    let rejects = rejects_batch(
        parsed.kind.name(),
        &parsed.workbook_name,
        &parsed.sha256,
        &parsed.rejects,
    )?;
    let log = LogRow {
        file_name: parsed.workbook_name.clone(),
        sha256: parsed.sha256.clone(),
        kind: parsed.kind.name().to_string(),
        year: parsed.year,
        revision,
        rows_loaded: parsed.loaded() as i64,
        rows_rejected: parsed.rejected() as i64,
        rows_skipped: parsed.skipped() as i64,
    };
    let version = wh
        .commit_ingest(
            vec![
                (parsed.kind.table(), vec![parsed.rows.clone()]),
                (&REJECTS, vec![rejects]),
            ],
            log,
        )
        .await?;
    Ok(Outcome::Loaded {
        parsed,
        revision,
        version,
    })
}

/// The warehouse state mappers consult: current plans and known assessments.
pub async fn lookups(wh: &Warehouse) -> Result<Context> {
    let session = sql::session(wh, None).await?;
    let mut ctx = Context::default();
    let (_, batches) = sql::exec::query(
        &session.ctx,
        "SELECT year, system_id FROM plan_items_current",
    )
    .await?;
    for b in &batches {
        let years = datafusion::arrow::compute::cast(
            b.column(0),
            &datafusion::arrow::datatypes::DataType::Int32,
        )?;
        let years = years.as_primitive::<datafusion::arrow::datatypes::Int32Type>();
        let ids = crate::sql::exec::strings(b.column(1))?;
        for i in 0..b.num_rows() {
            if !years.is_null(i) && !ids.is_null(i) {
                ctx.planned
                    .insert((years.value(i), ids.value(i).to_string()));
            }
        }
    }
    let (_, batches) = sql::exec::query(
        &session.ctx,
        "SELECT assessment_id, system_id FROM assessments",
    )
    .await?;
    for b in &batches {
        let (a, s) = (
            crate::sql::exec::strings(b.column(0))?,
            crate::sql::exec::strings(b.column(1))?,
        );
        for i in 0..b.num_rows() {
            if !a.is_null(i) && !s.is_null(i) {
                ctx.assessments
                    .insert(a.value(i).to_string(), s.value(i).to_string());
            }
        }
    }
    Ok(ctx)
}
