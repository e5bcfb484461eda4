//! What Tessera checks before a request reaches rmcp's streamable-HTTP
//! transport: the HTTP rules it shares with the REST API (Origin, method,
//! media types, body size, JSON errors in the DRF envelope), the `Bearer`
//! credential, and the JSON-RPC envelope. rmcp answers the last three with
//! a 415 and plain text where JSON-RPC wants `-32700`/`-32600` (it parses
//! the body straight into its message type), so the envelope is checked
//! here; everything else about the protocol is rmcp's.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpResponse, ResponseError, web};
use std::rc::Rc;

use futures_util::StreamExt;
use serde_json::{Value, json};

use rmcp::model::{ClientJsonRpcMessage, ClientRequest};

use crate::auth::Caller;
use crate::error::Error;

/// Bodies over this are a 413, as everywhere in the API.
const BODY_LIMIT: usize = 1024 * 1024;

/// What the gate is configured with.
#[derive(Clone, Debug)]
pub struct GateConfig {
    /// Browser origins allowed besides the server's own (`TESSERA_CORS_ORIGINS`).
    pub allowed_origins: Vec<String>,
}

/// Middleware in front of the rmcp service (`actix_web::middleware::from_fn`).
pub async fn gate(
    config: Rc<GateConfig>,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(refusal) = refusal(&config, &mut req).await {
        return Ok(req.into_response(refusal));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// The answer to a request that must not reach the transport, if any.
async fn refusal(config: &GateConfig, req: &mut ServiceRequest) -> Option<HttpResponse> {
    if let Some(origin) = foreign_origin(config, req) {
        return Some(HttpResponse::Forbidden().json(json!({
            "detail": format!("Origin \"{origin}\" is not allowed.")
        })));
    }
    if req.method() != actix_web::http::Method::POST {
        // No server-to-client stream and no sessions: POST only.
        return Some(
            Error::MethodNotAllowed {
                method: req.method().to_string(),
                allow: "POST".into(),
            }
            .error_response(),
        );
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Some(Error::UnsupportedMediaType(content_type).error_response());
    }
    if !accepts(req.headers(), JSON) && !accepts(req.headers(), EVENT_STREAM) {
        return Some(Error::NotAcceptable.error_response());
    }
    // rmcp insists on both types being listed (`curl`'s default `*/*`
    // does not list them); which one answers was chosen by routing.
    req.headers_mut().insert(
        header::ACCEPT,
        HeaderValue::from_static("application/json, text/event-stream"),
    );
    let caller = match Caller::extract(req.request()).await {
        Ok(caller) => caller,
        Err(e) => return Some(unauthorized(e)),
    };
    req.extensions_mut().insert(caller);
    let body = match read_body(req).await {
        Ok(body) => body,
        Err(e) => return Some(e.error_response()),
    };
    if let Err(refused) = check_envelope(&body) {
        return Some(refused.response());
    }
    req.set_payload(Payload::from(body));
    None
}

/// The `Origin` header when it is neither the server's own nor allowed.
fn foreign_origin(config: &GateConfig, req: &ServiceRequest) -> Option<String> {
    let origin = req.headers().get(header::ORIGIN)?;
    let Ok(origin) = origin.to_str() else {
        return Some(String::from_utf8_lossy(origin.as_bytes()).into_owned());
    };
    // The server's own origin is the one naming the Host the request was
    // sent to (the raw header: `X-Forwarded-Host` is the client's to
    // choose). A DNS-rebinding Host is refused next, by rmcp, unless it is
    // in TESSERA_MCP_ALLOWED_HOSTS.
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let own = origin.split_once("://").is_some_and(|(scheme, authority)| {
        matches!(scheme, "http" | "https")
            && !host.is_empty()
            && authority.eq_ignore_ascii_case(host)
    });
    let listed = config
        .allowed_origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/'))
        .any(|o| !o.is_empty() && o.eq_ignore_ascii_case(origin));
    (!(listed || own)).then(|| origin.to_owned())
}

const JSON: &str = "application/json";
const EVENT_STREAM: &str = "text/event-stream";

/// Whether `Accept` (absent means anything) admits `media`.
fn accepts(headers: &HeaderMap, media: &str) -> bool {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return true;
    }
    let (kind, _) = media.split_once('/').expect("a media type");
    values.iter().flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';');
        let range = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            p.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("q") && v.trim().parse::<f32>() == Ok(0.0)
            })
        });
        !refused && (range == media || range == "*/*" || range == format!("{kind}/*"))
    })
}

/// A client that takes an event stream but not JSON is answered with one.
pub fn wants_event_stream_only(headers: &HeaderMap) -> bool {
    !accepts(headers, JSON) && accepts(headers, EVENT_STREAM)
}

/// 401 with the `Bearer` challenge of RFC 6750 (the REST API challenges with
/// `JWT`, but MCP clients speak OAuth-style bearer tokens).
fn unauthorized(e: Error) -> HttpResponse {
    let challenge = match e {
        Error::NotAuthenticated => "Bearer realm=\"tessera\"",
        Error::InvalidToken => "Bearer realm=\"tessera\", error=\"invalid_token\"",
        other => return other.error_response(),
    };
    let mut response = e.error_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}

