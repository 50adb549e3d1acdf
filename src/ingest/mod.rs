//! Ingestion: one file → one commit. Detects the kind, reads every sheet through the shared
//! walker on a reader thread (calamine) while this thread maps rows and builds Arrow
//! arrays, then commits rows, rejects and the log entry together.

pub mod assessments;
pub mod budgets;
pub mod cli;
pub mod findings;
pub mod kind;
pub mod load;
pub mod normalize;
pub mod plan;
pub mod row;
pub mod sheet;
pub mod workbook;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::mpsc;

use datafusion::arrow::array::RecordBatch;

use crate::error::{Error, Location, Result};
use crate::warehouse::schema::REJECTS;
use kind::{kind_by_name, kind_names, kinds, Context, SourceKind};
use row::{FieldRow, TableBuilder, Value};
use sheet::{
    department_from_sheet_name, find_header, find_money_unit, find_year, HeaderBand, Skip, Walker, HEADER_SCAN_ROWS,
};
use workbook::{MergedRegion, Row, Workbook};

/// Flags that override detection.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub kind: Option<String>,
    pub year: Option<i32>,
    pub revision: Option<i32>,
}

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

/// What happened to one sheet.
#[derive(Debug, Clone, Default)]
pub struct SheetReport {
    pub sheet: String,
    pub band: Option<HeaderBand>,
    /// Why the sheet was not read, when it was not.
    pub ignored: Option<String>,
    pub loaded: u64,
    pub rejected: u64,
    pub skipped: BTreeMap<Skip, u64>,
    pub merged_regions: usize,
    pub filled: u64,
    pub department: Option<String>,
    /// Rows of a sheet that was not read (no header of the kind).
    pub ignored_rows: u64,
}

impl SheetReport {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// The result of reading a file, before anything is written.
pub struct Parsed {
    pub workbook_name: String,
    pub sha256: String,
    pub kind: &'static dyn SourceKind,
    pub year: Option<i32>,
    pub sheets: Vec<SheetReport>,
    pub rows: RecordBatch,
    pub rejects: Vec<Reject>,
}

impl Parsed {
    pub fn loaded(&self) -> u64 {
        self.sheets.iter().map(|s| s.loaded).sum()
    }
    pub fn rejected(&self) -> u64 {
        self.sheets.iter().map(|s| s.rejected).sum()
    }
    pub fn skipped(&self) -> u64 {
        self.sheets.iter().map(|s| s.skipped_total()).sum()
    }
}

/// Reads the first rows of every sheet: enough to detect the kind and the year.
fn sample(wb: &mut Workbook) -> Result<Vec<(String, Vec<Row>)>> {
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let mut rows = Vec::new();
        wb.for_each_row(&name, |r| {
            rows.push(r);
            rows.len() < HEADER_SCAN_ROWS + 2
        })?;
        out.push((name, rows));
    }
    Ok(out)
}

