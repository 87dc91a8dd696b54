//! UTC instants without a clock.
//!
//! The pure core never reads the time: the edge takes "now" from the runtime
//! (`worker::Date::now()`) and passes a [`UtcTime`] in. This module only turns
//! seconds since the Unix epoch into the calendar forms SigV4 and the API need
//! (`20150830T123600Z`, `20150830`, `2015-08-30T12:36:00Z`), with Howard
//! Hinnant's `civil_from_days` algorithm instead of a date crate, to keep the
//! wasm small.

use std::fmt;

/// Seconds in a day.
const DAY: u64 = 86_400;

/// An instant, in whole seconds since 1970-01-01T00:00:00Z.
///
/// Only years 1970–9999 are representable, so every formatted form has a
/// fixed width (`from_unix_seconds` clamps to the last second of 9999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime(u64);

/// The last representable second: 9999-12-31T23:59:59Z.
const MAX_SECONDS: u64 = 253_402_300_799;

/// A calendar breakdown of a [`UtcTime`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: u32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl UtcTime {
    /// The instant `secs` seconds after the epoch (clamped to 9999-12-31T23:59:59Z).
    pub const fn from_unix_seconds(secs: u64) -> Self {
        if secs > MAX_SECONDS {
            Self(MAX_SECONDS)
        } else {
            Self(secs)
        }
    }

    /// The instant `millis` milliseconds after the epoch, truncated to the second
    /// (the form `Date.now()` gives at the edge).
    pub const fn from_unix_millis(millis: u64) -> Self {
        Self::from_unix_seconds(millis / 1000)
    }

    /// The instant for a calendar date and time, or `None` if any field is out
    /// of range (month 1–12, a day that exists in that month, 00:00:00–23:59:59,
    /// year 1970–9999).
    pub fn from_civil(c: Civil) -> Option<Self> {
        if !(1970..=9999).contains(&c.year)
            || !(1..=12).contains(&c.month)
            || c.day == 0
            || c.day > days_in_month(c.year, c.month)
            || c.hour > 23
            || c.minute > 59
            || c.second > 59
        {
            return None;
        }
        let days = days_from_civil(c.year, c.month, c.day);
        Some(Self(
            days * DAY + u64::from(c.hour) * 3600 + u64::from(c.minute) * 60 + u64::from(c.second),
        ))
    }

    /// Seconds since the epoch.
    pub const fn unix_seconds(self) -> u64 {
        self.0
    }

    /// `self + secs`, or `None` past 9999-12-31T23:59:59Z.
    pub fn checked_add_seconds(self, secs: u64) -> Option<Self> {
        self.0
            .checked_add(secs)
            .filter(|s| *s <= MAX_SECONDS)
            .map(Self)
    }

    /// The calendar fields of this instant.
    pub fn civil(self) -> Civil {
        let (year, month, day) = civil_from_days(self.0 / DAY);
        let rem = self.0 % DAY;
        Civil {
            year,
            month,
            day,
            // Each value is below 86 400, so the narrowing cannot truncate.
            hour: u32::try_from(rem / 3600).unwrap_or(0),
            minute: u32::try_from(rem % 3600 / 60).unwrap_or(0),
            second: u32::try_from(rem % 60).unwrap_or(0),
        }
    }

    /// SigV4's `X-Amz-Date` form: `YYYYMMDDTHHMMSSZ` (digits pushed
    /// directly: this runs for every URL).
    pub fn amz_date(self) -> String {
        self.amz_date_bytes().as_str().to_owned()
    }

    /// [`Self::amz_date`] without an allocation, for the signing fast path.
    pub fn amz_date_bytes(self) -> AmzDate {
        let c = self.civil();
        let mut out = [0u8; 16];
        put_digits(&mut out[0..4], c.year);
        put_digits(&mut out[4..6], c.month);
        put_digits(&mut out[6..8], c.day);
        out[8] = b'T';
        put_digits(&mut out[9..11], c.hour);
        put_digits(&mut out[11..13], c.minute);
        put_digits(&mut out[13..15], c.second);
        out[15] = b'Z';
        AmzDate(out)
    }

    /// SigV4's credential-scope date: `YYYYMMDD`.
    pub fn date_stamp(self) -> String {
        let c = self.civil();
        format!("{:04}{:02}{:02}", c.year, c.month, c.day)
    }

    /// RFC 3339 in UTC with a `Z`: `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn rfc3339(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.civil();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }
}

