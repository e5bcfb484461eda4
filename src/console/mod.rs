//! The administrator's console at `/console/`: server-rendered pages
//! (askama templates compiled with the crate, `templates/`), a little htmx
//! (vendored, `static/`), and forms that post through the service layer
//! with the signed-in person's own permissions, like every other interface.
//! Handlers stay thin: read the form, call one service function, render.
//!
//! Every console response carries a Content-Security-Policy of
//! `default-src 'self'`: no inline script or style anywhere, and nothing
//! is fetched from outside the server.

mod access_review;
mod assets;
mod audit;
// The organization pages (issue #23), and what they share.
mod api_users;
mod invitations;
mod labels;
mod org;
mod people;
mod person;
mod profile;
mod roles;
mod session;
mod sign_in;
mod sso;
mod targets;
mod teams;
mod webhooks;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;

use crate::domain::role::Permission;
use crate::error::Error;
pub use session::Session;

/// Where the console lives.
pub const ROOT: &str = "/console";

pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'";

/// The headers of every console response.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
];

/// Registers the console's routes (paths without their trailing slash:
/// the app serves `/console/people/` and `/console/people` alike).
pub fn routes(cfg: &mut web::ServiceConfig) {
    let mut headers = DefaultHeaders::new();
    for (name, value) in SECURITY_HEADERS {
        headers = headers.add((name, value));
    }
    // Pages hold personal data and CSRF tokens: never cached (assets set
    // their own long cache first).
    headers = headers.add((header::CACHE_CONTROL, "no-store"));
    cfg.service(
        web::scope(ROOT)
            .wrap(actix_web::middleware::from_fn(session::slide))
            .wrap(headers)
            .route("", web::get().to(home))
            .route("/static/{file}", web::get().to(assets::serve))
            .route("/sign-in", web::get().to(sign_in::page))
            .route("/sign-in", web::post().to(sign_in::submit))
            .route("/sign-in/code", web::get().to(sign_in::code_page))
            .route("/sign-in/code", web::post().to(sign_in::submit_code))
            .route("/sso", web::get().to(sign_in::sso_landing))
            .route("/sso/start", web::get().to(sign_in::sso_start))
            .route("/sign-out", web::post().to(sign_in::sign_out))
            .route("/people", web::get().to(people::list))
            .route("/people/{id}", web::get().to(person::show))
            .route("/people/{id}/active", web::post().to(people::set_active))
            .route("/audit", web::get().to(audit::list))
            // Access review, people's writes (console-a)
            .route("/access-review", web::get().to(access_review::show))
            .route("/access-review/csv", web::get().to(access_review::csv))
            .route("/people/bulk", web::post().to(people::bulk))
            .route("/people/new", web::post().to(people::create))
            .route("/people/{id}/profile", web::post().to(person::save_profile))
            .route("/people/{id}/roles", web::post().to(person::change_roles))
            .route("/people/{id}/labels", web::post().to(person::change_labels))
            .route("/people/{id}/invite", web::post().to(person::invite))
            .route("/people/{id}/keys", web::post().to(person::create_key))
            .route(
                "/people/{id}/keys/{key}/revoke",
                web::post().to(person::revoke_key),
            )
            .route("/profile", web::get().to(profile::show))
            .route(
                "/profile/password",
                web::post().to(profile::change_password),
            )
            .route("/profile/mfa", web::post().to(profile::enroll))
            .route("/profile/mfa/confirm", web::post().to(profile::confirm))
            .route("/profile/mfa/disable", web::post().to(profile::disable))
            .configure(org_routes)
            .default_service(web::to(|| async { Failure::NotFound.error_response() })),
    );
}

