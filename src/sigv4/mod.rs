//! AWS Signature Version 4, query-string ("pre-signed URL") form — pure.
//!
//! No clock, no I/O: the caller passes the credentials, the request parts and
//! `now`. [`sign_query`] is the general algorithm (tested step by step against
//! the published AWS vectors); [`presign`] builds S3 object URLs on top of it
//! (SPEC §5).
//!
//! - [`canonical`]: URI encoding, canonical query and headers
//! - [`signing`]: string to sign, signing key, signature
//! - [`presign`]: endpoints, buckets, keys, addressing style, the final URL
//! - [`post_policy`]: the pre-signed POST form and its policy

pub mod canonical;
pub mod post_policy;
pub mod presign;
pub mod signing;

use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::fmt;
use std::ops::Range;
use zeroize::Zeroizing;

use crate::time::UtcTime;

pub use post_policy::{PostUpload, PresignedPost};
pub use presign::{
    Addressing, Bucket, Endpoint, Method, ObjectKey, PresignedUrl, Region, S3Target, Scheme,
};

/// Everything the signer refuses, each a distinct variant so callers can map
/// it without parsing text. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigV4Error {
    /// `X-Amz-Expires` outside 1–604800 seconds (S3's limit is 7 days).
    ExpiryOutOfRange { seconds: u64 },
    /// The access key id is empty or contains characters that would corrupt
    /// the credential scope (`/`, whitespace, controls).
    InvalidAccessKeyId,
    /// The secret access key is empty.
    EmptySecretAccessKey,
    /// The session token is empty or contains control characters.
    InvalidSessionToken,
    /// The region is not `[a-z0-9-]{1,63}` (e.g. `us-east-1`, `auto`).
    InvalidRegion,
    /// The endpoint is not `http(s)://host[:port]` with nothing after it.
    InvalidEndpoint(&'static str),
    /// The bucket name breaks S3's naming rules.
    InvalidBucket,
    /// The object key cannot be carried faithfully in a URL path.
    InvalidKey(&'static str),
    /// A header name is not an HTTP token, or a value holds control characters.
    InvalidHeader,
    /// Signing time plus expiry is past the representable range.
    TimeOutOfRange,
    /// [`append_signed_query`] was given a host or path range outside its
    /// URL, or a URL that does not end with the path and `?`.
    UrlPartsOutOfRange,
}

impl fmt::Display for SigV4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ExpiryOutOfRange { seconds } => write!(
                f,
                "expiry of {seconds} s is outside {}..={} s",
                Expiry::MIN_SECONDS,
                Expiry::MAX_SECONDS
            ),
            Self::InvalidAccessKeyId => f.write_str("access key id is empty or malformed"),
            Self::EmptySecretAccessKey => f.write_str("secret access key is empty"),
            Self::InvalidSessionToken => f.write_str("session token is empty or malformed"),
            Self::InvalidRegion => {
                f.write_str("region must be 1-63 characters of a-z, 0-9 and '-'")
            }
            Self::InvalidEndpoint(why) => write!(f, "invalid endpoint: {why}"),
            Self::InvalidBucket => f.write_str("bucket name breaks S3 naming rules"),
            Self::InvalidKey(why) => write!(f, "invalid object key: {why}"),
            Self::InvalidHeader => f.write_str("header name or value cannot be signed"),
            Self::TimeOutOfRange => f.write_str("expiry time is out of range"),
            Self::UrlPartsOutOfRange => f.write_str("host or path is not where the URL has them"),
        }
    }
}

impl std::error::Error for SigV4Error {}

/// Signing credentials. The secret and the session token never appear in
/// `Debug` output and the secret is wiped from memory on drop.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<String>,
}

impl Credentials {
    /// Validated credentials.
    ///
    /// # Errors
    /// [`SigV4Error::InvalidAccessKeyId`], [`SigV4Error::EmptySecretAccessKey`]
    /// or [`SigV4Error::InvalidSessionToken`].
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Result<Self, SigV4Error> {
        let access_key_id = access_key_id.into();
        let secret_access_key = Zeroizing::new(secret_access_key.into());
        if access_key_id.is_empty()
            || access_key_id
                .bytes()
                .any(|b| b == b'/' || !b.is_ascii_graphic())
        {
            return Err(SigV4Error::InvalidAccessKeyId);
        }
        if secret_access_key.is_empty() {
            return Err(SigV4Error::EmptySecretAccessKey);
        }
        if let Some(token) = &session_token {
            if token.is_empty() || token.bytes().any(|b| b.is_ascii_control()) {
                return Err(SigV4Error::InvalidSessionToken);
            }
        }
        Ok(Self {
            access_key_id,
            secret_access_key,
            session_token,
        })
    }

