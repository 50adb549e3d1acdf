//! The parts of `pg_catalog` that BI drivers read and datafusion-pg-catalog leaves empty
//! or shaped otherwise, laid over its schema for one session:
//!
//! - `pg_description` carries every table's, view's and column's Chinese label (from the
//!   data dictionary and the views' headers), after PostgreSQL's own descriptions: the
//!   comments pgjdbc's `REMARKS`, SQLAlchemy's `get_table_comment` and psqlODBC read;
//! - the keyed tables (those the writer upserts by a key: findings by `finding_id`, …) have
//!   a primary key: a `pg_constraint` row, a unique `pg_index` row and its index relation in
//!   `pg_class` (`findings_pkey`), so `getPrimaryKeys`, `get_pk_constraint` and
//!   `SQLPrimaryKeys` see the key the warehouse keeps;
//! - the vector columns (`indkey`, `indclass`, `conkey`, `proargtypes`, …) are arrays, as
//!   `unnest`, `ANY` and `::regtype[]` need them;
//! - `pg_settings` has the settings drivers look up (`max_index_keys`, …);
//! - `pg_proc` lists the warehouse's `*_as_of` table functions beside PostgreSQL's.
//!
//! Built once per session (a warehouse version): the catalog does not change under it.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::error::Result as DfResult;
use datafusion::scalar::ScalarValue;

use super::batches::{add_columns, b, collect, convert_vectors, i, ints, list, mem, rows_of, s, strings, with_lists};
use crate::error::Result;
use crate::schema::WritePolicy;
use crate::sql;

/// Object ids of the index relations ceping adds (above the ids the catalog hands out).
const INDEX_OID_BASE: i32 = 900_000;
/// `pg_am.oid` of btree, `pg_opclass` of text's and of the default integer btree class.
const BTREE: i32 = 403;
const TEXT_OPS: i32 = 3126;
/// `pg_type` oids of `date` and `record` (the `*_as_of` functions' argument and result).
const DATE: i32 = 1082;
const RECORD: i32 = 2249;

/// `pg_catalog` with ceping's tables in front of datafusion-pg-catalog's.
#[derive(Debug)]
pub struct Overlay {
    inner: Arc<dyn SchemaProvider>,
    tables: HashMap<&'static str, Arc<dyn TableProvider>>,
}

#[async_trait]
impl SchemaProvider for Overlay {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        match self.tables.get(name.to_ascii_lowercase().as_str()) {
            Some(t) => Ok(Some(t.clone())),
            None => self.inner.table(name).await,
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.tables.contains_key(name.to_ascii_lowercase().as_str()) || self.inner.table_exist(name)
    }
}

/// A column's label by its name.
type ColumnLabel = Box<dyn Fn(&str) -> Option<&'static str>>;

/// A relation of the warehouse as `pg_class` numbered it.
#[derive(Debug, Clone)]
pub struct Relation {
    pub oid: i32,
    pub name: String,
    /// Column name → attnum.
    pub columns: HashMap<String, i16>,
}

/// What the functions need to know of the catalog: relations by oid, their keys.
#[derive(Debug, Default)]
pub struct Known {
    pub relations: HashMap<i32, Relation>,
    /// Index oid → (index name, table oid, key columns).
    pub indexes: HashMap<i32, (String, i32, Vec<String>)>,
    /// `pg_type` oid → name.
    pub type_names: Arc<HashMap<i32, String>>,
}

