//! A token's structure, header and signature (docs/spec.md §6), in that
//! order by type: [`ParsedToken::parse`] checks size, the three base64url
//! parts and the header; only [`ParsedToken::verify_signature`] turns it
//! into a [`VerifiedToken`], the only value whose claims can be read.
//!
//! jwt-compact's `UntrustedToken` splits and decodes the parts and reads the
//! header (its registered members with their types; `cty`, if given, must be
//! `JSON`). RS256 itself sits behind [`SignatureVerifier`] — WebCrypto at the
//! edge, the `rsa` crate in the native tests — because WebCrypto is
//! asynchronous and jwt-compact's `Algorithm` is not.

use jwt_compact::{Claims, UntrustedToken};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;

use super::jwks::RsaPublicKey;
use super::AuthError;

/// Tokens longer than this are refused before any parsing (docs/spec.md §6).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The only algorithm accepted; the token's `alg` never chooses.
pub const ALGORITHM: &str = "RS256";

/// The only `typ` a session token may carry (compared exactly; absent is fine).
pub const SESSION_TYPE: &str = "JWT";

/// The `cat` header values of Clerk session tokens (absent is fine). Clerk's
/// other tokens — M2M `cl_B7d4PD333AAA`, JWT templates `cl_B7d4PD222AAA` —
/// are signed with the same key and refused.
pub const SESSION_CATEGORIES: [&str; 2] = ["cl_B7d4PD111AAA", "cl_I7d4PD111III"];

/// Checks RSASSA-PKCS1-v1_5 / SHA-256 signatures.
#[allow(async_fn_in_trait)] // wasm is single-threaded: no Send bound wanted
pub trait SignatureVerifier {
    /// `true` iff `signature` is a valid RS256 signature of `message` by `key`.
    async fn verify_rs256(&self, key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool;
}

/// The header members jwt-compact leaves to us. `null` counts as absent.
#[derive(Debug, Deserialize)]
struct ClerkHeader {
    /// Clerk's token category.
    cat: Option<String>,
    /// Any value: we understand no extensions.
    crit: Option<IgnoredAny>,
}

/// A token whose structure and header passed, not yet trusted.
#[derive(Debug)]
pub struct ParsedToken<'a> {
    /// `header.payload`: what the signature covers.
    signed: &'a str,
    untrusted: UntrustedToken<'a, ClerkHeader>,
}

/// A token whose RS256 signature holds; its claims are not yet checked.
#[derive(Debug)]
pub struct VerifiedToken<'a> {
    untrusted: UntrustedToken<'a, ClerkHeader>,
}

impl<'a> ParsedToken<'a> {
    /// Size, structure, then the header: `alg` RS256, no `crit`, `typ`
    /// `JWT`, `cat` a session category.
    ///
    /// # Errors
    /// [`AuthError::TokenTooLarge`], [`AuthError::Malformed`] (also for a
    /// repeated header member or a lone surrogate),
    /// [`AuthError::UnsupportedAlgorithm`], [`AuthError::CriticalHeader`],
    /// [`AuthError::WrongTokenType`], [`AuthError::WrongTokenCategory`].
    pub fn parse(token: &'a str) -> Result<Self, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::TokenTooLarge);
        }
        let untrusted =
            UntrustedToken::<ClerkHeader>::try_from(token).map_err(|_| AuthError::Malformed)?;
        // Three parts, as the parse just established.
        let (signed, _) = token.rsplit_once('.').ok_or(AuthError::Malformed)?;
        if untrusted.algorithm() != ALGORITHM {
            return Err(AuthError::UnsupportedAlgorithm);
        }
        let header = untrusted.header();
        if header.other_fields.crit.is_some() {
            return Err(AuthError::CriticalHeader);
        }
        if header
            .token_type
            .as_deref()
            .is_some_and(|typ| typ != SESSION_TYPE)
        {
            return Err(AuthError::WrongTokenType);
        }
        if header
            .other_fields
            .cat
            .as_deref()
            .is_some_and(|cat| !SESSION_CATEGORIES.contains(&cat))
        {
            return Err(AuthError::WrongTokenCategory);
        }
        Ok(Self { signed, untrusted })
    }

    /// The `kid` header.
    pub fn kid(&self) -> Option<&str> {
        self.untrusted.header().key_id.as_deref()
    }

    /// RS256 over `header.payload` with `key`.
    ///
    /// # Errors
    /// [`AuthError::BadSignature`].
    pub async fn verify_signature<V: SignatureVerifier>(
        self,
        key: &RsaPublicKey,
        verifier: &V,
    ) -> Result<VerifiedToken<'a>, AuthError> {
        let valid = verifier
            .verify_rs256(
                key,
                self.signed.as_bytes(),
                self.untrusted.signature_bytes(),
            )
            .await;
        if valid {
            Ok(VerifiedToken {
                untrusted: self.untrusted,
            })
        } else {
            Err(AuthError::BadSignature)
        }
    }
}

impl VerifiedToken<'_> {
    /// The claims, read as `T` plus the NumericDates `exp`, `nbf`, `iat`.
    ///
    /// # Errors
    /// [`AuthError::Malformed`]: not a JSON object, a repeated member, a
    /// member of the wrong type (a NumericDate that is `null`, not a number,
    /// or outside chrono's dates), a lone surrogate.
    pub fn claims<T: DeserializeOwned>(&self) -> Result<Claims<T>, AuthError> {
        // Unchecked by jwt-compact, checked by us: this value exists only
        // after `verify_signature`.
        self.untrusted
            .deserialize_claims_unchecked()
            .map_err(|_| AuthError::Malformed)
    }
}
