//! The signer against published AWS SigV4 vectors, step by step: canonical
//! request, string to sign, signature, then the signed request's query —
//! through `sign_query`, the signer every pre-signed URL takes.
//!
//! All vectors are signed at a pinned instant: 2015-08-30T12:36:00Z for the
//! aws-c-auth suite, 2013-05-24T00:00:00Z for the S3 documentation example.
//! See `tests/vectors/sigv4/README.md` for which cases are used and why.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};
use upload_signer::sigv4::canonical::uri_encode_path;
use upload_signer::sigv4::signing::sha256_hex;
use upload_signer::sigv4::{
    sign_query, Addressing, Bucket, Credentials, Endpoint, Expiry, Method, ObjectKey, PayloadHash,
    QueryRequest, Region, S3Target, SigningContext,
};
use upload_signer::time::UtcTime;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sigv4")
}

/// Parses `2015-08-30T12:36:00Z` or `20130524T000000Z`.
fn parse_time(s: &str) -> UtcTime {
    let basic = format_description!("[year][month][day]T[hour][minute][second]Z");
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| PrimitiveDateTime::parse(s, basic).map(PrimitiveDateTime::assume_utc))
        .unwrap_or_else(|e| panic!("timestamp {s}: {e}"));
    UtcTime::from_unix_seconds(u64::try_from(t.unix_timestamp()).unwrap())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// `a=b&c=d` → decoded pairs (a missing `=` gives an empty value).
fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// A raw HTTP/1.1 request from `request.txt`.
struct RawRequest {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    host: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_request(text: &str) -> RawRequest {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    // The target may contain a space (get-space-*), so strip the version from the end.
    let target = rest.strip_suffix(" HTTP/1.1").unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            // obs-fold continuation: part of the previous header's value.
            let last = headers.last_mut().unwrap();
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    let host_idx = headers
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case("host"))
        .unwrap();
    let host = headers.remove(host_idx).1;
    RawRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: parse_query(query),
        host,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
}

fn check_case(name: &str) {
    let dir = vectors_dir().join("aws-c-auth-v4-query").join(name);
    let ctx_json: serde_json::Value = serde_json::from_str(&read(&dir, "context.json")).unwrap();
    let creds = &ctx_json["credentials"];
    let credentials = Credentials::new(
        creds["access_key_id"].as_str().unwrap(),
        creds["secret_access_key"].as_str().unwrap(),
        creds["token"].as_str().map(str::to_owned),
    )
    .unwrap();
    let req = parse_request(&read(&dir, "request.txt"));
    let body_hash = sha256_hex(&req.body);
    let canonical_uri = uri_encode_path(&req.path);
    let query: Vec<(&str, &str)> = req
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let ctx = SigningContext {
        credentials: &credentials,
        region: ctx_json["region"].as_str().unwrap(),
        service: ctx_json["service"].as_str().unwrap(),
        now: parse_time(ctx_json["timestamp"].as_str().unwrap()),
        expires: Expiry::from_seconds(ctx_json["expiration_in_seconds"].as_u64().unwrap()).unwrap(),
    };
    let query_request = QueryRequest {
        method: &req.method,
        host: &req.host,
        canonical_uri: &canonical_uri,
        query: &query,
        headers: &headers,
        payload: PayloadHash::Sha256Hex(&body_hash),
    };
    let signed = sign_query(&ctx, &query_request).unwrap();

    // Step 1: canonical request.
    assert_eq!(
        signed.canonical_request,
        read(&dir, "query-canonical-request.txt"),
        "{name}: canonical request"
    );
    // Step 2: string to sign.
    assert_eq!(
        signed.string_to_sign,
        read(&dir, "query-string-to-sign.txt"),
        "{name}: string to sign"
    );
    // Step 3: signature.
    assert_eq!(
        signed.signature,
        read(&dir, "query-signature.txt").trim(),
        "{name}: signature"
    );
    // Step 4: the signed request carries the same parameters (order aside).
    let signed_request = read(&dir, "query-signed-request.txt");
    let first = signed_request.lines().next().unwrap();
    let target = first
        .split_once(' ')
        .unwrap()
        .1
        .strip_suffix(" HTTP/1.1")
        .unwrap();
    let expected: BTreeSet<_> = parse_query(target.split_once('?').unwrap().1)
        .into_iter()
        .collect();
    let ours: BTreeSet<_> = parse_query(&signed.query_string).into_iter().collect();
    assert_eq!(ours, expected, "{name}: signed query");
}

/// The aws-c-auth cases this signer expresses; see the vectors README.
const CASES: &[&str] = &[
    "get-header-key-duplicate",
    "get-header-value-multiline",
    "get-header-value-order",
    "get-header-value-trim",
    "get-relative-relative-unnormalized",
    "get-relative-unnormalized",
    "get-slash-dot-slash-unnormalized",
    "get-slash-pointless-dot-unnormalized",
    "get-slash-unnormalized",
    "get-slashes-unnormalized",
    "get-space-normalized",
    "get-space-unnormalized",
    "get-unreserved",
    "get-utf8",
    "get-vanilla",
    "get-vanilla-empty-query-key",
    "get-vanilla-query",
    "get-vanilla-query-order-encoded",
    "get-vanilla-query-order-key-case",
    "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query",
    "get-vanilla-with-session-token",
    "post-header-key-case",
    "post-header-key-sort",
    "post-header-value-case",
    "post-sts-header-before",
    "post-vanilla",
    "post-vanilla-empty-query-value",
    "post-vanilla-query",
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
];

