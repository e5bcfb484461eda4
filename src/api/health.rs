//! Liveness and readiness probes.

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::ErrorDetail;
use crate::error::{Error, Result};
use crate::state::AppState;

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
/// Answers 200 when the database answers a query, 503 otherwise.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses((status = 200, body = Health), (status = 503, description = "The database is unreachable", body = ErrorDetail)),
    security(())
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse> {
    state
        .db
        .read(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(|_| Error::Unavailable("The database is not answering.".into()))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
