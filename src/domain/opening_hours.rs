//! Weekly opening hours on the local wall clock, dated exceptions, and the UTC ranges they
//! open a facility for.
//!
//! An interval closing at midnight is written with `closes` = 00:00, read as 24:00 of the same
//! day: an interval can never close at the start of its own day, so the reading is unambiguous.
//!
//! Around daylight saving changes an interval covers every instant at which the facility's
//! clock shows a time inside it: an opening time in the autumn overlap takes its first
//! instant and a closing time its second, so the repeated hour is open; the part of an
//! interval inside the spring gap does not exist and is dropped (08:00–21:00 stays 08:00–21:00
//! local on both sides; 02:00–03:30 on the spring change day ends at the jump, 03:00 → 04:00).
use crate::domain::localized::LocalizedText;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;

use crate::domain::local_time::{Edge, resolve_edge};
use crate::domain::time_range::{TimeRange, merge};

const SECONDS_PER_DAY: u32 = 86_400;

/// The days of the week from Monday, in the order `WeeklyHours` stores them.
const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Why opening hours could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpeningHoursError {
    /// An interval closes at or before it opens, or is not in whole seconds.
    #[error(
        "the opening interval {opens}–{closes} must close after it opens (00:00 closes at midnight)"
    )]
    InvalidOpeningInterval {
        /// The opening time given.
        opens: NaiveTime,
        /// The closing time given.
        closes: NaiveTime,
    },
    /// Two intervals of the same day overlap.
    #[error("opening intervals overlap{}", weekday.map(|d| format!(" on {d}")).unwrap_or_default())]
    OverlappingOpeningHours {
        /// The weekday, for weekly hours.
        weekday: Option<Weekday>,
    },
    /// A dated exception ends before it begins.
    #[error("the exception's last day {last_day} is before its first day {first_day}")]
    LastDayBeforeFirstDay {
        /// The first day given.
        first_day: NaiveDate,
        /// The last day given.
        last_day: NaiveDate,
    },
}

impl OpeningHoursError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidOpeningInterval { .. } => "INVALID_OPENING_INTERVAL",
            Self::OverlappingOpeningHours { .. } => "OVERLAPPING_OPENING_HOURS",
            Self::LastDayBeforeFirstDay { .. } => "LAST_DAY_BEFORE_FIRST_DAY",
        }
    }

    /// The input field at fault, relative to the object holding the hours.
    pub fn field(&self) -> &'static str {
        match self {
            Self::InvalidOpeningInterval { .. } => "closes",
            Self::OverlappingOpeningHours { .. } => "intervals",
            Self::LastDayBeforeFirstDay { .. } => "lastDay",
        }
    }
}

/// One local wall-clock interval `[opens, closes)` within a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpeningInterval {
    /// Seconds from local midnight, below `closes`.
    opens: u32,
    /// Seconds from local midnight, up to 86 400 (midnight at the end of the day).
    closes: u32,
}

impl OpeningInterval {
    /// Builds an interval; `closes` = 00:00 means midnight at the end of the day.
    pub fn new(opens: NaiveTime, closes: NaiveTime) -> Result<Self, OpeningHoursError> {
        let invalid = OpeningHoursError::InvalidOpeningInterval { opens, closes };
        if opens.nanosecond() != 0 || closes.nanosecond() != 0 {
            return Err(invalid);
        }
        let open_seconds = opens.num_seconds_from_midnight();
        let close_seconds = match closes.num_seconds_from_midnight() {
            0 => SECONDS_PER_DAY,
            seconds => seconds,
        };
        if close_seconds <= open_seconds {
            return Err(invalid);
        }
        Ok(Self {
            opens: open_seconds,
            closes: close_seconds,
        })
    }

    /// The local opening time.
    pub fn opens(&self) -> NaiveTime {
        time_of_day(self.opens)
    }

    /// The local closing time; 00:00 when it closes at midnight.
    pub fn closes(&self) -> NaiveTime {
        time_of_day(self.closes % SECONDS_PER_DAY)
    }

