//! Settings, from flags or `TESSERA_*` environment variables.

use std::net::{IpAddr, SocketAddr};

use clap::Args;

#[derive(Args, Clone, Debug)]
pub struct Settings {
    /// Database: `sqlite://<path>` (embedded, the default) or `postgres://...`.
    #[arg(
        long,
        env = "TESSERA_DATABASE_URL",
        default_value = "sqlite://tessera.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    /// Address to listen on.
    #[arg(
        long,
        env = "TESSERA_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,

    /// Key signing tokens (at least 32 characters). On SQLite a random one is
    /// generated once and kept in the database (encrypted) when unset; PostgreSQL
    /// deployments must set it so every replica shares it.
    #[arg(
        long,
        env = "TESSERA_SECRET_KEY",
        global = true,
        hide_env_values = true
    )]
    pub secret_key: Option<String>,

    /// Key encrypting the secrets kept in the database (TOTP secrets,
    /// webhook secrets, a generated token-signing key): 32 random bytes as
    /// 64 hex characters or as base64 (`openssl rand -hex 32`). On SQLite a
    /// random one is generated once into `<database file>.key` (mode 0600)
    /// when unset; PostgreSQL deployments must set it so every replica shares it.
    #[arg(
        long,
        env = "TESSERA_ENCRYPTION_KEY",
        global = true,
        hide_env_values = true
    )]
    pub encryption_key: Option<SecretSetting>,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "TESSERA_WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Comma-separated origins allowed by CORS (e.g. `https://app.example.com`).
    #[arg(
        long,
        env = "TESSERA_CORS_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_origins: Vec<String>,

    /// Comma-separated `Host` header values (`name` or `name:port`) the MCP
    /// endpoint answers to, a defence against DNS rebinding; `*` accepts any.
    /// Set it to the names clients use when Tessera is reachable by a name
    /// other than a loopback one.
    #[arg(
        long,
        env = "TESSERA_MCP_ALLOWED_HOSTS",
        value_delimiter = ',',
        default_value = "localhost,127.0.0.1,::1",
        global = true
    )]
    pub mcp_allowed_hosts: Vec<String>,

    /// Database connections in the pool.
    #[arg(long, env = "TESSERA_DB_POOL_SIZE", default_value_t = 8, global = true)]
    pub db_pool_size: u32,

    /// Lifetime of issued tokens, in seconds.
    #[arg(long, env = "TESSERA_TOKEN_TTL", default_value_t = 3600, global = true)]
    pub token_ttl: u64,

    /// Password hashes computed at once (each argon2 hash takes ~19 MiB).
    #[arg(
        long,
        env = "TESSERA_HASH_CONCURRENCY",
        default_value_t = 2,
        global = true
    )]
    pub hash_concurrency: usize,

    /// Failed logins allowed per client address, and per account, within
    /// `--login-window`; further attempts get a 429 until older ones expire.
    #[arg(
        long,
        env = "TESSERA_LOGIN_MAX_FAILURES",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    pub login_max_failures: u32,

    /// Sliding window of login throttling, in seconds.
    #[arg(
        long,
        env = "TESSERA_LOGIN_WINDOW",
        default_value_t = 300,
        value_parser = clap::value_parser!(u64).range(1..=86_400 * 30),
        global = true
    )]
    pub login_window: u64,

    /// Comma-separated IP addresses of reverse proxies whose `X-Forwarded-For`
    /// names the client (for login throttling). Default: none, the peer
    /// address is the client.
    #[arg(
        long,
        env = "TESSERA_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<String>,

    /// Name of the organization created on first start.
    #[arg(
        long,
        env = "TESSERA_BOOTSTRAP_ORG",
        default_value = "Default",
        global = true
    )]
    pub bootstrap_org: String,

    /// Email of the OWNER created on first start.
    #[arg(
        long,
        env = "TESSERA_BOOTSTRAP_EMAIL",
        default_value = "admin@example.com",
        global = true
    )]
    pub bootstrap_email: String,

    /// Password of the OWNER created on first start (generated and printed once when unset).
    #[arg(
        long,
        env = "TESSERA_BOOTSTRAP_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    pub bootstrap_password: Option<String>,

    /// Log format: `text` or `json`.
    #[arg(
        long,
        env = "TESSERA_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    pub log_format: String,

    /// Days audit events are kept; older ones are pruned (0 keeps them forever).
    #[arg(
        long,
        env = "TESSERA_AUDIT_RETENTION_DAYS",
        default_value_t = 365,
        global = true
    )]
    pub audit_retention_days: u32,

    /// Seconds between two prunings of the audit trail.
    #[arg(
        long,
        env = "TESSERA_AUDIT_PRUNE_INTERVAL",
        default_value_t = 3600,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub audit_prune_interval: u64,

    /// The role a SCIM group membership grants at the team's tier: a
    /// built-in role's name (EMPLOYEE) or a custom role's id.
    #[arg(
        long,
        env = "TESSERA_SCIM_GROUP_ROLE",
        default_value = "EMPLOYEE",
        global = true
    )]
    pub scim_group_role: String,

    #[command(flatten)]
    pub mail: MailSettings,

    #[command(flatten)]
    pub webhooks: WebhookSettings,
}

