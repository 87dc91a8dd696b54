//! When to use the cached JWKS, when to fetch it, and what a failed fetch
//! means (docs/spec.md §6, §9) — pure, over a stepped clock in the tests.
//!
//! - fresh for 10 minutes; a known `kid` in a fresh set never causes a fetch;
//! - a `kid` miss refetches only if the previous fetch *attempt* of that URL
//!   (of any kind, the first cold one included) is at least 30 s old —
//!   random `kid`s cannot flood the issuer;
//! - a stale set (10 min – 24 h) is refreshed, at most once per 30 s, and
//!   still used while the issuer is unreachable;
//! - with nothing usable: 503 `auth_unavailable` — and again without a new
//!   attempt until 30 s have passed, so an outage costs each request nothing.

use super::AuthError;
use crate::time::UtcTime;

/// A fetched set is fresh this long.
pub const FRESH_SECONDS: u64 = 600;
/// A fetched set may be used this long when the issuer is unreachable.
pub const STALE_LIMIT_SECONDS: u64 = 24 * 3600;
/// Minimum time between two fetch attempts outside of normal refresh.
pub const REFETCH_COOLDOWN_SECONDS: u64 = 30;
/// How long a JWKS fetch may take.
pub const FETCH_TIMEOUT_MS: u32 = 5_000;

/// What the cache knows about one JWKS URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheView {
    /// When the cached set was fetched; `None` if there is none.
    pub fetched_at: Option<UtcTime>,
    /// When a fetch was last attempted (successful or not).
    pub attempted_at: Option<UtcTime>,
    /// Whether the cached set holds the token's `kid`.
    pub kid_found: bool,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Verify with the cached set.
    UseCached,
    /// Fetch the JWKS, then verify with the new set (or see [`after_failed_fetch`]).
    Fetch,
    /// Answer with this error now.
    Reject(AuthError),
}

fn age(since: UtcTime, now: UtcTime) -> u64 {
    now.unix_seconds().saturating_sub(since.unix_seconds())
}

/// The decision before any fetch.
pub fn decide(view: CacheView, now: UtcTime) -> Decision {
    let cooled_down = view
        .attempted_at
        .is_none_or(|t| age(t, now) >= REFETCH_COOLDOWN_SECONDS);
    let set_age = view.fetched_at.map(|t| age(t, now));
    match set_age {
        Some(a) if a < FRESH_SECONDS => {
            if view.kid_found {
                Decision::UseCached
            } else if cooled_down {
                Decision::Fetch
            } else {
                Decision::Reject(AuthError::UnknownKey)
            }
        }
        Some(a) if a < STALE_LIMIT_SECONDS => {
            if cooled_down {
                Decision::Fetch
            } else {
                after_failed_fetch(view, now)
            }
        }
        _ if cooled_down => Decision::Fetch,
        _ => Decision::Reject(AuthError::KeysUnavailable),
    }
}

/// The decision when a fetch failed (error status, bad document, timeout):
/// a usable cached set still serves known `kid`s; a `kid` miss is 401 (not
/// 503, since keys exist); nothing usable is 503.
pub fn after_failed_fetch(view: CacheView, now: UtcTime) -> Decision {
    match view.fetched_at {
        Some(t) if age(t, now) < STALE_LIMIT_SECONDS => {
            if view.kid_found {
                Decision::UseCached
            } else {
                Decision::Reject(AuthError::UnknownKey)
            }
        }
        _ => Decision::Reject(AuthError::KeysUnavailable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_795_600_800;

    fn at(offset: u64) -> UtcTime {
        UtcTime::from_unix_seconds(T0 + offset)
    }

    fn view(fetched: Option<u64>, attempted: Option<u64>, kid_found: bool) -> CacheView {
        CacheView {
            fetched_at: fetched.map(at),
            attempted_at: attempted.map(at),
            kid_found,
        }
    }

    #[test]
    fn cold_cache_fetches() {
        assert_eq!(decide(CacheView::default(), at(0)), Decision::Fetch);
    }

    #[test]
    fn fresh_set_with_known_kid_never_fetches() {
        for t in [0, 1, 299, 599] {
            assert_eq!(
                decide(view(Some(0), Some(0), true), at(t)),
                Decision::UseCached,
                "t={t}"
            );
        }
    }

    #[test]
    fn set_turns_stale_at_ten_minutes() {
        assert_eq!(
            decide(view(Some(0), Some(0), true), at(599)),
            Decision::UseCached
        );
        assert_eq!(
            decide(view(Some(0), Some(0), true), at(600)),
            Decision::Fetch
        );
    }

    #[test]
    fn kid_miss_refetches_only_after_the_cooldown() {
        // The cold fetch at t=0 counts as the previous attempt.
        assert_eq!(
            decide(view(Some(0), Some(0), false), at(29)),
            Decision::Reject(AuthError::UnknownKey)
        );
        assert_eq!(
            decide(view(Some(0), Some(0), false), at(30)),
            Decision::Fetch
        );
        // After a refetch at t=30, the next miss waits until t=60.
        assert_eq!(
            decide(view(Some(30), Some(30), false), at(59)),
            Decision::Reject(AuthError::UnknownKey)
        );
        assert_eq!(
            decide(view(Some(30), Some(30), false), at(60)),
            Decision::Fetch
        );
    }

    #[test]
    fn stale_set_refreshes_at_most_every_30_s_and_serves_meanwhile() {
        // Stale (fetched 1 h ago), last attempt 10 s ago failed.
        assert_eq!(
            decide(view(Some(0), Some(3590), true), at(3600)),
            Decision::UseCached
        );
        assert_eq!(
            decide(view(Some(0), Some(3590), false), at(3600)),
            Decision::Reject(AuthError::UnknownKey)
        );
        assert_eq!(
            decide(view(Some(0), Some(3570), true), at(3600)),
            Decision::Fetch
        );
    }

    #[test]
    fn failed_fetch_falls_back_to_a_stale_set_up_to_24_h() {
        let day = STALE_LIMIT_SECONDS;
        assert_eq!(
            after_failed_fetch(view(Some(0), None, true), at(day - 1)),
            Decision::UseCached
        );
        assert_eq!(
            after_failed_fetch(view(Some(0), None, true), at(day)),
            Decision::Reject(AuthError::KeysUnavailable)
        );
        assert_eq!(
            after_failed_fetch(view(Some(0), None, false), at(100)),
            Decision::Reject(AuthError::UnknownKey)
        );
        assert_eq!(
            after_failed_fetch(CacheView::default(), at(0)),
            Decision::Reject(AuthError::KeysUnavailable)
        );
    }

    #[test]
    fn outage_with_nothing_cached_is_503_without_hammering() {
        // A failed cold attempt at t=0: no new attempt until t=30.
        assert_eq!(
            decide(view(None, Some(0), false), at(29)),
            Decision::Reject(AuthError::KeysUnavailable)
        );
        assert_eq!(decide(view(None, Some(0), false), at(30)), Decision::Fetch);
        // A set older than 24 h is as good as none.
        assert_eq!(
            decide(
                view(Some(0), Some(STALE_LIMIT_SECONDS), true),
                at(STALE_LIMIT_SECONDS + 10)
            ),
            Decision::Reject(AuthError::KeysUnavailable)
        );
    }
}
