//! SDES keying for SRTP on the SIP leg (RFC 4568 `a=crypto`): the suites an encrypted trunk (an
//! Amazon Chime SDK Voice Connector with encryption on) uses, the attribute's grammar, fresh
//! keys for an offer, and the choice of a line when answering. Key material is never shown:
//! [`MasterKey`]'s `Debug` hides it, errors never quote it, and it is wiped when dropped.
//!
//! Grammar (RFC 4568 §9.1; the SRTP key parameters of §6.1):
//! `a=crypto:<tag> <suite> inline:<base64 key||salt>[|<lifetime>][|<mki>:<length>] [<session params>]`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

/// The SRTP crypto suites we take, in the order we offer them (the order the Chime SDK's own
/// example INVITE to a Voice Connector offers them; docs/telephony.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CryptoSuite {
    /// RFC 7714: AES-256 in GCM, 16-byte tag.
    AeadAes256Gcm,
    /// RFC 7714: AES-256 in GCM, 8-byte tag.
    AeadAes256Gcm8,
    /// RFC 6188: AES-256 in counter mode, HMAC-SHA1 tag of 80 bits.
    Aes256CmHmacSha1_80,
    /// RFC 6188: the same with a 32-bit tag.
    Aes256CmHmacSha1_32,
    /// RFC 4568: AES-128 in counter mode, HMAC-SHA1 tag of 80 bits.
    AesCm128HmacSha1_80,
    /// RFC 4568: the same with a 32-bit tag.
    AesCm128HmacSha1_32,
}

impl CryptoSuite {
    /// Every suite, most preferred first.
    pub const PREFERENCE: [CryptoSuite; 6] = [
        CryptoSuite::AeadAes256Gcm,
        CryptoSuite::AeadAes256Gcm8,
        CryptoSuite::Aes256CmHmacSha1_80,
        CryptoSuite::Aes256CmHmacSha1_32,
        CryptoSuite::AesCm128HmacSha1_80,
        CryptoSuite::AesCm128HmacSha1_32,
    ];

    /// The name in the attribute.
    pub fn name(self) -> &'static str {
        match self {
            CryptoSuite::AeadAes256Gcm => "AEAD_AES_256_GCM",
            CryptoSuite::AeadAes256Gcm8 => "AEAD_AES_256_GCM_8",
            CryptoSuite::Aes256CmHmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
            CryptoSuite::Aes256CmHmacSha1_32 => "AES_256_CM_HMAC_SHA1_32",
            CryptoSuite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            CryptoSuite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    pub fn from_name(name: &str) -> Option<CryptoSuite> {
        CryptoSuite::PREFERENCE
            .into_iter()
            .find(|suite| suite.name() == name)
    }

    /// Bytes of the master key.
    pub fn key_len(self) -> usize {
        match self {
            CryptoSuite::AesCm128HmacSha1_80 | CryptoSuite::AesCm128HmacSha1_32 => 16,
            _ => 32,
        }
    }

    /// Bytes of the master salt: 112 bits for counter mode, 96 for GCM (RFC 7714 §12).
    pub fn salt_len(self) -> usize {
        match self {
            CryptoSuite::AeadAes256Gcm | CryptoSuite::AeadAes256Gcm8 => 12,
            _ => 14,
        }
    }

    /// Bytes of each SRTP packet's authentication tag.
    pub fn tag_len(self) -> usize {
        match self {
            CryptoSuite::AeadAes256Gcm => 16,
            CryptoSuite::AeadAes256Gcm8 => 8,
            CryptoSuite::Aes256CmHmacSha1_80 | CryptoSuite::AesCm128HmacSha1_80 => 10,
            CryptoSuite::Aes256CmHmacSha1_32 | CryptoSuite::AesCm128HmacSha1_32 => 4,
        }
    }
}

/// A master key and salt. Shown nowhere; wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    /// The key, then the salt.
    bytes: Vec<u8>,
    key_len: usize,
}

impl MasterKey {
    /// A fresh random key and salt for `suite`.
    pub fn generate(suite: CryptoSuite, rng: &mut impl RngCore) -> MasterKey {
        let mut bytes = vec![0u8; suite.key_len() + suite.salt_len()];
        rng.fill_bytes(&mut bytes);
        MasterKey {
            bytes,
            key_len: suite.key_len(),
        }
    }

