//! Replays every committed fuzz input — the seed corpora in
//! `fuzz/corpus/<target>/` and the crashes turned regressions in
//! `fuzz/regressions/<target>/` — through the same harness the cargo-fuzz
//! targets run (`fuzz/harness.rs`), on stable, in the normal test run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target}: {} panics", path.display());
            count += 1;
        }
    }
    assert!(count > 0, "{target}: no committed inputs");
}

#[test]
fn upload_body_inputs() {
    replay("upload_body", harness::upload_body);
}

#[test]
fn file_name_inputs() {
    replay("file_name", harness::file_name);
}

#[test]
fn confirm_inputs() {
    replay("confirm", |data| {
        let _ = harness::confirm(data);
    });
}

/// The `ok-*` seeds are real files that pass every check, so fuzzing starts
/// from inside each format's reader rather than at the signature test.
#[test]
fn confirm_ok_seeds_are_verified() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/confirm");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let verdict = harness::confirm(&std::fs::read(&path).unwrap());
        assert_eq!(
            verdict.is_ok(),
            name.starts_with("ok-"),
            "{name}: {verdict:?}"
        );
        count += 1;
    }
    assert!(count > 8);
}

#[test]
fn jwt_inputs() {
    replay("jwt", |data| {
        harness::jwt(data);
    });
}

/// The seeds reach the success path, so fuzzing starts past the signature
/// and claim checks rather than only at the parser.
#[test]
fn jwt_valid_seeds_are_accepted() {
    let seed =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/jwt/valid-signed"))
            .unwrap();
    assert!(harness::jwt(&seed), "really signed");
    let mut any_signature = seed.clone();
    any_signature[0] = 1;
    assert!(harness::jwt(&any_signature), "claims alone");
    let mut expired = String::from_utf8(any_signature).unwrap();
    expired = expired.replace("1795604400", "1795600000");
    assert!(!harness::jwt(expired.as_bytes()), "expired");
}

#[test]
fn canonical_inputs() {
    replay("canonical", harness::canonical);
}

/// The seeds of Clerk's other token kinds are refused, its session shapes
/// accepted: fuzzing starts on both sides of the session-only rules.
#[test]
fn jwt_token_kind_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/jwt");
    for (seed, accepted) in [
        ("session-v2-claims", true),
        ("nbf-at-chrono-min", true),
        ("oauth-access-token", false),
        ("m2m-token", false),
        ("jwt-template", false),
        ("no-sid", false),
        ("repeated-sub", false),
        ("lone-surrogate", false),
    ] {
        let data = std::fs::read(dir.join(seed)).unwrap();
        assert_eq!(harness::jwt(&data), accepted, "{seed}");
    }
}
