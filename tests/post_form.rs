//! The pre-signed POST form (docs/spec.md §11): its signature against the
//! S3 documentation's POST example, and the signing route's POST answer —
//! every field, the policy's conditions, the signature recomputed.
//! (That s3s-fs accepts and refuses these forms is `tests/s3_post.rs`.)

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64ct::{Base64, Encoding};
use serde_json::{json, Value};

use upload_signer::auth::verify::UserId;
use upload_signer::config::{storage_config, StorageConfig};
use upload_signer::sigv4::actions::post_object::policy_signature;
use upload_signer::sigv4::Credentials;
use upload_signer::time::UtcTime;
use upload_signer::upload::{signed_upload, validate, Policy, UploadId};

const NOW: u64 = 1_795_600_800; // 2026-11-25T10:00:00Z

fn vector() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/sigv4/s3-docs-post-policy.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn s3_docs_post_example() {
    let v = vector();
    let s = |k: &str| v[k].as_str().unwrap().to_owned();
    // Step 1: the string to sign is the policy's Base64.
    assert_eq!(
        Base64::encode_string(s("policy").as_bytes()),
        s("policy_base64")
    );
    // Step 2: hex HMAC-SHA256 under the signing key of the credential's scope.
    let creds = Credentials::new(s("access_key_id"), s("secret_access_key"), None).unwrap();
    assert_eq!(
        format!(
            "{}/{}/{}/s3/aws4_request",
            s("access_key_id"),
            s("date"),
            s("region")
        ),
        s("credential")
    );
    assert_eq!(
        policy_signature(&creds, &s("date"), &s("region"), &s("policy_base64")),
        s("signature")
    );
    // Any other date, region or policy byte gives another signature.
    assert_ne!(
        policy_signature(&creds, "20151230", &s("region"), &s("policy_base64")),
        s("signature")
    );
    let mut altered = s("policy_base64");
    altered.replace_range(0..1, "f");
    assert_ne!(
        policy_signature(&creds, &s("date"), &s("region"), &altered),
        s("signature")
    );
}

fn storage(extra: &[(&str, &str)]) -> StorageConfig {
    let mut pairs = vec![
        ("S3_BUCKET", "uploads"),
        ("S3_ACCESS_KEY_ID", "AKID"),
        ("S3_SECRET_ACCESS_KEY", "secret"),
        ("S3_REGION", "eu-west-3"),
    ];
    pairs.extend_from_slice(extra);
    storage_config(|name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    })
    .unwrap()
}

/// The POST answer for `body`, and its decoded policy.
fn post(body: &Value, extra: &[(&str, &str)], id: Option<&UploadId>) -> (Value, Value) {
    let upload = validate(body.to_string().as_bytes(), &Policy::default()).unwrap();
    let user = UserId::new("user_2abc").unwrap();
    let resp = signed_upload(
        &upload,
        &user,
        &storage(extra),
        UtcTime::from_unix_seconds(NOW),
        id,
    )
    .unwrap();
    assert_eq!(resp.status, 200);
    let json: Value = serde_json::from_str(&resp.body).unwrap();
    let policy = Base64::decode_vec(json["data"]["fields"]["policy"].as_str().unwrap()).unwrap();
    (json, serde_json::from_slice(&policy).unwrap())
}

