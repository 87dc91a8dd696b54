//! The upload policy (SPEC §4) and the request body (SPEC §2, §9): a JSON
//! body becomes a [`ValidatedUpload`] — type, file name, MIME type, optional
//! exact size and the object key — or the first error in the SPEC's order.
//!
//! The policy is data: the default table below, or an operator's
//! `UPLOAD_POLICY` JSON (see the README), validated before use.

use std::borrow::Cow;

use crate::json;
use crate::small::SmallMap;

use crate::error::AppError;

/// Largest body accepted by the route (SPEC §2).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// S3's limit for a single PUT: no policy may allow more.
pub const MAX_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024;

const MIB: u64 = 1024 * 1024;
const IMAGES: &[&str] = &["jpg", "jpeg", "png", "gif", "webp", "svg"];

/// The built-in extension → MIME map (SPEC §4).
const DEFAULT_MIME: &[(&str, &str)] = &[
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("svg", "image/svg+xml"),
    ("pdf", "application/pdf"),
];

/// One upload type: which extensions, how large.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRule {
    /// Lower-case extensions without the dot.
    pub extensions: Vec<String>,
    pub max_bytes: u64,
}

/// The whole policy: types, and the MIME type of every extension they allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    types: SmallMap<TypeRule>,
    mime: SmallMap<String>,
}

/// Why an operator's policy table was refused (the message names the part,
/// never echoes the table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub &'static str);

