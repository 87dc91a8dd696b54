//! Where an object lives: the S3 endpoint, region, bucket, key and
//! addressing style, and the object's URL (docs/spec.md §5).
//!
//! The URL's path is assembled from the key's percent-encoded segments
//! directly and is never handed to a URL parser: a parser would resolve `.`
//! and `..` segments and so sign one key while the URL names another. Keys
//! holding such segments are refused instead, because every HTTP client
//! (browsers, curl, fetch) resolves them before sending.

use std::fmt;

use url::{Host, Url};

use super::canonical::{encode_into, uri_encode_path, COMPONENT, PATH};
use super::SigV4Error;

/// Longest object key S3 accepts, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// An S3 API origin: `scheme://host[:port]`, host lower-cased, a default port
/// dropped (the `Host` header a client sends omits it, and `host` is signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: Scheme,
    host: String,
}

impl Endpoint {
    /// Parses `http(s)://host[:port]` with an optional trailing `/`, with the
    /// `url` crate.
    ///
    /// # Errors
    /// [`SigV4Error::InvalidEndpoint`] naming what is wrong (never echoing the input).
    pub fn parse(input: &str) -> Result<Self, SigV4Error> {
        let input = input.trim();
        // The URL parser drops tabs and newlines anywhere: refused instead.
        if input.bytes().any(|b| b.is_ascii_control()) {
            return Err(SigV4Error::InvalidEndpoint("invalid host name"));
        }
        let url = Url::parse(input).map_err(|e| {
            SigV4Error::InvalidEndpoint(match e {
                url::ParseError::InvalidPort => "port must be 1-65535",
                url::ParseError::RelativeUrlWithoutBase => "must start with http:// or https://",
                _ => "invalid host name",
            })
        })?;
        let scheme = match url.scheme() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            _ => {
                return Err(SigV4Error::InvalidEndpoint(
                    "must start with http:// or https://",
                ))
            }
        };
        if !url.username().is_empty()
            || url.password().is_some()
            || url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(SigV4Error::InvalidEndpoint(
                "must be scheme://host[:port] with no path, query or user info",
            ));
        }
        let host = match url.host() {
            Some(Host::Domain(name))
                if name.len() <= 253
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') =>
            {
                name.to_owned()
            }
            Some(Host::Ipv4(address)) => address.to_string(),
            Some(Host::Ipv6(address)) => format!("[{address}]"),
            _ => return Err(SigV4Error::InvalidEndpoint("invalid host name")),
        };
        // `port()` is `None` for the scheme's default port: the `Host`
        // header a client sends then omits it.
        let host = match url.port() {
            Some(0) => return Err(SigV4Error::InvalidEndpoint("port must be 1-65535")),
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        Ok(Self { scheme, host })
    }

    /// AWS's regional S3 endpoint, `https://s3.<region>.amazonaws.com`.
    pub fn aws(region: &Region) -> Self {
        Self {
            scheme: Scheme::Https,
            host: format!("s3.{}.amazonaws.com", region.as_str()),
        }
    }

    pub const fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `host[:port]`, exactly as the `Host` header carries it.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)
    }
}

/// A signing region: `us-east-1`, `eu-west-3`, `auto` (R2), …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region(String);