    /// The public half, safe to show.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub(crate) fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    pub(crate) fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A URL lifetime S3 accepts: 1 second to 7 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expiry(u32);

impl Expiry {
    pub const MIN_SECONDS: u64 = 1;
    /// 7 days: the longest `X-Amz-Expires` S3 honours.
    pub const MAX_SECONDS: u64 = 604_800;

    /// # Errors
    /// [`SigV4Error::ExpiryOutOfRange`] outside 1–604800.
    pub fn from_seconds(seconds: u64) -> Result<Self, SigV4Error> {
        if (Self::MIN_SECONDS..=Self::MAX_SECONDS).contains(&seconds) {
            // In range, so it fits a u32.
            u32::try_from(seconds)
                .map(Self)
                .map_err(|_| SigV4Error::ExpiryOutOfRange { seconds })
        } else {
            Err(SigV4Error::ExpiryOutOfRange { seconds })
        }
    }

    pub const fn seconds(self) -> u32 {
        self.0
    }
}

/// What the canonical request states about the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadHash<'a> {
    /// `UNSIGNED-PAYLOAD`: what S3 pre-signed URLs use; the body is bound by
    /// the signed `content-length` (when given) instead.
    Unsigned,
    /// The hex SHA-256 of a known body.
    Sha256Hex(&'a str),
}

impl PayloadHash<'_> {
    pub const fn as_str(&self) -> &str {
        match self {
            Self::Unsigned => "UNSIGNED-PAYLOAD",
            Self::Sha256Hex(h) => h,
        }
    }
}

/// Who signs, where and when.
#[derive(Debug, Clone, Copy)]
pub struct SigningContext<'a> {
    pub credentials: &'a Credentials,
    pub region: &'a str,
    /// `s3` for S3; the generic AWS vectors use `service`.
    pub service: &'a str,
    pub now: UtcTime,
    pub expires: Expiry,
}

/// The request to pre-sign, already in wire form.
#[derive(Debug, Clone, Copy)]
pub struct QueryRequest<'a> {
    pub method: &'a str,
    /// The `Host` header value (lower-case host, `:port` only if not default).
    pub host: &'a str,
    /// The path exactly as it will be sent, already percent-encoded.
    pub canonical_uri: &'a str,
    /// Query parameters other than the `X-Amz-*` ones, not yet encoded.
    pub query: &'a [(&'a str, &'a str)],
    /// Headers to sign besides `host`, as the client will send them.
    pub headers: &'a [(&'a str, &'a str)],
    pub payload: PayloadHash<'a>,
}

/// Every intermediate of a signature, for the step-by-step vector tests and
/// for building the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedQuery {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
    /// The canonical query string plus `&X-Amz-Signature=…`: the URL's query.
    pub query_string: String,
}

/// Signs `req` in query-string form (the general SigV4 algorithm).
///
/// # Errors
/// [`SigV4Error::InvalidHeader`] for a header name that is not an HTTP token
/// or a value with control characters; [`SigV4Error::InvalidRegion`].
pub fn sign_query(
    ctx: &SigningContext<'_>,
    req: &QueryRequest<'_>,
) -> Result<SignedQuery, SigV4Error> {
    check_inputs(ctx.region, req.headers)?;
    let amz_date = ctx.now.amz_date();
    let date_stamp = &amz_date[..8];
    let scope = signing::credential_scope(date_stamp, ctx.region, ctx.service);
    let headers = canonical::canonical_headers(
        std::iter::once(("host", req.host)).chain(req.headers.iter().copied()),
    );
    let expires = ctx.expires.seconds().to_string();
    let auth = AuthParams {
        access_key_id: ctx.credentials.access_key_id(),
        scope: &scope,
        scope_query: None,
        amz_date: &amz_date,
        expires: &expires,
        session_token: ctx.credentials.session_token(),
        signed_headers: &headers.signed,
    };
    let mut query = if req.query.is_empty() {
        auth.sorted_query()
    } else {
        let credential = format!("{}/{scope}", auth.access_key_id);
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(req.query.len() + 6);
        params.extend_from_slice(req.query);
        params.extend(auth.pairs(&credential));
        canonical::canonical_query(params)
    };

    let payload = req.payload.as_str();
    let mut canonical_request = String::with_capacity(
        req.method.len()
            + req.canonical_uri.len()
            + query.len()
            + headers.block.len()
            + headers.signed.len()
            + payload.len()
            + 5,
    );
    for (i, part) in [
        req.method,
        req.canonical_uri,
        &query,
        &headers.block,
        &headers.signed,
        payload,
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            canonical_request.push('\n');
        }
        canonical_request.push_str(part);
    }
    let string_to_sign = signing::string_to_sign(&amz_date, &scope, &canonical_request);
    let signature = signing::signature_cached(
        ctx.credentials.secret_access_key(),
        date_stamp,
        ctx.region,
        ctx.service,
        &string_to_sign,
    );
    query.reserve(17 + signature.len());
    query.push_str("&X-Amz-Signature=");
    query.push_str(&signature);
    let query_string = query;
    Ok(SignedQuery {
        canonical_request,
        string_to_sign,
        signature,
        query_string,
    })
}