    /// Whether it closes at midnight at the end of the day (24:00).
    pub fn closes_at_midnight(&self) -> bool {
        self.closes == SECONDS_PER_DAY
    }

    /// The UTC range of this interval on `date`, or `None` if it falls wholly in a spring gap.
    fn on(&self, date: NaiveDate, zone: Tz) -> Option<TimeRange> {
        let start = resolve_edge(at_seconds(date, self.opens)?, zone, Edge::Start)?;
        let end = resolve_edge(at_seconds(date, self.closes)?, zone, Edge::End)?;
        TimeRange::new(start, end).ok()
    }
}

/// The local time `seconds` after midnight (below 86 400).
fn time_of_day(seconds: u32) -> NaiveTime {
    NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).unwrap_or(NaiveTime::MIN)
}

/// The local date-time `seconds` after the midnight starting `date`; 86 400 is the next midnight.
fn at_seconds(date: NaiveDate, seconds: u32) -> Option<NaiveDateTime> {
    date.and_time(NaiveTime::MIN)
        .checked_add_signed(chrono::Duration::seconds(i64::from(seconds)))
}

/// The opening intervals of one day: sorted and not overlapping (they may touch).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayHours(Vec<OpeningInterval>);

impl DayHours {
    /// Sorts the intervals and rejects overlapping ones.
    pub fn new(intervals: Vec<OpeningInterval>) -> Result<Self, OpeningHoursError> {
        Self::for_weekday(intervals, None)
    }

    fn for_weekday(
        mut intervals: Vec<OpeningInterval>,
        weekday: Option<Weekday>,
    ) -> Result<Self, OpeningHoursError> {
        intervals.sort_unstable();
        if intervals.windows(2).any(|w| w[1].opens < w[0].closes) {
            return Err(OpeningHoursError::OverlappingOpeningHours { weekday });
        }
        Ok(Self(intervals))
    }

    /// The intervals in order of opening time.
    pub fn intervals(&self) -> &[OpeningInterval] {
        &self.0
    }
}

/// Regular opening hours for each day of the week; closed on days without intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyHours {
    /// Indexed by days from Monday.
    days: [DayHours; 7],
}

impl WeeklyHours {
    /// Builds weekly hours from `(weekday, interval)` pairs, in any order.
    pub fn new(
        entries: impl IntoIterator<Item = (Weekday, OpeningInterval)>,
    ) -> Result<Self, OpeningHoursError> {
        let mut grouped: [Vec<OpeningInterval>; 7] = Default::default();
        for (weekday, interval) in entries {
            grouped[weekday.num_days_from_monday() as usize].push(interval);
        }
        let mut days: [DayHours; 7] = Default::default();
        for ((day, intervals), weekday) in days.iter_mut().zip(grouped).zip(WEEKDAYS) {
            *day = DayHours::for_weekday(intervals, Some(weekday))?;
        }
        Ok(Self { days })
    }

    /// The hours of a weekday.
    pub fn day(&self, weekday: Weekday) -> &DayHours {
        &self.days[weekday.num_days_from_monday() as usize]
    }
}

/// What a dated exception does to its days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionKind {
    /// Closed all day.
    Closed,
    /// Open only at these hours instead of the weekly ones.
    SpecialHours(DayHours),
}

/// Days (local calendar dates, both ends included) whose hours differ from the weekly ones.
///
/// When several exceptions cover a date, a closure wins; otherwise their special hours are
/// combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateException {
    first_day: NaiveDate,
    last_day: NaiveDate,
    kind: ExceptionKind,
    reason: LocalizedText,
}

impl DateException {
    /// Builds an exception for `first_day..=last_day`.
    pub fn new(
        first_day: NaiveDate,
        last_day: NaiveDate,
        kind: ExceptionKind,
        reason: LocalizedText,
    ) -> Result<Self, OpeningHoursError> {
        if last_day < first_day {
            return Err(OpeningHoursError::LastDayBeforeFirstDay {
                first_day,
                last_day,
            });
        }
        Ok(Self {
            first_day,
            last_day,
            kind,
            reason,
        })
    }

