//! Verified tokens remembered in isolate memory, so a client that asks for
//! several URLs with one session token pays for RSA once.
//!
//! - keyed by SHA-256 of (key source, token): the cache never holds a token,
//!   and a token verified against one key source never counts for another;
//! - an entry is used only under the same claim rules it was checked with,
//!   and never once `exp` has passed (the leeway is left to full
//!   verification), nor longer than [`MAX_ENTRY_SECONDS`] after it was
//!   verified, whatever far-future `exp` the token names: a key dropped from
//!   the JWKS stops counting here as it does there;
//! - bounded: when full, the oldest entry goes (O(1)); expired ones are
//!   dropped when met, and never inserted.

use std::collections::{HashMap, VecDeque};

use sha2::{Digest, Sha256};

use super::jwks_refresh::FRESH_SECONDS;
use super::verify::{ClaimRules, Session};
use crate::time::UtcTime;

/// Entries kept at most (a few hundred bytes each).
pub const DEFAULT_CAPACITY: usize = 1024;

/// How long a verification is reused at most: as long as a fetched JWKS is
/// fresh (docs/spec.md §6).
pub const MAX_ENTRY_SECONDS: u64 = FRESH_SECONDS;

#[derive(Debug)]
struct Entry {
    session: Session,
    rules: ClaimRules,
    /// `exp`, or [`MAX_ENTRY_SECONDS`] after the verification if sooner.
    valid_until: UtcTime,
}

/// A bounded map from token digests to verified sessions.
#[derive(Debug)]
pub struct VerifiedTokens {
    entries: HashMap<[u8; 32], Entry>,
    /// Insertion order, for eviction.
    order: VecDeque<[u8; 32]>,
    capacity: usize,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

fn digest(source: &str, token: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(source.as_bytes());
    h.update([0]);
    h.update(token.as_bytes());
    h.finalize().into()
}

impl VerifiedTokens {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The session `token` was verified to, if it is cached for this key
    /// `source` and `rules` and `now` has not passed its `exp`.
    pub fn get(
        &mut self,
        source: &str,
        token: &str,
        rules: &ClaimRules,
        now: UtcTime,
    ) -> Option<Session> {
        let key = digest(source, token);
        let entry = self.entries.get(&key)?;
        if now > entry.valid_until {
            self.entries.remove(&key);
            return None;
        }
        (entry.rules == *rules).then(|| entry.session.clone())
    }

