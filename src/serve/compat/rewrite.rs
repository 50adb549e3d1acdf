//! Rewrites of the SQL BI drivers send, into what DataFusion plans with the same answer
//! (after datafusion-pg-catalog's own rules). Pure: a statement in, a statement out.
//!
//! - `x LIKE p ESCAPE '/'` (SQLAlchemy's escape character): DataFusion matches only with
//!   the backslash, so the pattern is translated (`pg_like_escape(p, '/')`) and the
//!   `ESCAPE` dropped;
//! - `information_schema._pg_expandarray(v)` (pgjdbc's keys and indexes), a set-returning
//!   function of `(x, n)` records: `unnest(pg_expandarray(v))`, a list of structs unnested;
//! - `generate_subscripts(v, 1)` (SQLAlchemy's keys and indexes): `unnest(range(1,
//!   cardinality(v) + 1))`;
//! - a correlated scalar subquery over `pg_catalog` with one plain column (pgjdbc's
//!   `getTypeInfo`: `(SELECT c.relkind = 'c' FROM pg_class c WHERE c.oid = t.typrelid)`):
//!   DataFusion needs it aggregated; the catalog's keys make it one row, so `max(…)`
//!   answers the same;
//! - `CASE WHEN c THEN (subquery) ELSE NULL END` (SQLAlchemy's `get_columns`): the
//!   condition moved into the subquery's `WHERE`, which DataFusion decorrelates;
//! - `(v).f`, a record's field: `get_field(v, 'f')` (and for `_pg_expandarray`'s records
//!   the subscript or item itself).

use std::ops::ControlFlow;

use datafusion::arrow::datatypes::DataType;

use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Query, SelectItem, SetExpr, Statement,
    TableFactor, Value, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion_postgres::datafusion_pg_catalog::sql::rules::{self, SqlStatementRewriteRule};
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use std::sync::Arc;

/// datafusion-pg-catalog's rules as its parser applies them (to recognise its output).
static ALL_RULES: std::sync::LazyLock<PostgresCompatibilityParser> =
    std::sync::LazyLock::new(PostgresCompatibilityParser::new);

/// datafusion-pg-catalog's rules but one: its `RemoveSubqueryFromProjection` replaces every
/// correlated scalar subquery of a select list with NULL — an analyst's `SELECT d, (SELECT
/// count(*) FROM plan_items p WHERE p.department = x.department) FROM x` would answer NULL
/// without a word. DataFusion plans such subqueries itself; only catalog subqueries it
/// cannot plan are answered NULL ([`candidates`]).
static OUR_RULES: std::sync::LazyLock<Vec<Arc<dyn SqlStatementRewriteRule>>> = std::sync::LazyLock::new(|| {
    vec![
        Arc::new(rules::AliasDuplicatedProjectionRewrite),
        Arc::new(rules::ResolveUnqualifiedIdentifier),
        Arc::new(rules::RewriteArrayAnyAllOperation),
        Arc::new(rules::PrependUnqualifiedPgTableName),
        Arc::new(rules::StripCallableQualifier),
        Arc::new(rules::FixArrayLiteral),
        Arc::new(rules::CurrentUserVariableToSessionUserFunctionCall),
        Arc::new(rules::StripCollate),
        Arc::new(rules::RewritePgCatalogOperator),
        Arc::new(rules::RewriteRegCastToSubquery::new()),
        Arc::new(rules::FixVersionColumnName),
    ]
});

fn our_rules(mut s: Statement) -> Statement {
    for rule in OUR_RULES.iter() {
        s = rule.rewrite(s);
    }
    s
}

