//! Where the session token comes from (docs/spec.md §2, §9): `Authorization: Bearer`
//! first; the `__session` cookie (Clerk's same-origin convention) only when no
//! `Authorization` header is present at all, so a bad header is never rescued
//! by a cookie.

use super::AuthError;

/// Clerk's same-origin session cookie.
pub const SESSION_COOKIE: &str = "__session";

/// Picks the token out of the request's `Authorization` and `Cookie` headers.
///
/// # Errors
/// [`AuthError::MissingToken`] when neither is present (or the cookie is
/// empty); [`AuthError::MalformedAuthorization`] for another scheme, an empty
/// bearer, more than one token (two headers arrive joined by `, `), or several
/// `__session` cookies.
pub fn extract_token<'a>(
    authorization: Option<&'a str>,
    cookie: Option<&'a str>,
) -> Result<&'a str, AuthError> {
    if let Some(header) = authorization {
        return bearer_token(header);
    }
    let Some(cookie) = cookie else {
        return Err(AuthError::MissingToken);
    };
    let mut found = None;
    for pair in cookie.split(';') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        if name.trim() == SESSION_COOKIE {
            if found.is_some() {
                // Two session cookies (e.g. for two paths): refuse to guess.
                return Err(AuthError::MalformedAuthorization { bearer_sent: true });
            }
            found = Some(value.trim());
        }
    }
    match found {
        None | Some("") => Err(AuthError::MissingToken),
        Some(token) if is_token68(token) => Ok(token),
        Some(_) => Err(AuthError::MalformedAuthorization { bearer_sent: true }),
    }
}

fn bearer_token(header: &str) -> Result<&str, AuthError> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MalformedAuthorization { bearer_sent: false });
    }
    let token = rest.trim();
    if token.is_empty() {
        return Err(AuthError::MalformedAuthorization { bearer_sent: false });
    }
    if !is_token68(token) {
        // "Bearer a b", "Bearer a, Bearer b" (two headers joined), junk.
        return Err(AuthError::MalformedAuthorization { bearer_sent: true });
    }
    Ok(token)
}

/// RFC 7235 `token68`: the only shape a bearer credential may have.
fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_wins() {
        assert_eq!(extract_token(Some("Bearer a.b.c"), None), Ok("a.b.c"));
        assert_eq!(
            extract_token(Some("bearer a.b.c"), Some("__session=x.y.z")),
            Ok("a.b.c")
        );
    }

    #[test]
    fn cookie_used_only_without_authorization() {
        assert_eq!(
            extract_token(None, Some("theme=dark; __session=x.y.z")),
            Ok("x.y.z")
        );
        // A bad header is never rescued by a good cookie.
        assert_eq!(
            extract_token(Some("Bearer "), Some("__session=x.y.z")),
            Err(AuthError::MalformedAuthorization { bearer_sent: false })
        );
    }

    #[test]
    fn nothing_presented() {
        assert_eq!(extract_token(None, None), Err(AuthError::MissingToken));
        assert_eq!(
            extract_token(None, Some("theme=dark")),
            Err(AuthError::MissingToken)
        );
        assert_eq!(
            extract_token(None, Some("__session=")),
            Err(AuthError::MissingToken)
        );
    }

    #[test]
    fn malformed_headers() {
        for (header, bearer_sent) in [
            ("Basic dXNlcjpwYXNz", false),
            ("Bearer", false),
            ("Bearer    ", false),
            ("", false),
            ("Token a.b.c", false),
            ("Bearer a.b.c d.e.f", true),
            ("Bearer a.b.c, Bearer d.e.f", true),
            ("Bearer a\"b", true),
        ] {
            assert_eq!(
                extract_token(Some(header), None),
                Err(AuthError::MalformedAuthorization { bearer_sent }),
                "{header:?}"
            );
        }
    }

    #[test]
    fn two_session_cookies_are_refused() {
        assert_eq!(
            extract_token(None, Some("__session=a.b.c; __session=d.e.f")),
            Err(AuthError::MalformedAuthorization { bearer_sent: true })
        );
    }
}
