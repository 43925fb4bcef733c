//! Timestamps as the awsJson protocols carry them: epoch seconds, possibly fractional.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time with millisecond precision, carried on the wire as epoch seconds
/// (e.g. `1700000000.123`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    millis: i64,
}

impl Timestamp {
    /// From milliseconds since the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self { millis }
    }

    /// From whole seconds since the Unix epoch.
    pub const fn from_secs(secs: i64) -> Self {
        Self {
            millis: secs.saturating_mul(1000),
        }
    }

    /// From fractional epoch seconds; `None` when not finite or out of range.
    #[allow(clippy::cast_possible_truncation)]
    pub fn from_epoch_seconds(secs: f64) -> Option<Self> {
        let millis = (secs * 1000.0).round();
        // ±2^53 ms keeps every value exactly representable in f64.
        (millis.is_finite() && millis.abs() < 9_007_199_254_740_992.0).then_some(Self {
            millis: millis as i64,
        })
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.millis
    }

    /// Parses an RFC 3339 date-time (`1985-04-12T23:20:50.52Z`, or with a `±HH:MM` offset;
    /// `t`/`z` accepted in lower case; fractions beyond milliseconds are truncated). `None`
    /// when the text is not one.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let num = |from: usize, len: usize| -> Option<i64> {
            let part = b.get(from..from + len)?;
            part.iter()
                .all(u8::is_ascii_digit)
                .then(|| part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
        };
        let sep = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
        if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
            return None;
        }
        let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
        let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
        let mut i = 19;
        let mut millis = 0;
        if sep(i, b".") {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                if i - start < 3 {
                    millis = millis * 10 + i64::from(b[i] - b'0');
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            for _ in (i - start)..3 {
                millis *= 10;
            }
        }
        let offset_minutes = match b.get(i) {
            Some(b'Z' | b'z') if i + 1 == b.len() => 0,
            Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && sep(i + 3, b":") => {
                let m = num(i + 1, 2)? * 60 + num(i + 4, 2)?;
                if *sign == b'-' { -m } else { m }
            }
            _ => return None,
        };
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
            2 => 28,
            _ => return None,
        };
        if day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
        Some(Self::from_millis(secs * 1000 + millis))
    }

    /// Fractional epoch seconds, as on the wire.
    #[allow(clippy::cast_precision_loss)]
    pub fn as_epoch_seconds(self) -> f64 {
        self.millis as f64 / 1000.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:03}",
            self.millis.div_euclid(1000),
            self.millis.rem_euclid(1000)
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.millis % 1000 == 0 {
            s.serialize_i64(self.millis / 1000)
        } else {
            s.serialize_f64(self.as_epoch_seconds())
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let secs = f64::deserialize(d)?;
        Self::from_epoch_seconds(secs)
            .ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_date_times_parse_to_epoch_milliseconds() {
        let cases = [
            ("1970-01-01T00:00:00Z", Some(0)),
            ("1985-04-12T23:20:50.52Z", Some(482_196_050_520)),
            ("1996-12-19T16:39:57-08:00", Some(851_042_397_000)),
            ("2024-02-29T12:00:00.123456z", Some(1_709_208_000_123)),
            ("2023-02-29T12:00:00Z", None),
            ("2024-01-01 00:00:00", None),
            ("2024-01-01T00:00:00.Z", None),
            ("not a date", None),
        ];
        for (text, millis) in cases {
            assert_eq!(
                Timestamp::parse_rfc3339(text).map(Timestamp::as_millis),
                millis,
                "{text}"
            );
        }
    }

    #[test]
    fn whole_seconds_serialize_as_integers() {
        let t = Timestamp::from_secs(1_700_000_000);
        assert_eq!(serde_json::to_string(&t).unwrap(), "1700000000");
    }

    #[test]
    fn milliseconds_serialize_as_fractional_seconds() {
        let t = Timestamp::from_millis(1_700_000_000_123);
        assert_eq!(serde_json::to_string(&t).unwrap(), "1700000000.123");
    }

    #[test]
    fn fractional_seconds_deserialize_to_milliseconds() {
        let t: Timestamp = serde_json::from_str("1700000000.5").unwrap();
        assert_eq!(t.as_millis(), 1_700_000_000_500);
    }

    #[test]
    fn non_numbers_are_refused() {
        assert!(serde_json::from_str::<Timestamp>("\"2024-01-01\"").is_err());
    }
}