/// The statements to try planning, in order: the client's statement as datafusion-pg-catalog
/// would rewrite it less its projection rule, then ceping's rules; and, when that has
/// correlated subqueries over the catalog in a select list, the same with those answered
/// NULL (what a catalog query DataFusion cannot decorrelate gets). `raw` is the text the
/// client sent and the statement's place in it; `given` the server parser's statement.
pub fn candidates(given: &Statement, raw: Option<(&str, usize)>) -> Vec<Statement> {
    let base = raw
        .and_then(|(text, i)| unfiltered(text, i, given))
        .unwrap_or_else(|| given.clone());
    let precise = statement(base);
    let mut out = vec![precise.clone()];
    let mut nulled = precise.clone();
    let _ = nulled.visit(&mut CatalogSubqueryToNull);
    if nulled != precise {
        out.push(nulled);
    }
    out
}

/// The statement at `i` of `text`, before datafusion-pg-catalog's projection rule — when
/// the server's parser made `given` from it by its rules alone (no blacklist substitution).
fn unfiltered(text: &str, i: usize, given: &Statement) -> Option<Statement> {
    let mut plain = Parser::parse_sql(&PostgreSqlDialect {}, text).ok()?;
    if i >= plain.len() {
        return None;
    }
    let s = plain.swap_remove(i);
    if ALL_RULES.rewrite(s.clone()).to_string() != given.to_string() {
        return None;
    }
    Some(our_rules(s))
}

/// The statement as DataFusion can plan it: ceping's rules, then (when they changed
/// something) datafusion-pg-catalog's again over the result (a subquery hoisted out of CASE
/// meets its rules for the first time).
pub fn statement(s: Statement) -> Statement {
    let before = s.to_string();
    let s = ceping_rules(s);
    if s.to_string() != before {
        return our_rules(s);
    }
    s
}

/// The parameters (`$1`, …) a statement names, with the type a cast gives each (`$1::VARCHAR`).
pub fn placeholders(s: &Statement) -> Vec<(String, Option<DataType>)> {
    use datafusion::sql::sqlparser::ast::{DataType as SqlType, Visit, Visitor};
    struct Found(Vec<(String, Option<DataType>)>);
    impl Visitor for Found {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            let (id, ty) = match e {
                Expr::Cast { expr, data_type, .. } => match expr.as_ref() {
                    Expr::Value(v) => match &v.value {
                        Value::Placeholder(id) => (id.clone(), Some(data_type.clone())),
                        _ => return ControlFlow::Continue(()),
                    },
                    _ => return ControlFlow::Continue(()),
                },
                Expr::Value(v) => match &v.value {
                    Value::Placeholder(id) => (id.clone(), None),
                    _ => return ControlFlow::Continue(()),
                },
                _ => return ControlFlow::Continue(()),
            };
            let arrow = ty.map(|t| match t {
                SqlType::SmallInt(_) | SqlType::Int2(_) => DataType::Int16,
                SqlType::Int(_) | SqlType::Integer(_) | SqlType::Int4(_) => DataType::Int32,
                SqlType::BigInt(_) | SqlType::Int8(_) => DataType::Int64,
                SqlType::Boolean | SqlType::Bool => DataType::Boolean,
                SqlType::Date => DataType::Date32,
                SqlType::Double(_) | SqlType::Float8 | SqlType::DoublePrecision => DataType::Float64,
                _ => DataType::Utf8,
            });
            match self.0.iter_mut().find(|(i, _)| *i == id) {
                Some(entry) if entry.1.is_none() => entry.1 = arrow,
                Some(_) => {}
                None => self.0.push((id, arrow)),
            }
            ControlFlow::Continue(())
        }
    }
    let mut found = Found(Vec::new());
    let _ = s.visit(&mut found);
    found.0
}

/// A correlated scalar subquery over the catalog in a select list → NULL.
struct CatalogSubqueryToNull;

