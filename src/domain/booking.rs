//! Bookings: their statuses, the instants clients give, and the units they hold.
use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;
use strum::{AsRefStr, EnumString};

use super::local_time::{LocalTimeError, resolve_local};
use super::time_range::TimeRange;
use super::validation::ValidationError;

/// The longest booking the service takes; it also bounds how far back an
/// overlap search must look, which keeps availability queries index-tight.
pub const MAX_BOOKING_LENGTH: Duration = Duration::days(14);

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum BookingStatus {
    /// Awaiting a manager's approval; already holds the time.
    Pending,
    /// Confirmed.
    Confirmed,
    /// Turned down by a manager.
    Rejected,
    /// Cancelled by the booker or a manager.
    Cancelled,
}

impl BookingStatus {
    /// Whether a booking in this status holds its time against others.
    pub fn blocks(self) -> bool {
        matches!(self, Self::Pending | Self::Confirmed)
    }

    /// Whether a booking may move from this status to `next`.
    pub fn can_become(self, next: Self) -> bool {
        matches!(
            (self, next),
            (
                Self::Pending,
                Self::Confirmed | Self::Rejected | Self::Cancelled
            ) | (Self::Confirmed, Self::Cancelled)
        )
    }
}

/// Parses a booking time: RFC 3339 with an offset (an instant), or a local
/// `YYYY-MM-DDTHH:MM[:SS]` read on the facility's wall clock. A local time in the
/// spring-forward gap does not exist, and one in the autumn's repeated hour needs
/// an explicit offset. Times are whole minutes.
pub fn parse_instant(field: &str, text: &str, zone: Tz) -> Result<DateTime<Utc>, ValidationError> {
    let text = text.trim();
    let instant = match DateTime::parse_from_rfc3339(text) {
        Ok(instant) => instant.with_timezone(&Utc),
        Err(_) => {
            let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
                .map_err(|_| {
                    ValidationError::new(
                        field,
                        "INVALID_TIME",
                        "give an RFC 3339 time (2026-11-24T18:00:00+02:00) or a local time (2026-11-24T18:00)",
                    )
                })?;
            resolve_local(local, zone).map_err(|err| local_time_error(field, &err))?
        }
    };
    if instant.second() != 0 || instant.nanosecond() != 0 {
        return Err(ValidationError::new(
            field,
            "NOT_WHOLE_MINUTE",
            "booking times are whole minutes",
        ));
    }
    Ok(instant)
}

fn local_time_error(field: &str, err: &LocalTimeError) -> ValidationError {
    ValidationError::new(field, err.code(), err.to_string())
}

/// Builds the booked range, checking that it ends after it starts and is not too long.
pub fn booking_range(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<TimeRange, ValidationError> {
    let range = TimeRange::new(start, end)
        .map_err(|err| ValidationError::new("end", err.code(), err.to_string()))?;
    if range.duration() > MAX_BOOKING_LENGTH {
        return Err(ValidationError::new(
            "end",
            "BOOKING_TOO_LONG",
            format!(
                "a booking lasts at most {} days",
                MAX_BOOKING_LENGTH.num_days()
            ),
        ));
    }
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELSINKI: Tz = chrono_tz::Europe::Helsinki;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn local_times_follow_helsinki_daylight_saving() {
        assert_eq!(
            parse_instant("start", "2026-10-20T18:00", HELSINKI).unwrap(),
            utc("2026-10-20T15:00:00Z")
        );
        assert_eq!(
            parse_instant("start", "2026-10-27T18:00", HELSINKI).unwrap(),
            utc("2026-10-27T16:00:00Z")
        );
        assert_eq!(
            parse_instant("start", "2026-11-24T18:00:00+02:00", HELSINKI).unwrap(),
            utc("2026-11-24T16:00:00Z")
        );
    }

    #[test]
    fn the_spring_gap_and_the_autumn_repeat_are_refused() {
        let gap = parse_instant("start", "2026-03-29T03:30", HELSINKI).unwrap_err();
        assert_eq!(
            (gap.field.as_str(), gap.reason),
            ("start", "NONEXISTENT_LOCAL_TIME")
        );
        let repeat = parse_instant("end", "2026-10-25T03:30", HELSINKI).unwrap_err();
        assert_eq!(
            (repeat.field.as_str(), repeat.reason),
            ("end", "AMBIGUOUS_LOCAL_TIME")
        );
        // With an explicit offset the repeated hour is fine: the second 03:30 is +02:00.
        assert_eq!(
            parse_instant("end", "2026-10-25T03:30:00+02:00", HELSINKI).unwrap(),
            utc("2026-10-25T01:30:00Z")
        );
    }

    #[test]
    fn an_overnight_booking_across_the_autumn_change_lasts_seven_hours() {
        let start = parse_instant("start", "2026-10-24T22:00", HELSINKI).unwrap();
        let end = parse_instant("end", "2026-10-25T04:00", HELSINKI).unwrap();
        assert_eq!(
            booking_range(start, end).unwrap().duration(),
            Duration::hours(7)
        );
    }

    #[test]
    fn bad_ranges_are_refused() {
        let start = utc("2026-11-24T16:00:00Z");
        assert_eq!(booking_range(start, start).unwrap_err().field, "end");
        assert_eq!(
            booking_range(start, start + Duration::days(15))
                .unwrap_err()
                .reason,
            "BOOKING_TOO_LONG"
        );
        assert_eq!(
            parse_instant("start", "2026-11-24T18:00:30+02:00", HELSINKI)
                .unwrap_err()
                .reason,
            "NOT_WHOLE_MINUTE"
        );
        assert_eq!(
            parse_instant("start", "tiistaina", HELSINKI)
                .unwrap_err()
                .reason,
            "INVALID_TIME"
        );
    }

    #[test]
    fn statuses_move_only_forward() {
        use BookingStatus::*;
        assert!(Pending.can_become(Confirmed));
        assert!(Confirmed.can_become(Cancelled));
        assert!(!Cancelled.can_become(Confirmed));
        assert!(!Rejected.can_become(Pending));
        assert!(
            Pending.blocks() && Confirmed.blocks() && !Cancelled.blocks() && !Rejected.blocks()
        );
    }
}
