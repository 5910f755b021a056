//! VTIMEZONE from the tz database (chrono-tz), in the form calendar clients expect.
//!
//! A zone with yearly rules, such as Europe/Helsinki, is written as one DAYLIGHT and one
//! STANDARD observance with `RRULE:FREQ=YEARLY;BYMONTH=…;BYDAY=…` and `DTSTART` in 1970 at
//! the local time before the change (the onset, RFC 5545 §3.6.5). The rules are read off
//! the transitions of the years asked for and checked against every one of them; a zone
//! whose changes do not follow two yearly rules in those years gets one observance per
//! change instead, and a zone without changes a single STANDARD observance.
use std::ops::RangeInclusive;
use std::sync::LazyLock;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
    Weekday,
};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use super::writer::{ContentWriter, KeptLines};
use crate::domain::recurrence::weekday_code;
use crate::kept::Kept;

/// The offset of a zone at some instant, as an observance describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Observed {
    offset: FixedOffset,
    daylight: bool,
}

fn observed(zone: Tz, instant: DateTime<Utc>) -> Observed {
    let offset = zone.offset_from_utc_datetime(&instant.naive_utc());
    Observed {
        offset: offset.fix(),
        daylight: !offset.dst_offset().is_zero(),
    }
}

/// The abbreviation of the zone's offset at `instant`, such as `EEST`.
fn abbreviation(zone: Tz, instant: DateTime<Utc>) -> Option<String> {
    zone.offset_from_utc_datetime(&instant.naive_utc())
        .abbreviation()
        .map(str::to_string)
}

fn year_start(year: i32) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(year, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// A change of a zone's offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Transition {
    /// The first instant of the new offset.
    at: DateTime<Utc>,
    before: Observed,
    after: Observed,
}

impl Transition {
    /// The local time just before the change, where the new observance begins.
    fn onset(&self) -> NaiveDateTime {
        self.at.naive_utc() + Duration::seconds(i64::from(self.before.offset.local_minus_utc()))
    }
}

