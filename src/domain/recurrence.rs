//! Recurring bookings: a subset of RFC 5545 RRULE, expanded on the facility's wall clock.
//!
//! Supported: `FREQ=DAILY|WEEKLY|MONTHLY`, `INTERVAL`, `BYDAY` (ordinals such as `2TU` or
//! `-1FR` with `MONTHLY` only), `BYMONTHDAY` (not with `WEEKLY`), `WKST`, and exactly one of
//! `COUNT` and `UNTIL` (a UTC date-time). Anything else is rejected rather than ignored.
//!
//! The expansion is our own, not the `rrule` crate's: that crate moves an occurrence whose
//! local start falls in the spring gap (03:30 on 2026-03-29 in Helsinki becomes 04:30)
//! without saying so, while a booking must report it. For this subset it is a short loop.
use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, Months, NaiveDate, NaiveDateTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

use crate::domain::local_time::resolve_rfc5545;
use crate::domain::time_range::TimeRange;

/// The most occurrences a series may generate (those removed by exception dates included).
pub const MAX_OCCURRENCES: usize = 500;

/// The longest span of a series, in months from its first start.
pub const MAX_SERIES_MONTHS: u32 = 24;

/// Why a recurrence could not be read or expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    /// The rule text is malformed.
    #[error("invalid recurrence rule part {part:?}: {message}")]
    InvalidRecurrence {
        /// The offending `NAME=VALUE` part (or name).
        part: String,
        /// What is wrong with it.
        message: &'static str,
    },
    /// The rule uses something outside the supported subset.
    #[error("recurrence rule part {part} is not supported")]
    UnsupportedRecurrence {
        /// The unsupported name, or `NAME=VALUE` for an unsupported value.
        part: String,
    },
    /// Both `COUNT` and `UNTIL` are given.
    #[error("a recurrence rule may have COUNT or UNTIL, not both")]
    CountAndUntil,
    /// Neither `COUNT` nor `UNTIL` is given.
    #[error("a recurring booking needs an end: give COUNT or UNTIL")]
    SeriesUnbounded,
    /// The series would have more than 500 occurrences or last beyond 2 years.
    #[error(
        "the series is too long: at most {MAX_OCCURRENCES} occurrences within \
         {MAX_SERIES_MONTHS} months of the first start are allowed"
    )]
    SeriesTooLong,
    /// The first start is not itself an occurrence of the rule.
    #[error("the first start {start} is not an occurrence of the rule")]
    StartNotInRule {
        /// The first start given.
        start: NaiveDateTime,
    },
    /// The duration of an occurrence is zero, negative or out of range.
    #[error("an occurrence must end after it starts")]
    InvalidDuration,
}

impl RecurrenceError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRecurrence { .. } => "INVALID_RECURRENCE",
            Self::UnsupportedRecurrence { .. } => "UNSUPPORTED_RECURRENCE",
            Self::CountAndUntil => "COUNT_AND_UNTIL",
            Self::SeriesUnbounded => "SERIES_UNBOUNDED",
            Self::SeriesTooLong => "SERIES_TOO_LONG",
            Self::StartNotInRule { .. } => "START_NOT_IN_RULE",
            Self::InvalidDuration => "INVALID_DURATION",
        }
    }

    /// The input field at fault, relative to the recurring booking input.
    pub fn field(&self) -> &'static str {
        match self {
            Self::StartNotInRule { .. } => "start",
            Self::InvalidDuration => "end",
            _ => "rule",
        }
    }
}

fn invalid(part: &str, message: &'static str) -> RecurrenceError {
    RecurrenceError::InvalidRecurrence {
        part: part.to_string(),
        message,
    }
}

/// How often the rule's period repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

/// A `BYDAY` entry: a weekday, with `MONTHLY` optionally its ordinal in the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ByDay {
    ordinal: Option<i8>,
    weekday: Weekday,
}

impl ByDay {
    fn sort_key(&self) -> (u32, i8) {
        (
            self.weekday.num_days_from_monday(),
            self.ordinal.unwrap_or(0),
        )
    }

    fn matches(&self, date: NaiveDate) -> bool {
        if date.weekday() != self.weekday {
            return false;
        }
        let day = i64::from(date.day());
        match self.ordinal {
            None => true,
            Some(n) if n > 0 => (day - 1) / 7 + 1 == i64::from(n),
            Some(n) => (days_in_month(date) - day) / 7 + 1 == -i64::from(n),
        }
    }
}

/// How the series ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    Count(u32),
    Until(DateTime<Utc>),
}

