//! Each organization's number of people and of API users, its System actor
//! aside: what an unfiltered list answers as its exact `count`, read from
//! one index range instead of counted over every member.
//!
//! Triggers keep `user_counts` (migration 42), so every way a user is
//! written is counted. The count is the sum of `n` over an organization's
//! rows of a kind: SQLite keeps one row per organization and kind, while
//! PostgreSQL appends a row per writing statement, so that concurrent
//! writers never wait on one another, and [`fold`] sums those rows back into
//! one.

use std::collections::BTreeMap;

use diesel::dsl::sum;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Text};

use crate::db::DbConnection;
use crate::db::schema::user_counts;

/// Rows folded at most per call, so a backlog is worked off in bounded steps.
const FOLD_BATCH: i64 = 10_000;

/// How many people (`is_apiuser` false) or API users the organization has.
pub fn of_kind(
    conn: &mut DbConnection,
    organization_id: &str,
    is_apiuser: bool,
) -> QueryResult<i64> {
    user_counts::table
        .filter(user_counts::organization_id.eq(organization_id))
        .filter(user_counts::is_apiuser.eq(is_apiuser))
        .select(sum(user_counts::n))
        .get_result::<Option<i64>>(conn)
        .map(|n| n.unwrap_or(0))
}

#[derive(QueryableByName)]
struct Part {
    #[diesel(sql_type = Text)]
    organization_id: String,
    #[diesel(sql_type = Bool)]
    is_apiuser: bool,
    #[diesel(sql_type = Integer)]
    n: i32,
}

/// Sums the rows of every organization and kind that has more than one into
/// a single row (none where they sum to zero), a batch at a time; returns
/// how many rows it removed. Safe beside concurrent writers: it removes
/// exactly the rows it read and adds back their sum, in one transaction, and
/// rows appended meanwhile stay for the next call.
pub fn fold(conn: &mut DbConnection) -> QueryResult<usize> {
    let removed: Vec<Part> = diesel::sql_query(format!(
        "DELETE FROM user_counts WHERE id IN (\
           SELECT c.id FROM user_counts c JOIN (\
             SELECT organization_id, is_apiuser FROM user_counts \
             GROUP BY organization_id, is_apiuser HAVING count(*) > 1) m \
           ON m.organization_id = c.organization_id AND m.is_apiuser = c.is_apiuser \
           ORDER BY c.id LIMIT {FOLD_BATCH}) \
         RETURNING organization_id, is_apiuser, n"
    ))
    .load(conn)?;
    let mut sums: BTreeMap<(&str, bool), i64> = BTreeMap::new();
    for part in &removed {
        *sums
            .entry((part.organization_id.as_str(), part.is_apiuser))
            .or_default() += i64::from(part.n);
    }
    for ((organization_id, is_apiuser), n) in sums {
        if n == 0 {
            continue;
        }
        // The rows sum to a number of users, far inside `INTEGER`.
        let n =
            i32::try_from(n).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        diesel::insert_into(user_counts::table)
            .values((
                user_counts::organization_id.eq(organization_id),
                user_counts::is_apiuser.eq(is_apiuser),
                user_counts::n.eq(n),
            ))
            .execute(conn)?;
    }
    Ok(removed.len())
}

/// Folds until nothing is left to fold (after a bulk write, say).
pub fn fold_all(conn: &mut DbConnection) -> QueryResult<()> {
    while fold(conn)? > 0 {}
    Ok(())
}