impl VisitorMut for CatalogSubqueryToNull {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut() {
            for item in &mut select.projection {
                if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
                    if let Expr::Subquery(q) = e {
                        if over_catalog(q) && correlated(q) {
                            *e = Expr::Value(Value::Null.with_empty_span());
                        }
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// Whether a subquery names a table or alias of an outer query (or a parameter).
fn correlated(q: &Query) -> bool {
    use datafusion::sql::sqlparser::ast::{Visit, Visitor};
    let SetExpr::Select(select) = q.body.as_ref() else {
        return false;
    };
    let mut local: Vec<String> = Vec::new();
    for t in &select.from {
        for r in std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)) {
            if let TableFactor::Table { name, alias, .. } = r {
                if let Some(a) = alias {
                    local.push(a.name.value.to_lowercase());
                }
                for part in &name.0 {
                    if let Some(i) = part.as_ident() {
                        local.push(i.value.to_lowercase());
                    }
                }
            }
        }
    }
    struct Outer<'a>(&'a [String], bool);
    impl Visitor for Outer<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Value(v) if matches!(v.value, Value::Placeholder(_)) => self.1 = true,
                Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                    let qualifier = parts[parts.len() - 2].value.to_lowercase();
                    if !self.0.contains(&qualifier) {
                        self.1 = true;
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = Outer(&local, false);
    let _ = q.visit(&mut v);
    v.1
}

/// ceping's rules alone.
fn ceping_rules(mut s: Statement) -> Statement {
    let _ = s.visit(&mut Rewriter);
    s
}

struct Rewriter;

fn parse(sql: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .ok()?
        .parse_expr()
        .ok()
}

/// The last part of a function's name, lower case.
fn name(f: &Function) -> String {
    f.name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.to_lowercase())
        .unwrap_or_default()
}

fn args(f: &Function) -> Vec<&Expr> {
    match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "bool_and",
    "bool_or",
    "array_agg",
    "string_agg",
    "every",
];

/// Whether a query reads `pg_catalog` tables only (by qualified or bare `pg_` names).
fn over_catalog(q: &Query) -> bool {
    let SetExpr::Select(select) = q.body.as_ref() else {
        return false;
    };
    !select.from.is_empty()
        && select.from.iter().all(|t| {
            std::iter::once(&t.relation)
                .chain(t.joins.iter().map(|j| &j.relation))
                .all(|r| match r {
                    TableFactor::Table { name, .. } => name.to_string().to_lowercase().contains("pg_"),
                    _ => false,
                })
        })
}

/// `(SELECT e FROM pg_… WHERE …)` with a plain `e` → `(SELECT max(e) …)`.
fn aggregate_scalar_subquery(q: &mut Query) {
    if !over_catalog(q) || q.limit_clause.is_some() {
        return;
    }
    let SetExpr::Select(select) = q.body.as_mut() else {
        return;
    };
    let grouped = !matches!(
        &select.group_by,
        datafusion::sql::sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty()
    );
    if grouped || select.projection.len() != 1 || select.distinct.is_some() {
        return;
    }
    let item = &mut select.projection[0];
    let expr = match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return,
    };
    if let Expr::Function(f) = expr {
        if AGGREGATES.contains(&name(f).as_str()) {
            return;
        }
    }
    if let Some(wrapped) = parse(&format!("max({expr})")) {
        *expr = wrapped;
    }
}

/// `'name'::regclass`, which datafusion-pg-catalog turns into a lookup in
/// `current_schema()` only: PostgreSQL's search path has `pg_catalog` first, so an
/// unqualified `'pg_class'::regclass` (pgjdbc's table comments) is the catalog's table.
/// The lookup is made again, over `pg_catalog` then the current schema.
fn regclass_lookup(q: &Query) -> Option<Expr> {
    let SetExpr::Select(select) = q.body.as_ref() else {
        return None;
    };
    let from = select.from.first()?;
    let derived = from.joins.iter().find_map(|j| match &j.relation {
        TableFactor::Derived { subquery, .. } => Some(subquery),
        _ => None,
    })?;
    let SetExpr::Select(inner) = derived.body.as_ref() else {
        return None;
    };
    let [SelectItem::ExprWithAlias {
        expr: Expr::Function(f),
        alias,
    }] = inner.projection.as_slice()
    else {
        return None;
    };
    if name(f) != "parse_ident" || alias.value != "parts" {
        return None;
    }
    let operand = args(f).first()?.to_string();
    parse(&format!(
        "(SELECT max(c.oid) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid \
         WHERE CASE WHEN strpos({operand}, '.') > 0 \
                    THEN n.nspname = split_part({operand}, '.', 1) AND c.relname = split_part({operand}, '.', 2) \
                    ELSE c.relname = {operand} AND n.nspname IN ('pg_catalog', current_schema()) END)"
    ))
}

