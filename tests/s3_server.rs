//! The presigner against a real S3 server that verifies SigV4: s3s-fs 0.14.1,
//! started here on a free loopback port with an access key and secret.
//!
//! Each scenario signs URLs with the project's presigner and sends requests
//! with a minimal HTTP/1.1 client over a raw socket, so the request carries
//! exactly the headers the test chooses (a library client may add or
//! normalise some). "Accepted" means 200 and the bytes on disk equal the bytes
//! sent; "refused" means 403 and no object written.
//!
//! The server and the client live in `tests/support/s3s.rs`.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/s3s.rs"]
mod s3s;

use s3s::{creds, now, send, Reply, S3Server, ACCESS_KEY, BUCKET, SECRET_KEY};
use upload_signer::sigv4::{
    Addressing, Bucket, Credentials, Expiry, Method, ObjectKey, Region, S3Target,
};
use upload_signer::time::UtcTime;

/// One store configuration: addressing style and signing region.
struct Scenario {
    server: S3Server,
    target: S3Target,
}

impl Scenario {
    fn new(addressing: Addressing, region: &str) -> Self {
        let server = S3Server::start();
        let target = S3Target {
            endpoint: server.endpoint(addressing),
            region: Region::new(region).unwrap(),
            bucket: Bucket::new(BUCKET).unwrap(),
            addressing,
        };
        Self { server, target }
    }

    fn presign_put(
        &self,
        creds: &Credentials,
        key: &str,
        headers: &[(&str, &str)],
        ttl: u64,
        at: UtcTime,
    ) -> String {
        self.target
            .presign(
                creds,
                Method::Put,
                &ObjectKey::new(key).unwrap(),
                headers,
                Expiry::from_seconds(ttl).unwrap(),
                at,
            )
            .unwrap()
            .url
    }

    fn put(&self, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        send(self.server.port, "PUT", url, headers, body)
    }

    fn assert_accepted(&self, reply: &Reply, key: &str, body: &[u8]) {
        assert_eq!(
            reply.status, 200,
            "expected acceptance of {key}: {}",
            reply.body
        );
        assert_eq!(
            self.server.stored(key).as_deref(),
            Some(body),
            "stored bytes of {key}"
        );
    }

    fn assert_refused(&self, reply: &Reply, key: &str, what: &str) {
        assert_eq!(
            reply.status, 403,
            "{what}: expected 403, got {}: {}",
            reply.status, reply.body
        );
        assert_eq!(
            self.server.stored(key),
            None,
            "{what}: object {key} must not exist"
        );
    }

