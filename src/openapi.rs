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
In this page, click *Authorize* and enter `JWT <token>`. A user with MFA on also
sends `otp`, the current code of an authenticator app (TOTP; enroll at
`/profile/mfa/`). Failed logins are throttled per client address and per
account: past the limit, a 429 with `Retry-After`.

**Joining and recovering access.** `POST /invitations/` mails a PENDING or
DEACTIVATED user a single-use link; `POST /invitations/accept/` with its
token and a password makes the user ACTIVE. `POST /auth/password_reset/`
(always a 204) mails each ACTIVE user with that email a reset link, confirmed
at `POST /auth/password_reset/confirm/`. Links carry a token whose hash alone
is stored. Without an SMTP server (`TESSERA_SMTP_URL` unset) the service is in
development mode: no mail is sent, and the answer creating an invitation
carries its `link`, once.

**Who may act on whom.** Permissions come from role assignments at account
tier (the whole organization), team tier (that team: its members and its
targets) or scope tier (one target). A caller may change, deactivate, delete,
invite, reset, or set the password or email of a user, and create, list or
revoke an API user's keys, only if it holds every permission that user
holds, wherever the user holds it: an organization-wide permission of the
user's needs the same permission organization-wide, one held at a team needs
it at that team (or organization-wide), one held at a target needs it at that
target, one of its teams, or organization-wide. It is judged on the user's
roles before the change, so adding someone to your team first does not help.
Otherwise the answer is a 403 (a 404 for a user of another organization), and
nothing changes. Acting on an OWNER therefore needs `owner.grant`; a team
ADMIN edits the plain members of its team, an organization ADMIN edits
another ADMIN, an OWNER edits anyone. Granting or removing a role also needs
`roles.grant` and every permission of that role where it is granted (no
escalation). Authorization is checked before validation.

**Conventions.** Ids are 12-character Base58 strings; an id that is not one is
simply not found (404). Times are ISO 8601 UTC with microseconds and `Z`.
Paths are documented with a trailing slash and served identically without it.
Bodies are JSON (or flat `application/x-www-form-urlencoded`), at most 1 MiB.
Errors follow Django REST Framework: `{"field": ["message"]}` for 400s,
`{"detail": "..."}` otherwise. A NUL character in any query parameter or
body field is a 400 naming it (`Null characters are not allowed.`). Lists
take `page` (from 1) and `length` (default 10, capped to 100) and answer
`{count, page_total, page, length, results}`; a page past the end is a 404
`Invalid page.`

**Retries.** Every POST takes an `Idempotency-Key` header (1-255 visible
ASCII characters, as Stripe and the IETF draft define it): the first
successful response is kept 24 hours, in the database so every replica
honours it, and a retry of the same request with the same key gets it again,
marked `Idempotency-Replayed: true`, without writing twice. The same key
with a different request is a 422; while the first request still runs, a
409; if the server running it stopped after writing but before answering,
a 422 (it is not run again: read the resource to see its outcome). Keys belong to the authenticated user and replay only to valid
credentials of that user (without credentials, only an identical request
replays); a request that fails keeps nothing. MCP is left
out: its JSON-RPC messages carry their own ids.

**MCP.** `POST /api/mcp/v1` serves Probo's user tools over the Model Context
Protocol (streamable HTTP, JSON-RPC 2.0, protocol versions 2025-03-26 and
2025-06-18, stateless: no sessions, no `GET` stream) with `Authorization:
Bearer <token or API key>`: `listUsers`, `getUser`, `createUser`,
`updateUser`, `removeUser`, `updateMembership`, `deactivateUser`,
`inviteUser`. It is not
part of this document: `tools/list` on the endpoint describes each tool's
input and output. Tools apply the same rules as the REST API; a tool's
failure is a result with `isError: true`, malformed arguments a JSON-RPC
`-32602`. `listUsers` pages with an opaque keyset `cursor` (`size` default 20,
capped to 100; `next_cursor` absent on the last page).

