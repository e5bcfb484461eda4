//! One error type for the whole service and its one mapping to the DRF-style
//! JSON envelope. Internal causes are logged here and never sent to a client.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value, json};
use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// DRF's message for a missing required field.
pub const REQUIRED: &str = "This field is required.";

/// Field errors in DRF's shape: `{"field": ["message", ...]}`; a value may
/// also be a nested object or list mirroring the input.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// Appends a message under `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let entry = self
            .0
            .entry(field.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(message.into()));
        }
    }

    /// Sets a nested structure (e.g. per-item errors of a list) under `field`.
    pub fn set(&mut self, field: &str, nested: Value) {
        self.0.insert(field.to_owned(), nested);
    }

    /// Appends a message under `field.key` (a nested object's field),
    /// keeping what `field` already holds.
    pub fn nested(&mut self, field: &str, key: &str, message: impl Into<String>) {
        let entry = self
            .0
            .entry(field.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        if let Value::Object(map) = entry {
            let list = map
                .entry(key.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = list {
                list.push(Value::String(message.into()));
            }
        }
    }

    /// The messages recorded under `field`.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// `Ok(())` when nothing was recorded, the 400 otherwise.
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self))
        }
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// Records a field's parse outcome: the value on success, the message under
/// `field` on failure.
pub trait Collect<T> {
    fn collect(self, errors: &mut FieldErrors, field: &str) -> Option<T>;
}

impl<T> Collect<T> for std::result::Result<T, String> {
    fn collect(self, errors: &mut FieldErrors, field: &str) -> Option<T> {
        match self {
            Ok(v) => Some(v),
            Err(message) => {
                errors.add(field, message);
                None
            }
        }
    }
}

/// DRF's message for a reference (in a body) to nothing the caller can see.
pub fn does_not_exist(raw: &str) -> String {
    format!("Invalid pk \"{raw}\" - object does not exist.")
}

pub const LAST_OWNER: &str =
    "The last active owner of the organization cannot be deleted, deactivated or demoted.";

#[derive(Debug)]
pub enum Error {
    /// 400 with field errors.
    Validation(FieldErrors),
    /// 400 with a `detail` (e.g. malformed JSON).
    BadRequest(String),
    /// 400: `field` holds a value another object of the organization already
    /// has (the database's unique constraint said so). SCIM answers 409.
    Conflict {
        field: &'static str,
        message: &'static str,
    },
    /// 400: the write would leave the organization without an active OWNER;
    /// `field` is what the write changed (`active`, `user_roles`, or
    /// `non_field_errors` for a deletion).
    LastOwner {
        field: &'static str,
    },
    /// 400: `field` of the body names an object the caller's organization
    /// does not have (DRF's "Invalid pk").
    UnknownReference {
        field: &'static str,
        id: String,
    },
    /// 401: no credentials were sent.
    NotAuthenticated,
    /// 401: credentials were sent and are not valid (any reason).
    InvalidToken,
    /// 403.
    Forbidden,
    /// 404 `Not found.`
    NotFound,
    /// 404: some of the ids a request named are not found (all of them
    /// listed); `id_404_validation` echoes Probely's `is_id_404_validation`.
    IdsNotFound {
        ids: Vec<String>,
        id_404_validation: bool,
    },
    /// 404 `Invalid page.`
    InvalidPage,
    MethodNotAllowed {
        method: String,
        allow: String,
    },
    NotAcceptable,
    PayloadTooLarge,
    UnsupportedMediaType(String),
    Throttled {
        wait_seconds: u64,
    },
    /// 422: an `Idempotency-Key` already used with another request.
    IdempotencyKeyReused,
    /// 409: the first request with this `Idempotency-Key` is still running.
    IdempotencyKeyInProgress,
    /// 422: the first request with this `Idempotency-Key` wrote, and its
    /// server stopped (or the request failed) before its response was kept.
    IdempotencyKeyOutcomeLost,
    /// 503: overloaded or the database cannot be reached.
    Unavailable(String),
    /// 500; the cause is logged, never sent.
    Internal(anyhow::Error),
    /// 403 saying why (e.g. deciding one's own access request).
    Refused(&'static str),
    /// 409: the object is no longer in a state that allows the action
    /// (e.g. an access request already decided).
    StateConflict(&'static str),
}

impl Error {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Error::Validation(FieldErrors::single(field, message))
    }

    pub fn non_field(message: impl Into<String>) -> Self {
        Self::field("non_field_errors", message)
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Error::Internal(cause.into())
    }

    /// The field errors of a 400 that names fields (a rule broken by the
    /// input), as DRF shows them; `None` for any other error.
    pub fn into_field_errors(self) -> std::result::Result<FieldErrors, Self> {
        match self {
            Error::Validation(errors) => Ok(errors),
            Error::Conflict { field, message } => Ok(FieldErrors::single(field, message)),
            Error::LastOwner { field } => Ok(FieldErrors::single(field, LAST_OWNER)),
            Error::UnknownReference { field, id } => {
                Ok(FieldErrors::single(field, does_not_exist(&id)))
            }
            other => Err(other),
        }
    }

    fn body(&self) -> Value {
        match self {
            Error::Validation(errors) => errors.clone().into_value(),
            Error::BadRequest(detail) => json!({ "detail": detail }),
            Error::Conflict { field, message } => json!({ *field: [message] }),
            Error::LastOwner { field } => json!({ *field: [LAST_OWNER] }),
            Error::UnknownReference { field, id } => json!({ *field: [does_not_exist(id)] }),
            Error::NotAuthenticated => {
                json!({ "detail": "Authentication credentials were not provided." })
            }
            Error::InvalidToken => json!({ "detail": "Invalid token." }),
            Error::Forbidden => {
                json!({ "detail": "You do not have permission to perform this action." })
            }
            Error::NotFound => json!({ "detail": "Not found." }),
            Error::IdsNotFound {
                ids,
                id_404_validation: false,
            } => json!({ "detail": "Not found.", "invalid_ids": ids }),
            Error::IdsNotFound {
                ids,
                id_404_validation: true,
            } => {
                json!({ "detail": "Not found.", "is_id_404_validation": true, "invalid_ids": ids })
            }
            Error::InvalidPage => json!({ "detail": "Invalid page." }),
            Error::MethodNotAllowed { method, .. } => {
                json!({ "detail": format!("Method \"{method}\" not allowed.") })
            }
            Error::NotAcceptable => {
                json!({ "detail": "Could not satisfy the request Accept header." })
            }
            Error::PayloadTooLarge => {
                json!({ "detail": "Request body is too large (the limit is 1 MiB)." })
            }
            Error::UnsupportedMediaType(media) => {
                json!({ "detail": format!("Unsupported media type \"{media}\" in request.") })
            }
            Error::Throttled { wait_seconds } => json!({
                "detail": format!("Request was throttled. Expected available in {wait_seconds} seconds.")
            }),
            Error::IdempotencyKeyReused => json!({
                "detail": "This Idempotency-Key was already used with a different request."
            }),
            Error::IdempotencyKeyInProgress => json!({
                "detail": "A request with this Idempotency-Key is still being processed; retry later."
            }),
            Error::IdempotencyKeyOutcomeLost => json!({
                "detail": "The first request with this Idempotency-Key was applied, but its response was lost (its server stopped or failed before answering); it will not run again. Read the resource to see its outcome."
            }),
            Error::Unavailable(detail) => json!({ "detail": detail }),
            Error::Internal(_) => json!({ "detail": "A server error occurred." }),
            Error::Refused(detail) | Error::StateConflict(detail) => json!({ "detail": detail }),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Internal(cause) => write!(f, "internal error: {cause:#}"),
            other => write!(f, "{}", other.body()),
        }
    }
}

impl std::error::Error for Error {}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::Validation(_)
            | Error::BadRequest(_)
            | Error::Conflict { .. }
            | Error::LastOwner { .. }
            | Error::UnknownReference { .. } => StatusCode::BAD_REQUEST,
            Error::NotAuthenticated | Error::InvalidToken => StatusCode::UNAUTHORIZED,
            Error::Forbidden => StatusCode::FORBIDDEN,
            Error::NotFound | Error::IdsNotFound { .. } | Error::InvalidPage => {
                StatusCode::NOT_FOUND
            }
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::IdempotencyKeyReused | Error::IdempotencyKeyOutcomeLost => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::IdempotencyKeyInProgress => StatusCode::CONFLICT,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Refused(_) => StatusCode::FORBIDDEN,
            Error::StateConflict(_) => StatusCode::CONFLICT,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Error::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Error::NotAuthenticated | Error::InvalidToken => {
                response.insert_header((header::WWW_AUTHENTICATE, "JWT realm=\"api\""));
            }
            Error::MethodNotAllowed { allow, .. } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            Error::Throttled { wait_seconds } => {
                response.insert_header((header::RETRY_AFTER, wait_seconds.to_string()));
            }
            Error::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.json(self.body())
    }
}