    /// Every acceptance and refusal the issue lists, for this configuration.
    fn run_all(&self) {
        let creds = creds();
        let png = b"\x89PNG\r\n\x1a\n fake image bytes for the test";

        // Accepted: content type signed; keys with spaces, reserved characters,
        // non-ASCII letters and an upper-case extension.
        for key in [
            "user-uploads/user_2abc/profile/avatar.jpg",
            "user-uploads/user_2abc/profile/my photo (1).png",
            "user-uploads/user_2abc/resume/résumé Ünïcödé 名前.pdf",
            "user-uploads/user_2abc/project/a+b=c&d%e;f,g'h!@$.png",
            "user-uploads/user_2abc/company/LOGO.PNG",
        ] {
            let headers = [("Content-Type", "image/png")];
            let url = self.presign_put(&creds, key, &headers, 300, now());
            let reply = self.put(&url, &headers, png);
            self.assert_accepted(&reply, key, png);
        }

        // Accepted: content type and length signed, the exact length sent.
        let key = "user-uploads/user_2abc/profile/sized.png";
        let len = png.len().to_string();
        let signed = [
            ("Content-Type", "image/png"),
            ("Content-Length", len.as_str()),
        ];
        let url = self.presign_put(&creds, key, &signed, 300, now());
        self.assert_accepted(&self.put(&url, &signed, png), key, png);

        // Accepted: signed a little while ago and still inside its lifetime.
        let key = "user-uploads/user_2abc/profile/recent.png";
        let headers = [("Content-Type", "image/png")];
        let earlier = UtcTime::from_unix_seconds(now().unix_seconds() - 60);
        let url = self.presign_put(&creds, key, &headers, 300, earlier);
        self.assert_accepted(&self.put(&url, &headers, png), key, png);

        // Refused: a different content type than signed.
        let key = "user-uploads/user_2abc/profile/ct.png";
        let url = self.presign_put(&creds, key, &headers, 300, now());
        let reply = self.put(&url, &[("Content-Type", "image/svg+xml")], png);
        self.assert_refused(&reply, key, "other content type");

        // Refused: no content type at all.
        let reply = self.put(&url, &[], png);
        self.assert_refused(&reply, key, "missing content type");

        // Refused: a different length than the signed one (longer and shorter).
        let key = "user-uploads/user_2abc/profile/len.png";
        let url = self.presign_put(&creds, key, &signed, 300, now());
        let mut longer = png.to_vec();
        longer.extend_from_slice(b"+extra");
        self.assert_refused(&self.put(&url, &headers, &longer), key, "longer body");
        self.assert_refused(&self.put(&url, &headers, &png[..4]), key, "shorter body");

        // Refused: the URL's key changed (into another user's folder).
        let key = "user-uploads/user_2abc/profile/mine.png";
        let other = "user-uploads/user_other/profile/mine.png";
        let url = self.presign_put(&creds, key, &headers, 300, now());
        let tampered = url.replacen("user_2abc", "user_other", 1);
        assert_ne!(tampered, url);
        self.assert_refused(&self.put(&tampered, &headers, png), other, "changed key");

        // Refused: expiry raised in the URL.
        let key = "user-uploads/user_2abc/profile/expiry.png";
        let url = self.presign_put(&creds, key, &headers, 300, now());
        let tampered = url.replace("X-Amz-Expires=300", "X-Amz-Expires=604800");
        assert_ne!(tampered, url);
        self.assert_refused(&self.put(&tampered, &headers, png), key, "raised expiry");

        // Refused: an extra query parameter.
        let tampered = format!("{url}&x-id=PutObject");
        self.assert_refused(
            &self.put(&tampered, &headers, png),
            key,
            "extra query parameter",
        );

        // Refused: signature flipped in one hex digit.
        let sig_at = url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
        let mut flipped = url.clone().into_bytes();
        flipped[sig_at] = if flipped[sig_at] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        self.assert_refused(&self.put(&flipped, &headers, png), key, "flipped signature");

        // Refused: signed with a wrong secret.
        let wrong = Credentials::new(ACCESS_KEY, "not-the-secret", None).unwrap();
        let url = self.presign_put(&wrong, key, &headers, 300, now());
        self.assert_refused(&self.put(&url, &headers, png), key, "wrong secret");

        // Refused: an access key the server does not know.
        let unknown = Credentials::new("AKIDUNKNOWN", SECRET_KEY, None).unwrap();
        let url = self.presign_put(&unknown, key, &headers, 300, now());
        self.assert_refused(&self.put(&url, &headers, png), key, "unknown access key");

        // Refused: used after expiry (signed 10 minutes ago for 60 s).
        let long_ago = UtcTime::from_unix_seconds(now().unix_seconds() - 600);
        let url = self.presign_put(&creds, key, &headers, 60, long_ago);
        self.assert_refused(&self.put(&url, &headers, png), key, "expired URL");

        // Refused: a PUT URL used for GET of an existing object.
        let existing = "user-uploads/user_2abc/profile/avatar.jpg";
        let url = self.presign_put(&creds, existing, &headers, 300, now());
        let reply = send(self.server.port, "GET", &url, &headers, b"");
        assert_eq!(reply.status, 403, "GET with a PUT URL: {}", reply.body);
    }
}

#[test]
fn virtual_hosted_us_east_1() {
    Scenario::new(Addressing::VirtualHosted, "us-east-1").run_all();
}

#[test]
fn path_style_us_east_1() {
    Scenario::new(Addressing::Path, "us-east-1").run_all();
}

#[test]
fn path_style_region_auto() {
    Scenario::new(Addressing::Path, "auto").run_all();
}

#[test]
fn virtual_hosted_region_auto() {
    Scenario::new(Addressing::VirtualHosted, "auto").run_all();
}

/// The server really checks signatures: an unsigned PUT is refused. Guards
/// against a server started without keys, which would accept everything and
/// make every test above pass vacuously.
#[test]
fn server_refuses_unsigned_requests() {
    let server = S3Server::start();
    let url = format!("http://127.0.0.1:{}/{BUCKET}/anonymous.png", server.port);
    let reply = send(
        server.port,
        "PUT",
        &url,
        &[("Content-Type", "image/png")],
        b"x",
    );
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert_eq!(server.stored("anonymous.png"), None);
}
