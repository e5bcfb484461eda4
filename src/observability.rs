//! Operational middleware: Prometheus metrics at `/metrics`, request ids
//! (`X-Request-Id`) and one access-log line per request.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use actix_web::http::{Uri, Version};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::IntGauge;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use crate::db::Db;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest client-chosen request id that is kept.
pub const REQUEST_ID_MAX: usize = 128;

/// A client's `X-Request-Id` when it is safe to echo and log: 1 to 128
/// printable ASCII characters.
pub fn client_request_id(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(&REQUEST_ID)?.to_str().ok()?;
    let ok = !value.is_empty()
        && value.len() <= REQUEST_ID_MAX
        && value.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(value)
}

/// Log span of a request: the fields of tracing-actix-web's (so its
/// `on_request_end` fills them in), with the query string's secrets
/// redacted from `http.target` (its `root_span!` logs the query as sent,
/// and links carry tokens), the id the client chose (when any) beside the
/// generated one, and an access-log line at the end.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let client = client_request_id(request.headers())
            .unwrap_or("")
            .to_owned();
        let method = request.method().as_str();
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let user_agent = request
            .headers()
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let connection = request.connection_info();
        tracing::info_span!(
            "HTTP request",
            http.method = %method,
            http.route = %route,
            http.flavor = %flavor(request.version()),
            http.scheme = %connection.scheme(),
            http.host = %connection.host(),
            http.client_ip = %connection.realip_remote_addr().unwrap_or(""),
            http.user_agent = %user_agent,
            http.target = %redacted_target(request.uri()),
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            trace_id = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
            client_request_id = %client,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        tracing::info!(target: "tessera::access", parent: &span, status, "request handled");
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// The HTTP version as OpenTelemetry names it (`http.flavor`).
fn flavor(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2.0",
        Version::HTTP_3 => "3.0",
        _ => "unknown",
    }
}

/// Words that, in a query parameter's name, say its value may be a
/// credential (`token`, `api_key`, `password`, `code`, `client_secret`,
/// `sig`, …).
const SECRET_NAMES: &[&str] = &[
    "token", "key", "pass", "pwd", "secret", "code", "otp", "sig", "auth", "session", "cred",
    "jwt", "bearer", "cookie", "hash", "nonce", "salt",
];

/// A request's path and query as logged: the value of every query
/// parameter that could be a credential (by its name, or by looking like a
/// Tessera token or key) replaced with `[redacted]`. Names are matched as
/// the application decodes them (`%74oken` is `token`).
pub fn redacted_target(uri: &Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else {
        return path.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|part| {
            let Some((name, value)) = url::form_urlencoded::parse(part.as_bytes()).next() else {
                return part.to_owned();
            };
            if may_be_secret(&name, &value) {
                let raw_name = part.split_once('=').map_or(part, |(n, _)| n);
                format!("{raw_name}=[redacted]")
            } else {
                part.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

fn may_be_secret(name: &str, value: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let value = value.trim();
    SECRET_NAMES.iter().any(|word| name.contains(word))
        || value.starts_with(crate::auth::keys::SCHEME)
        // A JWT: three Base64url segments, the first a JSON object.
        || (value.starts_with("eyJ") && value.matches('.').count() == 2)
}

/// Answers every request with its `X-Request-Id` (the client's, when valid,
/// or the generated one that its log lines carry). Wraps the tracing
/// middleware, whose extension holds the generated id.
pub fn echo_request_id<S, B>(
    req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: actix_web::dev::Service<
            ServiceRequest,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    S::Future: 'static,
{
    let response = srv.call(req);
    async move {
        let mut response = response.await?;
        let id = {
            let req = response.request();
            match client_request_id(req.headers()) {
                Some(id) => id.to_owned(),
                None => req
                    .extensions()
                    .get::<RequestId>()
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
            }
        };
        if let Ok(value) = HeaderValue::from_str(&id)
            && !id.is_empty()
        {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        Ok(response)
    }
}

/// Request counts and latencies per route, method and status (from
/// actix-web-prom), and gauges of the database pool, served at `/metrics`.
#[derive(Clone)]
pub struct Metrics {
    pub http: PrometheusMetrics,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    write_queue: IntGauge,
    db: Db,
}

impl Metrics {
    pub fn new(db: Db) -> anyhow::Result<Self> {
        let http = PrometheusMetricsBuilder::new("tessera")
            .endpoint("/metrics")
            // A path no route matched is one label value, not one per path.
            .mask_unmatched_patterns("UNMATCHED")
            .build()
            .map_err(|e| anyhow::anyhow!("cannot set up metrics: {e}"))?;
        let gauge = |name: &str, help: &str| -> anyhow::Result<IntGauge> {
            let gauge = IntGauge::new(format!("tessera_{name}"), help)?;
            http.registry.register(Box::new(gauge.clone()))?;
            Ok(gauge)
        };
        Ok(Self {
            pool_connections: gauge(
                "db_pool_connections",
                "Database connections open in the pool",
            )?,
            pool_idle: gauge("db_pool_idle_connections", "Idle database connections")?,
            write_queue: gauge(
                "db_write_queue_waiting",
                "Writes waiting for SQLite's single writer",
            )?,
            http,
            db,
        })
    }

    /// Reads the pool's state into the gauges (before `/metrics` is rendered).
    pub fn refresh(&self) {
        let (connections, idle) = self.db.pool_state();
        self.pool_connections.set(connections.into());
        self.pool_idle.set(idle.into());
        self.write_queue
            .set(i64::try_from(self.db.waiting_writers()).unwrap_or(i64::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(raw: &str) -> String {
        redacted_target(&raw.parse::<Uri>().unwrap())
    }

    #[test]
    fn secret_bearing_parameters_are_redacted() {
        assert_eq!(
            target("/invitations/accept/?token=abc123"),
            "/invitations/accept/?token=[redacted]"
        );
        assert_eq!(
            target("/x/?page=2&api_key=k&Password=p&code=1&client_secret=s&ordering=-name"),
            "/x/?page=2&api_key=[redacted]&Password=[redacted]&code=[redacted]\
             &client_secret=[redacted]&ordering=-name"
        );
        // Spelled as the application decodes it.
        assert_eq!(target("/x/?%74oken=abc"), "/x/?%74oken=[redacted]");
        assert_eq!(
            target("/x/?to+ken=a&token="),
            "/x/?to+ken=a&token=[redacted]"
        );
    }

    #[test]
    fn credential_shaped_values_are_redacted_whatever_the_name() {
        let key = crate::auth::keys::generate().secret;
        assert_eq!(target(&format!("/x/?q={key}")), "/x/?q=[redacted]");
        assert_eq!(
            target("/x/?next=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"),
            "/x/?next=[redacted]"
        );
    }

    #[test]
    fn other_targets_are_logged_as_sent() {
        assert_eq!(target("/users/"), "/users/");
        assert_eq!(
            target("/users/?search=ann&label=a&label=b&active=true"),
            "/users/?search=ann&label=a&label=b&active=true"
        );
        assert_eq!(target("/users/?flag&&x=1"), "/users/?flag&&x=1");
    }
}
