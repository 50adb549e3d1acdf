//! `ceping diff --from A --to B VIEW`: which figures of a view moved between two warehouse
//! states, and which source rows (file, sheet, row) moved them: the rows of the view's
//! trace that exist in one state only.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use datafusion::arrow::datatypes::DataType;

use crate::error::Result;
use crate::sql::exec::query;
use crate::sql::print::cell_strings;
use crate::sql::trace::{trace, traceable, Filters};
use crate::sql::{self, Session};
use crate::warehouse::{AsOf, Warehouse};

/// Most source rows listed per direction.
const MAX_SOURCE_ROWS: usize = 200;

type Rows = BTreeMap<Vec<String>, Vec<(String, String)>>;

/// The view's rows by key (its text and date columns, plus year and quarter); the other
/// numeric columns are the figures.
async fn figures(session: &Session, view: &str) -> Result<(Vec<String>, Rows)> {
    let (schema, batches) = query(&session.ctx, &format!("SELECT * FROM {view}")).await?;
    let is_key: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| {
            matches!(f.name().as_str(), "year" | "quarter")
                || !f.data_type().is_numeric()
                || matches!(f.data_type(), DataType::Boolean)
        })
        .collect();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let key_names = names
        .iter()
        .zip(&is_key)
        .filter(|(_, k)| **k)
        .map(|(n, _)| n.clone())
        .collect();
    let mut rows = Rows::new();
    for row in cell_strings(&batches)? {
        let key = row
            .iter()
            .zip(&is_key)
            .filter(|(_, k)| **k)
            .map(|(v, _)| v.clone())
            .collect();
        let values = row
            .iter()
            .zip(&is_key)
            .zip(&names)
            .filter(|((_, k), _)| !**k)
            .map(|((v, _), n)| (n.clone(), v.clone()))
            .collect();
        rows.insert(key, values);
    }
    Ok((key_names, rows))
}

async fn sources(session: &Session, view: &str) -> Result<BTreeSet<String>> {
    let (schema, batches) = trace(session, view, &Filters::default()).await?;
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    Ok(cell_strings(&batches)?
        .into_iter()
        .map(|r| {
            let at = |n: &str| {
                names
                    .iter()
                    .position(|x| x == n)
                    .map(|i| r[i].clone())
                    .unwrap_or_default()
            };
            let rest: Vec<String> = names
                .iter()
                .zip(&r)
                .filter(|(n, _)| !n.starts_with("source_"))
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            format!(
                "{}, sheet {}, row {}: {}",
                at("source_file"),
                at("source_sheet"),
                at("source_row"),
                rest.join(" ")
            )
        })
        .collect())
}

pub async fn diff(wh: &Warehouse, from: &AsOf, to: &AsOf, view: &str) -> Result<String> {
    let a = sql::session(wh, Some(from)).await?;
    let b = sql::session(wh, Some(to)).await?;
    let (keys, before) = figures(&a, view).await?;
    let (_, after) = figures(&b, view).await?;
    let mut out = String::new();
    writeln!(
        out,
        "{view}: warehouse version {} → {}",
        a.warehouse_version, b.warehouse_version
    )
    .ok();
    let label = |k: &Vec<String>| {
        keys.iter()
            .zip(k)
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut moved = 0;
    for k in before.keys().chain(after.keys()).collect::<BTreeSet<_>>() {
        match (before.get(k), after.get(k)) {
            (Some(x), Some(y)) if x != y => {
                let changes: Vec<String> = x
                    .iter()
                    .zip(y)
                    .filter(|(p, q)| p.1 != q.1)
                    .map(|(p, q)| format!("{} {} → {}", p.0, p.1, q.1))
                    .collect();
                writeln!(out, "  changed  {}: {}", label(k), changes.join(", ")).ok();
                moved += 1;
            }
            (Some(_), None) => {
                writeln!(out, "  removed  {}", label(k)).ok();
                moved += 1;
            }
            (None, Some(y)) => {
                let vals: Vec<String> = y.iter().map(|(n, v)| format!("{n} {v}")).collect();
                writeln!(out, "  added    {}: {}", label(k), vals.join(", ")).ok();
                moved += 1;
            }
            _ => {}
        }
    }
    if moved == 0 {
        writeln!(out, "  no figure moved").ok();
    }
    if traceable().contains(&view) {
        let (sa, sb) = (sources(&a, view).await?, sources(&b, view).await?);
        let gone: Vec<&String> = sa.difference(&sb).collect();
        let new: Vec<&String> = sb.difference(&sa).collect();
        writeln!(out, "source rows: {} only before, {} only after", gone.len(), new.len()).ok();
        for r in gone.iter().take(MAX_SOURCE_ROWS) {
            writeln!(out, "  - {r}").ok();
        }
        for r in new.iter().take(MAX_SOURCE_ROWS) {
            writeln!(out, "  + {r}").ok();
        }
        if gone.len().max(new.len()) > MAX_SOURCE_ROWS {
            writeln!(
                out,
                "  … (first {MAX_SOURCE_ROWS} each; `ceping trace {view} --as-of …` lists all)"
            )
            .ok();
        }
    }
    Ok(out)
}
