//! Tells the other replicas this process is alive: it stamps its row in
//! the database every second. A replica whose stamp falls behind is taken
//! for dead, and the idempotency keys it claimed for requests it was
//! running are released at once (`service::idempotency`), instead of after
//! their two-minute lease.

use std::time::Duration;

use crate::db::{Db, replicas};
use crate::domain::time;
use crate::error::Result;

pub const EVERY: Duration = Duration::from_secs(1);

/// Replicas not seen for a day are forgotten (checked every ten minutes).
const FORGET_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(1);
const PRUNE_EVERY: u32 = 600;

/// Stamps this replica's row once (at start-up, before serving).
pub async fn beat(db: &Db) -> Result<()> {
    let id = db.replica_id().to_owned();
    db.write(move |conn| Ok(replicas::beat(conn, &id, time::now())?))
        .await
}

/// Stamps every second, for as long as the server runs.
pub fn start(db: Db) {
    tokio::spawn(async move {
        let mut round: u32 = 0;
        loop {
            tokio::time::sleep(EVERY).await;
            if let Err(e) = beat(&db).await {
                tracing::warn!(error = %e, "cannot stamp this replica's heartbeat");
            }
            round = round.wrapping_add(1);
            if round.is_multiple_of(PRUNE_EVERY) {
                let pruned = db
                    .write(|conn| Ok(replicas::prune(conn, time::now() - FORGET_AFTER)?))
                    .await;
                if let Err(e) = pruned {
                    tracing::warn!(error = %e, "cannot forget stopped replicas");
                }
            }
        }
    });
}