/// A setting that must never be shown: `Debug` prints `[redacted]`, and it
/// is parsed only where it is used, so no parse error can quote it.
#[derive(Clone)]
pub struct SecretSetting(String);

impl SecretSetting {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SecretSetting {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl std::fmt::Debug for SecretSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for SecretSetting {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// Webhook delivery and the lifecycle scheduler.
#[derive(Args, Clone, Debug)]
pub struct WebhookSettings {
    /// Allow webhook URLs on addresses that are not globally reachable:
    /// private, loopback, link-local and the other special-purpose ranges
    /// (refused by default: a webhook must not reach into the server's network).
    #[arg(long, env = "TESSERA_WEBHOOKS_ALLOW_PRIVATE", global = true)]
    pub webhooks_allow_private: bool,

    /// Milliseconds between two looks at the outbox (0: this replica sends nothing).
    #[arg(
        long,
        env = "TESSERA_WEBHOOK_POLL_MS",
        default_value_t = 1_000,
        global = true
    )]
    pub webhook_poll_ms: u64,

    /// Seconds one delivery attempt may take.
    #[arg(
        long,
        env = "TESSERA_WEBHOOK_TIMEOUT",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=300),
        global = true
    )]
    pub webhook_timeout: u64,

    /// Attempts per delivery before it is marked FAILED.
    #[arg(
        long,
        env = "TESSERA_WEBHOOK_ATTEMPTS",
        default_value_t = 8,
        value_parser = clap::value_parser!(u32).range(1..=50),
        global = true
    )]
    pub webhook_attempts: u32,

    /// Wait before the first retry, in milliseconds; doubled after each failure
    /// (capped at one hour).
    #[arg(
        long,
        env = "TESSERA_WEBHOOK_RETRY_DELAY_MS",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(1..=3_600_000),
        global = true
    )]
    pub webhook_retry_delay_ms: u64,

    /// Seconds between two runs of the lifecycle scheduler (0: this replica
    /// runs none), which deactivates users whose contract has ended.
    #[arg(
        long,
        env = "TESSERA_SCHEDULER_INTERVAL",
        default_value_t = 60,
        global = true
    )]
    pub scheduler_interval: u64,
}

impl Default for WebhookSettings {
    /// The flags' defaults.
    fn default() -> Self {
        Self {
            webhooks_allow_private: false,
            webhook_poll_ms: 1_000,
            webhook_timeout: 10,
            webhook_attempts: 8,
            webhook_retry_delay_ms: 10_000,
            scheduler_interval: 60,
        }
    }
}

