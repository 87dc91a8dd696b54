//! The signed answer for a validated upload (docs/spec.md §3): the
//! pre-signed PUT URL, the headers the client must send, the object's key
//! and public `link`, and when the URL expires.

use std::collections::BTreeMap;

use serde::Serialize;

use super::key::{object_key, UploadId};
use super::{UploadMethod, ValidatedUpload};
use crate::auth::verify::UserId;
use crate::config::StorageConfig;
use crate::error::AppError;
use crate::response::ApiResponse;
use crate::sigv4::{Method, ObjectKey, PostUpload};
use crate::time::UtcTime;

/// The success body.
#[derive(Debug, Serialize)]
struct Body<'a> {
    status: &'static str,
    message: &'static str,
    data: Data<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    url: String,
    link: String,
    key: &'a str,
    method: &'static str,
    /// Exactly the headers the upload must send (none for a POST form).
    headers: BTreeMap<&'static str, &'a str>,
    /// The POST form's fields (docs/spec.md §11); absent for PUT.
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<BTreeMap<&'static str, String>>,
    expires_in: u32,
    expires_at: String,
}

/// Signs the upload and builds the success response. `id` is the upload's
/// own folder when its type has `uniqueKeys` ([`UploadId::random`]).
///
/// # Errors
/// [`AppError::UrlGenerationFailed`] if the key or the signature cannot be
/// made (the validated inputs and settings make that unreachable in practice).
pub fn signed_upload(
    upload: &ValidatedUpload,
    user: &UserId,
    storage: &StorageConfig,
    now: UtcTime,
    id: Option<&UploadId>,
) -> Result<ApiResponse, AppError> {
    let key = ObjectKey::new(object_key(&storage.key_prefix, user, upload, id))
        .map_err(|_| AppError::UrlGenerationFailed)?;
    if upload.method == UploadMethod::Post {
        return signed_post(upload, &key, storage, now);
    }
    let length = upload.size.map(|s| s.to_string());
    let mut headers = BTreeMap::from([("Content-Type", upload.content_type.as_str())]);
    if let Some(len) = &length {
        headers.insert("Content-Length", len);
    }
    let signed: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, *v)).collect();
    let presigned = storage
        .target
        .presign(
            &storage.credentials,
            Method::Put,
            &key,
            &signed,
            storage.expiry,
            now,
        )
        .map_err(|_| AppError::UrlGenerationFailed)?;
    let body = Body {
        status: "success",
        message: "PreSigned URL Generated",
        data: Data {
            url: presigned.url,
            link: storage.public_link(&key),
            key: key.as_str(),
            method: Method::Put.as_str(),
            headers,
            fields: None,
            expires_in: storage.expiry.seconds(),
            expires_at: presigned.expires_at.rfc3339(),
        },
    };
    Ok(ApiResponse::json(200, &body))
}

