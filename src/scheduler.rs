//! Lifecycle automation inside the server: deactivates users whose
//! contract has ended, removes role assignments that have expired, and
//! deactivates dormant accounts where the organization asks for it. Safe with several replicas: a round runs under a
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
use crate::db::models::UserRow;
use crate::db::{self, Db, DbConnection, users};
use crate::domain::time;
use crate::error::{Error, Result};
use crate::service::Parsed;
use crate::service::audit::Interface;
use crate::service::signing_keys::{self, AutoRotation};
use crate::service::users::{self as user_service, UserField, UserPatch};
use crate::service::{dormancy, grants};

/// Runs a round every `every_seconds` (0: this replica runs none), with
/// the automatic rotation of token-signing keys when it is set.
pub fn start(db: Db, every_seconds: u64, rotation: Option<AutoRotation>) {
    if every_seconds == 0 {
        return;
    }
    tokio::spawn(async move {
        loop {
            match run_once(&db).await {
                Ok(round) if round == Round::default() => {}
                Ok(round) => tracing::info!(
                    contracts_ended = round.contracts_ended,
                    grants_expired = round.grants_expired,
                    dormant_deactivated = round.dormant_deactivated,
                    "scheduler round"
                ),
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

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Users deactivated because their contract ended.
    pub contracts_ended: usize,
    /// Role assignments removed because they expired.
    pub grants_expired: usize,
    /// Users deactivated because they were dormant.
    pub dormant_deactivated: usize,
}

/// One round (a no-op where another replica holds the lease).
pub async fn run_once(db: &Db) -> Result<Round> {
    db.write(|conn| {
        if !db::try_advisory_lock(conn, db::SCHEDULER_LOCK)? {
            return Ok(Round::default());
        }
        crate::service::idempotency::purge_expired(conn)?;
        users::counts::fold(conn)?;
        let now = time::now();
        let mut systems = Systems::default();
        let ended = users::contract_ended(conn, now)?;
        let contracts_ended = deactivate_each(conn, &mut systems, ended, "contract ended")?;
        let grants_expired = grants::remove_expired(conn, now)?;
        let dormant = dormancy::to_deactivate(conn, now)?;
        let dormant_deactivated = deactivate_each(conn, &mut systems, dormant, "dormant")?;
        Ok(Round {
            contracts_ended,
            grants_expired,
            dormant_deactivated,
        })
    })
    .await
}

/// Each organization's `System` actor, read once a round.
#[derive(Default)]
struct Systems(HashMap<String, Caller>);

impl Systems {
    fn of(&mut self, conn: &mut DbConnection, organization_id: &str) -> Result<&Caller> {
        Ok(match self.0.entry(organization_id.to_owned()) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => {
                let system = Caller::system(conn, slot.key(), Interface::Scheduler)?;
                slot.insert(system)
            }
        })
    }
}

/// Deactivates `found` through the service layer as each organization's
/// `System` actor (so the last-owner rule, the audit trail and webhooks are
/// a person's deactivation's), each in a savepoint: a refusal undoes that
/// user alone. Returns how many it deactivated.
fn deactivate_each(
    conn: &mut DbConnection,
    systems: &mut Systems,
    found: Vec<UserRow>,
    why: &str,
) -> Result<usize> {
    let mut deactivated = 0;
    for user in found {
        let system = systems.of(conn, &user.organization_id)?;
        let mut patch = UserPatch {
            active: Some(false),
            ..UserPatch::default()
        };
        patch.name(UserField::Active);
        let deactivate = Parsed::valid(patch);
        let outcome = conn.transaction(|conn| {
            user_service::update(conn, system, &user.id, user.is_apiuser, deactivate)
        });
        match outcome {
            Ok(_) => deactivated += 1,
            Err(Error::LastOwner { .. }) => tracing::warn!(
                user = %user.id,
                reason = why,
                "this is the last active owner: left active"
            ),
            Err(other) => return Err(other),
        }
    }
    Ok(deactivated)
}