#[test]
fn post_answer_without_size_bounds_by_the_type_limit() {
    let (json, policy) = post(
        &json!({"type": "profile", "fileName": "avatar.png", "method": "POST"}),
        &[],
        None,
    );
    let data = &json["data"];
    let key = "user-uploads/user_2abc/profile/avatar.png";
    assert_eq!(json["status"], "success");
    assert_eq!(data["method"], "POST");
    assert_eq!(data["url"], "https://uploads.s3.eu-west-3.amazonaws.com");
    assert_eq!(data["headers"], json!({}));
    assert_eq!(data["key"], key);
    assert_eq!(
        data["link"],
        format!("https://uploads.s3.eu-west-3.amazonaws.com/{key}").as_str()
    );
    assert_eq!(data["expiresIn"], 300);
    assert_eq!(data["expiresAt"], "2026-11-25T10:05:00Z");
    let fields = data["fields"].as_object().unwrap();
    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "Content-Type",
            "key",
            "policy",
            "x-amz-algorithm",
            "x-amz-credential",
            "x-amz-date",
            "x-amz-signature"
        ]
    );
    assert_eq!(fields["key"], key);
    assert_eq!(fields["Content-Type"], "image/png");
    assert_eq!(fields["x-amz-algorithm"], "AWS4-HMAC-SHA256");
    assert_eq!(
        fields["x-amz-credential"],
        "AKID/20261125/eu-west-3/s3/aws4_request"
    );
    assert_eq!(fields["x-amz-date"], "20261125T100000Z");
    assert_eq!(
        policy,
        json!({
            "expiration": "2026-11-25T10:05:00Z",
            "conditions": [
                {"bucket": "uploads"},
                {"key": key},
                {"Content-Type": "image/png"},
                ["content-length-range", 1, 5 * 1024 * 1024],
                {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                {"x-amz-credential": "AKID/20261125/eu-west-3/s3/aws4_request"},
                {"x-amz-date": "20261125T100000Z"},
            ]
        })
    );
    let creds = Credentials::new("AKID", "secret", None).unwrap();
    assert_eq!(
        fields["x-amz-signature"],
        policy_signature(
            &creds,
            "20261125",
            "eu-west-3",
            fields["policy"].as_str().unwrap()
        )
        .as_str()
    );
}

#[test]
fn post_answer_with_size_path_style_token_and_unique_key() {
    let id = UploadId::from_bytes([9; 16]);
    let policy_table =
        r#"{"types": {"resume": {"extensions": ["pdf"], "maxBytes": 100, "uniqueKeys": true}}}"#;
    let upload = validate(
        br#"{"type":"resume","fileName":"cv.pdf","size":42,"method":"POST"}"#,
        &Policy::from_json(policy_table).unwrap(),
    )
    .unwrap();
    let storage = storage(&[
        ("S3_ENDPOINT", "http://127.0.0.1:9000"),
        ("S3_FORCE_PATH_STYLE", "true"),
        ("S3_SESSION_TOKEN", "tok/en+="),
    ]);
    let user = UserId::new("user_2abc").unwrap();
    let resp = signed_upload(
        &upload,
        &user,
        &storage,
        UtcTime::from_unix_seconds(NOW),
        Some(&id),
    )
    .unwrap();
    let json: Value = serde_json::from_str(&resp.body).unwrap();
    let data = &json["data"];
    let key = format!("user-uploads/user_2abc/resume/{}/cv.pdf", id.as_str());
    assert_eq!(data["url"], "http://127.0.0.1:9000/uploads");
    assert_eq!(data["key"], key.as_str());
    assert_eq!(data["fields"]["x-amz-security-token"], "tok/en+=");
    let policy: Value = serde_json::from_slice(
        &Base64::decode_vec(data["fields"]["policy"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let conditions = policy["conditions"].as_array().unwrap();
    assert!(conditions.contains(&json!(["content-length-range", 42, 42])));
    assert!(conditions.contains(&json!({"key": key})));
    assert!(conditions.contains(&json!({"Content-Type": "application/pdf"})));
    assert!(conditions.contains(&json!({"x-amz-security-token": "tok/en+="})));
}

#[test]
fn put_answer_is_unchanged_by_default() {
    let upload = validate(
        br#"{"type":"profile","fileName":"avatar.png"}"#,
        &Policy::default(),
    )
    .unwrap();
    let user = UserId::new("user_2abc").unwrap();
    let resp = signed_upload(
        &upload,
        &user,
        &storage(&[]),
        UtcTime::from_unix_seconds(NOW),
        None,
    )
    .unwrap();
    let json: Value = serde_json::from_str(&resp.body).unwrap();
    assert_eq!(json["data"]["method"], "PUT");
    assert!(json["data"].get("fields").is_none());
    assert_eq!(
        json["data"]["headers"],
        json!({"Content-Type": "image/png"})
    );
}
