//! Clerk-shaped tokens for the auth tests, minted with the `rsa` crate and
//! the test-only keys in tests/fixtures/keys, independently of the code
//! under test; and the checks that run them through `verify_token` at a
//! fixed "now" with the `rsa` crate standing in for WebCrypto.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use base64ct::{Base64UrlUnpadded, Encoding};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::Sha256;

use upload_signer::auth::jwks::KeySet;
use upload_signer::auth::verify::{verify_token, ClaimRules, Session};
use upload_signer::auth::AuthError;
use upload_signer::time::UtcTime;

use super::harness::{block_on, PureRustVerifier};

/// 2026-11-25T10:00:00Z, the fixed "now" of every auth test.
pub(crate) const NOW: u64 = 1_795_600_800;
pub(crate) const ISSUER: &str = "https://clerk.example.test";
pub(crate) const APP: &str = "https://app.example.test";
/// The session category Clerk puts in a session token's `cat` header.
pub(crate) const SESSION_CATEGORY: &str = "cl_B7d4PD111AAA";

pub(crate) fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn private_key(name: &str) -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(&fixture(&format!("{name}.key.pem"))).unwrap()
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

pub(crate) fn b64_json(v: &Value) -> String {
    b64(v.to_string().as_bytes())
}

/// `header.claims.signature` from the JSON texts as given (repeated
/// members, escapes), RS256-signed by `signer`.
pub(crate) fn mint_raw(header: &str, claims: &str, signer: &RsaPrivateKey) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let sig = SigningKey::<Sha256>::new(signer.clone()).sign(input.as_bytes());
    format!("{input}.{}", b64(&sig.to_bytes()))
}

/// `header.claims.signature`, RS256-signed by `signer`.
pub(crate) fn mint_with(header: &Value, claims: &Value, signer: &RsaPrivateKey) -> String {
    mint_raw(&header.to_string(), &claims.to_string(), signer)
}

/// A Clerk session token's header.
pub(crate) fn header(kid: &str) -> Value {
    json!({ "alg": "RS256", "typ": "JWT", "cat": SESSION_CATEGORY, "kid": kid })
}

/// Clerk v2 session claims valid at NOW (organization `o`, factor ages
/// `fva`, plan `pla`, features `fea`).
pub(crate) fn claims() -> Value {
    json!({
        "sub": "user_2abcDEF123",
        "iss": ISSUER,
        "azp": APP,
        "sid": "sess_2abcDEF123",
        "sts": "active",
        "v": 2,
        "o": { "id": "org_2xyz", "rol": "admin", "slg": "acme", "per": "manage,read", "fpm": "3" },
        "fva": [5, -1],
        "pla": "u:pro",
        "fea": "u:uploads,o:reports",
        "iat": NOW - 10,
        "nbf": NOW - 10,
        "exp": NOW + 50,
    })
}

/// `base` with members set, or removed where the value is `Value::Null`.
pub(crate) fn with(mut base: Value, changes: &[(&str, Value)]) -> Value {
    for (k, v) in changes {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(*k);
        } else {
            base[*k] = v.clone();
        }
    }
    base
}

pub(crate) fn mint(claims: &Value) -> String {
    mint_with(&header("test-a"), claims, &private_key("test-a"))
}

pub(crate) fn jwk(kid: &str, key: &RsaPrivateKey) -> Value {
    json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
        "n": b64(&key.n().to_bytes_be()), "e": b64(&key.e().to_bytes_be()),
    })
}

/// The issuer's JWKS: test-a (2048) and a weak 1024-bit key.
pub(crate) fn keys() -> KeySet {
    let doc = json!({ "keys": [jwk("test-a", &private_key("test-a")), jwk("weak", &private_key("test-weak1024"))] });
    KeySet::from_jwks_json(&doc.to_string()).unwrap()
}

pub(crate) fn strict_rules() -> ClaimRules {
    ClaimRules {
        issuer: Some(ISSUER.into()),
        authorized_parties: Some(vec![APP.into(), "https://other.example.test".into()]),
        leeway_seconds: 5,
    }
}

pub(crate) fn check_at(token: &str, rules: &ClaimRules, now: u64) -> Result<Session, AuthError> {
    block_on(verify_token(
        token,
        &keys(),
        &PureRustVerifier,
        rules,
        UtcTime::from_unix_seconds(now),
    ))
}

pub(crate) fn check(token: &str) -> Result<Session, AuthError> {
    check_at(token, &strict_rules(), NOW)
}