impl Region {
    /// # Errors
    /// [`SigV4Error::InvalidRegion`] unless `[a-z0-9-]{1,63}`.
    pub fn new(region: impl Into<String>) -> Result<Self, SigV4Error> {
        let region = region.into();
        if is_valid_region(&region) {
            Ok(Self(region))
        } else {
            Err(SigV4Error::InvalidRegion)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Region names as AWS and the S3-compatible stores spell them.
pub(crate) fn is_valid_region(region: &str) -> bool {
    (1..=63).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A bucket name by S3's rules: 3–63 characters of `a-z 0-9 . -`, starting and
/// ending with a letter or digit, no `..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket(String);

impl Bucket {
    /// # Errors
    /// [`SigV4Error::InvalidBucket`].
    pub fn new(name: impl Into<String>) -> Result<Self, SigV4Error> {
        let name = name.into();
        let b = name.as_bytes();
        let edge_ok =
            |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let valid = (3..=63).contains(&b.len())
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
            && edge_ok(b.first())
            && edge_ok(b.last())
            && !name.contains("..");
        if valid {
            Ok(Self(name))
        } else {
            Err(SigV4Error::InvalidBucket)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An object key that a URL path can carry unchanged: 1–1024 bytes, and no
/// `.` or `..` segment (HTTP clients would resolve those before sending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// # Errors
    /// [`SigV4Error::InvalidKey`].
    pub fn new(key: impl Into<String>) -> Result<Self, SigV4Error> {
        let key = key.into();
        if key.is_empty() {
            return Err(SigV4Error::InvalidKey("empty"));
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(SigV4Error::InvalidKey("longer than 1024 bytes"));
        }
        if has_dot_segment(&key) {
            return Err(SigV4Error::InvalidKey("contains a '.' or '..' segment"));
        }
        Ok(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key percent-encoded once per segment, `/` kept.
    pub fn encoded(&self) -> String {
        uri_encode_path(&self.0)
    }
}

/// Whether a `/`-separated segment of `key` is `.` or `..`. Only the dots
/// are looked at (one scan): this runs for every URL.
fn has_dot_segment(key: &str) -> bool {
    let b = key.as_bytes();
    let at = |i: usize| b.get(i).copied();
    let ends_segment = |i: usize| matches!(at(i), None | Some(b'/'));
    (0..b.len()).any(|i| {
        b[i] == b'.'
            && (i == 0 || b[i - 1] == b'/')
            && (ends_segment(i + 1) || (at(i + 1) == Some(b'.') && ends_segment(i + 2)))
    })
}

/// Where the bucket goes in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    /// `https://<bucket>.<endpoint host>/<key>` (AWS's default).
    VirtualHosted,
    /// `https://<endpoint host>/<bucket>/<key>` (R2, MinIO, local servers).
    Path,
}

/// HTTP methods an S3 object URL is signed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Put,
    Delete,
}

impl Method {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

/// A bucket on an S3 endpoint, with the region to sign for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Target {
    pub endpoint: Endpoint,
    pub region: Region,
    pub bucket: Bucket,
    pub addressing: Addressing,
}

impl S3Target {
    /// The `Host` the client will send.
    pub fn host(&self) -> String {
        let mut out = String::new();
        self.write_host(&mut out);
        out
    }

    /// [`Self::host`], appended to `out`.
    pub fn write_host(&self, out: &mut String) {
        if self.addressing == Addressing::VirtualHosted {
            out.push_str(self.bucket.as_str());
            out.push('.');
        }
        out.push_str(self.endpoint.host());
    }

    /// The encoded request path of `key`.
    pub fn object_path(&self, key: &ObjectKey) -> String {
        let mut out = String::new();
        self.write_object_path(key, &mut out);
        out
    }

    /// [`Self::object_path`], appended to `out`.
    pub fn write_object_path(&self, key: &ObjectKey, out: &mut String) {
        out.push('/');
        if self.addressing == Addressing::Path {
            encode_into(out, self.bucket.as_str(), COMPONENT);
            out.push('/');
        }
        encode_into(out, key.as_str(), PATH);
    }

    /// The object's unsigned URL.
    pub fn object_url(&self, key: &ObjectKey) -> String {
        format!(
            "{}://{}{}",
            self.endpoint.scheme().as_str(),
            self.host(),
            self.object_path(key)
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A target on bucket `my-bucket` in `us-east-1` (also used by the
    /// actions' tests).
    pub(crate) fn target(endpoint: &str, addressing: Addressing) -> S3Target {
        S3Target {
            endpoint: Endpoint::parse(endpoint).unwrap(),
            region: Region::new("us-east-1").unwrap(),
            bucket: Bucket::new("my-bucket").unwrap(),
            addressing,
        }
    }

    #[test]
    fn endpoint_parsing() {
        let e = Endpoint::parse("HTTPS://S3.Example.com/").unwrap();
        assert_eq!(e.to_string(), "https://s3.example.com");
        assert_eq!(Endpoint::parse("https://h:443").unwrap().host(), "h");
        assert_eq!(Endpoint::parse("http://h:80").unwrap().host(), "h");
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:9000").unwrap().host(),
            "127.0.0.1:9000"
        );
        assert_eq!(
            Endpoint::parse("http://[::1]:9000").unwrap().host(),
            "[::1]:9000"
        );
        for bad in [
            "s3.amazonaws.com",
            "ftp://h",
            "https://",
            "https://h/path",
            "https://h?x=1",
            "https://user@h",
            "https://h:0",
            "https://h:65536",
            "https://h:port",
            "https://h_x",
            "http://[::1",
            "https://h#x",
            "https://h?",
            "https://:pw@h",
            "https://h\n.example",
            // Non-ASCII hosts: idna_adapter's ASCII-only backend refuses them.
            "https://bücket.example",
            "https://xn--bcket-kva.example\u{3002}com",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn aws_default_endpoint() {
        let e = Endpoint::aws(&Region::new("eu-west-3").unwrap());
        assert_eq!(e.to_string(), "https://s3.eu-west-3.amazonaws.com");
    }

    #[test]
    fn bucket_rules() {
        for ok in ["abc", "my-bucket", "my.bucket.1", &"a".repeat(63)] {
            assert!(Bucket::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "My-Bucket",
            "-abc",
            "abc-",
            "a..b",
            "a_b",
            &"a".repeat(64),
            "a b",
        ] {
            assert!(Bucket::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_rules() {
        assert!(ObjectKey::new("a/b c/é+=.png").is_ok());
        assert!(ObjectKey::new("a/...").is_ok());
        for ok in [".a", "a.", "a/.b/c", "a/..b", "/", "a//b", "/x", "..../a"] {
            assert!(ObjectKey::new(ok).is_ok(), "{ok}");
        }
        assert!(ObjectKey::new("k".repeat(1024)).is_ok());
        assert!(ObjectKey::new("k".repeat(1025)).is_err());
        for bad in [
            "", ".", "..", "a/../b", "a/./b", "a/..", "../a", "./a", "a/.", "a//./b",
        ] {
            assert!(ObjectKey::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_encode_each_segment_once() {
        let key = ObjectKey::new("user-uploads/u_1/profile/my photo+1=é&%.png").unwrap();
        let t = target("https://s3.example.com", Addressing::VirtualHosted);
        assert_eq!(
            t.object_url(&key),
            "https://my-bucket.s3.example.com/user-uploads/u_1/profile/my%20photo%2B1%3D%C3%A9%26%25.png"
        );
        let t = target("http://127.0.0.1:9000", Addressing::Path);
        assert_eq!(
            t.object_url(&key),
            "http://127.0.0.1:9000/my-bucket/user-uploads/u_1/profile/my%20photo%2B1%3D%C3%A9%26%25.png"
        );
    }

    #[test]
    fn percent_lookalike_of_dot_segment_stays_literal() {
        // `%2e%2e` would be a dot segment to a URL parser; encoded once more
        // it is an ordinary segment named "%2e%2e".
        let key = ObjectKey::new("p/u/%2e%2e/x.png").unwrap();
        assert_eq!(key.encoded(), "p/u/%252e%252e/x.png");
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
