//! Reading a whole file: a reader thread streams each sheet's rows (ingest/workbook) while this
//! thread walks them (header band, merged cells, skips), maps each data row with its kind
//! and builds Arrow batches. Memory is bounded by a batch however long the sheet.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;

use datafusion::arrow::array::RecordBatch;

use super::detect::{prepare, title_text, Prepared};
use super::kind::{digest, Context, SourceKind};
use super::reject::{rejects_batch, Reject, REJECT_BATCH, REJECT_SAMPLES};
use super::row::{self, FieldRow, Lineage, TableBuilder, Value};
use super::sheet::{
    department_from_sheet_name, find_department_line, find_header, find_money_unit, Walker, HEADER_SCAN_ROWS,
};
use super::workbook::{MergedRegion, Row, RowChunk, Workbook};
use super::{Options, Parsed, SheetReport, Skip};
use crate::error::{Error, Location, Result};

/// Reads a whole file, writing nothing and keeping no rows: what `inspect` shows.
pub fn read_file(path: &Path, opts: &Options, ctx: &Context, limits: &crate::settings::Limits) -> Result<Parsed> {
    let mut wb = Workbook::open(path, limits)?;
    let prepared = prepare(&mut wb, opts)?;
    let outputs = Outputs {
        rows: &mut |_| Ok(()),
        rejects: &mut |_| Ok(()),
        companion: &mut |_| Ok(()),
    };
    read_rows(&mut wb, &prepared, ctx, &|_| {}, outputs)
}

/// Where a file's batches go, as they are built.
pub struct Outputs<'a> {
    /// Mapped rows of the kind's table.
    pub rows: &'a mut dyn FnMut(RecordBatch) -> Result<()>,
    /// Rejected rows, as `rejects` rows.
    pub rejects: &'a mut dyn FnMut(RecordBatch) -> Result<()>,
    /// Rows of the companion's table ([`Prepared::companion`]).
    pub companion: &'a mut dyn FnMut(RecordBatch) -> Result<()>,
}

/// Mapped rows are handed on in batches of this many, so memory does not grow with the
/// sheet.
pub const BATCH_ROWS: usize = 65_536;

