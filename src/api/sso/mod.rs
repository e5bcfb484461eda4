//! `/sso/`: single sign-on connections (`/sso/connections/`), and signing
//! in through them (`/sso/login/`, `/sso/oidc/callback/`,
//! `/sso/saml/acs/`, `/auth/sso/exchange/`), with Tessera's SAML service
//! provider metadata (`/sso/saml/{connection_id}/metadata/`).

pub mod acs;
pub mod callback;
pub mod create;
pub mod delete;
pub mod exchange;
pub mod get;
pub mod list;
pub mod login;
pub mod metadata;
pub mod update;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::common::{ChangedBy, page_view};
use crate::domain::sso::{Enforcement, NameIdFormat, Protocol};
use crate::domain::time;
use crate::service::Page;
use crate::service::sso::{Connection, OidcInput, oidc, saml};

/// One rule of a group mapping.
#[derive(Serialize, ToSchema)]
pub struct SsoGroupMapping {
    /// A group name, as the provider's groups claim lists it.
    #[schema(min_length = 1, max_length = 256, example = "engineering")]
    pub group: String,
    /// A role id (built-in or the organization's own): the member's
    /// membership role when `team` is null, else its role at `team`.
    #[schema(min_length = 12, max_length = 12)]
    pub role: String,
    #[schema(min_length = 12, max_length = 12)]
    pub team: Option<String>,
}

/// A connection's OpenID Connect settings (never its client secret).
#[derive(Serialize, ToSchema)]
pub struct SsoOidcSettings {
    /// The provider's issuer identifier; its discovery document is
    /// `<issuer>/.well-known/openid-configuration`.
    #[schema(example = "https://acme.okta.com", max_length = 2048)]
    pub issuer: String,
    #[schema(min_length = 1, max_length = 1024)]
    pub client_id: String,
    /// Whether a client secret is stored (it is write-only).
    pub client_secret_set: bool,
    /// Scopes asked for; always starts with `openid`.
    pub scopes: Vec<String>,
    /// The ID token claim holding the email (default `email`).
    pub claim_email: String,
    /// The ID token claim listing the person's groups (default `groups`).
    pub claim_groups: String,
}

/// A connection's SAML 2.0 settings, and what to give the identity
/// provider about Tessera (the `sp_*` fields; all in the SP metadata).
#[derive(Serialize, ToSchema)]
pub struct SsoSamlSettings {
    /// The IdP's entity id, from its metadata.
    pub idp_entity_id: String,
    /// The IdP's metadata document as stored.
    pub idp_metadata_xml: String,
    /// Where the metadata was fetched from (null when sent inline).
    pub idp_metadata_url: Option<String>,
    /// The NameID format asked for. The NameID is the person's subject (the
    /// account's external id), so it must be stable.
    pub name_id_format: NameIdFormat,
    /// The attribute holding the email (default `email`; when absent and
    /// the NameID is an email address, the NameID).
    pub attribute_email: String,
    /// The attribute listing the person's groups (default `groups`).
    pub attribute_groups: String,
    /// Whether AuthnRequests are signed (the signing certificate is then
    /// in the SP metadata).
    pub sign_requests: bool,
    /// Whether the IdP may start a sign-in (an unsolicited response).
    pub allow_idp_initiated: bool,
    /// Tessera's entity id for this connection (also its SP metadata URL).
    #[schema(example = "https://tessera.example.com/sso/saml/AbCdEfGh1234/metadata/")]
    pub sp_entity_id: String,
    /// Where the IdP posts its responses (HTTP-POST binding).
    #[schema(example = "https://tessera.example.com/sso/saml/acs/")]
    pub sp_acs_url: String,
    /// Tessera's certificate for this connection (DER, base64), generated
    /// with the connection: it signs requests and receives encrypted
    /// assertions. Its private key is stored encrypted, never shown.
    pub sp_certificate: String,
}