macro_rules! vector_tests {
    ($($test:ident => $case:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_case($case);
            }
        )*

        #[test]
        fn every_copied_case_has_a_test() {
            let listed: BTreeSet<&str> = [$($case),*].into_iter().collect();
            let on_disk: BTreeSet<String> = fs::read_dir(vectors_dir().join("aws-c-auth-v4-query"))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            let on_disk: BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
            assert_eq!(listed, on_disk);
            assert_eq!(listed, CASES.iter().copied().collect());
        }
    };
}

vector_tests! {
    get_header_key_duplicate => "get-header-key-duplicate",
    get_header_value_multiline => "get-header-value-multiline",
    get_header_value_order => "get-header-value-order",
    get_header_value_trim => "get-header-value-trim",
    get_relative_relative_unnormalized => "get-relative-relative-unnormalized",
    get_relative_unnormalized => "get-relative-unnormalized",
    get_slash_dot_slash_unnormalized => "get-slash-dot-slash-unnormalized",
    get_slash_pointless_dot_unnormalized => "get-slash-pointless-dot-unnormalized",
    get_slash_unnormalized => "get-slash-unnormalized",
    get_slashes_unnormalized => "get-slashes-unnormalized",
    get_space_normalized => "get-space-normalized",
    get_space_unnormalized => "get-space-unnormalized",
    get_unreserved => "get-unreserved",
    get_utf8 => "get-utf8",
    get_vanilla => "get-vanilla",
    get_vanilla_empty_query_key => "get-vanilla-empty-query-key",
    get_vanilla_query => "get-vanilla-query",
    get_vanilla_query_order_encoded => "get-vanilla-query-order-encoded",
    get_vanilla_query_order_key_case => "get-vanilla-query-order-key-case",
    get_vanilla_query_unreserved => "get-vanilla-query-unreserved",
    get_vanilla_utf8_query => "get-vanilla-utf8-query",
    get_vanilla_with_session_token => "get-vanilla-with-session-token",
    post_header_key_case => "post-header-key-case",
    post_header_key_sort => "post-header-key-sort",
    post_header_value_case => "post-header-value-case",
    post_sts_header_before => "post-sts-header-before",
    post_vanilla => "post-vanilla",
    post_vanilla_empty_query_value => "post-vanilla-empty-query-value",
    post_vanilla_query => "post-vanilla-query",
    post_x_www_form_urlencoded => "post-x-www-form-urlencoded",
    post_x_www_form_urlencoded_parameters => "post-x-www-form-urlencoded-parameters",
}

/// The S3 documentation example, step by step and as a whole URL through the
/// S3 presigner (virtual-hosted, UNSIGNED-PAYLOAD, host the only signed header).
#[test]
fn s3_docs_presigned_get() {
    let v: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(vectors_dir().join("s3-docs-presign-get.json")).unwrap(),
    )
    .unwrap();
    let s = |k: &str| v[k].as_str().unwrap().to_owned();
    let credentials = Credentials::new(s("access_key_id"), s("secret_access_key"), None).unwrap();
    let now = parse_time(&s("timestamp")); // 2013-05-24T00:00:00Z
    let expires = Expiry::from_seconds(v["expires"].as_u64().unwrap()).unwrap();

    let ctx = SigningContext {
        credentials: &credentials,
        region: &s("region"),
        service: &s("service"),
        now,
        expires,
    };
    let signed = sign_query(
        &ctx,
        &QueryRequest {
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            canonical_uri: "/test.txt",
            query: &[],
            headers: &[],
            payload: PayloadHash::Unsigned,
        },
    )
    .unwrap();
    assert_eq!(signed.canonical_request, s("canonical_request"));
    assert_eq!(
        sha256_hex(signed.canonical_request.as_bytes()),
        s("canonical_request_sha256")
    );
    assert_eq!(signed.string_to_sign, s("string_to_sign"));
    assert_eq!(signed.signature, s("signature"));

    let target = S3Target {
        endpoint: Endpoint::parse("https://s3.amazonaws.com").unwrap(),
        region: Region::new(s("region")).unwrap(),
        bucket: Bucket::new("examplebucket").unwrap(),
        addressing: Addressing::VirtualHosted,
    };
    let url = target
        .presign(
            &credentials,
            Method::Get,
            &ObjectKey::new("test.txt").unwrap(),
            &[],
            expires,
            now,
        )
        .unwrap();
    assert_eq!(url.url, s("presigned_url"));
    assert_eq!(url.expires_at.rfc3339(), "2013-05-25T00:00:00Z");
}
