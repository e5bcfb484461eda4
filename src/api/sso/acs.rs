//! `POST /sso/saml/acs/`: the identity provider's SAML response.

use actix_web::{HttpRequest, HttpResponse, web};

use super::callback::land;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, REQUIRED, request_context};
use crate::error::{Error, FieldErrors, Result};
use crate::service::audit::Interface;
use crate::service::sso::login::{self, Answer, COOKIE, Callback};
use crate::service::sso::saml;
use crate::state::AppState;

/// What the IdP posts (HTTP-POST binding, SAML Bindings 3.5).
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the shape read by sso_saml_acs")]
#[allow(non_snake_case, reason = "the binding's field names")]
pub struct SsoSamlAcsForm {
    /// The `samlp:Response`, base64.
    #[schema(min_length = 1, max_length = 524288)]
    SAMLResponse: String,
    /// The RelayState Tessera sent with its AuthnRequest (absent on an
    /// IdP-initiated sign-in, or whatever the IdP was told to send).
    #[schema(max_length = 1024)]
    RelayState: Option<String>,
}

/// SAML assertion consumer service
///
/// The ACS to register at the identity provider (`<public URL>/sso/saml/acs/`,
/// HTTP-POST binding; it is in each connection's SP metadata). Finds the
/// sign-in by `RelayState` and checks this browser's cookie (once: a
/// sign-in is single-use), then validates the response: the XML signature
/// against the IdP metadata's certificates, reading only what the
/// signature covers (no signature wrapping), a SHA-2 signature algorithm,
/// `Destination`, `Issuer`, the `Audience` (this connection's entity id),
/// the bearer `Recipient` (this ACS), `NotBefore`/`NotOnOrAfter` (two
/// minutes' clock skew), `InResponseTo` (the AuthnRequest Tessera sent)
/// and the assertion ID (used once, on every replica). Encrypted
/// assertions are decrypted with the connection's key. A response that
/// answers no sign-in under way is unsolicited (IdP-initiated): refused
/// unless the connection has `saml.allow_idp_initiated`. Then, as for
/// OpenID Connect: the person is found (by NameID, then by email in the
/// connection's domains) or created (`jit`), the group mapping applied,
/// and the browser redirected to the connection's `redirect_uri` with
/// `code` or `error` (`invalid_state`, `invalid_token`,
/// `email_not_verified`, `unknown_user`, `user_inactive`,
/// `account_conflict`, `connection_unavailable`). Every outcome is audited.
#[utoipa::path(
    post,
    path = "/sso/saml/acs/",
    tag = "sso",
    request_body(content = SsoSamlAcsForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 302, description = "To the frontend, with `code` or `error`", headers(("Location" = String, description = "The connection's redirect_uri with code= or error="))),
        (status = 400, description = "`SAMLResponse` missing, or the response matches no sign-in and no connection: `detail`", body = ValidationErrors),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither a form nor JSON", body = ErrorDetail),
    ),
    security(())
)]
pub async fn sso_saml_acs(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let response = fields.string("SAMLResponse", &mut errors);
    let relay_state = fields.string("RelayState", &mut errors);
    let Some(response) = response else {
        if errors.is_empty() {
            errors.add("SAMLResponse", REQUIRED);
        }
        return Err(Error::Validation(errors));
    };
    errors.into_result()?;
    if response.len() > saml::RESPONSE_MAX {
        return Err(Error::field("SAMLResponse", "The response is too large."));
    }
    let mut context = request_context(&req, &state);
    context.interface = Interface::Sso;
    let callback = Callback {
        state: relay_state.filter(|s| !s.is_empty() && s.len() <= 1024),
        answer: Answer::Saml(response),
        browser: req.cookie(COOKIE).map(|c| c.value().to_owned()),
        context,
    };
    land(login::finish(&state, callback).await?, saml::ACS_PATH)
}
