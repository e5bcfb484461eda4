//! `/permissions/`: the fixed permission catalogue.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::ErrorDetail;
use crate::auth::Caller;
use crate::domain::role::Permission;

/// One permission of the catalogue.
#[derive(Serialize, ToSchema)]
pub struct PermissionInfo {
    /// The permission's name, as roles list it (e.g. `users.manage`).
    pub name: Permission,
    pub description: &'static str,
}

/// List permissions
///
/// The fixed catalogue, as a plain list (it is small and never paginated).
/// Any authenticated member may read it.
#[utoipa::path(
    get,
    path = "/permissions/",
    tag = "roles",
    responses(
        (status = 200, description = "Every permission", body = Vec<PermissionInfo>),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Never: every member may read the catalogue", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn list_permissions(_caller: Caller) -> web::Json<Vec<PermissionInfo>> {
    web::Json(
        Permission::ALL
            .into_iter()
            .map(|p| PermissionInfo {
                name: p,
                description: p.description(),
            })
            .collect(),
    )
}
