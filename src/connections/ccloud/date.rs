//! Wall-clock times in RFC 3339, through chrono (already built for oauth2): `requires_authentication_at`
//! (UTC, whole seconds), and the record timestamps Kafka REST v3 sends and takes (milliseconds).

use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};

/// The time in RFC 3339, UTC, to the second.
pub fn rfc3339(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Milliseconds since the epoch in RFC 3339, UTC, to the millisecond (as Kafka REST v3 takes them).
/// Out of chrono's range (some 262,000 years either way), the epoch.
pub fn rfc3339_millis(millis: i64) -> String {
    DateTime::from_timestamp_millis(millis).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An RFC 3339 time (`2024-05-01T10:20:30.123Z`, `...+02:00`, fractions of any length) in
/// milliseconds since the epoch; `None` when it is not one.
pub fn parse_rfc3339_millis(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text).ok().map(|time| time.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn formats_utc_seconds() {
        let at = |seconds: u64| rfc3339(UNIX_EPOCH + Duration::from_secs(seconds));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(at(1_709_251_199), "2024-02-29T23:59:59Z");
    }

    #[test]
    fn millisecond_times_round_trip() {
        for millis in [0, 1_700_000_000_123, 951_782_400_005, 4_107_542_399_999] {
            let text = rfc3339_millis(millis);
            assert_eq!(parse_rfc3339_millis(&text), Some(millis), "{text}");
        }
        assert_eq!(rfc3339_millis(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(parse_rfc3339_millis("2023-11-14T23:13:20.1+01:00"), Some(1_700_000_000_100));
        assert_eq!(parse_rfc3339_millis("2023-11-14T22:13:20Z"), Some(1_700_000_000_000));
        assert_eq!(parse_rfc3339_millis("yesterday"), None);
    }
}
