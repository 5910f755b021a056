//! A facility's booking rules and the check of one requested booking against them.
use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;

use crate::domain::localized::Language;
use crate::domain::opening_hours::{DateException, ExceptionKind, WeeklyHours, open_ranges};
use crate::domain::time_range::TimeRange;

const MINUTES_PER_DAY: i64 = 24 * 60;

/// Why booking rules could not be built; `field` names the input at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BookingRulesError {
    /// A duration that must not be negative is.
    #[error("{field} must not be negative")]
    NegativeDuration {
        /// The field at fault, e.g. `rules.bufferBefore`.
        field: &'static str,
    },
    /// The maximum duration is zero or negative.
    #[error("rules.maxDuration must be positive")]
    MaxDurationNotPositive,
    /// The minimum duration is longer than the maximum.
    #[error("rules.minDuration must not be longer than rules.maxDuration")]
    MinAboveMax,
    /// The slot granularity is not a whole number of minutes dividing a day.
    #[error("rules.slotGranularity must be whole minutes that divide 24 hours, such as 15 or 30")]
    InvalidSlotGranularity,
}

impl BookingRulesError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NegativeDuration { .. } => "NEGATIVE_DURATION",
            Self::MaxDurationNotPositive => "MAX_DURATION_NOT_POSITIVE",
            Self::MinAboveMax => "MIN_DURATION_ABOVE_MAX",
            Self::InvalidSlotGranularity => "INVALID_SLOT_GRANULARITY",
        }
    }

    /// The input field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::NegativeDuration { field } => field,
            Self::MaxDurationNotPositive => "rules.maxDuration",
            Self::MinAboveMax => "rules.minDuration",
            Self::InvalidSlotGranularity => "rules.slotGranularity",
        }
    }
}

/// Booking rules as entered, before validation; `None` means no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingRulesInput {
    /// The shortest booking.
    pub min_duration: Option<Duration>,
    /// The longest booking.
    pub max_duration: Option<Duration>,
    /// Starts and ends fall on this grid, counted from local midnight.
    pub slot_granularity: Option<Duration>,
    /// How long before its start a booking must be made at least.
    pub min_notice: Option<Duration>,
    /// How many local calendar days ahead a booking may start.
    pub max_advance_days: Option<u32>,
    /// Time kept free before each booking (setting up).
    pub buffer_before: Option<Duration>,
    /// Time kept free after each booking (cleaning up).
    pub buffer_after: Option<Duration>,
    /// Whether the facility's staff must approve each booking.
    pub approval_required: bool,
    /// How long before its start a booking can still be cancelled.
    pub cancellation_notice: Option<Duration>,
}

/// Validated booking rules of a facility.
///
/// Durations are non-negative, the minimum is at most the maximum, and the slot granularity
/// is a whole number of minutes dividing 24 hours, so the grid is the same every day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingRules {
    min_duration: Option<Duration>,
    max_duration: Option<Duration>,
    slot_granularity: Option<Duration>,
    min_notice: Option<Duration>,
    max_advance_days: Option<u32>,
    buffer_before: Duration,
    buffer_after: Duration,
    approval_required: bool,
    cancellation_notice: Option<Duration>,
}

impl BookingRules {
    /// Validates the rules; unset buffers are zero.
    pub fn new(input: BookingRulesInput) -> Result<Self, BookingRulesError> {
        let durations = [
            ("rules.minDuration", input.min_duration),
            ("rules.maxDuration", input.max_duration),
            ("rules.slotGranularity", input.slot_granularity),
            ("rules.minNotice", input.min_notice),
            ("rules.bufferBefore", input.buffer_before),
            ("rules.bufferAfter", input.buffer_after),
            ("rules.cancellationNotice", input.cancellation_notice),
        ];
        for (field, value) in durations {
            if value.is_some_and(|d| d < Duration::zero()) {
                return Err(BookingRulesError::NegativeDuration { field });
            }
        }
        if input.max_duration == Some(Duration::zero()) {
            return Err(BookingRulesError::MaxDurationNotPositive);
        }
        if let (Some(min), Some(max)) = (input.min_duration, input.max_duration)
            && min > max
        {
            return Err(BookingRulesError::MinAboveMax);
        }
        if let Some(granularity) = input.slot_granularity {
            let minutes = granularity.num_minutes();
            let whole = granularity == Duration::minutes(minutes);
            if !whole || minutes <= 0 || MINUTES_PER_DAY % minutes != 0 {
                return Err(BookingRulesError::InvalidSlotGranularity);
            }
        }
        Ok(Self {
            min_duration: input.min_duration,
            max_duration: input.max_duration,
            slot_granularity: input.slot_granularity,
            min_notice: input.min_notice,
            max_advance_days: input.max_advance_days,
            buffer_before: input.buffer_before.unwrap_or_else(Duration::zero),
            buffer_after: input.buffer_after.unwrap_or_else(Duration::zero),
            approval_required: input.approval_required,
            cancellation_notice: input.cancellation_notice,
        })
    }

