//! The warehouse side of an ingest: the lookups mappers need, the idempotency check,
//! revisions, and the one commit.

use std::path::Path;

use std::collections::HashSet;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};

use super::kind::Context;
use super::workbook::Workbook;
use super::{prepare, read_rows, rejects_batch, Options, Parsed};
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
///
/// Kinds that only append (plans) stream their rows into new data files while the sheet
/// is read, so memory stays bounded; kinds with a key collect theirs for one MERGE. The
/// rows, the rejects and the `ingest_log` entry are committed together, or not at all.
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
    let mut ctx = lookups(wh).await?;
    let prepared = tokio::task::block_in_place(|| prepare(&mut wb, opts))?;
    let kind = prepared.kind;
    // (revision, whether it becomes the year's current plan)
    let mut revision = None;
    if kind.name() == "plan" {
        let year = prepared.year.expect("plans always have a year");
        let loaded = wh.plan_revisions(year).await? as i32;
        let next = opts.revision.unwrap_or(loaded + 1);
        revision = Some((next, next >= loaded));
        ctx.revision = Some(next);
    }
    step("looked up plans and assessments, numbered the revision");

    // Systems of known assessments that this plan lists (a new current plan re-flags them).
    let assessed: HashSet<String> = ctx.assessments.values().cloned().collect();
    let mut listed: HashSet<String> = HashSet::new();
    let mut note_systems = |b: &RecordBatch| -> Result<()> {
        if kind.name() == "plan" {
            let ids = crate::sql::exec::strings(b.column(b.schema().index_of("system_id")?))?;
            listed.extend(
                ids.iter()
                    .flatten()
                    .filter(|id| assessed.contains(*id))
                    .map(str::to_string),
            );
        }
        Ok(())
    };
    let handle = tokio::runtime::Handle::current();
    let (parsed, rows) = if kind.key().is_empty() {
        let mut staged = wh.stage(kind.table()).await?;
        let read = tokio::task::block_in_place(|| {
            read_rows(&mut wb, &prepared, &ctx, progress, &mut |b| {
                note_systems(&b)?;
                handle.block_on(staged.write(b))
            })
        });
        match read.and_then(nothing_to_load) {
            Ok(parsed) => (parsed, Rows::Staged(Box::new(staged))),
            Err(e) => {
                staged.discard().await;
                return Err(e);
            }
        }
    } else {
        let mut batches = Vec::new();
        let parsed = tokio::task::block_in_place(|| {
            read_rows(&mut wb, &prepared, &ctx, progress, &mut |b| {
                batches.push(b);
                Ok(())
            })
        })
        .and_then(nothing_to_load)?;
        let batch = datafusion::arrow::compute::concat_batches(&kind.table().schema(), &batches)?;
        let upsert = TableWrite::Upsert {
            table: kind.table(),
            batch,
            keys: kind.key(),
        };
        (parsed, Rows::Ready(upsert))
    };
    step("read");
    let others = async {
        let rejects = rejects_batch(kind.name(), &parsed.workbook_name, &parsed.sha256, &parsed.rejects)?;
        let mut writes = vec![TableWrite::Append(&REJECTS, vec![rejects])];
        if let (Some(year), Some((_, true))) = (parsed.year, revision) {
            writes.extend(refresh_planned(wh, year, &listed).await?);
        }
        Ok::<_, Error>(writes)
    }
    .await;
    let others = match others {
        Ok(others) => others,
        Err(e) => {
            if let Rows::Staged(staged) = rows {
                (*staged).discard().await;
            }
            return Err(e);
        }
    };
    let mut writes = vec![match rows {
        Rows::Staged(staged) => (*staged).finish().await?,
        Rows::Ready(write) => write,
    }];
    writes.extend(others);
    step("refreshed planned flags");
    let revision = revision.map(|(r, _)| r);
    let log = LogRow {
        file_name: parsed.workbook_name.clone(),
        sha256: parsed.sha256.clone(),
        kind: kind.name().to_string(),
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

/// The file's rows for the commit: data files already written, or a batch to MERGE.
enum Rows {
    Staged(Box<crate::warehouse::Staged>),
    Ready(TableWrite),
}

/// A header and no data rows is an error: there is nothing to load.
fn nothing_to_load(parsed: Parsed) -> Result<Parsed> {
    if parsed.loaded() == 0 && parsed.rejected() == 0 {
        return Err(Error::workbook(
            crate::error::Location {
                file: parsed.workbook_name.clone(),
                ..Default::default()
            },
            "the workbook has a header but no data rows; nothing to load",
        ));
    }
    Ok(parsed)
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
///
/// `planned`: the systems of the new plan, at least all that have assessments.
async fn refresh_planned(wh: &Warehouse, year: i32, planned: &HashSet<String>) -> Result<Option<TableWrite>> {
    use datafusion::arrow::array::BooleanArray;
    use datafusion::arrow::compute::{cast, concat_batches, filter_record_batch};
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