/// A single sign-on connection.
#[derive(Serialize, ToSchema)]
pub struct SsoConnection {
    #[schema(min_length = 12, max_length = 12)]
    pub id: String,
    pub protocol: Protocol,
    #[schema(max_length = 100)]
    pub name: String,
    /// Email domains (lowercase, IDNA-encoded) whose people sign in here;
    /// each belongs to one connection across all organizations.
    pub domains: Vec<String>,
    /// `required`: people of these domains cannot sign in with a password
    /// (OWNERs excepted: break-glass).
    pub enforcement: Enforcement,
    /// Whether an unknown person signing in gets an account (with `default_role`).
    pub jit: bool,
    /// The membership role (id) of accounts created at sign-in.
    #[schema(min_length = 12, max_length = 12)]
    pub default_role: String,
    pub group_mapping: Vec<SsoGroupMapping>,
    pub active: bool,
    /// The frontend page a sign-in lands on, with `code` (to exchange at
    /// `/auth/sso/exchange/`) or `error`.
    #[schema(max_length = 2048)]
    pub redirect_uri: String,
    /// The OpenID Connect settings (`protocol: oidc`; null otherwise).
    pub oidc: Option<SsoOidcSettings>,
    /// The SAML settings (`protocol: saml`; null otherwise).
    pub saml: Option<SsoSamlSettings>,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created: NaiveDateTime,
    #[serde(serialize_with = "time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub changed: NaiveDateTime,
    pub changed_by: ChangedBy,
}

impl From<(Connection, String)> for SsoConnection {
    /// A connection, with the public URL its SAML endpoints are under.
    fn from((c, public_url): (Connection, String)) -> Self {
        let protocol = c.protocol().unwrap_or(Protocol::Oidc);
        let oidc_settings = match protocol {
            Protocol::Oidc => Some(
                c.oidc()
                    .unwrap_or_else(|_| oidc::OidcSettings::from_input(&OidcInput::default())),
            ),
            Protocol::Saml => None,
        };
        let saml_settings = match protocol {
            Protocol::Saml => c.saml().ok().map(|s| SsoSamlSettings {
                idp_entity_id: s.idp_entity_id,
                idp_metadata_xml: s.idp_metadata_xml,
                idp_metadata_url: s.idp_metadata_url,
                name_id_format: s.name_id_format,
                attribute_email: s.attribute_email,
                attribute_groups: s.attribute_groups,
                sign_requests: s.sign_requests,
                allow_idp_initiated: s.allow_idp_initiated,
                sp_entity_id: saml::entity_id(&public_url, &c.row.id),
                sp_acs_url: saml::acs_url(&public_url),
                sp_certificate: s.sp_certificate,
            }),
            Protocol::Oidc => None,
        };
        let group_mapping = c
            .group_mapping()
            .into_iter()
            .map(|m| SsoGroupMapping {
                group: m.group,
                role: m.role,
                team: m.team,
            })
            .collect();
        let enforcement = c.enforcement();
        let row = c.row;
        let client_secret_set = row.secret.is_some();
        Self {
            id: row.id,
            protocol,
            name: row.name,
            domains: c.domains,
            enforcement,
            jit: row.jit,
            default_role: row.default_role,
            group_mapping,
            active: row.active,
            redirect_uri: row.redirect_uri,
            oidc: oidc_settings.map(|settings| SsoOidcSettings {
                issuer: settings.issuer,
                client_id: settings.client_id,
                client_secret_set,
                scopes: settings.scopes,
                claim_email: settings.claim_email,
                claim_groups: settings.claim_groups,
            }),
            saml: saml_settings,
            created: row.created,
            changed: row.changed,
            changed_by: ChangedBy {
                id: row.changed_by_id,
                email: row.changed_by_email,
                name: row.changed_by_name,
            },
        }
    }
}

page_view! {
    /// A page of single sign-on connections.
    SsoConnectionPage of SsoConnection, "Number of connections."
}

/// A page of connections, each with the public URL (for its SAML endpoints).
pub fn with_public_url(page: Page<Connection>, public_url: &str) -> Page<(Connection, String)> {
    Page {
        count: page.count,
        page_total: page.page_total,
        request: page.request,
        rows: page
            .rows
            .into_iter()
            .map(|c| (c, public_url.to_owned()))
            .collect(),
    }
}

/// OpenID Connect settings of a connection, as written. `issuer` and
/// `client_id` are required on POST.
#[derive(ToSchema)]
#[schema(as = SsoOidcSettingsWrite)]
#[expect(
    dead_code,
    reason = "documents the shape read by parse_connection_input"
)]
pub struct SsoOidcWriteDoc {
    /// https (http only on a loopback address). Its discovery document is
    /// fetched and checked when saved: an unreachable or malformed one is
    /// a 400 naming `oidc.issuer`.
    #[schema(max_length = 2048, example = "https://acme.okta.com")]
    issuer: String,
    #[schema(min_length = 1, max_length = 1024)]
    client_id: String,
    /// Write-only; stored encrypted, never shown again.
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    client_secret: Option<String>,
    /// Default `["openid", "email", "profile"]`; `openid` is always added.
    #[schema(max_items = 20)]
    scopes: Option<Vec<String>>,
    #[schema(min_length = 1, max_length = 256)]
    claim_email: Option<String>,
    #[schema(min_length = 1, max_length = 256)]
    claim_groups: Option<String>,
}