**SCIM.** `/scim/v2` serves SCIM 2.0 (RFC 7643/7644) to identity providers:
`ServiceProviderConfig`, `ResourceTypes`, `Schemas`, `Users` and `Groups`
(list with `filter`, `startIndex`, `count`, `attributes` and
`excludedAttributes`; `.search`; get; `POST`; `PUT`; `PATCH`; `DELETE`), as
`application/scim+json`, with errors in SCIM's format. It needs the Bearer
API key (or token) of a caller holding `scim.provision`, discovery included.
A Group is a team; its `members` are the people holding a role at the team's
tier, and adding one grants `TESSERA_SCIM_GROUP_ROLE` (EMPLOYEE by default)
there. `userName` is kept as the identity provider sends it (the login e-mail
comes from `emails`: the primary, else the work one, else the first); the
enterprise extension is kept as sent.
SCIM has its own schemas, served at `/scim/v2/Schemas`; they are not part of
this document.

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
        api::auth::lifecycle::refresh_token,
        api::auth::lifecycle::verify_token,
        api::auth::lifecycle::revoke_token,
        api::auth::password_reset::request_password_reset,
        api::auth::password_reset::confirm_password_reset,
        api::auth::password_reset::password_reset_page,
        api::access_review::get::get_access_review,
        api::access_reviews::list::list_access_reviews,
        api::access_reviews::create::create_access_review,
        api::access_reviews::get::get_access_review_campaign,
        api::access_reviews::items::list_access_review_items,
        api::access_reviews::items::get_access_review_item,
        api::access_reviews::decide::decide_access_review_item,
        api::access_reviews::close::close_access_review,
        api::access_reviews::report::get_access_review_report,
        api::webhooks::list::list_webhooks,
        api::webhooks::create::create_webhook,
        api::webhooks::get::get_webhook,
        api::webhooks::update::update_webhook,
        api::webhooks::delete::delete_webhook,
        api::webhooks::deliveries::list_webhook_deliveries,
        api::webhooks::redeliver::redeliver_webhook_delivery,
        api::sso::list::list_sso_connections,
        api::sso::create::create_sso_connection,
        api::sso::get::get_sso_connection,
        api::sso::update::update_sso_connection,
        api::sso::delete::delete_sso_connection,
        api::sso::login::sso_login,
        api::sso::login::sso_login_connection,
        api::sso::callback::sso_oidc_callback,
        api::sso::acs::sso_saml_acs,
        api::sso::metadata::get_saml_metadata,
        api::sso::exchange::exchange_sso_code,
        api::audit_events::list::list_audit_events,
        api::audit_events::get::get_audit_event,
        api::invitations::list::list_invitations,
        api::invitations::create::create_invitation,
        api::invitations::get::get_invitation,
        api::invitations::revoke::revoke_invitation,
        api::invitations::accept::accept_invitation,
        api::invitations::accept::invitation_page,
        api::keys::list::list_keys,
        api::keys::create::create_key,
        api::keys::delete::delete_key,
        api::api_users::list::list_api_users,
        api::api_users::create::create_api_user,
        api::api_users::get::get_api_user,
        api::api_users::update::update_api_user,
        api::api_users::update::partial_update_api_user,
        api::api_users::delete::delete_api_user,
        api::users::bulk_update::bulk_update_api_users,
        api::users::bulk_delete::bulk_delete_api_users,
        api::keys::list::list_api_user_keys,
        api::keys::create::create_api_user_key,
        api::keys::delete::delete_api_user_key,
        api::users::list::list_users,
        api::users::create::create_user,
        api::users::get::get_user,
        api::users::update::update_user,
        api::users::update::partial_update_user,
        api::users::delete::delete_user,
        api::users::bulk_update::bulk_update_users,
        api::users::bulk_delete::bulk_delete_users,
        api::labels::list::list_labels,
        api::labels::create::create_label,
        api::labels::get::get_label,
        api::labels::update::update_label,
        api::labels::update::partial_update_label,
        api::labels::delete::delete_label,
        api::profile::get::get_profile,
        api::profile::update::update_profile,
        api::profile::change_password::change_password,
        api::profile::mfa_enroll::enroll_mfa,
        api::profile::mfa_confirm::confirm_mfa,
        api::profile::mfa_disable::disable_mfa,
        api::account::get_account,
        api::account::update_account,
        api::permissions::list_permissions,
        api::roles::list::list_roles,
        api::roles::create::create_role,
        api::roles::get::get_role,
        api::roles::update::update_role,
        api::roles::update::partial_update_role,
        api::roles::delete::delete_role,
        api::teams::list::list_teams,
        api::teams::create::create_team,
        api::teams::get::get_team,
        api::teams::update::update_team,
        api::teams::update::partial_update_team,
        api::teams::delete::delete_team,
        api::targets::list::list_targets,
        api::targets::create::create_target,
        api::targets::get::get_target,
        api::targets::update::update_target,
        api::targets::update::partial_update_target,
        api::targets::delete::delete_target,
        api::health::healthz,
        api::health::readyz,
        api::well_known::get_jwks,
        api::well_known::get_server_metadata,
        api::auth::introspect::introspect_token,
        api::authz::check::check_permissions,
        api::authz::who::who_may,
        api::access_requests::list::list_access_requests,
        api::access_requests::create::create_access_request,
        api::access_requests::get::get_access_request,
        api::access_requests::decide::approve_access_request,
        api::access_requests::decide::deny_access_request,
        api::access_requests::cancel::cancel_access_request,
    ),
    components(schemas(api::common::ErrorDetail, api::common::ValidationErrors, api::common::IdParam, api::common::RoleParam, api::users::UserRoleInputDoc, api::users::ApiUserWrite, api::users::bulk_update::BulkUserUpdate)),
    modifiers(&JwtScheme, &PartialUpdates, &IdempotencyKeys, &QueryTextWithoutNul),
    tags(
        (name = "auth", description = "Tokens and password resets"),
        (name = "tokens", description = "Trusting Tessera from another service: published keys, introspection, permission checks"),
        (name = "sso", description = "Single sign-on: OpenID Connect and SAML 2.0 connections, sign-in through them"),
        (name = "webhooks", description = "Webhooks: events sent to other systems, signed, with retries"),
        (name = "audit", description = "The audit trail and the access review"),
        (name = "invitations", description = "Invitations: how people join and choose a first password"),
        (name = "users", description = "People of the organization"),
        (name = "labels", description = "Labels given to users"),
        (name = "api-users", description = "Applications of the organization"),
        (name = "keys", description = "API keys"),
        (name = "profile", description = "The caller's own user"),
        (name = "account", description = "The caller's organization"),
        (name = "roles", description = "Permissions and roles"),
        (name = "teams", description = "Teams: groups of users and targets that team-tier roles apply to"),
        (name = "targets", description = "Targets: what access is scoped to"),
        (name = "operations", description = "Probes for orchestrators"),
        (name = "access-reviews", description = "Access review campaigns. A campaign (`POST /access-reviews/`) snapshots the role assignments in its scope (the organization, a team, or a role) into items, one per user and assignment, with the permissions each granted at that moment; the snapshot does not change afterwards. Reviewers decide `keep` or `revoke` per item; a `revoke` takes effect in the transaction of the decision, through the same rules and audit trail as a user edit (no escalation, never the last OWNER). A campaign closes only when no item is pending, and its report (JSON or CSV) lists every decision with its reviewer and time. Creating and closing need `access_review.view` and `roles.grant` organization-wide; reading every campaign needs `access_review.view`; reviewers, and team ADMINs for the items of their teams, see and decide what they review. Audited as `access_review.created`, `access_review.decided` and `access_review.closed`."),
        (name = "access-requests", description = "Access requests: a role at a place for a while, asked for and decided"),
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

/// Every POST takes an optional `Idempotency-Key` header, and may answer
/// 409 (its first request still running) and 422 (the key used with
/// another request, or its first request applied by a server that stopped
/// before answering).
struct IdempotencyKeys;

impl Modify for IdempotencyKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Ref, ResponseBuilder, Type, content::Content};
        let header = ParameterBuilder::new()
            .name(api::idempotency::HEADER)
            .parameter_in(ParameterIn::Header)
            .description(Some(
                "Makes a retry safe: the first successful response to a request with this key is \
                 kept 24 hours, and the same request with the same key gets it again (marked \
                 `Idempotency-Replayed: true`) without writing twice. Keys belong to the \
                 authenticated user, and replay only to valid credentials of that user; \
                 without credentials, only an identical request replays. \
                 A request that fails keeps nothing.",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(crate::service::idempotency::KEY_MAX))
                    .pattern(Some("^[!-~]+$")),
            ))
            .build();
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    Content::new(Some(Ref::from_schema_name("ErrorDetail"))),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let Some(post) = item.post.as_mut() else {
                continue;
            };
            post.parameters
                .get_or_insert_with(Vec::new)
                .push(header.clone());
            post.responses
                .responses
                .entry("409".into())
                .or_insert_with(|| {
                    error("The first request with this Idempotency-Key is still running").into()
                });
            post.responses
                .responses
                .entry("422".into())
                .or_insert_with(|| {
                    error(
                        "This Idempotency-Key was already used with a different request, or its \
                         first request was applied and its response lost (its server stopped or \
                         failed before answering; it does not run again)",
                    )
                    .into()
                });
        }
    }
}

