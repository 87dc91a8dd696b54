//! GCRA (the generic cell rate algorithm) as a pure function of the stored
//! state, `now` and the quota (docs/spec.md §7).
//!
//! The state is one number, the *theoretical arrival time* (TAT): when the
//! bucket would be full again. A quota of `max` per `window` emits one unit
//! every `window / max`; a request is allowed while it would not push TAT
//! more than one window ahead of now — so a full bucket allows a burst of
//! exactly `max`, then one every `window / max`. Times are milliseconds, the TAT exact to a fraction
//! of one (see [`Tat`]).

use std::num::NonZeroU32;

/// `max` requests per `window_seconds`, burst up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub max: NonZeroU32,
    pub window_seconds: NonZeroU32,
}

impl Quota {
    pub fn window_ms(self) -> u64 {
        u64::from(self.window_seconds.get()) * 1000
    }

    /// The time one unit takes to come back, in ms (fractional: `window / max`
    /// need not divide evenly, so the arithmetic below keeps numerators).
    fn emission(self) -> Emission {
        Emission {
            num: u128::from(self.window_ms()),
            den: u128::from(self.max.get()),
        }
    }
}

/// `num / den` milliseconds.
#[derive(Clone, Copy)]
struct Emission {
    num: u128,
    den: u128,
}

/// The outcome of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow {
        /// The new TAT to store.
        tat: Tat,
        /// Requests still allowed right now.
        remaining: u32,
        /// Whole seconds until the budget is full again.
        reset_seconds: u64,
    },
    Deny {
        /// Whole seconds (≥ 1) until one request is allowed.
        retry_after_seconds: u64,
        /// Whole seconds until the budget is full again.
        reset_seconds: u64,
    },
}

/// A theoretical arrival time, exactly: `ms + rem / den` milliseconds since
/// the epoch, with the quota it was computed under (`den` is its `max`,
/// `window_ms` its window). Fractions matter: with `window / max` not a whole
/// number of ms, rounding the TAT to whole ms on every request adds up and
/// costs part of a burst (33 per second let only 32 through). Every part
/// fits a JavaScript number and an SQLite column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tat {
    pub ms: u64,
    /// `< den`.
    pub rem: u32,
    /// `≥ 1`.
    pub den: u32,
    pub window_ms: u64,
}

impl Tat {
    /// How far this TAT is ahead of `now_ms`, in units of `1/den` ms of
    /// `quota`, never more than one window.
    ///
    /// Under the same quota this is exact. A TAT from another quota (a
    /// settings change, or isolates that disagree) keeps the *fraction* of
    /// the window that is spent, rounded up: a user can then get at most
    /// the larger of the two bursts at once, never the sum. A TAT more than
    /// a window ahead (a corrupt row, a clock step) counts as a full window.
    fn ahead_scaled(self, now_ms: u64, den: u128, window_ms: u64) -> u128 {
        let own = u128::from(self.den.max(1));
        let tat_own = u128::from(self.ms) * own + u128::from(self.rem);
        let own_window = u128::from(self.window_ms.max(1)) * own;
        let ahead_own = tat_own
            .saturating_sub(u128::from(now_ms) * own)
            .min(own_window);
        let window_scaled = u128::from(window_ms) * den;
        if own == den && self.window_ms == window_ms {
            return ahead_own;
        }
        // ahead_own / own_window of the old window, as a share of the new one.
        ahead_own
            .checked_mul(window_scaled)
            .map_or(window_scaled, |n| n.div_ceil(own_window))
            .min(window_scaled)
    }

    fn from_scaled(scaled: u128, den: u128, window_ms: u64) -> Self {
        Self {
            ms: u64::try_from(scaled / den).unwrap_or(u64::MAX),
            rem: u32::try_from(scaled % den).unwrap_or(0),
            den: u32::try_from(den).unwrap_or(u32::MAX),
            window_ms,
        }
    }

    /// A TAT a whole window ahead of `now_ms`: the budget fully spent.
    pub fn spent(now_ms: u64, quota: Quota) -> Self {
        Self {
            ms: now_ms.saturating_add(quota.window_ms()),
            rem: 0,
            den: 1,
            window_ms: quota.window_ms(),
        }
    }

    /// Rounded up to whole ms: when the bucket is full again.
    pub fn ceil_ms(self) -> u64 {
        self.ms.saturating_add(u64::from(self.rem > 0))
    }
}

fn ceil_div(a: u128, b: u128) -> u64 {
    u64::try_from(a.div_ceil(b)).unwrap_or(u64::MAX)
}