/// The detail of a 503 for a database too busy to take a write now.
pub const BUSY: &str = "The server is busy; try again shortly.";
pub const UNREACHABLE: &str = "The database is not available right now; try again shortly.";

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as Diesel};
        match e {
            Diesel::NotFound => Error::NotFound,
            // A lock still held after SQLite's busy timeout (another process
            // writing), or a transaction PostgreSQL gave up on: the client may
            // simply try again, so it is a 503 with Retry-After, not a 500.
            Diesel::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                tracing::warn!("a transaction was rolled back by a conflict; answering 503");
                Error::Unavailable(BUSY.into())
            }
            // The server went away mid-request (a failover, a restart), or
            // the connection reached a server that is no longer the primary:
            // the pool drops such connections at their next checkout and
            // connects to the current primary, so a retry succeeds.
            Diesel::DatabaseError(
                DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::UnableToSendCommand
                | DatabaseErrorKind::ReadOnlyTransaction,
                info,
            ) => {
                tracing::warn!(
                    error = info.message(),
                    "the database connection was lost; answering 503"
                );
                Error::Unavailable(UNREACHABLE.into())
            }
            Diesel::DatabaseError(_, info)
                if info.message().contains("database is locked")
                    || info.message().contains("database table is locked") =>
            {
                tracing::warn!("the SQLite database stayed locked; answering 503");
                Error::Unavailable(BUSY.into())
            }
            other => Error::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %e, "database pool exhausted or unreachable");
        Error::Unavailable(UNREACHABLE.into())
    }
}

impl From<actix_web::error::BlockingError> for Error {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Error::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

/// True when `e` is a unique-constraint violation, on either backend.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_accumulate_per_field() {
        let mut errors = FieldErrors::new();
        errors.add("email", "a");
        errors.add("email", "b");
        errors.add("name", "c");
        assert_eq!(
            errors.into_value(),
            json!({"email": ["a", "b"], "name": ["c"]})
        );
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let e = Error::internal(anyhow::anyhow!("SELECT secret FROM users"));
        assert_eq!(e.body(), json!({"detail": "A server error occurred."}));
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
