//! The PUT action (docs/spec.md §5): a pre-signed URL for one object, with
//! the headers the upload must send bound into its signature.

use crate::sigv4::query::{sign_query, PayloadHash, QueryRequest, SigningContext, SERVICE};
use crate::sigv4::{Credentials, Expiry, Method, ObjectKey, S3Target, SigV4Error};
use crate::time::UtcTime;

/// A pre-signed URL and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedUrl {
    pub url: String,
    /// `X-Amz-Date`.
    pub signed_at: UtcTime,
    /// `X-Amz-Date` + `X-Amz-Expires`.
    pub expires_at: UtcTime,
}

impl S3Target {
    /// Pre-signs `method` on `key`, binding `headers` (e.g. `content-type`,
    /// `content-length`) into the signature: S3 then refuses a request whose
    /// values differ. The payload is `UNSIGNED-PAYLOAD`; no checksum
    /// parameters are added (R2 rejects the empty-body checksum some SDKs add).
    ///
    /// # Errors
    /// [`SigV4Error::InvalidHeader`] for an unsignable header or one named
    /// `host` (always signed, from the target); [`SigV4Error::TimeOutOfRange`].
    pub fn presign(
        &self,
        credentials: &Credentials,
        method: Method,
        key: &ObjectKey,
        headers: &[(&str, &str)],
        expires: Expiry,
        now: UtcTime,
    ) -> Result<PresignedUrl, SigV4Error> {
        if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            return Err(SigV4Error::InvalidHeader);
        }
        let expires_at = now
            .checked_add_seconds(u64::from(expires.seconds()))
            .ok_or(SigV4Error::TimeOutOfRange)?;
        let ctx = SigningContext {
            credentials,
            region: self.region.as_str(),
            service: SERVICE,
            now,
            expires,
        };
        // One buffer: `scheme://host/path` first, signed with the host and
        // path read in place, then `?` and the query appended.
        let (scheme, host, bucket) = (
            self.endpoint.scheme().as_str(),
            self.endpoint.host(),
            self.bucket.as_str(),
        );
        let mut url = String::with_capacity(
            scheme.len() + 2 * bucket.len() + host.len() + 3 * key.as_str().len() + 500,
        );
        url.push_str(scheme);
        url.push_str("://");
        let host_start = url.len();
        self.write_host(&mut url);
        let path_start = url.len();
        self.write_object_path(key, &mut url);
        let signed = sign_query(
            &ctx,
            &QueryRequest {
                method: method.as_str(),
                host: &url[host_start..path_start],
                canonical_uri: &url[path_start..],
                query: &[],
                headers,
                payload: PayloadHash::Unsigned,
            },
        )?;
        url.push('?');
        url.push_str(&signed.query_string);
        Ok(PresignedUrl {
            url,
            signed_at: now,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::target::tests::target;
    use crate::sigv4::Addressing;

    /// Pre-signs a PUT of key `k` on a path-style target.
    fn presign_put(
        creds: &Credentials,
        headers: &[(&str, &str)],
        ttl: u64,
        now: u64,
    ) -> Result<PresignedUrl, SigV4Error> {
        target("https://s3.example.com", Addressing::Path).presign(
            creds,
            Method::Put,
            &ObjectKey::new("k").unwrap(),
            headers,
            Expiry::from_seconds(ttl).unwrap(),
            UtcTime::from_unix_seconds(now),
        )
    }

    fn creds() -> Credentials {
        Credentials::new("AKID", "secret", None).unwrap()
    }

    #[test]
    fn host_header_cannot_be_overridden() {
        let err = presign_put(&creds(), &[("Host", "evil.example")], 60, 0).unwrap_err();
        assert_eq!(err, SigV4Error::InvalidHeader);
    }

    #[test]
    fn expiry_past_year_9999_is_refused() {
        let err = presign_put(&creds(), &[], 604_800, u64::MAX).unwrap_err();
        assert_eq!(err, SigV4Error::TimeOutOfRange);
    }

    #[test]
    fn url_carries_signed_headers_expiry_and_no_checksum() {
        // 2026-11-25T10:00:00Z
        let url = presign_put(
            &creds(),
            &[("Content-Type", "image/jpeg"), ("Content-Length", "48213")],
            300,
            1_795_600_800,
        )
        .unwrap();
        assert!(url
            .url
            .starts_with("https://s3.example.com/my-bucket/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
        assert!(url
            .url
            .contains("&X-Amz-Credential=AKID%2F20261125%2Fus-east-1%2Fs3%2Faws4_request&"));
        assert!(url
            .url
            .contains("&X-Amz-Date=20261125T100000Z&X-Amz-Expires=300&"));
        assert!(url.url.contains(
            "&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost&X-Amz-Signature="
        ));
        assert!(!url.url.contains("x-amz-checksum") && !url.url.contains("X-Amz-Content-Sha256"));
        assert!(!url.url.contains("X-Amz-Security-Token"));
        assert_eq!(url.signed_at.rfc3339(), "2026-11-25T10:00:00Z");
        assert_eq!(url.expires_at.rfc3339(), "2026-11-25T10:05:00Z");
    }

    #[test]
    fn session_token_is_signed_into_the_url() {
        let with_token = Credentials::new("AKID", "secret", Some("tok/en+=".into())).unwrap();
        let url = presign_put(&with_token, &[("content-type", "image/png")], 60, 0).unwrap();
        assert!(url.url.contains("&X-Amz-Security-Token=tok%2Fen%2B%3D&"));
        let without = presign_put(&creds(), &[("content-type", "image/png")], 60, 0).unwrap();
        let sig = |u: &str| u.rsplit_once("X-Amz-Signature=").unwrap().1.to_owned();
        assert_ne!(sig(&url.url), sig(&without.url));
    }
}
