//! Routing (SPEC §1) and the upload route's pure steps: which route a method
//! and path select, the JSON content-type check, and the signed response.

use crate::auth::verify::UserId;
use crate::config::StorageConfig;
use crate::error::AppError;
use crate::json::ObjectWriter;
use crate::response::ApiResponse;
use crate::sigv4::{Method, ObjectKey};
use crate::time::UtcTime;
use crate::upload::ValidatedUpload;

/// The original GitFolio route.
pub const UPLOAD_PATH: &str = "/api/v1/s3/generatePreSignedURL";
/// Liveness probe: no auth, no rate limit.
pub const HEALTH_PATH: &str = "/healthz";

const UPLOAD_ALLOW: &str = "POST, OPTIONS";
const HEALTH_ALLOW: &str = "GET, HEAD";

/// What a request is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET`/`HEAD /healthz`.
    Health,
    /// `POST` on the upload path.
    Upload,
    /// `OPTIONS` on the upload path (CORS preflight).
    UploadPreflight,
}

/// The path of a request URL as the runtime serialises it (absolute, WHATWG):
/// from the first `/` after the authority up to `?` or `#`, still
/// percent-encoded — routes compare it exactly. Read from the string rather
/// than through a URL parser, which would pull IDNA tables into the wasm.
pub fn path_of(url: &str) -> &str {
    let rest = url.find("://").map_or(url, |i| &url[i + 3..]);
    let Some(start) = rest.find(['/', '?', '#']) else {
        return "/";
    };
    let path = &rest[start..];
    let end = path.find(['?', '#']).unwrap_or(path.len());
    if end == 0 {
        "/"
    } else {
        &path[..end]
    }
}

/// Selects the route, or the 404/405 to answer with. Paths match exactly and
/// case-sensitively (the original Express route did too).
///
/// # Errors
/// [`AppError::NotFound`] for an unknown path, [`AppError::MethodNotAllowed`]
/// (with the `Allow` list) for a known path and another method.
pub fn route(method: &str, path: &str) -> Result<Route, AppError> {
    match (path, method) {
        (HEALTH_PATH, "GET" | "HEAD") => Ok(Route::Health),
        (HEALTH_PATH, _) => Err(AppError::MethodNotAllowed {
            allow: HEALTH_ALLOW,
        }),
        (UPLOAD_PATH, "POST") => Ok(Route::Upload),
        (UPLOAD_PATH, "OPTIONS") => Ok(Route::UploadPreflight),
        (UPLOAD_PATH, _) => Err(AppError::MethodNotAllowed {
            allow: UPLOAD_ALLOW,
        }),
        _ => Err(AppError::NotFound),
    }
}

