use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::Invitation;
use crate::api::common::{ErrorDetail, ValidationErrors};
use crate::api::extract::{Body, REQUIRED, reference};
use crate::auth::Caller;
use crate::error::{FieldErrors, Result};
use crate::service::Parsed;
use crate::service::invitations;
use crate::state::AppState;

/// `{"user": "<id>"}`
#[derive(ToSchema)]
#[schema(as = InvitationWrite)]
#[expect(dead_code, reason = "documents the shape read by create_invitation")]
pub struct InvitationWriteDoc {
    /// The id of a PENDING or DEACTIVATED user of the organization.
    #[schema(min_length = 12, max_length = 12)]
    user: String,
}

/// A new invitation; in development mode (no SMTP) with its link.
#[derive(Serialize, ToSchema)]
pub struct CreatedInvitation {
    #[serde(flatten)]
    pub invitation: Invitation,
    /// Only in development mode (`TESSERA_SMTP_URL` unset), and only in this
    /// answer: the link to hand to the user. With SMTP on, it is mailed and
    /// never shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// Invite a user
///
/// Mails a single-use link (valid `TESSERA_INVITATION_TTL` seconds, 72 hours
/// by default) by which a PENDING user chooses a password and becomes ACTIVE.
/// A DEACTIVATED user goes back to PENDING first, as in Probo: its old
/// password and API keys stop working for good. A newer invitation of the
/// same user supersedes older ones. Needs `users.manage` over the user and
/// every permission the user holds, where it holds it (so `owner.grant` for
/// an OWNER). The mail is sent in the background;
/// `mail_status` tells how it went.
#[utoipa::path(
    post,
    path = "/invitations/",
    tag = "invitations",
    request_body(content = InvitationWriteDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "Invited", body = CreatedInvitation),
        (status = 400, description = "`user` missing, unknown, or ACTIVE", body = ValidationErrors),
        (status = 401, description = "Not authenticated", body = ErrorDetail),
        (status = 403, description = "Lacks users.manage over the user", body = ErrorDetail),
        (status = 404, description = "Never: an unknown user is a 400 on `user`", body = ErrorDetail),
        (status = 413, description = "Body over 1 MiB", body = ErrorDetail),
        (status = 415, description = "Neither JSON nor a form", body = ErrorDetail),
    ),
    security(("jwt" = []))
)]
pub async fn create_invitation(
    caller: Caller,
    state: web::Data<AppState>,
    body: Body,
) -> Result<HttpResponse> {
    let fields = body.fields()?;
    let mut errors = FieldErrors::new();
    let user = if fields.has("user") {
        fields.value("user", &mut errors).and_then(|value| {
            let id = reference(value);
            if id.is_none() {
                errors.add("user", "Incorrect type. Expected pk value.");
            }
            id
        })
    } else {
        errors.add("user", REQUIRED);
        None
    };
    let invited = invitations::invite(
        &state,
        caller,
        Parsed {
            value: user,
            errors,
        },
    )
    .await?;
    let invitation = Invitation::from(invited.invitation);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/invitations/{}/", invitation.id)))
        .json(CreatedInvitation {
            invitation,
            link: invited.link,
        }))
}
