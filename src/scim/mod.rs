//! SCIM 2.0 provisioning (RFC 7643/7644) for identity providers, under
//! `/scim/v2`. Handlers translate SCIM resources to the same `UserInput`
//! the REST API builds and call the same services, with the request's
//! interface set to `scim` so the audit trail says where a change came from.
//!
//! Every endpoint, discovery included, needs an authenticated caller holding
//! `scim.provision` at account tier: RFC 7644 allows unauthenticated
//! discovery, but nothing needs it and an IdP always holds its token.

pub mod filter;
pub mod groups;
pub mod patch;
pub mod query;
pub mod resource;
pub mod users;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt;

use crate::auth::Caller;
use crate::domain::role::Permission;
use crate::domain::text::{NUL_REFUSED, nul_path};
use crate::error::Error;
use crate::error::LAST_OWNER;
use crate::service::audit::Interface;
use crate::state::AppState;

pub const MEDIA_TYPE: &str = "application/scim+json";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// An error in SCIM's own format (RFC 7644 §3.12).
#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidValue"), detail)
    }

    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidFilter"), detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidSyntax"), detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidPath"), detail)
    }
}

impl From<query::TooMany> for ScimError {
    fn from(too_many: query::TooMany) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            Some("tooMany"),
            format!(
                "This filter would be evaluated over {} resources, more than the {} this \
                 server evaluates beyond what its database can filter; narrow it with \
                 userName, externalId, id or active (users), or displayName, externalId \
                 or id (groups).",
                too_many.candidates,
                query::SCAN_MAX
            ),
        )
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.detail)
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = scim_type.into();
        }
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.content_type(MEDIA_TYPE).body(body.to_string())
    }
}

/// The service layer's errors as SCIM reports them.
impl From<Error> for ScimError {
    fn from(error: Error) -> Self {
        let status = error.status_code();
        match error {
            Error::Conflict { field: "email", .. } => ScimError::new(
                StatusCode::CONFLICT,
                Some("uniqueness"),
                "A user with this e-mail address already exists.",
            ),
            Error::Conflict { message, .. } => {
                ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), message)
            }
            Error::LastOwner { .. } => {
                ScimError::new(StatusCode::BAD_REQUEST, Some("mutability"), LAST_OWNER)
            }
            Error::Validation(fields) => ScimError::invalid_value(fields.into_value().to_string()),
            Error::UnknownReference { field, id } => {
                ScimError::invalid_value(format!("{field}: {}", crate::error::does_not_exist(&id)))
            }
            Error::BadRequest(detail) => ScimError::invalid_syntax(detail),
            Error::NotAuthenticated => ScimError::new(status, None, "Authentication required."),
            Error::InvalidToken => ScimError::new(status, None, "Invalid token."),
            Error::Forbidden => ScimError::new(
                status,
                None,
                "You do not have permission to perform this action.",
            ),
            Error::NotFound | Error::IdsNotFound { .. } | Error::InvalidPage => {
                ScimError::new(StatusCode::NOT_FOUND, None, "Resource not found.")
            }
            other => {
                // Keeps the cause in the log, as the REST envelope does.
                let response = other.error_response();
                ScimError::new(
                    response.status(),
                    None,
                    response
                        .status()
                        .canonical_reason()
                        .unwrap_or("Error")
                        .to_owned(),
                )
            }
        }
    }
}

pub type ScimResult<T> = std::result::Result<T, ScimError>;

/// The authenticated caller, allowed to provision, its changes marked `scim`.
pub fn provisioner(caller: Result<Caller, Error>) -> ScimResult<Caller> {
    let mut caller = caller?;
    caller.require(Permission::ScimProvision)?;
    caller.context.interface = Interface::Scim;
    Ok(caller)
}

/// A SCIM JSON response.
pub fn respond(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(ContentType(MEDIA_TYPE.parse().expect("valid media type")))
        .body(body.to_string())
}

/// The request's body as JSON, sent as `application/scim+json` or
/// `application/json`; a NUL character anywhere in it is an `invalidValue`.
pub fn json_body(req: &HttpRequest, body: &[u8]) -> ScimResult<Value> {
    if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
        let essence = content_type
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence != MEDIA_TYPE && essence != "application/json" {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!("Send {MEDIA_TYPE} or application/json."),
            ));
        }
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("The body is not valid JSON: {e}")))?;
    match nul_path(&value) {
        Some(path) => Err(ScimError::invalid_value(format!("{path}: {NUL_REFUSED}"))),
        None => Ok(value),
    }
}

