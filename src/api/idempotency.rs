//! The `Idempotency-Key` header on every POST (see `service::idempotency`):
//! a retry with the key of a request that succeeded gets the same response,
//! marked `Idempotency-Replayed: true`, without the write happening again.

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
            Ok(caller) => Some(caller.actor().id),
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

    let begun = {
        let (secrets, scope, key) = (state.secrets.clone(), scope.clone(), key.clone());
        let replica = state.db.replica_id().to_owned();
        state
            .db
            .write(move |conn| idempotency::begin(conn, &secrets, &replica, &scope, &key, &hash))
            .await
    };
    match begun {
        Err(e) => return Ok(req.error_response(e)),
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
            finish(&state, scope, key, None).await;
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
            finish(&state, scope, key, None).await;
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
    finish(&state, scope, key, Some(stored)).await;
    Ok(ServiceResponse::new(req, response.set_body(bytes)).map_into_boxed_body())
}

/// Keeps the response, or releases the key (no response at all); a
/// failure here is logged, the response still goes out (the key's lease
/// lets a retry run once it expires).
async fn finish(
    state: &web::Data<AppState>,
    scope: String,
    key: String,
    response: Option<StoredResponse>,
) {
    let secrets = state.secrets.clone();
    let outcome = state
        .db
        .write(move |conn| match &response {
            Some(response) => idempotency::finish(conn, &secrets, &scope, &key, response),
            None => idempotency::release(conn, &scope, &key),
        })
        .await;
    if let Err(e) = outcome {
        tracing::warn!(error = %e, "an idempotency key could not be recorded");
    }
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