fn is_text_type(t: &datafusion::sql::sqlparser::ast::DataType) -> bool {
    let t = t.to_string().to_lowercase();
    matches!(
        t.as_str(),
        "text" | "varchar" | "text[]" | "varchar[]" | "character varying"
    )
}

/// Inside a cast to text: `x::regtype` → `pg_type_name(x)`, `v::regtype[]` →
/// `pg_type_names(v)` — the type names PostgreSQL prints for type oids (pgcli's function
/// list: `COALESCE(proallargtypes::regtype[], proargtypes::regtype[])::text[]`).
struct TypeNames;

impl VisitorMut for TypeNames {
    type Break = ();
    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if let Expr::Cast { expr, data_type, .. } = e {
            let t = data_type.to_string().to_lowercase();
            let t = t.strip_prefix("pg_catalog.").unwrap_or(&t);
            let f = match t {
                "regtype" => "pg_type_name",
                "regtype[]" => "pg_type_names",
                _ => return ControlFlow::Continue(()),
            };
            if let Some(named) = parse(&format!("{f}({expr})")) {
                *e = named;
            }
        }
        ControlFlow::Continue(())
    }
}

/// A column reference's own name (`i.indisprimary` → `indisprimary`), lower-cased.
fn column_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(i) => Some(i.value.to_lowercase()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_lowercase()),
        _ => None,
    }
}

