//! The warehouse side of an ingest: the lookups mappers need, the idempotency check,
//! revisions, and the one commit.

use std::path::Path;

use datafusion::arrow::array::{Array, AsArray};

use super::kind::Context;
use super::workbook::Workbook;
use super::{read_workbook, rejects_batch, Options, Parsed};
use crate::error::{Error, Result};
use crate::sql;
use crate::warehouse::schema::{ASSESSMENTS, REJECTS};
use crate::warehouse::{LogRow, TableWrite, Warehouse};

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
    let started = std::time::Instant::now();
    let step = |what: &str| tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "{what}");
    let mut wb = Workbook::open(path)?;
    step("opened");
    if let Some(earlier) = wh.already_ingested(&wb.sha256).await? {
        return Ok(Outcome::AlreadyIngested { earlier });
    }
    let ctx = lookups(wh).await?;
    step("looked up plans and assessments");
    // Plans: the revision is known only once the year is; read first, number after.
    let mut parsed = tokio::task::block_in_place(|| read_workbook(&mut wb, opts, &ctx, progress))?;
    if parsed.loaded() == 0 && parsed.rejected() == 0 {
        return Err(Error::workbook(
            crate::error::Location {
                file: parsed.workbook_name.clone(),
                ..Default::default()
            },
            "the workbook has a header but no data rows; nothing to load",
        ));
    }
    step("read");
    // (revision, whether it becomes the year's current plan)
    let mut revision = None;
    if parsed.kind.name() == "plan" {
        let year = parsed.year.expect("plans always have a year");
        let loaded = wh.plan_revisions(year).await? as i32;
        let next = opts.revision.unwrap_or(loaded + 1);
        revision = Some((next, next >= loaded));
        parsed.rows = with_revision(&parsed.rows, next)?;
    }
    step("numbered the revision");
    let rejects = rejects_batch(
        parsed.kind.name(),
        &parsed.workbook_name,
        &parsed.sha256,
        &parsed.rejects,
    )?;
    let mut writes = vec![
        match parsed.kind.key() {
            [] => TableWrite::Append(parsed.kind.table(), vec![parsed.rows.clone()]),
            keys => TableWrite::Upsert {
                table: parsed.kind.table(),
                batch: parsed.rows.clone(),
                keys,
            },
        },
        TableWrite::Append(&REJECTS, vec![rejects]),
    ];
    if let (Some(year), Some((_, true))) = (parsed.year, revision) {
        writes.extend(refresh_planned(wh, year, &parsed.rows).await?);
    }
    let revision = revision.map(|(r, _)| r);
    step("refreshed planned flags");
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
    let version = wh.commit_ingest(writes, log).await?;
    step("committed");
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
    let (_, batches) = sql::exec::query(&session.ctx, "SELECT year, system_id FROM plan_items_current").await?;
    for b in &batches {
        let years = datafusion::arrow::compute::cast(b.column(0), &datafusion::arrow::datatypes::DataType::Int32)?;
        let years = years.as_primitive::<datafusion::arrow::datatypes::Int32Type>();
        let ids = crate::sql::exec::strings(b.column(1))?;
        for i in 0..b.num_rows() {
            if !years.is_null(i) && !ids.is_null(i) {
                ctx.planned.insert((years.value(i), ids.value(i).to_string()));
            }
        }
    }
    let (_, batches) = sql::exec::query(&session.ctx, "SELECT assessment_id, system_id FROM assessments").await?;
    for b in &batches {
        let (a, s) = (
            crate::sql::exec::strings(b.column(0))?,
            crate::sql::exec::strings(b.column(1))?,
        );
        for i in 0..b.num_rows() {
            if !a.is_null(i) && !s.is_null(i) {
                ctx.assessments.insert(a.value(i).to_string(), s.value(i).to_string());
            }
        }
    }
    Ok(ctx)
}

/// A new current plan for `year` changes which of that year's assessments are planned:
/// the rows whose `planned` flips, as an upsert of `assessments`.
async fn refresh_planned(
    wh: &Warehouse,
    year: i32,
    plan: &datafusion::arrow::array::RecordBatch,
) -> Result<Option<TableWrite>> {
    use datafusion::arrow::array::{BooleanArray, RecordBatch};
    use datafusion::arrow::compute::{cast, concat_batches, filter_record_batch};
    let ids = crate::sql::exec::strings(plan.column(plan.schema().index_of("system_id")?))?;
    let planned: std::collections::HashSet<&str> = (0..ids.len())
        .filter(|i| !ids.is_null(*i))
        .map(|i| ids.value(i))
        .collect();
    let session = sql::session(wh, None).await?;
    let (_, batches) =
        sql::exec::query(&session.ctx, &format!("SELECT * FROM assessments WHERE year = {year}")).await?;
    let schema = ASSESSMENTS.schema();
    let mut changed = Vec::new();
    for b in batches {
        // Scans give Utf8View; the table's own types go back in.
        let columns = b
            .columns()
            .iter()
            .zip(schema.fields())
            .map(|(c, f)| cast(c, f.data_type()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let b = RecordBatch::try_new(schema.clone(), columns)?;
        let system = crate::sql::exec::strings(b.column(schema.index_of("system_id")?))?;
        let was = b.column(schema.index_of("planned")?).as_boolean().clone();
        let now: BooleanArray = (0..b.num_rows())
            .map(|i| Some(!system.is_null(i) && planned.contains(system.value(i))))
            .collect();
        let flips: BooleanArray = (0..b.num_rows())
            .map(|i| Some(was.is_null(i) || was.value(i) != now.value(i)))
            .collect();
        let mut cols = b.columns().to_vec();
        cols[schema.index_of("planned")?] = std::sync::Arc::new(now);
        changed.push(filter_record_batch(
            &RecordBatch::try_new(schema.clone(), cols)?,
            &flips,
        )?);
    }
    let batch = concat_batches(&schema, &changed)?;
    Ok((batch.num_rows() > 0).then_some(TableWrite::Upsert {
        table: &ASSESSMENTS,
        batch,
        keys: &["assessment_id"],
    }))
}

/// The plan rows with their revision set (it is known only once the year is read).
fn with_revision(
    rows: &datafusion::arrow::array::RecordBatch,
    revision: i32,
) -> Result<datafusion::arrow::array::RecordBatch> {
    let i = rows.schema().index_of("revision")?;
    let mut columns = rows.columns().to_vec();
    columns[i] = std::sync::Arc::new(datafusion::arrow::array::Int32Array::from(vec![
        revision;
        rows.num_rows()
    ]));
    Ok(datafusion::arrow::array::RecordBatch::try_new(rows.schema(), columns)?)
}
