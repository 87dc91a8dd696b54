//! The `RateLimiter` Durable Object: one per user (`idFromName(sub)`), its
//! GCRA state (one number) in the object's storage so eviction or restart
//! does not reset the budget. One request in, one JSON [`Verdict`] out.
//!
//! Exactness under concurrency: the object's SQLite storage is used through
//! its synchronous API, so the read, the decision and the write run without
//! a single `await` — no other request can interleave, and N concurrent
//! requests get exactly the budget's worth of `allowed`. The row is read
//! once per instance and then mirrored in memory. (It also avoids two
//! storage promises per request; end to end that was within noise of
//! `storage().get/put`, see docs/benchmarks.md.)

use std::cell::Cell;
use std::num::NonZeroU32;

use serde::Deserialize;
use worker::{durable_object, Date, DurableObject, Env, Request, Response, Result, State};

use super::gcra::{self, Quota};
use super::Verdict;

/// One row: the exact theoretical arrival time, `ms + rem / den` ms since
/// the epoch ([`gcra::Tat`]; each part exact as a JavaScript number).
/// (`gcra_v2`: the first table kept whole ms, which lost part of a burst
/// when `window / max` was fractional.)
const CREATE: &str = "CREATE TABLE IF NOT EXISTS gcra_v2 (id INTEGER PRIMARY KEY CHECK (id = 0), \
     ms REAL NOT NULL, rem INTEGER NOT NULL, den INTEGER NOT NULL)";
const SELECT: &str = "SELECT ms, rem, den FROM gcra_v2 WHERE id = 0";
const UPSERT: &str = "INSERT INTO gcra_v2 (id, ms, rem, den) VALUES (0, ?, ?, ?) \
     ON CONFLICT(id) DO UPDATE SET ms = excluded.ms, rem = excluded.rem, den = excluded.den";

#[derive(Deserialize)]
struct Row {
    ms: f64,
    rem: f64,
    den: f64,
}

impl Row {
    /// `None` for a row that is not a valid TAT.
    fn tat(&self) -> Option<gcra::Tat> {
        let den = number_to_u32(self.den).filter(|d| *d >= 1)?;
        let rem = number_to_u32(self.rem).filter(|r| *r < den)?;
        Some(gcra::Tat {
            ms: number_to_ms(self.ms)?,
            rem,
            den,
        })
    }
}

#[durable_object]
pub struct RateLimiter {
    state: State,
    /// The stored TAT, once this instance has read it; then kept equal to
    /// the row.
    tat: Cell<Mirror>,
}

/// The in-memory copy of the row.
#[derive(Clone, Copy)]
enum Mirror {
    NotLoaded,
    /// The row's TAT; `None` when there is no row yet.
    Loaded(Option<gcra::Tat>),
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

/// `?max=N&window=N` from the raw URL (not through `Request::url`, whose
/// URL parser would pull IDNA tables into the wasm).
fn quota_from(req: &Request) -> Option<Quota> {
    let url = req.inner().url();
    let query = url.split_once('?')?.1;
    let get = |name: &str| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse::<u32>().ok())
            .and_then(NonZeroU32::new)
    };
    Some(Quota {
        max: get("max")?,
        window_seconds: get("window")?,
    })
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn ms_to_number(ms: u64) -> f64 {
    ms as f64
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn number_to_ms(n: f64) -> Option<u64> {
    (n.is_finite() && n >= 0.0).then_some(n as u64)
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn number_to_u32(n: f64) -> Option<u32> {
    (n.is_finite() && n >= 0.0 && n <= f64::from(u32::MAX) && n.fract() == 0.0).then_some(n as u32)
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            tat: Cell::new(Mirror::NotLoaded),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let Some(quota) = quota_from(&req) else {
            return Response::error("max and window must be positive integers", 400);
        };
        let sql = self.state.storage().sql();
        // An instance is single-threaded and the only writer of its row, so
        // after one read its memory is the row: one statement per request.
        let stored = if let Mirror::Loaded(tat) = self.tat.get() {
            tat
        } else {
            sql.exec(CREATE, None)?;
            let row = sql.exec(SELECT, None)?.to_array::<Row>()?;
            let tat =
                match row.first() {
                    None => None,
                    // A row we cannot read is an error, not a full bucket.
                    Some(r) => Some(r.tat().ok_or_else(|| {
                        worker::Error::RustError("unreadable rate-limit row".into())
                    })?),
                };
            self.tat.set(Mirror::Loaded(tat));
            tat
        };
        let now_ms = Date::now().as_millis();
        let decision = gcra::check(stored, now_ms, quota);
        if let gcra::Decision::Allow { tat, .. } = decision {
            // Memory follows the row only once the write has succeeded.
            let values = vec![
                ms_to_number(tat.ms).into(),
                f64::from(tat.rem).into(),
                f64::from(tat.den).into(),
            ];
            sql.exec(UPSERT, values)?;
            self.tat.set(Mirror::Loaded(Some(tat)));
        }
        Response::from_json(&Verdict::from(decision))
    }
}
