//! The functions drivers call that DataFusion and datafusion-pg-catalog do not have, or
//! answer otherwise: `version()` in PostgreSQL's form, the size functions, the comment
//! functions with the dictionary's labels, and the catalog functions of SQLAlchemy,
//! pgjdbc and psqlODBC (`pg_get_viewdef`, `pg_get_indexdef`, `pg_get_serial_sequence`,
//! `json_build_object`, `to_regtype`, …) plus the two helpers the rewrites call
//! (`pg_like_escape`, `pg_expandarray`).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Array, ListArray, StringArray, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Int64Type};
use datafusion::common::Result as DfResult;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

use super::catalog::Known;
use crate::error::Result;
use crate::sql;

type Body = dyn Fn(&[ArrayRef], usize) -> DfResult<ArrayRef> + Send + Sync;

/// A function of any arguments, computed a row at a time over arrays.
struct Udf {
    name: &'static str,
    signature: Signature,
    returns: DataType,
    body: Arc<Body>,
}

impl std::fmt::Debug for Udf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)
    }
}

impl PartialEq for Udf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Udf {}

impl std::hash::Hash for Udf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state)
    }
}

impl ScalarUDFImpl for Udf {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(self.returns.clone())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays: Vec<ArrayRef> = args.args.iter().map(|a| a.to_array(rows)).collect::<DfResult<_>>()?;
        let out = (self.body)(&arrays, rows)?;
        if scalar && !args.args.is_empty() {
            Ok(ColumnarValue::Scalar(datafusion::scalar::ScalarValue::try_from_array(
                &out, 0,
            )?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

fn udf(name: &'static str, signature: Signature, returns: DataType, body: Arc<Body>) -> ScalarUDF {
    ScalarUDF::new_from_impl(Udf {
        name,
        signature,
        returns,
        body,
    })
}

fn any() -> Signature {
    Signature::variadic_any(Volatility::Stable)
}

fn texts(a: &ArrayRef) -> DfResult<Vec<Option<String>>> {
    let a = datafusion::arrow::compute::cast(a, &DataType::Utf8)?;
    let a = a.as_string::<i32>();
    Ok((0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
        .collect())
}

fn numbers(a: &ArrayRef) -> DfResult<Vec<Option<i64>>> {
    let a = datafusion::arrow::compute::cast(a, &DataType::Int64)?;
    let a = a.as_primitive::<Int64Type>();
    Ok((0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i))).collect())
}

/// A text result per row from the first argument's numbers.
fn by_oid(
    rows: usize,
    arrays: &[ArrayRef],
    f: impl Fn(i64, &[ArrayRef], usize) -> Option<String>,
) -> DfResult<ArrayRef> {
    let oids = match arrays.first() {
        Some(a) => numbers(a)?,
        None => vec![None; rows],
    };
    let out: StringArray = oids
        .iter()
        .enumerate()
        .map(|(r, o)| o.and_then(|o| f(o, arrays, r)))
        .collect();
    Ok(Arc::new(out))
}

/// A LIKE pattern escaped with `esc` as the same pattern escaped with the backslash.
pub fn like_escape(pattern: &str, esc: char) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == esc {
            match chars.next() {
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    out
}

/// The catalog functions of this session's relations and keys.
pub fn catalog_functions(session: &sql::Session, known: &Arc<Known>) -> Vec<ScalarUDF> {
    let view_sql: Arc<HashMap<String, String>> = Arc::new(
        session
            .views()
            .map(|v| (v.name.to_string(), v.sql.to_string()))
            .collect(),
    );
    let mut out = Vec::new();

    // pg_get_viewdef(oid [, pretty]): the view's SQL file.
    let (k, views) = (known.clone(), view_sql.clone());
    out.push(udf(
        "pg_get_viewdef",
        any(),
        DataType::Utf8,
        Arc::new(move |a, rows| {
            by_oid(rows, a, |oid, _, _| {
                let name = &k.relations.get(&(oid as i32))?.name;
                views.get(name).cloned()
            })
        }),
    ));

    // pg_get_indexdef(oid [, column, pretty]): a key's column, or the whole definition.
    let k = known.clone();
    out.push(udf(
        "pg_get_indexdef",
        any(),
        DataType::Utf8,
        Arc::new(move |a, rows| {
            let columns = match a.get(1) {
                Some(c) => numbers(c)?,
                None => vec![Some(0); rows],
            };
            by_oid(rows, a, |oid, _, r| {
                let (index, table, cols) = k.indexes.get(&(oid as i32))?;
                match columns[r].unwrap_or(0) {
                    0 => Some(format!(
                        "CREATE UNIQUE INDEX {index} ON public.{} USING btree ({})",
                        k.relations.get(table)?.name,
                        cols.join(", ")
                    )),
                    n => cols.get(n as usize - 1).cloned(),
                }
            })
        }),
    ));

    // pg_type_name(oid), pg_type_names(oids): what `::regtype` prints.
    let names = known.type_names.clone();
    out.push(udf(
        "pg_type_name",
        any(),
        DataType::Utf8,
        Arc::new(move |a, rows| {
            by_oid(rows, a, |oid, _, _| {
                Some(names.get(&(oid as i32)).cloned().unwrap_or_else(|| oid.to_string()))
            })
        }),
    ));
    let names = known.type_names.clone();
    out.push(udf(
        "pg_type_names",
        any(),
        DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        Arc::new(move |a, _| {
            let item = Arc::new(Field::new_list_field(DataType::Int64, true));
            let list = datafusion::arrow::compute::cast(&a[0], &DataType::List(item))?;
            let list = list.as_list::<i32>();
            let oids = list.values().as_primitive::<Int64Type>();
            let text: StringArray = (0..oids.len())
                .map(|i| {
                    (!oids.is_null(i)).then(|| {
                        let oid = oids.value(i) as i32;
                        names.get(&oid).cloned().unwrap_or_else(|| oid.to_string())
                    })
                })
                .collect();
            let out = ListArray::try_new(
                Arc::new(Field::new_list_field(DataType::Utf8, true)),
                list.offsets().clone(),
                Arc::new(text),
                list.nulls().cloned(),
            )?;
            Ok(Arc::new(out))
        }),
    ));

    // pg_get_serial_sequence(table, column): no column of a Delta table is serial.
    out.push(udf(
        "pg_get_serial_sequence",
        any(),
        DataType::Utf8,
        Arc::new(|_, rows| Ok(Arc::new(StringArray::new_null(rows)))),
    ));
    // to_regtype(name): types are looked up in pg_type; none a client asks for this way
    // (hstore, citext, …) exists here.
    out.push(udf(
        "to_regtype",
        any(),
        DataType::Int32,
        Arc::new(|_, rows| Ok(Arc::new(Int32Array::new_null(rows)))),
    ));
    // pg_collation_is_visible(oid), pg_type_is_visible(oid), …: one schema on the search
    // path besides pg_catalog, everything in it visible.
    for name in [
        "pg_collation_is_visible",
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_opclass_is_visible",
        "pg_conversion_is_visible",
    ] {
        out.push(udf(
            name,
            any(),
            DataType::Boolean,
            Arc::new(|_, rows| Ok(Arc::new(datafusion::arrow::array::BooleanArray::from(vec![true; rows])))),
        ));
    }
    // json_build_object(k1, v1, …) as JSON text.
    out.push(udf(
        "json_build_object",
        any(),
        DataType::Utf8,
        Arc::new(|a, rows| {
            let cols: Vec<Vec<Option<String>>> = a.iter().map(texts).collect::<DfResult<_>>()?;
            let out: StringArray = (0..rows)
                .map(|r| {
                    let mut map = serde_json::Map::new();
                    for pair in cols.chunks(2) {
                        if let (Some(Some(k)), v) = (pair.first().map(|c| c[r].clone()), pair.get(1)) {
                            let v = v.and_then(|c| c[r].clone());
                            map.insert(k, v.map_or(serde_json::Value::Null, serde_json::Value::String));
                        }
                    }
                    Some(serde_json::Value::Object(map).to_string())
                })
                .collect();
            Ok(Arc::new(out))
        }),
    ));
    // pg_like_escape(pattern, escape): the rewrite of LIKE … ESCAPE.
    out.push(udf(
        "pg_like_escape",
        any(),
        DataType::Utf8,
        Arc::new(|a, rows| {
            let patterns = texts(&a[0])?;
            let escapes = match a.get(1) {
                Some(e) => texts(e)?,
                None => vec![Some("\\".into()); rows],
            };
            let out: StringArray = patterns
                .iter()
                .zip(&escapes)
                .map(|(p, e)| {
                    let p = p.as_ref()?;
                    match e.as_ref().and_then(|e| e.chars().next()) {
                        Some(c) if c != '\\' => Some(like_escape(p, c)),
                        _ => Some(p.clone()),
                    }
                })
                .collect();
            Ok(Arc::new(out))
        }),
    ));
    // pg_expandarray(v): the (x, n) records of information_schema._pg_expandarray, as a
    // list of structs (the rewrite unnests it).
    out.push(udf(
        "pg_expandarray",
        any(),
        expand_type(),
        Arc::new(|a, _| expand(&a[0])),
    ));
    out
}

fn expand_fields() -> Fields {
    Fields::from(vec![
        Field::new("x", DataType::Int32, true),
        Field::new("n", DataType::Int32, true),
    ])
}

fn expand_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Struct(expand_fields()), true)))
}

