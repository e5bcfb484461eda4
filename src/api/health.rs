//! Liveness and readiness probes.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::ErrorDetail;
use crate::error::{Error, Result};
use crate::state::AppState;

/// Longest a readiness probe waits for a database connection: a load
/// balancer checks every second or so, and a probe that waits longer only
/// piles up behind the next ones.
const READY_WAIT: Duration = Duration::from_millis(400);

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`
    pub status: &'static str,
}

/// Liveness
///
/// Answers as long as the process serves HTTP; touches no database.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)), security(()))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness
///
/// Answers 200 when a database connection is had within 400 ms and, on
/// PostgreSQL, is on the primary (a connection to a standby is replaced);
/// 503 otherwise. Load balancers send traffic by it.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses((status = 200, body = Health), (status = 503, description = "The database is unreachable, or no primary answers in time", body = ErrorDetail)),
    security(())
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse> {
    state
        .db
        .ping(READY_WAIT)
        .await
        .map_err(|_| Error::Unavailable("The database is not answering.".into()))?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
