//! Pre-signed POST forms (docs/spec.md §11) against a real S3 server that
//! verifies POST policies: s3s-fs 0.14.1 (`tests/support/s3s.rs`).
//!
//! The forms come from the signing route's own code (body validation, then
//! `signed_upload`), for every type of the default policy, with and without
//! `size`, path-style and virtual-hosted. Accepted: a 2xx and the bytes on
//! disk equal the file sent. Refused: a 4xx and no object anywhere in the
//! bucket's directory.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/s3s.rs"]
mod s3s;

use base64ct::{Base64, Encoding};
use serde_json::Value;

use s3s::{now, send, Reply, S3Server, ACCESS_KEY, BUCKET, DOMAIN, SECRET_KEY};
use upload_signer::auth::verify::UserId;
use upload_signer::config::{storage_config, StorageConfig};
use upload_signer::time::UtcTime;
use upload_signer::upload::{signed_upload, validate, Policy};

const MIB: usize = 1024 * 1024;

struct Store {
    server: S3Server,
    storage: StorageConfig,
}

impl Store {
    fn new(path_style: bool) -> Self {
        let server = S3Server::start();
        let host = if path_style { "127.0.0.1" } else { DOMAIN };
        let endpoint = format!("http://{host}:{}", server.port);
        let pairs = [
            ("S3_BUCKET", BUCKET),
            ("S3_ACCESS_KEY_ID", ACCESS_KEY),
            ("S3_SECRET_ACCESS_KEY", SECRET_KEY),
            ("S3_ENDPOINT", endpoint.as_str()),
            (
                "S3_FORCE_PATH_STYLE",
                if path_style { "true" } else { "false" },
            ),
        ];
        let storage = storage_config(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .unwrap();
        Self { server, storage }
    }

    /// The route's POST answer for `body`, signed at `at`.
    fn form(&self, body: &str, at: UtcTime) -> Value {
        let upload = validate(body.as_bytes(), &Policy::default()).unwrap();
        let user = UserId::new("user_2abc").unwrap();
        let resp = signed_upload(&upload, &user, &self.storage, at, None).unwrap();
        let json: Value = serde_json::from_str(&resp.body).unwrap();
        assert_eq!(json["data"]["method"], "POST");
        json["data"].clone()
    }

    /// Posts `fields` (in order) and then `file` as `multipart/form-data`.
    fn post(&self, url: &str, fields: &[(String, String)], file: &[u8]) -> Reply {
        let boundary = "----upload-signer-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        send(
            self.server.port,
            "POST",
            url,
            &[("Content-Type", content_type.as_str())],
            &body,
        )
    }

    /// Every object in the bucket's directory.
    fn objects(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, base, out);
                } else {
                    out.push(path.strip_prefix(base).unwrap().display().to_string());
                }
            }
        }
        let base = self.server.root.join(BUCKET);
        let mut out = Vec::new();
        walk(&base, &base, &mut out);
        // s3s-fs keeps its own metadata beside objects.
        out.retain(|p| !p.contains(".s3s"));
        out
    }

    fn assert_accepted(&self, reply: &Reply, key: &str, file: &[u8]) {
        assert!(
            (200..300).contains(&reply.status),
            "expected acceptance of {key}, got {}: {}",
            reply.status,
            reply.body
        );
        assert_eq!(
            self.server.stored(key).map(|b| b.len()),
            Some(file.len()),
            "stored length of {key}"
        );
        assert!(
            self.server.stored(key).unwrap() == file,
            "stored bytes of {key}"
        );
    }

    fn assert_refused(&self, reply: &Reply, what: &str) {
        assert!(
            (400..500).contains(&reply.status),
            "{what}: expected a refusal, got {}: {}",
            reply.status,
            reply.body
        );
        assert_eq!(
            self.objects(),
            Vec::<String>::new(),
            "{what}: nothing stored"
        );
    }
}

