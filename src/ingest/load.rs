//! The warehouse side of an ingest: the lookups mappers need, the idempotency check,
//! revisions, and the one commit.

use std::path::Path;

use std::collections::HashSet;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};

use datafusion::prelude::SessionContext;

use super::kind::{digest, Context, Lookups};
use super::workbook::Workbook;
use super::{prepare, read_rows, Options, Parsed};
use crate::error::{Error, Result};
use crate::warehouse::schema::{ASSESSMENTS, PLAN_ITEMS, REJECTS};
use crate::warehouse::{conform, LogRow, Snapshot, TableWrite, Warehouse, Writer};

/// What ingesting one file did.
pub enum Outcome {
    Loaded {
        parsed: Parsed,
        revision: Option<i32>,
        version: i64,
        /// A department's return: the other departments' rows carried into the new
        /// revision from the one before, and that revision.
        carried: Option<(u64, i32)>,
    },
    AlreadyIngested {
        earlier: String,
    },
}

/// Ingests one file as one commit; the same bytes again are a no-op.
///
/// Everything decided from the warehouse (is the file new, the next revision, the
/// lookups) is read from the writer's snapshot, under its lock. Kinds that only append
/// (plans) stream their rows into new data files while the sheet is read, so memory stays
/// bounded; kinds with a key collect theirs for one MERGE. The rows, the rejects and the
/// `ingest_log` entry are committed together, or not at all.
pub async fn ingest_file(
    writer: &mut Writer,
    path: &Path,
    opts: &Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Outcome> {
    let started = std::time::Instant::now();
    let step = |what: &str| tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "{what}");
    let wh = writer.warehouse().clone();
    let snapshot = writer.snapshot().clone();
    let mut wb = Workbook::open(path)?;
    step("opened");
    if let Some(earlier) = wh.already_ingested(&snapshot, &wb.sha256).await? {
        return Ok(Outcome::AlreadyIngested { earlier });
    }
    let prepared = tokio::task::block_in_place(|| prepare(&mut wb, opts))?;
    let kind = prepared.kind;
    let mut ctx = lookups(&wh, &snapshot, kind.lookups()).await?;
    // (revision, whether it becomes the year's current plan)
    let mut revision = None;
    if kind.name() == "plan" {
        let Some(year) = prepared.year else {
            return Err(Error::Usage(format!("{}: a plan needs a year; pass --year", wb.name)));
        };
        let loaded = wh.plan_revisions(&snapshot, year).await?;
        let newest = loaded.iter().copied().max().unwrap_or(0);
        let next = match opts.revision {
            Some(r) if loaded.contains(&r) => {
                return Err(Error::Usage(format!(
                    "{}: revision {r} of the {year} plan is already loaded; leave --revision out for the next one ({})",
                    wb.name,
                    newest + 1
                )))
            }
            Some(r) if r < 1 => return Err(Error::Usage(format!("{}: --revision is 1 or more, not {r}", wb.name))),
            Some(r) => r,
            None => newest + 1,
        };
        revision = Some((next, next >= newest));
        ctx.revision = Some(next);
    }
    step("looked up plans and assessments, numbered the revision");

    // Systems of known assessments that this plan lists (a new current plan re-flags them).
    // (digests of system ids: 16 bytes each at a national warehouse)
    let assessed: HashSet<u128> = if kind.name() == "plan" {
        assessed_systems(&wh, &snapshot).await?
    } else {
        HashSet::new()
    };
    let mut listed: HashSet<u128> = HashSet::new();
    let mut note_systems = |b: &RecordBatch| -> Result<()> {
        if kind.name() == "plan" {
            let ids = strings(b.column(b.schema().index_of("system_id")?))?;
            listed.extend(
                ids.iter()
                    .flatten()
                    .map(|id| digest(&[id]))
                    .filter(|id| assessed.contains(id)),
            );
        }
        Ok(())
    };
    let handle = tokio::runtime::Handle::current();
    // Rejects stream to their own data files, like appended rows: memory stays bounded
    // whatever share of the rows is bad.
    let mut staged_rejects = writer.stage(&REJECTS).await?;
    let (read, mut rows) = if kind.key().is_empty() {
        let mut staged = writer.stage(kind.table()).await?;
        let read = tokio::task::block_in_place(|| {
            read_rows(
                &mut wb,
                &prepared,
                &ctx,
                progress,
                &mut |b| {
                    note_systems(&b)?;
                    handle.block_on(staged.write(b))
                },
                &mut |b| handle.block_on(staged_rejects.write(b)),
            )
        });
        (read, Rows::Staged(Box::new(staged)))
    } else {
        // Keyed rows stream to a scratch file for one streaming MERGE at the commit.
        let mut keyed = writer.stage_keyed(kind.table(), kind.key())?;
        let read = tokio::task::block_in_place(|| {
            read_rows(&mut wb, &prepared, &ctx, progress, &mut |b| keyed.write(&b), &mut |b| {
                handle.block_on(staged_rejects.write(b))
            })
        });
        match keyed.finish() {
            Ok(write) => (read, Rows::Ready(write)),
            Err(e) => (Err(e), Rows::None),
        }
    };
    step("read");
    let mut carried = None;
    let others = match read.and_then(nothing_to_load) {
        Err(e) => Err(e),
        Ok(parsed) => {
            async {
                let mut writes = Vec::new();
                if let (Some(year), Some((next, true)), Some(departments), Rows::Staged(staged)) =
                    (parsed.year, revision, parsed.returned_departments(), &mut rows)
                {
                    if let Some(from) = wh
                        .plan_revisions(&snapshot, year)
                        .await?
                        .into_iter()
                        .filter(|r| *r < next)
                        .max()
                    {
                        let n = carry_other_departments(
                            &wh,
                            &snapshot,
                            (year, from, next),
                            &departments,
                            staged,
                            &mut |id| {
                                let id = digest(&[id]);
                                if assessed.contains(&id) {
                                    listed.insert(id);
                                }
                            },
                        )
                        .await?;
                        carried = Some((n, from));
                    }
                }
                if let (Some(year), Some((_, true))) = (parsed.year, revision) {
                    writes.extend(refresh_planned(writer, year, &listed).await?);
                }
                Ok::<_, Error>((parsed, writes))
            }
            .await
        }
    };
    let (parsed, others) = match others {
        Ok(x) => x,
        Err(e) => {
            match rows {
                Rows::Staged(staged) => (*staged).discard().await,
                Rows::Ready(write) => write.discard(),
                Rows::None => {}
            }
            staged_rejects.discard().await;
            return Err(e);
        }
    };
    let mut writes = Vec::new();
    match rows {
        Rows::Staged(staged) => writes.push((*staged).finish().await?),
        Rows::Ready(write) => writes.push(write),
        Rows::None => {}
    }
    writes.push(staged_rejects.finish().await?);
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
    let version = writer.commit(writes, log).await?;
    step("committed");
    Ok(Outcome::Loaded {
        parsed,
        revision,
        version,
        carried,
    })
}

