//! What the audit trail records: the catalogue of audited actions, one
//! enum shared by the services that record them and the webhooks they raise.
//! The stored and published name is `<object>.<verb>`.

/// An audited action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    UserCreated,
    UserUpdated,
    UserDeactivated,
    UserDeleted,
    UserPasswordChanged,
    UserMfaEnrollmentStarted,
    UserMfaEnabled,
    UserMfaDisabled,
    ApiUserCreated,
    ApiUserUpdated,
    ApiUserDeactivated,
    ApiUserDeleted,
    LabelCreated,
    LabelUpdated,
    LabelDeleted,
    TeamCreated,
    TeamUpdated,
    TeamDeleted,
    TargetCreated,
    TargetUpdated,
    TargetDeleted,
    RoleCreated,
    RoleUpdated,
    RoleDeleted,
    RoleExpired,
    KeyCreated,
    KeyRevoked,
    OrganizationCreated,
    OrganizationUpdated,
    InvitationCreated,
    InvitationAccepted,
    InvitationRevoked,
    WebhookCreated,
    WebhookUpdated,
    WebhookDeleted,
    SsoConnectionCreated,
    SsoConnectionUpdated,
    SsoConnectionDeleted,
    AuthLogin,
    AuthSsoLogin,
    AuthSsoLoginFailed,
    AuthBreakGlass,
    AuthLoginFailed,
    AuthTokenRevoked,
    AuthPasswordResetRequested,
    AuthPasswordReset,
    AccessReviewCreated,
    AccessReviewDecided,
    AccessReviewClosed,
    AccessRequestCreated,
    AccessRequestApproved,
    AccessRequestDenied,
    AccessRequestCancelled,
}

