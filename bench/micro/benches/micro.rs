//! Native micro-benchmarks (criterion): the presigner against rusty-s3 and
//! aws-sigv4 on the same PUT, RS256 verification, the verified-token cache,
//! and one rate-limit decision. `scripts/bench.sh` runs them; results and
//! ratios are recorded in docs/benchmarks.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, Mac};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::BigUint;
use sha2::{Digest, Sha256};

use upload_signer::auth::jwks::{KeySet, RsaPublicKey};
use upload_signer::auth::token::SignatureVerifier;
use upload_signer::auth::verified_tokens::VerifiedTokens;
use upload_signer::auth::verify::{verify_token, ClaimRules};
use upload_signer::ratelimit::gcra::{self, Quota};
use upload_signer::sigv4::signing::signing_key;
use upload_signer::sigv4::{
    sign_query, Addressing, Bucket, Credentials, Endpoint, Expiry, Method, ObjectKey, PayloadHash,
    QueryRequest, Region, S3Target, SigningContext,
};
use upload_signer::time::UtcTime;

const ACCESS: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const KEY: &str = "user-uploads/user_2abc/profile/avatar.jpg";
const NOW: u64 = 1_795_600_800; // 2026-11-25T10:00:00Z

fn presign(c: &mut Criterion) {
    let mut g = c.benchmark_group("presign_put");
    let creds = Credentials::new(ACCESS, SECRET, None).unwrap();
    let target = S3Target {
        endpoint: Endpoint::parse("https://s3.us-east-1.amazonaws.com").unwrap(),
        region: Region::new("us-east-1").unwrap(),
        bucket: Bucket::new("my-bucket").unwrap(),
        addressing: Addressing::VirtualHosted,
    };
    let headers = [("content-type", "image/jpeg"), ("content-length", "48213")];
    let expiry = Expiry::from_seconds(300).unwrap();
    let now = UtcTime::from_unix_seconds(NOW);
    g.bench_function("upload-signer (signing key reused)", |b| {
        b.iter(|| {
            let key = ObjectKey::new(black_box(KEY)).unwrap();
            target
                .presign(&creds, Method::Put, &key, &headers, expiry, now)
                .unwrap()
                .url
        });
    });
    // Alternating days: every call misses the signing-key memo.
    let days = [now, UtcTime::from_unix_seconds(NOW + 86_400)];
    let mut i = 0usize;
    g.bench_function("upload-signer (signing key derived each time)", |b| {
        b.iter(|| {
            i += 1;
            let key = ObjectKey::new(black_box(KEY)).unwrap();
            target
                .presign(&creds, Method::Put, &key, &headers, expiry, days[i % 2])
                .unwrap()
                .url
        });
    });

    // The physical floor for this very URL: only the hashing it needs — one
    // SHA-256 of its canonical request, then the HMAC of its string to sign
    // from the already-keyed state (what the signing-key memo holds) — with
    // no encoding, formatting or allocation at all.
    let steps = sign_query(
        &SigningContext {
            credentials: &creds,
            region: "us-east-1",
            service: "s3",
            now,
            expires: expiry,
        },
        &QueryRequest {
            method: "PUT",
            host: "my-bucket.s3.us-east-1.amazonaws.com",
            canonical_uri: &format!("/{KEY}"),
            query: &[],
            headers: &headers,
            payload: PayloadHash::Unsigned,
        },
    )
    .unwrap();
    let keyed = Hmac::<Sha256>::new_from_slice(&signing_key(SECRET, "20261125", "us-east-1", "s3"))
        .unwrap();
    let prefix_len = steps.string_to_sign.len() - 64;
    g.bench_function(
        "floor: SHA-256 + keyed HMAC of this URL's inputs only",
        |b| {
            b.iter(|| {
                let request_hash = Sha256::digest(black_box(steps.canonical_request.as_bytes()));
                let mut mac = keyed.clone();
                mac.update(black_box(&steps.string_to_sign.as_bytes()[..prefix_len]));
                mac.update(&request_hash);
                mac.finalize().into_bytes()
            });
        },
    );

    let rbucket = rusty_s3::Bucket::new(
        url::Url::parse("https://s3.us-east-1.amazonaws.com").unwrap(),
        rusty_s3::UrlStyle::VirtualHost,
        "my-bucket",
        "us-east-1",
    )
    .unwrap();
    let rcreds = rusty_s3::Credentials::new(ACCESS, SECRET);
    let rtime = time::OffsetDateTime::from_unix_timestamp(i64::try_from(NOW).unwrap()).unwrap();
    g.bench_function("rusty-s3 0.7", |b| {
        use rusty_s3::S3Action;
        b.iter(|| {
            let mut action = rbucket.put_object(Some(&rcreds), black_box(KEY));
            action.headers_mut().insert("content-type", "image/jpeg");
            action.headers_mut().insert("content-length", "48213");
            action
                .sign_with_time(Duration::from_secs(300), &rtime)
                .to_string()
        });
    });

    let identity =
        aws_credential_types::Credentials::new(ACCESS, SECRET, None, None, "bench").into();
    let mut settings = aws_sigv4::http_request::SigningSettings::default();
    settings.signature_location = aws_sigv4::http_request::SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(300));
    settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
    settings.uri_path_normalization_mode =
        aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
    let params: aws_sigv4::http_request::SigningParams<'_> =
        aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("s3")
            .time(UNIX_EPOCH + Duration::from_secs(NOW))
            .settings(settings)
            .build()
            .unwrap()
            .into();
    g.bench_function("aws-sigv4 1.x", |b| {
        b.iter(|| {
            let uri = format!(
                "https://my-bucket.s3.us-east-1.amazonaws.com/{}",
                black_box(KEY)
            );
            let signable = aws_sigv4::http_request::SignableRequest::new(
                "PUT",
                uri.as_str(),
                [
                    ("host", "my-bucket.s3.us-east-1.amazonaws.com"),
                    ("content-type", "image/jpeg"),
                    ("content-length", "48213"),
                ]
                .into_iter(),
                aws_sigv4::http_request::SignableBody::UnsignedPayload,
            )
            .unwrap();
            let (instructions, _sig) = aws_sigv4::http_request::sign(signable, &params)
                .unwrap()
                .into_parts();
            let mut req = http::Request::builder()
                .method("PUT")
                .uri(uri.as_str())
                .body(())
                .unwrap();
            instructions.apply_to_request_http1x(&mut req);
            req.uri().to_string()
        });
    });
    g.finish();

    // The three must agree: the same canonical request gives the same signature.
    let sig = |u: &str| {
        u.split("X-Amz-Signature=")
            .nth(1)
            .map(|s| s[..64].to_owned())
            .unwrap()
    };
    let ours = target
        .presign(
            &creds,
            Method::Put,
            &ObjectKey::new(KEY).unwrap(),
            &headers,
            expiry,
            now,
        )
        .unwrap()
        .url;
    let rusty = {
        use rusty_s3::S3Action;
        let mut action = rbucket.put_object(Some(&rcreds), KEY);
        action.headers_mut().insert("content-type", "image/jpeg");
        action.headers_mut().insert("content-length", "48213");
        action
            .sign_with_time(Duration::from_secs(300), &rtime)
            .to_string()
    };
    eprintln!("signatures: ours {} rusty-s3 {}", sig(&ours), sig(&rusty));
    assert_eq!(
        sig(&ours),
        sig(&rusty),
        "upload-signer and rusty-s3 disagree:\n{ours}\n{rusty}"
    );
}

