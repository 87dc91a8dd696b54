//! The confirmation request (docs/spec.md §12), pure: its body
//! (`{"key": "<data.key>"}`), whether the key is one this service signs for
//! the caller, and the answer for a verified upload.
//!
//! A key is read back exactly as the signing route builds it (`key.rs`):
//! `{prefix}/{userId}/{type}/{fileName}`, or with the type's `uniqueKeys`
//! `{prefix}/{userId}/{type}/{id}/{fileName}`. Its shape is judged first
//! (400 `invalid_key`), its owner second (403 `forbidden`), so a malformed
//! key never reveals whose folder it names; nothing is read either way.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::value::RawValue;

use super::body::check_file_name;
use super::policy::{Policy, TypeRule};
use crate::auth::verify::UserId;
use crate::error::AppError;
use crate::response::ApiResponse;

/// A key the caller may confirm, with what its type allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedKey<'p> {
    pub key: String,
    pub type_name: String,
    pub file_name: String,
    /// The extension's MIME type: what the stored object must be.
    pub mime: &'p str,
    pub rule: &'p TypeRule,
}

/// The body's `key`: a JSON object with a non-empty string `key`.
///
/// # Errors
/// `invalid_json` for anything but a JSON object; `invalid_key` for a
/// missing, `null`, empty or non-string `key`.
pub fn parse_body(body: &[u8]) -> Result<String, AppError> {
    let members: BTreeMap<String, &RawValue> =
        serde_json::from_slice(body).map_err(|_| AppError::InvalidJson)?;
    members
        .get("key")
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
        .filter(|k| !k.is_empty())
        .ok_or(AppError::InvalidKey)
}

/// Whether `key` is an upload key of `user`'s folder under `prefix`.
///
/// # Errors
/// `invalid_key` for any other shape (another prefix, an unknown type, a
/// name the signing route would refuse, a missing or extra segment, an id
/// that is not 22 URL-safe characters); `forbidden` for a well-formed key in
/// another user's folder.
pub fn owned_key<'p>(
    key: &str,
    prefix: &str,
    user: &UserId,
    policy: &'p Policy,
) -> Result<OwnedKey<'p>, AppError> {
    let rest = key
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or(AppError::InvalidKey)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let (owner, type_name) = match parts.as_slice() {
        [owner, type_name, ..] => (*owner, *type_name),
        _ => return Err(AppError::InvalidKey),
    };
    let rule = policy.rule(type_name).ok_or(AppError::InvalidKey)?;
    let file_name = match (rule.unique_keys, &parts[2..]) {
        (false, [name]) => *name,
        (true, [id, name]) if is_upload_id(id) => *name,
        _ => return Err(AppError::InvalidKey),
    };
    check_file_name(file_name).map_err(|_| AppError::InvalidKey)?;
    let mime = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| rule.extensions.iter().any(|allowed| allowed == e))
        .and_then(|e| policy.mime(&e))
        .ok_or(AppError::InvalidKey)?;
    if UserId::new(owner).is_err() {
        return Err(AppError::InvalidKey);
    }
    if owner != user.as_str() {
        return Err(AppError::Forbidden);
    }
    Ok(OwnedKey {
        key: key.to_owned(),
        type_name: type_name.to_owned(),
        file_name: file_name.to_owned(),
        mime,
        rule,
    })
}