/// Decides one request at `now_ms` given the stored TAT (`None` for a user
/// never seen, or whose state was lost: a full bucket).
pub fn check(stored: Option<Tat>, now_ms: u64, quota: Quota) -> Decision {
    let window = u128::from(quota.window_ms());
    let e = quota.emission();
    // Everything in units of 1/den ms, so `window / max` is exact.
    let now_scaled = u128::from(now_ms) * e.den;
    // A TAT in the past means a full bucket; clocks that step backwards
    // cannot make it look fuller than full.
    let ahead_scaled = stored.map_or(0, |t| t.ahead_scaled(now_ms, e.den, quota.window_ms()));
    let new_ahead_scaled = ahead_scaled + e.num;
    let window_scaled = window * e.den;
    if new_ahead_scaled <= window_scaled {
        // Units left = (window - new_ahead) / emission.
        let remaining = (window_scaled - new_ahead_scaled) / e.num;
        Decision::Allow {
            tat: Tat::from_scaled(now_scaled + new_ahead_scaled, e.den, quota.window_ms()),
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            reset_seconds: ceil_div(new_ahead_scaled, e.den * 1000),
        }
    } else {
        let wait_scaled = new_ahead_scaled - window_scaled;
        Decision::Deny {
            retry_after_seconds: ceil_div(wait_scaled, e.den * 1000).max(1),
            reset_seconds: ceil_div(ahead_scaled, e.den * 1000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(max: u32, window: u32) -> Quota {
        Quota {
            max: NonZeroU32::new(max).unwrap(),
            window_seconds: NonZeroU32::new(window).unwrap(),
        }
    }

    /// Runs `n` requests at `now`, threading the state; returns how many passed.
    fn burst(state: &mut Option<Tat>, now: u64, n: u32, q: Quota) -> u32 {
        let mut allowed = 0;
        for _ in 0..n {
            if let Decision::Allow { tat, .. } = check(*state, now, q) {
                *state = Some(tat);
                allowed += 1;
            }
        }
        allowed
    }

    const T0: u64 = 1_795_600_800_000;

    #[test]
    fn full_bucket_allows_exactly_the_burst() {
        let q = quota(20, 60);
        let mut s = None;
        assert_eq!(burst(&mut s, T0, 60, q), 20);
    }

    #[test]
    fn remaining_counts_down_and_reset_grows() {
        let q = quota(20, 60);
        let mut s = None;
        for expected in (0..20).rev() {
            match check(s, T0, q) {
                Decision::Allow {
                    tat,
                    remaining,
                    reset_seconds,
                } => {
                    assert_eq!(remaining, expected);
                    // Each spent unit takes 3 s to come back.
                    assert_eq!(reset_seconds, u64::from(20 - expected) * 3);
                    s = Some(tat);
                }
                Decision::Deny { .. } => panic!("denied early"),
            }
        }
        assert_eq!(
            check(s, T0, q),
            Decision::Deny {
                retry_after_seconds: 3,
                reset_seconds: 60
            }
        );
    }

    #[test]
    fn steady_refill_one_per_emission_interval() {
        let q = quota(20, 60); // one every 3 s
        let mut s = None;
        assert_eq!(burst(&mut s, T0, 20, q), 20);
        assert_eq!(burst(&mut s, T0 + 2_999, 1, q), 0);
        assert_eq!(burst(&mut s, T0 + 3_000, 2, q), 1);
        assert_eq!(burst(&mut s, T0 + 5_999, 1, q), 0);
        assert_eq!(burst(&mut s, T0 + 6_000, 1, q), 1);
        // 30 s later, 10 units are back.
        assert_eq!(burst(&mut s, T0 + 36_000, 20, q), 10);
    }

    #[test]
    fn retry_after_is_exact_and_rounded_up() {
        let q = quota(20, 60);
        let mut s = None;
        burst(&mut s, T0, 20, q);
        assert!(matches!(
            check(s, T0 + 1, q),
            Decision::Deny {
                retry_after_seconds: 3,
                ..
            }
        ));
        assert!(matches!(
            check(s, T0 + 2_001, q),
            Decision::Deny {
                retry_after_seconds: 1,
                ..
            }
        ));
        assert!(matches!(
            check(s, T0 + 2_999, q),
            Decision::Deny {
                retry_after_seconds: 1,
                ..
            }
        ));
        assert!(matches!(
            check(s, T0 + 3_000, q),
            Decision::Allow { remaining: 0, .. }
        ));
    }

    #[test]
    fn long_idle_restores_the_full_budget_and_no_more() {
        let q = quota(20, 60);
        let mut s = None;
        burst(&mut s, T0, 20, q);
        assert_eq!(burst(&mut s, T0 + 86_400_000, 100, q), 20);
    }

    #[test]
    fn uneven_emission_intervals_are_exact() {
        // 3 per 10 s: 3333.3 ms each. Over [0, 100 s]: the burst of 3, then
        // one per 3333.3 ms step passed: 30 — 33 in all, however it is polled.
        let q = quota(3, 10);
        let mut s = None;
        let mut allowed = burst(&mut s, T0, 3, q);
        for ms in (100..=100_000).step_by(100) {
            allowed += burst(&mut s, T0 + ms, 1, q);
        }
        assert_eq!(allowed, 33);
        let mut s = None;
        let mut allowed = 0;
        for ms in 0..=100_000 {
            allowed += burst(&mut s, T0 + ms, 1, q);
        }
        assert_eq!(allowed, 33);
    }

    #[test]
    fn a_burst_is_the_whole_budget_when_window_over_max_is_fractional() {
        // Found by the property test: rounding the TAT to whole ms on each
        // request let only 32 of 33 through.
        for (max, window) in [(33, 1), (7, 1), (3, 10), (999, 7), (60_000, 1)] {
            let mut s = None;
            assert_eq!(
                burst(&mut s, T0, max + 5, quota(max, window)),
                max,
                "{max}/{window}"
            );
        }
    }

    #[test]
    fn a_tat_keeps_its_fraction_when_the_quota_changes() {
        let mut s = None;
        burst(&mut s, T0, 2, quota(3, 10)); // TAT = T0 + 6666.67 ms
        let tat = s.unwrap();
        assert_eq!(
            (tat.ms, tat.rem, tat.den, tat.window_ms),
            (T0 + 6_666, 2, 3, 10_000)
        );
        assert_eq!(tat.ceil_ms(), T0 + 6_667);
        // Same quota: exact, in 1/3 ms.
        assert_eq!(tat.ahead_scaled(T0, 3, 10_000), 20_000);
        // Max 7 per 10 s: 6666.67 ms in 1/7 ms is 46666.67, rounded up.
        assert_eq!(tat.ahead_scaled(T0, 7, 10_000), 46_667);
        // Window 60 s: two thirds of it spent, i.e. 40 s (in 1/3 ms).
        assert_eq!(tat.ahead_scaled(T0, 3, 60_000), 120_000);
    }

    #[test]
    fn a_quota_change_never_gives_more_than_the_larger_burst() {
        // 20 per 10 s spent in full, then the window grows to 60 s: the
        // budget stays spent (36 at once before the fix).
        let mut s = None;
        assert_eq!(burst(&mut s, T0, 20, quota(20, 10)), 20);
        assert_eq!(burst(&mut s, T0, 40, quota(20, 60)), 0);
        // Half of 20 per 60 s spent, then 100 per 60 s: 50 more, 60 in all.
        let mut s = None;
        assert_eq!(burst(&mut s, T0, 10, quota(20, 60)), 10);
        assert_eq!(burst(&mut s, T0, 200, quota(100, 60)), 50);
        // And back down: nothing left under 20 per 60 s.
        assert_eq!(burst(&mut s, T0, 5, quota(20, 60)), 0);
    }

    #[test]
    fn a_tat_far_in_the_future_waits_one_window_at_most() {
        let q = quota(20, 60);
        let far = Some(Tat {
            ms: T0 + 86_400_000,
            rem: 0,
            den: 20,
            window_ms: 60_000,
        });
        assert!(matches!(
            check(far, T0, q),
            Decision::Deny {
                retry_after_seconds: 3,
                ..
            }
        ));
        let spent = Some(Tat::spent(T0, q));
        assert!(matches!(
            check(spent, T0, q),
            Decision::Deny {
                retry_after_seconds: 3,
                ..
            }
        ));
        assert!(matches!(
            check(spent, T0 + 3_000, q),
            Decision::Allow { remaining: 0, .. }
        ));
    }

    #[test]
    fn quota_of_one() {
        let q = quota(1, 1);
        let mut s = None;
        assert_eq!(burst(&mut s, T0, 5, q), 1);
        assert!(matches!(
            check(s, T0 + 999, q),
            Decision::Deny {
                retry_after_seconds: 1,
                ..
            }
        ));
        assert_eq!(burst(&mut s, T0 + 1_000, 5, q), 1);
    }

    #[test]
    fn large_quotas_do_not_overflow() {
        let q = quota(u32::MAX, u32::MAX);
        let mut s = None;
        assert_eq!(burst(&mut s, T0, 1_000, q), 1_000);
        assert!(matches!(check(s, T0, q), Decision::Allow { .. }));
    }

    #[test]
    fn a_clock_stepping_back_never_grants_extra() {
        let q = quota(2, 60);
        let mut s = None;
        assert_eq!(burst(&mut s, T0, 2, q), 2);
        assert_eq!(burst(&mut s, T0 - 60_000, 5, q), 0);
    }

    #[test]
    fn fresh_user_reports_full_budget_minus_one() {
        assert_eq!(
            check(None, T0, quota(20, 60)),
            Decision::Allow {
                tat: Tat {
                    ms: T0 + 3_000,
                    rem: 0,
                    den: 20,
                    window_ms: 60_000,
                },
                remaining: 19,
                reset_seconds: 3
            }
        );
    }
}