fn expand(v: &ArrayRef) -> DfResult<ArrayRef> {
    let item = Arc::new(Field::new_list_field(DataType::Int32, true));
    let list = datafusion::arrow::compute::cast(v, &DataType::List(item))?;
    let list = list.as_list::<i32>();
    let x = list.values().clone();
    let mut n = Vec::with_capacity(x.len());
    for r in 0..list.len() {
        let len = list.value_length(r);
        n.extend(1..=len);
    }
    let items = StructArray::try_new(expand_fields(), vec![x, Arc::new(Int32Array::from(n))], None)?;
    let out = ListArray::try_new(
        Arc::new(Field::new_list_field(DataType::Struct(expand_fields()), true)),
        list.offsets().clone(),
        Arc::new(items),
        list.nulls().cloned(),
    )?;
    Ok(Arc::new(out))
}

/// `version()` in PostgreSQL's form (DataFusion's own names only DataFusion, which
/// drivers cannot parse).
pub fn version_function() -> datafusion::logical_expr::ScalarUDF {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::logical_expr::{create_udf, ColumnarValue, Volatility};
    use datafusion::scalar::ScalarValue;
    let text = super::super::identity::version();
    create_udf(
        "version",
        vec![],
        DataType::Utf8,
        Volatility::Immutable,
        std::sync::Arc::new(move |_: &[ColumnarValue]| {
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(text.clone()))))
        }),
    )
}