    /// A key and salt given whole (test vectors, keys read elsewhere).
    pub fn from_parts(key: &[u8], salt: &[u8]) -> MasterKey {
        MasterKey {
            bytes: [key, salt].concat(),
            key_len: key.len(),
        }
    }

    pub fn key(&self) -> &[u8] {
        &self.bytes[..self.key_len]
    }

    pub fn salt(&self) -> &[u8] {
        &self.bytes[self.key_len..]
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<hidden>)")
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        for byte in self.bytes.iter_mut() {
            // Volatile so the wipe is not optimised away as a dead store.
            unsafe { std::ptr::write_volatile(byte, 0) };
        }
    }
}

/// One `a=crypto` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CryptoAttribute {
    /// Pairs the answer's line with the offer's (1 to 999999999).
    pub tag: u32,
    pub suite: CryptoSuite,
    pub key: MasterKey,
    /// The most packets the key may protect (`2^n` or a number), when the line says.
    pub lifetime: Option<u64>,
    /// `MKI:length`, when the line carries a master key identifier.
    pub mki: Option<(u32, u8)>,
    /// Session parameters as written (`KDR=`, `UNENCRYPTED_SRTP`, …).
    pub session_params: Vec<String>,
}

/// Why an `a=crypto` line cannot be used. The texts never contain key material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SdesError {
    #[error("a=crypto: {0}")]
    Malformed(&'static str),
    #[error("a=crypto: the suite {0} is not one we take")]
    UnknownSuite(String),
    #[error("a=crypto: {suite} needs {expected} bytes of key and salt, the line has {got}")]
    KeyLength {
        suite: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("a=crypto: more than one master key (MKI) is not supported")]
    SeveralKeys,
}

/// RFC 4568 §9.1: tags are 1 to 9 digits.
const MAX_TAG: u32 = 999_999_999;

impl CryptoAttribute {
    /// A line for `suite` with a fresh key.
    pub fn generate(tag: u32, suite: CryptoSuite, rng: &mut impl RngCore) -> CryptoAttribute {
        CryptoAttribute {
            tag,
            suite,
            key: MasterKey::generate(suite, rng),
            lifetime: None,
            mki: None,
            session_params: Vec::new(),
        }
    }

    /// Parses the attribute's value (what follows `a=crypto:`).
    pub fn parse(value: &str) -> Result<CryptoAttribute, SdesError> {
        let mut fields = value.split_ascii_whitespace();
        let tag = fields
            .next()
            .filter(|t| !t.is_empty() && t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<u32>().ok())
            .filter(|t| (1..=MAX_TAG).contains(t))
            .ok_or(SdesError::Malformed(
                "the tag is not a number from 1 to 999999999",
            ))?;
        let suite_name = fields
            .next()
            .ok_or(SdesError::Malformed("no crypto suite"))?;
        let suite = CryptoSuite::from_name(suite_name)
            .ok_or_else(|| SdesError::UnknownSuite(printable(suite_name)))?;
        let key_params = fields
            .next()
            .ok_or(SdesError::Malformed("no key parameters"))?;
        if key_params.contains(';') {
            return Err(SdesError::SeveralKeys);
        }
        let info = key_params
            .strip_prefix("inline:")
            .ok_or(SdesError::Malformed("the key method is not inline"))?;
        let mut parts = info.split('|');
        let encoded = parts.next().unwrap_or_default();
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| SdesError::Malformed("the key is not base64"))?;
        let expected = suite.key_len() + suite.salt_len();
        if bytes.len() != expected {
            return Err(SdesError::KeyLength {
                suite: suite.name(),
                expected,
                got: bytes.len(),
            });
        }
        let key = MasterKey {
            bytes,
            key_len: suite.key_len(),
        };
        let (mut lifetime, mut mki) = (None, None);
        for part in parts {
            if let Some((value, length)) = part.split_once(':') {
                if mki.is_some() {
                    return Err(SdesError::Malformed("two MKIs"));
                }
                let value = digits(value).ok_or(SdesError::Malformed("the MKI is not a number"))?;
                let length = digits(length)
                    .filter(|l| (1..=128).contains(l))
                    .ok_or(SdesError::Malformed("the MKI length is not 1 to 128"))?;
                mki = Some((
                    u32::try_from(value)
                        .map_err(|_| SdesError::Malformed("the MKI is too large"))?,
                    length as u8,
                ));
            } else {
                if lifetime.is_some() || mki.is_some() {
                    return Err(SdesError::Malformed("the lifetime is misplaced"));
                }
                lifetime = Some(parse_lifetime(part)?);
            }
        }
        Ok(CryptoAttribute {
            tag,
            suite,
            key,
            lifetime,
            mki,
            session_params: fields.map(printable).collect(),
        })
    }

    /// The attribute's value, for `a=crypto:` (our lines carry no lifetime, MKI or session
    /// parameters).
    pub fn render(&self) -> String {
        format!(
            "{} {} inline:{}",
            self.tag,
            self.suite.name(),
            STANDARD.encode(&self.key.bytes)
        )
    }

    /// Whether we can key SRTP from this line: no MKI (we send none), and no session
    /// parameters (unencrypted or unauthenticated SRTP, key derivation rates, FEC order: none
    /// is needed toward a trunk, and a line we do not fully understand is not taken).
    pub fn is_usable(&self) -> bool {
        self.mki.is_none() && self.session_params.is_empty()
    }
}

