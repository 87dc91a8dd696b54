//! Property tests (issue 9), over the pure core with arbitrary input:
//! - any accepted upload's key is `{prefix}/{sub}/{type}/{fileName}` and
//!   percent-decodes back from the signed URL and the link;
//! - the canonical query, and the query of every pre-signed URL, is sorted
//!   and single-encoded;
//! - the signer's query, headers list and signature agree for any headers,
//!   and its query is the canonical query of its own parameters;
//! - GCRA never allows more than its budget: at most `max` at one instant,
//!   and at most `max` + what refills (`max` per window) over any interval;
//! - upload confirmation (docs/spec.md §12) gives any bytes — real files of
//!   each format, damaged and truncated, or noise — a verdict consistent with
//!   the limits, never a panic (`harness::confirm` holds the invariants).

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]
use std::num::NonZeroU32;

use proptest::prelude::*;
use upload_signer::auth::verify::UserId;
use upload_signer::config::storage_config;
use upload_signer::ratelimit::gcra::{self, Decision, Quota};
use upload_signer::sigv4::canonical::canonical_query;
use upload_signer::sigv4::signing::{signature, signing_key};
use upload_signer::sigv4::{
    sign_query, Credentials, Expiry, PayloadHash, QueryRequest, SigV4Error, SigningContext,
};
use upload_signer::time::UtcTime;
use upload_signer::upload::{signed_upload, validate, Policy};

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
        let resp = signed_upload(&upload, &user, &storage(prefix), UtcTime::from_unix_seconds(1_790_000_000), None).unwrap();
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

    /// For any header set (upper-case, repeated, padded or many names),
    /// extra query parameters and a session token, the signer either refuses
    /// an unsignable header or produces a consistent result: the URL's query
    /// is the canonical request's query line plus the signature, the signed
    /// headers are lower-case and sorted, and the signature (from the
    /// memoized key) is the HMAC of the string to sign under a freshly
    /// derived key.
    #[test]
    fn signed_query_is_consistent_for_any_headers(
        headers in prop::collection::vec(
            (
                prop::sample::select(vec!["content-type", "Content-Type", "content-length", "x-amz-meta-a", "X-Amz-Meta-A", "a", "zz", "if-match", "bad name"]),
                "[ -~\t\r\n]{0,12}",
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
        let unsignable = headers.iter().any(|(n, v)| n.contains(' ') || v.contains(['\r', '\n']));
        let signed = match sign_query(&ctx, &req) {
            Err(e) => {
                prop_assert!(unsignable, "{e}");
                prop_assert_eq!(e, SigV4Error::InvalidHeader);
                return Ok(());
            }
            Ok(signed) => signed,
        };
        prop_assert!(!unsignable);
        let lines: Vec<&str> = signed.canonical_request.split('\n').collect();
        let signed_headers = lines[lines.len() - 2];
        let names: Vec<&str> = signed_headers.split(';').collect();
        prop_assert!(names.windows(2).all(|w| w[0] < w[1]), "{}", signed_headers);
        prop_assert!(names.iter().all(|n| !n.bytes().any(|b| b.is_ascii_uppercase())));
        prop_assert!(names.contains(&"host"));
        prop_assert_eq!(
            &signed.query_string,
            &format!("{}&X-Amz-Signature={}", lines[2], signed.signature)
        );
        // The parameters the signer passes pre-encoded are exactly what
        // encoding them again gives.
        let decoded: Vec<(String, String)> = lines[2]
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (percent_decode(k).unwrap(), percent_decode(v).unwrap())
            })
            .collect();
        prop_assert_eq!(
            canonical_query(decoded.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            lines[2]
        );
        let date = UtcTime::from_unix_seconds(now).date_stamp();
        let key = signing_key("secret", &date, "us-east-1", "s3");
        prop_assert_eq!(signed.signature, signature(&key, &signed.string_to_sign));
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

    #[test]
    fn confirm_gives_damaged_files_a_verdict(
        file in 0usize..UPLOAD_FIXTURES.len(),
        own_type in any::<bool>(),
        pick in any::<u8>(),
        flags in any::<u8>(),
        damage in prop::collection::vec((any::<usize>(), any::<u8>()), 0..16),
        keep in any::<usize>(),
    ) {
        let (name, own) = UPLOAD_FIXTURES[file];
        let mut body = upload_fixture(name);
        for (at, byte) in damage {
            let len = body.len();
            body[at % len] = byte;
        }
        body.truncate(keep % (body.len() + 1));
        let mut data = vec![if own_type { own } else { pick }, flags];
        data.extend_from_slice(&body);
        let _ = harness::confirm(&data);
    }

    #[test]
    fn confirm_gives_noise_a_verdict(data in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = harness::confirm(&data);
    }
}

/// The real files of tests/fixtures/uploads, each with the byte that makes
/// `harness::confirm` expect its own type.
const UPLOAD_FIXTURES: &[(&str, u8)] = &[
    ("gradient.png", 0),
    ("photo.jpg", 1),
    ("small.gif", 2),
    ("lossy.webp", 3),
    ("lossless.webp", 3),
    ("alpha.webp", 3),
    ("progressive.jpg", 1),
    ("logo.svg", 4),
    ("doc.pdf", 5),
    ("wide.png", 0),
];

fn upload_fixture(name: &str) -> Vec<u8> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/uploads");
    std::fs::read(dir.join(name)).unwrap()
}
