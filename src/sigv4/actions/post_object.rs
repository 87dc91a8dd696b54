//! The POST action (docs/spec.md §11): the pre-signed form: a browser-based upload
//! whose SigV4 POST policy binds the bucket, the exact key, the exact
//! `Content-Type`, a `content-length-range` and the `x-amz-*` fields, and
//! expires with the form. The policy is JSON written by serde_json; its
//! signature is the hex HMAC-SHA256 of the Base64 policy under the same
//! signing key as the URLs (date, region, `s3`).

use std::ops::RangeInclusive;

use base64ct::{Base64, Encoding};
use serde_json::json;

use crate::sigv4::query::SERVICE;
use crate::sigv4::target::{Addressing, ObjectKey, S3Target};
use crate::sigv4::{signing, Credentials, Expiry, SigV4Error};
use crate::time::UtcTime;

/// What the form may upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostUpload<'a> {
    pub key: &'a ObjectKey,
    pub content_type: &'a str,
    /// `content-length-range`, bytes, inclusive.
    pub length: RangeInclusive<u64>,
}

/// A signed form: where to send it and every field it must carry, in the
/// order they go into the `multipart/form-data` body (the file goes last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPost {
    /// The bucket's URL.
    pub url: String,
    pub fields: Vec<(&'static str, String)>,
    /// The policy's `expiration`.
    pub expires_at: UtcTime,
}

/// The signature of a Base64 policy: hex HMAC-SHA256 under the signing key
/// of `date_stamp` (`YYYYMMDD`), `region` and `s3` — the same memoized key
/// the URLs are signed with.
pub fn policy_signature(
    credentials: &Credentials,
    date_stamp: &str,
    region: &str,
    policy_base64: &str,
) -> String {
    signing::with_day_key(credentials, date_stamp, region, SERVICE, |key| {
        key.sign(policy_base64)
    })
}

impl S3Target {
    /// The bucket's URL, where forms are posted: `<endpoint>/<bucket>` path
    /// style, `<scheme>://<bucket>.<host>` virtual-hosted.
    pub fn bucket_url(&self) -> String {
        let scheme = self.endpoint.scheme().as_str();
        match self.addressing {
            Addressing::VirtualHosted => format!("{scheme}://{}", self.host()),
            Addressing::Path => format!(
                "{scheme}://{}/{}",
                self.endpoint.host(),
                self.bucket.as_str()
            ),
        }
    }

    /// Signs a POST form for `upload`, valid for `expires` from `now`.
    ///
    /// # Errors
    /// [`SigV4Error::InvalidHeader`] for a `Content-Type` with control
    /// characters or an empty length range; [`SigV4Error::TimeOutOfRange`].
    pub fn presign_post(
        &self,
        credentials: &Credentials,
        upload: &PostUpload<'_>,
        expires: Expiry,
        now: UtcTime,
    ) -> Result<PresignedPost, SigV4Error> {
        if upload.content_type.bytes().any(|b| b.is_ascii_control()) || upload.length.is_empty() {
            return Err(SigV4Error::InvalidHeader);
        }
        let expires_at = now
            .checked_add_seconds(u64::from(expires.seconds()))
            .ok_or(SigV4Error::TimeOutOfRange)?;
        let date_stamp = now.date_stamp();
        let region = self.region.as_str();
        let credential = format!(
            "{}/{}",
            credentials.access_key_id(),
            signing::credential_scope(&date_stamp, region, SERVICE)
        );
        let mut amz: Vec<(&'static str, String)> = vec![
            ("x-amz-algorithm", signing::ALGORITHM.to_owned()),
            ("x-amz-credential", credential),
            ("x-amz-date", now.amz_date()),
        ];
        if let Some(token) = credentials.session_token() {
            amz.push(("x-amz-security-token", token.to_owned()));
        }
        let mut conditions = vec![
            json!({ "bucket": self.bucket.as_str() }),
            json!({ "key": upload.key.as_str() }),
            json!({ "Content-Type": upload.content_type }),
            json!([
                "content-length-range",
                upload.length.start(),
                upload.length.end()
            ]),
        ];
        conditions.extend(amz.iter().map(|(name, value)| json!({ *name: value })));
        let policy = json!({
            "expiration": expires_at.rfc3339(),
            "conditions": conditions,
        })
        .to_string();
        let policy = Base64::encode_string(policy.as_bytes());
        let signature = policy_signature(credentials, &date_stamp, region, &policy);
        let mut fields = vec![
            ("key", upload.key.as_str().to_owned()),
            ("Content-Type", upload.content_type.to_owned()),
            ("policy", policy),
        ];
        fields.extend(amz);
        fields.push(("x-amz-signature", signature));
        Ok(PresignedPost {
            url: self.bucket_url(),
            fields,
            expires_at,
        })
    }
}
