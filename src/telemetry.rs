//! Logging set-up.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Logs to stderr, as text or JSON lines. `RUST_LOG` overrides the default
/// levels; request-level 4xx answers are not logged as warnings, so a scan
/// does not flood the log. Nor are malformed requests that actix answers with
/// a 400 before any handler runs (it logs them as errors: they are the
/// client's). Request URLs are logged with the values of secret-bearing
/// query parameters redacted (`observability::redacted_target`): links
/// carry live tokens.
pub fn init(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(
            "info,tracing_actix_web=error,actix_server=warn,actix_http::h1::dispatcher=off",
        )
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a terminal, not in a file or a log collector.
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