/// `YYYYMMDDTHHMMSSZ` on the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmzDate([u8; 16]);

impl AmzDate {
    pub fn as_str(&self) -> &str {
        // Digits, `T` and `Z` only: always ASCII.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Fills `out` with the last `out.len()` decimal digits of `n`, zero-padded,
/// two digits at a time.
fn put_digits(out: &mut [u8], mut n: u32) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    for pair in out.rchunks_mut(2) {
        let i = 2 * (n % 100) as usize;
        let (tens, ones) = (PAIRS[i], PAIRS[i + 1]);
        if let [t, o] = pair {
            (*t, *o) = (tens, ones);
        } else if let [o] = pair {
            *o = ones;
        }
        n /= 100;
    }
}

const fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

const fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a valid date with `year >= 1970`.
fn days_from_civil(year: u32, month: u32, day: u32) -> u64 {
    // Shift the year to start in March so the leap day is the year's last.
    let y = u64::from(if month <= 2 { year - 1 } else { year });
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = u64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + u64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    // 719 468 = days from 0000-03-01 to 1970-01-01.
    era * 146_097 + doe - 719_468
}

/// The date `days` days after 1970-01-01.
fn civil_from_days(days: u64) -> (u32, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    // Bounded by MAX_SECONDS: year <= 9999, month <= 12, day <= 31.
    (
        u32::try_from(year).unwrap_or(9999),
        u32::try_from(month).unwrap_or(12),
        u32::try_from(day).unwrap_or(31),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn civil(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Civil {
        Civil {
            year,
            month,
            day,
            hour,
            minute,
            second,
        }
    }

    #[test]
    fn epoch_formats() {
        let t = UtcTime::from_unix_seconds(0);
        assert_eq!(t.amz_date(), "19700101T000000Z");
        assert_eq!(t.date_stamp(), "19700101");
        assert_eq!(t.rfc3339(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn aws_vector_date() {
        // 2015-08-30T12:36:00Z, the date of the aws-c-auth SigV4 vectors.
        let t = UtcTime::from_unix_seconds(1_440_938_160);
        assert_eq!(t.amz_date(), "20150830T123600Z");
        assert_eq!(UtcTime::from_civil(civil(2015, 8, 30, 12, 36, 0)), Some(t));
    }

    #[test]
    fn leap_days_and_year_ends() {
        // 2024-02-29T23:59:59Z and the second after it.
        let t = UtcTime::from_unix_seconds(1_709_251_199);
        assert_eq!(t.rfc3339(), "2024-02-29T23:59:59Z");
        assert_eq!(
            t.checked_add_seconds(1).map(UtcTime::rfc3339).as_deref(),
            Some("2024-03-01T00:00:00Z")
        );
        // 2000 is a leap year (divisible by 400), 2100 is not.
        assert!(UtcTime::from_civil(civil(2000, 2, 29, 0, 0, 0)).is_some());
        assert!(UtcTime::from_civil(civil(2100, 2, 29, 0, 0, 0)).is_none());
        assert_eq!(
            UtcTime::from_unix_seconds(1_767_225_599).rfc3339(),
            "2025-12-31T23:59:59Z"
        );
    }

    #[test]
    fn civil_round_trips_every_day_for_four_centuries() {
        // 1970-01-01 .. 2369-12-31, one probe per day at a varying time.
        for day in 0..146_097_u64 {
            let t = UtcTime::from_unix_seconds(day * DAY + (day * 37) % DAY);
            assert_eq!(UtcTime::from_civil(t.civil()), Some(t), "day {day}");
        }
    }

    #[test]
    fn rejects_impossible_fields() {
        assert!(UtcTime::from_civil(civil(2026, 13, 1, 0, 0, 0)).is_none());
        assert!(UtcTime::from_civil(civil(2026, 4, 31, 0, 0, 0)).is_none());
        assert!(UtcTime::from_civil(civil(2026, 1, 1, 24, 0, 0)).is_none());
        assert!(UtcTime::from_civil(civil(1969, 12, 31, 0, 0, 0)).is_none());
    }

    #[test]
    fn clamps_at_year_9999() {
        let t = UtcTime::from_unix_seconds(u64::MAX);
        assert_eq!(t.rfc3339(), "9999-12-31T23:59:59Z");
        assert_eq!(t.checked_add_seconds(1), None);
    }
}