/// A validated recurrence rule in the supported subset; `Display` gives its canonical text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurrenceRule {
    frequency: Frequency,
    interval: u32,
    by_day: Vec<ByDay>,
    by_month_day: Vec<i8>,
    week_start: Weekday,
    limit: Limit,
}

/// Fills an empty slot, rejecting a part given twice.
fn set_once<T>(slot: &mut Option<T>, part: &str, value: T) -> Result<(), RecurrenceError> {
    if slot.replace(value).is_some() {
        return Err(invalid(part, "given more than once"));
    }
    Ok(())
}

fn parse_weekday(text: &str, part: &str) -> Result<Weekday, RecurrenceError> {
    Ok(match text {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return Err(invalid(part, "weekdays are MO, TU, WE, TH, FR, SA and SU")),
    })
}

/// The RFC 5545 code of a weekday, `MO` … `SU`.
pub(crate) fn weekday_code(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn parse_by_day(value: &str, part: &str) -> Result<Vec<ByDay>, RecurrenceError> {
    let mut days = Vec::new();
    for item in value.split(',') {
        let split = item.len().saturating_sub(2);
        let (ordinal, weekday) = item.split_at_checked(split).unwrap_or(("", item));
        let weekday = parse_weekday(weekday, part)?;
        let ordinal = match ordinal {
            "" => None,
            text => match text.parse::<i8>() {
                Ok(n) if n != 0 && (-5..=5).contains(&n) => Some(n),
                _ => return Err(invalid(part, "an ordinal weekday is 1 to 5 or -1 to -5")),
            },
        };
        days.push(ByDay { ordinal, weekday });
    }
    days.sort_by_key(ByDay::sort_key);
    days.dedup();
    Ok(days)
}

fn parse_by_month_day(value: &str, part: &str) -> Result<Vec<i8>, RecurrenceError> {
    let mut days = Vec::new();
    for item in value.split(',') {
        match item.parse::<i8>() {
            Ok(n) if n != 0 && (-31..=31).contains(&n) => days.push(n),
            _ => return Err(invalid(part, "a month day is 1 to 31 or -1 to -31")),
        }
    }
    days.sort_unstable();
    days.dedup();
    Ok(days)
}

fn parse_positive(value: &str, part: &str) -> Result<u32, RecurrenceError> {
    match value.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(invalid(part, "expected a positive whole number")),
    }
}

