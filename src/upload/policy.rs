//! The upload policy (docs/spec.md §4): which types exist, which extensions
//! each allows and how large a file may be — the default table, or an
//! operator's `UPLOAD_POLICY` JSON (see the README), validated before use.

use std::collections::BTreeMap;

use serde::Deserialize;

/// S3's limit for a single PUT: no policy may allow more.
pub const MAX_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// The default `maxWidth` / `maxHeight` of a raster image (docs/spec.md §12).
pub const DEFAULT_MAX_DIMENSION: u32 = 8192;
/// The largest `maxWidth` / `maxHeight` an operator may set: JPEG's and
/// GIF's own limit, far above any upload a Worker should accept.
pub const MAX_DIMENSION: u32 = 65_535;

const MIB: u64 = 1024 * 1024;
const IMAGES: &[&str] = &["jpg", "jpeg", "png", "gif", "webp", "svg"];

/// The built-in extension → MIME map (docs/spec.md §4).
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
    /// `uniqueKeys`: each upload gets its own random folder, so a re-upload
    /// gets a new `link` (docs/spec.md §11). Default off.
    pub unique_keys: bool,
    /// `maxWidth` / `maxHeight`: the largest raster image (PNG, JPEG, GIF,
    /// WebP) upload confirmation accepts, in pixels (docs/spec.md §12).
    /// Default [`DEFAULT_MAX_DIMENSION`] each.
    pub max_width: u32,
    pub max_height: u32,
}

/// The whole policy: types, and the MIME type of every extension they allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    types: BTreeMap<String, TypeRule>,
    mime: BTreeMap<String, String>,
}

/// Why an operator's policy table was refused (the message names the part,
/// never echoes the table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub &'static str);

impl Default for Policy {
    fn default() -> Self {
        let rule = |extensions: &[&str], max_bytes| TypeRule {
            extensions: extensions.iter().map(|e| (*e).to_owned()).collect(),
            max_bytes,
            unique_keys: false,
            max_width: DEFAULT_MAX_DIMENSION,
            max_height: DEFAULT_MAX_DIMENSION,
        };
        let types = [
            ("profile", rule(IMAGES, 5 * MIB)),
            ("repo", rule(IMAGES, 5 * MIB)),
            ("company", rule(IMAGES, 5 * MIB)),
            ("institution", rule(IMAGES, 5 * MIB)),
            ("project", rule(IMAGES, 5 * MIB)),
            ("resume", rule(&["pdf"], 10 * MIB)),
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

fn default_mime() -> BTreeMap<String, String> {
    DEFAULT_MIME
        .iter()
        .map(|(e, m)| ((*e).to_owned(), (*m).to_owned()))
        .collect()
}

/// `UPLOAD_POLICY` as written: exactly the documented shape (no unknown
/// fields, every value of its type), before the rules are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPolicy {
    types: BTreeMap<String, RawType>,
    #[serde(default)]
    mime_types: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawType {
    extensions: Vec<String>,
    max_bytes: u64,
    #[serde(default)]
    unique_keys: bool,
    #[serde(default = "default_dimension")]
    max_width: u32,
    #[serde(default = "default_dimension")]
    max_height: u32,
}

fn default_dimension() -> u32 {
    DEFAULT_MAX_DIMENSION
}

impl Policy {
    /// Parses an operator's table:
    /// `{"types": {"<type>": {"extensions": ["png", …], "maxBytes": N,
    ///   "uniqueKeys": false, "maxWidth": 8192, "maxHeight": 8192}, …},
    ///   "mimeTypes": {"<ext>": "<mime>", …}}` — `mimeTypes` optional, merged
    /// over the built-in map.
    ///
    /// # Errors
    /// [`PolicyError`] for malformed JSON, an empty table, a type name not
    /// `[A-Za-z0-9_-]{1,64}`, an extension not `[a-z0-9]{1,16}` or without a
    /// MIME type, a size not in 1..=5 GiB, or a `maxWidth` / `maxHeight` not
    /// in 1..=65535.
    pub fn from_json(json: &str) -> Result<Self, PolicyError> {
        let raw: RawPolicy =
            serde_json::from_str(json).map_err(|_| PolicyError("not valid policy JSON"))?;
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
        let mut types = BTreeMap::new();
        for (name, t) in raw.types {
            if !is_type_name(&name) {
                return Err(PolicyError("invalid type name"));
            }
            if t.extensions.is_empty() || !(1..=MAX_OBJECT_BYTES).contains(&t.max_bytes) {
                return Err(PolicyError(
                    "type needs extensions and a maxBytes in 1..=5 GiB",
                ));
            }
            let dimensions = 1..=MAX_DIMENSION;
            if !dimensions.contains(&t.max_width) || !dimensions.contains(&t.max_height) {
                return Err(PolicyError("maxWidth and maxHeight must be in 1..=65535"));
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
                    unique_keys: t.unique_keys,
                    max_width: t.max_width,
                    max_height: t.max_height,
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
        self.types.iter().map(|(k, v)| (k.as_str(), v))
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

/// `type/subtype`, both RFC 9110 tokens.
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn operator_policy_table() {
        let p = Policy::from_json(
            r#"{"types": {"banner": {"extensions": ["PNG", ".heic"], "maxBytes": 1024}}, "mimeTypes": {"heic": "image/heic"}}"#,
        )
        .unwrap();
        assert!(p.rule("profile").is_none());
        assert_eq!(p.rule("banner").unwrap().extensions, ["png", "heic"]);
        assert_eq!(p.mime("heic"), Some("image/heic"));
        assert!(!p.rule("banner").unwrap().unique_keys);
        let unique = Policy::from_json(
            r#"{"types": {"avatar": {"extensions": ["png"], "maxBytes": 1, "uniqueKeys": true}}}"#,
        )
        .unwrap();
        assert!(unique.rule("avatar").unwrap().unique_keys);
        assert!(Policy::default().types.values().all(|r| !r.unique_keys));
    }

    #[test]
    fn raster_dimension_limits() {
        assert!(Policy::default()
            .types
            .values()
            .all(|r| r.max_width == 8192 && r.max_height == 8192));
        let p = Policy::from_json(
            r#"{"types": {"icon": {"extensions": ["png"], "maxBytes": 1, "maxWidth": 512, "maxHeight": 65535}, "doc": {"extensions": ["pdf"], "maxBytes": 1}}}"#,
        )
        .unwrap();
        let icon = p.rule("icon").unwrap();
        assert_eq!((icon.max_width, icon.max_height), (512, 65535));
        let doc = p.rule("doc").unwrap();
        assert_eq!((doc.max_width, doc.max_height), (8192, 8192));
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
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1.5}}}"#,
            r#"{"types": {"x": {"extensions": ["exe"], "maxBytes": 1}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1, "typo": 1}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1, "uniqueKeys": "yes"}}}"#,
            r#"{"types": {"x": {"extensions": [1], "maxBytes": 1}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1, "maxWidth": 0}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1, "maxHeight": 65536}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1, "maxWidth": -1}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1, "maxWidth": 64.5}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1, "maxHeight": "8192"}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1, "maxWidth": null}}}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1}}, "other": 1}"#,
            r#"{"types": {"x": {"extensions": ["png"], "maxBytes": 1}}, "mimeTypes": {"exe": "not a mime"}}"#,
        ] {
            assert!(Policy::from_json(bad).is_err(), "{bad}");
        }
    }
}
