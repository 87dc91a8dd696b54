//! The request body (docs/spec.md §2, §9): a JSON object → a
//! [`ValidatedUpload`], checks in the contract's order.
//!
//! The body is read as a map from member names to their raw JSON text
//! (`serde_json::value::RawValue`), so each field is judged before it is
//! typed: `null` counts as absent, a wrong JSON type is the field's own
//! error code, and a `size` keeps its text — `1e400` is too large, not
//! invalid JSON. Repeated members: the last one counts.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use super::method::UploadMethod;
use super::policy::Policy;
use crate::error::AppError;

/// Largest body accepted by the route (docs/spec.md §2).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A request that passed every body check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedUpload {
    pub type_name: String,
    pub file_name: String,
    /// The extension's MIME type: what `Content-Type` must be.
    pub content_type: String,
    /// The exact length, when the client declared it.
    pub size: Option<u64>,
    /// `method` (default PUT).
    pub method: UploadMethod,
    /// The type's size limit: a POST policy's upper bound without `size`.
    pub max_bytes: u64,
    /// The type's `uniqueKeys` option: a random folder per upload.
    pub unique_keys: bool,
}

/// The body's members, each still its JSON text.
struct Members<'a>(BTreeMap<String, &'a RawValue>);

impl<'a> Members<'a> {
    /// Parses a JSON object; anything else is `invalid_json`.
    fn parse(body: &'a [u8]) -> Result<Self, AppError> {
        serde_json::from_slice(body)
            .map(Self)
            .map_err(|_| AppError::InvalidJson)
    }

    /// A member's text; `null` counts as absent.
    fn get(&self, name: &str) -> Option<&'a str> {
        self.0
            .get(name)
            .map(|raw| raw.get().trim())
            .filter(|text| *text != "null")
    }

    /// A non-empty string member. A string that cannot be decoded (a lone
    /// UTF-16 surrogate escape) is not a usable string.
    fn string(&self, name: &str) -> Option<String> {
        let text = self.get(name)?;
        serde_json::from_str::<String>(text)
            .ok()
            .filter(|s| !s.is_empty())
    }
}

/// Validates a request body (already within [`MAX_BODY_BYTES`]) against the
/// policy, checks in docs/spec.md §9's order.
///
/// # Errors
/// `invalid_json`, `missing_parameters`, `invalid_type`, `invalid_file_name`,
/// `unsupported_file_type`, `content_type_mismatch`, `invalid_size`,
/// `file_too_large`, `invalid_method` (docs/spec.md §11).
pub fn validate(body: &[u8], policy: &Policy) -> Result<ValidatedUpload, AppError> {
    let members = Members::parse(body)?;
    // `fileName` wins over the original client's `filename` when both are sent.
    let type_name = members.string("type");
    let file_name = if members.get("fileName").is_some() {
        members.string("fileName")
    } else {
        members.string("filename")
    };
    let (Some(type_name), Some(file_name)) = (type_name, file_name) else {
        return Err(AppError::MissingParameters);
    };
    let rule = policy.rule(&type_name).ok_or(AppError::InvalidType)?;
    check_file_name(&file_name)?;
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| rule.extensions.iter().any(|allowed| allowed == e))
        .ok_or(AppError::UnsupportedFileType)?;
    let content_type = policy.mime(&ext).ok_or(AppError::UnsupportedFileType)?;
    if members.get("contentType").is_some() {
        let declared = members
            .string("contentType")
            .ok_or(AppError::ContentTypeMismatch)?;
        if !declared.trim().eq_ignore_ascii_case(content_type) {
            return Err(AppError::ContentTypeMismatch);
        }
    }
    let size = match members.get("size") {
        None => None,
        Some(text) => Some(parse_size(text, rule.max_bytes)?),
    };
    let method = match members.get("method") {
        None => UploadMethod::default(),
        Some(text) => serde_json::from_str::<String>(text)
            .ok()
            .and_then(|m| UploadMethod::parse(&m))
            .ok_or(AppError::InvalidMethod)?,
    };
    Ok(ValidatedUpload {
        type_name,
        file_name,
        content_type: content_type.to_owned(),
        size,
        method,
        max_bytes: rule.max_bytes,
        unique_keys: rule.unique_keys,
    })
}

