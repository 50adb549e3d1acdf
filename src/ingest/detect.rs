//! Which kind a workbook is and which year it is about, from the first rows of every sheet,
//! their titles and the file name (`--kind` and `--year` override).

use super::kind::SourceKind;
use super::kinds;
use super::sheet::{find_header, find_year, HeaderBand, HEADER_SCAN_ROWS};
use super::workbook::{Row, Workbook};
use super::Options;
use crate::error::{Error, Location, Result};

/// Reads the first rows of every sheet: enough to detect the kind and the year.
fn sample(wb: &mut Workbook) -> Result<Vec<(String, Vec<Row>)>> {
    let mut out = Vec::new();
    let names = wb.sheet_names();
    // (A repeated sheet name comes as `NAME (sheet N)`: the workbook reads by position.)
    for name in names {
        let mut rows = Vec::new();
        wb.for_each_row(&name, |r| {
            rows.push(r);
            rows.len() < HEADER_SCAN_ROWS + 2
        })?;
        out.push((name, rows));
    }
    Ok(out)
}

pub(super) fn title_text(rows: &[Row], header_at: Option<usize>) -> String {
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
    forced: Option<&'static dyn SourceKind>,
) -> Result<&'static dyn SourceKind> {
    let loc = Location {
        file: file_name.to_string(),
        ..Default::default()
    };
    if let Some(kind) = forced {
        return Ok(kind);
    }
    let mut scored: Vec<(usize, &'static dyn SourceKind)> = kinds::all()
        .iter()
        .map(|k| {
            // A kind counts only where a sheet has all its required columns.
            let found: Vec<(usize, HeaderBand)> = samples
                .iter()
                .filter_map(|(_, rows)| find_header(k.fields(), rows, None).filter(|(_, b)| has_all_required(*k, b)))
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
            format!("no sheet has a header row of any known kind; if it is one, say which with --kind ({}), or check it with `ceping inspect`", kinds::names()),
        )),
        _ => Err(Error::workbook(loc, format!("cannot tell which kind of workbook this is; pass --kind ({})", kinds::names()))),
    }
}

/// A sheet can be of `kind` when it has all the kind's required columns — and, for a kind
/// whose own columns other workbooks carry too (the register's 关基, 涉密, 密码), one of
/// those: a list of units and systems alone is not a register.
fn has_all_required(kind: &dyn SourceKind, band: &HeaderBand) -> bool {
    let own = kind.companion_fields();
    let fields = || kind.fields().iter().zip(&band.by_field);
    fields().all(|(f, m)| !f.required || m.is_some())
        && (own.is_empty() || fields().any(|(f, m)| own.contains(&f.name) && m.is_some()))
}

/// What the first rows of every sheet tell before the rows are read: the kind and year.
pub struct Prepared {
    pub kind: &'static dyn SourceKind,
    pub year: Option<i32>,
    /// The kind that also takes rows from this file when its header carries that kind's
    /// columns (the system register), and the fields the sheets are read with: the kind's
    /// and the companion's own.
    pub companion: Option<&'static dyn SourceKind>,
    pub(super) fields: &'static [super::field::Field],
    pub(super) sheets: Vec<String>,
    pub(super) accept_rejects: bool,
    /// The file's name and its sheets' titles.
    pub(super) words: String,
}

/// Detects the kind and the year from the first rows, titles and file name.
pub fn prepare(wb: &mut Workbook, opts: &Options) -> Result<Prepared> {
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
    let kind = detect_kind(&wb.name, &samples, opts.kind.map(|k| k.0))?;
    // One year from the titles and the file name, or none when they name a range, several
    // years or disagree (DATA_MODEL.md, "Row rules").
    let mut doubt: Option<String> = None;
    let mut title_year = None;
    for (_, rows) in &samples {
        match find_year(&title_text(
            rows,
            find_header(kind.fields(), rows, None).map(|(i, _)| i),
        )) {
            Ok(Some(y)) if title_year.is_some_and(|t| t != y) => {
                doubt = Some(format!(
                    "its sheets' titles name different years ({} and {y})",
                    title_year.unwrap_or(y)
                ))
            }
            Ok(Some(y)) => title_year = title_year.or(Some(y)),
            Ok(None) => {}
            Err(why) => doubt = doubt.or(Some(format!("its title {why}"))),
        }
    }
    let name_year = match find_year(&wb.name) {
        Ok(y) => y,
        Err(why) => {
            doubt = doubt.or(Some(format!("its file name {why}")));
            None
        }
    };
    if let (Some(t), Some(n)) = (title_year, name_year) {
        if t != n {
            doubt = doubt.or(Some(format!("its title says {t} and its file name {n}")));
        }
    }
    let detected = if doubt.is_some() {
        None
    } else {
        title_year.or(name_year)
    };
    let year = opts.year.or(detected);
    // Rows that carry their own year (a 年度 column in every sheet read) need none from the file.
    let year_field = kind.fields().iter().position(|f| f.name == "year");
    let bands: Vec<HeaderBand> = samples
        .iter()
        .filter_map(|(_, rows)| find_header(kind.fields(), rows, None).map(|(_, b)| b))
        .collect();
    let rows_carry_year =
        !bands.is_empty() && year_field.is_some_and(|i| bands.iter().all(|b| b.by_field[i].is_some()));
    if kind.needs_year() && year.is_none() && !rows_carry_year {
        return Err(Error::workbook(
            file_loc,
            match doubt {
                Some(why) => format!(
                    "cannot tell the year of this {} workbook: {why}; pass --year",
                    kind.name()
                ),
                None => format!(
                    "cannot tell the year of this {} workbook from its title or file name; pass --year",
                    kind.name()
                ),
            },
        ));
    }
    let companion = kinds::companion_of(kind);
    let words = std::iter::once(wb.name.clone())
        .chain(
            samples
                .iter()
                .map(|(_, rows)| title_text(rows, find_header(kind.fields(), rows, None).map(|(i, _)| i))),
        )
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Prepared {
        words,
        kind,
        year,
        companion,
        fields: kinds::fields_with(kind, companion),
        sheets: samples.into_iter().map(|(n, _)| n).collect(),
        accept_rejects: opts.accept_rejects,
    })
}
