//! Clerk token verification rules and the attack corpus (docs/spec.md §6,
//! §9), with a fixed clock and real RSA keys (tests/fixtures/keys,
//! test-only). Tokens are minted by tests/support/tokens.rs with the `rsa`
//! crate, independently of the code under test; the same crate stands in for
//! WebCrypto as the signature verifier. Which kinds of Clerk token are
//! refused: tests/auth_session_only.rs.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hmac::{Hmac, Mac};
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{json, Value};
use sha2::Sha256;

use upload_signer::auth::jwks::{KeyError, KeySet, KeySetError};
use upload_signer::auth::verify::{verify_token, ClaimRules, Session};
use upload_signer::auth::AuthError;
use upload_signer::time::UtcTime;

#[path = "../fuzz/harness.rs"]
mod harness;
#[path = "support/tokens.rs"]
mod tokens;
use harness::{block_on, PureRustVerifier};
use tokens::*;

#[test]
fn valid_token_yields_its_subject() {
    let session = check(&mint(&claims())).unwrap();
    assert_eq!(session.user_id.as_str(), "user_2abcDEF123");
}

#[test]
fn default_rules_skip_issuer_and_party_checks() {
    let token = mint(&with(
        claims(),
        &[("iss", json!("https://elsewhere")), ("azp", Value::Null)],
    ));
    assert!(check_at(&token, &ClaimRules::default(), NOW).is_ok());
}

// --- expiry, maturity, issuance: boundaries with 5 s leeway ---------------

#[test]
fn valid_until_exactly_exp_plus_leeway() {
    let token = mint(&claims()); // exp = NOW + 50
    assert!(check_at(&token, &strict_rules(), NOW + 55).is_ok());
    assert_eq!(
        check_at(&token, &strict_rules(), NOW + 56),
        Err(AuthError::Expired)
    );
}

#[test]
fn expired_token() {
    let token = mint(&with(
        claims(),
        &[
            ("exp", json!(NOW - 60)),
            ("iat", json!(NOW - 120)),
            ("nbf", json!(NOW - 120)),
        ],
    ));
    assert_eq!(check(&token), Err(AuthError::Expired));
}

#[test]
fn missing_exp_is_refused() {
    assert_eq!(
        check(&mint(&with(claims(), &[("exp", Value::Null)]))),
        Err(AuthError::MissingExpiry)
    );
}

#[test]
fn exp_of_wrong_type_is_malformed() {
    assert_eq!(
        check(&mint(&with(claims(), &[("exp", json!("tomorrow"))]))),
        Err(AuthError::Malformed)
    );
}

#[test]
fn time_claims_are_numeric_dates() {
    // A fraction is dropped (RFC 7519 allows non-integer NumericDates).
    let session = check(&mint(&with(
        claims(),
        &[(
            "exp",
            json!(f64::from(u32::try_from(NOW + 50).unwrap()) + 0.9),
        )],
    )))
    .unwrap();
    assert_eq!(session.expires_at, UtcTime::from_unix_seconds(NOW + 50));
    // Outside chrono's dates (about ±262,000 years) either way, beyond i64,
    // `null`, or not a number at all: malformed.
    for bad in [
        json!(9_000_000_000_000_i64),
        json!(-9_000_000_000_000_i64),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e300),
        json!(-1e300),
        json!(Value::Null),
        json!("1795600800"),
        json!(true),
        json!([NOW]),
    ] {
        for name in ["exp", "nbf", "iat"] {
            let mut c = claims();
            c[name] = bad.clone();
            assert_eq!(check(&mint(&c)), Err(AuthError::Malformed), "{name}: {bad}");
        }
    }
}

#[test]
fn dates_at_the_ends_of_chrono_do_not_panic() {
    let first = chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp();
    let last = chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp();
    // A far-future `exp` is valid (the session's end as late as UtcTime goes).
    let session = check(&mint(&with(claims(), &[("exp", json!(last))]))).unwrap();
    assert!(session.expires_at > UtcTime::from_unix_seconds(NOW + 365 * 24 * 3600));
    // `nbf` and `iat` at the first date: long past, so valid.
    for name in ["nbf", "iat"] {
        assert!(
            check(&mint(&with(claims(), &[(name, json!(first))]))).is_ok(),
            "{name}"
        );
    }
    // At the last date: in the future.
    assert_eq!(
        check(&mint(&with(claims(), &[("nbf", json!(last))]))),
        Err(AuthError::NotYetValid)
    );
    assert_eq!(
        check(&mint(&with(claims(), &[("iat", json!(last))]))),
        Err(AuthError::IssuedInFuture)
    );
    assert_eq!(
        check(&mint(&with(claims(), &[("exp", json!(first))]))),
        Err(AuthError::Expired)
    );
    // The largest leeway near either end.
    let lenient = ClaimRules {
        leeway_seconds: u32::MAX,
        ..strict_rules()
    };
    for (name, at) in [("nbf", first), ("nbf", last), ("exp", last), ("exp", first)] {
        let _ = check_at(&mint(&with(claims(), &[(name, json!(at))])), &lenient, NOW);
    }
}

