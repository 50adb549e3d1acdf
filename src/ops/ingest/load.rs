//! The write side of one file's ingest, under a [`Writer`]: the idempotency check, the
//! revision of a revisioned kind, the look-ups its kind declares, streaming rows and
//! rejects to staged files while the sheet is read, and the one commit. Generic over the
//! kind's declaration: nothing here names a kind.

use std::collections::HashSet;
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::prelude::SessionContext;

use crate::error::{Error, Location, Result};
use crate::ingest::kind::{digest, Context, LookupTable, Refresh, Shape, SourceKind};
use crate::ingest::workbook::Workbook;
use crate::ingest::{prepare, read_rows, Options, Outputs, Parsed};
use crate::schema::REJECTS;
use crate::warehouse::{conform, LogRow, Snapshot, Staged, TableWrite, Warehouse, Writer};

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
/// look-ups) is read from the writer's snapshot, under its lock. Appended rows stream
/// into new data files while the sheet is read, so memory stays bounded; keyed rows
/// stream to a scratch file for one upsert. The rows, the rejects and the `ingest_log`
/// entry are committed together, or not at all.
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
    let mut wb = Workbook::open(path, &wh.settings().limits)?;
    step("opened");
    if let Some(earlier) = wh.already_ingested(&snapshot, &wb.sha256).await? {
        return Ok(Outcome::AlreadyIngested { earlier });
    }
    let prepared = tokio::task::block_in_place(|| prepare(&mut wb, opts))?;
    let kind = prepared.kind;
    let mut ctx = lookups(&wh, &snapshot, kind, prepared.companion).await?;
    // (revision, whether it becomes the year's current one)
    let revision = match kind.table().revisioned() {
        true => Some(next_revision(&wh, &snapshot, kind, &wb.name, prepared.year, opts.revision).await?),
        false => None,
    };
    ctx.revision = revision.map(|(r, _)| r);
    step("looked up, numbered the revision");

    // The ids of the rows another table's flag depends on (a plan's systems that have
    // assessments), as digests: 16 bytes each at a national warehouse.
    let refresh = kind
        .refreshes()
        .filter(|_| revision.is_some_and(|(_, current)| current));
    let known: HashSet<u128> = match refresh {
        Some(r) => known_ids(&wh, &snapshot, r).await?,
        None => HashSet::new(),
    };
    let mut listed: HashSet<u128> = HashSet::new();
    let id_column = refresh.map(|r| r.id);
    let mut note_ids = |b: &RecordBatch| -> Result<()> {
        if let Some(id) = id_column {
            let ids = strings(b.column(b.schema().index_of(id)?))?;
            listed.extend(
                ids.iter()
                    .flatten()
                    .map(|id| digest(&[id]))
                    .filter(|id| known.contains(id)),
            );
        }
        Ok(())
    };
    let handle = tokio::runtime::Handle::current();
    // Rejects stream to their own data files, like appended rows: memory stays bounded
    // whatever share of the rows is bad.
    let mut staged_rejects = writer.stage(&REJECTS).await?;
    // Rows a companion takes (the register's, from a plan's 关基 columns) stream to a
    // scratch file; at the commit they fill in the stored rows.
    let mut companion_stage = match prepared.companion {
        Some(c) => Some(writer.stage_keyed(c.table(), c.key())?),
        None => None,
    };
    let mut companion = |b: RecordBatch| match companion_stage.as_mut() {
        Some(stage) => stage.write(&b),
        None => Ok(()),
    };
    let (read, mut rows) = if kind.key().is_empty() {
        let mut staged = writer.stage(kind.table()).await?;
        let read = tokio::task::block_in_place(|| {
            read_rows(
                &mut wb,
                &prepared,
                &ctx,
                progress,
                Outputs {
                    rows: &mut |b| {
                        note_ids(&b)?;
                        handle.block_on(staged.write(b))
                    },
                    rejects: &mut |b| handle.block_on(staged_rejects.write(b)),
                    companion: &mut companion,
                },
            )
        });
        (read, Rows::Staged(Box::new(staged)))
    } else {
        // Keyed rows stream to a scratch file for one upsert at the commit.
        let mut keyed = writer.stage_keyed(kind.table(), kind.key())?;
        let read = tokio::task::block_in_place(|| {
            read_rows(
                &mut wb,
                &prepared,
                &ctx,
                progress,
                Outputs {
                    rows: &mut |b| keyed.write(&b),
                    rejects: &mut |b| handle.block_on(staged_rejects.write(b)),
                    companion: &mut companion,
                },
            )
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
                    let earlier = wh.revisions(&snapshot, kind.name(), year).await?;
                    if let Some(from) = earlier.into_iter().filter(|r| *r < next).max() {
                        let n = carry_other_departments(
                            &wh,
                            &snapshot,
                            kind,
                            (year, from, next),
                            &departments,
                            staged,
                            &mut |id| {
                                let id = digest(&[id]);
                                if known.contains(&id) {
                                    listed.insert(id);
                                }
                            },
                        )
                        .await?;
                        carried = Some((n, from));
                    }
                }
                if let (Some(year), Some(r)) = (parsed.year, refresh) {
                    writes.extend(refresh_flag(writer, r, year, &listed).await?);
                }
                if let (Some((c, _)), Some(stage)) = (parsed.companion, companion_stage.take()) {
                    writes.push(fill_in(writer, c, stage.finish()?).await?);
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
    step("refreshed dependent flags");
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

/// The revision a revisioned kind's file becomes (the next of its year unless `--revision`
/// says which), and whether it becomes the year's current one.
async fn next_revision(
    wh: &Warehouse,
    snapshot: &Snapshot,
    kind: &dyn SourceKind,
    file: &str,
    year: Option<i32>,
    asked: Option<i32>,
) -> Result<(i32, bool)> {
    let location = || Location {
        file: file.to_string(),
        ..Default::default()
    };
    let Some(year) = year else {
        return Err(Error::workbook(
            location(),
            format!("a {} workbook needs a year; pass --year", kind.name()),
        ));
    };
    let loaded = wh.revisions(snapshot, kind.name(), year).await?;
    let newest = loaded.iter().copied().max().unwrap_or(0);
    let next = match asked {
        Some(r) if loaded.contains(&r) => {
            return Err(Error::Usage(format!(
                "{file}: revision {r} of the {year} {} is already loaded; leave --revision out for the next one ({})",
                kind.name(),
                newest + 1
            )))
        }
        Some(r) if r < 1 => return Err(Error::Usage(format!("{file}: --revision is 1 or more, not {r}"))),
        Some(r) => r,
        None => newest + 1,
    };
    Ok((next, next >= newest))
}

/// A department's return revises only its own rows: the other departments' rows of
/// revision `from` are written into revision `next` as they were, with their own lineage
/// (they still come from the file, sheet and row they were loaded from). Returns how many.
#[allow(clippy::too_many_arguments)]
async fn carry_other_departments(
    wh: &Warehouse,
    snapshot: &Snapshot,
    kind: &dyn SourceKind,
    (year, from, next): (i32, i32, i32),
    departments: &[String],
    staged: &mut Staged,
    note: &mut (dyn FnMut(&str) + Send),
) -> Result<u64> {
    let table = kind.table();
    let session = tables_at(wh, snapshot, &[table.name]).await?;
    let schema = table.schema();
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
        "SELECT {} FROM {} WHERE year = {year} AND revision = {from} \
         AND (department IS NULL OR department NOT IN ({}))",
        columns.join(", "),
        table.name,
        quoted.join(", ")
    );
    let mut stream = session.sql(&sql).await?.execute_stream().await?;
    let mut n = 0;
    let id = kind.refreshes().map(|r| r.id);
    use futures::StreamExt;
    while let Some(b) = stream.next().await {
        let b = conform(&b?, &schema)?;
        if let Some(id) = id {
            let ids = strings(b.column(schema.index_of(id)?))?;
            ids.iter().flatten().for_each(&mut *note);
        }
        n += b.num_rows() as u64;
        staged.write(b).await?;
    }
    Ok(n)
}

/// The file's rows for the commit: data files already written, or a staged keyed file to upsert.
enum Rows {
    Staged(Box<Staged>),
    Ready(TableWrite),
    None,
}

/// A header and no data rows is an error: there is nothing to load.
fn nothing_to_load(parsed: Parsed) -> Result<Parsed> {
    if parsed.loaded() == 0 && parsed.rejected() == 0 {
        return Err(Error::workbook(
            Location {
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

/// The look-ups the kind (and its companion) declare, each run over the snapshot once and
/// kept as digests. Streamed batch by batch: only the tables are held.
pub async fn lookups(
    wh: &Warehouse,
    snapshot: &Snapshot,
    kind: &dyn SourceKind,
    companion: Option<&dyn SourceKind>,
) -> Result<Context> {
    let mut ctx = Context::default();
    let mut declared: Vec<&'static crate::ingest::kind::Lookup> = kind.lookups().to_vec();
    for l in companion.map(|c| c.lookups()).unwrap_or_default() {
        if !declared.iter().any(|d| d.name == l.name) {
            declared.push(l);
        }
    }
    for lookup in declared {
        let session = tables_at(wh, snapshot, lookup.tables).await?;
        let mut table = LookupTable::default();
        each_batch(&session, lookup.sql, |b| {
            let columns = (0..b.num_columns())
                .map(|i| strings(b.column(i)))
                .collect::<Result<Vec<_>>>()?;
            let keys = match lookup.shape {
                Shape::Set => columns.len(),
                Shape::Map => columns.len().saturating_sub(1),
            };
            let mut key: Vec<&str> = Vec::with_capacity(keys);
            for i in 0..b.num_rows() {
                if columns[..keys].iter().any(|c| c.is_null(i)) {
                    continue;
                }
                key.clear();
                key.extend(columns[..keys].iter().map(|c| c.value(i)));
                let value = match lookup.shape {
                    Shape::Set => None,
                    Shape::Map if columns[keys].is_null(i) => continue,
                    Shape::Map => Some(columns[keys].value(i)),
                };
                table.insert(&key, value);
            }
            Ok(())
        })
        .await?;
        ctx.set_lookup(lookup.name, table);
    }
    Ok(ctx)
}

/// Rows a companion took from another kind's workbook fill in the stored rows: a column
/// the workbook left blank keeps the stored value (a plan's 关基 column does not blank the
/// register's 密码 columns); the merged rows then replace the stored ones by key, with the
/// lineage of the row that changed them last.
async fn fill_in(writer: &Writer, companion: &dyn SourceKind, staged: TableWrite) -> Result<TableWrite> {
    let TableWrite::UpsertFile { path, .. } = &staged else {
        return Ok(staged);
    };
    let table = companion.table();
    let key = table.key();
    let ctx = tables_at(writer.warehouse(), writer.snapshot(), &[table.name]).await?;
    let scratch = path.to_string_lossy().into_owned();
    let filled = ctx
        .register_parquet(
            "filled_from",
            &scratch,
            datafusion::prelude::ParquetReadOptions::default(),
        )
        .await;
    if let Err(e) = filled {
        staged.discard();
        return Err(e.into());
    }
    let lineage: Vec<&str> = crate::schema::LINEAGE.iter().map(|c| c.name).collect();
    let columns: Vec<String> = table
        .all_columns()
        .map(|c| match key.contains(&c.name) || lineage.contains(&c.name) {
            true => format!("n.\"{0}\" AS \"{0}\"", c.name),
            false => format!("COALESCE(n.\"{0}\", o.\"{0}\") AS \"{0}\"", c.name),
        })
        .collect();
    let on: Vec<String> = key.iter().map(|k| format!("o.\"{k}\" = n.\"{k}\"")).collect();
    let sql = format!(
        "SELECT {} FROM filled_from n LEFT JOIN {} o ON {}",
        columns.join(", "),
        table.name,
        on.join(" AND ")
    );
    let schema = table.schema();
    let mut merged = writer.stage_keyed(table, key)?;
    let result = each_batch(&ctx, &sql, |b| merged.write(&conform(b, &schema)?)).await;
    staged.discard();
    result?;
    merged.finish()
}

/// The ids of `refresh.table` (digests): only rows of the new revision with these ids can
/// flip a flag.
async fn known_ids(wh: &Warehouse, snapshot: &Snapshot, refresh: &Refresh) -> Result<HashSet<u128>> {
    let session = tables_at(wh, snapshot, &[refresh.table.name]).await?;
    let mut out = HashSet::new();
    each_batch(
        &session,
        &format!("SELECT DISTINCT {} FROM {}", refresh.id, refresh.table.name),
        |b| {
            out.extend(strings(b.column(0))?.iter().flatten().map(|id| digest(&[id])));
            Ok(())
        },
    )
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

/// A new current revision for `year` changes `refresh.flag` of `refresh.table`'s rows of
/// that year: the rows whose flag flips, as an upsert of that table.
///
/// `listed`: the ids of the new revision, at least all that `refresh.table` has.
async fn refresh_flag(
    writer: &Writer,
    refresh: &Refresh,
    year: i32,
    listed: &HashSet<u128>,
) -> Result<Option<TableWrite>> {
    use datafusion::arrow::array::BooleanArray;
    use datafusion::arrow::compute::filter_record_batch;
    let table = refresh.table;
    let session = tables_at(writer.warehouse(), writer.snapshot(), &[table.name]).await?;
    let schema = table.schema();
    // The flipped rows stream to a scratch file for the same upsert as a workbook's.
    let mut staged = writer.stage_keyed(table, table.key())?;
    each_batch(
        &session,
        &format!("SELECT * FROM {} WHERE {} = {year}", table.name, refresh.year),
        |b| {
            let b = conform(b, &schema)?;
            let ids = strings(b.column(schema.index_of(refresh.id)?))?;
            let flag = schema.index_of(refresh.flag)?;
            let was = b.column(flag).as_boolean().clone();
            let now: BooleanArray = (0..b.num_rows())
                .map(|i| Some(!ids.is_null(i) && listed.contains(&digest(&[ids.value(i)]))))
                .collect();
            let flips: BooleanArray = (0..b.num_rows())
                .map(|i| Some(was.is_null(i) || was.value(i) != now.value(i)))
                .collect();
            let mut cols = b.columns().to_vec();
            cols[flag] = std::sync::Arc::new(now);
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