/// `200 {"status":"ok"}`.
pub fn health() -> ApiResponse {
    let mut body = ObjectWriter::new();
    body.str("status", "ok");
    ApiResponse::json(200, body.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_of_request_urls() {
        for (url, path) in [
            (
                "https://w.example/api/v1/s3/generatePreSignedURL",
                UPLOAD_PATH,
            ),
            ("https://w.example:8787/healthz?x=/y#z", "/healthz"),
            ("http://127.0.0.1:8787/a%2Fb/c#frag", "/a%2Fb/c"),
            ("https://user:pw@w.example/p", "/p"),
            ("https://w.example", "/"),
            ("https://w.example?q=/healthz", "/"),
            ("https://w.example#/healthz", "/"),
            ("/healthz?x", "/healthz"),
        ] {
            assert_eq!(path_of(url), path, "{url}");
        }
    }

    #[test]
    fn known_routes() {
        assert_eq!(route("GET", "/healthz"), Ok(Route::Health));
        assert_eq!(route("HEAD", "/healthz"), Ok(Route::Health));
        assert_eq!(route("POST", UPLOAD_PATH), Ok(Route::Upload));
        assert_eq!(route("OPTIONS", UPLOAD_PATH), Ok(Route::UploadPreflight));
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        assert_eq!(
            route("POST", "/healthz"),
            Err(AppError::MethodNotAllowed { allow: "GET, HEAD" })
        );
        assert_eq!(
            route("GET", UPLOAD_PATH),
            Err(AppError::MethodNotAllowed {
                allow: "POST, OPTIONS"
            })
        );
    }

    #[test]
    fn unknown_paths_are_404() {
        for path in [
            "/",
            "/healthz/",
            "/HEALTHZ",
            "/api/v1/s3/generatepresignedurl",
            "/api/v1/s3/generatePreSignedURL/x",
        ] {
            assert_eq!(route("GET", path), Err(AppError::NotFound), "{path}");
        }
    }

    #[test]
    fn health_body() {
        let r = health();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, r#"{"status":"ok"}"#);
        assert_eq!(r.header("Cache-Control"), Some("no-store"));
    }
}

/// SPEC §2: the body must be declared as JSON (`application/json`, any
/// case; parameters such as `charset` are fine — JSON is UTF-8 by RFC 8259).
///
/// # Errors
/// [`AppError::UnsupportedMediaType`].
pub fn check_json_content_type(content_type: Option<&str>) -> Result<(), AppError> {
    let Some(ct) = content_type else {
        return Err(AppError::UnsupportedMediaType);
    };
    let media = ct.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType)
    }
}

/// Signs the upload and builds SPEC §3's success body.
///
/// # Errors
/// [`AppError::UrlGenerationFailed`] if the key or the signature cannot be
/// made (the validated inputs and settings make that unreachable in practice).
pub fn signed_upload(
    upload: &ValidatedUpload,
    user: &UserId,
    storage: &StorageConfig,
    now: UtcTime,
) -> Result<ApiResponse, AppError> {
    let key = ObjectKey::new(format!(
        "{}/{}/{}/{}",
        storage.key_prefix,
        user.as_str(),
        upload.type_name,
        upload.file_name
    ))
    .map_err(|_| AppError::UrlGenerationFailed)?;
    let length = upload.size.map(|s| s.to_string());
    let mut signed: Vec<(&str, &str)> = vec![("content-type", &upload.content_type)];
    // The headers the client must send, keys sorted.
    let mut headers = ObjectWriter::new();
    if let Some(len) = &length {
        signed.push(("content-length", len));
        headers.str("Content-Length", len);
    }
    headers.str("Content-Type", &upload.content_type);
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
    let link = match &storage.public_base {
        Some(base) => format!("{base}/{}", key.encoded()),
        None => storage.target.object_url(&key),
    };
    // Keys sorted, as in every JSON body we write.
    let mut data = ObjectWriter::new();
    data.str("expiresAt", &presigned.expires_at.rfc3339())
        .num("expiresIn", u64::from(storage.expiry.seconds()))
        .object("headers", headers)
        .str("key", key.as_str())
        .str("link", &link)
        .str("method", "PUT")
        .str("url", &presigned.url);
    let mut body = ObjectWriter::new();
    body.object("data", data)
        .str("message", "PreSigned URL Generated")
        .str("status", "success");
    Ok(ApiResponse::json(200, body.finish()))
}

#[cfg(test)]
mod upload_tests {
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
    fn json_content_type() {
        // Any charset parameter is fine (SPEC §2); the body is read as UTF-8.
        assert!(check_json_content_type(Some("application/json; charset=latin1")).is_ok());
        assert!(check_json_content_type(Some("application/json")).is_ok());
        assert!(check_json_content_type(Some("Application/JSON; charset=UTF-8")).is_ok());
        assert!(check_json_content_type(Some("application/json;charset=\"utf-8\"")).is_ok());
        for bad in [
            None,
            Some(""),
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("application/jsonx"),
        ] {
            assert_eq!(
                check_json_content_type(bad),
                Err(AppError::UnsupportedMediaType),
                "{bad:?}"
            );
        }
    }
}
