//! The `Idempotency-Key` header on every POST (see `service::idempotency`):
//! a retry with the key of a request that succeeded gets the same response,
//! marked `Idempotency-Replayed: true`, without the write happening again.

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::api::extract::read_body;
use crate::auth::Caller;
use crate::db::idempotency::{CLAIM, Claim};
use crate::error::Error;
use crate::service::idempotency::{self, Begin, StoredResponse};
use crate::state::AppState;

pub const HEADER: &str = "Idempotency-Key";
pub const REPLAYED: &str = "Idempotency-Replayed";

/// The response headers a replay repeats.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// Whether a request takes part: a POST with the header, outside MCP
/// (whose JSON-RPC messages carry their own ids and may stream).
fn applies(req: &ServiceRequest) -> bool {
    req.method() == Method::POST
        && req.headers().contains_key(HEADER)
        && !req.path().starts_with("/api/mcp")
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !applies(&req) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    // A value that is not even text is refused as any malformed key is.
    let raw = req
        .headers()
        .get(HEADER)
        .map_or("", |v| v.to_str().unwrap_or(""));
    let key = match idempotency::parse_key(raw) {
        Ok(key) => key,
        Err(message) => return Ok(req.error_response(Error::field(HEADER, message))),
    };
    // A key belongs to the user whose valid credentials send it, checked
    // before anything is replayed: a revoked token or a deactivated user's
    // key replays nothing. Credentials that do not authenticate leave the
    // request to its handler (a 401), with nothing kept.
    let user_id = if req.headers().contains_key(header::AUTHORIZATION) {
        match Caller::from_request(req.request(), &mut Payload::None).await {
            Ok(caller) => {
                let id = caller.actor().id;
                // The handler's extractor takes it from here.
                req.extensions_mut().insert(caller);
                Some(id)
            }
            Err(_) => return Ok(next.call(req).await?.map_into_boxed_body()),
        }
    } else {
        None
    };
    let payload = req.take_payload();
    let body = match read_body(req.request(), payload).await {
        Ok(body) => body,
        Err(e) => return Ok(req.error_response(e)),
    };
    let hash =
        idempotency::request_hash(req.method().as_str(), req.path(), req.query_string(), &body);
    let scope = idempotency::scope(user_id.as_deref(), &hash);
    req.set_payload(Payload::from(body));
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("the app has its state");

    let owner = idempotency::owner(
        state.db.replica_id(),
        &format!("{:016x}", rand::random::<u64>()),
    );
    let begun = {
        let (secrets, scope, key) = (state.secrets.clone(), scope.clone(), key.clone());
        let owner = owner.clone();
        state
            .db
            .write(move |conn| idempotency::begin(conn, &secrets, &owner, &scope, &key, &hash))
            .await
    };
    match begun {
        Err(e) => {
            // The database went away during the claim (a failover): it may
            // have committed all the same, and would hold the key for the
            // lease. Release it, if it is there, once the database is back.
            if matches!(e, Error::Unavailable(_) | Error::Internal(_)) {
                settle_later(
                    state.clone(),
                    Record {
                        owner,
                        scope,
                        key,
                        response: None,
                    },
                );
            }
            return Ok(req.error_response(e));
        }
        Ok(Begin::Replay(stored)) => {
            let response = replay(&stored);
            return Ok(req.into_response(response));
        }
        Ok(Begin::Run) => {}
    }

    // Every write the request commits marks its key applied in the same
    // transaction: should this process die before `finish`, a retry then
    // knows not to run it again.
    let claim = Claim {
        scope: scope.clone(),
        key: key.clone(),
    };
    let outcome = CLAIM.scope(claim, next.call(req)).await;
    let response = match outcome {
        Ok(response) => response,
        Err(e) => {
            finish(
                &state,
                Record {
                    owner,
                    scope,
                    key,
                    response: None,
                },
            )
            .await;
            return Err(e);
        }
    };
    let (req, response) = response.into_parts();
    let status = response.status();
    let headers: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = response.headers().get(name)?.to_str().ok()?;
            Some((name.as_str().to_owned(), value.to_owned()))
        })
        .collect();
    let (response, body) = response.into_parts();
    let bytes = match to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(_) => {
            finish(
                &state,
                Record {
                    owner,
                    scope,
                    key,
                    response: None,
                },
            )
            .await;
            return Err(
                Error::internal(anyhow::anyhow!("a response body could not be read")).into(),
            );
        }
    };
    let stored = StoredResponse {
        status: status.as_u16(),
        headers,
        body: STANDARD.encode(&bytes),
    };
    let response_kept = Record {
        owner,
        scope,
        key,
        response: Some(stored),
    };
    finish(&state, response_kept).await;
    Ok(ServiceResponse::new(req, response.set_body(bytes)).map_into_boxed_body())
}

/// What a request leaves of its key: its response, or (`None`) nothing.
struct Record {
    owner: String,
    scope: String,
    key: String,
    response: Option<StoredResponse>,
}

/// Keeps the response, or releases the key (no response at all). When the
/// database refuses (a failover), the response still goes out and the
/// record is retried in the background: until it lands, a retry of the
/// request would be answered 409.
async fn finish(state: &web::Data<AppState>, record: Record) {
    if let Err(e) = write_record(state, &record).await {
        tracing::warn!(error = %e, "an idempotency key could not be recorded; retrying");
        settle_later(state.clone(), record);
    }
}

async fn write_record(state: &web::Data<AppState>, record: &Record) -> Result<(), Error> {
    let secrets = state.secrets.clone();
    let (owner, scope, key) = (
        record.owner.clone(),
        record.scope.clone(),
        record.key.clone(),
    );
    let response = record.response.clone();
    state
        .db
        .write(move |conn| match &response {
            Some(response) => idempotency::finish(conn, &secrets, &owner, &scope, &key, response),
            None => idempotency::release(conn, &owner, &scope, &key),
        })
        .await
}

/// How often, and how long, a record the database refused is retried: past
/// the key's lease, retries of the request no longer wait for it.
const SETTLE_EVERY: Duration = Duration::from_millis(500);
const SETTLE_ATTEMPTS: u32 = 240;

fn settle_later(state: web::Data<AppState>, record: Record) {
    actix_web::rt::spawn(async move {
        for _ in 0..SETTLE_ATTEMPTS {
            actix_web::rt::time::sleep(SETTLE_EVERY).await;
            if write_record(&state, &record).await.is_ok() {
                return;
            }
        }
        tracing::warn!("an idempotency key could not be recorded; its lease will free it");
    });
}

fn replay(stored: &StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    for (name, value) in &stored.headers {
        response.insert_header((name.as_str(), value.as_str()));
    }
    response.insert_header((REPLAYED, "true"));
    response.body(STANDARD.decode(&stored.body).unwrap_or_default())
}