async fn read_body(req: &mut ServiceRequest) -> Result<web::Bytes, Error> {
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| Error::BadRequest(format!("The request body could not be read: {e}")))?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(Error::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A JSON-RPC error answered over HTTP 400 (the request never reached a method).
#[derive(Debug)]
struct Refused {
    id: Value,
    code: i64,
    message: String,
}

impl Refused {
    fn response(&self) -> HttpResponse {
        HttpResponse::BadRequest().json(json!({
            "jsonrpc": "2.0",
            "id": self.id,
            "error": {"code": self.code, "message": self.message},
        }))
    }
}

fn rpc_error(id: Value, code: i64, message: &str) -> Refused {
    Refused {
        id,
        code,
        message: message.to_owned(),
    }
}

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const INVALID_PARAMS: i64 = -32602;

/// One JSON-RPC 2.0 message (request, notification or response). Batches are
/// refused: protocol 2025-06-18 removed them, and a stateless server has no
/// use for them with 2025-03-26 either.
fn check_envelope(body: &[u8]) -> Result<(), Refused> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| rpc_error(Value::Null, PARSE_ERROR, &format!("Parse error: {e}")))?;
    let message = match value {
        Value::Object(message) => message,
        Value::Array(_) => {
            return Err(rpc_error(
                Value::Null,
                INVALID_REQUEST,
                "Invalid Request: batches are not supported; send one message per request",
            ));
        }
        _ => {
            return Err(rpc_error(
                Value::Null,
                INVALID_REQUEST,
                "Invalid Request: expected a JSON-RPC 2.0 object",
            ));
        }
    };
    let id = match message.get("id") {
        None => Value::Null,
        Some(id @ (Value::String(_) | Value::Number(_))) => id.clone(),
        Some(_) => {
            return Err(rpc_error(
                Value::Null,
                INVALID_REQUEST,
                "Invalid Request: id must be a string or a number",
            ));
        }
    };
    let invalid = |why: &str| Err(rpc_error(id.clone(), INVALID_REQUEST, why));
    if message.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return invalid("Invalid Request: jsonrpc must be \"2.0\"");
    }
    match message.get("method") {
        Some(Value::String(_)) => {}
        Some(_) => return invalid("Invalid Request: method must be a string"),
        None if message.contains_key("result") || message.contains_key("error") => {}
        None => return invalid("Invalid Request: method is missing"),
    }
    if let Some(params) = message.get("params")
        && !params.is_object()
    {
        return Err(rpc_error(
            id,
            INVALID_PARAMS,
            "Invalid params: params must be an object",
        ));
    }
    // A standard method whose params do not fit it (e.g. `tools/call`
    // without a name) would reach rmcp as an unknown custom method (-32601).
    let method = message.get("method").and_then(Value::as_str).unwrap_or("");
    let parsed = serde_json::from_value::<ClientJsonRpcMessage>(Value::Object(message.clone()));
    let misread = match &parsed {
        Err(_) => true,
        Ok(ClientJsonRpcMessage::Request(request)) => {
            STANDARD_METHODS.contains(&method)
                && matches!(request.request, ClientRequest::CustomRequest(_))
        }
        Ok(_) => false,
    };
    if misread {
        return Err(rpc_error(
            id,
            INVALID_PARAMS,
            &format!("Invalid params: they do not fit method \"{method}\""),
        ));
    }
    Ok(())
}

/// The client-to-server requests of the MCP revisions Tessera speaks.
const STANDARD_METHODS: [&str; 13] = [
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> Option<i64> {
        let refused = check_envelope(body.as_bytes()).err()?;
        assert_eq!(refused.response().status(), 400);
        Some(refused.code)
    }

    #[test]
    fn accept_ranges() {
        let with = |accept: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
            headers
        };
        assert!(accepts(&HeaderMap::new(), JSON));
        assert!(accepts(&with("*/*"), JSON));
        assert!(accepts(&with("application/*"), JSON));
        assert!(accepts(&with("text/html, application/json;q=0.5"), JSON));
        assert!(!accepts(&with("application/json;q=0"), JSON));
        assert!(!accepts(&with("text/html"), JSON));
        assert!(wants_event_stream_only(&with("text/event-stream")));
        assert!(!wants_event_stream_only(&with(
            "application/json, text/event-stream"
        )));
        assert!(!wants_event_stream_only(&with("text/html")));
    }

    #[test]
    fn envelopes_are_checked() {
        assert_eq!(code("{"), Some(PARSE_ERROR));
        assert_eq!(code("[]"), Some(INVALID_REQUEST));
        assert_eq!(
            code(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#),
            Some(INVALID_REQUEST)
        );
        assert_eq!(code("3"), Some(INVALID_REQUEST));
        assert_eq!(code(r#"{"id":1,"method":"ping"}"#), Some(INVALID_REQUEST));
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#),
            Some(INVALID_REQUEST)
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":7}"#),
            Some(INVALID_REQUEST)
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}"#),
            Some(INVALID_PARAMS)
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}}"#),
            Some(INVALID_PARAMS)
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#),
            Some(INVALID_PARAMS)
        );
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#), None);
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#),
            None
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":"a","method":"no/such/method"}"#),
            None
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            None
        );
    }
}
