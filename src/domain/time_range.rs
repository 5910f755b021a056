//! Half-open UTC time ranges `[start, end)` and set operations on lists of them.
use chrono::{DateTime, Duration, Utc};

/// Why a time range could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeRangeError {
    /// The end is at or before the start.
    #[error("the end must be after the start")]
    EndNotAfterStart,
}

impl TimeRangeError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EndNotAfterStart => "END_NOT_AFTER_START",
        }
    }

    /// The input field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::EndNotAfterStart => "end",
        }
    }
}

/// A non-empty half-open interval of UTC instants: `start` is inside, `end` is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeRange {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TimeRange {
    /// Builds `[start, end)`; the end must be after the start.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, TimeRangeError> {
        if end <= start {
            return Err(TimeRangeError::EndNotAfterStart);
        }
        Ok(Self { start, end })
    }

    /// The first instant inside the range.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The first instant after the range.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// The elapsed time from start to end (always positive).
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }

    /// Whether the two ranges share at least one instant; touching ranges do not.
    pub fn overlaps(&self, other: &TimeRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether `other` lies wholly inside this range.
    pub fn contains_range(&self, other: &TimeRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The range grown to `[start - before, end + after)`, e.g. a booking with its buffers.
    ///
    /// Negative amounts count as zero; the bounds saturate at chrono's limits.
    pub fn expand(&self, before: Duration, after: Duration) -> TimeRange {
        let before = before.max(Duration::zero());
        let after = after.max(Duration::zero());
        TimeRange {
            start: self
                .start
                .checked_sub_signed(before)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            end: self
                .end
                .checked_add_signed(after)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }

    /// The instants in both ranges, if there are any.
    pub fn intersection(&self, other: &TimeRange) -> Option<TimeRange> {
        TimeRange::new(self.start.max(other.start), self.end.min(other.end)).ok()
    }
}

/// Sorts the ranges and joins those that overlap or touch.
pub fn merge(ranges: impl IntoIterator<Item = TimeRange>) -> Vec<TimeRange> {
    let mut sorted: Vec<TimeRange> = ranges.into_iter().collect();
    sorted.sort_unstable();
    let mut merged: Vec<TimeRange> = Vec::with_capacity(sorted.len());
    for range in sorted {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// The instants of `from` that are in none of `remove`, as sorted, merged ranges.
pub fn subtract(from: &[TimeRange], remove: &[TimeRange]) -> Vec<TimeRange> {
    let remove = merge(remove.iter().copied());
    let mut result = Vec::new();
    for range in merge(from.iter().copied()) {
        let mut cursor = range.start;
        // `remove` is sorted and disjoint: skip those ending before the cursor.
        let first = remove.partition_point(|r| r.end <= cursor);
        for cut in &remove[first..] {
            if cut.start >= range.end {
                break;
            }
            if cut.start > cursor {
                result.push(TimeRange {
                    start: cursor,
                    end: cut.start,
                });
            }
            cursor = cursor.max(cut.end);
        }
        if cursor < range.end {
            result.push(TimeRange {
                start: cursor,
                end: range.end,
            });
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, h, m, 0).unwrap()
    }

    fn range(a: (u32, u32), b: (u32, u32)) -> TimeRange {
        TimeRange::new(at(a.0, a.1), at(b.0, b.1)).unwrap()
    }

    #[test]
    fn rejects_empty_and_reversed_ranges() {
        let err = TimeRange::new(at(10, 0), at(10, 0)).unwrap_err();
        assert_eq!(err.code(), "END_NOT_AFTER_START");
        assert_eq!(err.field(), "end");
        assert!(TimeRange::new(at(11, 0), at(10, 0)).is_err());
    }

    #[test]
    fn duration_and_accessors() {
        let r = range((9, 15), (11, 0));
        assert_eq!(r.start(), at(9, 15));
        assert_eq!(r.end(), at(11, 0));
        assert_eq!(r.duration(), Duration::minutes(105));
    }

    #[test]
    fn back_to_back_ranges_do_not_overlap() {
        let a = range((9, 0), (10, 0));
        let b = range((10, 0), (11, 0));
        assert!(!a.overlaps(&b));
        assert!(!b.overlaps(&a));
        assert!(a.overlaps(&range((9, 59), (10, 30))));
        assert!(range((8, 0), (12, 0)).overlaps(&a));
    }

    #[test]
    fn contains_range_includes_equal_bounds() {
        let outer = range((8, 0), (16, 0));
        assert!(outer.contains_range(&range((8, 0), (16, 0))));
        assert!(outer.contains_range(&range((9, 0), (10, 0))));
        assert!(!outer.contains_range(&range((7, 59), (10, 0))));
        assert!(!outer.contains_range(&range((15, 0), (16, 1))));
    }

    #[test]
    fn expand_adds_buffers_on_both_sides() {
        let booking = range((10, 0), (12, 0));
        let blocked = booking.expand(Duration::minutes(15), Duration::minutes(30));
        assert_eq!(blocked, range((9, 45), (12, 30)));
        // Negative buffers are ignored rather than shrinking the booking.
        assert_eq!(
            booking.expand(Duration::hours(-1), Duration::zero()),
            booking
        );
        // Saturates instead of overflowing.
        let huge = booking.expand(Duration::MAX, Duration::MAX);
        assert_eq!(huge.start(), DateTime::<Utc>::MIN_UTC);
        assert_eq!(huge.end(), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn intersection_of_overlapping_touching_and_disjoint_ranges() {
        let a = range((9, 0), (12, 0));
        assert_eq!(
            a.intersection(&range((11, 0), (13, 0))),
            Some(range((11, 0), (12, 0)))
        );
        assert_eq!(a.intersection(&range((12, 0), (13, 0))), None);
        assert_eq!(a.intersection(&range((14, 0), (15, 0))), None);
    }

    #[test]
    fn merge_joins_overlapping_and_touching_ranges_in_order() {
        let merged = merge([
            range((14, 0), (15, 0)),
            range((9, 0), (10, 0)),
            range((10, 0), (11, 0)),
            range((10, 30), (10, 45)),
            range((12, 0), (13, 0)),
        ]);
        assert_eq!(
            merged,
            vec![
                range((9, 0), (11, 0)),
                range((12, 0), (13, 0)),
                range((14, 0), (15, 0))
            ]
        );
    }

    #[test]
    fn subtract_cuts_holes_and_edges() {
        let open = [range((8, 0), (12, 0)), range((13, 0), (16, 0))];
        let busy = [
            range((7, 0), (8, 30)),
            range((10, 0), (10, 30)),
            range((11, 30), (13, 30)),
            range((15, 0), (17, 0)),
        ];
        assert_eq!(
            subtract(&open, &busy),
            vec![
                range((8, 30), (10, 0)),
                range((10, 30), (11, 30)),
                range((13, 30), (15, 0))
            ]
        );
        assert_eq!(subtract(&open, &[]), open.to_vec());
        assert!(subtract(&open, &[range((0, 0), (23, 0))]).is_empty());
    }

    fn arb_ranges() -> impl Strategy<Value = Vec<TimeRange>> {
        prop::collection::vec((0i64..2000, 1i64..300), 0..12).prop_map(|v| {
            v.into_iter()
                .map(|(s, len)| {
                    let start = at(0, 0) + Duration::minutes(s);
                    TimeRange::new(start, start + Duration::minutes(len)).unwrap()
                })
                .collect()
        })
    }

    fn covered(ranges: &[TimeRange], minute: i64) -> bool {
        let t = at(0, 0) + Duration::minutes(minute);
        ranges.iter().any(|r| r.start() <= t && t < r.end())
    }

    fn sorted_and_separated(ranges: &[TimeRange]) -> bool {
        ranges.windows(2).all(|w| w[0].end() < w[1].start())
    }

    proptest! {
        #[test]
        fn merge_keeps_coverage_and_separates(ranges in arb_ranges()) {
            let merged = merge(ranges.iter().copied());
            prop_assert!(sorted_and_separated(&merged));
            for minute in 0..2400 {
                prop_assert_eq!(covered(&ranges, minute), covered(&merged, minute));
            }
        }

        #[test]
        fn subtract_is_set_difference(from in arb_ranges(), remove in arb_ranges()) {
            let rest = subtract(&from, &remove);
            prop_assert!(sorted_and_separated(&rest));
            for minute in 0..2400 {
                let expected = covered(&from, minute) && !covered(&remove, minute);
                prop_assert_eq!(covered(&rest, minute), expected);
            }
        }
    }
}