    /// The first local date covered.
    pub fn first_day(&self) -> NaiveDate {
        self.first_day
    }

    /// The last local date covered.
    pub fn last_day(&self) -> NaiveDate {
        self.last_day
    }

    /// What happens on the covered days.
    pub fn kind(&self) -> &ExceptionKind {
        &self.kind
    }

    /// Why, for people (e.g. "Juhannus").
    pub fn reason(&self) -> &LocalizedText {
        &self.reason
    }

    /// Whether the exception covers a local date.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.first_day <= date && date <= self.last_day
    }

    /// The UTC range from the first day's local midnight to the midnight after the last day.
    pub fn range_in(&self, zone: Tz) -> Option<TimeRange> {
        let start = resolve_edge(self.first_day.and_time(NaiveTime::MIN), zone, Edge::Start)?;
        let end = resolve_edge(
            self.last_day.succ_opt()?.and_time(NaiveTime::MIN),
            zone,
            Edge::Start,
        )?;
        TimeRange::new(start, end).ok()
    }
}

/// The local opening intervals that apply on `date`, sorted with overlaps joined.
pub fn hours_on(
    weekly: &WeeklyHours,
    exceptions: &[DateException],
    date: NaiveDate,
) -> Vec<OpeningInterval> {
    let mut covering = exceptions.iter().filter(|e| e.covers(date)).peekable();
    if covering.peek().is_none() {
        return weekly.day(date.weekday()).intervals().to_vec();
    }
    let mut intervals = Vec::new();
    for exception in covering {
        match &exception.kind {
            ExceptionKind::Closed => return Vec::new(),
            ExceptionKind::SpecialHours(hours) => intervals.extend_from_slice(hours.intervals()),
        }
    }
    intervals.sort_unstable();
    let mut joined: Vec<OpeningInterval> = Vec::with_capacity(intervals.len());
    for interval in intervals {
        match joined.last_mut() {
            Some(last) if interval.opens <= last.closes => {
                last.closes = last.closes.max(interval.closes);
            }
            _ => joined.push(interval),
        }
    }
    joined
}

