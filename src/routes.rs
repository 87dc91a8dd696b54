//! Routing (SPEC §1): which route a method and path select, and the answers
//! that need no I/O.

use crate::error::AppError;
use crate::response::ApiResponse;

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
    ApiResponse::json(200, &serde_json::json!({ "status": "ok" }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