/// `pg_table_size`, `pg_relation_size`, `pg_total_relation_size` (unknown here: NULL) and
/// `pg_size_pretty`, which psql's `\dt+` and DBeaver's table lists call.
pub fn size_functions() -> Vec<datafusion::logical_expr::ScalarUDF> {
    use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Int64Type};
    use datafusion::logical_expr::{create_udf, ColumnarValue, Volatility};
    let unknown_size = |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
        let rows = ColumnarValue::values_to_arrays(args)?.first().map_or(1, |a| a.len());
        Ok(ColumnarValue::Array(
            std::sync::Arc::new(Int64Array::new_null(rows)) as ArrayRef
        ))
    };
    let mut udfs: Vec<_> = ["pg_table_size", "pg_relation_size", "pg_total_relation_size"]
        .into_iter()
        .map(|name| {
            create_udf(
                name,
                vec![DataType::Int32],
                DataType::Int64,
                Volatility::Stable,
                std::sync::Arc::new(unknown_size),
            )
        })
        .collect();
    let pretty = |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(args)?;
        let bytes = datafusion::arrow::compute::cast(&arrays[0], &DataType::Int64)?;
        let bytes = bytes.as_primitive::<Int64Type>();
        let text: StringArray = (0..bytes.len())
            .map(|i| {
                (!bytes.is_null(i)).then(|| {
                    let b = bytes.value(i);
                    match b.unsigned_abs() {
                        n if n < 10 * 1024 => format!("{b} bytes"),
                        n if n < 10 * 1024 * 1024 => format!("{} kB", b / 1024),
                        n if n < 10 * 1024 * 1024 * 1024 => format!("{} MB", b / (1024 * 1024)),
                        _ => format!("{} GB", b / (1024 * 1024 * 1024)),
                    }
                })
            })
            .collect();
        Ok(ColumnarValue::Array(std::sync::Arc::new(text) as ArrayRef))
    };
    udfs.push(create_udf(
        "pg_size_pretty",
        vec![DataType::Int64],
        DataType::Utf8,
        Volatility::Immutable,
        std::sync::Arc::new(pretty),
    ));
    udfs
}

