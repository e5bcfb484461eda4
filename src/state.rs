//! What every request handler can reach.

use crate::auth::password::Hasher;
use crate::auth::throttle::LoginThrottle;
use crate::auth::token::TokenKeys;
use crate::config::{MailSettings, WebhookSettings};
use crate::crypto::SecretBox;
use crate::db::Db;
use crate::mail::Mailer;

pub struct AppState {
    pub db: Db,
    pub tokens: TokenKeys,
    /// Seals and opens the secrets the database keeps (TOTP, webhooks).
    pub secrets: SecretBox,
    pub hasher: Hasher,
    pub login_throttle: LoginThrottle,
    pub mailer: Mailer,
    pub mail_settings: MailSettings,
    pub webhook_settings: WebhookSettings,
    /// Where clients reach this service (`TESSERA_PUBLIC_URL`, else the
    /// bind address), without a trailing slash: the base of the OpenID
    /// Connect redirect URI.
    pub public_url: String,
    /// The role a SCIM group membership grants at the team (see `Settings`).
    pub scim_group_role: String,
    /// OpenID providers' discovery documents, kept a few minutes for the
    /// start of sign-ins (see `service::sso::oidc::DiscoveryCache`).
    pub discovery: crate::service::sso::oidc::DiscoveryCache,
    /// Most single sign-ons of one connection under way at once.
    pub sso_pending_max: u32,
}
