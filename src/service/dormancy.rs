//! Dormant accounts (`dormant_after_days` of an organization): who they
//! are, and, where the organization chose `dormant_action: deactivate`,
//! which the scheduler deactivates.

use chrono::NaiveDateTime;

use crate::db::models::UserRow;
use crate::db::{DbConnection, orgs, users};
use crate::domain::dormancy;
use crate::error::Result;

/// How many dormant accounts one round reads at most; the next round takes
/// the rest.
pub const ROUND_MAX: i64 = 1000;

/// The active accounts, in organizations that deactivate dormant ones,
/// with neither a sign-in nor an API-key use since their organization's
/// cutoff (nor a creation: a new account is not dormant).
pub fn to_deactivate(conn: &mut DbConnection, now: NaiveDateTime) -> Result<Vec<UserRow>> {
    let mut found = Vec::new();
    for org in orgs::deactivating_dormant(conn)? {
        let Some(days) = org.dormant_after_days else {
            continue;
        };
        let limit = ROUND_MAX - found.len() as i64;
        if limit <= 0 {
            break;
        }
        found.extend(users::dormant(
            conn,
            &org.id,
            dormancy::cutoff(now, days),
            limit,
        )?);
    }
    Ok(found)
}
