//! The string to sign, the signing key and the signature (SigV4 steps 2–4,
//! docs/spec.md §5), with the `hmac` crate's HMAC-SHA256.

use std::cell::RefCell;
use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{canonical, Credentials};

/// The only algorithm this signer produces.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 keyed with `key`.
fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail.
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
    }
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = keyed(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex of a 32-byte digest, into `out`.
fn hex_into(digest: &[u8; 32], out: &mut [u8; 64]) {
    // 64 bytes is exactly the room 32 bytes need: never the error.
    let _ = hex::encode_to_slice(digest, out);
}

/// Lower-case hex of a 32-byte digest.
fn hex32(digest: &[u8; 32]) -> String {
    let mut out = [0u8; 64];
    hex_into(digest, &mut out);
    // Hex digits are ASCII: never the empty fallback.
    std::str::from_utf8(&out).unwrap_or_default().to_owned()
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex32(&Sha256::digest(data).into())
}

/// `date/region/service/aws4_request`.
pub fn credential_scope(date_stamp: &str, region: &str, service: &str) -> String {
    [date_stamp, region, service, "aws4_request"].join("/")
}

/// The signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date_stamp: &str, region: &str, service: &str) -> [u8; 32] {
    let k_secret = Zeroizing::new(format!("AWS4{secret}"));
    let k_date = Zeroizing::new(hmac_sha256(k_secret.as_bytes(), date_stamp.as_bytes()));
    let k_region = Zeroizing::new(hmac_sha256(&*k_date, region.as_bytes()));
    let k_service = Zeroizing::new(hmac_sha256(&*k_region, service.as_bytes()));
    hmac_sha256(&*k_service, b"aws4_request")
}

/// `AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256(canonical request)>`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let mut hash = [0u8; 64];
    hex_into(&Sha256::digest(canonical_request).into(), &mut hash);
    let hash = std::str::from_utf8(&hash).unwrap_or_default();
    [ALGORITHM, amz_date, scope, hash].join("\n")
}

/// Hex HMAC of the string to sign under the signing key.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex32(&hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// One remembered derivation: (credentials, date, region, service) → the
/// HMAC already keyed with the signing key, and the credential scope.
struct Memo {
    access_key_id: String,
    secret: Zeroizing<String>,
    date_stamp: String,
    region: String,
    service: String,
    mac: HmacSha256,
    scope: String,
    /// `access key id/scope` percent-encoded: the `X-Amz-Credential` value.
    credential_query: String,
}

thread_local! {
    /// The last signing key derived on this thread. A key changes only with
    /// the date, so an isolate signing all day derives it once per day
    /// instead of with four HMACs per URL. A memo: results are identical.
    static LAST_KEY: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// What stays the same for every URL signed with one (secret, date, region,
/// service): the keyed HMAC and the credential scope.
pub struct DayKey<'a>(&'a Memo);

impl fmt::Debug for DayKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DayKey")
            .field("scope", &self.0.scope)
            .finish_non_exhaustive()
    }
}

impl DayKey<'_> {
    /// `date/region/service/aws4_request`.
    pub fn scope(&self) -> &str {
        &self.0.scope
    }

    /// `access key id/scope` percent-encoded as a query value: the
    /// `X-Amz-Credential` parameter.
    pub fn credential_query(&self) -> &str {
        &self.0.credential_query
    }

    /// The hex signature of `string_to_sign`: a clone of the keyed HMAC,
    /// fed the string.
    pub fn sign(&self, string_to_sign: &str) -> String {
        let mut mac = self.0.mac.clone();
        mac.update(string_to_sign.as_bytes());
        hex32(&mac.finalize().into_bytes().into())
    }
}

/// Runs `f` with the [`DayKey`] for these inputs, derived at most once per
/// (credentials, date, region, service) on this thread.
pub fn with_day_key<T>(
    credentials: &Credentials,
    date_stamp: &str,
    region: &str,
    service: &str,
    f: impl FnOnce(&DayKey<'_>) -> T,
) -> T {
    let (access_key_id, secret) = (credentials.access_key_id(), credentials.secret_access_key());
    LAST_KEY.with(|cell| {
        let mut slot = cell.borrow_mut();
        let stale = slot.as_ref().is_none_or(|m| {
            m.date_stamp != date_stamp
                || m.region != region
                || m.service != service
                || m.access_key_id != access_key_id
                || m.secret.as_str() != secret
        });
        if stale {
            *slot = None;
        }
        let memo = slot.get_or_insert_with(|| {
            let key = Zeroizing::new(signing_key(secret, date_stamp, region, service));
            let scope = credential_scope(date_stamp, region, service);
            let credential = [access_key_id, &scope].join("/");
            Memo {
                access_key_id: access_key_id.to_owned(),
                secret: Zeroizing::new(secret.to_owned()),
                date_stamp: date_stamp.to_owned(),
                region: region.to_owned(),
                service: service.to_owned(),
                mac: keyed(&*key),
                credential_query: canonical::uri_encode(&credential),
                scope,
            }
        });
        f(&DayKey(memo))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn memoized_signature_equals_derived_one_and_follows_every_input() {
        let args = [
            ("secret-a", "20261125", "us-east-1", "s3"),
            ("secret-a", "20261125", "us-east-1", "s3"),
            ("secret-a", "20261126", "us-east-1", "s3"),
            ("secret-a", "20261126", "auto", "s3"),
            ("secret-a", "20261126", "auto", "service"),
            ("secret-b", "20261126", "auto", "service"),
            ("secret-a", "20261125", "us-east-1", "s3"),
        ];
        for (secret, date, region, service) in args {
            let credentials = Credentials::new("AK+ID", secret, None).unwrap();
            let memoized = with_day_key(&credentials, date, region, service, |key| {
                assert_eq!(
                    key.credential_query(),
                    format!("AK%2BID%2F{date}%2F{region}%2F{service}%2Faws4_request")
                );
                assert_eq!(
                    key.scope(),
                    format!("{date}/{region}/{service}/aws4_request")
                );
                key.sign("string to sign")
            });
            let derived = signature(
                &signing_key(secret, date, region, service),
                "string to sign",
            );
            assert_eq!(memoized, derived);
        }
    }

    #[test]
    fn signing_key_matches_aws_documentation() {
        // From the AWS General Reference "Examples of how to derive a signing
        // key": secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215,
        // us-east-1, iam.
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }
}
