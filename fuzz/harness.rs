//! The fuzz harnesses' bodies, shared by the cargo-fuzz targets
//! (`fuzz_targets/*.rs`, nightly, libFuzzer) and by `tests/fuzz_corpus.rs`,
//! which replays every committed corpus and regression input on stable in
//! the normal test run. Each function must never panic on any input; the
//! `assert!`s are the invariants that hold for whatever the input is.
//! Its helpers (the `rsa` stand-in for WebCrypto, strict percent-decoding,
//! `block_on`) serve the other native test files too.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use base64ct::{Base64UrlUnpadded, Encoding};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{BigUint, RsaPrivateKey};
use sha2::Sha256;

use upload_signer::auth::jwks::{KeySet, RsaPublicKey};
use upload_signer::auth::token::{SignatureVerifier, SESSION_CATEGORIES};
use upload_signer::auth::verify::{verify_token, ClaimRules, UserId};
use upload_signer::config::{storage_config, StorageConfig};
use upload_signer::confirm::{check, Expectation, Rejection, StoredObject, MAX_PROBE_BYTES};
use upload_signer::sigv4::canonical::{
    canonical_headers, canonical_query, is_header_value, uri_encode, uri_encode_path,
};
use upload_signer::sigv4::{
    sign_query, Credentials, Expiry, ObjectKey, PayloadHash, QueryRequest, SigningContext,
};
use upload_signer::time::UtcTime;
use upload_signer::upload::{signed_upload, validate, Policy};

/// 2026-11-25T10:00:00Z.
const NOW: u64 = 1_795_600_800;
const NOW_F: f64 = 1_795_600_800.0;

/// Test-only keys (tests/fixtures/keys), embedded so the fuzz binary needs
/// no files at run time.
const PRIVATE_PEM: &str = include_str!("../tests/fixtures/keys/test-a.key.pem");
const PUBLIC_PEM: &str = include_str!("../tests/fixtures/keys/test-a.pub.pem");

pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    // The verifiers here complete at once; waiting would be a bug, not a hang.
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("a test verifier must not wait"),
    }
}

fn storage() -> &'static StorageConfig {
    static STORAGE: OnceLock<StorageConfig> = OnceLock::new();
    STORAGE.get_or_init(|| {
        storage_config(|name| {
            Some(
                match name {
                    "S3_BUCKET" => "fuzz-bucket",
                    "S3_ACCESS_KEY_ID" => "AKIDFUZZONLY",
                    "S3_SECRET_ACCESS_KEY" => "fuzz-only-secret",
                    _ => return None,
                }
                .to_owned(),
            )
        })
        .unwrap()
    })
}

pub(crate) fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = (bytes.next()? as char).to_digit(16)?;
            let lo = (bytes.next()? as char).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

/// The expected MIME types target `confirm` picks from: every format the
/// checks read, one `infer` knows without a dimension reader (HEIC), and one
/// nothing checks.
const CONFIRM_MIMES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "application/pdf",
    "image/heic",
    "text/plain",
];