/// E-mail delivery (invitations, password resets) and the links mails carry.
#[derive(Args, Clone, Debug)]
pub struct MailSettings {
    /// SMTP server, e.g. `smtp://user:pass@mail.example.com:587?tls=required`
    /// (STARTTLS), `smtps://...:465` (TLS) or `smtp://127.0.0.1:25` (plain).
    /// Unset: development mode, no mail is sent and an invitation's answer
    /// carries its link once.
    #[arg(long, env = "TESSERA_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of every mail.
    #[arg(
        long,
        env = "TESSERA_MAIL_FROM",
        default_value = "Tessera <tessera@localhost>",
        global = true
    )]
    pub mail_from: String,

    /// Base address of links in mails (e.g. `https://users.example.com`);
    /// default: `http://` and the bind address.
    #[arg(long, env = "TESSERA_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Seconds an invitation link stays valid (default 72 hours).
    #[arg(
        long,
        env = "TESSERA_INVITATION_TTL",
        default_value_t = 72 * 3600,
        value_parser = clap::value_parser!(u32).range(1..=365 * 86_400),
        global = true
    )]
    pub invitation_ttl: u32,

    /// Seconds a password reset link stays valid (default one hour).
    #[arg(
        long,
        env = "TESSERA_PASSWORD_RESET_TTL",
        default_value_t = 3600,
        value_parser = clap::value_parser!(u32).range(1..=7 * 86_400),
        global = true
    )]
    pub password_reset_ttl: u32,

    /// Seconds one SMTP delivery attempt may take.
    #[arg(
        long,
        env = "TESSERA_SMTP_TIMEOUT",
        default_value_t = 20,
        value_parser = clap::value_parser!(u64).range(1..=600),
        global = true
    )]
    pub smtp_timeout: u64,

    /// Delivery attempts per mail before it is given up (and marked FAILED).
    #[arg(
        long,
        env = "TESSERA_MAIL_ATTEMPTS",
        default_value_t = 6,
        value_parser = clap::value_parser!(u32).range(1..=20),
        global = true
    )]
    pub mail_attempts: u32,

    /// Wait before the first retry, in milliseconds; doubled after each failure
    /// (capped at ten minutes).
    #[arg(
        long,
        env = "TESSERA_MAIL_RETRY_DELAY_MS",
        default_value_t = 5_000,
        value_parser = clap::value_parser!(u64).range(1..=600_000),
        global = true
    )]
    pub mail_retry_delay_ms: u64,
}

impl Default for MailSettings {
    /// The flags' defaults: development mode (no SMTP).
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_from: "Tessera <tessera@localhost>".into(),
            public_url: None,
            invitation_ttl: 72 * 3600,
            password_reset_ttl: 3600,
            smtp_timeout: 20,
            mail_attempts: 6,
            mail_retry_delay_ms: 5_000,
        }
    }
}

impl Settings {
    /// `--trusted-proxies` as addresses (blank entries ignored).
    pub fn trusted_proxy_addrs(&self) -> anyhow::Result<Vec<IpAddr>> {
        self.trusted_proxies
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse().map_err(|_| {
                    anyhow::anyhow!("TESSERA_TRUSTED_PROXIES: {p:?} is not an IP address")
                })
            })
            .collect()
    }

    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        self.bind.parse().map_err(|_| {
            anyhow::anyhow!(
                "invalid bind address {:?}: expected HOST:PORT such as 127.0.0.1:8080",
                self.bind
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{MailSettings, WebhookSettings};

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        mail: MailSettings,
        #[command(flatten)]
        webhooks: WebhookSettings,
    }

    #[test]
    fn defaults_match_the_flags() {
        let parsed = Flags::try_parse_from(["tessera"]).expect("defaults parse");
        assert_eq!(
            format!("{:?}", parsed.mail),
            format!("{:?}", MailSettings::default())
        );
        assert_eq!(
            format!("{:?}", parsed.webhooks),
            format!("{:?}", WebhookSettings::default())
        );
    }
}
