//! A department's session: every table holding only that department's rows, chosen by
//! [`crate::access::scope`]'s rule per table from the office's session of the same
//! warehouse version, and the views and `*_as_of` functions planned over those tables.
//!
//! The rows are copied into memory tables once per (version, department) and shared by
//! all of the department's connections. A filter laid over the Delta scans would be
//! lighter, but every way around it would then have to be closed one by one: a client's
//! predicate evaluated before the department's (an error naming another department's
//! value), `EXPLAIN ANALYZE`'s row counts of the scan, the scan's statistics. Here the
//! session holds nothing else, so no statement can reach another department's rows.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, BooleanArray, StringArray};
use datafusion::arrow::compute::{cast, filter_record_batch};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::prelude::{col, SessionContext};

use crate::access::scope::{self, Rule, OWNER};
use crate::error::{Error, Result};
use crate::schema::Catalog;

/// The department each source file wholly belongs to (a file with rows of two
/// departments, or rows of none, belongs to no one).
#[derive(Default)]
struct FileOwners(HashMap<String, Option<String>>);

impl FileOwners {
    fn add(&mut self, sha: &str, owner: Option<&str>) {
        let entry = self
            .0
            .entry(sha.to_string())
            .or_insert_with(|| owner.map(str::to_string));
        if entry.as_deref() != owner {
            *entry = None;
        }
    }

    fn of(&self, sha: &str) -> Option<&str> {
        self.0.get(sha).and_then(|o| o.as_deref())
    }
}

fn strings(batch: &RecordBatch, name: &str) -> Result<StringArray> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| Error::Internal(format!("no column `{name}`")))?;
    let text = cast(column, &DataType::Utf8)?;
    text.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| Error::Internal(format!("`{name}` is not text")))
}

/// Every row of `table` with its owner, as the rule gives it (`None` for rules without an
/// owner column).
async fn owned_rows(office: &SessionContext, table: &str, rule: Rule) -> Result<Option<Vec<RecordBatch>>> {
    let df = match rule {
        Rule::DepartmentColumn => office.table(table).await?.with_column(OWNER, col("department"))?,
        Rule::Owner(sql) => office.sql(sql).await?,
        Rule::Rejects | Rule::Files | Rule::Nothing => return Ok(None),
    };
    Ok(Some(df.collect().await?))
}

/// The tables of a department's session.
pub async fn department_tables(
    office: &SessionContext,
    catalog: &Catalog,
    department: &str,
) -> Result<Vec<(String, Arc<dyn TableProvider>)>> {
    let mut owners = FileOwners::default();
    let mut chosen: Vec<(String, Vec<RecordBatch>)> = Vec::new();
    let mut later: Vec<(&crate::schema::TableDef, Rule)> = Vec::new();
    for table in catalog.tables() {
        let rule = scope::rule(table);
        let schema = office.table(table.name).await?.schema().inner().clone();
        let Some(batches) = owned_rows(office, table.name, rule).await? else {
            later.push((table, rule));
            continue;
        };
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let mut kept = Vec::new();
        for batch in &batches {
            let owner = strings(batch, OWNER)?;
            if table.lineage {
                let sha = strings(batch, "source_sha256")?;
                for i in 0..batch.num_rows() {
                    owners.add(sha.value(i), owner.is_valid(i).then(|| owner.value(i)));
                }
            }
            let mask: BooleanArray = (0..batch.num_rows())
                .map(|i| Some(owner.is_valid(i) && owner.value(i) == department))
                .collect();
            let filtered = filter_record_batch(batch, &mask)?;
            let indices: Vec<usize> = names
                .iter()
                .map(|n| filtered.schema().index_of(n))
                .collect::<std::result::Result<_, _>>()?;
            kept.push(filtered.project(&indices)?.with_schema(schema.clone())?);
        }
        chosen.push((table.name.to_string(), kept));
    }
    // The rejected rows name their department, or belong to their file's; a file whose
    // rejects name another department is not wholly one department's.
    let mut rejects = Vec::new();
    for (table, rule) in &later {
        if *rule != Rule::Rejects {
            continue;
        }
        let batches = office.table(table.name).await?.collect().await?;
        for batch in &batches {
            let (sha, raw) = (strings(batch, "source_sha256")?, strings(batch, "raw_cells")?);
            let named: Vec<Option<String>> = (0..batch.num_rows())
                .map(|i| {
                    raw.is_valid(i)
                        .then(|| scope::reject_department(raw.value(i)))
                        .flatten()
                })
                .collect();
            for (i, d) in named.iter().enumerate() {
                if let Some(d) = d {
                    owners.add(sha.value(i), Some(d));
                }
            }
            rejects.push((batch.clone(), sha, named));
        }
    }
    for (table, rule) in later {
        let kept = match rule {
            Rule::Rejects => rejects
                .iter()
                .map(|(batch, sha, named)| {
                    let mask: BooleanArray = named
                        .iter()
                        .enumerate()
                        .map(|(i, d)| {
                            Some(match d {
                                Some(d) => d == department,
                                None => owners.of(sha.value(i)) == Some(department),
                            })
                        })
                        .collect();
                    Ok(filter_record_batch(batch, &mask)?)
                })
                .collect::<Result<Vec<_>>>()?,
            Rule::Files => {
                let batches = office.table(table.name).await?.collect().await?;
                batches
                    .iter()
                    .map(|batch| {
                        let sha = strings(batch, "source_sha256")?;
                        let mask: BooleanArray = (0..batch.num_rows())
                            .map(|i| Some(sha.is_valid(i) && owners.of(sha.value(i)) == Some(department)))
                            .collect();
                        Ok(filter_record_batch(batch, &mask)?)
                    })
                    .collect::<Result<Vec<_>>>()?
            }
            _ => Vec::new(),
        };
        chosen.push((table.name.to_string(), kept));
    }
    let mut tables = Vec::new();
    for (name, batches) in chosen {
        let schema = office.table(name.as_str()).await?.schema().inner().clone();
        let batches: Vec<RecordBatch> = batches.into_iter().filter(|b| b.num_rows() > 0).collect();
        let table = MemTable::try_new(schema, vec![batches])?;
        tables.push((name, Arc::new(table) as Arc<dyn TableProvider>));
    }
    Ok(tables)
}