#[test]
fn repeated_members_are_malformed() {
    let key = private_key("test-a");
    let body = claims().to_string();
    let body = body.trim_end_matches('}');
    for extra in [
        r#","sub":"user_victim""#,
        r#","exp":9999999999"#,
        r#","sid":"sess_9""#,
    ] {
        let token = mint_raw(
            &header("test-a").to_string(),
            &format!("{body}{extra}}}"),
            &key,
        );
        assert_eq!(check(&token), Err(AuthError::Malformed), "{extra}");
    }
    let head = header("test-a").to_string();
    let head = head.trim_end_matches('}');
    for extra in [
        r#","kid":"test-a""#,
        r#","alg":"RS256""#,
        r#","cat":"cl_B7d4PD111AAA""#,
        r#","typ":"JWT""#,
    ] {
        let token = mint_raw(&format!("{head}{extra}}}"), &claims().to_string(), &key);
        assert_eq!(check(&token), Err(AuthError::Malformed), "{extra}");
    }
}

#[test]
fn lone_surrogates_are_malformed() {
    let key = private_key("test-a");
    let body = claims().to_string();
    let body = body.trim_end_matches('}');
    for extra in [r#","name":"\ud800""#, r#","o2":{"x":"\udc00"}"#] {
        let token = mint_raw(
            &header("test-a").to_string(),
            &format!("{body}{extra}}}"),
            &key,
        );
        assert_eq!(check(&token), Err(AuthError::Malformed), "{extra}");
    }
    let head = header("test-a").to_string();
    let token = mint_raw(
        &format!(r#"{},"x":"\ud800"}}"#, head.trim_end_matches('}')),
        &claims().to_string(),
        &key,
    );
    assert_eq!(check(&token), Err(AuthError::Malformed));
    // A pair is fine.
    let token = mint_raw(
        &header("test-a").to_string(),
        &format!(r#"{body},"name":"\ud83d\ude00"}}"#),
        &key,
    );
    assert!(check(&token).is_ok());
}

#[test]
fn header_fields_have_their_registered_types() {
    let key = private_key("test-a");
    let with_header = |extra: Value| {
        let mut h = header("test-a");
        for (k, v) in extra.as_object().unwrap() {
            h[k] = v.clone();
        }
        mint_with(&h, &claims(), &key)
    };
    for bad in [
        json!({"kid": 7}),
        json!({"typ": ["JWT"]}),
        json!({"x5t": {}}),
        json!({"alg": 256}),
        json!({"alg": null}),
        json!({"cty": "JWT"}),
        json!({"cat": 111}),
        json!({"x5t": "short"}),
    ] {
        assert_eq!(
            check(&with_header(bad.clone())),
            Err(AuthError::Malformed),
            "{bad}"
        );
    }
    for fine in [
        json!({"cty": "json"}),
        json!({"typ": null}),
        json!({"cat": null}),
        json!({"x5u": "https://x"}),
    ] {
        assert!(check(&with_header(fine.clone())).is_ok(), "{fine}");
    }
}

#[test]
fn nbf_boundary() {
    let token = mint(&with(claims(), &[("nbf", json!(NOW + 5))]));
    assert!(check(&token).is_ok(), "nbf = now + leeway is valid");
    let token = mint(&with(claims(), &[("nbf", json!(NOW + 6))]));
    assert_eq!(check(&token), Err(AuthError::NotYetValid));
}

#[test]
fn nbf_in_the_future() {
    let token = mint(&with(
        claims(),
        &[("nbf", json!(NOW + 3600)), ("exp", json!(NOW + 7200))],
    ));
    assert_eq!(check(&token), Err(AuthError::NotYetValid));
}

#[test]
fn iat_boundary() {
    assert!(check(&mint(&with(claims(), &[("iat", json!(NOW + 5))]))).is_ok());
    assert_eq!(
        check(&mint(&with(claims(), &[("iat", json!(NOW + 6))]))),
        Err(AuthError::IssuedInFuture)
    );
}

#[test]
fn iat_in_the_future() {
    assert_eq!(
        check(&mint(&with(claims(), &[("iat", json!(NOW + 3600))]))),
        Err(AuthError::IssuedInFuture)
    );
}

#[test]
fn nbf_and_iat_are_optional() {
    assert!(check(&mint(&with(
        claims(),
        &[("nbf", Value::Null), ("iat", Value::Null)]
    )))
    .is_ok());
}

#[test]
fn leeway_is_configurable() {
    let token = mint(&claims()); // exp = NOW + 50
    let rules = ClaimRules {
        leeway_seconds: 0,
        ..strict_rules()
    };
    assert!(check_at(&token, &rules, NOW + 50).is_ok());
    assert_eq!(check_at(&token, &rules, NOW + 51), Err(AuthError::Expired));
}

// --- issuer, authorized party, session status, subject ---------------------

#[test]
fn wrong_issuer() {
    assert_eq!(
        check(&mint(&with(
            claims(),
            &[("iss", json!("https://evil.example"))]
        ))),
        Err(AuthError::WrongIssuer)
    );
}

#[test]
fn missing_issuer_when_required() {
    assert_eq!(
        check(&mint(&with(claims(), &[("iss", Value::Null)]))),
        Err(AuthError::WrongIssuer)
    );
}

#[test]
fn missing_azp_when_parties_configured() {
    assert_eq!(
        check(&mint(&with(claims(), &[("azp", Value::Null)]))),
        Err(AuthError::MissingAuthorizedParty)
    );
}

#[test]
fn unlisted_azp() {
    for azp in [
        "https://evil.example",
        "https://app.example.test/",
        "https://APP.example.test",
    ] {
        assert_eq!(
            check(&mint(&with(claims(), &[("azp", json!(azp))]))),
            Err(AuthError::WrongAuthorizedParty),
            "{azp}"
        );
    }
    // A claim of the wrong type is malformed.
    assert_eq!(
        check(&mint(&with(claims(), &[("azp", json!(7))]))),
        Err(AuthError::Malformed)
    );
}

#[test]
fn second_listed_azp_is_accepted() {
    assert!(check(&mint(&with(
        claims(),
        &[("azp", json!("https://other.example.test"))]
    )))
    .is_ok());
}

#[test]
fn pending_session_is_signed_out() {
    assert_eq!(
        check(&mint(&with(claims(), &[("sts", json!("pending"))]))),
        Err(AuthError::PendingSession)
    );
}

#[test]
fn missing_sub() {
    assert_eq!(
        check(&mint(&with(claims(), &[("sub", Value::Null)]))),
        Err(AuthError::MissingSubject)
    );
}

#[test]
fn sub_with_slash_or_dots() {
    for sub in [
        "user/other",
        "..",
        "../user_x",
        "user_1.png",
        "",
        "user 1",
        "usér",
    ] {
        assert_eq!(
            check(&mint(&with(claims(), &[("sub", json!(sub))]))),
            Err(AuthError::InvalidSubject),
            "{sub:?}"
        );
    }
    assert_eq!(
        check(&mint(&with(claims(), &[("sub", json!(42))]))),
        Err(AuthError::Malformed)
    );
}

#[test]
fn sub_length_limit() {
    assert!(check(&mint(&with(claims(), &[("sub", json!("u".repeat(128)))]))).is_ok());
    assert_eq!(
        check(&mint(&with(claims(), &[("sub", json!("u".repeat(129)))]))),
        Err(AuthError::InvalidSubject)
    );
}

// --- the attack corpus -----------------------------------------------------

#[test]
fn alg_none() {
    let token = format!(
        "{}.{}.",
        b64_json(&json!({"alg": "none", "kid": "test-a"})),
        b64_json(&claims())
    );
    assert_eq!(check(&token), Err(AuthError::UnsupportedAlgorithm));
}

#[test]
fn hs256_signed_with_the_public_key_bytes() {
    // Algorithm confusion: HMAC keyed with the RSA public key a verifier would hold.
    let input = format!(
        "{}.{}",
        b64_json(&json!({"alg": "HS256", "kid": "test-a"})),
        b64_json(&claims())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(fixture("test-a.pub.pem").as_bytes()).unwrap();
    mac.update(input.as_bytes());
    let token = format!("{input}.{}", b64(&mac.finalize().into_bytes()));
    assert_eq!(check(&token), Err(AuthError::UnsupportedAlgorithm));
}

#[test]
fn rs256_signed_by_another_key_with_the_right_kid() {
    let token = mint_with(&header("test-a"), &claims(), &private_key("test-b"));
    assert_eq!(check(&token), Err(AuthError::BadSignature));
}

#[test]
fn signature_is_checked_before_claims() {
    // Forged AND expired: the answer must be about the signature.
    let expired = with(claims(), &[("exp", json!(NOW - 600))]);
    let token = mint_with(&header("test-a"), &expired, &private_key("test-b"));
    assert_eq!(check(&token), Err(AuthError::BadSignature));
}

#[test]
fn claims_swapped_under_a_valid_signature() {
    let good = mint(&claims());
    let parts: Vec<&str> = good.split('.').collect();
    let evil = b64_json(&with(claims(), &[("sub", json!("user_victim"))]));
    let token = format!("{}.{evil}.{}", parts[0], parts[2]);
    assert_eq!(check(&token), Err(AuthError::BadSignature));
}

#[test]
fn key_of_1024_bits_in_the_jwks() {
    let token = mint_with(&header("weak"), &claims(), &private_key("test-weak1024"));
    assert_eq!(check(&token), Err(AuthError::UnknownKey));
}

#[test]
fn unknown_kid() {
    let token = mint_with(&header("rotated-away"), &claims(), &private_key("test-a"));
    assert_eq!(check(&token), Err(AuthError::UnknownKey));
}

#[test]
fn missing_kid_with_a_jwks() {
    let token = mint_with(&json!({"alg": "RS256"}), &claims(), &private_key("test-a"));
    assert_eq!(check(&token), Err(AuthError::UnknownKey));
}

#[test]
fn token_of_9_kib() {
    let big = with(claims(), &[("pad", json!("x".repeat(9 * 1024)))]);
    assert_eq!(check(&mint(&big)), Err(AuthError::TokenTooLarge));
}

#[test]
fn token_at_the_size_limit_is_parsed() {
    // Exactly 8192 bytes: parsed (and here refused only for its signature).
    let token = mint(&claims());
    let filler = 8192 - token.len();
    let padded = format!("{}{}", token, "A".repeat(filler));
    assert_eq!(padded.len(), 8192);
    assert_ne!(check(&padded), Err(AuthError::TokenTooLarge));
}

#[test]
fn three_part_garbage() {
    assert_eq!(check("abc.def.ghi"), Err(AuthError::Malformed));
}

#[test]
fn bad_base64() {
    assert_eq!(check("###.$$$.%%%"), Err(AuthError::Malformed));
    let good = mint(&claims());
    assert_eq!(
        check(&good.replacen('.', "!.", 1)),
        Err(AuthError::Malformed)
    );
}

#[test]
fn wrong_number_of_parts() {
    let good = mint(&claims());
    let two: Vec<&str> = good.splitn(3, '.').collect();
    assert_eq!(
        check(&format!("{}.{}", two[0], two[1])),
        Err(AuthError::Malformed)
    );
    assert_eq!(check(&format!("{good}.extra")), Err(AuthError::Malformed));
    assert_eq!(check(""), Err(AuthError::Malformed));
}

#[test]
fn header_json_that_is_not_an_object() {
    for h in [json!("RS256"), json!(["RS256"]), json!(null), json!(1)] {
        let input = format!("{}.{}", b64_json(&h), b64_json(&claims()));
        let sig = SigningKey::<Sha256>::new(private_key("test-a")).sign(input.as_bytes());
        let token = format!("{input}.{}", b64(&sig.to_bytes()));
        assert_eq!(check(&token), Err(AuthError::Malformed), "{h}");
    }
}

#[test]
fn claims_json_that_is_not_an_object() {
    let token = mint_with(
        &header("test-a"),
        &json!(["sub", "user_1"]),
        &private_key("test-a"),
    );
    assert_eq!(check(&token), Err(AuthError::Malformed));
}

#[test]
fn crit_header() {
    let h = json!({"alg": "RS256", "kid": "test-a", "crit": ["exp"], "exp": NOW + 10});
    assert_eq!(
        check(&mint_with(&h, &claims(), &private_key("test-a"))),
        Err(AuthError::CriticalHeader)
    );
}

// --- PEM key source (CLERK_JWT_KEY) ---------------------------------------

fn check_with_pem(token: &str, pem: &str) -> Result<Session, AuthError> {
    let keys = KeySet::from_pem(pem).unwrap();
    block_on(verify_token(
        token,
        &keys,
        &PureRustVerifier,
        &strict_rules(),
        UtcTime::from_unix_seconds(NOW),
    ))
}

#[test]
fn pem_key_verifies_whatever_the_kid() {
    let pem = fixture("test-a.pub.pem");
    assert!(check_with_pem(&mint(&claims()), &pem).is_ok());
    let no_kid = mint_with(&json!({"alg": "RS256"}), &claims(), &private_key("test-a"));
    assert!(check_with_pem(&no_kid, &pem).is_ok());
    let forged = mint_with(&header("test-a"), &claims(), &private_key("test-b"));
    assert_eq!(check_with_pem(&forged, &pem), Err(AuthError::BadSignature));
}

#[test]
fn pem_in_pkcs1_and_with_escaped_newlines() {
    assert!(check_with_pem(&mint(&claims()), &fixture("test-a.pkcs1.pub.pem")).is_ok());
    let escaped = fixture("test-a.pub.pem").trim().replace('\n', "\\n");
    assert!(check_with_pem(&mint(&claims()), &escaped).is_ok());
}

#[test]
fn weak_pem_key_is_refused() {
    assert_eq!(
        KeySet::from_pem(&fixture("test-weak1024.pub.pem")),
        Err(KeySetError::BadKey(KeyError::Size { bits: 1024 }))
    );
}