    /// Remembers a session that passed full verification under `rules`.
    pub fn insert(
        &mut self,
        source: &str,
        token: &str,
        rules: &ClaimRules,
        session: Session,
        now: UtcTime,
    ) {
        if now > session.expires_at {
            return;
        }
        let valid_until = now
            .checked_add_seconds(MAX_ENTRY_SECONDS)
            .map_or(session.expires_at, |limit| limit.min(session.expires_at));
        let key = digest(source, token);
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            // Oldest first, O(1) per insert: a full cache under a stream of
            // new tokens (every request a new token) must not rescan itself.
            // Expired entries go the same way, or when `get` meets them.
            while self.entries.len() >= self.capacity {
                let Some(oldest) = self.order.pop_front() else {
                    self.entries.clear();
                    break;
                };
                self.entries.remove(&oldest);
            }
        }
        // Keys removed by `get` stay in `order` until popped; keep it bounded.
        if self.order.len() >= 2 * self.capacity {
            self.order.retain(|k| self.entries.contains_key(k));
        }
        if self
            .entries
            .insert(
                key,
                Entry {
                    session,
                    rules: rules.clone(),
                    valid_until,
                },
            )
            .is_none()
        {
            self.order.push_back(key);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Answers from `cache` when it can; otherwise runs `verify` (the full
/// verification) and remembers a success. Failures are never cached.
///
/// # Errors
/// Whatever `verify` returns.
pub async fn verify_cached<F>(
    cache: &std::cell::RefCell<VerifiedTokens>,
    source: &str,
    token: &str,
    rules: &ClaimRules,
    now: UtcTime,
    verify: F,
) -> Result<Session, super::AuthError>
where
    F: AsyncFnOnce() -> Result<Session, super::AuthError>,
{
    if let Some(session) = cache.borrow_mut().get(source, token, rules, now) {
        return Ok(session);
    }
    let session = verify().await?;
    cache
        .borrow_mut()
        .insert(source, token, rules, session.clone(), now);
    Ok(session)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::verify::UserId;

    fn session(user: &str, exp: u64) -> Session {
        Session {
            user_id: UserId::new(user).unwrap(),
            expires_at: UtcTime::from_unix_seconds(exp),
        }
    }

    fn at(t: u64) -> UtcTime {
        UtcTime::from_unix_seconds(t)
    }

    #[test]
    fn hit_until_exp_then_miss() {
        let mut c = VerifiedTokens::default();
        let rules = ClaimRules::default();
        c.insert("jwks:a", "tok", &rules, session("user_1", 100), at(40));
        assert_eq!(
            c.get("jwks:a", "tok", &rules, at(100)).map(|s| s.user_id),
            Some(UserId::new("user_1").unwrap())
        );
        assert_eq!(c.get("jwks:a", "tok", &rules, at(101)), None);
        assert!(c.is_empty(), "expired entries are dropped on sight");
    }

    #[test]
    fn a_far_future_exp_is_reused_for_a_bounded_time_only() {
        let mut c = VerifiedTokens::default();
        let rules = ClaimRules::default();
        c.insert(
            "s",
            "tok",
            &rules,
            session("user_1", u64::MAX / 2),
            at(1000),
        );
        assert!(c
            .get("s", "tok", &rules, at(1000 + MAX_ENTRY_SECONDS))
            .is_some());
        assert!(c
            .get("s", "tok", &rules, at(1001 + MAX_ENTRY_SECONDS))
            .is_none());
    }

    #[test]
    fn other_token_source_or_rules_miss() {
        let mut c = VerifiedTokens::default();
        let rules = ClaimRules::default();
        c.insert("jwks:a", "tok", &rules, session("user_1", 100), at(0));
        assert_eq!(c.get("jwks:a", "tok2", &rules, at(1)), None);
        assert_eq!(c.get("jwks:b", "tok", &rules, at(1)), None);
        let stricter = ClaimRules {
            issuer: Some("https://x".into()),
            ..ClaimRules::default()
        };
        assert_eq!(c.get("jwks:a", "tok", &stricter, at(1)), None);
        assert!(c.get("jwks:a", "tok", &rules, at(1)).is_some());
    }

    #[test]
    fn bounded_oldest_first() {
        let mut c = VerifiedTokens::with_capacity(3);
        let rules = ClaimRules::default();
        c.insert("s", "t1", &rules, session("user_1", 10), at(0)); // expires first
        c.insert("s", "t2", &rules, session("user_2", 100), at(0));
        c.insert("s", "t3", &rules, session("user_3", 100), at(0));
        c.insert("s", "t4", &rules, session("user_4", 100), at(20)); // t1 (oldest) evicted
        assert_eq!(c.len(), 3);
        assert!(c.get("s", "t2", &rules, at(20)).is_some());
        c.insert("s", "t5", &rules, session("user_5", 100), at(20)); // none expired: oldest (t2) goes
        assert_eq!(c.len(), 3);
        assert!(c.get("s", "t2", &rules, at(20)).is_none());
        for t in ["t3", "t4", "t5"] {
            assert!(c.get("s", t, &rules, at(20)).is_some(), "{t}");
        }
    }

    #[test]
    fn a_stream_of_new_tokens_stays_bounded() {
        let mut c = VerifiedTokens::with_capacity(8);
        let rules = ClaimRules::default();
        for i in 0..1000 {
            let tok = format!("t{i}");
            c.insert("s", &tok, &rules, session("user_1", 100), at(0));
            if i % 3 == 0 {
                // `get` past exp drops the entry but not its place in `order`.
                assert!(c.get("s", &tok, &rules, at(101)).is_none());
            }
            assert!(c.len() <= 8);
            assert!(c.order.len() <= 16, "order grew to {}", c.order.len());
        }
        assert!(c.get("s", "t998", &rules, at(0)).is_some());
        assert!(
            c.get("s", "t980", &rules, at(0)).is_none(),
            "oldest evicted"
        );
    }

    #[test]
    fn an_expired_session_is_not_cached() {
        let mut c = VerifiedTokens::with_capacity(2);
        let rules = ClaimRules::default();
        c.insert("s", "t", &rules, session("user_1", 10), at(11));
        assert!(c.is_empty());
    }

    #[test]
    fn reinserting_does_not_grow() {
        let mut c = VerifiedTokens::with_capacity(2);
        let rules = ClaimRules::default();
        for _ in 0..10 {
            c.insert("s", "t", &rules, session("user_1", 100), at(0));
        }
        assert_eq!(c.len(), 1);
    }
}

#[cfg(test)]
mod wiring_tests {
    use super::*;
    use crate::auth::verify::UserId;
    use crate::auth::AuthError;
    use std::cell::{Cell, RefCell};
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    fn block_on<F: Future>(fut: F) -> F::Output {
        match pin!(fut)
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(out) => out,
            Poll::Pending => unreachable!(),
        }
    }

    #[test]
    fn verifies_once_per_token_until_exp_and_never_caches_failures() {
        let cache = RefCell::new(VerifiedTokens::default());
        let rules = ClaimRules::default();
        let calls = Cell::new(0);
        let ok = |exp: u64| {
            let calls = &calls;
            async move || {
                calls.set(calls.get() + 1);
                Ok(Session {
                    user_id: UserId::new("user_1").unwrap(),
                    expires_at: UtcTime::from_unix_seconds(exp),
                })
            }
        };
        let at = UtcTime::from_unix_seconds;
        for _ in 0..3 {
            block_on(verify_cached(
                &cache,
                "jwks:a",
                "tok",
                &rules,
                at(10),
                ok(100),
            ))
            .unwrap();
        }
        assert_eq!(calls.get(), 1, "one verification for three requests");
        block_on(verify_cached(
            &cache,
            "jwks:a",
            "tok",
            &rules,
            at(101),
            ok(200),
        ))
        .unwrap();
        assert_eq!(calls.get(), 2, "past exp the token is verified again");

        let fail = || {
            let calls = &calls;
            async move || {
                calls.set(calls.get() + 1);
                Err(AuthError::BadSignature)
            }
        };
        for _ in 0..2 {
            assert_eq!(
                block_on(verify_cached(
                    &cache,
                    "jwks:a",
                    "bad",
                    &rules,
                    at(10),
                    fail()
                )),
                Err(AuthError::BadSignature)
            );
        }
        assert_eq!(calls.get(), 4, "failures are verified every time");
    }
}
