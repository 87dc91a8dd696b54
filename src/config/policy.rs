//! What may be uploaded (`UPLOAD_POLICY`, docs/spec.md §4), how
//! (`UPLOAD_METHODS`, `UPLOAD_REQUIRE_SIZE`, docs/spec.md §11) and how often
//! (`RATE_LIMIT_*`, docs/spec.md §7).

use super::{
    setting, SettingError, RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_SECONDS, UPLOAD_METHODS,
    UPLOAD_POLICY, UPLOAD_REQUIRE_SIZE,
};
use crate::upload::{MethodRules, Policy, UploadMethod};

/// The upload policy: `UPLOAD_POLICY` when set, else the default table.
///
/// # Errors
/// [`SettingError::Invalid`] naming `UPLOAD_POLICY`.
pub fn policy_config(get: impl Fn(&str) -> Option<String>) -> Result<Policy, SettingError> {
    match setting(&get, UPLOAD_POLICY) {
        None => Ok(Policy::default()),
        Some(json) => Policy::from_json(&json).map_err(|_| SettingError::Invalid(UPLOAD_POLICY)),
    }
}

/// The method settings: `UPLOAD_METHODS` a comma-separated list of `PUT`
/// and `POST` (default both; case-insensitive, as operators write lists),
/// `UPLOAD_REQUIRE_SIZE` exactly `true` or `false` (default `false`).
///
/// # Errors
/// [`SettingError::Invalid`] naming the setting: an unknown or empty method
/// list, or a flag that is not `true`/`false`.
pub fn method_rules_config(
    get: impl Fn(&str) -> Option<String>,
) -> Result<MethodRules, SettingError> {
    let mut rules = MethodRules::default();
    if let Some(list) = setting(&get, UPLOAD_METHODS) {
        rules.put = false;
        rules.post = false;
        for name in list.split(',').map(str::trim).filter(|m| !m.is_empty()) {
            match UploadMethod::parse(&name.to_ascii_uppercase()) {
                Some(UploadMethod::Put) => rules.put = true,
                Some(UploadMethod::Post) => rules.post = true,
                None => return Err(SettingError::Invalid(UPLOAD_METHODS)),
            }
        }
        // "," is a mistake, not "no uploads at all".
        if !rules.put && !rules.post {
            return Err(SettingError::Invalid(UPLOAD_METHODS));
        }
    }
    rules.require_size = match setting(&get, UPLOAD_REQUIRE_SIZE).as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(SettingError::Invalid(UPLOAD_REQUIRE_SIZE)),
    };
    Ok(rules)
}

/// The per-user budget: `RATE_LIMIT_MAX` per `RATE_LIMIT_WINDOW_SECONDS`
/// (defaults 20 / 60).
///
/// # Errors
/// [`SettingError::Invalid`] for a value that is not a whole number ≥ 1.
pub fn rate_limit_config(
    get: impl Fn(&str) -> Option<String>,
) -> Result<crate::ratelimit::gcra::Quota, SettingError> {
    let read = |name: &'static str, default: u32| {
        setting(&get, name)
            .map_or(Ok(default), |v| {
                v.parse::<u32>().map_err(|_| SettingError::Invalid(name))
            })
            .and_then(|n| std::num::NonZeroU32::new(n).ok_or(SettingError::Invalid(name)))
    };
    Ok(crate::ratelimit::gcra::Quota {
        max: read(RATE_LIMIT_MAX, 20)?,
        window_seconds: read(RATE_LIMIT_WINDOW_SECONDS, 60)?,
    })
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
    fn method_settings() {
        let rules = |pairs: &[(&str, &str)]| method_rules_config(get_from(pairs));
        assert_eq!(rules(&[]), Ok(MethodRules::default()));
        let r2 = rules(&[(UPLOAD_METHODS, "PUT"), (UPLOAD_REQUIRE_SIZE, "true")]).unwrap();
        assert!(r2.put && !r2.post && r2.require_size);
        let both = rules(&[(UPLOAD_METHODS, " post , put ")]).unwrap();
        assert!(both.put && both.post && !both.require_size);
        for (name, value) in [
            (UPLOAD_METHODS, "GET"),
            (UPLOAD_METHODS, ","),
            (UPLOAD_METHODS, "PUT,PATCH"),
            (UPLOAD_REQUIRE_SIZE, "yes"),
            (UPLOAD_REQUIRE_SIZE, "TRUE"),
        ] {
            assert_eq!(
                rules(&[(name, value)]),
                Err(SettingError::Invalid(name)),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn policy_setting() {
        assert_eq!(policy_config(get_from(&[])), Ok(Policy::default()));
        assert_eq!(
            policy_config(get_from(&[(UPLOAD_POLICY, "{")])),
            Err(SettingError::Invalid(UPLOAD_POLICY))
        );
    }

    fn quota(pairs: &[(&str, &str)]) -> Result<(u32, u32), SettingError> {
        rate_limit_config(|n| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| (*v).to_owned())
        })
        .map(|q| (q.max.get(), q.window_seconds.get()))
    }

    #[test]
    fn defaults_and_values() {
        assert_eq!(quota(&[]), Ok((20, 60)));
        assert_eq!(
            quota(&[(RATE_LIMIT_MAX, "5"), (RATE_LIMIT_WINDOW_SECONDS, "2")]),
            Ok((5, 2))
        );
    }

    #[test]
    fn zero_or_junk_is_an_error() {
        for (name, v) in [
            (RATE_LIMIT_MAX, "0"),
            (RATE_LIMIT_MAX, "-1"),
            (RATE_LIMIT_WINDOW_SECONDS, "0"),
            (RATE_LIMIT_WINDOW_SECONDS, "1m"),
        ] {
            assert_eq!(
                quota(&[(name, v)]),
                Err(SettingError::Invalid(name)),
                "{name}={v}"
            );
        }
    }
}