/// The organization pages' routes (issue #23).
fn org_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/teams", web::get().to(teams::list))
        .route("/teams", web::post().to(teams::create))
        .route("/teams/new", web::get().to(teams::new))
        .route("/teams/{id}", web::get().to(teams::show))
        .route("/teams/{id}", web::post().to(teams::update))
        .route("/teams/{id}/delete", web::post().to(teams::delete))
        .route("/targets", web::get().to(targets::list))
        .route("/targets", web::post().to(targets::create))
        .route("/targets/new", web::get().to(targets::new))
        .route("/targets/{id}", web::get().to(targets::show))
        .route("/targets/{id}", web::post().to(targets::update))
        .route("/targets/{id}/delete", web::post().to(targets::delete))
        .route("/labels", web::get().to(labels::list))
        .route("/labels", web::post().to(labels::create))
        .route("/labels/new", web::get().to(labels::new))
        .route("/labels/{id}", web::get().to(labels::show))
        .route("/labels/{id}", web::post().to(labels::update))
        .route("/labels/{id}/delete", web::post().to(labels::delete))
        .route("/roles", web::get().to(roles::list))
        .route("/roles", web::post().to(roles::create))
        .route("/roles/new", web::get().to(roles::new))
        .route("/roles/{id}", web::get().to(roles::show))
        .route("/roles/{id}", web::post().to(roles::update))
        .route("/roles/{id}/delete", web::post().to(roles::delete))
        .route("/api-users", web::get().to(api_users::list))
        .route("/api-users", web::post().to(api_users::create))
        .route("/api-users/new", web::get().to(api_users::new))
        .route("/api-users/{id}", web::get().to(api_users::show))
        .route(
            "/api-users/{id}/active",
            web::post().to(api_users::set_active),
        )
        .route(
            "/api-users/{id}/keys",
            web::post().to(api_users::create_key),
        )
        .route(
            "/api-users/{id}/keys/{key}/revoke",
            web::post().to(api_users::revoke_key),
        )
        .route("/invitations", web::get().to(invitations::list))
        .route("/invitations/resend", web::post().to(invitations::resend))
        .route(
            "/invitations/{id}/revoke",
            web::post().to(invitations::revoke),
        )
        .route("/webhooks", web::get().to(webhooks::list))
        .route("/webhooks", web::post().to(webhooks::create))
        .route("/webhooks/new", web::get().to(webhooks::new))
        .route("/webhooks/{id}", web::get().to(webhooks::show))
        .route("/webhooks/{id}", web::post().to(webhooks::update))
        .route("/webhooks/{id}/edit", web::get().to(webhooks::edit))
        .route("/webhooks/{id}/delete", web::post().to(webhooks::delete))
        .route(
            "/webhooks/{id}/deliveries/{delivery}/redeliver",
            web::post().to(webhooks::redeliver),
        )
        .route("/sso-connections", web::get().to(sso::list))
        .route("/sso-connections", web::post().to(sso::create))
        .route("/sso-connections/new", web::get().to(sso::new))
        .route("/sso-connections/{id}", web::get().to(sso::show))
        .route("/sso-connections/{id}", web::post().to(sso::update))
        .route("/sso-connections/{id}/edit", web::get().to(sso::edit))
        .route(
            "/sso-connections/{id}/active",
            web::post().to(sso::set_active),
        )
        .route("/sso-connections/{id}/delete", web::post().to(sso::delete));
}

/// `/console/`: the people page (which sends a stranger to sign in).
async fn home() -> HttpResponse {
    see_other(&format!("{ROOT}/people"))
}

/// A 303 to `location` (after a form, or to sign in).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A rendered page.
pub fn page(template: &impl Template) -> Result<HttpResponse, Failure> {
    page_with_status(StatusCode::OK, template)
}

