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
    /// generated once and kept in the database when unset; PostgreSQL
    /// deployments must set it so every replica shares it.
    #[arg(
        long,
        env = "TESSERA_SECRET_KEY",
        global = true,
        hide_env_values = true
    )]
    pub secret_key: Option<String>,

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
