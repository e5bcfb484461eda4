//! Probo's user tools over MCP at `POST /api/mcp/v1` (API.md section 4).
//!
//! The transport is the official Rust SDK's streamable-HTTP server (`rmcp`),
//! mounted in actix by `rmcp-actix-web`, run stateless: every POST stands
//! alone, so any replica can answer it and nothing is kept between requests.
//! Answers are JSON, or an event stream for a client accepting only that
//! (two rmcp services, chosen by a guard on `Accept`). In front of it, [`gate`] applies the API's HTTP rules,
//! authenticates the `Bearer` credential and checks the JSON-RPC envelope;
//! [`tools`] holds the tools.

pub mod access_requests;
pub mod cursor;
pub mod gate;
pub mod tools;
pub mod types;

use std::sync::Arc;

use std::rc::Rc;

use actix_web::dev::ServiceRequest;
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, guard, web};
use rmcp_actix_web::transport::{LocalSessionManager, StreamableHttpService};

use crate::auth::Caller;
use crate::config::Settings;
use crate::state::AppState;
use gate::GateConfig;
use tools::UserTools;

pub const PATH: &str = "/api/mcp/v1";

/// The endpoint, built once and mounted in every worker: answers are JSON,
/// or an event stream for a client that accepts only that.
#[derive(Clone)]
pub struct Endpoint {
    json: StreamableHttpService<UserTools, LocalSessionManager>,
    event_stream: StreamableHttpService<UserTools, LocalSessionManager>,
    gate: GateConfig,
}

impl Endpoint {
    pub fn new(state: web::Data<AppState>, settings: &Settings) -> Self {
        let prototype = UserTools::new(state);
        let hosts: Vec<String> = settings
            .mcp_allowed_hosts
            .iter()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .collect();
        // rmcp takes an empty list as "any host".
        let hosts = if hosts.iter().any(|h| h == "*") {
            Vec::new()
        } else {
            hosts
        };
        let service = |json_response: bool| {
            let prototype = prototype.clone();
            StreamableHttpService::builder()
                .service_factory(Arc::new(move || Ok(prototype.clone())))
                .session_manager(Arc::new(LocalSessionManager::default()))
                .stateful_mode(false)
                .json_response(json_response)
                .allowed_hosts(hosts.clone())
                .on_request_fn(|request, extensions| {
                    if let Some(caller) = request.extensions().get::<Caller>() {
                        extensions.insert(caller.clone());
                    }
                })
                .build()
        };
        Self {
            json: service(true),
            event_stream: service(false),
            gate: GateConfig {
                allowed_origins: settings.cors_origins.clone(),
            },
        }
    }

    /// Mounts [`PATH`]. The gate, not rmcp, checks `Origin`: the server's
    /// own origin is allowed too, which a fixed list cannot say.
    pub fn configure(self, cfg: &mut web::ServiceConfig) {
        let config = Rc::new(self.gate);
        let gated = config.clone();
        cfg.service(
            self.event_stream
                .scope_with_path(PATH)
                .guard(guard::fn_guard(|ctx| {
                    gate::wants_event_stream_only(ctx.head().headers())
                }))
                .wrap(from_fn(move |req: ServiceRequest, next: Next<_>| {
                    gate::gate(gated.clone(), req, next)
                })),
        );
        cfg.service(self.json.scope_with_path(PATH).wrap(from_fn(
            move |req: ServiceRequest, next: Next<_>| gate::gate(config.clone(), req, next),
        )));
    }
}
