//! The OpenAPI document, generated from the handlers' annotations. It is
//! committed at `openapi/openapi.json`; a test fails when the two differ.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

const DESCRIPTION: &str = r#"Tessera manages the users of an organization: people and API users, their
labels and their roles at account, team and scope tiers. The REST API follows
the Probely users API (Probely's "account" is Tessera's organization).

**Authentication.** `POST /auth/obtain/` with `{"username": email, "password"}`
returns a token; send it as `Authorization: JWT <token>` (or `Bearer <token>`).
In this page, click *Authorize* and enter `JWT <token>`.

**Conventions.** Ids are 12-character Base58 strings; an id that is not one is
simply not found (404). Times are ISO 8601 UTC with microseconds and `Z`.
Paths are documented with a trailing slash and served identically without it.
Bodies are JSON (or flat `application/x-www-form-urlencoded`), at most 1 MiB.
Errors follow Django REST Framework: `{"field": ["message"]}` for 400s,
`{"detail": "..."}` otherwise. Lists take `page` (from 1) and `length`
(default 10, capped to 100) and answer `{count, page_total, page, length,
results}`; a page past the end is a 404 `Invalid page.`

**Choices where the contract was silent.** A user_roles item without `scope`
gets its tier from what it names (a target: scope, a team: team, else
account). `changed_by` keeps a snapshot of the author of the change, so it
survives the author's deletion. Writes made by no user are attributed to the
organization's `System` actor."#;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tessera", description = DESCRIPTION, license(name = "Apache-2.0")),
    paths(
        api::auth::obtain::obtain_token,
        api::users::list::list_users,
        api::users::create::create_user,
        api::users::get::get_user,
        api::users::update::update_user,
        api::users::update::partial_update_user,
        api::users::delete::delete_user,
        api::health::healthz,
        api::health::readyz,
    ),
    components(schemas(api::common::ErrorDetail, api::common::ValidationErrors, api::users::UserRoleInputDoc)),
    modifiers(&JwtScheme),
    tags(
        (name = "auth", description = "Tokens"),
        (name = "users", description = "People of the organization"),
        (name = "operations", description = "Probes for orchestrators"),
    )
)]
pub struct ApiDoc;

struct JwtScheme;

impl Modify for JwtScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "jwt",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`JWT <token>` or `Bearer <token>`, with a token from POST /auth/obtain/.",
            ))),
        );
    }
}

/// The document as committed and served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub fn pretty_json() -> String {
    document()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
        + "\n"
}