impl AuditAction {
    pub const ALL: [AuditAction; 53] = [
        AuditAction::UserCreated,
        AuditAction::UserUpdated,
        AuditAction::UserDeactivated,
        AuditAction::UserDeleted,
        AuditAction::UserPasswordChanged,
        AuditAction::UserMfaEnrollmentStarted,
        AuditAction::UserMfaEnabled,
        AuditAction::UserMfaDisabled,
        AuditAction::ApiUserCreated,
        AuditAction::ApiUserUpdated,
        AuditAction::ApiUserDeactivated,
        AuditAction::ApiUserDeleted,
        AuditAction::LabelCreated,
        AuditAction::LabelUpdated,
        AuditAction::LabelDeleted,
        AuditAction::TeamCreated,
        AuditAction::TeamUpdated,
        AuditAction::TeamDeleted,
        AuditAction::TargetCreated,
        AuditAction::TargetUpdated,
        AuditAction::TargetDeleted,
        AuditAction::RoleCreated,
        AuditAction::RoleUpdated,
        AuditAction::RoleDeleted,
        AuditAction::RoleExpired,
        AuditAction::KeyCreated,
        AuditAction::KeyRevoked,
        AuditAction::OrganizationCreated,
        AuditAction::OrganizationUpdated,
        AuditAction::InvitationCreated,
        AuditAction::InvitationAccepted,
        AuditAction::InvitationRevoked,
        AuditAction::WebhookCreated,
        AuditAction::WebhookUpdated,
        AuditAction::WebhookDeleted,
        AuditAction::SsoConnectionCreated,
        AuditAction::SsoConnectionUpdated,
        AuditAction::SsoConnectionDeleted,
        AuditAction::AuthLogin,
        AuditAction::AuthSsoLogin,
        AuditAction::AuthSsoLoginFailed,
        AuditAction::AuthBreakGlass,
        AuditAction::AuthLoginFailed,
        AuditAction::AuthTokenRevoked,
        AuditAction::AuthPasswordResetRequested,
        AuditAction::AuthPasswordReset,
        AuditAction::AccessReviewCreated,
        AuditAction::AccessReviewDecided,
        AuditAction::AccessReviewClosed,
        AuditAction::AccessRequestCreated,
        AuditAction::AccessRequestApproved,
        AuditAction::AccessRequestDenied,
        AuditAction::AccessRequestCancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::UserCreated => "user.created",
            AuditAction::UserUpdated => "user.updated",
            AuditAction::UserDeactivated => "user.deactivated",
            AuditAction::UserDeleted => "user.deleted",
            AuditAction::UserPasswordChanged => "user.password_changed",
            AuditAction::UserMfaEnrollmentStarted => "user.mfa_enrollment_started",
            AuditAction::UserMfaEnabled => "user.mfa_enabled",
            AuditAction::UserMfaDisabled => "user.mfa_disabled",
            AuditAction::ApiUserCreated => "api_user.created",
            AuditAction::ApiUserUpdated => "api_user.updated",
            AuditAction::ApiUserDeactivated => "api_user.deactivated",
            AuditAction::ApiUserDeleted => "api_user.deleted",
            AuditAction::LabelCreated => "label.created",
            AuditAction::LabelUpdated => "label.updated",
            AuditAction::LabelDeleted => "label.deleted",
            AuditAction::TeamCreated => "team.created",
            AuditAction::TeamUpdated => "team.updated",
            AuditAction::TeamDeleted => "team.deleted",
            AuditAction::TargetCreated => "target.created",
            AuditAction::TargetUpdated => "target.updated",
            AuditAction::TargetDeleted => "target.deleted",
            AuditAction::RoleCreated => "role.created",
            AuditAction::RoleUpdated => "role.updated",
            AuditAction::RoleDeleted => "role.deleted",
            AuditAction::RoleExpired => "role.expired",
            AuditAction::KeyCreated => "key.created",
            AuditAction::KeyRevoked => "key.revoked",
            AuditAction::OrganizationCreated => "organization.created",
            AuditAction::OrganizationUpdated => "organization.updated",
            AuditAction::InvitationCreated => "invitation.created",
            AuditAction::InvitationAccepted => "invitation.accepted",
            AuditAction::InvitationRevoked => "invitation.revoked",
            AuditAction::WebhookCreated => "webhook.created",
            AuditAction::WebhookUpdated => "webhook.updated",
            AuditAction::WebhookDeleted => "webhook.deleted",
            AuditAction::SsoConnectionCreated => "sso_connection.created",
            AuditAction::SsoConnectionUpdated => "sso_connection.updated",
            AuditAction::SsoConnectionDeleted => "sso_connection.deleted",
            AuditAction::AuthLogin => "auth.login",
            AuditAction::AuthSsoLogin => "auth.sso_login",
            AuditAction::AuthSsoLoginFailed => "auth.sso_login_failed",
            AuditAction::AuthBreakGlass => "auth.break_glass",
            AuditAction::AuthLoginFailed => "auth.login_failed",
            AuditAction::AuthTokenRevoked => "auth.token_revoked",
            AuditAction::AuthPasswordResetRequested => "auth.password_reset_requested",
            AuditAction::AuthPasswordReset => "auth.password_reset",
            AuditAction::AccessReviewCreated => "access_review.created",
            AuditAction::AccessReviewDecided => "access_review.decided",
            AuditAction::AccessReviewClosed => "access_review.closed",
            AuditAction::AccessRequestCreated => "access_request.created",
            AuditAction::AccessRequestApproved => "access_request.approved",
            AuditAction::AccessRequestDenied => "access_request.denied",
            AuditAction::AccessRequestCancelled => "access_request.cancelled",
        }
    }

    /// The action on a person (`user.*`) or, for an API user, on an app
    /// (`api_user.*`).
    pub fn on_user(is_apiuser: bool, person: AuditAction) -> AuditAction {
        if !is_apiuser {
            return person;
        }
        match person {
            AuditAction::UserCreated => AuditAction::ApiUserCreated,
            AuditAction::UserUpdated => AuditAction::ApiUserUpdated,
            AuditAction::UserDeactivated => AuditAction::ApiUserDeactivated,
            AuditAction::UserDeleted => AuditAction::ApiUserDeleted,
            other => other,
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_shaped_object_dot_verb() {
        let names: std::collections::BTreeSet<&str> =
            AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), AuditAction::ALL.len());
        for name in names {
            let (object, verb) = name.split_once('.').expect("object.verb");
            assert!(
                !object.is_empty() && !verb.is_empty() && !verb.contains('.'),
                "{name}"
            );
        }
    }

    #[test]
    fn api_users_have_their_own_object() {
        assert_eq!(
            AuditAction::on_user(true, AuditAction::UserDeactivated).as_str(),
            "api_user.deactivated"
        );
        assert_eq!(
            AuditAction::on_user(false, AuditAction::UserDeactivated),
            AuditAction::UserDeactivated
        );
    }
}
