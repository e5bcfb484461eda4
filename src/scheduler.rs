//! Lifecycle automation inside the server: deactivates users whose
//! contract has ended. Safe with several replicas: a round runs under a
//! database lease (a PostgreSQL advisory lock; SQLite has one writer), and
//! what it does is idempotent. Each action is attributed to the
//! organization's `System` actor and audited (so webhooks hear of it).
//! Expired invitations need no work (their status is derived from their
//! expiry) and the audit trail is pruned by its own task.

use std::time::Duration;

use serde_json::Value;

use crate::db::models::UserChanges;
use crate::db::{self, Db, users};
use crate::domain::time;
use crate::domain::user_roles;
use crate::error::Result;
use crate::service::audit::{self, Interface, RequestContext};
use crate::service::keys as key_rules;
use crate::service::users as user_rules;

/// Runs a round every `every_seconds` (0: this replica runs none).
pub fn start(db: Db, every_seconds: u64) {
    if every_seconds == 0 {
        return;
    }
    tokio::spawn(async move {
        loop {
            match run_once(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deactivated = n, "contracts ended: users deactivated"),
                Err(e) => tracing::warn!(error = %e, "scheduler round failed"),
            }
            tokio::time::sleep(Duration::from_secs(every_seconds)).await;
        }
    });
}

/// One round; returns how many users it deactivated.
pub async fn run_once(db: &Db) -> Result<usize> {
    db.write(|conn| {
        if !db::try_advisory_lock(conn, db::SCHEDULER_LOCK)? {
            return Ok(0);
        }
        let context = RequestContext {
            interface: Interface::Scheduler,
            ..RequestContext::default()
        };
        let now = time::now();
        let mut deactivated = 0;
        for user in users::contract_ended(conn, now)? {
            let org = user.organization_id.clone();
            let is_owner = user_roles::holds_owner(&user_rules::assignments_of(conn, &user.id)?);
            if is_owner {
                db::lock_organization(conn, &org)?;
                if users::count_active_owners(conn, &org)? <= 1 {
                    tracing::warn!(user = %user.id, "contract ended, but this is the last active owner: left active");
                    continue;
                }
            }
            let system = users::system_actor(conn, &org)?;
            let author = system.changed_by_self();
            let changes = UserChanges {
                active: Some(false),
                changed: Some(now),
                changed_by_id: Some(author.id),
                changed_by_email: Some(author.email),
                changed_by_name: Some(author.name),
                ..UserChanges::default()
            };
            users::update(conn, &user.id, &changes)?;
            key_rules::end_credentials(conn, &user.id, true)?;
            let kind = user_rules::object_type(user.is_apiuser);
            audit::record(
                conn,
                &org,
                Some(&system),
                &context,
                &format!("{kind}.deactivated"),
                audit::object(kind, &user.id),
                audit::change("active", Value::Bool(true), Value::Bool(false)),
            )?;
            deactivated += 1;
        }
        Ok(deactivated)
    })
    .await
}
