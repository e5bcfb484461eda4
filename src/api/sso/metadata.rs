//! `GET /sso/saml/{connection_id}/metadata/`: Tessera's SAML service
//! provider metadata for a connection.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::api::common::ErrorDetail;
use crate::error::Result;
use crate::service::sso::saml;
use crate::state::AppState;

/// SAML service provider metadata
///
/// Tessera's metadata for a SAML connection, to give its identity provider
/// (most IdPs import it from this URL, which is also the connection's
/// entity id): the entity id, the assertion consumer service
/// (`/sso/saml/acs/`, HTTP-POST), the NameID format asked for, the
/// certificate to encrypt assertions to and, when the connection signs its
/// requests, the certificate they are signed with. Public, like any SP
/// metadata; 404 for an id that is not a SAML connection.
#[utoipa::path(
    get,
    path = "/sso/saml/{connection_id}/metadata/",
    tag = "sso",
    params(("connection_id" = String, Path, description = "The connection's id.")),
    responses(
        (status = 200, description = "The SP metadata (an md:EntityDescriptor)", content_type = "application/samlmetadata+xml", body = String),
        (status = 404, description = "No such SAML connection", body = ErrorDetail),
    ),
    security(())
)]
pub async fn get_saml_metadata(
    state: web::Data<AppState>,
    connection_id: web::Path<String>,
) -> Result<HttpResponse> {
    let public_url = state.public_url.clone();
    let xml = state
        .db
        .read(move |conn| saml::sp_metadata_of(conn, &public_url, &connection_id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/samlmetadata+xml"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(xml))
}
