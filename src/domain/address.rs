//! Which IP addresses are globally reachable: what a webhook may target.
//!
//! Written from the IANA registries, as no maintained crate covers them:
//! `std`'s `is_global` is unstable, `ip_network`'s and `ip_rfc`'s miss
//! multicast, NAT64, 6to4 and more, and `ipnet` has no classification (it
//! provides the prefix arithmetic here). Sources, as of 2025:
//! - IANA IPv4 Special-Purpose Address Registry (iana-ipv4-special-registry)
//! - IANA IPv6 Special-Purpose Address Registry (iana-ipv6-special-registry)
//! - IANA IPv6 Address Space (ipv6-address-space): only 2000::/3 is global
//!   unicast; the rest is reserved, unique-local, link-local or multicast.
//!
//! Within a registry the most specific entry decides, so the anycast
//! addresses that are globally reachable inside a refused block (e.g.
//! 192.0.0.9/32 in 192.0.0.0/24) stay reachable. Beyond the registries'
//! "Globally Reachable: False" entries, these are refused, each for a reason
//! given beside it: multicast, entries marked N/A (deprecated blocks that
//! embed or relay to other addresses), and IPv6 outside 2000::/3, which
//! covers the NAT64 prefix 64:ff9b::/96 (globally reachable per IANA, but a
//! NAT64 gateway turns it into the IPv4 address it embeds, 10.0.0.1 as
//! readily as any other) and IPv4-mapped and IPv4-compatible addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix)
}

const fn v6(segments: [u16; 8], prefix: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), prefix)
}

/// IPv4 blocks and whether they are globally reachable.
const IPV4: [(Ipv4Net, bool); 18] = [
    (v4(0, 0, 0, 0, 8), false),       // "this network" (RFC 791)
    (v4(10, 0, 0, 0, 8), false),      // private use (RFC 1918)
    (v4(100, 64, 0, 0, 10), false),   // shared address space, CGN (RFC 6598)
    (v4(127, 0, 0, 0, 8), false),     // loopback (RFC 1122)
    (v4(169, 254, 0, 0, 16), false),  // link local (RFC 3927)
    (v4(172, 16, 0, 0, 12), false),   // private use (RFC 1918)
    (v4(192, 0, 0, 0, 24), false),    // IETF protocol assignments (RFC 6890)
    (v4(192, 0, 0, 9, 32), true),     // PCP anycast (RFC 7723)
    (v4(192, 0, 0, 10, 32), true),    // TURN anycast (RFC 8155)
    (v4(192, 0, 2, 0, 24), false),    // documentation, TEST-NET-1 (RFC 5737)
    (v4(192, 88, 99, 0, 24), false),  // deprecated 6to4 relay anycast (RFC 7526): N/A
    (v4(192, 168, 0, 0, 16), false),  // private use (RFC 1918)
    (v4(198, 18, 0, 0, 15), false),   // benchmarking (RFC 2544)
    (v4(198, 51, 100, 0, 24), false), // documentation, TEST-NET-2 (RFC 5737)
    (v4(203, 0, 113, 0, 24), false),  // documentation, TEST-NET-3 (RFC 5737)
    (v4(240, 0, 0, 0, 4), false),     // reserved (RFC 1112)
    // Not in the special-purpose registry: multicast is no unicast host
    // (IANA IPv4 Multicast Address Space, RFC 5771).
    (v4(224, 0, 0, 0, 4), false),
    (v4(255, 255, 255, 255, 32), false), // limited broadcast (RFC 919)
];

/// Global unicast (IANA IPv6 Address Space); nothing outside it is reachable.
const IPV6_GLOBAL_UNICAST: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

/// IPv6 blocks inside 2000::/3 and whether they are globally reachable.
const IPV6: [(Ipv6Net, bool); 13] = [
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), false), // IETF protocol assignments (RFC 2928), Teredo's 2001::/32 (N/A) too
    (v6([0x2001, 1, 0, 0, 0, 0, 0, 1], 128), true), // PCP anycast (RFC 7723)
    (v6([0x2001, 1, 0, 0, 0, 0, 0, 2], 128), true), // TURN anycast (RFC 8155)
    (v6([0x2001, 1, 0, 0, 0, 0, 0, 3], 128), true), // DNS-SD SRP anycast (RFC 9665)
    (v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48), false), // benchmarking (RFC 5180)
    (v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32), true),  // AMT (RFC 7450)
    (v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48), true), // AS112-v6 (RFC 7535)
    (v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28), false), // deprecated ORCHID (RFC 4843): N/A
    (v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28), true), // ORCHIDv2 (RFC 7343)
    (v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28), true), // drone remote ID DETs (RFC 9374)
    (v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), false), // documentation (RFC 3849)
    // 6to4 (RFC 3056): N/A; it embeds an IPv4 address a relay forwards to.
    (v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), false),
    (v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), false), // documentation (RFC 9637)
];

/// Whether `ip` is a globally reachable unicast address.
pub fn is_globally_reachable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => most_specific(
            IPV4.iter()
                .filter(|(net, _)| net.contains(&ip))
                .map(|(net, reachable)| (net.prefix_len(), *reachable)),
        ),
        IpAddr::V6(ip) => {
            IPV6_GLOBAL_UNICAST.contains(&ip)
                && most_specific(
                    IPV6.iter()
                        .filter(|(net, _)| net.contains(&ip))
                        .map(|(net, reachable)| (net.prefix_len(), *reachable)),
                )
        }
    }
}

/// The verdict of the longest matching prefix; reachable when none matches.
fn most_specific(matches: impl Iterator<Item = (u8, bool)>) -> bool {
    matches
        .max_by_key(|(prefix, _)| *prefix)
        .is_none_or(|(_, reachable)| reachable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_purpose_addresses_are_not_globally_reachable() {
        for refused in [
            // IPv4
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.1",
            "192.0.0.8",
            "192.0.0.170",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "233.252.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "254.1.2.3",
            "255.255.255.255",
            // IPv6 outside 2000::/3
            "::",
            "::1",
            "::a00:1",
            "::ffff:8.8.8.8",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b::808:808",
            "64:ff9b:1::1",
            "100::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            // IPv6 special blocks inside 2000::/3
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:1::4",
            "2001:2::1",
            "2001:10::1",
            "2001:db8::1",
            "2001:db8:ffff::1",
            "2002::1",
            "2002:a00:1::1",
            "2002:7f00:1::1",
            "3fff::1",
            "3fff:fff::1",
        ] {
            let ip: IpAddr = refused.parse().unwrap();
            assert!(!is_globally_reachable(ip), "{refused} is refused");
        }
    }

    #[test]
    fn public_unicast_addresses_are_globally_reachable() {
        for reachable in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.0.9",
            "192.0.0.10",
            "192.0.3.1",
            "192.31.196.1",
            "192.52.193.1",
            "192.175.48.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2606:2800:220:1::1",
            "2a00:1450:4001::1",
            "2001:1::1",
            "2001:1::2",
            "2001:1::3",
            "2001:3::1",
            "2001:4:112::1",
            "2001:20::1",
            "2001:30::1",
            "2001:200::1",
            "2003::1",
            "2620:4f:8000::1",
            "3ffe::1",
            "3fff:1000::1",
        ] {
            let ip: IpAddr = reachable.parse().unwrap();
            assert!(is_globally_reachable(ip), "{reachable} is reachable");
        }
    }
}