/// `obj_description(oid, catalog)` and `col_description(oid, attnum)` answering with the
/// data dictionary's Chinese labels, so `\dt+`, `\dv+` and BI tools show them as
/// comments. The object ids are the ones this session's `pg_catalog` gave out.
pub async fn comment_functions(session: &sql::Session) -> Result<Vec<datafusion::logical_expr::ScalarUDF>> {
    use std::collections::HashMap;

    use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
    use datafusion::arrow::datatypes::{DataType, Int64Type};
    use datafusion::logical_expr::{create_udf, ColumnarValue, Volatility};

    let views: HashMap<&'static str, sql::Header<'static>> = session
        .views()
        .filter_map(|v| v.header().ok().map(|h| (v.name, h)))
        .collect();
    let label_of_relation = |name: &str| {
        session
            .catalog
            .table(name)
            .map(|t| t.label)
            .or_else(|| views.get(name).map(|h| h.label_zh))
    };
    let label_of_column = |relation: &str, column: &str| match session.catalog.table(relation) {
        Some(t) => t.column(column).map(|c| c.label),
        None => views.get(relation).and_then(|h| h.column(column)).map(|c| c.zh),
    };
    let rows = session
        .ctx
        .sql(
            "SELECT CAST(c.oid AS BIGINT) AS relid, c.relname, CAST(a.attnum AS BIGINT) AS attnum, a.attname \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid WHERE n.nspname = 'public'",
        )
        .await?
        .collect()
        .await?;
    let mut relations: HashMap<i64, &'static str> = HashMap::new();
    let mut columns: HashMap<(i64, i64), &'static str> = HashMap::new();
    for batch in &rows {
        let relid = datafusion::arrow::compute::cast(batch.column(0), &DataType::Int64)?;
        let relid = relid.as_primitive::<Int64Type>();
        let relname = datafusion::arrow::compute::cast(batch.column(1), &DataType::Utf8)?;
        let relname = relname.as_string::<i32>();
        let attnum = datafusion::arrow::compute::cast(batch.column(2), &DataType::Int64)?;
        let attnum = attnum.as_primitive::<Int64Type>();
        let attname = datafusion::arrow::compute::cast(batch.column(3), &DataType::Utf8)?;
        let attname = attname.as_string::<i32>();
        for i in 0..batch.num_rows() {
            if relid.is_null(i) || relname.is_null(i) {
                continue;
            }
            if let Some(label) = label_of_relation(relname.value(i)) {
                relations.insert(relid.value(i), label);
            }
            if !attnum.is_null(i) && !attname.is_null(i) {
                if let Some(label) = label_of_column(relname.value(i), attname.value(i)) {
                    columns.insert((relid.value(i), attnum.value(i)), label);
                }
            }
        }
    }
    let relations = std::sync::Arc::new(relations);
    let columns = std::sync::Arc::new(columns);
    let obj = move |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(args)?;
        let oid = datafusion::arrow::compute::cast(&arrays[0], &DataType::Int64)?;
        let oid = oid.as_primitive::<Int64Type>();
        let text: StringArray = (0..oid.len())
            .map(|i| {
                (!oid.is_null(i))
                    .then(|| relations.get(&oid.value(i)).copied())
                    .flatten()
            })
            .collect();
        Ok(ColumnarValue::Array(std::sync::Arc::new(text) as ArrayRef))
    };
    let col = move |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(args)?;
        let oid = datafusion::arrow::compute::cast(&arrays[0], &DataType::Int64)?;
        let oid = oid.as_primitive::<Int64Type>();
        let num = datafusion::arrow::compute::cast(&arrays[1], &DataType::Int64)?;
        let num = num.as_primitive::<Int64Type>();
        let text: StringArray = (0..oid.len())
            .map(|i| {
                (!oid.is_null(i) && !num.is_null(i))
                    .then(|| columns.get(&(oid.value(i), num.value(i))).copied())
                    .flatten()
            })
            .collect();
        Ok(ColumnarValue::Array(std::sync::Arc::new(text) as ArrayRef))
    };
    Ok(vec![
        create_udf(
            "obj_description",
            vec![DataType::Int64, DataType::Utf8],
            DataType::Utf8,
            Volatility::Stable,
            std::sync::Arc::new(obj),
        ),
        create_udf(
            "col_description",
            vec![DataType::Int64, DataType::Int64],
            DataType::Utf8,
            Volatility::Stable,
            std::sync::Arc::new(col),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_with_another_escape() {
        assert_eq!(like_escape("pg/_%", '/'), "pg\\_%");
        assert_eq!(like_escape("a\\b//c", '/'), "a\\\\b\\/c");
    }

    #[test]
    fn expandarray_numbers_the_items() {
        let v: ArrayRef = Arc::new(ListArray::from_iter_primitive::<
            datafusion::arrow::datatypes::Int16Type,
            _,
            _,
        >(vec![Some(vec![Some(3), Some(1)]), Some(vec![])]));
        let out = expand(&v).unwrap();
        let out = out.as_list::<i32>();
        assert_eq!(out.value_length(0), 2);
        assert_eq!(out.value_length(1), 0);
        let s = out.value(0);
        let s = s.as_struct();
        let n = s.column(1).as_primitive::<datafusion::arrow::datatypes::Int32Type>();
        assert_eq!((n.value(0), n.value(1)), (1, 2));
    }
}