/// Our offer: one line per suite, most preferred first, each with a fresh key.
pub fn offer(rng: &mut impl RngCore) -> Vec<CryptoAttribute> {
    CryptoSuite::PREFERENCE
        .into_iter()
        .zip(1..)
        .map(|(suite, tag)| CryptoAttribute::generate(tag, suite, rng))
        .collect()
}

/// Answering an offer: its first usable line (the offerer lists its preference first) and our
/// line for it, same tag and suite, with a fresh key. `None` when no line is usable.
pub fn answer(
    offered: &[CryptoAttribute],
    rng: &mut impl RngCore,
) -> Option<(CryptoAttribute, CryptoAttribute)> {
    let theirs = offered.iter().find(|line| line.is_usable())?.clone();
    let ours = CryptoAttribute::generate(theirs.tag, theirs.suite, rng);
    Some((theirs, ours))
}

/// The offer's line the answer took: same tag and suite. `None` when the answer names a line
/// we did not offer (the call cannot be keyed).
pub fn accepted<'a>(
    offered: &'a [CryptoAttribute],
    answer: &CryptoAttribute,
) -> Option<&'a CryptoAttribute> {
    offered
        .iter()
        .find(|line| line.tag == answer.tag && line.suite == answer.suite)
        .filter(|_| answer.is_usable())
}