/// Lays ceping's catalog tables over the session's `pg_catalog`; what the functions need
/// to know of it.
pub async fn install(session: &sql::Session) -> Result<Known> {
    let ctx = &session.ctx;
    let catalog = ctx
        .catalog(sql::CATALOG)
        .ok_or_else(|| crate::error::Error::Internal("the session has no catalog".into()))?;
    let inner = catalog
        .schema("pg_catalog")
        .ok_or_else(|| crate::error::Error::Internal("pg_catalog is not set up".into()))?;

    // The relations as pg_class numbered them, with their columns.
    let (_, rels) = collect(
        ctx,
        "SELECT c.oid, c.relname, a.attname, a.attnum, n.nspname FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid",
    )
    .await?;
    let mut known = Known::default();
    let mut public_ns = None;
    let mut pg_class_oid = None;
    for batch in &rels {
        let (oid, relname, attname, attnum, nsp) = (
            ints(batch.column(0))?,
            strings(batch.column(1))?,
            strings(batch.column(2))?,
            ints(batch.column(3))?,
            strings(batch.column(4))?,
        );
        for r in 0..batch.num_rows() {
            let (Some(oid), Some(name), Some(nsp)) = (oid[r], relname[r].clone(), nsp[r].clone()) else {
                continue;
            };
            if nsp == "pg_catalog" && name == "pg_class" {
                pg_class_oid = Some(oid);
            }
            if nsp != "public" {
                continue;
            }
            let rel = known.relations.entry(oid as i32).or_insert_with(|| Relation {
                oid: oid as i32,
                name,
                columns: HashMap::new(),
            });
            if let (Some(a), Some(n)) = (attname[r].clone(), attnum[r]) {
                rel.columns.insert(a, n as i16);
            }
        }
    }
    let (_, ns) = collect(ctx, "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public'").await?;
    for batch in &ns {
        public_ns = ints(batch.column(0))?.into_iter().flatten().next();
    }
    let public_ns = public_ns.unwrap_or(2200);
    let pg_class_oid = pg_class_oid.unwrap_or(1259);
    let by_name: HashMap<String, Relation> = known.relations.values().map(|r| (r.name.clone(), r.clone())).collect();

    let (_, types) = collect(ctx, "SELECT oid, typname FROM pg_catalog.pg_type").await?;
    let mut type_names = HashMap::new();
    for batch in &types {
        let (oid, name) = (ints(batch.column(0))?, strings(batch.column(1))?);
        for r in 0..batch.num_rows() {
            if let (Some(o), Some(n)) = (oid[r], name[r].clone()) {
                type_names.insert(o as i32, n);
            }
        }
    }
    known.type_names = Arc::new(type_names);

    // The keyed tables' primary keys.
    let mut keys: Vec<(i32, String, i32, Vec<String>)> = Vec::new(); // (index oid, name, table oid, columns)
    for (n, def) in session.catalog.tables().enumerate() {
        let WritePolicy::Upsert { key } = def.write else {
            continue;
        };
        let Some(rel) = by_name.get(def.name) else { continue };
        if key.iter().all(|k| rel.columns.contains_key(*k)) {
            let index_oid = INDEX_OID_BASE + n as i32;
            let columns: Vec<String> = key.iter().map(|k| k.to_string()).collect();
            keys.push((index_oid, format!("{}_pkey", def.name), rel.oid, columns.clone()));
            known
                .indexes
                .insert(index_oid, (format!("{}_pkey", def.name), rel.oid, columns));
        }
    }
    let attnums = |table: i32, cols: &[String]| -> Vec<i16> {
        cols.iter()
            .map(|c| known.relations[&table].columns.get(c).copied().unwrap_or(0))
            .collect()
    };

    let mut tables: HashMap<&'static str, Arc<dyn TableProvider>> = HashMap::new();

    // pg_class: the relations, and the key indexes.
    let (schema, batches) = collect(ctx, "SELECT * FROM pg_catalog.pg_class").await?;
    let text_list = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
    let (schema, mut batches) = add_columns(
        &schema,
        batches,
        &[("reloptions", text_list.clone()), ("relacl", text_list)],
    )?;
    let index_rows: Vec<HashMap<&str, ScalarValue>> = keys
        .iter()
        .map(|(oid, name, _, cols)| {
            HashMap::from([
                ("oid", i(*oid as i64)),
                ("relname", s(name)),
                ("relnamespace", i(public_ns)),
                ("reltype", i(0)),
                ("relam", i(BTREE as i64)),
                ("relkind", s("i")),
                ("relnatts", i(cols.len() as i64)),
                ("relpersistence", s("p")),
                ("relhasindex", b(false)),
                ("relisshared", b(false)),
                ("relispopulated", b(true)),
                ("relispartition", b(false)),
                ("relhasrules", b(false)),
                ("relhastriggers", b(false)),
                ("relhassubclass", b(false)),
                ("relrowsecurity", b(false)),
                ("relforcerowsecurity", b(false)),
                ("relreplident", s("n")),
                ("reltuples", ScalarValue::Float64(Some(-1.0))),
                ("relpages", i(0)),
            ])
        })
        .collect();
    batches.push(rows_of(&schema, &index_rows)?);
    tables.insert("pg_class", mem(schema, batches)?);

    // pg_attribute: the relations' columns, and the key indexes' (psqlODBC reads a key's
    // columns through its index relation).
    let (schema, mut batches) = collect(ctx, "SELECT * FROM pg_catalog.pg_attribute").await?;
    let (_, types) = collect(
        ctx,
        "SELECT attrelid, attname, atttypid, attlen, atttypmod FROM pg_catalog.pg_attribute",
    )
    .await?;
    let mut column_types: HashMap<(i64, String), (i64, i64, i64)> = HashMap::new();
    for batch in &types {
        let (rel, name, ty, len, typmod) = (
            ints(batch.column(0))?,
            strings(batch.column(1))?,
            ints(batch.column(2))?,
            ints(batch.column(3))?,
            ints(batch.column(4))?,
        );
        for r in 0..batch.num_rows() {
            if let (Some(rel), Some(name)) = (rel[r], name[r].clone()) {
                column_types.insert(
                    (rel, name),
                    (ty[r].unwrap_or(25), len[r].unwrap_or(-1), typmod[r].unwrap_or(-1)),
                );
            }
        }
    }
    let mut index_columns: Vec<HashMap<&str, ScalarValue>> = Vec::new();
    for (oid, _, table, cols) in &keys {
        for (n, col) in cols.iter().enumerate() {
            let (ty, len, typmod) = column_types
                .get(&(*table as i64, col.clone()))
                .copied()
                .unwrap_or((25, -1, -1));
            index_columns.push(HashMap::from([
                ("attrelid", i(*oid as i64)),
                ("attname", s(col)),
                ("atttypid", i(ty)),
                ("attlen", i(len)),
                ("attnum", i(n as i64 + 1)),
                ("atttypmod", i(typmod)),
                ("attnotnull", b(true)),
                ("atthasdef", b(false)),
                ("attisdropped", b(false)),
                ("attidentity", s("")),
                ("attgenerated", s("")),
                ("attislocal", b(true)),
                ("attinhcount", i(0)),
                ("attcollation", i(0)),
            ]));
        }
    }
    batches.push(rows_of(&schema, &index_columns)?);
    tables.insert("pg_attribute", mem(schema, batches)?);

    // pg_index: one unique primary index per keyed table, vectors as arrays.
    let (schema, _) = collect(ctx, "SELECT * FROM pg_catalog.pg_index LIMIT 0").await?;
    let schema = with_lists(
        &schema,
        &[
            ("indkey", DataType::Int16),
            ("indcollation", DataType::Int32),
            ("indclass", DataType::Int32),
            ("indoption", DataType::Int16),
        ],
    );
    let index_rows: Vec<HashMap<&str, ScalarValue>> = keys
        .iter()
        .map(|(oid, _, table, cols)| {
            let n = cols.len();
            HashMap::from([
                ("indexrelid", i(*oid as i64)),
                ("indrelid", i(*table as i64)),
                ("indnatts", i(n as i64)),
                ("indnkeyatts", i(n as i64)),
                ("indisunique", b(true)),
                ("indnullsnotdistinct", b(false)),
                ("indisprimary", b(true)),
                ("indisexclusion", b(false)),
                ("indimmediate", b(true)),
                ("indisclustered", b(false)),
                ("indisvalid", b(true)),
                ("indcheckxmin", b(false)),
                ("indisready", b(true)),
                ("indislive", b(true)),
                ("indisreplident", b(false)),
                ("indkey", list(attnums(*table, cols), DataType::Int16)),
                ("indcollation", list(vec![100i32; n], DataType::Int32)),
                ("indclass", list(vec![TEXT_OPS; n], DataType::Int32)),
                ("indoption", list(vec![0i16; n], DataType::Int16)),
            ])
        })
        .collect();
    let batch = rows_of(&schema, &index_rows)?;
    tables.insert("pg_index", mem(schema, vec![batch])?);

    // pg_constraint: the primary keys, vectors as arrays.
    let (schema, _) = collect(ctx, "SELECT * FROM pg_catalog.pg_constraint LIMIT 0").await?;
    let schema = with_lists(
        &schema,
        &[
            ("conkey", DataType::Int16),
            ("confkey", DataType::Int16),
            ("conpfeqop", DataType::Int32),
            ("conppeqop", DataType::Int32),
            ("conffeqop", DataType::Int32),
            ("confdelsetcols", DataType::Int16),
            ("conexclop", DataType::Int32),
        ],
    );
    let constraint_rows: Vec<HashMap<&str, ScalarValue>> = keys
        .iter()
        .map(|(oid, name, table, cols)| {
            HashMap::from([
                ("oid", i(*oid as i64 + 50_000)),
                ("conname", s(name)),
                ("connamespace", i(public_ns)),
                ("contype", s("p")),
                ("condeferrable", b(false)),
                ("condeferred", b(false)),
                ("convalidated", b(true)),
                ("conrelid", i(*table as i64)),
                ("contypid", i(0)),
                ("conindid", i(*oid as i64)),
                ("conparentid", i(0)),
                ("confrelid", i(0)),
                ("conislocal", b(true)),
                ("coninhcount", i(0)),
                ("connoinherit", b(true)),
                ("conkey", list(attnums(*table, cols), DataType::Int16)),
            ])
        })
        .collect();
    let batch = rows_of(&schema, &constraint_rows)?;
    tables.insert("pg_constraint", mem(schema, vec![batch])?);

    // pg_description: PostgreSQL's own, then the dictionary's labels.
    let (schema, mut batches) = collect(ctx, "SELECT * FROM pg_catalog.pg_description").await?;
    let views: HashMap<&'static str, sql::Header<'static>> = session
        .views()
        .filter_map(|v| v.header().ok().map(|h| (v.name, h)))
        .collect();
    let mut labels: Vec<HashMap<&str, ScalarValue>> = Vec::new();
    for rel in known.relations.values() {
        let (label, column): (Option<&str>, ColumnLabel) = match session.catalog.table(&rel.name) {
            Some(t) => (Some(t.label), Box::new(move |c: &str| t.column(c).map(|c| c.label))),
            None => match views.get(rel.name.as_str()) {
                Some(h) => {
                    let h = h.clone();
                    (Some(h.label_zh), Box::new(move |c: &str| h.column(c).map(|c| c.zh)))
                }
                None => (None, Box::new(|_: &str| None)),
            },
        };
        let mut add = |sub: i64, text: &str| {
            labels.push(HashMap::from([
                ("objoid", i(rel.oid as i64)),
                ("classoid", i(pg_class_oid)),
                ("objsubid", i(sub)),
                ("description", s(text)),
            ]))
        };
        if let Some(l) = label {
            add(0, l);
        }
        for (name, num) in &rel.columns {
            if let Some(l) = column(name) {
                add(*num as i64, l);
            }
        }
    }
    batches.push(rows_of(&schema, &labels)?);
    tables.insert("pg_description", mem(schema, batches)?);

    // pg_settings: what drivers look up.
    let (schema, mut batches) = collect(ctx, "SELECT * FROM pg_catalog.pg_settings").await?;
    let have: Vec<String> = batches
        .iter()
        .map(|b| strings(b.column(0)))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    let settings: Vec<HashMap<&str, ScalarValue>> = [
        ("max_index_keys", "32", "integer"),
        ("max_identifier_length", "63", "integer"),
        ("server_version", super::super::identity::SERVER_VERSION, "string"),
        (
            "server_version_num",
            super::super::identity::SERVER_VERSION_NUM,
            "integer",
        ),
        ("server_encoding", "UTF8", "string"),
        ("client_encoding", "UTF8", "string"),
        ("standard_conforming_strings", "on", "bool"),
        ("default_transaction_read_only", "on", "bool"),
        ("transaction_read_only", "on", "bool"),
        ("DateStyle", "ISO, YMD", "string"),
        ("integer_datetimes", "on", "bool"),
        ("search_path", "public", "string"),
    ]
    .into_iter()
    .filter(|(name, _, _)| !have.iter().any(|h| h.eq_ignore_ascii_case(name)))
    .map(|(name, value, vartype)| {
        HashMap::from([
            ("name", s(name)),
            ("setting", s(value)),
            ("vartype", s(vartype)),
            ("context", s("internal")),
            ("source", s("default")),
            ("reset_val", s(value)),
            ("pending_restart", b(false)),
        ])
    })
    .collect();
    batches.push(rows_of(&schema, &settings)?);
    tables.insert("pg_settings", mem(schema, batches)?);

    // pg_proc: PostgreSQL's functions with their vectors as arrays, and the warehouse's
    // `*_as_of` table functions.
    let (schema, batches) = collect(ctx, "SELECT * FROM pg_catalog.pg_proc").await?;
    let vectors = [
        ("proargtypes", DataType::Int32),
        ("proallargtypes", DataType::Int32),
        ("proargmodes", DataType::Utf8),
        ("proargnames", DataType::Utf8),
        ("protrftypes", DataType::Int32),
    ];
    let schema = with_lists(&schema, &vectors);
    let mut batches = convert_vectors(&batches, &schema, &vectors)?;
    let mut functions = Vec::new();
    for (n, view) in session.views().enumerate() {
        let Some(name) = view.header().ok().and_then(|h| h.as_of_function) else {
            continue;
        };
        functions.push(HashMap::from([
            ("oid", i(INDEX_OID_BASE as i64 + 10_000 + n as i64)),
            ("proname", s(name)),
            ("pronamespace", i(public_ns)),
            ("prolang", i(14)),
            ("prokind", s("f")),
            ("proretset", b(true)),
            ("provolatile", s("s")),
            ("pronargs", i(1)),
            ("pronargdefaults", i(0)),
            ("prorettype", i(RECORD as i64)),
            ("proargtypes", list(vec![DATE], DataType::Int32)),
            ("proargnames", list(vec!["as_of"], DataType::Utf8)),
            (
                "prosrc",
                s(&format!("SELECT * FROM {} as of the given date", view.name)),
            ),
        ]));
    }
    batches.push(rows_of(&schema, &functions)?);
    tables.insert("pg_proc", mem(schema, batches)?);

    catalog.register_schema("pg_catalog", Arc::new(Overlay { inner, tables }))?;
    Ok(known)
}
