//! Property tests (issue 9), over the pure core with arbitrary input:
//! - any accepted upload's key is `{prefix}/{sub}/{type}/{fileName}` and
//!   percent-decodes back from the signed URL and the link;
//! - the canonical query, and the query of every pre-signed URL, is sorted
//!   and single-encoded;
//! - the URL fast path signs exactly what the step-by-step signer does;
//! - GCRA never allows more than its budget: at most `max` at one instant,
//!   and at most `max` + what refills (`max` per window) over any interval.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]
use std::num::NonZeroU32;

use proptest::prelude::*;
use upload_signer::auth::verify::UserId;
use upload_signer::config::storage_config;
use upload_signer::json;
use upload_signer::ratelimit::gcra::{self, Decision, Quota};
use upload_signer::routes::signed_upload;
use upload_signer::sigv4::canonical::canonical_query;
use upload_signer::sigv4::{
    append_signed_query, sign_query, Credentials, Expiry, PayloadHash, QueryRequest,
    SigningContext, UrlRequest,
};
use upload_signer::time::UtcTime;
use upload_signer::upload::{validate, Policy};

#[path = "../fuzz/harness.rs"]
mod harness;

/// Strict percent-decoding, as UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    String::from_utf8(harness::percent_decode(s)?).ok()
}

/// What SigV4 leaves unencoded, plus the `%XX` escapes it produces.
fn is_single_encoded(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => i += 1,
            b'%' if i + 2 < b.len()
                && b[i + 1].is_ascii_hexdigit()
                && b[i + 2].is_ascii_hexdigit() =>
            {
                // Upper-case hex, as SigV4 requires.
                if b[i + 1].is_ascii_lowercase() || b[i + 2].is_ascii_lowercase() {
                    return false;
                }
                i += 3;
            }
            _ => return false,
        }
    }
    true
}

/// File names: mostly plausible (`name.ext` with allowed and other
/// extensions), plus anything at all.
fn file_name() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            "\\PC{1,40}",
            prop::sample::select(vec![
                "png", "JPG", "jpeg", "webp", "pdf", "gif", "exe", "svg", ""
            ]),
        )
            .prop_map(|(stem, ext)| format!("{stem}.{ext}")),
        "\\PC{0,80}",
        any::<String>(),
    ]
}

#[allow(clippy::expect_used)] // a fixed, valid test configuration
fn storage(prefix: &str) -> upload_signer::config::StorageConfig {
    storage_config(|name| {
        Some(
            match name {
                "S3_BUCKET" => "bucket-prop",
                "S3_ACCESS_KEY_ID" => "AKIDPROPTEST",
                "S3_SECRET_ACCESS_KEY" => "prop-test-secret",
                "S3_KEY_PREFIX" => prefix,
                "S3_ENDPOINT" => "https://s3.example.test",
                "S3_FORCE_PATH_STYLE" => "true",
                _ => return None,
            }
            .to_owned(),
        )
    })
    .expect("test storage settings are valid")
}

/// Arbitrary JSON values: any string (controls, quotes, astral planes),
/// integers and floats, nested arrays and objects.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as V;
    let leaf = prop_oneof![
        Just(V::Null),
        any::<bool>().prop_map(V::Bool),
        any::<i64>().prop_map(V::from),
        any::<u64>().prop_map(V::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(V::from),
        any::<String>().prop_map(V::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(V::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|members| V::Object(members.into_iter().collect())),
        ]
    })
}

/// Upload-shaped bodies with awkward values: escapes, lone surrogates,
/// nulls, wrong types, repeated keys, big numbers; sometimes cut short.
fn upload_body_text() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "type",
        "fileName",
        "filename",
        "contentType",
        "size",
        "x",
    ]);
    let value = prop::sample::select(vec![
        "\"profile\"",
        "\"a.png\"",
        "\"\"",
        "null",
        "true",
        "1",
        "-1",
        "5.0",
        "1e400",
        "18446744073709551616",
        "\"\\ud800\"",
        "\"\\ud83d\\ude00.png\"",
        "\"a\\u0000b\"",
        "\"\\/x\"",
        "[\"a\"]",
        "{}",
        "{\"a\":[1,{\"b\":null}]}",
        "\"image/png\"",
        "0.5",
    ]);
    (
        prop::collection::vec((key, value), 0..7),
        0usize..200,
        any::<bool>(),
    )
        .prop_map(|(members, cut, truncate)| {
            let body = format!(
                "{{{}}}",
                members
                    .iter()
                    .map(|(k, v)| format!("\"{k}\": {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if truncate && cut < body.len() {
                body[..cut].to_owned()
            } else {
                body
            }
        })
}

/// `(type, fileName, filename, contentType, size)` as the route reads them;
/// `None` for a body that is not a JSON object.
type Fields = Option<[Option<Result<String, ()>>; 5]>;
const FIELDS: [&str; 5] = ["type", "fileName", "filename", "contentType", "size"];

fn fields_ours(body: &str) -> Fields {
    let doc = json::parse(body.as_bytes()).ok()?;
    doc.as_object()?;
    Some(FIELDS.map(|name| {
        doc.field(name).map(|v| match v {
            json::Value::Number(text) if name == "size" => Ok(format!("number {text}")),
            _ => v.as_str().map(std::borrow::Cow::into_owned).ok_or(()),
        })
    }))
}

fn fields_serde(body: &str) -> Fields {
    use std::collections::BTreeMap;
    let obj: BTreeMap<String, Box<serde_json::value::RawValue>> =
        serde_json::from_str(body).ok()?;
    Some(FIELDS.map(|name| {
        let raw = obj
            .get(name)
            .map(|raw| raw.get().trim())
            .filter(|raw| *raw != "null")?;
        Some(
            if name == "size" && raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                Ok(format!("number {raw}"))
            } else {
                serde_json::from_str::<String>(raw).map_err(|_| ())
            },
        )
    }))
}

