//! Verification keys: a JWKS document (`CLERK_JWKS_URL`) or one PEM public
//! key (`CLERK_JWT_KEY`), reduced to the RSA keys we accept (docs/spec.md §6, §9).
//!
//! Keys are filtered one by one: a key that is not RSA, not for signatures,
//! declared for another algorithm, without a `kid`, with members of the wrong
//! type, or outside 2048–8192 bits is left out, so a token naming it finds no
//! key and gets 401. The upper bound keeps one forged token from costing a
//! huge modular exponentiation. The JWKS is read by serde (each key from its
//! own JSON text, so a repeated member is refused); the PEM's DER by `spki`
//! and `pkcs1`. The PEM armour itself is read here, leniently (any line
//! length, spaces, literal `\n`): the `pem-rfc7468` reader wants RFC 7468's
//! strict 64-column lines, which keys pasted into settings often lack.

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use serde::Deserialize;
use serde_json::value::RawValue;
use spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

/// Smallest modulus accepted.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest modulus accepted.
pub const MAX_RSA_BITS: usize = 8192;

/// An RSA public key usable for RS256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    /// `None` only for a key from `CLERK_JWT_KEY`, which serves every token.
    pub kid: Option<String>,
    /// Modulus, big-endian, no leading zero bytes.
    pub n: Vec<u8>,
    /// Public exponent, big-endian, no leading zero bytes.
    pub e: Vec<u8>,
}

impl RsaPublicKey {
    /// Builds a key after the size and exponent checks.
    ///
    /// # Errors
    /// [`KeyError::Size`] outside 2048–8192 bits; [`KeyError::Exponent`] for
    /// an even exponent, one below 3 or longer than 4 bytes.
    pub fn new(kid: Option<String>, n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_length(n);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(KeyError::Size { bits });
        }
        let odd = e.last().is_some_and(|b| b & 1 == 1);
        if e.is_empty() || e.len() > 4 || !odd || e == [1] {
            return Err(KeyError::Exponent);
        }
        Ok(Self {
            kid,
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        bit_length(&self.n)
    }

    /// `n` and `e` in base64url, for a JWK import (WebCrypto).
    pub fn jwk_components(&self) -> (String, String) {
        (
            Base64UrlUnpadded::encode_string(&self.n),
            Base64UrlUnpadded::encode_string(&self.e),
        )
    }
}

/// Why one key was left out (logged, never sent to clients).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    Size {
        bits: usize,
    },
    Exponent,
    NotRsa,
    NotForSignatures,
    OtherAlgorithm,
    MissingKid,
    /// A member of the wrong type, or `n`/`e` missing or not base64url.
    Encoding,
}

/// Why a whole document or PEM was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySetError {
    /// Not JSON, or no `keys` array.
    MalformedJwks,
    /// Not a PEM RSA public key (SPKI or PKCS#1), or a refused key.
    MalformedPem,
    BadKey(KeyError),
}

/// The keys a token may be verified with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeySet {
    keys: Vec<RsaPublicKey>,
    /// Keys left out of the document, with why (for the log line).
    pub skipped: Vec<(Option<String>, KeyError)>,
}