/// A department's return revises only its own rows: the other departments' rows of
/// revision `from` are written into revision `next` as they were, with their own lineage
/// (they still come from the file, sheet and row they were loaded from). Returns how many.
async fn carry_other_departments(
    wh: &Warehouse,
    snapshot: &Snapshot,
    (year, from, next): (i32, i32, i32),
    departments: &[String],
    staged: &mut crate::warehouse::Staged,
    note: &mut (dyn FnMut(&str) + Send),
) -> Result<u64> {
    let session = tables_at(wh, snapshot, &[PLAN_ITEMS.name]).await?;
    let schema = PLAN_ITEMS.schema();
    let quoted: Vec<String> = departments
        .iter()
        .map(|d| format!("'{}'", d.replace('\'', "''")))
        .collect();
    let columns: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| match f.name().as_str() {
            "revision" => format!("CAST({next} AS INT) AS revision"),
            name => format!("\"{name}\""),
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM plan_items WHERE year = {year} AND revision = {from} \
         AND (department IS NULL OR department NOT IN ({}))",
        columns.join(", "),
        quoted.join(", ")
    );
    let mut stream = session.sql(&sql).await?.execute_stream().await?;
    let mut n = 0;
    use futures::StreamExt;
    while let Some(b) = stream.next().await {
        let b = conform(&b?, &schema)?;
        let ids = strings(b.column(schema.index_of("system_id")?))?;
        ids.iter().flatten().for_each(&mut *note);
        n += b.num_rows() as u64;
        staged.write(b).await?;
    }
    Ok(n)
}