/// The catalog's boolean columns, which PostgreSQL compares with `'t'` / `'f'` text
/// (psqlODBC: `i.indisprimary = 't'`).
fn is_flag_column(e: &Expr) -> bool {
    let Some(name) = column_name(e) else { return false };
    [
        "indis",
        "indimmediate",
        "indcheckxmin",
        "relis",
        "relhas",
        "atthas",
        "attis",
        "attnotnull",
        "typis",
        "typnotnull",
        "condeferr",
        "convalidated",
        "proisstrict",
        "proretset",
        "nspis",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// `'t'`, `'f'`, `'true'`, … as a boolean.
fn boolean_text(e: &Expr) -> Option<Expr> {
    let Expr::Value(v) = e else { return None };
    let Value::SingleQuotedString(text) = &v.value else {
        return None;
    };
    match text.to_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => parse("true"),
        "f" | "false" | "n" | "no" | "off" | "0" => parse("false"),
        _ => None,
    }
}

/// `pg_type`'s function columns (`typinput`, …), which the catalog data holds as names.
fn is_regproc_column(e: &Expr) -> bool {
    matches!(
        column_name(e).as_deref().unwrap_or_default(),
        "typinput" | "typoutput" | "typreceive" | "typsend" | "typmodin" | "typmodout" | "typanalyze"
    )
}

/// `'pg_catalog.array_in'::regproc` (a lookup of the oid by name, after
/// datafusion-pg-catalog) compared with such a column: the function's bare name.
fn regproc_name(e: &Expr) -> Option<Expr> {
    let Expr::Subquery(q) = e else { return None };
    let SetExpr::Select(select) = q.body.as_ref() else {
        return None;
    };
    let TableFactor::Table { name: table, .. } = &select.from.first()?.relation else {
        return None;
    };
    if !table.to_string().to_lowercase().ends_with("pg_proc") {
        return None;
    }
    let Some(Expr::BinaryOp { left, right, .. }) = &select.selection else {
        return None;
    };
    if left.to_string().to_lowercase() != "proname" {
        return None;
    }
    parse(&format!("regexp_replace({right}, '^.*\\.', '')"))
}

/// `(v).f`: a record's field. Of `_pg_expandarray`'s records (already `unnest(
/// pg_expandarray(v))`): `n` is the subscript, `x` the item, each unnested beside the
/// other; of a column holding them: `get_field`.
fn field_access(root: &Expr, chain: &[datafusion::sql::sqlparser::ast::AccessExpr]) -> Option<Expr> {
    use datafusion::sql::sqlparser::ast::{AccessExpr, Subscript};
    if let Some((AccessExpr::Subscript(Subscript::Index { index }), before)) = chain.split_last() {
        let column = match before.last() {
            Some(AccessExpr::Dot(Expr::Identifier(i))) => i.value.clone(),
            Some(_) => return None,
            None => match root {
                Expr::Identifier(i) => i.value.clone(),
                Expr::CompoundIdentifier(parts) => parts.last()?.value.clone(),
                _ => return None,
            },
        };
        if !VECTORS.contains(&column.to_lowercase().as_str()) {
            return None;
        }
        let mut path = root.to_string();
        for a in before {
            path.push_str(&a.to_string());
        }
        return parse(&format!("{path}[({index}) + 1]"));
    }
    let [AccessExpr::Dot(Expr::Identifier(field))] = chain else {
        return None;
    };
    let mut root = root;
    while let Expr::Nested(inner) = root {
        root = inner;
    }
    let field = field.value.to_lowercase();
    if let Expr::Function(unnest) = root {
        if name(unnest) == "unnest" {
            if let [Expr::Function(expand)] = args(unnest).as_slice() {
                if name(expand) == "pg_expandarray" {
                    let v = args(expand).first()?.to_string();
                    return match field.as_str() {
                        "n" => parse(&format!("unnest(range(1, CAST(cardinality({v}) AS BIGINT) + 1))")),
                        "x" => parse(&format!("unnest({v})")),
                        _ => None,
                    };
                }
            }
        }
        return None;
    }
    match root {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => parse(&format!("get_field({root}, '{field}')")),
        _ => None,
    }
}

/// The vector columns (int2vector, oidvector) of the catalog, and pgjdbc's alias of one.
///
/// `v[i]` of one: PostgreSQL numbers a vector's items from 0 (psqlODBC's
/// `i.indkey[ia.attnum-1]`), an array's — and DataFusion's lists' — from 1.
pub const VECTORS: &[&str] = &[
    "indkey",
    "indclass",
    "indoption",
    "indcollation",
    "proargtypes",
    "i_indoption",
];

/// `CASE WHEN c THEN (SELECT … WHERE w) ELSE NULL END` → `(SELECT … WHERE (w) AND (c))`:
/// the same value (the aggregated subquery gives NULL when `c` is false), and a form
/// DataFusion decorrelates (it cannot run a subquery inside CASE).
fn hoist_case(condition: &Expr, result: &Expr) -> Option<Expr> {
    let Expr::Subquery(q) = result else { return None };
    let mut q = q.clone();
    let SetExpr::Select(select) = q.body.as_mut() else {
        return None;
    };
    // only an aggregated subquery answers NULL for no rows
    let aggregated = matches!(
        select.projection.as_slice(),
        [SelectItem::UnnamedExpr(Expr::Function(f)) | SelectItem::ExprWithAlias { expr: Expr::Function(f), .. }]
            if AGGREGATES.contains(&name(f).as_str())
    );
    if !aggregated {
        return None;
    }
    select.selection = Some(match select.selection.take() {
        Some(w) => parse(&format!("({w}) AND ({condition})"))?,
        None => condition.clone(),
    });
    Some(Expr::Subquery(q))
}

impl VisitorMut for Rewriter {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Like {
                pattern, escape_char, ..
            }
            | Expr::ILike {
                pattern, escape_char, ..
            } => {
                if let Some(esc) = escape_char.as_ref().map(|v| v.value.clone()) {
                    let c = match &esc {
                        Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if c != "\\" {
                        if let Some(p) = parse(&format!("pg_like_escape({pattern}, '{}')", c.replace('\'', "''"))) {
                            **pattern = p;
                            *escape_char = None;
                        }
                    }
                }
            }
            Expr::Function(f) => {
                let args: Vec<String> = args(f).iter().map(|a| a.to_string()).collect();
                let replacement = match (name(f).as_str(), args.as_slice()) {
                    ("_pg_expandarray", [v]) => parse(&format!("unnest(pg_expandarray({v}))")),
                    ("generate_subscripts", [v, _dim]) => {
                        parse(&format!("unnest(range(1, CAST(cardinality({v}) AS BIGINT) + 1))"))
                    }
                    _ => None,
                };
                if let Some(r) = replacement {
                    *expr = r;
                }
            }
            Expr::Subquery(q) => match regclass_lookup(q) {
                Some(lookup) => *expr = lookup,
                None => aggregate_scalar_subquery(q),
            },
            Expr::BinaryOp { left, right, .. } if is_regproc_column(left) => {
                if let Some(name) = regproc_name(right) {
                    **right = name;
                }
            }
            Expr::BinaryOp { left, right, .. } if is_flag_column(left) => {
                if let Some(flag) = boolean_text(right) {
                    **right = flag;
                }
            }
            Expr::Cast {
                expr: inner, data_type, ..
            } if is_text_type(data_type) => {
                let _ = inner.visit(&mut TypeNames);
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                if let Some(r) = field_access(root, access_chain) {
                    *expr = r;
                }
            }
            Expr::Case {
                operand: None,
                conditions,
                else_result,
                ..
            } if conditions.len() == 1
                && matches!(conditions[0].result, Expr::Subquery(_))
                && else_result
                    .as_deref()
                    .is_none_or(|e| matches!(e, Expr::Value(v) if v.value == Value::Null)) =>
            {
                if let Some(hoisted) = hoist_case(&conditions[0].condition, &conditions[0].result) {
                    *expr = hoisted;
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        let s = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0);
        ceping_rules(s).to_string()
    }

    #[test]
    fn like_with_another_escape_character() {
        assert_eq!(
            rewritten("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg/_' || '%' ESCAPE '/'"),
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE pg_like_escape('pg/_' || '%', '/')"
        );
        let same = "SELECT a FROM t WHERE a LIKE 'x\\_%' ESCAPE '\\'";
        assert!(rewritten(same).contains("ESCAPE"), "{}", rewritten(same));
    }

    #[test]
    fn set_returning_catalog_functions() {
        assert_eq!(
            rewritten("SELECT generate_subscripts(i.indkey, 1) AS ord FROM pg_index i"),
            "SELECT unnest(range(1, CAST(cardinality(i.indkey) AS BIGINT) + 1)) AS ord FROM pg_index i"
        );
        assert_eq!(
            rewritten("SELECT (information_schema._pg_expandarray(i.indkey)).n, (r.keys).x FROM pg_index i, r"),
            "SELECT unnest(range(1, CAST(cardinality(i.indkey) AS BIGINT) + 1)), get_field(r.keys, 'x') FROM pg_index i, r"
        );
    }

    #[test]
    fn a_correlated_catalog_subquery_is_aggregated() {
        assert_eq!(
            rewritten(
                "SELECT t.typname FROM pg_type t WHERE t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_class c WHERE c.oid = t.typrelid)"
            ),
            "SELECT t.typname FROM pg_type t WHERE t.typrelid = 0 OR (SELECT max(c.relkind = 'c') FROM pg_class c WHERE c.oid = t.typrelid)"
        );
        // not over the catalog, or already aggregated: unchanged
        let user = "SELECT (SELECT x FROM plan_items p WHERE p.year = y.year) FROM y";
        assert_eq!(rewritten(user), user);
        let agg = "SELECT (SELECT count(*) FROM pg_class c WHERE c.oid = t.typrelid) FROM pg_type t";
        assert_eq!(rewritten(agg), agg);
    }

    #[test]
    fn regclass_looks_in_pg_catalog_first() {
        let after = datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser::new()
            .parse("SELECT 1 FROM pg_description d WHERE d.classoid = 'pg_class'::regclass")
            .unwrap()
            .remove(0);
        let out = statement(after).to_string();
        assert!(out.contains("n.nspname IN ('pg_catalog', current_schema())"), "{out}");
        assert!(!out.contains("parse_ident"), "{out}");
    }

    #[test]
    fn regproc_names_compare_as_names() {
        let after = datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser::new()
            .parse("SELECT typinput='pg_catalog.array_in'::regproc as is_array FROM pg_catalog.pg_type")
            .unwrap()
            .remove(0);
        assert_eq!(
            statement(after).to_string(),
            "SELECT typinput = regexp_replace('pg_catalog.array_in', '^.*\\.', '') AS is_array FROM pg_catalog.pg_type"
        );
    }

    #[test]
    fn a_correlated_subquery_over_the_warehouse_is_kept() {
        let raw = "SELECT year, (SELECT count(*) FROM plan_items p WHERE p.year = c.year) AS n FROM plan_coverage c";
        let given = ALL_RULES.rewrite(Parser::parse_sql(&PostgreSqlDialect {}, raw).unwrap().remove(0));
        assert!(
            given.to_string().contains("NULL AS n"),
            "datafusion-pg-catalog's rule: {given}"
        );
        let tried = candidates(&given, Some((raw, 0)));
        assert_eq!(tried.len(), 1);
        assert!(
            tried[0].to_string().contains("(SELECT count(*) FROM plan_items"),
            "{}",
            tried[0]
        );
        // over the catalog: kept first, NULL as the fallback
        let raw = "SELECT (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = a.attrelid) FROM pg_catalog.pg_attribute a";
        let given = ALL_RULES.rewrite(Parser::parse_sql(&PostgreSqlDialect {}, raw).unwrap().remove(0));
        let tried = candidates(&given, Some((raw, 0)));
        assert_eq!(tried.len(), 2);
        assert!(tried[0].to_string().contains("max(c.relname)"), "{}", tried[0]);
        assert!(tried[1].to_string().starts_with("SELECT NULL FROM"), "{}", tried[1]);
    }

    #[test]
    fn type_oids_cast_to_text_are_names() {
        assert_eq!(
            rewritten("SELECT COALESCE(proallargtypes::regtype[], proargtypes::regtype[])::text[], prorettype::regtype::text FROM pg_proc WHERE prorettype::regtype <> 1"),
            "SELECT COALESCE(pg_type_names(proallargtypes), pg_type_names(proargtypes))::TEXT[], pg_type_name(prorettype)::TEXT FROM pg_proc WHERE prorettype::regtype <> 1"
        );
    }

    #[test]
    fn flags_compare_with_text() {
        assert_eq!(
            rewritten("SELECT 1 FROM pg_index i WHERE i.indisprimary = 't' AND i.code = 't'"),
            "SELECT 1 FROM pg_index i WHERE i.indisprimary = true AND i.code = 't'"
        );
    }

    #[test]
    fn vectors_count_from_zero() {
        assert_eq!(
            rewritten("SELECT a FROM t, pg_index i WHERE t.attnum = i.indkey[ia.attnum - 1]"),
            "SELECT a FROM t, pg_index i WHERE t.attnum = i.indkey[(ia.attnum - 1) + 1]"
        );
        let array = "SELECT c.conkey[1] FROM pg_constraint c";
        assert_eq!(rewritten(array), array);
    }

    #[test]
    fn a_subquery_under_case_is_hoisted() {
        assert_eq!(
            rewritten(
                "SELECT CASE WHEN a.atthasdef THEN (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adnum = a.attnum) ELSE NULL END FROM pg_attribute a"
            ),
            "SELECT (SELECT max(pg_get_expr(d.adbin, d.adrelid)) FROM pg_attrdef d WHERE (d.adnum = a.attnum) AND (a.atthasdef)) FROM pg_attribute a"
        );
    }
}