fn parse_until(value: &str, part: &str) -> Result<DateTime<Utc>, RecurrenceError> {
    let message = "UNTIL must be a UTC date-time such as 20261215T235959Z";
    let naive = value
        .strip_suffix('Z')
        .and_then(|v| NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").ok())
        .filter(|_| value.len() == 16)
        .ok_or_else(|| invalid(part, message))?;
    Ok(naive.and_utc())
}

impl RecurrenceRule {
    /// Parses RRULE text such as `FREQ=WEEKLY;BYDAY=TU;UNTIL=20261215T235959Z`.
    ///
    /// An `RRULE:` prefix is allowed and names are case-insensitive.
    pub fn parse(text: &str) -> Result<Self, RecurrenceError> {
        let text = text.trim();
        let body = match text.get(..6) {
            Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => &text[6..],
            _ => text,
        };
        let (mut frequency, mut interval, mut by_day, mut by_month_day) = (None, None, None, None);
        let (mut week_start, mut count, mut until) = (None, None, None);
        for part in body.split(';') {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| invalid(part, "expected NAME=VALUE"))?;
            let name = name.trim().to_ascii_uppercase();
            let value = value.trim().to_ascii_uppercase();
            match name.as_str() {
                "FREQ" => {
                    let parsed = match value.as_str() {
                        "DAILY" => Frequency::Daily,
                        "WEEKLY" => Frequency::Weekly,
                        "MONTHLY" => Frequency::Monthly,
                        "YEARLY" | "HOURLY" | "MINUTELY" | "SECONDLY" => {
                            return Err(RecurrenceError::UnsupportedRecurrence {
                                part: format!("FREQ={value}"),
                            });
                        }
                        _ => return Err(invalid(part, "unknown frequency")),
                    };
                    set_once(&mut frequency, part, parsed)?;
                }
                "INTERVAL" => set_once(&mut interval, part, parse_positive(&value, part)?)?,
                "BYDAY" => set_once(&mut by_day, part, parse_by_day(&value, part)?)?,
                "BYMONTHDAY" => {
                    set_once(&mut by_month_day, part, parse_by_month_day(&value, part)?)?;
                }
                "WKST" => set_once(&mut week_start, part, parse_weekday(&value, part)?)?,
                "COUNT" => set_once(&mut count, part, parse_positive(&value, part)?)?,
                "UNTIL" => set_once(&mut until, part, parse_until(&value, part)?)?,
                _ => return Err(RecurrenceError::UnsupportedRecurrence { part: name }),
            }
        }
        let frequency = frequency.ok_or_else(|| invalid("FREQ", "FREQ is required"))?;
        let by_day = by_day.unwrap_or_default();
        let by_month_day = by_month_day.unwrap_or_default();
        if frequency != Frequency::Monthly && by_day.iter().any(|d| d.ordinal.is_some()) {
            return Err(invalid("BYDAY", "ordinal weekdays need FREQ=MONTHLY"));
        }
        if frequency == Frequency::Weekly && !by_month_day.is_empty() {
            return Err(invalid(
                "BYMONTHDAY",
                "BYMONTHDAY cannot be used with FREQ=WEEKLY",
            ));
        }
        let limit = match (count, until) {
            (Some(_), Some(_)) => return Err(RecurrenceError::CountAndUntil),
            (None, None) => return Err(RecurrenceError::SeriesUnbounded),
            (Some(n), None) if n as usize > MAX_OCCURRENCES => {
                return Err(RecurrenceError::SeriesTooLong);
            }
            (Some(n), None) => Limit::Count(n),
            (None, Some(instant)) => Limit::Until(instant),
        };
        Ok(Self {
            frequency,
            interval: interval.unwrap_or(1),
            by_day,
            by_month_day,
            week_start: week_start.unwrap_or(Weekday::Mon),
            limit,
        })
    }

    /// Whether `date` passes the `BYDAY` and `BYMONTHDAY` filters of a daily or monthly rule.
    fn matches(&self, date: NaiveDate, first: NaiveDate) -> bool {
        let day = i64::from(date.day());
        let month_day_ok = if self.by_month_day.is_empty() {
            // A monthly rule without BY parts repeats on the first start's day of the month.
            self.frequency != Frequency::Monthly
                || !self.by_day.is_empty()
                || date.day() == first.day()
        } else {
            self.by_month_day.iter().any(|&n| {
                let n = i64::from(n);
                if n > 0 {
                    day == n
                } else {
                    day == days_in_month(date) + 1 + n
                }
            })
        };
        month_day_ok && (self.by_day.is_empty() || self.by_day.iter().any(|d| d.matches(date)))
    }

    /// The candidate dates of period `index` (sorted), or `None` once it starts after `last`.
    fn period(&self, first: NaiveDate, index: u32, last: NaiveDate) -> Option<Vec<NaiveDate>> {
        let step = index.checked_mul(self.interval)?;
        match self.frequency {
            Frequency::Daily => {
                let date = first.checked_add_days(chrono::Days::new(u64::from(step)))?;
                (date <= last).then(|| {
                    vec![date]
                        .into_iter()
                        .filter(|d| self.matches(*d, first))
                        .collect()
                })
            }
            Frequency::Weekly => {
                let back = u64::from(first.weekday().days_since(self.week_start));
                let week = first
                    .checked_sub_days(chrono::Days::new(back))?
                    .checked_add_days(chrono::Days::new(u64::from(step) * 7))?;
                if week > last {
                    return None;
                }
                let mut weekdays: Vec<Weekday> = self.by_day.iter().map(|d| d.weekday).collect();
                if weekdays.is_empty() {
                    weekdays.push(first.weekday());
                }
                let mut dates: Vec<NaiveDate> = weekdays
                    .into_iter()
                    .filter_map(|w| {
                        week.checked_add_days(chrono::Days::new(
                            w.days_since(self.week_start).into(),
                        ))
                    })
                    .collect();
                dates.sort_unstable();
                Some(dates)
            }
            Frequency::Monthly => {
                let month = first.with_day(1)?.checked_add_months(Months::new(step))?;
                (month <= last).then(|| {
                    month
                        .iter_days()
                        .take_while(|d| d.month() == month.month())
                        .filter(|d| self.matches(*d, first))
                        .collect()
                })
            }
        }
    }

    /// The local starts the rule generates from `first_start`, checked against the caps.
    fn local_starts(
        &self,
        first_start: NaiveDateTime,
        zone: Tz,
    ) -> Result<Vec<NaiveDateTime>, RecurrenceError> {
        let horizon = first_start
            .checked_add_months(Months::new(MAX_SERIES_MONTHS))
            .ok_or(RecurrenceError::SeriesTooLong)?;
        if let Limit::Until(until) = self.limit {
            let too_early = resolve_rfc5545(first_start, zone).is_some_and(|s| until < s);
            if too_early {
                return Err(invalid("UNTIL", "UNTIL is before the first start"));
            }
            if resolve_rfc5545(horizon, zone).is_none_or(|h| until > h) {
                return Err(RecurrenceError::SeriesTooLong);
            }
        }
        let mut starts: Vec<NaiveDateTime> = Vec::new();
        'periods: for index in 0.. {
            let Some(dates) = self.period(first_start.date(), index, horizon.date()) else {
                break;
            };
            for local in dates.into_iter().map(|d| d.and_time(first_start.time())) {
                if local < first_start {
                    continue;
                }
                if starts.is_empty() && local != first_start {
                    return Err(RecurrenceError::StartNotInRule { start: first_start });
                }
                if let Limit::Until(until) = self.limit
                    && resolve_rfc5545(local, zone).is_none_or(|s| s > until)
                {
                    break 'periods;
                }
                if local > horizon || starts.len() >= MAX_OCCURRENCES {
                    return Err(RecurrenceError::SeriesTooLong);
                }
                starts.push(local);
                if let Limit::Count(n) = self.limit
                    && starts.len() >= n as usize
                {
                    break 'periods;
                }
            }
        }
        if starts.is_empty() {
            return Err(RecurrenceError::StartNotInRule { start: first_start });
        }
        if let Limit::Count(n) = self.limit
            && starts.len() < n as usize
        {
            return Err(RecurrenceError::SeriesTooLong);
        }
        Ok(starts)
    }
}

