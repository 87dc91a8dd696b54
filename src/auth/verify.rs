//! Clerk session-token verification, pure (SPEC §6).
//!
//! The order is fixed: size → parse → `alg` must be RS256 (hard-wired, the
//! token never chooses) → no `crit` → key by `kid` → **signature** → only then
//! the claims (`exp`, `nbf`, `iat`, `iss`, `azp`, `sts`, `sub`). The RSA check
//! itself sits behind [`SignatureVerifier`]: WebCrypto at the edge, a
//! pure-Rust implementation in the native tests.

use base64ct::{Base64UrlUnpadded, Encoding};
use std::borrow::Cow;

use crate::json::{self, Value};

use super::jwks::{KeySet, RsaPublicKey};
use super::AuthError;
use crate::time::UtcTime;

/// Tokens longer than this are refused before any parsing (SPEC §6).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The only algorithm accepted.
pub const ALGORITHM: &str = "RS256";

/// The claim rules, as data. `Default` is the SPEC's default configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRules {
    /// Expected `iss` (`CLERK_ISSUER`). `None` (default): not checked — the
    /// README tells operators to set it.
    pub issuer: Option<String>,
    /// Allowed `azp` origins (`CLERK_AUTHORIZED_PARTIES`). `None` (default):
    /// not checked; `Some`: `azp` must be present and equal one exactly.
    pub authorized_parties: Option<Vec<String>>,
    /// Leeway for `exp`, `nbf` and `iat` (`CLERK_CLOCK_SKEW_SECONDS`, default 5).
    pub leeway_seconds: u32,
}

impl Default for ClaimRules {
    fn default() -> Self {
        Self {
            issuer: None,
            authorized_parties: None,
            leeway_seconds: 5,
        }
    }
}

/// A Clerk user id: `[A-Za-z0-9_-]{1,128}`, safe as an object-key segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    /// # Errors
    /// [`AuthError::InvalidSubject`].
    pub fn new(sub: &str) -> Result<Self, AuthError> {
        let ok = (1..=128).contains(&sub.len())
            && sub
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(sub.to_owned()))
        } else {
            Err(AuthError::InvalidSubject)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A verified session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: UserId,
    /// The token's `exp`.
    pub expires_at: UtcTime,
}

/// Checks RSASSA-PKCS1-v1_5 / SHA-256 signatures.
#[allow(async_fn_in_trait)] // wasm is single-threaded: no Send bound wanted
pub trait SignatureVerifier {
    /// `true` iff `signature` is a valid RS256 signature of `message` by `key`.
    async fn verify_rs256(&self, key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool;
}

/// A token that parsed and names RS256, not yet trusted.
#[derive(Debug)]
pub struct ParsedToken<'a> {
    /// `header.payload`: what the signature covers.
    signed: &'a str,
    kid: Option<String>,
    /// The decoded payload; parsed as JSON only once the signature holds.
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl ParsedToken<'_> {
    /// The `kid` header.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

/// Size, structure, `alg` and `crit` checks (RFC 7515 compact form: three
/// base64url parts without padding; the header a JSON object).
///
/// Header fields that are present must have their registered types
/// (`kid`, `typ`, `jku`, `x5u`, `x5t`, `x5t#S256`: strings); `cty`, if
/// given, must be `JSON` (a nested token is not a session). `null` counts as
/// absent.
///
/// # Errors
/// [`AuthError::TokenTooLarge`], [`AuthError::Malformed`],
/// [`AuthError::UnsupportedAlgorithm`], [`AuthError::CriticalHeader`].
pub fn parse_token(token: &str) -> Result<ParsedToken<'_>, AuthError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::TokenTooLarge);
    }
    let (signed, signature) = token.rsplit_once('.').ok_or(AuthError::Malformed)?;
    let (header, payload) = signed.split_once('.').ok_or(AuthError::Malformed)?;
    if payload.contains('.') {
        return Err(AuthError::Malformed);
    }
    let decode = |part: &str| Base64UrlUnpadded::decode_vec(part).map_err(|_| AuthError::Malformed);
    let header = decode(header)?;
    let header = json_object(&header)?;
    let payload = decode(payload)?;
    let signature = decode(signature)?;

    let text = |name: &str| match header.field(name) {
        None => Ok(None),
        Some(value) => value.as_str().map(Some).ok_or(AuthError::Malformed),
    };
    let alg = text("alg")?.ok_or(AuthError::Malformed)?;
    let kid = text("kid")?.map(Cow::into_owned);
    for name in ["typ", "jku", "x5u", "x5t", "x5t#S256"] {
        text(name)?;
    }
    if text("cty")?.is_some_and(|cty| !cty.eq_ignore_ascii_case("json")) {
        return Err(AuthError::Malformed);
    }
    if alg != ALGORITHM {
        return Err(AuthError::UnsupportedAlgorithm);
    }
    if header.field("crit").is_some() {
        return Err(AuthError::CriticalHeader);
    }
    Ok(ParsedToken {
        signed,
        kid,
        payload,
        signature,
    })
}

