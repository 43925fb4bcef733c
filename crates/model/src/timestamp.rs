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
