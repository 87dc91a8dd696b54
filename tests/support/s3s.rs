//! A real S3 server that verifies SigV4 and POST policies, for the tests:
//! s3s-fs 0.14.1 started on a free loopback port with an access key and
//! secret, and a minimal HTTP/1.1 client over a raw socket, so a request
//! carries exactly the headers a test chooses (a library client may add or
//! normalise some).
//!
//! s3s-fs is installed by `scripts/test.sh`; if it is missing the tests fail
//! (they never skip). `S3S_FS_BIN` overrides where it is looked for.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use upload_signer::sigv4::{Addressing, Credentials, Endpoint};
use upload_signer::time::UtcTime;

pub(crate) const ACCESS_KEY: &str = "AKIDTESTONLY0000";
/// Test-only secret for the throwaway server this file starts.
pub(crate) const SECRET_KEY: &str = "test-only-secret-for-s3s-fs/+abc";
pub(crate) const BUCKET: &str = "uploads-test";
/// Virtual-hosted requests need a domain for s3s-fs to strip the bucket from.
/// s3s compares the whole `Host` header, port included, so the server is
/// started with `--domain s3.localhost:<port>`.
pub(crate) const DOMAIN: &str = "s3.localhost";

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
pub(crate) struct S3Server {
    child: Child,
    pub(crate) port: u16,
    pub(crate) root: PathBuf,
}

impl S3Server {
    pub(crate) fn start() -> Self {
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

    pub(crate) fn endpoint(&self, addressing: Addressing) -> Endpoint {
        let host = match addressing {
            Addressing::Path => "127.0.0.1",
            Addressing::VirtualHosted => DOMAIN,
        };
        Endpoint::parse(&format!("http://{host}:{}", self.port)).unwrap()
    }

    pub(crate) fn stored(&self, key: &str) -> Option<Vec<u8>> {
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
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: String,
}

/// Sends one request to `url` over 127.0.0.1:`port` (the URL's host goes in
/// the `Host` header, so `bucket.s3.localhost` needs no DNS). Adds only
/// `Host`, `Content-Length` (unless given) and `Connection: close`.
pub(crate) fn send(
    port: u16,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, target) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let target = if target.is_empty() { "/" } else { target };
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

pub(crate) fn now() -> UtcTime {
    UtcTime::from_unix_seconds(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
}

pub(crate) fn creds() -> Credentials {
    Credentials::new(ACCESS_KEY, SECRET_KEY, None).unwrap()
}