/// Reads every sheet: rows are mapped on this thread while a reader thread streams them
/// (ingest/workbook), and each full batch of mapped rows goes to `outputs.rows`, each batch of
/// rejects (as `rejects` rows) to `outputs.rejects`, rows a companion takes to
/// `outputs.companion`, so memory is bounded by a batch however many rows are good or
/// bad. `progress` is called with the running count of rows read. Returns the per-sheet
/// report and a sample of the rejects.
pub fn read_rows(
    wb: &mut Workbook,
    prepared: &Prepared,
    ctx_base: &Context,
    progress: &(dyn Fn(u64) + Sync),
    outputs: Outputs<'_>,
) -> Result<Parsed> {
    let Outputs {
        rows: on_batch,
        rejects: on_rejects,
        companion: on_companion,
    } = outputs;
    let file_loc = Location {
        file: wb.name.clone(),
        ..Default::default()
    };
    let (kind, year) = (prepared.kind, prepared.year);
    let mut ctx = ctx_base.clone();
    ctx.year = year;
    ctx.words = prepared.words.clone();

    let mut rows_out = TableBuilder::new(kind.table());
    let mut companion_rows = 0;
    let mut sheets = Vec::new();
    let mut rejects = Vec::new();
    let mut samples: Vec<Reject> = Vec::new();
    let sha = wb.sha256.clone();
    let file = wb.name.clone();
    let is_1904 = wb.is_1904;
    let names = prepared.sheets.clone();
    let mut seen: u64 = 0;

    // The reader thread streams rows; this thread walks, maps and builds.
    let (tx, rx) = mpsc::sync_channel::<Message>(CHANNEL_CHUNKS);
    std::thread::scope(|scope| -> Result<()> {
        let reader = scope.spawn(move || -> Result<()> {
            for name in names {
                let started = std::time::Instant::now();
                let merges = wb.merges(&name)?;
                tracing::debug!(
                    sheet = name,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    regions = merges.as_ref().map_or(0, |m| m.len()),
                    "merged regions"
                );
                if tx.send(Message::Sheet(name.clone(), merges)).is_err() {
                    return Ok(());
                }
                let mut closed = false;
                wb.for_each_chunk(&name, CHUNK, |chunk| {
                    closed = tx.send(Message::Rows(chunk)).is_err();
                    !closed
                })?;
                if closed {
                    return Ok(());
                }
                tracing::debug!(
                    sheet = name,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "sheet read"
                );
            }
            Ok(())
        });
        let mut sink = Sink {
            kind,
            fields: prepared.fields,
            companion: prepared.companion.map(|kind| Companion {
                kind,
                out: TableBuilder::new(kind.table()),
                keys: HashMap::new(),
                rows: 0,
                on_batch: on_companion,
            }),
            ctx: &ctx,
            is_1904,
            file: &file,
            sha: &sha,
            out: &mut rows_out,
            rejects: &mut rejects,
            samples: &mut samples,
            keys: HashMap::new(),
            sheet_names: Vec::new(),
            on_batch,
            on_rejects,
            failed: None,
        };
        let mut state: Option<SheetState> = None;
        let (mut waited, mut worked) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        let mut clock = std::time::Instant::now();
        while let Ok(msg) = rx.recv() {
            waited += clock.elapsed();
            clock = std::time::Instant::now();
            match msg {
                Message::Sheet(name, merges) => {
                    if let Some(s) = state.take() {
                        let report = s.finish(&mut sink);
                        sink.guard(&report, prepared.accept_rejects);
                        sheets.push(report);
                    }
                    state = Some(SheetState::new(name, merges));
                }
                Message::Rows(chunk) => {
                    let s = state.as_mut().expect("a sheet starts before its rows");
                    for r in chunk.into_rows() {
                        seen += 1;
                        s.push(r, &mut sink);
                    }
                    progress(seen);
                }
            }
            if sink.failed.is_some() {
                break; // the reader stops at its next send
            }
            worked += clock.elapsed();
            clock = std::time::Instant::now();
        }
        tracing::debug!(
            waited_ms = waited.as_millis() as u64,
            worked_ms = worked.as_millis() as u64,
            "rows mapped (time waiting for the reader / working)"
        );
        if let Some(s) = state.take() {
            let report = s.finish(&mut sink);
            sink.guard(&report, prepared.accept_rejects);
            sheets.push(report);
        }
        sink.emit();
        sink.emit_companion();
        sink.emit_rejects();
        companion_rows = sink.companion.as_ref().map_or(0, |c| c.rows);
        let failed = sink.failed.take();
        drop(rx);
        reader
            .join()
            .map_err(|_| Error::Internal("the workbook reader thread failed".into()))??;
        failed.map_or(Ok(()), Err)
    })?;

    if sheets.iter().all(|s| s.band.is_none()) {
        return Err(Error::workbook(
            file_loc,
            format!(
                "no sheet has a {} header row in its first {HEADER_SCAN_ROWS} rows; check it with `ceping inspect`",
                kind.name()
            ),
        ));
    }
    Ok(Parsed {
        workbook_name: file,
        sha256: sha,
        kind,
        year,
        sheets,
        rejects: samples,
        companion: prepared
            .companion
            .filter(|_| companion_rows > 0)
            .map(|c| (c, companion_rows)),
        fields: prepared.fields,
    })
}

/// Rows per message from the reader thread, and messages in flight: enough slack that
/// the reader never waits while a batch is being encoded (~32k rows, ~15 MB).
const CHUNK: usize = 2048;
const CHANNEL_CHUNKS: usize = 16;

enum Message {
    Sheet(String, Option<Vec<MergedRegion>>),
    Rows(RowChunk),
}

/// One sheet in progress: rows are buffered until the header band is found.
struct SheetState {
    report: SheetReport,
    merges: Option<Vec<MergedRegion>>,
    phase: Phase,
    money_unit: Option<String>,
    /// The fields (by index) of the companion's own columns this sheet has: when one of
    /// them holds a value, the row also goes to the companion's table.
    companion_fields: Vec<usize>,
}

enum Phase {
    /// The first rows, until the header band can be chosen.
    Head(Vec<Row>),
    Walking(Box<Walker>),
    /// No header of this kind: the sheet is reported and its rows counted, not read.
    Ignored(u64),
}

/// The companion's rows of a file (the register's, from a plan's 关基 columns).
struct Companion<'a> {
    kind: &'static dyn SourceKind,
    out: TableBuilder,
    /// key digest → (sheet index, row, digest of the row's values): one register row per
    /// system per file; a repeat with the same values adds nothing, other values reject.
    keys: HashMap<u128, (u32, u32, u128)>,
    rows: u64,
    on_batch: &'a mut dyn FnMut(RecordBatch) -> Result<()>,
}

