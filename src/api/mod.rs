//! HTTP handlers, one file per action, and the route table.

pub mod access_requests;
pub mod access_review;
pub mod access_reviews;
pub mod account;
pub mod api_users;
pub mod audit_events;
pub mod auth;
pub mod authz;
pub mod common;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod invitations;
pub mod keys;
pub mod labels;
pub mod permissions;
pub mod profile;
pub mod roles;
pub mod sso;
pub mod targets;
pub mod teams;
pub mod users;
pub mod webhooks;
pub mod well_known;

use actix_web::{HttpRequest, HttpResponse, Route, web};

use crate::error::Error;

/// A 405 naming the methods a resource allows.
fn not_allowed(methods: &[&str]) -> Route {
    let allow = methods
        .iter()
        .map(|m| m.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(", ");
    web::to(move |req: HttpRequest| {
        let allow = allow.clone();
        async move {
            Err::<HttpResponse, _>(Error::MethodNotAllowed {
                method: req.method().to_string(),
                allow,
            })
        }
    })
}

/// Every API route, registered once: `routes` serves them, `OPERATIONS`
/// lists them, and a test checks that list against the OpenAPI document, so
/// an endpoint cannot be served without being documented, or the reverse.
/// Paths are written without their trailing slash: `startup` strips it from
/// requests, so `/users/` and `/users` are served alike with no redirect.
/// Any other method on a path is a 405 naming the methods it allows.
macro_rules! route_table {
    ($($path:literal => { $($method:ident: $handler:path),+ $(,)? }),+ $(,)?) => {
        /// Registers every API route (and SCIM's, which has its own document).
        pub fn routes(cfg: &mut web::ServiceConfig) {
            crate::scim::routes(cfg);
            $(
                cfg.service(
                    web::resource($path)
                        $(.route(web::$method().to($handler)))+
                        .default_service(not_allowed(&[$(stringify!($method)),+])),
                );
            )+
        }

        /// (method, path) of every operation `routes` serves, in upper case
        /// and without the trailing slash.
        pub const OPERATIONS: &[(&str, &str)] = &[$($((stringify!($method), $path)),+),+];
    };
}

route_table! {
    "/healthz" => { get: health::healthz },
    "/readyz" => { get: health::readyz },
    "/.well-known/jwks.json" => { get: well_known::get_jwks },
    "/.well-known/oauth-authorization-server" => { get: well_known::get_server_metadata },
    "/auth/obtain" => { post: auth::obtain_token },
    "/labels/users" => { get: labels::list_labels, post: labels::create_label },
    "/labels/users/{id}" => {
        get: labels::get_label,
        put: labels::update_label,
        patch: labels::partial_update_label,
        delete: labels::delete_label,
    },
    "/auth/password_reset" => { post: auth::password_reset::request_password_reset },
    "/auth/password_reset/confirm" => {
        get: auth::password_reset::password_reset_page,
        post: auth::password_reset::confirm_password_reset,
    },
    "/access-review" => { get: access_review::get::get_access_review },
    "/access-reviews" => {
        get: access_reviews::list::list_access_reviews,
        post: access_reviews::create::create_access_review,
    },
    "/access-reviews/{id}" => { get: access_reviews::get::get_access_review_campaign },
    "/access-reviews/{id}/items" => { get: access_reviews::items::list_access_review_items },
    "/access-reviews/{id}/items/{item_id}" => { get: access_reviews::items::get_access_review_item },
    "/access-reviews/{id}/items/{item_id}/decision" => {
        post: access_reviews::decide::decide_access_review_item,
    },
    "/access-reviews/{id}/close" => { post: access_reviews::close::close_access_review },
    "/access-reviews/{id}/report" => { get: access_reviews::report::get_access_review_report },
    "/webhooks" => { get: webhooks::list::list_webhooks, post: webhooks::create::create_webhook },
    "/webhooks/{id}" => {
        get: webhooks::get::get_webhook,
        patch: webhooks::update::update_webhook,
        delete: webhooks::delete::delete_webhook,
    },
    "/webhooks/{id}/deliveries" => { get: webhooks::deliveries::list_webhook_deliveries },
    "/webhooks/{id}/deliveries/{delivery_id}/redeliver" => {
        post: webhooks::redeliver::redeliver_webhook_delivery,
    },
    "/sso/connections" => {
        get: sso::list::list_sso_connections,
        post: sso::create::create_sso_connection,
    },
    "/sso/connections/{id}" => {
        get: sso::get::get_sso_connection,
        patch: sso::update::update_sso_connection,
        delete: sso::delete::delete_sso_connection,
    },
    "/sso/login" => { get: sso::login::sso_login },
    "/sso/login/{connection_id}" => { get: sso::login::sso_login_connection },
    "/sso/oidc/callback" => { get: sso::callback::sso_oidc_callback },
    "/sso/saml/acs" => { post: sso::acs::sso_saml_acs },
    "/sso/saml/{connection_id}/metadata" => { get: sso::metadata::get_saml_metadata },
    "/auth/sso/exchange" => { post: sso::exchange::exchange_sso_code },
    "/audit-events" => { get: audit_events::list::list_audit_events },
    "/audit-events/{id}" => { get: audit_events::get::get_audit_event },
    "/invitations" => {
        get: invitations::list::list_invitations,
        post: invitations::create::create_invitation,
    },
    "/invitations/accept" => {
        get: invitations::accept::invitation_page,
        post: invitations::accept::accept_invitation,
    },
    "/invitations/{id}" => { get: invitations::get::get_invitation },
    "/invitations/{id}/revoke" => { post: invitations::revoke::revoke_invitation },
    "/auth/refresh" => { post: auth::lifecycle::refresh_token },
    "/auth/verify" => { post: auth::lifecycle::verify_token },
    "/auth/revoke" => { post: auth::lifecycle::revoke_token },
    "/auth/introspect" => { post: auth::introspect::introspect_token },
    "/authz/check" => { post: authz::check::check_permissions },
    "/authz/who" => { get: authz::who::who_may },
    "/keys" => { get: keys::list::list_keys, post: keys::create::create_key },
    "/keys/{id}" => { delete: keys::delete::delete_key },
    "/api-users" => {
        get: api_users::list::list_api_users,
        post: api_users::create::create_api_user,
    },
    "/api-users/bulk/update" => { post: users::bulk_update::bulk_update_api_users },
    "/api-users/bulk/delete" => { post: users::bulk_delete::bulk_delete_api_users },
    "/api-users/{id}" => {
        get: api_users::get::get_api_user,
        put: api_users::update::update_api_user,
        patch: api_users::update::partial_update_api_user,
        delete: api_users::delete::delete_api_user,
    },
    "/api-users/{id}/keys" => {
        get: keys::list::list_api_user_keys,
        post: keys::create::create_api_user_key,
    },
    "/api-users/{id}/keys/{key_id}" => { delete: keys::delete::delete_api_user_key },
    "/profile" => { get: profile::get::get_profile, patch: profile::update::update_profile },
    "/profile/change_password" => { post: profile::change_password::change_password },
    "/profile/mfa" => {
        post: profile::mfa_enroll::enroll_mfa,
        delete: profile::mfa_disable::disable_mfa,
    },
    "/profile/mfa/confirm" => { post: profile::mfa_confirm::confirm_mfa },
    "/account" => { get: account::get_account, patch: account::update_account },
    "/permissions" => { get: permissions::list_permissions },
    "/roles" => { get: roles::list::list_roles, post: roles::create::create_role },
    "/roles/{id}" => {
        get: roles::get::get_role,
        put: roles::update::update_role,
        patch: roles::update::partial_update_role,
        delete: roles::delete::delete_role,
    },
    "/targets" => { get: targets::list_targets, post: targets::create_target },
    "/targets/{id}" => {
        get: targets::get_target,
        put: targets::update_target,
        patch: targets::partial_update_target,
        delete: targets::delete_target,
    },
    "/teams" => { get: teams::list_teams, post: teams::create_team },
    "/teams/{id}" => {
        get: teams::get_team,
        put: teams::update_team,
        patch: teams::partial_update_team,
        delete: teams::delete_team,
    },
    "/users" => { get: users::list_users, post: users::create_user },
    "/users/bulk/update" => { post: users::bulk_update::bulk_update_users },
    "/users/bulk/delete" => { post: users::bulk_delete::bulk_delete_users },
    "/users/{id}" => {
        get: users::get_user,
        put: users::update_user,
        patch: users::partial_update_user,
        delete: users::delete_user,
    },
    "/access-requests" => {
        get: access_requests::list::list_access_requests,
        post: access_requests::create::create_access_request,
    },
    "/access-requests/{id}" => { get: access_requests::get::get_access_request },
    "/access-requests/{id}/approve" => {
        post: access_requests::decide::approve_access_request,
    },
    "/access-requests/{id}/deny" => { post: access_requests::decide::deny_access_request },
    "/access-requests/{id}/cancel" => { post: access_requests::cancel::cancel_access_request },
}