fn fields(data: &Value) -> Vec<(String, String)> {
    data["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

fn with(fields: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}

/// A file of `len` bytes that starts like `ext`'s format.
fn file(ext: &str, len: usize) -> Vec<u8> {
    let magic: &[u8] = match ext {
        "pdf" => b"%PDF-1.7\n",
        _ => b"\x89PNG\r\n\x1a\n",
    };
    let mut out = magic.to_vec();
    out.resize(len, b'x');
    out
}

const TYPES: [(&str, &str, usize); 6] = [
    ("profile", "png", 5 * MIB),
    ("repo", "png", 5 * MIB),
    ("company", "png", 5 * MIB),
    ("institution", "png", 5 * MIB),
    ("project", "png", 5 * MIB),
    ("resume", "pdf", 10 * MIB),
];

/// Every type, with and without `size`: inside the range stored byte for
/// byte; one byte over the type's limit, or another length than a signed
/// `size`, refused.
fn round_trips(path_style: bool) {
    for (type_name, ext, limit) in TYPES {
        let store = Store::new(path_style);
        let name = format!("{type_name} upload.{ext}");

        // Without size: the policy allows 1 byte to the type's limit.
        let body = format!(r#"{{"type":"{type_name}","fileName":"{name}","method":"POST"}}"#);
        let data = store.form(&body, now());
        let url = data["url"].as_str().unwrap().to_owned();
        let key = data["key"].as_str().unwrap().to_owned();
        let over = file(ext, limit + 1);
        store.assert_refused(
            &store.post(&url, &fields(&data), &over),
            &format!("{type_name}: one byte over the limit"),
        );
        store.assert_refused(
            &store.post(&url, &fields(&data), b""),
            &format!("{type_name}: empty file"),
        );
        let at_limit = file(ext, limit);
        store.assert_accepted(
            &store.post(&url, &fields(&data), &at_limit),
            &key,
            &at_limit,
        );

        // With size: exactly that length.
        let store = Store::new(path_style);
        let small = file(ext, 2048);
        let body = format!(
            r#"{{"type":"{type_name}","fileName":"{name}","size":{},"method":"POST"}}"#,
            small.len()
        );
        let data = store.form(&body, now());
        let url = data["url"].as_str().unwrap().to_owned();
        store.assert_refused(
            &store.post(&url, &fields(&data), &small[..small.len() - 1]),
            &format!("{type_name}: shorter than the signed size"),
        );
        store.assert_refused(
            &store.post(&url, &fields(&data), &file(ext, small.len() + 1)),
            &format!("{type_name}: longer than the signed size"),
        );
        store.assert_accepted(&store.post(&url, &fields(&data), &small), &key, &small);
    }
}

#[test]
fn path_style_round_trips_for_every_type() {
    round_trips(true);
}

#[test]
fn virtual_hosted_round_trips_for_every_type() {
    round_trips(false);
}

/// Tampering with the form is refused and stores nothing.
#[test]
fn tampered_forms_are_refused() {
    let store = Store::new(true);
    let body = r#"{"type":"profile","fileName":"avatar.png","method":"POST"}"#;
    let data = store.form(body, now());
    let url = data["url"].as_str().unwrap().to_owned();
    let f = fields(&data);
    let png = file("png", 4096);

    store.assert_refused(
        &store.post(&url, &with(&f, "Content-Type", "image/svg+xml"), &png),
        "another Content-Type",
    );
    store.assert_refused(
        &store.post(
            &url,
            &with(&f, "key", "user-uploads/user_other/profile/avatar.png"),
            &png,
        ),
        "another key",
    );
    // The policy re-encoded with a larger range: the signature no longer fits.
    let policy = f.iter().find(|(k, _)| k == "policy").unwrap().1.clone();
    let text = String::from_utf8(Base64::decode_vec(&policy).unwrap()).unwrap();
    let widened = text.replace("5242880", "5368709120");
    assert_ne!(widened, text);
    store.assert_refused(
        &store.post(
            &url,
            &with(&f, "policy", &Base64::encode_string(widened.as_bytes())),
            &png,
        ),
        "altered policy",
    );
    let sig = f
        .iter()
        .find(|(k, _)| k == "x-amz-signature")
        .unwrap()
        .1
        .clone();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { '1' } else { '0' },
        &sig[1..]
    );
    store.assert_refused(
        &store.post(&url, &with(&f, "x-amz-signature", &flipped), &png),
        "flipped signature",
    );

    // Expired: signed 10 minutes ago for the default 300 s.
    let long_ago = UtcTime::from_unix_seconds(now().unix_seconds() - 600);
    let stale = store.form(body, long_ago);
    store.assert_refused(&store.post(&url, &fields(&stale), &png), "expired policy");

    // And the untouched form still works after all that.
    let key = data["key"].as_str().unwrap();
    store.assert_accepted(&store.post(&url, &f, &png), key, &png);
}
