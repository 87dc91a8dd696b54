//! Query-string signing, the core every pre-signed URL goes through (docs/spec.md
//! §5) — the Worker's, the AWS vector tests', the property tests', the fuzz
//! target's and the benchmark's.
//!
//! [`sign_query`] is the general SigV4 algorithm and returns every
//! intermediate (canonical request, string to sign, signature) so the vector
//! tests can check each step; the actions (`actions/`) build S3 requests
//! with it.

use std::borrow::Cow;
use std::io::Write as _;

use super::canonical::{
    canonical_headers, encode, encode_into, is_header_name, is_header_value, sorted_query,
    COMPONENT,
};
use super::signing::{self, with_day_key, DayKey, ALGORITHM};
use super::target::is_valid_region;
use super::{Credentials, Expiry, SigV4Error};
use crate::time::UtcTime;

/// S3's SigV4 service name.
pub(crate) const SERVICE: &str = "s3";

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
    if !is_valid_region(ctx.region) {
        return Err(SigV4Error::InvalidRegion);
    }
    if !req
        .headers
        .iter()
        .all(|(name, value)| is_header_name(name) && is_header_value(value))
    {
        return Err(SigV4Error::InvalidHeader);
    }
    let mut amz_date = [0; 16];
    let amz_date = ctx.now.amz_date_into(&mut amz_date);
    let date_stamp = &amz_date[..8];
    Ok(with_day_key(
        ctx.credentials,
        date_stamp,
        ctx.region,
        ctx.service,
        |key| sign_with(key, ctx, req, amz_date),
    ))
}

/// [`sign_query`]'s steps, with the day's signing key.
fn sign_with(
    key: &DayKey<'_>,
    ctx: &SigningContext<'_>,
    req: &QueryRequest<'_>,
    amz_date: &str,
) -> SignedQuery {
    let headers =
        canonical_headers(std::iter::once(("host", req.host)).chain(req.headers.iter().copied()));
    let mut expires = [0; 10];
    let expires = decimal(ctx.expires.seconds(), &mut expires);
    let mut signed_headers = String::with_capacity(3 * headers.signed.len());
    encode_into(&mut signed_headers, &headers.signed, COMPONENT);
    let mut params: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::with_capacity(req.query.len() + 6);
    params.extend(
        req.query
            .iter()
            .map(|(name, value)| (encode(name, COMPONENT), encode(value, COMPONENT))),
    );
    // The `X-Amz-*` names, the algorithm, the date and the expiry are
    // unreserved characters only, and the memo keeps the credential encoded:
    // they are passed as they are instead of encoded again for every URL.
    params.extend([
        ("X-Amz-Algorithm".into(), ALGORITHM.into()),
        ("X-Amz-Credential".into(), key.credential_query().into()),
        ("X-Amz-Date".into(), amz_date.into()),
        ("X-Amz-Expires".into(), expires.into()),
        ("X-Amz-SignedHeaders".into(), signed_headers.into()),
    ]);
    if let Some(token) = ctx.credentials.session_token() {
        params.push(("X-Amz-Security-Token".into(), encode(token, COMPONENT)));
    }
    let mut query_string = sorted_query(params);
    let canonical_request = [
        req.method,
        req.canonical_uri,
        &query_string,
        &headers.block,
        &headers.signed,
        req.payload.as_str(),
    ]
    .join("\n");
    let string_to_sign = signing::string_to_sign(amz_date, key.scope(), &canonical_request);
    let signature = key.sign(&string_to_sign);
    query_string.push_str("&X-Amz-Signature=");
    query_string.push_str(&signature);
    SignedQuery {
        canonical_request,
        string_to_sign,
        signature,
        query_string,
    }
}

/// `n` in decimal, written into `buf` (no allocation).
fn decimal(n: u32, buf: &mut [u8; 10]) -> &str {
    let unused = {
        let mut rest = &mut buf[..];
        // Ten digits hold any u32: never an error.
        let _ = write!(rest, "{n}");
        rest.len()
    };
    std::str::from_utf8(&buf[..buf.len() - unused]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn pre_encoded_parameters_equal_encoding_them() {
        for token in [None, Some("tok/en+= ~x".to_owned())] {
            let creds = Credentials::new("AK+ID~1", "secret", token.clone()).unwrap();
            let ctx = SigningContext {
                credentials: &creds,
                region: "us-east-1",
                service: "my service/x",
                now: UtcTime::from_unix_seconds(1_795_600_800),
                expires: Expiry::from_seconds(300).unwrap(),
            };
            let req = QueryRequest {
                method: "PUT",
                host: "h",
                canonical_uri: "/k",
                query: &[("a b", "c/d")],
                headers: &[("x-amz-meta-!", "1")],
                payload: PayloadHash::Unsigned,
            };
            let signed = sign_query(&ctx, &req).unwrap();
            let query = signed.canonical_request.lines().nth(2).unwrap();
            let mut raw = vec![
                ("a b", "c/d"),
                ("X-Amz-Algorithm", ALGORITHM),
                (
                    "X-Amz-Credential",
                    "AK+ID~1/20261125/us-east-1/my service/x/aws4_request",
                ),
                ("X-Amz-Date", "20261125T100000Z"),
                ("X-Amz-Expires", "300"),
                ("X-Amz-SignedHeaders", "host;x-amz-meta-!"),
            ];
            if let Some(token) = &token {
                raw.push(("X-Amz-Security-Token", token));
            }
            assert_eq!(query, crate::sigv4::canonical::canonical_query(raw));
        }
    }
}
