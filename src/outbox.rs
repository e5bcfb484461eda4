//! Sends the webhook outbox: each replica claims due deliveries in the
//! database (so each is sent by one of them), posts them signed, and records
//! every attempt, retrying with exponential backoff up to a cap. Delivery is
//! at least once: a replica that dies after sending but before recording
//! leaves the claim to expire, and another sends again.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::WebhookSettings;
use crate::crypto::SecretBox;
use crate::db::webhooks::{self as rows, DeliveryRow};
use crate::db::{Db, secrets as stored};
use crate::domain::time;
use crate::service::webhooks::{PRIVATE_REFUSED, is_private};

/// Deliveries claimed per look at the outbox (sent concurrently).
const BATCH: i64 = 16;
const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);
/// Longest part of a receiver's answer kept as the error.
const ERROR_MAX: usize = 300;

/// `Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "Tessera-Signature";

/// The signature of `body` sent at `timestamp` with `secret`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// Starts sending (unless `webhook_poll_ms` is 0). Runs inside the server's
/// async runtime.
pub fn start(db: Db, settings: WebhookSettings, secrets: SecretBox) {
    if settings.webhook_poll_ms == 0 {
        return;
    }
    tokio::spawn(async move {
        let every = Duration::from_millis(settings.webhook_poll_ms);
        loop {
            match send_due(&db, &settings, &secrets).await {
                // A full batch: more may be due, so look again at once
                // rather than let a backlog drain one batch per interval.
                Ok(attempted) if attempted as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhook outbox round failed"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Claims and sends what is due now; returns how many were attempted.
/// Each webhook's secret is decrypted only for signing its delivery.
pub async fn send_due(
    db: &Db,
    settings: &WebhookSettings,
    secrets: &SecretBox,
) -> crate::error::Result<usize> {
    let timeout = Duration::from_secs(settings.webhook_timeout);
    // Long enough for every attempt of the batch to finish.
    let lease = chrono::Duration::seconds(settings.webhook_timeout as i64 * 2 + 30);
    let claimed = db
        .write(move |conn| {
            let now = time::now();
            Ok(rows::claim_due(conn, now, now + lease, BATCH)?)
        })
        .await?;
    let attempted = claimed.len();
    if attempted == 0 {
        return Ok(0);
    }
    let sends = claimed
        .into_iter()
        .map(|(delivery, url, sealed)| async move {
            let outcome = match secrets.open(&sealed, stored::webhook_secret(&delivery.webhook_id))
            {
                Ok(secret) => {
                    attempt(
                        &url,
                        &secret,
                        &delivery,
                        timeout,
                        settings.webhooks_allow_private,
                    )
                    .await
                }
                // Fails closed: nothing is sent unsigned or signed with a
                // guess; the attempt is recorded (and retried) like any other.
                Err(e) => {
                    tracing::error!(webhook = %delivery.webhook_id, error = %e, "cannot decrypt a webhook secret");
                    Outcome {
                        status_code: None,
                        error: Some("The webhook's secret cannot be decrypted.".into()),
                    }
                }
            };
            (delivery, outcome)
        });
    // The batch's outcomes in one transaction: one writer's turn and one
    // commit, not one per delivery.
    let records: Vec<(DeliveryRow, Record)> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(|(delivery, outcome)| {
            let record = outcome_record(&delivery, outcome, settings);
            (delivery, record)
        })
        .collect();
    db.write(move |conn| {
        for (delivery, record) in &records {
            rows::record_attempt(
                conn,
                &delivery.id,
                record.status,
                record.status_code,
                record.error.as_deref(),
                record.next_attempt,
                record.delivered,
            )?;
        }
        Ok(())
    })
    .await?;
    Ok(attempted)
}

/// What one attempt came to.
struct Outcome {
    status_code: Option<u16>,
    error: Option<String>,
}

struct Record {
    status: &'static str,
    status_code: Option<i32>,
    error: Option<String>,
    next_attempt: NaiveDateTime,
    delivered: Option<NaiveDateTime>,
}

fn outcome_record(delivery: &DeliveryRow, outcome: Outcome, settings: &WebhookSettings) -> Record {
    let now = time::now();
    let status_code = outcome.status_code.map(i32::from);
    if outcome.error.is_none() {
        return Record {
            status: rows::DELIVERED,
            status_code,
            error: None,
            next_attempt: now,
            delivered: Some(now),
        };
    }
    let attempts = delivery.attempts as u32 + 1;
    let delay = Duration::from_millis(settings.webhook_retry_delay_ms)
        .saturating_mul(2_u32.saturating_pow(attempts - 1))
        .min(MAX_RETRY_DELAY);
    let status = if attempts >= settings.webhook_attempts {
        tracing::warn!(delivery = %delivery.id, attempts, "webhook delivery failed for good");
        rows::FAILED
    } else {
        rows::PENDING
    };
    Record {
        status,
        status_code,
        error: outcome.error,
        next_attempt: now + chrono::Duration::from_std(delay).unwrap_or_default(),
        delivered: None,
    }
}

/// Posts one delivery to `url`, to an address checked against the private
/// ranges (and pinned, so a second DNS answer cannot swap it).
async fn attempt(
    url: &str,
    secret: &str,
    delivery: &DeliveryRow,
    timeout: Duration,
    allow_private: bool,
) -> Outcome {
    let failed = |error: String| Outcome {
        status_code: None,
        error: Some(error),
    };
    let Ok(parsed) = url::Url::parse(url) else {
        return failed("The URL is not valid.".into());
    };
    let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) else {
        return failed("The URL has no host.".into());
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addresses: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(found) => found.collect(),
        Err(e) => return failed(format!("Cannot resolve {host}: {e}")),
    };
    let Some(address) = addresses.first().copied() else {
        return failed(format!("Cannot resolve {host}."));
    };
    if !allow_private && addresses.iter().any(|a| is_private(a.ip())) {
        return failed(PRIVATE_REFUSED.into());
    }
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, address)
        .build()
    {
        Ok(client) => client,
        Err(e) => return failed(format!("Cannot build the HTTP client: {e}")),
    };
    let timestamp = chrono::Utc::now().timestamp();
    let sent = client
        .post(parsed)
        .header("Content-Type", "application/json")
        .header(
            "User-Agent",
            concat!("Tessera-Webhooks/", env!("CARGO_PKG_VERSION")),
        )
        .header("Tessera-Event", &delivery.event_type)
        .header("Tessera-Delivery", &delivery.id)
        .header(SIGNATURE_HEADER, sign(secret, timestamp, &delivery.payload))
        .body(delivery.payload.clone())
        .send()
        .await;
    match sent {
        Err(e) if e.is_timeout() => failed(format!("Timed out after {} s.", timeout.as_secs())),
        Err(e) => failed(format!("Cannot deliver: {e}")),
        Ok(response) if response.status().is_success() => Outcome {
            status_code: Some(response.status().as_u16()),
            error: None,
        },
        Ok(response) => {
            let code = response.status().as_u16();
            let text: String = response
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(ERROR_MAX)
                .collect();
            Outcome {
                status_code: Some(code),
                error: Some(format!("The receiver answered {code}: {text}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sign;

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_and_body() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            sign("whsec_test", 1_700_000_000, r#"{"a":1}"#),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }
}