pub fn page_with_status(
    status: StatusCode,
    template: &impl Template,
) -> Result<HttpResponse, Failure> {
    let html = template
        .render()
        .map_err(|e| Failure::from(Error::internal(anyhow::anyhow!("a console template: {e}"))))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// What the chrome of every page needs.
pub struct Chrome {
    /// The signed-in person's name (none on the sign-in pages).
    pub who: Option<String>,
    pub csrf: String,
    /// The navigation entry to mark as current.
    pub section: &'static str,
    /// Whether to offer the audit trail (the page itself asks the service).
    pub audit: bool,
    /// Which organization pages to offer.
    pub org: org::Nav,
    /// Whether to offer the access review (likewise).
    pub access_review: bool,
}

impl Chrome {
    pub fn of(session: &Session, section: &'static str) -> Self {
        Self {
            who: Some(session.caller.user.name.clone()),
            csrf: session.csrf(),
            section,
            audit: session.caller.has(Permission::AuditView),
            org: org::Nav::of(&session.caller),
            access_review: session.caller.has(Permission::AccessReviewView),
        }
    }

    pub fn anonymous() -> Self {
        Self {
            who: None,
            csrf: String::new(),
            section: "",
            audit: false,
            org: org::Nav::default(),
            access_review: false,
        }
    }

    /// The URL of a static asset, naming its content so it can be cached for good.
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

/// Why a console request did not get its page.
#[derive(Debug)]
pub enum Failure {
    /// Not signed in (or the session ended): to the sign-in page.
    SignIn,
    /// A form without this session's CSRF token.
    Csrf,
    Forbidden,
    NotFound,
    /// Input the service refused, in words for the person.
    Refused(Vec<String>),
    Throttled(u64),
    /// Anything else, already logged where it happened.
    Other(StatusCode),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let status = error.status_code();
        match error {
            Error::NotAuthenticated | Error::InvalidToken => Failure::SignIn,
            Error::Forbidden => Failure::Forbidden,
            Error::NotFound | Error::InvalidPage | Error::IdsNotFound { .. } => Failure::NotFound,
            Error::Throttled { wait_seconds } => Failure::Throttled(wait_seconds),
            Error::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "console request failed");
                Failure::Other(status)
            }
            other => match other.into_field_errors() {
                Ok(errors) => Failure::Refused(messages(errors.into_value())),
                Err(Error::BadRequest(detail)) => Failure::Refused(vec![detail]),
                Err(_) => Failure::Other(status),
            },
        }
    }
}

/// Every message of a DRF-style error body, in order.
pub fn messages(value: serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(s) => vec![s],
        serde_json::Value::Array(items) => items.into_iter().flat_map(messages).collect(),
        serde_json::Value::Object(map) => map.into_iter().flat_map(|(_, v)| messages(v)).collect(),
        _ => Vec::new(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    title: &'a str,
    messages: Vec<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl ResponseError for Failure {
    fn status_code(&self) -> StatusCode {
        match self {
            Failure::SignIn => StatusCode::SEE_OTHER,
            Failure::Csrf | Failure::Forbidden => StatusCode::FORBIDDEN,
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::Refused(_) => StatusCode::BAD_REQUEST,
            Failure::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Failure::Other(status) => *status,
        }
    }

    /// An HTML page (errors skip the scope's default headers, so they are
    /// set here too).
    fn error_response(&self) -> HttpResponse {
        let mut response = match self {
            Failure::SignIn => see_other(&format!("{ROOT}/sign-in")),
            _ => {
                let (title, messages) = match self {
                    Failure::Csrf => (
                        "This form has expired",
                        vec!["Reload the page and try again.".to_owned()],
                    ),
                    Failure::Forbidden => (
                        "Not allowed",
                        vec!["You do not have permission to do this.".to_owned()],
                    ),
                    Failure::NotFound => (
                        "Not found",
                        vec!["There is nothing here, or you cannot see it.".to_owned()],
                    ),
                    Failure::Refused(messages) => ("That did not work", messages.clone()),
                    Failure::Throttled(wait) => (
                        "Too many attempts",
                        vec![format!("Try again in {wait} seconds.")],
                    ),
                    _ => (
                        "Something went wrong",
                        vec!["The server could not answer. Try again shortly.".to_owned()],
                    ),
                };
                let template = ErrorPage {
                    chrome: Chrome::anonymous(),
                    title,
                    messages,
                };
                let html = template.render().unwrap_or_else(|_| title.to_owned());
                HttpResponse::build(self.status_code())
                    .content_type("text/html; charset=utf-8")
                    .body(html)
            }
        };
        let headers = response.headers_mut();
        for (name, value) in SECURITY_HEADERS {
            headers.insert(
                header::HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Failure::Throttled(wait) = self
            && let Ok(value) = HeaderValue::from_str(&wait.to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        response
    }
}
