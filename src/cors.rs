//! CORS for the upload route (docs/spec.md §9), applied to every response of the
//! route — errors included — so a browser can read why it was refused.

use crate::config::Cors;
use crate::response::ApiResponse;

/// How long a browser may cache a preflight answer.
pub const MAX_AGE_SECONDS: u32 = 600;

const EXPOSE: &str = "RateLimit, RateLimit-Policy, Retry-After";

/// The `Access-Control-Allow-Origin` value for `origin`, if it is allowed.
fn allowed<'a>(cors: &'a Cors, origin: Option<&'a str>) -> Option<&'a str> {
    let origin = origin?;
    match cors {
        Cors::Disabled => None,
        Cors::AnyOrigin => Some("*"),
        Cors::Origins(list) => list.iter().any(|o| o == origin).then_some(origin),
    }
}

/// Adds `Vary: Origin` (whenever CORS is configured) and, for an allowed
/// origin, `Access-Control-Allow-Origin`, `-Expose-Headers` and — for listed
/// origins only, never with `*` — `-Allow-Credentials`.
pub fn apply(resp: &mut ApiResponse, cors: &Cors, origin: Option<&str>) {
    if *cors == Cors::Disabled {
        return;
    }
    resp.set_header("Vary", "Origin");
    if let Some(value) = allowed(cors, origin) {
        resp.set_header("Access-Control-Allow-Origin", value);
        resp.set_header("Access-Control-Expose-Headers", EXPOSE);
        if matches!(cors, Cors::Origins(_)) {
            resp.set_header("Access-Control-Allow-Credentials", "true");
        }
    }
}

/// The answer to `OPTIONS` on the upload route: 204, with the allowed
/// methods and headers only for an allowed origin.
pub fn preflight(cors: &Cors, origin: Option<&str>) -> ApiResponse {
    let mut resp = ApiResponse::empty(204);
    apply(&mut resp, cors, origin);
    if allowed(cors, origin).is_some() {
        resp.set_header("Access-Control-Allow-Methods", "POST, OPTIONS");
        resp.set_header(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type",
        );
        resp.set_header("Access-Control-Max-Age", MAX_AGE_SECONDS.to_string());
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed() -> Cors {
        Cors::Origins(vec!["https://app.example".into()])
    }

    #[test]
    fn disabled_adds_nothing() {
        let mut r = ApiResponse::json(200, &1);
        apply(&mut r, &Cors::Disabled, Some("https://app.example"));
        assert_eq!(r.header("Vary"), None);
        assert_eq!(r.header("Access-Control-Allow-Origin"), None);
        let p = preflight(&Cors::Disabled, Some("https://app.example"));
        assert_eq!(p.status, 204);
        assert!(p
            .headers
            .iter()
            .all(|(n, _)| !n.starts_with("Access-Control")));
    }

    #[test]
    fn listed_origin_gets_credentials_and_exposed_headers() {
        let mut r = ApiResponse::json(401, &1);
        apply(&mut r, &listed(), Some("https://app.example"));
        assert_eq!(r.header("Vary"), Some("Origin"));
        assert_eq!(
            r.header("Access-Control-Allow-Origin"),
            Some("https://app.example")
        );
        assert_eq!(r.header("Access-Control-Allow-Credentials"), Some("true"));
        assert_eq!(r.header("Access-Control-Expose-Headers"), Some(EXPOSE));
    }

    #[test]
    fn unlisted_origin_gets_only_vary() {
        for origin in [
            Some("https://evil.example"),
            Some("https://app.example.evil"),
            Some("https://APP.example"),
            None,
        ] {
            let mut r = ApiResponse::json(200, &1);
            apply(&mut r, &listed(), origin);
            assert_eq!(r.header("Vary"), Some("Origin"));
            assert_eq!(r.header("Access-Control-Allow-Origin"), None, "{origin:?}");
            let p = preflight(&listed(), origin);
            assert_eq!(p.status, 204);
            assert!(
                p.headers
                    .iter()
                    .all(|(n, _)| !n.starts_with("Access-Control-Allow")),
                "{origin:?}"
            );
        }
    }

    #[test]
    fn wildcard_never_allows_credentials() {
        let mut r = ApiResponse::json(200, &1);
        apply(&mut r, &Cors::AnyOrigin, Some("https://anyone.example"));
        assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
        assert_eq!(r.header("Access-Control-Allow-Credentials"), None);
    }

    #[test]
    fn allowed_preflight() {
        let p = preflight(&listed(), Some("https://app.example"));
        assert_eq!(p.status, 204);
        assert_eq!(
            p.header("Access-Control-Allow-Methods"),
            Some("POST, OPTIONS")
        );
        assert_eq!(
            p.header("Access-Control-Allow-Headers"),
            Some("Authorization, Content-Type")
        );
        assert_eq!(p.header("Access-Control-Max-Age"), Some("600"));
        assert_eq!(
            p.header("Access-Control-Allow-Origin"),
            Some("https://app.example")
        );
    }
}
