//! The presigner against a real S3 server that verifies SigV4: s3s-fs 0.14.1,
//! started here on a free loopback port with an access key and secret.
//!
//! Each scenario signs URLs with the project's presigner and sends requests
//! with a minimal HTTP/1.1 client over a raw socket, so the request carries
//! exactly the headers the test chooses (a library client may add or
//! normalise some). "Accepted" means 200 and the bytes on disk equal the bytes
//! sent; "refused" means 403 and no object written.
//!
//! s3s-fs is installed by `scripts/test.sh`; if it is missing these tests fail
//! (they never skip). `S3S_FS_BIN` overrides where it is looked for.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use upload_signer::sigv4::{
    Addressing, Bucket, Credentials, Endpoint, Expiry, Method, ObjectKey, Region, S3Target,
};
use upload_signer::time::UtcTime;

const ACCESS_KEY: &str = "AKIDTESTONLY0000";
/// Test-only secret for the throwaway server this file starts.
const SECRET_KEY: &str = "test-only-secret-for-s3s-fs/+abc";
const BUCKET: &str = "uploads-test";
/// Virtual-hosted requests need a domain for s3s-fs to strip the bucket from.
/// s3s compares the whole `Host` header, port included, so the server is
/// started with `--domain s3.localhost:<port>`.
const DOMAIN: &str = "s3.localhost";

fn s3s_fs_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("S3S_FS_BIN") {
        return PathBuf::from(bin);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(bin) = cargo_home
        .map(|h| h.join("bin/s3s-fs"))
        .filter(|p| p.exists())
    {
        return bin;
    }
    PathBuf::from("s3s-fs")
}

/// A running s3s-fs with its own data directory; killed and removed on drop.
struct S3Server {
    child: Child,
    port: u16,
    root: PathBuf,
}

impl S3Server {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let root =
            std::env::temp_dir().join(format!("upload-signer-s3s-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join(BUCKET)).unwrap();
        let bin = s3s_fs_binary();
        let mut child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .args(["--domain", &format!("{DOMAIN}:{port}")])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start s3s-fs ({}): {e}; scripts/test.sh installs it \
                     (cargo install s3s-fs --version 0.14.1 --features binary --locked)",
                    bin.display()
                )
            });
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("s3s-fs exited early: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "s3s-fs did not listen within 15 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port, root }
    }

    fn endpoint(&self, addressing: Addressing) -> Endpoint {
        let host = match addressing {
            Addressing::Path => "127.0.0.1",
            Addressing::VirtualHosted => DOMAIN,
        };
        Endpoint::parse(&format!("http://{host}:{}", self.port)).unwrap()
    }

    fn stored(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.root.join(BUCKET).join(key)).ok()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A response: status and raw body text.
struct Reply {
    status: u16,
    body: String,
}

/// Sends one request to `url` over 127.0.0.1:`port` (the URL's host goes in
/// the `Host` header, so `bucket.s3.localhost` needs no DNS). Adds only
/// `Host`, `Content-Length` (unless given) and `Connection: close`.
fn send(port: u16, method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, target) = rest.split_at(rest.find('/').expect("path"));
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in headers {
        let _ = write!(req, "{name}: {value}\r\n");
    }
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        let _ = write!(req, "Content-Length: {}\r\n", body.len());
    }
    req.push_str("Connection: close\r\n\r\n");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(req.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    // A server may reset the connection after answering a request whose body
    // it refused to read; what was received is still the answer.
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in reply: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Reply { status, body }
}

fn now() -> UtcTime {
    UtcTime::from_unix_seconds(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
}

fn creds() -> Credentials {
    Credentials::new(ACCESS_KEY, SECRET_KEY, None).unwrap()
}

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
