//! Secrets at rest: XChaCha20-Poly1305 under one 256-bit key.
//!
//! A sealed secret is stored as text that says how to open it:
//! `enc:v1:<key id>:<base64url(nonce || ciphertext || tag)>`. The key id is
//! an HMAC of a fixed label under the key, so the stored form names the key
//! without revealing it, and a wrong key is reported as such instead of as
//! a failed decryption. The associated data binds each ciphertext to the
//! column and row it was written to: copying a sealed TOTP secret onto
//! another user's row makes it fail to open.
//!
//! XChaCha20-Poly1305 rather than AES-256-GCM: its 192-bit nonces can be
//! drawn at random for every seal, on every replica, with no counter and no
//! practical risk of a repeat (GCM's 96-bit nonces allow about 2^32 random
//! seals per key before a repeat is a concern, and a repeat there leaks the
//! authentication key); and it is constant-time in software, with no
//! dependence on AES instructions.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// Bytes in a key.
pub const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;
/// What every sealed value starts with.
pub const PREFIX: &str = "enc:v1:";
/// Hex characters of a key id (64 bits).
const KEY_ID_CHARS: usize = 16;

/// The message for a key that is neither form, naming no part of it.
pub const KEY_FORMAT: &str =
    "must be 32 bytes written as 64 hex characters or as base64 (e.g. `openssl rand -hex 32`)";

/// A 256-bit encryption key; wiped from memory when dropped, never printed.
#[derive(Clone)]
pub struct EncryptionKey(Zeroizing<[u8; KEY_BYTES]>);

impl EncryptionKey {
    /// A new random key from the OS CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, bytes.as_mut());
        Self(bytes)
    }

    /// 64 hex characters, or base64 (standard or URL-safe, padded or not) of
    /// 32 bytes; surrounding whitespace is ignored. The error never quotes
    /// the text.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let text = text.trim();
        let mut decoded = Zeroizing::new(Vec::new());
        if text.len() == 2 * KEY_BYTES && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            for pair in text.as_bytes().chunks(2) {
                let pair = std::str::from_utf8(pair).map_err(|_| KEY_FORMAT)?;
                decoded.push(u8::from_str_radix(pair, 16).map_err(|_| KEY_FORMAT)?);
            }
        } else {
            let engines = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD];
            *decoded = engines
                .iter()
                .find_map(|engine| engine.decode(text).ok())
                .ok_or(KEY_FORMAT)?;
        }
        let bytes: [u8; KEY_BYTES] = decoded.as_slice().try_into().map_err(|_| KEY_FORMAT)?;
        Ok(Self(Zeroizing::new(bytes)))
    }

    /// The key as 64 lowercase hex characters (what the key file holds).
    pub fn to_hex(&self) -> Zeroizing<String> {
        let mut hex = Zeroizing::new(String::with_capacity(2 * KEY_BYTES));
        for b in self.0.iter() {
            hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            hex.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        }
        hex
    }

    /// The key's public name: 16 hex characters of an HMAC under the key.
    pub fn id(&self) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.as_ref()).expect("HMAC takes any key");
        mac.update(b"tessera encryption key id v1");
        mac.finalize().into_bytes()[..KEY_ID_CHARS / 2]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey({})", self.id())
    }
}

/// Where a secret is stored: its column (`table.column`) and the row's key.
/// Sealed values open only at the place they were sealed for.
#[derive(Clone, Copy, Debug)]
pub struct Binding<'a> {
    column: &'static str,
    row: &'a str,
}

impl<'a> Binding<'a> {
    pub const fn new(column: &'static str, row: &'a str) -> Self {
        Self { column, row }
    }

    /// The associated data: the stored form's header, then the place. The
    /// separator cannot occur in a column name, and the row comes last, so
    /// two places never give the same bytes.
    fn associated_data(&self, key_id: &str) -> Vec<u8> {
        format!("{PREFIX}{key_id}\u{1f}{}\u{1f}{}", self.column, self.row).into_bytes()
    }
}

/// Why a stored value did not open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not in the sealed form (a plaintext left from before encryption, or
    /// a value damaged beyond recognition).
    #[error("the value is not encrypted")]
    NotSealed,
    /// Sealed under another key.
    #[error("the value was encrypted with key {found}, not with the current key {expected}")]
    OtherKey { found: String, expected: String },
    /// The right key, but the value was altered or belongs to another place.
    #[error("the value does not authenticate (altered, or copied from another row)")]
    Rejected,
}