impl KeySet {
    /// Parses a JWKS document.
    ///
    /// # Errors
    /// [`KeySetError::MalformedJwks`] if it is not `{"keys": [...]}`.
    /// Individual unusable keys are skipped, not errors.
    pub fn from_jwks_json(json: &str) -> Result<Self, KeySetError> {
        #[derive(Deserialize)]
        struct Document<'a> {
            #[serde(borrow)]
            keys: Vec<&'a RawValue>,
        }
        let doc: Document<'_> =
            serde_json::from_str(json).map_err(|_| KeySetError::MalformedJwks)?;
        let mut set = Self::default();
        for raw in doc.keys {
            match serde_json::from_str::<Jwk>(raw.get()) {
                Ok(jwk) => match jwk.to_key() {
                    Ok(key) => set.keys.push(key),
                    Err(why) => set.skipped.push((jwk.kid, why)),
                },
                Err(_) => set.skipped.push((None, KeyError::Encoding)),
            }
        }
        Ok(set)
    }

    /// One key from a PEM public key (`-----BEGIN PUBLIC KEY-----`, or the
    /// PKCS#1 `RSA PUBLIC KEY`). Literal `\n` sequences are accepted as line
    /// breaks, the way PEM often arrives through environment variables.
    ///
    /// # Errors
    /// [`KeySetError::MalformedPem`] or [`KeySetError::BadKey`].
    pub fn from_pem(pem: &str) -> Result<Self, KeySetError> {
        let pem = pem.replace("\\n", "\n");
        let (label, der) = pem_body(&pem).ok_or(KeySetError::MalformedPem)?;
        let rsa = match label {
            "PUBLIC KEY" => spki_rsa(&der),
            "RSA PUBLIC KEY" => pkcs1::RsaPublicKey::try_from(der.as_slice()).ok(),
            _ => None,
        }
        .ok_or(KeySetError::MalformedPem)?;
        let key = RsaPublicKey::new(None, rsa.modulus.as_bytes(), rsa.public_exponent.as_bytes())
            .map_err(KeySetError::BadKey)?;
        Ok(Self {
            keys: vec![key],
            skipped: Vec::new(),
        })
    }

    /// The key for a token's `kid`: the single PEM key whatever the `kid`, or
    /// the JWKS key with exactly that `kid`.
    pub fn find(&self, kid: Option<&str>) -> Option<&RsaPublicKey> {
        if let [key @ RsaPublicKey { kid: None, .. }] = self.keys.as_slice() {
            return Some(key);
        }
        let kid = kid?;
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// One JWKS member; `null` counts as absent.
#[derive(Deserialize)]
struct Jwk {
    kty: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    key_ops: Option<Vec<String>>,
    alg: Option<String>,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl Jwk {
    fn to_key(&self) -> Result<RsaPublicKey, KeyError> {
        if self.kty.as_deref() != Some("RSA") {
            return Err(KeyError::NotRsa);
        }
        if self.usage.as_deref().is_some_and(|u| u != "sig")
            || self
                .key_ops
                .as_ref()
                .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return Err(KeyError::NotForSignatures);
        }
        if self.alg.as_deref().is_some_and(|alg| alg != "RS256") {
            return Err(KeyError::OtherAlgorithm);
        }
        let kid = self
            .kid
            .as_ref()
            .filter(|k| !k.is_empty())
            .ok_or(KeyError::MissingKid)?;
        let decode = |v: &Option<String>| {
            v.as_deref()
                .and_then(|v| Base64UrlUnpadded::decode_vec(v.trim_end_matches('=')).ok())
                .ok_or(KeyError::Encoding)
        };
        RsaPublicKey::new(Some(kid.clone()), &decode(&self.n)?, &decode(&self.e)?)
    }
}

/// rsaEncryption, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The PKCS#1 key inside a `SubjectPublicKeyInfo` holding an rsaEncryption key.
fn spki_rsa(der: &[u8]) -> Option<pkcs1::RsaPublicKey<'_>> {
    let spki = SubjectPublicKeyInfoRef::try_from(der).ok()?;
    if spki.algorithm.oid != RSA_ENCRYPTION {
        return None;
    }
    pkcs1::RsaPublicKey::try_from(spki.subject_public_key.as_bytes()?).ok()
}