fn check_inputs(region: &str, headers: &[(&str, &str)]) -> Result<(), SigV4Error> {
    if !is_valid_region(region) {
        return Err(SigV4Error::InvalidRegion);
    }
    for (name, value) in headers {
        if !is_header_name(name) || !is_header_value(value) {
            return Err(SigV4Error::InvalidHeader);
        }
    }
    Ok(())
}

/// A request whose `Host` value and encoded path are already written into the
/// URL being built, which ends with the path and `?` (`scheme://host/path?`),
/// for [`append_signed_query`].
#[derive(Debug, Clone)]
pub struct UrlRequest<'a> {
    pub method: &'a str,
    /// Where the `Host` value sits in the URL.
    pub host: Range<usize>,
    /// Where the percent-encoded path sits in the URL.
    pub path: Range<usize>,
    /// Query parameters other than the `X-Amz-*` ones, not yet encoded.
    pub query: &'a [(&'a str, &'a str)],
    /// Headers to sign besides `host`, as the client will send them.
    pub headers: &'a [(&'a str, &'a str)],
    pub payload: PayloadHash<'a>,
}

/// Appends [`sign_query`]'s `query_string` to `url`, without building the
/// intermediates: the canonical request is hashed as it is produced, the
/// string to sign goes straight into the keyed HMAC, and the query and the
/// signature are written into the URL itself. This is the path every
/// pre-signed URL takes; the AWS vector tests check that it gives exactly
/// [`sign_query`]'s result.
///
/// # Errors
/// As [`sign_query`], plus [`SigV4Error::UrlPartsOutOfRange`] when `req.host`
/// is not a range of `url`, or `url` does not end with `req.path` and `?`.
pub fn append_signed_query(
    ctx: &SigningContext<'_>,
    req: &UrlRequest<'_>,
    url: &mut String,
) -> Result<(), SigV4Error> {
    check_inputs(ctx.region, req.headers)?;
    if url.get(req.host.clone()).is_none()
        || url.get(req.path.clone()).is_none()
        || req.path.end + 1 != url.len()
        || !url.ends_with('?')
    {
        return Err(SigV4Error::UrlPartsOutOfRange);
    }
    let amz_date = ctx.now.amz_date_bytes();
    let amz_date = amz_date.as_str();
    let date_stamp = &amz_date[..8];
    let headers = canonical::HeaderLines::new(req.headers, &url[req.host.clone()]);
    let mut expires = [0u8; 10];
    let expires = canonical::u32_decimal(ctx.expires.seconds(), &mut expires);
    let mut signature = [0u8; 64];
    let secret = ctx.credentials.secret_access_key();
    signing::with_day_key(secret, date_stamp, ctx.region, ctx.service, |key| {
        with_scratch(|buf| {
            // The signed-headers list goes first in the buffer: the query
            // and then the canonical request read it from there.
            headers.write_signed_names(buf);
            let names_len = buf.len();
            let auth = AuthParams {
                access_key_id: ctx.credentials.access_key_id(),
                scope: key.scope(),
                scope_query: Some(key.scope_query()),
                amz_date,
                expires,
                session_token: ctx.credentials.session_token(),
                // Header names are ASCII tokens: never the empty fallback.
                signed_headers: std::str::from_utf8(buf).unwrap_or_default(),
            };
            if req.query.is_empty() {
                auth.write_sorted_query(url);
            } else {
                let credential = format!("{}/{}", auth.access_key_id, auth.scope);
                let mut params: Vec<(&str, &str)> = Vec::with_capacity(req.query.len() + 6);
                params.extend_from_slice(req.query);
                params.extend(auth.pairs(&credential));
                url.push_str(&canonical::canonical_query(params));
            }
            // The canonical request, hashed in one call. The path, `?` and
            // the query are one run of the URL: copied at once, `?` made a
            // newline.
            let start = buf.len();
            buf.extend_from_slice(req.method.as_bytes());
            buf.push(b'\n');
            let at = buf.len();
            buf.extend_from_slice(&url.as_bytes()[req.path.start..]);
            buf[at + req.path.len()] = b'\n';
            buf.push(b'\n');
            headers.write_block(&url[req.host.clone()], buf);
            buf.push(b'\n');
            buf.extend_from_within(..names_len);
            buf.push(b'\n');
            buf.extend_from_slice(req.payload.as_str().as_bytes());
            let request_hash: [u8; 32] = Sha256::digest(&buf[start..]).into();
            // The string to sign, in the same buffer.
            buf.clear();
            for part in [signing::ALGORITHM, amz_date, key.scope()] {
                buf.extend_from_slice(part.as_bytes());
                buf.push(b'\n');
            }
            let at = buf.len();
            buf.resize(at + 64, 0);
            signing::hex_into(&request_hash, &mut buf[at..]);
            key.sign_into(buf, 0, &mut signature);
        });
    });
    url.push_str("&X-Amz-Signature=");
    url.push_str(std::str::from_utf8(&signature).unwrap_or_default());
    Ok(())
}

