//! The portable view dialect: the SQL every file of `src/sql/views` is written in, which
//! DataFusion, DuckDB and Spark SQL (Spark, Sail) all plan with the same answer, and the
//! scripts that register the views in each of those engines (`ceping views --dialect`).
//! Pure: view text and table bindings in, findings or a script out.
//!
//! The subset leaves out what the engines read differently or not at all (measured on Sail
//! 0.7 and DuckDB 1.5, issue 31): `7/2` is 3 in DataFusion and 3.5 in Spark, so a division
//! casts its dividend (`CAST(x AS DOUBLE) / y`, `CAST(x AS DECIMAL(18, 2)) / y`); Sail
//! refuses `VARCHAR` (`STRING` works everywhere); `string_agg`, `QUALIFY`, `EXCLUDE`,
//! `to_char` and `::` are missing in one engine or another; `COUNT(DISTINCT a, b)` is
//! Spark's only. A date-taking view's function is called only with the view's own date
//! (`NAME_as_of({{as_of}})`), which binds in every engine to the view `NAME` of that date.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::{strip_comments, ViewFile, AS_OF_PLACEHOLDER};
use crate::schema::ColumnType;

/// An engine the view scripts are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Spark SQL: Apache Spark, Sail (Spark Connect), Databricks.
    Spark,
    /// DuckDB with its `delta` extension.
    Duckdb,
    /// DataFusion (`ceping sql` itself; datafusion-cli with a Delta provider).
    Datafusion,
}

/// A construct outside the portable subset: where, what, and the form to use instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub line: u64,
    pub construct: String,
    pub advice: &'static str,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.construct, self.advice)
    }
}

const DIVISION: &str = "DataFusion divides integers to an integer (7/2 = 3), Spark SQL to a double (3.5): \
     cast the dividend, CAST(x AS DOUBLE) / y or CAST(x AS DECIMAL(18, 2)) / y";

/// Words outside the subset, with the portable form.
const WORDS: &[(&str, &str)] = &[
    ("VARCHAR", "Sail refuses VARCHAR: CAST(x AS STRING)"),
    ("CHAR", "Sail refuses CHAR: CAST(x AS STRING)"),
    ("TEXT", "not a Spark type: CAST(x AS STRING)"),
    (
        "STRING_AGG",
        "Spark has no string_agg: array_join(array_sort(array_agg(x)), sep)",
    ),
    (
        "GROUP_CONCAT",
        "not in DataFusion or Spark: array_join(array_sort(array_agg(x)), sep)",
    ),
    (
        "LISTAGG",
        "not in DataFusion or DuckDB: array_join(array_sort(array_agg(x)), sep)",
    ),
    (
        "QUALIFY",
        "Sail refuses QUALIFY: filter the window's result in an outer query",
    ),
    ("EXCLUDE", "SELECT * EXCLUDE is not Spark SQL: name the columns"),
    (
        "TO_CHAR",
        "Sail has no to_char: CAST(d AS STRING), or format in the report",
    ),
    ("STRFTIME", "not Spark SQL: CAST(d AS STRING), or format in the report"),
    (
        "DATE_FORMAT",
        "not DataFusion or DuckDB: CAST(d AS STRING), or format in the report",
    ),
    ("DIV", "integer division differs: CAST(x AS DOUBLE) / y"),
];