    /// The shortest booking, if limited.
    pub fn min_duration(&self) -> Option<Duration> {
        self.min_duration
    }

    /// The longest booking, if limited.
    pub fn max_duration(&self) -> Option<Duration> {
        self.max_duration
    }

    /// The slot grid, if any.
    pub fn slot_granularity(&self) -> Option<Duration> {
        self.slot_granularity
    }

    /// The minimum notice, if any.
    pub fn min_notice(&self) -> Option<Duration> {
        self.min_notice
    }

    /// How many days ahead bookings may start, if limited.
    pub fn max_advance_days(&self) -> Option<u32> {
        self.max_advance_days
    }

    /// Time kept free before each booking.
    pub fn buffer_before(&self) -> Duration {
        self.buffer_before
    }

    /// Time kept free after each booking.
    pub fn buffer_after(&self) -> Duration {
        self.buffer_after
    }

    /// Whether bookings wait for approval.
    pub fn approval_required(&self) -> bool {
        self.approval_required
    }

    /// The cancellation notice, if any.
    pub fn cancellation_notice(&self) -> Option<Duration> {
        self.cancellation_notice
    }

    /// The range a booking keeps the facility from others: the booking with its buffers.
    pub fn blocked_range(&self, booking: &TimeRange) -> TimeRange {
        booking.expand(self.buffer_before, self.buffer_after)
    }
}

/// One way a requested booking breaks the rules; `field` names the input at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// The booking does not lie within one stretch of opening hours.
    #[error("the booking's {field} is outside the opening hours")]
    OutsideOpeningHours {
        /// `start` if the start is not open, otherwise `end`.
        field: &'static str,
    },
    /// The booking falls on days the facility is closed.
    #[error("the facility is closed from {first_day} to {last_day}: {reason}")]
    FacilityClosed {
        /// The first closed day.
        first_day: chrono::NaiveDate,
        /// The last closed day.
        last_day: chrono::NaiveDate,
        /// Why it is closed.
        reason: String,
    },
    /// The booking is shorter than allowed.
    #[error("a booking must last at least {} minutes", min.num_minutes())]
    DurationTooShort {
        /// The minimum duration.
        min: Duration,
    },
    /// The booking is longer than allowed.
    #[error("a booking may last at most {} minutes", max.num_minutes())]
    DurationTooLong {
        /// The maximum duration.
        max: Duration,
    },
    /// The start or end is not on the slot grid.
    #[error("the booking's {field} must be on the {} minute grid of local time", granularity.num_minutes())]
    NotOnSlotGrid {
        /// `start` or `end`.
        field: &'static str,
        /// The slot granularity.
        granularity: Duration,
    },
    /// The booking starts too soon (or has started).
    #[error("a booking must be made at least {} minutes before it starts", min_notice.num_minutes())]
    TooShortNotice {
        /// The minimum notice (zero when the rules set none).
        min_notice: Duration,
    },
    /// The booking starts too far ahead.
    #[error("a booking may start at most {max_advance_days} days ahead")]
    TooFarInAdvance {
        /// The limit in local calendar days.
        max_advance_days: u32,
    },
    /// More attendees than the facility holds.
    #[error("the facility holds at most {capacity} people")]
    TooManyAttendees {
        /// The facility's capacity.
        capacity: u32,
    },
}