/// Where mapped rows and rejects go, and what a mapper needs.
struct Sink<'a> {
    kind: &'static dyn SourceKind,
    /// The fields the sheets are read with (the kind's, and the companion's own).
    fields: &'static [super::field::Field],
    companion: Option<Companion<'a>>,
    ctx: &'a Context,
    is_1904: bool,
    file: &'a str,
    sha: &'a str,
    out: &'a mut TableBuilder,
    /// Rejects not yet handed to `on_rejects`.
    rejects: &'a mut Vec<Reject>,
    /// The first rejects of each sheet, kept for the summary and `inspect`.
    samples: &'a mut Vec<Reject>,
    /// Keys seen in this file, for kinds with a key: a second row with the same key is
    /// rejected, pointing at the first.
    /// (key digest → (sheet index, row)): 24 bytes a row, not the key's text.
    keys: HashMap<u128, (u32, u32)>,
    sheet_names: Vec<String>,
    on_batch: &'a mut dyn FnMut(RecordBatch) -> Result<()>,
    on_rejects: &'a mut dyn FnMut(RecordBatch) -> Result<()>,
    /// The first error a callback returned, or the guard's; reading stops there.
    failed: Option<Error>,
}

impl Sink<'_> {
    /// Hands the rows built so far to `on_batch`.
    fn emit(&mut self) {
        if self.out.is_empty() || self.failed.is_some() {
            return;
        }
        let result = self.out.finish().and_then(|b| (self.on_batch)(b));
        if let Err(e) = result {
            self.failed = Some(e);
        }
    }

    /// Hands the companion's rows built so far on.
    fn emit_companion(&mut self) {
        let Some(c) = self.companion.as_mut() else { return };
        if c.out.is_empty() || self.failed.is_some() {
            return;
        }
        let result = c.out.finish().and_then(|b| (c.on_batch)(b));
        if let Err(e) = result {
            self.failed = Some(e);
        }
    }

    /// Hands the rejects gathered so far to `on_rejects`.
    fn emit_rejects(&mut self) {
        if self.rejects.is_empty() || self.failed.is_some() {
            return;
        }
        let batch = rejects_batch(self.kind.name(), self.file, self.sha, self.rejects);
        self.rejects.clear();
        if let Err(e) = batch.and_then(|b| (self.on_rejects)(b)) {
            self.failed = Some(e);
        }
    }

    /// The index of a sheet's name in [`Sink::sheet_names`], added when new.
    fn sheet_index(&mut self, sheet: &str) -> u32 {
        if self.sheet_names.last().map(String::as_str) != Some(sheet) {
            self.sheet_names.push(sheet.to_string());
        }
        (self.sheet_names.len() - 1) as u32
    }

    fn reject(&mut self, r: Reject, sheet_rejected: u64) {
        if sheet_rejected <= REJECT_SAMPLES as u64 {
            self.samples.push(r.clone());
        }
        self.rejects.push(r);
        if self.rejects.len() >= REJECT_BATCH {
            self.emit_rejects();
        }
    }

    /// Stops the file when most of a sheet's rows were rejected for one column.
    fn guard(&mut self, report: &SheetReport, accept: bool) {
        if accept || self.failed.is_some() {
            return;
        }
        let Some((column, n, why)) = report.mostly_rejected() else {
            return;
        };
        let header = report
            .band
            .as_ref()
            .map(|b| b.rows.iter().map(|r| (r + 1).to_string()).collect::<Vec<_>>().join("–"))
            .unwrap_or_default();
        self.failed = Some(Error::workbook(
            Location {
                file: self.file.to_string(),
                sheet: Some(report.sheet.clone()),
                row: None,
                column: Some(column.to_string()),
            },
            format!(
                "{n} of {} data rows would be rejected for this column ({why}); the header was taken from row {header}: \
                 check the reading with `ceping inspect`, or load anyway with --accept-rejects",
                report.loaded + report.rejected
            ),
        ));
    }
}

