//! Only Clerk **session** tokens are accepted (docs/spec.md §6). Clerk signs
//! OAuth access tokens, M2M tokens and JWT-template tokens with the same
//! instance key; each is refused with its own reason, tried here in the
//! shape Clerk issues it — while real session tokens of every shape (v2
//! claims, v1 `org_*` claims, impersonation `act`) still pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};

use upload_signer::auth::AuthError;

#[path = "../fuzz/harness.rs"]
mod harness;
#[path = "support/tokens.rs"]
mod tokens;
use tokens::*;

fn mint_headed(header: &Value, claims: &Value) -> String {
    mint_with(header, claims, &private_key("test-a"))
}

fn header_with(changes: &[(&str, Value)]) -> Value {
    with(header("test-a"), changes)
}

/// Clerk v1 session claims: organization as `org_*` members.
fn v1_claims() -> Value {
    let mut c = with(
        claims(),
        &[
            ("v", Value::Null),
            ("o", Value::Null),
            ("fva", Value::Null),
            ("pla", Value::Null),
            ("fea", Value::Null),
        ],
    );
    for (k, v) in [
        ("org_id", json!("org_2xyz")),
        ("org_role", json!("org:admin")),
        ("org_slug", json!("acme")),
        ("org_permissions", json!(["org:sys_memberships:manage"])),
    ] {
        c[k] = v;
    }
    c
}

/// An OAuth access token Clerk issues to a third-party app for a user.
fn oauth_claims() -> Value {
    json!({
        "sub": "user_2abcDEF123",
        "iss": ISSUER,
        "client_id": "8XtYpkRJxnWOhVWu",
        "scope": "profile email",
        "jti": "oat_2xKa9YZfLQnT",
        "iat": NOW - 10,
        "nbf": NOW - 10,
        "exp": NOW + 3600,
    })
}

/// An M2M token: a machine subject, no session.
fn m2m_claims() -> Value {
    json!({
        "sub": "mch_2vYVtestTESTtestTESTtest",
        "iss": ISSUER,
        "jti": "mt_2xKa9YZfLQnT",
        "scopes": "mch_2other",
        "iat": NOW - 10,
        "nbf": NOW - 10,
        "exp": NOW + 3600,
    })
}

/// A JWT-template token: a user's claims, no session, often long-lived.
fn template_claims() -> Value {
    json!({
        "sub": "user_2abcDEF123",
        "iss": ISSUER,
        "azp": APP,
        "aud": "convex",
        "email": "user@example.test",
        "jti": "a1b2c3d4e5f6",
        "iat": NOW - 10,
        "nbf": NOW - 10,
        "exp": NOW + 30 * 24 * 3600,
    })
}

#[test]
fn session_tokens_of_every_shape_pass() {
    assert!(check(&mint(&claims())).is_ok(), "v2 claims");
    assert!(check(&mint(&v1_claims())).is_ok(), "v1 org_* claims");
    let impersonated = with(
        claims(),
        &[(
            "act",
            json!({"sub": "user_2admin", "sid": "sess_2admin", "iss": "https://dashboard.clerk.com"}),
        )],
    );
    let session = check(&mint(&impersonated)).unwrap();
    assert_eq!(
        session.user_id.as_str(),
        "user_2abcDEF123",
        "the impersonated user"
    );
    // The other session category, and no `typ` / `cat` at all (older tokens).
    for h in [
        header_with(&[("cat", json!("cl_I7d4PD111III"))]),
        header_with(&[("cat", Value::Null)]),
        header_with(&[("typ", Value::Null), ("cat", Value::Null)]),
    ] {
        assert!(check(&mint_headed(&h, &claims())).is_ok(), "{h}");
    }
}

#[test]
fn oauth_access_tokens_are_refused() {
    for typ in ["at+jwt", "application/at+jwt"] {
        let h = header_with(&[("typ", json!(typ)), ("cat", Value::Null)]);
        assert_eq!(
            check(&mint_headed(&h, &oauth_claims())),
            Err(AuthError::WrongTokenType),
            "{typ}"
        );
        // Even with session-looking claims.
        assert_eq!(
            check(&mint_headed(&h, &claims())),
            Err(AuthError::WrongTokenType),
            "{typ}"
        );
    }
}