/// Full verification of `token` against `keys` at `now`.
///
/// # Errors
/// Every [`AuthError`] but the extraction and availability ones.
pub async fn verify_token<V: SignatureVerifier>(
    token: &str,
    keys: &KeySet,
    verifier: &V,
    rules: &ClaimRules,
    now: UtcTime,
) -> Result<Session, AuthError> {
    let parsed = parse_token(token)?;
    let key = keys.find(parsed.kid()).ok_or(AuthError::UnknownKey)?;
    verify_parsed(&parsed, key, verifier, rules, now).await
}

/// Signature, then claims, for an already parsed token and its key.
///
/// # Errors
/// [`AuthError::BadSignature`] or a claim error.
pub async fn verify_parsed<V: SignatureVerifier>(
    parsed: &ParsedToken<'_>,
    key: &RsaPublicKey,
    verifier: &V,
    rules: &ClaimRules,
    now: UtcTime,
) -> Result<Session, AuthError> {
    if !verifier
        .verify_rs256(key, parsed.signed.as_bytes(), &parsed.signature)
        .await
    {
        return Err(AuthError::BadSignature);
    }
    let claims = json_object(&parsed.payload)?;
    check_claims(&claims, rules, now)
}

/// A JSON object whose every string is valid Unicode, or `Malformed`.
fn json_object(bytes: &[u8]) -> Result<Value<'_>, AuthError> {
    json::parse(bytes)
        .ok()
        .filter(|v| v.as_object().is_some() && v.strings_decode())
        .ok_or(AuthError::Malformed)
}

/// A registered time claim (RFC 7519 §2 NumericDate): absent or `null` is
/// `None`; a number is whole seconds (a fraction is dropped); anything else,
/// or a date past 9999, is malformed.
fn numeric_date(claims: &Value<'_>, name: &str) -> Result<Option<i64>, AuthError> {
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let Some(value) = claims.field(name) else {
        return Ok(None);
    };
    let seconds = match value {
        Value::Number(_) => value.as_i64().or_else(|| {
            value
                .as_f64()
                .filter(|f| f.is_finite() && f.abs() < 1e15)
                // |f| < 1e15: exact in i64; dropping the fraction is the rule.
                .map(|f| {
                    #[allow(clippy::cast_possible_truncation)]
                    let whole = f.trunc() as i64;
                    whole
                })
        }),
        _ => None,
    };
    seconds
        .filter(|s| (-MAX..=MAX).contains(s))
        .map(Some)
        .ok_or(AuthError::Malformed)
}

fn check_claims(
    claims: &Value<'_>,
    rules: &ClaimRules,
    now: UtcTime,
) -> Result<Session, AuthError> {
    // Seconds, in i64. Claimed dates are within ±year 9999, so `expiry +
    // leeway` cannot overflow; `now` is saturated in case of an absurd clock.
    let now = i64::try_from(now.unix_seconds()).unwrap_or(i64::MAX);
    let leeway = i64::from(rules.leeway_seconds);

    let expiry = numeric_date(claims, "exp")?.ok_or(AuthError::MissingExpiry)?;
    let not_before = numeric_date(claims, "nbf")?;
    let issued_at = numeric_date(claims, "iat")?;
    if now > expiry + leeway {
        return Err(AuthError::Expired);
    }
    let latest = now.saturating_add(leeway);
    if not_before.is_some_and(|nbf| nbf > latest) {
        return Err(AuthError::NotYetValid);
    }
    if issued_at.is_some_and(|iat| iat > latest) {
        return Err(AuthError::IssuedInFuture);
    }

    // Present (not `null`) claims; a wrong type is told apart from absence.
    let claim = |name: &str| claims.field(name);
    if let Some(expected) = &rules.issuer {
        match claim("iss").and_then(Value::as_str) {
            Some(iss) if iss == expected.as_str() => {}
            _ => return Err(AuthError::WrongIssuer),
        }
    }
    if let Some(parties) = &rules.authorized_parties {
        let azp = claim("azp")
            .ok_or(AuthError::MissingAuthorizedParty)?
            .as_str()
            .ok_or(AuthError::WrongAuthorizedParty)?;
        if !parties.iter().any(|p| *p == azp) {
            return Err(AuthError::WrongAuthorizedParty);
        }
    }
    if claim("sts").and_then(Value::as_str).as_deref() == Some("pending") {
        return Err(AuthError::PendingSession);
    }
    let sub = claim("sub")
        .ok_or(AuthError::MissingSubject)?
        .as_str()
        .ok_or(AuthError::InvalidSubject)?;
    Ok(Session {
        user_id: UserId::new(&sub)?,
        expires_at: UtcTime::from_unix_seconds(u64::try_from(expiry).unwrap_or(0)),
    })
}