impl fmt::Display for RecurrenceRule {
    /// The canonical text: FREQ, INTERVAL (if not 1), BYDAY, BYMONTHDAY, WKST (if not MO),
    /// then COUNT or UNTIL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frequency = match self.frequency {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
        };
        write!(f, "FREQ={frequency}")?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        if !self.by_day.is_empty() {
            let days: Vec<String> = self
                .by_day
                .iter()
                .map(|d| match d.ordinal {
                    Some(n) => format!("{n}{}", weekday_code(d.weekday)),
                    None => weekday_code(d.weekday).to_string(),
                })
                .collect();
            write!(f, ";BYDAY={}", days.join(","))?;
        }
        if !self.by_month_day.is_empty() {
            let days: Vec<String> = self.by_month_day.iter().map(i8::to_string).collect();
            write!(f, ";BYMONTHDAY={}", days.join(","))?;
        }
        if self.week_start != Weekday::Mon {
            write!(f, ";WKST={}", weekday_code(self.week_start))?;
        }
        match self.limit {
            Limit::Count(n) => write!(f, ";COUNT={n}"),
            Limit::Until(until) => write!(f, ";UNTIL={}", until.format("%Y%m%dT%H%M%SZ")),
        }
    }
}

fn days_in_month(date: NaiveDate) -> i64 {
    let first = date.with_day(1);
    let next = first.and_then(|d| d.checked_add_months(Months::new(1)));
    match (first, next) {
        (Some(first), Some(next)) => (next - first).num_days(),
        _ => 31,
    }
}

/// A local date or date-time (EXDATE) removed from a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionDate {
    /// Removes every occurrence starting on this local date.
    Date(NaiveDate),
    /// Removes the occurrence starting at exactly this local time.
    DateTime(NaiveDateTime),
}

impl ExceptionDate {
    fn removes(&self, local_start: NaiveDateTime) -> bool {
        match self {
            Self::Date(date) => local_start.date() == *date,
            Self::DateTime(at) => local_start == *at,
        }
    }
}

/// Why an occurrence cannot be booked as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OccurrenceProblem {
    /// Its local start or end falls in the spring gap of the zone.
    #[error("{local} does not exist in the facility's time zone: the clocks are moved forward")]
    NonexistentLocalTime {
        /// The local time that does not exist.
        local: NaiveDateTime,
    },
}

impl OccurrenceProblem {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NonexistentLocalTime { .. } => "NONEXISTENT_LOCAL_TIME",
        }
    }
}

/// One occurrence of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    index: usize,
    local_start: NaiveDateTime,
    range: Result<TimeRange, OccurrenceProblem>,
}

impl Occurrence {
    /// Its position in the series, counting from 0 (removed occurrences keep their numbers).
    pub fn index(&self) -> usize {
        self.index
    }

    /// Its local start, which is also its recurrence ID.
    pub fn local_start(&self) -> NaiveDateTime {
        self.local_start
    }

    /// Its UTC range, or why it has none.
    pub fn range(&self) -> Result<TimeRange, OccurrenceProblem> {
        self.range
    }
}