/// Our value as serde_json's, for comparison.
fn to_serde(v: &json::Value<'_>) -> serde_json::Value {
    use serde_json::Value as V;
    match v {
        json::Value::Null => V::Null,
        json::Value::Bool(b) => V::Bool(*b),
        // Rust's own float parsing rounds correctly (serde_json's default
        // parser can be one unit off in the last place).
        json::Value::Number(_) => v
            .as_i64()
            .map(V::from)
            .or_else(|| v.as_u64().map(V::from))
            .unwrap_or_else(|| V::from(v.as_f64().unwrap())),
        json::Value::String(s) => V::String(s.decode().unwrap().into_owned()),
        json::Value::Array(items) => V::Array(items.iter().map(to_serde).collect()),
        json::Value::Object(members) => V::Object(
            members
                .iter()
                .map(|(k, v)| (k.to_string(), to_serde(v)))
                .collect(),
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn accepted_upload_keys_are_scoped_and_round_trip(
        sub in "[A-Za-z0-9_-]{1,64}",
        type_name in prop::sample::select(vec!["profile", "repo", "company", "institution", "project", "resume", "nope", ""]),
        name in file_name(),
        prefix in prop::sample::select(vec!["user-uploads", "a/b c", "é/x+y"]),
    ) {
        let body = serde_json::json!({ "type": type_name, "fileName": name }).to_string();
        let Ok(upload) = validate(body.as_bytes(), &Policy::default()) else {
            return Ok(()); // refused: nothing to sign (`valid_uploads_…` below
                           // makes sure plenty are accepted)
        };
        let user = UserId::new(&sub).unwrap();
        let resp = signed_upload(&upload, &user, &storage(prefix), UtcTime::from_unix_seconds(1_790_000_000)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
        let data = &json["data"];
        let key = data["key"].as_str().unwrap();
        let scope = format!("{prefix}/{sub}/{type_name}/");
        prop_assert!(key.starts_with(&scope), "{key} outside {scope}");
        prop_assert_eq!(&key[scope.len()..], name.as_str());
        prop_assert!(!name.contains('/'));

        // The signed URL's path and the link decode to exactly the key.
        let url = data["url"].as_str().unwrap();
        let path = url.strip_prefix("https://s3.example.test/bucket-prop/").unwrap();
        let (path, query) = path.split_once('?').unwrap();
        prop_assert!(path.split('/').all(is_single_encoded), "{path}");
        prop_assert_eq!(percent_decode(path), Some(key.to_owned()));
        let link = data["link"].as_str().unwrap().strip_prefix("https://s3.example.test/bucket-prop/").unwrap();
        prop_assert_eq!(percent_decode(link), Some(key.to_owned()));
        // And its query is sorted and single-encoded, whatever the key.
        let pairs: Vec<(&str, &str)> = query.split('&').map(|p| p.split_once('=').unwrap()).collect();
        // Sorted, with the signature appended last (it signs the rest).
        let (last, signed) = pairs.split_last().unwrap();
        prop_assert_eq!(last.0, "X-Amz-Signature");
        prop_assert!(signed.windows(2).all(|w| w[0] < w[1]), "{query}");
        for (k, v) in &pairs {
            prop_assert!(is_single_encoded(k) && is_single_encoded(v), "{k}={v}");
        }
        let credential = pairs.iter().find(|(k, _)| *k == "X-Amz-Credential").unwrap().1;
        prop_assert_eq!(
            percent_decode(credential),
            Some("AKIDPROPTEST/20260921/us-east-1/s3/aws4_request".to_owned())
        );
    }

    /// The other side of the key property: well-formed requests for every
    /// type and extension are accepted (so that property is not vacuous),
    /// whatever Unicode the file name's stem holds.
    #[test]
    fn valid_uploads_are_always_accepted(
        (type_name, ext) in prop::sample::select(vec![
            ("profile", "png"), ("repo", "JPG"), ("company", "jpeg"), ("institution", "webp"),
            ("project", "gif"), ("resume", "pdf"), ("resume", "PDF"),
        ]),
        stem in "[^./\\\\\\p{Cc}][^/\\\\\\p{Cc}]{0,60}",
    ) {
        let name = format!("{stem}.{ext}");
        let body = serde_json::json!({ "type": type_name, "fileName": name }).to_string();
        let upload = validate(body.as_bytes(), &Policy::default());
        prop_assert!(upload.is_ok(), "{name}: {upload:?}");
        let upload = upload.unwrap();
        prop_assert_eq!(upload.file_name, name);
        prop_assert_eq!(upload.type_name, type_name);
    }

    #[test]
    fn canonical_query_is_sorted_and_single_encoded(
        params in prop::collection::vec((any::<String>(), any::<String>()), 0..8),
    ) {
        let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let query = canonical_query(refs.iter().copied());
        if params.is_empty() {
            prop_assert_eq!(query, "");
            return Ok(());
        }
        let pairs: Vec<(&str, &str)> = query.split('&').map(|p| p.split_once('=').unwrap()).collect();
        prop_assert_eq!(pairs.len(), params.len());
        prop_assert!(pairs.windows(2).all(|w| w[0] <= w[1]), "{query}");
        let mut decoded: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| {
                assert!(is_single_encoded(k) && is_single_encoded(v), "{k}={v}");
                (percent_decode(k).unwrap(), percent_decode(v).unwrap())
            })
            .collect();
        let mut original = params.clone();
        decoded.sort();
        original.sort();
        prop_assert_eq!(decoded, original);
    }

    /// The URL fast path (canonical request hashed as produced, the query
    /// written into the URL) signs exactly what the step-by-step signer
    /// does, for any header set: upper-case, repeated, padded or many names,
    /// extra query parameters, a session token.
    #[test]
    fn url_fast_path_equals_the_step_by_step_signer(
        headers in prop::collection::vec(
            (
                prop::sample::select(vec!["content-type", "Content-Type", "content-length", "x-amz-meta-a", "X-Amz-Meta-A", "a", "zz", "if-match"]),
                "[ -~\t]{0,12}",
            ),
            0..10,
        ),
        query in prop::collection::vec((any::<String>(), any::<String>()), 0..3),
        token in prop::option::of("[!-~]{1,20}"),
        host in "[a-z0-9.-]{1,20}(:[0-9]{1,5})?",
        path in "/[A-Za-z0-9%/._~-]{0,30}",
        now in 0u64..253_402_300_000,
    ) {
        let credentials = Credentials::new("AKIDEXAMPLE", "secret", token).unwrap();
        let ctx = SigningContext {
            credentials: &credentials,
            region: "us-east-1",
            service: "s3",
            now: UtcTime::from_unix_seconds(now),
            expires: Expiry::from_seconds(3600).unwrap(),
        };
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let req = QueryRequest {
            method: "PUT",
            host: &host,
            canonical_uri: &path,
            query: &query,
            headers: &headers,
            payload: PayloadHash::Unsigned,
        };
        let step_by_step = sign_query(&ctx, &req);
        let mut url = format!("http://{host}{path}?");
        let prefix = url.len();
        let fast = append_signed_query(
            &ctx,
            &UrlRequest {
                method: "PUT",
                host: 7..7 + host.len(),
                path: 7 + host.len()..7 + host.len() + path.len(),
                query: &query,
                headers: &headers,
                payload: PayloadHash::Unsigned,
            },
            &mut url,
        );
        match (step_by_step, fast) {
            (Ok(signed), Ok(())) => prop_assert_eq!(&url[prefix..], signed.query_string.as_str()),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
        }
    }

    /// The JSON reader accepts exactly what serde_json accepts (as a raw
    /// value: strings checked, not decoded), on JSON-ish noise.
    #[test]
    fn json_reader_accepts_exactly_what_serde_json_does(
        text in "[\\[\\]{}\",:0-9.eE+a-fnrtul\\\\/ -]{0,24}",
    ) {
        let ours = json::parse_str(&text).is_ok();
        let theirs = serde_json::from_str::<Box<serde_json::value::RawValue>>(&text).is_ok();
        prop_assert_eq!(ours, theirs, "{:?}", text);
    }

    /// Strings are written exactly as serde_json writes them.
    #[test]
    fn json_strings_are_written_as_serde_json_writes_them(text in any::<String>()) {
        let mut ours = String::new();
        json::write_string(&mut ours, &text);
        prop_assert_eq!(ours, serde_json::to_string(&text).unwrap());
    }

    /// Any document serde_json writes reads back as the same value.
    #[test]
    fn json_reader_reads_what_serde_json_writes(value in json_value(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            serde_json::to_string(&value).unwrap()
        };
        let ours = json::parse_str(&text).unwrap();
        prop_assert_eq!(to_serde(&ours), value);
    }

    /// An upload body reads the same through the JSON reader as it did
    /// through serde_json raw values (the implementation it replaced): the
    /// same bodies refused, the same fields found, strings decoded alike
    /// (lone surrogates included), `size` with the same text.
    #[test]
    fn upload_fields_read_as_serde_json_read_them(body in upload_body_text()) {
        prop_assert_eq!(fields_ours(&body), fields_serde(&body), "{}", body);
    }

    #[test]
    fn gcra_never_allows_more_than_the_budget(
        max in 1u32..40,
        window_s in 1u32..600,
        // Gaps between requests, in ms: many zeros (bursts), some long.
        gaps in prop::collection::vec(prop_oneof![Just(0u64), 0u64..2_000, 0u64..700_000], 1..300),
        start in 0u64..4_000_000_000_000,
    ) {
        let quota = Quota {
            max: NonZeroU32::new(max).unwrap(),
            window_seconds: NonZeroU32::new(window_s).unwrap(),
        };
        let window_ms = u64::from(window_s) * 1000;
        let mut tat = None;
        let mut now = start;
        let mut allowed = Vec::new();
        for gap in gaps {
            now += gap;
            match gcra::check(tat, now, quota) {
                Decision::Allow { tat: next, remaining, .. } => {
                    tat = Some(next);
                    allowed.push(now);
                    prop_assert!(remaining < max);
                }
                Decision::Deny { retry_after_seconds, .. } => {
                    prop_assert!(retry_after_seconds >= 1);
                    // Waiting it out is enough for one more.
                    let later = now + retry_after_seconds * 1000;
                    let after = gcra::check(tat, later, quota);
                    prop_assert!(matches!(after, Decision::Allow { .. }), "still denied: {:?}", after);
                }
            }
        }
        // Over any interval [a, b] of allowed times: at most the burst plus
        // what refills in b - a (max per window), computed exactly.
        for i in 0..allowed.len() {
            for j in i..allowed.len() {
                let count = (j - i + 1) as u64;
                let refill = (allowed[j] - allowed[i]) * u64::from(max) / window_ms;
                prop_assert!(
                    count <= u64::from(max) + refill,
                    "{count} allowed in {} ms (max {max} per {window_ms} ms)",
                    allowed[j] - allowed[i]
                );
            }
        }
    }

    /// Settings can change between requests (or isolates disagree): the
    /// stored TAT is carried over, and at no instant does a user get more
    /// than the larger of the two bursts.
    #[test]
    fn gcra_a_quota_change_never_grants_more_than_the_larger_burst(
        a in (1u32..200, 1u32..3600),
        b in (1u32..200, 1u32..3600),
        spent in 0u32..250,
        now in 0u64..4_000_000_000_000,
    ) {
        let q = |(max, w): (u32, u32)| Quota {
            max: NonZeroU32::new(max).unwrap(),
            window_seconds: NonZeroU32::new(w).unwrap(),
        };
        let mut tat = None;
        let mut allowed = 0u32;
        for quota in [q(a), q(b)] {
            for _ in 0..(if quota == q(a) && a != b { spent } else { 400 }) {
                if let Decision::Allow { tat: next, .. } = gcra::check(tat, now, quota) {
                    tat = Some(next);
                    allowed += 1;
                }
            }
        }
        prop_assert!(allowed <= a.0.max(b.0), "{allowed} at once under {a:?} then {b:?}");
    }

    #[test]
    fn gcra_a_burst_at_one_instant_gets_exactly_the_budget(
        max in 1u32..100, window_s in 1u32..3600, n in 1u32..250, now in 0u64..4_000_000_000_000,
    ) {
        let quota = Quota {
            max: NonZeroU32::new(max).unwrap(),
            window_seconds: NonZeroU32::new(window_s).unwrap(),
        };
        let mut tat = None;
        let mut ok = 0;
        for _ in 0..n {
            if let Decision::Allow { tat: next, .. } = gcra::check(tat, now, quota) {
                tat = Some(next);
                ok += 1;
            }
        }
        prop_assert_eq!(ok, n.min(max));
    }
}