/// The POST form for a validated upload: its policy bounds the length to
/// exactly `size` when given, else 1 byte to the type's limit.
fn signed_post(
    upload: &ValidatedUpload,
    key: &ObjectKey,
    storage: &StorageConfig,
    now: UtcTime,
) -> Result<ApiResponse, AppError> {
    let length = match upload.size {
        Some(size) => size..=size,
        None => 1..=upload.max_bytes,
    };
    let post = storage
        .target
        .presign_post(
            &storage.credentials,
            &PostUpload {
                key,
                content_type: &upload.content_type,
                length,
            },
            storage.expiry,
            now,
        )
        .map_err(|_| AppError::UrlGenerationFailed)?;
    let body = Body {
        status: "success",
        message: "PreSigned URL Generated",
        data: Data {
            url: post.url,
            link: storage.public_link(key),
            key: key.as_str(),
            method: UploadMethod::Post.as_str(),
            headers: BTreeMap::new(),
            fields: Some(post.fields.into_iter().collect()),
            expires_in: storage.expiry.seconds(),
            expires_at: post.expires_at.rfc3339(),
        },
    };
    Ok(ApiResponse::json(200, &body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::storage_config;
    use crate::upload::{validate, Policy};

    const NOW: u64 = 1_795_600_800; // 2026-11-25T10:00:00Z

    fn storage(extra: &[(&str, &str)]) -> StorageConfig {
        let mut pairs = vec![
            ("S3_BUCKET", "uploads"),
            ("S3_ACCESS_KEY_ID", "AKID"),
            ("S3_SECRET_ACCESS_KEY", "secret"),
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

    fn sign(body: &str, extra: &[(&str, &str)]) -> serde_json::Value {
        let upload = validate(body.as_bytes(), &Policy::default()).unwrap();
        let user = UserId::new("user_2abc").unwrap();
        let resp = signed_upload(
            &upload,
            &user,
            &storage(extra),
            UtcTime::from_unix_seconds(NOW),
            None,
        )
        .unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("Cache-Control"), Some("no-store"));
        serde_json::from_str(&resp.body).unwrap()
    }

    #[test]
    fn spec_example_shape() {
        let v = sign(
            r#"{"type":"profile","fileName":"avatar.jpg","contentType":"image/jpeg","size":48213}"#,
            &[],
        );
        assert_eq!(v["status"], "success");
        assert_eq!(v["message"], "PreSigned URL Generated");
        let d = &v["data"];
        assert_eq!(d["key"], "user-uploads/user_2abc/profile/avatar.jpg");
        assert_eq!(d["method"], "PUT");
        assert_eq!(
            d["headers"],
            serde_json::json!({"Content-Type": "image/jpeg", "Content-Length": "48213"})
        );
        assert_eq!(d["expiresIn"], 300);
        assert_eq!(d["expiresAt"], "2026-11-25T10:05:00Z");
        assert_eq!(
            d["link"],
            "https://uploads.s3.us-east-1.amazonaws.com/user-uploads/user_2abc/profile/avatar.jpg"
        );
        let url = d["url"].as_str().unwrap();
        assert!(url.starts_with("https://uploads.s3.us-east-1.amazonaws.com/user-uploads/user_2abc/profile/avatar.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
        assert!(url.contains("X-Amz-Date=20261125T100000Z&X-Amz-Expires=300&"));
        assert!(url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost&"));
    }

    #[test]
    fn without_size_only_content_type_is_signed() {
        let d = &sign(r#"{"type":"resume","fileName":"cv.pdf"}"#, &[])["data"];
        assert_eq!(
            d["headers"],
            serde_json::json!({"Content-Type": "application/pdf"})
        );
        assert!(d["url"]
            .as_str()
            .unwrap()
            .contains("X-Amz-SignedHeaders=content-type%3Bhost&"));
    }

    #[test]
    fn link_with_a_public_base_and_path_style() {
        let body = r#"{"type":"profile","fileName":"my photo+1.png"}"#;
        let d = &sign(
            body,
            &[("S3_PUBLIC_URL", "https://cdn.example.com/assets/")],
        )["data"];
        assert_eq!(
            d["link"],
            "https://cdn.example.com/assets/user-uploads/user_2abc/profile/my%20photo%2B1.png"
        );
        let d = &sign(
            body,
            &[
                ("S3_FORCE_PATH_STYLE", "true"),
                ("S3_ENDPOINT", "http://127.0.0.1:9000"),
            ],
        )["data"];
        assert_eq!(
            d["link"],
            "http://127.0.0.1:9000/uploads/user-uploads/user_2abc/profile/my%20photo%2B1.png"
        );
        assert_eq!(d["key"], "user-uploads/user_2abc/profile/my photo+1.png");
    }

    #[test]
    fn session_token_and_ttl() {
        let d = &sign(
            r#"{"type":"profile","fileName":"a.png"}"#,
            &[
                ("S3_SESSION_TOKEN", "tok"),
                ("UPLOAD_URL_TTL_SECONDS", "60"),
            ],
        )["data"];
        assert!(d["url"]
            .as_str()
            .unwrap()
            .contains("X-Amz-Security-Token=tok&"));
        assert_eq!(d["expiresIn"], 60);
        assert_eq!(d["expiresAt"], "2026-11-25T10:01:00Z");
    }

    #[test]
    fn unique_keys_put_each_upload_in_its_own_folder() {
        let policy = Policy::from_json(
            r#"{"types": {"profile": {"extensions": ["jpg"], "maxBytes": 100, "uniqueKeys": true}}}"#,
        )
        .unwrap();
        let upload = validate(br#"{"type":"profile","fileName":"avatar.jpg"}"#, &policy).unwrap();
        let user = UserId::new("user_2abc").unwrap();
        let id = UploadId::from_bytes([7; 16]);
        let resp = signed_upload(
            &upload,
            &user,
            &storage(&[("S3_PUBLIC_URL", "https://cdn.example.com")]),
            UtcTime::from_unix_seconds(NOW),
            Some(&id),
        )
        .unwrap();
        let json: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
        let key = format!("user-uploads/user_2abc/profile/{}/avatar.jpg", id.as_str());
        assert_eq!(json["data"]["key"], key.as_str());
        assert_eq!(
            json["data"]["link"],
            format!("https://cdn.example.com/{key}").as_str()
        );
        assert!(json["data"]["url"].as_str().unwrap().contains(&key));
    }
}
