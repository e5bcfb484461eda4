//! HTTP handlers, one file per action, and the route table.

pub mod auth;
pub mod common;
pub mod extract;
pub mod health;
pub mod users;

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
        web::resource("/users")
            .route(web::get().to(users::list_users))
            .route(web::post().to(users::create_user))
            .default_service(not_allowed("GET, POST")),
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