fn title_text(rows: &[Row], header_at: Option<usize>) -> String {
    rows.iter()
        .take(header_at.unwrap_or(3))
        .flat_map(|r| r.cells.iter().map(|(_, c)| c.display()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Picks the kind: `--kind`, else the kind whose headers match best, with a bonus for its
/// words in the title rows or the file name.
pub fn detect_kind(
    file_name: &str,
    samples: &[(String, Vec<Row>)],
    forced: Option<&str>,
) -> Result<&'static dyn SourceKind> {
    let loc = Location {
        file: file_name.to_string(),
        ..Default::default()
    };
    if let Some(name) = forced {
        return kind_by_name(name)
            .ok_or_else(|| Error::Usage(format!("unknown kind `{name}`; expected one of {}", kind_names())));
    }
    let mut scored: Vec<(usize, &'static dyn SourceKind)> = kinds()
        .iter()
        .map(|k| {
            // A kind counts only where a sheet has all its required columns.
            let found: Vec<(usize, HeaderBand)> = samples
                .iter()
                .filter_map(|(_, rows)| find_header(*k, rows, None).filter(|(_, b)| has_all_required(*k, b)))
                .collect();
            let header = found.iter().map(|(_, b)| b.score()).max().unwrap_or(0);
            let titles: String = samples
                .iter()
                .zip(&found)
                .map(|((_, rows), (at, _))| title_text(rows, Some(*at)))
                .collect::<Vec<_>>()
                .join(" ");
            let words = k.keywords().iter().any(|w| file_name.contains(w) || titles.contains(w));
            (
                if header == 0 {
                    0
                } else {
                    header * 2 + usize::from(words) * 3
                },
                *k,
            )
        })
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    match scored.as_slice() {
        [(best, k), (second, _), ..] if *best > 0 && best > second => Ok(*k),
        [(best, _), ..] if *best == 0 => Err(Error::workbook(
            loc,
            format!("no sheet has a header row of any known kind; if it is one, say which with --kind ({}), or check it with `ceping inspect`", kind_names()),
        )),
        _ => Err(Error::workbook(loc, format!("cannot tell which kind of workbook this is; pass --kind ({})", kind_names()))),
    }
}

fn has_all_required(kind: &dyn SourceKind, band: &HeaderBand) -> bool {
    kind.fields()
        .iter()
        .zip(&band.by_field)
        .all(|(f, m)| !f.required || m.is_some())
}

/// Reads a whole file into Arrow rows and rejects, writing nothing. `progress` is called
/// with the running count of rows read.
pub fn read_file(path: &Path, opts: &Options, ctx_base: &Context, progress: &(dyn Fn(u64) + Sync)) -> Result<Parsed> {
    let mut wb = Workbook::open(path)?;
    read_workbook(&mut wb, opts, ctx_base, progress)
}

pub fn read_workbook(
    wb: &mut Workbook,
    opts: &Options,
    ctx_base: &Context,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Parsed> {
    let file_loc = Location {
        file: wb.name.clone(),
        ..Default::default()
    };
    let samples = sample(wb)?;
    if samples.iter().all(|(_, rows)| rows.is_empty()) {
        return Err(Error::workbook(
            file_loc,
            "the workbook is empty: no sheet has any cell",
        ));
    }
    let kind = detect_kind(&wb.name, &samples, opts.kind.as_deref())?;
    let year = opts
        .year
        .or_else(|| {
            samples
                .iter()
                .find_map(|(_, rows)| find_year(&title_text(rows, find_header(kind, rows, None).map(|(i, _)| i))))
        })
        .or_else(|| find_year(&wb.name));
    if kind.needs_year() && year.is_none() {
        return Err(Error::workbook(
            file_loc,
            format!(
                "cannot tell the year of this {} workbook from its title or file name; pass --year",
                kind.name()
            ),
        ));
    }
    let ctx = Context {
        year,
        ..ctx_base.clone()
    };

    let mut rows_out = TableBuilder::new(kind.table());
    let mut sheets = Vec::new();
    let mut rejects = Vec::new();
    let sha = wb.sha256.clone();
    let file = wb.name.clone();
    let is_1904 = wb.is_1904;
    let names: Vec<String> = samples.iter().map(|(n, _)| n.clone()).collect();
    let mut seen: u64 = 0;

    // The reader thread streams rows; this thread walks, maps and builds.
    let (tx, rx) = mpsc::sync_channel::<Message>(8);
    std::thread::scope(|scope| -> Result<()> {
        let reader = scope.spawn(move || -> Result<()> {
            for name in names {
                let merges = wb.merges(&name)?;
                if tx.send(Message::Sheet(name.clone(), merges)).is_err() {
                    return Ok(());
                }
                let mut chunk = Vec::with_capacity(CHUNK);
                let mut closed = false;
                wb.for_each_row(&name, |r| {
                    chunk.push(r);
                    if chunk.len() == CHUNK {
                        closed = tx
                            .send(Message::Rows(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))))
                            .is_err();
                    }
                    !closed
                })?;
                if !chunk.is_empty() && tx.send(Message::Rows(chunk)).is_err() {
                    return Ok(());
                }
            }
            Ok(())
        });
        let mut sink = Sink {
            kind,
            ctx: &ctx,
            is_1904,
            file: &file,
            sha: &sha,
            out: &mut rows_out,
            rejects: &mut rejects,
            keys: HashMap::new(),
        };
        let mut state: Option<SheetState> = None;
        for msg in rx {
            match msg {
                Message::Sheet(name, merges) => {
                    if let Some(s) = state.take() {
                        sheets.push(s.finish(&mut sink));
                    }
                    state = Some(SheetState::new(name, merges));
                }
                Message::Rows(chunk) => {
                    let s = state.as_mut().expect("a sheet starts before its rows");
                    for r in chunk {
                        seen += 1;
                        s.push(r, &mut sink);
                    }
                    progress(seen);
                }
            }
        }
        if let Some(s) = state.take() {
            sheets.push(s.finish(&mut sink));
        }
        reader
            .join()
            .map_err(|_| Error::Usage("the workbook reader thread failed".into()))?
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
        rows: rows_out.finish()?,
        rejects,
    })
}

const CHUNK: usize = 2048;

enum Message {
    Sheet(String, Option<Vec<MergedRegion>>),
    Rows(Vec<Row>),
}

/// One sheet in progress: rows are buffered until the header band is found.
struct SheetState {
    report: SheetReport,
    merges: Option<Vec<MergedRegion>>,
    phase: Phase,
    money_unit: Option<String>,
}

enum Phase {
    /// The first rows, until the header band can be chosen.
    Head(Vec<Row>),
    Walking(Walker),
    /// No header of this kind: the sheet is reported and its rows counted, not read.
    Ignored(u64),
}

/// Where mapped rows and rejects go, and what a mapper needs.
struct Sink<'a> {
    kind: &'static dyn SourceKind,
    ctx: &'a Context,
    is_1904: bool,
    file: &'a str,
    sha: &'a str,
    out: &'a mut TableBuilder,
    rejects: &'a mut Vec<Reject>,
    /// Keys seen in this file, for kinds with a key: a second row with the same key is
    /// rejected, pointing at the first.
    keys: HashMap<String, (String, u32)>,
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
        let Some((at, band)) = find_header(sink.kind, &head, self.merges.as_deref()) else {
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
            .kind
            .fields()
            .iter()
            .zip(&band.by_field)
            .any(|(f, m)| f.name == "department" && m.is_some());
        if !has_department {
            self.report.department = department_from_sheet_name(&self.report.sheet);
        }
        *self.report.skipped.entry(Skip::Title).or_default() += at as u64;
        *self.report.skipped.entry(Skip::Header).or_default() += band.rows.len() as u64;
        let band_rows = band.rows.len();
        self.report.band = Some(band.clone());
        self.phase = Phase::Walking(Walker::new(sink.kind.fields(), band, self.merges.take()));
        for r in head.into_iter().skip(at + band_rows) {
            self.data(r, sink);
        }
    }

    fn data(&mut self, r: Row, sink: &mut Sink<'_>) {
        let Phase::Walking(walker) = &mut self.phase else {
            return;
        };
        let Some(data) = walker.push(r) else { return };
        let field_row = FieldRow {
            fields: sink.kind.fields(),
            cells: data.cells,
            columns: &walker.band.by_field,
            is_1904: sink.is_1904,
            sheet_department: self.report.department.as_deref(),
            default_money_unit: self.money_unit.as_deref(),
        };
        let mapped = sink.kind.map_row(&field_row, sink.ctx).and_then(|values| {
            let key = row_key(sink.kind, &values);
            match key.and_then(|k| sink.keys.get(&k).map(|first| (k, first))) {
                Some((k, (sheet, row))) => Err(row::RowError::new(
                    None,
                    None,
                    format!(
                        "duplicate {}: {k} is already on sheet {sheet}, row {row}",
                        sink.kind.key().join(" + ")
                    ),
                )),
                None => Ok(values),
            }
        });
        match mapped {
            Ok(mut values) => {
                if let Some(k) = row_key(sink.kind, &values) {
                    sink.keys.insert(k, (self.report.sheet.clone(), data.number));
                }
                values.extend(lineage(sink.file, sink.sha, &self.report.sheet, data.number));
                sink.out.push(values);
                self.report.loaded += 1;
            }
            Err(e) => {
                sink.rejects.push(Reject {
                    sheet: self.report.sheet.clone(),
                    row: data.number,
                    column: e.column,
                    value: e.value,
                    reason: e.reason,
                    raw: walker.raw(&data.source),
                });
                self.report.rejected += 1;
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

fn lineage(file: &str, sha: &str, sheet: &str, row: u32) -> [Value; 4] {
    [
        Value::Str(file.to_string()),
        Value::Str(sha.to_string()),
        Value::Str(sheet.to_string()),
        Value::I32(row as i32),
    ]
}

/// The rejects as a `rejects` batch.
pub fn rejects_batch(kind: &str, file: &str, sha: &str, rejects: &[Reject]) -> Result<RecordBatch> {
    let mut b = TableBuilder::new(&REJECTS);
    for r in rejects {
        let raw =
            serde_json::to_string(&r.raw.iter().map(|(h, v)| [h, v]).collect::<Vec<_>>()).expect("strings serialise");
        let mut values = vec![
            Value::Str(kind.to_string()),
            r.column.clone().into(),
            r.value.clone().into(),
            Value::Str(r.reason.clone()),
            Value::Str(raw),
        ];
        values.extend(lineage(file, sha, &r.sheet, r.row));
        b.push(values);
    }
    b.finish()
}