impl SheetState {
    fn new(name: String, merges: Option<Vec<MergedRegion>>) -> Self {
        SheetState {
            report: SheetReport {
                sheet: name,
                merged_regions: merges.as_ref().map_or(0, |m| m.len()),
                ..Default::default()
            },
            merges,
            phase: Phase::Head(Vec::new()),
            money_unit: None,
            companion_fields: Vec::new(),
        }
    }

    fn push(&mut self, r: Row, sink: &mut Sink<'_>) {
        match &mut self.phase {
            Phase::Head(head) => {
                head.push(r);
                if head.len() >= HEADER_SCAN_ROWS + 2 {
                    self.decide(sink);
                }
            }
            Phase::Walking(_) => self.data(r, sink),
            Phase::Ignored(n) => *n += 1,
        }
    }

    /// Chooses the header band among the buffered rows; rows above it are titles.
    fn decide(&mut self, sink: &mut Sink<'_>) {
        let Phase::Head(head) = std::mem::replace(&mut self.phase, Phase::Ignored(0)) else {
            return;
        };
        let Some((at, band)) = find_header(sink.fields, &head, self.merges.as_deref()) else {
            self.report.ignored = Some(if head.is_empty() {
                "empty sheet".to_string()
            } else {
                format!(
                    "no {} header row in its first {HEADER_SCAN_ROWS} rows",
                    sink.kind.name()
                )
            });
            self.phase = Phase::Ignored(head.len() as u64);
            return;
        };
        self.money_unit = find_money_unit(&title_text(&head, Some(at)));
        let has_department = sink
            .fields
            .iter()
            .zip(&band.by_field)
            .any(|(f, m)| f.name == "department" && m.is_some());
        if !has_department {
            let line = head[..at]
                .iter()
                .flat_map(|r| r.cells.iter())
                .find_map(|(_, c)| find_department_line(&c.display()));
            self.report.department_line = line.is_some();
            self.report.department = line.or_else(|| department_from_sheet_name(&self.report.sheet));
        }
        *self.report.skipped.entry(Skip::Title).or_default() += at as u64;
        *self.report.skipped.entry(Skip::Header).or_default() += band.rows.len() as u64;
        let band_rows = band.rows.len();
        self.report.band = Some(band.clone());
        if let Some(c) = &sink.companion {
            let own = c.kind.companion_fields();
            self.companion_fields = sink
                .fields
                .iter()
                .enumerate()
                .filter(|(i, f)| own.contains(&f.name) && band.by_field[*i].is_some())
                .map(|(i, _)| i)
                .collect();
        }
        self.phase = Phase::Walking(Box::new(Walker::new(sink.fields, band, self.merges.take())));
        for r in head.into_iter().skip(at + band_rows) {
            self.data(r, sink);
        }
    }

    fn data(&mut self, r: Row, sink: &mut Sink<'_>) {
        let Phase::Walking(walker) = &mut self.phase else {
            return;
        };
        let Some(data) = walker.push(r) else { return };
        let mut field_row = FieldRow {
            fields: sink.fields,
            cells: data.cells,
            columns: &walker.band.by_field,
            is_1904: sink.is_1904,
            sheet_department: self.report.department.as_deref(),
            default_money_unit: self.money_unit.as_deref(),
        };
        let mut key_hash = None;
        let mapped = field_row
            .error_value()
            .and_then(|()| sink.kind.map_row(&field_row, sink.ctx))
            .and_then(|values| {
                let Some(k) = row_key(sink.kind, &values) else {
                    return Ok(values);
                };
                let h = key_digest(&k);
                key_hash = Some(h);
                match sink.keys.get(&h) {
                    Some((sheet, row)) => Err(row::RowError::new(
                        None,
                        None,
                        format!(
                            "duplicate {}: {k} is already on sheet {}, row {row}",
                            sink.kind.key().join(" + "),
                            sink.sheet_names.get(*sheet as usize).map_or("?", String::as_str)
                        ),
                    )),
                    None => Ok(values),
                }
            })
            .and_then(|values| {
                let also = companion_row(
                    &self.companion_fields,
                    &self.report.sheet,
                    &field_row,
                    data.number,
                    sink,
                )?;
                Ok((values, also))
            });
        match mapped {
            Ok((values, also)) => {
                if let Some(h) = key_hash {
                    let sheet = sink.sheet_index(&self.report.sheet);
                    sink.keys.insert(h, (sheet, data.number));
                }
                let lineage = Lineage {
                    file: sink.file,
                    sha: sink.sha,
                    sheet: &self.report.sheet,
                    row: data.number,
                };
                if let (Some((values, key, digest)), Some(c)) = (also, sink.companion.as_mut()) {
                    let sheet = sink
                        .sheet_names
                        .iter()
                        .position(|s| *s == self.report.sheet)
                        .unwrap_or(sink.sheet_names.len()) as u32;
                    c.keys.insert(key, (sheet, data.number, digest));
                    c.out.push_with_lineage(values, &lineage);
                    c.rows += 1;
                    if c.out.len() >= BATCH_ROWS {
                        sink.emit_companion();
                    }
                }
                sink.out.push_with_lineage(values, &lineage);
                if sink.out.len() >= BATCH_ROWS {
                    sink.emit();
                }
                self.report.loaded += 1;
            }
            Err(e) => {
                self.report.rejected += 1;
                if let Some(c) = &e.column {
                    let entry = self
                        .report
                        .rejected_by_column
                        .entry(c.clone())
                        .or_insert_with(|| (0, e.reason.clone()));
                    entry.0 += 1;
                }
                let reject = Reject {
                    sheet: self.report.sheet.clone(),
                    row: data.number,
                    column: e.column,
                    value: e.value,
                    reason: e.reason,
                    raw: walker.raw(&std::mem::take(&mut field_row.cells), data.filled, &data.rest),
                };
                sink.reject(reject, self.report.rejected);
            }
        }
    }

