//! Operational middleware: Prometheus metrics at `/metrics`, request ids
//! (`X-Request-Id`) and one access-log line per request.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
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

/// Log span of a request: tracing-actix-web's, with the id the client chose
/// (when any) beside the generated one, and an access-log line at the end.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let client = client_request_id(request.headers())
            .unwrap_or("")
            .to_owned();
        tracing_actix_web::root_span!(request, client_request_id = %client)
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
