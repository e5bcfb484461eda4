//! `column IN (ids)` in a statement of one shape whatever the number of ids.
//!
//! diesel's `eq_any` writes one placeholder per value on SQLite, and a
//! statement whose text varies is prepared afresh every time: for a short
//! page of users, preparing its embeds' statements was a fifth of the
//! request. [`InIds`] binds the ids as one parameter, a JSON array that
//! SQLite reads with `json_each`, an array PostgreSQL compares with
//! `= ANY`, so each connection prepares the statement once and keeps it.

use diesel::QueryResult;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Text};
use diesel::sqlite::Sqlite;

/// `column IN (ids)`, one bound parameter (see the module's documentation).
#[derive(Debug, Clone)]
pub struct InIds<'a, C> {
    column: C,
    ids: Vec<&'a str>,
    json: String,
}

impl<'a, C> InIds<'a, C> {
    pub fn new(column: C, ids: impl IntoIterator<Item = &'a str>) -> Self {
        let ids: Vec<&str> = ids.into_iter().collect();
        let json = serde_json::to_string(&ids).expect("a list of strings is JSON");
        Self { column, ids, json }
    }
}

impl<C: QueryId> QueryId for InIds<'_, C> {
    type QueryId = InIds<'static, C::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C: Expression> Expression for InIds<'_, C> {
    type SqlType = Bool;
}

impl<C: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for InIds<'_, C> where Self: Expression {}

impl<C: SelectableExpression<QS>, QS> SelectableExpression<QS> for InIds<'_, C> where
    Self: AppearsOnTable<QS>
{
}

impl<C: ValidGrouping<()>> ValidGrouping<()> for InIds<'_, C> {
    type IsAggregate = C::IsAggregate;
}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for InIds<'_, C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C: QueryFragment<Pg>> QueryFragment<Pg> for InIds<'_, C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" = ANY(");
        out.push_bind_param::<Array<Text>, _>(&self.ids)?;
        out.push_sql(")");
        Ok(())
    }
}

/// The distinct values of `values`, sorted: each id bound once.
pub fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = values.collect();
    out.sort_unstable();
    out.dedup();
    out
}