thread_local! {
    /// A buffer reused for every URL's canonical request and string to sign:
    /// each is then hashed in one call instead of in ~25 small updates.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on the (cleared) scratch buffer; on a fresh one if it is in use.
fn with_scratch<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            f(&mut buf)
        }
        Err(_) => f(&mut Vec::new()),
    })
}

/// The `X-Amz-*` parameters of a pre-signed URL (all but the signature).
struct AuthParams<'a> {
    access_key_id: &'a str,
    scope: &'a str,
    /// `scope` already encoded, when known.
    scope_query: Option<&'a str>,
    amz_date: &'a str,
    expires: &'a str,
    session_token: Option<&'a str>,
    signed_headers: &'a str,
}

impl<'a> AuthParams<'a> {
    /// As (name, value) pairs, for merging with other query parameters.
    fn pairs(&self, credential: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        [
            ("X-Amz-Algorithm", signing::ALGORITHM),
            ("X-Amz-Credential", credential),
            ("X-Amz-Date", self.amz_date),
            ("X-Amz-Expires", self.expires),
            ("X-Amz-SignedHeaders", self.signed_headers),
        ]
        .into_iter()
        .chain(self.session_token.map(|t| ("X-Amz-Security-Token", t)))
    }

    /// The canonical query when these are the only parameters — every S3
    /// presign. Their names need no encoding and their sorted order is
    /// fixed (`Algorithm` < `Credential` < `Date` < `Expires` <
    /// `Security-Token` < `SignedHeaders`), so they are written straight into
    /// one buffer instead of encoded, collected and sorted.
    fn sorted_query(&self) -> String {
        let mut q = String::new();
        self.write_sorted_query(&mut q);
        q
    }

    /// [`Self::sorted_query`], appended to `q`.
    fn write_sorted_query(&self, q: &mut String) {
        let token_len = self.session_token.map_or(0, str::len);
        q.reserve(
            160 + 3
                * (self.access_key_id.len()
                    + self.scope.len()
                    + token_len
                    + self.signed_headers.len()),
        );
        q.push_str("X-Amz-Algorithm=");
        q.push_str(signing::ALGORITHM);
        q.push_str("&X-Amz-Credential=");
        canonical::uri_encode_into(q, self.access_key_id, false);
        q.push_str("%2F");
        match self.scope_query {
            Some(encoded) => q.push_str(encoded),
            None => canonical::uri_encode_into(q, self.scope, false),
        }
        q.push_str("&X-Amz-Date=");
        // `YYYYMMDDTHHMMSSZ`: nothing to escape.
        q.push_str(self.amz_date);
        q.push_str("&X-Amz-Expires=");
        q.push_str(self.expires);
        if let Some(token) = self.session_token {
            q.push_str("&X-Amz-Security-Token=");
            canonical::uri_encode_into(q, token, false);
        }
        q.push_str("&X-Amz-SignedHeaders=");
        canonical::uri_encode_into(q, self.signed_headers, false);
    }
}

