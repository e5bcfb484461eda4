//! `/invitations/`: single-use links by which invited users choose their
//! first password.

pub mod accept;
pub mod create;
pub mod get;
pub mod list;
pub mod revoke;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::ChangedBy;
use crate::api::common::page_view;
use crate::db::invitations::InvitationDetail;
use crate::domain::invitation::InvitationStatus;
use crate::domain::time;

/// The invited user.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct InvitedUser {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    #[schema(format = Email)]
    pub email: String,
    pub name: String,
}

/// How an invitation's mail stands.
#[derive(Serialize, ToSchema, Clone, Copy, Debug)]
#[serde(rename_all = "UPPERCASE")]
pub enum MailStatus {
    /// No SMTP server is configured (development mode): the link was in the
    /// answer that created the invitation.
    Disabled,
    Queued,
    Sent,
    /// Every delivery attempt failed; `mail_error` says why.
    Failed,
}

impl MailStatus {
    fn of(stored: &str) -> Self {
        match stored {
            crate::mail::status::DISABLED => Self::Disabled,
            crate::mail::status::SENT => Self::Sent,
            crate::mail::status::FAILED => Self::Failed,
            _ => Self::Queued,
        }
    }
}

/// An invitation (never its token, which only the mailed link carries).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Invitation {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    pub user: InvitedUser,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created: NaiveDateTime,
    /// After this time the link no longer works.
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub expires: NaiveDateTime,
    /// When the user accepted it; null until then.
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub accepted: Option<NaiveDateTime>,
    /// When an administrator revoked it (`POST /invitations/{id}/revoke/`);
    /// null otherwise.
    #[serde(serialize_with = "time::serialize_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked: Option<NaiveDateTime>,
    pub status: InvitationStatus,
    pub mail_status: MailStatus,
    /// Why the mail could not be delivered, when it could not.
    pub mail_error: Option<String>,
    /// Who invited.
    pub changed_by: ChangedBy,
}

impl From<InvitationDetail> for Invitation {
    fn from((row, user): InvitationDetail) -> Self {
        Self {
            status: InvitationStatus::derive(
                row.accepted,
                row.superseded,
                row.revoked,
                row.expires,
                time::now(),
            ),
            mail_status: MailStatus::of(&row.mail_status),
            changed_by: row.changed_by().into(),
            id: row.id,
            user: InvitedUser {
                id: user.id,
                email: user.email,
                name: user.name,
            },
            created: row.created,
            expires: row.expires,
            accepted: row.accepted,
            revoked: row.revoked,
            mail_error: row.mail_error,
        }
    }
}

page_view! {
    /// A page of invitations, newest first.
    InvitationPage of Invitation, "Number of invitations matching the query."
}