#[test]
fn typ_is_compared_exactly() {
    for typ in ["jwt", "Jwt", "JWT ", "JWS", ""] {
        let h = header_with(&[("typ", json!(typ))]);
        assert_eq!(
            check(&mint_headed(&h, &claims())),
            Err(AuthError::WrongTokenType),
            "{typ:?}"
        );
    }
}

#[test]
fn m2m_tokens_are_refused() {
    let h = header_with(&[("cat", json!("cl_B7d4PD333AAA"))]);
    assert_eq!(
        check(&mint_headed(&h, &m2m_claims())),
        Err(AuthError::WrongTokenCategory)
    );
    // Without its category, the machine subject still gives it away…
    let h = header_with(&[("cat", Value::Null)]);
    assert_eq!(
        check(&mint_headed(&h, &m2m_claims())),
        Err(AuthError::MachineToken)
    );
    // …even with a session id.
    let with_sid = with(m2m_claims(), &[("sid", json!("sess_1"))]);
    assert_eq!(check(&mint(&with_sid)), Err(AuthError::MachineToken));
}

#[test]
fn jwt_template_tokens_are_refused() {
    let h = header_with(&[("cat", json!("cl_B7d4PD222AAA"))]);
    assert_eq!(
        check(&mint_headed(&h, &template_claims())),
        Err(AuthError::WrongTokenCategory)
    );
    // Without its category, the missing session id gives it away.
    let h = header_with(&[("cat", Value::Null)]);
    assert_eq!(
        check(&mint_headed(&h, &template_claims())),
        Err(AuthError::MissingSessionId)
    );
}

#[test]
fn unknown_categories_are_refused() {
    for cat in ["cl_B7d4PD111aaa", "", "cl_B7d4PD444AAA", "session"] {
        let h = header_with(&[("cat", json!(cat))]);
        assert_eq!(
            check(&mint_headed(&h, &claims())),
            Err(AuthError::WrongTokenCategory),
            "{cat:?}"
        );
    }
}

#[test]
fn a_session_needs_a_non_empty_string_sid() {
    for sid in [
        Value::Null,
        json!(""),
        json!(7),
        json!(["sess_1"]),
        json!({"id": "sess_1"}),
    ] {
        let mut c = claims();
        if sid.is_null() {
            c.as_object_mut().unwrap().remove("sid");
        } else {
            c["sid"] = sid.clone();
        }
        assert_eq!(check(&mint(&c)), Err(AuthError::MissingSessionId), "{sid}");
    }
    let mut c = claims();
    c["sid"] = Value::Null;
    assert_eq!(check(&mint(&c)), Err(AuthError::MissingSessionId), "null");
}

#[test]
fn the_header_is_judged_before_the_key_and_the_signature() {
    // Wrong kind AND forged AND unknown kid: the answer is about the kind.
    let h = with(header("rotated-away"), &[("typ", json!("at+jwt"))]);
    let forged = mint_with(&h, &oauth_claims(), &private_key("test-b"));
    assert_eq!(check(&forged), Err(AuthError::WrongTokenType));
}

#[test]
fn claims_are_judged_only_under_a_valid_signature() {
    // A forged M2M token without category: the answer is about the signature.
    let h = header_with(&[("cat", Value::Null)]);
    let forged = mint_with(&h, &m2m_claims(), &private_key("test-b"));
    assert_eq!(check(&forged), Err(AuthError::BadSignature));
}

#[test]
fn each_refusal_has_its_own_reason() {
    assert_eq!(AuthError::WrongTokenType.reason(), "wrong_token_type");
    assert_eq!(
        AuthError::WrongTokenCategory.reason(),
        "wrong_token_category"
    );
    assert_eq!(AuthError::MachineToken.reason(), "machine_token");
    assert_eq!(AuthError::MissingSessionId.reason(), "missing_sid");
}