impl RuleViolation {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OutsideOpeningHours { .. } => "OUTSIDE_OPENING_HOURS",
            Self::FacilityClosed { .. } => "FACILITY_CLOSED",
            Self::DurationTooShort { .. } => "DURATION_TOO_SHORT",
            Self::DurationTooLong { .. } => "DURATION_TOO_LONG",
            Self::NotOnSlotGrid { .. } => "NOT_ON_SLOT_GRID",
            Self::TooShortNotice { .. } => "TOO_SHORT_NOTICE",
            Self::TooFarInAdvance { .. } => "TOO_FAR_IN_ADVANCE",
            Self::TooManyAttendees { .. } => "TOO_MANY_ATTENDEES",
        }
    }

    /// The input field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::OutsideOpeningHours { field } | Self::NotOnSlotGrid { field, .. } => field,
            Self::DurationTooShort { .. } | Self::DurationTooLong { .. } => "end",
            Self::FacilityClosed { .. }
            | Self::TooShortNotice { .. }
            | Self::TooFarInAdvance { .. } => "start",
            Self::TooManyAttendees { .. } => "attendees",
        }
    }
}

/// Checks a requested booking against the rules and hours of its facility in `zone`.
///
/// Returns every violation found. A booking must lie wholly within one merged stretch of
/// opening hours (so it may run past midnight if the facility is open then); when it touches
/// a dated closure only `FACILITY_CLOSED` is reported, not also `OUTSIDE_OPENING_HOURS`. The
/// slot grid is measured on the local clock from local midnight. A start before `now` always
/// fails the notice. Conflicts with other bookings are checked elsewhere.
#[expect(
    clippy::too_many_arguments,
    reason = "mirrors the inputs of the booking mutation one to one"
)]
pub fn check_booking(
    rules: &BookingRules,
    weekly: &WeeklyHours,
    exceptions: &[DateException],
    zone: Tz,
    range: &TimeRange,
    attendees: Option<u32>,
    capacity: Option<u32>,
    now: DateTime<Utc>,
) -> Result<(), Vec<RuleViolation>> {
    let mut violations = Vec::new();
    let closures: Vec<RuleViolation> = exceptions
        .iter()
        .filter(|e| *e.kind() == ExceptionKind::Closed)
        .filter(|e| e.range_in(zone).is_some_and(|days| days.overlaps(range)))
        .map(|e| RuleViolation::FacilityClosed {
            first_day: e.first_day(),
            last_day: e.last_day(),
            reason: e
                .reason()
                .best(Language::Fi)
                .unwrap_or_default()
                .to_string(),
        })
        .collect();
    if closures.is_empty() {
        let open = open_ranges(weekly, exceptions, zone, *range);
        if open != [*range] {
            let start_open = open.first().is_some_and(|r| r.start() == range.start());
            let field = if start_open { "end" } else { "start" };
            violations.push(RuleViolation::OutsideOpeningHours { field });
        }
    }
    violations.extend(closures);

    let duration = range.duration();
    if let Some(min) = rules.min_duration
        && duration < min
    {
        violations.push(RuleViolation::DurationTooShort { min });
    }
    if let Some(max) = rules.max_duration
        && duration > max
    {
        violations.push(RuleViolation::DurationTooLong { max });
    }
    if let Some(granularity) = rules.slot_granularity {
        for (field, instant) in [("start", range.start()), ("end", range.end())] {
            if !on_grid(instant, zone, granularity) {
                violations.push(RuleViolation::NotOnSlotGrid { field, granularity });
            }
        }
    }
    let min_notice = rules.min_notice.unwrap_or_else(Duration::zero);
    if now
        .checked_add_signed(min_notice)
        .is_none_or(|t| range.start() < t)
    {
        violations.push(RuleViolation::TooShortNotice { min_notice });
    }
    if let Some(days) = rules.max_advance_days {
        let today = now.with_timezone(&zone).date_naive();
        let start_day = range.start().with_timezone(&zone).date_naive();
        if (start_day - today).num_days() > i64::from(days) {
            violations.push(RuleViolation::TooFarInAdvance {
                max_advance_days: days,
            });
        }
    }
    if let (Some(attendees), Some(capacity)) = (attendees, capacity)
        && attendees > capacity
    {
        violations.push(RuleViolation::TooManyAttendees { capacity });
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

/// Whether `instant` read on the local clock is a whole number of slots after midnight.
fn on_grid(instant: DateTime<Utc>, zone: Tz, granularity: Duration) -> bool {
    let local = instant.with_timezone(&zone);
    let seconds = i64::from(local.num_seconds_from_midnight());
    let slot = granularity.num_seconds();
    local.nanosecond() == 0 && slot > 0 && seconds % slot == 0
}

/// Whether a booking of `range` can still be cancelled at `now`: before its start, and at
/// least the cancellation notice before it.
pub fn can_cancel(rules: &BookingRules, range: &TimeRange, now: DateTime<Utc>) -> bool {
    let notice = rules.cancellation_notice.unwrap_or_else(Duration::zero);
    now < range.start()
        && now
            .checked_add_signed(notice)
            .is_some_and(|t| t <= range.start())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::opening_hours::OpeningInterval;
    use chrono::{NaiveDate, NaiveTime, Weekday};

    const HELSINKI: Tz = chrono_tz::Europe::Helsinki;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn range(a: &str, b: &str) -> TimeRange {
        TimeRange::new(utc(a), utc(b)).unwrap()
    }

    fn iv(opens: u32, closes: u32) -> OpeningInterval {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        OpeningInterval::new(t(opens), t(closes % 24)).unwrap()
    }

    /// Weekdays 08–21, Friday and Saturday 08–24, Sunday closed.
    fn weekly() -> WeeklyHours {
        WeeklyHours::new([
            (Weekday::Mon, iv(8, 21)),
            (Weekday::Tue, iv(8, 21)),
            (Weekday::Wed, iv(8, 21)),
            (Weekday::Thu, iv(8, 21)),
            (Weekday::Fri, iv(8, 24)),
            (Weekday::Sat, iv(0, 2)),
            (Weekday::Sat, iv(8, 24)),
        ])
        .unwrap()
    }

    fn rules() -> BookingRules {
        BookingRules::new(BookingRulesInput {
            min_duration: Some(Duration::minutes(30)),
            max_duration: Some(Duration::hours(8)),
            slot_granularity: Some(Duration::minutes(15)),
            min_notice: Some(Duration::hours(24)),
            max_advance_days: Some(90),
            buffer_before: Some(Duration::minutes(15)),
            buffer_after: Some(Duration::minutes(30)),
            approval_required: true,
            cancellation_notice: Some(Duration::hours(48)),
        })
        .unwrap()
    }

    const NOW: &str = "2026-10-01T09:00:00Z";

    fn check(range: &TimeRange, attendees: Option<u32>) -> Vec<&'static str> {
        check_with(&[], range, attendees)
    }

    fn check_with(
        exceptions: &[DateException],
        range: &TimeRange,
        attendees: Option<u32>,
    ) -> Vec<&'static str> {
        match check_booking(
            &rules(),
            &weekly(),
            exceptions,
            HELSINKI,
            range,
            attendees,
            Some(40),
            utc(NOW),
        ) {
            Ok(()) => Vec::new(),
            Err(violations) => violations.iter().map(RuleViolation::code).collect(),
        }
    }

    #[test]
    fn rules_validation_names_the_field() {
        let err = BookingRules::new(BookingRulesInput {
            buffer_after: Some(Duration::minutes(-5)),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.code(), "NEGATIVE_DURATION");
        assert_eq!(err.field(), "rules.bufferAfter");
        let err = BookingRules::new(BookingRulesInput {
            min_duration: Some(Duration::hours(3)),
            max_duration: Some(Duration::hours(2)),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("MIN_DURATION_ABOVE_MAX", "rules.minDuration")
        );
        let err = BookingRules::new(BookingRulesInput {
            max_duration: Some(Duration::zero()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.field(), "rules.maxDuration");
        for bad in [
            Duration::zero(),
            Duration::minutes(7),
            Duration::seconds(90),
            Duration::hours(25),
        ] {
            let err = BookingRules::new(BookingRulesInput {
                slot_granularity: Some(bad),
                ..Default::default()
            })
            .unwrap_err();
            assert_eq!(err.code(), "INVALID_SLOT_GRANULARITY", "{bad}");
            assert_eq!(err.field(), "rules.slotGranularity");
        }
        for good in [5, 15, 30, 90, 1440] {
            assert!(
                BookingRules::new(BookingRulesInput {
                    slot_granularity: Some(Duration::minutes(good)),
                    ..Default::default()
                })
                .is_ok()
            );
        }
        let rules = rules();
        assert!(rules.approval_required());
        assert_eq!(rules.buffer_before(), Duration::minutes(15));
        assert_eq!(
            BookingRules::default()
                .blocked_range(&range("2026-10-06T15:00:00Z", "2026-10-06T17:00:00Z")),
            range("2026-10-06T15:00:00Z", "2026-10-06T17:00:00Z")
        );
    }

    #[test]
    fn blocked_range_adds_the_buffers() {
        let booking = range("2026-10-06T15:00:00Z", "2026-10-06T17:00:00Z");
        assert_eq!(
            rules().blocked_range(&booking),
            range("2026-10-06T14:45:00Z", "2026-10-06T17:30:00Z")
        );
    }

    #[test]
    fn a_good_booking_passes() {
        // Tuesday 2026-10-06 18:00–20:00 local (EEST).
        let booking = range("2026-10-06T15:00:00Z", "2026-10-06T17:00:00Z");
        assert_eq!(check(&booking, Some(40)), Vec::<&str>::new());
    }

    #[test]
    fn outside_opening_hours_names_start_or_end() {
        // Tuesday 20:00–22:00 local: closes at 21.
        let late = range("2026-10-06T17:00:00Z", "2026-10-06T19:00:00Z");
        let err = check_booking(
            &rules(),
            &weekly(),
            &[],
            HELSINKI,
            &late,
            None,
            None,
            utc(NOW),
        )
        .unwrap_err();
        assert_eq!(
            err,
            vec![RuleViolation::OutsideOpeningHours { field: "end" }]
        );
        assert_eq!(err[0].field(), "end");
        // Tuesday 07:00–09:00 local: opens at 8.
        let early = range("2026-10-06T04:00:00Z", "2026-10-06T06:00:00Z");
        let err = check_booking(
            &rules(),
            &weekly(),
            &[],
            HELSINKI,
            &early,
            None,
            None,
            utc(NOW),
        )
        .unwrap_err();
        assert_eq!(err[0].field(), "start");
        // Sunday is closed.
        assert_eq!(
            check(&range("2026-10-11T09:00:00Z", "2026-10-11T10:00:00Z"), None),
            ["OUTSIDE_OPENING_HOURS"]
        );
    }

    #[test]
    fn booking_over_midnight_fits_the_merged_opening_hours() {
        // Friday 2026-10-09 22:00 to Saturday 01:30 local: 08–24 then 00–02.
        let late_night = range("2026-10-09T19:00:00Z", "2026-10-09T22:30:00Z");
        assert!(check(&late_night, None).is_empty());
        // Saturday 01:00–03:00 runs past the 02:00 closing.
        let too_late = range("2026-10-09T22:00:00Z", "2026-10-10T00:00:00Z");
        assert_eq!(check(&too_late, None), ["OUTSIDE_OPENING_HOURS"]);
    }

    #[test]
    fn dated_closure_is_reported_instead_of_opening_hours() {
        let closed = DateException::new(
            NaiveDate::from_ymd_opt(2026, 10, 6).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 7).unwrap(),
            ExceptionKind::Closed,
            crate::domain::localized::LocalizedText::optional(Some("Remontti".into()), None, None),
        )
        .unwrap();
        let booking = range("2026-10-06T15:00:00Z", "2026-10-06T17:00:00Z");
        let violations = check_booking(
            &rules(),
            &weekly(),
            std::slice::from_ref(&closed),
            HELSINKI,
            &booking,
            None,
            None,
            utc(NOW),
        )
        .unwrap_err();
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].code(), "FACILITY_CLOSED");
        assert!(violations[0].to_string().contains("Remontti"));
    }

    #[test]
    fn duration_limits() {
        // Tuesday 18:00–18:15 and 08:00–20:15 local.
        assert_eq!(
            check(&range("2026-10-06T15:00:00Z", "2026-10-06T15:15:00Z"), None),
            ["DURATION_TOO_SHORT"]
        );
        let long = check(&range("2026-10-06T05:00:00Z", "2026-10-06T17:15:00Z"), None);
        assert_eq!(long, ["DURATION_TOO_LONG"]);
    }

    #[test]
    fn slot_grid_is_local_and_checks_both_ends() {
        let violations = check_booking(
            &rules(),
            &weekly(),
            &[],
            HELSINKI,
            &range("2026-10-06T15:05:00Z", "2026-10-06T17:10:00Z"),
            None,
            None,
            utc(NOW),
        )
        .unwrap_err();
        let fields: Vec<_> = violations.iter().map(|v| (v.code(), v.field())).collect();
        assert_eq!(
            fields,
            [("NOT_ON_SLOT_GRID", "start"), ("NOT_ON_SLOT_GRID", "end")]
        );
        // A 90-minute grid runs 00:00, 01:30, …, 18:00, 19:30 local whatever the UTC offset:
        // 19:30 local is on it in summer and winter time alike.
        let ninety = BookingRules::new(BookingRulesInput {
            slot_granularity: Some(Duration::minutes(90)),
            ..Default::default()
        })
        .unwrap();
        for booking in [
            range("2026-10-20T16:30:00Z", "2026-10-20T18:00:00Z"),
            range("2026-10-27T17:30:00Z", "2026-10-27T19:00:00Z"),
        ] {
            assert_eq!(
                check_booking(
                    &ninety,
                    &weekly(),
                    &[],
                    HELSINKI,
                    &booking,
                    None,
                    None,
                    utc(NOW)
                ),
                Ok(())
            );
        }
        // The UTC times of the 20 October slot are 18:30–20:00 local a week after the change.
        let shifted = check_booking(
            &ninety,
            &weekly(),
            &[],
            HELSINKI,
            &range("2026-10-27T16:30:00Z", "2026-10-27T18:00:00Z"),
            None,
            None,
            utc(NOW),
        )
        .unwrap_err();
        assert_eq!(shifted.len(), 2);
        assert!(shifted.iter().all(|v| v.code() == "NOT_ON_SLOT_GRID"));
    }

    #[test]
    fn notice_and_advance_limits() {
        // Friday 2026-10-02 10:00–12:00 local is only 22 hours after now.
        assert_eq!(
            check(&range("2026-10-02T07:00:00Z", "2026-10-02T09:00:00Z"), None),
            ["TOO_SHORT_NOTICE"]
        );
        // In the past.
        assert_eq!(
            check(&range("2026-09-29T07:00:00Z", "2026-09-29T09:00:00Z"), None),
            ["TOO_SHORT_NOTICE"]
        );
        // 90 local days after Thursday 2026-10-01 is Wednesday 2026-12-30, still fine;
        // Thursday 2026-12-31 is one day too far.
        assert!(check(&range("2026-12-30T08:00:00Z", "2026-12-30T10:00:00Z"), None).is_empty());
        assert_eq!(
            check(&range("2026-12-31T08:00:00Z", "2026-12-31T10:00:00Z"), None),
            ["TOO_FAR_IN_ADVANCE"]
        );
    }

    #[test]
    fn attendees_over_capacity() {
        let booking = range("2026-10-06T15:00:00Z", "2026-10-06T17:00:00Z");
        assert_eq!(check(&booking, Some(41)), ["TOO_MANY_ATTENDEES"]);
        let v = RuleViolation::TooManyAttendees { capacity: 40 };
        assert_eq!(v.field(), "attendees");
    }

    #[test]
    fn several_violations_are_all_reported() {
        // Sunday 2026-10-04 10:05–10:10 local: closed, too short, off the grid, crowded.
        let codes = check(
            &range("2026-10-04T07:05:00Z", "2026-10-04T07:10:00Z"),
            Some(50),
        );
        assert_eq!(
            codes,
            [
                "OUTSIDE_OPENING_HOURS",
                "DURATION_TOO_SHORT",
                "NOT_ON_SLOT_GRID",
                "NOT_ON_SLOT_GRID",
                "TOO_MANY_ATTENDEES"
            ]
        );
    }

    #[test]
    fn cancellation_needs_the_notice() {
        let booking = range("2026-10-06T15:00:00Z", "2026-10-06T17:00:00Z");
        let rules = rules();
        assert!(can_cancel(&rules, &booking, utc("2026-10-04T15:00:00Z")));
        assert!(!can_cancel(&rules, &booking, utc("2026-10-04T15:00:01Z")));
        let lenient = BookingRules::default();
        assert!(can_cancel(&lenient, &booking, utc("2026-10-06T14:59:00Z")));
        assert!(!can_cancel(&lenient, &booking, utc("2026-10-06T15:00:00Z")));
    }
}
