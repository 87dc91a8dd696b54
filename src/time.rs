//! UTC instants without a clock.
//!
//! The pure core never reads the time: the edge takes "now" from the runtime
//! (`worker::Date::now()`) and passes a [`UtcTime`] in. The calendar forms
//! SigV4 and the API need (`20150830T123600Z`, `20150830`,
//! `2015-08-30T12:36:00Z`) are the `time` crate's formatting.

use std::fmt;

use ::time::format_description::well_known::Rfc3339;
use ::time::format_description::BorrowedFormatItem;
use ::time::macros::format_description;
use ::time::OffsetDateTime;

/// SigV4's `X-Amz-Date`.
const AMZ_DATE: &[BorrowedFormatItem<'_>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// SigV4's credential-scope date.
const DATE_STAMP: &[BorrowedFormatItem<'_>] = format_description!("[year][month][day]");

/// An instant, in whole seconds since 1970-01-01T00:00:00Z.
///
/// Only years 1970–9999 are representable, so every formatted form has a
/// fixed width (`from_unix_seconds` clamps to the last second of 9999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime(u64);

/// The last representable second: 9999-12-31T23:59:59Z.
const MAX_SECONDS: u64 = 253_402_300_799;

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

    /// This instant as the `time` crate's date-time, in UTC.
    pub fn to_offset_date_time(self) -> OffsetDateTime {
        // 0..=MAX_SECONDS is within `time`'s range (years up to 9999): the
        // epoch fallback is never taken.
        i64::try_from(self.0)
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// SigV4's `X-Amz-Date` form: `YYYYMMDDTHHMMSSZ`.
    pub fn amz_date(self) -> String {
        self.format(AMZ_DATE)
    }

    /// [`Self::amz_date`] written into `buf` (no allocation: the signer
    /// needs it for every URL).
    pub fn amz_date_into(self, buf: &mut [u8; 16]) -> &str {
        // Sixteen bytes always fit: never the empty fallback.
        let written = self
            .to_offset_date_time()
            .format_into(&mut &mut buf[..], AMZ_DATE)
            .unwrap_or(0);
        std::str::from_utf8(&buf[..written]).unwrap_or_default()
    }

    /// SigV4's credential-scope date: `YYYYMMDD`.
    pub fn date_stamp(self) -> String {
        self.format(DATE_STAMP)
    }

    /// RFC 3339 in UTC with a `Z`: `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn rfc3339(self) -> String {
        self.format(&Rfc3339)
    }

    /// Formatting fails only for a component the value lacks or a year past
    /// 9999, neither of which a `UtcTime` has: never the empty fallback.
    fn format(self, format: &(impl ::time::formatting::Formattable + ?Sized)) -> String {
        self.to_offset_date_time()
            .format(format)
            .unwrap_or_default()
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_formats() {
        let t = UtcTime::from_unix_seconds(0);
        assert_eq!(t.amz_date(), "19700101T000000Z");
        assert_eq!(t.date_stamp(), "19700101");
        assert_eq!(t.rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(t.to_string(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn aws_vector_date() {
        // 2015-08-30T12:36:00Z, the date of the aws-c-auth SigV4 vectors.
        let t = UtcTime::from_unix_seconds(1_440_938_160);
        assert_eq!(t.amz_date(), "20150830T123600Z");
        assert_eq!(t.amz_date_into(&mut [0; 16]), "20150830T123600Z");
        assert_eq!(t.date_stamp(), "20150830");
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
        assert_eq!(
            UtcTime::from_unix_seconds(1_767_225_599).rfc3339(),
            "2025-12-31T23:59:59Z"
        );
    }

    #[test]
    fn millis_truncate_to_the_second() {
        assert_eq!(
            UtcTime::from_unix_millis(1_440_938_160_999),
            UtcTime::from_unix_seconds(1_440_938_160)
        );
    }

    #[test]
    fn clamps_at_year_9999() {
        let t = UtcTime::from_unix_seconds(u64::MAX);
        assert_eq!(t.rfc3339(), "9999-12-31T23:59:59Z");
        assert_eq!(t.amz_date(), "99991231T235959Z");
        assert_eq!(t.amz_date_into(&mut [0; 16]), "99991231T235959Z");
        assert_eq!(t.checked_add_seconds(1), None);
    }
}