/// The UTC ranges inside `window` when the facility is open, sorted and merged, so that a day
/// open until midnight and the next day open from midnight give one range.
pub fn open_ranges(
    weekly: &WeeklyHours,
    exceptions: &[DateException],
    zone: Tz,
    window: TimeRange,
) -> Vec<TimeRange> {
    let local_date = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive();
    let last = local_date(window.end());
    let ranges = local_date(window.start())
        .iter_days()
        .take_while(|date| *date <= last)
        .flat_map(|date| {
            hours_on(weekly, exceptions, date)
                .into_iter()
                .filter_map(move |interval| interval.on(date, zone))
        })
        .filter_map(|range| range.intersection(&window));
    merge(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELSINKI: Tz = chrono_tz::Europe::Helsinki;

    fn fi(text: &str) -> LocalizedText {
        LocalizedText::optional(Some(text.to_string()), None, None)
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn iv(a: (u32, u32), b: (u32, u32)) -> OpeningInterval {
        OpeningInterval::new(t(a.0, a.1), t(b.0, b.1)).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn range(a: &str, b: &str) -> TimeRange {
        TimeRange::new(utc(a), utc(b)).unwrap()
    }

    fn every_day(interval: OpeningInterval) -> WeeklyHours {
        WeeklyHours::new(WEEKDAYS.map(|d| (d, interval))).unwrap()
    }

    #[test]
    fn interval_validation_and_midnight() {
        let err = OpeningInterval::new(t(21, 0), t(8, 0)).unwrap_err();
        assert_eq!(err.code(), "INVALID_OPENING_INTERVAL");
        assert_eq!(err.field(), "closes");
        assert!(OpeningInterval::new(t(8, 0), t(8, 0)).is_err());
        // 00:00–00:00 is the whole day.
        let whole_day = iv((0, 0), (0, 0));
        assert!(whole_day.closes_at_midnight());
        let evening = iv((18, 0), (0, 0));
        assert_eq!(evening.opens(), t(18, 0));
        assert_eq!(evening.closes(), t(0, 0));
        assert!(!iv((8, 0), (16, 0)).closes_at_midnight());
        let sub_second = NaiveTime::from_hms_milli_opt(8, 0, 0, 500).unwrap();
        assert!(OpeningInterval::new(sub_second, t(9, 0)).is_err());
    }

    #[test]
    fn weekly_hours_sort_and_reject_overlaps() {
        let weekly = WeeklyHours::new([
            (Weekday::Mon, iv((13, 0), (16, 0))),
            (Weekday::Mon, iv((8, 0), (12, 0))),
            (Weekday::Tue, iv((8, 0), (12, 0))),
            (Weekday::Tue, iv((12, 0), (14, 0))),
        ])
        .unwrap();
        assert_eq!(
            weekly.day(Weekday::Mon).intervals(),
            &[iv((8, 0), (12, 0)), iv((13, 0), (16, 0))]
        );
        assert!(weekly.day(Weekday::Sun).intervals().is_empty());
        let err = WeeklyHours::new([
            (Weekday::Wed, iv((8, 0), (12, 0))),
            (Weekday::Wed, iv((11, 0), (14, 0))),
        ])
        .unwrap_err();
        assert_eq!(err.code(), "OVERLAPPING_OPENING_HOURS");
        assert_eq!(
            err,
            OpeningHoursError::OverlappingOpeningHours {
                weekday: Some(Weekday::Wed)
            }
        );
        assert!(DayHours::new(vec![iv((8, 0), (0, 0)), iv((23, 0), (23, 30))]).is_err());
    }

    #[test]
    fn exception_days_must_be_in_order() {
        let err = DateException::new(
            date(2026, 6, 20),
            date(2026, 6, 19),
            ExceptionKind::Closed,
            fi(""),
        )
        .unwrap_err();
        assert_eq!(err.code(), "LAST_DAY_BEFORE_FIRST_DAY");
        assert_eq!(err.field(), "lastDay");
    }

    #[test]
    fn same_local_hours_on_both_sides_of_the_autumn_change() {
        let weekly = every_day(iv((8, 0), (21, 0)));
        // Saturday 2026-10-24 (EEST) and Sunday 2026-10-25 (EET).
        let window = range("2026-10-23T21:00:00Z", "2026-10-25T22:00:00Z");
        assert_eq!(
            open_ranges(&weekly, &[], HELSINKI, window),
            vec![
                range("2026-10-24T05:00:00Z", "2026-10-24T18:00:00Z"),
                range("2026-10-25T06:00:00Z", "2026-10-25T19:00:00Z"),
            ]
        );
    }

    #[test]
    fn same_local_hours_on_both_sides_of_the_spring_change() {
        let weekly = every_day(iv((8, 0), (21, 0)));
        let window = range("2027-03-26T22:00:00Z", "2027-03-28T21:00:00Z");
        assert_eq!(
            open_ranges(&weekly, &[], HELSINKI, window),
            vec![
                range("2027-03-27T06:00:00Z", "2027-03-27T19:00:00Z"),
                range("2027-03-28T05:00:00Z", "2027-03-28T18:00:00Z"),
            ]
        );
    }

    #[test]
    fn interval_reaching_into_the_spring_gap_is_clipped_at_the_jump() {
        // 2026-03-29: 03:00 EET jumps to 04:00 EEST at 01:00Z.
        let sunday = |i| WeeklyHours::new([(Weekday::Sun, i)]).unwrap();
        let window = range("2026-03-28T22:00:00Z", "2026-03-29T21:00:00Z");
        assert_eq!(
            open_ranges(&sunday(iv((2, 0), (3, 30))), &[], HELSINKI, window),
            vec![range("2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z")]
        );
        assert_eq!(
            open_ranges(&sunday(iv((3, 30), (5, 0))), &[], HELSINKI, window),
            vec![range("2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z")]
        );
        // Wholly inside the gap: never open.
        assert!(open_ranges(&sunday(iv((3, 10), (3, 50))), &[], HELSINKI, window).is_empty());
    }

    #[test]
    fn interval_over_the_autumn_overlap_includes_the_repeated_hour() {
        let sunday = WeeklyHours::new([(Weekday::Sun, iv((2, 0), (3, 30)))]).unwrap();
        let window = range("2026-10-24T21:00:00Z", "2026-10-25T22:00:00Z");
        // 02:00 EEST = 23:00Z; the second 03:30 (EET) = 01:30Z: two and a half hours.
        assert_eq!(
            open_ranges(&sunday, &[], HELSINKI, window),
            vec![range("2026-10-24T23:00:00Z", "2026-10-25T01:30:00Z")]
        );
    }

    #[test]
    fn open_to_midnight_and_from_midnight_merge_across_the_autumn_change() {
        let weekly = WeeklyHours::new([
            (Weekday::Sat, iv((20, 0), (0, 0))),
            (Weekday::Sun, iv((0, 0), (4, 0))),
        ])
        .unwrap();
        let window = range("2026-10-20T00:00:00Z", "2026-10-27T00:00:00Z");
        let open = open_ranges(&weekly, &[], HELSINKI, window);
        assert_eq!(
            open,
            vec![range("2026-10-24T17:00:00Z", "2026-10-25T02:00:00Z")]
        );
        assert_eq!(open[0].duration(), chrono::Duration::hours(9));
    }

    #[test]
    fn window_clips_the_ranges() {
        let weekly = every_day(iv((8, 0), (16, 0)));
        let window = range("2026-05-04T07:00:00Z", "2026-05-05T06:00:00Z");
        assert_eq!(
            open_ranges(&weekly, &[], HELSINKI, window),
            vec![
                range("2026-05-04T07:00:00Z", "2026-05-04T13:00:00Z"),
                range("2026-05-05T05:00:00Z", "2026-05-05T06:00:00Z"),
            ]
        );
    }

    #[test]
    fn exceptions_override_the_weekly_hours() {
        let weekly = every_day(iv((8, 0), (16, 0)));
        let midsummer = DateException::new(
            date(2026, 6, 19),
            date(2026, 6, 20),
            ExceptionKind::Closed,
            fi("Juhannus"),
        )
        .unwrap();
        let short_day = DateException::new(
            date(2026, 6, 18),
            date(2026, 6, 18),
            ExceptionKind::SpecialHours(DayHours::new(vec![iv((10, 0), (12, 0))]).unwrap()),
            fi("Aatonaatto"),
        )
        .unwrap();
        let window = range("2026-06-17T21:00:00Z", "2026-06-21T21:00:00Z");
        assert_eq!(
            open_ranges(&weekly, &[midsummer.clone(), short_day], HELSINKI, window),
            vec![
                range("2026-06-18T07:00:00Z", "2026-06-18T09:00:00Z"),
                range("2026-06-21T05:00:00Z", "2026-06-21T13:00:00Z"),
            ]
        );
        assert_eq!(
            midsummer.range_in(HELSINKI),
            Some(range("2026-06-18T21:00:00Z", "2026-06-20T21:00:00Z"))
        );
    }

    #[test]
    fn closure_wins_over_special_hours_and_special_hours_combine() {
        let weekly = WeeklyHours::default();
        let special = |a, b| {
            DateException::new(
                date(2026, 12, 24),
                date(2026, 12, 24),
                ExceptionKind::SpecialHours(DayHours::new(vec![iv(a, b)]).unwrap()),
                fi("Jouluaatto"),
            )
            .unwrap()
        };
        let both = [special((9, 0), (12, 0)), special((11, 0), (13, 0))];
        assert_eq!(
            hours_on(&weekly, &both, date(2026, 12, 24)),
            vec![iv((9, 0), (13, 0))]
        );
        let closed = DateException::new(
            date(2026, 12, 20),
            date(2026, 12, 31),
            ExceptionKind::Closed,
            fi("Joulutauko"),
        )
        .unwrap();
        let all = [both[0].clone(), closed, both[1].clone()];
        assert!(hours_on(&weekly, &all, date(2026, 12, 24)).is_empty());
    }
}