struct PureRustVerifier;
impl SignatureVerifier for PureRustVerifier {
    async fn verify_rs256(&self, key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
        let public = rsa::RsaPublicKey::new(
            BigUint::from_bytes_be(&key.n),
            BigUint::from_bytes_be(&key.e),
        )
        .unwrap();
        let sig = Signature::try_from(signature).unwrap();
        VerifyingKey::<Sha256>::new(public)
            .verify(message, &sig)
            .is_ok()
    }
}

fn block_on<F: Future>(fut: F) -> F::Output {
    match pin!(fut)
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!(),
    }
}

fn auth(c: &mut Criterion) {
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/keys/test-a.key.pem"
    ))
    .unwrap();
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
    let jwks = serde_json::json!({"keys": [{
        "kty": "RSA", "kid": "k", "alg": "RS256", "use": "sig",
        "n": Base64UrlUnpadded::encode_string(&private.n().to_bytes_be()),
        "e": Base64UrlUnpadded::encode_string(&private.e().to_bytes_be()),
    }]});
    let keys = KeySet::from_jwks_json(&jwks.to_string()).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let b64 = |v: serde_json::Value| Base64UrlUnpadded::encode_string(v.to_string().as_bytes());
    let input = format!(
        "{}.{}",
        b64(serde_json::json!({"alg": "RS256", "kid": "k", "typ": "JWT"})),
        b64(
            serde_json::json!({"sub": "user_2abc", "iss": "https://clerk.example", "azp": "https://app.example",
            "sid": "sess_1", "sts": "active", "v": 2, "iat": now, "nbf": now, "exp": now + 3600})
        )
    );
    let sig = SigningKey::<Sha256>::new(private).sign(input.as_bytes());
    let token = format!(
        "{input}.{}",
        Base64UrlUnpadded::encode_string(&sig.to_bytes())
    );
    let rules = ClaimRules {
        issuer: Some("https://clerk.example".into()),
        authorized_parties: Some(vec!["https://app.example".into()]),
        leeway_seconds: 5,
    };
    let t = UtcTime::from_unix_seconds(now);
    let mut g = c.benchmark_group("auth");
    g.bench_function("RS256 verify + claims (pure-Rust rsa 0.9, native)", |b| {
        b.iter(|| {
            block_on(verify_token(
                black_box(&token),
                &keys,
                &PureRustVerifier,
                &rules,
                t,
            ))
            .unwrap()
        });
    });
    let session = block_on(verify_token(&token, &keys, &PureRustVerifier, &rules, t)).unwrap();
    let mut cache = VerifiedTokens::default();
    cache.insert("jwks:x", &token, &rules, session, t);
    g.bench_function("verified-token cache hit", |b| {
        b.iter(|| cache.get("jwks:x", black_box(&token), &rules, t).unwrap());
    });
    g.finish();
}

fn ratelimit(c: &mut Criterion) {
    let quota = Quota {
        max: NonZeroU32::new(20).unwrap(),
        window_seconds: NonZeroU32::new(60).unwrap(),
    };
    c.bench_function("ratelimit/gcra decision", |b| {
        b.iter(|| {
            gcra::check(
                black_box(Some(gcra::Tat {
                    ms: 1_795_600_803_000,
                    rem: 0,
                    den: 20,
                    window_ms: 60_000,
                })),
                black_box(1_795_600_800_000),
                quota,
            )
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = presign, auth, ratelimit
}
criterion_main!(benches);