/// The key id of a value in the sealed form, or `None` for anything else
/// (a plaintext left from before encryption).
pub fn sealed_key_id(stored: &str) -> Option<&str> {
    parse(stored).map(|(key_id, _)| key_id)
}

/// Splits the sealed form into its key id and payload bytes.
fn parse(stored: &str) -> Option<(&str, Vec<u8>)> {
    let (key_id, body) = stored.strip_prefix(PREFIX)?.split_once(':')?;
    if key_id.len() != KEY_ID_CHARS
        || !key_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let payload = URL_SAFE_NO_PAD.decode(body).ok()?;
    (payload.len() >= NONCE_BYTES + TAG_BYTES).then_some((key_id, payload))
}

/// Seals and opens secrets with one key. Cheap to clone (the cipher is
/// shared); its `Debug` shows the key id only.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<XChaCha20Poly1305>,
    key_id: Arc<str>,
}

impl SecretBox {
    pub fn new(key: &EncryptionKey) -> Self {
        Self {
            cipher: Arc::new(XChaCha20Poly1305::new((&*key.0).into())),
            key_id: key.id().into(),
        }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// `plaintext` in the sealed form, for storing at `at`. A fresh random
    /// nonce every time: sealing the same secret twice gives two values.
    pub fn seal(&self, plaintext: &str, at: Binding<'_>) -> String {
        let nonce = XNonce::generate();
        let aad = at.associated_data(&self.key_id);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 seals any message that fits in memory");
        let mut payload = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        payload.extend_from_slice(&nonce);
        payload.extend_from_slice(&ciphertext);
        format!(
            "{PREFIX}{}:{}",
            self.key_id,
            URL_SAFE_NO_PAD.encode(&payload)
        )
    }

    /// The plaintext of a value sealed for `at` with this key (wiped from
    /// memory when dropped).
    pub fn open(&self, stored: &str, at: Binding<'_>) -> Result<Zeroizing<String>, OpenError> {
        let (key_id, payload) = parse(stored).ok_or(OpenError::NotSealed)?;
        if key_id != &*self.key_id {
            return Err(OpenError::OtherKey {
                found: key_id.to_owned(),
                expected: self.key_id.to_string(),
            });
        }
        let (nonce, ciphertext) = payload.split_at(NONCE_BYTES);
        let nonce = XNonce::try_from(nonce).map_err(|_| OpenError::NotSealed)?;
        let aad = at.associated_data(key_id);
        let mut plaintext = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| OpenError::Rejected)?;
        match String::from_utf8(std::mem::take(&mut plaintext)) {
            Ok(text) => Ok(Zeroizing::new(text)),
            Err(e) => {
                // Only this build seals, and it seals strings.
                e.into_bytes().zeroize();
                Err(OpenError::Rejected)
            }
        }
    }
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretBox")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn a_box() -> SecretBox {
        SecretBox::new(&EncryptionKey::parse(HEX).unwrap())
    }

    const HERE: Binding<'static> = Binding::new("users.mfa_secret", "AbCdEfGhJk12");

    #[test]
    fn keys_parse_from_hex_or_base64_and_nothing_else() {
        let from_hex = EncryptionKey::parse(HEX).unwrap();
        assert_eq!(*from_hex.to_hex(), HEX);
        let bytes: Vec<u8> = (0u8..32).collect();
        for text in [
            STANDARD.encode(&bytes),
            STANDARD_NO_PAD.encode(&bytes),
            URL_SAFE_NO_PAD.encode(&bytes),
            format!("  {HEX}\n"),
            HEX.to_uppercase(),
        ] {
            let key = EncryptionKey::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(key.id(), from_hex.id(), "{text}");
        }
        for bad in [
            "",
            "short",
            &HEX[..62],
            &format!("{HEX}00"),
            &STANDARD.encode([7u8; 31]),
            &STANDARD.encode([7u8; 33]),
        ] {
            assert_eq!(EncryptionKey::parse(bad).unwrap_err(), KEY_FORMAT, "{bad}");
        }
    }

    #[test]
    fn neither_keys_nor_plaintexts_show_in_debug() {
        let key = EncryptionKey::parse(HEX).unwrap();
        let cipher = SecretBox::new(&key);
        for shown in [format!("{key:?}"), format!("{cipher:?}")] {
            assert!(
                !shown.contains(HEX) && !shown.contains("0001020304"),
                "{shown}"
            );
            assert!(shown.contains(&key.id()), "{shown}");
        }
        let opened = cipher.open(&cipher.seal("hunter2", HERE), HERE).unwrap();
        assert!(!format!("{:?}", OpenError::Rejected).contains("hunter2"));
        assert_eq!(opened.as_str(), "hunter2");
    }

    #[test]
    fn the_stored_form_names_its_version_and_key() {
        let cipher = a_box();
        let sealed = cipher.seal("JBSWY3DPEHPK3PXP", HERE);
        let key_id = cipher.key_id();
        assert_eq!(key_id.len(), 16);
        assert!(sealed.starts_with(&format!("enc:v1:{key_id}:")), "{sealed}");
        assert_eq!(sealed_key_id(&sealed), Some(key_id));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        // Random nonces: the same secret never seals to the same value.
        assert_ne!(sealed, cipher.seal("JBSWY3DPEHPK3PXP", HERE));
        // Plaintexts, even ones that start like a sealed value, are not sealed.
        for plain in [
            "JBSWY3DPEHPK3PXP",
            "enc:v1:",
            "enc:v1:0123456789abcdef:",
            "enc:v1:0123456789abcdef:AAAA",
            "enc:v1:NOT-HEX-NOT-HEX-:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(sealed_key_id(plain), None, "{plain}");
            assert_eq!(cipher.open(plain, HERE), Err(OpenError::NotSealed));
        }
    }

    #[test]
    fn the_key_id_depends_on_the_key_only() {
        let key = EncryptionKey::parse(HEX).unwrap();
        assert_eq!(key.id(), EncryptionKey::parse(HEX).unwrap().id());
        assert_ne!(key.id(), EncryptionKey::generate().id());
        assert_ne!(
            EncryptionKey::generate().to_hex(),
            EncryptionKey::generate().to_hex()
        );
    }

    proptest! {
        #[test]
        fn sealing_round_trips(plaintext in ".{0,300}", row in "[A-Za-z0-9]{1,20}") {
            let cipher = a_box();
            let at = Binding::new("webhooks.secret", &row);
            let opened = cipher.open(&cipher.seal(&plaintext, at), at).unwrap();
            prop_assert_eq!(opened.as_str(), plaintext.as_str());
        }

        #[test]
        fn any_altered_byte_is_rejected(plaintext in ".{1,64}", flip in any::<prop::sample::Index>(), bit in 0u8..8) {
            let cipher = a_box();
            let sealed = cipher.seal(&plaintext, HERE);
            let (header, body) = sealed.rsplit_once(':').unwrap();
            let mut payload = URL_SAFE_NO_PAD.decode(body).unwrap();
            let at = flip.index(payload.len());
            payload[at] ^= 1 << bit;
            let altered = format!("{header}:{}", URL_SAFE_NO_PAD.encode(&payload));
            prop_assert_eq!(cipher.open(&altered, HERE), Err(OpenError::Rejected));
        }

        #[test]
        fn another_key_cannot_open(plaintext in ".{0,64}") {
            let cipher = a_box();
            let sealed = cipher.seal(&plaintext, HERE);
            let other = SecretBox::new(&EncryptionKey::generate());
            let refused = other.open(&sealed, HERE);
            prop_assert!(
                matches!(&refused, Err(OpenError::OtherKey { found, .. }) if found == cipher.key_id()),
                "{:?}", refused
            );
            // Even when the header is forged to name the other key.
            let forged = sealed.replacen(cipher.key_id(), other.key_id(), 1);
            prop_assert_eq!(other.open(&forged, HERE), Err(OpenError::Rejected));
        }

        #[test]
        fn a_value_opens_only_where_it_was_sealed(
            plaintext in ".{0,64}",
            row in "[A-Za-z0-9]{1,12}",
            other_row in "[A-Za-z0-9]{1,12}",
        ) {
            prop_assume!(row != other_row);
            let cipher = a_box();
            let sealed = cipher.seal(&plaintext, Binding::new("users.mfa_secret", &row));
            for elsewhere in [
                Binding::new("users.mfa_secret", &other_row),
                Binding::new("webhooks.secret", &row),
            ] {
                prop_assert_eq!(cipher.open(&sealed, elsewhere), Err(OpenError::Rejected));
            }
        }
    }
}