impl Default for Policy {
    fn default() -> Self {
        let images = |max| TypeRule {
            extensions: IMAGES.iter().map(|e| (*e).to_owned()).collect(),
            max_bytes: max,
        };
        let types = [
            ("profile", images(5 * MIB)),
            ("repo", images(5 * MIB)),
            ("company", images(5 * MIB)),
            ("institution", images(5 * MIB)),
            ("project", images(5 * MIB)),
            (
                "resume",
                TypeRule {
                    extensions: vec!["pdf".to_owned()],
                    max_bytes: 10 * MIB,
                },
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Self {
            types,
            mime: default_mime(),
        }
    }
}

fn default_mime() -> SmallMap<String> {
    DEFAULT_MIME
        .iter()
        .map(|(e, m)| ((*e).to_owned(), (*m).to_owned()))
        .collect()
}

impl Policy {
    /// Parses an operator's table:
    /// `{"types": {"<type>": {"extensions": ["png", …], "maxBytes": N}, …},
    ///   "mimeTypes": {"<ext>": "<mime>", …}}` — `mimeTypes` optional, merged
    /// over the built-in map.
    ///
    /// # Errors
    /// [`PolicyError`] for malformed JSON, an empty table, a type name not
    /// `[A-Za-z0-9_-]{1,64}`, an extension not `[a-z0-9]{1,16}` or without a
    /// MIME type, or a size not in 1..=5 GiB.
    pub fn from_json(json: &str) -> Result<Self, PolicyError> {
        let raw = RawPolicy::parse(json).ok_or(PolicyError("not valid policy JSON"))?;
        if raw.types.is_empty() {
            return Err(PolicyError("no upload types"));
        }
        let mut mime = default_mime();
        for (ext, m) in raw.mime_types {
            let ext = ext.to_ascii_lowercase();
            if !is_extension(&ext) || !is_mime(&m) {
                return Err(PolicyError("invalid mimeTypes entry"));
            }
            mime.insert(ext, m.to_ascii_lowercase());
        }
        let mut types = SmallMap::default();
        for (name, t) in raw.types {
            if !is_type_name(&name) {
                return Err(PolicyError("invalid type name"));
            }
            if t.extensions.is_empty() || !(1..=MAX_OBJECT_BYTES).contains(&t.max_bytes) {
                return Err(PolicyError(
                    "type needs extensions and a maxBytes in 1..=5 GiB",
                ));
            }
            let mut extensions = Vec::new();
            for ext in t.extensions {
                let ext = ext.trim_start_matches('.').to_ascii_lowercase();
                if !is_extension(&ext) || !mime.contains_key(&ext) {
                    return Err(PolicyError("extension without a MIME type"));
                }
                extensions.push(ext);
            }
            types.insert(
                name,
                TypeRule {
                    extensions,
                    max_bytes: t.max_bytes,
                },
            );
        }
        Ok(Self { types, mime })
    }

    /// The rule for `type`, case-sensitively.
    pub fn rule(&self, type_name: &str) -> Option<&TypeRule> {
        self.types.get(type_name)
    }

    /// Every type with its rule, sorted by name.
    pub fn types(&self) -> impl Iterator<Item = (&str, &TypeRule)> {
        self.types.iter()
    }

    /// The MIME type of a (lower-case) extension.
    pub fn mime(&self, ext: &str) -> Option<&str> {
        self.mime.get(ext).map(String::as_str)
    }
}

fn is_type_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_extension(s: &str) -> bool {
    (1..=16).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn is_mime(s: &str) -> bool {
    let Some((top, sub)) = s.split_once('/') else {
        return false;
    };
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    token(top) && token(sub)
}

/// `UPLOAD_POLICY` as written, before the rules are checked: exactly the
/// documented shape (no unknown fields, every value of its type), else
/// `None`.
struct RawPolicy {
    types: SmallMap<RawType>,
    mime_types: SmallMap<String>,
}

struct RawType {
    extensions: Vec<String>,
    max_bytes: u64,
}

impl RawPolicy {
    fn parse(text: &str) -> Option<Self> {
        let doc = json::parse_str(text).ok()?;
        let mut types = None;
        let mut mime_types = SmallMap::default();
        for (key, value) in doc.as_object()? {
            match key.as_ref() {
                "types" => {
                    let mut parsed = SmallMap::default();
                    for (name, rule) in value.as_object()? {
                        parsed.insert(name.to_string(), RawType::parse(rule)?);
                    }
                    types = Some(parsed);
                }
                "mimeTypes" => {
                    mime_types = SmallMap::default();
                    for (ext, mime) in value.as_object()? {
                        mime_types.insert(ext.to_string(), mime.as_str()?.into_owned());
                    }
                }
                _ => return None,
            }
        }
        Some(Self {
            types: types?,
            mime_types,
        })
    }
}

impl RawType {
    fn parse(value: &json::Value<'_>) -> Option<Self> {
        let (mut extensions, mut max_bytes) = (None, None);
        for (key, value) in value.as_object()? {
            match key.as_ref() {
                "extensions" => {
                    let list = value
                        .as_array()?
                        .iter()
                        .map(|e| e.as_str().map(Cow::into_owned));
                    extensions = Some(list.collect::<Option<Vec<_>>>()?);
                }
                "maxBytes" => max_bytes = Some(value.as_u64()?),
                _ => return None,
            }
        }
        Some(Self {
            extensions: extensions?,
            max_bytes: max_bytes?,
        })
    }
}

/// A request that passed every body check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedUpload {
    pub type_name: String,
    pub file_name: String,
    /// The extension's MIME type: what `Content-Type` must be.
    pub content_type: String,
    /// The exact length, when the client declared it.
    pub size: Option<u64>,
}

/// Validates a request body (already within [`MAX_BODY_BYTES`]) against the
/// policy, checks in SPEC §9's order.
///
/// # Errors
/// `invalid_json`, `missing_parameters`, `invalid_type`, `invalid_file_name`,
/// `unsupported_file_type`, `content_type_mismatch`, `invalid_size`,
/// `file_too_large`.
pub fn validate(body: &[u8], policy: &Policy) -> Result<ValidatedUpload, AppError> {
    // Numbers keep their text, so a `size` too large even for f64 (`1e400`)
    // is judged from it instead of failing the whole body as `invalid_json`.
    let doc = json::parse(body).map_err(|_| AppError::InvalidJson)?;
    if doc.as_object().is_none() {
        return Err(AppError::InvalidJson);
    }
    // `null` counts as absent; a string that is not one (or cannot be
    // decoded) as missing.
    let field = |name: &str| doc.field(name);
    let string = |name: &str| {
        field(name)
            .and_then(json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(Cow::into_owned)
    };

    // `fileName` wins over the original client's `filename` when both are sent.
    let type_name = string("type");
    let file_name = if field("fileName").is_some() {
        string("fileName")
    } else {
        string("filename")
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
    if let Some(value) = field("contentType") {
        let declared = value.as_str().ok_or(AppError::ContentTypeMismatch)?;
        if !declared.trim().eq_ignore_ascii_case(content_type) {
            return Err(AppError::ContentTypeMismatch);
        }
    }
    let size = match field("size") {
        None => None,
        Some(json::Value::Number(text)) => Some(parse_size(text, rule.max_bytes)?),
        // Strings, booleans, objects, arrays.
        Some(_) => return Err(AppError::InvalidSize),
    };
    Ok(ValidatedUpload {
        type_name,
        file_name,
        content_type: content_type.to_owned(),
        size,
    })
}

/// SPEC §4 name rules (the extension is checked separately).
fn check_file_name(name: &str) -> Result<(), AppError> {
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
    let is_number = raw.starts_with(|c: char| c == '-' || c.is_ascii_digit());
    if !is_number || raw.starts_with('-') {
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
    fn default_table() {
        let p = Policy::default();
        for t in ["profile", "repo", "company", "institution", "project"] {
            let r = p.rule(t).unwrap();
            assert_eq!(r.max_bytes, 5 * MIB);
            assert_eq!(r.extensions, IMAGES);
        }
        assert_eq!(p.rule("resume").unwrap().extensions, ["pdf"]);
        assert_eq!(p.rule("resume").unwrap().max_bytes, 10 * MIB);
        assert!(p.rule("Profile").is_none());
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
        assert!(p.rule("profile").is_none());
        let v = validate(br#"{"type":"banner","fileName":"b.HEIC","size":1024}"#, &p).unwrap();
        assert_eq!(v.content_type, "image/heic");
        assert_eq!(
            validate(br#"{"type":"banner","fileName":"b.png","size":1025}"#, &p),
            Err(AppError::FileTooLarge)
        );
    }

    #[test]
    fn invalid_operator_tables_are_refused() {
        for bad in [
            "",
            "{}",
            r#"{"types": {}}"#,
            r#"{"types": {"a/b": {"extensions": ["png"], "maxBytes": 1}}}"#,
            r#"{"types": {"x": {"extensions": [], "maxBytes": 1}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 0}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 5368709121}}}"#,
            r#"{"types": {"x": {"extensions": ["exe"], "maxBytes": 1}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1, "typo": 1}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1}}, "mimeTypes": {"exe": "not a mime"}}"#,
        ] {
            assert!(Policy::from_json(bad).is_err(), "{bad}");
        }
    }
}