/// Target `confirm`: upload confirmation's checks (docs/spec.md §12) on any
/// bytes. Byte 0 picks the expected MIME type; byte 1's bits: 0–1 the stored
/// Content-Type (the MIME, the MIME in capitals with a parameter,
/// `text/html`, none), 2 a `HEAD` size beyond the probed bytes, 3 tight
/// limits (1000 bytes, 16 × 16 pixels). The rest is the object. Any input
/// gets a verdict, never a panic, and the verdict agrees with the limits.
pub(crate) fn confirm(data: &[u8]) -> Result<(), Rejection> {
    let Some((&[pick, flags], body)) = data.split_first_chunk::<2>() else {
        return Ok(());
    };
    let mime = CONFIRM_MIMES[usize::from(pick) % CONFIRM_MIMES.len()];
    let loud = format!("{}; charset=binary", mime.to_ascii_uppercase());
    let stored = match flags & 3 {
        0 => Some(mime),
        1 => Some(loud.as_str()),
        2 => Some("text/html"),
        _ => None,
    };
    let size = body.len() as u64 + if flags & 4 == 0 { 0 } else { 1000 };
    let (max_bytes, max_pixels) = if flags & 8 == 0 {
        (u64::MAX, 8192)
    } else {
        (1000, 16)
    };
    let object = StoredObject {
        size,
        content_type: stored,
        head: &body[..body.len().min(MAX_PROBE_BYTES)],
    };
    let expected = Expectation {
        mime,
        max_bytes,
        max_width: max_pixels,
        max_height: max_pixels,
    };
    let verdict = check(&object, &expected);
    match verdict {
        Ok(v) => {
            assert!(size >= 1 && size <= max_bytes && flags & 3 < 2);
            assert_eq!(v.width.is_some(), v.height.is_some());
            if let (Some(w), Some(h)) = (v.width, v.height) {
                assert!((1..=max_pixels).contains(&w) && (1..=max_pixels).contains(&h));
                assert!(
                    CONFIRM_MIMES[..4].contains(&mime),
                    "dimensions only for rasters"
                );
            }
        }
        Err(Rejection::Empty) => assert_eq!(size, 0),
        Err(Rejection::TooLarge) => assert!(size > max_bytes),
        Err(Rejection::ContentTypeMismatch) => assert!(flags & 3 >= 2),
        Err(Rejection::UnsafeSvg) => assert_eq!(mime, "image/svg+xml"),
        Err(Rejection::DimensionsExceeded) => assert!(CONFIRM_MIMES[..4].contains(&mime)),
        Err(Rejection::ContentMismatch) => assert_ne!(mime, "image/svg+xml"),
    }
    verdict.map(|_| ())
}

/// Target `upload_body`: any request body through validation; whatever is
/// accepted is signed, and its key is the user's and decodes back.
pub(crate) fn upload_body(data: &[u8]) {
    let Ok(upload) = validate(data, &Policy::default()) else {
        return;
    };
    let user = UserId::new("user_fuzz").unwrap();
    let resp = signed_upload(
        &upload,
        &user,
        storage(),
        UtcTime::from_unix_seconds(NOW),
        None,
    )
    .expect("a validated upload always signs");
    let json: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
    let key = json["data"]["key"].as_str().unwrap();
    let scope = format!("user-uploads/user_fuzz/{}/", upload.type_name);
    assert_eq!(key.strip_prefix(&scope), Some(upload.file_name.as_str()));
    let url = json["data"]["url"].as_str().unwrap();
    let path = url
        .strip_prefix("https://fuzz-bucket.s3.us-east-1.amazonaws.com/")
        .unwrap();
    let path = path.split_once('?').unwrap().0;
    assert_eq!(percent_decode(path).as_deref(), Some(key.as_bytes()));
}

/// Target `file_name`: any string as `fileName` (and any type) through
/// validation and key building; and any string as an object key.
pub(crate) fn file_name(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (type_name, name) = text.split_once('\0').unwrap_or(("profile", &text));
    let body = serde_json::json!({ "type": type_name, "fileName": name }).to_string();
    upload_body(body.as_bytes());
    if let Ok(key) = ObjectKey::new(text.as_ref()) {
        let encoded = key.encoded();
        assert_eq!(percent_decode(&encoded).as_deref(), Some(text.as_bytes()));
        assert!(!key.as_str().split('/').any(|s| s == "." || s == ".."));
    }
}

/// RS256 through the `rsa` crate, standing in for WebCrypto.
pub(crate) struct PureRustVerifier;

impl SignatureVerifier for PureRustVerifier {
    async fn verify_rs256(&self, key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
        let Ok(public) = rsa::RsaPublicKey::new(
            BigUint::from_bytes_be(&key.n),
            BigUint::from_bytes_be(&key.e),
        ) else {
            return false;
        };
        let Ok(signature) = Signature::try_from(signature) else {
            return false;
        };
        VerifyingKey::<Sha256>::new(public)
            .verify(message, &signature)
            .is_ok()
    }
}

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        // The fixture key under kid "test-a", as a JWKS would carry it.
        let pem = KeySet::from_pem(PUBLIC_PEM).unwrap();
        let key = pem.find(None).unwrap();
        let jwks = serde_json::json!({ "keys": [{
            "kty": "RSA", "kid": "test-a", "use": "sig", "alg": "RS256",
            "n": Base64UrlUnpadded::encode_string(&key.n),
            "e": Base64UrlUnpadded::encode_string(&key.e),
        }]});
        KeySet::from_jwks_json(&jwks.to_string()).unwrap()
    })
}

