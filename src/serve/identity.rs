//! What the server says it is. BI drivers parse the PostgreSQL version out of
//! `version()`, `server_version` and `server_version_num` (SQLAlchemy's dialect asserts on
//! it, pgjdbc and libpq read the startup parameter), so ceping answers in PostgreSQL's
//! form and names itself and its engine inside it.

/// The PostgreSQL release whose catalog and protocol the server follows.
pub const SERVER_VERSION: &str = "16.6";
/// `server_version_num` of [`SERVER_VERSION`].
pub const SERVER_VERSION_NUM: &str = "160006";

/// The `server_version` startup parameter and `SHOW server_version`: PostgreSQL's number
/// first (what libpq and pgjdbc parse), then who answers.
pub fn server_version() -> String {
    format!("{SERVER_VERSION} (ceping {})", env!("CARGO_PKG_VERSION"))
}

/// `SELECT version()`, in the form PostgreSQL gives it.
pub fn version() -> String {
    format!(
        "PostgreSQL {SERVER_VERSION} (ceping {}; Apache DataFusion {}) on {}-linux-gnu, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION"),
        datafusion::DATAFUSION_VERSION,
        std::env::consts::ARCH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_parses_as_postgresql_16() {
        // SQLAlchemy's PostgreSQL dialect: r".*(?:PostgreSQL|EnterpriseDB) (\d+)\.?(\d+)?"
        let v = version();
        let after = v.split("PostgreSQL ").nth(1).unwrap();
        let number: String = after.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        assert_eq!(number, "16.6");
        assert!(v.contains("ceping") && v.contains("DataFusion 55"), "{v}");
        // libpq: sscanf("%d.%d") of the startup parameter
        assert!(server_version().starts_with("16.6 "));
        assert_eq!(SERVER_VERSION_NUM, "160006");
    }
}