/// The tokens of `sql` that are not whitespace (comments included there).
fn tokens(sql: &str) -> Vec<TokenWithSpan> {
    let dialect = GenericDialect {};
    match Tokenizer::new(&dialect, sql).tokenize_with_location() {
        Ok(t) => t
            .into_iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn word(t: &Token) -> Option<String> {
    match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    }
}

/// The index of the `(` that the `)` at `close` ends.
fn opening(tokens: &[TokenWithSpan], close: usize) -> Option<usize> {
    let mut depth = 0;
    for i in (0..=close).rev() {
        match tokens[i].token {
            Token::RParen => depth += 1,
            Token::LParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The index of the `)` that closes the `(` at `open`.
fn closing(tokens: &[TokenWithSpan], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether the operand ending at `end` is a cast to a fractional type or a number with a
/// decimal point: a dividend every engine divides the same way.
fn fractional_dividend(tokens: &[TokenWithSpan], end: usize) -> bool {
    match &tokens[end].token {
        Token::Number(n, _) => n.contains('.') || n.contains(['e', 'E']),
        Token::RParen => {
            let Some(open) = opening(tokens, end) else { return false };
            if open == 0 || word(&tokens[open - 1].token).as_deref() != Some("CAST") {
                return false;
            }
            // `AS <type>` at the cast's own depth
            let mut depth = 0;
            for i in open + 1..end {
                match &tokens[i].token {
                    Token::LParen => depth += 1,
                    Token::RParen => depth -= 1,
                    t if depth == 0 && word(t).as_deref() == Some("AS") => {
                        return matches!(
                            word(&tokens[i + 1].token).as_deref(),
                            Some("DOUBLE" | "DECIMAL" | "FLOAT" | "REAL" | "NUMERIC")
                        );
                    }
                    _ => {}
                }
            }
            false
        }
        _ => false,
    }
}

/// The constructs of a view file outside the portable subset, in the order they occur.
pub fn check(sql: &str) -> Vec<Finding> {
    let tokens = tokens(sql);
    let mut found = Vec::new();
    let mut add = |t: &TokenWithSpan, construct: String, advice: &'static str| {
        found.push(Finding {
            line: t.span.start.line,
            construct,
            advice,
        })
    };
    for (i, t) in tokens.iter().enumerate() {
        match &t.token {
            Token::Div if i == 0 || !fractional_dividend(&tokens, i - 1) => {
                add(t, "division with an integer dividend".into(), DIVISION);
            }
            Token::DoubleColon => add(t, "`::` cast".into(), "not Spark SQL: CAST(x AS T)"),
            Token::Word(w) if w.quote_style.is_none() => {
                let upper = w.value.to_ascii_uppercase();
                if let Some((_, advice)) = WORDS.iter().find(|(name, _)| *name == upper) {
                    add(t, upper.clone(), advice);
                }
                let call = matches!(tokens.get(i + 1).map(|t| &t.token), Some(Token::LParen));
                if upper == "COUNT" && call && count_of_several(&tokens, i + 1) {
                    add(
                        t,
                        "COUNT(DISTINCT a, b)".into(),
                        "Spark's only: COUNT(DISTINCT CONCAT(a, '|', b)) or a grouped subquery",
                    );
                }
                if upper.ends_with("_AS_OF") && call && !own_date(&tokens, i + 1) {
                    add(
                        t,
                        format!("{}(…) with another date", w.value),
                        "an as-of function is called with the view's own date only, NAME_as_of({{as_of}}), \
                         which binds to the view NAME in every engine",
                    );
                }
            }
            _ => {}
        }
    }
    found
}

/// `COUNT(DISTINCT a, b)`: a comma at the top level of a `COUNT(DISTINCT …)`.
fn count_of_several(tokens: &[TokenWithSpan], open: usize) -> bool {
    if word(&tokens.get(open + 1).map_or(Token::EOF, |t| t.token.clone())).as_deref() != Some("DISTINCT") {
        return false;
    }
    let Some(close) = closing(tokens, open) else {
        return false;
    };
    let mut depth = 0;
    tokens[open + 1..close].iter().any(|t| match t.token {
        Token::LParen => {
            depth += 1;
            false
        }
        Token::RParen => {
            depth -= 1;
            false
        }
        Token::Comma => depth == 0,
        _ => false,
    })
}

/// Whether the call at `open` is `({{as_of}})`.
fn own_date(tokens: &[TokenWithSpan], open: usize) -> bool {
    let rest: Vec<&Token> = tokens[open..].iter().take(7).map(|t| &t.token).collect();
    matches!(
        rest.as_slice(),
        [Token::LParen, Token::LBrace, Token::LBrace, Token::Word(w), Token::RBrace, Token::RBrace, Token::RParen]
            if w.value == "as_of"
    )
}

/// Where an engine finds one table of the warehouse snapshot.
#[derive(Debug, Clone)]
pub struct TableBinding {
    pub name: &'static str,
    /// Every column of the table's definition, with its type.
    pub columns: Vec<(&'static str, ColumnType)>,
    pub source: Source,
}

/// A table's data, as the snapshot records it.
#[derive(Debug, Clone)]
pub enum Source {
    /// The Delta table at `location`, version `version`; `stored` the columns that version
    /// has (a column added later reads as null).
    Delta {
        location: String,
        version: i64,
        stored: Vec<String>,
    },
    /// The Parquet files of the snapshot's version (for an engine without a Delta reader);
    /// `stored` as above.
    Files { files: Vec<String>, stored: Vec<String> },
    /// Not created yet (a kind newer than the warehouse): empty.
    Empty,
}

/// A column type as every engine of the subset spells it.
pub fn portable_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Utf8 => "STRING",
        ColumnType::Int8 => "TINYINT",
        ColumnType::Int32 => "INT",
        ColumnType::Int64 => "BIGINT",
        ColumnType::Float64 => "DOUBLE",
        ColumnType::Boolean => "BOOLEAN",
        ColumnType::Date32 => "DATE",
        ColumnType::Money => "DECIMAL(18, 2)",
        ColumnType::Timestamp => "TIMESTAMP",
    }
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The select list of a table: the stored columns, and nulls of the right type for the rest.
fn columns(table: &TableBinding, stored: &[String]) -> String {
    table
        .columns
        .iter()
        .map(|(name, ty)| {
            if stored.iter().any(|s| s == name) {
                name.to_string()
            } else {
                format!("CAST(NULL AS {}) AS {name}", portable_type(*ty))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SELECT reading one table in `dialect`.
fn table_select(dialect: Dialect, table: &TableBinding) -> String {
    match &table.source {
        Source::Delta {
            location,
            version,
            stored,
        } => {
            let list = columns(table, stored);
            match dialect {
                Dialect::Spark => format!(
                    "SELECT {list} FROM delta.`{}` VERSION AS OF {version}",
                    location.replace('`', "``")
                ),
                Dialect::Duckdb => format!("SELECT {list} FROM delta_scan({})", quote_literal(location)),
                Dialect::Datafusion => format!("SELECT {list} FROM {}", table.name),
            }
        }
        Source::Files { files, stored } => {
            let list = columns(table, stored);
            files
                .iter()
                .map(|f| match dialect {
                    Dialect::Spark => format!("SELECT {list} FROM parquet.`{}`", f.replace('`', "``")),
                    _ => format!("SELECT {list} FROM read_parquet({})", quote_literal(f)),
                })
                .collect::<Vec<_>>()
                .join("\nUNION ALL ")
        }
        Source::Empty => {
            let list = table
                .columns
                .iter()
                .map(|(name, ty)| format!("CAST(NULL AS {}) AS {name}", portable_type(*ty)))
                .collect::<Vec<_>>()
                .join(", ");
            format!("SELECT {list} WHERE 1 = 0")
        }
    }
}

/// A view's SELECT for one date: `{{as_of}}` the date, and every `NAME_as_of({{as_of}})`
/// the view `NAME`, which is the same rows on that date.
pub fn bound_body(view: &ViewFile, functions: &BTreeMap<&str, &str>, date: &str) -> String {
    let mut text = strip_comments(view.sql);
    for (function, name) in functions {
        text = text.replace(&format!("{function}({AS_OF_PLACEHOLDER})"), name);
    }
    text.replace(AS_OF_PLACEHOLDER, date)
        .trim()
        .trim_end_matches(';')
        .to_string()
}

/// The views in an order that creates each after the views it reads.
fn in_dependency_order<'a>(views: &'a [ViewFile], functions: &BTreeMap<&str, &str>) -> Vec<&'a ViewFile> {
    let names: BTreeSet<&str> = views.iter().map(|v| v.name).collect();
    let reads: BTreeMap<&str, BTreeSet<String>> = views
        .iter()
        .map(|v| {
            let words = tokens(&strip_comments(v.sql))
                .iter()
                .filter_map(|t| match &t.token {
                    Token::Word(w) => Some(w.value.to_ascii_lowercase()),
                    _ => None,
                })
                .map(|w| functions.get(w.as_str()).map_or(w.clone(), |n| n.to_string()))
                .filter(|w| names.contains(w.as_str()) && w != v.name)
                .collect();
            (v.name, words)
        })
        .collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::new();
    while order.len() < views.len() {
        let before = order.len();
        for v in views {
            if !done.contains(v.name) && reads[v.name].iter().all(|r| done.contains(r.as_str())) {
                done.insert(v.name);
                order.push(v);
            }
        }
        if order.len() == before {
            // a cycle (refused by the view tests): the rest in name order
            order.extend(views.iter().filter(|v| !done.contains(v.name)));
            break;
        }
    }
    order
}

/// The statements that register the warehouse's tables and every view in `dialect`'s
/// engine, one per line group, each ending with `;`. `date` is the views' date as SQL
/// (`CURRENT_DATE` or `DATE '2019-06-30'`).
pub fn script(dialect: Dialect, tables: &[TableBinding], views: &[ViewFile], date: &str, header: &str) -> String {
    let mut out = String::new();
    for line in header.lines() {
        out.push_str(&format!("-- {line}\n"));
    }
    let create_view = match dialect {
        Dialect::Spark => "CREATE OR REPLACE TEMPORARY VIEW",
        Dialect::Duckdb => "CREATE OR REPLACE VIEW",
        Dialect::Datafusion => "CREATE OR REPLACE VIEW",
    };
    if dialect == Dialect::Duckdb {
        out.push_str("LOAD delta;\n");
        out.push_str("-- DuckDB calls Spark's and DataFusion's array_join array_to_string\n");
        out.push_str("CREATE OR REPLACE MACRO array_join(items, sep) AS array_to_string(items, sep);\n");
    }
    out.push('\n');
    for table in tables {
        match (dialect, &table.source) {
            (Dialect::Datafusion, Source::Delta { location, version, .. }) => out.push_str(&format!(
                "-- {}: the Delta table {location} at version {version} (ceping sql registers it; \
                 in a DataFusion program, deltalake's DeltaTableProvider)\n",
                table.name
            )),
            _ => out.push_str(&format!(
                "{create_view} {} AS {};\n",
                table.name,
                table_select(dialect, table)
            )),
        }
    }
    out.push('\n');
    let functions: BTreeMap<&str, &str> = views
        .iter()
        .filter_map(|v| v.as_of_function().map(|f| (f, v.name)))
        .collect();
    for view in in_dependency_order(views, &functions) {
        out.push_str(&format!(
            "-- {} ({})\n{create_view} {} AS\n{};\n\n",
            view.name,
            view.label(),
            view.name,
            bound_body(view, &functions, date)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constructs(sql: &str) -> Vec<(u64, String)> {
        check(sql).into_iter().map(|f| (f.line, f.construct)).collect()
    }

    #[test]
    fn integer_division_is_found_with_its_line() {
        let sql = "SELECT a,\n       b / c AS ratio,\n       7/2 AS half\nFROM t";
        assert_eq!(
            constructs(sql),
            [
                (2, "division with an integer dividend".to_string()),
                (3, "division with an integer dividend".to_string())
            ]
        );
    }

    #[test]
    fn a_cast_dividend_divides_the_same_everywhere() {
        assert!(check("SELECT CAST(a AS DOUBLE) / b, CAST(f AS DECIMAL(18, 2)) / n, 7.0 / 2 FROM t").is_empty());
        // a cast to an integer type, or a cast around the whole quotient, is not enough
        assert_eq!(check("SELECT CAST(a AS BIGINT) / b FROM t").len(), 1);
        assert_eq!(check("SELECT CAST(a / b AS DECIMAL(18, 2)) FROM t").len(), 1);
    }

    #[test]
    fn words_outside_the_subset() {
        let sql = "SELECT CAST(x AS VARCHAR), string_agg(s, ',' ORDER BY s), y::int, COUNT(DISTINCT a, b), \
                   COUNT(DISTINCT a) FROM t QUALIFY row_number() OVER () = 1";
        let found: Vec<String> = check(sql).into_iter().map(|f| f.construct).collect();
        assert_eq!(
            found,
            ["VARCHAR", "STRING_AGG", "`::` cast", "COUNT(DISTINCT a, b)", "QUALIFY"]
        );
        // a quoted name is a name, not the word
        assert!(check("SELECT \"text\" FROM t").is_empty());
    }

    #[test]
    fn as_of_functions_take_the_views_date_only() {
        assert!(check("SELECT * FROM x_as_of({{as_of}})").is_empty());
        let found = check("SELECT * FROM x_as_of(DATE '2019-01-01')");
        assert_eq!(found.len(), 1);
        assert!(found[0].construct.starts_with("x_as_of"));
    }

    #[test]
    fn every_built_in_view_is_in_the_subset() {
        let mut outside = Vec::new();
        for view in super::super::builtin_views() {
            for finding in check(view.sql) {
                outside.push(format!("src/sql/views/{}.sql {finding}", view.name));
            }
        }
        assert!(outside.is_empty(), "{}", outside.join("\n"));
    }

    #[test]
    fn views_come_after_the_views_they_read() {
        let views: Vec<ViewFile> = super::super::builtin_views().collect();
        let functions: BTreeMap<&str, &str> = views
            .iter()
            .filter_map(|v| v.as_of_function().map(|f| (f, v.name)))
            .collect();
        let order: Vec<&str> = in_dependency_order(&views, &functions).iter().map(|v| v.name).collect();
        let at = |n: &str| order.iter().position(|o| *o == n).unwrap();
        assert!(at("plan_latest") < at("assessments_enriched"));
        assert!(at("latest_assessments") < at("cycle_status"));
        assert!(at("cycle_status") < at("plans_behind"));
        assert!(at("plans_behind") < at("letters_due"));
        assert!(at("crypto_register") < at("crypto_migration"));
        let cycle = views.iter().find(|v| v.name == "cycle_summary").unwrap();
        let body = bound_body(cycle, &functions, "DATE '2019-06-30'");
        assert!(body.contains("FROM cycle_status"), "{body}");
        assert!(
            !body.contains("{{as_of}}") && body.contains("DATE '2019-06-30' AS as_of"),
            "{body}"
        );
    }
}
