//! Login throttling: the policy, the client address it counts per, and the
//! keys failures are stored under (the counting itself is in the database,
//! so that every replica sees the same counts).

use std::net::{IpAddr, Ipv6Addr};

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::domain::user::Email;

/// Failed logins allowed per client address, and per account, in a sliding window.
#[derive(Clone, Debug)]
pub struct LoginThrottle {
    pub max_failures: u32,
    pub window_seconds: u64,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

impl LoginThrottle {
    /// The client's address: the peer's, or behind a trusted proxy the
    /// nearest `X-Forwarded-For` entry that is not itself a trusted proxy
    /// (entries further left were written by the client and could be forged;
    /// with a single proxy that is the first entry).
    pub fn client_address(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> String {
        let mut client = peer;
        if let (Some(peer), Some(header)) = (peer, forwarded_for)
            && self.trusted_proxies.contains(&canonical(peer))
        {
            for entry in header.rsplit(',') {
                let Some(address) = parse_forwarded(entry) else {
                    break;
                };
                client = Some(address);
                if !self.trusted_proxies.contains(&canonical(address)) {
                    break;
                }
            }
        }
        client.map_or_else(|| "unknown".to_owned(), subject_of)
    }

    /// The keys a login attempt's failures count under: its client address
    /// and its account (the email as typed, case-folded, whether or not such
    /// an account exists, so that throttling tells nothing about it). Hashed,
    /// so a password typed into the email field is not stored in clear.
    pub fn keys(&self, client_address: &str, email: &str) -> [String; 2] {
        [
            hashed("address", client_address),
            hashed("account", &Email::lookup_key(email)),
        ]
    }

    /// Keys for attempts at something other than a login (`purpose`, e.g.
    /// `"reset"`), counted apart from logins: per client address and per
    /// `subject` (an email, a link token).
    pub fn keys_for(&self, purpose: &str, client_address: &str, subject: &str) -> [String; 2] {
        [
            hashed(&format!("{purpose}:address"), client_address),
            hashed(purpose, subject),
        ]
    }

    /// Seconds until a key with these failures (newest first, at most
    /// `max_failures` of them, all within the window) may try again; `None`
    /// when it may now.
    pub fn wait_seconds(&self, recent: &[NaiveDateTime], now: NaiveDateTime) -> Option<u64> {
        if recent.len() < self.max_failures as usize {
            return None;
        }
        // Once the oldest of the newest `max_failures` leaves the window,
        // fewer than `max_failures` remain in it.
        let oldest = recent.get(self.max_failures.max(1) as usize - 1)?;
        let left_ms = (*oldest + self.window() - now).num_milliseconds();
        Some((left_ms.max(1) as u64).div_ceil(1000))
    }

    pub fn window(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::seconds(i64::try_from(self.window_seconds).unwrap_or(i64::MAX / 1000))
    }
}

/// One entry of `X-Forwarded-For`: an address, possibly with a port
/// (`1.2.3.4:5678`, `[::1]:5678`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
}

/// IPv4-mapped IPv6 addresses as the IPv4 address they are.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// What an address is counted as: an IPv4 address alone, an IPv6 address by
/// its /64 (one host usually holds a whole /64).
fn subject_of(address: IpAddr) -> String {
    match canonical(address) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4.to_string(),
    }
}

fn hashed(kind: &str, subject: &str) -> String {
    let digest = Sha256::new()
        .chain_update(kind)
        .chain_update([0])
        .chain_update(subject)
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(trusted: &[&str]) -> LoginThrottle {
        LoginThrottle {
            max_failures: 3,
            window_seconds: 300,
            trusted_proxies: trusted.iter().map(|a| a.parse().unwrap()).collect(),
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let none = policy(&[]);
        assert_eq!(
            none.client_address(ip("10.0.0.1"), Some("1.2.3.4")),
            "10.0.0.1"
        );
        let proxied = policy(&["10.0.0.1", "10.0.0.2"]);
        assert_eq!(
            proxied.client_address(ip("10.0.0.1"), Some("1.2.3.4")),
            "1.2.3.4"
        );
        assert_eq!(
            proxied.client_address(ip("10.0.0.9"), Some("1.2.3.4")),
            "10.0.0.9"
        );
        // A forged entry left of the real client is ignored; proxies are skipped.
        assert_eq!(
            proxied.client_address(ip("10.0.0.1"), Some("6.6.6.6, 1.2.3.4, 10.0.0.2")),
            "1.2.3.4"
        );
        assert_eq!(
            proxied.client_address(ip("10.0.0.1"), Some("1.2.3.4:555")),
            "1.2.3.4"
        );
        // Garbage stops the walk at the last good address.
        assert_eq!(
            proxied.client_address(ip("10.0.0.1"), Some("nonsense")),
            "10.0.0.1"
        );
        assert_eq!(proxied.client_address(None, Some("1.2.3.4")), "unknown");
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        let p = policy(&[]);
        assert_eq!(
            p.client_address(ip("2001:db8:1:2:aaaa::1"), None),
            "2001:db8:1:2::/64"
        );
        assert_eq!(p.client_address(ip("::ffff:1.2.3.4"), None), "1.2.3.4");
    }

    #[test]
    fn keys_fold_case_and_hide_the_subject() {
        let p = policy(&[]);
        let [address, account] = p.keys("1.2.3.4", " Ann@Example.com ");
        assert_eq!(p.keys("1.2.3.4", "ann@example.com")[1], account);
        // Every spelling of one address is one account.
        let idn = p.keys("1.2.3.4", "ann@bücher.example")[1].clone();
        for spelling in [
            "ANN@BÜCHER.example",
            "ann@bu\u{308}cher.example",
            "ann@xn--bcher-kva.example",
        ] {
            assert_eq!(p.keys("1.2.3.4", spelling)[1], idn, "{spelling}");
        }
        assert_ne!(address, account);
        assert_eq!(account.len(), 64);
        assert!(!account.contains("ann"));
    }

    #[test]
    fn waits_until_the_oldest_counted_failure_leaves_the_window() {
        let p = policy(&[]);
        let now = chrono::DateTime::from_timestamp(1_000_000, 0)
            .unwrap()
            .naive_utc();
        let ago = |s: i64| now - chrono::TimeDelta::seconds(s);
        assert_eq!(p.wait_seconds(&[ago(1), ago(2)], now), None);
        assert_eq!(p.wait_seconds(&[ago(1), ago(2), ago(100)], now), Some(200));
        assert_eq!(p.wait_seconds(&[ago(0), ago(0), ago(0)], now), Some(300));
    }
}
