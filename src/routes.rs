//! Routing (docs/spec.md §1): which route a method and path select, the
//! health answer, and the JSON content-type check of the upload route.

use serde::Serialize;

use crate::error::AppError;
use crate::response::ApiResponse;

/// The original GitFolio route.
pub const UPLOAD_PATH: &str = "/api/v1/s3/generatePreSignedURL";
/// Upload confirmation (docs/spec.md §12).
pub const CONFIRM_PATH: &str = "/api/v1/s3/confirmUpload";
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
    /// `POST` on the confirmation path.
    Confirm,
    /// `OPTIONS` on the confirmation path.
    ConfirmPreflight,
}

/// The path of a request URL as the runtime serialises it (absolute,
/// WHATWG), still percent-encoded — routes compare it exactly. `/` for
/// anything that is not an absolute URL (the runtime never sends one).
pub fn path_of(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| "/".to_owned(), |u| u.path().to_owned())
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
        (CONFIRM_PATH, "POST") => Ok(Route::Confirm),
        (CONFIRM_PATH, "OPTIONS") => Ok(Route::ConfirmPreflight),
        (UPLOAD_PATH | CONFIRM_PATH, _) => Err(AppError::MethodNotAllowed {
            allow: UPLOAD_ALLOW,
        }),
        _ => Err(AppError::NotFound),
    }
}

/// `200 {"status":"ok"}`.
pub fn health() -> ApiResponse {
    #[derive(Serialize)]
    struct Health {
        status: &'static str,
    }
    ApiResponse::json(200, &Health { status: "ok" })
}

/// docs/spec.md §2: the body must be declared as JSON (`application/json`, any
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
            ("/healthz?x", "/"), // not absolute: never sent by the runtime
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
        assert_eq!(route("POST", CONFIRM_PATH), Ok(Route::Confirm));
        assert_eq!(route("OPTIONS", CONFIRM_PATH), Ok(Route::ConfirmPreflight));
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        assert_eq!(
            route("POST", "/healthz"),
            Err(AppError::MethodNotAllowed { allow: "GET, HEAD" })
        );
        for path in [UPLOAD_PATH, CONFIRM_PATH] {
            assert_eq!(
                route("GET", path),
                Err(AppError::MethodNotAllowed {
                    allow: "POST, OPTIONS"
                })
            );
        }
    }

    #[test]
    fn unknown_paths_are_404() {
        for path in [
            "/",
            "/healthz/",
            "/HEALTHZ",
            "/api/v1/s3/generatepresignedurl",
            "/api/v1/s3/generatePreSignedURL/x",
            "/api/v1/s3/confirmupload",
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

    #[test]
    fn json_content_type() {
        // Any charset parameter is fine (docs/spec.md §2); the body is read as UTF-8.
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