    fn finish(mut self, sink: &mut Sink<'_>) -> SheetReport {
        if matches!(self.phase, Phase::Head(_)) {
            self.decide(sink);
        }
        match self.phase {
            Phase::Walking(w) => {
                for (k, v) in w.skipped {
                    *self.report.skipped.entry(k).or_default() += v;
                }
                self.report.filled = w.filled;
            }
            Phase::Ignored(n) => self.report.ignored_rows = n,
            Phase::Head(_) => unreachable!("decided above"),
        }
        self.report
    }
}

/// The companion's row for this data row, when the sheet has the companion's own
/// columns and this row holds a value in one: (values, key digest, values digest), or
/// nothing when the same system's same values came earlier in the file. A value the
/// companion cannot read rejects the whole row, as any cell would.
fn companion_row(
    companion_fields: &[usize],
    sheet: &str,
    row: &FieldRow<'_>,
    number: u32,
    sink: &mut Sink<'_>,
) -> std::result::Result<Option<(Vec<Value>, u128, u128)>, row::RowError> {
    let Some(c) = sink.companion.as_ref() else {
        return Ok(None);
    };
    let stated = companion_fields.iter().any(|i| {
        row.cells
            .get(*i)
            .and_then(|c| c.as_ref())
            .is_some_and(|c| !c.is_empty())
    });
    if !stated {
        return Ok(None);
    }
    let values = c.kind.map_row(row, sink.ctx)?;
    let Some(k) = row_key(c.kind, &values) else {
        return Ok(Some((values, 0, 0)));
    };
    let key = key_digest(&k);
    let digest = key_digest(&format!("{values:?}"));
    match c.keys.get(&key) {
        Some((_, _, same)) if *same == digest => Ok(None),
        Some((at, earlier, _)) => Err(row::RowError::new(
            None,
            None,
            format!(
                "the {} columns of {k} (row {number}) differ from sheet {}, row {earlier}: one statement per system",
                c.kind.table().label,
                sink.sheet_names.get(*at as usize).map_or(sheet, String::as_str)
            ),
        )),
        None => {
            sink.sheet_index(sheet);
            Ok(Some((values, key, digest)))
        }
    }
}

/// A key's digest: the duplicate check keeps 16 bytes a row, not the key's text.
fn key_digest(key: &str) -> u128 {
    digest(&[key])
}

/// The row's key values joined, for kinds with a key.
fn row_key(kind: &dyn SourceKind, values: &[Value]) -> Option<String> {
    if kind.key().is_empty() {
        return None;
    }
    let columns = kind.table().columns;
    let parts: Vec<String> = kind
        .key()
        .iter()
        .map(|k| {
            let i = columns
                .iter()
                .position(|c| c.name == *k)
                .expect("key columns are table columns");
            match &values[i] {
                Value::Str(s) => s.clone(),
                Value::I32(v) => v.to_string(),
                other => format!("{other:?}"),
            }
        })
        .collect();
    Some(parts.join(" + "))
}