/// Every query parameter refuses a NUL character (a 400 under its name,
/// before any query runs): free-text ones say so with a pattern, so that
/// what the document calls valid is what the server accepts.
struct QueryTextWithoutNul;

impl Modify for QueryTextWithoutNul {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};

        fn free_text(schema: &mut Schema) {
            match schema {
                Schema::Object(object)
                    if object.schema_type == SchemaType::Type(Type::String)
                        && object.pattern.is_none()
                        && object.enum_values.is_none() =>
                {
                    object.pattern = Some("^[^\\u0000]*$".into());
                }
                Schema::Array(array) => {
                    if let ArrayItems::RefOrSchema(items) = &mut array.items
                        && let RefOr::T(items) = items.as_mut()
                    {
                        free_text(items);
                    }
                }
                _ => {}
            }
        }

        for item in openapi.paths.paths.values_mut() {
            for operation in [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if parameter.parameter_in == ParameterIn::Query
                        && let Some(RefOr::T(schema)) = parameter.schema.as_mut()
                    {
                        free_text(schema);
                    }
                }
            }
        }
    }
}

/// PATCH changes only the fields it is sent: its body is optional and its
/// schema (`<Name>Patch`) is the PUT schema without required fields.
struct PartialUpdates;

impl Modify for PartialUpdates {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::Schema;
        use utoipa::openapi::{RefOr, Required};
        let components = openapi.components.get_or_insert_with(Default::default);
        for item in openapi.paths.paths.values_mut() {
            let Some(body) = item.patch.as_mut().and_then(|op| op.request_body.as_mut()) else {
                continue;
            };
            body.required = Some(Required::False);
            for content in body.content.values_mut() {
                let Some(RefOr::Ref(reference)) = content.schema.as_mut() else {
                    continue;
                };
                let Some(name) = reference.ref_location.rsplit('/').next().map(str::to_owned)
                else {
                    continue;
                };
                let Some(RefOr::T(Schema::Object(object))) = components.schemas.get(&name) else {
                    continue;
                };
                if object.required.is_empty() {
                    continue;
                }
                let mut partial = object.clone();
                partial.required.clear();
                let patch_name = format!("{name}Patch");
                components
                    .schemas
                    .insert(patch_name.clone(), RefOr::T(Schema::Object(partial)));
                *reference = utoipa::openapi::Ref::from_schema_name(patch_name);
            }
        }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The route table and the document list the same operations: nothing
    /// is served undocumented, nothing documented is missing.
    #[test]
    fn every_route_is_documented_and_every_documented_operation_served() {
        let served: BTreeSet<(String, String)> = crate::api::OPERATIONS
            .iter()
            .map(|(method, path)| (method.to_ascii_uppercase(), (*path).to_owned()))
            .collect();
        let document = serde_json::to_value(super::document()).expect("the document serializes");
        let documented: BTreeSet<(String, String)> = document["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, item)| {
                let path = path.strip_suffix('/').unwrap_or(path).to_owned();
                item.as_object()
                    .expect("a path item")
                    .keys()
                    .filter(|k| matches!(k.as_str(), "get" | "post" | "put" | "patch" | "delete"))
                    .map(move |method| (method.to_ascii_uppercase(), path.clone()))
            })
            .collect();
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty() && unserved.is_empty(),
            "served but not documented: {undocumented:?}; documented but not served: {unserved:?}"
        );
    }
}
