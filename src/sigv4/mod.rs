//! AWS Signature Version 4, query-string ("pre-signed URL") form — pure
//! (docs/spec.md §5).
//!
//! No clock, no I/O: the caller passes the credentials, the request parts and
//! `now`.
//!
//! - [`credentials`]: the key pair and session token
//! - [`target`]: endpoints, regions, buckets, keys, addressing style, object URLs
//! - [`canonical`]: URI encoding, canonical query and headers
//! - [`signing`]: string to sign, signing key (memoized), signature
//! - [`query`]: the query signer every URL goes through, [`sign_query`]
//! - [`actions`]: one file per S3 action — the PUT URL, the POST form

pub mod actions;
pub mod canonical;
pub mod credentials;
pub mod query;
pub mod signing;
pub mod target;

use std::fmt;

pub use actions::post_object::{PostUpload, PresignedPost};
pub use actions::put_object::PresignedUrl;
pub use credentials::Credentials;
pub use query::{sign_query, PayloadHash, QueryRequest, SignedQuery, SigningContext};
pub use target::{Addressing, Bucket, Endpoint, Method, ObjectKey, Region, S3Target, Scheme};

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
        }
    }
}

impl std::error::Error for SigV4Error {}

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
}