fn pem_body(pem: &str) -> Option<(&str, Vec<u8>)> {
    let start = pem.find("-----BEGIN ")?;
    let rest = &pem[start + "-----BEGIN ".len()..];
    let label_end = rest.find("-----")?;
    let label = &rest[..label_end];
    let body_and_end = &rest[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    let body_end = body_and_end.find(&end_marker)?;
    let b64: String = body_and_end[..body_end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = Base64::decode_vec(&b64).ok()?;
    Some((label, der))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn bit_length(be: &[u8]) -> usize {
    match be.first() {
        None => 0,
        Some(top) => (be.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modulus(bits: usize) -> Vec<u8> {
        let mut n = vec![0xff_u8; bits / 8];
        n[0] = 0x80 | 0x01;
        n
    }

    fn jwk(kid: &str, bits: usize, extra: &str) -> String {
        format!(
            r#"{{"kty":"RSA","kid":"{kid}","n":"{}","e":"AQAB"{extra}}}"#,
            Base64UrlUnpadded::encode_string(&modulus(bits))
        )
    }

    #[test]
    fn key_size_bounds() {
        assert!(RsaPublicKey::new(None, &modulus(2048), &[1, 0, 1]).is_ok());
        assert_eq!(
            RsaPublicKey::new(None, &modulus(2040), &[1, 0, 1]),
            Err(KeyError::Size { bits: 2040 })
        );
        assert_eq!(
            RsaPublicKey::new(None, &modulus(1024), &[1, 0, 1]),
            Err(KeyError::Size { bits: 1024 })
        );
        assert!(RsaPublicKey::new(None, &modulus(8192), &[1, 0, 1]).is_ok());
        assert!(RsaPublicKey::new(None, &modulus(8200), &[1, 0, 1]).is_err());
        // Leading zero bytes (as in DER INTEGERs) do not count.
        let mut padded = vec![0, 0];
        padded.extend(modulus(2048));
        assert_eq!(
            RsaPublicKey::new(None, &padded, &[1, 0, 1]).unwrap().bits(),
            2048
        );
    }

    #[test]
    fn exponent_rules() {
        for bad in [&[][..], &[1], &[2], &[1, 0, 0, 0, 1]] {
            assert_eq!(
                RsaPublicKey::new(None, &modulus(2048), bad),
                Err(KeyError::Exponent),
                "{bad:?}"
            );
        }
        assert!(RsaPublicKey::new(None, &modulus(2048), &[3]).is_ok());
    }

    #[test]
    fn jwks_keeps_only_usable_keys() {
        let doc = format!(
            r#"{{"keys":[{},{},{},{},{},{},{}, {{"kty":"EC","kid":"ec","crv":"P-256","x":"","y":""}}]}}"#,
            jwk("good", 2048, r#","use":"sig","alg":"RS256""#),
            jwk("weak", 1024, ""),
            jwk("enc", 2048, r#","use":"enc""#),
            jwk("ps", 2048, r#","alg":"PS256""#),
            jwk("", 2048, ""),
            jwk("ops", 2048, r#","key_ops":["encrypt"]"#),
            jwk("plain", 4096, ""),
        );
        let set = KeySet::from_jwks_json(&doc).unwrap();
        assert_eq!(set.len(), 2);
        assert!(set.find(Some("good")).is_some());
        assert!(set.find(Some("plain")).is_some());
        for kid in ["weak", "enc", "ps", "ops", "ec", "nope"] {
            assert!(set.find(Some(kid)).is_none(), "{kid}");
        }
        assert!(set.find(None).is_none());
        assert_eq!(set.skipped.len(), 6);
    }

    #[test]
    fn a_key_with_a_repeated_or_mistyped_member_is_left_out() {
        let good = jwk("good", 2048, "");
        let repeated = jwk("twice", 2048, r#","kid":"other""#);
        let mistyped = jwk("typed", 2048, r#","use":7"#);
        let set = KeySet::from_jwks_json(&format!(r#"{{"keys":[{good},{repeated},{mistyped}]}}"#))
            .unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.find(Some("twice")).is_none());
        assert!(set.find(Some("other")).is_none());
        assert!(set.find(Some("typed")).is_none());
        assert_eq!(
            set.skipped,
            [(None, KeyError::Encoding), (None, KeyError::Encoding)]
        );
    }

    #[test]
    fn null_members_count_as_absent() {
        let set = KeySet::from_jwks_json(&format!(
            r#"{{"keys":[{}]}}"#,
            jwk("k", 2048, r#","use":null,"alg":null"#)
        ))
        .unwrap();
        assert!(set.find(Some("k")).is_some());
    }

    #[test]
    fn malformed_jwks_documents() {
        for bad in ["", "[]", "{}", r#"{"keys":{}}"#, "not json"] {
            assert_eq!(
                KeySet::from_jwks_json(bad),
                Err(KeySetError::MalformedJwks),
                "{bad}"
            );
        }
        assert!(KeySet::from_jwks_json(r#"{"keys":[]}"#).unwrap().is_empty());
    }

    #[test]
    fn pem_garbage_is_refused() {
        for bad in [
            "",
            "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        ] {
            assert_eq!(
                KeySet::from_pem(bad),
                Err(KeySetError::MalformedPem),
                "{bad}"
            );
        }
    }
}
