//! When a facility is free: its open ranges less closures and existing bookings.
//!
//! Callers pass the open ranges from [`open_ranges`](crate::domain::opening_hours::open_ranges)
//! and, as unavailable ranges, ad hoc closures plus each existing booking's
//! [`blocked_range`](crate::domain::booking_rules::BookingRules::blocked_range) (the booking
//! with its buffers). All ranges are UTC; the API renders them in the facility's zone.
use chrono::Duration;

use crate::domain::time_range::{TimeRange, merge, subtract};

/// The free ranges inside `window`, sorted and merged, keeping only those at least
/// `min_length` long when it is given.
pub fn free_ranges(
    open: &[TimeRange],
    unavailable: &[TimeRange],
    window: TimeRange,
    min_length: Option<Duration>,
) -> Vec<TimeRange> {
    let open: Vec<TimeRange> = open
        .iter()
        .filter_map(|r| r.intersection(&window))
        .collect();
    let mut free = subtract(&open, unavailable);
    if let Some(min_length) = min_length {
        free.retain(|r| r.duration() >= min_length);
    }
    free
}

/// Whether some free range inside `window` is at least `length` long.
///
/// Sweeps the sorted ranges once and stops at the first long enough gap, without building
/// the list of free ranges.
pub fn has_free_range(
    open: &[TimeRange],
    unavailable: &[TimeRange],
    window: TimeRange,
    length: Duration,
) -> bool {
    let open = merge(open.iter().filter_map(|r| r.intersection(&window)));
    let busy = merge(unavailable.iter().filter_map(|r| r.intersection(&window)));
    let fits = |gap: Duration| gap > Duration::zero() && gap >= length;
    let mut next_busy = 0;
    for range in open {
        let mut cursor = range.start();
        // Busy ranges are sorted and disjoint; those ending by the cursor are done with.
        while busy.get(next_busy).is_some_and(|b| b.end() <= cursor) {
            next_busy += 1;
        }
        for block in busy[next_busy..]
            .iter()
            .take_while(|b| b.start() < range.end())
        {
            if fits(block.start() - cursor) {
                return true;
            }
            cursor = cursor.max(block.end());
        }
        if fits(range.end() - cursor) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::booking_rules::{BookingRules, BookingRulesInput};
    use crate::domain::opening_hours::{OpeningInterval, WeeklyHours, open_ranges};
    use chrono::{DateTime, NaiveTime, Utc, Weekday};
    use proptest::prelude::*;

    const HELSINKI: chrono_tz::Tz = chrono_tz::Europe::Helsinki;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn range(a: &str, b: &str) -> TimeRange {
        TimeRange::new(utc(a), utc(b)).unwrap()
    }

    /// Saturdays and Sundays 10–16 local.
    fn weekend() -> WeeklyHours {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let hours = OpeningInterval::new(t(10), t(16)).unwrap();
        WeeklyHours::new([(Weekday::Sat, hours), (Weekday::Sun, hours)]).unwrap()
    }

    #[test]
    fn free_time_around_buffered_bookings_over_the_autumn_change() {
        // Saturday 2026-10-24 is summer time (10–16 = 07–13Z), Sunday winter time (08–14Z).
        let window = range("2026-10-23T21:00:00Z", "2026-10-25T22:00:00Z");
        let open = open_ranges(&weekend(), &[], HELSINKI, window);
        let rules = BookingRules::new(BookingRulesInput {
            buffer_before: Some(Duration::minutes(30)),
            buffer_after: Some(Duration::minutes(30)),
            ..Default::default()
        })
        .unwrap();
        let bookings = [
            // Saturday 12–13 local.
            range("2026-10-24T09:00:00Z", "2026-10-24T10:00:00Z"),
            // Sunday 10–11 local.
            range("2026-10-25T08:00:00Z", "2026-10-25T09:00:00Z"),
        ];
        let blocked: Vec<TimeRange> = bookings.iter().map(|b| rules.blocked_range(b)).collect();
        assert_eq!(
            free_ranges(&open, &blocked, window, None),
            vec![
                range("2026-10-24T07:00:00Z", "2026-10-24T08:30:00Z"),
                range("2026-10-24T10:30:00Z", "2026-10-24T13:00:00Z"),
                range("2026-10-25T09:30:00Z", "2026-10-25T14:00:00Z"),
            ]
        );
        assert_eq!(
            free_ranges(&open, &blocked, window, Some(Duration::hours(2))),
            vec![
                range("2026-10-24T10:30:00Z", "2026-10-24T13:00:00Z"),
                range("2026-10-25T09:30:00Z", "2026-10-25T14:00:00Z"),
            ]
        );
        assert!(has_free_range(
            &open,
            &blocked,
            window,
            Duration::minutes(270)
        ));
        assert!(!has_free_range(
            &open,
            &blocked,
            window,
            Duration::minutes(271)
        ));
    }

    #[test]
    fn closures_and_window_limit_the_free_time() {
        let open = [range("2026-05-04T05:00:00Z", "2026-05-04T15:00:00Z")];
        let closure = [range("2026-05-04T08:00:00Z", "2026-05-04T10:00:00Z")];
        let window = range("2026-05-04T06:00:00Z", "2026-05-04T12:00:00Z");
        assert_eq!(
            free_ranges(&open, &closure, window, None),
            vec![
                range("2026-05-04T06:00:00Z", "2026-05-04T08:00:00Z"),
                range("2026-05-04T10:00:00Z", "2026-05-04T12:00:00Z"),
            ]
        );
        assert!(has_free_range(&open, &closure, window, Duration::hours(2)));
        assert!(!has_free_range(
            &open,
            &closure,
            window,
            Duration::minutes(121)
        ));
        let all_day = [range("2026-05-04T00:00:00Z", "2026-05-05T00:00:00Z")];
        assert!(!has_free_range(&open, &all_day, window, Duration::zero()));
        assert!(free_ranges(&open, &all_day, window, None).is_empty());
    }

    fn arb_ranges() -> impl Strategy<Value = Vec<TimeRange>> {
        prop::collection::vec((0i64..2000, 1i64..300), 0..10).prop_map(|v| {
            v.into_iter()
                .map(|(s, len)| {
                    let start = utc("2026-05-04T00:00:00Z") + Duration::minutes(s);
                    TimeRange::new(start, start + Duration::minutes(len)).unwrap()
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn has_free_range_agrees_with_free_ranges(
            open in arb_ranges(),
            busy in arb_ranges(),
            (from, len) in (0i64..1500, 1i64..900),
            wanted in 0i64..400,
        ) {
            let start = utc("2026-05-04T00:00:00Z") + Duration::minutes(from);
            let window = TimeRange::new(start, start + Duration::minutes(len)).unwrap();
            let wanted = Duration::minutes(wanted);
            let free = free_ranges(&open, &busy, window, Some(wanted));
            prop_assert_eq!(has_free_range(&open, &busy, window, wanted), !free.is_empty());
            for r in &free {
                prop_assert!(window.contains_range(r));
                prop_assert!(open.iter().any(|o| o.overlaps(r)));
                prop_assert!(busy.iter().all(|b| !b.overlaps(r)));
            }
        }
    }
}