fn signer() -> &'static SigningKey<Sha256> {
    static SIGNER: OnceLock<SigningKey<Sha256>> = OnceLock::new();
    SIGNER.get_or_init(|| SigningKey::new(RsaPrivateKey::from_pkcs8_pem(PRIVATE_PEM).unwrap()))
}

fn rules() -> ClaimRules {
    ClaimRules {
        issuer: Some("https://clerk.example.test".into()),
        authorized_parties: Some(vec!["https://app.example.test".into()]),
        leeway_seconds: 5,
    }
}

/// Accepts every signature: lets the claim checks see arbitrary claims at
/// full speed (RSA signing per input would cap the run at ~100 exec/s).
struct AcceptAnySignature;

impl SignatureVerifier for AcceptAnySignature {
    async fn verify_rs256(&self, _: &RsaPublicKey, _: &[u8], _: &[u8]) -> bool {
        true
    }
}

/// Target `jwt`, by the first byte:
/// - 0: the rest is a raw token, verified for real;
/// - 2: the rest is `header \0 payload`, signed with the real key and
///   verified for real (slow: RSA signing per input, so one byte value only);
/// - anything else: as 2, with a verifier that accepts any signature, so
///   parsing and every claim check see arbitrary JSON at full speed.
///
/// Any accepted token must be a session's (`typ`, `cat`, `sid`, no machine
/// `sub`), carry a valid user id and not be expired.
/// Returns whether the token was accepted.
pub(crate) fn jwt(data: &[u8]) -> bool {
    let Some((&mode, rest)) = data.split_first() else {
        return false;
    };
    let mode = match mode {
        0 | 2 => mode,
        _ => 1,
    };
    let token = if mode == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        let text = String::from_utf8_lossy(rest);
        let (header, payload) = text.split_once('\0').unwrap_or((&text, "{}"));
        let input = format!(
            "{}.{}",
            Base64UrlUnpadded::encode_string(header.as_bytes()),
            Base64UrlUnpadded::encode_string(payload.as_bytes())
        );
        let signature = if mode == 2 {
            signer().sign(input.as_bytes()).to_vec()
        } else {
            vec![0; 256]
        };
        format!("{input}.{}", Base64UrlUnpadded::encode_string(&signature))
    };
    let now = UtcTime::from_unix_seconds(NOW);
    let verified = if mode == 1 {
        block_on(verify_token(
            &token,
            keys(),
            &AcceptAnySignature,
            &rules(),
            now,
        ))
    } else {
        block_on(verify_token(
            &token,
            keys(),
            &PureRustVerifier,
            &rules(),
            now,
        ))
    };
    let Ok(session) = verified else {
        return false;
    };
    // Whatever got through obeys every rule, read back from the token itself
    // (independently of the verifier's own parsing).
    let part = |i: usize| -> serde_json::Value {
        let seg = token
            .split('.')
            .nth(i)
            .expect("an accepted token has 3 parts");
        let bytes = Base64UrlUnpadded::decode_vec(seg).expect("an accepted token is base64url");
        serde_json::from_slice(&bytes).expect("an accepted token's parts are JSON")
    };
    let (header, claims) = (part(0), part(1));
    assert_eq!(header["alg"], "RS256");
    assert!(header.get("crit").is_none_or(serde_json::Value::is_null));
    assert!(
        matches!(header.get("typ"), None | Some(serde_json::Value::Null)) || header["typ"] == "JWT"
    );
    if let Some(cat) = header.get("cat").and_then(serde_json::Value::as_str) {
        assert!(SESSION_CATEGORIES.contains(&cat), "category {cat}");
    }
    assert!(claims["sid"].as_str().is_some_and(|sid| !sid.is_empty()));
    assert!(!session.user_id.as_str().starts_with("mch_"));
    assert_eq!(claims["sub"].as_str(), Some(session.user_id.as_str()));
    assert_eq!(claims["iss"], "https://clerk.example.test");
    assert_eq!(claims["azp"], "https://app.example.test");
    assert_ne!(claims["sts"], "pending");
    let exp = claims["exp"].as_f64().expect("exp is required");
    assert!(exp + 5.0 >= NOW_F, "expired: {exp}");
    for early in ["nbf", "iat"] {
        if let Some(t) = claims.get(early).and_then(serde_json::Value::as_f64) {
            assert!(t <= NOW_F + 5.0, "{early} in the future: {t}");
        }
    }
    assert!(session.expires_at >= UtcTime::from_unix_seconds(NOW - 5));
    true
}