/// SAML settings of a connection, as written. On POST, exactly one of
/// `idp_metadata_xml` and `idp_metadata_url` is required; sending either
/// later replaces the stored metadata (e.g. after the IdP rotated its
/// certificate).
#[derive(ToSchema)]
#[schema(as = SsoSamlSettingsWrite)]
#[expect(
    dead_code,
    reason = "documents the shape read by parse_connection_input"
)]
pub struct SsoSamlWriteDoc {
    /// The IdP's metadata document (an EntityDescriptor with an
    /// IDPSSODescriptor, an HTTP-Redirect SingleSignOnService and a signing
    /// certificate). Invalid metadata is a 400 naming
    /// `saml.idp_metadata_xml`.
    #[schema(max_length = 524288)]
    idp_metadata_xml: Option<String>,
    /// https (http only on a loopback address): fetched and checked when
    /// saved (no redirects, 10 s, 512 KiB); a failure is a 400 naming
    /// `saml.idp_metadata_url`.
    #[schema(
        max_length = 2048,
        example = "https://acme.okta.com/app/exk1/sso/saml/metadata"
    )]
    idp_metadata_url: Option<String>,
    /// Default `persistent`.
    name_id_format: Option<NameIdFormat>,
    /// Default `email`.
    #[schema(min_length = 1, max_length = 256)]
    attribute_email: Option<String>,
    /// Default `groups`.
    #[schema(min_length = 1, max_length = 256)]
    attribute_groups: Option<String>,
    /// Default false.
    sign_requests: Option<bool>,
    /// Default false: an unsolicited response (IdP-initiated sign-in) is
    /// refused. Allowing it gives up the browser binding of SP-initiated
    /// sign-in (a login-CSRF risk SAML cannot close).
    allow_idp_initiated: Option<bool>,
}

/// A group mapping rule, as written.
#[derive(ToSchema)]
#[schema(as = SsoGroupMappingWrite)]
#[expect(
    dead_code,
    reason = "documents the shape read by parse_connection_input"
)]
pub struct SsoGroupMappingWriteDoc {
    #[schema(min_length = 1, max_length = 256)]
    group: String,
    /// A role id, or a built-in role's name. Without `team`, a membership
    /// role (OWNER, ADMIN, EMPLOYEE, VIEWER, AUDITOR). The caller must be
    /// able to grant it (no escalation).
    role: String,
    /// A team id: the role is granted at that team.
    #[schema(nullable = true)]
    team: Option<String>,
}

/// Fields of a connection. `name`, `domains`, `redirect_uri` and the
/// protocol's settings (`oidc` with `issuer` and `client_id`, or `saml`
/// with its IdP metadata) are required on POST; PATCH leaves omitted
/// fields unchanged.
#[derive(ToSchema)]
#[schema(as = SsoConnectionWrite)]
#[expect(
    dead_code,
    reason = "documents the shape read by parse_connection_input"
)]
pub struct SsoConnectionWriteDoc {
    /// Default `oidc`; cannot change after creation.
    protocol: Option<Protocol>,
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// Email domains (IDNA accepted; stored lowercase and encoded).
    #[schema(min_items = 1, max_items = 50)]
    domains: Vec<String>,
    /// Default `optional`.
    enforcement: Option<Enforcement>,
    /// Default false.
    jit: Option<bool>,
    /// A membership role id or name; default EMPLOYEE. The caller must be
    /// able to grant it (no escalation).
    default_role: Option<String>,
    #[schema(max_items = 200)]
    group_mapping: Option<Vec<SsoGroupMappingWriteDoc>>,
    active: Option<bool>,
    /// An http(s) URL of the frontend.
    #[schema(max_length = 2048)]
    redirect_uri: String,
    /// For `protocol: oidc` only.
    oidc: Option<SsoOidcWriteDoc>,
    /// For `protocol: saml` only.
    saml: Option<SsoSamlWriteDoc>,
}