/// The changes of `zone` from the start of `years` to their end, in order.
fn transitions(zone: Tz, years: &RangeInclusive<i32>) -> Vec<Transition> {
    let (Some(at), Some(end)) = (year_start(*years.start()), year_start(years.end() + 1)) else {
        return Vec::new();
    };
    let (mut at, end) = (at.and_utc(), end.and_utc());
    // Offsets change at most once in six hours in the tz database.
    let step = Duration::hours(6);
    let mut found = Vec::new();
    let mut current = observed(zone, at);
    while at < end {
        let next = at + step;
        let there = observed(zone, next);
        if there != current {
            // Binary search for the first second of the new offset.
            let (mut low, mut high) = (at.timestamp(), next.timestamp());
            while high - low > 1 {
                let middle = low + (high - low) / 2;
                let seen = DateTime::from_timestamp(middle, 0).map(|t| observed(zone, t));
                if seen == Some(current) {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            let high = DateTime::from_timestamp(high, 0).unwrap_or(next);
            found.push(Transition {
                at: high,
                before: current,
                after: there,
            });
            current = there;
        }
        at = next;
    }
    found
}

/// A yearly rule `BYMONTH=m;BYDAY=nWD`: the last weekday of the month when the date is in
/// its last seven days, otherwise its n-th weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct YearlyRule {
    month: u32,
    ordinal: i8,
    weekday: Weekday,
}

impl YearlyRule {
    fn of(date: NaiveDate) -> Self {
        let days_in_month = NaiveDate::from_ymd_opt(date.year(), date.month(), 1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
            .and_then(|d| d.pred_opt())
            .map_or(31, |d| d.day());
        let ordinal = if date.day() + 7 > days_in_month {
            -1
        } else {
            i8::try_from((date.day() - 1) / 7 + 1).unwrap_or(1)
        };
        Self {
            month: date.month(),
            ordinal,
            weekday: date.weekday(),
        }
    }

    /// The first date of 1970 the rule gives.
    fn in_1970(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(1970, self.month, 1)?
            .iter_days()
            .take_while(|d| d.month() == self.month)
            .find(|d| Self::of(*d) == *self)
    }

    fn rrule(&self) -> String {
        format!(
            "FREQ=YEARLY;BYMONTH={};BYDAY={}{}",
            self.month,
            self.ordinal,
            weekday_code(self.weekday)
        )
    }
}

/// One observance: an offset that begins at `onset` (local time before it), optionally
/// again every year by `rule`.
struct Observance {
    onset: NaiveDateTime,
    from: FixedOffset,
    to: Observed,
    name: Option<String>,
    rule: Option<YearlyRule>,
}

/// The two yearly observances that reproduce every transition in `years`, if there are.
fn yearly_observances(
    zone: Tz,
    found: &[Transition],
    years: &RangeInclusive<i32>,
) -> Option<Vec<Observance>> {
    let year_count = usize::try_from(years.end() - years.start() + 1).ok()?;
    if found.len() != 2 * year_count {
        return None;
    }
    let key = |t: &Transition| {
        (
            t.before.offset,
            t.after,
            YearlyRule::of(t.onset().date()),
            t.onset().time(),
        )
    };
    let mut observances = Vec::new();
    for first in &found[..2] {
        let wanted = key(first);
        let matching: Vec<i32> = found
            .iter()
            .filter(|t| key(t) == wanted)
            .map(|t| t.onset().year())
            .collect();
        if matching != years.clone().collect::<Vec<_>>() {
            return None;
        }
        let rule = wanted.2;
        observances.push(Observance {
            onset: rule.in_1970()?.and_time(wanted.3),
            from: wanted.0,
            to: wanted.1,
            name: abbreviation(zone, first.at),
            rule: Some(rule),
        });
    }
    Some(observances)
}

fn offset_value(offset: FixedOffset) -> String {
    let seconds = offset.local_minus_utc();
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// Writes the VTIMEZONE of `zone`, correct for every instant in `years`. Each zone and
/// span of years is worked out once and kept: every invitation of a booking carries one,
/// and working it out looks the zone's offset up every six hours of those years.
pub fn write_vtimezone(w: &mut ContentWriter<'_>, zone: Tz, years: RangeInclusive<i32>) {
    /// At most 256 spans: more than a service's facilities and feeds ask for.
    static KEPT: LazyLock<Kept<(Tz, i32, i32), KeptLines>> = LazyLock::new(|| Kept::new(256));
    let key = (zone, *years.start(), *years.end());
    let lines = KEPT.get(&key).unwrap_or_else(|| {
        let lines = KeptLines::write(|w| work_out_vtimezone(w, zone, years));
        KEPT.put(key, lines.clone());
        lines
    });
    w.kept(&lines);
}

fn work_out_vtimezone(w: &mut ContentWriter<'_>, zone: Tz, years: RangeInclusive<i32>) {
    let found = transitions(zone, &years);
    let start = year_start(*years.start()).unwrap_or_default();
    let initial = |at: Observed| Observance {
        onset: start,
        from: at.offset,
        to: at,
        name: abbreviation(zone, start.and_utc()),
        rule: None,
    };
    let observances = match yearly_observances(zone, &found, &years) {
        Some(yearly) => yearly,
        None if found.is_empty() => vec![initial(observed(zone, start.and_utc()))],
        None => std::iter::once(initial(found[0].before))
            .chain(found.iter().map(|t| Observance {
                onset: t.onset(),
                from: t.before.offset,
                to: t.after,
                name: abbreviation(zone, t.at),
                rule: None,
            }))
            .collect(),
    };
    w.begin("VTIMEZONE");
    w.raw("TZID", zone.name());
    for o in observances {
        let kind = if o.to.daylight {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        w.begin(kind);
        w.raw("DTSTART", &o.onset.format("%Y%m%dT%H%M%S").to_string());
        if let Some(rule) = o.rule {
            w.raw("RRULE", &rule.rrule());
        }
        w.raw("TZOFFSETFROM", &offset_value(o.from));
        w.raw("TZOFFSETTO", &offset_value(o.to.offset));
        if let Some(name) = &o.name {
            w.text("TZNAME", name);
        }
        w.end(kind);
    }
    w.end("VTIMEZONE");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vtimezone(zone: Tz, years: RangeInclusive<i32>) -> String {
        let mut out = String::new();
        write_vtimezone(&mut ContentWriter::new(&mut out), zone, years);
        out
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn helsinki_changes_on_the_last_sundays_of_march_and_october() {
        let found = transitions(chrono_tz::Europe::Helsinki, &(2026..=2027));
        let summary: Vec<(DateTime<Utc>, String, i32, i32)> = found
            .iter()
            .map(|t| {
                (
                    t.at,
                    t.onset().format("%Y-%m-%d %H:%M").to_string(),
                    t.before.offset.local_minus_utc() / 3600,
                    t.after.offset.local_minus_utc() / 3600,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (utc("2026-03-29T01:00:00Z"), "2026-03-29 03:00".into(), 2, 3),
                (utc("2026-10-25T01:00:00Z"), "2026-10-25 04:00".into(), 3, 2),
                (utc("2027-03-28T01:00:00Z"), "2027-03-28 03:00".into(), 2, 3),
                (utc("2027-10-31T01:00:00Z"), "2027-10-31 04:00".into(), 3, 2),
            ]
        );
    }

    #[test]
    fn helsinki_is_written_as_two_yearly_rules() {
        let expected = "BEGIN:VTIMEZONE\r\nTZID:Europe/Helsinki\r\n\
            BEGIN:DAYLIGHT\r\nDTSTART:19700329T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
            TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0300\r\nTZNAME:EEST\r\nEND:DAYLIGHT\r\n\
            BEGIN:STANDARD\r\nDTSTART:19701025T040000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n\
            TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0200\r\nTZNAME:EET\r\nEND:STANDARD\r\n\
            END:VTIMEZONE\r\n";
        assert_eq!(
            vtimezone(chrono_tz::Europe::Helsinki, 2026..=2027),
            expected
        );
        assert_eq!(
            vtimezone(chrono_tz::Europe::Helsinki, 2025..=2029),
            expected
        );
        assert_eq!(
            vtimezone(chrono_tz::Europe::Helsinki, 2027..=2027),
            expected
        );
    }

    #[test]
    fn the_rules_give_the_changes_of_the_tz_database_in_each_year() {
        // Read the two rules back as dates and compare with chrono-tz year by year.
        for zone in [chrono_tz::Europe::Helsinki, chrono_tz::America::New_York] {
            let years = 2024..=2030;
            let found = transitions(zone, &years);
            let observances = yearly_observances(zone, &found, &years).expect("yearly rules");
            for t in &found {
                let rule = observances
                    .iter()
                    .find(|o| o.to == t.after)
                    .and_then(|o| o.rule)
                    .unwrap();
                let by_rule = NaiveDate::from_ymd_opt(t.onset().year(), rule.month, 1)
                    .unwrap()
                    .iter_days()
                    .take_while(|d| d.month() == rule.month)
                    .filter(|d| d.weekday() == rule.weekday)
                    .collect::<Vec<_>>();
                let day = if rule.ordinal < 0 {
                    *by_rule.last().unwrap()
                } else {
                    by_rule[usize::try_from(rule.ordinal - 1).unwrap()]
                };
                assert_eq!(day, t.onset().date(), "{zone} {t:?}");
            }
        }
    }

    #[test]
    fn a_zone_without_changes_has_one_standard_observance() {
        assert_eq!(
            vtimezone(chrono_tz::Asia::Tokyo, 2026..=2027),
            "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\nDTSTART:20260101T000000\r\n\
             TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nTZNAME:JST\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        );
    }

    #[test]
    fn each_span_of_years_is_kept_apart() {
        // Brazil ended daylight saving time in 2019: 2018 has two changes, 2020 none.
        let zone = chrono_tz::America::Sao_Paulo;
        assert!(vtimezone(zone, 2018..=2018).contains("BEGIN:DAYLIGHT"));
        let later = vtimezone(zone, 2020..=2020);
        assert!(!later.contains("BEGIN:DAYLIGHT"), "{later}");
    }

    #[test]
    fn a_zone_that_stopped_changing_gets_one_observance_per_change() {
        // Brazil ended daylight saving time in 2019.
        let out = vtimezone(chrono_tz::America::Sao_Paulo, 2018..=2020);
        assert!(!out.contains("RRULE"), "{out}");
        let starts: Vec<&str> = out
            .lines()
            .filter_map(|l| l.strip_prefix("DTSTART:"))
            .collect();
        assert_eq!(
            starts,
            [
                "20180101T000000",
                "20180218T000000",
                "20181104T000000",
                "20190217T000000"
            ]
        );
        assert!(out.contains("TZOFFSETFROM:-0300\r\nTZOFFSETTO:-0200"));
    }
}
