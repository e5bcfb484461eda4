//! TOTP (RFC 6238) as authenticator apps expect it by default: HMAC-SHA1,
//! 6 digits, 30-second steps. A code is accepted for the current step or one
//! step either side (clock drift, a code typed at the end of its window), and
//! only for a step later than the last one accepted for the user, so a code
//! works once.

use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::error::{Error, Result};

pub const ISSUER: &str = "Tessera";
pub const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
/// Steps accepted on each side of the current one.
const SKEW_STEPS: u64 = 1;
/// 160 bits, the size RFC 4226 recommends for HMAC-SHA1.
const SECRET_BYTES: usize = 20;

/// A new random secret, Base32 without padding (what apps accept as a key).
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::from(bytes).to_base32()
}

/// Checking codes needs no skew from the crate: `accepted_step` walks the
/// window itself, to skip the steps already used.
fn totp(secret: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_step_duration(STEP_SECONDS)
        .with_skew(0)
        .with_secret(secret)
        // The otpauth label forbids colons; an email has none in practice.
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

/// The `otpauth://totp/Tessera:<account>?secret=...&issuer=Tessera` URI that
/// authenticator apps read (usually from a QR code).
pub fn otpauth_uri(secret: &str, account: &str) -> Result<String> {
    totp(secret, account)
        .ok_or_else(|| Error::internal(anyhow::anyhow!("an invalid TOTP secret was generated")))?
        .to_url()
        .map_err(|e| Error::internal(anyhow::anyhow!("otpauth URI: {e}")))
}

/// The time step `code` belongs to, when it is valid for `secret` at `now`
/// (Unix seconds) within the skew and later than `last_used`. Spaces in the
/// code (as apps display it, `123 456`) are ignored.
pub fn accepted_step(secret: &str, code: &str, now: u64, last_used: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "")?;
    let current = now / STEP_SECONDS;
    (current.saturating_sub(SKEW_STEPS)..=current + SKEW_STEPS)
        .filter_map(|step| i64::try_from(step).ok().map(|signed| (step, signed)))
        .filter(|(_, signed)| last_used.is_none_or(|last| *signed > last))
        .find(|(step, _)| totp.check(&code, step * STEP_SECONDS).is_some())
        .map(|(_, signed)| signed)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 key, "12345678901234567890".
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn matches_the_rfc_6238_vectors_truncated_to_six_digits() {
        // 94287082 at T=59 and 07081804 at T=1111111109 (8 digits in the RFC).
        assert_eq!(accepted_step(RFC_SECRET, "287082", 59, None), Some(1));
        assert_eq!(
            accepted_step(RFC_SECRET, "081804", 1_111_111_109, None),
            Some(37_037_036)
        );
        assert_eq!(accepted_step(RFC_SECRET, "287 082", 59, None), Some(1));
    }

    #[test]
    fn accepts_one_step_of_skew_and_never_a_used_step() {
        let at = 1_111_111_109;
        // The code of step 37_037_036 is accepted one step before and after.
        assert!(accepted_step(RFC_SECRET, "081804", at - 30, None).is_some());
        assert!(accepted_step(RFC_SECRET, "081804", at + 30, None).is_some());
        assert_eq!(accepted_step(RFC_SECRET, "081804", at + 60, None), None);
        assert_eq!(
            accepted_step(RFC_SECRET, "081804", at, Some(37_037_036)),
            None
        );
        assert_eq!(
            accepted_step(RFC_SECRET, "081804", at, Some(37_037_035)),
            Some(37_037_036)
        );
    }

    #[test]
    fn rejects_malformed_codes_and_secrets() {
        for code in ["", "28708", "2870820", "28708a", "+28708"] {
            assert_eq!(accepted_step(RFC_SECRET, code, 59, None), None, "{code}");
        }
        assert_eq!(accepted_step("not base32!", "287082", 59, None), None);
    }

    #[test]
    fn new_secrets_are_random_and_give_an_otpauth_uri() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert_ne!(secret, new_secret());
        let uri = otpauth_uri(&secret, "ann@example.com").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Tessera:ann%40example.com?"),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
        assert!(uri.contains("issuer=Tessera"), "{uri}");
    }
}