/// Region names as AWS and the S3-compatible stores spell them.
pub(crate) fn is_valid_region(region: &str) -> bool {
    (1..=63).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// RFC 9110 token characters, by byte.
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        #[allow(clippy::cast_possible_truncation)] // i < 256
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        i += 1;
    }
    t
};

/// RFC 9110 token characters.
fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| TOKEN[usize::from(b)])
}

/// Visible characters, spaces and tabs; no CR, LF or other controls (which
/// could not be sent, or would split the header).
fn is_header_value(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || !b.is_ascii_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_bounds() {
        assert_eq!(
            Expiry::from_seconds(0),
            Err(SigV4Error::ExpiryOutOfRange { seconds: 0 })
        );
        assert_eq!(Expiry::from_seconds(1).map(Expiry::seconds), Ok(1));
        assert_eq!(
            Expiry::from_seconds(604_800).map(Expiry::seconds),
            Ok(604_800)
        );
        assert_eq!(
            Expiry::from_seconds(604_801),
            Err(SigV4Error::ExpiryOutOfRange { seconds: 604_801 })
        );
        assert!(Expiry::from_seconds(u64::MAX).is_err());
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let c = Credentials::new("AKID", "very-secret", Some("tok-secret".into())).unwrap();
        let dbg = format!("{c:?}");
        assert!(dbg.contains("AKID"));
        assert!(!dbg.contains("very-secret"));
        assert!(!dbg.contains("tok-secret"));
    }

    #[test]
    fn credentials_validation() {
        assert_eq!(
            Credentials::new("", "s", None).unwrap_err(),
            SigV4Error::InvalidAccessKeyId
        );
        assert_eq!(
            Credentials::new("AK/ID", "s", None).unwrap_err(),
            SigV4Error::InvalidAccessKeyId
        );
        assert_eq!(
            Credentials::new("AKID", "", None).unwrap_err(),
            SigV4Error::EmptySecretAccessKey
        );
        assert_eq!(
            Credentials::new("AKID", "s", Some(String::new())).unwrap_err(),
            SigV4Error::InvalidSessionToken
        );
    }

    #[test]
    fn header_injection_is_refused() {
        let creds = Credentials::new("AKID", "secret", None).unwrap();
        let ctx = SigningContext {
            credentials: &creds,
            region: "us-east-1",
            service: "s3",
            now: UtcTime::from_unix_seconds(0),
            expires: Expiry::from_seconds(60).unwrap(),
        };
        for headers in [
            &[("content-type", "image/png\r\nx-evil: 1")][..],
            &[("content type", "image/png")][..],
            &[("", "x")][..],
        ] {
            let req = QueryRequest {
                method: "PUT",
                host: "h",
                canonical_uri: "/k",
                query: &[],
                headers,
                payload: PayloadHash::Unsigned,
            };
            assert_eq!(sign_query(&ctx, &req), Err(SigV4Error::InvalidHeader));
        }
    }

    #[test]
    fn fast_query_equals_the_general_canonical_query() {
        for token in [
            None,
            Some("tok/en+= ~x"),
            Some("AQoDYXdzEPT//////////wEXAMPLE=="),
        ] {
            for key_id in ["AKIDEXAMPLE", "a~b_c-d.e"] {
                let auth = AuthParams {
                    access_key_id: key_id,
                    scope: "20261125/us-east-1/s3/aws4_request",
                    scope_query: None,
                    amz_date: "20261125T100000Z",
                    expires: "300",
                    session_token: token,
                    signed_headers: "content-length;content-type;host",
                };
                let credential = format!("{key_id}/{}", auth.scope);
                assert_eq!(
                    auth.sorted_query(),
                    canonical::canonical_query(auth.pairs(&credential)),
                    "{token:?} {key_id}"
                );
            }
        }
    }

    #[test]
    fn region_validation() {
        assert!(is_valid_region("us-east-1"));
        assert!(is_valid_region("auto"));
        assert!(!is_valid_region(""));
        assert!(!is_valid_region("US-EAST-1"));
        assert!(!is_valid_region("us/east"));
    }
}
