//! Record batches for the catalog overlay: a query's rows, rows built from values, the
//! vector columns (`indkey`, `proargtypes`, …) turned from text into lists, columns added.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::error::Result as DfResult;
use datafusion::scalar::ScalarValue;

use crate::error::Result;

/// A query's rows, under its schema with every column nullable (the rows ceping adds leave
/// most columns null).
pub async fn collect(ctx: &datafusion::prelude::SessionContext, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let df = ctx.sql(sql).await?;
    let schema: SchemaRef = Arc::new(Schema::new(
        df.schema()
            .as_arrow()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ));
    let batches = df
        .collect()
        .await?
        .into_iter()
        .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((schema, batches))
}

pub fn strings(a: &ArrayRef) -> Result<Vec<Option<String>>> {
    let a = datafusion::arrow::compute::cast(a, &DataType::Utf8)?;
    let a = a.as_string::<i32>();
    Ok((0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
        .collect())
}

pub fn ints(a: &ArrayRef) -> Result<Vec<Option<i64>>> {
    let a = datafusion::arrow::compute::cast(a, &DataType::Int64)?;
    let a = a.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    Ok((0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i))).collect())
}

/// A batch of `schema` from rows given as (column → value); every other column null.
pub fn rows_of(schema: &SchemaRef, rows: &[HashMap<&str, ScalarValue>]) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            let null = ScalarValue::try_from(f.data_type())?;
            let values = rows.iter().map(|r| {
                r.get(f.name().as_str())
                    .cloned()
                    .unwrap_or_else(|| null.clone())
                    .cast_to(f.data_type())
            });
            let values: Vec<ScalarValue> = values.collect::<DfResult<_>>()?;
            if values.is_empty() {
                Ok(datafusion::arrow::array::new_empty_array(f.data_type()))
            } else {
                ScalarValue::iter_to_array(values)
            }
        })
        .collect::<DfResult<Vec<ArrayRef>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

pub fn list<T: Into<ScalarValue>>(items: Vec<T>, item: DataType) -> ScalarValue {
    let values: Vec<ScalarValue> = items.into_iter().map(Into::into).collect();
    ScalarValue::List(ScalarValue::new_list_nullable(&values, &item))
}

/// `schema` with the named columns as lists of `item`.
pub fn with_lists(schema: &SchemaRef, columns: &[(&str, DataType)]) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| match columns.iter().find(|(n, _)| n == f.name()) {
                Some((_, item)) => Arc::new(Field::new(
                    f.name(),
                    DataType::List(Arc::new(Field::new_list_field(item.clone(), true))),
                    true,
                )),
                None => f.clone(),
            })
            .collect::<Vec<_>>(),
    ))
}

/// Parses PostgreSQL's text of a vector (`1 2`, `{1,2}`) or the catalog data's list text
/// (`[2276, 26]`, `['i', 'o']`) into its items.
pub fn vector_items(text: &str) -> Vec<String> {
    text.trim()
        .trim_start_matches(['[', '{'])
        .trim_end_matches([']', '}'])
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|s| s.trim().trim_matches(['\'', '"']).to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A batch's column converted from vector text to a list of `item`.
pub fn vector_column(a: &ArrayRef, item: &DataType) -> Result<ArrayRef> {
    let values: Vec<ScalarValue> = strings(a)?
        .into_iter()
        .map(|v| match v {
            None => Ok(ScalarValue::List(ScalarValue::new_list_nullable(&[], item))),
            Some(text) => {
                let items: Vec<ScalarValue> = vector_items(&text)
                    .into_iter()
                    .map(|s| ScalarValue::Utf8(Some(s)).cast_to(item))
                    .collect::<DfResult<_>>()?;
                Ok(ScalarValue::List(ScalarValue::new_list_nullable(&items, item)))
            }
        })
        .collect::<DfResult<_>>()?;
    Ok(ScalarValue::iter_to_array(values)?)
}

/// The batches with the named vector columns as lists.
pub fn convert_vectors(
    batches: &[RecordBatch],
    schema: &SchemaRef,
    columns: &[(&str, DataType)],
) -> Result<Vec<RecordBatch>> {
    batches
        .iter()
        .map(|b| {
            let arrays = schema
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| match columns.iter().find(|(n, _)| n == f.name()) {
                    Some((_, item)) => vector_column(b.column(i), item),
                    None => Ok(b.column(i).clone()),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(RecordBatch::try_new(schema.clone(), arrays)?)
        })
        .collect()
}

/// The batches with more columns (nulls), where the catalog data lacks ones clients read.
pub fn add_columns(
    schema: &SchemaRef,
    batches: Vec<RecordBatch>,
    more: &[(&str, DataType)],
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let missing: Vec<&(&str, DataType)> = more
        .iter()
        .filter(|(n, _)| schema.field_with_name(n).is_err())
        .collect();
    let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
    fields.extend(missing.iter().map(|(n, t)| Arc::new(Field::new(*n, t.clone(), true))));
    let wider: SchemaRef = Arc::new(Schema::new(fields));
    let batches = batches
        .into_iter()
        .map(|b| {
            let mut columns = b.columns().to_vec();
            columns.extend(
                missing
                    .iter()
                    .map(|(_, t)| datafusion::arrow::array::new_null_array(t, b.num_rows())),
            );
            RecordBatch::try_new(wider.clone(), columns)
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((wider, batches))
}

pub fn mem(schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<Arc<dyn TableProvider>> {
    Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
}

pub fn s(v: &str) -> ScalarValue {
    ScalarValue::Utf8(Some(v.to_string()))
}

pub fn i(v: i64) -> ScalarValue {
    ScalarValue::Int64(Some(v))
}

pub fn b(v: bool) -> ScalarValue {
    ScalarValue::Boolean(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_of_every_spelling() {
        assert_eq!(vector_items("1 2"), ["1", "2"]);
        assert_eq!(vector_items("{1,2}"), ["1", "2"]);
        assert_eq!(vector_items("[2276, 26]"), ["2276", "26"]);
        assert_eq!(vector_items("['i', 'o']"), ["i", "o"]);
        assert!(vector_items("").is_empty());
    }
}
