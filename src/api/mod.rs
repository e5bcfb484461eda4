//! HTTP handlers, one file per action, and the route table.

pub mod access_review;
pub mod account;
pub mod api_users;
pub mod audit_events;
pub mod auth;
pub mod common;
pub mod extract;
pub mod health;
pub mod invitations;
pub mod keys;
pub mod labels;
pub mod permissions;
pub mod profile;
pub mod roles;
pub mod targets;
pub mod teams;
pub mod users;
pub mod webhooks;

use actix_web::{HttpRequest, HttpResponse, Route, web};

use crate::error::Error;

/// A 405 naming the methods a resource allows.
fn not_allowed(allow: &'static str) -> Route {
    web::to(move |req: HttpRequest| async move {
        Err::<HttpResponse, _>(Error::MethodNotAllowed {
            method: req.method().to_string(),
            allow: allow.to_owned(),
        })
    })
}

/// Registers every API route. Paths are registered without their trailing
/// slash: `startup` strips it from requests, so `/users/` and `/users` are
/// served alike with no redirect.
pub fn routes(cfg: &mut web::ServiceConfig) {
    crate::scim::routes(cfg);
    cfg.service(
        web::resource("/healthz")
            .route(web::get().to(health::healthz))
            .default_service(not_allowed("GET")),
    )
    .service(
        web::resource("/readyz")
            .route(web::get().to(health::readyz))
            .default_service(not_allowed("GET")),
    )
    .service(
        web::resource("/auth/obtain")
            .route(web::post().to(auth::obtain_token))
            .default_service(not_allowed("POST")),
    )
    .service(
        web::resource("/labels/users")
            .route(web::get().to(labels::list_labels))
            .route(web::post().to(labels::create_label))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/labels/users/{id}")
            .route(web::get().to(labels::get_label))
            .route(web::put().to(labels::update_label))
            .route(web::patch().to(labels::partial_update_label))
            .route(web::delete().to(labels::delete_label))
            .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
    )
    .service(
        web::resource("/auth/password_reset")
            .route(web::post().to(auth::password_reset::request_password_reset))
            .default_service(not_allowed("POST")),
    )
    .service(
        web::resource("/auth/password_reset/confirm")
            .route(web::get().to(auth::password_reset::password_reset_page))
            .route(web::post().to(auth::password_reset::confirm_password_reset))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/access-review")
            .route(web::get().to(access_review::get::get_access_review))
            .default_service(not_allowed("GET")),
    )
    .service(
        web::resource("/webhooks")
            .route(web::get().to(webhooks::list::list_webhooks))
            .route(web::post().to(webhooks::create::create_webhook))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/webhooks/{id}")
            .route(web::get().to(webhooks::get::get_webhook))
            .route(web::patch().to(webhooks::update::update_webhook))
            .route(web::delete().to(webhooks::delete::delete_webhook))
            .default_service(not_allowed("GET, PATCH, DELETE")),
    )
    .service(
        web::resource("/webhooks/{id}/deliveries")
            .route(web::get().to(webhooks::deliveries::list_webhook_deliveries))
            .default_service(not_allowed("GET")),
    )
    .service(
        web::resource("/audit-events")
            .route(web::get().to(audit_events::list::list_audit_events))
            .default_service(not_allowed("GET")),
    )
    .service(
        web::resource("/audit-events/{id}")
            .route(web::get().to(audit_events::get::get_audit_event))
            .default_service(not_allowed("GET")),
    )
    .service(
        web::resource("/invitations")
            .route(web::get().to(invitations::list::list_invitations))
            .route(web::post().to(invitations::create::create_invitation))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/invitations/accept")
            .route(web::get().to(invitations::accept::invitation_page))
            .route(web::post().to(invitations::accept::accept_invitation))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/invitations/{id}")
            .route(web::get().to(invitations::get::get_invitation))
            .default_service(not_allowed("GET")),
    )
    .service(
        web::resource("/auth/refresh")
            .route(web::post().to(auth::lifecycle::refresh_token))
            .default_service(not_allowed("POST")),
    )
    .service(
        web::resource("/auth/verify")
            .route(web::post().to(auth::lifecycle::verify_token))
            .default_service(not_allowed("POST")),
    )
    .service(
        web::resource("/auth/revoke")
            .route(web::post().to(auth::lifecycle::revoke_token))
            .default_service(not_allowed("POST")),
    )
    .service(
        web::resource("/keys")
            .route(web::get().to(keys::list::list_keys))
            .route(web::post().to(keys::create::create_key))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/keys/{id}")
            .route(web::delete().to(keys::delete::delete_key))
            .default_service(not_allowed("DELETE")),
    )
    .service(
        web::resource("/api-users")
            .route(web::get().to(api_users::list::list_api_users))
            .route(web::post().to(api_users::create::create_api_user))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api-users/bulk/update")
            .route(web::post().to(users::bulk_update::bulk_update_api_users))
            .default_service(not_allowed("POST")),
    )
    .service(
        web::resource("/api-users/bulk/delete")
            .route(web::post().to(users::bulk_delete::bulk_delete_api_users))
            .default_service(not_allowed("POST")),
    )
    .service(
        web::resource("/api-users/{id}")
            .route(web::get().to(api_users::get::get_api_user))
            .route(web::put().to(api_users::update::update_api_user))
            .route(web::patch().to(api_users::update::partial_update_api_user))
            .route(web::delete().to(api_users::delete::delete_api_user))
            .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
    )
    .service(
        web::resource("/api-users/{id}/keys")
            .route(web::get().to(keys::list::list_api_user_keys))
            .route(web::post().to(keys::create::create_api_user_key))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api-users/{id}/keys/{key_id}")
            .route(web::delete().to(keys::delete::delete_api_user_key))
            .default_service(not_allowed("DELETE")),
    )
    .service(
        web::resource("/profile")
            .route(web::get().to(profile::get::get_profile))
            .route(web::patch().to(profile::update::update_profile))
            .default_service(not_allowed("GET, PATCH")),
    )
    .service(
        web::resource("/profile/change_password")
            .route(web::post().to(profile::change_password::change_password))
            .default_service(not_allowed("POST")),
    )
    .service(
        web::resource("/profile/mfa")
            .route(web::post().to(profile::mfa_enroll::enroll_mfa))
            .route(web::delete().to(profile::mfa_disable::disable_mfa))
            .default_service(not_allowed("POST, DELETE")),
    )
    .service(
        web::resource("/profile/mfa/confirm")
            .route(web::post().to(profile::mfa_confirm::confirm_mfa))
            .default_service(not_allowed("POST")),
    )
    .service(
        web::resource("/account")
            .route(web::get().to(account::get_account))
            .route(web::patch().to(account::update_account))
            .default_service(not_allowed("GET, PATCH")),
    )
    .service(
        web::resource("/permissions")
            .route(web::get().to(permissions::list_permissions))
            .default_service(not_allowed("GET")),
    )
    .service(
        web::resource("/roles")
            .route(web::get().to(roles::list::list_roles))
            .route(web::post().to(roles::create::create_role))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/roles/{id}")
            .route(web::get().to(roles::get::get_role))
            .route(web::put().to(roles::update::update_role))
            .route(web::patch().to(roles::update::partial_update_role))
            .route(web::delete().to(roles::delete::delete_role))
            .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
    )
    .service(
        web::resource("/targets")
            .route(web::get().to(targets::list_targets))
            .route(web::post().to(targets::create_target))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/targets/{id}")
            .route(web::get().to(targets::get_target))
            .route(web::put().to(targets::update_target))
            .route(web::patch().to(targets::partial_update_target))
            .route(web::delete().to(targets::delete_target))
            .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
    )
    .service(
        web::resource("/teams")
            .route(web::get().to(teams::list_teams))
            .route(web::post().to(teams::create_team))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/teams/{id}")
            .route(web::get().to(teams::get_team))
            .route(web::put().to(teams::update_team))
            .route(web::patch().to(teams::partial_update_team))
            .route(web::delete().to(teams::delete_team))
            .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
    )
    .service(
        web::resource("/users")
            .route(web::get().to(users::list_users))
            .route(web::post().to(users::create_user))
            .default_service(not_allowed("GET, POST")),
    )
    .service(
        web::resource("/users/bulk/update")
            .route(web::post().to(users::bulk_update::bulk_update_users))
            .default_service(not_allowed("POST")),
    )
    .service(
        web::resource("/users/bulk/delete")
            .route(web::post().to(users::bulk_delete::bulk_delete_users))
            .default_service(not_allowed("POST")),
    )
    .service(
        web::resource("/users/{id}")
            .route(web::get().to(users::get_user))
            .route(web::put().to(users::update_user))
            .route(web::patch().to(users::partial_update_user))
            .route(web::delete().to(users::delete_user))
            .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
    );
}