/// The file's rows for the commit: data files already written, or a staged keyed file to upsert.
enum Rows {
    Staged(Box<crate::warehouse::Staged>),
    Ready(TableWrite),
    None,
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

/// A DataFusion context over just `tables` of a snapshot (no views): what the ingest
/// path reads.
async fn tables_at(wh: &Warehouse, snapshot: &Snapshot, tables: &[&str]) -> Result<SessionContext> {
    let ctx = SessionContext::new();
    wh.register(&ctx, snapshot, tables).await?;
    Ok(ctx)
}

/// A result column as plain strings, whatever string layout the scan produced.
fn strings(col: &datafusion::arrow::array::ArrayRef) -> Result<datafusion::arrow::array::StringArray> {
    let cast = datafusion::arrow::compute::cast(col, &datafusion::arrow::datatypes::DataType::Utf8)?;
    Ok(cast.as_string::<i32>().clone())
}

/// The warehouse state a kind's mapper consults (`which`): current plans (each year's
/// highest revision, as the `plan_items_current` view defines it) and known assessments.
/// Streamed batch by batch: only the maps are held.
pub async fn lookups(wh: &Warehouse, snapshot: &Snapshot, which: Lookups) -> Result<Context> {
    let mut ctx = Context::default();
    if !which.planned && !which.assessments {
        return Ok(ctx);
    }
    let session = tables_at(wh, snapshot, &[PLAN_ITEMS.name, ASSESSMENTS.name]).await?;
    if which.planned {
        each_batch(
            &session,
            "SELECT p.year, p.system_id FROM plan_items p \
             JOIN (SELECT year AS y, MAX(revision) AS r FROM plan_items GROUP BY year) latest \
             ON p.year = latest.y AND p.revision = latest.r",
            |b| {
                let years =
                    datafusion::arrow::compute::cast(b.column(0), &datafusion::arrow::datatypes::DataType::Int32)?;
                let years = years.as_primitive::<datafusion::arrow::datatypes::Int32Type>();
                let ids = strings(b.column(1))?;
                for i in 0..b.num_rows() {
                    if !years.is_null(i) && !ids.is_null(i) {
                        ctx.planned.insert(years.value(i), ids.value(i));
                    }
                }
                Ok(())
            },
        )
        .await?;
    }
    if which.assessments {
        each_batch(&session, "SELECT assessment_id, system_id FROM assessments", |b| {
            let (a, s) = (strings(b.column(0))?, strings(b.column(1))?);
            for i in 0..b.num_rows() {
                if !a.is_null(i) && !s.is_null(i) {
                    ctx.assessments.insert(a.value(i), s.value(i));
                }
            }
            Ok(())
        })
        .await?;
    }
    Ok(ctx)
}

/// The systems that have an assessment (a plan's rows re-flag theirs as planned).
async fn assessed_systems(wh: &Warehouse, snapshot: &Snapshot) -> Result<HashSet<u128>> {
    let session = tables_at(wh, snapshot, &[ASSESSMENTS.name]).await?;
    let mut out = HashSet::new();
    each_batch(&session, "SELECT DISTINCT system_id FROM assessments", |b| {
        out.extend(strings(b.column(0))?.iter().flatten().map(|id| digest(&[id])));
        Ok(())
    })
    .await?;
    Ok(out)
}

/// Runs `sql` and hands each result batch to `f` as it comes.
async fn each_batch(ctx: &SessionContext, sql: &str, mut f: impl FnMut(&RecordBatch) -> Result<()>) -> Result<()> {
    use futures::StreamExt;
    let mut stream = ctx.sql(sql).await?.execute_stream().await?;
    while let Some(b) = stream.next().await {
        f(&b?)?;
    }
    Ok(())
}

/// A new current plan for `year` changes which of that year's assessments are planned:
/// the rows whose `planned` flips, as an upsert of `assessments`.
///
/// `planned`: the systems of the new plan, at least all that have assessments.
async fn refresh_planned(writer: &Writer, year: i32, planned: &HashSet<u128>) -> Result<Option<TableWrite>> {
    use datafusion::arrow::array::BooleanArray;
    use datafusion::arrow::compute::filter_record_batch;
    let session = tables_at(writer.warehouse(), writer.snapshot(), &[ASSESSMENTS.name]).await?;
    let schema = ASSESSMENTS.schema();
    // The flipped rows stream to a scratch file for the same upsert as a results workbook.
    let mut staged = writer.stage_keyed(&ASSESSMENTS, &["assessment_id"])?;
    each_batch(
        &session,
        &format!("SELECT * FROM assessments WHERE year = {year}"),
        |b| {
            let b = conform(b, &schema)?;
            let system = strings(b.column(schema.index_of("system_id")?))?;
            let was = b.column(schema.index_of("planned")?).as_boolean().clone();
            let now: BooleanArray = (0..b.num_rows())
                .map(|i| Some(!system.is_null(i) && planned.contains(&digest(&[system.value(i)]))))
                .collect();
            let flips: BooleanArray = (0..b.num_rows())
                .map(|i| Some(was.is_null(i) || was.value(i) != now.value(i)))
                .collect();
            let mut cols = b.columns().to_vec();
            cols[schema.index_of("planned")?] = std::sync::Arc::new(now);
            let changed = filter_record_batch(&RecordBatch::try_new(schema.clone(), cols)?, &flips)?;
            if changed.num_rows() > 0 {
                staged.write(&changed)?;
            }
            Ok(())
        },
    )
    .await?;
    let write = staged.finish()?;
    Ok(if write.is_empty() {
        write.discard();
        None
    } else {
        Some(write)
    })
}
