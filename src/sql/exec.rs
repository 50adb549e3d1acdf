//! Runs SQL text: one or more `;`-separated statements, each printed in the chosen format.
//! The warehouse is read-only through SQL (no INSERT/UPDATE/DELETE/COPY); only `ingest`
//! writes it. Session-local `CREATE VIEW` is allowed.

use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParser;

use super::{Session, ViewFile};
use crate::error::{Error, Result};
use crate::schema::Catalog;

/// Runs every statement of `sql`; the result of each that has one (a statement with no
/// columns and no rows, such as `CREATE VIEW`, gives none).
pub async fn run_all(ctx: &SessionContext, sql: &str) -> Result<Vec<(SchemaRef, Vec<RecordBatch>)>> {
    let statements = DFParser::parse_sql(sql)?;
    if statements.is_empty() {
        return Err(Error::Usage("no SQL statement given".into()));
    }
    let mut out = Vec::new();
    for statement in statements {
        let (schema, batches) = run_statement(ctx, statement).await?;
        if schema.fields().is_empty() && batches.iter().all(|b| b.num_rows() == 0) {
            continue;
        }
        out.push((schema, batches));
    }
    Ok(out)
}

/// Runs one SQL query and returns its result.
pub async fn query(ctx: &SessionContext, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let mut statements = DFParser::parse_sql(sql)?;
    match (statements.pop_front(), statements.is_empty()) {
        (Some(s), true) => run_statement(ctx, s).await,
        _ => Err(Error::Usage(format!("expected exactly one statement: `{sql}`"))),
    }
}

/// Runs one parsed statement (read-only: no DML) and collects its result.
pub async fn run_statement(
    ctx: &SessionContext,
    statement: datafusion::sql::parser::Statement,
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let plan = ctx.state().statement_to_plan(statement).await?;
    SQLOptions::new()
        .with_allow_ddl(true)
        .with_allow_dml(false)
        .with_allow_statements(true)
        .verify_plan(&plan)
        .map_err(|e| Error::Usage(format!("{e} (the warehouse is changed only by `ceping ingest`)")))?;
    let df = ctx.execute_logical_plan(plan).await?;
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await?;
    Ok((schema, batches))
}

/// A result column as plain strings, whatever string layout the scan produced
/// (`Utf8`, `LargeUtf8` or `Utf8View`: `DATAFUSION_*` settings can change the scans').
pub fn strings(col: &datafusion::arrow::array::ArrayRef) -> Result<datafusion::arrow::array::StringArray> {
    use datafusion::arrow::array::AsArray;
    let cast = datafusion::arrow::compute::cast(col, &DataType::Utf8)?;
    Ok(cast.as_string::<i32>().clone())
}

/// A Utf8 batch from rows of strings: for listings that print in any format.
pub fn string_batch(headers: &[&str], rows: Vec<Vec<String>>) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let schema: SchemaRef = Arc::new(Schema::new(
        headers
            .iter()
            .map(|h| Field::new(*h, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let columns = (0..headers.len())
        .map(|i| Arc::new(StringArray::from(rows.iter().map(|r| r[i].clone()).collect::<Vec<_>>())) as _)
        .collect();
    Ok((schema.clone(), vec![RecordBatch::try_new(schema, columns)?]))
}

/// `ceping tables` / `\d`: every table and view with its label and meaning.
pub fn list_tables(catalog: &Catalog, views: impl Iterator<Item = ViewFile>) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let mut rows: Vec<Vec<String>> = catalog
        .tables()
        .map(|t| {
            vec![
                t.name.to_string(),
                "table".into(),
                t.label.to_string(),
                t.meaning.to_string(),
            ]
        })
        .collect();
    rows.extend(views.map(|v| {
        vec![
            v.name.to_string(),
            "view".into(),
            v.label().to_string(),
            first_sentence(v.doc().trim_start_matches(&format!("{}:", v.name)).trim()),
        ]
    }));
    string_batch(&["name", "kind", "label", "meaning"], rows)
}

/// The first sentence of a documentation text (`ceping tables` shows it; `describe` the whole).
pub fn first_sentence(doc: &str) -> String {
    let mut end = doc.len();
    for (i, c) in doc.char_indices() {
        let next = doc[i + c.len_utf8()..].chars().next();
        if c == '。' || (matches!(c, '.' | ':') && next.is_none_or(char::is_whitespace)) {
            end = i + c.len_utf8();
            break;
        }
    }
    doc[..end].trim().trim_end_matches(':').to_string()
}

/// A table's or view's kind, label and whole documentation, for `describe`.
pub fn doc_of(session: &Session, name: &str) -> Option<(&'static str, &'static str, String)> {
    if let Some(def) = session.catalog.table(name) {
        return Some(("table", def.label, def.meaning.to_string()));
    }
    session
        .views()
        .find(|v| v.name == name)
        .map(|v| ("view", v.label(), v.doc()))
}

/// `ceping describe NAME` / `\d NAME`: the columns of a table (from the dictionary) or a
/// view (from its planned schema, with the words its header gives each column).
pub async fn describe(session: &Session, name: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    if let Some(def) = session.catalog.table(name) {
        let rows = def
            .all_columns()
            .map(|c| {
                vec![
                    c.name.to_string(),
                    type_name(&c.ty.arrow()),
                    c.label.to_string(),
                    c.meaning.to_string(),
                ]
            })
            .collect();
        return string_batch(&["column", "type", "label", "meaning"], rows);
    }
    if let Some(view) = session.views().find(|v| v.name == name) {
        let header = view.header()?;
        let df = session.ctx.table(name).await?;
        let rows = df
            .schema()
            .fields()
            .iter()
            .map(|f| {
                let (label, meaning) = header.column(f.name()).map_or(("", ""), |c| (c.zh, c.en));
                vec![
                    f.name().clone(),
                    type_name(f.data_type()),
                    label.to_string(),
                    meaning.to_string(),
                ]
            })
            .collect();
        return string_batch(&["column", "type", "label", "meaning"], rows);
    }
    let known: Vec<&str> = session
        .catalog
        .tables()
        .map(|t| t.name)
        .chain(session.views().map(|v| v.name))
        .collect();
    Err(Error::Usage(format!(
        "no table or view named `{name}`; known: {}",
        known.join(", ")
    )))
}

fn type_name(t: &DataType) -> String {
    match t {
        DataType::Timestamp(_, _) => "Timestamp".into(),
        other => other.to_string(),
    }
}