/// The instant of a local occurrence bound: the earlier one in the autumn overlap (RFC 5545).
fn occurrence_instant(local: NaiveDateTime, zone: Tz) -> Result<DateTime<Utc>, OccurrenceProblem> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(instant) => Ok(instant.to_utc()),
        LocalResult::Ambiguous(a, b) => Ok(a.min(b).to_utc()),
        LocalResult::None => Err(OccurrenceProblem::NonexistentLocalTime { local }),
    }
}

/// Expands a series starting at local `first_start` in `zone`, each occurrence lasting
/// `duration` on the wall clock (18:00 + 2 h ends at 20:00 local even on a DST change day).
///
/// Occurrences on the exception dates are left out. An occurrence whose local start or end
/// does not exist is kept with [`OccurrenceProblem::NonexistentLocalTime`].
pub fn expand(
    rule: &RecurrenceRule,
    first_start: NaiveDateTime,
    duration: Duration,
    zone: Tz,
    exception_dates: &[ExceptionDate],
) -> Result<Vec<Occurrence>, RecurrenceError> {
    if duration <= Duration::zero() {
        return Err(RecurrenceError::InvalidDuration);
    }
    let starts = rule.local_starts(first_start, zone)?;
    let mut occurrences = Vec::with_capacity(starts.len());
    for (index, local_start) in starts.into_iter().enumerate() {
        if exception_dates.iter().any(|e| e.removes(local_start)) {
            continue;
        }
        let local_end = local_start
            .checked_add_signed(duration)
            .ok_or(RecurrenceError::InvalidDuration)?;
        let range = match (
            occurrence_instant(local_start, zone),
            occurrence_instant(local_end, zone),
        ) {
            (Ok(start), Ok(end)) => {
                Ok(TimeRange::new(start, end).map_err(|_| RecurrenceError::InvalidDuration)?)
            }
            (Err(problem), _) | (_, Err(problem)) => Err(problem),
        };
        occurrences.push(Occurrence {
            index,
            local_start,
            range,
        });
    }
    Ok(occurrences)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELSINKI: Tz = chrono_tz::Europe::Helsinki;

    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn rule(text: &str) -> RecurrenceRule {
        RecurrenceRule::parse(text).unwrap()
    }

    fn code(text: &str) -> &'static str {
        RecurrenceRule::parse(text).unwrap_err().code()
    }

    fn utc_starts(occurrences: &[Occurrence]) -> Vec<DateTime<Utc>> {
        occurrences
            .iter()
            .map(|o| o.range().unwrap().start())
            .collect()
    }

    #[test]
    fn parses_and_serialises_canonically() {
        let text = "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261215T235959Z";
        assert_eq!(rule(text).to_string(), text);
        assert_eq!(
            rule("rrule:until=20261215T235959Z;byday=tu;freq=weekly;interval=1").to_string(),
            text
        );
        assert_eq!(
            rule("FREQ=MONTHLY;BYDAY=-1FR,2TU;COUNT=6").to_string(),
            "FREQ=MONTHLY;BYDAY=2TU,-1FR;COUNT=6"
        );
        assert_eq!(
            rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH,MO,TH;WKST=SU;COUNT=4").to_string(),
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=SU;COUNT=4"
        );
        assert_eq!(
            rule("FREQ=DAILY;BYMONTHDAY=-1,15;COUNT=3").to_string(),
            "FREQ=DAILY;BYMONTHDAY=-1,15;COUNT=3"
        );
        for text in [
            "FREQ=MONTHLY;BYDAY=2TU,-1FR;COUNT=6",
            "FREQ=DAILY;INTERVAL=3;UNTIL=20270101T000000Z",
        ] {
            assert_eq!(rule(&rule(text).to_string()), rule(text));
        }
    }

    #[test]
    fn rejects_parts_outside_the_subset_by_name() {
        for (text, part) in [
            ("FREQ=YEARLY;COUNT=2", "FREQ=YEARLY"),
            ("FREQ=HOURLY;COUNT=2", "FREQ=HOURLY"),
            ("FREQ=MONTHLY;BYDAY=TU;BYSETPOS=-1;COUNT=2", "BYSETPOS"),
            ("FREQ=DAILY;BYHOUR=9;COUNT=2", "BYHOUR"),
            ("FREQ=DAILY;BYMONTH=6;COUNT=2", "BYMONTH"),
            ("FREQ=DAILY;X-FOO=1;COUNT=2", "X-FOO"),
        ] {
            let err = RecurrenceRule::parse(text).unwrap_err();
            assert_eq!(err.code(), "UNSUPPORTED_RECURRENCE", "{text}");
            assert_eq!(
                err,
                RecurrenceError::UnsupportedRecurrence { part: part.into() }
            );
            assert_eq!(err.field(), "rule");
        }
    }

    #[test]
    fn rejects_malformed_rules() {
        for text in [
            "",
            "COUNT=3",
            "FREQ=SOMETIMES;COUNT=3",
            "FREQ=DAILY;FREQ=WEEKLY;COUNT=3",
            "FREQ=DAILY;COUNT=0",
            "FREQ=DAILY;COUNT=-2",
            "FREQ=DAILY;INTERVAL=0;COUNT=2",
            "FREQ=WEEKLY;BYDAY=XX;COUNT=2",
            "FREQ=WEEKLY;BYDAY=2TU;COUNT=2",
            "FREQ=MONTHLY;BYDAY=6TU;COUNT=2",
            "FREQ=MONTHLY;BYDAY=0TU;COUNT=2",
            "FREQ=MONTHLY;BYMONTHDAY=0;COUNT=2",
            "FREQ=MONTHLY;BYMONTHDAY=32;COUNT=2",
            "FREQ=WEEKLY;BYMONTHDAY=1;COUNT=2",
            "FREQ=WEEKLY;UNTIL=20261215",
            "FREQ=WEEKLY;UNTIL=20261215T235959",
            "FREQ=WEEKLY;COUNT",
        ] {
            assert_eq!(code(text), "INVALID_RECURRENCE", "{text:?}");
        }
    }

    #[test]
    fn series_must_end_and_not_twice() {
        assert_eq!(code("FREQ=WEEKLY;BYDAY=TU"), "SERIES_UNBOUNDED");
        assert_eq!(
            code("FREQ=WEEKLY;COUNT=3;UNTIL=20261215T235959Z"),
            "COUNT_AND_UNTIL"
        );
        assert_eq!(code("FREQ=DAILY;COUNT=501"), "SERIES_TOO_LONG");
        assert!(RecurrenceRule::parse("FREQ=DAILY;COUNT=500").is_ok());
    }

    #[test]
    fn weekly_tuesday_evenings_keep_local_time_through_autumn_2026() {
        let occurrences = expand(
            &rule("FREQ=WEEKLY;BYDAY=TU;COUNT=6"),
            local(2026, 10, 6, 18, 0),
            Duration::hours(2),
            HELSINKI,
            &[],
        )
        .unwrap();
        assert_eq!(
            utc_starts(&occurrences),
            [
                "2026-10-06T15:00:00Z",
                "2026-10-13T15:00:00Z",
                "2026-10-20T15:00:00Z",
                "2026-10-27T16:00:00Z",
                "2026-11-03T16:00:00Z",
                "2026-11-10T16:00:00Z",
            ]
            .map(utc)
        );
        for (i, o) in occurrences.iter().enumerate() {
            assert_eq!(o.index(), i);
            assert_eq!(o.local_start().time(), local(2026, 1, 1, 18, 0).time());
            assert_eq!(o.range().unwrap().duration(), Duration::hours(2));
        }
    }

    #[test]
    fn weekly_series_through_spring_and_autumn_2027() {
        let spring = expand(
            &rule("FREQ=WEEKLY;BYDAY=TU;COUNT=6"),
            local(2027, 3, 9, 18, 0),
            Duration::hours(2),
            HELSINKI,
            &[],
        )
        .unwrap();
        assert_eq!(
            utc_starts(&spring),
            [
                "2027-03-09T16:00:00Z",
                "2027-03-16T16:00:00Z",
                "2027-03-23T16:00:00Z",
                "2027-03-30T15:00:00Z",
                "2027-04-06T15:00:00Z",
                "2027-04-13T15:00:00Z",
            ]
            .map(utc)
        );
        let autumn = expand(
            &rule("FREQ=WEEKLY;BYDAY=TU;UNTIL=20271116T235959Z"),
            local(2027, 10, 12, 18, 0),
            Duration::hours(2),
            HELSINKI,
            &[],
        )
        .unwrap();
        assert_eq!(
            utc_starts(&autumn),
            [
                "2027-10-12T15:00:00Z",
                "2027-10-19T15:00:00Z",
                "2027-10-26T15:00:00Z",
                "2027-11-02T16:00:00Z",
                "2027-11-09T16:00:00Z",
                "2027-11-16T16:00:00Z",
            ]
            .map(utc)
        );
    }

    #[test]
    fn last_sunday_at_half_past_three_hits_the_gap_and_the_overlap() {
        let occurrences = expand(
            &rule("FREQ=MONTHLY;BYDAY=-1SU;COUNT=12"),
            local(2026, 1, 25, 3, 30),
            Duration::hours(1),
            HELSINKI,
            &[],
        )
        .unwrap();
        assert_eq!(occurrences.len(), 12);
        let march = &occurrences[2];
        assert_eq!(march.local_start(), local(2026, 3, 29, 3, 30));
        let problem = march.range().unwrap_err();
        assert_eq!(problem.code(), "NONEXISTENT_LOCAL_TIME");
        assert_eq!(
            problem,
            OccurrenceProblem::NonexistentLocalTime {
                local: local(2026, 3, 29, 3, 30)
            }
        );
        // Every other occurrence exists; the October one starts at the earlier (summer time)
        // 03:30 and ends at 04:30 winter time: two hours pass on the wall clock's one.
        let october = &occurrences[9];
        assert_eq!(october.local_start(), local(2026, 10, 25, 3, 30));
        assert_eq!(
            october.range().unwrap(),
            TimeRange::new(utc("2026-10-25T00:30:00Z"), utc("2026-10-25T02:30:00Z")).unwrap()
        );
        assert_eq!(occurrences.iter().filter(|o| o.range().is_err()).count(), 1);
        assert_eq!(occurrences[11].local_start(), local(2026, 12, 27, 3, 30));
    }

    #[test]
    fn occurrence_ending_in_the_gap_is_reported() {
        let occurrences = expand(
            &rule("FREQ=WEEKLY;COUNT=2"),
            local(2027, 3, 21, 2, 0),
            Duration::minutes(90),
            HELSINKI,
            &[],
        )
        .unwrap();
        assert!(occurrences[0].range().is_ok());
        assert_eq!(
            occurrences[1].range(),
            Err(OccurrenceProblem::NonexistentLocalTime {
                local: local(2027, 3, 28, 3, 30)
            })
        );
    }

    #[test]
    fn overnight_occurrences_follow_the_wall_clock() {
        let occurrences = expand(
            &rule("FREQ=DAILY;COUNT=2"),
            local(2026, 10, 23, 22, 0),
            Duration::hours(6),
            HELSINKI,
            &[],
        )
        .unwrap();
        let lengths: Vec<Duration> = occurrences
            .iter()
            .map(|o| o.range().unwrap().duration())
            .collect();
        assert_eq!(lengths, [Duration::hours(6), Duration::hours(7)]);
    }

    #[test]
    fn exception_dates_remove_occurrences_but_keep_numbering() {
        let occurrences = expand(
            &rule("FREQ=WEEKLY;BYDAY=TU;COUNT=6"),
            local(2026, 10, 6, 18, 0),
            Duration::hours(2),
            HELSINKI,
            &[
                ExceptionDate::Date(NaiveDate::from_ymd_opt(2026, 10, 27).unwrap()),
                ExceptionDate::DateTime(local(2026, 11, 10, 18, 0)),
                ExceptionDate::DateTime(local(2026, 11, 3, 17, 0)),
            ],
        )
        .unwrap();
        let indices: Vec<usize> = occurrences.iter().map(Occurrence::index).collect();
        assert_eq!(indices, [0, 1, 2, 4]);
    }

    #[test]
    fn until_includes_an_occurrence_starting_exactly_then() {
        let occurrences = expand(
            &rule("FREQ=WEEKLY;BYDAY=TU;UNTIL=20261027T160000Z"),
            local(2026, 10, 6, 18, 0),
            Duration::hours(2),
            HELSINKI,
            &[],
        )
        .unwrap();
        assert_eq!(occurrences.len(), 4);
        let until_december = expand(
            &rule("FREQ=WEEKLY;BYDAY=TU;UNTIL=20261215T235959Z"),
            local(2026, 10, 6, 18, 0),
            Duration::hours(2),
            HELSINKI,
            &[],
        )
        .unwrap();
        assert_eq!(until_december.len(), 11);
        let err = expand(
            &rule("FREQ=WEEKLY;UNTIL=20261001T000000Z"),
            local(2026, 10, 6, 18, 0),
            Duration::hours(2),
            HELSINKI,
            &[],
        )
        .unwrap_err();
        assert_eq!(err.code(), "INVALID_RECURRENCE");
    }

    #[test]
    fn monthly_rules_by_ordinal_and_month_day() {
        let starts = |text: &str, first: NaiveDateTime| -> Vec<NaiveDate> {
            expand(&rule(text), first, Duration::hours(1), HELSINKI, &[])
                .unwrap()
                .iter()
                .map(|o| o.local_start().date())
                .collect()
        };
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            starts("FREQ=MONTHLY;BYDAY=2TU;COUNT=3", local(2026, 11, 10, 17, 0)),
            [d(2026, 11, 10), d(2026, 12, 8), d(2027, 1, 12)]
        );
        // Months without a 31st are skipped, as RFC 5545 says.
        assert_eq!(
            starts("FREQ=MONTHLY;COUNT=4", local(2026, 1, 31, 17, 0)),
            [
                d(2026, 1, 31),
                d(2026, 3, 31),
                d(2026, 5, 31),
                d(2026, 7, 31)
            ]
        );
        assert_eq!(
            starts(
                "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3",
                local(2027, 1, 31, 17, 0)
            ),
            [d(2027, 1, 31), d(2027, 2, 28), d(2027, 3, 31)]
        );
        // BYDAY limits BYMONTHDAY: Friday the 13th.
        assert_eq!(
            starts(
                "FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR;COUNT=2",
                local(2026, 2, 13, 17, 0)
            ),
            [d(2026, 2, 13), d(2026, 3, 13)]
        );
        assert_eq!(
            starts(
                "FREQ=MONTHLY;INTERVAL=2;BYDAY=MO,-1FR;COUNT=6",
                local(2026, 5, 4, 9, 0)
            ),
            [
                d(2026, 5, 4),
                d(2026, 5, 11),
                d(2026, 5, 18),
                d(2026, 5, 25),
                d(2026, 5, 29),
                d(2026, 7, 6)
            ]
        );
    }

    #[test]
    fn weekly_and_daily_rules_with_interval_and_filters() {
        let starts = |text: &str, first: NaiveDateTime| -> Vec<NaiveDate> {
            expand(&rule(text), first, Duration::hours(1), HELSINKI, &[])
                .unwrap()
                .iter()
                .map(|o| o.local_start().date())
                .collect()
        };
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        // Every other week on Monday and Thursday, starting on a Thursday.
        assert_eq!(
            starts(
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=4",
                local(2026, 9, 3, 9, 0)
            ),
            [d(9, 3), d(9, 14), d(9, 17), d(9, 28)]
        );
        assert_eq!(
            starts("FREQ=DAILY;BYDAY=MO,WE,FR;COUNT=4", local(2026, 9, 4, 9, 0)),
            [d(9, 4), d(9, 7), d(9, 9), d(9, 11)]
        );
        assert_eq!(
            starts("FREQ=DAILY;INTERVAL=10;COUNT=3", local(2026, 9, 25, 9, 0)),
            [d(9, 25), d(10, 5), d(10, 15)]
        );
    }

    #[test]
    fn first_start_must_be_an_occurrence() {
        // 2026-10-07 is a Wednesday.
        let err = expand(
            &rule("FREQ=WEEKLY;BYDAY=TU;COUNT=3"),
            local(2026, 10, 7, 18, 0),
            Duration::hours(2),
            HELSINKI,
            &[],
        )
        .unwrap_err();
        assert_eq!(err.code(), "START_NOT_IN_RULE");
        assert_eq!(err.field(), "start");
    }

    #[test]
    fn series_caps_at_500_occurrences_and_two_years() {
        let first = local(2026, 1, 1, 10, 0);
        let daily = |text: &str| expand(&rule(text), first, Duration::hours(1), HELSINKI, &[]);
        assert_eq!(daily("FREQ=DAILY;COUNT=500").unwrap().len(), 500);
        // 600 days fit in two years but exceed 500 occurrences.
        assert_eq!(
            daily("FREQ=DAILY;UNTIL=20270823T000000Z").unwrap_err(),
            RecurrenceError::SeriesTooLong
        );
        // Until the end of the two years is fine, a day later is not.
        assert_eq!(
            daily("FREQ=WEEKLY;UNTIL=20280101T080000Z").unwrap().len(),
            105
        );
        assert_eq!(
            daily("FREQ=WEEKLY;UNTIL=20280102T080000Z")
                .unwrap_err()
                .code(),
            "SERIES_TOO_LONG"
        );
        assert_eq!(
            daily("FREQ=MONTHLY;COUNT=30").unwrap_err().code(),
            "SERIES_TOO_LONG"
        );
        assert_eq!(daily("FREQ=MONTHLY;COUNT=25").unwrap().len(), 25);
    }

    #[test]
    fn duration_must_be_positive() {
        let err = expand(
            &rule("FREQ=DAILY;COUNT=2"),
            local(2026, 5, 4, 10, 0),
            Duration::zero(),
            HELSINKI,
            &[],
        )
        .unwrap_err();
        assert_eq!(err.code(), "INVALID_DURATION");
        assert_eq!(err.field(), "end");
    }
}