/// `scheme://host` of the request, for `meta.location`.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/scim/v2", info.scheme(), info.host())
}

/// A resource's response, its `ETag` header the resource's `meta.version`,
/// narrowed to the attributes asked for.
pub fn respond_resource(
    status: StatusCode,
    mut resource: Value,
    projection: &query::Projection,
) -> HttpResponse {
    let version = resource["meta"]["version"].as_str().map(str::to_owned);
    projection.apply(&mut resource);
    let mut response = respond(status, &resource);
    if let Some(version) = version
        && let Ok(value) = header::HeaderValue::from_str(&version)
    {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The `If-Match` a request sent, if any.
pub fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// 412 unless `if_match` (when sent) names the resource's current version
/// or is `*`. Weak and strong forms of a tag are compared alike.
pub fn check_version(if_match: Option<&str>, resource: &Value) -> ScimResult<()> {
    let Some(if_match) = if_match else {
        return Ok(());
    };
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let current = bare(resource["meta"]["version"].as_str().unwrap_or_default());
    if if_match
        .split(',')
        .any(|tag| tag.trim() == "*" || bare(tag) == current)
    {
        return Ok(());
    }
    Err(ScimError::new(
        StatusCode::PRECONDITION_FAILED,
        None,
        "The resource changed since that version (If-Match).",
    ))
}

/// A kind of resource served as a collection (`/Users`, `/Groups`).
pub trait Collection {
    /// Its core schema.
    const SCHEMA: &'static str;

    /// The resources of the caller's organization passing `query`'s
    /// filter that fall in `window`, and how many pass it in all.
    fn list(
        state: &AppState,
        caller: &Caller,
        base: String,
        query: &query::ListQuery,
        window: query::Window,
    ) -> impl std::future::Future<Output = ScimResult<query::Listed>>;

    /// One resource as it is now.
    fn current(
        conn: &mut crate::db::DbConnection,
        caller: &Caller,
        id: &str,
        base: &str,
    ) -> crate::error::Result<Value>;

    /// Creates a resource from a request body; answers it as stored.
    fn create(
        state: &AppState,
        caller: Caller,
        body: Value,
        base: String,
    ) -> impl std::future::Future<Output = ScimResult<Value>>;

    /// Deletes one resource through the service layer.
    fn remove(
        conn: &mut crate::db::DbConnection,
        caller: &Caller,
        id: &str,
    ) -> crate::error::Result<()>;

    /// Replaces the resource by what `change` makes of it (inside the
    /// write's transaction, after `If-Match` is checked) and answers it.
    fn write(
        caller: Caller,
        state: web::Data<AppState>,
        req: HttpRequest,
        id: String,
        change: impl FnOnce(&Value) -> ScimResult<Value> + Send + 'static,
    ) -> impl std::future::Future<Output = ScimResult<HttpResponse>>;
}

/// `GET /Users/{id}`, `GET /Groups/{id}`.
async fn get<C: Collection>(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let base = base_url(&req);
    let id = id.into_inner();
    let resource = state
        .db
        .lookup(move |conn| C::current(conn, &caller, &id, &base))
        .await?;
    Ok(respond_resource(
        StatusCode::OK,
        resource,
        &query::projection(&query),
    ))
}

/// `POST /Users`, `POST /Groups`: 201 with `Location` and `ETag`.
async fn create<C: Collection>(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let body = json_body(&req, &body)?;
    let resource = C::create(&state, caller, body, base_url(&req)).await?;
    let location = resource["meta"]["location"].as_str().map(str::to_owned);
    let mut response = respond_resource(StatusCode::CREATED, resource, &query::projection(&query));
    if let Some(Ok(location)) = location.map(|l| header::HeaderValue::from_str(&l)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `PUT`: the body is the new resource.
async fn replace<C: Collection>(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let body = json_body(&req, &body)?;
    C::write(caller, state, req, id.into_inner(), move |_| Ok(body)).await
}

/// `PATCH`: the operations applied to the current resource.
async fn patch<C: Collection>(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let body = json_body(&req, &body)?;
    C::write(caller, state, req, id.into_inner(), move |before| {
        let mut after = before.clone();
        patch::apply(&mut after, &body, C::SCHEMA)?;
        Ok(after)
    })
    .await
}

/// `DELETE`, honouring `If-Match`.
async fn delete<C: Collection>(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let id = id.into_inner();
    let if_match = if_match(&req);
    let base = base_url(&req);
    state
        .db
        .write(move |conn| {
            if if_match.is_some() {
                let current = C::current(conn, &caller, &id, &base)?;
                if let Err(e) = check_version(if_match.as_deref(), &current) {
                    return Ok(Err(e));
                }
            }
            C::remove(conn, &caller, &id).map(Ok)
        })
        .await??;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /Users`, `GET /Groups`: filtered, then paged by `startIndex`
/// (1-based) and `count`.
async fn list<C: Collection>(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let query = query::ListQuery::from_params(&query)?;
    let listed = C::list(&state, &caller, base_url(&req), &query, query.window()).await?;
    Ok(respond(StatusCode::OK, &query.respond(listed)))
}

/// `POST /Users/.search`, `POST /Groups/.search`: a list whose parameters
/// come in the body.
async fn search<C: Collection>(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let query = query::ListQuery::from_search(&json_body(&req, &body)?)?;
    let listed = C::list(&state, &caller, base_url(&req), &query, query.window()).await?;
    Ok(respond(StatusCode::OK, &query.respond(listed)))
}

/// `POST /.search`: users and groups at once, users first.
async fn search_all(
    caller: Result<Caller, Error>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ScimResult<HttpResponse> {
    let caller = provisioner(caller)?;
    let query = query::ListQuery::from_search(&json_body(&req, &body)?)?;
    let base = base_url(&req);
    let window = query.window();
    let mut listed = users::Users::list(&state, &caller, base.clone(), &query, window).await?;
    let window = window.after(listed.total, listed.resources.len());
    let groups = groups::Groups::list(&state, &caller, base, &query, window).await?;
    listed.total += groups.total;
    listed.resources.extend(groups.resources);
    Ok(respond(StatusCode::OK, &query.respond(listed)))
}

/// The `attributes` / `excludedAttributes` of a request's query string.
pub fn requested_projection(req: &HttpRequest) -> query::Projection {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| query::projection(&q))
        .unwrap_or_default()
}

/// Registers `/scim/v2`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2")
            .service(
                web::resource("/ServiceProviderConfig")
                    .route(web::get().to(resource::service_provider_config))
                    .default_service(not_allowed("GET")),
            )
            .service(
                web::resource("/ResourceTypes")
                    .route(web::get().to(resource::resource_types))
                    .default_service(not_allowed("GET")),
            )
            .service(
                web::resource("/ResourceTypes/{id}")
                    .route(web::get().to(resource::resource_type))
                    .default_service(not_allowed("GET")),
            )
            .service(
                web::resource("/Schemas")
                    .route(web::get().to(resource::schemas))
                    .default_service(not_allowed("GET")),
            )
            .service(
                web::resource("/Schemas/{id}")
                    .route(web::get().to(resource::schema_by_id))
                    .default_service(not_allowed("GET")),
            )
            .service(
                web::resource("/.search")
                    .route(web::post().to(search_all))
                    .default_service(not_allowed("POST")),
            )
            .configure(collection::<users::Users>("/Users"))
            .configure(collection::<groups::Groups>("/Groups"))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ScimError::new(
                    StatusCode::NOT_FOUND,
                    None,
                    "No such SCIM endpoint.",
                ))
            })),
    );
}

/// Registers a collection's endpoints under `path`: the list, `.search`
/// (before `{id}`, which would match it) and one resource.
fn collection<C: Collection + 'static>(path: &'static str) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.service(
            web::resource(path)
                .route(web::get().to(list::<C>))
                .route(web::post().to(create::<C>))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            web::resource(format!("{path}/.search"))
                .route(web::post().to(search::<C>))
                .default_service(not_allowed("POST")),
        )
        .service(
            web::resource(format!("{path}/{{id}}"))
                .route(web::get().to(get::<C>))
                .route(web::put().to(replace::<C>))
                .route(web::patch().to(patch::<C>))
                .route(web::delete().to(delete::<C>))
                .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
        );
    }
}

/// A 405 in SCIM's error format, with the `Allow` header.
fn not_allowed(allow: &'static str) -> actix_web::Route {
    web::to(move |req: HttpRequest| async move {
        let mut response = ScimError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            format!("Method \"{}\" not allowed.", req.method()),
        )
        .error_response();
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static(allow));
        response
    })
}
