//! Lifecycle automation inside the server: deactivates users whose
//! contract has ended. Safe with several replicas: a round runs under a
//! database lease (a PostgreSQL advisory lock; SQLite has one writer), and
//! what it does is idempotent. Each action goes through the service layer
//! as the organization's `System` actor (so the last-owner rule, the audit
//! trail and webhooks are the same as for a person's deactivation).
//! Expired invitations need no work (their status is derived from their
//! expiry) and the audit trail is pruned by its own task.

use std::time::Duration;

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use diesel::Connection;

use crate::auth::Caller;
use crate::db::{self, Db, users};
use crate::domain::time;
use crate::error::{Error, Result};
use crate::service::Parsed;
use crate::service::audit::Interface;
use crate::service::signing_keys::{self, AutoRotation};
use crate::service::users::{self as user_service, UserField, UserPatch};

/// Runs a round every `every_seconds` (0: this replica runs none), with
/// the automatic rotation of token-signing keys when it is set.
pub fn start(db: Db, every_seconds: u64, rotation: Option<AutoRotation>) {
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
            if let Some(rotation) = &rotation {
                match signing_keys::auto_rotate(&db, rotation).await {
                    Ok(None) => {}
                    Ok(Some(rotated)) => tracing::info!(
                        key = %rotated.key_id,
                        signs_from = %rotated.signs_from,
                        "token-signing key rotated"
                    ),
                    Err(e) => tracing::warn!(error = %e, "cannot rotate the token-signing key"),
                }
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
        crate::service::idempotency::purge_expired(conn)?;
        let mut deactivated = 0;
        let mut systems: HashMap<String, Caller> = HashMap::new();
        for user in users::contract_ended(conn, time::now())? {
            let org = user.organization_id.clone();
            let system = match systems.entry(org) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => {
                    let system = Caller::system(conn, slot.key(), Interface::Scheduler)?;
                    slot.insert(system)
                }
            };
            let mut patch = UserPatch {
                active: Some(false),
                ..UserPatch::default()
            };
            patch.name(UserField::Active);
            let deactivate = Parsed::valid(patch);
            // Each user in a savepoint: a refusal undoes that user alone.
            let outcome = conn.transaction(|conn| {
                user_service::update(conn, system, &user.id, user.is_apiuser, deactivate)
            });
            match outcome {
                Ok(_) => deactivated += 1,
                Err(Error::LastOwner { .. }) => tracing::warn!(
                    user = %user.id,
                    "contract ended, but this is the last active owner: left active"
                ),
                Err(other) => return Err(other),
            }
        }
        Ok(deactivated)
    })
    .await
}
