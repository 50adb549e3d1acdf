//! The shape of a planned statement as the protocol needs it: parameters a subquery
//! hides named at the top, and columns of a type the protocol cannot carry cast to text.
//! Pure: a plan in, a plan out.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Column;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion_postgres::arrow_pg::datatypes::into_pg_type;

/// A parameter used only inside a subquery (SQLAlchemy's catalog queries with psycopg 3's
/// server-side parameters) is not among the plan's parameter types as datafusion-postgres
/// reads them (the plan's own nodes), so the parameters after it would be decoded with the
/// wrong types; nor is one of a catalog subquery answered NULL. Such parameters are named
/// once more at the top, in a filter that is always true, with the type their cast gives
/// (text otherwise).
pub fn expose_placeholders(
    plan: LogicalPlan,
    named: Vec<(String, Option<DataType>)>,
) -> datafusion::error::Result<LogicalPlan> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::expr::Placeholder;
    let top = plan.get_parameter_types()?;
    let mut inner: std::collections::BTreeMap<String, Option<DataType>> = std::collections::BTreeMap::new();
    plan.apply_with_subqueries(|node| {
        for expr in node.expressions() {
            expr.apply(|e| {
                match e {
                    Expr::Cast(c) => {
                        if let Expr::Placeholder(ph) = c.expr.as_ref() {
                            inner.insert(ph.id.clone(), Some(c.field.data_type().clone()));
                        }
                    }
                    Expr::Placeholder(ph) => {
                        inner
                            .entry(ph.id.clone())
                            .or_insert(ph.field.as_ref().map(|f| f.data_type().clone()));
                    }
                    _ => {}
                }
                Ok(TreeNodeRecursion::Continue)
            })?;
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    for (id, ty) in named {
        inner.entry(id).or_insert(ty);
    }
    let missing: Vec<(String, Option<DataType>)> = inner.into_iter().filter(|(id, _)| !top.contains_key(id)).collect();
    if missing.is_empty() {
        return Ok(plan);
    }
    let named = missing
        .into_iter()
        .map(|(id, ty)| {
            let ty = ty.unwrap_or(DataType::Utf8);
            Expr::Placeholder(Placeholder::new_with_field(
                id,
                Some(Arc::new(datafusion::arrow::datatypes::Field::new("", ty.clone(), true))),
            ))
            .is_null()
            .or(datafusion::prelude::lit(true))
        })
        .reduce(Expr::and)
        .unwrap_or_else(|| datafusion::prelude::lit(true));
    LogicalPlanBuilder::from(plan).filter(named)?.build()
}

/// Columns of a type the protocol cannot carry (no PostgreSQL type for it) are cast to
/// text, so the client gets a value rather than a dropped connection.
pub fn as_text_where_needed(plan: LogicalPlan) -> datafusion::error::Result<LogicalPlan> {
    if matches!(
        plan,
        LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) | LogicalPlan::DescribeTable(_)
    ) {
        return Ok(plan);
    }
    let schema = plan.schema().clone();
    if schema.fields().iter().all(|f| carried(f.data_type()) && !vector(f)) {
        return Ok(plan);
    }
    let exprs: Vec<Expr> = schema
        .iter()
        .map(|(qualifier, field)| {
            let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
            if vector(field) {
                // int2vector / oidvector text: items separated by spaces, as PostgreSQL
                // writes them and drivers split them (SQLAlchemy, psqlODBC)
                datafusion::functions_nested::expr_fn::array_to_string(column, datafusion::prelude::lit(" "))
                    .alias(field.name())
            } else if carried(field.data_type()) {
                column
            } else {
                datafusion::logical_expr::cast(column, DataType::Utf8).alias(field.name())
            }
        })
        .collect();
    LogicalPlanBuilder::from(plan).project(exprs)?.build()
}

/// A catalog vector column in a result (`SELECT i.indkey …`).
fn vector(field: &datafusion::arrow::datatypes::Field) -> bool {
    matches!(field.data_type(), DataType::List(_))
        && super::compat::rewrite::VECTORS.contains(&field.name().to_lowercase().as_str())
}

/// Whether arrow-pg encodes the type (it names a PostgreSQL type for some it then cannot
/// encode, such as Float16).
fn carried(data_type: &DataType) -> bool {
    let inner_ok = match data_type {
        DataType::Float16 | DataType::Map(..) | DataType::Union(..) | DataType::RunEndEncoded(..) => false,
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => carried(f.data_type()),
        DataType::Struct(fields) => fields.iter().all(|f| carried(f.data_type())),
        DataType::Dictionary(_, values) => carried(values),
        _ => true,
    };
    inner_ok && into_pg_type(data_type).is_ok()
}
