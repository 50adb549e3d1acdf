//! What a client may run over the wire: the warehouse is read-only there, as it is for
//! `ceping sql`; only `ceping ingest` changes it. Pure: one statement in, one decision out.

use datafusion::sql::sqlparser::ast::{Set, SetExpr, Statement};

/// The session setting that pins a connection to an older warehouse version.
pub const AS_OF: &str = "ceping.as_of";

/// What the server does with one statement.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Plan and run it in the warehouse snapshot the connection reads.
    Read,
    /// `SET ceping.as_of = …`: `None` goes back to the newest version.
    SetAsOf(Option<String>),
    /// `SHOW ceping.as_of`.
    ShowAsOf,
    /// `DISCARD ALL` (npgsql, Power BI) or `DEALLOCATE`: forget session state.
    Discard(&'static str),
    /// A `SHOW` the server answers itself (the version a client parses).
    Show(&'static str, String),
    /// Accepted and done: transaction control inside a read-only transaction (savepoints
    /// that SQLAlchemy and pgjdbc set around their calls), with this command tag.
    NoOp(&'static str),
    /// A client setting or transaction no-op that datafusion-postgres's own hooks answer.
    PassOn,
    /// Refused with this SQLSTATE and message.
    Refuse { sqlstate: &'static str, message: String },
}

/// `25006`: read_only_sql_transaction.
pub const READ_ONLY: &str = "25006";
/// `42501`: insufficient_privilege.
pub const NOT_ALLOWED: &str = "42501";

pub fn classify(statement: &Statement) -> Action {
    match statement {
        Statement::Query(q) => {
            if selects_into(&q.body) {
                return refuse_write("SELECT INTO");
            }
            Action::Read
        }
        Statement::Explain { statement, .. } => match classify(statement) {
            Action::Read => Action::Read,
            Action::Refuse { sqlstate, message } => Action::Refuse { sqlstate, message },
            _ => Action::Refuse {
                sqlstate: NOT_ALLOWED,
                message: format!("EXPLAIN takes a query: `{statement}`"),
            },
        },
        Statement::ExplainTable { .. } | Statement::ShowTables { .. } | Statement::ShowColumns { .. } => Action::Read,
        Statement::Set(set) => classify_set(set),
        Statement::ShowVariable { variable } => {
            let name = variable
                .iter()
                .map(|i| i.value.to_lowercase())
                .collect::<Vec<_>>()
                .join(".");
            match name.as_str() {
                AS_OF => Action::ShowAsOf,
                "server_version" => Action::Show("server_version", super::identity::server_version()),
                "server_version_num" => Action::Show("server_version_num", super::identity::SERVER_VERSION_NUM.into()),
                _ => Action::PassOn,
            }
        }
        Statement::ShowStatus { .. } | Statement::ShowCatalogs { .. } => Action::PassOn,
        Statement::Savepoint { .. } => Action::NoOp("SAVEPOINT"),
        Statement::ReleaseSavepoint { .. } => Action::NoOp("RELEASE"),
        Statement::Rollback { savepoint: Some(_), .. } => Action::NoOp("ROLLBACK"),
        Statement::StartTransaction { .. } | Statement::Commit { .. } | Statement::Rollback { .. } => Action::PassOn,
        Statement::Discard { .. } => Action::Discard("DISCARD ALL"),
        Statement::Deallocate { .. } => Action::Discard("DEALLOCATE"),
        Statement::Declare { .. } | Statement::Fetch { .. } | Statement::Close { .. } => Action::Refuse {
            sqlstate: "0A000",
            message: "cursors (DECLARE/FETCH/CLOSE) are not supported by ceping serve; run the query itself".into(),
        },
        other => refuse_write(&statement_kind(&other.to_string())),
    }
}

fn classify_set(set: &Set) -> Action {
    match set {
        Set::SingleAssignment { variable, values, .. } => {
            let name = variable.to_string().to_lowercase();
            if name == AS_OF {
                let value = values.first().map(|v| v.to_string()).unwrap_or_default();
                let value = value.trim_matches(|c| c == '\'' || c == '"').trim().to_string();
                let latest =
                    value.is_empty() || value.eq_ignore_ascii_case("default") || value.eq_ignore_ascii_case("latest");
                return Action::SetAsOf((!latest).then_some(value));
            }
            if name.starts_with("ceping.") {
                return Action::Refuse {
                    sqlstate: "42704",
                    message: format!("unrecognized setting `{name}`; ceping has `{AS_OF}`"),
                };
            }
            if name.starts_with("datafusion.") {
                return Action::Refuse {
                    sqlstate: NOT_ALLOWED,
                    message: format!(
                        "SET {name}: the engine's settings are the server's (ceping serve options), not a client's"
                    ),
                };
            }
            Action::PassOn
        }
        _ => Action::PassOn,
    }
}

fn selects_into(body: &SetExpr) -> bool {
    match body {
        SetExpr::Select(s) => s.into.is_some(),
        SetExpr::Query(q) => selects_into(&q.body),
        SetExpr::SetOperation { left, right, .. } => selects_into(left) || selects_into(right),
        _ => false,
    }
}

fn refuse_write(kind: &str) -> Action {
    Action::Refuse {
        sqlstate: READ_ONLY,
        message: format!(
            "cannot execute {kind}: the warehouse is read-only over the server (it changes only through `ceping ingest`)"
        ),
    }
}

/// The statement's leading keywords, as PostgreSQL names a command: `CREATE TABLE`,
/// `CREATE EXTERNAL TABLE`, `INSERT`, `COPY`.
pub fn statement_kind(sql: &str) -> String {
    const MODIFIERS: &[&str] = &[
        "OR",
        "REPLACE",
        "EXTERNAL",
        "TEMP",
        "TEMPORARY",
        "UNIQUE",
        "UNLOGGED",
        "MATERIALIZED",
        "GLOBAL",
        "LOCAL",
    ];
    let mut words = sql.split_whitespace().map(|w| w.to_uppercase());
    let Some(first) = words.next() else {
        return "an empty statement".into();
    };
    let mut kind = vec![first.clone()];
    if matches!(first.as_str(), "CREATE" | "DROP" | "ALTER") {
        for w in words {
            let w: String = w.chars().take_while(|c| c.is_ascii_alphabetic() || *c == '_').collect();
            if w.is_empty() {
                break;
            }
            let modifier = MODIFIERS.contains(&w.as_str());
            kind.push(w);
            if !modifier {
                break;
            }
        }
    }
    kind.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;

    fn action(sql: &str) -> Action {
        let mut statements = PostgresCompatibilityParser::new().parse(sql).expect(sql);
        classify(&statements.remove(0))
    }

    fn refused(sql: &str) -> (String, String) {
        match action(sql) {
            Action::Refuse { sqlstate, message } => (sqlstate.to_string(), message),
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn queries_read_and_writes_are_refused_by_name() {
        assert_eq!(action("SELECT * FROM plan_items"), Action::Read);
        assert_eq!(action("WITH t AS (SELECT 1) SELECT * FROM t"), Action::Read);
        assert_eq!(action("EXPLAIN SELECT 1"), Action::Read);
        for (sql, kind) in [
            ("CREATE TABLE t (a INT)", "CREATE TABLE"),
            ("CREATE OR REPLACE VIEW v AS SELECT 1", "CREATE OR REPLACE VIEW"),
            ("INSERT INTO plan_items VALUES (1)", "INSERT"),
            ("DELETE FROM plan_items", "DELETE"),
            ("UPDATE plan_items SET year = 1", "UPDATE"),
            ("COPY plan_items TO '/tmp/x.csv'", "COPY"),
            ("DROP TABLE plan_items", "DROP TABLE"),
            ("SELECT * INTO t2 FROM plan_items", "SELECT INTO"),
        ] {
            let (state, message) = refused(sql);
            assert_eq!(state, READ_ONLY, "{sql}");
            assert!(
                message.starts_with(&format!("cannot execute {kind}:")),
                "{sql}: {message}"
            );
        }
        let (state, message) = refused("EXPLAIN ANALYZE INSERT INTO plan_items VALUES (1)");
        assert_eq!(state, READ_ONLY);
        assert!(message.contains("INSERT"), "{message}");
    }

    #[test]
    fn settings() {
        assert_eq!(action("SET ceping.as_of = 12"), Action::SetAsOf(Some("12".into())));
        assert_eq!(
            action("SET ceping.as_of = '2019-04-01'"),
            Action::SetAsOf(Some("2019-04-01".into()))
        );
        assert_eq!(action("SET ceping.as_of = DEFAULT"), Action::SetAsOf(None));
        assert_eq!(action("SHOW ceping.as_of"), Action::ShowAsOf);
        assert_eq!(action("SET application_name = 'x'"), Action::PassOn);
        assert_eq!(action("SET statement_timeout = 1000"), Action::PassOn);
        assert_eq!(action("BEGIN"), Action::PassOn);
        assert_eq!(action("DISCARD ALL"), Action::Discard("DISCARD ALL"));
        assert_eq!(refused("SET datafusion.execution.target_partitions = 1").0, NOT_ALLOWED);
        assert_eq!(refused("SET ceping.other = 1").0, "42704");
        assert_eq!(refused("DECLARE c CURSOR FOR SELECT 1").0, "0A000");
        // Transaction control is not a write.
        assert_eq!(action("SAVEPOINT sa_savepoint_1"), Action::NoOp("SAVEPOINT"));
        assert_eq!(action("RELEASE SAVEPOINT sa_savepoint_1"), Action::NoOp("RELEASE"));
        assert_eq!(action("ROLLBACK TO SAVEPOINT sa_savepoint_1"), Action::NoOp("ROLLBACK"));
        assert_eq!(action("ROLLBACK"), Action::PassOn);
        // The version a driver parses.
        assert!(
            matches!(action("SHOW server_version"), Action::Show("server_version", v) if v.starts_with("16.6 (ceping"))
        );
        assert_eq!(
            action("SHOW server_version_num"),
            Action::Show("server_version_num", "160006".into())
        );
    }

    #[test]
    fn kinds() {
        assert_eq!(
            statement_kind("create external table t stored as csv location 'x'"),
            "CREATE EXTERNAL TABLE"
        );
        assert_eq!(statement_kind("  copy t from stdin"), "COPY");
        assert_eq!(statement_kind("CREATE TABLE IF NOT EXISTS t(a int)"), "CREATE TABLE");
    }
}
