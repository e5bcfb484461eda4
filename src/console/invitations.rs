//! The invitations page: the organization's invitations, filtered by
//! state (through `service::invitations::list`, as `/invitations/` lists
//! them), and a resend: a new invitation of the same person through
//! `service::invitations::invite`, which supersedes the earlier ones, and a
//! revoke of a pending one (`service::invitations::revoke`, as
//! `POST /invitations/{id}/revoke/`). Without mail (development mode) the
//! new link is shown once, as the API returns it.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::org::{self, Form, ListParams, Pager, read};
use super::{Chrome, Failure, ROOT, Session, page, see_other};
use crate::db::invitations::InvitationFilter;
use crate::domain::invitation::InvitationStatus;
use crate::domain::role::Permission;
use crate::domain::time;
use crate::domain::user::State;
use crate::service::{self, Parsed};

const STATES: [(&str, &str, InvitationStatus); 5] = [
    ("PENDING", "Pending", InvitationStatus::Pending),
    ("ACCEPTED", "Accepted", InvitationStatus::Accepted),
    ("SUPERSEDED", "Superseded", InvitationStatus::Superseded),
    ("EXPIRED", "Expired", InvitationStatus::Expired),
    ("REVOKED", "Revoked", InvitationStatus::Revoked),
];

fn label_of(status: InvitationStatus) -> (&'static str, &'static str) {
    match status {
        InvitationStatus::Pending => ("Pending", "warn"),
        InvitationStatus::Accepted => ("Accepted", "ok"),
        InvitationStatus::Superseded => ("Superseded", "off"),
        InvitationStatus::Expired => ("Expired", "off"),
        InvitationStatus::Revoked => ("Revoked", "off"),
    }
}

pub struct InvitationItem {
    pub id: String,
    pub person_url: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub state: &'static str,
    pub state_class: &'static str,
    pub created: String,
    pub expires: String,
    pub invited_by: String,
    pub mail: String,
    /// Whether a new invitation may be sent (the person has not joined).
    pub resendable: bool,
    /// Whether it can be revoked (it is pending).
    pub revocable: bool,
}

pub struct StateChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct InvitationsPage {
    chrome: Chrome,
    states: Vec<StateChoice>,
    rows: Vec<InvitationItem>,
    pager: Pager,
    may_resend: bool,
    notice: Option<&'static str>,
}

/// `GET /console/invitations?state=`
pub async fn list(
    session: Session,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, Failure> {
    let params = query.into_inner();
    let now = time::now();
    let status = STATES
        .iter()
        .find(|(value, _, _)| *value == params.state)
        .map(|(_, _, s)| *s);
    let filter = InvitationFilter {
        user: None,
        status: status.map(|s| (s, now)),
    };
    let request = params.request();
    let listed = read(&session, move |conn, caller| {
        service::invitations::list(conn, caller, Parsed::valid(filter), request)
    })
    .await?;
    let template = InvitationsPage {
        chrome: Chrome::of(&session, "invitations"),
        pager: Pager::of(&listed, &params, "invitations"),
        states: STATES
            .iter()
            .map(|(value, label, _)| StateChoice {
                value,
                label,
                selected: *value == params.state,
            })
            .collect(),
        rows: listed
            .rows
            .into_iter()
            .map(|(row, user)| {
                let status = InvitationStatus::derive(
                    row.accepted,
                    row.superseded,
                    row.revoked,
                    row.expires,
                    now,
                );
                let (state, state_class) = label_of(status);
                let user_state =
                    State::derive(user.active, user.password_hash.is_some(), user.is_apiuser);
                InvitationItem {
                    person_url: format!("{ROOT}/people/{}", user.id),
                    resendable: status != InvitationStatus::Accepted && user_state != State::Active,
                    revocable: status == InvitationStatus::Pending,
                    id: row.id,
                    user_id: user.id,
                    name: user.name,
                    email: user.email,
                    state,
                    state_class,
                    created: org::when(row.created),
                    expires: org::when(row.expires),
                    invited_by: row.changed_by_name,
                    mail: match row.mail_error {
                        Some(error) => format!("{}: {error}", row.mail_status),
                        None => row.mail_status,
                    },
                }
            })
            .collect(),
        may_resend: session.caller.grants.anywhere(Permission::UsersManage),
        notice: match params.done.as_str() {
            "resent" => Some("A new invitation is on its way; the earlier one no longer works."),
            "revoked" => Some("Revoked: the link no longer works."),
            _ => None,
        },
    };
    page(&template)
}

#[derive(Template)]
#[template(path = "invitation_link.html")]
struct LinkPage {
    chrome: Chrome,
    email: String,
    link: String,
}

/// `POST /console/invitations/resend`: invites `user` again.
pub async fn resend(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let form = Form::read(&session, &body)?;
    let user = form.text("user").trim().to_owned();
    let invited = service::invitations::invite(
        &session.state,
        session.caller.clone(),
        Parsed::valid(Some(user)),
    )
    .await?;
    match invited.link {
        Some(link) => page(&LinkPage {
            chrome: Chrome::of(&session, "invitations"),
            email: invited.invitation.1.email,
            link,
        }),
        None => Ok(see_other(&format!("{ROOT}/invitations?done=resent"))),
    }
}

/// `POST /console/invitations/{id}/revoke`: takes a pending invitation back.
pub async fn revoke(
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    org::act_then_list(
        session,
        id,
        body,
        "invitations",
        "revoked",
        service::invitations::revoke,
    )
    .await
}