/// docs/spec.md §4 name rules (the extension is checked separately).
pub(crate) fn check_file_name(name: &str) -> Result<(), AppError> {
    let ok = (1..=255).contains(&name.len())
        && !name.starts_with('.')
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(AppError::InvalidFileName)
    }
}

/// A positive integer within the limit, from the value's JSON text.
/// Integral floats count (`5.0`); any positive integer over the limit,
/// however large (`2^64`, `1e30`, `1e400`), is `file_too_large`.
fn parse_size(raw: &str, max: u64) -> Result<u64, AppError> {
    if !raw.starts_with(|c: char| c.is_ascii_digit()) {
        // Strings, booleans, objects, arrays; negatives (and -0).
        return Err(AppError::InvalidSize);
    }
    let size = if let Ok(n) = raw.parse::<u64>() {
        n
    } else {
        let f = raw.parse::<f64>().map_err(|_| AppError::InvalidSize)?;
        if f.is_infinite() || f > 9.0e15 {
            // Beyond f64's exact integers, every value is a whole number.
            return Err(AppError::FileTooLarge);
        }
        if f.fract() != 0.0 || f < 1.0 {
            return Err(AppError::InvalidSize);
        }
        // Integral and below 2^53: exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = f as u64;
        n
    };
    if size == 0 {
        Err(AppError::InvalidSize)
    } else if size > max {
        Err(AppError::FileTooLarge)
    } else {
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MIB: u64 = 1024 * 1024;

    #[allow(clippy::needless_pass_by_value)] // call sites read better with json!(…)
    fn check(body: serde_json::Value) -> Result<ValidatedUpload, AppError> {
        validate(body.to_string().as_bytes(), &Policy::default())
    }

    #[test]
    fn the_spec_example() {
        let v = check(json!({"type": "profile", "fileName": "avatar.jpg", "contentType": "image/jpeg", "size": 48213})).unwrap();
        assert_eq!(v.type_name, "profile");
        assert_eq!(v.file_name, "avatar.jpg");
        assert_eq!(v.content_type, "image/jpeg");
        assert_eq!(v.size, Some(48213));
    }

    #[test]
    fn body_must_be_a_json_object() {
        for body in [&b"not json"[..], b"[]", b"\"x\"", b"null", b"", b"\xff\xfe"] {
            assert_eq!(
                validate(body, &Policy::default()),
                Err(AppError::InvalidJson)
            );
        }
    }

    #[test]
    fn missing_or_mistyped_required_fields() {
        for body in [
            json!({}),
            json!({"type": "profile"}),
            json!({"fileName": "a.png"}),
            json!({"type": "", "fileName": "a.png"}),
            json!({"type": "profile", "fileName": ""}),
            json!({"type": 1, "fileName": "a.png"}),
            json!({"type": "profile", "fileName": ["a.png"]}),
            json!({"type": null, "fileName": "a.png"}),
        ] {
            assert_eq!(
                check(body.clone()),
                Err(AppError::MissingParameters),
                "{body}"
            );
        }
    }

    #[test]
    fn filename_alias_and_precedence() {
        assert_eq!(
            check(json!({"type": "profile", "filename": "a.png"}))
                .unwrap()
                .file_name,
            "a.png"
        );
        let both =
            check(json!({"type": "profile", "fileName": "a.png", "filename": "b.gif"})).unwrap();
        assert_eq!(both.file_name, "a.png");
    }

    #[test]
    fn type_is_case_sensitive_and_listed() {
        assert_eq!(
            check(json!({"type": "Profile", "fileName": "a.png"})),
            Err(AppError::InvalidType)
        );
        assert_eq!(
            check(json!({"type": "../profile", "fileName": "a.png"})),
            Err(AppError::InvalidType)
        );
    }

    #[test]
    fn file_name_rules() {
        for name in [
            ".png",
            "..",
            ".",
            "a/b.png",
            "a\\b.png",
            "a\u{0}.png",
            "a\n.png",
            "a\u{7f}.png",
            "../x.png",
        ] {
            assert_eq!(
                check(json!({"type": "profile", "fileName": name})),
                Err(AppError::InvalidFileName),
                "{name:?}"
            );
        }
        let long = format!("{}.png", "a".repeat(251)); // 255 bytes
        assert!(check(json!({"type": "profile", "fileName": long})).is_ok());
        let too_long = format!("{}.png", "a".repeat(252)); // 256 bytes
        assert_eq!(
            check(json!({"type": "profile", "fileName": too_long})),
            Err(AppError::InvalidFileName)
        );
        // Spaces, non-ASCII letters and reserved characters are legal.
        for name in [
            "my photo.png",
            "résumé 名前.png",
            "a+b=c&d%e.png",
            "%2e%2e%2fx.png",
            "a\u{2215}b.png",
        ] {
            assert!(
                check(json!({"type": "profile", "fileName": name})).is_ok(),
                "{name}"
            );
        }
    }

    #[test]
    fn extensions() {
        assert_eq!(
            check(json!({"type": "profile", "fileName": "LOGO.PNG"}))
                .unwrap()
                .content_type,
            "image/png"
        );
        for name in ["noext", "a.", "a.pdf", "a.png.exe", "a.jpg "] {
            assert_eq!(
                check(json!({"type": "profile", "fileName": name})),
                Err(AppError::UnsupportedFileType),
                "{name}"
            );
        }
        assert_eq!(
            check(json!({"type": "resume", "fileName": "cv.png"})),
            Err(AppError::UnsupportedFileType)
        );
        assert_eq!(
            check(json!({"type": "resume", "fileName": "cv.PDF"}))
                .unwrap()
                .content_type,
            "application/pdf"
        );
        assert_eq!(
            check(json!({"type": "project", "fileName": "x.svg"}))
                .unwrap()
                .content_type,
            "image/svg+xml"
        );
    }

    #[test]
    fn content_type_must_match_the_extension() {
        let ok = json!({"type": "profile", "fileName": "a.jpeg", "contentType": "IMAGE/JPEG"});
        assert!(check(ok).is_ok());
        for ct in [
            json!("image/png"),
            json!("image/jpeg; charset=x"),
            json!(""),
            json!(5),
            json!(["image/jpeg"]),
        ] {
            let body = json!({"type": "profile", "fileName": "a.jpg", "contentType": ct});
            assert_eq!(check(body), Err(AppError::ContentTypeMismatch), "{ct}");
        }
    }

    #[test]
    fn sizes() {
        let with = |size: serde_json::Value| {
            check(json!({"type": "profile", "fileName": "a.png", "size": size}))
        };
        assert_eq!(with(json!(1)).unwrap().size, Some(1));
        assert_eq!(with(json!(5 * MIB)).unwrap().size, Some(5 * MIB));
        assert_eq!(with(json!(5.0)).unwrap().size, Some(5));
        assert_eq!(with(json!(5 * MIB + 1)), Err(AppError::FileTooLarge));
        assert_eq!(with(json!(0)), Err(AppError::InvalidSize));
        assert_eq!(with(json!(-1)), Err(AppError::InvalidSize));
        assert_eq!(with(json!(1.5)), Err(AppError::InvalidSize));
        assert_eq!(with(json!("12")), Err(AppError::InvalidSize));
        assert_eq!(with(json!(true)), Err(AppError::InvalidSize));
        assert_eq!(with(json!(u64::MAX)), Err(AppError::FileTooLarge));
        assert_eq!(with(json!(1e30)), Err(AppError::FileTooLarge));
        // Beyond f64 altogether: judged from the text.
        let body = br#"{"type":"profile","fileName":"a.png","size":1e400}"#;
        assert_eq!(
            validate(body, &Policy::default()),
            Err(AppError::FileTooLarge)
        );
        // 2^64 does not fit a u64: still "too large", not "invalid".
        let body = br#"{"type":"profile","fileName":"a.png","size":18446744073709551616}"#;
        assert_eq!(
            validate(body, &Policy::default()),
            Err(AppError::FileTooLarge)
        );
        let resume =
            check(json!({"type": "resume", "fileName": "cv.pdf", "size": 10 * MIB})).unwrap();
        assert_eq!(resume.size, Some(10 * MIB));
    }

    #[test]
    fn errors_follow_the_spec_order() {
        // Everything wrong at once: the earliest check wins.
        let body = json!({"type": "nope", "fileName": "../x.exe", "contentType": 1, "size": -1});
        assert_eq!(check(body), Err(AppError::InvalidType));
        let body = json!({"type": "profile", "fileName": "../x.exe", "contentType": 1, "size": -1});
        assert_eq!(check(body), Err(AppError::InvalidFileName));
        let body = json!({"type": "profile", "fileName": "x.exe", "contentType": 1, "size": -1});
        assert_eq!(check(body), Err(AppError::UnsupportedFileType));
        let body = json!({"type": "profile", "fileName": "x.png", "contentType": 1, "size": -1});
        assert_eq!(check(body), Err(AppError::ContentTypeMismatch));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        assert!(check(json!({"type": "profile", "fileName": "a.png", "extra": {"x": 1}})).is_ok());
    }
    #[test]
    fn operator_policy_table() {
        let p = Policy::from_json(
            r#"{"types": {"banner": {"extensions": ["PNG", ".heic"], "maxBytes": 1024}}, "mimeTypes": {"heic": "image/heic"}}"#,
        )
        .unwrap();
        let v = validate(br#"{"type":"banner","fileName":"b.HEIC","size":1024}"#, &p).unwrap();
        assert_eq!(v.content_type, "image/heic");
        assert_eq!(
            validate(br#"{"type":"banner","fileName":"b.png","size":1025}"#, &p),
            Err(AppError::FileTooLarge)
        );
    }

    #[test]
    fn repeated_members_the_last_counts_and_null_is_absent() {
        let p = Policy::default();
        let v = validate(
            br#"{"type":"resume","type":"profile","fileName":"a.png","size":null,"contentType":null}"#,
            &p,
        )
        .unwrap();
        assert_eq!((v.type_name.as_str(), v.size), ("profile", None));
        let v = validate(
            br#"{"type":"profile","fileName":null,"filename":"b.gif"}"#,
            &p,
        )
        .unwrap();
        assert_eq!(v.file_name, "b.gif");
    }

    #[test]
    fn lone_surrogates_and_deep_nesting() {
        let p = Policy::default();
        assert_eq!(
            validate(br#"{"type":"profile","fileName":"\ud800.png"}"#, &p),
            Err(AppError::MissingParameters)
        );
        // An unknown member is never decoded.
        assert!(validate(br#"{"type":"profile","fileName":"a.png","x":"\ud800"}"#, &p).is_ok());
        let deep = |n: usize| {
            format!(
                r#"{{"type":"profile","fileName":"a.png","x":{}{}}}"#,
                "[".repeat(n),
                "]".repeat(n)
            )
        };
        // Unknown members are only grammar-checked, without recursion: any
        // depth that fits in the 16 KiB body is fine (and cannot overflow).
        assert!(validate(deep(8000).as_bytes(), &p).is_ok());
        let unbalanced = deep(8000).replacen(']', "", 1);
        assert_eq!(
            validate(unbalanced.as_bytes(), &p),
            Err(AppError::InvalidJson)
        );
    }

    #[test]
    fn method_field() {
        let p = Policy::default();
        let method = |m: &str| {
            validate(
                format!(r#"{{"type":"profile","fileName":"a.png","method":{m}}}"#).as_bytes(),
                &p,
            )
            .map(|u| u.method)
        };
        assert_eq!(method("null"), Ok(UploadMethod::Put));
        assert_eq!(method(r#""PUT""#), Ok(UploadMethod::Put));
        assert_eq!(method(r#""POST""#), Ok(UploadMethod::Post));
        for bad in [
            r#""post""#,
            r#""GET""#,
            r#""""#,
            "1",
            "true",
            "[]",
            r#""\ud800""#,
        ] {
            assert_eq!(method(bad), Err(AppError::InvalidMethod), "{bad}");
        }
        // After the field errors of docs/spec.md §3.
        assert_eq!(
            validate(
                br#"{"type":"profile","fileName":"a.png","size":0,"method":"GET"}"#,
                &p
            ),
            Err(AppError::InvalidSize)
        );
        let ok = validate(br#"{"type":"resume","fileName":"cv.pdf"}"#, &p).unwrap();
        assert_eq!(
            (ok.method, ok.max_bytes),
            (UploadMethod::Put, 10 * 1024 * 1024)
        );
    }
}
