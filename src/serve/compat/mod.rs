//! What PostgreSQL clients expect of the catalog and the SQL they send, beyond what
//! datafusion-postgres gives: the pieces SQLAlchemy, pgjdbc (DBeaver, Metabase), psqlODBC
//! (Excel, WPS, Power BI), node-postgres and pgcli read when they connect and browse
//! (README "Connecting": the clients tested). [`catalog`] lays tables over `pg_catalog` (its rows made in [`batches`]),
//! [`functions`] adds the functions, [`rewrite`] turns the statements DataFusion cannot
//! plan into ones it can.

mod batches;
pub mod catalog;
pub mod functions;
pub mod rewrite;

use std::sync::Arc;

use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog;

use crate::error::{Error, Result};
use crate::sql;

/// Sets up `pg_catalog` and the functions clients call on a session.
pub async fn install(session: &sql::Session) -> Result<()> {
    setup_pg_catalog(&session.ctx, sql::CATALOG, EmptyContextProvider).map_err(|e| Error::DataFusion(*e))?;
    session.ctx.register_udf(functions::version_function());
    for udf in functions::size_functions() {
        session.ctx.register_udf(udf);
    }
    for udf in functions::comment_functions(session).await? {
        session.ctx.register_udf(udf);
    }
    let known = Arc::new(catalog::install(session).await?);
    for udf in functions::catalog_functions(session, &known) {
        session.ctx.register_udf(udf);
    }
    Ok(())
}