/// 22 characters of URL-safe base64: a 128-bit `uniqueKeys` id.
fn is_upload_id(s: &str) -> bool {
    s.len() == 22
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a verified upload is, for the 200 answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedUpload {
    pub key: String,
    pub link: String,
    pub size: u64,
    pub content_type: String,
    pub etag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// `200 {"status":"success","message":"Upload verified","data":{…}}`.
pub fn verified_response(upload: &VerifiedUpload) -> ApiResponse {
    #[derive(Serialize)]
    struct Body<'a> {
        status: &'static str,
        message: &'static str,
        data: &'a VerifiedUpload,
    }
    ApiResponse::json(
        200,
        &Body {
            status: "success",
            message: "Upload verified",
            data: upload,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserId {
        UserId::new("user_2abc").unwrap()
    }

    fn owned(key: &str, policy: &Policy) -> Result<(String, String, String), AppError> {
        owned_key(key, "user-uploads", &user(), policy)
            .map(|k| (k.type_name, k.file_name, k.mime.to_owned()))
    }

    #[test]
    fn body_key() {
        assert_eq!(parse_body(br#"{"key":"a/b"}"#), Ok("a/b".into()));
        assert_eq!(parse_body(b"[1]"), Err(AppError::InvalidJson));
        assert_eq!(parse_body(b"{"), Err(AppError::InvalidJson));
        for bad in [r"{}", r#"{"key":null}"#, r#"{"key":""}"#, r#"{"key":7}"#] {
            assert_eq!(
                parse_body(bad.as_bytes()),
                Err(AppError::InvalidKey),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_callers_own_keys() {
        let p = Policy::default();
        assert_eq!(
            owned("user-uploads/user_2abc/profile/My Photo (1).PNG", &p),
            Ok((
                "profile".into(),
                "My Photo (1).PNG".into(),
                "image/png".into()
            ))
        );
        assert_eq!(
            owned("user-uploads/user_2abc/resume/cv.pdf", &p),
            Ok(("resume".into(), "cv.pdf".into(), "application/pdf".into()))
        );
        // Names the signing route accepts are accepted back.
        assert!(owned("user-uploads/user_2abc/profile/%2e%2e%2fx.png", &p).is_ok());
    }

    #[test]
    fn another_users_folder_is_forbidden() {
        let p = Policy::default();
        assert_eq!(
            owned("user-uploads/user_other/profile/a.png", &p),
            Err(AppError::Forbidden)
        );
    }

    #[test]
    fn other_shapes_are_invalid() {
        let p = Policy::default();
        for key in [
            "user-uploads/user_2abc/profile",
            "user-uploads/user_2abc/profile/",
            "user-uploads/user_2abc/profile/../a.png",
            "user-uploads/user_2abc/../user_other/profile/a.png",
            "user-uploads/user_2abc/profile/x/a.png",
            "user-uploads/user_2abc/avatars/a.png",
            "user-uploads/user_2abc/profile/a.pdf",
            "user-uploads/user_2abc/profile/a",
            "user-uploads/user_2abc/profile/.a.png",
            "other-prefix/user_2abc/profile/a.png",
            "user-uploads//profile/a.png",
            "user-uploads/user 2abc/profile/a.png",
            "/user-uploads/user_2abc/profile/a.png",
            "user-uploadsX/user_2abc/profile/a.png",
            "user-uploads/user_2abc/profile/a.png\u{0}",
            // A malformed key in another folder says nothing about its owner.
            "user-uploads/user_other/profile/../a.png",
        ] {
            assert_eq!(owned(key, &p), Err(AppError::InvalidKey), "{key}");
        }
    }

    #[test]
    fn unique_key_ids_where_the_type_has_them() {
        let p = Policy::from_json(
            r#"{"types": {"profile": {"extensions": ["png"], "maxBytes": 9, "uniqueKeys": true}}}"#,
        )
        .unwrap();
        let id = "-_v7-_v7-_v7-_v7-_v7-w";
        assert!(owned(&format!("user-uploads/user_2abc/profile/{id}/a.png"), &p).is_ok());
        for key in [
            "user-uploads/user_2abc/profile/a.png".to_owned(),
            format!("user-uploads/user_2abc/profile/{id}x/a.png"),
            "user-uploads/user_2abc/profile/-_v7-_v7-_v7-_v7-_v7-%/a.png".to_owned(),
        ] {
            assert_eq!(owned(&key, &p), Err(AppError::InvalidKey), "{key}");
        }
        // Without the option, an id segment is one segment too many.
        let plain = Policy::default();
        assert_eq!(
            owned(
                &format!("user-uploads/user_2abc/profile/{id}/a.png"),
                &plain
            ),
            Err(AppError::InvalidKey)
        );
    }

    #[test]
    fn nested_prefix() {
        let p = Policy::default();
        let k = owned_key("a/b/user_2abc/profile/x.gif", "a/b", &user(), &p).unwrap();
        assert_eq!(k.mime, "image/gif");
    }

    #[test]
    fn verified_answer_shape() {
        let r = verified_response(&VerifiedUpload {
            key: "k".into(),
            link: "https://x/k".into(),
            size: 3,
            content_type: "image/png".into(),
            etag: "\"e\"".into(),
            width: Some(2),
            height: Some(1),
        });
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"status": "success", "message": "Upload verified", "data": {
                "key": "k", "link": "https://x/k", "size": 3, "contentType": "image/png",
                "etag": "\"e\"", "width": 2, "height": 1}})
        );
    }
}
