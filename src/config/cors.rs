//! Which browser origins may call the upload route (`CORS_ALLOWED_ORIGINS`,
//! docs/spec.md §9).

use super::{setting, SettingError, CORS_ALLOWED_ORIGINS};

/// Which browser origins may call the upload route (docs/spec.md §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cors {
    /// No CORS headers at all.
    Disabled,
    /// `*`: any origin, never with credentials.
    AnyOrigin,
    /// Exactly these origins, credentials allowed.
    Origins(Vec<String>),
}

/// # Errors
/// [`SettingError::Invalid`] naming `CORS_ALLOWED_ORIGINS` for an entry that
/// is not `*` or a bare `http(s)://host[:port]` origin.
pub fn cors_config(get: impl Fn(&str) -> Option<String>) -> Result<Cors, SettingError> {
    let Some(raw) = setting(&get, CORS_ALLOWED_ORIGINS) else {
        return Ok(Cors::Disabled);
    };
    if raw == "*" {
        return Ok(Cors::AnyOrigin);
    }
    let mut origins = Vec::new();
    for o in raw.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let ok = !o.contains('*') && is_bare_origin(o);
        if !ok {
            return Err(SettingError::Invalid(CORS_ALLOWED_ORIGINS));
        }
        origins.push(o.to_owned());
    }
    Ok(if origins.is_empty() {
        Cors::Disabled
    } else {
        Cors::Origins(origins)
    })
}

/// `http(s)://host[:port]` and nothing more: what a browser sends as `Origin`.
fn is_bare_origin(text: &str) -> bool {
    let Ok(url) = url::Url::parse(text) else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        // The parser adds the root path itself; a written one is not an origin.
        && url.path() == "/"
        && !text.ends_with('/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn get_from(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn cors_settings() {
        let cors = |v: &'static str| cors_config(get_from(&[(CORS_ALLOWED_ORIGINS, v)]));
        assert_eq!(cors_config(get_from(&[])), Ok(Cors::Disabled));
        assert_eq!(cors("*"), Ok(Cors::AnyOrigin));
        assert_eq!(
            cors("https://a.example, http://127.0.0.1:8789"),
            Ok(Cors::Origins(vec![
                "https://a.example".into(),
                "http://127.0.0.1:8789".into()
            ]))
        );
        for bad in [
            "a.example",
            "https://a.example/",
            "https://*.example",
            "https://a.example,*",
        ] {
            assert_eq!(
                cors(bad),
                Err(SettingError::Invalid(CORS_ALLOWED_ORIGINS)),
                "{bad}"
            );
        }
    }
}