/// Target `canonical`: arbitrary strings through the SigV4 encoders, the
/// canonical query and headers, and the signer; outputs are single-encoded
/// and sorted.
pub(crate) fn canonical(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.split('\0').collect();
    let encoded = uri_encode(&text);
    assert!(encoded
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
    assert_eq!(percent_decode(&encoded).as_deref(), Some(text.as_bytes()));
    let path = uri_encode_path(&text);
    assert_eq!(percent_decode(&path).as_deref(), Some(text.as_bytes()));
    let pairs: Vec<(&str, &str)> = parts
        .chunks(2)
        .map(|c| (c[0], *c.get(1).unwrap_or(&"")))
        .collect();
    let query = canonical_query(pairs.iter().copied());
    let split: Vec<&str> = if query.is_empty() {
        vec![]
    } else {
        query.split('&').collect()
    };
    assert_eq!(split.len(), pairs.len());
    assert!(split
        .windows(2)
        .all(|w| w[0].split_once('=') <= w[1].split_once('=')));
    // Upper-case hex only, as SigV4 requires.
    for out in [&encoded, &path, &query] {
        let b = out.as_bytes();
        for (i, _) in out.match_indices('%') {
            assert!(b[i + 1..i + 3]
                .iter()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        }
    }
    // Canonical headers: names lower-case and sorted, listed in `signed`.
    // Only valid names: `sign_query` refuses the rest before this step (an
    // empty name once made `signed` and `block` disagree here).
    let is_token = |n: &str| {
        !n.is_empty()
            && n.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
    };
    let valid: Vec<(&str, &str)> = pairs.iter().copied().filter(|(n, _)| is_token(n)).collect();
    let headers = canonical_headers(valid.iter().copied());
    let names: Vec<&str> = headers
        .signed
        .split(';')
        .filter(|n| !n.is_empty())
        .collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "{}", headers.signed);
    assert!(names
        .iter()
        .all(|n| !n.bytes().any(|c| c.is_ascii_uppercase())));
    assert_eq!(headers.block.lines().count(), names.len());
    // The signer itself on the same pairs, as query parameters and as
    // headers (the signable ones): its URL query is the canonical request's
    // query line plus the signature.
    let credentials = Credentials::new("AKIDFUZZONLY", "fuzz-only-secret", None).unwrap();
    let ctx = SigningContext {
        credentials: &credentials,
        region: "us-east-1",
        service: "s3",
        now: UtcTime::from_unix_seconds(NOW),
        expires: Expiry::from_seconds(300).unwrap(),
    };
    let signable: Vec<(&str, &str)> = valid
        .iter()
        .copied()
        .filter(|(_, v)| is_header_value(v))
        .collect();
    let uri = format!("/{path}");
    let req = QueryRequest {
        method: "PUT",
        host: "fuzz-bucket.s3.amazonaws.com",
        canonical_uri: &uri,
        query: &pairs,
        headers: &signable,
        payload: PayloadHash::Unsigned,
    };
    let signed = sign_query(&ctx, &req).unwrap();
    let query_line = signed.canonical_request.split('\n').nth(2).unwrap();
    assert_eq!(
        signed.query_string,
        format!("{query_line}&X-Amz-Signature={}", signed.signature)
    );
}
