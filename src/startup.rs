//! Builds the application: database, keys, first-run bootstrap, routes and
//! middleware.

use std::net::TcpListener;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, Service, ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::{App, HttpResponse, HttpServer, ResponseError, web};
use anyhow::{Context, bail};
use futures_util::FutureExt;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::auth::password::Hasher;
use crate::auth::throttle::LoginThrottle;
use crate::auth::token::TokenKeys;
use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::db::{self, DatabaseUrl, Db, settings as stored};
use crate::domain::id::random_secret;
use crate::domain::user::{Email, Password, PasswordOwner};
use crate::error::Error;
use crate::mail::Mailer;
use crate::observability::{Metrics, RequestSpan, echo_request_id};
use crate::service::audit::RequestContext;
use crate::state::AppState;
use crate::{api, console, mcp, openapi, service};

pub const SECRET_MIN: usize = 32;

/// What the first start created, for the operator to read once.
pub struct Bootstrapped {
    pub organization: String,
    pub organization_id: String,
    pub email: String,
    /// Set when the password was generated (so it must be printed).
    pub generated_password: Option<String>,
}

pub struct Application {
    server: Server,
    port: u16,
    pub bootstrapped: Option<Bootstrapped>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let url = DatabaseUrl::parse(&settings.database_url)?;
        let addr = settings.bind_addr()?;
        let trusted_proxies = settings.trusted_proxy_addrs()?;
        // Bind first: a taken port must fail before anything is written.
        let listener =
            TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
        let db = connect(&url, settings.db_pool_size).await?;
        let secrets = crate::encryption_key::unlock(&db, settings.encryption_key.as_ref()).await?;
        let legacy_secret = legacy_secret(&db, &settings, &secrets).await?;
        let hasher = Hasher::new(settings.hash_concurrency);
        let bootstrapped = first_run(&db, &hasher, &settings).await?;
        let port = listener.local_addr()?.port();
        let public_url = settings
            .mail
            .public_url
            .clone()
            .unwrap_or_else(|| default_public_url(addr, port));
        let tokens = token_keys(&db, &settings, &secrets, &public_url, legacy_secret).await?;
        let mailer = Mailer::start(&settings.mail, public_url.clone(), db.clone())?;
        // Stamped before serving: a key this replica claims is never taken
        // for a dead replica's.
        crate::heartbeat::beat(&db).await?;
        crate::heartbeat::start(db.clone());
        crate::outbox::start(db.clone(), settings.webhooks.clone(), secrets.clone());
        let rotation =
            (settings.tokens.signing_key_days > 0).then(|| service::signing_keys::AutoRotation {
                secrets: secrets.clone(),
                every: chrono::TimeDelta::days(settings.tokens.signing_key_days.into()),
                grace: Duration::from_secs(settings.tokens.signing_key_grace),
                ttl: Duration::from_secs(settings.token_ttl),
                algorithm: settings.tokens.token_alg,
            });
        crate::scheduler::start(db.clone(), settings.webhooks.scheduler_interval, rotation);
        if settings.audit_retention_days > 0 {
            tokio::spawn(prune_audit_trail(
                db.clone(),
                settings.audit_retention_days,
                Duration::from_secs(settings.audit_prune_interval),
            ));
        }
        let state = web::Data::new(AppState {
            db,
            tokens,
            secrets,
            hasher,
            login_throttle: LoginThrottle {
                max_failures: settings.login_max_failures,
                window_seconds: settings.login_window,
                trusted_proxies,
            },
            mailer,
            mail_settings: settings.mail.clone(),
            webhook_settings: settings.webhooks.clone(),
            scim_group_role: settings.scim_group_role.clone(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            discovery: Default::default(),
            sso_pending_max: settings.sso_pending_max,
        });
        let mcp = mcp::Endpoint::new(state.clone(), &settings);
        let origins = settings.cors_origins.clone();
        let metrics = Metrics::new(state.db.clone())?;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(|cfg| mcp.clone().configure(cfg))
                .configure(api::routes)
                .configure(console::routes)
                .service(web::resource("/docs").to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("Location", "/docs/"))
                        .finish()
                }))
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .url("/openapi.json", openapi::document())
                        .config(
                            Config::new(["/openapi.json"])
                                .validator_url("none")
                                .persist_authorization(true),
                        ),
                )
                .default_service(web::to(|| async { Error::NotFound.error_response() }))
                .wrap(cors(&origins))
                .wrap_fn(catch_panics)
                // Outside the panic catcher, so a panic releases its key.
                .wrap(actix_web::middleware::from_fn(api::idempotency::middleware))
                // Counts every answer by route pattern; serves `/metrics`.
                .wrap(metrics.http.clone())
                .wrap_fn({
                    let metrics = metrics.clone();
                    move |req, srv| {
                        if req.path() == "/metrics" {
                            metrics.refresh();
                        }
                        srv.call(req)
                    }
                })
                .wrap(tracing_actix_web::TracingLogger::<RequestSpan>::new())
                .wrap_fn(echo_request_id)
                // Outermost: it rewrites the path, which needs sole ownership of the request.
                .wrap_fn(strip_trailing_slash)
        })
        .listen(listener)?
        // Blocking threads wait for a pooled connection or a hashing permit:
        // more of them than those would only add threads and their memory.
        .worker_max_blocking_threads(settings.db_pool_size as usize + settings.hash_concurrency)
        .shutdown_timeout(30);
        if let Some(workers) = settings.workers {
            server = server.workers(workers.max(1));
        }
        Ok(Self {
            server: server.run(),
            port,
            bootstrapped,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Prunes audit events past retention now and then, on every replica
/// (deleting what is already gone is harmless).
async fn prune_audit_trail(db: Db, days: u32, every: Duration) {
    loop {
        match db
            .write(move |conn| service::audit::prune(conn, days))
            .await
        {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, days, "pruned old audit events"),
            Err(e) => tracing::warn!(error = %e, "cannot prune the audit trail"),
        }
        tokio::time::sleep(every).await;
    }
}

/// `http://` and the address the server listens on (`localhost` when it
/// listens on every interface).
fn default_public_url(addr: std::net::SocketAddr, port: u16) -> String {
    let ip = addr.ip();
    if ip.is_unspecified() {
        format!("http://localhost:{port}")
    } else {
        format!("http://{}", std::net::SocketAddr::new(ip, port))
    }
}

/// Connects (and migrates) off the async runtime's threads.
pub async fn connect(url: &DatabaseUrl, pool_size: u32) -> anyhow::Result<Db> {
    let url = url.clone();
    web::block(move || Db::connect(&url, pool_size))
        .await
        .context("database start-up was interrupted")?
}

/// The HS256 secret of tokens issued before asymmetric keys:
/// `TESSERA_SECRET_KEY`, or on SQLite the key an earlier version generated
/// and kept in the database (encrypted). `None` when there is neither.
async fn legacy_secret(
    db: &Db,
    settings: &Settings,
    secrets: &SecretBox,
) -> anyhow::Result<Option<zeroize::Zeroizing<String>>> {
    if let Some(secret) = &settings.secret_key {
        if secret.len() < SECRET_MIN {
            bail!("TESSERA_SECRET_KEY must be at least {SECRET_MIN} characters long");
        }
        return Ok(Some(secret.clone().into()));
    }
    let Some(sealed) = db
        .read(|conn| Ok(stored::get(conn, stored::SIGNING_KEY)?))
        .await?
    else {
        return Ok(None);
    };
    let at = db::secrets::setting(stored::SIGNING_KEY);
    let secret = secrets
        .open(&sealed, at)
        .map_err(|e| anyhow::anyhow!("the stored token-signing key: {e}"))?;
    Ok(Some(secret))
}

/// The token keys: the first signing key created on the first start (of
/// this version), every published key loaded, kept reloaded; HS256 tokens
/// issued before the first start of this version accepted until they expire.
async fn token_keys(
    db: &Db,
    settings: &Settings,
    secrets: &SecretBox,
    issuer: &str,
    legacy_secret: Option<zeroize::Zeroizing<String>>,
) -> anyhow::Result<TokenKeys> {
    let ttl = Duration::from_secs(settings.token_ttl);
    let algorithm = settings.tokens.token_alg;
    let first = if db.read(service::signing_keys::any).await? {
        None
    } else {
        Some(web::block(move || service::signing_keys::generate(algorithm)).await??)
    };
    let sealer = secrets.clone();
    let cutover = db
        .write(move |conn| service::signing_keys::ensure(conn, &sealer, first.as_ref()))
        .await?;
    let mut keys = TokenKeys::new(issuer, &settings.tokens.token_audience, ttl);
    if let Some(secret) = legacy_secret {
        let until = cutover.saturating_add(settings.token_ttl as i64);
        if chrono::Utc::now().timestamp() < until {
            keys = keys.with_legacy(secret.as_bytes(), cutover, until);
        }
    }
    service::signing_keys::reload(db, secrets, &keys).await?;
    service::signing_keys::start_reloading(
        db.clone(),
        secrets.clone(),
        keys.clone(),
        Duration::from_secs(settings.tokens.signing_key_reload),
    );
    Ok(keys)
}

/// Creates the first organization and its OWNER when there is none.
async fn first_run(
    db: &Db,
    hasher: &Hasher,
    settings: &Settings,
) -> anyhow::Result<Option<Bootstrapped>> {
    if db.read(|conn| Ok(db::orgs::any_exists(conn)?)).await? {
        return Ok(None);
    }
    let email = Email::parse(&settings.bootstrap_email)
        .map_err(|m| anyhow::anyhow!("TESSERA_BOOTSTRAP_EMAIL: {m}"))?;
    let (password, generated) = match &settings.bootstrap_password {
        Some(p) => (p.clone(), false),
        None => (generated_password(), true),
    };
    // Judged here, before serving: no request waits on it. The first owner's
    // name is its email's local part: the email says it all.
    let strong = Password::parse(&password)
        .and_then(|p| p.judge(&PasswordOwner::default().email(email.as_str())))
        .map_err(|m| anyhow::anyhow!("TESSERA_BOOTSTRAP_PASSWORD: {m}"))?;
    let hash = hasher.hash(strong).await?;
    let org_name = settings.bootstrap_org.clone();
    let created = db
        .write(move |conn| {
            db::advisory_lock(conn, db::BOOTSTRAP_LOCK)?;
            if db::orgs::any_exists(conn)? {
                return Ok(None);
            }
            service::orgs::bootstrap(conn, &RequestContext::cli(), &org_name, &email, hash)
                .map(Some)
        })
        .await?;
    Ok(created.map(|(org, owner)| Bootstrapped {
        organization: org.name,
        organization_id: org.id,
        email: owner.email,
        generated_password: generated.then_some(password),
    }))
}

/// Four groups of Base58 characters joined by dashes: easy to copy, and it
/// always meets the password policy.
pub fn generated_password() -> String {
    (0..4)
        .map(|_| random_secret(5))
        .collect::<Vec<_>>()
        .join("-")
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        // MCP clients send their protocol version on every request.
        .allowed_headers([
            "authorization",
            "content-type",
            "accept",
            "mcp-protocol-version",
        ])
        .expose_headers(["location", "retry-after"])
        .max_age(3600);
    for origin in origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Serves `/users/` and `/users` alike, without a redirect (Swagger UI's own
/// paths under `/docs/` are left alone).
fn strip_trailing_slash<S, B>(mut req: ServiceRequest, srv: &S) -> S::Future
where
    S: actix_web::dev::Service<
            ServiceRequest,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
        >,
{
    let path = req.path();
    if path.len() > 1 && path.ends_with('/') && !path.starts_with("/docs/") {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let new_uri = match req.query_string() {
            "" => trimmed.to_owned(),
            q => format!("{trimmed}?{q}"),
        };
        if let Ok(uri) = new_uri.parse::<Uri>() {
            let head = req.head_mut();
            head.uri = uri;
            let uri = head.uri.clone();
            req.match_info_mut().get_mut().update(&uri);
        }
    }
    srv.call(req)
}

/// A panic in a handler becomes a JSON 500, never a dropped connection.
fn catch_panics<S, B>(
    req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>> + use<S, B>
where
    S: actix_web::dev::Service<
            ServiceRequest,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    // Holding a clone of the request here would stop the router from
    // matching it, so the panic is answered as an error, rendered by actix.
    let response = srv.call(req);
    async move {
        match std::panic::AssertUnwindSafe(response).catch_unwind().await {
            Ok(result) => result.map(ServiceResponse::map_into_boxed_body),
            Err(_) => Err(Error::internal(anyhow::anyhow!("a request handler panicked")).into()),
        }
    }
}