fn digits(text: &str) -> Option<u64> {
    (!text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `2^n` (n up to 63) or a plain number of packets.
fn parse_lifetime(text: &str) -> Result<u64, SdesError> {
    let lifetime = match text.strip_prefix("2^") {
        Some(power) => digits(power).filter(|n| *n < 64).map(|n| 1u64 << n),
        None => digits(text),
    };
    lifetime
        .filter(|l| *l > 0)
        .ok_or(SdesError::Malformed("the lifetime is not 2^n or a number"))
}

/// A field for a message: printable ASCII only, at most 40 characters.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(40)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// RFC 4568 §5's example line (AES_CM_128_HMAC_SHA1_80, 30 bytes of key and salt).
    const RFC_LINE: &str =
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";

    #[test]
    fn the_rfc_example_parses() {
        let line = CryptoAttribute::parse(RFC_LINE).unwrap();
        assert_eq!(line.tag, 1);
        assert_eq!(line.suite, CryptoSuite::AesCm128HmacSha1_80);
        assert_eq!(line.key.key().len(), 16);
        assert_eq!(line.key.salt().len(), 14);
        assert_eq!(line.lifetime, Some(1 << 20));
        assert_eq!(line.mki, Some((1, 4)));
        // With an MKI it is understood but not taken.
        assert!(!line.is_usable());
    }

    #[test]
    fn our_lines_round_trip_and_never_show_the_key() {
        let mut rng = StdRng::seed_from_u64(7);
        for line in offer(&mut rng) {
            let text = line.render();
            let back = CryptoAttribute::parse(&text).unwrap();
            assert_eq!(back, line);
            assert!(back.is_usable());
            assert_eq!(
                back.key.key().len() + back.key.salt().len(),
                line.suite.key_len() + line.suite.salt_len()
            );
            let encoded = text.rsplit(':').next().unwrap().to_string();
            assert!(!format!("{line:?}").contains(&encoded), "{line:?}");
        }
    }

    #[test]
    fn the_offer_follows_our_preference_with_fresh_keys() {
        let mut rng = StdRng::seed_from_u64(1);
        let first = offer(&mut rng);
        let second = offer(&mut rng);
        let suites: Vec<_> = first.iter().map(|l| l.suite).collect();
        assert_eq!(suites, CryptoSuite::PREFERENCE);
        let tags: Vec<_> = first.iter().map(|l| l.tag).collect();
        assert_eq!(tags, [1, 2, 3, 4, 5, 6]);
        for (a, b) in first.iter().zip(&second) {
            assert_ne!(a.key, b.key, "a new call gets new keys");
        }
    }

    #[test]
    fn answering_takes_the_first_usable_line_and_the_offerer_checks_it() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut offered = offer(&mut rng);
        offered[0].session_params.push("UNENCRYPTED_SRTP".into());
        let (theirs, ours) = answer(&offered, &mut rng).unwrap();
        assert_eq!(theirs.suite, CryptoSuite::AeadAes256Gcm8);
        assert_eq!((ours.tag, ours.suite), (2, CryptoSuite::AeadAes256Gcm8));
        assert_ne!(ours.key, theirs.key);
        assert_eq!(accepted(&offered, &ours), Some(&offered[1]));
        let mut stranger = ours.clone();
        stranger.tag = 9;
        assert_eq!(accepted(&offered, &stranger), None);
        offered.iter_mut().for_each(|l| l.mki = Some((1, 4)));
        assert!(answer(&offered, &mut rng).is_none());
    }

    #[test]
    fn bad_lines_say_what_is_wrong_without_the_key() {
        let key30 = STANDARD.encode([7u8; 30]);
        let cases = [
            (
                "",
                SdesError::Malformed("the tag is not a number from 1 to 999999999"),
            ),
            (
                "0 AES_CM_128_HMAC_SHA1_80 inline:x",
                SdesError::Malformed("the tag is not a number from 1 to 999999999"),
            ),
            ("1", SdesError::Malformed("no crypto suite")),
            (
                "1 F8_128_HMAC_SHA1_80 inline:x",
                SdesError::UnknownSuite("F8_128_HMAC_SHA1_80".into()),
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80",
                SdesError::Malformed("no key parameters"),
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 uri:https://k",
                SdesError::Malformed("the key method is not inline"),
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:***",
                SdesError::Malformed("the key is not base64"),
            ),
            (
                &format!("1 AEAD_AES_256_GCM inline:{key30}"),
                SdesError::KeyLength {
                    suite: "AEAD_AES_256_GCM",
                    expected: 44,
                    got: 30,
                },
            ),
            (
                &format!("1 AES_CM_128_HMAC_SHA1_80 inline:{key30};inline:{key30}"),
                SdesError::SeveralKeys,
            ),
            (
                &format!("1 AES_CM_128_HMAC_SHA1_80 inline:{key30}|2^64"),
                SdesError::Malformed("the lifetime is not 2^n or a number"),
            ),
            (
                &format!("1 AES_CM_128_HMAC_SHA1_80 inline:{key30}|1:0"),
                SdesError::Malformed("the MKI length is not 1 to 128"),
            ),
            (
                &format!("1 AES_CM_128_HMAC_SHA1_80 inline:{key30}|1:4|2^20"),
                SdesError::Malformed("the lifetime is misplaced"),
            ),
        ];
        for (line, want) in cases {
            let got = CryptoAttribute::parse(line).unwrap_err();
            assert_eq!(got, want, "{line}");
            assert!(!got.to_string().contains(&key30), "{got}");
        }
    }
}
